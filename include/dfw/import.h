/*
 * import.h - the state files of the original Go docker-fw (v0.2.4, the
 * last release), read from Docker's data root and turned into this
 * tool's rule specs. The module never talks to Docker (container names
 * come through a caller's callback) and never writes, moves or removes
 * the files it reads.
 *
 * The original kept, in DATA_ROOT/containers/<ID>/ (DATA_ROOT is
 * /var/lib/docker unless dockerd runs with --data-root), as Go's
 * encoding/json wrote them:
 *
 *   extraRules.json   {"Rules":[RULE...]} ({"Rules":null} once emptied),
 *                     the container's rules (iptables.go, recordRule):
 *     RULE = {"Source":S, "SourceAlias":A, "SourcePort":N,
 *             "Destination":S, "DestinationAlias":A, "DestinationPort":N,
 *             "Protocol":"tcp"|"udp", "Filter":F, "Chain":C, "JumpTo":J}
 *     S is the address as it was when the rule was added; an alias A is
 *     "." (this container), "/" (the Docker host, whose address the
 *     original hard-coded as 172.17.42.1/32), a container's name (the
 *     original stored names; an ID is taken too), or "" (S is a literal
 *     address); N is a port, 0 for none; F is iptables text the original
 *     pasted into `sh -c`.
 *   customHosts.json  ["NAME",...]: the containers whose hosts line the
 *                     original kept in THIS container's /etc/hosts
 *                     (state.go, updateCustomHosts).
 *   backupHostConfig.json  HostConfig of GET /containers/{id}/json, with
 *                     PortBindings replaced by NetworkSettings.Ports
 *                     (state.go, backupHostConfig: save-hostconfig).
 *
 * Rules, as the original's own `ls` read them back (ExtrapolateAction):
 *
 *   Chain    JumpTo   action          source / destination
 *   FORWARD  DOCKER   add             alias "." -> ".", "/" -> "/",
 *   DOCKER   ACCEPT   add-internal    a name or ID -> the container's name
 *   INPUT    ACCEPT   add-input       now, "" -> S as an address
 *
 * The original's add-two-ways C --source P wrote C's name into P's
 * customHosts.json first, then an add-internal rule (source P, dest ".")
 * into C's extraRules.json. So an entry C in P's customHosts.json turns
 * C's add-internal rules from P into add-two-ways rules; an entry with no
 * such rule (its add-two-ways failed in between, e.g. for want of GNU
 * truncate in P) cannot be carried over: its port is unknown.
 */
#ifndef DFW_IMPORT_H
#define DFW_IMPORT_H

#include <stddef.h>

#include "dfw/rulespec.h"
#include "dfw/util.h"

/* Each file is read whole, at most this many bytes: the original's
 * files are a few hundred bytes per rule, so 1 MiB is thousands of
 * rules; anything larger is refused, not truncated. */
#define IMPORT_FILE_MAX (1024 * 1024)

/* A data root path is at most this long (the rest of the buffer names
 * containers/<64 hex>/backupHostConfig.json). */
#define IMPORT_ROOT_MAX 1024
#define IMPORT_PATH_MAX (IMPORT_ROOT_MAX + 128)

enum import_file_kind {
	IMPORT_EXTRA_RULES,	  /* extraRules.json */
	IMPORT_CUSTOM_HOSTS,	  /* customHosts.json */
	IMPORT_BACKUP_HOSTCONFIG, /* backupHostConfig.json */
	IMPORT_NFILES
};

/* "extraRules.json" etc.; NULL for a bad value. */
const char *import_file_name(enum import_file_kind k);

/* One container's files, as read. */
struct import_files {
	char id[65];		   /* the folder's name, 64 hex digits */
	char dir[IMPORT_PATH_MAX]; /* "ROOT/containers/ID", for messages */
	struct {
		int present;	 /* 0: the file does not exist */
		struct buf text; /* its bytes (data may be NULL if
					 * empty), at most IMPORT_FILE_MAX */
	} file[IMPORT_NFILES];
};

/*
 * Opens Docker's data root (a folder; the path itself may go through
 * symlinks, as /var/lib/docker -> /srv/docker often does) for
 * import_read. Returns the fd (O_RDONLY | O_DIRECTORY | O_CLOEXEC; the
 * caller closes it), or -1 with e set: EXIT_USAGE when path does not
 * exist or is not a folder, or is longer than IMPORT_ROOT_MAX, else
 * EXIT_RUNTIME; the message names path.
 */
int import_open_root(const char *path, struct err *e);

/*
 * Reads containers/<id>/{extraRules,customHosts,backupHostConfig}.json
 * under the data root root_fd (root_path names it in messages) into f
 * (zeroed first; free with import_files_free). Nothing below the root
 * is followed if it is a symlink (containers/, <id>/ and each file are
 * opened with O_NOFOLLOW, each relative to its folder's fd); a missing
 * file is fine (present 0); files are opened read-only and never
 * changed. id must be 64 lowercase hex digits (Docker's container IDs).
 * 0, or -1 with e set and f freed: EXIT_USAGE naming the path for a bad
 * id, a missing containers/ or <id>/ folder, a symlink ("a symbolic
 * link, not followed"), something that is not a regular file or folder,
 * a file over IMPORT_FILE_MAX bytes; EXIT_RUNTIME for an I/O error or
 * out of memory.
 */
int import_read(int root_fd, const char *root_path, const char *id,
		struct import_files *f, struct err *e);
void import_files_free(struct import_files *f);

/*
 * The caller's container lookup: puts the name (without a leading '/')
 * of the container called name_or_id (a name, full ID or unique ID
 * prefix, never with a leading '/', always [a-zA-Z0-9][a-zA-Z0-9_.-]*)
 * into name[0..size) and returns 0; returns IMPORT_UNKNOWN when there is
 * no such container (or the prefix is ambiguous); returns -1 with e set
 * when it cannot tell (the daemon is unreachable...), which stops
 * import_convert. Containers need not be running.
 */
#define IMPORT_UNKNOWN 1
typedef int (*import_resolve_fn)(void *arg, const char *name_or_id, char *name,
				 size_t size, struct err *e);

/* One container to import: its files and its name now. */
struct import_source {
	const char *name;
	const struct import_files *files;
};

/* A rule carried over. */
struct import_rule {
	char container[256];  /* the container it belongs to, by name */
	struct rulespec spec; /* owned; action add, add-internal,
				 * add-input or add-two-ways */
	size_t source;	      /* index into the import_convert array */
	int index;	      /* its index in Rules[] of extraRules.json */
};

/* Why something cannot be carried over. */
enum import_why {
	IMPORT_MALFORMED,	  /* not what the original writes: a field
				 * missing, given twice, of the wrong JSON
				 * type or out of range */
	IMPORT_UNKNOWN_CHAIN,	  /* a Chain/JumpTo pair no add* action made */
	IMPORT_UNKNOWN_CONTAINER, /* an alias or hosts entry names no
				 * container (removed or renamed since) */
	IMPORT_OLD_GATEWAY,	  /* a literal 172.17.42.1 with no alias "/" */
	IMPORT_REFUSED,		  /* rulespec_parse refuses it (a --filter
				 * word, an address with host bits set,
				 * both ends "."...), with its reason */
	IMPORT_UNPAIRED_HOSTS,	  /* a customHosts.json entry with no rule */
};

struct import_finding {
	enum import_why kind;
	char container[256];	    /* the container whose file it is */
	enum import_file_kind what; /* which of the container's files */
	char file[IMPORT_PATH_MAX]; /* "ROOT/containers/ID/NAME.json" */
	int index;		    /* Rules[index], or the array index in
				 * customHosts.json */
	char rule[256];		    /* a short rendering in the original's `ls`
				 * form ("add web -s 1.2.3.4 -d . -p tcp
				 * --dport 80"; raw JSON text for a field of
				 * the wrong type, "?" for one missing),
				 * control characters as '?', cut with
				 * "..." */
	char why[512];		    /* the reason, naming the field */
};

struct import_result {
	struct import_rule *rules; /* in file and Rules[] order */
	size_t nrules;
	struct import_finding *findings;
	size_t nfindings;
};

/*
 * Converts the files of src[0..n) into res (zeroed first; free with
 * import_result_free): every rule of every extraRules.json, then every
 * customHosts.json entry paired with the rules it belongs to. Aliases
 * other than "." and "/" go through resolve (with arg). A rule spec is
 * what `ACTION CONTAINER --source ... --dest ... [--sport N] [--dport N]
 * --protocol P [--filter F]` gives to rulespec_parse, so every check of
 * rulespec_parse applies; the filter text is split by rulespec_split as
 * that option is (a filter the original's shell would have cut short at
 * a '#' or a newline is refused). A rule equal to one already taken for
 * the same container is dropped (nothing is lost).
 *
 * What cannot be carried over is appended to res->findings, one per rule
 * or entry, and the rest is still converted: the caller lists them and
 * imports nothing unless told to leave those out. Returns 0 (findings or
 * not), or -1 with e set and res freed: EXIT_USAGE naming the file for a
 * file that is not JSON, over IMPORT_FILE_MAX, or not of the original's
 * shape at the top (extraRules.json: an object whose "Rules" is an array
 * or null; customHosts.json: an array or null); EXIT_RUNTIME naming the
 * file and rule when resolve fails or memory runs out.
 */
int import_convert(const struct import_source *src, size_t n,
		   import_resolve_fn resolve, void *arg,
		   struct import_result *res, struct err *e);
void import_result_free(struct import_result *res);

/*
 * Appends one line for f, without a newline:
 *   FILE: Rules[2] (add web -s ... --dport 443): WHY
 *   FILE: [0] ("cache"): WHY
 * 0 or -1 (ENOMEM).
 */
int import_finding_format(const struct import_finding *f, struct buf *out);

/*
 * NOT DEFINED YET (see the lead's TODO): the hostconfig lines
 * (hostconfig.h) of the backupHostConfig.json in f, appended to out;
 * nothing when the file is absent. The file is a HostConfig object; its
 * PortBindings are the ports Docker had assigned (the original saved
 * NetworkSettings.Ports there), so they give "port" lines as
 * hostconfig_lines(c, 1, out) does (a null entry is an exposed port and
 * gives none; "::" and "0.0.0.0" are one line). To be defined over
 * docker.c's HostConfig parser once it is callable on a JSON text
 * (docker_inspect's is bound to struct docker's last response), so that
 * the two cannot drift apart. 0, or -1 with e set: EXIT_USAGE naming the
 * file when it is not JSON or not an object, EXIT_RUNTIME out of memory.
 */
int import_hostconfig(const struct import_files *f, struct strv *out,
		      struct err *e);

#endif
