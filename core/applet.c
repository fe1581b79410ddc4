/* applet.c - applet lookup and --install. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/applet.h"
#include "dfw/util.h"

const char *applet_name = "docker-fw";

const char *applet_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

const struct applet *applet_find(const struct applet *tab, const char *name)
{
	for (; tab->name; tab++)
		if (!strcmp(tab->name, name))
			return tab;
	return NULL;
}

int applet_install(const struct applet *tab, const char *dir,
		   const char *target, struct err *e)
{
	const struct applet *a;
	char path[4096], tmp[4096];
	struct stat st;
	int n = 0;

	if (stat(dir, &st))
		return err_set(e, EXIT_USAGE, "cannot install into \"%s\": %s",
			       dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, EXIT_USAGE,
			       "cannot install into \"%s\": not a directory",
			       dir);
	if (access(dir, W_OK | X_OK))
		return err_set(e, EXIT_USAGE, "cannot install into \"%s\": %s",
			       dir, strerror(errno));
	/* Check every name first, so a refusal changes nothing. */
	for (a = tab; a->name; a++) {
		if (snprintf(path, sizeof(path), "%s/dfw-%s", dir, a->name) >=
		    (int)sizeof(path))
			return err_set(e, EXIT_USAGE,
				       "cannot install into \"%s\": "
				       "path too long",
				       dir);
		if (!lstat(path, &st) && !S_ISLNK(st.st_mode))
			return err_set(e, EXIT_USAGE,
				       "cannot install \"%s\": a file that is "
				       "not a symlink has that name",
				       path);
	}
	for (a = tab; a->name; a++) {
		snprintf(path, sizeof(path), "%s/dfw-%s", dir, a->name);
		snprintf(tmp, sizeof(tmp), "%s/.dfw-%s.%ld", dir, a->name,
			 (long)getpid());
		unlink(tmp);
		if (symlink(target, tmp) || rename(tmp, path)) {
			int saved = errno;

			unlink(tmp);
			return err_set(e, EXIT_RUNTIME,
				       "cannot create symlink \"%s\": %s", path,
				       strerror(saved));
		}
		n++;
	}
	return n;
}
