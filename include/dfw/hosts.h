/*
 * hosts.h - docker-fw's entries in a container's /etc/hosts (for
 * add-two-ways: the peer resolves the container's name).
 *
 * An entry is one line "IP<TAB>NAME<TAB># docker-fw". docker-fw's lines
 * come first in the file, before Docker's own, so that they win over a
 * stale line for the same name (resolvers take the first match); every
 * other line is kept byte for byte. Docker rewrites the file when the
 * container starts, so replay and start put the entries back.
 */
#ifndef DFW_HOSTS_H
#define DFW_HOSTS_H

#include <stddef.h>

#include "dfw/util.h"

#define HOSTS_MARK "# docker-fw"

/*
 * Rewrites the hosts text in[0..len) into out (appended): the docker-fw
 * line for name is replaced by "ip\tname\t# docker-fw" (ip not NULL) or
 * removed (ip NULL); a new line goes after docker-fw's other lines, before
 * the rest. Nothing else changes, except that a last line without a
 * newline gets one. Returns 1 when out differs from in, 0 when it is the
 * same, -1 (ENOMEM).
 */
int hosts_edit(const char *in, size_t len, const char *name, const char *ip,
	       struct buf *out);

/*
 * Checks that the hosts file at path can be edited in place: it exists,
 * is a regular file and opens for writing. 0, or -1 with e set
 * (EXIT_USAGE, naming path and what is wrong).
 */
int hosts_file_check(const char *path, struct err *e);

/*
 * Edits the file at path in place (same inode: Docker bind-mounts it into
 * the container, a rename would detach it), holding an flock on it: reads
 * it, hosts_edit, and when that changed it, writes from offset 0,
 * truncates and fsyncs. Works whatever the container's state (paused
 * included): nothing runs inside it. Returns 1 (changed), 0 (already so)
 * or -1 with e set (EXIT_USAGE for a missing or read-only file,
 * EXIT_RUNTIME otherwise).
 */
int hosts_file_set(const char *path, const char *name, const char *ip,
		   struct err *e);

/* As hosts_file_set, but only says whether it would change the file. */
int hosts_file_would(const char *path, const char *name, const char *ip,
		     struct err *e);

#endif
