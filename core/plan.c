/*
 * plan.c - the planner: a snapshot and the wanted rules -> the ordered
 * changes. Pure: it edits the snapshot it is given and records changes.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/plan.h"

void plan_reset(struct plan *p)
{
	p->n = 0;
	p->work = 0;
}

void plan_free(struct plan *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

int plan_is_tail(const struct fw_rule *r)
{
	return !strcmp(fw_comment(r), PLAN_INIT_COMMENT);
}

/* The comments of docker-fw's own rules, interned before a plan starts:
 * after that, fw_intern finds them and cannot fail. 0, or -1 with e. */
static int consts(struct err *e)
{
	if (!fw_intern(FW_COMMENT, strlen(FW_COMMENT)) ||
	    !fw_intern(PLAN_INIT_COMMENT, strlen(PLAN_INIT_COMMENT)))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

static const char *init_comment(void)
{
	return fw_intern(PLAN_INIT_COMMENT, strlen(PLAN_INIT_COMMENT));
}

/* ---- edits of the snapshot, recorded as changes ----------------------- */

static int record(struct plan *p, const struct fw_change *c, struct err *e)
{
	void *v;

	if (p->n == p->cap) {
		size_t ncap = p->cap ? 2 * p->cap : 32;

		v = realloc(p->v, ncap * sizeof(*c));
		if (!v)
			return err_set(e, EXIT_RUNTIME, "out of memory");
		p->v = v;
		p->cap = ncap;
	}
	p->v[p->n++] = *c;
	return 0;
}

static int new_chain(struct plan *p, struct fw *f, const char *name,
		     struct err *e)
{
	struct fw_change c = { .op = FW_NEW_CHAIN };

	if (fw_chain(f, name))
		return 0;
	if (!fw_chain_add(f, name, NULL))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	snprintf(c.chain, sizeof(c.chain), "%s", name);
	return record(p, &c, e);
}

static int insert(struct plan *p, struct fw_chain *ch, size_t pos,
		  const struct fw_rule *r, struct err *e)
{
	struct fw_change c = { .op = FW_INSERT };
	void *v = realloc(ch->rules, (ch->n + 1) * sizeof(*r));

	if (!v)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	ch->rules = v;
	ch->cap = ch->n + 1;
	memmove(&ch->rules[pos + 1], &ch->rules[pos],
		(ch->n - pos) * sizeof(*r));
	ch->rules[pos] = *r;
	ch->n++;
	snprintf(c.chain, sizeof(c.chain), "%s", ch->name);
	c.pos = pos + 1;
	c.rule = *r;
	return record(p, &c, e);
}

static int delete (struct plan *p, struct fw_chain *ch, size_t pos,
		   struct err *e)
{
	struct fw_change c = { .op = FW_DELETE };

	snprintf(c.chain, sizeof(c.chain), "%s", ch->name);
	c.pos = pos + 1;
	c.rule = ch->rules[pos];
	memmove(&ch->rules[pos], &ch->rules[pos + 1],
		(ch->n - pos - 1) * sizeof(ch->rules[0]));
	ch->n--;
	return record(p, &c, e);
}

static int equal(struct plan *p, const struct fw_rule *a,
		 const struct fw_rule *b)
{
	p->work++;
	return fw_rule_equal(a, b);
}

/* The first copy of r in ch from from on, or ch->n. */
static size_t find_rule(struct plan *p, const struct fw_chain *ch, size_t from,
			const struct fw_rule *r)
{
	size_t i;

	for (i = from; i < ch->n; i++)
		if (equal(p, &ch->rules[i], r))
			return i;
	return ch->n;
}

/* Exactly one copy of r in ch: inserted at pos when missing, extra
 * copies (a hand-made duplicate) deleted. */
static int once(struct plan *p, struct fw_chain *ch, const struct fw_rule *r,
		size_t pos, struct err *e)
{
	size_t i = find_rule(p, ch, 0, r), j;

	if (i == ch->n)
		return insert(p, ch, pos, r, e);
	for (j = ch->n; j-- > i + 1;)
		if (equal(p, &ch->rules[j], r) && delete (p, ch, j, e))
			return -1;
	return 0;
}

static void jump_rule(struct fw_rule *r, int family, const char *target)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->comment = fw_intern(FW_COMMENT, strlen(FW_COMMENT)); /* consts() */
	snprintf(r->target, sizeof(r->target), "%s", target);
}

/* ---- docker-fw's chains, jumps and the conntrack rule ------------------ */

/* Scratch chains of fw_nft_canon that a killed run left: named after a
 * process that is gone (a live one is in the middle of its probe, and
 * deletes its chain itself). */
static int probe_leftovers(struct plan *p, struct fw *f, plan_alive_fn alive,
			   void *arg, struct err *e)
{
	struct fw_change c = { .op = FW_DEL_CHAIN };
	size_t i, len = strlen(FW_PROBE_CHAIN);
	uint64_t pid;

	for (i = 0; i < f->nchains; i++) {
		const char *name = f->chains[i].name;

		if (strncmp(name, FW_PROBE_CHAIN, len) ||
		    (name[len] && name[len] != '-'))
			continue;
		if (name[len] &&
		    (parse_uint(name + len + 1, 1, INT32_MAX, &pid) || !alive ||
		     alive((long)pid, arg)))
			continue; /* its process runs, or no PID: not
					 * one of ours */
		snprintf(c.chain, sizeof(c.chain), "%s", name);
		if (record(p, &c, e))
			return -1;
	}
	return 0;
}

/* The jump to DFW-FORWARD: from DOCKER-USER, Docker's hook; in an ip6
 * table without it (Docker 20.10 makes none, or no ip6 rules at all)
 * from FORWARD, first: dockerd puts its own jumps at the top when it
 * restarts, so the jump is moved back up. */
static int forward_jump(struct plan *p, struct fw *f, struct err *e)
{
	struct fw_chain *user = fw_chain(f, "DOCKER-USER");
	struct fw_chain *fwd = fw_chain(f, "FORWARD");
	struct fw_rule r;
	size_t i;

	jump_rule(&r, f->family, FW_CHAIN_FORWARD);
	if (user || f->family != AF_INET6) {
		if (!user)
			return err_set(e, EXIT_RUNTIME,
				       "no chain DOCKER-USER "
				       "in the filter table");
		/* one an earlier run put into FORWARD goes */
		for (i = fwd ? fwd->n : 0; i-- > 0;)
			if (equal(p, &fwd->rules[i], &r) &&
			    delete (p, fwd, i, e))
				return -1;
		return once(p, user, &r, 0, e);
	}
	if (!fwd)
		return err_set(e, EXIT_RUNTIME,
			       "no chain FORWARD in the "
			       "IPv6 filter table");
	i = find_rule(p, fwd, 0, &r);
	if (i && i < fwd->n && delete (p, fwd, i, e))
		return -1;
	return once(p, fwd, &r, 0, e);
}

int plan_base(struct plan *p, struct fw *f, plan_alive_fn alive, void *arg,
	      struct err *e)
{
	struct fw_chain *ch;
	struct fw_rule r;

	if (consts(e) || new_chain(p, f, FW_CHAIN_FORWARD, e) ||
	    new_chain(p, f, FW_CHAIN_INPUT, e) || forward_jump(p, f, e))
		return -1;
	ch = fw_chain(f, "INPUT");
	if (!ch)
		return err_set(e, EXIT_RUNTIME,
			       "no chain INPUT in the "
			       "filter table");
	jump_rule(&r, f->family, FW_CHAIN_INPUT);
	if (once(p, ch, &r, 0, e))
		return -1;
	ch = fw_chain(f, FW_CHAIN_FORWARD);
	jump_rule(&r, f->family, "RETURN");
	r.ctstate = FW_CT_RELATED | FW_CT_ESTABLISHED;
	if (once(p, ch, &r, 0, e))
		return -1;
	return probe_leftovers(p, f, alive, arg, e);
}

/* ---- the wanted rules -------------------------------------------------- */

void plan_wants_free(struct plan_wants *ws)
{
	free(ws->v);
	free(ws->bucket);
	memset(ws, 0, sizeof(*ws));
}

int plan_wants_add(struct plan_wants *ws, const struct resolve_out *o,
		   size_t item, size_t spec)
{
	struct plan_want *w;

	if (ws->n == ws->cap) {
		size_t ncap = ws->cap ? 2 * ws->cap : 64;
		void *v = realloc(ws->v, ncap * sizeof(*ws->v));

		if (!v)
			return -1;
		ws->v = v;
		ws->cap = ncap;
	}
	w = &ws->v[ws->n++];
	memset(w, 0, sizeof(*w));
	w->family = o->family;
	w->chain = o->chain;
	w->item = item;
	w->spec = spec;
	w->rule = o->rule;
	return 0;
}

static uint32_t want_hash(int family, int chain, const struct fw_rule *r)
{
	return fw_rule_hash(r) ^ (uint32_t)chain ^ (uint32_t)family << 8;
}

/* Index of the first not-yet-had want equal to r in chain, or -1. */
static long wants_find(struct plan *p, struct plan_wants *ws, int family,
		       int chain, const struct fw_rule *r)
{
	uint32_t h = want_hash(family, chain, r);
	size_t i;

	for (i = ws->bucket[h & ws->mask]; i; i = ws->v[i - 1].next) {
		struct plan_want *w = &ws->v[i - 1];

		if (w->hash == h && !w->have && !w->dup && w->chain == chain &&
		    w->family == family && equal(p, &w->rule, r))
			return (long)(i - 1);
	}
	return -1;
}

/* Builds the hash index of family's wants; a rule two specs give is
 * wanted once. */
static int wants_index(struct plan *p, struct plan_wants *ws, int family)
{
	size_t i, size = 64;

	while (size < 2 * ws->n)
		size *= 2;
	free(ws->bucket);
	ws->bucket = calloc(size, sizeof(*ws->bucket));
	if (!ws->bucket)
		return -1;
	ws->mask = size - 1;
	for (i = 0; i < ws->n; i++) {
		struct plan_want *w = &ws->v[i];

		w->have = 0;
		w->dup = 1;
		if (w->family != family || w->skip)
			continue;
		w->hash = want_hash(w->family, w->chain, &w->rule);
		w->dup = wants_find(p, ws, w->family, w->chain, &w->rule) >= 0;
		if (w->dup)
			continue;
		w->next = ws->bucket[w->hash & ws->mask];
		ws->bucket[w->hash & ws->mask] = i + 1;
	}
	return 0;
}

/* ---- the selected owners -------------------------------------------- */

struct owners {
	const struct resolve_owner *v;
	size_t n;
	int keep; /* one of them is kept */
};

/* 1 when the owner of rule r (id12, its comment) is a selected one -
 * by its ID, or by its name (rules belong to names: a container's
 * predecessor of that name), 2 when it is one kept as it is (only
 * looked for with keep: rarely any); 0 when none. A scan: the owners a
 * selective run names are few, and a full one (cleanup) asks only with
 * keep. */
static int selected(const struct owners *o, const struct fw_rule *r,
		    const char *id12, int keep)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if ((!keep || o->v[i].keep) &&
		    (!strncmp(o->v[i].id, id12, 12) ||
		     (o->v[i].name &&
		      resolve_comment_names(fw_comment(r), o->v[i].name))))
			return 1 + o->v[i].keep;
	return 0;
}

/* ---- our rules in our chains ------------------------------------------- */

/* Missing wants in chain order: by comment (owner), then as stored. */
static int by_key(const void *a, const void *b)
{
	const struct plan_want *x = *(const struct plan_want *const *)a;
	const struct plan_want *y = *(const struct plan_want *const *)b;
	int c = x->rule.comment == y->rule.comment ?
			0 :
			strcmp(fw_comment(&x->rule), fw_comment(&y->rule));

	return c ? c : x < y ? -1 : x > y;
}

/* One chain's missing rules, merged into it by chain_rules: the k-th
 * of them is ch->rules[at[k] + k], inserted at at[k] + k + 1. */
struct merged {
	struct fw_chain *ch;
	size_t *at;
	size_t n;
};

/*
 * One chain: delete our rules that are not wanted (bottom up, so each
 * position is the one the kernel sees; their changes go to dels), then
 * merge the missing ones in: a container's rules go before the first
 * rule of a later container (by comment) or init's tail, after its own
 * rules already there. Their insertions are recorded later
 * (record_merged), from the chain: the wanted rules may go first.
 */
static int chain_rules(struct plan *p, struct plan *dels, struct fw_chain *ch,
		       int family, int chain, const struct owners *o,
		       struct plan_wants *ws, int cleanup, struct merged *m,
		       struct err *e)
{
	struct fw_change c = { .op = FW_DELETE };
	struct plan_want **miss = NULL;
	size_t *at = NULL, i, j, k, nmiss = 0;
	long w;
	int rc = -1;

	m->ch = ch;
	snprintf(c.chain, sizeof(c.chain), "%s", ch->name);
	for (j = ch->n, k = 0; j-- > 0;) {
		const char *id12 = resolve_rule_owner(&ch->rules[j], o->v,
						      o->n);

		if (!id12 || (o->keep && selected(o, &ch->rules[j], id12, 1)) ||
		    (!cleanup && !selected(o, &ch->rules[j], id12, 0)))
			continue;
		w = wants_find(p, ws, family, chain, &ch->rules[j]);
		if (w >= 0) {
			ws->v[w].have = 1;
			continue;
		}
		c.pos = j + 1;
		c.rule = ch->rules[j];
		if (record(dels, &c, e))
			return -1;
		ch->rules[j].foreign = -1; /* mark: deleted */
		k++;
	}
	for (i = j = 0; k && i < ch->n; i++)
		if (ch->rules[i].foreign != -1)
			ch->rules[j++] = ch->rules[i];
	ch->n -= k;

	miss = malloc((ws->n + 1) * sizeof(*miss));
	if (!miss)
		goto nomem;
	for (i = 0; i < ws->n; i++)
		if (!ws->v[i].have && !ws->v[i].dup &&
		    ws->v[i].family == family && ws->v[i].chain == chain)
			miss[nmiss++] = &ws->v[i];
	if (!nmiss) {
		free(miss);
		return 0;
	}
	qsort(miss, nmiss, sizeof(*miss), by_key);
	/* where each goes: before rule at[k] of the chain as it is (#18:
	 * merged in place afterwards, not into a second copy of a chain
	 * of 10,000s of rules) */
	at = malloc(nmiss * sizeof(*at));
	if (!at)
		goto nomem;
	for (i = k = 0; k < nmiss; k++) {
		const char *key = fw_comment(&miss[k]->rule);

		while (i < ch->n && !plan_is_tail(&ch->rules[i]) &&
		       !(resolve_rule_owner(&ch->rules[i], o->v, o->n) &&
			 strcmp(fw_comment(&ch->rules[i]), key) > 0))
			i++;
		at[k] = i;
	}
	if (ch->n + nmiss > ch->cap) {
		struct fw_rule *v = realloc(ch->rules,
					    (ch->n + nmiss) * sizeof(*v));

		if (!v)
			goto nomem;
		ch->rules = v;
		ch->cap = ch->n + nmiss;
	}
	/* from the bottom: rules [at[k], end) move down by k + 1 */
	for (j = ch->n, k = nmiss; k-- > 0;) {
		memmove(&ch->rules[at[k] + k + 1], &ch->rules[at[k]],
			(j - at[k]) * sizeof(*ch->rules));
		ch->rules[at[k] + k] = miss[k]->rule;
		miss[k]->have = 1;
		j = at[k];
	}
	ch->n += nmiss;
	m->at = at;
	m->n = nmiss;
	at = NULL;
	rc = 0;
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	free(at);
	free(miss);
	return rc;
}

/* The insertions of m, in order: the k-th at at[k] + k + 1 (k inserted
 * above it). 0, or -1 with e set. */
static int record_merged(struct plan *p, const struct merged *m, struct err *e)
{
	struct fw_change c = { .op = FW_INSERT };
	size_t k;
	void *v;

	if (p->cap < p->n + m->n) {
		v = realloc(p->v, (p->n + m->n) * sizeof(*p->v));
		if (!v)
			return err_set(e, EXIT_RUNTIME, "out of memory");
		p->v = v;
		p->cap = p->n + m->n;
	}
	snprintf(c.chain, sizeof(c.chain), "%s", m->ch->name);
	for (k = 0; k < m->n; k++) {
		c.pos = m->at[k] + k + 1;
		c.rule = m->ch->rules[m->at[k] + k];
		p->v[p->n++] = c;
	}
	return 0;
}

int plan_rules(struct plan *p, struct fw *f, struct plan_wants *ws,
	       const struct resolve_owner *owners, size_t n, int cleanup,
	       struct err *e)
{
	struct owners o = { owners, n, 0 };
	struct merged m[RESOLVE_NCHAINS];
	/* the deletions of chains after the first, kept apart until the
	 * insertions of the chains before are recorded */
	struct plan dels[RESOLVE_NCHAINS];
	struct fw_chain *ch;
	size_t i;
	int k, rc = -1;

	memset(m, 0, sizeof(m));
	memset(dels, 0, sizeof(dels));
	if (wants_index(p, ws, f->family)) {
		err_set(e, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		o.keep |= owners[i].keep;
	for (k = 0; k < RESOLVE_NCHAINS; k++) {
		ch = fw_chain(f, resolve_chains[k]);
		if (!ch) {
			err_set(e, EXIT_RUNTIME,
				"no chain %s in the "
				"filter table",
				resolve_chains[k]);
			goto out;
		}
		if (chain_rules(p, k ? &dels[k] : p, ch, f->family, k, &o, ws,
				cleanup, &m[k], e))
			goto out;
	}
	/* #18: the chains hold every missing rule now; the wanted rules
	 * go before the insertions copy them (else each rule is held
	 * three times at the plan's end: wanted, chain and change) */
	if (ws->last)
		plan_wants_free(ws);
	for (k = 0; k < RESOLVE_NCHAINS; k++) {
		for (i = 0; k && i < dels[k].n; i++)
			if (record(p, &dels[k].v[i], e))
				goto out;
		if (record_merged(p, &m[k], e))
			goto out;
	}
	rc = 0;
out:
	if (ws->last)
		plan_wants_free(ws);
	for (k = 0; k < RESOLVE_NCHAINS; k++) {
		free(m[k].at);
		plan_free(&dels[k]);
	}
	return rc;
}

/* ---- init --------------------------------------------------------------- */

/* init's tail rule of bridge br in f: `-i B -o B -j DROP`; in an ip6
 * table it lets untracked packets pass (neighbour discovery between
 * containers is bridged too), and where Docker writes no ip6 rules
 * (owned: no DOCKER chain, nothing of Docker's accepts after us) it is
 * `-o B`: nothing new into the bridge, the FORWARD policy left alone. */
static void tail_rule(struct fw_rule *r, int family, const char *br, int owned)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	if (!owned)
		snprintf(r->in, sizeof(r->in), "%s", br);
	snprintf(r->out, sizeof(r->out), "%s", br);
	r->comment = init_comment(); /* consts() */
	snprintf(r->target, sizeof(r->target), "DROP");
	if (family == AF_INET6) {
		r->ctstate = FW_CT_UNTRACKED;
		r->inv |= FW_INV_CT;
	}
}

int plan_setup(struct plan *p, struct fw *f, const char *const *bridges,
	       size_t n, int all, struct err *e)
{
	static const char *const holders[] = { "FORWARD", "DOCKER-BRIDGE" };
	const int owned = f->family == AF_INET6 && !fw_chain(f, "DOCKER");
	struct fw_change pc = { .op = FW_POLICY };
	struct fw_chain *ch;
	struct fw_rule r;
	size_t i, j, k;

	if (consts(e))
		return -1;
	ch = fw_chain(f, "FORWARD");
	/* an ip6 table with no bridge to close, or none of Docker's rules,
	 * keeps its policy: IPv6 routing Docker does not do is not ours,
	 * and the replies our conntrack rule returns need it */
	if (ch && strcmp(ch->policy, "DROP") && !owned &&
	    (n || f->family != AF_INET6)) {
		snprintf(pc.chain, sizeof(pc.chain), "FORWARD");
		snprintf(pc.policy, sizeof(pc.policy), "DROP");
		snprintf(ch->policy, sizeof(ch->policy), "DROP");
		if (record(p, &pc, e))
			return -1;
	}
	ch = fw_chain(f, FW_CHAIN_FORWARD);
	if (!ch)
		return err_set(e, EXIT_RUNTIME,
			       "no chain %s in the filter "
			       "table",
			       FW_CHAIN_FORWARD);
	/* init's DROP for a bridge that is gone (a compose network removed
	 * and made again gets a new bridge name), or of another form */
	for (j = ch->n; all && j-- > 0;) {
		if (!plan_is_tail(&ch->rules[j]))
			continue;
		for (i = 0; i < n; i++) {
			tail_rule(&r, f->family, bridges[i], owned);
			if (equal(p, &r, &ch->rules[j]))
				break;
		}
		if (i == n && delete (p, ch, j, e))
			return -1;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < 2; k++) {
			ch = fw_chain(f, holders[k]);
			if (!ch)
				continue;
			memset(&r, 0, sizeof(r));
			r.family = f->family;
			snprintf(r.out, sizeof(r.out), "%s", bridges[i]);
			snprintf(r.target, sizeof(r.target), "DOCKER");
			j = 0;
			while ((j = find_rule(p, ch, j, &r)) < ch->n)
				if (delete (p, ch, j, e))
					return -1;
		}
		ch = fw_chain(f, FW_CHAIN_FORWARD);
		tail_rule(&r, f->family, bridges[i], owned);
		if (once(p, ch, &r, ch->n, e))
			return -1;
	}
	return 0;
}

/* Exactly one copy of r in ch, and first: a copy lower down (a firewall
 * script inserted rules above it) is moved back to the top. */
static int first(struct plan *p, struct fw_chain *ch, const struct fw_rule *r,
		 struct err *e)
{
	size_t i = find_rule(p, ch, 0, r), j;

	if (i && i < ch->n)
		for (j = ch->n; j-- > 0;)
			if (equal(p, &ch->rules[j], r) && delete (p, ch, j, e))
				return -1;
	return once(p, ch, r, 0, e);
}

int plan_jumps(struct plan *p, struct fw *f, struct err *e)
{
	struct fw_chain *fwd = fw_chain(f, "FORWARD");
	struct fw_chain *user = fw_chain(f, "DOCKER-USER");
	struct fw_chain *in = fw_chain(f, "INPUT");
	struct fw_rule r;

	if (consts(e))
		return -1;
	if (!in)
		return err_set(e, EXIT_RUNTIME,
			       "no chain INPUT in the filter table");
	if (user && fwd) {
		/* Docker's own jump, as Docker writes it (no comment):
		 * a dockerd that restarts deletes and re-inserts it by
		 * that text, so no second copy is left behind */
		jump_rule(&r, f->family, "DOCKER-USER");
		r.comment = NULL;
		if (first(p, fwd, &r, e))
			return -1;
		jump_rule(&r, f->family, FW_CHAIN_FORWARD);
		if (first(p, user, &r, e))
			return -1;
	}
	jump_rule(&r, f->family, FW_CHAIN_INPUT);
	return first(p, in, &r, e);
}

/* init's DROP of container -> host traffic from bridge br: `-i B -m
 * conntrack ! --ctstate RELATED,ESTABLISHED -j DROP` (replies to the
 * host's own connections pass); in ip6 UNTRACKED passes too: neighbour
 * discovery with the host is untracked. */
static void host_rule(struct fw_rule *r, int family, const char *br)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	snprintf(r->in, sizeof(r->in), "%s", br);
	r->ctstate = FW_CT_RELATED | FW_CT_ESTABLISHED;
	if (family == AF_INET6)
		r->ctstate |= FW_CT_UNTRACKED;
	r->inv = FW_INV_CT;
	r->comment = init_comment(); /* consts() */
	snprintf(r->target, sizeof(r->target), "DROP");
}

/* Whether r, one of init's rules in DFW-INPUT, is a guard (`! -i lo`),
 * not a container -> host DROP. */
static int is_guard(const struct fw_rule *r)
{
	return (r->inv & FW_INV_IN) && !strcmp(r->in, "lo");
}

/* A rule of init's for item i of items (bridge names, or ports). */
typedef void input_rule_fn(struct fw_rule *r, int family, const void *items,
			   size_t i);

/* One kind of init's rules in DFW-INPUT (guards, or container -> host
 * DROPs: is_guard says which) made to be the n rules make() gives for
 * items: with all, those of the kind no item gives are deleted first;
 * each one missing is appended. 0, or -1 with e set. */
static int input_set(struct plan *p, struct fw *f, int guards,
		     input_rule_fn *make, const void *items, size_t n, int all,
		     struct err *e)
{
	struct fw_chain *ch = fw_chain(f, FW_CHAIN_INPUT);
	struct fw_rule r;
	size_t i, j;

	if (consts(e))
		return -1;
	if (!ch)
		return err_set(e, EXIT_RUNTIME,
			       "no chain %s in the filter "
			       "table",
			       FW_CHAIN_INPUT);
	for (j = ch->n; all && j-- > 0;) {
		if (!plan_is_tail(&ch->rules[j]) ||
		    is_guard(&ch->rules[j]) != guards)
			continue;
		for (i = 0; i < n; i++) {
			make(&r, f->family, items, i);
			if (equal(p, &r, &ch->rules[j]))
				break;
		}
		if (i == n && delete (p, ch, j, e))
			return -1;
	}
	for (i = 0; i < n; i++) {
		make(&r, f->family, items, i);
		if (once(p, ch, &r, ch->n, e))
			return -1;
	}
	return 0;
}

static void host_item(struct fw_rule *r, int family, const void *items,
		      size_t i)
{
	host_rule(r, family, ((const char *const *)items)[i]);
}

int plan_host(struct plan *p, struct fw *f, const char *const *bridges,
	      size_t n, int all, struct err *e)
{
	return input_set(p, f, 0, host_item, bridges, n, all, e);
}

static void guard_rule(struct fw_rule *r, int family,
		       const struct plan_port *pp)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	snprintf(r->in, sizeof(r->in), "lo");
	r->inv = FW_INV_IN;
	r->proto = pp->proto;
	r->dport = pp->port;
	r->ctstate = FW_CT_NEW;
	r->comment = init_comment(); /* consts() */
	snprintf(r->target, sizeof(r->target), "DROP");
}

static void guard_item(struct fw_rule *r, int family, const void *items,
		       size_t i)
{
	guard_rule(r, family, &((const struct plan_port *)items)[i]);
}

int plan_guards(struct plan *p, struct fw *f, const struct plan_port *ports,
		size_t n, int all, struct err *e)
{
	return input_set(p, f, 1, guard_item, ports, n, all, e);
}
