/*
 * test_transport.c - DOCKER_HOST parsing, and connecting to unix sockets
 * and TCP ports: the errors name the endpoint and say why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dfw/transport.h"
#include "dfw/util.h"
#include "unit.h"

#define check_has(s, sub) \
	do { \
		if (!strstr((s), (sub))) { \
			fprintf(stderr, "%s:%d: \"%s\" lacks \"%s\"\n", \
				__FILE__, __LINE__, (s), (sub)); \
			unit_failed_checks++; \
		} \
	} while (0)

/* --- endpoint_parse ------------------------------------------------------ */

static void test_endpoint_default(void)
{
	struct endpoint ep;
	struct err e = { 0 };

	check(endpoint_parse(NULL, &ep, &e) == 0);
	check(ep.kind == ENDPOINT_UNIX);
	check_str(ep.path, "/var/run/docker.sock");
	check_str(ep.url, TRANSPORT_DEFAULT_HOST);
	check(endpoint_parse("", &ep, &e) == 0);
	check(ep.kind == ENDPOINT_UNIX);
	check_str(ep.path, "/var/run/docker.sock");
}

static void test_endpoint_unix(void)
{
	struct endpoint ep;
	struct err e = { 0 };
	char url[200], path[120];

	check(endpoint_parse("unix:///run/user/1000/docker.sock", &ep, &e) ==
	      0);
	check(ep.kind == ENDPOINT_UNIX);
	check_str(ep.path, "/run/user/1000/docker.sock");
	check_str(ep.url, "unix:///run/user/1000/docker.sock");
	/* the longest path sun_path holds, and one byte more */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[107] = 0;
	snprintf(url, sizeof(url), "unix://%s", path);
	check(endpoint_parse(url, &ep, &e) == 0);
	check(strlen(ep.path) == 107);
	path[107] = 'a';
	path[108] = 0;
	snprintf(url, sizeof(url), "unix://%s", path);
	check(endpoint_parse(url, &ep, &e) == -1);
	check(e.code == EXIT_USAGE);
	check_has(e.msg, url);
	check_has(e.msg, "too long");
	check(endpoint_parse("unix://", &ep, &e) == -1);
	check(e.code == EXIT_USAGE);
	check_has(e.msg, "\"unix://\"");
}

static void test_endpoint_tcp(void)
{
	struct endpoint ep;
	struct err e = { 0 };

	check(endpoint_parse("tcp://127.0.0.1:2375", &ep, &e) == 0);
	check(ep.kind == ENDPOINT_TCP);
	check_str(ep.host, "127.0.0.1");
	check_str(ep.port, "2375");
	check_str(ep.url, "tcp://127.0.0.1:2375");
	check(endpoint_parse("tcp://[::1]:2376", &ep, &e) == 0);
	check(ep.kind == ENDPOINT_TCP);
	check_str(ep.host, "::1");
	check_str(ep.port, "2376");
	check(endpoint_parse("tcp://[fe80::1%eth0]:2376", &ep, &e) == 0);
	check_str(ep.host, "fe80::1%eth0");
	check(endpoint_parse("tcp://host:2375/", &ep, &e) == 0);
	check_str(ep.host, "host");
	check_str(ep.port, "2375");
	check(endpoint_parse("tcp://docker.example.com:65535", &ep, &e) == 0);
	check_str(ep.host, "docker.example.com");
	check_str(ep.port, "65535");
	check(endpoint_parse("tcp://h:1", &ep, &e) == 0);
	check_str(ep.port, "1");
	check(!ep.port_default);
	/* no port: the default, as the docker CLI */
	check(endpoint_parse("tcp://host", &ep, &e) == 0);
	check_str(ep.host, "host");
	check_str(ep.port, "2375");
	check(ep.port_default);
	check(endpoint_parse("tcp://host:", &ep, &e) == 0);
	check_str(ep.port, "2375");
	check(endpoint_parse("tcp://host:/", &ep, &e) == 0);
	check_str(ep.host, "host");
	check(endpoint_parse("tcp://[::1]", &ep, &e) == 0);
	check_str(ep.host, "::1");
	check_str(ep.port, "2375");
	check(endpoint_parse("tcp://[::1]:", &ep, &e) == 0);
	check(ep.port_default);
}

static void check_bad(const char *url, const char *why)
{
	struct endpoint ep;
	struct err e = { 0 };
	char quoted[450];

	if (endpoint_parse(url, &ep, &e) != -1) {
		fprintf(stderr, "accepted \"%s\"\n", url);
		unit_failed_checks++;
		return;
	}
	check(e.code == EXIT_USAGE);
	snprintf(quoted, sizeof(quoted), "\"%s\"", url);
	check_has(e.msg, quoted);
	check_has(e.msg, why);
}

static void test_endpoint_bad(void)
{
	char url[500];

	check_bad("http://x", "unknown scheme");
	check_bad("https://x:2376", "unknown scheme");
	check_bad("ssh://user@host", "unknown scheme");
	check_bad("fd://", "unknown scheme");
	check_bad("npipe:////./pipe/docker_engine", "unknown scheme");
	check_bad("/var/run/docker.sock", "unknown scheme");
	check_bad("UNIX:///x", "unknown scheme");
	check_bad("tcp://h:0", "bad port");
	check_bad("tcp://h:65536", "bad port");
	check_bad("tcp://h:8o", "bad port");
	check_bad("tcp://h:-1", "bad port");
	check_bad("tcp://h:02375", "bad port");
	check_bad("tcp://h:99999999999", "bad port");
	check_bad("tcp://h:2375:1", "bad port");
	check_bad("tcp://:2375", "bad host");
	check_bad("tcp://", "bad host");
	check_bad("tcp://:", "bad host");
	check_bad("tcp://[]:2375", "bad host");
	check_bad("tcp://[::1:2375", "unclosed [");
	check_bad("tcp://h:2375/v1.41", "path");
	check_bad("tcp://h:2375?x", "path");
	/* too long for messages: said without the value */
	memset(url, 'a', sizeof(url));
	memcpy(url, "tcp://", 6);
	url[sizeof(url) - 1] = 0;
	{
		struct endpoint ep;
		struct err e = { 0 };

		check(endpoint_parse(url, &ep, &e) == -1);
		check(e.code == EXIT_USAGE && *e.msg);
	}
}

/* --- transport_connect --------------------------------------------------- */

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
	static char p[128];

	if (!*tmpdir) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/dfw-transport-XXXXXX");
		if (!mkdtemp(tmpdir))
			return NULL;
		chmod(tmpdir, 0755); /* searchable by nobody */
	}
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 8)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A TCP socket listening on 127.0.0.1 (port 0: any); its port in *port. */
static int listen_tcp(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 8) || getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static int connect_url(struct transport *t, const char *url, struct err *e)
{
	struct endpoint ep;

	memset(t, 0, sizeof(*t));
	if (endpoint_parse(url, &ep, e))
		return -2;
	return transport_connect(t, &ep, 2000, e);
}

static void test_connect_missing(void)
{
	struct transport t;
	struct err e = { 0 };
	char url[200];

	snprintf(url, sizeof(url), "unix://%s", tmp_path("nothing.sock"));
	check(connect_url(&t, url, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, url);
	check_has(e.msg, "No such file");
	check(t.fd < 0);
	check(connect_url(&t, "unix:///nonexistent-dir/docker.sock", &e) == -1);
	check_has(e.msg, "unix:///nonexistent-dir/docker.sock");
	check_has(e.msg, "No such file");
}

static void test_connect_not_socket(void)
{
	struct transport t;
	struct err e = { 0 };
	const char *p = tmp_path("file");
	char url[200];
	FILE *f = fopen(p, "w");

	check(f != NULL);
	if (f)
		fclose(f);
	snprintf(url, sizeof(url), "unix://%s", p);
	check(connect_url(&t, url, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, url);
	check_has(e.msg, "not a socket");
	unlink(p);
	check(connect_url(&t, "unix:///tmp", &e) == -1);
	check_has(e.msg, "not a socket");
}

/* A socket file with nobody listening: refused. */
static void test_connect_stale_socket(void)
{
	struct transport t;
	struct err e = { 0 };
	const char *p = tmp_path("stale.sock");
	char url[200];
	int fd = listen_unix(p);

	check(fd >= 0);
	if (fd >= 0)
		close(fd);
	snprintf(url, sizeof(url), "unix://%s", p);
	check(connect_url(&t, url, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, url);
	check_has(e.msg, "refused");
	unlink(p);
}

static void test_connect_refused_tcp(void)
{
	struct transport t;
	struct err e = { 0 };
	char url[64];
	int port = 0, fd = listen_tcp(&port);

	/* a port that was free a moment ago, now closed */
	check(fd >= 0);
	if (fd >= 0)
		close(fd);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	check(connect_url(&t, url, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_has(e.msg, url);
	check_has(e.msg, "refused");
	check(t.fd < 0);
}

/* As nobody: connecting to url fails with EACCES, without the hint for a
 * missing socket. 0 when so. */
static int denied(const char *url)
{
	struct transport t;
	struct err e = { 0 };

	if (connect_url(&t, url, &e) != -1 || e.code != EXIT_RUNTIME ||
	    !strstr(e.msg, url) || !strstr(e.msg, "Permission denied") ||
	    strstr(e.msg, "dockerd running")) {
		fprintf(stderr, "as nobody: %s\n", e.msg);
		return 1;
	}
	return 0;
}

static void test_connect_permission(void)
{
	char p[128], url[200], url2[200], dir[128];
	int fd, fd2, st = -1;
	pid_t pid;

	snprintf(p, sizeof(p), "%s", tmp_path("root-only.sock"));
	fd = listen_unix(p);
	check(fd >= 0 && chmod(p, 0) == 0);
	snprintf(url, sizeof(url), "unix://%s", p);
	/* a socket in a directory nobody may search */
	snprintf(dir, sizeof(dir), "%s", tmp_path("private"));
	check(mkdir(dir, 0700) == 0);
	snprintf(url2, sizeof(url2), "unix://%s/docker.sock", dir);
	fd2 = listen_unix(url2 + 7);
	check(fd2 >= 0);
	if (getuid() != 0) {
		/* the file mode alone stops us */
		struct transport t;
		struct err e = { 0 };

		check(connect_url(&t, url, &e) == -1);
		check_has(e.msg, "Permission denied");
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(2);
		_exit(denied(url) | denied(url2));
	}
	check(pid > 0);
	if (pid > 0)
		check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0);
out:
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	unlink(p);
	unlink(url2 + 7);
	rmdir(dir);
}

/* A connection that works: bytes both ways, the read timeout, EPIPE. */
static void test_connect_unix_io(void)
{
	struct transport t;
	struct err e = { 0 };
	const char *p = tmp_path("ok.sock");
	char url[200], b[16];
	int lfd = listen_unix(p), cfd;

	snprintf(url, sizeof(url), "unix://%s", p);
	check(lfd >= 0);
	check(connect_url(&t, url, &e) == 0);
	check(t.fd >= 0 && t.tls == NULL);
	check_str(t.name, url);
	check(t.io_timeout_ms == TRANSPORT_IO_TIMEOUT_MS);
	cfd = accept(lfd, NULL, NULL);
	check(cfd >= 0);
	check(transport_write_all(&t, "ping", 4) == 0);
	check(read(cfd, b, sizeof(b)) == 4 && !memcmp(b, "ping", 4));
	check(write(cfd, "pong", 4) == 4);
	check(t.read(&t, b, sizeof(b)) == 4 && !memcmp(b, "pong", 4));
	t.io_timeout_ms = 100;
	errno = 0;
	check(t.read(&t, b, sizeof(b)) == -1 && errno == ETIMEDOUT);
	close(cfd);
	check(t.read(&t, b, sizeof(b)) == 0);
	/* a closed peer is EPIPE, not SIGPIPE */
	errno = 0;
	check(transport_write_all(&t, "x", 1) == -1 && errno == EPIPE);
	t.close(&t);
	check(t.fd == -1);
	t.close(&t);
	close(lfd);
	unlink(p);
}

static void test_connect_tcp_io(void)
{
	struct transport t;
	struct err e = { 0 };
	char url[64], b[8];
	int port = 0, lfd = listen_tcp(&port), cfd;

	check(lfd >= 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d/", port);
	check(connect_url(&t, url, &e) == 0);
	cfd = accept(lfd, NULL, NULL);
	check(cfd >= 0);
	check(transport_write_all(&t, "GET", 3) == 0);
	check(read(cfd, b, sizeof(b)) == 3 && !memcmp(b, "GET", 3));
	t.close(&t);
	check(read(cfd, b, sizeof(b)) == 0);
	close(cfd);
	close(lfd);
	snprintf(url, sizeof(url), "tcp://localhost:%d", port);
	check(connect_url(&t, url, &e) == -1);
	check_has(e.msg, url);
}

/* The deadline of a request: no wait lasts past it, and once it has
 * passed no read or write is tried, even with bytes waiting (a daemon
 * that trickles them never gets the next request). */
static void test_deadline(void)
{
	struct transport t;
	struct err e = { 0 };
	const char *p = tmp_path("slow.sock");
	char url[200], b[16];
	int lfd = listen_unix(p), cfd;

	snprintf(url, sizeof(url), "unix://%s", p);
	check(lfd >= 0);
	check(connect_url(&t, url, &e) == 0);
	cfd = accept(lfd, NULL, NULL);
	check(cfd >= 0);
	t.io_timeout_ms = 60000;
	transport_deadline(&t, 200);
	check(t.deadline > 0 && t.deadline_len == 200);
	check(write(cfd, "a", 1) == 1);
	check(t.read(&t, b, sizeof(b)) == 1);
	/* nothing comes: the wait ends at the deadline, not after 60 s */
	errno = 0;
	check(t.read(&t, b, sizeof(b)) == -1 && errno == ETIME);
	/* bytes wait, but the deadline has passed */
	check(write(cfd, "b", 1) == 1);
	errno = 0;
	check(t.read(&t, b, sizeof(b)) == -1 && errno == ETIME);
	errno = 0;
	check(t.write(&t, "x", 1) == -1 && errno == ETIME);
	/* none: as before */
	transport_deadline(&t, 0);
	check(t.deadline == 0);
	check(t.read(&t, b, sizeof(b)) == 1 && b[0] == 'b');
	t.io_timeout_ms = 50;
	errno = 0;
	check(t.read(&t, b, sizeof(b)) == -1 && errno == ETIMEDOUT);
	t.close(&t);
	close(cfd);
	close(lfd);
	unlink(p);
}

/* DOCKER_HOST with a control character: refused, shown escaped (it
 * would go into messages and the Host field). */
static void test_endpoint_controls(void)
{
	struct endpoint ep;
	struct err e = { 0 };

	check(endpoint_parse("tcp://x\r\nEvil: 1:2375", &ep, &e) == -1);
	check(e.code == EXIT_USAGE);
	check_str(e.msg, "DOCKER_HOST \"tcp://x\\r\\nEvil: 1:2375\": a "
			 "control character in it");
	check(endpoint_parse("unix:///run/d\x1b[2J.sock", &ep, &e) == -1);
	check_str(e.msg, "DOCKER_HOST \"unix:///run/d\\x1b[2J.sock\": a "
			 "control character in it");
	check(endpoint_parse("unix:///run/d\x7f", &ep, &e) == -1);
}

static void test_cleanup(void)
{
	check(!*tmpdir || rmdir(tmpdir) == 0);
}

UNIT_TESTS(T(test_endpoint_default) T(test_endpoint_unix) T(
	test_endpoint_tcp) T(test_endpoint_bad) T(test_connect_missing)
		   T(test_connect_not_socket) T(test_connect_stale_socket) T(
			   test_connect_refused_tcp) T(test_connect_permission)
			   T(test_connect_unix_io) T(test_connect_tcp_io)
				   T(test_deadline) T(test_endpoint_controls)
					   T(test_cleanup))
