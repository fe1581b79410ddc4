/*
 * fw_iptc.c - the libiptc backend (legacy x_tables): libip4tc for AF_INET,
 * libip6tc for AF_INET6, one table of one family per struct fw.
 *
 * libiptc reads the whole table with iptc_init, edits a copy in memory and
 * replaces the table with one setsockopt in iptc_commit: that is our one
 * atomic commit per table. libiptc does not encode matches; like every
 * libiptc user we lay out the kernel's match structures (xt_tcpudp.h,
 * xt_conntrack.h, xt_comment.h) ourselves, with the revisions iptables
 * 1.8 uses (tcp/udp 0, conntrack 3, comment 0), so iptables-save shows
 * our rules exactly as if `iptables -A` had made them. The two families
 * differ only in the entry's head (struct ipt_ip / struct ip6t_ip6) and
 * the library's names (iptc_* / ip6tc_*): struct tc holds the latter.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "dfw/fw.h"

#define MATCH_SIZE(t) XT_ALIGN(sizeof(struct xt_entry_match) + sizeof(t))

/* The -i/-o value of a kernel entry as iptables-save prints it
 * (print_iface): the name's bytes under the mask, then "+" when the mask
 * ends before the name's NUL (iptables keeps the "+" of "br+" in the
 * name, masked off; docker-fw leaves it out). -1 (out "") for a name
 * with no NUL in its IFNAMSIZ bytes, which iptables never makes. */
static int iface_get(const char *name, const unsigned char *mask, char out[16])
{
	size_t i, k = 0;

	*out = 0;
	if (strnlen(name, IFNAMSIZ) == IFNAMSIZ)
		return -1;
	for (i = 0; i < IFNAMSIZ && mask[i]; i++)
		if (name[i]) {
			if (k >= IFNAMSIZ - 1)
				return -1;
			out[k++] = name[i];
		}
	if (i > 0 && i < IFNAMSIZ && name[i - 1]) {
		if (k >= IFNAMSIZ - 1)
			return -1;
		out[k++] = '+';
	}
	out[k] = 0;
	return 0;
}

static void iface_set(const char *in, char name[IFNAMSIZ],
		      unsigned char mask[IFNAMSIZ])
{
	size_t len = strlen(in);

	if (!len)
		return;
	if (in[len - 1] == '+') {
		memcpy(name, in, len - 1);
		memset(mask, 0xff, len - 1);
	} else {
		memcpy(name, in, len);
		memset(mask, 0xff, len + 1);
	}
}

/* A port range iptables can show as one --sport/--dport value, or any. */
static int one_port(const __u16 pts[2], uint16_t *out)
{
	if (pts[0] == pts[1]) {
		*out = pts[0];
		return 0;
	}
	*out = 0;
	return pts[0] == 0 && pts[1] == 0xffff ? 0 : -1;
}

/*
 * A state match docker-fw does not write: `-m state` (iptables 1.8 makes
 * it conntrack with XT_CONNTRACK_STATE_ALIAS, older ones the state match
 * or conntrack revision 1 or 2) or another conntrack form. Not read: -1
 * (the rule is foreign, shown as "(more matches)"); but when it lets
 * only replies through (a state of RELATED and ESTABLISHED alone, not
 * negated, nothing else), r->ctstate says so, for check's paths. The
 * state bits are conntrack's in both (xt_state.h, xt_conntrack.h).
 */
static int replies_kept(struct fw_rule *r, unsigned flags, unsigned inv,
			unsigned mask)
{
	const unsigned replies = FW_CT_RELATED | FW_CT_ESTABLISHED;

	flags &= ~(unsigned)XT_CONNTRACK_STATE_ALIAS;
	if (flags == XT_CONNTRACK_STATE && !inv && mask && !(mask & ~replies) &&
	    !r->ctstate)
		r->ctstate = mask;
	return -1;
}

static int decode_match(const struct xt_entry_match *m, struct fw_rule *r)
{
	const char *name = m->u.user.name;
	size_t dlen = m->u.match_size - sizeof(*m);

	if (!strcmp(name, "tcp") && dlen >= sizeof(struct xt_tcp)) {
		const struct xt_tcp *t = (const void *)m->data;

		if (t->option || t->flg_mask || t->invflags)
			return -1;
		return one_port(t->spts, &r->sport) |
		       one_port(t->dpts, &r->dport);
	}
	if (!strcmp(name, "udp") && dlen >= sizeof(struct xt_udp)) {
		const struct xt_udp *u = (const void *)m->data;

		if (u->invflags)
			return -1;
		return one_port(u->spts, &r->sport) |
		       one_port(u->dpts, &r->dport);
	}
	if (!strcmp(name, "comment") &&
	    dlen >= sizeof(struct xt_comment_info) && !r->comment) {
		const struct xt_comment_info *c = (const void *)m->data;

		size_t len = strnlen((const char *)c->comment,
				     sizeof(c->comment));

		if (len == sizeof(c->comment) || !len)
			return -1; /* no NUL: never iptables' */
		/* out of memory: not read (foreign), as fw_rule_decode */
		r->comment = fw_intern((const char *)c->comment, len);
		return r->comment ? 0 : -1;
	}
	if (!strcmp(name, "state") && m->u.user.revision == 0 &&
	    dlen >= sizeof(unsigned)) {
		unsigned mask;

		memcpy(&mask, m->data, sizeof(mask));
		return replies_kept(r, XT_CONNTRACK_STATE, 0, mask);
	}
	if (!strcmp(name, "conntrack") && m->u.user.revision == 1 &&
	    dlen >= sizeof(struct xt_conntrack_mtinfo1)) {
		const struct xt_conntrack_mtinfo1 *c = (const void *)m->data;

		return replies_kept(r, c->match_flags, c->invert_flags,
				    c->state_mask);
	}
	if (!strcmp(name, "conntrack") && m->u.user.revision == 2 &&
	    dlen >= sizeof(struct xt_conntrack_mtinfo2)) {
		const struct xt_conntrack_mtinfo2 *c = (const void *)m->data;

		return replies_kept(r, c->match_flags, c->invert_flags,
				    c->state_mask);
	}
	if (!strcmp(name, "conntrack") && m->u.user.revision == 3 &&
	    dlen >= sizeof(struct xt_conntrack_mtinfo3) && !r->ctstate) {
		const struct xt_conntrack_mtinfo3 *c = (const void *)m->data;

		if (c->match_flags != XT_CONNTRACK_STATE)
			return replies_kept(r, c->match_flags, c->invert_flags,
					    c->state_mask);
		if (c->invert_flags & ~XT_CONNTRACK_STATE || !c->state_mask)
			return -1;
		r->ctstate = c->state_mask;
		if (c->invert_flags)
			r->inv |= FW_INV_CT;
		return 0;
	}
	return -1;
}

/* ---- the two families ------------------------------------------------- */

/*
 * libiptc's calls for one family. The calls that take or give an entry
 * are wrapped, entries passed as const void * (struct ipt_entry or
 * struct ip6t_entry); the others have the same shape in both libraries.
 */
struct tc {
	int family;
	const char *names; /* the kernel's list of the family's tables */
	const char *tool;  /* the command line tool, for messages */
	struct xtc_handle *(*init)(const char *table);
	void (*free)(struct xtc_handle *h);
	const char *(*first_chain)(struct xtc_handle *h);
	const char *(*next_chain)(struct xtc_handle *h);
	const void *(*first_rule)(const char *chain, struct xtc_handle *h);
	const void *(*next_rule)(const void *prev, struct xtc_handle *h);
	const char *(*target)(const void *e, struct xtc_handle *h);
	int (*builtin)(const char *chain, struct xtc_handle *const h);
	const char *(*get_policy)(const char *chain, struct xt_counters *c,
				  struct xtc_handle *h);
	int (*insert)(const char *chain, const void *e, unsigned pos,
		      struct xtc_handle *h);
	int (*append)(const char *chain, const void *e, struct xtc_handle *h);
	int (*delete_num)(const char *chain, unsigned pos,
			  struct xtc_handle *h);
	int (*flush)(const char *chain, struct xtc_handle *h);
	int (*create_chain)(const char *chain, struct xtc_handle *h);
	int (*delete_chain)(const char *chain, struct xtc_handle *h);
	int (*set_policy)(const char *chain, const char *policy,
			  struct xt_counters *c, struct xtc_handle *h);
	int (*commit)(struct xtc_handle *h);
	const char *(*strerror)(int err);
};

static const void *first4(const char *c, struct xtc_handle *h)
{
	return iptc_first_rule(c, h);
}

static const void *next4(const void *p, struct xtc_handle *h)
{
	return iptc_next_rule(p, h);
}

static const char *target4(const void *e, struct xtc_handle *h)
{
	return iptc_get_target(e, h);
}

static int insert4(const char *c, const void *e, unsigned pos,
		   struct xtc_handle *h)
{
	return iptc_insert_entry(c, e, pos, h);
}

static int append4(const char *c, const void *e, struct xtc_handle *h)
{
	return iptc_append_entry(c, e, h);
}

static const void *first6(const char *c, struct xtc_handle *h)
{
	return ip6tc_first_rule(c, h);
}

static const void *next6(const void *p, struct xtc_handle *h)
{
	return ip6tc_next_rule(p, h);
}

static const char *target6(const void *e, struct xtc_handle *h)
{
	return ip6tc_get_target(e, h);
}

static int insert6(const char *c, const void *e, unsigned pos,
		   struct xtc_handle *h)
{
	return ip6tc_insert_entry(c, e, pos, h);
}

static int append6(const char *c, const void *e, struct xtc_handle *h)
{
	return ip6tc_append_entry(c, e, h);
}

static const struct tc tc4 = {
	AF_INET,
	"/proc/net/ip_tables_names",
	"iptables-legacy",
	iptc_init,
	iptc_free,
	iptc_first_chain,
	iptc_next_chain,
	first4,
	next4,
	target4,
	iptc_builtin,
	iptc_get_policy,
	insert4,
	append4,
	iptc_delete_num_entry,
	iptc_flush_entries,
	iptc_create_chain,
	iptc_delete_chain,
	iptc_set_policy,
	iptc_commit,
	iptc_strerror,
};

static const struct tc tc6 = {
	AF_INET6,
	"/proc/net/ip6_tables_names",
	"ip6tables-legacy",
	ip6tc_init,
	ip6tc_free,
	ip6tc_first_chain,
	ip6tc_next_chain,
	first6,
	next6,
	target6,
	ip6tc_builtin,
	ip6tc_get_policy,
	insert6,
	append6,
	ip6tc_delete_num_entry,
	ip6tc_flush_entries,
	ip6tc_create_chain,
	ip6tc_delete_chain,
	ip6tc_set_policy,
	ip6tc_commit,
	ip6tc_strerror,
};

static const struct tc *tc_of(int family)
{
	return family == AF_INET ? &tc4 : family == AF_INET6 ? &tc6 : NULL;
}

/* ---- entries ------------------------------------------------------------ */

/* The FW_INV_* bits of an entry's invflags (the same bits in both
 * families: IPT_INV_* and IP6T_INV_*); -1 for any other bit. */
static int inv_of(unsigned invflags)
{
	unsigned known = IPT_INV_SRCIP | IPT_INV_DSTIP | IPT_INV_VIA_IN |
			 IPT_INV_VIA_OUT;

	if (invflags & ~known)
		return -1;
	return (invflags & IPT_INV_SRCIP ? FW_INV_SRC : 0) |
	       (invflags & IPT_INV_DSTIP ? FW_INV_DST : 0) |
	       (invflags & IPT_INV_VIA_IN ? FW_INV_IN : 0) |
	       (invflags & IPT_INV_VIA_OUT ? FW_INV_OUT : 0);
}

static unsigned invflags_of(const struct fw_rule *r)
{
	return (r->inv & FW_INV_SRC ? IPT_INV_SRCIP : 0) |
	       (r->inv & FW_INV_DST ? IPT_INV_DSTIP : 0) |
	       (r->inv & FW_INV_IN ? IPT_INV_VIA_IN : 0) |
	       (r->inv & FW_INV_OUT ? IPT_INV_VIA_OUT : 0);
}

/* Decodes the head of an IPv4 entry; its matches start at *elems. */
static void head4(const struct ipt_entry *e, struct fw_rule *r,
		  const unsigned char **elems)
{
	int inv = inv_of(e->ip.invflags);

	memcpy(r->src, &e->ip.src, 4);
	memcpy(r->smsk, &e->ip.smsk, 4);
	memcpy(r->dst, &e->ip.dst, 4);
	memcpy(r->dmsk, &e->ip.dmsk, 4);
	if (iface_get(e->ip.iniface, e->ip.iniface_mask, r->in) ||
	    iface_get(e->ip.outiface, e->ip.outiface_mask, r->out))
		r->foreign = 1;
	r->proto = e->ip.proto;
	if (inv < 0 || e->ip.flags)
		r->foreign = 1; /* -f, ! -p: not modelled */
	r->inv = inv < 0 ? 0 : (unsigned)inv;
	*elems = e->elems;
}

/* The same for IPv6: ip6tables sets IP6T_F_PROTO with any -p (without
 * it the kernel would not look at the protocol); a TOS match, a goto,
 * a protocol over 255 are not modelled. */
static void head6(const struct ip6t_entry *e, struct fw_rule *r,
		  const unsigned char **elems)
{
	int inv = inv_of(e->ipv6.invflags);

	memcpy(r->src, &e->ipv6.src, 16);
	memcpy(r->smsk, &e->ipv6.smsk, 16);
	memcpy(r->dst, &e->ipv6.dst, 16);
	memcpy(r->dmsk, &e->ipv6.dmsk, 16);
	if (iface_get(e->ipv6.iniface, e->ipv6.iniface_mask, r->in) ||
	    iface_get(e->ipv6.outiface, e->ipv6.outiface_mask, r->out))
		r->foreign = 1;
	r->proto = (uint8_t)e->ipv6.proto;
	if (inv < 0 || e->ipv6.proto > 255 || e->ipv6.tos ||
	    e->ipv6.flags != (e->ipv6.proto ? IP6T_F_PROTO : 0))
		r->foreign = 1;
	r->inv = inv < 0 ? 0 : (unsigned)inv;
	*elems = e->elems;
}

/* Decodes one kernel entry of tc's family; what it cannot show exactly
 * makes it foreign. */
static void decode(const struct tc *tc, const void *en, struct xtc_handle *h,
		   struct fw_rule *r)
{
	const unsigned char *base = en, *p, *end;
	const struct xt_entry_target *t;
	const char *tname;
	size_t toff, tlen;

	memset(r, 0, sizeof(*r));
	r->family = tc->family;
	if (tc->family == AF_INET6) {
		head6(en, r, &p);
		toff = ((const struct ip6t_entry *)en)->target_offset;
	} else {
		head4(en, r, &p);
		toff = ((const struct ipt_entry *)en)->target_offset;
	}
	end = base + toff;
	t = (const void *)end;
	while (p < end) {
		const struct xt_entry_match *m = (const void *)p;

		if (m->u.match_size < sizeof(*m) ||
		    m->u.match_size > (size_t)(end - p))
			break;
		if (decode_match(m, r))
			r->foreign = 1;
		p += m->u.match_size;
	}
	tname = tc->target(en, h);
	tlen = strnlen(tname, sizeof(r->target) - 1); /* no printf: once a
						       * rule of 10,000s */
	memcpy(r->target, tname, tlen);
	r->target[tlen] = 0;
	/* a target extension (REJECT, LOG...) has options docker-fw does
	 * not model, even one the size of a standard target (REJECT's
	 * --reject-with): only a verdict or a jump is read whole */
	if (strcmp(t->u.user.name, XT_STANDARD_TARGET) ||
	    t->u.target_size != XT_ALIGN(sizeof(struct xt_standard_target)))
		r->foreign = 1;
	/* another protocol, as fw_rule_decode reads iptables-nft's */
	if (r->proto && r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP)
		r->foreign = 1;
}

int fw_iptc_has_table(int family, const char *table)
{
	const struct tc *tc = tc_of(family);
	FILE *t = tc ? fopen(tc->names, "re") : NULL;
	char name[64];
	int rc = 0;

	/* one table name a line (/proc/net/ip_tables_names); fgets, not
	 * fscanf: scanf would add 12 KiB to the binary for this loop */
	while (t && fgets(name, sizeof(name), t)) {
		name[strcspn(name, "\n")] = '\0';
		rc |= !strcmp(name, table);
	}
	if (t)
		fclose(t);
	return rc;
}

int fw_iptc_table_exists(const char *table)
{
	return fw_iptc_has_table(AF_INET, table);
}

/*
 * The table as the kernel hands it to iptc_init: IPT_SO_GET_INFO, then
 * IPT_SO_GET_ENTRIES of its size (again when a replace changed the size
 * between the two: EAGAIN). ip6tables' are the same calls at IPPROTO_IPV6,
 * with the same numbers and heads; the entries differ in their head.
 */
static int get_entries(int family, const char *table, struct ipt_getinfo *info,
		       struct ipt_get_entries **out)
{
	int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	struct ipt_get_entries *g = NULL;
	int fd, tries, rc = -1;
	socklen_t len;

	*out = NULL;
	if (strlen(table) >= sizeof(info->name))
		return -1;
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -1;
	for (tries = 0; tries < 5; tries++) {
		memset(info, 0, sizeof(*info));
		strcpy(info->name, table);
		len = sizeof(*info);
		if (getsockopt(fd, level, IPT_SO_GET_INFO, info, &len) ||
		    len != sizeof(*info))
			break;
		free(g);
		g = malloc(sizeof(*g) + info->size);
		if (!g)
			break;
		memset(g, 0, sizeof(*g));
		strcpy(g->name, table);
		g->size = info->size;
		len = sizeof(*g) + info->size;
		if (!getsockopt(fd, level, IPT_SO_GET_ENTRIES, g, &len) &&
		    len == sizeof(*g) + info->size && g->size == info->size) {
			rc = 0;
			break;
		}
		if (errno != EAGAIN)
			break;
	}
	close(fd);
	if (rc)
		free(g);
	else
		*out = g;
	return rc;
}

/* A match's or target's digest after h (struct xt_entry_match and
 * xt_entry_target share their head): size, name, revision, then data.
 * The bytes after the name's NUL are left out: the kernel writes the
 * name alone over a reader's buffer (xt_obj_to_user), so they hold
 * whatever that buffer held. */
static uint64_t ext_digest(const unsigned char *p, size_t size, uint64_t h)
{
	struct xt_entry_match m;
	size_t len;

	memcpy(&m, p, sizeof(m));
	len = strnlen(m.u.user.name, sizeof(m.u.user.name));
	memset(m.u.user.name + len, 0, sizeof(m.u.user.name) - len);
	h = hash64(&m, sizeof(m), h);
	return hash64(p + sizeof(m), size - sizeof(m), h);
}

/*
 * The digest of a table as IPT_SO_GET_INFO and IPT_SO_GET_ENTRIES hand
 * it out, or as IPT_SO_SET_REPLACE takes it (the same entries; info's
 * fields from the replace's): what the kernel gives back of each entry
 * (its head but comefrom and counters; its matches' and target's
 * ext_digest). 0, or -1 for entries that do not add up to size.
 */
static int table_digest(int v6, const struct ipt_getinfo *in,
			const unsigned char *t, size_t size, uint64_t seed,
			uint64_t *out)
{
	/* an entry's head up to comefrom (the kernel's scratch, which
	 * counters follow), and its size: where its matches start */
	const size_t keep = v6 ? offsetof(struct ip6t_entry, comefrom) :
				 offsetof(struct ipt_entry, comefrom);
	const size_t head = v6 ? sizeof(struct ip6t_entry) :
				 sizeof(struct ipt_entry);
	const size_t at_to = v6 ? offsetof(struct ip6t_entry, target_offset) :
				  offsetof(struct ipt_entry, target_offset);
	const size_t at_no = v6 ? offsetof(struct ip6t_entry, next_offset) :
				  offsetof(struct ipt_entry, next_offset);
	const size_t ms = sizeof(struct xt_entry_match);
	struct ipt_getinfo info;
	size_t off, next, to, i, sz;
	uint16_t v;
	uint64_t h;

	memset(&info, 0, sizeof(info));
	memcpy(info.name, in->name, strnlen(in->name, sizeof(info.name) - 1));
	info.valid_hooks = in->valid_hooks;
	/* the hooks the table has: the kernel sets the others to ~0, a
	 * replace leaves them as they come (libiptc's 0) */
	for (i = 0; i < NF_INET_NUMHOOKS; i++)
		if (in->valid_hooks & 1u << i) {
			info.hook_entry[i] = in->hook_entry[i];
			info.underflow[i] = in->underflow[i];
		}
	info.num_entries = in->num_entries;
	info.size = in->size;
	h = hash64(&info, sizeof(info), seed);
	for (off = 0; off < size; off += next) {
		if (size - off < head)
			return -1;
		memcpy(&v, t + off + at_no, sizeof(v));
		next = v;
		memcpy(&v, t + off + at_to, sizeof(v));
		to = v;
		if (next > size - off || to < head || to > next ||
		    next - to < sizeof(struct xt_entry_target))
			return -1;
		h = hash64(t + off, keep, h);
		for (i = head; i < to; i += sz) {
			if (to - i < ms)
				return -1;
			memcpy(&v, t + off + i, sizeof(v));
			sz = v;
			if (sz < ms || sz > to - i)
				return -1;
			h = ext_digest(t + off + i, sz, h);
		}
		memcpy(&v, t + off + to, sizeof(v));
		sz = v;
		if (sz < sizeof(struct xt_entry_target) || sz > next - to)
			return -1;
		h = ext_digest(t + off + to, sz, h);
	}
	*out = h;
	return 0;
}

int fw_iptc_digest(int family, const char *table, uint64_t seed, uint64_t *out)
{
	struct ipt_get_entries *g;
	struct ipt_getinfo info;
	int rc;

	if ((family != AF_INET && family != AF_INET6) ||
	    get_entries(family, table, &info, &g))
		return -1;
	rc = table_digest(family == AF_INET6, &info,
			  (const unsigned char *)g->entrytable, g->size, seed,
			  out);
	free(g);
	return rc;
}

/*
 * What libiptc reads and replaces: the link wraps getsockopt and
 * setsockopt (-Wl,--wrap, the Makefile's WRAP), and each answer of
 * IPT_SO_GET_ENTRIES and each replace the kernel took, of a filter
 * table, leaves its digest here while fw_iptc_seen_start's watch is on.
 * IPT_SO_GET_INFO comes first and gives the entries' info. ip6tables'
 * calls have the same numbers and heads at IPPROTO_IPV6.
 */
static struct {
	int on;
	uint64_t seed;
	int info_ok[2];
	struct ipt_getinfo info[2];
	int state[2]; /* fw_iptc_seen's */
	uint64_t digest[2];
} seen;

void fw_iptc_seen_start(uint64_t seed)
{
	memset(&seen, 0, sizeof(seen));
	seen.on = 1;
	seen.seed = seed;
}

void fw_iptc_seen_stop(void)
{
	seen.on = 0;
}

int fw_iptc_seen(int family, uint64_t *out)
{
	int k = family == AF_INET6;

	if (seen.state[k] > 0)
		*out = seen.digest[k];
	return seen.state[k];
}

/* The family of a call at level, or -1: not one of x_tables'. */
static int seen_family(int level)
{
	return level == IPPROTO_IP ? 0 : level == IPPROTO_IPV6 ? 1 : -1;
}

static void seen_table(int k, const struct ipt_getinfo *info,
		       const void *entries, size_t size)
{
	seen.state[k] = table_digest(k, info, entries, size, seen.seed,
				     &seen.digest[k]) ?
				-1 :
				1;
}

int __real_getsockopt(int fd, int level, int name, void *restrict v,
		      socklen_t *restrict len);
int __wrap_getsockopt(int fd, int level, int name, void *restrict v,
		      socklen_t *restrict len);
int __wrap_getsockopt(int fd, int level, int name, void *restrict v,
		      socklen_t *restrict len)
{
	int rc = __real_getsockopt(fd, level, name, v, len);
	int k = seen_family(level), saved = errno;
	const struct ipt_get_entries *g = v;
	const struct ipt_getinfo *i = v;

	if (rc || !seen.on || k < 0)
		return rc;
	if (name == IPT_SO_GET_INFO && *len == sizeof(*i) &&
	    !strncmp(i->name, "filter", sizeof(i->name))) {
		seen.info[k] = *i;
		seen.info_ok[k] = 1;
	} else if (name == IPT_SO_GET_ENTRIES && *len >= sizeof(*g) &&
		   !strncmp(g->name, "filter", sizeof(g->name))) {
		if (seen.info_ok[k] && g->size == seen.info[k].size &&
		    *len == sizeof(*g) + g->size)
			seen_table(k, &seen.info[k], g->entrytable, g->size);
		else
			seen.state[k] = -1;
	}
	errno = saved;
	return rc;
}

int __real_setsockopt(int fd, int level, int name, const void *v,
		      socklen_t len);
int __wrap_setsockopt(int fd, int level, int name, const void *v,
		      socklen_t len);
int __wrap_setsockopt(int fd, int level, int name, const void *v, socklen_t len)
{
	int rc = __real_setsockopt(fd, level, name, v, len);
	int k = seen_family(level), saved = errno;
	const struct ipt_replace *r = v;
	struct ipt_getinfo info;

	if (rc || !seen.on || k < 0 || name != IPT_SO_SET_REPLACE ||
	    len < sizeof(*r) || strncmp(r->name, "filter", sizeof(r->name)))
		return rc;
	if (len != sizeof(*r) + r->size) {
		seen.state[k] = -1;
	} else {
		memset(&info, 0, sizeof(info));
		memcpy(info.name, r->name, sizeof(info.name));
		info.valid_hooks = r->valid_hooks;
		memcpy(info.hook_entry, r->hook_entry, sizeof(info.hook_entry));
		memcpy(info.underflow, r->underflow, sizeof(info.underflow));
		info.num_entries = r->num_entries;
		info.size = r->size;
		seen_table(k, &info, r->entries, r->size);
	}
	errno = saved;
	return rc;
}

/* Whether docker-fw can show r as it is: its values hold no control
 * character (iptables-save would print them raw, a newline breaking
 * the line). */
static int readable(const struct fw_rule *r)
{
	const char *v[3] = { fw_comment(r), r->in, r->out };
	const char *p;
	size_t i;

	for (i = 0; i < 3; i++)
		for (p = v[i]; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return 0;
	return 1;
}

/* The error for the last rule of c, one of docker-fw's own chains. */
static int unreadable(const struct tc *tc, const struct fw_chain *c,
		      struct err *e)
{
	struct buf b = { 0 };

	buf_printf(&b, "-A %s ", c->name);
	fw_rule_show(&c->rules[c->n - 1], &b);
	err_set(e, EXIT_RUNTIME,
		"rule %zu of %s, docker-fw's own chain, is "
		"one docker-fw cannot read (a control character): \"%.240s\" "
		"(delete it: %s -D %s %zu)",
		c->n, c->name, b.data ? b.data : "", tc->tool, c->name, c->n);
	buf_free(&b);
	return -1;
}

/* "iptables (legacy)" or "ip6tables (legacy)", for messages. */
static const char *what(const struct tc *tc)
{
	return tc->family == AF_INET6 ? "ip6tables (legacy)" :
					"iptables (legacy)";
}

static int read_table(struct fw *f, struct err *e)
{
	const struct tc *tc = tc_of(f->family);
	struct xtc_handle *h;
	const void *en;
	struct xt_counters cnt;
	const char *name;
	size_t nrules = 0;

	if (!tc)
		return err_set(e, EXIT_RUNTIME,
			       "the iptc backend handles IPv4 "
			       "and IPv6 only, not address family %d",
			       f->family);
	/* iptc_init of a table that is not there makes it (the kernel loads
	 * it on first use), and iptables-nft then warns on every command
	 * that legacy tables are present: reading never does that */
	if (!(f->env && f->env->make_table) &&
	    !fw_iptc_has_table(f->family, f->table))
		return err_set(e, EXIT_RUNTIME,
			       "no Docker chains in the "
			       "legacy (libiptc) %s%s table: this network "
			       "namespace has no such table "
			       "(%s does not list it), and reading it would "
			       "make one",
			       f->family == AF_INET6 ? "IPv6 " : "", f->table,
			       tc->names);
	h = tc->init(f->table);
	if (!h)
		return err_set(e, EXIT_RUNTIME,
			       "cannot read the %s table "
			       "\"%s\": %s",
			       what(tc), f->table, tc->strerror(errno));
	f->priv = h;
	for (name = tc->first_chain(h); name; name = tc->next_chain(h)) {
		const char *pol = tc->builtin(name, h) ?
					  tc->get_policy(name, &cnt, h) :
					  NULL;
		struct fw_chain *c = fw_chain_add(f, name, pol ? pol : "-");
		struct fw_rule *r;

		if (!c)
			goto nomem;
		for (en = tc->first_rule(name, h); en;
		     en = tc->next_rule(en, h)) {
			if (++nrules > FW_MAX_RULES)
				return err_set(e, EXIT_RUNTIME,
					       "the %s table "
					       "\"%s\" holds more than %d "
					       "rules (docker-fw's limit)",
					       what(tc), f->table,
					       FW_MAX_RULES);
			r = fw_chain_push(c);
			if (!r)
				goto nomem;
			decode(tc, en, h, r);
			if (!readable(r) && (!strcmp(name, FW_CHAIN_FORWARD) ||
					     !strcmp(name, FW_CHAIN_INPUT)))
				return unreadable(tc, c, e);
		}
	}
	return 0;
nomem:
	return err_set(e, EXIT_RUNTIME, "out of memory");
}

/* Builds the kernel entry of r, of its family; malloc'd, NULL with errno
 * set. */
static void *encode(const struct fw_rule *r)
{
	size_t head = r->family == AF_INET6 ?
			      XT_ALIGN(sizeof(struct ip6t_entry)) :
			      XT_ALIGN(sizeof(struct ipt_entry));
	size_t size = head;
	size_t tsize = XT_ALIGN(sizeof(struct xt_standard_target));
	struct xt_entry_target *t;
	struct xt_entry_match *m;
	unsigned char *en, *p;

	if ((r->family != AF_INET && r->family != AF_INET6) || r->foreign ||
	    r->extra || fw_rule_check(r, NULL)) {
		/* libiptc does not encode matches: only those above; and
		 * no value is cut to fit the kernel's structs */
		errno = r->family != AF_INET && r->family != AF_INET6 ?
				EAFNOSUPPORT :
				EINVAL;
		return NULL;
	}
	if (r->sport || r->dport)
		size += r->proto == IPPROTO_TCP ? MATCH_SIZE(struct xt_tcp) :
						  MATCH_SIZE(struct xt_udp);
	if (r->ctstate)
		size += MATCH_SIZE(struct xt_conntrack_mtinfo3);
	if (r->comment)
		size += MATCH_SIZE(struct xt_comment_info);
	en = calloc(1, size + tsize);
	if (!en)
		return NULL;
	if (r->family == AF_INET6) {
		struct ip6t_entry *e = (void *)en;

		memcpy(&e->ipv6.src, r->src, 16);
		memcpy(&e->ipv6.smsk, r->smsk, 16);
		memcpy(&e->ipv6.dst, r->dst, 16);
		memcpy(&e->ipv6.dmsk, r->dmsk, 16);
		iface_set(r->in, e->ipv6.iniface, e->ipv6.iniface_mask);
		iface_set(r->out, e->ipv6.outiface, e->ipv6.outiface_mask);
		e->ipv6.proto = r->proto;
		/* as ip6tables: the kernel looks at the protocol only then */
		e->ipv6.flags = r->proto ? IP6T_F_PROTO : 0;
		e->ipv6.invflags = (uint8_t)invflags_of(r);
		e->target_offset = (uint16_t)size;
		e->next_offset = (uint16_t)(size + tsize);
		p = e->elems;
	} else {
		struct ipt_entry *e = (void *)en;

		memcpy(&e->ip.src, r->src, 4);
		memcpy(&e->ip.smsk, r->smsk, 4);
		memcpy(&e->ip.dst, r->dst, 4);
		memcpy(&e->ip.dmsk, r->dmsk, 4);
		iface_set(r->in, e->ip.iniface, e->ip.iniface_mask);
		iface_set(r->out, e->ip.outiface, e->ip.outiface_mask);
		e->ip.proto = r->proto;
		e->ip.invflags = (uint8_t)invflags_of(r);
		e->target_offset = (uint16_t)size;
		e->next_offset = (uint16_t)(size + tsize);
		p = e->elems;
	}
	if ((r->sport || r->dport) && r->proto == IPPROTO_TCP) {
		struct xt_tcp *tcp;

		m = (void *)p;
		m->u.user.match_size = MATCH_SIZE(struct xt_tcp);
		memcpy(m->u.user.name, "tcp", sizeof("tcp"));
		tcp = (void *)m->data;
		tcp->spts[0] = r->sport;
		tcp->spts[1] = r->sport ? r->sport : 0xffff;
		tcp->dpts[0] = r->dport;
		tcp->dpts[1] = r->dport ? r->dport : 0xffff;
		p += m->u.user.match_size;
	} else if (r->sport || r->dport) {
		struct xt_udp *udp;

		m = (void *)p;
		m->u.user.match_size = MATCH_SIZE(struct xt_udp);
		memcpy(m->u.user.name, "udp", sizeof("udp"));
		udp = (void *)m->data;
		udp->spts[0] = r->sport;
		udp->spts[1] = r->sport ? r->sport : 0xffff;
		udp->dpts[0] = r->dport;
		udp->dpts[1] = r->dport ? r->dport : 0xffff;
		p += m->u.user.match_size;
	}
	if (r->ctstate) {
		struct xt_conntrack_mtinfo3 *ct;

		m = (void *)p;
		m->u.user.match_size = MATCH_SIZE(*ct);
		memcpy(m->u.user.name, "conntrack", sizeof("conntrack"));
		m->u.user.revision = 3;
		ct = (void *)m->data;
		ct->match_flags = XT_CONNTRACK_STATE;
		ct->invert_flags = r->inv & FW_INV_CT ? XT_CONNTRACK_STATE : 0;
		ct->state_mask = r->ctstate;
		p += m->u.user.match_size;
	}
	if (r->comment) {
		struct xt_comment_info *ci;

		m = (void *)p;
		m->u.user.match_size = MATCH_SIZE(*ci);
		memcpy(m->u.user.name, "comment", sizeof("comment"));
		ci = (void *)m->data;
		/* fw_rule_check: at most FW_COMMENT_MAX bytes; en is
		 * zeroed, so the NUL is there */
		memcpy(ci->comment, r->comment,
		       strnlen(r->comment, sizeof(ci->comment) - 1));
	}
	t = (void *)(en + size);
	t->u.user.target_size = tsize;
	/* fw_rule_check: at most FW_CHAIN_MAX bytes */
	memcpy(t->u.user.name, r->target,
	       strnlen(r->target, sizeof(t->u.user.name) - 1));
	return en;
}

/*
 * libiptc finds the rule of `-I CHAIN N` or `-D CHAIN N` by walking its
 * list of the chain from the nearer end (libiptc.c, iptcc_get_rule_num):
 * thousands of changes in the middle of a chain of thousands of rules
 * walk millions of rules (a replay after half the containers moved:
 * 5,000 deleted and 5,000 inserted in 10,000, a quarter of its time). A
 * chain of docker-fw's own whose changes would walk more than
 * WHOLE_RATIO steps per rule of it is written whole instead: flushed,
 * then its rules as the plan leaves them (f->planned) appended, each at
 * once, in the same commit (no packet sees it empty). Only when every
 * rule of it is one libiptc can be given (none foreign, no extra
 * text), and no change makes or deletes the chain. Counters of its
 * rules restart, as on nf_tables (fw_nft.c).
 */
#define WHOLE_RATIO \
	200 /* an entry encoded and appended: about 100
			 * steps of the walk; 2x that, as fw_nft.c */

static int ours(const char *chain)
{
	return !strcmp(chain, FW_CHAIN_FORWARD) ||
	       !strcmp(chain, FW_CHAIN_INPUT);
}

static int whole(const struct fw *f, const struct fw_chain *ch,
		 const struct fw_change *c, size_t n)
{
	uint64_t walk = 0;
	size_t i, m = ch->n;

	if (!f->planned || ch->shed || !ours(ch->name))
		return 0;
	for (i = 0; i < ch->n; i++)
		if (ch->rules[i].foreign || ch->rules[i].extra)
			return 0;
	/* the chain's length before the changes, from its length after */
	for (i = 0; i < n; i++) {
		if (strcmp(c[i].chain, ch->name))
			continue;
		if (c[i].op == FW_NEW_CHAIN || c[i].op == FW_DEL_CHAIN)
			return 0;
		if (c[i].op == FW_DELETE)
			m++;
		else if (c[i].op == FW_INSERT || c[i].op == FW_APPEND)
			m--;
	}
	for (i = 0; i < n; i++) {
		size_t pos = c[i].pos, back = m + 1 > pos ? m + 1 - pos : 0;

		if (strcmp(c[i].chain, ch->name))
			continue;
		if (c[i].op == FW_DELETE || c[i].op == FW_INSERT)
			walk += pos < back ? pos : back;
		if (c[i].op == FW_DELETE)
			m -= m > 0;
		else if (c[i].op == FW_INSERT || c[i].op == FW_APPEND)
			m++;
	}
	return walk > (uint64_t)WHOLE_RATIO * (ch->n + 1);
}

/* Chain ch written whole: flushed, its rules appended. 1, or 0 with
 * errno set (*bad the rule refused). */
static int write_whole(const struct tc *tc, const struct fw_chain *ch,
		       struct xtc_handle *h, const struct fw_rule **bad)
{
	void *en;
	size_t i;
	int ok;

	if (!tc->flush(ch->name, h))
		return 0;
	for (i = 0; i < ch->n; i++) {
		*bad = &ch->rules[i];
		en = encode(&ch->rules[i]);
		ok = en && tc->append(ch->name, en, h);
		free(en);
		if (!ok)
			return 0;
	}
	*bad = NULL;
	return 1;
}

/* A test's fault (FW_FAIL_AGAIN): the first commit of the process is
 * refused as the kernel refuses a table changed under us (EAGAIN),
 * after libiptc's copy holds every change; the next ones go through. */
static int refuse_once(const struct fw *f)
{
	static int refused;

	if (!f->env || f->env->fail_family != FW_FAIL_AGAIN || refused)
		return 0;
	refused = 1;
	errno = EAGAIN;
	return 1;
}

static int commit(struct fw *f, const struct fw_change *c, size_t n,
		  struct err *e)
{
	const struct tc *tc = tc_of(f->family);
	struct xtc_handle *h = f->priv;
	const struct fw_chain *w[2] = { NULL, NULL };
	const struct fw_rule *bad = NULL;
	int done[2] = { 0, 0 };
	struct buf b = { 0 };
	void *en;
	size_t i, k, nw = 0;
	int ok = 1;

	/* every value is checked before the copy is edited: one the
	 * kernel's structs cannot hold whole is refused, never cut */
	for (i = 0; i < n; i++)
		if (fw_change_check(&c[i], e))
			return err_wrap(e, "nothing changed");
	for (i = 0; i < f->nchains && nw < 2; i++)
		if (whole(f, &f->chains[i], c, n))
			w[nw++] = &f->chains[i];
	for (i = 0; i < n && ok; i++) {
		for (k = 0; k < nw && strcmp(c[i].chain, w[k]->name); k++)
			;
		if (k < nw && c[i].op != FW_POLICY) {
			/* its first change writes it whole, the others
			 * are in it */
			if (!done[k])
				ok = write_whole(tc, w[k], h, &bad);
			done[k] = 1;
			continue;
		}
		switch (c[i].op) {
		case FW_NEW_CHAIN:
			ok = tc->create_chain(c[i].chain, h);
			break;
		case FW_POLICY:
			ok = tc->set_policy(c[i].chain, c[i].policy, NULL, h);
			break;
		case FW_DEL_CHAIN:
			ok = tc->flush(c[i].chain, h) &&
			     tc->delete_chain(c[i].chain, h);
			break;
		case FW_DELETE:
			ok = tc->delete_num(c[i].chain, c[i].pos - 1, h);
			break;
		case FW_INSERT:
		case FW_APPEND:
			en = encode(&c[i].rule);
			ok = en && (c[i].op == FW_APPEND ?
					    tc->append(c[i].chain, en, h) :
					    tc->insert(c[i].chain, en,
						       c[i].pos - 1, h));
			free(en);
			break;
		}
	}
	if (!ok) {
		int saved = errno;

		if (bad) {
			struct fw_change one = c[i - 1];

			one.op = FW_APPEND;
			one.rule = *bad;
			fw_change_format(&one, &b);
		} else {
			fw_change_format(&c[i - 1], &b);
		}
		err_set(e, EXIT_RUNTIME, "libiptc refused `%s`: %s",
			b.data ? b.data : "?", tc->strerror(saved));
		buf_free(&b);
		goto reread;
	}
	/* libiptc's copy holds every change now: the changes and the
	 * snapshot's rules go before iptc_commit builds the new table */
	fw_let_go(f);
	if (refuse_once(f) || !tc->commit(h)) {
		int saved = errno;

		err_set(e, saved == EAGAIN ? FW_AGAIN : EXIT_RUNTIME,
			"cannot commit the %s table \"%s\": %s", what(tc),
			f->table, tc->strerror(saved));
		goto reread;
	}
	return 0;
reread:
	/* the handle holds a half-edited copy: drop it */
	tc->free(h);
	f->priv = NULL;
	return -1;
}

static void close_table(struct fw *f)
{
	const struct tc *tc = tc_of(f->family);

	if (f->priv && tc)
		tc->free(f->priv);
	f->priv = NULL;
}

const struct fw_ops fw_iptc_ops = {
	.name = "iptc",
	.what = "libiptc (legacy x_tables)",
	.read = read_table,
	.commit = commit,
	.close = close_table,
	.whole = whole,
};
