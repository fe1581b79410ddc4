/*
 * add.c - add, add-internal, add-input and allow: new rule specs for one
 * container, checked against Docker, applied in one commit, then stored.
 * All or nothing: one bad spec (or --from line) and nothing changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "dfw/resolve.h"

struct specs {
	struct rulespec *v;
	size_t n;
	struct strv where; /* "FILE:LINE" per spec, for messages */
	struct strv ctr;   /* the container a --from line names, or "" */
};

static void specs_free(struct specs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		rulespec_free(&s->v[i]);
	free(s->v);
	strv_free(&s->where);
	strv_free(&s->ctr);
}

static int specs_push(struct specs *s, struct rulespec *r, const char *where)
{
	void *p = realloc(s->v, (s->n + 1) * sizeof(*r));

	if (!p || strv_add(&s->where, where, strlen(where)) ||
	    strv_add(&s->ctr, "", 0)) {
		if (p)
			s->v = p;
		rulespec_free(r);
		return -1;
	}
	s->v = p;
	s->v[s->n++] = *r;
	return 0;
}

/* Reads `--from FILE` ("-": stdin): one spec per line, bounded as
 * rulespec.h says. Without a container on the command line (ctr NULL),
 * every line must name one. */
static int read_from(const char *file, const char *ctr, enum rule_action act,
		     int rev, struct specs *s, struct err *e)
{
	int stdin_ = !strcmp(file, "-");
	int fd = stdin_ ? 0 : open(file, O_RDONLY | O_CLOEXEC);
	struct rulespec_from f;
	char where[300];
	size_t i;
	int rc;

	if (fd < 0)
		return err_set(e, EXIT_USAGE, "--from \"%s\": %s", file,
			       strerror(errno));
	rulespec_from_init(&f, stdin_ ? "(stdin)" : file, act, rev);
	rc = rulespec_from_fd(&f, fd, e);
	if (!stdin_)
		close(fd);
	for (i = 0; !rc && !ctr && i < f.n; i++)
		if (!*f.ctr.v[i])
			rc = err_set(e, EXIT_USAGE,
				     "%s:%lu: names no "
				     "container: start the line with it "
				     "(CONTAINER OPTIONS...), or name it on "
				     "the command line",
				     f.name, f.line[i]);
	if (!rc) { /* s is empty: it takes the specs over */
		s->v = f.v;
		s->n = f.n;
		s->ctr = f.ctr;
		f.v = NULL;
		f.n = 0;
		memset(&f.ctr, 0, sizeof(f.ctr));
	}
	for (i = 0; !rc && i < s->n; i++) {
		snprintf(where, sizeof(where), "%s:%lu", f.name, f.line[i]);
		if (strv_add(&s->where, where, strlen(where)))
			rc = err_set(e, EXIT_RUNTIME, "out of memory");
	}
	rulespec_from_free(&f);
	return rc;
}

/* add's own options: the rule options (rulespec.h), then --from. */
#define ADD_FROM RULESPEC_NOPTS
#define ADD_NOPTS (RULESPEC_NOPTS + 1)

/* The rule options as given, applied once the command line is read:
 * `C --from FILE` takes no other rule option but --rev-lookup. */
struct add_args {
	struct {
		size_t i;
		const char *v;
	} * given;
	size_t n;
	unsigned seen;
	const char *from;
};

static int add_opt(void *arg, size_t i, const char *v, const char *word,
		   struct err *e)
{
	struct add_args *a = arg;

	if (i == ADD_FROM) {
		a->from = v;
		return 0;
	}
	a->given[a->n].i = i;
	a->given[a->n++].v = v;
	a->seen |= 1u << i;
	return 0;
}

/* The specs of `C OPTIONS...` or `[C] --from FILE [--rev-lookup]` (ctr
 * NULL: no C). */
static int parse_specs(enum rule_action act, const char *ctr,
		       struct add_args *a, struct specs *s, struct err *e)
{
	struct rulespec r;
	size_t i;

	if (a->from) {
		if (a->seen & ~(1u << RULESPEC_REV_LOOKUP))
			return err_set(e, EXIT_USAGE,
				       "--from takes the rule "
				       "specs from the file: no other rule "
				       "option (but --rev-lookup) next to it");
		return read_from(a->from, ctr, act, !!a->seen, s, e);
	}
	rulespec_init(&r, act);
	for (i = 0; i < a->n; i++)
		if (rulespec_set(&r, a->given[i].i, a->given[i].v, NULL, e)) {
			rulespec_free(&r);
			return -1;
		}
	if (rulespec_end(&r, a->seen, e)) {
		rulespec_free(&r);
		return -1;
	}
	if (specs_push(s, &r, ""))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

/* One container's new rules: its store record and its specs. #18: the
 * record's rules are found by an index, not by comparing each: eq by
 * rulespec_equal's fields, sbn by rulespec_same_but_net's. A rule
 * that moves away is marked gone (gone[j], its rule kept) and goes when
 * the group is compacted (group_compact), so positions stay put while
 * the specs are stored. */
struct group {
	const struct docker_container *c;
	struct sync_item item;
	struct rulespec_index eq, sbn;
	unsigned char *gone; /* ngone bytes, 1: rules[j] went */
	size_t ngone;
};

static void groups_free(struct group *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		store_rec_free(&v[i].item.rec);
		if (v[i].item.old) {
			store_rec_free((struct store_rec *)v[i].item.old);
			free((void *)v[i].item.old);
		}
		rulespec_index_free(&v[i].eq);
		rulespec_index_free(&v[i].sbn);
		free(v[i].gone);
	}
	free(v);
}

/* The rules of gr's record from position from on put in its indexes
 * (and in gone, not gone). 0 or -1 (ENOMEM). */
static int group_index(struct group *gr, size_t from)
{
	const struct store_rec *rec = &gr->item.rec;
	unsigned char *p;
	size_t j;

	if (rec->nrules > gr->ngone) {
		p = realloc(gr->gone, rec->nrules);
		if (!p)
			return -1;
		memset(p + gr->ngone, 0, rec->nrules - gr->ngone);
		gr->gone = p;
		gr->ngone = rec->nrules;
	}
	for (j = from; j < rec->nrules; j++)
		if (rulespec_index_add(&gr->eq, &rec->rules[j], j) ||
		    rulespec_index_add(&gr->sbn, &rec->rules[j], j))
			return -1;
	return 0;
}

/* The rules marked gone freed and taken out of gr's record; its
 * indexes are of no more use. */
static void group_compact(struct group *gr)
{
	struct store_rec *rec = &gr->item.rec;
	size_t j, k = 0;

	for (j = 0; j < rec->nrules; j++) {
		if (j < gr->ngone && gr->gone[j]) {
			rulespec_free(&rec->rules[j]);
			continue;
		}
		rec->rules[k++] = rec->rules[j];
	}
	rec->nrules = k;
	rulespec_index_free(&gr->eq);
	rulespec_index_free(&gr->sbn);
	free(gr->gone);
	gr->gone = NULL;
	gr->ngone = 0;
}

/*
 * The container of spec i: the one its --from line names, else name
 * (the command line's); a line naming another container than the
 * command line is an error naming the line. NULL with e set.
 */
static const struct docker_container *spec_container(struct engine *g,
						     const char *name,
						     const struct specs *s,
						     size_t i, struct err *e)
{
	const struct docker_container *c, *cc;
	const char *line = s->ctr.v[i];

	c = engine_container(g, *line ? line : name, e);
	if (!c || !*line || !name)
		goto out;
	cc = engine_container(g, name, e);
	if (!cc)
		return NULL;
	if (strcmp(c->id, cc->id)) {
		err_set(e, EXIT_USAGE,
			"names container \"%s\", not \"%s\" "
			"of the command line (without a container on the "
			"command line, each line names its own)",
			line, name);
		c = NULL;
	}
out:
	if (!c && *s->where.v[i])
		err_wrap(e, "%s", s->where.v[i]);
	return c;
}

/* The group of c in v[0..*n), made (its store record loaded) when new;
 * NULL with e set. */
/* it->old: a copy of it->rec's rules as they are now. 0 or -1. */
static int keep_old(struct sync_item *it)
{
	struct store_rec *old = calloc(1, sizeof(*old));
	size_t j;

	if (!old)
		return -1;
	it->old = old;
	for (j = 0; j < it->rec.nrules; j++)
		if (store_rec_add(old, &it->rec.rules[j]))
			return -1;
	return 0;
}

static struct group *group_of(struct engine *g, struct group **v, size_t *n,
			      const struct docker_container *c, struct err *e)
{
	struct group *p;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*v)[i].c == c)
			return &(*v)[i];
	p = realloc(*v, (*n + 1) * sizeof(*p));
	if (!p) {
		err_set(e, EXIT_RUNTIME, "out of memory");
		return NULL;
	}
	*v = p;
	p += *n;
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->eq.net = 1;
	if (store_load_name(&g->store, c->name, c->id, &p->item.rec, e) < 0) {
		engine_bad_file_hint(e, c->id);
		store_rec_free(&p->item.rec);
		return NULL;
	}
	(*n)++;
	/* the rules as read, for engine_sync to tell the new ones without
	 * reading the whole store again (#18) */
	if (keep_old(&p->item) || group_index(p, 0)) {
		err_set(e, EXIT_RUNTIME, "out of memory");
		return NULL;
	}
	return p;
}

/* Whether stored rule t of c may move: made without --network, or on
 * one the topology no longer lets it use (it cannot be applied). */
static int movable(struct engine *g, const struct docker_container *c,
		   const struct rulespec *t)
{
	struct resolve_out out[RESOLVE_MAX];
	struct err e;
	size_t n;

	return !*t->network || resolve_rule(&g->view, 0, c, t, out, NULL, &n,
					    &e) == RESOLVE_UNPLACED;
}

/* Marks gone the movable rules of gr's record equal to n but for their
 * network, but rules[keep]: 1 when one went, else 0. */
static int drop_moved(struct engine *g, const struct docker_container *c,
		      struct group *gr, const struct rulespec *n, size_t keep)
{
	const struct store_rec *rec = &gr->item.rec;
	uint64_t h = rulespec_hash(n, 0);
	size_t j, it = 0;
	int gone = 0;

	while (rulespec_index_next(&gr->sbn, h, &it, &j))
		if (j != keep && !gr->gone[j] &&
		    rulespec_same_but_net(&rec->rules[j], n) &&
		    movable(g, c, &rec->rules[j])) {
			gr->gone[j] = 1;
			gone = 1;
		}
	return gone;
}

/*
 * A new spec n of c against c's stored rules rec (README: moving a
 * rule): 2 when stored already (equal, or without --network the same
 * rule stored with --network of the network n is made on); 1 when the
 * record changed instead of taking n as a new rule: n took the place of
 * a rule equal to it but for the network that may move (movable), the
 * other such rules went, or its recorded network was made n's; 0 when n
 * is new; -1 (ENOMEM).
 */
static int stored_as(struct engine *g, const struct docker_container *c,
		     struct group *gr, const struct rulespec *n)
{
	struct store_rec *rec = &gr->item.rec;
	struct rulespec *t;
	uint64_t h = rulespec_hash(n, 1);
	size_t j, it = 0, first = SIZE_MAX;
	int changed = 0;

	/* the first equal rule (a rule that moved has an entry for each
	 * network it had: the index's order is not the record's) */
	while (rulespec_index_next(&gr->eq, h, &it, &j))
		if (j < first && !gr->gone[j] &&
		    rulespec_equal(&rec->rules[j], n))
			first = j;
	if (first != SIZE_MAX) {
		t = &rec->rules[first];
		if (!*t->network && strcmp(t->made_on, n->made_on)) {
			t->made_on = n->made_on; /* pooled: shared */
			changed = 1;
		}
		changed |= drop_moved(g, c, gr, n, first);
		return changed ? 1 : 2;
	}
	/* the rules equal but for the network, in the record's order */
	h = rulespec_hash(n, 0);
	it = 0;
	while (rulespec_index_next(&gr->sbn, h, &it, &j)) {
		t = &rec->rules[j];
		if (gr->gone[j] || !rulespec_same_but_net(t, n))
			continue;
		if (movable(g, c, t)) {
			rulespec_free(t);
			if (rulespec_copy(t, n) ||
			    rulespec_index_add(&gr->eq, t, j))
				return -1;
			drop_moved(g, c, gr, n, j);
			return 1;
		}
		if (!*n->network && !strcmp(t->network, n->made_on))
			return 2; /* the same rule, by --network */
	}
	return 0;
}

/* Checks the specs against Docker, then stores and applies them, every
 * container's in one run (a spec stored already is not stored twice). g
 * is the caller's; it frees it. name: the command line's container, NULL
 * when the --from lines name theirs. */
static int apply(struct engine *g, const struct dfw_config *o, const char *name,
		 struct specs *s, const struct strv *notes)
{
	const struct docker_container *c;
	struct group *groups = NULL, *gr;
	struct sync_item *items = NULL;
	struct err e;
	size_t i, ng = 0;
	int rc, partial;

	for (i = 0; i < s->n; i++) {
		c = spec_container(g, name, s, i, &e);
		if (!c)
			goto err;
		if (engine_check_rule(g, c, &s->v[i], &e)) {
			if (*s->where.v[i])
				err_wrap(&e, "%s", s->where.v[i]);
			goto err;
		}
	}
	for (i = 0; i < s->n; i++) {
		c = spec_container(g, name, s, i, &e);
		gr = c ? group_of(g, &groups, &ng, c, &e) : NULL;
		if (!gr)
			goto err;
		rc = stored_as(g, c, gr, &s->v[i]);
		if (rc < 0) {
			err_set(&e, EXIT_RUNTIME, "out of memory");
			goto err;
		}
		gr->item.dirty |= rc == 1;
		if (rc)
			continue;
		if (store_rec_add(&gr->item.rec, &s->v[i]) ||
		    group_index(gr, gr->item.rec.nrules - 1)) {
			err_set(&e, EXIT_RUNTIME, "out of memory");
			goto err;
		}
		gr->item.dirty = 1;
	}
	for (i = 0; i < ng; i++)
		group_compact(&groups[i]);
	/* engine_sync takes the items side by side */
	items = calloc(ng + 1, sizeof(*items));
	if (!items) {
		err_set(&e, EXIT_RUNTIME, "out of memory");
		goto err;
	}
	for (i = 0; i < ng; i++)
		items[i] = groups[i].item;
	partial = engine_sync(g, items, ng, 0, &e);
	for (i = 0; i < ng; i++) /* a rename may have changed them */
		groups[i].item = items[i];
	free(items);
	if (partial < 0)
		goto err;
	report_print(g, o, notes);
	rc = report_code(g, o, partial, &e);
	groups_free(groups, ng);
	return rc;
err:
	print_warnings(g);
	groups_free(groups, ng);
	return fail(&e);
}

static int add_common(enum rule_action act, int argc, char **argv,
		      struct cli *cli)
{
	struct opt tab[ADD_NOPTS];
	struct add_args a = { NULL, 0, 0, NULL };
	struct engine g;
	struct specs s = { 0 };
	struct err e;
	int rc, k;

	memcpy(tab, rulespec_opts, sizeof(rulespec_opts));
	tab[ADD_FROM] = (struct opt){ "--from", 0, OPT_VALUE,
				      "a file, or - for stdin" };
	a.given = calloc((size_t)argc + 1, sizeof(*a.given));
	if (!a.given)
		return fail(&(struct err){ EXIT_RUNTIME, "out of memory" });
	k = config_options(cli, CONFIG_CHANGES, tab, ADD_NOPTS, add_opt, &a,
			   OPT_ARGS_ANY, argc - 1, argv + 1, &e);
	if (k < 0) {
		free(a.given);
		return usage_fail(&e);
	}
	if (k < 1 && !a.from) {
		free(a.given);
		return usage_error("the first argument is the container");
	}
	if (k > 1) {
		free(a.given);
		return usage_error("unexpected argument \"%s\"", argv[2]);
	}
	rc = parse_specs(act, k ? argv[1] : NULL, &a, &s, &e);
	free(a.given);
	if (rc) {
		specs_free(&s);
		return fail(&e);
	}
	if (applet_open(&g, cli, ENGINE_STORE, &e)) {
		specs_free(&s);
		return fail(&e);
	}
	rc = apply(&g, &cli->cfg, k ? argv[1] : NULL, &s, NULL);
	engine_free(&g);
	specs_free(&s);
	return rc;
}

int add_main(int argc, char **argv, struct cli *cli)
{
	return add_common(RULE_ADD, argc, argv, cli);
}

int add_internal_main(int argc, char **argv, struct cli *cli)
{
	return add_common(RULE_ADD_INTERNAL, argc, argv, cli);
}

int add_input_main(int argc, char **argv, struct cli *cli)
{
	return add_common(RULE_ADD_INPUT, argc, argv, cli);
}

int add_two_ways_main(int argc, char **argv, struct cli *cli)
{
	return add_common(RULE_ADD_TWO_WAYS, argc, argv, cli);
}

/* ---- allow ------------------------------------------------------------ */

static int port_cmp(const void *a, const void *b)
{
	const struct docker_port *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->proto, y->proto);
}

/* allow's options: --network NAME (rulespec.h's), a Docker network name. */
static int allow_opt(void *arg, size_t i, const char *v, const char *word,
		     struct err *e)
{
	struct rulespec *r = arg;

	return rulespec_set(r, RULESPEC_NETWORK, v, word, e);
}

/* Whether every binding of c's port p (its number and protocol) is on a
 * host-only address (resolve_host_only): outside addresses cannot reach
 * it, and an add rule for it would open the container's own address to
 * routed traffic instead. */
static int host_only_port(const struct docker_container *c,
			  const struct docker_port *p)
{
	size_t i;

	for (i = 0; i < c->nports; i++)
		if (c->ports[i].host_port && c->ports[i].port == p->port &&
		    !strcmp(c->ports[i].proto, p->proto) &&
		    !resolve_host_only(c->ports[i].host_ip))
			return 0;
	return 1;
}

int allow_main(int argc, char **argv, struct cli *cli)
{
	static const struct opt tab[] = {
		{ "--network", 0, OPT_VALUE, "a Docker network's name" },
	};
	const struct docker_container *c, *cs;
	struct docker_port *ports = NULL;
	struct specs s = { 0 };
	struct strv notes = { 0 };
	struct addr_spec *addrs;
	struct rulespec net;
	struct engine g;
	struct err e;
	size_t i, j, np = 0, na, nlocal = 0;
	char note[400];
	int rc, k;

	rulespec_init(&net, RULE_ADD);
	k = config_options(cli, CONFIG_CHANGES, tab, 1, allow_opt, &net,
			   OPT_ARGS_ANY, argc - 1, argv + 1, &e);
	if (k < 0) {
		rulespec_free(&net);
		return usage_fail(&e);
	}
	if (k < 2) {
		rulespec_free(&net);
		return usage_error("needs a container and at least one "
				   "address");
	}
	na = (size_t)k - 1;
	addrs = calloc(na, sizeof(*addrs));
	if (!addrs) {
		rulespec_free(&net);
		return fail(&(struct err){ EXIT_RUNTIME, "out of memory" });
	}
	for (i = 0; i < na; i++) {
		if (addr_parse(argv[2 + i], &addrs[i], &e)) {
			free(addrs);
			rulespec_free(&net);
			return fail(&e);
		}
		if (addrs[i].kind != ADDR_CIDR) {
			free(addrs);
			rulespec_free(&net);
			return usage_error("\"%s\": allow takes outside "
					   "addresses (A.B.C.D[/N], an IPv6 "
					   "address or network)",
					   argv[2 + i]);
		}
	}
	/* the published ports, from Docker */
	if (applet_open(&g, cli, ENGINE_STORE, &e)) {
		free(addrs);
		rulespec_free(&net);
		return fail(&e);
	}
	c = engine_container(&g, argv[1], &e);
	if (c && !c->running)
		err_set(&e, EXIT_USAGE,
			"container \"%s\" is not running: its "
			"published ports and address are not known",
			c->name);
	if (!c || !c->running)
		goto err;
	/* a container in another's network stack: that one's ports */
	cs = view_stack(&g.view, c, &e);
	if (!cs)
		goto err;
	ports = calloc(cs->nports + 1, sizeof(*ports));
	for (i = 0; ports && i < cs->nports; i++) {
		const struct docker_port *p = &cs->ports[i];

		if (!p->host_port ||
		    (strcmp(p->proto, "tcp") && strcmp(p->proto, "udp")))
			continue; /* exposed only; sctp */
		for (j = 0; j < np; j++)
			if (!port_cmp(&ports[j], p))
				break; /* 0.0.0.0 and :: bindings */
		if (j < np)
			continue;
		if (host_only_port(cs, p)) {
			/* once per port: the first of its bindings */
			for (j = 0; j < i; j++)
				if (!port_cmp(&cs->ports[j], p) &&
				    cs->ports[j].host_port)
					break;
			if (j < i)
				continue;
			nlocal++;
			snprintf(note, sizeof(note),
				 "skipped %u/%s of \"%s\": published on %s%s%s:"
				 "%u only, which no outside address reaches",
				 p->port, p->proto, c->name,
				 strchr(p->host_ip, ':') ? "[" : "", p->host_ip,
				 strchr(p->host_ip, ':') ? "]" : "",
				 p->host_port);
			if (strv_add(&notes, note, strlen(note))) {
				err_set(&e, EXIT_RUNTIME, "out of memory");
				goto err;
			}
			continue;
		}
		ports[np++] = *p;
	}
	if (!ports || !np) {
		if (!ports)
			err_set(&e, EXIT_RUNTIME, "out of memory");
		else if (nlocal)
			err_set(&e, EXIT_USAGE,
				"container \"%s\" publishes no tcp or udp "
				"port that outside addresses reach (%s%s)",
				argv[1], notes.v[0], nlocal > 1 ? ", ..." : "");
		else if (cs != c)
			err_set(&e, EXIT_USAGE,
				"container \"%s\" runs in the network "
				"stack of container \"%s\", which publishes "
				"no tcp or udp port",
				c->name, cs->name);
		else
			err_set(&e, EXIT_USAGE,
				"container \"%s\" publishes no "
				"tcp or udp port",
				argv[1]);
		goto err;
	}
	qsort(ports, np, sizeof(*ports), port_cmp);
	/* an add rule spec per address and port, as `add C --source A
	 * --dport P --protocol PROTO [--network N]` makes it */
	for (i = 0; i < na; i++)
		for (j = 0; j < np; j++) {
			struct rulespec r;

			rulespec_init(&r, RULE_ADD);
			r.src = addrs[i];
			r.dport = ports[j].port;
			r.proto = strcmp(ports[j].proto, "udp") ? IPPROTO_TCP :
								  IPPROTO_UDP;
			r.network = net.network; /* pooled: shared */
			if (specs_push(&s, &r, "")) {
				err_set(&e, EXIT_RUNTIME, "out of memory");
				goto err;
			}
		}
	free(ports);
	free(addrs);
	rulespec_free(&net);
	/* the same connection */
	rc = apply(&g, &cli->cfg, argv[1], &s, &notes);
	engine_free(&g);
	specs_free(&s);
	strv_free(&notes);
	return rc;
err:
	free(ports);
	free(addrs);
	rulespec_free(&net);
	specs_free(&s);
	strv_free(&notes);
	engine_free(&g);
	return fail(&e);
}
