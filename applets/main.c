/*
 * main.c - the multi-call dispatcher.
 *
 * `docker-fw ACTION ARGS...` and `dfw-ACTION ARGS...` (a symlink; the
 * basename of argv[0]) reach the same applet. Only this file and applets/
 * decide exit codes.
 */
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dfw/applet.h"
#include "dfw/tls.h"
#include "dfw/transport.h"
#include "dfw/util.h"

#ifndef DFW_VERSION
#define DFW_VERSION "unknown"
#endif

#define APPLET(name, c, usage, help) \
	int c##_main(int argc, char **argv, struct cli *cli);
#include "applets.h"
#undef APPLET

const struct applet applet_table[] = {
#define APPLET(name, c, usage, help) { name, c##_main, usage, help },
#include "applets.h"
#undef APPLET
	{ NULL, NULL, NULL, NULL },
};

static void list_applets(FILE *f)
{
	const struct applet *a;

	fputs("Usage: docker-fw ACTION [ARGS]...\n"
	      "   or: dfw-ACTION [ARGS]...\n"
	      "   or: docker-fw --install DIR | --help | --version\n"
	      "\n"
	      "Global options, before ACTION (or first after dfw-ACTION):\n"
	      "  -H, --host URL   the Docker daemon: unix:///PATH or "
	      "tcp://HOST:PORT\n"
	      "                   (default $DOCKER_HOST, else "
	      "unix:///var/run/docker.sock)\n"
	      "  --tlsverify      TLS, checking the daemon against the CA "
	      "(DOCKER_TLS_VERIFY)\n"
	      "  --tls            TLS without checking the daemon "
	      "(DOCKER_TLS)\n"
	      "  --tlscacert FILE, --tlscert FILE, --tlskey FILE\n"
	      "                   default $DOCKER_CERT_PATH/{ca,cert,key}.pem,"
	      " else ~/.docker\n"
	      "\n"
	      "Keeps a strict, whitelisting firewall on a Docker host: "
	      "forwarding ends in\nDROP and only the flows asked for are "
	      "opened, and re-opened with fresh\naddresses when "
	      "containers start again.\n\n",
	      f);
	if (!applet_table[0].name) {
		fputs("This build has no actions.\n", f);
		return;
	}
	fputs("Actions:\n", f);
	for (a = applet_table; a->name; a++)
		fprintf(f, "  %-16s %s\n", a->name, a->usage);
	fputs("\nRun `docker-fw ACTION --help` for the help of one action.\n",
	      f);
}

/* The applet runs under the name it was called by: "dfw-add" through
 * the link, "docker-fw add" through the dispatcher; messages and the
 * usage line say that name. */
static int run(const struct applet *a, int argc, char **argv, int link,
	       struct cli *cli)
{
	static char name[64];
	int i, help = argc > 1 && !strcmp(argv[1], "-h");

	snprintf(name, sizeof(name), "%s%s", link ? "dfw-" : "docker-fw ",
		 a->name);
	applet_name = name;

	/* --help anywhere (no option value of ours is "--help") */
	for (i = 1; i < argc && !help; i++)
		help = !strcmp(argv[i], "--help");
	if (help) {
		printf("Usage: %s %s\n\n%s", name, a->usage, a->help);
		return fflush(stdout) ? EXIT_RUNTIME : EXIT_DONE;
	}
	return a->main(argc, argv, cli);
}

static int install(const char *dir)
{
	char self[4096];
	struct err e;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0 || n == (ssize_t)sizeof(self) - 1) {
		fprintf(stderr, "docker-fw: --install: cannot find the path "
				"of this binary through /proc/self/exe\n");
		return EXIT_RUNTIME;
	}
	self[n] = 0;
	if (applet_install(applet_table, dir, self, &e) < 0) {
		fprintf(stderr, "docker-fw: --install: %s\n", e.msg);
		return e.code;
	}
	return EXIT_DONE;
}

/* TLS that does not check the daemon's certificate is said once; so
 * are TLS options given for a unix:// daemon, where they do nothing (the
 * DOCKER_TLS* variables are ignored there without a word, as the docker
 * CLI does). */
static void tls_warning(const struct cli *c, const char *who)
{
	struct tls_conf o;
	struct endpoint ep;
	struct err e;

	if (tls_conf_get(&c->cfg.tls, &o, &e) ||
	    endpoint_parse(c->cfg.host, &ep, &e))
		return;
	if (ep.kind == ENDPOINT_TCP && o.tls && !o.verify)
		fprintf(stderr,
			"%s: warning: TLS without --tlsverify: the "
			"daemon's certificate is not verified\n",
			who);
	if (ep.kind != ENDPOINT_TCP && c->cfg.tls.given)
		fprintf(stderr,
			"%s: warning: TLS options (--tls, --tlsverify, "
			"--tlscacert, --tlscert, --tlskey) are for a tcp:// "
			"daemon; %s is reached without TLS\n",
			who, ep.url);
}

static const char *sys_getenv(void *arg, const char *name)
{
	return getenv(name);
}

/* Global options come first: dfw-ACTION [-H URL] ARGS..., or
 * docker-fw [-H URL] ACTION ARGS... The applet sees argv[0] and the rest. */
static int globals(struct cli *c, int *argc, char ***argv, const char *who)
{
	struct err e;
	int i;

	config_env(c, sys_getenv, NULL);
	i = config_globals(c, *argc - 1, *argv + 1, &e);
	if (i < 0) {
		char m[sizeof(e.msg) * 4];

		fprintf(stderr, "%s: %s\n", who,
			str_escape_n(m, sizeof(m), e.msg, strlen(e.msg), 0));
		return -1;
	}
	tls_warning(c, who);
	(*argv)[i] = (*argv)[0];
	*argv += i;
	*argc -= i;
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = applet_basename(argc > 0 ? argv[0] : "docker-fw");
	const struct applet *a;
	struct cli cli;

	if (argc < 1)
		return EXIT_USAGE;
	signal(SIGPIPE, SIG_IGN);
	if (!strncmp(base, "dfw-", 4)) {
		a = applet_find(applet_table, base + 4);
		if (!a) {
			fprintf(stderr, "docker-fw: unknown applet \"%s\"\n",
				base + 4);
			return EXIT_UNKNOWN;
		}
		if (globals(&cli, &argc, &argv, base))
			return EXIT_USAGE;
		return run(a, argc, argv, 1, &cli);
	}
	if (globals(&cli, &argc, &argv, "docker-fw"))
		return EXIT_USAGE;
	if (argc < 2) {
		list_applets(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		list_applets(stdout);
		return fflush(stdout) ? EXIT_RUNTIME : EXIT_DONE;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("docker-fw %s\n", DFW_VERSION);
		return fflush(stdout) ? EXIT_RUNTIME : EXIT_DONE;
	}
	if (!strcmp(argv[1], "--install")) {
		if (argc != 3) {
			fprintf(stderr, "docker-fw: --install needs one "
					"argument, a directory\n");
			return EXIT_USAGE;
		}
		return install(argv[2]);
	}
	a = applet_find(applet_table, argv[1]);
	if (!a && argv[1][0] == '-') {
		fprintf(stderr,
			"docker-fw: unknown option \"%s\"; "
			"`docker-fw --help` lists the options\n",
			argv[1]);
		return EXIT_USAGE;
	}
	if (!a) {
		fprintf(stderr,
			"docker-fw: unknown applet \"%s\"; "
			"`docker-fw --help` lists them\n",
			argv[1]);
		return EXIT_UNKNOWN;
	}
	return run(a, argc - 1, argv + 1, 0, &cli);
}
