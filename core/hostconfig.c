/*
 * hostconfig.c - a container's networking configuration as sorted,
 * normalised lines: what save-hostconfig stores and start compares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/hostconfig.h"
#include "dfw/rulespec.h"

static int line(struct strv *out, const char *key, const char *a, const char *b,
		const char *c)
{
	const char *w[3] = { a, b, c };
	struct buf l = { 0 };
	int rc, i;

	rc = buf_adds(&l, key);
	for (i = 0; i < 3 && w[i] && !rc; i++)
		rc = buf_adds(&l, " ") || rulespec_quote(w[i], &l);
	if (!rc)
		rc = strv_add(out, l.data, l.len);
	buf_free(&l);
	return rc ? -1 : 0;
}

static int list(struct strv *out, const char *key, const struct strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (line(out, key, v->v[i], NULL, NULL))
			return -1;
	return 0;
}

static int ports(struct strv *out, const struct docker_port *p, size_t n,
		 int assigned)
{
	char port[16], hport[8];
	size_t i;

	_Static_assert(sizeof("any") <= sizeof(hport), "hport room");

	for (i = 0; i < n; i++) {
		const char *ip = p[i].host_ip;

		if (assigned && !p[i].host_port)
			continue; /* exposed, not published */
		if (!*ip || !strcmp(ip, "::"))
			ip = "0.0.0.0";
		snprintf(port, sizeof(port), "%u/%s", p[i].port, p[i].proto);
		if (p[i].host_port)
			snprintf(hport, sizeof(hport), "%u", p[i].host_port);
		else
			memcpy(hport, "any", sizeof("any"));
		if (line(out, "port", port, ip, hport))
			return -1;
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and drops duplicates (a port bound on 0.0.0.0 and ::). */
static void sort_uniq(struct strv *v, size_t from)
{
	size_t i, j = from;

	qsort(v->v + from, v->n - from, sizeof(*v->v), cmp);
	for (i = from; i < v->n; i++) {
		if (j > from && !strcmp(v->v[j - 1], v->v[i])) {
			free(v->v[i]);
			continue;
		}
		v->v[j++] = v->v[i];
	}
	v->n = j;
}

int hostconfig_lines(const struct docker_container *c, int assigned,
		     struct strv *out)
{
	const char *mode = *c->network_mode &&
					   strcmp(c->network_mode, "default") ?
				   c->network_mode :
				   "bridge";
	const char *restart = *c->restart_policy ? c->restart_policy : "no";
	char max[16];
	size_t from = out->n;

	snprintf(max, sizeof(max), "%d", c->restart_max);
	if (list(out, "bind", &c->binds) || list(out, "cap-add", &c->cap_add) ||
	    list(out, "cap-drop", &c->cap_drop) || list(out, "dns", &c->dns) ||
	    list(out, "extra-host", &c->extra_hosts) ||
	    list(out, "link", &c->links) ||
	    line(out, "network-mode", mode, NULL, NULL) ||
	    (assigned ? ports(out, c->ports, c->nports, 1) :
			ports(out, c->bindings, c->nbindings, 0)) ||
	    line(out, "privileged", c->privileged ? "1" : "0", NULL, NULL) ||
	    line(out, "restart", restart, max, NULL) ||
	    list(out, "volumes-from", &c->volumes_from))
		return -1;
	sort_uniq(out, from);
	return 0;
}

/* "port P HOSTIP any" in now matches "port P HOSTIP N" saved. */
static int same(const char *saved, const char *now)
{
	size_t n = strlen(now);

	if (!strcmp(saved, now))
		return 1;
	if (strncmp(now, "port ", 5) || n < 4 || strcmp(now + n - 4, " any"))
		return 0;
	return !strncmp(saved, now, n - 3) && saved[n - 3] &&
	       !strchr(saved + n - 3, ' ');
}

int hostconfig_diff(const struct strv *saved, const struct strv *now,
		    struct buf *diff)
{
	char *used = calloc(saved->n + 1, 1);
	size_t i, j;
	int n = 0;

	if (!used)
		return -1;
	for (i = 0; i < now->n; i++) {
		for (j = 0; j < saved->n; j++)
			if (!used[j] && same(saved->v[j], now->v[i]))
				break;
		if (j < saved->n) {
			used[j] = 1;
			continue;
		}
		n++;
		if (buf_printf(diff, "  + %s\n", now->v[i]))
			goto nomem;
	}
	for (j = 0; j < saved->n; j++)
		if (!used[j]) {
			n++;
			if (buf_printf(diff, "  - %s\n", saved->v[j]))
				goto nomem;
		}
	free(used);
	return n;
nomem:
	free(used);
	return -1;
}
