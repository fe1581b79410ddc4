/*
 * test_client.c - the HTTP client and the Docker calls against a fake
 * daemon: a forked child on a unix socket in a temporary directory that
 * follows a script (accept, expect a request line, answer canned bytes,
 * close or wait), checks what the client sent, and reports through its
 * exit status. Covers keep-alive reuse, reconnecting, error statuses,
 * truncated and malformed answers, timeouts, size limits and API version
 * negotiation.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dfw/docker.h"
#include "unit.h"

#define check_has(s, sub) do { \
	if (!strstr((s), (sub))) { \
		fprintf(stderr, "%s:%d: \"%s\" lacks \"%s\"\n", __FILE__, \
			__LINE__, (s), (sub)); \
		unit_failed_checks++; \
	} \
} while (0)

/* --- the fake daemon ----------------------------------------------------- */

enum { NEXT, CLOSE, WAIT_EOF };

struct step {
	int accept;		/* take a new connection first */
	const char *want;	/* the request line expected; NULL: read none */
	const char *head;	/* answer, sent as is */
	const char *body;	/* if set: Content-Length, empty line, body */
	int then;		/* NEXT, CLOSE, or WAIT_EOF (client closes) */
	const char *body_has;	/* a string the request body must hold */
	size_t head_len;	/* for heads with NULs; 0: strlen(head) */
};

#define PING(v) "HTTP/1.1 200 OK\r\n" \
	"Api-Version: " v "\r\n" \
	"Cache-Control: no-cache, no-store, must-revalidate\r\n" \
	"Content-Type: text/plain; charset=utf-8\r\n" \
	"Docker-Experimental: false\r\n" \
	"Ostype: linux\r\n" \
	"Pragma: no-cache\r\n" \
	"Server: Docker/20.10.24 (linux)\r\n" \
	"Date: Sat, 29 Nov 2025 14:03:00 GMT\r\n" \
	"Content-Length: 2\r\n" \
	"\r\n" \
	"OK"
#define JSON_HEAD(status) "HTTP/1.1 " status "\r\n" \
	"Api-Version: 1.41\r\n" \
	"Content-Type: application/json\r\n" \
	"Docker-Experimental: false\r\n" \
	"Ostype: linux\r\n" \
	"Server: Docker/20.10.24 (linux)\r\n" \
	"Date: Sat, 29 Nov 2025 14:03:00 GMT\r\n"
#define CHUNKED_HEAD JSON_HEAD("200 OK") "Transfer-Encoding: chunked\r\n\r\n"

#define STEP_PING(v) { 1, "GET /_ping HTTP/1.1", PING(v), NULL, NEXT, \
		       NULL, 0 }
#define STEP_JSON(line, status, json, then) \
	{ 0, line, JSON_HEAD(status), json, then, NULL, 0 }
#define STEP_RAW(line, raw, then) { 0, line, raw, NULL, then, NULL, 0 }
#define STEP_ACCEPT_JSON(line, json) \
	{ 1, line, JSON_HEAD("200 OK"), json, NEXT, NULL, 0 }
#define STEP_END { 0, NULL, NULL, NULL, NEXT, NULL, 0 }

#define INSPECT_X "GET /v1.41/containers/x/json HTTP/1.1"
#define LIST "GET /v1.41/containers/json?all=1 HTTP/1.1"

struct srv {
	char dir[64];
	char path[100];
	char url[160];
	pid_t pid;
};

static int c_send(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n) {
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int c_wait(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 ? 0 : -1;
}

static int c_accept(int lfd)
{
	if (c_wait(lfd, 5000))
		return -1;
	return accept(lfd, NULL, NULL);
}

/* Reads one request (head, then a Content-Length body) into req: its
 * length, 0 at end of stream before any byte, -1 on error or timeout. */
static ssize_t c_read_req(int fd, char *req, size_t size, size_t *head)
{
	size_t n = 0, want = 0;
	const char *cl;
	ssize_t r;

	*head = 0;
	while (n + 1 < size) {
		if (c_wait(fd, 5000))
			return -1;
		/* byte by byte: never read into the next request */
		r = read(fd, req + n, 1);
		if (r <= 0)
			return r < 0 || n ? -1 : 0;
		req[++n] = 0;
		if (!*head && n >= 4 && !memcmp(req + n - 4, "\r\n\r\n", 4)) {
			*head = n;
			cl = strcasestr(req, "\r\nContent-Length:");
			want = cl ? strtoul(cl + 17, NULL, 10) : 0;
		}
		if (*head && n == *head + want)
			return (ssize_t)n;
	}
	return -1;
}

/* Waits for the client to close fd. 0, or 1 on timeout or extra bytes. */
static int c_eof(int fd)
{
	char b[64];
	ssize_t r;

	if (c_wait(fd, 5000)) {
		fprintf(stderr, "server: the client did not close\n");
		return 1;
	}
	r = read(fd, b, sizeof(b));
	if (r > 0)
		fprintf(stderr, "server: unexpected bytes \"%.*s\"\n", (int)r,
			b);
	return r > 0;
}

static int c_check(const char *req, size_t head, const struct step *st)
{
	size_t n = strlen(st->want);
	int bad = 0;

	if (strncmp(req, st->want, n) || strncmp(req + n, "\r\n", 2)) {
		fprintf(stderr, "server: want \"%s\", got \"%.*s\"\n",
			st->want, (int)strcspn(req, "\r\n"), req);
		bad = 1;
	}
	if (!strstr(req, "\r\nHost: docker\r\n") ||
	    !strstr(req, "\r\nUser-Agent: docker-fw\r\n")) {
		fprintf(stderr, "server: no Host or User-Agent in \"%s\"\n",
			req);
		bad = 1;
	}
	if (st->body_has && !strstr(req + head, st->body_has)) {
		fprintf(stderr, "server: body \"%s\" lacks \"%s\"\n",
			req + head, st->body_has);
		bad = 1;
	}
	return bad;
}

/* The child: follows the script, then wants the client to close and no
 * further connection. Exit status 0 when all went as written. */
static int run_steps(int lfd, const void *arg)
{
	const struct step *st = arg;
	static char req[65536];
	char cl[64];
	size_t head;
	ssize_t n;
	int fd = -1, bad = 0;

	for (; st->accept || st->want || st->head; st++) {
		if (st->accept) {
			if (fd >= 0)
				close(fd);
			fd = c_accept(lfd);
			if (fd < 0) {
				fprintf(stderr, "server: no connection for "
					"\"%s\"\n", st->want);
				return 1;
			}
		}
		if (st->want) {
			n = c_read_req(fd, req, sizeof(req), &head);
			if (n <= 0) {
				fprintf(stderr, "server: no request, want "
					"\"%s\"\n", st->want);
				return 1;
			}
			bad |= c_check(req, head, st);
		}
		/* send errors are the client's choice to hang up */
		if (st->head)
			c_send(fd, st->head, st->head_len ? st->head_len :
			       strlen(st->head));
		if (st->body) {
			snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n",
				 strlen(st->body));
			if (!c_send(fd, cl, strlen(cl)))
				c_send(fd, st->body, strlen(st->body));
		}
		if (st->then != NEXT) {
			if (st->then == WAIT_EOF)
				bad |= c_eof(fd);
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0) {
		bad |= c_eof(fd);
		close(fd);
	}
	if (!c_wait(lfd, 0)) {
		fprintf(stderr, "server: an unexpected connection\n");
		bad = 1;
	}
	return bad;
}

/* Starts a child serving fn(listening fd, arg) on a fresh socket. */
static int srv_start(struct srv *s, int (*fn)(int, const void *),
		     const void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	memset(s, 0, sizeof(*s));
	s->pid = -1;
	snprintf(s->dir, sizeof(s->dir), "/tmp/dfw-client-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	snprintf(s->path, sizeof(s->path), "%s/docker.sock", s->dir);
	snprintf(s->url, sizeof(s->url), "unix://%s", s->path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 8)) {
		if (fd >= 0)
			close(fd);
		rmdir(s->dir);
		return -1;
	}
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		alarm(20);
		_exit(fn(fd, arg));
	}
	close(fd);
	if (s->pid < 0) {
		unlink(s->path);
		rmdir(s->dir);
		return -1;
	}
	return 0;
}

/* Reaps the child (killed after 10 s); its exit status, or 128 + signal. */
static int srv_wait(struct srv *s)
{
	pid_t r = 0;
	int st = 0, i;

	if (s->pid <= 0)
		return -1;
	for (i = 0; i < 1000; i++) {
		r = waitpid(s->pid, &st, WNOHANG);
		if (r != 0)
			break;
		usleep(10000);
	}
	if (r == 0) {
		fprintf(stderr, "server: still running, killed\n");
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &st, 0);
	}
	s->pid = -1;
	unlink(s->path);
	rmdir(s->dir);
	if (r == 0)
		return 128 + SIGKILL;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A client for s: docker_init with its URL and a bound on every wait. */
static int client(struct docker *d, const struct srv *s, struct err *e)
{
	if (docker_init(d, s->url, e))
		return -1;
	d->io_timeout_ms = 5000;
	return 0;
}

#define SERVE(s, steps) do { \
	if (srv_start(&(s), run_steps, (steps))) { \
		check(!"cannot start the fake daemon"); \
		return; \
	} \
} while (0)

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- keep-alive and reconnecting ----------------------------------------- */

static void test_keepalive_reuse(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_JSON(LIST, "200 OK", "[]", NEXT),
		STEP_JSON("GET /v1.41/networks HTTP/1.1", "200 OK",
			  "[{\"Name\":\"bridge\",\"Id\":\"n1\"}]", NEXT),
		STEP_RAW(INSPECT_X, CHUNKED_HEAD "2\r\n{}\r\n0\r\n\r\n", NEXT),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_ping(&d, &e) == 0);
	check(d.api == 41);
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0,
			  &e) == 200);
	check(d.ntok == 1 && d.toks[0].type == JSON_ARRAY);
	check(http_reusable(&d.http));
	check(docker_call(&d, "GET", "/networks", NULL, 0, &e) == 200);
	check(d.ntok == 6);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == 200);
	check_str(d.body.data, "{}");
	check(d.http.requests == 4);
	check(http_reusable(&d.http));
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* The daemon closes an idle kept-alive connection: the next request
 * fails to send and goes out again on a new connection. */
static void test_reconnect_idle_close(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_JSON(LIST, "200 OK", "[]", CLOSE),
		STEP_ACCEPT_JSON(INSPECT_X, "{\"Id\":\"abc\"}"),
		STEP_JSON(LIST, "200 OK", "[]", NEXT),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0,
			  &e) == 200);
	usleep(100000);		/* let the close arrive */
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == 200);
	check_str(d.body.data, "{\"Id\":\"abc\"}");
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0,
			  &e) == 200);
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* The daemon reads a request on a kept-alive connection and closes
 * without an answer (as a TCP peer's close looks): sent again once. */
static void test_reconnect_no_answer(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_JSON(LIST, "200 OK", "[]", NEXT),
		STEP_RAW(INSPECT_X, NULL, CLOSE),
		STEP_ACCEPT_JSON(INSPECT_X, "{}"),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0,
			  &e) == 200);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == 200);
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* ...but twice in a row is an error, not a loop. */
static void test_reconnect_twice(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_JSON(LIST, "200 OK", "[]", NEXT),
		STEP_RAW(INSPECT_X, NULL, CLOSE),
		{ 1, INSPECT_X, NULL, NULL, CLOSE, NULL, 0 },
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0,
			  &e) == 200);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "connection closed before the end of the response "
		  "header");
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* Connection: close and an HTTP/1.0 close-delimited body: the client
 * closes too and connects again for the next call. */
static void test_connection_close(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		{ 0, LIST, JSON_HEAD("200 OK") "Connection: close\r\n", "[]",
		  WAIT_EOF, NULL, 0 },
		{ 1, INSPECT_X, "HTTP/1.0 200 OK\r\n"
		  "Content-Type: application/json\r\n\r\n{\"Id\":\"e\"}",
		  NULL, CLOSE, NULL, 0 },
		STEP_ACCEPT_JSON(LIST, "[1]"),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0,
			  &e) == 200);
	check(d.t.fd < 0 && !http_reusable(&d.http));
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == 200);
	check_str(d.body.data, "{\"Id\":\"e\"}");
	check(d.ntok == 3);
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0,
			  &e) == 200);
	check_str(d.body.data, "[1]");
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* --- error statuses ------------------------------------------------------ */

static void test_status_500_text(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		{ 0, INSPECT_X, "HTTP/1.1 500 Internal Server Error\r\n"
		  "Content-Type: text/plain; charset=utf-8\r\n",
		  "something broke\n\tbadly\n", NEXT, NULL, 0 },
		STEP_JSON(INSPECT_X, "200 OK", "{}", NEXT),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check(d.status == 500);
	/* control characters escaped: one line, nothing for a terminal */
	check_str(e.msg, "Docker daemon: GET /containers/x/json: 500: "
		  "something broke\\n\\tbadly");
	/* the error body was read to its end: the connection goes on */
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == 200);
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

static void test_status_404(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_JSON(INSPECT_X, "404 Not Found",
			  "{\"message\":\"No such container: x\"}\n", NEXT),
		STEP_JSON(INSPECT_X, "404 Not Found",
			  "{\"message\":\"No such container: x\"}\n", NEXT),
		STEP_JSON("GET /v1.41/containers/y/json HTTP/1.1",
			  "500 Internal Server Error", "{\"mess", NEXT),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct docker_container c;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check(e.code == EXIT_USAGE && d.status == 404);
	check_str(e.msg, "Docker daemon: GET /containers/x/json: 404: "
		  "No such container: x");
	check(docker_inspect(&d, "/x", &c, &e) == -1);
	check(e.code == EXIT_USAGE);
	check_str(e.msg, "no such container \"x\"");
	/* an error with a broken JSON body */
	check(docker_call(&d, "GET", "/containers/y/json", NULL, 0,
			  &e) == -1);
	check(e.code == EXIT_RUNTIME && *e.msg);
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* POST with 204 and 304 (no body) on one connection. */
static void test_post_no_body(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW("POST /v1.41/containers/web/start HTTP/1.1",
			 JSON_HEAD("204 No Content") "\r\n", NEXT),
		STEP_RAW("POST /v1.41/containers/web/pause HTTP/1.1",
			 JSON_HEAD("304 Not Modified") "\r\n", NEXT),
		STEP_RAW("POST /v1.41/containers/web/unpause HTTP/1.1",
			 JSON_HEAD("409 Conflict") "Content-Length: 0\r\n\r\n",
			 NEXT),
		STEP_JSON("GET /v1.41/containers/a%2Fb/json HTTP/1.1",
			  "200 OK", "{}", NEXT),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };
	struct buf p = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_container_action(&d, "web", "start", &e) == 0);
	check(d.status == 204 && d.body.len == 0);
	check(docker_container_action(&d, "web", "pause", &e) == 0);
	check(d.status == 304);
	check(docker_container_action(&d, "web", "unpause", &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_str(e.msg, "Docker daemon: POST /containers/web/unpause: "
		  "409: (no message)");
	check(docker_path(&p, "/containers/%s/json", "a/b") == 0);
	check(docker_call(&d, "GET", p.data, NULL, 0, &e) == 200);
	buf_free(&p);
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* --- broken answers ------------------------------------------------------ */

static void test_truncated_chunk(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW(INSPECT_X, CHUNKED_HEAD "10\r\n{\"Id\":", CLOSE),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check(e.code == EXIT_RUNTIME);
	/* the endpoint, the request, what went wrong */
	check_str(e.msg + strlen(s.url), ": GET /v1.41/containers/x/json: "
		  "connection closed before the end of the response body");
	check(!strncmp(e.msg, s.url, strlen(s.url)));
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

static void test_short_content_length(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW(INSPECT_X, JSON_HEAD("200 OK")
			 "Content-Length: 100\r\n\r\n{}", CLOSE),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "connection closed before the end of the response "
		  "body");
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

static void test_stall_mid_body(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW(INSPECT_X, JSON_HEAD("200 OK")
			 "Content-Length: 100\r\n\r\n{\"Id\"", WAIT_EOF),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };
	long t0, ms;

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	d.io_timeout_ms = 300;
	check(docker_ping(&d, &e) == 0);
	t0 = now_ms();
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	ms = now_ms() - t0;
	check(ms >= 250 && ms < 3000);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "no answer within 300 ms");
	check(d.t.fd < 0);
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

static void test_close_mid_header(void)
{
	static const struct step steps[] = {
		{ 1, "GET /_ping HTTP/1.1", "HTTP/1.1 200 OK\r\nApi-Ver", NULL,
		  CLOSE, NULL, 0 },
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_ping(&d, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "connection closed before the end of the response "
		  "header");
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* A bad chunk size, then (on a new connection, nothing of the old one
 * left over) an overflowing one, then a good answer. */
static void test_bad_chunk_size(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW(INSPECT_X, CHUNKED_HEAD "-5\r\nhello\r\n0\r\n\r\n",
			 WAIT_EOF),
		{ 1, INSPECT_X, CHUNKED_HEAD "11111111111111111\r\n", NULL,
		  WAIT_EOF, NULL, 0 },
		{ 1, INSPECT_X, CHUNKED_HEAD "5\r\nhello", NULL, WAIT_EOF,
		  NULL, 0 },
		STEP_ACCEPT_JSON(INSPECT_X, "{}"),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "bad chunked body");
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check_has(e.msg, "bad chunked body");
	check_has(e.msg, "too large");
	/* chunk data running into the end of the body */
	d.io_timeout_ms = 200;
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check_has(e.msg, "no answer within");
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == 200);
	check_str(d.body.data, "{}");
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

static void test_header_no_colon(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW(INSPECT_X, "HTTP/1.1 200 OK\r\n"
			 "Content-Type application/json\r\n\r\n{}", WAIT_EOF),
		{ 1, "GET /v1.41/containers/json?all=1 HTTP/1.1",
		  "\x15\x03\x01\x00\x02\x02\x0a", NULL, WAIT_EOF, NULL, 7 },
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "bad response");
	check_has(e.msg, "colon");
	/* a TLS alert (a TLS port): known bad from 7 bytes, no wait */
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0,
			  &e) == -1);
	check_has(e.msg, "bad response");
	check_has(e.msg, "not an HTTP/1.x response");
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* 10 MB of header lines without their end: the client gives up after
 * 64 KiB; the server sees its writes fail and exits. */
static int serve_huge_header(int lfd, const void *arg)
{
	static char req[4096], line[1026];
	size_t head, sent = 0;
	int fd = c_accept(lfd);

	if (fd < 0 || c_read_req(fd, req, sizeof(req), &head) <= 0)
		return 1;
	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Big: ", 7);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	if (c_send(fd, "HTTP/1.1 200 OK\r\n", 17))
		return 1;
	while (sent < 10 * 1024 * 1024) {
		if (c_send(fd, line, sizeof(line))) {
			close(fd);
			/* what the socket buffers hold, beyond 64 KiB */
			if (sent > 1024 * 1024) {
				fprintf(stderr, "server: %zu bytes taken\n",
					sent);
				return 3;
			}
			return 0;
		}
		sent += sizeof(line);
	}
	fprintf(stderr, "server: all 10 MB taken\n");
	return 1;
}

static void test_huge_header(void)
{
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	if (srv_start(&s, serve_huge_header, NULL)) {
		check(!"cannot start the fake daemon");
		return;
	}
	check(client(&d, &s, &e) == 0);
	check(docker_ping(&d, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "larger than 64 KiB");
	check(d.http.rlen < 96 * 1024);
	check(d.t.fd < 0);
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* A complete head over 64 KiB (read in one go with what follows) is as
 * much too large as an endless one. */
static void test_head_over_limit(void)
{
	static struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW(INSPECT_X, NULL, WAIT_EOF),
		STEP_END,
	};
	struct buf b = { 0 };
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	buf_adds(&b, JSON_HEAD("200 OK"));
	while (b.len < 70 * 1024)
		buf_adds(&b, "X-Pad: 0123456789012345678901234567890123456789"
			 "0123456789\r\n");
	buf_adds(&b, "Content-Length: 2\r\n\r\n{}");
	steps[1].head = b.data;
	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_ping(&d, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check_has(e.msg, "larger than 64 KiB");
	docker_close(&d);
	check(srv_wait(&s) == 0);
	buf_free(&b);
}

/* Bodies over the limit fail without being read into memory; the bytes
 * that came with the head do not leak into the next answer. */
static void test_body_over_cap(void)
{
	static char big[5001];
	static struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW(INSPECT_X, JSON_HEAD("200 OK")
			 "Content-Length: 100000000\r\n\r\n{\"Id\":\"xxxx",
			 WAIT_EOF),
		{ 1, INSPECT_X, CHUNKED_HEAD, NULL, WAIT_EOF, NULL, 0 },
		STEP_ACCEPT_JSON(INSPECT_X, "{\"Id\":\"ok\"}"),
		STEP_JSON(INSPECT_X, "200 OK", big, WAIT_EOF),
		STEP_END,
	};
	static struct buf chunked;
	struct srv s;
	struct docker d;
	struct err e = { 0 };
	int i;

	/* 5000 bytes in 500-byte chunks */
	chunked.len = 0;
	buf_adds(&chunked, CHUNKED_HEAD);
	for (i = 0; i < 10; i++) {
		buf_adds(&chunked, "1f4\r\n");
		memset(big, 'a' + i, 500);
		buf_add(&chunked, big, 500);
		buf_adds(&chunked, "\r\n");
	}
	buf_adds(&chunked, "0\r\n\r\n");
	steps[2].head = chunked.data;
	memset(big, ' ', 5000);
	big[0] = '"';
	big[4999] = '"';
	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "100000000 bytes is over the limit");
	check(d.body.cap < 64 * 1024);
	d.http.max_body = 1000;
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check_has(e.msg, "over the limit of 1000 bytes");
	check(d.body.cap < 64 * 1024);
	d.http.max_body = 0;
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == 200);
	check_str(d.body.data, "{\"Id\":\"ok\"}");
	/* Content-Length over a lowered limit: refused at the head */
	d.http.max_body = 4999;
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == -1);
	check_has(e.msg, "5000 bytes is over the limit of 4999");
	docker_close(&d);
	check(srv_wait(&s) == 0);
	buf_free(&chunked);
}

/* --- API version negotiation --------------------------------------------- */

static void test_api_version(void)
{
	static const struct step v41[] = {
		STEP_PING("1.41"),
		STEP_JSON(INSPECT_X, "200 OK", "{}", NEXT),
		STEP_END,
	}, v99[] = {
		STEP_PING("1.99"),
		STEP_JSON("GET /v1.52/containers/x/json HTTP/1.1", "200 OK",
			  "{}", NEXT),
		STEP_END,
	}, v24[] = {
		STEP_PING("1.24"),
		STEP_JSON("GET /v1.24/containers/x/json HTTP/1.1", "200 OK",
			  "{}", NEXT),
		STEP_END,
	}, v12[] = {
		STEP_PING("1.12"),
		STEP_END,
	}, none[] = {
		{ 1, "GET /_ping HTTP/1.1", "HTTP/1.1 200 OK\r\n"
		  "Content-Length: 2\r\n\r\nOK", NULL, NEXT, NULL, 0 },
		STEP_END,
	}, v2[] = {
		STEP_PING("2.0"),
		STEP_END,
	}, not_docker[] = {
		{ 1, "GET /_ping HTTP/1.1", "HTTP/1.1 404 Not Found\r\n"
		  "Content-Type: text/html\r\nContent-Length: 9\r\n\r\n"
		  "<h1>x</h1", NULL, NEXT, NULL, 0 },
		STEP_END,
	};
	static const struct {
		const struct step *steps;
		int api;		/* 0: the ping fails */
		const char *err;
	} cases[] = {
		{ v41, 41, NULL },
		{ v99, 52, NULL },
		{ v24, 24, NULL },
		{ v12, 0, "the daemon speaks API 1.12; docker-fw needs 1.24 "
		  "or later" },
		{ none, 0, "no Api-Version in the answer to GET /_ping" },
		{ v2, 0, "has Api-Version \"2.0\", not 1.N (N up to 999)" },
		{ not_docker, 0, "GET /_ping answered 404" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct srv s;
		struct docker d;
		struct err e = { 0 };

		SERVE(s, cases[i].steps);
		check(client(&d, &s, &e) == 0);
		if (cases[i].api) {
			check(docker_call(&d, "GET", "/containers/x/json",
					  NULL, 0, &e) == 200);
			check(d.api == cases[i].api);
		} else {
			check(docker_ping(&d, &e) == -1);
			check(e.code == EXIT_RUNTIME && d.api == 0);
			check_has(e.msg, s.url);
			check_has(e.msg, cases[i].err);
		}
		docker_close(&d);
		check(srv_wait(&s) == 0);
	}
}

/* --- bodies -------------------------------------------------------------- */

/* A 1 MiB inspect answer (a big Labels map) parsed into the struct. */
static void test_inspect_1mib(void)
{
	static const char id[] = "4f1c3b2a9d8e7f6a5b4c3d2e1f0a9b8c"
				 "7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
	static struct step steps[] = {
		STEP_PING("1.41"),
		STEP_JSON("GET /v1.41/containers/web/json HTTP/1.1", "200 OK",
			  NULL, NEXT),
		STEP_END,
	};
	struct buf b = { 0 };
	struct srv s;
	struct docker d;
	struct docker_container c;
	struct err e = { 0 };
	int i;

	buf_printf(&b, "{\"Id\":\"%s\",\"Created\":\"2025-11-29T14:03:00Z\","
		   "\"Name\":\"/web\",\"State\":{\"Status\":\"running\","
		   "\"Running\":true,\"Paused\":false,\"Pid\":4242},"
		   "\"HostsPath\":\"/var/lib/docker/containers/%s/hosts\","
		   "\"Config\":{\"Labels\":{", id, id);
	for (i = 0; b.len < 1024 * 1024; i++)
		buf_printf(&b, "%s\"com.example.label.%06d\":\"value %d with "
			   "some text \\u00e9\\n to parse\"", i ? "," : "",
			   i, i);
	buf_printf(&b, "}},\"HostConfig\":{\"NetworkMode\":\"bridge\","
		   "\"RestartPolicy\":{\"Name\":\"on-failure\","
		   "\"MaximumRetryCount\":5},\"PortBindings\":{\"80/tcp\":"
		   "[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]},"
		   "\"Links\":null,\"Dns\":[\"1.1.1.1\"]},"
		   "\"NetworkSettings\":{\"Ports\":{\"80/tcp\":"
		   "[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]},"
		   "\"Networks\":{\"bridge\":{"
		   "\"NetworkID\":\"%s\",\"IPAddress\":\"172.17.0.2\","
		   "\"IPPrefixLen\":16,\"Gateway\":\"172.17.0.1\","
		   "\"GlobalIPv6Address\":\"\"}}}}", id);
	steps[1].body = b.data;
	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_inspect(&d, "web", &c, &e) == 0);
	check(d.body.len == b.len && d.ntok > 2 * i);
	check_str(c.id, id);
	check_str(c.name, "web");
	check(c.running && !c.paused);
	check_str(c.network_mode, "bridge");
	check_str(c.restart_policy, "on-failure");
	check(c.restart_max == 5);
	check(c.nnets == 1);
	if (c.nnets == 1) {
		check_str(c.nets[0].name, "bridge");
		check_str(c.nets[0].ip, "172.17.0.2");
		check(c.nets[0].prefix == 16);
	}
	check(c.nbindings == 1 && c.bindings[0].host_port == 8080);
	check(c.dns.n == 1 && !strcmp(c.dns.v[0], "1.1.1.1"));
	docker_container_free(&c);
	docker_close(&d);
	check(srv_wait(&s) == 0);
	buf_free(&b);
}

/* Chunk extensions, trailers, a 1xx first; the connection goes on. */
static void test_chunked_ext_trailers(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW(INSPECT_X, CHUNKED_HEAD "5;name=val\r\n{\"a\":\r\n"
			 "3 ; x=\"y;z\"\r\n 1}\r\n0;end\r\nX-T: 1\r\n"
			 "X-Other: two\r\n\r\n", NEXT),
		STEP_RAW(INSPECT_X, "HTTP/1.1 100 Continue\r\n\r\n"
			 CHUNKED_HEAD "2\r\n[]\r\n0\r\n\r\n", NEXT),
		STEP_RAW(INSPECT_X, CHUNKED_HEAD "0\r\n\r\n", NEXT),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == 200);
	check_str(d.body.data, "{\"a\": 1}");
	check(d.ntok == 3);
	check(http_reusable(&d.http));
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == 200);
	check_str(d.body.data, "[]");
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0,
			  &e) == 200);
	check(d.body.len == 0 && d.ntok == 0);
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

#define EXEC_ID "6f0c1e0b9d2a4e43c3a1b5f0e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9"

/* exec: create (a POST with a JSON body), start (a raw stream to the end
 * of the connection), inspect on a new connection. */
static void test_exec(void)
{
	static const char stream[] =
		"HTTP/1.1 200 OK\r\n"
		"Content-Type: application/vnd.docker.raw-stream\r\n"
		"Api-Version: 1.41\r\n\r\n"
		"\1\0\0\0\0\0\0\3hi\n"
		"\2\0\0\0\0\0\0\5warn\n"
		"\1\0\0\0\0\0\0\0"
		"\1\0\0\0\0\0\0\4bye\n";
	static const struct step steps[] = {
		STEP_PING("1.41"),
		{ 0, "POST /v1.41/containers/web/exec HTTP/1.1",
		  JSON_HEAD("201 Created"), "{\"Id\":\"" EXEC_ID "\"}", NEXT,
		  "\"Cmd\":[\"iptables\",\"-S\",\"a \\\"b\\\"\"]", 0 },
		{ 0, "POST /v1.41/exec/" EXEC_ID "/start HTTP/1.1", stream, NULL,
		  CLOSE, "\"Detach\":false", sizeof(stream) - 1 },
		STEP_ACCEPT_JSON("GET /v1.41/exec/" EXEC_ID "/json HTTP/1.1",
				 "{\"ExitCode\":3,\"Running\":false}"),
		STEP_END,
	};
	static const char *const argv[] = { "iptables", "-S", "a \"b\"",
					    NULL };
	struct srv s;
	struct docker d;
	struct err e = { 0 };
	struct buf out = { 0 }, err = { 0 };
	int code = -1;

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_exec(&d, "web", argv, &out, &err, &code, &e) == 0);
	check(code == 3);
	check_str(out.data, "hi\nbye\n");
	check_str(err.data, "warn\n");
	docker_close(&d);
	check(srv_wait(&s) == 0);
	buf_free(&out);
	buf_free(&err);
}

struct seen {
	int n;
	char names[4][340];
};

static int on_event(void *arg, const struct docker_event *ev)
{
	struct seen *s = arg;

	snprintf(s->names[s->n], sizeof(s->names[0]), "%s %s %s", ev->type,
		 ev->action, ev->name);
	return ++s->n == 3;
}

/* The events stream: one event split over chunks, stopped by the callback
 * while the daemon still streams. */
static void test_events(void)
{
	static const char *const parts[] = {
		"{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":"
		"{\"ID\":\"c1\",\"Attributes\":{\"name\":\"web\"}},"
		"\"time\":1700000000}\n",
		"{\"Type\":\"container\",\"Action\":",
		"\"die\",\"Actor\":{\"Attributes\":{\"name\":\"db\"}}}\n"
		"{\"Type\":\"network\",",
		"\"Action\":\"connect\"}",
	};
	static struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW("GET /v1.41/events?filters=%7B%22type%22%3A%5B%22"
			 "container%22%5D%7D HTTP/1.1", NULL, WAIT_EOF),
		STEP_END,
	};
	struct buf b = { 0 };
	struct srv s;
	struct docker d;
	struct err e = { 0 };
	struct seen seen = { 0 };
	size_t i;

	buf_adds(&b, CHUNKED_HEAD);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		buf_printf(&b, "%zx\r\n%s\r\n", strlen(parts[i]), parts[i]);
	steps[1].head = b.data;
	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_events(&d, "{\"type\":[\"container\"]}", on_event,
			    &seen, &e) == 0);
	check(seen.n == 3);
	check_str(seen.names[0], "container start web");
	check_str(seen.names[1], "container die db");
	check_str(seen.names[2], "network connect ");
	check(d.t.fd < 0);
	docker_close(&d);
	check(srv_wait(&s) == 0);
	buf_free(&b);
}

/* docker_init: DOCKER_HOST and bad hosts; a daemon not there. */
static void test_init_errors(void)
{
	struct docker d;
	struct err e = { 0 };

	check(docker_init(&d, "ftp://x", &e) == -1);
	check(e.code == EXIT_USAGE);
	check_has(e.msg, "\"ftp://x\"");
	setenv("DOCKER_HOST", "tcp://[::1]:2376", 1);
	check(docker_init(&d, NULL, &e) == 0);
	check_str(d.host_field, "[::1]:2376");
	docker_close(&d);
	check(docker_init(&d, "tcp://10.0.0.1:2375", &e) == 0);
	check_str(d.host_field, "10.0.0.1:2375");
	docker_close(&d);
	unsetenv("DOCKER_HOST");
	check(docker_init(&d, "unix:///nonexistent/docker.sock", &e) == 0);
	check(docker_call(&d, "GET", "/containers/json", NULL, 0, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, "unix:///nonexistent/docker.sock");
	check_has(e.msg, "No such file or directory");
	docker_close(&d);
}

UNIT_TESTS(T(test_keepalive_reuse) T(test_reconnect_idle_close)
	   T(test_reconnect_no_answer) T(test_reconnect_twice)
	   T(test_connection_close) T(test_status_500_text)
	   T(test_status_404) T(test_post_no_body) T(test_truncated_chunk)
	   T(test_short_content_length) T(test_stall_mid_body)
	   T(test_close_mid_header) T(test_bad_chunk_size)
	   T(test_header_no_colon) T(test_huge_header) T(test_head_over_limit)
	   T(test_body_over_cap) T(test_api_version) T(test_inspect_1mib)
	   T(test_chunked_ext_trailers) T(test_exec) T(test_events)
	   T(test_init_errors))
