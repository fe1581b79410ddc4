/*
 * rulespec.h - one rule spec: the options of one add* action, as given on
 * the command line or on one line of an `--from FILE` (the original
 * docker-fw's syntax), parsed, validated and formatted back canonically.
 *
 *   --source S [--sport P] [--dest D] [--dport P] [--protocol tcp|udp]
 *   [--filter "..."] [--network NAME]
 *
 * Options are taken as `--opt VALUE` or `--opt=VALUE`. This module knows
 * nothing of Docker or the kernel: deciding whether an address is a Docker
 * network's, or whether a container runs, is core/resolve's job.
 */
#ifndef DFW_RULESPEC_H
#define DFW_RULESPEC_H

#include <stdint.h>

#include "dfw/docker.h"		/* struct strv */
#include "dfw/util.h"

/* The add* actions, in the order of their names. */
enum rule_action {
	RULE_ADD,		/* "add": outside -> published port, -j DOCKER */
	RULE_ADD_INPUT,		/* "add-input": container -> host, ACCEPT */
	RULE_ADD_INTERNAL,	/* "add-internal": container -> container */
	RULE_ADD_TWO_WAYS,	/* "add-two-ways": add-internal + hosts */
	RULE_NACTIONS
};

/* "add" etc. for an action; NULL for a bad value. */
const char *rule_action_name(enum rule_action a);
/* The action named s; -1 if none. */
int rule_action_parse(const char *s);

/* An address spec. */
enum addr_kind {
	ADDR_NONE,		/* not given */
	ADDR_SELF,		/* "."  the rule's container */
	ADDR_GATEWAY,		/* "/"  the gateway of its network */
	ADDR_CIDR,		/* IPv4 address or network */
	ADDR_CONTAINER,		/* another container, by name or ID */
};

struct addr_spec {
	enum addr_kind kind;
	uint32_t ip;		/* ADDR_CIDR: network byte order, host bits 0 */
	int prefix;		/* ADDR_CIDR: 0..32 */
	char name[256];		/* ADDR_CONTAINER: as given, without a '/' */
};

/*
 * Parses an address spec: ".", "/", "A.B.C.D" (-> /32), "A.B.C.D/N", or a
 * container name or ID ([a-zA-Z0-9][a-zA-Z0-9_.-]*, an optional leading
 * '/' dropped). An address with host bits set under its prefix
 * ("10.1.2.3/8") is refused, naming the network it probably meant. A
 * dotted quad is always an address, never a name. 0, or -1 with e set
 * (EXIT_USAGE, the message names s).
 */
int addr_parse(const char *s, struct addr_spec *a, struct err *e);

/* Appends the canonical text of a: ".", "/", "1.2.3.4/32", "name". */
int addr_format(const struct addr_spec *a, struct buf *out);

struct rulespec {
	enum rule_action action;
	struct addr_spec src;	/* --source, required */
	struct addr_spec dst;	/* --dest, default "." */
	uint16_t sport;		/* --sport, 0: any */
	uint16_t dport;		/* --dport, 0: any */
	uint8_t proto;		/* --protocol: IPPROTO_TCP (default), _UDP */
	int rev_lookup;		/* --rev-lookup given (not stored) */
	char network[128];	/* --network NAME, "" when not given */
	struct strv filter;	/* --filter, split into words; n == 0: none */
};

/*
 * Parses the options argv[0..argc) of an action into r (zeroed first,
 * free with rulespec_free). --dest defaults to "." but for add-input with
 * --source ".", where it defaults to "/". Checks what needs no Docker: --source given,
 * exactly one of source and destination is ".", --dport given for
 * add-input, add-internal and add-two-ways, ports 1..65535, protocol tcp
 * or udp, no option twice, --filter split by rulespec_split and free of
 * the characters filter_forbidden names. 0, or -1 with e set (EXIT_USAGE;
 * the message names the option or value, e.g. `--dport "0": not a port
 * (1-65535)`). r is freed on error.
 */
int rulespec_parse(struct rulespec *r, enum rule_action action, int argc,
		   char *const *argv, struct err *e);

/*
 * Appends the canonical options of r, the inverse of rulespec_parse:
 *   --source S [--sport P] --dest D [--dport P] --protocol tcp|udp
 *   [--network N] [--filter 'W1 W2...']
 * (never --rev-lookup). Words are quoted by rulespec_quote where needed,
 * so rulespec_split of the result gives back argv that parse to an equal
 * rule spec. 0 or -1 (ENOMEM).
 */
int rulespec_format(const struct rulespec *r, struct buf *out);

/* Nonzero when a and b are the same rule spec (rev_lookup ignored). */
int rulespec_equal(const struct rulespec *a, const struct rulespec *b);

/* Deep copy of src into dst (zeroed first). 0 or -1 (ENOMEM). */
int rulespec_copy(struct rulespec *dst, const struct rulespec *src);

void rulespec_free(struct rulespec *r);

/*
 * Splits a line into words like a POSIX shell does, but expands nothing:
 * words are separated by blanks (space, tab); '...' keeps everything
 * literally; "..." keeps everything but \" \\ \$ \` (backslash-escaped);
 * an unquoted backslash escapes the next character; an unquoted '#' at
 * the start of a word starts a comment to the end of the line. A trailing
 * newline is ignored; any other control character is an error. Returns
 * the number of words (0 for a blank or comment line) appended to out, or
 * -1 with e set (EXIT_USAGE: an unterminated quote, a trailing backslash,
 * a control character).
 */
int rulespec_split(const char *line, struct strv *out, struct err *e);

/* Appends s quoted so rulespec_split gives back s: as is when it holds
 * only [A-Za-z0-9_./:,=@%+-] and is not empty, else in single quotes. */
int rulespec_quote(const char *s, struct buf *out);

/*
 * The first character of s that a --filter word may not hold (control
 * characters and the shell's ; & | $ ` < > \), or NULL when s is fine.
 * docker-fw never runs a shell; these are refused so that a filter cannot
 * mean one thing here and another in a script that pastes it.
 */
const char *filter_forbidden(const char *s);

#endif
