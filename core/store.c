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
/* Longer is corruption, not a rule; store_save refuses to write one. */
#define STORE_MAX_LINE (64 * 1024)
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
		return err_set(e, EXIT_USAGE, "\"%.65s\": not a full container "
			       "ID (64 lowercase hex digits)", id);
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

/*
 * mkdir -p: parents as mkdir(1) makes them, the folder itself 0700. An
 * existing folder keeps its mode: the admin may have chosen it.
 */
static int make_dir(const char *dir, struct err *e)
{
	char p[sizeof(((struct store *)0)->dir)];
	size_t i, len = strlen(dir);
	struct stat st;

	memcpy(p, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if ((dir[i] != '/' && dir[i]) || dir[i - 1] == '/')
			continue;
		p[i] = 0;
		if (mkdir(p, i == len ? 0700 : 0755) && errno != EEXIST)
			return sys_err(e, "create folder", p);
		p[i] = dir[i];
	}
	if (stat(dir, &st))
		return sys_err(e, "open folder", dir);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, EXIT_RUNTIME, "%s: not a folder", dir);
	return 0;
}

static int take_lock(struct store *s, struct err *e)
{
	char path[STORE_PATH_MAX];

	path_of(path, s, ".lock");
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		return sys_err(e, "open", path);
	while (flock(s->lock_fd, LOCK_EX)) {
		if (errno != EINTR) {
			sys_err(e, "lock", path);
			store_close(s);
			return -1;
		}
	}
	return 0;
}

int store_open(struct store *s, const char *dir, int lock, struct err *e)
{
	size_t len;

	s->lock_fd = -1;
	s->dir[0] = 0;
	if (!dir) {
		dir = getenv("DFW_STATE_DIR");
		if (!dir || !*dir)
			dir = STORE_DEFAULT_DIR;
	}
	len = strlen(dir);
	if (!len || len >= sizeof(s->dir))
		return err_set(e, EXIT_USAGE, "state folder \"%.64s\": empty "
			       "or too long", dir);
	/* "dir/" would give "dir//ID" in messages. */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	memcpy(s->dir, dir, len);
	s->dir[len] = 0;
	if (!lock)
		return 0;
	if (make_dir(s->dir, e))
		return -1;
	return take_lock(s, e);
}

void store_close(struct store *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);	/* drops the flock */
	s->lock_fd = -1;
}

static int read_all(int fd, struct buf *b)
{
	ssize_t n;

	for (;;) {
		if (buf_reserve(b, 64 * 1024))
			return -1;
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		b->len += (size_t)n;
		b->data[b->len] = 0;
	}
}

/* Line 1, "docker-fw-store 1". */
static int parse_version(const char *line, const char *path, struct err *e)
{
	const char *v = line + strlen(STORE_MAGIC " ");
	uint64_t n;

	if (strncmp(line, STORE_MAGIC " ", strlen(STORE_MAGIC " ")))
		return err_set(e, EXIT_RUNTIME, "%s:1: not a docker-fw store "
			       "file", path);
	if (parse_uint(v, 0, UINT32_MAX, &n) || n != STORE_VERSION)
		return err_set(e, EXIT_RUNTIME, "%s:1: unknown store version "
			       "\"%s\" (this docker-fw reads version %d)",
			       path, v, STORE_VERSION);
	return 0;
}

/* Line 2, "container ID NAME": the ID is the file's. */
static int parse_container(const struct strv *w, const char *path,
			   struct store_rec *r, struct err *e)
{
	if (strcmp(w->v[0], "container") || w->n != 3)
		return err_set(e, EXIT_RUNTIME, "%s:2: expected \"container "
			       "ID NAME\"", path);
	if (strcmp(w->v[1], r->id))
		return err_set(e, EXIT_RUNTIME, "%s:2: container ID \"%s\" is "
			       "not the file's", path, w->v[1]);
	if (strlen(w->v[2]) >= sizeof(r->name))
		return err_set(e, EXIT_RUNTIME, "%s:2: container name too "
			       "long", path);
	memcpy(r->name, w->v[2], strlen(w->v[2]) + 1);
	return 0;
}

/* "rule ACTION OPTIONS..." */
static int parse_rule(const struct strv *w, const char *path,
		      unsigned long ln, struct store_rec *r, struct err *e)
{
	struct rulespec rule;
	int a = w->n < 2 ? -1 : rule_action_parse(w->v[1]);
	int rc;

	if (a < 0)
		return err_set(e, EXIT_RUNTIME, "%s:%lu: unknown action \"%s\"",
			       path, ln, w->n < 2 ? "" : w->v[1]);
	if (rulespec_parse(&rule, (enum rule_action)a, (int)w->n - 2,
			   w->v + 2, e)) {
		err_wrap(e, "%s:%lu", path, ln);
		if (e)
			e->code = EXIT_RUNTIME;	/* not the user's input */
		return -1;
	}
	rc = store_rec_add(r, &rule);
	rulespec_free(&rule);
	if (rc)
		return err_set(e, EXIT_RUNTIME, "out of memory");
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
		return err_set(e, EXIT_RUNTIME, "%s:%lu: expected "
			       "\"hostconfig KEY VALUE...\"", path, ln);
	for (i = 1; i < w->n && !rc; i++)
		rc = (i > 1 && buf_adds(&b, " ")) ||
		     rulespec_quote(w->v[i], &b);
	if (!rc)
		rc = strv_add(&r->hostconfig, b.data, b.len);
	buf_free(&b);
	return rc ? err_set(e, EXIT_RUNTIME, "out of memory") : 0;
}

/* "end N", N the number of rule lines. */
static int parse_end(const struct strv *w, const char *path,
		     unsigned long ln, const struct store_rec *r,
		     struct err *e)
{
	uint64_t n;

	if (w->n != 2 || parse_uint(w->v[1], 0, UINT64_MAX, &n))
		return err_set(e, EXIT_RUNTIME, "%s:%lu: expected \"end N\"",
			       path, ln);
	if (n != r->nrules)
		return err_set(e, EXIT_RUNTIME, "%s:%lu: \"end %s\" but %zu "
			       "rule lines", path, ln, w->v[1], r->nrules);
	return 0;
}

/* One line, NUL-terminated in place of its newline: 1 for "end", 0, -1. */
static int parse_line(char *line, size_t len, const char *path,
		      unsigned long ln, struct store_rec *r, struct err *e)
{
	struct strv w = { 0 };
	int n, rc = -1;

	if (len > STORE_MAX_LINE)
		return err_set(e, EXIT_RUNTIME, "%s:%lu: line longer than %d "
			       "bytes", path, ln, STORE_MAX_LINE);
	if (strlen(line) != len)
		return err_set(e, EXIT_RUNTIME, "%s:%lu: NUL byte", path, ln);
	if (ln == 1)
		return parse_version(line, path, e);
	n = rulespec_split(line, &w, e);
	if (n < 0) {
		err_wrap(e, "%s:%lu", path, ln);
		if (e)
			e->code = EXIT_RUNTIME;
	} else if (n == 0) {
		err_set(e, EXIT_RUNTIME, "%s:%lu: blank or comment line",
			path, ln);
	} else if (ln == 2) {
		rc = parse_container(&w, path, r, e);
	} else if (!strcmp(w.v[0], "rule")) {
		rc = parse_rule(&w, path, ln, r, e);
	} else if (!strcmp(w.v[0], "hostconfig")) {
		rc = parse_hostconfig(&w, path, ln, r, e);
	} else if (!strcmp(w.v[0], "end")) {
		rc = parse_end(&w, path, ln, r, e) ? -1 : 1;
	} else {
		err_set(e, EXIT_RUNTIME, "%s:%lu: unexpected line kind \"%s\"",
			path, ln, w.v[0]);
	}
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

	while (p < end && !ended && (nl = memchr(p, '\n', end - p))) {
		*nl = 0;
		ended = parse_line(p, (size_t)(nl - p), path, ++ln, r, e);
		if (ended < 0)
			return -1;
		p = nl + 1;
	}
	if (!ended)
		return err_set(e, EXIT_RUNTIME, "%s: truncated (no \"end\" "
			       "line)", path);
	if (p < end)
		return err_set(e, EXIT_RUNTIME, "%s:%lu: data after the "
			       "\"end\" line", path, ln + 1);
	return 0;
}

int store_load(struct store *s, const char *id, struct store_rec *r,
	       struct err *e)
{
	char path[STORE_PATH_MAX];
	struct buf b = { 0 };
	int fd, rc;

	memset(r, 0, sizeof(*r));
	if (check_id(id, e))
		return -1;
	memcpy(r->id, id, sizeof(r->id));
	path_of(path, s, id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : sys_err(e, "open", path);
	rc = read_all(fd, &b);
	if (rc)
		sys_err(e, "read", path);
	close(fd);
	if (!rc)
		rc = parse_file(b.data, b.len, path, r, e);
	buf_free(&b);
	if (rc) {
		store_rec_free(r);
		return -1;
	}
	return 1;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct store_rec *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->id, y->id);
}

int store_load_all(struct store *s, struct store_rec **v, size_t *n,
		   struct err *e)
{
	struct store_rec *recs = NULL, *p;
	struct dirent *de;
	size_t nrec = 0;
	DIR *d;
	int rc;

	*v = NULL;
	*n = 0;
	d = opendir(s->dir);
	if (!d)
		return errno == ENOENT ? 0 : sys_err(e, "open folder", s->dir);
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
		p = realloc(recs, (nrec + 1) * sizeof(*recs));
		if (!p) {
			err_set(e, EXIT_RUNTIME, "out of memory");
			goto fail;
		}
		recs = p;
		rc = store_load(s, de->d_name, &recs[nrec], e);
		if (rc < 0)
			goto fail;
		nrec += rc;	/* 0: removed since readdir */
	}
	closedir(d);
	if (nrec > 1)
		qsort(recs, nrec, sizeof(*recs), rec_cmp);
	*v = recs;
	*n = nrec;
	return 0;
fail:
	closedir(d);
	store_recs_free(recs, nrec);
	return -1;
}

/* The whole file, as the header of store.h shows it. */
static int render(const struct store_rec *r, struct buf *b, const char *path,
		  struct err *e)
{
	const char *action;
	size_t i, start;

	if (!memchr(r->name, 0, sizeof(r->name)))
		return err_set(e, EXIT_RUNTIME, "%s: container name too long",
			       path);
	if (buf_printf(b, STORE_MAGIC " %d\ncontainer %s ", STORE_VERSION,
		       r->id) || rulespec_quote(r->name, b) ||
	    buf_adds(b, "\n"))
		goto nomem;
	for (i = 0; i < r->nrules; i++) {
		action = rule_action_name(r->rules[i].action);
		start = b->len;
		if (!action)
			return err_set(e, EXIT_RUNTIME, "%s: rule %zu: bad "
				       "action", path, i + 1);
		if (buf_printf(b, "rule %s ", action) ||
		    rulespec_format(&r->rules[i], b))
			return sys_err(e, "format a rule for", path);
		if (b->len - start > STORE_MAX_LINE)
			return err_set(e, EXIT_RUNTIME, "%s: rule %zu is "
				       "longer than %d bytes", path, i + 1,
				       STORE_MAX_LINE);
		if (buf_adds(b, "\n"))
			goto nomem;
	}
	for (i = 0; i < r->hostconfig.n; i++)
		if (buf_printf(b, "hostconfig %s\n", r->hostconfig.v[i]))
			goto nomem;
	if (!buf_printf(b, "end %zu\n", r->nrules))
		return 0;
nomem:
	return err_set(e, EXIT_RUNTIME, "out of memory");
}

/* Makes a rename or unlink in dir durable. */
static int sync_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd)) {
		sys_err(e, "sync folder", dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Writers hold the lock, so a temporary file of this name is left over
 * from a crashed process that had our PID: remove it and retry once.
 */
static int create_tmp(const char *tmp)
{
	int flags = O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC;
	int fd = open(tmp, flags, 0600);

	if (fd < 0 && errno == EEXIST && !unlink(tmp))
		fd = open(tmp, flags, 0600);
	return fd;
}

/* The temporary file is written, synced and closed. */
static int write_tmp(const char *tmp, const struct buf *b, struct err *e)
{
	int fd = create_tmp(tmp);

	if (fd < 0)
		return sys_err(e, "create", tmp);
	if (fd_write_all(fd, b->data, b->len) || fsync(fd)) {
		sys_err(e, "write", tmp);
		close(fd);
		goto fail;
	}
	if (close(fd)) {
		sys_err(e, "write", tmp);
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return -1;
}

/* An existing file we are about to replace or remove must let us: an
 * immutable (chattr +i) file refuses rename and unlink, and says so
 * here, before anything else changed. */
static int check_replaceable(const char *path, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == ENOENT ? 0 : sys_err(e, "replace", path);
}

int store_prepare(struct store *s, const struct store_rec *r,
		  struct store_txn *t, struct err *e)
{
	struct buf b = { 0 };
	int rc;

	memset(t, 0, sizeof(*t));
	if (check_id(r->id, e))
		return -1;
	path_of(t->path, s, r->id);
	snprintf(t->tmp, sizeof(t->tmp), "%s/.%s.tmp.%ld", s->dir, r->id,
		 (long)getpid());
	snprintf(t->dir, sizeof(t->dir), "%s", s->dir);
	t->remove = !r->nrules && !r->hostconfig.n;
	if (t->remove && access(t->path, F_OK) && errno == ENOENT)
		return 0;	/* nothing to remove */
	if (check_replaceable(t->path, e))
		return -1;
	/* a removal writes an empty temporary file: it proves the folder
	 * takes changes, and is removed with the record */
	rc = t->remove ? 0 : render(r, &b, t->path, e);
	if (!rc)
		rc = write_tmp(t->tmp, &b, e);
	buf_free(&b);
	t->ready = !rc;
	return rc;
}

int store_commit(struct store_txn *t, struct err *e)
{
	if (!t->ready)
		return 0;
	t->ready = 0;
	if (t->remove) {
		unlink(t->tmp);
		if (unlink(t->path) && errno != ENOENT)
			return sys_err(e, "remove", t->path);
	} else if (rename(t->tmp, t->path)) {
		err_set(e, EXIT_RUNTIME, "cannot rename %s to %s: %s", t->tmp,
			t->path, strerror(errno));
		unlink(t->tmp);
		return -1;
	}
	return sync_dir(t->dir, e);
}

void store_abort(struct store_txn *t)
{
	if (t->ready)
		unlink(t->tmp);
	t->ready = 0;
}

int store_save(struct store *s, const struct store_rec *r, struct err *e)
{
	struct store_txn t;

	if (store_prepare(s, r, &t, e))
		return -1;
	return store_commit(&t, e);
}

/* The rules array grows by doubling: its capacity is implied by nrules
 * (0, then 8, 16, 32...), so every array here comes from this function. */
int store_rec_add(struct store_rec *r, const struct rulespec *rule)
{
	size_t n = r->nrules;
	struct rulespec *v = r->rules;

	if (n < 8 ? !n : !(n & (n - 1))) {
		v = realloc(v, (n < 8 ? 8 : 2 * n) * sizeof(*v));
		if (!v)
			return -1;
		r->rules = v;
	}
	if (rulespec_copy(&v[r->nrules], rule))
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
	r->nrules = 0;
	strv_free(&r->hostconfig);
}

void store_recs_free(struct store_rec *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_rec_free(&v[i]);
	free(v);
}
