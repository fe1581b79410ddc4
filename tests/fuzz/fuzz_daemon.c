/*
 * fuzz_daemon.c - a hostile daemon's answers (#19) through the Docker
 * client into what docker-fw writes: the first byte picks the call
 * (inspect, list, networks), the rest is the JSON body of a 200 answer,
 * served from memory (the list's networks, ports and network mode are
 * checked as inspect's: #18). Whatever the bytes:
 *   - no crash, no leak, and a refused answer's message holds no control
 *     character (it is printed as it is);
 *   - every value that reaches restore text (fw_change_format of the
 *     rules docker-fw makes of it: the container's comment "docker-fw
 *     NAME ID12" and addresses, a bridge's -i/-o) is one word of one
 *     line: the line splits (fw_split, as iptables-restore does) into the
 *     words of the same rule made of harmless values, with the daemon's
 *     value in its place;
 *   - in store text, the "container ID NAME" line and a rule's --source
 *     NAME are one line whose words (rulespec_split) are the values; the
 *     hostconfig lines (binds, extra hosts, ... of any bytes but NUL) are
 *     one line each that splits into words (the store's $'...' quoting).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/docker.h"
#include "dfw/fw.h"
#include "dfw/hostconfig.h"
#include "dfw/rulespec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define need(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

/* ---- the daemon: one answer in memory, again for each request -------- */

static const char *answer;
static size_t answer_len, answer_pos;

static ssize_t m_read(struct transport *t, void *p, size_t n)
{
	size_t k = answer_len - answer_pos < n ? answer_len - answer_pos : n;

	memcpy(p, answer + answer_pos, k);
	answer_pos += k;
	return (ssize_t)k;
}

static ssize_t m_write(struct transport *t, const void *p, size_t n)
{
	answer_pos = 0;
	return (ssize_t)n;
}

static void m_close(struct transport *t)
{
	t->fd = -1;
}

/* ---- checks ------------------------------------------------------------ */

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* The restore line of r inserted into DFW-FORWARD, split as
 * iptables-restore splits it; need: one line. */
static void restore_words(const struct fw_rule *r, struct strv *w)
{
	struct fw_change c;
	struct buf b = { 0 };

	memset(&c, 0, sizeof(c));
	c.op = FW_INSERT;
	strcpy(c.chain, "DFW-FORWARD");
	c.pos = 1;
	c.rule = *r;
	need(!fw_change_format(&c, &b));
	need(b.data && !strpbrk(b.data, "\n\r"));
	need(fw_split(b.data, w) >= 0);
	buf_free(&b);
}

/* r (with daemon values) and ref (the same rule with harmless ones) give
 * the same words but where the values are; each word of r that differs
 * must be one of vals. */
static void same_shape(const struct fw_rule *r, const struct fw_rule *ref,
		       const char *const *vals)
{
	struct strv a = { 0 }, b = { 0 };
	size_t i, k;

	restore_words(r, &a);
	restore_words(ref, &b);
	need(a.n == b.n);
	for (i = 0; i < a.n; i++) {
		if (!strcmp(a.v[i], b.v[i]))
			continue;
		for (k = 0; vals[k] && strcmp(a.v[i], vals[k]); k++)
			;
		need(vals[k]);
	}
	strv_free(&a);
	strv_free(&b);
}

/* A store line: one line, and rulespec_split gives back n words, the
 * last being last. */
static void store_line(const char *head, const char *last, size_t n)
{
	struct buf b = { 0 };
	struct strv w = { 0 };
	struct err e;

	need(!buf_adds(&b, head) && !rulespec_quote(last, &b));
	need(!strpbrk(b.data, "\n\r"));
	need(rulespec_split(b.data, &w, &e) == (int)n);
	need(w.n == n && !strcmp(w.v[n - 1], last));
	strv_free(&w);
	buf_free(&b);
}

static void check_container(const struct docker_container *c)
{
	char comment[300], ref_comment[300];
	const char *vals[4];
	struct fw_rule r, ref;
	struct strv lines = { 0 };
	size_t i;

	need(docker_id_ok(c->id) && docker_name_ok(c->name));
	/* the comment of its rules, as engine.c makes it */
	snprintf(comment, sizeof(comment), FW_COMMENT " %s %.12s", c->name,
		 c->id);
	snprintf(ref_comment, sizeof(ref_comment), FW_COMMENT " x %.12s",
		 c->id);
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.proto = IPPROTO_TCP;
	r.dport = 80;
	strcpy(r.target, "DOCKER");
	ref = r;
	if (strlen(comment) <= FW_COMMENT_MAX) {
		need(!fw_set_comment(&r, comment));
		need(!fw_set_comment(&ref, ref_comment));
		vals[0] = comment;
		vals[1] = NULL;
		same_shape(&r, &ref, vals);
	}
	for (i = 0; i < c->nnets; i++) {
		struct in_addr a;

		if (!*c->nets[i].ip)
			continue;
		need(inet_pton(AF_INET, c->nets[i].ip, &a) == 1);
		need(c->nets[i].prefix >= 0 && c->nets[i].prefix <= 32);
		fw_set_ip4(r.dst, r.dmsk, a.s_addr, 32);
		fw_set_ip4(r.src, r.smsk, a.s_addr, c->nets[i].prefix);
		{
			struct strv w = { 0 };

			restore_words(&r, &w); /* one line */
			strv_free(&w);
		}
	}
	/* IPv6: an address of the IPv6 table (never IPv4-mapped), its
	 * prefix, its gateway; a rule of them is one line */
	for (i = 0; i < c->nnets; i++) {
		struct fw_rule r6 = r;
		struct strv w = { 0 };
		char net[80];

		need(c->nets[i].prefix6 >= 0 && c->nets[i].prefix6 <= 128);
		if (*c->nets[i].gateway6)
			need(fw_addr_parse(c->nets[i].gateway6, AF_INET6,
					   r6.src, r6.smsk) == 0 &&
			     !IN6_IS_ADDR_V4MAPPED(
				     (struct in6_addr *)(void *)r6.src));
		if (!*c->nets[i].ip6)
			continue;
		r6.family = AF_INET6;
		need(fw_addr_parse(c->nets[i].ip6, AF_INET6, r6.dst, r6.dmsk) ==
		     0);
		need(!IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)r6.dst));
		snprintf(net, sizeof(net), "%s/%d", c->nets[i].ip6,
			 c->nets[i].prefix6);
		need(fw_addr_parse(net, AF_INET6, r6.src, r6.smsk) == 0);
		restore_words(&r6, &w);
		strv_free(&w);
	}
	/* the store: its container line; its name as a peer's --source */
	{
		char head[100];

		snprintf(head, sizeof(head), "container %s ", c->id);
		store_line(head, c->name, 3);
		store_line("rule add-internal --source ", c->name, 4);
	}
	need(!hostconfig_lines(c, 1, &lines));
	need(!hostconfig_lines(c, 0, &lines));
	for (i = 0; i < lines.n; i++) {
		struct strv w = { 0 };
		struct err e;

		need(!strpbrk(lines.v[i], "\n\r"));
		need(rulespec_split(lines.v[i], &w, &e) >= 2);
		strv_free(&w);
	}
	strv_free(&lines);
}

static void check_networks(const struct docker_network *v, size_t n)
{
	const char *vals[2];
	struct fw_rule r, ref;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t a[16], m[16];
		size_t k;

		need(docker_netid_ok(v[i].id) && *v[i].name);
		/* each subnet of one family, its gateway of the same */
		for (k = 0; k < v[i].nsubnets; k++) {
			const struct docker_subnet *sn = &v[i].subnets[k];

			need(sn->family == AF_INET || sn->family == AF_INET6);
			need(fw_addr_parse(sn->subnet, sn->family, a, m) == 0);
			need(!*sn->gateway ||
			     fw_addr_parse(sn->gateway, sn->family, a, m) == 0);
		}
		if (!*v[i].bridge)
			continue;
		need(docker_bridge_ok(v[i].bridge));
		/* init's DROP of the bridge's own traffic */
		memset(&r, 0, sizeof(r));
		r.family = AF_INET;
		need(!fw_set_comment(&r, FW_COMMENT " init"));
		strcpy(r.target, "DROP");
		ref = r;
		strcpy(r.in, v[i].bridge);
		strcpy(r.out, v[i].bridge);
		strcpy(ref.in, "br0");
		strcpy(ref.out, "br0");
		vals[0] = v[i].bridge;
		vals[1] = NULL;
		same_shape(&r, &ref, vals);
	}
}

/* A named list entry as the view makes its container (#18: networks,
 * ports and network mode from the list): checked as an inspected one;
 * its ports as inspect's are. */
static void check_summary(const struct docker_summary *s)
{
	struct docker_container c;
	unsigned char a[16];
	size_t i;

	need(memchr(s->network_mode, 0, sizeof(s->network_mode)) != NULL);
	need(!s->nnets == !s->nets && !s->nports == !s->ports);
	for (i = 0; i < s->nports; i++) {
		const struct docker_port *p = &s->ports[i];

		need(p->port >= 1);
		need(!strcmp(p->proto, "tcp") || !strcmp(p->proto, "udp") ||
		     !strcmp(p->proto, "sctp"));
		need(!*p->host_ip || inet_pton(AF_INET, p->host_ip, a) == 1 ||
		     inet_pton(AF_INET6, p->host_ip, a) == 1);
	}
	for (i = 0; i < s->nnets; i++)
		need(*s->nets[i].name && !has_control(s->nets[i].network_id));
	memset(&c, 0, sizeof(c));
	memcpy(c.id, s->id, sizeof(c.id));
	memcpy(c.name, s->name, sizeof(c.name));
	memcpy(c.network_mode, s->network_mode, sizeof(c.network_mode));
	c.nets = s->nets;
	c.nnets = s->nnets;
	c.ports = s->ports;
	c.nports = s->nports;
	check_container(&c);
}

static void check_list(const struct docker_summary *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		need(docker_id_ok(v[i].id));
		/* an entry without a name docker-fw takes: kept, marked */
		if (!*v[i].name) {
			need(*v[i].why && !has_control(v[i].why));
			continue;
		}
		need(!*v[i].why && docker_name_ok(v[i].name));
		store_line("rule add-internal --source ", v[i].name, 4);
		check_summary(&v[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dfw_config cfg;
	struct docker d;
	struct buf a = { 0 };
	struct err e = { 0 };
	int kind = size ? data[0] % 3 : 0, rc;

	if (size)
		data++, size--;
	need(!buf_printf(&a,
			 "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n"
			 "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 size));
	need(!buf_add(&a, data, size));
	answer = a.data;
	answer_len = a.len;
	answer_pos = 0;
	config_init(&cfg);
	cfg.host = "unix:///nonexistent/docker.sock";
	need(!docker_init(&d, &cfg, &e));
	d.api = 41;
	d.t.fd = 3;
	d.t.read = m_read;
	d.t.write = m_write;
	d.t.close = m_close;
	snprintf(d.t.name, sizeof(d.t.name), "mem://");
	need(!http_init(&d.http, &d.t, "docker"));
	if (kind == 0) {
		struct docker_container c;

		rc = docker_inspect(&d, "web", &c, &e);
		if (!rc) {
			check_container(&c);
			docker_container_free(&c);
		}
	} else if (kind == 1) {
		struct docker_network *v = NULL;
		size_t n = 0;

		rc = docker_networks(&d, &v, &n, &e);
		if (!rc)
			check_networks(v, n);
		free(v);
	} else {
		struct docker_summary *v = NULL;
		size_t n = 0;

		rc = docker_list(&d, &v, &n, &e);
		if (!rc)
			check_list(v, n);
		docker_list_free(v, n);
	}
	if (rc)
		need(!has_control(e.msg));
	docker_close(&d);
	buf_free(&a);
	return 0;
}
