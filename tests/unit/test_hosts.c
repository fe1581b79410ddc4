#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/hosts.h"
#include "unit.h"

#define DOCKER_HOSTS "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n" \
	"172.17.0.2\tpromoted 0123456789ab\n172.17.0.3\tendpoint\n"

static const char *edit(const char *in, const char *name, const char *ip,
			int *changed)
{
	static struct buf out;

	out.len = 0;
	*changed = hosts_edit(in, strlen(in), name, ip, &out);
	return out.data;
}

static void test_edit(void)
{
	const char *t;
	char *once;
	int c;

	/* a new entry goes first; Docker's lines are kept as they are */
	t = edit(DOCKER_HOSTS, "endpoint", "172.17.0.9", &c);
	check(c == 1);
	check_str(t, "172.17.0.9\tendpoint\t# docker-fw\n" DOCKER_HOSTS);
	once = strdup(t);
	/* idempotent */
	t = edit(once, "endpoint", "172.17.0.9", &c);
	check(c == 0);
	check_str(t, once);
	/* a stale address is replaced in place, no line added */
	t = edit(once, "endpoint", "172.17.0.4", &c);
	check(c == 1);
	check_str(t, "172.17.0.4\tendpoint\t# docker-fw\n" DOCKER_HOSTS);
	/* a second name goes after ours */
	t = edit(once, "db", "172.17.0.5", &c);
	check(c == 1);
	check_str(t, "172.17.0.9\tendpoint\t# docker-fw\n"
		  "172.17.0.5\tdb\t# docker-fw\n" DOCKER_HOSTS);
	/* removal leaves Docker's file exactly */
	t = edit(once, "endpoint", NULL, &c);
	check(c == 1);
	check_str(t, DOCKER_HOSTS);
	t = edit(DOCKER_HOSTS, "endpoint", NULL, &c);
	check(c == 0);
	check_str(t, DOCKER_HOSTS);
	free(once);
	/* duplicates of ours collapse into one */
	t = edit("1.1.1.1\tx\t# docker-fw\n1.1.1.2\tx\t# docker-fw\n", "x",
		 "1.1.1.3", &c);
	check(c == 1);
	check_str(t, "1.1.1.3\tx\t# docker-fw\n");
	/* blank lines are kept, never multiplied */
	t = edit("127.0.0.1\tlocalhost\n\n\n", "x", "1.1.1.1", &c);
	check_str(t, "1.1.1.1\tx\t# docker-fw\n127.0.0.1\tlocalhost\n\n\n");
	once = strdup(t);
	t = edit(once, "x", "1.1.1.1", &c);
	check(c == 0);
	check_str(t, "1.1.1.1\tx\t# docker-fw\n127.0.0.1\tlocalhost\n\n\n");
	free(once);
	/* empty file, missing final newline */
	t = edit("", "x", "1.1.1.1", &c);
	check(c == 1);
	check_str(t, "1.1.1.1\tx\t# docker-fw\n");
	t = edit("127.0.0.1\tlocalhost", "x", NULL, &c);
	check(c == 1);
	check_str(t, "127.0.0.1\tlocalhost\n");
	/* lines that only look like ours are Docker's or the user's */
	t = edit("1.1.1.1\tx # docker-fw\n1.1.1.1 x\t# docker-fw\n", "x",
		 NULL, &c);
	check(c == 0);
	/* a name that is a prefix of another is another name */
	t = edit("1.1.1.1\txy\t# docker-fw\n", "x", NULL, &c);
	check(c == 0);
}

static void test_file(void)
{
	char dir[] = "/tmp/dfw-hosts.XXXXXX", path[64], buf[256];
	struct stat a, b;
	struct err e;
	int fd;
	ssize_t n;

	check(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/hosts", dir);
	check(hosts_file_set(path, "x", "1.1.1.1", &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, path));
	check(hosts_file_check(path, &e) == -1 && e.code == EXIT_USAGE);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	check(write(fd, DOCKER_HOSTS, strlen(DOCKER_HOSTS)) > 0);
	close(fd);
	check(stat(path, &a) == 0);
	check(hosts_file_check(path, &e) == 0);
	check(hosts_file_set(path, "endpoint", "172.17.0.9", &e) == 1);
	check(hosts_file_set(path, "endpoint", "172.17.0.9", &e) == 0);
	check(stat(path, &b) == 0 && a.st_ino == b.st_ino);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	check_str(buf, "172.17.0.9\tendpoint\t# docker-fw\n" DOCKER_HOSTS);
	check(hosts_file_set(path, "endpoint", NULL, &e) == 1);
	check(stat(path, &b) == 0 && b.st_size == (off_t)strlen(DOCKER_HOSTS));
	/* read-only: refused, named; as root, mode bits do not stop us, so
	 * a read-only bind or file system is what a real host has. */
	if (geteuid()) {
		chmod(path, 0444);
		check(hosts_file_set(path, "x", "1.1.1.1", &e) == -1);
		check(e.code == EXIT_USAGE && strstr(e.msg, path));
	}
	snprintf(buf, sizeof(buf), "%s/dir", dir);
	mkdir(buf, 0700);
	check(hosts_file_check(buf, &e) == -1 && e.code == EXIT_USAGE);
	rmdir(buf);
	unlink(path);
	rmdir(dir);
}

UNIT_TESTS(T(test_edit) T(test_file))
