/* http.c - HTTP/1.1 client: resumable head and chunked parsers, I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/http.h"
#include "dfw/transport.h"

#define RBUF_SIZE (HTTP_MAX_HEAD + 16 * 1024)

enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* RFC 9110 tchar */
static int is_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int name_is(const char *p, size_t n, const char *want)
{
	size_t i;

	if (strlen(want) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)p[i]) != want[i])
			return 0;
	return 1;
}

/* Whether the comma-separated list v[0..n) holds token tok (lowercase). */
static int list_has(const char *v, size_t n, const char *tok)
{
	size_t i = 0, j, k = strlen(tok);

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		j = i;
		while (j < n && v[j] != ',' && v[j] != ' ' && v[j] != '\t')
			j++;
		if (j - i == k && name_is(v + i, k, tok))
			return 1;
		i = j;
	}
	return 0;
}

/* A value cut to fit ends in "...", so that it never passes for
 * another, shorter one (an Api-Version of 1.41000000000000000). */
static void copy_value(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size) {
		memcpy(dst, v, size - 4);
		memcpy(dst + size - 4, "...", 4);
		return;
	}
	memcpy(dst, v, n);
	dst[n] = 0;
}

/* A prefix of "HTTP/1.D SSS" that is still possible. */
static int status_prefix_ok(const char *s, size_t n)
{
	static const char pat[] = "HTTP/1.D DDD";
	size_t i;

	for (i = 0; i < n && i < sizeof(pat) - 1; i++) {
		int ok = pat[i] == 'D' ? s[i] >= '0' && s[i] <= '9' :
					 s[i] == pat[i];
		if (!ok)
			return 0;
	}
	return 1;
}

static int parse_status(const char *s, size_t n, struct http_head *h,
			const char **why)
{
	size_t i;

	if (n < 12 || !status_prefix_ok(s, 12) || (n > 12 && s[12] != ' ')) {
		*why = "bad status line (not an HTTP/1.x response)";
		return HTTP_EINVAL;
	}
	for (i = 13; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t') {
			*why = "control character in the status line";
			return HTTP_EINVAL;
		}
	h->minor = s[7] - '0';
	h->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (h->status < 100 || h->status > 599) {
		*why = "bad status code";
		return HTTP_EINVAL;
	}
	h->close = h->minor == 0;
	return 0;
}

static int parse_length(const char *v, size_t n, struct http_head *h,
			const char **why)
{
	int64_t x = 0;
	size_t i;

	if (!n)
		goto bad;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (INT64_MAX / 4 - 9) / 10)
			goto bad;
		x = x * 10 + (v[i] - '0');
	}
	if (h->content_length >= 0 && h->content_length != x) {
		*why = "conflicting Content-Length fields";
		return HTTP_EINVAL;
	}
	h->content_length = x;
	return 0;
bad:
	*why = "bad Content-Length";
	return HTTP_EINVAL;
}

static int parse_field(const char *s, size_t n, struct http_head *h,
		       const char **why)
{
	const char *colon = memchr(s, ':', n), *v;
	size_t nl, vl, i;

	if (s[0] == ' ' || s[0] == '\t') {
		*why = "obsolete header line folding";
		return HTTP_EINVAL;
	}
	if (!colon) {
		*why = "header line without a colon";
		return HTTP_EINVAL;
	}
	nl = (size_t)(colon - s);
	for (i = 0; i < nl; i++)
		if (!is_tchar((unsigned char)s[i]))
			break;
	if (!nl || i < nl) {
		*why = "bad header field name";
		return HTTP_EINVAL;
	}
	v = colon + 1;
	vl = n - nl - 1;
	while (vl && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	for (i = 0; i < vl; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
		    v[i] == 0x7f) {
			*why = "control character in a header field";
			return HTTP_EINVAL;
		}
	if (name_is(s, nl, "content-length"))
		return parse_length(v, vl, h, why);
	if (name_is(s, nl, "transfer-encoding")) {
		if (!name_is(v, vl, "chunked")) {
			*why = "unsupported Transfer-Encoding";
			return HTTP_EINVAL;
		}
		h->chunked = 1;
	} else if (name_is(s, nl, "connection")) {
		if (list_has(v, vl, "close"))
			h->close = 1;
		else if (list_has(v, vl, "keep-alive"))
			h->close = 0;
	} else if (name_is(s, nl, "api-version")) {
		copy_value(h->api_version, sizeof(h->api_version), v, vl);
	} else if (name_is(s, nl, "content-type")) {
		copy_value(h->content_type, sizeof(h->content_type), v, vl);
	}
	return 0;
}

int http_parse_head(const char *s, size_t len, struct http_head *h,
		    const char **why)
{
	size_t pos = 0, n;
	const char *nl;
	int r, first = 1;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	*why = "";
	/* Known from its first bytes, before any line end (a TLS port). */
	if (!status_prefix_ok(s, len)) {
		*why = "bad status line (not an HTTP/1.x response)";
		return HTTP_EINVAL;
	}
	for (;;) {
		nl = memchr(s + pos, '\n', len - pos);
		if (!nl)
			return HTTP_EPART;
		n = (size_t)(nl - (s + pos));
		if (n && s[pos + n - 1] == '\r')
			n--;
		if (memchr(s + pos, '\r', n) || memchr(s + pos, 0, n)) {
			*why = "bare CR or NUL in the response head";
			return HTTP_EINVAL;
		}
		if (first)
			r = parse_status(s + pos, n, h, why);
		else if (!n)
			return (int)(nl - s + 1);
		else
			r = parse_field(s + pos, n, h, why);
		if (r)
			return r;
		first = 0;
		pos = (size_t)(nl - s + 1);
	}
}

enum {
	CH_SIZE,
	CH_SIZE_MORE,
	CH_EXT,
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER_START,
	CH_TRAILER,
	CH_TRAILER_LF,
	CH_END_LF,
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* One byte of the framing (not chunk data); 1 when the body ended. */
static int chunk_byte(struct http_chunked *d, int c, const char **why)
{
	int v;

	/* a size line with its extensions, and the trailers, are bounded
	 * while they are read: the next byte may never come */
	if (d->state <= CH_SIZE_LF && ++d->line > HTTP_MAX_CHUNK_LINE) {
		*why = "chunk size line (with its extensions) longer than "
		       "4096 bytes";
		return HTTP_EINVAL;
	}
	if (d->state >= CH_TRAILER_START && ++d->trailers > HTTP_MAX_HEAD) {
		*why = "trailers larger than 64 KiB";
		return HTTP_EINVAL;
	}
	switch (d->state) {
	case CH_SIZE:
		if ((v = hexval(c)) < 0)
			goto bad_size;
		d->left = (uint64_t)v;
		d->digits = 1;
		d->state = CH_SIZE_MORE;
		return 0;
	case CH_SIZE_MORE:
		if ((v = hexval(c)) >= 0) {
			if (++d->digits > 15) {
				*why = "chunk size too large";
				return HTTP_EINVAL;
			}
			d->left = d->left * 16 + (uint64_t)v;
			return 0;
		}
		if (c == ';' || c == ' ' || c == '\t') {
			d->state = CH_EXT;
			return 0;
		}
		if (c == '\r') {
			d->state = CH_SIZE_LF;
			return 0;
		}
		if (c == '\n')
			goto size_done;
		goto bad_size;
	case CH_EXT:
		if (c == '\r')
			d->state = CH_SIZE_LF;
		else if (c == '\n')
			goto size_done;
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			goto bad_size;
		return 0;
	case CH_SIZE_LF:
		if (c != '\n')
			goto bad_size;
		goto size_done;
	case CH_DATA_CR:
		if (c == '\r') {
			d->state = CH_DATA_LF;
			return 0;
		}
		/* fall through */
	case CH_DATA_LF:
		if (c != '\n') {
			*why = "chunk data longer than its size";
			return HTTP_EINVAL;
		}
		d->state = CH_SIZE;
		return 0;
	case CH_TRAILER_START:
		if (c == '\r') {
			d->state = CH_END_LF;
			return 0;
		}
		if (c == '\n')
			return 1;
		d->digits = c == ':';
		d->state = CH_TRAILER;
		return 0;
	case CH_TRAILER:
		if (c == ':')
			d->digits = 1;
		if (c == '\r')
			d->state = CH_TRAILER_LF;
		else if (c != '\n')
			return 0;
		if (!d->digits) {
			*why = "trailer line without a colon";
			return HTTP_EINVAL;
		}
		if (c == '\n')
			d->state = CH_TRAILER_START;
		return 0;
	case CH_TRAILER_LF:
		if (c != '\n') {
			*why = "bad trailer line";
			return HTTP_EINVAL;
		}
		d->state = CH_TRAILER_START;
		return 0;
	case CH_END_LF:
		if (c != '\n') {
			*why = "bad end of chunked body";
			return HTTP_EINVAL;
		}
		return 1;
	}
	*why = "chunked decoder in a bad state";
	return HTTP_EINVAL;
size_done:
	d->line = 0;
	d->state = d->left ? CH_DATA : CH_TRAILER_START;
	return 0;
bad_size:
	*why = "bad chunk size line";
	return HTTP_EINVAL;
}

ssize_t http_chunked_decode(struct http_chunked *d, char *buf, size_t *len,
			    const char **why)
{
	size_t src = 0, dst = 0, n = *len, k;
	int r;

	*why = "";
	while (src < n) {
		if (d->state == CH_DATA) {
			k = n - src;
			if (k > d->left)
				k = (size_t)d->left;
			memmove(buf + dst, buf + src, k);
			dst += k;
			src += k;
			d->left -= k;
			if (!d->left)
				d->state = CH_DATA_CR;
			continue;
		}
		r = chunk_byte(d, (unsigned char)buf[src++], why);
		if (r < 0) {
			*len = dst;
			return r;
		}
		if (r == 1) {
			memmove(buf + dst, buf + src, n - src);
			*len = dst;
			return (ssize_t)(n - src);
		}
	}
	*len = dst;
	return HTTP_EPART;
}

int http_init(struct http_conn *c, struct transport *t, const char *host)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
	c->host = host;
	c->rbuf = malloc(RBUF_SIZE);
	c->done = 1;
	return c->rbuf ? 0 : -1;
}

void http_free(struct http_conn *c)
{
	free(c->rbuf);
	c->rbuf = NULL;
}

int http_reusable(const struct http_conn *c)
{
	return c->done && !c->head.close && c->mode != BODY_CLOSE &&
	       c->t->fd >= 0 && c->rpos == c->rlen;
}

static int io_error(struct http_conn *c, const char *what, struct err *e)
{
	int saved = errno;

	c->t->close(c->t);
	if (saved == ETIME)
		return err_set(e, EXIT_RUNTIME,
			       "%s: no whole answer within "
			       "%lld %s while %s (the limit for one request)",
			       c->what,
			       c->t->deadline_len % 1000 ?
				       (long long)c->t->deadline_len :
				       (long long)c->t->deadline_len / 1000,
			       c->t->deadline_len % 1000 ? "ms" : "s", what);
	if (saved == ETIMEDOUT && c->t->io_timeout_ms % 1000)
		return err_set(e, EXIT_RUNTIME,
			       "%s: no answer within %d ms "
			       "while %s",
			       c->what, c->t->io_timeout_ms, what);
	if (saved == ETIMEDOUT)
		return err_set(e, EXIT_RUNTIME,
			       "%s: no answer within %d s "
			       "while %s",
			       c->what, c->t->io_timeout_ms / 1000, what);
	return err_set(e, EXIT_RUNTIME, "%s: %s while %s", c->what,
		       strerror(saved), what);
}

/* Reads more bytes to rbuf[rlen..); the bytes, 0 at end of stream, -1. */
static ssize_t fill(struct http_conn *c)
{
	ssize_t r;

	if (c->rpos == c->rlen)
		c->rpos = c->rlen = 0;
	if (c->rlen == RBUF_SIZE) {
		errno = ENOBUFS;
		return -1;
	}
	r = c->t->read(c->t, c->rbuf + c->rlen, RBUF_SIZE - c->rlen);
	if (r > 0)
		c->rlen += (size_t)r;
	return r;
}

static int send_request(struct http_conn *c, const struct http_req *rq,
			struct err *e)
{
	struct buf b = { 0 };
	int r;

	r = buf_printf(&b,
		       "%s %s HTTP/1.1\r\nHost: %s\r\n"
		       "User-Agent: docker-fw\r\n",
		       rq->method, rq->path, c->host);
	if (!r && rq->body)
		r = buf_printf(&b,
			       "Content-Type: %s\r\n"
			       "Content-Length: %zu\r\n",
			       rq->content_type ? rq->content_type :
						  "application/json",
			       rq->body_len);
	if (!r)
		r = buf_adds(&b, "\r\n");
	if (!r && rq->body)
		r = buf_add(&b, rq->body, rq->body_len);
	if (r) {
		buf_free(&b);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	r = transport_write_all(c->t, b.data, b.len);
	buf_free(&b);
	if (r && c->requests && (errno == EPIPE || errno == ECONNRESET)) {
		c->t->close(c->t);
		errno = ECONNRESET;
		return err_set(e, 0, "%s: connection closed", c->what);
	}
	return r ? io_error(c, "sending a request", e) : 0;
}

static int read_head(struct http_conn *c, struct err *e)
{
	const char *why;
	ssize_t r;
	int n;

	if (c->rpos) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	for (;;) {
		n = http_parse_head(c->rbuf, c->rlen, &c->head, &why);
		if (n > 0 && c->head.status >= 100 && c->head.status < 200) {
			/* 1xx: an interim response, the real one follows */
			c->framing += (uint64_t)n;
			if (++c->interim > HTTP_MAX_INTERIM) {
				c->t->close(c->t);
				return err_set(e, EXIT_RUNTIME,
					       "%s: more than "
					       "%d interim (1xx) responses "
					       "before the answer",
					       c->what, HTTP_MAX_INTERIM);
			}
			memmove(c->rbuf, c->rbuf + n, c->rlen - (size_t)n);
			c->rlen -= (size_t)n;
			continue;
		}
		if (n > HTTP_MAX_HEAD)
			n = HTTP_EPART; /* too large, said below */
		if (n > 0) {
			c->rpos = (size_t)n;
			c->framing += (uint64_t)n;
			return 0;
		}
		if (n == HTTP_EINVAL) {
			c->t->close(c->t);
			return err_set(e, EXIT_RUNTIME, "%s: bad response: %s",
				       c->what, why);
		}
		if (c->rlen >= HTTP_MAX_HEAD) {
			c->t->close(c->t);
			return err_set(e, EXIT_RUNTIME,
				       "%s: response header "
				       "larger than %d KiB",
				       c->what, HTTP_MAX_HEAD / 1024);
		}
		r = fill(c);
		if (r < 0 && !c->rlen && c->requests && errno == ECONNRESET)
			r = 0;
		if (r == 0 && !c->rlen && c->requests) {
			c->t->close(c->t);
			errno = ECONNRESET;
			return err_set(e, 0, "%s: connection closed", c->what);
		}
		if (r == 0) {
			c->t->close(c->t);
			return err_set(e, EXIT_RUNTIME,
				       "%s: connection closed "
				       "before the end of the response header",
				       c->what);
		}
		if (r < 0)
			return io_error(c, "reading a response", e);
	}
}

int http_begin(struct http_conn *c, const struct http_req *rq, struct err *e)
{
	size_t max = c->max_body ? c->max_body : HTTP_MAX_BODY;
	int st;

	/* Nothing buffered belongs to a fresh connection: bytes left from
	 * one that failed (and was closed) would pass for its answer. */
	if (!c->requests)
		c->rpos = c->rlen = 0;
	memset(&c->ch, 0, sizeof(c->ch));
	c->ch_end = 0;
	c->got = c->left = 0;
	c->dpos = c->dlen = 0;
	c->done = 0;
	c->framing = 0;
	c->interim = 0;
	snprintf(c->what, sizeof(c->what), "%s: %s %.200s", c->t->name,
		 rq->method, rq->path);
	transport_deadline(c->t, c->deadline_ms ? c->deadline_ms :
				 c->t->io_timeout_ms > 0 ?
						  HTTP_DEADLINE_FACTOR *
							  c->t->io_timeout_ms :
						  0);
	if (send_request(c, rq, e) || read_head(c, e))
		return -1;
	st = c->head.status;
	if (!strcmp(rq->method, "HEAD") || st == 204 || st == 304) {
		c->mode = BODY_NONE;
	} else if (c->head.chunked) {
		c->mode = BODY_CHUNKED;
	} else if (c->head.content_length >= 0) {
		c->mode = BODY_LENGTH;
		c->left = (uint64_t)c->head.content_length;
		if (c->left > max) {
			c->t->close(c->t);
			return err_set(e, EXIT_RUNTIME,
				       "%s: response body of "
				       "%llu bytes is over the limit of %zu",
				       c->what, (unsigned long long)c->left,
				       max);
		}
	} else {
		c->mode = BODY_CLOSE;
	}
	if (c->mode == BODY_NONE || (c->mode == BODY_LENGTH && !c->left)) {
		c->done = 1;
		c->requests++;
	}
	return 0;
}

static void body_end(struct http_conn *c)
{
	c->done = 1;
	c->requests++;
	if (c->head.close || c->mode == BODY_CLOSE)
		c->t->close(c->t);
}

/* Decodes the raw bytes buffered into rbuf[dpos..dlen). 0 or -1. */
static int decode_chunks(struct http_conn *c, struct err *e)
{
	size_t n = c->rlen - c->rpos;
	const char *why;
	ssize_t r;

	r = http_chunked_decode(&c->ch, c->rbuf + c->rpos, &n, &why);
	if (r == HTTP_EINVAL) {
		c->t->close(c->t);
		return err_set(e, EXIT_RUNTIME, "%s: bad chunked body: %s",
			       c->what, why);
	}
	/* what was consumed and is not body: size lines, extensions, CR LFs,
	 * trailers */
	c->framing += (uint64_t)(c->rlen - c->rpos - n -
				 (r >= 0 ? (size_t)r : 0));
	if (c->framing > HTTP_MAX_FRAMING) {
		c->t->close(c->t);
		return err_set(e, EXIT_RUNTIME,
			       "%s: bad chunked body: over "
			       "%d MiB of framing (chunk sizes, extensions, "
			       "trailers)",
			       c->what, HTTP_MAX_FRAMING >> 20);
	}
	c->dpos = c->rpos;
	c->dlen = c->rpos + n;
	c->rpos = c->dlen;
	c->rlen = r >= 0 ? c->dlen + (size_t)r : c->dlen;
	c->ch_end = r >= 0; /* the body ends once dlen is read */
	return 0;
}

ssize_t http_read_body(struct http_conn *c, char *p, size_t n, struct err *e)
{
	size_t max = c->max_body ? c->max_body : HTTP_MAX_BODY, k;
	const char *src;
	ssize_t r;

	for (;;) {
		if (c->done)
			return 0;
		if (c->mode == BODY_CHUNKED) {
			k = c->dlen - c->dpos;
			src = c->rbuf + c->dpos;
			if (!k && c->ch_end) {
				body_end(c);
				return 0;
			}
		} else {
			k = c->rlen - c->rpos;
			src = c->rbuf + c->rpos;
			if (c->mode == BODY_LENGTH && k > c->left)
				k = (size_t)c->left;
		}
		if (k) {
			if (k > n)
				k = n;
			if (c->got + k > max) {
				c->t->close(c->t);
				return err_set(e, EXIT_RUNTIME,
					       "%s: response "
					       "body over the limit of %zu "
					       "bytes",
					       c->what, max);
			}
			memcpy(p, src, k);
			c->got += k;
			if (c->mode == BODY_CHUNKED) {
				c->dpos += k;
			} else {
				c->rpos += k;
				if (c->mode == BODY_LENGTH) {
					c->left -= k;
					if (!c->left)
						body_end(c);
				}
			}
			return (ssize_t)k;
		}
		if (c->mode == BODY_CHUNKED && !c->ch_end &&
		    c->rpos < c->rlen) {
			if (decode_chunks(c, e))
				return -1;
			continue;
		}
		r = fill(c);
		if (r < 0)
			return io_error(c, "reading a response body", e);
		if (r == 0 && c->mode == BODY_CLOSE) {
			body_end(c);
			return 0;
		}
		if (r == 0) {
			c->t->close(c->t);
			return err_set(e, EXIT_RUNTIME,
				       "%s: connection closed "
				       "before the end of the response body",
				       c->what);
		}
	}
}

int http_do(struct http_conn *c, const struct http_req *rq, struct buf *body,
	    struct err *e)
{
	ssize_t r;

	if (http_begin(c, rq, e))
		return -1;
	for (;;) {
		if (buf_reserve(body, 16384))
			return err_set(e, EXIT_RUNTIME, "out of memory");
		r = http_read_body(c, body->data + body->len,
				   body->cap - body->len - 1, e);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		body->len += (size_t)r;
		body->data[body->len] = 0;
	}
}

int http_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; (c = (unsigned char)*s); s++) {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c)) {
			if (buf_add(b, s, 1))
				return -1;
		} else if (buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15])) {
			return -1;
		}
	}
	return 0;
}
