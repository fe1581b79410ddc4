/*
 * config.c (applets) - the run's configuration from the environment and
 * the command line (config.h); nothing else in the tree reads either.
 */
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

#include "config.h"
#include "dfw/fw.h"
#include "dfw/transport.h"

/* A variable that is empty is one not set. */
static const char *var(config_getenv_fn *get, void *arg, const char *name)
{
	const char *v = get(arg, name);

	return v && *v ? v : NULL;
}

void config_env(struct cli *c, config_getenv_fn *get, void *arg)
{
	struct config_env *v = &c->env;

	memset(c, 0, sizeof(*c));
	config_init(&c->cfg);
	v->docker_host = var(get, arg, "DOCKER_HOST");
	v->docker_tls = var(get, arg, "DOCKER_TLS");
	v->docker_tls_verify = var(get, arg, "DOCKER_TLS_VERIFY");
	v->docker_cert_path = var(get, arg, "DOCKER_CERT_PATH");
	v->docker_config = var(get, arg, "DOCKER_CONFIG");
	v->home = var(get, arg, "HOME");
	v->timeout = var(get, arg, "DFW_TIMEOUT");
	v->connect_timeout = var(get, arg, "DFW_CONNECT_TIMEOUT");
	v->state_dir = var(get, arg, "DFW_STATE_DIR");
	v->backend = var(get, arg, "DFW_BACKEND");
	v->hosts = var(get, arg, "DFW_HOSTS");
	v->xtables_lock = var(get, arg, "XTABLES_LOCKFILE");
	v->path = var(get, arg, "PATH");
	v->fail_commit = var(get, arg, "DFW_TEST_FAIL_COMMIT");
	v->trace_stamp = var(get, arg, "DFW_TEST_STAMP");
	/* what the options may say otherwise */
	c->cfg.host = v->docker_host;
	c->cfg.tls.tls = !!v->docker_tls;
	c->cfg.tls.verify = !!v->docker_tls_verify;
	c->cfg.tls.cert_dir = v->docker_cert_path ? v->docker_cert_path :
						    v->docker_config;
	c->cfg.tls.home = v->home;
}

/* ---- global options ---------------------------------------------------- */

enum { G_HOST, G_TLS, G_TLSVERIFY, G_TLSCACERT, G_TLSCERT, G_TLSKEY, G_N };

static const struct opt globals[G_N] = {
	[G_HOST] = { "--host", 'H', OPT_VALUE | OPT_MANY,
		     "unix:///PATH or tcp://HOST:PORT" },
	[G_TLS] = { "--tls", 0, OPT_BOOL, NULL },
	[G_TLSVERIFY] = { "--tlsverify", 0, OPT_BOOL, NULL },
	[G_TLSCACERT] = { "--tlscacert", 0, OPT_VALUE, "a file" },
	[G_TLSCERT] = { "--tlscert", 0, OPT_VALUE, "a file" },
	[G_TLSKEY] = { "--tlskey", 0, OPT_VALUE, "a file" },
};

struct globals_run {
	struct cli *c;
	int host; /* -H seen */
};

static int global(void *arg, size_t i, const char *v, const char *word,
		  struct err *e)
{
	struct globals_run *g = arg;
	struct dfw_config_tls *t = &g->c->cfg.tls;
	struct endpoint ep;

	switch (i) {
	case G_HOST:
		/* the daemon once: a second -H is an error, not "the last
		 * wins" */
		if (g->host++)
			return err_set(e, EXIT_USAGE,
				       "%s: the daemon was given "
				       "twice (-H, --host)",
				       word);
		if (!*v)
			return err_set(e, EXIT_USAGE, "%s: empty host", word);
		if (endpoint_parse(v, &ep, e))
			return -1;
		g->c->cfg.host = v;
		return 0;
	case G_TLS:
		t->tls = *v == '1';
		t->given |= CONFIG_TLS;
		return 0;
	case G_TLSVERIFY:
		t->verify = *v == '1';
		t->given |= CONFIG_TLSVERIFY;
		return 0;
	}
	if (!*v || strlen(v) >= PATH_MAX)
		return err_set(e, EXIT_USAGE, "%s: %s file name",
			       globals[i].name, *v ? "a too long" : "an empty");
	*(i == G_TLSCACERT ? &t->ca : i == G_TLSCERT ? &t->cert : &t->key) = v;
	t->given |= i == G_TLSCACERT ? CONFIG_TLSCACERT :
		    i == G_TLSCERT   ? CONFIG_TLSCERT :
				       CONFIG_TLSKEY;
	return 0;
}

int config_globals(struct cli *c, int argc, char **argv, struct err *e)
{
	struct globals_run g = { c, 0 };

	return opt_parse(globals, G_N, OPT_ARGS_FIRST, argc, argv, global, &g,
			 NULL, e);
}

/* ---- an applet's options ----------------------------------------------- */

static const struct {
	unsigned bit;
	struct opt o;
} commons[] = {
	{ CONFIG_STATE_DIR, { "--state-dir", 0, OPT_VALUE, "a folder" } },
	{ CONFIG_VERBOSE, { "--verbose", 'v', OPT_FLAG | OPT_MANY, NULL } },
	{ CONFIG_BACKEND, { "--backend", 0, OPT_VALUE, "iptc or nft" } },
	{ CONFIG_DRY_RUN, { "--dry-run", 0, OPT_FLAG | OPT_MANY, NULL } },
};
#define NCOMMONS (sizeof(commons) / sizeof(commons[0]))
#define OPTS_MAX 32 /* a table: the common options and own */

struct options_run {
	struct cli *c;
	unsigned which[NCOMMONS]; /* the bit of table entry i */
	size_t ncommon;
	opt_fn *fn;
	void *arg;
};

static int option(void *arg, size_t i, const char *v, const char *word,
		  struct err *e)
{
	struct options_run *r = arg;
	struct dfw_config *cfg = &r->c->cfg;

	if (i >= r->ncommon)
		return r->fn ? r->fn(r->arg, i - r->ncommon, v, word, e) : 0;
	switch (r->which[i]) {
	case CONFIG_STATE_DIR:
		if (!*v)
			return err_set(e, EXIT_USAGE,
				       "--state-dir: empty "
				       "folder name");
		cfg->state_dir = v;
		break;
	case CONFIG_VERBOSE:
		cfg->verbose = 1;
		break;
	case CONFIG_BACKEND:
		cfg->backend = v;
		break;
	case CONFIG_DRY_RUN:
		cfg->dry_run = 1;
		break;
	}
	return 0;
}

int config_options(struct cli *c, unsigned common, const struct opt *own,
		   size_t nown, opt_fn *fn, void *arg, enum opt_args args,
		   int argc, char **argv, struct err *e)
{
	struct options_run r = { c, { 0 }, 0, fn, arg };
	struct opt tab[OPTS_MAX];
	size_t i;
	int k;

	if (nown > OPTS_MAX - NCOMMONS)
		return err_set(e, EXIT_RUNTIME,
			       "an option table of %zu "
			       "entries",
			       nown);
	for (i = 0; i < NCOMMONS; i++)
		if (common & commons[i].bit) {
			r.which[r.ncommon] = commons[i].bit;
			tab[r.ncommon++] = commons[i].o;
		}
	for (i = 0; i < nown; i++)
		tab[r.ncommon + i] = own[i];
	/* the variables the options would say otherwise */
	if (common & CONFIG_STATE_DIR)
		c->cfg.state_dir = c->env.state_dir;
	if (common & CONFIG_BACKEND)
		c->cfg.backend = c->env.backend;
	k = opt_parse(tab, r.ncommon + nown, args, argc, argv, option, &r, NULL,
		      e);
	if (k < 0 || !(common & CONFIG_BACKEND))
		return k;
	/* "--backend=" (empty) is "find it", whatever DFW_BACKEND says */
	if (c->cfg.backend && !*c->cfg.backend)
		c->cfg.backend = NULL;
	if (c->cfg.backend && config_backend_check(c->cfg.backend, e))
		return -1;
	return k;
}

int config_finish(struct cli *c, struct err *e)
{
	struct dfw_config *cfg = &c->cfg;

	if (config_seconds("DFW_TIMEOUT", c->env.timeout, &cfg->io_timeout_ms,
			   e) ||
	    config_seconds("DFW_CONNECT_TIMEOUT", c->env.connect_timeout,
			   &cfg->connect_timeout_ms, e))
		return -1;
	cfg->hosts_exec = c->env.hosts && !strcmp(c->env.hosts, "exec");
	cfg->xtables_lock = c->env.xtables_lock;
	cfg->path = c->env.path;
	/* a test's fault: the commit of one family's table fails; or
	 * (again) the first legacy commit is refused as a changed table */
	cfg->trace_stamp = c->env.trace_stamp && *c->env.trace_stamp;
	cfg->stop_at_mark = cfg->trace_stamp &&
			    !strcmp(c->env.trace_stamp, "stop");
	if (c->env.fail_commit)
		cfg->fail_commit = !strcmp(c->env.fail_commit, "6") ?
					   AF_INET6 :
				   !strcmp(c->env.fail_commit, "4") ?
					   AF_INET :
				   !strcmp(c->env.fail_commit, "again") ?
					   FW_FAIL_AGAIN :
					   0;
	return 0;
}
