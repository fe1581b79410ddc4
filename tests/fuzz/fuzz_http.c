/*
 * fuzz_http.c - libFuzzer target for the HTTP response parsers.
 *
 * http_parse_head on the input (an exactly-sized copy, so ASan sees any
 * read past the end), with its prefix property; http_chunked_decode on the
 * input after its first byte, whole and split in two at a point the first
 * byte picks: the decoder is a byte-level state machine, so both runs must
 * agree on the outcome, the decoded bytes and the tail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define need(c) \
	do { \
		if (!(c)) \
			__builtin_trap(); \
	} while (0)

static char *copy(const uint8_t *p, size_t n)
{
	char *c = malloc(n ? n : 1);

	need(c);
	if (n)
		memcpy(c, p, n);
	return c;
}

static void fuzz_head(const uint8_t *data, size_t size)
{
	struct http_head h, h2;
	const char *why = NULL;
	char *p = copy(data, size);
	int r, r2;

	r = http_parse_head(p, size, &h, &why);
	need(r == HTTP_EPART || r == HTTP_EINVAL ||
	     (r > 0 && (size_t)r <= size));
	need(why);
	if (r == HTTP_EINVAL)
		need(*why);
	if (r > 0) {
		need(h.status >= 100 && h.status <= 599);
		need(h.minor >= 0 && h.minor <= 9);
		need(h.content_length >= -1);
		need(memchr(h.api_version, 0, sizeof(h.api_version)));
		need(memchr(h.content_type, 0, sizeof(h.content_type)));
		/* the head without its last byte needs more */
		need(http_parse_head(p, (size_t)r - 1, &h2, &why) ==
		     HTTP_EPART);
		/* and the answer does not depend on what follows */
		r2 = http_parse_head(p, (size_t)r, &h2, &why);
		need(r2 == r && !memcmp(&h, &h2, sizeof(h)));
	} else if (r == HTTP_EPART && size) {
		/* a prefix of "need more" needs more too */
		need(http_parse_head(p, size - 1 - data[0] % size, &h2, &why) ==
		     HTTP_EPART);
	}
	free(p);
}

/* Decodes a copy of in[0..n) with d: the result; out gets the decoded
 * bytes, *tail the bytes after the body (both appended). */
static ssize_t decode(struct http_chunked *d, const uint8_t *in, size_t n,
		      char *out, size_t *olen, char *tail, size_t *tlen)
{
	char *p = copy(in, n);
	const char *why = NULL;
	size_t len = n;
	ssize_t r;

	r = http_chunked_decode(d, p, &len, &why);
	need(r == HTTP_EPART || r == HTTP_EINVAL || r >= 0);
	need(len <= n);
	if (r == HTTP_EINVAL)
		need(why && *why);
	if (r >= 0)
		need(len + (size_t)r <= n);
	memcpy(out + *olen, p, len);
	*olen += len;
	if (r > 0) {
		memcpy(tail + *tlen, p + len, (size_t)r);
		*tlen += (size_t)r;
	}
	free(p);
	return r;
}

static void fuzz_chunked(const uint8_t *data, size_t size)
{
	struct http_chunked d1, d2;
	const uint8_t *in = data + 1;
	size_t n = size - 1, split = data[0] % size, l1 = 0, t1 = 0;
	size_t l2 = 0, t2 = 0;
	char *o1 = malloc(n + 1), *o2 = malloc(n + 1);
	char *x1 = malloc(n + 1), *x2 = malloc(n + 1);
	ssize_t r1, ra, rb = HTTP_EPART;

	need(o1 && o2 && x1 && x2);
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	r1 = decode(&d1, in, n, o1, &l1, x1, &t1);
	ra = decode(&d2, in, split, o2, &l2, x2, &t2);
	if (ra == HTTP_EPART)
		rb = decode(&d2, in + split, n - split, o2, &l2, x2, &t2);
	else if (ra >= 0) {
		/* the body ended in the first part: the rest is tail */
		memcpy(x2 + t2, in + split, n - split);
		t2 += n - split;
	}
	need(l1 <= n && l2 <= n && l1 + t1 <= n && l2 + t2 <= n);
	if (r1 == HTTP_EINVAL)
		need(ra == HTTP_EINVAL || rb == HTTP_EINVAL);
	else if (r1 == HTTP_EPART)
		need(ra == HTTP_EPART && rb == HTTP_EPART);
	else
		need(ra >= 0 || rb >= 0);
	if (r1 >= 0) {
		need((size_t)r1 == t1 && t1 == t2);
		need(!memcmp(x1, x2, t1));
	}
	need(l1 == l2);
	need(!memcmp(o1, o2, l1));
	free(o1);
	free(o2);
	free(x1);
	free(x2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_head(data, size);
	if (size)
		fuzz_chunked(data, size);
	return 0;
}
