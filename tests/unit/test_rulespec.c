#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <unistd.h>

#include "dfw/rulespec.h"
#include "dfw/util.h"
#include "failalloc.h"
#include "unit.h"

/* Splits line and parses it as the options of action a; -2: bad line. */
static int parse(enum rule_action a, const char *line, struct rulespec *r,
		 struct err *e)
{
	struct strv w = { 0 };
	int rc = -2;

	if (rulespec_split(line, &w, e) >= 0)
		rc = rulespec_parse(r, a, (int)w.n, w.v, e);
	strv_free(&w);
	return rc;
}

/* Line is refused as EXIT_USAGE with a message holding want. */
static int refused(enum rule_action a, const char *line, const char *want)
{
	struct rulespec r;
	struct err e = { 0 };
	int rc = parse(a, line, &r, &e);

	if (rc == 0) {
		fprintf(stderr, "  accepted: %s\n", line);
		rulespec_free(&r);
		return 0;
	}
	if (rc == -1 && e.code == EXIT_USAGE && strstr(e.msg, want))
		return 1;
	fprintf(stderr, "  %s\n  -> %d [%d] %s\n  want: %s\n", line, rc, e.code,
		e.msg, want);
	return 0;
}

/* The canonical text of line as options of a, or "(error: ...)". */
static const char *canon(enum rule_action a, const char *line)
{
	static char out[1024];
	struct rulespec r;
	struct buf b = { 0 };
	struct err e = { 0 };

	if (parse(a, line, &r, &e)) {
		snprintf(out, sizeof(out), "(error: %s)", e.msg);
		return out;
	}
	if (rulespec_format(&r, &b))
		snprintf(out, sizeof(out), "(format failed)");
	else
		snprintf(out, sizeof(out), "%s", b.data);
	buf_free(&b);
	rulespec_free(&r);
	return out;
}

/* format, split, parse gives back r; formatting again gives the same. */
static int round_trip(const struct rulespec *r)
{
	struct buf b1 = { 0 }, b2 = { 0 };
	struct rulespec r2;
	struct err e = { 0 };
	int ok = 0;

	if (rulespec_format(r, &b1))
		return 0;
	if (parse(r->action, b1.data, &r2, &e) == 0) {
		ok = rulespec_equal(r, &r2) && !rulespec_format(&r2, &b2) &&
		     !strcmp(b1.data, b2.data);
		rulespec_free(&r2);
	}
	if (!ok)
		fprintf(stderr, "  no round trip: %s\n  %s\n", b1.data, e.msg);
	buf_free(&b1);
	buf_free(&b2);
	return ok;
}

/* line splits into exactly the words of want (NULL-terminated). */
static int split_is(const char *line, const char *const *want)
{
	struct strv w = { 0 };
	struct err e = { 0 };
	int n = 0, rc, ok;

	while (want[n])
		n++;
	/* A word already there stays and is not counted. */
	strv_add(&w, "old", 3);
	rc = rulespec_split(line, &w, &e);
	ok = rc == n && w.n == (size_t)n + 1 && !strcmp(w.v[0], "old");
	for (n = 0; ok && want[n]; n++)
		ok = !strcmp(w.v[n + 1], want[n]);
	if (!ok) {
		fprintf(stderr, "  split \"%s\": %d words:", line, rc);
		for (n = 1; (size_t)n < w.n; n++)
			fprintf(stderr, " [%s]", w.v[n]);
		fprintf(stderr, "%s%s\n", rc < 0 ? " " : "",
			rc < 0 ? e.msg : "");
	}
	strv_free(&w);
	return ok;
}

#define SPLIT(line, ...) \
	check(split_is(line, (const char *const[]){ __VA_ARGS__, NULL }))

/* line is refused, out unchanged, the message holding want. */
static int split_fails(const char *line, const char *want)
{
	struct strv w = { 0 };
	struct err e = { 0 };
	int rc, ok;

	strv_add(&w, "old", 3);
	rc = rulespec_split(line, &w, &e);
	ok = rc == -1 && w.n == 1 && e.code == EXIT_USAGE &&
	     strstr(e.msg, want);
	if (!ok)
		fprintf(stderr, "  split \"%s\": %d, %s\n", line, rc, e.msg);
	strv_free(&w);
	return ok;
}

static void test_actions(void)
{
	static const char *const names[] = {
		"add",
		"add-input",
		"add-internal",
		"add-two-ways",
	};
	int i;

	check(RULE_NACTIONS == 4);
	for (i = 0; i < RULE_NACTIONS; i++) {
		check_str(rule_action_name((enum rule_action)i), names[i]);
		check(rule_action_parse(names[i]) == i);
	}
	check(rule_action_name(RULE_NACTIONS) == NULL);
	check(rule_action_name((enum rule_action) - 1) == NULL);
	check(rule_action_parse("") == -1);
	check(rule_action_parse("ADD") == -1);
	check(rule_action_parse("add-") == -1);
	check(rule_action_parse("addinput") == -1);
	check(rule_action_parse("add-input ") == -1);
}

/* s parses and formats back as want. */
static int addr_is(const char *s, const char *want)
{
	struct addr_spec a;
	struct buf b = { 0 };
	struct err e = { 0 };
	int ok = !addr_parse(s, &a, &e) && !addr_format(&a, &b) &&
		 !strcmp(b.data, want);

	if (!ok)
		fprintf(stderr, "  addr \"%s\": \"%s\" %s\n", s,
			b.data ? b.data : "", e.msg);
	buf_free(&b);
	return ok;
}

/* s is refused, the message naming s and holding want. */
static int addr_bad(const char *s, const char *want)
{
	struct addr_spec a;
	struct err e = { 0 };
	char quoted[600];
	int ok;

	snprintf(quoted, sizeof(quoted), "\"%s\"", s);
	ok = addr_parse(s, &a, &e) == -1 && e.code == EXIT_USAGE &&
	     strstr(e.msg, want) && (strlen(s) > 64 || strstr(e.msg, quoted));
	if (!ok)
		fprintf(stderr, "  addr \"%s\": [%d] %s\n", s, e.code, e.msg);
	return ok;
}

static void test_addr(void)
{
	struct addr_spec a;
	struct buf b = { 0 };
	struct err e = { 0 };
	char name[300];

	check(addr_parse(".", &a, &e) == 0 && a.kind == ADDR_SELF);
	check(addr_parse("/", &a, &e) == 0 && a.kind == ADDR_GATEWAY);
	check(addr_parse("10.1.0.0/16", &a, &e) == 0 && a.kind == ADDR_CIDR &&
	      a.ip == htonl(0x0a010000) && a.prefix == 16);
	check(addr_parse("1.2.3.4", &a, &e) == 0 && a.kind == ADDR_CIDR &&
	      a.ip == htonl(0x01020304) && a.prefix == 32);
	check(addr_parse("/web", &a, &e) == 0 && a.kind == ADDR_CONTAINER &&
	      !strcmp(a.name, "web") && a.ip == 0);

	check(addr_is(".", "."));
	check(addr_is("/", "/"));
	check(addr_is("1.2.3.4", "1.2.3.4/32"));
	check(addr_is("1.2.3.4/32", "1.2.3.4/32"));
	check(addr_is("10.0.0.0/8", "10.0.0.0/8"));
	check(addr_is("0.0.0.0/0", "0.0.0.0/0"));
	check(addr_is("0.0.0.0", "0.0.0.0/32"));
	check(addr_is("255.255.255.255", "255.255.255.255/32"));
	check(addr_is("192.168.1.128/25", "192.168.1.128/25"));
	check(addr_is("172.16.0.0/12", "172.16.0.0/12"));
	check(addr_is("web", "web"));
	check(addr_is("/web", "web"));
	check(addr_is("my_app.web-1", "my_app.web-1"));
	check(addr_is("0web", "0web"));
	check(addr_is("1234", "1234")); /* an ID prefix, no dot */
	check(addr_is("4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e"
		      "4994f1d6e2",
		      "4fa6e0f0c6786287e131c3852c58a2e01cc697a6"
		      "8231826813597e4994f1d6e2"));

	memset(name, 'n', 255);
	name[255] = 0;
	check(addr_parse(name, &a, &e) == 0 && strlen(a.name) == 255);
	name[0] = '/';
	memset(name + 1, 'n', 255);
	name[256] = 0;
	check(addr_parse(name, &a, &e) == 0 && strlen(a.name) == 255);
	memset(name, 'n', 256);
	name[256] = 0;
	check(addr_bad(name, "longer than 255"));

	check(addr_bad("", "not an address or container name"));
	check(addr_bad("10.1.2.3/8", "host bits are set; the network is "
				     "10.0.0.0/8"));
	check(addr_parse("10.1.2.3/8", &a, &e) == -1);
	check_str(e.msg, "\"10.1.2.3/8\": host bits are set; the network is "
			 "10.0.0.0/8");
	check(addr_bad("1.2.3.4/0", "the network is 0.0.0.0/0"));
	check(addr_bad("192.168.1.1/24", "the network is 192.168.1.0/24"));
	check(addr_bad("1.2.3.5/31", "the network is 1.2.3.4/31"));
	check(addr_bad("1.2.3.256", "not an IPv4 address"));
	check(addr_bad("1.2.3", "not an IPv4 address"));
	check(addr_bad("1.2.3.4.5", "not an IPv4 address"));
	check(addr_bad("1.2.3.", "not an IPv4 address"));
	check(addr_bad(".1.2.3", "not an IPv4 address"));
	check(addr_bad("1..2.3", "not an IPv4 address"));
	check(addr_bad("01.2.3.4", "not an IPv4 address"));
	check(addr_bad("1.2.3.00", "not an IPv4 address"));
	check(addr_bad("1.2.3.4444", "not an IPv4 address"));
	check(addr_bad("1111111111.2.3.4", "not an IPv4 address"));
	check(addr_bad("1.2.3.4/33", "not a prefix length (0-32)"));
	check(addr_bad("1.2.3.4/", "not a prefix length"));
	check(addr_bad("1.2.3.4/08", "not a prefix length"));
	check(addr_bad("1.2.3.4/-1", "not a prefix length"));
	check(addr_bad("1.2.3.4/8/8", "not a prefix length"));
	check(addr_bad("1.2.3/8", "not an IPv4 address"));
	check(addr_bad("/1.2.3.4", "not an address or container name"));
	check(addr_bad("web/8", "not an address or container name"));
	check(addr_bad("a/b", "not an address or container name"));
	check(addr_bad("//web", "not an address or container name"));
	check(addr_bad("/.", "not an address or container name"));
	check(addr_bad("..", "not an address or container name"));
	check(addr_bad("we b", "not an address or container name"));
	check(addr_bad("-web", "not an address or container name"));
	check(addr_bad("_web", "not an address or container name"));
	check(addr_bad("web!", "not an address or container name"));
	check(addr_bad("w\xc3\xa9", "not an address or container name"));

	a.kind = ADDR_NONE;
	check(addr_format(&a, &b) == -1 && errno == EINVAL);
	buf_free(&b);
}

/* The original's short options, as its `ls` printed them. */
static void test_short(void)
{
	struct rulespec r;
	struct err e = { 0 };

	check_str(canon(RULE_ADD, "-s 203.0.113.0/24 -d . -p tcp --dport 80"),
		  "--source 203.0.113.0/24 --dest . --dport 80 --protocol tcp");
	check_str(canon(RULE_ADD_INTERNAL,
			"-s worker -d . -p tcp --filter "
			"'-i docker0 -o docker0' --dport 5432"),
		  "--source worker --dest . --dport 5432 --protocol tcp "
		  "--filter '-i docker0 -o docker0'");
	check_str(canon(RULE_ADD_INPUT, "-s . -d / -p udp --dport 53"),
		  "--source . --dest / --dport 53 --protocol udp");
	/* attached values, and mixed with long ones */
	check_str(canon(RULE_ADD, "-s1.2.3.4 -d. -pudp --dport=9"),
		  "--source 1.2.3.4/32 --dest . --dport 9 --protocol udp");
	check(parse(RULE_ADD_INPUT, "-s .  --dport 53", &r, &e) == 0);
	check(r.dst.kind == ADDR_GATEWAY); /* -d not given: "/" */
	rulespec_free(&r);
	/* a value option takes the next word, as the long form does */
	check(parse(RULE_ADD, "-s web --filter -d", &r, &e) == 0);
	check(r.filter.n == 1 && !strcmp(r.filter.v[0], "-d"));
	check(r.dst.kind == ADDR_SELF);
	rulespec_free(&r);
}

/* The message of addr_parse(s), which must refuse it with EXIT_USAGE. */
static const char *addr_msg(const char *s)
{
	static struct err e;
	struct addr_spec a;

	memset(&e, 0, sizeof(e));
	if (addr_parse(s, &a, &e) != -1 || e.code != EXIT_USAGE)
		return "(accepted)";
	return e.msg;
}

/* IPv6 literals: one family, /128 for an address, written as inet_ntop
 * writes them; a zone index, host bits, an IPv4-mapped address refused
 * naming the input (and the network or IPv4 form meant). */
static void test_addr6(void)
{
	static const uint8_t db8[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct addr_spec a, b;
	struct err e = { 0 };
	struct rulespec r, r2;

	check(addr_parse("2001:db8::/32", &a, &e) == 0 && a.kind == ADDR_CIDR &&
	      a.family == AF_INET6 && a.prefix == 32 &&
	      !memcmp(a.ip6, db8, 16) && a.ip == 0);
	check(addr_parse("fd99::2", &a, &e) == 0 && a.family == AF_INET6 &&
	      a.prefix == 128 && a.ip6[0] == 0xfd && a.ip6[15] == 2);
	check(addr_parse("10.0.0.1", &a, &e) == 0 && a.family == AF_INET);
	check(addr_is("fd99::2", "fd99::2/128"));
	check(addr_is("FD99:0:0::0002/128", "fd99::2/128"));
	check(addr_is("2001:db8::/32", "2001:db8::/32"));
	check(addr_is("::/0", "::/0"));
	check(addr_is("::1", "::1/128"));
	check(addr_is("fe80::1", "fe80::1/128")); /* no zone: fine */
	check(addr_is("fd00:30::/64", "fd00:30::/64"));
	check(addr_is("2001:db8:0:1:2:3:4:4/127", "2001:db8:0:1:2:3:4:4/127"));
	/* one family each: an IPv6 network and the IPv4 one of the same
	 * bits are not equal; equal texts are */
	check(addr_parse("::/0", &a, &e) == 0 &&
	      addr_parse("0.0.0.0/0", &b, &e) == 0);
	check(a.prefix == 0 && b.prefix == 0 && a.family != b.family);
	check(parse(RULE_ADD, "--source ::/0 --dport 80", &r, &e) == 0);
	check(parse(RULE_ADD, "--source 0.0.0.0/0 --dport 80", &r2, &e) == 0);
	check(!rulespec_equal(&r, &r2));
	check(r.src.family == AF_INET6 && r2.src.family == AF_INET);
	check(round_trip(&r));
	rulespec_free(&r2);
	check(parse(RULE_ADD, "--source 0::0/0 --dport 80", &r2, &e) == 0);
	check(rulespec_equal(&r, &r2));
	rulespec_free(&r);
	rulespec_free(&r2);
	check_str(canon(RULE_ADD_INTERNAL, "--source . --dest "
					   "2001:DB8::1 --dport 443"),
		  "--source . --dest 2001:db8::1/128 --dport 443 "
		  "--protocol tcp");
	check_str(canon(RULE_ADD, "--source=fd99::/16 --dport 80"),
		  "--source fd99::/16 --dest . --dport 80 --protocol tcp");

	/* refused, naming the input */
	check_str(addr_msg("fe80::1%eth0"),
		  "\"fe80::1%eth0\": a zone index "
		  "(after %) is not taken: a rule matches addresses, not "
		  "links; write the address without it");
	check(strstr(addr_msg("fe80::1%1/64"), "\"fe80::1%1/64\": a zone "
					       "index") != NULL);
	check_str(addr_msg("fd99::2/64"), "\"fd99::2/64\": host bits are "
					  "set; the network is fd99::/64");
	check_str(addr_msg("2001:db8::1/32"),
		  "\"2001:db8::1/32\": host "
		  "bits are set; the network is 2001:db8::/32");
	check_str(addr_msg("fd00::4000/113"),
		  "\"fd00::4000/113\": host bits "
		  "are set; the network is fd00::/113");
	check_str(addr_msg("::ffff:10.0.0.1"),
		  "\"::ffff:10.0.0.1\": an "
		  "IPv4-mapped IPv6 address (the kernel carries such traffic "
		  "as IPv4, in the IPv4 table): write 10.0.0.1");
	check(strstr(addr_msg("::ffff:a00:1"), "write 10.0.0.1") != NULL);
	check(strstr(addr_msg("::ffff:10.0.0.0/104"), "write 10.0.0.0/8"));
	check(strstr(addr_msg("::ffff:10.0.0.1/128"), "write 10.0.0.1\0"));
	check_str(addr_msg("fd99::2/129"), "\"fd99::2/129\": not a prefix "
					   "length (0-128)");
	check_str(addr_msg("fd99::2/"), "\"fd99::2/\": not a prefix length "
					"(0-128)");
	check_str(addr_msg("fd99::2/0x40"), "\"fd99::2/0x40\": not a prefix "
					    "length (0-128)");
	check_str(addr_msg("fd99:::2"), "\"fd99:::2\": not an IPv6 address");
	check_str(addr_msg("fd99::g"), "\"fd99::g\": not an IPv6 address");
	check_str(addr_msg("1:2:3:4:5:6:7:8:9"), "\"1:2:3:4:5:6:7:8:9\": not "
						 "an IPv6 address");
	check_str(addr_msg("[fd99::2]"), "\"[fd99::2]\": not an IPv6 "
					 "address");
	check_str(addr_msg("web:80"), "\"web:80\": not an IPv6 address");
	check_str(addr_msg("fd99::2\n-j ACCEPT"), "\"fd99::2\\n-j ACCEPT\": "
						  "not an IPv6 address");
	check_str(addr_msg("/fd99::2"), "\"/fd99::2\": not an address or "
					"container name");
	/* and through the rule spec: the option named, exit 2 */
	check(refused(RULE_ADD, "--source fe80::1%eth0 --dport 80",
		      "--source \"fe80::1%eth0\": a zone index"));
	check(refused(RULE_ADD_INTERNAL,
		      "--source web --dest fd99::2/64 "
		      "--dport 80",
		      "--dest \"fd99::2/64\": host bits are "
		      "set; the network is fd99::/64"));
	check(refused(RULE_ADD, "--source ::ffff:10.0.0.1 --dport 80",
		      "write 10.0.0.1"));
}

static void test_defaults(void)
{
	struct rulespec r;
	struct err e = { 0 };

	check(parse(RULE_ADD, "--source 10.0.0.0/8", &r, &e) == 0);
	check(r.action == RULE_ADD);
	check(r.src.kind == ADDR_CIDR && r.src.prefix == 8);
	check(r.dst.kind == ADDR_SELF);
	check(r.sport == 0 && r.dport == 0);
	check(r.proto == IPPROTO_TCP);
	check(r.network && r.network[0] == 0);
	check(r.src.name && r.dst.name && r.made_on && !*r.made_on);
	check(r.filter.n == 0 && r.filter.v == NULL);
	check(r.rev_lookup == 0);
	rulespec_free(&r);

	check(parse(RULE_ADD_TWO_WAYS,
		    "--rev-lookup --source=. --dest=/web "
		    "--dport=5432 --sport=1024 --protocol=udp --network=back_1 "
		    "--filter='-i eth0'",
		    &r, &e) == 0);
	check(r.action == RULE_ADD_TWO_WAYS);
	check(r.rev_lookup == 1);
	check(r.src.kind == ADDR_SELF);
	check(r.dst.kind == ADDR_CONTAINER && !strcmp(r.dst.name, "web"));
	check(r.dport == 5432 && r.sport == 1024);
	check(r.proto == IPPROTO_UDP);
	check_str(r.network, "back_1");
	check(r.filter.n == 2);
	check_str(r.filter.v[0], "-i");
	check_str(r.filter.v[1], "eth0");
	rulespec_free(&r);

	/* The next argument is the value, even when it starts with "--". */
	check(parse(RULE_ADD, "--source . --dest / --filter --syn", &r, &e) ==
	      0);
	check(r.filter.n == 1 && !strcmp(r.filter.v[0], "--syn"));
	rulespec_free(&r);

	/* "=" splits only the first one off. */
	check(parse(RULE_ADD, "--source . --dest / --filter=-m=x", &r, &e) ==
	      0);
	check(r.filter.n == 1 && !strcmp(r.filter.v[0], "-m=x"));
	rulespec_free(&r);

	check(parse(RULE_ADD, "--dport 65535 --source / --sport 1", &r, &e) ==
	      0);
	check(r.dport == 65535 && r.sport == 1 && r.src.kind == ADDR_GATEWAY);
	rulespec_free(&r);

	/* add-input: container -> host, --dest defaults to the gateway */
	check(parse(RULE_ADD_INPUT, "--source . --dport 53", &r, &e) == 0);
	check(r.src.kind == ADDR_SELF && r.dst.kind == ADDR_GATEWAY);
	rulespec_free(&r);
	check(parse(RULE_ADD_INPUT, "--source . --dest . --dport 53", &r, &e) ==
	      -1);
	check_str(e.msg, "--source and --dest cannot both be \".\"");
	check(parse(RULE_ADD_INTERNAL, "--source . --dport 53", &r, &e) == -1);
	check(parse(RULE_ADD_INPUT, "--source 10.0.0.1 --dport 53", &r, &e) ==
	      0);
	check(r.dst.kind == ADDR_SELF);
	rulespec_free(&r);

	check(rulespec_parse(&r, RULE_ADD, 0, NULL, &e) == -1);
	check_str(e.msg, "--source is required");
	check(rulespec_parse(&r, RULE_NACTIONS, 0, NULL, &e) == -1 &&
	      e.code == EXIT_USAGE);
}

static void test_errors(void)
{
	static const char *const argv_ctl[] = {
		"--source",
		"web",
		"--filter",
		"a\x01",
	};
	static const char forbidden[] = ";&|$`<>\\";
	struct rulespec r;
	struct err e = { 0 };
	char line[512], want[64];
	int i;

	/* Option syntax. */
	check(refused(RULE_ADD, "--source", "--source needs a value"));
	check(refused(RULE_ADD, "--source web --dport",
		      "--dport needs a "
		      "value"));
	check(refused(RULE_ADD, "--source web --bogus 1",
		      "unknown option \"--bogus\""));
	check(refused(RULE_ADD, "--source web --bogus=1",
		      "unknown option \"--bogus\""));
	check(refused(RULE_ADD, "--source web --sourc 1",
		      "unknown option \"--sourc\""));
	check(refused(RULE_ADD, "-x web", "unknown option \"-x\""));
	check(refused(RULE_ADD, "-s a --source b", "--source given twice"));
	check(refused(RULE_ADD, "-s a -d . -d .", "--dest given twice"));
	check(refused(RULE_ADD, "-s a -p tcp --protocol=udp",
		      "--protocol given twice"));
	check(refused(RULE_ADD, "-s a -p sctp",
		      "--protocol \"sctp\": not "
		      "tcp or udp"));
	check(refused(RULE_ADD, "-S a", "unknown option \"-S\""));
	check(refused(RULE_ADD, "-s", "--source needs a value"));
	check(refused(RULE_ADD, "--source web --", "unknown option \"--\""));
	check(refused(RULE_ADD, "--source web -", "unexpected argument \"-\""));
	check(refused(RULE_ADD, "web", "unexpected argument \"web\""));
	check(refused(RULE_ADD, "--source web extra",
		      "unexpected argument \"extra\""));
	check(refused(RULE_ADD, "--source web ''",
		      "unexpected argument "
		      "\"\""));
	check(refused(RULE_ADD, "--source a --source b",
		      "--source given "
		      "twice"));
	check(refused(RULE_ADD, "--source a --source=a",
		      "--source given "
		      "twice"));
	check(refused(RULE_ADD, "--source . --dest a --dest a",
		      "--dest given twice"));
	check(refused(RULE_ADD, "--source a --dport 1 --dport 1",
		      "--dport given twice"));
	check(refused(RULE_ADD, "--source a --filter x --filter x",
		      "--filter given twice"));
	check(refused(RULE_ADD, "--rev-lookup --source a --rev-lookup",
		      "--rev-lookup given twice"));
	check(refused(RULE_ADD, "--source a --rev-lookup=x",
		      "--rev-lookup takes no value"));
	check(refused(RULE_ADD, "--source a --rev-lookup=",
		      "--rev-lookup takes no value"));

	/* Whole-spec checks. */
	check(refused(RULE_ADD, "--dest .", "--source is required"));
	check(refused(RULE_ADD, "", "--source is required"));
	check(refused(RULE_ADD, "--source .",
		      "--source and --dest cannot both be \".\""));
	check(refused(RULE_ADD, "--source . --dest .",
		      "--source and --dest cannot both be \".\""));
	check(refused(RULE_ADD, "--source web --dest db",
		      "neither --source nor --dest is \".\" (the container)"));
	check(refused(RULE_ADD, "--source 10.0.0.0/8 --dest /",
		      "neither --source nor --dest is \".\""));
	check(refused(RULE_ADD_INPUT, "--source . --dest /",
		      "--dport is required for add-input"));
	check(refused(RULE_ADD_INTERNAL, "--source db",
		      "--dport is required for add-internal"));
	check(refused(RULE_ADD_TWO_WAYS, "--source db --sport 80",
		      "--dport is required for add-two-ways"));

	/* Values. */
	check(refused(RULE_ADD, "--source a --dport 0",
		      "--dport \"0\": not a port (1-65535)"));
	check(refused(RULE_ADD, "--source a --dport 65536",
		      "--dport \"65536\": not a port"));
	check(refused(RULE_ADD, "--source a --dport 80a",
		      "--dport \"80a\": not a port"));
	check(refused(RULE_ADD, "--source a --dport 080",
		      "--dport \"080\": not a port"));
	check(refused(RULE_ADD, "--source a --dport -1",
		      "--dport \"-1\": not a port"));
	check(refused(RULE_ADD,
		      "--source a --dport=", "--dport \"\": not a port"));
	check(refused(RULE_ADD, "--source a --sport http",
		      "--sport \"http\": not a port"));
	check(refused(RULE_ADD, "--source a --protocol TCP",
		      "--protocol \"TCP\": not tcp or udp"));
	check(refused(RULE_ADD, "--source a --protocol icmp",
		      "--protocol \"icmp\": not tcp or udp"));
	check(refused(RULE_ADD, "--source a --protocol ''",
		      "--protocol \"\": not tcp or udp"));
	check(refused(RULE_ADD, "--source a --network ''",
		      "--network \"\": not a network name"));
	check(refused(RULE_ADD, "--source a --network 'a b'",
		      "--network \"a b\": not a network name"));
	check(refused(RULE_ADD, "--source a --network -net",
		      "--network \"-net\": not a network name"));
	check(refused(RULE_ADD, "--source a --network n/1",
		      "--network \"n/1\": not a network name"));
	snprintf(line, sizeof(line), "--source a --network %0127d", 0);
	check(parse(RULE_ADD, line, &r, &e) == 0 && strlen(r.network) == 127);
	rulespec_free(&r);
	snprintf(line, sizeof(line), "--source a --network %0128d", 0);
	check(refused(RULE_ADD, line, "not a network name"));

	check(refused(RULE_ADD, "--source 10.1.2.3/8",
		      "--source \"10.1.2.3/8\": host bits are set; the "
		      "network is 10.0.0.0/8"));
	check(refused(RULE_ADD, "--source . --dest 'bad name'",
		      "--dest \"bad name\": not an address or container "
		      "name"));
	check(refused(RULE_ADD, "--source ''",
		      "--source \"\": not an address or container name"));
	check(refused(RULE_ADD, "--source=1.2.3.4/33",
		      "--source \"1.2.3.4/33\": not a prefix length"));

	/* Filters. */
	check(refused(RULE_ADD, "--source a --filter ''",
		      "--filter \"\": no words"));
	check(refused(RULE_ADD, "--source a --filter '  '",
		      "--filter \"  \": no words"));
	check(refused(RULE_ADD, "--source a --filter '# -i eth0'",
		      "--filter \"# -i eth0\": no words"));
	check(refused(RULE_ADD, "--source a --filter \"-i 'eth0\"",
		      "--filter \"-i 'eth0\": unterminated ' quote"));
	check(refused(RULE_ADD, "--source a --filter '-i eth0\\'",
		      "--filter \"-i eth0\\\": trailing backslash"));
	check(refused(RULE_ADD, "--source a --filter 'a;b'",
		      "--filter: \"a;b\": character ';' is not allowed"));
	check(refused(RULE_ADD, "--source a --filter \"-m 'a;b'\"",
		      "--filter: \"a;b\": character ';' is not allowed"));
	check(refused(RULE_ADD, "--source a --filter \"'a\tb'\"",
		      "--filter: \"a\tb\": control character 0x09 is not "
		      "allowed"));
	for (i = 0; forbidden[i]; i++) {
		/* Quoted twice, so even '\\' reaches the filter word. */
		snprintf(line, sizeof(line),
			 "--source a --filter \"-x 'y%cz'\"", forbidden[i]);
		snprintf(want, sizeof(want),
			 "--filter: \"y%cz\": character "
			 "'%c' is not allowed",
			 forbidden[i], forbidden[i]);
		check(refused(RULE_ADD, line, want));
	}
	check(rulespec_parse(&r, RULE_ADD, 4, (char *const *)argv_ctl, &e) ==
		      -1 &&
	      e.code == EXIT_USAGE);
	check(strstr(e.msg, "--filter \"a\x01\": control character 0x01"));

	/* An error after a filter frees it (ASan would see the leak). */
	check(refused(RULE_ADD, "--filter '-i eth0' --source a --dport 0",
		      "--dport \"0\""));
	check(refused(RULE_ADD, "--filter '-i eth0' --source .",
		      "cannot both be"));
}

static void test_format(void)
{
	struct rulespec r;
	struct buf b = { 0 };
	struct err e = { 0 };

	check_str(canon(RULE_ADD, "--source 10.0.0.0/8 --dport 80"),
		  "--source 10.0.0.0/8 --dest . --dport 80 --protocol tcp");
	check_str(canon(RULE_ADD, "--source 1.2.3.4"),
		  "--source 1.2.3.4/32 --dest . --protocol tcp");
	check_str(canon(RULE_ADD_INTERNAL, "--dport=5432 --source /db "
					   "--rev-lookup"),
		  "--source db --dest . --dport 5432 --protocol tcp");
	check_str(canon(RULE_ADD_INPUT,
			"--filter '-i eth0' --network "
			"my_net --sport 1024 --protocol udp --dport 53 "
			"--dest / --source ."),
		  "--source . --sport 1024 --dest / --dport 53 --protocol udp "
		  "--network my_net --filter '-i eth0'");
	check_str(canon(RULE_ADD, "--source . --dest / --filter=--syn"),
		  "--source . --dest / --protocol tcp --filter --syn");
	check_str(canon(RULE_ADD, "--source web --dest . --filter "
				  "\"-m comment --comment 'a b'\""),
		  "--source web --dest . --protocol tcp --filter "
		  "'-m comment --comment '\\''a b'\\'''");
	check_str(canon(RULE_ADD, "--source web --filter \"-m  comment\""),
		  "--source web --dest . --protocol tcp --filter "
		  "'-m comment'");

	/* Appends; --rev-lookup is not written. */
	check(parse(RULE_ADD, "--source . --dest web --rev-lookup", &r, &e) ==
	      0);
	buf_adds(&b, "rule add ");
	check(rulespec_format(&r, &b) == 0);
	check_str(b.data, "rule add --source . --dest web --protocol tcp");
	r.proto = IPPROTO_ICMP;
	check(rulespec_format(&r, &b) == -1 && errno == EINVAL);
	check_str(b.data, "rule add --source . --dest web --protocol tcp");
	r.proto = IPPROTO_TCP;
	r.src.kind = ADDR_NONE;
	check(rulespec_format(&r, &b) == -1);
	check_str(b.data, "rule add --source . --dest web --protocol tcp");
	rulespec_free(&r);
	buf_free(&b);
}

static void test_round_trip(void)
{
	static const char *const srcs[] = {
		".", "/", "10.0.0.0/8", "1.2.3.4", "web", "/db", "0.0.0.0/0",
	};
	static const char *const opts[] = {
		"",
		"--sport 1",
		"--dport 65535",
		"--protocol udp",
		"--network n_1.x-y",
		"--filter '-i eth0'",
		"--rev-lookup",
		("--sport 1024 --dport 80 --protocol udp --network bridge "
		 "--filter \"-m conntrack --ctstate NEW\""),
	};
	static const char *const words[][6] = {
		{ "it's", NULL },
		{ "a b", "  c  ", NULL },
		{ "#x", "a#b", "#", NULL },
		{ "", "-x", "", NULL },
		{ "\"q\"", "'", "''", "'\"'\"", NULL },
		{ "-m", "comment", "--comment", "don't \"panic\" # now", NULL },
		{ "\xc3\xa9t\xc3\xa9", "~", "*", "?", "[a]", NULL },
		{ "{a,b}", "(x)", "!", "a=b", "%+@:,./", NULL },
	};
	struct rulespec r;
	struct err e = { 0 };
	char line[512];
	size_t i, j, k, n = 0;
	int a;

	for (a = 0; a < RULE_NACTIONS; a++) {
		for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
			for (j = 0; j < sizeof(opts) / sizeof(opts[0]); j++) {
				snprintf(line, sizeof(line),
					 "--dport 8 "
					 "--source %s --dest %s %s",
					 srcs[i],
					 strcmp(srcs[i], ".") ? "." : "web",
					 opts[j]);
				if (strstr(opts[j], "--dport"))
					memmove(line, line + 10,
						strlen(line + 10) + 1);
				if (parse((enum rule_action)a, line, &r, &e)) {
					fprintf(stderr, "  %s: %s\n", line,
						e.msg);
					check(0);
					continue;
				}
				check(round_trip(&r));
				rulespec_free(&r);
				n++;
			}
		}
	}
	check(n == 4 * 7 * 8);

	/* Odd filter words, set directly: parse must take them back. */
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		check(parse(RULE_ADD, "--source web", &r, &e) == 0);
		for (k = 0; words[i][k]; k++) {
			check(filter_forbidden(words[i][k]) == NULL);
			strv_add(&r.filter, words[i][k], strlen(words[i][k]));
		}
		check(round_trip(&r));
		rulespec_free(&r);
	}
}

static void test_equal_copy(void)
{
	struct rulespec a, b, c;
	struct err e = { 0 };

	check(parse(RULE_ADD_INPUT,
		    "--source . --dest 10.0.0.0/8 --dport 80 "
		    "--sport 9 --network n --filter '-i x'",
		    &a, &e) == 0);
	check(rulespec_copy(&b, &a) == 0);
	check(rulespec_equal(&a, &b) && rulespec_equal(&b, &a));
	check(b.filter.v != a.filter.v && b.filter.v[0] != a.filter.v[0]);
	b.rev_lookup = 1;
	check(rulespec_equal(&a, &b));
#define DIFFERS(stmt) \
	do { \
		check(rulespec_copy(&c, &a) == 0); \
		stmt; \
		check(!rulespec_equal(&a, &c) && !rulespec_equal(&c, &a)); \
		rulespec_free(&c); \
	} while (0)
	DIFFERS(c.action = RULE_ADD);
	DIFFERS(c.src.kind = ADDR_GATEWAY);
	DIFFERS(c.dst.ip ^= htonl(1 << 8));
	DIFFERS(c.dst.prefix = 16);
	DIFFERS(c.sport = 10);
	DIFFERS(c.dport = 81);
	DIFFERS(c.proto = IPPROTO_UDP);
	DIFFERS(c.network = "m");
	DIFFERS(c.filter.v[1][0] = 'y');
	DIFFERS(free(c.filter.v[1]); c.filter.n = 1);
	DIFFERS(strv_add(&c.filter, "z", 1));
#undef DIFFERS
	rulespec_free(&b);
	rulespec_free(&a);

	check(parse(RULE_ADD, "--source web", &a, &e) == 0);
	check(parse(RULE_ADD, "--source /web", &b, &e) == 0);
	check(rulespec_equal(&a, &b));
	rulespec_free(&b);
	check(parse(RULE_ADD, "--source webs", &b, &e) == 0);
	check(!rulespec_equal(&a, &b));
	rulespec_free(&b);
	check(rulespec_copy(&b, &a) == 0 && b.filter.n == 0);
	rulespec_free(&b);
	rulespec_free(&a);
}

static void test_split(void)
{
	SPLIT("", NULL);
	SPLIT("\n", NULL);
	SPLIT(" \t  ", NULL);
	SPLIT("# a comment", NULL);
	SPLIT("   #comment 'unterminated", NULL);
	SPLIT("a", "a");
	SPLIT("a b\n", "a", "b");
	SPLIT("  a \t b  ", "a", "b");
	SPLIT("a#b c", "a#b", "c");
	SPLIT("a #b c", "a");
	SPLIT("a# b", "a#", "b");
	SPLIT("'#' \\#x \"#\"", "#", "#x", "#");
	SPLIT("''#x", "#x");
	SPLIT("'a b' c", "a b", "c");
	SPLIT("'a \\ \" $ `'", "a \\ \" $ `");
	SPLIT("\"a \\\" \\\\ \\$ \\` \\n \\' b\"", "a \" \\ $ ` \\n \\' b");
	SPLIT("\"a'b\" 'a\"b'", "a'b", "a\"b");
	SPLIT("a\\ b\\'c\\\"d\\\\e\\#", "a b'c\"d\\e#");
	SPLIT("''", "");
	SPLIT("\"\"", "");
	SPLIT("'' \"\" x", "", "", "x");
	SPLIT("a'' b", "a", "b");
	SPLIT("x'y'\"z\"w", "xyzw");
	SPLIT("'it'\\''s'", "it's");
	SPLIT("it'\\''s'", "it\\s");
	SPLIT("a\tb", "a", "b");
	SPLIT("a\\\tb '\tc'", "a\tb", "\tc");
	SPLIT("\xc3\xa9 x\xff", "\xc3\xa9", "x\xff");
	SPLIT("a\"b c\"d e", "ab cd", "e");

	check(split_fails("'abc", "unterminated ' quote"));
	check(split_fails("a \"bc", "unterminated \" quote"));
	check(split_fails("\"a\\\"", "unterminated \" quote"));
	check(split_fails("a\\", "trailing backslash"));
	check(split_fails("a\\\n", "trailing backslash"));
	check(split_fails("a\x01"
			  "b",
			  "control character 0x01"));
	check(split_fails("a\nb", "control character 0x0a at offset 1"));
	check(split_fails("a\n\n", "control character 0x0a"));
	check(split_fails("a\r\n", "control character 0x0d"));
	check(split_fails("a\x7f", "control character 0x7f"));
	check(split_fails("a # \x1b", "control character 0x1b"));
	check(split_fails("'a\x02'", "control character 0x02"));
}

/* quote, then split, gives back s alone. */
static int quote_trips(const char *s)
{
	struct buf b = { 0 };
	struct strv w = { 0 };
	struct err e = { 0 };
	int ok = !rulespec_quote(s, &b) &&
		 rulespec_split(b.data, &w, &e) == 1 && !strcmp(w.v[0], s);

	if (!ok)
		fprintf(stderr, "  quote \"%s\" -> %s: %s\n", s, b.data, e.msg);
	buf_free(&b);
	strv_free(&w);
	return ok;
}

static const char *quoted(const char *s)
{
	static char out[256];
	struct buf b = { 0 };

	buf_adds(&b, ">");
	if (rulespec_quote(s, &b))
		return "(failed)";
	snprintf(out, sizeof(out), "%s", b.data + 1);
	buf_free(&b);
	return out;
}

static void test_quote(void)
{
	static const char *const trips[] = {
		"",	    " ",  "a",	       "a b",	"'",   "''",
		"it's",	    "\"", "\\",	       "$x",	"`x`", "#",
		"a#",	    "#a", "-i",	       "a=b",	"\t",  "a\tb",
		"\xc3\xa9", "*",  "x'\"y\"'z", "'\\''", "\\'", "~root",
	};
	size_t i;

	check_str(quoted("abc"), "abc");
	check_str(quoted("-i"), "-i");
	check_str(quoted("a=b,c:d@e%f+g/h.i_j-k09AZ"),
		  "a=b,c:d@e%f+g/h.i_j-k09AZ");
	check_str(quoted(""), "''");
	check_str(quoted("a b"), "'a b'");
	check_str(quoted("it's"), "'it'\\''s'");
	check_str(quoted("'"), "''\\'''");
	check_str(quoted("#x"), "'#x'");
	check_str(quoted("~"), "'~'");
	check_str(quoted("$HOME"), "'$HOME'");
	check_str(quoted("\xc3\xa9"), "'\xc3\xa9'");
	for (i = 0; i < sizeof(trips) / sizeof(trips[0]); i++)
		check(quote_trips(trips[i]));
}

static void test_forbidden(void)
{
	static const char s[] = "ab;c&";

	check(filter_forbidden(s) == s + 2);
	check(filter_forbidden("-m") == NULL);
	check(filter_forbidden("") == NULL);
	check(filter_forbidden("a'b\"c #d {}()*?!~") == NULL);
	check(filter_forbidden("\xc3\xa9") == NULL);
	check(*filter_forbidden("a|b") == '|');
	check(*filter_forbidden("a$b") == '$');
	check(*filter_forbidden("a`b") == '`');
	check(*filter_forbidden("a<b") == '<');
	check(*filter_forbidden("a>b") == '>');
	check(*filter_forbidden("a\\b") == '\\');
	check(*filter_forbidden("a\tb") == '\t');
	check(*filter_forbidden("a\nb") == '\n');
	check(*filter_forbidden("a\x7f") == '\x7f');
}

/* $'...' words (POSIX.1-2024 dollar-single-quotes). */
static void test_dollar(void)
{
	SPLIT("$'a\\nb'", "a\nb");
	SPLIT("$'\\t\\r\\a\\b\\e\\f\\v'", "\t\r\a\b\033\f\v");
	SPLIT("$'\\\\ \\' \\\"'", "\\ ' \"");
	SPLIT("$'\\x41\\x4a\\x4A\\x7'", "AJJ\a");
	SPLIT("$'\\x411'", "A1");	     /* two hex digits at most */
	SPLIT("$'\\101\\1012\\7'", "AA2\a"); /* three octal at most */
	SPLIT("$'\\377'", "\xff");
	SPLIT("x$'\\n'y 'a'$'b'", "x\ny", "ab");
	SPLIT("$''", "");
	SPLIT("$'#' $'a b'", "#", "a b");
	SPLIT("\"$'x'\"", "$'x'"); /* not in "..." */
	SPLIT("\\$'x'", "$x");	   /* nor escaped */
	SPLIT("'$'x", "$x");
	SPLIT("$ $x a$", "$", "$x", "a$");
	SPLIT("$'\xc3\xa9'", "\xc3\xa9");

	check(split_fails("$'abc", "unterminated $' quote"));
	check(split_fails("$'abc\\'", "unterminated $' quote"));
	check(split_fails("$'a\\", "unterminated $' quote"));
	check(split_fails("$'\\q'", "unknown escape \\q"));
	check(split_fails("$'\\cA'", "unknown escape \\c"));
	check(split_fails("$'\\u00e9'", "unknown escape \\u"));
	check(split_fails("$'\\x'", "\\x without hex digits"));
	check(split_fails("$'\\xg'", "\\x without hex digits"));
	check(split_fails("$'\\0'", "NUL"));
	check(split_fails("$'a\\x00'", "NUL"));
	check(split_fails("$'\\400'", "NUL"));
	check(split_fails("$'a\nb'", "control character 0x0a"));
	check(split_fails("ok $'\\n' $'\\z'", "unknown escape"));
}

/* Every byte but NUL round-trips through quote and split, alone and in
 * company; a control character never reaches the quoted text. */
static void test_quote_bytes(void)
{
	char s[4];
	struct buf b = { 0 };
	int c, i;

	check_str(quoted("a\nb"), "$'a\\nb'");
	check_str(quoted("\t"), "$'\\t'");
	check_str(quoted("vol\nx:/data"), "$'vol\\nx:/data'");
	check_str(quoted("it's\r\n"), "$'it\\'s\\r\\n'");
	check_str(quoted("a\\b\x01"), "$'a\\\\b\\x01'");
	check_str(quoted("\x1b"
			 "a"),
		  "$'\\x1ba'");
	check_str(quoted("\x7f"), "$'\\x7f'");
	for (c = 1; c < 256; c++) {
		s[0] = (char)c;
		s[1] = 0;
		check(quote_trips(s));
		s[0] = 'x';
		s[1] = (char)c;
		s[2] = 'f'; /* a hex digit after \xHH */
		s[3] = 0;
		check(quote_trips(s));
		b.len = 0;
		check(rulespec_quote(s, &b) == 0);
		for (i = 0; i < (int)b.len; i++)
			check((unsigned char)b.data[i] >= 0x20 &&
			      b.data[i] != 0x7f);
	}
	buf_free(&b);
}

/* ---- --from ------------------------------------------------------------ */

/* Feeds text to a fresh reader in pieces of step bytes (0: at once). */
static int from_text(struct rulespec_from *f, enum rule_action a,
		     const char *text, size_t len, size_t step, struct err *e)
{
	size_t at = 0, k;

	rulespec_from_init(f, "F", a, 0);
	while (at < len) {
		k = step && step < len - at ? step : len - at;
		if (rulespec_from_feed(f, text + at, k, e))
			return -1;
		at += k;
	}
	return rulespec_from_end(f, e);
}

/* text is refused (EXIT_USAGE, message holding want), in any cut. */
static int from_fails(const char *text, size_t len, const char *want)
{
	static const size_t steps[] = { 0, 1, 7, 4096 };
	struct rulespec_from f;
	struct err e = { 0 };
	size_t i;
	int ok = 1, rc;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		rc = from_text(&f, RULE_ADD, text, len, steps[i], &e);
		if (rc != -1 || e.code != EXIT_USAGE || !strstr(e.msg, want)) {
			fprintf(stderr,
				"  from (step %zu): %d %s\n  want: "
				"%s\n",
				steps[i], rc, e.msg, want);
			ok = 0;
		}
		/* after an error, every call fails */
		check(rulespec_from_feed(&f, "--source 1.1.1.1\n", 17, &e) ==
			      -1 &&
		      rulespec_from_end(&f, &e) == -1);
		rulespec_from_free(&f);
	}
	return ok;
}

static void test_from(void)
{
	static const char text[] =
		"# rules for web\n"
		"\n"
		"--source 10.0.0.0/8 --dport 80\n"
		"  --source 1.2.3.4 --dport=443 --filter '-i eth0' # trailing\n"
		"--source $'1.1.1.1' --dport 53 --protocol udp";
	static const size_t steps[] = { 0, 1, 2, 3, 5, 16, 1000 };
	struct rulespec_from f;
	struct err e = { 0 };
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		check(from_text(&f, RULE_ADD, text, strlen(text), steps[i],
				&e) == 0);
		check(f.n == 3);
		if (f.n != 3) {
			rulespec_from_free(&f);
			continue;
		}
		check(f.line[0] == 3 && f.line[1] == 4 && f.line[2] == 5);
		b.len = 0;
		check(rulespec_format(&f.v[1], &b) == 0);
		check_str(b.data, "--source 1.2.3.4/32 --dest . --dport 443 "
				  "--protocol tcp --filter '-i eth0'");
		check(f.v[2].proto == IPPROTO_UDP && f.v[2].dport == 53 &&
		      !f.v[2].rev_lookup);
		rulespec_from_free(&f);
	}
	buf_free(&b);

	/* --rev-lookup reaches every spec */
	rulespec_from_init(&f, "F", RULE_ADD_INTERNAL, 1);
	check(rulespec_from_feed(&f,
				 "--source web --dport 1\n--source db "
				 "--dport 2\n",
				 45, &e) == 0);
	check(rulespec_from_end(&f, &e) == 0 && f.n == 2 && f.v[0].rev_lookup &&
	      f.v[1].rev_lookup && f.v[1].action == RULE_ADD_INTERNAL);
	rulespec_from_free(&f);

	check(from_fails("", 0, "--from \"F\": no rule specs in it"));
	check(from_fails("# only\n\n  \n", 11, "no rule specs in it"));
	check(from_fails("--source 1.1.1.1\n--dport 0\n", 27,
			 "F:2: --dport \"0\": not a port"));
	check(from_fails("--source 1.1.1.1\r\n", 18, "F:1: ends in CR LF"));
	check(from_fails("\n\n--source 'x\n", 14, "F:3: unterminated ' quote"));
	check(from_fails("--source 1.1.1.1\n--so\0urce", 26,
			 "F:2: holds a NUL byte"));
	check(from_fails("\0", 1, "F:1: holds a NUL byte"));
	check(from_fails("--source 1.1.1.1 --dport 80\n--x\n", 32,
			 "F:2: unknown option"));
}

/* The three line forms, in one input: OPTIONS..., CONTAINER OPTIONS...
 * and ACTION CONTAINER OPTIONS... (this tool's ls and the original's). */
static void test_from_forms(void)
{
	static const char text[] =
		"--source 10.0.0.0/8 --dport 80\n"
		"web -s 1.2.3.4 --dport 443\n"
		"add-internal db --source app --dest . --dport 5432 "
		"--protocol tcp\n"
		"add web -s 203.0.113.0/24 -d . -p tcp --dport 80\n"
		"add-internal db -s worker -d . -p tcp --filter "
		"'-i docker0 -o docker0' --dport 5432\n"
		"add-input app -s . -d / -p udp --dport 53\n"
		"add --source 9.9.9.9 --dport 1\n" /* a container "add" */
		"/web2 --source 9.9.9.9 --dport 2\n"
		"add-two-ways 401c35a7534b --source app --dport 6379\n";
	struct rulespec_from f;
	struct err e = { 0 };
	struct buf b = { 0 };
	size_t i;

	check(from_text(&f, RULE_ADD_INPUT, text, strlen(text), 3, &e) == 0);
	check(f.n == 9 && f.ctr.n == 9);
	if (f.n != 9) {
		rulespec_from_free(&f);
		return;
	}
	{
		static const char *const ctr[] = {
			"",    "web", "db",   "web",	      "db",
			"app", "add", "web2", "401c35a7534b",
		};
		static const enum rule_action act[] = {
			RULE_ADD_INPUT, RULE_ADD_INPUT,	   RULE_ADD_INTERNAL,
			RULE_ADD,	RULE_ADD_INTERNAL, RULE_ADD_INPUT,
			RULE_ADD_INPUT, RULE_ADD_INPUT,	   RULE_ADD_TWO_WAYS,
		};

		for (i = 0; i < 9; i++) {
			check_str(f.ctr.v[i], ctr[i]);
			check(f.v[i].action == act[i]);
			check(f.line[i] == i + 1);
		}
	}
	check(f.v[4].filter.n == 4 && f.v[5].dst.kind == ADDR_GATEWAY &&
	      f.v[5].proto == IPPROTO_UDP);
	check(rulespec_format(&f.v[4], &b) == 0);
	check_str(b.data, "--source worker --dest . --dport 5432 --protocol "
			  "tcp --filter '-i docker0 -o docker0'");
	buf_free(&b);
	rulespec_from_free(&f);

	check(from_fails("web --source 1.1.1.1\n1.2.3.4 --source 1.1.1.1\n", 46,
			 "F:2: \"1.2.3.4\": not a container name or ID"));
	check(from_fails("add . --source 1.1.1.1\n", 23,
			 "F:1: \".\": not a container name or ID"));
	check(from_fails("add web extra --source 1.1.1.1\n", 31,
			 "F:1: unexpected argument \"extra\""));
	check(from_fails("add web\n", 8, "F:1: --source is required"));
	check(from_fails("add-input web --source 1.1.1.1\n", 31,
			 "F:1: --dport is required for add-input"));
}

/* The caps hold while reading: a long line, many lines, many specs, too
 * many bytes; an endless input stops. */
static void test_from_caps(void)
{
	struct rulespec_from f;
	struct err e = { 0 };
	struct buf b = { 0 };
	size_t i;
	int rc;

	/* a line of exactly FROM_MAX_LINE bytes is fine, one more is not */
	buf_adds(&b, "--source 1.1.1.1 --filter '");
	while (b.len < FROM_MAX_LINE - 1)
		buf_adds(&b, " ");
	buf_adds(&b, "'");
	check(b.len == FROM_MAX_LINE);
	buf_adds(&b, "\n");
	check(from_text(&f, RULE_ADD, b.data, b.len, 1000, &e) == -1);
	check(strstr(e.msg, "F:1: --filter") && strstr(e.msg, "no words"));
	rulespec_from_free(&f);
	b.len = 0;
	buf_adds(&b, "#");
	while (b.len < FROM_MAX_LINE + 1)
		buf_adds(&b, "x");
	check(from_fails(b.data, b.len, "F:1: line longer than 65536 bytes"));
	/* no newline ever: the error comes at the cap, not at the end */
	rulespec_from_init(&f, "F", RULE_ADD, 0);
	for (i = 0, rc = 0; i < 100 && !rc; i++)
		rc = rulespec_from_feed(&f, b.data, 4096, &e);
	check(rc == -1 && i == 17 && strstr(e.msg, "line longer"));
	rulespec_from_free(&f);

	/* lines: blank ones count */
	b.len = 0;
	for (i = 0; i < FROM_MAX_LINES; i++)
		buf_adds(&b, "\n");
	buf_adds(&b, "--source 1.1.1.1\n");
	check(from_fails(b.data, b.len, "F:100001: more than 100000 lines"));
	b.len = 0;
	for (i = 0; i < FROM_MAX_LINES - 1; i++)
		buf_adds(&b, "\n");
	buf_adds(&b, "--source 1.1.1.1\n");
	check(from_text(&f, RULE_ADD, b.data, b.len, 0, &e) == 0 && f.n == 1 &&
	      f.line[0] == FROM_MAX_LINES);
	rulespec_from_free(&f);

	/* specs: `yes -- '--source 1.1.1.1 --dport 80'` */
	rulespec_from_init(&f, "(stdin)", RULE_ADD, 0);
	for (i = 0, rc = 0; i < 2 * FROM_MAX_SPECS && !rc; i++)
		rc = rulespec_from_feed(&f, "--source 1.1.1.1 --dport 80\n", 28,
					&e);
	check(rc == -1 && i == FROM_MAX_SPECS + 1 && f.n == FROM_MAX_SPECS);
	check(strstr(e.msg, "(stdin):10001: more than 10000 rule specs"));
	rulespec_from_free(&f);

	/* bytes: comments cost no memory, the byte cap stops them */
	b.len = 0;
	buf_adds(&b, "--source 1.1.1.1\n");
	while (b.len < 60000) {
		buf_adds(&b, "#");
		for (i = 0; i < 100; i++)
			buf_adds(&b, " a comment");
		buf_adds(&b, "\n");
	}
	rulespec_from_init(&f, "F", RULE_ADD, 0);
	for (i = 0, rc = 0; i < 1000 && !rc; i++)
		rc = rulespec_from_feed(&f, b.data + (i ? 17 : 0),
					b.len - (i ? 17 : 0), &e);
	check(rc == -1 && strstr(e.msg, "--from \"F\": more than 8388608 "
					"bytes"));
	check(f.bytes == FROM_MAX_BYTES && f.n == 1);
	rulespec_from_free(&f);
	buf_free(&b);
}

/* rulespec_from_fd on /dev/zero, a folder, a pipe. */
static void test_from_fd(void)
{
	struct rulespec_from f;
	struct err e = { 0 };
	int fd, p[2];

	fd = open("/dev/zero", O_RDONLY);
	check(fd >= 0);
	rulespec_from_init(&f, "/dev/zero", RULE_ADD, 0);
	check(rulespec_from_fd(&f, fd, &e) == -1 &&
	      !strcmp(e.msg, "/dev/zero:1: holds a NUL byte"));
	rulespec_from_free(&f);
	close(fd);

	fd = open("/", O_RDONLY);
	rulespec_from_init(&f, "/", RULE_ADD, 0);
	check(rulespec_from_fd(&f, fd, &e) == -1 && e.code == EXIT_USAGE &&
	      strstr(e.msg, "--from \"/\": Is a directory"));
	rulespec_from_free(&f);
	close(fd);

	check(pipe(p) == 0);
	check(write(p[1], "--source 1.1.1.1\n--source 2.2.2.2", 33) == 33);
	close(p[1]);
	rulespec_from_init(&f, "(stdin)", RULE_ADD, 0);
	check(rulespec_from_fd(&f, p[0], &e) == 0 && f.n == 2);
	rulespec_from_free(&f);
	close(p[0]);
}

/*
 * Every allocation of a parse failing in turn: the parse fails with
 * EXIT_RUNTIME "out of memory" and holds nothing (LeakSanitizer checks
 * the rest at exit), until one no longer reaches a failing allocation.
 * The names are new to the pool (rulespec_intern), so its allocations
 * are among them.
 */
static void test_oom(void)
{
	static const char *const argv[] = { "--source",	 "oom-src", "--dest",
					    ".",	 "--dport", "80",
					    "--network", "oom-net", "--filter",
					    "-i eth0" };
	static const char from[] = "oom-ctr --source oom-src2 --dport 1\n"
				   "add-internal oom-ctr2 --source oom-src3 "
				   "--dport 2 --filter '-i eth0'\n";
	struct rulespec r, c;
	struct rulespec_from f;
	struct err e;
	long n;
	int rc, done = 0;

	for (n = 0; !done && n < 1000; n++) {
		failalloc_after(n);
		rc = rulespec_parse(&r, RULE_ADD_INTERNAL, 10, (char **)argv,
				    &e);
		if (!failalloc_off()) {
			check(rc == 0);
			check_str(r.src.name, "oom-src");
			check_str(r.network, "oom-net");
			check(r.filter.n == 2);
			done = 1;
			break;
		}
		check(rc == -1 && e.code == EXIT_RUNTIME &&
		      strstr(e.msg, "out of memory"));
		check(r.filter.n == 0 && r.filter.v == NULL);
	}
	check(done);
	for (n = 0, done = 0; !done && n < 1000; n++) {
		failalloc_after(n);
		rc = rulespec_copy(&c, &r);
		if (!failalloc_off()) {
			check(rc == 0 && rulespec_equal(&c, &r));
			check(c.src.name == r.src.name); /* shared */
			rulespec_free(&c);
			done = 1;
			break;
		}
		check(rc == -1 && c.filter.n == 0 && c.filter.v == NULL);
	}
	check(done);
	rulespec_free(&r);
	for (n = 0, done = 0; !done && n < 1000; n++) {
		rulespec_from_init(&f, "(oom)", RULE_ADD, 0);
		failalloc_after(n);
		rc = rulespec_from_feed(&f, from, strlen(from), &e);
		if (!rc)
			rc = rulespec_from_end(&f, &e);
		if (!failalloc_off()) {
			check(rc == 0 && f.n == 2);
			check_str(f.ctr.v[0], "oom-ctr");
			check_str(f.v[0].src.name, "oom-src2");
			check_str(f.ctr.v[1], "oom-ctr2");
			check_str(f.v[1].src.name, "oom-src3");
			done = 1;
		} else {
			check(rc == -1 && e.code == EXIT_RUNTIME &&
			      strstr(e.msg, "out of memory"));
		}
		rulespec_from_free(&f);
	}
	check(done);
}

/* #18: rulespec_hash hashes what rulespec_equal (net 1) or
 * rulespec_same_but_net (net 0) compares, nothing else. */
static void test_hash(void)
{
	struct rulespec a, b;
	struct err e = { 0 };
	char name[8];

	check(parse(RULE_ADD_INTERNAL,
		    "--source web --dport 80 --network n --filter '-i x'", &a,
		    &e) == 0);
	check(rulespec_copy(&b, &a) == 0);
	/* names by their bytes, not their pointers */
	snprintf(name, sizeof(name), "web");
	b.src.name = name;
	b.rev_lookup = 1;
	b.made_on = "elsewhere";
	check(rulespec_equal(&a, &b));
	check(rulespec_hash(&a, 1) == rulespec_hash(&b, 1));
	check(rulespec_hash(&a, 0) == rulespec_hash(&b, 0));
	b.network = "m";
	check(!rulespec_equal(&a, &b) && rulespec_same_but_net(&a, &b));
	check(rulespec_hash(&a, 0) == rulespec_hash(&b, 0));
	check(rulespec_hash(&a, 1) != rulespec_hash(&b, 1));
	b.network = a.network;
	b.dport = 81;
	check(rulespec_hash(&a, 0) != rulespec_hash(&b, 0));
	rulespec_free(&b);
	/* CIDR: only the family's address counts (ip6 of an IPv4 one is
	 * not compared, so not hashed) */
	rulespec_free(&a);
	check(parse(RULE_ADD, "--source 10.0.0.0/8 --dport 80", &a, &e) == 0);
	check(rulespec_copy(&b, &a) == 0);
	b.src.ip6[3] = 7;
	check(rulespec_equal(&a, &b));
	check(rulespec_hash(&a, 1) == rulespec_hash(&b, 1));
	b.src.prefix = 9;
	check(rulespec_hash(&a, 1) != rulespec_hash(&b, 1));
	rulespec_free(&a);
	rulespec_free(&b);
}

/* #18: the index gives back each position added for a hash, in the
 * order added, duplicates too, across the rehashes of its growth. */
static void test_index(void)
{
	struct rulespec r[3];
	struct rulespec_index x = { 0 };
	struct err e = { 0 };
	size_t i, it, pos, seen;
	uint64_t h;

	check(parse(RULE_ADD, "--source 10.0.0.1 --dport 80", &r[0], &e) == 0);
	check(parse(RULE_ADD, "--source 10.0.0.2 --dport 80", &r[1], &e) == 0);
	check(parse(RULE_ADD, "--source 10.0.0.3 --dport 80", &r[2], &e) == 0);
	x.net = 1;
	it = 0;
	check(rulespec_index_next(&x, rulespec_hash(&r[0], 1), &it, &pos) == 0);
	/* 1,000 positions: r[i % 3] at i, so rehashed several times */
	for (i = 0; i < 1000; i++)
		check(rulespec_index_add(&x, &r[i % 3], i) == 0);
	for (i = 0; i < 3; i++) {
		h = rulespec_hash(&r[i], 1);
		it = 0;
		seen = 0;
		while (rulespec_index_next(&x, h, &it, &pos)) {
			check(pos == i + 3 * seen);
			seen++;
		}
		check(seen == (1000 - i + 2) / 3);
		check(it == 0);
	}
	rulespec_index_free(&x);
	for (i = 0; i < 3; i++)
		rulespec_free(&r[i]);
}

/* n rules from /32 sources, --dport 80, from first on */
static struct rulespec *many_rules(size_t n, size_t first)
{
	struct rulespec *v = calloc(n + 1, sizeof(*v));
	struct err e = { 0 };
	char line[80];
	size_t i, k;

	check(v != NULL);
	for (i = 0; i < n; i++) {
		k = first + i;
		snprintf(line, sizeof(line),
			 "--source 10.%zu.%zu.%zu --dport 80", k / 65536 % 256,
			 k / 256 % 256, k % 256);
		check(parse(RULE_ADD, line, &v[i], &e) == 0);
	}
	return v;
}

static void free_rules(struct rulespec *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		rulespec_free(&v[i]);
	free(v);
}

/* #18: which rules are new (not in the old list): duplicates on both
 * sides, a rule equal but for its network (new), one only made on
 * another network (not new). */
static void test_mark_new(void)
{
	struct rulespec *v = many_rules(6, 0), *old = many_rules(6, 0);
	int isnew[6];
	size_t work;

	/* v: 0 1 2 3 4 5 with 1 == 0, 4 == 3 (duplicates); old: 0 0
	 * (a duplicate), 3 with another network, 4 made on another, and
	 * two unrelated */
	rulespec_free(&v[1]);
	check(rulespec_copy(&v[1], &v[0]) == 0);
	rulespec_free(&v[4]);
	check(rulespec_copy(&v[4], &v[3]) == 0);
	v[5].network = "n";
	rulespec_free(&old[1]);
	check(rulespec_copy(&old[1], &old[0]) == 0);
	old[3].network = "other";
	rulespec_free(&old[4]);
	check(rulespec_copy(&old[4], &v[2]) == 0);
	old[4].made_on = "front";
	old[2].dport = 81;
	old[5].dport = 82;
	check(rulespec_mark_new(v, 6, old, 6, isnew, &work) == 0);
	check(isnew[0] == 0 && isnew[1] == 0); /* 0 and its duplicate */
	check(isnew[2] == 0);		       /* made_on is not a rule */
	check(isnew[3] == 1 && isnew[4] == 1); /* another network */
	check(isnew[5] == 1);
	/* one comparison for each found: the others hash apart */
	check(work == 3);
	/* nothing old: all new, no comparison */
	check(rulespec_mark_new(v, 6, old, 0, isnew, &work) == 0);
	check(isnew[0] && isnew[5] && work == 0);
	free_rules(v, 6);
	free_rules(old, 6);
}

/* the work of marking n rules against n old ones, half of them equal:
 * rulespec_equal calls, and the entries the index went through */
static size_t mark_work(size_t n, size_t *visited)
{
	struct rulespec *v = many_rules(n, 0), *old = many_rules(n, n / 2);
	struct rulespec_index x = { 0 };
	int *isnew = calloc(n, sizeof(*isnew));
	size_t i, it, pos, work, found = 0;

	check(isnew != NULL);
	check(rulespec_mark_new(v, n, old, n, isnew, &work) == 0);
	for (i = 0; i < n; i++) {
		check(isnew[i] == (i < n / 2));
		found += !isnew[i];
	}
	check(found == n / 2);
	/* the index as add uses it: each rule looked up, then added */
	x.net = 0;
	for (i = 0; i < n; i++) {
		it = 0;
		while (rulespec_index_next(&x, rulespec_hash(&v[i], 0), &it,
					   &pos))
			check(!rulespec_same_but_net(&v[pos], &v[i]));
		check(rulespec_index_add(&x, &v[i], i) == 0);
	}
	*visited = x.work;
	rulespec_index_free(&x);
	free(isnew);
	free_rules(v, n);
	free_rules(old, n);
	return work;
}

/* #18: 10 times the rules, at most 10.5 times the work (a comparison of
 * each with each: 100 times). Counted, not timed. */
static void test_mark_new_linear(void)
{
	size_t v1, v2, w1 = mark_work(1000, &v1), w2 = mark_work(10000, &v2);

	check(w1 == 500 && w2 == 5000);
	check(v2 <= 2 * 10000);
	check(2 * v2 <= 21 * v1);
	printf("# index: %zu entries visited for 1,000 rules, %zu for "
	       "10,000\n",
	       v1, v2);
}

/* #18: out of memory in the index (its growth and rehashes): -1, nothing
 * marked half, nothing leaked (LeakSanitizer); then the same answer. */
static void test_mark_new_oom(void)
{
	struct rulespec *v = many_rules(100, 0), *old = many_rules(100, 50);
	int isnew[100];
	size_t n, i, work;
	int rc, done;

	for (n = 0, done = 0; !done && n < 1000; n++) {
		failalloc_after(n);
		rc = rulespec_mark_new(v, 100, old, 100, isnew, &work);
		if (!failalloc_off()) {
			check(rc == 0 && work == 50);
			for (i = 0; i < 100; i++)
				check(isnew[i] == (i < 50));
			done = 1;
		} else {
			check(rc == -1);
		}
	}
	check(done && n > 3);
	free_rules(v, 100);
	free_rules(old, 100);
}

UNIT_TESTS(T(test_actions) T(test_addr) T(test_addr6) T(test_short) T(
	test_defaults) T(test_errors) T(test_format) T(test_round_trip)
		   T(test_equal_copy) T(test_split) T(test_quote) T(
			   test_forbidden) T(test_dollar) T(test_quote_bytes)
			   T(test_from) T(test_from_forms) T(test_from_caps)
				   T(test_from_fd) T(test_oom) T(test_hash)
					   T(test_index) T(test_mark_new)
						   T(test_mark_new_linear)
							   T(test_mark_new_oom))
