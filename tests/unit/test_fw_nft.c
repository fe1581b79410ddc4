/*
 * fw_nft_canon against the real iptables-nft, in a network namespace of
 * its own (may_write 0: the live table is never written). Needs root and
 * iptables-nft; without them each test says so and passes (fails under
 * CI=true).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "dfw/docker.h"		/* struct strv */
#include "dfw/fw.h"
#include "unit.h"

/* A rule spec's part plus filter words (fw_split of filter). */
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
	strcpy(r.comment, "docker-fw web 0123456789ab");
	strcpy(r.target, "DOCKER");	/* no such chain in the probe */
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
	if (fw_nft_canon(AF_INET, &p, 1, 0, &e)) {
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
	check(fw_nft_canon(AF_INET, p, 6, 0, &e) == 0);
	check(!p[0].failed && !p[1].failed && !p[4].failed && !p[5].failed);
	check_str(fmt(&p[0].rule), "-s 10.0.0.1/32 -d 172.17.0.2/32 -p tcp "
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
	if (fw_nft_canon(AF_INET6, &p, 1, 0, &e)) {
		printf("# no ip6tables-nft probe: %s\n", e.msg);
		return;
	}
	check(!p.failed);
	check_str(fmt(&p.rule), "-s 2001:db8::1/128 -d fd00::/64 -p tcp -m "
		  "tcp --dport 443 -m limit --limit 10/min -m comment "
		  "--comment \"docker-fw web 0123456789ab\" -j DOCKER");
}

UNIT_TESTS(T(test_canon_batch) T(test_canon_v6))
