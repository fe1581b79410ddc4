/* test_opt.c - the one option parser. */
#include "unit.h"

#include "dfw/opt.h"

enum { SRC, DRY, TLS, NET, VERB };

static const struct opt tab[] = {
	[SRC] = { "--source", 's', OPT_VALUE, "an address spec" },
	[DRY] = { "--dry-run", 0, OPT_FLAG, NULL },
	[TLS] = { "--tls", 0, OPT_BOOL, NULL },
	[NET] = { "--network", 0, OPT_VALUE | OPT_MANY, NULL },
	[VERB] = { "--verbose", 'v', OPT_FLAG, NULL },
};
#define N (sizeof(tab) / sizeof(tab[0]))

/* Records "i=v;" per call. */
static int rec(void *arg, size_t i, const char *v, const char *word,
	       struct err *e)
{
	char *out = arg;
	size_t len = strlen(out);

	if (!strcmp(word, "-s1.2.3.4") || !strcmp(word, "--source=x"))
		snprintf(out + len, 256 - len, "(%s)", word);
	len = strlen(out);
	snprintf(out + len, 256 - len, "%zu=%s;", i, v ? v : "-");
	if (v && !strcmp(v, "bad"))
		return err_set(e, EXIT_USAGE, "%s \"bad\": no", tab[i].name);
	return 0;
}

/* Parses the words of s (split at blanks) and returns the record, or
 * "ERR: message"; positional arguments after "|". */
static const char *run(const char *s, enum opt_args args)
{
	static char out[512], copy[256];
	char *argv[32], *p;
	struct err e;
	int argc = 0, k, i;

	snprintf(copy, sizeof(copy), "%s", s);
	for (p = strtok(copy, " "); p && argc < 31; p = strtok(NULL, " "))
		argv[argc++] = p;
	out[0] = 0;
	k = opt_parse(tab, N, args, argc, argv, rec, out, NULL, &e);
	if (k < 0) {
		snprintf(out, sizeof(out), "ERR: %.400s", e.msg);
		return out;
	}
	if (args == OPT_ARGS_FIRST) {
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "@%d",
			 k);
		return out;
	}
	strcat(out, "|");
	for (i = 0; i < k; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
			 i ? "," : "", argv[i]);
	return out;
}

static void test_forms(void)
{
	check_str(run("--source 1.2.3.4", OPT_ARGS_NONE), "0=1.2.3.4;|");
	check_str(run("--source=1.2.3.4", OPT_ARGS_NONE), "0=1.2.3.4;|");
	check_str(run("-s 1.2.3.4", OPT_ARGS_NONE), "0=1.2.3.4;|");
	check_str(run("-s1.2.3.4", OPT_ARGS_NONE), "(-s1.2.3.4)0=1.2.3.4;|");
	check_str(run("--source=x", OPT_ARGS_NONE), "(--source=x)0=x;|");
	check_str(run("--source=", OPT_ARGS_NONE), "0=;|");
	/* a value option takes the next word whatever it is */
	check_str(run("--source --dry-run", OPT_ARGS_NONE), "0=--dry-run;|");
	check_str(run("--dry-run -v", OPT_ARGS_NONE), "1=-;4=-;|");
	check_str(run("--tls", OPT_ARGS_NONE), "2=1;|");
	check_str(run("--tls=false --network a --network b", OPT_ARGS_NONE),
		  "2=0;3=a;3=b;|");
	check_str(run("--tls=0", OPT_ARGS_NONE), "2=0;|");
}

static void test_errors(void)
{
	check_str(run("--bogus", OPT_ARGS_NONE),
		  "ERR: unknown option \"--bogus\"");
	check_str(run("--bogus=1", OPT_ARGS_NONE),
		  "ERR: unknown option \"--bogus\"");
	check_str(run("-x", OPT_ARGS_NONE), "ERR: unknown option \"-x\"");
	/* no abbreviations, no bundling */
	check_str(run("--sour 1", OPT_ARGS_NONE),
		  "ERR: unknown option \"--sour\"");
	check_str(run("-vs", OPT_ARGS_NONE), "ERR: unknown option \"-vs\"");
	check_str(run("--source", OPT_ARGS_NONE),
		  "ERR: --source needs a value (an address spec)");
	check_str(run("-s", OPT_ARGS_NONE),
		  "ERR: --source needs a value (an address spec)");
	check_str(run("--source a -s b", OPT_ARGS_NONE),
		  "ERR: --source given twice");
	check_str(run("-v --verbose", OPT_ARGS_NONE),
		  "ERR: --verbose given twice");
	check_str(run("--dry-run=1", OPT_ARGS_NONE),
		  "ERR: --dry-run takes no value");
	check_str(run("--tls=yes", OPT_ARGS_NONE),
		  "ERR: --tls \"yes\": the value is true or false");
	check_str(run("--dry-run --", OPT_ARGS_NONE),
		  "ERR: unknown option \"--\"");
	check_str(run("web", OPT_ARGS_NONE),
		  "ERR: unexpected argument \"web\"");
	check_str(run("--source bad", OPT_ARGS_NONE),
		  "ERR: --source \"bad\": no");
}

static void test_args(void)
{
	check_str(run("web --dry-run db", OPT_ARGS_ANY), "1=-;|web,db");
	check_str(run("- -s 1", OPT_ARGS_ANY), "0=1;|-");
	check_str(run("--dry-run -- -v x", OPT_ARGS_ANY), "1=-;|-v,x");
	check_str(run("", OPT_ARGS_ANY), "|");
	/* global options stop at the action */
	check_str(run("--tls -s h ls -v", OPT_ARGS_FIRST), "2=1;0=h;@3");
	check_str(run("--tls", OPT_ARGS_FIRST), "2=1;@1");
	check_str(run("ls", OPT_ARGS_FIRST), "@0");
	/* an option not theirs ends them too: the next parser's */
	check_str(run("--tls --bogus -s h", OPT_ARGS_FIRST), "2=1;@1");
	check_str(run("-s h -x", OPT_ARGS_FIRST), "0=h;@2");
	check_str(run("-- -s h", OPT_ARGS_FIRST), "@0");
	/* but a bad use of one of theirs is an error */
	check_str(run("--tls=yes ls", OPT_ARGS_FIRST),
		  "ERR: --tls \"yes\": the value is true or false");
	check_str(run("-s", OPT_ARGS_FIRST),
		  "ERR: --source needs a value (an address spec)");
}

static void test_seen_find(void)
{
	char *argv[] = { "-v", "--network", "x", NULL };
	unsigned seen;
	struct err e;

	check(opt_parse(tab, N, OPT_ARGS_NONE, 3, argv, NULL, NULL, &seen,
			&e) == 0);
	check(seen == (1u << VERB | 1u << NET));
	check(opt_find(tab, N, "-v") == VERB);
	check(opt_find(tab, N, "--verbose") == VERB);
	check(opt_find(tab, N, "--tls") == TLS);
	check(opt_find(tab, N, "-t") == -1);
	check(opt_find(tab, N, "--verb") == -1);
}

UNIT_TESTS(T(test_forms) T(test_errors) T(test_args) T(test_seen_find))
