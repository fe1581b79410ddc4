/*
 * startorder.h - which containers start first (the start applet): the
 * dependency graph of the containers to start, Docker's own start order
 * rules (a container needs its HostConfig.Links targets, its VolumesFrom
 * sources and its NetworkMode "container:X" running first), Kahn's order
 * with ties in the order given, the cycle that stops it, and the drift
 * check of their configuration against the hostconfig lines
 * save-hostconfig kept (hostconfig.h).
 *
 * Pure: containers and saved lines come through callbacks (struct
 * startorder_src); nothing is printed, inspected or read here.
 */
#ifndef DFW_STARTORDER_H
#define DFW_STARTORDER_H

#include <stddef.h>

#include "dfw/docker.h"
#include "dfw/util.h"

/* Where containers and saved configurations come from. */
struct startorder_src {
	/*
	 * The container called name (a name or an ID, as given or as
	 * inspect gives a dependency: no leading slash); the pointer stays
	 * valid while the graph is used. NULL with e set (its words go into
	 * the messages, e.g. `no such container "x"`).
	 */
	const struct docker_container *(*container)(void *ctx, const char *name,
						    struct err *e);
	/*
	 * The hostconfig lines saved for the container id (a full ID) into
	 * *lines (owned by the caller; none saved: empty). 0, or -1 with e
	 * set.
	 */
	int (*saved)(void *ctx, const char *id, struct strv *lines,
		     struct err *e);
	void *ctx;
};

struct startorder_node {
	char id[65];
	char name[256];
	int running, paused; /* as inspected when the graph was built */
	size_t *deps;	     /* indices of the nodes it needs first */
	size_t ndeps;
	int placed;  /* startorder_order's */
	int started; /* the caller's: started by this run */
};

/* The containers to start: v[0..n) the ones named, in the order given,
 * then (with pull) the dependencies they pulled in. */
struct startorder {
	struct startorder_node *v;
	size_t n;
};

/*
 * Calls fn(arg, name, why) for each container c needs started first, by
 * name as inspect gives them: Links ("/target:/self/alias": "target"),
 * VolumesFrom ("name", "name:ro", "name:rw": "name") and NetworkMode
 * "container:X" ("X"); why is "link", "volumes-from" or "network
 * container:". Stops at the first fn that returns non-zero: -1, else 0.
 */
int startorder_each_dep(const struct docker_container *c,
			int (*fn)(void *arg, const char *name, const char *why),
			void *arg);

/*
 * Builds g (zeroed by the caller; free with startorder_free, also after
 * -1) from names[0..n) and their dependencies. A container named twice is
 * one node. A dependency that is not named is an error, unless pull: then
 * it is added (and its own dependencies too). 0, or -1 with e set: the
 * lookup's error for a named container; `"a" needs "b" (link): WHY` for
 * a dependency the lookup cannot give; EXIT_USAGE `"a" needs "b" (link),
 * which is not among the containers to start: name it too, or add
 * --pull-deps`; EXIT_RUNTIME out of memory.
 */
int startorder_build(struct startorder *g, const char *const *names, size_t n,
		     int pull, const struct startorder_src *src, struct err *e);
void startorder_free(struct startorder *g);

/*
 * The start order: out[0..g->n) the node indices (out has g->n room),
 * each after the nodes it needs; among the nodes ready at a step, the
 * first in g->v goes first (the order given). 0, or -1 with e set:
 * EXIT_USAGE `dependency cycle: a -> b -> a` (the cycle's names, cut to
 * the error's room), EXIT_RUNTIME out of memory.
 */
int startorder_order(struct startorder *g, size_t *out, struct err *e);

/*
 * Compares the configuration of every node not running with its saved
 * hostconfig lines (a node with none saved is not checked). 0 when none
 * differs; -1 with e set: EXIT_NO `N container(s) changed since
 * save-hostconfig: nothing started (--force starts anyway)` with diff
 * (appended) holding, for each that differs, "NAME: its configuration
 * differs from the saved one:\n" and hostconfig_diff's lines; or the
 * callbacks' errors, EXIT_RUNTIME out of memory.
 */
int startorder_drift(const struct startorder *g,
		     const struct startorder_src *src, struct buf *diff,
		     struct err *e);

#endif
