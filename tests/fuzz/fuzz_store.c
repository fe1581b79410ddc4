/*
 * fuzz_store.c - the store file reader: arbitrary bytes as the file of
 * one container (store_parse). It never crashes; what loads holds the
 * caps; and the text store_format makes of it is a fixed point: it loads
 * back to an equal record, which formats to the same text, one line per
 * value, with no raw control character, in the lowest version that holds
 * it (3 with a rule's --made-on, else 2 only with a $'...' word).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define need(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

#define ID "4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2"

static int rec_equal(const struct store_rec *a, const struct store_rec *b)
{
	size_t i;

	if (strcmp(a->id, b->id) || strcmp(a->name, b->name) ||
	    a->nrules != b->nrules || a->hostconfig.n != b->hostconfig.n)
		return 0;
	for (i = 0; i < a->nrules; i++)
		if (!rulespec_equal(&a->rules[i], &b->rules[i]) ||
		    strcmp(a->rules[i].made_on, b->rules[i].made_on))
			return 0;
	for (i = 0; i < a->hostconfig.n; i++)
		if (strcmp(a->hostconfig.v[i], b->hostconfig.v[i]))
			return 0;
	return 1;
}

/* One line a value, each within the cap, no raw control byte; version 3
 * when a rule says the network it was made on, else 2 only with a $'...'
 * word, else 1. */
static void check_text(const struct buf *t, const struct store_rec *r)
{
	size_t i, line = 0;
	int made_on = 0;

	for (i = 0; i < r->nrules; i++)
		made_on |= !!*r->rules[i].made_on;
	need(t->len <= STORE_MAX_BYTES);
	if (made_on)
		need(!strncmp(t->data, "docker-fw-store 3\n", 18));
	else
		need(!strncmp(t->data, "docker-fw-store 1\n", 18) ||
		     (!strncmp(t->data, "docker-fw-store 2\n", 18) &&
		      strstr(t->data, "$'")));
	for (i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->data[i];

		if (c == '\n') {
			need(i - line <= STORE_MAX_LINE);
			line = i + 1;
			continue;
		}
		need(c >= 0x20 && c != 0x7f);
	}
	need(line == t->len); /* ends with a newline */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_rec r, r2;
	struct buf a = { 0 }, b = { 0 };
	struct err e;
	char *text = malloc(size + 1);

	need(text);
	memcpy(text, data, size);
	if (store_parse(text, size, "F", ID, &r, &e)) {
		need(e.code == EXIT_RUNTIME && !strncmp(e.msg, "F", 1));
		free(text);
		return 0;
	}
	need(r.nrules <= STORE_MAX_RULES);
	need(r.hostconfig.n <= STORE_MAX_HOSTCONFIG);
	need(!strcmp(r.id, ID));
	/* the canonical form may be longer than a hand-written file: past a
	 * cap it is refused, never written cut */
	if (store_format(&r, &a, &e)) {
		need(e.code == EXIT_USAGE && !a.len);
	} else {
		check_text(&a, &r);
		need(!store_parse(a.data, a.len, "F", ID, &r2, &e));
		need(rec_equal(&r, &r2));
		need(!store_format(&r2, &b, &e));
		/* store_parse cut a's newlines: compare with b's again */
		buf_free(&a);
		need(!store_format(&r, &a, &e));
		need(a.len == b.len && !memcmp(a.data, b.data, a.len));
		store_rec_free(&r2);
	}
	store_rec_free(&r);
	buf_free(&a);
	buf_free(&b);
	free(text);
	return 0;
}
