/* json.c - a strict RFC 8259 tokenizer over a caller's buffer. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "dfw/json.h"
#include "dfw/util.h"

/* What the next non-blank byte may be. */
enum {
	WANT_VALUE,
	WANT_VALUE_OR_CLOSE, /* just after '[' */
	WANT_KEY,
	WANT_KEY_OR_CLOSE, /* just after '{' */
	WANT_COLON,
	WANT_COMMA_OR_CLOSE,
	WANT_END, /* the top-level value is complete */
};

/*
 * The open containers live in a bit stack (1: object) rather than in the
 * tokens, so counting mode can match brackets too, and nothing recurses.
 */
struct parser {
	const unsigned char *s;
	size_t len;
	size_t i;	       /* next byte; the error offset on failure */
	struct json_tok *toks; /* NULL: count only */
	unsigned ntoks;
	unsigned n; /* tokens so far */
	int cur;    /* innermost open container in toks, or -1 */
	unsigned flags;
	unsigned depth;
	int state;
	unsigned char objs[(JSON_MAX_DEPTH + 7) / 8];
};

static int fail(struct parser *p, size_t at)
{
	p->i = at;
	return JSON_EINVAL;
}

static int is_digit(unsigned c)
{
	return c - '0' < 10;
}

static int hex_val(unsigned c)
{
	if (is_digit(c))
		return (int)(c - '0');
	c |= 0x20;
	return c - 'a' < 6 ? (int)(c - 'a' + 10) : -1;
}

static int top_is_obj(const struct parser *p)
{
	unsigned d = p->depth - 1;

	return p->depth && (p->objs[d / 8] >> (d % 8) & 1);
}

static void skip_ws(struct parser *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
				 p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

/*
 * Counting stops at INT_MAX even without toks: the count is returned as
 * an int and parent links are int32_t. Without toks, a ntoks other than 0
 * caps the count too (a caller's bound on what it would allocate).
 */
static int new_tok(struct parser *p, unsigned type, size_t start, size_t end)
{
	unsigned max = (p->toks || p->ntoks) && p->ntoks < INT_MAX ? p->ntoks :
								     INT_MAX;
	struct json_tok *t;

	if (p->n >= max)
		return JSON_ENOMEM;
	if (!p->toks)
		return (int)p->n++;
	t = &p->toks[p->n];
	t->type = type;
	t->start = (uint32_t)start;
	t->end = (uint32_t)end;
	t->size = 0;
	t->next = p->n + 1;
	t->parent = p->cur;
	/* A member is counted at its key, not again at its value. */
	if (p->cur >= 0 && !(p->state == WANT_VALUE && top_is_obj(p)))
		p->toks[p->cur].size++;
	return (int)p->n++;
}

static void value_done(struct parser *p)
{
	p->state = p->depth ? WANT_COMMA_OR_CLOSE : WANT_END;
}

/*
 * Unicode table 3-7: the second byte's range depends on the first, which
 * rules out overlongs, UTF-16 surrogates and code points past U+10FFFF.
 */
static int scan_utf8(const unsigned char *s, size_t len, size_t *ip)
{
	size_t i = *ip, k, n;
	unsigned c = s[i], lo = 0x80, hi = 0xbf;

	if (c < 0xc2 || c > 0xf4)
		return JSON_EINVAL;
	n = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (k = 1; k <= n; k++, lo = 0x80, hi = 0xbf) {
		if (i + k >= len)
			return JSON_EPART;
		if (s[i + k] < lo || s[i + k] > hi) {
			*ip = i + k;
			return JSON_EINVAL;
		}
	}
	*ip = i + n + 1;
	return 0;
}

/*
 * Reads the 4 hex digits at s[*ip] into *u. The value must fall in
 * [lo, hi]; that is checked after each digit, so a prefix fails exactly
 * where the whole text would: at a bad digit, or for a bad range at the
 * escape's backslash.
 */
static int scan_hex4(const unsigned char *s, size_t len, size_t *ip,
		     unsigned lo, unsigned hi, unsigned *u)
{
	size_t i = *ip;
	unsigned k, v = 0, sh;
	int d;

	for (k = 0; k < 4; k++) {
		if (i + k >= len)
			return JSON_EPART;
		d = hex_val(s[i + k]);
		if (d < 0) {
			*ip = i + k;
			return JSON_EINVAL;
		}
		v = v << 4 | (unsigned)d;
		sh = 12 - 4 * k;
		if (v << sh > hi || (v << sh | ((1u << sh) - 1)) < lo) {
			*ip = i - 2;
			return JSON_EINVAL;
		}
	}
	*ip = i + 4;
	*u = v;
	return 0;
}

/* The "\uDC00".."\uDFFF" that must follow a high surrogate at s[*ip]. */
static int scan_low(const unsigned char *s, size_t len, size_t *ip)
{
	size_t i = *ip + 6;
	unsigned u;
	int r;

	if (i >= len || (s[i] == '\\' && i + 1 >= len))
		return JSON_EPART;
	if (s[i] != '\\' || s[i + 1] != 'u')
		return JSON_EINVAL;
	i += 2;
	r = scan_hex4(s, len, &i, 0xdc00, 0xdfff, &u);
	if (r != JSON_EPART)
		*ip = i;
	return r;
}

/* A \u escape at s[*ip]: lone surrogates are invalid (RFC 8259 sec. 8.2). */
static int scan_uescape(const unsigned char *s, size_t len, size_t *ip)
{
	size_t at = *ip, i = at + 2;
	unsigned u;
	int r;

	r = scan_hex4(s, len, &i, 0, 0xffff, &u);
	if (r) {
		*ip = i;
		return r;
	}
	if (u >= 0xdc00 && u <= 0xdfff)
		return JSON_EINVAL;
	if (u < 0xd800 || u > 0xdbff) {
		*ip = i;
		return 0;
	}
	return scan_low(s, len, ip);
}

static int scan_escape(const unsigned char *s, size_t len, size_t *ip)
{
	size_t i = *ip;

	if (i + 1 >= len)
		return JSON_EPART;
	if (s[i + 1] == 'u')
		return scan_uescape(s, len, ip);
	if (!s[i + 1] || !strchr("\"\\/bfnrt", s[i + 1])) {
		*ip = i + 1;
		return JSON_EINVAL;
	}
	*ip = i + 2;
	return 0;
}

/* The string at p->i (its opening quote); p->i ends past the closing one. */
static int scan_string(struct parser *p)
{
	size_t i = p->i + 1;
	unsigned c;
	int r;

	while (i < p->len) {
		c = p->s[i];
		if (c == '"') {
			p->i = i + 1;
			return 0;
		}
		if (c < 0x20)
			return fail(p, i);
		if (c < 0x80 && c != '\\') {
			i++;
			continue;
		}
		r = c == '\\' ? scan_escape(p->s, p->len, &i) :
				scan_utf8(p->s, p->len, &i);
		if (r) {
			p->i = i;
			return r;
		}
	}
	return JSON_EPART;
}

static int string_tok(struct parser *p)
{
	size_t start = p->i + 1;
	int r = scan_string(p);

	return r ? r : new_tok(p, JSON_STRING, start, p->i - 1);
}

/* RFC 8259 wants a digit after "-", "." and "e"; a prefix may lack it. */
static int scan_digits(struct parser *p)
{
	if (p->i == p->len)
		return JSON_EPART;
	if (!is_digit(p->s[p->i]))
		return JSON_EINVAL;
	while (p->i < p->len && is_digit(p->s[p->i]))
		p->i++;
	return 0;
}

static int scan_number(struct parser *p)
{
	int r;

	if (p->s[p->i] == '-')
		p->i++;
	if (p->i < p->len && p->s[p->i] == '0') {
		p->i++;
		if (p->i < p->len && is_digit(p->s[p->i]))
			return JSON_EINVAL;
	} else if ((r = scan_digits(p))) {
		return r;
	}
	if (p->i < p->len && p->s[p->i] == '.') {
		p->i++;
		if ((r = scan_digits(p)))
			return r;
	}
	if (p->i < p->len && (p->s[p->i] | 0x20) == 'e') {
		p->i++;
		if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if ((r = scan_digits(p)))
			return r;
	}
	return 0;
}

/*
 * Only a top-level number can end at the end of the text and be whole;
 * in JSON_PREFIX mode more digits may still come.
 */
static int number_tok(struct parser *p)
{
	size_t start = p->i;
	int r = scan_number(p);

	if (r)
		return r;
	if (p->i == p->len && !p->depth && (p->flags & JSON_PREFIX))
		return JSON_EPART;
	return new_tok(p, JSON_NUMBER, start, p->i);
}

static int literal_tok(struct parser *p, const char *word, unsigned type)
{
	size_t start = p->i, k;

	for (k = 0; word[k]; k++) {
		if (start + k >= p->len)
			return JSON_EPART;
		if (p->s[start + k] != (unsigned char)word[k])
			return fail(p, start + k);
	}
	p->i = start + k;
	return new_tok(p, type, start, p->i);
}

static int open_tok(struct parser *p, unsigned c)
{
	unsigned d = p->depth;
	int r;

	if (d == JSON_MAX_DEPTH)
		return JSON_EDEPTH;
	r = new_tok(p, c == '{' ? JSON_OBJECT : JSON_ARRAY, p->i, p->i);
	if (r < 0)
		return r;
	if (c == '{')
		p->objs[d / 8] |= (unsigned char)(1u << (d % 8));
	else
		p->objs[d / 8] &= (unsigned char)~(1u << (d % 8));
	p->depth++;
	if (p->toks)
		p->cur = r;
	p->i++;
	p->state = c == '{' ? WANT_KEY_OR_CLOSE : WANT_VALUE_OR_CLOSE;
	return 0;
}

static int close_tok(struct parser *p, unsigned c)
{
	struct json_tok *t;

	if (c != (top_is_obj(p) ? '}' : ']'))
		return fail(p, p->i);
	p->depth--;
	p->i++;
	if (p->toks) {
		t = &p->toks[p->cur];
		t->end = (uint32_t)p->i;
		t->next = p->n;
		p->cur = t->parent;
	}
	value_done(p);
	return 0;
}

static int value(struct parser *p, unsigned c)
{
	int r;

	switch (c) {
	case '{':
	case '[':
		return open_tok(p, c);
	case '"':
		r = string_tok(p);
		break;
	case 't':
		r = literal_tok(p, "true", JSON_TRUE);
		break;
	case 'f':
		r = literal_tok(p, "false", JSON_FALSE);
		break;
	case 'n':
		r = literal_tok(p, "null", JSON_NULL);
		break;
	default:
		if (c != '-' && !is_digit(c))
			return JSON_EINVAL;
		r = number_tok(p);
	}
	if (r >= 0)
		value_done(p);
	return r < 0 ? r : 0;
}

static int step(struct parser *p)
{
	unsigned c = p->s[p->i];
	int r;

	switch (p->state) {
	case WANT_COLON:
		if (c != ':')
			return JSON_EINVAL;
		p->i++;
		p->state = WANT_VALUE;
		return 0;
	case WANT_COMMA_OR_CLOSE:
		if (c != ',')
			return close_tok(p, c);
		p->i++;
		p->state = top_is_obj(p) ? WANT_KEY : WANT_VALUE;
		return 0;
	case WANT_KEY_OR_CLOSE:
		if (c == '}')
			return close_tok(p, c);
		/* fall through */
	case WANT_KEY:
		if (c != '"')
			return JSON_EINVAL;
		r = string_tok(p);
		if (r >= 0)
			p->state = WANT_COLON;
		return r < 0 ? r : 0;
	case WANT_VALUE_OR_CLOSE:
		if (c == ']')
			return close_tok(p, c);
		/* fall through */
	default:
		return value(p, c);
	}
}

static int run(struct parser *p)
{
	int r;

	for (;;) {
		if (p->state == WANT_END)
			break;
		skip_ws(p);
		if (p->i == p->len)
			return JSON_EPART;
		r = step(p);
		if (r < 0)
			return r;
	}
	if (p->flags & JSON_PREFIX)
		return (int)p->n;
	skip_ws(p);
	return p->i < p->len ? JSON_EINVAL : (int)p->n;
}

int json_parse(const char *s, size_t len, struct json_tok *toks, unsigned ntoks,
	       unsigned flags, size_t *pos)
{
	struct parser p = {
		.s = (const unsigned char *)s,
		.len = len,
		.toks = toks,
		.ntoks = ntoks,
		.cur = -1,
		.flags = flags,
		.state = WANT_VALUE,
	};
	int r = JSON_ETOOBIG;

	if (len <= UINT32_MAX - 1)
		r = run(&p);
	if (r == JSON_EPART)
		p.i = len;
	if (pos)
		*pos = p.i;
	return r;
}

const char *json_strerror(int code)
{
	switch (code) {
	case JSON_EPART:
		return "truncated JSON";
	case JSON_EINVAL:
		return "invalid JSON";
	case JSON_ENOMEM:
		return "too many JSON tokens";
	case JSON_EDEPTH:
		return "JSON nested too deep";
	case JSON_ETOOBIG:
		return "JSON text too long";
	}
	return code >= 0 ? "success" : "unknown JSON error";
}

static int hex4(const char *s)
{
	int k, d, v = 0;

	for (k = 0; k < 4; k++) {
		d = hex_val((unsigned char)s[k]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static size_t put_utf8(char *out, unsigned long u)
{
	if (u < 0x80) {
		out[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		out[0] = (char)(0xc0 | u >> 6);
		out[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		out[0] = (char)(0xe0 | u >> 12);
		out[1] = (char)(0x80 | (u >> 6 & 0x3f));
		out[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | u >> 18);
	out[1] = (char)(0x80 | (u >> 12 & 0x3f));
	out[2] = (char)(0x80 | (u >> 6 & 0x3f));
	out[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/*
 * The code point of the \u escape at s[i] (i + 6 <= end), with its low
 * surrogate when one follows; *len gets the escape text's length.
 */
static long decode_u(const char *s, size_t i, size_t end, size_t *len)
{
	long u = hex4(s + i + 2), lo;

	*len = 6;
	if (u < 0xd800 || u > 0xdbff || i + 12 > end || s[i + 6] != '\\' ||
	    s[i + 7] != 'u')
		return u;
	lo = hex4(s + i + 8);
	if (lo < 0xdc00 || lo > 0xdfff)
		return u;
	*len = 12;
	return 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
}

/*
 * Decodes one byte or escape of string text at s[*ip] (< end) into out
 * (4 bytes). Tokens come from json_parse, so escapes are whole; the bounds
 * checks only keep a forged token from reading past its end.
 */
static size_t decode(const char *s, size_t *ip, size_t end, char *out)
{
	static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
	size_t i = *ip, n;
	const char *p;
	long u;

	*ip = i + 1;
	if (s[i] != '\\' || i + 1 >= end) {
		*out = s[i];
		return 1;
	}
	*ip = i + 2;
	if (s[i + 1] != 'u' || i + 6 > end) {
		p = s[i + 1] ? strchr(from, s[i + 1]) : NULL;
		*out = p ? to[p - from] : s[i + 1];
		return 1;
	}
	u = decode_u(s, i, end, &n);
	*ip = i + n;
	return put_utf8(out, u < 0 ? 0xfffd : (unsigned long)u);
}

int json_streq(const char *s, const struct json_tok *t, const char *str)
{
	size_t i, k, n, j = 0;
	char c[4];

	if (t->type != JSON_STRING)
		return 0;
	for (i = t->start; i < t->end;) {
		n = decode(s, &i, t->end, c);
		/* str's NUL ends it, so a decoded NUL never matches. */
		for (k = 0; k < n; k++, j++)
			if (!str[j] || str[j] != c[k])
				return 0;
	}
	return !str[j];
}

int json_string(const char *s, const struct json_tok *t, char *out,
		size_t outsz)
{
	size_t i, k, n = 0;
	char c[4];

	if (t->type != JSON_STRING) {
		errno = EINVAL;
		return -1;
	}
	for (i = t->start; i < t->end; n += k) {
		k = decode(s, &i, t->end, c);
		if (n + k >= outsz || n + k > INT_MAX)
			goto range;
		memcpy(out + n, c, k);
	}
	if (n >= outsz)
		goto range;
	out[n] = 0;
	return (int)n;
range:
	if (outsz)
		out[0] = 0;
	errno = ERANGE;
	return -1;
}

int json_int(const char *s, const struct json_tok *t, int64_t *v)
{
	size_t i = t->start;
	uint64_t m = 0, max = INT64_MAX;
	unsigned d;
	int neg;

	neg = t->type == JSON_NUMBER && i < t->end && s[i] == '-';
	i += (size_t)neg;
	if (t->type != JSON_NUMBER || i == t->end)
		goto inval;
	for (; i < t->end; i++)
		if (!is_digit((unsigned char)s[i]))
			goto inval;
	max += (uint64_t)neg;
	for (i = t->start + (size_t)neg; i < t->end; i++) {
		d = (unsigned char)s[i] - '0';
		if (m > (max - d) / 10) {
			errno = ERANGE;
			return -1;
		}
		m = m * 10 + d;
	}
	/* -(m - 1) - 1 reaches INT64_MIN without overflowing. */
	*v = neg && m ? -(int64_t)(m - 1) - 1 : (int64_t)m;
	return 0;
inval:
	errno = EINVAL;
	return -1;
}

int json_bool(const struct json_tok *t)
{
	return t->type == JSON_TRUE ? 1 : t->type == JSON_FALSE ? 0 : -1;
}

int json_get(const char *s, const struct json_tok *toks, int obj,
	     const char *key)
{
	uint32_t k;
	int i;

	if (obj < 0 || toks[obj].type != JSON_OBJECT)
		return -1;
	for (i = obj + 1, k = 0; k < toks[obj].size; k++) {
		if (json_streq(s, &toks[i], key))
			return i + 1;
		i = (int)toks[i + 1].next;
	}
	return -1;
}

int json_path(const char *s, const struct json_tok *toks, int obj, ...)
{
	const char *key;
	va_list ap;

	va_start(ap, obj);
	while (obj >= 0 && (key = va_arg(ap, const char *)))
		obj = json_get(s, toks, obj, key);
	va_end(ap);
	return obj < 0 ? -1 : obj;
}

static int escape_byte(struct buf *b, unsigned char c)
{
	static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
	const char *p = c ? strchr(from, c) : NULL;
	char e[2] = { '\\', 0 };

	if (!p)
		return buf_printf(b, "\\u%04x", c);
	e[1] = to[p - from];
	return buf_add(b, e, 2);
}

int json_escape(struct buf *b, const char *str, size_t n)
{
	const unsigned char *u = (const unsigned char *)str;
	size_t old = b->len, i = 0, run;

	if (buf_add(b, "\"", 1))
		return -1;
	while (i < n) {
		for (run = i; run < n && u[run] >= 0x20 && u[run] != '"' &&
			      u[run] != '\\';
		     run++)
			;
		if (buf_add(b, u + i, run - i) ||
		    (run < n && escape_byte(b, u[run])))
			goto nomem;
		i = run + (run < n);
	}
	if (!buf_add(b, "\"", 1))
		return 0;
nomem:
	/* All or nothing, like the buf_ functions themselves. */
	b->len = old;
	if (b->data)
		b->data[old] = 0;
	return -1;
}
