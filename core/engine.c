/*
 * engine.c - the orchestration of a run: resolve stored rule specs with
 * today's addresses, stage the store, check the hosts files, plan and
 * commit under one lock, then commit the store (see engine.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfw/backend.h"
#include "dfw/engine.h"
#include "dfw/hostsync.h"
#include "dfw/plan.h"
#include "dfw/resolve.h"
#include "dfw/settings.h"
#include "dfw/view.h"

int engine_init(struct engine *g, const struct dfw_config *c, unsigned what,
		struct err *e)
{
	memset(g, 0, sizeof(*g));
	g->cfg = c;
	g->store.lock_fd = g->store.dir_fd = -1;
	g->env.lock = c->xtables_lock;
	g->env.path = c->path;
	g->env.fail_family = c->fail_commit;
	g->env.stop_at_mark = c->stop_at_mark;
	backend_init(&g->be, &g->env,
		     !c->backend		? NULL :
		     !strcmp(c->backend, "nft") ? &fw_nft_ops :
						  &fw_iptc_ops);
	g->dry_run = c->dry_run;
	if (docker_init(&g->d, c, e))
		return -1;
	view_init(&g->view, &g->d);
	/* entries go through the exec API when the daemon is not local
	 * (its HostsPath is not ours to open), or when DFW_HOSTS=exec asks
	 * so */
	hostsync_init(&g->hs, &g->d, &g->view,
		      c->hosts_exec || strncmp(g->d.ep.url, "unix://", 7),
		      c->dry_run, &g->warnings);
	if (what && store_open(&g->store, c->state_dir,
			       what == ENGINE_STORE && !c->dry_run, e)) {
		docker_close(&g->d);
		return -1;
	}
	return 0;
}

void engine_forget(struct engine *g)
{
	view_forget(&g->view);
}

void engine_free(struct engine *g)
{
	size_t i;

	view_free(&g->view);
	for (i = 0; i < BACKEND_NFAMILIES; i++)
		plan_free(&g->plans[i]);
	hostsync_free(&g->hs);
	strv_free(&g->host_changes);
	strv_free(&g->uncovered);
	strv_free(&g->unfiltered);
	strv_free(&g->warnings);
	store_close(&g->store);
	docker_close(&g->d);
	memset(g, 0, sizeof(*g));
}

#define warn(g, ...) strv_addf(&(g)->warnings, __VA_ARGS__)

const struct docker_container *engine_container(struct engine *g,
						const char *name, struct err *e)
{
	return view_container(&g->view, name, VIEW_NEEDS_ALL, e);
}

/* Whether the n rules of a spec are all of the ip6 table (an IPv6
 * literal), and this kernel has no IPv6 (*why says so): the rule could
 * never match here. */
static int only6_here(const struct resolve_out *out, size_t n, const char **why)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (out[i].family != AF_INET6)
			return 0;
	return n && !fw_ipv6_on(why);
}

int engine_check_rule(struct engine *g, const struct docker_container *c,
		      struct rulespec *r, struct err *e)
{
	struct resolve_out out[RESOLVE_MAX];
	struct fw_rule base[RESOLVE_MAX];
	const char *why;
	size_t i, n;

	if (resolve_check(&g->view, c, r, e))
		return -1;
	/* which backend takes the filter decides now, not at the commit:
	 * the store keeps it as that backend shows it */
	if (resolve_beyond_subset(r) && backend_pick(&g->be, e))
		return -1;
	if (resolve_rule(&g->view, g->be.ops == &fw_iptc_ops, c, r, out, base,
			 &n, e))
		return -1;
	if (only6_here(out, n, &why))
		return err_set(e, EXIT_USAGE,
			       "an IPv6 rule, and IPv6 is off here (%s): it "
			       "would never match",
			       why);
	for (i = 0; i < n; i++) {
		struct fw_rule *fr = &out[i].rule;

		if (!fw_extra_known(fr->extra) &&
		    resolve_canon(&g->env, !g->dry_run, r, &base[i], fr,
				  out[i].chain, e))
			return -1;
		if (r->action == RULE_ADD_INPUT && *fr->out)
			return err_set(e, EXIT_USAGE,
				       "add-input: --filter -o "
				       "%s: INPUT has no output interface",
				       fr->out);
	}
	return 0;
}

struct setup_args;

struct sync_args {
	struct setup_args *setup; /* init's part to re-assert, or NULL */
	struct engine *g;
	struct sync_item *items;
	struct resolve_owner *owners; /* of items */
	size_t n;
	struct plan_wants ws;
	int cleanup;
	int hosts; /* hosts files written right before the
				 * commit */
	/* #18: ws was let go in the plan of its last family (it is
	 * not held while the kernel's part runs); a redo (FW_AGAIN) makes
	 * it again, warnings left out */
	int spent;
	int quiet;
	/* #18: shed[i], items[i]'s rules were let go before that plan
	 * (its file holds them); a redo reads them again */
	unsigned char *shed;
};

int engine_forwarded_driver(const char *driver)
{
	return !strcmp(driver, "bridge") || !strcmp(driver, "host") ||
	       !strcmp(driver, "null");
}

int engine_unfiltered_text(struct buf *b, const char *container,
			   const char *network, const char *driver)
{
	return buf_printf(b,
			  "container \"%s\" is on network \"%s\" (driver "
			  "%s), whose traffic does not pass this host's "
			  "FORWARD chain: docker-fw's rules do not filter it "
			  "there",
			  container, network, driver);
}

/* The warning for c, whose rules this run makes, on nw: a network
 * FORWARD never sees (once each; out of memory: left out). */
static void unfiltered(struct engine *g, const struct docker_container *c,
		       const struct docker_network *nw)
{
	struct buf b = { 0 };

	if (!engine_unfiltered_text(&b, c->name, nw->name, nw->driver) &&
	    !strv_has(&g->unfiltered, b.data))
		(void)strv_add(&g->unfiltered, b.data, b.len);
	buf_free(&b);
}

/* The bridges of the selected running containers that init has not
 * closed (no "-i B -o B -j DROP" of ours): their traffic is not
 * whitelisted, which a user adding rules should hear about. And those
 * containers on a network FORWARD never sees (unfiltered). */
static void uncovered(struct engine *g, struct fw *f, struct sync_args *a)
{
	const struct fw_chain *ch = fw_chain(f, FW_CHAIN_FORWARD);
	const struct docker_network *nw;
	const struct docker_container *c;
	struct strv tails = { 0 };
	struct err ce;
	size_t i, j, k;

	strv_free(&g->uncovered);
	strv_free(&g->unfiltered);
	/* the bridges with a tail, in one pass over the chain (a few among
	 * thousands of rules): then each network is a look in a short list */
	for (i = 0; ch && i < ch->n; i++)
		if (plan_is_tail(&ch->rules[i]) &&
		    !strv_has(&tails, ch->rules[i].in))
			strv_add(&tails, ch->rules[i].in,
				 strlen(ch->rules[i].in));
	for (i = 0; i < a->n; i++) {
		c = *a->items[i].rec.name ?
			    engine_named(g, a->items[i].rec.name, &ce) :
			    view_container(&g->view, a->items[i].rec.id, 0,
					   &ce);
		for (j = 0; c && c->running && j < c->nnets; j++)
			for (k = 0; k < g->view.nnets; k++) {
				nw = &g->view.nets[k];
				if (!strcmp(nw->name, c->nets[j].name) &&
				    !engine_forwarded_driver(nw->driver))
					unfiltered(g, c, nw);
				if (strcmp(nw->name, c->nets[j].name) ||
				    strcmp(nw->driver, "bridge") ||
				    !*nw->bridge ||
				    strv_has(&tails, nw->bridge) ||
				    strv_has(&g->uncovered, nw->name))
					continue;
				strv_add(&g->uncovered, nw->name,
					 strlen(nw->name));
			}
	}
	strv_free(&tails);
}

/* The warning for a wanted rule left out. */
static void left_out(struct engine *g, const struct sync_args *a,
		     const struct plan_want *w, const char *why)
{
	const struct store_rec *rec = &a->items[w->item].rec;
	struct buf spec = { 0 };

	if (a->quiet) /* said by the first attempt */
		return;
	rulespec_format(&rec->rules[w->spec], &spec);
	warn(g, "%s %s %s: left out: %s",
	     rule_action_name(rec->rules[w->spec].action), rec->name,
	     spec.data ? spec.data : "", why);
	buf_free(&spec);
}

/*
 * Wanted rules with conditions docker-fw does not model. On nf_tables,
 * those whose text iptables-nft-save has not printed (in this run's
 * table, or a probe) take the form it prints (fw_nft_canon), so that a
 * rule in the table is found again and a new one is not redone by every
 * run. A rule iptables refuses, or makes another rule of, is left out
 * with a warning; so is any on the iptc backend, which cannot encode
 * them. In a dry run with no scratch namespace, rules stay as given.
 */
static int canon_wants(struct engine *g, struct sync_args *a, int family,
		       struct err *e)
{
	struct fw_probe *p;
	size_t *which, i, k = 0;
	struct buf t = { 0 };
	char why[400];
	struct err pe;
	int rc = 0;

	for (i = 0; i < a->ws.n && g->be.ops != &fw_nft_ops; i++) {
		struct plan_want *w = &a->ws.v[i];
		const struct rulespec *rs;
		struct fw_rule tmp;

		if (!w->rule.extra || w->skip || w->family != family)
			continue;
		rs = &a->items[w->item].rec.rules[w->spec];
		memset(&tmp, 0, sizeof(tmp));
		tmp.proto = rs->proto;
		fw_rule_filter(&tmp, rs->filter.v, rs->filter.n, 0, &pe);
		left_out(g, a, w, pe.msg);
		w->skip = 1;
	}
	if (g->be.ops != &fw_nft_ops)
		return 0;
	for (i = 0; i < a->ws.n; i++)
		k += !a->ws.v[i].skip && a->ws.v[i].family == family &&
		     !fw_extra_known(a->ws.v[i].rule.extra);
	if (!k)
		return 0;
	p = calloc(k, sizeof(*p));
	which = calloc(k, sizeof(*which));
	if (!p || !which) {
		free(p);
		free(which);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	for (i = k = 0; i < a->ws.n; i++)
		if (!a->ws.v[i].skip && a->ws.v[i].family == family &&
		    !fw_extra_known(a->ws.v[i].rule.extra)) {
			p[k].rule = a->ws.v[i].rule;
			p[k].input = a->ws.v[i].chain == RESOLVE_INPUT;
			which[k++] = i;
		}
	if (fw_nft_canon(&g->env, family, p, k, !g->dry_run, &pe)) {
		if (g->dry_run)
			warn(g,
			     "--filter conditions not brought to the form "
			     "iptables-nft-save prints: %s",
			     pe.msg);
		else
			rc = -1, *e = pe;
		goto out;
	}
	for (i = 0; i < k; i++) {
		struct plan_want *w = &a->ws.v[which[i]];

		if (p[i].failed) {
			snprintf(why, sizeof(why), "iptables refused it: %s",
				 p[i].why);
			left_out(g, a, w, why);
			w->skip = 1;
		} else if (!resolve_same_spec(&w->rule, &p[i].rule)) {
			t.len = 0;
			fw_rule_format(&p[i].rule, &t);
			snprintf(why, sizeof(why),
				 "iptables-nft makes the "
				 "rule `%.300s`, not the one its options say",
				 t.data ? t.data : "");
			left_out(g, a, w, why);
			w->skip = 1;
		} else {
			w->rule = p[i].rule;
		}
	}
out:
	buf_free(&t);
	free(p);
	free(which);
	return rc;
}

/* Whether the process of a probe chain runs (or may: not ours to say). */
static int alive(long pid, void *arg)
{
	struct engine *g = arg; /* NULL: not counted */
	int on = kill((pid_t)pid, 0) == 0 || errno != ESRCH;

	if (g)
		g->live_probes += on;
	return on;
}

/* ---- init ------------------------------------------------------------- */

struct setup_args {
	const char **bridges; /* the closed networks' bridges */
	size_t n;
	const char **bridges6; /* those of networks with IPv6 */
	size_t n6;
	int all;		 /* every bridge network: stale tails go */
	struct plan_port *ports; /* published on IPv6 (the proxy) */
	size_t nports;
	int host_open; /* container -> host left open */
	int has6;      /* a bridge network with IPv6 */
};

/* init's part of table f: the jumps first, the FORWARD policy, Docker's
 * catch-alls out, the tails, container -> host closed (unless open), and
 * in ip6 the proxy guards of every published port. After plan_base. */
static int setup_part(struct fw *f, struct plan *p, struct setup_args *a,
		      struct err *e)
{
	const int v6 = f->family == AF_INET6;

	if (plan_jumps(p, f, e) ||
	    plan_setup(p, f, v6 ? a->bridges6 : a->bridges, v6 ? a->n6 : a->n,
		       a->all, e) ||
	    plan_host(p, f, a->bridges, a->host_open ? 0 : a->n,
		      a->all || a->host_open, e))
		return -1;
	return v6 ? plan_guards(p, f, a->ports, a->nports, 1, e) : 0;
}

static int setup_plan(struct fw *f, struct plan *p, void *arg, struct err *e)
{
	if (plan_base(p, f, alive, NULL, e))
		return -1;
	return setup_part(f, p, arg, e);
}

/* The host ports published on IPv6 by the running containers (what
 * docker-proxy may listen on at [::]), each once, into a->ports. The
 * list's entry has them; an entry the list could not give in full is
 * inspected (view_container). */
static int published6(struct engine *g, struct setup_args *a, struct err *e)
{
	const struct docker_container *c;
	const struct docker_port *ports;
	struct view *v = &g->view;
	size_t i, j, k, n, cap = 0;
	void *p;

	if (view_list(v, e))
		return -1;
	for (i = 0; i < v->nlist; i++) {
		if (strcmp(v->list[i].state, "running") &&
		    strcmp(v->list[i].state, "paused"))
			continue; /* a name or not: its ports count */
		ports = v->list[i].ports;
		n = v->list[i].nports;
		if (!*v->list[i].name) {
			c = view_container(v, v->list[i].id, 0, e);
			if (!c)
				return -1;
			ports = c->ports;
			n = c->nports;
		}
		for (j = 0; j < n; j++) {
			const struct docker_port *b = &ports[j];
			struct plan_port pp;

			if (!b->host_port ||
			    (*b->host_ip && !strchr(b->host_ip, ':')))
				continue;
			pp.proto = !strcmp(b->proto, "udp") ? IPPROTO_UDP :
				   !strcmp(b->proto, "tcp") ? IPPROTO_TCP :
							      0;
			pp.port = b->host_port;
			for (k = 0; k < a->nports; k++)
				if (a->ports[k].proto == pp.proto &&
				    a->ports[k].port == pp.port)
					break;
			if (!pp.proto || k < a->nports)
				continue; /* sctp: not modelled */
			if (a->nports == cap) {
				cap = cap ? 2 * cap : 16;
				p = realloc(a->ports, cap * sizeof(pp));
				if (!p)
					return err_set(e, EXIT_RUNTIME,
						       "out of memory");
				a->ports = p;
			}
			a->ports[a->nports++] = pp;
		}
	}
	return 0;
}

static int is_bridge(const struct docker_network *n)
{
	return !strcmp(n->driver, "bridge") && *n->bridge;
}

static void setup_free(struct setup_args *a)
{
	free(a->ports);
	free(a->bridges);
	free(a->bridges6);
	memset(a, 0, sizeof(*a));
}

/*
 * What init's part covers now: the bridges of the networks names gives
 * (every bridge network when names is NULL), those with IPv6, the ports
 * published on IPv6. With strict, a name that is no bridge network is an
 * error (EXIT_USAGE); without (a recorded network removed since), it is
 * left out. Into *a (free with setup_free). 0, or -1 with e set.
 */
static int setup_collect(struct engine *g, const struct strv *names, int strict,
			 struct setup_args *a, struct err *e)
{
	const struct docker_network *nw;
	size_t i, j;

	memset(a, 0, sizeof(*a));
	a->all = !names;
	if (view_networks(&g->view, e))
		return -1;
	a->bridges = calloc(g->view.nnets + 1, sizeof(*a->bridges));
	a->bridges6 = calloc(g->view.nnets + 1, sizeof(*a->bridges6));
	if (!a->bridges || !a->bridges6) {
		setup_free(a);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	for (i = 0; strict && names && i < names->n; i++) {
		for (j = 0; j < g->view.nnets; j++)
			if (!strcmp(g->view.nets[j].name, names->v[i]) ||
			    !strcmp(g->view.nets[j].id, names->v[i]))
				break;
		if (j == g->view.nnets) {
			setup_free(a);
			return err_set(e, EXIT_USAGE,
				       "--network \"%s\": no such "
				       "network",
				       names->v[i]);
		}
		if (!is_bridge(&g->view.nets[j])) {
			err_set(e, EXIT_USAGE,
				"--network \"%s\": not a bridge "
				"network (driver \"%s\")",
				names->v[i], g->view.nets[j].driver);
			setup_free(a);
			return -1;
		}
	}
	for (j = 0; j < g->view.nnets; j++) {
		int want = !names;

		nw = &g->view.nets[j];
		for (i = 0; names && i < names->n; i++)
			if (!strcmp(nw->name, names->v[i]) ||
			    (strict && !strcmp(nw->id, names->v[i])))
				want = 1;
		if (!is_bridge(nw))
			continue;
		if (docker_network_has6(nw)) {
			g->be.make6 = 1; /* the ip6 table is needed */
			a->has6 = 1;
			if (want)
				a->bridges6[a->n6++] = nw->bridge;
		}
		if (want)
			a->bridges[a->n++] = nw->bridge;
	}
	if (published6(g, a, e)) {
		setup_free(a);
		return -1;
	}
	if (a->nports)
		g->be.make6 = 1; /* docker-proxy listens on [::] */
	return 0;
}

/* ---- bridge netfilter -------------------------------------------------- */

#define BRNF_DIR "/proc/sys/net/bridge"

static const char *const brnf_names[] = { "bridge-nf-call-iptables",
					  "bridge-nf-call-ip6tables" };

/* The sysctls to turn on, opened for writing before anything changes
 * (fd -1: on already, or a dry run). */
struct brnf {
	int fd[2];
};

/*
 * Bridge netfilter, for traffic between containers on one bridge to go
 * through FORWARD: net.bridge.bridge-nf-call-iptables (and -ip6tables
 * with v6) must be 1, as dockerd sets them. Each one that is not is said
 * (g->host_changes) and, unless a dry run, opened for writing now, so
 * that a read-only /proc/sys stops the run before the table changes.
 * Per network namespace (Linux 5.3+): the one docker-fw runs in. 0, or
 * -1 with e set (EXIT_RUNTIME: br_netfilter not loaded, or the file
 * cannot be read or written).
 */
static int brnf_check(struct engine *g, int v6, struct brnf *b, struct err *e)
{
	char path[128], val[16];
	ssize_t len;
	int k, fd;

	b->fd[0] = b->fd[1] = -1;
	for (k = 0; k < 1 + !!v6; k++) {
		snprintf(path, sizeof(path), BRNF_DIR "/%s", brnf_names[k]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			return err_set(e, EXIT_RUNTIME,
				       "bridge netfilter is not available: "
				       "no %s (the kernel module br_netfilter "
				       "is not loaded; `modprobe br_netfilter` "
				       "loads it, as dockerd does): traffic "
				       "between containers on one bridge "
				       "would bypass the firewall",
				       path);
		if (fd < 0)
			return err_set(e, EXIT_RUNTIME, "cannot read %s: %s",
				       path, strerror(errno));
		len = read(fd, val, sizeof(val) - 1);
		close(fd);
		if (len <= 0)
			return err_set(e, EXIT_RUNTIME, "cannot read %s: %s",
				       path, len ? strerror(errno) : "empty");
		val[len] = 0;
		if (!strcmp(val, "1\n") || !strcmp(val, "1"))
			continue;
		if (strv_addf(&g->host_changes,
			      "sysctl net.bridge.%s = 1 (was %.*s): bridged "
			      "traffic through FORWARD",
			      brnf_names[k], (int)strcspn(val, "\n"), val))
			return err_set(e, EXIT_RUNTIME, "out of memory");
		if (g->dry_run)
			continue;
		b->fd[k] = open(path, O_WRONLY | O_CLOEXEC);
		if (b->fd[k] < 0) {
			err_set(e, EXIT_RUNTIME,
				"cannot turn bridge netfilter on: %s is %.*s "
				"and cannot be written: %s",
				path, (int)strcspn(val, "\n"), val,
				strerror(errno));
			if (k)
				close(b->fd[0]);
			b->fd[0] = b->fd[1] = -1;
			return -1;
		}
	}
	return 0;
}

/* Writes the sysctls brnf_check opened; closes them. 0, or -1 with e
 * set. */
static int brnf_apply(struct brnf *b, struct err *e)
{
	int k, rc = 0;

	for (k = 0; k < 2; k++) {
		if (b->fd[k] < 0)
			continue;
		if (write(b->fd[k], "1\n", 2) != 2 && !rc)
			rc = err_set(e, EXIT_RUNTIME,
				     "cannot write " BRNF_DIR "/%s: %s",
				     brnf_names[k], strerror(errno));
		close(b->fd[k]);
		b->fd[k] = -1;
	}
	return rc;
}

static void brnf_close(struct brnf *b)
{
	int k;

	for (k = 0; k < 2; k++)
		if (b->fd[k] >= 0)
			close(b->fd[k]);
	b->fd[0] = b->fd[1] = -1;
}

int engine_setup(struct engine *g, const struct strv *names, struct err *e)
{
	struct settings old, st = { 0 };
	struct settings_txn txn = { -1, "", "" };
	struct setup_args a;
	struct brnf b = { { -1, -1 } };
	size_t i;
	int rc = -1;

	if (settings_load(&g->store, &old, e))
		return -1;
	if (setup_collect(g, names->n ? names : NULL, 1, &a, e)) {
		settings_free(&old);
		return -1;
	}
	/* the choice: said now, else kept, else closed */
	st.host_open = g->to_host ? g->to_host == ENGINE_HOST_OPEN :
				    old.host_open;
	if (!old.found || st.host_open != old.host_open)
		strv_addf(&g->host_changes, "container -> host: %s (%s)",
			  st.host_open ? "open" : "closed",
			  !old.found	? "kept in the store's settings" :
			  old.host_open ? "was open" :
					  "was closed");
	/* the networks closed: those named, added to the ones before;
	 * without names, every bridge network of now */
	for (i = 0; names->n && i < old.nets.n; i++)
		if (settings_add_net(&st, old.nets.v[i]) && errno == ENOMEM)
			goto nomem;
	for (i = 0; i < g->view.nnets; i++) {
		const struct docker_network *nw = &g->view.nets[i];
		size_t k;
		int want = !names->n;

		for (k = 0; k < names->n; k++)
			if (!strcmp(nw->name, names->v[k]) ||
			    !strcmp(nw->id, names->v[k]))
				want = 1;
		if (want && is_bridge(nw) && settings_add_net(&st, nw->name) &&
		    errno == ENOMEM)
			goto nomem;
	}
	a.host_open = st.host_open;
	if (brnf_check(g, a.has6, &b, e))
		goto out;
	if (!g->dry_run && settings_prepare(&g->store, &st, &txn, e))
		goto out;
	if (backend_transact(&g->be, g->dry_run, setup_plan, &a, g->plans, e))
		goto out;
	if (brnf_apply(&b, e))
		goto out;
	rc = settings_commit(&txn, e);
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	settings_abort(&txn);
	brnf_close(&b);
	setup_free(&a);
	settings_free(&st);
	settings_free(&old);
	return rc;
}

/*
 * For a sync: init's part as init last left it (its settings), or none
 * when init never ran. *a set and *on 1, or *on 0; the sysctls checked
 * into *b. 0, or -1 with e set.
 */
static int sync_setup(struct engine *g, struct settings *st,
		      struct setup_args *a, struct brnf *b, int *on,
		      struct err *e)
{
	*on = 0;
	if (settings_load(&g->store, st, e))
		return -1;
	if (!st->found)
		return 0;
	if (setup_collect(g, &st->nets, 0, a, e))
		return -1;
	a->host_open = st->host_open;
	if (brnf_check(g, a->has6, b, e)) {
		setup_free(a);
		return -1;
	}
	*on = 1;
	return 0;
}

/*
 * #18: the rules of the items whose file holds them as they are (not
 * dirty, drop nor keep) go once the wanted rules are made: a commit
 * does not need them (libiptc builds its new table without them held).
 * Not in a dry run, whose store is not locked: a redo reads the files
 * again (reload), under the store's lock, so as they were.
 */
static void shed_records(struct engine *g, struct sync_args *a)
{
	struct store_rec *rec;
	size_t i, j;

	for (i = 0; i < a->n && !g->dry_run; i++) {
		rec = &a->items[i].rec;
		if (a->items[i].dirty || a->items[i].drop || a->items[i].keep ||
		    !rec->nrules || !*rec->id)
			continue;
		for (j = 0; j < rec->nrules; j++)
			rulespec_free(&rec->rules[j]);
		free(rec->rules);
		rec->rules = NULL;
		rec->nrules = rec->cap = 0;
		a->shed[i] = 1;
	}
}

/* The rules shed_records let go of items[i], read again from its file
 * (the store is locked: as they were). 0, or -1 with e set. */
static int reload(struct engine *g, struct sync_args *a, size_t i,
		  struct err *e)
{
	struct store_rec *rec = &a->items[i].rec, r;
	int rc = store_load(&g->store, rec->id, &r, e);

	if (!rc)
		err_set(e, EXIT_RUNTIME,
			"the store file of %.12s is gone "
			"during the run",
			rec->id);
	if (rc <= 0)
		return -1;
	rec->rules = r.rules;
	rec->nrules = r.nrules;
	rec->cap = r.cap;
	r.rules = NULL;
	r.nrules = r.cap = 0;
	store_rec_free(&r);
	a->shed[i] = 0;
	return 0;
}

/*
 * The wanted rules again, for a redo after the first attempt let them
 * go: item_rules' without its side effects (hosts entries, warnings,
 * counts), from the same records (those shed read again), containers
 * and view, so the same rules in the same order. 0, or -1 with e set.
 */
static int wants_again(struct engine *g, struct sync_args *a, struct err *e)
{
	struct resolve_out out[RESOLVE_MAX];
	const struct docker_container *c;
	const struct store_rec *rec;
	const char *why;
	struct err ce;
	size_t i, j, k, nout;

	for (i = 0; i < a->n; i++) {
		rec = &a->items[i].rec;
		if (a->shed[i] && reload(g, a, i, e))
			return -1;
		if (a->items[i].keep || a->items[i].drop || !rec->nrules)
			continue;
		c = *rec->name ? engine_named(g, rec->name, &ce) :
				 view_container(&g->view, rec->id, 0, &ce);
		if (!c && ce.code != EXIT_USAGE) {
			*e = ce;
			return -1;
		}
		for (j = 0; c && c->running && j < rec->nrules; j++) {
			g->view.unanswered = 0;
			if (resolve_rule(&g->view, g->be.ops == &fw_iptc_ops, c,
					 &rec->rules[j], out, NULL, &nout,
					 &ce)) {
				if (g->view.unanswered &&
				    ce.code == EXIT_RUNTIME) {
					*e = ce; /* as item_rules */
					return -1;
				}
				continue;
			}
			if (only6_here(out, nout, &why))
				continue;
			for (k = 0; k < nout; k++)
				if (plan_wants_add(&a->ws, &out[k], i, j))
					return err_set(e, EXIT_RUNTIME,
						       "out of memory");
		}
	}
	a->spent = 0;
	a->quiet = 1;
	return 0;
}

/* Whether ws holds a rule of family. */
static int wants_of(const struct plan_wants *ws, int family)
{
	size_t i;

	for (i = 0; i < ws->n; i++)
		if (ws->v[i].family == family)
			return 1;
	return 0;
}

static int sync_plan(struct fw *f, struct plan *p, void *arg, struct err *e)
{
	struct sync_args *a = arg;
	struct engine *g = a->g;

	size_t i;

	/* a new attempt starts with AF_INET's table */
	if (a->spent && f->family == AF_INET && wants_again(g, a, e))
		return -1;
	if (plan_base(p, f, alive, g, e) ||
	    (a->setup && setup_part(f, p, a->setup, e)) ||
	    canon_wants(g, a, f->family, e))
		return -1;
	/* an ip6 table without Docker's chains (Docker writes no ip6
	 * rules): add's rules accept, there is no DOCKER to jump to */
	for (i = 0; i < a->ws.n && !fw_chain(f, "DOCKER"); i++)
		if (a->ws.v[i].family == f->family &&
		    !strcmp(a->ws.v[i].rule.target, "DOCKER"))
			snprintf(a->ws.v[i].rule.target,
				 sizeof(a->ws.v[i].rule.target), "ACCEPT");
	if (g->view.have_nets && f->family == AF_INET)
		uncovered(g, f, a);
	/* #18: the wanted rules go with this plan unless the other
	 * family's needs them (AF_INET6's comes after AF_INET's):
	 * plan_rules lets them go before it records the insertions */
	a->ws.last = f->family == AF_INET6 || !wants_of(&a->ws, AF_INET6);
	a->spent = a->ws.last;
	if (a->spent)
		shed_records(g, a);
	if (plan_rules(p, f, &a->ws, a->owners, a->n, a->cleanup, e))
		return -1;
	/* the hosts files last before the commit (once: a commit the
	 * kernel makes us redo has them already); a plan that fails
	 * leaves them alone, a commit that fails puts them back */
	if (g->dry_run || !a->hosts)
		return 0;
	return hostsync_apply(&g->hs, e);
}

/* ---- sync ------------------------------------------------------------ */

/* Which rules of a dirty item are new (not in its stored file, as the
 * caller read it or read now): their hosts entries are strict. new[j]
 * for rec->rules[j]; NULL when none. */
static int *new_rules(struct engine *g, const struct sync_item *it)
{
	const struct store_rec *rec = &it->rec;
	struct store_rec old;
	struct err e;
	size_t j;
	int rc = 0, *v = calloc(rec->nrules + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (j = 0; j < rec->nrules; j++)
		v[j] = 1;
	/* #18: by an index of the old rules, not each with each; the
	 * whole store read again only when the caller kept no copy */
	if (it->old) {
		rc = rulespec_mark_new(rec->rules, rec->nrules, it->old->rules,
				       it->old->nrules, v, NULL);
	} else if (store_load_name(&g->store, rec->name, rec->id, &old, &e) >
		   0) {
		rc = rulespec_mark_new(rec->rules, rec->nrules, old.rules,
				       old.nrules, v, NULL);
		store_rec_free(&old);
	}
	if (rc) {
		free(v);
		return NULL;
	}
	return v;
}

/* The wanted rules and hosts entries of the rules of items[i] (c: its
 * container, running, or NULL); fresh[j]: rule j is new (NULL: none). A
 * rule that cannot be resolved now is left out with a warning; one that
 * Docker did not answer for (view.unanswered) stops the run: -1 with e
 * set. */
static int item_rules(struct engine *g, struct sync_args *a, size_t i,
		      const struct docker_container *c, const int *fresh,
		      struct err *e)
{
	struct store_rec *rec = &a->items[i].rec;
	struct resolve_out out[RESOLVE_MAX];
	struct buf spec = { 0 };
	const char *why;
	struct err ce;
	size_t j, k, nout;
	int rc;

	for (j = 0; j < rec->nrules; j++) {
		if (a->items[i].drop || !c || !c->running) {
			if (hostsync_plan(&g->hs, &rec->rules[j],
					  c ? c->name : rec->name, NULL, NULL,
					  0, e))
				return -1;
			continue;
		}
		g->view.unanswered = 0; /* this rule's alone */
		rc = resolve_rule(&g->view, g->be.ops == &fw_iptc_ops, c,
				  &rec->rules[j], out, NULL, &nout, &ce);
		if (!rc && only6_here(out, nout, &why)) {
			err_set(&ce, EXIT_USAGE,
				"an IPv6 rule, and IPv6 is off here (%s)", why);
			rc = -1;
		}
		if (!rc) {
			for (k = 0; k < nout; k++)
				if (plan_wants_add(&a->ws, &out[k], i, j))
					goto nomem;
			/* the hosts entry: the address of each family */
			for (k = 0; k < nout && out[k].family != AF_INET6;)
				k++;
			if (out[0].family == AF_INET &&
			    hostsync_plan(&g->hs, &rec->rules[j], c->name,
					  &out[0].rule,
					  k < nout ? &out[k].rule : NULL,
					  fresh && fresh[j], e))
				goto nomem;
			continue;
		}
		/* Docker failed to answer: the whole run stops with nothing
		 * changed, rather than take the rule away */
		if (rc == -1 && g->view.unanswered && ce.code == EXIT_RUNTIME) {
			buf_free(&spec);
			*e = ce;
			return -1;
		}
		spec.len = 0;
		rulespec_format(&rec->rules[j], &spec);
		warn(g, "%s %s %s: left out: %s%s",
		     rule_action_name(rec->rules[j].action), c->name,
		     spec.data ? spec.data : "",
		     rc == RESOLVE_UNPLACED ? "cannot be applied: " : "",
		     ce.msg);
		g->unplaced += rc == RESOLVE_UNPLACED;
	}
	buf_free(&spec);
	return 0;
nomem:
	buf_free(&spec);
	return err_set(e, EXIT_RUNTIME, "out of memory");
}

/* What items[i] wants now: its container as Docker knows it (renamed:
 * the record follows, dirty), its rules and hosts entries. A drop needs
 * no Docker (*nodocker once it cannot be reached). */
static int item_wants(struct engine *g, struct sync_args *a, size_t i,
		      int *nodocker, struct err *e)
{
	struct sync_item *it = &a->items[i];
	struct store_rec *rec = &it->rec;
	const struct docker_container *c;
	struct err ce;
	int *fresh = NULL, rc;

	if (it->keep)
		return 0;
	/* the rules an add* brings (dirty before a rename marks it):
	 * their hosts entries must be set, or nothing is */
	if (it->dirty && !it->drop && !(fresh = new_rules(g, it)))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	c = *nodocker && it->drop ? NULL :
	    *rec->name		  ? engine_named(g, rec->name, &ce) :
				    view_container(&g->view, rec->id, 0, &ce);
	if (!c && !*nodocker && ce.code != EXIT_USAGE) {
		if (!it->drop) {
			free(fresh);
			*e = ce;
			return -1;
		}
		/* drop needs no Docker: the rules are found by their
		 * comments, the file by its ID */
		*nodocker = 1;
		warn(g,
		     "%s; dropping by the store and the rules' comments: "
		     "hosts entries (add-two-ways) stay in the peers' hosts "
		     "files until Docker rewrites them",
		     ce.msg);
	}
	if (*nodocker && it->drop) {
		free(fresh);
		return 0;
	}
	/* rules belong to the name: a container recreated with it (a new
	 * ID) takes them; its file is then named by that ID */
	if (c && strcmp(rec->id, c->id)) {
		if (*rec->id &&
		    strv_add(&rec->gone, rec->id, strlen(rec->id))) {
			free(fresh);
			return err_set(e, EXIT_RUNTIME, "out of memory");
		}
		snprintf(rec->id, sizeof(rec->id), "%s", c->id);
		it->dirty = 1;
	}
	if (rec->gone.n) /* several files: written as one */
		it->dirty = 1;
	if (c && strcmp(rec->name, c->name)) {
		snprintf(rec->name, sizeof(rec->name), "%s", c->name);
		it->dirty = 1;
	}
	if (!c && rec->nrules && !it->drop)
		warn(g,
		     "container \"%s\" (%.12s) no longer exists: its rules "
		     "are out of the table; `docker-fw drop %.12s` forgets "
		     "them",
		     rec->name, rec->id, rec->id);
	rc = item_rules(g, a, i, c, fresh, e);
	free(fresh);
	return rc;
}

/* The new store files, written as temporary files before the kernel
 * changes: a full disk or a read-only store stops the run with nothing
 * changed. txn[i] for items[i]. */
static int store_stage(struct engine *g, struct sync_item *items, size_t n,
		       struct store_txn *txn, struct err *e)
{
	size_t i;

	for (i = 0; i < n && !g->dry_run; i++) {
		struct store_rec none = items[i].rec;

		none.rules = NULL;
		none.nrules = 0;
		memset(&none.hostconfig, 0, sizeof(none.hostconfig));
		if ((items[i].dirty || items[i].drop) &&
		    store_prepare(&g->store,
				  items[i].drop ? &none : &items[i].rec,
				  &txn[i], e))
			return -1;
	}
	return 0;
}

int engine_sync(struct engine *g, struct sync_item *items, size_t n,
		int cleanup, struct err *e)
{
	struct sync_args a = {
		.g = g, .items = items, .n = n, .cleanup = cleanup
	};
	struct setup_args sa = { 0 };
	struct settings st = { 0 };
	struct brnf b = { { -1, -1 } };
	struct store_txn *txn = NULL;
	struct err ce;
	int nodocker = 0, on = 0, rc = -1, tx;
	size_t i;

	/* what an earlier sync found (dfw-watch's process runs many) */
	strv_free(&g->uncovered);
	strv_free(&g->unfiltered);
	a.owners = calloc(n + 1, sizeof(*a.owners));
	a.shed = calloc(n + 1, 1);
	txn = calloc(n + 1, sizeof(*txn));
	if (!a.owners || !a.shed || !txn) {
		err_set(e, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		a.owners[i].id = items[i].rec.id;
		a.owners[i].name = items[i].rec.name;
		a.owners[i].keep = items[i].keep;
	}
	for (i = 0; i < n; i++)
		if (item_wants(g, &a, i, &nodocker, e))
			goto out;
	/* init's part as init left it, again: a dockerd restart puts
	 * Docker's catch-alls back and its jumps above ours (a drop
	 * without Docker leaves it for the next run) */
	if (!nodocker && sync_setup(g, &st, &sa, &b, &on, e))
		goto out;
	a.setup = on ? &sa : NULL;
	if (store_stage(g, items, n, txn, e))
		goto out;
	if (view_networks(&g->view, &ce)) /* only for the warning below */
		g->view.have_nets = 0;
	/* the hosts files: checked and locked now, written by sync_plan
	 * right before the commit, put back if the commit fails */
	if (hostsync_check(&g->hs, e))
		goto out;
	a.hosts = 1;
	for (i = 0; i < a.ws.n; i++)
		if (a.ws.v[i].family == AF_INET6)
			g->be.make6 = 1; /* rules for the ip6 table */
	/* the changes are printed with -v only: without, each family's
	 * plan goes before the kernel's commit (its count stays) */
	g->be.lean = !g->dry_run && !(g->cfg && g->cfg->verbose);
	/* a run that cannot be stamped already (stamp.h: a warning, hosts
	 * entries, an inspect) does not read the tables again for one */
	if (!engine_quiet(g))
		g->be.mark = NULL;
	tx = backend_transact(&g->be, g->dry_run, sync_plan, &a, g->plans, e);
	g->be.lean = 0;
	if (tx) {
		hostsync_undo(&g->hs);
		goto out;
	}
	for (i = 0; i < g->uncovered.n; i++)
		warn(g,
		     "network \"%s\" is not closed by `docker-fw init`: "
		     "its containers are not whitelisted until it runs",
		     g->uncovered.v[i]);
	for (i = 0; i < g->unfiltered.n; i++)
		warn(g, "%s", g->unfiltered.v[i]);
	for (i = 0; i < n; i++)
		if (store_commit(&txn[i], e))
			goto out;
	if (brnf_apply(&b, e))
		goto out;
	rc = hostsync_finish(&g->hs, e);
out:
	brnf_close(&b);
	setup_free(&sa);
	settings_free(&st);
	hostsync_finish(&g->hs, NULL);
	for (i = 0; txn && i < n; i++)
		store_abort(&txn[i]);
	free(txn);
	plan_wants_free(&a.ws);
	free(a.owners);
	free(a.shed);
	return rc;
}

int engine_quiet(const struct engine *g)
{
	return !g->warnings.n && !g->unplaced && !g->uncovered.n &&
	       !g->live_probes && !g->view.inspected && !g->hs.nent &&
	       !g->hs.njobs && !g->hs.have_info;
}

/* ---- helpers for the applets ------------------------------------------ */

static int names_peer(const struct addr_spec *a,
		      const struct docker_container *c)
{
	size_t len = strlen(a->name);

	return a->kind == ADDR_CONTAINER &&
	       (!strcmp(a->name, c->name) ||
		(len >= 4 && !strncmp(a->name, c->id, len)));
}

int engine_dependents(struct engine *g, const struct docker_container *c,
		      struct store_rec **v, size_t *n, struct err *e)
{
	struct store_rec *all;
	struct store_bad *bad;
	size_t i, j, nall, nbad, k = 0;

	if (store_load_all(&g->store, &all, &nall, &bad, &nbad, e))
		return -1;
	for (i = 0; i < nbad; i++)
		warn(g,
		     "%s: rules of %.12s naming \"%s\", if any, are not "
		     "replayed",
		     bad[i].err.msg, bad[i].id, c->name);
	free(bad);
	for (i = 0; i < nall; i++) {
		int dep = 0;

		for (j = 0; j < all[i].nrules && strcmp(all[i].name, c->name);
		     j++)
			if (names_peer(&all[i].rules[j].src, c) ||
			    names_peer(&all[i].rules[j].dst, c))
				dep = 1;
		if (dep)
			all[k++] = all[i];
		else
			store_rec_free(&all[i]);
	}
	*v = all;
	*n = k;
	return 0;
}

void engine_print_backend(const struct engine *g, FILE *f)
{
	if (!g->be.ops)
		return;
	fprintf(f, "# backend %s: %s; Docker firewall layout %s\n",
		g->be.ops->name, g->be.ops->what, g->be.layout);
	if (*g->be.skip6)
		fprintf(f, "# IPv6: skipped: %s\n", g->be.skip6);
}

size_t engine_pending(const struct engine *g)
{
	size_t i, n = 0;

	for (i = 0; i < BACKEND_NFAMILIES; i++)
		n += g->plans[i].n;

	for (i = 0; i < g->hs.nent; i++)
		n += g->hs.ent[i].changed != 0;
	return n + g->host_changes.n;
}

void engine_print_changes(const struct engine *g, FILE *f)
{
	struct buf b = { 0 };
	size_t i, k;

	if (g->be.retries)
		fprintf(f,
			"# the table changed under this run: redone %d "
			"time%s\n",
			g->be.retries, g->be.retries > 1 ? "s" : "");

	for (i = 0; i < g->host_changes.n; i++)
		fprintf(f, "# %s\n", g->host_changes.v[i]);
	for (k = 0; k < BACKEND_NFAMILIES; k++)
		for (i = 0; g->plans[k].v && i < g->plans[k].n; i++) {
			if (!i && backend_families[k] == AF_INET6)
				fprintf(f,
					"# IPv6, the ip6 filter table "
					"(Docker: %s):\n",
					g->be.layout6);
			b.len = 0;
			if (!fw_change_format(&g->plans[k].v[i], &b))
				fprintf(f, "%s\n", b.data);
		}
	for (i = 0; i < g->hs.nent; i++) {
		const struct hosts_change *h = &g->hs.ent[i];

		if (h->changed)
			fprintf(f, "# hosts file of %s: %s %s%s%s\n",
				h->peer->name, h->name,
				h->changed == 2 ?
					"not checked (paused, and a dry run unpauses "
					"nothing)" :
				h->changed == 3 ? "cannot be set "
						  "(see the warning)" :
				*h->ip		? h->ip :
						  "removed",
				h->changed == 1 && *h->ip6 ? " " : "",
				h->changed == 1 ? h->ip6 : "");
	}
	buf_free(&b);
}

/* ---- the items of a run ------------------------------------------------ */

int engine_items_push(struct engine_items *s, struct store_rec *rec, int drop,
		      int keep)
{
	size_t i;
	void *p;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].rec.id, rec->id) ||
		    (*rec->name && !strcmp(s->v[i].rec.name, rec->name))) {
			store_rec_free(rec);
			return 0;
		}
	p = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (!p) {
		store_rec_free(rec);
		return -1;
	}
	s->v = p;
	memset(&s->v[s->n], 0, sizeof(*s->v));
	s->v[s->n].drop = drop; /* its rules say which hosts to clean */
	s->v[s->n].keep = keep;
	s->v[s->n++].rec = *rec;
	return 0;
}

int engine_items_all(struct engine *g, struct engine_items *items,
		     struct store_bad **bad, size_t *nbad, struct err *e)
{
	struct store_rec *all, rec;
	size_t i, nall;
	int rc = 0;

	*bad = NULL;
	*nbad = 0;
	if (store_load_all(&g->store, &all, &nall, bad, nbad, e))
		return -1;
	for (i = 0; i < nall; i++)
		if (rc || engine_items_push(items, &all[i], 0, 0)) {
			if (rc)
				store_rec_free(&all[i]);
			rc = -1;
		}
	free(all);
	for (i = 0; i < *nbad && !rc; i++) {
		memset(&rec, 0, sizeof(rec));
		memcpy(rec.id, (*bad)[i].id, sizeof(rec.id));
		memcpy(rec.name, (*bad)[i].name, sizeof(rec.name));
		engine_bad_file_hint(&(*bad)[i].err, (*bad)[i].id);
		rc = engine_items_push(items, &rec, 0, 1);
	}
	if (rc) {
		free(*bad);
		*bad = NULL;
		*nbad = 0;
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	return 0;
}

int engine_items_dependents(struct engine *g, struct engine_items *s,
			    const struct docker_container *c, struct err *e)
{
	struct store_rec *deps;
	size_t j, nd;

	if (engine_dependents(g, c, &deps, &nd, e))
		return -1;
	for (j = 0; j < nd; j++)
		if (engine_items_push(s, &deps[j], 0, 0)) {
			while (++j < nd) /* push freed deps[j] */
				store_rec_free(&deps[j]);
			free(deps);
			return err_set(e, EXIT_RUNTIME, "out of memory");
		}
	free(deps);
	return 0;
}

void engine_items_free(struct engine_items *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		store_rec_free(&s->v[i].rec);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* ---- finding a container's record -------------------------------------- */

void engine_bad_file_hint(struct err *e, const char *id)
{
	size_t len = strlen(e->msg);

	snprintf(e->msg + len, sizeof(e->msg) - len,
		 " (fix the file, or "
		 "`docker-fw drop %.12s` removes the container's rules and "
		 "the file)",
		 id);
}

/* A store file store_load could not read: an error with what to do, or
 * (bad set) an empty record with the ID and the name it is known by. */
static int unreadable(struct store_rec *rec, const char *id, const char *name,
		      struct err *why, struct err *bad, struct err *e)
{
	if (!bad) {
		*e = *why;
		engine_bad_file_hint(e, id);
		return -1;
	}
	*bad = *why;
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->id, sizeof(rec->id), "%s", id);
	snprintf(rec->name, sizeof(rec->name), "%s", name);
	return 0;
}

/* Whether one of the other files merged into r (an older store's, see
 * store.h) has the ID s, or (len) an ID starting with s[0..len). */
static int gone_id(const struct store_rec *r, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < r->gone.n; i++)
		if (len ? !strncmp(r->gone.v[i], s, len) :
			  !strcmp(r->gone.v[i], s))
			return 1;
	return 0;
}

int engine_find_record(struct engine *g, const char *name,
		       struct store_rec *rec, struct err *bad, struct err *e)
{
	const struct docker_container *c;
	struct store_rec *all;
	struct store_bad *bv;
	size_t i, n, nb, len, exact = 0, prefix = 0, hit = 0;
	struct err de, le;
	int rc;

	if (bad)
		bad->msg[0] = 0;
	if (*name == '/')
		name++;
	len = strlen(name);
	if (view_lookup(&g->view, name, 0, &c, &de) == DOCKER_AMBIGUOUS) {
		*e = de;
		return -1;
	}
	if (c && (!strcmp(c->id, name) || !strcmp(c->name, name)))
		goto docker;
	if (store_load_all(&g->store, &all, &n, &bv, &nb, e))
		return -1;
	for (i = 0; i < n + nb; i++) {
		const char *id = i < n ? all[i].id : bv[i - n].id;
		const char *nm = i < n ? all[i].name : bv[i - n].name;

		if (!strcmp(nm, name) || !strcmp(id, name) ||
		    (i < n && gone_id(&all[i], name, 0))) {
			exact++;
			hit = i;
		}
	}
	for (i = 0; i < n + nb && !exact; i++) {
		const char *id = i < n ? all[i].id : bv[i - n].id;

		if (len &&
		    ((!strncmp(id, name, len) && (!c || strcmp(id, c->id))) ||
		     (i < n && gone_id(&all[i], name, len)))) {
			prefix++;
			hit = i;
		}
	}
	rc = exact == 1 || (!c && prefix == 1);
	if (rc && hit < n) {
		*rec = all[hit];
		memset(&all[hit], 0, sizeof(all[hit]));
	} else if (rc) {
		le = bv[hit - n].err;
		rc = unreadable(rec, bv[hit - n].id, bv[hit - n].name, &le, bad,
				e) ?
			     -1 :
			     1;
	}
	store_recs_free(all, n);
	free(bv);
	if (rc)
		return rc < 0 ? -1 : 0;
	if (exact > 1)
		return err_set(e, EXIT_USAGE,
			       "several stored containers are "
			       "named \"%s\": give the ID",
			       name);
	if (prefix && c)
		return err_set(e, EXIT_USAGE,
			       "ambiguous container ID prefix "
			       "\"%s\": more than one container matches",
			       name);
	if (prefix > 1)
		return err_set(e, EXIT_USAGE,
			       "\"%s\" names several stored "
			       "containers: give more of the ID",
			       name);
	if (c)
		goto docker;
	if (de.code != EXIT_USAGE) {
		*e = de;
		return -1;
	}
	return err_set(e, EXIT_USAGE,
		       "no such container \"%s\" (not known "
		       "to Docker nor stored)",
		       name);
docker:
	/* rules belong to the name: the record may be of an earlier
	 * container of that name (engine_sync takes it over) */
	rc = store_load_name(&g->store, c->name, c->id, rec, &le);
	if (rc < 0)
		return unreadable(rec, *rec->id ? rec->id : c->id, c->name, &le,
				  bad, e);
	if (!*rec->id)
		snprintf(rec->id, sizeof(rec->id), "%s", c->id);
	return 0;
}
