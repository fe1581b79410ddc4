/*
 * fw_filter.c - a --filter's words, untrusted: checked, as no other
 * input is, against what iptables could take for its own options, and
 * added to a rule spec's rule (fw_rule_filter): any condition for the
 * nft backend (iptables judges it, fw_nft_canon), the libiptc subset for
 * the iptc backend (filter_subset); and back (fw_filter_words).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dfw/fw.h"
#include "dfw/fw_words.h"

static int same_proto(const char *v, uint8_t proto)
{
	const char *name = fw_proto_name(proto);
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
		"append",	"delete",	 "check",	 "insert",
		"replace",	"list",		 "list-rules",	 "flush",
		"zero",		"new-chain",	 "delete-chain", "rename-chain",
		"policy",	"source",	 "destination",	 "protocol",
		"in-interface", "out-interface", "jump",	 "goto",
		"table",	"match",	 "numeric",	 "verbose",
		"wait",		"wait-interval", "exact",	 "fragments",
		"version",	"help",		 "line-numbers", "modprobe",
		"set-counters", "ipv4",		 "ipv6",
	};
	/* match options that are also such an abbreviation, exactly */
	static const char *const matches[] = { "set", "pol" };
	const char *name = w + 2;
	size_t i, len;

	if (w[0] == '-' && w[1] && w[1] != '-')
		return w[2] || !fw_opt_letter(w) || w[1] == 'M';
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
			return 1; /* an abbreviation: not in full */
	return !strncmp(name, "modprobe", len) && len;
}

/*
 * The words of a --filter into r (which holds the rule spec's part);
 * what is not modelled goes to x (started with r->extra). 0, or -1 with
 * e set (EXIT_USAGE naming the word).
 */
static int scan(struct fw_rule *r, char *const *w, size_t n, struct buf *x,
		struct err *e)
{
	size_t i, j;
	int inv, c;
	const char *v;
	char *dst;

	for (i = 0; i < n; i++) {
		const char *why = fw_word_why(w[i], FW_WORD_MAX, 0);
		char esc[80];

		if (why)
			return err_set(e, EXIT_USAGE,
				       "--filter: the word "
				       "\"%s\": %s",
				       str_escape(esc, sizeof(esc), w[i]), why);
	}
	for (i = 0; i < n; i++)
		if (smuggled(w[i]))
			return err_set(e, EXIT_USAGE,
				       "--filter: \"%.64s\": "
				       "not a condition iptables reads as "
				       "one",
				       w[i]);
	i = 0;
	while (i < n) {
		inv = !strcmp(w[i], "!");
		i += inv;
		if (i == n)
			return err_set(e, EXIT_USAGE,
				       "--filter: incomplete: "
				       "\"!\" at its end");
		c = fw_opt_letter(w[i]);
		v = i + 1 < n ? w[i + 1] : NULL;
		if (inv && (c == 'm' || c == 'j' || c == 'g' || c == 'p'))
			return err_set(e, EXIT_USAGE,
				       "--filter: \"!\" before "
				       "\"%s\"",
				       w[i]);
		switch (c) {
		case 's':
		case 'd':
			return err_set(e, EXIT_USAGE,
				       "--filter: \"%s\": the "
				       "addresses are --source and --dest",
				       w[i]);
		case 'i':
		case 'o':
			dst = c == 'i' ? r->in : r->out;
			/* fw_iface_ok: one that fits r, and may be written */
			if (!v)
				return err_set(e, EXIT_USAGE,
					       "--filter: %s "
					       "needs an interface name",
					       w[i]);
			if (!fw_iface_ok(v)) {
				char q[80];

				return err_set(e, EXIT_USAGE,
					       "--filter: %s "
					       "\"%s\": %s",
					       w[i], STR_ESC(q, v),
					       fw_iface_why(v));
			}
			if (*dst)
				return err_set(e, EXIT_USAGE,
					       "--filter: %s "
					       "given twice",
					       w[i]);
			memcpy(dst, v, strlen(v) + 1);
			if (inv)
				r->inv |= c == 'i' ? FW_INV_IN : FW_INV_OUT;
			i += 2;
			break;
		case 'p':
			if (!v || !same_proto(v, r->proto))
				return err_set(e, EXIT_USAGE,
					       "--filter: "
					       "\"%s\" %s: the protocol is "
					       "--protocol's (%s)",
					       w[i], v ? v : "",
					       fw_proto_name(r->proto) ?
						       fw_proto_name(r->proto) :
						       "any");
			i += 2;
			break;
		case 'f':
			if (fw_words_add(x, w + i - inv, 1 + (size_t)inv))
				return err_set(e, EXIT_RUNTIME,
					       "out of "
					       "memory");
			i++;
			break;
		case 'm':
			if (!v)
				return err_set(e, EXIT_USAGE,
					       "--filter: "
					       "\"%s\" needs a match name",
					       w[i]);
			j = fw_match_end(w, n, i);
			if (fw_match_block(r, v, w + i + 2, j - i - 2, 1, x, e))
				return -1;
			i = j;
			break;
		case 'j':
		case 'g':
			return err_set(e, EXIT_USAGE,
				       "--filter: \"%s\": a "
				       "target, not a condition",
				       w[i]);
		case 0:
			if (!strncmp(w[i], "--", 2)) {
				/* options of -p's match, as iptables takes
				 * them without -m tcp */
				for (j = i + 1; j < n && !fw_block_end(w, n, j);
				     j++)
					;
				if (fw_match_tcpudp(r, NULL, w + i - inv,
						    j - i + (size_t)inv, 1, x,
						    e))
					return -1;
				i = j;
				break;
			}
			/* fall through */
		default:
			return err_set(e, EXIT_USAGE,
				       "--filter: \"%s\": not a "
				       "condition",
				       w[i]);
		}
	}
	return 0;
}

#define FILTER_SUBSET \
	"the iptc backend (legacy iptables) supports [!] -i " \
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
		if (fw_opt_letter(o) == 'i' || fw_opt_letter(o) == 'o') {
			int in = fw_opt_letter(o) == 'i';
			char *dst = in ? r->in : r->out;

			if (!v)
				return err_set(e, EXIT_USAGE,
					       "--filter: %s "
					       "needs an interface name",
					       o);
			if (!fw_iface_ok(v)) {
				char q[80];

				return err_set(e, EXIT_USAGE,
					       "--filter: %s "
					       "\"%s\": %s",
					       o, STR_ESC(q, v),
					       fw_iface_why(v));
			}
			if (*dst)
				return err_set(e, EXIT_USAGE,
					       "--filter: %s "
					       "given twice",
					       o);
			memcpy(dst, v, strlen(v) + 1);
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
				return err_set(e, EXIT_USAGE,
					       "--filter: "
					       "--ctstate given twice");
			r->ctstate = v ? fw_ctstate_parse(v) : 0;
			if (!r->ctstate)
				return err_set(
					e, EXIT_USAGE,
					"--filter: "
					"--ctstate \"%s\": not a list of "
					"conntrack states (INVALID, NEW, "
					"ESTABLISHED, RELATED, UNTRACKED, "
					"SNAT, DNAT)",
					v ? v : "");
			if (inv)
				r->inv |= FW_INV_CT;
			i++;
		} else {
			goto bad;
		}
		inv = 0;
	}
	if (inv || (conntrack && !r->ctstate))
		return err_set(e, EXIT_USAGE,
			       "--filter: incomplete at its "
			       "end; " FILTER_SUBSET);
	return 0;
bad:
	if (!strcmp(w[i], "-m") && i + 1 < n)
		return err_set(e, EXIT_USAGE,
			       "--filter: \"-m\" %.64s is not "
			       "supported: " FILTER_SUBSET,
			       w[i + 1]);
	return err_set(e, EXIT_USAGE,
		       "--filter: \"%.64s\" is not supported: " FILTER_SUBSET,
		       w[i]);
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
		     scan(&t, w, n, &x, e) ||
		     (fw_extra_set(&t, &x) &&
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
	const char *p = fw_proto_name(r->proto);
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
		fw_ctstate_list(r->ctstate, list, sizeof(list));
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
