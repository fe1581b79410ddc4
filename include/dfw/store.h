/*
 * store.h - the rule specs docker-fw keeps, one flat file per container.
 *
 * The folder is --state-dir, else $DFW_STATE_DIR, else /var/lib/docker-fw
 * (mode 0700, created on the first write). Each container has a file named
 * by its full ID (64 hex digits), mode 0600:
 *
 *   docker-fw-store 1
 *   container ID NAME
 *   rule add --source 10.0.0.0/8 --dest . --dport 80 --protocol tcp
 *   rule add-internal --source db --dest . --dport 5432 --protocol tcp
 *   hostconfig port 80/tcp 0.0.0.0 8080
 *   end 2
 *
 * Line 1 is the format version. `container` gives the ID and the name the
 * container had when the file was last written (the name used in the
 * comments of its kernel rules). Each `rule` line is an action name and
 * its canonical rule spec (rulespec_format), in the order they were
 * added. `hostconfig` lines are what save-hostconfig keeps (see
 * hostconfig.h), in its canonical form. `end N` closes the file with the
 * number of rule lines, so a
 * truncated file is detected. Unknown line kinds are errors: a file is
 * never half-understood.
 *
 * A file is replaced atomically: written to a temporary file in the same
 * folder, fsync'd, renamed over the old one, and the folder fsync'd.
 * Writers hold an exclusive flock on DIR/.lock (store_open), taken before
 * the xtables lock, for the whole read-change-write.
 */
#ifndef DFW_STORE_H
#define DFW_STORE_H

#include <stddef.h>

#include "dfw/rulespec.h"
#include "dfw/util.h"

#define STORE_DEFAULT_DIR "/var/lib/docker-fw"
#define STORE_VERSION 1

struct store {
	char dir[4096];
	int lock_fd;		/* -1 when not locked */
};

/* One container's file. */
struct store_rec {
	char id[65];		/* full ID, 64 lowercase hex digits */
	char name[256];		/* without a leading '/' */
	struct rulespec *rules;
	size_t nrules;
	struct strv hostconfig;	/* save-hostconfig: "KEY WORD..." lines */
};

/*
 * Resolves the folder (dir if not NULL, else $DFW_STATE_DIR, else
 * STORE_DEFAULT_DIR). With lock, creates it (0700) when missing and takes
 * the exclusive lock (waiting for it); without, only reads will follow
 * and a missing folder is an empty store. 0, or -1 with e set
 * (EXIT_RUNTIME, naming the folder).
 */
int store_open(struct store *s, const char *dir, int lock, struct err *e);
void store_close(struct store *s);	/* drops the lock */

/*
 * Loads the file of container id (a full ID) into r (zeroed first; free
 * with store_rec_free). Returns 1 when loaded, 0 when there is no file (r
 * is then empty with r->id set), or -1 with e set: EXIT_RUNTIME naming
 * FILE:LINE and what is wrong for a truncated, corrupt or unknown-version
 * file, or the system error.
 */
int store_load(struct store *s, const char *id, struct store_rec *r,
	       struct err *e);

/*
 * Loads every container file, sorted by name then ID. Files whose name is
 * not a full ID (temporary files, .lock) are skipped. 0 or -1 as
 * store_load (the first bad file stops it).
 */
int store_load_all(struct store *s, struct store_rec **v, size_t *n,
		   struct err *e);

/*
 * Writes r atomically (see above); a record without rules and without
 * hostconfig lines removes the file (missing is fine). The caller holds the lock. 0, or -1 with e set
 * (EXIT_RUNTIME) and the old file unchanged.
 */
int store_save(struct store *s, const struct store_rec *r, struct err *e);

/*
 * The same in two steps, so that a run can fail before it changes the
 * kernel: store_prepare writes the new file as a synced temporary file
 * (a removal checks that the folder takes changes) and checks that the
 * old file can be replaced; store_commit renames it into place (or
 * removes the file) and syncs the folder; store_abort drops the
 * temporary file. Disk full, a read-only or immutable file or folder: an
 * error from store_prepare, with nothing changed.
 */
struct store_txn {
	char path[4200];
	char tmp[4200];
	char dir[4096];
	int remove;
	int ready;
};
int store_prepare(struct store *s, const struct store_rec *r,
		  struct store_txn *t, struct err *e);
int store_commit(struct store_txn *t, struct err *e);
void store_abort(struct store_txn *t);

/* Appends a copy of rule to r. 0 or -1 (ENOMEM). */
int store_rec_add(struct store_rec *r, const struct rulespec *rule);

void store_rec_free(struct store_rec *r);
void store_recs_free(struct store_rec *v, size_t n);

#endif
