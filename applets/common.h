/* common.h - what the applets share: messages and reading --from. */
#ifndef DFW_APPLETS_COMMON_H
#define DFW_APPLETS_COMMON_H

#include "dfw/engine.h"

#define APPLET(name, c, usage, help) int c##_main(int argc, char **argv);
#include "applets.h"
#undef APPLET

/* Prints "dfw-NAME: MSG" on stderr; returns e->code. */
int fail(const struct err *e);

/* Prints a usage error and the usage line; returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints g's warnings, "dfw-NAME: warning: ..." on stderr. */
void print_warnings(const struct engine *g);

/* Finds the store record of the container named name: what Docker
 * resolves it to, else (Docker does not know it, or is unreachable) a
 * stored name, or a stored ID or ID prefix.
 * *rec is loaded (maybe empty, with the ID set). 0, or -1 with e set
 * (EXIT_USAGE when neither the store nor Docker knows it). */
int find_record(struct engine *g, const char *name, struct store_rec *rec,
		struct err *e);

#endif
