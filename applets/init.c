/*
 * init.c - makes the conditions the whitelist relies on true (engine.h,
 * engine_setup): docker-fw's chains and jumps first, the FORWARD policy
 * DROP, for each bridge network Docker's catch-all jump to DOCKER removed,
 * intra-bridge and (unless --to-host open) container -> host traffic
 * ended in DROP, bridge netfilter on; so that only the flows docker-fw
 * opens reach a container. Says what it changed. Idempotent.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

static const struct opt init_opts[] = {
	{ "--network", 0, OPT_VALUE | OPT_MANY, "a network name or ID" },
	{ "--to-host", 0, OPT_VALUE, "open or closed" },
};

struct init_args {
	struct strv nets;
	int to_host;
};

static int init_opt(void *arg, size_t i, const char *v, const char *word,
		    struct err *e)
{
	struct init_args *a = arg;

	if (i == 1) {
		if (!strcmp(v, "open"))
			a->to_host = ENGINE_HOST_OPEN;
		else if (!strcmp(v, "closed"))
			a->to_host = ENGINE_HOST_CLOSED;
		else
			return err_set(e, EXIT_USAGE,
				       "--to-host \"%s\": open or closed", v);
		return 0;
	}
	arg = &a->nets;
	if (!*v)
		return err_set(e, EXIT_USAGE, "--network: empty name");
	if (strv_add(arg, v, strlen(v)))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

int init_main(int argc, char **argv, struct cli *cli)
{
	struct init_args a = { { 0 }, 0 };
	struct strv *nets = &a.nets;
	struct engine g;
	struct err e;
	int rc;

	if (config_options(cli,
			   CONFIG_BACKEND | CONFIG_STATE_DIR | CONFIG_DRY_RUN,
			   init_opts, 2, init_opt, &a, OPT_ARGS_NONE, argc - 1,
			   argv + 1, &e) < 0) {
		strv_free(nets);
		return usage_fail(&e);
	}
	/* the store keeps init's choices (settings.h) */
	if (applet_open(&g, cli, ENGINE_STORE, &e)) {
		strv_free(nets);
		return fail(&e);
	}
	g.to_host = a.to_host;
	rc = engine_setup(&g, nets, &e);
	strv_free(nets);
	if (rc) {
		engine_free(&g);
		return fail(&e);
	}
	engine_print_backend(&g, stdout);
	engine_print_changes(&g, stdout);
	if (!engine_pending(&g))
		printf("# nothing to change\n");
	rc = cli->cfg.dry_run && engine_pending(&g) ? EXIT_NO : EXIT_DONE;
	engine_free(&g);
	return fflush(stdout) ? EXIT_RUNTIME : rc;
}
