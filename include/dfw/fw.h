/*
 * fw.h - the kernel side: a snapshot of one table, decoded into the rules
 * docker-fw understands, and a list of changes applied to it in one
 * commit. A backend (libiptc for legacy x_tables; iptables-nft-restore for
 * nf_tables, see #6) sits behind struct fw_ops.
 *
 * A run is: fw_open (takes the xtables lock, reads the table), plan the
 * changes against f->chains, fw_commit (one atomic commit), fw_close
 * (drops the lock). A commit that fails with EAGAIN (the table changed
 * under us: someone did not take the lock) makes the caller redo the
 * whole read-plan-commit; fw_commit says so through e->code ==
 * FW_AGAIN.
 */
#ifndef DFW_FW_H
#define DFW_FW_H

#include <stddef.h>
#include <stdint.h>

#include "dfw/util.h"

/* docker-fw's own chains in the filter table and the jumps to them. */
#define FW_CHAIN_FORWARD "DFW-FORWARD"	/* from DOCKER-USER */
#define FW_CHAIN_INPUT "DFW-INPUT"	/* from INPUT */

/* Every rule docker-fw makes carries a comment starting with this word:
 * "docker-fw" (jumps and the conntrack rule), "docker-fw init" (what
 * init adds), "docker-fw NAME ID12" (a container's rule). */
#define FW_COMMENT "docker-fw"

#define FW_AGAIN 100		/* e->code of a commit to redo */

/* Inversion flags ("!") of struct fw_rule. */
enum {
	FW_INV_SRC = 1,
	FW_INV_DST = 2,
	FW_INV_IN = 4,
	FW_INV_OUT = 8,
	FW_INV_CT = 16,
};

/* Conntrack states, as XT_CONNTRACK_STATE bits (xt_conntrack.h). */
enum {
	FW_CT_INVALID = 1 << 0,
	FW_CT_ESTABLISHED = 1 << 1,	/* STATE_BIT(IP_CT_ESTABLISHED) */
	FW_CT_RELATED = 1 << 2,
	FW_CT_NEW = 1 << 3,
	FW_CT_SNAT = 1 << 6,
	FW_CT_DNAT = 1 << 7,
	FW_CT_UNTRACKED = 1 << 8,
};

/*
 * One rule as docker-fw reads and writes it: the ip part, tcp/udp ports,
 * a conntrack state match, a comment match and a standard target or a
 * jump. A rule read from the kernel that holds anything else (another
 * match, a port range, a non-standard target) has foreign set: it is
 * shown and kept, never taken for one of ours.
 */
struct fw_rule {
	int family;		/* AF_INET (AF_INET6 reserved) */
	uint8_t src[16], smsk[16];	/* network byte order; mask 0: any */
	uint8_t dst[16], dmsk[16];
	char in[16], out[16];	/* interfaces, "" any, "br+" a prefix */
	unsigned inv;		/* FW_INV_* */
	uint8_t proto;		/* 0 any, IPPROTO_TCP, IPPROTO_UDP */
	uint16_t sport, dport;	/* host order, 0 any */
	unsigned ctstate;	/* FW_CT_* bits, 0: no conntrack match */
	char comment[256];	/* "" none */
	char target[32];	/* "ACCEPT", "DROP", "RETURN" or a chain */
	int foreign;
};

/* Nonzero when a and b match the same packets with the same target and
 * comment. A foreign rule equals nothing. */
int fw_rule_equal(const struct fw_rule *a, const struct fw_rule *b);

/* The FW_CT_* bits of a conntrack state list as iptables writes it
 * ("RELATED,ESTABLISHED"), or 0 when it is not one (an unknown or empty
 * name). */
unsigned fw_ctstate_parse(const char *list);

/* A hash of what fw_rule_equal compares (FNV-1a). */
uint32_t fw_rule_hash(const struct fw_rule *r);

/* Appends r in iptables-save syntax without the "-A CHAIN " head, e.g.
 * `-s 10.0.0.1/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80
 * -m comment --comment "docker-fw web 0123456789ab" -j DOCKER`. */
int fw_rule_format(const struct fw_rule *r, struct buf *out);

/* Sets an IPv4 address and prefix length (0..32) into addr/mask. */
void fw_set_ip4(uint8_t addr[16], uint8_t mask[16], uint32_t ip_be,
		int prefix);

struct fw_chain {
	char name[32];
	int builtin;
	char policy[32];	/* built-in chains: "ACCEPT" or "DROP" */
	struct fw_rule *rules;
	size_t n;
};

enum fw_op {
	FW_NEW_CHAIN,		/* chain */
	FW_INSERT,		/* chain, pos (1-based, n+1 appends), rule */
	FW_DELETE,		/* chain, pos, rule (for messages) */
	FW_POLICY,		/* chain, policy */
};

/* One change; positions count in the table as the earlier changes of the
 * same list left it. */
struct fw_change {
	enum fw_op op;
	char chain[32];
	unsigned pos;
	struct fw_rule rule;
	char policy[32];
};

/* Appends c as an iptables-restore line: ":CHAIN - [0:0]",
 * "-I CHAIN POS RULE", "-D CHAIN POS" followed by "  # RULE", or
 * ":CHAIN POLICY". */
int fw_change_format(const struct fw_change *c, struct buf *out);

struct fw;

struct fw_ops {
	const char *name;	/* "iptc" */
	const char *what;	/* "libiptc (legacy x_tables)" */
	int (*read)(struct fw *f, struct err *e);	/* fills chains */
	int (*commit)(struct fw *f, const struct fw_change *c, size_t n,
		      struct err *e);
	void (*close)(struct fw *f);
};

struct fw {
	const struct fw_ops *ops;
	char table[16];
	struct fw_chain *chains;
	size_t nchains;
	void *priv;		/* the backend's */
	int lock_fd;
};

extern const struct fw_ops fw_iptc_ops;	/* libiptc, legacy x_tables */
extern const struct fw_ops fw_nft_ops;	/* iptables-nft-save/-restore */

/*
 * Takes the xtables lock ($XTABLES_LOCKFILE, else /run/xtables.lock; it
 * waits, as `iptables -w` does) and reads table (e.g. "filter") through
 * ops. 0, or -1 with e set (EXIT_RUNTIME: no permission, no such table,
 * the lock file cannot be opened).
 */
int fw_open(struct fw *f, const struct fw_ops *ops, const char *table,
	    struct err *e);

/* The chain named name in the snapshot, or NULL. */
struct fw_chain *fw_chain(struct fw *f, const char *name);

/*
 * Applies c[0..n) and commits them as one transaction; n == 0 does
 * nothing. On error nothing is applied: -1 with e set (e->code FW_AGAIN
 * when the table changed under us, else EXIT_RUNTIME naming the change
 * the kernel refused when it is known).
 */
int fw_commit(struct fw *f, const struct fw_change *c, size_t n,
	      struct err *e);

/* Frees the snapshot and drops the lock. */
void fw_close(struct fw *f);

/* Frees rule arrays of a chain list. */
void fw_chains_free(struct fw_chain *v, size_t n);

#endif
