/*
 * fw.c - the backend-neutral half of the kernel side: the xtables lock,
 * rule comparison and the iptables-save syntax used in messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "dfw/fw.h"

#define XTABLES_LOCK "/run/xtables.lock"

int fw_rule_equal(const struct fw_rule *a, const struct fw_rule *b)
{
	if (a->foreign || b->foreign)
		return 0;
	return a->family == b->family &&
	       !memcmp(a->src, b->src, 16) && !memcmp(a->smsk, b->smsk, 16) &&
	       !memcmp(a->dst, b->dst, 16) && !memcmp(a->dmsk, b->dmsk, 16) &&
	       !strcmp(a->in, b->in) && !strcmp(a->out, b->out) &&
	       a->inv == b->inv && a->proto == b->proto &&
	       a->sport == b->sport && a->dport == b->dport &&
	       a->ctstate == b->ctstate &&
	       !strcmp(a->comment, b->comment) &&
	       !strcmp(a->target, b->target);
}

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

uint32_t fw_rule_hash(const struct fw_rule *r)
{
	uint32_t h = 2166136261u;
	uint32_t v[5] = { (uint32_t)r->family, r->inv, r->proto,
			  (uint32_t)r->sport << 16 | r->dport, r->ctstate };

	h = fnv(h, v, sizeof(v));
	h = fnv(h, r->src, 16);
	h = fnv(h, r->smsk, 16);
	h = fnv(h, r->dst, 16);
	h = fnv(h, r->dmsk, 16);
	h = fnv(h, r->in, strlen(r->in));
	h = fnv(h, "/", 1);
	h = fnv(h, r->out, strlen(r->out));
	h = fnv(h, "/", 1);
	h = fnv(h, r->comment, strlen(r->comment));
	h = fnv(h, "/", 1);
	return fnv(h, r->target, strlen(r->target));
}

void fw_set_ip4(uint8_t addr[16], uint8_t mask[16], uint32_t ip_be,
		int prefix)
{
	uint32_t m = prefix ? htonl(~0u << (32 - prefix)) : 0;

	memset(addr, 0, 16);
	memset(mask, 0, 16);
	memcpy(addr, &ip_be, 4);
	memcpy(mask, &m, 4);
}

static int mask_len(const uint8_t *m, int bytes)
{
	int n = 0, i, b;

	for (i = 0; i < bytes; i++)
		for (b = 7; b >= 0; b--)
			if (m[i] >> b & 1)
				n++;
	return n;
}

static int is_zero(const uint8_t *p, int n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static int add_addr(struct buf *out, const char *opt, int family,
		    const uint8_t *a, const uint8_t *m, int inv)
{
	char s[INET6_ADDRSTRLEN];
	int bytes = family == AF_INET6 ? 16 : 4;

	if (is_zero(m, bytes))
		return 0;
	inet_ntop(family, a, s, sizeof(s));
	return buf_printf(out, "%s%s %s/%d ", inv ? "! " : "", opt, s,
			  mask_len(m, bytes));
}

static const struct {
	unsigned bit;
	const char *name;
} ctnames[] = {
	{ FW_CT_INVALID, "INVALID" }, { FW_CT_NEW, "NEW" },
	{ FW_CT_RELATED, "RELATED" }, { FW_CT_ESTABLISHED, "ESTABLISHED" },
	{ FW_CT_UNTRACKED, "UNTRACKED" }, { FW_CT_SNAT, "SNAT" },
	{ FW_CT_DNAT, "DNAT" },
};

unsigned fw_ctstate_parse(const char *s)
{
	unsigned bits = 0;
	size_t i, len;

	for (;;) {
		len = strcspn(s, ",");
		for (i = 0; i < sizeof(ctnames) / sizeof(*ctnames); i++)
			if (strlen(ctnames[i].name) == len &&
			    !strncmp(s, ctnames[i].name, len))
				break;
		if (!len || i == sizeof(ctnames) / sizeof(*ctnames))
			return 0;
		bits |= ctnames[i].bit;
		if (!s[len])
			return bits;
		s += len + 1;
	}
}

int fw_rule_format(const struct fw_rule *r, struct buf *out)
{
	const char *p = r->proto == IPPROTO_TCP ? "tcp" :
			r->proto == IPPROTO_UDP ? "udp" : NULL;
	size_t i, start = out->len;
	const char *sep = "";
	int rc = 0;

	rc |= add_addr(out, "-s", r->family, r->src, r->smsk,
		       r->inv & FW_INV_SRC);
	rc |= add_addr(out, "-d", r->family, r->dst, r->dmsk,
		       r->inv & FW_INV_DST);
	if (*r->in)
		rc |= buf_printf(out, "%s-i %s ", r->inv & FW_INV_IN ? "! " : "",
				 r->in);
	if (*r->out)
		rc |= buf_printf(out, "%s-o %s ",
				 r->inv & FW_INV_OUT ? "! " : "", r->out);
	if (p) {
		rc |= buf_printf(out, "-p %s ", p);
		if (r->sport || r->dport)
			rc |= buf_printf(out, "-m %s ", p);
		if (r->sport)
			rc |= buf_printf(out, "--sport %u ", r->sport);
		if (r->dport)
			rc |= buf_printf(out, "--dport %u ", r->dport);
	} else if (r->proto) {
		rc |= buf_printf(out, "-p %u ", r->proto);
	}
	if (r->ctstate) {
		rc |= buf_printf(out, "-m conntrack %s--ctstate ",
				 r->inv & FW_INV_CT ? "! " : "");
		for (i = 0; i < sizeof(ctnames) / sizeof(*ctnames); i++)
			if (r->ctstate & ctnames[i].bit) {
				rc |= buf_printf(out, "%s%s", sep,
						 ctnames[i].name);
				sep = ",";
			}
		rc |= buf_adds(out, " ");
	}
	if (*r->comment)
		rc |= buf_printf(out, strchr(r->comment, ' ') ?
				 "-m comment --comment \"%s\" " :
				 "-m comment --comment %s ", r->comment);
	if (r->foreign)
		rc |= buf_adds(out, "(more matches) ");
	rc |= buf_printf(out, "-j %s", r->target);
	if (rc) {
		out->len = start;
		return -1;
	}
	return 0;
}

int fw_change_format(const struct fw_change *c, struct buf *out)
{
	switch (c->op) {
	case FW_NEW_CHAIN:
		return buf_printf(out, ":%s - [0:0]", c->chain);
	case FW_POLICY:
		return buf_printf(out, ":%s %s", c->chain, c->policy);
	case FW_INSERT:
		if (buf_printf(out, "-I %s %u ", c->chain, c->pos))
			return -1;
		return fw_rule_format(&c->rule, out);
	case FW_DELETE:
		if (buf_printf(out, "-D %s %u  # ", c->chain, c->pos))
			return -1;
		return fw_rule_format(&c->rule, out);
	}
	return -1;
}

int fw_open(struct fw *f, const struct fw_ops *ops, const char *table,
	    struct err *e)
{
	const char *lock = getenv("XTABLES_LOCKFILE");

	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->lock_fd = -1;
	snprintf(f->table, sizeof(f->table), "%s", table);
	if (!lock || !*lock)
		lock = XTABLES_LOCK;
	f->lock_fd = open(lock, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (f->lock_fd < 0)
		return err_set(e, EXIT_RUNTIME, "cannot open the xtables lock "
			       "\"%s\": %s", lock, strerror(errno));
	while (flock(f->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err_set(e, EXIT_RUNTIME, "cannot take the xtables "
				"lock \"%s\": %s", lock, strerror(errno));
			fw_close(f);
			return -1;
		}
	}
	if (ops->read(f, e)) {
		fw_close(f);
		return -1;
	}
	return 0;
}

struct fw_chain *fw_chain(struct fw *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nchains; i++)
		if (!strcmp(f->chains[i].name, name))
			return &f->chains[i];
	return NULL;
}

int fw_commit(struct fw *f, const struct fw_change *c, size_t n,
	      struct err *e)
{
	if (!n)
		return 0;
	return f->ops->commit(f, c, n, e);
}

void fw_chains_free(struct fw_chain *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].rules);
	free(v);
}

void fw_close(struct fw *f)
{
	if (f->ops && f->ops->close)
		f->ops->close(f);
	fw_chains_free(f->chains, f->nchains);
	f->chains = NULL;
	f->nchains = 0;
	if (f->lock_fd >= 0)
		close(f->lock_fd);
	f->lock_fd = -1;
}
