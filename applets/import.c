/*
 * import.c - the original Go docker-fw's state files, from Docker's data
 * root (containers/<ID>/extraRules.json, customHosts.json,
 * backupHostConfig.json; core/import.c reads and converts them), turned
 * into this tool's rules and hostconfig lines: printed as `ls` lines with
 * --dry-run, else stored and applied in one run. What cannot be carried
 * over is listed with its file and rule, and nothing is imported unless
 * --force leaves those out; a rule that is not what the original writes
 * (malformed, an unknown Chain/JumpTo) stops the import even then. The
 * original's files are only read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "dfw/applet.h"
#include "dfw/hostconfig.h"
#include "dfw/import.h"

#define IMPORT_DEFAULT_ROOT "/var/lib/docker"

enum { IMP_DOCKER_ROOT, IMP_FORCE, IMP_NOPTS };

static const struct opt imp_opts[IMP_NOPTS] = {
	[IMP_DOCKER_ROOT] = { "--docker-root", 0, OPT_VALUE, "a folder" },
	[IMP_FORCE] = { "--force", 0, OPT_FLAG, NULL },
};

struct imp_args {
	const char *root;
	int force;
};

static int imp_opt(void *arg, size_t i, const char *v, const char *word,
		   struct err *e)
{
	struct imp_args *a = arg;

	if (i == IMP_FORCE) {
		a->force = 1;
		return 0;
	}
	if (!*v)
		return err_set(e, EXIT_USAGE,
			       "--docker-root: empty folder "
			       "name");
	a->root = v;
	return 0;
}

/* One container folder of the data root. */
struct imp_src {
	struct import_files files;
	const struct docker_container *c; /* NULL: Docker knows no such
						 * container */
	struct strv hostconfig;		  /* from backupHostConfig */
};

/* Everything one run holds, freed by run_free. */
struct imp_run {
	struct engine g;
	int g_open;
	int root_fd;
	struct strv ids;
	struct imp_src *src;
	size_t nsrc;
	struct import_source *isrc; /* the known ones, for import_convert */
	size_t *of;		    /* isrc[k] is src[of[k]] */
	size_t nisrc;
	struct import_result res;
	char *dropped;		     /* res.rules[i] left out */
	struct import_finding *more; /* findings of the checks here */
	size_t nmore;
	struct byname *by; /* the rules not left out, by container */
	size_t nby;
};

/* A rule of res by its container's name, then its place (#18: a
 * container's rules found without going through every rule). */
struct byname {
	const char *name;
	size_t i; /* res.rules[i] */
};

static void run_free(struct imp_run *r)
{
	size_t i;

	for (i = 0; i < r->nsrc; i++) {
		import_files_free(&r->src[i].files);
		strv_free(&r->src[i].hostconfig);
	}
	free(r->src);
	free(r->isrc);
	free(r->of);
	import_result_free(&r->res);
	free(r->dropped);
	free(r->more);
	free(r->by);
	strv_free(&r->ids);
	if (r->root_fd >= 0)
		close(r->root_fd);
	if (r->g_open)
		engine_free(&r->g);
}

/* import_convert's container lookup: Docker's name for name_or_id. */
static int resolve(void *arg, const char *name_or_id, char *name, size_t size,
		   struct err *e)
{
	const struct docker_container *c;
	struct err ce;

	c = engine_container(arg, name_or_id, &ce);
	if (!c && ce.code == EXIT_USAGE)
		return IMPORT_UNKNOWN;
	if (!c) {
		if (e)
			*e = ce;
		return -1;
	}
	snprintf(name, size, "%s", c->name);
	return 0;
}

/* A finding of this applet's own checks. 0 or -1 (ENOMEM). */
static int more(struct imp_run *r, enum import_why kind, const char *file,
		const char *container, int index, const char *rule,
		const char *why)
{
	struct import_finding *v, *f;

	v = realloc(r->more, (r->nmore + 1) * sizeof(*v));
	if (!v)
		return -1;
	r->more = v;
	f = &v[r->nmore++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->what = IMPORT_EXTRA_RULES;
	f->index = index;
	snprintf(f->file, sizeof(f->file), "%s", file);
	snprintf(f->container, sizeof(f->container), "%s", container);
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	snprintf(f->why, sizeof(f->why), "%s", why);
	return 0;
}

/* "ACTION NAME OPTIONS", as ls prints a rule, into b (emptied first). */
static int ls_line(const char *name, const struct rulespec *r, struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
	return buf_printf(b, "%s ", rule_action_name(r->action)) ||
	       rulespec_quote(name, b) || buf_adds(b, " ") ||
	       rulespec_format(r, b);
}

/* Reads every container folder of the data root, and what Docker calls
 * each. 0, or -1 with e set. */
static int read_sources(struct imp_run *r, const char *root, struct err *e)
{
	struct err ce;
	size_t i, k;
	char file[IMPORT_PATH_MAX + 32];

	if (import_list(r->root_fd, root, &r->ids, e))
		return -1;
	r->src = calloc(r->ids.n + 1, sizeof(*r->src));
	r->isrc = calloc(r->ids.n + 1, sizeof(*r->isrc));
	r->of = calloc(r->ids.n + 1, sizeof(*r->of));
	if (!r->src || !r->isrc || !r->of)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (i = 0; i < r->ids.n; i++) {
		struct imp_src *s = &r->src[r->nsrc];
		int any = 0;

		if (import_read(r->root_fd, root, r->ids.v[i], &s->files, e))
			return -1;
		r->nsrc++;
		for (k = 0; k < IMPORT_NFILES; k++)
			any |= s->files.file[k].present;
		if (!any)
			continue; /* a container the original never saw */
		s->c = engine_container(&r->g, r->ids.v[i], &ce);
		if (!s->c && ce.code != EXIT_USAGE) {
			*e = ce;
			return -1;
		}
		if (!s->c) { /* a copy of another host's data root */
			snprintf(file, sizeof(file), "%s/", s->files.dir);
			if (more(r, IMPORT_UNKNOWN_CONTAINER, file, "", -1,
				 r->ids.v[i],
				 "Docker knows no container of "
				 "this ID (removed since?): its files cannot "
				 "be carried over"))
				return err_set(e, EXIT_RUNTIME,
					       "out of memory");
			continue;
		}
		if (import_hostconfig(&s->files, &s->hostconfig, e))
			return -1;
		r->isrc[r->nisrc].name = s->c->name;
		r->isrc[r->nisrc].files = &s->files;
		r->of[r->nisrc++] = r->nsrc - 1;
	}
	return 0;
}

/* Checks the rules of running containers against Docker (engine_check_
 * rule, which also brings a --filter to the backend's form); one refused
 * is a finding and left out. 0, or -1 with e set. */
static int check_rules(struct imp_run *r, struct err *e)
{
	const struct docker_container *c;
	struct buf line = { 0 };
	char file[IMPORT_PATH_MAX + 32];
	struct err ce;
	size_t i;

	r->dropped = calloc(r->res.nrules + 1, 1);
	if (!r->dropped)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (i = 0; i < r->res.nrules; i++) {
		struct import_rule *ir = &r->res.rules[i];

		c = engine_container(&r->g, ir->container, &ce);
		if (c && !c->running)
			continue; /* checked by replay when it runs */
		if (c && !engine_check_rule(&r->g, c, &ir->spec, &ce))
			continue;
		if (ce.code != EXIT_USAGE) {
			*e = ce;
			buf_free(&line);
			return -1;
		}
		r->dropped[i] = 1;
		snprintf(file, sizeof(file), "%s/%s",
			 r->isrc[ir->source].files->dir,
			 import_file_name(IMPORT_EXTRA_RULES));
		if (ls_line(ir->container, &ir->spec, &line) ||
		    more(r, IMPORT_REFUSED, file, ir->container, ir->index,
			 line.data, ce.msg)) {
			buf_free(&line);
			return err_set(e, EXIT_RUNTIME, "out of memory");
		}
	}
	buf_free(&line);
	return 0;
}

static int is_fatal(enum import_why k)
{
	return k == IMPORT_MALFORMED || k == IMPORT_UNKNOWN_CHAIN;
}

/* Lists the findings on stderr; *fatal gets those --force cannot drop. */
static size_t list_findings(const struct imp_run *r, int force, size_t *fatal)
{
	char m[sizeof(((struct err *)0)->msg) * 4];
	struct buf b = { 0 };
	size_t i, n = r->res.nfindings + r->nmore;

	*fatal = 0;
	for (i = 0; i < n; i++) {
		const struct import_finding *f =
			i < r->res.nfindings ? &r->res.findings[i] :
					       &r->more[i - r->res.nfindings];

		*fatal += is_fatal(f->kind);
		b.len = 0;
		if (f->index < 0 ? buf_printf(&b, "%s: (%s): %s", f->file,
					      f->rule, f->why) :
				   import_finding_format(f, &b))
			continue;
		fprintf(stderr, "%s: %s%s\n", applet_name,
			force && !is_fatal(f->kind) ? "left out: " : "",
			str_escape_n(m, sizeof(m), b.data, b.len, 0));
	}
	buf_free(&b);
	return n;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int byname_cmp(const void *a, const void *b)
{
	const struct byname *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* r->by: the rules not left out, sorted by container and place. 0 or -1
 * (ENOMEM). */
static int by_name(struct imp_run *r)
{
	size_t i;

	r->by = calloc(r->res.nrules + 1, sizeof(*r->by));
	if (!r->by)
		return -1;
	for (i = 0; i < r->res.nrules; i++)
		if (!r->dropped[i]) {
			r->by[r->nby].name = r->res.rules[i].container;
			r->by[r->nby++].i = i;
		}
	qsort(r->by, r->nby, sizeof(*r->by), byname_cmp);
	return 0;
}

/* The first of r->by of the container called name (r->nby: none). */
static size_t first_of(const struct imp_run *r, const char *name)
{
	size_t lo = 0, hi = r->nby;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;

		if (strcmp(r->by[m].name, name) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

/* For k from first_of: whether r->by[k] is still name's. */
static int of_name(const struct imp_run *r, size_t k, const char *name)
{
	return k < r->nby && !strcmp(r->by[k].name, name);
}

/* The names of the containers with something to import, sorted. */
static int names(const struct imp_run *r, struct strv *out)
{
	size_t i;

	for (i = 0; i < r->nisrc; i++) {
		const char *name = r->isrc[i].name;
		int has = r->src[r->of[i]].hostconfig.n > 0 ||
			  of_name(r, first_of(r, name), name);

		if (has &&
		    strv_add(out, r->isrc[i].name, strlen(r->isrc[i].name)))
			return -1;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), name_cmp);
	return 0;
}

/* The source of the container called name. */
static const struct imp_src *src_of(const struct imp_run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nisrc; i++)
		if (!strcmp(r->isrc[i].name, name))
			return &r->src[r->of[i]];
	return NULL;
}

/* --dry-run: the rules as ls lines, then the hostconfig lines as
 * comments ("# hostconfig NAME KEY WORDS", which --from skips). */
static int print_dry(const struct imp_run *r, const struct strv *ns)
{
	struct buf b = { 0 };
	size_t i, j;
	int rc = 0;

	for (i = 0; i < ns->n && !rc; i++)
		for (j = first_of(r, ns->v[i]); of_name(r, j, ns->v[i]) && !rc;
		     j++) {
			const struct import_rule *ir =
				&r->res.rules[r->by[j].i];

			rc = ls_line(ir->container, &ir->spec, &b);
			if (!rc)
				printf("%s\n", b.data);
		}
	for (i = 0; i < ns->n && !rc; i++) {
		const struct imp_src *s = src_of(r, ns->v[i]);

		for (j = 0; s && j < s->hostconfig.n; j++)
			printf("# hostconfig %s %s\n", ns->v[i],
			       s->hostconfig.v[j]);
	}
	buf_free(&b);
	return rc;
}

/* Stores the rules and hostconfig lines and applies the rules, every
 * container's in one engine_sync. A rule stored already is not stored
 * twice; hostconfig lines already stored (save-hostconfig, newer than
 * the original's) stay. 0, 1 (applied but for hosts entries, e set) or
 * -1 with e set. */
static int store_apply(struct imp_run *r, const struct strv *ns, struct err *e)
{
	struct sync_item *items = calloc(ns->n + 1, sizeof(*items));
	struct rulespec_index x = { 0 };
	size_t i, j, k, it;
	int rc = -1, found;

	if (!items)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (i = 0; i < ns->n; i++) {
		const struct imp_src *s = src_of(r, ns->v[i]);
		struct store_rec *rec = &items[i].rec;

		if (store_load_name(&r->g.store, s->c->name, s->c->id, rec, e) <
		    0) {
			engine_bad_file_hint(e, s->c->id);
			goto out;
		}
		/* a rule's equals among the record's by an index (#18: not
		 * each imported rule with each stored one) */
		rulespec_index_free(&x);
		memset(&x, 0, sizeof(x));
		x.net = 1;
		for (k = 0; k < rec->nrules; k++)
			if (rulespec_index_add(&x, &rec->rules[k], k))
				goto nomem;
		for (j = first_of(r, ns->v[i]); of_name(r, j, ns->v[i]); j++) {
			const struct import_rule *ir =
				&r->res.rules[r->by[j].i];

			found = it = 0;
			while (!found &&
			       rulespec_index_next(&x,
						   rulespec_hash(&ir->spec, 1),
						   &it, &k))
				found = rulespec_equal(&rec->rules[k],
						       &ir->spec);
			if (found)
				continue;
			if (store_rec_add(rec, &ir->spec) ||
			    rulespec_index_add(&x, &ir->spec, rec->nrules - 1))
				goto nomem;
			items[i].dirty = 1;
		}
		if (!rec->hostconfig.n && s->hostconfig.n) {
			for (k = 0; k < s->hostconfig.n; k++)
				if (strv_add(&rec->hostconfig,
					     s->hostconfig.v[k],
					     strlen(s->hostconfig.v[k])))
					goto nomem;
			items[i].dirty = 1;
		}
	}
	rc = engine_sync(&r->g, items, ns->n, 0, e);
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	rulespec_index_free(&x);
	for (i = 0; i < ns->n; i++)
		store_rec_free(&items[i].rec);
	free(items);
	return rc;
}

int import_main(int argc, char **argv, struct cli *cli)
{
	struct imp_args a = { IMPORT_DEFAULT_ROOT, 0 };
	struct imp_run r;
	struct strv ns = { 0 };
	struct err e;
	size_t nf, fatal;
	int rc, partial;

	memset(&r, 0, sizeof(r));
	r.root_fd = -1;
	if (config_options(cli, CONFIG_CHANGES | CONFIG_DRY_RUN, imp_opts,
			   IMP_NOPTS, imp_opt, &a, OPT_ARGS_NONE, argc - 1,
			   argv + 1, &e) < 0)
		return usage_fail(&e);
	r.root_fd = import_open_root(a.root, &e);
	if (r.root_fd < 0)
		return fail(&e);
	if (applet_open(&r.g, cli, ENGINE_STORE, &e)) {
		run_free(&r);
		return fail(&e);
	}
	r.g_open = 1;
	if (read_sources(&r, a.root, &e) ||
	    import_convert(r.isrc, r.nisrc, resolve, &r.g, &r.res, &e) ||
	    check_rules(&r, &e))
		goto err;
	nf = list_findings(&r, a.force, &fatal);
	if (fatal) {
		err_set(&e, EXIT_USAGE,
			"nothing imported: %zu rule%s above "
			"%s not what the original docker-fw writes (a file "
			"edited by hand, or not its?): fix or remove %s",
			fatal, fatal > 1 ? "s" : "", fatal > 1 ? "are" : "is",
			fatal > 1 ? "them" : "it");
		goto err;
	}
	if (nf && !a.force) {
		err_set(&e, EXIT_USAGE,
			"nothing imported: %zu rule%s or "
			"entr%s above cannot be carried over; --force imports "
			"the rest",
			nf, nf > 1 ? "s" : "", nf > 1 ? "ies" : "y");
		goto err;
	}
	/* customHosts entries are findings or add-two-ways rules: the
	 * rules left out are gone from the result */
	if (by_name(&r) || names(&r, &ns)) {
		err_set(&e, EXIT_RUNTIME, "out of memory");
		goto err;
	}
	if (cli->cfg.dry_run) {
		rc = print_dry(&r, &ns) ? EXIT_RUNTIME : EXIT_DONE;
		goto out;
	}
	partial = ns.n ? store_apply(&r, &ns, &e) : 0;
	if (partial < 0)
		goto err;
	print_warnings(&r.g);
	if (cli->cfg.verbose) {
		engine_print_backend(&r.g, stderr);
		engine_print_changes(&r.g, stdout);
	}
	rc = EXIT_DONE;
	if (partial) /* applied but for the hosts entries e names */
		rc = fail(&e);
	goto out;
err:
	print_warnings(&r.g);
	rc = fail(&e);
out:
	if (fflush(stdout))
		rc = EXIT_RUNTIME;
	strv_free(&ns);
	run_free(&r);
	return rc;
}
