/*
 * init.c - prepares the filter table: docker-fw's chains and jumps, the
 * FORWARD policy DROP, and for each bridge network Docker's catch-all
 * jump to DOCKER removed and intra-bridge traffic ended in DROP, so that
 * only the flows docker-fw opens reach a container. Idempotent.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

int init_main(int argc, char **argv)
{
	struct strv nets = { 0 };
	struct engine_opts o;
	struct engine g;
	struct err e;
	int i, rc;

	argc = engine_opts(argc, argv, 1, &o, &e);
	if (argc < 0)
		return fail(&e);
	for (i = 1; i < argc; i++) {
		const char *v = NULL;

		if (!strcmp(argv[i], "--network") && i + 1 < argc)
			v = argv[++i];
		else if (!strncmp(argv[i], "--network=", 10))
			v = argv[i] + 10;
		else if (!strcmp(argv[i], "--network"))
			return usage_error("--network needs a value");
		else
			return usage_error("unknown argument \"%s\"", argv[i]);
		if (!*v || strv_add(&nets, v, strlen(v)))
			return usage_error("--network: empty name");
	}
	if (engine_init(&g, &o, &e)) {
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
	if (!g.nchanges)
		printf("# nothing to change\n");
	rc = o.dry_run && engine_pending(&g) ? EXIT_NO : EXIT_DONE;
	engine_free(&g);
	return fflush(stdout) ? EXIT_RUNTIME : rc;
}
