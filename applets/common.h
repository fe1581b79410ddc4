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
int applet_open(struct engine *g, struct cli *c, unsigned what, struct err *e);

/* Prints g's warnings, "dfw-NAME: warning: ..." on stderr. */
void print_warnings(const struct engine *g);

/* What a sync run did, on the terminal: g's warnings, then notes (lines
 * "dfw-NAME: LINE"; may be NULL), with -v the backend line (stderr), with
 * -v or a dry run the changes (stdout). */
void report_print(const struct engine *g, const struct dfw_config *o,
		  const struct strv *notes);

/* The exit code of a sync run report_print showed: stdout flushed
 * (EXIT_RUNTIME when it cannot be written); partial (engine_sync gave 1:
 * applied but for the hosts entries e names): e printed, its code; a
 * dry run with something to change: EXIT_NO; else EXIT_DONE. */
int report_code(const struct engine *g, const struct dfw_config *o, int partial,
		const struct err *e);

#endif
