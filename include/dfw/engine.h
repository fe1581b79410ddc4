/*
 * engine.h - the orchestration the add*, allow, replay, drop, start and
 * init applets share. A sync: every item's rule specs resolved with the
 * addresses Docker gives now (resolve.h, over the run's view.h), the
 * store files staged, the hosts entries checked (hostsync.h), then under
 * one xtables lock (backend.h) the difference with the live table
 * planned (plan.h, which also shows the layout docker-fw keeps) and
 * committed, the hosts files written right before; then the store
 * committed. Setup (init) the same for docker-fw's chains and init's
 * rules. struct engine holds the run: its configuration, the Docker
 * connection, the view, the store, and its results.
 *
 * Rules belong to a container name (the key of the store): a container
 * removed and created again with the same name (a new ID) takes the
 * record of the name; the owner comment "docker-fw NAME ID12" of a live
 * rule finds it by its name or its ID (resolve_rule_owner).
 */
#ifndef DFW_ENGINE_H
#define DFW_ENGINE_H

#include <stdio.h>

#include "dfw/backend.h"
#include "dfw/config.h"
#include "dfw/docker.h"
#include "dfw/fw.h"
#include "dfw/hostsync.h"
#include "dfw/plan.h"
#include "dfw/rulespec.h"
#include "dfw/store.h"
#include "dfw/util.h"
#include "dfw/view.h"

struct engine {
	const struct dfw_config *cfg; /* the caller's, outlives it */
	struct fw_env env;	      /* the kernel's lock and tools (cfg) */
	struct docker d;
	struct store store;
	int dry_run;	   /* cfg's */
	struct view view;  /* Docker as this run sees it */
	struct backend be; /* which rule set; results: the
					 * layout, the retries */
	/* what happened, for the applet to print */
	struct plan plans[BACKEND_NFAMILIES]; /* per family: applied (or,
						 * dry run, planned) */
	struct hostsync hs;		      /* add-two-ways entries */
	struct strv warnings;		      /* one line each, no prefix */
	struct strv uncovered;		      /* networks init has not closed */
	struct strv unfiltered;	  /* the warnings for containers with rules
				 * on a network whose traffic FORWARD never
				 * sees (engine_forwarded_driver) */
	struct strv host_changes; /* what init's part changed outside the
				   * tables (sysctls, its settings), one
				   * line each, counted by engine_pending */
	int to_host;	    /* engine_setup: ENGINE_HOST_*, 0: as before */
	size_t live_probes; /* scratch chains of docker-fw runs that
			     * still run, seen in a table (plan_base) */
	size_t unplaced;    /* stored rules the topology leaves no network
			  * (resolve.h, RESOLVE_UNPLACED): left out with a
			  * warning; a dry run counts them as pending */
};

/* engine_setup's choice for container -> host traffic (settings.h). */
enum {
	ENGINE_HOST_OPEN = 1, /* left to the host's INPUT */
	ENGINE_HOST_CLOSED,   /* DROP per bridge in DFW-INPUT */
};

/* What engine_init opens besides the Docker client (which does not
 * connect until used). */
enum {
	ENGINE_STORE = 1,  /* the store, locked unless c->dry_run */
	ENGINE_STORE_READ, /* the store for reading (no lock, nothing
				 * created) */
};

/* Prepares g for the run c describes (c outlives g): the Docker client
 * (docker_init) and, with what, the store. 0 or -1 with e set. */
int engine_init(struct engine *g, const struct dfw_config *c, unsigned what,
		struct err *e);
void engine_free(struct engine *g);

/* Forgets what was inspected (after containers started: new addresses).
 * Pointers engine_container gave become invalid. */
void engine_forget(struct engine *g);

/* Inspects (cached) the container named name; NULL with e set
 * (EXIT_USAGE `no such container "x"`). */
const struct docker_container *engine_container(struct engine *g,
						const char *name,
						struct err *e);

/* The container named exactly name (never one whose ID merely starts
 * with it: rules belong to names), cached as engine_container, with what
 * the container list gives only (no HostsPath, mounts nor HostConfig
 * beyond NetworkMode, unless an earlier lookup inspected it); NULL with
 * e set (EXIT_USAGE `no such container "x"`). */
const struct docker_container *engine_named(struct engine *g, const char *name,
					    struct err *e);

/*
 * Makes a new rule spec ready to store for container c: checks it against
 * Docker (c must be running; a container peer must be running and share
 * a network; a bare Docker-network address is refused, or with
 * --rev-lookup replaced by the container holding it; --network must be
 * one of c's networks) and normalises it (peers recorded by name). A
 * --filter beyond the libiptc subset needs the nft backend (found now if
 * need be): iptables-nft checks it (fw_nft_canon), and it is kept as
 * iptables-nft-save prints it. 0, or -1 with e set (EXIT_USAGE naming the
 * input; for a filter iptables refuses, its message).
 */
int engine_check_rule(struct engine *g, const struct docker_container *c,
		      struct rulespec *r, struct err *e);

/*
 * The new state of one container for engine_sync: its store record (the
 * rules it keeps from now) and whether docker-fw should remove it from
 * the store.
 */
struct sync_item {
	struct store_rec rec;
	int dirty; /* rec differs from its file: save it */
	int drop;  /* drop: no rules, no hosts entries, no file */
	int keep;  /* its store file cannot be read: its live
				 * rules stay as they are, its file too */
	const struct store_rec *old; /* a dirty rec's file as the caller
				      * read it (add), to tell its new
				      * rules; NULL: engine_sync reads it
				      * again (the caller owns it) */
};

/* The containers of a run, each once (by ID or name), in the order
 * added. */
struct engine_items {
	struct sync_item *v;
	size_t n;
};

/* Adds rec (taken over: freed when its container - its ID or its name -
 * is there already, or when out of memory) with drop and keep set,
 * unless its container is there. 0, or -1 (ENOMEM). */
int engine_items_push(struct engine_items *s, struct store_rec *rec, int drop,
		      int keep);

/*
 * A full sync's items: every record of g's store, and for each store
 * file that cannot be read an item of its ID and name whose rules stay
 * as they are (keep). Those files come back in *bad (*nbad of them, each
 * err naming the file with engine_bad_file_hint's fix; the caller frees
 * *bad with free()) for the caller to report. 0, or -1 with e set (the
 * store folder unreadable, or out of memory; *bad NULL).
 */
int engine_items_all(struct engine *g, struct engine_items *items,
		     struct store_bad **bad, size_t *nbad, struct err *e);

/* Adds the stored records whose rules name c (engine_dependents), each
 * unless there. 0, or -1 with e set. */
int engine_items_dependents(struct engine *g, struct engine_items *s,
			    const struct docker_container *c, struct err *e);

void engine_items_free(struct engine_items *s);

/*
 * Finds the store record of the container named name: the record of
 * the name of what Docker resolves it to (rules belong to names), else
 * (Docker does not know it, or is unreachable) a stored name, or a
 * stored ID or ID prefix (the last ID seen, or that of another file of
 * the name; a file that cannot be read is found by its ID, and by the
 * name its line 2 gives when it could be read). Docker's own order,
 * over Docker and the store together: a full ID or an exact name first,
 * then an ID prefix, which must be unique across both (a removed
 * container's stored name is not taken for a prefix of a running one's
 * ID). *rec is loaded (maybe empty, with the ID set). With bad (drop), a store file that cannot be read is no
 * error: *rec is then empty with its ID (and the name Docker or the file
 * gives) and *bad says why; bad's msg is "" when the file was read. 0,
 * or -1 with e set (EXIT_USAGE when neither the store nor Docker knows
 * it, or the name is ambiguous; the file's error, with what to do, when
 * it cannot be read and bad is NULL).
 */
int engine_find_record(struct engine *g, const char *name,
		       struct store_rec *rec, struct err *bad, struct err *e);

/* Adds what to do to the error of a store file that cannot be read:
 * fix or remove it, or drop the container (by the ID12 of id). */
void engine_bad_file_hint(struct err *e, const char *id);

/*
 * Whether the run so far said nothing and touched nothing beyond the
 * table: no warning, no rule left out, no network init did not close,
 * no live probe chain, no container inspected, no hosts entry (replay's
 * stamp, stamp.h, needs this). 1 or 0.
 */
int engine_quiet(const struct engine *g);

/*
 * Whether Docker's network driver driver (GET /networks' Driver) carries
 * its containers' traffic through a Linux bridge of this network
 * namespace, so through FORWARD, where docker-fw's rules are: "bridge";
 * "host" and "null" are no network of their own. macvlan and ipvlan put
 * containers on a host interface's own network, overlay in a namespace
 * of its own: FORWARD never sees them (a sync warns for a container
 * with rules there: engine.unfiltered). 1 or 0.
 */
int engine_forwarded_driver(const char *driver);

/* The warning for a container on a network FORWARD never sees (one line,
 * appended to b; check's finding says the same). 0, or -1 (ENOMEM). */
int engine_unfiltered_text(struct buf *b, const char *container,
			   const char *network, const char *driver);

/*
 * Brings the kernel in line with items[0..n): for each item, the rules
 * its record yields now for the container holding its name (none when
 * it is stopped or there is none) replace the live rules of that name
 * (or of the record's ID), changing only what differs.
 * With cleanup, live rules of containers not in items are removed too
 * (replay of everything), but those of items with keep set. A drop item
 * needs no Docker: when the daemon cannot be reached, its rules are found
 * by their comments and its hosts entries stay (a warning says so).
 * Ensures docker-fw's chains and jumps; deletes
 * scratch chains killed runs left. When init ran (its settings are in
 * the store), re-asserts init's part as engine_setup makes it for the
 * networks init closed (by name; one removed since is left out) and the
 * ports published now, and bridge netfilter (not for a drop that cannot
 * reach Docker). Rules that cannot be resolved (a
 * stopped peer), or whose --filter the backend refuses, are left out with
 * a warning; those the topology leaves no network (RESOLVE_UNPLACED) are
 * counted in g->unplaced too. A --filter stored in another spelling than nf_tables shows
 * is brought to its form first (a probe, fw_nft_canon).
 * Unless g->dry_run, the rules of items neither dirty, drop nor keep are
 * let go before the commit (rec.rules NULL, rec.nrules 0; their files
 * hold them, a redo reads them again: #18): the caller reads only the
 * other fields of such an item after.
 * Then, unless g->dry_run, stores every dirty record, and those whose
 * name a container of another ID holds now (recreated: the record takes
 * its ID, its file that ID's name) or that were read from several files
 * (store.h: written as one); a record without rules removes the file.
 * g->changes gets the changes. Hosts entries of add-two-ways rules
 * (g->hosts) are checked before anything changes and written right
 * before the commit (undone if it fails). Returns 0; or -1 with e set and
 * nothing changed (the kernel, the store and the hosts files as before),
 * which is also the case when an entry that a new rule of a dirty item
 * needs cannot be set; or 1 with e set (EXIT_RUNTIME): everything was
 * applied except the hosts entries e names (the first; the others are
 * in g->warnings).
 */
int engine_sync(struct engine *g, struct sync_item *items, size_t n,
		int cleanup, struct err *e);

/*
 * init: makes the conditions the whitelist relies on true. docker-fw's
 * chains, jumps and the conntrack rule; the jumps first (Docker's
 * `FORWARD -j DOCKER-USER` too, plan_jumps); the FORWARD policy DROP;
 * for each bridge network (all when names is empty), Docker's catch-all
 * jump `-o B -j DOCKER` removed (from FORWARD before Docker 28.1,
 * DOCKER-BRIDGE after), DFW-FORWARD ended with `-i B -o B -j DROP`, and
 * unless g->to_host (else the stored choice) says open, container ->
 * host traffic from B ended in DROP in DFW-INPUT (plan_host); in ip6,
 * the proxy guards of every published port (plan_guards); bridge
 * netfilter on (net.bridge.bridge-nf-call-iptables, -ip6tables when a
 * network has IPv6). The networks closed (added to those of earlier
 * runs when names are given) and the choice are kept in the store's
 * settings (settings.h, written after the commit; g->store must be
 * open for writing unless a dry run), so that engine_sync re-asserts
 * them. g->host_changes says what changed besides the tables. 0 or -1
 * with e set (EXIT_USAGE: a name that is no bridge network;
 * EXIT_RUNTIME: bridge netfilter cannot be turned on - br_netfilter not
 * loaded, /proc/sys read-only - with nothing changed).
 */
int engine_setup(struct engine *g, const struct strv *names, struct err *e);

/* The load of every stored record whose rules name container c (by name
 * or ID) as a peer, except c itself. A store file that cannot be read is
 * left out with a warning. */
int engine_dependents(struct engine *g, const struct docker_container *c,
		      struct store_rec **v, size_t *n, struct err *e);

/* "# backend NAME: WHAT; Docker firewall layout L" (init, --verbose). */
void engine_print_backend(const struct engine *g, FILE *f);

/* The number of changes of the run: table and hosts files. */
size_t engine_pending(const struct engine *g);

/* Prints the changes of g (fw_change_format lines) to f, after a
 * "# ... redone N times" line when the kernel made us redo the run. */
void engine_print_changes(const struct engine *g, FILE *f);

#endif
