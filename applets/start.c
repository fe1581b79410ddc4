/*
 * start.c - start (containers in dependency order, core/startorder.c,
 * then their hosts entries and rules) and save-hostconfig (what start
 * compares against).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dfw/applet.h"
#include "dfw/hostconfig.h"
#include "dfw/startorder.h"

/* ---- save-hostconfig -------------------------------------------------- */

/* The record of the running container c with its hostconfig lines, as
 * a temporary file (store_prepare); the caller commits or aborts t. */
static int prepare_one(struct engine *g, const struct docker_container *c,
		       struct store_txn *t, struct err *e)
{
	struct store_rec rec;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!c->running)
		return err_set(e, EXIT_USAGE,
			       "container \"%s\" is not "
			       "running: the ports Docker gives it are not "
			       "known yet",
			       c->name);
	if (store_load_name(&g->store, c->name, c->id, &rec, e) < 0)
		return -1;
	/* the file is named by the last ID seen */
	if (strcmp(rec.id, c->id) && *rec.id &&
	    strv_add(&rec.gone, rec.id, strlen(rec.id))) {
		store_rec_free(&rec);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	snprintf(rec.id, sizeof(rec.id), "%s", c->id);
	strv_free(&rec.hostconfig);
	rc = hostconfig_lines(c, 1, &rec.hostconfig) ?
		     err_set(e, EXIT_RUNTIME, "out of memory") :
		     store_prepare(&g->store, &rec, t, e);
	store_rec_free(&rec);
	return rc;
}

/* Stores the hostconfig lines of cs[0..n): all written as temporary
 * files first, then renamed into place, so that one that cannot be saved
 * (not running, store full or read-only) leaves every file as it was. */
static int save_all(struct engine *g, const struct docker_container **cs,
		    size_t n, struct err *e)
{
	struct store_txn *t = calloc(n + 1, sizeof(*t));
	size_t i, k;
	int rc = -1;

	if (!t)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (i = 0; i < n; i++) {
		for (k = 0; k < i && strcmp(cs[k]->id, cs[i]->id); k++)
			;
		if (k < i)
			continue; /* named twice */
		if (prepare_one(g, cs[i], &t[i], e))
			goto out;
	}
	for (i = 0; i < n; i++)
		if (store_commit(&t[i], e))
			goto out;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		store_abort(&t[i]);
	free(t);
	return rc;
}

int save_hostconfig_main(int argc, char **argv, struct cli *cli)
{
	const struct docker_container **cs;
	struct engine g;
	struct err e;
	int i, rc = EXIT_DONE;

	argc = config_options(cli, CONFIG_STATE_DIR, NULL, 0, NULL, NULL,
			      OPT_ARGS_ANY, argc - 1, argv + 1, &e);
	if (argc < 0)
		return usage_fail(&e);
	argc++;
	if (argc < 2)
		return usage_error("name at least one container");
	if (applet_open(&g, cli, ENGINE_STORE, &e))
		return fail(&e);
	cs = calloc((size_t)argc, sizeof(*cs));
	if (!cs)
		err_set(&e, EXIT_RUNTIME, "out of memory");
	for (i = 1; cs && i < argc; i++)
		if (!(cs[i - 1] = engine_container(&g, argv[i], &e)))
			break;
	if (!cs || i < argc || save_all(&g, cs, (size_t)argc - 1, &e))
		rc = fail(&e);
	free(cs);
	engine_free(&g);
	return rc;
}

/* ---- start ------------------------------------------------------------ */

/* Containers from the run's inspect cache, saved lines from the store. */
static const struct docker_container *src_container(void *ctx, const char *name,
						    struct err *e)
{
	return engine_container(ctx, name, e);
}

static int src_saved(void *ctx, const char *id, struct strv *lines,
		     struct err *e)
{
	struct engine *g = ctx;
	const struct docker_container *c;
	struct store_rec rec;

	/* rules and lines belong to the container's name */
	c = engine_container(g, id, e);
	if (!c || store_load_name(&g->store, c->name, c->id, &rec, e) < 0)
		return -1;
	*lines = rec.hostconfig;
	memset(&rec.hostconfig, 0, sizeof(rec.hostconfig));
	store_rec_free(&rec);
	return 0;
}

/* Saved configuration against now's, for the containers to start: what
 * differs is printed before the error. */
static int drift(struct engine *g, const struct startorder *gr, struct err *e)
{
	struct startorder_src src = { src_container, src_saved, g };
	struct buf diff = { 0 };
	int rc = startorder_drift(gr, &src, &diff, e);

	if (rc && diff.len)
		fprintf(stderr, "%s", diff.data);
	buf_free(&diff);
	return rc;
}

/* Starts (and pauses) in order; on a failure, says what did start. */
static int start_all(struct engine *g, struct startorder *gr, const size_t *ord,
		     int paused, struct err *e)
{
	size_t i, k;

	for (i = 0; i < gr->n; i++) {
		struct startorder_node *nd = &gr->v[ord[i]];

		if (nd->running)
			continue; /* running or paused: kept so */
		if (docker_container_action(&g->d, nd->id, "start", e) ||
		    (paused &&
		     docker_container_action(&g->d, nd->id, "pause", e))) {
			err_wrap(e, "cannot start \"%s\"", nd->name);
			for (k = 0; k < i; k++)
				if (gr->v[ord[k]].started)
					fprintf(stderr,
						"%s: \"%s\" was started "
						"and stays started\n",
						applet_name,
						gr->v[ord[k]].name);
			return -1;
		}
		nd->started = 1;
	}
	return 0;
}

/* Hosts entries and rules for the selection and whoever names it. */
static int replay_all(struct engine *g, struct startorder *gr, struct err *e)
{
	struct engine_items items = { NULL, 0 };
	const struct docker_container *c;
	struct store_rec rec;
	size_t i;
	int rc = -1;

	for (i = 0; i < gr->n; i++) {
		if (store_load_name(&g->store, gr->v[i].name, gr->v[i].id, &rec,
				    e) < 0)
			goto out;
		if (engine_items_push(&items, &rec, 0, 0)) {
			err_set(e, EXIT_RUNTIME, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < gr->n; i++) {
		c = engine_container(g, gr->v[i].id, e);
		if (!c || engine_items_dependents(g, &items, c, e))
			goto out;
	}
	rc = engine_sync(g, items.v, items.n, 0, e);
out:
	engine_items_free(&items);
	return rc;
}

/* --unpause: the containers this run started and paused are unpaused
 * once their rules are in place; a failure names the container, the
 * others are still unpaused. 0, or -1 with e set (the last failure). */
static int unpause_all(struct engine *g, struct startorder *gr,
		       const size_t *ord, struct err *e)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < gr->n; i++) {
		struct startorder_node *nd = &gr->v[ord[i]];
		struct err ue;

		if (!nd->started)
			continue;
		if (docker_container_action(&g->d, nd->id, "unpause", &ue)) {
			err_wrap(&ue, "cannot unpause \"%s\"", nd->name);
			fprintf(stderr, "%s: %s\n", applet_name, ue.msg);
			*e = ue;
			rc = -1;
		}
	}
	return rc;
}

enum { S_PAUSED, S_UNPAUSE, S_PULL_DEPS, S_FORCE, S_N };

static const struct opt start_opts[S_N] = {
	[S_PAUSED] = { "--paused", 0, OPT_FLAG | OPT_MANY, NULL },
	[S_UNPAUSE] = { "--unpause", 0, OPT_FLAG | OPT_MANY, NULL },
	[S_PULL_DEPS] = { "--pull-deps", 0, OPT_FLAG | OPT_MANY, NULL },
	[S_FORCE] = { "--force", 0, OPT_FLAG | OPT_MANY, NULL },
};

static int start_opt(void *arg, size_t i, const char *v, const char *word,
		     struct err *e)
{
	((int *)arg)[i] = 1;
	return 0;
}

int start_main(int argc, char **argv, struct cli *cli)
{
	int j, flags[S_N] = { 0 }, rc, partial;
	const struct dfw_config *o = &cli->cfg;
	struct startorder gr = { 0 };
	struct startorder_src src;
	struct engine g;
	size_t *ord = NULL, k, n;
	const struct docker_container **started = NULL;
	struct err e, pe;

	j = config_options(cli, CONFIG_CHANGES | CONFIG_DRY_RUN, start_opts,
			   S_N, start_opt, flags, OPT_ARGS_ANY, argc - 1,
			   argv + 1, &e);
	if (j < 0)
		return usage_fail(&e);
	j++;
	if (j < 2)
		return usage_error("name at least one container");
	if (flags[S_UNPAUSE] && !flags[S_PAUSED])
		return usage_error("--unpause goes with --paused: it unpauses "
				   "what --paused paused, once the rules are "
				   "in place");
	if (applet_open(&g, cli, ENGINE_STORE, &e))
		return fail(&e);
	src = (struct startorder_src){ src_container, src_saved, &g };
	if (startorder_build(&gr, (const char *const *)argv + 1, (size_t)j - 1,
			     flags[S_PULL_DEPS], &src, &e))
		goto err;
	ord = calloc(gr.n + 1, sizeof(*ord));
	if (!ord) {
		err_set(&e, EXIT_RUNTIME, "out of memory");
		goto err;
	}
	if (startorder_order(&gr, ord, &e))
		goto err;
	for (k = 0; k < gr.n; k++)
		printf("%s\n", gr.v[ord[k]].name);
	if (fflush(stdout)) {
		err_set(&e, EXIT_RUNTIME, "cannot write the start order");
		goto err;
	}
	if (o->dry_run) {
		rc = EXIT_DONE;
		goto out;
	}
	if (!flags[S_FORCE] && drift(&g, &gr, &e))
		goto err;
	if (start_all(&g, &gr, ord, flags[S_PAUSED], &e)) {
		/* what did start still gets its rules and hosts entries */
		struct err re;

		engine_forget(&g);
		if (replay_all(&g, &gr, &re))
			fail(&re); /* printed, escaped; exit 3 follows */
		print_warnings(&g);
		goto err;
	}
	engine_forget(&g); /* started: new addresses */
	partial = replay_all(&g, &gr, &pe);
	if (partial < 0) {
		print_warnings(&g);
		e = pe;
		goto err;
	}
	report_print(&g, o, NULL);
	started = calloc(gr.n + 1, sizeof(*started));
	if (!started) {
		err_set(&e, EXIT_RUNTIME, "out of memory");
		goto err;
	}
	for (k = 0, n = 0; k < gr.n; k++)
		if (gr.v[k].started &&
		    !(started[n++] = engine_container(&g, gr.v[k].id, &e)))
			goto err;
	if (save_all(&g, started, n, &e))
		goto err;
	/* unpaused only when the rules and hosts entries are all in place
	 * (partial: a hosts entry is not) */
	if (flags[S_UNPAUSE] && !partial && unpause_all(&g, &gr, ord, &e))
		goto err;
	if (flags[S_UNPAUSE] && partial)
		fprintf(stderr,
			"%s: a hosts entry is not in place: the containers "
			"started stay paused\n",
			applet_name);
	rc = report_code(&g, o, partial, &pe);
	goto out;
err:
	rc = fail(&e);
out:
	free(started);
	free(ord);
	startorder_free(&gr);
	engine_free(&g);
	return rc;
}
