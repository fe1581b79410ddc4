/*
 * hosts.h - docker-fw's entries in a container's /etc/hosts (for
 * add-two-ways: the peer resolves the container's name).
 *
 * An entry is one line "IP<TAB>NAME<TAB># docker-fw". docker-fw's lines
 * come first in the file, before Docker's own, so that they win over a
 * stale line for the same name (resolvers take the first match); every
 * other line is kept byte for byte. Docker rewrites the file when the
 * container starts, so replay and start put the entries back.
 *
 * docker-fw edits only the file Docker made for the container, mounted
 * read-write: HostsPath must be DockerRootDir/containers/ID/hosts, reached
 * without a symbolic link, and no mount of the user's (a bind mount, a
 * --mount, a tmpfs) nor --read-only may be over /etc/hosts
 * (hosts_path_check, hosts_mount_check, hosts_file_open).
 */
#ifndef DFW_HOSTS_H
#define DFW_HOSTS_H

#include <stddef.h>

#include "dfw/docker.h"
#include "dfw/util.h"

#define HOSTS_MARK "# docker-fw"
#define HOSTS_MAX (1 << 20) /* bytes: a bigger hosts file is refused */
#define HOSTS_LOCK_MS 5000  /* the longest wait for a hosts file's flock */

/*
 * Rewrites the hosts text in[0..len) into out (appended): name has a
 * docker-fw line per address family (IPv4, and IPv6 when the container
 * has an IPv6 address on the network: "fd00:30::2\tname\t# docker-fw";
 * a line's family is IPv6 when its address holds a ':'). The line of
 * name and family is replaced by "ip\tname\t# docker-fw" (ip not NULL,
 * of family) or removed (ip NULL; family 0: the lines of both families);
 * a new line goes after docker-fw's other lines, before the rest. Nothing
 * else changes, except that a last line without a newline gets one. name
 * must be one word of a hosts line: 1 to 255 bytes, none of them a space,
 * a control character, DEL or '#'; ip only hex digits, '.' and ':' (1 to
 * 45 bytes). Returns 1 when out differs from in, 0 when it is the same,
 * -1 with errno EINVAL (name or ip not one word, ip not of family, a
 * family not AF_INET, AF_INET6 or 0; out unchanged) or ENOMEM.
 */
int hosts_edit_family(const char *in, size_t len, const char *name, int family,
		      const char *ip, struct buf *out);

/* hosts_edit_family with the family of ip; ip NULL removes both. */
int hosts_edit(const char *in, size_t len, const char *name, const char *ip,
	       struct buf *out);

/* Whether s may stand in a hosts line as one name (see hosts_edit). */
int hosts_name_ok(const char *s);

/*
 * Checks that path (HostsPath) is the hosts file Docker made for the
 * container whose full ID is id: exactly root/containers/ID/hosts, root
 * (DockerRootDir, from GET /info) absolute and without "." or ".."
 * components. Only the text is checked; hosts_file_open walks it without
 * symlinks. 0, or -1 with e set (EXIT_USAGE, naming path and why).
 */
int hosts_path_check(const char *root, const char *id, const char *path,
		     struct err *e);

/*
 * Checks that the container's /etc/hosts is Docker's own mount, read-write:
 * no entry of Mounts, HostConfig.Binds, HostConfig.Mounts or
 * HostConfig.Tmpfs has /etc/hosts as its path in the container (compared
 * after "//", "." and ".." are folded), and no --read-only
 * (ReadonlyRootfs: Docker then mounts it read-only). 0, or -1 with e set
 * (EXIT_USAGE, naming the container, the mount's source and why).
 */
int hosts_mount_check(const struct docker_container *c, struct err *e);

/* An open hosts file: its descriptor, locked, and the text it had. */
struct hosts_file {
	int fd;		 /* -1 when closed */
	struct buf text; /* the content read by hosts_file_open */
};

/*
 * Opens the hosts file at path (absolute), walking it one component at a
 * time without following a symbolic link (O_NOFOLLOW; "." and ".." are
 * refused), for reading and writing (write) or reading; it must be a
 * regular file (a FIFO or device is never opened). Takes an flock on it
 * (exclusive with write, else shared), waiting at most timeout_ms, then
 * reads it whole into f->text (at most HOSTS_MAX bytes). 0, or -1 with e
 * set and f closed: EXIT_USAGE for a missing, read-only or oversized
 * file, a symlink or not a regular file; EXIT_RUNTIME for a lock not had
 * in time and system errors. Close with hosts_file_close.
 */
int hosts_file_open(struct hosts_file *f, const char *path, int write,
		    int timeout_ms, struct err *e);

/*
 * Makes sure the file system has room for len bytes of f's file
 * (fallocate, FALLOC_FL_KEEP_SIZE: the content and size do not change;
 * a file system that cannot say is taken as having room). 0, or -1 with e
 * set (EXIT_RUNTIME).
 */
int hosts_file_reserve(struct hosts_file *f, size_t len, struct err *e);

/*
 * Replaces the content of f's file by p[0..len) in place (same inode:
 * Docker bind-mounts it into the container, a rename would detach it):
 * writes from offset 0, truncates, fsyncs. 0, or -1 with e set
 * (EXIT_RUNTIME).
 */
int hosts_file_write(struct hosts_file *f, const char *p, size_t len,
		     struct err *e);

/* Drops the lock and closes; f->text is freed. Safe on a closed file. */
void hosts_file_close(struct hosts_file *f);

#endif
