/*
 * settings.h - what `init` chose, kept in the store folder so that
 * replay, start, add and watch re-assert the same (engine.h). One small
 * file, SETTINGS_FILE in the store folder (store.h: the same folder, lock
 * and rules - no symbolic link followed, replaced atomically by a
 * temporary file, fsync, rename, fsync of the folder), mode 0600:
 *
 *   docker-fw-settings 1
 *   to-host closed
 *   network bridge
 *   network front
 *   end
 *
 * `to-host` is `closed` (init's DROP of container -> host traffic in
 * DFW-INPUT, plan_host) or `open` (`init --to-host open`: Docker's old
 * behaviour, the host's INPUT decides). Each `network` line names a
 * network init closed (by name: a network removed and made again gets a
 * new bridge, and is closed again by name). No file: init never ran
 * (this docker-fw's), and nothing of init's is re-asserted. An unknown
 * line, a version other than 1, a missing `end` are errors naming
 * FILE:LINE: a file is never half-understood.
 */
#ifndef DFW_SETTINGS_H
#define DFW_SETTINGS_H

#include "dfw/config.h"
#include "dfw/store.h"
#include "dfw/util.h"

#define SETTINGS_FILE "settings"
#define SETTINGS_MAX_BYTES (1u << 20) /* the whole file */

struct settings {
	int found;	  /* the file is there: init ran */
	int host_open;	  /* to-host open */
	struct strv nets; /* the networks init closed, by name */
};

/* Loads the settings of store s (open, for reading or writing) into st
 * (zeroed first; free with settings_free). 0 (st->found 0 when there is
 * no file), or -1 with e set (EXIT_RUNTIME naming the file, or FILE:LINE
 * and what is wrong). */
int settings_load(const struct store *s, struct settings *st, struct err *e);

/* Adds the network name to st unless there. 0, or -1 (ENOMEM). A name
 * that is not one word (a blank, a control character) is refused:
 * -1 with errno EINVAL (Docker makes no such name). */
int settings_add_net(struct settings *st, const char *name);

/*
 * Writes st into store s (locked) in two steps, as store_prepare and
 * store_commit do: settings_prepare writes and syncs the temporary file
 * (a full disk or a read-only folder is an error here, before anything
 * else changed); settings_commit renames it into place and syncs the
 * folder; settings_abort drops it. 0, or -1 with e set (EXIT_RUNTIME
 * naming the file).
 */
struct settings_txn {
	int dir_fd; /* the store's, borrowed; -1: nothing staged */
	char tmpname[64];
	char path[sizeof(((struct store *)0)->dir) + 96];
};
int settings_prepare(const struct store *s, const struct settings *st,
		     struct settings_txn *t, struct err *e);
int settings_commit(struct settings_txn *t, struct err *e);
void settings_abort(struct settings_txn *t);

void settings_free(struct settings *st);

/*
 * Whether init left container -> host traffic open (`init --to-host
 * open`) in the store of cfg (cfg->state_dir, else STORE_DEFAULT_DIR),
 * read without the lock: 1 open, 0 closed (also when init never ran: no
 * settings file, or no store folder), -1 with e set (the file cannot be
 * read). For `check`, which reports an open host as chosen, not broken.
 */
int dfw_host_open(const struct dfw_config *cfg, struct err *e);

#endif
