/*
 * test_plan.c - the planner on hand-built snapshots: where new rules go,
 * the positions of deletions, duplicates, foreign rules, init's tail, a
 * chain found elsewhere, selected owners against cleanup, 10,000 rules
 * with the work counted (not timed).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "dfw/plan.h"
#include "unit.h"

#define ID_A "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000001"
#define ID_B "bbbbbbbbbbbb0000000000000000000000000000000000000000000000000002"
#define ID_C "cccccccccccc0000000000000000000000000000000000000000000000000003"

/* A table as Docker leaves it, with docker-fw's chains and jumps and
 * the conntrack rule when ours is set. */
static void table(struct fw *f, int ours)
{
	struct fw_rule *r;

	memset(f, 0, sizeof(*f));
	f->family = AF_INET;
	f->lock_fd = -1;
	snprintf(f->table, sizeof(f->table), "filter");
	fw_chain_add(f, "INPUT", "ACCEPT");
	fw_chain_add(f, "FORWARD", "DROP");
	fw_chain_add(f, "OUTPUT", "ACCEPT");
	fw_chain_add(f, "DOCKER", NULL);
	fw_chain_add(f, "DOCKER-USER", NULL);
	if (!ours)
		return;
	fw_chain_add(f, FW_CHAIN_FORWARD, NULL);
	fw_chain_add(f, FW_CHAIN_INPUT, NULL);
	r = fw_chain_push(fw_chain(f, "DOCKER-USER"));
	r->family = AF_INET;
	check(fw_set_comment(r, FW_COMMENT) == 0);
	snprintf(r->target, sizeof(r->target), FW_CHAIN_FORWARD);
	r = fw_chain_push(fw_chain(f, "INPUT"));
	r->family = AF_INET;
	check(fw_set_comment(r, FW_COMMENT) == 0);
	snprintf(r->target, sizeof(r->target), FW_CHAIN_INPUT);
	r = fw_chain_push(fw_chain(f, FW_CHAIN_FORWARD));
	r->family = AF_INET;
	r->ctstate = FW_CT_RELATED | FW_CT_ESTABLISHED;
	check(fw_set_comment(r, FW_COMMENT) == 0);
	snprintf(r->target, sizeof(r->target), "RETURN");
}

static void table_free(struct fw *f)
{
	fw_chains_free(f->chains, f->nchains);
	memset(f, 0, sizeof(*f));
}

/* A container's rule: 10.0.0.1 -> 172.17.0.2 port, owner (name, id). */
static struct fw_rule crule(const char *name, const char *id, int port)
{
	struct fw_rule r;
	struct in_addr a;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", &a);
	fw_set_ip4(r.src, r.smsk, a.s_addr, 32);
	inet_pton(AF_INET, "172.17.0.2", &a);
	fw_set_ip4(r.dst, r.dmsk, a.s_addr, 32);
	r.proto = IPPROTO_TCP;
	r.dport = (uint16_t)port;
	{
		char cm[256];

		snprintf(cm, sizeof(cm), FW_COMMENT " %s %.12s", name, id);
		check(fw_set_comment(&r, cm) == 0);
	}
	snprintf(r.target, sizeof(r.target), "ACCEPT");
	return r;
}

/* init's tail DROP of bridge br. */
static struct fw_rule tail(const char *br)
{
	struct fw_rule r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	snprintf(r.in, sizeof(r.in), "%s", br);
	snprintf(r.out, sizeof(r.out), "%s", br);
	check(fw_set_comment(&r, PLAN_INIT_COMMENT) == 0);
	snprintf(r.target, sizeof(r.target), "DROP");
	return r;
}

static void push(struct fw *f, const char *chain, struct fw_rule r)
{
	struct fw_rule *p = fw_chain_push(fw_chain(f, chain));

	check(p != NULL);
	*p = r;
}

static void want(struct plan_wants *ws, size_t item, struct fw_rule r)
{
	struct resolve_out o;

	memset(&o, 0, sizeof(o));
	o.family = AF_INET;
	o.chain = RESOLVE_FORWARD;
	o.rule = r;
	check(plan_wants_add(ws, &o, item, ws->n) == 0);
}

/* The dport of the rule at 1-based pos of chain, or -1. */
static int port_at(struct fw *f, const char *chain, size_t pos)
{
	struct fw_chain *ch = fw_chain(f, chain);

	if (!ch || !pos || pos > ch->n)
		return -1;
	return ch->rules[pos - 1].dport;
}

static const struct resolve_owner owners3[] = {
	{ ID_A, "a", 0 },
	{ ID_B, "b", 0 },
	{ ID_C, "c", 0 },
};

/* Nothing to do on a table that has it all: no change. */
static void test_steady(void)
{
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;

	table(&f, 1);
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80));
	push(&f, FW_CHAIN_FORWARD, tail("docker0"));
	want(&ws, 0, crule("a", ID_A, 80));
	check(plan_base(&p, &f, NULL, NULL, &e) == 0);
	check(plan_rules(&p, &f, &ws, owners3, 1, 0, &e) == 0);
	check(p.n == 0);
	plan_free(&p);
	plan_wants_free(&ws);
	table_free(&f);
}

/* An empty table gets the chains, the jumps first, the conntrack rule;
 * a probe chain of a dead process goes, a live one's stays. */
static int alive_odd(long pid, void *arg)
{
	(*(int *)arg)++;
	return pid % 2;
}

static void test_base(void)
{
	struct fw f;
	struct plan p = { 0 };
	struct err e;
	struct fw_rule *r;
	int calls = 0;

	table(&f, 0);
	r = fw_chain_push(fw_chain(&f, "DOCKER-USER"));
	r->family = AF_INET;
	snprintf(r->target, sizeof(r->target), "RETURN");
	fw_chain_add(&f, FW_PROBE_CHAIN "-41", NULL);
	fw_chain_add(&f, FW_PROBE_CHAIN "-42", NULL);
	fw_chain_add(&f, FW_PROBE_CHAIN "X-42", NULL); /* not ours */
	check(plan_base(&p, &f, alive_odd, &calls, &e) == 0);
	check(calls == 2);
	check(p.n == 6);
	check(p.n == 6 && p.v[0].op == FW_NEW_CHAIN &&
	      !strcmp(p.v[0].chain, FW_CHAIN_FORWARD));
	check(p.n == 6 && p.v[1].op == FW_NEW_CHAIN &&
	      !strcmp(p.v[1].chain, FW_CHAIN_INPUT));
	/* the jump goes first, before Docker's RETURN */
	check(p.n == 6 && p.v[2].op == FW_INSERT && p.v[2].pos == 1 &&
	      !strcmp(p.v[2].chain, "DOCKER-USER") &&
	      !strcmp(p.v[2].rule.target, FW_CHAIN_FORWARD));
	check(p.n == 6 && p.v[3].op == FW_INSERT &&
	      !strcmp(p.v[3].chain, "INPUT"));
	check(p.n == 6 && p.v[4].op == FW_INSERT && p.v[4].pos == 1 &&
	      !strcmp(p.v[4].rule.target, "RETURN") &&
	      p.v[4].rule.ctstate == (FW_CT_RELATED | FW_CT_ESTABLISHED));
	check(p.n == 6 && p.v[5].op == FW_DEL_CHAIN &&
	      !strcmp(p.v[5].chain, FW_PROBE_CHAIN "-42"));
	/* the snapshot was edited along */
	check(fw_chain(&f, "DOCKER-USER")->n == 2);
	check(!strcmp(fw_chain(&f, "DOCKER-USER")->rules[0].target,
		      FW_CHAIN_FORWARD));
	plan_free(&p);
	table_free(&f);
}

/* New rules go grouped by comment: after their owner's own rules,
 * before a later owner's and before init's tail. */
static void test_insert_order(void)
{
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;
	struct fw_chain *ch;

	table(&f, 1);
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80));
	push(&f, FW_CHAIN_FORWARD, crule("c", ID_C, 90));
	push(&f, FW_CHAIN_FORWARD, tail("docker0"));
	/* RETURN(1) a:80(2) c:90(3) DROP(4) */
	want(&ws, 0, crule("a", ID_A, 80));
	want(&ws, 2, crule("c", ID_C, 90));
	want(&ws, 1, crule("b", ID_B, 85));
	want(&ws, 0, crule("a", ID_A, 81));
	want(&ws, 2, crule("c", ID_C, 91));
	check(plan_rules(&p, &f, &ws, owners3, 3, 0, &e) == 0);
	check(p.n == 3);
	/* a:81 after a:80 */
	check(p.n == 3 && p.v[0].op == FW_INSERT && p.v[0].pos == 3 &&
	      p.v[0].rule.dport == 81);
	/* b:85 after a's, before c's */
	check(p.n == 3 && p.v[1].op == FW_INSERT && p.v[1].pos == 4 &&
	      p.v[1].rule.dport == 85);
	/* c:91 after c:90, before the tail */
	check(p.n == 3 && p.v[2].op == FW_INSERT && p.v[2].pos == 6 &&
	      p.v[2].rule.dport == 91);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch->n == 7);
	check(port_at(&f, FW_CHAIN_FORWARD, 2) == 80);
	check(port_at(&f, FW_CHAIN_FORWARD, 3) == 81);
	check(port_at(&f, FW_CHAIN_FORWARD, 4) == 85);
	check(port_at(&f, FW_CHAIN_FORWARD, 5) == 90);
	check(port_at(&f, FW_CHAIN_FORWARD, 6) == 91);
	check(ch->n == 7 && plan_is_tail(&ch->rules[6]));
	plan_free(&p);
	plan_wants_free(&ws);
	table_free(&f);
}

/* Unwanted rules go bottom up: each position is the kernel's after the
 * deletions before it; a foreign rule between them stays. */
static void test_delete_bottom_up(void)
{
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;
	struct fw_rule foreign = crule("x", ID_B, 5);

	foreign.foreign = 1;
	table(&f, 1);
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80)); /* 2 */
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 81)); /* 3 */
	push(&f, FW_CHAIN_FORWARD, foreign);		  /* 4 */
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 82)); /* 5 */
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 83)); /* 6 */
	want(&ws, 0, crule("a", ID_A, 81));
	check(plan_rules(&p, &f, &ws, owners3, 1, 0, &e) == 0);
	check(p.n == 3);
	check(p.n == 3 && p.v[0].op == FW_DELETE && p.v[0].pos == 6 &&
	      p.v[0].rule.dport == 83);
	check(p.n == 3 && p.v[1].op == FW_DELETE && p.v[1].pos == 5 &&
	      p.v[1].rule.dport == 82);
	check(p.n == 3 && p.v[2].op == FW_DELETE && p.v[2].pos == 2 &&
	      p.v[2].rule.dport == 80);
	check(fw_chain(&f, FW_CHAIN_FORWARD)->n == 3);
	check(port_at(&f, FW_CHAIN_FORWARD, 2) == 81);
	check(fw_chain(&f, FW_CHAIN_FORWARD)->rules[2].foreign == 1);
	plan_free(&p);
	plan_wants_free(&ws);
	table_free(&f);
}

/* A rule two specs give goes in once; a copy made by hand goes (the
 * upper one: the lower is the one found first, bottom up). */
static void test_duplicates(void)
{
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;

	table(&f, 1);
	want(&ws, 0, crule("a", ID_A, 80));
	want(&ws, 0, crule("a", ID_A, 80));
	check(plan_rules(&p, &f, &ws, owners3, 1, 0, &e) == 0);
	check(p.n == 1 && p.v[0].op == FW_INSERT && p.v[0].pos == 2);
	plan_free(&p);
	plan_wants_free(&ws);
	table_free(&f);

	table(&f, 1);
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80)); /* 2 */
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 81)); /* 3 */
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80)); /* 4 */
	want(&ws, 0, crule("a", ID_A, 80));
	want(&ws, 0, crule("a", ID_A, 81));
	check(plan_rules(&p, &f, &ws, owners3, 1, 0, &e) == 0);
	check(p.n == 1 && p.v[0].op == FW_DELETE && p.v[0].pos == 2 &&
	      p.v[0].rule.dport == 80);
	check(fw_chain(&f, FW_CHAIN_FORWARD)->n == 3);
	plan_free(&p);
	plan_wants_free(&ws);

	/* the same copy in init's base rules: one goes */
	plan_reset(&p);
	{
		struct fw_rule j = fw_chain(&f, "DOCKER-USER")->rules[0];

		push(&f, "DOCKER-USER", j);
	}
	check(plan_base(&p, &f, NULL, NULL, &e) == 0);
	check(p.n == 1 && p.v[0].op == FW_DELETE && p.v[0].pos == 2 &&
	      !strcmp(p.v[0].chain, "DOCKER-USER"));
	plan_free(&p);
	table_free(&f);
}

/* Rules that are not ours stay where they are, with cleanup too: a
 * foreign one, one with another comment, one of ours with no owner. */
static void test_foreign_kept(void)
{
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;
	struct fw_rule foreign = crule("a", ID_A, 1),
		       other = crule("a", ID_A, 2);

	foreign.foreign = 1;
	check(fw_set_comment(&other, "somebody else's") == 0);
	table(&f, 1);
	push(&f, FW_CHAIN_FORWARD, foreign);
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80));
	push(&f, FW_CHAIN_FORWARD, other);
	want(&ws, 1, crule("b", ID_B, 85));
	check(plan_rules(&p, &f, &ws, owners3, 3, 1, &e) == 0);
	/* a's rule goes (cleanup, not wanted), b's goes in after the
	 * other rule (rules that are no container's do not stop it) */
	check(p.n == 2);
	check(p.n == 2 && p.v[0].op == FW_DELETE && p.v[0].pos == 3);
	check(p.n == 2 && p.v[1].op == FW_INSERT && p.v[1].pos == 4 &&
	      p.v[1].rule.dport == 85);
	check(port_at(&f, FW_CHAIN_FORWARD, 2) == 1);
	check(port_at(&f, FW_CHAIN_FORWARD, 3) == 2);
	plan_free(&p);
	plan_wants_free(&ws);
	table_free(&f);
}

/* init: its DROPs stay last, one per bridge; one of a gone bridge goes
 * when init covers every bridge; Docker's catch-all goes; the policy. */
static void test_tail(void)
{
	static const char *const br[] = { "br-1", "docker0" };
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;
	struct fw_rule cat;
	struct fw_chain *ch;

	table(&f, 1);
	snprintf(fw_chain(&f, "FORWARD")->policy, 32, "ACCEPT");
	memset(&cat, 0, sizeof(cat));
	cat.family = AF_INET;
	snprintf(cat.out, sizeof(cat.out), "docker0");
	snprintf(cat.target, sizeof(cat.target), "DOCKER");
	push(&f, "FORWARD", cat);
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80));
	push(&f, FW_CHAIN_FORWARD, tail("docker0"));
	push(&f, FW_CHAIN_FORWARD, tail("br-gone"));
	check(plan_setup(&p, &f, br, 2, 1, &e) == 0);
	check(p.n == 4);
	check(p.n == 4 && p.v[0].op == FW_POLICY &&
	      !strcmp(p.v[0].policy, "DROP"));
	check(p.n == 4 && p.v[1].op == FW_DELETE && p.v[1].pos == 4 &&
	      !strcmp(p.v[1].rule.in, "br-gone"));
	check(p.n == 4 && p.v[2].op == FW_INSERT && p.v[2].pos == 4 &&
	      !strcmp(p.v[2].rule.in, "br-1"));
	check(p.n == 4 && p.v[3].op == FW_DELETE &&
	      !strcmp(p.v[3].chain, "FORWARD") && p.v[3].pos == 1);
	/* then a new rule goes before the tail */
	plan_reset(&p);
	want(&ws, 1, crule("b", ID_B, 85));
	want(&ws, 0, crule("a", ID_A, 80));
	check(plan_rules(&p, &f, &ws, owners3, 3, 0, &e) == 0);
	check(p.n == 1 && p.v[0].op == FW_INSERT && p.v[0].pos == 3);
	ch = fw_chain(&f, FW_CHAIN_FORWARD);
	check(ch->n == 5 && plan_is_tail(&ch->rules[3]) &&
	      plan_is_tail(&ch->rules[4]));
	plan_free(&p);
	plan_wants_free(&ws);
	table_free(&f);
}

/* Our chains found wherever the snapshot lists them, and our rules in
 * them wherever they stand (another tool inserted above them). */
static void test_moved_chain(void)
{
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;
	struct fw_rule hand = crule("x", ID_B, 7);
	struct fw_chain tmp;

	table(&f, 1);
	/* DFW-FORWARD first in the list, DOCKER-USER's jump second */
	tmp = f.chains[5];
	f.chains[5] = f.chains[0];
	f.chains[0] = tmp;
	check(fw_set_comment(&hand, "hand") == 0);
	push(&f, "DOCKER-USER", hand);
	{
		struct fw_chain *du = fw_chain(&f, "DOCKER-USER");
		struct fw_rule j = du->rules[0];

		du->rules[0] = du->rules[1];
		du->rules[1] = j;
	}
	push(&f, FW_CHAIN_FORWARD, hand);
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80));
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 81));
	want(&ws, 0, crule("a", ID_A, 81));
	want(&ws, 0, crule("a", ID_A, 80));
	check(!strcmp(f.chains[0].name, FW_CHAIN_FORWARD));
	check(plan_base(&p, &f, NULL, NULL, &e) == 0);
	check(plan_rules(&p, &f, &ws, owners3, 1, 0, &e) == 0);
	check(p.n == 0);
	/* one goes: found at its position, 4 */
	plan_reset(&p);
	plan_wants_free(&ws);
	want(&ws, 0, crule("a", ID_A, 80));
	check(plan_rules(&p, &f, &ws, owners3, 1, 0, &e) == 0);
	check(p.n == 1 && p.v[0].op == FW_DELETE && p.v[0].pos == 4 &&
	      !strcmp(p.v[0].chain, FW_CHAIN_FORWARD));
	plan_free(&p);
	plan_wants_free(&ws);
	table_free(&f);
}

/* Without cleanup only the selected owners' rules go; with it every
 * container's not wanted, but a kept owner's. */
static void test_cleanup_vs_selected(void)
{
	static const struct resolve_owner keep_b[] = { { ID_B, "b", 1 } };
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;
	int pass;

	for (pass = 0; pass < 3; pass++) {
		table(&f, 1);
		push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80)); /* 2 */
		push(&f, FW_CHAIN_FORWARD, crule("b", ID_B, 85)); /* 3 */
		push(&f, FW_CHAIN_FORWARD, crule("c", ID_C, 90)); /* 4 */
		plan_reset(&p);
		if (pass == 0) { /* replay a: only a's go */
			check(plan_rules(&p, &f, &ws, owners3, 1, 0, &e) == 0);
			check(p.n == 1 && p.v[0].pos == 2);
		} else if (pass == 1) { /* full replay: all go */
			check(plan_rules(&p, &f, &ws, owners3, 0, 1, &e) == 0);
			check(p.n == 3 && p.v[0].pos == 4 && p.v[1].pos == 3 &&
			      p.v[2].pos == 2);
		} else { /* full, b's file unreadable: kept */
			check(plan_rules(&p, &f, &ws, keep_b, 1, 1, &e) == 0);
			check(p.n == 2 && p.v[0].pos == 4 && p.v[1].pos == 2);
			check(port_at(&f, FW_CHAIN_FORWARD, 2) == 85);
		}
		table_free(&f);
	}
	plan_free(&p);
	plan_wants_free(&ws);
}

/* Rules belong to names (#16): selecting "a" of a new ID takes the
 * rules of an earlier container named "a" (another ID) out when not
 * wanted, and keeps them when wanted again; "ab" and "b" are not a's. */
static void test_selected_by_name(void)
{
	static const struct resolve_owner new_a[] = { { ID_C, "a", 0 } };
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;
	struct fw_rule r = crule("a", ID_A, 80);

	check(resolve_comment_names(fw_comment(&r), "a"));
	check(!resolve_comment_names(fw_comment(&r), "ab"));
	check(!resolve_comment_names(fw_comment(&r), ""));
	r = crule("ab", ID_A, 80);
	check(!resolve_comment_names(fw_comment(&r), "a"));

	table(&f, 1);
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80));  /* 2 */
	push(&f, FW_CHAIN_FORWARD, crule("ab", ID_B, 85)); /* 3 */
	push(&f, FW_CHAIN_FORWARD, crule("b", ID_B, 90));  /* 4 */
	check(plan_rules(&p, &f, &ws, new_a, 1, 0, &e) == 0);
	check(p.n == 1 && p.v[0].op == FW_DELETE && p.v[0].pos == 2);
	table_free(&f);

	/* wanted again under the new ID: the old rule goes, the new one
	 * takes its place (after its own name's rules) */
	table(&f, 1);
	push(&f, FW_CHAIN_FORWARD, crule("a", ID_A, 80));
	push(&f, FW_CHAIN_FORWARD, crule("b", ID_B, 90));
	plan_reset(&p);
	want(&ws, 0, crule("a", ID_C, 80));
	check(plan_rules(&p, &f, &ws, new_a, 1, 0, &e) == 0);
	check(p.n == 2 && p.v[0].op == FW_DELETE && p.v[0].pos == 2 &&
	      p.v[1].op == FW_INSERT && p.v[1].pos == 2);
	check(port_at(&f, FW_CHAIN_FORWARD, 2) == 80);
	check(port_at(&f, FW_CHAIN_FORWARD, 3) == 90);
	table_free(&f);
	plan_free(&p);
	plan_wants_free(&ws);
}

/* A comment an old docker-fw cut at 255 bytes before the ID: the rule
 * of the owner whose name makes it; else no container's ("-"). */
static void test_cut_comment(void)
{
	struct resolve_owner o[1];
	struct fw_rule r = crule("a", ID_A, 80);
	char name[300], whole[400];

	memset(name, 'n', 250);
	name[250] = 0;
	o[0].id = ID_A;
	o[0].name = name;
	o[0].keep = 0;
	snprintf(whole, sizeof(whole), FW_COMMENT " %s %.12s", name, ID_A);
	whole[FW_COMMENT_MAX] = 0; /* cut, as it was */
	check(fw_set_comment(&r, whole) == 0);
	check_str(resolve_rule_owner(&r, o, 1), ID_A);
	name[0] = 'm';
	check_str(resolve_rule_owner(&r, o, 1), "-");
	check(resolve_rule_owner(&r, o, 0) != NULL);
	check(fw_set_comment(&r, "docker-fw init") == 0);
	check(resolve_rule_owner(&r, o, 1) == NULL);
}

/* n rules of 100 owners in the table, in order, all wanted again (and
 * one changed per owner): the work of planning them. */
static size_t big(size_t n, size_t *changes)
{
	struct resolve_owner *ow = calloc(100, sizeof(*ow));
	static char ids[100][65], names[100][16];
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;
	size_t i, work;

	check(ow != NULL);
	for (i = 0; i < 100; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%012zx%052d", 0xabc000 + i,
			 0);
		snprintf(names[i], sizeof(names[i]), "c%03zu", i);
		ow[i].id = ids[i];
		ow[i].name = names[i];
	}
	table(&f, 1);
	for (i = 0; i < n; i++) {
		size_t o = i * 100 / n;

		push(&f, FW_CHAIN_FORWARD, crule(names[o], ids[o], (int)i + 1));
		want(&ws, o,
		     crule(names[o], ids[o],
			   (int)i + 1 + (i % (n / 100) == 0 ? 30000 : 0)));
	}
	push(&f, FW_CHAIN_FORWARD, tail("docker0"));
	check(plan_rules(&p, &f, &ws, ow, 100, 1, &e) == 0);
	*changes = p.n;
	work = p.work;
	check(fw_chain(&f, FW_CHAIN_FORWARD)->n == n + 2);
	check(plan_is_tail(&fw_chain(&f, FW_CHAIN_FORWARD)->rules[n + 1]));
	for (i = 0; i < p.n; i++)
		check(p.v[i].op == (i < 100 ? FW_DELETE : FW_INSERT));
	plan_free(&p);
	plan_wants_free(&ws);
	table_free(&f);
	free(ow);
	return work;
}

static void test_10000_linear(void)
{
	size_t c1, c2, w1 = big(1000, &c1), w2 = big(10000, &c2);

	check(c1 == 200 && c2 == 200);
	/* one comparison per rule found, about: 10 times the rules, about
	 * 10 times the work (a quadratic planner: 100 times) */
	check(w2 >= 10000 - 100);
	check(w2 <= 2 * 10000);
	check(w2 <= 12 * w1);
	if (w2 > 12 * w1)
		fprintf(stderr, "  work %zu for 1,000 rules, %zu for 10,000\n",
			w1, w2);
}

/* #18: the planner on 100,000 rules (no kernel): comparisons counted,
 * not time. 10 times the rules of the 10,000 case, 10 times the work
 * (within 5%), and the same 200 changes. */
static void test_100000_linear(void)
{
	size_t c2, c3, w2 = big(10000, &c2), w3 = big(100000, &c3);

	check(c2 == 200 && c3 == 200);
	check(w3 >= 100000 - 100);
	check(w3 <= 2 * 100000);
	check(20 * w3 <= 21 * 10 * w2);
	printf("# planner work: %zu comparisons for 10,000 rules, %zu for "
	       "100,000\n",
	       w2, w3);
}

/* An ip6 table as Docker 20.10 leaves it: no DOCKER-USER (with
 * --ip6tables), or nothing of Docker's (without): docker-fw's jump goes
 * first into FORWARD, and back up there when Docker's jumps went above
 * it; one an earlier run put there goes once DOCKER-USER exists. */
static void test_ip6_forward_jump(void)
{
	struct fw f;
	struct plan p = { 0 };
	struct err e;
	struct fw_rule j;
	struct fw_chain *fwd;

	memset(&f, 0, sizeof(f));
	f.family = AF_INET6;
	f.lock_fd = -1;
	fw_chain_add(&f, "INPUT", "ACCEPT");
	fw_chain_add(&f, "FORWARD", "ACCEPT");
	fw_chain_add(&f, "OUTPUT", "ACCEPT");
	check(plan_base(&p, &f, NULL, NULL, &e) == 0);
	fwd = fw_chain(&f, "FORWARD");
	check(fwd->n == 1);
	check_str(fwd->rules[0].target, FW_CHAIN_FORWARD);
	check(fwd->rules[0].family == AF_INET6);
	check(fw_chain(&f, FW_CHAIN_FORWARD)->n == 1); /* conntrack */
	/* dockerd restarted: its jump above ours; ours moves up */
	memset(&j, 0, sizeof(j));
	j.family = AF_INET6;
	snprintf(j.target, sizeof(j.target), "DOCKER-ISOLATION-STAGE-1");
	fw_chain_add(&f, "DOCKER-ISOLATION-STAGE-1", NULL);
	fwd = fw_chain(&f, "FORWARD");
	check(fw_chain_push(fwd) != NULL);
	memmove(&fwd->rules[1], &fwd->rules[0], sizeof(j));
	fwd->rules[0] = j;
	plan_reset(&p);
	check(plan_base(&p, &f, NULL, NULL, &e) == 0);
	check(p.n == 2 && p.v[0].op == FW_DELETE && p.v[0].pos == 2 &&
	      p.v[1].op == FW_INSERT && p.v[1].pos == 1);
	fwd = fw_chain(&f, "FORWARD");
	check_str(fwd->rules[0].target, FW_CHAIN_FORWARD);
	check_str(fwd->rules[1].target, "DOCKER-ISOLATION-STAGE-1");
	/* steady */
	plan_reset(&p);
	check(plan_base(&p, &f, NULL, NULL, &e) == 0);
	check(p.n == 0);
	/* Docker now has DOCKER-USER (--ip6tables): the jump goes there */
	fw_chain_add(&f, "DOCKER-USER", NULL);
	plan_reset(&p);
	check(plan_base(&p, &f, NULL, NULL, &e) == 0);
	check(p.n == 2 && p.v[0].op == FW_DELETE &&
	      !strcmp(p.v[0].chain, "FORWARD") && p.v[1].op == FW_INSERT &&
	      !strcmp(p.v[1].chain, "DOCKER-USER"));
	/* the ip4 table still needs DOCKER-USER */
	plan_free(&p);
	table_free(&f);
	memset(&f, 0, sizeof(f));
	f.family = AF_INET;
	fw_chain_add(&f, "INPUT", "ACCEPT");
	fw_chain_add(&f, "FORWARD", "ACCEPT");
	check(plan_base(&p, &f, NULL, NULL, &e) == -1);
	check(strstr(e.msg, "DOCKER-USER") != NULL);
	plan_free(&p);
	table_free(&f);
}

/* init in an ip6 table: the tails let untracked packets (neighbour
 * discovery) pass, the policy is set only when a bridge has IPv6, the
 * proxy's guards end DFW-INPUT once, stale ones go with all. */
static void test_ip6_setup_guards(void)
{
	static const char *const br[] = { "br-x" };
	const struct plan_port ports[] = {
		{ IPPROTO_TCP, 8081 },
		{ IPPROTO_UDP, 5353 },
	};
	struct fw f;
	struct plan p = { 0 };
	struct err e;
	struct fw_chain *in, *fwd;
	struct buf b = { 0 };

	memset(&f, 0, sizeof(f));
	f.family = AF_INET6;
	f.lock_fd = -1;
	fw_chain_add(&f, "INPUT", "ACCEPT");
	fw_chain_add(&f, "FORWARD", "ACCEPT");
	fw_chain_add(&f, "DOCKER", NULL); /* Docker writes ip6 rules */
	check(plan_base(&p, &f, NULL, NULL, &e) == 0);
	check(plan_setup(&p, &f, br, 0, 1, &e) == 0);
	check_str(fw_chain(&f, "FORWARD")->policy, "ACCEPT");
	check(plan_setup(&p, &f, br, 1, 1, &e) == 0);
	check_str(fw_chain(&f, "FORWARD")->policy, "DROP");
	fwd = fw_chain(&f, FW_CHAIN_FORWARD);
	check(fwd->n == 2);
	fw_rule_format(&fwd->rules[1], &b);
	check_str(b.data,
		  "-i br-x -o br-x -m conntrack ! --ctstate "
		  "UNTRACKED -m comment --comment \"docker-fw init\" -j DROP");
	check(plan_guards(&p, &f, ports, 2, 1, &e) == 0);
	in = fw_chain(&f, FW_CHAIN_INPUT);
	check(in->n == 2);
	b.len = 0;
	fw_rule_format(&in->rules[0], &b);
	check_str(b.data,
		  "! -i lo -p tcp -m tcp --dport 8081 -m conntrack "
		  "--ctstate NEW -m comment --comment \"docker-fw init\" -j "
		  "DROP");
	check(plan_is_tail(&in->rules[1]) && in->rules[1].dport == 5353);
	plan_reset(&p);
	check(plan_guards(&p, &f, ports, 2, 1, &e) == 0);
	check(p.n == 0);
	/* the udp port is gone: its guard goes with all, not without */
	check(plan_guards(&p, &f, ports, 1, 0, &e) == 0);
	check(p.n == 0);
	check(plan_guards(&p, &f, ports, 1, 1, &e) == 0);
	check(p.n == 1 && p.v[0].op == FW_DELETE && p.v[0].pos == 2);
	plan_free(&p);
	table_free(&f);
	/* no Docker chain in ip6 (20.10 without --ip6tables): `-o B`, the
	 * policy kept (the replies our conntrack rule returns need it) */
	memset(&f, 0, sizeof(f));
	f.family = AF_INET6;
	f.lock_fd = -1;
	fw_chain_add(&f, "INPUT", "ACCEPT");
	fw_chain_add(&f, "FORWARD", "ACCEPT");
	check(plan_base(&p, &f, NULL, NULL, &e) == 0);
	check(plan_setup(&p, &f, br, 1, 1, &e) == 0);
	check_str(fw_chain(&f, "FORWARD")->policy, "ACCEPT");
	fwd = fw_chain(&f, FW_CHAIN_FORWARD);
	b.len = 0;
	fw_rule_format(&fwd->rules[1], &b);
	check_str(b.data, "-o br-x -m conntrack ! --ctstate UNTRACKED -m "
			  "comment --comment \"docker-fw init\" -j DROP");
	/* Docker writes ip6 rules now: the tail takes the other form */
	fw_chain_add(&f, "DOCKER", NULL);
	plan_reset(&p);
	check(plan_setup(&p, &f, br, 1, 1, &e) == 0);
	check(p.n == 3 && p.v[0].op == FW_POLICY && p.v[1].op == FW_DELETE &&
	      p.v[2].op == FW_INSERT && !strcmp(p.v[2].rule.in, "br-x"));
	buf_free(&b);
	plan_free(&p);
	table_free(&f);
}

/* init's jumps: Docker's FORWARD -j DOCKER-USER put back when missing
 * and moved to the top when below another rule; ours first in
 * DOCKER-USER and INPUT; a table that has them all: no change. */
static void test_jumps_first(void)
{
	struct fw f;
	struct plan p = { 0 };
	struct err e;
	struct fw_rule r, *q;
	struct fw_chain *fwd, *in;

	table(&f, 1);
	check(plan_jumps(&p, &f, &e) == 0);
	fwd = fw_chain(&f, "FORWARD");
	check(p.n == 1 && p.v[0].op == FW_INSERT && p.v[0].pos == 1 &&
	      !strcmp(p.v[0].chain, "FORWARD") &&
	      !strcmp(p.v[0].rule.target, "DOCKER-USER") &&
	      !p.v[0].rule.comment);
	check(fwd->n == 1);
	plan_reset(&p);
	check(plan_jumps(&p, &f, &e) == 0);
	check(p.n == 0);
	/* a firewall script's rules above both jumps */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	snprintf(r.in, sizeof(r.in), "eth9");
	snprintf(r.target, sizeof(r.target), "ACCEPT");
	in = fw_chain(&f, "INPUT");
	q = fw_chain_push(fwd);
	*q = fwd->rules[0];
	fwd->rules[0] = r;
	q = fw_chain_push(in);
	*q = in->rules[0];
	in->rules[0] = r;
	check(plan_jumps(&p, &f, &e) == 0);
	check(p.n == 4 && p.v[0].op == FW_DELETE && p.v[0].pos == 2 &&
	      p.v[1].op == FW_INSERT && p.v[1].pos == 1 &&
	      !strcmp(p.v[1].chain, "FORWARD") && p.v[2].op == FW_DELETE &&
	      !strcmp(p.v[2].chain, "INPUT") && p.v[3].op == FW_INSERT &&
	      p.v[3].pos == 1);
	check(!strcmp(fwd->rules[0].target, "DOCKER-USER") &&
	      !strcmp(fwd->rules[1].in, "eth9") && fwd->n == 2);
	check(!strcmp(in->rules[0].target, FW_CHAIN_INPUT) && in->n == 2);
	plan_free(&p);
	table_free(&f);
}

/* Container -> host: a DROP per bridge at the end of DFW-INPUT, after
 * the guards; its form per family; with all, those of other bridges go
 * (and every one when none is asked: the host open), guards stay. */
static void test_host_drop(void)
{
	static const char *const br[] = { "docker0", "br-1" };
	const struct plan_port port = { IPPROTO_TCP, 8080 };
	struct fw f;
	struct plan p = { 0 };
	struct err e;
	struct fw_chain *in;
	struct buf b = { 0 };

	table(&f, 1);
	f.family = AF_INET6;
	check(plan_guards(&p, &f, &port, 1, 1, &e) == 0);
	check(plan_host(&p, &f, br, 2, 1, &e) == 0);
	in = fw_chain(&f, FW_CHAIN_INPUT);
	check(in->n == 3 && in->rules[0].dport == 8080);
	fw_rule_format(&in->rules[1], &b);
	check_str(b.data, "-i docker0 -m conntrack ! --ctstate "
			  "RELATED,ESTABLISHED,UNTRACKED -m comment "
			  "--comment \"docker-fw init\" -j DROP");
	plan_reset(&p);
	check(plan_host(&p, &f, br, 2, 1, &e) == 0);
	check(p.n == 0);
	/* br-1 removed: its DROP goes with all, not without */
	check(plan_host(&p, &f, br, 1, 0, &e) == 0);
	check(p.n == 0);
	check(plan_host(&p, &f, br, 1, 1, &e) == 0);
	check(p.n == 1 && p.v[0].op == FW_DELETE && p.v[0].pos == 3);
	/* the guards' all leaves the DROPs alone */
	plan_reset(&p);
	check(plan_guards(&p, &f, &port, 0, 1, &e) == 0);
	check(p.n == 1 && p.v[0].op == FW_DELETE && p.v[0].pos == 1);
	/* the host open: every DROP goes */
	plan_reset(&p);
	check(plan_host(&p, &f, br, 0, 1, &e) == 0);
	check(p.n == 1 && in->n == 0);
	table_free(&f);
	/* IPv4: replies pass, nothing about UNTRACKED */
	table(&f, 1);
	plan_reset(&p);
	check(plan_host(&p, &f, br, 1, 1, &e) == 0);
	b.len = 0;
	fw_rule_format(&fw_chain(&f, FW_CHAIN_INPUT)->rules[0], &b);
	check_str(b.data, "-i docker0 -m conntrack ! --ctstate "
			  "RELATED,ESTABLISHED -m comment --comment "
			  "\"docker-fw init\" -j DROP");
	buf_free(&b);
	plan_free(&p);
	table_free(&f);
}

/* Both chains with a deletion and insertions, planned for wants of
 * chain (RESOLVE_*) each: ws->last lets the wants go (#18: before the
 * insertions are recorded) and changes neither the changes nor their
 * order (each chain's deletions, then its insertions, chain by chain). */
static void two_chains(struct fw *f, struct plan_wants *ws)
{
	static const int chain[] = { RESOLVE_FORWARD, RESOLVE_FORWARD,
				     RESOLVE_INPUT };
	static const char *const name[] = { "a", "b", "a" };
	static const char *const id[] = { ID_A, ID_B, ID_A };
	static const int port[] = { 81, 85, 71 };
	struct resolve_out o;
	size_t i;

	table(f, 1);
	push(f, FW_CHAIN_FORWARD, crule("a", ID_A, 80));
	push(f, FW_CHAIN_FORWARD, tail("docker0"));
	push(f, FW_CHAIN_INPUT, crule("a", ID_A, 70));
	for (i = 0; i < 3; i++) {
		memset(&o, 0, sizeof(o));
		o.family = AF_INET;
		o.chain = chain[i];
		o.rule = crule(name[i], id[i], port[i]);
		check(plan_wants_add(ws, &o, name[i][0] - 'a', i) == 0);
	}
}

static void test_last_lets_go(void)
{
	static const struct {
		enum fw_op op;
		const char *chain;
		unsigned pos;
		int port;
	} want_v[] = {
		{ FW_DELETE, FW_CHAIN_FORWARD, 2, 80 },
		{ FW_INSERT, FW_CHAIN_FORWARD, 2, 81 },
		{ FW_INSERT, FW_CHAIN_FORWARD, 3, 85 },
		{ FW_DELETE, FW_CHAIN_INPUT, 1, 70 },
		{ FW_INSERT, FW_CHAIN_INPUT, 1, 71 },
	};
	struct fw f;
	struct plan p = { 0 };
	struct plan_wants ws = { 0 };
	struct err e;
	size_t i;
	int last;

	for (last = 0; last < 2; last++) {
		two_chains(&f, &ws);
		ws.last = last;
		check(plan_rules(&p, &f, &ws, owners3, 2, 0, &e) == 0);
		check(p.n == 5);
		for (i = 0; i < 5 && p.n == 5; i++) {
			check(p.v[i].op == want_v[i].op);
			check_str(p.v[i].chain, want_v[i].chain);
			check(p.v[i].pos == want_v[i].pos);
			check(p.v[i].rule.dport == want_v[i].port);
		}
		/* the wants gone with last only */
		check(last ? !ws.v && !ws.n && !ws.bucket : ws.n == 3);
		check(port_at(&f, FW_CHAIN_FORWARD, 2) == 81);
		check(port_at(&f, FW_CHAIN_FORWARD, 3) == 85);
		check(port_at(&f, FW_CHAIN_INPUT, 1) == 71);
		check(fw_chain(&f, FW_CHAIN_FORWARD)->n == 4);
		plan_free(&p);
		plan_wants_free(&ws);
		table_free(&f);
	}
}

/* clang-format off */
UNIT_TESTS(T(test_jumps_first) T(test_host_drop) T(test_steady) T(test_base)
	   T(test_insert_order) T(test_delete_bottom_up) T(test_duplicates)
	   T(test_foreign_kept) T(test_tail) T(test_moved_chain)
	   T(test_cleanup_vs_selected) T(test_selected_by_name)
	   T(test_cut_comment) T(test_10000_linear) T(test_100000_linear)
	   T(test_ip6_forward_jump) T(test_ip6_setup_guards)
	   T(test_last_lets_go))
/* clang-format on */
