#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dfw/rulespec.h"
#include "dfw/store.h"
#include "dfw/util.h"
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

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *f)
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
	unsetenv("DFW_STATE_DIR");
	check(store_open(&s, NULL, 0, &e) == 0);
	check_str(s.dir, STORE_DEFAULT_DIR);
	check(s.lock_fd == -1);
	setenv("DFW_STATE_DIR", "", 1);
	check(store_open(&s, NULL, 0, &e) == 0);
	check_str(s.dir, STORE_DEFAULT_DIR);
	setenv("DFW_STATE_DIR", dir, 1);
	check(store_open(&s, NULL, 0, &e) == 0);
	check_str(s.dir, dir);
	check(store_open(&s, "/x/y//", 0, &e) == 0);
	check_str(s.dir, "/x/y");
	check(store_open(&s, "/", 0, &e) == 0);
	check_str(s.dir, "/");
	unsetenv("DFW_STATE_DIR");
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
	      strstr(e.msg, "cannot replace") && strstr(e.msg, tmp));
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
	check(store_save(&s, &a, &e) == 0);	/* missing is fine */

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
		"", "web", "../etc/passwd", ID_A "a",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* uppercase */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 63 */
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
		check(load_fails(&s, ids[i], EXIT_USAGE, "not a full "
				 "container ID"));
		if (strlen(ids[i]) >= sizeof(r.id))
			continue;	/* would be cut to a good one */
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
	const char *want;	/* after "PATH" */
};

#define HEAD "docker-fw-store 1\ncontainer " ID_A " web\n"
#define RULE "rule add --source 10.0.0.0/8 --dest . --dport 80 " \
	"--protocol tcp\n"

static const struct bad_file bad_files[] = {
	{ "", ": truncated (no \"end\" line)" },
	{ "docker-fw-store 1\n", ": truncated (no \"end\" line)" },
	{ HEAD, ": truncated (no \"end\" line)" },
	{ HEAD RULE, ": truncated (no \"end\" line)" },
	{ HEAD RULE "end 1", ": truncated (no \"end\" line)" },
	{ "docker-fw-store 2\n", ":1: unknown store version \"2\" (this "
	  "docker-fw reads version 1)" },
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
	static const char hand[] =
		HEAD "rule  add --dport=80 --source 10.0.0.1\t\nend 1\n";
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
	check(load_fails(&s, ID_A, EXIT_RUNTIME, "cannot read"));
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
	check(store_load_all(&s, &v, &n, &e) == 0 && n == 0 && v == NULL);

	check(store_open(&s, dir, 1, &e) == 0);
	check(store_load_all(&s, &v, &n, &e) == 0 && n == 0 && v == NULL);
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
		   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x", 1);

	check(store_load_all(&s, &v, &n, &e) == 0 && n == 3);
	if (n == 3) {
		/* By name, then ID: db (0123...), db (4fa6...), web. */
		check(!strcmp(v[0].id, ID_C) && !strcmp(v[1].id, ID_A));
		check(rec_equal(&v[0], &c) && rec_equal(&v[1], &a) &&
		      rec_equal(&v[2], &b));
	}
	store_recs_free(v, n);

	/* One bad file stops it, naming the file. */
	write_file(ID_B, "docker-fw-store 1\n", 18);
	snprintf(p, sizeof(p), "%s/%s: truncated", dir, ID_B);
	v = &dummy;
	check(store_load_all(&s, &v, &n, &e) == -1 && e.code == EXIT_RUNTIME &&
	      strstr(e.msg, p) && v == NULL && n == 0);

	store_rec_free(&a);
	store_rec_free(&b);
	store_rec_free(&c);
	store_close(&s);
	teardown();
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

UNIT_TESTS(T(test_open) T(test_round_trip) T(test_replace) T(test_remove)
	   T(test_txn)
	   T(test_bad_id) T(test_truncated) T(test_bad_files)
	   T(test_load_all) T(test_lock))
