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
 * another rule. iptables-nft finds the rule to delete by comparing it,
 * after a trip through nf_tables expressions, with each rule as it would
 * print it: text that prints the same deletes it.
 *
 * Tools follow the family: iptables-nft-* for AF_INET, ip6tables-nft-*
 * for AF_INET6.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include "dfw/fw.h"

/* The path of name in env's PATH into out: 0, or -1 when not found. */
static int in_path(const struct fw_env *env, const char *name, char *out,
		   size_t len)
{
	const char *p = env && env->path && *env->path ? env->path :
							 FW_NFT_PATH,
		   *c;
	struct stat st;

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

/* "iptables-nft-save" and the like for family; what is e.g. "-save". */
static const char *tool_name(int family, const char *what)
{
	static char name[40];

	snprintf(name, sizeof(name), "%s-nft%s",
		 family == AF_INET6 ? "ip6tables" : "iptables", what);
	return name;
}

/*
 * argv for the tool (family, what as for tool_name): the tool itself, or
 * xtables-nft-multi TOOL. path gets the program. Returns the number of
 * argv slots used, or -1 (e set, naming the tool) if neither is found.
 */
static int tool(const struct fw_env *env, int family, const char *what,
		char *path, size_t len, const char **argv, char *name,
		size_t nlen, struct err *e)
{
	snprintf(name, nlen, "%s", tool_name(family, what));
	argv[0] = name;
	if (!in_path(env, name, path, len))
		return 1;
	if (!in_path(env, "xtables-nft-multi", path, len)) {
		argv[0] = "xtables-nft-multi";
		argv[1] = name;
		return 2;
	}
	return err_set(e, EXIT_RUNTIME,
		       "the nf_tables backend needs %s (or "
		       "xtables-nft-multi) in PATH: not found",
		       name);
}

/* A child process: a program (path, argv: exec'd, no shell), or fn(arg)
 * run in a fork of this process (its return is the exit status). */
struct child {
	const char *path;
	const char *const *argv;
	int (*fn)(void *arg);
	void *arg;
};

/*
 * The source of a child's stdin when it is written as it goes (#18: the
 * commit's text of 10,000s of rules is never held whole): fill appends
 * the next piece to b, which the runner empties before each call; 1:
 * more to come (b may be empty), 0: all written, -1: stop. On a stop
 * the child is killed before its stdin is closed, so that it never
 * reads an end it could take for a whole input.
 */
struct source {
	int (*fill)(void *arg, struct buf *b);
	void *arg;
};

/*
 * Starts c's program with fd[0..3) as its stdin, stdout and stderr and
 * SIGPIPE at its default (docker-fw ignores it): by posix_spawn, which
 * musl runs as a vfork (a clone sharing this process's memory until the
 * exec), not a fork: this process's page tables are not copied and
 * write-protected for a child that only execs, so that neither pays
 * for the megabytes of a snapshot read (#18: the copy, its TLB flush,
 * and a copy-on-write fault afterwards for each page written again).
 * 0 with *pid set, or an errno value (one of the exec too).
 */
static int exec_child(const struct child *c, const int fd[3], pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def;
	int i, rc;

	rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		return rc;
	rc = posix_spawnattr_init(&at);
	if (rc) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	for (i = 0; !rc && i < 3; i++)
		rc = posix_spawn_file_actions_adddup2(&fa, fd[i], i);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&at, &def);
	if (!rc)
		rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	if (!rc)
		rc = posix_spawn(pid, c->path, &fa, &at, (char *const *)c->argv,
				 environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* A child spawn_start started: its pid, and this side's ends of its
 * stdin, stdout and stderr (-1: closed). */
struct proc {
	pid_t pid;
	int in, out, err;
};

/* Starts c with pipes on its stdin (closed at once without input),
 * stdout and stderr, into *p. 0, or -1 (errno; nothing left open). */
static int spawn_start(const struct child *c, int input, struct proc *p)
{
	int ip[2] = { -1, -1 }, op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int i, rc, saved;
	pid_t pid;

	if (pipe2(ip, O_CLOEXEC) || pipe2(op, O_CLOEXEC) ||
	    pipe2(ep, O_CLOEXEC))
		goto fail;
	if (!c->fn) {
		const int fd[3] = { ip[0], op[1], ep[1] };

		rc = exec_child(c, fd, &pid);
		if (rc) {
			errno = rc;
			goto fail;
		}
	} else {
		/* a function of this process's: a fork */
		pid = fork();
		if (pid < 0)
			goto fail;
		if (!pid) {
			dup2(ip[0], 0);
			dup2(op[1], 1);
			dup2(ep[1], 2);
			_exit(c->fn(c->arg));
		}
	}
	close(ip[0]);
	close(op[1]);
	close(ep[1]);
	if (!input) {
		close(ip[1]);
		ip[1] = -1;
	} else {
		fcntl(ip[1], F_SETFL, O_NONBLOCK);
	}
	p->pid = pid;
	p->in = ip[1];
	p->out = op[0];
	p->err = ep[0];
	return 0;
fail:
	saved = errno;
	for (i = 0; i < 2; i++) {
		if (ip[i] >= 0)
			close(ip[i]);
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	errno = saved;
	return -1;
}

/*
 * The one runner of child processes (p from spawn_start): input on its
 * stdin (src's pieces, or in[0..inlen) when src is NULL), its stdout and
 * stderr into out and errout; p's pipes closed and the child reaped.
 * Returns the exit status (0-255, 128+signal) or -1 (errno; EFBIG:
 * stdout, or stderr, went over FW_NFT_MAX_OUTPUT, and the child was
 * ended; ECANCELED: src said stop, and the child was ended; ENOMEM). Of
 * stderr, the first FW_NFT_MAX_ERR bytes are kept and the rest read and
 * dropped.
 */
static int spawn_wait(struct proc *p, const char *in, size_t inlen,
		      const struct source *src, struct buf *out,
		      struct buf *errout)
{
	int ip[2] = { -1, p->in }, op[2] = { p->out, -1 },
	    ep[2] = { p->err, -1 };
	struct buf chunk = { 0 };
	struct pollfd pf[3];
	int status, big = 0;
	size_t off = 0, dropped = 0;
	char drop[4096];
	pid_t pid = p->pid;

	while (!big && (op[0] >= 0 || ep[0] >= 0 || ip[1] >= 0)) {
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
		if (pf[0].revents && src && off == chunk.len) {
			/* the next piece; an empty one is asked again */
			int more;

			chunk.len = 0;
			off = 0;
			more = src->fill(src->arg, &chunk);
			if (more < 0) {
				/* nothing more is written: the child is
				 * killed below, its stdin still open */
				big = ECANCELED;
				continue;
			}
			if (!more && !chunk.len) {
				close(ip[1]);
				ip[1] = -1;
				continue;
			}
			in = chunk.data;
			inlen = chunk.len;
		}
		if (pf[0].revents && off < inlen) {
			ssize_t w = write(ip[1], in + off, inlen - off);

			if (w > 0)
				off += (size_t)w;
			if ((w < 0 && errno != EAGAIN) ||
			    (!src && off == inlen)) {
				close(ip[1]);
				ip[1] = -1;
			}
		}
		for (i = 1; i < 3 && !big; i++) {
			size_t keep = i == 1 ? FW_NFT_MAX_OUTPUT :
					       FW_NFT_MAX_ERR;
			ssize_t r;

			if (!pf[i].revents)
				continue;
			if (to[i]->len >= keep) {
				/* stdout: over the cap; stderr: the rest is
				 * dropped, up to the same cap */
				r = read(fds[i], drop, sizeof(drop));
				if (r > 0 &&
				    (i == 1 || (dropped += (size_t)r) >
						       FW_NFT_MAX_OUTPUT))
					big = EFBIG;
				if (r > 0 || (r < 0 && errno == EINTR))
					continue;
			} else if (buf_reserve(to[i], 65536)) {
				big = ENOMEM;
				continue;
			} else {
				size_t room = to[i]->cap - to[i]->len - 1;

				if (room > keep - to[i]->len)
					room = keep - to[i]->len;
				r = read(fds[i], to[i]->data + to[i]->len,
					 room);
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
	buf_free(&chunk);
	/* killed before its stdin closes: a child whose input was cut
	 * short never sees an end of it */
	if (big) /* its output was not all read, or src stopped */
		kill(pid, SIGKILL);
	if (ip[1] >= 0)
		close(ip[1]);
	if (op[0] >= 0)
		close(op[0]);
	if (ep[0] >= 0)
		close(ep[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (big) {
		errno = big;
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* c started and run (spawn_wait), with input when there is some: as
 * spawn_wait, and -1 with the program's errno when it could not be
 * started. */
static int spawn(const struct child *c, const char *in, size_t inlen,
		 const struct source *src, struct buf *out, struct buf *errout)
{
	struct proc p;

	if (spawn_start(c, inlen || src, &p))
		return -1;
	return spawn_wait(&p, in, inlen, src, out, errout);
}

/* spawn of the program path with argv. */
static int run(const char *path, const char *const *argv, const char *in,
	       size_t inlen, struct buf *out, struct buf *errout)
{
	const struct child c = { path, argv, NULL, NULL };

	return spawn(&c, in, inlen, NULL, out, errout);
}

/* The first line of an error output, for messages; when it is only a
 * head ("iptables-nft-restore v1.8.9 (nf_tables): "), the next line goes
 * with it: iptables puts the reason there. */
static const char *first_line(struct buf *b)
{
	char *nl, *next;
	size_t len;

	if (!b->data || !b->len)
		return "(no message)";
	nl = strchr(b->data, '\n');
	if (!nl)
		return b->data;
	len = (size_t)(nl - b->data);
	if (len >= 2 && !strncmp(nl - 2, ": ", 2) && nl[1]) {
		next = strchr(nl + 1, '\n');
		if (next)
			*next = 0;
		*nl = ' ';
	} else {
		*nl = 0;
	}
	return b->data;
}

/* docker-fw's own chains: every line of them must be read. */
static int ours(const char *chain)
{
	return !strcmp(chain, FW_CHAIN_FORWARD) ||
	       !strcmp(chain, FW_CHAIN_INPUT);
}

/* The error for rule k (1-based) of chain, text[0..len) (escaped). */
static int unreadable(const struct fw *f, const char *chain, size_t k,
		      const char *text, size_t len, struct err *e)
{
	char *t = strndup(text, len), esc[240], save[40];

	if (!t)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	snprintf(save, sizeof(save), "%s", tool_name(f->family, "-save"));
	err_set(e, EXIT_RUNTIME,
		"%s: rule %zu of %s, docker-fw's own chain, "
		"is a line docker-fw cannot read: \"%s\" (delete it: %s -D "
		"%s %zu)",
		save, k, chain, str_escape(esc, sizeof(esc), t),
		tool_name(f->family, ""), chain, k);
	free(t);
	return -1;
}

static int ctl_in(const char *p, size_t len)
{
	while (len--)
		if ((unsigned char)*p < 0x20 || *p++ == 0x7f)
			return 1;
	return 0;
}

/*
 * iptables-nft-save output (text[0..len), NUL-terminated) into f->chains;
 * a NUL byte before its end is an error (found where the reading stops,
 * not by another pass over megabytes: #18). A
 * rule docker-fw cannot read - a value spanning lines, a control
 * character, a quote never closed, a line that is no rule's - is kept
 * as a foreign rule where it stands, so that positions stay right; in
 * docker-fw's own chains it is an error quoting it. Chains named longer
 * than struct fw_chain holds are left out with their rules: docker-fw
 * names none of them.
 */
static int parse_save(struct fw *f, const char *text, size_t tlen,
		      struct err *e)
{
	struct fw_words w = { 0 }; /* reused: no allocation per word */
	const char *line = text, *p;
	size_t len, used, nrules = 0, last = (size_t)-1;
	int in_table = 0, rc;

	for (; *line; line += len + (line[len] == '\n')) {
		len = strcspn(line, "\n");
		if (*line == '*') {
			in_table = len == strlen(f->table) + 1 &&
				   !strncmp(line + 1, f->table, len - 1);
			continue;
		}
		if (!strncmp(line, "# Table `", 9) &&
		    memmem(line, len, "incompatible", 12)) {
			rc = err_set(e, EXIT_RUNTIME,
				     "%s: the nf_tables %s "
				     "table holds rules iptables-nft cannot "
				     "show (made with the nft tool?): "
				     "\"%.*s\"",
				     tool_name(f->family, "-save"), f->table,
				     (int)(len < 120 ? len : 120), line);
			goto out;
		}
		if (!in_table || !len || *line == '#' ||
		    (len == 6 && !strncmp(line, "COMMIT", 6)))
			continue;
		if (*line == ':') {
			size_t nl = strcspn(line + 1, " \t\n");
			char name[32], pol[32];

			p = line + 1 + nl;
			p += strspn(p, " \t");
			used = strcspn(p, " \t\n");
			if (nl >= sizeof(name) || !nl || !used ||
			    used >= sizeof(pol) || ctl_in(line, len))
				continue; /* a chain none of ours is */
			memcpy(name, line + 1, nl);
			name[nl] = 0;
			memcpy(pol, p, used);
			pol[used] = 0;
			if (!fw_chain(f, name) && !fw_chain_add(f, name, pol))
				goto nomem;
			last = (size_t)-1;
			continue;
		}
		if (strncmp(line, "-A ", 3)) {
			/* no rule's start: the rest of the rule before it,
			 * which a raw value with a newline cut */
			struct fw_chain *c = last < f->nchains ?
						     &f->chains[last] :
						     NULL;

			if (c && ours(c->name)) {
				rc = unreadable(f, c->name, c->n, line, len, e);
				goto out;
			}
			if (c && c->n)
				c->rules[c->n - 1].foreign = 1;
			continue;
		}
		rc = fw_split_save_words(line, &w, &used);
		if (rc < 0 && errno != EINVAL)
			goto nomem;
		if (rc < 0) /* a quote never closed: this line alone */
			used = len + (line[len] == '\n');
		{
			size_t cl = strcspn(line + 3, " \t\n");
			char name[32];
			struct fw_chain *c;
			struct fw_rule *r;
			int bad = rc < 3 ||
				  ctl_in(line, used - (used &&
						       line[used - 1] == '\n'));

			/* no printf: once a rule of 10,000s */
			memcpy(name, line + 3, cl < sizeof(name) ? cl : 0);
			name[cl < sizeof(name) ? cl : 0] = 0;
			c = cl < sizeof(name) ? fw_chain(f, name) : NULL;
			len = used - (used && line[used - 1] == '\n');
			if (!c) {
				last = (size_t)-1;
				continue; /* a chain left out */
			}
			if (++nrules > FW_MAX_RULES) {
				rc = err_set(e, EXIT_RUNTIME,
					     "%s -t %s: more "
					     "than %d rules (docker-fw's "
					     "limit)",
					     tool_name(f->family, "-save"),
					     f->table, FW_MAX_RULES);
				goto out;
			}
			if (bad && ours(c->name)) {
				rc = unreadable(f, c->name, c->n + 1, line, len,
						e);
				goto out;
			}
			r = fw_chain_push(c);
			if (!r)
				goto nomem;
			last = (size_t)(c - f->chains);
			if (!bad) {
				fw_rule_decode(w.v + 2, w.n - 2, f->family, r);
				continue;
			}
			memset(r, 0, sizeof(*r));
			r->family = f->family;
			r->foreign = 1;
		}
	}
	rc = line == text + tlen ?
		     0 :
		     err_set(e, EXIT_RUNTIME,
			     "%s -t %s: a NUL byte in its output",
			     tool_name(f->family, "-save"), f->table);
	goto out;
nomem:
	rc = err_set(e, EXIT_RUNTIME, "out of memory");
out:
	fw_words_free(&w);
	return rc;
}

/* The message of a run of a tool that failed (rc from run). */
static const char *failed(int rc, struct buf *errout)
{
	static char msg[80];

	if (rc >= 0)
		return first_line(errout);
	if (errno == EFBIG) {
		snprintf(msg, sizeof(msg),
			 "more than %d MiB of output "
			 "(docker-fw's limit)",
			 FW_NFT_MAX_OUTPUT >> 20);
		return msg;
	}
	return strerror(errno);
}

/* The value of the first attribute of type in a message's attributes
 * (a[0..len)): 0 with *val and *vlen set, -1 when they do not parse or
 * hold none. */
static int nla_find(const char *a, size_t len, int type, const char **val,
		    size_t *vlen)
{
	const size_t hdr = NLA_HDRLEN;
	struct nlattr at;
	size_t alen;

	while (len >= hdr) {
		memcpy(&at, a, sizeof(at));
		alen = at.nla_len;
		if (alen < hdr || alen > len)
			return -1;
		if ((at.nla_type & NLA_TYPE_MASK) == type) {
			*val = a + hdr;
			*vlen = alen - hdr;
			return 0;
		}
		alen = NLA_ALIGN(alen);
		if (alen >= len)
			return -1;
		len -= alen;
		a += alen;
	}
	return -1;
}

/* Whether one NFT_MSG_NEWTABLE answer (its payload after the nfgenmsg,
 * len bytes of attributes) names table: 1, 0, or -1 when its attributes
 * do not parse or name no table. */
static int names_table(const char *a, size_t len, const char *table)
{
	const size_t want = strlen(table) + 1;
	const char *v;
	size_t vlen;

	if (nla_find(a, len, NFTA_TABLE_NAME, &v, &vlen))
		return -1;
	return vlen == want && !memcmp(v, table, want);
}

int fw_nft_has_table(int family, const char *table)
{
	struct {
		struct nlmsghdr h;
		struct nfgenmsg g;
	} req = { { sizeof(req), NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE,
		    NLM_F_REQUEST | NLM_F_DUMP, 1, 0 },
		  { family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4,
		    NFNETLINK_V0, 0 } };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	const size_t head = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(req.g)));
	/* a dump's datagrams are NLMSG_GOODSIZE (a page, at most 8 KiB)
	 * or the largest buffer a recv offered (the kernel's
	 * netlink_dump): this one; a longer one is not read (-1) */
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, rc = -1, found = 0, one, done;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return -1;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != (ssize_t)sizeof(req))
		goto out;
	for (;;) {
		struct nlmsghdr *h;
		size_t off, step;

		do
			n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		while (n < 0 && errno == EINTR);
		if (n <= 0 || (size_t)n > sizeof(buf))
			goto out;
		/* NLMSG_OK and NLMSG_NEXT without their int length */
		for (off = 0; (size_t)n - off >= sizeof(*h); off += step) {
			h = (struct nlmsghdr *)(buf + off);
			if (h->nlmsg_len < sizeof(*h) ||
			    h->nlmsg_len > (size_t)n - off)
				goto out;
			step = NLMSG_ALIGN(h->nlmsg_len);
			if (step > (size_t)n - off)
				step = (size_t)n - off;
			if (h->nlmsg_seq != 1)
				continue;
			/* a dump a change cut through (the kernel may say
			 * so on its NLMSG_DONE alone), an error (or an ack,
			 * which a dump has not): not told */
			if (h->nlmsg_flags & NLM_F_DUMP_INTR ||
			    h->nlmsg_type == NLMSG_ERROR)
				goto out;
			if (h->nlmsg_type == NLMSG_DONE) {
				/* its payload: the dump's errno, 0 or < 0 */
				if (h->nlmsg_len >=
				    NLMSG_LENGTH(sizeof(done))) {
					memcpy(&done, NLMSG_DATA(h),
					       sizeof(done));
					if (done < 0)
						goto out;
				}
				rc = found;
				goto out;
			}
			if (h->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 |
					      NFT_MSG_NEWTABLE) ||
			    h->nlmsg_len < head)
				goto out;
			one = names_table((char *)h + head, h->nlmsg_len - head,
					  table);
			if (one < 0)
				goto out;
			found |= one;
		}
	}
out:
	close(fd);
	return rc;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* Linux 5.14 */
#endif

/* The namespace's identity: its cookie, else its inode. */
static int netns_id(int fd, char out[40])
{
	uint64_t cookie;
	socklen_t len = sizeof(cookie);
	struct stat st;

	if (!getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) &&
	    len == sizeof(cookie)) {
		snprintf(out, 40, "c%llx", (unsigned long long)cookie);
		return 0;
	}
	if (errno != ENOPROTOOPT || stat("/proc/self/ns/net", &st))
		return -1;
	snprintf(out, 40, "i%llx:%llx", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	return 0;
}

int fw_nft_generation(uint32_t *gen, char netns[40])
{
	struct {
		struct nlmsghdr h;
		struct nfgenmsg g;
	} req = { { sizeof(req), NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETGEN,
		    NLM_F_REQUEST, 1, 0 },
		  { AF_UNSPEC, NFNETLINK_V0, 0 } };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	const size_t head = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(req.g)));
	char buf[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr h;
	const char *val;
	size_t vlen;
	uint32_t v;
	int fd, rc = -1, no;
	ssize_t n;

	*gen = 0;
	*netns = 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return errno == EPROTONOSUPPORT ? 1 : -1; /* no nfnetlink */
	if (netns_id(fd, netns) ||
	    sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != (ssize_t)sizeof(req))
		goto out;
	do
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < (ssize_t)sizeof(h) || (size_t)n > sizeof(buf))
		goto out;
	memcpy(&h, buf, sizeof(h));
	if (h.nlmsg_len > (size_t)n || h.nlmsg_seq != 1)
		goto out;
	/* no nf_tables subsystem, even after the kernel tried to load it */
	if (h.nlmsg_type == NLMSG_ERROR &&
	    h.nlmsg_len >= NLMSG_LENGTH(sizeof(no))) {
		memcpy(&no, buf + NLMSG_HDRLEN, sizeof(no));
		rc = no == -EOPNOTSUPP ? 1 : -1;
		goto out;
	}
	/* one answer, NFT_MSG_NEWGEN: NFTA_GEN_ID, big-endian */
	if (h.nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWGEN) ||
	    h.nlmsg_len < head ||
	    nla_find(buf + head, h.nlmsg_len - head, NFTA_GEN_ID, &val,
		     &vlen) ||
	    vlen != sizeof(v))
		goto out;
	memcpy(&v, val, sizeof(v));
	*gen = ntohl(v);
	rc = 0;
out:
	close(fd);
	return rc;
}

/* The read fw_nft_prefetch started: one at a time. */
static struct {
	int on;
	int family;
	char table[32];
	struct proc p;
} pre;

int fw_nft_prefetch(const struct fw_env *env, int family, const char *table)
{
	const char *argv[6] = { 0 };
	char path[4096], name[40];
	struct child c = { path, argv, NULL, NULL };
	int k;

	fw_nft_prefetch_drop();
	k = tool(env, family, "-save", path, sizeof(path), argv, name,
		 sizeof(name), NULL);
	if (k < 0 || strlen(table) >= sizeof(pre.table))
		return -1;
	argv[k] = "-t";
	argv[k + 1] = table;
	if (spawn_start(&c, 0, &pre.p))
		return -1;
	pre.on = 1;
	pre.family = family;
	snprintf(pre.table, sizeof(pre.table), "%s", table);
	return 0;
}

void fw_nft_prefetch_drop(void)
{
	int status;

	if (!pre.on)
		return;
	pre.on = 0;
	kill(pre.p.pid, SIGKILL);
	close(pre.p.out);
	close(pre.p.err);
	while (waitpid(pre.p.pid, &status, 0) < 0 && errno == EINTR)
		;
}

static int read_table(struct fw *f, struct err *e)
{
	const char *argv[6] = { 0 };
	struct buf out = { 0 }, errout = { 0 };
	char path[4096], name[40];
	int k, rc;

	k = tool(f->env, f->family, "-save", path, sizeof(path), argv, name,
		 sizeof(name), e);
	if (k < 0) {
		fw_nft_prefetch_drop();
		return -1;
	}
	argv[k] = "-t";
	argv[k + 1] = f->table;
	if (pre.on && pre.family == f->family && !strcmp(pre.table, f->table)) {
		/* started already: its output */
		pre.on = 0;
		rc = spawn_wait(&pre.p, NULL, 0, NULL, &out, &errout);
	} else {
		rc = run(path, argv, NULL, 0, &out, &errout);
	}
	if (rc)
		err_set(e, EXIT_RUNTIME, "%s -t %s: %s", name, f->table,
			failed(rc, &errout));
	else
		rc = parse_save(f, out.data ? out.data : "", out.len, e);
	buf_free(&out);
	buf_free(&errout);
	return rc ? -1 : 0;
}

/* ---- the commit's text: linear in the rules ------------------------- */

/*
 * What iptables-nft-restore 1.8.9 pays (measured, 2 cores; units of
 * 0.1 us): `-D CHAIN RULE` looks for its rule from the chain's top,
 * turning each rule it passes back into iptables' form to compare it
 * (about 24 a rule), `-I CHAIN N` walks N rules (about 0.2 each), a rule
 * written costs about 300, a deletion found at once about 550. The
 * planner deletes bottom up and inserts at positions, so that a run
 * that deletes or inserts thousands of rules behind others is quadratic
 * there (8,000 deleted: 51 s). Two remedies, chosen per chain:
 * - deletions of one chain in a row are written top down, each then
 *   found after the rules kept above it only;
 * - a chain of docker-fw's own whose changes would still cost more than
 *   twice writing it whole is written whole: ":CHAIN - [0:0]" (with
 *   --noflush it empties an existing chain) and its rules as the plan
 *   leaves them (f->planned), in the same transaction, so that no
 *   packet sees it empty. Only when every rule of it is one docker-fw
 *   reads and writes back (none foreign). Counters of its rules restart.
 */
#define COST_SCAN 24
#define COST_WALK_DIV 5
#define COST_WRITE 300
#define COST_FOUND 550

static int by_pos(const void *a, const void *b)
{
	const struct fw_change *x = *(const struct fw_change *const *)a;
	const struct fw_change *y = *(const struct fw_change *const *)b;

	return x->pos != y->pos ? (x->pos < y->pos ? -1 : 1) :
	       x < y		? -1 :
				  x > y;
}

static int by_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* Whether chain ch (of f) is to be written whole instead of its changes
 * in c[0..n): 1, 0, or -1 (ENOMEM). */
static int whole(const struct fw *f, const struct fw_chain *ch,
		 const struct fw_change *c, size_t n)
{
	uint64_t keep = 0, rewrite;
	unsigned *del;
	size_t i, k = 0;

	if (!f->planned || ch->shed || !ours(ch->name))
		return 0;
	for (i = 0; i < ch->n; i++)
		if (ch->rules[i].foreign)
			return 0;
	del = malloc((n + 1) * sizeof(*del));
	if (!del)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(c[i].chain, ch->name))
			continue;
		if (c[i].op == FW_DELETE)
			del[k++] = c[i].pos;
		else if (c[i].op == FW_INSERT)
			keep += COST_WRITE + c[i].pos / COST_WALK_DIV;
		else if (c[i].op == FW_APPEND)
			keep += COST_WRITE;
	}
	/* deleted top down, the k-th (from 0) at original position p has
	 * p - 1 - k rules kept above it */
	qsort(del, k, sizeof(*del), by_unsigned);
	for (i = 0; i < k; i++)
		keep += COST_FOUND +
			(del[i] > i + 1 ? del[i] - i - 1 : 0) * COST_SCAN;
	free(del);
	rewrite = (uint64_t)ch->n * COST_WRITE + 1000;
	return keep > 2 * rewrite;
}

/*
 * The commit's text, made a piece at a time (#18: iptables-nft-restore
 * reads it from a pipe as it is written, so that the whole text of
 * 10,000s of rules is never held at once): fw_restore_text's lines,
 * each row of deletions of one chain top down, the chains whole()
 * picks written whole where their first change stood.
 */
struct text_gen {
	const struct fw *f;
	const struct fw_change *c;
	size_t n;
	const struct fw_chain *w[2]; /* the chains written whole */
	size_t nw;
	int done[2];		      /* w[k] is written (or being) */
	const struct fw_change **run; /* a row of deletions, sorted */
	size_t i;		      /* the next change */
	const struct fw_chain *wc;    /* a chain being written whole */
	size_t wi;		      /* its next line: 0 the head, else rule
				     * wi - 1 */
	size_t rk, rn;		      /* run[rk..rn): deletions to write */
	int state;		      /* 0 "*TABLE" next, 1 changes, 2 ended */
};

/* Sets g up for c[0..n) on f: 0, or -1 with e set (out of memory). */
static int gen_init(struct text_gen *g, const struct fw *f,
		    const struct fw_change *c, size_t n, struct err *e)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	g->f = f;
	g->c = c;
	g->n = n;
	for (i = 0; i < f->nchains && g->nw < 2; i++) {
		int r = whole(f, &f->chains[i], c, n);

		if (r < 0)
			return err_set(e, EXIT_RUNTIME, "out of memory");
		if (r)
			g->w[g->nw++] = &f->chains[i];
	}
	g->run = malloc((n + 1) * sizeof(*g->run));
	if (!g->run)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

static void gen_free(struct text_gen *g)
{
	free(g->run);
	g->run = NULL;
}

/* The next line of g's text appended to out. 1: a line was written, 0:
 * the text is all written ("COMMIT" was its last line), -1 with e set
 * (a value that may not be written: "nothing changed: ..."; ENOMEM). */
static int gen_line(struct text_gen *g, struct buf *out, struct err *e)
{
	const struct fw_change *c = g->c;
	struct fw_change one;
	size_t j, k;

	for (;;) {
		if (g->state == 0) {
			g->state = 1;
			return buf_printf(out, "*%s\n", g->f->table) ?
				       err_set(e, EXIT_RUNTIME,
					       "out of memory") :
				       1;
		}
		if (g->state == 2)
			return 0;
		if (g->wc) {
			/* emptied (declared), its rules appended */
			memset(&one, 0, sizeof(one));
			one.op = g->wi ? FW_APPEND : FW_NEW_CHAIN;
			snprintf(one.chain, sizeof(one.chain), "%s",
				 g->wc->name);
			if (g->wi)
				one.rule = g->wc->rules[g->wi - 1];
			if (++g->wi > g->wc->n)
				g->wc = NULL;
			return fw_restore_lines(&one, 1, out, e) ? -1 : 1;
		}
		if (g->rk < g->rn)
			return fw_restore_lines(g->run[g->rk++], 1, out, e) ?
				       -1 :
				       1;
		if (g->i >= g->n) {
			g->state = 2;
			return buf_adds(out, "COMMIT\n") ?
				       err_set(e, EXIT_RUNTIME,
					       "out of memory") :
				       1;
		}
		j = g->i + 1;
		for (k = 0; k < g->nw; k++)
			if (!strcmp(c[g->i].chain, g->w[k]->name))
				break;
		if (k < g->nw && c[g->i].op != FW_POLICY &&
		    c[g->i].op != FW_DEL_CHAIN) {
			g->i = j;
			if (!g->done[k]) {
				g->done[k] = 1;
				g->wc = g->w[k];
				g->wi = 0;
			}
			continue;
		}
		if (c[g->i].op != FW_DELETE) {
			g->i = j;
			return fw_restore_lines(&c[j - 1], 1, out, e) ? -1 : 1;
		}
		while (j < g->n && c[j].op == FW_DELETE &&
		       !strcmp(c[j].chain, c[g->i].chain))
			j++;
		for (k = g->i; k < j; k++)
			g->run[k - g->i] = &c[k];
		qsort(g->run, j - g->i, sizeof(*g->run), by_pos);
		g->rk = 0;
		g->rn = j - g->i;
		g->i = j;
	}
}

int fw_nft_commit_text(const struct fw *f, const struct fw_change *c, size_t n,
		       struct buf *in, struct err *e)
{
	struct text_gen g;
	int rc;

	if (gen_init(&g, f, c, n, e)) {
		gen_free(&g);
		return -1;
	}
	while ((rc = gen_line(&g, in, e)) > 0)
		;
	gen_free(&g);
	return rc;
}

/* About the bytes of one piece of the commit's text (a pipe holds 64 KiB) */
#define FILL_CHUNK 65536

/* The commit's source: gen's lines, then (all written) the release. */
struct commit_src {
	struct text_gen gen;
	struct fw *f;
	struct err *e;
};

static int commit_fill(void *arg, struct buf *b)
{
	struct commit_src *s = arg;
	int rc = 1;

	while (b->len < FILL_CHUNK && (rc = gen_line(&s->gen, b, s->e)) > 0)
		;
	if (!rc) {
		/* the text is written, COMMIT with it: the changes and
		 * the snapshot's rules are of no more use */
		gen_free(&s->gen);
		fw_let_go(s->f);
	}
	return rc < 0 ? -1 : rc > 0 || b->len ? 1 : 0;
}

static int commit(struct fw *f, const struct fw_change *c, size_t n,
		  struct err *e)
{
	const char *argv[6] = { 0 };
	char path[4096], name[40];
	const struct child ch = { path, argv, NULL, NULL };
	struct commit_src cs = { .f = f, .e = e };
	const struct source src = { commit_fill, &cs };
	struct buf out = { 0 }, errout = { 0 };
	size_t i;
	int k, rc;

	k = tool(f->env, f->family, "-restore", path, sizeof(path), argv, name,
		 sizeof(name), e);
	if (k < 0)
		return -1;
	argv[k] = "--noflush";
	/* every value is checked before anything runs */
	for (i = 0; i < n; i++)
		if (fw_change_check(&c[i], e))
			return err_wrap(e, "nothing changed");
	if (gen_init(&cs.gen, f, c, n, e)) {
		gen_free(&cs.gen);
		return -1;
	}
	/* the text goes into the pipe as it is made; once it is all
	 * written, commit_fill lets go of the changes and the rules */
	rc = spawn(&ch, NULL, 0, &src, &out, &errout);
	gen_free(&cs.gen);
	if (rc < 0 && errno == ECANCELED) {
		/* e says why; the child was killed before the end of its
		 * input: nothing changed */
	} else if (rc) {
		const char *msg = failed(rc, &errout);

		/* a rule we delete vanished, a chain moved: redo the run */
		err_set(e,
			strstr(msg, "does a matching rule exist") ||
					strstr(msg, "temporarily unavailable") ?
				FW_AGAIN :
				EXIT_RUNTIME,
			"%s --noflush: %s", name, msg);
	}
	buf_free(&out);
	buf_free(&errout);
	return rc ? -1 : 0;
}

/* ---- canonical forms: a probe ---------------------------------------- */

/* What a probe found out. */
enum { PROBE_OK, PROBE_REFUSED, PROBE_NO_NETNS };

/* A probe in a new network namespace: the restore, then the listing. */
struct netns_probe {
	const char *rpath, *lpath;
	const char *const *rargv, *const *largv;
	const char *in;
	size_t len;
};

/* The child of probe_netns, in a fork (spawn): the listing on stdout
 * (exit 0), or on stderr the tool's message (1: the restore, 2: the
 * listing refused) or why there is no namespace (3). */
static int netns_child(void *arg)
{
	const struct netns_probe *p = arg;
	struct buf o = { 0 }, eo = { 0 };
	int rc;

	if (unshare(CLONE_NEWNET)) {
		const char *m = strerror(errno);

		fd_write_all(2, m, strlen(m));
		return 3;
	}
	rc = run(p->rpath, p->rargv, p->in, p->len, &o, &eo);
	if (!rc) {
		rc = run(p->lpath, p->largv, NULL, 0, &o, &eo);
		if (rc < 0)
			buf_adds(&eo, failed(rc, &eo));
		rc = rc ? 2 : 0;
	} else {
		if (rc < 0)
			buf_adds(&eo, failed(rc, &eo));
		rc = 1;
	}
	if (rc)
		fd_write_all(2, eo.data ? eo.data : "", eo.len);
	else
		fd_write_all(1, o.data ? o.data : "", o.len);
	return rc;
}

/*
 * In a child in a new network namespace (nothing of ours is touched):
 * restore in, then list the chain (p). out gets the listing (0), or
 * errout the tool's message (PROBE_REFUSED) or why there is no namespace
 * (PROBE_NO_NETNS); -1 when the child could not run (errno).
 */
static int probe_netns(struct netns_probe *p, struct buf *out,
		       struct buf *errout)
{
	const struct child c = { NULL, NULL, netns_child, p };
	int status = spawn(&c, NULL, 0, NULL, out, errout);

	if (status < 0)
		return -1;
	return status == 0		  ? PROBE_OK :
	       status == 3		  ? PROBE_NO_NETNS :
	       status == 1 || status == 2 ? PROBE_REFUSED :
					    (errno = EIO, -1);
}

/* iptables' message without its "iptables-nft-restore v1.8.9
 * (nf_tables): " head, into why; the 1-based line it names, or 0. */
static long refusal(struct buf *errout, char *why, size_t len)
{
	const char *at = errout->data ? strstr(errout->data,
					       "Error occurred at line: ") :
					NULL;
	const char *m, *head;
	uint64_t line = 0;
	char num[24];

	if (at)
		snprintf(num, sizeof(num), "%.*s",
			 (int)strspn(at + 24, "0123456789"), at + 24);
	if (!at || parse_uint(num, 1, 1u << 30, &line))
		line = 0;
	m = first_line(errout);
	head = strstr(m, "): ");
	if (head && !strncmp(m, "ip", 2))
		m = head + 3;
	while (*m == ' ')
		m++;
	/* nf_tables refusals at the commit say "line N: ..." instead */
	if (!line && !strncmp(m, "line ", 5)) {
		snprintf(num, sizeof(num), "%.*s",
			 (int)strspn(m + 5, "0123456789"), m + 5);
		if (parse_uint(num, 1, 1u << 30, &line))
			line = 0;
	}
	snprintf(why, len, "%s", *m ? m : "(no message)");
	return (long)line;
}

/* The rule as nf_tables keeps it, read back from words of a listing; 0,
 * or -1 with why set when docker-fw cannot read it back exactly. */
static int readback(int family, char *const *w, size_t n,
		    const struct fw_rule *want, struct fw_rule *got, char *why,
		    size_t len)
{
	struct strv again = { 0 };
	struct buf t = { 0 };
	struct fw_rule d, d2;
	int ok;

	fw_rule_decode(w, n, family, &d);
	/* decode(format(decode(x))) must be decode(x) */
	ok = !d.foreign && !fw_rule_format(&d, &t) &&
	     fw_split(t.data, &again) > 0;
	if (ok) {
		fw_rule_decode(again.v, again.n, family, &d2);
		ok = fw_rule_equal(&d, &d2);
	}
	if (!ok) {
		struct buf line = { 0 };
		char esc[160];
		size_t i;

		for (i = 0; i < n; i++)
			if ((i && buf_adds(&line, " ")) ||
			    buf_adds(&line, w[i]))
				break;
		snprintf(why, len,
			 "iptables-nft shows it as `%s`, which "
			 "docker-fw cannot read back",
			 str_escape(esc, sizeof(esc),
				    line.data ? line.data : ""));
		buf_free(&line);
	}
	strv_free(&again);
	buf_free(&t);
	if (!ok)
		return -1;
	snprintf(d.target, sizeof(d.target), "%s", want->target);
	*got = d; /* got may be want */
	return 0;
}

/*
 * One probe of the rules p[idx[0..k)): written into a scratch chain (in
 * a new namespace, or with live in the filter table), listed, decoded.
 * PROBE_OK with the rules done (failed set on those read back wrong),
 * PROBE_REFUSED with *bad the index into idx of the rule iptables named
 * (-1: none) and why, PROBE_NO_NETNS, or -1 with e set.
 */
static int probe(const struct fw_env *env, int family, int live,
		 struct fw_probe *p, const size_t *idx, size_t k, long *bad,
		 char *why, size_t wlen, struct err *e)
{
	const char *rargv[6] = { 0 }, *largv[8] = { 0 }, *cargv[6] = { 0 };
	char rpath[4096], lpath[4096], rname[40], lname[40], chain[32];
	struct buf in = { 0 }, out = { 0 }, errout = { 0 }, o2 = { 0 };
	struct fw_change *ch = NULL;
	struct strv w = { 0 };
	const char *line;
	size_t i, got = 0, used;
	int rk, lk, rc = -1;
	const char *who = rname;
	long at;

	*bad = -1;
	rk = tool(env, family, "-restore", rpath, sizeof(rpath), rargv, rname,
		  sizeof(rname), e);
	lk = rk < 0 ? -1 :
		      tool(env, family, "", lpath, sizeof(lpath), largv, lname,
			   sizeof(lname), e);
	if (lk < 0)
		return -1;
	rargv[rk] = "--noflush";
	memcpy(cargv, rargv, sizeof(cargv));
	largv[lk] = "-t";
	largv[lk + 1] = "filter";
	largv[lk + 2] = "-S";
	largv[lk + 3] = chain;
	if (live)
		snprintf(chain, sizeof(chain), FW_PROBE_CHAIN "-%ld",
			 (long)getpid());
	else
		snprintf(chain, sizeof(chain), FW_PROBE_CHAIN);
	/* the chain, its rules, and (in the scratch namespace) the jump of
	 * the hook its rules will be reached from, so that the kernel checks
	 * them there (owner in FORWARD, -o in INPUT...); the caller batches
	 * rules of one hook */
	ch = calloc(k + 2, sizeof(*ch));
	if (!ch)
		goto nomem;
	ch[0].op = FW_NEW_CHAIN;
	snprintf(ch[0].chain, sizeof(ch[0].chain), "%s", chain);
	for (i = 0; i <= k; i++) {
		ch[i + 1].op = FW_APPEND;
		snprintf(ch[i + 1].chain, sizeof(ch[i + 1].chain), "%s",
			 i < k		 ? chain :
			 p[idx[0]].input ? "INPUT" :
					   "FORWARD");
		if (i < k)
			ch[i + 1].rule = p[idx[i]].rule;
		else
			ch[i + 1].rule.family = family;
		/* ACCEPT: no chain to declare */
		snprintf(ch[i + 1].rule.target, sizeof(ch[i + 1].rule.target),
			 "%s", i < k ? "ACCEPT" : chain);
	}
	if (fw_restore_text("filter", ch, k + 1 + !live, &in, e))
		goto out;
	if (!live) {
		struct netns_probe np = { rpath, lpath,	  rargv,
					  largv, in.data, in.len };

		rc = probe_netns(&np, &out, &errout);
	} else {
		rc = run(rpath, rargv, in.data, in.len, &o2, &errout);
		if (!rc) {
			int saved;

			rc = run(lpath, largv, NULL, 0, &out, &errout);
			saved = errno;
			rc = rc < 0 ? -1 : rc ? PROBE_REFUSED : PROBE_OK;
			who = lname;
			/* the scratch chain goes at once, whatever the
			 * listing gave; one a kill left, the next run */
			in.len = 0;
			ch[0].op = FW_DEL_CHAIN;
			if (!fw_restore_text("filter", ch, 1, &in, NULL))
				run(rpath, cargv, in.data, in.len, &o2, &o2);
			errno = saved;
		} else if (rc > 0) {
			rc = PROBE_REFUSED;
		}
	}
	if (rc < 0) {
		err_set(e, EXIT_RUNTIME, "%s (probe): %s", who,
			failed(rc, &errout));
		goto out;
	}
	if (rc == PROBE_NO_NETNS) {
		snprintf(why, wlen, "%s", first_line(&errout));
		goto out;
	}
	if (rc == PROBE_REFUSED) {
		at = refusal(&errout, why, wlen);
		if (at >= 3 && (size_t)at < k + 3) /* *filter, :CHAIN */
			*bad = at - 3;
		else if (!live && k == 1 && (size_t)at == k + 3)
			snprintf(why, wlen,
				 "the kernel refuses it in a rule "
				 "reached from %s",
				 p[idx[0]].input ? "INPUT" : "FORWARD");
		goto out;
	}
	for (line = out.data ? out.data : ""; *line; line += used) {
		strv_free(&w);
		if (fw_split_save(line, &w, &used) < 0) {
			if (errno != EINVAL)
				goto nomem;
			used = strcspn(line, "\n");
			used += line[used] == '\n';
		}
		if (!used)
			break;
		if (w.n < 2 || strcmp(w.v[0], "-A") || strcmp(w.v[1], chain))
			continue;
		if (got == k)
			break;
		i = idx[got++];
		if (readback(family, w.v + 2, w.n - 2, &p[i].rule, &p[i].rule,
			     p[i].why, sizeof(p[i].why)))
			p[i].failed = 1;
	}
	if (got != k) {
		rc = err_set(e, EXIT_RUNTIME,
			     "%s -S %s: %zu rules written, "
			     "%zu read back",
			     lname, chain, k, got);
		goto out;
	}
	rc = PROBE_OK;
	goto out;
nomem:
	rc = err_set(e, EXIT_RUNTIME, "out of memory");
out:
	free(ch);
	strv_free(&w);
	buf_free(&in);
	buf_free(&out);
	buf_free(&o2);
	buf_free(&errout);
	return rc;
}

/* Whether a rule of p[idx[0..k)) matches on an ipset (-m set), which a
 * new network namespace does not have. */
static int uses_set(const struct fw_probe *p, const size_t *idx, size_t k)
{
	const char *x;
	size_t i;

	for (i = 0; i < k; i++) {
		x = p[idx[i]].rule.extra;
		if (x && (!strncmp(x, "-m set ", 7) || strstr(x, " -m set ")))
			return 1;
	}
	return 0;
}

/*
 * Whether the live filter table of family exists in nf_tables: a live
 * probe there must not be the one that makes it (`iptables-nft-save -t
 * filter` shows the built-in chains of a table that is not there; with
 * no -t it lists the tables there are). 1, or 0 (also when it cannot
 * tell).
 */
static int live_table(const struct fw_env *env, int family)
{
	const char *argv[4] = { 0 };
	struct buf out = { 0 }, errout = { 0 };
	char path[4096], name[40];
	const char *l;
	int k, rc = 0;

	k = tool(env, family, "-save", path, sizeof(path), argv, name,
		 sizeof(name), NULL);
	if (k >= 0 && !run(path, argv, NULL, 0, &out, &errout) && out.data)
		for (l = out.data; *l && !rc; l += strcspn(l, "\n")) {
			l += *l == '\n';
			rc = !strncmp(l, "*filter", 7) &&
			     (!l[7] || l[7] == '\n');
		}
	buf_free(&out);
	buf_free(&errout);
	return rc;
}

int fw_nft_canon(const struct fw_env *env, int family, struct fw_probe *p,
		 size_t n, int may_write, struct err *e)
{
	size_t *todo, k = 0, i, batch;
	int live = 0, one = 0, rc = 0, table = -1;
	struct fw_change ch;
	char why[256];
	struct err ce;
	long bad;

	if (!n)
		return 0;
	todo = malloc(n * sizeof(*todo));
	if (!todo)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	memset(&ch, 0, sizeof(ch));
	ch.op = FW_INSERT;
	ch.pos = 1;
	snprintf(ch.chain, sizeof(ch.chain), "%s", FW_PROBE_CHAIN);
	for (i = 0; i < n; i++) {
		/* what may not be written is not written to check it */
		ch.rule = p[i].rule;
		p[i].failed = fw_change_check(&ch, &ce) != 0;
		snprintf(p[i].why, sizeof(p[i].why), "%.255s",
			 p[i].failed ? ce.msg : "");
	}
	for (i = 0; i < n; i++) /* FORWARD's rules, then INPUT's */
		if (!p[i].input && !p[i].failed)
			todo[k++] = i;
	for (i = 0; i < n; i++)
		if (p[i].input && !p[i].failed)
			todo[k++] = i;
	while (k && !rc) {
		for (batch = 1; !one && batch < k &&
				p[todo[batch]].input == p[todo[0]].input;
		     batch++)
			;
		switch (probe(env, family, live, p, todo, batch, &bad, why,
			      sizeof(why), e)) {
		case PROBE_OK:
			memmove(todo, todo + batch,
				(k - batch) * sizeof(*todo));
			k -= batch;
			break;
		case PROBE_NO_NETNS:
			if (may_write && table < 0)
				table = live_table(env, family);
			if (!may_write)
				rc = err_set(e, EXIT_RUNTIME,
					     "no scratch "
					     "network namespace to check "
					     "--filter conditions in (%s), "
					     "and a dry run writes nothing",
					     why);
			else if (!table)
				rc = err_set(e, EXIT_RUNTIME,
					     "no scratch "
					     "network namespace to check "
					     "--filter conditions in (%s), "
					     "and no nf_tables filter table "
					     "here to check them in",
					     why);
			live = 1;
			break;
		case PROBE_REFUSED:
			/* what a new namespace lacks (an ipset) the live
			 * table may have: it decides, for -m set only (its
			 * scratch chain hangs from no hook, so the hook
			 * checks of the namespace stand); never a table
			 * the probe would be the first to make */
			if (!live && may_write && uses_set(p, todo, batch) &&
			    table < 0)
				table = live_table(env, family);
			if (!live && may_write && uses_set(p, todo, batch) &&
			    table) {
				live = 1;
				break;
			}
			if (bad < 0 && batch > 1) {
				one = 1; /* find which, one by one */
				break;
			}
			if (bad < 0)
				bad = 0;
			p[todo[bad]].failed = 1;
			snprintf(p[todo[bad]].why, sizeof(p[todo[bad]].why),
				 "%s", why);
			memmove(todo + bad, todo + bad + 1,
				(k - (size_t)bad - 1) * sizeof(*todo));
			k--;
			break;
		default:
			rc = -1;
		}
	}
	free(todo);
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
	.whole = whole,
	.commit = commit,
	.close = close_table,
};
