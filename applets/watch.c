/*
 * watch.c - keeps the kernel in line with the store as Docker starts and
 * stops containers: follows GET /events (container and network events),
 * coalesces them (core/watch.c) and syncs what a batch names; init and a
 * full replay when it starts and whenever the stream was lost.
 *
 * Two threads. The events thread only reads the stream (it blocks in
 * read, which is why it is a thread) and feeds the coalescer under a
 * mutex, waking the main thread through a pipe; it reconnects with
 * backoff. The main thread waits in poll(2) on that pipe and on a
 * signalfd, with the coalescer's deadline as the timeout, and does all
 * the work (the engine): no busy loop, no polling of Docker.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "dfw/applet.h"
#include "dfw/fw.h"
#include "dfw/watch.h"

/* The events the coalescer reads (Docker Engine API, GET /events: the
 * filters are ANDed across keys). */
#define EVENT_FILTERS \
	"{\"type\":[\"container\",\"network\"],\"event\":[" \
	"\"start\",\"restart\",\"unpause\",\"rename\",\"die\",\"stop\"," \
	"\"destroy\",\"create\",\"connect\",\"disconnect\"]}"
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define RETRY_MAX_MS 60000 /* a failed batch is tried again */

static const struct opt watch_opts[] = {
	{ "--once", 0, OPT_FLAG, NULL },
	{ "--syslog", 0, OPT_FLAG, NULL },
	{ "--window", 0, OPT_VALUE, "milliseconds, 1 to 10000" },
};

struct watch_run {
	struct cli *cli;
	int once, use_syslog;
	unsigned window_ms;
	/* shared by the two threads, under mu */
	pthread_mutex_t mu;
	struct watch w;
	int wake[2]; /* the events thread -> the main thread */
};

static int watch_opt(void *arg, size_t i, const char *v, const char *word,
		     struct err *e)
{
	struct watch_run *r = arg;
	uint64_t ms;

	switch (i) {
	case 0:
		r->once = 1;
		return 0;
	case 1:
		r->use_syslog = 1;
		return 0;
	}
	if (parse_uint(v, 1, 10000, &ms))
		return err_set(e, EXIT_USAGE,
			       "%s: not a number of "
			       "milliseconds from 1 to 10000",
			       word);
	r->window_ms = (unsigned)ms;
	return 0;
}

/* ---- log: one line per action ------------------------------------------ */

static int use_syslog;

static void say(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(int prio, const char *fmt, ...)
{
	char line[2048], m[sizeof(line) * 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	str_escape_n(m, sizeof(m), line, strlen(line), 0);
	if (use_syslog)
		syslog(prio, "%s", m);
	else
		fprintf(stderr, "%s: %s\n", applet_name, m);
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

/* ---- the events thread ------------------------------------------------- */

struct feed {
	struct watch_run *r;
	int64_t last; /* the time of the last event (Docker's) */
};

static void wake(struct watch_run *r)
{
	char c = 0;

	/* non-blocking: a full pipe wakes the main thread already */
	if (write(r->wake[1], &c, 1) < 0 && errno != EAGAIN)
		say(LOG_ERR, "cannot wake the main thread: %s",
		    strerror(errno));
}

static int on_event(void *arg, const struct docker_event *ev)
{
	struct feed *f = arg;
	int k;

	if (ev->time > f->last)
		f->last = ev->time;
	pthread_mutex_lock(&f->r->mu);
	k = watch_event(&f->r->w, ev, now_ms());
	pthread_mutex_unlock(&f->r->mu);
	if (k)
		wake(f->r);
	return 0;
}

static void *events_main(void *arg)
{
	struct watch_run *r = arg;
	struct feed f = { r, 0 };
	struct docker d;
	struct err e;
	int backoff = BACKOFF_MIN_MS, said = 0;

	for (;;) {
		if (docker_init(&d, &r->cli->cfg, &e)) {
			/* checked in the main thread before; not now */
			say(LOG_ERR, "%s", e.msg);
			sleep_ms(BACKOFF_MAX_MS);
			continue;
		}
		if (docker_ping(&d, &e)) {
			if (!said++)
				say(LOG_WARNING,
				    "cannot reach Docker (%s); "
				    "trying again, every %d s at most",
				    e.msg, BACKOFF_MAX_MS / 1000);
			docker_close(&d);
			sleep_ms(backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ?
					  BACKOFF_MAX_MS :
					  backoff * 2;
			continue;
		}
		said = 0;
		backoff = BACKOFF_MIN_MS;
		say(LOG_INFO, "following Docker's events (%s, API 1.%d)",
		    d.ep.url, d.api);
		/* what the stream will not say any more: from the full
		 * replay; the stream itself starts at the last event seen,
		 * so nothing after the replay's snapshot is missed */
		pthread_mutex_lock(&r->mu);
		watch_resync(&r->w, now_ms());
		pthread_mutex_unlock(&r->mu);
		wake(r);
		if (docker_events_since(&d, EVENT_FILTERS, f.last, on_event, &f,
					&e))
			say(LOG_WARNING,
			    "events stream lost: %s; "
			    "reconnecting",
			    e.msg);
		else
			say(LOG_WARNING, "events stream ended; "
					 "reconnecting");
		docker_close(&d);
		pthread_mutex_lock(&r->mu);
		watch_lost(&r->w);
		pthread_mutex_unlock(&r->mu);
		sleep_ms(BACKOFF_MIN_MS);
	}
	return NULL;
}

/* ---- a batch: the engine ----------------------------------------------- */

static void say_warnings(const struct engine *g)
{
	size_t i;

	for (i = 0; i < g->warnings.n; i++)
		say(LOG_WARNING, "warning: %s", g->warnings.v[i]);
}

/* Every stored container, as replay without names: a file that cannot
 * be read keeps its container's rules as they are (said). */
static int items_all(struct engine *g, struct engine_items *items,
		     struct err *e)
{
	struct store_bad *bad;
	size_t i, nbad;

	if (engine_items_all(g, items, &bad, &nbad, e))
		return -1;
	for (i = 0; i < nbad; i++)
		say(LOG_ERR, "%s", bad[i].err.msg);
	free(bad);
	return 0;
}

/* One container of a batch and the stored containers whose rules name
 * it. Docker may have forgotten it (destroyed): the store and the name
 * the event gave still say who names it. */
static int items_one(struct engine *g, struct engine_items *items,
		     struct watch_ctr *w, struct err *e)
{
	static struct docker_container gone; /* id and name only */
	const struct docker_container *c;
	struct store_rec rec;
	struct err why, ign;

	if (!engine_find_record(g, w->id, &rec, &why, &ign)) {
		/* a network event does not name the container */
		if (!*w->name)
			snprintf(w->name, sizeof(w->name), "%s", rec.name);
		if (*why.msg)
			say(LOG_ERR, "%s: its rules stay as they are", why.msg);
		if (engine_items_push(items, &rec, 0, !!*why.msg))
			return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	c = engine_container(g, w->id, &ign);
	if (c && !*w->name)
		snprintf(w->name, sizeof(w->name), "%s", c->name);
	if (!c) {
		memset(&gone, 0, sizeof(gone));
		snprintf(gone.id, sizeof(gone.id), "%s", w->id);
		snprintf(gone.name, sizeof(gone.name), "%s", w->name);
		c = &gone;
	}
	return engine_items_dependents(g, items, c, e);
}

/* What a batch names, for the log: "web, db (stopped)". */
static void names_of(const struct watch_batch *b, char *out, size_t size)
{
	size_t i, len = 0;

	*out = 0;
	for (i = 0; i < b->n && len < size; i++) {
		const struct watch_ctr *w = &b->v[i];
		int k = snprintf(out + len, size - len, "%s%.64s%s",
				 i ? ", " : "", *w->name ? w->name : w->id,
				 w->down ? " (stopped)" : "");

		if (k < 0)
			break;
		len += (size_t)k;
	}
	if (len >= size && size > 4)
		memcpy(out + size - 4, "...", 4);
}

static void print_changes(const struct engine *g, const struct cli *cli)
{
	if (!cli->cfg.verbose)
		return;
	engine_print_changes(g, stdout);
	fflush(stdout);
}

/* Runs batch b: init when it asks, then one sync (the names a network
 * event did not give filled in). 0, or -1 with e set (the kernel and the
 * store as before the step that failed). */
static int run_batch(struct watch_run *r, struct watch_batch *b, struct err *e)
{
	struct engine_items items = { NULL, 0 };
	struct strv all_nets = { 0 };
	struct engine g;
	char names[512];
	size_t i;
	int rc = -1, partial;

	if (engine_init(&g, &r->cli->cfg, ENGINE_STORE, e))
		return -1;
	if (b->full || b->init) {
		if (engine_setup(&g, &all_nets, e))
			goto out;
		say_warnings(&g);
		say(LOG_INFO, "init: %zu change%s", engine_pending(&g),
		    engine_pending(&g) == 1 ? "" : "s");
		print_changes(&g, r->cli);
		/* the sync is a run of its own */
		engine_free(&g);
		if (engine_init(&g, &r->cli->cfg, ENGINE_STORE, e))
			return -1;
	}
	if (b->full) {
		if (items_all(&g, &items, e))
			goto out;
	} else {
		for (i = 0; i < b->n; i++)
			if (items_one(&g, &items, &b->v[i], e))
				goto out;
	}
	if (!b->full && !items.n) {
		rc = 0;
		goto out;
	}
	partial = engine_sync(&g, items.v, items.n, b->full, e);
	say_warnings(&g);
	if (partial < 0)
		goto out;
	names_of(b, names, sizeof(names));
	say(LOG_INFO, "%s%s: %zu change%s (%lu event%s)",
	    b->full ? "replay of every container" : "sync ",
	    b->full ? "" : names, engine_pending(&g),
	    engine_pending(&g) == 1 ? "" : "s", b->events,
	    b->events == 1 ? "" : "s");
	print_changes(&g, r->cli);
	if (partial)
		say(LOG_ERR, "%s", e->msg);
	rc = 0;
out:
	engine_items_free(&items);
	engine_free(&g);
	/* nothing of the batch is left that points into the string pool:
	 * empty it, or every comment and name ever seen would stay */
	fw_intern_reset();
	return rc;
}

/* ---- the main thread --------------------------------------------------- */

static int loop(struct watch_run *r, int sfd)
{
	struct watch_batch *b = malloc(sizeof(*b));
	struct pollfd p[2] = { { r->wake[0], POLLIN, 0 }, { sfd, POLLIN, 0 } };
	struct signalfd_siginfo si;
	struct err e;
	char drain[64];
	int retry = 0, timeout, taken;

	if (!b) {
		say(LOG_ERR, "out of memory");
		return EXIT_RUNTIME;
	}
	for (;;) {
		pthread_mutex_lock(&r->mu);
		timeout = watch_timeout(&r->w, now_ms());
		pthread_mutex_unlock(&r->mu);
		if (poll(p, 2, timeout) < 0 && errno != EINTR) {
			say(LOG_ERR, "poll: %s", strerror(errno));
			free(b);
			return EXIT_RUNTIME;
		}
		if (p[1].revents & POLLIN &&
		    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo != SIGHUP) {
				say(LOG_INFO, "%s: stopping",
				    strsignal((int)si.ssi_signo));
				free(b);
				return EXIT_DONE;
			}
			say(LOG_INFO, "hangup: reading the store again");
			pthread_mutex_lock(&r->mu);
			if (!r->w.held) /* else the reconnection does */
				watch_resync(&r->w, now_ms());
			pthread_mutex_unlock(&r->mu);
		}
		if (p[0].revents & POLLIN)
			while (read(r->wake[0], drain, sizeof(drain)) > 0)
				;
		pthread_mutex_lock(&r->mu);
		taken = watch_take(&r->w, now_ms(), b);
		pthread_mutex_unlock(&r->mu);
		if (!taken)
			continue;
		if (!run_batch(r, b, &e)) {
			retry = 0;
			continue;
		}
		/* Docker gone (the events thread sees it too), the store
		 * or the kernel: the whole state again, later */
		retry = retry ? (retry * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
							    retry * 2) :
				1000;
		say(LOG_ERR, "%s; init and a full replay again in %d s", e.msg,
		    retry / 1000);
		pthread_mutex_lock(&r->mu);
		if (!r->w.held) /* else the reconnection does */
			watch_resync(&r->w, now_ms() + retry);
		pthread_mutex_unlock(&r->mu);
	}
}

static int once(struct watch_run *r)
{
	static struct watch_batch b;
	struct err e;

	memset(&b, 0, sizeof(b));
	b.full = 1;
	if (run_batch(r, &b, &e)) {
		say(LOG_ERR, "%s", e.msg);
		return e.code ? e.code : EXIT_RUNTIME;
	}
	return EXIT_DONE;
}

int watch_main(int argc, char **argv, struct cli *cli)
{
	static struct watch_run r;
	struct docker d;
	pthread_t t;
	sigset_t sigs;
	struct err e;
	int sfd, rc;

	memset(&r, 0, sizeof(r));
	r.cli = cli;
	if (config_options(cli, CONFIG_CHANGES, watch_opts, 3, watch_opt, &r,
			   OPT_ARGS_NONE, argc - 1, argv + 1, &e) < 0)
		return usage_fail(&e);
	if (config_finish(cli, &e))
		return fail(&e);
	/* the daemon's settings (host, TLS files): usage errors now */
	if (docker_init(&d, &cli->cfg, &e))
		return fail(&e);
	docker_close(&d);
	use_syslog = r.use_syslog;
	if (use_syslog)
		openlog(applet_name, LOG_PID, LOG_DAEMON);
	if (r.once)
		return once(&r);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	/* blocked before the thread starts: it inherits the mask, and
	 * only the signalfd sees them */
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) ||
	    (sfd = signalfd(-1, &sigs, SFD_CLOEXEC)) < 0 ||
	    pipe2(r.wake, O_CLOEXEC | O_NONBLOCK)) {
		say(LOG_ERR, "cannot set up signals: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	pthread_mutex_init(&r.mu, NULL);
	watch_init(&r.w, r.window_ms);
	watch_lost(&r.w); /* nothing until Docker answers */
	if (pthread_create(&t, NULL, events_main, &r)) {
		say(LOG_ERR, "cannot start the events thread");
		return EXIT_RUNTIME;
	}
	say(LOG_INFO, "started (burst window %u ms)", r.w.window_ms);
	rc = loop(&r, sfd);
	/* the events thread blocks in read: the exit ends it */
	return rc;
}
