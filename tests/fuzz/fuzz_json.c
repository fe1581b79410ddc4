/*
 * fuzz_json.c - json_parse on arbitrary bytes: with and without
 * JSON_PREFIX, counting and not, on prefixes, and a round trip through
 * json_string and json_escape. Inputs are copied to exact-size heap
 * blocks so ASan sees any read past the end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/json.h"
#include "dfw/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define need(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

static char *dup_exact(const uint8_t *data, size_t n)
{
	char *p = malloc(n ? n : 1);

	need(p);
	if (n)
		memcpy(p, data, n);
	return p;
}

/* Parses data[0..n) from its own block; the count mode must agree. */
static int parse(const uint8_t *data, size_t n, struct json_tok *t, unsigned nt,
		 unsigned flags, size_t *pos)
{
	char *s = dup_exact(data, n);
	size_t p2 = 0;
	int r, r2;

	r = json_parse(s, n, t, nt, flags, pos);
	r2 = json_parse(s, n, NULL, 0, flags, &p2);
	need(r == r2 || (r == JSON_ENOMEM && nt < n + 1));
	need(r != r2 || *pos == p2);
	free(s);
	return r;
}

static void check_tree(const struct json_tok *t, int n, size_t len)
{
	int i, j, k, obj;

	for (i = 0; i < n; i++) {
		need(t[i].start <= t[i].end && t[i].end <= len);
		need(t[i].next > (unsigned)i && t[i].next <= (unsigned)n);
		need(t[i].parent < i && (i == 0) == (t[i].parent == -1));
	}
	need(t[0].next == (unsigned)n);
	for (i = 0; i < n; i++) {
		obj = t[i].type == JSON_OBJECT;
		if (!obj && t[i].type != JSON_ARRAY) {
			need(t[i].size == 0 && t[i].next == (unsigned)i + 1);
			continue;
		}
		for (j = i + 1, k = 0; j < (int)t[i].next; j = t[j].next, k++)
			need(t[j].parent == i && t[j].start >= t[i].start &&
			     t[j].end <= t[i].end &&
			     (!obj || (k & 1) || t[j].type == JSON_STRING));
		need(j == (int)t[i].next);
		need((unsigned)k == t[i].size * (obj + 1));
	}
}

/* Every string decodes, into no more bytes than its escaped text. */
static void check_values(const char *s, const struct json_tok *t, int n)
{
	char *out;
	int64_t v;
	int i, len;

	for (i = 0; i < n; i++) {
		if (t[i].type == JSON_NUMBER)
			need(!json_int(s, &t[i], &v) || errno == EINVAL ||
			     errno == ERANGE);
		if (t[i].type != JSON_STRING)
			continue;
		out = malloc(t[i].end - t[i].start + 1);
		need(out);
		len = json_string(s, &t[i], out, t[i].end - t[i].start + 1);
		need(len >= 0 && (unsigned)len <= t[i].end - t[i].start);
		need(json_streq(s, &t[i], out) == (strlen(out) == (size_t)len));
		free(out);
	}
}

/* json_get finds each key, or an equal one before it. */
static void check_keys(const char *s, const struct json_tok *t, int n)
{
	char *out;
	unsigned k;
	int i, j, g, len;

	for (i = 0; i < n; i++) {
		if (t[i].type != JSON_OBJECT)
			continue;
		for (j = i + 1, k = 0; k < t[i].size; k++, j = t[j + 1].next) {
			out = malloc(t[j].end - t[j].start + 1);
			need(out);
			len = json_string(s, &t[j], out,
					  t[j].end - t[j].start + 1);
			g = json_get(s, t, i, out);
			if (strlen(out) == (size_t)len)
				need(g > i && g <= j + 1 &&
				     json_streq(s, &t[g - 1], out));
			free(out);
		}
	}
}

struct open {
	int tok;
	unsigned kids;
};

static void emit(struct buf *b, const char *s, const struct json_tok *t)
{
	char *out;
	int len;

	if (t->type != JSON_STRING) {
		need(!buf_add(b, s + t->start, t->end - t->start));
		return;
	}
	out = malloc(t->end - t->start + 1);
	need(out);
	len = json_string(s, t, out, t->end - t->start + 1);
	need(len >= 0 && !json_escape(b, out, (size_t)len));
	free(out);
}

/* Writes the tokens back out as JSON, without recursion. */
static void reserialise(struct buf *b, const char *s, const struct json_tok *t,
			int n)
{
	struct open st[JSON_MAX_DEPTH];
	int i, sp = 0;

	for (i = 0; i <= n; i++) {
		while (sp && (i == n || t[st[sp - 1].tok].next <= (unsigned)i))
			need(!buf_add(b,
				      t[st[--sp].tok].type == JSON_OBJECT ?
					      "}" :
					      "]",
				      1));
		if (i == n)
			break;
		if (sp && st[sp - 1].kids)
			need(!buf_add(b,
				      t[st[sp - 1].tok].type == JSON_OBJECT &&
						      (st[sp - 1].kids & 1) ?
					      ":" :
					      ",",
				      1));
		if (sp)
			st[sp - 1].kids++;
		if (t[i].type == JSON_OBJECT || t[i].type == JSON_ARRAY) {
			need(sp < JSON_MAX_DEPTH);
			need(!buf_add(b, t[i].type == JSON_OBJECT ? "{" : "[",
				      1));
			st[sp].tok = i;
			st[sp++].kids = 0;
		} else {
			emit(b, s, &t[i]);
		}
	}
}

/* The round trip keeps the shape and the decoded strings. */
static void check_roundtrip(const char *s, const struct json_tok *t, int n)
{
	struct buf b = { 0 };
	struct json_tok *t2 = malloc(sizeof(*t2) * (size_t)n);
	char *o1, *o2;
	int i, l1, l2;

	need(t2);
	reserialise(&b, s, t, n);
	need(json_parse(b.data, b.len, t2, (unsigned)n, 0, NULL) == n);
	for (i = 0; i < n; i++) {
		need(t2[i].type == t[i].type && t2[i].size == t[i].size &&
		     t2[i].next == t[i].next && t2[i].parent == t[i].parent);
		if (t[i].type != JSON_STRING)
			continue;
		o1 = malloc(t[i].end - t[i].start + 1);
		o2 = malloc(t2[i].end - t2[i].start + 1);
		need(o1 && o2);
		l1 = json_string(s, &t[i], o1, t[i].end - t[i].start + 1);
		l2 = json_string(b.data, &t2[i], o2,
				 t2[i].end - t2[i].start + 1);
		need(l1 == l2 && l1 >= 0 && !memcmp(o1, o2, (size_t)l1));
		free(o1);
		free(o2);
	}
	free(t2);
	buf_free(&b);
}

/*
 * A prefix either needs more, or fails where the whole text fails; the
 * proper prefixes of an object or array always need more.
 */
static void check_prefix(const uint8_t *data, size_t k, struct json_tok *t,
			 int r, size_t pos, unsigned flags)
{
	size_t pk;
	int rk;

	rk = parse(data, k, t, (unsigned)k + 1, flags, &pk);
	if (rk == JSON_EINVAL || rk == JSON_EDEPTH)
		need(r == rk && pk == pos);
	need(rk != JSON_ENOMEM && rk != JSON_ETOOBIG);
}

static void check_prefix_mode(const uint8_t *data, size_t size,
			      struct json_tok *t, int r, size_t pos,
			      unsigned first_type, unsigned first_end)
{
	size_t p2, p3;
	int r2;

	r2 = parse(data, size, t, (unsigned)size + 1, JSON_PREFIX, &p2);
	if (r > 0)
		need(r2 == r ||
		     (r2 == JSON_EPART && first_type == JSON_NUMBER &&
		      first_end == size));
	if (r2 == JSON_EPART)
		need(r == JSON_EPART || (r > 0 && first_type == JSON_NUMBER));
	if (r2 == JSON_EINVAL || r2 == JSON_EDEPTH)
		need(r == r2 && p2 == pos);
	if (r2 > 0) {
		need(p2 <= size);
		need(parse(data, p2, t, (unsigned)p2 + 1, 0, &p3) == r2);
		need(p3 == p2);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tok *t = malloc(sizeof(*t) * (size + 1));
	unsigned type = 0, end = 0;
	size_t pos, p;
	char *s;
	int r;

	need(t);
	r = parse(data, size, t, (unsigned)size + 1, 0, &pos);
	need(r != JSON_ENOMEM && r != JSON_ETOOBIG);
	if (r > 0) {
		need(pos == size);
		check_tree(t, r, size);
		s = dup_exact(data, size);
		check_values(s, t, r);
		check_keys(s, t, r);
		check_roundtrip(s, t, r);
		if (r > 1)
			need(json_parse(s, size, t, (unsigned)r - 1, 0, &p) ==
			     JSON_ENOMEM);
		free(s);
		parse(data, size, t, (unsigned)size + 1, 0, &pos);
		type = t[0].type;
		end = t[0].end;
		if (type == JSON_OBJECT || type == JSON_ARRAY)
			need(parse(data, end - 1, t, end, 0, &p) == JSON_EPART);
	}
	if (size) {
		check_prefix(data, size - 1, t, r, pos, 0);
		check_prefix(data, data[0] % size, t, r, pos, 0);
		check_prefix(data, size / 2, t, r, pos, JSON_PREFIX);
	}
	check_prefix_mode(data, size, t, r, pos, type, end);
	free(t);
	return 0;
}
