#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/applet.h"
#include "dfw/tls.h"
#include "dfw/util.h"
#include "unit.h"

static int nop_main(int argc, char **argv)
{
	return argc + (argv != NULL);
}

static const struct applet tab[] = {
	{ "add", nop_main, "C", "h\n" },
	{ "add-internal", nop_main, "C", "h\n" },
	{ "ls", nop_main, "[C]...", "h\n" },
	{ NULL, NULL, NULL, NULL },
};

static void test_find(void)
{
	check(applet_find(tab, "add") == &tab[0]);
	check(applet_find(tab, "add-internal") == &tab[1]);
	check(applet_find(tab, "ls") == &tab[2]);
	check(applet_find(tab, "ad") == NULL);
	check(applet_find(tab, "") == NULL);
	check(applet_find(tab, "add-internalx") == NULL);
}

static void test_basename(void)
{
	check_str(applet_basename("/usr/bin/dfw-add"), "dfw-add");
	check_str(applet_basename("dfw-add"), "dfw-add");
	check_str(applet_basename("./x/y/docker-fw"), "docker-fw");
	check_str(applet_basename("/"), "");
}

static void test_install(void)
{
	char dir[] = "/tmp/dfw-unit-XXXXXX", path[256], link[256];
	struct err e;
	ssize_t n;
	int fd;

	check(mkdtemp(dir) != NULL);
	check(applet_install(tab, dir, "/bin/docker-fw", &e) == 3);
	snprintf(path, sizeof(path), "%s/dfw-add-internal", dir);
	n = readlink(path, link, sizeof(link) - 1);
	check(n > 0);
	link[n > 0 ? n : 0] = 0;
	check_str(link, "/bin/docker-fw");
	/* Again, to another target: links are replaced. */
	check(applet_install(tab, dir, "/sbin/docker-fw", &e) == 3);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	check_str(link, "/sbin/docker-fw");
	/* A regular file named like a link: refused, nothing changed. */
	snprintf(path, sizeof(path), "%s/dfw-ls", dir);
	unlink(path);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	check(fd >= 0);
	close(fd);
	check(applet_install(tab, dir, "/x", &e) == -1);
	check(e.code == EXIT_USAGE);
	check(strstr(e.msg, "dfw-ls") != NULL);
	snprintf(path, sizeof(path), "%s/dfw-add", dir);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	check_str(link, "/sbin/docker-fw");
	/* Missing directory and a file as directory. */
	snprintf(path, sizeof(path), "%s/missing", dir);
	check(applet_install(tab, path, "/x", &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "missing") != NULL);
	snprintf(path, sizeof(path), "%s/dfw-ls", dir);
	check(applet_install(tab, path, "/x", &e) == -1);
	check(strstr(e.msg, "not a directory") != NULL);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	check(system(path) == 0);
}

static void test_global_opts(void)
{
	char *a1[] = { "dfw-ls", "--tls", "-Htcp://[::1]:2", "web", NULL };
	char *a6[] = { "dfw-ls", "-H", "unix:///a.sock", "--host=tcp://h:1",
		       "web", NULL };
	char *a2[] = { "docker-fw", "--host", NULL };
	char *a3[] = { "docker-fw", "-H", "ssh://x", "ls", NULL };
	char *a4[] = { "docker-fw", "--host=", "ls", NULL };
	char *a5[] = { "docker-fw", "ls", "-H", "unix:///b", NULL };
	struct err e;
	int i;

	unsetenv("DOCKER_HOST");
	i = 1;
	check(applet_global_opts(4, a1, &i, &e) == 0 && i == 3);
	check_str(getenv("DOCKER_HOST"), "tcp://[::1]:2");
	/* the daemon once: a second -H is an error, not "the last wins" */
	i = 1;
	check(applet_global_opts(5, a6, &i, &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "given twice"));
	memset(&tls_cli, 0, sizeof(tls_cli));
	i = 1;
	check(applet_global_opts(2, a2, &i, &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "--host needs"));
	i = 1;
	check(applet_global_opts(4, a3, &i, &e) == -1);
	check(e.code == EXIT_USAGE && strstr(e.msg, "ssh://x"));
	check_str(getenv("DOCKER_HOST"), "tcp://[::1]:2");
	i = 1;
	check(applet_global_opts(3, a4, &i, &e) == -1);
	check(strstr(e.msg, "empty host") != NULL);
	/* Only leading options are global. */
	i = 1;
	check(applet_global_opts(4, a5, &i, &e) == 0 && i == 1);
	check_str(getenv("DOCKER_HOST"), "tcp://[::1]:2");
	unsetenv("DOCKER_HOST");
}

UNIT_TESTS(T(test_find) T(test_basename) T(test_install)
	   T(test_global_opts))
