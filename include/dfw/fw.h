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
#define FW_CHAIN_FORWARD "DFW-FORWARD" /* from DOCKER-USER */
#define FW_CHAIN_INPUT "DFW-INPUT"     /* from INPUT */

/* Every rule docker-fw makes carries a comment starting with this word:
 * "docker-fw" (jumps and the conntrack rule), "docker-fw init" (what
 * init adds), "docker-fw NAME ID12" (a container's rule). */
#define FW_COMMENT "docker-fw"

#define FW_AGAIN 100 /* e->code of a commit to redo */

/*
 * What a value written into a table may be (both backends, so that a
 * rule is the same rule on either). The kernel's structs: a comment of
 * xt_comment holds 256 bytes with its NUL (XT_MAX_COMMENT_LEN), an
 * interface name IFNAMSIZ (16) with its NUL, a chain or target name
 * XT_EXTENSION_MAXNAMELEN (29) with its NUL. iptables-restore (iptables
 * 1.8.9, xtables-restore.c and xshared.c) reads lines with fgets into
 * 10240 bytes, so a longer line goes on as a second command, and a word
 * of 1024 bytes or more is "Parameter too long". No value may hold a
 * control character: a newline ends a line of restore text, and
 * iptables-save prints values raw.
 */
#define FW_COMMENT_MAX 255 /* bytes of a comment */
#define FW_IFACE_MAX 15	   /* bytes of an interface name */
#define FW_CHAIN_MAX 28	   /* bytes of a chain or target name */
#define FW_WORD_MAX 1023   /* bytes of one word of restore text */
#define FW_LINE_MAX 10000  /* bytes of one line of restore text */
/* More than a change's line (fw_change_format) takes besides its rule's
 * extra text, whatever its checked values: fw_change_check formats no
 * line that must be shorter than FW_LINE_MAX */
#define FW_LINE_FIXED 2048

/* A table docker-fw reads holds at most this many rules (a rule takes
 * about 170 bytes in memory); over it, reading is an error. */
#define FW_MAX_RULES 500000

/* The nft backend's caps on what its child processes print: over
 * FW_NFT_MAX_OUTPUT bytes on stdout (iptables-nft-save, `iptables-nft
 * -S`, the probe's child) is an error naming the tool; of stderr the
 * first FW_NFT_MAX_ERR bytes are kept for messages, the rest dropped. */
#define FW_NFT_MAX_OUTPUT (64 << 20)
#define FW_NFT_MAX_ERR (64 << 10)

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
	FW_CT_ESTABLISHED = 1 << 1, /* STATE_BIT(IP_CT_ESTABLISHED) */
	FW_CT_RELATED = 1 << 2,
	FW_CT_NEW = 1 << 3,
	FW_CT_SNAT = 1 << 6,
	FW_CT_DNAT = 1 << 7,
	FW_CT_UNTRACKED = 1 << 8,
};

/*
 * One rule as docker-fw reads and writes it: the ip part, tcp/udp ports,
 * a conntrack state match, a comment match, the matches docker-fw does
 * not model as text (extra), and a standard target or a jump. A rule read
 * from the kernel that holds anything else (target options, a goto, a
 * protocol other than tcp/udp, a second comment) has foreign set: it is
 * shown and kept, never taken for one of ours.
 */
struct fw_rule {
	int family;		   /* AF_INET or AF_INET6 */
	uint8_t src[16], smsk[16]; /* network byte order; mask 0: any */
	uint8_t dst[16], dmsk[16];
	char in[16], out[16];  /* interfaces, "" any, "br+" a prefix */
	unsigned inv;	       /* FW_INV_* */
	uint8_t proto;	       /* 0 any, IPPROTO_TCP, IPPROTO_UDP */
	uint16_t sport, dport; /* host order, 0 any */
	unsigned ctstate;      /* FW_CT_* bits, 0: no conntrack match */
	/* NULL none, else a string of fw_intern (1 to FW_COMMENT_MAX
	 * bytes): equal comments are one pointer, and a rule stays small
	 * (tables of 10,000s of rules are copied by value) */
	const char *comment;
	char target[32]; /* "ACCEPT", "DROP", "RETURN" or a chain */
	/* NULL, or the other conditions in iptables-save words, in their
	 * order, e.g. `-m limit --limit 5/sec`: a string of fw_intern, so
	 * that copies of a rule stay plain struct copies and equal texts
	 * are one pointer */
	const char *extra;
	int foreign;
};

/*
 * The one copy of s[0..len) in a pool that lives as long as the process
 * or until fw_intern_reset (rules are copied by value into arrays of
 * 10,000s; their extra text is shared, never freed one by one). NULL
 * when len is 0, or (errno ENOMEM) when out of memory.
 */
const char *fw_intern(const char *s, size_t len);

/*
 * Empties the pool: every string fw_intern (and rulespec_intern) gave
 * before is freed, and a pointer to one must not be used after. For a
 * process that runs for long (dfw-watch, between batches), at a point
 * where no rule, spec or record holds such a pointer; the pool grows
 * again from empty. Marks of fw_extra_mark go with their strings.
 */
void fw_intern_reset(void);

/* How many strings the pool holds (tests). */
size_t fw_intern_count(void);

/* r->comment, or "" when it has none. */
const char *fw_comment(const struct fw_rule *r);

/* Sets r->comment to the interned copy of s ("" or NULL: none). 0, or
 * -1 (ENOMEM) with r->comment as it was. */
int fw_set_comment(struct fw_rule *r, const char *s);

/* Whether iptables-nft-save has printed extra (a string of fw_intern,
 * or NULL, which is): fw_rule_decode saw it, or fw_extra_mark said so.
 * Such text is canonical: written and read back, it comes back. */
int fw_extra_known(const char *extra);
void fw_extra_mark(const char *extra);

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
 * -m comment --comment "docker-fw web 0123456789ab" -j DOCKER`, extra
 * after the conntrack match and before the comment. IPv6 addresses as
 * inet_ntop writes them; a mask that is not a prefix as an address. */
int fw_rule_format(const struct fw_rule *r, struct buf *out);

/* r as fw_rule_format writes it, for a message: never refused (a
 * foreign rule shows "(more matches)", any value is quoted), and escaped
 * with str_escape, so it is one printable line. 0, or -1 (ENOMEM). */
int fw_rule_show(const struct fw_rule *r, struct buf *out);

/* Whether r may be written (fw_rule_format takes it): 0, or -1 with e
 * (EXIT_RUNTIME) naming the value (escaped) that may not and why: a
 * comment, interface or extra text with a control character, empty or
 * too long, a target that is not fw_chain_name_ok, a foreign rule. */
int fw_rule_check(const struct fw_rule *r, struct err *e);

/* Sets an IPv4 address and prefix length (0..32) into addr/mask. */
void fw_set_ip4(uint8_t addr[16], uint8_t mask[16], uint32_t ip_be, int prefix);

/*
 * Parses "ADDR[/PREFIX|/MASK]" of family (AF_INET: prefix 0..32, AF_INET6:
 * 0..128; no prefix: the whole address) into addr/mask, as iptables-save
 * writes -s and -d; host bits are cleared, as the kernel does. 0, or -1
 * when it is not one.
 */
int fw_addr_parse(const char *s, int family, uint8_t addr[16],
		  uint8_t mask[16]);

/* Whether s may be written as a chain or target name: 1 to FW_CHAIN_MAX
 * printable ASCII characters, no blank, quote or backslash, not starting
 * with "-" or "!" (iptables' assert_valid_chain_name, and a word that
 * needs no quoting: ":CHAIN POLICY" lines are not unquoted by
 * iptables-restore). */
int fw_chain_name_ok(const char *s);

/* Whether s may be written as an -i/-o value: 1 to FW_IFACE_MAX bytes,
 * no blank or control character, not "+" alone (every interface, which
 * iptables-save shows as no -i at all). Quotes and other bytes the
 * kernel takes in a name are written quoted. */
int fw_iface_name_ok(const char *s);

/* Whether s is an interface name for -i/-o: 1-15 characters of
 * [A-Za-z0-9_.:@-], a final "+" for a prefix, not "+" alone. */
int fw_iface_ok(const char *s);

/* Why s is not fw_iface_ok, for messages (a static string), or NULL
 * when it is. */
const char *fw_iface_why(const char *s);

/*
 * Splits a line into words as iptables-restore does: blanks separate
 * words; "..." quotes, a backslash inside it escapes the next character;
 * nothing else is special. Returns the number of words appended to out,
 * or -1 (an unterminated quote; ENOMEM) with out as it was.
 */
int fw_split(const char *line, struct strv *out);

/* Appends word so that fw_split (and iptables-restore) give it back as
 * one word: as is when it holds no blank, quote or backslash, else in
 * double quotes with " and \ escaped. A word that cannot be one word on
 * one line - empty, a control character, over FW_WORD_MAX bytes - is
 * refused: -1 with errno EINVAL (ENOMEM: out of memory), out as it was. */
int fw_quote(const char *word, struct buf *out);

/*
 * Splits one rule of iptables-save (or `iptables -S`) output, at the
 * start of text, into words: blanks separate words; a word starting
 * with a double quote is one xtables_save_string wrote (\" and \\
 * escaped, everything else raw, a newline included: the word, and the
 * rule, go on over the next line); any other word is raw up to a blank
 * or newline, quotes and backslashes in it included (an interface
 * `q"br`). The values of -A, -N, -P, -i, -o, -j, -g and the like are
 * always raw (an interface `"br`). *used gets the bytes read, through
 * the newline that ends the rule. Returns the number of words appended
 * to out, or -1 with out as it was: errno EINVAL (a quote never closed
 * before the end of text) or ENOMEM.
 */
int fw_split_save(const char *text, struct strv *out, size_t *used);

/*
 * fw_split_save's words without an allocation per word: out->v[0..n)
 * (NULL after the last) point into out->text, both reused and
 * overwritten by the next call on out. The same words, *used and
 * errors as fw_split_save, with out->n = 0 on failure. Free with
 * fw_words_free.
 */
struct fw_words {
	struct buf text; /* the words, each ended by its NUL */
	size_t *off;	 /* off[i]: where word i starts in text */
	char **v;	 /* cap + 1 entries */
	size_t n, cap;
};
int fw_split_save_words(const char *text, struct fw_words *out, size_t *used);
void fw_words_free(struct fw_words *x);

/*
 * Decodes the words of a rule as iptables-nft-save prints them, after
 * "-A CHAIN" (words from fw_split_save; or from fw_split of text
 * fw_rule_format wrote), into r (zeroed first). What docker-fw models
 * goes to the fields; any other match block (`-m NAME OPTIONS`, up to
 * the next -m, -j, -g or ip option; a tcp/udp block without its plain
 * ports; a conntrack block that is not exactly --ctstate) and -f go to
 * r->extra, in order, and are marked known. Target options, a goto,
 * another protocol, a value fw_rule_format would not write back (an
 * interface that is not fw_iface_name_ok, an empty comment or one with a
 * control character, a target that is not fw_chain_name_ok) or anything
 * it cannot read make r foreign. --comment takes the next word whatever
 * it is, as iptables' getopt does. decode(format(decode(x))) equals
 * decode(x).
 */
void fw_rule_decode(char *const *w, size_t n, int family, struct fw_rule *r);

/*
 * Adds the conditions of a --filter (words from rulespec_split) to r,
 * which holds the rule spec's part (addresses, protocol, ports).
 * With any 0, only what libiptc encodes: [!] -i IF, [!] -o IF and
 * -m conntrack [!] --ctstate STATES (the iptc backend; anything else is
 * an error naming the word and the backend). With any 1, any iptables
 * condition: the modelled ones as above, -p of r's own protocol (a no-op),
 * the rest into r->extra as given (unchecked: iptables is the judge, see
 * fw_nft_canon). Not conditions, refused: -s/-d (--source/--dest say it),
 * --sport/--dport the rule spec gives, -j/-g, -m comment (docker-fw's
 * own), an empty -m tcp/udp, other options of iptables itself. 0, or -1
 * with e set (EXIT_USAGE naming the word).
 */
int fw_rule_filter(struct fw_rule *r, char *const *w, size_t n, int any,
		   struct err *e);

/*
 * The filter words that turn base (a rule spec's part) into r, the
 * inverse of fw_rule_filter with any 1: -i, -o, the conntrack state,
 * the ports r has and base has not, then r->extra's words. Appended to
 * out; 0 or -1 (ENOMEM).
 */
int fw_filter_words(const struct fw_rule *r, const struct fw_rule *base,
		    struct strv *out);

struct fw_chain {
	char name[32];
	int builtin;
	char policy[32]; /* built-in chains: "ACCEPT" or "DROP" */
	struct fw_rule *rules;
	size_t n;
	size_t cap; /* rules allocated (fw_chain_push); a chain
				 * made by hand may leave it 0 */
	int shed;   /* its rules were let go after the plan
				 * (fw_shed): none to read */
};

enum fw_op {
	FW_NEW_CHAIN, /* chain */
	FW_INSERT,    /* chain, pos (1-based, n+1 appends), rule */
	FW_DELETE,    /* chain, pos, rule (for messages) */
	FW_POLICY,    /* chain, policy */
	FW_DEL_CHAIN, /* chain: flushed and deleted */
	FW_APPEND,    /* chain, rule (restore text only: a chain
				 * being made, the nft backend's probe) */
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

/* Appends c as a line of iptables-restore text for people (-v, dry
 * runs): ":CHAIN - [0:0]", "-I CHAIN POS RULE", "-D CHAIN POS" followed
 * by "  # RULE", ":CHAIN POLICY", "-X CHAIN" (flushed first), "-A CHAIN
 * RULE". -1 with errno EINVAL when a value may not be written (see
 * fw_change_check), ENOMEM. */
int fw_change_format(const struct fw_change *c, struct buf *out);

/*
 * Appends c[0..n) as one transaction on table for iptables-nft-restore
 * --noflush (iptables 1.8.9, xtables-restore.c): "*TABLE", a line per
 * change (":CHAIN - [0:0]" declares a new chain, ":CHAIN POLICY [0:0]"
 * sets a policy, "-F CHAIN" and "-X CHAIN" delete one, "-I CHAIN POS
 * RULE", "-A CHAIN RULE", and "-D CHAIN RULE": a rule is deleted by its
 * text, so that a chain that moved under us cannot make it delete
 * another), "COMMIT". Every value is written as fw_rule_format writes
 * it, and checked first (fw_change_check: -1 with e set, "nothing
 * changed: ...", out unchanged; nothing that could end a line is ever
 * written). 0, or -1 with e set (EXIT_RUNTIME).
 */
int fw_restore_text(const char *table, const struct fw_change *c, size_t n,
		    struct buf *out, struct err *e);

/* The lines of fw_restore_text alone (no "*TABLE", no "COMMIT"),
 * appended to out: for a caller that writes one transaction in pieces.
 * Every change is checked first; 0, or -1 with e set and out as it was. */
int fw_restore_lines(const struct fw_change *c, size_t n, struct buf *out,
		     struct err *e);

/* Whether c may be written, by either backend: its chain a
 * fw_chain_name_ok name, a policy ACCEPT or DROP, its rule
 * fw_rule_check'ed, its line at most FW_LINE_MAX bytes. 0, or -1 with e
 * (EXIT_RUNTIME) naming the change and the value. Both backends check
 * every change this way before they apply any (and the engine before a
 * dry run prints them). */
int fw_change_check(const struct fw_change *c, struct err *e);

/* Where the kernel side finds its lock and its tools: the settings of
 * config.h (xtables_lock, path), given by the caller. */
#define FW_XTABLES_LOCK "/run/xtables.lock"
#define FW_NFT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
	"/sbin:/bin"
struct fw_env {
	const char *lock; /* the xtables lock file; NULL or "":
				 * FW_XTABLES_LOCK (as iptables) */
	const char *path; /* where the iptables-nft tools are looked
				 * for (a PATH value); NULL or "":
				 * FW_NFT_PATH */
	int make_table;	  /* iptc: read a legacy table that is not
				 * there yet, which makes it (the ip6
				 * filter table that init sets up) */
	int fail_family;  /* a test's fault: fw_commit of a table of
				 * this family (AF_INET, AF_INET6) fails
				 * with nothing applied; FW_FAIL_AGAIN:
				 * the iptc backend's first commit is
				 * refused as a table changed under us
				 * (FW_AGAIN), once; 0: never */
	int stop_at_mark; /* a test's pause: backend_transact stops the
			   * process (SIGSTOP) after its commits, before
			   * it takes the tables for a stamp */
};

#define FW_FAIL_AGAIN (-1) /* fail_family's: refused once, FW_AGAIN */

/* Whether this network namespace has IPv6 (/proc/sys/net/ipv6 is there;
 * a kernel booted with ipv6.disable=1 has none): 1, or 0 with why (a
 * static string) set. */
int fw_ipv6_on(const char **why);

struct fw;

struct fw_ops {
	const char *name; /* "iptc" */
	const char *what; /* "libiptc (legacy x_tables)" */
	int (*read)(struct fw *f, struct err *e); /* fills chains */
	int (*commit)(struct fw *f, const struct fw_change *c, size_t n,
		      struct err *e);
	void (*close)(struct fw *f);
	/* whether commit(f, c, n) reads the rules of ch (f->planned: it
	 * writes the chain whole from them, instead of its changes): 1,
	 * 0, or -1 (ENOMEM: kept) */
	int (*whole)(const struct fw *f, const struct fw_chain *ch,
		     const struct fw_change *c, size_t n);
};

struct fw {
	const struct fw_ops *ops;
	const struct fw_env *env; /* the caller's, NULL: the defaults */
	int family;		  /* AF_INET or AF_INET6 */
	char table[16];
	struct fw_chain *chains;
	size_t nchains;
	void *priv; /* the backend's */
	int lock_fd;
	/* set by the caller of fw_commit when chains are the table as the
	 * changes leave it (the planner's edits of this snapshot): a
	 * backend may then write a chain of docker-fw's whole instead of
	 * its changes (fw_nft.c) */
	int planned;
	/* set by the caller of fw_commit, NULL: none. The commit calls
	 * release(release_arg) once (through fw_let_go) when it has no more
	 * use of its changes c[0..n) nor of this snapshot's rules: libiptc's
	 * copy is edited (iptc), or the restore text is written (nft), and
	 * the kernel's part is next (iptc_commit builds the whole new table
	 * then). What the caller frees there, e.g. the plan that c points
	 * into, is not held at the run's peak of memory; a commit that
	 * fails before that point has not called it. */
	void (*release)(void *arg);
	void *release_arg;
};

/* libiptc, legacy x_tables: libip4tc for AF_INET, libip6tc for
 * AF_INET6 (the same matches, the entry's head of each family). */
extern const struct fw_ops fw_iptc_ops;

/* Whether this network namespace has the legacy (x_tables) table named
 * table of family (AF_INET or AF_INET6; 0 for any other), as
 * /proc/net/ip_tables_names or /proc/net/ip6_tables_names lists them:
 * looking there makes none, where iptc_init would. The iptc backend
 * reads no table that is not there. fw_iptc_table_exists: AF_INET. */
int fw_iptc_has_table(int family, const char *table);
int fw_iptc_table_exists(const char *table);
extern const struct fw_ops fw_nft_ops; /* iptables-nft-save/-restore */

/* Whether this network namespace has the nf_tables table named table of
 * family (AF_INET or AF_INET6), as the kernel lists them (nf_tables
 * netlink, NFT_MSG_GETTABLE dump, each answer's NFTA_TABLE_NAME): 1, 0,
 * or -1 when netlink could not tell (no nfnetlink, a refusal, an answer
 * it could not read); the caller then asks iptables-nft-save. Looking
 * makes no table, and starts no tool. */
int fw_nft_has_table(int family, const char *table);

/*
 * The nf_tables ruleset's generation in this network namespace (nf_tables
 * netlink, NFT_MSG_GETGEN: NFTA_GEN_ID), which every commit of any table of
 * any family moves on by one, and the namespace's identity: its cookie
 * (SO_NETNS_COOKIE, Linux 5.14: never the same for two namespaces of one
 * boot), else the inode of /proc/self/ns/net, in netns (up to 40 bytes).
 * 0; 1 when this kernel has no nf_tables (no nfnetlink, or no nf_tables
 * subsystem once the kernel was asked to load it: nothing can be there);
 * -1 when it cannot be read.
 */
int fw_nft_generation(uint32_t *gen, char netns[40]);

/*
 * A digest (hash64 from seed) of the legacy table named table of family
 * (AF_INET or AF_INET6) as the kernel hands it to iptc_init
 * (IPT_SO_GET_INFO and IPT_SO_GET_ENTRIES): of what the kernel writes of
 * it (x_tables' copy_entries_to_user), without the entries' counters and
 * comefrom: equal while no replace changed a rule, a chain or a policy.
 * Only for a table fw_iptc_has_table lists (asking for another would
 * load its module and make it). 0, or -1 when it cannot be read.
 */
int fw_iptc_digest(int family, const char *table, uint64_t seed, uint64_t *out);

/*
 * The legacy filter tables as this process's libiptc last read them or
 * replaced them: fw_iptc_digest's digest (from seed) of each table
 * IPT_SO_GET_ENTRIES answered and of each that IPT_SO_SET_REPLACE put in
 * place, from fw_iptc_seen_start until fw_iptc_seen_stop. This works
 * only in a program linked with -Wl,--wrap=getsockopt,--wrap=setsockopt
 * (the Makefile's WRAP), which sends libiptc's calls through
 * fw_iptc.c. fw_iptc_seen: 1 with *out set; 0 when family's filter
 * table was neither read nor replaced since the start; -1 when it was
 * but cannot be digested.
 */
void fw_iptc_seen_start(uint64_t seed);
void fw_iptc_seen_stop(void);
int fw_iptc_seen(int family, uint64_t *out);

/* The kernel's filter tables as a replay's stamp (stamp.h) compares them. */
enum {
	FW_STATE_LEGACY = 1, /* the legacy tables (iptc backend possible) */
	FW_STATE_NFT = 2,    /* nf_tables (nft backend possible) */
};
struct fw_state {
	unsigned parts;	    /* the caller's: FW_STATE_* to read */
	uint64_t seed;	    /* the caller's: the digests' seed */
	int seen;	    /* the caller's: a legacy table libiptc read or
			     * replaced since fw_iptc_seen_start is taken
			     * as it did, not read again */
	int legacy[2];	    /* AF_INET, AF_INET6: a legacy filter table */
	uint64_t digest[2]; /* its fw_iptc_digest */
	int nft;	    /* fw_nft_generation: 0 read, 1 no nf_tables */
	uint32_t gen;
	char netns[40];
	char boot_id[40]; /* /proc/sys/kernel/random/boot_id */
};

/* Reads s now: the parts s->parts names (the others stay 0), seeded
 * by s->seed (with s->seen: a legacy table as fw_iptc_seen has it, where
 * it has it). 0, or -1 when any part cannot be read. */
int fw_state_read(struct fw_state *s);

/*
 * Takes the xtables lock (env->lock; it waits, as `iptables -w` does) and
 * reads table (e.g. "filter") of family (AF_INET, or AF_INET6: libip6tc,
 * ip6tables-nft-save) through ops. Every rule a commit inserts or
 * appends must be of f->family (else nothing changes: EXIT_RUNTIME). env (may be NULL:
 * the defaults) must outlive f. 0, or -1 with e set (EXIT_RUNTIME: no
 * permission, no such table, the lock file cannot be opened, a family
 * the backend lacks).
 */
int fw_open(struct fw *f, const struct fw_ops *ops, const struct fw_env *env,
	    int family, const char *table, struct err *e);

/*
 * The two halves of fw_open, for a caller that reads several tables
 * under one lock (a transaction over both families): fw_lock takes the
 * xtables lock (env->lock, waiting) and returns its descriptor (close it
 * to let go), or -1 with e set; fw_read reads a table without it
 * (f->lock_fd -1). A process must take the lock once: a second flock on
 * another descriptor of the same file waits for the first.
 */
int fw_lock(const struct fw_env *env, struct err *e);
int fw_read(struct fw *f, const struct fw_ops *ops, const struct fw_env *env,
	    int family, const char *table, struct err *e);

/* The chain named name in the snapshot, or NULL. */
struct fw_chain *fw_chain(struct fw *f, const char *name);

/* A new chain name at the end of f's list (policy NULL or "-": a chain
 * of the user's, else a built-in one's policy); pointers to f's chains
 * may move. NULL when out of memory. */
struct fw_chain *fw_chain_add(struct fw *f, const char *name,
			      const char *policy);

/* A new rule at the end of c, zeroed (amortised growth: appending n
 * rules costs O(n)); NULL when out of memory. */
struct fw_rule *fw_chain_push(struct fw_chain *c);

/*
 * Applies c[0..n) and commits them as one transaction; n == 0 does
 * nothing. On error nothing is applied: -1 with e set (e->code FW_AGAIN
 * when the table changed under us, else EXIT_RUNTIME naming the change
 * the kernel refused when it is known).
 */
int fw_commit(struct fw *f, const struct fw_change *c, size_t n, struct err *e);

/* Frees the snapshot and drops the lock. */
void fw_close(struct fw *f);

/* After the plan of f (f->planned set), whose changes are c[0..n): frees
 * the rules of each chain the commit of c will not read (ops->whole),
 * so that a table of 10,000s of rules is not held twice while the next
 * is read and while the backend builds the new table. Such a chain has
 * shed set and no rules; fw_commit(f, c, n) and fw_close work as
 * before. */
void fw_shed(struct fw *f, const struct fw_change *c, size_t n);

/* For a backend's commit of f: frees the rules of every chain (shed set,
 * as fw_shed does) and calls f->release once (then NULL). After it,
 * the changes the commit was given may be gone: it reads them no more.
 * fw_close works as before. */
void fw_let_go(struct fw *f);

/* The prefix of the scratch chains of fw_nft_canon's live probes; a
 * run finds one left by a killed run in its snapshot and deletes it. */
#define FW_PROBE_CHAIN "DFW-PROBE"

/* One rule for fw_nft_canon. */
struct fw_probe {
	struct fw_rule rule; /* in: as wanted; out: as nft keeps it */
	int input;	     /* in: reached from INPUT (DFW-INPUT's rules),
				 * else from FORWARD */
	int failed;	     /* out: iptables refused it (why says how) */
	char why[256];
};

/*
 * The text the nf_tables backend's commit gives iptables-nft-restore
 * --noflush for c[0..n) on f, appended to in: fw_restore_text's, with
 * each row of deletions of one chain written top down (by pos), and,
 * when f->planned, a chain of docker-fw's own whose changes would cost
 * iptables-nft more than twice writing it whole (every rule of it one
 * docker-fw reads: none foreign) written whole, ":CHAIN - [0:0]" and
 * its rules as f holds them, where its first change stood (fw_nft.c
 * says what each costs). 0, or -1 with e set.
 */
int fw_nft_commit_text(const struct fw *f, const struct fw_change *c, size_t n,
		       struct buf *in, struct err *e);

/*
 * Canonical forms, as iptables-nft-save prints them, of p[0..n).rule
 * (comment and target are kept; the tools are found as env says): the rules are written into a scratch
 * chain (in the namespace, reached from the hook of each rule's input)
 * with iptables-nft-restore (ip6tables-nft-restore for AF_INET6)
 * and read back with `iptables-nft -S`, then decoded with fw_rule_decode.
 * They are first written in a new network namespace of a child process,
 * which touches no table; when that is not possible (no CAP_SYS_ADMIN) or
 * fails on a rule with -m set (an ipset of this namespace) and may_write
 * is set, in a chain FW_PROBE_CHAIN-PID of the live filter table, deleted
 * right after (there, hanging from no hook, hook checks are not made),
 * and only when that table exists: a probe never makes one. A rule that
 * may not be written (fw_change_check), that iptables refuses, or that
 * reads back as a rule docker-fw cannot read, gets failed and why; the
 * others are done. 0, or -1 with e set (EXIT_RUNTIME: the tools are
 * missing, fork failed, no place to probe in).
 */
int fw_nft_canon(const struct fw_env *env, int family, struct fw_probe *p,
		 size_t n, int may_write, struct err *e);

/*
 * The nf_tables read of table of family started now, in the background
 * (`ip6tables-nft-save -t filter`, its output left in its pipe), so that
 * it runs beside other work; the next fw_read of that family and table
 * with fw_nft_ops takes its output instead of starting another. Only the
 * caller knows that nothing may change the table between the two (the
 * xtables lock held over both). One at a time: a new one drops the one
 * before. 0, or -1 (the tool not found, no process: the read starts it
 * then, as without).
 * fw_nft_prefetch_drop: the one not taken, if any, killed and reaped.
 */
int fw_nft_prefetch(const struct fw_env *env, int family, const char *table);
void fw_nft_prefetch_drop(void);

/* Frees rule arrays of a chain list. */
void fw_chains_free(struct fw_chain *v, size_t n);

#endif
