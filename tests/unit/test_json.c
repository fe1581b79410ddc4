#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dfw/json.h"
#include "dfw/util.h"
#include "unit.h"

#define NTOKS 4096
#define GUARD_ROOM (64 * 1024)

static struct json_tok toks[NTOKS];

/* Docker Engine API v1.41, GET /containers/{id}/json, trimmed by hand. */
static const char inspect[] =
	"{\n"
	"  \"Id\": \"4fa6e0f0c6786287e131c3852c58a2e0"
	"1cc697a68231826813597e4994f1d6e2\",\n"
	"  \"Created\": \"2024-05-01T10:00:00.123456789Z\",\n"
	"  \"Path\": \"/docker-entrypoint.sh\",\n"
	"  \"Args\": [\"nginx\", \"-g\", \"daemon off;\"],\n"
	"  \"State\": {\n"
	"    \"Status\": \"running\",\n"
	"    \"Running\": true,\n"
	"    \"Paused\": false,\n"
	"    \"Restarting\": false,\n"
	"    \"OOMKilled\": false,\n"
	"    \"Dead\": false,\n"
	"    \"Pid\": 4242,\n"
	"    \"ExitCode\": 0,\n"
	"    \"Error\": \"\",\n"
	"    \"StartedAt\": \"2024-05-01T10:00:01.5Z\",\n"
	"    \"FinishedAt\": \"0001-01-01T00:00:00Z\"\n"
	"  },\n"
	"  \"Image\": \"sha256:a8758716bb6aa4d90071160d27028fe4"
	"eaee7ce8166221a97d30440c8eac2be6\",\n"
	"  \"Name\": \"/web\",\n"
	"  \"RestartCount\": 0,\n"
	"  \"HostConfig\": {\n"
	"    \"NetworkMode\": \"bridge\",\n"
	"    \"PortBindings\": {\n"
	"      \"80/tcp\": [{\"HostIp\": \"\", \"HostPort\": \"8080\"}]\n"
	"    },\n"
	"    \"RestartPolicy\": {\"Name\": \"no\", \"MaximumRetryCount\": 0},\n"
	"    \"AutoRemove\": false,\n"
	"    \"CapAdd\": null,\n"
	"    \"NanoCpus\": 0,\n"
	"    \"Memory\": 0\n"
	"  },\n"
	"  \"Mounts\": [],\n"
	"  \"Config\": {\n"
	"    \"Hostname\": \"4fa6e0f0c678\",\n"
	"    \"ExposedPorts\": {\"80/tcp\": {}},\n"
	"    \"Env\": [\n"
	"      \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\",\n"
	"      \"NGINX_VERSION=1.25.5\"\n"
	"    ],\n"
	"    \"Cmd\": [\"nginx\", \"-g\", \"daemon off;\"],\n"
	"    \"Image\": \"nginx:1.25\",\n"
	"    \"Labels\": {\n"
	"      \"com.docker.compose.project\": \"shop\",\n"
	"      \"com.docker.compose.service\": \"web\",\n"
	"      \"fw.allow\": \"tcp/80 from 10.0.0.0/8 \\u0026 tcp/443\"\n"
	"    },\n"
	"    \"StopSignal\": \"SIGQUIT\"\n"
	"  },\n"
	"  \"NetworkSettings\": {\n"
	"    \"SandboxKey\": \"/var/run/docker/netns/6f2d3c4b5a69\",\n"
	"    \"Ports\": {\n"
	"      \"80/tcp\": [\n"
	"        {\"HostIp\": \"0.0.0.0\", \"HostPort\": \"8080\"},\n"
	"        {\"HostIp\": \"::\", \"HostPort\": \"8080\"}\n"
	"      ]\n"
	"    },\n"
	"    \"Networks\": {\n"
	"      \"bridge\": {\n"
	"        \"IPAMConfig\": null,\n"
	"        \"Links\": null,\n"
	"        \"Aliases\": null,\n"
	"        \"NetworkID\": \"7e0f8b1cbd7d1fbb0c1a8ee8fd2ccd0b"
	"7ec0e1f45e27ffa7d1d2ebd5f7e0c3a1\",\n"
	"        \"Gateway\": \"172.17.0.1\",\n"
	"        \"IPAddress\": \"172.17.0.2\",\n"
	"        \"IPPrefixLen\": 16,\n"
	"        \"IPv6Gateway\": \"\",\n"
	"        \"GlobalIPv6Address\": \"\",\n"
	"        \"GlobalIPv6PrefixLen\": 0,\n"
	"        \"MacAddress\": \"02:42:ac:11:00:02\",\n"
	"        \"DriverOpts\": null\n"
	"      }\n"
	"    }\n"
	"  }\n"
	"}\n";

/* Valid object/array documents: every proper prefix is "need more". */
static const char *const docs[] = {
	"{}",
	"[]",
	"[[],{}]",
	"{\"a\":[1,\"b\",{\"c\":null}],\"d\":true}",
	"[0,-0,1,-1,0.5,-1.25e+10,2E-3,0e0,1e+1,"
	"123456789012345678901234567890]",
	"[true,false,null]",
	" \t\r\n[ 1 , { \"a\" : [ ] } , \"\" ] \n",
	"{\"\":\"\",\"k\\\"\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
	"[\"\\u00e9\\ud83d\\ude00\\u0000\\uFFFF\\uDBFF\\uDFFF\\u20Ac\"]",
	"[\"\xc3\xa9\xf0\x9f\x98\x80\x7f\xef\xbf\xbf\xf4\x8f\xbf\xbf"
	"\xed\x9f\xbf\xee\x80\x80\"]",
	"[{\"Id\":\"8dfafdbc3a40\",\"Names\":[\"/web\"],\"Image\":\"nginx\","
	"\"Ports\":[{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,"
	"\"PublicPort\":8080,\"Type\":\"tcp\"}],\"Labels\":{},"
	"\"State\":\"running\"}]",
	"{\"status\":\"start\",\"id\":\"8dfafdbc3a40\",\"Type\":\"container\","
	"\"Action\":\"start\",\"Actor\":{\"ID\":\"8dfafdbc3a40\","
	"\"Attributes\":{\"image\":\"nginx\",\"name\":\"web\"}},"
	"\"scope\":\"local\",\"time\":1714557601,"
	"\"timeNano\":1714557601123456789}",
	"{\"message\":\"No such container: x\"}",
	inspect,
};

/* Copies s so that it ends right at a PROT_NONE page: over-reads fault. */
static const char *at_guard(const char *s, size_t len)
{
	static char *base;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);

	if (!base) {
		base = mmap(NULL, GUARD_ROOM + ps, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED ||
		    mprotect(base + GUARD_ROOM, ps, PROT_NONE))
			abort();
	}
	if (len > GUARD_ROOM)
		abort();
	memcpy(base + GUARD_ROOM - len, s, len);
	return base + GUARD_ROOM - len;
}

/* Parses s at the guard page, with tokens and counting; both must agree. */
static int gparse(const char *s, size_t len, unsigned flags, size_t *pos)
{
	const char *g = at_guard(s, len);
	size_t p1 = (size_t)-1, p2 = (size_t)-2;
	int r1, r2;

	r1 = json_parse(g, len, toks, NTOKS, flags, &p1);
	r2 = json_parse(g, len, NULL, 0, flags, &p2);
	check(r1 == r2);
	check(r1 < 0 || p1 == p2);
	if (pos)
		*pos = p1;
	return r1;
}

/*
 * The tree invariants of json.h: offsets in range, next past the value,
 * parents before children, members as key/value pairs.
 */
static int tree_ok(const struct json_tok *t, int n, size_t len)
{
	int i, j, k;

	for (i = 0; i < n; i++)
		if (t[i].start > t[i].end || t[i].end > len ||
		    t[i].next <= (unsigned)i || t[i].next > (unsigned)n ||
		    t[i].parent >= i || (i == 0) != (t[i].parent == -1))
			return 0;
	for (i = 0; i < n; i++) {
		int obj = t[i].type == JSON_OBJECT;

		if (!obj && t[i].type != JSON_ARRAY) {
			if (t[i].size || t[i].next != (unsigned)i + 1)
				return 0;
			continue;
		}
		for (j = i + 1, k = 0; j < (int)t[i].next; j = t[j].next, k++)
			if (t[j].parent != i || t[j].start < t[i].start ||
			    t[j].end > t[i].end ||
			    (obj && !(k & 1) && t[j].type != JSON_STRING))
				return 0;
		if (j != (int)t[i].next || (unsigned)k != t[i].size * (obj + 1))
			return 0;
	}
	return t[0].next == (unsigned)n;
}

/* A string token's decoded value, or NULL; for checks only. */
static const char *str(const char *s, int i)
{
	static char out[256];

	if (i < 0 || json_string(s, &toks[i], out, sizeof(out)) < 0)
		return NULL;
	return out;
}

static void test_scalars(void)
{
	static const struct {
		const char *s;
		unsigned type, start, end;
		size_t pos;
	} tab[] = {
		{ "0", JSON_NUMBER, 0, 1, 1 },
		{ " -1.5e-3 ", JSON_NUMBER, 1, 8, 9 },
		{ "\"x\"", JSON_STRING, 1, 2, 3 },
		{ "\"\"", JSON_STRING, 1, 1, 2 },
		{ "true", JSON_TRUE, 0, 4, 4 },
		{ "\nfalse\n", JSON_FALSE, 1, 6, 7 },
		{ "null", JSON_NULL, 0, 4, 4 },
	};
	size_t i, pos;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		check(gparse(tab[i].s, strlen(tab[i].s), 0, &pos) == 1);
		check(toks[0].type == tab[i].type);
		check(toks[0].start == tab[i].start);
		check(toks[0].end == tab[i].end);
		check(toks[0].size == 0 && toks[0].next == 1);
		check(toks[0].parent == -1);
		check(pos == tab[i].pos);
	}
}

static void test_tokens(void)
{
	static const char s[] = "{\"a\":[1,\"b\",{\"c\":null}],\"d\":true}";
	static const struct json_tok want[] = {
		{ JSON_OBJECT, 0, 33, 2, 10, -1 },
		{ JSON_STRING, 2, 3, 0, 2, 0 },
		{ JSON_ARRAY, 5, 23, 3, 8, 0 },
		{ JSON_NUMBER, 6, 7, 0, 4, 2 },
		{ JSON_STRING, 9, 10, 0, 5, 2 },
		{ JSON_OBJECT, 12, 22, 1, 8, 2 },
		{ JSON_STRING, 14, 15, 0, 7, 5 },
		{ JSON_NULL, 17, 21, 0, 8, 5 },
		{ JSON_STRING, 25, 26, 0, 9, 0 },
		{ JSON_TRUE, 28, 32, 0, 10, 0 },
	};
	size_t pos;
	int i;

	check(json_parse(s, sizeof(s) - 1, toks, NTOKS, 0, &pos) == 10);
	check(pos == sizeof(s) - 1);
	for (i = 0; i < 10; i++) {
		check(toks[i].type == want[i].type);
		check(toks[i].start == want[i].start);
		check(toks[i].end == want[i].end);
		check(toks[i].size == want[i].size);
		check(toks[i].next == want[i].next);
		check(toks[i].parent == want[i].parent);
	}
	check(tree_ok(toks, 10, sizeof(s) - 1));
}

static void test_docs(void)
{
	size_t i, len, pos;
	int n;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		len = strlen(docs[i]);
		n = gparse(docs[i], len, 0, &pos);
		check(n > 0 && pos == len);
		check(n > 0 && tree_ok(toks, n, len));
		check(json_parse(docs[i], len, NULL, 12345, 0, NULL) == n);
	}
}

static void test_inspect(void)
{
	const char *s = inspect;
	int n, i, br;
	int64_t v;

	n = json_parse(s, sizeof(inspect) - 1, toks, NTOKS, 0, NULL);
	check(n == 146);
	check(tree_ok(toks, n, sizeof(inspect) - 1));
	check(toks[0].type == JSON_OBJECT && toks[0].size == 12);
	check_str(str(s, json_get(s, toks, 0, "Name")), "/web");
	i = json_path(s, toks, 0, "State", "Running", NULL);
	check(i > 0 && json_bool(&toks[i]) == 1);
	i = json_path(s, toks, 0, "State", "Pid", NULL);
	check(i > 0 && json_int(s, &toks[i], &v) == 0 && v == 4242);
	br = json_path(s, toks, 0, "NetworkSettings", "Networks", "bridge",
		       NULL);
	check(br > 0 && toks[br].type == JSON_OBJECT && toks[br].size == 12);
	i = json_get(s, toks, br, "IPAddress");
	check_str(str(s, i), "172.17.0.2");
	check(i > 0 && toks[i].parent == br && toks[i - 1].parent == br);
	check(toks[toks[br].parent].type == JSON_OBJECT);
	check_str(str(s, json_get(s, toks, br, "Gateway")), "172.17.0.1");
	i = json_get(s, toks, br, "IPPrefixLen");
	check(i > 0 && json_int(s, &toks[i], &v) == 0 && v == 16);
	check(toks[json_get(s, toks, br, "Links")].type == JSON_NULL);
	check_str(str(s, json_path(s, toks, 0, "Config", "Labels",
				   "com.docker.compose.service", NULL)),
		  "web");
	check_str(str(s, json_path(s, toks, 0, "Config", "Labels", "fw.allow",
				   NULL)),
		  "tcp/80 from 10.0.0.0/8 & tcp/443");
	i = json_path(s, toks, 0, "NetworkSettings", "Ports", "80/tcp", NULL);
	check(i > 0 && toks[i].type == JSON_ARRAY && toks[i].size == 2);
	check_str(str(s, json_get(s, toks, toks[i + 1].next, "HostIp")), "::");
	i = json_get(s, toks, 0, "Mounts");
	check(i > 0 && toks[i].type == JSON_ARRAY && toks[i].size == 0);
	check(toks[i].next == (unsigned)i + 1);
	check(json_path(s, toks, 0, "State", "Nope", NULL) == -1);
	check(json_path(s, toks, 0, "Name", "x", NULL) == -1);
	check(json_path(s, toks, 0, "Nope", "x", NULL) == -1);
	check(json_path(s, toks, 0, NULL) == 0);
	check(json_get(s, toks, 1, "Id") == -1);
	check(json_get(s, toks, -1, "Id") == -1);
}

static void test_get(void)
{
	static const char s[] =
		"{\"a\\u0062\":1,\"ab\":2,\"a\":{\"b\":[3]},\"\":4,"
		"\"x\\u0000\":5}";
	int i;
	int64_t v;

	check(json_parse(s, sizeof(s) - 1, toks, NTOKS, 0, NULL) == 14);
	/* Keys compare unescaped; the first of duplicate keys wins. */
	i = json_get(s, toks, 0, "ab");
	check(i == 2 && json_int(s, &toks[i], &v) == 0 && v == 1);
	i = json_path(s, toks, 0, "a", "b", NULL);
	check(i > 0 && toks[i].type == JSON_ARRAY);
	i = json_get(s, toks, 0, "");
	check(i > 0 && json_int(s, &toks[i], &v) == 0 && v == 4);
	check(json_get(s, toks, 0, "x") == -1);
	check(json_get(s, toks, 0, "abc") == -1);
	check(json_get(s, toks, 0, "A") == -1);
	check(json_streq(s, &toks[1], "ab"));
	check(!json_streq(s, &toks[1], "a"));
	check(!json_streq(s, &toks[2], "1"));
}

static void test_escapes(void)
{
	static const struct {
		const char *s, *want;
		int len;
	} tab[] = {
		{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8 },
		{ "\"\\u00e9\"", "\xc3\xa9", 2 },
		{ "\"\\u00E9t\\u00e9\"", "\xc3\xa9t\xc3\xa9", 5 },
		{ "\"\\u20ac\"", "\xe2\x82\xac", 3 },
		{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4 },
		{ "\"\\uD83D\\uDE00!\"", "\xf0\x9f\x98\x80!", 5 },
		{ "\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 4 },
		{ "\"\\u0041\\u007f\\u0080\"", "A\x7f\xc2\x80", 4 },
		{ "\"\\uffff\"", "\xef\xbf\xbf", 3 },
		{ "\"\xc3\xa9\xf0\x9f\x98\x80\"", "\xc3\xa9\xf0\x9f\x98\x80",
		  6 },
	};
	char out[16];
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		check(gparse(tab[i].s, strlen(tab[i].s), 0, NULL) == 1);
		check(json_string(tab[i].s, &toks[0], out, sizeof(out)) ==
		      tab[i].len);
		check_str(out, tab[i].want);
		check(json_streq(tab[i].s, &toks[0], tab[i].want));
	}
	/* \u0000 is kept: the length tells it from the end. */
	check(json_parse("\"a\\u0000b\"", 10, toks, NTOKS, 0, NULL) == 1);
	check(json_string("\"a\\u0000b\"", &toks[0], out, sizeof(out)) == 3);
	check(!memcmp(out, "a\0b", 4) && strlen(out) == 1);
	check(!json_streq("\"a\\u0000b\"", &toks[0], "a"));
	check(!json_streq("\"a\\u0000b\"", &toks[0], "ab"));
}

#define X(lit, code, pos) \
	{ \
		lit, sizeof(lit) - 1, code, pos \
	}
static const struct {
	const char *s;
	size_t len;
	int code;
	size_t pos;
} bad[] = {
	/* empty, trailing garbage, stray punctuation */
	X("", JSON_EPART, 0),
	X(" \n", JSON_EPART, 2),
	X("{} x", JSON_EINVAL, 3),
	X("[]]", JSON_EINVAL, 2),
	X("1 2", JSON_EINVAL, 2),
	X("\"a\"\"b\"", JSON_EINVAL, 3),
	X("\"a\":1", JSON_EINVAL, 3),
	X("truex", JSON_EINVAL, 4),
	X("[1]\0", JSON_EINVAL, 3),
	X("]", JSON_EINVAL, 0),
	X(",", JSON_EINVAL, 0),
	X("[\0]", JSON_EINVAL, 1),
	X("[\"a\":1]", JSON_EINVAL, 4),
	X("{\"a\":1:2}", JSON_EINVAL, 6),
	X("[}", JSON_EINVAL, 1),
	X("{]", JSON_EINVAL, 1),
	X("[1}", JSON_EINVAL, 2),
	X("{\"a\":1]", JSON_EINVAL, 6),
	/* escapes and control characters */
	X("\"\\x\"", JSON_EINVAL, 2),
	X("\"\\U0041\"", JSON_EINVAL, 2),
	X("\"\\'\"", JSON_EINVAL, 2),
	X("\"\\\0\"", JSON_EINVAL, 2),
	X("\"\\u12G4\"", JSON_EINVAL, 5),
	X("\"\\u123\"", JSON_EINVAL, 6),
	X("\"a\x01\"", JSON_EINVAL, 2),
	X("\"\t\"", JSON_EINVAL, 1),
	X("\"\n\"", JSON_EINVAL, 1),
	X("\"\x1f\"", JSON_EINVAL, 1),
	X("\"\0\"", JSON_EINVAL, 1),
	/* numbers: a top-level prefix of a number needs more */
	X("01", JSON_EINVAL, 1),
	X("-", JSON_EPART, 1),
	X("1.", JSON_EPART, 2),
	X(".5", JSON_EINVAL, 0),
	X("1e", JSON_EPART, 2),
	X("1e+", JSON_EPART, 3),
	X("+1", JSON_EINVAL, 0),
	X("-01", JSON_EINVAL, 2),
	X("00", JSON_EINVAL, 1),
	X("[01]", JSON_EINVAL, 2),
	X("[-]", JSON_EINVAL, 2),
	X("[1.]", JSON_EINVAL, 3),
	X("[.5]", JSON_EINVAL, 1),
	X("[1e]", JSON_EINVAL, 3),
	X("[1e+]", JSON_EINVAL, 4),
	X("[+1]", JSON_EINVAL, 1),
	X("[-01]", JSON_EINVAL, 3),
	X("[1.e5]", JSON_EINVAL, 3),
	X("[0x10]", JSON_EINVAL, 2),
	X("[1.5.3]", JSON_EINVAL, 4),
	X("[- 1]", JSON_EINVAL, 2),
	X("[NaN]", JSON_EINVAL, 1),
	X("[Infinity]", JSON_EINVAL, 1),
	X("[-Infinity]", JSON_EINVAL, 2),
	/* commas, colons, keys */
	X("[1,]", JSON_EINVAL, 3),
	X("{\"a\":1,}", JSON_EINVAL, 7),
	X("[,]", JSON_EINVAL, 1),
	X("[,1]", JSON_EINVAL, 1),
	X("{,}", JSON_EINVAL, 1),
	X("[1,,2]", JSON_EINVAL, 3),
	X("[1 2]", JSON_EINVAL, 3),
	X("{\"a\":1 \"b\":2}", JSON_EINVAL, 7),
	X("{\"a\" 1}", JSON_EINVAL, 5),
	X("{\"a\"}", JSON_EINVAL, 4),
	X("{\"a\":}", JSON_EINVAL, 5),
	X("{1:2}", JSON_EINVAL, 1),
	X("{a:1}", JSON_EINVAL, 1),
	X("{null:1}", JSON_EINVAL, 1),
	X("{'a':1}", JSON_EINVAL, 1),
	X("{[]:1}", JSON_EINVAL, 1),
	/* literals, checked whole */
	X("tru", JSON_EPART, 3),
	X("trux", JSON_EINVAL, 3),
	X("nul", JSON_EPART, 3),
	X("nulL", JSON_EINVAL, 3),
	X("True", JSON_EINVAL, 0),
	X("[fals]", JSON_EINVAL, 5),
	X("[nil]", JSON_EINVAL, 2),
	/* UTF-8: overlongs, surrogates, past U+10FFFF, bad or cut sequences */
	X("\"\xc0\x80\"", JSON_EINVAL, 1),
	X("\"\xc1\xbf\"", JSON_EINVAL, 1),
	X("\"\xe0\x80\x80\"", JSON_EINVAL, 2),
	X("\"\xe0\x9f\xbf\"", JSON_EINVAL, 2),
	X("\"\xf0\x80\x80\x80\"", JSON_EINVAL, 2),
	X("\"\xf0\x8f\xbf\xbf\"", JSON_EINVAL, 2),
	X("\"\xed\xa0\x80\"", JSON_EINVAL, 2),
	X("\"\xed\xbf\xbf\"", JSON_EINVAL, 2),
	X("\"\xf4\x90\x80\x80\"", JSON_EINVAL, 2),
	X("\"\xf5\x80\x80\x80\"", JSON_EINVAL, 1),
	X("\"\xff\"", JSON_EINVAL, 1),
	X("\"\x80\"", JSON_EINVAL, 1),
	X("\"\xbf\"", JSON_EINVAL, 1),
	X("\"\xc3\"", JSON_EINVAL, 2),
	X("\"\xc3x\"", JSON_EINVAL, 2),
	X("\"\xe2\x82\"", JSON_EINVAL, 3),
	X("\"\xf0\x9f\x98\"", JSON_EINVAL, 4),
	X("\"\xc3\xa9\xa9\"", JSON_EINVAL, 3),
	/* lone \u surrogates */
	X("\"\\ud83d\"", JSON_EINVAL, 1),
	X("\"\\ud83dx\"", JSON_EINVAL, 1),
	X("\"\\ud83d\\n\"", JSON_EINVAL, 1),
	X("\"\\ude00\"", JSON_EINVAL, 1),
	X("\"\\ude00\\ud83d\"", JSON_EINVAL, 1),
	X("\"\\ud83d\\u0041\"", JSON_EINVAL, 7),
	X("\"\\ud83d\\ud83d\"", JSON_EINVAL, 7),
	X("\"\\ud83d\\ue000\"", JSON_EINVAL, 7),
	X("\"\\ud83d\\udcx0\"", JSON_EINVAL, 11),
	X("\"x\\udfff\"", JSON_EINVAL, 2),
	/* truncated: need more */
	X("{\"a\":tru", JSON_EPART, 8),
	X("{\"a\":\"\\u12", JSON_EPART, 10),
	X("[\"\xf0\x9f\x98", JSON_EPART, 5),
	X("[\"\\ud83d\\ude0", JSON_EPART, 13),
	X("\"\\ud83d\\", JSON_EPART, 8),
	X("[1", JSON_EPART, 2),
	X("[-", JSON_EPART, 2),
	X("{\"a\"", JSON_EPART, 4),
};
#undef X

static void test_invalid(void)
{
	size_t i, pos;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = gparse(bad[i].s, bad[i].len, 0, &pos);
		if (r != bad[i].code || pos != bad[i].pos)
			fprintf(stderr, "  case %zu \"%s\": got %d at %zu\n", i,
				bad[i].s, r, pos);
		check(r == bad[i].code);
		check(pos == bad[i].pos);
	}
}

/* Each proper prefix of the value needs more; from there on it parses. */
static void check_prefixes(const char *s, size_t len, unsigned flags)
{
	size_t k, end, pos;
	int n, r;

	n = gparse(s, len, flags, &pos);
	check(n > 0);
	if (n <= 0)
		return;
	end = toks[0].end;
	for (k = 0; k < len; k++) {
		r = gparse(s, k, flags, &pos);
		if (k < end && r != JSON_EPART)
			fprintf(stderr, "  prefix %zu of \"%s\": %d\n", k, s,
				r);
		check(k < end ? r == JSON_EPART && pos == k : r == n);
	}
}

static void test_prefixes(void)
{
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		check_prefixes(docs[i], strlen(docs[i]), 0);
		check_prefixes(docs[i], strlen(docs[i]), JSON_PREFIX);
	}
}

static void test_guard_scalars(void)
{
	static const char *const ok[] = {
		"0",
		"-0",
		"123",
		"-1.5e3",
		"1E+2",
		"true",
		"false",
		"null",
		"\"\"",
		"\"\\u00e9\"",
		"\"\xf4\x8f\xbf\xbf\"",
	};
	size_t i, k, len;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		len = strlen(ok[i]);
		check(gparse(ok[i], len, 0, NULL) == 1);
		for (k = 0; k < len; k++)
			check(gparse(ok[i], k, 0, NULL) != JSON_EINVAL);
		check(gparse(ok[i], len, JSON_PREFIX, NULL) ==
		      (toks[0].type == JSON_NUMBER ? JSON_EPART : 1));
	}
}

static void test_prefix_mode(void)
{
	static const char two[] = "{\"a\":1}{\"b\":[2]} ";
	size_t pos;

	check(json_parse(two, sizeof(two) - 1, toks, NTOKS, JSON_PREFIX,
			 &pos) == 3);
	check(pos == 7);
	check(json_parse(two + pos, sizeof(two) - 1 - pos, toks, NTOKS,
			 JSON_PREFIX, &pos) == 4);
	check(pos == 9);
	check(json_parse(two, sizeof(two) - 1, toks, NTOKS, 0, &pos) ==
		      JSON_EINVAL &&
	      pos == 7);
	check(gparse(" [1] x", 6, JSON_PREFIX, &pos) == 2 && pos == 4);
	check(gparse("[1]  ", 5, 0, &pos) == 2 && pos == 5);
	/* A number at the end may go on; a delimited one is whole. */
	check(gparse("123", 3, JSON_PREFIX, NULL) == JSON_EPART);
	check(gparse("123 ", 4, JSON_PREFIX, &pos) == 1 && pos == 3);
	check(gparse("12,", 3, JSON_PREFIX, &pos) == 1 && pos == 2);
	check(gparse("-1.5e", 5, JSON_PREFIX, NULL) == JSON_EPART);
	check(gparse("true", 4, JSON_PREFIX, &pos) == 1 && pos == 4);
	check(gparse("\"s\"x", 4, JSON_PREFIX, &pos) == 1 && pos == 3);
	check(gparse("01", 2, JSON_PREFIX, &pos) == JSON_EINVAL && pos == 1);
	check(gparse("", 0, JSON_PREFIX, NULL) == JSON_EPART);
}

static void test_counting(void)
{
	static const char s[] = "[1,[2,[3]],{\"a\":{\"b\":null}}]";

	check(json_parse(s, sizeof(s) - 1, NULL, 0, 0, NULL) == 11);
	check(json_parse(s, sizeof(s) - 1, toks, 11, 0, NULL) == 11);
	check(json_parse(s, sizeof(s) - 1, toks, 10, 0, NULL) == JSON_ENOMEM);
	check(json_parse(s, sizeof(s) - 1, toks, 0, 0, NULL) == JSON_ENOMEM);
	check(json_parse("1", 1, toks, 0, 0, NULL) == JSON_ENOMEM);
	check(json_parse("1", 1, toks, 1, 0, NULL) == 1);
	check(json_parse(inspect, sizeof(inspect) - 1, NULL, 0, 0, NULL) ==
	      json_parse(inspect, sizeof(inspect) - 1, toks, NTOKS, 0, NULL));
	check(json_parse(inspect, sizeof(inspect) - 1, toks, 100, 0, NULL) ==
	      JSON_ENOMEM);
}

/* Counting with a cap stops there (a caller bounds token memory before
 * it allocates): small tokens by the million never get counted whole. */
static void test_counting_cap(void)
{
	static const char s[] = "[1,[2,[3]],{\"a\":{\"b\":null}}]";
	size_t pos, i, n = 2 * (size_t)JSON_MAX_TOKENS + 3;
	char *big = malloc(n);

	check(json_parse(s, sizeof(s) - 1, NULL, 11, 0, &pos) == 11);
	check(json_parse(s, sizeof(s) - 1, NULL, 10, 0, &pos) == JSON_ENOMEM);
	check(pos == 25); /* just past the 11th token, null */
	check(json_parse(s, sizeof(s) - 1, NULL, 12345, 0, NULL) == 11);
	check(big != NULL);
	if (!big)
		return;
	/* "[0,0,...,0]" with JSON_MAX_TOKENS zeros: one token too many */
	big[0] = '[';
	for (i = 1; i + 2 < n; i += 2)
		memcpy(big + i, "0,", 2);
	memcpy(big + n - 2, "0]", 2);
	check(json_parse(big, n, NULL, 0, 0, NULL) == (int)JSON_MAX_TOKENS + 2);
	check(json_parse(big, n, NULL, JSON_MAX_TOKENS, 0, &pos) ==
	      JSON_ENOMEM);
	check(pos == 2 * (size_t)JSON_MAX_TOKENS); /* past the last 0 */
	free(big);
}

/* n openers, the innermost value, n closers. */
static size_t nest(char *s, size_t n, int obj)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		memcpy(s + len, obj ? "{\"a\":" : "[", obj ? 5 : 1);
		len += obj ? 5 : 1;
	}
	s[len++] = '0';
	memset(s + len, obj ? '}' : ']', n);
	return len + n;
}

static void test_depth(void)
{
	static char s[10000 * 6 + 1];
	size_t len, pos;
	int obj;

	for (obj = 0; obj < 2; obj++) {
		len = nest(s, JSON_MAX_DEPTH, obj);
		check(json_parse(s, len, toks, NTOKS, 0, NULL) ==
		      JSON_MAX_DEPTH * (obj + 1) + 1);
		check(json_parse(s, len, NULL, 0, 0, NULL) ==
		      JSON_MAX_DEPTH * (obj + 1) + 1);
		check(tree_ok(toks, JSON_MAX_DEPTH * (obj + 1) + 1, len));
		check_prefixes(s, len, 0);
		len = nest(s, JSON_MAX_DEPTH + 1, obj);
		check(json_parse(s, len, toks, NTOKS, 0, &pos) == JSON_EDEPTH);
		check(pos == JSON_MAX_DEPTH * (obj ? 5u : 1u));
		check(gparse(s, len, 0, NULL) == JSON_EDEPTH);
		len = nest(s, 10000, obj);
		check(gparse(s, len, 0, NULL) == JSON_EDEPTH);
		check(gparse(s, 10000 * (obj ? 5 : 1), 0, NULL) == JSON_EDEPTH);
		check(gparse(s, len, JSON_PREFIX, NULL) == JSON_EDEPTH);
	}
}

static void test_toobig(void)
{
	size_t pos = 1;

	/* Rejected before the text is read, so a short buffer is fine. */
	check(json_parse("[]", (size_t)UINT32_MAX, toks, NTOKS, 0, &pos) ==
		      JSON_ETOOBIG &&
	      pos == 0);
	check(json_parse("[]", (size_t)UINT32_MAX, NULL, 0, 0, NULL) ==
	      JSON_ETOOBIG);
}

static void test_string(void)
{
	static const char s[] = "[\"h\\u00e9llo\",1]";
	char out[8];

	check(json_parse(s, sizeof(s) - 1, toks, NTOKS, 0, NULL) == 3);
	check(json_string(s, &toks[1], out, 7) == 6);
	check_str(out, "h\xc3\xa9llo");
	memset(out, 'x', sizeof(out));
	check(json_string(s, &toks[1], out, 6) == -1 && errno == ERANGE);
	check(out[0] == 0);
	check(json_string(s, &toks[1], out, 2) == -1 && errno == ERANGE);
	check(json_string(s, &toks[1], out, 0) == -1 && errno == ERANGE);
	check(json_string(s, &toks[2], out, 8) == -1 && errno == EINVAL);
	check(json_string(s, &toks[0], out, 8) == -1 && errno == EINVAL);
	check(json_parse("\"\"", 2, toks, NTOKS, 0, NULL) == 1);
	check(json_string("\"\"", &toks[0], out, 1) == 0 && out[0] == 0);
	check(json_string("\"\"", &toks[0], out, 0) == -1 && errno == ERANGE);
	check(json_streq("\"\"", &toks[0], ""));
	check(!json_streq("\"\"", &toks[0], "a"));
}

static int int_of(const char *s, int64_t *v)
{
	int n = json_parse(s, strlen(s), toks, NTOKS, 0, NULL);

	check(n == 1);
	return n == 1 ? json_int(s, &toks[0], v) : -2;
}

static void test_int(void)
{
	int64_t v = 1;

	check(int_of("0", &v) == 0 && v == 0);
	check(int_of("-0", &v) == 0 && v == 0);
	check(int_of("42", &v) == 0 && v == 42);
	check(int_of("-1", &v) == 0 && v == -1);
	check(int_of("9223372036854775807", &v) == 0 && v == INT64_MAX);
	check(int_of("-9223372036854775808", &v) == 0 && v == INT64_MIN);
	check(int_of("9223372036854775808", &v) == -1 && errno == ERANGE);
	check(int_of("-9223372036854775809", &v) == -1 && errno == ERANGE);
	check(int_of("99999999999999999999999", &v) == -1 && errno == ERANGE);
	check(int_of("1.5", &v) == -1 && errno == EINVAL);
	check(int_of("1e3", &v) == -1 && errno == EINVAL);
	check(int_of("1.0", &v) == -1 && errno == EINVAL);
	check(int_of("99999999999999999999.5", &v) == -1 && errno == EINVAL);
	check(int_of("\"1\"", &v) == -1 && errno == EINVAL);
	check(int_of("true", &v) == -1 && errno == EINVAL);
}

static void test_bool(void)
{
	check(json_parse("[true,false,null,0]", 19, toks, NTOKS, 0, NULL) == 5);
	check(json_bool(&toks[1]) == 1);
	check(json_bool(&toks[2]) == 0);
	check(json_bool(&toks[3]) == -1);
	check(json_bool(&toks[4]) == -1);
	check(json_bool(&toks[0]) == -1);
}

static void test_escape(void)
{
	struct buf b = { 0 };
	char in[160], out[512];
	size_t n = 0;
	int c;

	check(json_escape(&b, "a\"b\\c\n\x01\x7f", 8) == 0);
	check_str(b.data, "\"a\\\"b\\\\c\\n\\u0001\x7f\"");
	b.len = 0;
	check(json_escape(&b, "", 0) == 0);
	check_str(b.data, "\"\"");
	b.len = 0;
	for (c = 0; c < 0x80; c++)
		in[n++] = (char)c;
	memcpy(in + n, "\xc3\xa9\xf0\x9f\x98\x80/", 7);
	n += 7;
	check(json_escape(&b, in, n) == 0);
	check(json_parse(b.data, b.len, toks, NTOKS, 0, NULL) == 1);
	check(json_string(b.data, &toks[0], out, sizeof(out)) == (int)n);
	check(!memcmp(out, in, n));
	/* Appends: what was there stays. */
	check(json_escape(&b, "x", 1) == 0);
	check(b.len > 3 && !strcmp(b.data + b.len - 3, "\"x\""));
	buf_free(&b);
}

static void test_strerror(void)
{
	int c;

	check_str(json_strerror(JSON_EINVAL), "invalid JSON");
	for (c = JSON_ETOOBIG; c <= JSON_EPART; c++)
		check(json_strerror(c) && *json_strerror(c));
	check(json_strerror(-100) != NULL);
	check(strcmp(json_strerror(JSON_EPART), json_strerror(JSON_ENOMEM)));
}

UNIT_TESTS(T(test_scalars) T(test_tokens) T(test_docs) T(test_inspect) T(
	test_get) T(test_escapes) T(test_invalid) T(test_prefixes)
		   T(test_guard_scalars) T(test_prefix_mode) T(test_counting)
			   T(test_counting_cap) T(test_depth) T(test_toobig)
				   T(test_string) T(test_int) T(test_bool)
					   T(test_escape) T(test_strerror))
