/*
 * fw_nft.c - the nf_tables backend: iptables-nft-save to read a table,
 * iptables-nft-restore --noflush to apply the changes in one transaction.
 * Both are exec'd directly (argv, no shell), found through PATH (or
 * xtables-nft-multi). The rule model is fw.h's; rule text is
 * iptables-save syntax both ways.
 *
 * With --noflush, a ":CHAIN - [0:0]" line for an existing chain empties
 * it: only new chains are declared. Deletions name the rule by its text
 * (-D CHAIN RULE), so a chain that moved under us cannot make us delete
 * another rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "dfw/fw.h"
#include "dfw/rulespec.h"

#define NFT_MAX_OUT (256 << 20)

/* The path of name in $PATH, or NULL. */
static int in_path(const char *name, char *out, size_t len)
{
	const char *p = getenv("PATH"), *c;
	struct stat st;

	if (!p || !*p)
		p = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
		    "/bin";
	for (; *p; p = *c ? c + 1 : c) {
		c = strchr(p, ':');
		if (!c)
			c = p + strlen(p);
		if ((size_t)snprintf(out, len, "%.*s/%s", (int)(c - p), p,
				     name) >= len)
			continue;
		if (!stat(out, &st) && S_ISREG(st.st_mode) &&
		    !access(out, X_OK))
			return 0;
	}
	return -1;
}

/*
 * argv for TOOL ("iptables-nft-save" or "-restore"): the tool itself, or
 * xtables-nft-multi TOOL. path gets the program. -1 if neither is found.
 */
static int tool(const char *name, char *path, size_t len, const char **argv)
{
	if (!in_path(name, path, len)) {
		argv[0] = name;
		return 1;
	}
	if (!in_path("xtables-nft-multi", path, len)) {
		argv[0] = "xtables-nft-multi";
		argv[1] = name;
		return 2;
	}
	return -1;
}

/* Runs path with argv, input on stdin; stdout and stderr into out and
 * errout. Returns the exit status (0-255, 128+signal) or -1 (errno). */
static int run(const char *path, const char *const *argv, const char *in,
	       size_t inlen, struct buf *out, struct buf *errout)
{
	int ip[2] = { -1, -1 }, op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	struct pollfd pf[3];
	int status, saved;
	size_t off = 0;
	pid_t pid;

	if (pipe2(ip, O_CLOEXEC) || pipe2(op, O_CLOEXEC) ||
	    pipe2(ep, O_CLOEXEC))
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (!pid) {
		dup2(ip[0], 0);
		dup2(op[1], 1);
		dup2(ep[1], 2);
		signal(SIGPIPE, SIG_DFL);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(ip[0]);
	close(op[1]);
	close(ep[1]);
	ip[0] = op[1] = ep[1] = -1;
	if (!inlen) {
		close(ip[1]);
		ip[1] = -1;
	}
	fcntl(ip[1], F_SETFL, O_NONBLOCK);
	while (op[0] >= 0 || ep[0] >= 0 || ip[1] >= 0) {
		int i, fds[3] = { ip[1], op[0], ep[0] };
		struct buf *to[3] = { NULL, out, errout };

		for (i = 0; i < 3; i++) {
			pf[i].fd = fds[i];
			pf[i].events = i ? POLLIN : POLLOUT;
			pf[i].revents = 0;
		}
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents) {
			ssize_t w = write(ip[1], in + off, inlen - off);

			if (w > 0)
				off += (size_t)w;
			if ((w < 0 && errno != EAGAIN) || off == inlen) {
				close(ip[1]);
				ip[1] = -1;
			}
		}
		for (i = 1; i < 3; i++) {
			ssize_t r;

			if (!pf[i].revents)
				continue;
			if (to[i]->len > NFT_MAX_OUT ||
			    buf_reserve(to[i], 65536)) {
				r = 0;	/* too much: stop reading */
			} else {
				r = read(fds[i], to[i]->data + to[i]->len,
					 to[i]->cap - to[i]->len - 1);
				if (r < 0 && errno == EINTR)
					continue;
			}
			if (r <= 0) {
				close(fds[i]);
				if (i == 1)
					op[0] = -1;
				else
					ep[0] = -1;
				continue;
			}
			to[i]->len += (size_t)r;
			to[i]->data[to[i]->len] = 0;
		}
	}
	if (ip[1] >= 0)
		close(ip[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	       128 + WTERMSIG(status);
fail:
	saved = errno;
	for (status = 0; status < 2; status++) {
		if (ip[status] >= 0)
			close(ip[status]);
		if (op[status] >= 0)
			close(op[status]);
		if (ep[status] >= 0)
			close(ep[status]);
	}
	errno = saved;
	return -1;
}

/* The first line of an error output, for messages. */
static const char *first_line(struct buf *b)
{
	char *nl;

	if (!b->data || !b->len)
		return "(no message)";
	nl = strchr(b->data, '\n');
	if (nl)
		*nl = 0;
	return b->data;
}

/* ---- iptables-save syntax -> struct fw_rule ------------------------- */

static int addr(const char *s, uint8_t a[16], uint8_t m[16])
{
	char tmp[64], *slash;
	uint64_t p = 32;
	struct in_addr in;

	snprintf(tmp, sizeof(tmp), "%s", s);
	slash = strchr(tmp, '/');
	if (slash) {
		*slash = 0;
		if (parse_uint(slash + 1, 0, 32, &p))
			return -1;
	}
	if (inet_pton(AF_INET, tmp, &in) != 1)
		return -1;
	fw_set_ip4(a, m, in.s_addr, (int)p);
	return 0;
}

/* Decodes the words of one "-A CHAIN ..." after the chain name. */
static void decode(char **w, size_t n, struct fw_rule *r)
{
	size_t i;
	int inv = 0;
	uint64_t port;

	memset(r, 0, sizeof(*r));
	r->family = AF_INET;
	for (i = 0; i < n; i++) {
		const char *o = w[i], *v = i + 1 < n ? w[i + 1] : NULL;

		if (!strcmp(o, "!")) {
			inv = 1;
			continue;
		}
		if (!v)
			goto foreign;
		if (!strcmp(o, "-s") || !strcmp(o, "-d")) {
			int s = o[1] == 's';

			if (addr(v, s ? r->src : r->dst, s ? r->smsk : r->dmsk))
				goto foreign;
			if (inv)
				r->inv |= s ? FW_INV_SRC : FW_INV_DST;
		} else if (!strcmp(o, "-i") || !strcmp(o, "-o")) {
			char *dst = o[1] == 'i' ? r->in : r->out;

			if (strlen(v) >= sizeof(r->in))
				goto foreign;
			strcpy(dst, v);
			if (inv)
				r->inv |= o[1] == 'i' ? FW_INV_IN : FW_INV_OUT;
		} else if (!strcmp(o, "-p") && !inv) {
			if (!strcmp(v, "tcp"))
				r->proto = IPPROTO_TCP;
			else if (!strcmp(v, "udp"))
				r->proto = IPPROTO_UDP;
			else
				goto foreign;
		} else if (!strcmp(o, "-m") && !inv &&
			   (!strcmp(v, "tcp") || !strcmp(v, "udp") ||
			    !strcmp(v, "conntrack") || !strcmp(v, "comment"))) {
			/* the options that follow say what it matches */
		} else if ((!strcmp(o, "--sport") || !strcmp(o, "--dport")) &&
			   !inv) {
			if (parse_uint(v, 1, 65535, &port))
				goto foreign;
			*(o[2] == 's' ? &r->sport : &r->dport) = (uint16_t)port;
		} else if (!strcmp(o, "--ctstate") && !r->ctstate) {
			r->ctstate = fw_ctstate_parse(v);
			if (!r->ctstate)
				goto foreign;
			if (inv)
				r->inv |= FW_INV_CT;
		} else if (!strcmp(o, "--comment") && !inv && !*r->comment) {
			if (strlen(v) >= sizeof(r->comment))
				goto foreign;
			strcpy(r->comment, v);
		} else if (!strcmp(o, "-j") && !inv && i + 2 == n) {
			if (strlen(v) >= sizeof(r->target))
				goto foreign;
			strcpy(r->target, v);
		} else {
			goto foreign;
		}
		inv = 0;
		i++;
	}
	if (*r->target)
		return;
foreign:
	r->foreign = 1;
	if (!*r->target) {
		for (i = 0; i + 1 < n; i++)
			if (!strcmp(w[i], "-j") || !strcmp(w[i], "-g"))
				snprintf(r->target, sizeof(r->target), "%s",
					 w[i + 1]);
	}
}

static struct fw_chain *chain_add(struct fw *f, const char *name,
				  const char *policy)
{
	struct fw_chain *c;
	void *p = realloc(f->chains, (f->nchains + 1) * sizeof(*c));

	if (!p)
		return NULL;
	f->chains = p;
	c = &f->chains[f->nchains++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->builtin = strcmp(policy, "-") != 0;
	if (c->builtin)
		snprintf(c->policy, sizeof(c->policy), "%s", policy);
	return c;
}

static int parse_save(struct fw *f, char *text, struct err *e)
{
	char *line, *save = NULL;
	struct strv w = { 0 };
	int in_table = 0;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (*line == '*') {
			in_table = !strcmp(line + 1, f->table);
			continue;
		}
		if (!in_table || *line == '#' || !strcmp(line, "COMMIT"))
			continue;
		strv_free(&w);
		if (rulespec_split(line, &w, NULL) < 2)
			goto bad;
		if (*line == ':') {
			if (!chain_add(f, w.v[0] + 1, w.v[1]))
				goto nomem;
		} else if (!strcmp(w.v[0], "-A")) {
			struct fw_chain *c = fw_chain(f, w.v[1]);
			void *p;

			if (!c)
				goto bad;
			p = realloc(c->rules, (c->n + 1) * sizeof(*c->rules));
			if (!p)
				goto nomem;
			c->rules = p;
			decode(w.v + 2, w.n - 2, &c->rules[c->n++]);
		} else {
			goto bad;
		}
	}
	strv_free(&w);
	return 0;
bad:
	strv_free(&w);
	return err_set(e, EXIT_RUNTIME, "iptables-nft-save: a line docker-fw "
		       "cannot read: %.200s", line);
nomem:
	strv_free(&w);
	return err_set(e, EXIT_RUNTIME, "out of memory");
}

static int read_table(struct fw *f, struct err *e)
{
	const char *argv[6] = { 0 };
	struct buf out = { 0 }, errout = { 0 };
	char path[4096];
	int k, rc;

	k = tool("iptables-nft-save", path, sizeof(path), argv);
	if (k < 0)
		return err_set(e, EXIT_RUNTIME, "the nf_tables backend needs "
			       "iptables-nft-save (or xtables-nft-multi) in "
			       "PATH: not found");
	argv[k] = "-t";
	argv[k + 1] = f->table;
	rc = run(path, argv, NULL, 0, &out, &errout);
	if (rc)
		err_set(e, EXIT_RUNTIME, "%s -t %s: %s", argv[0], f->table,
			rc < 0 ? strerror(errno) : first_line(&errout));
	else
		rc = parse_save(f, out.data ? out.data : (char *)"", e);
	buf_free(&out);
	buf_free(&errout);
	return rc ? -1 : 0;
}

static int commit(struct fw *f, const struct fw_change *c, size_t n,
		  struct err *e)
{
	const char *argv[6] = { 0 };
	struct buf in = { 0 }, out = { 0 }, errout = { 0 };
	char path[4096];
	size_t i;
	int k, rc = 0;

	k = tool("iptables-nft-restore", path, sizeof(path), argv);
	if (k < 0)
		return err_set(e, EXIT_RUNTIME, "the nf_tables backend needs "
			       "iptables-nft-restore (or xtables-nft-multi) "
			       "in PATH: not found");
	argv[k] = "--noflush";
	rc |= buf_printf(&in, "*%s\n", f->table);
	for (i = 0; i < n && !rc; i++) {
		switch (c[i].op) {
		case FW_NEW_CHAIN:
			rc |= buf_printf(&in, ":%s - [0:0]\n", c[i].chain);
			break;
		case FW_POLICY:
			rc |= buf_printf(&in, ":%s %s [0:0]\n", c[i].chain,
					 c[i].policy);
			break;
		case FW_DELETE:
			rc |= buf_printf(&in, "-D %s ", c[i].chain) ||
			      fw_rule_format(&c[i].rule, &in) ||
			      buf_adds(&in, "\n");
			break;
		case FW_INSERT:
			rc |= buf_printf(&in, "-I %s %u ", c[i].chain,
					 c[i].pos) ||
			      fw_rule_format(&c[i].rule, &in) ||
			      buf_adds(&in, "\n");
			break;
		}
	}
	rc |= buf_adds(&in, "COMMIT\n");
	if (rc) {
		buf_free(&in);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	rc = run(path, argv, in.data, in.len, &out, &errout);
	if (rc) {
		const char *msg = rc < 0 ? strerror(errno) :
				  first_line(&errout);

		/* a rule we delete vanished, a chain moved: redo the run */
		err_set(e, strstr(msg, "does a matching rule exist") ||
			   strstr(msg, "temporarily unavailable") ?
			   FW_AGAIN : EXIT_RUNTIME,
			"iptables-nft-restore --noflush: %s", msg);
	}
	buf_free(&in);
	buf_free(&out);
	buf_free(&errout);
	return rc ? -1 : 0;
}

static void close_table(struct fw *f)
{
	(void)f;
}

const struct fw_ops fw_nft_ops = {
	.name = "nft",
	.what = "iptables-nft (nf_tables)",
	.read = read_table,
	.commit = commit,
	.close = close_table,
};
