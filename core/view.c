/*
 * view.c - the Docker snapshot of one run: the container list (indexed
 * by ID and name; an entry becomes a container block when first asked,
 * inspected only for what the list lacks), the networks, and the address
 * lookups on them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/view.h"

/* An entry of the list's index: its key (an ID or a name) and the
 * entry. */
struct view_key {
	const char *key;
	size_t i;
};

void view_init(struct view *v, struct docker *d)
{
	memset(v, 0, sizeof(*v));
	v->d = d;
}

static void free_block(struct docker_container *c)
{
	if (!c)
		return;
	docker_container_free(c);
	free(c);
}

void view_forget(struct view *v)
{
	size_t i;

	for (i = 0; i < v->nctrs; i++)
		free_block(v->ctrs[i]);
	for (i = 0; v->made && i < v->nlist; i++)
		free_block(v->made[i]);
	free(v->ctrs);
	free(v->made);
	free(v->have);
	free(v->by_id);
	free(v->by_name);
	docker_list_free(v->list, v->nlist);
	v->ctrs = NULL;
	v->nctrs = 0;
	v->made = NULL;
	v->have = NULL;
	v->by_id = v->by_name = NULL;
	v->nnamed = 0;
	v->list = NULL;
	v->nlist = 0;
	v->have_list = 0;
	v->list_failed = 0;
	v->unanswered = 0;
}

void view_free(struct view *v)
{
	view_forget(v);
	free(v->nets);
	memset(v, 0, sizeof(*v));
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct view_key *)a)->key,
		      ((const struct view_key *)b)->key);
}

/* Indexes the list (once; a test may fill v->list itself). 0, or -1
 * with e set. */
static int view_index(struct view *v, struct err *e)
{
	size_t i;

	if (v->by_id)
		return 0;
	v->made = calloc(v->nlist + 1, sizeof(*v->made));
	v->have = calloc(v->nlist + 1, sizeof(*v->have));
	v->by_id = calloc(v->nlist + 1, sizeof(*v->by_id));
	v->by_name = calloc(v->nlist + 1, sizeof(*v->by_name));
	if (!v->made || !v->have || !v->by_id || !v->by_name) {
		view_forget(v);
		v->unanswered = 1; /* as a failed answer: the run stops */
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	for (i = 0; i < v->nlist; i++) {
		v->by_id[i].key = v->list[i].id;
		v->by_id[i].i = i;
		if (!*v->list[i].name)
			continue; /* marked: found by an inspect only */
		v->by_name[v->nnamed].key = v->list[i].name;
		v->by_name[v->nnamed++].i = i;
	}
	qsort(v->by_id, v->nlist, sizeof(*v->by_id), key_cmp);
	qsort(v->by_name, v->nnamed, sizeof(*v->by_name), key_cmp);
	return 0;
}

int view_list(struct view *v, struct err *e)
{
	if (v->list_failed) { /* asked once a run: one timeout, not two */
		*e = v->list_err;
		v->unanswered = 1;
		return -1;
	}
	if (!v->have_list) {
		if (docker_list(v->d, &v->list, &v->nlist, e)) {
			e->code = EXIT_RUNTIME; /* a 404 too: no container
						 * is gone by it */
			v->list_err = *e;
			v->list_failed = 1;
			v->unanswered = 1;
			return -1;
		}
		v->have_list = 1;
	}
	return view_index(v, e);
}

/* The index of the entry of keys[0..n) whose key is s, or -1. */
static long find_key(const struct view_key *keys, size_t n, const char *s)
{
	struct view_key k = { s, 0 };
	const struct view_key *hit = bsearch(&k, keys, n, sizeof(k), key_cmp);

	return hit ? (long)hit->i : -1;
}

/*
 * The list entry name is: a full ID, a name, then a unique ID prefix
 * (moby's daemon.GetContainer order). Its index, -1 when the list holds
 * none, or DOCKER_AMBIGUOUS (-2) for a prefix of several IDs.
 */
static long list_find(const struct view *v, const char *name)
{
	size_t lo = 0, hi = v->nlist, len = strlen(name), mid;
	long i;

	if ((i = find_key(v->by_id, v->nlist, name)) >= 0 ||
	    (i = find_key(v->by_name, v->nnamed, name)) >= 0)
		return i;
	if (!len || len >= 64 || strspn(name, "0123456789abcdef") != len)
		return -1;
	while (lo < hi) { /* the first ID not below name */
		mid = lo + (hi - lo) / 2;
		if (strcmp(v->by_id[mid].key, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == v->nlist || strncmp(v->by_id[lo].key, name, len))
		return -1;
	if (lo + 1 < v->nlist && !strncmp(v->by_id[lo + 1].key, name, len))
		return DOCKER_AMBIGUOUS;
	return (long)v->by_id[lo].i;
}

/* The container of list entry s, in its own block: what the list gives
 * (the networks and ports copied). NULL out of memory. */
static struct docker_container *from_list(const struct docker_summary *s)
{
	struct docker_container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	memcpy(c->id, s->id, sizeof(c->id));
	memcpy(c->name, s->name, sizeof(c->name));
	memcpy(c->network_mode, s->network_mode, sizeof(c->network_mode));
	/* Docker's State.Running holds while paused or restarting */
	c->paused = !strcmp(s->state, "paused");
	c->running = c->paused || !strcmp(s->state, "running") ||
		     !strcmp(s->state, "restarting");
	if ((s->nnets && !(c->nets = malloc(s->nnets * sizeof(*c->nets)))) ||
	    (s->nports &&
	     !(c->ports = malloc(s->nports * sizeof(*c->ports))))) {
		free_block(c);
		return NULL;
	}
	if (s->nnets)
		memcpy(c->nets, s->nets, s->nnets * sizeof(*c->nets));
	if (s->nports)
		memcpy(c->ports, s->ports, s->nports * sizeof(*c->ports));
	c->nnets = s->nnets;
	c->nports = s->nports;
	return c;
}

/* What only an inspect gives, moved from i into c; the list's ID, name,
 * state, network mode, networks and ports stay (pointers into them are
 * held). i is left empty. */
static void take_inspect(struct docker_container *c, struct docker_container *i)
{
	struct docker_container keep = *c;

	free(i->nets);
	free(i->ports);
	*c = *i;
	memcpy(c->id, keep.id, sizeof(c->id));
	memcpy(c->name, keep.name, sizeof(c->name));
	memcpy(c->network_mode, keep.network_mode, sizeof(c->network_mode));
	c->running = keep.running;
	c->paused = keep.paused;
	c->nets = keep.nets;
	c->nnets = keep.nnets;
	c->ports = keep.ports;
	c->nports = keep.nports;
	memset(i, 0, sizeof(*i));
}

/* A container inspected because the list does not hold it (or marks it),
 * kept in v->ctrs. */
static int lookup_extra(struct view *v, const char *name,
			const struct docker_container **out, struct err *e)
{
	struct docker_container c;
	size_t i;
	void *p;
	int rc;

	rc = docker_inspect(v->d, name, &c, e);
	v->inspected++;
	if (rc) {
		v->unanswered |= rc == -1 && e->code == EXIT_RUNTIME;
		return rc;
	}
	for (i = 0; i < v->nctrs; i++)
		if (!strcmp(v->ctrs[i]->id, c.id)) {
			docker_container_free(&c);
			*out = v->ctrs[i];
			return 0;
		}
	/* each container has its own block: pointers handed out stay
	 * valid until view_forget */
	p = realloc(v->ctrs, (v->nctrs + 1) * sizeof(*v->ctrs));
	if (p)
		v->ctrs = p;
	if (!p || !(v->ctrs[v->nctrs] = malloc(sizeof(c)))) {
		docker_container_free(&c);
		v->unanswered = 1;
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	*v->ctrs[v->nctrs] = c;
	*out = v->ctrs[v->nctrs++];
	return 0;
}

int view_lookup(struct view *v, const char *name, unsigned needs,
		const struct docker_container **out, struct err *e)
{
	struct docker_container c;
	size_t k;
	long i;
	int rc;

	*out = NULL;
	if (*name == '/')
		name++;
	for (k = 0; k < v->nctrs; k++) /* inspected: the list missed it */
		if (!strcmp(v->ctrs[k]->name, name) ||
		    !strcmp(v->ctrs[k]->id, name)) {
			*out = v->ctrs[k];
			return 0;
		}
	if (view_list(v, e))
		return -1;
	i = list_find(v, name);
	if (i == DOCKER_AMBIGUOUS) {
		err_set(e, EXIT_USAGE,
			"ambiguous container ID prefix \"%.64s\": "
			"more than one container matches",
			name);
		return DOCKER_AMBIGUOUS;
	}
	if (i < 0 || !*v->list[i].name)
		return lookup_extra(v, name, out, e);
	if (!v->made[i] && !(v->made[i] = from_list(&v->list[i]))) {
		v->unanswered = 1;
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	needs &= VIEW_NEEDS_ALL;
	if (needs & ~v->have[i]) {
		/* by its name (as the caller's messages say it); by its ID
		 * when the name went to another container since the list */
		rc = docker_inspect(v->d, v->list[i].name, &c, e);
		v->inspected++;
		if (!rc && strcmp(c.id, v->list[i].id)) {
			docker_container_free(&c);
			rc = docker_inspect(v->d, v->list[i].id, &c, e);
		}
		if (rc) {
			v->unanswered |= rc == -1 && e->code == EXIT_RUNTIME;
			return rc;
		}
		take_inspect(v->made[i], &c);
		v->have[i] = VIEW_NEEDS_ALL;
	}
	*out = v->made[i];
	return 0;
}

const struct docker_container *view_container(struct view *v, const char *name,
					      unsigned needs, struct err *e)
{
	const struct docker_container *c;

	return view_lookup(v, name, needs, &c, e) ? NULL : c;
}

int view_networks(struct view *v, struct err *e)
{
	if (v->have_nets)
		return 0;
	if (v->nets_failed) { /* as view_list: asked once */
		*e = v->nets_err;
		v->unanswered = 1;
		return -1;
	}
	if (docker_networks(v->d, &v->nets, &v->nnets, e)) {
		e->code = EXIT_RUNTIME; /* a 404 too */
		v->nets_err = *e;
		v->nets_failed = 1;
		v->unanswered = 1;
		return -1;
	}
	v->have_nets = 1;
	return 0;
}

int view_ip4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = a.s_addr;
	return 0;
}

/* Whether the first prefix bits of a and b (16 bytes each) agree. */
static int same_prefix(const uint8_t *a, const uint8_t *b, int prefix)
{
	int i = prefix / 8, r = prefix % 8;

	if (memcmp(a, b, i))
		return 0;
	return !r || !((a[i] ^ b[i]) & (0xff << (8 - r)));
}

/* An address of family in text into 16 bytes (an IPv4 one in the first
 * 4): 0, or -1 when s is not one. */
static int addr_of(int family, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	return s && inet_pton(family, s, out) == 1 ? 0 : -1;
}

const struct docker_network *view_net_of(const struct view *v, int family,
					 const uint8_t addr[16], int prefix,
					 const char **subnet)
{
	const uint64_t max = family == AF_INET6 ? 128 : 32;
	size_t i, j;

	for (i = 0; i < v->nnets; i++)
		for (j = 0; j < v->nets[i].nsubnets; j++) {
			const char *s = v->nets[i].subnets[j].subnet;
			char a[50], *slash;
			uint8_t net[16];
			uint64_t p;

			snprintf(a, sizeof(a), "%s", s);
			slash = strchr(a, '/');
			if (!slash)
				continue;
			*slash = 0;
			if (addr_of(family, a, net) ||
			    parse_uint(slash + 1, 0, max, &p))
				continue;
			if ((int)p <= prefix &&
			    same_prefix(addr, net, (int)p)) {
				*subnet = s;
				return &v->nets[i];
			}
		}
	return NULL;
}

const struct docker_container *view_holder(struct view *v, int family,
					   const uint8_t addr[16],
					   struct err *e)
{
	const struct docker_container *c;
	const struct docker_summary *skipped = NULL;
	size_t i, j;
	uint8_t a[16];

	if (view_list(v, e))
		return NULL;
	for (i = 0; i < v->nlist; i++) {
		if (strcmp(v->list[i].state, "running") &&
		    strcmp(v->list[i].state, "paused"))
			continue;
		if (!*v->list[i].name) { /* a name docker-fw cannot take */
			skipped = &v->list[i];
			continue;
		}
		/* the list's networks are the container's (view_lookup) */
		c = NULL;
		for (j = 0; j < v->list[i].nnets && !c; j++) {
			const struct docker_cnet *n = &v->list[i].nets[j];

			if (!addr_of(family,
				     family == AF_INET6 ? n->ip6 : n->ip, a) &&
			    !memcmp(a, addr, family == AF_INET6 ? 16 : 4) &&
			    !(c = view_container(v, v->list[i].id, 0, e)))
				return NULL;
		}
		if (c)
			return c;
	}
	if (skipped)
		err_set(e, EXIT_USAGE,
			"no container docker-fw can name holds "
			"it (skipped: %s)",
			skipped->why);
	else
		err_set(e, EXIT_USAGE, "no container holds it");
	return NULL;
}

const struct docker_cnet *view_cnet(const struct docker_container *c,
				    const char *name)
{
	size_t i;

	for (i = 0; i < c->nnets; i++)
		if (!strcmp(c->nets[i].name, name))
			return &c->nets[i];
	return NULL;
}

static void net_names(const struct docker_container *c,
		      const struct docker_container *peer, char *out,
		      size_t len)
{
	size_t i, off = 0;

	*out = 0;
	for (i = 0; i < c->nnets && off < len; i++) {
		if (peer && !view_cnet(peer, c->nets[i].name))
			continue;
		off += snprintf(out + off, len - off, "%s\"%s\"",
				off ? ", " : "", c->nets[i].name);
	}
}

const struct docker_container *view_stack(struct view *v,
					  const struct docker_container *c,
					  struct err *e)
{
	const struct docker_container *o = c;
	char q[80];
	int depth;

	for (depth = 0; depth < 4; depth++) {
		const char *x = o->network_mode + 10;

		if (strncmp(o->network_mode, "container:", 10))
			break;
		/* Docker keeps the name given or the ID, by version */
		o = view_container(v, x, 0, e);
		if (!o) {
			err_wrap(e,
				 "container \"%s\" runs in the network "
				 "stack of container \"%s\" (network mode "
				 "container:)",
				 c->name,
				 docker_id_ok(x) ?
					 str_escape_n(q, 13, x, 12, 0) :
					 STR_ESC(q, x));
			return NULL;
		}
		if (!o->running) {
			err_set(e, EXIT_USAGE,
				"container \"%s\" runs in the network stack "
				"of container \"%s\", which is not running",
				c->name, o->name);
			return NULL;
		}
	}
	if (depth == 4) {
		err_set(e, EXIT_USAGE,
			"container \"%s\": network modes container: "
			"nested more than 3 deep",
			c->name);
		return NULL;
	}
	return o;
}

/* Whether network name is among c's (and peer's, when not NULL). */
static int candidate(const struct docker_container *c, const char *name,
		     const struct docker_container *peer)
{
	return view_cnet(c, name) && (!peer || view_cnet(peer, name));
}

const struct docker_cnet *view_pick_net(const struct docker_container *c,
					const char *network,
					const struct docker_container *peer,
					const char *made_on, struct err *e)
{
	const struct docker_cnet *n = NULL;
	char names[300], made[200] = "";
	size_t i, shared = 0;

	if (*network) {
		const struct docker_container *off =
			!view_cnet(c, network)		  ? c :
			peer && !view_cnet(peer, network) ? peer :
							    NULL;

		if (!off)
			return view_cnet(c, network);
		net_names(off, NULL, names, sizeof(names));
		err_set(e, EXIT_USAGE,
			"container \"%s\" is not on "
			"network \"%s\" (its networks: %s)",
			off->name, network, *names ? names : "none");
		return NULL;
	}
	if (!c->nnets) {
		err_set(e, EXIT_USAGE,
			"container \"%s\" has no network "
			"address (network mode \"%s\")",
			c->name, c->network_mode);
		return NULL;
	}
	if (made_on && *made_on) {
		if (candidate(c, made_on, peer))
			return view_cnet(c, made_on);
		snprintf(made, sizeof(made),
			 " (the rule was made on network \"%s\"%s)", made_on,
			 candidate(c, made_on, peer) ? "" :
			 peer ? ", which they no longer share" :
				", which it has left");
	}
	if (c->nnets == 1 && !peer)
		return &c->nets[0];
	if (!peer) {
		net_names(c, NULL, names, sizeof(names));
		err_set(e, EXIT_USAGE,
			"container \"%s\" is on several "
			"networks (%s)%s: name one with --network",
			c->name, names, made);
		return NULL;
	}
	for (i = 0; i < c->nnets; i++)
		if (view_cnet(peer, c->nets[i].name)) {
			n = &c->nets[i];
			shared++;
		}
	if (shared == 1)
		return n;
	if (!shared) {
		err_set(e, EXIT_USAGE,
			"containers \"%s\" and \"%s\" share "
			"no network%s",
			c->name, peer->name, made);
		return NULL;
	}
	net_names(c, peer, names, sizeof(names));
	err_set(e, EXIT_USAGE,
		"containers \"%s\" and \"%s\" share several "
		"networks (%s)%s: name one with --network",
		c->name, peer->name, names, made);
	return NULL;
}

const char *view_bridge(const struct view *v, const struct docker_cnet *n)
{
	size_t i;

	for (i = 0; i < v->nnets; i++)
		if (*n->network_id ? !strcmp(v->nets[i].id, n->network_id) :
				     !strcmp(v->nets[i].name, n->name))
			return v->nets[i].bridge;
	return NULL;
}

/* ---- the network published ports reach -------------------------------- */

/* The Docker network named name, or NULL (networks read). */
static const struct docker_network *net_named(const struct view *v,
					      const char *name)
{
	size_t i;

	for (i = 0; i < v->nnets; i++)
		if (!strcmp(v->nets[i].name, name))
			return &v->nets[i];
	return NULL;
}

/* Whether endpoint a of c goes before b as libnetwork orders a sandbox's
 * endpoints for its default gateway (Endpoint.Less, sandbox.go): the
 * higher GwPriority, a network that is not internal, from Docker 28.0
 * (API 1.48) the one with more gateways (IPv4 and IPv6), then the
 * network's name. */
static int gw_before(const struct view *v, const struct docker_cnet *a,
		     const struct docker_cnet *b)
{
	const struct docker_network *na = net_named(v, a->name);
	const struct docker_network *nb = net_named(v, b->name);
	int ia = na && na->internal, ib = nb && nb->internal;
	int ga = !!*a->gateway + !!*a->gateway6;
	int gb = !!*b->gateway + !!*b->gateway6;

	if (a->gw_priority != b->gw_priority)
		return a->gw_priority > b->gw_priority;
	if (ia != ib)
		return ib;
	if (v->d && v->d->api >= 48 && ga != gb)
		return ga > gb;
	return strcmp(a->name, b->name) < 0;
}

const struct docker_cnet *view_port_net(struct view *v,
					const struct docker_container *c,
					const char *network, struct err *e)
{
	const struct docker_cnet *n = NULL, *gw = NULL;
	const struct docker_network *nw;
	size_t i;

	if (*network || c->nnets < 2) {
		n = view_pick_net(c, network, NULL, NULL, e);
		if (!n || c->nnets < 2)
			return n;
	}
	if (view_networks(v, e))
		return NULL;
	for (i = 0; i < c->nnets; i++) {
		nw = net_named(v, c->nets[i].name);
		if (nw && nw->internal)
			continue; /* Docker publishes no port there */
		if (!gw || gw_before(v, &c->nets[i], gw))
			gw = &c->nets[i];
	}
	if (!gw) {
		err_set(e, EXIT_USAGE,
			"container \"%s\" is on internal networks only: "
			"Docker publishes none of its ports",
			c->name);
		return NULL;
	}
	if (n && n != gw) {
		err_set(e, EXIT_USAGE,
			"--network \"%s\": Docker's DNAT sends the published "
			"ports of container \"%s\" to its address on network "
			"\"%s\" (%s), its default gateway's: a rule on \"%s\" "
			"never matches (use --network %s, or leave it out)",
			network, c->name, gw->name, *gw->ip ? gw->ip : gw->ip6,
			network, gw->name);
		return NULL;
	}
	return gw;
}
