/*
 * fw.c - the backend-neutral half of the kernel side: the xtables lock,
 * rule comparison, the iptables-save syntax both ways (fw_rule_format,
 * fw_rule_decode) and --filter words (fw_rule_filter).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "dfw/fw.h"

/* ---- the pool of extra texts ------------------------------------------ */

struct istr {
	struct istr *next;
	uint32_t hash;
	int known;
	char s[];
};

/* Reachable for as long as the process lives: not a leak. */
static struct istr **pool;
static size_t pool_size, pool_n;

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

static int pool_grow(void)
{
	size_t size = pool_size ? 2 * pool_size : 64, i;
	struct istr **v = calloc(size, sizeof(*v)), *x, *next;

	if (!v)
		return -1;
	for (i = 0; i < pool_size; i++)
		for (x = pool[i]; x; x = next) {
			next = x->next;
			x->next = v[x->hash & (size - 1)];
			v[x->hash & (size - 1)] = x;
		}
	free(pool);
	pool = v;
	pool_size = size;
	return 0;
}

const char *fw_intern(const char *s, size_t len)
{
	uint32_t h = fnv(2166136261u, s, len);
	struct istr *x;

	if (!len)
		return NULL;
	for (x = pool_size ? pool[h & (pool_size - 1)] : NULL; x; x = x->next)
		if (x->hash == h && !strncmp(x->s, s, len) && !x->s[len])
			return x->s;
	if (pool_n >= pool_size && pool_grow())
		return NULL;
	x = malloc(sizeof(*x) + len + 1);
	if (!x)
		return NULL;
	x->hash = h;
	x->known = 0;
	memcpy(x->s, s, len);
	x->s[len] = 0;
	x->next = pool[h & (pool_size - 1)];
	pool[h & (pool_size - 1)] = x;
	pool_n++;
	return x->s;
}

static struct istr *istr_of(const char *s)
{
	return (struct istr *)(void *)(s - offsetof(struct istr, s));
}

int fw_extra_known(const char *extra)
{
	return !extra || istr_of(extra)->known;
}

void fw_extra_mark(const char *extra)
{
	if (extra)
		istr_of(extra)->known = 1;
}

/* ---- comparison --------------------------------------------------------- */

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
	       a->ctstate == b->ctstate && a->extra == b->extra &&
	       !strcmp(a->comment, b->comment) &&
	       !strcmp(a->target, b->target);
}

uint32_t fw_rule_hash(const struct fw_rule *r)
{
	uint32_t h = 2166136261u;
	uint32_t v[6] = { (uint32_t)r->family, r->inv, r->proto,
			  (uint32_t)r->sport << 16 | r->dport, r->ctstate,
			  r->extra ? istr_of(r->extra)->hash : 0 };

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

/* ---- addresses ---------------------------------------------------------- */

void fw_set_ip4(uint8_t addr[16], uint8_t mask[16], uint32_t ip_be,
		int prefix)
{
	uint32_t m = prefix ? htonl(~0u << (32 - prefix)) : 0;

	memset(addr, 0, 16);
	memset(mask, 0, 16);
	memcpy(addr, &ip_be, 4);
	memcpy(mask, &m, 4);
}

int fw_addr_parse(const char *s, int family, uint8_t addr[16],
		  uint8_t mask[16])
{
	int bits = family == AF_INET6 ? 128 : 32, i;
	char tmp[INET6_ADDRSTRLEN + 64], *slash;
	uint64_t prefix = (uint64_t)bits;

	if ((family != AF_INET && family != AF_INET6) ||
	    strlen(s) >= sizeof(tmp))
		return -1;
	memset(addr, 0, 16);
	memset(mask, 0, 16);
	strcpy(tmp, s);
	slash = strchr(tmp, '/');
	if (slash)
		*slash++ = 0;
	if (inet_pton(family, tmp, addr) != 1)
		return -1;
	if (slash && strpbrk(slash, ".:")) {	/* a mask, not a length */
		if (inet_pton(family, slash, mask) != 1)
			return -1;
	} else if (slash && parse_uint(slash, 0, (uint64_t)bits, &prefix)) {
		return -1;
	} else {
		for (i = 0; i < (int)prefix; i++)
			mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	}
	for (i = 0; i < 16; i++)	/* as the kernel keeps it */
		addr[i] &= mask[i];
	return 0;
}

/* The prefix length of m, or -1 when its ones are not all leading. */
static int mask_len(const uint8_t *m, int bytes)
{
	int n = 0, i, b, zero = 0;

	for (i = 0; i < bytes; i++)
		for (b = 7; b >= 0; b--) {
			if (!(m[i] >> b & 1))
				zero = 1;
			else if (zero)
				return -1;
			else
				n++;
		}
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
	char s[INET6_ADDRSTRLEN], ms[INET6_ADDRSTRLEN];
	int bytes = family == AF_INET6 ? 16 : 4, len;

	if (is_zero(m, bytes))
		return 0;
	if (!inet_ntop(family, a, s, sizeof(s)))
		return -1;
	len = mask_len(m, bytes);
	if (len >= 0)
		return buf_printf(out, "%s%s %s/%d ", inv ? "! " : "", opt, s,
				  len);
	if (!inet_ntop(family, m, ms, sizeof(ms)))
		return -1;
	return buf_printf(out, "%s%s %s/%s ", inv ? "! " : "", opt, s, ms);
}

int fw_iface_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (!len || len >= 16 || !strcmp(s, "+"))
		return 0;	/* "+" alone is every interface */
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_.:@-", s[i]) ||
		      (s[i] == '+' && i == len - 1)))
			return 0;
	return 1;
}

/* ---- conntrack states --------------------------------------------------- */

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

/* "NEW,RELATED": the names of bits in iptables' order. */
static void ct_list(unsigned bits, char *out, size_t len)
{
	size_t i, off = 0;

	*out = 0;
	for (i = 0; i < sizeof(ctnames) / sizeof(*ctnames); i++)
		if (bits & ctnames[i].bit)
			off += (size_t)snprintf(out + off, len - off, "%s%s",
						off ? "," : "",
						ctnames[i].name);
}

/* ---- words as iptables-restore reads them ----------------------------- */

int fw_split(const char *line, struct strv *out)
{
	size_t n0 = out->n;
	struct buf w = { 0 };
	int quote = 0, rc = 0;
	const char *p;

	/* iptables' add_param_to_argv: an empty word ("") is dropped */
	for (p = line; *p && !rc; p++) {
		if (quote) {
			if (*p == '\\' && p[1])
				rc = buf_add(&w, ++p, 1);
			else if (*p == '"')
				quote = 0;
			else
				rc = buf_add(&w, p, 1);
		} else if (*p == '"') {
			quote = 1;
		} else if (*p == ' ' || *p == '\t' || *p == '\n') {
			if (w.len)
				rc = strv_add(out, w.data, w.len);
			w.len = 0;
		} else {
			rc = buf_add(&w, p, 1);
		}
	}
	if (!rc && w.len)
		rc = strv_add(out, w.data, w.len);
	buf_free(&w);
	if (rc || quote) {
		while (out->n > n0)
			free(out->v[--out->n]);
		return -1;
	}
	return (int)(out->n - n0);
}

/* Whether s holds a control character (none is written into a table:
 * a newline would end the iptables-restore line, and iptables-save
 * prints the others raw). */
static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* A word fw_quote leaves as it is. */
static int plain(const char *s)
{
	return *s && !strpbrk(s, " \t\n\"\\'");
}

int fw_quote(const char *s, struct buf *out)
{
	size_t start = out->len;
	int rc;

	if (!*s || has_ctl(s) || strlen(s) > FW_WORD_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (plain(s))
		return buf_adds(out, s);
	rc = buf_adds(out, "\"");
	for (; *s && !rc; s++)
		rc = ((*s == '"' || *s == '\\') && buf_adds(out, "\\")) ||
		     buf_add(out, s, 1);
	rc = rc || buf_adds(out, "\"");
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = 0;
	}
	return rc ? -1 : 0;
}

/* iptables-save options whose value it prints raw, never quoted, even
 * when it starts with a double quote (an interface `"br`). */
static int raw_value(const char *opt)
{
	static const char *const raw[] = {
		"-A", "-N", "-P", "-i", "-o", "-j", "-g", "--in-interface",
		"--out-interface", "--jump", "--goto", "--physdev-in",
		"--physdev-out", "--match-set",
	};
	size_t i;

	for (i = 0; i < sizeof(raw) / sizeof(*raw); i++)
		if (!strcmp(opt, raw[i]))
			return 1;
	return 0;
}

int fw_split_save(const char *text, struct strv *out, size_t *used)
{
	size_t n0 = out->n;
	struct buf w = { 0 };
	const char *p = text;
	int rc = 0, quoted;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n')
			break;
		w.len = 0;
		quoted = *p == '"' &&
			 !(out->n > n0 && raw_value(out->v[out->n - 1]));
		if (quoted) {
			/* xtables_save_string: " and \ escaped, the rest raw,
			 * a newline included: the word goes on */
			for (p++; *p && *p != '"' && !rc; p++) {
				if (*p == '\\' && p[1])
					p++;
				rc = buf_add(&w, p, 1);
			}
			if (rc)
				break;
			if (!*p) {
				errno = EINVAL;	/* never closed */
				rc = -1;
				break;
			}
			p++;
		}
		for (; *p && *p != ' ' && *p != '\t' && *p != '\n' && !rc; p++)
			rc = buf_add(&w, p, 1);
		if (rc || strv_add(out, w.data ? w.data : "", w.len)) {
			rc = -1;
			break;
		}
	}
	buf_free(&w);
	if (rc) {
		while (out->n > n0)
			free(out->v[--out->n]);
		return -1;
	}
	*used = (size_t)(p - text) + (*p == '\n');
	return (int)(out->n - n0);
}

/* ---- what may be written -------------------------------------------- */

int fw_chain_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > FW_CHAIN_MAX || *s == '-' || *s == '!')
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || strchr("\"'\\", *s))
			return 0;
	return 1;
}

int fw_iface_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > FW_IFACE_MAX || !strcmp(s, "+") || has_ctl(s))
		return 0;
	return !strchr(s, ' ');
}

/* Why the value v of what cannot be written, or NULL. */
static const char *bad_word(const char *v, size_t max, int iface)
{
	if (!*v)
		return "it is empty";
	if (has_ctl(v))
		return "it holds a control character (a newline would end "
		       "the line of iptables-restore text)";
	if (strlen(v) > max)
		return "it is too long";
	if (iface && !fw_iface_name_ok(v))
		return "it is no interface name (a blank, or \"+\" alone)";
	return NULL;
}

/* Whether x (a rule's extra text) reads back, as iptables-restore reads
 * it (xshared.c, add_param_to_argv), as whole words on one line: no
 * control character, quotes closed, no word over FW_WORD_MAX. */
static int extra_ok(const char *x)
{
	int quote = 0;
	size_t word = 0;

	for (; *x; x++) {
		if ((unsigned char)*x < 0x20 || *x == 0x7f)
			return 0;
		if (quote && *x == '\\' && x[1]) {
			x++;
			word++;
		} else if (*x == '"') {
			quote = !quote;
		} else if (!quote && *x == ' ') {
			word = 0;
		} else {
			word++;
		}
		if (word > FW_WORD_MAX)
			return 0;
	}
	return !quote;
}

int fw_rule_check(const struct fw_rule *r, struct err *e)
{
	char v[120];
	const char *why;

	if (r->foreign)
		return err_set(e, EXIT_RUNTIME, "a rule docker-fw did not "
			       "read whole is never written");
	if (*r->comment &&
	    (why = bad_word(r->comment, FW_COMMENT_MAX, 0)))
		return err_set(e, EXIT_RUNTIME, "the comment \"%s\": %s",
			       str_escape(v, sizeof(v), r->comment), why);
	if (*r->in && (why = bad_word(r->in, FW_IFACE_MAX, 1)))
		return err_set(e, EXIT_RUNTIME, "the interface -i \"%s\": %s",
			       str_escape(v, sizeof(v), r->in), why);
	if (*r->out && (why = bad_word(r->out, FW_IFACE_MAX, 1)))
		return err_set(e, EXIT_RUNTIME, "the interface -o \"%s\": %s",
			       str_escape(v, sizeof(v), r->out), why);
	if (!fw_chain_name_ok(r->target))
		return err_set(e, EXIT_RUNTIME, "the target \"%s\": not a "
			       "chain name (1-%d printable characters, no "
			       "blank or quote)",
			       str_escape(v, sizeof(v), r->target),
			       FW_CHAIN_MAX);
	if (r->extra && !extra_ok(r->extra))
		return err_set(e, EXIT_RUNTIME, "the conditions \"%s\": not "
			       "whole words on one line",
			       str_escape(v, sizeof(v), r->extra));
	return 0;
}

int fw_change_check(const struct fw_change *c, struct err *e)
{
	static const char *const ops[] = { "-N", "-I", "-D", "-P", "-X" };
	const char *op = (unsigned)c->op < 5 ? ops[c->op] : "?";
	struct buf line = { 0 };
	char v[80];
	int rc;

	if (!fw_chain_name_ok(c->chain))
		return err_set(e, EXIT_RUNTIME, "%s: the chain \"%s\": not a "
			       "chain name (1-%d printable characters, no "
			       "blank or quote)", op,
			       str_escape(v, sizeof(v), c->chain),
			       FW_CHAIN_MAX);
	if (c->op == FW_POLICY && strcmp(c->policy, "ACCEPT") &&
	    strcmp(c->policy, "DROP"))
		return err_set(e, EXIT_RUNTIME, "-P %s: the policy \"%s\": "
			       "ACCEPT or DROP", c->chain,
			       str_escape(v, sizeof(v), c->policy));
	if ((c->op == FW_INSERT || c->op == FW_DELETE) &&
	    fw_rule_check(&c->rule, e))
		return err_wrap(e, "%s %s", op, c->chain);
	rc = fw_change_format(c, &line);
	if (!rc && line.len > FW_LINE_MAX)
		rc = err_set(e, EXIT_RUNTIME, "%s %s: the rule `%.100s...` "
			     "is longer than a line of iptables-restore text "
			     "may be (%d bytes)", op, c->chain, line.data,
			     FW_LINE_MAX);
	else if (rc)
		rc = err_set(e, EXIT_RUNTIME, "%s %s: %s", op, c->chain,
			     strerror(errno));
	buf_free(&line);
	return rc;
}

/* ---- format ------------------------------------------------------------- */

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : NULL;
}

/* A word of a rule: fw_quote'd; for fw_rule_show, anything in quotes. */
static int add_word(struct buf *out, const char *w, int strict)
{
	if (strict)
		return fw_quote(w, out);
	if (!fw_quote(w, out))
		return 0;
	if (buf_adds(out, "\""))
		return -1;
	for (; *w; w++)
		if (((*w == '"' || *w == '\\') && buf_adds(out, "\\")) ||
		    buf_add(out, w, 1))
			return -1;
	return buf_adds(out, "\"");
}

/* r in iptables-save syntax; strict: only what may be written (else
 * -1, errno EINVAL). */
static int format(const struct fw_rule *r, struct buf *out, int strict)
{
	const char *p = proto_name(r->proto);
	size_t start = out->len;
	char list[80];
	int rc = 0;

	if (strict && fw_rule_check(r, NULL)) {
		errno = EINVAL;
		return -1;
	}
	rc |= add_addr(out, "-s", r->family, r->src, r->smsk,
		       r->inv & FW_INV_SRC);
	rc |= add_addr(out, "-d", r->family, r->dst, r->dmsk,
		       r->inv & FW_INV_DST);
	if (*r->in)
		rc |= buf_printf(out, "%s-i ",
				 r->inv & FW_INV_IN ? "! " : "") ||
		      add_word(out, r->in, strict) || buf_adds(out, " ");
	if (*r->out)
		rc |= buf_printf(out, "%s-o ",
				 r->inv & FW_INV_OUT ? "! " : "") ||
		      add_word(out, r->out, strict) || buf_adds(out, " ");
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
		ct_list(r->ctstate, list, sizeof(list));
		rc |= buf_printf(out, "-m conntrack %s--ctstate %s ",
				 r->inv & FW_INV_CT ? "! " : "", list);
	}
	if (r->extra)
		rc |= buf_printf(out, "%s ", r->extra);
	if (*r->comment)
		rc |= buf_adds(out, "-m comment --comment ") ||
		      add_word(out, r->comment, strict) || buf_adds(out, " ");
	if (r->foreign)
		rc |= buf_adds(out, "(more matches) ");
	if (*r->target || strict)	/* a rule with no target has no -j */
		rc |= buf_adds(out, "-j ") ||
		      (strict ? buf_adds(out, r->target) :
		       add_word(out, r->target, 0));
	else if (out->len > start)
		out->data[--out->len] = 0;	/* the blank before it */
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = 0;
		return -1;
	}
	return 0;
}

int fw_rule_format(const struct fw_rule *r, struct buf *out)
{
	return format(r, out, 1);
}

int fw_rule_show(const struct fw_rule *r, struct buf *out)
{
	struct buf t = { 0 };
	char *esc;
	int rc;

	if (format(r, &t, 0)) {
		buf_free(&t);
		return -1;
	}
	esc = malloc(4 * t.len + 8);
	rc = !esc || buf_adds(out, str_escape(esc, 4 * t.len + 8, t.data));
	free(esc);
	buf_free(&t);
	return rc ? -1 : 0;
}

/* ---- decode: iptables-save words -> struct fw_rule -------------------- */

/* The letter of an option of iptables itself ("-s", "--source": 's'), 0
 * for anything else (a match's option, a value). */
static int opt_letter(const char *w)
{
	static const struct {
		const char *name;
		char c;
	} longs[] = {
		{ "--source", 's' }, { "--src", 's' },
		{ "--destination", 'd' }, { "--dst", 'd' },
		{ "--in-interface", 'i' }, { "--out-interface", 'o' },
		{ "--protocol", 'p' }, { "--fragment", 'f' },
		{ "--match", 'm' }, { "--jump", 'j' }, { "--goto", 'g' },
		{ "--set-counters", 'c' }, { "--table", 't' },
		{ "--append", 'A' }, { "--insert", 'I' }, { "--delete", 'D' },
		{ "--replace", 'R' }, { "--new-chain", 'N' },
		{ "--delete-chain", 'X' }, { "--flush", 'F' },
		{ "--policy", 'P' }, { "--rename-chain", 'E' },
		{ "--list", 'L' }, { "--list-rules", 'S' }, { "--zero", 'Z' },
		{ "--check", 'C' }, { "--wait", 'w' }, { "--ipv4", '4' },
		{ "--ipv6", '6' },
	};
	size_t i;

	if (w[0] == '-' && w[1] && w[1] != '-' && !w[2] &&
	    ((w[1] >= 'a' && w[1] <= 'z') || (w[1] >= 'A' && w[1] <= 'Z') ||
	     w[1] == '4' || w[1] == '6'))
		return w[1];
	for (i = 0; i < sizeof(longs) / sizeof(*longs); i++)
		if (!strcmp(w, longs[i].name))
			return longs[i].c;
	return 0;
}

/* Whether word j ends a match block: an option of iptables itself, or
 * "!" before one. */
static int block_end(char *const *w, size_t n, size_t j)
{
	return opt_letter(w[j]) ||
	       (!strcmp(w[j], "!") && j + 1 < n && opt_letter(w[j + 1]));
}

/* Appends words w[0..n) to x, after a blank when x is not empty. */
static int x_add(struct buf *x, char *const *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((x->len && buf_adds(x, " ")) || fw_quote(w[i], x))
			return -1;
	return 0;
}

static int is_port_opt(const char *o, int *dst)
{
	*dst = !strcmp(o, "--dport") || !strcmp(o, "--destination-port");
	return *dst || !strcmp(o, "--sport") || !strcmp(o, "--source-port");
}

/*
 * The options of a tcp or udp match (name; NULL for options given
 * without -m, as iptables takes them after -p): plain ports go to r's
 * fields, the rest, in order, to x after "-m NAME". An option is a
 * group: [!] --OPT and the values after it (words that are not "!" and
 * do not start with "--").
 */
static int tcpudp(struct fw_rule *r, const char *name, char *const *w,
		  size_t n, int filter, struct buf *x, struct err *e)
{
	struct buf rest = { 0 };
	size_t k = 0, g, v;
	uint64_t port;
	int inv, dst, rc = 0;

	if (filter && name && !n)
		return err_set(e, EXIT_USAGE, "--filter: \"-m\" %s with no "
			       "option adds no condition", name);
	while (k < n && !rc) {
		g = k;
		inv = !strcmp(w[k], "!");
		k += inv;
		v = k < n ? k + 1 : n;
		while (v < n && strcmp(w[v], "!") && strncmp(w[v], "--", 2))
			v++;
		if (k < n && is_port_opt(w[k], &dst) && filter &&
		    (dst ? r->dport : r->sport))
			rc = err_set(e, EXIT_USAGE, "--filter: \"%s\": the "
				     "rule spec gives the port (%s)", w[k],
				     dst ? "--dport" : "--sport");
		else if (k < n && is_port_opt(w[k], &dst) && !inv &&
			 v == k + 2 && !(dst ? r->dport : r->sport) &&
			 (!name || !strcmp(name, proto_name(r->proto) ?
					   proto_name(r->proto) : "")) &&
			 !parse_uint(w[k + 1], 1, 65535, &port))
			*(dst ? &r->dport : &r->sport) = (uint16_t)port;
		else
			rc = x_add(&rest, w + g, v - g);
		k = v;
	}
	if (!rc && rest.len)
		rc = (x->len && buf_adds(x, " ")) ||
		     (name && buf_printf(x, "-m %s ", name)) ||
		     buf_add(x, rest.data, rest.len);
	buf_free(&rest);
	return rc ? -1 : 0;
}

/* A match block -m NAME w[0..n): modelled into r, or appended to x. In
 * decode mode -1 makes the rule foreign; in filter mode it is an error. */
static int block(struct fw_rule *r, const char *name, char *const *w,
		 size_t n, int filter, struct buf *x, struct err *e)
{
	unsigned bits;
	int inv;

	if (!strcmp(name, "tcp") || !strcmp(name, "udp"))
		return tcpudp(r, name, w, n, filter, x, e);
	if (!strcmp(name, "comment")) {
		if (filter)
			return err_set(e, EXIT_USAGE, "--filter: \"-m\" "
				       "comment: docker-fw's own match (its "
				       "comment marks the rules it made)");
		if (n != 2 || strcmp(w[0], "--comment") || *r->comment ||
		    bad_word(w[1], FW_COMMENT_MAX, 0))
			return -1;
		strcpy(r->comment, w[1]);
		return 0;
	}
	if (!strcmp(name, "conntrack") && !r->ctstate) {
		inv = n == 3 && !strcmp(w[0], "!");
		bits = n == 2 + (size_t)inv && !strcmp(w[inv], "--ctstate") ?
		       fw_ctstate_parse(w[inv + 1]) : 0;
		if (bits) {
			r->ctstate = bits;
			if (inv)
				r->inv |= FW_INV_CT;
			return 0;
		}
	}
	if ((x->len && buf_adds(x, " ")) || buf_adds(x, "-m ") ||
	    fw_quote(name, x) || x_add(x, w, n))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

static int same_proto(const char *v, uint8_t proto)
{
	const char *name = proto_name(proto);
	char num[8];

	snprintf(num, sizeof(num), "%u", proto);
	return name && (!strcasecmp(v, name) || !strcmp(v, num));
}

/*
 * A --filter word iptables could take for one of its own options
 * wherever it stands (getopt: short options cluster and take attached
 * values, long ones may be abbreviated): a short option that is not
 * exactly one of the main options scan knows, and --modprobe, which
 * names a program for iptables to run. Values starting with "-" go too.
 */
static int smuggled(const char *w)
{
	/* iptables' own long options (iptables 1.8.9, original_opts[]):
	 * getopt_long takes any unique abbreviation of them, e.g. --set-c */
	static const char *const own[] = {
		"append", "delete", "check", "insert", "replace", "list",
		"list-rules", "flush", "zero", "new-chain", "delete-chain",
		"rename-chain", "policy", "source", "destination", "protocol",
		"in-interface", "out-interface", "jump", "goto", "table",
		"match", "numeric", "verbose", "wait", "wait-interval", "exact",
		"fragments", "version", "help", "line-numbers", "modprobe",
		"set-counters", "ipv4", "ipv6",
	};
	/* match options that are also such an abbreviation, exactly */
	static const char *const matches[] = { "set", "pol" };
	const char *name = w + 2;
	size_t i, len;

	if (w[0] == '-' && w[1] && w[1] != '-')
		return w[2] || !opt_letter(w) || w[1] == 'M';
	if (strncmp(w, "--", 2))
		return 0;
	len = strcspn(name, "=");
	for (i = 0; i < sizeof(matches) / sizeof(*matches); i++)
		if (len == strlen(matches[i]) &&
		    !strncmp(name, matches[i], len))
			return 0;
	for (i = 0; i < sizeof(own) / sizeof(*own); i++)
		if (len < strlen(own[i]) && !strncmp(name, own[i], len) &&
		    !(len == 8 && !strncmp(name, "fragment", 8)))
			return 1;	/* an abbreviation: not in full */
	return !strncmp(name, "modprobe", len) && len;
}

/*
 * The rule part of iptables-save words (decode, filter 0) or of a
 * --filter (filter 1) into r; what is not modelled goes to x (started
 * with r->extra). -1: foreign (decode) or an error in e (filter).
 */
static int scan(struct fw_rule *r, char *const *w, size_t n, int filter,
		struct buf *x, struct err *e)
{
	size_t i = 0, j;
	int inv, c, s, matched = 0;
	const char *v;
	char *dst;

	for (i = 0; filter && i < n; i++) {
		const char *why = bad_word(w[i], FW_WORD_MAX, 0);
		char esc[80];

		if (why)
			return err_set(e, EXIT_USAGE, "--filter: the word "
				       "\"%s\": %s",
				       str_escape(esc, sizeof(esc), w[i]), why);
	}
	for (i = 0; filter && i < n; i++)
		if (smuggled(w[i]))
			return err_set(e, EXIT_USAGE, "--filter: \"%.64s\": "
				       "not a condition iptables reads as "
				       "one", w[i]);
	i = 0;
	while (i < n) {
		inv = !strcmp(w[i], "!");
		i += inv;
		if (i == n)
			return err_set(e, EXIT_USAGE, "--filter: incomplete: "
				       "\"!\" at its end");
		c = opt_letter(w[i]);
		v = i + 1 < n ? w[i + 1] : NULL;
		if (inv && (c == 'm' || c == 'j' || c == 'g' || c == 'p') &&
		    filter)
			return err_set(e, EXIT_USAGE, "--filter: \"!\" before "
				       "\"%s\"", w[i]);
		if (inv && (c == 'm' || c == 'j' || c == 'g' || c == 'p'))
			return -1;
		/* iptables-save prints the ip part before the matches: any
		 * other order is no rule it printed (read as foreign) */
		if (!filter && matched && strchr("sdiop", c ? c : 'x'))
			return -1;
		switch (c) {
		case 's':
		case 'd':
			if (filter)
				return err_set(e, EXIT_USAGE, "--filter: "
					       "\"%s\": the addresses are "
					       "--source and --dest", w[i]);
			s = c == 's';
			if (!v || !is_zero(s ? r->smsk : r->dmsk, 16) ||
			    fw_addr_parse(v, r->family, s ? r->src : r->dst,
					  s ? r->smsk : r->dmsk))
				return -1;
			if (inv && is_zero(s ? r->smsk : r->dmsk, 16))
				return -1;	/* "! -s 0/0": matches nothing */
			if (inv)
				r->inv |= s ? FW_INV_SRC : FW_INV_DST;
			i += 2;
			break;
		case 'i':
		case 'o':
			dst = c == 'i' ? r->in : r->out;
			if (filter && (!v || !fw_iface_ok(v)))
				return err_set(e, EXIT_USAGE, "--filter: %s "
					       "needs an interface name, not "
					       "\"%s\"", w[i], v ? v : "");
			if (filter && *dst)
				return err_set(e, EXIT_USAGE, "--filter: %s "
					       "given twice", w[i]);
			if (!v || *dst || strlen(v) >= sizeof(r->in) ||
			    !fw_iface_name_ok(v))
				return -1;
			strcpy(dst, v);
			if (inv)
				r->inv |= c == 'i' ? FW_INV_IN : FW_INV_OUT;
			i += 2;
			break;
		case 'p':
			if (filter && (!v || !same_proto(v, r->proto)))
				return err_set(e, EXIT_USAGE, "--filter: "
					       "\"%s\" %s: the protocol is "
					       "--protocol's (%s)", w[i],
					       v ? v : "",
					       proto_name(r->proto) ?
					       proto_name(r->proto) : "any");
			if (!filter) {
				if (!v || r->proto)
					return -1;
				if (!strcmp(v, "tcp"))
					r->proto = IPPROTO_TCP;
				else if (!strcmp(v, "udp"))
					r->proto = IPPROTO_UDP;
				else
					return -1;
			}
			i += 2;
			break;
		case 'f':
			if (x_add(x, w + i - inv, 1 + (size_t)inv))
				return err_set(e, EXIT_RUNTIME, "out of "
					       "memory");
			i++;
			break;
		case 'm':
			if (!v)
				return err_set(e, EXIT_USAGE, "--filter: "
					       "\"%s\" needs a match name",
					       w[i]);
			for (j = i + 2; j < n && !block_end(w, n, j); j++)
				;
			/* --comment takes the next word whatever it is, as
			 * getopt gives it to iptables ("-m" included) */
			if (!strcmp(v, "comment") && i + 3 < n &&
			    !strcmp(w[i + 2], "--comment") && j < i + 4)
				j = i + 4;
			if (block(r, v, w + i + 2, j - i - 2, filter, x, e))
				return -1;
			matched = 1;
			i = j;
			break;
		case 'j':
		case 'g':
			if (filter)
				return err_set(e, EXIT_USAGE, "--filter: "
					       "\"%s\": a target, not a "
					       "condition", w[i]);
			if (c == 'g' || !v || i + 2 != n ||
			    strlen(v) >= sizeof(r->target) ||
			    !fw_chain_name_ok(v))
				return -1;
			strcpy(r->target, v);
			i += 2;
			break;
		case 0:
			if (filter && !strncmp(w[i], "--", 2)) {
				/* options of -p's match, as iptables takes
				 * them without -m tcp */
				j = i + 1;
				while (j < n && !block_end(w, n, j))
					j++;
				if (tcpudp(r, NULL, w + i - inv,
					   j - i + (size_t)inv, 1, x, e))
					return -1;
				i = j;
				break;
			}
			/* fall through */
		default:
			return err_set(e, EXIT_USAGE, "--filter: \"%s\": not a "
				       "condition", w[i]);
		}
	}
	return 0;
}

static int set_extra(struct fw_rule *r, const struct buf *x)
{
	r->extra = x->len ? fw_intern(x->data, x->len) : NULL;
	return x->len && !r->extra ? -1 : 0;
}

void fw_rule_decode(char *const *w, size_t n, int family, struct fw_rule *r)
{
	struct buf x = { 0 };
	size_t i;

	memset(r, 0, sizeof(*r));
	r->family = family;
	if (!scan(r, w, n, 0, &x, NULL) && *r->target && !set_extra(r, &x)) {
		fw_extra_mark(r->extra);
		buf_free(&x);
		return;
	}
	buf_free(&x);
	r->foreign = 1;
	r->extra = NULL;
	if (!*r->target) {
		for (i = 0; i + 1 < n; i++)
			if (!strcmp(w[i], "-j") || !strcmp(w[i], "-g"))
				snprintf(r->target, sizeof(r->target), "%s",
					 w[i + 1]);
	}
}

/* ---- --filter ----------------------------------------------------------- */

#define FILTER_SUBSET "the iptc backend (legacy iptables) supports [!] -i " \
	"IF, [!] -o IF and -m conntrack [!] --ctstate STATES; the nft " \
	"backend takes any iptables condition"

/* The libiptc subset: [!] -i, [!] -o, -m conntrack [!] --ctstate. */
static int filter_subset(struct fw_rule *r, char *const *w, size_t n,
			 struct err *e)
{
	size_t i;
	int inv = 0, conntrack = 0;

	for (i = 0; i < n; i++) {
		const char *o = w[i], *v = i + 1 < n ? w[i + 1] : NULL;

		if (!strcmp(o, "!")) {
			if (inv)
				goto bad;
			inv = 1;
			continue;
		}
		if (opt_letter(o) == 'i' || opt_letter(o) == 'o') {
			int in = opt_letter(o) == 'i';
			char *dst = in ? r->in : r->out;

			if (!v || !fw_iface_ok(v))
				return err_set(e, EXIT_USAGE, "--filter: %s "
					       "needs an interface name, not "
					       "\"%s\"", o, v ? v : "");
			if (*dst)
				return err_set(e, EXIT_USAGE, "--filter: %s "
					       "given twice", o);
			strcpy(dst, v);
			if (inv)
				r->inv |= in ? FW_INV_IN : FW_INV_OUT;
			i++;
		} else if (!strcmp(o, "-m") && v && !strcmp(v, "conntrack") &&
			   !inv) {
			conntrack = 1;
			i++;
			continue;
		} else if (!strcmp(o, "--ctstate") && conntrack) {
			if (r->ctstate)
				return err_set(e, EXIT_USAGE, "--filter: "
					       "--ctstate given twice");
			r->ctstate = v ? fw_ctstate_parse(v) : 0;
			if (!r->ctstate)
				return err_set(e, EXIT_USAGE, "--filter: "
					       "--ctstate \"%s\": not a list of "
					       "conntrack states (INVALID, NEW, "
					       "ESTABLISHED, RELATED, UNTRACKED, "
					       "SNAT, DNAT)", v ? v : "");
			if (inv)
				r->inv |= FW_INV_CT;
			i++;
		} else {
			goto bad;
		}
		inv = 0;
	}
	if (inv || (conntrack && !r->ctstate))
		return err_set(e, EXIT_USAGE, "--filter: incomplete at its "
			       "end; " FILTER_SUBSET);
	return 0;
bad:
	if (!strcmp(w[i], "-m") && i + 1 < n)
		return err_set(e, EXIT_USAGE, "--filter: \"-m\" %.64s is not "
			       "supported: " FILTER_SUBSET, w[i + 1]);
	return err_set(e, EXIT_USAGE, "--filter: \"%.64s\" is not supported: "
		       FILTER_SUBSET, w[i]);
}

int fw_rule_filter(struct fw_rule *r, char *const *w, size_t n, int any,
		   struct err *e)
{
	struct fw_rule t = *r;
	struct buf x = { 0 };
	int rc;

	if (!any)
		rc = filter_subset(&t, w, n, e);
	else
		rc = (t.extra && buf_adds(&x, t.extra)) ||
		     scan(&t, w, n, 1, &x, e) ||
		     (set_extra(&t, &x) &&
		      err_set(e, EXIT_RUNTIME, "out of memory"));
	buf_free(&x);
	if (rc)
		return -1;
	*r = t;
	return 0;
}

int fw_filter_words(const struct fw_rule *r, const struct fw_rule *base,
		    struct strv *out)
{
	const char *p = proto_name(r->proto);
	char list[80], port[8];
	int rc = 0;

#define W(s) (rc = rc || strv_add(out, (s), strlen(s)))
	if (*r->in && !*base->in) {
		if (r->inv & FW_INV_IN)
			W("!");
		W("-i");
		W(r->in);
	}
	if (*r->out && !*base->out) {
		if (r->inv & FW_INV_OUT)
			W("!");
		W("-o");
		W(r->out);
	}
	if (r->ctstate && !base->ctstate) {
		ct_list(r->ctstate, list, sizeof(list));
		W("-m");
		W("conntrack");
		if (r->inv & FW_INV_CT)
			W("!");
		W("--ctstate");
		W(list);
	}
	if (p && ((r->sport && !base->sport) || (r->dport && !base->dport))) {
		W("-m");
		W(p);
		if (r->sport && !base->sport) {
			snprintf(port, sizeof(port), "%u", r->sport);
			W("--sport");
			W(port);
		}
		if (r->dport && !base->dport) {
			snprintf(port, sizeof(port), "%u", r->dport);
			W("--dport");
			W(port);
		}
	}
#undef W
	if (!rc && r->extra && fw_split(r->extra, out) < 0)
		rc = -1;
	return rc ? -1 : 0;
}

/* ---- changes, the lock -------------------------------------------------- */

int fw_change_format(const struct fw_change *c, struct buf *out)
{
	if (!fw_chain_name_ok(c->chain) ||
	    (c->op == FW_POLICY && !fw_chain_name_ok(c->policy))) {
		errno = EINVAL;
		return -1;
	}
	switch (c->op) {
	case FW_NEW_CHAIN:
		return buf_printf(out, ":%s - [0:0]", c->chain);
	case FW_POLICY:
		return buf_printf(out, ":%s %s", c->chain, c->policy);
	case FW_DEL_CHAIN:
		return buf_printf(out, "-X %s", c->chain);
	case FW_INSERT:
		if (buf_printf(out, "-I %s %u ", c->chain, c->pos))
			return -1;
		return fw_rule_format(&c->rule, out);
	case FW_DELETE:
		if (buf_printf(out, "-D %s %u  # ", c->chain, c->pos))
			return -1;
		return fw_rule_format(&c->rule, out);
	}
	errno = EINVAL;
	return -1;
}

int fw_open(struct fw *f, const struct fw_ops *ops, const struct fw_env *env,
	    int family, const char *table, struct err *e)
{
	const char *lock = env && env->lock && *env->lock ? env->lock :
			   FW_XTABLES_LOCK;

	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->env = env;
	f->family = family;
	f->lock_fd = -1;
	snprintf(f->table, sizeof(f->table), "%s", table);
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
