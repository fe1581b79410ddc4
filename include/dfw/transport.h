/*
 * transport.h - where the Docker daemon is and the byte stream to it.
 *
 * One {read, write, close} seam: the unix socket and plain TCP live here,
 * TLS (BearSSL) plugs in behind the same three callbacks, and the HTTP
 * client never knows which it has.
 */
#ifndef DFW_TRANSPORT_H
#define DFW_TRANSPORT_H

#include <stddef.h>
#include <sys/types.h>

struct err;

#define TRANSPORT_DEFAULT_HOST "unix:///var/run/docker.sock"
#define TRANSPORT_DEFAULT_PORT "2375"	  /* tcp:// without a port */
#define TRANSPORT_DEFAULT_TLS_PORT "2376" /* the same, with TLS */
#define TRANSPORT_CONNECT_TIMEOUT_MS 10000
#define TRANSPORT_IO_TIMEOUT_MS 60000

enum endpoint_kind { ENDPOINT_UNIX = 1, ENDPOINT_TCP };

/* A parsed DOCKER_HOST ("unix:///path" or "tcp://host:port"). */
struct endpoint {
	enum endpoint_kind kind;
	char path[108];	  /* unix: socket path (sun_path size) */
	char host[256];	  /* tcp: host name or address, no brackets */
	char port[8];	  /* tcp: decimal port */
	int port_default; /* tcp: none given, port is the default */
	char url[400];	  /* as given, for messages */
};

/*
 * Parses a DOCKER_HOST value as the docker CLI does for unix:// and tcp://.
 * NULL or "" means TRANSPORT_DEFAULT_HOST. "tcp://[::1]:2375" is accepted;
 * "tcp://HOST" (or "tcp://HOST:") means port 2375, with port_default set
 * (the caller uses 2376 for TLS, as the docker CLI does). Returns 0, or
 * -1 with e set (EXIT_USAGE): unknown scheme, bad host, bad port, path
 * too long, a control character anywhere (shown escaped).
 */
int endpoint_parse(const char *url, struct endpoint *ep, struct err *e);

struct transport {
	/* Each returns bytes moved (read: 0 at end of stream), or -1 with
	 * errno (ETIMEDOUT when io_timeout_ms passed without progress, ETIME
	 * past the deadline). */
	ssize_t (*read)(struct transport *t, void *p, size_t n);
	ssize_t (*write)(struct transport *t, const void *p, size_t n);
	void (*close)(struct transport *t);
	int fd;
	int io_timeout_ms; /* per read/write call; <= 0: wait forever */
	void *tls;	   /* TLS state, NULL for plain streams */
	char name[400];	   /* endpoint URL, for messages */
	/* CLOCK_MONOTONIC ms by which the current request must be done, 0
	 * none: a read or write after it fails with ETIME, and no wait
	 * lasts past it (transport_deadline) */
	long long deadline;
	long long deadline_len; /* ms it was set to, for messages */
};

/* Sets t->deadline to ms from now (ms <= 0: none). */
void transport_deadline(struct transport *t, long long ms);

/*
 * Connects t to ep within connect_timeout_ms (<= 0: the default). Socket
 * writes use MSG_NOSIGNAL: a closed peer is EPIPE, never SIGPIPE.
 * Returns 0, or -1 with e set (EXIT_RUNTIME), naming the endpoint: socket
 * missing, not a socket, permission denied, refused, timed out, unknown
 * host.
 */
int transport_connect(struct transport *t, const struct endpoint *ep,
		      int connect_timeout_ms, struct err *e);

/* Reads/writes all n bytes: 0, or -1 (errno; EPIPE for a short read). */
int transport_write_all(struct transport *t, const void *p, size_t n);

#endif
