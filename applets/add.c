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

struct specs {
	struct rulespec *v;
	size_t n;
	struct strv where; /* "FILE:LINE" per spec, for messages */
};

static void specs_free(struct specs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		rulespec_free(&s->v[i]);
	free(s->v);
	strv_free(&s->where);
}

static int specs_push(struct specs *s, struct rulespec *r, const char *where)
{
	void *p = realloc(s->v, (s->n + 1) * sizeof(*r));

	if (!p || strv_add(&s->where, where, strlen(where))) {
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
 * rulespec.h says. */
static int read_from(const char *file, enum rule_action act, int rev,
		     struct specs *s, struct err *e)
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
	if (!rc) { /* s is empty: it takes the specs over */
		s->v = f.v;
		s->n = f.n;
		f.v = NULL;
		f.n = 0;
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

/* The specs of `C OPTIONS...` or `C --from FILE [--rev-lookup]`. */
static int parse_specs(enum rule_action act, struct add_args *a,
		       struct specs *s, struct err *e)
{
	struct rulespec r;
	size_t i;

	if (a->from) {
		if (a->seen & ~(1u << RULESPEC_REV_LOOKUP))
			return err_set(e, EXIT_USAGE,
				       "--from takes the rule "
				       "specs from the file: no other rule "
				       "option (but --rev-lookup) next to it");
		return read_from(a->from, act, !!a->seen, s, e);
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

/* Checks the specs against Docker, then stores and applies them (a spec
 * stored already is not stored twice). g is the caller's; it frees it. */
static int apply(struct engine *g, const struct dfw_config *o, const char *name,
		 struct specs *s)
{
	const struct docker_container *c;
	struct sync_item item;
	struct err e;
	size_t i, j;
	int rc, partial;

	memset(&item, 0, sizeof(item));
	c = engine_container(g, name, &e);
	if (!c)
		goto err;
	for (i = 0; i < s->n; i++)
		if (engine_check_rule(g, c, &s->v[i], &e)) {
			if (*s->where.v[i])
				err_wrap(&e, "%s", s->where.v[i]);
			goto err;
		}
	if (store_load(&g->store, c->id, &item.rec, &e) < 0) {
		engine_bad_file_hint(&e, c->id);
		goto err;
	}
	for (i = 0; i < s->n; i++) {
		for (j = 0; j < item.rec.nrules; j++)
			if (rulespec_equal(&item.rec.rules[j], &s->v[i]))
				break;
		if (j < item.rec.nrules)
			continue;
		if (store_rec_add(&item.rec, &s->v[i])) {
			err_set(&e, EXIT_RUNTIME, "out of memory");
			goto err;
		}
		item.dirty = 1;
	}
	partial = engine_sync(g, &item, 1, 0, &e);
	if (partial < 0)
		goto err;
	report_print(g, o, NULL);
	rc = report_code(g, o, partial, &e);
	store_rec_free(&item.rec);
	return rc;
err:
	print_warnings(g);
	store_rec_free(&item.rec);
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
	if (k < 1) {
		free(a.given);
		return usage_error("the first argument is the container");
	}
	if (k > 1) {
		free(a.given);
		return usage_error("unexpected argument \"%s\"", argv[2]);
	}
	rc = parse_specs(act, &a, &s, &e);
	free(a.given);
	if (rc) {
		specs_free(&s);
		return fail(&e);
	}
	if (applet_open(&g, cli, ENGINE_STORE, &e)) {
		specs_free(&s);
		return fail(&e);
	}
	rc = apply(&g, &cli->cfg, argv[1], &s);
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

int allow_main(int argc, char **argv, struct cli *cli)
{
	const struct docker_container *c;
	struct docker_port *ports = NULL;
	struct specs s = { 0 };
	struct addr_spec *addrs;
	struct engine g;
	struct err e;
	size_t i, j, np = 0, na;
	int rc, k;

	k = config_options(cli, CONFIG_CHANGES, NULL, 0, NULL, NULL,
			   OPT_ARGS_ANY, argc - 1, argv + 1, &e);
	if (k < 0)
		return usage_fail(&e);
	if (k < 2)
		return usage_error("needs a container and at least one "
				   "address");
	na = (size_t)k - 1;
	addrs = calloc(na, sizeof(*addrs));
	if (!addrs)
		return fail(&(struct err){ EXIT_RUNTIME, "out of memory" });
	for (i = 0; i < na; i++) {
		if (addr_parse(argv[2 + i], &addrs[i], &e)) {
			free(addrs);
			return fail(&e);
		}
		if (addrs[i].kind != ADDR_CIDR) {
			free(addrs);
			return usage_error("\"%s\": allow takes outside "
					   "addresses (A.B.C.D[/N], an IPv6 "
					   "address or network)",
					   argv[2 + i]);
		}
	}
	/* the published ports, from Docker */
	if (applet_open(&g, cli, ENGINE_STORE, &e)) {
		free(addrs);
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
	ports = calloc(c->nports + 1, sizeof(*ports));
	for (i = 0; ports && i < c->nports; i++) {
		const struct docker_port *p = &c->ports[i];

		if (!p->host_port ||
		    (strcmp(p->proto, "tcp") && strcmp(p->proto, "udp")))
			continue; /* exposed only; sctp */
		for (j = 0; j < np; j++)
			if (!port_cmp(&ports[j], p))
				break; /* 0.0.0.0 and :: bindings */
		if (j == np)
			ports[np++] = *p;
	}
	if (!ports || !np) {
		if (ports)
			err_set(&e, EXIT_USAGE,
				"container \"%s\" publishes no "
				"tcp or udp port",
				argv[1]);
		else
			err_set(&e, EXIT_RUNTIME, "out of memory");
		goto err;
	}
	qsort(ports, np, sizeof(*ports), port_cmp);
	/* an add rule spec per address and port, as `add C --source A
	 * --dport P --protocol PROTO` makes it */
	for (i = 0; i < na; i++)
		for (j = 0; j < np; j++) {
			struct rulespec r;

			rulespec_init(&r, RULE_ADD);
			r.src = addrs[i];
			r.dport = ports[j].port;
			r.proto = strcmp(ports[j].proto, "udp") ? IPPROTO_TCP :
								  IPPROTO_UDP;
			if (specs_push(&s, &r, "")) {
				err_set(&e, EXIT_RUNTIME, "out of memory");
				goto err;
			}
		}
	free(ports);
	free(addrs);
	rc = apply(&g, &cli->cfg, argv[1], &s); /* the same connection */
	engine_free(&g);
	specs_free(&s);
	return rc;
err:
	free(ports);
	free(addrs);
	specs_free(&s);
	engine_free(&g);
	return fail(&e);
}
