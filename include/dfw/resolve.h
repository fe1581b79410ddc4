/*
 * resolve.h - rule specs and the Docker view -> the kernel rules wanted
 * now: the checks and normal form of a new spec (resolve_check), the
 * rules of one stored spec, per address family (resolve_rule), the
 * canonical form of a --filter through iptables-nft (resolve_canon), and
 * the owner comment "docker-fw NAME ID12" that finds a container's rules
 * again (resolve_owner_comment, resolve_rule_owner).
 */
#ifndef DFW_RESOLVE_H
#define DFW_RESOLVE_H

#include "dfw/docker.h"
#include "dfw/fw.h"
#include "dfw/rulespec.h"
#include "dfw/util.h"
#include "dfw/view.h"

/* docker-fw's chains a rule goes to: indexes of resolve_chains. */
enum {
	RESOLVE_FORWARD, /* FW_CHAIN_FORWARD: add, add-internal, ... */
	RESOLVE_INPUT,	 /* FW_CHAIN_INPUT: add-input */
	RESOLVE_NCHAINS,
};
extern const char *const resolve_chains[RESOLVE_NCHAINS];

/* The INPUT rules of the userland proxy's path one add spec gives at
 * most: one per published port (see resolve_rule). */
#define RESOLVE_PROXY_MAX 8

/* The most kernel rules one spec gives: one per address family, and the
 * proxy path's. */
#define RESOLVE_MAX (2 + RESOLVE_PROXY_MAX)

/* One wanted kernel rule of a spec. */
struct resolve_out {
	int family; /* AF_INET or AF_INET6: the table the rule
				 * goes to, as rule.family */
	int chain;  /* RESOLVE_FORWARD or RESOLVE_INPUT */
	struct fw_rule rule;
};

/*
 * The kernel rules of spec r of container c (which must be running; a
 * container peer is looked up in v and must be running too) into
 * out[0..*n), in this order:
 * - IPv4, then IPv6: a container (".", a peer) stands for its address
 *   of each family on the network the rule uses, "/" for the network's
 *   gateway of each family; a literal address is a rule of its family
 *   only. The IPv6 rule of a spec without a literal is left out when the
 *   other side has no IPv6 address (a peer, a gateway without one); an
 *   address missing in the family a literal or IPv4 needs is an error.
 * - add with an IPv6 source: the userland proxy's path, for each
 *   published port of c bound on IPv6 ([::], or no host address) whose
 *   container port and protocol are the spec's (every one without
 *   --dport), an IPv6 rule in DFW-INPUT (RESOLVE_INPUT) from the source
 *   to the HOST port, ACCEPT: docker-proxy takes such a client through
 *   the host's INPUT when no DNAT sends it to the container (an
 *   IPv4-only container, or a Docker that writes no ip6 rules). Then the
 *   FORWARD rule of IPv6 is left out when c has no IPv6 address. More
 *   than RESOLVE_PROXY_MAX such ports is an error (name one with
 *   --dport).
 * base, when not NULL, gets each rule without its --filter (resolve_canon's
 * starting point). A --filter beyond the libiptc subset is an error when
 * iptc_only is set (the iptc backend runs), else kept for iptables to
 * judge. A container in another's network stack (network mode
 * container:X) stands for X's addresses and published ports (view_stack);
 * its rules keep its own comment. Without --network, the network is
 * the one the rule was made on (r->made_on) when the containers are
 * still on it, else as view_pick_net picks. 0, or -1 with e set
 * (EXIT_USAGE naming what is missing: an address, a running peer; a
 * filter's word), or RESOLVE_UNPLACED with e set (EXIT_USAGE): the
 * topology leaves the rule no network (c not on its --network, several
 * to choose from, none shared with the peer).
 */
#define RESOLVE_UNPLACED (-2)
int resolve_rule(struct view *v, int iptc_only,
		 const struct docker_container *c, const struct rulespec *r,
		 struct resolve_out out[RESOLVE_MAX],
		 struct fw_rule base[RESOLVE_MAX], size_t *n, struct err *e);

/*
 * The checks of a new spec r of container c against the view, and its
 * normal form: c running; a container peer known, not c, and recorded by
 * its name; a bare address of a Docker network refused, or with
 * --rev-lookup replaced by the running container holding it; the
 * combinations of --source and --dest each action allows; without
 * --network, the network the rule is made on recorded in r->made_on
 * (unless set: a rule read back keeps its own). The --filter is left to
 * resolve_rule and resolve_canon. 0, or -1 with e set (EXIT_USAGE naming
 * the input).
 */
int resolve_check(struct view *v, const struct docker_container *c,
		  struct rulespec *r, struct err *e);

/* Whether a published port's host address (Docker's HostIp text) is
 * one no outside host reaches: a loopback address (127.0.0.0/8, ::1,
 * ::ffff:127.x). "" (every address) is not. Pure. */
int resolve_host_only(const char *ip);

/* Whether r's --filter goes beyond what the iptc backend encodes. */
int resolve_beyond_subset(const struct rulespec *r);

/*
 * A new --filter with conditions docker-fw does not model: iptables-nft
 * (env's tools; the live table only when may_write) decides whether it
 * takes rule fr (base: fr without the filter; chain: RESOLVE_*), an
 * error naming the filter and what iptables said; fr becomes the rule as
 * iptables-nft-save prints it, and r's filter that text when it reads
 * back as the same rule, so replays find it in the table as it is.
 * 0, or -1 with e set (EXIT_USAGE; EXIT_RUNTIME when no probe can run).
 */
int resolve_canon(const struct fw_env *env, int may_write, struct rulespec *r,
		  const struct fw_rule *base, struct fw_rule *fr, int chain,
		  struct err *e);

/* Whether canonical is still the rule want: the same addresses,
 * protocol, ports and interfaces it had, comment and target. */
int resolve_same_spec(const struct fw_rule *want,
		      const struct fw_rule *canonical);

/*
 * The comment of the rules of container (name, id): "docker-fw NAME
 * ID12", at most FW_COMMENT_MAX bytes (xt_comment's 256 with the NUL).
 * The ID is what finds a rule again (resolve_rule_owner); a name too long
 * to go with it whole (233 bytes or more; Docker takes names of any
 * length) is cut to its first bytes and "...", never the ID. 0, or -1
 * with e set (EXIT_RUNTIME) naming a name or ID no comment may hold (a
 * control character, not hexadecimal, empty).
 */
int resolve_owner_comment(char out[256], const char *name, const char *id,
			  struct err *e);

/* A container a run looks at, for resolve_rule_owner and the planner. */
struct resolve_owner {
	const char *id; /* full ID (at least 12 hex digits) */
	const char *name;
	int keep; /* its rules stay as they are (plan.h) */
};

/*
 * The ID12 of the container owning a live rule, or NULL (not a
 * container's rule): the last word of its comment "docker-fw NAME ID12",
 * 12 hexadecimal digits after a non-empty name. A comment that a
 * docker-fw before the name was cut made, cut at 255 bytes before its
 * ID (a name of 233 bytes or more), is the rule of the owner of v[0..n)
 * whose name makes that comment; "-", no container's, when none does (so
 * a full replay removes it, and a selective one leaves it). The result
 * points into r or v.
 */
const char *resolve_rule_owner(const struct fw_rule *r,
			       const struct resolve_owner *v, size_t n);

/*
 * Whether comment is the owner comment of a container named name, of any
 * ID (rules belong to a name: those a container of that name made before
 * it was recreated are the name's record's too). A name that no comment
 * may hold, or "", names none. Pure.
 */
int resolve_comment_names(const char *comment, const char *name);

#endif
