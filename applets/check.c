/*
 * check.c - says whether the whitelist holds, changing nothing: one
 * line per finding (what, where, how to fix), exit 0 when it holds, 1
 * when it does not, 3 when it cannot tell (core/check.c finds them).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "dfw/applet.h"
#include "dfw/check.h"

struct check_opts {
	int quiet;
	int kv;
};

static const struct opt check_opts[] = {
	{ "--quiet", 'q', OPT_FLAG, NULL },
	{ "--format", 0, OPT_VALUE, "text or kv" },
};

static int check_opt(void *arg, size_t i, const char *v, const char *word,
		     struct err *e)
{
	struct check_opts *o = arg;

	if (i == 0) {
		o->quiet = 1;
		return 0;
	}
	if (!strcmp(v, "kv"))
		o->kv = 1;
	else if (strcmp(v, "text"))
		return err_set(e, EXIT_USAGE,
			       "--format \"%s\": the format is text or kv", v);
	return 0;
}

/* One finding as a line for people. */
static void text_line(const struct check_finding *f)
{
	const char *fam = f->family == AF_INET6 ? "ip6" : "ip";

	printf("%s%s", f->note ? "note: " : "", f->kind);
	if (*f->chain)
		printf(" (%s %s)", fam, f->chain);
	else if (*f->container)
		printf(" (%s)", f->container);
	printf(": %s", f->what);
	if (*f->change)
		printf(" [%s]", f->change);
	if (*f->fix)
		printf("; fix: %s", f->fix);
	putchar('\n');
}

int check_main(int argc, char **argv, struct cli *cli)
{
	struct check_opts o = { 0, 0 };
	struct check_report r = { 0 };
	struct buf b = { 0 };
	struct engine g;
	struct err e;
	size_t i;
	int rc;

	if (config_options(cli, CONFIG_STATE_DIR | CONFIG_BACKEND, check_opts,
			   2, check_opt, &o, OPT_ARGS_NONE, argc - 1, argv + 1,
			   &e) < 0)
		return usage_fail(&e);
	cli->cfg.dry_run = 1; /* nothing is changed, nothing locked */
	if (applet_open(&g, cli, ENGINE_STORE_READ, &e))
		return fail(&e);
	if (check_run(&g, &r, &e)) {
		char m[sizeof(e.msg)];

		snprintf(m, sizeof(m), "%s", e.msg);
		err_set(&e, EXIT_RUNTIME,
			"cannot tell whether the whitelist "
			"holds: %s",
			m);
		rc = fail(&e);
		goto out;
	}
	rc = r.nfail ? EXIT_NO : EXIT_DONE;
	for (i = 0; i < r.n && !o.quiet; i++) {
		if (!o.kv) {
			text_line(&r.v[i]);
			continue;
		}
		b.len = 0;
		if (check_kv(&r.v[i], &b)) {
			err_set(&e, EXIT_RUNTIME, "out of memory");
			rc = fail(&e);
			goto out;
		}
		printf("%s\n", b.data);
	}
	if (o.kv && !o.quiet)
		printf("result=%s findings=%zu notes=%zu backend=%s "
		       "layout=%s\n",
		       r.nfail ? "broken" : "holds", r.nfail, r.n - r.nfail,
		       g.be.ops ? g.be.ops->name : "-",
		       *g.be.layout ? g.be.layout : "-");
	if (fflush(stdout))
		rc = EXIT_RUNTIME;
	if (r.nfail && !o.quiet && !o.kv)
		fprintf(stderr,
			"%s: the whitelist does not hold: %zu finding%s\n",
			applet_name, r.nfail, r.nfail > 1 ? "s" : "");
out:
	buf_free(&b);
	check_report_free(&r);
	engine_free(&g);
	return rc;
}
