/*
 * config.h - the settings of one run: everything that used to be ambient
 * (the environment, the global options). Built only in applets/
 * (applets/config.c, from argv and the environment, README "Reaching the
 * Docker daemon") and passed down by const pointer; core/ reads no
 * environment variable and keeps no setting of its own.
 *
 * Strings point into argv, the environment or the caller's memory: they
 * must outlive the configuration. NULL means "not said": the default.
 */
#ifndef DFW_CONFIG_H
#define DFW_CONFIG_H

#include "dfw/util.h"

/* What the command line said about TLS (struct dfw_config_tls.given):
 * the options win over DOCKER_TLS, DOCKER_TLS_VERIFY and the default
 * files. */
enum {
	CONFIG_TLS = 1,	      /* --tls[=BOOL] */
	CONFIG_TLSVERIFY = 2, /* --tlsverify[=BOOL] */
	CONFIG_TLSCACERT = 4, /* --tlscacert FILE */
	CONFIG_TLSCERT = 8,   /* --tlscert FILE */
	CONFIG_TLSKEY = 16,   /* --tlskey FILE */
};

/* TLS to a tcp:// daemon as given; tls.h (tls_conf) says what is in
 * force, as the docker CLI decides it. */
struct dfw_config_tls {
	int tls;	      /* --tls, else $DOCKER_TLS non-empty */
	int verify;	      /* --tlsverify, else $DOCKER_TLS_VERIFY
				 * non-empty */
	unsigned given;	      /* CONFIG_TLS*: from the command line */
	const char *ca;	      /* --tlscacert, NULL: the default */
	const char *cert;     /* --tlscert */
	const char *key;      /* --tlskey */
	const char *cert_dir; /* $DOCKER_CERT_PATH, else $DOCKER_CONFIG */
	const char *home;     /* $HOME: ~/.docker when cert_dir is NULL */
};

struct dfw_config {
	/* the Docker daemon (docker.h) */
	const char *host;	/* a DOCKER_HOST value: -H, else
				 * $DOCKER_HOST; NULL or "": the default
				 * (transport.h) */
	int io_timeout_ms;	/* each read or write ($DFW_TIMEOUT); 0:
				 * TRANSPORT_IO_TIMEOUT_MS */
	int connect_timeout_ms; /* connecting ($DFW_CONNECT_TIMEOUT); 0:
				 * TRANSPORT_CONNECT_TIMEOUT_MS */
	struct dfw_config_tls tls;
	int hosts_exec; /* $DFW_HOSTS=exec: hosts files through
				 * docker exec, even with a local daemon */
	/* the store (store.h) */
	const char *state_dir; /* --state-dir, else $DFW_STATE_DIR; NULL:
				 * STORE_DEFAULT_DIR */
	/* the kernel (fw.h, backend.h) */
	const char *backend;	  /* "iptc" or "nft" (--backend, else
				 * $DFW_BACKEND); NULL: where Docker's
				 * chains are */
	const char *xtables_lock; /* $XTABLES_LOCKFILE; NULL:
					 * FW_XTABLES_LOCK */
	const char *path;	  /* $PATH, where the iptables-nft tools are
				 * looked for; NULL: FW_NFT_PATH */
	int fail_commit;	  /* tests only ($DFW_TEST_FAIL_COMMIT=4|6):
				 * the commit of this family's table
				 * (AF_INET, AF_INET6) fails; =again:
				 * FW_FAIL_AGAIN (fw.h); 0: never */
	int trace_stamp;  /* tests only ($DFW_TEST_STAMP non-empty): replay
			  * says on stderr what its stamp (stamp.h) did */
	int stop_at_mark; /* tests only ($DFW_TEST_STAMP=stop): and stops
			   * (SIGSTOP) after its commits, before the
			   * tables are taken for the stamp */
	/* the run */
	int dry_run; /* --dry-run: plan and say, change nothing */
	int verbose; /* -v: say the backend and the changes */
};

/* Every setting at its default (all zero and NULL). */
void config_init(struct dfw_config *c);

/*
 * A number of seconds from 1 to 86400, as v (the value of the setting
 * called name, e.g. "DFW_TIMEOUT"), into *ms; v NULL or "": *ms 0 (the
 * default). 0, or -1 with e set (EXIT_USAGE, naming name and v).
 */
int config_seconds(const char *name, const char *v, int *ms, struct err *e);

/* Whether v names a backend ("iptc" or "nft"): 0, or -1 with e set
 * (EXIT_USAGE, naming v and what the backends are). */
int config_backend_check(const char *v, struct err *e);

#endif
