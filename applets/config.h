/*
 * config.h (applets) - the run's configuration (dfw/config.h) made from
 * this process's environment and command line: the one place that reads
 * either. main.c reads the environment and the global options, each
 * applet its own options, all through opt.c.
 *
 * Precedence, as README "Reaching the Docker daemon" says: an option
 * wins over its variable (-H over DOCKER_HOST, --state-dir over
 * DFW_STATE_DIR, --backend over DFW_BACKEND, --tls and --tlsverify over
 * DOCKER_TLS and DOCKER_TLS_VERIFY); an empty variable is one not set.
 */
#ifndef DFW_APPLETS_CONFIG_H
#define DFW_APPLETS_CONFIG_H

#include "dfw/config.h"
#include "dfw/opt.h"

/* The variables docker-fw reads, as text (NULL: not set). */
struct config_env {
	const char *docker_host;       /* DOCKER_HOST */
	const char *docker_tls;	       /* DOCKER_TLS */
	const char *docker_tls_verify; /* DOCKER_TLS_VERIFY */
	const char *docker_cert_path;  /* DOCKER_CERT_PATH */
	const char *docker_config;     /* DOCKER_CONFIG */
	const char *home;	       /* HOME */
	const char *timeout;	       /* DFW_TIMEOUT */
	const char *connect_timeout;   /* DFW_CONNECT_TIMEOUT */
	const char *state_dir;	       /* DFW_STATE_DIR */
	const char *backend;	       /* DFW_BACKEND */
	const char *hosts;	       /* DFW_HOSTS */
	const char *xtables_lock;      /* XTABLES_LOCKFILE */
	const char *path;	       /* PATH */
	const char *fail_commit;       /* DFW_TEST_FAIL_COMMIT: "4", "6"
					 * or "again", tests only */
	const char *trace_stamp;       /* DFW_TEST_STAMP: replay says what
					* its stamp did; "stop": and stops
					* before its mark (tests) */
};

/* What main.c hands an applet: the configuration as far as the
 * environment and the global options made it, and the environment. */
struct cli {
	struct dfw_config cfg;
	struct config_env env;
};

/* Looks a variable up: its value, or NULL. getenv(3) in main.c; a table
 * in the unit tests. */
typedef const char *config_getenv_fn(void *arg, const char *name);

/*
 * Starts c from the environment that get (with arg) gives: the Docker
 * daemon (DOCKER_HOST) and TLS (DOCKER_TLS, DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH, else DOCKER_CONFIG; HOME), which the global options
 * may change; the rest is kept as text for config_options and
 * config_finish. Checks nothing: an applet that does not use a variable
 * does not look at it.
 */
void config_env(struct cli *c, config_getenv_fn *get, void *arg);

/*
 * The global options at argv[0..argc) (argv[0] is an argument like any
 * other), up to the first argument that is not one: -H/--host URL (the
 * daemon, as DOCKER_HOST; checked now, given once), --tls[=BOOL],
 * --tlsverify[=BOOL], --tlscacert FILE, --tlscert FILE, --tlskey FILE.
 * Returns the index of that argument (argc when there is none), or -1
 * with e set (EXIT_USAGE).
 */
int config_globals(struct cli *c, int argc, char **argv, struct err *e);

/* The options every applet that takes them reads the same way. */
enum {
	CONFIG_STATE_DIR = 1, /* --state-dir DIR */
	CONFIG_VERBOSE = 2,   /* -v, --verbose */
	CONFIG_BACKEND = 4,   /* --backend iptc|nft ($DFW_BACKEND checked) */
	CONFIG_DRY_RUN = 8,   /* --dry-run */
};
/* The common options of the applets that change the table. */
#define CONFIG_CHANGES (CONFIG_STATE_DIR | CONFIG_VERBOSE | CONFIG_BACKEND)

/*
 * An applet's options at argv[0..argc): the common ones of the mask
 * common, into c->cfg, and own[0..nown), for fn (with arg, its index in
 * own). Anything else is refused ("unknown option"): an option an
 * applet would ignore is an error. A common option not given takes its
 * variable (DFW_STATE_DIR, DFW_BACKEND); with CONFIG_BACKEND the backend
 * said is checked. args as opt_parse takes it; returns what opt_parse
 * returns, or -1 with e set (EXIT_USAGE).
 */
int config_options(struct cli *c, unsigned common, const struct opt *own,
		   size_t nown, opt_fn *fn, void *arg, enum opt_args args,
		   int argc, char **argv, struct err *e);

/*
 * The rest of the environment, for an applet about to run: the timeouts
 * (DFW_TIMEOUT, DFW_CONNECT_TIMEOUT: checked), DFW_HOSTS,
 * XTABLES_LOCKFILE, PATH. 0, or -1 with e set (EXIT_USAGE naming the
 * variable).
 */
int config_finish(struct cli *c, struct err *e);

#endif
