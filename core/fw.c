/*
 * fw.c - a table snapshot and its commit, over a backend (fw_ops): the
 * xtables lock, reading, chains, committing, closing.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "dfw/fw.h"

int fw_lock(const struct fw_env *env, struct err *e)
{
	const char *lock = env && env->lock && *env->lock ? env->lock :
							    FW_XTABLES_LOCK;
	int fd = open(lock, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_set(e, EXIT_RUNTIME,
			       "cannot open the xtables lock "
			       "\"%s\": %s",
			       lock, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err_set(e, EXIT_RUNTIME,
				"cannot take the xtables "
				"lock \"%s\": %s",
				lock, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

int fw_read(struct fw *f, const struct fw_ops *ops, const struct fw_env *env,
	    int family, const char *table, struct err *e)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->env = env;
	f->family = family;
	f->lock_fd = -1;
	snprintf(f->table, sizeof(f->table), "%s", table);
	if (ops->read(f, e)) {
		fw_close(f);
		return -1;
	}
	return 0;
}

int fw_open(struct fw *f, const struct fw_ops *ops, const struct fw_env *env,
	    int family, const char *table, struct err *e)
{
	int fd = fw_lock(env, e);

	if (fd < 0)
		return -1;
	if (fw_read(f, ops, env, family, table, e)) {
		close(fd);
		return -1;
	}
	f->lock_fd = fd;
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

struct fw_chain *fw_chain_add(struct fw *f, const char *name,
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
	c->builtin = policy && strcmp(policy, "-");
	if (c->builtin)
		snprintf(c->policy, sizeof(c->policy), "%s", policy);
	return c;
}

struct fw_rule *fw_chain_push(struct fw_chain *c)
{
	struct fw_rule *r;

	if (c->n >= c->cap) {
		size_t ncap = c->n < 4 ? 8 : 2 * c->n;
		void *p = realloc(c->rules, ncap * sizeof(*c->rules));

		if (!p)
			return NULL;
		c->rules = p;
		c->cap = ncap;
	}
	r = &c->rules[c->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

int fw_commit(struct fw *f, const struct fw_change *c, size_t n, struct err *e)
{
	size_t i;

	if (!n)
		return 0;
	if (f->env && f->env->fail_family == f->family)
		return err_set(e, EXIT_RUNTIME,
			       "nothing changed in the IPv%d "
			       "%s table: its commit failed on purpose (a "
			       "test's fault)",
			       f->family == AF_INET6 ? 6 : 4, f->table);
	/* a rule is written as its family's (an entry's head, an address
	 * in the text): one of the other family would be another rule */
	for (i = 0; i < n; i++)
		if ((c[i].op == FW_INSERT || c[i].op == FW_APPEND ||
		     c[i].op == FW_DELETE) &&
		    c[i].rule.family != f->family)
			return err_set(e, EXIT_RUNTIME,
				       "nothing changed: %s "
				       "%s: a rule of IPv%d in the IPv%d %s "
				       "table",
				       c[i].op == FW_DELETE ? "-D" :
				       c[i].op == FW_APPEND ? "-A" :
							      "-I",
				       c[i].chain,
				       c[i].rule.family == AF_INET6 ? 6 : 4,
				       f->family == AF_INET6 ? 6 : 4, f->table);
	return f->ops->commit(f, c, n, e);
}

void fw_chains_free(struct fw_chain *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].rules);
	free(v);
}

void fw_shed(struct fw *f, const struct fw_change *c, size_t n)
{
	struct fw_chain *ch;
	size_t i;

	for (i = 0; i < f->nchains; i++) {
		ch = &f->chains[i];
		if (ch->shed ||
		    (f->ops && f->ops->whole && f->ops->whole(f, ch, c, n)))
			continue;
		free(ch->rules);
		ch->rules = NULL;
		ch->n = ch->cap = 0;
		ch->shed = 1;
	}
}

void fw_let_go(struct fw *f)
{
	void (*release)(void *) = f->release;
	size_t i;

	for (i = 0; i < f->nchains; i++) {
		free(f->chains[i].rules);
		f->chains[i].rules = NULL;
		f->chains[i].n = f->chains[i].cap = 0;
		f->chains[i].shed = 1;
	}
	f->release = NULL;
	if (release)
		release(f->release_arg);
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

int fw_ipv6_on(const char **why)
{
	if (!access("/proc/sys/net/ipv6", F_OK))
		return 1;
	*why = "this kernel has no IPv6 (no /proc/sys/net/ipv6: booted "
	       "with ipv6.disable=1, or built without it)";
	return 0;
}

int fw_state_read(struct fw_state *s)
{
	unsigned parts = s->parts;
	uint64_t seed = s->seed;
	int fd, k, seen = s->seen, r;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	s->parts = parts;
	s->seed = seed;
	s->seen = seen;
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, s->boot_id, sizeof(s->boot_id) - 1);
	close(fd);
	if (n < 36)
		return -1;
	s->boot_id[36] = 0;
	if (parts & FW_STATE_NFT) {
		s->nft = fw_nft_generation(&s->gen, s->netns);
		if (s->nft < 0)
			return -1;
	}
	for (k = 0; parts & FW_STATE_LEGACY && k < 2; k++) {
		r = seen ? fw_iptc_seen(k ? AF_INET6 : AF_INET, &s->digest[k]) :
			   0;
		if (r < 0)
			return -1;
		if (r > 0) { /* as this run left it: read or written */
			s->legacy[k] = 1;
			continue;
		}
		s->legacy[k] = fw_iptc_has_table(k ? AF_INET6 : AF_INET,
						 "filter");
		if (s->legacy[k] &&
		    fw_iptc_digest(k ? AF_INET6 : AF_INET, "filter", seed,
				   &s->digest[k]))
			return -1;
	}
	return 0;
}
