/*
 * view.h - the Docker snapshot of one run: the container list (one GET
 * /containers/json?all=1), the networks, and the lookups the rules need
 * on them (which network of a container a rule uses, which Docker
 * network holds an address, which running container holds it). Nothing
 * here changes Docker.
 *
 * Callers say what they need of a container (VIEW_NEEDS_*): the list
 * gives its ID, name, state, network mode, networks and ports; only a
 * caller that needs more (HostsPath and mounts, HostConfig) makes an
 * inspect, once per container (#18). A name the list does not hold is
 * inspected too (a container made after the list was read).
 */
#ifndef DFW_VIEW_H
#define DFW_VIEW_H

#include <stdint.h>

#include "dfw/docker.h"
#include "dfw/util.h"

/* What of a container a caller needs beyond its ID, name, state and
 * addresses (which the container list gives). */
enum {
	VIEW_NEEDS_HOSTS = 1,  /* HostsPath and the mounts (hosts files) */
	VIEW_NEEDS_CONFIG = 2, /* HostConfig (start order, drift) */
	VIEW_NEEDS_ALL = 3,
};

struct view {
	struct docker *d;	     /* the caller's, outlives the view */
	struct docker_network *nets; /* GET /networks, once */
	size_t nnets;
	int have_nets;
	int nets_failed; /* it failed (why: nets_err): not asked again */
	struct err nets_err;
	int unanswered; /* set when a request got no answer it could read
			 * (the networks or the list, a 404 too; an inspect
			 * but its 404; asked again or the failure kept from
			 * before), or memory ran out holding one: a caller
			 * clears it to learn whether what it asks for next
			 * meets such a failure */
	struct docker_container **ctrs; /* each in its own block */
	size_t nctrs;
	struct docker_summary *list; /* GET /containers/json, once */
	size_t nlist;
	int have_list;
	int list_failed; /* it failed (why: list_err): not asked again
			      * until view_forget */
	struct err list_err;
	/* list[i]'s container, made when first asked (NULL before), and
	 * what it holds (VIEW_NEEDS_* bits: what an inspect added) */
	struct docker_container **made;
	unsigned *have;
	/* the list's index: entries sorted by ID, and the named ones by
	 * name (view.c) */
	struct view_key *by_id, *by_name;
	size_t nnamed;
	size_t inspected; /* containers inspected (GET
				 * /containers/{id}/json) since view_init */
};

/* An empty view over connection d (nothing is asked yet). */
void view_init(struct view *v, struct docker *d);

/* Forgets the containers and the list (after containers started: new
 * addresses); the networks stay. Pointers view_container gave become
 * invalid. */
void view_forget(struct view *v);

/* Frees everything; v is empty after. */
void view_free(struct view *v);

/*
 * The container named name (a full ID, a name, or a unique ID prefix, in
 * Docker's order; a leading '/' is dropped), from the list (read on first
 * use) and inspected only for needs (VIEW_NEEDS_* bits) the list lacks,
 * or when the list does not hold it; O(log containers) once the list is
 * read. The pointer stays valid until view_forget or view_free (an
 * inspect for more needs fills the same block). 0 with *c set; -1 with e
 * set (EXIT_USAGE `no such container "x"`, else EXIT_RUNTIME); or
 * DOCKER_AMBIGUOUS with e set (EXIT_USAGE): an ID prefix of several
 * containers.
 */
int view_lookup(struct view *v, const char *name, unsigned needs,
		const struct docker_container **c, struct err *e);

/* view_lookup for callers that need no ambiguity apart: the container,
 * or NULL with e set. */
const struct docker_container *view_container(struct view *v, const char *name,
					      unsigned needs, struct err *e);

/* Reads the container list (v->list, once) and indexes it. 0, or -1
 * with e set. */
int view_list(struct view *v, struct err *e);

/* Reads the networks (once). 0, or -1 with e set. */
int view_networks(struct view *v, struct err *e);

/*
 * The running (or paused) container that holds the address addr of
 * family (AF_INET: 4 bytes, network byte order; AF_INET6: 16) on one of
 * its networks; the list is read once. NULL with e set (EXIT_USAGE "no
 * container holds it", or the error of reading the list or inspecting).
 */
const struct docker_container *view_holder(struct view *v, int family,
					   const uint8_t addr[16],
					   struct err *e);

/* The Docker network and subnet (*subnet, Docker's CIDR text) that hold
 * the network addr/prefix of family (addr as view_holder's) whole, or
 * NULL; the networks must have been read (view_networks). */
const struct docker_network *view_net_of(const struct view *v, int family,
					 const uint8_t addr[16], int prefix,
					 const char **subnet);

/* The Linux bridge of the network of endpoint n (by its ID, else its
 * name): the bridge driver's "docker0", "br-<ID>" or its
 * com.docker.network.bridge.name; "" for another driver; NULL for a
 * network the read (view_networks, which the caller made) does not
 * hold. */
const char *view_bridge(const struct view *v, const struct docker_cnet *n);

/* The endpoint of container c on the network named name, or NULL. */
const struct docker_cnet *view_cnet(const struct docker_container *c,
				    const char *name);

/*
 * The network of c a rule uses: network when not "" (--network, strict),
 * else made_on (NULL or "": none; the network the rule was made on)
 * when c is on it (and peer, when not NULL, too), else c's only one, or
 * the one c shares with peer (a rule between two containers). NULL with e
 * set (EXIT_USAGE, naming the containers, their networks, and made_on
 * where it no longer helps) when there is none, or several to choose
 * from. c and peer are the containers whose network stacks the rule
 * uses (view_stack).
 */
const struct docker_cnet *view_pick_net(const struct docker_container *c,
					const char *network,
					const struct docker_container *peer,
					const char *made_on, struct err *e);

/*
 * The container whose network stack c uses: c, or for network mode
 * container:X the container X (followed when X is itself in another's
 * stack, 3 deep at most), which must be running. Its addresses and
 * published ports are c's. NULL with e set (EXIT_USAGE naming c and X:
 * X unknown, not running).
 */
const struct docker_container *view_stack(struct view *v,
					  const struct docker_container *c,
					  struct err *e);

/*
 * The network of c that Docker's DNAT sends c's published ports to, so
 * the one where an add rule (published ports, seen after DNAT) matches:
 * c's only network, else the endpoint libnetwork makes c's default
 * gateway, whose endpoint the bridge driver publishes the ports on (its
 * order: GwPriority, not internal, from API 1.48 the number of gateways,
 * then the network's name; libnetwork's Endpoint.Less). network when
 * not "" (--network) must be that one. The networks are read (once).
 * NULL with e set (EXIT_USAGE naming the network DNAT goes to; or as
 * view_pick_net says).
 */
const struct docker_cnet *view_port_net(struct view *v,
					const struct docker_container *c,
					const char *network, struct err *e);

/* An IPv4 address in text (Docker's) to network byte order: 0, or -1
 * when s is NULL or not one. */
int view_ip4(const char *s, uint32_t *out);

#endif
