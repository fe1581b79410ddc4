#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/hosts.h"
#include "unit.h"

#define DOCKER_HOSTS \
	"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n" \
	"172.17.0.2\tpromoted 0123456789ab\n172.17.0.3\tendpoint\n"
#define ID \
	"0123456789abcdef0123456789abcdef" \
	"0123456789abcdef0123456789abcdef"

static const char *edit(const char *in, const char *name, const char *ip,
			int *changed)
{
	static struct buf out;

	out.len = 0;
	if (out.data)
		out.data[0] = 0;
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
	t = edit("1.1.1.1\tx # docker-fw\n1.1.1.1 x\t# docker-fw\n", "x", NULL,
		 &c);
	check(c == 0);
	/* a name that is a prefix of another is another name */
	t = edit("1.1.1.1\txy\t# docker-fw\n", "x", NULL, &c);
	check(c == 0);
	/* IPv6 addresses are one word too */
	t = edit("", "x", "fd00::1", &c);
	check(c == 1);
	check_str(t, "fd00::1\tx\t# docker-fw\n");
}

/* A tab, newline, blank or '#' in a name or address never reaches a
 * hosts line: it would add an alias, a line or a comment. */
/* add-two-ways on a dual-stack network: the IPv6 line beside the IPv4
 * one, each replaced and removed in its family, both removed at once. */
static void test_edit_v6(void)
{
	static const char both[] =
		"172.30.0.2\tweb6\t# docker-fw\n"
		"fd00:30::2\tweb6\t# docker-fw\n" DOCKER_HOSTS;
	struct buf out = { 0 };
	const char *t;
	char *v4;
	int c;

	t = edit(DOCKER_HOSTS, "web6", "fd00:30::2", &c);
	check(c == 1);
	check_str(t, "fd00:30::2\tweb6\t# docker-fw\n" DOCKER_HOSTS);
	t = edit(DOCKER_HOSTS, "web6", "172.30.0.2", &c);
	v4 = strdup(t);
	/* the IPv6 line goes after the IPv4 one; the IPv4 one stays */
	t = edit(v4, "web6", "fd00:30::2", &c);
	check(c == 1);
	check_str(t, both);
	t = edit(both, "web6", "fd00:30::2", &c);
	check(c == 0);
	check_str(t, both);
	/* a new IPv6 address replaces the IPv6 line only, in place */
	t = edit(both, "web6", "fd00:30::9", &c);
	check(c == 1);
	check_str(t, "172.30.0.2\tweb6\t# docker-fw\n"
		     "fd00:30::9\tweb6\t# docker-fw\n" DOCKER_HOSTS);
	/* and an IPv4 one the IPv4 line */
	t = edit(both, "web6", "172.30.0.7", &c);
	check_str(t, "172.30.0.7\tweb6\t# docker-fw\n"
		     "fd00:30::2\tweb6\t# docker-fw\n" DOCKER_HOSTS);
	/* one family removed (the container lost its IPv6 address) */
	check(hosts_edit_family(both, strlen(both), "web6", AF_INET6, NULL,
				&out) == 1);
	check_str(out.data, v4);
	out.len = 0;
	check(hosts_edit_family(both, strlen(both), "web6", AF_INET, NULL,
				&out) == 1);
	check_str(out.data, "fd00:30::2\tweb6\t# docker-fw\n" DOCKER_HOSTS);
	/* both at once; Docker's own ::1 line is never ours */
	t = edit(both, "web6", NULL, &c);
	check(c == 1);
	check_str(t, DOCKER_HOSTS);
	t = edit(both, "localhost", NULL, &c);
	check(c == 0);
	/* an address not of the family said; a bad family */
	out.len = 0;
	errno = 0;
	check(hosts_edit_family(both, strlen(both), "web6", AF_INET,
				"fd00:30::2", &out) == -1 &&
	      errno == EINVAL);
	check(hosts_edit_family(both, strlen(both), "web6", AF_INET6,
				"172.30.0.2", &out) == -1 &&
	      errno == EINVAL);
	check(hosts_edit_family(both, strlen(both), "web6", 0, "172.30.0.2",
				&out) == -1 &&
	      errno == EINVAL);
	check(hosts_edit_family(both, strlen(both), "web6", 99, NULL, &out) ==
		      -1 &&
	      errno == EINVAL);
	check(out.len == 0);
	free(v4);
	buf_free(&out);
}

static void test_edit_refuses(void)
{
	static const char *const names[] = {
		"",
		"web\tevil.example.com",
		"web\n1.2.3.4\tbank",
		"a b",
		"a#b",
		"a\rb",
		"a\x7f",
		"a\x01",
	};
	static const char *const ips[] = {
		"",	    "1.2.3.4\tevil", "1.2.3.4\n5.6.7.8", "1.2.3.4 x",
		"1.2.3.4#", "not-an-ip",     "1.1.1.1/32",
	};
	struct buf out = { 0 };
	char big[300];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		errno = 0;
		check(hosts_edit(DOCKER_HOSTS, strlen(DOCKER_HOSTS), names[i],
				 "1.1.1.1", &out) == -1 &&
		      errno == EINVAL);
		check(hosts_edit(DOCKER_HOSTS, strlen(DOCKER_HOSTS), names[i],
				 NULL, &out) == -1 &&
		      errno == EINVAL);
		check(!hosts_name_ok(names[i]));
		check(out.len == 0);
	}
	for (i = 0; i < sizeof(ips) / sizeof(*ips); i++) {
		errno = 0;
		check(hosts_edit("", 0, "x", ips[i], &out) == -1 &&
		      errno == EINVAL);
		check(out.len == 0);
	}
	memset(big, 'a', sizeof(big));
	big[256] = 0;
	check(!hosts_name_ok(big));
	big[255] = 0;
	check(hosts_name_ok(big));
	check(hosts_name_ok("web-1.example_x"));
	buf_free(&out);
}

static void test_path_check(void)
{
	struct err e;

	check(hosts_path_check("/var/lib/docker", ID,
			       "/var/lib/docker/containers/" ID "/hosts",
			       &e) == 0);
	check(hosts_path_check("/var/lib/docker/", ID,
			       "/var/lib/docker/containers/" ID "/hosts",
			       &e) == 0);
	check(hosts_path_check("/", ID, "/containers/" ID "/hosts", &e) == 0);
	/* a user's file, another container's, anything else */
	check(hosts_path_check("/var/lib/docker", ID, "/srv/hosts.peer", &e) ==
	      -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "/srv/hosts.peer") &&
	      strstr(e.msg, "/var/lib/docker/containers/" ID "/hosts"));
	check(hosts_path_check("/var/lib/docker", ID, "/etc/passwd", &e) == -1);
	check(hosts_path_check("/var/lib/docker", ID,
			       "/var/lib/docker/containers/"
			       "fedcba9876543210fedcba9876543210"
			       "fedcba9876543210fedcba9876543210/hosts",
			       &e) == -1);
	check(hosts_path_check("/var/lib/docker", ID,
			       "/var/lib/docker/containers/" ID "/hostname",
			       &e) == -1);
	check(hosts_path_check("/var/lib/docker", ID,
			       "/var/lib/docker/containers/" ID "/hosts/",
			       &e) == -1);
	check(hosts_path_check("/var/lib/docker", ID,
			       "/var/lib/docker//containers/" ID "/hosts",
			       &e) == -1);
	check(hosts_path_check("/var/lib/docker", ID,
			       "/var/lib/docker/containers/" ID "/../" ID
			       "/hosts",
			       &e) == -1);
	/* a root that is not a plain absolute path */
	check(hosts_path_check("var/lib/docker", ID,
			       "var/lib/docker/containers/" ID "/hosts",
			       &e) == -1 &&
	      e.code == EXIT_USAGE);
	check(hosts_path_check("/var/lib/../../etc", ID,
			       "/var/lib/../../etc/containers/" ID "/hosts",
			       &e) == -1);
	check(hosts_path_check("/var/./lib", ID,
			       "/var/./lib/containers/" ID "/hosts", &e) == -1);
	check(hosts_path_check("", ID, "/containers/" ID "/hosts", &e) == -1);
	/* the ID: 64 lowercase hex digits */
	check(hosts_path_check("/d", "../../etc",
			       "/d/containers/../../etc/"
			       "hosts",
			       &e) == -1);
	check(hosts_path_check("/d", "0123", "/d/containers/0123/hosts", &e) ==
	      -1);
	check(hosts_path_check("/d",
			       "0123456789ABCDEF0123456789ABCDEF"
			       "0123456789ABCDEF0123456789ABCDEF",
			       "/d/containers/0123456789ABCDEF0123456789ABCDEF"
			       "0123456789ABCDEF0123456789ABCDEF/hosts",
			       &e) == -1);
}

static void mount_at(struct docker_mount *m, const char *type, const char *src,
		     const char *dst, int rw)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->type, sizeof(m->type), "%s", type);
	snprintf(m->source, sizeof(m->source), "%s", src);
	snprintf(m->destination, sizeof(m->destination), "%s", dst);
	m->rw = rw;
}

static void test_mount_check(void)
{
	struct docker_container c;
	struct docker_mount m[2];
	struct err e;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, "peer");
	check(hosts_mount_check(&c, &e) == 0);
	/* mounts elsewhere, /etc included, are fine: Docker's own hosts
	 * file is mounted over them */
	mount_at(&m[0], "bind", "/srv/etc", "/etc", 1);
	mount_at(&m[1], "volume", "", "/etc/hosts.d", 1);
	c.mounts = m;
	c.nmounts = 2;
	check(hosts_mount_check(&c, &e) == 0);
	/* -v /srv/hosts.peer:/etc/hosts:ro, as inspect's Mounts shows it */
	mount_at(&m[1], "bind", "/srv/hosts.peer", "/etc/hosts", 0);
	check(hosts_mount_check(&c, &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "\"peer\"") &&
	      strstr(e.msg, "\"/srv/hosts.peer\"") &&
	      strstr(e.msg, "read-only") && strstr(e.msg, "bind mount"));
	mount_at(&m[1], "bind", "/etc/hosts", "/etc//./hosts", 1);
	check(hosts_mount_check(&c, &e) == -1);
	check(strstr(e.msg, "\"/etc/hosts\"") && strstr(e.msg, "read-write"));
	mount_at(&m[1], "bind", "/x", "/etc/x/../hosts/", 1);
	check(hosts_mount_check(&c, &e) == -1);
	mount_at(&m[1], "bind", "/x", "/etc/hostsx", 1);
	check(hosts_mount_check(&c, &e) == 0);
	/* a path docker-fw could not read is never taken as harmless */
	m[1].bad = 1;
	check(hosts_mount_check(&c, &e) == -1 && e.code == EXIT_USAGE);
	c.nmounts = 0;
	/* HostConfig.Mounts (--mount), HostConfig.Binds, Tmpfs */
	mount_at(&m[0], "bind", "/srv/h", "/etc/hosts", 0);
	c.hc_mounts = m;
	c.nhc_mounts = 1;
	check(hosts_mount_check(&c, &e) == -1 && strstr(e.msg, "/srv/h"));
	c.nhc_mounts = 0;
	check(!strv_add(&c.binds, "/srv/data:/data:rw", 18));
	check(hosts_mount_check(&c, &e) == 0);
	check(!strv_add(&c.binds, "/srv/hosts.peer:/etc/hosts:ro", 29));
	check(hosts_mount_check(&c, &e) == -1);
	check(strstr(e.msg, "\"/srv/hosts.peer\"") &&
	      strstr(e.msg, "read-only"));
	strv_free(&c.binds);
	check(!strv_add(&c.binds, "/etc/hosts:/etc/hosts", 21));
	check(hosts_mount_check(&c, &e) == -1);
	check(strstr(e.msg, "\"/etc/hosts\"") && strstr(e.msg, "read-write"));
	strv_free(&c.binds);
	check(!strv_add(&c.tmpfs, "/etc/hosts", 10));
	check(hosts_mount_check(&c, &e) == -1 && strstr(e.msg, "tmpfs"));
	strv_free(&c.tmpfs);
	check(!strv_add(&c.tmpfs, "/run", 4));
	check(hosts_mount_check(&c, &e) == 0);
	strv_free(&c.tmpfs);
	/* --read-only: Docker mounts /etc/hosts read-only */
	c.readonly_rootfs = 1;
	check(hosts_mount_check(&c, &e) == -1);
	check(strstr(e.msg, "--read-only") && strstr(e.msg, "\"peer\""));
}

static char dir[] = "/tmp/dfw-hosts.XXXXXX";

static void put(const char *name, const char *text)
{
	char p[200];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	check(fd >= 0 &&
	      write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static const char *at(const char *name)
{
	static char p[4][200];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static void test_file(void)
{
	struct hosts_file f;
	struct buf out = { 0 };
	struct stat a, b;
	struct err e;
	char buf[256];
	int fd;
	ssize_t n;

	check(mkdtemp(dir) != NULL);
	check(hosts_file_open(&f, at("hosts"), 1, 100, &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, at("hosts")) && f.fd == -1);
	put("hosts", DOCKER_HOSTS);
	check(stat(at("hosts"), &a) == 0);
	check(hosts_file_open(&f, at("hosts"), 1, 100, &e) == 0);
	check(f.text.len == strlen(DOCKER_HOSTS) &&
	      !strcmp(f.text.data, DOCKER_HOSTS));
	check(hosts_edit(f.text.data, f.text.len, "endpoint", "172.17.0.9",
			 &out) == 1);
	check(hosts_file_reserve(&f, out.len, &e) == 0);
	check(hosts_file_write(&f, out.data, out.len, &e) == 0);
	hosts_file_close(&f);
	hosts_file_close(&f); /* safe twice */
	check(stat(at("hosts"), &b) == 0 && a.st_ino == b.st_ino);
	fd = open(at("hosts"), O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	check_str(buf, "172.17.0.9\tendpoint\t# docker-fw\n" DOCKER_HOSTS);
	/* shorter: truncated */
	check(hosts_file_open(&f, at("hosts"), 1, 100, &e) == 0);
	check(hosts_file_write(&f, "x\n", 2, &e) == 0);
	hosts_file_close(&f);
	check(stat(at("hosts"), &b) == 0 && b.st_size == 2);
	/* an empty file reads as "" */
	put("empty", "");
	check(hosts_file_open(&f, at("empty"), 0, 100, &e) == 0);
	check(f.text.data && f.text.len == 0);
	hosts_file_close(&f);
	buf_free(&out);
}

/* No symlink is followed, anywhere on the way; a FIFO or a device is
 * never opened; a folder is no file. */
static void test_file_refuses(void)
{
	struct hosts_file f;
	struct err e;
	char p[300];

	put("victim", "root:x:0:0\n");
	check(symlink(at("victim"), at("link")) == 0);
	check(hosts_file_open(&f, at("link"), 1, 100, &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "symbolic link") &&
	      strstr(e.msg, "\"link\""));
	check(mkdir(at("real"), 0700) == 0);
	snprintf(p, sizeof(p), "%s/real/hosts", dir);
	put("real/hosts", "1.1.1.1\tx\n");
	check(symlink(at("real"), at("dirlink")) == 0);
	snprintf(p, sizeof(p), "%s/dirlink/hosts", dir);
	check(hosts_file_open(&f, p, 1, 100, &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "symbolic link") &&
	      strstr(e.msg, "\"dirlink\""));
	snprintf(p, sizeof(p), "%s/real/../real/hosts", dir);
	check(hosts_file_open(&f, p, 1, 100, &e) == -1 && e.code == EXIT_USAGE);
	check(hosts_file_open(&f, "relative/hosts", 1, 100, &e) == -1 &&
	      e.code == EXIT_USAGE);
	check(mkfifo(at("fifo"), 0600) == 0);
	check(hosts_file_open(&f, at("fifo"), 1, 100, &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "not a regular file"));
	check(hosts_file_open(&f, "/dev/null", 1, 100, &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "not a regular file"));
	check(hosts_file_open(&f, at("real"), 1, 100, &e) == -1 &&
	      e.code == EXIT_USAGE);
	/* a file standing for a folder on the way */
	snprintf(p, sizeof(p), "%s/victim/hosts", dir);
	check(hosts_file_open(&f, p, 1, 100, &e) == -1 && e.code == EXIT_USAGE);
	unlink(at("link"));
	unlink(at("dirlink"));
	unlink(at("fifo"));
	unlink(at("real/hosts"));
	rmdir(at("real"));
	unlink(at("victim"));
}

/* A file someone keeps locked: an error after the timeout, not a hang. */
static void test_file_locked(void)
{
	struct hosts_file f;
	struct err e;
	int fd;

	put("locked", DOCKER_HOSTS);
	fd = open(at("locked"), O_RDONLY);
	check(fd >= 0 && flock(fd, LOCK_EX) == 0);
	check(hosts_file_open(&f, at("locked"), 1, 50, &e) == -1);
	check(e.code == EXIT_RUNTIME && strstr(e.msg, "locked") &&
	      strstr(e.msg, at("locked")) && f.fd == -1);
	check(hosts_file_open(&f, at("locked"), 0, 50, &e) == -1);
	/* a shared lock lets a reader in, not a writer */
	check(flock(fd, LOCK_SH) == 0);
	check(hosts_file_open(&f, at("locked"), 0, 50, &e) == 0);
	hosts_file_close(&f);
	check(hosts_file_open(&f, at("locked"), 1, 50, &e) == -1);
	close(fd);
	check(hosts_file_open(&f, at("locked"), 1, 50, &e) == 0);
	hosts_file_close(&f);
	unlink(at("locked"));
}

/* Bounded: a file over HOSTS_MAX is refused, not read whole. */
static void test_file_big(void)
{
	struct hosts_file f;
	struct err e;
	int fd = open(at("big"), O_CREAT | O_TRUNC | O_WRONLY, 0644);

	check(fd >= 0 && ftruncate(fd, HOSTS_MAX) == 0);
	close(fd);
	check(hosts_file_open(&f, at("big"), 1, 100, &e) == 0);
	check(f.text.len == HOSTS_MAX);
	hosts_file_close(&f);
	fd = open(at("big"), O_WRONLY);
	check(fd >= 0 && ftruncate(fd, (off_t)HOSTS_MAX + 1) == 0);
	close(fd);
	check(hosts_file_open(&f, at("big"), 1, 100, &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "larger than") &&
	      f.fd == -1);
	fd = open(at("big"), O_WRONLY);
	check(fd >= 0 && ftruncate(fd, (off_t)1 << 40) == 0); /* sparse */
	close(fd);
	check(hosts_file_open(&f, at("big"), 1, 100, &e) == -1);
	unlink(at("big"));
	unlink(at("hosts"));
	unlink(at("empty"));
	check(rmdir(dir) == 0);
}

UNIT_TESTS(T(test_edit) T(test_edit_v6) T(test_edit_refuses) T(test_path_check)
		   T(test_mount_check) T(test_file) T(test_file_refuses)
			   T(test_file_locked) T(test_file_big))
