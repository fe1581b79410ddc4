/* test_check.c - check's kv records (the format README documents). */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

#include "dfw/check.h"

static const char *kv_value(const char *v)
{
	static char out[256];
	struct buf b = { 0 };

	check(check_kv_value(v, &b) == 0);
	snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	buf_free(&b);
	return out;
}

static void test_kv_value(void)
{
	check_str(kv_value("DOCKER-USER"), "DOCKER-USER");
	check_str(kv_value(""), "\"\"");
	check_str(kv_value("a b"), "\"a b\"");
	check_str(kv_value("k=v"), "\"k=v\"");
	check_str(kv_value("say \"x\\y\""), "\"say \\\"x\\\\y\\\"\"");
	check_str(kv_value("tab\there"), "\"tab\there\"");
}

static void test_kv_record(void)
{
	struct check_finding f = { CHECK_JUMP,
				   0,
				   AF_INET,
				   "DOCKER-USER",
				   "",
				   "no jump",
				   "-I DOCKER-USER 1 -j DFW-FORWARD",
				   "docker-fw init" };
	struct buf b = { 0 };

	check(check_kv(&f, &b) == 0);
	check_str(b.data, "kind=jump status=fail family=ip chain=DOCKER-USER "
			  "container=\"\" what=\"no jump\" change=\"-I "
			  "DOCKER-USER 1 -j DFW-FORWARD\" fix=\"docker-fw "
			  "init\"");
	b.len = 0;
	f.note = 1;
	f.family = 0;
	f.kind = CHECK_HOST_OPEN;
	f.chain = "";
	f.container = "web";
	check(check_kv(&f, &b) == 0);
	check(!strncmp(b.data,
		       "kind=host-open status=note family=- chain=\"\" "
		       "container=web ",
		       strlen("kind=host-open status=note family=- chain=\"\" "
			      "container=web ")));
	buf_free(&b);
}

/* ---- paths around the whitelist (check_path_into) --------------------- */

static struct fw_rule *rule(struct fw *f, const char *chain, const char *in,
			    const char *out, const char *target)
{
	struct fw_chain *c = fw_chain(f, chain);
	struct fw_rule *r;

	if (!c)
		c = fw_chain_add(f, chain, NULL);
	check(c != NULL);
	r = fw_chain_push(c);
	check(r != NULL);
	r->family = AF_INET;
	snprintf(r->in, sizeof(r->in), "%s", in);
	snprintf(r->out, sizeof(r->out), "%s", out);
	snprintf(r->target, sizeof(r->target), "%s", target);
	return r;
}

/* Rule k of FORWARD through check_path_into, with the bridges docker0
 * and br-1: 1 with *at, 0, -1; *deep: whether a jump was left. */
static int path_of(struct fw *f, size_t k, struct check_path_at *at, int *deep)
{
	static struct docker_network nets[2];
	struct check_paths cp;
	int rc;

	memset(nets, 0, sizeof(nets));
	snprintf(nets[0].driver, sizeof(nets[0].driver), "bridge");
	snprintf(nets[0].bridge, sizeof(nets[0].bridge), "docker0");
	snprintf(nets[1].driver, sizeof(nets[1].driver), "bridge");
	snprintf(nets[1].bridge, sizeof(nets[1].bridge), "br-1");
	check(check_paths_init(&cp, f, nets, 2) == 0);
	rc = check_path_into(&cp, "FORWARD", &fw_chain(f, "FORWARD")->rules[k],
			     at);
	if (deep)
		*deep = cp.deep;
	check_paths_free(&cp);
	return rc;
}

static void extra(struct fw_rule *r, const char *words)
{
	r->extra = fw_intern(words, strlen(words));
	check(r->extra != NULL);
}

static void test_path_into(void)
{
	struct check_path_at at;
	struct fw f;
	char name[16], next[16];
	int i, k, deep;

	memset(&f, 0, sizeof(f));
	f.lock_fd = -1;
	fw_chain_add(&f, "FORWARD", "DROP");
	fw_chain_add(&f, "DOCKER", NULL);
	/* 0: an ACCEPT into docker0 */
	rule(&f, "FORWARD", "", "docker0", "ACCEPT");
	check(path_of(&f, 0, &at, NULL) == 1);
	check(at.chain == NULL && at.bridge == 0);
	/* 1: from docker0 (its containers' traffic out): none */
	rule(&f, "FORWARD", "docker0", "", "ACCEPT");
	check(path_of(&f, 1, &at, NULL) == 0);
	/* 2: replies only: none; 3: ! -o docker0: br-1 */
	rule(&f, "FORWARD", "", "", "ACCEPT")->ctstate = FW_CT_ESTABLISHED;
	check(path_of(&f, 2, &at, NULL) == 0);
	rule(&f, "FORWARD", "", "docker0", "ACCEPT")->inv = FW_INV_OUT;
	check(path_of(&f, 3, &at, NULL) == 1 && at.bridge == 1);
	/* 4: into a chain of its own holding the ACCEPT: that rule named */
	rule(&f, "FORWARD", "", "", "HOSTFW");
	rule(&f, "HOSTFW", "", "", "DROP");
	rule(&f, "HOSTFW", "", "br+", "ACCEPT");
	check(path_of(&f, 4, &at, NULL) == 1);
	check(at.chain && !strcmp(at.chain, "HOSTFW") && at.pos == 2);
	check(at.bridge == 1); /* br+: br-1, not docker0 */
	/* 5: -o docker0 into a chain that accepts -o br-1 only: none */
	rule(&f, "FORWARD", "", "docker0", "ONLY1");
	rule(&f, "ONLY1", "", "br-1", "ACCEPT");
	check(path_of(&f, 5, &at, NULL) == 0);
	/* 6: Docker's catch-all (-o docker0 -j DOCKER) in FORWARD: init's
	 * finding, not a path; in a chain of its own, or with a comment,
	 * init leaves it: a path */
	rule(&f, "FORWARD", "", "docker0", "DOCKER");
	check(path_of(&f, 6, &at, NULL) == 0);
	rule(&f, "FORWARD", "", "", "PUBLISH");
	rule(&f, "PUBLISH", "", "docker0", "DOCKER");
	check(path_of(&f, 7, &at, NULL) == 1 && at.chain &&
	      !strcmp(at.chain, "PUBLISH") && at.pos == 1 && at.bridge == 0);
	check(fw_set_comment(rule(&f, "FORWARD", "", "docker0", "DOCKER"),
			     "x") == 0);
	check(path_of(&f, 8, &at, NULL) == 1);
	/* 9: docker-fw's comment on a rule outside its chains (it writes
	 * only jumps there) is no reason to skip it */
	check(fw_set_comment(rule(&f, "FORWARD", "", "", "ACCEPT"),
			     FW_COMMENT " web 0123456789ab") == 0);
	check(path_of(&f, 9, &at, NULL) == 1);
	/* 10, 11: jumps into DOCKER-USER and docker-fw's chains: not
	 * followed (check reads them from their start) */
	rule(&f, "FORWARD", "", "", "DOCKER-USER");
	rule(&f, "DOCKER-USER", "", "", "ACCEPT");
	check(path_of(&f, 10, &at, NULL) == 0);
	rule(&f, "FORWARD", "", "", FW_CHAIN_FORWARD);
	rule(&f, FW_CHAIN_FORWARD, "", "", "ACCEPT");
	check(path_of(&f, 11, &at, NULL) == 0);
	/* 12-14: a queue lets on; `-m state` of replies only does not,
	 * negated it does */
	rule(&f, "FORWARD", "", "docker0", "NFQUEUE");
	check(path_of(&f, 12, &at, NULL) == 1);
	extra(rule(&f, "FORWARD", "", "", "ACCEPT"),
	      "-m state --state RELATED,ESTABLISHED");
	check(path_of(&f, 13, &at, NULL) == 0);
	extra(rule(&f, "FORWARD", "", "", "ACCEPT"), "-m state ! --state NEW");
	check(path_of(&f, 14, &at, NULL) == 1);
	/* 15, 16: chains followed CHECK_PATH_DEPTH down, not more: an
	 * ACCEPT past that is out of reach (deep said), in reach from
	 * closer */
	rule(&f, "FORWARD", "", "", "C1");
	for (i = 1; i <= CHECK_PATH_DEPTH + 1; i++) {
		snprintf(name, sizeof(name), "C%d", i);
		snprintf(next, sizeof(next), "C%d", i + 1);
		rule(&f, name, "", "", next);
	}
	snprintf(name, sizeof(name), "C%d", CHECK_PATH_DEPTH + 2);
	rule(&f, name, "", "", "ACCEPT");
	check(path_of(&f, 15, &at, &deep) == 0 && deep == 1);
	rule(&f, "FORWARD", "", "", "C3");
	check(path_of(&f, 16, &at, &deep) == 1 && at.chain &&
	      !strcmp(at.chain, name) && at.pos == 1 && deep == 0);
	/* 17: 12 levels of 40 jumps each into the next, a DROP at the
	 * bottom: each chain is followed once (40^12 walks otherwise) */
	rule(&f, "FORWARD", "", "", "L0");
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "L%d", i);
		snprintf(next, sizeof(next), "L%d", i + 1);
		for (k = 0; k < 40; k++)
			rule(&f, name, "", "", next);
	}
	rule(&f, "L12", "", "", "DROP");
	check(path_of(&f, 17, &at, &deep) == 0 && deep == 0);
	fw_chains_free(f.chains, f.nchains);
}

UNIT_TESTS(T(test_kv_value) T(test_kv_record) T(test_path_into))
