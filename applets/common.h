/* common.h - what the applets share: messages and reading --from. */
#ifndef DFW_APPLETS_COMMON_H
#define DFW_APPLETS_COMMON_H

#include "config.h"
#include "dfw/engine.h"

#define APPLET(name, c, usage, help) \
	int c##_main(int argc, char **argv, struct cli *cli);
#include "applets.h"
#undef APPLET

/* Prints "dfw-NAME: MSG" on stderr; returns e->code. */
int fail(const struct err *e);

/* Prints a usage error and the usage line; returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An error of the options: with EXIT_USAGE as usage_error (the message
 * escaped), else as fail. Returns e->code. */
int usage_fail(const struct err *e);

/* Opens g for the applet's run: the rest of the environment
 * (config_finish), then engine_init with what. 0, or -1 with e set. */
int applet_open(struct engine *g, struct cli *c, unsigned what,
		struct err *e);

/* Prints g's warnings, "dfw-NAME: warning: ..." on stderr. */
void print_warnings(const struct engine *g);

/*
 * Finds the store record of the container named name: the record of
 * the name of what Docker resolves it to (rules belong to names), else
 * (Docker does not know it, or is unreachable) a stored name, or a
 * stored ID or ID prefix (the last ID seen, or that of another file of
 * the name; a file that cannot be read is found by its ID, and by the
 * name its line 2 gives when it could be read). *rec is loaded (maybe
 * empty, with the ID set). With bad (drop), a store file that cannot be
 * read is no error: *rec is then empty with
 * its ID (and the name Docker or the file gives) and *bad says why; bad's
 * msg is "" when the file was read. 0, or -1 with e set (EXIT_USAGE when
 * neither the store nor Docker knows it; the file's error, with what to
 * do, when it cannot be read and bad is NULL).
 */
int find_record(struct engine *g, const char *name, struct store_rec *rec,
		struct err *bad, struct err *e);

/* Adds what to do to the error of a store file that cannot be read:
 * fix or remove it, or drop the container (by the ID12 of id). */
void bad_file_hint(struct err *e, const char *id);

#endif
