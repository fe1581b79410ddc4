/*
 * fuzz_hosts.c - the hosts-file editor (hosts_edit) on arbitrary text,
 * names and addresses. Input: one byte N, N bytes of name, one byte M, M
 * bytes of address (M = 0: remove the entry), then the file.
 *
 * Checked against a reference written here, not against hosts.c:
 * - a name or address that is not one word (empty, a blank, a control
 *   character, DEL or '#'; an address of other than hex digits, '.' and
 *   ':') is refused with EINVAL and nothing appended: no injected line,
 *   alias or comment;
 * - otherwise the other lines are kept byte for byte and in order (a last
 *   line gets its newline), there is exactly one entry for the name in
 *   the address's family (an IPv6 one holds a ':'; none of either family
 *   when removing), "IP\tNAME\t# docker-fw", before the first line that
 *   is not docker-fw's, and no other line is added (the other family's
 *   entry is kept as it was);
 * - the result says whether the text changed; editing again changes
 *   nothing (idempotence); removing the entry gives the other lines back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/hosts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define need(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

static const char mark[] = "\t# docker-fw";

/* A line (without its newline) is docker-fw's: A\tNAME\t# docker-fw, with
 * no tab in A nor in NAME. *name, *nlen: NAME. */
static int ref_ours(const char *l, size_t n, const char **name, size_t *nlen)
{
	size_t m = sizeof(mark) - 1;
	const char *t1 = memchr(l, '\t', n);

	if (!t1 || n < m || memcmp(l + n - m, mark, m))
		return 0;
	if ((size_t)(t1 - l) + 1 > n - m)
		return 0; /* the first tab is the mark's */
	*name = t1 + 1;
	*nlen = (size_t)(l + n - m - *name);
	return !memchr(*name, '\t', *nlen);
}

static int word_ok(const char *s, int ip)
{
	size_t i, n = strlen(s);

	if (!n || n > (ip ? 45u : 255u))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (ip ? !strchr("0123456789abcdefABCDEF.:", c) :
			 c <= ' ' || c == 0x7f || c == '#')
			return 0;
	}
	return 1;
}

/* Lines of t[0..n), each with its newline (one added to a last line). */
struct lines {
	const char **p;
	size_t *len;
	size_t n;
};

static void split(const char *t, size_t n, struct lines *ls)
{
	size_t i = 0;

	ls->p = calloc(n + 1, sizeof(*ls->p));
	ls->len = calloc(n + 1, sizeof(*ls->len));
	ls->n = 0;
	need(ls->p && ls->len);
	while (i < n) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t k = nl ? (size_t)(nl - (t + i)) : n - i;

		ls->p[ls->n] = t + i;
		ls->len[ls->n++] = k;
		i += k + (nl != NULL);
	}
}

/* The entry's family: 6 when its address holds a ':', else 4; what
 * an edit replaces (fam 4 or 6) or removes (fam 0: both). */
static int fam;

static int is_any(const char *l, size_t n, const char *name)
{
	const char *nm;
	size_t nlen;

	return ref_ours(l, n, &nm, &nlen) && nlen == strlen(name) &&
	       !memcmp(nm, name, nlen);
}

static int is_name(const char *l, size_t n, const char *name)
{
	const char *t = memchr(l, '\t', n);

	return is_any(l, n, name) &&
	       (!fam || (memchr(l, ':', (size_t)(t - l)) ? 6 : 4) == fam);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256], ip[256];
	struct buf out = { 0 }, again = { 0 }, gone = { 0 }, rest = { 0 };
	struct lines in, o;
	const char *text, *nm;
	size_t n, m, len, i, k, entry = (size_t)-1, nlen;
	int rc, good;

	if (size < 2)
		return 0;
	n = data[0];
	if (1 + n + 1 > size)
		return 0;
	memcpy(name, data + 1, n);
	name[n] = 0; /* a NUL in it ends the name, as in C */
	m = data[1 + n];
	if (2 + n + m > size)
		return 0;
	memcpy(ip, data + 2 + n, m);
	ip[m] = 0;
	text = (const char *)data + 2 + n + m;
	len = size - 2 - n - m;

	good = word_ok(name, 0) && (!m || word_ok(ip, 1));
	fam = !m ? 0 : strchr(ip, ':') ? 6 : 4;
	errno = 0;
	rc = hosts_edit(text, len, name, m ? ip : NULL, &out);
	if (!good) {
		need(rc == -1 && errno == EINVAL && out.len == 0);
		buf_free(&out);
		return 0;
	}
	need(rc == 0 || rc == 1);
	need(rc == (out.len != len || memcmp(out.data, text, len) != 0));
	need(out.len == 0 || out.data[out.len - 1] == '\n');

	/* the other lines, as they were */
	split(text, len, &in);
	for (i = 0; i < in.n; i++)
		if (!is_name(in.p[i], in.len[i], name)) {
			need(!buf_add(&rest, in.p[i], in.len[i]));
			need(!buf_add(&rest, "\n", 1));
		}
	split(out.data, out.len, &o);
	for (i = k = 0; i < o.n; i++) {
		if (is_name(o.p[i], o.len[i], name)) {
			need(entry == (size_t)-1); /* one entry */
			entry = i;
			continue;
		}
		/* every other line is one of the input's, in order */
		while (k < in.n && is_name(in.p[k], in.len[k], name))
			k++;
		need(k < in.n && o.len[i] == in.len[k] &&
		     !memcmp(o.p[i], in.p[k], o.len[i]));
		k++;
	}
	while (k < in.n && is_name(in.p[k], in.len[k], name))
		k++;
	need(k == in.n); /* none lost */
	if (m) {
		need(entry != (size_t)-1);
		m = strlen(ip); /* up to a NUL in it */
		need(o.len[entry] == m + 1 + strlen(name) + sizeof(mark) - 1);
		need(!memcmp(o.p[entry], ip, m) && o.p[entry][m] == '\t');
		for (i = 0; i < entry; i++) /* only ours before it */
			need(ref_ours(o.p[i], o.len[i], &nm, &nlen));
	} else {
		need(entry == (size_t)-1);
	}
	/* idempotent */
	need(hosts_edit(out.data, out.len, name, m ? ip : NULL, &again) == 0);
	need(again.len == out.len && !memcmp(again.data, out.data, out.len));
	/* removing (both families) gives the other lines back */
	rest.len = 0;
	for (i = 0; i < in.n; i++)
		if (!is_any(in.p[i], in.len[i], name)) {
			need(!buf_add(&rest, in.p[i], in.len[i]));
			need(!buf_add(&rest, "\n", 1));
		}
	for (i = k = 0; i < o.n; i++)
		k += is_any(o.p[i], o.len[i], name);
	need(hosts_edit(out.data, out.len, name, NULL, &gone) == (k > 0));
	need(gone.len == rest.len &&
	     (!rest.len || !memcmp(gone.data, rest.data, rest.len)));

	free(in.p);
	free(in.len);
	free(o.p);
	free(o.len);
	buf_free(&out);
	buf_free(&again);
	buf_free(&gone);
	buf_free(&rest);
	return 0;
}
