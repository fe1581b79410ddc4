/*
 * rusage.c - runs a command and reports its wall time, CPU time and peak
 * RSS, for tests/bench.sh, on stderr:
 *
 *	wall_us=N maxrss_kib=N self_kib=N cpu_us=N self_cpu_us=N
 *
 * wall_us: from before fork to after the command was reaped (CLOCK_
 * MONOTONIC). maxrss_kib and cpu_us come from wait4 on the command,
 * which Linux fills for the child and the descendants it reaped
 * (wait_task_zombie asks getrusage(RUSAGE_BOTH)): maxrss_kib is the
 * largest peak RSS of any one process of that tree, not a sum; cpu_us
 * is the user and system time of them all. self_kib and self_cpu_us are
 * the command's own: VmHWM of /proc/PID/status and the first field of
 * /proc/PID/schedstat (time on a CPU, ns; one thread) read at its exit,
 * at a PTRACE_O_TRACEEXIT stop, where its memory is still mapped. The
 * command is traced for nothing else: its children are not traced, its
 * signals are passed on as they come. -1 when one could not be read. The
 * command's exit status is passed on (128 + N for signal N). With -o FILE
 * the line is appended to FILE instead, so that stderr is the command's.
 *
 *	rusage [-o FILE] CMD [ARGS...]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* VmHWM of pid in KiB, or -1. */
static long hwm(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Time on a CPU of pid's thread, in microseconds, or -1. */
static long long oncpu(pid_t pid)
{
	unsigned long long ns;
	char path[64];
	long long us = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%llu", &ns) == 1)
		us = (long long)(ns / 1000);
	fclose(f);
	return us;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	FILE *report = stderr;
	long self = -1;
	long long self_cpu = -1;
	int status, sig, execd = 0;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "-o")) {
		report = fopen(argv[2], "ae");
		if (!report) {
			perror(argv[2]);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: rusage [-o FILE] CMD [ARGS...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("rusage: fork");
		return 2;
	}
	if (!pid) {
		/* stops with SIGTRAP once the exec succeeded */
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
			perror("rusage: ptrace (no self_kib)");
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	for (;;) {
		if (wait4(pid, &status, 0, &ru) < 0) {
			if (errno == EINTR)
				continue;
			perror("rusage: wait4");
			return 2;
		}
		if (!WIFSTOPPED(status))
			break;
		sig = WSTOPSIG(status);
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			self = hwm(pid);
			self_cpu = oncpu(pid);
			sig = 0;
		} else if (status >> 8 ==
			   (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
			sig = 0; /* it ran another program */
		} else if (sig == SIGTRAP && !execd) {
			/* the exec: from now on, stop at its exit (and at
			 * an exec, instead of a SIGTRAP) */
			ptrace(PTRACE_SETOPTIONS, pid, 0,
			       PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC |
				       PTRACE_O_EXITKILL);
			execd = 1;
			sig = 0;
		}
		if (ptrace(PTRACE_CONT, pid, 0, sig) < 0 && errno != ESRCH) {
			perror("rusage: ptrace");
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(report,
		"wall_us=%lld maxrss_kib=%ld self_kib=%ld cpu_us=%lld "
		"self_cpu_us=%lld\n",
		(long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
			(t1.tv_nsec - t0.tv_nsec) / 1000,
		ru.ru_maxrss, self,
		(long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
			ru.ru_utime.tv_usec + ru.ru_stime.tv_usec,
		self_cpu);
	if (fclose(report)) {
		perror("rusage: the report");
		return 2;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
