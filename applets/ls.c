/*
 * ls.c - the stored rules, one per line: ACTION CONTAINER RULESPEC.
 * Fed back through `ACTION CONTAINER --from -` (consecutive lines of one
 * container and action), they recreate the same rules. Needs no Docker
 * unless a name is not in the store (a renamed container).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dfw/applet.h"

/* The name is quoted as rulespec_quote does (a Docker name never needs
 * it), so that one rule is always one line. */
static int print_rec(const struct store_rec *r, struct buf *b)
{
	size_t i, at;

	b->len = 0;
	if (rulespec_quote(r->name, b) || buf_adds(b, " "))
		return -1;
	at = b->len;
	for (i = 0; i < r->nrules; i++) {
		b->len = at;
		if (rulespec_format(&r->rules[i], b))
			return -1;
		printf("%s %s\n", rule_action_name(r->rules[i].action),
		       b->data);
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct store_rec *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->id, y->id);
}

/* Keeps e to print after the listing; the worst code wins. */
static int keep_err(struct strv *errs, const struct err *e, int rc)
{
	strv_add(errs, e->msg, strlen(e->msg));
	return e->code > rc ? e->code : rc;
}

int ls_main(int argc, char **argv, struct cli *cli)
{
	struct store_rec *v = NULL;
	struct store_bad *bad = NULL;
	struct strv errs = { 0 };
	struct buf b = { 0 };
	struct engine g;
	struct err e;
	size_t i, n = 0, nbad = 0;
	int rc = EXIT_DONE;

	argc = config_options(cli, CONFIG_STATE_DIR, NULL, 0, NULL, NULL,
			      OPT_ARGS_ANY, argc - 1, argv + 1, &e);
	if (argc < 0)
		return usage_fail(&e);
	argc++;
	/* read only: no lock, nothing created */
	if (applet_open(&g, cli, ENGINE_STORE_READ, &e))
		return fail(&e);
	if (argc == 1) {
		if (store_load_all(&g.store, &v, &n, &bad, &nbad, &e))
			goto err;
		for (i = 0; i < nbad; i++) {
			engine_bad_file_hint(&bad[i].err, bad[i].id);
			rc = keep_err(&errs, &bad[i].err, rc);
		}
	} else {
		v = calloc(argc, sizeof(*v));
		if (!v) {
			err_set(&e, EXIT_RUNTIME, "out of memory");
			goto err;
		}
		for (i = 1; i < (size_t)argc; i++) {
			size_t k;

			if (engine_find_record(&g, argv[i], &v[n], NULL, &e)) {
				rc = keep_err(&errs, &e, rc);
				continue;
			}
			for (k = 0; k < n; k++) /* two names, one container */
				if (!strcmp(v[k].id, v[n].id))
					break;
			if (k < n)
				store_rec_free(&v[n]);
			else
				n++;
		}
		qsort(v, n, sizeof(*v), by_name);
	}
	for (i = 0; i < n; i++)
		if (print_rec(&v[i], &b)) {
			err_set(&e, EXIT_RUNTIME, "out of memory");
			goto err;
		}
	if (fflush(stdout))
		rc = EXIT_RUNTIME;
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s: %s\n", applet_name, errs.v[i]);
	goto out;
err:
	rc = fail(&e);
out:
	strv_free(&errs);
	free(bad);
	buf_free(&b);
	store_recs_free(v, n);
	engine_free(&g);
	return rc;
}
