/* store.c - the rule specs docker-fw keeps, one flat file per container. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/store.h"

#define STORE_MAGIC "docker-fw-store"
/* DIR, '/', and the longest name: ".ID.tmp.PID". */
#define STORE_PATH_MAX (sizeof(((struct store *)0)->dir) + 96)

/*
 * A full ID: exactly 64 lowercase hex digits, also safe as a file name.
 * Stops at the first bad byte, so s may be shorter than 65 bytes.
 */
static int is_id(const char *s)
{
	int i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == 0;
}

static int check_id(const char *id, struct err *e)
{
	if (!is_id(id))
		return err_set(e, EXIT_USAGE,
			       "\"%.65s\": not a full container "
			       "ID (64 lowercase hex digits)",
			       id);
	return 0;
}

/* DIR/NAME; cannot overflow, dir and name are bounded. */
static void path_of(char *p, const struct store *s, const char *name)
{
	snprintf(p, STORE_PATH_MAX, "%s/%s", s->dir, name);
}

static int sys_err(struct err *e, const char *what, const char *path)
{
	return err_set(e, EXIT_RUNTIME, "cannot %s %s: %s", what, path,
		       strerror(errno));
}

/* An entry of the folder that is a link (ELOOP from O_NOFOLLOW), or not
 * a regular file: named, never followed. */
static int not_file(struct err *e, const char *path, int link)
{
	if (link)
		return err_set(e, EXIT_RUNTIME,
			       "%s is a symbolic link: "
			       "docker-fw follows none in its store folder "
			       "(remove it, or put the file itself there)",
			       path);
	return err_set(e, EXIT_RUNTIME,
		       "%s is not a regular file: remove "
		       "it or move it away",
		       path);
}

/*
 * Opens NAME in the folder without following a link: a regular file, -1
 * with e set, or -2 when there is no such entry (e untouched). flags are
 * open's (O_NOFOLLOW, O_NONBLOCK and O_CLOEXEC added: a FIFO there does
 * not block the open).
 */
static int open_entry(const struct store *s, const char *name, int flags,
		      const char *what, struct err *e)
{
	char path[STORE_PATH_MAX];
	struct stat st;
	int fd;

	path_of(path, s, name);
	fd = openat(s->dir_fd, name,
		    flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == ENOENT)
			return -2;
		if (errno == ELOOP)
			return not_file(e, path, 1);
		if (errno == EISDIR || errno == ENXIO)
			return not_file(e, path, 0);
		return sys_err(e, what, path);
	}
	if (fstat(fd, &st))
		sys_err(e, what, path);
	else if (!S_ISREG(st.st_mode))
		not_file(e, path, 0);
	else
		return fd;
	close(fd);
	return -1;
}

/*
 * mkdir -p: parents as mkdir(1) makes them, the folder itself 0700. An
 * existing folder keeps its mode: the admin may have chosen it.
 */
static int make_dir(const char *dir, struct err *e)
{
	char p[sizeof(((struct store *)0)->dir)];
	size_t i, len = strlen(dir);

	memcpy(p, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if ((dir[i] != '/' && dir[i]) || dir[i - 1] == '/')
			continue;
		p[i] = 0;
		if (mkdir(p, i == len ? 0700 : 0755) && errno != EEXIST)
			return sys_err(e, "create folder", p);
		p[i] = dir[i];
	}
	return 0;
}

static int open_dir(struct store *s, int lock, struct err *e)
{
	s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd >= 0)
		return 0;
	if (errno == ENOENT && !lock)
		return 0; /* an empty store */
	if (errno == ENOTDIR)
		return err_set(e, EXIT_RUNTIME, "%s: not a folder", s->dir);
	return sys_err(e, "open folder", s->dir);
}

static int take_lock(struct store *s, struct err *e)
{
	char path[STORE_PATH_MAX];

	s->lock_fd = open_entry(s, ".lock", O_RDWR | O_CREAT, "open", e);
	if (s->lock_fd == -2) { /* the folder went away */
		path_of(path, s, ".lock");
		errno = ENOENT;
		sys_err(e, "open", path);
	}
	if (s->lock_fd < 0) {
		s->lock_fd = -1;
		return -1;
	}
	while (flock(s->lock_fd, LOCK_EX)) {
		if (errno != EINTR) {
			path_of(path, s, ".lock");
			return sys_err(e, "lock", path);
		}
	}
	return 0;
}

int store_open(struct store *s, const char *dir, int lock, struct err *e)
{
	size_t len;

	s->lock_fd = -1;
	s->dir_fd = -1;
	s->dir[0] = 0;
	if (!dir)
		dir = STORE_DEFAULT_DIR;
	len = strlen(dir);
	if (!len || len >= sizeof(s->dir))
		return err_set(e, EXIT_USAGE,
			       "state folder \"%.64s\": empty "
			       "or too long",
			       dir);
	/* "dir/" would give "dir//ID" in messages. */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	memcpy(s->dir, dir, len);
	s->dir[len] = 0;
	if ((lock && make_dir(s->dir, e)) || open_dir(s, lock, e) ||
	    (lock && take_lock(s, e))) {
		store_close(s);
		return -1;
	}
	return 0;
}

void store_close(struct store *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* drops the flock */
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	s->lock_fd = -1;
	s->dir_fd = -1;
}

/* Line 1, "docker-fw-store 1" or "docker-fw-store 2". */
static int parse_version(const char *line, const char *path, struct err *e)
{
	const char *v = line + strlen(STORE_MAGIC " ");
	uint64_t n;

	if (strncmp(line, STORE_MAGIC " ", strlen(STORE_MAGIC " ")))
		return err_set(e, EXIT_RUNTIME,
			       "%s:1: not a docker-fw store "
			       "file",
			       path);
	if (parse_uint(v, 1, STORE_VERSION, &n))
		return err_set(e, EXIT_RUNTIME,
			       "%s:1: unknown store version "
			       "\"%.32s\" (this docker-fw reads versions 1 to "
			       "%d)",
			       path, v, STORE_VERSION);
	return 0;
}

/* Line 2, "container ID NAME": the ID is the file's. */
static int parse_container(const struct strv *w, const char *path,
			   struct store_rec *r, struct err *e)
{
	if (strcmp(w->v[0], "container") || w->n != 3)
		return err_set(e, EXIT_RUNTIME,
			       "%s:2: expected \"container "
			       "ID NAME\"",
			       path);
	if (strcmp(w->v[1], r->id))
		return err_set(e, EXIT_RUNTIME,
			       "%s:2: container ID \"%.65s\" "
			       "is not the file's",
			       path, w->v[1]);
	if (strlen(w->v[2]) >= sizeof(r->name))
		return err_set(e, EXIT_RUNTIME,
			       "%s:2: container name longer "
			       "than %zu bytes",
			       path, sizeof(r->name) - 1);
	memcpy(r->name, w->v[2], strlen(w->v[2]) + 1);
	return 0;
}

/* Room in r->rules for one more rule: 0 or -1 (ENOMEM). The array
 * grows by doubling from 8 (r->cap: its entries), so every array here
 * comes from this function or rec_reserve. */
static int rec_grow(struct store_rec *r)
{
	size_t cap = r->cap ? 2 * r->cap : 8;
	struct rulespec *v;

	if (r->nrules < r->cap)
		return 0;
	v = realloc(r->rules, cap * sizeof(*v));
	if (!v)
		return -1;
	r->rules = v;
	r->cap = cap;
	return 0;
}

/* r->rules (none yet) sized once for n rules: one allocation for a
 * file's rules instead of a growth by doubling. 0 or -1 (ENOMEM). */
static int rec_reserve(struct store_rec *r, size_t n)
{
	if (r->rules || !n)
		return 0;
	r->rules = malloc(n * sizeof(*r->rules));
	if (!r->rules)
		return -1;
	r->cap = n;
	return 0;
}

/* How many lines of data[0..len) start with "rule " and end with a
 * newline, at most STORE_MAX_RULES: a bound for rec_reserve only (the
 * parser decides what a line is). */
static size_t rule_lines(const char *data, size_t len)
{
	const char *p = data, *end = data + len, *nl;
	size_t n = 0;

	for (; p < end && n < STORE_MAX_RULES; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		n += nl - p > 5 && !memcmp(p, "rule ", 5);
	}
	return n;
}

/* "rule ACTION OPTIONS..." */
static int parse_rule(const struct strv *w, const char *path, unsigned long ln,
		      struct store_rec *r, struct err *e)
{
	struct rulespec rule;
	int a = w->n < 2 ? -1 : rule_action_parse(w->v[1]);
	int nw = (int)w->n, rc;
	const char *made_on = NULL;

	if (a < 0)
		return err_set(e, EXIT_RUNTIME,
			       "%s:%lu: unknown action "
			       "\"%.64s\"",
			       path, ln, w->n < 2 ? "" : w->v[1]);
	if (r->nrules >= STORE_MAX_RULES)
		return err_set(e, EXIT_RUNTIME,
			       "%s:%lu: more than %d rule "
			       "lines",
			       path, ln, STORE_MAX_RULES);
	/* the network the rule was made on closes the line (version 3) */
	if (w->n >= 4 && !strcmp(w->v[w->n - 2], STORE_MADE_ON)) {
		if (!rulespec_net_name_ok(w->v[w->n - 1]))
			return err_set(e, EXIT_RUNTIME,
				       "%s:%lu: " STORE_MADE_ON " \"%.64s\": "
				       "not a network name",
				       path, ln, w->v[w->n - 1]);
		made_on = w->v[w->n - 1];
		nw -= 2;
	}
	if (rulespec_parse(&rule, (enum rule_action)a, nw - 2, w->v + 2, e)) {
		err_wrap(e, "%s:%lu", path, ln);
		if (e)
			e->code = EXIT_RUNTIME; /* not the user's input */
		return -1;
	}
	/* moved into r: no copy of its filter words */
	rc = (made_on && rulespec_set_made_on(&rule, made_on)) || rec_grow(r);
	if (rc) {
		rulespec_free(&rule);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	r->rules[r->nrules++] = rule;
	return 0;
}

/* "hostconfig KEY WORD...": kept as its words, quoted and joined. */
static int parse_hostconfig(const struct strv *w, const char *path,
			    unsigned long ln, struct store_rec *r,
			    struct err *e)
{
	struct buf b = { 0 };
	size_t i;
	int rc = 0;

	if (w->n < 3)
		return err_set(e, EXIT_RUNTIME,
			       "%s:%lu: expected "
			       "\"hostconfig KEY VALUE...\"",
			       path, ln);
	if (r->hostconfig.n >= STORE_MAX_HOSTCONFIG)
		return err_set(e, EXIT_RUNTIME,
			       "%s:%lu: more than %d "
			       "hostconfig lines",
			       path, ln, STORE_MAX_HOSTCONFIG);
	for (i = 1; i < w->n && !rc; i++)
		rc = (i > 1 && buf_adds(&b, " ")) ||
		     rulespec_quote(w->v[i], &b);
	if (!rc)
		rc = strv_add(&r->hostconfig, b.data, b.len);
	buf_free(&b);
	return rc ? err_set(e, EXIT_RUNTIME, "out of memory") : 0;
}

/* "end N", N the number of rule lines. */
static int parse_end(const struct strv *w, const char *path, unsigned long ln,
		     const struct store_rec *r, struct err *e)
{
	uint64_t n;

	if (w->n != 2 || parse_uint(w->v[1], 0, UINT64_MAX, &n))
		return err_set(e, EXIT_RUNTIME, "%s:%lu: expected \"end N\"",
			       path, ln);
	if (n != r->nrules)
		return err_set(e, EXIT_RUNTIME,
			       "%s:%lu: \"end %s\" but %zu "
			       "rule lines",
			       path, ln, w->v[1], r->nrules);
	return 0;
}

#define PLAIN_MAX_WORDS 32 /* more: rulespec_split's */

/* the bytes of rulespec_split: blanks, and those that need it */
enum { PLAIN, BLANK, SPECIAL };
static const unsigned char byte_class[256] = {
	[0 ... 8] = SPECIAL, ['\t'] = BLANK,   [10 ... 31] = SPECIAL,
	[' '] = BLANK,	     ['\''] = SPECIAL, ['"'] = SPECIAL,
	['\\'] = SPECIAL,    ['$'] = SPECIAL,  ['#'] = SPECIAL,
	[0x7f] = SPECIAL,
};

/*
 * The words of line[0..len) split in place (blanks become NULs) into
 * v[0..max) when the line holds only plain bytes: no quote, backslash,
 * '$', '#' or control character but the tab, so rulespec_split would
 * give the same words. The number of words, or -1 (the line unchanged)
 * when the line needs rulespec_split or has more than max words. A
 * store's lines are nearly all such lines: no allocation per word.
 */
static int split_plain(char *line, size_t len, char **v, int max)
{
	size_t i;
	int n = 0, blank = 1;

	for (i = 0; i < len; i++) {
		unsigned char c = byte_class[(unsigned char)line[i]];

		if (c == SPECIAL)
			return -1;
		if (c == BLANK) {
			blank = 1;
		} else if (blank) {
			if (n == max)
				return -1;
			blank = 0;
			n++;
		}
	}
	for (i = 0, n = 0, blank = 1; i < len; i++) {
		if (line[i] == ' ' || line[i] == '\t') {
			line[i] = 0;
			blank = 1;
		} else if (blank) {
			v[n++] = line + i;
			blank = 0;
		}
	}
	return n;
}

/* One line, NUL-terminated in place of its newline: 1 for "end", 0, -1. */
static int parse_line(char *line, size_t len, const char *path,
		      unsigned long ln, struct store_rec *r, struct err *e)
{
	char *plain[PLAIN_MAX_WORDS];
	struct strv w = { 0 };
	int n, rc = -1, owned;

	if (len > STORE_MAX_LINE)
		return err_set(e, EXIT_RUNTIME,
			       "%s:%lu: line longer than %d "
			       "bytes",
			       path, ln, STORE_MAX_LINE);
	/* a plain line holds no NUL (a control character) */
	n = ln == 1 ? -1 : split_plain(line, len, plain, PLAIN_MAX_WORDS);
	owned = n < 0;
	if (owned && strlen(line) != len)
		return err_set(e, EXIT_RUNTIME, "%s:%lu: NUL byte", path, ln);
	if (ln == 1)
		return parse_version(line, path, e);
	if (owned) {
		n = rulespec_split(line, &w, e);
	} else {
		w.v = plain;
		w.n = (size_t)n;
	}
	if (n < 0) {
		err_wrap(e, "%s:%lu", path, ln);
		if (e)
			e->code = EXIT_RUNTIME;
	} else if (n == 0) {
		err_set(e, EXIT_RUNTIME, "%s:%lu: blank or comment line", path,
			ln);
	} else if (ln == 2) {
		rc = parse_container(&w, path, r, e);
	} else if (!strcmp(w.v[0], "rule")) {
		rc = parse_rule(&w, path, ln, r, e);
	} else if (!strcmp(w.v[0], "hostconfig")) {
		rc = parse_hostconfig(&w, path, ln, r, e);
	} else if (!strcmp(w.v[0], "end")) {
		rc = parse_end(&w, path, ln, r, e) ? -1 : 1;
	} else {
		err_set(e, EXIT_RUNTIME,
			"%s:%lu: unexpected line kind "
			"\"%.64s\"",
			path, ln, w.v[0]);
	}
	if (owned)
		strv_free(&w);
	return rc;
}

/*
 * Only whole lines count: a last line without its newline is a cut
 * write, so no prefix of a good file loads as a smaller good file.
 */
static int parse_file(char *data, size_t len, const char *path,
		      struct store_rec *r, struct err *e)
{
	char *p = data, *end = data + len, *nl;
	unsigned long ln = 0;
	int ended = 0;

	if (len > STORE_MAX_BYTES)
		return err_set(e, EXIT_RUNTIME, "%s: larger than %u bytes",
			       path, STORE_MAX_BYTES);
	if (rec_reserve(r, rule_lines(data, len)))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	while (p < end && !ended && (nl = memchr(p, '\n', end - p))) {
		*nl = 0;
		ended = parse_line(p, (size_t)(nl - p), path, ++ln, r, e);
		if (ended < 0)
			return -1;
		p = nl + 1;
	}
	if (!ended && end - p > STORE_MAX_LINE)
		return err_set(e, EXIT_RUNTIME,
			       "%s:%lu: line longer than %d "
			       "bytes",
			       path, ln + 1, STORE_MAX_LINE);
	if (!ended)
		return err_set(e, EXIT_RUNTIME,
			       "%s: truncated (no \"end\" "
			       "line)",
			       path);
	if (p < end)
		return err_set(e, EXIT_RUNTIME,
			       "%s:%lu: data after the "
			       "\"end\" line",
			       path, ln + 1);
	return 0;
}

int store_parse(char *data, size_t len, const char *path, const char *id,
		struct store_rec *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	if (check_id(id, e))
		return -1;
	memcpy(r->id, id, sizeof(r->id));
	if (parse_file(data, len, path, r, e)) {
		store_rec_free(r);
		return -1;
	}
	return 0;
}

/* store_load with b (emptied, kept) for the file's bytes: store_load_all
 * reads every file through one buffer. */
static int load_file(struct store *s, const char *id, struct store_rec *r,
		     struct buf *b, struct err *e)
{
	char path[STORE_PATH_MAX];
	int fd, rc;

	memset(r, 0, sizeof(*r));
	if (check_id(id, e))
		return -1;
	memcpy(r->id, id, sizeof(r->id));
	if (s->dir_fd < 0)
		return 0; /* no folder: an empty store */
	path_of(path, s, id);
	fd = open_entry(s, id, O_RDONLY, "open", e);
	if (fd < 0)
		return fd == -2 ? 0 : -1;
	b->len = 0;
	rc = fd_read_all(fd, b, STORE_MAX_BYTES);
	if (rc && errno == EFBIG)
		err_set(e, EXIT_RUNTIME, "%s: larger than %u bytes", path,
			STORE_MAX_BYTES);
	else if (rc)
		sys_err(e, "read", path);
	close(fd);
	if (!rc)
		rc = store_parse(b->data, b->len, path, id, r, e);
	if (rc) {
		store_rec_free(r);
		memcpy(r->id, id, sizeof(r->id));
		return -1;
	}
	return 1;
}

int store_load(struct store *s, const char *id, struct store_rec *r,
	       struct err *e)
{
	struct buf b = { 0 };
	int rc = load_file(s, id, r, &b, e);

	buf_free(&b);
	return rc;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct store_rec *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->id, y->id);
}

/* Adds src's rules that dst lacks, its hostconfig lines when dst has
 * none, and its file to dst->gone. 0 or -1 (ENOMEM). */
static int rec_merge(struct store_rec *dst, const struct store_rec *src)
{
	struct rulespec_index x = { 0 }; /* dst's rules, as they grow */
	size_t i, j, it;
	uint64_t h;
	int found;

	/* #18: by an index, not each with each (the first file's rules,
	 * then each rule of the next ones that none before equals) */
	x.net = 1;
	for (j = 0; j < dst->nrules; j++)
		if (rulespec_index_add(&x, &dst->rules[j], j))
			goto nomem;
	for (i = 0; i < src->nrules; i++) {
		h = rulespec_hash(&src->rules[i], 1);
		it = 0;
		found = 0;
		while (!found && rulespec_index_next(&x, h, &it, &j))
			found = rulespec_equal(&dst->rules[j], &src->rules[i]);
		if (found)
			continue;
		if (store_rec_add(dst, &src->rules[i]) ||
		    rulespec_index_add(&x, &dst->rules[dst->nrules - 1],
				       dst->nrules - 1))
			goto nomem;
	}
	rulespec_index_free(&x);
	if (!dst->hostconfig.n)
		for (i = 0; i < src->hostconfig.n; i++)
			if (strv_add(&dst->hostconfig, src->hostconfig.v[i],
				     strlen(src->hostconfig.v[i])))
				return -1;
	if (strv_add(&dst->gone, src->id, strlen(src->id)))
		return -1;
	for (i = 0; i < src->gone.n; i++)
		if (strv_add(&dst->gone, src->gone.v[i],
			     strlen(src->gone.v[i])))
			return -1;
	return 0;
nomem:
	rulespec_index_free(&x);
	return -1;
}

/* v[0..*n), sorted by name then ID: the records of one name merged
 * into the first. 0 or -1 (ENOMEM; v still holds every record once). */
static int merge_names(struct store_rec *v, size_t *n)
{
	size_t i, k = 1;
	int rc = 0;

	for (i = 1; i < *n; i++) {
		if (!rc && !strcmp(v[k - 1].name, v[i].name)) {
			rc = rec_merge(&v[k - 1], &v[i]);
			if (!rc) {
				store_rec_free(&v[i]);
				continue;
			}
		}
		if (k != i)
			v[k] = v[i];
		k++;
	}
	*n = k;
	return rc;
}

int store_load_name(struct store *s, const char *name, const char *id,
		    struct store_rec *r, struct err *e)
{
	struct store_rec *all;
	struct store_bad *bad;
	size_t i, n, nb;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (store_load_all(s, &all, &n, &bad, &nb, e))
		return -1;
	for (i = 0; i < nb; i++)
		if (!strcmp(bad[i].name, name) ||
		    (!*bad[i].name && id && !strcmp(bad[i].id, id))) {
			if (e)
				*e = bad[i].err;
			memcpy(r->id, bad[i].id, sizeof(r->id));
			rc = -1;
			break;
		}
	for (i = 0; !rc && i < n; i++)
		if (!strcmp(all[i].name, name)) {
			*r = all[i];
			memset(&all[i], 0, sizeof(all[i]));
			rc = 1;
			break;
		}
	store_recs_free(all, n);
	free(bad);
	return rc;
}

static int bad_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_bad *)a)->id,
		      ((const struct store_bad *)b)->id);
}

static int add_bad(struct store_bad **bad, size_t *nbad,
		   const struct store_rec *r, const struct err *why)
{
	struct store_bad *p = realloc(*bad, (*nbad + 1) * sizeof(*p));

	if (!p)
		return -1;
	*bad = p;
	p += (*nbad)++;
	memcpy(p->id, r->id, sizeof(p->id));
	memcpy(p->name, r->name, sizeof(p->name));
	p->err = *why;
	return 0;
}

int store_load_all(struct store *s, struct store_rec **v, size_t *n,
		   struct store_bad **bad, size_t *nbad, struct err *e)
{
	struct store_rec *recs = NULL, *p;
	struct store_bad *bv = NULL;
	struct buf text = { 0 }; /* each file's bytes in turn */
	struct dirent *de;
	size_t nrec = 0, nb = 0, cap = 0;
	struct err le;
	DIR *d;
	int rc, fd;

	*v = NULL;
	*n = 0;
	if (bad) {
		*bad = NULL;
		*nbad = 0;
	}
	if (s->dir_fd < 0)
		return 0;
	fd = dup(s->dir_fd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return sys_err(e, "read folder", s->dir);
	}
	rewinddir(d); /* the offset is shared with dir_fd */
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (!errno)
				break;
			sys_err(e, "read folder", s->dir);
			goto fail;
		}
		if (!is_id(de->d_name))
			continue;
		if (nrec == cap) {
			cap = cap ? 2 * cap : 16;
			p = realloc(recs, cap * sizeof(*recs));
			if (!p)
				goto nomem;
			recs = p;
		}
		rc = load_file(s, de->d_name, &recs[nrec], &text, &le);
		if (rc < 0 && !bad) {
			if (e)
				*e = le;
			goto fail;
		}
		if (rc < 0 && add_bad(&bv, &nb, &recs[nrec], &le))
			goto nomem;
		nrec += rc > 0; /* 0: removed since readdir */
	}
	closedir(d);
	buf_free(&text);
	if (nrec > 1)
		qsort(recs, nrec, sizeof(*recs), rec_cmp);
	if (nrec > 1 && merge_names(recs, &nrec)) {
		err_set(e, EXIT_RUNTIME, "out of memory");
		store_recs_free(recs, nrec);
		free(bv);
		return -1;
	}
	if (nb > 1)
		qsort(bv, nb, sizeof(*bv), bad_cmp);
	*v = recs;
	*n = nrec;
	if (bad) {
		*bad = bv;
		*nbad = nb;
	}
	return 0;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
fail:
	closedir(d);
	buf_free(&text);
	store_recs_free(recs, nrec);
	free(bv);
	return -1;
}

/* ---- writing ---------------------------------------------------------- */

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Whether a value of r needs a $'...' word, so version 2. */
static int rule_needs_v2(const struct rulespec *r)
{
	size_t i;

	if (has_ctl(r->src.name) || has_ctl(r->dst.name) || has_ctl(r->network))
		return 1;
	for (i = 0; i < r->filter.n; i++)
		if (has_ctl(r->filter.v[i]))
			return 1;
	return 0;
}

/*
 * A hostconfig line as it is kept, "KEY WORD...", already quoted: it
 * must read back as two words or more (so it is one line, no raw control
 * character). *v2 is set when a word holds a control character.
 */
static int check_hostconfig(const char *line, size_t i, const char *path,
			    int *v2, struct err *e)
{
	struct strv w = { 0 };
	size_t k;
	int n = rulespec_split(line, &w, NULL);

	for (k = 0; n > 0 && k < w.n; k++)
		*v2 |= has_ctl(w.v[k]);
	strv_free(&w);
	if (n < 2 || line[strlen(line) - 1] == '\n')
		return err_set(e, EXIT_RUNTIME,
			       "%s: hostconfig line %zu is "
			       "not \"KEY WORD...\"",
			       path, i + 1);
	return 0;
}

/* The whole file, as the header of store.h shows it. */
static int render(const struct store_rec *r, struct buf *b, const char *path,
		  struct err *e)
{
	const char *action;
	size_t i, start = b->len, line;
	int v2, made_on = 0;

	if (!memchr(r->name, 0, sizeof(r->name)))
		return err_set(e, EXIT_RUNTIME, "%s: container name too long",
			       path);
	if (r->nrules > STORE_MAX_RULES)
		return err_set(e, EXIT_USAGE,
			       "%s: %zu rules, more than a "
			       "store file holds (%d)",
			       path, r->nrules, STORE_MAX_RULES);
	if (r->hostconfig.n > STORE_MAX_HOSTCONFIG)
		return err_set(e, EXIT_USAGE,
			       "%s: %zu hostconfig lines, more "
			       "than a store file holds (%d)",
			       path, r->hostconfig.n, STORE_MAX_HOSTCONFIG);
	v2 = has_ctl(r->name);
	for (i = 0; i < r->nrules; i++) {
		v2 |= rule_needs_v2(&r->rules[i]);
		if (*r->rules[i].made_on) {
			if (!rulespec_net_name_ok(r->rules[i].made_on))
				return err_set(e, EXIT_RUNTIME,
					       "%s: rule %zu: made on a "
					       "network without a name",
					       path, i + 1);
			made_on = 1;
		}
	}
	for (i = 0; i < r->hostconfig.n; i++)
		if (check_hostconfig(r->hostconfig.v[i], i, path, &v2, e))
			return -1;
	line = b->len + strlen(STORE_MAGIC " 1\n");
	if (buf_printf(b, STORE_MAGIC " %d\ncontainer %s ",
		       made_on ? 3 :
		       v2      ? 2 :
				 1,
		       r->id) ||
	    rulespec_quote(r->name, b))
		goto nomem;
	if (b->len - line > STORE_MAX_LINE)
		return err_set(e, EXIT_RUNTIME,
			       "%s: line 2 is longer than %d "
			       "bytes",
			       path, STORE_MAX_LINE);
	if (buf_adds(b, "\n"))
		goto nomem;
	for (i = 0; i < r->nrules; i++) {
		action = rule_action_name(r->rules[i].action);
		line = b->len;
		if (!action)
			return err_set(e, EXIT_RUNTIME,
				       "%s: rule %zu: bad "
				       "action",
				       path, i + 1);
		if (buf_printf(b, "rule %s ", action) ||
		    rulespec_format(&r->rules[i], b) ||
		    (*r->rules[i].made_on &&
		     buf_printf(b, " " STORE_MADE_ON " %s",
				r->rules[i].made_on)))
			return sys_err(e, "format a rule for", path);
		if (b->len - line > STORE_MAX_LINE)
			return err_set(e, EXIT_USAGE,
				       "%s: rule %zu is "
				       "longer than %d bytes",
				       path, i + 1, STORE_MAX_LINE);
		if (buf_adds(b, "\n"))
			goto nomem;
	}
	for (i = 0; i < r->hostconfig.n; i++) {
		line = b->len;
		if (buf_printf(b, "hostconfig %s", r->hostconfig.v[i]))
			goto nomem;
		if (b->len - line > STORE_MAX_LINE)
			return err_set(e, EXIT_USAGE,
				       "%s: hostconfig line %zu "
				       "is longer than %d bytes",
				       path, i + 1, STORE_MAX_LINE);
		if (buf_adds(b, "\n"))
			goto nomem;
	}
	if (buf_printf(b, "end %zu\n", r->nrules))
		goto nomem;
	if (b->len - start > STORE_MAX_BYTES)
		return err_set(e, EXIT_USAGE,
			       "%s: %zu bytes, more than a "
			       "store file holds (%u)",
			       path, b->len - start, STORE_MAX_BYTES);
	return 0;
nomem:
	return err_set(e, EXIT_RUNTIME, "out of memory");
}

int store_format(const struct store_rec *r, struct buf *out, struct err *e)
{
	char path[80];
	size_t len = out->len;
	int rc;

	snprintf(path, sizeof(path), "%.64s", r->id);
	rc = render(r, out, path, e);
	if (rc) {
		out->len = len;
		if (out->data)
			out->data[len] = 0;
	}
	return rc;
}

/*
 * Writers hold the lock, so a temporary file of this name is left over
 * from a crashed process that had our PID: remove it and retry once.
 * O_EXCL never follows a link (a link there is EEXIST, and removed).
 */
static int create_tmp(const struct store_txn *t)
{
	int flags = O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(t->dir_fd, t->tmpname, flags, 0600);

	if (fd < 0 && errno == EEXIST && !unlinkat(t->dir_fd, t->tmpname, 0))
		fd = openat(t->dir_fd, t->tmpname, flags, 0600);
	return fd;
}

/* The temporary file is written, synced and closed. */
static int write_tmp(const struct store_txn *t, const struct buf *b,
		     struct err *e)
{
	int fd = t->dir_fd < 0 ? (errno = ENOENT, -1) : create_tmp(t);

	if (fd < 0)
		return sys_err(e, "create", t->tmp);
	if (fd_write_all(fd, b->data, b->len) || fsync(fd)) {
		sys_err(e, "write", t->tmp);
		close(fd);
		goto fail;
	}
	if (close(fd)) {
		sys_err(e, "write", t->tmp);
		goto fail;
	}
	return 0;
fail:
	unlinkat(t->dir_fd, t->tmpname, 0);
	return -1;
}

/* An existing file we are about to replace or remove must let us: an
 * immutable (chattr +i) file refuses rename and unlink, and says so
 * here, before anything else changed; a link or a folder in its place is
 * refused by name. */
static int check_replaceable(struct store *s, const struct store_txn *t,
			     struct err *e)
{
	int fd = open_entry(s, t->name, O_WRONLY, "replace", e);

	if (fd >= 0)
		close(fd);
	return fd == -1 ? -1 : 0;
}

/* The file id, to be removed with a record: one that can go (as
 * check_replaceable says), or none. */
static int check_gone(struct store *s, const char *id, struct err *e)
{
	int fd = open_entry(s, id, O_WRONLY, "remove", e);

	if (fd >= 0)
		close(fd);
	return fd == -1 ? -1 : 0;
}

int store_prepare(struct store *s, const struct store_rec *r,
		  struct store_txn *t, struct err *e)
{
	struct buf b = { 0 };
	struct stat st;
	size_t i;
	int rc;

	memset(t, 0, sizeof(*t));
	t->dir_fd = s->dir_fd;
	if (check_id(r->id, e))
		return -1;
	path_of(t->path, s, r->id);
	snprintf(t->tmpname, sizeof(t->tmpname), ".%s.tmp.%ld", r->id,
		 (long)getpid());
	snprintf(t->tmp, sizeof(t->tmp), "%s/%s", s->dir, t->tmpname);
	memcpy(t->name, r->id, sizeof(t->name));
	t->remove = !r->nrules && !r->hostconfig.n;
	for (i = 0; i < r->gone.n; i++) {
		if (!strcmp(r->gone.v[i], r->id) || check_id(r->gone.v[i], e))
			continue;
		if (strv_add(&t->gone, r->gone.v[i], strlen(r->gone.v[i])))
			return err_set(e, EXIT_RUNTIME, "out of memory");
		if (s->dir_fd >= 0 && check_gone(s, r->gone.v[i], e)) {
			strv_free(&t->gone);
			return -1;
		}
	}
	if (t->remove && (s->dir_fd < 0 || (fstatat(s->dir_fd, t->name, &st,
						    AT_SYMLINK_NOFOLLOW) &&
					    errno == ENOENT))) {
		t->ready = t->only_gone = t->gone.n > 0;
		return 0; /* only the others go, if any */
	}
	if (s->dir_fd >= 0 && check_replaceable(s, t, e)) {
		strv_free(&t->gone);
		return -1;
	}
	/* a removal writes an empty temporary file: it proves the folder
	 * takes changes, and is removed with the record */
	rc = t->remove ? 0 : render(r, &b, t->path, e);
	if (!rc)
		rc = write_tmp(t, &b, e);
	buf_free(&b);
	t->ready = !rc;
	if (rc)
		strv_free(&t->gone);
	return rc;
}

/* DIR/NAME of a transaction's folder, into p (STORE_PATH_MAX). */
static void path_of_txn(char *p, const struct store_txn *t, const char *name)
{
	size_t len = strlen(t->path) - strlen(t->name);

	snprintf(p, STORE_PATH_MAX, "%.*s%s", (int)len, t->path, name);
}

int store_commit(struct store_txn *t, struct err *e)
{
	char dir[STORE_PATH_MAX];
	size_t len, i;

	if (!t->ready)
		return 0;
	t->ready = 0;
	if (t->only_gone) {
		/* nothing of r->id: just the others */
	} else if (t->remove) {
		unlinkat(t->dir_fd, t->tmpname, 0);
		if (unlinkat(t->dir_fd, t->name, 0) && errno != ENOENT) {
			strv_free(&t->gone);
			return sys_err(e, "remove", t->path);
		}
	} else if (renameat(t->dir_fd, t->tmpname, t->dir_fd, t->name)) {
		err_set(e, EXIT_RUNTIME, "cannot rename %s to %s: %s", t->tmp,
			t->path, strerror(errno));
		unlinkat(t->dir_fd, t->tmpname, 0);
		strv_free(&t->gone);
		return -1;
	}
	/* after the record is in place: a crash in between leaves an old
	 * file, which is merged again (nothing is lost) */
	for (i = 0; i < t->gone.n; i++)
		if (unlinkat(t->dir_fd, t->gone.v[i], 0) && errno != ENOENT) {
			path_of_txn(dir, t, t->gone.v[i]);
			strv_free(&t->gone);
			return err_set(e, EXIT_RUNTIME, "cannot remove %s: %s",
				       dir, strerror(errno));
		}
	strv_free(&t->gone);
	/* makes the rename or unlink durable */
	if (!fsync(t->dir_fd))
		return 0;
	len = strlen(t->path) - strlen(t->name) - 1;
	snprintf(dir, sizeof(dir), "%.*s", (int)len, t->path);
	return sys_err(e, "sync folder", dir);
}

void store_abort(struct store_txn *t)
{
	if (t->ready && !t->only_gone)
		unlinkat(t->dir_fd, t->tmpname, 0);
	t->ready = 0;
	strv_free(&t->gone);
}

int store_save(struct store *s, const struct store_rec *r, struct err *e)
{
	struct store_txn t;

	if (store_prepare(s, r, &t, e))
		return -1;
	return store_commit(&t, e);
}

int store_rec_add(struct store_rec *r, const struct rulespec *rule)
{
	if (rec_grow(r) || rulespec_copy(&r->rules[r->nrules], rule))
		return -1;
	r->nrules++;
	return 0;
}

void store_rec_free(struct store_rec *r)
{
	size_t i;

	for (i = 0; i < r->nrules; i++)
		rulespec_free(&r->rules[i]);
	free(r->rules);
	r->rules = NULL;
	r->nrules = r->cap = 0;
	strv_free(&r->hostconfig);
	strv_free(&r->gone);
}

void store_recs_free(struct store_rec *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_rec_free(&v[i]);
	free(v);
}
