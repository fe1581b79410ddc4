/*
 * test_resolve.c - rule specs -> kernel rules per family (core/resolve.c)
 * on a hand-built view (no Docker: the containers, networks and list are
 * put in the view's caches): a container stands for its addresses in
 * both families on the chosen network, a literal is one family, "/" is
 * the gateway of each family, a peer or gateway without IPv6 leaves the
 * IPv6 rule out, --rev-lookup of an IPv6 address of a Docker subnet, and
 * the refusals (no address of the literal's family, a Docker address
 * without --rev-lookup, a network or an unknown address with it).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/resolve.h"
#include "unit.h"

#define ID_WEB "0123456789ab0000"
#define ID_PEER "abcdef0123450000"
#define ID_OLD "fedcba9876540000"
#define ID_WEB4 "00112233445566"

static struct view v;

/* A running container on network net with ip (and ip6, "" none). */
static void ctr(const char *id, const char *name, const char *net,
		const char *ip, const char *gw, const char *ip6,
		const char *gw6)
{
	struct docker_container *c = calloc(1, sizeof(*c));
	struct docker_cnet *n = calloc(1, sizeof(*n));

	check(c && n);
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->network_mode, sizeof(c->network_mode), "%s", net);
	c->running = 1;
	snprintf(n->name, sizeof(n->name), "%s", net);
	snprintf(n->ip, sizeof(n->ip), "%s", ip);
	snprintf(n->gateway, sizeof(n->gateway), "%s", gw);
	snprintf(n->ip6, sizeof(n->ip6), "%s", ip6);
	snprintf(n->gateway6, sizeof(n->gateway6), "%s", gw6);
	c->nets = n;
	c->nnets = 1;
	v.ctrs = realloc(v.ctrs, (v.nctrs + 1) * sizeof(*v.ctrs));
	check(v.ctrs != NULL);
	v.ctrs[v.nctrs++] = c;
	v.list = realloc(v.list, (v.nlist + 1) * sizeof(*v.list));
	check(v.list != NULL);
	memset(&v.list[v.nlist], 0, sizeof(*v.list));
	snprintf(v.list[v.nlist].id, sizeof(v.list->id), "%s", id);
	snprintf(v.list[v.nlist].name, sizeof(v.list->name), "%s", name);
	/* the list's networks: what view_holder reads */
	v.list[v.nlist].nets = malloc(sizeof(*n));
	check(v.list[v.nlist].nets != NULL);
	memcpy(v.list[v.nlist].nets, n, sizeof(*n));
	v.list[v.nlist].nnets = 1;
	snprintf(v.list[v.nlist++].state, sizeof(v.list->state), "running");
}

static void net(const char *name, const char *s4, const char *s6)
{
	struct docker_network *n;

	v.nets = realloc(v.nets, (v.nnets + 1) * sizeof(*v.nets));
	check(v.nets != NULL);
	n = &v.nets[v.nnets++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->driver, sizeof(n->driver), "bridge");
	snprintf(n->subnets[0].subnet, sizeof(n->subnets[0].subnet), "%s", s4);
	n->subnets[0].family = AF_INET;
	n->nsubnets = 1;
	if (*s6) {
		snprintf(n->subnets[1].subnet, sizeof(n->subnets[1].subnet),
			 "%s", s6);
		n->subnets[1].family = AF_INET6;
		n->nsubnets = 2;
		n->ipv6 = 1;
	}
}

static void world(void)
{
	memset(&v, 0, sizeof(v));
	v.have_nets = v.have_list = 1;
	net("dual", "172.30.0.0/24", "fd00:30::/64");
	net("v4only", "172.31.0.0/24", "");
	ctr(ID_WEB, "web6", "dual", "172.30.0.2", "172.30.0.1", "fd00:30::2",
	    "fd00:30::1");
	ctr(ID_PEER, "peer6", "dual", "172.30.0.3", "172.30.0.1", "fd00:30::3",
	    "fd00:30::1");
	ctr(ID_OLD, "old4", "dual", "172.30.0.4", "172.30.0.1", "", "");
	ctr(ID_WEB4, "web4", "v4only", "172.31.0.2", "172.31.0.1", "", "");
}

/* Container port 80/proto of the last container published on host
 * port hp at host address ip. */
static void publish(const char *proto, const char *ip, int hp)
{
	struct docker_container *c = v.ctrs[v.nctrs - 1];
	struct docker_port *p;

	c->ports = realloc(c->ports, (c->nports + 1) * sizeof(*p));
	check(c->ports != NULL);
	p = &c->ports[c->nports++];
	memset(p, 0, sizeof(*p));
	p->port = 80;
	snprintf(p->proto, sizeof(p->proto), "%s", proto);
	snprintf(p->host_ip, sizeof(p->host_ip), "%s", ip);
	p->host_port = (uint16_t)hp;
}

/* The rules of `ACTION CTR ARGS...` as fw_rule_format writes them, one
 * line each (family and chain in front), or "error: MSG"; in ARGS a '~'
 * is a blank inside a word. */
static char out_text[2048];

static const char *rules(enum rule_action action, const char *name,
			 int check_first, const char *args)
{
	struct resolve_out out[RESOLVE_MAX];
	struct rulespec r;
	struct strv w = { 0 };
	struct buf b = { 0 };
	struct err e;
	const struct docker_container *c;
	size_t n, i;
	char *copy = strdup(args), *tok, *save = NULL;

	for (tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *t;

		for (t = tok; *t; t++)
			if (*t == '~') /* a blank inside a word */
				*t = ' ';
		strv_add(&w, tok, strlen(tok));
	}
	free(copy);
	c = view_container(&v, name, 0, &e);
	check(c != NULL);
	if (rulespec_parse(&r, action, (int)w.n, w.v, &e)) {
		snprintf(out_text, sizeof(out_text), "parse: %s", e.msg);
		strv_free(&w);
		return out_text;
	}
	strv_free(&w);
	if ((check_first && resolve_check(&v, c, &r, &e)) ||
	    resolve_rule(&v, 1, c, &r, out, NULL, &n, &e)) {
		snprintf(out_text, sizeof(out_text), "error: %s", e.msg);
		rulespec_free(&r);
		return out_text;
	}
	for (i = 0; i < n; i++) {
		check(out[i].family == out[i].rule.family);
		char head[40];

		snprintf(head, sizeof(head), "%s%s %s ", i ? "\n" : "",
			 out[i].family == AF_INET6 ? "6" : "4",
			 resolve_chains[out[i].chain]);
		buf_adds(&b, head);
		fw_rule_format(&out[i].rule, &b);
	}
	snprintf(out_text, sizeof(out_text), "%s", b.data ? b.data : "");
	buf_free(&b);
	rulespec_free(&r);
	return out_text;
}

#define C(name) " -m comment --comment \"docker-fw " name

static void test_container_both_families(void)
{
	world();
	check_str(
		rules(RULE_ADD_INTERNAL, "web6", 1,
		      "--source peer6 --dport 80"),
		"4 DFW-FORWARD -s 172.30.0.3/32 -d 172.30.0.2/32 -p tcp -m "
		"tcp --dport 80" C(
			"web6 0123456789ab\" -j ACCEPT\n") "6 DFW-FORWARD -s fd00:30::3/128 -d fd00:30::2/128 -p tcp "
							   "-m tcp --dport 80" C(
								   "web6 0123456789ab\" -j ACCEPT"));
	/* a peer without IPv6: the IPv4 rule only */
	check_str(rules(RULE_ADD_INTERNAL, "web6", 1,
			"--source old4 --dport 80"),
		  "4 DFW-FORWARD -s 172.30.0.4/32 -d 172.30.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("web6 0123456789ab\" -j ACCEPT"));
	/* the container without IPv6, the peer with it: IPv4 only */
	check_str(rules(RULE_ADD_INTERNAL, "old4", 1,
			"--source web6 --dport 80"),
		  "4 DFW-FORWARD -s 172.30.0.2/32 -d 172.30.0.4/32 -p tcp -m "
		  "tcp --dport 80" C("old4 fedcba987654\" -j ACCEPT"));
	view_free(&v);
}

static void test_gateway_each_family(void)
{
	world();
	check_str(
		rules(RULE_ADD_INPUT, "web6", 1,
		      "--source . --dport 53 "
		      "--protocol udp"),
		"4 DFW-INPUT -s 172.30.0.2/32 -d 172.30.0.1/32 -p udp -m "
		"udp --dport 53" C(
			"web6 0123456789ab\" -j ACCEPT\n") "6 DFW-INPUT -s fd00:30::2/128 -d fd00:30::1/128 -p udp -m "
							   "udp --dport 53" C(
								   "web6 0123456789ab\" -j ACCEPT"));
	check_str(rules(RULE_ADD_INPUT, "web4", 1, "--source . --dport 53"),
		  "4 DFW-INPUT -s 172.31.0.2/32 -d 172.31.0.1/32 -p tcp -m "
		  "tcp --dport 53" C("web4 001122334455\" -j ACCEPT"));
	view_free(&v);
}

/* A source on the container's network (a peer, ".", "/") matches coming
 * in by that network's bridge only (-i): a forged one from another
 * bridge or the outside link is not let in; a literal source is not
 * pinned; a --filter naming -i keeps the user's; the network is found by
 * its ID first, by its name when the endpoint has none. */
static void test_source_bridge(void)
{
	size_t i;

	world();
	for (i = 0; i < v.nnets; i++)
		snprintf(v.nets[i].bridge, sizeof(v.nets[i].bridge), "br-%.12s",
			 v.nets[i].name);
	check_str(
		rules(RULE_ADD_INTERNAL, "web6", 1,
		      "--source peer6 --dport 80"),
		"4 DFW-FORWARD -s 172.30.0.3/32 -d 172.30.0.2/32 -i br-dual "
		"-p tcp -m tcp --dport 80" C(
			"web6 0123456789ab\" -j ACCEPT\n") "6 DFW-FORWARD -s fd00:30::3/128 -d fd00:30::2/128 -i br-dual "
							   "-p tcp -m tcp --dport 80" C(
								   "web6 0123456789ab\" -j ACCEPT"));
	check_str(rules(RULE_ADD_INPUT, "web4", 1, "--source . --dport 53"),
		  "4 DFW-INPUT -s 172.31.0.2/32 -d 172.31.0.1/32 -i br-v4only "
		  "-p tcp -m tcp --dport 53" C(
			  "web4 001122334455\" -j ACCEPT"));
	check_str(
		rules(RULE_ADD_INTERNAL, "web4", 1, "--source / --dport 80"),
		"4 DFW-FORWARD -s 172.31.0.1/32 -d 172.31.0.2/32 -i br-v4only "
		"-p tcp -m tcp --dport 80" C("web4 001122334455\" -j ACCEPT"));
	/* a literal source: anywhere it comes from */
	check_str(rules(RULE_ADD_INTERNAL, "web4", 1,
			"--source 10.99.0.2 --dport 80"),
		  "4 DFW-FORWARD -s 10.99.0.2/32 -d 172.31.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("web4 001122334455\" -j ACCEPT"));
	check_str(rules(RULE_ADD, "web4", 0, "--source 10.99.0.2 --dport 80"),
		  "4 DFW-FORWARD -s 10.99.0.2/32 -d 172.31.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("web4 001122334455\" -j DOCKER"));
	/* the user's -i */
	check_str(rules(RULE_ADD_INTERNAL, "web4", 1,
			"--source / --dport 80 --filter !~-i~br+"),
		  "4 DFW-FORWARD -s 172.31.0.1/32 -d 172.31.0.2/32 ! -i br+ "
		  "-p tcp -m tcp --dport 80" C(
			  "web4 001122334455\" -j ACCEPT"));
	/* a word -o takes is no -i: the bridge stays */
	check_str(
		rules(RULE_ADD_INTERNAL, "web4", 1,
		      "--source / --dport 80 --filter !~-o~-i"),
		"4 DFW-FORWARD -s 172.31.0.1/32 -d 172.31.0.2/32 -i br-v4only "
		"! -o -i -p tcp -m tcp --dport 80" C(
			"web4 001122334455\" -j ACCEPT"));
	/* by ID: the endpoint's network ID (another network's here) names
	 * the bridge, not its network's name */
	snprintf(v.nets[0].id, sizeof(v.nets[0].id), "%064d", 7);
	snprintf(v.nets[0].bridge, sizeof(v.nets[0].bridge), "br-byid");
	snprintf(v.ctrs[3]->nets[0].network_id,
		 sizeof(v.ctrs[3]->nets[0].network_id), "%064d", 7);
	check_str(rules(RULE_ADD_INPUT, "web4", 1, "--source . --dport 53"),
		  "4 DFW-INPUT -s 172.31.0.2/32 -d 172.31.0.1/32 -i br-byid "
		  "-p tcp -m tcp --dport 53" C(
			  "web4 001122334455\" -j ACCEPT"));
	/* a network the read does not hold (made and joined since): not
	 * applied unpinned */
	snprintf(v.ctrs[3]->nets[0].network_id,
		 sizeof(v.ctrs[3]->nets[0].network_id), "%064d", 8);
	check_str(rules(RULE_ADD_INPUT, "web4", 1, "--source . --dport 53"),
		  "error: network \"v4only\" of container \"web4\" is not "
		  "among the networks Docker listed (made since?): its bridge, "
		  "which the source comes in by, is unknown");
	/* ... nor does a literal source need it */
	check_str(rules(RULE_ADD_INTERNAL, "web4", 1,
			"--source 10.99.0.2 --dport 80"),
		  "4 DFW-FORWARD -s 10.99.0.2/32 -d 172.31.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("web4 001122334455\" -j ACCEPT"));
	view_free(&v);
}

static void test_literal_one_family(void)
{
	world();
	check_str(rules(RULE_ADD, "web6", 0, "--source fd99::2 --dport 80"),
		  "6 DFW-FORWARD -s fd99::2/128 -d fd00:30::2/128 -p tcp -m "
		  "tcp --dport 80" C("web6 0123456789ab\" -j DOCKER"));
	check_str(rules(RULE_ADD, "web6", 0,
			"--source 2001:db8::/32 "
			"--dport 80"),
		  "6 DFW-FORWARD -s 2001:db8::/32 -d fd00:30::2/128 -p tcp -m "
		  "tcp --dport 80" C("web6 0123456789ab\" -j DOCKER"));
	check_str(rules(RULE_ADD, "web6", 0, "--source 10.99.0.2 --dport 80"),
		  "4 DFW-FORWARD -s 10.99.0.2/32 -d 172.30.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("web6 0123456789ab\" -j DOCKER"));
	/* an IPv6 source for a container without an IPv6 address */
	check_str(rules(RULE_ADD_INTERNAL, "web4", 1,
			"--source fd99::2 "
			"--dport 80"),
		  "error: no IPv6 address on network \"v4only\"");
	view_free(&v);
}

static void test_rev_lookup6(void)
{
	world();
	/* a Docker address: the container holding it, with --rev-lookup */
	check_str(rules(RULE_ADD_INTERNAL, "web6", 1,
			"--source fd00:30::3 "
			"--dport 80"),
		  "error: --source \"fd00:30::3/128\" is an address of Docker "
		  "network \"dual\" (fd00:30::/64): name the container "
		  "instead, or add --rev-lookup");
	check_str(
		rules(RULE_ADD_INTERNAL, "web6", 1,
		      "--source fd00:30::3 "
		      "--dport 80 --rev-lookup"),
		"4 DFW-FORWARD -s 172.30.0.3/32 -d 172.30.0.2/32 -p tcp -m "
		"tcp --dport 80" C(
			"web6 0123456789ab\" -j ACCEPT\n") "6 DFW-FORWARD -s fd00:30::3/128 -d fd00:30::2/128 -p tcp "
							   "-m tcp --dport 80" C(
								   "web6 0123456789ab\" -j ACCEPT"));
	check_str(rules(RULE_ADD_INTERNAL, "web6", 1,
			"--source fd00:30::/120 "
			"--dport 80 --rev-lookup"),
		  "error: --source \"fd00:30::/120\": --rev-lookup maps one "
		  "address, not a network");
	check_str(rules(RULE_ADD_INTERNAL, "web6", 1,
			"--source fd00:30::99 "
			"--dport 80 --rev-lookup"),
		  "error: --source \"fd00:30::99\" (--rev-lookup): no "
		  "container holds it");
	check_str(rules(RULE_ADD_INTERNAL, "web6", 1,
			"--source fd00:30::2 "
			"--dport 80 --rev-lookup"),
		  "error: --source \"fd00:30::2\" is the container itself: "
		  "use \".\"");
	check_str(rules(RULE_ADD, "web6", 1,
			"--source fd00:30::3 "
			"--dport 80"),
		  "error: --source \"fd00:30::3/128\" is an address of Docker "
		  "network \"dual\" (fd00:30::/64): published ports open to "
		  "outside addresses; between containers, use add-internal");
	/* outside Docker's subnets: a plain outside address */
	check_str(rules(RULE_ADD_INTERNAL, "web6", 1,
			"--source fd00:31::3 "
			"--dport 80"),
		  "6 DFW-FORWARD -s fd00:31::3/128 -d fd00:30::2/128 -p tcp "
		  "-m tcp --dport 80" C("web6 0123456789ab\" -j ACCEPT"));
	view_free(&v);
}

static void test_filter_each_family(void)
{
	world();
	check_str(
		rules(RULE_ADD_INTERNAL, "web6", 1,
		      "--source peer6 "
		      "--dport 80 --filter -i~br0"),
		"4 DFW-FORWARD -s 172.30.0.3/32 -d 172.30.0.2/32 -i br0 -p "
		"tcp -m tcp --dport 80" C(
			"web6 0123456789ab\" -j ACCEPT\n") "6 DFW-FORWARD -s fd00:30::3/128 -d fd00:30::2/128 -i br0 "
							   "-p tcp -m tcp --dport 80" C(
								   "web6 0123456789ab\" "
								   "-j ACCEPT"));
	view_free(&v);
}

/* add with an IPv6 source: the userland proxy's path, an INPUT rule to
 * the HOST port per published port bound on IPv6 */
static void test_proxy_path(void)
{
	int i;

	world();
	publish("tcp", "0.0.0.0", 8081); /* web4 */
	publish("tcp", "::", 8081);
	check_str(rules(RULE_ADD, "web4", 1, "--source fd99::2 --dport 80"),
		  "6 DFW-INPUT -s fd99::2/128 -p tcp -m tcp --dport 8081" C(
			  "web4 001122334455\" -j ACCEPT"));
	check_str(rules(RULE_ADD, "web4", 1, "--source fd99::/64"),
		  "6 DFW-INPUT -s fd99::/64 -p tcp -m tcp --dport 8081" C(
			  "web4 001122334455\" -j ACCEPT"));
	/* another port, or udp: not published, so no path either */
	check_str(rules(RULE_ADD, "web4", 0, "--source fd99::2 --dport 81"),
		  "error: --source: an IPv6 address, and container \"web4\" "
		  "has no IPv6 address on network \"v4only\" nor a port "
		  "published on IPv6 for --dport (docker-proxy listens on "
		  "none): no IPv6 client reaches it");
	check_str(rules(RULE_ADD, "web4", 0,
			"--source fd99::2 --dport 80 "
			"--protocol udp"),
		  "error: --source: an IPv6 address, and container \"web4\" "
		  "has no IPv6 address on network \"v4only\" nor a port "
		  "published on IPv6 for --dport (docker-proxy listens on "
		  "none): no IPv6 client reaches it");
	/* an IPv4 source: DNAT, no proxy */
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.2 --dport 80"),
		  "4 DFW-FORWARD -s 10.99.0.2/32 -d 172.31.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("web4 001122334455\" -j DOCKER"));
	view_free(&v);
	/* a dual-stack container: FORWARD (DNAT) and the proxy's path (a
	 * Docker writing no ip6 rules) */
	world();
	for (i = 0; i + 1 < (int)v.nctrs; i++) /* web6 last, for publish */
		if (!strcmp(v.ctrs[i]->name, "web6")) {
			struct docker_container *t = v.ctrs[i];

			v.ctrs[i] = v.ctrs[v.nctrs - 1];
			v.ctrs[v.nctrs - 1] = t;
		}
	publish("tcp", "", 8080);
	check_str(
		rules(RULE_ADD, "web6", 1, "--source fd99::2 --dport 80"),
		"6 DFW-FORWARD -s fd99::2/128 -d fd00:30::2/128 -p tcp -m "
		"tcp --dport 80" C("web6 0123456789ab\" -j DOCKER\n") "6 DFW-INPUT -s fd99::2/128 -p tcp -m tcp --dport 8080" C(
			"web6 0123456789ab\" -j ACCEPT"));
	/* more ports than RESOLVE_PROXY_MAX without --dport */
	for (i = 0; i < RESOLVE_PROXY_MAX; i++)
		publish("tcp", "::", 9000 + i);
	check_str(rules(RULE_ADD, "web6", 1, "--source fd99::2"),
		  "error: container \"web6\" publishes more than 8 ports: "
		  "name one with --dport");
	view_free(&v);
}

/* Container port port/proto of the last container published on host
 * port hp at host address ip. */
static void publish_port(const char *proto, const char *ip, int hp, int port)
{
	publish(proto, ip, hp);
	v.ctrs[v.nctrs - 1]->ports[v.ctrs[v.nctrs - 1]->nports - 1].port =
		(uint16_t)port;
}

/* add can match only a container port published on an outside address,
 * of its protocol (filtering sees packets after Docker's DNAT) */
static void test_published(void)
{
	world(); /* web4 last: publish() gives it ports */
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3"),
		  "error: container \"web4\" publishes no tcp port (none "
		  "published): add opens published ports; between "
		  "containers, use add-internal");
	publish_port("tcp", "0.0.0.0", 8081, 80);
	publish_port("tcp", "::", 8081, 80);
	publish_port("udp", "0.0.0.0", 5353, 53);
	publish_port("tcp", "127.0.0.1", 8082, 81);
	publish_port("tcp", "::1", 8082, 81);
	publish_port("tcp", "127.0.0.1", 8083, 82);
	publish_port("tcp", "0.0.0.0", 8083, 82);
	/* the host port: the mapping and the port to use */
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3 --dport 8081"),
		  "error: --dport 8081: 8081 is published as 8081->80/tcp; "
		  "use --dport 80 (rules see the container port, after "
		  "Docker's DNAT)");
	check_str(rules(RULE_ADD, "web4", 1,
			"--source 10.99.0.3 --dport 5353 --protocol udp"),
		  "error: --dport 5353: 5353 is published as 5353->53/udp; "
		  "use --dport 53 (rules see the container port, after "
		  "Docker's DNAT)");
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3 --dport 5353"),
		  "error: --dport 5353: 5353 is published as 5353->53/udp; "
		  "use --dport 53 --protocol udp (rules see the container "
		  "port, after Docker's DNAT)");
	/* the wrong protocol */
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3 --dport 53"),
		  "error: --dport 53: container \"web4\" publishes 53/udp, "
		  "not 53/tcp; use --protocol udp");
	check_str(rules(RULE_ADD, "web4", 1,
			"--source 10.99.0.3 --dport 80 --protocol udp"),
		  "error: --dport 80: container \"web4\" publishes 80/tcp, "
		  "not 80/udp; use --protocol tcp");
	/* not published */
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3 --dport 99"),
		  "error: --dport 99: container \"web4\" publishes no port "
		  "99/tcp (its published ports: 8081->80/tcp, 5353->53/udp, "
		  "127.0.0.1:8082->81/tcp, [::1]:8082->81/tcp, "
		  "127.0.0.1:8083->82/tcp, 8083->82/tcp): add opens published "
		  "ports; between containers, use add-internal");
	/* on the loopback only: outside addresses never reach it */
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3 --dport 81"),
		  "error: container \"web4\" publishes 81/tcp on "
		  "127.0.0.1:8082 only, which no outside address reaches; "
		  "publish it on an outside address to open it");
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3 --dport 8082"),
		  "error: --dport 8082: 8082 is published as "
		  "127.0.0.1:8082->81/tcp; use --dport 81 (rules see the "
		  "container port, after Docker's DNAT)");
	/* without --dport a rule would open 81 to routed traffic */
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3"),
		  "error: container \"web4\" publishes 81/tcp on "
		  "127.0.0.1:8082 only, which no outside address reaches; "
		  "name the ports to open with --dport");
	/* on the loopback and on every address: reachable */
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3 --dport 82"),
		  "4 DFW-FORWARD -s 10.99.0.3/32 -d 172.31.0.2/32 -p tcp -m "
		  "tcp --dport 82" C("web4 001122334455\" -j DOCKER"));
	check_str(rules(RULE_ADD, "web4", 1,
			"--source 10.99.0.3 --dport 53 --protocol udp"),
		  "4 DFW-FORWARD -s 10.99.0.3/32 -d 172.31.0.2/32 -p udp -m "
		  "udp --dport 53" C("web4 001122334455\" -j DOCKER"));
	/* an IPv6 source: no proxy rule for the ::1 binding */
	check_str(rules(RULE_ADD, "web4", 0, "--source fd99::2 --dport 81"),
		  "error: --source: an IPv6 address, and container \"web4\" "
		  "has no IPv6 address on network \"v4only\" nor a port "
		  "published on IPv6 for --dport (docker-proxy listens on "
		  "none): no IPv6 client reaches it");
	/* add-internal and add-input are not about published ports */
	check_str(rules(RULE_ADD_INTERNAL, "web4", 1,
			"--source 10.99.0.3 --dport 99"),
		  "4 DFW-FORWARD -s 10.99.0.3/32 -d 172.31.0.2/32 -p tcp -m "
		  "tcp --dport 99" C("web4 001122334455\" -j ACCEPT"));
	check(resolve_host_only("127.0.0.1") &&
	      resolve_host_only("127.8.0.1") && resolve_host_only("::1") &&
	      resolve_host_only("::ffff:127.0.0.1") && !resolve_host_only("") &&
	      !resolve_host_only("0.0.0.0") && !resolve_host_only("::") &&
	      !resolve_host_only("10.99.0.1") &&
	      !resolve_host_only("128.0.0.1"));
	view_free(&v);
}

/* Puts the last container also on network name at ip (gateway gw, ""
 * none), with GwPriority prio. */
static void join(const char *name, const char *ip, const char *gw, int prio)
{
	struct docker_container *c = v.ctrs[v.nctrs - 1];
	struct docker_cnet *n;

	c->nets = realloc(c->nets, (c->nnets + 1) * sizeof(*n));
	check(c->nets != NULL);
	n = &c->nets[c->nnets++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->ip, sizeof(n->ip), "%s", ip);
	snprintf(n->gateway, sizeof(n->gateway), "%s", gw);
	n->gw_priority = prio;
}

/* A container on two networks: add rules go to the address Docker's
 * DNAT sends published ports to, its default gateway's endpoint */
static void test_port_net(void)
{
	world(); /* web4 on v4only, 172.31.0.2 */
	net("back", "172.32.0.0/24", "");
	net("zinternal", "172.33.0.0/24", "");
	net("ainternal", "172.34.0.0/24", "");
	v.nets[v.nnets - 1].internal = 1;
	publish_port("tcp", "0.0.0.0", 8081, 80);
	join("back", "172.32.0.2", "172.32.0.1", 0);
	/* the same priority: the network's name ("back" < "v4only") */
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3 --dport 80"),
		  "4 DFW-FORWARD -s 10.99.0.3/32 -d 172.32.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("web4 001122334455\" -j DOCKER"));
	check_str(rules(RULE_ADD, "web4", 1,
			"--source 10.99.0.3 --dport 80 --network back"),
		  "4 DFW-FORWARD -s 10.99.0.3/32 -d 172.32.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("web4 001122334455\" -j DOCKER"));
	check_str(rules(RULE_ADD, "web4", 1,
			"--source 10.99.0.3 --dport 80 --network v4only"),
		  "error: --network \"v4only\": Docker's DNAT sends the "
		  "published ports of container \"web4\" to its address on "
		  "network \"back\" (172.32.0.2), its default gateway's: a "
		  "rule on \"v4only\" never matches (use --network back, or "
		  "leave it out)");
	check_str(rules(RULE_ADD, "web4", 1,
			"--source 10.99.0.3 --dport 80 --network nosuch"),
		  "error: container \"web4\" is not on network \"nosuch\" (its "
		  "networks: \"v4only\", \"back\")");
	/* add-internal still needs --network */
	check_str(rules(RULE_ADD_INTERNAL, "web4", 1,
			"--source 10.99.0.3 --dport 80"),
		  "error: container \"web4\" is on several networks "
		  "(\"v4only\", \"back\"): name one with --network");
	/* an internal network publishes nothing, whatever its name */
	join("ainternal", "172.34.0.2", "", 0);
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3 --dport 80"),
		  "4 DFW-FORWARD -s 10.99.0.3/32 -d 172.32.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("web4 001122334455\" -j DOCKER"));
	/* a higher GwPriority wins over the name */
	join("zinternal", "172.33.0.2", "172.33.0.1", 10);
	check_str(rules(RULE_ADD, "web4", 1, "--source 10.99.0.3 --dport 80"),
		  "4 DFW-FORWARD -s 10.99.0.3/32 -d 172.33.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("web4 001122334455\" -j DOCKER"));
	view_free(&v);
}

/* Attaches the container named name to network net too, at ip. */
static void attach(const char *name, const char *net, const char *ip)
{
	struct docker_container *c = NULL;
	struct docker_cnet *n;
	size_t i;

	for (i = 0; i < v.nctrs; i++)
		if (!strcmp(v.ctrs[i]->name, name))
			c = v.ctrs[i];
	check(c != NULL);
	c->nets = realloc(c->nets, (c->nnets + 1) * sizeof(*c->nets));
	check(c->nets != NULL);
	n = &c->nets[c->nnets++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", net);
	snprintf(n->ip, sizeof(n->ip), "%s", ip);
}

/* The rule of a spec with made_on set, resolved: as rules() says. */
static const char *made_on(const char *name, const char *on, const char *args,
			   int *rc)
{
	struct resolve_out out[RESOLVE_MAX];
	struct rulespec r;
	struct strv w = { 0 };
	struct buf b = { 0 };
	struct err e;
	char *copy = strdup(args), *tok, *save = NULL;
	size_t n;

	for (tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		strv_add(&w, tok, strlen(tok));
	free(copy);
	check(rulespec_parse(&r, RULE_ADD_INTERNAL, (int)w.n, w.v, &e) == 0);
	strv_free(&w);
	check(rulespec_set_made_on(&r, on) == 0);
	*rc = resolve_rule(&v, 1, view_container(&v, name, 0, &e), &r, out,
			   NULL, &n, &e);
	if (*rc)
		snprintf(out_text, sizeof(out_text), "error: %s", e.msg);
	else
		fw_rule_format(&out[0].rule, &b);
	if (!*rc)
		snprintf(out_text, sizeof(out_text), "%s", b.data);
	buf_free(&b);
	rulespec_free(&r);
	return out_text;
}

/* The network a rule is made on: recorded by resolve_check, used by
 * resolve_rule while the containers are on it, and a rule the topology
 * leaves no network is RESOLVE_UNPLACED with a message naming why. */
static void test_made_on(void)
{
	const struct docker_container *c;
	struct rulespec r;
	struct err e;
	char *argv[] = { "--source", "peer6", "--dport", "5432" };
	int rc;

	world();
	net("back", "172.29.0.0/24", "");
	net("side", "172.28.0.0/24", "");
	/* one shared network: recorded */
	c = view_container(&v, "web6", 0, &e);
	check(rulespec_parse(&r, RULE_ADD_INTERNAL, 4, argv, &e) == 0);
	check(resolve_check(&v, c, &r, &e) == 0);
	check_str(r.made_on, "dual");
	rulespec_free(&r);
	/* --network: nothing recorded */
	{
		char *a2[] = { "--source", "peer6",	"--dport",
			       "5432",	   "--network", "dual" };

		check(rulespec_parse(&r, RULE_ADD_INTERNAL, 6, a2, &e) == 0);
		check(resolve_check(&v, c, &r, &e) == 0);
		check_str(r.made_on, "");
		rulespec_free(&r);
	}
	/* both on dual and back: made_on picks */
	attach("web6", "back", "172.29.0.2");
	attach("peer6", "back", "172.29.0.3");
	check_str(made_on("web6", "back", "--source peer6 --dport 5432", &rc),
		  "-s 172.29.0.3/32 -d 172.29.0.2/32 -p tcp -m tcp --dport "
		  "5432" C("web6 0123456789ab\" -j ACCEPT"));
	check(rc == 0);
	check_str(made_on("web6", "dual", "--source peer6 --dport 5432", &rc),
		  "-s 172.30.0.3/32 -d 172.30.0.2/32 -p tcp -m tcp --dport "
		  "5432" C("web6 0123456789ab\" -j ACCEPT"));
	/* none recorded (an older store): ambiguous, as before */
	check_str(made_on("web6", "", "--source peer6 --dport 5432", &rc),
		  "error: containers \"web6\" and \"peer6\" share several "
		  "networks (\"dual\", \"back\"): name one with --network");
	check(rc == RESOLVE_UNPLACED);
	/* made on a network they no longer share */
	check_str(made_on("web6", "side", "--source peer6 --dport 5432", &rc),
		  "error: containers \"web6\" and \"peer6\" share several "
		  "networks (\"dual\", \"back\") (the rule was made on "
		  "network \"side\", which they no longer share): name one "
		  "with --network");
	check(rc == RESOLVE_UNPLACED);
	/* --network of a network the peer is not on */
	check_str(rules(RULE_ADD_INTERNAL, "web6", 0,
			"--source old4 --dport 1 --network back"),
		  "error: container \"old4\" is not on network \"back\" "
		  "(its networks: \"dual\")");
	/* made on a network it left, one left: that one, as before */
	check_str(made_on("web4", "side", "--source 10.99.0.2 --dport 53", &rc),
		  "-s 10.99.0.2/32 -d 172.31.0.2/32 -p tcp -m tcp --dport "
		  "53" C("web4 001122334455\" -j ACCEPT"));
	check(rc == 0);
	view_free(&v);
}

/* A container in another's network stack stands for its addresses and
 * published ports; its rules keep its own comment; a peer in the same
 * stack, or a stack owner that is gone or stopped, is refused naming
 * both. */
static void test_stack(void)
{
	struct docker_container *vc;

	world();
	publish("tcp", "0.0.0.0", 8080); /* web4: 8080->80/tcp */
	ctr("5555555555550000", "vc",
	    "container:" ID_WEB4
	    "0000000000000000000000000000000000000000000000",
	    "", "", "", "");
	vc = v.ctrs[v.nctrs - 1];
	vc->nnets = 0;
	/* the owner by its ID (Docker 20.10 and 28.5 keep the ID) */
	snprintf(vc->network_mode, sizeof(vc->network_mode), "container:%s",
		 ID_WEB4);
	check_str(rules(RULE_ADD, "vc", 1, "--source 10.99.0.2 --dport 80"),
		  "4 DFW-FORWARD -s 10.99.0.2/32 -d 172.31.0.2/32 -p tcp -m "
		  "tcp --dport 80" C("vc 555555555555\" -j DOCKER"));
	/* web4's published ports are vc's */
	check_str(rules(RULE_ADD, "vc", 1, "--source 10.99.0.2 --dport 8080"),
		  "error: container \"vc\" runs in the network stack of "
		  "container \"web4\": --dport 8080: 8080 is published as "
		  "8080->80/tcp; use --dport 80 (rules see the container "
		  "port, after Docker's DNAT)");
	check_str(rules(RULE_ADD_INTERNAL, "web4", 1, "--source vc --dport 80"),
		  "error: containers \"web4\" and \"vc\" share one network "
		  "stack (container \"web4\"'s; network mode container:): "
		  "traffic between them stays inside it, where no firewall "
		  "rule applies");
	check_str(rules(RULE_ADD_INTERNAL, "vc", 1,
			"--source peer6 --dport 80"),
		  "error: container \"vc\" runs in the network stack of "
		  "container \"web4\": containers \"web4\" and \"peer6\" "
		  "share no network");
	/* the owner stopped */
	v.ctrs[3]->running = 0;
	check_str(rules(RULE_ADD, "vc", 0, "--source 10.99.0.2 --dport 80"),
		  "error: container \"vc\" runs in the network stack of "
		  "container \"web4\", which is not running");
	view_free(&v);
}

/*
 * The owner comment, written without printf (#18): what
 * snprintf(FW_COMMENT " %.*s%s %.12s") wrote, a long name cut (not
 * inside a UTF-8 character) with "...", within FW_COMMENT_MAX bytes.
 */
static void test_owner_comment(void)
{
	static const char id[] = "0123456789abcdef0123";
	char out[256], want[600], name[300];
	struct err e;
	size_t n, len;

	check(resolve_owner_comment(out, "web", id, &e) == 0);
	check_str(out, "docker-fw web 0123456789ab");
	for (n = 1; n < sizeof(name); n += 7) {
		memset(name, 'a', n);
		name[n] = 0;
		if (n > 3)
			memcpy(name + n / 2 - 1, "\xc3\xa9",
			       2); /* an e-acute */
		check(resolve_owner_comment(out, name, id, &e) == 0);
		len = strlen(out);
		check(len <= FW_COMMENT_MAX);
		if (n <= FW_COMMENT_MAX - (sizeof("docker-fw ") - 1 + 13)) {
			snprintf(want, sizeof(want), "docker-fw %s %.12s", name,
				 id);
			check_str(out, want);
		} else {
			check(!strcmp(out + len - 16, "... 0123456789ab"));
			check(!strncmp(out, "docker-fw aaa", 13));
		}
	}
	check(resolve_owner_comment(out, "", id, &e) == -1);
	check(resolve_owner_comment(out, "a\tb", id, &e) == -1);
	check(resolve_owner_comment(out, "web", "xyz", &e) == -1);
}

UNIT_TESTS(T(test_container_both_families) T(test_gateway_each_family) T(
	test_source_bridge) T(test_literal_one_family) T(test_rev_lookup6)
		   T(test_filter_each_family) T(test_proxy_path)
			   T(test_published) T(test_port_net) T(test_made_on)
				   T(test_stack) T(test_owner_comment))
