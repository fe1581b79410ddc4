/*
 * tls.c - the TLS connection to the Docker daemon with BearSSL: the
 * handshake (client profile, credentials, the X.509 engine of
 * tls_x509.c), the record layer behind struct transport, and what a
 * failed handshake means in words (one table keyed by BearSSL's error
 * and alert constants).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dfw/tls.h"

static int low_read(void *ctx, unsigned char *p, size_t n)
{
	struct tls_conn *c = ctx;
	ssize_t r = c->plain.read(&c->plain, p, n);

	if (r > 0) {
		size_t k = sizeof(c->first) - c->nfirst;

		if (k > (size_t)r)
			k = (size_t)r;
		memcpy(c->first + c->nfirst, p, k);
		c->nfirst += k;
		return (int)r;
	}
	if (!r)
		c->got_eof = 1;
	c->io_errno = r ? errno : 0;
	return -1;
}

static int low_write(void *ctx, const unsigned char *p, size_t n)
{
	struct tls_conn *c = ctx;
	ssize_t r = c->plain.write(&c->plain, p, n);

	if (r > 0)
		return (int)r;
	c->io_errno = r ? errno : EPIPE;
	return -1;
}

/* errno for a failed record-layer call: a clean close is no error. */
static void io_errno(struct tls_conn *c)
{
	int err = br_ssl_engine_last_error(&c->cc.eng);

	if (c->io_errno)
		errno = c->io_errno;
	else if (err == BR_ERR_OK || c->got_eof)
		errno = ECONNRESET;
	else
		errno = EPROTO;
}

static ssize_t tls_read(struct transport *t, void *p, size_t n)
{
	struct tls_conn *c = t->tls;
	int r;

	if (!n)
		return 0;
	c->io_errno = 0;
	/* the socket under TLS waits as t says now (a request's deadline,
	 * the events stream's no timeout) */
	c->plain.io_timeout_ms = t->io_timeout_ms;
	c->plain.deadline = t->deadline;
	c->plain.deadline_len = t->deadline_len;
	r = br_sslio_read(&c->io, p, n > 65536 ? 65536 : n);
	if (r > 0)
		return r;
	/* close_notify, or the peer closed between requests: the end */
	if (br_ssl_engine_last_error(&c->cc.eng) == BR_ERR_OK ||
	    (c->got_eof && !c->io_errno))
		return 0;
	io_errno(c);
	return -1;
}

static ssize_t tls_write(struct transport *t, const void *p, size_t n)
{
	struct tls_conn *c = t->tls;

	c->io_errno = 0;
	c->plain.io_timeout_ms = t->io_timeout_ms;
	c->plain.deadline = t->deadline;
	c->plain.deadline_len = t->deadline_len;
	if (br_sslio_write_all(&c->io, p, n) || br_sslio_flush(&c->io)) {
		io_errno(c);
		return -1;
	}
	return (ssize_t)n;
}

static void tls_close(struct transport *t)
{
	struct tls_conn *c = t->tls;
	int i;

	if (c) {
		/* a close_notify, sent if the socket takes it at once */
		br_ssl_engine_close(&c->cc.eng);
		for (i = 0; i < 4; i++) {
			unsigned char *rec;
			size_t len;
			ssize_t w;

			if (!(br_ssl_engine_current_state(&c->cc.eng) &
			      BR_SSL_SENDREC))
				break;
			rec = br_ssl_engine_sendrec_buf(&c->cc.eng, &len);
			w = send(c->plain.fd, rec, len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w <= 0)
				break;
			br_ssl_engine_sendrec_ack(&c->cc.eng, (size_t)w);
		}
		c->plain.close(&c->plain);
		explicit_bzero(c, sizeof(*c)); /* the caller's: not freed */
	}
	t->tls = NULL;
	t->fd = -1;
}

/*
 * The client profile: TLS 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305,
 * RSA and ECDSA (what dockerd's crypto/tls server accepts). Built with
 * -DDFW_TLS_FULL it is BearSSL's "full" profile instead, for comparing
 * sizes (README, "Size").
 */
static void client_init(br_ssl_client_context *cc, br_x509_minimal_context *xm,
			const br_x509_trust_anchor *tas, size_t ntas)
{
#ifdef DFW_TLS_FULL
	br_ssl_client_init_full(cc, xm, tas, ntas);
#else
	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	};
	static const struct {
		int id;
		const br_hash_class *vt;
	} hashes[] = {
		{ br_sha256_ID, &br_sha256_vtable },
		{ br_sha384_ID, &br_sha384_vtable },
		{ br_sha512_ID, &br_sha512_vtable },
	};
	size_t i;

	br_ssl_client_zero(cc);
	br_ssl_engine_set_versions(&cc->eng, BR_TLS12, BR_TLS12);
	br_x509_minimal_init(xm, &br_sha256_vtable, tas, ntas);
	br_ssl_engine_set_suites(&cc->eng, suites,
				 sizeof(suites) / sizeof(suites[0]));
	br_ssl_client_set_default_rsapub(cc);
	br_ssl_engine_set_default_rsavrfy(&cc->eng);
	br_ssl_engine_set_default_ecdsa(&cc->eng);
	br_x509_minimal_set_rsa(xm, br_ssl_engine_get_rsavrfy(&cc->eng));
	br_x509_minimal_set_ecdsa(xm, br_ssl_engine_get_ec(&cc->eng),
				  br_ssl_engine_get_ecdsa(&cc->eng));
	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		br_ssl_engine_set_hash(&cc->eng, hashes[i].id, hashes[i].vt);
		br_x509_minimal_set_hash(xm, hashes[i].id, hashes[i].vt);
	}
	br_ssl_engine_set_x509(&cc->eng, &xm->vtable);
	br_ssl_engine_set_prf_sha256(&cc->eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(&cc->eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(&cc->eng);
	br_ssl_engine_set_default_chapol(&cc->eng);
#endif
}

/* ---- a failed handshake in words --------------------------------------- */

/* BearSSL 0.6 (TLS 1.2) has no name for TLS 1.3's certificate_required
 * (RFC 8446 6.2), which Go's servers send when a client certificate is
 * missing. */
#define ALERT_CERTIFICATE_REQUIRED 116

/* A fatal alert the server sent, as BearSSL's last error has it. */
#define RECV(a) (BR_ERR_RECV_FATAL_ALERT + (a))

enum {
	/* an error's words: text, the argument, more */
	A_NONE,
	A_CA,	/* the CA file */
	A_HOST, /* the server's name */
	A_KIB,	/* TLS_X509_CERT_MAX in KiB */
	A_ERR,	/* BearSSL's error number */
	/* an alert (text its name): */
	AL_OTHER,  /* "refused the handshake" */
	AL_CERT,   /* about the client certificate: missing or rejected */
	AL_NOCERT, /* missing when none was given, else AL_OTHER */
};

/*
 * What a failed handshake means: BearSSL's last error (BR_ERR_*, or a
 * fatal alert received: RECV(BR_ALERT_*)), refined by the X.509 engine's
 * reason (TLS_X509_*, 0 any), the first match. Errors say "URL: TLS:
 * text ARG more"; alerts give their names (RFC 5246 7.2).
 */
static const struct tls_why {
	short err;
	unsigned char xc;
	unsigned char how; /* A_*, AL_* */
	const char *text;
	const char *more;
} whys[] = {
	{ BR_ERR_X509_NOT_TRUSTED, 0, A_CA,
	  "the server's certificate is not "
	  "trusted: not issued by a CA in ",
	  NULL },
	{ BR_ERR_X509_BAD_SERVER_NAME, TLS_X509_BAD, A_NONE,
	  "a certificate "
	  "of the server cannot be read (malformed extensions)",
	  NULL },
	{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, TLS_X509_BAD, A_NONE,
	  "a "
	  "certificate of the server cannot be read (malformed extensions)",
	  NULL },
	{ BR_ERR_X509_BAD_SERVER_NAME, TLS_X509_NO_IP_SAN, A_HOST,
	  "name "
	  "mismatch: the server's certificate is not valid for ",
	  " (it has "
	  "no IP address in its subjectAltName)" },
	{ BR_ERR_X509_BAD_SERVER_NAME, TLS_X509_NO_DNS_SAN, A_HOST,
	  "name "
	  "mismatch: the server's certificate is not valid for ",
	  " (it has "
	  "no DNS name in its subjectAltName; its Common Name is not used, "
	  "as in Go and the docker CLI)" },
	{ BR_ERR_X509_BAD_SERVER_NAME, 0, A_HOST,
	  "name mismatch: the "
	  "server's certificate is not valid for ",
	  NULL },
	{ BR_ERR_X509_LIMIT_EXCEEDED, TLS_X509_BIG, A_KIB,
	  "a certificate "
	  "of the server is larger than ",
	  " KiB" },
	{ BR_ERR_X509_LIMIT_EXCEEDED, TLS_X509_NOMEM, A_NONE,
	  "out of memory "
	  "reading the server's certificate",
	  NULL },
	{ BR_ERR_X509_EXPIRED, 0, A_NONE,
	  "the server's certificate has "
	  "expired (or is not valid yet)",
	  NULL },
	{ BR_ERR_X509_TIME_UNKNOWN, 0, A_NONE,
	  "the system time is unknown: "
	  "certificates cannot be checked",
	  NULL },
#define CHAIN "the server's certificate chain is not valid (error "
	{ BR_ERR_X509_NOT_CA, 0, A_ERR, CHAIN, ")" },
	{ BR_ERR_X509_DN_MISMATCH, 0, A_ERR, CHAIN, ")" },
	{ BR_ERR_X509_BAD_SIGNATURE, 0, A_ERR, CHAIN, ")" },
#undef CHAIN
	{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, TLS_X509_EKU_EE, A_NONE,
	  "the "
	  "server's certificate is not for a TLS server: its extended key "
	  "usage lacks serverAuth",
	  NULL },
	{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, TLS_X509_EKU_CA, A_NONE,
	  "a CA "
	  "certificate the server sent is not for TLS servers: its extended "
	  "key usage lacks serverAuth",
	  NULL },
	{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, 0, A_NONE,
	  "the server's "
	  "certificate is not for a TLS server (key usage)",
	  NULL },
#define VERSION \
	"protocol error: no common protocol version or cipher " \
	"suite (TLS 1.2 with ECDHE and AES-GCM or ChaCha20 is needed; " \
	"BearSSL error "
	{ BR_ERR_BAD_CIPHER_SUITE, 0, A_ERR, VERSION, ")" },
	{ BR_ERR_BAD_VERSION, 0, A_ERR, VERSION, ")" },
	{ BR_ERR_UNSUPPORTED_VERSION, 0, A_ERR, VERSION, ")" },
#undef VERSION
	{ RECV(BR_ALERT_UNEXPECTED_MESSAGE), 0, AL_OTHER, "unexpected_message",
	  NULL },
	{ RECV(BR_ALERT_BAD_RECORD_MAC), 0, AL_OTHER, "bad_record_mac", NULL },
	{ RECV(BR_ALERT_HANDSHAKE_FAILURE), 0, AL_NOCERT, "handshake_failure",
	  NULL },
	{ RECV(BR_ALERT_BAD_CERTIFICATE), 0, AL_CERT, "bad_certificate", NULL },
	{ RECV(BR_ALERT_UNSUPPORTED_CERTIFICATE), 0, AL_CERT,
	  "unsupported_certificate", NULL },
	{ RECV(BR_ALERT_CERTIFICATE_REVOKED), 0, AL_OTHER,
	  "certificate_revoked", NULL },
	{ RECV(BR_ALERT_CERTIFICATE_EXPIRED), 0, AL_CERT, "certificate_expired",
	  NULL },
	{ RECV(BR_ALERT_CERTIFICATE_UNKNOWN), 0, AL_CERT, "certificate_unknown",
	  NULL },
	{ RECV(BR_ALERT_ILLEGAL_PARAMETER), 0, AL_OTHER, "illegal_parameter",
	  NULL },
	{ RECV(BR_ALERT_UNKNOWN_CA), 0, AL_CERT, "unknown_ca", NULL },
	{ RECV(BR_ALERT_DECODE_ERROR), 0, AL_OTHER, "decode_error", NULL },
	{ RECV(BR_ALERT_DECRYPT_ERROR), 0, AL_OTHER, "decrypt_error", NULL },
	{ RECV(BR_ALERT_PROTOCOL_VERSION), 0, AL_OTHER, "protocol_version",
	  NULL },
	{ RECV(BR_ALERT_INSUFFICIENT_SECURITY), 0, AL_OTHER,
	  "insufficient_security", NULL },
	{ RECV(BR_ALERT_INTERNAL_ERROR), 0, AL_OTHER, "internal_error", NULL },
	{ RECV(ALERT_CERTIFICATE_REQUIRED), 0, AL_CERT, "certificate_required",
	  NULL },
};

/* What err (with the X.509 engine's reason xc) means, or the words of any
 * other error or alert. */
static const struct tls_why *why_find(int err, unsigned xc)
{
	static const struct tls_why other = { 0, 0, A_ERR,
					      "protocol error (BearSSL error ",
					      ")" },
				    alert = { 0, 0, AL_OTHER, "alert", NULL };
	size_t i;

	for (i = 0; i < sizeof(whys) / sizeof(whys[0]); i++)
		if (whys[i].err == err && (!whys[i].xc || whys[i].xc == xc))
			return &whys[i];
	return err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT ?
		       &alert :
		       &other;
}

/* Whether the first bytes the server sent can start a TLS record. */
static int looks_tls(const struct tls_conn *c)
{
	return c->nfirst < 3 ||
	       (c->first[0] >= 20 && c->first[0] <= 23 && c->first[1] == 3);
}

/*
 * After a write failed in the handshake (EPIPE, ECONNRESET), the alert
 * the server sent before it closed may still wait in the socket, unread
 * by BearSSL: a plaintext alert record (21, 3.x, length 2, level, what).
 * Its description, or -1.
 */
static int pending_alert(struct tls_conn *c)
{
	unsigned char b[64];
	struct pollfd p = { .fd = c->plain.fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 200) <= 0)
		return -1;
	n = recv(c->plain.fd, b, sizeof(b), MSG_DONTWAIT);
	if (n >= 7 && b[0] == 21 && b[1] == 3 && b[3] == 0 && b[4] == 2)
		return b[6];
	return -1;
}

/*
 * A socket call failed in the handshake (BR_ERR_IO): the alert the
 * server sent before it closed, when it can still be read (as BearSSL's
 * error: RECV(alert)); else -1 with e saying what became of the stream.
 */
static int io_why(struct tls_conn *c, const char *url, struct err *e)
{
	int io = c->io_errno, closed = io == EPIPE || io == ECONNRESET, a;

	if (c->nfirst && closed && (a = pending_alert(c)) >= 0)
		return RECV(a);
	if (!c->nfirst && (c->got_eof || closed))
		return err_set(e, EXIT_RUNTIME,
			       "%s: the server closed the "
			       "connection during the TLS handshake (does it "
			       "speak TLS?)",
			       url);
	/* it closed after its own flight, while we sent ours: what we sent
	 * is the likely cause, the alert is lost */
	if (closed)
		return err_set(
			e, EXIT_RUNTIME,
			"%s: TLS: the server closed "
			"the connection in the handshake: %s",
			url,
			!c->creds->nchain ?
				"it probably requires a "
				"client certificate (none given)" :
				"it "
				"probably rejected the client certificate");
	if (io == ETIME)
		return err_set(e, EXIT_RUNTIME,
			       "%s: TLS handshake: not done "
			       "within %lld s (the limit for one request)",
			       url, c->plain.deadline_len / 1000);
	return err_set(e, EXIT_RUNTIME, "%s: TLS handshake: %s", url,
		       io == ETIMEDOUT ? "timed out" :
		       io	       ? strerror(io) :
					 "connection closed");
}

/* The handshake failed: says why, in words. */
static int why(struct tls_conn *c, const char *url, const char *host,
	       struct err *e)
{
	const struct tls_creds *cr = c->creds;
	int err = br_ssl_engine_last_error(&c->cc.eng), a;
	const struct tls_why *w;
	const char *arg = "";
	char num[24];

	if (!looks_tls(c))
		return err_set(e, EXIT_RUNTIME,
			       "%s: the server does not speak "
			       "TLS (it answered \"%.4s...\": a plaintext "
			       "server?)",
			       url, c->first);
	if (err == BR_ERR_IO && (err = io_why(c, url, e)) < 0)
		return -1;
	w = why_find(err, c->xc.why);
	a = err - BR_ERR_RECV_FATAL_ALERT;
	if (w->how >= AL_CERT && !cr->nchain)
		return err_set(e, EXIT_RUNTIME,
			       "%s: TLS: the server requires "
			       "a client certificate (none given: --tlscert/"
			       "--tlskey or DOCKER_CERT_PATH/cert.pem, "
			       "key.pem; TLS alert %d %s)",
			       url, a, w->text);
	if (w->how == AL_CERT)
		return err_set(e, EXIT_RUNTIME,
			       "%s: TLS: the server rejected "
			       "the client certificate %s (TLS alert %d %s)",
			       url, cr->cert_file, a, w->text);
	if (w->how >= AL_OTHER)
		return err_set(e, EXIT_RUNTIME,
			       "%s: TLS: the server refused "
			       "the handshake (TLS alert %d %s)",
			       url, a, w->text);
	if (w->how == A_CA)
		arg = cr->ca_file;
	else if (w->how == A_HOST)
		arg = host;
	else if (w->how == A_KIB || w->how == A_ERR)
		snprintf(num, sizeof(num), "%d",
			 w->how == A_KIB ? TLS_X509_CERT_MAX >> 10 : err);
	if (w->how == A_KIB || w->how == A_ERR)
		arg = num;
	return err_set(e, EXIT_RUNTIME, "%s: TLS: %s%s%s", url, w->text, arg,
		       w->more ? w->more : "");
}

int tls_start(struct tls_conn *c, struct transport *t,
	      const struct tls_creds *cr, const char *host, struct err *e)
{
	unsigned char seed[32];
	const char *sni = host;

	memset(c, 0, sizeof(*c));
	c->plain = *t;
	c->creds = cr;
	client_init(&c->cc, &c->xc.minimal, cr->tas, cr->ntas);
	if (tls_x509_init(&c->xc, cr->verify, host))
		sni = NULL; /* no SNI for an address; checked by SAN */
	br_ssl_engine_set_x509(&c->cc.eng, &c->xc.vtable);
	if (cr->nchain && cr->key_type == BR_KEYTYPE_RSA)
		br_ssl_client_set_single_rsa(&c->cc, cr->chain, cr->nchain,
					     br_skey_decoder_get_rsa(&cr->key),
					     br_rsa_pkcs1_sign_get_default());
	else if (cr->nchain)
		br_ssl_client_set_single_ec(&c->cc, cr->chain, cr->nchain,
					    br_skey_decoder_get_ec(&cr->key),
					    BR_KEYTYPE_SIGN, 0,
					    br_ec_get_default(),
					    br_ecdsa_sign_asn1_get_default());
	br_ssl_engine_set_buffer(&c->cc.eng, c->buf, sizeof(c->buf), 1);
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		err_set(e, EXIT_RUNTIME,
			"%s: TLS: no entropy from getrandom: "
			"%s",
			t->name, strerror(errno));
		goto out;
	}
	br_ssl_engine_inject_entropy(&c->cc.eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	if (!br_ssl_client_reset(&c->cc, sni, 0))
		goto fail;
	br_sslio_init(&c->io, &c->cc.eng, low_read, c, low_write, c);
	/* the handshake runs to its end on the first flush */
	if (br_sslio_flush(&c->io) ||
	    !(br_ssl_engine_current_state(&c->cc.eng) & BR_SSL_SENDAPP) ||
	    br_ssl_engine_last_error(&c->cc.eng))
		goto fail;
	tls_x509_done(&c->xc);
	t->tls = c;
	t->read = tls_read;
	t->write = tls_write;
	t->close = tls_close;
	return 0;
fail:
	why(c, t->name, host, e);
out:
	tls_x509_done(&c->xc);
	c->plain.close(&c->plain);
	explicit_bzero(c, sizeof(*c));
	t->fd = -1;
	return -1;
}
