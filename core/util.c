/* util.c - errors, buffers, string lists, numbers, whole reads, escaping. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "dfw/util.h"

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	va_list ap;
	int n;

	if (!e)
		return -1;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 2 < sizeof(e->msg)) {
		size_t at = (size_t)n, len = strlen(old);

		memcpy(e->msg + at, ": ", 2);
		at += 2;
		if (len > sizeof(e->msg) - 1 - at)
			len = sizeof(e->msg) - 1 - at;
		memcpy(e->msg + at, old, len);
		e->msg[at + len] = 0;
	}
	return -1;
}

int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1) {
		errno = EOVERFLOW;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n))
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int strv_add(struct strv *s, const char *str, size_t len)
{
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));
	char *c;

	if (!v)
		return -1;
	s->v = v;
	c = malloc(len + 1);
	if (!c)
		return -1;
	memcpy(c, str, len);
	c[len] = 0;
	s->v[s->n++] = c;
	return 0;
}

int strv_addf(struct strv *s, const char *fmt, ...)
{
	char line[STRV_LINE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return strv_add(s, line, strlen(line));
}

int strv_has(const struct strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return 1;
	return 0;
}

void strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (!*s || (s[0] == '0' && s[1])) {
		errno = EINVAL;
		return -1;
	}
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9') {
			errno = EINVAL;
			return -1;
		}
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int fd_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int fd_read_all(int fd, struct buf *b, size_t max)
{
	size_t want, start = b->len;
	ssize_t n;

	if (buf_reserve(b, 0))
		return -1;
	b->data[b->len] = 0;
	for (;;) {
		if (b->len - start > max) {
			errno = EFBIG;
			return -1;
		}
		want = max + 1 - (b->len - start);
		if (want > 64 * 1024)
			want = 64 * 1024;
		if (buf_reserve(b, want))
			return -1;
		n = read(fd, b->data + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			return 0;
		b->len += (size_t)n;
		b->data[b->len] = 0;
	}
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t0->tv_sec) * 1000 +
	       (now.tv_nsec - t0->tv_nsec) / 1000000;
}

int fd_lock_timed(int fd, int op, int timeout_ms)
{
	struct timespec t0, nap = { 0, 20 * 1000 * 1000 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (!flock(fd, op | LOCK_NB))
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return -1;
		if (ms_since(&t0) >= timeout_ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&nap, NULL);
	}
}

/* The escape of c into esc (at least 5 bytes); its length. */
static size_t esc_char(unsigned char c, char *esc)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\\' || c == '"') {
		esc[0] = '\\';
		esc[1] = (char)c;
		return 2;
	}
	if (c == '\n' || c == '\r' || c == '\t') {
		esc[0] = '\\';
		esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		return 2;
	}
	if (c < 0x20 || c > 0x7e) {
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[c >> 4];
		esc[3] = hex[c & 15];
		return 4;
	}
	esc[0] = (char)c;
	return 1;
}

char *str_escape(char *out, size_t size, const char *s)
{
	size_t o = 0, k, total = 0, room;
	const char *p;
	char esc[5];

	for (p = s; *p; p++)
		total += esc_char((unsigned char)*p, esc);
	/* all of it, or as much as leaves room for "..." */
	room = total < size ? size - 1 : size - 4;
	for (p = s; *p; p++) {
		k = esc_char((unsigned char)*p, esc);
		if (o + k > room)
			break;
		memcpy(out + o, esc, k);
		o += k;
	}
	if (*p) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return out;
}

char *str_escape_n(char *out, size_t size, const char *s, size_t n, int quoted)
{
	size_t i, o = 0, k, total = 0, room;
	char esc[5];

	for (i = 0; i < n; i++)
		total += quoted || (s[i] != '\\' && s[i] != '"') ?
				 esc_char((unsigned char)s[i], esc) :
				 1;
	room = total < size ? size - 1 : size - 4;
	for (i = 0; i < n; i++) {
		if (quoted || (s[i] != '\\' && s[i] != '"')) {
			k = esc_char((unsigned char)s[i], esc);
		} else {
			esc[0] = s[i];
			k = 1;
		}
		if (o + k > room)
			break;
		memcpy(out + o, esc, k);
		o += k;
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return out;
}

/* ---- digests ------------------------------------------------------------ */

static uint64_t mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t hash64(const void *p, size_t n, uint64_t seed)
{
	static const uint64_t k[3] = { 0xa0761d6478bd642full,
				       0xe7037ed1a0b428dbull,
				       0x8ebc6af09c88c6e3ull };
	const unsigned char *s = p;
	/* the seed is in both factors of every step: a block cannot be
	 * made to give 0 without knowing it (a random seed: a key) */
	uint64_t a, b, x = mum(seed ^ k[2], k[1]) ^ k[0],
		       h = seed ^ mum(seed ^ k[0], n ^ k[1]);

	for (; n >= 16; s += 16, n -= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, 8);
		h ^= mum(a ^ x, b ^ h ^ k[1]);
	}
	a = b = 0;
	if (n > 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, n - 8);
	} else if (n) {
		memcpy(&a, s, n);
	}
	h ^= mum(a ^ x ^ n, b ^ h ^ k[1]);
	return mum(h ^ k[2], h ^ k[1]) ^ h;
}
