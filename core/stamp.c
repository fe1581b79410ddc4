/*
 * stamp.c - a full replay's stamp (#18): see stamp.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/stamp.h"

#define STAMP_TMP STAMP_FILE ".new"
#define STAMP_MAX 1024 /* a longer file is not one we wrote */
#define STAMP_HEAD "docker-fw stamp 1\n"

static uint64_t hs(uint64_t h, const char *s)
{
	return hash64(s ? s : "", s ? strlen(s) + 1 : 0, h);
}

static uint64_t hi(uint64_t h, long long v)
{
	return hash64(&v, sizeof(v), h);
}

/* The bytes of the regular file name in folder dfd after h, or a mark
 * of what else is there; -1 when it cannot be read. */
static int file_digest(int dfd, const char *name, uint64_t *h)
{
	char buf[65536];
	struct stat st;
	ssize_t n;
	size_t got;
	int fd;

	fd = openat(dfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno != ELOOP && errno != ENXIO)
			return -1;
		*h = hi(*h, -1); /* a link, a socket: not read */
		return 0;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		*h = hi(*h, -2 - (long long)(st.st_mode & S_IFMT));
		close(fd);
		return 0;
	}
	/* whole buffers, so that equal bytes give equal parts */
	for (;;) {
		got = 0;
		while (got < sizeof(buf)) {
			n = read(fd, buf + got, sizeof(buf) - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				close(fd);
				return -1;
			}
			if (!n)
				break;
			got += (size_t)n;
		}
		*h = hash64(buf, got, *h);
		if (got < sizeof(buf))
			break;
	}
	close(fd);
	return 0;
}

/* Every entry of the store's folder but its lock and the stamp: names
 * and bytes, in any order (a sum of each file's digest). */
static int store_digest(struct store *s, uint64_t *out)
{
	struct dirent *de;
	uint64_t sum = 0, h;
	DIR *d;
	int fd, rc = 0;

	if (s->dir_fd < 0)
		return -1;
	fd = dup(s->dir_fd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			rc = errno ? -1 : 0;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, ".lock") ||
		    !strncmp(de->d_name, STAMP_FILE, strlen(STAMP_FILE)))
			continue;
		h = hs(0, de->d_name);
		if (file_digest(s->dir_fd, de->d_name, &h) && errno != ENOENT) {
			rc = -1;
			break;
		}
		sum += h;
	}
	closedir(d);
	*out = sum;
	return rc;
}

/* What a replay uses of Docker's list and networks (docker.h), in any
 * order (Docker's /networks, and a map's order, may differ from one call
 * to the next): a sum of each item's digest. */
static uint64_t cnet_digest(const struct docker_cnet *n)
{
	uint64_t h = hs(hs(hs(hs(0, n->name), n->network_id), n->ip),
			n->gateway);

	h = hs(hs(h, n->ip6), n->gateway6);
	return hi(hi(hi(h, n->prefix), n->prefix6), n->gw_priority);
}

static uint64_t docker_digest(const struct view *v)
{
	uint64_t h, sum = hi(hi(0, (long long)v->nlist), (long long)v->nnets);
	size_t i, j;

	for (i = 0; i < v->nlist; i++) {
		const struct docker_summary *c = &v->list[i];

		h = hs(hs(hs(hs(hs(0, c->id), c->name), c->state), c->why),
		       c->network_mode);
		h = hi(hi(h, (long long)c->nnets), (long long)c->nports);
		for (j = 0; j < c->nnets; j++)
			h += cnet_digest(&c->nets[j]);
		for (j = 0; j < c->nports; j++) {
			const struct docker_port *p = &c->ports[j];

			h += hi(hi(hs(hs(0, p->proto), p->host_ip), p->port),
				p->host_port);
		}
		sum += hi(h, 1); /* a container's */
	}
	for (i = 0; i < v->nnets; i++) {
		const struct docker_network *n = &v->nets[i];

		h = hs(hs(hs(hs(0, n->id), n->name), n->driver), n->bridge);
		h = hi(hi(hi(h, n->internal), n->ipv6), (long long)n->nsubnets);
		for (j = 0; j < n->nsubnets && j < 4; j++)
			h += hi(hs(hs(0, n->subnets[j].subnet),
				   n->subnets[j].gateway),
				n->subnets[j].family);
		sum += hi(h, 2); /* a network's */
	}
	return sum;
}

/* The bridge sysctls a replay after init checks (engine.c's brnf), as
 * they read now; a missing one (no br_netfilter) is a value too. */
static uint64_t brnf_digest(void)
{
	static const char *const path[] = {
		"/proc/sys/net/bridge/bridge-nf-call-iptables",
		"/proc/sys/net/bridge/bridge-nf-call-ip6tables",
	};
	char v[32];
	uint64_t h = 0;
	ssize_t n;
	size_t k;
	int fd;

	for (k = 0; k < 2; k++) {
		fd = open(path[k], O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, v, sizeof(v));
		if (fd >= 0)
			close(fd);
		h = n < 0 ? hi(h, -1) : hash64(v, (size_t)n, hi(h, n));
	}
	return h;
}

/* The program: a new build plans anew. */
static int exe_text(struct buf *b)
{
	struct stat st;

	if (stat("/proc/self/exe", &st))
		return -1;
	return buf_printf(b, "exe %llx %llx %llx %lld.%09ld %lld.%09ld\n",
			  (unsigned long long)st.st_dev,
			  (unsigned long long)st.st_ino,
			  (unsigned long long)st.st_size,
			  (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			  (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

/* All but the tables, which follow it in the file. -1: no stamp. */
static int head_text(struct engine *g, struct buf *b)
{
	const struct dfw_config *c = g->cfg;
	const char *why;
	uint64_t h;

	if (!c || c->dry_run || c->fail_commit || !g->view.have_list ||
	    !g->view.have_nets || store_digest(&g->store, &h))
		return -1;
	if (buf_adds(b, STAMP_HEAD) || exe_text(b) ||
	    buf_printf(b, "store %016llx\n", (unsigned long long)h) ||
	    buf_printf(b, "docker %016llx\n",
		       (unsigned long long)docker_digest(&g->view)))
		return -1;
	/* the settings that choose the daemon, the backend, its tools */
	h = hs(hs(hs(hi(0, c->hosts_exec), c->host), c->backend), c->path);
	return buf_printf(b, "config %016llx\nipv6 %d\nbrnf %016llx\n",
			  (unsigned long long)h, fw_ipv6_on(&why),
			  (unsigned long long)brnf_digest());
}

static int kernel_text(const struct fw_state *k, struct buf *b)
{
	int i;

	if (buf_printf(b, "nft %s %llx %lu\n", k->boot_id,
		       (unsigned long long)k->netns, (unsigned long)k->gen))
		return -1;
	for (i = 0; i < 2; i++)
		if (k->legacy[i] ?
			    buf_printf(b, "legacy%d %016llx\n", i ? 6 : 4,
				       (unsigned long long)k->digest[i]) :
			    buf_printf(b, "legacy%d -\n", i ? 6 : 4))
			return -1;
	return 0;
}

/* The stamp as it is in the folder: 0 with b holding it, -1 when there
 * is none or not one of ours (a link, not a file, too long). */
static int read_stamp(struct store *s, struct buf *b)
{
	struct stat st;
	int fd, rc;

	fd = openat(s->dir_fd, STAMP_FILE,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	rc = fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > STAMP_MAX ||
			     fd_read_all(fd, b, STAMP_MAX) ?
		     -1 :
		     0;
	close(fd);
	return rc;
}

/* What the stamp did, for a test ($DFW_TEST_STAMP). */
static void trace(const struct engine *g, const char *what)
{
	if (g->cfg && g->cfg->trace_stamp)
		fprintf(stderr, "docker-fw: stamp: %s\n", what);
}

int stamp_fresh(struct engine *g)
{
	struct buf want = { 0 }, got = { 0 };
	struct fw_state k;
	struct err ne;
	size_t head;
	int rc = 0;

	/* the list and networks as the full run would ask them, which it
	 * keeps (a failure too: view_list asks once) */
	if (g->store.dir_fd < 0 || g->store.lock_fd < 0 ||
	    view_list(&g->view, &ne) || view_networks(&g->view, &ne) ||
	    read_stamp(&g->store, &got) || head_text(g, &want))
		goto out;
	/* the tables last: a legacy one is read whole */
	head = want.len;
	if (got.len < head || memcmp(got.data, want.data, head) ||
	    fw_state_read(&k) || kernel_text(&k, &want))
		goto out;
	rc = got.len == want.len && !memcmp(got.data, want.data, want.len);
out:
	trace(g, rc ? "fresh" : "stale");
	buf_free(&want);
	buf_free(&got);
	return rc;
}

/* Whether the run that just ended may be stamped. */
static int clean(const struct engine *g)
{
	return g->be.marked && !g->warnings.n && !g->unplaced &&
	       !g->uncovered.n && !g->live_probes && !g->view.inspected &&
	       !g->hs.nent && !g->hs.njobs && !g->hs.have_info;
}

void stamp_update(struct engine *g, const struct fw_state *k, int ok)
{
	struct buf b = { 0 };
	int fd, done = 0;

	if (g->store.dir_fd < 0 || g->store.lock_fd < 0)
		return;
	if (ok && clean(g) && !head_text(g, &b) && !kernel_text(k, &b)) {
		fd = openat(g->store.dir_fd, STAMP_TMP,
			    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
				    O_CLOEXEC,
			    0600);
		if (fd >= 0) {
			done = !fd_write_all(fd, b.data, b.len);
			done = !close(fd) && done;
			done = done && !renameat(g->store.dir_fd, STAMP_TMP,
						 g->store.dir_fd, STAMP_FILE);
			if (!done)
				unlinkat(g->store.dir_fd, STAMP_TMP, 0);
		}
	}
	if (!done)
		unlinkat(g->store.dir_fd, STAMP_FILE, 0);
	trace(g, done ? "written" : "removed");
	buf_free(&b);
}
