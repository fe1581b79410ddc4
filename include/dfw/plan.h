/*
 * plan.h - the planner: a table snapshot (struct fw) and the rules
 * wanted -> the ordered changes that make the table hold them. PURE: no
 * Docker, no store, no I/O; what it needs of the world (is the process
 * of a probe chain alive?) comes in as a callback. It edits the snapshot
 * as it goes, so each change's position is the one the kernel sees after
 * the changes before it.
 *
 * Layout docker-fw keeps in the filter table:
 *
 *   DOCKER-USER  -j DFW-FORWARD                       (first rule)
 *   (ip6 without DOCKER-USER: FORWARD -j DFW-FORWARD, first rule)
 *   INPUT        -j DFW-INPUT                         (first rule)
 *   DFW-FORWARD  -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN
 *                container rules, grouped per container, by comment
 *                -i B -o B -j DROP, per bridge B (init's tail; in
 *                ip6 with -m conntrack ! --ctstate UNTRACKED: the
 *                neighbour discovery of containers passes; in an ip6
 *                table without Docker's chains `-o B`, the policy
 *                left as it is)
 *   DFW-INPUT    add-input rules
 *                (ip6) add's rules of the userland proxy's path
 *                (ip6) ! -i lo -p P --dport PORT --ctstate NEW -j DROP,
 *                per published port (init's guards, plan_guards)
 *
 * A container's rule carries the comment "docker-fw NAME ID12"
 * (resolve.h); the ID finds it again after an address or a name changed,
 * the name (the key of the store) after the container was recreated.
 */
#ifndef DFW_PLAN_H
#define DFW_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "dfw/fw.h"
#include "dfw/resolve.h"
#include "dfw/util.h"

/* The comment of init's rules (the per-bridge DROP tails). */
#define PLAN_INIT_COMMENT FW_COMMENT " init"

/* The changes of one table, in order (fw_commit takes them as they are).
 * After a commit with backend.h's lean, v may be NULL with n > 0: the
 * changes were let go, their count stays. */
struct plan {
	struct fw_change *v;
	size_t n, cap;
	size_t work; /* rule comparisons made (fw_rule_equal
				 * calls): linear in the rules, which
				 * test_plan and #18's benchmark check */
};

/* Empties p for a new attempt (keeps its memory). */
void plan_reset(struct plan *p);
void plan_free(struct plan *p);

/* One wanted rule: its family, chain and where it comes from. */
struct plan_want {
	int family;  /* AF_INET or AF_INET6: the table */
	int chain;   /* RESOLVE_FORWARD or RESOLVE_INPUT */
	size_t item; /* the caller's: whose rule (an owner) */
	size_t spec; /* the caller's: which of its specs */
	struct fw_rule rule;
	int skip; /* left out (iptables refused it): not
				 * wanted, its live copy goes */
	/* the planner's */
	uint32_t hash;
	size_t next; /* next index + 1 in the bucket, 0: end */
	int have;    /* in the table (or already inserted) */
	int dup;     /* equal to an earlier one: ignored */
};

/* The wanted rules, found by hash: a replay of 10,000 rules must not be
 * quadratic. */
struct plan_wants {
	struct plan_want *v;
	size_t n, cap;
	size_t *bucket; /* index + 1, 0: empty */
	size_t mask;
	/* the caller's: plan_rules is the last to read them (their last
	 * family): it lets them go (plan_wants_free) once the chains hold
	 * the missing rules, before it records the insertions (#18) */
	int last;
};

/* Adds the wanted rule o (of item, spec). 0, or -1 (ENOMEM). */
int plan_wants_add(struct plan_wants *ws, const struct resolve_out *o,
		   size_t item, size_t spec);
void plan_wants_free(struct plan_wants *ws);

/* Whether the process pid is alive (kill(pid, 0) for a real run). */
typedef int (*plan_alive_fn)(long pid, void *arg);

/*
 * docker-fw's chains (DFW-FORWARD, DFW-INPUT), the jumps to them (first
 * in DOCKER-USER and INPUT, once: a hand-made copy goes; in an ip6 table
 * without DOCKER-USER, first in FORWARD, moved back up when Docker's
 * jumps went above it), the conntrack
 * RETURN first in DFW-FORWARD; scratch chains FW_PROBE_CHAIN-PID of a
 * process that alive says is gone are deleted (alive NULL: none is). 0, or -1 with e set
 * (EXIT_RUNTIME: no DOCKER-USER or INPUT chain; out of memory).
 */
int plan_base(struct plan *p, struct fw *f, plan_alive_fn alive, void *arg,
	      struct err *e);

/*
 * The rules of ws of f's family into docker-fw's chains (plan_base made
 * them). Our rules (resolve_rule_owner: a container's comment) that are
 * not wanted are deleted, bottom up; with cleanup every container's that
 * is not wanted, else only those of owners[0..n) (the selected ones:
 * by the comment's ID, or its name - resolve_comment_names - for the
 * rules of an earlier container of that name). A kept owner's (keep)
 * rules stay as they are. Missing wanted rules go in
 * grouped by comment: after the owner's own rules, before the first rule
 * of a later owner (by comment) or init's tail; foreign and other rules
 * stay where they are. A rule wanted twice is inserted once, a skipped
 * one not at all. With ws->last, ws is let go (plan_wants_free: empty
 * after, whether plan_rules succeeds or not). 0, or -1 with e set
 * (EXIT_RUNTIME: out of memory).
 */
int plan_rules(struct plan *p, struct fw *f, struct plan_wants *ws,
	       const struct resolve_owner *owners, size_t n, int cleanup,
	       struct err *e);

/*
 * init, after plan_base: the FORWARD policy DROP (an ip6 table with no
 * bridge in bridges, or without Docker's chains, keeps its own); Docker's
 * catch-all `-o B -j DOCKER` of each bridge B of bridges[0..n) removed
 * from FORWARD and DOCKER-BRIDGE; DFW-FORWARD ends with `-i B -o B -j
 * DROP` (comment PLAN_INIT_COMMENT; its ip6 forms in the layout above)
 * per bridge, once; with all (bridges are every bridge network), init's
 * DROPs of other bridges, or of another form, go (networks removed).
 * 0, or -1 with e set (EXIT_RUNTIME).
 */
int plan_setup(struct plan *p, struct fw *f, const char *const *bridges,
	       size_t n, int all, struct err *e);

/* A published host port: its protocol (IPPROTO_TCP, IPPROTO_UDP) and
 * number. */
struct plan_port {
	uint8_t proto;
	uint16_t port;
};

/*
 * init, in an ip6 table after plan_base: the guard of the userland
 * proxy's path. docker-proxy listens on [::]:PORT for each published
 * port and carries an IPv6 client that no DNAT sent to the container (an
 * IPv4-only container; a Docker writing no ip6 rules) from the host's
 * INPUT to the container: DFW-INPUT ends with `! -i lo -p PROTO --dport
 * PORT -m conntrack --ctstate NEW -j DROP` (comment PLAN_INIT_COMMENT)
 * per port of ports[0..n), once; add's proxy rules (resolve.h) go before
 * it. With all (ports are every published port), init's guards of other
 * ports go (plan_host's DROPs are left alone). 0, or -1 with e set (EXIT_RUNTIME).
 */
int plan_guards(struct plan *p, struct fw *f, const struct plan_port *ports,
		size_t n, int all, struct err *e);

/*
 * init's jumps, first in their chains (after plan_base): where the table
 * has DOCKER-USER, Docker's own `FORWARD -j DOCKER-USER` (no comment, as
 * Docker writes it: a missing one is put back, one lower down moved to
 * the top) and ours into DFW-FORWARD first in DOCKER-USER; `INPUT -j
 * DFW-INPUT` first. A firewall script run after dockerd leaves these
 * missing or below its own rules, and DFW-FORWARD is then never reached.
 * 0, or -1 with e set (EXIT_RUNTIME: no INPUT chain; out of memory).
 */
int plan_jumps(struct plan *p, struct fw *f, struct err *e);

/*
 * init, after plan_base: container -> host traffic closed. DFW-INPUT ends
 * (after the add-input rules, which plan_rules puts before init's rules)
 * with `-i B -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP`
 * (comment PLAN_INIT_COMMENT; in an ip6 table `! --ctstate
 * RELATED,ESTABLISHED,UNTRACKED`: neighbour discovery passes) per bridge
 * of bridges[0..n), once; replies to the host's own connections pass.
 * With all, init's DROPs of this form for other bridges go (n 0 and all:
 * every one goes, the host left open as chosen). Guards (plan_guards)
 * are left alone. 0, or -1 with e set (EXIT_RUNTIME).
 */
int plan_host(struct plan *p, struct fw *f, const char *const *bridges,
	      size_t n, int all, struct err *e);

/* Whether r is one of init's tail rules. */
int plan_is_tail(const struct fw_rule *r);

#endif
