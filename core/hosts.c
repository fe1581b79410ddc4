/*
 * hosts.c - docker-fw's lines in a container's hosts file, edited in
 * place, and the checks that the file is Docker's own for the container.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/hosts.h"

/* ---- the text --------------------------------------------------------- */

/* The name of a docker-fw line, or NULL for any other line. A line is
 * "IP\tNAME\t# docker-fw" exactly: only ours have that ending. */
static int ours(const char *l, size_t n, const char **name, size_t *nlen)
{
	const char *t1 = memchr(l, '\t', n), *t2;
	size_t mark = sizeof(HOSTS_MARK) - 1;

	if (!t1 || n < mark + 1 || memcmp(l + n - mark, HOSTS_MARK, mark) ||
	    l[n - mark - 1] != '\t')
		return 0;
	t2 = memchr(t1 + 1, '\t', (size_t)(l + n - t1 - 1));
	if (t2 != l + n - mark - 1)
		return 0;
	*name = t1 + 1;
	*nlen = (size_t)(t2 - t1 - 1);
	return 1;
}

int hosts_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > 255)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* a blank would split it into two names (an alias), a
		 * newline into two lines, '#' starts a comment */
		if (c <= ' ' || c == 0x7f || c == '#')
			return 0;
	}
	return 1;
}

static int ip_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 45 && strspn(s, "0123456789abcdefABCDEF.:") == n;
}

/* The family of a line's address (l[0..n), the first word): AF_INET6
 * when it holds a ':', else AF_INET. */
static int line_family(const char *l, size_t n)
{
	const char *t = memchr(l, '\t', n);

	return memchr(l, ':', t ? (size_t)(t - l) : n) ? AF_INET6 : AF_INET;
}

int hosts_edit_family(const char *in, size_t len, const char *name, int family,
		      const char *ip, struct buf *out)
{
	size_t start = out->len, i = 0, nlen, want = strlen(name);
	const char *ln;
	int done = !ip, head = 1;

	if (!hosts_name_ok(name) || (ip && !ip_ok(ip)) ||
	    (family != 0 && family != AF_INET && family != AF_INET6) ||
	    (ip && family != (strchr(ip, ':') ? AF_INET6 : AF_INET))) {
		errno = EINVAL;
		return -1;
	}
	while (i < len) {
		const char *l = in + i, *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) : len - i;
		int mine = ours(l, n, &ln, &nlen);

		i += n + (nl != NULL);
		if (mine && nlen == want && !memcmp(ln, name, want) &&
		    (!family || line_family(l, n) == family)) {
			if (!ip || done)
				continue; /* removed, or a duplicate */
			if (buf_printf(out, "%s\t%s\t" HOSTS_MARK "\n", ip,
				       name))
				goto nomem;
			done = 1;
			continue;
		}
		if (head && !mine) {
			head = 0;
			if (!done && buf_printf(out, "%s\t%s\t" HOSTS_MARK "\n",
						ip, name))
				goto nomem;
			done = 1;
		}
		if (buf_add(out, l, n) || buf_add(out, "\n", 1))
			goto nomem;
	}
	if (!done && buf_printf(out, "%s\t%s\t" HOSTS_MARK "\n", ip, name))
		goto nomem;
	if (!out->data && buf_adds(out, ""))
		goto nomem;
	return out->len - start != len ||
	       memcmp(out->data + start, in, len) != 0;
nomem:
	out->len = start;
	if (out->data)
		out->data[start] = 0;
	errno = ENOMEM;
	return -1;
}

int hosts_edit(const char *in, size_t len, const char *name, const char *ip,
	       struct buf *out)
{
	int family = !ip ? 0 : strchr(ip, ':') ? AF_INET6 : AF_INET;

	return hosts_edit_family(in, len, name, family, ip, out);
}

/* ---- whose file it is ------------------------------------------------- */

/* Whether every component of the absolute path p[0..n) is a plain name
 * (no "", ".", ".."), a trailing slash aside. */
static int plain_path(const char *p, size_t n)
{
	size_t i = 1, j;

	if (!n || *p != '/')
		return 0;
	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 1)
		return 1; /* "/" */
	while (i <= n) {
		for (j = i; j < n && p[j] != '/'; j++)
			;
		if (j == i || (j - i == 1 && p[i] == '.') ||
		    (j - i == 2 && p[i] == '.' && p[i + 1] == '.'))
			return 0;
		i = j + 1;
	}
	return 1;
}

int hosts_path_check(const char *root, const char *id, const char *path,
		     struct err *e)
{
	size_t rlen = strlen(root), ilen = strlen(id);
	char want[4200];
	int n;

	if (ilen != 64 || strspn(id, "0123456789abcdef") != 64)
		return err_set(e, EXIT_USAGE,
			       "container ID \"%.80s\": not 64 "
			       "hex digits",
			       id);
	if (!plain_path(root, rlen))
		return err_set(e, EXIT_USAGE,
			       "Docker's root folder "
			       "(DockerRootDir) \"%.300s\" is not an absolute "
			       "path of plain names",
			       root);
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (rlen == 1)
		rlen = 0; /* "/": no double slash */
	n = snprintf(want, sizeof(want), "%.*s/containers/%s/hosts", (int)rlen,
		     root, id);
	if (n < 0 || (size_t)n >= sizeof(want))
		return err_set(e, EXIT_USAGE,
			       "Docker's root folder "
			       "(DockerRootDir) \"%.300s\": too long",
			       root);
	if (strcmp(path, want))
		return err_set(
			e, EXIT_USAGE,
			"hosts file \"%.300s\" "
			"(HostsPath) is not the one Docker makes for the "
			"container (%.300s): docker-fw edits only that "
			"one",
			path, want);
	return 0;
}

/* Whether the container path p is /etc/hosts once "//", "." and ".."
 * are folded (relative: from /). -1 when out of memory. */
static int is_etc_hosts(const char *p)
{
	struct buf b = { 0 };
	const char *s;
	size_t n;
	int rc;

	if (buf_reserve(&b, strlen(p) + 1))
		return -1;
	b.data[0] = 0;
	while (*p) {
		while (*p == '/')
			p++;
		s = strchr(p, '/');
		n = s ? (size_t)(s - p) : strlen(p);
		if (n == 2 && !memcmp(p, "..", 2)) {
			while (b.len && b.data[b.len - 1] != '/')
				b.len--;
			if (b.len)
				b.len--;
		} else if (n && !(n == 1 && *p == '.')) {
			b.data[b.len++] = '/';
			memcpy(b.data + b.len, p, n);
			b.len += n;
		}
		p += n;
	}
	b.data[b.len] = 0;
	rc = !strcmp(b.data, "/etc/hosts");
	buf_free(&b);
	return rc;
}

static int refuse_mount(const struct docker_container *c, const char *kind,
			const char *src, int rw, struct err *e)
{
	return err_set(
		e, EXIT_USAGE,
		"container \"%s\": its /etc/hosts is "
		"a %s mount of \"%.300s\" (%s), not the hosts file Docker "
		"made for it: docker-fw edits only that one (remove the "
		"mount, or use add-internal)",
		c->name, kind, src, rw ? "read-write" : "read-only");
}

static int check_mounts(const struct docker_container *c,
			const struct docker_mount *m, size_t n, struct err *e)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if (m[i].bad)
			return err_set(
				e, EXIT_USAGE,
				"container \"%s\": a "
				"mount whose path in the container "
				"docker-fw cannot read (too long?): it may "
				"be over /etc/hosts",
				c->name);
		r = is_etc_hosts(m[i].destination);
		if (r < 0)
			return err_set(e, EXIT_RUNTIME, "out of memory");
		if (r)
			return refuse_mount(c, *m[i].type ? m[i].type : "user",
					    *m[i].source ? m[i].source :
							   m[i].type,
					    m[i].rw, e);
	}
	return 0;
}

int hosts_mount_check(const struct docker_container *c, struct err *e)
{
	size_t i;
	int r;

	if (check_mounts(c, c->mounts, c->nmounts, e) ||
	    check_mounts(c, c->hc_mounts, c->nhc_mounts, e))
		return -1;
	for (i = 0; i < c->binds.n; i++) {
		/* SRC:DST[:OPTIONS] (a lone DST: a volume) */
		const char *b = c->binds.v[i], *c1 = strchr(b, ':');
		const char *dst = c1 ? c1 + 1 : b, *c2 = strchr(dst, ':');
		struct buf d = { 0 };

		if (buf_add(&d, dst, c2 ? (size_t)(c2 - dst) : strlen(dst)))
			return err_set(e, EXIT_RUNTIME, "out of memory");
		r = is_etc_hosts(d.data);
		buf_free(&d);
		if (r < 0)
			return err_set(e, EXIT_RUNTIME, "out of memory");
		if (r) {
			char src[4096];

			snprintf(src, sizeof(src), "%.*s",
				 c1 ? (int)(c1 - b) : 0, b);
			return refuse_mount(c, "bind", src,
					    !c2 || !strstr(c2 + 1, "ro"), e);
		}
	}
	for (i = 0; i < c->tmpfs.n; i++) {
		r = is_etc_hosts(c->tmpfs.v[i]);
		if (r < 0)
			return err_set(e, EXIT_RUNTIME, "out of memory");
		if (r || !strcmp(c->tmpfs.v[i], "?"))
			return refuse_mount(c, "tmpfs", "tmpfs", 1, e);
	}
	if (c->readonly_rootfs)
		return err_set(e, EXIT_USAGE,
			       "container \"%s\" runs with "
			       "--read-only (ReadonlyRootfs), so Docker mounts "
			       "its /etc/hosts read-only: docker-fw edits a "
			       "hosts file only where the container's mount is "
			       "read-write (use add-internal)",
			       c->name);
	return 0;
}

/* ---- the file --------------------------------------------------------- */

/* What went wrong opening component comp of path, in e. */
static int open_error(const char *path, int dfd, const char *comp, int err,
		      struct err *e)
{
	struct stat st;

	if ((err == ELOOP || err == ENOTDIR) &&
	    !fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISLNK(st.st_mode))
		return err_set(e, EXIT_USAGE,
			       "hosts file \"%.300s\": \"%s\" "
			       "is a symbolic link: docker-fw follows none on "
			       "the way to a hosts file",
			       path, comp);
	return err_set(e,
		       err == ENOMEM || err == EMFILE || err == ENFILE ||
				       err == EIO ?
			       EXIT_RUNTIME :
			       EXIT_USAGE,
		       "hosts file \"%.300s\": %s%s", path, strerror(err),
		       err == EROFS || err == EACCES || err == EPERM ?
			       " (read-only)" :
			       "");
}

/* Opens path from /, one component at a time, following no symlink. */
static int walk_open(const char *path, int write, struct err *e)
{
	const char *p = path, *s;
	char comp[256];
	struct stat st, st2;
	size_t n;
	int dfd, fd;

	if (*p != '/')
		return err_set(e, EXIT_USAGE,
			       "hosts file \"%.300s\": not an "
			       "absolute path",
			       path);
	dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_set(e, EXIT_RUNTIME, "/: %s", strerror(errno));
	for (;;) {
		while (*p == '/')
			p++;
		s = strchr(p, '/');
		n = s ? (size_t)(s - p) : strlen(p);
		if (!n || n >= sizeof(comp) || (n == 1 && *p == '.') ||
		    (n == 2 && !memcmp(p, "..", 2))) {
			close(dfd);
			return err_set(e, EXIT_USAGE,
				       "hosts file \"%.300s\": "
				       "not a plain path to a file",
				       path);
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		p += n;
		if (s && p[strspn(p, "/")]) { /* a folder */
			fd = openat(dfd, comp,
				    O_PATH | O_DIRECTORY | O_NOFOLLOW |
					    O_CLOEXEC);
			if (fd < 0) {
				open_error(path, dfd, comp, errno, e);
				close(dfd);
				return -1;
			}
			close(dfd);
			dfd = fd;
			continue;
		}
		break;
	}
	/* the file: looked at first, so that a FIFO or a device is never
	 * opened (opening one can block, or do something) */
	if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW)) {
		open_error(path, dfd, comp, errno, e);
		close(dfd);
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		open_error(path, dfd, comp, ELOOP, e);
		close(dfd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(dfd);
		return err_set(e, EXIT_USAGE,
			       "hosts file \"%.300s\": not a "
			       "regular file",
			       path);
	}
	fd = openat(dfd, comp,
		    (write ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_NOCTTY |
			    O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		open_error(path, dfd, comp, errno, e);
		close(dfd);
		return -1;
	}
	close(dfd);
	if (fstat(fd, &st2) || !S_ISREG(st2.st_mode) ||
	    st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
		close(fd);
		return err_set(e, EXIT_RUNTIME,
			       "hosts file \"%.300s\": "
			       "replaced while it was opened",
			       path);
	}
	return fd;
}

int hosts_file_open(struct hosts_file *f, const char *path, int write,
		    int timeout_ms, struct err *e)
{
	memset(f, 0, sizeof(*f));
	f->fd = walk_open(path, write, e);
	if (f->fd < 0)
		return -1;
	if (fd_lock_timed(f->fd, write ? LOCK_EX : LOCK_SH, timeout_ms)) {
		if (errno == ETIMEDOUT)
			err_set(e, EXIT_RUNTIME,
				"hosts file \"%.300s\": "
				"locked (flock) by another process for more "
				"than %d ms",
				path, timeout_ms);
		else
			err_set(e, EXIT_RUNTIME,
				"hosts file \"%.300s\": "
				"lock: %s",
				path, strerror(errno));
		goto fail;
	}
	if (fd_read_all(f->fd, &f->text, HOSTS_MAX)) {
		if (errno == EFBIG)
			err_set(e, EXIT_USAGE,
				"hosts file \"%.300s\": larger "
				"than %d bytes (the limit)",
				path, HOSTS_MAX);
		else if (errno == ENOMEM)
			err_set(e, EXIT_RUNTIME, "out of memory");
		else
			err_set(e, EXIT_RUNTIME,
				"hosts file \"%.300s\": "
				"read: %s",
				path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	hosts_file_close(f);
	return -1;
}

int hosts_file_reserve(struct hosts_file *f, size_t len, struct err *e)
{
	if (!len || fallocate(f->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)len) == 0)
		return 0;
	if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL)
		return 0; /* the file system cannot say */
	return err_set(e, EXIT_RUNTIME,
		       "hosts file: no room for %zu bytes: "
		       "%s",
		       len, strerror(errno));
}

int hosts_file_write(struct hosts_file *f, const char *p, size_t len,
		     struct err *e)
{
	size_t off;
	ssize_t n;

	for (off = 0; off < len; off += (size_t)n) {
		n = pwrite(f->fd, p + off, len - off, (off_t)off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			return err_set(e, EXIT_RUNTIME, "hosts file: write: %s",
				       strerror(n ? errno : EIO));
	}
	if (ftruncate(f->fd, (off_t)len) || fsync(f->fd))
		return err_set(e, EXIT_RUNTIME, "hosts file: %s",
			       strerror(errno));
	return 0;
}

void hosts_file_close(struct hosts_file *f)
{
	if (f->fd >= 0)
		close(f->fd); /* the lock goes with it */
	f->fd = -1;
	buf_free(&f->text);
}
