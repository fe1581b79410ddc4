/*
 * watch.h - the event coalescer of the watch applet: Docker's events in
 * (GET /events, docker.h's struct docker_event), one batch of work out.
 * Pure: no Docker, no kernel, no clock (the caller says the time in
 * milliseconds of a monotonic clock), no allocation - a struct watch is
 * all the memory it uses, whatever the number of events.
 *
 * What an event asks for:
 *   container start, restart, unpause, rename; network connect (of the
 *   container Attributes.container names, and init for the network):
 *   the container's rules (and the rules naming it) follow its
 *   addresses, once the burst window since the first such event has
 *   passed;
 *   container die, stop, destroy; network disconnect: the container's
 *   rules (and the rules naming it) follow at once - an address it gave
 *   up may go to the next container;
 *   network create: init (the new bridge's catch-all out), in the window;
 *   everything else: nothing.
 * A container is kept once in a batch, with what its last event said
 * (a die then a start: up; a start then a die: down): the batch names
 * containers, and the caller reads their addresses from Docker when it
 * acts, so it never acts on an address older than the last event seen.
 * More containers than WATCH_MAX in one batch, a lost stream, or a
 * caller's request: init and a full replay instead (which covers every
 * container).
 */
#ifndef DFW_WATCH_H
#define DFW_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "dfw/docker.h"

#define WATCH_MAX 64	    /* containers in one batch; more: full */
#define WATCH_WINDOW_MS 200 /* the default burst window */

struct watch_ctr {
	char id[65];	/* Docker's ID as the event gave it */
	char name[256]; /* its name, "" when the event had none */
	int down;	/* the last event took an address away */
};

/* One batch of work. */
struct watch_batch {
	struct watch_ctr v[WATCH_MAX]; /* the containers to sync, in the
					 * order first seen (unused when
					 * full) */
	size_t n;
	int full;	      /* init and a replay of everything */
	int init;	      /* init (a network was created, or a
				 * container connected to one) */
	int urgent;	      /* an address was taken away: due at once */
	unsigned long events; /* events this batch sums up */
};

struct watch {
	struct watch_batch b; /* pending */
	unsigned window_ms;
	int held;    /* the stream ended: nothing is due until
				 * watch_resync (Docker is not there) */
	int64_t due; /* when b is due (ms); -1: nothing pending */
};

/* Starts w empty with a burst window of window_ms (0: WATCH_WINDOW_MS). */
void watch_init(struct watch *w, unsigned window_ms);

/* Feeds one event seen at now (ms). Returns 1 when it asks for work, 0
 * when it is of no interest (or adds nothing to a full batch). */
int watch_event(struct watch *w, const struct docker_event *ev, int64_t now);

/* The events stream ended: init and a full replay are needed, and
 * nothing is due until watch_resync says Docker is back. */
void watch_lost(struct watch *w);

/* Docker is there (again), or the store changed (SIGHUP), or the watch
 * starts: init and a full replay are due within the window from now. */
void watch_resync(struct watch *w, int64_t now);

/* When the pending batch is due (ms, maybe in the past), or -1 when
 * nothing is pending or the stream is lost. */
int64_t watch_due(const struct watch *w);

/* Moves the pending batch into *out if it is due at now, leaving w empty
 * (the window, and a lost stream's hold, kept). 1 when a batch was taken,
 * else 0 (*out untouched). */
int watch_take(struct watch *w, int64_t now, struct watch_batch *out);

/* The milliseconds from now until the batch is due, for poll(2): -1
 * (wait for an event) when nothing is due, 0 when it is due already,
 * at most INT_MAX. */
int watch_timeout(const struct watch *w, int64_t now);

#endif
