/* docker.c - Docker Engine API calls over one keep-alive connection. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/docker.h"

int docker_init(struct docker *d, const struct dfw_config *c, struct err *e)
{
	memset(d, 0, sizeof(*d));
	d->t.fd = -1;
	d->io_timeout_ms = c->io_timeout_ms;
	d->connect_timeout_ms = c->connect_timeout_ms;
	if (endpoint_parse(c->host, &d->ep, e))
		return -1;
	if (d->ep.kind == ENDPOINT_TCP) {
		struct tls_conf o;

		if (tls_conf_get(&c->tls, &o, e) ||
		    (o.tls && tls_creds_load(&o, &d->tls, e)))
			return -1;
		if (o.tls && d->ep.port_default)
			snprintf(d->ep.port, sizeof(d->ep.port), "%s",
				 TRANSPORT_DEFAULT_TLS_PORT);
	}
	if (d->ep.kind == ENDPOINT_UNIX)
		snprintf(d->host_field, sizeof(d->host_field), "docker");
	else if (strchr(d->ep.host, ':'))
		snprintf(d->host_field, sizeof(d->host_field), "[%s]:%s",
			 d->ep.host, d->ep.port);
	else
		snprintf(d->host_field, sizeof(d->host_field), "%s:%s",
			 d->ep.host, d->ep.port);
	return 0;
}

void docker_close(struct docker *d)
{
	if (d->t.fd >= 0)
		d->t.close(&d->t);
	http_free(&d->http);
	buf_free(&d->body);
	tls_creds_free(d->tls);
	d->tls = NULL;
	free(d->toks);
	d->toks = NULL;
	d->ntoks = 0;
}

static int connect_daemon(struct docker *d, struct err *e)
{
	d->t.io_timeout_ms = d->io_timeout_ms;
	if (transport_connect(&d->t, &d->ep, d->connect_timeout_ms, e))
		return -1;
	/* a handshake as slow as the server likes is bounded as a request */
	transport_deadline(&d->t,
			   d->t.io_timeout_ms > 0 ?
				   HTTP_DEADLINE_FACTOR * d->t.io_timeout_ms :
				   0);
	if (d->tls && tls_start(&d->tls_conn, &d->t, d->tls, d->ep.host, e))
		return -1;
	if (!d->http.rbuf && http_init(&d->http, &d->t, d->host_field))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	d->http.requests = 0;
	return 0;
}

/* One request on the open connection, reconnecting once when a kept-alive
 * connection turns out closed by the daemon. */
static int roundtrip(struct docker *d, const struct http_req *rq, struct err *e)
{
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (d->t.fd < 0 && connect_daemon(d, e))
			return -1;
		d->body.len = 0;
		if (d->body.data)
			d->body.data[0] = 0;
		if (!http_do(&d->http, rq, &d->body, e))
			return 0;
		if (e->code || errno != ECONNRESET)
			return -1;
	}
	return err_set(e, EXIT_RUNTIME,
		       "%s: the daemon closed the "
		       "connection twice",
		       d->ep.url);
}

static int parse_body(struct docker *d, struct err *e)
{
	size_t pos;
	int n;

	d->ntok = 0;
	if (strncmp(d->http.head.content_type, "application/json", 16) ||
	    !d->body.len)
		return 0;
	/* token memory is bounded before it is allocated */
	n = json_parse(d->body.data, d->body.len, NULL, JSON_MAX_TOKENS, 0,
		       &pos);
	if (n == JSON_ENOMEM)
		return err_set(e, EXIT_RUNTIME,
			       "%s: the response has more "
			       "than %u JSON tokens (the limit), at byte %zu "
			       "of %zu",
			       d->ep.url, JSON_MAX_TOKENS, pos, d->body.len);
	if (n > 0 && (unsigned)n > d->ntoks) {
		struct json_tok *t = realloc(d->toks, (size_t)n * sizeof(*t));

		if (!t)
			return err_set(e, EXIT_RUNTIME, "out of memory");
		d->toks = t;
		d->ntoks = (unsigned)n;
	}
	if (n > 0)
		n = json_parse(d->body.data, d->body.len, d->toks, d->ntoks, 0,
			       &pos);
	if (n < 0)
		return err_set(e, EXIT_RUNTIME,
			       "%s: bad JSON in the response "
			       "(%s at byte %zu)",
			       d->ep.url, json_strerror(n), pos);
	d->ntok = n;
	return 0;
}

int docker_ping(struct docker *d, struct err *e)
{
	struct http_req rq = { .method = "GET", .path = "/_ping" };
	const char *v;
	char q[64];
	int minor;

	if (roundtrip(d, &rq, e))
		return -1;
	if (d->http.head.status != 200)
		return err_set(e, EXIT_RUNTIME,
			       "%s: GET /_ping answered %d; "
			       "is this a Docker daemon?",
			       d->ep.url, d->http.head.status);
	v = d->http.head.api_version;
	if (!*v)
		return err_set(e, EXIT_RUNTIME,
			       "%s: no Api-Version in the "
			       "answer to GET /_ping; is this a Docker "
			       "daemon?",
			       d->ep.url);
	minor = docker_api_parse(v);
	if (minor < 0)
		return err_set(e, EXIT_RUNTIME,
			       "%s: the answer to GET /_ping "
			       "has Api-Version \"%s\", not 1.N (N up to "
			       "999)",
			       d->ep.url, STR_ESC(q, v));
	if (minor < DOCKER_API_MIN)
		return err_set(e, EXIT_RUNTIME,
			       "%s: the daemon speaks API "
			       "1.%d; docker-fw needs 1.%d or later",
			       d->ep.url, minor, DOCKER_API_MIN);
	d->api = minor < DOCKER_API_MAX ? minor : DOCKER_API_MAX;
	return 0;
}

/* The daemon's message of an error response, cleaned for a terminal. */
static void error_message(struct docker *d, char *out, size_t size)
{
	int m = -1;
	size_t i, n;

	if (d->ntok > 0)
		m = json_get(d->body.data, d->toks, 0, "message");
	char raw[1024];
	int r;

	if (m > 0 && d->toks[m].type == JSON_STRING &&
	    (r = json_string(d->body.data, &d->toks[m], raw, sizeof(raw))) >=
		    0) {
		n = (size_t)r;
	} else {
		n = d->body.len < sizeof(raw) ? d->body.len : sizeof(raw);
		memcpy(raw, d->body.data ? d->body.data : "", n);
	}
	/* one line (the daemon's own ends in one), control characters
	 * escaped: a daemon cannot write to the terminal through it */
	while (n &&
	       (raw[n - 1] == '\n' || raw[n - 1] == '\r' || raw[n - 1] == ' '))
		n--;
	for (i = 0; i < n && raw[i] == ' '; i++)
		;
	str_escape_n(out, size, raw + i, n - i, 0);
}

int docker_call(struct docker *d, const char *method, const char *path,
		const char *body, size_t body_len, struct err *e)
{
	struct http_req rq = { .method = method,
			       .body = body,
			       .body_len = body_len };
	char full[4096], msg[300];
	int st;

	d->status = 0; /* this call's, never an earlier one's */
	if (!d->api && docker_ping(d, e))
		return -1;
	if (snprintf(full, sizeof(full), "/v1.%d%s", d->api, path) >=
	    (int)sizeof(full)) {
		char q[80];

		return err_set(e, EXIT_USAGE,
			       "%s \"%s\": the request path is "
			       "too long (%zu bytes; at most %zu)",
			       method, str_escape(q, sizeof(q), path),
			       strlen(path), sizeof(full) - 8);
	}
	rq.path = full;
	if (roundtrip(d, &rq, e))
		return -1;
	st = d->status = d->http.head.status;
	if ((st >= 200 && st < 300) || st == 304)
		return parse_body(d, e) ? -1 : st;
	if (parse_body(d, e))
		d->ntok = 0; /* a broken error body: show its text */
	error_message(d, msg, sizeof(msg));
	return err_set(e, st == 404 ? EXIT_USAGE : EXIT_RUNTIME,
		       "Docker daemon: %s %s: %d: %s", method, path, st,
		       *msg ? msg : "(no message)");
}

int docker_path(struct buf *b, const char *fmt, ...)
{
	const char *p;
	va_list ap;
	int r = 0;

	va_start(ap, fmt);
	for (p = fmt; *p && !r; p++) {
		if (p[0] == '%' && p[1] == 's') {
			r = http_escape(b, va_arg(ap, const char *));
			p++;
		} else {
			r = buf_add(b, p, 1);
		}
	}
	va_end(ap);
	return r;
}

/* String member key of object obj into out; "" when absent or null.
 * -1 with errno EINVAL (not a string), ERANGE (size bytes or more) or
 * EILSEQ (a NUL byte, \u0000, in it), out "". */
static int get_str(struct docker *d, int obj, const char *key, char *out,
		   size_t size)
{
	int t = obj >= 0 ? json_get(d->body.data, d->toks, obj, key) : -1;
	int n;

	out[0] = 0;
	if (t < 0 || d->toks[t].type == JSON_NULL)
		return 0;
	errno = EINVAL;
	if (d->toks[t].type != JSON_STRING ||
	    (n = json_string(d->body.data, &d->toks[t], out, size)) < 0 ||
	    (strlen(out) != (size_t)n && (errno = EILSEQ))) {
		out[0] = 0;
		return -1;
	}
	return 0;
}

/* Why get_str or get_strv failed, in words (from errno). */
static const char *field_why(size_t size)
{
	static char why[64];

	if (errno == ERANGE)
		snprintf(why, sizeof(why), "longer than %zu bytes", size - 1);
	else if (errno == EILSEQ)
		snprintf(why, sizeof(why), "a NUL byte in it");
	else if (errno == ENOMEM)
		snprintf(why, sizeof(why), "out of memory");
	else
		snprintf(why, sizeof(why), "not a string");
	return why;
}

/*
 * The answer of the daemon about what (`inspect of "web"`) has a bad
 * field: -1 with e set (EXIT_RUNTIME: the daemon answers nonsense),
 * naming the endpoint, what, the field and why, with val escaped.
 */
static int bad_field(struct docker *d, const char *what, const char *field,
		     const char *val, const char *why, struct err *e)
{
	char q[200];

	if (!val)
		return err_set(e, EXIT_RUNTIME, "%s: %s: %s: %s", d->ep.url,
			       what, field, why);
	return err_set(e, EXIT_RUNTIME, "%s: %s: %s \"%s\": %s", d->ep.url,
		       what, field, STR_ESC(q, val), why);
}

/* get_str, and an error naming what and key when it fails. */
static int field(struct docker *d, int obj, const char *key, char *out,
		 size_t size, const char *what, struct err *e)
{
	if (!get_str(d, obj, key, out, size))
		return 0;
	return bad_field(d, what, key, NULL, field_why(size), e);
}

/* An address of family as inet_pton(3) reads it; an IPv6 one that is
 * IPv4-mapped (::ffff:a.b.c.d) is none: the kernel carries its traffic
 * as IPv4, and a rule of the IPv6 table with it would match nothing. */
static int ip_ok(const char *s, int family)
{
	unsigned char a[16];

	return inet_pton(family, s, a) == 1 &&
	       !(family == AF_INET6 &&
		 IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)a));
}

/* An address as Docker gives it ("" none): 0, or -1 with e set. */
static int addr_field(struct docker *d, int obj, const char *key, char *out,
		      size_t size, int family, const char *what, struct err *e)
{
	if (field(d, obj, key, out, size, what, e))
		return -1;
	if (*out && !ip_ok(out, family) &&
	    !(family == 0 && (ip_ok(out, AF_INET) || ip_ok(out, AF_INET6))))
		return bad_field(d, what, key, out,
				 family == AF_INET  ? "not an IPv4 address" :
				 family == AF_INET6 ? "not an IPv6 address" :
						      "not an IP address",
				 e);
	return 0;
}

/* The family of a subnet "ADDR/PREFIX" (AF_INET, AF_INET6), or 0 when
 * it is none. */
static int cidr_family(const char *s)
{
	char a[64];
	const char *slash = strchr(s, '/');
	uint64_t p;
	int v6;

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		return 0;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = 0;
	v6 = strchr(a, ':') != NULL;
	if (!ip_ok(a, v6 ? AF_INET6 : AF_INET) ||
	    parse_uint(slash + 1, 0, v6 ? 128 : 32, &p))
		return 0;
	return v6 ? AF_INET6 : AF_INET;
}

/* No control character (nor DEL) in s. */
static int no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int get_bool(struct docker *d, int obj, const char *key)
{
	int t = obj >= 0 ? json_get(d->body.data, d->toks, obj, key) : -1;

	return t >= 0 && json_bool(&d->toks[t]) == 1;
}

static int64_t get_int(struct docker *d, int obj, const char *key)
{
	int t = obj >= 0 ? json_get(d->body.data, d->toks, obj, key) : -1;
	int64_t v = 0;

	if (t >= 0 && d->toks[t].type == JSON_NUMBER)
		json_int(d->body.data, &d->toks[t], &v);
	return v;
}

/*
 * Appends every string of the array at toks[arr] (absent or null: none),
 * each as long as it is (a bind path may be longer than PATH_MAX). -1
 * with errno: EINVAL (not an array, or an element not a string), EILSEQ
 * (a NUL byte in one), ENOMEM.
 */
static int get_strv(struct docker *d, int arr, struct strv *out)
{
	const struct json_tok *t;
	char *tmp;
	int i, k, n;

	if (arr < 0 || d->toks[arr].type == JSON_NULL)
		return 0;
	if (d->toks[arr].type != JSON_ARRAY) {
		errno = EINVAL;
		return -1;
	}
	for (i = arr + 1, k = 0; k < (int)d->toks[arr].size;
	     k++, i = (int)d->toks[i].next) {
		t = &d->toks[i];
		if (t->type != JSON_STRING) {
			errno = EINVAL;
			return -1;
		}
		/* decoding never makes a string longer */
		tmp = malloc((size_t)(t->end - t->start) + 1);
		if (!tmp) {
			errno = ENOMEM;
			return -1;
		}
		n = json_string(d->body.data, t, tmp,
				(size_t)(t->end - t->start) + 1);
		if (n >= 0 && strlen(tmp) != (size_t)n) {
			free(tmp);
			errno = EILSEQ;
			return -1;
		}
		if (n < 0 || strv_add(out, tmp, (size_t)n)) {
			free(tmp);
			errno = ENOMEM;
			return -1;
		}
		free(tmp);
	}
	return 0;
}

static int path_tok(struct docker *d, int obj, const char *a, const char *b)
{
	if (obj < 0)
		return -1;
	return b ? json_path(d->body.data, d->toks, obj, a, b, (char *)NULL) :
		   json_get(d->body.data, d->toks, obj, a);
}

/* "80/tcp" -> port, proto. 0 or -1. */
static int parse_port_key(const char *k, struct docker_port *p)
{
	const char *slash = strchr(k, '/');
	char num[8];
	uint64_t v;
	size_t plen;

	if (!slash || (size_t)(slash - k) >= sizeof(num) ||
	    (plen = strlen(slash + 1)) >= sizeof(p->proto))
		return -1;
	memcpy(num, k, (size_t)(slash - k));
	num[slash - k] = 0;
	if (parse_uint(num, 1, 65535, &v))
		return -1;
	p->port = (uint16_t)v;
	memcpy(p->proto, slash + 1, plen + 1);
	/* Docker's protocols; the word goes into the store */
	return strcmp(p->proto, "tcp") && strcmp(p->proto, "udp") &&
			       strcmp(p->proto, "sctp") ?
		       -1 :
		       0;
}

static int add_port(struct docker_port **v, size_t *n,
		    const struct docker_port *p)
{
	struct docker_port *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	*v = nv;
	nv[(*n)++] = *p;
	return 0;
}

/* A port map {"80/tcp": [{"HostIp": "", "HostPort": "8080"}] | null}
 * named key in messages. 0, or -1 with e set. */
static int get_ports(struct docker *d, int map, struct docker_port **out,
		     size_t *n, const char *key, const char *what,
		     struct err *e)
{
	struct docker_port base;
	char name[32], hp[8];
	int k, m, i, j, arr, r;
	uint64_t port;

	if (map < 0 || d->toks[map].type == JSON_NULL)
		return 0;
	if (d->toks[map].type != JSON_OBJECT)
		return bad_field(d, what, key, NULL, "not an object", e);
	for (k = map + 1, m = 0; m < (int)d->toks[map].size;
	     m++, k = (int)d->toks[k + 1].next) {
		memset(&base, 0, sizeof(base));
		r = json_string(d->body.data, &d->toks[k], name, sizeof(name));
		if (r < 0 || strlen(name) != (size_t)r ||
		    parse_port_key(name, &base)) {
			char raw[64];

			r = json_string(d->body.data, &d->toks[k], raw,
					sizeof(raw));
			return bad_field(d, what, key, r < 0 ? "(long)" : raw,
					 "not a port as PORT/tcp, udp or sctp",
					 e);
		}
		arr = k + 1;
		if (d->toks[arr].type != JSON_ARRAY &&
		    d->toks[arr].type != JSON_NULL)
			return bad_field(d, what, key, name,
					 "its bindings "
					 "are not a list",
					 e);
		j = d->toks[arr].type == JSON_ARRAY ? (int)d->toks[arr].size :
						      0;
		/* null or []: exposed, not published */
		if (!j && add_port(out, n, &base))
			goto nomem;
		for (i = arr + 1; j > 0; j--) {
			struct docker_port p = base;

			if (d->toks[i].type != JSON_OBJECT)
				return bad_field(d, what, key, name,
						 "a binding "
						 "that is not an object",
						 e);
			if (addr_field(d, i, "HostIp", p.host_ip,
				       sizeof(p.host_ip), 0, what, e))
				return -1;
			if (field(d, i, "HostPort", hp, sizeof(hp), what, e))
				return -1;
			if (*hp && parse_uint(hp, 0, 65535, &port))
				return bad_field(d, what, "HostPort", hp,
						 "not a port number", e);
			if (*hp)
				p.host_port = (uint16_t)port;
			if (add_port(out, n, &p))
				goto nomem;
			if (j > 1)
				i = (int)d->toks[i].next;
		}
	}
	return 0;
nomem:
	return err_set(e, EXIT_RUNTIME, "out of memory");
}

/* NetworkSettings.Networks: names (any bytes but NUL: Docker takes them),
 * IDs and addresses checked. 0, or -1 with e set. */
static int get_nets(struct docker *d, int map, struct docker_cnet **nets,
		    size_t *nnets, const char *what, struct err *e)
{
	struct docker_cnet *v, *n;
	int k, m, obj;

	if (map < 0 || d->toks[map].type == JSON_NULL)
		return 0;
	if (d->toks[map].type != JSON_OBJECT)
		return bad_field(d, what, "NetworkSettings.Networks", NULL,
				 "not an object", e);
	for (k = map + 1, m = 0; m < (int)d->toks[map].size;
	     m++, k = (int)d->toks[k + 1].next) {
		int64_t prefix;
		int r;

		v = realloc(*nets, (*nnets + 1) * sizeof(*v));
		if (!v)
			return err_set(e, EXIT_RUNTIME, "out of memory");
		*nets = v;
		n = &v[(*nnets)++];
		memset(n, 0, sizeof(*n));
		obj = k + 1;
		r = json_string(d->body.data, &d->toks[k], n->name,
				sizeof(n->name));
		if (r < 0 || !*n->name || strlen(n->name) != (size_t)r)
			return bad_field(d, what, "a network name", NULL,
					 r < 0 ? "longer than 127 bytes" :
					 !r    ? "empty" :
						 "a NUL byte in it",
					 e);
		if (d->toks[obj].type != JSON_OBJECT)
			return bad_field(d, what, "network", n->name,
					 "not an object", e);
		if (field(d, obj, "NetworkID", n->network_id,
			  sizeof(n->network_id), what, e))
			return -1;
		if (*n->network_id && !docker_netid_ok(n->network_id))
			return bad_field(d, what, "NetworkID", n->network_id,
					 "not a network ID", e);
		if (addr_field(d, obj, "IPAddress", n->ip, sizeof(n->ip),
			       AF_INET, what, e) ||
		    addr_field(d, obj, "Gateway", n->gateway,
			       sizeof(n->gateway), AF_INET, what, e) ||
		    addr_field(d, obj, "GlobalIPv6Address", n->ip6,
			       sizeof(n->ip6), AF_INET6, what, e) ||
		    addr_field(d, obj, "IPv6Gateway", n->gateway6,
			       sizeof(n->gateway6), AF_INET6, what, e))
			return -1;
		prefix = get_int(d, obj, "IPPrefixLen");
		if (prefix < 0 || prefix > 32) {
			char num[24];

			snprintf(num, sizeof(num), "%lld", (long long)prefix);
			return bad_field(d, what, "IPPrefixLen", num,
					 "not from 0 to 32", e);
		}
		n->prefix = (int)prefix;
		prefix = get_int(d, obj, "GlobalIPv6PrefixLen");
		if (prefix < 0 || prefix > 128) {
			char num[24];

			snprintf(num, sizeof(num), "%lld", (long long)prefix);
			return bad_field(d, what, "GlobalIPv6PrefixLen", num,
					 "not from 0 to 128", e);
		}
		n->prefix6 = (int)prefix;
		/* the default gateway's endpoint is the one Docker's DNAT
		 * sends published ports to (view_port_net) */
		prefix = get_int(d, obj, "GwPriority");
		n->gw_priority = prefix > INT_MAX ? INT_MAX :
				 prefix < INT_MIN ? INT_MIN :
						    (int)prefix;
	}
	return 0;
}

static int summary_of(struct docker *d, int i, void *out, struct err *e);
static int each_element(struct docker *d, void *vec, size_t size, size_t *n,
			int (*fn)(struct docker *, int, void *, struct err *),
			void (*drop)(void *), struct err *e);
static void summary_drop(void *p);

/* How many containers have an ID starting with name (0 if not hex). The
 * daemon answers an ambiguous prefix with a 500 whose text varies. */
static int id_prefix_matches(struct docker *d, const char *name)
{
	struct docker_summary *v = NULL;
	struct err e2;
	size_t i, n = 0, len = strlen(name);
	int k = 0;

	if (len >= 64 || strspn(name, "0123456789abcdef") != len ||
	    docker_call(d, "GET", "/containers/json?all=1", NULL, 0, &e2) < 0 ||
	    each_element(d, &v, sizeof(*v), &n, summary_of, summary_drop, &e2))
		return 0;
	for (i = 0; i < n; i++)
		k += !strncmp(v[i].id, name, len);
	docker_list_free(v, n);
	return k;
}

static int inspect_mounts(struct docker *d, int hc, struct docker_container *c);

/* A container name as the daemon gives it ("/web"): -1 with e set when
 * it is not one docker-fw takes. */
static int name_check(struct docker *d, const char *what, const char *key,
		      const char *nm, struct err *e)
{
	char why[80];

	if (nm[0] == '/' && docker_name_ok(nm + 1))
		return 0;
	if (nm[0] == '/' && strlen(nm + 1) > DOCKER_NAME_MAX &&
	    strspn(nm + 1,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789_.-") == strlen(nm + 1)) {
		snprintf(why, sizeof(why),
			 "%zu characters, over the %d "
			 "docker-fw takes",
			 strlen(nm + 1), DOCKER_NAME_MAX);
		return bad_field(d, what, key, nm, why, e);
	}
	return bad_field(d, what, key, nm,
			 "not a Docker container name "
			 "(/[a-zA-Z0-9][a-zA-Z0-9_.-]*)",
			 e);
}

/*
 * The HostConfig object at token hc (may be -1: absent) into c: network
 * mode, restart policy, privileged, PortBindings and the lists. 0, or -1
 * with e set (c's lists may be half filled: the caller frees c).
 */
static int hostconfig_of(struct docker *d, int hc, struct docker_container *c,
			 const char *what, struct err *e)
{
	static const struct {
		const char *key;
		size_t off;
	} lists[] = {
		{ "Links", offsetof(struct docker_container, links) },
		{ "VolumesFrom",
		  offsetof(struct docker_container, volumes_from) },
		{ "ExtraHosts",
		  offsetof(struct docker_container, extra_hosts) },
		{ "Dns", offsetof(struct docker_container, dns) },
		{ "CapAdd", offsetof(struct docker_container, cap_add) },
		{ "CapDrop", offsetof(struct docker_container, cap_drop) },
		{ "Binds", offsetof(struct docker_container, binds) },
	};
	char f[40];
	size_t k;

	if (field(d, hc, "NetworkMode", c->network_mode,
		  sizeof(c->network_mode), what, e) ||
	    field(d, path_tok(d, hc, "RestartPolicy", NULL), "Name",
		  c->restart_policy, sizeof(c->restart_policy), what, e))
		return -1;
	if (!no_controls(c->restart_policy))
		return bad_field(d, what, "RestartPolicy.Name",
				 c->restart_policy, "not a restart policy", e);
	c->restart_max = (int)get_int(d, path_tok(d, hc, "RestartPolicy", NULL),
				      "MaximumRetryCount");
	c->privileged = get_bool(d, hc, "Privileged");
	if (get_ports(d, path_tok(d, hc, "PortBindings", NULL), &c->bindings,
		      &c->nbindings, "HostConfig.PortBindings", what, e))
		return -1;
	for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
		if (get_strv(d, path_tok(d, hc, lists[k].key, NULL),
			     (struct strv *)((char *)c + lists[k].off))) {
			snprintf(f, sizeof(f), "HostConfig.%s", lists[k].key);
			return bad_field(d, what, f, NULL,
					 errno == EINVAL ?
						 "not a list of strings" :
						 field_why(1),
					 e);
		}
	return 0;
}

int docker_inspect(struct docker *d, const char *name,
		   struct docker_container *c, struct err *e)
{
	struct buf p = { 0 };
	char what[DOCKER_NAME_MAX + 40], q[80], nm[1024];
	int r, hc, ns, st;
	size_t len;

	memset(c, 0, sizeof(*c));
	if (*name == '/')
		name++;
	len = strlen(name);
	/* names and IDs are [a-zA-Z0-9][a-zA-Z0-9_.-]*: anything else
	 * ("a/../b") is no container, and must not become another path */
	if (!*name || !isalnum((unsigned char)*name) ||
	    name[strspn(name,
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789_.-")])
		return err_set(e, EXIT_USAGE, "no such container \"%s\"",
			       STR_ESC(q, name));
	if (len > DOCKER_NAME_MAX)
		return err_set(e, EXIT_USAGE,
			       "container name \"%.40s...\" "
			       "(%zu characters) is too long: docker-fw takes "
			       "names of up to %d",
			       name, len, DOCKER_NAME_MAX);
	snprintf(what, sizeof(what), "inspect of \"%s\"", name);
	if (docker_path(&p, "/containers/%s/json", name)) {
		buf_free(&p);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	r = docker_call(d, "GET", p.data, NULL, 0, e);
	buf_free(&p);
	if (r < 0 && d->status == 404)
		return err_set(e, EXIT_USAGE, "no such container \"%s\"", name);
	if (r < 0 && d->status >= 400 && id_prefix_matches(d, name) > 1) {
		err_set(e, EXIT_USAGE,
			"ambiguous container ID prefix \"%s\": "
			"more than one container matches",
			name);
		return DOCKER_AMBIGUOUS;
	}
	if (r < 0)
		return -1;
	if (d->ntok < 1 || d->toks[0].type != JSON_OBJECT)
		return err_set(e, EXIT_RUNTIME,
			       "%s: inspect of \"%s\": not a "
			       "JSON object",
			       d->ep.url, name);
	if (field(d, 0, "Id", c->id, sizeof(c->id), what, e))
		return -1;
	if (!*c->id)
		return err_set(e, EXIT_RUNTIME,
			       "%s: inspect of \"%s\": no Id "
			       "in the answer",
			       d->ep.url, name);
	if (!docker_id_ok(c->id))
		return bad_field(d, what, "Id", c->id,
				 "not 64 lowercase hex "
				 "digits",
				 e);
	/* the name goes into kernel rules, the store and hosts files:
	 * Docker's own rule for it, or nothing */
	if (field(d, 0, "Name", nm, sizeof(nm), what, e) ||
	    name_check(d, what, "Name", nm, e))
		return -1;
	memcpy(c->name, nm + 1, strlen(nm));
	st = path_tok(d, 0, "State", NULL);
	c->running = get_bool(d, st, "Running");
	c->paused = get_bool(d, st, "Paused");
	if (field(d, 0, "HostsPath", c->hosts_path, sizeof(c->hosts_path), what,
		  e))
		return -1;
	if (*c->hosts_path &&
	    (c->hosts_path[0] != '/' || !no_controls(c->hosts_path)))
		return bad_field(d, what, "HostsPath", c->hosts_path,
				 "not an absolute path without control "
				 "characters",
				 e);
	hc = path_tok(d, 0, "HostConfig", NULL);
	ns = path_tok(d, 0, "NetworkSettings", NULL);
	if (hostconfig_of(d, hc, c, what, e) ||
	    get_nets(d, path_tok(d, ns, "Networks", NULL), &c->nets, &c->nnets,
		     what, e) ||
	    get_ports(d, path_tok(d, ns, "Ports", NULL), &c->ports, &c->nports,
		      "NetworkSettings.Ports", what, e)) {
		docker_container_free(c);
		return -1;
	}
	if (inspect_mounts(d, hc, c)) {
		docker_container_free(c);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	return 0;
}

void docker_container_free(struct docker_container *c)
{
	free(c->nets);
	free(c->ports);
	free(c->bindings);
	strv_free(&c->links);
	strv_free(&c->volumes_from);
	strv_free(&c->extra_hosts);
	strv_free(&c->dns);
	strv_free(&c->cap_add);
	strv_free(&c->cap_drop);
	strv_free(&c->binds);
	free(c->mounts);
	free(c->hc_mounts);
	strv_free(&c->tmpfs);
	c->mounts = c->hc_mounts = NULL;
	c->nmounts = c->nhc_mounts = 0;
	c->nets = NULL;
	c->ports = c->bindings = NULL;
	c->nnets = c->nports = c->nbindings = 0;
}

int docker_hostconfig_parse(const char *text, size_t len, const char *name,
			    struct docker_container *c, struct err *e)
{
	struct docker d;
	size_t pos = 0;
	int n, rc = -1;

	memset(c, 0, sizeof(*c));
	memset(&d, 0, sizeof(d));
	snprintf(d.ep.url, sizeof(d.ep.url), "%s", name);
	if (buf_add(&d.body, text, len))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	n = json_parse(d.body.data, len, NULL, JSON_MAX_TOKENS, 0, &pos);
	if (n > 0) {
		d.toks = calloc((size_t)n, sizeof(*d.toks));
		if (!d.toks) {
			err_set(e, EXIT_RUNTIME, "out of memory");
			goto out;
		}
		n = json_parse(d.body.data, len, d.toks, (unsigned)n, 0, &pos);
	}
	if (n < 0) {
		err_set(e, n == JSON_ENOMEM ? EXIT_RUNTIME : EXIT_USAGE,
			"%s: not JSON (%s at byte %zu)", name, json_strerror(n),
			pos);
		goto out;
	}
	d.ntok = n;
	if (d.toks[0].type != JSON_OBJECT) {
		err_set(e, EXIT_USAGE, "%s: not a JSON object", name);
		goto out;
	}
	rc = hostconfig_of(&d, 0, c, "HostConfig", e);
	/* bad_field says EXIT_RUNTIME (a daemon's nonsense): here it is
	 * the file's */
	if (rc && e && !strstr(e->msg, "out of memory"))
		e->code = EXIT_USAGE;
out:
	if (rc)
		docker_container_free(c);
	free(d.toks);
	buf_free(&d.body);
	return rc;
}

/* Calls fn for each element of the top-level array of the last body: fn
 * returns 0 (taken), 1 (skipped) or -1 (e set: the whole answer is
 * refused); a skipped or refused element holds nothing to free. drop
 * (NULL: none) frees what a taken element holds, when a later one
 * refuses the answer. */
static int each_element(struct docker *d, void *vec, size_t size, size_t *n,
			int (*fn)(struct docker *, int, void *, struct err *),
			void (*drop)(void *), struct err *e)
{
	char **v = vec;
	char *p;
	int i, k, r;

	if (d->ntok < 1 || d->toks[0].type != JSON_ARRAY)
		return err_set(e, EXIT_RUNTIME, "%s: expected a JSON array",
			       d->ep.url);
	*v = NULL;
	*n = 0;
	if (!d->toks[0].size)
		return 0;
	*v = calloc(d->toks[0].size, size);
	if (!*v)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (i = 1, k = 0; k < (int)d->toks[0].size;
	     k++, i = (int)d->toks[i].next) {
		p = *v + *n * size;
		if (d->toks[i].type != JSON_OBJECT)
			continue;
		r = fn(d, i, p, e);
		if (r < 0) {
			while (drop && (*n)--)
				drop(*v + *n * size);
			free(*v);
			*v = NULL;
			*n = 0;
			return -1;
		}
		if (!r)
			(*n)++;
		else
			memset(p, 0, size);
	}
	return 0;
}

/* A number member key of object obj from lo to hi into *v (absent or
 * null: 0, when lo is 0): 0, or -1 with e set naming what and key. */
static int num_field(struct docker *d, int obj, const char *key, int64_t lo,
		     int64_t hi, int64_t *v, const char *what, struct err *e)
{
	int t = json_get(d->body.data, d->toks, obj, key);
	char num[32];

	*v = 0;
	if ((t < 0 || d->toks[t].type == JSON_NULL) && !lo)
		return 0;
	if (t >= 0 && d->toks[t].type == JSON_NUMBER &&
	    !json_int(d->body.data, &d->toks[t], v) && *v >= lo && *v <= hi)
		return 0;
	if (t < 0 || d->toks[t].type == JSON_NULL)
		snprintf(num, sizeof(num), "null");
	else
		snprintf(num, sizeof(num), "%.*s",
			 d->toks[t].end - d->toks[t].start > 20 ?
				 20 :
				 (int)(d->toks[t].end - d->toks[t].start),
			 d->body.data + d->toks[t].start);
	return bad_field(d, what, key, num, "not a port number", e);
}

/* The Ports of a list entry, [{"IP": "0.0.0.0", "PrivatePort": 80,
 * "PublicPort": 8080, "Type": "tcp"}, ...] (an exposed port that is not
 * published has no IP nor PublicPort), as inspect's
 * NetworkSettings.Ports gives them. 0, or -1 with e set. */
static int list_ports(struct docker *d, int arr, struct docker_port **out,
		      size_t *n, const char *what, struct err *e)
{
	int i, k;

	if (arr < 0 || d->toks[arr].type == JSON_NULL)
		return 0;
	if (d->toks[arr].type != JSON_ARRAY)
		return bad_field(d, what, "Ports", NULL, "not a list", e);
	for (i = arr + 1, k = 0; k < (int)d->toks[arr].size;
	     k++, i = (int)d->toks[i].next) {
		struct docker_port p;
		int64_t v;

		memset(&p, 0, sizeof(p));
		if (d->toks[i].type != JSON_OBJECT)
			return bad_field(d, what, "Ports", NULL,
					 "a port that is not an object", e);
		if (num_field(d, i, "PrivatePort", 1, 65535, &v, what, e))
			return -1;
		p.port = (uint16_t)v;
		if (num_field(d, i, "PublicPort", 0, 65535, &v, what, e))
			return -1;
		p.host_port = (uint16_t)v;
		if (field(d, i, "Type", p.proto, sizeof(p.proto), what, e))
			return -1;
		if (strcmp(p.proto, "tcp") && strcmp(p.proto, "udp") &&
		    strcmp(p.proto, "sctp"))
			return bad_field(d, what, "Type", p.proto,
					 "not tcp, udp or sctp", e);
		if (addr_field(d, i, "IP", p.host_ip, sizeof(p.host_ip), 0,
			       what, e))
			return -1;
		if (add_port(out, n, &p))
			return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	return 0;
}

/*
 * What the list gives of entry i beyond its name: HostConfig.NetworkMode,
 * the networks (checked as inspect's), the ports. A bad field marks the
 * entry (name "", why) as a bad name does: only who asks for it fails,
 * by an inspect. 0, or -1 with e set (out of memory).
 */
static int summary_rest(struct docker *d, int i, struct docker_summary *s,
			const char *what, struct err *e)
{
	int ns = path_tok(d, i, "NetworkSettings", NULL);
	struct err fe;

	if (!field(d, path_tok(d, i, "HostConfig", NULL), "NetworkMode",
		   s->network_mode, sizeof(s->network_mode), what, &fe) &&
	    !get_nets(d, path_tok(d, ns, "Networks", NULL), &s->nets, &s->nnets,
		      what, &fe) &&
	    !list_ports(d, path_tok(d, i, "Ports", NULL), &s->ports, &s->nports,
			what, &fe))
		return 0;
	summary_drop(s);
	if (strstr(fe.msg, "out of memory")) {
		*e = fe;
		return -1;
	}
	snprintf(s->why, sizeof(s->why), "%.299s", fe.msg);
	s->name[0] = 0;
	return 0;
}

static int summary_of(struct docker *d, int i, void *out, struct err *e)
{
	struct docker_summary *s = out;
	int names = json_get(d->body.data, d->toks, i, "Names");
	int k, m;
	char what[100];

	if (field(d, i, "Id", s->id, sizeof(s->id), "list of containers", e))
		return -1;
	if (!*s->id)
		return 1;
	snprintf(what, sizeof(what), "list of containers: %.64s", s->id);
	if (!docker_id_ok(s->id))
		return bad_field(d, "list of containers", "Id", s->id,
				 "not 64 lowercase hex digits", e);
	if (field(d, i, "State", s->state, sizeof(s->state), what, e))
		return -1;
	/* Names also holds link aliases ("/other/alias"): take the name. */
	if (names > 0 && d->toks[names].type == JSON_ARRAY)
		for (k = names + 1, m = 0; m < (int)d->toks[names].size;
		     m++, k = (int)d->toks[k].next) {
			int r;

			if (d->toks[k].type != JSON_STRING)
				return bad_field(d, what, "Names", NULL,
						 "not a list of strings", e);
			r = json_string(d->body.data, &d->toks[k], s->name,
					sizeof(s->name));
			if (r < 0 || strlen(s->name) != (size_t)r) {
				s->name[0] = 0;
				continue; /* checked below */
			}
			if (!strchr(s->name + 1, '/'))
				break;
			s->name[0] = 0;
		}
	/* a name docker-fw cannot take (Docker takes names of any length)
	 * keeps the entry, marked: only who asks for that container fails */
	if (!s->name[0]) {
		struct err ne;

		bad_field(d, what, "Names", NULL,
			  "no container name "
			  "docker-fw takes (/[a-zA-Z0-9][a-zA-Z0-9_.-]*, at "
			  "most 255 characters)",
			  &ne);
		snprintf(s->why, sizeof(s->why), "%.299s", ne.msg);
		return 0;
	}
	{
		struct err ne;

		if (name_check(d, what, "Names", s->name, &ne)) {
			snprintf(s->why, sizeof(s->why), "%.299s", ne.msg);
			s->name[0] = 0;
			return 0;
		}
	}
	memmove(s->name, s->name + 1, strlen(s->name));
	return summary_rest(d, i, s, what, e);
}

static void summary_drop(void *p)
{
	struct docker_summary *s = p;

	free(s->nets);
	free(s->ports);
	s->nets = NULL;
	s->ports = NULL;
	s->nnets = s->nports = 0;
}

void docker_list_free(struct docker_summary *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		summary_drop(&v[i]);
	free(v);
}

int docker_list(struct docker *d, struct docker_summary **v, size_t *n,
		struct err *e)
{
	if (docker_call(d, "GET", "/containers/json?all=1", NULL, 0, e) < 0)
		return -1;
	return each_element(d, v, sizeof(**v), n, summary_of, summary_drop, e);
}

static int network_of(struct docker *d, int i, void *out, struct err *e)
{
	struct docker_network *nw = out;
	int cfg, k, m;
	char what[300], q[140];

	if (field(d, i, "Id", nw->id, sizeof(nw->id), "list of networks", e))
		return -1;
	if (!*nw->id)
		return 1;
	if (!docker_netid_ok(nw->id))
		return bad_field(d, "list of networks", "Id", nw->id,
				 "not a network ID", e);
	snprintf(what, sizeof(what), "network %.12s", nw->id);
	/* Docker takes any name (newlines, quotes, slashes: measured on
	 * 20.10 and 28.5); it never reaches a kernel rule, and messages
	 * escape it */
	if (field(d, i, "Name", nw->name, sizeof(nw->name), what, e))
		return -1;
	if (!*nw->name)
		return bad_field(d, what, "Name", NULL, "empty", e);
	snprintf(what, sizeof(what), "network \"%s\" (%.12s)",
		 STR_ESC(q, nw->name), nw->id);
	if (field(d, i, "Driver", nw->driver, sizeof(nw->driver), what, e))
		return -1;
	nw->internal = get_bool(d, i, "Internal");
	nw->ipv6 = get_bool(d, i, "EnableIPv6");
	/* the bridge goes into kernel rules (-i/-o): the bridge driver's
	 * only (another driver's option is no bridge of its own: a
	 * macvlan's could name the outside link), refused unless it is one */
	if (!strcmp(nw->driver, "bridge")) {
		if (field(d, path_tok(d, i, "Options", NULL),
			  "com.docker.network.bridge.name", nw->bridge,
			  sizeof(nw->bridge), what, e))
			return -1;
		_Static_assert(sizeof("docker0") <= sizeof(nw->bridge),
			       "bridge name room");
		if (*nw->bridge)
			;
		else if (!strcmp(nw->name, "bridge"))
			memcpy(nw->bridge, "docker0", sizeof("docker0"));
		else
			snprintf(nw->bridge, sizeof(nw->bridge), "br-%.12s",
				 nw->id);
		if (!docker_bridge_ok(nw->bridge))
			return bad_field(d, what, "bridge name", nw->bridge,
					 "not an interface name (1 to 15 "
					 "bytes, no blank, control character, "
					 "/ or :, not . or ..) that iptables "
					 "reads as itself (no final +)",
					 e);
	}
	cfg = path_tok(d, i, "IPAM", "Config");
	if (cfg > 0 && d->toks[cfg].type == JSON_ARRAY)
		for (k = cfg + 1, m = 0;
		     m < (int)d->toks[cfg].size && nw->nsubnets < 4;
		     m++, k = (int)d->toks[k].next) {
			struct docker_subnet *s = &nw->subnets[nw->nsubnets];

			if (field(d, k, "Subnet", s->subnet, sizeof(s->subnet),
				  what, e))
				return -1;
			s->family = *s->subnet ? cidr_family(s->subnet) : 0;
			if (*s->subnet && !s->family)
				return bad_field(d, what, "IPAM subnet",
						 s->subnet,
						 "not an address "
						 "and prefix length",
						 e);
			/* the gateway of a subnet is of its family */
			if (addr_field(d, k, "Gateway", s->gateway,
				       sizeof(s->gateway), s->family, what, e))
				return -1;
			if (*s->subnet)
				nw->nsubnets++;
		}
	return 0;
}

int docker_network_has6(const struct docker_network *n)
{
	size_t i;

	for (i = 0; i < n->nsubnets; i++)
		if (n->subnets[i].family == AF_INET6)
			return 1;
	return n->ipv6;
}

int docker_networks(struct docker *d, struct docker_network **v, size_t *n,
		    struct err *e)
{
	if (docker_call(d, "GET", "/networks", NULL, 0, e) < 0)
		return -1;
	return each_element(d, v, sizeof(**v), n, network_of, NULL, e);
}

int docker_container_action(struct docker *d, const char *id,
			    const char *action, struct err *e)
{
	struct buf p = { 0 };
	int r;

	if (docker_path(&p, "/containers/%s/", id) || buf_adds(&p, action)) {
		buf_free(&p);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	r = docker_call(d, "POST", p.data, NULL, 0, e);
	buf_free(&p);
	return r < 0 ? -1 : 0;
}

int docker_demux_feed(struct docker_demux *m, const char *p, size_t n,
		      struct buf *out, struct buf *errout)
{
	struct buf *to;
	size_t k;

	while (n) {
		if (m->hlen < 8) {
			m->hdr[m->hlen++] = (unsigned char)*p++;
			n--;
			if (m->hlen < 8)
				continue;
			if (m->hdr[0] > 2 || m->hdr[1] || m->hdr[2] ||
			    m->hdr[3]) {
				errno = EINVAL;
				return -1;
			}
			m->stream = m->hdr[0];
			m->left = (uint32_t)m->hdr[4] << 24 |
				  (uint32_t)m->hdr[5] << 16 |
				  (uint32_t)m->hdr[6] << 8 | m->hdr[7];
			if (!m->left)
				m->hlen = 0;
			continue;
		}
		k = n < m->left ? n : m->left;
		to = m->stream == 2 ? errout : out;
		if (to && m->max && k > m->max - m->kept) {
			errno = EFBIG;
			return -1;
		}
		if (to && buf_add(to, p, k)) {
			errno = ENOMEM;
			return -1;
		}
		if (to)
			m->kept += k;
		p += k;
		n -= k;
		m->left -= (uint32_t)k;
		if (!m->left)
			m->hlen = 0;
	}
	return 0;
}

static int exec_stream(struct docker *d, const char *path, struct buf *out,
		       struct buf *errout, size_t max, struct err *e)
{
	static const char body[] = "{\"Detach\":false,\"Tty\":false}";
	struct http_req rq = { .method = "POST",
			       .path = path,
			       .body = body,
			       .body_len = sizeof(body) - 1 };
	struct docker_demux m = { .max = max };
	char chunk[4096], msg[300];
	ssize_t r;

	if (d->t.fd < 0 && connect_daemon(d, e))
		return -1;
	if (http_begin(&d->http, &rq, e))
		return -1;
	d->status = d->http.head.status;
	if (d->status != 200) {
		d->body.len = 0;
		while ((r = http_read_body(&d->http, chunk, sizeof(chunk), e)) >
		       0)
			buf_add(&d->body, chunk, (size_t)r);
		if (r < 0 || parse_body(d, e))
			return -1;
		error_message(d, msg, sizeof(msg));
		return err_set(e, EXIT_RUNTIME,
			       "Docker daemon: exec start: "
			       "%d: %s",
			       d->status, msg);
	}
	while ((r = http_read_body(&d->http, chunk, sizeof(chunk), e)) > 0)
		if (docker_demux_feed(&m, chunk, (size_t)r, out, errout)) {
			if (errno == EFBIG)
				err_set(e, EXIT_RUNTIME,
					"%s: exec output over "
					"%zu bytes",
					d->ep.url, max);
			else if (errno == ENOMEM)
				err_set(e, EXIT_RUNTIME, "out of memory");
			else
				err_set(e, EXIT_RUNTIME,
					"%s: bad frame in "
					"the exec output stream",
					d->ep.url);
			r = -1;
			break;
		}
	/* The hijacked connection is spent either way. */
	if (d->t.fd >= 0)
		d->t.close(&d->t);
	return r < 0 ? -1 : 0;
}

int docker_exec(struct docker *d, const char *id, const char *const *argv,
		struct buf *out, struct buf *errout, size_t max, int *code,
		struct err *e)
{
	struct buf b = { 0 }, p = { 0 };
	char eid[256], full[200];
	int r = -1, i;

	if (buf_adds(&b, "{\"AttachStdin\":false,\"AttachStdout\":true,"
			 "\"AttachStderr\":true,\"Tty\":false,\"Cmd\":["))
		goto oom;
	for (i = 0; argv[i]; i++)
		if ((i && buf_adds(&b, ",")) ||
		    json_escape(&b, argv[i], strlen(argv[i])))
			goto oom;
	if (buf_adds(&b, "]}") || docker_path(&p, "/containers/%s/exec", id))
		goto oom;
	if (docker_call(d, "POST", p.data, b.data, b.len, e) < 0)
		goto out;
	if (field(d, 0, "Id", eid, sizeof(eid), "exec create", e))
		goto out;
	if (!*eid) {
		err_set(e, EXIT_RUNTIME, "%s: exec create gave no Id",
			d->ep.url);
		goto out;
	}
	/* it goes into the next request lines */
	if (!docker_id_ok(eid)) {
		bad_field(d, "exec create", "Id", eid,
			  "not 64 lowercase hex "
			  "digits",
			  e);
		goto out;
	}
	if (!d->api && docker_ping(d, e))
		goto out;
	snprintf(full, sizeof(full), "/v1.%d/exec/%.64s/start", d->api, eid);
	if (exec_stream(d, full, out, errout, max, e))
		goto out;
	snprintf(full, sizeof(full), "/exec/%.64s/json", eid);
	if (docker_call(d, "GET", full, NULL, 0, e) < 0)
		goto out;
	*code = (int)get_int(d, 0, "ExitCode");
	r = 0;
	goto out;
oom:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	buf_free(&b);
	buf_free(&p);
	return r;
}

static void event_of(struct docker *d, const char *s, struct json_tok *t,
		     struct docker_event *ev)
{
	char *saved_s = d->body.data;
	struct json_tok *saved_t = d->toks;
	int actor;

	/* get_* read d->body and d->toks: point them at this event. */
	d->body.data = (char *)s;
	d->toks = t;
	memset(ev, 0, sizeof(*ev));
	get_str(d, 0, "Type", ev->type, sizeof(ev->type));
	get_str(d, 0, "Action", ev->action, sizeof(ev->action));
	actor = path_tok(d, 0, "Actor", NULL);
	get_str(d, actor, "ID", ev->id, sizeof(ev->id));
	get_str(d, path_tok(d, actor, "Attributes", NULL), "name", ev->name,
		sizeof(ev->name));
	get_str(d, path_tok(d, actor, "Attributes", NULL), "container",
		ev->container, sizeof(ev->container));
	ev->time = get_int(d, 0, "time");
	d->body.data = saved_s;
	d->toks = saved_t;
}

int docker_events(struct docker *d, const char *filters,
		  int (*cb)(void *arg, const struct docker_event *ev),
		  void *arg, struct err *e)
{
	return docker_events_since(d, filters, 0, cb, arg, e);
}

int docker_events_since(struct docker *d, const char *filters, int64_t since,
			int (*cb)(void *arg, const struct docker_event *ev),
			void *arg, struct err *e)
{
	struct buf p = { 0 }, acc = { 0 };
	struct json_tok *toks = NULL;
	unsigned ntoks = 0;
	struct http_req rq = { .method = "GET" };
	struct docker_event ev;
	char chunk[4096];
	size_t pos, skip;
	ssize_t r;
	int n, stop = 0, ret = -1;

	if (!d->api && docker_ping(d, e))
		return -1;
	if (buf_printf(&p, "/v1.%d/events", d->api) ||
	    (since > 0 && buf_printf(&p, "?since=%lld", (long long)since)) ||
	    (filters && (buf_adds(&p, since > 0 ? "&filters=" : "?filters=") ||
			 http_escape(&p, filters)))) {
		buf_free(&p);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	rq.path = p.data;
	if (d->t.fd < 0 && connect_daemon(d, e))
		goto out;
	d->t.io_timeout_ms = d->io_timeout_ms > 0 ? d->io_timeout_ms : -1;
	d->http.deadline_ms = -1; /* a stream: no end to wait for */
	if (http_begin(&d->http, &rq, e))
		goto out;
	if (d->http.head.status != 200) {
		err_set(e, EXIT_RUNTIME, "Docker daemon: GET /events: %d",
			d->http.head.status);
		goto out;
	}
	while (!stop &&
	       (r = http_read_body(&d->http, chunk, sizeof(chunk), e)) > 0) {
		if (buf_add(&acc, chunk, (size_t)r)) {
			err_set(e, EXIT_RUNTIME, "out of memory");
			goto out;
		}
		for (;;) {
			for (skip = 0; skip < acc.len &&
				       strchr(" \t\r\n", acc.data[skip]);
			     skip++)
				;
			n = json_parse(acc.data + skip, acc.len - skip, NULL,
				       JSON_MAX_TOKENS, JSON_PREFIX, &pos);
			if (n == JSON_EPART)
				break;
			if (n > 0 && (unsigned)n > ntoks) {
				struct json_tok *t =
					realloc(toks, (size_t)n * sizeof(*t));
				if (!t) {
					err_set(e, EXIT_RUNTIME,
						"out of memory");
					goto out;
				}
				toks = t;
				ntoks = (unsigned)n;
			}
			if (n > 0)
				n = json_parse(acc.data + skip, acc.len - skip,
					       toks, ntoks, JSON_PREFIX, &pos);
			if (n < 0) {
				err_set(e, EXIT_RUNTIME,
					"%s: bad event in the "
					"stream: %s",
					d->ep.url, json_strerror(n));
				goto out;
			}
			event_of(d, acc.data + skip, toks, &ev);
			memmove(acc.data, acc.data + skip + pos,
				acc.len - skip - pos);
			acc.len -= skip + pos;
			if (cb(arg, &ev)) {
				stop = 1;
				break;
			}
		}
	}
	if (!stop && r < 0)
		goto out;
	ret = 0;
out:
	/* An events stream is not reusable: close it either way. */
	if (d->t.fd >= 0)
		d->t.close(&d->t);
	d->t.io_timeout_ms = d->io_timeout_ms;
	d->http.deadline_ms = 0;
	buf_free(&p);
	buf_free(&acc);
	free(toks);
	return ret;
}

/* ---- mounts and /info (hosts.c's checks) ------------------------------ */

/* One element of Mounts (dst "Destination", rw "RW") or HostConfig.Mounts
 * (dst "Target", rw NULL: ReadOnly). */
static int mount_of(struct docker *d, int i, const char *dst, const char *rw,
		    struct docker_mount *m)
{
	int t = json_get(d->body.data, d->toks, i, dst);

	memset(m, 0, sizeof(*m));
	get_str(d, i, "Type", m->type, sizeof(m->type));
	if (get_str(d, i, "Source", m->source, sizeof(m->source)))
		snprintf(m->source, sizeof(m->source), "(a path too long)");
	if (t < 0 || d->toks[t].type != JSON_STRING ||
	    get_str(d, i, dst, m->destination, sizeof(m->destination)))
		m->bad = 1;
	m->rw = rw ? get_bool(d, i, rw) : !get_bool(d, i, "ReadOnly");
	return 0;
}

static int get_mounts(struct docker *d, int arr, const char *dst,
		      const char *rw, struct docker_mount **v, size_t *n)
{
	int i, k;

	if (arr < 0 || d->toks[arr].type != JSON_ARRAY || !d->toks[arr].size)
		return 0;
	*v = calloc(d->toks[arr].size, sizeof(**v));
	if (!*v)
		return -1;
	for (i = arr + 1, k = 0; k < (int)d->toks[arr].size;
	     k++, i = (int)d->toks[i].next)
		if (d->toks[i].type == JSON_OBJECT)
			mount_of(d, i, dst, rw, &(*v)[(*n)++]);
	return 0;
}

/* Mounts, HostConfig.Mounts, the keys of HostConfig.Tmpfs and
 * HostConfig.ReadonlyRootfs. 0 or -1 (out of memory). */
static int inspect_mounts(struct docker *d, int hc, struct docker_container *c)
{
	int map = path_tok(d, hc, "Tmpfs", NULL), k, m;
	char key[4096];

	c->readonly_rootfs = get_bool(d, hc, "ReadonlyRootfs");
	if (get_mounts(d, path_tok(d, 0, "Mounts", NULL), "Destination", "RW",
		       &c->mounts, &c->nmounts) ||
	    get_mounts(d, path_tok(d, hc, "Mounts", NULL), "Target", NULL,
		       &c->hc_mounts, &c->nhc_mounts))
		return -1;
	if (map < 0 || d->toks[map].type != JSON_OBJECT)
		return 0;
	for (k = map + 1, m = 0; m < (int)d->toks[map].size;
	     m++, k = (int)d->toks[k + 1].next) {
		int n = json_string(d->body.data, &d->toks[k], key,
				    sizeof(key));

		/* a key that does not fit is kept as "?": unknown */
		if (strv_add(&c->tmpfs, n < 0 ? "?" : key,
			     n < 0 ? 1 : (size_t)n))
			return -1;
	}
	return 0;
}

int docker_info(struct docker *d, struct docker_info *i, struct err *e)
{
	memset(i, 0, sizeof(*i));
	if (docker_call(d, "GET", "/info", NULL, 0, e) < 0)
		return -1;
	if (d->ntok < 1 || d->toks[0].type != JSON_OBJECT)
		return err_set(e, EXIT_RUNTIME,
			       "%s: GET /info: not a JSON "
			       "object",
			       d->ep.url);
	get_str(d, 0, "ServerVersion", i->version, sizeof(i->version));
	i->experimental = get_bool(d, 0, "ExperimentalBuild");
	{
		int t = json_get(d->body.data, d->toks, 0, "BridgeNfIp6tables");

		i->bridge_nf_ip6 = t < 0 || json_bool(&d->toks[t]) < 0 ?
					   -1 :
					   json_bool(&d->toks[t]);
	}
	/* a value that is no plain word is none: it is only shown */
	if (get_str(d, path_tok(d, 0, "FirewallBackend", NULL), "Driver",
		    i->firewall, sizeof(i->firewall)) ||
	    strspn(i->firewall, "abcdefghijklmnopqrstuvwxyz0123456789+-_.") !=
		    strlen(i->firewall))
		i->firewall[0] = 0;
	if (get_str(d, 0, "DockerRootDir", i->root_dir, sizeof(i->root_dir)) ||
	    !*i->root_dir)
		return err_set(e, EXIT_RUNTIME,
			       "%s: GET /info: no usable "
			       "DockerRootDir",
			       d->ep.url);
	return 0;
}

int docker_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= DOCKER_NAME_MAX && isalnum((unsigned char)*s) &&
	       isascii((unsigned char)*s) &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") == n;
}

int docker_id_ok(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

int docker_netid_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 64 &&
	       strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz") == n;
}

int docker_bridge_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > 15 || !strcmp(s, ".") || !strcmp(s, "..") ||
	    s[n - 1] == '+')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f ||
		    strchr("/:\t\n\v\f\r", s[i]))
			return 0;
	return 1;
}

int docker_api_parse(const char *v)
{
	uint64_t minor;

	if (strncmp(v, "1.", 2) || strlen(v + 2) > 3 ||
	    parse_uint(v + 2, 0, 999, &minor))
		return -1;
	return (int)minor;
}
