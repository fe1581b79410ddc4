/* common.c - what the applets share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dfw/applet.h"

int fail(const struct err *e)
{
	char m[sizeof(e->msg) * 4];

	/* no control character reaches the terminal, whatever a daemon
	 * or a user gave (util.h, str_escape_n) */
	fprintf(stderr, "%s: %s\n", applet_name,
		str_escape_n(m, sizeof(m), e->msg, strlen(e->msg), 0));
	return e->code ? e->code : EXIT_RUNTIME;
}

/* The usage line of the running applet, after its message. */
static int usage_line(void)
{
	const char *name = applet_name;
	const struct applet *a;

	/* "dfw-add" or "docker-fw add" */
	a = applet_find(applet_table, !strncmp(name, "dfw-", 4) ? name + 4 :
				      !strncmp(name, "docker-fw ", 10) ?
								  name + 10 :
								  "");
	if (a)
		fprintf(stderr, "\nUsage: %s %s\n", name, a->usage);
	else
		fputc('\n', stderr);
	return EXIT_USAGE;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", applet_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	return usage_line();
}

int usage_fail(const struct err *e)
{
	char m[sizeof(e->msg) * 4];

	if (e->code != EXIT_USAGE)
		return fail(e);
	fprintf(stderr, "%s: %s", applet_name,
		str_escape_n(m, sizeof(m), e->msg, strlen(e->msg), 0));
	return usage_line();
}

int applet_open(struct engine *g, struct cli *c, unsigned what, struct err *e)
{
	if (config_finish(c, e))
		return -1;
	return engine_init(g, &c->cfg, what, e);
}

void print_warnings(const struct engine *g)
{
	char m[2048];
	size_t i;

	for (i = 0; i < g->warnings.n; i++)
		fprintf(stderr, "%s: warning: %s\n", applet_name,
			str_escape_n(m, sizeof(m), g->warnings.v[i],
				     strlen(g->warnings.v[i]), 0));
}

void report_print(const struct engine *g, const struct dfw_config *o,
		  const struct strv *notes)
{
	size_t i;

	print_warnings(g);
	for (i = 0; notes && i < notes->n; i++)
		fprintf(stderr, "%s: %s\n", applet_name, notes->v[i]);
	if (o->verbose)
		engine_print_backend(g, stderr);
	if (o->dry_run || o->verbose)
		engine_print_changes(g, stdout);
}

int report_code(const struct engine *g, const struct dfw_config *o, int partial,
		const struct err *e)
{
	/* a dry run says no when the table would change, and when a
	 * stored rule cannot be applied (the topology changed) */
	int rc = o->dry_run && (engine_pending(g) || g->unplaced) ? EXIT_NO :
								    EXIT_DONE;

	if (fflush(stdout))
		rc = EXIT_RUNTIME;
	if (partial) /* applied but for the hosts entries e names */
		rc = fail(e);
	return rc;
}
