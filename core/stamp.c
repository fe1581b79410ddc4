/*
 * stamp.c - a full replay's stamp (#18): see stamp.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/stamp.h"
#include "dfw/store.h"

#define STAMP_TMP STAMP_FILE ".new"
#define STAMP_MAX 1024			/* a longer file is not one we wrote */
#define STAMP_HEAD "docker-fw stamp 2 " /* then the key, 16 hex digits */

static uint64_t hs(uint64_t h, const char *s)
{
	return hash64(s ? s : "", s ? strlen(s) + 1 : 0, h);
}

static uint64_t hi(uint64_t h, long long v)
{
	return hash64(&v, sizeof(v), h);
}

/* The bytes of the regular file name in folder dfd after h; of anything
 * else (a link, a FIFO, a device: never opened) or of a file larger
 * than the store reads (STORE_MAX_BYTES: a full run refuses it), what
 * fstatat says. -1 when it cannot be read. */
static int file_digest(int dfd, const char *name, uint64_t *h)
{
	char buf[65536];
	struct stat st, st2;
	ssize_t n;
	size_t got;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -1;
	*h = hi(hi(*h, st.st_mode & S_IFMT), (long long)st.st_size);
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)STORE_MAX_BYTES) {
		*h = hi(hi(hi(*h, (long long)st.st_ino), st.st_mtim.tv_sec),
			st.st_mtim.tv_nsec);
		*h = hi(hi(*h, st.st_ctim.tv_sec), st.st_ctim.tv_nsec);
		return 0;
	}
	fd = openat(dfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st2) || st2.st_ino != st.st_ino ||
	    st2.st_dev != st.st_dev) {
		close(fd);
		errno = EAGAIN; /* replaced since: not the file looked at */
		return -1;
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
static int store_digest(struct store *s, uint64_t key, uint64_t *out)
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
		h = hs(key, de->d_name);
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
static uint64_t cnet_digest(uint64_t key, const struct docker_cnet *n)
{
	uint64_t h = hs(hs(hs(hs(key, n->name), n->network_id), n->ip),
			n->gateway);

	h = hs(hs(h, n->ip6), n->gateway6);
	return hi(hi(hi(h, n->prefix), n->prefix6), n->gw_priority);
}

static uint64_t docker_digest(uint64_t key, const struct view *v)
{
	uint64_t h, sum = hi(hi(key, (long long)v->nlist), (long long)v->nnets);
	size_t i, j;

	for (i = 0; i < v->nlist; i++) {
		const struct docker_summary *c = &v->list[i];

		h = hs(hs(hs(hs(hs(key, c->id), c->name), c->state), c->why),
		       c->network_mode);
		h = hi(hi(h, (long long)c->nnets), (long long)c->nports);
		for (j = 0; j < c->nnets; j++)
			h += cnet_digest(key, &c->nets[j]);
		for (j = 0; j < c->nports; j++) {
			const struct docker_port *p = &c->ports[j];

			h += hi(hi(hs(hs(key, p->proto), p->host_ip), p->port),
				p->host_port);
		}
		sum += hi(h, 1); /* a container's */
	}
	for (i = 0; i < v->nnets; i++) {
		const struct docker_network *n = &v->nets[i];

		h = hs(hs(hs(hs(key, n->id), n->name), n->driver), n->bridge);
		h = hi(hi(hi(h, n->internal), n->ipv6), (long long)n->nsubnets);
		for (j = 0; j < n->nsubnets && j < 4; j++)
			h += hi(hs(hs(key, n->subnets[j].subnet),
				   n->subnets[j].gateway),
				n->subnets[j].family);
		sum += hi(h, 2); /* a network's */
	}
	return sum;
}

/* The bridge sysctls a replay after init checks (engine.c's brnf), as
 * they read now; a missing one (no br_netfilter) is a value too. */
static uint64_t brnf_digest(uint64_t key)
{
	static const char *const path[] = {
		"/proc/sys/net/bridge/bridge-nf-call-iptables",
		"/proc/sys/net/bridge/bridge-nf-call-ip6tables",
	};
	char v[32];
	uint64_t h = key;
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

/* The parts of the kernel a full run with these settings reads: not
 * nf_tables with --backend=iptc, nor the legacy tables with nft. */
static unsigned parts_of(const struct dfw_config *c)
{
	if (c->backend && !strcmp(c->backend, "iptc"))
		return FW_STATE_LEGACY;
	if (c->backend && !strcmp(c->backend, "nft"))
		return FW_STATE_NFT;
	return FW_STATE_LEGACY | FW_STATE_NFT;
}

/* All but the tables, which follow it in the file, with key. -1: no
 * stamp. */
static int head_text(struct engine *g, uint64_t key, struct buf *b)
{
	const struct dfw_config *c = g->cfg;
	const char *why;
	uint64_t h;

	if (!c || c->dry_run || c->fail_commit || !g->view.have_list ||
	    !g->view.have_nets || store_digest(&g->store, key, &h))
		return -1;
	if (buf_printf(b, STAMP_HEAD "%016llx\n", (unsigned long long)key) ||
	    exe_text(b) ||
	    buf_printf(b, "store %016llx\n", (unsigned long long)h) ||
	    buf_printf(b, "docker %016llx api %d\n",
		       (unsigned long long)docker_digest(key, &g->view),
		       g->d.api))
		return -1;
	/* the settings that choose the daemon, the backend, its tools, the
	 * lock */
	h = hs(hs(hs(hs(hi(key, c->hosts_exec), c->host), c->backend), c->path),
	       c->xtables_lock);
	return buf_printf(b, "config %016llx\nipv6 %d\nbrnf %016llx\n",
			  (unsigned long long)h, fw_ipv6_on(&why),
			  (unsigned long long)brnf_digest(key));
}

static int kernel_text(const struct fw_state *k, struct buf *b)
{
	int i;

	if (buf_printf(b, "boot %s\n", k->boot_id) ||
	    (!(k->parts & FW_STATE_NFT) ? buf_adds(b, "nft not read\n") :
	     k->nft			? buf_adds(b, "nft none\n") :
					  buf_printf(b, "nft %s %lu\n", k->netns,
						     (unsigned long)k->gen)))
		return -1;
	for (i = 0; i < 2; i++)
		if (!(k->parts & FW_STATE_LEGACY) ?
			    buf_printf(b, "legacy%d not read\n", i ? 6 : 4) :
		    k->legacy[i] ?
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

/* The key of the stamp text t: 0, or -1 when it holds none. */
static int key_of(const struct buf *t, uint64_t *key)
{
	const size_t at = sizeof(STAMP_HEAD) - 1;
	uint64_t v = 0;
	size_t i;
	int d;

	if (t->len < at + 17 || memcmp(t->data, STAMP_HEAD, at) ||
	    t->data[at + 16] != '\n')
		return -1;
	for (i = at; i < at + 16; i++) {
		d = t->data[i];
		d = d >= '0' && d <= '9' ? d - '0' :
		    d >= 'a' && d <= 'f' ? d - 'a' + 10 :
					   -1;
		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*key = v;
	return 0;
}

/* A new key: from the kernel's random source. */
static int new_key(uint64_t *key)
{
	ssize_t n;

	do
		n = getrandom(key, sizeof(*key), 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*key) ? 0 : -1;
}

/* What the stamp did, for a test ($DFW_TEST_STAMP). */
static void trace(const struct engine *g, const char *what)
{
	if (g->cfg && g->cfg->trace_stamp)
		fprintf(stderr, "docker-fw: stamp: %s\n", what);
}

int stamp_fresh(struct engine *g, struct stamp *s, int use)
{
	struct buf got = { 0 }, want = { 0 };
	struct fw_state k = { 0 };
	struct err ne;
	int rc = 0, have;

	/* the list and networks as the full run would ask them, which it
	 * keeps (a failure too: each is asked once) */
	s->have = 0;
	if (g->store.dir_fd < 0 || g->store.lock_fd < 0 ||
	    view_list(&g->view, &ne) || view_networks(&g->view, &ne))
		goto out;
	have = !read_stamp(&g->store, &got) && !key_of(&got, &s->key);
	if ((!have && new_key(&s->key)) || head_text(g, s->key, &s->head))
		goto out;
	s->have = 1;
	if (!use || !have || got.len < s->head.len ||
	    memcmp(got.data, s->head.data, s->head.len))
		goto out;
	/* the tables last: a legacy one is read whole */
	k.parts = parts_of(g->cfg);
	k.seed = s->key;
	if (fw_state_read(&k) || buf_add(&want, s->head.data, s->head.len) ||
	    kernel_text(&k, &want))
		goto out;
	rc = got.len == want.len && !memcmp(got.data, want.data, want.len);
out:
	if (use)
		trace(g, rc ? "fresh" : "stale");
	buf_free(&want);
	buf_free(&got);
	return rc;
}

int stamp_mark(const struct stamp *s, struct engine *g, struct fw_state *k)
{
	if (!s->have)
		return 0;
	memset(k, 0, sizeof(*k));
	k->parts = parts_of(g->cfg);
	k->seed = s->key;
	g->be.mark = k;
	return 1;
}

/* Whether the run that just ended may be stamped. */
static int clean(const struct engine *g)
{
	return g->be.marked && engine_quiet(g);
}

void stamp_update(struct engine *g, const struct stamp *s,
		  const struct fw_state *k, int ok)
{
	struct buf b = { 0 };
	int fd, done = 0;

	if (g->store.dir_fd < 0 || g->store.lock_fd < 0)
		return;
	/* the inputs read again must be those the run started from: a
	 * file or a sysctl changed during it (by the run or anyone) is
	 * not stamped as if the run had seen it */
	if (ok && s->have && clean(g) && !head_text(g, s->key, &b) &&
	    b.len == s->head.len && !memcmp(b.data, s->head.data, b.len) &&
	    !kernel_text(k, &b)) {
		/* a fresh temporary file: whatever was there (a link, a
		 * FIFO, a hard link to another file) is let go, not
		 * opened */
		if (unlinkat(g->store.dir_fd, STAMP_TMP, 0) && errno != ENOENT)
			goto out;
		fd = openat(g->store.dir_fd, STAMP_TMP,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
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
out:
	if (!done)
		unlinkat(g->store.dir_fd, STAMP_FILE, 0);
	trace(g, done ? "written" : "removed");
	buf_free(&b);
}

void stamp_free(struct stamp *s)
{
	buf_free(&s->head);
	s->have = 0;
}
