#include <arpa/inet.h>
#include <netinet/in.h>

#include "dfw/fw.h"
#include "unit.h"

static struct fw_rule rule(const char *src, int sp, const char *dst, int dp)
{
	struct fw_rule r;
	struct in_addr a;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	if (src) {
		inet_pton(AF_INET, src, &a);
		fw_set_ip4(r.src, r.smsk, a.s_addr, sp);
	}
	if (dst) {
		inet_pton(AF_INET, dst, &a);
		fw_set_ip4(r.dst, r.dmsk, a.s_addr, dp);
	}
	strcpy(r.target, "ACCEPT");
	return r;
}

static const char *fmt(const struct fw_rule *r)
{
	static struct buf b;

	b.len = 0;
	check(fw_rule_format(r, &b) == 0);
	return b.data;
}

static void test_format(void)
{
	struct fw_rule r = rule("10.0.0.1", 32, "172.17.0.2", 32);

	r.proto = IPPROTO_TCP;
	r.dport = 80;
	strcpy(r.comment, "docker-fw web 0123456789ab");
	strcpy(r.target, "DOCKER");
	check_str(fmt(&r), "-s 10.0.0.1/32 -d 172.17.0.2/32 -p tcp -m tcp "
		  "--dport 80 -m comment --comment \"docker-fw web "
		  "0123456789ab\" -j DOCKER");

	r = rule("10.0.0.0", 8, NULL, 0);
	r.inv = FW_INV_SRC | FW_INV_IN;
	strcpy(r.in, "br+");
	strcpy(r.out, "docker0");
	r.proto = IPPROTO_UDP;
	r.sport = 53;
	r.ctstate = FW_CT_RELATED | FW_CT_ESTABLISHED | FW_CT_NEW;
	strcpy(r.comment, "docker-fw");
	check_str(fmt(&r), "! -s 10.0.0.0/8 ! -i br+ -o docker0 -p udp -m udp "
		  "--sport 53 -m conntrack --ctstate NEW,RELATED,ESTABLISHED "
		  "-m comment --comment docker-fw -j ACCEPT");

	r = rule(NULL, 0, NULL, 0);
	r.proto = IPPROTO_TCP;
	check_str(fmt(&r), "-p tcp -j ACCEPT");
	r.foreign = 1;
	check_str(fmt(&r), "-p tcp (more matches) -j ACCEPT");
	r = rule("0.0.0.0", 0, NULL, 0);
	check_str(fmt(&r), "-j ACCEPT");	/* /0 is "any" */
}

static void test_change_format(void)
{
	struct fw_change c;
	struct buf b = { 0 };

	memset(&c, 0, sizeof(c));
	c.op = FW_NEW_CHAIN;
	strcpy(c.chain, "DFW-FORWARD");
	check(fw_change_format(&c, &b) == 0);
	check_str(b.data, ":DFW-FORWARD - [0:0]");
	b.len = 0;
	c.op = FW_POLICY;
	strcpy(c.chain, "FORWARD");
	strcpy(c.policy, "DROP");
	check(fw_change_format(&c, &b) == 0);
	check_str(b.data, ":FORWARD DROP");
	b.len = 0;
	c.op = FW_INSERT;
	c.pos = 3;
	c.rule = rule("1.2.3.4", 32, NULL, 0);
	check(fw_change_format(&c, &b) == 0);
	check_str(b.data, "-I FORWARD 3 -s 1.2.3.4/32 -j ACCEPT");
	b.len = 0;
	c.op = FW_DELETE;
	check(fw_change_format(&c, &b) == 0);
	check_str(b.data, "-D FORWARD 3  # -s 1.2.3.4/32 -j ACCEPT");
	buf_free(&b);
}

static void test_equal_hash(void)
{
	struct fw_rule a = rule("10.0.0.1", 32, "172.17.0.2", 32), b = a;

	check(fw_rule_equal(&a, &b));
	check(fw_rule_hash(&a) == fw_rule_hash(&b));
	b.dport = 1;
	check(!fw_rule_equal(&a, &b));
	check(fw_rule_hash(&a) != fw_rule_hash(&b));
	b = a;
	strcpy(b.comment, "x");
	check(!fw_rule_equal(&a, &b));
	b = a;
	strcpy(b.target, "DROP");
	check(!fw_rule_equal(&a, &b));
	b = a;
	b.inv = FW_INV_DST;
	check(!fw_rule_equal(&a, &b));
	b = a;
	fw_set_ip4(b.src, b.smsk, a.src[0] | a.src[1] << 8 | a.src[2] << 16 |
		   (uint32_t)a.src[3] << 24, 31);
	check(!fw_rule_equal(&a, &b));
	b = a;
	b.foreign = 1;			/* foreign equals nothing */
	check(!fw_rule_equal(&a, &b) && !fw_rule_equal(&b, &b));
	/* "in" and "out" do not blur into each other in the hash */
	a = rule(NULL, 0, NULL, 0);
	b = a;
	strcpy(a.in, "ab");
	strcpy(b.out, "ab");
	check(!fw_rule_equal(&a, &b));
	check(fw_rule_hash(&a) != fw_rule_hash(&b));
}

static void test_set_ip4(void)
{
	uint8_t a[16], m[16];

	fw_set_ip4(a, m, htonl(0x0a000000), 8);
	check(a[0] == 10 && m[0] == 0xff && m[1] == 0 && m[4] == 0);
	fw_set_ip4(a, m, htonl(0xc0a80101), 32);
	check(m[3] == 0xff && a[3] == 1);
	fw_set_ip4(a, m, 0, 0);
	check(m[0] == 0 && a[0] == 0);
}

static void test_ctstate(void)
{
	check(fw_ctstate_parse("RELATED,ESTABLISHED") ==
	      (FW_CT_RELATED | FW_CT_ESTABLISHED));
	check(fw_ctstate_parse("NEW") == FW_CT_NEW);
	check(fw_ctstate_parse("INVALID,UNTRACKED,SNAT,DNAT") ==
	      (FW_CT_INVALID | FW_CT_UNTRACKED | FW_CT_SNAT | FW_CT_DNAT));
	check(fw_ctstate_parse("") == 0);
	check(fw_ctstate_parse("NEW,") == 0);
	check(fw_ctstate_parse(",NEW") == 0);
	check(fw_ctstate_parse("NEW,,RELATED") == 0);
	check(fw_ctstate_parse("new") == 0);
	check(fw_ctstate_parse("NEWS") == 0);
	check(fw_ctstate_parse("NE") == 0);
}

UNIT_TESTS(T(test_format) T(test_change_format) T(test_equal_hash)
	   T(test_set_ip4) T(test_ctstate))
