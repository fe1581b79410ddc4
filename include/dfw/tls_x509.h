/*
 * tls_x509.h - the X.509 side of TLS (tls.h says what is checked and
 * why): a DER walker over a certificate's subjectAltName and extended
 * key usage, and the X.509 engine the handshake runs, BearSSL's
 * x509_minimal wrapped to check the server's name and key usage as Go's
 * crypto/x509 does, or to check nothing (--tls without --tlsverify).
 */
#ifndef DFW_TLS_X509_H
#define DFW_TLS_X509_H

#include <stddef.h>

#include <bearssl.h>

#include "dfw/util.h"

/* One certificate the server sends is read whole (for its SANs and EKU)
 * up to this many bytes; a larger one fails the handshake. */
#define TLS_X509_CERT_MAX (64 << 10)

/*
 * Whether the X.509 certificate der[0..len) (DER) has an iPAddress
 * subjectAltName equal to ip[0..iplen) (4 or 16 bytes, network order;
 * RFC 5280 4.2.1.6): 1 yes, 0 no, -1 malformed. Reads nothing outside
 * der[0..len).
 */
int tls_cert_has_ip(const unsigned char *der, size_t len,
		    const unsigned char *ip, size_t iplen);

/* Whether the certificate has a dNSName subjectAltName matching host (a
 * DNS name, Go's rules in tls.h): 1 yes, 0 no, -1 malformed. */
int tls_cert_has_dns(const unsigned char *der, size_t len, const char *host);

/* How many subjectAltName entries of the context tag (0x82 dNSName, 0x87
 * iPAddress) the certificate has, or -1 when malformed. */
int tls_cert_san_count(const unsigned char *der, size_t len, unsigned tag);

/* Whether the certificate may serve TLS by its extended key usage: 1 (no
 * such extension, or serverAuth or anyExtendedKeyUsage in it), 0 (not),
 * -1 (malformed). RFC 5280 4.2.1.12. */
int tls_cert_server_eku(const unsigned char *der, size_t len);

/* Why the engine refused a chain BearSSL's own checks passed: refines
 * its verdict (struct tls_x509, err) for the message. */
enum tls_x509_why {
	TLS_X509_OK,
	TLS_X509_NAME,	     /* no SAN names the host */
	TLS_X509_NO_DNS_SAN, /* a DNS name, and no dNSName SAN at all */
	TLS_X509_NO_IP_SAN,  /* an address, and no iPAddress SAN at all */
	TLS_X509_EKU_EE,     /* the server's EKU lacks serverAuth */
	TLS_X509_EKU_CA,     /* a CA certificate's EKU lacks serverAuth */
	TLS_X509_BIG,	     /* a certificate over TLS_X509_CERT_MAX */
	TLS_X509_NOMEM,
	TLS_X509_BAD, /* extensions that cannot be read */
};

/*
 * The X.509 engine of one handshake (a br_x509_class: hand &x->vtable to
 * br_ssl_engine_set_x509). In verify mode it runs x->minimal (which the
 * caller sets up: br_x509_minimal_init, its hashes and signature
 * checkers, the trust anchors) with the name checked on the SANs only
 * and the EKU of every certificate; else it takes the server's key
 * unchecked. Fields are tls_x509.c's but for err and why, read after a
 * failed handshake.
 */
struct tls_x509 {
	const br_x509_class *vtable;
	br_x509_minimal_context minimal;
	br_x509_decoder_context dec; /* unchecked mode: the server's key */
	int verify;
	const char *host;      /* the server's name, as in DOCKER_HOST */
	unsigned char ip[16];  /* the server's address, when an IP */
	size_t iplen;	       /* 4, 16, or 0: a DNS name */
	unsigned ncert;	       /* certificates seen */
	struct buf cur;	       /* the current certificate (DER) */
	int cur_big;	       /* TLS_X509_BIG or _NOMEM, else 0 */
	unsigned err;	       /* our verdict, BR_ERR_X509_* */
	enum tls_x509_why why; /* what err means in words */
};

/*
 * Sets up x's own part for a handshake to host (a DNS name or an IP
 * address, as in DOCKER_HOST; host must outlive x), checked when verify.
 * x->minimal is left to the caller. Returns 1 when host is an IP address
 * (then no SNI is sent), else 0. tls_x509_done frees what a handshake
 * left.
 */
int tls_x509_init(struct tls_x509 *x, int verify, const char *host);
void tls_x509_done(struct tls_x509 *x);

#endif
