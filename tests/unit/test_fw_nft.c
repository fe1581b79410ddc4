/*
 * The backends against the real kernel: fw_nft_canon against the real
 * iptables-nft, in a network namespace of its own (may_write 0: the
 * live table is never written); then both backends reading and writing
 * tables in network namespaces this process moves into (unshare), one
 * fresh namespace per test, never the one it was started in. Needs root
 * and iptables-nft/-legacy; without them each test says so and passes
 * (fails under CI=true).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dfw/docker.h" /* struct strv */
#include "dfw/fw.h"
#include "unit.h"

/* A rule spec's part plus filter words (fw_split of filter). */
/* Where the kernel side finds its lock and tools (fw.h): the xtables
 * lock and PATH of the tools this test runs too. */
static char lock_path[96];
static struct fw_env fwenv;

static const struct fw_env *env(void)
{
	fwenv.path = getenv("PATH");
	fwenv.lock = *lock_path ? lock_path : NULL;
	return &fwenv;
}

static struct fw_rule want(int family, const char *src, const char *dst,
			   int dport, const char *filter)
{
	struct strv w = { 0 };
	struct fw_rule r;
	struct err e;

	memset(&r, 0, sizeof(r));
	r.family = family;
	check(fw_addr_parse(src, family, r.src, r.smsk) == 0);
	check(fw_addr_parse(dst, family, r.dst, r.dmsk) == 0);
	r.proto = IPPROTO_TCP;
	r.dport = (uint16_t)dport;
	check(fw_set_comment(&r, "docker-fw web 0123456789ab") == 0);
	strcpy(r.target, "DOCKER"); /* no such chain in the probe */
	fw_split(filter, &w);
	check(fw_rule_filter(&r, w.v, w.n, 1, &e) == 0);
	strv_free(&w);
	return r;
}

/* 1 when a probe can run here; else prints why (under CI=true, a
 * missing prerequisite fails, as in the e2e tests). */
static int can_probe(void)
{
	const char *ci = getenv("CI");
	struct fw_probe p;
	struct err e;

	if (geteuid()) {
		printf("# not root: no probe\n");
		check(!ci || strcmp(ci, "true"));
		return 0;
	}
	memset(&p, 0, sizeof(p));
	p.rule = want(AF_INET, "10.0.0.1", "10.0.0.2", 80, "-m limit");
	if (fw_nft_canon(env(), AF_INET, &p, 1, 0, &e)) {
		printf("# no probe here: %s\n", e.msg);
		check(!ci || strcmp(ci, "true"));
		return 0;
	}
	return 1;
}

static const char *fmt(const struct fw_rule *r)
{
	static struct buf b;

	b.len = 0;
	check(fw_rule_format(r, &b) == 0);
	return b.data;
}

static void test_canon_batch(void)
{
	static const char *const filters[] = {
		"-m limit --limit 5/s",
		"-p tcp --syn",
		"-m nosuchmatch",
		"-m limit --limit x",
		"-m multiport --sports 1:1023 -m iprange --src-range "
		"10.0.0.1-10.0.0.9",
		"-m conntrack --ctstate new",
	};
	struct fw_probe p[6];
	struct err e;
	size_t i;

	if (!can_probe())
		return;
	memset(p, 0, sizeof(p));
	for (i = 0; i < 6; i++)
		p[i].rule = want(AF_INET, "10.0.0.1", "172.17.0.2", 80,
				 filters[i]);
	check(fw_nft_canon(env(), AF_INET, p, 6, 0, &e) == 0);
	check(!p[0].failed && !p[1].failed && !p[4].failed && !p[5].failed);
	check_str(fmt(&p[0].rule),
		  "-s 10.0.0.1/32 -d 172.17.0.2/32 -p tcp "
		  "-m tcp --dport 80 -m limit --limit 5/sec -m comment "
		  "--comment \"docker-fw web 0123456789ab\" -j DOCKER");
	check_str(p[1].rule.extra, "-m tcp --tcp-flags FIN,SYN,RST,ACK SYN");
	check(p[1].rule.dport == 80);
	check(p[2].failed && strstr(p[2].why, "nosuchmatch"));
	check(p[3].failed && strstr(p[3].why, "bad rate"));
	check_str(p[4].rule.extra, "-m multiport --sports 1:1023 -m iprange "
				   "--src-range 10.0.0.1-10.0.0.9");
	/* iptables takes "new" and shows NEW: a state docker-fw models */
	check(p[5].rule.ctstate == FW_CT_NEW && !p[5].rule.extra);
	for (i = 0; i < 6; i++)
		if (!p[i].failed) {
			check(fw_extra_known(p[i].rule.extra));
			check_str(p[i].rule.target, "DOCKER");
		}
}

static void test_canon_v6(void)
{
	struct fw_probe p;
	struct err e;

	if (!can_probe())
		return;
	memset(&p, 0, sizeof(p));
	p.rule = want(AF_INET6, "2001:db8::1", "fd00::/64", 443,
		      "-m limit --limit 10/m");
	if (fw_nft_canon(env(), AF_INET6, &p, 1, 0, &e)) {
		printf("# no ip6tables-nft probe: %s\n", e.msg);
		return;
	}
	check(!p.failed);
	check_str(fmt(&p.rule),
		  "-s 2001:db8::1/128 -d fd00::/64 -p tcp -m "
		  "tcp --dport 443 -m limit --limit 10/min -m comment "
		  "--comment \"docker-fw web 0123456789ab\" -j DOCKER");
}

/* ---- both backends in namespaces of their own ----------------------- */

static char scratch[64]; /* a folder for the lock and fake tools */

static void scratch_rm(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/xtables.lock", scratch);
	unlink(path);
	snprintf(path, sizeof(path), "%s/iptables-nft-save", scratch);
	unlink(path);
	rmdir(scratch);
}

/* Moves this process into a new network namespace, with an xtables lock
 * of its own; 1, or 0 (why said; a failure under CI=true). */
static int fresh_netns(void)
{
	const char *ci = getenv("CI");
	char lock[96];

	if (geteuid() || unshare(CLONE_NEWNET)) {
		printf("# no network namespace of our own: %s\n",
		       geteuid() ? "not root" : strerror(errno));
		check(!ci || strcmp(ci, "true"));
		return 0;
	}
	if (!*scratch) {
		snprintf(scratch, sizeof(scratch), "/tmp/dfwunit.XXXXXX");
		check(mkdtemp(scratch) != NULL);
		atexit(scratch_rm);
	}
	snprintf(lock, sizeof(lock), "%s/xtables.lock", scratch);
	setenv("XTABLES_LOCKFILE", lock, 1); /* the tools run here */
	snprintf(lock_path, sizeof(lock_path), "%s", lock);
	return 1;
}

/* Runs argv (NULL-terminated, found through PATH), stdin from in (NULL:
 * none); its exit status. */
static int run_in(const char *in, const char *arg0, ...)
{
	const char *argv[32];
	int pfd[2], status, n = 0;
	va_list ap;
	pid_t pid;

	va_start(ap, arg0);
	argv[n++] = arg0;
	while (n < 31 && (argv[n] = va_arg(ap, const char *)))
		n++;
	argv[n] = NULL;
	va_end(ap);
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(pfd[0], 0);
		close(pfd[0]);
		close(pfd[1]);
		execvp(arg0, (char *const *)argv);
		_exit(127);
	}
	close(pfd[0]);
	if (in && write(pfd[1], in, strlen(in)) < 0)
		status = -1;
	close(pfd[1]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* What a tool prints (its stdout), malloc'd, "" on failure. */
static char *output(const char *tool, const char *arg)
{
	char cmd[256], *out = calloc(1, 1 << 20);
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s 2>/dev/null | grep -v '^#'", tool,
		 arg);
	p = popen(cmd, "r");
	if (p && out)
		n = fread(out, 1, (1 << 20) - 1, p);
	if (p)
		pclose(p);
	if (out)
		out[n] = 0;
	return out;
}

/* The family roundtrip and refused write (AF_INET or AF_INET6). */
static int fam = AF_INET;

static struct fw_rule own_rule(const char *comment, const char *in,
			       const char *out)
{
	struct fw_rule r;

	memset(&r, 0, sizeof(r));
	r.family = fam;
	check(fw_addr_parse(fam == AF_INET6 ? "fd00:30::2" : "10.0.0.1", fam,
			    r.src, r.smsk) == 0);
	r.proto = IPPROTO_TCP;
	r.dport = 80;
	check(fw_set_comment(&r, comment) == 0);
	snprintf(r.in, sizeof(r.in), "%s", in);
	snprintf(r.out, sizeof(r.out), "%s", out);
	strcpy(r.target, "ACCEPT");
	return r;
}

static struct fw_change insert(const char *chain, const struct fw_rule *r)
{
	struct fw_change c;

	memset(&c, 0, sizeof(c));
	c.op = FW_INSERT;
	snprintf(c.chain, sizeof(c.chain), "%s", chain);
	c.pos = 1;
	c.rule = *r;
	return c;
}

/* Values that need quoting written by each backend (into DFW-FORWARD,
 * which is there) and read back by it: the same rule, and iptables shows
 * the values as they are. */
static void roundtrip(const struct fw_ops *ops, const char *save)
{
	static const struct {
		const char *comment, *in, *out;
	} v[] = {
		{ "docker-fw a\"b\\c'd e 0123456789ab", "q\"br", "\"br" },
		{ "docker-fw init", "br\\x", "a#b" },
		{ "# x -j DROP", "it's", "@x" },
	};
	struct fw_change c[4];
	struct fw_chain *ch;
	struct fw f;
	struct err e = { 0, "" };
	char *text;
	size_t i;

	memset(c, 0, sizeof(c));
	for (i = 0; i < 3; i++) {
		struct fw_rule r = own_rule(v[i].comment, v[i].in, v[i].out);

		c[i + 1] = insert(FW_CHAIN_FORWARD, &r);
	}
	{
		char whole[FW_COMMENT_MAX + 1];
		size_t len = strlen(c[3].rule.comment);

		memcpy(whole, c[3].rule.comment, len);
		memset(whole + len, 'c', FW_COMMENT_MAX - len);
		whole[FW_COMMENT_MAX] = 0; /* all of xt_comment */
		check(fw_set_comment(&c[3].rule, whole) == 0);
	}
	if (fw_open(&f, ops, env(), fam, "filter", &e)) {
		printf("# %s: %s\n", ops->name, e.msg);
		check(0);
		return;
	}
	check(fw_commit(&f, c + 1, 3, &e) == 0);
	if (e.code)
		printf("# %s\n", e.msg);
	fw_close(&f);
	check(fw_open(&f, ops, env(), fam, "filter", &e) == 0);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch && ch->n == 3);
	for (i = 0; ch && i < 3 && i < ch->n; i++)
		check(fw_rule_equal(&ch->rules[i], &c[3 - i].rule));
	fw_close(&f);
	text = output(save, "-t filter");
	check(strstr(text, "-i q\"br -o \"br") != NULL);
	check(strstr(text, "--comment \"docker-fw a\\\"b\\\\c") != NULL);
	free(text);
	/* deleted by their text, as the nft backend deletes */
	for (i = 1; i < 4; i++) {
		c[i].op = FW_DELETE;
		c[i].pos = 1;
	}
	check(fw_open(&f, ops, env(), fam, "filter", &e) == 0);
	check(fw_commit(&f, c + 1, 3, &e) == 0);
	fw_close(&f);
	check(fw_open(&f, ops, env(), fam, "filter", &e) == 0);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch && ch->n == 0);
	fw_close(&f);
}

static void count_release(void *arg)
{
	++*(int *)arg;
}

/* A change that may not be written stops the whole commit, naming the
 * value escaped; the table is as it was. */
static void refused(const struct fw_ops *ops, const char *save)
{
	static const struct {
		const char *comment, *in, *named;
	} v[] = {
		{ "docker-fw x\n-A INPUT -j DROP\n# 0123456789ab", "",
		  "comment \"docker-fw x\\n-A INPUT -j DROP\\n#" },
		{ "", "x\n-F\n#", "-i \"x\\n-F\\n#\"" },
		{ "", "a b", "-i \"a b\"" },
		{ "esc\x1b]0;x\x07", "", "comment \"esc\\x1b]0;x\\x07\"" },
	};
	struct fw_rule good = own_rule("docker-fw web 0123456789ab", "", "");
	struct fw_change c[2];
	int calls = 0;
	struct fw f;
	struct err e;
	char *before, *after;
	size_t i;

	before = output(save, "-t filter");
	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		struct fw_rule bad = own_rule(v[i].comment, v[i].in, "");

		c[0] = insert(FW_CHAIN_FORWARD, &good);
		c[1] = insert(FW_CHAIN_FORWARD, &bad);
		if (fw_open(&f, ops, env(), fam, "filter", &e)) {
			check(0);
			continue;
		}
		/* refused before the kernel's part: nothing let go */
		f.release = count_release;
		f.release_arg = &calls;
		check(fw_commit(&f, c, 2, &e) == -1);
		check(!calls && f.release);
		check(e.code == EXIT_RUNTIME && strstr(e.msg, v[i].named) &&
		      strstr(e.msg, "nothing changed"));
		if (!strstr(e.msg, v[i].named))
			printf("# %s\n", e.msg);
		check(!strchr(e.msg, '\n') && !strchr(e.msg, '\x1b'));
		fw_close(&f);
	}
	/* a target longer than the kernel's name, a chain with a blank */
	strcpy(good.target, "ABCDEFGHIJKLMNOPQRSTUVWXYZABC");
	c[0] = insert(FW_CHAIN_FORWARD, &good);
	check(fw_open(&f, ops, env(), fam, "filter", &e) == 0);
	check(fw_commit(&f, c, 1, &e) == -1 && strstr(e.msg, "target"));
	fw_close(&f);
	strcpy(good.target, "ACCEPT");
	c[0] = insert("DFW FORWARD", &good);
	check(fw_open(&f, ops, env(), fam, "filter", &e) == 0);
	check(fw_commit(&f, c, 1, &e) == -1 && strstr(e.msg, "chain"));
	fw_close(&f);
	after = output(save, "-t filter");
	check_str(after, before);
	free(before);
	free(after);
}

/* struct fw's release in a test: frees the changes the commit was given
 * (ASan then sees any later read of them) and counts its calls. */
struct released {
	struct fw_change **c;
	int calls;
};

static void release_changes(void *arg)
{
	struct released *r = arg;

	free(*r->c);
	*r->c = NULL;
	r->calls++;
}

/* Whether every chain of f was let go (fw_let_go). */
static int all_shed(const struct fw *f)
{
	size_t i;

	for (i = 0; i < f->nchains; i++)
		if (!f->chains[i].shed || f->chains[i].rules || f->chains[i].n)
			return 0;
	return 1;
}

/*
 * The nf_tables reader: values iptables-nft-save prints raw (`q"br`)
 * read as they are; a comment holding a newline (iptables takes it, and
 * prints it over two lines), anywhere but docker-fw's own chains, is a
 * foreign rule in its place, and the rules after it are read; in
 * DFW-FORWARD it is an error quoting the line escaped.
 */
static void test_nft_reader(void)
{
	struct fw_chain *ch;
	struct fw f;
	struct err e;

	if (!fresh_netns())
		return;
	check(run_in("*filter\n:DOCKER-USER - [0:0]\n:DFW-FORWARD - [0:0]\n"
		     "-A FORWARD -i \"q\\\"br\" -o \"q\\\"br\" -j ACCEPT\n"
		     "COMMIT\n",
		     "iptables-nft-restore", "--noflush", NULL) == 0);
	check(run_in(NULL, "iptables-nft", "-A", "FORWARD", "-m", "comment",
		     "--comment",
		     "x\n-A DFW-FORWARD -j ACCEPT -m comment "
		     "--comment \"docker-fw a 0123456789ab",
		     "-j", "ACCEPT", NULL) == 0);
	check(run_in(NULL, "iptables-nft", "-A", "FORWARD", "-m", "comment",
		     "--comment", "a\"b\\", "-j", "DROP", NULL) == 0);
	/* a quote that never closes in iptables-save's eyes */
	check(run_in(NULL, "iptables-nft", "-A", "DOCKER-USER", "-i", "\"br",
		     "-j", "RETURN", NULL) == 0);
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	ch = fw_chain(&f, "FORWARD");
	check(ch && ch->n == 3);
	if (ch && ch->n == 3) {
		check(!ch->rules[0].foreign);
		check_str(ch->rules[0].in, "q\"br");
		check(ch->rules[1].foreign);
		check(!ch->rules[2].foreign);
		check_str(fw_comment(&ch->rules[2]), "a\"b\\");
	}
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch && ch->n == 0); /* no rule smuggled in */
	ch = fw_chain(&f, "DOCKER-USER");
	check(ch && ch->n == 1 && !ch->rules[0].foreign);
	if (ch && ch->n == 1)
		check_str(ch->rules[0].in, "\"br");
	fw_close(&f);
	check(run_in(NULL, "iptables-nft", "-A", FW_CHAIN_FORWARD, "-m",
		     "comment", "--comment", "a\nb", "-j", "ACCEPT",
		     NULL) == 0);
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == -1);
	check(strstr(e.msg, "rule 1 of DFW-FORWARD") &&
	      strstr(e.msg, "\"-A DFW-FORWARD -m comment --comment "
			    "\\\"a\\nb\\\" -j ACCEPT\"") &&
	      strstr(e.msg, "iptables-nft -D DFW-FORWARD 1"));
	check(!strchr(e.msg, '\n'));
	printf("# %s\n", e.msg);
	/* the way out it names */
	check(run_in(NULL, "iptables-nft", "-D", FW_CHAIN_FORWARD, "1", NULL) ==
	      0);
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	fw_close(&f);
}

static void test_nft_writer(void)
{
	if (!fresh_netns())
		return;
	check(run_in("*filter\n:DFW-FORWARD - [0:0]\nCOMMIT\n",
		     "iptables-nft-restore", "--noflush", NULL) == 0);
	roundtrip(&fw_nft_ops, "iptables-nft-save");
	refused(&fw_nft_ops, "iptables-nft-save");
}

/* m rules of owner a, then m of owner b, in DFW-FORWARD (restore
 * text); rule i (0-based) of owner o from 10.o.i/256.i%256. */
#define MANY 300
static void many_rules(struct buf *b, int m)
{
	int o, i;

	check(buf_adds(b, "*filter\n:DFW-FORWARD - [0:0]\n") == 0);
	for (o = 1; o <= 2; o++)
		for (i = 0; i < m; i++)
			check(buf_printf(b,
					 "-A DFW-FORWARD -s 10.%d.%d.%d/32 -p "
					 "tcp -m tcp --dport 80 -m comment "
					 "--comment \"docker-fw %c "
					 "0123456789ab\" -j ACCEPT\n",
					 o, i / 256, i % 256,
					 o == 1 ? 'a' : 'b') == 0);
	check(buf_adds(b, "COMMIT\n") == 0);
}

/* The rules [from, to) of ch deleted as the planner does (bottom up,
 * recorded with their positions), into c; *n changes. */
static void delete_range(struct fw_chain *ch, size_t from, size_t to,
			 struct fw_change *c, size_t *n)
{
	size_t j;

	for (j = to; j-- > from;) {
		memset(&c[*n], 0, sizeof(c[*n]));
		c[*n].op = FW_DELETE;
		snprintf(c[*n].chain, sizeof(c[*n].chain), "%s", ch->name);
		c[*n].pos = (unsigned)j + 1;
		c[*n].rule = ch->rules[j];
		(*n)++;
	}
	memmove(&ch->rules[from], &ch->rules[to],
		(ch->n - to) * sizeof(*ch->rules));
	ch->n -= to - from;
}

/* DFW-FORWARD as iptables-nft-save shows it now: its -A lines. */
static char *forward_lines(void)
{
	return output("iptables-nft-save -t filter | grep -- '^-A DFW-FORWARD'"
		      " #",
		      "");
}

/*
 * #18: the nf_tables commit is linear in the rules. Deleting the rules
 * behind others (owner b's, each found by iptables-nft after all of a's)
 * writes DFW-FORWARD whole when the plan left f as the table will be
 * (planned); deleting the first ones (found at once, top down) and a
 * few inserts keeps the changes, deletions top down; without planned,
 * or with a rule docker-fw cannot write back, never whole. Each time
 * the kernel's chain is what the changes say.
 */
static void test_nft_many(void)
{
	struct fw_change *c = calloc(2 * MANY + 8, sizeof(*c)), *cc;
	struct released rel = { NULL, 0 };
	struct buf b = { 0 }, t = { 0 };
	struct fw_chain *ch;
	char *before, *after, *p;
	struct fw f;
	struct err e;
	size_t n = 0, i;

	if (!fresh_netns() || !c) {
		free(c);
		return;
	}
	many_rules(&b, MANY);
	check(run_in(b.data, "iptables-nft-restore", NULL) == 0);
	before = forward_lines();
	/* b's rules go: written whole */
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch && ch->n == 2 * MANY);
	delete_range(ch, MANY, 2 * MANY, c, &n);
	f.planned = 1;
	check(fw_nft_commit_text(&f, c, n, &t, &e) == 0);
	check(t.data && strstr(t.data, ":DFW-FORWARD - [0:0]\n") &&
	      !strstr(t.data, "-D "));
	f.planned = 0; /* not known: the changes, top down */
	t.len = 0;
	check(fw_nft_commit_text(&f, c, n, &t, &e) == 0);
	check(t.data && !strstr(t.data, ":DFW-FORWARD") &&
	      (p = strstr(t.data, "-D DFW-FORWARD -s 10.2.0.0/32 ")) &&
	      strstr(p, "-D DFW-FORWARD -s 10.2.0.1/32 "));
	f.planned = 1;
	ch->rules[0].foreign = 1; /* one docker-fw cannot write back */
	t.len = 0;
	check(fw_nft_commit_text(&f, c, n, &t, &e) == 0);
	check(t.data && !strstr(t.data, ":DFW-FORWARD"));
	ch->rules[0].foreign = 0;
	/* the text written, the changes and the rules go (#18) */
	cc = malloc(n * sizeof(*cc));
	check(cc != NULL);
	if (cc)
		memcpy(cc, c, n * sizeof(*cc));
	rel.c = &cc;
	f.release = release_changes;
	f.release_arg = &rel;
	check(cc && fw_commit(&f, cc, n, &e) == 0);
	check(rel.calls == 1 && !cc && all_shed(&f));
	fw_close(&f);
	after = forward_lines();
	/* a's lines are the first half of before's, as they were */
	p = before;
	for (i = 0; i < MANY && p; i++)
		p = strchr(p + 1, '\n');
	check(p && strlen(after) == (size_t)(p + 1 - before) &&
	      !strncmp(after, before, strlen(after)));
	free(before);
	free(after);

	/* back to both owners; a's rules go, three inserted at the top */
	check(run_in(b.data, "iptables-nft-restore", NULL) == 0);
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch && ch->n == 2 * MANY);
	n = 0;
	f.planned = 1;
	delete_range(ch, 0, MANY, c, &n);
	for (i = 0; i < 3; i++) {
		struct fw_rule r = own_rule("docker-fw c 0123456789ab", "", "");

		r.dport = (uint16_t)(81 + i);
		c[n] = insert(FW_CHAIN_FORWARD, &r);
		c[n].pos = (unsigned)i + 1;
		memmove(&ch->rules[i + 1], &ch->rules[i],
			(ch->n - i) * sizeof(*ch->rules));
		ch->rules[i] = r;
		ch->n++;
		n++;
	}
	t.len = 0;
	check(fw_nft_commit_text(&f, c, n, &t, &e) == 0);
	check(t.data && !strstr(t.data, ":DFW-FORWARD") &&
	      (p = strstr(t.data, "-D DFW-FORWARD -s 10.1.0.0/32 ")) &&
	      (p = strstr(p, "-D DFW-FORWARD -s 10.1.0.1/32 ")) &&
	      strstr(p, "-I DFW-FORWARD 1 "));
	check(fw_commit(&f, c, n, &e) == 0);
	fw_close(&f);
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch && ch->n == MANY + 3);
	for (i = 0; ch && i < MANY + 3 && i < ch->n; i++)
		check(i < 3 ? ch->rules[i].dport == 81 + i :
			      !strncmp(fw_comment(&ch->rules[i]), "docker-fw b",
				       11));
	fw_close(&f);
	buf_free(&b);
	buf_free(&t);
	free(c);
}

/*
 * #18: the commit's text goes into iptables-nft-restore's pipe as it is
 * made, never held whole. A chain written whole with a rule docker-fw
 * may not write, past the first pieces of the text (about 64 KiB each):
 * the child is killed before its input ends, nothing changed, nothing
 * let go; the same with the rule right is committed, in pieces, and let
 * go once the text is written.
 */
#define STREAM_MANY 1500
static void test_nft_stream(void)
{
	struct fw_change *c = calloc(2 * STREAM_MANY + 1, sizeof(*c));
	struct released rel = { NULL, 0 };
	struct buf b = { 0 }, t = { 0 };
	struct fw_chain *ch;
	const char *good;
	char *before, *after, *p;
	struct fw f;
	struct err e;
	size_t n = 0, i;

	if (!fresh_netns() || !c) {
		free(c);
		return;
	}
	many_rules(&b, STREAM_MANY);
	check(run_in(b.data, "iptables-nft-restore", NULL) == 0);
	before = forward_lines();
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch && ch->n == 2 * STREAM_MANY);
	if (!ch) {
		fw_close(&f);
		goto out;
	}
	delete_range(ch, STREAM_MANY, 2 * STREAM_MANY, c, &n);
	f.planned = 1;
	check(fw_nft_commit_text(&f, c, n, &t, &e) == 0);
	check(t.data && strstr(t.data, ":DFW-FORWARD - [0:0]\n") &&
	      t.len > 2 * 65536);
	/* the last rule of the chain written whole may not be written */
	good = ch->rules[ch->n - 1].comment;
	check(fw_set_comment(&ch->rules[ch->n - 1],
			     "docker-fw a\n-A INPUT -j DROP") == 0);
	f.release = count_release;
	f.release_arg = &rel.calls;
	check(fw_commit(&f, c, n, &e) == -1);
	check(e.code == EXIT_RUNTIME && strstr(e.msg, "nothing changed") &&
	      strstr(e.msg, "comment"));
	printf("# %s\n", e.msg);
	check(!rel.calls && f.release);
	after = forward_lines();
	check_str(after, before);
	free(after);
	/* right again: committed in pieces, then let go */
	ch->rules[ch->n - 1].comment = good;
	rel.calls = 0;
	check(fw_commit(&f, c, n, &e) == 0);
	check(rel.calls == 1 && all_shed(&f) && !f.release);
	fw_close(&f);
	after = forward_lines();
	/* a's lines are the first half of before's, as they were */
	p = before;
	for (i = 0; i < STREAM_MANY && p; i++)
		p = strchr(p + 1, '\n');
	check(p && strlen(after) == (size_t)(p + 1 - before) &&
	      !strncmp(after, before, strlen(after)));
	free(after);
out:
	free(before);
	buf_free(&b);
	buf_free(&t);
	free(c);
}

/* 2 * IPTC_MANY rules of two owners a, b in DFW-FORWARD (legacy) */
#define IPTC_MANY 2000
static void iptc_many_rules(void)
{
	struct buf b = { 0 };

	many_rules(&b, IPTC_MANY);
	check(run_in(b.data, "iptables-legacy-restore", NULL) == 0);
	buf_free(&b);
}

/* a's rules deleted as the planner does, and committed (planned or
 * not); DFW-FORWARD is then b's rules, in order, and *whole says
 * whether the backend wrote it whole. */
static void iptc_delete_a(int planned, int foreign, int *whole)
{
	struct fw_change *c = calloc(2 * IPTC_MANY + 1, sizeof(*c));
	struct released rel = { NULL, 0 };
	struct fw_chain *ch;
	struct fw f;
	struct err e;
	size_t n = 0, i;

	iptc_many_rules();
	check(fw_open(&f, &fw_iptc_ops, env(), AF_INET, "filter", &e) == 0);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(c && ch && ch->n == 2 * IPTC_MANY);
	if (!c || !ch) {
		free(c);
		fw_close(&f);
		return;
	}
	delete_range(ch, 0, IPTC_MANY, c, &n);
	f.planned = planned;
	if (foreign)
		ch->rules[0].foreign = 1; /* one docker-fw cannot write */
	*whole = fw_iptc_ops.whole(&f, ch, c, n);
	fw_shed(&f, c, n); /* what the commit does not read goes */
	check(!fw_chain(&f, "INPUT")->rules && fw_chain(&f, "INPUT")->shed);
	check(ch->shed == !*whole);
	/* the changes and the rules go before iptc_commit (#18) */
	rel.c = &c;
	f.release = release_changes;
	f.release_arg = &rel;
	check(fw_commit(&f, c, n, &e) == 0);
	check(rel.calls == 1 && !c && all_shed(&f) && !f.release);
	fw_close(&f);
	check(fw_open(&f, &fw_iptc_ops, env(), AF_INET, "filter", &e) == 0);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch && ch->n == IPTC_MANY);
	for (i = 0; ch && i < ch->n; i++)
		check(ch->rules[i].src[1] == 2 &&
		      ch->rules[i].src[2] == i / 256 &&
		      ch->rules[i].src[3] == i % 256 &&
		      !strcmp(fw_comment(&ch->rules[i]),
			      "docker-fw b 0123456789ab"));
	fw_close(&f);
	check(run_in("*filter\n-F DFW-FORWARD\nCOMMIT\n",
		     "iptables-legacy-restore", "--noflush", NULL) == 0);
	free(c);
}

/*
 * #18: libiptc walks its list to each -I/-D position; 2,000 deletions
 * behind none (a's, each walked to from the top) are written as
 * DFW-FORWARD whole when the plan left f as the table will be; without
 * planned, or with a rule docker-fw cannot write back, as changes. The
 * kernel's chain is the same either way. fw_shed lets go of every
 * chain's rules but the one written whole.
 */
static void test_iptc_many(void)
{
	int whole = -1;

	if (!fresh_netns())
		return;
	iptc_delete_a(1, 0, &whole);
	check(whole == 1);
	iptc_delete_a(0, 0, &whole);
	check(whole == 0);
	iptc_delete_a(1, 1, &whole);
	check(whole == 0);
}

/*
 * libiptc: a table the kernel does not list is not read (iptc_init
 * would make it); values written whole (a comment of 255 bytes, quotes
 * in names) or refused, never cut; a control character in a rule of
 * docker-fw's own chain is an error naming it.
 */
static void test_iptc(void)
{
	struct fw f;
	struct err e;

	if (!fresh_netns())
		return;
	check(!fw_iptc_table_exists("filter"));
	check(fw_open(&f, &fw_iptc_ops, env(), AF_INET, "filter", &e) == -1);
	check(strstr(e.msg, "no Docker chains") &&
	      strstr(e.msg, "ip_tables_names"));
	check(!fw_iptc_table_exists("filter")); /* still not made */
	check(run_in(NULL, "iptables-legacy", "-N", FW_CHAIN_FORWARD, NULL) ==
	      0);
	check(fw_iptc_table_exists("filter"));
	roundtrip(&fw_iptc_ops, "iptables-legacy-save");
	refused(&fw_iptc_ops, "iptables-legacy-save");
	/* REJECT's options fit in a standard target's size; -p icmp is no
	 * protocol docker-fw models: both foreign, as iptables-nft's */
	check(run_in(NULL, "iptables-legacy", "-A", "INPUT", "-j", "REJECT",
		     "--reject-with", "icmp-host-prohibited", NULL) == 0);
	check(run_in(NULL, "iptables-legacy", "-A", "INPUT", "-p", "icmp", "-j",
		     "ACCEPT", NULL) == 0);
	check(fw_open(&f, &fw_iptc_ops, env(), AF_INET, "filter", &e) == 0);
	check(fw_chain(&f, "INPUT") && fw_chain(&f, "INPUT")->n == 2 &&
	      fw_chain(&f, "INPUT")->rules[0].foreign &&
	      fw_chain(&f, "INPUT")->rules[1].foreign);
	fw_close(&f);
	check(run_in(NULL, "iptables-legacy", "-A", "FORWARD", "-m", "comment",
		     "--comment", "a\nb", "-j", "ACCEPT", NULL) == 0);
	check(fw_open(&f, &fw_iptc_ops, env(), AF_INET, "filter", &e) == 0);
	fw_close(&f);
	check(run_in(NULL, "iptables-legacy", "-A", FW_CHAIN_FORWARD, "-j",
		     "RETURN", NULL) == 0);
	check(run_in(NULL, "iptables-legacy", "-A", FW_CHAIN_FORWARD, "-m",
		     "comment", "--comment", "a\nb", "-j", "ACCEPT",
		     NULL) == 0);
	check(fw_open(&f, &fw_iptc_ops, env(), AF_INET, "filter", &e) == -1);
	check(strstr(e.msg, "rule 2 of DFW-FORWARD") &&
	      strstr(e.msg, "\"-A DFW-FORWARD -m comment --comment "
			    "\\\"a\\nb\\\" -j ACCEPT\"") &&
	      strstr(e.msg, "iptables-legacy -D DFW-FORWARD 2"));
	printf("# %s\n", e.msg);
}

/*
 * IPv6 rules both ways between docker-fw and ip6tables itself (tool, e.g.
 * "ip6tables-legacy"; save its -save): a rule ip6tables made with every
 * match docker-fw models reads whole, and fw_rule_format writes it as
 * ip6tables-save prints it; one docker-fw commits, ip6tables-save prints
 * as fw_rule_format writes it; a rule docker-fw does not model is
 * foreign; a rule of the other family is refused, nothing changed.
 */
static void v6_both_ways(const struct fw_ops *ops, const char *tool,
			 const char *save)
{
	static const char *const line =
		"-s fd00:30::2/128 -d 2001:db8::/32 "
		"-i br-0123456789a -o eth0 -p tcp -m tcp --dport 80 "
		"-m conntrack --ctstate NEW -m comment --comment "
		"\"docker-fw web 0123456789ab\" -j ACCEPT";
	struct fw_rule mine = own_rule("docker-fw db 0123456789ab", "", "br-x");
	struct fw_rule v4;
	struct fw_change c;
	struct fw_chain *ch;
	struct buf b = { 0 }, want = { 0 };
	struct fw f;
	struct err e = { 0, "" };
	char *before, *after;

	check(run_in(NULL, tool, "-A", FW_CHAIN_FORWARD, "-s", "fd00:30::2",
		     "-d", "2001:db8::/32", "-i", "br-0123456789a", "-o",
		     "eth0", "-p", "tcp", "--dport", "80", "-m", "conntrack",
		     "--ctstate", "NEW", "-m", "comment", "--comment",
		     "docker-fw web 0123456789ab", "-j", "ACCEPT", NULL) == 0);
	check(run_in(NULL, tool, "-A", FW_CHAIN_FORWARD, "-p", "ipv6-icmp",
		     "-j", "ACCEPT", NULL) == 0);
	check(run_in(NULL, tool, "-A", FW_CHAIN_FORWARD, "-d", "fd00::/8", "-j",
		     "REJECT", NULL) == 0);
	check(run_in(NULL, tool, "-A", FW_CHAIN_FORWARD, "-m", "limit",
		     "--limit", "1/sec", "-j", "DROP", NULL) == 0);
	if (fw_open(&f, ops, env(), AF_INET6, "filter", &e)) {
		printf("# %s: %s\n", ops->name, e.msg);
		check(0);
		return;
	}
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch && ch->n == 4);
	if (ch && ch->n == 4) {
		check(!ch->rules[0].foreign && ch->rules[0].family == AF_INET6);
		check(fw_rule_format(&ch->rules[0], &b) == 0);
		check_str(b.data, line);
		check(ch->rules[1].foreign); /* -p ipv6-icmp */
		check(ch->rules[2].foreign); /* REJECT has options */
		/* nft shows -m limit (extra); libiptc does not model it */
		check(ops == &fw_nft_ops ?
			      !ch->rules[3].foreign && ch->rules[3].extra :
			      ch->rules[3].foreign);
	}
	c = insert(FW_CHAIN_FORWARD, &mine);
	c.pos = 2;
	check(fw_commit(&f, &c, 1, &e) == 0);
	fw_close(&f);
	check(buf_adds(&want, "-A " FW_CHAIN_FORWARD " ") == 0 &&
	      fw_rule_format(&mine, &want) == 0);
	before = output(save, "-t filter");
	check(strstr(before, want.data) != NULL);
	if (!strstr(before, want.data))
		printf("# want %s in\n%s", want.data, before);
	check(fw_open(&f, ops, env(), AF_INET6, "filter", &e) == 0);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch && ch->n == 5 && fw_rule_equal(&ch->rules[1], &mine));
	/* an IPv4 rule is not written into the IPv6 table */
	fam = AF_INET;
	v4 = own_rule("docker-fw db 0123456789ab", "", "");
	fam = AF_INET6;
	c = insert(FW_CHAIN_FORWARD, &v4);
	check(fw_commit(&f, &c, 1, &e) == -1 && e.code == EXIT_RUNTIME);
	check(strstr(e.msg, "nothing changed") &&
	      strstr(e.msg, "IPv4 in the IPv6 filter table"));
	printf("# %s\n", e.msg);
	fw_close(&f);
	after = output(save, "-t filter");
	check_str(after, before);
	free(before);
	free(after);
	buf_free(&b);
	buf_free(&want);
}

/* Both families read under one lock (a transaction's snapshots). */
static void both_under_one_lock(const struct fw_ops *ops)
{
	struct fw f4, f6;
	struct err e;
	int fd = fw_lock(env(), &e);

	check(fd >= 0);
	check(fw_read(&f4, ops, env(), AF_INET, "filter", &e) == 0);
	check(fw_read(&f6, ops, env(), AF_INET6, "filter", &e) == 0);
	check(f4.family == AF_INET && f6.family == AF_INET6);
	check(fw_chain(&f4, "FORWARD") && fw_chain(&f6, "FORWARD"));
	fw_close(&f4);
	fw_close(&f6);
	if (fd >= 0)
		close(fd);
}

/* libip6tc: as test_iptc for the IPv6 table, the family's own table
 * list; the same rules both ways. */
static void test_iptc6(void)
{
	struct fw f;
	struct err e;

	if (!fresh_netns())
		return;
	fam = AF_INET6;
	check(!fw_iptc_has_table(AF_INET6, "filter"));
	check(fw_open(&f, &fw_iptc_ops, env(), AF_INET6, "filter", &e) == -1);
	check(strstr(e.msg, "IPv6 filter table") &&
	      strstr(e.msg, "ip6_tables_names"));
	check(!fw_iptc_has_table(AF_INET6, "filter")); /* still not made */
	check(!fw_iptc_has_table(AF_INET, "filter"));
	check(run_in(NULL, "ip6tables-legacy", "-N", FW_CHAIN_FORWARD, NULL) ==
	      0);
	check(fw_iptc_has_table(AF_INET6, "filter"));
	check(!fw_iptc_has_table(AF_INET, "filter")); /* one family */
	check(!fw_iptc_has_table(AF_UNIX, "filter"));
	roundtrip(&fw_iptc_ops, "ip6tables-legacy-save");
	refused(&fw_iptc_ops, "ip6tables-legacy-save");
	v6_both_ways(&fw_iptc_ops, "ip6tables-legacy", "ip6tables-legacy-save");
	check(run_in(NULL, "ip6tables-legacy", "-F", FW_CHAIN_FORWARD, NULL) ==
	      0);
	check(run_in(NULL, "ip6tables-legacy", "-A", FW_CHAIN_FORWARD, "-m",
		     "comment", "--comment", "a\nb", "-j", "ACCEPT",
		     NULL) == 0);
	check(fw_open(&f, &fw_iptc_ops, env(), AF_INET6, "filter", &e) == -1);
	check(strstr(e.msg, "rule 1 of DFW-FORWARD") &&
	      strstr(e.msg, "ip6tables-legacy -D DFW-FORWARD 1"));
	check(run_in(NULL, "ip6tables-legacy", "-F", FW_CHAIN_FORWARD, NULL) ==
	      0);
	check(run_in(NULL, "iptables-legacy", "-N", FW_CHAIN_FORWARD, NULL) ==
	      0);
	both_under_one_lock(&fw_iptc_ops);
	fam = AF_INET;
}

/* ip6tables-nft-save/-restore: the same. */
static void test_nft_writer6(void)
{
	if (!fresh_netns())
		return;
	fam = AF_INET6;
	check(run_in("*filter\n:DFW-FORWARD - [0:0]\nCOMMIT\n",
		     "ip6tables-nft-restore", "--noflush", NULL) == 0);
	roundtrip(&fw_nft_ops, "ip6tables-nft-save");
	refused(&fw_nft_ops, "ip6tables-nft-save");
	v6_both_ways(&fw_nft_ops, "ip6tables-nft", "ip6tables-nft-save");
	check(run_in("*filter\n:DFW-FORWARD - [0:0]\nCOMMIT\n",
		     "iptables-nft-restore", "--noflush", NULL) == 0);
	both_under_one_lock(&fw_nft_ops);
	fam = AF_INET;
}

/* A fake iptables-nft-save first in PATH that prints text (shell). */
static void fake_save(const char *script)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/iptables-nft-save", scratch);
	f = fopen(path, "w");
	check(f != NULL);
	if (!f)
		return;
	fprintf(f, "#!/bin/sh\n%s\n", script);
	fclose(f);
	chmod(path, 0755);
}

/* How a tool is started (posix_spawn, #18): SIGPIPE at its default
 * though docker-fw ignores it (a tool killed by a pipe it writes into
 * is not one that goes on), and a program that cannot be exec'd is an
 * error saying why (scratch first in PATH). */
static void spawned(void)
{
	char path[160];
	unsigned long long ign;
	const char *m;
	struct fw f;
	struct err e;
	FILE *fp;

	signal(SIGPIPE, SIG_IGN);
	fake_save("echo \"SigIgn $(sed -n 's/^SigIgn:[[:space:]]*//p' "
		  "/proc/$$/status)\" >&2; exit 1");
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == -1);
	m = strstr(e.msg, "SigIgn ");
	check(m != NULL);
	ign = m ? strtoull(m + 7, NULL, 16) : 0;
	check(!(ign & (1ull << (SIGPIPE - 1))));
	signal(SIGPIPE, SIG_DFL);
	snprintf(path, sizeof(path), "%s/iptables-nft-save", scratch);
	fp = fopen(path, "w");
	check(fp != NULL);
	if (!fp)
		return;
	fputs("#!/nonexistent/interpreter\n", fp);
	fclose(fp);
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == -1);
	check_str(e.msg, "iptables-nft-save -t filter: No such file or "
			 "directory");
}

/* What iptables-nft-save prints is read up to a cap; over it, and
 * output that is no table docker-fw can use, are errors naming the
 * tool. */
static void test_nft_output_caps(void)
{
	char *path = getenv("PATH"), newpath[4096];
	struct fw f;
	struct err e;

	if (!fresh_netns())
		return;
	path = strdup(path ? path : "/usr/sbin:/usr/bin");
	snprintf(newpath, sizeof(newpath), "%s:%s", scratch, path);
	setenv("PATH", newpath, 1);
	fake_save("exec yes -- '-A FORWARD -j ACCEPT'");
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == -1);
	check_str(e.msg, "iptables-nft-save -t filter: more than 64 MiB of "
			 "output (docker-fw's limit)");
	fake_save("exec yes 'an endless error' >&2");
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == -1);
	check_str(e.msg, "iptables-nft-save -t filter: more than 64 MiB of "
			 "output (docker-fw's limit)");
	fake_save("printf '*filter\\n:FORWARD ACCEPT [0:0]\\n'; "
		  "i=0; while [ $i -lt 100 ]; do echo x >&2; i=$((i+1)); "
		  "done; yes 'an endless error' | head -c 1000000 >&2");
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	fw_close(&f);
	fake_save("echo \"# Table \\`filter' is incompatible, use 'nft' "
		  "tool.\"");
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == -1);
	check(strstr(e.msg, "iptables-nft cannot show") != NULL);
	fake_save("printf '*filter\\n:FORWARD ACCEPT [0:0]\\n-A FORWARD "
		  "-j\\000 ACCEPT\\n'");
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == -1);
	check(strstr(e.msg, "NUL") != NULL);
	fake_save("printf '*filter\\n:FORWARD ACCEPT [0:0]\\n:DFW-FORWARD - "
		  "[0:0]\\nstray words\\n-A FORWARD -j ACCEPT\\n"
		  "-A DFW-FORWARD -j RETURN\\n-A NOSUCH -j ACCEPT\\n"
		  "COMMIT\\n'");
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	check(fw_chain(&f, "FORWARD") && fw_chain(&f, "FORWARD")->n == 1);
	check(fw_chain(&f, FW_CHAIN_FORWARD) &&
	      fw_chain(&f, FW_CHAIN_FORWARD)->n == 1);
	fw_close(&f);
	spawned();
	setenv("PATH", path, 1);
	free(path);
}

/* A read started by fw_nft_prefetch is what the next fw_read of its
 * family and table gets (the table as it was then), once; another
 * table's read starts its own; one not taken is killed and reaped. */
static void test_nft_prefetch(void)
{
	char *path = getenv("PATH"), newpath[4096];
	struct fw f;
	struct err e;
	int status;

	if (!fresh_netns())
		return;
	path = strdup(path ? path : "/usr/sbin:/usr/bin");
	snprintf(newpath, sizeof(newpath), "%s:%s", scratch, path);
	setenv("PATH", newpath, 1);
	fake_save("printf '*%s\\n:FORWARD ACCEPT [0:0]\\n:THEN - [0:0]\\n"
		  "COMMIT\\n' \"$2\"");
	check(fw_nft_prefetch(env(), AF_INET, "filter") == 0);
	usleep(100 * 1000); /* it has run: its output waits in its pipe */
	fake_save("printf '*%s\\n:FORWARD ACCEPT [0:0]\\n:NOW - [0:0]\\n"
		  "COMMIT\\n' \"$2\"");
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	check(fw_chain(&f, "THEN") && !fw_chain(&f, "NOW"));
	fw_close(&f);
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	check(fw_chain(&f, "NOW") && !fw_chain(&f, "THEN"));
	fw_close(&f);
	check(fw_nft_prefetch(env(), AF_INET, "nat") == 0);
	check(fw_open(&f, &fw_nft_ops, env(), AF_INET, "filter", &e) == 0);
	check(fw_chain(&f, "NOW") != NULL);
	fw_close(&f);
	fw_nft_prefetch_drop();
	check(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);
	fw_nft_prefetch_drop(); /* none: nothing */
	setenv("PATH", path, 1);
	free(path);
}

/* A live probe (a filter with -m set, which a new namespace lacks)
 * never makes the nf_tables filter table where there is none. */
static void test_probe_makes_no_table(void)
{
	struct fw_probe p;
	struct err e;
	char *before, *after;

	if (!fresh_netns())
		return;
	before = output("iptables-nft-save", "");
	memset(&p, 0, sizeof(p));
	p.rule = want(AF_INET, "10.0.0.1", "10.0.0.2", 80,
		      "-m set --match-set nosuch src");
	check(fw_nft_canon(env(), AF_INET, &p, 1, 1, &e) == 0);
	check(p.failed);
	after = output("iptables-nft-save", "");
	check_str(after, before);
	check(!*after);
	free(before);
	free(after);
	/* and a rule that may not be written is not probed */
	memset(&p, 0, sizeof(p));
	p.rule = want(AF_INET, "10.0.0.1", "10.0.0.2", 80, "-m limit");
	check(fw_set_comment(&p.rule, "a\nb") == 0);
	check(fw_nft_canon(env(), AF_INET, &p, 1, 1, &e) == 0);
	check(p.failed && strstr(p.why, "comment \"a\\nb\""));
}

UNIT_TESTS(T(test_canon_batch) T(test_canon_v6) T(test_nft_reader)
		   T(test_nft_writer) T(test_nft_many) T(test_nft_stream)
			   T(test_iptc) T(test_iptc_many) T(test_iptc6)
				   T(test_nft_writer6) T(test_nft_output_caps)
					   T(test_nft_prefetch)
						   T(test_probe_makes_no_table))
