/*
 * check.h - does the whitelist hold? What `docker-fw check` reports,
 * found without changing anything: the changes a dry run of init (the
 * engine's setup) and of a full replay would make to the filter tables
 * (each one a finding: a jump missing, Docker's catch-all back, a stored
 * rule missing or with yesterday's address, a rule of a container gone,
 * a tail or guard missing), the hosts entries a replay would set, the
 * stored rules it would leave out and the store files it cannot read;
 * and what the plan does not see: bridge netfilter off in this network
 * namespace, the other rule set (legacy x_tables on an nf_tables host,
 * or the reverse) holding docker-fw's or Docker's rules, containers on
 * the host's network stack, container -> host left open by choice, and
 * rules packets reach after docker-fw's that let new traffic into a
 * bridge without it (paths around the whitelist).
 */
#ifndef DFW_CHECK_H
#define DFW_CHECK_H

#include <stddef.h>

#include "dfw/engine.h"
#include "dfw/util.h"

/* The kinds of findings (the `kind=` of check's kv records; README
 * "Checking the whitelist" lists them). */
#define CHECK_JUMP \
	"jump"			    /* a jump into docker-fw's or
					 * Docker's chains missing, moved
					 * or doubled */
#define CHECK_CATCH_ALL "catch-all" /* Docker's -o B -j DOCKER back */
#define CHECK_POLICY "policy"	    /* a built-in chain's policy */
#define CHECK_CHAIN \
	"chain"			    /* docker-fw's chain missing, a
					 * scratch chain left */
#define CHECK_INIT_RULE "init-rule" /* init's tails and guards */
#define CHECK_RULE_MISSING \
	"rule-missing" /* a stored rule not in the
					   * table as it is now */
#define CHECK_RULE_STALE \
	"rule-stale"	    /* a rule of docker-fw not wanted
					 * now (old address, gone) */
#define CHECK_TABLE "table" /* any other change of the plan */
#define CHECK_HOSTS "hosts" /* an add-two-ways hosts entry */
#define CHECK_UNAPPLIED \
	"rule-unapplied"	     /* a stored rule replay leaves
					  * out (its warning) */
#define CHECK_NETWORK "network-open" /* a network init has not closed */
#define CHECK_STORE "store"	     /* a store file unreadable */
#define CHECK_BRIDGE_NF "bridge-nf"  /* bridge netfilter off */
#define CHECK_OTHER_SET \
	"other-rule-set" /* the rule set Docker does not
					  * use holds rules of docker-fw
					  * or Docker */
#define CHECK_HOST_NET \
	"host-network" /* a container on the host's
					 * stack: unfiltered */
#define CHECK_UNFILTERED \
	"network-unfiltered" /* a container on a network whose
				  * traffic does not pass FORWARD
				  * (macvlan, ipvlan, overlay) */
#define CHECK_HOST_OPEN \
	"host-open"	      /* container -> host open by
					 * init's choice (a note) */
#define CHECK_UNREAD "unread" /* something not read (a note) */
#define CHECK_PATH \
	"path" /* a rule past docker-fw's that lets new
					 * traffic into a bridge (a foreign
					 * ACCEPT, or a jump into DOCKER), or
					 * one in docker-fw's chains it did
					 * not make that lets packets past */

/* One finding. Strings are owned, "" when not known; none holds a
 * control character unescaped (they are escaped when made). */
struct check_finding {
	const char *kind; /* CHECK_* (static) */
	int note;	  /* 1: chosen or not checked, the whitelist
				 * still holds; 0: it does not */
	int family;	  /* AF_INET, AF_INET6, 0: no table */
	char *chain;	  /* the chain, or "" */
	char *container;  /* the container, or "" */
	char *what;	  /* what is wrong, one line */
	char *change;	  /* the change the fix makes, as
				 * iptables-restore text (fw_change_format),
				 * or "" */
	char *fix;	  /* how to fix it, one line */
};

struct check_report {
	struct check_finding *v;
	size_t n, cap;
	size_t nfail; /* findings with note 0 */
};

/*
 * Checks the host g is open on (engine_init with ENGINE_STORE_READ and
 * g->dry_run set: nothing is locked but the xtables lock while reading,
 * nothing is written) and appends the findings to r, in this order: init's
 * changes (fix: `docker-fw init`), the replay's other changes, hosts
 * entries and left-out rules (fix: `docker-fw replay`, or what the
 * warning says), store files, bridge netfilter
 * (/proc/sys/net/bridge/bridge-nf-call-ip{,6}tables of this network
 * namespace), the other rule set (read with the other backend, never
 * changed; on a legacy host iptables-nft-save, whose absence is a note),
 * host-network containers, container -> host open by choice
 * (check_host_open). 0, or -1 with e set (EXIT_RUNTIME: Docker, a table
 * or the store could not be read; the whitelist's state is not known).
 */
int check_run(struct engine *g, struct check_report *r, struct err *e);

void check_report_free(struct check_report *r);

/*
 * Whether init was told to keep container -> host open (`init --to-host
 * open`, kept in the store's settings file): settings.h's dfw_host_open
 * for g's configuration. 1 open, 0 closed (also when init never ran), -1
 * with e set (cannot be read).
 */
int check_host_open(const struct engine *g, struct err *e);

/* Appends v as a kv value: as is when it is not empty and holds no
 * blank, '"', '\\' or '='; else in double quotes with '"' and '\\'
 * escaped (control characters were escaped when the finding was made).
 * 0, or -1 (ENOMEM). */
int check_kv_value(const char *v, struct buf *out);

/* Where check_path_into found the rule that lets traffic in. */
struct check_path_at {
	const char *chain; /* its chain, a name in f; NULL: x itself */
	size_t pos;	   /* its number there, from 1 (chain set) */
	size_t bridge;	   /* the bridge's network: an index in nets */
};

#define CHECK_PATH_DEPTH 64 /* chains followed down from one rule */

/* check_path_into's table, networks and what it learnt: each chain is
 * followed once per bridge, whatever the number of jumps into it. */
struct check_paths {
	struct fw *f;
	const struct docker_network *nets;
	size_t n;
	unsigned char *neg;  /* [chain * n + bridge]: no path there */
	unsigned char *busy; /* [chain]: being followed */
	int deep;	     /* a jump left unfollowed: CHECK_PATH_DEPTH */
};

/* p for table f (fw_open's, or made by hand; not changed while p is in
 * use) and the networks nets[0..n) (GET /networks), which must outlive
 * p. 0, or -1 (out of memory). */
int check_paths_init(struct check_paths *p, struct fw *f,
		     const struct docker_network *nets, size_t n);
void check_paths_free(struct check_paths *p);

/*
 * Whether x, a rule of chain chain of p's table that packets reach after
 * docker-fw's rules, lets new traffic from outside into a container of
 * a bridge network (Driver "bridge", its Linux bridge) without
 * docker-fw: a rule that may send packets out to a bridge (-o B, -o br+,
 * no -o, ! -o another), not only from one, not only replies (also
 * `-m state`), and that ACCEPTs, queues (NFQUEUE, QUEUE), jumps into
 * Docker's DOCKER chain (where published ports are accepted), or jumps
 * into another chain that holds such a rule for a bridge both may reach
 * (followed CHECK_PATH_DEPTH chains down, p->deep set where it stopped;
 * not into DOCKER-USER, DOCKER-FORWARD and docker-fw's chains, which
 * check reads from their start). Docker's catch-all (-o B -j DOCKER
 * alone, no comment, in FORWARD or DOCKER-BRIDGE) is init's finding,
 * not this. 1 with *at set, 0, or -1 (out of memory).
 */
int check_path_into(struct check_paths *p, const char *chain,
		    const struct fw_rule *x, struct check_path_at *at);

/* Appends f as one kv record (no newline): `kind=K status=fail|note
 * family=ip|ip6|- chain=C container=C what=W change=C fix=F`, every key
 * always there, in this order. 0, or -1 (ENOMEM). */
int check_kv(const struct check_finding *f, struct buf *out);

#endif
