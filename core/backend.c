/*
 * backend.c - where Docker's chains are, Docker's layout, and the
 * read-plan-commit transaction under one xtables lock.
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfw/backend.h"

const int backend_families[BACKEND_NFAMILIES] = { AF_INET, AF_INET6 };

void backend_init(struct backend *b, const struct fw_env *env,
		  const struct fw_ops *ops)
{
	memset(b, 0, sizeof(*b));
	b->env = env;
	b->ops = ops;
}

/* Whether this namespace has a legacy filter table. Reading one that is
 * not there would create it (and iptables-nft would then warn about
 * legacy tables on this host); the kernel lists the ones there are. */
static int legacy_filter(void)
{
	return fw_iptc_table_exists("filter");
}

/* Docker's chains in the filter table of a backend (the lock held): 1,
 * 0, or -1 when the backend cannot read here (why in e). With keep, a
 * snapshot that has them is left open for the run to use. */
static int has_docker(const struct fw_ops *ops, const struct fw_env *env,
		      struct fw *keep, struct err *e)
{
	struct fw f;
	int rc;

	if (fw_read(&f, ops, env, AF_INET, "filter", e))
		return -1;
	rc = fw_chain(&f, "DOCKER-USER") || fw_chain(&f, "DOCKER-FORWARD") ||
	     fw_chain(&f, "DOCKER");
	if (rc && keep)
		*keep = f;
	else
		fw_close(&f);
	return rc;
}

/*
 * The backend that holds Docker's chains, the lock held; a mixed host is
 * an error. The snapshot that decided is handed to the first attempt
 * (*kept set), so a run reads its table once.
 */
static int pick_locked(struct backend *b, struct fw *first, int *kept,
		       struct err *e)
{
	int legacy = 0, nft, table = legacy_filter();
	struct err le, ne;

	*kept = 0;
	if (b->ops)
		return 0;
	/* no nf_tables filter table: no Docker chains there, and no
	 * iptables-nft-save to start (a legacy host's usual case) */
	nft = fw_nft_has_table(AF_INET, "filter") ?
		      has_docker(&fw_nft_ops, b->env, table ? NULL : first,
				 &ne) :
		      0;
	if (table)
		legacy = has_docker(&fw_iptc_ops, b->env,
				    nft > 0 ? NULL : first, &le);
	if (legacy > 0 && nft > 0)
		return err_set(e, EXIT_RUNTIME,
			       "Docker chains are in both the "
			       "legacy (libiptc) and the nf_tables "
			       "(iptables-nft) filter tables: a mixed host, "
			       "where an ACCEPT in one cannot undo a DROP in "
			       "the other. Say which one dockerd uses with "
			       "--backend=iptc|nft (or DFW_BACKEND)");
	if (legacy > 0 || nft > 0) {
		b->ops = legacy > 0 ? &fw_iptc_ops : &fw_nft_ops;
		*kept = legacy > 0 || !table;
		return 0;
	}
	/* a table that could not be read is not one without Docker's
	 * chains: say what stopped the reading */
	if (legacy < 0 && nft < 0)
		return err_set(e, EXIT_RUNTIME,
			       "cannot read the filter table: "
			       "%s; %s",
			       le.msg, ne.msg);
	if (nft < 0)
		return err_set(e, EXIT_RUNTIME,
			       "cannot read the nf_tables "
			       "filter table, so cannot tell where Docker's "
			       "chains are (%s a legacy one): %s",
			       table ? "they are not in" : "there is not",
			       ne.msg);
	if (legacy < 0)
		return err_set(e, EXIT_RUNTIME,
			       "cannot read the legacy "
			       "filter table, so cannot tell where Docker's "
			       "chains are (they are not in the nf_tables "
			       "one): %s",
			       le.msg);
	return err_set(e, EXIT_RUNTIME,
		       "no Docker chains (DOCKER, "
		       "DOCKER-USER) in the %s: is dockerd running with its "
		       "iptables rules?",
		       table ? "legacy or the nf_tables "
			       "filter table" :
			       "nf_tables filter table (and no "
			       "legacy one here)");
}

int backend_pick(struct backend *b, struct err *e)
{
	struct fw f;
	int fd, kept, rc;

	if (b->ops)
		return 0;
	fd = fw_lock(b->env, e);
	if (fd < 0)
		return -1;
	rc = pick_locked(b, &f, &kept, e);
	if (!rc && kept)
		fw_close(&f); /* its snapshot is not kept */
	close(fd);
	return rc;
}

/* Docker's layout in the chains of f. */
static const char *layout_of(struct fw *f)
{
	return fw_chain(f, "DOCKER-INTERNAL") ? "29" :
	       fw_chain(f, "DOCKER-FORWARD")  ? "28.1+" :
						"18.05-27";
}

/* Docker's chains in f, and the layout they tell. The ip6 table needs
 * none: Docker 20.10 writes ip6 rules only with --ip6tables, and no
 * DOCKER-USER even then (docker-fw's jump goes into FORWARD). */
static int layout(struct backend *b, struct fw *f, struct err *e)
{
	const char *miss = !fw_chain(f, "DOCKER-USER") ? "DOCKER-USER" :
			   !fw_chain(f, "DOCKER")      ? "DOCKER" :
							 NULL;

	if (f->family == AF_INET6) {
		snprintf(b->layout6, sizeof(b->layout6), "%s%s",
			 !fw_chain(f, "DOCKER") ? "no Docker chains" :
						  layout_of(f),
			 !fw_chain(f, "DOCKER") || fw_chain(f, "DOCKER-USER") ?
				 "" :
				 ", no DOCKER-USER");
		return 0;
	}
	if (miss)
		return err_set(e, EXIT_RUNTIME,
			       "no Docker chains in the %s "
			       "filter table (no %s): is dockerd running "
			       "with its iptables rules, and on this kind of "
			       "iptables?",
			       f->ops->what, miss);
	snprintf(b->layout, sizeof(b->layout), "%s", layout_of(f));
	return 0;
}

/* The policies of the built-in chains of a snapshot before its plan
 * (the undo sets them back). */
struct policies {
	char chain[3][32];
	char policy[3][32];
	size_t n;
};

static void policies_save(struct policies *s, struct fw *f)
{
	size_t i;

	s->n = 0;
	for (i = 0; i < f->nchains && s->n < 3; i++)
		if (f->chains[i].builtin) {
			snprintf(s->chain[s->n], 32, "%s", f->chains[i].name);
			snprintf(s->policy[s->n++], 32, "%s",
				 f->chains[i].policy);
		}
}

/* One attempt's lock and snapshots. */
struct txn {
	int lock_fd;
	struct fw fw[BACKEND_NFAMILIES];
	size_t nfw; /* fw[0..nfw) are read */
	struct policies pol[BACKEND_NFAMILIES];
};

static void txn_close(struct txn *t)
{
	fw_nft_prefetch_drop(); /* an ip6 read not taken (prefetch6) */
	fw_iptc_seen_stop();
	while (t->nfw)
		fw_close(&t->fw[--t->nfw]);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	t->lock_fd = -1;
}

/* Whether the ip6 table is read (0, with b->skip6 saying why not). */
static int want6(struct backend *b)
{
	const char *why;

	b->skip6[0] = 0;
	if (!fw_ipv6_on(&why)) {
		snprintf(b->skip6, sizeof(b->skip6), "%s", why);
		return 0;
	}
	if (b->ops == &fw_iptc_ops && !b->make6 &&
	    !fw_iptc_has_table(AF_INET6, "filter")) {
		snprintf(b->skip6, sizeof(b->skip6),
			 "no legacy ip6 filter "
			 "table here, and nothing for one (no Docker network "
			 "with IPv6, no port published on IPv6)");
		return 0;
	}
	return 1;
}

/* A legacy table not there yet, as the kernel makes it (built-in
 * chains, policies ACCEPT): what a dry run plans on, making nothing. */
static int fresh_table(struct backend *b, struct fw *f, int family,
		       struct err *e)
{
	static const char *const builtin[] = { "INPUT", "FORWARD", "OUTPUT" };
	size_t i;

	memset(f, 0, sizeof(*f));
	f->ops = b->ops;
	f->env = b->env;
	f->family = family;
	f->lock_fd = -1;
	snprintf(f->table, sizeof(f->table), "filter");
	for (i = 0; i < 3; i++)
		if (!fw_chain_add(f, builtin[i], "ACCEPT")) {
			fw_close(f);
			return err_set(e, EXIT_RUNTIME, "out of memory");
		}
	return 0;
}

/*
 * On nf_tables, the read of the ip6 table (txn_open6's) starts with the
 * lock taken, beside AF_INET's: both are read under it as when one
 * follows the other, and a run waits for the longer of the two, not
 * for both (#18). Not where the backend may be libiptc (a legacy filter
 * table here, the choice not made yet) or the ip6 table is not read
 * (want6: no IPv6 here); txn_close drops a read not taken.
 */
static void prefetch6(struct backend *b)
{
	const char *why;

	if ((b->ops ? b->ops != &fw_nft_ops : legacy_filter()) ||
	    !fw_ipv6_on(&why))
		return;
	(void)fw_nft_prefetch(b->env, AF_INET6, "filter"); /* else read later */
}

/* Takes the lock, finds the backend if need be, reads AF_INET. */
static int txn_open(struct backend *b, struct txn *t, struct err *e)
{
	int kept = 0;

	t->nfw = 0;
	t->lock_fd = fw_lock(b->env, e);
	if (t->lock_fd < 0)
		return -1;
	if (b->mark) {
		char netns[40];

		/* the legacy tables as this transaction reads and
		 * replaces them (fw_iptc_seen) */
		fw_iptc_seen_start(b->mark->seed);

		/* no nf_tables (1): nothing to commit there, 0 stays */
		b->gen0_ok = !(b->mark->parts & FW_STATE_NFT) ||
			     fw_nft_generation(&b->gen0, netns) >= 0;
	}
	prefetch6(b);
	if (pick_locked(b, &t->fw[0], &kept, e)) {
		txn_close(t);
		return -1;
	}
	t->nfw = kept; /* AF_INET's snapshot, read to decide */
	if (!kept && fw_read(&t->fw[0], b->ops, b->env, AF_INET, "filter", e)) {
		txn_close(t);
		return -1;
	}
	t->nfw = 1;
	return 0;
}

/* Reads AF_INET6 when it is wanted (t->nfw 2), the lock held; a dry run
 * makes no legacy ip6 table: it plans on an empty one. 0, or -1 with e
 * set (t closed). */
static int txn_open6(struct backend *b, struct txn *t, int dry_run,
		     struct err *e)
{
	if (!want6(b))
		return 0;
	b->env6 = *b->env;
	b->env6.make_table = b->make6;
	if (dry_run && b->ops == &fw_iptc_ops &&
	    !fw_iptc_has_table(AF_INET6, "filter")) {
		if (fresh_table(b, &t->fw[1], AF_INET6, e)) {
			txn_close(t);
			return -1;
		}
	} else if (fw_read(&t->fw[1], b->ops, &b->env6, AF_INET6, "filter",
			   e)) {
		txn_close(t);
		return err_wrap(e, "the IPv6 filter table");
	}
	t->nfw = 2;
	return 0;
}

/* The changes that undo p (applied to a table whose built-in chains had
 * the policies pol): in reverse order, each change's inverse; a scratch
 * chain deleted stays deleted. 0, or -1 (ENOMEM). */
static int inverse(const struct plan *p, const struct policies *pol,
		   struct fw_change **out, size_t *n)
{
	struct fw_change *v = calloc(p->n + 1, sizeof(*v));
	size_t i, k;

	*out = v;
	*n = 0;
	if (!v)
		return -1;
	for (i = p->n; i-- > 0;) {
		const struct fw_change *c = &p->v[i];
		struct fw_change *u = &v[*n];

		*u = *c;
		switch (c->op) {
		case FW_NEW_CHAIN:
			u->op = FW_DEL_CHAIN;
			break;
		case FW_INSERT:
			u->op = FW_DELETE;
			break;
		case FW_DELETE:
			u->op = FW_INSERT;
			break;
		case FW_POLICY:
			for (k = 0; k < pol->n; k++)
				if (!strcmp(pol->chain[k], c->chain))
					snprintf(u->policy, sizeof(u->policy),
						 "%s", pol->policy[k]);
			break;
		case FW_DEL_CHAIN:
		case FW_APPEND:
			continue;
		}
		(*n)++;
	}
	return 0;
}

/* AF_INET6's commit failed (e): AF_INET's, done, is undone in a new
 * snapshot of its table (the lock is still held). */
static void undo4(struct backend *b, struct txn *t, const struct plan *p,
		  struct err *e)
{
	struct fw_change *inv;
	struct err ue;
	size_t n;
	size_t len = strlen(e->msg);

	fw_close(&t->fw[0]);
	if (inverse(p, &t->pol[0], &inv, &n)) {
		err_set(&ue, EXIT_RUNTIME, "out of memory");
	} else if (!fw_read(&t->fw[0], b->ops, b->env, AF_INET, "filter",
			    &ue) &&
		   !fw_commit(&t->fw[0], inv, n, &ue)) {
		free(inv);
		b->undone = 1;
		snprintf(e->msg + len, sizeof(e->msg) - len,
			 "; the IPv4 "
			 "changes were undone: nothing changed");
		return;
	}
	free(inv);
	snprintf(e->msg + len, sizeof(e->msg) - len,
		 "; the IPv4 changes "
		 "were made and could not be undone (%s): run `docker-fw "
		 "replay`",
		 ue.msg);
	if (e->code == FW_AGAIN)
		e->code = EXIT_RUNTIME; /* not redone: half-applied */
}

/* Plans the snapshot t->fw[k] into p and checks every change; then
 * lets go of what its commit does not need (fw_shed): a family is read,
 * planned and shed before the next one is read, so that two tables'
 * decoded rules are never held at once. 0, or -1 with e set. */
static int plan_family(struct backend *b, struct txn *t, size_t k,
		       backend_plan_fn plan, void *arg, struct plan *p,
		       struct err *e)
{
	size_t i;

	policies_save(&t->pol[k], &t->fw[k]);
	if (layout(b, &t->fw[k], e) || plan(&t->fw[k], p, arg, e))
		return -1;
	for (i = 0; i < p->n; i++)
		if (fw_change_check(&p->v[i], e))
			return err_wrap(e, "nothing changed");
	t->fw[k].planned = 1; /* the plan edited it */
	fw_shed(&t->fw[k], p->v, p->n);
	return 0;
}

/* struct fw's release with b->lean: the plan's changes go, their count
 * stays (engine_pending); a redo (FW_AGAIN) plans anew. */
static void release_plan(void *arg)
{
	struct plan *p = arg;

	free(p->v);
	p->v = NULL;
	p->cap = 0;
}

/*
 * Both families are planned and checked before either is committed (a
 * plan that fails changes nothing); AF_INET is committed first, and
 * undone (from its plan and saved policies, in a new snapshot) when
 * AF_INET6's commit fails: so a family's snapshot may be shed after
 * its plan, but every plan is kept until the end.
 */
int backend_transact(struct backend *b, int dry_run, backend_plan_fn plan,
		     void *arg, struct plan plans[BACKEND_NFAMILIES],
		     struct err *e)
{
	struct txn t;
	int attempt, rc = -1;
	size_t k;
	uint32_t ours; /* nf_tables commits made */

	memset(&t, 0, sizeof(t));
	t.lock_fd = -1;
	b->marked = 0;

	for (attempt = 0; attempt < BACKEND_MAX_ATTEMPTS; attempt++) {
		for (k = 0; k < BACKEND_NFAMILIES; k++)
			plan_reset(&plans[k]);
		if (txn_open(b, &t, e))
			return -1;
		rc = plan_family(b, &t, 0, plan, arg, &plans[0], e);
		if (!rc && txn_open6(b, &t, dry_run, e))
			return -1;
		if (!rc && t.nfw > 1)
			rc = plan_family(b, &t, 1, plan, arg, &plans[1], e);
		ours = 0;
		for (k = 0; !rc && !dry_run && k < t.nfw; k++) {
			/* AF_INET's plan is kept for its undo while
			 * AF_INET6 has changes to commit */
			if (b->lean && (k > 0 || t.nfw == 1 || !plans[1].n)) {
				t.fw[k].release = release_plan;
				t.fw[k].release_arg = &plans[k];
			}
			ours += plans[k].n && b->ops == &fw_nft_ops;
			rc = fw_commit(&t.fw[k], plans[k].v, plans[k].n, e);
			if (rc && k > 0 && plans[0].n)
				undo4(b, &t, &plans[0], e);
		}
		/* the tables as this run leaves them. A legacy one by the
		 * content libiptc last read or committed, not read again
		 * (a writer that ignores the lock would be taken for
		 * ours), else read now; nf_tables by its generation under
		 * our lock, which moved by our commits alone (each
		 * iptables-nft-restore is one) */
		if (!rc && !dry_run && b->mark && b->env &&
		    b->env->stop_at_mark)
			raise(SIGSTOP);
		if (!rc && !dry_run && b->mark) {
			b->mark->seen = 1;
			b->marked = b->gen0_ok && !fw_state_read(b->mark) &&
				    (!(b->mark->parts & FW_STATE_NFT) ||
				     b->mark->gen == b->gen0 + ours);
		}
		txn_close(&t);
		if (!rc || e->code != FW_AGAIN)
			break;
		b->retries++;
	}
	if (rc && e->code == FW_AGAIN)
		e->code = EXIT_RUNTIME;
	return rc;
}
