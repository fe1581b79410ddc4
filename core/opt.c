/* opt.c - the one option parser (see opt.h). */
#include <string.h>

#include "dfw/opt.h"

#define OPT_MAX 64 /* options in one table */

long opt_find(const struct opt *tab, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, tab[i].name) || (tab[i].letter && s[0] == '-' &&
						s[1] == tab[i].letter && !s[2]))
			return (long)i;
	return -1;
}

/* The option of tab that arg ("--name", "--name=V", "-s", "-sV") is,
 * with *v its attached value or NULL; -1 when none. */
static long match(const struct opt *tab, size_t n, const char *arg,
		  const char **v)
{
	size_t i, len;

	*v = NULL;
	if (arg[1] == '-') {
		len = strcspn(arg, "=");
		for (i = 0; i < n; i++)
			if (strlen(tab[i].name) == len &&
			    !memcmp(arg, tab[i].name, len)) {
				if (arg[len])
					*v = arg + len + 1;
				return (long)i;
			}
		return -1;
	}
	for (i = 0; i < n; i++)
		if (tab[i].letter && arg[1] == tab[i].letter) {
			if (arg[2] && (tab[i].flags & OPT_KIND) != OPT_VALUE)
				return -1; /* no bundling: -vx */
			if (arg[2])
				*v = arg + 2;
			return (long)i;
		}
	return -1;
}

static int bool_value(const struct opt *o, const char *v, const char **out,
		      struct err *e)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = "1";
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		*out = "0";
	else
		return err_set(e, EXIT_USAGE,
			       "%s \"%s\": the value is true or "
			       "false",
			       o->name, v);
	return 0;
}

int opt_parse(const struct opt *tab, size_t n, enum opt_args args, int argc,
	      char **argv, opt_fn *fn, void *arg, unsigned *seen, struct err *e)
{
	unsigned char given[OPT_MAX] = { 0 };
	int i, k = 0, dashes = 0;

	if (seen)
		*seen = 0;
	if (n > OPT_MAX)
		return err_set(e, EXIT_RUNTIME,
			       "option table of %zu entries "
			       "(at most %d)",
			       n, OPT_MAX);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v;
		const struct opt *o;
		long j;

		/* global options end at the first word not theirs */
		if (args == OPT_ARGS_FIRST &&
		    (a[0] != '-' || !a[1] || !strcmp(a, "--") ||
		     match(tab, n, a, &v) < 0))
			return i;
		if (dashes || a[0] != '-' || !a[1]) {
			if (args == OPT_ARGS_NONE)
				return err_set(e, EXIT_USAGE,
					       "unexpected "
					       "argument \"%s\"",
					       a);
			argv[k++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--") && args != OPT_ARGS_NONE) {
			dashes = 1;
			continue;
		}
		j = match(tab, n, a, &v);
		if (j < 0)
			return err_set(e, EXIT_USAGE, "unknown option \"%.*s\"",
				       a[1] == '-' ? (int)strcspn(a, "=") :
						     (int)strlen(a),
				       a);
		o = &tab[j];
		if (given[j] && !(o->flags & OPT_MANY))
			return err_set(e, EXIT_USAGE, "%s given twice",
				       o->name);
		given[j] = 1;
		if (seen && j < 32)
			*seen |= 1u << j;
		switch (o->flags & OPT_KIND) {
		case OPT_FLAG:
			if (v)
				return err_set(e, EXIT_USAGE,
					       "%s takes no "
					       "value",
					       o->name);
			break;
		case OPT_BOOL:
			if (bool_value(o, v, &v, e))
				return -1;
			break;
		default:
			if (v)
				break;
			if (i + 1 >= argc)
				return err_set(e, EXIT_USAGE,
					       "%s needs a value%s%s%s",
					       o->name, o->value ? " (" : "",
					       o->value ? o->value : "",
					       o->value ? ")" : "");
			v = argv[++i];
		}
		if (fn && fn(arg, (size_t)j, v, a, e))
			return -1;
	}
	return args == OPT_ARGS_FIRST ? argc : args == OPT_ARGS_ANY ? k : 0;
}
