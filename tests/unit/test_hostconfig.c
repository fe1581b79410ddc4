#include <stdlib.h>

#include "dfw/hostconfig.h"
#include "dfw/store.h"
#include "unit.h"

static void add(struct strv *v, const char *s)
{
	check(strv_add(v, s, strlen(s)) == 0);
}

static char *joined(const struct strv *v)
{
	static struct buf b;
	size_t i;

	b.len = 0;
	buf_adds(&b, "");
	for (i = 0; i < v->n; i++)
		buf_printf(&b, "%s\n", v->v[i]);
	return b.data;
}

static void test_lines(void)
{
	struct docker_port ports[3] = {
		{ 80, "tcp", "0.0.0.0", 8080 },
		{ 80, "tcp", "::", 8080 }, /* the same, on IPv6 */
		{ 9999, "tcp", "", 0 },	   /* exposed only */
	};
	struct docker_port binds[2] = {
		{ 80, "tcp", "", 0 }, /* ephemeral */
		{ 53, "udp", "127.0.0.1", 5353 },
	};
	struct docker_container c;
	struct strv out = { 0 };

	memset(&c, 0, sizeof(c));
	strcpy(c.network_mode, "default");
	c.ports = ports;
	c.nports = 3;
	c.bindings = binds;
	c.nbindings = 2;
	add(&c.links, "/db:/web/db");
	add(&c.dns, "9.9.9.9");
	add(&c.dns, "1.1.1.1");
	add(&c.volumes_from, "data:ro");
	add(&c.cap_add, "NET_ADMIN");
	check(hostconfig_lines(&c, 1, &out) == 0);
	check_str(joined(&out),
		  "cap-add NET_ADMIN\ndns 1.1.1.1\n"
		  "dns 9.9.9.9\nlink /db:/web/db\nnetwork-mode bridge\n"
		  "port 80/tcp 0.0.0.0 8080\nprivileged 0\nrestart no 0\n"
		  "volumes-from data:ro\n");
	strv_free(&out);
	check(hostconfig_lines(&c, 0, &out) == 0);
	check(strstr(joined(&out), "port 53/udp 127.0.0.1 5353\n"
				   "port 80/tcp 0.0.0.0 any\n") != NULL);
	strv_free(&out);
	strv_free(&c.links);
	strv_free(&c.dns);
	strv_free(&c.volumes_from);
	strv_free(&c.cap_add);
}

static void test_diff(void)
{
	struct strv saved = { 0 }, now = { 0 };
	struct buf d = { 0 };

	add(&saved, "port 80/tcp 0.0.0.0 8080");
	add(&saved, "restart no 0");
	add(&now, "port 80/tcp 0.0.0.0 any");
	add(&now, "restart no 0");
	check(hostconfig_diff(&saved, &now, &d) == 0); /* ephemeral */
	check(d.len == 0);
	strv_free(&now);
	add(&now, "port 80/tcp 0.0.0.0 8081");
	add(&now, "restart always 0");
	check(hostconfig_diff(&saved, &now, &d) == 4);
	check_str(d.data, "  + port 80/tcp 0.0.0.0 8081\n"
			  "  + restart always 0\n"
			  "  - port 80/tcp 0.0.0.0 8080\n  - restart no 0\n");
	d.len = 0;
	strv_free(&now);
	/* "any" does not match another port number's prefix trick */
	add(&now, "port 8/tcp 0.0.0.0 any");
	add(&now, "restart no 0");
	check(hostconfig_diff(&saved, &now, &d) == 2);
	strv_free(&now);
	strv_free(&saved);
	buf_free(&d);
}

/* Values with control characters (a newline in a bind-mount path, as
 * `docker run -v "$DIR/vol<NL>x:/data"` makes): one line each, quoted
 * with $'...', and they survive the store. */
static void test_odd_bytes(void)
{
	static const char id[] = "0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef";
	struct docker_container c;
	struct strv out = { 0 }, again = { 0 };
	struct store_rec r, r2;
	struct buf text = { 0 }, d = { 0 };
	struct err e = { 0 };
	size_t i;

	memset(&c, 0, sizeof(c));
	add(&c.binds, "/srv/vol\nx:/data");
	add(&c.binds, "/srv/it's here:/d2:ro");
	add(&c.extra_hosts, "evil\thost:1.2.3.4");
	add(&c.dns, "\x1b[31m");
	check(hostconfig_lines(&c, 1, &out) == 0);
	check_str(joined(&out),
		  "bind $'/srv/vol\\nx:/data'\n"
		  "bind '/srv/it'\\''s here:/d2:ro'\n"
		  "dns $'\\x1b[31m'\n"
		  "extra-host $'evil\\thost:1.2.3.4'\n"
		  "network-mode bridge\nprivileged 0\nrestart no 0\n");
	for (i = 0; i < out.n; i++)
		check(!strpbrk(out.v[i], "\n\t\x1b"));

	/* through the store's text and back: the same lines */
	memset(&r, 0, sizeof(r));
	memcpy(r.id, id, sizeof(r.id));
	strcpy(r.name, "web");
	r.hostconfig = out;
	check(store_format(&r, &text, &e) == 0);
	check(!strncmp(text.data, "docker-fw-store 2\n", 18));
	check(store_parse(text.data, text.len, "F", id, &r2, &e) == 0);
	check(r2.hostconfig.n == out.n);
	for (i = 0; i < out.n && i < r2.hostconfig.n; i++)
		check_str(r2.hostconfig.v[i], out.v[i]);
	/* and start finds no difference */
	check(hostconfig_lines(&c, 1, &again) == 0);
	check(hostconfig_diff(&r2.hostconfig, &again, &d) == 0 && !d.len);
	strv_free(&again);
	store_rec_free(&r2);
	/* a changed path is one "+" and one "-" line, each one line */
	strv_free(&c.binds);
	add(&c.binds, "/srv/vol\ny:/data");
	add(&c.binds, "/srv/it's here:/d2:ro");
	check(hostconfig_lines(&c, 1, &again) == 0);
	check(hostconfig_diff(&out, &again, &d) == 2);
	check_str(d.data, "  + bind $'/srv/vol\\ny:/data'\n"
			  "  - bind $'/srv/vol\\nx:/data'\n");
	strv_free(&again);
	strv_free(&out);
	strv_free(&c.binds);
	strv_free(&c.extra_hosts);
	strv_free(&c.dns);
	buf_free(&text);
	buf_free(&d);
}

UNIT_TESTS(T(test_lines) T(test_diff) T(test_odd_bytes))
