/*
 * docker.h - the Docker Engine API calls docker-fw makes (API 1.24 through
 * 1.52), over one keep-alive connection per run.
 *
 * The version used is the lower of the daemon's (GET /_ping, Api-Version)
 * and DOCKER_API_MAX; requests go to /v1.NN/... Results are copied out of
 * the response into caller-owned structs (free them with the matching
 * *_free); core/ never prints.
 */
#ifndef DFW_DOCKER_H
#define DFW_DOCKER_H

#include <stddef.h>
#include <stdint.h>

#include "dfw/config.h"
#include "dfw/http.h"
#include "dfw/json.h"
#include "dfw/tls.h"
#include "dfw/transport.h"
#include "dfw/util.h"

#define DOCKER_API_MIN 24 /* 1.24: Docker 1.12 */
#define DOCKER_API_MAX 52 /* 1.52: Docker 29 */

struct docker {
	struct endpoint ep;
	struct tls_creds *tls;	  /* tcp:// with TLS (tls.h), else NULL */
	struct tls_conn tls_conn; /* its session (41 KB), when tls */
	struct transport t;
	struct http_conn http;
	char host_field[300];	/* Host: value */
	int api;		/* negotiated minor version, 0 before ping */
	int connect_timeout_ms; /* 0: TRANSPORT_CONNECT_TIMEOUT_MS */
	int io_timeout_ms;	/* 0: TRANSPORT_IO_TIMEOUT_MS */
	struct buf body;	/* the last response body */
	struct json_tok *toks;	/* its tokens (when JSON) */
	unsigned ntoks;		/* allocated */
	int ntok;		/* used */
	int status;		/* its HTTP status */
};

/*
 * Prepares d for the daemon c says (config.h: c->host, a DOCKER_HOST
 * value, NULL or "": unix:///var/run/docker.sock; the timeouts; TLS).
 * Does not connect; callers may set the *_ms fields after this. 0, or -1
 * with e set (EXIT_USAGE for a bad host, or TLS settings and files that
 * cannot be used, see tls.h: these are read here, before any
 * connection).
 */
int docker_init(struct docker *d, const struct dfw_config *c, struct err *e);
void docker_close(struct docker *d);

/* GET /_ping: connects and negotiates the API version. 0 or -1. */
int docker_ping(struct docker *d, struct err *e);

/*
 * One API call: method, path after the version prefix (escaped by the
 * caller, see docker_path), optional JSON body. Pings first when needed.
 * On 2xx/304 returns the status with the body in d->body and, when it is
 * JSON, its tokens in d->toks[0..d->ntok). Any other status gives -1 with
 * e set to the daemon's message ({"message": ...}) and the status; e->code
 * is EXIT_USAGE for 404 (an unknown name is bad input), else EXIT_RUNTIME.
 */
int docker_call(struct docker *d, const char *method, const char *path,
		const char *body, size_t body_len, struct err *e);

/* Appends "/containers/" + escaped name etc.: the path with each %s of
 * fmt replaced by the escaped next argument (only %s is supported). */
int docker_path(struct buf *b, const char *fmt, ...);

/* One network a container is attached to (NetworkSettings.Networks). */
struct docker_cnet {
	char name[128]; /* the network's name (the map key) */
	char network_id[65];
	char ip[16]; /* IPAddress, "" when not running */
	int prefix;  /* IPPrefixLen */
	char gateway[16];
	char ip6[46];	   /* GlobalIPv6Address, "" when none (an IPv4
				 * network, IPv6 off, not running) */
	int prefix6;	   /* GlobalIPv6PrefixLen, 0..128 */
	char gateway6[46]; /* IPv6Gateway, "" when none */
	int gw_priority;   /* GwPriority (API 1.48+, --gw-priority),
				 * 0 when not given */
};

/* A published or bound port: container port/proto -> host ip:port. */
struct docker_port {
	uint16_t port;	    /* container port */
	char proto[5];	    /* "tcp", "udp", "sctp" */
	char host_ip[46];   /* "" when not given */
	uint16_t host_port; /* 0: none (exposed only, or ephemeral) */
};

/* A mount of a container: Mounts[] (Type, Source, Destination, RW) or
 * HostConfig.Mounts[] (Type, Source, Target, ReadOnly). */
struct docker_mount {
	char type[16];		/* "bind", "volume", "tmpfs", ... */
	char source[4096];	/* "" for volumes and tmpfs */
	char destination[4096]; /* the path in the container */
	int rw;
	int bad; /* a path that did not fit, or not a string:
				 * unknown, so never taken as harmless */
};

/* GET /containers/{id}/json, the fields docker-fw uses. */
struct docker_container {
	char id[65];
	char name[256]; /* without the leading slash */
	int running;
	int paused;
	char hosts_path[4096];	 /* HostsPath */
	char network_mode[256];	 /* HostConfig.NetworkMode */
	char restart_policy[32]; /* HostConfig.RestartPolicy.Name */
	int restart_max; /* HostConfig.RestartPolicy.MaximumRetryCount */
	struct docker_cnet *nets;
	size_t nnets;
	struct docker_port *ports; /* NetworkSettings.Ports */
	size_t nports;
	struct docker_port *bindings; /* HostConfig.PortBindings */
	size_t nbindings;
	struct strv links;	  /* HostConfig.Links "/a:/b/alias" */
	struct strv volumes_from; /* HostConfig.VolumesFrom */
	struct strv extra_hosts;  /* HostConfig.ExtraHosts */
	struct strv dns;	  /* HostConfig.Dns */
	struct strv cap_add;	  /* HostConfig.CapAdd */
	struct strv cap_drop;	  /* HostConfig.CapDrop */
	struct strv binds;	  /* HostConfig.Binds */
	int privileged;		  /* HostConfig.Privileged */
	/* what is mounted where in the container (hosts.c: whose is
	 * /etc/hosts) */
	struct docker_mount *mounts; /* Mounts: every mount point */
	size_t nmounts;
	struct docker_mount *hc_mounts; /* HostConfig.Mounts (--mount):
					 * Target, ReadOnly */
	size_t nhc_mounts;
	struct strv tmpfs;   /* HostConfig.Tmpfs: the paths */
	int readonly_rootfs; /* HostConfig.ReadonlyRootfs: Docker
					 * mounts /etc/hosts read-only */
};

/*
 * Inspects the container named by a full ID, a unique ID prefix or a name
 * (with or without its leading slash). 0, or -1 with e set: EXIT_USAGE
 * `no such container "x"` (unknown), EXIT_RUNTIME otherwise; or
 * DOCKER_AMBIGUOUS with e set (EXIT_USAGE): name is a prefix of the IDs
 * of several containers.
 */
#define DOCKER_AMBIGUOUS (-2)
int docker_inspect(struct docker *d, const char *name,
		   struct docker_container *c, struct err *e);
void docker_container_free(struct docker_container *c);

/*
 * A HostConfig object given as JSON text, text[0..len) (a saved copy,
 * e.g. the original docker-fw's backupHostConfig.json), into c (zeroed
 * first; free with docker_container_free) by the parser docker_inspect
 * uses, so the two cannot drift apart: network_mode, restart_policy,
 * restart_max, privileged, bindings (PortBindings), links, volumes_from,
 * extra_hosts, dns, cap_add, cap_drop, binds; nothing else is set. name
 * names the text in messages. 0, or -1 with e set: EXIT_USAGE naming
 * name for text that is not JSON, not an object, or with a bad field (as
 * docker_inspect checks them); EXIT_RUNTIME out of memory.
 */
int docker_hostconfig_parse(const char *text, size_t len, const char *name,
			    struct docker_container *c, struct err *e);

/*
 * GET /containers/json?all=1 (Docker Engine API v1.24+, ContainerSummary;
 * the fields below are in 20.10's API 1.41 and 28.5's 1.51 alike), one
 * entry per container, stopped ones too. An entry whose Names hold no
 * name docker-fw takes (Docker takes any length), or whose network mode,
 * networks or ports are bad (checked as docker_inspect checks them), is
 * kept with name "", no networks nor ports, and why saying what is wrong
 * (the field, escaped): the caller skips it unless it needs that very
 * container (whose inspect then fails). A bad Id, State or a Names that
 * is not a list of strings fails the whole list. Free with
 * docker_list_free.
 */
struct docker_summary {
	char id[65];
	char name[256];		  /* first of Names, without the slash */
	char state[32];		  /* "running", "exited", "paused", ... */
	char why[300];		  /* "" or why name is "" */
	char network_mode[256];	  /* HostConfig.NetworkMode */
	struct docker_cnet *nets; /* NetworkSettings.Networks, as inspect's
				   * (IPAddress, IPPrefixLen, Gateway, the
				   * IPv6 ones, NetworkID, GwPriority) */
	size_t nnets;
	struct docker_port *ports; /* Ports: PrivatePort, Type, IP,
				    * PublicPort (0: exposed only) */
	size_t nports;
};
int docker_list(struct docker *d, struct docker_summary **v, size_t *n,
		struct err *e);

/* Frees v[0..n) and what each holds; v may be NULL. */
void docker_list_free(struct docker_summary *v, size_t n);

/* GET /networks */
struct docker_subnet {
	char subnet[50];  /* CIDR as Docker gives it */
	int family;	  /* the subnet's: AF_INET or AF_INET6 */
	char gateway[46]; /* "" or an address of family */
};
struct docker_network {
	char id[65];
	char name[128];
	char driver[32];
	char bridge[16]; /* Linux bridge (bridge driver only) */
	int internal;
	int ipv6;			 /* EnableIPv6: its containers get IPv6
				 * addresses from its IPv6 subnets */
	struct docker_subnet subnets[4]; /* IPAM.Config, both
						 * families, the first 4 */
	size_t nsubnets;
};
int docker_networks(struct docker *d, struct docker_network **v, size_t *n,
		    struct err *e);

/* Whether network n carries IPv6: EnableIPv6, or an IPv6 subnet. */
int docker_network_has6(const struct docker_network *n);

/* POST /containers/{id}/ACTION for "start", "pause", "unpause". A 304
 * (already in that state) counts as done. 0 or -1. */
int docker_container_action(struct docker *d, const char *id,
			    const char *action, struct err *e);

/*
 * Runs argv (NULL-terminated) in the container: exec create, start (the
 * hijacked stream, demultiplexed into out and errout, which may be NULL)
 * and inspect. *code gets the exit code. max bounds the bytes kept in out
 * and errout together (the container decides what it writes): more is an
 * error (EXIT_RUNTIME, "exec output over MAX bytes"); what a NULL sink
 * discards counts only toward the HTTP body limit. 0 or -1.
 */
int docker_exec(struct docker *d, const char *id, const char *const *argv,
		struct buf *out, struct buf *errout, size_t max, int *code,
		struct err *e);

/* An event of GET /events (API 1.24+ form). */
struct docker_event {
	char type[16];	    /* "container", "network", ... */
	char action[64];    /* "start", "die", ... */
	char id[65];	    /* Actor.ID */
	char name[256];	    /* Actor.Attributes.name */
	char container[65]; /* Actor.Attributes.container (network
				 * connect, disconnect: the container) */
	int64_t time;	    /* seconds */
};

/*
 * GET /events with filters (a JSON object as the API takes it, or NULL),
 * calling cb for each event as it arrives until cb returns non-zero (then
 * 0 is returned) or the stream ends. The stream has no read timeout unless
 * io_timeout_ms is set, and no deadline; the body limit (HTTP_MAX_BODY)
 * and the framing limit of http.h still end it. 0 or -1 with e set.
 */
int docker_events(struct docker *d, const char *filters,
		  int (*cb)(void *arg, const struct docker_event *ev),
		  void *arg, struct err *e);

/* docker_events with since (seconds since the epoch, Docker's clock; 0:
 * none): the daemon first sends the events it still holds from that
 * time on, so a caller that reconnects misses none of what came after
 * since. */
int docker_events_since(struct docker *d, const char *filters, int64_t since,
			int (*cb)(void *arg, const struct docker_event *ev),
			void *arg, struct err *e);

/*
 * Demultiplexer of the hijacked stdout/stderr stream (8-byte frame header:
 * stream type 0..2, three zero bytes, big-endian payload length). Zero-
 * initialise, then set max (bytes kept in out and errout together; 0: no
 * bound); feed any split of the stream. 0, or -1 with errno EINVAL on a
 * bad header, EFBIG past max, ENOMEM.
 */
struct docker_demux {
	unsigned char hdr[8];
	unsigned hlen;
	uint32_t left;
	int stream;
	size_t max;
	size_t kept;
};
int docker_demux_feed(struct docker_demux *m, const char *p, size_t n,
		      struct buf *out, struct buf *errout);

/* GET /info, the fields docker-fw uses. */
struct docker_info {
	char root_dir[4096]; /* DockerRootDir: dockerd's --data-root, with
				 * symlinks resolved by dockerd at start */
	char version[64];    /* ServerVersion */
	/*
	 * What says whether Docker writes ip6tables rules, as far as /info
	 * tells (it does not say it: neither ip6tables nor userland-proxy
	 * is in /info; the kernel tables and the listening sockets do):
	 * Docker 20.10 makes IPv6 rules only with --experimental
	 * --ip6tables, 27+ with ip6tables on by default.
	 */
	int experimental;  /* ExperimentalBuild */
	char firewall[32]; /* FirewallBackend.Driver ("iptables",
				 * "nftables"; API 1.49+, Docker 28.?), ""
				 * when absent */
	int bridge_nf_ip6; /* BridgeNfIp6tables (20.10; gone in 28):
				 * 0/1, -1 when absent */
};

/* GET /info into i. 0, or -1 with e set (EXIT_RUNTIME; a DockerRootDir
 * that is missing or does not fit is an error). Docker Engine API v1.24+,
 * GET /info. */
int docker_info(struct docker *d, struct docker_info *i, struct err *e);

/*
 * What the daemon may say. Its answers are not trusted (a tcp:// daemon
 * without TLS, --tls without verify, or an impersonator): every value
 * that reaches a kernel rule, the store, a hosts file, a request line or
 * a path is checked where it is read, and an answer with a bad one is
 * refused whole (-1, EXIT_RUNTIME, naming the container or network, the
 * field and the value escaped): docker_inspect, docker_list and
 * docker_networks check
 *   container IDs          64 lowercase hex digits (docker_id_ok)
 *   container names        Docker's rule (docker_name_ok), at most
 *                          DOCKER_NAME_MAX characters
 *   network IDs            1 to 64 of [0-9a-z] (swarm's are 25)
 *   network names          any bytes but NUL, at most 127 (Docker takes
 *                          newlines, quotes, slashes: they never reach a
 *                          kernel rule, and messages escape them)
 *   bridge names           docker_bridge_ok (the bridge driver's; another
 *                          driver's option is dropped)
 *   addresses              IPv4 (IPAddress, Gateway), IPv6
 *                          (GlobalIPv6Address, IPv6Gateway; never an
 *                          IPv4-mapped ::ffff:a.b.c.d), either (HostIp),
 *                          subnets as ADDR/PREFIX with an IPAM Gateway of
 *                          the subnet's family, IPPrefixLen 0..32,
 *                          GlobalIPv6PrefixLen 0..128
 *   ports                  "PORT/tcp|udp|sctp" keys, HostPort 0..65535
 *   HostsPath              absolute, no control characters
 *   lists (Binds, ...)     strings without NUL, of any length
 * and docker_exec the exec ID (docker_id_ok). Every string is checked
 * for NUL (\u0000) and for the size of its field.
 */
#define DOCKER_NAME_MAX 255

/* [a-zA-Z0-9][a-zA-Z0-9_.-]*, 1 to DOCKER_NAME_MAX characters (moby's
 * daemon/names: RestrictedNamePattern), without the leading '/'. */
int docker_name_ok(const char *s);

/* 64 lowercase hex digits: a container or exec ID. */
int docker_id_ok(const char *s);

/* 1 to 64 of [0-9a-z]: a network ID (local 64 hex, swarm 25). */
int docker_netid_ok(const char *s);

/*
 * A bridge name docker-fw puts in -i/-o: the kernel's rule for interface
 * names (dev_valid_name: 1 to 15 bytes, not "." or "..", no '/', ':' or
 * blank; and no control character), without a final '+', which iptables
 * takes for a wildcard ("br+": every br* interface) and cannot escape.
 * Quotes and other bytes (`q"br`, which dockerd takes) are written quoted
 * by fw.c.
 */
int docker_bridge_ok(const char *s);

/* The minor version of an Api-Version value "1.N" (N 0..999, no sign,
 * blank or leading zero), or -1. */
int docker_api_parse(const char *v);

#endif
