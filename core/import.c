/*
 * import.c - the original Go docker-fw's state files, read without
 * following symlinks and converted into rule specs (see import.h for
 * the formats and the mapping).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/docker.h"
#include "dfw/hostconfig.h"
#include "dfw/import.h"
#include "dfw/json.h"

static const char *const file_names[IMPORT_NFILES] = {
	[IMPORT_EXTRA_RULES] = "extraRules.json",
	[IMPORT_CUSTOM_HOSTS] = "customHosts.json",
	[IMPORT_BACKUP_HOSTCONFIG] = "backupHostConfig.json",
};

const char *import_file_name(enum import_file_kind k)
{
	if ((unsigned)k >= IMPORT_NFILES)
		return NULL;
	return file_names[k];
}

/* Reading the files */

int import_open_root(const char *path, struct err *e)
{
	int fd;

	if (strlen(path) > IMPORT_ROOT_MAX)
		return err_set(e, EXIT_USAGE,
			       "\"%.64s...\": a data root path "
			       "longer than %d bytes",
			       path, IMPORT_ROOT_MAX);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e,
			       errno == ENOENT || errno == ENOTDIR ?
				       EXIT_USAGE :
				       EXIT_RUNTIME,
			       "%s: %s", path, strerror(errno));
	return fd;
}

static int is_id(const char *id)
{
	size_t n = strspn(id, "0123456789abcdef");

	return n == 64 && !id[n];
}

/*
 * Opens name in the folder dfd without following a symlink. O_NONBLOCK
 * so that a FIFO planted there does not hang the open (it is then
 * refused as not a regular file). Returns the fd, -2 for ENOENT, or -1
 * with e set naming path.
 */
static int open_nofollow(int dfd, const char *name, int dir, const char *path,
			 struct err *e)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		    (dir ? O_DIRECTORY : O_NONBLOCK);
	int fd = openat(dfd, name, flags);
	struct stat st;

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return -2;
	/* O_NOFOLLOW on a symlink: ELOOP (ENOTDIR with O_DIRECTORY on
	 * some kernels); say which it is */
	if ((errno == ELOOP || errno == ENOTDIR) &&
	    !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISLNK(st.st_mode))
		return err_set(e, EXIT_USAGE,
			       "%s: a symbolic link, not "
			       "followed",
			       path);
	if (errno == ENOTDIR)
		return err_set(e, EXIT_USAGE, "%s: not a folder", path);
	return err_set(e, EXIT_RUNTIME, "%s: %s", path, strerror(errno));
}

/* Reads the regular file fd, at most IMPORT_FILE_MAX bytes, into b. */
static int read_bounded(int fd, const char *path, struct buf *b, struct err *e)
{
	struct stat st;

	if (fstat(fd, &st))
		return err_set(e, EXIT_RUNTIME, "%s: %s", path,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(e, EXIT_USAGE, "%s: not a regular file", path);
	if (st.st_size > IMPORT_FILE_MAX)
		goto big;
	/* the size may change while reading: read to the end, bounded */
	if (!fd_read_all(fd, b, IMPORT_FILE_MAX))
		return 0;
	if (errno == ENOMEM)
		return err_set(e, EXIT_RUNTIME, "%s: out of memory", path);
	if (errno != EFBIG)
		return err_set(e, EXIT_RUNTIME, "%s: %s", path,
			       strerror(errno));
big:
	return err_set(e, EXIT_USAGE,
		       "%s: larger than %d bytes (1 MiB), the "
		       "most an import reads",
		       path, IMPORT_FILE_MAX);
}

/* a + "/" + b into out[0..IMPORT_PATH_MAX) (no second '/' after a
 * trailing one); -1 when it does not fit. */
static int join(char *out, const char *a, const char *b)
{
	size_t n = strlen(a);
	const char *sep = n && a[n - 1] == '/' ? "" : "/";
	int r = snprintf(out, IMPORT_PATH_MAX, "%s%s%s", a, sep, b);

	return r < 0 || r >= IMPORT_PATH_MAX ? -1 : 0;
}

/* Opens ROOT/containers (path: its name, for messages). The folder's
 * descriptor, or -1 with e set. */
static int open_containers(int root_fd, const char *root_path,
			   char path[IMPORT_PATH_MAX], struct err *e)
{
	int fd;

	if (strlen(root_path) > IMPORT_ROOT_MAX ||
	    join(path, root_path, "containers"))
		return err_set(e, EXIT_USAGE,
			       "\"%.64s...\": a data root path "
			       "longer than %d bytes",
			       root_path, IMPORT_ROOT_MAX);
	fd = open_nofollow(root_fd, "containers", 1, path, e);
	if (fd == -2)
		return err_set(e, EXIT_USAGE,
			       "%s: no such folder (not "
			       "Docker's data root?)",
			       path);
	return fd;
}

int import_read(int root_fd, const char *root_path, const char *id,
		struct import_files *f, struct err *e)
{
	char path[IMPORT_PATH_MAX];
	int cfd = -1, dfd = -1, fd, k;

	memset(f, 0, sizeof(*f));
	if (!is_id(id))
		return err_set(e, EXIT_USAGE,
			       "\"%.80s\": not a container ID "
			       "(64 hex digits)",
			       id);
	/* IMPORT_PATH_MAX holds any ROOT/containers/ID/NAME.json */
	cfd = open_containers(root_fd, root_path, path, e);
	if (cfd < 0)
		goto fail;
	if (join(f->dir, path, id)) {
		err_set(e, EXIT_USAGE, "%s: path too long", path);
		goto fail;
	}
	memcpy(f->id, id, 65);
	dfd = open_nofollow(cfd, id, 1, f->dir, e);
	if (dfd == -2)
		err_set(e, EXIT_USAGE, "%s: no such folder", f->dir);
	if (dfd < 0)
		goto fail;
	for (k = 0; k < IMPORT_NFILES; k++) {
		if (join(path, f->dir, file_names[k])) {
			err_set(e, EXIT_USAGE, "%s: path too long", f->dir);
			goto fail;
		}
		fd = open_nofollow(dfd, file_names[k], 0, path, e);
		if (fd == -2)
			continue;
		if (fd < 0)
			goto fail;
		f->file[k].present = 1;
		if (read_bounded(fd, path, &f->file[k].text, e)) {
			close(fd);
			goto fail;
		}
		close(fd);
	}
	close(dfd);
	close(cfd);
	return 0;
fail:
	if (dfd >= 0)
		close(dfd);
	if (cfd >= 0)
		close(cfd);
	import_files_free(f);
	return -1;
}

void import_files_free(struct import_files *f)
{
	int k;

	for (k = 0; k < IMPORT_NFILES; k++) {
		buf_free(&f->file[k].text);
		f->file[k].present = 0;
	}
}

/* Converting */

/* The fields of one rule, in the order of the original's struct. */
enum {
	F_SOURCE,
	F_SOURCE_ALIAS,
	F_SOURCE_PORT,
	F_DEST,
	F_DEST_ALIAS,
	F_DEST_PORT,
	F_PROTOCOL,
	F_FILTER,
	F_CHAIN,
	F_JUMPTO,
	NFIELDS
};

static const char *const field_names[NFIELDS] = {
	[F_SOURCE] = "Source",
	[F_SOURCE_ALIAS] = "SourceAlias",
	[F_SOURCE_PORT] = "SourcePort",
	[F_DEST] = "Destination",
	[F_DEST_ALIAS] = "DestinationAlias",
	[F_DEST_PORT] = "DestinationPort",
	[F_PROTOCOL] = "Protocol",
	[F_FILTER] = "Filter",
	[F_CHAIN] = "Chain",
	[F_JUMPTO] = "JumpTo",
};

static int is_port_field(int k)
{
	return k == F_SOURCE_PORT || k == F_DEST_PORT;
}

/* A parsed file: its text, tokens and path. */
struct doc {
	const char *s;
	struct json_tok *t;
	int n;
	char path[IMPORT_PATH_MAX];
};

struct ctx {
	const struct import_source *src;
	size_t nsrc;
	import_resolve_fn resolve;
	void *arg;
	struct import_result *res;
	struct err *e;
	size_t cur; /* the source being converted */
	int kind;   /* its file being converted */
	struct doc d;
	size_t cap;		  /* of res->rules */
	struct rulespec_index ix; /* res->rules by key() */
};

/* One rule being read: each field's token, decoded text or port. */
struct rule_in {
	int tok[NFIELDS];     /* -1: absent */
	char *str[NFIELDS];   /* decoded strings, owned */
	long port[NFIELDS];   /* -1: not a valid port */
	enum import_why kind; /* the first problem found */
	char why[512];	      /* "" while none */
};

/* Errors below import_convert leave the file's path out: it adds it. */
static int nomem(struct ctx *c)
{
	return err_set(c->e, EXIT_RUNTIME, "out of memory");
}

/* A message into out[0..size), cut if longer (messages may be). */
static void say(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

static int doc_parse(struct ctx *c, size_t si, int k)
{
	const struct import_files *f = c->src[si].files;
	const struct buf *b = &f->file[k].text;
	size_t len = b->data ? b->len : 0, pos = 0;
	int n;

	free(c->d.t);
	memset(&c->d, 0, sizeof(c->d));
	c->d.s = b->data ? b->data : "";
	if (join(c->d.path, f->dir, file_names[k]))
		return err_set(c->e, EXIT_USAGE,
			       "%.64s...: path longer than "
			       "%d bytes",
			       f->dir, IMPORT_PATH_MAX - 1);
	if (len > IMPORT_FILE_MAX)
		return err_set(c->e, EXIT_USAGE,
			       "larger than %d bytes "
			       "(1 MiB), the most an import reads",
			       IMPORT_FILE_MAX);
	n = json_parse(c->d.s, len, NULL, 0, 0, &pos);
	if (n < 0)
		return err_set(c->e, EXIT_USAGE, "%s at offset %zu",
			       json_strerror(n), pos);
	c->d.t = calloc((size_t)n, sizeof(*c->d.t));
	if (!c->d.t)
		return nomem(c);
	c->d.n = json_parse(c->d.s, len, c->d.t, (unsigned)n, 0, &pos);
	if (c->d.n != n) /* cannot be: the text is the same */
		return err_set(c->e, EXIT_RUNTIME, "%s", json_strerror(c->d.n));
	return 0;
}

static const char *type_name(const struct json_tok *t)
{
	switch (t->type) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_NUMBER:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/*
 * The decoded string token t, malloc'd, into *out: 0, 1 when it holds a
 * NUL (\u0000: not a C string), or -1 (ENOMEM).
 */
static int tok_str(const struct doc *d, const struct json_tok *t, char **out)
{
	size_t size = t->end - t->start + 1;
	char *s = malloc(size);
	int n;

	*out = NULL;
	if (!s)
		return -1;
	n = json_string(d->s, t, s, size);
	if (n < 0 || strlen(s) != (size_t)n) {
		free(s);
		return n < 0 ? -1 : 1;
	}
	*out = s;
	return 0;
}

/* Appends s with control characters as '?'. */
static int put_clean(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		char c = s[i];

		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = '?';
		rc = buf_add(b, &c, 1);
	}
	return rc;
}

/* Copies b's text into out[0..size), cut with "..." when longer. */
static void put_cut(char *out, size_t size, const struct buf *b)
{
	size_t n = b->data ? b->len : 0;

	if (n < size) {
		memcpy(out, b->data ? b->data : "", n + 1);
		return;
	}
	memcpy(out, b->data, size - 4);
	memcpy(out + size - 4, "...", 4);
}

/* A field as the rendering shows it: its decoded text, else its raw
 * JSON text (at most 40 bytes), else "?". */
static int put_field(struct buf *b, const struct doc *d,
		     const struct rule_in *r, int k)
{
	const struct json_tok *t;
	size_t n;

	if (r->str[k])
		return put_clean(b, r->str[k], strlen(r->str[k]));
	if (is_port_field(k) && r->port[k] >= 0)
		return buf_printf(b, "%ld", r->port[k]);
	if (r->tok[k] < 0)
		return buf_adds(b, "?");
	t = &d->t[r->tok[k]];
	/* a string's token excludes its quotes */
	n = t->end - t->start + (t->type == JSON_STRING ? 2 : 0);
	return put_clean(b, d->s + t->start - (t->type == JSON_STRING),
			 n > 40 ? 40 : n) ||
	       (n > 40 && buf_adds(b, "..."));
}

/* The original's ExtrapolateAction; -1 for an unknown pair. */
static int rule_action(const char *chain, const char *jump)
{
	if (!chain || !jump)
		return -1;
	if (!strcmp(chain, "FORWARD") && !strcmp(jump, "DOCKER"))
		return RULE_ADD;
	if (!strcmp(chain, "DOCKER") && !strcmp(jump, "ACCEPT"))
		return RULE_ADD_INTERNAL;
	if (!strcmp(chain, "INPUT") && !strcmp(jump, "ACCEPT"))
		return RULE_ADD_INPUT;
	return -1;
}

/* An alias given, else the address (SourceAliasOrAddress). */
static int put_end(struct buf *b, const struct doc *d, const struct rule_in *r,
		   int alias, int addr)
{
	if (r->str[alias] && *r->str[alias])
		return put_field(b, d, r, alias);
	return put_field(b, d, r, addr);
}

/*
 * The rule in the original's `ls` form (FormatAsFwCommand):
 *   ACTION NAME -s S -d D -p P [--filter 'F'] [--dport N] [--sport N]
 * with "CHAIN/JUMPTO" for an action it cannot name.
 */
static void render(char *out, size_t size, const struct doc *d,
		   const struct rule_in *r, const char *name)
{
	int a = rule_action(r->str[F_CHAIN], r->str[F_JUMPTO]);
	struct buf b = { 0 };
	int rc;

	if (a >= 0)
		rc = buf_adds(&b, rule_action_name((enum rule_action)a));
	else
		rc = put_field(&b, d, r, F_CHAIN) || buf_adds(&b, "/") ||
		     put_field(&b, d, r, F_JUMPTO);
	rc = rc || buf_adds(&b, " ") || put_clean(&b, name, strlen(name)) ||
	     buf_adds(&b, " -s ") ||
	     put_end(&b, d, r, F_SOURCE_ALIAS, F_SOURCE) ||
	     buf_adds(&b, " -d ") || put_end(&b, d, r, F_DEST_ALIAS, F_DEST) ||
	     buf_adds(&b, " -p ") || put_field(&b, d, r, F_PROTOCOL);
	if (!rc && !(r->str[F_FILTER] && !*r->str[F_FILTER]))
		rc = buf_adds(&b, " --filter '") ||
		     put_field(&b, d, r, F_FILTER) || buf_adds(&b, "'");
	if (!rc && r->port[F_DEST_PORT] != 0)
		rc = buf_adds(&b, " --dport ") ||
		     put_field(&b, d, r, F_DEST_PORT);
	if (!rc && r->port[F_SOURCE_PORT] != 0)
		rc = buf_adds(&b, " --sport ") ||
		     put_field(&b, d, r, F_SOURCE_PORT);
	if (rc)
		say(out, size, "(out of memory)");
	else
		put_cut(out, size, &b);
	buf_free(&b);
}

static int add_finding(struct ctx *c, enum import_why kind, int index,
		       const char *rule, const char *why)
{
	struct import_result *res = c->res;
	struct import_finding *v, *f;

	v = realloc(res->findings, (res->nfindings + 1) * sizeof(*v));
	if (!v)
		return nomem(c);
	res->findings = v;
	f = &v[res->nfindings++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->what = (enum import_file_kind)c->kind;
	snprintf(f->container, sizeof(f->container), "%s", c->src[c->cur].name);
	snprintf(f->file, sizeof(f->file), "%s", c->d.path);
	f->index = index;
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	snprintf(f->why, sizeof(f->why), "%s", why);
	return 0;
}

/* Records the first problem of r. */
static void problem(struct rule_in *r, enum import_why kind, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

static void problem(struct rule_in *r, enum import_why kind, const char *fmt,
		    ...)
{
	va_list ap;

	if (r->why[0])
		return;
	r->kind = kind;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* "a string", or a short quote of the value where that helps. */
static void wrong_type(struct rule_in *r, int k, const struct json_tok *t,
		       const char *want)
{
	problem(r, IMPORT_MALFORMED, "\"%s\" is %s, not %s", field_names[k],
		type_name(t), want);
}

/* Reads the ten fields of the object at toks[obj]. 0, or -1 (ENOMEM). */
static int read_fields(struct ctx *c, int obj, struct rule_in *r)
{
	const struct doc *d = &c->d;
	const struct json_tok *t;
	int64_t v;
	int i, k, m, rc;

	for (k = 0; k < NFIELDS; k++) {
		r->tok[k] = -1;
		r->port[k] = -1;
	}
	for (i = obj + 1, m = 0; m < (int)d->t[obj].size;
	     m++, i = (int)d->t[i + 1].next) {
		for (k = 0; k < NFIELDS; k++)
			if (json_streq(d->s, &d->t[i], field_names[k]))
				break;
		if (k == NFIELDS)
			continue; /* Go ignores unknown keys */
		/* Go takes the last; the original never wrote two */
		if (r->tok[k] >= 0)
			problem(r, IMPORT_MALFORMED, "\"%s\" given twice",
				field_names[k]);
		else
			r->tok[k] = i + 1;
	}
	for (k = 0; k < NFIELDS; k++) {
		if (r->tok[k] < 0) {
			problem(r, IMPORT_MALFORMED, "no \"%s\"",
				field_names[k]);
			continue;
		}
		t = &d->t[r->tok[k]];
		if (is_port_field(k)) {
			if (t->type != JSON_NUMBER) {
				wrong_type(r, k, t, "a port number");
				continue;
			}
			if (json_int(d->s, t, &v) || v < 0 || v > 65535) {
				problem(r, IMPORT_MALFORMED,
					"\"%s\" %.*s: not "
					"a port number (0-65535, 0 for any)",
					field_names[k],
					(int)(t->end - t->start > 40 ?
						      40 :
						      t->end - t->start),
					d->s + t->start);
				continue;
			}
			r->port[k] = (long)v;
			continue;
		}
		if (t->type != JSON_STRING) {
			wrong_type(r, k, t, "a string");
			continue;
		}
		rc = tok_str(d, t, &r->str[k]);
		if (rc < 0)
			return nomem(c);
		if (rc)
			problem(r, IMPORT_MALFORMED,
				"\"%s\" holds a NUL "
				"character",
				field_names[k]);
	}
	return 0;
}

static void rule_in_free(struct rule_in *r)
{
	int k;

	for (k = 0; k < NFIELDS; k++)
		free(r->str[k]);
}

/* The original's DOCKER_HOST, the address it stored for "/". */
static int is_old_gateway(const char *s)
{
	return !strcmp(s, "172.17.42.1") || !strcmp(s, "172.17.42.1/32");
}

/*
 * The caller's lookup of a container alias (valid by addr_parse) into
 * out: 0, 1 when unknown, -1 with c->e set naming what was looked up.
 */
static int lookup(struct ctx *c, const char *what, const char *alias,
		  const char *name, char *out, size_t size)
{
	int rc;

	out[0] = 0;
	rc = c->resolve(c->arg, name, out, size, c->e);
	out[size - 1] = 0;
	if (rc < 0)
		return err_wrap(c->e, "%s\"%s\"", what, alias);
	return rc == IMPORT_UNKNOWN ? 1 : 0;
}

/*
 * The address spec text of one end of r into out ("." / "/" / a
 * container's name now / an address in canonical form). 0; 1 with a
 * problem recorded in r; -1 with c->e set (resolve failed, ENOMEM).
 */
static int rule_end(struct ctx *c, struct rule_in *r, int alias_k, int addr_k,
		    char *out, size_t size)
{
	const char *alias = r->str[alias_k], *addr = r->str[addr_k];
	struct addr_spec a;
	struct buf t = { 0 };
	char what[32];
	struct err e2;
	int rc;

	if (!strcmp(alias, ".") || !strcmp(alias, "/")) {
		snprintf(out, size, "%s", alias);
		return 0;
	}
	if (!*alias) {
		if (is_old_gateway(addr)) {
			problem(r, IMPORT_OLD_GATEWAY,
				"\"%s\" \"%s\" with no "
				"\"%s\": the address the original hard-coded "
				"for the Docker host (\"/\"), which Docker no "
				"longer gives its bridge (docker0's gateway is "
				"172.17.0.1 by default): as an address it "
				"would match no host; add the rule again with "
				"\"/\" (the gateway) if that is what it meant",
				field_names[addr_k], addr,
				field_names[alias_k]);
			return 1;
		}
		if (addr_parse(addr, &a, &e2)) {
			if (e2.code == EXIT_RUNTIME) /* out of memory */
				return nomem(c);
			problem(r, IMPORT_REFUSED, "\"%s\" %s",
				field_names[addr_k], e2.msg);
			return 1;
		}
		if (a.kind != ADDR_CIDR) {
			problem(r, IMPORT_MALFORMED,
				"\"%s\" \"%s\" with no "
				"\"%s\": not an IPv4 address or network",
				field_names[addr_k], addr,
				field_names[alias_k]);
			return 1;
		}
		rc = addr_format(&a, &t);
		if (!rc)
			snprintf(out, size, "%s", t.data);
		buf_free(&t);
		return rc ? nomem(c) : 0;
	}
	/* a container: the original stored its name (maybe "/name") */
	rc = addr_parse(alias, &a, &e2);
	if (rc && e2.code == EXIT_RUNTIME) /* out of memory */
		return nomem(c);
	if (rc || a.kind != ADDR_CONTAINER) {
		problem(r, IMPORT_MALFORMED,
			"\"%s\" \"%s\": not \".\", \"/\" "
			"or a container name or ID",
			field_names[alias_k], alias);
		return 1;
	}
	snprintf(what, sizeof(what), "%s ", field_names[alias_k]);
	rc = lookup(c, what, alias, a.name, out, size);
	if (rc < 0)
		return -1;
	if (rc) {
		problem(r, IMPORT_UNKNOWN_CONTAINER,
			"\"%s\" \"%s\": no such "
			"container (removed or renamed since)",
			field_names[alias_k], alias);
		return 1;
	}
	/* the original wrote "." for the container itself; its own name
	 * (a hand edit, a rename since) means the same */
	if (!strcmp(out, c->src[c->cur].name))
		snprintf(out, size, ".");
	return 0;
}

/*
 * The filter as rulespec_parse will split it. The original pasted it
 * into `sh -c "iptables ... FILTER -p P -m P --dport N"`: a newline ran
 * the rest as another command, and a '#' starting a word commented out
 * the rest, protocol and port included. rulespec_split stops at such a
 * '#' too, so a filter whose words change when a word follows it is
 * refused. Returns the number of words; -1 with a problem recorded in
 * r; -2 with c->e set (ENOMEM).
 */
static int filter_words(struct ctx *c, struct rule_in *r, const char *f)
{
	struct strv w = { 0 };
	struct buf more = { 0 };
	struct err e2;
	int n, n2;

	if (strchr(f, '\n')) {
		problem(r, IMPORT_REFUSED,
			"\"Filter\" holds a newline (the "
			"original's shell ran what follows it as a command)");
		return -1;
	}
	n = rulespec_split(f, &w, &e2);
	strv_free(&w);
	if (n < 0 && e2.code == EXIT_RUNTIME)
		return nomem(c) - 1;
	if (n < 0) {
		problem(r, IMPORT_REFUSED, "\"Filter\": %s", e2.msg);
		return -1;
	}
	if (buf_adds(&more, f) || buf_adds(&more, " x")) {
		buf_free(&more);
		return nomem(c) - 1;
	}
	n2 = rulespec_split(more.data, &w, &e2);
	strv_free(&w);
	buf_free(&more);
	if (n2 < 0 && e2.code == EXIT_RUNTIME)
		return nomem(c) - 1;
	if (n2 != n + 1) {
		problem(r, IMPORT_REFUSED,
			"\"Filter\": a '#' starts a comment "
			"(the original's shell dropped the rest of its "
			"iptables command there)");
		return -1;
	}
	return n;
}

/* What makes two rules the same to take_rule: the container's name and
 * what rulespec_equal compares (FNV-1a of the name mixed in). */
static uint64_t key(const char *name, const struct rulespec *spec)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ull;
	return rulespec_hash(spec, 1) ^ (h * 0x9e3779b97f4a7c15ull);
}

/* Appends spec (taken) unless the container has an equal rule: found by
 * an index, not by comparing it with every rule taken (#18: an import of
 * N rules was O(N^2)). */
static int take_rule(struct ctx *c, struct rulespec *spec, int index)
{
	struct import_result *res = c->res;
	const char *name = c->src[c->cur].name;
	struct import_rule *v, *ir;
	uint64_t h = key(name, spec);
	size_t i, it = 0;

	while (rulespec_index_next(&c->ix, h, &it, &i))
		if (!strcmp(res->rules[i].container, name) &&
		    rulespec_equal(&res->rules[i].spec, spec)) {
			rulespec_free(spec);
			return 0;
		}
	if (res->nrules == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;

		v = cap < SIZE_MAX / 2 / sizeof(*v) ?
			    realloc(res->rules, cap * sizeof(*v)) :
			    NULL;
		if (!v) {
			rulespec_free(spec);
			return nomem(c);
		}
		res->rules = v;
		c->cap = cap;
	}
	if (rulespec_index_add_hash(&c->ix, h, res->nrules)) {
		rulespec_free(spec);
		return nomem(c);
	}
	ir = &res->rules[res->nrules++];
	memset(ir, 0, sizeof(*ir));
	snprintf(ir->container, sizeof(ir->container), "%s", name);
	ir->spec = *spec;
	ir->source = c->cur;
	ir->index = index;
	return 0;
}

/* "--opt N" into argv for a port other than 0 (any). */
static void port_arg(char **argv, int *argc, const char *opt, char *buf,
		     size_t size, long port)
{
	if (port <= 0)
		return;
	snprintf(buf, size, "%ld", port);
	argv[(*argc)++] = (char *)opt;
	argv[(*argc)++] = buf;
}

/*
 * The rule spec of a rule whose fields all read well, or a problem
 * recorded in r. 0 (taken or a problem), or -1 with c->e set.
 */
static int convert(struct ctx *c, struct rule_in *r, int index)
{
	char src[256], dst[256], sport[24], dport[24];
	char *argv[12];
	struct rulespec spec;
	struct err e2;
	int argc = 0, action, rc;

	action = rule_action(r->str[F_CHAIN], r->str[F_JUMPTO]);
	if (action < 0) {
		problem(r, IMPORT_UNKNOWN_CHAIN,
			"\"Chain\" \"%s\" with "
			"\"JumpTo\" \"%s\": not a rule of add (FORWARD, "
			"DOCKER), add-internal (DOCKER, ACCEPT) or add-input "
			"(INPUT, ACCEPT)",
			r->str[F_CHAIN], r->str[F_JUMPTO]);
		return 0;
	}
	rc = rule_end(c, r, F_SOURCE_ALIAS, F_SOURCE, src, sizeof(src));
	if (!rc)
		rc = rule_end(c, r, F_DEST_ALIAS, F_DEST, dst, sizeof(dst));
	if (rc)
		return rc < 0 ? -1 : 0;
	rc = filter_words(c, r, r->str[F_FILTER]);
	if (rc < 0)
		return rc == -1 ? 0 : -1;
	argv[argc++] = "--source";
	argv[argc++] = src;
	argv[argc++] = "--dest";
	argv[argc++] = dst;
	port_arg(argv, &argc, "--sport", sport, sizeof(sport),
		 r->port[F_SOURCE_PORT]);
	port_arg(argv, &argc, "--dport", dport, sizeof(dport),
		 r->port[F_DEST_PORT]);
	argv[argc++] = "--protocol";
	argv[argc++] = r->str[F_PROTOCOL];
	if (rc > 0) { /* "" or blanks: no filter */
		argv[argc++] = "--filter";
		argv[argc++] = r->str[F_FILTER];
	}
	if (rulespec_parse(&spec, (enum rule_action)action, argc, argv, &e2)) {
		if (e2.code == EXIT_RUNTIME)
			return nomem(c);
		problem(r, IMPORT_REFUSED, "%s", e2.msg);
		return 0;
	}
	return take_rule(c, &spec, index);
}

/* A JSON value's text, quotes included, control characters as '?',
 * cut to fit out[0..size). */
static int raw_text(const struct doc *d, const struct json_tok *t, char *out,
		    size_t size)
{
	int q = t->type == JSON_STRING;
	struct buf b = { 0 };

	if (put_clean(&b, d->s + t->start - q, t->end - t->start + 2 * q)) {
		buf_free(&b);
		return -1;
	}
	put_cut(out, size, &b);
	buf_free(&b);
	return 0;
}

/*
 * Rules[index] at toks[i]: a rule spec, or a finding. 0, or -1 with
 * c->e set (ENOMEM, resolve failed), naming the rule.
 */
static int one_rule(struct ctx *c, int i, int index)
{
	const struct json_tok *t = &c->d.t[i];
	char rule[256];
	struct rule_in r;
	int rc;

	memset(&r, 0, sizeof(r));
	if (t->type != JSON_OBJECT) {
		if (raw_text(&c->d, t, rule, sizeof(rule)))
			return nomem(c);
		say(r.why, sizeof(r.why), "%s, not an object", type_name(t));
		return add_finding(c, IMPORT_MALFORMED, index, rule, r.why);
	}
	rc = read_fields(c, i, &r);
	if (!rc && !r.why[0])
		rc = convert(c, &r, index);
	if (!rc && r.why[0]) {
		render(rule, sizeof(rule), &c->d, &r, c->src[c->cur].name);
		rc = add_finding(c, r.kind, index, rule, r.why);
	}
	rule_in_free(&r);
	return rc ? err_wrap(c->e, "Rules[%d]", index) : 0;
}

/* The member key of object obj, given once; -1 when absent, -2 twice. */
static int member_once(const struct doc *d, int obj, const char *key)
{
	int i, m, found = -1;

	for (i = obj + 1, m = 0; m < (int)d->t[obj].size;
	     m++, i = (int)d->t[i + 1].next)
		if (json_streq(d->s, &d->t[i], key)) {
			if (found >= 0)
				return -2;
			found = i + 1;
		}
	return found;
}

static int rules_file(struct ctx *c)
{
	const struct doc *d = &c->d;
	int rules, i, k;

	if (d->t[0].type != JSON_OBJECT)
		return err_set(c->e, EXIT_USAGE,
			       "%s, not an object "
			       "{\"Rules\": [...]}",
			       type_name(d->t));
	rules = member_once(d, 0, "Rules");
	if (rules == -1)
		return err_set(c->e, EXIT_USAGE, "no \"Rules\"");
	if (rules == -2)
		return err_set(c->e, EXIT_USAGE, "\"Rules\" given twice");
	if (d->t[rules].type == JSON_NULL)
		return 0; /* Go writes a nil slice as null */
	if (d->t[rules].type != JSON_ARRAY)
		return err_set(c->e, EXIT_USAGE,
			       "\"Rules\" is %s, not an "
			       "array",
			       type_name(&d->t[rules]));
	for (i = rules + 1, k = 0; k < (int)d->t[rules].size;
	     k++, i = (int)d->t[i].next)
		if (one_rule(c, i, k))
			return -1;
	return 0;
}

/*
 * Entry index of the owner P's customHosts.json at toks[i], naming the
 * container C whose hosts line P kept: C's add-internal rules from P
 * become add-two-ways. 0, or -1 with c->e set naming the entry.
 */
static int one_host(struct ctx *c, int i, int index)
{
	const struct json_tok *t = &c->d.t[i];
	const char *owner = c->src[c->cur].name;
	char peer[256], why[512], rule[256], where[16];
	struct addr_spec a;
	struct err e2;
	char *s = NULL;
	size_t k;
	int rc, paired = 0, imported = 0, refused = 0;

	if (raw_text(&c->d, t, rule, sizeof(rule)))
		return nomem(c);
	if (t->type != JSON_STRING) {
		say(why, sizeof(why), "%s, not a container name", type_name(t));
		return add_finding(c, IMPORT_MALFORMED, index, rule, why);
	}
	rc = tok_str(&c->d, t, &s);
	if (rc < 0)
		return nomem(c);
	if (!rc && addr_parse(s, &a, &e2)) {
		if (e2.code == EXIT_RUNTIME) { /* out of memory */
			free(s);
			return nomem(c);
		}
		rc = 1;
	}
	if (rc || a.kind != ADDR_CONTAINER) {
		free(s);
		return add_finding(c, IMPORT_MALFORMED, index, rule,
				   "not a container name");
	}
	free(s);
	snprintf(where, sizeof(where), "[%d] ", index);
	rc = lookup(c, where, a.name, a.name, peer, sizeof(peer));
	if (rc < 0)
		return -1;
	if (rc)
		return add_finding(c, IMPORT_UNKNOWN_CONTAINER, index, rule,
				   "no such container (removed or renamed "
				   "since)");
	if (!strcmp(peer, owner))
		return add_finding(c, IMPORT_MALFORMED, index, rule,
				   "names the container itself");
	for (k = 0; k < c->nsrc; k++)
		imported |= !strcmp(c->src[k].name, peer);
	for (k = 0; k < c->res->nrules; k++) {
		struct import_rule *ir = &c->res->rules[k];

		if (strcmp(ir->container, peer) ||
		    (ir->spec.action != RULE_ADD_INTERNAL &&
		     ir->spec.action != RULE_ADD_TWO_WAYS) ||
		    ir->spec.src.kind != ADDR_CONTAINER ||
		    strcmp(ir->spec.src.name, owner) ||
		    ir->spec.dst.kind != ADDR_SELF)
			continue;
		ir->spec.action = RULE_ADD_TWO_WAYS;
		paired++;
	}
	if (paired)
		return 0;
	for (k = 0; k < c->res->nfindings; k++)
		refused |= c->res->findings[k].what == IMPORT_EXTRA_RULES &&
			   !strcmp(c->res->findings[k].container, peer);
	if (!imported)
		say(why, sizeof(why),
		    "the add-two-ways rule it belongs "
		    "to is in %s's extraRules.json, and %s is not among "
		    "the containers imported",
		    peer, peer);
	else if (refused)
		say(why, sizeof(why),
		    "no add-internal rule of %s with -s %s "
		    "-d . to pair with among those carried over: see the "
		    "findings of %s's extraRules.json",
		    peer, owner, peer);
	else
		say(why, sizeof(why),
		    "no add-internal rule of %s with "
		    "-s %s -d . to pair with: the original wrote this "
		    "entry, then that rule, so its add-two-ways failed in "
		    "between (it needs GNU truncate in %s); the port is "
		    "unknown",
		    peer, owner, owner);
	return add_finding(c, IMPORT_UNPAIRED_HOSTS, index, rule, why);
}

static int hosts_file(struct ctx *c)
{
	const struct doc *d = &c->d;
	int i, k;

	if (d->t[0].type == JSON_NULL)
		return 0; /* Go writes a nil slice as null */
	if (d->t[0].type != JSON_ARRAY)
		return err_set(c->e, EXIT_USAGE,
			       "%s, not an array of "
			       "container names",
			       type_name(d->t));
	for (i = 1, k = 0; k < (int)d->t[0].size; k++, i = (int)d->t[i].next)
		if (one_host(c, i, k))
			return -1;
	return 0;
}

int import_convert(const struct import_source *src, size_t n,
		   import_resolve_fn resolve, void *arg,
		   struct import_result *res, struct err *e)
{
	struct ctx c;
	int k;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	c.ix.net = 1;
	c.src = src;
	c.nsrc = n;
	c.resolve = resolve;
	c.arg = arg;
	c.res = res;
	c.e = e;
	/* every rule first: a customHosts.json entry pairs with a rule in
	 * another container's extraRules.json */
	for (k = IMPORT_EXTRA_RULES; k <= IMPORT_CUSTOM_HOSTS; k++)
		for (c.cur = 0; c.cur < n; c.cur++) {
			c.kind = k;
			if (!src[c.cur].files->file[k].present)
				continue;
			if (doc_parse(&c, c.cur, k) ||
			    (k == IMPORT_EXTRA_RULES ? rules_file(&c) :
						       hosts_file(&c))) {
				err_wrap(e, "%s", c.d.path);
				goto fail;
			}
		}
	free(c.d.t);
	rulespec_index_free(&c.ix);
	return 0;
fail:
	free(c.d.t);
	rulespec_index_free(&c.ix);
	import_result_free(res);
	return -1;
}

void import_result_free(struct import_result *res)
{
	size_t i;

	for (i = 0; i < res->nrules; i++)
		rulespec_free(&res->rules[i].spec);
	free(res->rules);
	free(res->findings);
	memset(res, 0, sizeof(*res));
}

int import_finding_format(const struct import_finding *f, struct buf *out)
{
	if (f->what == IMPORT_CUSTOM_HOSTS)
		return buf_printf(out, "%s: [%d] (%s): %s", f->file, f->index,
				  f->rule, f->why);
	return buf_printf(out, "%s: Rules[%d] (%s): %s", f->file, f->index,
			  f->rule, f->why);
}

int import_hostconfig(const struct import_files *f, struct strv *out,
		      struct err *e)
{
	const struct buf *b = &f->file[IMPORT_BACKUP_HOSTCONFIG].text;
	struct docker_container c;
	char path[IMPORT_PATH_MAX];
	int rc;

	if (!f->file[IMPORT_BACKUP_HOSTCONFIG].present)
		return 0;
	if (join(path, f->dir, file_names[IMPORT_BACKUP_HOSTCONFIG]))
		return err_set(e, EXIT_USAGE,
			       "%.64s...: path longer than %d "
			       "bytes",
			       f->dir, IMPORT_PATH_MAX - 1);
	if (docker_hostconfig_parse(b->data ? b->data : "",
				    b->data ? b->len : 0, path, &c, e))
		return -1;
	/* the original saved the assigned ports in PortBindings */
	c.ports = c.bindings;
	c.nports = c.nbindings;
	c.bindings = NULL;
	c.nbindings = 0;
	rc = hostconfig_lines(&c, 1, out);
	docker_container_free(&c);
	return rc ? err_set(e, EXIT_RUNTIME, "out of memory") : 0;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int import_list(int root_fd, const char *root_path, struct strv *ids,
		struct err *e)
{
	char path[IMPORT_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd;

	fd = open_containers(root_fd, root_path, path, e);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_set(e, EXIT_RUNTIME, "%s: %s", path,
			       strerror(errno));
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (is_id(de->d_name) &&
		    strv_add(ids, de->d_name, strlen(de->d_name))) {
			closedir(d);
			return err_set(e, EXIT_RUNTIME, "out of memory");
		}
	}
	if (errno) {
		err_set(e, EXIT_RUNTIME, "%s: %s", path, strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	if (ids->n > 1)
		qsort(ids->v, ids->n, sizeof(*ids->v), id_cmp);
	return 0;
}
