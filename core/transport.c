/* transport.c - unix socket and TCP streams to the Docker daemon. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dfw/transport.h"
#include "dfw/util.h"

static int copy_str(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		return -1;
	memcpy(dst, src, n);
	dst[n] = 0;
	return 0;
}

static int parse_tcp(const char *rest, struct endpoint *ep, struct err *e)
{
	const char *colon, *end = rest + strcspn(rest, "/?#");
	const char *hb = rest, *he;
	uint64_t port;

	if (*end && strcmp(end, "/"))
		return err_set(e, EXIT_USAGE,
			       "DOCKER_HOST \"%s\": a path "
			       "after host:port is not supported",
			       ep->url);
	if (*rest == '[') {
		he = memchr(rest, ']', (size_t)(end - rest));
		if (!he)
			return err_set(e, EXIT_USAGE,
				       "DOCKER_HOST \"%s\": "
				       "unclosed [",
				       ep->url);
		hb = rest + 1;
		colon = he + 1 < end && he[1] == ':' ? he + 1 : NULL;
	} else {
		colon = memchr(rest, ':', (size_t)(end - rest));
		he = colon ? colon : end;
	}
	if (he == hb ||
	    copy_str(ep->host, sizeof(ep->host), hb, (size_t)(he - hb)))
		return err_set(e, EXIT_USAGE, "DOCKER_HOST \"%s\": bad host",
			       ep->url);
	if (!colon || colon + 1 >= end) {
		/* no port: 2375, or 2376 with TLS (the docker CLI's) */
		_Static_assert(sizeof(TRANSPORT_DEFAULT_PORT) <=
				       sizeof(ep->port),
			       "port room");
		memcpy(ep->port, TRANSPORT_DEFAULT_PORT,
		       sizeof(TRANSPORT_DEFAULT_PORT));
		ep->port_default = 1;
		ep->kind = ENDPOINT_TCP;
		return 0;
	}
	if (copy_str(ep->port, sizeof(ep->port), colon + 1,
		     (size_t)(end - colon - 1)) ||
	    parse_uint(ep->port, 1, 65535, &port))
		return err_set(e, EXIT_USAGE,
			       "DOCKER_HOST \"%s\": bad port "
			       "\"%.*s\"",
			       ep->url, (int)(end - colon - 1), colon + 1);
	ep->kind = ENDPOINT_TCP;
	return 0;
}

int endpoint_parse(const char *url, struct endpoint *ep, struct err *e)
{
	size_t i;

	memset(ep, 0, sizeof(*ep));
	if (!url || !*url)
		url = TRANSPORT_DEFAULT_HOST;
	if (copy_str(ep->url, sizeof(ep->url), url, strlen(url)))
		return err_set(e, EXIT_USAGE, "DOCKER_HOST is too long");
	/* it is shown in messages and goes into the Host field */
	for (i = 0; url[i]; i++)
		if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f) {
			char q[160];

			ep->url[0] = 0;
			return err_set(e, EXIT_USAGE,
				       "DOCKER_HOST \"%s\": a "
				       "control character in it",
				       STR_ESC(q, url));
		}
	if (!strncmp(url, "unix://", 7)) {
		if (!url[7])
			return err_set(e, EXIT_USAGE,
				       "DOCKER_HOST \"%s\": "
				       "no socket path",
				       url);
		if (copy_str(ep->path, sizeof(ep->path), url + 7,
			     strlen(url + 7)))
			return err_set(e, EXIT_USAGE,
				       "DOCKER_HOST \"%s\": "
				       "socket path too long",
				       url);
		ep->kind = ENDPOINT_UNIX;
		return 0;
	}
	if (!strncmp(url, "tcp://", 6))
		return parse_tcp(url + 6, ep, e);
	return err_set(e, EXIT_USAGE,
		       "DOCKER_HOST \"%s\": unknown scheme "
		       "(use unix:///PATH or tcp://HOST:PORT)",
		       url);
}

/* Waits for fd to be ready for events; 0, or -1 with ETIMEDOUT. */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void transport_deadline(struct transport *t, long long ms)
{
	t->deadline = ms > 0 ? now_ms() + ms : 0;
	t->deadline_len = ms > 0 ? ms : 0;
}

/*
 * The wait for t's next read or write: its io timeout, cut to what is
 * left before the deadline. 0, or -1 with errno ETIME when the deadline
 * has passed.
 */
static int wait_ms(const struct transport *t, int *ms, int *cut)
{
	long long left;

	*ms = t->io_timeout_ms;
	*cut = 0;
	if (!t->deadline)
		return 0;
	left = t->deadline - now_ms();
	if (left <= 0) {
		errno = ETIME;
		return -1;
	}
	if (*ms <= 0 || left < *ms) {
		*ms = (int)left;
		*cut = 1;
	}
	return 0;
}

/* One wait for fd in t: ETIMEDOUT for the io timeout, ETIME for the
 * deadline. */
static int wait_t(const struct transport *t, short events)
{
	int ms, cut;

	if (wait_ms(t, &ms, &cut))
		return -1;
	if (!wait_fd(t->fd, events, ms))
		return 0;
	if (errno == ETIMEDOUT && cut)
		errno = ETIME;
	return -1;
}

static ssize_t sock_read(struct transport *t, void *p, size_t n)
{
	ssize_t r;
	int ms, cut;

	if (wait_ms(t, &ms, &cut))
		return -1;
	for (;;) {
		r = recv(t->fd, p, n, 0);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		if (wait_t(t, POLLIN))
			return -1;
	}
}

static ssize_t sock_write(struct transport *t, const void *p, size_t n)
{
	ssize_t r;
	int ms, cut;

	if (wait_ms(t, &ms, &cut))
		return -1;
	for (;;) {
		r = send(t->fd, p, n, MSG_NOSIGNAL);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		if (wait_t(t, POLLOUT))
			return -1;
	}
}

static void sock_close(struct transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int transport_write_all(struct transport *t, const void *p, size_t n)
{
	const char *c = p;
	ssize_t r;

	while (n) {
		r = t->write(t, c, n);
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Non-blocking connect, bounded by timeout_ms; leaves fd non-blocking. */
static int connect_fd(int fd, const struct sockaddr *sa, socklen_t len,
		      int timeout_ms)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (!connect(fd, sa, len))
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -1;
	if (wait_fd(fd, POLLOUT, timeout_ms))
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
		return -1;
	if (soerr) {
		errno = soerr;
		return -1;
	}
	return 0;
}

static int connect_unix(struct transport *t, const struct endpoint *ep,
			int timeout_ms, struct err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (stat(ep->path, &st))
		return err_set(e, EXIT_RUNTIME,
			       "cannot connect to the Docker "
			       "daemon at %s: %s%s",
			       ep->url, strerror(errno),
			       errno == ENOENT ? " (is dockerd running?)" : "");
	if (!S_ISSOCK(st.st_mode))
		return err_set(e, EXIT_RUNTIME,
			       "cannot connect to the Docker "
			       "daemon at %s: %s is not a socket",
			       ep->url, ep->path);
	memcpy(sa.sun_path, ep->path, strlen(ep->path) + 1);
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->fd < 0 ||
	    connect_fd(t->fd, (struct sockaddr *)&sa, sizeof(sa), timeout_ms)) {
		int saved = errno;

		sock_close(t);
		return err_set(e, EXIT_RUNTIME,
			       "cannot connect to the Docker "
			       "daemon at %s: %s",
			       ep->url, strerror(saved));
	}
	return 0;
}

static int connect_tcp(struct transport *t, const struct endpoint *ep,
		       int timeout_ms, struct err *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int r, saved = 0;

	r = getaddrinfo(ep->host, ep->port, &hints, &res);
	if (r)
		return err_set(e, EXIT_RUNTIME,
			       "cannot connect to the Docker "
			       "daemon at %s: %s",
			       ep->url, gai_strerror(r));
	for (ai = res; ai; ai = ai->ai_next) {
		t->fd = socket(ai->ai_family,
			       ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			       ai->ai_protocol);
		if (t->fd < 0) {
			saved = errno;
			continue;
		}
		if (!connect_fd(t->fd, ai->ai_addr, ai->ai_addrlen,
				timeout_ms)) {
			/* requests and TLS flights go out whole, at once: no
			 * Nagle wait for the peer's delayed ACK (40 ms) */
			int one = 1;

			setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			break;
		}
		saved = errno;
		sock_close(t);
	}
	freeaddrinfo(res);
	if (t->fd < 0)
		return err_set(e, EXIT_RUNTIME,
			       "cannot connect to the Docker "
			       "daemon at %s: %s",
			       ep->url,
			       saved == ETIMEDOUT ? "connection timed out" :
						    strerror(saved));
	return 0;
}

int transport_connect(struct transport *t, const struct endpoint *ep,
		      int connect_timeout_ms, struct err *e)
{
	int timeout = connect_timeout_ms > 0 ? connect_timeout_ms :
					       TRANSPORT_CONNECT_TIMEOUT_MS;

	t->fd = -1;
	t->read = sock_read;
	t->write = sock_write;
	t->close = sock_close;
	t->tls = NULL;
	t->deadline = t->deadline_len = 0;
	if (!t->io_timeout_ms)
		t->io_timeout_ms = TRANSPORT_IO_TIMEOUT_MS;
	snprintf(t->name, sizeof(t->name), "%s", ep->url);
	if (ep->kind == ENDPOINT_UNIX)
		return connect_unix(t, ep, timeout, e);
	return connect_tcp(t, ep, timeout, e);
}
