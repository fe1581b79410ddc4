/*
 * fw_words.c - what reading iptables-save words (fw_decode.c) and
 * checking --filter words (fw_filter.c) share: iptables' own options, a
 * match block (-m NAME OPTIONS) modelled into a rule or kept as text.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "dfw/fw.h"
#include "dfw/fw_words.h"

/* The letter of an option of iptables itself ("-s", "--source": 's'), 0
 * for anything else (a match's option, a value). */
int fw_opt_letter(const char *w)
{
	static const struct {
		const char *name;
		char c;
	} longs[] = {
		{ "--source", 's' },	   { "--src", 's' },
		{ "--destination", 'd' },  { "--dst", 'd' },
		{ "--in-interface", 'i' }, { "--out-interface", 'o' },
		{ "--protocol", 'p' },	   { "--fragment", 'f' },
		{ "--match", 'm' },	   { "--jump", 'j' },
		{ "--goto", 'g' },	   { "--set-counters", 'c' },
		{ "--table", 't' },	   { "--append", 'A' },
		{ "--insert", 'I' },	   { "--delete", 'D' },
		{ "--replace", 'R' },	   { "--new-chain", 'N' },
		{ "--delete-chain", 'X' }, { "--flush", 'F' },
		{ "--policy", 'P' },	   { "--rename-chain", 'E' },
		{ "--list", 'L' },	   { "--list-rules", 'S' },
		{ "--zero", 'Z' },	   { "--check", 'C' },
		{ "--wait", 'w' },	   { "--ipv4", '4' },
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
int fw_block_end(char *const *w, size_t n, size_t j)
{
	return fw_opt_letter(w[j]) ||
	       (!strcmp(w[j], "!") && j + 1 < n && fw_opt_letter(w[j + 1]));
}

size_t fw_match_end(char *const *w, size_t n, size_t i)
{
	size_t j;

	for (j = i + 2; j < n && !fw_block_end(w, n, j); j++)
		;
	/* --comment takes the next word whatever it is, as getopt gives it
	 * to iptables ("-m" included) */
	if (i + 3 < n && !strcmp(w[i + 1], "comment") &&
	    !strcmp(w[i + 2], "--comment") && j < i + 4)
		j = i + 4;
	return j;
}

/* Appends words w[0..n) to x, after a blank when x is not empty. */
int fw_words_add(struct buf *x, char *const *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((x->len && buf_adds(x, " ")) || fw_quote(w[i], x))
			return -1;
	return 0;
}

int fw_port_opt(const char *o, int *dst)
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
int fw_match_tcpudp(struct fw_rule *r, const char *name, char *const *w,
		    size_t n, int filter, struct buf *x, struct err *e)
{
	struct buf rest = { 0 };
	size_t k = 0, g, v;
	uint64_t port;
	int inv, dst, rc = 0;

	if (filter && name && !n)
		return err_set(e, EXIT_USAGE,
			       "--filter: \"-m\" %s with no "
			       "option adds no condition",
			       name);
	while (k < n && !rc) {
		g = k;
		inv = !strcmp(w[k], "!");
		k += inv;
		v = k < n ? k + 1 : n;
		while (v < n && strcmp(w[v], "!") && strncmp(w[v], "--", 2))
			v++;
		if (k < n && fw_port_opt(w[k], &dst) && filter &&
		    (dst ? r->dport : r->sport))
			rc = err_set(e, EXIT_USAGE,
				     "--filter: \"%s\": the "
				     "rule spec gives the port (%s)",
				     w[k], dst ? "--dport" : "--sport");
		else if (k < n && fw_port_opt(w[k], &dst) && !inv &&
			 v == k + 2 && !(dst ? r->dport : r->sport) &&
			 (!name ||
			  !strcmp(name, fw_proto_name(r->proto) ?
						fw_proto_name(r->proto) :
						"")) &&
			 !parse_uint(w[k + 1], 1, 65535, &port))
			*(dst ? &r->dport : &r->sport) = (uint16_t)port;
		else
			rc = fw_words_add(&rest, w + g, v - g);
		k = v;
	}
	if (!rc && rest.len)
		rc = (x->len && buf_adds(x, " ")) ||
		     (name && buf_printf(x, "-m %s ", name)) ||
		     buf_add(x, rest.data, rest.len);
	buf_free(&rest);
	return rc ? -1 : 0;
}

int fw_match_block(struct fw_rule *r, const char *name, char *const *w,
		   size_t n, int filter, struct buf *x, struct err *e)
{
	unsigned bits;
	int inv;

	if (!strcmp(name, "tcp") || !strcmp(name, "udp"))
		return fw_match_tcpudp(r, name, w, n, filter, x, e);
	if (!strcmp(name, "comment")) {
		if (filter)
			return err_set(e, EXIT_USAGE,
				       "--filter: \"-m\" "
				       "comment: docker-fw's own match (its "
				       "comment marks the rules it made)");
		/* out of memory: not read, as fw_extra_set */
		if (n != 2 || strcmp(w[0], "--comment") || r->comment ||
		    fw_word_why(w[1], FW_COMMENT_MAX, 0))
			return -1;
		return fw_set_comment(r, w[1]);
	}
	if (!strcmp(name, "conntrack") && !r->ctstate) {
		inv = n == 3 && !strcmp(w[0], "!");
		bits = n == 2 + (size_t)inv && !strcmp(w[inv], "--ctstate") ?
			       fw_ctstate_parse(w[inv + 1]) :
			       0;
		if (bits) {
			r->ctstate = bits;
			if (inv)
				r->inv |= FW_INV_CT;
			return 0;
		}
	}
	if ((x->len && buf_adds(x, " ")) || buf_adds(x, "-m ") ||
	    fw_quote(name, x) || fw_words_add(x, w, n))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

int fw_extra_set(struct fw_rule *r, const struct buf *x)
{
	r->extra = x->len ? fw_intern(x->data, x->len) : NULL;
	return x->len && !r->extra ? -1 : 0;
}
