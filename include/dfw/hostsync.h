/*
 * hostsync.h - the hosts entries of add-two-ways rules: the peer named
 * by --source maps the container's name to its address in its
 * /etc/hosts, or (dropped, stopped, removed) to nothing.
 *
 * The order, so that nothing is half-applied: the entries are planned
 * (hostsync_plan, per rule), then every peer's hosts file is checked,
 * locked (with a timeout: a container may hold an flock on its own
 * /etc/hosts) and edited in memory before anything changes
 * (hostsync_check); the files are written right before the kernel
 * commit, once the plan is made (hostsync_apply), and written back as
 * they were when the commit fails (hostsync_undo); hostsync_finish
 * closes and reports. An entry that a new rule needs (strict) stops the
 * run with nothing changed when it cannot be set; any other (replay,
 * start, drop) is reported for its container, and the rest of the run
 * goes on.
 *
 * Two ways to a file: in place (the file at HostsPath, opened, locked
 * and rewritten; a local daemon) or through docker exec and a POSIX sh
 * in the container (a remote daemon, or DFW_HOSTS=exec).
 */
#ifndef DFW_HOSTSYNC_H
#define DFW_HOSTSYNC_H

#include "dfw/docker.h"
#include "dfw/fw.h"
#include "dfw/hosts.h"
#include "dfw/rulespec.h"
#include "dfw/util.h"
#include "dfw/view.h"

/* A hosts entry to set (ip) or remove (ip ""), in peer's hosts file. */
struct hosts_change {
	const struct docker_container *peer;
	char name[256];
	char ip[16];
	char ip6[46]; /* "" none: no IPv6 line */
	int changed;  /* after the run: 1 the file changed (dry
				 * run: would), 2 not read (dry run, paused),
				 * 3 cannot be set (dry run, a warning says
				 * why) */
	int strict;   /* a new rule needs it: if it cannot be set,
				 * nothing changes */
};

struct hosts_job;

struct hostsync {
	struct docker *d; /* the caller's, as v and warnings */
	struct view *v;
	struct strv *warnings; /* one line each, no prefix */
	int exec_way;	       /* docker exec, not the file in place */
	int dry_run;	       /* check, write nothing, unpause nothing */
	/* the entries, for the caller to print (they outlive a run) */
	struct hosts_change *ent;
	size_t nent;
	/* the run: one job per peer, from check to finish */
	struct hosts_job *jobs;
	size_t njobs;
	struct docker_info info;
	int have_info; /* 1 read, -1 failed (why in info_err) */
	struct err info_err;
	int applied; /* hostsync_apply ran */
};

/* h for the connection d and the view v (pointers kept); exec_way and
 * dry_run as above; warnings gets what does not stop a run. */
void hostsync_init(struct hostsync *h, struct docker *d, struct view *v,
		   int exec_way, int dry_run, struct strv *warnings);

/* Ends the run (as hostsync_finish with no error) and frees the
 * entries. */
void hostsync_free(struct hostsync *h);

/*
 * The entry the rule spec rs of the container named name asks for: when
 * rs is an add-two-ways rule whose --source peer runs, the peer maps
 * name to the IPv4 destination of r (its AF_INET rule) and to the IPv6
 * one of r6 (its AF_INET6 rule; NULL: no IPv6 line, one there goes), or
 * to nothing when r is NULL (dropped, stopped, removed: both lines go).
 * strict: the rule is new.
 * The same entry asked twice is one (strict if either is). 0, or -1 with
 * e set (EXIT_RUNTIME).
 */
int hostsync_plan(struct hostsync *h, const struct rulespec *rs,
		  const char *name, const struct fw_rule *r,
		  const struct fw_rule *r6, int strict, struct err *e);

/* Checks, locks and reads each peer's file and makes its new text
 * (nothing changes). -1 with e set when a strict entry cannot be set;
 * the others' failures are kept for hostsync_finish. 0 otherwise. */
int hostsync_check(struct hostsync *h, struct err *e);

/* Writes every file whose text changes (right before the commit; once
 * per run). -1 with e set when a strict one fails: the caller undoes the
 * others (hostsync_undo). */
int hostsync_apply(struct hostsync *h, struct err *e);

/* The commit failed: the files written go back to what they were
 * (failures are warnings). */
void hostsync_undo(struct hostsync *h);

/* Closes the files, pauses again what was unpaused, ends the run. With
 * e: the failures of non-strict entries go in e (the first, EXIT_RUNTIME,
 * saying that everything else was applied) and the warnings (the
 * others): 1; else 0. */
int hostsync_finish(struct hostsync *h, struct err *e);

#endif
