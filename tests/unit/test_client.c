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
#include "dfw/view.h"
#include "failalloc.h"
#include "unit.h"

#define check_has(s, sub) \
	do { \
		if (!strstr((s), (sub))) { \
			fprintf(stderr, "%s:%d: \"%s\" lacks \"%s\"\n", \
				__FILE__, __LINE__, (s), (sub)); \
			unit_failed_checks++; \
		} \
	} while (0)

/* --- the fake daemon ----------------------------------------------------- */

enum { NEXT, CLOSE, WAIT_EOF };

struct step {
	int accept;	      /* take a new connection first */
	const char *want;     /* the request line expected; NULL: read none */
	const char *head;     /* answer, sent as is */
	const char *body;     /* if set: Content-Length, empty line, body */
	int then;	      /* NEXT, CLOSE, or WAIT_EOF (client closes) */
	const char *body_has; /* a string the request body must hold */
	size_t head_len;      /* for heads with NULs; 0: strlen(head) */
};

#define PING(v) \
	"HTTP/1.1 200 OK\r\n" \
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
#define JSON_HEAD(status) \
	"HTTP/1.1 " status "\r\n" \
	"Api-Version: 1.41\r\n" \
	"Content-Type: application/json\r\n" \
	"Docker-Experimental: false\r\n" \
	"Ostype: linux\r\n" \
	"Server: Docker/20.10.24 (linux)\r\n" \
	"Date: Sat, 29 Nov 2025 14:03:00 GMT\r\n"
#define CHUNKED_HEAD JSON_HEAD("200 OK") "Transfer-Encoding: chunked\r\n\r\n"

#define STEP_PING(v) \
	{ \
		1, "GET /_ping HTTP/1.1", PING(v), NULL, NEXT, NULL, 0 \
	}
#define STEP_JSON(line, status, json, then) \
	{ \
		0, line, JSON_HEAD(status), json, then, NULL, 0 \
	}
#define STEP_RAW(line, raw, then) \
	{ \
		0, line, raw, NULL, then, NULL, 0 \
	}
#define STEP_ACCEPT_JSON(line, json) \
	{ \
		1, line, JSON_HEAD("200 OK"), json, NEXT, NULL, 0 \
	}
#define STEP_END \
	{ \
		0, NULL, NULL, NULL, NEXT, NULL, 0 \
	}

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
		fprintf(stderr, "server: want \"%s\", got \"%.*s\"\n", st->want,
			(int)strcspn(req, "\r\n"), req);
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
				fprintf(stderr,
					"server: no connection for "
					"\"%s\"\n",
					st->want);
				return 1;
			}
		}
		if (st->want) {
			n = c_read_req(fd, req, sizeof(req), &head);
			if (n <= 0) {
				fprintf(stderr,
					"server: no request, want "
					"\"%s\"\n",
					st->want);
				return 1;
			}
			bad |= c_check(req, head, st);
		}
		/* send errors are the client's choice to hang up */
		if (st->head)
			c_send(fd, st->head,
			       st->head_len ? st->head_len : strlen(st->head));
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

/* docker_init for the daemon at host, the rest of the configuration
 * at its defaults. */
static int init_at(struct docker *d, const char *host, struct err *e)
{
	struct dfw_config c;

	config_init(&c);
	c.host = host;
	return docker_init(d, &c, e);
}

/* A client for s: docker_init with its URL and a bound on every wait. */
static int client(struct docker *d, const struct srv *s, struct err *e)
{
	if (init_at(d, s->url, e))
		return -1;
	d->io_timeout_ms = 5000;
	return 0;
}

#define SERVE(s, steps) \
	do { \
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
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0, &e) ==
	      200);
	check(d.ntok == 1 && d.toks[0].type == JSON_ARRAY);
	check(http_reusable(&d.http));
	check(docker_call(&d, "GET", "/networks", NULL, 0, &e) == 200);
	check(d.ntok == 6);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == 200);
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
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0, &e) ==
	      200);
	usleep(100000); /* let the close arrive */
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == 200);
	check_str(d.body.data, "{\"Id\":\"abc\"}");
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0, &e) ==
	      200);
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
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0, &e) ==
	      200);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == 200);
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
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0, &e) ==
	      200);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
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
		{ 1, INSPECT_X,
		  "HTTP/1.0 200 OK\r\n"
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
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0, &e) ==
	      200);
	check(d.t.fd < 0 && !http_reusable(&d.http));
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == 200);
	check_str(d.body.data, "{\"Id\":\"e\"}");
	check(d.ntok == 3);
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0, &e) ==
	      200);
	check_str(d.body.data, "[1]");
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

/* --- error statuses ------------------------------------------------------ */

static void test_status_500_text(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		{ 0, INSPECT_X,
		  "HTTP/1.1 500 Internal Server Error\r\n"
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
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check(d.status == 500);
	/* control characters escaped: one line, nothing for a terminal */
	check_str(e.msg, "Docker daemon: GET /containers/x/json: 500: "
			 "something broke\\n\\tbadly");
	/* the error body was read to its end: the connection goes on */
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == 200);
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
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
	check(e.code == EXIT_USAGE && d.status == 404);
	check_str(e.msg, "Docker daemon: GET /containers/x/json: 404: "
			 "No such container: x");
	check(docker_inspect(&d, "/x", &c, &e) == -1);
	check(e.code == EXIT_USAGE);
	check_str(e.msg, "no such container \"x\"");
	/* an error with a broken JSON body */
	check(docker_call(&d, "GET", "/containers/y/json", NULL, 0, &e) == -1);
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
		STEP_JSON("GET /v1.41/containers/a%2Fb/json HTTP/1.1", "200 OK",
			  "{}", NEXT),
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
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	/* the endpoint, the request, what went wrong */
	check_str(e.msg + strlen(s.url),
		  ": GET /v1.41/containers/x/json: "
		  "connection closed before the end of the response body");
	check(!strncmp(e.msg, s.url, strlen(s.url)));
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

static void test_short_content_length(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW(INSPECT_X,
			 JSON_HEAD("200 OK") "Content-Length: 100\r\n\r\n{}",
			 CLOSE),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
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
		STEP_RAW(INSPECT_X,
			 JSON_HEAD(
				 "200 OK") "Content-Length: 100\r\n\r\n{\"Id\"",
			 WAIT_EOF),
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
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
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
		{ 1, INSPECT_X, CHUNKED_HEAD "5\r\nhello", NULL, WAIT_EOF, NULL,
		  0 },
		STEP_ACCEPT_JSON(INSPECT_X, "{}"),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "bad chunked body");
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
	check_has(e.msg, "bad chunked body");
	check_has(e.msg, "too large");
	/* chunk data running into the end of the body */
	d.io_timeout_ms = 200;
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
	check_has(e.msg, "no answer within");
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == 200);
	check_str(d.body.data, "{}");
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

static void test_header_no_colon(void)
{
	static const struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW(INSPECT_X,
			 "HTTP/1.1 200 OK\r\n"
			 "Content-Type application/json\r\n\r\n{}",
			 WAIT_EOF),
		{ 1, "GET /v1.41/containers/json?all=1 HTTP/1.1",
		  "\x15\x03\x01\x00\x02\x02\x0a", NULL, WAIT_EOF, NULL, 7 },
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "bad response");
	check_has(e.msg, "colon");
	/* a TLS alert (a TLS port): known bad from 7 bytes, no wait */
	check(docker_call(&d, "GET", "/containers/json?all=1", NULL, 0, &e) ==
	      -1);
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
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
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
		STEP_RAW(
			INSPECT_X,
			JSON_HEAD(
				"200 OK") "Content-Length: 100000000\r\n\r\n{\"Id\":\"xxxx",
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
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, s.url);
	check_has(e.msg, "100000000 bytes is over the limit");
	check(d.body.cap < 64 * 1024);
	d.http.max_body = 1000;
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
	check_has(e.msg, "over the limit of 1000 bytes");
	check(d.body.cap < 64 * 1024);
	d.http.max_body = 0;
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == 200);
	check_str(d.body.data, "{\"Id\":\"ok\"}");
	/* Content-Length over a lowered limit: refused at the head */
	d.http.max_body = 4999;
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == -1);
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
		int api; /* 0: the ping fails */
		const char *err;
	} cases[] = {
		{ v41, 41, NULL },
		{ v99, 52, NULL },
		{ v24, 24, NULL },
		{ v12, 0,
		  "the daemon speaks API 1.12; docker-fw needs 1.24 "
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
			check(docker_call(&d, "GET", "/containers/x/json", NULL,
					  0, &e) == 200);
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

	buf_printf(&b,
		   "{\"Id\":\"%s\",\"Created\":\"2025-11-29T14:03:00Z\","
		   "\"Name\":\"/web\",\"State\":{\"Status\":\"running\","
		   "\"Running\":true,\"Paused\":false,\"Pid\":4242},"
		   "\"HostsPath\":\"/var/lib/docker/containers/%s/hosts\","
		   "\"Config\":{\"Labels\":{",
		   id, id);
	for (i = 0; b.len < 1024 * 1024; i++)
		buf_printf(&b,
			   "%s\"com.example.label.%06d\":\"value %d with "
			   "some text \\u00e9\\n to parse\"",
			   i ? "," : "", i, i);
	buf_printf(&b,
		   "}},\"HostConfig\":{\"NetworkMode\":\"bridge\","
		   "\"RestartPolicy\":{\"Name\":\"on-failure\","
		   "\"MaximumRetryCount\":5},\"PortBindings\":{\"80/tcp\":"
		   "[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]},"
		   "\"Links\":null,\"Dns\":[\"1.1.1.1\"]},"
		   "\"NetworkSettings\":{\"Ports\":{\"80/tcp\":"
		   "[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]},"
		   "\"Networks\":{\"bridge\":{"
		   "\"NetworkID\":\"%s\",\"IPAddress\":\"172.17.0.2\","
		   "\"IPPrefixLen\":16,\"Gateway\":\"172.17.0.1\","
		   "\"GlobalIPv6Address\":\"\"}}}}",
		   id);
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
		STEP_RAW(INSPECT_X,
			 CHUNKED_HEAD
			 "5;name=val\r\n{\"a\":\r\n"
			 "3 ; x=\"y;z\"\r\n 1}\r\n0;end\r\nX-T: 1\r\n"
			 "X-Other: two\r\n\r\n",
			 NEXT),
		STEP_RAW(INSPECT_X,
			 "HTTP/1.1 100 Continue\r\n\r\n" CHUNKED_HEAD
			 "2\r\n[]\r\n0\r\n\r\n",
			 NEXT),
		STEP_RAW(INSPECT_X, CHUNKED_HEAD "0\r\n\r\n", NEXT),
		STEP_END,
	};
	struct srv s;
	struct docker d;
	struct err e = { 0 };

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == 200);
	check_str(d.body.data, "{\"a\": 1}");
	check(d.ntok == 3);
	check(http_reusable(&d.http));
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == 200);
	check_str(d.body.data, "[]");
	check(docker_call(&d, "GET", "/containers/x/json", NULL, 0, &e) == 200);
	check(d.body.len == 0 && d.ntok == 0);
	docker_close(&d);
	check(srv_wait(&s) == 0);
}

#define EXEC_ID \
	"6f0c1e0b9d2a4e43c3a1b5f0e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9"

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
		{ 0, "POST /v1.41/exec/" EXEC_ID "/start HTTP/1.1", stream,
		  NULL, CLOSE, "\"Detach\":false", sizeof(stream) - 1 },
		STEP_ACCEPT_JSON("GET /v1.41/exec/" EXEC_ID "/json HTTP/1.1",
				 "{\"ExitCode\":3,\"Running\":false}"),
		STEP_END,
	};
	static const char *const argv[] = { "iptables", "-S", "a \"b\"", NULL };
	struct srv s;
	struct docker d;
	struct err e = { 0 };
	struct buf out = { 0 }, err = { 0 };
	int code = -1;

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_exec(&d, "web", argv, &out, &err, 64, &code, &e) == 0);
	check(code == 3);
	check_str(out.data, "hi\nbye\n");
	check_str(err.data, "warn\n");
	docker_close(&d);
	check(srv_wait(&s) == 0);
	buf_free(&out);
	buf_free(&err);
}

/* exec output is bounded (the container writes what it likes): 12 bytes
 * kept in both streams, so 11 is an error naming the bound, and the
 * exec is not inspected. */
static void test_exec_max(void)
{
	static const char stream[] =
		"HTTP/1.1 200 OK\r\n"
		"Content-Type: application/vnd.docker.raw-stream\r\n"
		"Api-Version: 1.41\r\n\r\n"
		"\1\0\0\0\0\0\0\3hi\n"
		"\2\0\0\0\0\0\0\5warn\n"
		"\1\0\0\0\0\0\0\4bye\n";
	static const struct step steps[] = {
		STEP_PING("1.41"),
		{ 0, "POST /v1.41/containers/web/exec HTTP/1.1",
		  JSON_HEAD("201 Created"), "{\"Id\":\"" EXEC_ID "\"}", NEXT,
		  "\"Cmd\":[\"cat\"]", 0 },
		{ 0, "POST /v1.41/exec/" EXEC_ID "/start HTTP/1.1", stream,
		  NULL, CLOSE, "\"Detach\":false", sizeof(stream) - 1 },
		STEP_END,
	};
	static const char *const argv[] = { "cat", NULL };
	struct srv s;
	struct docker d;
	struct err e = { 0 };
	struct buf out = { 0 }, err = { 0 };
	int code = -1;

	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_exec(&d, "web", argv, &out, &err, 11, &code, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check(strstr(e.msg, ": exec output over 11 bytes") != NULL);
	check(out.len + err.len <= 11);
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

static int on_container(void *arg, const struct docker_event *ev)
{
	struct seen *s = arg;

	snprintf(s->names[s->n], sizeof(s->names[0]),
		 "%.15s %.20s %.60s "
		 "%.64s %lld",
		 ev->type, ev->action, ev->name, ev->container,
		 (long long)ev->time);
	s->n++;
	return 0;
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
			 "container%22%5D%7D HTTP/1.1",
			 NULL, WAIT_EOF),
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
	check(docker_events(&d, "{\"type\":[\"container\"]}", on_event, &seen,
			    &e) == 0);
	check(seen.n == 3);
	check_str(seen.names[0], "container start web");
	check_str(seen.names[1], "container die db");
	check_str(seen.names[2], "network connect ");
	check(d.t.fd < 0);
	docker_close(&d);
	check(srv_wait(&s) == 0);
	buf_free(&b);
}

/* The events stream from a time on (a reconnect), and the container a
 * network event names. */
static void test_events_since(void)
{
	static const char part[] =
		"{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":"
		"{\"ID\":\"n1\",\"Attributes\":{\"name\":\"front\","
		"\"container\":\"c1\",\"type\":\"bridge\"}},"
		"\"time\":1700000001}\n";
	static struct step steps[] = {
		STEP_PING("1.41"),
		STEP_RAW("GET /v1.41/events?since=1700000000&filters=%7B%7D "
			 "HTTP/1.1",
			 NULL, WAIT_EOF),
		STEP_END,
	};
	struct buf b = { 0 };
	struct srv s;
	struct docker d;
	struct err e = { 0 };
	struct seen seen = { 0 };

	buf_adds(&b, CHUNKED_HEAD);
	buf_printf(&b, "%zx\r\n%s\r\n0\r\n\r\n", strlen(part), part);
	steps[1].head = b.data;
	SERVE(s, steps);
	check(client(&d, &s, &e) == 0);
	check(docker_events_since(&d, "{}", 1700000000, on_container, &seen,
				  &e) == 0);
	check(seen.n == 1);
	check_str(seen.names[0], "network connect front c1 1700000001");
	check(d.t.fd < 0);
	docker_close(&d);
	check(srv_wait(&s) == 0);
	buf_free(&b);
}

/* docker_init: the host of the configuration, bad hosts; a daemon not
 * there. */
static void test_init_errors(void)
{
	struct docker d;
	struct err e = { 0 };

	check(init_at(&d, "ftp://x", &e) == -1);
	check(e.code == EXIT_USAGE);
	check_has(e.msg, "\"ftp://x\"");
	check(init_at(&d, "tcp://[::1]:2376", &e) == 0);
	check_str(d.host_field, "[::1]:2376");
	docker_close(&d);
	check(init_at(&d, "tcp://10.0.0.1:2375", &e) == 0);
	check_str(d.host_field, "10.0.0.1:2375");
	docker_close(&d);
	/* no host: the default socket */
	check(init_at(&d, NULL, &e) == 0);
	check_str(d.ep.url, "unix:///var/run/docker.sock");
	docker_close(&d);
	check(init_at(&d, "unix:///nonexistent/docker.sock", &e) == 0);
	check(docker_call(&d, "GET", "/containers/json", NULL, 0, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, "unix:///nonexistent/docker.sock");
	check_has(e.msg, "No such file or directory");
	docker_close(&d);
}

/* --- the daemon's answers, checked where they are read (#19) ------------ */

/* A Docker client whose daemon is the bytes of one answer in memory, sent
 * again from the start for each request (what it writes is dropped). */
static const char *mem_answer;
static size_t mem_len, mem_pos;
static unsigned mem_requests; /* requests written */

static ssize_t dmem_read(struct transport *t, void *p, size_t n)
{
	size_t k = mem_len - mem_pos < n ? mem_len - mem_pos : n;

	memcpy(p, mem_answer + mem_pos, k);
	mem_pos += k;
	return (ssize_t)k;
}

static ssize_t dmem_write(struct transport *t, const void *p, size_t n)
{
	mem_pos = 0; /* a new request: the answer again */
	mem_requests++;
	return (ssize_t)n;
}

static void dmem_close(struct transport *t)
{
	t->fd = -1;
}

/* d answers every request with a 200 and body (JSON). 0 or -1. */
static int mem_daemon(struct docker *d, struct buf *answer, const char *body)
{
	struct err e;

	answer->len = 0;
	if (buf_printf(answer,
		       "HTTP/1.1 200 OK\r\nContent-Type: "
		       "application/json\r\nContent-Length: %zu\r\n\r\n%s",
		       strlen(body), body) ||
	    init_at(d, "unix:///nonexistent/docker.sock", &e))
		return -1;
	mem_answer = answer->data;
	mem_len = answer->len;
	mem_pos = 0;
	d->api = 41;
	d->t.fd = 3;
	d->t.read = dmem_read;
	d->t.write = dmem_write;
	d->t.close = dmem_close;
	snprintf(d->t.name, sizeof(d->t.name), "mem://");
	snprintf(d->ep.url, sizeof(d->ep.url), "mem://");
	return http_init(&d->http, &d->t, "docker");
}

#define ID64 "4f1c3b2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"
#define NID64 "9b1d6c5a4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b"

static const char inspect_ok[] =
	"{\"Id\":\"" ID64 "\",\"Name\":\"/web\",\"State\":{\"Running\":true,"
	"\"Paused\":false},\"HostsPath\":\"/var/lib/docker/containers/" ID64
	"/hosts\",\"HostConfig\":{\"NetworkMode\":\"bridge\","
	"\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},"
	"\"Privileged\":false,\"Binds\":[\"/srv/a:/a\"],\"Links\":null,"
	"\"Dns\":[],\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\","
	"\"HostPort\":\"8080\"}]}},\"NetworkSettings\":{\"Ports\":{"
	"\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"},"
	"{\"HostIp\":\"::\",\"HostPort\":\"8080\"}],\"53/udp\":null},"
	"\"Networks\":{\"bridge\":{\"NetworkID\":\"" NID64 "\","
	"\"IPAddress\":\"172.17.0.2\",\"IPPrefixLen\":16,\"Gateway\":"
	"\"172.17.0.1\",\"GlobalIPv6Address\":\"\"}}}}";

/* inspect_ok with its first from replaced by to, into b. */
static const char *with(struct buf *b, const char *base, const char *from,
			const char *to)
{
	const char *at = strstr(base, from);

	b->len = 0;
	if (!at) {
		fprintf(stderr, "  (\"%s\" is not in the answer)\n", from);
		unit_failed_checks++;
		buf_adds(b, base);
		return b->data;
	}
	buf_add(b, base, (size_t)(at - base));
	buf_adds(b, to);
	buf_adds(b, at + strlen(from));
	return b->data;
}

static void test_inspect_checked(void)
{
	static const struct {
		const char *from, *to,
			*msg; /* msg after `inspect of "web": ` */
	} cases[] = {
		{ "/web\"", "/x\\n-I INPUT 1 -j ACCEPT\\n#\"",
		  "Name \"/x\\n-I "
		  "INPUT 1 -j ACCEPT\\n#\": not a Docker container name "
		  "(/[a-zA-Z0-9][a-zA-Z0-9_.-]*)" },
		{ "/web\"", "/web\\tevil.example.com\"",
		  "Name \"/web\\tevil"
		  ".example.com\": not a Docker container name" },
		{ "/web\"", "web\"",
		  "Name \"web\": not a Docker container "
		  "name" },
		{ "/web\"", "/-web\"", "Name \"/-web\": not a Docker" },
		{ "/web\"", "/w\\\"eb\"", "Name \"/w\\\"eb\": not a Docker" },
		{ "/web\"", "/w\\u00e9b\"",
		  "Name \"/w\\xc3\\xa9b\": not a "
		  "Docker" },
		{ "/web\"", "/w\\u001b[2Jeb\"",
		  "Name \"/w\\x1b[2Jeb\": not a "
		  "Docker" },
		{ "/web\"", "/web\\u0000x\"", "Name: a NUL byte in it" },
		{ "\"Name\":\"/web\"", "\"Name\":null",
		  "Name \"\": not a "
		  "Docker container name" },
		{ "\"Name\":\"/web\"", "\"Name\":7", "Name: not a string" },
		{ "\"Id\":\"" ID64, "\"Id\":\"abc",
		  "Id \"abc\": not 64 "
		  "lowercase hex digits" },
		{ "\"Id\":\"" ID64, "\"Id\":\"" ID64 "\\n",
		  "Id: longer than 64 bytes" },
		{ "\"Id\":\"4f1c", "\"Id\":\"4F1C", "Id \"4F1C3b2a" },
		{ "\"Id\":\"4f1c", "\"Id\":\"../c", "Id \"../c3b2a9d8e" },
		{ "\"HostsPath\":\"/var", "\"HostsPath\":\"var",
		  "HostsPath \"var/lib/docker/containers/" ID64 "/hosts\": not "
		  "an absolute path without control characters" },
		{ "/hosts\"", "/hosts\\n/etc/passwd\"",
		  "HostsPath \"/var/lib/"
		  "docker/containers/" ID64 "/hosts\\n/etc/passwd\": not an "
		  "absolute path" },
		{ "\"172.17.0.2\"", "\"172.17.0.2;x\"",
		  "IPAddress "
		  "\"172.17.0.2;x\": not an IPv4 address" },
		{ "\"172.17.0.2\"", "\"172.17.0.2 -j ACCEPT\"",
		  "IPAddress: "
		  "longer than 15 bytes" },
		{ "\"172.17.0.2\"", "\"::1\"",
		  "IPAddress \"::1\": not an IPv4 "
		  "address" },
		{ "\"Gateway\":\"172.17.0.1\"", "\"Gateway\":\"x\"",
		  "Gateway \"x\": not an IPv4 address" },
		{ "\"GlobalIPv6Address\":\"\"",
		  "\"GlobalIPv6Address\":\"1.2.3"
		  ".4\"",
		  "GlobalIPv6Address \"1.2.3.4\": not an IPv6 address" },
		{ ":16,", ":33,", "IPPrefixLen \"33\": not from 0 to 32" },
		{ ":16,", ":-1,", "IPPrefixLen \"-1\": not from 0 to 32" },
		{ "\"NetworkID\":\"9b1d", "\"NetworkID\":\"../x",
		  "NetworkID "
		  "\"../x" },
		{ "\"bridge\":{\"NetworkID", "\"\":{\"NetworkID",
		  "a network "
		  "name: empty" },
		{ "\"bridge\":{\"NetworkID", "\"a\\u0000b\":{\"NetworkID",
		  "a network name: a NUL byte in it" },
		{ "\"80/tcp\":[{\"HostIp\":\"0",
		  "\"80/tcp\\n\":[{\"HostIp\":\"0",
		  "NetworkSettings.Ports \"80/tcp\\n\": not a port as PORT/tcp, "
		  "udp or sctp" },
		{ "\"53/udp\"", "\"53/icmp\"",
		  "NetworkSettings.Ports "
		  "\"53/icmp\": not a port" },
		{ "\"53/udp\"", "\"0/udp\"",
		  "NetworkSettings.Ports "
		  "\"0/udp\": not a port" },
		{ "\"HostPort\":\"8080\"}]}}", "\"HostPort\":\"80a\"}]}}",
		  "HostPort \"80a\": not a port number" },
		{ "\"HostIp\":\"\"", "\"HostIp\":\"x\"",
		  "HostIp \"x\": not an "
		  "IP address" },
		{ "\"HostIp\":\"0.0.0.0\"", "\"HostIp\":7",
		  "HostIp: not a "
		  "string" },
		{ "[\"/srv/a:/a\"]", "[1]",
		  "HostConfig.Binds: not a list of "
		  "strings" },
		{ "[\"/srv/a:/a\"]", "\"/srv/a:/a\"",
		  "HostConfig.Binds: not a "
		  "list of strings" },
		{ "[\"/srv/a:/a\"]", "[\"/srv/a\\u0000:/a\"]",
		  "HostConfig.Binds: a NUL byte in it" },
		{ "\"Name\":\"no\"", "\"Name\":\"no\\n\"",
		  "RestartPolicy.Name "
		  "\"no\\n\": not a restart policy" },
		{ "{\"bridge\":{", "[{\"bridge\":{", "" }, /* invalid JSON */
	};
	struct buf ans = { 0 }, b = { 0 };
	struct docker d;
	struct docker_container c;
	struct err e = { 0 };
	char want[600];
	size_t i;

	/* the answer as it is: fine */
	check(mem_daemon(&d, &ans, inspect_ok) == 0);
	check(docker_inspect(&d, "web", &c, &e) == 0);
	check_str(c.name, "web");
	check(c.nnets == 1 && c.nports == 3 && c.nbindings == 1 &&
	      c.binds.n == 1);
	docker_container_free(&c);
	docker_close(&d);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check(mem_daemon(&d, &ans,
				 with(&b, inspect_ok, cases[i].from,
				      cases[i].to)) == 0);
		memset(&e, 0, sizeof(e));
		check(docker_inspect(&d, "web", &c, &e) == -1);
		check(e.code == EXIT_RUNTIME);
		snprintf(want, sizeof(want), "mem://: inspect of \"web\": %s",
			 cases[i].msg);
		if (!*cases[i].msg)
			snprintf(want, sizeof(want), "mem://: bad JSON");
		if (strncmp(e.msg, want, strlen(want))) {
			fprintf(stderr, "  case %zu: got  %s\n  want %s\n", i,
				e.msg, want);
			unit_failed_checks++;
		}
		docker_close(&d);
	}
	/* a 256-character name: Docker takes it, docker-fw does not */
	{
		char nm[300] = "/";

		memset(nm + 1, 'a', 256);
		nm[257] = 0;
		check(mem_daemon(&d, &ans, with(&b, inspect_ok, "/web", nm)) ==
		      0);
		check(docker_inspect(&d, "web", &c, &e) == -1);
		check_has(e.msg, "\": 256 characters, over the 255 docker-fw "
				 "takes");
		docker_close(&d);
	}
	buf_free(&ans);
	buf_free(&b);
}

/* #19.12: array strings of any length (a bind path over 4 KiB, which
 * failed with a false "out of memory"), with its bytes as they are. */
static void test_inspect_long_strings(void)
{
	struct buf ans = { 0 }, b = { 0 }, bind = { 0 };
	struct docker d;
	struct docker_container c;
	struct err e = { 0 };
	int i;

	buf_adds(&bind, "[\"/srv/");
	for (i = 0; i < 70000; i++)
		buf_add(&bind, "x", 1);
	buf_adds(&bind, "\\nnewline\\t:/data:ro\",\"/b:/b\"]");
	check(mem_daemon(&d, &ans,
			 with(&b, inspect_ok, "[\"/srv/a:/a\"]", bind.data)) ==
	      0);
	check(docker_inspect(&d, "web", &c, &e) == 0);
	check(c.binds.n == 2);
	if (c.binds.n == 2) {
		check(strlen(c.binds.v[0]) == 5 + 70000 + 18);
		check(!strcmp(c.binds.v[0] + 5 + 70000,
			      "\nnewline\t:/data:ro"));
		check_str(c.binds.v[1], "/b:/b");
	}
	docker_container_free(&c);
	docker_close(&d);
	buf_free(&ans);
	buf_free(&b);
	buf_free(&bind);
}

static const char networks_ok[] =
	"[{\"Name\":\"bridge\",\"Id\":\"" NID64 "\",\"Driver\":\"bridge\","
	"\"Internal\":false,\"EnableIPv6\":false,\"Options\":{"
	"\"com.docker.network.bridge.name\":\"docker0\"},\"IPAM\":{"
	"\"Config\":[{\"Subnet\":\"172.17.0.0/16\",\"Gateway\":"
	"\"172.17.0.1\"}]}},{\"Name\":\"a\\nb c\\\"d\",\"Id\":"
	"\"qj7t4mpc8y3r0ub5kqd0v6w8k\",\"Driver\":\"overlay\",\"Options\":"
	"{\"com.docker.network.bridge.name\":\"not one\"},\"IPAM\":{"
	"\"Config\":[{\"Subnet\":\"fd00::/64\"}]}}]";

/* An earlier call's 404 is not this call's: a daemon that closes before
 * answering is no "no such container" (EXIT_USAGE would make the caller
 * take the container for gone). */
static void test_status_per_call(void)
{
	struct buf ans = { 0 };
	struct docker d;
	struct docker_container c;
	struct err e = { 0 };

	check(mem_daemon(&d, &ans, "{}") == 0);
	mem_len = 0;	/* closed before any answer, and no socket to redo */
	d.status = 404; /* the call before got one */
	check(docker_inspect(&d, "web", &c, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check(!strstr(e.msg, "no such container"));
	docker_close(&d);
	buf_free(&ans);
}

static void test_networks_checked(void)
{
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{ "\"docker0\"", "\"x\\n-F\\n#\"",
		  "mem://: network \"bridge\" "
		  "(9b1d6c5a4e3f): bridge name \"x\\n-F\\n#\": not an interface "
		  "name (1 to 15 bytes, no blank, control character, / or :, "
		  "not . or ..) that iptables reads as itself (no final +)" },
		{ "\"docker0\"", "\"br+\"", "bridge name \"br+\": not an" },
		{ "\"docker0\"", "\"..\"", "bridge name \"..\": not an" },
		{ "\"docker0\"", "\"br x\"", "bridge name \"br x\": not an" },
		{ "\"docker0\"", "\"br\\u007fx\"",
		  "bridge name \"br\\x7fx\": "
		  "not" },
		{ "\"docker0\"", "\"br:x\"", "bridge name \"br:x\": not an" },
		{ "\"docker0\"", "\"br/x\"", "bridge name \"br/x\": not an" },
		{ "\"docker0\"", "\"0123456789abcdef\"",
		  "mem://: network "
		  "\"bridge\" (9b1d6c5a4e3f): com.docker.network.bridge.name: "
		  "longer than 15 bytes" },
		{ "\"Id\":\"9b1d", "\"Id\":\"../x",
		  "mem://: list of networks: "
		  "Id \"../x" },
		{ "\"Subnet\":\"172.17.0.0/16\"",
		  "\"Subnet\":\"172.17.0.0/33\"",
		  "IPAM subnet \"172.17.0.0/33\": not an address and prefix "
		  "length" },
		{ "\"Subnet\":\"fd00::/64\"", "\"Subnet\":\"fd00::\"",
		  "IPAM subnet \"fd00::\": not an address" },
		{ "\"Gateway\":\"172.17.0.1\"", "\"Gateway\":\"-j\"",
		  "Gateway \"-j\": not an IPv4 address" },
		/* a gateway of the other family than its subnet's */
		{ "\"Gateway\":\"172.17.0.1\"", "\"Gateway\":\"fd00::1\"",
		  "Gateway \"fd00::1\": not an IPv4 address" },
		{ "\"Subnet\":\"fd00::/64\"}",
		  "\"Subnet\":\"fd00::/64\","
		  "\"Gateway\":\"10.0.0.1\"}",
		  "Gateway \"10.0.0.1\": not an "
		  "IPv6 address" },
		{ "\"Subnet\":\"fd00::/64\"",
		  "\"Subnet\":\"::ffff:10.0.0.0/"
		  "104\"",
		  "IPAM subnet \"::ffff:10.0.0.0/104\": not an "
		  "address" },
		{ "\"Subnet\":\"fd00::/64\"", "\"Subnet\":\"fd00::/129\"",
		  "IPAM subnet \"fd00::/129\": not an address" },
		{ "\"Name\":\"bridge\"", "\"Name\":\"\"", "Name: empty" },
	};
	struct buf ans = { 0 }, b = { 0 };
	struct docker d;
	struct docker_network *v;
	struct err e = { 0 };
	size_t i, n;

	/* as it is: fine; a swarm ID, a network name Docker takes (a
	 * newline, a quote), another driver's bridge option dropped */
	check(mem_daemon(&d, &ans, networks_ok) == 0);
	check(docker_networks(&d, &v, &n, &e) == 0);
	check(n == 2);
	if (n == 2) {
		check_str(v[0].bridge, "docker0");
		check_str(v[1].name, "a\nb c\"d");
		check_str(v[1].bridge, "");
		check(v[1].nsubnets == 1);
	}
	free(v);
	docker_close(&d);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check(mem_daemon(&d, &ans,
				 with(&b, networks_ok, cases[i].from,
				      cases[i].to)) == 0);
		check(docker_networks(&d, &v, &n, &e) == -1);
		check(e.code == EXIT_RUNTIME);
		if (!strstr(e.msg, cases[i].msg)) {
			fprintf(stderr, "  case %zu: got  %s\n  lacks %s\n", i,
				e.msg, cases[i].msg);
			unit_failed_checks++;
		}
		docker_close(&d);
	}
	/* another driver's option, one a bridge could have (the outside
	 * link) or not one at all: no bridge, and no error */
	{
		static const char *const opts[] = { "\"eth0\"",
						    "\"0123456789abcdef\"" };

		for (i = 0; i < 2; i++) {
			check(mem_daemon(&d, &ans,
					 with(&b, networks_ok, "\"not one\"",
					      opts[i])) == 0);
			check(docker_networks(&d, &v, &n, &e) == 0);
			check(n == 2);
			if (n == 2) {
				check_str(v[1].driver, "overlay");
				check_str(v[1].bridge, "");
			}
			free(v);
			docker_close(&d);
		}
	}
	/* names the bridge driver makes, and the kernel's shapes */
	check(docker_bridge_ok("docker0") &&
	      docker_bridge_ok("br-0123456789ab"));
	check(docker_bridge_ok("br_1.a-b@x") && docker_bridge_ok("x"));
	check(docker_bridge_ok("abcdefghijklmno"));
	check(!docker_bridge_ok("abcdefghijklmnop") && !docker_bridge_ok(""));
	check(!docker_bridge_ok(".") && !docker_bridge_ok("a\tb"));
	/* what the kernel and dockerd take, written quoted by fw.c */
	check(docker_bridge_ok("q\"br") && docker_bridge_ok("-br") &&
	      docker_bridge_ok("br#x") && docker_bridge_ok("b\xc3\xa9"));
	check(!docker_bridge_ok("br+") && !docker_bridge_ok("a b") &&
	      !docker_bridge_ok("a:b") && !docker_bridge_ok("a/b"));
	buf_free(&ans);
	buf_free(&b);
}

/* A dual-stack container and network as Docker 28.5 gives them (moby
 * API v1.51 GET /containers/{id}/json, NetworkSettings.Networks; GET
 * /networks, EnableIPv6 and IPAM.Config), read into both families'
 * fields; bad IPv6 values refused, naming them. */
static const char inspect_dual[] =
	"{\"Id\":\"" ID64 "\",\"Name\":\"/web6\",\"State\":{\"Running\":"
	"true},\"HostsPath\":\"/h\",\"HostConfig\":{\"NetworkMode\":\"dual\"},"
	"\"NetworkSettings\":{\"Networks\":{\"dual\":{\"NetworkID\":\"" NID64
	"\",\"IPAddress\":\"172.30.0.2\",\"IPPrefixLen\":24,"
	"\"Gateway\":\"172.30.0.1\",\"GlobalIPv6Address\":\"fd00:30::2\","
	"\"GlobalIPv6PrefixLen\":64,\"IPv6Gateway\":\"fd00:30::1\","
	"\"LinkLocalIPv6Address\":\"\"},\"v4only\":{\"NetworkID\":\"" NID64
	"\",\"IPAddress\":\"172.31.0.2\",\"IPPrefixLen\":24,"
	"\"Gateway\":\"172.31.0.1\",\"GlobalIPv6Address\":\"\","
	"\"GlobalIPv6PrefixLen\":0,\"IPv6Gateway\":\"\"}}}}";

static const char networks_dual[] =
	"[{\"Name\":\"dual\",\"Id\":\"" NID64 "\",\"Driver\":\"bridge\","
	"\"EnableIPv6\":true,\"IPAM\":{\"Driver\":\"default\",\"Config\":["
	"{\"Subnet\":\"172.30.0.0/24\",\"Gateway\":\"172.30.0.1\"},"
	"{\"Subnet\":\"fd00:30::/64\",\"Gateway\":\"fd00:30::1\"}]}}]";

static void test_ipv6_fields(void)
{
	static const struct {
		const char *from, *to, *msg;
	} bad[] = {
		{ ":64,", ":129,",
		  "GlobalIPv6PrefixLen \"129\": not from 0 to "
		  "128" },
		{ ":64,", ":-1,",
		  "GlobalIPv6PrefixLen \"-1\": not from 0 to "
		  "128" },
		{ "\"fd00:30::1\"", "\"172.30.0.1\"",
		  "IPv6Gateway "
		  "\"172.30.0.1\": not an IPv6 address" },
		{ "\"fd00:30::2\"", "\"::ffff:172.30.0.2\"",
		  "GlobalIPv6Address "
		  "\"::ffff:172.30.0.2\": not an IPv6 address" },
		{ "\"fd00:30::2\"", "\"fe80::2%eth0\"",
		  "GlobalIPv6Address "
		  "\"fe80::2%eth0\": not an IPv6 address" },
		{ "\"fd00:30::2\"", "\"fd00:30::2\\n-j ACCEPT\"",
		  "GlobalIPv6Address \"fd00:30::2\\n-j ACCEPT\": not an IPv6 "
		  "address" },
	};
	struct buf ans = { 0 }, b = { 0 };
	struct docker d;
	struct docker_container c;
	struct docker_network *v;
	struct err e = { 0 };
	size_t i, n;

	check(mem_daemon(&d, &ans, inspect_dual) == 0);
	check(docker_inspect(&d, "web6", &c, &e) == 0);
	check(c.nnets == 2);
	if (c.nnets == 2) {
		check_str(c.nets[0].ip, "172.30.0.2");
		check_str(c.nets[0].ip6, "fd00:30::2");
		check(c.nets[0].prefix == 24 && c.nets[0].prefix6 == 64);
		check_str(c.nets[0].gateway6, "fd00:30::1");
		check_str(c.nets[1].ip6, "");
		check_str(c.nets[1].gateway6, "");
		check(c.nets[1].prefix6 == 0);
	}
	docker_container_free(&c);
	docker_close(&d);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		check(mem_daemon(&d, &ans,
				 with(&b, inspect_dual, bad[i].from,
				      bad[i].to)) == 0);
		memset(&e, 0, sizeof(e));
		check(docker_inspect(&d, "web6", &c, &e) == -1);
		check(e.code == EXIT_RUNTIME);
		if (!strstr(e.msg, bad[i].msg)) {
			fprintf(stderr, "  case %zu: got  %s\n  lacks %s\n", i,
				e.msg, bad[i].msg);
			unit_failed_checks++;
		}
		docker_close(&d);
	}
	check(mem_daemon(&d, &ans, networks_dual) == 0);
	check(docker_networks(&d, &v, &n, &e) == 0);
	check(n == 1);
	if (n == 1) {
		check(v[0].ipv6 && v[0].nsubnets == 2);
		check(v[0].subnets[0].family == AF_INET);
		check_str(v[0].subnets[0].subnet, "172.30.0.0/24");
		check(v[0].subnets[1].family == AF_INET6);
		check_str(v[0].subnets[1].subnet, "fd00:30::/64");
		check_str(v[0].subnets[1].gateway, "fd00:30::1");
		check_str(v[0].bridge, "br-9b1d6c5a4e3f");
	}
	free(v);
	docker_close(&d);
	buf_free(&ans);
	buf_free(&b);
}

/* GET /info: the fields about the daemon's firewall, as 20.10 and 28.5
 * give them (measured in the sandbox), absent ones unknown. */
static void test_info_firewall(void)
{
	static const char i2010[] =
		"{\"ServerVersion\":\"20.10.24+dfsg1\","
		"\"DockerRootDir\":\"/var/lib/docker\",\"ExperimentalBuild\":"
		"true,\"BridgeNfIptables\":true,\"BridgeNfIp6tables\":false}";
	static const char i285[] =
		"{\"ServerVersion\":\"28.5.2+dfsg4\","
		"\"DockerRootDir\":\"/var/lib/docker\",\"ExperimentalBuild\":"
		"false,\"FirewallBackend\":{\"Driver\":\"iptables\"}}";
	static const char odd[] = "{\"DockerRootDir\":\"/d\","
				  "\"FirewallBackend\":{\"Driver\":\"x\\ny\"},"
				  "\"BridgeNfIp6tables\":\"yes\"}";
	struct buf ans = { 0 };
	struct docker d;
	struct docker_info i;
	struct err e = { 0 };

	check(mem_daemon(&d, &ans, i2010) == 0);
	check(docker_info(&d, &i, &e) == 0);
	check(i.experimental == 1 && i.bridge_nf_ip6 == 0 && !*i.firewall);
	docker_close(&d);
	check(mem_daemon(&d, &ans, i285) == 0);
	check(docker_info(&d, &i, &e) == 0);
	check(i.experimental == 0 && i.bridge_nf_ip6 == -1);
	check_str(i.firewall, "iptables");
	docker_close(&d);
	check(mem_daemon(&d, &ans, odd) == 0);
	check(docker_info(&d, &i, &e) == 0);
	check(!*i.firewall && i.bridge_nf_ip6 == -1);
	docker_close(&d);
	buf_free(&ans);
}

static void test_list_checked(void)
{
	static const char ok[] = "[{\"Id\":\"" ID64
				 "\",\"Names\":[\"/other/alias\",\"/web\"],"
				 "\"State\":\"running\"}]";
	/* names docker-fw cannot take: the entry kept, marked */
	static const struct {
		const char *from, *to, *why;
	} skipped[] = {
		{ "\"/web\"", "\"/w\\neb\"",
		  "mem://: list of containers: " ID64
		  ": Names \"/w\\neb\": not a Docker container name" },
		{ "\"/web\"", "\"/we b\"", "Names \"/we b\": not a Docker" },
		{ "\"/web\"", "\"/w\\u0000\"",
		  "Names: no container name "
		  "docker-fw takes" },
	};
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{ "\"Id\":\"4f", "\"Id\":\"4F",
		  "mem://: list of containers: Id "
		  "\"4F1c" },
		{ "[\"/other/alias\",\"/web\"]", "[1]",
		  "Names: not a list of "
		  "strings" },
	};
	struct buf ans = { 0 }, b = { 0 };
	struct docker d;
	struct docker_summary *v;
	struct err e = { 0 };
	size_t i, n;

	check(mem_daemon(&d, &ans, ok) == 0);
	check(docker_list(&d, &v, &n, &e) == 0);
	check(n == 1 && !strcmp(v[0].name, "web") && !*v[0].why);
	docker_list_free(v, n);
	docker_close(&d);
	for (i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
		check(mem_daemon(&d, &ans,
				 with(&b, ok, skipped[i].from,
				      skipped[i].to)) == 0);
		check(docker_list(&d, &v, &n, &e) == 0);
		check(n == 1 && !*v[0].name && !strcmp(v[0].id, ID64) &&
		      !strcmp(v[0].state, "running"));
		if (n == 1 && !strstr(v[0].why, skipped[i].why)) {
			fprintf(stderr, "  skipped %zu: got  %s\n  lacks %s\n",
				i, v[0].why, skipped[i].why);
			unit_failed_checks++;
		}
		docker_list_free(v, n);
		docker_close(&d);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check(mem_daemon(&d, &ans,
				 with(&b, ok, cases[i].from, cases[i].to)) ==
		      0);
		check(docker_list(&d, &v, &n, &e) == -1);
		check(e.code == EXIT_RUNTIME && v == NULL && n == 0);
		if (!strstr(e.msg, cases[i].msg)) {
			fprintf(stderr, "  case %zu: got  %s\n  lacks %s\n", i,
				e.msg, cases[i].msg);
			unit_failed_checks++;
		}
		docker_close(&d);
	}
	buf_free(&ans);
	buf_free(&b);
}

/* A list as Docker 28.5 gives it (the fields docker-fw reads): web
 * publishes 80/tcp on both families and exposes 53/udp; db is on two
 * networks, one with IPv6; old has exited (no address). */
#define ID_DB "4f1c000000000000000000000000000000000000000000000000000000000000"
#define ID_OLD \
	"7000000000000000000000000000000000000000000000000000000000000000"
static const char list_ok[] =
	"[{\"Id\":\"" ID64 "\",\"Names\":[\"/web\"],\"State\":\"running\","
	"\"Ports\":[{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":"
	"8080,\"Type\":\"tcp\"},{\"IP\":\"::\",\"PrivatePort\":80,"
	"\"PublicPort\":8080,\"Type\":\"tcp\"},{\"PrivatePort\":53,\"Type\":"
	"\"udp\"}],\"HostConfig\":{\"NetworkMode\":\"bridge\"},"
	"\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"NetworkID\":\"" NID64
	"\",\"Gateway\":\"172.17.0.1\",\"IPAddress\":\"172.17.0.2\","
	"\"IPPrefixLen\":16,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\","
	"\"GlobalIPv6PrefixLen\":0,\"GwPriority\":0}}}},"
	"{\"Id\":\"" ID_DB "\",\"Names\":[\"/web/db\",\"/db\"],"
	"\"State\":\"paused\",\"Ports\":[],\"HostConfig\":{\"NetworkMode\":"
	"\"back\"},\"NetworkSettings\":{\"Networks\":{\"back\":{\"Gateway\":"
	"\"10.1.0.1\",\"IPAddress\":\"10.1.0.5\",\"IPPrefixLen\":24,"
	"\"IPv6Gateway\":\"fd00::1\",\"GlobalIPv6Address\":\"fd00::5\","
	"\"GlobalIPv6PrefixLen\":64,\"GwPriority\":3},\"front\":{"
	"\"IPAddress\":\"10.2.0.5\",\"IPPrefixLen\":24}}}},"
	"{\"Id\":\"" ID_OLD "\",\"Names\":[\"/old\"],\"State\":\"exited\","
	"\"Ports\":[],\"HostConfig\":{\"NetworkMode\":\"container:" ID64 "\"},"
	"\"NetworkSettings\":{\"Networks\":{}}}]";

/* The list's networks, ports and network mode (#18), checked as
 * inspect's: a bad value marks its entry, as a bad name does. */
static void test_list_summary(void)
{
	static const struct {
		const char *from, *to, *why;
	} marked[] = {
		{ "\"IPAddress\":\"172.17.0.2\"", "\"IPAddress\":\"172.17.0\"",
		  "list of containers: " ID64
		  ": IPAddress \"172.17.0\": not an IPv4 address" },
		{ "\"IPPrefixLen\":16", "\"IPPrefixLen\":33",
		  "IPPrefixLen \"33\": not from 0 to 32" },
		{ "\"GlobalIPv6Address\":\"\"",
		  "\"GlobalIPv6Address\":\"::ffff:1.2.3.4\"",
		  "GlobalIPv6Address \"::ffff:1.2.3.4\": not an IPv6" },
		{ "\"NetworkID\":\"" NID64 "\"", "\"NetworkID\":\"a/b\"",
		  "NetworkID \"a/b\": not a network ID" },
		{ "{\"bridge\":{", "{\"\":{", "a network name: empty" },
		{ "\"Networks\":{\"bridge\"",
		  "\"Networks\":[],\"x\":{\"bridge\"",
		  "NetworkSettings.Networks: not an object" },
		{ "\"PrivatePort\":80,", "\"PrivatePort\":0,",
		  "PrivatePort \"0\": not a port number" },
		{ "\"PrivatePort\":80,", "\"PrivatePort\":\"80\",",
		  "PrivatePort \"80\": not a port number" },
		{ "\"PrivatePort\":80,", "",
		  "PrivatePort \"null\": not a port number" },
		{ "\"PublicPort\":8080,", "\"PublicPort\":65536,",
		  "PublicPort \"65536\": not a port number" },
		{ "\"Type\":\"tcp\"", "\"Type\":\"icmp\"",
		  "Type \"icmp\": not tcp, udp or sctp" },
		{ "\"IP\":\"0.0.0.0\"", "\"IP\":\"0.0.0.0\\n-j ACCEPT\"",
		  "IP \"0.0.0.0\\n-j ACCEPT\": not an IP address" },
		{ "\"Ports\":[{", "\"Ports\":{\"a\":1},\"P\":[{",
		  "Ports: not a list" },
		{ "\"Ports\":[{", "\"Ports\":[1,{",
		  "Ports: a port that is not an object" },
		{ "\"NetworkMode\":\"bridge\"", "\"NetworkMode\":\"a\\u0000b\"",
		  "NetworkMode: a NUL byte in it" },
	};
	struct buf ans = { 0 }, b = { 0 };
	struct docker d;
	struct docker_summary *v;
	struct err e = { 0 };
	size_t i, n;

	check(mem_daemon(&d, &ans, list_ok) == 0);
	check(docker_list(&d, &v, &n, &e) == 0);
	check(n == 3);
	if (n == 3) {
		check_str(v[0].name, "web");
		check_str(v[0].network_mode, "bridge");
		check(v[0].nnets == 1 && v[0].nports == 3);
		if (v[0].nnets == 1) {
			check_str(v[0].nets[0].name, "bridge");
			check_str(v[0].nets[0].network_id, NID64);
			check_str(v[0].nets[0].ip, "172.17.0.2");
			check_str(v[0].nets[0].gateway, "172.17.0.1");
			check(v[0].nets[0].prefix == 16);
		}
		if (v[0].nports == 3) {
			check(v[0].ports[0].port == 80 &&
			      v[0].ports[0].host_port == 8080);
			check_str(v[0].ports[0].proto, "tcp");
			check_str(v[0].ports[0].host_ip, "0.0.0.0");
			check_str(v[0].ports[1].host_ip, "::");
			/* exposed only: as inspect's "53/udp": null */
			check(v[0].ports[2].port == 53 &&
			      !v[0].ports[2].host_port &&
			      !*v[0].ports[2].host_ip);
			check_str(v[0].ports[2].proto, "udp");
		}
		check_str(v[1].name, "db");
		check_str(v[1].state, "paused");
		check(v[1].nnets == 2 && v[1].nports == 0);
		if (v[1].nnets == 2) {
			check_str(v[1].nets[0].ip6, "fd00::5");
			check_str(v[1].nets[0].gateway6, "fd00::1");
			check(v[1].nets[0].prefix6 == 64);
			check(v[1].nets[0].gw_priority == 3);
			check_str(v[1].nets[1].name, "front");
		}
		check_str(v[2].network_mode, "container:" ID64);
		check(v[2].nnets == 0 && !*v[2].why);
	}
	docker_list_free(v, n);
	docker_close(&d);
	for (i = 0; i < sizeof(marked) / sizeof(marked[0]); i++) {
		check(mem_daemon(&d, &ans,
				 with(&b, list_ok, marked[i].from,
				      marked[i].to)) == 0);
		check(docker_list(&d, &v, &n, &e) == 0);
		/* web marked (no name, nothing held), the others whole */
		check(n == 3 && !strcmp(v[0].id, ID64) && !*v[0].name &&
		      !v[0].nnets && !v[0].nports && !v[0].nets && !v[0].ports);
		check(n == 3 && !strcmp(v[1].name, "db") && v[1].nnets == 2);
		if (n == 3 && (!strstr(v[0].why, marked[i].why) ||
			       strchr(v[0].why, '\n'))) {
			fprintf(stderr, "  marked %zu: got  %s\n  lacks %s\n",
				i, v[0].why, marked[i].why);
			unit_failed_checks++;
		}
		docker_list_free(v, n);
		docker_close(&d);
	}
	buf_free(&ans);
	buf_free(&b);
}

/* A view answers lookups from the one list (#18): by name, full ID,
 * unique ID prefix; an ambiguous prefix says so; one request for all,
 * none more for lookups that need no inspect. */
static void test_view_list(void)
{
	struct buf ans = { 0 };
	const struct docker_container *c;
	struct docker d;
	struct view v;
	struct err e = { 0 };

	check(mem_daemon(&d, &ans, list_ok) == 0);
	view_init(&v, &d);
	mem_requests = 0;
	check(view_lookup(&v, "web", 0, &c, &e) == 0);
	check(c && !strcmp(c->id, ID64) && c->running && !c->paused &&
	      c->nnets == 1 && c->nports == 3 &&
	      !strcmp(c->network_mode, "bridge"));
	check(view_container(&v, "/web", 0, &e) == c);
	check(view_container(&v, ID64, 0, &e) == c);
	c = view_container(&v, "db", 0, &e);
	check(c && !strcmp(c->id, ID_DB) && c->running && c->paused &&
	      c->nnets == 2);
	/* a prefix of both web's and db's IDs; of old's only */
	check(view_lookup(&v, "4f1c", 0, &c, &e) == DOCKER_AMBIGUOUS);
	check(e.code == EXIT_USAGE && strstr(e.msg, "ambiguous") != NULL);
	c = view_container(&v, "7", 0, &e);
	check(c && !strcmp(c->name, "old") && !c->running && !c->nnets);
	c = view_container(&v, "4f1c3", 0, &e);
	check(c && !strcmp(c->name, "web"));
	check(mem_requests == 1);
	/* the alias "/web/db" is no name of db */
	check(view_container(&v, "web/db", 0, &e) == NULL);
	check(e.code == EXIT_USAGE);
	check(mem_requests == 1);
	view_free(&v);
	docker_close(&d);
	buf_free(&ans);
}

/* A list that failed is asked once a run (#18: replay's stamp asks it
 * first, and the full run gets the same error, not a second timeout),
 * and again after view_forget. */
static void test_view_list_failed(void)
{
	struct buf ans = { 0 };
	struct docker d;
	struct view v;
	struct err e = { 0 }, e2 = { 0 };

	check(mem_daemon(&d, &ans, "{}") == 0); /* not a list */
	view_init(&v, &d);
	mem_requests = 0;
	check(view_list(&v, &e) == -1 && *e.msg && mem_requests == 1);
	check(view_container(&v, "web", 0, &e2) == NULL);
	check(!strcmp(e.msg, e2.msg) && e.code == e2.code);
	check(mem_requests == 1);
	view_forget(&v);
	mem_pos = 0;
	check(view_list(&v, &e2) == -1 && mem_requests == 2);
	view_free(&v);
	docker_close(&d);
	buf_free(&ans);
}

/* An exec ID goes into the next request lines: a bad one stops there
 * (the in-memory daemon would answer a next request with the same
 * create answer, and the error would differ). */
static void test_exec_id_checked(void)
{
	static const char *const bad[] = {
		"{\"Id\":\"../../containers/x/kill?\"}",
		"{\"Id\":\"" ID64 " HTTP/1.1\\r\\nX: y\"}",
		"{\"Id\":\"4F1C3B2A9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B6C"
		"5D4E3F2A\"}",
	};
	static const char *const argv[] = { "cat", "/etc/hosts", NULL };
	struct buf ans = { 0 };
	struct docker d;
	struct err e = { 0 };
	int code;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check(mem_daemon(&d, &ans, bad[i]) == 0);
		check(docker_exec(&d, ID64, argv, NULL, NULL, 0, &code, &e) ==
		      -1);
		check(e.code == EXIT_RUNTIME);
		check_has(e.msg, "mem://: exec create: Id \"");
		check_has(e.msg, "\": not 64 lowercase hex digits");
		docker_close(&d);
	}
	buf_free(&ans);
}

static void test_api_parse(void)
{
	static const char *const bad[] = {
		"",
		"1",
		"1.",
		"1.041",
		"1.4x",
		"1.-1",
		"1.+41",
		"-1.41",
		"2.41",
		"1.1000",
		"1.99999999999999999999",
		" 1.41",
		"1.41 ",
		"1..41",
		"01.41",
		"1.4\x01",
		"1.9999999999...",
	};
	size_t i;

	check(docker_api_parse("1.41") == 41);
	check(docker_api_parse("1.0") == 0);
	check(docker_api_parse("1.999") == 999);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check(docker_api_parse(bad[i]) == -1);
}

/* #12.7: a name too long for a request names the input; the path too. */
static void test_long_input(void)
{
	struct docker d;
	struct docker_container c;
	struct err e = { 0 };
	char name[5001];

	memset(name, 'a', 5000);
	name[5000] = 0;
	check(init_at(&d, "unix:///nonexistent/docker.sock", &e) == 0);
	check(docker_inspect(&d, name, &c, &e) == -1);
	check(e.code == EXIT_USAGE);
	check_str(e.msg,
		  "container name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaa...\" (5000 characters) is too long: docker-fw takes "
		  "names of up to 255");
	check(docker_inspect(&d, "a\nb", &c, &e) == -1);
	check(e.code == EXIT_USAGE);
	check_str(e.msg, "no such container \"a\\nb\"");
	d.api = 41;
	check(docker_call(&d, "GET", name, NULL, 0, &e) == -1);
	check(e.code == EXIT_USAGE);
	check_has(e.msg, "GET \"aaaaaaaaaa");
	check_has(e.msg, "...\": the request path is too long (5000 bytes; "
			 "at most 4088)");
	docker_close(&d);
}

static void test_str_escape(void)
{
	char out[64], small[12];

	check_str(STR_ESC(out, "web"), "web");
	check_str(STR_ESC(out, "a\nb\tc\r\x1b[2J\x7f"),
		  "a\\nb\\tc\\r\\x1b[2J\\x7f");
	check_str(STR_ESC(out, "q\"b\\s"), "q\\\"b\\\\s");
	check_str(STR_ESC(out, "caf\xc3\xa9"), "caf\\xc3\\xa9");
	/* a whole message: its quotes and backslashes stay */
	check_str(str_escape_n(out, sizeof(out), "q\"b\\s\n", 6, 0),
		  "q\"b\\s\\n");
	check_str(str_escape_n(out, sizeof(out), "a\0b", 3, 1), "a\\x00b");
	check_str(str_escape_n(out, sizeof(out), "a\0b", 3, 0), "a\\x00b");
	/* cut at a whole escape, with "..." */
	check_str(STR_ESC(small, "abcdefghijklmnop"), "abcdefgh...");
	check_str(STR_ESC(small, "abcdefghijk"), "abcdefghijk");
	check_str(STR_ESC(small, "abcdef\n\n\n"), "abcdef\\n...");
	check_str(STR_ESC(small, "\x01\x02\x03"), "\\x01\\x02...");
	check_str(str_escape_n(small, sizeof(small), "abcdef\n\n\n", 9, 0),
		  "abcdef\\n...");
	check_str(str_escape_n(small, 4, "abcdef", 6, 1), "...");
	check_str(str_escape_n(small, 4, "abc", 3, 1), "abc");
}

/*
 * #19.10: the JSON path (answers parsed into structs) with every
 * allocation failing in turn, once and from there on: -1 with "out of
 * memory", nothing leaked; a call that met no failure gives everything.
 */
static void test_docker_nomem(void)
{
	struct buf ans = { 0 }, b = { 0 }, bind = { 0 };
	long n;
	int sticky, what, runs = 0, i;

	buf_adds(&bind, "[\"/srv/");
	for (i = 0; i < 5000; i++)
		buf_add(&bind, "x", 1);
	buf_adds(&bind, ":/a\",\"/b:/b\"]");
	for (what = 0; what < 3; what++)
		for (sticky = 0; sticky < 2; sticky++)
			for (n = 0; n < 100000; n++) {
				struct docker d;
				struct docker_container c;
				struct docker_network *nv = NULL;
				struct docker_summary *sv = NULL;
				struct err e = { 0 };
				unsigned long failed;
				size_t k = 0;
				int rc;

				check(mem_daemon(&d, &ans,
						 what == 0 ?
							 with(&b, inspect_ok,
							      "[\"/srv/a:/a\"]",
							      bind.data) :
						 what == 1 ? networks_ok :
							     list_ok) == 0);
				if (sticky)
					failalloc_all(n);
				else
					failalloc_after(n);
				rc = what == 0 ?
					     docker_inspect(&d, "web", &c, &e) :
				     what == 1 ?
					     docker_networks(&d, &nv, &k, &e) :
					     docker_list(&d, &sv, &k, &e);
				failed = failalloc_off();
				runs++;
				if (!failed) {
					check(rc == 0);
					if (what == 0) {
						check(c.binds.n == 2);
						docker_container_free(&c);
					}
					check(what == 0 ||
					      k == (what == 1 ? 2u : 3u));
					free(nv);
					docker_list_free(sv, k);
					docker_close(&d);
					break;
				}
				check(rc == -1 && e.code == EXIT_RUNTIME);
				check(strstr(e.msg, "out of memory") != NULL);
				if (!strstr(e.msg, "out of memory"))
					fprintf(stderr, "  %d/%ld: %s\n", what,
						n, e.msg);
				check(!nv && !sv);
				docker_close(&d);
			}
	check(runs > 30);
	buf_free(&ans);
	buf_free(&b);
	buf_free(&bind);
}

UNIT_TESTS(
	T(test_keepalive_reuse) T(test_reconnect_idle_close) T(test_reconnect_no_answer) T(
		test_reconnect_twice) T(test_connection_close) T(test_status_500_text)
		T(test_status_404) T(test_post_no_body) T(test_truncated_chunk) T(
			test_short_content_length) T(test_stall_mid_body) T(test_close_mid_header)
			T(test_bad_chunk_size) T(test_header_no_colon) T(test_huge_header) T(
				test_head_over_limit) T(test_body_over_cap) T(test_api_version)
				T(test_inspect_1mib) T(test_chunked_ext_trailers) T(
					test_exec) T(test_exec_max) T(test_events) T(test_events_since)
					T(test_init_errors) T(test_inspect_checked) T(
						test_inspect_long_strings) T(test_networks_checked)
						T(test_status_per_call) T(test_ipv6_fields) T(
							test_info_firewall) T(test_list_checked)
							T(test_list_summary) T(
								test_view_list) T(test_view_list_failed)
								T(test_exec_id_checked) T(
									test_api_parse)
									T(test_long_input) T(
										test_str_escape)
										T(test_docker_nomem))
