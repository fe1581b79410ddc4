/*
 * start.c - start (containers in dependency order, then their hosts
 * entries and rules) and save-hostconfig (what start compares against).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dfw/applet.h"
#include "dfw/hostconfig.h"

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
		return err_set(e, EXIT_USAGE, "container \"%s\" is not "
			       "running: the ports Docker gives it are not "
			       "known yet", c->name);
	if (store_load(&g->store, c->id, &rec, e) < 0)
		return -1;
	snprintf(rec.name, sizeof(rec.name), "%s", c->name);
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
			continue;	/* named twice */
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

struct node {
	char id[65];
	char name[256];
	int running, paused;
	size_t *deps;		/* indices of the nodes it needs first */
	size_t ndeps;
	int placed;
	int started;		/* started by this run */
};

struct graph {
	struct node *v;
	size_t n;
};

static void graph_free(struct graph *gr)
{
	size_t i;

	for (i = 0; i < gr->n; i++)
		free(gr->v[i].deps);
	free(gr->v);
}

static long find_node(const struct graph *gr, const char *id)
{
	size_t i;

	for (i = 0; i < gr->n; i++)
		if (!strcmp(gr->v[i].id, id))
			return (long)i;
	return -1;
}

static long add_node(struct graph *gr, const struct docker_container *c)
{
	struct node *nd;
	void *p;
	long i = find_node(gr, c->id);

	if (i >= 0)
		return i;
	p = realloc(gr->v, (gr->n + 1) * sizeof(*gr->v));
	if (!p)
		return -1;
	gr->v = p;
	nd = &gr->v[gr->n];
	memset(nd, 0, sizeof(*nd));
	snprintf(nd->id, sizeof(nd->id), "%s", c->id);
	snprintf(nd->name, sizeof(nd->name), "%s", c->name);
	nd->running = c->running;
	nd->paused = c->paused;
	return (long)gr->n++;
}

static int add_dep(struct node *nd, size_t dep)
{
	size_t i;
	void *p;

	for (i = 0; i < nd->ndeps; i++)
		if (nd->deps[i] == dep)
			return 0;
	p = realloc(nd->deps, (nd->ndeps + 1) * sizeof(*nd->deps));
	if (!p)
		return -1;
	nd->deps = p;
	nd->deps[nd->ndeps++] = dep;
	return 0;
}

/*
 * The containers c needs started first, by name as inspect gives them:
 * Links ("/target:/self/alias"), VolumesFrom ("name[:ro|:rw]") and
 * NetworkMode "container:X". Calls fn for each.
 */
static int each_dep(const struct docker_container *c,
		    int (*fn)(void *arg, const char *name, const char *why),
		    void *arg)
{
	char name[256];
	size_t i;

	for (i = 0; i < c->links.n; i++) {
		const char *l = c->links.v[i] + (c->links.v[i][0] == '/');

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(l, ":"), l);
		if (fn(arg, name, "link"))
			return -1;
	}
	for (i = 0; i < c->volumes_from.n; i++) {
		const char *v = c->volumes_from.v[i];
		size_t len = strlen(v);

		if (len > 3 && (!strcmp(v + len - 3, ":ro") ||
				!strcmp(v + len - 3, ":rw")))
			len -= 3;
		snprintf(name, sizeof(name), "%.*s", (int)len, v);
		if (fn(arg, name, "volumes-from"))
			return -1;
	}
	if (!strncmp(c->network_mode, "container:", 10) &&
	    fn(arg, c->network_mode + 10, "network container:"))
		return -1;
	return 0;
}

struct expand {
	struct engine *g;
	struct graph *gr;
	size_t from;		/* the node whose dependencies these are */
	int pull;
	struct err *e;
};

static int dep_found(void *arg, const char *name, const char *why)
{
	struct expand *x = arg;
	const struct docker_container *d;
	struct err de;
	long i;

	d = engine_container(x->g, name, &de);
	if (!d)
		return err_set(x->e, de.code, "\"%s\" needs \"%s\" (%s): %s",
			       x->gr->v[x->from].name, name, why, de.msg);
	i = find_node(x->gr, d->id);
	if (i < 0 && !x->pull)
		return err_set(x->e, EXIT_USAGE, "\"%s\" needs \"%s\" (%s), "
			       "which is not among the containers to start: "
			       "name it too, or add --pull-deps",
			       x->gr->v[x->from].name, d->name, why);
	if (i < 0)
		i = add_node(x->gr, d);
	if (i < 0 || add_dep(&x->gr->v[x->from], (size_t)i))
		return err_set(x->e, EXIT_RUNTIME, "out of memory");
	return 0;
}

/* Builds the graph from the named containers; --pull-deps adds theirs. */
static int build(struct engine *g, struct graph *gr, char **names, int n,
		 int pull, struct err *e)
{
	struct expand x = { g, gr, 0, pull, e };
	const struct docker_container *c;
	int i;

	for (i = 0; i < n; i++) {
		c = engine_container(g, names[i], e);
		if (!c)
			return -1;
		if (add_node(gr, c) < 0)
			return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	/* the list grows while we walk it: pulled dependencies too */
	for (x.from = 0; x.from < gr->n; x.from++) {
		c = engine_container(g, gr->v[x.from].id, e);
		if (!c || each_dep(c, dep_found, &x))
			return -1;
	}
	return 0;
}

/* A cycle among the unplaced nodes, as "a -> b -> a". */
static void cycle(const struct graph *gr, struct err *e)
{
	size_t *path = calloc(gr->n + 1, sizeof(*path));
	char *seen = calloc(gr->n, 1);
	char msg[400];
	size_t i, len = 0, at, k, start;
	int off;

	if (!path || !seen) {
		err_set(e, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	for (at = 0; gr->v[at].placed; at++)
		;
	/* follow unplaced dependencies until a node repeats */
	while (!seen[at]) {
		seen[at] = 1;
		path[len++] = at;
		for (k = 0; k < gr->v[at].ndeps; k++)
			if (!gr->v[gr->v[at].deps[k]].placed)
				break;
		at = gr->v[at].deps[k];
	}
	for (start = 0; path[start] != at; start++)
		;
	off = 0;
	for (i = start; i < len && off < (int)sizeof(msg); i++)
		off += snprintf(msg + off, sizeof(msg) - off, "%s -> ",
				gr->v[path[i]].name);
	if (off < (int)sizeof(msg))
		snprintf(msg + off, sizeof(msg) - off, "%s", gr->v[at].name);
	err_set(e, EXIT_USAGE, "dependency cycle: %s", msg);
out:
	free(path);
	free(seen);
}

/* Kahn's algorithm; among the ready nodes the first given goes first. */
static int order(struct graph *gr, size_t *out, struct err *e)
{
	size_t done, i, k;

	for (done = 0; done < gr->n; done++) {
		for (i = 0; i < gr->n; i++) {
			if (gr->v[i].placed)
				continue;
			for (k = 0; k < gr->v[i].ndeps; k++)
				if (!gr->v[gr->v[i].deps[k]].placed)
					break;
			if (k == gr->v[i].ndeps)
				break;
		}
		if (i == gr->n) {
			cycle(gr, e);
			return -1;
		}
		gr->v[i].placed = 1;
		out[done] = i;
	}
	return 0;
}

/* Saved configuration against now's, for the containers to start. */
static int drift(struct engine *g, struct graph *gr, struct err *e)
{
	const struct docker_container *c;
	struct strv now = { 0 };
	struct store_rec rec;
	struct buf diff = { 0 };
	size_t i;
	int n = 0, d;

	for (i = 0; i < gr->n; i++) {
		if (gr->v[i].running)
			continue;
		c = engine_container(g, gr->v[i].id, e);
		if (!c || store_load(&g->store, c->id, &rec, e) < 0)
			goto fail;
		if (rec.hostconfig.n) {
			size_t at = diff.len;

			buf_printf(&diff, "%s: its configuration differs from "
				   "the saved one:\n", c->name);
			if (hostconfig_lines(c, 0, &now) ||
			    (d = hostconfig_diff(&rec.hostconfig, &now,
						 &diff)) < 0) {
				store_rec_free(&rec);
				err_set(e, EXIT_RUNTIME, "out of memory");
				goto fail;
			}
			if (!d)
				diff.len = at;
			n += d > 0;
			strv_free(&now);
		}
		store_rec_free(&rec);
	}
	if (n) {
		fprintf(stderr, "%s", diff.data);
		err_set(e, EXIT_NO, "%d container%s changed since "
			"save-hostconfig: nothing started (--force starts "
			"anyway)", n, n > 1 ? "s" : "");
		goto fail;
	}
	buf_free(&diff);
	return 0;
fail:
	strv_free(&now);
	buf_free(&diff);
	return -1;
}

/* Starts (and pauses) in order; on a failure, says what did start. */
static int start_all(struct engine *g, struct graph *gr, const size_t *ord,
		     int paused, struct err *e)
{
	size_t i, k;

	for (i = 0; i < gr->n; i++) {
		struct node *nd = &gr->v[ord[i]];

		if (nd->running)
			continue;	/* running or paused: kept so */
		if (docker_container_action(&g->d, nd->id, "start", e) ||
		    (paused && docker_container_action(&g->d, nd->id,
						       "pause", e))) {
			err_wrap(e, "cannot start \"%s\"", nd->name);
			for (k = 0; k < i; k++)
				if (gr->v[ord[k]].started)
					fprintf(stderr, "%s: \"%s\" was started "
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
static int replay_all(struct engine *g, struct graph *gr, struct err *e)
{
	struct engine_items items = { NULL, 0 };
	const struct docker_container *c;
	struct store_rec rec;
	size_t i;
	int rc = -1;

	for (i = 0; i < gr->n; i++) {
		if (store_load(&g->store, gr->v[i].id, &rec, e) < 0)
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

enum { S_PAUSED, S_PULL_DEPS, S_FORCE, S_N };

static const struct opt start_opts[S_N] = {
	[S_PAUSED] = { "--paused", 0, OPT_FLAG | OPT_MANY, NULL },
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
	struct graph gr = { 0 };
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
	if (applet_open(&g, cli, ENGINE_STORE, &e))
		return fail(&e);
	if (build(&g, &gr, argv + 1, j - 1, flags[S_PULL_DEPS], &e))
		goto err;
	ord = calloc(gr.n + 1, sizeof(*ord));
	if (!ord) {
		err_set(&e, EXIT_RUNTIME, "out of memory");
		goto err;
	}
	if (order(&gr, ord, &e))
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
			fail(&re);	/* printed, escaped; exit 3 follows */
		print_warnings(&g);
		goto err;
	}
	engine_forget(&g);	/* started: new addresses */
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
	rc = report_code(&g, o, partial, &pe);
	goto out;
err:
	rc = fail(&e);
out:
	free(started);
	free(ord);
	graph_free(&gr);
	engine_free(&g);
	return rc;
}
