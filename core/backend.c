/*
 * backend.c - where Docker's chains are, Docker's layout, and the
 * read-plan-commit transaction under one xtables lock.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dfw/backend.h"

const int backend_families[BACKEND_NFAMILIES] = { AF_INET };

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
	nft = has_docker(&fw_nft_ops, b->env, table ? NULL : first, &ne);
	if (table)
		legacy = has_docker(&fw_iptc_ops, b->env, nft > 0 ? NULL :
				    first, &le);
	if (legacy > 0 && nft > 0)
		return err_set(e, EXIT_RUNTIME, "Docker chains are in both the "
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
		return err_set(e, EXIT_RUNTIME, "cannot read the filter table: "
			       "%s; %s", le.msg, ne.msg);
	if (nft < 0)
		return err_set(e, EXIT_RUNTIME, "cannot read the nf_tables "
			       "filter table, so cannot tell where Docker's "
			       "chains are (%s a legacy one): %s",
			       table ? "they are not in" : "there is not",
			       ne.msg);
	if (legacy < 0)
		return err_set(e, EXIT_RUNTIME, "cannot read the legacy "
			       "filter table, so cannot tell where Docker's "
			       "chains are (they are not in the nf_tables "
			       "one): %s", le.msg);
	return err_set(e, EXIT_RUNTIME, "no Docker chains (DOCKER, "
		       "DOCKER-USER) in the %s: is dockerd running with its "
		       "iptables rules?", table ? "legacy or the nf_tables "
		       "filter table" : "nf_tables filter table (and no "
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
		fw_close(&f);	/* its snapshot is not kept */
	close(fd);
	return rc;
}

/* Docker's chains in f, and the layout they tell. */
static int layout(struct backend *b, struct fw *f, struct err *e)
{
	const char *miss = !fw_chain(f, "DOCKER-USER") ? "DOCKER-USER" :
			   !fw_chain(f, "DOCKER") ? "DOCKER" : NULL;

	if (miss)
		return err_set(e, EXIT_RUNTIME, "no Docker chains in the %s "
			       "filter table (no %s): is dockerd running "
			       "with its iptables rules, and on this kind of "
			       "iptables?", f->ops->what, miss);
	snprintf(b->layout, sizeof(b->layout), "%s",
		 fw_chain(f, "DOCKER-INTERNAL") ? "29" :
		 fw_chain(f, "DOCKER-FORWARD") ? "28.1+" : "18.05-27");
	return 0;
}

/* One attempt's lock and snapshots. */
struct txn {
	int lock_fd;
	struct fw fw[BACKEND_NFAMILIES];
	size_t nfw;		/* fw[0..nfw) are read */
};

static void txn_close(struct txn *t)
{
	while (t->nfw)
		fw_close(&t->fw[--t->nfw]);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	t->lock_fd = -1;
}

/* Takes the lock, finds the backend if need be, reads each family. */
static int txn_open(struct backend *b, struct txn *t, struct err *e)
{
	int kept = 0;

	t->nfw = 0;
	t->lock_fd = fw_lock(b->env, e);
	if (t->lock_fd < 0)
		return -1;
	if (pick_locked(b, &t->fw[0], &kept, e)) {
		txn_close(t);
		return -1;
	}
	t->nfw = kept;		/* AF_INET's snapshot, read to decide */
	for (; t->nfw < BACKEND_NFAMILIES; t->nfw++)
		if (fw_read(&t->fw[t->nfw], b->ops, b->env,
			    backend_families[t->nfw], "filter", e)) {
			txn_close(t);
			return -1;
		}
	return 0;
}

int backend_transact(struct backend *b, int dry_run, backend_plan_fn plan,
		     void *arg, struct plan plans[BACKEND_NFAMILIES],
		     struct err *e)
{
	struct txn t = { -1, { { 0 } }, 0 };
	int attempt, rc = -1;
	size_t i, k;

	for (attempt = 0; attempt < BACKEND_MAX_ATTEMPTS; attempt++) {
		for (k = 0; k < BACKEND_NFAMILIES; k++)
			plan_reset(&plans[k]);
		if (txn_open(b, &t, e))
			return -1;
		rc = 0;
		for (k = 0; !rc && k < t.nfw; k++) {
			rc = layout(b, &t.fw[k], e) ||
			     plan(&t.fw[k], &plans[k], arg, e) ? -1 : 0;
			for (i = 0; !rc && i < plans[k].n; i++)
				if (fw_change_check(&plans[k].v[i], e))
					rc = err_wrap(e, "nothing changed");
		}
		/* #14: AF_INET6's commit failing undoes AF_INET's */
		for (k = 0; !rc && !dry_run && k < t.nfw; k++)
			rc = fw_commit(&t.fw[k], plans[k].v, plans[k].n, e);
		txn_close(&t);
		if (!rc || e->code != FW_AGAIN)
			break;
		b->retries++;
	}
	if (rc && e->code == FW_AGAIN)
		e->code = EXIT_RUNTIME;
	return rc;
}
