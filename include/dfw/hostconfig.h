/*
 * hostconfig.h - the parts of a container's configuration that decide its
 * networking and dependencies, as save-hostconfig keeps them and start
 * compares them (Docker Engine API, GET /containers/{id}/json).
 *
 * One line per value, "KEY WORD...", words quoted by rulespec_quote (a
 * value with a control character, e.g. a newline in a bind-mount path,
 * as $'...': a line never holds a raw one), sorted (lists are compared
 * order-insensitively):
 *
 *   bind SRC:DST[:MODE]          HostConfig.Binds
 *   cap-add CAP / cap-drop CAP   HostConfig.CapAdd / CapDrop
 *   dns ADDR                     HostConfig.Dns
 *   extra-host NAME:ADDR         HostConfig.ExtraHosts
 *   link /TARGET:/SELF/ALIAS     HostConfig.Links
 *   network-mode MODE            HostConfig.NetworkMode ("default" ->
 *                                "bridge")
 *   port PORT/PROTO HOSTIP HOSTPORT   a published port; HOSTIP "" and
 *                                "::" count as 0.0.0.0; HOSTPORT "any" when
 *                                Docker picks it (an ephemeral port)
 *   privileged 0|1               HostConfig.Privileged
 *   restart NAME MAX             HostConfig.RestartPolicy ("" -> "no")
 *   volumes-from NAME[:MODE]     HostConfig.VolumesFrom
 */
#ifndef DFW_HOSTCONFIG_H
#define DFW_HOSTCONFIG_H

#include "dfw/docker.h"
#include "dfw/util.h"

/*
 * The lines of c into out (appended, sorted). With assigned, published
 * ports come from NetworkSettings.Ports, the ports Docker actually gave a
 * running container; else from HostConfig.PortBindings, with "any" for a
 * port Docker will pick. 0 or -1 (ENOMEM).
 */
int hostconfig_lines(const struct docker_container *c, int assigned,
		     struct strv *out);

/*
 * Compares the saved lines with now's (both sorted); an "any" host port in
 * now matches any saved port. Appends one line per difference to diff,
 * "  - LINE" (saved, gone) or "  + LINE" (new). Returns the number of
 * differences, or -1 (ENOMEM).
 */
int hostconfig_diff(const struct strv *saved, const struct strv *now,
		    struct buf *diff);

#endif
