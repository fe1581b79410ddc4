/*
 * watch.c - Docker's events coalesced into batches of work (watch.h).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "dfw/watch.h"

enum { NOTHING, UP, DOWN, INIT, CONNECT };

/* What an event asks for (watch.h says why). */
static int kind(const struct docker_event *ev, const char **id)
{
	static const char *const up[] = { "start", "restart", "unpause",
					  "rename" };
	static const char *const down[] = { "die", "stop", "destroy" };
	size_t i;

	*id = ev->id;
	if (!strcmp(ev->type, "container")) {
		for (i = 0; i < sizeof(up) / sizeof(up[0]); i++)
			if (!strcmp(ev->action, up[i]))
				return UP;
		for (i = 0; i < sizeof(down) / sizeof(down[0]); i++)
			if (!strcmp(ev->action, down[i]))
				return DOWN;
		return NOTHING;
	}
	if (strcmp(ev->type, "network"))
		return NOTHING;
	if (!strcmp(ev->action, "create"))
		return INIT;
	*id = ev->container;
	if (!strcmp(ev->action, "connect"))
		return CONNECT;
	if (!strcmp(ev->action, "disconnect"))
		return DOWN;
	return NOTHING;
}

static void pending(struct watch *w, int64_t due)
{
	if (w->due < 0 || due < w->due)
		w->due = due;
}

void watch_init(struct watch *w, unsigned window_ms)
{
	memset(w, 0, sizeof(*w));
	w->window_ms = window_ms ? window_ms : WATCH_WINDOW_MS;
	w->due = -1;
}

/* The container's slot in the batch (a new one at the end), or NULL
 * when the batch is full (then a full replay is asked for instead). */
static struct watch_ctr *slot(struct watch *w, const char *id)
{
	struct watch_batch *b = &w->b;
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].id, id))
			return &b->v[i];
	if (b->n == WATCH_MAX) {
		b->full = 1;
		b->n = 0;
		return NULL;
	}
	memset(&b->v[b->n], 0, sizeof(b->v[0]));
	snprintf(b->v[b->n].id, sizeof(b->v[0].id), "%s", id);
	return &b->v[b->n++];
}

int watch_event(struct watch *w, const struct docker_event *ev, int64_t now)
{
	struct watch_ctr *c;
	const char *id;
	int k = kind(ev, &id);

	if (k == NOTHING || (k != INIT && !*id))
		return 0;
	w->b.events++;
	if (k == INIT) {
		w->b.init = 1;
		pending(w, now + w->window_ms);
		return 1;
	}
	if (k == CONNECT) {
		/* a bridge may be new to docker-fw (or its rules new to
		 * Docker): init sees to it, and the container follows */
		w->b.init = 1;
		k = UP;
	}
	if (k == DOWN) {
		/* an address is going: at once, whatever else waits */
		w->b.urgent = 1;
		pending(w, now);
	} else {
		pending(w, now + w->window_ms);
	}
	if (w->b.full || !(c = slot(w, id)))
		return 1; /* the full replay covers it */
	c->down = k == DOWN;
	/* the name of a container event (a network event names the
	 * network) */
	if (!strcmp(ev->type, "container") && *ev->name)
		snprintf(c->name, sizeof(c->name), "%s", ev->name);
	return 1;
}

void watch_lost(struct watch *w)
{
	w->held = 1;
	w->b.full = 1;
	w->b.n = 0;
}

void watch_resync(struct watch *w, int64_t now)
{
	w->held = 0;
	w->b.full = 1;
	w->b.n = 0;
	pending(w, now + w->window_ms);
}

int64_t watch_due(const struct watch *w)
{
	return w->held ? -1 : w->due;
}

int watch_take(struct watch *w, int64_t now, struct watch_batch *out)
{
	int64_t due = watch_due(w);

	if (due < 0 || due > now)
		return 0;
	memcpy(out, &w->b, sizeof(*out));
	memset(&w->b, 0, sizeof(w->b));
	w->due = -1;
	return 1;
}

int watch_timeout(const struct watch *w, int64_t now)
{
	int64_t due = watch_due(w);

	if (due < 0)
		return -1;
	if (due <= now)
		return 0;
	return due - now > INT_MAX ? INT_MAX : (int)(due - now);
}
