#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/applet.h"
#include "dfw/util.h"
#include "unit.h"

static int nop_main(int argc, char **argv, struct cli *cli)
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

UNIT_TESTS(T(test_find) T(test_basename) T(test_install))
