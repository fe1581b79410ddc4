/*
 * opt.h - the one option parser: global options, every applet's options
 * and rule specs (on the command line and on --from lines).
 *
 * A table names the options. Each has a long name ("--source"), maybe a
 * short letter ('s' for -s) and a kind:
 *   OPT_FLAG   --name, -s                      (no value)
 *   OPT_VALUE  --name VALUE, --name=VALUE, -s VALUE, -sVALUE
 *   OPT_BOOL   --name, --name=true|false|1|0   (as the docker CLI's
 *                                               boolean flags)
 * As getopt_long, a value option takes the next argument whatever it is
 * (`--filter --syn` is the filter "--syn"); unlike it, there are no
 * abbreviations and no bundled letters (-sv). Each option may be given
 * once unless OPT_MANY. "--" ends the options (where arguments may
 * follow: else it is an unknown option); "-" alone is an argument
 * (stdin). All messages come from here, in one wording:
 *   unknown option "--x"
 *   --source needs a value (an address spec)
 *   --source given twice
 *   --rev-lookup takes no value
 *   --tls "yes": the value is true or false
 *   unexpected argument "x"
 */
#ifndef DFW_OPT_H
#define DFW_OPT_H

#include <stddef.h>

#include "dfw/util.h"

enum opt_kind {
	OPT_FLAG,
	OPT_VALUE,
	OPT_BOOL,
};

#define OPT_KIND 0xff  /* the enum opt_kind part of flags */
#define OPT_MANY 0x100 /* may be given more than once */

struct opt {
	const char *name;  /* "--source" */
	char letter;	   /* 's' for -s, 0: no short form */
	unsigned flags;	   /* enum opt_kind | OPT_MANY */
	const char *value; /* what the value is, for messages ("a
				 * folder"), or NULL */
};

/* What the arguments that are not options may be. */
enum opt_args {
	OPT_ARGS_ANY,	/* anywhere, kept in their order */
	OPT_ARGS_NONE,	/* none: "unexpected argument" */
	OPT_ARGS_FIRST, /* the first word that is not an option of
				 * the table ends the options: an argument,
				 * "--", or an option another parser reads
				 * (global options before the action) */
};

/*
 * Called for each option given, in order: i is its index in the table,
 * v its value (NULL for OPT_FLAG; "1" or "0" for OPT_BOOL; the value as
 * given for OPT_VALUE), word the argument as given ("--host=x", "-Hx",
 * or "-H" when the value was the next one), for messages. 0, or -1 with
 * e set (the message names the option, e.g. `--dport "0": not a port
 * (1-65535)`).
 */
typedef int opt_fn(void *arg, size_t i, const char *v, const char *word,
		   struct err *e);

/*
 * Parses argv[0..argc) (argv[0] is an argument like any other, not the
 * program name) against tab[0..n). With OPT_ARGS_ANY the arguments are
 * moved, in their order, to argv[0..k) and k is returned; OPT_ARGS_NONE
 * returns 0; OPT_ARGS_FIRST returns the index of the first word that is
 * not one of tab's options (argc when there is none) and leaves argv as
 * it is. seen (may be NULL) gets
 * bit i for each option i < 32 given. -1 with e set (EXIT_USAGE, or what
 * fn set) on the first error; fn may have been called for the options
 * before it.
 */
int opt_parse(const struct opt *tab, size_t n, enum opt_args args, int argc,
	      char **argv, opt_fn *fn, void *arg, unsigned *seen,
	      struct err *e);

/* The index in tab[0..n) of the option called s ("--name" or "-s"), or
 * -1. */
long opt_find(const struct opt *tab, size_t n, const char *s);

#endif
