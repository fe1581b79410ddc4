/* applet.h - the applet table: dispatch, --help and --install read it. */
#ifndef DFW_APPLET_H
#define DFW_APPLET_H

struct err;
struct cli; /* applets/config.h: the environment and global options */

struct applet {
	const char *name; /* "add-internal": dfw-add-internal */
	/* argv[0] is the name; cli what main.c read so far */
	int (*main)(int argc, char **argv, struct cli *cli);
	const char *usage; /* one line, after the applet name */
	const char *help;  /* paragraphs, each line ends in \n */
};

/* The applets of this binary, sorted by name, ended by a NULL name. */
extern const struct applet applet_table[];

/* "dfw-NAME" of the running applet, or "docker-fw"; for messages. */
extern const char *applet_name;

/* Looks NAME up in TAB (sorted, NULL-name terminated); NULL if absent. */
const struct applet *applet_find(const struct applet *tab, const char *name);

/*
 * Creates a symlink DIR/dfw-NAME -> TARGET for every applet of TAB.
 * Existing symlinks of that name are replaced (atomically, by rename);
 * any other file of that name is refused before anything is created.
 * Returns the number of links made, or -1 with e set (EXIT_USAGE: DIR
 * missing, not a directory, not writable, or a name taken by a non-link;
 * EXIT_RUNTIME: a failure midway).
 */
int applet_install(const struct applet *tab, const char *dir,
		   const char *target, struct err *e);

/* Basename of an argv[0]-style path ("/usr/bin/dfw-add" -> "dfw-add"). */
const char *applet_basename(const char *path);

#endif
