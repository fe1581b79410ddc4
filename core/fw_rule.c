/*
 * fw_rule.c - the rule model of the kernel side: the pool of extra
 * texts, comparison and hash, addresses, conntrack states, what a value
 * written into a table may be, and one rule in iptables-save syntax
 * (fw_rule_format, fw_rule_show).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/fw.h"
#include "dfw/fw_words.h"

/* ---- the pool of extra texts ------------------------------------------ */

struct istr {
	struct istr *next;
	uint32_t hash;
	int known;
	char s[];
};

/* Reachable for as long as the process lives (or until fw_intern_reset):
 * not a leak. */
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

void fw_intern_reset(void)
{
	struct istr *x, *next;
	size_t i;

	for (i = 0; i < pool_size; i++)
		for (x = pool[i]; x; x = next) {
			next = x->next;
			free(x);
		}
	free(pool);
	pool = NULL;
	pool_size = pool_n = 0;
}

size_t fw_intern_count(void)
{
	return pool_n;
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

const char *fw_comment(const struct fw_rule *r)
{
	return r->comment ? r->comment : "";
}

int fw_set_comment(struct fw_rule *r, const char *s)
{
	const char *v = s ? fw_intern(s, strlen(s)) : NULL;

	if (s && *s && !v)
		return -1;
	r->comment = v;
	return 0;
}

/* ---- comparison --------------------------------------------------------- */

int fw_rule_equal(const struct fw_rule *a, const struct fw_rule *b)
{
	if (a->foreign || b->foreign)
		return 0;
	return a->family == b->family && !memcmp(a->src, b->src, 16) &&
	       !memcmp(a->smsk, b->smsk, 16) && !memcmp(a->dst, b->dst, 16) &&
	       !memcmp(a->dmsk, b->dmsk, 16) && !strcmp(a->in, b->in) &&
	       !strcmp(a->out, b->out) && a->inv == b->inv &&
	       a->proto == b->proto && a->sport == b->sport &&
	       a->dport == b->dport && a->ctstate == b->ctstate &&
	       a->extra == b->extra && a->comment == b->comment &&
	       !strcmp(a->target, b->target);
}

/* One step of fw_rule_hash: 8 bytes at a time (a byte at a time, the
 * hash of a rule was 5% of a no-op replay at 10,000 rules). */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ull;
	return h ^ h >> 29;
}

/* The bytes of s before its NUL (those fw_rule_equal compares), 8 at a
 * time, and its length. */
static uint64_t mix_str(uint64_t h, const char *s)
{
	size_t len = strlen(s), i, k;
	uint64_t w;

	for (i = 0; i < len; i += 8) {
		k = len - i < 8 ? len - i : 8;
		w = 0;
		memcpy(&w, s + i, k);
		h = mix(h, w);
	}
	return mix(h, len);
}

uint32_t fw_rule_hash(const struct fw_rule *r)
{
	const uint8_t *a[4] = { r->src, r->smsk, r->dst, r->dmsk };
	uint64_t h = 14695981039346656037ull, w;
	size_t i, k;

	h = mix(h, (uint64_t)(uint32_t)r->family << 32 | r->inv);
	h = mix(h,
		(uint64_t)r->proto << 48 | (uint64_t)r->sport << 16 | r->dport);
	h = mix(h, (uint64_t)r->ctstate << 32 |
			   (r->extra ? istr_of(r->extra)->hash : 0));
	h = mix(h, r->comment ? istr_of(r->comment)->hash : 0);
	for (k = 0; k < 4; k++)
		for (i = 0; i < 16; i += 8) {
			memcpy(&w, a[k] + i, 8);
			h = mix(h, w);
		}
	h = mix_str(h, r->in);
	h = mix_str(h, r->out);
	h = mix_str(h, r->target);
	return (uint32_t)(h ^ h >> 32);
}

/* ---- addresses ---------------------------------------------------------- */

void fw_set_ip4(uint8_t addr[16], uint8_t mask[16], uint32_t ip_be, int prefix)
{
	uint32_t m = prefix ? htonl(~0u << (32 - prefix)) : 0;

	memset(addr, 0, 16);
	memset(mask, 0, 16);
	memcpy(addr, &ip_be, 4);
	memcpy(mask, &m, 4);
}

int fw_addr_parse(const char *s, int family, uint8_t addr[16], uint8_t mask[16])
{
	int bits = family == AF_INET6 ? 128 : 32, i;
	char tmp[INET6_ADDRSTRLEN + 64], *slash;
	uint64_t prefix = (uint64_t)bits;
	size_t len = strlen(s);

	if ((family != AF_INET && family != AF_INET6) || len >= sizeof(tmp))
		return -1;
	memset(addr, 0, 16);
	memset(mask, 0, 16);
	memcpy(tmp, s, len + 1);
	slash = strchr(tmp, '/');
	if (slash)
		*slash++ = 0;
	if (inet_pton(family, tmp, addr) != 1)
		return -1;
	if (slash && strpbrk(slash, ".:")) { /* a mask, not a length */
		if (inet_pton(family, slash, mask) != 1)
			return -1;
	} else if (slash && parse_uint(slash, 0, (uint64_t)bits, &prefix)) {
		return -1;
	} else {
		for (i = 0; i < (int)prefix; i++)
			mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	}
	for (i = 0; i < 16; i++) /* as the kernel keeps it */
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

int fw_zero(const uint8_t *p, int n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* Appends v in decimal (no printf: 10,000s of rules are formatted). */
static int add_uint(struct buf *out, unsigned v)
{
	char d[12];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while (v /= 10);
	return buf_add(out, d + i, sizeof(d) - i);
}

/* An IPv4 address as inet_ntop writes it, without its printf. */
static int add_ip4(struct buf *out, const uint8_t *a)
{
	int i, rc = 0;

	for (i = 0; i < 4; i++)
		rc |= (i && buf_add(out, ".", 1)) || add_uint(out, a[i]);
	return rc ? -1 : 0;
}

static int add_addr(struct buf *out, const char *opt, int family,
		    const uint8_t *a, const uint8_t *m, int inv)
{
	char s[INET6_ADDRSTRLEN], ms[INET6_ADDRSTRLEN];
	int bytes = family == AF_INET6 ? 16 : 4, len, rc;

	if (fw_zero(m, bytes))
		return 0;
	len = mask_len(m, bytes);
	if (len >= 0 && family == AF_INET) {
		rc = (inv && buf_adds(out, "! ")) || buf_adds(out, opt) ||
		     buf_add(out, " ", 1) || add_ip4(out, a) ||
		     buf_add(out, "/", 1) || add_uint(out, (unsigned)len) ||
		     buf_add(out, " ", 1);
		return rc ? -1 : 0;
	}
	if (!inet_ntop(family, a, s, sizeof(s)))
		return -1;
	if (len >= 0)
		return buf_printf(out, "%s%s %s/%d ", inv ? "! " : "", opt, s,
				  len);
	if (!inet_ntop(family, m, ms, sizeof(ms)))
		return -1;
	return buf_printf(out, "%s%s %s/%s ", inv ? "! " : "", opt, s, ms);
}

const char *fw_iface_why(const char *s)
{
	size_t len = strlen(s);

	if (!len)
		return "it is empty";
	if (len >= 16)
		return "an interface name has at most 15 characters (the "
		       "kernel's IFNAMSIZ)";
	if (!strcmp(s, "+"))
		return "\"+\" alone would be every interface";
	if (!fw_iface_ok(s))
		return "an interface name here is letters, digits and "
		       "_ . : @ -, with an optional final + for a prefix";
	return NULL;
}

int fw_iface_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (!len || len >= 16 || !strcmp(s, "+"))
		return 0; /* "+" alone is every interface */
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
	{ FW_CT_INVALID, "INVALID" },	  { FW_CT_NEW, "NEW" },
	{ FW_CT_RELATED, "RELATED" },	  { FW_CT_ESTABLISHED, "ESTABLISHED" },
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

void fw_ctstate_list(unsigned bits, char *out, size_t len)
{
	size_t i, off = 0;

	*out = 0;
	for (i = 0; i < sizeof(ctnames) / sizeof(*ctnames); i++)
		if (bits & ctnames[i].bit)
			off += (size_t)snprintf(out + off, len - off, "%s%s",
						off ? "," : "",
						ctnames[i].name);
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

const char *fw_word_why(const char *v, size_t max, int iface)
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
		return err_set(e, EXIT_RUNTIME,
			       "a rule docker-fw did not "
			       "read whole is never written");
	if (r->comment && (why = fw_word_why(r->comment, FW_COMMENT_MAX, 0)))
		return err_set(e, EXIT_RUNTIME, "the comment \"%s\": %s",
			       str_escape(v, sizeof(v), r->comment), why);
	if (*r->in && (why = fw_word_why(r->in, FW_IFACE_MAX, 1)))
		return err_set(e, EXIT_RUNTIME, "the interface -i \"%s\": %s",
			       str_escape(v, sizeof(v), r->in), why);
	if (*r->out && (why = fw_word_why(r->out, FW_IFACE_MAX, 1)))
		return err_set(e, EXIT_RUNTIME, "the interface -o \"%s\": %s",
			       str_escape(v, sizeof(v), r->out), why);
	if (!fw_chain_name_ok(r->target))
		return err_set(e, EXIT_RUNTIME,
			       "the target \"%s\": not a "
			       "chain name (1-%d printable characters, no "
			       "blank or quote)",
			       str_escape(v, sizeof(v), r->target),
			       FW_CHAIN_MAX);
	if (r->extra && !extra_ok(r->extra))
		return err_set(e, EXIT_RUNTIME,
			       "the conditions \"%s\": not "
			       "whole words on one line",
			       str_escape(v, sizeof(v), r->extra));
	return 0;
}

/* ---- format ------------------------------------------------------------- */

const char *fw_proto_name(uint8_t p)
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
	const char *p = fw_proto_name(r->proto);
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
		rc |= buf_adds(out, "-p ") || buf_adds(out, p) ||
		      buf_add(out, " ", 1);
		if (r->sport || r->dport)
			rc |= buf_adds(out, "-m ") || buf_adds(out, p) ||
			      buf_add(out, " ", 1);
		if (r->sport)
			rc |= buf_adds(out, "--sport ") ||
			      add_uint(out, r->sport) || buf_add(out, " ", 1);
		if (r->dport)
			rc |= buf_adds(out, "--dport ") ||
			      add_uint(out, r->dport) || buf_add(out, " ", 1);
	} else if (r->proto) {
		rc |= buf_printf(out, "-p %u ", r->proto);
	}
	if (r->ctstate) {
		fw_ctstate_list(r->ctstate, list, sizeof(list));
		rc |= buf_printf(out, "-m conntrack %s--ctstate %s ",
				 r->inv & FW_INV_CT ? "! " : "", list);
	}
	if (r->extra)
		rc |= buf_adds(out, r->extra) || buf_add(out, " ", 1);
	if (r->comment)
		rc |= buf_adds(out, "-m comment --comment ") ||
		      add_word(out, r->comment, strict) || buf_adds(out, " ");
	if (r->foreign)
		rc |= buf_adds(out, "(more matches) ");
	if (*r->target || strict) /* a rule with no target has no -j */
		rc |= buf_adds(out, "-j ") ||
		      (strict ? buf_adds(out, r->target) :
				add_word(out, r->target, 0));
	else if (out->len > start)
		out->data[--out->len] = 0; /* the blank before it */
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
