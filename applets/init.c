/*
 * init.c - prepares the filter table: docker-fw's chains and jumps, the
 * FORWARD policy DROP, and for each bridge network Docker's catch-all
 * jump to DOCKER removed and intra-bridge traffic ended in DROP, so that
 * only the flows docker-fw opens reach a container. Idempotent.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

static const struct opt init_opts[] = {
	{ "--network", 0, OPT_VALUE | OPT_MANY, "a network name or ID" },
};

static int init_opt(void *arg, size_t i, const char *v, const char *word,
		    struct err *e)
{
	if (!*v)
		return err_set(e, EXIT_USAGE, "--network: empty name");
	if (strv_add(arg, v, strlen(v)))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

int init_main(int argc, char **argv, struct cli *cli)
{
	struct strv nets = { 0 };
	struct engine g;
	struct err e;
	int rc;

	if (config_options(cli, CONFIG_BACKEND | CONFIG_DRY_RUN, init_opts, 1,
			   init_opt, &nets, OPT_ARGS_NONE, argc - 1, argv + 1,
			   &e) < 0) {
		strv_free(&nets);
		return usage_fail(&e);
	}
	if (applet_open(&g, cli, 0, &e)) {
		strv_free(&nets);
		return fail(&e);
	}
	rc = engine_setup(&g, &nets, &e);
	strv_free(&nets);
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
