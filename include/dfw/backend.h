/*
 * backend.h - which rule set holds Docker's chains (libiptc's legacy
 * x_tables or nf_tables through iptables-nft; a host with both is an
 * error), the firewall layout Docker made there, and the transaction of
 * a run: the snapshots of its tables read under ONE xtables lock, the
 * planner called on them, the changes committed, everything redone when
 * the kernel says the table changed under us (FW_AGAIN).
 *
 * Two families: a transaction holds the lock once (a second flock on
 * another descriptor of the same file, from the same process, would wait
 * for the first) and a snapshot per family; it commits AF_INET, then
 * AF_INET6, and undoes the first (the inverse of its changes) when the
 * second fails. IPv6 is left out, and why said (b->skip6), on a kernel
 * without it, and on the iptc backend when the legacy ip6 filter table
 * is not there and b->make6 is not set (no Docker network has IPv6, no
 * port is published on IPv6, no IPv6 rule is wanted). A dry run makes
 * no table: where the legacy ip6 one is not there, it plans on an empty
 * one, as the kernel would make it.
 */
#ifndef DFW_BACKEND_H
#define DFW_BACKEND_H

#include "dfw/fw.h"
#include "dfw/plan.h"
#include "dfw/util.h"

/* Runs a transaction redoes after FW_AGAIN before it gives up. */
#define BACKEND_MAX_ATTEMPTS 10

/* The families a transaction covers, and so its snapshots and plans. */
#define BACKEND_NFAMILIES 2 /* AF_INET, AF_INET6 */
extern const int backend_families[BACKEND_NFAMILIES];

struct backend {
	const struct fw_env *env; /* the caller's, outlives b */
	const struct fw_ops *ops; /* NULL: found at the first use */
	char layout[32];	  /* Docker's firewall layout, once read:
				 * "18.05-27", "28.1+" or "29" */
	char layout6[48];	  /* in the ip6 table: as layout, or "no
				 * Docker chains" (Docker writes no ip6
				 * rules: 20.10 without --ip6tables) */
	struct fw_env env6;	  /* env for the ip6 table (make_table) */
	int make6;		  /* the caller's: the ip6 table may be made
				 * (iptc: a Docker network has IPv6, a port
				 * is published on [::], a rule wanted) */
	char skip6[200];	  /* why IPv6 was left out, "" when not */
	int retries;		  /* runs redone after FW_AGAIN */
	int undone;		  /* AF_INET's commit undone (AF_INET6's
				 * failed) */
	int lean;		  /* the caller's: no change of the plans is
				 * read after backend_transact (none is
				 * printed), only their counts: a family's
				 * plan is freed during its commit, before
				 * the kernel's part (struct fw's release),
				 * unless an undo may need it (AF_INET's
				 * while AF_INET6's commit, with changes,
				 * is to come) */
	struct fw_state *mark;	  /* the caller's, or NULL: set at the end of
				 * a transaction that committed (or had
				 * nothing to), the lock still held; a
				 * legacy table as the transaction's
				 * libiptc read or committed it
				 * (fw_iptc_seen) */
	int marked;		  /* 1: *mark is the tables as that
				 * transaction left them, no commit of
				 * another between its read and now that
				 * the kernel can show (nf_tables: the
				 * generation moved by ours alone) */
	uint32_t gen0;		  /* the generation at the read (mark) */
	int gen0_ok;
};

/* b for env, with the backend ops (NULL: found when first needed). */
void backend_init(struct backend *b, const struct fw_env *env,
		  const struct fw_ops *ops);

/*
 * Finds b->ops now when it is not known (a --filter beyond the libiptc
 * subset is good on nf_tables only): the rule set with Docker's chains,
 * under the xtables lock, let go after. 0, or -1 with e set
 * (EXIT_RUNTIME: none has them, both have them, one cannot be read).
 */
int backend_pick(struct backend *b, struct err *e);

/*
 * The planner of a transaction, called per family with its snapshot f
 * (which it may edit) and its empty plan p; arg is the caller's. 0, or
 * -1 with e set (nothing is committed).
 */
typedef int (*backend_plan_fn)(struct fw *f, struct plan *p, void *arg,
			       struct err *e);

/*
 * One run: takes the xtables lock, finds the backend if need be, reads
 * the filter table of each family, checks Docker's chains are there
 * (b->layout), calls plan, checks every change may be written
 * (fw_change_check: what may not be written stops dry runs too), commits
 * unless dry_run (AF_INET first; when AF_INET6's commit fails,
 * AF_INET's changes are undone, and the error says whether that worked),
 * lets go of the lock. Redone from the reading on FW_AGAIN, at most
 * BACKEND_MAX_ATTEMPTS times (b->retries counts).
 * plans[k] gets the changes of backend_families[k] (applied, or planned
 * in a dry run; none for a family left out). 0, or -1 with e set
 * (EXIT_RUNTIME; or plan's) and nothing committed (the error says when
 * AF_INET's changes could not be undone).
 */
int backend_transact(struct backend *b, int dry_run, backend_plan_fn plan,
		     void *arg, struct plan plans[BACKEND_NFAMILIES],
		     struct err *e);

#endif
