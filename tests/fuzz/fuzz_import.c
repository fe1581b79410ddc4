/*
 * fuzz_import.c - the original docker-fw's state files as import_convert
 * reads them. The input is "A\0B": A is the extraRules.json of a
 * container "cache", B (when a NUL is there) the customHosts.json of a
 * container "app", so that B's entries pair with A's rules. Container
 * names resolve from a fixed table (names, IDs and ID prefixes), "boom"
 * stands for a daemon that cannot be reached.
 *
 * Checked: a result or an error, never both; an error names the file
 * and is EXIT_USAGE, or EXIT_RUNTIME only when the lookup failed; every
 * rule spec is of one of the four actions, belongs to "cache", and
 * round-trips through rulespec_format -> rulespec_split ->
 * rulespec_parse; every finding has its reason, a rendering that fits,
 * and formats; a second conversion gives the same listing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define need(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

/* tests/fixtures/go-docker-fw/containers.txt */
static const char *const names[][2] = {
	{ "web", "401c35a7534b23d1efc39a7ef40a3937"
		 "51ae1620dd5c6eb9a4f1ca6f4210572b" },
	{ "db", "74a513fb40c238395df5e172cac79530"
		"4b94630723855e181ba73d6a04ae0f47" },
	{ "app", "933bb4cad0377f8204fa08933e64ce09"
		 "a17448992bcdddee62f7763ea2afdacd" },
	{ "worker", "c05f9aaf7e6d49e907c2e26a1af9ad2b"
		    "b0ae9c244c4bb2392ce0be797f96dbc9" },
	{ "cache", "ee770618913bc34039f1955bcf56023a"
		   "3f8324f3dc834216405ef13e9d62af48" },
};

static int boomed;

static int resolve(void *arg, const char *q, char *name, size_t size,
		   struct err *e)
{
	size_t i, len = strlen(q);

	need(len && *q != '/');
	if (!strcmp(q, "boom")) {
		boomed = 1;
		return err_set(e, EXIT_RUNTIME, "cannot reach the daemon");
	}
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(names[i][0], q) || !strncmp(names[i][1], q, len)) {
			snprintf(name, size, "%s", names[i][0]);
			return 0;
		}
	return IMPORT_UNKNOWN;
}

static void files(struct import_files *f, const char *id, int k,
		  const uint8_t *p, size_t n)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->dir, sizeof(f->dir), "/D/containers/%s", id);
	f->file[k].present = 1;
	need(!buf_add(&f->file[k].text, p, n));
}

/* Each rule as "ACTION CONTAINER SPEC\n", checked on the way. */
static void listing(const struct import_result *res, struct buf *out)
{
	size_t i;

	for (i = 0; i < res->nrules; i++) {
		const struct import_rule *r = &res->rules[i];
		struct buf t = { 0 };
		struct strv w = { 0 };
		struct rulespec r2;
		struct err e;

		need(rule_action_name(r->spec.action));
		need(!strcmp(r->container, "cache") && r->source == 0);
		need(r->index >= 0);
		need(!rulespec_format(&r->spec, &t));
		need(rulespec_split(t.data, &w, &e) >= 0);
		need(!rulespec_parse(&r2, r->spec.action, (int)w.n, w.v, &e));
		need(rulespec_equal(&r->spec, &r2));
		need(!buf_printf(out, "%s %s %s\n",
				 rule_action_name(r->spec.action), r->container,
				 t.data));
		rulespec_free(&r2);
		strv_free(&w);
		buf_free(&t);
	}
	for (i = 0; i < res->nfindings; i++) {
		const struct import_finding *f = &res->findings[i];

		need(f->why[0] && f->index >= 0);
		need(strnlen(f->rule, sizeof(f->rule)) < sizeof(f->rule));
		need(f->what == IMPORT_EXTRA_RULES ||
		     f->what == IMPORT_CUSTOM_HOSTS);
		need(!import_finding_format(f, out) && !buf_adds(out, "\n"));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t alen = nul ? (size_t)(nul - data) : size;
	struct import_files cache, app;
	struct import_source src[2] = { { "cache", &cache }, { "app", &app } };
	struct import_result res;
	struct buf a = { 0 }, b = { 0 };
	struct err e;
	int rc;

	files(&cache, names[4][1], IMPORT_EXTRA_RULES, data, alen);
	if (nul)
		files(&app, names[2][1], IMPORT_CUSTOM_HOSTS, nul + 1,
		      size - alen - 1);
	else
		files(&app, names[2][1], IMPORT_CUSTOM_HOSTS,
		      (const uint8_t *)"[\"cache\"]", 9);
	boomed = 0;
	memset(&e, 0, sizeof(e));
	rc = import_convert(src, 2, resolve, NULL, &res, &e);
	if (rc) {
		need(rc == -1 && e.msg[0] && strstr(e.msg, "/D/containers/"));
		need(e.code == EXIT_USAGE ||
		     (e.code == EXIT_RUNTIME && boomed));
		need(!res.rules && !res.nrules && !res.findings &&
		     !res.nfindings);
	} else {
		need(!boomed);
		listing(&res, &a);
		import_result_free(&res);
		need(!import_convert(src, 2, resolve, NULL, &res, &e));
		listing(&res, &b);
		need(a.len == b.len &&
		     (!a.len || !memcmp(a.data, b.data, a.len)));
		import_result_free(&res);
	}
	buf_free(&a);
	buf_free(&b);
	import_files_free(&cache);
	import_files_free(&app);
	return 0;
}
