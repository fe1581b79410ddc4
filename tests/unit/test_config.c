/*
 * test_config.c - the run's configuration from a fake environment and
 * command line (applets/config.c): precedence, the global options, the
 * common options of the applets (and the ones an applet refuses), the
 * variables read late.
 */
#include "config.h"
#include "dfw/rulespec.h"
#include "unit.h"

/* A test's environment: "NAME=VALUE" strings, NULL-ended. */
static const char *fake_env(void *arg, const char *name)
{
	const char *const *v = arg;
	size_t n = strlen(name);

	for (; *v; v++)
		if (!strncmp(*v, name, n) && (*v)[n] == '=')
			return *v + n + 1;
	return NULL;
}

/* The words of s (blank-separated) into argv; their number. */
static int words(const char *s, char *copy, size_t size, char **argv)
{
	char *p;
	int argc = 0;

	snprintf(copy, size, "%s", s);
	for (p = strtok(copy, " "); p && argc < 31; p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	return argc;
}

static void test_env(void)
{
	static const char *const env[] = { "DOCKER_HOST=tcp://h:1",
					   "DOCKER_TLS_VERIFY=1",
					   "DOCKER_CONFIG=/etc/dc",
					   "HOME=/home/u",
					   "DFW_TIMEOUT=5",
					   "DFW_CONNECT_TIMEOUT=",
					   "DFW_STATE_DIR=/s",
					   "DFW_BACKEND=nft",
					   "DFW_HOSTS=exec",
					   "XTABLES_LOCKFILE=/l",
					   "PATH=/bin",
					   "DOCKER_CERT_PATH=",
					   NULL };
	struct cli c;
	struct err e;

	config_env(&c, fake_env, (void *)env);
	check_str(c.cfg.host, "tcp://h:1");
	check(c.cfg.tls.verify && !c.cfg.tls.tls && !c.cfg.tls.given);
	/* an empty variable is one not set: DOCKER_CONFIG is next */
	check_str(c.cfg.tls.cert_dir, "/etc/dc");
	check_str(c.cfg.tls.home, "/home/u");
	/* read only where an applet takes them */
	check(!c.cfg.state_dir && !c.cfg.backend && !c.cfg.io_timeout_ms);
	check(config_finish(&c, &e) == 0);
	check(c.cfg.io_timeout_ms == 5000 && c.cfg.connect_timeout_ms == 0);
	check(c.cfg.hosts_exec);
	check_str(c.cfg.xtables_lock, "/l");
	check_str(c.cfg.path, "/bin");
	check(!c.cfg.state_dir && !c.cfg.backend);

	/* nothing set: every default */
	config_env(&c, fake_env, (void *)(const char *[]){ NULL });
	check(!c.cfg.host && !c.cfg.tls.cert_dir && !c.cfg.tls.home);
	check(config_finish(&c, &e) == 0);
	check(!c.cfg.hosts_exec && !c.cfg.xtables_lock && !c.cfg.path);
	config_env(&c, fake_env,
		   (void *)(const char *[]){ "DFW_HOSTS=file", NULL });
	check(config_finish(&c, &e) == 0 && !c.cfg.hosts_exec);

	/* bad timeouts, named */
	config_env(&c, fake_env,
		   (void *)(const char *[]){ "DFW_TIMEOUT=0", NULL });
	check(config_finish(&c, &e) == -1 && e.code == EXIT_USAGE);
	check_str(e.msg, "DFW_TIMEOUT=\"0\": not a number of seconds from 1 "
			 "to 86400");
	config_env(&c, fake_env,
		   (void *)(const char *[]){ "DFW_CONNECT_TIMEOUT=1s", NULL });
	check(config_finish(&c, &e) == -1);
	check(strstr(e.msg, "DFW_CONNECT_TIMEOUT=\"1s\"") != NULL);
}

/* The global options of s on env: "ERR: message", or "@N host=H" with
 * the index of the first word not theirs. */
static const char *globals(const char *const *env, const char *s)
{
	static char out[700], copy[512];
	char *argv[32];
	struct cli c;
	struct err e;
	int argc = words(s, copy, sizeof(copy), argv), k;

	config_env(&c, fake_env, (void *)env);
	k = config_globals(&c, argc, argv, &e);
	if (k < 0)
		snprintf(out, sizeof(out), "ERR: %s", e.msg);
	else
		snprintf(out, sizeof(out), "@%d host=%s tls=%d,%d,%u ca=%s", k,
			 c.cfg.host ? c.cfg.host : "-", c.cfg.tls.tls,
			 c.cfg.tls.verify, c.cfg.tls.given,
			 c.cfg.tls.ca ? c.cfg.tls.ca : "-");
	return out;
}

static void test_globals(void)
{
	static const char *const none[] = { NULL };
	static const char *const env[] = { "DOCKER_HOST=unix:///e.sock",
					   "DOCKER_TLS=1", NULL };

	check_str(globals(none, "--tls -Htcp://[::1]:2 web"),
		  "@2 host=tcp://[::1]:2 tls=1,0,1 ca=-");
	/* -H wins over DOCKER_HOST; without it, the variable */
	check_str(globals(env, "-H unix:///a.sock ls"),
		  "@2 host=unix:///a.sock tls=1,0,0 ca=-");
	check_str(globals(env, "ls -H unix:///b"),
		  "@0 host=unix:///e.sock tls=1,0,0 ca=-");
	check_str(globals(env, "--tls=false --tlsverify --tlscacert=/c ls"),
		  "@3 host=unix:///e.sock tls=0,1,7 ca=/c");
	/* the first word not theirs ends them: an applet's option too */
	check_str(globals(none, "--tls --state-dir /x"),
		  "@1 host=- tls=1,0,1 ca=-");
	check_str(globals(none, "--version"), "@0 host=- tls=0,0,0 ca=-");
	/* the daemon once, named as given */
	check_str(globals(none, "-H unix:///a.sock --host=tcp://h:1 web"),
		  "ERR: --host=tcp://h:1: the daemon was given twice (-H, "
		  "--host)");
	check_str(globals(none, "-H unix:///a -Hunix:///b"),
		  "ERR: -Hunix:///b: the daemon was given twice (-H, --host)");
	check_str(
		globals(none, "--host"),
		"ERR: --host needs a value (unix:///PATH or tcp://HOST:PORT)");
	check_str(globals(none, "-H ssh://x ls"),
		  "ERR: DOCKER_HOST \"ssh://x\": unknown scheme (use "
		  "unix:///PATH or tcp://HOST:PORT)");
	check_str(globals(none, "--host= ls"), "ERR: --host=: empty host");
	check_str(globals(none, "--tlscert= ls"),
		  "ERR: --tlscert: an empty file name");
	check_str(globals(none, "--tlskey"),
		  "ERR: --tlskey needs a value (a file)");
	check_str(globals(none, "--tls=yes"),
		  "ERR: --tls \"yes\": the value is true or false");
}

/* An applet's own option: records "i=v;" in arg. */
static int own_opt(void *arg, size_t i, const char *v, const char *word,
		   struct err *e)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 200 - n, "%zu=%s;", i, v ? v : "-");
	return 0;
}

/* The options of s for an applet taking the common ones of mask and
 * own[0..nown): "ERR: message" or what c->cfg holds after them. */
static const char *options(const char *const *env, unsigned mask,
			   const struct opt *own, size_t nown, const char *s)
{
	static char out[800], copy[512], rec[200];
	char *argv[32];
	struct cli c;
	struct err e;
	int argc = words(s, copy, sizeof(copy), argv), k, i;

	config_env(&c, fake_env, (void *)env);
	rec[0] = 0;
	k = config_options(&c, mask, own, nown, own_opt, rec, OPT_ARGS_ANY,
			   argc, argv, &e);
	if (k < 0) {
		snprintf(out, sizeof(out), "ERR: %s", e.msg);
		return out;
	}
	snprintf(out, sizeof(out), "dir=%s v=%d backend=%s dry=%d own=%s|",
		 c.cfg.state_dir ? c.cfg.state_dir : "-", c.cfg.verbose,
		 c.cfg.backend ? c.cfg.backend : "-", c.cfg.dry_run, rec);
	for (i = 0; i < k; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
			 i ? "," : "", argv[i]);
	return out;
}

static void test_options(void)
{
	static const char *const none[] = { NULL };
	static const char *const env[] = { "DFW_STATE_DIR=/env",
					   "DFW_BACKEND=nft", NULL };
	static const struct opt own[] = {
		{ "--paused", 0, OPT_FLAG, NULL },
		{ "--network", 0, OPT_VALUE | OPT_MANY, NULL },
	};

	check_str(options(none, CONFIG_CHANGES | CONFIG_DRY_RUN, NULL, 0,
			  "web --state-dir /s -v --backend iptc db --dry-run"),
		  "dir=/s v=1 backend=iptc dry=1 own=|web,db");
	/* the variables, where the options do not say otherwise */
	check_str(options(env, CONFIG_CHANGES, NULL, 0, "-v"),
		  "dir=/env v=1 backend=nft dry=0 own=|");
	check_str(options(env, CONFIG_CHANGES, NULL, 0,
			  "--state-dir=/o --backend=iptc"),
		  "dir=/o v=0 backend=iptc dry=0 own=|");
	/* "--backend=" is "find it", whatever DFW_BACKEND says */
	check_str(options(env, CONFIG_CHANGES, NULL, 0, "--backend="),
		  "dir=/env v=0 backend=- dry=0 own=|");
	/* an applet that takes neither does not read them */
	check_str(options(env, CONFIG_DRY_RUN, NULL, 0, "x"),
		  "dir=- v=0 backend=- dry=0 own=|x");
	check_str(options((const char *[]){ "DFW_BACKEND=foo", NULL },
			  CONFIG_STATE_DIR, NULL, 0, ""),
		  "dir=- v=0 backend=- dry=0 own=|");
	check_str(
		options((const char *[]){ "DFW_BACKEND=foo", NULL },
			CONFIG_CHANGES, NULL, 0, ""),
		"ERR: backend \"foo\": iptc (legacy iptables, libiptc) or nft "
		"(iptables-nft)");
	/* -v twice is -v; the rest once */
	check_str(options(none, CONFIG_CHANGES, NULL, 0, "-v --verbose"),
		  "dir=- v=1 backend=- dry=0 own=|");
	check_str(options(none, CONFIG_CHANGES, NULL, 0,
			  "--state-dir /a --state-dir=/b"),
		  "ERR: --state-dir given twice");
	check_str(options(none, CONFIG_CHANGES, NULL, 0, "--state-dir="),
		  "ERR: --state-dir: empty folder name");
	check_str(options(none, CONFIG_CHANGES, NULL, 0, "x --state-dir"),
		  "ERR: --state-dir needs a value (a folder)");
	check_str(options(none, CONFIG_CHANGES, NULL, 0, "--backend"),
		  "ERR: --backend needs a value (iptc or nft)");
	check_str(options(none, CONFIG_CHANGES, NULL, 0, "--backend=x"),
		  "ERR: backend \"x\": iptc (legacy iptables, libiptc) or nft "
		  "(iptables-nft)");
	/* an option the applet would ignore is refused (ls -v) */
	check_str(options(none, CONFIG_STATE_DIR, NULL, 0, "-v"),
		  "ERR: unknown option \"-v\"");
	check_str(options(none, CONFIG_STATE_DIR, NULL, 0, "--backend=nft"),
		  "ERR: unknown option \"--backend\"");
	check_str(options(none, CONFIG_CHANGES, NULL, 0, "--dry-run"),
		  "ERR: unknown option \"--dry-run\"");
	check_str(options(none, CONFIG_BACKEND, NULL, 0, "--state-dir /x"),
		  "ERR: unknown option \"--state-dir\"");
	/* the applet's own, by their index in its table */
	check_str(options(none, CONFIG_BACKEND, own, 2,
			  "--network a --paused --network=b -- --paused"),
		  "dir=- v=0 backend=- dry=0 own=1=a;0=-;1=b;|--paused");
	check_str(options(none, CONFIG_BACKEND, own, 2, "--paused --paused"),
		  "ERR: --paused given twice");
	/* a rule spec's options in an applet's table (add) */
	check_str(options(none, CONFIG_STATE_DIR, rulespec_opts, RULESPEC_NOPTS,
			  "web --source 1.2.3.4 --rev-lookup"),
		  "dir=- v=0 backend=- dry=0 own=0=1.2.3.4;7=-;|web");
}

UNIT_TESTS(T(test_env) T(test_globals) T(test_options))
