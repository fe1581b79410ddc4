/*
 * engine.c - resolve stored rule specs with today's addresses, plan the
 * difference with the live table, commit it, then write the store.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfw/engine.h"
#include "dfw/hosts.h"

#define MAX_ATTEMPTS 10
#define INIT_COMMENT FW_COMMENT " init"

int engine_init(struct engine *g, const struct dfw_config *c, unsigned what,
		struct err *e)
{
	memset(g, 0, sizeof(*g));
	g->cfg = c;
	g->store.lock_fd = g->store.dir_fd = -1;
	g->env.lock = c->xtables_lock;
	g->env.path = c->path;
	g->backend = !c->backend ? NULL : !strcmp(c->backend, "nft") ?
		     &fw_nft_ops : &fw_iptc_ops;
	g->dry_run = c->dry_run;
	if (docker_init(&g->d, c, e))
		return -1;
	if (what && store_open(&g->store, c->state_dir,
			       what == ENGINE_STORE && !c->dry_run, e)) {
		docker_close(&g->d);
		return -1;
	}
	return 0;
}

void engine_forget(struct engine *g)
{
	size_t i;

	for (i = 0; i < g->nctrs; i++) {
		docker_container_free(g->ctrs[i]);
		free(g->ctrs[i]);
	}
	free(g->ctrs);
	free(g->list);
	g->ctrs = NULL;
	g->nctrs = 0;
	g->list = NULL;
	g->nlist = 0;
	g->have_list = 0;
}

void engine_free(struct engine *g)
{
	size_t i;

	for (i = 0; i < g->nctrs; i++) {
		docker_container_free(g->ctrs[i]);
		free(g->ctrs[i]);
	}
	free(g->ctrs);
	free(g->nets);
	free(g->list);
	free(g->changes);
	free(g->hosts);
	strv_free(&g->uncovered);
	strv_free(&g->warnings);
	store_close(&g->store);
	docker_close(&g->d);
	memset(g, 0, sizeof(*g));
}

#define warn(g, ...) strv_addf(&(g)->warnings, __VA_ARGS__)

/* ---- Docker, cached --------------------------------------------------- */

const struct docker_container *engine_container(struct engine *g,
						const char *name,
						struct err *e)
{
	struct docker_container c;
	size_t i;
	void *p;

	for (i = 0; i < g->nctrs; i++)
		if (!strcmp(g->ctrs[i]->name, name) ||
		    !strcmp(g->ctrs[i]->id, name))
			return g->ctrs[i];
	if (docker_inspect(&g->d, name, &c, e))
		return NULL;
	for (i = 0; i < g->nctrs; i++)
		if (!strcmp(g->ctrs[i]->id, c.id)) {
			docker_container_free(&c);
			return g->ctrs[i];
		}
	/* each container has its own block: pointers handed out stay
	 * valid until engine_free */
	p = realloc(g->ctrs, (g->nctrs + 1) * sizeof(*g->ctrs));
	if (p)
		g->ctrs = p;
	if (!p || !(g->ctrs[g->nctrs] = malloc(sizeof(c)))) {
		docker_container_free(&c);
		err_set(e, EXIT_RUNTIME, "out of memory");
		return NULL;
	}
	*g->ctrs[g->nctrs] = c;
	return g->ctrs[g->nctrs++];
}

static int networks(struct engine *g, struct err *e)
{
	if (g->have_nets)
		return 0;
	if (docker_networks(&g->d, &g->nets, &g->nnets, e))
		return -1;
	g->have_nets = 1;
	return 0;
}

/* ---- addresses -------------------------------------------------------- */

static int ip4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = a.s_addr;
	return 0;
}

static uint32_t mask4(int prefix)
{
	return prefix ? htonl(~0u << (32 - prefix)) : 0;
}

/* The Docker network and subnet holding ip/prefix whole, or NULL. */
static const struct docker_network *docker_net_of(struct engine *g,
						  uint32_t ip, int prefix,
						  const char **subnet)
{
	size_t i, j;

	for (i = 0; i < g->nnets; i++)
		for (j = 0; j < g->nets[i].nsubnets; j++) {
			const char *s = g->nets[i].subnets[j].subnet;
			char a[50], *slash;
			uint64_t p;
			uint32_t net;

			snprintf(a, sizeof(a), "%s", s);
			slash = strchr(a, '/');
			if (!slash)
				continue;
			*slash = 0;
			if (ip4(a, &net) || parse_uint(slash + 1, 0, 32, &p))
				continue;
			if ((int)p <= prefix &&
			    (ip & mask4(p)) == (net & mask4(p))) {
				*subnet = s;
				return &g->nets[i];
			}
		}
	return NULL;
}

static const struct docker_cnet *cnet(const struct docker_container *c,
				      const char *name)
{
	size_t i;

	for (i = 0; i < c->nnets; i++)
		if (!strcmp(c->nets[i].name, name))
			return &c->nets[i];
	return NULL;
}

static void net_names(const struct docker_container *c,
		      const struct docker_container *peer, char *out,
		      size_t len)
{
	size_t i, off = 0;

	*out = 0;
	for (i = 0; i < c->nnets && off < len; i++) {
		if (peer && !cnet(peer, c->nets[i].name))
			continue;
		off += snprintf(out + off, len - off, "%s\"%s\"",
				off ? ", " : "", c->nets[i].name);
	}
}

/* The network of c a rule uses: --network, c's only one, or the one
 * shared with peer. */
static const struct docker_cnet *pick_net(const struct docker_container *c,
					  const struct rulespec *r,
					  const struct docker_container *peer,
					  struct err *e)
{
	const struct docker_cnet *n = NULL;
	char names[300];
	size_t i, shared = 0;

	if (*r->network) {
		n = cnet(c, r->network);
		if (!n) {
			net_names(c, NULL, names, sizeof(names));
			err_set(e, EXIT_USAGE, "container \"%s\" is not on "
				"network \"%s\" (its networks: %s)", c->name,
				r->network, *names ? names : "none");
		}
		return n;
	}
	if (!c->nnets) {
		err_set(e, EXIT_USAGE, "container \"%s\" has no network "
			"address (network mode \"%s\")", c->name,
			c->network_mode);
		return NULL;
	}
	if (c->nnets == 1 && !peer)
		return &c->nets[0];
	if (!peer) {
		net_names(c, NULL, names, sizeof(names));
		err_set(e, EXIT_USAGE, "container \"%s\" is on several "
			"networks (%s): name one with --network", c->name,
			names);
		return NULL;
	}
	for (i = 0; i < c->nnets; i++)
		if (cnet(peer, c->nets[i].name)) {
			n = &c->nets[i];
			shared++;
		}
	if (shared == 1)
		return n;
	if (!shared) {
		err_set(e, EXIT_USAGE, "containers \"%s\" and \"%s\" share "
			"no network", c->name, peer->name);
		return NULL;
	}
	net_names(c, peer, names, sizeof(names));
	err_set(e, EXIT_USAGE, "containers \"%s\" and \"%s\" share several "
		"networks (%s): name one with --network", c->name, peer->name,
		names);
	return NULL;
}

/* ---- --filter ------------------------------------------------------- */

static int pick_backend(struct engine *g, struct fw *first, int *kept,
			struct err *e);

/* Finds the backend now (a --filter beyond the libiptc subset is only
 * good on nf_tables); its snapshot is not kept. */
static int need_backend(struct engine *g, struct err *e)
{
	struct fw f;
	int kept;

	if (g->backend)
		return 0;
	if (pick_backend(g, &f, &kept, e))
		return -1;
	if (kept)
		fw_close(&f);
	return 0;
}

/* Whether r's --filter goes beyond what the iptc backend encodes. */
static int beyond_subset(const struct rulespec *r)
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

/* Whether canonical is still the rule spec's rule want: the same
 * addresses, protocol, ports and interfaces it had, comment. */
static int same_spec(const struct fw_rule *want,
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
	       !strcmp(want->comment, canonical->comment) &&
	       !strcmp(want->target, canonical->target);
}

/* ---- rule spec -> kernel rule ----------------------------------------- */

static const char *const our_chains[] = { FW_CHAIN_FORWARD, FW_CHAIN_INPUT };

/* The bytes of "docker-fw NAME ID12" around NAME. */
#define OWNER_FIXED (sizeof(FW_COMMENT " ") - 1 + 1 + 12)

/*
 * The comment of the rules of container (name, id): "docker-fw NAME
 * ID12", at most FW_COMMENT_MAX bytes (xt_comment's 256 with the NUL).
 * The ID is what finds a rule again (rule_owner); a name too long to go
 * with it whole (233 bytes or more; Docker takes names of any length)
 * is cut to its first bytes and "...", never the ID. A name or ID that
 * no comment may hold (a control character) is an error naming it.
 */
static int owner_comment(char out[256], const char *name, const char *id,
			 struct err *e)
{
	size_t len = strlen(name), i;
	const char *dots = "";
	char esc[100], eid[80];

	for (i = 0; i < 12; i++)
		if (!isxdigit((unsigned char)id[i]))
			return err_set(e, EXIT_RUNTIME, "container \"%s\": "
				       "its ID \"%s\" is not hexadecimal",
				       str_escape(esc, sizeof(esc), name),
				       str_escape(eid, sizeof(eid), id));
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return err_set(e, EXIT_RUNTIME, "container \"%s\" "
				       "(%.12s): its name holds a control "
				       "character, which no rule's comment "
				       "may hold", str_escape(esc, sizeof(esc),
							      name), id);
	if (!len)
		return err_set(e, EXIT_RUNTIME, "container %.12s has no name",
			       id);
	if (len > FW_COMMENT_MAX - OWNER_FIXED) {
		len = FW_COMMENT_MAX - OWNER_FIXED - 3;
		while (len && ((unsigned char)name[len] & 0xc0) == 0x80)
			len--;	/* not inside a UTF-8 character */
		dots = "...";
	}
	snprintf(out, 256, FW_COMMENT " %.*s%s %.12s", (int)len, name, dots,
		 id);
	return 0;
}

/*
 * The ID12 of the container owning a live rule, or NULL (not a
 * container's rule): the last word of its comment "docker-fw NAME ID12",
 * 12 hexadecimal digits after a non-empty name. A comment that a
 * docker-fw before the name was cut made, cut at 255 bytes before its
 * ID (a name of 233 bytes or more), is the rule of the item of items[n]
 * whose name makes that comment; "-", no container's, when none does
 * (so a full replay removes it, and a selective one leaves it).
 */
static const char *rule_owner(const struct fw_rule *r,
			      const struct sync_item *items, size_t n)
{
	const size_t pre = sizeof(FW_COMMENT " ") - 1;
	const char *sp = strrchr(r->comment, ' ');
	char old[256];
	size_t i;

	if (r->foreign || strncmp(r->comment, FW_COMMENT " ", pre))
		return NULL;
	for (i = 1; sp && sp > r->comment + pre && i <= 12; i++)
		if (!isxdigit((unsigned char)sp[i]))
			break;
	if (sp && sp > r->comment + pre && i == 13 && !sp[13])
		return sp + 1;
	if (strlen(r->comment) != FW_COMMENT_MAX)
		return NULL;
	for (i = 0; i < n; i++) {
		snprintf(old, sizeof(old), FW_COMMENT " %s %.12s",
			 items[i].rec.name, items[i].rec.id);
		if (!strcmp(old, r->comment))
			return items[i].rec.id;
	}
	return "-";
}

static int side(struct engine *g, const struct addr_spec *a,
		const struct docker_cnet *own, const char *netname,
		const struct docker_container *peer, uint8_t addr[16],
		uint8_t mask[16], const char *opt, struct err *e)
{
	const struct docker_cnet *pn;
	uint32_t ip;

	switch (a->kind) {
	case ADDR_SELF:
		if (ip4(own->ip, &ip))
			return err_set(e, EXIT_USAGE, "no IPv4 address on "
				       "network \"%s\"", netname);
		fw_set_ip4(addr, mask, ip, 32);
		return 0;
	case ADDR_GATEWAY:
		if (ip4(own->gateway, &ip))
			return err_set(e, EXIT_USAGE, "%s \"/\": network "
				       "\"%s\" has no IPv4 gateway", opt,
				       netname);
		fw_set_ip4(addr, mask, ip, 32);
		return 0;
	case ADDR_CIDR:
		if (a->family != AF_INET)	/* until #14's engine part */
			break;
		fw_set_ip4(addr, mask, a->ip, a->prefix);
		return 0;
	case ADDR_CONTAINER:
		pn = cnet(peer, netname);
		if (!pn || ip4(pn->ip, &ip))
			return err_set(e, EXIT_USAGE, "%s \"%s\": no IPv4 "
				       "address on network \"%s\"", opt,
				       a->name, netname);
		fw_set_ip4(addr, mask, ip, 32);
		return 0;
	case ADDR_NONE:
		break;
	}
	return err_set(e, EXIT_USAGE, a->kind == ADDR_CIDR ? "%s: an IPv6 "
		       "address (IPv6 rules are not made yet)" : "%s missing",
		       opt);
}

/*
 * The kernel rule of spec r of container c (running), in *chain; base
 * (when not NULL) gets it without the --filter. A filter beyond the
 * libiptc subset is an error on the iptc backend; while the backend is
 * not known yet, the plan decides (canon_wants).
 */
static int resolve(struct engine *g, const struct docker_container *c,
		   const char *comment_name, const struct rulespec *r,
		   struct fw_rule *out, struct fw_rule *base, int *chain,
		   struct err *e)
{
	const struct addr_spec *pa = r->src.kind == ADDR_CONTAINER ? &r->src :
				     r->dst.kind == ADDR_CONTAINER ? &r->dst :
				     NULL;
	const struct docker_container *peer = NULL;
	const struct docker_cnet *n;
	struct err se;

	memset(out, 0, sizeof(*out));
	if (!c->running)
		return err_set(e, EXIT_USAGE, "container \"%s\" is not "
			       "running", c->name);
	if (pa) {
		peer = engine_container(g, pa->name, e);
		if (!peer)
			return -1;
		if (!peer->running)
			return err_set(e, EXIT_USAGE, "container \"%s\" is "
				       "not running", peer->name);
	}
	n = pick_net(c, r, peer, e);
	if (!n)
		return -1;
	out->family = AF_INET;
	if (side(g, &r->src, n, n->name, peer, out->src, out->smsk,
		 "--source", e) ||
	    side(g, &r->dst, n, n->name, peer, out->dst, out->dmsk,
		 "--dest", e))
		return -1;
	out->proto = r->proto;
	out->sport = r->sport;
	out->dport = r->dport;
	if (owner_comment(out->comment, comment_name, c->id, e))
		return -1;
	strcpy(out->target, r->action == RULE_ADD ? "DOCKER" : "ACCEPT");
	*chain = r->action == RULE_ADD_INPUT;	/* our_chains[] */
	if (base)
		*base = *out;
	if (!r->filter.n ||
	    !fw_rule_filter(out, r->filter.v, r->filter.n, 0, &se))
		return 0;
	if (g->backend == &fw_iptc_ops) {
		*e = se;
		return -1;
	}
	return fw_rule_filter(out, r->filter.v, r->filter.n, 1, e);
}

/* The running container holding ip on some network, or NULL. */
static const struct docker_container *holder(struct engine *g, uint32_t ip,
					     struct err *e)
{
	const struct docker_container *c;
	size_t i, j;
	uint32_t a;

	if (!g->have_list) {
		if (docker_list(&g->d, &g->list, &g->nlist, e))
			return NULL;
		g->have_list = 1;
	}
	for (i = 0; i < g->nlist; i++) {
		if (strcmp(g->list[i].state, "running") &&
		    strcmp(g->list[i].state, "paused"))
			continue;
		c = engine_container(g, g->list[i].id, e);
		if (!c)
			return NULL;
		for (j = 0; j < c->nnets; j++)
			if (!ip4(c->nets[j].ip, &a) && a == ip)
				return c;
	}
	err_set(e, EXIT_USAGE, "no container holds it");
	return NULL;
}

static int check_side(struct engine *g, const struct docker_container *c,
		      struct rulespec *r, struct addr_spec *a,
		      const char *opt, struct err *e)
{
	const struct docker_network *n;
	const struct docker_container *p;
	const char *subnet = NULL;
	char s[64];

	if (a->kind == ADDR_CONTAINER) {
		p = engine_container(g, a->name, e);
		if (!p)
			return err_wrap(e, "%s", opt);
		if (!strcmp(p->id, c->id))
			return err_set(e, EXIT_USAGE, "%s \"%s\" is the "
				       "container itself: use \".\"", opt,
				       a->name);
		snprintf(a->name, sizeof(a->name), "%s", p->name);
		return 0;
	}
	if (a->kind != ADDR_CIDR)
		return 0;
	if (a->family != AF_INET)	/* until #14's engine part */
		return err_set(e, EXIT_USAGE, "%s: an IPv6 address (IPv6 "
			       "rules are not made yet)", opt);
	n = docker_net_of(g, a->ip, a->prefix, &subnet);
	if (!n)
		return 0;
	inet_ntop(AF_INET, &a->ip, s, sizeof(s));
	if (!r->rev_lookup)
		return err_set(e, EXIT_USAGE, "%s \"%s/%d\" is an address of "
			       "Docker network \"%s\" (%s): name the container "
			       "instead, or add --rev-lookup", opt, s,
			       a->prefix, n->name, subnet);
	if (a->prefix != 32)
		return err_set(e, EXIT_USAGE, "%s \"%s/%d\": --rev-lookup "
			       "maps one address, not a network", opt, s,
			       a->prefix);
	p = holder(g, a->ip, e);
	if (!p)
		return err_wrap(e, "%s \"%s\" (--rev-lookup)", opt, s);
	if (!strcmp(p->id, c->id))
		return err_set(e, EXIT_USAGE, "%s \"%s\" is the container "
			       "itself: use \".\"", opt, s);
	a->kind = ADDR_CONTAINER;
	snprintf(a->name, sizeof(a->name), "%s", p->name);
	return 0;
}

/*
 * A new --filter with conditions docker-fw does not model: iptables-nft
 * decides whether it takes them (an error names the filter and what
 * iptables said), and the filter is stored as iptables-nft-save prints
 * it when that reads back as the same rule, so replays find it in the
 * table as it is, with no probe.
 */
static int canon_filter(struct engine *g, struct rulespec *r,
			const struct fw_rule *base, struct fw_rule *fr,
			int chain, struct err *e)
{
	struct strv words = { 0 };
	struct fw_probe pr;
	struct buf ft = { 0 }, rt = { 0 };
	struct fw_rule t = *base;
	size_t i;
	int rc = -1;

	memset(&pr, 0, sizeof(pr));
	pr.rule = *fr;
	pr.input = chain == 1;	/* our_chains[]: DFW-INPUT */
	if (fw_nft_canon(&g->env, AF_INET, &pr, 1, !g->dry_run, e))
		return -1;
	filter_text(&r->filter, &ft);
	if (pr.failed) {
		err_set(e, EXIT_USAGE, "--filter \"%.200s\": iptables "
			"refused it: %s", ft.data ? ft.data : "", pr.why);
		goto out;
	}
	if (!same_spec(fr, &pr.rule)) {
		fw_rule_format(&pr.rule, &rt);
		err_set(e, EXIT_USAGE, "--filter \"%.100s\": iptables-nft "
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
		goto out;	/* kept as given: probed when needed */
	for (i = 0; i < words.n; i++)
		if (filter_forbidden(words.v[i]))
			goto out;	/* ls output must stay valid input */
	strv_free(&r->filter);
	r->filter = words;
	memset(&words, 0, sizeof(words));
out:
	strv_free(&words);
	buf_free(&ft);
	buf_free(&rt);
	return rc;
}

int engine_check_rule(struct engine *g, const struct docker_container *c,
		      struct rulespec *r, struct err *e)
{
	struct fw_rule fr, base;
	int chain;

	if (!c->running)
		return err_set(e, EXIT_USAGE, "container \"%s\" is not "
			       "running: its rules need its address",
			       c->name);
	if (networks(g, e) || check_side(g, c, r, &r->src, "--source", e) ||
	    check_side(g, c, r, &r->dst, "--dest", e))
		return -1;
	if (r->src.kind == ADDR_CONTAINER && r->dst.kind == ADDR_CONTAINER)
		return err_set(e, EXIT_USAGE, "--source and --dest cannot both "
			       "be containers: one is \".\"");
	if (r->action == RULE_ADD_INPUT && r->src.kind != ADDR_SELF)
		return err_set(e, EXIT_USAGE, "add-input opens the container "
			       "to the host: --source must be \".\"");
	if (r->action == RULE_ADD_INPUT && r->dst.kind == ADDR_CONTAINER)
		return err_set(e, EXIT_USAGE, "add-input opens the container "
			       "to the host: --dest \"%s\" is a container (use "
			       "add-internal)", r->dst.name);
	if (r->action == RULE_ADD && r->src.kind == ADDR_GATEWAY)
		return err_set(e, EXIT_USAGE, "add opens the container's "
			       "published ports to outside addresses: --source "
			       "\"/\" is the host");
	if (r->action == RULE_ADD && r->dst.kind != ADDR_SELF)
		return err_set(e, EXIT_USAGE, "add opens the container's "
			       "published ports to --source: --dest must be "
			       "\".\"");
	if (r->action == RULE_ADD && r->src.kind == ADDR_CONTAINER)
		return err_set(e, EXIT_USAGE, "--source \"%s\" is a container: "
			       "between containers, use add-internal",
			       r->src.name);
	if (r->action == RULE_ADD_TWO_WAYS && r->src.kind != ADDR_CONTAINER) {
		struct buf b = { 0 };

		addr_format(&r->src, &b);
		err_set(e, EXIT_USAGE, "add-two-ways: --source \"%s\" is not "
			"a container (the peer whose /etc/hosts gets the name)",
			b.data ? b.data : "");
		buf_free(&b);
		return -1;
	}
	/* which backend takes the filter decides now, not at the commit:
	 * the store keeps it as that backend shows it */
	if (beyond_subset(r) && need_backend(g, e))
		return -1;
	if (resolve(g, c, c->name, r, &fr, &base, &chain, e))
		return -1;
	if (!fw_extra_known(fr.extra) &&
	    canon_filter(g, r, &base, &fr, chain, e))
		return -1;
	if (r->action == RULE_ADD_INPUT && *fr.out)
		return err_set(e, EXIT_USAGE, "add-input: --filter -o %s: INPUT "
			       "has no output interface", fr.out);
	return 0;
}

/* ---- the plan: edits of the snapshot, recorded as changes -------------- */

static int record(struct engine *g, const struct fw_change *c,
		  struct err *e)
{
	void *p;

	if (g->nchanges == g->capchanges) {
		size_t ncap = g->capchanges ? 2 * g->capchanges : 32;

		p = realloc(g->changes, ncap * sizeof(*c));
		if (!p)
			return err_set(e, EXIT_RUNTIME, "out of memory");
		g->changes = p;
		g->capchanges = ncap;
	}
	g->changes[g->nchanges++] = *c;
	return 0;
}

static int plan_chain(struct engine *g, struct fw *f, const char *name,
		      struct err *e)
{
	struct fw_change c = { .op = FW_NEW_CHAIN };
	struct fw_chain *ch;
	void *p;

	if (fw_chain(f, name))
		return 0;
	p = realloc(f->chains, (f->nchains + 1) * sizeof(*ch));
	if (!p)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	f->chains = p;
	ch = &f->chains[f->nchains++];
	memset(ch, 0, sizeof(*ch));
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	snprintf(c.chain, sizeof(c.chain), "%s", name);
	return record(g, &c, e);
}

static int plan_insert(struct engine *g, struct fw_chain *ch, size_t pos,
		       const struct fw_rule *r, struct err *e)
{
	struct fw_change c = { .op = FW_INSERT };
	void *p = realloc(ch->rules, (ch->n + 1) * sizeof(*r));

	if (!p)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	ch->rules = p;
	memmove(&ch->rules[pos + 1], &ch->rules[pos],
		(ch->n - pos) * sizeof(*r));
	ch->rules[pos] = *r;
	ch->n++;
	snprintf(c.chain, sizeof(c.chain), "%s", ch->name);
	c.pos = pos + 1;
	c.rule = *r;
	return record(g, &c, e);
}

static int plan_delete(struct engine *g, struct fw_chain *ch, size_t pos,
		       struct err *e)
{
	struct fw_change c = { .op = FW_DELETE };

	snprintf(c.chain, sizeof(c.chain), "%s", ch->name);
	c.pos = pos + 1;
	c.rule = ch->rules[pos];
	memmove(&ch->rules[pos], &ch->rules[pos + 1],
		(ch->n - pos - 1) * sizeof(ch->rules[0]));
	ch->n--;
	return record(g, &c, e);
}

static size_t find_rule(const struct fw_chain *ch, const struct fw_rule *r)
{
	size_t i;

	for (i = 0; i < ch->n; i++)
		if (fw_rule_equal(&ch->rules[i], r))
			return i;
	return ch->n;
}

static void jump_rule(struct fw_rule *r, const char *target)
{
	memset(r, 0, sizeof(*r));
	r->family = AF_INET;
	strcpy(r->comment, FW_COMMENT);
	snprintf(r->target, sizeof(r->target), "%s", target);
}

static int docker_chains(struct engine *g, struct fw *f, struct err *e)
{
	const char *miss = !fw_chain(f, "DOCKER-USER") ? "DOCKER-USER" :
			   !fw_chain(f, "DOCKER") ? "DOCKER" : NULL;

	if (miss)
		return err_set(e, EXIT_RUNTIME, "no Docker chains in the %s "
			       "filter table (no %s): is dockerd running "
			       "with its iptables rules, and on this kind of "
			       "iptables?", f->ops->what, miss);
	snprintf(g->layout, sizeof(g->layout), "%s",
		 fw_chain(f, "DOCKER-INTERNAL") ? "29" :
		 fw_chain(f, "DOCKER-FORWARD") ? "28.1+" : "18.05-27");
	return 0;
}

/* Exactly one copy of r in ch: inserted at pos when missing, extra
 * copies (a hand-made duplicate) deleted. */
static int plan_once(struct engine *g, struct fw_chain *ch,
		     const struct fw_rule *r, size_t pos, struct err *e)
{
	size_t i = find_rule(ch, r), j;

	if (i == ch->n)
		return plan_insert(g, ch, pos, r, e);
	for (j = ch->n; j-- > i + 1;)
		if (fw_rule_equal(&ch->rules[j], r) && plan_delete(g, ch, j, e))
			return -1;
	return 0;
}

/* Scratch chains of fw_nft_canon that a killed run left: named after a
 * process that is gone (a live one is in the middle of its probe, and
 * deletes its chain itself). */
static int plan_probe_leftovers(struct engine *g, struct fw *f,
				struct err *e)
{
	struct fw_change c = { .op = FW_DEL_CHAIN };
	size_t i, len = strlen(FW_PROBE_CHAIN);
	uint64_t pid;

	for (i = 0; i < f->nchains; i++) {
		const char *name = f->chains[i].name;

		if (strncmp(name, FW_PROBE_CHAIN, len) ||
		    (name[len] && name[len] != '-'))
			continue;
		if (name[len] && (parse_uint(name + len + 1, 1, INT32_MAX,
					     &pid) ||
				  kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;	/* its process runs, or no PID: not
					 * one of ours */
		snprintf(c.chain, sizeof(c.chain), "%s", name);
		if (record(g, &c, e))
			return -1;
	}
	return 0;
}

/* docker-fw's chains, the jumps to them, the conntrack rule; scratch
 * chains left behind go. */
static int plan_base(struct engine *g, struct fw *f, struct err *e)
{
	static const struct {
		const char *from, *to;
	} jumps[] = {
		{ "DOCKER-USER", FW_CHAIN_FORWARD },
		{ "INPUT", FW_CHAIN_INPUT },
	};
	struct fw_chain *ch;
	struct fw_rule r;
	size_t i;

	if (docker_chains(g, f, e) || plan_chain(g, f, FW_CHAIN_FORWARD, e) ||
	    plan_chain(g, f, FW_CHAIN_INPUT, e))
		return -1;
	for (i = 0; i < 2; i++) {
		ch = fw_chain(f, jumps[i].from);
		if (!ch)
			return err_set(e, EXIT_RUNTIME, "no chain %s in the "
				       "filter table", jumps[i].from);
		jump_rule(&r, jumps[i].to);
		if (plan_once(g, ch, &r, 0, e))
			return -1;
	}
	ch = fw_chain(f, FW_CHAIN_FORWARD);
	jump_rule(&r, "RETURN");
	r.ctstate = FW_CT_RELATED | FW_CT_ESTABLISHED;
	if (plan_once(g, ch, &r, 0, e))
		return -1;
	return plan_probe_leftovers(g, f, e);
}

/* A wanted rule: its chain and owner (index into items). Wanted rules
 * are found by hash: replay of 10,000 rules must not be quadratic. */
struct want {
	int chain;		/* index into our_chains */
	size_t item;
	size_t spec;		/* index into the item's rules */
	struct fw_rule rule;
	uint32_t hash;
	size_t next;		/* next index + 1 in the bucket, 0: end */
	int have;		/* in the table (or already inserted) */
	int dup;		/* equal to an earlier one: ignored */
	int skip;		/* iptables refused it: left out */
};

struct wants {
	struct want *v;
	size_t n, cap;
	size_t *bucket;		/* index + 1, 0: empty */
	size_t mask;
};

static void wants_free(struct wants *ws)
{
	free(ws->v);
	free(ws->bucket);
	memset(ws, 0, sizeof(*ws));
}

static int wants_add(struct wants *ws, int chain, size_t item,
		     size_t spec, const struct fw_rule *r)
{
	struct want *w;

	if (ws->n == ws->cap) {
		size_t ncap = ws->cap ? 2 * ws->cap : 64;
		void *p = realloc(ws->v, ncap * sizeof(*ws->v));

		if (!p)
			return -1;
		ws->v = p;
		ws->cap = ncap;
	}
	w = &ws->v[ws->n++];
	memset(w, 0, sizeof(*w));
	w->chain = chain;
	w->item = item;
	w->spec = spec;
	w->rule = *r;
	w->hash = fw_rule_hash(r) ^ (uint32_t)chain;
	return 0;
}

/* Index of the first not-yet-had want equal to r in chain, or -1. */
static long wants_find(struct wants *ws, int chain,
		       const struct fw_rule *r)
{
	uint32_t h = fw_rule_hash(r) ^ (uint32_t)chain;
	size_t i;

	for (i = ws->bucket[h & ws->mask]; i; i = ws->v[i - 1].next) {
		struct want *w = &ws->v[i - 1];

		if (w->hash == h && !w->have && !w->dup && w->chain == chain &&
		    fw_rule_equal(&w->rule, r))
			return (long)(i - 1);
	}
	return -1;
}

/* Builds the hash index; a rule two specs give is wanted once. */
static int wants_index(struct wants *ws)
{
	size_t i, size = 64;

	while (size < 2 * ws->n)
		size *= 2;
	free(ws->bucket);
	ws->bucket = calloc(size, sizeof(*ws->bucket));
	if (!ws->bucket)
		return -1;
	ws->mask = size - 1;
	for (i = 0; i < ws->n; i++) {
		struct want *w = &ws->v[i];

		w->have = 0;
		w->dup = w->skip || wants_find(ws, w->chain, &w->rule) >= 0;
		if (w->dup)
			continue;
		w->next = ws->bucket[w->hash & ws->mask];
		ws->bucket[w->hash & ws->mask] = i + 1;
	}
	return 0;
}

static int is_tail(const struct fw_rule *r)
{
	return !strcmp(r->comment, INIT_COMMENT);
}

/* 1 when the owner id12 is one of items, 2 when it is one kept as it is
 * (only looked for with keep: rarely any). */
static int selected(const struct sync_item *items, size_t n,
		    const char *id12, int keep)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((!keep || items[i].keep) &&
		    !strncmp(items[i].rec.id, id12, 12))
			return 1 + items[i].keep;
	return 0;
}

/* Missing wants in chain order: by comment (owner), then as stored. */
static int by_key(const void *a, const void *b)
{
	const struct want *x = *(const struct want *const *)a;
	const struct want *y = *(const struct want *const *)b;
	int c = strcmp(x->rule.comment, y->rule.comment);

	return c ? c : x < y ? -1 : x > y;
}

/*
 * One chain: delete our rules that are not wanted (bottom up, so each
 * position is the one the kernel sees), then merge the missing ones in:
 * a container's rules go before the first rule of a later container (by
 * comment) or init's tail, after its own rules already there.
 */
static int plan_chain_rules(struct engine *g, struct fw_chain *ch,
			    int chain, struct sync_item *items,
			    size_t n, struct wants *ws, int cleanup,
			    struct err *e)
{
	struct fw_change c = { .op = FW_DELETE };
	struct want **miss = NULL;
	struct fw_rule *out = NULL;
	size_t i, j, k, nmiss = 0;
	long w;
	int rc = -1, keep = 0;

	for (i = 0; i < n; i++)
		keep |= items[i].keep;
	snprintf(c.chain, sizeof(c.chain), "%s", ch->name);
	for (j = ch->n, k = 0; j-- > 0;) {
		const char *id12 = rule_owner(&ch->rules[j], items, n);

		if (!id12 || (keep && selected(items, n, id12, 1)) ||
		    (!cleanup && !selected(items, n, id12, 0)))
			continue;
		w = wants_find(ws, chain, &ch->rules[j]);
		if (w >= 0) {
			ws->v[w].have = 1;
			continue;
		}
		c.pos = j + 1;
		c.rule = ch->rules[j];
		if (record(g, &c, e))
			return -1;
		ch->rules[j].foreign = -1;	/* mark: deleted */
		k++;
	}
	for (i = j = 0; k && i < ch->n; i++)
		if (ch->rules[i].foreign != -1)
			ch->rules[j++] = ch->rules[i];
	ch->n -= k;

	miss = malloc((ws->n + 1) * sizeof(*miss));
	if (!miss)
		goto nomem;
	for (i = 0; i < ws->n; i++)
		if (!ws->v[i].have && !ws->v[i].dup && ws->v[i].chain == chain)
			miss[nmiss++] = &ws->v[i];
	if (!nmiss) {
		free(miss);
		return 0;
	}
	qsort(miss, nmiss, sizeof(*miss), by_key);
	out = malloc((ch->n + nmiss) * sizeof(*out));
	if (!out)
		goto nomem;
	c.op = FW_INSERT;
	for (i = j = k = 0; k < nmiss; k++) {
		const char *key = miss[k]->rule.comment;

		while (i < ch->n && !is_tail(&ch->rules[i]) &&
		       !(rule_owner(&ch->rules[i], items, n) &&
			 strcmp(ch->rules[i].comment, key) > 0))
			out[j++] = ch->rules[i++];
		out[j] = miss[k]->rule;
		miss[k]->have = 1;
		c.pos = ++j;
		c.rule = miss[k]->rule;
		if (record(g, &c, e))
			goto out;
	}
	while (i < ch->n)
		out[j++] = ch->rules[i++];
	free(ch->rules);
	ch->rules = out;
	ch->n = j;
	out = NULL;
	rc = 0;
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	free(out);
	free(miss);
	return rc;
}

static int plan_rules(struct engine *g, struct fw *f, struct sync_item *items,
		      size_t n, struct wants *ws, int cleanup, struct err *e)
{
	int k;

	if (wants_index(ws))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (k = 0; k < 2; k++)
		if (plan_chain_rules(g, fw_chain(f, our_chains[k]), k,
				     items, n, ws, cleanup, e))
			return -1;
	return 0;
}

/* Whether this namespace has a legacy filter table. Reading one that is
 * not there would create it (and iptables-nft would then warn about
 * legacy tables on this host); the kernel lists the ones there are. */
static int legacy_filter(void)
{
	return fw_iptc_table_exists("filter");
}

/* Docker's chains in the filter table of a backend: 1, 0, or -1 when
 * the backend cannot read here (why in e). With keep, a snapshot that
 * has them is left open (the xtables lock held) for the run to use. */
static int has_docker(const struct fw_ops *ops, const struct fw_env *env,
		      struct fw *keep, struct err *e)
{
	struct fw f;
	int rc;

	if (fw_open(&f, ops, env, AF_INET, "filter", e))
		return -1;
	rc = fw_chain(&f, "DOCKER-USER") || fw_chain(&f, "DOCKER-FORWARD") ||
	     fw_chain(&f, "DOCKER");
	if (rc && keep)
		*keep = f;
	else
		fw_close(&f);
	return rc;
}

/*
 * The backend that holds Docker's chains; a mixed host is an error. The
 * snapshot that decided is handed to the first attempt (*kept set), so a
 * run reads its table once. Only one snapshot is open at a time: each
 * holds the xtables lock.
 */
static int pick_backend(struct engine *g, struct fw *first, int *kept,
			struct err *e)
{
	int legacy = 0, nft, table = legacy_filter();
	struct err le, ne;

	*kept = 0;
	if (g->backend)
		return 0;
	nft = has_docker(&fw_nft_ops, &g->env, table ? NULL : first, &ne);
	if (table)
		legacy = has_docker(&fw_iptc_ops, &g->env, nft > 0 ? NULL :
				    first, &le);
	if (legacy > 0 && nft > 0)
		return err_set(e, EXIT_RUNTIME, "Docker chains are in both the "
			       "legacy (libiptc) and the nf_tables "
			       "(iptables-nft) filter tables: a mixed host, "
			       "where an ACCEPT in one cannot undo a DROP in "
			       "the other. Say which one dockerd uses with "
			       "--backend=iptc|nft (or DFW_BACKEND)");
	if (legacy > 0 || nft > 0) {
		g->backend = legacy > 0 ? &fw_iptc_ops : &fw_nft_ops;
		*kept = legacy > 0 || !table;
		return 0;
	}
	/* a table that could not be read is not one without Docker's
	 * chains: say what stopped the reading */
	if (legacy < 0 && nft < 0)
		return err_set(e, EXIT_RUNTIME, "cannot read the filter table: "
			       "%s; %s", le.msg, ne.msg);
	if (nft < 0)
		return err_set(e, EXIT_RUNTIME, "cannot read the nf_tables "
			       "filter table, so cannot tell where Docker's "
			       "chains are (%s a legacy one): %s",
			       table ? "they are not in" : "there is not",
			       ne.msg);
	if (legacy < 0)
		return err_set(e, EXIT_RUNTIME, "cannot read the legacy "
			       "filter table, so cannot tell where Docker's "
			       "chains are (they are not in the nf_tables "
			       "one): %s", le.msg);
	return err_set(e, EXIT_RUNTIME, "no Docker chains (DOCKER, "
		       "DOCKER-USER) in the %s: is dockerd running with its "
		       "iptables rules?", table ? "legacy or the nf_tables "
		       "filter table" : "nf_tables filter table (and no "
		       "legacy one here)");
}

/* Runs plan() against a fresh snapshot until the commit lands. */
static int transact(struct engine *g,
		    int (*plan)(struct engine *g, struct fw *f, void *arg,
				struct err *e),
		    void *arg, struct err *e)
{
	struct fw f;
	int attempt, rc = -1, kept;
	size_t i;

	if (pick_backend(g, &f, &kept, e))
		return -1;
	for (attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		g->nchanges = 0;
		if (!(attempt == 0 && kept) &&
		    fw_open(&f, g->backend, &g->env, AF_INET, "filter", e))
			return -1;
		rc = plan(g, &f, arg, e);
		/* what may not be written stops dry runs too */
		for (i = 0; !rc && i < g->nchanges; i++)
			if (fw_change_check(&g->changes[i], e))
				rc = err_wrap(e, "nothing changed");
		if (!rc && !g->dry_run)
			rc = fw_commit(&f, g->changes, g->nchanges, e);
		fw_close(&f);
		if (!rc || e->code != FW_AGAIN)
			break;
		g->retries++;
	}
	if (rc && e->code == FW_AGAIN)
		e->code = EXIT_RUNTIME;
	return rc;
}

struct hosts_run;

struct sync_args {
	struct sync_item *items;
	size_t n;
	struct wants ws;
	int cleanup;
	struct hosts_run *hosts;	/* written right before the commit */
};

/* The bridges of the selected running containers that init has not
 * closed (no "-i B -o B -j DROP" of ours): their traffic is not
 * whitelisted, which a user adding rules should hear about. */
static void uncovered(struct engine *g, struct fw *f, struct sync_args *a)
{
	const struct fw_chain *ch = fw_chain(f, FW_CHAIN_FORWARD);
	const struct docker_container *c;
	struct err ce;
	size_t i, j, k, r;

	strv_free(&g->uncovered);
	for (i = 0; i < a->n; i++) {
		c = engine_container(g, a->items[i].rec.id, &ce);
		for (j = 0; c && c->running && j < c->nnets; j++)
			for (k = 0; k < g->nnets; k++) {
				const char *b = g->nets[k].bridge;
				size_t m;

				if (strcmp(g->nets[k].name, c->nets[j].name) ||
				    strcmp(g->nets[k].driver, "bridge") || !*b)
					continue;
				for (r = 0; r < ch->n; r++)
					if (is_tail(&ch->rules[r]) &&
					    !strcmp(ch->rules[r].in, b))
						break;
				for (m = 0; m < g->uncovered.n; m++)
					if (!strcmp(g->uncovered.v[m],
						    g->nets[k].name))
						break;
				if (r == ch->n && m == g->uncovered.n)
					strv_add(&g->uncovered, g->nets[k].name,
						 strlen(g->nets[k].name));
			}
	}
}

/* The warning for a wanted rule left out. */
static void left_out(struct engine *g, const struct sync_args *a,
		     const struct want *w, const char *why)
{
	const struct store_rec *rec = &a->items[w->item].rec;
	struct buf spec = { 0 };

	rulespec_format(&rec->rules[w->spec], &spec);
	warn(g, "%s %s %s: left out: %s",
	     rule_action_name(rec->rules[w->spec].action), rec->name,
	     spec.data ? spec.data : "", why);
	buf_free(&spec);
}

/*
 * Wanted rules with conditions docker-fw does not model. On nf_tables,
 * those whose text iptables-nft-save has not printed (in this run's
 * table, or a probe) take the form it prints (fw_nft_canon), so that a
 * rule in the table is found again and a new one is not redone by every
 * run. A rule iptables refuses, or makes another rule of, is left out
 * with a warning; so is any on the iptc backend, which cannot encode
 * them. In a dry run with no scratch namespace, rules stay as given.
 */
static int canon_wants(struct engine *g, struct sync_args *a,
		       struct err *e)
{
	struct fw_probe *p;
	size_t *which, i, k = 0;
	struct buf t = { 0 };
	char why[400];
	struct err pe;
	int rc = 0;

	for (i = 0; i < a->ws.n && g->backend != &fw_nft_ops; i++) {
		struct want *w = &a->ws.v[i];
		const struct rulespec *rs;
		struct fw_rule tmp;

		if (!w->rule.extra || w->skip)
			continue;
		rs = &a->items[w->item].rec.rules[w->spec];
		memset(&tmp, 0, sizeof(tmp));
		tmp.proto = rs->proto;
		fw_rule_filter(&tmp, rs->filter.v, rs->filter.n, 0, &pe);
		left_out(g, a, w, pe.msg);
		w->skip = 1;
	}
	if (g->backend != &fw_nft_ops)
		return 0;
	for (i = 0; i < a->ws.n; i++)
		k += !a->ws.v[i].skip && !fw_extra_known(a->ws.v[i].rule.extra);
	if (!k)
		return 0;
	p = calloc(k, sizeof(*p));
	which = calloc(k, sizeof(*which));
	if (!p || !which) {
		free(p);
		free(which);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	for (i = k = 0; i < a->ws.n; i++)
		if (!a->ws.v[i].skip &&
		    !fw_extra_known(a->ws.v[i].rule.extra)) {
			p[k].rule = a->ws.v[i].rule;
			p[k].input = a->ws.v[i].chain == 1;
			which[k++] = i;
		}
	if (fw_nft_canon(&g->env, AF_INET, p, k, !g->dry_run, &pe)) {
		if (g->dry_run)
			warn(g, "--filter conditions not brought to the form "
			     "iptables-nft-save prints: %s", pe.msg);
		else
			rc = -1, *e = pe;
		goto out;
	}
	for (i = 0; i < k; i++) {
		struct want *w = &a->ws.v[which[i]];

		if (p[i].failed) {
			snprintf(why, sizeof(why), "iptables refused it: %s",
				 p[i].why);
			left_out(g, a, w, why);
			w->skip = 1;
		} else if (!same_spec(&w->rule, &p[i].rule)) {
			t.len = 0;
			fw_rule_format(&p[i].rule, &t);
			snprintf(why, sizeof(why), "iptables-nft makes the "
				 "rule `%.300s`, not the one its options say",
				 t.data ? t.data : "");
			left_out(g, a, w, why);
			w->skip = 1;
		} else {
			w->rule = p[i].rule;
			w->hash = fw_rule_hash(&w->rule) ^ (uint32_t)w->chain;
		}
	}
out:
	buf_free(&t);
	free(p);
	free(which);
	return rc;
}

static int hosts_write(struct engine *g, struct hosts_run *hr,
		       struct err *e);

static int sync_plan(struct engine *g, struct fw *f, void *arg,
		     struct err *e)
{
	struct sync_args *a = arg;

	if (plan_base(g, f, e) || canon_wants(g, a, e))
		return -1;
	if (g->have_nets)
		uncovered(g, f, a);
	if (plan_rules(g, f, a->items, a->n, &a->ws, a->cleanup, e))
		return -1;
	/* the hosts files last before the commit (once: a commit the
	 * kernel makes us redo has them already); a plan that fails
	 * leaves them alone, a commit that fails puts them back */
	if (g->dry_run || !a->hosts)
		return 0;
	return hosts_write(g, a->hosts, e);
}

/* ---- hosts entries (add-two-ways) ------------------------------------ */

/*
 * The order, so that nothing is half-applied: every peer's hosts file is
 * checked, locked (with a timeout: a container may hold an flock on its
 * own /etc/hosts) and edited in memory before anything changes
 * (hosts_prepare); the files are written right before the kernel commit,
 * once the plan is made (hosts_write, from sync_plan), and written back
 * as they were when the commit fails (hosts_undo). An entry that a new
 * rule needs (strict) stops the run with nothing changed when it cannot
 * be set; any other (replay, start, drop) is reported for its container,
 * and the rest of the run goes on (engine_sync returns 1).
 */

/* Entries go through the exec API when the daemon is not local (its
 * HostsPath is not ours to open), or when DFW_HOSTS=exec asks so. */
static int hosts_by_exec(struct engine *g)
{
	return g->cfg->hosts_exec || strncmp(g->d.ep.url, "unix://", 7);
}

static int hosts_want(struct engine *g, const struct docker_container *peer,
		      const char *name, const char *ip, int strict)
{
	struct hosts_change *h;
	size_t i;
	void *p;

	for (i = 0; i < g->nhosts; i++)
		if (g->hosts[i].peer == peer &&
		    !strcmp(g->hosts[i].name, name)) {
			g->hosts[i].strict |= strict;
			return 0;
		}
	p = realloc(g->hosts, (g->nhosts + 1) * sizeof(*g->hosts));
	if (!p)
		return -1;
	g->hosts = p;
	h = &g->hosts[g->nhosts++];
	memset(h, 0, sizeof(*h));
	h->peer = peer;
	h->strict = strict;
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->ip, sizeof(h->ip), "%s", ip ? ip : "");
	return 0;
}

/* The hosts entries items[i] asks for: for each add-two-ways rule, the
 * peer maps the container's name to its address, or (dropped, stopped,
 * removed) to nothing. strict: the rule is new (see above). */
static int hosts_plan(struct engine *g, const struct sync_item *it,
		      const struct docker_container *c, size_t j,
		      const struct fw_rule *r, int strict, struct err *e)
{
	const struct rulespec *rs = &it->rec.rules[j];
	const struct docker_container *peer;
	char ip[INET_ADDRSTRLEN];
	struct err pe;

	if (rs->action != RULE_ADD_TWO_WAYS || rs->src.kind != ADDR_CONTAINER)
		return 0;
	peer = engine_container(g, rs->src.name, &pe);
	if (!peer || !peer->running)
		return 0;	/* its hosts file goes with it */
	if (r && !inet_ntop(AF_INET, r->dst, ip, sizeof(ip)))
		return err_set(e, EXIT_RUNTIME, "bad address");
	if (hosts_want(g, peer, c ? c->name : it->rec.name, r ? ip : NULL,
		       strict))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

/* Which rules of a dirty item are new (not in its stored file): their
 * hosts entries are strict. new[j] for rec->rules[j]; NULL when none. */
static int *new_rules(struct engine *g, const struct store_rec *rec)
{
	struct store_rec old;
	struct err e;
	size_t j, k;
	int *v = calloc(rec->nrules + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (j = 0; j < rec->nrules; j++)
		v[j] = 1;
	if (store_load(&g->store, rec->id, &old, &e) > 0) {
		for (j = 0; j < rec->nrules; j++)
			for (k = 0; k < old.nrules; k++)
				if (rulespec_equal(&rec->rules[j],
						   &old.rules[k]))
					v[j] = 0;
		store_rec_free(&old);
	}
	return v;
}

/* One peer's hosts file: all its entries. */
struct hosts_job {
	const struct docker_container *peer;
	size_t first;		/* its entries: g->hosts[i].peer == peer */
	int strict;		/* one entry is strict */
	struct hosts_file f;	/* file way: open and locked to the end */
	struct buf orig;	/* the text it had */
	struct buf out;		/* the text to write */
	int changed;		/* out differs from orig */
	int skip;		/* dry run, paused, exec way: not read */
	int unpaused;		/* exec way: unpaused by this run */
	int written;		/* out is in the file */
	int failed;		/* not applied, why says why */
	int late;		/* applied, but why happened after */
	struct err why;
};

struct hosts_run {
	struct hosts_job *v;
	size_t n;
	struct docker_info info;
	int have_info;		/* 1 read, -1 failed (why in info_err) */
	struct err info_err;
	int done;		/* hosts_write ran */
};

/* Whether p[0..n) is UTF-8 (what a JSON string carries unchanged). */
static int utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0, k, more;
	uint32_t c;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		more = c >= 0xf0 && c < 0xf5 ? 3 : c >= 0xe0 ? 2 :
		       c >= 0xc2 && c < 0xe0 ? 1 : 0;
		if (!more || i + more >= n)
			return 0;
		c &= 0x3f >> more;
		for (k = 1; k <= more; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if ((more == 2 && (c < 0x800 || (c >= 0xd800 && c < 0xe000))) ||
		    (more == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		i += more + 1;
	}
	return 1;
}

/* The first line of an exec's stderr, for a message. */
static const char *first_line(struct buf *b)
{
	size_t i;

	if (!b->data)
		return "";
	for (i = 0; i < b->len && i < 200; i++)
		if ((unsigned char)b->data[i] < ' ' || b->data[i] == 0x7f)
			break;
	b->data[i] = 0;
	return b->data;
}

/*
 * The exec way's check, which changes nothing: /etc/hosts is a regular
 * file, opens for appending (a read-only mount fails here; `test -w` is
 * true for root whatever the mount), is at most $1 bytes; then its text.
 * `true`, not `:`: a failed redirection of a special built-in ends sh.
 */
static const char hosts_check_sh[] =
	"f=/etc/hosts\n"
	"[ -f \"$f\" ] || exit 64\n"
	"{ [ -w \"$f\" ] && true >>\"$f\"; } 2>/dev/null || exit 65\n"
	"n=$(wc -c <\"$f\") || exit 66\n"
	"[ $n -le \"$1\" ] || exit 67\n"
	"exec cat \"$f\"\n";

static int exec_read(struct engine *g, struct hosts_job *j, struct err *e)
{
	char max[16];
	const char *argv[] = { "sh", "-c", hosts_check_sh, "sh", max, NULL };
	const struct docker_container *p = j->peer;
	struct buf errout = { 0 };
	int code = 0, rc = -1;

	snprintf(max, sizeof(max), "%d", HOSTS_MAX);
	if (p->paused) {
		if (docker_container_action(&g->d, p->id, "unpause", e))
			return -1;
		j->unpaused = 1;
	}
	if (docker_exec(&g->d, p->id, argv, &j->orig, &errout, &code, e))
		goto out;
	switch (code) {
	case 0:
		break;
	case 64:
		err_set(e, EXIT_USAGE, "/etc/hosts is missing or not a "
			"regular file in the container");
		goto out;
	case 65:
		err_set(e, EXIT_USAGE, "/etc/hosts is read-only in the "
			"container (it does not open for writing)");
		goto out;
	case 67:
		err_set(e, EXIT_USAGE, "/etc/hosts is larger than %d bytes "
			"(the limit)", HOSTS_MAX);
		goto out;
	case 126:
	case 127:
		err_set(e, EXIT_USAGE, "cannot run sh in the container (exit "
			"%d%s%s): with this daemon docker-fw edits /etc/hosts "
			"through docker exec and a POSIX sh", code,
			errout.len ? ": " : "", first_line(&errout));
		goto out;
	default:
		err_set(e, EXIT_RUNTIME, "checking /etc/hosts in the container "
			"exited %d%s%s", code, errout.len ? ": " : "",
			first_line(&errout));
		goto out;
	}
	if (j->orig.len > HOSTS_MAX)
		err_set(e, EXIT_USAGE, "/etc/hosts is larger than %d bytes "
			"(the limit)", HOSTS_MAX);
	else if (j->orig.data && memchr(j->orig.data, 0, j->orig.len))
		err_set(e, EXIT_USAGE, "/etc/hosts holds a NUL byte: it "
			"cannot be written back through docker exec");
	else if (!utf8_ok((const unsigned char *)j->orig.data, j->orig.len))
		err_set(e, EXIT_USAGE, "/etc/hosts holds bytes that are not "
			"UTF-8: they cannot be written back through docker "
			"exec");
	else
		rc = 0;
out:
	buf_free(&errout);
	return rc;
}

/* The exec way's write: text in argument chunks of at most 64 KiB (one
 * argument may not pass 128 KiB), cut between UTF-8 sequences. */
static int exec_write(struct engine *g, struct hosts_job *j,
		      const struct buf *text, struct err *e)
{
	static const char sh[] = "printf %s \"$@\" >/etc/hosts";
	struct strv args = { 0 };
	const char **argv = NULL;
	size_t off = 0, n, i;
	int code = 0, rc = -1;

	if (strv_add(&args, "sh", 2) || strv_add(&args, "-c", 2) ||
	    strv_add(&args, sh, sizeof(sh) - 1) || strv_add(&args, "sh", 2))
		goto nomem;
	while (off < text->len) {
		n = text->len - off > 65536 ? 65536 : text->len - off;
		while (off + n < text->len && n > 1 &&
		       ((unsigned char)text->data[off + n] & 0xc0) == 0x80)
			n--;
		if (strv_add(&args, text->data + off, n))
			goto nomem;
		off += n;
	}
	argv = calloc(args.n + 1, sizeof(*argv));
	if (!argv)
		goto nomem;
	for (i = 0; i < args.n; i++)
		argv[i] = args.v[i];
	if (docker_exec(&g->d, j->peer->id, argv, NULL, NULL, &code, e))
		goto out;
	if (code) {
		err_set(e, EXIT_RUNTIME, "writing /etc/hosts in the container "
			"exited %d", code);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	free(argv);
	strv_free(&args);
	return rc;
}

/* Pauses again a peer this run unpaused. */
static int repause(struct engine *g, struct hosts_job *j, struct err *e)
{
	if (!j->unpaused)
		return 0;
	j->unpaused = 0;
	if (docker_container_action(&g->d, j->peer->id, "pause", e))
		return err_wrap(e, "container \"%s\" was unpaused for its "
				"hosts file and could not be paused again",
				j->peer->name);
	return 0;
}

/* "hosts entries of "a", "b" in container "p"" into out. */
static void entries_of(struct engine *g, const struct hosts_job *j,
		       char *out, size_t size)
{
	size_t i, k = 0, off;

	off = (size_t)snprintf(out, size, "hosts entr");
	for (i = j->first; i < g->nhosts; i++)
		k += g->hosts[i].peer == j->peer;
	if (off < size)
		off += (size_t)snprintf(out + off, size - off, "%s of ",
					k > 1 ? "ies" : "y");
	for (i = j->first, k = 0; i < g->nhosts && off < size; i++)
		if (g->hosts[i].peer == j->peer)
			off += (size_t)snprintf(out + off, size - off,
						"%s\"%s\"", k++ ? ", " : "",
						g->hosts[i].name);
	if (off < size)
		snprintf(out + off, size - off, " in container \"%s\"",
			 j->peer->name);
}

/* Marks j failed: its entries count as not applied. */
static void job_fail(struct engine *g, struct hosts_job *j,
		     const struct err *why)
{
	char what[300], self[300], *cut;
	size_t i;

	j->failed = 1;
	j->why = *why;
	entries_of(g, j, what, sizeof(what));
	/* "container "p": ..." already says whose file it is */
	snprintf(self, sizeof(self), "container \"%s\"", j->peer->name);
	if (!strncmp(why->msg, self, strlen(self)) &&
	    (cut = strstr(what, " in container \"")))
		*cut = 0;
	err_wrap(&j->why, "%s", what);
	/* a dry run counts it as pending: a real run would not be done */
	for (i = j->first; i < g->nhosts; i++)
		if (g->hosts[i].peer == j->peer)
			g->hosts[i].changed = g->dry_run ? 3 : 0;
}

/* Checks, locks and reads j's file, and makes its new text. */
static int job_prepare(struct engine *g, struct hosts_run *hr,
		       struct hosts_job *j, struct err *e)
{
	const struct docker_container *p = j->peer;
	struct buf tmp = { 0 };
	size_t i;
	int rc;

	if (hosts_mount_check(p, e))
		return -1;
	if (!*p->hosts_path)
		return err_set(e, EXIT_USAGE, "container \"%s\" has no hosts "
			       "file (HostsPath)", p->name);
	if (!hr->have_info)
		hr->have_info = docker_info(&g->d, &hr->info, &hr->info_err) ?
				-1 : 1;
	if (hr->have_info < 0) {
		*e = hr->info_err;
		return -1;
	}
	if (hosts_path_check(hr->info.root_dir, p->id, p->hosts_path, e))
		return -1;
	if (!hosts_by_exec(g)) {
		/* a dry run opens it for writing too: the same checks */
		if (hosts_file_open(&j->f, p->hosts_path, 1, HOSTS_LOCK_MS, e))
			return -1;
		if (buf_add(&j->orig, j->f.text.data, j->f.text.len))
			return err_set(e, EXIT_RUNTIME, "out of memory");
	} else if (g->dry_run && p->paused) {
		j->skip = 1;	/* a dry run unpauses nothing */
		for (i = j->first; i < g->nhosts; i++)
			if (g->hosts[i].peer == p)
				g->hosts[i].changed = 2;
		return 0;
	} else if (exec_read(g, j, e)) {
		return -1;
	}
	if (buf_add(&j->out, j->orig.data ? j->orig.data : "", j->orig.len))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (i = j->first; i < g->nhosts; i++) {
		struct hosts_change *h = &g->hosts[i];

		if (h->peer != p)
			continue;
		tmp.len = 0;
		rc = hosts_edit(j->out.data, j->out.len, h->name,
				*h->ip ? h->ip : NULL, &tmp);
		if (rc < 0) {
			buf_free(&tmp);
			if (errno == EINVAL)
				return err_set(e, EXIT_USAGE, "name \"%.100s\" "
					       "or address \"%s\" cannot stand "
					       "in a hosts line (a blank, "
					       "control character or '#')",
					       h->name, h->ip);
			return err_set(e, EXIT_RUNTIME, "out of memory");
		}
		h->changed = rc;
		if (rc) {
			struct buf t = j->out;

			j->out = tmp;
			tmp = t;
		}
	}
	buf_free(&tmp);
	j->changed = j->out.len != j->orig.len ||
		     (j->out.len && memcmp(j->out.data, j->orig.data,
					   j->out.len));
	if (j->changed && !g->dry_run && !hosts_by_exec(g) &&
	    hosts_file_reserve(&j->f, j->out.len, e))
		return -1;
	if (!j->changed || g->dry_run)
		return repause(g, j, e);
	return 0;
}

/* Jobs for g->hosts, each checked (nothing changes). -1 with e set when
 * a strict one fails; the others' failures are kept in their jobs. */
static int hosts_prepare(struct engine *g, struct hosts_run *hr,
			 struct err *e)
{
	struct err je;
	size_t i, k;
	void *p;

	for (i = 0; i < g->nhosts; i++) {
		for (k = 0; k < hr->n; k++)
			if (hr->v[k].peer == g->hosts[i].peer)
				break;
		if (k == hr->n) {
			p = realloc(hr->v, (hr->n + 1) * sizeof(*hr->v));
			if (!p)
				return err_set(e, EXIT_RUNTIME, "out of "
					       "memory");
			hr->v = p;
			memset(&hr->v[k], 0, sizeof(hr->v[k]));
			hr->v[k].peer = g->hosts[i].peer;
			hr->v[k].first = i;
			hr->v[k].f.fd = -1;
			hr->n++;
		}
		hr->v[k].strict |= g->hosts[i].strict;
	}
	for (k = 0; k < hr->n; k++) {
		struct hosts_job *j = &hr->v[k];

		if (!job_prepare(g, hr, j, &je))
			continue;
		job_fail(g, j, &je);
		if (j->strict) {
			*e = j->why;
			return -1;
		}
	}
	return 0;
}

/* Writes every job that changes its file (right before the commit). -1
 * with e set when a strict one fails; the caller undoes the others. */
static int hosts_write(struct engine *g, struct hosts_run *hr,
		       struct err *e)
{
	struct err we, ue;
	size_t k;
	int rc;

	if (hr->done)
		return 0;
	hr->done = 1;
	for (k = 0; k < hr->n; k++) {
		struct hosts_job *j = &hr->v[k];

		if (j->failed || j->skip || !j->changed)
			continue;
		rc = hosts_by_exec(g) ? exec_write(g, j, &j->out, &we) :
		     hosts_file_write(&j->f, j->out.data, j->out.len, &we);
		if (!rc) {
			j->written = 1;
			if (repause(g, j, &j->why))
				j->late = 1;	/* written; reported */
			continue;
		}
		/* part of it may be in the file: the old text back */
		if (hosts_by_exec(g) ? exec_write(g, j, &j->orig, &ue) :
		    hosts_file_write(&j->f, j->orig.data, j->orig.len, &ue))
			warn(g, "container \"%s\": its hosts file could not "
			     "be put back as it was: %s", j->peer->name,
			     ue.msg);
		repause(g, j, &ue);
		job_fail(g, j, &we);
		if (j->strict) {
			*e = j->why;
			return -1;
		}
	}
	return 0;
}

/* The commit failed: the files written go back to what they were. */
static void hosts_undo(struct engine *g, struct hosts_run *hr)
{
	struct err ue;
	size_t k, i;

	for (k = 0; k < hr->n; k++) {
		struct hosts_job *j = &hr->v[k];
		int paused = j->peer->paused && !j->unpaused;

		if (!j->written)
			continue;
		if (hosts_by_exec(g) && paused &&
		    docker_container_action(&g->d, j->peer->id, "unpause",
					    &ue)) {
			warn(g, "container \"%s\": its hosts file keeps "
			     "docker-fw's new entries: %s", j->peer->name,
			     ue.msg);
			continue;
		}
		j->unpaused |= hosts_by_exec(g) && paused;
		if (hosts_by_exec(g) ? exec_write(g, j, &j->orig, &ue) :
		    hosts_file_write(&j->f, j->orig.data, j->orig.len, &ue))
			warn(g, "container \"%s\": its hosts file keeps "
			     "docker-fw's new entries: %s", j->peer->name,
			     ue.msg);
		if (repause(g, j, &ue))
			warn(g, "%s", ue.msg);
		j->written = 0;
		for (i = j->first; i < g->nhosts; i++)
			if (g->hosts[i].peer == j->peer)
				g->hosts[i].changed = 0;
	}
}

/* Closes the files, pauses again, frees; the failures of non-strict
 * jobs go in e (the first) and the warnings (the others): 1, else 0. */
static int hosts_finish(struct engine *g, struct hosts_run *hr,
			struct err *e)
{
	struct err pe;
	size_t k, n, nfail = 0;
	int late = 0;

	for (k = 0; k < hr->n; k++) {
		struct hosts_job *j = &hr->v[k];

		if (repause(g, j, &pe))
			warn(g, "%s", pe.msg);
		hosts_file_close(&j->f);
		buf_free(&j->orig);
		buf_free(&j->out);
		if ((!j->failed && !j->late) || !e)
			continue;
		if (g->dry_run)
			warn(g, "%s", j->why.msg);
		else if (nfail++)
			warn(g, "%s%s", j->why.msg, j->late ? "" :
			     "; not applied");
		else
			*e = j->why, late = j->late;
	}
	free(hr->v);
	memset(hr, 0, sizeof(*hr));
	if (!nfail)
		return 0;
	e->code = EXIT_RUNTIME;
	n = strlen(e->msg);
	if (nfail > 1)
		snprintf(e->msg + n, sizeof(e->msg) - n, "%s, nor %zu more "
			 "(warnings above); everything else was%s",
			 late ? "" : "; not applied", nfail - 1,
			 late ? " applied" : "");
	else
		snprintf(e->msg + n, sizeof(e->msg) - n, "%s; everything else "
			 "was%s", late ? "" : "; not applied",
			 late ? " applied" : "");
	return 1;
}

int engine_sync(struct engine *g, struct sync_item *items, size_t n,
		int cleanup, struct err *e)
{
	struct sync_args a = { items, n, { 0 }, cleanup, NULL };
	const struct docker_container *c;
	struct store_txn *txn = NULL;
	struct hosts_run hr;
	struct err ce;
	struct buf spec = { 0 };
	struct fw_rule r;
	int chain, *fresh = NULL, nodocker = 0;
	size_t i, j;
	int rc = -1;

	memset(&hr, 0, sizeof(hr));
	for (i = 0; i < n; i++) {
		struct store_rec *rec = &items[i].rec;

		if (items[i].keep)
			continue;
		/* the rules an add* brings (dirty before a rename marks
		 * it): their hosts entries must be set, or nothing is */
		free(fresh);
		fresh = items[i].dirty && !items[i].drop ?
			new_rules(g, rec) : NULL;
		if (items[i].dirty && !items[i].drop && !fresh)
			goto nomem;
		c = nodocker && items[i].drop ? NULL :
		    engine_container(g, rec->id, &ce);
		items[i].known = !!c;
		items[i].running = c && c->running;
		if (!c && !nodocker && ce.code != EXIT_USAGE) {
			if (!items[i].drop) {
				*e = ce;
				goto out;
			}
			/* drop needs no Docker: the rules are found by
			 * their comments, the file by its ID */
			nodocker = 1;
			warn(g, "%s; dropping by the store and the rules' "
			     "comments: hosts entries (add-two-ways) stay in "
			     "the peers' hosts files until Docker rewrites "
			     "them", ce.msg);
		}
		if (nodocker && items[i].drop)
			continue;
		if (c && strcmp(rec->name, c->name)) {
			snprintf(rec->name, sizeof(rec->name), "%s", c->name);
			items[i].dirty = 1;
		}
		if (!c && rec->nrules && !items[i].drop)
			warn(g, "container \"%s\" (%.12s) no longer "
			     "exists: its rules are out of the table; "
			     "`docker-fw drop %.12s` forgets them",
			     rec->name, rec->id, rec->id);
		for (j = 0; j < rec->nrules; j++) {
			if (items[i].drop || !c || !c->running) {
				if (hosts_plan(g, &items[i], c, j, NULL, 0, e))
					goto out;
				continue;
			}
			if (!resolve(g, c, c->name, &rec->rules[j], &r, NULL,
				     &chain, &ce)) {
				if (wants_add(&a.ws, chain, i, j, &r) ||
				    hosts_plan(g, &items[i], c, j, &r,
					       fresh && fresh[j], e))
					goto nomem;
				continue;
			}
			spec.len = 0;
			rulespec_format(&rec->rules[j], &spec);
			warn(g, "%s %s %s: left out: %s",
			     rule_action_name(rec->rules[j].action), c->name,
			     spec.data ? spec.data : "", ce.msg);
		}
	}
	/* the new store files are written (as temporary files) before the
	 * kernel changes: a full disk or a read-only store stops the run
	 * with nothing changed */
	txn = calloc(n + 1, sizeof(*txn));
	if (!txn)
		goto nomem;
	for (i = 0; i < n && !g->dry_run; i++) {
		struct store_rec none = items[i].rec;

		none.rules = NULL;
		none.nrules = 0;
		memset(&none.hostconfig, 0, sizeof(none.hostconfig));
		if ((items[i].dirty || items[i].drop) &&
		    store_prepare(&g->store, items[i].drop ? &none :
				  &items[i].rec, &txn[i], e))
			goto out;
	}
	if (networks(g, &ce))	/* only for the warning below */
		g->have_nets = 0;
	/* the hosts files: checked and locked now, written by sync_plan
	 * right before the commit, put back if the commit fails */
	if (hosts_prepare(g, &hr, e))
		goto out;
	a.hosts = &hr;
	if (transact(g, sync_plan, &a, e)) {
		hosts_undo(g, &hr);
		goto out;
	}
	for (i = 0; i < g->uncovered.n; i++)
		warn(g, "network \"%s\" is not closed by `docker-fw init`: "
		     "its containers are not whitelisted until it runs",
		     g->uncovered.v[i]);
	for (i = 0; i < n; i++)
		if (store_commit(&txn[i], e))
			goto out;
	rc = hosts_finish(g, &hr, e);
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	hosts_finish(g, &hr, NULL);
	for (i = 0; txn && i < n; i++)
		store_abort(&txn[i]);
	free(txn);
	free(fresh);
	buf_free(&spec);
	wants_free(&a.ws);
	return rc;
}

/* ---- init ------------------------------------------------------------- */

struct setup_args {
	const char **bridges;
	size_t n;
	int all;		/* every bridge network: stale tails go */
};

static int setup_plan(struct engine *g, struct fw *f, void *arg,
		      struct err *e)
{
	static const char *const holders[] = { "FORWARD", "DOCKER-BRIDGE" };
	struct setup_args *a = arg;
	struct fw_chain *ch;
	struct fw_change pc = { .op = FW_POLICY };
	struct fw_rule r;
	size_t i, j, k;

	if (plan_base(g, f, e))
		return -1;
	ch = fw_chain(f, "FORWARD");
	if (ch && strcmp(ch->policy, "DROP")) {
		strcpy(pc.chain, "FORWARD");
		strcpy(pc.policy, "DROP");
		strcpy(ch->policy, "DROP");
		if (record(g, &pc, e))
			return -1;
	}
	/* init's DROP for a bridge that is gone (a compose network removed
	 * and made again gets a new bridge name) */
	ch = fw_chain(f, FW_CHAIN_FORWARD);
	for (j = ch->n; a->all && j-- > 0;) {
		for (i = 0; i < a->n; i++)
			if (!strcmp(ch->rules[j].in, a->bridges[i]))
				break;
		if (is_tail(&ch->rules[j]) && i == a->n &&
		    plan_delete(g, ch, j, e))
			return -1;
	}
	for (i = 0; i < a->n; i++) {
		for (k = 0; k < 2; k++) {
			ch = fw_chain(f, holders[k]);
			if (!ch)
				continue;
			memset(&r, 0, sizeof(r));
			r.family = AF_INET;
			snprintf(r.out, sizeof(r.out), "%s", a->bridges[i]);
			strcpy(r.target, "DOCKER");
			while ((j = find_rule(ch, &r)) < ch->n)
				if (plan_delete(g, ch, j, e))
					return -1;
		}
		ch = fw_chain(f, FW_CHAIN_FORWARD);
		memset(&r, 0, sizeof(r));
		r.family = AF_INET;
		snprintf(r.in, sizeof(r.in), "%s", a->bridges[i]);
		snprintf(r.out, sizeof(r.out), "%s", a->bridges[i]);
		strcpy(r.comment, INIT_COMMENT);
		strcpy(r.target, "DROP");
		if (plan_once(g, ch, &r, ch->n, e))
			return -1;
	}
	return 0;
}

int engine_setup(struct engine *g, const struct strv *names, struct err *e)
{
	struct setup_args a = { NULL, 0, !names->n };
	size_t i, j;
	int rc = -1;

	if (networks(g, e))
		return -1;
	a.bridges = calloc(g->nnets + 1, sizeof(*a.bridges));
	if (!a.bridges)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (i = 0; i < names->n; i++) {
		for (j = 0; j < g->nnets; j++)
			if (!strcmp(g->nets[j].name, names->v[i]) ||
			    !strcmp(g->nets[j].id, names->v[i]))
				break;
		if (j == g->nnets) {
			err_set(e, EXIT_USAGE, "--network \"%s\": no such "
				"network", names->v[i]);
			goto out;
		}
		if (strcmp(g->nets[j].driver, "bridge") ||
		    !*g->nets[j].bridge) {
			err_set(e, EXIT_USAGE, "--network \"%s\": not a bridge "
				"network (driver \"%s\")", names->v[i],
				g->nets[j].driver);
			goto out;
		}
	}
	for (j = 0; j < g->nnets; j++) {
		int want = !names->n;

		for (i = 0; i < names->n; i++)
			if (!strcmp(g->nets[j].name, names->v[i]) ||
			    !strcmp(g->nets[j].id, names->v[i]))
				want = 1;
		if (want && !strcmp(g->nets[j].driver, "bridge") &&
		    *g->nets[j].bridge)
			a.bridges[a.n++] = g->nets[j].bridge;
	}
	rc = transact(g, setup_plan, &a, e);
out:
	free(a.bridges);
	return rc;
}

/* ---- helpers for the applets ------------------------------------------ */

static int names_peer(const struct addr_spec *a,
		      const struct docker_container *c)
{
	size_t len = strlen(a->name);

	return a->kind == ADDR_CONTAINER &&
	       (!strcmp(a->name, c->name) ||
		(len >= 4 && !strncmp(a->name, c->id, len)));
}

int engine_dependents(struct engine *g, const struct docker_container *c,
		      struct store_rec **v, size_t *n, struct err *e)
{
	struct store_rec *all;
	struct store_bad *bad;
	size_t i, j, nall, nbad, k = 0;

	if (store_load_all(&g->store, &all, &nall, &bad, &nbad, e))
		return -1;
	for (i = 0; i < nbad; i++)
		warn(g, "%s: rules of %.12s naming \"%s\", if any, are not "
		     "replayed", bad[i].err.msg, bad[i].id, c->name);
	free(bad);
	for (i = 0; i < nall; i++) {
		int dep = 0;

		for (j = 0; j < all[i].nrules && strcmp(all[i].id, c->id);
		     j++)
			if (names_peer(&all[i].rules[j].src, c) ||
			    names_peer(&all[i].rules[j].dst, c))
				dep = 1;
		if (dep)
			all[k++] = all[i];
		else
			store_rec_free(&all[i]);
	}
	*v = all;
	*n = k;
	return 0;
}

void engine_print_backend(const struct engine *g, FILE *f)
{
	if (g->backend)
		fprintf(f, "# backend %s: %s; Docker firewall layout %s\n",
			g->backend->name, g->backend->what, g->layout);
}

size_t engine_pending(const struct engine *g)
{
	size_t i, n = g->nchanges;

	for (i = 0; i < g->nhosts; i++)
		n += g->hosts[i].changed != 0;
	return n;
}

void engine_print_changes(const struct engine *g, FILE *f)
{
	struct buf b = { 0 };
	size_t i;

	if (g->retries)
		fprintf(f, "# the table changed under this run: redone %d "
			"time%s\n", g->retries, g->retries > 1 ? "s" : "");

	for (i = 0; i < g->nchanges; i++) {
		b.len = 0;
		if (!fw_change_format(&g->changes[i], &b))
			fprintf(f, "%s\n", b.data);
	}
	for (i = 0; i < g->nhosts; i++)
		if (g->hosts[i].changed)
			fprintf(f, "# hosts file of %s: %s %s\n",
				g->hosts[i].peer->name, g->hosts[i].name,
				g->hosts[i].changed == 2 ? "not checked "
				"(paused, and a dry run unpauses nothing)" :
				g->hosts[i].changed == 3 ? "cannot be set "
				"(see the warning)" :
				*g->hosts[i].ip ? g->hosts[i].ip : "removed");
	buf_free(&b);
}
