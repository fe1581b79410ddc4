/*
 * tls.h - TLS to a Docker daemon on tcp:// (BearSSL), set up as the
 * docker CLI sets it up.
 *
 * Settings (docker CLI 20.10 through 28, cli/flags/options.go):
 *   --tls, DOCKER_TLS (non-empty)          encrypt, the server unchecked
 *   --tlsverify, DOCKER_TLS_VERIFY (non-empty)
 *                                          encrypt and check the server
 *   --tlscacert, --tlscert, --tlskey       files; default DIR/ca.pem,
 *                                          DIR/cert.pem, DIR/key.pem with
 *                                          DIR = $DOCKER_CERT_PATH, else
 *                                          $DOCKER_CONFIG, else ~/.docker
 * A default client certificate or key that does not exist means none is
 * sent, as in the docker CLI. Unlike the docker CLI, verification never
 * falls back to the system's CA store: a missing CA file is an error.
 *
 * The connection is TLS 1.2 with ECDHE and AES-GCM or ChaCha20-Poly1305,
 * RSA or ECDSA certificates (what dockerd's crypto/tls offers). With
 * --tlsverify, as Go's crypto/x509 (the docker CLI) checks:
 *   - the chain against the CA file's certificates, and the dates
 *     (BearSSL's x509_minimal);
 *   - the server's name against the host of DOCKER_HOST, in the
 *     subjectAltName only: a DNS name against its dNSName entries (Go's
 *     matching: case, one trailing dot, a "*" first label; SNI is sent),
 *     an IP address against its iPAddress entries. The subject's Common
 *     Name is never used (Go 1.15+), though BearSSL alone would;
 *   - the extended key usage of every certificate the server sends:
 *     when the extension is there it must hold serverAuth or
 *     anyExtendedKeyUsage (a client-only certificate of the same CA is
 *     no server). The CA file's certificates are not checked for it.
 * Client keys: RSA or EC, PEM in PKCS#8, PKCS#1 or SEC1 form,
 * unencrypted.
 *
 * Limits: a PEM file of 1 MiB, one certificate the server sends of
 * 64 KiB, RSA keys of 4096 bits.
 *
 * Four files: tls_conf.c (the settings, pure), tls_creds.c (PEM files,
 * keys), tls_x509.c (tls_x509.h: the DER walker and the X.509 engine),
 * tls.c (the connection, and what a failed handshake means in words).
 */
#ifndef DFW_TLS_H
#define DFW_TLS_H

#include <limits.h>

#include <bearssl.h>

#include "dfw/config.h"
#include "dfw/tls_x509.h"
#include "dfw/transport.h"
#include "dfw/util.h"

/* The TLS settings in force (see above). */
struct tls_conf {
	int tls;	     /* encrypt */
	int verify;	     /* and check the server's certificate */
	char ca[PATH_MAX];   /* "" none */
	char cert[PATH_MAX]; /* "" none (then key is "" too) */
	char key[PATH_MAX];
	int cert_default; /* cert is the default file: when it does not
				 * exist, none is sent */
	int key_default;  /* the same for key */
};

/*
 * The settings in force from what the configuration says (config.h:
 * the options over the environment), with the default file names filled
 * in (see above); reads no file. 0, or -1 with e set (EXIT_USAGE: a path
 * too long).
 */
int tls_conf_get(const struct dfw_config_tls *in, struct tls_conf *o,
		 struct err *e);

/* What tls_creds_load read: CA certificates, the client's chain, its key.
 * Filled by tls_creds.c only; tls.c reads it. */
struct tls_creds {
	int verify;
	char ca_file[PATH_MAX];
	char cert_file[PATH_MAX];
	br_x509_trust_anchor *tas;
	size_t ntas;
	br_x509_certificate *chain; /* the client's; NULL none */
	size_t nchain;
	int key_type;		     /* BR_KEYTYPE_RSA/EC, 0 none */
	br_skey_decoder_context key; /* holds the private key */
	/* BearSSL 0.6's key decoder takes key_data (its last member) as
	 * 3 * BR_X509_BUFSIZE_KEY bytes long, 24 more than it is: an RSA key
	 * over 4096 bits (or a crafted one) writes here, not past the
	 * allocation. Keep it right after key. */
	unsigned char
		key_guard[3 * (BR_X509_BUFSIZE_KEY - BR_X509_BUFSIZE_SIG) + 8];
};

/*
 * Reads and checks the files of o (o->tls set) before any connection: a
 * default client certificate or key that does not exist is none; a
 * client certificate needs its key and the reverse; the CA file (when
 * o->verify) must hold at least one certificate; the client certificate
 * file a chain; the key file an RSA or EC private key matching the first
 * certificate. *out is owned by the caller (tls_creds_free). 0, or -1
 * with e set (EXIT_USAGE), naming the file: cannot read it, not PEM, no
 * certificate in it, no key in it, an encrypted or unsupported key, a
 * key that does not match, one of the pair missing.
 */
int tls_creds_load(const struct tls_conf *o, struct tls_creds **out,
		   struct err *e);
void tls_creds_free(struct tls_creds *c);

/*
 * One TLS session: about 41 KB (BearSSL's 33 KB buffer for records both
 * ways, its SSL engine, the X.509 engine), owned by the caller as
 * BearSSL's contexts are (struct docker holds one), so that a connection
 * allocates nothing. Fields are tls.c's.
 */
struct tls_conn {
	br_ssl_client_context cc;
	struct tls_x509 xc;
	br_sslio_context io;
	struct transport plain; /* the TCP stream under it */
	const struct tls_creds *creds;
	int io_errno; /* of the last failed socket call */
	int got_eof;
	unsigned char first[5]; /* the first bytes the server sent */
	size_t nfirst;
	unsigned char buf[BR_SSL_BUFSIZE_BIDI];
};

/*
 * Runs the TLS handshake on t (a connected TCP stream to host, as in
 * DOCKER_HOST: a DNS name or an IP address) in c and, on success, swaps
 * t's read/write/close for TLS ones; t->tls then points to c (cleared,
 * not freed, by t->close). c (its old content is overwritten), cr and
 * host must outlive t's use. 0, or -1 with e set (EXIT_RUNTIME) saying
 * what failed in words and naming the endpoint (t->name) and the file
 * involved: certificate not trusted by the CA file, name mismatch,
 * expired or not yet valid, the server requires a client certificate,
 * the server rejected the client certificate, the server does not speak
 * TLS, a protocol error; t is closed then.
 */
int tls_start(struct tls_conn *c, struct transport *t,
	      const struct tls_creds *cr, const char *host, struct err *e);

#endif
