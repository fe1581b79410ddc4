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
	       !strcmp(want->comment, canonical->comment) &&
	       !strcmp(want->target, canonical->target);
}

/* ---- owner comments ---------------------------------------------------- */

const char *const resolve_chains[RESOLVE_NCHAINS] = {
	FW_CHAIN_FORWARD, FW_CHAIN_INPUT,
};

/* The bytes of "docker-fw NAME ID12" around NAME. */
#define OWNER_FIXED (sizeof(FW_COMMENT " ") - 1 + 1 + 12)

/* The comment's text is described in resolve.h. */
int resolve_owner_comment(char out[256], const char *name, const char *id,
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

const char *resolve_rule_owner(const struct fw_rule *r,
			       const struct resolve_owner *v, size_t n)
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
		snprintf(old, sizeof(old), FW_COMMENT " %s %.12s", v[i].name,
			 v[i].id);
		if (!strcmp(old, r->comment))
			return v[i].id;
	}
	return "-";
}

/* ---- rule spec -> kernel rule ----------------------------------------- */

static int side(const struct addr_spec *a,
		const struct docker_cnet *own, const char *netname,
		const struct docker_container *peer, uint8_t addr[16],
		uint8_t mask[16], const char *opt, struct err *e)
{
	const struct docker_cnet *pn;
	uint32_t ip;

	switch (a->kind) {
	case ADDR_SELF:
		if (view_ip4(own->ip, &ip))
			return err_set(e, EXIT_USAGE, "no IPv4 address on "
				       "network \"%s\"", netname);
		fw_set_ip4(addr, mask, ip, 32);
		return 0;
	case ADDR_GATEWAY:
		if (view_ip4(own->gateway, &ip))
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
		pn = view_cnet(peer, netname);
		if (!pn || view_ip4(pn->ip, &ip))
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

/* The IPv4 rule of spec r of container c and its peer (NULL: none). */
static int resolve4(const struct docker_container *c,
		    const struct docker_container *peer,
		    const struct rulespec *r, struct fw_rule *out,
		    struct err *e)
{
	const struct docker_cnet *n;

	memset(out, 0, sizeof(*out));
	n = view_pick_net(c, r->network, peer, e);
	if (!n)
		return -1;
	out->family = AF_INET;
	if (side(&r->src, n, n->name, peer, out->src, out->smsk,
		 "--source", e) ||
	    side(&r->dst, n, n->name, peer, out->dst, out->dmsk,
		 "--dest", e))
		return -1;
	out->proto = r->proto;
	out->sport = r->sport;
	out->dport = r->dport;
	if (resolve_owner_comment(out->comment, c->name, c->id, e))
		return -1;
	snprintf(out->target, sizeof(out->target), "%s",
		 r->action == RULE_ADD ? "DOCKER" : "ACCEPT");
	return 0;
}

int resolve_rule(struct view *v, int iptc_only,
		 const struct docker_container *c, const struct rulespec *r,
		 struct resolve_out out[RESOLVE_MAX],
		 struct fw_rule base[RESOLVE_MAX], size_t *n, struct err *e)
{
	const struct addr_spec *pa = r->src.kind == ADDR_CONTAINER ? &r->src :
				     r->dst.kind == ADDR_CONTAINER ? &r->dst :
				     NULL;
	const struct docker_container *peer = NULL;
	struct fw_rule *fr = &out[0].rule;
	struct err se;

	*n = 0;
	if (!c->running)
		return err_set(e, EXIT_USAGE, "container \"%s\" is not "
			       "running", c->name);
	if (pa) {
		peer = view_container(v, pa->name, 0, e);
		if (!peer)
			return -1;
		if (!peer->running)
			return err_set(e, EXIT_USAGE, "container \"%s\" is "
				       "not running", peer->name);
	}
	/* AF_INET6 joins here with #14: a rule per family c has an
	 * address in, each with the same --filter */
	if (resolve4(c, peer, r, fr, e))
		return -1;
	out[0].family = AF_INET;
	out[0].chain = r->action == RULE_ADD_INPUT ? RESOLVE_INPUT :
		       RESOLVE_FORWARD;
	if (base)
		base[0] = *fr;
	*n = 1;
	if (!r->filter.n ||
	    !fw_rule_filter(fr, r->filter.v, r->filter.n, 0, &se))
		return 0;
	if (iptc_only) {
		*e = se;
		*n = 0;
		return -1;
	}
	if (fw_rule_filter(fr, r->filter.v, r->filter.n, 1, e)) {
		*n = 0;
		return -1;
	}
	return 0;
}

static int check_side(struct view *v, const struct docker_container *c,
		      struct rulespec *r, struct addr_spec *a,
		      const char *opt, struct err *e)
{
	const struct docker_network *n;
	const struct docker_container *p;
	const char *subnet = NULL;
	char s[64];

	if (a->kind == ADDR_CONTAINER) {
		p = view_container(v, a->name, 0, e);
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
	n = view_net_of(v, a->ip, a->prefix, &subnet);
	if (!n)
		return 0;
	inet_ntop(AF_INET, &a->ip, s, sizeof(s));
	/* add and allow open published ports to outside addresses: a
	 * container named there is refused too, so no hint at either */
	if (r->action == RULE_ADD)
		return err_set(e, EXIT_USAGE, "%s \"%s/%d\" is an address of "
			       "Docker network \"%s\" (%s): published ports "
			       "open to outside addresses; between containers, "
			       "use add-internal", opt, s, a->prefix, n->name,
			       subnet);
	if (!r->rev_lookup)
		return err_set(e, EXIT_USAGE, "%s \"%s/%d\" is an address of "
			       "Docker network \"%s\" (%s): name the container "
			       "instead, or add --rev-lookup", opt, s,
			       a->prefix, n->name, subnet);
	if (a->prefix != 32)
		return err_set(e, EXIT_USAGE, "%s \"%s/%d\": --rev-lookup "
			       "maps one address, not a network", opt, s,
			       a->prefix);
	p = view_holder(v, a->ip, e);
	if (!p)
		return err_wrap(e, "%s \"%s\" (--rev-lookup)", opt, s);
	if (!strcmp(p->id, c->id))
		return err_set(e, EXIT_USAGE, "%s \"%s\" is the container "
			       "itself: use \".\"", opt, s);
	a->kind = ADDR_CONTAINER;
	snprintf(a->name, sizeof(a->name), "%s", p->name);
	return 0;
}

int resolve_canon(const struct fw_env *env, int may_write,
		  struct rulespec *r, const struct fw_rule *base,
		  struct fw_rule *fr, int chain, struct err *e)
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
		err_set(e, EXIT_USAGE, "--filter \"%.200s\": iptables "
			"refused it: %s", ft.data ? ft.data : "", pr.why);
		goto out;
	}
	if (!resolve_same_spec(fr, &pr.rule)) {
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

/* ---- checks of a new spec ---------------------------------------------- */

int resolve_check(struct view *v, const struct docker_container *c,
		  struct rulespec *r, struct err *e)
{
	if (!c->running)
		return err_set(e, EXIT_USAGE, "container \"%s\" is not "
			       "running: its rules need its address",
			       c->name);
	if (view_networks(v, e) ||
	    check_side(v, c, r, &r->src, "--source", e) ||
	    check_side(v, c, r, &r->dst, "--dest", e))
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
		err_set(e, EXIT_USAGE, "--source \"%s\" is not a container: "
			"add-two-ways needs the peer whose /etc/hosts gets "
			"the name", b.data ? b.data : "");
		buf_free(&b);
		return -1;
	}
	return 0;
}
