/*
 * settings.c - init's choices in the store folder (see settings.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/settings.h"

#define MAGIC "docker-fw-settings"

void settings_free(struct settings *st)
{
	strv_free(&st->nets);
	memset(st, 0, sizeof(*st));
}

int settings_add_net(struct settings *st, const char *name)
{
	size_t i;

	if (!*name)
		return errno = EINVAL, -1;
	for (i = 0; name[i]; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			return errno = EINVAL, -1;
	for (i = 0; i < st->nets.n; i++)
		if (!strcmp(st->nets.v[i], name))
			return 0;
	return strv_add(&st->nets, name, strlen(name));
}

static void path_of(char *p, size_t size, const struct store *s)
{
	snprintf(p, size, "%s/%s", s->dir, SETTINGS_FILE);
}

/* One line, NUL-terminated, into st; ln numbers it for messages. */
static int parse_line(char *line, unsigned long ln, const char *path, int *end,
		      struct settings *st, struct err *e)
{
	char *arg = strchr(line, ' ');

	if (*end)
		return err_set(e, EXIT_RUNTIME, "%s:%lu: a line after `end`",
			       path, ln);
	if (arg)
		*arg++ = 0;
	if (ln == 1) {
		if (strcmp(line, MAGIC) || !arg || strcmp(arg, "1"))
			return err_set(e, EXIT_RUNTIME,
				       "%s:1: not a settings file of "
				       "version 1 (\"" MAGIC " 1\")",
				       path);
		return 0;
	}
	if (!strcmp(line, "end") && !arg) {
		*end = 1;
		return 0;
	}
	if (!strcmp(line, "to-host") && arg &&
	    (!strcmp(arg, "open") || !strcmp(arg, "closed"))) {
		st->host_open = !strcmp(arg, "open");
		return 0;
	}
	if (!strcmp(line, "network") && arg) {
		if (!settings_add_net(st, arg))
			return 0;
		if (errno == ENOMEM)
			return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	return err_set(e, EXIT_RUNTIME,
		       "%s:%lu: not a settings line (to-host open|closed, "
		       "network NAME, end)",
		       path, ln);
}

int settings_load(const struct store *s, struct settings *st, struct err *e)
{
	char path[sizeof(((struct settings_txn *)0)->path)];
	struct buf b = { 0 };
	unsigned long ln = 0;
	struct stat sb;
	char *p, *nl;
	int fd, end = 0, rc = -1;

	memset(st, 0, sizeof(*st));
	path_of(path, sizeof(path), s);
	if (s->dir_fd < 0)
		return 0; /* no store folder: init never ran */
	fd = openat(s->dir_fd, SETTINGS_FILE,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 && errno == ELOOP)
		return err_set(e, EXIT_RUNTIME,
			       "%s is a symbolic link: docker-fw follows "
			       "none in its store folder",
			       path);
	if (fd < 0)
		return err_set(e, EXIT_RUNTIME, "cannot open %s: %s", path,
			       strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(e, EXIT_RUNTIME, "%s is not a regular file",
			       path);
	}
	if (fd_read_all(fd, &b, SETTINGS_MAX_BYTES)) {
		err_set(e, EXIT_RUNTIME, "cannot read %s: %s", path,
			errno == EFBIG ? "over 1 MiB" : strerror(errno));
		goto out;
	}
	for (p = b.data; p < b.data + b.len; p = nl + 1) {
		nl = memchr(p, '\n', b.len - (size_t)(p - b.data));
		ln++;
		if (!nl) {
			err_set(e, EXIT_RUNTIME,
				"%s:%lu: truncated (no newline)", path, ln);
			goto out;
		}
		*nl = 0;
		if (strlen(p) != (size_t)(nl - p)) {
			err_set(e, EXIT_RUNTIME, "%s:%lu: a NUL byte", path,
				ln);
			goto out;
		}
		if (parse_line(p, ln, path, &end, st, e))
			goto out;
	}
	if (!end) {
		err_set(e, EXIT_RUNTIME, "%s:%lu: truncated (no `end`)", path,
			ln);
		goto out;
	}
	st->found = 1;
	rc = 0;
out:
	close(fd);
	buf_free(&b);
	if (rc)
		settings_free(st);
	return rc;
}

int settings_prepare(const struct store *s, const struct settings *st,
		     struct settings_txn *t, struct err *e)
{
	struct buf b = { 0 };
	size_t i;
	int fd, bad;

	t->dir_fd = -1;
	path_of(t->path, sizeof(t->path), s);
	snprintf(t->tmpname, sizeof(t->tmpname), "." SETTINGS_FILE ".tmp.%ld",
		 (long)getpid());
	bad = buf_printf(&b, MAGIC " 1\nto-host %s\n",
			 st->host_open ? "open" : "closed");
	for (i = 0; i < st->nets.n && !bad; i++)
		bad = buf_printf(&b, "network %s\n", st->nets.v[i]);
	if (bad || buf_adds(&b, "end\n")) {
		buf_free(&b);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	if (s->dir_fd < 0) {
		buf_free(&b);
		return err_set(e, EXIT_RUNTIME, "cannot write %s: no folder",
			       t->path);
	}
	/* writers hold the store's lock: a file of this name is left from
	 * a crashed run that had our PID */
	unlinkat(s->dir_fd, t->tmpname, 0);
	fd = openat(s->dir_fd, t->tmpname,
		    O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fd_write_all(fd, b.data, b.len) || fsync(fd)) {
		err_set(e, EXIT_RUNTIME, "cannot write %s/%s: %s", s->dir,
			t->tmpname, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlinkat(s->dir_fd, t->tmpname, 0);
		}
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	if (close(fd)) {
		unlinkat(s->dir_fd, t->tmpname, 0);
		return err_set(e, EXIT_RUNTIME, "cannot write %s/%s: %s",
			       s->dir, t->tmpname, strerror(errno));
	}
	t->dir_fd = s->dir_fd;
	return 0;
}

int settings_commit(struct settings_txn *t, struct err *e)
{
	int fd = t->dir_fd;

	if (fd < 0)
		return 0;
	t->dir_fd = -1;
	if (renameat(fd, t->tmpname, fd, SETTINGS_FILE)) {
		err_set(e, EXIT_RUNTIME, "cannot rename into %s: %s", t->path,
			strerror(errno));
		unlinkat(fd, t->tmpname, 0);
		return -1;
	}
	if (fsync(fd))
		return err_set(e, EXIT_RUNTIME,
			       "cannot sync the folder of %s: %s", t->path,
			       strerror(errno));
	return 0;
}

void settings_abort(struct settings_txn *t)
{
	if (t->dir_fd >= 0)
		unlinkat(t->dir_fd, t->tmpname, 0);
	t->dir_fd = -1;
}

int dfw_host_open(const struct dfw_config *cfg, struct err *e)
{
	struct settings st;
	struct store s;
	int rc;

	if (store_open(&s, cfg->state_dir, 0, e))
		return -1;
	rc = settings_load(&s, &st, e);
	store_close(&s);
	if (rc)
		return -1;
	rc = st.found && st.host_open;
	settings_free(&st);
	return rc;
}
