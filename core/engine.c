/*
 * engine.c - resolve stored rule specs with today's addresses, plan the
 * difference with the live table, commit it, then write the store.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfw/engine.h"
#include "dfw/hosts.h"
#include "dfw/backend.h"
#include "dfw/plan.h"
#include "dfw/resolve.h"
#include "dfw/view.h"


int engine_init(struct engine *g, const struct dfw_config *c, unsigned what,
		struct err *e)
{
	memset(g, 0, sizeof(*g));
	g->cfg = c;
	g->store.lock_fd = g->store.dir_fd = -1;
	g->env.lock = c->xtables_lock;
	g->env.path = c->path;
	backend_init(&g->be, &g->env, !c->backend ? NULL :
		     !strcmp(c->backend, "nft") ? &fw_nft_ops : &fw_iptc_ops);
	g->dry_run = c->dry_run;
	if (docker_init(&g->d, c, e))
		return -1;
	view_init(&g->view, &g->d);
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
	free(g->hosts);
	strv_free(&g->uncovered);
	strv_free(&g->warnings);
	store_close(&g->store);
	docker_close(&g->d);
	memset(g, 0, sizeof(*g));
}

#define warn(g, ...) strv_addf(&(g)->warnings, __VA_ARGS__)

const struct docker_container *engine_container(struct engine *g,
						const char *name,
						struct err *e)
{
	return view_container(&g->view, name, VIEW_NEEDS_ALL, e);
}

int engine_check_rule(struct engine *g, const struct docker_container *c,
		      struct rulespec *r, struct err *e)
{
	struct resolve_out out[RESOLVE_MAX];
	struct fw_rule base[RESOLVE_MAX];
	size_t i, n;

	if (resolve_check(&g->view, c, r, e))
		return -1;
	/* which backend takes the filter decides now, not at the commit:
	 * the store keeps it as that backend shows it */
	if (resolve_beyond_subset(r) && backend_pick(&g->be, e))
		return -1;
	if (resolve_rule(&g->view, g->be.ops == &fw_iptc_ops, c, r, out,
			 base, &n, e))
		return -1;
	for (i = 0; i < n; i++) {
		struct fw_rule *fr = &out[i].rule;

		if (!fw_extra_known(fr->extra) &&
		    resolve_canon(&g->env, !g->dry_run, r, &base[i], fr,
				  out[i].chain, e))
			return -1;
		if (r->action == RULE_ADD_INPUT && *fr->out)
			return err_set(e, EXIT_USAGE, "add-input: --filter -o "
				       "%s: INPUT has no output interface",
				       fr->out);
	}
	return 0;
}

struct hosts_run;

struct sync_args {
	struct engine *g;
	struct sync_item *items;
	struct resolve_owner *owners;	/* of items */
	size_t n;
	struct plan_wants ws;
	int cleanup;
	struct hosts_run *hosts;	/* written right before the commit */
};

/* The bridges of the selected running containers that init has not
 * closed (no "-i B -o B -j DROP" of ours): their traffic is not
 * whitelisted, which a user adding rules should hear about. */
static void uncovered(struct engine *g, struct fw *f, struct sync_args *a)
{
	const struct fw_chain *ch = fw_chain(f, FW_CHAIN_FORWARD);
	const struct docker_container *c;
	struct err ce;
	size_t i, j, k, r;

	strv_free(&g->uncovered);
	for (i = 0; i < a->n; i++) {
		c = engine_container(g, a->items[i].rec.id, &ce);
		for (j = 0; c && c->running && j < c->nnets; j++)
			for (k = 0; k < g->view.nnets; k++) {
				const char *b = g->view.nets[k].bridge;
				size_t m;

				if (strcmp(g->view.nets[k].name, c->nets[j].name) ||
				    strcmp(g->view.nets[k].driver, "bridge") || !*b)
					continue;
				for (r = 0; r < ch->n; r++)
					if (plan_is_tail(&ch->rules[r]) &&
					    !strcmp(ch->rules[r].in, b))
						break;
				for (m = 0; m < g->uncovered.n; m++)
					if (!strcmp(g->uncovered.v[m],
						    g->view.nets[k].name))
						break;
				if (r == ch->n && m == g->uncovered.n)
					strv_add(&g->uncovered, g->view.nets[k].name,
						 strlen(g->view.nets[k].name));
			}
	}
}

/* The warning for a wanted rule left out. */
static void left_out(struct engine *g, const struct sync_args *a,
		     const struct plan_want *w, const char *why)
{
	const struct store_rec *rec = &a->items[w->item].rec;
	struct buf spec = { 0 };

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
			warn(g, "--filter conditions not brought to the form "
			     "iptables-nft-save prints: %s", pe.msg);
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
			snprintf(why, sizeof(why), "iptables-nft makes the "
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

static int hosts_write(struct engine *g, struct hosts_run *hr,
		       struct err *e);

/* Whether the process of a probe chain runs (or may: not ours to say). */
static int alive(long pid, void *arg)
{
	return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

static int sync_plan(struct fw *f, struct plan *p, void *arg, struct err *e)
{
	struct sync_args *a = arg;
	struct engine *g = a->g;

	if (plan_base(p, f, alive, NULL, e) ||
	    canon_wants(g, a, f->family, e))
		return -1;
	if (g->view.have_nets && f->family == AF_INET)
		uncovered(g, f, a);
	if (plan_rules(p, f, &a->ws, a->owners, a->n, a->cleanup, e))
		return -1;
	/* the hosts files last before the commit (once: a commit the
	 * kernel makes us redo has them already); a plan that fails
	 * leaves them alone, a commit that fails puts them back */
	if (g->dry_run || !a->hosts)
		return 0;
	return hosts_write(g, a->hosts, e);
}

/* ---- hosts entries (add-two-ways) ------------------------------------ */

/*
 * The order, so that nothing is half-applied: every peer's hosts file is
 * checked, locked (with a timeout: a container may hold an flock on its
 * own /etc/hosts) and edited in memory before anything changes
 * (hosts_prepare); the files are written right before the kernel commit,
 * once the plan is made (hosts_write, from sync_plan), and written back
 * as they were when the commit fails (hosts_undo). An entry that a new
 * rule needs (strict) stops the run with nothing changed when it cannot
 * be set; any other (replay, start, drop) is reported for its container,
 * and the rest of the run goes on (engine_sync returns 1).
 */

/* Entries go through the exec API when the daemon is not local (its
 * HostsPath is not ours to open), or when DFW_HOSTS=exec asks so. */
static int hosts_by_exec(struct engine *g)
{
	return g->cfg->hosts_exec || strncmp(g->d.ep.url, "unix://", 7);
}

static int hosts_want(struct engine *g, const struct docker_container *peer,
		      const char *name, const char *ip, int strict)
{
	struct hosts_change *h;
	size_t i;
	void *p;

	for (i = 0; i < g->nhosts; i++)
		if (g->hosts[i].peer == peer &&
		    !strcmp(g->hosts[i].name, name)) {
			g->hosts[i].strict |= strict;
			return 0;
		}
	p = realloc(g->hosts, (g->nhosts + 1) * sizeof(*g->hosts));
	if (!p)
		return -1;
	g->hosts = p;
	h = &g->hosts[g->nhosts++];
	memset(h, 0, sizeof(*h));
	h->peer = peer;
	h->strict = strict;
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->ip, sizeof(h->ip), "%s", ip ? ip : "");
	return 0;
}

/* The hosts entries items[i] asks for: for each add-two-ways rule, the
 * peer maps the container's name to its address, or (dropped, stopped,
 * removed) to nothing. strict: the rule is new (see above). */
static int hosts_plan(struct engine *g, const struct sync_item *it,
		      const struct docker_container *c, size_t j,
		      const struct fw_rule *r, int strict, struct err *e)
{
	const struct rulespec *rs = &it->rec.rules[j];
	const struct docker_container *peer;
	char ip[INET_ADDRSTRLEN];
	struct err pe;

	if (rs->action != RULE_ADD_TWO_WAYS || rs->src.kind != ADDR_CONTAINER)
		return 0;
	peer = engine_container(g, rs->src.name, &pe);
	if (!peer || !peer->running)
		return 0;	/* its hosts file goes with it */
	if (r && !inet_ntop(AF_INET, r->dst, ip, sizeof(ip)))
		return err_set(e, EXIT_RUNTIME, "bad address");
	if (hosts_want(g, peer, c ? c->name : it->rec.name, r ? ip : NULL,
		       strict))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

/* Which rules of a dirty item are new (not in its stored file): their
 * hosts entries are strict. new[j] for rec->rules[j]; NULL when none. */
static int *new_rules(struct engine *g, const struct store_rec *rec)
{
	struct store_rec old;
	struct err e;
	size_t j, k;
	int *v = calloc(rec->nrules + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (j = 0; j < rec->nrules; j++)
		v[j] = 1;
	if (store_load(&g->store, rec->id, &old, &e) > 0) {
		for (j = 0; j < rec->nrules; j++)
			for (k = 0; k < old.nrules; k++)
				if (rulespec_equal(&rec->rules[j],
						   &old.rules[k]))
					v[j] = 0;
		store_rec_free(&old);
	}
	return v;
}

/* One peer's hosts file: all its entries. */
struct hosts_job {
	const struct docker_container *peer;
	size_t first;		/* its entries: g->hosts[i].peer == peer */
	int strict;		/* one entry is strict */
	struct hosts_file f;	/* file way: open and locked to the end */
	struct buf orig;	/* the text it had */
	struct buf out;		/* the text to write */
	int changed;		/* out differs from orig */
	int skip;		/* dry run, paused, exec way: not read */
	int unpaused;		/* exec way: unpaused by this run */
	int written;		/* out is in the file */
	int failed;		/* not applied, why says why */
	int late;		/* applied, but why happened after */
	struct err why;
};

struct hosts_run {
	struct hosts_job *v;
	size_t n;
	struct docker_info info;
	int have_info;		/* 1 read, -1 failed (why in info_err) */
	struct err info_err;
	int done;		/* hosts_write ran */
};

/* Whether p[0..n) is UTF-8 (what a JSON string carries unchanged). */
static int utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0, k, more;
	uint32_t c;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		more = c >= 0xf0 && c < 0xf5 ? 3 : c >= 0xe0 ? 2 :
		       c >= 0xc2 && c < 0xe0 ? 1 : 0;
		if (!more || i + more >= n)
			return 0;
		c &= 0x3f >> more;
		for (k = 1; k <= more; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if ((more == 2 && (c < 0x800 || (c >= 0xd800 && c < 0xe000))) ||
		    (more == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		i += more + 1;
	}
	return 1;
}

/* The first line of an exec's stderr, for a message. */
static const char *first_line(struct buf *b)
{
	size_t i;

	if (!b->data)
		return "";
	for (i = 0; i < b->len && i < 200; i++)
		if ((unsigned char)b->data[i] < ' ' || b->data[i] == 0x7f)
			break;
	b->data[i] = 0;
	return b->data;
}

/*
 * The exec way's check, which changes nothing: /etc/hosts is a regular
 * file, opens for appending (a read-only mount fails here; `test -w` is
 * true for root whatever the mount), is at most $1 bytes; then its text.
 * `true`, not `:`: a failed redirection of a special built-in ends sh.
 */
static const char hosts_check_sh[] =
	"f=/etc/hosts\n"
	"[ -f \"$f\" ] || exit 64\n"
	"{ [ -w \"$f\" ] && true >>\"$f\"; } 2>/dev/null || exit 65\n"
	"n=$(wc -c <\"$f\") || exit 66\n"
	"[ $n -le \"$1\" ] || exit 67\n"
	"exec cat \"$f\"\n";

static int exec_read(struct engine *g, struct hosts_job *j, struct err *e)
{
	char max[16];
	const char *argv[] = { "sh", "-c", hosts_check_sh, "sh", max, NULL };
	const struct docker_container *p = j->peer;
	struct buf errout = { 0 };
	int code = 0, rc = -1;

	snprintf(max, sizeof(max), "%d", HOSTS_MAX);
	if (p->paused) {
		if (docker_container_action(&g->d, p->id, "unpause", e))
			return -1;
		j->unpaused = 1;
	}
	if (docker_exec(&g->d, p->id, argv, &j->orig, &errout, &code, e))
		goto out;
	switch (code) {
	case 0:
		break;
	case 64:
		err_set(e, EXIT_USAGE, "/etc/hosts is missing or not a "
			"regular file in the container");
		goto out;
	case 65:
		err_set(e, EXIT_USAGE, "/etc/hosts is read-only in the "
			"container (it does not open for writing)");
		goto out;
	case 67:
		err_set(e, EXIT_USAGE, "/etc/hosts is larger than %d bytes "
			"(the limit)", HOSTS_MAX);
		goto out;
	case 126:
	case 127:
		err_set(e, EXIT_USAGE, "cannot run sh in the container (exit "
			"%d%s%s): with this daemon docker-fw edits /etc/hosts "
			"through docker exec and a POSIX sh", code,
			errout.len ? ": " : "", first_line(&errout));
		goto out;
	default:
		err_set(e, EXIT_RUNTIME, "checking /etc/hosts in the container "
			"exited %d%s%s", code, errout.len ? ": " : "",
			first_line(&errout));
		goto out;
	}
	if (j->orig.len > HOSTS_MAX)
		err_set(e, EXIT_USAGE, "/etc/hosts is larger than %d bytes "
			"(the limit)", HOSTS_MAX);
	else if (j->orig.data && memchr(j->orig.data, 0, j->orig.len))
		err_set(e, EXIT_USAGE, "/etc/hosts holds a NUL byte: it "
			"cannot be written back through docker exec");
	else if (!utf8_ok((const unsigned char *)j->orig.data, j->orig.len))
		err_set(e, EXIT_USAGE, "/etc/hosts holds bytes that are not "
			"UTF-8: they cannot be written back through docker "
			"exec");
	else
		rc = 0;
out:
	buf_free(&errout);
	return rc;
}

/* The exec way's write: text in argument chunks of at most 64 KiB (one
 * argument may not pass 128 KiB), cut between UTF-8 sequences. */
static int exec_write(struct engine *g, struct hosts_job *j,
		      const struct buf *text, struct err *e)
{
	static const char sh[] = "printf %s \"$@\" >/etc/hosts";
	struct strv args = { 0 };
	const char **argv = NULL;
	size_t off = 0, n, i;
	int code = 0, rc = -1;

	if (strv_add(&args, "sh", 2) || strv_add(&args, "-c", 2) ||
	    strv_add(&args, sh, sizeof(sh) - 1) || strv_add(&args, "sh", 2))
		goto nomem;
	while (off < text->len) {
		n = text->len - off > 65536 ? 65536 : text->len - off;
		while (off + n < text->len && n > 1 &&
		       ((unsigned char)text->data[off + n] & 0xc0) == 0x80)
			n--;
		if (strv_add(&args, text->data + off, n))
			goto nomem;
		off += n;
	}
	argv = calloc(args.n + 1, sizeof(*argv));
	if (!argv)
		goto nomem;
	for (i = 0; i < args.n; i++)
		argv[i] = args.v[i];
	if (docker_exec(&g->d, j->peer->id, argv, NULL, NULL, &code, e))
		goto out;
	if (code) {
		err_set(e, EXIT_RUNTIME, "writing /etc/hosts in the container "
			"exited %d", code);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	free(argv);
	strv_free(&args);
	return rc;
}

/* Pauses again a peer this run unpaused. */
static int repause(struct engine *g, struct hosts_job *j, struct err *e)
{
	if (!j->unpaused)
		return 0;
	j->unpaused = 0;
	if (docker_container_action(&g->d, j->peer->id, "pause", e))
		return err_wrap(e, "container \"%s\" was unpaused for its "
				"hosts file and could not be paused again",
				j->peer->name);
	return 0;
}

/* "hosts entries of "a", "b" in container "p"" into out. */
static void entries_of(struct engine *g, const struct hosts_job *j,
		       char *out, size_t size)
{
	size_t i, k = 0, off;

	off = (size_t)snprintf(out, size, "hosts entr");
	for (i = j->first; i < g->nhosts; i++)
		k += g->hosts[i].peer == j->peer;
	if (off < size)
		off += (size_t)snprintf(out + off, size - off, "%s of ",
					k > 1 ? "ies" : "y");
	for (i = j->first, k = 0; i < g->nhosts && off < size; i++)
		if (g->hosts[i].peer == j->peer)
			off += (size_t)snprintf(out + off, size - off,
						"%s\"%s\"", k++ ? ", " : "",
						g->hosts[i].name);
	if (off < size)
		snprintf(out + off, size - off, " in container \"%s\"",
			 j->peer->name);
}

/* Marks j failed: its entries count as not applied. */
static void job_fail(struct engine *g, struct hosts_job *j,
		     const struct err *why)
{
	char what[300], self[300], *cut;
	size_t i;

	j->failed = 1;
	j->why = *why;
	entries_of(g, j, what, sizeof(what));
	/* "container "p": ..." already says whose file it is */
	snprintf(self, sizeof(self), "container \"%s\"", j->peer->name);
	if (!strncmp(why->msg, self, strlen(self)) &&
	    (cut = strstr(what, " in container \"")))
		*cut = 0;
	err_wrap(&j->why, "%s", what);
	/* a dry run counts it as pending: a real run would not be done */
	for (i = j->first; i < g->nhosts; i++)
		if (g->hosts[i].peer == j->peer)
			g->hosts[i].changed = g->dry_run ? 3 : 0;
}

/* Checks, locks and reads j's file, and makes its new text. */
static int job_prepare(struct engine *g, struct hosts_run *hr,
		       struct hosts_job *j, struct err *e)
{
	const struct docker_container *p = j->peer;
	struct buf tmp = { 0 };
	size_t i;
	int rc;

	if (hosts_mount_check(p, e))
		return -1;
	if (!*p->hosts_path)
		return err_set(e, EXIT_USAGE, "container \"%s\" has no hosts "
			       "file (HostsPath)", p->name);
	if (!hr->have_info)
		hr->have_info = docker_info(&g->d, &hr->info, &hr->info_err) ?
				-1 : 1;
	if (hr->have_info < 0) {
		*e = hr->info_err;
		return -1;
	}
	if (hosts_path_check(hr->info.root_dir, p->id, p->hosts_path, e))
		return -1;
	if (!hosts_by_exec(g)) {
		/* a dry run opens it for writing too: the same checks */
		if (hosts_file_open(&j->f, p->hosts_path, 1, HOSTS_LOCK_MS, e))
			return -1;
		if (buf_add(&j->orig, j->f.text.data, j->f.text.len))
			return err_set(e, EXIT_RUNTIME, "out of memory");
	} else if (g->dry_run && p->paused) {
		j->skip = 1;	/* a dry run unpauses nothing */
		for (i = j->first; i < g->nhosts; i++)
			if (g->hosts[i].peer == p)
				g->hosts[i].changed = 2;
		return 0;
	} else if (exec_read(g, j, e)) {
		return -1;
	}
	if (buf_add(&j->out, j->orig.data ? j->orig.data : "", j->orig.len))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (i = j->first; i < g->nhosts; i++) {
		struct hosts_change *h = &g->hosts[i];

		if (h->peer != p)
			continue;
		tmp.len = 0;
		rc = hosts_edit(j->out.data, j->out.len, h->name,
				*h->ip ? h->ip : NULL, &tmp);
		if (rc < 0) {
			buf_free(&tmp);
			if (errno == EINVAL)
				return err_set(e, EXIT_USAGE, "name \"%.100s\" "
					       "or address \"%s\" cannot stand "
					       "in a hosts line (a blank, "
					       "control character or '#')",
					       h->name, h->ip);
			return err_set(e, EXIT_RUNTIME, "out of memory");
		}
		h->changed = rc;
		if (rc) {
			struct buf t = j->out;

			j->out = tmp;
			tmp = t;
		}
	}
	buf_free(&tmp);
	j->changed = j->out.len != j->orig.len ||
		     (j->out.len && memcmp(j->out.data, j->orig.data,
					   j->out.len));
	if (j->changed && !g->dry_run && !hosts_by_exec(g) &&
	    hosts_file_reserve(&j->f, j->out.len, e))
		return -1;
	if (!j->changed || g->dry_run)
		return repause(g, j, e);
	return 0;
}

/* Jobs for g->hosts, each checked (nothing changes). -1 with e set when
 * a strict one fails; the others' failures are kept in their jobs. */
static int hosts_prepare(struct engine *g, struct hosts_run *hr,
			 struct err *e)
{
	struct err je;
	size_t i, k;
	void *p;

	for (i = 0; i < g->nhosts; i++) {
		for (k = 0; k < hr->n; k++)
			if (hr->v[k].peer == g->hosts[i].peer)
				break;
		if (k == hr->n) {
			p = realloc(hr->v, (hr->n + 1) * sizeof(*hr->v));
			if (!p)
				return err_set(e, EXIT_RUNTIME, "out of "
					       "memory");
			hr->v = p;
			memset(&hr->v[k], 0, sizeof(hr->v[k]));
			hr->v[k].peer = g->hosts[i].peer;
			hr->v[k].first = i;
			hr->v[k].f.fd = -1;
			hr->n++;
		}
		hr->v[k].strict |= g->hosts[i].strict;
	}
	for (k = 0; k < hr->n; k++) {
		struct hosts_job *j = &hr->v[k];

		if (!job_prepare(g, hr, j, &je))
			continue;
		job_fail(g, j, &je);
		if (j->strict) {
			*e = j->why;
			return -1;
		}
	}
	return 0;
}

/* Writes every job that changes its file (right before the commit). -1
 * with e set when a strict one fails; the caller undoes the others. */
static int hosts_write(struct engine *g, struct hosts_run *hr,
		       struct err *e)
{
	struct err we, ue;
	size_t k;
	int rc;

	if (hr->done)
		return 0;
	hr->done = 1;
	for (k = 0; k < hr->n; k++) {
		struct hosts_job *j = &hr->v[k];

		if (j->failed || j->skip || !j->changed)
			continue;
		rc = hosts_by_exec(g) ? exec_write(g, j, &j->out, &we) :
		     hosts_file_write(&j->f, j->out.data, j->out.len, &we);
		if (!rc) {
			j->written = 1;
			if (repause(g, j, &j->why))
				j->late = 1;	/* written; reported */
			continue;
		}
		/* part of it may be in the file: the old text back */
		if (hosts_by_exec(g) ? exec_write(g, j, &j->orig, &ue) :
		    hosts_file_write(&j->f, j->orig.data, j->orig.len, &ue))
			warn(g, "container \"%s\": its hosts file could not "
			     "be put back as it was: %s", j->peer->name,
			     ue.msg);
		repause(g, j, &ue);
		job_fail(g, j, &we);
		if (j->strict) {
			*e = j->why;
			return -1;
		}
	}
	return 0;
}

/* The commit failed: the files written go back to what they were. */
static void hosts_undo(struct engine *g, struct hosts_run *hr)
{
	struct err ue;
	size_t k, i;

	for (k = 0; k < hr->n; k++) {
		struct hosts_job *j = &hr->v[k];
		int paused = j->peer->paused && !j->unpaused;

		if (!j->written)
			continue;
		if (hosts_by_exec(g) && paused &&
		    docker_container_action(&g->d, j->peer->id, "unpause",
					    &ue)) {
			warn(g, "container \"%s\": its hosts file keeps "
			     "docker-fw's new entries: %s", j->peer->name,
			     ue.msg);
			continue;
		}
		j->unpaused |= hosts_by_exec(g) && paused;
		if (hosts_by_exec(g) ? exec_write(g, j, &j->orig, &ue) :
		    hosts_file_write(&j->f, j->orig.data, j->orig.len, &ue))
			warn(g, "container \"%s\": its hosts file keeps "
			     "docker-fw's new entries: %s", j->peer->name,
			     ue.msg);
		if (repause(g, j, &ue))
			warn(g, "%s", ue.msg);
		j->written = 0;
		for (i = j->first; i < g->nhosts; i++)
			if (g->hosts[i].peer == j->peer)
				g->hosts[i].changed = 0;
	}
}

/* Closes the files, pauses again, frees; the failures of non-strict
 * jobs go in e (the first) and the warnings (the others): 1, else 0. */
static int hosts_finish(struct engine *g, struct hosts_run *hr,
			struct err *e)
{
	struct err pe;
	size_t k, n, nfail = 0;
	int late = 0;

	for (k = 0; k < hr->n; k++) {
		struct hosts_job *j = &hr->v[k];

		if (repause(g, j, &pe))
			warn(g, "%s", pe.msg);
		hosts_file_close(&j->f);
		buf_free(&j->orig);
		buf_free(&j->out);
		if ((!j->failed && !j->late) || !e)
			continue;
		if (g->dry_run)
			warn(g, "%s", j->why.msg);
		else if (nfail++)
			warn(g, "%s%s", j->why.msg, j->late ? "" :
			     "; not applied");
		else
			*e = j->why, late = j->late;
	}
	free(hr->v);
	memset(hr, 0, sizeof(*hr));
	if (!nfail)
		return 0;
	e->code = EXIT_RUNTIME;
	n = strlen(e->msg);
	if (nfail > 1)
		snprintf(e->msg + n, sizeof(e->msg) - n, "%s, nor %zu more "
			 "(warnings above); everything else was%s",
			 late ? "" : "; not applied", nfail - 1,
			 late ? " applied" : "");
	else
		snprintf(e->msg + n, sizeof(e->msg) - n, "%s; everything else "
			 "was%s", late ? "" : "; not applied",
			 late ? " applied" : "");
	return 1;
}

int engine_sync(struct engine *g, struct sync_item *items, size_t n,
		int cleanup, struct err *e)
{
	struct sync_args a = { g, items, NULL, n, { 0 }, cleanup, NULL };
	const struct docker_container *c;
	struct store_txn *txn = NULL;
	struct hosts_run hr;
	struct err ce;
	struct buf spec = { 0 };
	struct resolve_out out[RESOLVE_MAX];
	int *fresh = NULL, nodocker = 0;
	size_t i, j, k, nout;
	int rc = -1;

	memset(&hr, 0, sizeof(hr));
	a.owners = calloc(n + 1, sizeof(*a.owners));
	if (!a.owners)
		goto nomem;
	for (i = 0; i < n; i++) {
		a.owners[i].id = items[i].rec.id;
		a.owners[i].name = items[i].rec.name;
		a.owners[i].keep = items[i].keep;
	}
	for (i = 0; i < n; i++) {
		struct store_rec *rec = &items[i].rec;

		if (items[i].keep)
			continue;
		/* the rules an add* brings (dirty before a rename marks
		 * it): their hosts entries must be set, or nothing is */
		free(fresh);
		fresh = items[i].dirty && !items[i].drop ?
			new_rules(g, rec) : NULL;
		if (items[i].dirty && !items[i].drop && !fresh)
			goto nomem;
		c = nodocker && items[i].drop ? NULL :
		    engine_container(g, rec->id, &ce);
		items[i].known = !!c;
		items[i].running = c && c->running;
		if (!c && !nodocker && ce.code != EXIT_USAGE) {
			if (!items[i].drop) {
				*e = ce;
				goto out;
			}
			/* drop needs no Docker: the rules are found by
			 * their comments, the file by its ID */
			nodocker = 1;
			warn(g, "%s; dropping by the store and the rules' "
			     "comments: hosts entries (add-two-ways) stay in "
			     "the peers' hosts files until Docker rewrites "
			     "them", ce.msg);
		}
		if (nodocker && items[i].drop)
			continue;
		if (c && strcmp(rec->name, c->name)) {
			snprintf(rec->name, sizeof(rec->name), "%s", c->name);
			items[i].dirty = 1;
		}
		if (!c && rec->nrules && !items[i].drop)
			warn(g, "container \"%s\" (%.12s) no longer "
			     "exists: its rules are out of the table; "
			     "`docker-fw drop %.12s` forgets them",
			     rec->name, rec->id, rec->id);
		for (j = 0; j < rec->nrules; j++) {
			if (items[i].drop || !c || !c->running) {
				if (hosts_plan(g, &items[i], c, j, NULL, 0, e))
					goto out;
				continue;
			}
			if (!resolve_rule(&g->view, g->be.ops == &fw_iptc_ops,
					  c, &rec->rules[j], out, NULL, &nout,
					  &ce)) {
				for (k = 0; k < nout; k++)
					if (plan_wants_add(&a.ws, &out[k], i,
							   j))
						goto nomem;
				/* the hosts entry: the IPv4 address */
				if (hosts_plan(g, &items[i], c, j,
					       &out[0].rule, fresh && fresh[j],
					       e))
					goto nomem;
				continue;
			}
			spec.len = 0;
			rulespec_format(&rec->rules[j], &spec);
			warn(g, "%s %s %s: left out: %s",
			     rule_action_name(rec->rules[j].action), c->name,
			     spec.data ? spec.data : "", ce.msg);
		}
	}
	/* the new store files are written (as temporary files) before the
	 * kernel changes: a full disk or a read-only store stops the run
	 * with nothing changed */
	txn = calloc(n + 1, sizeof(*txn));
	if (!txn)
		goto nomem;
	for (i = 0; i < n && !g->dry_run; i++) {
		struct store_rec none = items[i].rec;

		none.rules = NULL;
		none.nrules = 0;
		memset(&none.hostconfig, 0, sizeof(none.hostconfig));
		if ((items[i].dirty || items[i].drop) &&
		    store_prepare(&g->store, items[i].drop ? &none :
				  &items[i].rec, &txn[i], e))
			goto out;
	}
	if (view_networks(&g->view, &ce))	/* only for the warning below */
		g->view.have_nets = 0;
	/* the hosts files: checked and locked now, written by sync_plan
	 * right before the commit, put back if the commit fails */
	if (hosts_prepare(g, &hr, e))
		goto out;
	a.hosts = &hr;
	if (backend_transact(&g->be, g->dry_run, sync_plan, &a, g->plans,
			     e)) {
		hosts_undo(g, &hr);
		goto out;
	}
	for (i = 0; i < g->uncovered.n; i++)
		warn(g, "network \"%s\" is not closed by `docker-fw init`: "
		     "its containers are not whitelisted until it runs",
		     g->uncovered.v[i]);
	for (i = 0; i < n; i++)
		if (store_commit(&txn[i], e))
			goto out;
	rc = hosts_finish(g, &hr, e);
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	hosts_finish(g, &hr, NULL);
	for (i = 0; txn && i < n; i++)
		store_abort(&txn[i]);
	free(txn);
	free(fresh);
	buf_free(&spec);
	plan_wants_free(&a.ws);
	free(a.owners);
	return rc;
}

/* ---- init ------------------------------------------------------------- */

struct setup_args {
	const char **bridges;
	size_t n;
	int all;		/* every bridge network: stale tails go */
};

static int setup_plan(struct fw *f, struct plan *p, void *arg,
		      struct err *e)
{
	struct setup_args *a = arg;

	if (plan_base(p, f, alive, NULL, e))
		return -1;
	return plan_setup(p, f, a->bridges, a->n, a->all, e);
}

int engine_setup(struct engine *g, const struct strv *names, struct err *e)
{
	struct setup_args a = { NULL, 0, !names->n };
	size_t i, j;
	int rc = -1;

	if (view_networks(&g->view, e))
		return -1;
	a.bridges = calloc(g->view.nnets + 1, sizeof(*a.bridges));
	if (!a.bridges)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (i = 0; i < names->n; i++) {
		for (j = 0; j < g->view.nnets; j++)
			if (!strcmp(g->view.nets[j].name, names->v[i]) ||
			    !strcmp(g->view.nets[j].id, names->v[i]))
				break;
		if (j == g->view.nnets) {
			err_set(e, EXIT_USAGE, "--network \"%s\": no such "
				"network", names->v[i]);
			goto out;
		}
		if (strcmp(g->view.nets[j].driver, "bridge") ||
		    !*g->view.nets[j].bridge) {
			err_set(e, EXIT_USAGE, "--network \"%s\": not a bridge "
				"network (driver \"%s\")", names->v[i],
				g->view.nets[j].driver);
			goto out;
		}
	}
	for (j = 0; j < g->view.nnets; j++) {
		int want = !names->n;

		for (i = 0; i < names->n; i++)
			if (!strcmp(g->view.nets[j].name, names->v[i]) ||
			    !strcmp(g->view.nets[j].id, names->v[i]))
				want = 1;
		if (want && !strcmp(g->view.nets[j].driver, "bridge") &&
		    *g->view.nets[j].bridge)
			a.bridges[a.n++] = g->view.nets[j].bridge;
	}
	rc = backend_transact(&g->be, g->dry_run, setup_plan, &a, g->plans, e);
out:
	free(a.bridges);
	return rc;
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
		warn(g, "%s: rules of %.12s naming \"%s\", if any, are not "
		     "replayed", bad[i].err.msg, bad[i].id, c->name);
	free(bad);
	for (i = 0; i < nall; i++) {
		int dep = 0;

		for (j = 0; j < all[i].nrules && strcmp(all[i].id, c->id);
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
	if (g->be.ops)
		fprintf(f, "# backend %s: %s; Docker firewall layout %s\n",
			g->be.ops->name, g->be.ops->what, g->be.layout);
}

size_t engine_pending(const struct engine *g)
{
	size_t i, n = 0;

	for (i = 0; i < BACKEND_NFAMILIES; i++)
		n += g->plans[i].n;

	for (i = 0; i < g->nhosts; i++)
		n += g->hosts[i].changed != 0;
	return n;
}

void engine_print_changes(const struct engine *g, FILE *f)
{
	struct buf b = { 0 };
	size_t i, k;

	if (g->be.retries)
		fprintf(f, "# the table changed under this run: redone %d "
			"time%s\n", g->be.retries, g->be.retries > 1 ? "s" :
			"");

	for (k = 0; k < BACKEND_NFAMILIES; k++)
		for (i = 0; i < g->plans[k].n; i++) {
			b.len = 0;
			if (!fw_change_format(&g->plans[k].v[i], &b))
				fprintf(f, "%s\n", b.data);
		}
	for (i = 0; i < g->nhosts; i++)
		if (g->hosts[i].changed)
			fprintf(f, "# hosts file of %s: %s %s\n",
				g->hosts[i].peer->name, g->hosts[i].name,
				g->hosts[i].changed == 2 ? "not checked "
				"(paused, and a dry run unpauses nothing)" :
				g->hosts[i].changed == 3 ? "cannot be set "
				"(see the warning)" :
				*g->hosts[i].ip ? g->hosts[i].ip : "removed");
	buf_free(&b);
}
