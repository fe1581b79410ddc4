/*
 * fw_iptc.c - the libiptc backend (legacy x_tables, IPv4 only: libip4tc;
 * AF_INET6 is refused).
 *
 * libiptc reads the whole table with iptc_init, edits a copy in memory and
 * replaces the table with one setsockopt in iptc_commit: that is our one
 * atomic commit per table. libiptc does not encode matches; like every
 * libiptc user we lay out the kernel's match structures (xt_tcpudp.h,
 * xt_conntrack.h, xt_comment.h) ourselves, with the revisions iptables
 * 1.8 uses (tcp/udp 0, conntrack 3, comment 0), so iptables-save shows
 * our rules exactly as if `iptables -A` had made them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libiptc/libiptc.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "dfw/fw.h"

#define MATCH_SIZE(t) XT_ALIGN(sizeof(struct xt_entry_match) + sizeof(t))

/* The -i/-o value of a kernel entry; -1 (out "") for a name with no
 * NUL in its IFNAMSIZ bytes, which iptables never makes. */
static int iface_get(const char *name, const unsigned char *mask,
		     char out[16])
{
	size_t len = strnlen(name, IFNAMSIZ);

	*out = 0;
	if (len == IFNAMSIZ)
		return -1;
	memcpy(out, name, len);
	out[len] = 0;
	/* iptables sets the mask over len+1 bytes for an exact name and
	 * over len bytes for a "name+" prefix */
	if (len && len < IFNAMSIZ - 1 && !mask[len])
		out[len] = '+', out[len + 1] = 0;
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
	    dlen >= sizeof(struct xt_comment_info) && !*r->comment) {
		const struct xt_comment_info *c = (const void *)m->data;

		size_t len = strnlen((const char *)c->comment,
				     sizeof(c->comment));

		if (len == sizeof(c->comment) || len >= sizeof(r->comment))
			return -1;	/* no NUL: never iptables' */
		memcpy(r->comment, c->comment, len);
		r->comment[len] = 0;
		return 0;
	}
	if (!strcmp(name, "conntrack") && m->u.user.revision == 3 &&
	    dlen >= sizeof(struct xt_conntrack_mtinfo3) && !r->ctstate) {
		const struct xt_conntrack_mtinfo3 *c = (const void *)m->data;

		if (c->match_flags != XT_CONNTRACK_STATE ||
		    c->invert_flags & ~XT_CONNTRACK_STATE || !c->state_mask)
			return -1;
		r->ctstate = c->state_mask;
		if (c->invert_flags)
			r->inv |= FW_INV_CT;
		return 0;
	}
	return -1;
}

/* Decodes one kernel entry; what it cannot show exactly makes it
 * foreign. */
static void decode(const struct ipt_entry *e, struct xtc_handle *h,
		   struct fw_rule *r)
{
	const struct xt_entry_target *t = (const void *)
		((const unsigned char *)e + e->target_offset);
	const unsigned char *p = e->elems;
	const unsigned char *end = (const unsigned char *)e + e->target_offset;

	memset(r, 0, sizeof(*r));
	r->family = AF_INET;
	memcpy(r->src, &e->ip.src, 4);
	memcpy(r->smsk, &e->ip.smsk, 4);
	memcpy(r->dst, &e->ip.dst, 4);
	memcpy(r->dmsk, &e->ip.dmsk, 4);
	if (iface_get(e->ip.iniface, e->ip.iniface_mask, r->in) ||
	    iface_get(e->ip.outiface, e->ip.outiface_mask, r->out))
		r->foreign = 1;
	r->proto = e->ip.proto;
	if (e->ip.invflags & IPT_INV_SRCIP)
		r->inv |= FW_INV_SRC;
	if (e->ip.invflags & IPT_INV_DSTIP)
		r->inv |= FW_INV_DST;
	if (e->ip.invflags & IPT_INV_VIA_IN)
		r->inv |= FW_INV_IN;
	if (e->ip.invflags & IPT_INV_VIA_OUT)
		r->inv |= FW_INV_OUT;
	if (e->ip.invflags & ~(IPT_INV_SRCIP | IPT_INV_DSTIP |
			       IPT_INV_VIA_IN | IPT_INV_VIA_OUT) ||
	    e->ip.flags)
		r->foreign = 1;
	while (p < end) {
		const struct xt_entry_match *m = (const void *)p;

		if (m->u.match_size < sizeof(*m) ||
		    m->u.match_size > (size_t)(end - p))
			break;
		if (decode_match(m, r))
			r->foreign = 1;
		p += m->u.match_size;
	}
	snprintf(r->target, sizeof(r->target), "%s", iptc_get_target(e, h));
	if (strcmp(t->u.user.name, XT_STANDARD_TARGET) &&
	    strcmp(t->u.user.name, r->target))
		r->foreign = 1;	/* defensive: a name libiptc renamed */
	if (t->u.target_size != XT_ALIGN(sizeof(struct xt_standard_target)))
		r->foreign = 1;	/* REJECT, LOG, MASQUERADE...: has data */
}

int fw_iptc_table_exists(const char *table)
{
	FILE *t = fopen("/proc/net/ip_tables_names", "re");
	char name[64];
	int rc = 0;

	while (t && fscanf(t, "%63s", name) == 1)
		rc |= !strcmp(name, table);
	if (t)
		fclose(t);
	return rc;
}

/* Whether docker-fw can show r as it is: its values hold no control
 * character (iptables-save would print them raw, a newline breaking
 * the line). */
static int readable(const struct fw_rule *r)
{
	const char *v[3] = { r->comment, r->in, r->out };
	const char *p;
	size_t i;

	for (i = 0; i < 3; i++)
		for (p = v[i]; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return 0;
	return 1;
}

/* The error for the last rule of c, one of docker-fw's own chains. */
static int unreadable(const struct fw_chain *c, struct err *e)
{
	struct buf b = { 0 };

	buf_printf(&b, "-A %s ", c->name);
	fw_rule_show(&c->rules[c->n - 1], &b);
	err_set(e, EXIT_RUNTIME, "rule %zu of %s, docker-fw's own chain, is "
		"one docker-fw cannot read (a control character): \"%.240s\" "
		"(delete it: iptables-legacy -D %s %zu)", c->n, c->name,
		b.data ? b.data : "", c->name, c->n);
	buf_free(&b);
	return -1;
}

static int read_table(struct fw *f, struct err *e)
{
	struct xtc_handle *h;
	const struct ipt_entry *en;
	struct xt_counters cnt;
	const char *name;
	size_t nrules = 0;

	if (f->family != AF_INET)
		return err_set(e, EXIT_RUNTIME, "the iptc backend handles IPv4 "
			       "only (libip4tc), not this address family");
	/* iptc_init of a table that is not there makes it (the kernel loads
	 * it on first use), and iptables-nft then warns on every command
	 * that legacy tables are present: reading never does that */
	if (!fw_iptc_table_exists(f->table))
		return err_set(e, EXIT_RUNTIME, "no Docker chains in the "
			       "legacy (libiptc) %s table: this network "
			       "namespace has no such table "
			       "(/proc/net/ip_tables_names does not list it), "
			       "and reading it would make one", f->table);
	h = iptc_init(f->table);
	if (!h)
		return err_set(e, EXIT_RUNTIME, "cannot read the iptables "
			       "(legacy) table \"%s\": %s", f->table,
			       iptc_strerror(errno));
	f->priv = h;
	for (name = iptc_first_chain(h); name; name = iptc_next_chain(h)) {
		const char *pol = iptc_builtin(name, h) ?
				  iptc_get_policy(name, &cnt, h) : NULL;
		struct fw_chain *c = fw_chain_add(f, name, pol ? pol : "-");
		struct fw_rule *r;

		if (!c)
			goto nomem;
		for (en = iptc_first_rule(name, h); en;
		     en = iptc_next_rule(en, h)) {
			if (++nrules > FW_MAX_RULES)
				return err_set(e, EXIT_RUNTIME, "the iptables "
					       "(legacy) table \"%s\" holds "
					       "more than %d rules "
					       "(docker-fw's limit)",
					       f->table, FW_MAX_RULES);
			r = fw_chain_push(c);
			if (!r)
				goto nomem;
			decode(en, h, r);
			if (!readable(r) &&
			    (!strcmp(name, FW_CHAIN_FORWARD) ||
			     !strcmp(name, FW_CHAIN_INPUT)))
				return unreadable(c, e);
		}
	}
	return 0;
nomem:
	return err_set(e, EXIT_RUNTIME, "out of memory");
}

/* Builds the kernel entry of r; malloc'd, NULL with errno set. */
static struct ipt_entry *encode(const struct fw_rule *r)
{
	size_t size = XT_ALIGN(sizeof(struct ipt_entry));
	size_t tsize = XT_ALIGN(sizeof(struct xt_standard_target));
	struct xt_entry_target *t;
	struct xt_entry_match *m;
	struct ipt_entry *e;
	unsigned char *p;

	if (r->family != AF_INET || r->foreign || r->extra ||
	    fw_rule_check(r, NULL)) {
		/* libiptc does not encode matches: only those above; and
		 * no value is cut to fit the kernel's structs */
		errno = r->family != AF_INET ? EAFNOSUPPORT : EINVAL;
		return NULL;
	}
	if (r->sport || r->dport)
		size += r->proto == IPPROTO_TCP ? MATCH_SIZE(struct xt_tcp) :
			MATCH_SIZE(struct xt_udp);
	if (r->ctstate)
		size += MATCH_SIZE(struct xt_conntrack_mtinfo3);
	if (*r->comment)
		size += MATCH_SIZE(struct xt_comment_info);
	e = calloc(1, size + tsize);
	if (!e)
		return NULL;
	memcpy(&e->ip.src, r->src, 4);
	memcpy(&e->ip.smsk, r->smsk, 4);
	memcpy(&e->ip.dst, r->dst, 4);
	memcpy(&e->ip.dmsk, r->dmsk, 4);
	iface_set(r->in, e->ip.iniface, e->ip.iniface_mask);
	iface_set(r->out, e->ip.outiface, e->ip.outiface_mask);
	e->ip.proto = r->proto;
	e->ip.invflags = (r->inv & FW_INV_SRC ? IPT_INV_SRCIP : 0) |
			 (r->inv & FW_INV_DST ? IPT_INV_DSTIP : 0) |
			 (r->inv & FW_INV_IN ? IPT_INV_VIA_IN : 0) |
			 (r->inv & FW_INV_OUT ? IPT_INV_VIA_OUT : 0);
	e->target_offset = size;
	e->next_offset = size + tsize;
	p = e->elems;
	if ((r->sport || r->dport) && r->proto == IPPROTO_TCP) {
		struct xt_tcp *tcp;

		m = (void *)p;
		m->u.user.match_size = MATCH_SIZE(struct xt_tcp);
		snprintf(m->u.user.name, sizeof(m->u.user.name), "tcp");
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
		snprintf(m->u.user.name, sizeof(m->u.user.name), "udp");
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
		snprintf(m->u.user.name, sizeof(m->u.user.name), "conntrack");
		m->u.user.revision = 3;
		ct = (void *)m->data;
		ct->match_flags = XT_CONNTRACK_STATE;
		ct->invert_flags = r->inv & FW_INV_CT ? XT_CONNTRACK_STATE : 0;
		ct->state_mask = r->ctstate;
		p += m->u.user.match_size;
	}
	if (*r->comment) {
		struct xt_comment_info *ci;

		m = (void *)p;
		m->u.user.match_size = MATCH_SIZE(*ci);
		snprintf(m->u.user.name, sizeof(m->u.user.name), "comment");
		ci = (void *)m->data;
		snprintf((char *)ci->comment, sizeof(ci->comment), "%s",
			 r->comment);
	}
	t = (void *)((unsigned char *)e + size);
	t->u.user.target_size = tsize;
	snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", r->target);
	return e;
}

static int commit(struct fw *f, const struct fw_change *c, size_t n,
		  struct err *e)
{
	struct xtc_handle *h = f->priv;
	struct buf what = { 0 };
	struct ipt_entry *en;
	size_t i;
	int ok = 1;

	/* every value is checked before the copy is edited: one the
	 * kernel's structs cannot hold whole is refused, never cut */
	for (i = 0; i < n; i++)
		if (fw_change_check(&c[i], e))
			return err_wrap(e, "nothing changed");
	for (i = 0; i < n && ok; i++) {
		switch (c[i].op) {
		case FW_NEW_CHAIN:
			ok = iptc_create_chain(c[i].chain, h);
			break;
		case FW_POLICY:
			ok = iptc_set_policy(c[i].chain, c[i].policy, NULL, h);
			break;
		case FW_DEL_CHAIN:
			ok = iptc_flush_entries(c[i].chain, h) &&
			     iptc_delete_chain(c[i].chain, h);
			break;
		case FW_DELETE:
			ok = iptc_delete_num_entry(c[i].chain, c[i].pos - 1, h);
			break;
		case FW_INSERT:
		case FW_APPEND:
			en = encode(&c[i].rule);
			ok = en && (c[i].op == FW_APPEND ?
				    iptc_append_entry(c[i].chain, en, h) :
				    iptc_insert_entry(c[i].chain, en,
						      c[i].pos - 1, h));
			free(en);
			break;
		}
	}
	if (!ok) {
		int saved = errno;

		fw_change_format(&c[i - 1], &what);
		err_set(e, EXIT_RUNTIME, "libiptc refused `%s`: %s",
			what.data ? what.data : "?", iptc_strerror(saved));
		buf_free(&what);
		goto reread;
	}
	if (!iptc_commit(h)) {
		int saved = errno;

		err_set(e, saved == EAGAIN ? FW_AGAIN : EXIT_RUNTIME,
			"cannot commit the iptables (legacy) table \"%s\": %s",
			f->table, iptc_strerror(saved));
		goto reread;
	}
	return 0;
reread:
	/* the handle holds a half-edited copy: drop it */
	iptc_free(h);
	f->priv = NULL;
	return -1;
}

static void close_table(struct fw *f)
{
	if (f->priv)
		iptc_free(f->priv);
	f->priv = NULL;
}

const struct fw_ops fw_iptc_ops = {
	.name = "iptc",
	.what = "libiptc (legacy x_tables)",
	.read = read_table,
	.commit = commit,
	.close = close_table,
};
