/*
 * test_http.c - the pure parts of the HTTP client: the response head and
 * chunked-body parsers (every prefix is "need more", every split gives the
 * same answer, inputs end at a PROT_NONE page), path escaping, and the
 * Docker stdout/stderr stream demultiplexer.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dfw/docker.h"
#include "dfw/http.h"
#include "failalloc.h"
#include "unit.h"

#define LEN(s) (sizeof(s) - 1)

/* --- inputs that end exactly at a PROT_NONE page ------------------------ */

static char *guard_page_end;
static size_t guard_size;

/* Copies s[0..n) to end at an unreadable page; the copy, or NULL. */
static char *at_guard(const char *s, size_t n)
{
	if (!guard_page_end) {
		long pg = sysconf(_SC_PAGESIZE);
		char *m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED || mprotect(m + pg, (size_t)pg, PROT_NONE))
			return NULL;
		guard_page_end = m + pg;
		guard_size = (size_t)pg;
	}
	if (n > guard_size)
		return NULL;
	if (n)
		memcpy(guard_page_end - n, s, n);
	return guard_page_end - n;
}

/* An exactly-sized heap copy, so ASan sees any read past the end. */
static char *dup_exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	if (p && n)
		memcpy(p, s, n);
	return p;
}

/* --- http_parse_head ---------------------------------------------------- */

/* Parses s[0..n) from an exact heap copy and from the guard page; both
 * must agree. Returns the result, *h from the heap run. */
static int parse2(const char *s, size_t n, struct http_head *h,
		  const char **why)
{
	struct http_head h2;
	const char *why2;
	char *p = dup_exact(s, n), *g = at_guard(s, n);
	int r, r2;

	check(p && g);
	if (!p || !g) {
		free(p);
		return -100;
	}
	r = http_parse_head(p, n, h, why);
	r2 = http_parse_head(g, n, &h2, &why2);
	check(r == r2);
	if (r > 0 && r == r2)
		check(!memcmp(h, &h2, sizeof(h2)));
	free(p);
	return r;
}

/* Every proper prefix of the head s[0..head) needs more. */
static void check_prefixes(const char *s, size_t head)
{
	struct http_head h;
	const char *why;
	size_t i;
	int r;

	for (i = 0; i < head; i++) {
		r = parse2(s, i, &h, &why);
		if (r != HTTP_EPART) {
			fprintf(stderr, "prefix %zu of %zu: %d (%s)\n", i, head,
				r, why);
			check(r == HTTP_EPART);
			return;
		}
	}
}

/* A valid head of length head followed by body bytes up to n. */
static int parse_valid(const char *s, size_t n, size_t head,
		       struct http_head *h)
{
	const char *why = "x";
	int r;

	check_prefixes(s, head);
	r = parse2(s, n, h, &why);
	if (r != (int)head)
		fprintf(stderr, "want %zu, got %d (%s)\n", head, r, why);
	check(r == (int)head);
	return r;
}

#define VALID(h, head, body) \
	parse_valid(head body, LEN(head body), LEN(head), h)

static void test_head_ping(void)
{
	struct http_head h;

	VALID(&h,
	      "HTTP/1.1 200 OK\r\n"
	      "Api-Version: 1.41\r\n"
	      "Cache-Control: no-cache, no-store, must-revalidate\r\n"
	      "Content-Type: text/plain; charset=utf-8\r\n"
	      "Docker-Experimental: false\r\n"
	      "Ostype: linux\r\n"
	      "Pragma: no-cache\r\n"
	      "Server: Docker/20.10.24 (linux)\r\n"
	      "Date: Sat, 29 Nov 2025 14:03:00 GMT\r\n"
	      "Content-Length: 2\r\n"
	      "\r\n",
	      "OK");
	check(h.minor == 1);
	check(h.status == 200);
	check(h.content_length == 2);
	check(!h.chunked);
	check(!h.close);
	check_str(h.api_version, "1.41");
	check_str(h.content_type, "text/plain; charset=utf-8");
}

static void test_head_inspect(void)
{
	struct http_head h;

	VALID(&h,
	      "HTTP/1.1 200 OK\r\n"
	      "Api-Version: 1.41\r\n"
	      "Content-Type: application/json\r\n"
	      "Docker-Experimental: false\r\n"
	      "Ostype: linux\r\n"
	      "Server: Docker/20.10.24 (linux)\r\n"
	      "Date: Sat, 29 Nov 2025 14:03:00 GMT\r\n"
	      "Content-Length: 2\r\n"
	      "\r\n",
	      "{}");
	check(h.status == 200 && h.content_length == 2);
	check_str(h.content_type, "application/json");
}

static void test_head_chunked(void)
{
	struct http_head h;

	VALID(&h,
	      "HTTP/1.1 200 OK\r\n"
	      "Api-Version: 1.43\r\n"
	      "Content-Type: application/json\r\n"
	      "Docker-Experimental: false\r\n"
	      "Ostype: linux\r\n"
	      "Server: Docker/24.0.7 (linux)\r\n"
	      "Date: Sat, 29 Nov 2025 14:03:00 GMT\r\n"
	      "Transfer-Encoding: chunked\r\n"
	      "\r\n",
	      "2\r\n[]\r\n0\r\n\r\n");
	check(h.status == 200 && h.chunked && h.content_length == -1);
	check_str(h.api_version, "1.43");
}

static void test_head_204(void)
{
	struct http_head h;

	VALID(&h,
	      "HTTP/1.1 204 No Content\r\n"
	      "Api-Version: 1.41\r\n"
	      "Docker-Experimental: false\r\n"
	      "Ostype: linux\r\n"
	      "Server: Docker/20.10.24 (linux)\r\n"
	      "Date: Sat, 29 Nov 2025 14:03:00 GMT\r\n"
	      "\r\n",
	      "");
	check(h.status == 204 && h.content_length == -1 && !h.chunked);
	check(!h.close);
	check_str(h.content_type, "");
}

static void test_head_404(void)
{
	struct http_head h;

	VALID(&h,
	      "HTTP/1.1 404 Not Found\r\n"
	      "Api-Version: 1.41\r\n"
	      "Content-Type: application/json\r\n"
	      "Docker-Experimental: false\r\n"
	      "Ostype: linux\r\n"
	      "Server: Docker/20.10.24 (linux)\r\n"
	      "Date: Sat, 29 Nov 2025 14:03:00 GMT\r\n"
	      "Content-Length: 39\r\n"
	      "\r\n",
	      "{\"message\":\"No such container: x\"}\n");
	check(h.status == 404 && h.content_length == 39);
}

static void test_head_case(void)
{
	struct http_head h;

	VALID(&h,
	      "HTTP/1.1 200 OK\r\n"
	      "API-VERSION:1.44\r\n"
	      "content-type:   application/json  \r\n"
	      "CONTENT-LENGTH: 7\r\n"
	      "Content-length: 7\r\n"
	      "\r\n",
	      "");
	check(h.content_length == 7 && !h.chunked);
	check_str(h.api_version, "1.44");
	check_str(h.content_type, "application/json");
	VALID(&h,
	      "HTTP/1.1 200 OK\r\n"
	      "transfer-ENCODING: Chunked\r\n"
	      "\r\n",
	      "");
	check(h.chunked);
}

static void test_head_close(void)
{
	struct http_head h;

	VALID(&h,
	      "HTTP/1.1 200 OK\r\n"
	      "Connection: close\r\n"
	      "Content-Length: 0\r\n"
	      "\r\n",
	      "");
	check(h.close && h.minor == 1 && h.content_length == 0);
	VALID(&h,
	      "HTTP/1.1 200 OK\r\n"
	      "Connection: Upgrade, CLOSE\r\n"
	      "\r\n",
	      "");
	check(h.close);
	VALID(&h, "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n", "");
	check(!h.close);
	/* HTTP/1.0: closed unless kept alive */
	VALID(&h,
	      "HTTP/1.0 200 OK\r\n"
	      "Content-Type: application/vnd.docker.raw-stream\r\n"
	      "\r\n",
	      "\1\0\0\0\0\0\0\1x");
	check(h.minor == 0 && h.close && h.content_length == -1);
	VALID(&h, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", "");
	check(h.minor == 0 && !h.close);
}

static void test_head_misc(void)
{
	struct http_head h;

	/* bare LF line ends, no reason phrase, a 1xx */
	VALID(&h, "HTTP/1.1 200 OK\nContent-Length: 1\n\n", "x");
	check(h.content_length == 1);
	VALID(&h, "HTTP/1.1 200\r\n\r\n", "");
	check(h.status == 200);
	VALID(&h, "HTTP/1.1 200 \r\n\r\n", "");
	VALID(&h, "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200 OK\r\n");
	check(h.status == 100);
	VALID(&h,
	      "HTTP/1.1 101 UPGRADED\r\n"
	      "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
	      "\1\0\0\0");
	check(h.status == 101);
	/* tabs and obs-text are fine in values and the reason phrase */
	VALID(&h,
	      "HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\n"
	      "X-Note:\tcaf\xc3\xa9 \t au\tlait\r\n"
	      "Content-Length:\t3\t\r\n\r\n",
	      "abc");
	check(h.content_length == 3);
	/* a long Api-Version is cut, not overflowed */
	VALID(&h,
	      "HTTP/1.1 200 OK\r\n"
	      "Api-Version: 1.4444444444444444444444444444444\r\n\r\n",
	      "");
	check(strlen(h.api_version) == sizeof(h.api_version) - 1);
	VALID(&h, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "");
	check(h.content_length == 0);
	VALID(&h, "HTTP/1.1 599 Odd\r\n\r\n", "");
	check(h.status == 599);
}

/* s[0..n) is invalid; each prefix needs more or is already invalid. */
static void check_invalid(const char *s, size_t n)
{
	struct http_head h;
	const char *why = NULL;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = parse2(s, i, &h, &why);
		check(r == HTTP_EPART || r == HTTP_EINVAL);
		if (r == HTTP_EINVAL)
			check(why && *why);
	}
	why = NULL;
	r = parse2(s, n, &h, &why);
	if (r != HTTP_EINVAL)
		fprintf(stderr, "accepted: \"%.*s\"\n", (int)n, s);
	check(r == HTTP_EINVAL);
	check(why && *why);
}

#define INVALID(s) check_invalid(s, LEN(s))
#define H "HTTP/1.1 200 OK\r\n"

static void test_head_invalid(void)
{
	/* status line */
	INVALID("HTTP/2 200\r\n\r\n");
	INVALID("HTTP/2.0 200 OK\r\n\r\n");
	INVALID("FOO\r\n\r\n");
	INVALID("\r\n\r\n");
	INVALID("HTTP/1.1 20 OK\r\n\r\n");
	INVALID("HTTP/1.1 2000 OK\r\n\r\n");
	INVALID("HTTP/1.1 099 Low\r\n\r\n");
	INVALID("HTTP/1.1 600 High\r\n\r\n");
	INVALID("HTTP/1.1  200 OK\r\n\r\n");
	INVALID("HTTP/1.x 200 OK\r\n\r\n");
	INVALID("http/1.1 200 OK\r\n\r\n");
	INVALID("HTTP/1.1 200 O\x01K\r\n\r\n");
	INVALID(" HTTP/1.1 200 OK\r\n\r\n");
	/* fields */
	INVALID(H "Content-Length 2\r\n\r\n");
	INVALID(H "Api-Version: 1.41\r\nno colon here\r\n\r\n");
	INVALID(H "X-A: b\r\n folded\r\n\r\n");
	INVALID(H "X-A: b\r\n\tfolded\r\n\r\n");
	INVALID(H ": empty name\r\n\r\n");
	INVALID(H "X A: space in name\r\n\r\n");
	INVALID(H "X-A : space before colon\r\n\r\n");
	INVALID(H "X-\xc3\xa9: 1\r\n\r\n");
	/* Content-Length */
	INVALID(H "Content-Length: -1\r\n\r\n");
	INVALID(H "Content-Length: +1\r\n\r\n");
	INVALID(H "Content-Length: 99999999999999999999999999\r\n\r\n");
	INVALID(H "Content-Length: 9223372036854775808\r\n\r\n");
	INVALID(H "Content-Length: 18446744073709551617\r\n\r\n");
	INVALID(H "Content-Length: 12a\r\n\r\n");
	INVALID(H "Content-Length: 0x10\r\n\r\n");
	INVALID(H "Content-Length: 1 2\r\n\r\n");
	INVALID(H "Content-Length: 2, 3\r\n\r\n");
	INVALID(H "Content-Length: \r\n\r\n");
	INVALID(H "Content-Length: ten\r\n\r\n");
	INVALID(H "Content-Length: 2\r\nContent-Length: 3\r\n\r\n");
	INVALID(H "Content-Length: 3\r\ncontent-length: 03\r\n"
		  "CONTENT-LENGTH: 4\r\n\r\n");
	/* Transfer-Encoding */
	INVALID(H "Transfer-Encoding: gzip\r\n\r\n");
	INVALID(H "Transfer-Encoding: gzip, chunked\r\n\r\n");
	INVALID(H "Transfer-Encoding: chunked, gzip\r\n\r\n");
	INVALID(H "Transfer-Encoding: identity\r\n\r\n");
	INVALID(H "Transfer-Encoding: \r\n\r\n");
	/* NUL, bare CR, control characters */
	INVALID(H "X-A: a\0b\r\n\r\n");
	INVALID("HTTP/1.1 200 OK\0\r\n\r\n");
	INVALID("HTTP\0/1.1 200 OK\r\n\r\n");
	INVALID(H "X-A: a\rb\r\n\r\n");
	INVALID(H "X-A: a\r\r\n\r\n");
	INVALID(H "\r\r\n");
	INVALID("HTTP/1.1 200 OK\r\r\n\r\n");
	INVALID(H "X-A: a\x01"
		  "b\r\n\r\n");
	INVALID(H "X-A: a\x1b[31mred\r\n\r\n");
	INVALID(H "X-A: a\x7f\r\n\r\n");
	INVALID(H "Api-Version: 1.41\x0b\r\n\r\n");
	INVALID(H "X-\x01: a\r\n\r\n");
}

/* A non-HTTP answer is seen from its first bytes, before any newline. */
static void test_head_early(void)
{
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
		{ "\x15\x03\x01\x00\x02\x02\x0a", 7 }, /* TLS alert */
		{ "\x16\x03\x03\x00\x31", 5 },	       /* TLS handshake */
		{ "FOO", 3 },
		{ "HTTP/2 200", 10 },
		{ "HTTP/1.1 2x", 11 },
		{ "SSH-2.0-OpenSSH_9.2", 19 },
		{ "<html>", 6 },
		{ "{\"message\":\"x\"}", 15 },
		{ "\0", 1 },
		{ " HTTP", 5 },
	};
	struct http_head h;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		check(parse2(bad[i].s, bad[i].n, &h, &why) == HTTP_EINVAL);
		check(why && *why);
	}
	/* ...but every prefix of a real status line needs more */
	check_prefixes("HTTP/1.1 200 OK", LEN("HTTP/1.1 200 OK") + 1);
	check(parse2("", 0, &h, &why) == HTTP_EPART);
	check(parse2("H", 1, &h, &why) == HTTP_EPART);
	check(parse2("HTTP/1.1 200 OK\r\n", 17, &h, &why) == HTTP_EPART);
}

/* --- http_chunked_decode ----------------------------------------------- */

/* Decodes s[0..n) in one exact copy: the result; out gets the decoded
 * bytes and the tail after them, *dlen the decoded length. */
static ssize_t decode1(struct http_chunked *d, const char *s, size_t n,
		       struct buf *out, size_t *dlen)
{
	char *p = dup_exact(s, n);
	const char *why = NULL;
	size_t len = n;
	ssize_t r;

	r = http_chunked_decode(d, p, &len, &why);
	check(len <= n);
	if (r >= 0)
		check(len + (size_t)r <= n);
	if (r == HTTP_EINVAL)
		check(why && *why);
	if (out)
		buf_add(out, p, len + (r > 0 ? (size_t)r : 0));
	if (dlen)
		*dlen = len;
	free(p);
	return r;
}

/*
 * A valid chunked body enc[0..n) decoding to want, followed by tail
 * bytes: decoded whole, from the guard page, split at every point and
 * byte by byte; every proper prefix of the body needs more.
 */
static void check_chunked(const char *enc, size_t n, const char *want,
			  size_t wlen, size_t tail)
{
	struct http_chunked d;
	struct buf out = { 0 };
	const char *why;
	size_t i, len, dlen, body = n - tail;
	ssize_t r;
	char *g;

	/* whole */
	memset(&d, 0, sizeof(d));
	r = decode1(&d, enc, n, &out, &dlen);
	check(r == (ssize_t)tail);
	check(dlen == wlen && out.len == wlen + tail);
	check(out.len == wlen + tail &&
	      !memcmp(out.data ? out.data : "", want, wlen));
	if (tail)
		check(!memcmp(out.data + wlen, enc + body, tail));
	/* at the guard page */
	g = at_guard(enc, n);
	check(g != NULL);
	memset(&d, 0, sizeof(d));
	len = n;
	if (g) {
		r = http_chunked_decode(&d, g, &len, &why);
		check(r == (ssize_t)tail && len == wlen);
		check(!memcmp(g, want, wlen));
	}
	/* every proper prefix of the body needs more, output a prefix */
	for (i = 0; i < body; i++) {
		memset(&d, 0, sizeof(d));
		out.len = 0;
		r = decode1(&d, enc, i, &out, &dlen);
		check(r == HTTP_EPART);
		check(dlen <= wlen &&
		      !memcmp(out.data ? out.data : "", want, dlen));
		g = at_guard(enc, i);
		len = i;
		memset(&d, 0, sizeof(d));
		check(g &&
		      http_chunked_decode(&d, g, &len, &why) == HTTP_EPART);
	}
	/* split into two parts at every point */
	for (i = 0; i < body; i++) {
		memset(&d, 0, sizeof(d));
		out.len = 0;
		check(decode1(&d, enc, i, &out, NULL) == HTTP_EPART);
		r = decode1(&d, enc + i, n - i, &out, &dlen);
		check(r == (ssize_t)tail);
		check(out.len == wlen + tail && !memcmp(out.data, want, wlen));
	}
	/* byte by byte */
	memset(&d, 0, sizeof(d));
	out.len = 0;
	for (i = 0; i < body; i++) {
		r = decode1(&d, enc + i, 1, &out, NULL);
		check(r == (i + 1 < body ? HTTP_EPART : 0));
	}
	check(out.len == wlen && !memcmp(out.data ? out.data : "", want, wlen));
	buf_free(&out);
}

#define CHUNKED(enc, want, tail) \
	check_chunked(enc, LEN(enc), want, LEN(want), tail)

static void test_chunked_basic(void)
{
	CHUNKED("5\r\nhello\r\n0\r\n\r\n", "hello", 0);
	CHUNKED("0\r\n\r\n", "", 0);
	CHUNKED("4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks."
		"\r\n0\r\n\r\n",
		"Wikipedia in\r\n\r\nchunks.", 0);
	CHUNKED("a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n",
		"0123456789abcdefghij", 0);
	CHUNKED("00000000000003\r\nabc\r\n000\r\n\r\n", "abc", 0);
	/* bare LF */
	CHUNKED("5\nhello\n0\n\n", "hello", 0);
	/* data that looks like framing */
	CHUNKED("5\r\n0\r\n\r\n\r\n0\r\n\r\n", "0\r\n\r\n", 0);
	/* binary data, NULs included */
	CHUNKED("4\r\n\0\r\n\xff\r\n0\r\n\r\n", "\0\r\n\xff", 0);
}

static void test_chunked_many(void)
{
	struct buf enc = { 0 }, want = { 0 };
	int i, k;

	/* 1..40-byte chunks of changing bytes, hex sizes in both cases */
	for (i = 1; i <= 40; i++) {
		buf_printf(&enc, i % 2 ? "%x\r\n" : "%X\r\n", i);
		for (k = 0; k < i; k++) {
			char c = (char)('A' + (i + k) % 26);

			buf_add(&enc, &c, 1);
			buf_add(&want, &c, 1);
		}
		buf_adds(&enc, "\r\n");
	}
	buf_adds(&enc, "0\r\n\r\n");
	check_chunked(enc.data, enc.len, want.data, want.len, 0);
	buf_free(&enc);
	buf_free(&want);
}

static void test_chunked_ext_trailer(void)
{
	CHUNKED("5;name=val\r\nhello\r\n0\r\n\r\n", "hello", 0);
	CHUNKED("5;a;b=\"q;uoted\"\r\nhello\r\n0;last\r\n\r\n", "hello", 0);
	CHUNKED("5 ; a=b\r\nhello\r\n0\t;x\r\n\r\n", "hello", 0);
	CHUNKED("0\r\nX-T: 1\r\n\r\n", "", 0);
	CHUNKED("3\r\nabc\r\n0\r\nX-T: 1\r\nX-Other:\r\n:odd\r\n\r\n", "abc",
		0);
	CHUNKED("3\r\nabc\r\n0\nX-T: 1\n\n", "abc", 0);
}

static void test_chunked_tail(void)
{
	struct http_chunked d = { 0 };
	char b[] = "3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n";
	size_t len = LEN(b);
	const char *why;

	check(http_chunked_decode(&d, b, &len, &why) == 17);
	check(len == 3 && !memcmp(b, "abcHTTP/1.1 200 OK\r\n", 20));
	CHUNKED("3\r\nabc\r\n0\r\n\r\nHTTP/1.1", "abc", 8);
	CHUNKED("0\r\nX: y\r\n\r\n\r\n", "", 2);
	CHUNKED("1\r\nz\r\n0\r\n\r\n0\r\n\r\n", "z", 5);
}

/* enc is invalid: whole, byte by byte and at every split. */
static void check_chunked_bad(const char *enc, size_t n)
{
	struct http_chunked d;
	size_t i;
	ssize_t r = HTTP_EPART;

	memset(&d, 0, sizeof(d));
	check(decode1(&d, enc, n, NULL, NULL) == HTTP_EINVAL);
	memset(&d, 0, sizeof(d));
	for (i = 0; i < n && r == HTTP_EPART; i++)
		r = decode1(&d, enc + i, 1, NULL, NULL);
	check(r == HTTP_EINVAL);
	for (i = 0; i < n; i++) {
		memset(&d, 0, sizeof(d));
		r = decode1(&d, enc, i, NULL, NULL);
		check(r == HTTP_EPART || r == HTTP_EINVAL);
		if (r == HTTP_EPART)
			r = decode1(&d, enc + i, n - i, NULL, NULL);
		if (r != HTTP_EINVAL)
			fprintf(stderr, "split %zu: %zd\n", i, r);
		check(r == HTTP_EINVAL);
	}
}

#define CHUNKED_BAD(enc) check_chunked_bad(enc, LEN(enc))

static void test_chunked_invalid(void)
{
	CHUNKED_BAD("-5\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("11111111111111111\r\n");
	CHUNKED_BAD("ffffffffffffffff\r\n");
	CHUNKED_BAD("10000000000000000\r\nx");
	CHUNKED_BAD("5\r\nhelloX\r\n0\r\n\r\n");
	CHUNKED_BAD("5\r\nhello\rX\r\n0\r\n\r\n");
	CHUNKED_BAD("5\r\nhello0\r\n\r\n");
	CHUNKED_BAD("0\r\nX-T 1\r\n\r\n");
	CHUNKED_BAD("0\r\nX-T: 1\rX\r\n");
	CHUNKED_BAD("zz\r\n");
	CHUNKED_BAD("\r\n");
	CHUNKED_BAD(" 5\r\nhello\r\n");
	CHUNKED_BAD("0x5\r\nhello\r\n");
	CHUNKED_BAD("5\rhello\r\n");
	CHUNKED_BAD("5;\x01\r\nhello\r\n");
	CHUNKED_BAD("5;x\rz\nhello\r\n");
	CHUNKED_BAD("0\r\n\rX");
	CHUNKED_BAD("5g\r\nhello\r\n");
}

/* --- http_escape --------------------------------------------------------- */

static void check_escape(const char *s, const char *want)
{
	struct buf b = { 0 };

	check(buf_adds(&b, "/x/") == 0);
	check(http_escape(&b, s) == 0);
	check_str(b.data + 3, want);
	buf_free(&b);
}

static void test_escape(void)
{
	struct buf b = { 0 };

	check_escape("web", "web");
	check_escape("AZaz09-._~", "AZaz09-._~");
	check_escape("a/b", "a%2Fb");
	check_escape("a b", "a%20b");
	check_escape("100%", "100%25");
	check_escape("?x=1&y=2", "%3Fx%3D1%26y%3D2");
	check_escape("{\"label\":[\"a=b\"]}",
		     "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D");
	check_escape("caf\xc3\xa9", "caf%C3%A9");
	check_escape("\x01\x7f\xff", "%01%7F%FF");
	check_escape("../..", "..%2F..");
	check_escape("#+!*'();:@=$,[]", "%23%2B%21%2A%27%28%29%3B%3A%40%3D"
					"%24%2C%5B%5D");
	check(http_escape(&b, "") == 0 && b.len == 0);
	buf_free(&b);
}

/* --- docker_demux_feed --------------------------------------------------- */

static const char demux_in[] =
	"\1\0\0\0\0\0\0\5hello" /* stdout */
	"\2\0\0\0\0\0\0\3err"	/* stderr */
	"\1\0\0\0\0\0\0\0"	/* empty frame */
	"\1\0\0\0\0\0\1\0"	/* 256 bytes */
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"\0\0\0\0\0\0\0\2in" /* stdin goes with stdout */
	"\2\0\0\0\0\0\0\1!";

#define S(s) \
	{ \
		s, LEN(s) \
	}
static const struct {
	const char *s;
	size_t n;
} demux_bad[] = {
	S("\5\0\0\0\0\0\0\1x"), /* stream 5 */
	S("\3\0\0\0\0\0\0\1x"),
	S("\1\1\0\0\0\0\0\1x"), /* padding not zero */
	S("\1\0\0\1\0\0\0\1x"),
	S("\1\0\0\0\0\0\0\1x\2\0\1\0\0\0\0\0"), /* the second frame */
	S("HTTP/1.1 200 OK\r\n"),		/* not a raw stream */
};

static void check_demux_out(const struct buf *out, const struct buf *err)
{
	check(out->len == 5 + 256 + 2);
	check(out->len >= 5 && !memcmp(out->data, "hello", 5));
	check(out->len == 263 && !memcmp(out->data + 5, demux_in + 40, 256));
	check(out->len == 263 && !memcmp(out->data + 261, "in", 2));
	check(err->len == 4 && !memcmp(err->data, "err!", 4));
}

static void test_demux(void)
{
	struct docker_demux m;
	struct buf out = { 0 }, err = { 0 };
	size_t n = LEN(demux_in), i, j;

	memset(&m, 0, sizeof(m));
	check(docker_demux_feed(&m, demux_in, n, &out, &err) == 0);
	check_demux_out(&out, &err);
	/* split at every point */
	for (i = 0; i <= n; i++) {
		memset(&m, 0, sizeof(m));
		out.len = err.len = 0;
		check(docker_demux_feed(&m, demux_in, i, &out, &err) == 0);
		check(docker_demux_feed(&m, demux_in + i, n - i, &out, &err) ==
		      0);
		check_demux_out(&out, &err);
	}
	/* byte by byte, each in an exact copy */
	memset(&m, 0, sizeof(m));
	out.len = err.len = 0;
	for (i = 0; i < n; i++) {
		char *p = dup_exact(demux_in + i, 1);

		check(docker_demux_feed(&m, p, 1, &out, &err) == 0);
		free(p);
	}
	check_demux_out(&out, &err);
	check(m.hlen == 0 && m.left == 0);
	/* NULL sinks discard */
	memset(&m, 0, sizeof(m));
	check(docker_demux_feed(&m, demux_in, n, NULL, NULL) == 0);
	/* max bounds what is kept, both streams together (5 + 3 + 256 + 2 +
	 * 1 = 267 bytes): exactly 267 is taken, 266 is not */
	memset(&m, 0, sizeof(m));
	m.max = 267;
	out.len = err.len = 0;
	check(docker_demux_feed(&m, demux_in, n, &out, &err) == 0);
	check_demux_out(&out, &err);
	memset(&m, 0, sizeof(m));
	m.max = 266;
	out.len = err.len = 0;
	errno = 0;
	check(docker_demux_feed(&m, demux_in, n, &out, &err) == -1);
	check(errno == EFBIG);
	check(out.len + err.len <= 266);
	/* what NULL sinks discard does not count */
	memset(&m, 0, sizeof(m));
	m.max = 1;
	check(docker_demux_feed(&m, demux_in, n, NULL, NULL) == 0);
	/* bad headers, whole and byte by byte */
	for (i = 0; i < sizeof(demux_bad) / sizeof(demux_bad[0]); i++) {
		const char *s = demux_bad[i].s;
		size_t k = demux_bad[i].n;
		int r = 0;

		memset(&m, 0, sizeof(m));
		errno = 0;
		check(docker_demux_feed(&m, s, k, &out, &err) == -1);
		check(errno == EINVAL);
		memset(&m, 0, sizeof(m));
		for (j = 0; j < k && !r; j++)
			r = docker_demux_feed(&m, s + j, 1, &out, &err);
		check(r == -1);
	}
	buf_free(&out);
	buf_free(&err);
}

/* --- limits of the decoder ------------------------------------------------ */

/* A chunk size line (with extensions) of up to 4096 bytes, trailers of up
 * to 64 KiB: fine; a byte more of either is invalid, whole or fed byte by
 * byte (never "need more" for ever). */
static void test_chunked_limits(void)
{
	struct buf in = { 0 };
	struct http_chunked d;
	const char *why;
	size_t len, i;
	ssize_t r = 0;
	int big;

	for (big = 0; big < 2; big++) {
		/* "1;" EXT "\r\n" is 4096 bytes, or one more */
		in.len = 0;
		buf_adds(&in, "1;");
		for (i = 0; i < 4092u + (unsigned)big; i++)
			buf_adds(&in, "e");
		buf_adds(&in, "\r\nx\r\n0\r\n\r\n");
		{
			char *copy = malloc(in.len);

			check(copy != NULL);
			if (!copy)
				break;
			memcpy(copy, in.data, in.len); /* decoded in place */
			memset(&d, 0, sizeof(d));
			len = in.len;
			r = http_chunked_decode(&d, copy, &len, &why);
			free(copy);
		}
		check(big ? r == HTTP_EINVAL : r == 0);
		if (big)
			check_str(why, "chunk size line (with its extensions) "
				       "longer than 4096 bytes");
		memset(&d, 0, sizeof(d));
		for (i = 0, r = HTTP_EPART; i < in.len && r == HTTP_EPART;
		     i++) {
			char c = in.data[i];

			len = 1;
			r = http_chunked_decode(&d, &c, &len, &why);
		}
		check(big ? r == HTTP_EINVAL && i == 4097 : r == 0);

		/* trailers: after "0\r\n", "X: " L bytes "\r\n\r\n", that
		 * is L + 7 bytes: 65536, or one more */
		in.len = 0;
		buf_adds(&in, "0\r\nX: ");
		for (i = 0; i < 65529u + (unsigned)big; i++)
			buf_adds(&in, "c");
		buf_adds(&in, "\r\n\r\n");
		memset(&d, 0, sizeof(d));
		len = in.len;
		r = http_chunked_decode(&d, in.data, &len, &why);
		check(big ? r == HTTP_EINVAL : r >= 0);
		if (big)
			check_str(why, "trailers larger than 64 KiB");
	}
	buf_free(&in);
}

/* --- the client over an in-memory transport ------------------------------ */

/* A transport serving s[0..n), then loop[0..loopn) for ever (or the end
 * of the stream); what is written is dropped. */
struct memt {
	struct transport t;
	const char *s, *loop;
	size_t n, loopn, pos;
	unsigned long long served;
};

static ssize_t mem_read(struct transport *t, void *p, size_t n)
{
	struct memt *m = (struct memt *)t;
	size_t k;

	if (m->pos < m->n) {
		k = m->n - m->pos < n ? m->n - m->pos : n;
		memcpy(p, m->s + m->pos, k);
		m->pos += k;
	} else if (m->loopn) {
		for (k = 0; k + m->loopn <= n; k += m->loopn)
			memcpy((char *)p + k, m->loop, m->loopn);
		if (!k) {
			k = n < m->loopn ? n : m->loopn;
			memcpy(p, m->loop, k); /* a short read: fine */
		}
	} else {
		return 0;
	}
	m->served += k;
	return (ssize_t)k;
}

static ssize_t mem_write(struct transport *t, const void *p, size_t n)
{
	return (ssize_t)n;
}

static void mem_close(struct transport *t)
{
	t->fd = -1;
}

static void memt_init(struct memt *m, const char *s, size_t n, const char *loop)
{
	memset(m, 0, sizeof(*m));
	m->t.read = mem_read;
	m->t.write = mem_write;
	m->t.close = mem_close;
	m->t.fd = 3;
	strcpy(m->t.name, "mem://");
	m->s = s;
	m->n = n;
	m->loop = loop;
	m->loopn = loop ? strlen(loop) : 0;
}

/* http_do of one GET on m: 0 or -1, e set. */
static int get(struct memt *m, struct buf *body, struct err *e)
{
	struct http_conn c;
	struct http_req rq = { .method = "GET", .path = "/v1.41/x" };
	int rc;

	if (http_init(&c, &m->t, "docker"))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	rc = http_do(&c, &rq, body, e);
	http_free(&c);
	return rc;
}

/* Every byte read counts toward a limit: interim heads, framing, the
 * body; each stops an endless answer early, with its words. */
static void test_client_limits(void)
{
	static const char h200[] = "HTTP/1.1 200 OK\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n";
	static const struct {
		const char *s, *loop, *msg;
		unsigned long long max; /* bytes it may read */
	} cases[] = {
		{ "", "HTTP/1.1 100 Continue\r\n\r\n",
		  "mem://: GET /v1.41/x: "
		  "more than 8 interim (1xx) responses before the answer",
		  100000 },
		{ h200, "1\r\nx\r\n",
		  "mem://: GET /v1.41/x: bad chunked body: "
		  "over 4 MiB of framing (chunk sizes, extensions, trailers)",
		  6u << 20 },
		{ h200, "1;a=b\r\nx\r\n", "over 4 MiB of framing", 6u << 20 },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;",
		  "a",
		  "chunk size line (with its extensions) longer than "
		  "4096 bytes",
		  100000 },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
		  "X-A: b\r\n", "trailers larger than 64 KiB", 200000 },
		{ "HTTP/1.1 200 OK\r\n", "X-A: b\r\n",
		  "response header larger "
		  "than 64 KiB",
		  200000 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", NULL,
		  "connection closed before the end of the response body",
		  100 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct memt m;
		struct buf body = { 0 };
		struct err e = { 0 };

		memt_init(&m, cases[i].s, strlen(cases[i].s), cases[i].loop);
		check(get(&m, &body, &e) == -1);
		check(e.code == EXIT_RUNTIME);
		check(strstr(e.msg, cases[i].msg) != NULL);
		check(m.served <= cases[i].max);
		if (!strstr(e.msg, cases[i].msg) || m.served > cases[i].max)
			fprintf(stderr, "  case %zu: %s (%llu bytes)\n", i,
				e.msg, m.served);
		buf_free(&body);
	}
	/* 8 interim heads, then the answer: fine */
	{
		struct buf in = { 0 }, body = { 0 };
		struct memt m;
		struct err e = { 0 };

		for (i = 0; i < 8; i++)
			buf_adds(&in, "HTTP/1.1 102 Processing\r\n\r\n");
		buf_adds(&in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
		memt_init(&m, in.data, in.len, NULL);
		check(get(&m, &body, &e) == 0);
		check_str(body.data, "{}");
		buf_free(&in);
		buf_free(&body);
	}
}

/*
 * #19.10: the HTTP path with every allocation failing in turn (once, and
 * from there on): -1 "out of memory" (or http_init's -1), nothing leaked;
 * a request that met no failure reads the whole body.
 */
static void test_client_nomem(void)
{
	struct buf in = { 0 };
	long n;
	int sticky, runs = 0, i;

	buf_adds(&in, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		      "Transfer-Encoding: chunked\r\n\r\n");
	for (i = 0; i < 40; i++) {
		int k;

		buf_adds(&in, "1000\r\n");
		for (k = 0; k < 4096; k++)
			buf_add(&in, "a", 1);
		buf_adds(&in, "\r\n");
	}
	buf_adds(&in, "0\r\n\r\n");
	for (sticky = 0; sticky < 2; sticky++)
		for (n = 0; n < 10000; n++) {
			struct memt m;
			struct buf body = { 0 };
			struct err e = { 0 };
			unsigned long failed;
			int rc;

			memt_init(&m, in.data, in.len, NULL);
			if (sticky)
				failalloc_all(n);
			else
				failalloc_after(n);
			rc = get(&m, &body, &e);
			failed = failalloc_off();
			runs++;
			if (!failed) {
				check(rc == 0 && body.len == 40 * 4096);
				buf_free(&body);
				break;
			}
			check(rc == -1 && e.code == EXIT_RUNTIME);
			check(strstr(e.msg, "out of memory") != NULL);
			buf_free(&body);
		}
	check(runs > 10);
	buf_free(&in);
}

UNIT_TESTS(T(test_head_ping) T(test_head_inspect) T(test_head_chunked) T(
	test_head_204) T(test_head_404) T(test_head_case) T(test_head_close)
		   T(test_head_misc) T(test_head_invalid) T(test_head_early) T(
			   test_chunked_basic) T(test_chunked_many)
			   T(test_chunked_ext_trailer) T(test_chunked_tail)
				   T(test_chunked_invalid) T(test_escape)
					   T(test_demux) T(test_chunked_limits)
						   T(test_client_limits)
							   T(test_client_nomem))
