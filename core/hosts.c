/*
 * hosts.c - docker-fw's lines in a container's hosts file, edited in
 * place.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/hosts.h"

#define HOSTS_MAX (1 << 20)	/* a hosts file bigger than this is odd */

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

int hosts_edit(const char *in, size_t len, const char *name, const char *ip,
	       struct buf *out)
{
	size_t start = out->len, i = 0, nlen, want = strlen(name);
	const char *ln;
	int done = !ip, head = 1;

	while (i < len) {
		const char *l = in + i, *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) : len - i;
		int mine = ours(l, n, &ln, &nlen);

		i += n + (nl != NULL);
		if (mine && nlen == want && !memcmp(ln, name, want)) {
			if (!ip || done)
				continue;	/* removed, or a duplicate */
			if (buf_printf(out, "%s\t%s\t" HOSTS_MARK "\n", ip,
				       name))
				goto nomem;
			done = 1;
			continue;
		}
		if (head && !mine) {
			head = 0;
			if (!done && buf_printf(out, "%s\t%s\t" HOSTS_MARK
						"\n", ip, name))
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
	return -1;
}

static int open_hosts(const char *path, struct err *e)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return err_set(e, errno == ENOMEM ? EXIT_RUNTIME : EXIT_USAGE,
			       "hosts file \"%s\": %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, EXIT_USAGE, "hosts file \"%s\": not a "
			       "regular file", path);
	}
	return fd;
}

int hosts_file_check(const char *path, struct err *e)
{
	int fd = open_hosts(path, e);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int file_set(const char *path, const char *name, const char *ip,
		    int write_it, struct err *e);

int hosts_file_set(const char *path, const char *name, const char *ip,
		   struct err *e)
{
	return file_set(path, name, ip, 1, e);
}

int hosts_file_would(const char *path, const char *name, const char *ip,
		     struct err *e)
{
	return file_set(path, name, ip, 0, e);
}

static int file_set(const char *path, const char *name, const char *ip,
		    int write_it, struct err *e)
{
	struct buf in = { 0 }, out = { 0 };
	int fd = open_hosts(path, e), rc = -1, changed;
	ssize_t n;
	size_t off;

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			err_set(e, EXIT_RUNTIME, "hosts file \"%s\": lock: "
				"%s", path, strerror(errno));
			goto out;
		}
	for (;;) {
		if (buf_reserve(&in, 4096))
			goto nomem;
		n = read(fd, in.data + in.len, in.cap - in.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, EXIT_RUNTIME, "hosts file \"%s\": read: %s",
				path, strerror(errno));
			goto out;
		}
		if (!n)
			break;
		in.len += (size_t)n;
		if (in.len > HOSTS_MAX) {
			err_set(e, EXIT_USAGE, "hosts file \"%s\": larger "
				"than %d bytes", path, HOSTS_MAX);
			goto out;
		}
	}
	changed = hosts_edit(in.data ? in.data : "", in.len, name, ip, &out);
	if (changed < 0)
		goto nomem;
	if (!changed || !write_it) {
		rc = changed;
		goto out;
	}
	for (off = 0; off < out.len; off += (size_t)n) {
		n = pwrite(fd, out.data + off, out.len - off, (off_t)off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			err_set(e, EXIT_RUNTIME, "hosts file \"%s\": write: "
				"%s", path, strerror(n ? errno : EIO));
			goto out;
		}
	}
	if (ftruncate(fd, (off_t)out.len) || fsync(fd)) {
		err_set(e, EXIT_RUNTIME, "hosts file \"%s\": %s", path,
			strerror(errno));
		goto out;
	}
	rc = 1;
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	close(fd);
	buf_free(&in);
	buf_free(&out);
	return rc;
}
