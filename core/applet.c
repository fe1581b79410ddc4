/* applet.c - applet lookup and --install. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/applet.h"
#include "dfw/tls.h"
#include "dfw/transport.h"
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
				       "path too long", dir);
		if (!lstat(path, &st) && !S_ISLNK(st.st_mode))
			return err_set(e, EXIT_USAGE,
				       "cannot install \"%s\": a file that is "
				       "not a symlink has that name", path);
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

/* "--NAME", "--NAME=true|false|1|0": *b; 1 if a is one, -1 if the value
 * is bad, 0 if a is another option. */
static int bool_opt(const char *a, const char *name, int *b)
{
	size_t n = strlen(name);

	if (strncmp(a, name, n) || (a[n] && a[n] != '='))
		return 0;
	if (!a[n] || !strcmp(a + n + 1, "true") || !strcmp(a + n + 1, "1"))
		*b = 1;
	else if (!strcmp(a + n + 1, "false") || !strcmp(a + n + 1, "0"))
		*b = 0;
	else
		return -1;
	return 1;
}

static const struct {
	const char *name;
	unsigned given;
	size_t off;
} tls_files[] = {
	{ "--tlscacert", TLS_GIVEN_CA, offsetof(struct tls_opts, ca) },
	{ "--tlscert", TLS_GIVEN_CERT, offsetof(struct tls_opts, cert) },
	{ "--tlskey", TLS_GIVEN_KEY, offsetof(struct tls_opts, key) },
};

/* The TLS options (tls.h) at argv[*i]: 1 consumed, 0 not one, -1 bad. */
static int tls_opt(int argc, char **argv, int *i, struct err *e)
{
	const char *a = argv[*i], *v;
	size_t k, n;
	int b, r;

	if ((r = bool_opt(a, "--tls", &b)) || (r = bool_opt(a, "--tlsverify",
							      &b))) {
		int verify = a[5] == 'v';

		if (r < 0)
			return err_set(e, EXIT_USAGE, "%s: the value is true or "
				       "false", a);
		*(verify ? &tls_cli.verify : &tls_cli.tls) = b;
		tls_cli.given |= verify ? TLS_GIVEN_VERIFY : TLS_GIVEN_TLS;
		return 1;
	}
	for (k = 0; k < sizeof(tls_files) / sizeof(tls_files[0]); k++) {
		n = strlen(tls_files[k].name);
		if (strncmp(a, tls_files[k].name, n) || (a[n] && a[n] != '='))
			continue;
		if (a[n]) {
			v = a + n + 1;
		} else if (*i + 1 < argc) {
			v = argv[++*i];
		} else {
			return err_set(e, EXIT_USAGE, "%s needs a file",
				       tls_files[k].name);
		}
		if (!*v || strlen(v) >= PATH_MAX)
			return err_set(e, EXIT_USAGE, "%s: %s file name",
				       tls_files[k].name, *v ? "a too long" :
				       "an empty");
		strcpy((char *)&tls_cli + tls_files[k].off, v);
		tls_cli.given |= tls_files[k].given;
		return 1;
	}
	return 0;
}

int applet_global_opts(int argc, char **argv, int *i, struct err *e)
{
	struct endpoint ep;
	const char *a, *v, *host = NULL;
	int r;

	while (*i < argc) {
		a = argv[*i];
		r = tls_opt(argc, argv, i, e);
		if (r < 0)
			return -1;
		if (r) {
			++*i;
			continue;
		}
		if (!strcmp(a, "-H") || !strcmp(a, "--host")) {
			if (*i + 1 >= argc)
				return err_set(e, EXIT_USAGE, "%s needs a "
					       "value (unix:///PATH or "
					       "tcp://HOST:PORT)", a);
			v = argv[++*i];
		} else if (!strncmp(a, "--host=", 7)) {
			v = a + 7;
		} else if (!strncmp(a, "-H", 2)) {
			v = a + 2;
		} else {
			break;
		}
		if (host)
			return err_set(e, EXIT_USAGE, "%s: the daemon was given "
				       "twice (-H, --host)", a);
		if (!*v || endpoint_parse(v, &ep, e))
			return *v ? -1 : err_set(e, EXIT_USAGE,
						 "%s: empty host", a);
		host = v;
		++*i;
	}
	if (host && setenv("DOCKER_HOST", host, 1))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}
