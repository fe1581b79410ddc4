/*
 * startorder.c - the dependency graph of the containers to start, its
 * order, its cycles, and the drift check against save-hostconfig's lines
 * (startorder.h). Pure: containers come from the caller's lookup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/hostconfig.h"
#include "dfw/startorder.h"

void startorder_free(struct startorder *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->v[i].deps);
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

static long find_node(const struct startorder *g, const char *id)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->v[i].id, id))
			return (long)i;
	return -1;
}

static long add_node(struct startorder *g, const struct docker_container *c)
{
	struct startorder_node *nd;
	void *p;
	long i = find_node(g, c->id);

	if (i >= 0)
		return i;
	p = realloc(g->v, (g->n + 1) * sizeof(*g->v));
	if (!p)
		return -1;
	g->v = p;
	nd = &g->v[g->n];
	memset(nd, 0, sizeof(*nd));
	snprintf(nd->id, sizeof(nd->id), "%s", c->id);
	snprintf(nd->name, sizeof(nd->name), "%s", c->name);
	nd->running = c->running;
	nd->paused = c->paused;
	return (long)g->n++;
}

static int add_dep(struct startorder_node *nd, size_t dep)
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

int startorder_each_dep(const struct docker_container *c,
			int (*fn)(void *arg, const char *name, const char *why),
			void *arg)
{
	static const char net[] = "container:";
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
	if (!strncmp(c->network_mode, net, sizeof(net) - 1) &&
	    fn(arg, c->network_mode + sizeof(net) - 1, "network container:"))
		return -1;
	return 0;
}

struct expand {
	struct startorder *g;
	const struct startorder_src *src;
	size_t from; /* the node whose dependencies these are */
	int pull;
	struct err *e;
};

static int dep_found(void *arg, const char *name, const char *why)
{
	struct expand *x = arg;
	const struct docker_container *d;
	struct err de;
	long i;

	d = x->src->container(x->src->ctx, name, &de);
	if (!d)
		return err_set(x->e, de.code, "\"%s\" needs \"%s\" (%s): %s",
			       x->g->v[x->from].name, name, why, de.msg);
	i = find_node(x->g, d->id);
	if (i < 0 && !x->pull)
		return err_set(x->e, EXIT_USAGE,
			       "\"%s\" needs \"%s\" (%s), "
			       "which is not among the containers to start: "
			       "name it too, or add --pull-deps",
			       x->g->v[x->from].name, d->name, why);
	if (i < 0)
		i = add_node(x->g, d);
	if (i < 0 || add_dep(&x->g->v[x->from], (size_t)i))
		return err_set(x->e, EXIT_RUNTIME, "out of memory");
	return 0;
}

int startorder_build(struct startorder *g, const char *const *names, size_t n,
		     int pull, const struct startorder_src *src, struct err *e)
{
	struct expand x = { g, src, 0, pull, e };
	const struct docker_container *c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = src->container(src->ctx, names[i], e);
		if (!c)
			return -1;
		if (add_node(g, c) < 0)
			return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	/* the list grows while we walk it: pulled dependencies too */
	for (x.from = 0; x.from < g->n; x.from++) {
		c = src->container(src->ctx, g->v[x.from].id, e);
		if (!c || startorder_each_dep(c, dep_found, &x))
			return -1;
	}
	return 0;
}

/* A cycle among the unplaced nodes, as "a -> b -> a". */
static int cycle(const struct startorder *g, struct err *e)
{
	size_t *path = calloc(g->n + 1, sizeof(*path));
	char *seen = calloc(g->n, 1);
	struct buf msg = { 0 };
	size_t i, len = 0, at, k, start;

	if (!path || !seen) {
		err_set(e, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	for (at = 0; g->v[at].placed; at++)
		;
	/* follow unplaced dependencies until a node repeats: every unplaced
	 * node has one (else it would have been ready) */
	while (!seen[at]) {
		seen[at] = 1;
		path[len++] = at;
		for (k = 0; k < g->v[at].ndeps; k++)
			if (!g->v[g->v[at].deps[k]].placed)
				break;
		at = g->v[at].deps[k];
	}
	for (start = 0; path[start] != at; start++)
		;
	for (i = start; i < len; i++)
		buf_printf(&msg, "%s -> ", g->v[path[i]].name);
	if (buf_printf(&msg, "%s", g->v[at].name))
		err_set(e, EXIT_RUNTIME, "out of memory");
	else
		err_set(e, EXIT_USAGE, "dependency cycle: %s", msg.data);
out:
	buf_free(&msg);
	free(path);
	free(seen);
	return -1;
}

int startorder_order(struct startorder *g, size_t *out, struct err *e)
{
	size_t done, i, k;

	for (i = 0; i < g->n; i++)
		g->v[i].placed = 0;
	/* Kahn's algorithm; among the ready nodes the first given first */
	for (done = 0; done < g->n; done++) {
		for (i = 0; i < g->n; i++) {
			if (g->v[i].placed)
				continue;
			for (k = 0; k < g->v[i].ndeps; k++)
				if (!g->v[g->v[i].deps[k]].placed)
					break;
			if (k == g->v[i].ndeps)
				break;
		}
		if (i == g->n)
			return cycle(g, e);
		g->v[i].placed = 1;
		out[done] = i;
	}
	return 0;
}

int startorder_drift(const struct startorder *g,
		     const struct startorder_src *src, struct buf *diff,
		     struct err *e)
{
	const struct docker_container *c;
	struct strv saved = { 0 }, now = { 0 };
	size_t i, at;
	int n = 0, d;

	for (i = 0; i < g->n; i++) {
		if (g->v[i].running)
			continue;
		c = src->container(src->ctx, g->v[i].id, e);
		if (!c || src->saved(src->ctx, c->id, &saved, e))
			goto fail;
		if (!saved.n)
			continue;
		at = diff->len;
		if (buf_printf(diff,
			       "%s: its configuration differs from the "
			       "saved one:\n",
			       c->name) ||
		    hostconfig_lines(c, 0, &now) ||
		    (d = hostconfig_diff(&saved, &now, diff)) < 0) {
			err_set(e, EXIT_RUNTIME, "out of memory");
			goto fail;
		}
		if (!d) { /* no difference: no header either */
			diff->len = at;
			diff->data[at] = 0;
		}
		n += d > 0;
		strv_free(&now);
		strv_free(&saved);
	}
	if (n)
		return err_set(e, EXIT_NO,
			       "%d container%s changed since "
			       "save-hostconfig: nothing started (--force "
			       "starts anyway)",
			       n, n > 1 ? "s" : "");
	return 0;
fail:
	strv_free(&now);
	strv_free(&saved);
	return -1;
}
