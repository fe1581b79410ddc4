#include <stdlib.h>

#include "dfw/hostconfig.h"
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
		{ 80, "tcp", "::", 8080 },	/* the same, on IPv6 */
		{ 9999, "tcp", "", 0 },		/* exposed only */
	};
	struct docker_port binds[2] = {
		{ 80, "tcp", "", 0 },		/* ephemeral */
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
	check_str(joined(&out), "cap-add NET_ADMIN\ndns 1.1.1.1\n"
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
	check(hostconfig_diff(&saved, &now, &d) == 0);	/* ephemeral */
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

UNIT_TESTS(T(test_lines) T(test_diff))
