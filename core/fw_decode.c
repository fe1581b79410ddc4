/*
 * fw_decode.c - reading what iptables-save (or `iptables -S`) prints,
 * trusted text: its lines split into words (fw_split_save) and a rule's
 * words decoded into struct fw_rule (fw_rule_decode); anything docker-fw
 * does not read whole makes the rule foreign, never an error.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/fw.h"
#include "dfw/fw_words.h"

/* iptables-save options whose value it prints raw, never quoted, even
 * when it starts with a double quote (an interface `"br`). */
static int raw_value(const char *opt)
{
	static const char *const raw[] = {
		"-A",
		"-N",
		"-P",
		"-i",
		"-o",
		"-j",
		"-g",
		"--in-interface",
		"--out-interface",
		"--jump",
		"--goto",
		"--physdev-in",
		"--physdev-out",
		"--match-set",
	};
	size_t i;

	for (i = 0; i < sizeof(raw) / sizeof(*raw); i++)
		if (!strcmp(opt, raw[i]))
			return 1;
	return 0;
}

/* Room for one more word's offset in x. 0 or -1 (ENOMEM). */
static int words_grow(struct fw_words *x)
{
	size_t cap = x->cap ? 2 * x->cap : 32;
	size_t *off;
	char **v;

	if (x->n < x->cap)
		return 0;
	off = realloc(x->off, cap * sizeof(*off));
	if (!off)
		return -1;
	x->off = off;
	v = realloc(x->v, (cap + 1) * sizeof(*v));
	if (!v)
		return -1;
	x->v = v;
	x->cap = cap;
	return 0;
}

/* The bytes at *p up to a blank, newline or the end appended to w, *p
 * moved past them: 0 or -1 (ENOMEM). A byte at a time as it scans:
 * words are short, and musl's memcpy (rep movsq) costs more to start
 * than most take (#18: 200,000 words in a table of 10,000 rules). */
static int add_raw(struct buf *w, const char **p)
{
	const char *s = *p;
	char c;

	for (; (c = *s) && c != ' ' && c != '\t' && c != '\n'; s++) {
		if (w->len + 1 >= w->cap && buf_reserve(w, 1))
			return -1;
		w->data[w->len++] = c;
	}
	if (buf_reserve(w, 0))
		return -1;
	w->data[w->len] = 0;
	*p = s;
	return 0;
}

int fw_split_save_words(const char *text, struct fw_words *out, size_t *used)
{
	struct buf *w = &out->text;
	const char *p = text;
	size_t i, start;
	int rc = 0, quoted;

	out->n = 0;
	w->len = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n')
			break;
		if (words_grow(out)) {
			rc = -1;
			break;
		}
		start = w->len;
		quoted = *p == '"' &&
			 !(out->n && raw_value(w->data + out->off[out->n - 1]));
		if (quoted) {
			/* xtables_save_string: " and \ escaped, the rest raw,
			 * a newline included: the word goes on */
			for (p++; *p && *p != '"' && !rc;) {
				size_t run = strcspn(p, "\"\\");

				if (run) { /* the bytes up to a quote or
					    * backslash, at once */
					rc = buf_add(w, p, run);
					p += run;
					continue;
				}
				if (*p == '\\' && p[1])
					p++;
				rc = buf_add(w, p, 1);
				p++;
			}
			if (rc)
				break;
			if (!*p) {
				errno = EINVAL; /* never closed */
				rc = -1;
				break;
			}
			p++;
		}
		if (!rc)
			rc = add_raw(w, &p);
		/* each word ends at a NUL of its own: the next starts after */
		if (rc || buf_add(w, "", 1)) {
			rc = -1;
			break;
		}
		out->off[out->n++] = start;
	}
	if (rc) {
		out->n = 0;
		return -1;
	}
	for (i = 0; i < out->n; i++)
		out->v[i] = w->data + out->off[i];
	if (out->v)
		out->v[out->n] = NULL;
	*used = (size_t)(p - text) + (*p == '\n');
	return (int)out->n;
}

void fw_words_free(struct fw_words *x)
{
	buf_free(&x->text);
	free(x->off);
	free(x->v);
	memset(x, 0, sizeof(*x));
}

int fw_split_save(const char *text, struct strv *out, size_t *used)
{
	struct fw_words x = { 0 };
	size_t n0 = out->n, i, u;
	int n = fw_split_save_words(text, &x, &u);

	for (i = 0; n > 0 && i < (size_t)n; i++)
		if (strv_add(out, x.v[i], strlen(x.v[i]))) {
			while (out->n > n0)
				free(out->v[--out->n]);
			n = -1;
			errno = ENOMEM;
		}
	fw_words_free(&x);
	if (n >= 0)
		*used = u;
	return n;
}

/*
 * The rule part of iptables-save words into r; what is not modelled goes
 * to x. -1: not a rule iptables-save printed, or not one docker-fw reads
 * whole (foreign).
 */
static int scan(struct fw_rule *r, char *const *w, size_t n, struct buf *x)
{
	int inv, c, s, matched = 0;
	const char *v;
	size_t i = 0, j;
	char *dst;

	while (i < n) {
		inv = !strcmp(w[i], "!");
		i += inv;
		if (i == n)
			return -1;
		c = fw_opt_letter(w[i]);
		v = i + 1 < n ? w[i + 1] : NULL;
		if (inv && (c == 'm' || c == 'j' || c == 'g' || c == 'p'))
			return -1;
		/* iptables-save prints the ip part before the matches: any
		 * other order is no rule it printed */
		if (matched && strchr("sdiop", c ? c : 'x'))
			return -1;
		switch (c) {
		case 's':
		case 'd':
			s = c == 's';
			if (!v || !fw_zero(s ? r->smsk : r->dmsk, 16) ||
			    fw_addr_parse(v, r->family, s ? r->src : r->dst,
					  s ? r->smsk : r->dmsk))
				return -1;
			if (inv && fw_zero(s ? r->smsk : r->dmsk, 16))
				return -1; /* "! -s 0/0": matches nothing */
			if (inv)
				r->inv |= s ? FW_INV_SRC : FW_INV_DST;
			i += 2;
			break;
		case 'i':
		case 'o':
			dst = c == 'i' ? r->in : r->out;
			if (!v || *dst || strlen(v) >= sizeof(r->in) ||
			    !fw_iface_name_ok(v))
				return -1;
			memcpy(dst, v, strlen(v) + 1);
			if (inv)
				r->inv |= c == 'i' ? FW_INV_IN : FW_INV_OUT;
			i += 2;
			break;
		case 'p':
			if (!v || r->proto)
				return -1;
			if (!strcmp(v, "tcp"))
				r->proto = IPPROTO_TCP;
			else if (!strcmp(v, "udp"))
				r->proto = IPPROTO_UDP;
			else
				return -1;
			i += 2;
			break;
		case 'f':
			if (fw_words_add(x, w + i - inv, 1 + (size_t)inv))
				return -1;
			i++;
			break;
		case 'm':
			if (!v)
				return -1;
			j = fw_match_end(w, n, i);
			if (fw_match_block(r, v, w + i + 2, j - i - 2, 0, x,
					   NULL))
				return -1;
			matched = 1;
			i = j;
			break;
		case 'j':
			if (!v || i + 2 != n ||
			    strlen(v) >= sizeof(r->target) ||
			    !fw_chain_name_ok(v))
				return -1;
			memcpy(r->target, v, strlen(v) + 1);
			i += 2;
			break;
		default: /* a goto, another option of iptables itself */
			return -1;
		}
	}
	return 0;
}

void fw_rule_decode(char *const *w, size_t n, int family, struct fw_rule *r)
{
	struct buf x = { 0 };
	size_t i;

	memset(r, 0, sizeof(*r));
	r->family = family;
	if (!scan(r, w, n, &x) && *r->target && !fw_extra_set(r, &x)) {
		fw_extra_mark(r->extra);
		buf_free(&x);
		return;
	}
	buf_free(&x);
	r->foreign = 1;
	r->extra = NULL;
	if (!*r->target) {
		for (i = 0; i + 1 < n; i++)
			if (!strcmp(w[i], "-j") || !strcmp(w[i], "-g"))
				snprintf(r->target, sizeof(r->target), "%s",
					 w[i + 1]);
	}
}
