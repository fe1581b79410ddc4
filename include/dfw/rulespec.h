/*
 * rulespec.h - one rule spec: the options of one add* action, as given on
 * the command line or on one line of an `--from FILE` (the original
 * docker-fw's syntax), parsed, validated and formatted back canonically.
 *
 *   --source S [--sport P] [--dest D] [--dport P] [--protocol tcp|udp]
 *   [--filter "..."] [--network NAME]
 *
 * Options are taken as `--opt VALUE` or `--opt=VALUE`; --source, --dest
 * and --protocol also as the original's -s, -d and -p (`-s VALUE`,
 * `-sVALUE`), so its `ls` lines read as they are. This module knows
 * nothing of Docker or the kernel: deciding whether an address is a Docker
 * network's, or whether a container runs, is core/resolve's job.
 */
#ifndef DFW_RULESPEC_H
#define DFW_RULESPEC_H

#include <stdint.h>

#include "dfw/opt.h"
#include "dfw/util.h"

/* The add* actions, in the order of their names. */
enum rule_action {
	RULE_ADD,	   /* "add": outside -> published port, -j DOCKER */
	RULE_ADD_INPUT,	   /* "add-input": container -> host, ACCEPT */
	RULE_ADD_INTERNAL, /* "add-internal": container -> container */
	RULE_ADD_TWO_WAYS, /* "add-two-ways": add-internal + hosts */
	RULE_NACTIONS
};

/* "add" etc. for an action; NULL for a bad value. */
const char *rule_action_name(enum rule_action a);
/* The action named s; -1 if none. */
int rule_action_parse(const char *s);

/* An address spec. */
enum addr_kind {
	ADDR_NONE,	/* not given */
	ADDR_SELF,	/* "."  the rule's container */
	ADDR_GATEWAY,	/* "/"  the gateway of its network */
	ADDR_CIDR,	/* an IPv4 or IPv6 address or network */
	ADDR_CONTAINER, /* another container, by name or ID */
};

struct addr_spec {
	enum addr_kind kind;
	int family;	 /* ADDR_CIDR: AF_INET or AF_INET6 (one family:
				 * a literal is a rule of its family only) */
	uint32_t ip;	 /* ADDR_CIDR, AF_INET: network byte order,
				 * host bits 0 */
	uint8_t ip6[16]; /* ADDR_CIDR, AF_INET6: host bits 0 */
	int prefix;	 /* ADDR_CIDR: 0..32 (AF_INET), 0..128 */
	/* ADDR_CONTAINER: as given, without a '/' (1 to ADDR_NAME_MAX
	 * bytes), else "": a string of rulespec_intern, never NULL once
	 * addr_parse or rulespec_init has set it */
	const char *name;
};

#define ADDR_NAME_MAX 255 /* bytes in a container name */
#define RULESPEC_NET_MAX \
	127 /* bytes in a network name (--network,
				 * made_on) */

/*
 * The one copy of s (NUL-terminated) in the process's string pool
 * (fw_intern: a string lives as long as the process, or until
 * fw_intern_reset), or "" (a literal) for an empty s; NULL (errno ENOMEM) when out
 * of memory. The names of a rule spec (a container, --network, made_on)
 * are such strings: a spec holds a pointer each, its copies share them
 * (rulespec_copy, plain struct copies) and nothing frees them one by one; 10,000
 * stored rules naming 100 containers hold 100 names. Equal names are
 * one pointer, but compare them with strcmp: a caller may set a field to
 * any string that outlives the spec (a literal).
 */
const char *rulespec_intern(const char *s);

/*
 * Parses an address spec: ".", "/", "A.B.C.D" (-> /32), "A.B.C.D/N", an
 * IPv6 address (-> /128) or network as inet_pton(3) reads it ("fd99::2",
 * "2001:db8::/32"), or a container name or ID ([a-zA-Z0-9][a-zA-Z0-9_.-]*,
 * an optional leading '/' dropped). An address with host bits set under
 * its prefix ("10.1.2.3/8", "fd99::2/64") is refused, naming the network
 * it probably meant. A dotted quad, or anything with a ':', is always an
 * address, never a name. Refused IPv6: a zone index ("fe80::1%eth0"), an
 * IPv4-mapped address ("::ffff:10.0.0.1", naming its IPv4 form). 0, or
 * -1 with e set (EXIT_USAGE, the message names s, escaped;
 * EXIT_RUNTIME "out of memory" when a name cannot be kept in the pool:
 * rulespec_intern). a->name is "" but for ADDR_CONTAINER.
 */
int addr_parse(const char *s, struct addr_spec *a, struct err *e);

/* Appends the canonical text of a: ".", "/", "1.2.3.4/32", "name", an
 * IPv6 one as inet_ntop(3) writes it ("2001:db8::/32", "fd99::2/128"). */
int addr_format(const struct addr_spec *a, struct buf *out);

struct rulespec {
	enum rule_action action;
	struct addr_spec src; /* --source, required */
	struct addr_spec dst; /* --dest, default "." */
	uint16_t sport;	      /* --sport, 0: any */
	uint16_t dport;	      /* --dport, 0: any */
	uint8_t proto;	      /* --protocol: IPPROTO_TCP (default), _UDP */
	int rev_lookup;	      /* --rev-lookup given (not stored) */
	/* --network NAME, "" when not given (a string of rulespec_intern,
	 * at most RULESPEC_NET_MAX bytes) */
	const char *network;
	struct strv filter; /* --filter, split into words; n == 0: none
			     * (owned: rulespec_free) */
	/* the network the rule was made on, recorded by add when --network
	 * is not given ("" when unknown: an older store, or --network);
	 * not an option: the store keeps it (store.h). A string of
	 * rulespec_intern, at most RULESPEC_NET_MAX bytes: set it with
	 * rulespec_set_made_on */
	const char *made_on;
};

/* The names (src.name, dst.name, network, made_on) are never NULL in a
 * spec made by rulespec_init, rulespec_parse or rulespec_copy ("" when
 * none); a spec owns only its filter words. */

/* The rule options, as opt.c reads them, in the order rulespec_format
 * writes them: an applet puts them in its own table (add). */
enum {
	RULESPEC_SOURCE,
	RULESPEC_SPORT,
	RULESPEC_DEST,
	RULESPEC_DPORT,
	RULESPEC_PROTOCOL,
	RULESPEC_NETWORK,
	RULESPEC_FILTER,
	RULESPEC_REV_LOOKUP, /* a flag; the only one without a value */
	RULESPEC_NOPTS
};
extern const struct opt rulespec_opts[RULESPEC_NOPTS];

/* A rule spec of action with the defaults: --dest ".", --protocol tcp,
 * nothing else (names ""). Allocates nothing. */
void rulespec_init(struct rulespec *r, enum rule_action action);

/* The opt_fn of rulespec_opts: option i with value v into the rule spec
 * arg (a struct rulespec), checked as rulespec_parse says. 0, or -1 with
 * e set (EXIT_USAGE naming the option and the value). */
int rulespec_set(void *arg, size_t i, const char *v, const char *word,
		 struct err *e);

/* The checks that need all the options, seen holding bit i for each
 * option i given (opt_parse's seen); then add-input's default --dest.
 * 0, or -1 with e set (EXIT_USAGE). */
int rulespec_end(struct rulespec *r, unsigned seen, struct err *e);

/*
 * Parses the options argv[0..argc) of an action into r (zeroed first,
 * free with rulespec_free): rulespec_init, rulespec_set for each option
 * (opt.c), rulespec_end. --dest defaults to "." but for add-input with
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

/* Nonzero when a and b are the same rule spec (rev_lookup and made_on
 * ignored: where a rule was made does not make it another rule). */
int rulespec_equal(const struct rulespec *a, const struct rulespec *b);

/* Nonzero when a and b are the same rule spec but for where it applies
 * (--network, made_on): add moves such a rule instead of adding one. */
int rulespec_same_but_net(const struct rulespec *a, const struct rulespec *b);

/* A hash of what rulespec_equal compares (net 1), or of what
 * rulespec_same_but_net compares (net 0): specs equal that way hash
 * equal (64-bit FNV-1a over the fields and the names' bytes, then mixed). */
uint64_t rulespec_hash(const struct rulespec *r, int net);

/*
 * An index of positions in an array of rule specs by rulespec_hash (#18:
 * finding a rule's equals without comparing it with every rule). It holds
 * positions and hashes, not rules: the caller keeps it in step with its
 * array (add a position when its rule is added, or its hash changes; an
 * entry whose rule changed or went stays, so check each candidate with
 * rulespec_equal or rulespec_same_but_net). The entries of one hash are
 * visited in the order they were added. Zero-initialize; net as
 * rulespec_hash's, set before the first add.
 */
struct rulespec_index_ent {
	uint64_t h;
	size_t pos, next; /* next: the bucket's next entry + 1, 0: none */
};
struct rulespec_index {
	int net;
	struct rulespec_index_ent *ent;
	size_t n, cap;
	size_t *head, *tail; /* per bucket: its first and last entry + 1 */
	size_t nb;	     /* buckets: 0, or a power of 2 >= n */
	size_t work;	     /* entries rulespec_index_next went through */
};

/* Adds position pos for rule r. 0, or -1 (ENOMEM; x unchanged). */
int rulespec_index_add(struct rulespec_index *x, const struct rulespec *r,
		       size_t pos);

/* The same for a hash the caller made (e.g. rulespec_hash mixed with
 * what else makes two rules the same to it, such as their container's
 * name); rulespec_index_next finds it by that hash. */
int rulespec_index_add_hash(struct rulespec_index *x, uint64_t h, size_t pos);

/* The positions added for rules of hash h, one a call: *it 0 to start
 * (an iterator the calls keep), then 1 with *pos set while there is
 * another, else 0. */
int rulespec_index_next(struct rulespec_index *x, uint64_t h, size_t *it,
			size_t *pos);

void rulespec_index_free(struct rulespec_index *x);

/* new[j] = 1 when v[j] is equal (rulespec_equal) to none of
 * old[0..nold), else 0, for j < n; in time linear in n + nold (an index
 * of old). *work (may be NULL): the rulespec_equal calls it made. 0, or
 * -1 (ENOMEM). */
int rulespec_mark_new(const struct rulespec *v, size_t n,
		      const struct rulespec *old, size_t nold, int *new_,
		      size_t *work);

/* Whether s may be a network name (--network, made_on): 1 or 0. */
int rulespec_net_name_ok(const char *s);

/* Sets r->made_on to the pooled copy of net (rulespec_intern; "" or NULL:
 * none). 0, or -1 (ENOMEM) with r->made_on as it was. */
int rulespec_set_made_on(struct rulespec *r, const char *net);

/* Deep copy of src into dst (zeroed first): the filter words are
 * copied, the names shared (pooled). 0 or -1 (ENOMEM; dst holds
 * nothing to free). */
int rulespec_copy(struct rulespec *dst, const struct rulespec *src);

void rulespec_free(struct rulespec *r);

/*
 * Splits a line into words like a POSIX shell (POSIX.1-2024) does, but
 * expands nothing: words are separated by blanks (space, tab); '...'
 * keeps everything literally; "..." keeps everything but \" \\ \$ \`
 * (backslash-escaped); $'...' decodes the escapes \\ \' \" \a \b \e \f
 * \n \r \t \v, \xH[H] (hex) and \O[O[O]] (octal), so a word may hold any
 * byte but NUL; an unquoted backslash escapes the next character; an
 * unquoted '#' at the start of a word starts a comment to the end of the
 * line. A trailing newline is ignored; any other control character in
 * the line is an error. Returns the number of words (0 for a blank or
 * comment line) appended to out, or -1 with e set (EXIT_USAGE: an
 * unterminated quote, a trailing backslash, a control character, an
 * unknown escape or one that makes a NUL in $'...').
 */
int rulespec_split(const char *line, struct strv *out, struct err *e);

/*
 * Appends s quoted so rulespec_split gives back s: as is when it holds
 * only [A-Za-z0-9_./:,=@%+-] and is not empty; in $'...' when it holds a
 * control character (bytes 1-31 and 127: \n \t \r, \\ and \' by name,
 * the others as \xHH), so the result never holds one; else in single
 * quotes. Bytes 128-255 are kept as they are. 0 or -1 (ENOMEM; out
 * unchanged).
 */
int rulespec_quote(const char *s, struct buf *out);

/*
 * The first character of s that a --filter word may not hold (control
 * characters and the shell's ; & | $ ` < > \), or NULL when s is fine.
 * docker-fw never runs a shell; these are refused so that a filter cannot
 * mean one thing here and another in a script that pastes it.
 */
const char *filter_forbidden(const char *s);

/*
 * Reading `--from FILE`: one rule spec per line, split by rulespec_split
 * (quoting, # comments, blank lines), in one of three forms:
 *
 *   OPTIONS...                   the reader's action, no container (the
 *                                applet's command line names it)
 *   CONTAINER OPTIONS...         the original's documented form
 *   ACTION CONTAINER OPTIONS...  as `ls` prints it (this tool's and the
 *                                original's, whose -s -d -p are rule
 *                                options too)
 *
 * A first word starting with '-' begins the options; a first word that
 * is an action name ("add", "add-internal"...) followed by a word that
 * does not start with '-' is an action (so a container named "add" is
 * still read in `add -s ...`); else the first word is the container. A
 * container is a name or ID as addr_parse takes one (a leading '/'
 * dropped). Each line is parsed by rulespec_parse for its action. All or
 * nothing: the first bad line stops the reading. The input is bounded
 * while it is read, whatever it is (a file, a pipe, /dev/zero):
 */
#define FROM_MAX_LINE \
	65536			  /* bytes in a line, its newline not
					 * counted */
#define FROM_MAX_LINES 100000	  /* lines, blank and comment ones too */
#define FROM_MAX_SPECS 10000	  /* rule specs (a store file's cap) */
#define FROM_MAX_BYTES (8u << 20) /* the whole input: 8 MiB */
/*
 * A line holding a NUL byte, or ending in CR LF, is refused. The memory
 * used is one line (FROM_MAX_LINE) and the specs read.
 *
 * Use: rulespec_from_init, then rulespec_from_feed with the bytes as
 * they come (any cut, NULs too), then rulespec_from_end; or
 * rulespec_from_fd for all three. Each returns 0, or -1 with e set
 * (EXIT_USAGE; EXIT_RUNTIME out of memory): "NAME:LINE: why" for a line
 * (bad, too long, past the line or the spec cap), "--from \"NAME\": why"
 * for the input as a whole (past the byte cap, no rule specs in it, a
 * read error); a bad container is `NAME:LINE: "x": not a container name
 * or ID`.
 * After an error every call returns -1 (e is not set again). The specs
 * are in v[0..n), with the line each came from in line[]; free with
 * rulespec_from_free, after an error too.
 */
struct rulespec_from {
	const char *name;	 /* the input in messages, e.g. "(stdin)" */
	enum rule_action action; /* of lines that name none */
	int rev_lookup;		 /* set on every spec (--rev-lookup) */
	struct rulespec *v;
	unsigned long *line;
	struct strv ctr; /* the container each line names, "" when
				 * none (ctr.v[i] for v[i]) */
	size_t n;
	/* reading state */
	size_t cap;
	char *buf; /* the current line, FROM_MAX_LINE + 1 */
	size_t len;
	unsigned long lines; /* lines seen, the current one not */
	size_t bytes;	     /* bytes fed */
	int failed;
};
void rulespec_from_init(struct rulespec_from *f, const char *name,
			enum rule_action action, int rev_lookup);
int rulespec_from_feed(struct rulespec_from *f, const char *p, size_t n,
		       struct err *e);
int rulespec_from_end(struct rulespec_from *f, struct err *e);
/* Reads fd (not closed) to its end, feeding f, then ends it. A read
 * error is named with f->name. */
int rulespec_from_fd(struct rulespec_from *f, int fd, struct err *e);
void rulespec_from_free(struct rulespec_from *f);

#endif
