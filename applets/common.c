/* common.c - what the applets share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dfw/applet.h"

int fail(const struct err *e)
{
	char m[sizeof(e->msg) * 4];

	/* no control character reaches the terminal, whatever a daemon
	 * or a user gave (util.h, str_escape_n) */
	fprintf(stderr, "%s: %s\n", applet_name,
		str_escape_n(m, sizeof(m), e->msg, strlen(e->msg), 0));
	return e->code ? e->code : EXIT_RUNTIME;
}

/* The usage line of the running applet, after its message. */
static int usage_line(void)
{
	const char *name = applet_name;
	const struct applet *a;

	/* "dfw-add" or "docker-fw add" */
	a = applet_find(applet_table, !strncmp(name, "dfw-", 4) ? name + 4 :
			!strncmp(name, "docker-fw ", 10) ? name + 10 : "");
	if (a)
		fprintf(stderr, "\nUsage: %s %s\n", name, a->usage);
	else
		fputc('\n', stderr);
	return EXIT_USAGE;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", applet_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	return usage_line();
}

int usage_fail(const struct err *e)
{
	char m[sizeof(e->msg) * 4];

	if (e->code != EXIT_USAGE)
		return fail(e);
	fprintf(stderr, "%s: %s", applet_name,
		str_escape_n(m, sizeof(m), e->msg, strlen(e->msg), 0));
	return usage_line();
}

int applet_open(struct engine *g, struct cli *c, unsigned what,
		struct err *e)
{
	if (config_finish(c, e))
		return -1;
	return engine_init(g, &c->cfg, what, e);
}

void print_warnings(const struct engine *g)
{
	char m[2048];
	size_t i;

	for (i = 0; i < g->warnings.n; i++)
		fprintf(stderr, "%s: warning: %s\n", applet_name,
			str_escape_n(m, sizeof(m), g->warnings.v[i],
				   strlen(g->warnings.v[i]), 0));
}

void bad_file_hint(struct err *e, const char *id)
{
	size_t len = strlen(e->msg);

	snprintf(e->msg + len, sizeof(e->msg) - len, " (fix the file, or "
		 "`docker-fw drop %.12s` removes the container's rules and "
		 "the file)", id);
}

/* A store file store_load could not read: an error with what to do, or
 * (bad set) an empty record with the ID and the name it is known by. */
static int unreadable(struct store_rec *rec, const char *id,
		      const char *name, struct err *why, struct err *bad,
		      struct err *e)
{
	if (!bad) {
		*e = *why;
		bad_file_hint(e, id);
		return -1;
	}
	*bad = *why;
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->id, sizeof(rec->id), "%s", id);
	snprintf(rec->name, sizeof(rec->name), "%s", name);
	return 0;
}

/* Whether one of the other files merged into r (an older store's, see
 * store.h) has the ID s, or (len) an ID starting with s[0..len). */
static int gone_id(const struct store_rec *r, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < r->gone.n; i++)
		if (len ? !strncmp(r->gone.v[i], s, len) :
			  !strcmp(r->gone.v[i], s))
			return 1;
	return 0;
}

/*
 * Docker's own order, over Docker and the store together: a full ID or an
 * exact name first, then an ID prefix, which must be unique across both
 * (a removed container's stored name is not taken for a prefix of a
 * running one's ID). Files that cannot be read count by their ID (and
 * the name of their line 2, when it was read).
 */
int find_record(struct engine *g, const char *name, struct store_rec *rec,
		struct err *bad, struct err *e)
{
	const struct docker_container *c;
	struct store_rec *all;
	struct store_bad *bv;
	size_t i, n, nb, len, exact = 0, prefix = 0, hit = 0;
	struct err de, le;
	int rc;

	if (bad)
		bad->msg[0] = 0;
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
	if (store_load_all(&g->store, &all, &n, &bv, &nb, e))
		return -1;
	for (i = 0; i < n + nb; i++) {
		const char *id = i < n ? all[i].id : bv[i - n].id;
		const char *nm = i < n ? all[i].name : bv[i - n].name;

		if (!strcmp(nm, name) || !strcmp(id, name) ||
		    (i < n && gone_id(&all[i], name, 0))) {
			exact++;
			hit = i;
		}
	}
	for (i = 0; i < n + nb && !exact; i++) {
		const char *id = i < n ? all[i].id : bv[i - n].id;

		if (len && ((!strncmp(id, name, len) &&
			     (!c || strcmp(id, c->id))) ||
			    (i < n && gone_id(&all[i], name, len)))) {
			prefix++;
			hit = i;
		}
	}
	rc = exact == 1 || (!c && prefix == 1);
	if (rc && hit < n) {
		*rec = all[hit];
		memset(&all[hit], 0, sizeof(all[hit]));
	} else if (rc) {
		le = bv[hit - n].err;
		rc = unreadable(rec, bv[hit - n].id, bv[hit - n].name, &le,
				bad, e) ? -1 : 1;
	}
	store_recs_free(all, n);
	free(bv);
	if (rc)
		return rc < 0 ? -1 : 0;
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
	/* rules belong to the name: the record may be of an earlier
	 * container of that name (engine_sync takes it over) */
	rc = store_load_name(&g->store, c->name, c->id, rec, &le);
	if (rc < 0)
		return unreadable(rec, *rec->id ? rec->id : c->id, c->name,
				  &le, bad, e);
	if (!*rec->id)
		snprintf(rec->id, sizeof(rec->id), "%s", c->id);
	return 0;
}
