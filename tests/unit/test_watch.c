/* test_watch.c - the event coalescer of the watch applet (watch.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "dfw/watch.h"
#include "failalloc.h"
#include "unit.h"

static struct docker_event ev(const char *type, const char *action,
			      const char *id, const char *name)
{
	struct docker_event e;

	memset(&e, 0, sizeof(e));
	snprintf(e.type, sizeof(e.type), "%s", type);
	snprintf(e.action, sizeof(e.action), "%s", action);
	snprintf(e.id, sizeof(e.id), "%s", id);
	snprintf(e.name, sizeof(e.name), "%s", name);
	return e;
}

static int feed(struct watch *w, const char *type, const char *action,
		const char *id, const char *name, int64_t now)
{
	struct docker_event e = ev(type, action, id, name);

	return watch_event(w, &e, now);
}

/* A compose-style burst: 20 starts (with their network connects) within
 * the window make one batch, due a window after the first event, each
 * container once. */
static void test_burst(void)
{
	static struct watch w;
	static struct watch_batch b;
	char id[16], name[16];
	int i;

	watch_init(&w, 100);
	check(watch_due(&w) == -1);
	check(watch_timeout(&w, 0) == -1);
	check(watch_take(&w, 1000000, &b) == 0);
	for (i = 0; i < 20; i++) {
		struct docker_event e;

		snprintf(id, sizeof(id), "c%02d", i);
		snprintf(name, sizeof(name), "web%02d", i);
		e = ev("network", "connect", "n1", "front");
		snprintf(e.container, sizeof(e.container), "%s", id);
		check(watch_event(&w, &e, 1000 + i) == 1);
		check(feed(&w, "container", "start", id, name, 1000 + i) == 1);
	}
	check(watch_due(&w) == 1100);
	check(watch_timeout(&w, 1050) == 50);
	check(watch_take(&w, 1099, &b) == 0);
	check(watch_take(&w, 1100, &b) == 1);
	check(b.n == 20 && !b.full && b.init && !b.urgent);
	check(b.events == 40);
	check_str(b.v[0].id, "c00");
	check_str(b.v[0].name, "web00");
	check_str(b.v[19].id, "c19");
	check_str(b.v[19].name, "web19");
	check(!b.v[7].down);
	/* taken: nothing pending */
	check(watch_due(&w) == -1);
	check(watch_take(&w, 5000, &b) == 0);
}

/* Events of no interest ask for nothing; a network create asks for
 * init; events without the container asked for are dropped. */
static void test_uninteresting(void)
{
	static struct watch w;
	static struct watch_batch b;
	struct docker_event e;

	watch_init(&w, 0);
	check(w.window_ms == WATCH_WINDOW_MS);
	check(feed(&w, "container", "exec_start: sh", "c1", "web", 0) == 0);
	check(feed(&w, "container", "pause", "c1", "web", 0) == 0);
	check(feed(&w, "container", "kill", "c1", "web", 0) == 0);
	check(feed(&w, "container", "health_status: healthy", "c1", "web", 0) ==
	      0);
	check(feed(&w, "image", "pull", "busybox", "", 0) == 0);
	check(feed(&w, "network", "destroy", "n1", "front", 0) == 0);
	check(feed(&w, "container", "start", "", "", 0) == 0);
	e = ev("network", "connect", "n1", "front"); /* no container */
	check(watch_event(&w, &e, 0) == 0);
	check(watch_due(&w) == -1);
	check(feed(&w, "network", "create", "n2", "back", 10) == 1);
	check(watch_take(&w, 10 + WATCH_WINDOW_MS, &b) == 1);
	check(b.init && b.n == 0 && !b.full && b.events == 1);
	/* a start alone needs no init */
	check(feed(&w, "container", "start", "c1", "web", 500) == 1);
	check(watch_take(&w, 500 + WATCH_WINDOW_MS, &b) == 1);
	check(!b.init && b.n == 1);
}

/* A die is due at once, whatever waits in the window; the last event of
 * a container says what it is. */
static void test_die_then_start(void)
{
	static struct watch w;
	static struct watch_batch b;
	struct docker_event e;

	watch_init(&w, 100);
	/* start, then die of the same container: down, due at the die */
	check(feed(&w, "container", "start", "c1", "web", 0) == 1);
	check(feed(&w, "container", "start", "c2", "db", 10) == 1);
	check(watch_due(&w) == 100);
	check(feed(&w, "container", "die", "c1", "web", 20) == 1);
	check(watch_due(&w) == 20);
	check(watch_timeout(&w, 20) == 0);
	check(watch_timeout(&w, 30) == 0);
	check(watch_take(&w, 20, &b) == 1);
	check(b.n == 2 && b.urgent);
	check_str(b.v[0].id, "c1");
	check(b.v[0].down);
	check_str(b.v[1].id, "c2");
	check(!b.v[1].down);

	/* die, then start of the same container within one read: up, and
	 * still due at once (its old address went) */
	check(feed(&w, "container", "die", "c1", "web", 200) == 1);
	check(feed(&w, "container", "stop", "c1", "web", 200) == 1);
	check(feed(&w, "container", "start", "c1", "web", 201) == 1);
	check(watch_take(&w, 201, &b) == 1);
	check(b.n == 1 && !b.v[0].down && b.urgent && b.events == 3);

	/* a disconnect is urgent, for the container the event names */
	e = ev("network", "disconnect", "n1", "front");
	snprintf(e.container, sizeof(e.container), "c3");
	check(watch_event(&w, &e, 300) == 1);
	check(watch_take(&w, 300, &b) == 1);
	check(b.n == 1 && b.v[0].down && !*b.v[0].name);
	check_str(b.v[0].id, "c3");

	/* destroy: down, the name kept from the event */
	check(feed(&w, "container", "destroy", "c4", "old", 400) == 1);
	check(watch_take(&w, 400, &b) == 1);
	check(b.n == 1 && b.v[0].down);
	check_str(b.v[0].name, "old");
}

/* The stream ends: nothing is due (Docker is not there) until it is
 * back; then init and a full replay, and the events between are covered
 * by it. */
static void test_stream_end(void)
{
	static struct watch w;
	static struct watch_batch b;

	watch_init(&w, 100);
	check(feed(&w, "container", "start", "c1", "web", 0) == 1);
	watch_lost(&w);
	check(watch_due(&w) == -1);
	check(watch_timeout(&w, 10000) == -1);
	check(watch_take(&w, 10000, &b) == 0);
	/* events queued before the end still come in: no item, held */
	check(feed(&w, "container", "die", "c2", "db", 10000) == 1);
	check(watch_take(&w, 10000, &b) == 0);
	watch_resync(&w, 20000);
	/* the die made it due earlier than the window */
	check(watch_take(&w, 20000, &b) == 1);
	check(b.full && b.n == 0);
	check(watch_due(&w) == -1);

	/* a resync alone is due a window later (SIGHUP, the start) */
	watch_resync(&w, 30000);
	check(watch_due(&w) == 30100);
	check(watch_take(&w, 30099, &b) == 0);
	check(watch_take(&w, 30100, &b) == 1);
	check(b.full && !b.urgent);
}

/* More containers than a batch holds: a full replay instead. */
static void test_overflow(void)
{
	static struct watch w;
	static struct watch_batch b;
	char id[16];
	int i;

	watch_init(&w, 100);
	for (i = 0; i < WATCH_MAX; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		check(feed(&w, "container", "start", id, "", 0) == 1);
	}
	check(w.b.n == WATCH_MAX && !w.b.full);
	check(feed(&w, "container", "start", "one-more", "", 0) == 1);
	check(w.b.full && w.b.n == 0);
	check(feed(&w, "container", "start", "c1", "", 1) == 1);
	check(w.b.n == 0);
	check(watch_take(&w, 100, &b) == 1);
	check(b.full && b.n == 0 && b.events == WATCH_MAX + 2);
	/* the next batch is a normal one again */
	check(feed(&w, "container", "start", "c1", "", 200) == 1);
	check(watch_take(&w, 300, &b) == 1);
	check(!b.full && b.n == 1);
}

/* 10,000 start/stop cycles of 20 containers, a batch taken now and then:
 * no allocation at all, and a batch never holds more than its
 * containers. */
static void test_constant_memory(void)
{
	static struct watch w;
	static struct watch_batch b;
	const long budget = LONG_MAX / 2;
	char id[16];
	int64_t now = 0;
	size_t most = 0;
	long i, taken = 0;

	watch_init(&w, 100);
	failalloc_after(budget);
	for (i = 0; i < 10000; i++) {
		snprintf(id, sizeof(id), "c%ld", i % 20);
		feed(&w, "container", "start", id, "web", now);
		now += 7;
		feed(&w, "container", i % 2 ? "stop" : "die", id, "web", now);
		if (w.b.n > most)
			most = w.b.n;
		if (i % 3 == 0 && watch_take(&w, now, &b))
			taken++;
	}
	check(budget - failalloc_left == 0); /* allocations made */
	failalloc_off();
	check(most <= 20);
	check(taken > 0);
}

UNIT_TESTS(T(test_burst) T(test_uninteresting) T(test_die_then_start)
		   T(test_stream_end) T(test_overflow) T(test_constant_memory))
