/*
 * apitool - drives the Docker client of core/ from the e2e tests.
 *
 *	apitool [-H URL] ping | list | networks | inspect NAME... | start|pause|
 *	        unpause ID | exec ID CMD... | events N [FILTERS]
 *
 * Prints the fields in a stable "key=value" form that the tests compare
 * with `docker inspect -f`. Exit 0, or the error's exit code with the
 * message on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "dfw/docker.h"

static void print_ports(const char *what, const struct docker_port *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s=%u/%s %s:%u\n", what, p[i].port, p[i].proto,
		       p[i].host_ip, p[i].host_port);
}

static void print_strv(const char *what, const struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		printf("%s=%s\n", what, s->v[i]);
}

static int inspect(struct docker *d, const char *name, struct err *e)
{
	struct docker_container c;
	size_t i;

	if (docker_inspect(d, name, &c, e))
		return -1;
	printf("id=%s\nname=%s\nrunning=%d\npaused=%d\nhosts_path=%s\n"
	       "network_mode=%s\nrestart=%s:%d\n",
	       c.id, c.name, c.running, c.paused, c.hosts_path, c.network_mode,
	       c.restart_policy, c.restart_max);
	for (i = 0; i < c.nnets; i++)
		printf("net=%s %s/%d gw=%s id=%.12s ip6=%s\n", c.nets[i].name,
		       c.nets[i].ip, c.nets[i].prefix, c.nets[i].gateway,
		       c.nets[i].network_id, c.nets[i].ip6);
	print_ports("port", c.ports, c.nports);
	print_ports("binding", c.bindings, c.nbindings);
	print_strv("link", &c.links);
	print_strv("volumes_from", &c.volumes_from);
	print_strv("extra_host", &c.extra_hosts);
	print_strv("dns", &c.dns);
	docker_container_free(&c);
	return 0;
}

struct evcount {
	int left;
};

static int on_event(void *arg, const struct docker_event *ev)
{
	struct evcount *n = arg;

	printf("%s %s %s\n", ev->type, ev->action, ev->name);
	fflush(stdout);
	return --n->left <= 0;
}

static int run(struct docker *d, int argc, char **argv, struct err *e)
{
	const char *cmd = argv[1];
	size_t i, n;
	int k;

	if (!strcmp(cmd, "ping")) {
		if (docker_ping(d, e))
			return -1;
		printf("api=1.%d\n", d->api);
	} else if (!strcmp(cmd, "list")) {
		struct docker_summary *v;

		if (docker_list(d, &v, &n, e))
			return -1;
		for (i = 0; i < n; i++)
			printf("%s %s %s\n", v[i].name, v[i].state, v[i].id);
		free(v);
	} else if (!strcmp(cmd, "networks")) {
		struct docker_network *v;
		size_t j;

		if (docker_networks(d, &v, &n, e))
			return -1;
		for (i = 0; i < n; i++) {
			printf("%s driver=%s bridge=%s internal=%d ipv6=%d",
			       v[i].name, v[i].driver, v[i].bridge,
			       v[i].internal, v[i].ipv6);
			for (j = 0; j < v[i].nsubnets; j++)
				printf(" subnet=%s gw=%s",
				       v[i].subnets[j].subnet,
				       v[i].subnets[j].gateway);
			printf("\n");
		}
		free(v);
	} else if (!strcmp(cmd, "inspect")) {
		for (k = 2; k < argc; k++)
			if (inspect(d, argv[k], e))
				return -1;
	} else if (!strcmp(cmd, "start") || !strcmp(cmd, "pause") ||
		   !strcmp(cmd, "unpause")) {
		if (argc != 3 || docker_container_action(d, argv[2], cmd, e))
			return argc != 3 ? err_set(e, 2, "usage") : -1;
	} else if (!strcmp(cmd, "exec") && argc > 3) {
		struct buf out = { 0 }, er = { 0 };
		int code;

		if (docker_exec(d, argv[2], (const char *const *)argv + 3, &out,
				&er, 1 << 20, &code, e))
			return -1;
		printf("stdout=%s\nstderr=%s\ncode=%d\n",
		       out.data ? out.data : "", er.data ? er.data : "", code);
		buf_free(&out);
		buf_free(&er);
	} else if (!strcmp(cmd, "events") && argc >= 3) {
		struct evcount c = { atoi(argv[2]) };

		if (docker_events(d, argc > 3 ? argv[3] : NULL, on_event, &c,
				  e))
			return -1;
	} else {
		return err_set(e, 2, "unknown command \"%s\"", cmd);
	}
	return 0;
}

static const char *sys_getenv(void *arg, const char *name)
{
	return getenv(name);
}

int main(int argc, char **argv)
{
	struct docker d;
	struct err e = { 0 };
	struct cli cli;
	int r, i;

	/* the environment and the global options, as docker-fw reads them */
	config_env(&cli, sys_getenv, NULL);
	i = config_globals(&cli, argc - 1, argv + 1, &e);
	if (i < 0) {
		fprintf(stderr, "apitool: %s\n", e.msg);
		return e.code;
	}
	argv[i] = argv[0];
	argv += i;
	argc -= i;
	if (argc < 2) {
		fprintf(stderr, "usage: apitool COMMAND [ARGS]...\n");
		return 2;
	}
	if (config_finish(&cli, &e) || docker_init(&d, &cli.cfg, &e)) {
		fprintf(stderr, "apitool: %s\n", e.msg);
		return e.code;
	}
	if (getenv("APITOOL_TIMEOUT_MS"))
		d.io_timeout_ms = atoi(getenv("APITOOL_TIMEOUT_MS"));
	r = run(&d, argc, argv, &e);
	docker_close(&d);
	if (getenv("APITOOL_RUSAGE")) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr, "maxrss_kib=%ld\n", ru.ru_maxrss);
	}
	if (r) {
		fprintf(stderr, "apitool: %s\n", e.msg);
		return e.code ? e.code : 3;
	}
	return fflush(stdout) ? 3 : 0;
}
