/*
 * fuzz_from.c - `--from` input: arbitrary bytes fed to the rulespec_from
 * reader in pieces (the first byte picks the action, --rev-lookup and
 * the piece size), and again all at once. Both give the same answer (the
 * same specs from the same lines, or the same error); the caps hold;
 * every spec read round-trips through rulespec_format, rulespec_split
 * and rulespec_parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/rulespec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define need(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

static int feed(struct rulespec_from *f, const uint8_t *p, size_t n,
		size_t step, struct err *e)
{
	size_t k;

	while (n) {
		k = step && step < n ? step : n;
		if (rulespec_from_feed(f, (const char *)p, k, e))
			return -1;
		p += k;
		n -= k;
	}
	return rulespec_from_end(f, e);
}

static void round_trip(const struct rulespec *r)
{
	struct buf a = { 0 }, b = { 0 };
	struct strv w = { 0 };
	struct rulespec r2;
	struct err e;

	need(!rulespec_format(r, &a));
	need(!strchr(a.data, '\n'));
	need(rulespec_split(a.data, &w, &e) >= 0);
	need(!rulespec_parse(&r2, r->action, (int)w.n, w.v, &e));
	need(rulespec_equal(r, &r2));
	need(!rulespec_format(&r2, &b));
	need(!strcmp(a.data, b.data));
	rulespec_free(&r2);
	strv_free(&w);
	buf_free(&a);
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rulespec_from f, g;
	struct err e, e2;
	enum rule_action act;
	size_t i, step;
	int rc, rc2, rev;

	if (size < 1)
		return 0;
	act = (enum rule_action)(data[0] % RULE_NACTIONS);
	rev = data[0] >> 2 & 1;
	step = data[0] >> 3; /* 0: all at once */
	data++;
	size--;
	rulespec_from_init(&f, "F", act, rev);
	rulespec_from_init(&g, "F", act, rev);
	rc = feed(&f, data, size, step, &e);
	rc2 = feed(&g, data, size, 0, &e2);
	need(rc == rc2 && f.n == g.n && f.lines == g.lines);
	need(f.n <= FROM_MAX_SPECS && f.lines <= FROM_MAX_LINES + 1);
	need(f.bytes <= FROM_MAX_BYTES);
	if (rc) {
		need(!strcmp(e.msg, e2.msg));
		need(e.code == EXIT_USAGE || e.code == EXIT_RUNTIME);
	}
	for (i = 0; i < f.n; i++) {
		need(f.line[i] == g.line[i] && f.line[i] >= 1 &&
		     f.line[i] <= f.lines);
		need(i == 0 || f.line[i] > f.line[i - 1]);
		need(rulespec_equal(&f.v[i], &g.v[i]));
		need(f.v[i].action == act);
		round_trip(&f.v[i]);
	}
	rulespec_from_free(&f);
	rulespec_from_free(&g);
	return 0;
}
