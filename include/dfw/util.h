/*
 * util.h - errors, growable buffers, string lists, safe number parsing,
 * whole reads and writes of file descriptors, escaping for messages.
 */
#ifndef DFW_UTIL_H
#define DFW_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes, one table in README.md. */
enum {
	EXIT_DONE = 0,	    /* done */
	EXIT_NO = 1,	    /* a check answered "no" */
	EXIT_USAGE = 2,	    /* usage or bad input, nothing changed */
	EXIT_RUNTIME = 3,   /* runtime failure, nothing half-applied */
	EXIT_UNKNOWN = 127, /* unknown applet */
};

/*
 * An error as core/ reports it: the exit code class it maps to (EXIT_USAGE
 * or EXIT_RUNTIME) and one message without the applet prefix, e.g.
 * `cannot resolve container "web": no such container`. Owned by the caller,
 * usually on the stack.
 */
struct err {
	int code;
	char msg[512];
};

/* Sets e (if not NULL) from a printf format; returns -1 for tail calls. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes e->msg with a printf-formatted context and ": "; returns -1. */
int err_wrap(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Growable byte buffer, always NUL-terminated past len when data != NULL.
 * Zero-initialise; free with buf_free. Functions return 0, or -1 with
 * errno ENOMEM (or EOVERFLOW past the cap) and the buffer unchanged.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

int buf_reserve(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

/* A list of owned C strings. Zero-initialise; free with strv_free. */
struct strv {
	char **v;
	size_t n;
};

/* Appends a copy of str[0..len) (a NUL in it ends the copy's text). 0,
 * or -1 (ENOMEM) with s unchanged. */
int strv_add(struct strv *s, const char *str, size_t len);

/* Appends the line a printf format makes, cut at STRV_LINE_MAX bytes
 * (a warning or note for the user: one line, never a flood). 0 or -1. */
#define STRV_LINE_MAX 699
int strv_addf(struct strv *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strv_free(struct strv *s);

/* Whether str is one of s's strings. 1 or 0. */
int strv_has(const struct strv *s, const char *str);

/*
 * Parses a whole decimal unsigned number in [min, max] from s (no sign, no
 * spaces, no leading zeros except "0" itself). Returns 0, or -1 with errno
 * EINVAL (not a number) or ERANGE (outside the range).
 */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Writes all of p[0..n) to fd, again after EINTR and short writes: 0, or
 * -1 with errno (EIO when write returned 0). */
int fd_write_all(int fd, const void *p, size_t n);

/*
 * Appends what fd holds, to its end, to b, reading at most max + 1 bytes
 * in all (b->len counts), so that an endless or oversized input is seen
 * while it is read. 0 with b->data set (NUL-terminated, maybe empty), or
 * -1 with errno: EFBIG (more than max bytes: b holds the first max + 1),
 * ENOMEM, or the read's error. The caller names the input.
 */
int fd_read_all(int fd, struct buf *b, size_t max);

/*
 * flock(fd, op) (LOCK_SH or LOCK_EX), waiting at most timeout_ms
 * milliseconds for a lock someone else holds (polling with LOCK_NB, so
 * no signal is needed): for files that another party - a container - may
 * keep locked for ever. 0, or -1 with errno (ETIMEDOUT when the time ran
 * out).
 */
int fd_lock_timed(int fd, int op, int timeout_ms);

/*
 * s for a message, in out (size bytes, size >= 8; always terminated):
 * backslash, double quote, control characters and bytes over 0x7e
 * escaped (\\, \", \n, \r, \t, \xNN), so that a value from outside shows
 * as one line that says which bytes it holds; when it does not fit, it
 * is cut at a whole escape and ends in "...". Returns out.
 */
char *str_escape(char *out, size_t size, const char *s);

/*
 * str_escape of s[0..n) (a NUL in it shown as \x00); with quoted 0, "
 * and \ are left as they are: for a whole message whose values were
 * escaped already, so that no control character of whatever it holds
 * reaches a terminal. Returns out.
 */
char *str_escape_n(char *out, size_t size, const char *s, size_t n, int quoted);

/*
 * A 64-bit digest of p[0..n) after seed (0, a secret key, or a digest
 * before: a long input in parts, each part's digest the next one's
 * seed). For telling whether something changed: 16 bytes a step by a
 * 64 x 64 -> 128-bit multiply (wyhash's mixing), about 10 GB/s here.
 * Not a MAC: with a random seed nobody who lacks it can aim at a
 * collision, but nothing more is claimed.
 */
uint64_t hash64(const void *p, size_t n, uint64_t seed);

/* str_escape into an array: `"%s"` of a name in a message. */
#define STR_ESC(out, s) str_escape((out), sizeof(out), (s))

#endif
