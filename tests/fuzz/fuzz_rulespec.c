/*
 * fuzz_rulespec.c - rule spec lines as --from and the store read them:
 * rulespec_split then rulespec_parse of arbitrary bytes, and for every
 * spec that parses, the round trip format -> split -> parse gives an
 * equal spec and the same text again. addr_parse likewise round-trips,
 * and so does any string through rulespec_quote and rulespec_split (one
 * word, the same bytes, no control byte in the quoted text). The first
 * byte picks the action.
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

static void round_trip(const struct rulespec *r)
{
	struct buf a = { 0 }, b = { 0 };
	struct strv w = { 0 };
	struct rulespec r2;
	struct err e;

	need(!rulespec_format(r, &a));
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

static void addr_trip(const char *s)
{
	struct addr_spec a, a2;
	struct buf t = { 0 };
	struct err e;

	if (addr_parse(s, &a, &e))
		return;
	need(!addr_format(&a, &t));
	need(!addr_parse(t.data, &a2, &e));
	need(a.kind == a2.kind && a.ip == a2.ip && a.prefix == a2.prefix &&
	     !strcmp(a.name, a2.name));
	buf_free(&t);
}

static void quote_trip(const char *s)
{
	struct buf q = { 0 };
	struct strv w = { 0 };
	struct err e;
	size_t i;

	need(!rulespec_quote(s, &q));
	for (i = 0; i < q.len; i++)
		need((unsigned char)q.data[i] >= 0x20 && q.data[i] != 0x7f);
	need(rulespec_split(q.data, &w, &e) == 1 && !strcmp(w.v[0], s));
	strv_free(&w);
	buf_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strv w = { 0 };
	struct rulespec r;
	struct err e;
	char *line;

	if (!size)
		return 0;
	line = malloc(size);
	need(line);
	memcpy(line, data + 1, size - 1);
	line[size - 1] = 0;
	addr_trip(line);
	quote_trip(line);
	if (rulespec_split(line, &w, &e) >= 0 &&
	    !rulespec_parse(&r, (enum rule_action)(data[0] % RULE_NACTIONS),
			    (int)w.n, w.v, &e)) {
		round_trip(&r);
		rulespec_free(&r);
	}
	strv_free(&w);
	free(line);
	return 0;
}
