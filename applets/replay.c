/*
 * replay.c - replay and drop: re-applies stored rules with the addresses
 * Docker gives now, changing only what differs; drop takes a container's
 * rules, hosts entries and store file away.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dfw/applet.h"
#include "dfw/stamp.h"

/* drop of a container whose store file cannot be read: what it means,
 * said once the run went through. */
static int note_unreadable(struct strv *notes, const struct err *why,
			   const struct store_rec *r)
{
	char line[sizeof(why->msg) + sizeof(r->name) + 300];

	snprintf(line, sizeof(line),
		 "warning: %s: the file is removed with "
		 "the rules of %s%s%.12s%s (found by their comments); hosts "
		 "entries (add-two-ways) it held stay in the peers' hosts "
		 "files until Docker rewrites them",
		 why->msg, r->name, *r->name ? " (" : "", r->id,
		 *r->name ? ")" : "");
	return strv_add(notes, line, strlen(line));
}

/*
 * replay and drop: the named containers (all stored ones for a replay
 * without names, zero included: rules of containers no longer stored go),
 * and for replay those whose rules name them. A store file that cannot
 * be read stops only its own container: a full replay leaves its rules
 * in the table as they are, replays the rest, then fails naming it; drop
 * removes its rules (by their comments) and the file.
 */
static int run(int argc, char **argv, struct cli *cli, int drop)
{
	struct engine_items items = { NULL, 0 };
	const struct docker_container *c;
	struct store_rec rec;
	struct store_bad *bad = NULL;
	struct strv later = { 0 }; /* errors printed at the end */
	struct strv notes = { 0 }; /* warnings printed after the run */
	const struct dfw_config *o = &cli->cfg;
	struct engine g;
	struct err e, why, first = { 0, "" };
	struct fw_state mark;
	struct stamp st = { 0 };
	size_t i, nbad = 0;
	int rc = EXIT_DONE, nfail = 0, partial = 0, k, stamp;

	k = config_options(cli, CONFIG_CHANGES | (drop ? 0 : CONFIG_DRY_RUN),
			   NULL, 0, NULL, NULL, OPT_ARGS_ANY, argc - 1,
			   argv + 1, &e);
	if (k < 0)
		return usage_fail(&e);
	argc = k + 1;
	if (drop && argc < 2)
		return usage_error("name at least one container");
	if (applet_open(&g, cli, ENGINE_STORE, &e))
		return fail(&e);
	/* #18: a full replay whose inputs are those of the last one that
	 * ran clean has nothing to do (stamp.h); -v always runs in full */
	stamp = !drop && argc == 1 && !o->dry_run && !o->fail_commit;
	if (stamp && stamp_fresh(&g, &st, !o->verbose))
		goto out;
	if (stamp)
		stamp_mark(&st, &g, &mark);
	if (argc == 1) {
		if (engine_items_all(&g, &items, &bad, &nbad, &e))
			goto err;
		for (i = 0; i < nbad; i++) {
			if (strv_add(&later, bad[i].err.msg,
				     strlen(bad[i].err.msg)))
				goto nomem;
			if (!nfail++)
				first = bad[i].err;
		}
	}
	for (i = 1; i < (size_t)argc; i++) {
		if (engine_find_record(&g, argv[i], &rec, drop ? &why : NULL,
				       &e)) {
			/* drop carries on; replay checks all names first */
			fail(&e);
			if (!nfail++)
				first = e;
			continue;
		}
		if (drop && *why.msg && note_unreadable(&notes, &why, &rec))
			goto nomem;
		c = drop ? NULL : engine_named(&g, rec.name, &e);
		if (engine_items_push(&items, &rec, drop, 0))
			goto nomem;
		if (c && engine_items_dependents(&g, &items, c, &e))
			goto err;
	}
	if (nfail && !drop && argc > 1) {
		rc = first.code;
		goto out;
	}
	if ((items.n || argc == 1) &&
	    (partial = engine_sync(&g, items.v, items.n, argc == 1, &e)) < 0)
		goto err;
	report_print(&g, o, &notes);
	rc = report_code(&g, o, partial, &e);
	if (nfail && !partial && rc != EXIT_RUNTIME)
		rc = first.code;
	if (stamp)
		stamp_update(&g, &st, &mark,
			     rc == EXIT_DONE && !nfail && !partial);
	for (i = 0; i < later.n; i++)
		fprintf(stderr, "%s: %s\n", applet_name, later.v[i]);
	goto out;
nomem:
	err_set(&e, EXIT_RUNTIME, "out of memory");
err:
	print_warnings(&g);
	rc = fail(&e);
	if (stamp)
		stamp_update(&g, &st, &mark, 0);
out:
	stamp_free(&st);
	strv_free(&later);
	strv_free(&notes);
	free(bad);
	engine_items_free(&items);
	engine_free(&g);
	return rc;
}

int replay_main(int argc, char **argv, struct cli *cli)
{
	return run(argc, argv, cli, 0);
}

int drop_main(int argc, char **argv, struct cli *cli)
{
	return run(argc, argv, cli, 1);
}
