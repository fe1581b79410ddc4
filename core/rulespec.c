/* rulespec.c - one rule spec: parsed, validated, formatted back. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfw/rulespec.h"
#include "dfw/fw.h"

static const char *const action_names[RULE_NACTIONS] = {
	[RULE_ADD] = "add",
	[RULE_ADD_INPUT] = "add-input",
	[RULE_ADD_INTERNAL] = "add-internal",
	[RULE_ADD_TWO_WAYS] = "add-two-ways",
};

const char *rule_action_name(enum rule_action a)
{
	if ((unsigned)a >= RULE_NACTIONS)
		return NULL;
	return action_names[a];
}

int rule_action_parse(const char *s)
{
	int i;

	for (i = 0; i < RULE_NACTIONS; i++)
		if (!strcmp(s, action_names[i]))
			return i;
	return -1;
}

/* ASCII only: the C library's versions follow the locale. */
static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_ctl(int c)
{
	return (c >= 0 && c < 0x20) || c == 0x7f;
}

/* [a-zA-Z0-9][a-zA-Z0-9_.-]*: Docker's rule for container names. */
static int is_name(const char *s)
{
	if (!is_alnum(*s))
		return 0;
	for (s++; *s; s++)
		if (!is_alnum(*s) && *s != '_' && *s != '.' && *s != '-')
			return 0;
	return 1;
}

/*
 * Only digits and dots, with both: meant as an address. Broader than a
 * dotted quad on purpose, so "10.0.0" or "10.0.0.1." is a bad address
 * rather than the name of a container nobody has.
 */
static int is_numeric(const char *s, size_t len)
{
	size_t i;
	int dot = 0, digit = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '.')
			dot = 1;
		else if (is_digit(s[i]))
			digit = 1;
		else
			return 0;
	}
	return dot && digit;
}

/* Exactly four decimal octets, no leading zeros; ip in host order. */
static int quad_parse(const char *s, size_t len, uint32_t *ip)
{
	char part[4];
	size_t i = 0, n;
	uint64_t v;
	int k;

	*ip = 0;
	for (k = 0; k < 4; k++) {
		for (n = 0; i + n < len && s[i + n] != '.'; n++)
			;
		if (n >= sizeof(part))
			return -1;
		memcpy(part, s + i, n);
		part[n] = 0;
		if (parse_uint(part, 0, 255, &v))
			return -1;
		*ip = *ip << 8 | (uint32_t)v;
		i += n;
		if (k < 3 && (i == len || s[i++] != '.'))
			return -1;
	}
	return i == len ? 0 : -1;
}

static int cidr_parse(const char *s, struct addr_spec *a, struct err *e)
{
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t prefix = 32;
	uint32_t ip, mask, net;

	if (quad_parse(s, len, &ip))
		return err_set(e, EXIT_USAGE, "\"%s\": not an IPv4 address", s);
	if (slash && parse_uint(slash + 1, 0, 32, &prefix))
		return err_set(e, EXIT_USAGE,
			       "\"%s\": not a prefix length (0-32)", s);
	/* A shift by 32 is undefined. */
	mask = prefix ? UINT32_MAX << (32 - prefix) : 0;
	net = ip & mask;
	if (ip != net)
		return err_set(e, EXIT_USAGE,
			       "\"%s\": host bits are set; the "
			       "network is %u.%u.%u.%u/%u",
			       s, net >> 24, net >> 16 & 255, net >> 8 & 255,
			       net & 255, (unsigned)prefix);
	a->kind = ADDR_CIDR;
	a->family = AF_INET;
	a->ip = htonl(ip);
	a->prefix = (int)prefix;
	return 0;
}

/*
 * An IPv6 address or network: no zone index (a rule matches addresses,
 * not links), no IPv4-mapped address (::ffff:a.b.c.d: the kernel sees
 * such a packet as IPv4, in the IPv4 table; the IPv4 form is named), no
 * host bits under the prefix.
 */
static int cidr6_parse(const char *s, struct addr_spec *a, struct err *e)
{
	const char *slash = strchr(s, '/'), *pct = strchr(s, '%');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	char q[120], txt[INET6_ADDRSTRLEN + 8], v4[INET_ADDRSTRLEN];
	uint8_t ip[16], net[16];
	uint64_t prefix = 128;
	int i;

	if (pct && (!slash || pct < slash))
		return err_set(e, EXIT_USAGE,
			       "\"%s\": a zone index (after "
			       "%%) is not taken: a rule matches addresses, "
			       "not links; write the address without it",
			       STR_ESC(q, s));
	if (len >= sizeof(txt))
		return err_set(e, EXIT_USAGE, "\"%s\": not an IPv6 address",
			       STR_ESC(q, s));
	memcpy(txt, s, len);
	txt[len] = 0;
	if (inet_pton(AF_INET6, txt, ip) != 1)
		return err_set(e, EXIT_USAGE, "\"%s\": not an IPv6 address",
			       STR_ESC(q, s));
	if (slash && parse_uint(slash + 1, 0, 128, &prefix))
		return err_set(e, EXIT_USAGE,
			       "\"%s\": not a prefix length "
			       "(0-128)",
			       STR_ESC(q, s));
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)ip)) {
		inet_ntop(AF_INET, ip + 12, v4, sizeof(v4));
		if (prefix >= 96 && prefix < 128)
			snprintf(txt, sizeof(txt), "%s/%u", v4,
				 (unsigned)prefix - 96);
		else
			snprintf(txt, sizeof(txt), "%s", v4);
		return err_set(e, EXIT_USAGE,
			       "\"%s\": an IPv4-mapped IPv6 "
			       "address (the kernel carries such traffic as "
			       "IPv4, in the IPv4 table): write %s",
			       STR_ESC(q, s), txt);
	}
	for (i = 0; i < 16; i++) {
		int bits = (int)prefix - 8 * i;

		net[i] = bits >= 8 ? ip[i] :
			 bits <= 0 ? 0 :
				     (uint8_t)(ip[i] & (0xff00 >> bits));
	}
	if (memcmp(ip, net, 16)) {
		inet_ntop(AF_INET6, net, txt, sizeof(txt));
		return err_set(e, EXIT_USAGE,
			       "\"%s\": host bits are set; the "
			       "network is %s/%u",
			       STR_ESC(q, s), txt, (unsigned)prefix);
	}
	a->kind = ADDR_CIDR;
	a->family = AF_INET6;
	memcpy(a->ip6, ip, 16);
	a->prefix = (int)prefix;
	return 0;
}

int addr_parse(const char *s, struct addr_spec *a, struct err *e)
{
	const char *slash = strchr(s, '/'), *name = s;
	size_t len = slash ? (size_t)(slash - s) : strlen(s);

	memset(a, 0, sizeof(*a));
	a->name = "";
	if (!strcmp(s, ".")) {
		a->kind = ADDR_SELF;
		return 0;
	}
	if (!strcmp(s, "/")) {
		a->kind = ADDR_GATEWAY;
		return 0;
	}
	if (is_numeric(s, len)) /* before any '/' */
		return cidr_parse(s, a, e);
	/* no name holds a ':' */
	if (memchr(s, ':', len))
		return cidr6_parse(s, a, e);
	if (*name == '/')
		name++;
	if (strlen(name) > ADDR_NAME_MAX)
		return err_set(e, EXIT_USAGE,
			       "\"%.64s...\": container name "
			       "longer than %d characters",
			       s, ADDR_NAME_MAX);
	/* "/1.2.3.4" is refused too: it would format as an address. */
	if (!is_name(name) || is_numeric(name, strlen(name)))
		return err_set(e, EXIT_USAGE,
			       "\"%s\": not an address or container name", s);
	a->name = rulespec_intern(name);
	if (!a->name) {
		a->name = "";
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	a->kind = ADDR_CONTAINER;
	return 0;
}

int addr_format(const struct addr_spec *a, struct buf *out)
{
	uint32_t ip = ntohl(a->ip);
	char s6[INET6_ADDRSTRLEN];

	switch (a->kind) {
	case ADDR_SELF:
		return buf_adds(out, ".");
	case ADDR_GATEWAY:
		return buf_adds(out, "/");
	case ADDR_CIDR:
		if (a->family == AF_INET6)
			return !inet_ntop(AF_INET6, a->ip6, s6, sizeof(s6)) ||
					       buf_printf(out, "%s/%d", s6,
							  a->prefix) ?
				       -1 :
				       0;
		return buf_printf(out, "%u.%u.%u.%u/%d", ip >> 24,
				  ip >> 16 & 255, ip >> 8 & 255, ip & 255,
				  a->prefix);
	case ADDR_CONTAINER:
		return buf_adds(out, a->name);
	default:
		errno = EINVAL;
		return -1;
	}
}

const struct opt rulespec_opts[RULESPEC_NOPTS] = {
	[RULESPEC_SOURCE] = { "--source", 's', OPT_VALUE, NULL },
	[RULESPEC_SPORT] = { "--sport", 0, OPT_VALUE, NULL },
	[RULESPEC_DEST] = { "--dest", 'd', OPT_VALUE, NULL },
	[RULESPEC_DPORT] = { "--dport", 0, OPT_VALUE, NULL },
	[RULESPEC_PROTOCOL] = { "--protocol", 'p', OPT_VALUE, NULL },
	[RULESPEC_NETWORK] = { "--network", 0, OPT_VALUE, NULL },
	[RULESPEC_FILTER] = { "--filter", 0, OPT_VALUE, NULL },
	[RULESPEC_REV_LOOKUP] = { "--rev-lookup", 0, OPT_FLAG, NULL },
};

/* `--source "x": why`, from addr_parse's `"x": why`. */
static int addr_opt(struct addr_spec *a, int o, const char *v, struct err *e)
{
	char why[sizeof(e->msg)];

	if (!addr_parse(v, a, e))
		return 0;
	if (!e || e->code == EXIT_RUNTIME) /* out of memory */
		return -1;
	memcpy(why, e->msg, sizeof(why));
	return err_set(e, EXIT_USAGE, "%s %s", rulespec_opts[o].name, why);
}

static int port_opt(uint16_t *port, int o, const char *v, struct err *e)
{
	uint64_t n;

	if (parse_uint(v, 1, 65535, &n))
		return err_set(e, EXIT_USAGE, "%s \"%s\": not a port (1-65535)",
			       rulespec_opts[o].name, v);
	*port = (uint16_t)n;
	return 0;
}

static int proto_opt(struct rulespec *r, const char *v, struct err *e)
{
	if (!strcmp(v, "tcp"))
		r->proto = IPPROTO_TCP;
	else if (!strcmp(v, "udp"))
		r->proto = IPPROTO_UDP;
	else
		return err_set(e, EXIT_USAGE,
			       "--protocol \"%s\": not tcp or udp", v);
	return 0;
}

static int network_opt(struct rulespec *r, const char *v, struct err *e)
{
	size_t len = strlen(v);

	const char *p;

	if (!is_name(v) || len > RULESPEC_NET_MAX)
		return err_set(e, EXIT_USAGE,
			       "--network \"%s\": not a network "
			       "name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d "
			       "characters)",
			       v, RULESPEC_NET_MAX);
	p = rulespec_intern(v);
	if (!p)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	r->network = p;
	return 0;
}

static int filter_opt(struct rulespec *r, const char *v, struct err *e)
{
	const char *bad;
	size_t i;
	int n = rulespec_split(v, &r->filter, e);

	/* a long value is cut in messages, so that the reason fits */
	if (n < 0)
		return err_wrap(e, "--filter \"%.100s%s\"", v,
				strlen(v) > 100 ? "..." : "");
	if (n == 0)
		return err_set(e, EXIT_USAGE, "--filter \"%.100s%s\": no words",
			       v, strlen(v) > 100 ? "..." : "");
	for (i = 0; i < r->filter.n; i++) {
		bad = filter_forbidden(r->filter.v[i]);
		if (!bad)
			continue;
		if (is_ctl(*bad))
			return err_set(e, EXIT_USAGE,
				       "--filter: \"%s\": "
				       "control character 0x%02x is not "
				       "allowed",
				       r->filter.v[i], *bad);
		return err_set(e, EXIT_USAGE,
			       "--filter: \"%s\": character "
			       "'%c' is not allowed",
			       r->filter.v[i], *bad);
	}
	return 0;
}

int rulespec_set(void *arg, size_t o, const char *v, const char *word,
		 struct err *e)
{
	struct rulespec *r = arg;

	switch (o) {
	case RULESPEC_SOURCE:
		return addr_opt(&r->src, (int)o, v, e);
	case RULESPEC_DEST:
		return addr_opt(&r->dst, (int)o, v, e);
	case RULESPEC_SPORT:
		return port_opt(&r->sport, (int)o, v, e);
	case RULESPEC_DPORT:
		return port_opt(&r->dport, (int)o, v, e);
	case RULESPEC_PROTOCOL:
		return proto_opt(r, v, e);
	case RULESPEC_NETWORK:
		return network_opt(r, v, e);
	case RULESPEC_FILTER:
		return filter_opt(r, v, e);
	case RULESPEC_REV_LOOKUP:
		r->rev_lookup = 1;
		return 0;
	}
	return err_set(e, EXIT_RUNTIME, "rule option %zu", o);
}

void rulespec_init(struct rulespec *r, enum rule_action action)
{
	memset(r, 0, sizeof(*r));
	r->action = action;
	r->src.name = "";
	r->dst.name = "";
	r->network = "";
	r->made_on = "";
	r->dst.kind = ADDR_SELF;
	r->proto = IPPROTO_TCP;
}

int rulespec_end(struct rulespec *r, unsigned seen, struct err *e)
{
	int src_self = r->src.kind == ADDR_SELF;
	int dst_self = r->dst.kind == ADDR_SELF;

	if (!rule_action_name(r->action))
		return err_set(e, EXIT_USAGE, "unknown action %d",
			       (int)r->action);
	if (!(seen & 1u << RULESPEC_SOURCE))
		return err_set(e, EXIT_USAGE, "--source is required");
	if (src_self && dst_self && r->action == RULE_ADD_INPUT &&
	    !(seen & 1u << RULESPEC_DEST))
		dst_self = 0; /* made "/" below */
	if (src_self && dst_self)
		return err_set(e, EXIT_USAGE,
			       "--source and --dest cannot both be \".\"");
	if (!src_self && !dst_self)
		return err_set(e, EXIT_USAGE,
			       "neither --source nor --dest is "
			       "\".\" (the container)");
	if (!r->dport && r->action != RULE_ADD)
		return err_set(e, EXIT_USAGE, "--dport is required for %s",
			       action_names[r->action]);
	/* add-input goes from the container to the host: with --source
	 * ".", the default --dest is "/" (the gateway) */
	if (r->action == RULE_ADD_INPUT && !(seen & 1u << RULESPEC_DEST) &&
	    src_self)
		r->dst.kind = ADDR_GATEWAY;
	return 0;
}

/*
 * As getopt_long, `--opt VALUE` takes the next argument whatever it is,
 * so `--filter --syn` is the filter "--syn"; unlike it, no abbreviations
 * and no positional arguments (opt.c).
 */
int rulespec_parse(struct rulespec *r, enum rule_action action, int argc,
		   char *const *argv, struct err *e)
{
	unsigned seen;

	rulespec_init(r, action);
	if (!rule_action_name(action))
		return err_set(e, EXIT_USAGE, "unknown action %d", (int)action);
	if (opt_parse(rulespec_opts, RULESPEC_NOPTS, OPT_ARGS_NONE, argc,
		      (char **)argv, rulespec_set, r, &seen, e) < 0 ||
	    rulespec_end(r, seen, e)) {
		rulespec_free(r);
		return -1;
	}
	return 0;
}

/* " --opt " and the value, quoted. */
static int put_opt(struct buf *out, int o, const char *v)
{
	return buf_printf(out, " %s ", rulespec_opts[o].name) ||
	       rulespec_quote(v, out);
}

static int put_addr(struct buf *out, int o, const struct addr_spec *a)
{
	struct buf t = { 0 };
	int rc = addr_format(a, &t) || put_opt(out, o, t.data);

	buf_free(&t);
	return rc ? -1 : 0;
}

/*
 * The filter is one option value holding several words: each word is
 * quoted where needed, then the whole line quoted again, so splitting the
 * value gives back the words even when they hold blanks or quotes.
 */
static int put_filter(struct buf *out, const struct strv *f)
{
	struct buf t = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < f->n && !rc; i++)
		rc = (i && buf_adds(&t, " ")) || rulespec_quote(f->v[i], &t);
	if (!rc)
		rc = put_opt(out, RULESPEC_FILTER, t.data);
	buf_free(&t);
	return rc ? -1 : 0;
}

int rulespec_format(const struct rulespec *r, struct buf *out)
{
	struct buf t = { 0 };
	int rc;

	if (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP) {
		errno = EINVAL;
		return -1;
	}
	/* Built apart, so out is unchanged on failure. */
	rc = put_addr(&t, RULESPEC_SOURCE, &r->src) ||
	     (r->sport && buf_printf(&t, " --sport %u", r->sport)) ||
	     put_addr(&t, RULESPEC_DEST, &r->dst) ||
	     (r->dport && buf_printf(&t, " --dport %u", r->dport)) ||
	     put_opt(&t, RULESPEC_PROTOCOL,
		     r->proto == IPPROTO_UDP ? "udp" : "tcp") ||
	     (*r->network && put_opt(&t, RULESPEC_NETWORK, r->network)) ||
	     (r->filter.n && put_filter(&t, &r->filter)) ||
	     buf_add(out, t.data + 1, t.len - 1); /* the first blank */
	buf_free(&t);
	return rc ? -1 : 0;
}

static int addr_equal(const struct addr_spec *a, const struct addr_spec *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == ADDR_CIDR)
		return a->family == b->family && a->prefix == b->prefix &&
		       (a->family == AF_INET6 ? !memcmp(a->ip6, b->ip6, 16) :
						a->ip == b->ip);
	if (a->kind == ADDR_CONTAINER)
		return a->name == b->name || !strcmp(a->name, b->name);
	return 1;
}

int rulespec_same_but_net(const struct rulespec *a, const struct rulespec *b)
{
	size_t i;

	if (a->action != b->action || !addr_equal(&a->src, &b->src) ||
	    !addr_equal(&a->dst, &b->dst) || a->sport != b->sport ||
	    a->dport != b->dport || a->proto != b->proto ||
	    a->filter.n != b->filter.n)
		return 0;
	for (i = 0; i < a->filter.n; i++)
		if (strcmp(a->filter.v[i], b->filter.v[i]))
			return 0;
	return 1;
}

int rulespec_equal(const struct rulespec *a, const struct rulespec *b)
{
	return rulespec_same_but_net(a, b) &&
	       (a->network == b->network || !strcmp(a->network, b->network));
}

int rulespec_net_name_ok(const char *s)
{
	return is_name(s) && strlen(s) <= RULESPEC_NET_MAX;
}

const char *rulespec_intern(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	const char *p;

	if (!len)
		return "";
	p = fw_intern(s, len);
	if (!p)
		errno = ENOMEM;
	return p;
}

int rulespec_set_made_on(struct rulespec *r, const char *net)
{
	const char *p = rulespec_intern(net);

	if (!p)
		return -1;
	r->made_on = p;
	return 0;
}

int rulespec_copy(struct rulespec *dst, const struct rulespec *src)
{
	size_t i;

	*dst = *src;
	dst->filter.v = NULL;
	dst->filter.n = 0;
	for (i = 0; i < src->filter.n; i++) {
		if (strv_add(&dst->filter, src->filter.v[i],
			     strlen(src->filter.v[i]))) {
			rulespec_free(dst);
			return -1;
		}
	}
	return 0;
}

void rulespec_free(struct rulespec *r)
{
	strv_free(&r->filter);
}

/* Control characters anywhere (DEL too), but a tab is a blank. */
static int split_check(const char *s, size_t len, struct err *e)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (is_ctl(s[i]) && s[i] != '\t')
			return err_set(e, EXIT_USAGE,
				       "control character "
				       "0x%02x at offset %zu",
				       s[i], i);
	return 0;
}

static int split_word(struct strv *out, const struct buf *w)
{
	/* w->data is NULL for '' and memcpy wants a pointer. */
	return strv_add(out, w->data ? w->data : "", w->len);
}

/*
 * From just after an opening quote q up to its closing one, left in *i
 * (len when there is none). Inside "...", a backslash escapes only
 * " \ $ ` and is kept before anything else, as in POSIX.
 */
static int split_quoted(const char *s, size_t len, size_t *i, char q,
			struct buf *w)
{
	for (; *i < len && s[*i] != q; (*i)++) {
		if (q == '"' && s[*i] == '\\' && *i + 1 < len &&
		    strchr("\"\\$`", s[*i + 1]))
			(*i)++;
		if (buf_add(w, &s[*i], 1))
			return -1;
	}
	return 0;
}

static int hex_val(int c)
{
	return is_digit(c)	    ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 :
				      -1;
}

/*
 * From just after $' up to the closing quote, left in *i: POSIX.1-2024's
 * dollar-single-quotes. An escape POSIX does not list (\cX is not taken
 * either) and one that makes a NUL are errors, not guesses.
 */
static int split_dollar(const char *s, size_t len, size_t *i, struct buf *w,
			struct err *e)
{
	static const char names[] = "\\\\''\"\"a\ab\be\033f\fn\nr\rt\tv\v";
	const char *k;
	int v, d, n;
	char c;

	for (; *i < len && s[*i] != '\''; (*i)++) {
		c = s[*i];
		if (c == '\\') {
			if (++*i == len)
				break;
			c = s[*i];
			k = strchr(names, c);
			if (c && k && (k - names) % 2 == 0) {
				c = k[1];
			} else if (c == 'x' || (c >= '0' && c <= '7')) {
				int hex = c == 'x', max = hex ? 2 : 3;

				v = 0;
				n = 0;
				if (!hex)
					(*i)--;
				while (n < max && *i + 1 < len &&
				       (d = hex ? hex_val(s[*i + 1]) :
					    s[*i + 1] >= '0' &&
							    s[*i + 1] <= '7' ?
						  s[*i + 1] - '0' :
						  -1) >= 0) {
					v = v * (hex ? 16 : 8) + d;
					n++;
					(*i)++;
				}
				if (!n)
					return err_set(e, EXIT_USAGE,
						       "$'...': "
						       "\\x without hex "
						       "digits");
				if (!(v & 255))
					return err_set(e, EXIT_USAGE,
						       "$'...': "
						       "an escape makes a NUL "
						       "byte");
				c = (char)v;
			} else {
				return err_set(e, EXIT_USAGE,
					       "$'...': unknown "
					       "escape \\%c",
					       is_ctl(c) || (unsigned char)c >
								       126 ?
						       '?' :
						       c);
			}
		}
		if (buf_add(w, &c, 1))
			return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	if (*i >= len)
		return err_set(e, EXIT_USAGE, "unterminated $' quote");
	return 0;
}

/*
 * Choices where a shell differs or is vague: a word exists once any part
 * of it is seen, so `''` is one empty word; '#' starts a comment only
 * where a word would start (`a#b` and `''#` are words); a tab is a blank,
 * but may be quoted; control characters are refused even in a comment,
 * and a backslash before the final newline is a trailing backslash, not
 * a line continuation. On failure the words added so far are taken back,
 * so out is as it was.
 */
int rulespec_split(const char *line, struct strv *out, struct err *e)
{
	size_t len = strlen(line), n0 = out->n, i;
	struct buf w = { 0 };
	int in_word = 0;
	char c;

	if (len && line[len - 1] == '\n')
		len--;
	if (split_check(line, len, e))
		return -1;
	for (i = 0; i < len; i++) {
		c = line[i];
		if (c == ' ' || c == '\t') {
			if (in_word && split_word(out, &w))
				goto nomem;
			in_word = 0;
			w.len = 0;
			continue;
		}
		if (c == '#' && !in_word)
			break;
		in_word = 1;
		if (c == '$' && i + 1 < len && line[i + 1] == '\'') {
			i += 2;
			if (split_dollar(line, len, &i, &w, e))
				goto fail;
		} else if (c == '\'' || c == '"') {
			i++;
			if (split_quoted(line, len, &i, c, &w))
				goto nomem;
			if (i == len) {
				err_set(e, EXIT_USAGE, "unterminated %c quote",
					c);
				goto fail;
			}
		} else if (c == '\\') {
			if (++i == len) {
				err_set(e, EXIT_USAGE, "trailing backslash");
				goto fail;
			}
			if (buf_add(&w, &line[i], 1))
				goto nomem;
		} else {
			/* plain bytes up to the next special one, at once
			 * (a store of 10,000s of lines) */
			size_t run = strcspn(line + i, " \t'\"\\$\n");

			if (run == 0)
				run = 1; /* a '$' without a quote after it */
			if (run > len - i)
				run = len - i;
			if (buf_add(&w, line + i, run))
				goto nomem;
			i += run - 1;
		}
	}
	if (in_word && split_word(out, &w))
		goto nomem;
	buf_free(&w);
	return (int)(out->n - n0);
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
fail:
	while (out->n > n0)
		free(out->v[--out->n]);
	buf_free(&w);
	return -1;
}

/* Anything else is quoted; rulespec_split has no other special bytes. */
static int is_plain(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!is_alnum(*s) && !strchr("_./:,=@%+-", *s))
			return 0;
	return 1;
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if (is_ctl((unsigned char)*s))
			return 1;
	return 0;
}

/* $'...' with \\ \' \n \t \r by name and other control bytes as \xHH
 * (always two digits: split_dollar reads at most two). */
static int quote_dollar(const char *s, struct buf *out)
{
	int rc = buf_adds(out, "$'");
	unsigned char c;

	for (; *s && !rc; s++) {
		c = (unsigned char)*s;
		if (c == '\\' || c == '\'')
			rc = buf_printf(out, "\\%c", c);
		else if (c == '\n' || c == '\t' || c == '\r')
			rc = buf_printf(out, "\\%c",
					c == '\n' ? 'n' :
					c == '\t' ? 't' :
						    'r');
		else if (is_ctl(c))
			rc = buf_printf(out, "\\x%02x", c);
		else
			rc = buf_add(out, s, 1);
	}
	return rc || buf_adds(out, "'") ? -1 : 0;
}

int rulespec_quote(const char *s, struct buf *out)
{
	size_t len = out->len;
	const char *q;
	int rc;

	if (is_plain(s))
		return buf_adds(out, s);
	if (has_ctl(s)) {
		rc = quote_dollar(s, out);
		goto done;
	}
	rc = buf_adds(out, "'");
	/* POSIX has no escape inside '...': close, add \', reopen. */
	while (!rc && (q = strchr(s, '\''))) {
		rc = buf_add(out, s, (size_t)(q - s)) || buf_adds(out, "'\\''");
		s = q + 1;
	}
	rc = rc || buf_adds(out, s) || buf_adds(out, "'");
done:
	if (rc) {
		out->len = len;
		if (out->data)
			out->data[len] = 0;
		return -1;
	}
	return 0;
}

const char *filter_forbidden(const char *s)
{
	for (; *s; s++)
		if (is_ctl(*s) || strchr(";&|$`<>\\", *s))
			return s;
	return NULL;
}

/* ---- --from ------------------------------------------------------------ */

void rulespec_from_init(struct rulespec_from *f, const char *name,
			enum rule_action action, int rev_lookup)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->action = action;
	f->rev_lookup = rev_lookup;
}

void rulespec_from_free(struct rulespec_from *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		rulespec_free(&f->v[i]);
	free(f->v);
	free(f->line);
	free(f->buf);
	strv_free(&f->ctr);
	f->v = NULL;
	f->line = NULL;
	f->buf = NULL;
	f->n = f->cap = f->len = 0;
}

static int from_fail(struct rulespec_from *f)
{
	f->failed = 1;
	return -1;
}

static int from_push(struct rulespec_from *f, struct rulespec *r,
		     const char *ctr)
{
	if (strv_add(&f->ctr, ctr, strlen(ctr)))
		return -1;
	if (f->n == f->cap) {
		size_t ncap = f->cap ? 2 * f->cap : 16;
		struct rulespec *v = realloc(f->v, ncap * sizeof(*v));
		unsigned long *l;

		if (v)
			f->v = v;
		l = v ? realloc(f->line, ncap * sizeof(*l)) : NULL;
		if (!l) {
			free(f->ctr.v[--f->ctr.n]);
			return -1;
		}
		f->line = l;
		f->cap = ncap;
	}
	f->v[f->n] = *r;
	f->line[f->n++] = f->lines;
	return 0;
}

/*
 * The form of a line of words w (rulespec.h): its action into *act, its
 * container into ctr (name "" for none). Returns the number of words
 * before the options, or -1 with e set.
 */
static int from_form(const struct rulespec_from *f, const struct strv *w,
		     enum rule_action *act, struct addr_spec *ctr,
		     struct err *e)
{
	struct err e2;
	int a, k = 0, rc;

	*act = f->action;
	memset(ctr, 0, sizeof(*ctr));
	ctr->name = "";
	if (w->v[0][0] == '-')
		return 0;
	a = rule_action_parse(w->v[0]);
	if (a >= 0 && w->n > 1 && w->v[1][0] != '-') {
		*act = (enum rule_action)a;
		k = 1;
	}
	rc = addr_parse(w->v[k], ctr, &e2);
	if (rc && e2.code == EXIT_RUNTIME)
		return err_set(e, EXIT_RUNTIME, "%s", e2.msg); /* memory */
	if (rc || ctr->kind != ADDR_CONTAINER)
		return err_set(e, EXIT_USAGE,
			       "\"%.64s%s\": not a container "
			       "name or ID (a line is OPTIONS..., CONTAINER "
			       "OPTIONS... or ACTION CONTAINER OPTIONS...)",
			       w->v[k], strlen(w->v[k]) > 64 ? "..." : "");
	return k + 1;
}

/* The line in f->buf[0..f->len), its newline taken off: line f->lines. */
static int from_line(struct rulespec_from *f, int ended, struct err *e)
{
	struct strv w = { 0 };
	struct rulespec r;
	struct addr_spec ctr;
	enum rule_action act;
	int n, k;

	f->lines++;
	f->buf[f->len] = 0;
	if (f->lines > FROM_MAX_LINES) {
		err_set(e, EXIT_USAGE, "more than %d lines", FROM_MAX_LINES);
		goto bad;
	}
	if (ended && f->len && f->buf[f->len - 1] == '\r') {
		err_set(e, EXIT_USAGE,
			"ends in CR LF (a DOS text file?): "
			"convert it, e.g. with dos2unix");
		goto bad;
	}
	f->len = 0;
	n = rulespec_split(f->buf, &w, e);
	if (n < 0) {
		strv_free(&w); /* split leaves the array behind */
		goto bad;
	}
	if (!n)
		return 0;
	if (f->n >= FROM_MAX_SPECS) {
		strv_free(&w);
		err_set(e, EXIT_USAGE,
			"more than %d rule specs: split the "
			"input, or use fewer wider rules",
			FROM_MAX_SPECS);
		goto bad;
	}
	k = from_form(f, &w, &act, &ctr, e);
	if (k >= 0)
		k = rulespec_parse(&r, act, (int)w.n - k, w.v + k, e) ? -1 : 0;
	if (k < 0) {
		strv_free(&w);
		goto bad;
	}
	r.rev_lookup |= f->rev_lookup;
	n = from_push(f, &r, ctr.name);
	strv_free(&w);
	if (n) {
		rulespec_free(&r);
		err_set(e, EXIT_RUNTIME, "out of memory");
		return from_fail(f);
	}
	return 0;
bad:
	err_wrap(e, "%s:%lu", f->name, f->lines);
	return from_fail(f);
}

int rulespec_from_feed(struct rulespec_from *f, const char *p, size_t n,
		       struct err *e)
{
	const char *nl;
	size_t take, room = FROM_MAX_BYTES - f->bytes;
	int over = n > room;

	if (f->failed)
		return -1;
	if (!f->buf && !(f->buf = malloc(FROM_MAX_LINE + 1))) {
		err_set(e, EXIT_RUNTIME, "out of memory");
		return from_fail(f);
	}
	if (over)
		n = room; /* the lines within the cap are read first */
	f->bytes += n;
	while (n) {
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		if (memchr(p, 0, take)) {
			err_set(e, EXIT_USAGE, "%s:%lu: holds a NUL byte",
				f->name, f->lines + 1);
			return from_fail(f);
		}
		if (take > FROM_MAX_LINE - f->len) {
			err_set(e, EXIT_USAGE,
				"%s:%lu: line longer than %d "
				"bytes",
				f->name, f->lines + 1, FROM_MAX_LINE);
			return from_fail(f);
		}
		memcpy(f->buf + f->len, p, take);
		f->len += take;
		if (!nl)
			break;
		if (from_line(f, 1, e))
			return -1;
		p = nl + 1;
		n -= take + 1;
	}
	if (over) {
		err_set(e, EXIT_USAGE,
			"--from \"%s\": more than %u bytes (the "
			"limit): an endless input?",
			f->name, FROM_MAX_BYTES);
		return from_fail(f);
	}
	return 0;
}

int rulespec_from_end(struct rulespec_from *f, struct err *e)
{
	if (f->failed)
		return -1;
	if (f->len && from_line(f, 0, e)) /* no newline at the end */
		return -1;
	if (!f->n) {
		err_set(e, EXIT_USAGE, "--from \"%s\": no rule specs in it",
			f->name);
		return from_fail(f);
	}
	return 0;
}

int rulespec_from_fd(struct rulespec_from *f, int fd, struct err *e)
{
	char chunk[16384];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, EXIT_USAGE, "--from \"%s\": %s", f->name,
				strerror(errno));
			return from_fail(f);
		}
		if (!n)
			return rulespec_from_end(f, e);
		if (rulespec_from_feed(f, chunk, (size_t)n, e))
			return -1;
	}
}

/* ---- hashing and the index (#18) ------------------------------------ */

#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

static uint64_t fnv_u(uint64_t h, uint64_t v)
{
	return fnv(h, &v, sizeof(v));
}

/* a string and its end (so that "a" "bc" and "ab" "c" differ) */
static uint64_t fnv_s(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1);
}

/* what addr_equal compares */
static uint64_t hash_addr(uint64_t h, const struct addr_spec *a)
{
	h = fnv_u(h, (uint64_t)a->kind);
	if (a->kind == ADDR_CIDR) {
		h = fnv_u(h, (uint64_t)a->family);
		h = fnv_u(h, (uint64_t)a->prefix);
		return a->family == AF_INET6 ? fnv(h, a->ip6, 16) :
					       fnv_u(h, a->ip);
	}
	return a->kind == ADDR_CONTAINER ? fnv_s(h, a->name) : h;
}

uint64_t rulespec_hash(const struct rulespec *r, int net)
{
	uint64_t h = FNV_BASIS;
	size_t i;

	h = fnv_u(h, (uint64_t)r->action);
	h = hash_addr(h, &r->src);
	h = hash_addr(h, &r->dst);
	h = fnv_u(h, r->sport);
	h = fnv_u(h, r->dport);
	h = fnv_u(h, r->proto);
	h = fnv_u(h, r->filter.n);
	for (i = 0; i < r->filter.n; i++)
		h = fnv_s(h, r->filter.v[i]);
	if (net)
		h = fnv_s(h, r->network);
	/* FNV's low bits (the index's bucket) depend on the input's low
	 * bits only: murmur3's finalizer mixes the high ones down */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* the buckets made again for nb buckets, the entries kept in order */
static int index_rehash(struct rulespec_index *x, size_t nb)
{
	size_t *head = calloc(nb, sizeof(*head));
	size_t *tail = calloc(nb, sizeof(*tail));
	size_t i, b;

	if (!head || !tail) {
		free(head);
		free(tail);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < x->n; i++) {
		b = (size_t)x->ent[i].h & (nb - 1);
		x->ent[i].next = 0;
		if (tail[b])
			x->ent[tail[b] - 1].next = i + 1;
		else
			head[b] = i + 1;
		tail[b] = i + 1;
	}
	free(x->head);
	free(x->tail);
	x->head = head;
	x->tail = tail;
	x->nb = nb;
	return 0;
}

int rulespec_index_add(struct rulespec_index *x, const struct rulespec *r,
		       size_t pos)
{
	return rulespec_index_add_hash(x, rulespec_hash(r, x->net), pos);
}

int rulespec_index_add_hash(struct rulespec_index *x, uint64_t h, size_t pos)
{
	struct rulespec_index_ent *p;
	size_t b, cap;

	if (x->n == x->cap) {
		cap = x->cap ? 2 * x->cap : 16;
		if (cap > SIZE_MAX / sizeof(*p) / 2) {
			errno = ENOMEM;
			return -1;
		}
		p = realloc(x->ent, cap * sizeof(*p));
		if (!p)
			return -1;
		x->ent = p;
		x->cap = cap;
	}
	/* one bucket or more an entry: rebuilt when they would be fewer */
	if (x->n + 1 > x->nb && index_rehash(x, x->nb ? 2 * x->nb : 16))
		return -1;
	p = &x->ent[x->n];
	p->h = h;
	p->pos = pos;
	p->next = 0;
	b = (size_t)p->h & (x->nb - 1);
	if (x->tail[b])
		x->ent[x->tail[b] - 1].next = x->n + 1;
	else
		x->head[b] = x->n + 1;
	x->tail[b] = ++x->n;
	return 0;
}

int rulespec_index_next(struct rulespec_index *x, uint64_t h, size_t *it,
			size_t *pos)
{
	size_t k;

	if (!x->nb)
		return 0;
	k = *it ? x->ent[*it - 1].next : x->head[(size_t)h & (x->nb - 1)];
	for (; k; k = x->ent[k - 1].next) {
		x->work++;
		if (x->ent[k - 1].h == h) {
			*it = k;
			*pos = x->ent[k - 1].pos;
			return 1;
		}
	}
	*it = 0;
	return 0;
}

void rulespec_index_free(struct rulespec_index *x)
{
	free(x->ent);
	free(x->head);
	free(x->tail);
	x->ent = NULL;
	x->head = x->tail = NULL;
	x->n = x->cap = x->nb = 0;
}

int rulespec_mark_new(const struct rulespec *v, size_t n,
		      const struct rulespec *old, size_t nold, int *new_,
		      size_t *work)
{
	struct rulespec_index x = { 0 };
	size_t j, k, it, cmp = 0;
	uint64_t h;

	x.net = 1;
	for (k = 0; k < nold; k++)
		if (rulespec_index_add(&x, &old[k], k)) {
			rulespec_index_free(&x);
			return -1;
		}
	for (j = 0; j < n; j++) {
		new_[j] = 1;
		h = rulespec_hash(&v[j], 1);
		it = 0;
		while (rulespec_index_next(&x, h, &it, &k)) {
			cmp++;
			if (rulespec_equal(&v[j], &old[k])) {
				new_[j] = 0;
				break;
			}
		}
	}
	rulespec_index_free(&x);
	if (work)
		*work = cmp;
	return 0;
}
