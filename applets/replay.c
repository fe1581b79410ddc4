/*
 * replay.c - re-applies stored rules with the addresses Docker gives now,
 * changing only what differs; drop.c's sibling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Adds rec to items unless its container is there already. */
static int push(struct sync_item **items, size_t *n, struct store_rec *rec,
		int drop)
{
	size_t i;
	void *p;

	for (i = 0; i < *n; i++)
		if (!strcmp((*items)[i].rec.id, rec->id)) {
			store_rec_free(rec);
			return 0;
		}
	p = realloc(*items, (*n + 1) * sizeof(**items));
	if (!p) {
		store_rec_free(rec);
		return -1;
	}
	*items = p;
	memset(&(*items)[*n], 0, sizeof(**items));
	(*items)[*n].drop = drop;	/* its rules say which hosts to clean */
	(*items)[(*n)++].rec = *rec;
	return 0;
}

static void items_free(struct sync_item *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_rec_free(&v[i].rec);
	free(v);
}

/* replay and drop: the named containers (all stored ones for a replay
 * without names), and for replay those whose rules name them. */
static int run(int argc, char **argv, int drop)
{
	struct sync_item *items = NULL;
	const struct docker_container *c;
	struct store_rec rec, *deps;
	struct engine_opts o;
	struct engine g;
	struct err e, first = { 0, "" };
	size_t i, j, n = 0, nd;
	int rc = EXIT_DONE, bad = 0, partial = 0;

	argc = engine_opts(argc, argv, !drop, &o, &e);
	if (argc < 0)
		return fail(&e);
	for (i = 1; i < (size_t)argc; i++)
		if (argv[i][0] == '-')
			return usage_error("unknown option \"%s\"", argv[i]);
	if (drop && argc < 2)
		return usage_error("name at least one container");
	if (engine_init(&g, &o, &e))
		return fail(&e);
	if (argc == 1) {
		struct store_rec *all;
		size_t nall;

		if (store_load_all(&g.store, &all, &nall, &e))
			goto err;
		for (i = 0; i < nall; i++)
			if (push(&items, &n, &all[i], 0))
				goto nomem;
		free(all);
	}
	for (i = 1; i < (size_t)argc; i++) {
		if (find_record(&g, argv[i], &rec, &e)) {
			/* drop carries on; replay checks all names first */
			fail(&e);
			if (!bad++)
				first = e;
			continue;
		}
		c = drop ? NULL : engine_container(&g, rec.id, &e);
		if (push(&items, &n, &rec, drop))
			goto nomem;
		if (!c)
			continue;
		if (engine_dependents(&g, c, &deps, &nd, &e))
			goto err;
		for (j = 0; j < nd; j++)
			if (push(&items, &n, &deps[j], 0))
				goto nomem;
		free(deps);
	}
	if (bad && !drop) {
		rc = first.code;
		goto out;
	}
	if (n && (partial = engine_sync(&g, items, n, argc == 1, &e)) < 0)
		goto err;
	print_warnings(&g);
	if (o.verbose)
		engine_print_backend(&g, stderr);
	if (o.dry_run || o.verbose)
		engine_print_changes(&g, stdout);
	if (o.dry_run && engine_pending(&g))
		rc = EXIT_NO;
	if (bad)
		rc = first.code;
	if (fflush(stdout))
		rc = EXIT_RUNTIME;
	if (partial)	/* applied but for the hosts entries e names */
		rc = fail(&e);
	goto out;
nomem:
	err_set(&e, EXIT_RUNTIME, "out of memory");
err:
	print_warnings(&g);
	rc = fail(&e);
out:
	items_free(items, n);
	engine_free(&g);
	return rc;
}

int replay_main(int argc, char **argv)
{
	return run(argc, argv, 0);
}

int drop_main(int argc, char **argv)
{
	return run(argc, argv, 1);
}
