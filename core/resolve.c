/*
 * resolve.c - rule specs and the Docker view -> the kernel rules wanted
 * now; owner comments; the canonical form of a --filter.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/resolve.h"

int resolve_beyond_subset(const struct rulespec *r)
{
	struct fw_rule t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	t.proto = r->proto;
	return r->filter.n &&
	       fw_rule_filter(&t, r->filter.v, r->filter.n, 0, NULL);
}

/* The --filter words as given, for messages. */
static void filter_text(const struct strv *f, struct buf *out)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if ((i && buf_adds(out, " ")) || rulespec_quote(f->v[i], out))
			return;
}

int resolve_same_spec(const struct fw_rule *want,
		      const struct fw_rule *canonical)
{
	const unsigned keep = FW_INV_SRC | FW_INV_DST |
			      (*want->in ? FW_INV_IN : 0) |
			      (*want->out ? FW_INV_OUT : 0);

	return want->family == canonical->family &&
	       !memcmp(want->src, canonical->src, 16) &&
	       !memcmp(want->smsk, canonical->smsk, 16) &&
	       !memcmp(want->dst, canonical->dst, 16) &&
	       !memcmp(want->dmsk, canonical->dmsk, 16) &&
	       (want->inv & keep) == (canonical->inv & keep) &&
	       want->proto == canonical->proto &&
	       (!want->sport || want->sport == canonical->sport) &&
	       (!want->dport || want->dport == canonical->dport) &&
	       (!*want->in || !strcmp(want->in, canonical->in)) &&
	       (!*want->out || !strcmp(want->out, canonical->out)) &&
	       want->comment == canonical->comment &&
	       !strcmp(want->target, canonical->target);
}

/* ---- owner comments ---------------------------------------------------- */

const char *const resolve_chains[RESOLVE_NCHAINS] = {
	FW_CHAIN_FORWARD,
	FW_CHAIN_INPUT,
};

/* The bytes of "docker-fw NAME ID12" around NAME. */
#define OWNER_FIXED (sizeof(FW_COMMENT " ") - 1 + 1 + 12)

/* The comment's text is described in resolve.h. */
int resolve_owner_comment(char out[256], const char *name, const char *id,
			  struct err *e)
{
	size_t len = strlen(name), i;
	const char *dots = "";
	char esc[100], eid[80], *p;

	for (i = 0; i < 12; i++)
		if (!isxdigit((unsigned char)id[i]))
			return err_set(e, EXIT_RUNTIME,
				       "container \"%s\": "
				       "its ID \"%s\" is not hexadecimal",
				       str_escape(esc, sizeof(esc), name),
				       str_escape(eid, sizeof(eid), id));
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return err_set(e, EXIT_RUNTIME,
				       "container \"%s\" "
				       "(%.12s): its name holds a control "
				       "character, which no rule's comment "
				       "may hold",
				       str_escape(esc, sizeof(esc), name), id);
	if (!len)
		return err_set(e, EXIT_RUNTIME, "container %.12s has no name",
			       id);
	if (len > FW_COMMENT_MAX - OWNER_FIXED) {
		len = FW_COMMENT_MAX - OWNER_FIXED - 3;
		while (len && ((unsigned char)name[len] & 0xc0) == 0x80)
			len--; /* not inside a UTF-8 character */
		dots = "...";
	}
	/* FW_COMMENT " %.*s%s %.12s" without printf: once a rule (#18);
	 * at most 255 bytes (len is cut above), id's 12 are hex digits */
	memcpy(out, FW_COMMENT " ", sizeof(FW_COMMENT " ") - 1);
	p = out + sizeof(FW_COMMENT " ") - 1;
	memcpy(p, name, len);
	p += len;
	memcpy(p, dots, strlen(dots));
	p += strlen(dots);
	*p++ = ' ';
	memcpy(p, id, 12);
	p[12] = 0;
	return 0;
}

/* r's comment: c's owner comment (interned). 0, or -1 with e. */
static int owner_comment(struct fw_rule *r, const struct docker_container *c,
			 struct err *e)
{
	char cm[256];

	if (resolve_owner_comment(cm, c->name, c->id, e))
		return -1;
	if (fw_set_comment(r, cm))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

const char *resolve_rule_owner(const struct fw_rule *r,
			       const struct resolve_owner *v, size_t n)
{
	const size_t pre = sizeof(FW_COMMENT " ") - 1;
	const char *cm = fw_comment(r);
	const char *sp = strrchr(cm, ' ');
	char old[256];
	size_t i;

	if (r->foreign || strncmp(cm, FW_COMMENT " ", pre))
		return NULL;
	for (i = 1; sp && sp > cm + pre && i <= 12; i++)
		if (!isxdigit((unsigned char)sp[i]))
			break;
	if (sp && sp > cm + pre && i == 13 && !sp[13])
		return sp + 1;
	if (strlen(cm) != FW_COMMENT_MAX)
		return NULL;
	for (i = 0; i < n; i++) {
		snprintf(old, sizeof(old), FW_COMMENT " %s %.12s", v[i].name,
			 v[i].id);
		if (!strcmp(old, cm))
			return v[i].id;
	}
	return "-";
}

int resolve_comment_names(const char *comment, const char *name)
{
	char want[256];
	struct err e;
	size_t len;

	if (!*name || resolve_owner_comment(want, name, "000000000000", &e))
		return 0;
	len = strlen(want) - 12; /* "docker-fw NAME " */
	return strlen(comment) == len + 12 && !strncmp(comment, want, len);
}

/* ---- rule spec -> kernel rule ----------------------------------------- */

/* An address of family in text into addr/mask as one host (/32, /128):
 * 0, or -1 when s is "" or not one. */
static int host_addr(int family, const char *s, uint8_t addr[16],
		     uint8_t mask[16])
{
	uint8_t a[16] = { 0 };

	if (!s || !*s || inet_pton(family, s, a) != 1)
		return -1;
	memcpy(addr, a, 16);
	memset(mask, 0, 16);
	memset(mask, 0xff, family == AF_INET6 ? 16 : 4);
	return 0;
}

static const char *fam_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* One side (--source or --dest) of a rule of family. */
static int side(int family, const struct addr_spec *a,
		const struct docker_cnet *own, const char *netname,
		const struct docker_container *peer, uint8_t addr[16],
		uint8_t mask[16], const char *opt, struct err *e)
{
	const int v6 = family == AF_INET6;
	const struct docker_cnet *pn;

	switch (a->kind) {
	case ADDR_SELF:
		if (host_addr(family, v6 ? own->ip6 : own->ip, addr, mask))
			return err_set(e, EXIT_USAGE,
				       "no %s address on "
				       "network \"%s\"",
				       fam_name(family), netname);
		return 0;
	case ADDR_GATEWAY:
		if (host_addr(family, v6 ? own->gateway6 : own->gateway, addr,
			      mask))
			return err_set(e, EXIT_USAGE,
				       "%s \"/\": network "
				       "\"%s\" has no %s gateway",
				       opt, netname, fam_name(family));
		return 0;
	case ADDR_CIDR:
		if (a->family != family)
			break;
		if (v6) {
			int i;

			memcpy(addr, a->ip6, 16);
			memset(mask, 0, 16);
			for (i = 0; i < a->prefix; i++)
				mask[i / 8] |= 0x80 >> (i % 8);
		} else {
			fw_set_ip4(addr, mask, a->ip, a->prefix);
		}
		return 0;
	case ADDR_CONTAINER:
		pn = view_cnet(peer, netname);
		if (!pn || host_addr(family, v6 ? pn->ip6 : pn->ip, addr, mask))
			return err_set(e, EXIT_USAGE,
				       "%s \"%s\": no %s "
				       "address on network \"%s\"",
				       opt, a->name, fam_name(family), netname);
		return 0;
	case ADDR_NONE:
		break;
	}
	return err_set(e, EXIT_USAGE,
		       a->kind == ADDR_CIDR ? "%s: an %s "
					      "address, in a rule of %s" :
					      "%s missing",
		       opt, fam_name(a->family), fam_name(family));
}

/*
 * Whether the source of spec r is an address of a container's network:
 * a peer's, the container's own ("."), the network's gateway ("/").
 * Its packets come in by that network's bridge only; anywhere else they
 * are forged (a container with NET_RAW, Docker's default, writes any
 * source address; so does a host on the outside link, where Docker 20.10
 * routes to containers' addresses).
 */
static int src_on_bridge(const struct rulespec *r)
{
	return r->src.kind == ADDR_CONTAINER || r->src.kind == ADDR_SELF ||
	       r->src.kind == ADDR_GATEWAY;
}

/*
 * -i BRIDGE into rule fr of spec r (and into base, fr without its
 * --filter, when not NULL), the rule of network n of container cs, whose
 * bridge is br ("" another driver's network; NULL one the run's read of
 * the networks does not hold, made since): a source on the network comes
 * in by its bridge only, unless the --filter named -i itself. 0, or -1
 * with e set (EXIT_RUNTIME: br NULL; the rule is not made unpinned).
 */
static int pin_bridge(const struct rulespec *r, const char *br,
		      const struct docker_cnet *n,
		      const struct docker_container *cs, struct fw_rule *fr,
		      struct fw_rule *base, struct err *e)
{
	if (!src_on_bridge(r) || *fr->in)
		return 0;
	if (!br)
		return err_set(e, EXIT_RUNTIME,
			       "network \"%s\" of container \"%s\" is not "
			       "among the networks Docker listed (made "
			       "since?): its bridge, which the source comes "
			       "in by, is unknown",
			       n->name, cs->name);
	memcpy(fr->in, br, strlen(br) + 1);
	if (base)
		memcpy(base->in, br, strlen(br) + 1);
	return 0;
}

/* The rule of family of spec r of container c on its network n and its
 * peer (NULL: none). */
static int resolve_fam(int family, const struct docker_container *c,
		       const struct docker_cnet *n,
		       const struct docker_container *peer,
		       const struct rulespec *r, struct fw_rule *out,
		       struct err *e)
{
	memset(out, 0, sizeof(*out));
	out->family = family;
	if (side(family, &r->src, n, n->name, peer, out->src, out->smsk,
		 "--source", e) ||
	    side(family, &r->dst, n, n->name, peer, out->dst, out->dmsk,
		 "--dest", e))
		return -1;
	out->proto = r->proto;
	out->sport = r->sport;
	out->dport = r->dport;
	if (owner_comment(out, c, e))
		return -1;
	/* both fit: no printf once a rule */
	memcpy(out->target, r->action == RULE_ADD ? "DOCKER" : "ACCEPT",
	       sizeof("ACCEPT"));
	return 0;
}

/*
 * The families a spec gives rules in: a literal address is one family
 * (both sides literal: the same one); else IPv4 when c has an IPv4
 * address on n (its rule must be made), IPv6 when c has an IPv6 one
 * (made when the other side has an address of it too: a peer or a
 * gateway without one leaves it out). want[k] for families[k]: 0 none,
 * 1 must, 2 when it can.
 */
static int spec_families(const struct rulespec *r, const struct docker_cnet *n,
			 int want[2], struct err *e)
{
	int lit = r->src.kind == ADDR_CIDR ? r->src.family :
		  r->dst.kind == ADDR_CIDR ? r->dst.family :
					     0;

	if (r->src.kind == ADDR_CIDR && r->dst.kind == ADDR_CIDR &&
	    r->src.family != r->dst.family)
		return err_set(e, EXIT_USAGE,
			       "--source is an %s address and "
			       "--dest an %s one: a rule is of one family",
			       fam_name(r->src.family),
			       fam_name(r->dst.family));
	if (lit) {
		want[0] = lit == AF_INET;
		want[1] = lit == AF_INET6;
		return 0;
	}
	want[0] = *n->ip || !*n->ip6; /* its error says what is missing */
	want[1] = *n->ip6 ? (want[0] ? 2 : 1) : 0;
	return 0;
}

/* Whether published port b is bound on IPv6 (docker-proxy listens on
 * [::]:PORT, or on that IPv6 address). */
static int bound6(const struct docker_port *b)
{
	return b->host_port && (!*b->host_ip || strchr(b->host_ip, ':')) &&
	       !resolve_host_only(b->host_ip);
}

/* The INPUT rules of the userland proxy's path of add spec r (an IPv6
 * source) of c into out[0..*n) (resolve.h). */
static int proxy_rules(const struct docker_container *c,
		       const struct docker_container *cs,
		       const struct rulespec *r, struct resolve_out *out,
		       size_t *n, struct err *e)
{
	const char *proto = r->proto == IPPROTO_UDP ? "udp" : "tcp";
	size_t i, k;

	*n = 0;
	for (i = 0; i < cs->nports; i++) {
		const struct docker_port *b = &cs->ports[i];
		struct fw_rule *fr;

		if (!bound6(b) || strcmp(b->proto, proto) ||
		    (r->dport && b->port != r->dport))
			continue;
		for (k = 0; k < *n; k++)
			if (out[k].rule.dport == b->host_port)
				break;
		if (k < *n)
			continue; /* [::] and "" for one port */
		if (*n == RESOLVE_PROXY_MAX)
			return err_set(e, EXIT_USAGE,
				       "container \"%s\" "
				       "publishes more than %d ports: name one "
				       "with --dport",
				       cs->name, RESOLVE_PROXY_MAX);
		fr = &out[*n].rule;
		memset(fr, 0, sizeof(*fr));
		fr->family = AF_INET6;
		memcpy(fr->src, r->src.ip6, 16);
		for (k = 0; k < (size_t)r->src.prefix; k++)
			fr->smsk[k / 8] |= 0x80 >> (k % 8);
		fr->proto = r->proto;
		fr->sport = r->sport;
		fr->dport = b->host_port;
		if (owner_comment(fr, c, e))
			return -1;
		snprintf(fr->target, sizeof(fr->target), "ACCEPT");
		out[*n].family = AF_INET6;
		out[(*n)++].chain = RESOLVE_INPUT;
	}
	return 0;
}

/* Adds the --filter of r to the rule fr (iptc_only: the libiptc subset
 * only). 0, or -1 with e set. */
static int add_filter(const struct rulespec *r, int iptc_only,
		      struct fw_rule *fr, struct err *e)
{
	struct err se;

	if (!r->filter.n ||
	    !fw_rule_filter(fr, r->filter.v, r->filter.n, 0, &se))
		return 0;
	if (iptc_only) {
		*e = se;
		return -1;
	}
	return fw_rule_filter(fr, r->filter.v, r->filter.n, 1, e);
}

/*
 * The network a spec r of c uses, with *cs and *ps the containers whose
 * network stacks c and its peer (NULL: none) use (view_stack). NULL with
 * e set; *unplaced set when the topology leaves the rule no network (c
 * not on its --network, on several without one to pick, no network
 * shared with the peer).
 */
static const struct docker_cnet *rule_net(struct view *v,
					  const struct docker_container *c,
					  const struct rulespec *r,
					  const struct docker_container **cs,
					  const struct docker_container **ps,
					  int *unplaced, struct err *e)
{
	const struct addr_spec *pa = r->src.kind == ADDR_CONTAINER ? &r->src :
				     r->dst.kind == ADDR_CONTAINER ? &r->dst :
								     NULL;
	const struct docker_container *peer = NULL;
	const struct docker_cnet *net;

	*unplaced = 0;
	*ps = NULL;
	if (!c->running) {
		err_set(e, EXIT_USAGE, "container \"%s\" is not running",
			c->name);
		return NULL;
	}
	if (pa) {
		peer = view_container(v, pa->name, 0, e);
		if (!peer)
			return NULL;
		if (!peer->running) {
			err_set(e, EXIT_USAGE,
				"container \"%s\" is not running", peer->name);
			return NULL;
		}
	}
	*cs = view_stack(v, c, e);
	if (!*cs || (peer && !(*ps = view_stack(v, peer, e))))
		return NULL;
	if (peer && !strcmp((*cs)->id, (*ps)->id)) {
		err_set(e, EXIT_USAGE,
			"containers \"%s\" and \"%s\" share one network "
			"stack (container \"%s\"'s; network mode "
			"container:): traffic between them stays inside it, "
			"where no firewall rule applies",
			c->name, peer->name, (*cs)->name);
		return NULL;
	}
	/* published ports are reached after Docker's DNAT, on the network
	 * it sends them to (before the one an add rule was made on) */
	net = r->action == RULE_ADD ?
		      view_port_net(v, *cs, r->network, e) :
		      view_pick_net(*cs, r->network, *ps, r->made_on, e);
	if (!net) {
		*unplaced = e->code == EXIT_USAGE;
		if (*cs != c)
			err_wrap(e,
				 "container \"%s\" runs in the network "
				 "stack of container \"%s\"",
				 c->name, (*cs)->name);
		else if (peer && *ps != peer)
			err_wrap(e,
				 "container \"%s\" runs in the network "
				 "stack of container \"%s\"",
				 peer->name, (*ps)->name);
	}
	return net;
}

int resolve_rule(struct view *v, int iptc_only,
		 const struct docker_container *c, const struct rulespec *r,
		 struct resolve_out out[RESOLVE_MAX],
		 struct fw_rule base[RESOLVE_MAX], size_t *n, struct err *e)
{
	static const int families[2] = { AF_INET, AF_INET6 };
	const struct docker_container *peer = NULL, *cs = NULL;
	const struct docker_cnet *net;
	struct resolve_out proxy[RESOLVE_PROXY_MAX];
	size_t nproxy = 0, k;
	struct err fe;
	const char *br;
	int want[2], unplaced;

	*n = 0;
	net = rule_net(v, c, r, &cs, &peer, &unplaced, e);
	if (!net)
		return unplaced ? RESOLVE_UNPLACED : -1;
	br = "";
	if (src_on_bridge(r)) {
		if (view_networks(v, e))
			return -1;
		br = view_bridge(v, net); /* NULL: a network made since */
	}
	if (spec_families(r, net, want, e))
		return -1;
	if (r->action == RULE_ADD && r->src.kind == ADDR_CIDR &&
	    r->src.family == AF_INET6) {
		if (proxy_rules(c, cs, r, proxy, &nproxy, e))
			return -1;
		if (nproxy)
			want[1] = 2; /* the proxy's path is enough */
		else if (!*net->ip6)
			return err_set(
				e, EXIT_USAGE,
				"--source: an IPv6 "
				"address, and container \"%s\" has no "
				"IPv6 address on network \"%s\" nor a "
				"port published on IPv6%s (docker-proxy "
				"listens on none): no IPv6 client reaches "
				"it",
				cs->name, net->name,
				r->dport ? " for --dport" : "");
	}
	for (k = 0; k < 2 + nproxy; k++) {
		struct fw_rule *fr = &out[*n].rule;

		if (k >= 2) {
			out[*n] = proxy[k - 2];
		} else if (!want[k]) {
			continue;
		} else if (resolve_fam(families[k], c, net, peer, r, fr, &fe)) {
			if (want[k] == 2)
				continue; /* no IPv6 on the other side */
			*e = fe;
			*n = 0;
			return -1;
		} else {
			out[*n].family = families[k];
			out[*n].chain = r->action == RULE_ADD_INPUT ?
						RESOLVE_INPUT :
						RESOLVE_FORWARD;
		}
		if (base)
			base[*n] = *fr;
		if (add_filter(r, iptc_only, fr, e) ||
		    pin_bridge(r, br, net, cs, fr, base ? &base[*n] : NULL,
			       e)) {
			*n = 0;
			return -1;
		}
		(*n)++;
	}
	return 0;
}

/* a->name = the pooled copy of name: 0, or -1 with e set (EXIT_RUNTIME,
 * out of memory) and a unchanged. */
static int set_name(struct addr_spec *a, const char *name, struct err *e)
{
	const char *p = rulespec_intern(name);

	if (!p)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	a->name = p;
	return 0;
}

static int check_side(struct view *v, const struct docker_container *c,
		      struct rulespec *r, struct addr_spec *a, const char *opt,
		      struct err *e)
{
	const struct docker_network *n;
	const struct docker_container *p;
	const char *subnet = NULL;
	uint8_t addr[16];
	char s[64];

	if (a->kind == ADDR_CONTAINER) {
		p = view_container(v, a->name, 0, e);
		if (!p)
			return err_wrap(e, "%s", opt);
		if (!strcmp(p->id, c->id))
			return err_set(e, EXIT_USAGE,
				       "%s \"%s\" is the "
				       "container itself: use \".\"",
				       opt, a->name);
		return set_name(a, p->name, e);
	}
	if (a->kind != ADDR_CIDR)
		return 0;
	memset(addr, 0, sizeof(addr));
	if (a->family == AF_INET6)
		memcpy(addr, a->ip6, 16);
	else
		memcpy(addr, &a->ip, 4);
	n = view_net_of(v, a->family, addr, a->prefix, &subnet);
	if (!n)
		return 0;
	inet_ntop(a->family, addr, s, sizeof(s));
	/* add and allow open published ports to outside addresses: a
	 * container named there is refused too, so no hint at either */
	if (r->action == RULE_ADD)
		return err_set(e, EXIT_USAGE,
			       "%s \"%s/%d\" is an address of "
			       "Docker network \"%s\" (%s): published ports "
			       "open to outside addresses; between containers, "
			       "use add-internal",
			       opt, s, a->prefix, n->name, subnet);
	if (!r->rev_lookup)
		return err_set(e, EXIT_USAGE,
			       "%s \"%s/%d\" is an address of "
			       "Docker network \"%s\" (%s): name the container "
			       "instead, or add --rev-lookup",
			       opt, s, a->prefix, n->name, subnet);
	if (a->prefix != (a->family == AF_INET6 ? 128 : 32))
		return err_set(e, EXIT_USAGE,
			       "%s \"%s/%d\": --rev-lookup "
			       "maps one address, not a network",
			       opt, s, a->prefix);
	p = view_holder(v, a->family, addr, e);
	if (!p)
		return err_wrap(e, "%s \"%s\" (--rev-lookup)", opt, s);
	if (!strcmp(p->id, c->id))
		return err_set(e, EXIT_USAGE,
			       "%s \"%s\" is the container "
			       "itself: use \".\"",
			       opt, s);
	if (set_name(a, p->name, e))
		return -1;
	a->kind = ADDR_CONTAINER;
	return 0;
}

int resolve_canon(const struct fw_env *env, int may_write, struct rulespec *r,
		  const struct fw_rule *base, struct fw_rule *fr, int chain,
		  struct err *e)
{
	struct strv words = { 0 };
	struct fw_probe pr;
	struct buf ft = { 0 }, rt = { 0 };
	struct fw_rule t = *base;
	size_t i;
	int rc = -1;

	memset(&pr, 0, sizeof(pr));
	pr.rule = *fr;
	pr.input = chain == RESOLVE_INPUT;
	if (fw_nft_canon(env, fr->family, &pr, 1, may_write, e))
		return -1;
	filter_text(&r->filter, &ft);
	if (pr.failed) {
		err_set(e, EXIT_USAGE,
			"--filter \"%.200s\": iptables "
			"refused it: %s",
			ft.data ? ft.data : "", pr.why);
		goto out;
	}
	if (!resolve_same_spec(fr, &pr.rule)) {
		fw_rule_format(&pr.rule, &rt);
		err_set(e, EXIT_USAGE,
			"--filter \"%.100s\": iptables-nft "
			"makes the rule `%.250s`, not the one --source, "
			"--dest, --sport and --dport say",
			ft.data ? ft.data : "", rt.data ? rt.data : "");
		goto out;
	}
	*fr = pr.rule;
	rc = 0;
	if (fw_filter_words(fr, base, &words) || !words.n ||
	    fw_rule_filter(&t, words.v, words.n, 1, NULL) ||
	    !fw_rule_equal(&t, fr))
		goto out; /* kept as given: probed when needed */
	for (i = 0; i < words.n; i++)
		if (filter_forbidden(words.v[i]))
			goto out; /* ls output must stay valid input */
	strv_free(&r->filter);
	r->filter = words;
	memset(&words, 0, sizeof(words));
out:
	strv_free(&words);
	buf_free(&ft);
	buf_free(&rt);
	return rc;
}

/* ---- rules that can match: published ports ---------------------------- */

int resolve_host_only(const char *ip)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, ip, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

/* Whether b is bound on every address of its family ("", 0.0.0.0, ::). */
static int wildcard(const struct docker_port *b)
{
	return !*b->host_ip || !strcmp(b->host_ip, "0.0.0.0") ||
	       !strcmp(b->host_ip, "::");
}

/* "HOSTIP:HOSTPORT" of binding b ("[::1]:8081" for IPv6; "8081" on every
 * address), for messages. */
static void binding_text(const struct docker_port *b, char *out, size_t len)
{
	if (wildcard(b))
		snprintf(out, len, "%u", b->host_port);
	else if (strchr(b->host_ip, ':'))
		snprintf(out, len, "[%s]:%u", b->host_ip, b->host_port);
	else
		snprintf(out, len, "%s:%u", b->host_ip, b->host_port);
}

/* Appends c's published ports as "HOST->PORT/PROTO, ...", for messages
 * (a port on 0.0.0.0 and :: once). */
static void published_list(const struct docker_container *c, struct buf *out)
{
	char t[80];
	size_t i, j;

	for (i = 0; i < c->nports; i++) {
		const struct docker_port *b = &c->ports[i];

		if (!b->host_port)
			continue;
		for (j = 0; j < i; j++)
			if (c->ports[j].port == b->port &&
			    c->ports[j].host_port == b->host_port &&
			    !strcmp(c->ports[j].proto, b->proto) &&
			    wildcard(&c->ports[j]) && wildcard(b))
				break;
		if (j < i)
			continue;
		binding_text(b, t, sizeof(t));
		if ((out->len && buf_adds(out, ", ")) ||
		    buf_printf(out, "%s->%u/%s", t, b->port, b->proto))
			return;
	}
}

/*
 * Whether add spec r of c can match: Docker's DNAT has turned the host
 * port into the container port before DOCKER-USER sees the packet, so
 * --dport must be a container port c publishes, with r's protocol, on an
 * address outside hosts reach (not a loopback one); without --dport, c
 * must publish a port of r's protocol, and none on a loopback address
 * only (the rule would open it to routed traffic). 0, or -1 with e set
 * (EXIT_USAGE naming the mapping and what to use).
 */
static int check_published(const struct docker_container *c,
			   const struct rulespec *r, struct err *e)
{
	const char *proto = r->proto == IPPROTO_UDP ? "udp" : "tcp";
	const struct docker_port *host = NULL, *other = NULL, *local = NULL;
	struct buf l = { 0 };
	char t[80];
	size_t i, j;
	int any = 0;

	for (i = 0; i < c->nports; i++) {
		const struct docker_port *b = &c->ports[i];
		int same = !strcmp(b->proto, proto), reach = 0;

		if (!b->host_port)
			continue; /* exposed only */
		if (r->dport && b->port != r->dport) {
			if (b->host_port == r->dport &&
			    (!host || (same && strcmp(host->proto, proto))))
				host = b;
			continue;
		}
		if (!same) {
			other = other ? other : b;
			continue;
		}
		/* the port, reached on an outside address? */
		for (j = 0; j < c->nports; j++)
			if (c->ports[j].host_port &&
			    c->ports[j].port == b->port &&
			    !strcmp(c->ports[j].proto, proto) &&
			    !resolve_host_only(c->ports[j].host_ip))
				reach = 1;
		if (reach)
			any = 1;
		else if (!local)
			local = b;
	}
	if (local) {
		binding_text(local, t, sizeof(t));
		return err_set(e, EXIT_USAGE,
			       "container \"%s\" publishes %u/%s on %s only, "
			       "which no outside address reaches; %s",
			       c->name, local->port, proto, t,
			       r->dport ?
				       "publish it on an outside address "
				       "to open it" :
				       "name the ports to open with --dport");
	}
	if (any)
		return 0;
	if (host) {
		binding_text(host, t, sizeof(t));
		return err_set(e, EXIT_USAGE,
			       "--dport %u: %u is published as %s->%u/%s; use "
			       "--dport %u%s%s (rules see the container port, "
			       "after Docker's DNAT)",
			       r->dport, r->dport, t, host->port, host->proto,
			       host->port,
			       strcmp(host->proto, proto) ? " --protocol " : "",
			       strcmp(host->proto, proto) ? host->proto : "");
	}
	if (other && r->dport)
		return err_set(e, EXIT_USAGE,
			       "--dport %u: container \"%s\" publishes "
			       "%u/%s, not %u/%s; use --protocol %s",
			       r->dport, c->name, other->port, other->proto,
			       other->port, proto, other->proto);
	published_list(c, &l);
	if (r->dport)
		err_set(e, EXIT_USAGE,
			"--dport %u: container \"%s\" publishes no port "
			"%u/%s (%s%s): add opens published ports; between "
			"containers, use add-internal",
			r->dport, c->name, r->dport, proto,
			l.data ? "its published ports: " : "none published",
			l.data ? l.data : "");
	else
		err_set(e, EXIT_USAGE,
			"container \"%s\" publishes no %s port (%s%s)%s%s",
			c->name, proto,
			l.data ? "its published ports: " : "none published",
			l.data ? l.data : "",
			other ? "; use --protocol " :
				": add opens published "
				"ports; between "
				"containers, use "
				"add-internal",
			other ? other->proto : "");
	buf_free(&l);
	return -1;
}

/* ---- checks of a new spec ---------------------------------------------- */

int resolve_check(struct view *v, const struct docker_container *c,
		  struct rulespec *r, struct err *e)
{
	if (!c->running)
		return err_set(e, EXIT_USAGE,
			       "container \"%s\" is not "
			       "running: its rules need its address",
			       c->name);
	if (view_networks(v, e) ||
	    check_side(v, c, r, &r->src, "--source", e) ||
	    check_side(v, c, r, &r->dst, "--dest", e))
		return -1;
	if (r->src.kind == ADDR_CONTAINER && r->dst.kind == ADDR_CONTAINER)
		return err_set(e, EXIT_USAGE,
			       "--source and --dest cannot both "
			       "be containers: one is \".\"");
	if (r->action == RULE_ADD_INPUT && r->src.kind != ADDR_SELF)
		return err_set(e, EXIT_USAGE,
			       "add-input opens the container "
			       "to the host: --source must be \".\"");
	if (r->action == RULE_ADD_INPUT && r->dst.kind == ADDR_CONTAINER)
		return err_set(e, EXIT_USAGE,
			       "add-input opens the container "
			       "to the host: --dest \"%s\" is a container (use "
			       "add-internal)",
			       r->dst.name);
	if (r->action == RULE_ADD && r->src.kind == ADDR_GATEWAY)
		return err_set(e, EXIT_USAGE,
			       "add opens the container's "
			       "published ports to outside addresses: --source "
			       "\"/\" is the host");
	if (r->action == RULE_ADD && r->dst.kind != ADDR_SELF)
		return err_set(e, EXIT_USAGE,
			       "add opens the container's "
			       "published ports to --source: --dest must be "
			       "\".\"");
	if (r->action == RULE_ADD && r->src.kind == ADDR_CONTAINER)
		return err_set(e, EXIT_USAGE,
			       "--source \"%s\" is a container: "
			       "between containers, use add-internal",
			       r->src.name);
	if (r->action == RULE_ADD) {
		/* the ports of the stack c runs in (container:X: X's) */
		const struct docker_container *cs = view_stack(v, c, e);

		if (!cs)
			return -1;
		if (check_published(cs, r, e)) {
			if (cs != c)
				err_wrap(e,
					 "container \"%s\" runs in the network "
					 "stack of container \"%s\"",
					 c->name, cs->name);
			return -1;
		}
	}
	if (r->action == RULE_ADD_TWO_WAYS && r->src.kind != ADDR_CONTAINER) {
		struct buf b = { 0 };

		addr_format(&r->src, &b);
		err_set(e, EXIT_USAGE,
			"--source \"%s\" is not a container: "
			"add-two-ways needs the peer whose /etc/hosts gets "
			"the name",
			b.data ? b.data : "");
		buf_free(&b);
		return -1;
	}
	/* where the rule is made: replay keeps it there when the
	 * container, or it and its peer, are on several networks later */
	if (!*r->network && !*r->made_on) {
		const struct docker_container *cs, *ps;
		const struct docker_cnet *net;
		int unplaced;

		net = rule_net(v, c, r, &cs, &ps, &unplaced, e);
		if (!net)
			return -1;
		if (rulespec_set_made_on(r, net->name))
			return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	return 0;
}
