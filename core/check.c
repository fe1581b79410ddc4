/*
 * check.c - does the whitelist hold (see check.h): the changes a dry
 * run of init and of a full replay would make, and what the plan does
 * not see. Reads only.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/check.h"
#include "dfw/plan.h"
#include "dfw/settings.h"

void check_report_free(struct check_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].chain);
		free(r->v[i].container);
		free(r->v[i].what);
		free(r->v[i].change);
		free(r->v[i].fix);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* A printf format's text, escaped to one printable line (values from
 * Docker or the table may hold anything); NULL when out of memory. */
static char *line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *line(const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;
	char *out;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(&b, (size_t)n + 1))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(b.data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	out = malloc((size_t)n * 4 + 8);
	if (out)
		str_escape_n(out, (size_t)n * 4 + 8, b.data, (size_t)n, 0);
	buf_free(&b);
	return out;
}

/* Appends a finding; the strings are printf'd by the caller into what
 * (taken over, freed on error). 0, or -1 with e set (ENOMEM). */
static int add(struct check_report *r, const char *kind, int note, int family,
	       const char *chain, const char *container, char *what,
	       const char *change, const char *fix, struct err *e)
{
	struct check_finding *f;
	void *p;

	if (!what)
		goto nomem;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;

		p = realloc(r->v, cap * sizeof(*r->v));
		if (!p)
			goto nomem;
		r->v = p;
		r->cap = cap;
	}
	f = &r->v[r->n];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->note = note;
	f->family = family;
	f->what = what;
	f->chain = line("%s", chain ? chain : "");
	f->container = line("%s", container ? container : "");
	f->change = line("%s", change ? change : "");
	f->fix = line("%s", fix ? fix : "");
	r->n++;
	if (!f->chain || !f->container || !f->change || !f->fix)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	r->nfail += !note;
	return 0;
nomem:
	free(what);
	return err_set(e, EXIT_RUNTIME, "out of memory");
}

/* ---- the plan's changes ------------------------------------------------ */

static int jump_target(const char *t)
{
	return !strcmp(t, FW_CHAIN_FORWARD) || !strcmp(t, FW_CHAIN_INPUT) ||
	       !strcmp(t, "DOCKER-USER") || !strcmp(t, "DOCKER-FORWARD");
}

/* The container name of an owner comment "docker-fw NAME ID12" into
 * out, or 0 when c is not one. */
static int owner_name(const char *c, char *out, size_t size)
{
	const char *sp;

	if (strncmp(c, FW_COMMENT " ", sizeof(FW_COMMENT)) ||
	    !strcmp(c, PLAN_INIT_COMMENT) ||
	    !strncmp(c, PLAN_INIT_COMMENT " ", sizeof(PLAN_INIT_COMMENT)))
		return 0;
	c += sizeof(FW_COMMENT);
	sp = strrchr(c, ' ');
	if (!sp || sp == c)
		return 0;
	snprintf(out, size, "%.*s", (int)(sp - c), c);
	return 1;
}

/* One change of a plan as a finding, fix the action that makes it. */
static int change_finding(struct check_report *r, int family,
			  const struct fw_change *c, const char *fix,
			  struct err *e)
{
	const struct fw_rule *fr = &c->rule;
	const int ins = c->op == FW_INSERT || c->op == FW_APPEND;
	const char *kind = CHECK_TABLE;
	char name[256] = "";
	struct buf t = { 0 };
	char *what;
	int rc;

	if (fw_change_format(c, &t) && (t.len = 0, fw_rule_show(fr, &t)))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	if (c->op == FW_NEW_CHAIN) {
		kind = CHECK_CHAIN;
		what = line("docker-fw's chain %s is missing", c->chain);
	} else if (c->op == FW_DEL_CHAIN) {
		kind = CHECK_CHAIN;
		what = line("chain %s, a killed run's scratch chain, is left",
			    c->chain);
	} else if (c->op == FW_POLICY) {
		kind = CHECK_POLICY;
		what = line("the policy of %s is not %s", c->chain, c->policy);
	} else if (jump_target(fr->target)) {
		kind = CHECK_JUMP;
		what = ins ? line("%s does not jump to %s first: its rules "
				  "are not reached",
				  c->chain, fr->target) :
			     line("a jump from %s to %s that is out of place "
				  "or doubled",
				  c->chain, fr->target);
	} else if (!strcmp(fw_comment(fr), FW_COMMENT) &&
		   !strcmp(fr->target, "RETURN")) {
		kind = CHECK_INIT_RULE;
		what = ins ? line("%s does not let replies pass first (its "
				  "conntrack rule is missing)",
				  c->chain) :
			     line("docker-fw's conntrack rule in %s is out of "
				  "place or doubled",
				  c->chain);
	} else if (!ins && !strcmp(fr->target, "DOCKER") &&
		   strncmp(fw_comment(fr), FW_COMMENT, strlen(FW_COMMENT))) {
		kind = CHECK_CATCH_ALL;
		what = line("Docker's catch-all jump to DOCKER for bridge %s "
			    "is in %s: any address reaches the published "
			    "ports there",
			    *fr->out ? fr->out : "(any)", c->chain);
	} else if (!strncmp(fw_comment(fr), PLAN_INIT_COMMENT,
			    strlen(PLAN_INIT_COMMENT))) {
		kind = CHECK_INIT_RULE;
		what = ins ? line("init's rule is missing from %s", c->chain) :
			     line("init's rule in %s is not wanted now (a "
				  "network or port gone, or another form)",
				  c->chain);
	} else if (owner_name(fw_comment(fr), name, sizeof(name))) {
		kind = ins ? CHECK_RULE_MISSING : CHECK_RULE_STALE;
		what = ins ? line("a stored rule of %s is not in %s with "
				  "today's addresses",
				  name, c->chain) :
			     line("a rule of %s in %s is not wanted now (an "
				  "address of yesterday, or its container "
				  "stopped, gone or no longer stored)",
				  name, c->chain);
	} else {
		what = line("%s would change", c->chain);
	}
	rc = add(r, kind, 0, family, c->chain, name, what, t.data, fix, e);
	buf_free(&t);
	return rc;
}

/* Whether c is one of v[0..n) (the position aside). */
static int seen(const struct fw_change *v, size_t n, const struct fw_change *c)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].op != c->op || strcmp(v[i].chain, c->chain))
			continue;
		if (c->op == FW_POLICY ? !strcmp(v[i].policy, c->policy) :
		    c->op == FW_NEW_CHAIN || c->op == FW_DEL_CHAIN ?
					 1 :
					 fw_rule_equal(&v[i].rule, &c->rule))
			return 1;
	}
	return 0;
}

/* ---- what the plan does not see ------------------------------------------ */

/* Bridge netfilter of this network namespace for one family (key
 * "iptables" or "ip6tables"). */
static int bridge_nf(struct check_report *r, int family, const char *key,
		     struct err *e)
{
	char path[128], val[16] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/bridge/bridge-nf-call-%s",
		 key);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return add(r, CHECK_BRIDGE_NF, 0, family, "", "",
			   line("bridge netfilter is not loaded (no %s): "
				"traffic between containers on one bridge "
				"never reaches FORWARD",
				path),
			   "", "modprobe br_netfilter, then docker-fw init", e);
	if (fd < 0)
		return err_set(e, EXIT_RUNTIME, "%s: %s", path,
			       strerror(errno));
	n = read(fd, val, sizeof(val) - 1);
	close(fd);
	if (n < 0)
		return err_set(e, EXIT_RUNTIME, "%s: %s", path,
			       strerror(errno));
	val[n] = 0;
	if (val[0] == '1')
		return 0;
	return add(r, CHECK_BRIDGE_NF, 0, family, "", "",
		   line("net.bridge.bridge-nf-call-%s is %.1s: traffic "
			"between containers on one bridge never reaches "
			"FORWARD",
			key, val),
		   "",
		   family == AF_INET6 ?
			   "sysctl -w net.bridge.bridge-nf-call-ip6tables=1" :
			   "sysctl -w net.bridge.bridge-nf-call-iptables=1",
		   e);
}

/* What in the filter table of the other rule set is docker-fw's or
 * Docker's: its chains DFW-* and DOCKER*, rules with our comment. */
static void other_holds(struct fw *f, size_t *ours, size_t *dockers,
			char *first, size_t size)
{
	size_t i, j;

	*ours = *dockers = 0;
	*first = 0;
	for (i = 0; i < f->nchains; i++) {
		const struct fw_chain *ch = &f->chains[i];

		if (!strncmp(ch->name, "DFW-", 4))
			(*ours)++;
		else if (!strncmp(ch->name, "DOCKER", 6))
			(*dockers)++;
		else
			for (j = 0; j < ch->n; j++)
				if (!strncmp(fw_comment(&ch->rules[j]),
					     FW_COMMENT, strlen(FW_COMMENT)))
					(*ours)++;
		if ((!strncmp(ch->name, "DFW-", 4) ||
		     !strncmp(ch->name, "DOCKER", 6)) &&
		    !*first)
			snprintf(first, size, "%s", ch->name);
	}
}

/* The filter table of family in the rule set g does not use. */
static int other_set(struct engine *g, struct check_report *r, int family,
		     struct err *e)
{
	const int nft = g->be.ops == &fw_nft_ops;
	const struct fw_ops *ops = nft ? &fw_iptc_ops : &fw_nft_ops;
	const char *v6 = family == AF_INET6 ? "6" : "";
	const char *set = nft ? "legacy (x_tables)" : "nf_tables";
	size_t ours, dockers;
	char first[32], fix[400];
	struct fw f;
	struct err fe;

	/* reading a legacy table that is not there would make it */
	if (nft && !fw_iptc_has_table(family, "filter"))
		return 0;
	if (fw_open(&f, ops, &g->env, family, "filter", &fe))
		return add(r, CHECK_UNREAD, 1, family, "", "",
			   line("the %s ip%s filter table was not read, so "
				"not checked for rules of docker-fw or "
				"Docker: %s",
				set, v6, fe.msg),
			   "", "", e);
	other_holds(&f, &ours, &dockers, first, sizeof(first));
	fw_close(&f);
	if (!ours && !dockers)
		return 0;
	snprintf(fix, sizeof(fix),
		 "Docker uses the %s one: after checking nothing of yours is "
		 "there, empty it: ip%stables-%s -t filter -F; "
		 "ip%stables-%s -t filter -X",
		 nft ? "nf_tables" : "legacy", v6, nft ? "legacy" : "nft", v6,
		 nft ? "legacy" : "nft");
	return add(r, CHECK_OTHER_SET, 0, family, first, "",
		   line("the %s ip%s filter table holds %s%s%s (%s...): "
			"packets pass both rule sets, so what docker-fw opens "
			"may stay blocked there and what it closes open",
			set, v6, ours ? "docker-fw's chains or rules" : "",
			ours && dockers ? " and " : "",
			dockers ? "Docker's chains" : "", first),
		   "", fix, e);
}

/* Containers on the host's network stack. */
static int host_network(struct engine *g, struct check_report *r, struct err *e)
{
	const struct docker_container *c;
	struct view *v = &g->view;
	size_t i;

	if (view_list(v, e))
		return -1;
	for (i = 0; i < v->nlist; i++) {
		if (strcmp(v->list[i].state, "running") &&
		    strcmp(v->list[i].state, "paused"))
			continue;
		/* the list gives HostConfig.NetworkMode: no inspect */
		c = view_container(v, v->list[i].id, 0, e);
		if (!c)
			return -1;
		if (strcmp(c->network_mode, "host"))
			continue;
		if (add(r, CHECK_HOST_NET, 0, 0, "", c->name,
			line("%s runs on the host's network stack: its "
			     "traffic to containers leaves through OUTPUT, "
			     "which docker-fw does not filter, and reaches "
			     "every container's ports",
			     c->name),
			"",
			"run it on a bridge network (docker-fw rules then "
			"say what it may reach), or accept it as unfiltered",
			e))
			return -1;
	}
	return 0;
}

/* Running containers on a network whose traffic does not pass FORWARD:
 * docker-fw's rules do not reach them. And any the replay's warnings
 * named (g->unfiltered, which warnings() left for this) besides: said
 * once each. 0, or -1 with e set. */
static int unfiltered(struct engine *g, struct check_report *r, struct err *e)
{
	struct view *v = &g->view;
	const struct docker_network *nw;
	struct strv said = { 0 };
	struct buf b = { 0 };
	size_t i, j, k;
	int rc = -1;

	if (view_list(v, e) || view_networks(v, e))
		return -1;
	for (i = 0; i < v->nlist; i++) {
		const struct docker_summary *c = &v->list[i];

		if (strcmp(c->state, "running") && strcmp(c->state, "paused") &&
		    strcmp(c->state, "restarting"))
			continue;
		for (j = 0; j < c->nnets; j++) {
			for (nw = NULL, k = 0; !nw && k < v->nnets; k++)
				if (!strcmp(v->nets[k].name, c->nets[j].name))
					nw = &v->nets[k];
			if (!nw || engine_forwarded_driver(nw->driver))
				continue;
			b.len = 0;
			if (engine_unfiltered_text(&b, c->name, nw->name,
						   nw->driver) ||
			    strv_has(&said, b.data))
				continue;
			if (strv_add(&said, b.data, b.len) ||
			    add(r, CHECK_UNFILTERED, 0, 0, "", c->name,
				line("%s", b.data), "",
				"run it on a bridge network (docker-fw rules "
				"then say who may reach it), or firewall it "
				"where that network is",
				e))
				goto out;
		}
	}
	for (i = 0; i < g->unfiltered.n; i++)
		if (!strv_has(&said, g->unfiltered.v[i]) &&
		    add(r, CHECK_UNFILTERED, 0, 0, "", "",
			line("%s", g->unfiltered.v[i]), "",
			"run it on a bridge network, or firewall it where "
			"that network is",
			e))
			goto out;
	rc = 0;
out:
	buf_free(&b);
	strv_free(&said);
	return rc;
}

/* Whether an interface of a rule ("" any, "br+" a prefix) may be b. */
static int if_may_be(const char *i, const char *b)
{
	size_t n = strlen(i);

	if (!n)
		return 1;
	if (i[n - 1] == '+')
		return !strncmp(i, b, n - 1);
	return !strcmp(i, b);
}

/* Whether the words of extra (iptables-save's, of matches docker-fw
 * does not read: `-m state`, an older conntrack revision) hold a state
 * match of replies only: --state or --ctstate of RELATED and ESTABLISHED
 * alone, not negated. */
static int extra_replies(const char *extra)
{
	char *copy, *w, *save = NULL, *prev = NULL, *v, *vs = NULL;
	int rc = 0, want = 0;

	if (!extra || !(copy = strdup(extra)))
		return 0;
	for (w = strtok_r(copy, " ", &save); w && !rc;
	     prev = w, w = strtok_r(NULL, " ", &save)) {
		if (want) {
			rc = 1;
			for (v = strtok_r(w, ",", &vs); v;
			     v = strtok_r(NULL, ",", &vs))
				if (strcmp(v, "RELATED") &&
				    strcmp(v, "ESTABLISHED"))
					rc = 0;
			want = 0;
			continue;
		}
		want = (!strcmp(w, "--state") || !strcmp(w, "--ctstate")) &&
		       !(prev && !strcmp(prev, "!"));
	}
	free(copy);
	return rc;
}

/* Whether x lets only replies through: a conntrack match docker-fw
 * reads, or one of extra_replies. */
static int replies_only(const struct fw_rule *x)
{
	const unsigned replies = FW_CT_RELATED | FW_CT_ESTABLISHED;

	return (x->ctstate && !(x->inv & FW_INV_CT) &&
		!(x->ctstate & ~replies)) ||
	       extra_replies(x->extra);
}

/* The bridges of nets[0..n) that x may let new traffic into, whatever
 * its target, marked in to[0..n) (1): out (-o) to the bridge, not only
 * from a bridge (a container's own traffic out is Docker's) and not only
 * replies. The number marked. */
static size_t into(const struct fw_rule *x, const struct docker_network *nets,
		   size_t n, unsigned char *to)
{
	size_t i, k = 0;

	memset(to, 0, n);
	if (replies_only(x))
		return 0;
	for (i = 0; i < n; i++)
		if (*nets[i].bridge && *x->in && !(x->inv & FW_INV_IN) &&
		    if_may_be(x->in, nets[i].bridge))
			return 0; /* from a bridge: the container's */
	for (i = 0; i < n; i++) {
		const char *b = nets[i].bridge;

		if (*b &&
		    (x->inv & FW_INV_OUT ? *x->out && !if_may_be(x->out, b) :
					   if_may_be(x->out, b)))
			to[i] = 1, k++;
	}
	return k;
}

/* Whether target t lets a packet on past the rules (ACCEPT, or a queue
 * to a program that may: NFQUEUE, QUEUE, also with --queue-bypass and no
 * program). */
static int lets_on(const char *t)
{
	return !strcmp(t, "ACCEPT") || !strcmp(t, "NFQUEUE") ||
	       !strcmp(t, "QUEUE");
}

int check_paths_init(struct check_paths *p, struct fw *f,
		     const struct docker_network *nets, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->nets = nets;
	p->n = n;
	p->neg = calloc(f->nchains * n + 1, 1);
	p->busy = calloc(f->nchains + 1, 1);
	if (!p->neg || !p->busy) {
		check_paths_free(p);
		return -1;
	}
	return 0;
}

void check_paths_free(struct check_paths *p)
{
	free(p->neg);
	free(p->busy);
	memset(p, 0, sizeof(*p));
}

/*
 * path_into's work: x, a rule of chain holder, with the bridges in[]
 * (NULL: any) still reachable through the jumps that led to it, depth
 * chains left to follow. Each chain is followed once per bridge:
 * p->neg keeps, per chain and bridge, that no path was found there.
 */
static int path_from(struct check_paths *p, const char *holder,
		     const struct fw_rule *x, const unsigned char *in,
		     int depth, struct check_path_at *at)
{
	const size_t n = p->n;
	struct fw_chain *ch = NULL;
	unsigned char *to;
	size_t i, j, c = 0, left = 0;
	int rc = 0;

	if (!n)
		return 0;
	if (!lets_on(x->target) && strcmp(x->target, "DOCKER")) {
		/* a jump: not into Docker's chains paths() reads from their
		 * start, nor docker-fw's (its own check) */
		if (!*x->target || !strcmp(x->target, "DOCKER-USER") ||
		    !strcmp(x->target, "DOCKER-FORWARD") ||
		    !strncmp(x->target, "DFW-", 4))
			return 0;
		ch = fw_chain(p->f, x->target);
		if (!ch)
			return 0; /* DROP, RETURN, LOG, ... */
		c = (size_t)(ch - p->f->chains);
	}
	to = malloc(n);
	if (!to)
		return -1;
	if (!into(x, p->nets, n, to))
		goto out;
	for (i = 0; i < n; i++) {
		to[i] &= in ? in[i] : 1;
		if (ch && p->neg[c * n + i])
			to[i] = 0;
		left += to[i];
	}
	if (!left)
		goto out;
	for (i = 0; !ch && i < n; i++) {
		if (!to[i])
			continue;
		/* Docker's catch-all where Docker puts it, as it makes it:
		 * init's finding (it deletes that form there only) */
		if (!strcmp(x->target, "DOCKER") &&
		    (!strcmp(holder, "FORWARD") ||
		     !strcmp(holder, "DOCKER-BRIDGE")) &&
		    !strcmp(x->out, p->nets[i].bridge) && !*x->in && !x->inv &&
		    !x->proto && !x->ctstate && !x->extra && !x->comment &&
		    !x->foreign && !x->smsk[0] && !x->dmsk[0])
			continue;
		at->chain = NULL; /* x itself: its caller knows where */
		at->bridge = i;
		rc = 1;
		goto out;
	}
	if (!ch)
		goto out;
	if (depth <= 0) {
		p->deep = 1;
		goto out;
	}
	if (p->busy[c]) /* a loop, which the kernel refuses */
		goto out;
	p->busy[c] = 1;
	for (j = 0; j < ch->n && !rc; j++) {
		struct check_path_at sub = { NULL, 0, 0 };

		rc = path_from(p, ch->name, &ch->rules[j], to, depth - 1, &sub);
		if (rc > 0) {
			*at = sub;
			if (!sub.chain) {
				at->chain = ch->name;
				at->pos = j + 1;
			}
		}
	}
	p->busy[c] = 0;
	for (i = 0; !rc && i < n; i++)
		if (to[i])
			p->neg[c * n + i] = 1;
out:
	free(to);
	return rc;
}

int check_path_into(struct check_paths *p, const char *chain,
		    const struct fw_rule *x, struct check_path_at *at)
{
	at->chain = NULL;
	at->pos = 0;
	return path_from(p, chain, x, NULL, CHECK_PATH_DEPTH, at);
}

/* Whether x, a rule in one of docker-fw's own chains (f's), lets packets
 * past docker-fw's rules there without being one of them: an ACCEPT, a
 * RETURN (the packet goes on to Docker's rules, which let traffic within
 * a bridge and to published ports through), a queue (lets_on) or a jump
 * into another chain (not followed), not only for replies. docker-fw's
 * own are a container's rules as the planner knows them (a rule with
 * conditions it does not make, under a container's comment, is not one)
 * and its conntrack rule, exactly. A DROP, a REJECT, a LOG only stop or
 * look. */
static int passes(struct fw *f, const struct fw_rule *x)
{
	struct fw_rule ct;

	if (!x->foreign && !x->extra && resolve_rule_owner(x, NULL, 0))
		return 0;
	memset(&ct, 0, sizeof(ct));
	ct.family = x->family;
	ct.ctstate = FW_CT_RELATED | FW_CT_ESTABLISHED;
	snprintf(ct.target, sizeof(ct.target), "RETURN");
	if (fw_set_comment(&ct, FW_COMMENT) == 0 && fw_rule_equal(x, &ct))
		return 0;
	if (replies_only(x))
		return 0;
	return lets_on(x->target) || !strcmp(x->target, "RETURN") ||
	       (*x->target && fw_chain(f, x->target));
}

/* Paths around the whitelist in the table of family: in FORWARD after
 * its jump into DOCKER-USER (or DFW-FORWARD), in DOCKER-USER after its
 * jump into DFW-FORWARD, in Docker 28's DOCKER-FORWARD, each rule
 * check_path_into says lets new traffic into a bridge past docker-fw's
 * rules (there, or in a chain it jumps to); in docker-fw's own chains
 * (DFW-FORWARD, DFW-INPUT), each rule that passes() says lets packets
 * past them. 0, or -1 with e set (the table unreadable: EXIT_RUNTIME). */
static int paths(struct engine *g, struct check_report *r, int family,
		 struct err *e)
{
	static const struct {
		const char *chain, *after, *after2;
	} where[] = {
		{ "FORWARD", "DOCKER-USER", FW_CHAIN_FORWARD },
		{ "DOCKER-USER", FW_CHAIN_FORWARD, NULL },
		{ "DOCKER-FORWARD", NULL, NULL },
	};
	const char *v6 = family == AF_INET6 ? "6" : "";
	struct fw f;
	struct fw_chain *ch;
	struct buf b = { 0 };
	struct strv said = { 0 };
	struct check_paths cp;
	size_t i, j, start;
	int rc = -1, found;

	if (view_networks(&g->view, e))
		return -1;
	if (fw_open(&f, g->be.ops, &g->env, family, "filter", e))
		return -1;
	if (check_paths_init(&cp, &f, g->view.nets, g->view.nnets)) {
		fw_close(&f);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		ch = fw_chain(&f, where[i].chain);
		if (!ch)
			continue;
		start = 0;
		for (j = 0; where[i].after && j < ch->n; j++)
			if (!strcmp(ch->rules[j].target, where[i].after) ||
			    (where[i].after2 &&
			     !strcmp(ch->rules[j].target, where[i].after2))) {
				start = j + 1;
				break;
			}
		for (j = start; j < ch->n; j++) {
			struct check_path_at at = { NULL, 0, 0 };
			const struct fw_chain *in;
			char key[64];

			found = check_path_into(&cp, ch->name, &ch->rules[j],
						&at);
			if (found < 0)
				goto nomem;
			if (!found)
				continue;
			in = at.chain ? fw_chain(&f, at.chain) : ch;
			if (!at.chain)
				at.pos = j + 1;
			/* a rule of a chain several jumps reach: said once */
			snprintf(key, sizeof(key), "%s %zu", in->name, at.pos);
			if (strv_has(&said, key))
				continue;
			if (strv_add(&said, key, strlen(key)))
				goto nomem;
			b.len = 0;
			if (fw_rule_show(&in->rules[at.pos - 1], &b))
				goto nomem;
			if (add(r, CHECK_PATH, 0, family, in->name, "",
				at.chain ?
					line("rule %zu of %s (%s), reached "
					     "from rule %zu of %s, lets new "
					     "traffic into bridge %s past "
					     "docker-fw's rules: containers "
					     "there are reached without a rule "
					     "of docker-fw",
					     at.pos, in->name,
					     b.data ? b.data : "", j + 1,
					     ch->name,
					     g->view.nets[at.bridge].bridge) :
					line("rule %zu of %s (%s) lets new "
					     "traffic into bridge %s past "
					     "docker-fw's rules: containers "
					     "there are reached without a rule "
					     "of docker-fw",
					     at.pos, in->name,
					     b.data ? b.data : "",
					     g->view.nets[at.bridge].bridge),
				"",
				line("delete it (ip%stables -D %s %zu), and "
				     "open the flows it was for with docker-fw",
				     v6, in->name, at.pos),
				e))
				goto out;
		}
	}
	for (i = 0; i < 2; i++) {
		ch = fw_chain(&f, i ? FW_CHAIN_INPUT : FW_CHAIN_FORWARD);
		for (j = 0; ch && j < ch->n; j++) {
			if (!passes(&f, &ch->rules[j]))
				continue;
			b.len = 0;
			if (fw_rule_show(&ch->rules[j], &b))
				goto nomem;
			if (add(r, CHECK_PATH, 0, family, ch->name, "",
				line("rule %zu of %s (%s) is not docker-fw's "
				     "and lets packets past docker-fw's rules "
				     "there: %s",
				     j + 1, ch->name, b.data ? b.data : "",
				     i ? "containers reach the host without "
					 "a rule of docker-fw" :
					 "containers are reached without a "
					 "rule of docker-fw"),
				"",
				line("delete it (ip%stables -D %s %zu), and "
				     "open the flows it was for with docker-fw",
				     v6, ch->name, j + 1),
				e))
				goto out;
		}
	}
	if (cp.deep &&
	    add(r, CHECK_UNREAD, 1, family, "", "",
		line("chains nested more than %d deep below FORWARD were not "
		     "followed: a rule there that lets traffic into a bridge "
		     "is not seen",
		     CHECK_PATH_DEPTH),
		"", "", e))
		goto out;
	rc = 0;
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	check_paths_free(&cp);
	strv_free(&said);
	buf_free(&b);
	fw_close(&f);
	return rc;
}

int check_host_open(const struct engine *g, struct err *e)
{
	return dfw_host_open(g->cfg, e);
}

/* ---- the run ------------------------------------------------------------- */

/* The warnings of the replay from index from on: each a stored rule left
 * out, a container gone, a network init has not closed, a hosts entry
 * that cannot be set. */
static int warnings(struct engine *g, struct check_report *r, size_t from,
		    struct err *e)
{
	size_t i, k;

	for (i = from; i < g->warnings.n; i++) {
		const char *w = g->warnings.v[i];
		const char *kind = CHECK_UNAPPLIED;
		const char *fix = "as the message says: drop the rule, or "
				  "add it again as it can be applied now";

		if (strv_has(&g->unfiltered, w))
			continue; /* unfiltered() says it */
		for (k = 0; k < g->uncovered.n; k++)
			if (!strncmp(w, "network \"", 9) &&
			    !strncmp(w + 9, g->uncovered.v[k],
				     strlen(g->uncovered.v[k])) &&
			    w[9 + strlen(g->uncovered.v[k])] == '"') {
				kind = CHECK_NETWORK;
				fix = "docker-fw init";
			}
		if (strstr(w, "no longer exists"))
			fix = "as the message says: docker-fw drop ID";
		if (add(r, kind, 0, 0, "", "", line("%s", w), "", fix, e))
			return -1;
	}
	return 0;
}

/* The full replay, dry: its changes that init's do not hold already,
 * its hosts entries, its warnings; the store files it cannot read. */
static int replay(struct engine *g, struct check_report *r,
		  struct fw_change *const init[], const size_t ninit[],
		  struct err *e)
{
	struct engine_items items = { NULL, 0 };
	struct store_bad *bad = NULL;
	size_t i, k, nbad = 0, w0;
	int rc = -1;

	if (engine_items_all(g, &items, &bad, &nbad, e))
		return -1;
	for (i = 0; i < nbad; i++) {
		if (add(r, CHECK_STORE, 0, 0, "", bad[i].name,
			line("%s", bad[i].err.msg), "",
			"fix the file, or docker-fw drop the container", e))
			goto out;
	}
	w0 = g->warnings.n;
	if (engine_sync(g, items.v, items.n, 1, e) < 0)
		goto out;
	for (k = 0; k < BACKEND_NFAMILIES; k++)
		for (i = 0; i < g->plans[k].n; i++)
			if (!seen(init[k], ninit[k], &g->plans[k].v[i]) &&
			    change_finding(r, backend_families[k],
					   &g->plans[k].v[i],
					   "docker-fw replay", e))
				goto out;
	for (i = 0; i < g->hs.nent; i++) {
		const struct hosts_change *h = &g->hs.ent[i];

		if (h->changed == 1 &&
		    add(r, CHECK_HOSTS, 0, 0, "", h->peer->name,
			*h->ip ? line("the hosts file of %s does not map %s "
				      "to %s%s%s",
				      h->peer->name, h->name, h->ip,
				      *h->ip6 ? " " : "", h->ip6) :
				 line("the hosts file of %s holds a stale "
				      "entry of docker-fw for %s",
				      h->peer->name, h->name),
			"", "docker-fw replay", e))
			goto out;
		if (h->changed == 2 &&
		    add(r, CHECK_UNREAD, 1, 0, "", h->peer->name,
			line("the hosts file of %s (paused) was not read: "
			     "its entry for %s is not checked",
			     h->peer->name, h->name),
			"", "", e))
			goto out;
	}
	rc = warnings(g, r, w0, e);
out:
	engine_items_free(&items);
	free(bad);
	return rc;
}

int check_run(struct engine *g, struct check_report *r, struct err *e)
{
	struct fw_change *init[BACKEND_NFAMILIES] = { NULL };
	size_t ninit[BACKEND_NFAMILIES] = { 0 };
	struct strv none = { 0 };
	size_t i, k;
	int rc = -1, v6 = 0, host;

	if (!g->dry_run)
		return err_set(e, EXIT_RUNTIME, "check: not a dry run");
	/* init's part: what a dry run of init would change */
	if (engine_setup(g, &none, e))
		return -1;
	for (k = 0; k < BACKEND_NFAMILIES; k++) {
		for (i = 0; i < g->plans[k].n; i++)
			if (change_finding(r, backend_families[k],
					   &g->plans[k].v[i], "docker-fw init",
					   e))
				goto out;
		/* kept to tell the replay's own changes apart */
		ninit[k] = g->plans[k].n;
		init[k] = g->plans[k].v;
		memset(&g->plans[k], 0, sizeof(g->plans[k]));
	}
	if (replay(g, r, init, ninit, e))
		goto out;
	if (bridge_nf(r, AF_INET, "iptables", e))
		goto out;
	for (i = 0; i < g->view.nnets; i++)
		if (!strcmp(g->view.nets[i].driver, "bridge") &&
		    docker_network_has6(&g->view.nets[i]))
			v6 = 1;
	if (v6 && !*g->be.skip6 && bridge_nf(r, AF_INET6, "ip6tables", e))
		goto out;
	if (other_set(g, r, AF_INET, e) ||
	    (!*g->be.skip6 && other_set(g, r, AF_INET6, e)))
		goto out;
	if (host_network(g, r, e) || unfiltered(g, r, e))
		goto out;
	if (paths(g, r, AF_INET, e) ||
	    (!*g->be.skip6 && paths(g, r, AF_INET6, e)))
		goto out;
	host = check_host_open(g, e);
	if (host < 0 ||
	    (host &&
	     add(r, CHECK_HOST_OPEN, 1, 0, "", "",
		 line("container -> host is open, as init was told "
		      "(init --to-host open): containers reach the "
		      "host's services"),
		 "", "init --to-host closed, if that was not meant", e)))
		goto out;
	rc = 0;
out:
	for (k = 0; k < BACKEND_NFAMILIES; k++) {
		struct plan p = { init[k], ninit[k], ninit[k], 0 };

		plan_free(&p);
	}
	return rc;
}

/* ---- kv ----------------------------------------------------------------- */

int check_kv_value(const char *v, struct buf *out)
{
	const char *p;

	if (*v && !strpbrk(v, " \t\"\\="))
		return buf_adds(out, v);
	if (buf_adds(out, "\""))
		return -1;
	for (p = v; *p; p++) {
		if ((*p == '"' || *p == '\\') && buf_adds(out, "\\"))
			return -1;
		if (buf_add(out, p, 1))
			return -1;
	}
	return buf_adds(out, "\"");
}

int check_kv(const struct check_finding *f, struct buf *out)
{
	const char *fam = f->family == AF_INET	? "ip" :
			  f->family == AF_INET6 ? "ip6" :
						  "-";

	return buf_printf(out, "kind=%s status=%s family=%s chain=", f->kind,
			  f->note ? "note" : "fail", fam) ||
	       check_kv_value(f->chain, out) || buf_adds(out, " container=") ||
	       check_kv_value(f->container, out) || buf_adds(out, " what=") ||
	       check_kv_value(f->what, out) || buf_adds(out, " change=") ||
	       check_kv_value(f->change, out) || buf_adds(out, " fix=") ||
	       check_kv_value(f->fix, out);
}
