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
 */
#ifndef DFW_TLS_H
#define DFW_TLS_H

#include <limits.h>

#include "dfw/config.h"
#include "dfw/transport.h"
#include "dfw/util.h"

/* The TLS settings in force (see above). */
struct tls_conf {
	int tls;		/* encrypt */
	int verify;		/* and check the server's certificate */
	char ca[PATH_MAX];	/* "" none */
	char cert[PATH_MAX];	/* "" none (then key is "" too) */
	char key[PATH_MAX];
	int cert_default;	/* cert is the default file: when it does not
				 * exist, none is sent */
	int key_default;	/* the same for key */
};

/*
 * The settings in force from what the configuration says (config.h:
 * the options over the environment), with the default file names filled
 * in (see above); reads no file. 0, or -1 with e set (EXIT_USAGE: a path
 * too long).
 */
int tls_conf_get(const struct dfw_config_tls *in, struct tls_conf *o,
		 struct err *e);

/* What tls_creds_load read: CA certificates, the client's chain, its key. */
struct tls_creds;

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
 * Runs the TLS handshake on t (a connected TCP stream to host, as in
 * DOCKER_HOST: a DNS name or an IP address) and, on success, swaps t's
 * read/write/close for TLS ones; t->tls then owns the session (freed by
 * t->close). c must outlive t. 0, or -1 with e set (EXIT_RUNTIME) saying
 * what failed in words and naming the endpoint (t->name) and the file
 * involved: certificate not trusted by the CA file, name mismatch,
 * expired or not yet valid, the server requires a client certificate,
 * the server rejected the client certificate, the server does not speak
 * TLS, a protocol error; t is closed then.
 */
int tls_start(struct transport *t, const struct tls_creds *c,
	      const char *host, struct err *e);

/*
 * Whether the X.509 certificate der[0..len) (DER) has an iPAddress
 * subjectAltName equal to ip[0..iplen) (4 or 16 bytes, network order;
 * RFC 5280 4.2.1.6): 1 yes, 0 no, -1 malformed. Reads nothing outside
 * der[0..len).
 */
int tls_cert_has_ip(const unsigned char *der, size_t len,
		    const unsigned char *ip, size_t iplen);

/* Whether the certificate has a dNSName subjectAltName matching host (a
 * DNS name, Go's rules above): 1 yes, 0 no, -1 malformed. */
int tls_cert_has_dns(const unsigned char *der, size_t len, const char *host);

/* How many subjectAltName entries of the context tag (0x82 dNSName, 0x87
 * iPAddress) the certificate has, or -1 when malformed. */
int tls_cert_san_count(const unsigned char *der, size_t len, unsigned tag);

/* Whether the certificate may serve TLS by its extended key usage: 1 (no
 * such extension, or serverAuth or anyExtendedKeyUsage in it), 0 (not),
 * -1 (malformed). RFC 5280 4.2.1.12. */
int tls_cert_server_eku(const unsigned char *der, size_t len);

#endif
