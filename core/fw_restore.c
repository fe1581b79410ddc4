/*
 * fw_restore.c - iptables-restore text, the one writer of it: a change
 * as a line (fw_change_format, for people: -v and dry runs) and a whole
 * transaction as iptables-nft-restore --noflush reads it
 * (fw_restore_text: the nft commit, the probe and its clean-up); and its
 * words read back (fw_split).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/fw.h"

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

/* ---- changes ---------------------------------------------------------- */

int fw_change_check(const struct fw_change *c, struct err *e)
{
	static const char *const ops[] = { "-N", "-I", "-D", "-P", "-X", "-A" };
	const char *op = (unsigned)c->op < sizeof(ops) / sizeof(*ops) ?
				 ops[c->op] :
				 "?";
	struct buf line = { 0 };
	char v[80];
	int rc;

	if (!fw_chain_name_ok(c->chain))
		return err_set(e, EXIT_RUNTIME,
			       "%s: the chain \"%s\": not a "
			       "chain name (1-%d printable characters, no "
			       "blank or quote)",
			       op, str_escape(v, sizeof(v), c->chain),
			       FW_CHAIN_MAX);
	if (c->op == FW_POLICY && strcmp(c->policy, "ACCEPT") &&
	    strcmp(c->policy, "DROP"))
		return err_set(e, EXIT_RUNTIME,
			       "-P %s: the policy \"%s\": "
			       "ACCEPT or DROP",
			       c->chain, str_escape(v, sizeof(v), c->policy));
	if ((c->op == FW_INSERT || c->op == FW_DELETE || c->op == FW_APPEND) &&
	    fw_rule_check(&c->rule, e))
		return err_wrap(e, "%s %s", op, c->chain);
	/* the values are checked, so only the length is left: a line with
	 * no extra text is far shorter than FW_LINE_MAX (a comment of 255
	 * bytes quoted is at most 512, each address with its mask 80, the
	 * rest 400), and is not formatted to know it (10,000s of
	 * changes) */
	if (!c->rule.extra ||
	    (c->op != FW_INSERT && c->op != FW_DELETE && c->op != FW_APPEND))
		return 0;
	if (strlen(c->rule.extra) + FW_LINE_FIXED <= FW_LINE_MAX)
		return 0;
	rc = fw_change_format(c, &line);
	if (!rc && line.len > FW_LINE_MAX)
		rc = err_set(e, EXIT_RUNTIME,
			     "%s %s: the rule `%.100s...` "
			     "is longer than a line of iptables-restore text "
			     "may be (%d bytes)",
			     op, c->chain, line.data, FW_LINE_MAX);
	else if (rc)
		rc = err_set(e, EXIT_RUNTIME, "%s %s: %s", op, c->chain,
			     strerror(errno));
	buf_free(&line);
	return rc;
}

/*
 * The one writer of a change as restore text (fw.h): for people (nft 0:
 * positions, "-D" with the rule as a comment) or for iptables-nft-restore
 * (nft 1: "-D" by the rule's text). Appends to out; -1 with errno EINVAL
 * for a value that may not be written, or ENOMEM.
 */
static int change_line(const struct fw_change *c, int nft, struct buf *out)
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
		return buf_printf(out, nft ? ":%s %s [0:0]" : ":%s %s",
				  c->chain, c->policy);
	case FW_DEL_CHAIN:
		return nft ? buf_printf(out, "-F %s\n-X %s", c->chain,
					c->chain) :
			     buf_printf(out, "-X %s", c->chain);
	case FW_INSERT:
		if (buf_printf(out, "-I %s %u ", c->chain, c->pos))
			return -1;
		return fw_rule_format(&c->rule, out);
	case FW_APPEND:
		if (buf_printf(out, "-A %s ", c->chain))
			return -1;
		return fw_rule_format(&c->rule, out);
	case FW_DELETE:
		if (nft ? buf_printf(out, "-D %s ", c->chain) :
			  buf_printf(out, "-D %s %u  # ", c->chain, c->pos))
			return -1;
		return fw_rule_format(&c->rule, out);
	}
	errno = EINVAL;
	return -1;
}

int fw_change_format(const struct fw_change *c, struct buf *out)
{
	return change_line(c, 0, out);
}

int fw_restore_lines(const struct fw_change *c, size_t n, struct buf *out,
		     struct err *e)
{
	size_t i, start = out->len;
	int rc = 0;

	/* every value is checked before any line is written: one that
	 * could end a line or quote the rest of it is never passed on */
	for (i = 0; i < n; i++)
		if (fw_change_check(&c[i], e))
			return err_wrap(e, "nothing changed");
	for (i = 0; i < n && !rc; i++)
		rc = change_line(&c[i], 1, out) || buf_adds(out, "\n");
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = 0;
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	return 0;
}

int fw_restore_text(const char *table, const struct fw_change *c, size_t n,
		    struct buf *out, struct err *e)
{
	size_t start = out->len;
	int rc;

	rc = buf_printf(out, "*%s\n", table) ?
		     err_set(e, EXIT_RUNTIME, "out of memory") :
		     fw_restore_lines(c, n, out, e);
	if (!rc && buf_adds(out, "COMMIT\n"))
		rc = err_set(e, EXIT_RUNTIME, "out of memory");
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = 0;
	}
	return rc;
}
