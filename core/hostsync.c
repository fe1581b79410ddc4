/*
 * hostsync.c - the hosts entries of add-two-ways rules: plan, check,
 * apply, undo, in place or through docker exec.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/hostsync.h"

#define warn(h, ...) strv_addf((h)->warnings, __VA_ARGS__)

void hostsync_init(struct hostsync *h, struct docker *d, struct view *v,
		   int exec_way, int dry_run, struct strv *warnings)
{
	memset(h, 0, sizeof(*h));
	h->d = d;
	h->v = v;
	h->exec_way = exec_way;
	h->dry_run = dry_run;
	h->warnings = warnings;
}

void hostsync_free(struct hostsync *h)
{
	hostsync_finish(h, NULL);
	free(h->ent);
	h->ent = NULL;
	h->nent = 0;
}

static int want(struct hostsync *h, const struct docker_container *peer,
		const char *name, const char *ip, const char *ip6, int strict)
{
	struct hosts_change *c;
	size_t i;
	void *p;

	for (i = 0; i < h->nent; i++)
		if (h->ent[i].peer == peer && !strcmp(h->ent[i].name, name)) {
			h->ent[i].strict |= strict;
			return 0;
		}
	p = realloc(h->ent, (h->nent + 1) * sizeof(*h->ent));
	if (!p)
		return -1;
	h->ent = p;
	c = &h->ent[h->nent++];
	memset(c, 0, sizeof(*c));
	c->peer = peer;
	c->strict = strict;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->ip, sizeof(c->ip), "%s", ip ? ip : "");
	snprintf(c->ip6, sizeof(c->ip6), "%s", ip && ip6 ? ip6 : "");
	return 0;
}

int hostsync_plan(struct hostsync *h, const struct rulespec *rs,
		  const char *name, const struct fw_rule *r,
		  const struct fw_rule *r6, int strict, struct err *e)
{
	const struct docker_container *peer;
	char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
	struct err pe;

	if (rs->action != RULE_ADD_TWO_WAYS || rs->src.kind != ADDR_CONTAINER)
		return 0;
	peer = view_container(h->v, rs->src.name, VIEW_NEEDS_HOSTS, &pe);
	if (!peer || !peer->running)
		return 0; /* its hosts file goes with it */
	if ((r && !inet_ntop(AF_INET, r->dst, ip, sizeof(ip))) ||
	    (r6 && !inet_ntop(AF_INET6, r6->dst, ip6, sizeof(ip6))))
		return err_set(e, EXIT_RUNTIME, "bad address");
	if (want(h, peer, name, r ? ip : NULL, r6 ? ip6 : NULL, strict))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	return 0;
}

/* One peer's hosts file: all its entries. */
struct hosts_job {
	const struct docker_container *peer;
	size_t first;	     /* its entries: h->ent[i].peer == peer */
	int strict;	     /* one entry is strict */
	struct hosts_file f; /* file way: open and locked to the end */
	struct buf orig;     /* the text it had */
	struct buf out;	     /* the text to write */
	int changed;	     /* out differs from orig */
	int skip;	     /* dry run, paused, exec way: not read */
	int unpaused;	     /* exec way: unpaused by this run */
	int written;	     /* out is in the file */
	int failed;	     /* not applied, why says why */
	int late;	     /* applied, but why happened after */
	struct err why;
};

/* Whether p[0..n) is UTF-8 (what a JSON string carries unchanged). */
static int utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0, k, more;
	uint32_t c;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		more = c >= 0xf0 && c < 0xf5 ? 3 :
		       c >= 0xe0	     ? 2 :
		       c >= 0xc2 && c < 0xe0 ? 1 :
					       0;
		if (!more || i + more >= n)
			return 0;
		c &= 0x3f >> more;
		for (k = 1; k <= more; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if ((more == 2 && (c < 0x800 || (c >= 0xd800 && c < 0xe000))) ||
		    (more == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		i += more + 1;
	}
	return 1;
}

/* The first line of an exec's stderr, for a message. */
static const char *first_line(struct buf *b)
{
	size_t i;

	if (!b->data)
		return "";
	for (i = 0; i < b->len && i < 200; i++)
		if ((unsigned char)b->data[i] < ' ' || b->data[i] == 0x7f)
			break;
	b->data[i] = 0;
	return b->data;
}

/*
 * The exec way's check, which changes nothing: /etc/hosts is a regular
 * file, opens for appending (a read-only mount fails here; `test -w` is
 * true for root whatever the mount), is at most $1 bytes; then its text.
 * `true`, not `:`: a failed redirection of a special built-in ends sh.
 */
static const char hosts_check_sh[] =
	"f=/etc/hosts\n"
	"[ -f \"$f\" ] || exit 64\n"
	"{ [ -w \"$f\" ] && true >>\"$f\"; } 2>/dev/null || exit 65\n"
	"n=$(wc -c <\"$f\") || exit 66\n"
	"[ $n -le \"$1\" ] || exit 67\n"
	"exec cat \"$f\"\n";

static int exec_read(struct hostsync *h, struct hosts_job *j, struct err *e)
{
	char max[16];
	const char *argv[] = { "sh", "-c", hosts_check_sh, "sh", max, NULL };
	const struct docker_container *p = j->peer;
	struct buf errout = { 0 };
	int code = 0, rc = -1;

	snprintf(max, sizeof(max), "%d", HOSTS_MAX);
	if (p->paused) {
		if (docker_container_action(h->d, p->id, "unpause", e))
			return -1;
		j->unpaused = 1;
	}
	if (docker_exec(h->d, p->id, argv, &j->orig, &errout, HOSTS_MAX + 65536,
			&code, e))
		goto out;
	switch (code) {
	case 0:
		break;
	case 64:
		err_set(e, EXIT_USAGE,
			"/etc/hosts is missing or not a "
			"regular file in the container");
		goto out;
	case 65:
		err_set(e, EXIT_USAGE,
			"/etc/hosts is read-only in the "
			"container (it does not open for writing)");
		goto out;
	case 67:
		err_set(e, EXIT_USAGE,
			"/etc/hosts is larger than %d bytes "
			"(the limit)",
			HOSTS_MAX);
		goto out;
	case 126:
	case 127:
		err_set(e, EXIT_USAGE,
			"cannot run sh in the container (exit "
			"%d%s%s): with this daemon docker-fw edits /etc/hosts "
			"through docker exec and a POSIX sh",
			code, errout.len ? ": " : "", first_line(&errout));
		goto out;
	default:
		err_set(e, EXIT_RUNTIME,
			"checking /etc/hosts in the container "
			"exited %d%s%s",
			code, errout.len ? ": " : "", first_line(&errout));
		goto out;
	}
	if (j->orig.len > HOSTS_MAX)
		err_set(e, EXIT_USAGE,
			"/etc/hosts is larger than %d bytes "
			"(the limit)",
			HOSTS_MAX);
	else if (j->orig.data && memchr(j->orig.data, 0, j->orig.len))
		err_set(e, EXIT_USAGE,
			"/etc/hosts holds a NUL byte: it "
			"cannot be written back through docker exec");
	else if (!utf8_ok((const unsigned char *)j->orig.data, j->orig.len))
		err_set(e, EXIT_USAGE,
			"/etc/hosts holds bytes that are not "
			"UTF-8: they cannot be written back through docker "
			"exec");
	else
		rc = 0;
out:
	buf_free(&errout);
	return rc;
}

/* The exec way's write: text in argument chunks of at most 64 KiB (one
 * argument may not pass 128 KiB), cut between UTF-8 sequences. */
static int exec_write(struct hostsync *h, struct hosts_job *j,
		      const struct buf *text, struct err *e)
{
	static const char sh[] = "printf %s \"$@\" >/etc/hosts";
	struct strv args = { 0 };
	const char **argv = NULL;
	size_t off = 0, n, i;
	int code = 0, rc = -1;

	if (strv_add(&args, "sh", 2) || strv_add(&args, "-c", 2) ||
	    strv_add(&args, sh, sizeof(sh) - 1) || strv_add(&args, "sh", 2))
		goto nomem;
	while (off < text->len) {
		n = text->len - off > 65536 ? 65536 : text->len - off;
		while (off + n < text->len && n > 1 &&
		       ((unsigned char)text->data[off + n] & 0xc0) == 0x80)
			n--;
		if (strv_add(&args, text->data + off, n))
			goto nomem;
		off += n;
	}
	argv = calloc(args.n + 1, sizeof(*argv));
	if (!argv)
		goto nomem;
	for (i = 0; i < args.n; i++)
		argv[i] = args.v[i];
	if (docker_exec(h->d, j->peer->id, argv, NULL, NULL, 0, &code, e))
		goto out;
	if (code) {
		err_set(e, EXIT_RUNTIME,
			"writing /etc/hosts in the container "
			"exited %d",
			code);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	err_set(e, EXIT_RUNTIME, "out of memory");
out:
	free(argv);
	strv_free(&args);
	return rc;
}

/* Pauses again a peer this run unpaused. */
/* Writes text into j's hosts file, the way this run reaches it (in
 * place, or through docker exec). 0, or -1 with e set. */
static int job_write(struct hostsync *h, struct hosts_job *j,
		     const struct buf *text, struct err *e)
{
	return h->exec_way ? exec_write(h, j, text, e) :
			     hosts_file_write(&j->f, text->data, text->len, e);
}

static int repause(struct hostsync *h, struct hosts_job *j, struct err *e)
{
	if (!j->unpaused)
		return 0;
	j->unpaused = 0;
	if (docker_container_action(h->d, j->peer->id, "pause", e))
		return err_wrap(e,
				"container \"%s\" was unpaused for its "
				"hosts file and could not be paused again",
				j->peer->name);
	return 0;
}

/* "hosts entries of "a", "b" in container "p"" into out. */
static void entries_of(struct hostsync *h, const struct hosts_job *j, char *out,
		       size_t size)
{
	size_t i, k = 0, off;

	off = (size_t)snprintf(out, size, "hosts entr");
	for (i = j->first; i < h->nent; i++)
		k += h->ent[i].peer == j->peer;
	if (off < size)
		off += (size_t)snprintf(out + off, size - off, "%s of ",
					k > 1 ? "ies" : "y");
	for (i = j->first, k = 0; i < h->nent && off < size; i++)
		if (h->ent[i].peer == j->peer)
			off += (size_t)snprintf(out + off, size - off,
						"%s\"%s\"", k++ ? ", " : "",
						h->ent[i].name);
	if (off < size)
		snprintf(out + off, size - off, " in container \"%s\"",
			 j->peer->name);
}

/* Marks j failed: its entries count as not applied. */
static void job_fail(struct hostsync *h, struct hosts_job *j,
		     const struct err *why)
{
	char what[300], self[300], *cut;
	size_t i;

	j->failed = 1;
	j->why = *why;
	entries_of(h, j, what, sizeof(what));
	/* "container "p": ..." already says whose file it is */
	snprintf(self, sizeof(self), "container \"%s\"", j->peer->name);
	if (!strncmp(why->msg, self, strlen(self)) &&
	    (cut = strstr(what, " in container \"")))
		*cut = 0;
	err_wrap(&j->why, "%s", what);
	/* a dry run counts it as pending: a real run would not be done */
	for (i = j->first; i < h->nent; i++)
		if (h->ent[i].peer == j->peer)
			h->ent[i].changed = h->dry_run ? 3 : 0;
}

/* Checks, locks and reads j's file, and makes its new text. */
static int job_prepare(struct hostsync *h, struct hosts_job *j, struct err *e)
{
	const struct docker_container *p = j->peer;
	struct buf tmp = { 0 };
	size_t i;
	int rc;

	if (hosts_mount_check(p, e))
		return -1;
	if (!*p->hosts_path)
		return err_set(e, EXIT_USAGE,
			       "container \"%s\" has no hosts "
			       "file (HostsPath)",
			       p->name);
	if (!h->have_info)
		h->have_info = docker_info(h->d, &h->info, &h->info_err) ? -1 :
									   1;
	if (h->have_info < 0) {
		*e = h->info_err;
		return -1;
	}
	if (hosts_path_check(h->info.root_dir, p->id, p->hosts_path, e))
		return -1;
	if (!h->exec_way) {
		/* a dry run opens it for writing too: the same checks */
		if (hosts_file_open(&j->f, p->hosts_path, 1, HOSTS_LOCK_MS, e))
			return -1;
		if (buf_add(&j->orig, j->f.text.data, j->f.text.len))
			return err_set(e, EXIT_RUNTIME, "out of memory");
	} else if (h->dry_run && p->paused) {
		j->skip = 1; /* a dry run unpauses nothing */
		for (i = j->first; i < h->nent; i++)
			if (h->ent[i].peer == p)
				h->ent[i].changed = 2;
		return 0;
	} else if (exec_read(h, j, e)) {
		return -1;
	}
	if (buf_add(&j->out, j->orig.data ? j->orig.data : "", j->orig.len))
		return err_set(e, EXIT_RUNTIME, "out of memory");
	for (i = j->first; i < h->nent; i++) {
		struct hosts_change *c = &h->ent[i];

		if (c->peer != p)
			continue;
		tmp.len = 0;
		rc = hosts_edit(j->out.data, j->out.len, c->name,
				*c->ip ? c->ip : NULL, &tmp);
		/* the IPv6 line: set, or gone when there is no address */
		if (rc >= 0 && *c->ip) {
			struct buf t2 = { 0 };
			int rc6 = hosts_edit_family(tmp.data ? tmp.data : "",
						    tmp.len, c->name, AF_INET6,
						    *c->ip6 ? c->ip6 : NULL,
						    &t2);

			if (rc6 < 0) {
				rc = -1;
			} else if (rc6) {
				buf_free(&tmp);
				tmp = t2;
				rc = 1;
				memset(&t2, 0, sizeof(t2));
			}
			buf_free(&t2);
		}
		if (rc < 0) {
			buf_free(&tmp);
			if (errno == EINVAL)
				return err_set(e, EXIT_USAGE,
					       "name \"%.100s\" "
					       "or address \"%s\" cannot stand "
					       "in a hosts line (a blank, "
					       "control character or '#')",
					       c->name, c->ip);
			return err_set(e, EXIT_RUNTIME, "out of memory");
		}
		c->changed = rc;
		if (rc) {
			struct buf t = j->out;

			j->out = tmp;
			tmp = t;
		}
	}
	buf_free(&tmp);
	j->changed = j->out.len != j->orig.len ||
		     (j->out.len &&
		      memcmp(j->out.data, j->orig.data, j->out.len));
	if (j->changed && !h->dry_run && !h->exec_way &&
	    hosts_file_reserve(&j->f, j->out.len, e))
		return -1;
	if (!j->changed || h->dry_run)
		return repause(h, j, e);
	return 0;
}

int hostsync_check(struct hostsync *h, struct err *e)
{
	struct err je;
	size_t i, k;
	void *p;

	for (i = 0; i < h->nent; i++) {
		for (k = 0; k < h->njobs; k++)
			if (h->jobs[k].peer == h->ent[i].peer)
				break;
		if (k == h->njobs) {
			p = realloc(h->jobs, (h->njobs + 1) * sizeof(*h->jobs));
			if (!p)
				return err_set(e, EXIT_RUNTIME,
					       "out of "
					       "memory");
			h->jobs = p;
			memset(&h->jobs[k], 0, sizeof(h->jobs[k]));
			h->jobs[k].peer = h->ent[i].peer;
			h->jobs[k].first = i;
			h->jobs[k].f.fd = -1;
			h->njobs++;
		}
		h->jobs[k].strict |= h->ent[i].strict;
	}
	for (k = 0; k < h->njobs; k++) {
		struct hosts_job *j = &h->jobs[k];

		if (!job_prepare(h, j, &je))
			continue;
		job_fail(h, j, &je);
		if (j->strict) {
			*e = j->why;
			return -1;
		}
	}
	return 0;
}

int hostsync_apply(struct hostsync *h, struct err *e)
{
	struct err we, ue;
	size_t k;
	int rc;

	if (h->applied)
		return 0;
	h->applied = 1;
	for (k = 0; k < h->njobs; k++) {
		struct hosts_job *j = &h->jobs[k];

		if (j->failed || j->skip || !j->changed)
			continue;
		rc = job_write(h, j, &j->out, &we);
		if (!rc) {
			j->written = 1;
			if (repause(h, j, &j->why))
				j->late = 1; /* written; reported */
			continue;
		}
		/* part of it may be in the file: the old text back */
		if (job_write(h, j, &j->orig, &ue))
			warn(h,
			     "container \"%s\": its hosts file could not "
			     "be put back as it was: %s",
			     j->peer->name, ue.msg);
		repause(h, j, &ue);
		job_fail(h, j, &we);
		if (j->strict) {
			*e = j->why;
			return -1;
		}
	}
	return 0;
}

void hostsync_undo(struct hostsync *h)
{
	struct err ue;
	size_t k, i;

	for (k = 0; k < h->njobs; k++) {
		struct hosts_job *j = &h->jobs[k];
		int paused = j->peer->paused && !j->unpaused;

		if (!j->written)
			continue;
		if (h->exec_way && paused &&
		    docker_container_action(h->d, j->peer->id, "unpause",
					    &ue)) {
			warn(h,
			     "container \"%s\": its hosts file keeps "
			     "docker-fw's new entries: %s",
			     j->peer->name, ue.msg);
			continue;
		}
		j->unpaused |= h->exec_way && paused;
		if (job_write(h, j, &j->orig, &ue))
			warn(h,
			     "container \"%s\": its hosts file keeps "
			     "docker-fw's new entries: %s",
			     j->peer->name, ue.msg);
		if (repause(h, j, &ue))
			warn(h, "%s", ue.msg);
		j->written = 0;
		for (i = j->first; i < h->nent; i++)
			if (h->ent[i].peer == j->peer)
				h->ent[i].changed = 0;
	}
}

int hostsync_finish(struct hostsync *h, struct err *e)
{
	struct err pe;
	size_t k, n, nfail = 0;
	int late = 0;

	for (k = 0; k < h->njobs; k++) {
		struct hosts_job *j = &h->jobs[k];

		if (repause(h, j, &pe))
			warn(h, "%s", pe.msg);
		hosts_file_close(&j->f);
		buf_free(&j->orig);
		buf_free(&j->out);
		if ((!j->failed && !j->late) || !e)
			continue;
		if (h->dry_run)
			warn(h, "%s", j->why.msg);
		else if (nfail++)
			warn(h, "%s%s", j->why.msg,
			     j->late ? "" : "; not applied");
		else
			*e = j->why, late = j->late;
	}
	free(h->jobs);
	h->jobs = NULL;
	h->njobs = 0;
	h->have_info = 0;
	h->applied = 0;
	if (!nfail)
		return 0;
	e->code = EXIT_RUNTIME;
	n = strlen(e->msg);
	if (nfail > 1)
		snprintf(e->msg + n, sizeof(e->msg) - n,
			 "%s, nor %zu more "
			 "(warnings above); everything else was%s",
			 late ? "" : "; not applied", nfail - 1,
			 late ? " applied" : "");
	else
		snprintf(e->msg + n, sizeof(e->msg) - n,
			 "%s; everything else "
			 "was%s",
			 late ? "" : "; not applied", late ? " applied" : "");
	return 1;
}
