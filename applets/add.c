/*
 * add.c - add, add-internal, add-input and allow: new rule specs for one
 * container, checked against Docker, applied in one commit, then stored.
 * All or nothing: one bad spec (or --from line) and nothing changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

struct specs {
	struct rulespec *v;
	size_t n;
	struct strv where;	/* "FILE:LINE" per spec, for messages */
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
	if (!rc) {		/* s is empty: it takes the specs over */
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

/* The specs of `C OPTIONS...` or `C --from FILE [--rev-lookup]`. */
static int parse_specs(enum rule_action act, int argc, char **argv,
		       struct specs *s, struct err *e)
{
	const char *from = NULL;
	struct rulespec r;
	int i, rev = 0, others = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--from")) {
			if (i + 1 >= argc)
				return err_set(e, EXIT_USAGE, "--from needs a "
					       "value (a file, or - for stdin)");
			if (from)
				return err_set(e, EXIT_USAGE, "--from given "
					       "twice");
			from = argv[++i];
		} else if (!strncmp(argv[i], "--from=", 7)) {
			if (from)
				return err_set(e, EXIT_USAGE, "--from given "
					       "twice");
			from = argv[i] + 7;
		} else if (!strcmp(argv[i], "--rev-lookup")) {
			rev = 1;
		} else {
			others++;
		}
	}
	if (from) {
		if (others)
			return err_set(e, EXIT_USAGE, "--from takes the rule "
				       "specs from the file: no other rule "
				       "option (but --rev-lookup) next to it");
		return read_from(from, act, rev, s, e);
	}
	if (rulespec_parse(&r, act, argc, argv, e))
		return -1;
	if (specs_push(s, &r, ""))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

/* Checks the specs against Docker, then stores and applies them (a spec
 * stored already is not stored twice). g is the caller's; it frees it. */
static int apply(struct engine *g, const struct engine_opts *o,
		 const char *name, struct specs *s)
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
		bad_file_hint(&e, c->id);
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
	print_warnings(g);
	if (o->verbose) {
		engine_print_backend(g, stderr);
		engine_print_changes(g, stdout);
	}
	rc = fflush(stdout) ? EXIT_RUNTIME : EXIT_DONE;
	if (partial)	/* applied but for the hosts entries e names */
		rc = fail(&e);
	store_rec_free(&item.rec);
	return rc;
err:
	print_warnings(g);
	store_rec_free(&item.rec);
	return fail(&e);
}

static int add_common(enum rule_action act, int argc, char **argv)
{
	struct engine_opts o;
	struct engine g;
	struct specs s = { 0 };
	struct err e;
	int rc;

	argc = engine_opts(argc, argv, 0, &o, &e);
	if (argc < 0)
		return fail(&e);
	if (argc < 2 || argv[1][0] == '-')
		return usage_error("the first argument is the container");
	if (parse_specs(act, argc - 2, argv + 2, &s, &e)) {
		specs_free(&s);
		return fail(&e);
	}
	if (engine_init(&g, &o, &e)) {
		specs_free(&s);
		return fail(&e);
	}
	rc = apply(&g, &o, argv[1], &s);
	engine_free(&g);
	specs_free(&s);
	return rc;
}

int add_main(int argc, char **argv)
{
	return add_common(RULE_ADD, argc, argv);
}

int add_internal_main(int argc, char **argv)
{
	return add_common(RULE_ADD_INTERNAL, argc, argv);
}

int add_input_main(int argc, char **argv)
{
	return add_common(RULE_ADD_INPUT, argc, argv);
}

int add_two_ways_main(int argc, char **argv)
{
	return add_common(RULE_ADD_TWO_WAYS, argc, argv);
}

/* ---- allow ------------------------------------------------------------ */

static int port_cmp(const void *a, const void *b)
{
	const struct docker_port *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->proto, y->proto);
}

int allow_main(int argc, char **argv)
{
	const struct docker_container *c;
	struct docker_port *ports = NULL;
	struct engine_opts o;
	struct specs s = { 0 };
	struct engine g;
	struct addr_spec a;
	struct err e;
	size_t i, j, np = 0;
	int rc;

	argc = engine_opts(argc, argv, 0, &o, &e);
	if (argc < 0)
		return fail(&e);
	if (argc < 3 || argv[1][0] == '-')
		return usage_error("needs a container and at least one "
				   "address");
	for (i = 2; i < (size_t)argc; i++) {
		if (argv[i][0] == '-')
			return usage_error("unknown option \"%s\"", argv[i]);
		if (addr_parse(argv[i], &a, &e))
			return fail(&e);
		if (a.kind != ADDR_CIDR)
			return usage_error("\"%s\": allow takes outside "
					   "addresses (A.B.C.D[/N])", argv[i]);
	}
	/* the published ports, from Docker */
	if (engine_init(&g, &o, &e))
		return fail(&e);
	c = engine_container(&g, argv[1], &e);
	if (c && !c->running)
		err_set(&e, EXIT_USAGE, "container \"%s\" is not running: its "
			"published ports and address are not known", c->name);
	if (!c || !c->running) {
		engine_free(&g);
		return fail(&e);
	}
	ports = calloc(c->nports + 1, sizeof(*ports));
	for (i = 0; ports && i < c->nports; i++) {
		const struct docker_port *p = &c->ports[i];

		if (!p->host_port || (strcmp(p->proto, "tcp") &&
				      strcmp(p->proto, "udp")))
			continue;	/* exposed only; sctp */
		for (j = 0; j < np; j++)
			if (!port_cmp(&ports[j], p))
				break;	/* 0.0.0.0 and :: bindings */
		if (j == np)
			ports[np++] = *p;
	}
	if (!ports || !np) {
		free(ports);
		if (ports)
			err_set(&e, EXIT_USAGE, "container \"%s\" publishes no "
				"tcp or udp port", argv[1]);
		else
			err_set(&e, EXIT_RUNTIME, "out of memory");
		engine_free(&g);
		return fail(&e);
	}
	qsort(ports, np, sizeof(*ports), port_cmp);
	for (i = 2; i < (size_t)argc; i++)
		for (j = 0; j < np; j++) {
			char dport[8], *opts[8] = { "--source", argv[i],
						    "--dport", dport,
						    "--protocol",
						    ports[j].proto };
			struct rulespec r;

			snprintf(dport, sizeof(dport), "%u", ports[j].port);
			if (rulespec_parse(&r, RULE_ADD, 6, opts, &e) ||
			    specs_push(&s, &r, "")) {
				free(ports);
				specs_free(&s);
				engine_free(&g);
				return fail(&e);
			}
		}
	free(ports);
	rc = apply(&g, &o, argv[1], &s);	/* the same connection */
	engine_free(&g);
	specs_free(&s);
	return rc;
}
