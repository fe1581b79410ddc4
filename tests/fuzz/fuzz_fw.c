/*
 * fuzz_fw.c - the rule text docker-fw reads from iptables-nft-save
 * (fw_split_save, and fw_split for restore text, then fw_rule_decode)
 * and writes (fw_rule_format, fw_quote, fw_change_format), and the
 * --filter words it takes (fw_rule_filter): no crash, and
 * - a fixed point: a rule decoded, formatted and decoded again is the
 *   same rule (decode(format(decode(x))) == decode(x)), so replay finds
 *   its own rules;
 * - whatever bytes a value holds, what is written is one line, and
 *   split as iptables-restore splits it, gives each value back as one
 *   word: the comment after --comment, the interfaces after -i/-o, the
 *   target last, the chain after -I; a value that cannot be so is
 *   refused (EINVAL), never passed through.
 * Both families; the first byte's low bit picks IPv6.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/docker.h"
#include "dfw/fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define need(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

/* The value of -i or -o in words w as fw_rule_format writes them (the
 * ip part first: -s, -d, -i, -o, each followed by its value, whatever
 * that looks like), or NULL. */
static const char *after(const struct strv *w, const char *opt)
{
	size_t i;

	for (i = 0; i + 1 < w->n; i++) {
		if (!strcmp(w->v[i], opt))
			return w->v[i + 1];
		if (!strcmp(w->v[i], "-s") || !strcmp(w->v[i], "-d") ||
		    !strcmp(w->v[i], "-i") || !strcmp(w->v[i], "-o"))
			i++;
	}
	return NULL;
}

/* r (writable) is written as one line whose words give its values back;
 * with again, read back as r (a --filter's conditions are iptables' to
 * judge: fw_nft_canon brings them to a form that reads back). */
static void written(const struct fw_rule *r, int again)
{
	struct strv w = { 0 };
	struct buf b = { 0 };
	struct fw_rule d;

	need(!fw_rule_check(r, NULL));
	need(!fw_rule_format(r, &b));
	need(b.data && !strchr(b.data, '\n') && !strchr(b.data, '\r'));
	need(strlen(b.data) == b.len);
	need(fw_split(b.data, &w) > 0);
	if (r->comment) /* "-m comment --comment C -j T", last */
		need(w.n >= 6 && !strcmp(w.v[w.n - 4], "--comment") &&
		     !strcmp(w.v[w.n - 3], r->comment));
	if (*r->in)
		need(after(&w, "-i") && !strcmp(after(&w, "-i"), r->in));
	if (*r->out)
		need(after(&w, "-o") && !strcmp(after(&w, "-o"), r->out));
	need(!strcmp(w.v[w.n - 1], r->target));
	fw_rule_decode(w.v, w.n, r->family, &d);
	need(!again || fw_rule_equal(r, &d));
	strv_free(&w);
	buf_free(&b);
}

/* Words w decoded: what is not foreign is written right. */
static void decoded(const struct strv *w, int fam)
{
	struct fw_rule d;

	fw_rule_decode(w->v, w->n, fam, &d);
	if (!d.foreign)
		written(&d, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct strv w = { 0 }, w2 = { 0 };
	struct fw_change c;
	char cm[256];
	struct fw_rule f;
	struct buf b = { 0 };
	struct err e;
	int fam = size && (data[0] & 1) ? AF_INET6 : AF_INET, n;
	size_t i, used;

	need(s);
	memcpy(s, data, size);
	s[size] = 0;
	if (strlen(s) != size)
		goto out;
	/* as iptables-nft-save prints rules */
	n = fw_split_save(s, &w, &used);
	need(n >= 0 || errno == EINVAL);
	if (n >= 0) {
		need(used <= size);
		if (w.n > 2 && !strcmp(w.v[0], "-A")) {
			struct strv rest = { w.v + 2, w.n - 2 };

			decoded(&rest, fam);
		}
	}
	strv_free(&w);
	/* as restore text (and --filter words) */
	if (fw_split(s, &w) < 0)
		goto out;
	decoded(&w, fam);
	/* any word quoted is that one word, or refused */
	for (i = 0; i < w.n; i++) {
		b.len = 0;
		if (fw_quote(w.v[i], &b)) {
			need(errno == EINVAL);
			continue;
		}
		need(!strchr(b.data, '\n'));
		strv_free(&w2);
		need(fw_split(b.data, &w2) == 1 && !strcmp(w2.v[0], w.v[i]));
	}
	memset(&f, 0, sizeof(f));
	f.family = fam;
	f.proto = IPPROTO_TCP;
	f.dport = size & 2 ? 80 : 0;
	strcpy(f.target, "ACCEPT");
	if (!fw_rule_filter(&f, w.v, w.n, 1, &e))
		written(&f, !f.extra);
	memset(&f, 0, sizeof(f));
	f.family = fam;
	strcpy(f.target, "DROP");
	if (!fw_rule_filter(&f, w.v, w.n, 0, &e))
		written(&f, 1);
	/* values from anywhere as a change: one line, or refused */
	if (w.n >= 3) {
		memset(&c, 0, sizeof(c));
		c.op = FW_INSERT;
		c.pos = 1;
		c.rule.family = fam;
		snprintf(c.chain, sizeof(c.chain), "%s", w.v[0]);
		snprintf(cm, sizeof(cm), "%s", w.v[1]);
		need(!fw_set_comment(&c.rule, cm));
		snprintf(c.rule.in, sizeof(c.rule.in), "%s", w.v[2]);
		snprintf(c.rule.target, sizeof(c.rule.target), "%s",
			 w.n > 3 ? w.v[3] : "ACCEPT");
		b.len = 0;
		if (!fw_change_check(&c, &e)) {
			need(!fw_change_format(&c, &b));
			need(!strchr(b.data, '\n'));
			strv_free(&w2);
			need(fw_split(b.data, &w2) > 3);
			need(!strcmp(w2.v[1], c.chain));
			written(&c.rule, 1);
		} else {
			need(fw_change_format(&c, &b) || errno == ENOMEM ||
			     b.len > FW_LINE_MAX);
		}
	}
out:
	strv_free(&w);
	strv_free(&w2);
	buf_free(&b);
	free(s);
	return 0;
}
