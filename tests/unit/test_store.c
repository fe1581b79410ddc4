#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dfw/rulespec.h"
#include "dfw/store.h"
#include "dfw/util.h"
#include "failalloc.h"
#include "unit.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID_C "4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2"

/* The example of store.h. */
static const char example[] =
	"docker-fw-store 1\n"
	"container " ID_A " web\n"
	"rule add --source 10.0.0.0/8 --dest . --dport 80 --protocol tcp\n"
	"rule add-internal --source db --dest . --dport 5432 --protocol tcp\n"
	"end 2\n";

/* A fresh folder under /tmp, and its path + "/state". */
static char tmpdir[64], dir[96];

static void setup(void)
{
	umask(022);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dfw-store-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(dir, sizeof(dir), "%s/state", tmpdir);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void teardown(void)
{
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_in(char *p, size_t size, const char *name)
{
	snprintf(p, size, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *data, size_t len)
{
	char p[256];
	int fd;

	path_in(p, sizeof(p), name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0);
	check(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

/* The file's contents, NUL-terminated, in a static buffer. */
static const char *read_back(const char *name)
{
	static char data[4096];
	char p[256];
	ssize_t n;
	int fd;

	path_in(p, sizeof(p), name);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return "(missing)";
	n = read(fd, data, sizeof(data) - 1);
	close(fd);
	data[n < 0 ? 0 : n] = 0;
	return data;
}

/* The names in dir, sorted, joined by spaces. */
static const char *listing(void)
{
	static char out[1024];
	struct dirent **v;
	size_t len = 0;
	int i, n = scandir(dir, &v, NULL, alphasort);

	out[0] = 0;
	for (i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") && strcmp(v[i]->d_name, ".."))
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						"%s%s", len ? " " : "",
						v[i]->d_name);
		free(v[i]);
	}
	free(v);
	return out;
}

static void rec_init(struct store_rec *r, const char *id, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->name, sizeof(r->name), "%s", name);
}

/* Adds "ACTION OPTIONS..." to r. */
static void rec_rule(struct store_rec *r, const char *line)
{
	struct strv w = { 0 };
	struct rulespec rs;
	struct err e = { 0 };
	int a = -1;

	if (rulespec_split(line, &w, &e) > 0)
		a = rule_action_parse(w.v[0]);
	if (a < 0 || rulespec_parse(&rs, (enum rule_action)a, (int)w.n - 1,
				    w.v + 1, &e)) {
		fprintf(stderr, "  bad rule %s: %s\n", line, e.msg);
		check(0);
	} else {
		check(store_rec_add(r, &rs) == 0);
		rulespec_free(&rs);
	}
	strv_free(&w);
}

static int rec_equal(const struct store_rec *a, const struct store_rec *b)
{
	size_t i;

	if (strcmp(a->id, b->id) || strcmp(a->name, b->name) ||
	    a->nrules != b->nrules)
		return 0;
	for (i = 0; i < a->nrules; i++)
		if (!rulespec_equal(&a->rules[i], &b->rules[i]))
			return 0;
	return 1;
}

/* store_load of id fails with code and a message holding want. */
static int load_fails(struct store *s, const char *id, int code,
		      const char *want)
{
	struct store_rec r;
	struct err e = { 0 };
	int rc = store_load(s, id, &r, &e), ok;

	ok = rc == -1 && e.code == code && strstr(e.msg, want) &&
	     r.rules == NULL && r.nrules == 0;
	if (!ok)
		fprintf(stderr, "  load: %d [%d] %s\n  want: %s\n", rc, e.code,
			e.msg, want);
	if (rc == 1)
		store_rec_free(&r);
	return ok;
}

static void test_open(void)
{
	struct store s;
	struct err e = { 0 };
	struct stat st;
	char p[256];

	setup();
	/* no folder given (config.h: neither --state-dir nor
	 * DFW_STATE_DIR): the default; the environment is not read */
	setenv("DFW_STATE_DIR", dir, 1);
	check(store_open(&s, NULL, 0, &e) == 0);
	check_str(s.dir, STORE_DEFAULT_DIR);
	check(s.lock_fd == -1);
	unsetenv("DFW_STATE_DIR");
	check(store_open(&s, "/x/y//", 0, &e) == 0);
	check_str(s.dir, "/x/y");
	check(store_open(&s, "/", 0, &e) == 0);
	check_str(s.dir, "/");
	check(store_open(&s, "", 0, &e) == -1 && e.code == EXIT_USAGE);

	/* Without the lock nothing is created. */
	check(store_open(&s, dir, 0, &e) == 0);
	check(stat(dir, &st) == -1 && errno == ENOENT);
	store_close(&s);

	/* With it, the folder (0700, parents too) and the lock file. */
	snprintf(p, sizeof(p), "%s/a/b/c/", tmpdir);
	check(store_open(&s, p, 1, &e) == 0);
	check(s.lock_fd >= 0);
	check(stat(s.dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	      (st.st_mode & 07777) == 0700);
	snprintf(p, sizeof(p), "%s/a/b", tmpdir);
	check(stat(p, &st) == 0 && (st.st_mode & 07777) == 0755);
	snprintf(p, sizeof(p), "%s/a/b/c/.lock", tmpdir);
	check(stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
	      (st.st_mode & 07777) == 0600);
	store_close(&s);
	check(s.lock_fd == -1);
	store_close(&s);

	/* An existing folder keeps its mode, even an open one. */
	check(mkdir(dir, 0755) == 0);
	check(store_open(&s, dir, 1, &e) == 0);
	check(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0755);
	store_close(&s);

	/* Not a folder. */
	write_file("file", "x", 1);
	snprintf(p, sizeof(p), "%s/file", dir);
	check(store_open(&s, p, 1, &e) == -1 && e.code == EXIT_RUNTIME &&
	      strstr(e.msg, p) && strstr(e.msg, "not a folder"));
	check(s.lock_fd == -1);
	snprintf(p, sizeof(p), "%s/file/sub", dir);
	check(store_open(&s, p, 1, &e) == -1 && e.code == EXIT_RUNTIME &&
	      strstr(e.msg, "cannot create folder") && strstr(e.msg, p));
	teardown();
}

static void test_round_trip(void)
{
	struct store s;
	struct store_rec a, b, c, r;
	struct err e = { 0 };
	struct stat st;
	char p[256];

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	rec_init(&a, ID_A, "web");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 80");
	rec_rule(&a, "add-internal --source /db --dport 5432 --rev-lookup");
	check(store_save(&s, &a, &e) == 0);
	check_str(read_back(ID_A), example);

	rec_init(&b, ID_B, "db");
	rec_rule(&b, "add-input --source . --dest / --dport 53 --protocol udp "
		     "--sport 1024 --network back_end");
	rec_rule(&b, "add-two-ways --source web --dport 5432 --filter "
		     "\"-m comment --comment 'it'\\''s \\\"quoted\\\" #1'\"");
	rec_rule(&b, "add --source 0.0.0.0/0 --filter \"'' '#' a#b\"");
	rec_rule(&b, "add --source 10.1.2.3 --network n");
	check(store_save(&s, &b, &e) == 0);

	/* A name that needs quoting survives too. */
	rec_init(&c, ID_C, "odd name's");
	rec_rule(&c, "add --source . --dest 1.2.3.4");
	check(store_save(&s, &c, &e) == 0);

	check(store_load(&s, ID_A, &r, &e) == 1 && rec_equal(&a, &r));
	store_rec_free(&r);
	check(store_load(&s, ID_B, &r, &e) == 1 && rec_equal(&b, &r));
	check(r.nrules == 4 && r.rules[1].filter.n == 4);
	check_str(r.rules[1].filter.v[3], "it's \"quoted\" #1");
	store_rec_free(&r);
	check(store_load(&s, ID_C, &r, &e) == 1 && rec_equal(&c, &r));
	store_rec_free(&r);

	/* Modes, and nothing but the files and the lock. */
	path_in(p, sizeof(p), ID_B);
	check(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);
	check(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700);
	check_str(listing(), ".lock " ID_B " " ID_C " " ID_A);

	/* Without the lock, loads work the same. */
	store_close(&s);
	check(store_open(&s, dir, 0, &e) == 0);
	check(store_load(&s, ID_B, &r, &e) == 1 && rec_equal(&b, &r));
	store_rec_free(&r);

	store_rec_free(&a);
	store_rec_free(&b);
	store_rec_free(&c);
	store_close(&s);
	teardown();
}

static void test_replace(void)
{
	struct store s;
	struct store_rec a, r;
	struct err e = { 0 };
	char tmp[256], name[128];

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	rec_init(&a, ID_A, "web");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 80");
	check(store_save(&s, &a, &e) == 0);
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 443");
	snprintf(a.name, sizeof(a.name), "web2");
	check(store_save(&s, &a, &e) == 0);
	check(store_load(&s, ID_A, &r, &e) == 1 && rec_equal(&a, &r) &&
	      r.nrules == 2 && !strcmp(r.name, "web2"));
	store_rec_free(&r);
	check_str(listing(), ".lock " ID_A);

	/* A temporary file left by a crashed process with our PID. */
	snprintf(name, sizeof(name), ".%s.tmp.%ld", ID_A, (long)getpid());
	write_file(name, "junk", 4);
	check(store_save(&s, &a, &e) == 0);
	check_str(listing(), ".lock " ID_A);

	/* A failed write leaves the old file as it was. */
	path_in(tmp, sizeof(tmp), name);
	check(mkdir(tmp, 0700) == 0);
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 8080");
	check(store_save(&s, &a, &e) == -1 && e.code == EXIT_RUNTIME &&
	      strstr(e.msg, tmp));
	check(store_load(&s, ID_A, &r, &e) == 1 && r.nrules == 2);
	store_rec_free(&r);
	check(rmdir(tmp) == 0);

	/* A file that cannot be replaced (here a folder in its place) is
	 * refused before any temporary file is written. */
	store_rec_free(&a);
	rec_init(&a, ID_B, "db");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 80");
	path_in(tmp, sizeof(tmp), ID_B);
	check(mkdir(tmp, 0700) == 0);
	check(store_save(&s, &a, &e) == -1 && e.code == EXIT_RUNTIME &&
	      strstr(e.msg, "is not a regular file") && strstr(e.msg, tmp));
	check_str(listing(), ".lock " ID_B " " ID_A);
	check(rmdir(tmp) == 0);

	/* A folder that is not there. */
	store_close(&s);
	snprintf(tmp, sizeof(tmp), "%s/nowhere", tmpdir);
	check(store_open(&s, tmp, 0, &e) == 0);
	check(store_save(&s, &a, &e) == -1 && e.code == EXIT_RUNTIME &&
	      strstr(e.msg, "cannot create") && strstr(e.msg, tmp));

	/* A rule store_load could not read back. */
	check(store_open(&s, dir, 1, &e) == 0);
	a.rules[0].action = RULE_NACTIONS;
	check(store_save(&s, &a, &e) == -1 && strstr(e.msg, "rule 1"));
	a.rules[0].action = RULE_ADD;
	a.rules[0].src.kind = ADDR_NONE;
	check(store_save(&s, &a, &e) == -1 && strstr(e.msg, ID_B));
	check_str(listing(), ".lock " ID_A);
	store_rec_free(&a);
	store_close(&s);
	teardown();
}

static void test_remove(void)
{
	struct store s;
	struct store_rec a, r;
	struct err e = { 0 };

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	rec_init(&a, ID_A, "web");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 80");
	check(store_save(&s, &a, &e) == 0);
	store_rec_free(&a);
	check(a.nrules == 0 && a.rules == NULL);
	check(store_save(&s, &a, &e) == 0);
	check_str(listing(), ".lock");
	check(store_save(&s, &a, &e) == 0); /* missing is fine */

	/* No file: 0, an empty record with the ID. */
	memset(&r, 'x', sizeof(r));
	check(store_load(&s, ID_A, &r, &e) == 0);
	check_str(r.id, ID_A);
	check(r.name[0] == 0 && r.nrules == 0 && r.rules == NULL);
	store_rec_free(&r);
	store_close(&s);

	/* Nor a folder. */
	check(store_open(&s, "/nonexistent/dfw", 0, &e) == 0);
	check(store_load(&s, ID_A, &r, &e) == 0);
	check(store_save(&s, &a, &e) == 0);
	teardown();
}

static void test_bad_id(void)
{
	static const char *const ids[] = {
		"",
		"web",
		"../etc/passwd",
		ID_A "a",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* uppercase */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 63 */
		"gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct store s;
	struct store_rec r;
	struct err e = { 0 };
	size_t i;

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		check(load_fails(&s, ids[i], EXIT_USAGE,
				 "not a full "
				 "container ID"));
		if (strlen(ids[i]) >= sizeof(r.id))
			continue; /* would be cut to a good one */
		rec_init(&r, ids[i], "x");
		rec_rule(&r, "add --source 10.0.0.0/8");
		check(store_save(&s, &r, &e) == -1 && e.code == EXIT_USAGE);
		store_rec_free(&r);
	}
	/* An ID filling all 65 bytes, no NUL. */
	rec_init(&r, ID_A, "x");
	rec_rule(&r, "add --source 10.0.0.0/8");
	r.id[64] = 'a';
	check(store_save(&s, &r, &e) == -1 && e.code == EXIT_USAGE);
	store_rec_free(&r);
	check_str(listing(), ".lock");
	store_close(&s);
	teardown();
}

/*
 * Every proper prefix of a good file is refused; only the whole file
 * loads, and loads as saved.
 */
static void test_truncated(void)
{
	struct store s;
	struct store_rec a, r;
	struct err e = { 0 };
	char path[256], data[4096];
	size_t len, i, bad = 0;
	int rc;

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	rec_init(&a, ID_A, "web");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 80");
	rec_rule(&a, "add-two-ways --source db --dport 5432 --filter "
		     "\"-m comment --comment 'a \\\"b\\\" c'\"");
	rec_rule(&a, "add-input --source . --dest / --dport 53 --protocol udp");
	check(store_save(&s, &a, &e) == 0);
	snprintf(data, sizeof(data), "%s", read_back(ID_A));
	len = strlen(data);
	check(len > 100);
	path_in(path, sizeof(path), ID_A);

	for (i = 0; i <= len; i++) {
		write_file(ID_A, data, i);
		memset(&e, 0, sizeof(e));
		rc = store_load(&s, ID_A, &r, &e);
		if (i == len) {
			check(rc == 1 && rec_equal(&a, &r));
			store_rec_free(&r);
		} else if (rc != -1 || e.code != EXIT_RUNTIME ||
			   !strstr(e.msg, path) || r.nrules) {
			fprintf(stderr, "  prefix %zu: %d [%d] %s\n", i, rc,
				e.code, e.msg);
			bad++;
			if (rc == 1)
				store_rec_free(&r);
		}
	}
	check(bad == 0);
	store_rec_free(&a);
	store_close(&s);
	teardown();
}

struct bad_file {
	const char *data;
	const char *want; /* after "PATH" */
};

#define HEAD "docker-fw-store 1\ncontainer " ID_A " web\n"
#define RULE \
	"rule add --source 10.0.0.0/8 --dest . --dport 80 " \
	"--protocol tcp\n"

static const struct bad_file bad_files[] = {
	{ "", ": truncated (no \"end\" line)" },
	{ "docker-fw-store 1\n", ": truncated (no \"end\" line)" },
	{ HEAD, ": truncated (no \"end\" line)" },
	{ HEAD RULE, ": truncated (no \"end\" line)" },
	{ HEAD RULE "end 1", ": truncated (no \"end\" line)" },
	{ "docker-fw-store 4\n", ":1: unknown store version \"4\" (this "
				 "docker-fw reads versions 1 to 3)" },
	{ HEAD "rule add --source x --made-on\nend 1\n",
	  ":3: unknown option \"--made-on\"" },
	{ HEAD "rule add --source x --made-on -x\nend 1\n",
	  ":3: --made-on \"-x\": not a network name" },
	{ HEAD "rule add --made-on f --source x\nend 1\n",
	  ":3: unknown option \"--made-on\"" },
	{ "docker-fw-store 0\n", ":1: unknown store version \"0\"" },
	{ "docker-fw-store 01\n" HEAD, ":1: unknown store version \"01\"" },
	{ "docker-fw-store 1 \n", ":1: unknown store version \"1 \"" },
	{ "docker-fw-store\n", ":1: not a docker-fw store file" },
	{ "hello\n", ":1: not a docker-fw store file" },
	{ "\n", ":1: not a docker-fw store file" },
	{ "docker-fw-store 1\r\n", ":1: unknown store version" },
	{ "docker-fw-store 1\ncontainer " ID_B " web\nend 0\n",
	  ":2: container ID \"" ID_B "\" is not the file's" },
	{ "docker-fw-store 1\ncontainer " ID_A "\nend 0\n",
	  ":2: expected \"container ID NAME\"" },
	{ "docker-fw-store 1\ncontainer " ID_A " a b\nend 0\n",
	  ":2: expected \"container ID NAME\"" },
	{ "docker-fw-store 1\n" RULE "end 1\n",
	  ":2: expected \"container ID NAME\"" },
	{ "docker-fw-store 1\n\n", ":2: blank or comment line" },
	{ HEAD "\n" RULE "end 1\n", ":3: blank or comment line" },
	{ HEAD "  \n" RULE "end 1\n", ":3: blank or comment line" },
	{ HEAD "# a comment\n" RULE "end 1\n", ":3: blank or comment line" },
	{ HEAD RULE "\nend 1\n", ":4: blank or comment line" },
	{ HEAD "foo bar\nend 0\n", ":3: unexpected line kind \"foo\"" },
	{ HEAD "container " ID_A " web\nend 0\n",
	  ":3: unexpected line kind \"container\"" },
	{ HEAD RULE "Rule add --source x\nend 2\n",
	  ":4: unexpected line kind \"Rule\"" },
	{ HEAD RULE "rule add --source 10.1.2.3/8 --dport 80\nend 2\n",
	  ":4: --source \"10.1.2.3/8\": host bits are set" },
	{ HEAD RULE RULE RULE "rule add --source . --dport 80\nend 4\n",
	  ":6: --source and --dest cannot both be" },
	{ HEAD "rule add --source x --bogus\nend 1\n",
	  ":3: unknown option \"--bogus\"" },
	{ HEAD "rule add-input --source . --dest /\nend 1\n",
	  ":3: --dport is required for add-input" },
	{ HEAD "rule nope --source x\nend 1\n", ":3: unknown action \"nope\"" },
	{ HEAD "rule\nend 1\n", ":3: unknown action \"\"" },
	{ HEAD "rule add --source 'x\nend 1\n", ":3: unterminated ' quote" },
	{ HEAD "rule add --source x\r\nend 1\n", ":3: control character 0x0d" },
	{ HEAD "rule add --source x\0y\nend 1\n", ":3: NUL byte" },
	{ HEAD RULE "end 2\n", ":4: \"end 2\" but 1 rule lines" },
	{ HEAD RULE "end 0\n", ":4: \"end 0\" but 1 rule lines" },
	{ HEAD "end 1\n", ":3: \"end 1\" but 0 rule lines" },
	{ HEAD RULE "end\n", ":4: expected \"end N\"" },
	{ HEAD RULE "end x\n", ":4: expected \"end N\"" },
	{ HEAD RULE "end 01\n", ":4: expected \"end N\"" },
	{ HEAD RULE "end 1 1\n", ":4: expected \"end N\"" },
	{ HEAD RULE "end 1\nx\n", ":5: data after the \"end\" line" },
	{ HEAD RULE "end 1\nx", ":5: data after the \"end\" line" },
	{ HEAD RULE "end 1\n\n", ":5: data after the \"end\" line" },
	{ HEAD RULE "end 1\nend 1\n", ":5: data after the \"end\" line" },
};

static void test_bad_files(void)
{
	static const char hand[] = HEAD
		"rule  add --dport=80 --source 10.0.0.1\t\nend 1\n";
	struct store s;
	struct err e = { 0 };
	struct buf b = { 0 };
	struct store_rec r;
	char want[512];
	size_t i;

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const char *d = bad_files[i].data;
		/* One entry holds a NUL: its length runs to "end". */
		size_t len = strlen(d);

		if (strstr(bad_files[i].want, "NUL"))
			len += 1 + strlen(d + len + 1);
		write_file(ID_A, d, len);
		snprintf(want, sizeof(want), "%s/%s%s", dir, ID_A,
			 bad_files[i].want);
		if (!load_fails(&s, ID_A, EXIT_RUNTIME, want)) {
			fprintf(stderr, "  (bad_files[%zu])\n", i);
			check(0);
		}
	}

	/* A line past 64 KiB. */
	buf_adds(&b, HEAD "rule add --source x --filter '");
	while (b.len < 70000)
		buf_adds(&b, "-i eth0 ");
	buf_adds(&b, "'\nend 1\n");
	write_file(ID_A, b.data, b.len);
	snprintf(want, sizeof(want), "%s/%s:3: line longer than 65536", dir,
		 ID_A);
	check(load_fails(&s, ID_A, EXIT_RUNTIME, want));
	buf_free(&b);

	/* A hand-written but well-formed file is fine. */
	write_file(ID_A, hand, strlen(hand));
	check(store_load(&s, ID_A, &r, &e) == 1 && r.nrules == 1 &&
	      r.rules[0].dport == 80 && r.rules[0].src.prefix == 32);
	store_rec_free(&r);

	/* A folder in place of a file. */
	snprintf(want, sizeof(want), "%s/%s", dir, ID_A);
	check(unlink(want) == 0 && mkdir(want, 0700) == 0);
	check(load_fails(&s, ID_A, EXIT_RUNTIME, "is not a regular file"));
	store_close(&s);
	teardown();
}

static void test_load_all(void)
{
	struct store s;
	struct store_rec a, b, c, *v, dummy;
	struct err e = { 0 };
	size_t n;
	char p[256];

	setup();
	check(store_open(&s, dir, 0, &e) == 0);
	v = &dummy;
	check(store_load_all(&s, &v, &n, NULL, NULL, &e) == 0 && n == 0 &&
	      v == NULL);

	check(store_open(&s, dir, 1, &e) == 0);
	check(store_load_all(&s, &v, &n, NULL, NULL, &e) == 0 && n == 0 &&
	      v == NULL);
	rec_init(&a, ID_A, "db");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 80");
	rec_init(&b, ID_B, "web");
	rec_rule(&b, "add-internal --source db --dport 5432");
	rec_init(&c, ID_C, "db");
	rec_rule(&c, "add --source . --dest 1.2.3.4 --filter '-o eth0'");
	check(store_save(&s, &a, &e) == 0);
	check(store_save(&s, &b, &e) == 0);
	check(store_save(&s, &c, &e) == 0);
	/* Not full IDs: skipped. */
	write_file(".tmp", "x", 1);
	write_file("." ID_A ".tmp.123", "x", 1);
	write_file("README", "x", 1);
	write_file(ID_A ".bak", "x", 1);
	write_file("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		   "x", 1);

	/* Two files of the name db (a container recreated under a store a
	 * docker-fw before names were keys wrote): one record, the rules
	 * of the lower ID first, the other file in gone. */
	check(store_load_all(&s, &v, &n, NULL, NULL, &e) == 0 && n == 2);
	if (n == 2) {
		check(!strcmp(v[0].id, ID_C) && !strcmp(v[0].name, "db"));
		check(v[0].nrules == 2 &&
		      rulespec_equal(&v[0].rules[0], &c.rules[0]) &&
		      rulespec_equal(&v[0].rules[1], &a.rules[0]));
		check(v[0].gone.n == 1 && !strcmp(v[0].gone.v[0], ID_A));
		check(rec_equal(&v[1], &b) && v[1].gone.n == 0);
	}
	store_recs_free(v, n);

	/* One bad file stops it, naming the file. */
	write_file(ID_B, "docker-fw-store 1\n", 18);
	snprintf(p, sizeof(p), "%s/%s: truncated", dir, ID_B);
	v = &dummy;
	check(store_load_all(&s, &v, &n, NULL, NULL, &e) == -1 &&
	      e.code == EXIT_RUNTIME && strstr(e.msg, p) && v == NULL &&
	      n == 0);

	store_rec_free(&a);
	store_rec_free(&b);
	store_rec_free(&c);
	store_close(&s);
	teardown();
}

/* Rules belong to a name: store_load_name merges the files holding it
 * (as a docker-fw before names were keys left them, byte for byte), and
 * saving the record removes the others; an equal rule is kept once. */
static void test_by_name(void)
{
	static const char old_a[] =
		"docker-fw-store 1\n"
		"container " ID_A " web\n"
		"rule add --source 10.0.0.0/8 --dest . --dport 80 --protocol "
		"tcp\n"
		"rule add-internal --source db --dest . --dport 5432 "
		"--protocol tcp\n"
		"end 2\n";
	static const char old_c[] =
		"docker-fw-store 1\n"
		"container " ID_C " web\n"
		"rule add --source 10.0.0.0/8 --dest . --dport 80 --protocol "
		"tcp\n"
		"rule add --source 192.0.2.0/24 --dest . --dport 443 "
		"--protocol tcp\n"
		"hostconfig port 80/tcp 0.0.0.0 8080\n"
		"end 2\n";
	struct store s;
	struct store_rec r, *v;
	struct err e = { 0 };
	struct buf b = { 0 };
	size_t n;
	char p[256];
	struct stat st;

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	check(store_load_name(&s, "web", NULL, &r, &e) == 0);
	check(!strcmp(r.name, "web") && !*r.id && !r.nrules);
	store_rec_free(&r);
	write_file(ID_A, old_a, sizeof(old_a) - 1);
	write_file(ID_C, old_c, sizeof(old_c) - 1);
	check(store_load_name(&s, "web", NULL, &r, &e) == 1);
	/* the lower ID first (ID_C is 4fa6...) */
	check(!strcmp(r.id, ID_C) && r.nrules == 3);
	check(r.hostconfig.n == 1 && r.gone.n == 1 &&
	      !strcmp(r.gone.v[0], ID_A));
	check(store_format(&r, &b, &e) == 0);
	check_str(b.data, "docker-fw-store 1\n"
			  "container " ID_C " web\n"
			  "rule add --source 10.0.0.0/8 --dest . --dport 80 "
			  "--protocol tcp\n"
			  "rule add --source 192.0.2.0/24 --dest . --dport 443 "
			  "--protocol tcp\n"
			  "rule add-internal --source db --dest . --dport 5432 "
			  "--protocol tcp\n"
			  "hostconfig port 80/tcp 0.0.0.0 8080\n"
			  "end 3\n");
	buf_free(&b);
	/* the container recreated: its new ID names the file, the two
	 * old files go when it is saved (as engine_sync does it) */
	check(strv_add(&r.gone, r.id, strlen(r.id)) == 0);
	snprintf(r.id, sizeof(r.id), "%s", ID_B);
	check(store_save(&s, &r, &e) == 0);
	path_in(p, sizeof(p), ID_A);
	check(stat(p, &st) == -1 && errno == ENOENT);
	path_in(p, sizeof(p), ID_C);
	check(stat(p, &st) == -1 && errno == ENOENT);
	store_rec_free(&r);
	check(store_load_all(&s, &v, &n, NULL, NULL, &e) == 0 && n == 1);
	if (n == 1)
		check(!strcmp(v[0].id, ID_B) && v[0].nrules == 3 &&
		      !v[0].gone.n);
	store_recs_free(v, n);
	/* a record emptied removes its file and the others */
	write_file(ID_A, old_a, sizeof(old_a) - 1);
	check(store_load_name(&s, "web", NULL, &r, &e) == 1 && r.gone.n == 1);
	store_rec_free(&r);
	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "%s", ID_C); /* no file */
	snprintf(r.name, sizeof(r.name), "web");
	check(strv_add(&r.gone, ID_A, 64) == 0 &&
	      strv_add(&r.gone, ID_B, 64) == 0);
	check(store_save(&s, &r, &e) == 0);
	store_rec_free(&r);
	check(store_load_all(&s, &v, &n, NULL, NULL, &e) == 0 && n == 0);
	store_recs_free(v, n);
	/* a file whose line 2 cannot be read is the name's when it is
	 * named by the ID of the container holding the name */
	write_file(ID_A, "docker-fw-store 9\n", 18);
	check(store_load_name(&s, "web", NULL, &r, &e) == 0);
	store_rec_free(&r);
	check(store_load_name(&s, "web", ID_B, &r, &e) == 0);
	store_rec_free(&r);
	check(store_load_name(&s, "web", ID_A, &r, &e) == -1 &&
	      e.code == EXIT_RUNTIME &&
	      strstr(e.msg, "unknown store version") && !strcmp(r.id, ID_A) &&
	      !strcmp(r.name, "web") && !r.nrules);
	store_rec_free(&r);
	store_close(&s);
	teardown();
}

/*
 * Files of one name merged by an index (#18): the same record as a
 * merge each with each - the first file's rules, then each rule of the
 * next that no rule before equals (a repeat inside a file too; a rule
 * equal but for --network is another rule), in their order.
 */
static void test_merge_many(void)
{
	struct buf a = { 0 }, c = { 0 };
	struct store_rec r, fa, fc, want;
	struct store s;
	struct err e = { 0 };
	size_t i, j, n = 0;

	check(!buf_adds(&a, "docker-fw-store 3\ncontainer " ID_A " web\n"));
	check(!buf_adds(&c, "docker-fw-store 3\ncontainer " ID_C " web\n"));
	for (i = 1; i <= 200; i++, n++)
		check(!buf_printf(&c,
				  "rule add-internal --source db --dest . "
				  "--dport %zu --protocol tcp\n",
				  i));
	check(!buf_printf(&c, "end %zu\n", n));
	n = 0;
	for (i = 100; i <= 300; i++, n++)
		check(!buf_printf(&a,
				  "rule add-internal --source db --dest . "
				  "--dport %zu --protocol tcp%s\n",
				  i, i == 150 ? " --network back" : ""));
	for (i = 0; i < 2; i++, n++)
		check(!buf_adds(&a, "rule add-internal --source db --dest . "
				    "--dport 250 --protocol tcp\n"));
	check(!buf_printf(&a, "end %zu\n", n));
	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	write_file(ID_A, a.data, a.len);
	write_file(ID_C, c.data, c.len);
	check(store_load_name(&s, "web", NULL, &r, &e) == 1);
	/* each with each, ID_C's file first (the lower ID) */
	check(store_load(&s, ID_C, &fc, &e) == 1 &&
	      store_load(&s, ID_A, &fa, &e) == 1);
	memset(&want, 0, sizeof(want));
	for (i = 0; i < fc.nrules; i++)
		check(store_rec_add(&want, &fc.rules[i]) == 0);
	for (i = 0; i < fa.nrules; i++) {
		for (j = 0; j < want.nrules; j++)
			if (rulespec_equal(&want.rules[j], &fa.rules[i]))
				break;
		if (j == want.nrules)
			check(store_rec_add(&want, &fa.rules[i]) == 0);
	}
	check(r.nrules == 301 && want.nrules == 301);
	for (i = 0; i < r.nrules && i < want.nrules; i++)
		check(rulespec_equal(&r.rules[i], &want.rules[i]));
	check(r.gone.n == 1 && !strcmp(r.gone.v[0], ID_A));
	store_rec_free(&r);
	store_rec_free(&fa);
	store_rec_free(&fc);
	store_rec_free(&want);
	store_close(&s);
	teardown();
	buf_free(&a);
	buf_free(&c);
}

/* Whether another open file description can take the lock now. */
static int lock_free(void)
{
	char p[256];
	int fd, ok;

	path_in(p, sizeof(p), ".lock");
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = !flock(fd, LOCK_EX | LOCK_NB);
	close(fd);
	return ok;
}

/*
 * The child takes the lock, says "L", waits 300 ms, says "U" and only
 * then lets go. So when the parent's store_open returns, "U" must be in
 * the pipe already: no timing guesses, only the order.
 */
static void test_lock(void)
{
	struct store s, s2;
	struct err e = { 0 };
	int fds[2], status;
	char c;
	pid_t pid;

	setup();
	check(pipe(fds) == 0);
	pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (store_open(&s, dir, 1, &e) || write(fds[1], "L", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		if (write(fds[1], "U", 1) != 1)
			_exit(1);
		store_close(&s);
		_exit(0);
	}
	close(fds[1]);
	check(read(fds[0], &c, 1) == 1 && c == 'L');
	check(lock_free() == 0);

	/* Readers do not wait. */
	check(store_open(&s2, dir, 0, &e) == 0 && s2.lock_fd == -1);
	store_close(&s2);

	check(store_open(&s, dir, 1, &e) == 0);
	check(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
	check(read(fds[0], &c, 1) == 1 && c == 'U');
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	check(lock_free() == 0);
	store_close(&s);
	check(lock_free() == 1);
	close(fds[0]);
	teardown();
}

/* prepare writes only a temporary file; abort drops it, commit puts it
 * in place. */
static void test_txn(void)
{
	struct store s;
	struct store_rec a, r;
	struct store_txn t;
	struct err e = { 0 };

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	rec_init(&a, ID_A, "web");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 80");
	check(store_save(&s, &a, &e) == 0);
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 81");
	check(store_prepare(&s, &a, &t, &e) == 0);
	check(store_load(&s, ID_A, &r, &e) == 1 && r.nrules == 1);
	store_rec_free(&r);
	store_abort(&t);
	check_str(listing(), ".lock " ID_A);
	check(store_prepare(&s, &a, &t, &e) == 0);
	check(store_commit(&t, &e) == 0);
	check(store_load(&s, ID_A, &r, &e) == 1 && r.nrules == 2);
	store_rec_free(&r);
	check_str(listing(), ".lock " ID_A);
	/* a removal, prepared then committed */
	store_rec_free(&a);
	check(store_prepare(&s, &a, &t, &e) == 0);
	check(store_load(&s, ID_A, &r, &e) == 1);
	store_rec_free(&r);
	check(store_commit(&t, &e) == 0);
	check_str(listing(), ".lock");
	store_close(&s);
	teardown();
}

/* Nothing in the folder is followed through a link, for reads and
 * writes; the folder itself may be one. */
static void test_symlinks(void)
{
	struct store s;
	struct store_rec a, r;
	struct err e = { 0 };
	struct stat st;
	char p[256], target[256], lnk[256];

	setup();
	check(mkdir(dir, 0700) == 0);
	/* a dangling .lock link: refused by name, its target not made */
	snprintf(target, sizeof(target), "%s/made", tmpdir);
	path_in(p, sizeof(p), ".lock");
	check(symlink(target, p) == 0);
	check(store_open(&s, dir, 1, &e) == -1 && e.code == EXIT_RUNTIME);
	check(strstr(e.msg, p) && strstr(e.msg, "is a symbolic link"));
	check(lstat(target, &st) == -1 && errno == ENOENT);
	check(s.lock_fd == -1 && s.dir_fd == -1);
	/* a link to a file that exists: the same */
	write_file("real", "x", 1);
	check(unlink(p) == 0 && symlink("real", p) == 0);
	check(store_open(&s, dir, 1, &e) == -1 &&
	      strstr(e.msg, "is a symbolic link"));
	check_str(read_back("real"), "x");
	/* a FIFO as the lock: refused, no hang */
	check(unlink(p) == 0 && mkfifo(p, 0600) == 0);
	check(store_open(&s, dir, 1, &e) == -1 &&
	      strstr(e.msg, "is not a regular file"));
	check(unlink(p) == 0);

	/* a store file that is a link: refused on read and write alike */
	check(store_open(&s, dir, 1, &e) == 0);
	rec_init(&a, ID_A, "web");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 80");
	check(store_save(&s, &a, &e) == 0);
	path_in(p, sizeof(p), ID_A);
	path_in(target, sizeof(target), "elsewhere");
	check(rename(p, target) == 0 && symlink("elsewhere", p) == 0);
	check(load_fails(&s, ID_A, EXIT_RUNTIME, "is a symbolic link"));
	check(store_load(&s, ID_A, &r, &e) == -1 && strstr(e.msg, p));
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 81");
	check(store_save(&s, &a, &e) == -1 && strstr(e.msg, p) &&
	      strstr(e.msg, "is a symbolic link"));
	store_rec_free(&r);
	rec_init(&r, ID_A, "web"); /* a removal: refused too */
	check(store_save(&s, &r, &e) == -1 &&
	      strstr(e.msg, "is a symbolic link"));
	check(lstat(p, &st) == 0 && S_ISLNK(st.st_mode));
	check(strstr(read_back("elsewhere"), "--dport 80 ") &&
	      !strstr(read_back("elsewhere"), "--dport 81 "));
	/* load_all names it among the bad ones */
	{
		struct store_rec *v;
		struct store_bad *bad;
		size_t n, nb;

		check(store_load_all(&s, &v, &n, &bad, &nb, &e) == 0 &&
		      n == 0 && nb == 1);
		check(nb == 1 && !strcmp(bad[0].id, ID_A) &&
		      strstr(bad[0].err.msg, "is a symbolic link"));
		store_recs_free(v, n);
		free(bad);
	}
	check(unlink(p) == 0);

	/* a FIFO in a file's place: no hang on read */
	check(mkfifo(p, 0600) == 0);
	check(load_fails(&s, ID_A, EXIT_RUNTIME, "is not a regular file"));
	check(store_save(&s, &a, &e) == -1 &&
	      strstr(e.msg, "is not a regular file"));
	check(unlink(p) == 0);

	/* a link where the temporary file goes is replaced, not followed */
	snprintf(lnk, sizeof(lnk), ".%s.tmp.%ld", ID_A, (long)getpid());
	path_in(p, sizeof(p), lnk);
	check(symlink(target, p) == 0);
	check(store_save(&s, &a, &e) == 0);
	check(strstr(read_back("elsewhere"), "--dport 80 ") &&
	      !strstr(read_back("elsewhere"), "--dport 81 "));
	check(lstat(p, &st) == -1 && errno == ENOENT);
	check(store_load(&s, ID_A, &r, &e) == 1 && r.nrules == 2);
	store_rec_free(&r);
	store_close(&s);

	/* the folder as given may be a link */
	snprintf(lnk, sizeof(lnk), "%s/link", tmpdir);
	check(symlink(dir, lnk) == 0);
	check(store_open(&s, lnk, 1, &e) == 0);
	check(store_load(&s, ID_A, &r, &e) == 1 && r.nrules == 2);
	store_rec_free(&r);
	check(store_save(&s, &a, &e) == 0);
	store_close(&s);
	check(store_open(&s, lnk, 0, &e) == 0);
	check(store_load(&s, ID_A, &r, &e) == 1);
	store_rec_free(&r);
	store_close(&s);
	store_rec_free(&a);
	teardown();
}

/* Values with any byte but NUL round-trip; the file says version 2 only
 * when it needs $'...'. */
static void test_escapes(void)
{
	struct store s;
	struct store_rec a, r;
	struct err e = { 0 };
	char all[256];
	int i;

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	rec_init(&a, ID_A, "web");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 80");
	check(strv_add(&a.hostconfig, "bind '/srv/a b:/data'", 21) == 0);
	check(store_save(&s, &a, &e) == 0);
	check(!strncmp(read_back(ID_A), "docker-fw-store 1\n", 18));
	/* a newline in a bind-mount path and an --add-host value */
	strv_free(&a.hostconfig);
	check(strv_add(&a.hostconfig, "bind $'/srv/vol\\nx:/data'", 25) == 0);
	check(strv_add(&a.hostconfig, "extra-host $'h\\tx:1.2.3.4'", 26) == 0);
	check(store_save(&s, &a, &e) == 0);
	check_str(read_back(ID_A),
		  "docker-fw-store 2\n"
		  "container " ID_A " web\n"
		  "rule add --source 10.0.0.0/8 --dest . --dport 80 "
		  "--protocol tcp\n"
		  "hostconfig bind $'/srv/vol\\nx:/data'\n"
		  "hostconfig extra-host $'h\\tx:1.2.3.4'\n"
		  "end 1\n");
	check(store_load(&s, ID_A, &r, &e) == 1 && rec_equal(&a, &r) &&
	      r.hostconfig.n == 2);
	check_str(r.hostconfig.v[0], "bind $'/srv/vol\\nx:/data'");
	store_rec_free(&r);

	/* every byte but NUL, in the name and in a hostconfig word */
	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = 0;
	snprintf(a.name, sizeof(a.name), "%s", all);
	strv_free(&a.hostconfig);
	{
		struct buf q = { 0 };

		buf_adds(&q, "bind ");
		check(rulespec_quote(all, &q) == 0);
		check(strv_add(&a.hostconfig, q.data, q.len) == 0);
		buf_free(&q);
	}
	check(store_save(&s, &a, &e) == 0);
	check(!strncmp(read_back(ID_A), "docker-fw-store 2\n", 18));
	check(store_load(&s, ID_A, &r, &e) == 1 && rec_equal(&a, &r));
	check(r.hostconfig.n == 1 &&
	      !strcmp(r.hostconfig.v[0], a.hostconfig.v[0]));
	store_rec_free(&r);
	for (i = 0; read_back(ID_A)[i]; i++) /* no raw control byte */
		check(read_back(ID_A)[i] == '\n' || read_back(ID_A)[i] == ' ' ||
		      (unsigned char)read_back(ID_A)[i] >= 0x20);

	/* a hostconfig line the reader could not take is never written */
	strv_free(&a.hostconfig);
	check(strv_add(&a.hostconfig, "bind a\nb", 8) == 0);
	check(store_save(&s, &a, &e) == -1 &&
	      strstr(e.msg, "hostconfig line 1 is not"));
	strv_free(&a.hostconfig);
	check(strv_add(&a.hostconfig, "bind", 4) == 0);
	check(store_save(&s, &a, &e) == -1 &&
	      strstr(e.msg, "hostconfig line 1 is not"));
	strv_free(&a.hostconfig);
	check(strv_add(&a.hostconfig, "bind 'x", 7) == 0);
	check(store_save(&s, &a, &e) == -1);
	check(store_load(&s, ID_A, &r, &e) == 1); /* the old file */
	store_rec_free(&r);
	store_rec_free(&a);
	store_close(&s);
	teardown();
}

/* A file as the docker-fw of before $'...' wrote it (version 1, quoted
 * hostconfig words) is read, and written back the same. */
static void test_version1(void)
{
	static const char v1[] =
		"docker-fw-store 1\n"
		"container " ID_B " 'odd name'\"'\"'s'\n"
		"rule add --source 10.0.0.0/8 --dest . --dport 80 "
		"--protocol tcp\n"
		"rule add-internal --source db --dest . --dport 5432 "
		"--protocol tcp --filter '-m conntrack --ctstate NEW'\n"
		"hostconfig bind '/srv/a b:/data:ro'\n"
		"hostconfig extra-host 'h:1.2.3.4'\n"
		"hostconfig port 80/tcp 0.0.0.0 8080\n"
		"hostconfig restart no 0\n"
		"end 2\n";
	static const char canon[] =
		"docker-fw-store 1\n"
		"container " ID_B " 'odd name'\\''s'\n"
		"rule add --source 10.0.0.0/8 --dest . --dport 80 "
		"--protocol tcp\n"
		"rule add-internal --source db --dest . --dport 5432 "
		"--protocol tcp --filter '-m conntrack --ctstate NEW'\n"
		"hostconfig bind '/srv/a b:/data:ro'\n"
		"hostconfig extra-host h:1.2.3.4\n"
		"hostconfig port 80/tcp 0.0.0.0 8080\n"
		"hostconfig restart no 0\n"
		"end 2\n";
	/* a raw tab inside quotes, as version 1 wrote it */
	static const char tab[] = "docker-fw-store 1\ncontainer " ID_C " web\n"
				  "hostconfig bind '/a\tb:/c'\nend 0\n";
	struct store s;
	struct store_rec r;
	struct err e = { 0 };

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	write_file(ID_B, v1, strlen(v1));
	check(store_load(&s, ID_B, &r, &e) == 1);
	check_str(r.name, "odd name's");
	check(r.nrules == 2 && r.hostconfig.n == 4);
	check_str(r.hostconfig.v[0], "bind '/srv/a b:/data:ro'");
	check_str(r.hostconfig.v[1], "extra-host h:1.2.3.4");
	check(store_save(&s, &r, &e) == 0);
	check_str(read_back(ID_B), canon);
	store_rec_free(&r);

	write_file(ID_C, tab, strlen(tab));
	check(store_load(&s, ID_C, &r, &e) == 1 && r.hostconfig.n == 1);
	check_str(r.hostconfig.v[0], "bind $'/a\\tb:/c'");
	check(store_save(&s, &r, &e) == 0);
	check_str(read_back(ID_C),
		  "docker-fw-store 2\ncontainer " ID_C
		  " web\nhostconfig bind $'/a\\tb:/c'\nend 0\n");
	store_rec_free(&r);
	store_close(&s);
	teardown();
}

/* Version 3: a rule line may end with the network it was made on; a
 * file holding one is written as version 3, one without stays 1. */
static void test_made_on(void)
{
	static const char v3[] =
		"docker-fw-store 3\n"
		"container " ID_B " web\n"
		"rule add --source 10.0.0.0/8 --dest . --dport 80 "
		"--protocol tcp --made-on front\n"
		"rule add-internal --source db --dest . --dport 5432 "
		"--protocol tcp --network back\n"
		"rule add-internal --source db --dest . --dport 1 "
		"--protocol tcp --filter --made-on --made-on side\n"
		"end 3\n";
	struct store s;
	struct store_rec r;
	struct err e = { 0 };

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	write_file(ID_B, v3, strlen(v3));
	check(store_load(&s, ID_B, &r, &e) == 1);
	check(r.nrules == 3);
	check_str(r.rules[0].made_on, "front");
	check_str(r.rules[0].network, "");
	check_str(r.rules[1].made_on, "");
	check_str(r.rules[1].network, "back");
	check_str(r.rules[2].made_on, "side");
	check(r.rules[2].filter.n == 1);
	check_str(r.rules[2].filter.v[0], "--made-on");
	check(store_save(&s, &r, &e) == 0);
	check_str(read_back(ID_B), v3);
	/* without: version 1 again */
	r.rules[0].made_on = "";
	r.rules[2].made_on = "";
	check(store_save(&s, &r, &e) == 0);
	check(!strncmp(read_back(ID_B), "docker-fw-store 1\n", 18));
	/* equal rules whatever they were made on */
	check(rulespec_equal(&r.rules[0], &r.rules[0]));
	check(rulespec_set_made_on(&r.rules[0], "x") == 0);
	{
		struct rulespec t;

		check(rulespec_copy(&t, &r.rules[0]) == 0);
		t.made_on = "";
		check(rulespec_equal(&t, &r.rules[0]));
		t.network = "x";
		check(!rulespec_equal(&t, &r.rules[0]));
		check(rulespec_same_but_net(&t, &r.rules[0]));
		t.dport = 81;
		check(!rulespec_same_but_net(&t, &r.rules[0]));
		rulespec_free(&t);
	}
	store_rec_free(&r);
	store_close(&s);
	teardown();
}

/* The caps, on reading and on writing. */
static void test_caps(void)
{
	struct store s;
	struct store_rec a, r;
	struct rulespec one;
	struct err e = { 0 };
	struct buf b = { 0 };
	char want[256];
	int i;

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	/* STORE_MAX_RULES rules are written and read; one more is not
	 * written (EXIT_USAGE: the request, nothing changed) */
	rec_init(&a, ID_A, "web");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 1");
	one = a.rules[0]; /* no filter: a plain copy is fine */
	for (i = 1; i < STORE_MAX_RULES; i++) {
		one.dport = (uint16_t)(i % 65535 + 1);
		check(store_rec_add(&a, &one) == 0);
	}
	check(store_save(&s, &a, &e) == 0);
	check(store_load(&s, ID_A, &r, &e) == 1 && r.nrules == STORE_MAX_RULES);
	store_rec_free(&r);
	check(store_rec_add(&a, &one) == 0);
	check(store_save(&s, &a, &e) == -1 && e.code == EXIT_USAGE &&
	      strstr(e.msg, "10001 rules, more than a store file holds"));
	check(store_load(&s, ID_A, &r, &e) == 1 && r.nrules == STORE_MAX_RULES);
	store_rec_free(&r);
	store_rec_free(&a);

	/* a file with one rule line too many */
	buf_adds(&b, "docker-fw-store 1\ncontainer " ID_B " db\n");
	for (i = 0; i <= STORE_MAX_RULES; i++)
		buf_adds(&b, "rule add --source 1.1.1.1\n");
	buf_printf(&b, "end %d\n", STORE_MAX_RULES + 1);
	write_file(ID_B, b.data, b.len);
	snprintf(want, sizeof(want), "%s/%s:%d: more than %d rule lines", dir,
		 ID_B, STORE_MAX_RULES + 3, STORE_MAX_RULES);
	check(load_fails(&s, ID_B, EXIT_RUNTIME, want));
	/* hostconfig lines likewise */
	b.len = 0;
	buf_adds(&b, "docker-fw-store 1\ncontainer " ID_B " db\n");
	for (i = 0; i <= STORE_MAX_HOSTCONFIG; i++)
		buf_printf(&b, "hostconfig dns 1.1.1.%d\n", i % 200);
	buf_adds(&b, "end 0\n");
	write_file(ID_B, b.data, b.len);
	check(load_fails(&s, ID_B, EXIT_RUNTIME,
			 "more than 10000 "
			 "hostconfig lines"));
	rec_init(&a, ID_B, "db");
	for (i = 0; i <= STORE_MAX_HOSTCONFIG; i++)
		check(strv_add(&a.hostconfig, "dns 1.1.1.1", 11) == 0);
	check(store_save(&s, &a, &e) == -1 && e.code == EXIT_USAGE &&
	      strstr(e.msg, "10001 hostconfig lines"));
	store_rec_free(&a);
	/* a file over STORE_MAX_BYTES: refused before it is parsed, and
	 * read no further than the cap */
	b.len = 0;
	buf_adds(&b, "docker-fw-store 1\ncontainer " ID_B " db\n");
	while (b.len <= STORE_MAX_BYTES)
		buf_adds(&b, "# padding padding padding padding padding\n");
	write_file(ID_B, b.data, b.len);
	check(load_fails(&s, ID_B, EXIT_RUNTIME,
			 "larger than 16777216 "
			 "bytes"));
	/* a last line past the line cap, with no newline */
	b.len = 0;
	buf_adds(&b, "docker-fw-store 1\ncontainer " ID_B " db\nrule ");
	while (b.len < 70000)
		buf_adds(&b, "x");
	write_file(ID_B, b.data, b.len);
	check(load_fails(&s, ID_B, EXIT_RUNTIME,
			 ":3: line longer than "
			 "65536 bytes"));
	/* a hostconfig line over the line cap is not written */
	rec_init(&a, ID_B, "db");
	b.len = 0;
	buf_adds(&b, "bind /");
	while (b.len < STORE_MAX_LINE)
		buf_adds(&b, "a");
	check(strv_add(&a.hostconfig, b.data, b.len) == 0);
	check(store_save(&s, &a, &e) == -1 && e.code == EXIT_USAGE &&
	      strstr(e.msg, "hostconfig line 1 is longer than 65536"));
	store_rec_free(&a);
	buf_free(&b);
	store_close(&s);
	teardown();
}

/* A bad file hurts only itself: the others load, it is named, with the
 * name of its line 2 when that was read. */
static void test_load_all_bad(void)
{
	static const char cut[] = "docker-fw-store 1\ncontainer " ID_C
				  " db\nrule add --source 'x\nend 1\n";
	struct store s;
	struct store_rec a, *v, r;
	struct store_bad *bad;
	struct err e = { 0 };
	size_t n, nb;
	char want[256];

	setup();
	check(store_open(&s, dir, 1, &e) == 0);
	rec_init(&a, ID_A, "web");
	rec_rule(&a, "add --source 10.0.0.0/8 --dport 80");
	check(store_save(&s, &a, &e) == 0);
	write_file(ID_C, cut, strlen(cut));
	write_file(ID_B, "docker-fw-store 1\n", 18);
	check(store_load_all(&s, &v, &n, &bad, &nb, &e) == 0);
	check(n == 1 && nb == 2);
	if (n == 1 && nb == 2) {
		check(rec_equal(&v[0], &a));
		check(!strcmp(bad[0].id, ID_B) && !*bad[0].name);
		snprintf(want, sizeof(want), "%s/%s: truncated", dir, ID_B);
		check(strstr(bad[0].err.msg, want) != NULL);
		check(!strcmp(bad[1].id, ID_C) && !strcmp(bad[1].name, "db"));
		snprintf(want, sizeof(want), "%s/%s:3: unterminated ' quote",
			 dir, ID_C);
		check(strstr(bad[1].err.msg, want) != NULL);
	}
	store_recs_free(v, n);
	free(bad);
	/* store_load says the same, and keeps the ID and name */
	check(store_load(&s, ID_C, &r, &e) == -1);
	check(!strcmp(r.id, ID_C) && !strcmp(r.name, "db") && !r.rules);
	/* without a bad list, the first bad file is the error */
	check(store_load_all(&s, &v, &n, NULL, NULL, &e) == -1 &&
	      strstr(e.msg, "truncated") && !v && !n);
	/* an empty or missing folder */
	store_close(&s);
	check(store_open(&s, "/nonexistent/dfw", 0, &e) == 0 && s.dir_fd == -1);
	check(store_load_all(&s, &v, &n, &bad, &nb, &e) == 0 && !n && !nb);
	store_close(&s);
	store_rec_free(&a);
	teardown();
}

/* store_parse and store_format: the text is a fixed point. */
static void test_parse_format(void)
{
	struct store_rec r, r2;
	struct buf a = { 0 }, b = { 0 };
	struct err e = { 0 };
	char *text = strdup(example);

	check(store_parse(text, strlen(text), "F", ID_A, &r, &e) == 0);
	check(store_format(&r, &a, &e) == 0);
	check_str(a.data, example);
	check(store_parse(a.data, a.len, "F", ID_A, &r2, &e) == 0 &&
	      rec_equal(&r, &r2));
	store_rec_free(&r2);
	store_rec_free(&r);
	check(store_parse(text, 3, "F", ID_A, &r, &e) == -1 &&
	      !strcmp(e.msg, "F: truncated (no \"end\" line)"));
	check(store_parse(text, 3, "F", "x", &r, &e) == -1 &&
	      e.code == EXIT_USAGE);
	free(text);
	/* out is unchanged on failure */
	rec_init(&r, ID_A, "web");
	check(strv_add(&r.hostconfig, "x", 1) == 0);
	b.len = 0;
	buf_adds(&b, "keep");
	check(store_format(&r, &b, &e) == -1 && !strcmp(b.data, "keep"));
	store_rec_free(&r);
	buf_free(&a);
	buf_free(&b);
}

/* store_parse of text[0..len) (copied: it is changed in place) as ID_B's
 * file; store_format of the record into out. */
static int parse_text(const char *text, size_t len, struct store_rec *r,
		      struct err *e)
{
	char *copy = malloc(len + 1);
	int rc;

	check(copy != NULL);
	memcpy(copy, text, len + 1);
	rc = store_parse(copy, len, "F", ID_B, r, e);
	free(copy);
	return rc;
}

/*
 * A line of plain words is split in place (no allocation per word), any
 * other by rulespec_split: both read the same. Blanks (runs of spaces,
 * tabs) separate words in both; a quote, backslash, '$' or '#' anywhere,
 * or a control character, takes the other way.
 */
static void test_plain_lines(void)
{
	static const char plain[] =
		"docker-fw-store 3\n"
		"container " ID_B " web\n"
		"rule add-internal --source db --dest . --dport 5432 "
		"--protocol tcp --network back\n"
		"rule  add\t--source 10.0.0.0/8   --dest . --dport 80\t\t"
		"--protocol udp --made-on front \n"
		"rule add --source 10.0.0.0/8 --dest . --dport 81 "
		"--protocol tcp --filter '-i eth0'\n"
		"hostconfig port 80/tcp 0.0.0.0 8080\n"
		"end 3\n";
	static const char quoted[] =
		"docker-fw-store 3\n"
		"container " ID_B " 'web'\n"
		"rule \"add-internal\" --source d\\b --dest . --dport 5432 "
		"--protocol tcp --network $'back'\n"
		"rule add --source 10.0.0.0/8 --dest . --dport 80 "
		"--protocol udp --made-on front # a comment\n"
		"rule add --source 10.0.0.0/8 --dest . --dport 81 "
		"--protocol tcp --filter '-i eth0'\n"
		"hostconfig port '80/tcp' 0.0.0.0 8080\n"
		"end 3\n";
	char many[2048], nul[] = "docker-fw-store 1\ncontainer " ID_B
				 " web\nrule add x\0y\nend 0\n";
	struct store_rec a, b;
	struct buf fa = { 0 }, fb = { 0 };
	struct err e;
	size_t len;
	int i;

	check(parse_text(plain, strlen(plain), &a, &e) == 0);
	check(parse_text(quoted, strlen(quoted), &b, &e) == 0);
	check(a.nrules == 3 && b.nrules == 3);
	check_str(a.rules[0].src.name, "db");
	check_str(a.rules[0].network, "back");
	check(a.rules[1].proto == IPPROTO_UDP && a.rules[1].dport == 80);
	check_str(a.rules[1].made_on, "front");
	check(a.rules[2].filter.n == 2);
	check(store_format(&a, &fa, &e) == 0 && store_format(&b, &fb, &e) == 0);
	check_str(fa.data, fb.data);
	store_rec_free(&a);
	store_rec_free(&b);
	buf_free(&fa);
	buf_free(&fb);
	/* more words than the in-place splitter takes: the same error */
	len = (size_t)snprintf(many, sizeof(many),
			       "docker-fw-store 1\ncontainer %s web\n"
			       "rule add --source 10.0.0.0/8",
			       ID_B);
	for (i = 0; i < 20; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len,
					" --dport %d", i + 1);
	len += (size_t)snprintf(many + len, sizeof(many) - len, "\nend 1\n");
	check(parse_text(many, len, &a, &e) == -1);
	check(e.code == EXIT_RUNTIME && strstr(e.msg, "F:3: ") &&
	      strstr(e.msg, "--dport given twice"));
	/* a NUL byte is not a plain line's */
	check(parse_text(nul, sizeof(nul) - 1, &a, &e) == -1);
	check_str(e.msg, "F:3: NUL byte");
	check(a.nrules == 0);
}

/*
 * Every allocation of store_parse failing in turn: it fails with
 * EXIT_RUNTIME "out of memory" and holds no rule (LeakSanitizer checks
 * that nothing is left at exit), until it no longer reaches one. Names
 * new to the pool (rulespec_intern), so its allocations are among them.
 */
static void test_parse_oom(void)
{
	static const char text[] =
		"docker-fw-store 3\n"
		"container " ID_B " oom-web\n"
		"rule add-internal --source oom-db --dest . --dport 5432 "
		"--protocol tcp --network oom-back\n"
		"rule add-internal --source 'oom-db2' --dest . --dport 5432 "
		"--protocol tcp --made-on oom-front\n"
		"rule add --source 10.0.0.0/8 --dest . --dport 81 "
		"--protocol tcp --filter '-i eth0'\n"
		"hostconfig port 80/tcp 0.0.0.0 8080\n"
		"end 3\n";
	char copy[sizeof(text)];
	struct store_rec r;
	struct err e;
	long n;
	int rc, done = 0;

	for (n = 0; !done && n < 1000; n++) {
		memcpy(copy, text, sizeof(text));
		failalloc_after(n);
		rc = store_parse(copy, sizeof(text) - 1, "F", ID_B, &r, &e);
		if (!failalloc_off()) {
			check(rc == 0 && r.nrules == 3);
			check_str(r.rules[0].network, "oom-back");
			check_str(r.rules[1].src.name, "oom-db2");
			check_str(r.rules[1].made_on, "oom-front");
			check(r.hostconfig.n == 1);
			store_rec_free(&r);
			done = 1;
			break;
		}
		check(rc == -1 && e.code == EXIT_RUNTIME &&
		      strstr(e.msg, "out of memory"));
		check(r.nrules == 0 && r.rules == NULL && r.hostconfig.n == 0);
	}
	check(done);
}

/*
 * A file's rules are held in one array sized by its rule lines (#18);
 * rules added after (a merge, add) grow it: every rule stays readable
 * (ASan would see a write past its end).
 */
static void test_rules_array(void)
{
	struct buf t = { 0 };
	struct store_rec r;
	struct rulespec extra;
	struct err e;
	char port[16],
		*argv[6] = { "--source", "db", "--dest", ".", "--dport", port };
	size_t i;

	check(!buf_adds(&t, "docker-fw-store 3\ncontainer " ID_B " web\n"));
	for (i = 0; i < 20; i++)
		check(!buf_printf(&t,
				  "rule add-internal --source db --dest . "
				  "--dport %zu --protocol tcp\n",
				  1000 + i));
	check(!buf_adds(&t, "end 20\n"));
	check(parse_text(t.data, t.len, &r, &e) == 0 && r.nrules == 20);
	check(r.cap == 20);
	for (i = 0; i < 30; i++) {
		snprintf(port, sizeof(port), "%zu", 2000 + i);
		check(rulespec_parse(&extra, RULE_ADD_INTERNAL, 6, argv, &e) ==
		      0);
		check(store_rec_add(&r, &extra) == 0);
		rulespec_free(&extra);
	}
	check(r.nrules == 50 && r.cap >= 50);
	for (i = 0; i < 50; i++)
		check(r.rules[i].dport == (i < 20 ? 1000 + i : 2000 + i - 20));
	store_rec_free(&r);
	check(r.rules == NULL && r.nrules == 0 && r.cap == 0);
	/* no rule lines: no array until a rule is added */
	check(parse_text("docker-fw-store 3\ncontainer " ID_B " web\nend 0\n",
			 strlen("docker-fw-store 3\ncontainer " ID_B
				" web\nend 0\n"),
			 &r, &e) == 0);
	check(r.rules == NULL && r.cap == 0);
	snprintf(port, sizeof(port), "80");
	check(rulespec_parse(&extra, RULE_ADD_INTERNAL, 6, argv, &e) == 0);
	check(store_rec_add(&r, &extra) == 0 && r.nrules == 1);
	rulespec_free(&extra);
	store_rec_free(&r);
	buf_free(&t);
}

UNIT_TESTS(T(test_open) T(test_round_trip) T(test_replace) T(test_remove) T(
	test_txn) T(test_bad_id) T(test_truncated) T(test_bad_files)
		   T(test_load_all) T(test_by_name) T(test_lock)
			   T(test_symlinks) T(test_escapes) T(test_version1)
				   T(test_caps) T(test_load_all_bad) T(
					   test_parse_format) T(test_made_on)
					   T(test_plain_lines) T(test_parse_oom)
						   T(test_rules_array)
							   T(test_merge_many))
