/*
 * fuzz_fw.c - the rule text docker-fw reads from iptables-nft-save
 * (fw_split, fw_rule_decode) and the --filter words it takes
 * (fw_rule_filter): no crash, and a fixed point: a rule decoded, formatted
 * and decoded again is the same rule (decode(format(decode(x))) ==
 * decode(x)), so replay finds its own rules. Both families; the first
 * byte's low bit picks IPv6.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/docker.h"
#include "dfw/fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define need(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct strv w = { 0 }, w2 = { 0 };
	struct fw_rule d, d2, f;
	struct buf b = { 0 };
	struct err e;
	int fam = size && (data[0] & 1) ? AF_INET6 : AF_INET;

	need(s);
	memcpy(s, data, size);
	s[size] = 0;
	if (strlen(s) != size || fw_split(s, &w) < 0)
		goto out;
	fw_rule_decode(w.v, w.n, fam, &d);
	if (!d.foreign) {
		need(!fw_rule_format(&d, &b));
		need(fw_split(b.data, &w2) >= 0);
		fw_rule_decode(w2.v, w2.n, fam, &d2);
		need(fw_rule_equal(&d, &d2));
	}
	memset(&f, 0, sizeof(f));
	f.family = fam;
	f.proto = IPPROTO_TCP;
	f.dport = size & 2 ? 80 : 0;
	strcpy(f.target, "ACCEPT");
	if (!fw_rule_filter(&f, w.v, w.n, 1, &e)) {
		b.len = 0;
		need(!fw_rule_format(&f, &b));
	}
	memset(&f, 0, sizeof(f));
	fw_rule_filter(&f, w.v, w.n, 0, &e);
out:
	strv_free(&w);
	strv_free(&w2);
	buf_free(&b);
	free(s);
	return 0;
}
