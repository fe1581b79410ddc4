/*
 * test_startorder.c - the start order (core/startorder.c) on hand-built
 * containers: Docker's dependency kinds (links, volumes-from with :ro and
 * :rw, network container:X), Kahn's order with ties in the order given,
 * --pull-deps, a dependency that cannot be found, cycles (their path),
 * and the drift check against saved hostconfig lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/hostconfig.h"
#include "dfw/startorder.h"
#include "unit.h"

/* ---- a world of containers and saved lines ----------------------------- */

#define NC 16

static struct docker_container world[NC];
static struct strv saved[NC];
static size_t nworld;
static int saved_fails; /* the saved callback says so */

static void add(struct strv *v, const char *s)
{
	check(strv_add(v, s, strlen(s)) == 0);
}

/* A container called name ("id-NAME" its ID), running or not. */
static struct docker_container *mk(const char *name, int running)
{
	struct docker_container *c = &world[nworld++];

	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "id-%s", name);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->network_mode, sizeof(c->network_mode), "default");
	c->running = running;
	return c;
}

static void world_free(void)
{
	size_t i;

	for (i = 0; i < nworld; i++) {
		strv_free(&world[i].links);
		strv_free(&world[i].volumes_from);
		strv_free(&world[i].extra_hosts);
		strv_free(&saved[i]);
	}
	nworld = 0;
	saved_fails = 0;
}

static const struct docker_container *lookup(void *ctx, const char *name,
					     struct err *e)
{
	size_t i;

	for (i = 0; i < nworld; i++)
		if (!strcmp(world[i].name, name) || !strcmp(world[i].id, name))
			return &world[i];
	err_set(e, EXIT_USAGE, "no such container \"%s\"", name);
	return NULL;
}

static int load_saved(void *ctx, const char *id, struct strv *lines,
		      struct err *e)
{
	size_t i, k;

	if (saved_fails)
		return err_set(e, EXIT_RUNTIME, "store: cannot read %s", id);
	memset(lines, 0, sizeof(*lines));
	for (i = 0; i < nworld; i++)
		if (!strcmp(world[i].id, id))
			for (k = 0; k < saved[i].n; k++)
				add(lines, saved[i].v[k]);
	return 0;
}

static const struct startorder_src src = { lookup, load_saved, NULL };

/* The start order of names (space-separated) as "a b c", or the error's
 * message; code gets the error's code (0 when none). */
static const char *order_of(const char *names, int pull, int *code)
{
	static char out[512];
	char buf[256], *argv[NC], *s;
	struct startorder g = { 0 };
	size_t n = 0, k, *ord = NULL;
	struct err e;

	snprintf(buf, sizeof(buf), "%s", names);
	for (s = strtok(buf, " "); s && n < NC; s = strtok(NULL, " "))
		argv[n++] = s;
	*code = 0;
	if (startorder_build(&g, (const char *const *)argv, n, pull, &src,
			     &e) ||
	    !(ord = calloc(g.n + 1, sizeof(*ord))) ||
	    startorder_order(&g, ord, &e)) {
		*code = e.code;
		snprintf(out, sizeof(out), "%s", e.msg);
	} else {
		*out = 0;
		for (k = 0; k < g.n; k++)
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
				 "%s%s", k ? " " : "", g.v[ord[k]].name);
	}
	free(ord);
	startorder_free(&g);
	return out;
}

/* ---- the tests --------------------------------------------------------- */

/* Among the ready containers, the first named goes first. */
static void test_ties(void)
{
	struct docker_container *x;
	int code;

	mk("a", 0);
	mk("b", 0);
	mk("c", 0);
	check_str(order_of("c a b", 0, &code), "c a b");
	check_str(order_of("b c a", 0, &code), "b c a");
	/* named twice: once */
	check_str(order_of("a b a", 0, &code), "a b");
	x = mk("x", 0);
	mk("y", 0);
	mk("z", 0);
	add(&x->links, "/z:/x/z");
	/* x waits for z; y, ready, keeps its place before z */
	check_str(order_of("x y z", 0, &code), "y z x");
	check(code == 0);
	check_str(order_of("z y x", 0, &code), "z y x");
	world_free();
}

static int collect(void *arg, const char *name, const char *why)
{
	struct buf *b = arg;

	return buf_printf(b, "%s=%s;", why, name);
}

/* Docker's kinds of dependency: links, volumes-from (:ro, :rw, none),
 * network container:X. */
static void test_kinds(void)
{
	struct docker_container *web = mk("web", 0);
	struct buf b = { 0 };
	int code;

	mk("db", 0);
	mk("data", 0);
	mk("logs", 0);
	mk("cfg", 0);
	mk("net", 0);
	add(&web->links, "/db:/web/db");
	add(&web->volumes_from, "data:ro");
	add(&web->volumes_from, "logs:rw");
	add(&web->volumes_from, "cfg");
	snprintf(web->network_mode, sizeof(web->network_mode), "container:net");
	check(startorder_each_dep(web, collect, &b) == 0);
	check_str(b.data, "link=db;volumes-from=data;volumes-from=logs;"
			  "volumes-from=cfg;network container:=net;");
	buf_free(&b);
	check_str(order_of("web db data logs cfg net", 0, &code),
		  "db data logs cfg net web");
	/* one kind at a time puts its target first */
	strv_free(&web->links);
	strv_free(&web->volumes_from);
	check_str(order_of("web net", 0, &code), "net web");
	snprintf(web->network_mode, sizeof(web->network_mode), "bridge");
	add(&web->volumes_from, "logs:rw");
	check_str(order_of("web logs", 0, &code), "logs web");
	/* a name that is all ":ro" is taken as it is */
	strv_free(&web->volumes_from);
	add(&web->volumes_from, ":ro");
	check(startorder_each_dep(web, collect, &b) == 0);
	check_str(b.data, "volumes-from=:ro;");
	buf_free(&b);
	world_free();
}

/* --pull-deps adds what the named containers need, and what that needs. */
static void test_pull_deps(void)
{
	struct docker_container *web = mk("web", 0), *db = mk("db", 1);
	int code;

	mk("data", 0);
	add(&web->links, "/db:/web/db");
	add(&db->volumes_from, "data:ro");
	check_str(order_of("web", 0, &code),
		  "\"web\" needs \"db\" (link), "
		  "which is not among the containers to start: name it too, "
		  "or add --pull-deps");
	check(code == EXIT_USAGE);
	check_str(order_of("web", 1, &code), "data db web");
	check(code == 0);
	check_str(order_of("web db", 0, &code),
		  "\"db\" needs \"data\" "
		  "(volumes-from), which is not among the containers to start: "
		  "name it too, or add --pull-deps");
	world_free();
}

/* A dependency the lookup cannot give: who needs it, how, and why not. */
static void test_missing(void)
{
	struct docker_container *web = mk("web", 0);
	int code;

	add(&web->links, "/ghost:/web/ghost");
	check_str(order_of("web", 1, &code), "\"web\" needs \"ghost\" (link): "
					     "no such container \"ghost\"");
	check(code == EXIT_USAGE);
	/* a named container that is not there: the lookup's own error */
	check_str(order_of("nosuch", 0, &code), "no such container \"nosuch\"");
	check(code == EXIT_USAGE);
	world_free();
}

/* A cycle is named by its path, from its first container (in the order
 * given) round to it again; what only leads into it is left out. */
static void test_cycle(void)
{
	struct docker_container *a = mk("a", 0), *b = mk("b", 0),
				*c = mk("c", 0), *r = mk("r", 0);
	int code;

	add(&a->links, "/b:/a/b");
	add(&b->volumes_from, "c:ro");
	snprintf(c->network_mode, sizeof(c->network_mode), "container:a");
	check_str(order_of("a b c", 0, &code),
		  "dependency cycle: a -> b -> c -> a");
	check(code == EXIT_USAGE);
	check_str(order_of("c a b", 0, &code),
		  "dependency cycle: c -> a -> b -> c");
	add(&r->links, "/b:/r/b");
	check_str(order_of("r a b c", 0, &code),
		  "dependency cycle: b -> c -> a -> b");
	/* pulled in: the same cycle */
	check_str(order_of("a", 1, &code),
		  "dependency cycle: a -> b -> c -> a");
	/* itself */
	mk("s", 0);
	add(&world[4].links, "/s:/s/s");
	check_str(order_of("s", 0, &code), "dependency cycle: s -> s");
	check(code == EXIT_USAGE);
	world_free();
}

/* The graph of names for startorder_drift. */
static int drift_of(const char *names, struct buf *diff, struct err *e)
{
	char buf[256], *argv[NC], *s;
	struct startorder g = { 0 };
	size_t n = 0;
	int rc;

	snprintf(buf, sizeof(buf), "%s", names);
	for (s = strtok(buf, " "); s && n < NC; s = strtok(NULL, " "))
		argv[n++] = s;
	rc = startorder_build(&g, (const char *const *)argv, n, 0, &src, e);
	check(rc == 0);
	diff->len = 0;
	if (diff->data)
		diff->data[0] = 0;
	rc = startorder_drift(&g, &src, diff, e);
	startorder_free(&g);
	return rc;
}

/* Saved lines against now's: only stopped containers with saved lines. */
static void test_drift(void)
{
	struct docker_container *web = mk("web", 0), *db = mk("db", 0),
				*up = mk("up", 1);
	struct buf diff = { 0 };
	struct err e;

	mk("new", 0); /* nothing saved: not checked */
	add(&web->extra_hosts, "api:10.0.0.9");
	check(hostconfig_lines(web, 0, &saved[0]) == 0);
	check(hostconfig_lines(db, 0, &saved[1]) == 0);
	/* running: its saved lines are not looked at */
	add(&saved[2], "dns 1.2.3.4");
	check(saved[0].n > 0 && saved[1].n > 0);
	(void)up;

	/* no differences */
	check(drift_of("web db up new", &diff, &e) == 0);
	check(diff.len == 0);

	/* web changed: one container, its lines, nothing about db */
	strv_free(&web->extra_hosts);
	add(&web->extra_hosts, "api:10.0.0.10");
	check(drift_of("web db up new", &diff, &e) == -1);
	check(e.code == EXIT_NO);
	check_str(e.msg, "1 container changed since save-hostconfig: nothing "
			 "started (--force starts anyway)");
	check_str(diff.data, "web: its configuration differs from the saved "
			     "one:\n  + extra-host api:10.0.0.10\n"
			     "  - extra-host api:10.0.0.9\n");
	/* the same after db, which did not change: no header of db */
	check(drift_of("db web", &diff, &e) == -1);
	check(!strstr(diff.data, "db:"));
	check(drift_of("web db", &diff, &e) == -1);
	check(!strstr(diff.data, "db:"));

	/* both changed */
	add(&db->links, "/web:/db/web");
	check(drift_of("web db", &diff, &e) == -1);
	check_str(e.msg, "2 containers changed since save-hostconfig: "
			 "nothing started (--force starts anyway)");
	check(strstr(diff.data, "db: its configuration differs from the "
				"saved one:\n  + link /web:/db/web\n") != NULL);

	/* the store's error comes through */
	saved_fails = 1;
	check(drift_of("web", &diff, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check_str(e.msg, "store: cannot read id-web");
	buf_free(&diff);
	world_free();
}

UNIT_TESTS(T(test_ties) T(test_kinds) T(test_pull_deps) T(test_missing)
		   T(test_cycle) T(test_drift))
