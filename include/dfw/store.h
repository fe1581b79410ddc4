/*
 * store.h - the rule specs docker-fw keeps, one flat file per container.
 *
 * The folder is the configuration's (config.h: --state-dir, else
 * $DFW_STATE_DIR), else /var/lib/docker-fw (mode 0700, created on the
 * first write). Rules belong to a container NAME: each name has one file,
 * named by the full ID (64 hex digits) of the last container of that name
 * docker-fw saw (kept for information, and for `ls`/`drop` by an ID of a
 * container that is gone), mode 0600:
 *
 *   docker-fw-store 1
 *   container ID NAME
 *   rule add --source 10.0.0.0/8 --dest . --dport 80 --protocol tcp
 *   rule add-internal --source db --dest . --dport 5432 --protocol tcp
 *   hostconfig port 80/tcp 0.0.0.0 8080
 *   end 2
 *
 * Line 1 is the format version. `container` gives the ID (the file's
 * name) and the name: the key. A docker-fw before names were the key
 * wrote a new file when a container was recreated with the same name and
 * left the old one: several files holding one name are read as one
 * record (store_load_all, store_load_name: the rules of all, each once,
 * the file of the lowest ID first), and the next write of that record
 * removes the others (store_rec.gone). Each `rule` line is an action name and
 * its canonical rule spec (rulespec_format), in the order they were
 * added. `hostconfig` lines are what save-hostconfig keeps (see
 * hostconfig.h), in its canonical form. `end N` closes the file with the
 * number of rule lines, so a truncated file is detected. Unknown line
 * kinds are errors: a file is never half-understood.
 *
 * Words are split and quoted as rulespec_split and rulespec_quote do, so
 * a value may hold any byte but NUL: one with a control character (a
 * newline in a bind-mount path) is written as $'...' (\n, \xHH), and no
 * line ever holds a raw control character but a tab. Versions: 1 is the
 * format without $'...' words; 2 may hold them (a version-1 reader would
 * take `$'a\nb'` for the literal text). A file is written with the lowest
 * version that holds it, so a file without such values stays readable by
 * docker-fw versions that read only 1; all are read. Version 3 may
 * also end a rule line with `--made-on NET`: the network the rule was
 * made on (rulespec.h, made_on: add records it when --network is not
 * given), which replay uses when the container, or it and its peer, are
 * on several networks later; it is not a rule option (ls and --from do
 * not show or take it). A file holding one is version 3, else as above,
 * so a file without one stays readable by older docker-fw.
 *
 * Caps, checked while reading and before writing (a file that breaks one
 * is never written; a longer one is an error naming it): STORE_MAX_BYTES
 * in all, STORE_MAX_LINE bytes a line, STORE_MAX_RULES rule lines,
 * STORE_MAX_HOSTCONFIG hostconfig lines.
 *
 * Nothing in the folder is followed through a symbolic link: the lock,
 * the files and the temporary files are opened relative to the folder
 * with O_NOFOLLOW (the folder itself, as given, may be a link). A link,
 * or anything but a regular file, where the lock or a store file goes is
 * an error naming it, for reads and writes alike.
 *
 * A file is replaced atomically: written to a temporary file
 * (.ID.tmp.PID) in the same folder, fsync'd, renamed over the old one,
 * and the folder fsync'd. Writers hold an exclusive flock on DIR/.lock
 * (store_open), taken before the xtables lock, for the whole
 * read-change-write.
 */
#ifndef DFW_STORE_H
#define DFW_STORE_H

#include <stddef.h>

#include "dfw/rulespec.h"
#include "dfw/util.h"

#define STORE_DEFAULT_DIR "/var/lib/docker-fw"
#define STORE_VERSION 3 /* the newest this docker-fw reads */
#define STORE_MADE_ON \
	"--made-on"		    /* closes a rule line: the network the
				     * rule was made on (version 3) */
#define STORE_MAX_BYTES (16u << 20) /* a whole file: 16 MiB */
#define STORE_MAX_LINE (64 * 1024)  /* a line, its newline not counted */
#define STORE_MAX_RULES 10000	    /* rule lines in a file */
#define STORE_MAX_HOSTCONFIG 10000  /* hostconfig lines in a file */

struct store {
	char dir[4096];
	int dir_fd;  /* the folder; -1: missing (read only) */
	int lock_fd; /* -1 when not locked */
};

/* One container's file. */
struct store_rec {
	char id[65];	/* full ID, 64 lowercase hex digits: the
				 * last container of the name seen, the
				 * file's name ("" when the name has no
				 * file yet: set it before saving) */
	char name[256]; /* without a leading '/': the key */
	struct rulespec *rules;
	size_t nrules;
	size_t cap;		/* entries rules holds (store.c's to grow) */
	struct strv hostconfig; /* save-hostconfig: "KEY WORD..." lines */
	struct strv gone;	/* IDs of other files holding this name (an
				 * older store, or the file of the ID before
				 * a container was recreated): removed when
				 * the record is saved */
};

/*
 * Opens the folder dir (NULL: STORE_DEFAULT_DIR). With lock, creates it (0700) when
 * missing and takes the exclusive lock (waiting for it); without, only
 * reads will follow and a missing folder is an empty store. 0, or -1
 * with e set (EXIT_RUNTIME naming the folder or the lock; EXIT_USAGE for
 * an empty or too long name). Close with store_close.
 */
int store_open(struct store *s, const char *dir, int lock, struct err *e);
void store_close(struct store *s); /* drops the lock, closes the folder */

/*
 * Loads the file of container id (a full ID) into r (zeroed first; free
 * with store_rec_free). Returns 1 when loaded, 0 when there is no file (r
 * is then empty with r->id set), or -1 with e set: EXIT_RUNTIME naming
 * FILE:LINE and what is wrong for a truncated, corrupt, unknown-version
 * or over-cap file, FILE for a symbolic link or not a regular file, or
 * the system error. On -1, r holds no rules, r->id is set, and r->name
 * too when the file's line 2 could be read (else "").
 */
int store_load(struct store *s, const char *id, struct store_rec *r,
	       struct err *e);

/*
 * Loads the record of the container named name: every file whose line 2
 * holds that name, merged (see above; r->gone lists the files but the
 * first). id (may be NULL) is the ID of the container holding the name
 * now: a file of that name that cannot be read, line 2 included, is
 * taken for the name's too. Returns 1 when loaded, 0 when no file holds
 * the name (r is then empty with r->name set and r->id ""), or -1 with e
 * set as store_load for a file of the name that cannot be read (r->id
 * its ID, r->name set) or a folder that cannot be read.
 */
int store_load_name(struct store *s, const char *name, const char *id,
		    struct store_rec *r, struct err *e);

/* A file store_load_all could not load. */
struct store_bad {
	char id[65];	/* its name: the container's full ID */
	char name[256]; /* the container's, when line 2 was read */
	struct err err; /* why, naming the file */
};

/*
 * Loads every container's record, sorted by name then ID, files holding
 * one name merged into one record. Files whose name is
 * not a full ID (temporary files, .lock) are skipped. With bad, a file
 * that cannot be loaded does not stop it: it goes to *bad (*nbad of
 * them, sorted by ID; free with free()) and the others load; without
 * (NULL), the first one is the error. 0, or -1 with e set (the folder
 * cannot be read, out of memory, or the first bad file without bad).
 */
int store_load_all(struct store *s, struct store_rec **v, size_t *n,
		   struct store_bad **bad, size_t *nbad, struct err *e);

/*
 * The text of a store file, both ways. store_parse reads data[0..len)
 * (modified in place: newlines, and the blanks of lines of plain words,
 * become NULs; nothing of the record points into it) as the file of
 * container id
 * into r (zeroed first; free with store_rec_free); path names it in
 * messages. 0, or -1 as store_load. store_format appends the file r
 * makes (the lowest version that holds it) to out; 0, or -1 with e set
 * (EXIT_USAGE for a record past a cap, EXIT_RUNTIME for one that cannot
 * be written: a bad action or address, a hostconfig line that is not
 * "KEY WORD..."). store_parse of store_format's text gives back r.
 */
int store_parse(char *data, size_t len, const char *path, const char *id,
		struct store_rec *r, struct err *e);
int store_format(const struct store_rec *r, struct buf *out, struct err *e);

/*
 * Writes r atomically (see above); a record without rules and without
 * hostconfig lines removes the file (missing is fine); the files of
 * r->gone are removed with it, after it. The caller holds the lock. 0,
 * or -1 with e set (EXIT_RUNTIME; EXIT_USAGE past a cap) and the old
 * file unchanged.
 */
int store_save(struct store *s, const struct store_rec *r, struct err *e);

/*
 * The same in two steps, so that a run can fail before it changes the
 * kernel: store_prepare writes the new file as a synced temporary file
 * (a removal checks that the folder takes changes) and checks that the
 * old file (and those of r->gone) can be replaced; store_commit renames
 * it into place (or removes the file), then removes those of r->gone,
 * and syncs the folder; store_abort drops the
 * temporary file. Disk full, a read-only or immutable file or folder, a
 * symbolic link or not a regular file in the file's place, a record past
 * a cap: an error from store_prepare, with nothing changed. The store
 * stays open until store_commit or store_abort.
 */
struct store_txn {
	int dir_fd;	  /* the store's, borrowed */
	char path[4200];  /* DIR/ID, for messages */
	char tmp[4200];	  /* DIR/.ID.tmp.PID */
	char name[65];	  /* ID */
	char tmpname[96]; /* .ID.tmp.PID */
	int remove;
	int ready;
	struct strv gone; /* other files to remove (r->gone) */
	int only_gone;	  /* no file of r->id to remove: just those */
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
