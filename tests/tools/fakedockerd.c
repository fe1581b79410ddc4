/*
 * fakedockerd - a Docker daemon that lies, for the e2e tests: a proxy on a
 * unix socket in front of the sandbox's real dockerd, which answers every
 * request the real daemon's way unless a rule says otherwise. Real
 * containers and networks stay behind it; the rules change what the
 * client is told about them. tests/lib/fakedocker.sh drives it.
 *
 *	fakedockerd -l SOCKET -u UPSTREAM -r RULES [-o LOG]
 *
 * SOCKET is made (through a temporary name, so it accepts as soon as it
 * exists); UPSTREAM is the real daemon's unix socket; RULES is read again
 * for every request, so a test may rewrite it between runs (a missing
 * file: no rules). LOG gets one line per request: "METHOD PATH proxy" or
 * "METHOD PATH rule N" (N the rule's line), written at once.
 *
 * RULES: one rule a line, blank lines and "#" comments skipped:
 *
 *	METHOD PATH [times N] ACTION [ARG]... [ACTION [ARG]...]...
 *
 * METHOD is GET, POST, ... or "*". PATH is an fnmatch(3) pattern ("*"
 * also matches "/") of the request's path and query without the "/v1.NN"
 * prefix: "/_ping", "/networks", "/containers/STAR/json", with STAR
 * written "*" (C comments cannot show it here).
 * The first rule that matches applies; "times N" makes it apply to the
 * first N matching requests only (counted over all connections; counts
 * start again when the file changes). Words are split at blanks;
 * '...' is literal, "..." and unquoted words take the escapes \n \r \t
 * \0 \\ \" \' \xHH.
 *
 * Actions run in order on the client's connection:
 *	proxy                   relay the request to the real daemon and its
 *	                        answer back (what a rule without answer, send,
 *	                        repeat or hang does by itself)
 *	answer CODE BODY        answer CODE with BODY (application/json,
 *	                        Content-Length); the connection stays open
 *	send BYTES              send raw bytes
 *	repeat N|forever BYTES  send BYTES N times (forever: until the client
 *	                        goes away)
 *	pace MS                 wait MS milliseconds before each later send
 *	                        and each repetition
 *	hang                    read and drop what the client sends until it
 *	                        closes
 *	close                   close the connection (after send and repeat
 *	                        it is closed anyway)
 * and change the answer of proxy or answer:
 *	replace OLD NEW         every OLD in the body becomes NEW (the body
 *	                        as decoded; it is sent with Content-Length)
 *	header NAME VALUE       sets the header field (replacing the real
 *	                        one); a Content-Length or Transfer-Encoding
 *	                        set so is sent as given, the body unchanged
 *	drop-header NAME        removes the header field
 *	status CODE             changes the status code
 *
 * Upgraded (101) and close-delimited answers (exec start's hijacked
 * stream) are relayed both ways until the daemon closes; chunked answers
 * (/events) are relayed as they come until either side closes. Requests
 * are read whole (head and Content-Length body, 1 MiB at most); a
 * chunked request body (docker import from stdin) is not supported.
 *
 * Each connection is served by a child process; SIGTERM to the parent
 * ends them all (they are in its process group).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dfw/docker.h"
#include "dfw/http.h"
#include "dfw/util.h"

#define MAX_RULES_FILE (1 << 20)
#define MAX_REQ (1 << 20)
#define MAX_LINES 4096

static const char *rules_path, *up_path, *log_path;

/* Shared by the children: how often each rule line has applied, for the
 * rules file as it was (stamp). */
struct shared {
	struct stat stamp;
	unsigned hits[MAX_LINES];
};
static struct shared *sh;

/* ---- little helpers ---------------------------------------------------- */

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fakedockerd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t r;

	while (n) {
		r = send(fd, c, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static void logf_(const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int fd, n;

	if (!log_path)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			(void)0;
		close(fd);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- rules ------------------------------------------------------------- */

enum {
	A_PROXY,
	A_ANSWER,
	A_SEND,
	A_REPEAT,
	A_PACE,
	A_HANG,
	A_CLOSE,
	A_REPLACE,
	A_HEADER,
	A_DROPHDR,
	A_STATUS,
};

static const struct {
	const char *name;
	int kind;
	int nargs;
} acts[] = {
	{ "proxy", A_PROXY, 0 },   { "answer", A_ANSWER, 2 },
	{ "send", A_SEND, 1 },	   { "repeat", A_REPEAT, 2 },
	{ "pace", A_PACE, 1 },	   { "hang", A_HANG, 0 },
	{ "close", A_CLOSE, 0 },   { "replace", A_REPLACE, 2 },
	{ "header", A_HEADER, 2 }, { "drop-header", A_DROPHDR, 1 },
	{ "status", A_STATUS, 1 },
};

struct word {
	char *p;
	size_t n;
};

struct rule {
	int line;
	char *method, *path;
	long times;	/* 0: always */
	struct word *w; /* the action words */
	size_t nw;
};

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One escape at s (after the backslash) into *out; the bytes read. */
static size_t unescape(const char *s, char *out)
{
	switch (*s) {
	case 'n':
		*out = '\n';
		return 1;
	case 'r':
		*out = '\r';
		return 1;
	case 't':
		*out = '\t';
		return 1;
	case '0':
		*out = 0;
		return 1;
	case 'x':
		if (hexv((unsigned char)s[1]) >= 0 &&
		    hexv((unsigned char)s[2]) >= 0) {
			*out = (char)(hexv((unsigned char)s[1]) * 16 +
				      hexv((unsigned char)s[2]));
			return 3;
		}
		*out = 'x';
		return 1;
	case 0:
		*out = '\\';
		return 0;
	default:
		*out = *s;
		return 1;
	}
}

/* Splits line into words (in place; escapes make words shorter). */
static int split(char *line, struct word *w, size_t max, size_t *n)
{
	char *s = line, *o;

	*n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			return 0;
		if (*n == max)
			return -1;
		w[*n].p = o = s;
		while (*s && *s != ' ' && *s != '\t') {
			if (*s == '\'') {
				for (s++; *s && *s != '\'';)
					*o++ = *s++;
				if (!*s)
					return -1;
				s++;
			} else if (*s == '"') {
				for (s++; *s && *s != '"';) {
					if (*s == '\\') {
						s++;
						s += unescape(s, o++);
					} else {
						*o++ = *s++;
					}
				}
				if (!*s)
					return -1;
				s++;
			} else if (*s == '\\') {
				s++;
				s += unescape(s, o++);
			} else {
				*o++ = *s++;
			}
		}
		w[*n].n = (size_t)(o - w[*n].p);
		(*n)++;
		if (*s)
			s++;
		*o = 0;
	}
}

static int act_of(const struct word *w)
{
	size_t i;

	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (!strcmp(w->p, acts[i].name))
			return (int)i;
	return -1;
}

/* The rules file; NULL data when there is none. Checks every rule. */
static int rules_load(struct buf *file, struct rule **rv, size_t *rn,
		      struct stat *st)
{
	static struct word words[4096];
	char *line, *next;
	int lineno = 0, fd;
	size_t nw, i, k;
	ssize_t r;
	struct rule *v = NULL;

	*rv = NULL;
	*rn = 0;
	memset(st, 0, sizeof(*st));
	fd = open(rules_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	fstat(fd, st);
	for (;;) {
		if (file->len > MAX_RULES_FILE || buf_reserve(file, 65536))
			die("%s: too large", rules_path);
		r = read(fd, file->data + file->len, 65536);
		if (r <= 0)
			break;
		file->len += (size_t)r;
		file->data[file->len] = 0;
	}
	close(fd);
	if (!file->data)
		return 0;
	for (line = file->data; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		if (split(line, words, sizeof(words) / sizeof(words[0]), &nw))
			die("%s:%d: bad quoting or too many words", rules_path,
			    lineno);
		if (!nw)
			continue;
		if (nw < 2)
			die("%s:%d: METHOD PATH ACTION...", rules_path, lineno);
		v = realloc(v, (*rn + 1) * sizeof(*v));
		if (!v)
			die("out of memory");
		memset(&v[*rn], 0, sizeof(*v));
		v[*rn].line = lineno;
		v[*rn].method = words[0].p;
		v[*rn].path = words[1].p;
		i = 2;
		if (nw > 3 && !strcmp(words[2].p, "times")) {
			v[*rn].times = atol(words[3].p);
			if (v[*rn].times <= 0)
				die("%s:%d: times N, N > 0", rules_path,
				    lineno);
			i = 4;
		}
		v[*rn].w = malloc((nw - i + 1) * sizeof(struct word));
		if (!v[*rn].w)
			die("out of memory");
		memcpy(v[*rn].w, words + i, (nw - i) * sizeof(struct word));
		v[*rn].nw = nw - i;
		for (k = 0; k < v[*rn].nw;) {
			int a = act_of(&v[*rn].w[k]);

			if (a < 0)
				die("%s:%d: unknown action \"%s\"", rules_path,
				    lineno, v[*rn].w[k].p);
			if (k + 1 + (size_t)acts[a].nargs > v[*rn].nw)
				die("%s:%d: %s takes %d argument(s)",
				    rules_path, lineno, acts[a].name,
				    acts[a].nargs);
			k += 1 + (size_t)acts[a].nargs;
		}
		(*rn)++;
	}
	*rv = v;
	return 0;
}

static void rules_free(struct rule *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].w);
	free(v);
}

/* The rule for this request, counting it; NULL: proxy as is. */
static const struct rule *rule_for(struct rule *v, size_t n, const char *method,
				   const char *path, const struct stat *st)
{
	size_t i;

	if (sh->stamp.st_ino != st->st_ino ||
	    sh->stamp.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    sh->stamp.st_mtim.tv_nsec != st->st_mtim.tv_nsec ||
	    sh->stamp.st_size != st->st_size) {
		memset(sh->hits, 0, sizeof(sh->hits));
		sh->stamp = *st;
	}
	for (i = 0; i < n; i++) {
		unsigned *h = &sh->hits[v[i].line % MAX_LINES];

		if (strcmp(v[i].method, "*") && strcmp(v[i].method, method))
			continue;
		if (fnmatch(v[i].path, path, 0))
			continue;
		if (v[i].times && (long)*h >= v[i].times)
			continue;
		__atomic_add_fetch(h, 1, __ATOMIC_SEQ_CST);
		return &v[i];
	}
	return NULL;
}

/* ---- connections ------------------------------------------------------- */

struct conn {
	int fd;
	struct buf in; /* read, not yet used: in.data[pos..len) */
	size_t pos;
};

static ssize_t conn_fill(struct conn *c)
{
	ssize_t r;

	if (c->pos == c->in.len)
		c->pos = c->in.len = 0;
	if (buf_reserve(&c->in, 65536))
		die("out of memory");
	do
		r = recv(c->fd, c->in.data + c->in.len,
			 c->in.cap - c->in.len - 1, 0);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		c->in.len += (size_t)r;
		c->in.data[c->in.len] = 0;
	}
	return r;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->pos = c->in.len = 0;
}

static int up_connect(struct conn *u)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (u->fd >= 0)
		return 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", up_path);
	u->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u->fd < 0 || connect(u->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		conn_close(u);
		return -1;
	}
	u->pos = u->in.len = 0;
	return 0;
}

/* A whole request from the client at c->in[c->pos..): its length (head
 * and Content-Length body), 0 when the client closed first, -1. */
static ssize_t read_request(struct conn *c, size_t *head)
{
	const char *p, *end, *cl;
	size_t want = 0, n;

	for (;;) {
		p = c->in.data ? c->in.data + c->pos : NULL;
		n = c->in.len - c->pos;
		end = p ? memmem(p, n, "\r\n\r\n", 4) : NULL;
		if (end) {
			*head = (size_t)(end - p) + 4;
			cl = memmem(p, *head, "\r\nContent-Length:", 17);
			if (!cl)
				cl = memmem(p, *head,
					    "\r\ncontent-length:", 17);
			want = cl ? strtoul(cl + 17, NULL, 10) : 0;
			if (want > MAX_REQ)
				return -1;
			if (n >= *head + want)
				return (ssize_t)(*head + want);
		} else if (n > MAX_REQ) {
			return -1;
		}
		switch (conn_fill(c)) {
		case 0:
			return c->in.len - c->pos ? -1 : 0;
		case -1:
			return -1;
		}
	}
}

/* ---- answers ----------------------------------------------------------- */

struct answer {
	int status;
	char reason[64];
	struct strv hdr; /* "Name: value" */
	struct buf body;
	int user_length; /* Content-Length/Transfer-Encoding set by a rule */
};

static void answer_free(struct answer *a)
{
	strv_free(&a->hdr);
	buf_free(&a->body);
}

static int hdr_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return !strncasecmp(line, name, n) && line[n] == ':';
}

static void hdr_drop(struct answer *a, const char *name)
{
	size_t i, k;

	for (i = k = 0; i < a->hdr.n; i++) {
		if (hdr_is(a->hdr.v[i], name))
			free(a->hdr.v[i]);
		else
			a->hdr.v[k++] = a->hdr.v[i];
	}
	a->hdr.n = k;
}

static void hdr_set(struct answer *a, const struct word *name,
		    const struct word *val)
{
	struct buf l = { 0 };

	hdr_drop(a, name->p);
	if (buf_add(&l, name->p, name->n) || buf_adds(&l, ": ") ||
	    buf_add(&l, val->p, val->n) || strv_add(&a->hdr, l.data, l.len))
		die("out of memory");
	buf_free(&l);
	if (!strcasecmp(name->p, "Content-Length") ||
	    !strcasecmp(name->p, "Transfer-Encoding"))
		a->user_length = 1;
}

static void body_replace(struct buf *b, const struct word *from,
			 const struct word *to)
{
	struct buf o = { 0 };
	size_t i = 0;
	const char *hit;

	if (!from->n || !b->data)
		return;
	while (i <= b->len) {
		hit = memmem(b->data + i, b->len - i, from->p, from->n);
		if (!hit) {
			if (buf_add(&o, b->data + i, b->len - i))
				die("out of memory");
			break;
		}
		if (buf_add(&o, b->data + i, (size_t)(hit - b->data) - i) ||
		    buf_add(&o, to->p, to->n))
			die("out of memory");
		i = (size_t)(hit - b->data) + from->n;
	}
	buf_free(b);
	*b = o;
}

/* Applies the rule's changes to a and sends it. 0, or -1 (client gone). */
static int answer_send(int fd, struct answer *a, const struct rule *r)
{
	struct buf out = { 0 };
	size_t k, i;
	int rc;

	for (k = 0; r && k < r->nw;
	     k += 1 + (size_t)acts[act_of(&r->w[k])].nargs) {
		const struct word *w = &r->w[k];

		switch (acts[act_of(w)].kind) {
		case A_REPLACE:
			body_replace(&a->body, &w[1], &w[2]);
			break;
		case A_HEADER:
			hdr_set(a, &w[1], &w[2]);
			break;
		case A_DROPHDR:
			hdr_drop(a, w[1].p);
			break;
		case A_STATUS:
			a->status = atoi(w[1].p);
			break;
		}
	}
	if (buf_printf(&out, "HTTP/1.1 %03d %s\r\n", a->status, a->reason))
		die("out of memory");
	for (i = 0; i < a->hdr.n; i++) {
		if (!a->user_length &&
		    (hdr_is(a->hdr.v[i], "Content-Length") ||
		     hdr_is(a->hdr.v[i], "Transfer-Encoding")))
			continue;
		if (buf_printf(&out, "%s\r\n", a->hdr.v[i]))
			die("out of memory");
	}
	if (!a->user_length &&
	    buf_printf(&out, "Content-Length: %zu\r\n", a->body.len))
		die("out of memory");
	if (buf_adds(&out, "\r\n") ||
	    buf_add(&out, a->body.data ? a->body.data : "", a->body.len))
		die("out of memory");
	rc = write_all(fd, out.data, out.len);
	buf_free(&out);
	return rc;
}

/* ---- relaying the real daemon's answer --------------------------------- */

/* Relays both ways until up closes (or the client, when both_ends). */
static void relay_raw(struct conn *c, struct conn *u, int both_ends)
{
	struct pollfd p[2];
	char b[65536];
	ssize_t r;
	int client_open = 1;

	if (u->pos < u->in.len &&
	    write_all(c->fd, u->in.data + u->pos, u->in.len - u->pos))
		return;
	u->pos = u->in.len = 0;
	if (c->pos < c->in.len &&
	    write_all(u->fd, c->in.data + c->pos, c->in.len - c->pos))
		return;
	c->pos = c->in.len = 0;
	for (;;) {
		p[0].fd = u->fd;
		p[0].events = POLLIN;
		p[1].fd = client_open ? c->fd : -1;
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (p[0].revents) {
			r = recv(u->fd, b, sizeof(b), 0);
			if (r <= 0 || write_all(c->fd, b, (size_t)r))
				return;
		}
		if (p[1].revents) {
			r = recv(c->fd, b, sizeof(b), 0);
			if (r <= 0) {
				if (both_ends)
					return;
				client_open = 0;
				shutdown(u->fd, SHUT_WR);
			} else if (write_all(u->fd, b, (size_t)r)) {
				return;
			}
		}
	}
}

/* The head of the real daemon's answer at u->in[u->pos..): parsed into
 * h, raw into a (status, reason, header lines). 1xx interim answers other
 * than 101 are relayed to the client as they come. 0, or -1. */
static int up_head(struct conn *c, struct conn *u, struct http_head *h,
		   struct answer *a, size_t *hlen)
{
	const char *why, *s, *e, *nl;
	int n;

	for (;;) {
		n = u->in.data ? http_parse_head(u->in.data + u->pos,
						 u->in.len - u->pos, h, &why) :
				 HTTP_EPART;
		if (n == HTTP_EINVAL)
			return -1;
		if (n > 0 && h->status >= 100 && h->status < 200 &&
		    h->status != 101) {
			if (write_all(c->fd, u->in.data + u->pos, (size_t)n))
				return -1;
			u->pos += (size_t)n;
			continue;
		}
		if (n > 0)
			break;
		if (conn_fill(u) <= 0)
			return -1;
	}
	*hlen = (size_t)n;
	s = u->in.data + u->pos;
	e = s + n;
	nl = memchr(s, '\n', (size_t)(e - s));
	a->status = h->status;
	snprintf(a->reason, sizeof(a->reason), "%.*s",
		 (int)(nl - s > 13 ? nl - s - 13 - (nl[-1] == '\r') : 0),
		 s + 13);
	for (s = nl + 1; s < e; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(e - s));
		n = (int)(nl - s) - (nl > s && nl[-1] == '\r');
		if (n > 0 && strv_add(&a->hdr, s, (size_t)n))
			die("out of memory");
	}
	return 0;
}

/* Reads (and, with out NULL, relays) the body of the answer in h. out:
 * collected, decoded. Returns 0 when the connection to up may serve
 * another request, 1 when it ended, -1 on errors. */
static int up_body(struct conn *c, struct conn *u, const struct http_head *h,
		   int no_body, struct buf *out)
{
	struct http_chunked ch = { 0 };
	const char *why;
	size_t n, k;
	uint64_t left;
	ssize_t r;
	char sz[32];

	if (no_body)
		return h->close;
	if (!h->chunked && h->content_length >= 0) {
		left = (uint64_t)h->content_length;
		while (left) {
			if (u->pos == u->in.len && conn_fill(u) <= 0)
				return -1;
			k = u->in.len - u->pos;
			if (k > left)
				k = (size_t)left;
			if (out ? buf_add(out, u->in.data + u->pos, k) :
				  write_all(c->fd, u->in.data + u->pos, k))
				return -1;
			u->pos += k;
			left -= k;
		}
		return h->close;
	}
	if (!h->chunked) {
		if (!out) {
			relay_raw(c, u, 0);
			return 1;
		}
		for (;;) {
			if (u->pos < u->in.len &&
			    buf_add(out, u->in.data + u->pos,
				    u->in.len - u->pos))
				return -1;
			u->pos = u->in.len = 0;
			r = conn_fill(u);
			if (r < 0)
				return -1;
			if (!r)
				return 1;
		}
	}
	for (;;) {
		if (u->pos == u->in.len) {
			struct pollfd p[2] = { { u->fd, POLLIN, 0 },
					       { c->fd, POLLIN, 0 } };

			/* a stream (/events): the client may leave first */
			if (!out && poll(p, 2, -1) > 0 && p[1].revents &&
			    !p[0].revents)
				return -1;
			if (conn_fill(u) <= 0)
				return -1;
		}
		n = u->in.len - u->pos;
		r = http_chunked_decode(&ch, u->in.data + u->pos, &n, &why);
		if (r == HTTP_EINVAL)
			return -1;
		if (n && out && buf_add(out, u->in.data + u->pos, n))
			return -1;
		if (n && !out) {
			snprintf(sz, sizeof(sz), "%zx\r\n", n);
			if (write_all(c->fd, sz, strlen(sz)) ||
			    write_all(c->fd, u->in.data + u->pos, n) ||
			    write_all(c->fd, "\r\n", 2))
				return -1;
		}
		if (r >= 0) {
			/* the rest moved to just after the decoded bytes */
			memmove(u->in.data, u->in.data + u->pos + n, (size_t)r);
			u->pos = 0;
			u->in.len = (size_t)r;
			if (!out && write_all(c->fd, "0\r\n\r\n", 5))
				return -1;
			return h->close;
		}
		u->pos = u->in.len = 0;
	}
}

/* proxy: sends the request to the real daemon and its answer back,
 * changed by r when r has changes. 0 when the client connection may go
 * on, -1 when it ends. */
static int proxy(struct conn *c, struct conn *u, const char *req, size_t n,
		 const char *method, const struct rule *r)
{
	struct answer a = { 0 };
	struct http_head h;
	size_t hlen, k;
	int change = 0, rc, no_body;

	for (k = 0; r && k < r->nw;
	     k += 1 + (size_t)acts[act_of(&r->w[k])].nargs)
		change |= acts[act_of(&r->w[k])].kind >= A_REPLACE;
	if (up_connect(u) || write_all(u->fd, req, n)) {
		/* a kept-alive connection the daemon closed: once more */
		conn_close(u);
		if (up_connect(u) || write_all(u->fd, req, n))
			return -1;
	}
	if (up_head(c, u, &h, &a, &hlen)) {
		answer_free(&a);
		return -1;
	}
	if (h.status == 101) {
		rc = write_all(c->fd, u->in.data + u->pos, hlen);
		u->pos += hlen;
		if (!rc)
			relay_raw(c, u, 0);
		answer_free(&a);
		return -1;
	}
	no_body = !strcmp(method, "HEAD") || h.status == 204 || h.status == 304;
	if (!change) {
		rc = write_all(c->fd, u->in.data + u->pos, hlen);
		u->pos += hlen;
		if (!rc)
			rc = up_body(c, u, &h, no_body, NULL);
		answer_free(&a);
		if (rc)
			conn_close(u);
		return rc < 0 || (rc && !no_body && !h.chunked &&
				  h.content_length < 0) ?
			       -1 :
			       0;
	}
	u->pos += hlen;
	rc = up_body(c, u, &h, no_body, &a.body);
	if (rc)
		conn_close(u);
	if (rc < 0 || answer_send(c->fd, &a, r)) {
		answer_free(&a);
		return -1;
	}
	answer_free(&a);
	return 0;
}

static int canned(int fd, const struct rule *r, const struct word *w)
{
	struct answer a = { 0 };
	int rc;

	a.status = atoi(w[1].p);
	snprintf(a.reason, sizeof(a.reason), "%s",
		 a.status == 200 ? "OK" :
		 a.status == 201 ? "Created" :
		 a.status == 404 ? "Not Found" :
		 a.status == 500 ? "Internal Server Error" :
				   "Status");
	if (strv_add(&a.hdr, "Content-Type: application/json", 30) ||
	    buf_add(&a.body, w[2].p, w[2].n))
		die("out of memory");
	rc = answer_send(fd, &a, r);
	answer_free(&a);
	return rc;
}

/* Sends unit n times (n 0: forever) with pace ms between units. */
static int repeat(int fd, const struct word *unit, unsigned long n, long pace)
{
	static char b[65536];
	size_t per, fill, i;
	unsigned long done = 0, k;

	if (!unit->n)
		return 0;
	if (pace || unit->n > sizeof(b)) {
		for (; !n || done < n; done++) {
			if (pace)
				sleep_ms(pace);
			if (write_all(fd, unit->p, unit->n))
				return -1;
		}
		return 0;
	}
	per = sizeof(b) / unit->n;
	for (i = 0; i < per; i++)
		memcpy(b + i * unit->n, unit->p, unit->n);
	while (!n || done < n) {
		k = n && n - done < per ? n - done : per;
		fill = k * unit->n;
		if (write_all(fd, b, fill))
			return -1;
		done += k;
	}
	return 0;
}

/* Drops what the client sends until it closes. */
static void hang(int fd)
{
	char b[4096];
	ssize_t r;

	do
		r = recv(fd, b, sizeof(b), 0);
	while (r > 0 || (r < 0 && errno == EINTR));
}

/* Runs the rule's actions. 0: serve the next request; -1: close. */
static int apply(struct conn *c, struct conn *u, const char *req, size_t n,
		 const char *method, const struct rule *r)
{
	size_t k;
	long pace = 0;
	int keep = 1, raw = 0, done = 0;

	for (k = 0; k < r->nw; k += 1 + (size_t)acts[act_of(&r->w[k])].nargs) {
		const struct word *w = &r->w[k];

		switch (acts[act_of(w)].kind) {
		case A_PROXY:
			if (proxy(c, u, req, n, method, r))
				return -1;
			done = 1;
			break;
		case A_ANSWER:
			if (canned(c->fd, r, w))
				return -1;
			done = 1;
			break;
		case A_SEND:
			if (pace)
				sleep_ms(pace);
			if (write_all(c->fd, w[1].p, w[1].n))
				return -1;
			raw = 1;
			break;
		case A_REPEAT:
			if (repeat(c->fd, &w[2],
				   strcmp(w[1].p, "forever") ?
					   strtoul(w[1].p, NULL, 10) :
					   0,
				   pace))
				return -1;
			raw = 1;
			break;
		case A_PACE:
			pace = atol(w[1].p);
			break;
		case A_HANG:
			hang(c->fd);
			return -1;
		case A_CLOSE:
			return -1;
		}
	}
	if (!done && !raw)
		return proxy(c, u, req, n, method, r);
	if (raw && !done)
		keep = 0;
	return keep ? 0 : -1;
}

static void serve(int fd)
{
	struct conn c = { fd, { 0 }, 0 }, u = { -1, { 0 }, 0 };
	struct buf file = { 0 };
	struct rule *rv;
	struct stat st;
	size_t rn, head, plen;
	ssize_t n;
	char method[16], path[4096], *req;
	const char *p, *sp;
	const struct rule *r;
	int rc;

	for (;;) {
		n = read_request(&c, &head);
		if (n <= 0)
			break;
		req = c.in.data + c.pos;
		sp = memchr(req, ' ', head);
		if (!sp || sp - req >= (int)sizeof(method))
			break;
		snprintf(method, sizeof(method), "%.*s", (int)(sp - req), req);
		p = sp + 1;
		plen = strcspn(p, " \r\n");
		if (!strncmp(p, "/v1.", 4) && p[4] >= '0' && p[4] <= '9') {
			size_t k = 4 + strspn(p + 4, "0123456789");

			if (p[k] == '/') {
				p += k;
				plen -= k;
			}
		}
		snprintf(path, sizeof(path), "%.*s", (int)plen, p);
		file.len = 0;
		rules_load(&file, &rv, &rn, &st);
		r = rule_for(rv, rn, method, path, &st);
		if (r)
			logf_("%s %s rule %d", method, path, r->line);
		else
			logf_("%s %s proxy", method, path);
		/* the request leaves the buffer before its answer: a hijacked
		 * stream's bytes follow it there */
		{
			char *copy = malloc((size_t)n);

			if (!copy)
				die("out of memory");
			memcpy(copy, req, (size_t)n);
			c.pos += (size_t)n;
			rc = r ? apply(&c, &u, copy, (size_t)n, method, r) :
				 proxy(&c, &u, copy, (size_t)n, method, NULL);
			free(copy);
		}
		rules_free(rv, rn);
		if (rc)
			break;
	}
	buf_free(&file);
	conn_close(&u);
	close(fd);
}

static void on_term(int sig)
{
	signal(sig, SIG_DFL);
	kill(0, sig); /* the children: our own process group */
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *listen_path = NULL;
	char tmp[sizeof(sa.sun_path)];
	int opt, lfd, fd;
	pid_t pid;

	while ((opt = getopt(argc, argv, "l:u:r:o:")) != -1) {
		switch (opt) {
		case 'l':
			listen_path = optarg;
			break;
		case 'u':
			up_path = optarg;
			break;
		case 'r':
			rules_path = optarg;
			break;
		case 'o':
			log_path = optarg;
			break;
		default:
			die("usage: fakedockerd -l SOCKET -u UPSTREAM "
			    "-r RULES [-o LOG]");
		}
	}
	if (!listen_path || !up_path || !rules_path)
		die("usage: fakedockerd -l SOCKET -u UPSTREAM -r RULES "
		    "[-o LOG]");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", listen_path) >=
		    sizeof(tmp) ||
	    strlen(up_path) >= sizeof(sa.sun_path))
		die("socket path too long");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	setpgid(0, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* children reaped by the kernel */
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	memcpy(sa.sun_path, tmp, strlen(tmp) + 1);
	unlink(tmp);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 64) || rename(tmp, listen_path))
		die("%s: %s", listen_path, strerror(errno));
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept: %s", strerror(errno));
		}
		pid = fork();
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			close(lfd);
			serve(fd);
			_exit(0);
		}
		close(fd);
	}
}
