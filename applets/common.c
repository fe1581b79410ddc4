/* common.c - what the applets share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dfw/applet.h"

int fail(const struct err *e)
{
	fprintf(stderr, "%s: %s\n", applet_name, e->msg);
	return e->code ? e->code : EXIT_RUNTIME;
}

int usage_error(const char *fmt, ...)
{
	const char *name = applet_name;
	const struct applet *a;
	va_list ap;

	fprintf(stderr, "%s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	/* "dfw-add" or "docker-fw add" */
	a = applet_find(applet_table, !strncmp(name, "dfw-", 4) ? name + 4 :
			!strncmp(name, "docker-fw ", 10) ? name + 10 : "");
	if (a)
		fprintf(stderr, "\nUsage: %s %s\n", name, a->usage);
	else
		fputc('\n', stderr);
	return EXIT_USAGE;
}

void print_warnings(const struct engine *g)
{
	size_t i;

	for (i = 0; i < g->warnings.n; i++)
		fprintf(stderr, "%s: warning: %s\n", applet_name,
			g->warnings.v[i]);
}

/*
 * Docker's own order, over Docker and the store together: a full ID or an
 * exact name first, then an ID prefix, which must be unique across both
 * (a removed container's stored name is not taken for a prefix of a
 * running one's ID).
 */
int find_record(struct engine *g, const char *name, struct store_rec *rec,
		struct err *e)
{
	const struct docker_container *c;
	struct store_rec *all;
	size_t i, n, len, exact = 0, prefix = 0, hit = 0;
	struct err de;
	int rc;

	if (*name == '/')
		name++;
	len = strlen(name);
	c = engine_container(g, name, &de);
	if (!c && strstr(de.msg, "ambiguous")) {
		*e = de;
		return -1;
	}
	if (c && (!strcmp(c->id, name) || !strcmp(c->name, name)))
		goto docker;
	if (store_load_all(&g->store, &all, &n, e))
		return -1;
	for (i = 0; i < n; i++)
		if (!strcmp(all[i].name, name) || !strcmp(all[i].id, name)) {
			exact++;
			hit = i;
		}
	for (i = 0; i < n && !exact; i++)
		if (len && !strncmp(all[i].id, name, len) &&
		    (!c || strcmp(all[i].id, c->id))) {
			prefix++;
			hit = i;
		}
	if (exact == 1 || (!c && prefix == 1)) {
		*rec = all[hit];
		memset(&all[hit], 0, sizeof(all[hit]));
	}
	store_recs_free(all, n);
	if (exact == 1 || (!c && prefix == 1))
		return 0;
	if (exact > 1)
		return err_set(e, EXIT_USAGE, "several stored containers are "
			       "named \"%s\": give the ID", name);
	if (prefix && c)
		return err_set(e, EXIT_USAGE, "ambiguous container ID prefix "
			       "\"%s\": more than one container matches", name);
	if (prefix > 1)
		return err_set(e, EXIT_USAGE, "\"%s\" names several stored "
			       "containers: give more of the ID", name);
	if (c)
		goto docker;
	if (de.code != EXIT_USAGE) {
		*e = de;
		return -1;
	}
	return err_set(e, EXIT_USAGE, "no such container \"%s\" (not known "
		       "to Docker nor stored)", name);
docker:
	rc = store_load(&g->store, c->id, rec, e);
	if (rc < 0)
		return -1;
	snprintf(rec->name, sizeof(rec->name), "%s", c->name);
	return 0;
}
