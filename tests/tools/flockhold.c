/*
 * flockhold.c - holds an flock on a file until killed, as a process in a
 * container may hold one on its own /etc/hosts (busybox-static has no
 * flock applet). Static (musl): copied into a busybox container by the
 * e2e tests (hosts.test).
 *
 *	flockhold FILE [sh|ex]     shared or exclusive (default ex)
 *
 * Prints "locked" on stdout once it has the lock, then sleeps.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd, op = argc > 2 && !strcmp(argv[2], "sh") ? LOCK_SH : LOCK_EX;

	if (argc < 2) {
		fprintf(stderr, "usage: flockhold FILE [sh|ex]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || flock(fd, op)) {
		perror(argv[1]);
		return 1;
	}
	printf("locked\n");
	fflush(stdout);
	for (;;)
		pause();
}
