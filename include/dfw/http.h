/*
 * http.h - a small HTTP/1.1 client for the Docker Engine API (RFC 9112):
 * one request at a time on a keep-alive connection; Content-Length,
 * chunked (extensions and trailers) and close-delimited bodies; limits on
 * header and body size. The parsers are pure and resumable, in the manner
 * of picohttpparser: they work on the caller's buffer and answer "need
 * more" for every prefix of a valid input.
 */
#ifndef DFW_HTTP_H
#define DFW_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dfw/util.h"

struct transport;

/*
 * Limits of one response; every byte read counts toward one of them, and
 * each is checked while the bytes arrive:
 *   HTTP_MAX_HEAD      the status line and header fields of the answer
 *   HTTP_MAX_BODY      its body, decoded (http_conn.max_body may lower it)
 *   HTTP_MAX_FRAMING   the rest: interim (1xx) heads, the head itself,
 *                      chunk size lines with their extensions, the CR LF
 *                      after each chunk, trailers
 *   HTTP_MAX_INTERIM   interim (1xx) answers before the answer
 *   HTTP_MAX_CHUNK_LINE  one chunk size line with its extensions
 *   trailers           HTTP_MAX_HEAD bytes in all
 * and the whole request (sending it, reading the whole answer) must end
 * within HTTP_DEADLINE_FACTOR times the transport's timeout for one read
 * (DFW_TIMEOUT: 60 s, so 5 minutes), however slowly bytes come.
 */
#define HTTP_MAX_HEAD (64 * 1024)	 /* bytes of status + headers */
#define HTTP_MAX_BODY (64 * 1024 * 1024) /* decoded body bytes */
#define HTTP_MAX_FRAMING (4 * 1024 * 1024)
#define HTTP_MAX_INTERIM 8
#define HTTP_MAX_CHUNK_LINE 4096
#define HTTP_DEADLINE_FACTOR 5

enum {
	HTTP_EPART = -1,  /* need more bytes */
	HTTP_EINVAL = -2, /* malformed; *why says what */
};

/* What the client needs of a response head. */
struct http_head {
	int minor;		/* HTTP/1.minor */
	int status;		/* 100..599 */
	int64_t content_length; /* -1 when absent */
	int chunked;		/* Transfer-Encoding: chunked */
	int close;		/* the server closes after this response */
	char api_version[16];	/* Api-Version (Docker), "" if absent */
	char content_type[96];	/* Content-Type, "" if absent */
};

/*
 * Parses a response head (status line, header fields, empty line) from
 * s[0..len). Returns its length (> 0), HTTP_EPART, or HTTP_EINVAL with
 * *why set to a static description. Header names are matched without
 * regard to case; unknown fields are skipped; obsolete line folding, a
 * field without a colon, a bad or conflicting Content-Length and a
 * transfer coding other than chunked are invalid. Lines end in CRLF (a
 * bare LF is accepted). The caller enforces HTTP_MAX_HEAD.
 */
int http_parse_head(const char *s, size_t len, struct http_head *h,
		    const char **why);

/* State of a chunked-body decoder; zero-initialise before the body. */
struct http_chunked {
	int state;
	int digits;
	uint64_t left;	   /* bytes left in the current chunk */
	unsigned line;	   /* bytes of the current chunk size line */
	unsigned trailers; /* bytes of trailers so far */
};

/*
 * Decodes chunked data in place: on return buf[0..*len) holds the decoded
 * bytes of this call. Returns HTTP_EPART when the body goes on (all input
 * was consumed into the state), HTTP_EINVAL (*why set) on a malformed
 * chunk size, extension, data terminator or trailer, a size line longer
 * than HTTP_MAX_CHUNK_LINE or trailers over HTTP_MAX_HEAD bytes, or,
 * when the last chunk and trailers are complete, the number of bytes
 * after the body, moved to buf[*len..*len + ret).
 */
ssize_t http_chunked_decode(struct http_chunked *d, char *buf, size_t *len,
			    const char **why);

/* A request; body may be NULL (no Content-Length sent for GET). */
struct http_req {
	const char *method; /* "GET", "POST" */
	const char *path;   /* origin-form, already escaped */
	const char *body;
	size_t body_len;
	const char *content_type; /* default application/json */
};

/* A connection: the transport, a read buffer and what the body needs. */
struct http_conn {
	struct transport *t;
	const char *host;  /* Host field value */
	size_t max_body;   /* 0: HTTP_MAX_BODY */
	unsigned requests; /* completed on this connection */
	char *rbuf;	   /* HTTP_MAX_HEAD + 16 KiB, owned */
	size_t rpos, rlen; /* unread bytes rbuf[rpos..rlen) */
	/* the response being read */
	struct http_head head;
	int mode;      /* body framing */
	uint64_t left; /* Content-Length bytes left */
	uint64_t got;  /* decoded body bytes so far */
	struct http_chunked ch;
	int ch_end;	   /* the last chunk was decoded */
	size_t dpos, dlen; /* decoded chunk bytes rbuf[dpos..dlen) */
	int done;
	uint64_t framing; /* bytes read that are not body (limits) */
	int interim;	  /* 1xx answers before this one */
	int deadline_ms;  /* whole request; 0: HTTP_DEADLINE_FACTOR
				 * times t->io_timeout_ms (none if that is
				 * <= 0); < 0: none (a stream) */
	char what[640];	  /* "ENDPOINT: METHOD PATH", for messages */
};

/* Binds c to an open transport t; host is the Host field. 0 or -1. */
int http_init(struct http_conn *c, struct transport *t, const char *host);
void http_free(struct http_conn *c);

/*
 * Sends rq and reads the response head into c->head, and sets the
 * deadline of the request on the transport (see the limits above).
 * Returns 0, or -1 with e set (EXIT_RUNTIME) naming the endpoint and the
 * limit or what was wrong. A connection that had
 * served requests and is found closed before any byte of the response
 * gives -1 with errno ECONNRESET and e->code 0: the caller may reconnect
 * and send again.
 */
int http_begin(struct http_conn *c, const struct http_req *rq, struct err *e);

/*
 * Reads up to n decoded body bytes of the current response. Returns the
 * number read, 0 at the end of the body, or -1 with e set.
 */
ssize_t http_read_body(struct http_conn *c, char *p, size_t n, struct err *e);

/* http_begin, then the whole body into body (appended). 0 or -1. */
int http_do(struct http_conn *c, const struct http_req *rq, struct buf *body,
	    struct err *e);

/* Whether c can carry another request (the body was read to its end and
 * the server keeps the connection). */
int http_reusable(const struct http_conn *c);

/* Appends s percent-encoded for a path segment or query value: everything
 * but RFC 3986 unreserved characters is escaped. 0 or -1 (ENOMEM). */
int http_escape(struct buf *b, const char *s);

#endif
