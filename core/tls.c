/*
 * tls.c - TLS to the Docker daemon with BearSSL: settings, credentials,
 * the handshake and the record layer behind struct transport.
 *
 * BearSSL's X.509 engine (x509_minimal) checks the chain and the dates.
 * It is wrapped (struct x509_check) to do what it does otherwise than Go
 * or not at all: the server's name (dNSName or iPAddress subjectAltName
 * only: BearSSL would also take the subject's CN, which Go has ignored
 * since 1.15), the extended key usage of every certificate the server
 * sends (serverAuth or anyExtendedKeyUsage when the extension is there:
 * BearSSL never looks), and the unchecked mode of --tls without
 * --tlsverify.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bearssl.h>

#include "dfw/tls.h"

#define PEM_MAX (1 << 20)	/* a PEM file larger than this is refused */
#define EE_MAX (64 << 10)	/* the server's certificate, for its SANs */
#define RSA_MAX_BITS 4096	/* BearSSL's BR_MAX_RSA_SIZE (src/inner.h) */

/* ---- settings ---------------------------------------------------------- */

int tls_conf_get(const struct dfw_config_tls *in, struct tls_conf *o,
		 struct err *e)
{
	static const char *const names[] = { "ca.pem", "cert.pem", "key.pem" };
	const unsigned given[] = { CONFIG_TLSCACERT, CONFIG_TLSCERT,
				   CONFIG_TLSKEY };
	const char *files[] = { in->ca, in->cert, in->key };
	char *out[] = { o->ca, o->cert, o->key };
	const char *dir = in->cert_dir;
	char def[PATH_MAX];
	size_t i;

	memset(o, 0, sizeof(*o));
	o->tls = in->tls;
	o->verify = in->verify;
	/* --tlsverify at all, even =false, turns TLS on (docker CLI) */
	if (o->verify || (in->given & CONFIG_TLSVERIFY))
		o->tls = 1;
	if (!o->tls)
		return 0;
	/* no HOME: no default files (a CA is asked for if needed) */
	if ((!dir || !*dir) && in->home && *in->home &&
	    (size_t)snprintf(def, sizeof(def), "%s/.docker", in->home) <
	    sizeof(def))
		dir = def;
	else if (!dir || !*dir)
		dir = NULL;
	o->cert_default = !(in->given & CONFIG_TLSCERT);
	o->key_default = !(in->given & CONFIG_TLSKEY);
	for (i = 0; i < 3; i++) {
		int n;

		if (in->given & given[i])
			n = snprintf(out[i], PATH_MAX, "%s", files[i]);
		else if (dir)
			n = snprintf(out[i], PATH_MAX, "%s/%s", dir, names[i]);
		else
			continue;
		if (n < 0 || n >= PATH_MAX)
			return err_set(e, EXIT_USAGE, "TLS: the certificate "
				       "path \"%s\" is too long",
				       in->given & given[i] ? files[i] : dir);
	}
	if (!o->verify)
		*o->ca = 0;	/* the server is not checked */
	return 0;
}

static int file_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st) || errno != ENOENT;
}

/* ---- files ------------------------------------------------------------- */

struct der {
	unsigned char *data;
	size_t len;
};

struct tls_creds {
	int verify;
	char ca_file[PATH_MAX];
	char cert_file[PATH_MAX];
	br_x509_trust_anchor *tas;
	size_t ntas;
	br_x509_certificate *chain;	/* the client's; NULL none */
	size_t nchain;
	int key_type;			/* BR_KEYTYPE_RSA/EC, 0 none */
	br_skey_decoder_context key;	/* holds the private key */
	/* BearSSL 0.6's key decoder takes key_data (its last member) as
	 * 3 * BR_X509_BUFSIZE_KEY bytes long, 24 more than it is: an RSA key
	 * over 4096 bits (or a crafted one) writes here, not past the
	 * allocation. Keep it right after key. */
	unsigned char key_guard[3 * (BR_X509_BUFSIZE_KEY -
				     BR_X509_BUFSIZE_SIG) + 8];
};

/* A destination of BearSSL's decoders: its bytes, and whether one
 * allocation failed; nothing more is written after that (the caller
 * checks failed at the end). */
struct sink {
	struct buf b;
	int failed;
};

static void buf_sink(void *ctx, const void *p, size_t n)
{
	struct sink *s = ctx;

	if (!s->failed && buf_add(&s->b, p, n))
		s->failed = 1;
}

static int read_file(const char *path, struct buf *b, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, saved;

	if (fd < 0)
		return err_set(e, EXIT_USAGE, "TLS: %s: %s", path,
			       strerror(errno));
	rc = fd_read_all(fd, b, PEM_MAX);
	saved = errno;
	close(fd);
	if (rc && saved == EFBIG)
		return err_set(e, EXIT_USAGE, "TLS: %s: larger than %d bytes: "
			       "not a PEM file", path, PEM_MAX);
	if (rc && saved == ENOMEM)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	if (rc)
		return err_set(e, EXIT_USAGE, "TLS: %s: %s", path,
			       strerror(saved));
	return 0;
}

/*
 * The PEM objects of path: calls each(ctx, NAME, der) for every one.
 * each returns 0 or -1 (e set). -1 with e set when the file cannot be
 * read or is not PEM.
 */
static int pem_each(const char *path,
		    int (*each)(void *ctx, const char *name, struct der *d,
				struct err *e),
		    void *ctx, struct err *e)
{
	br_pem_decoder_context pc;
	struct buf file = { 0 };
	struct sink obj = { { 0 }, 0 };
	const unsigned char *p;
	size_t len, n, objs = 0;
	char name[128];
	int in = 0, nl = 1, rc = 0;

	if (read_file(path, &file, e)) {
		buf_free(&file);
		return -1;
	}
	/* CR LF line ends, as Windows tools write them: LF */
	for (len = n = 0; len < file.len; len++)
		if (!(file.data[len] == '\r' && len + 1 < file.len &&
		      file.data[len + 1] == '\n'))
			file.data[n++] = file.data[len];
	file.len = n;
	br_pem_decoder_init(&pc);
	p = (const unsigned char *)file.data;
	len = file.len;
	*name = 0;
	while (len > 0 && !rc) {
		n = br_pem_decoder_push(&pc, p, len);

		p += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			snprintf(name, sizeof(name), "%s",
				 br_pem_decoder_name(&pc));
			obj.b.len = 0;
			br_pem_decoder_setdest(&pc, buf_sink, &obj);
			in = 1;
			break;
		case BR_PEM_END_OBJ:
			if (!in)
				break;
			in = 0;
			objs++;
			if (obj.failed) {
				rc = err_set(e, EXIT_RUNTIME, "TLS: %s: out of "
					     "memory", path);
				break;
			}
			{
				struct der d = { (unsigned char *)obj.b.data,
						 obj.b.len };

				rc = each(ctx, name, &d, e);
			}
			break;
		case BR_PEM_ERROR:
			rc = err_set(e, EXIT_USAGE, "TLS: %s: %s", path,
				     memmem(file.data, file.len, "Proc-Type: "
					    "4,ENCRYPTED", 22) ?
				     "an encrypted key (docker-fw reads "
				     "unencrypted keys only)" :
				     "not a valid PEM file");
			break;
		}
		/* a last line without its newline is accepted */
		if (!len && nl) {
			nl = 0;
			p = (const unsigned char *)"\n";
			len = 1;
		}
	}
	if (!rc && in)
		rc = err_set(e, EXIT_USAGE, "TLS: %s: a PEM object is not "
			     "finished (no END line)", path);
	else if (!rc && !objs)
		rc = err_set(e, EXIT_USAGE, "TLS: %s: not a PEM file (no "
			     "BEGIN line)", path);
	buf_free(&obj.b);
	buf_free(&file);
	return rc ? -1 : 0;
}

struct certs {
	const char *path;
	br_x509_certificate *v;
	size_t n;
};

static int is_cert(const char *name)
{
	return !strcmp(name, "CERTIFICATE") ||
	       !strcmp(name, "X509 CERTIFICATE") ||
	       !strcmp(name, "TRUSTED CERTIFICATE");
}

static int cert_each(void *ctx, const char *name, struct der *d,
		     struct err *e)
{
	struct certs *c = ctx;
	br_x509_certificate *v;
	unsigned char *copy;

	if (!is_cert(name))
		return 0;
	v = realloc(c->v, (c->n + 1) * sizeof(*v));
	if (!v)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	c->v = v;
	copy = malloc(d->len ? d->len : 1);
	if (!copy)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	memcpy(copy, d->data, d->len);
	c->v[c->n].data = copy;
	c->v[c->n++].data_len = d->len;
	return 0;
}

static void certs_free(br_x509_certificate *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].data);
	free(v);
}

static int read_certs(const char *path, struct certs *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	c->path = path;
	if (pem_each(path, cert_each, c, e))
		goto fail;
	if (!c->n) {
		err_set(e, EXIT_USAGE, "TLS: %s: no certificate in it", path);
		goto fail;
	}
	return 0;
fail:
	certs_free(c->v, c->n);
	c->v = NULL;
	c->n = 0;
	return -1;
}

static void *dup_mem(const void *p, size_t n)
{
	void *d = malloc(n ? n : 1);

	if (d)
		memcpy(d, p, n);
	return d;
}

static void ta_free(br_x509_trust_anchor *ta)
{
	free(ta->dn.data);
	if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
		free(ta->pkey.key.rsa.n);
		free(ta->pkey.key.rsa.e);
	} else if (ta->pkey.key_type == BR_KEYTYPE_EC) {
		free(ta->pkey.key.ec.q);
	}
}

/* A CA certificate as a trust anchor (as BearSSL's tools/certs.c). */
static int to_anchor(const char *path, br_x509_certificate *xc,
		     br_x509_trust_anchor *ta, struct err *e)
{
	br_x509_decoder_context dc;
	struct sink dn = { { 0 }, 0 };
	br_x509_pkey *pk;

	memset(ta, 0, sizeof(*ta));
	br_x509_decoder_init(&dc, buf_sink, &dn);
	br_x509_decoder_push(&dc, xc->data, xc->data_len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (dn.failed) {
		buf_free(&dn.b);
		return err_set(e, EXIT_RUNTIME, "TLS: %s: out of memory",
			       path);
	}
	if (!pk) {
		buf_free(&dn.b);
		return err_set(e, EXIT_USAGE, "TLS: %s: a certificate "
			       "BearSSL cannot decode (error %d)", path,
			       br_x509_decoder_last_error(&dc));
	}
	ta->dn.data = (unsigned char *)dn.b.data;
	ta->dn.len = dn.b.len;
	if (!ta->dn.data) {
		ta->dn.data = malloc(1);	/* an empty DN: ta_free frees */
		if (!ta->dn.data)
			return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = dup_mem(pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = dup_mem(pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		if (ta->pkey.key.rsa.n && ta->pkey.key.rsa.e)
			return 0;
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = dup_mem(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		if (ta->pkey.key.ec.q)
			return 0;
	} else {
		ta_free(ta);
		return err_set(e, EXIT_USAGE, "TLS: %s: a CA key that is "
			       "neither RSA nor EC", path);
	}
	ta_free(ta);
	return err_set(e, EXIT_RUNTIME, "out of memory");
}

struct keyfile {
	const char *path;
	br_skey_decoder_context *dc;
	int found;
};

static int key_each(void *ctx, const char *name, struct der *d,
		    struct err *e)
{
	struct keyfile *k = ctx;

	if (!strcmp(name, "ENCRYPTED PRIVATE KEY") ||
	    strstr(name, "ENCRYPTED"))
		return err_set(e, EXIT_USAGE, "TLS: %s: an encrypted key "
			       "(docker-fw reads unencrypted keys only)",
			       k->path);
	if (strcmp(name, "PRIVATE KEY") && strcmp(name, "RSA PRIVATE KEY") &&
	    strcmp(name, "EC PRIVATE KEY"))
		return 0;
	if (k->found++)
		return err_set(e, EXIT_USAGE, "TLS: %s: more than one private "
			       "key in it", k->path);
	br_skey_decoder_init(k->dc);
	br_skey_decoder_push(k->dc, d->data, d->len);
	if (br_skey_decoder_last_error(k->dc) == BR_ERR_X509_LIMIT_EXCEEDED)
		return err_set(e, EXIT_USAGE, "TLS: %s: a key too large for "
			       "BearSSL (RSA keys up to %d bits)", k->path,
			       RSA_MAX_BITS);
	if (br_skey_decoder_last_error(k->dc))
		return err_set(e, EXIT_USAGE, "TLS: %s: a %s that is not an "
			       "RSA or EC key docker-fw can read (error %d)",
			       k->path, name,
			       br_skey_decoder_last_error(k->dc));
	return 0;
}

/* Whether the key in c->key (from key_file) is the one of the
 * certificate xc. 0, or -1 with e set. */
static int key_matches(struct tls_creds *c, br_x509_certificate *xc,
		       const char *key_file, struct err *e)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	int ok = 0;

	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, xc->data, xc->data_len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (!pk)
		return err_set(e, EXIT_USAGE, "TLS: %s: a certificate BearSSL "
			       "cannot decode (error %d)", c->cert_file,
			       br_x509_decoder_last_error(&dc));
	if (pk->key_type != c->key_type) {
		ok = 0;
	} else if (c->key_type == BR_KEYTYPE_RSA) {
		/* sign with the key, verify with the certificate's: works for
		 * every size BearSSL handles (its compute_modulus does not
		 * reach 4096 bits) */
		static const unsigned char sha256_oid[] = {
			0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01
		};
		const br_rsa_private_key *sk = br_skey_decoder_get_rsa(&c->key);
		br_rsa_public_key pub = {
			pk->key.rsa.n, pk->key.rsa.nlen,
			pk->key.rsa.e, pk->key.rsa.elen,
		};
		unsigned char hash[32], back[32], sig[RSA_MAX_BITS / 8];
		size_t slen = (sk->n_bitlen + 7) / 8;

		if (sk->n_bitlen > RSA_MAX_BITS || slen < 64)
			return err_set(e, EXIT_USAGE, "TLS: %s: an RSA key of "
				       "%u bits (BearSSL takes 512 to %d)",
				       key_file, (unsigned)sk->n_bitlen,
				       RSA_MAX_BITS);
		memset(hash, 0x5a, sizeof(hash));
		ok = br_rsa_pkcs1_sign_get_default()(sha256_oid, hash,
						     sizeof(hash), sk, sig) &&
		     br_rsa_pkcs1_vrfy_get_default()(sig, slen, sha256_oid,
						     sizeof(back), &pub, back) &&
		     !memcmp(hash, back, sizeof(hash));
	} else {
		const br_ec_private_key *sk = br_skey_decoder_get_ec(&c->key);
		unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pub;

		ok = pk->key.ec.curve == sk->curve &&
		     br_ec_compute_pub(br_ec_get_default(), &pub, q, sk) &&
		     pub.qlen == pk->key.ec.qlen &&
		     !memcmp(pub.q, pk->key.ec.q, pub.qlen);
	}
	if (!ok)
		return err_set(e, EXIT_USAGE, "TLS: the key in %s does not "
			       "match the certificate in %s", key_file,
			       c->cert_file);
	return 0;
}

void tls_creds_free(struct tls_creds *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->ntas; i++)
		ta_free(&c->tas[i]);
	free(c->tas);
	certs_free(c->chain, c->nchain);
	explicit_bzero(&c->key, sizeof(c->key));
	free(c);
}

int tls_creds_load(const struct tls_conf *o, struct tls_creds **out,
		   struct err *e)
{
	struct tls_creds *c;
	struct certs ca = { 0 }, chain = { 0 };
	const char *cert = o->cert, *key = o->key;
	size_t i;

	*out = NULL;
	/* a default file that is not there is not used (docker CLI) */
	if (o->cert_default && *cert && !file_exists(cert))
		cert = "";
	if (o->key_default && *key && !file_exists(key))
		key = "";
	if (!*cert != !*key)
		return err_set(e, EXIT_USAGE, "TLS: %s \"%s\" without %s",
			       *cert ? "client certificate" : "key",
			       *cert ? cert : key,
			       *cert ? "its key (--tlskey)" :
			       "its certificate (--tlscert)");
	c = calloc(1, sizeof(*c));
	if (!c)
		return err_set(e, EXIT_RUNTIME, "out of memory");
	c->verify = o->verify;
	snprintf(c->ca_file, sizeof(c->ca_file), "%s", o->ca);
	snprintf(c->cert_file, sizeof(c->cert_file), "%s", cert);
	if (o->verify) {
		if (!*o->ca) {
			err_set(e, EXIT_USAGE, "TLS: --tlsverify needs a CA "
				"file (--tlscacert or DOCKER_CERT_PATH/ca.pem)");
			goto fail;
		}
		if (read_certs(o->ca, &ca, e))
			goto fail;
		c->tas = calloc(ca.n, sizeof(*c->tas));
		if (!c->tas) {
			err_set(e, EXIT_RUNTIME, "out of memory");
			goto fail;
		}
		for (i = 0; i < ca.n; i++) {
			if (to_anchor(o->ca, &ca.v[i], &c->tas[i], e))
				goto fail;
			c->ntas++;
		}
		certs_free(ca.v, ca.n);
		ca.v = NULL;
		ca.n = 0;
	}
	if (*cert) {
		struct keyfile k = { key, &c->key, 0 };

		if (read_certs(cert, &chain, e))
			goto fail;
		c->chain = chain.v;
		c->nchain = chain.n;
		if (pem_each(key, key_each, &k, e))
			goto fail;
		if (!k.found) {
			err_set(e, EXIT_USAGE, "TLS: %s: no private key in it "
				"(PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE "
				"KEY)", key);
			goto fail;
		}
		c->key_type = br_skey_decoder_key_type(&c->key);
		if (key_matches(c, &c->chain[0], key, e))
			goto fail;
	}
	*out = c;
	return 0;
fail:
	certs_free(ca.v, ca.n);
	tls_creds_free(c);
	return -1;
}

/* ---- the X.509 engine: BearSSL's, plus the IP and unchecked modes ---- */

struct x509_check {
	const br_x509_class *vtable;
	br_x509_minimal_context minimal;
	br_x509_decoder_context dec;	/* unchecked mode: the server's key */
	int verify;
	const char *host;		/* the server's name, as in DOCKER_HOST */
	unsigned char ip[16];		/* the server's address, when an IP */
	size_t iplen;			/* 4, 16, or 0: a DNS name */
	unsigned ncert;			/* certificates seen */
	struct buf cur;			/* the current certificate (DER) */
	int cur_big;			/* over EE_MAX, or out of memory */
	unsigned err;			/* our verdict, BR_ERR_X509_* */
	int why;			/* XC_*: what err means in words */
};

enum {
	XC_NAME = 1,	/* no SAN names the host */
	XC_NAME_NO_SAN,	/* no SAN of the host's kind at all (a CN only) */
	XC_EKU_EE,	/* the server's EKU lacks serverAuth */
	XC_EKU_CA,	/* a CA certificate's EKU lacks serverAuth */
	XC_BIG,		/* a certificate over EE_MAX bytes */
	XC_NOMEM,
	XC_BAD,		/* a certificate its extensions cannot be read of */
};

#define XC(ctx) ((struct x509_check *)(void *)(ctx))

static void xc_start_chain(const br_x509_class **ctx, const char *name)
{
	struct x509_check *x = XC(ctx);

	x->ncert = 0;
	x->err = 0;
	x->why = 0;
	/* the name is ours to check, on the SANs only */
	if (x->verify)
		x->minimal.vtable->start_chain(&x->minimal.vtable, NULL);
}

static void xc_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct x509_check *x = XC(ctx);

	x->cur.len = 0;
	x->cur_big = 0;
	if (!x->ncert && !x->verify)
		br_x509_decoder_init(&x->dec, NULL, NULL);
	if (x->verify)
		x->minimal.vtable->start_cert(&x->minimal.vtable, length);
}

static void xc_append(const br_x509_class **ctx, const unsigned char *p,
		      size_t n)
{
	struct x509_check *x = XC(ctx);

	if (!x->ncert && !x->verify)
		br_x509_decoder_push(&x->dec, p, n);
	if (x->verify && !x->cur_big) {
		if (x->cur.len + n > EE_MAX)
			x->cur_big = XC_BIG;
		else if (buf_add(&x->cur, p, n))
			x->cur_big = XC_NOMEM;
	}
	if (x->verify)
		x->minimal.vtable->append(&x->minimal.vtable, p, n);
}

/* Our checks of one certificate of the chain (the first: the server's). */
static void xc_check(struct x509_check *x)
{
	const unsigned char *d = (const unsigned char *)x->cur.data;
	int r;

	if (x->err)
		return;
	if (x->cur_big) {
		x->why = x->cur_big;
		x->err = BR_ERR_X509_LIMIT_EXCEEDED;
		return;
	}
	r = tls_cert_server_eku(d, x->cur.len);
	if (r != 1) {
		x->why = r < 0 ? XC_BAD : x->ncert ? XC_EKU_CA : XC_EKU_EE;
		x->err = BR_ERR_X509_FORBIDDEN_KEY_USAGE;
		return;
	}
	if (x->ncert)
		return;
	r = x->iplen ? tls_cert_has_ip(d, x->cur.len, x->ip, x->iplen) :
		       tls_cert_has_dns(d, x->cur.len, x->host);
	if (r == 1)
		return;
	x->err = BR_ERR_X509_BAD_SERVER_NAME;
	x->why = r < 0 ? XC_BAD : tls_cert_san_count(d, x->cur.len,
				x->iplen ? 0x87 : 0x82) ? XC_NAME :
		 XC_NAME_NO_SAN;
}

static void xc_end_cert(const br_x509_class **ctx)
{
	struct x509_check *x = XC(ctx);

	if (x->verify)
		xc_check(x);
	x->ncert++;
	if (x->verify)
		x->minimal.vtable->end_cert(&x->minimal.vtable);
}

/* One DER TLV at *p (end e): its tag and body. 0, or -1 if malformed
 * (BER forms DER forbids included: indefinite or non-minimal lengths). */
static int der_next(const unsigned char **p, const unsigned char *end,
		    unsigned *tag, const unsigned char **body, size_t *len)
{
	const unsigned char *q = *p;
	size_t n, k;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	if ((*tag & 0x1f) == 0x1f)
		return -1;	/* high tag numbers: not in certificates */
	n = *q++;
	if (n & 0x80) {
		k = n & 0x7f;
		if (!k || k > 4 || (size_t)(end - q) < k || !*q)
			return -1;
		for (n = 0; k--; )
			n = n << 8 | *q++;
		if (n < 0x80)
			return -1;	/* DER: the shortest form only */
	}
	if ((size_t)(end - q) < n)
		return -1;
	*body = q;
	*len = n;
	*p = q + n;
	return 0;
}

/* a == b, an IPv4 address equal to its IPv4-mapped IPv6 form
 * (::ffff:a.b.c.d), as Go's net.IP.Equal has it. */
static int same_ip(const unsigned char *a, size_t an, const unsigned char *b,
		   size_t bn)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (an == bn)
		return !memcmp(a, b, an);
	if (an == 16 && bn == 4)
		return !memcmp(a, mapped, 12) && !memcmp(a + 12, b, 4);
	if (an == 4 && bn == 16)
		return !memcmp(b, mapped, 12) && !memcmp(b + 12, a, 4);
	return 0;
}

/*
 * The value (the OCTET STRING's content) of the extension oid[0..oidlen)
 * of the certificate der[0..len): 1 with *v, *vn set; 0 when it has none;
 * -1 when the certificate or its extensions cannot be read.
 */
static int cert_ext(const unsigned char *der, size_t len,
		    const unsigned char *oid, size_t oidlen,
		    const unsigned char **v, size_t *vn)
{
	const unsigned char *p = der, *end = der + len, *b, *tbs, *tend;
	size_t n;
	unsigned tag;

	if (der_next(&p, end, &tag, &b, &n) || tag != 0x30)
		return -1;	/* Certificate */
	p = b;
	end = b + n;
	if (der_next(&p, end, &tag, &tbs, &n) || tag != 0x30)
		return -1;	/* TBSCertificate */
	p = tbs;
	tend = tbs + n;
	while (p < tend) {
		const unsigned char *exts, *eend;

		if (der_next(&p, tend, &tag, &b, &n))
			return -1;
		if (tag != 0xa3)	/* [3] extensions */
			continue;
		exts = b;
		eend = b + n;
		if (der_next(&exts, eend, &tag, &b, &n) || tag != 0x30)
			return -1;
		exts = b;
		eend = b + n;
		while (exts < eend) {
			const unsigned char *x, *xend, *val = NULL, *f;
			size_t valn = 0, fn;
			int is = 0;

			if (der_next(&exts, eend, &tag, &x, &n) || tag != 0x30)
				return -1;	/* Extension */
			xend = x + n;
			while (x < xend) {
				if (der_next(&x, xend, &tag, &f, &fn))
					return -1;
				if (tag == 0x06)
					is = fn == oidlen &&
					     !memcmp(f, oid, fn);
				else if (tag == 0x04)
					val = f, valn = fn;
			}
			if (!is)
				continue;
			if (!val)
				return -1;
			*v = val;
			*vn = valn;
			return 1;
		}
		return 0;
	}
	return 0;
}

static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };

/*
 * Calls each(ctx, tag, body, n) for every GeneralName of the certificate's
 * subjectAltName until it returns non-zero (that is returned), or 0 at
 * the end (no SAN: 0). -1 when it cannot be read.
 */
static int san_each(const unsigned char *der, size_t len,
		    int (*each)(void *ctx, unsigned tag,
				const unsigned char *b, size_t n),
		    void *ctx)
{
	const unsigned char *v, *f, *x, *xend;
	size_t vn, fn;
	unsigned tag;
	int r = cert_ext(der, len, san_oid, sizeof(san_oid), &v, &vn);

	if (r <= 0)
		return r;
	/* GeneralNames ::= SEQUENCE OF GeneralName */
	if (der_next(&v, v + vn, &tag, &f, &fn) || tag != 0x30)
		return -1;
	for (x = f, xend = f + fn; x < xend; ) {
		if (der_next(&x, xend, &tag, &f, &fn))
			return -1;
		if ((r = each(ctx, tag, f, fn)))
			return r;
	}
	return 0;
}

struct ip_want {
	const unsigned char *ip;
	size_t len;
};

static int ip_each(void *ctx, unsigned tag, const unsigned char *b, size_t n)
{
	const struct ip_want *w = ctx;

	return tag == 0x87 && same_ip(b, n, w->ip, w->len);	/* [7] */
}

int tls_cert_has_ip(const unsigned char *der, size_t len,
		    const unsigned char *ip, size_t iplen)
{
	struct ip_want w = { ip, iplen };

	return san_each(der, len, ip_each, &w);
}

static int lower_eq(const unsigned char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int x = a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

/*
 * Go's crypto/x509 matchHostnames: one trailing dot dropped on either
 * side, case-insensitive, "*" as the whole first label of the pattern
 * for exactly one label of the host (not "*.com" for "com", not "f*").
 */
static int dns_each(void *ctx, unsigned tag, const unsigned char *b,
		    size_t n)
{
	const char *host = ctx;
	size_t hn = strlen(host), k;

	if (tag != 0x82)	/* [2] dNSName (IA5String) */
		return 0;
	if (memchr(b, 0, n))
		return 0;
	if (n && b[n - 1] == '.')
		n--;
	if (hn && host[hn - 1] == '.')
		hn--;
	if (!n || !hn)
		return 0;
	if (n == hn && lower_eq(b, host, n))
		return 1;
	if (n < 3 || b[0] != '*' || b[1] != '.')
		return 0;
	/* the host without its first label must equal the rest */
	for (k = 0; k < hn && host[k] != '.'; k++)
		;
	return k && k < hn && hn - k == n - 1 &&
	       lower_eq(b + 1, host + k, n - 1);
}

int tls_cert_has_dns(const unsigned char *der, size_t len, const char *host)
{
	return san_each(der, len, dns_each, (void *)host);
}

struct san_count {
	unsigned tag;
	int n;
};

static int count_each(void *ctx, unsigned tag, const unsigned char *b,
		      size_t n)
{
	struct san_count *c = ctx;

	c->n += tag == c->tag;
	return 0;
}

int tls_cert_san_count(const unsigned char *der, size_t len, unsigned tag)
{
	struct san_count c = { tag, 0 };

	return san_each(der, len, count_each, &c) < 0 ? -1 : c.n;
}

int tls_cert_server_eku(const unsigned char *der, size_t len)
{
	static const unsigned char eku_oid[] = { 0x55, 0x1d, 0x25 };
	static const unsigned char server_auth[] = {
		0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01
	};
	static const unsigned char any_eku[] = { 0x55, 0x1d, 0x25, 0x00 };
	const unsigned char *v, *f, *x, *xend;
	size_t vn, fn;
	unsigned tag;
	int r = cert_ext(der, len, eku_oid, sizeof(eku_oid), &v, &vn);

	if (r <= 0)
		return r < 0 ? -1 : 1;	/* no extension: any use */
	/* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
	if (der_next(&v, v + vn, &tag, &f, &fn) || tag != 0x30)
		return -1;
	r = 0;
	for (x = f, xend = f + fn; x < xend; ) {
		if (der_next(&x, xend, &tag, &f, &fn) || tag != 0x06)
			return -1;
		if ((fn == sizeof(server_auth) &&
		     !memcmp(f, server_auth, fn)) ||
		    (fn == sizeof(any_eku) && !memcmp(f, any_eku, fn)))
			r = 1;
	}
	return r;
}

static unsigned xc_end_chain(const br_x509_class **ctx)
{
	struct x509_check *x = XC(ctx);
	unsigned r;

	if (!x->verify) {
		if (!x->ncert)
			return BR_ERR_X509_EMPTY_CHAIN;
		return br_x509_decoder_get_pkey(&x->dec) ? 0 :
		       (unsigned)br_x509_decoder_last_error(&x->dec);
	}
	/* the chain's own faults (untrusted, expired) come first */
	r = x->minimal.vtable->end_chain(&x->minimal.vtable);
	if (r) {
		x->why = 0;
		return r;
	}
	return x->err;
}

static const br_x509_pkey *xc_get_pkey(const br_x509_class *const *ctx,
				       unsigned *usages)
{
	struct x509_check *x = XC(ctx);

	if (x->verify) {
		if (x->err)
			return NULL;
		return x->minimal.vtable->get_pkey(&x->minimal.vtable, usages);
	}
	if (usages)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&x->dec);
}

static const br_x509_class x509_check_vtable = {
	sizeof(struct x509_check),
	xc_start_chain,
	xc_start_cert,
	xc_append,
	xc_end_cert,
	xc_end_chain,
	xc_get_pkey,
};

/* ---- the connection ---------------------------------------------------- */

struct tls_conn {
	br_ssl_client_context cc;
	struct x509_check xc;
	br_sslio_context io;
	struct transport plain;		/* the TCP stream under it */
	const struct tls_creds *creds;
	int io_errno;			/* of the last failed socket call */
	int got_eof;
	unsigned char first[5];		/* the first bytes the server sent */
	size_t nfirst;
	unsigned char buf[BR_SSL_BUFSIZE_BIDI];
};

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
		explicit_bzero(c, sizeof(*c));
		free(c);
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

static const char *alert_name(int a)
{
	switch (a) {
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 116: return "certificate_required";
	}
	return "alert";
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

/* The handshake failed: says why, in words. */
static int why(struct tls_conn *c, const char *url, const char *host,
	       struct err *e)
{
	const struct tls_creds *cr = c->creds;
	int err = br_ssl_engine_last_error(&c->cc.eng), a;

	if (!looks_tls(c))
		return err_set(e, EXIT_RUNTIME, "%s: the server does not speak "
			       "TLS (it answered \"%.4s...\": a plaintext "
			       "server?)", url, c->first);
	if (c->xc.why == XC_BAD && (err == BR_ERR_X509_BAD_SERVER_NAME ||
				    err == BR_ERR_X509_FORBIDDEN_KEY_USAGE))
		return err_set(e, EXIT_RUNTIME, "%s: TLS: a certificate of "
			       "the server cannot be read (malformed "
			       "extensions)", url);
	switch (err) {
	case BR_ERR_X509_NOT_TRUSTED:
		return err_set(e, EXIT_RUNTIME, "%s: TLS: the server's "
			       "certificate is not trusted: not issued by a CA "
			       "in %s", url, cr->ca_file);
	case BR_ERR_X509_BAD_SERVER_NAME:
		return err_set(e, EXIT_RUNTIME, "%s: TLS: name mismatch: the "
			       "server's certificate is not valid for %s%s",
			       url, host, c->xc.why != XC_NAME_NO_SAN ? "" :
			       c->xc.iplen ? " (it has no IP address in its "
			       "subjectAltName)" : " (it has no DNS name in "
			       "its subjectAltName; its Common Name is not "
			       "used, as in Go and the docker CLI)");
	case BR_ERR_X509_LIMIT_EXCEEDED:
		if (c->xc.why == XC_BIG)
			return err_set(e, EXIT_RUNTIME, "%s: TLS: a "
				       "certificate of the server is larger "
				       "than %d KiB", url, EE_MAX >> 10);
		if (c->xc.why == XC_NOMEM)
			return err_set(e, EXIT_RUNTIME, "%s: TLS: out of "
				       "memory reading the server's "
				       "certificate", url);
		break;
	case BR_ERR_X509_EXPIRED:
		return err_set(e, EXIT_RUNTIME, "%s: TLS: the server's "
			       "certificate has expired (or is not valid "
			       "yet)", url);
	case BR_ERR_X509_TIME_UNKNOWN:
		return err_set(e, EXIT_RUNTIME, "%s: TLS: the system time is "
			       "unknown: certificates cannot be checked", url);
	case BR_ERR_X509_NOT_CA:
	case BR_ERR_X509_DN_MISMATCH:
	case BR_ERR_X509_BAD_SIGNATURE:
		return err_set(e, EXIT_RUNTIME, "%s: TLS: the server's "
			       "certificate chain is not valid (error %d)",
			       url, err);
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
		if (c->xc.why == XC_EKU_EE)
			return err_set(e, EXIT_RUNTIME, "%s: TLS: the server's "
				       "certificate is not for a TLS server: "
				       "its extended key usage lacks "
				       "serverAuth", url);
		if (c->xc.why == XC_EKU_CA)
			return err_set(e, EXIT_RUNTIME, "%s: TLS: a CA "
				       "certificate the server sent is not "
				       "for TLS servers: its extended key "
				       "usage lacks serverAuth", url);
		return err_set(e, EXIT_RUNTIME, "%s: TLS: the server's "
			       "certificate is not for a TLS server (key "
			       "usage)", url);
	case BR_ERR_IO:
		if (c->nfirst && (c->io_errno == EPIPE ||
				  c->io_errno == ECONNRESET) &&
		    (a = pending_alert(c)) >= 0) {
			err = BR_ERR_RECV_FATAL_ALERT + a;
			break;
		}
		if (!c->nfirst && (c->got_eof || c->io_errno == ECONNRESET ||
				   c->io_errno == EPIPE))
			return err_set(e, EXIT_RUNTIME, "%s: the server closed "
				       "the connection during the TLS "
				       "handshake (does it speak TLS?)", url);
		/* it closed after its own flight, while we sent ours: what
		 * we sent is the likely cause, the alert is lost */
		if (c->io_errno == EPIPE || c->io_errno == ECONNRESET)
			return err_set(e, EXIT_RUNTIME, "%s: TLS: the server "
				       "closed the connection in the handshake: "
				       "%s", url, !cr->nchain ? "it probably "
				       "requires a client certificate (none "
				       "given)" : "it probably rejected the "
				       "client certificate");
		if (c->io_errno == ETIME)
			return err_set(e, EXIT_RUNTIME, "%s: TLS handshake: "
				       "not done within %lld s (the limit for "
				       "one request)", url,
				       c->plain.deadline_len / 1000);
		return err_set(e, EXIT_RUNTIME, "%s: TLS handshake: %s", url,
			       c->io_errno == ETIMEDOUT ? "timed out" :
			       c->io_errno ? strerror(c->io_errno) :
			       "connection closed");
	}
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT) {
		int certish;

		a = err - BR_ERR_RECV_FATAL_ALERT;
		certish = a == 42 || a == 43 || a == 45 || a == 46 ||
			  a == 48 || a == 116 || a == 40;
		if (certish && !cr->nchain)
			return err_set(e, EXIT_RUNTIME, "%s: TLS: the server "
				       "requires a client certificate (none "
				       "given: --tlscert/--tlskey or "
				       "DOCKER_CERT_PATH/cert.pem, key.pem; "
				       "TLS alert %d %s)", url, a,
				       alert_name(a));
		if (certish && a != 40)
			return err_set(e, EXIT_RUNTIME, "%s: TLS: the server "
				       "rejected the client certificate %s "
				       "(TLS alert %d %s)", url, cr->cert_file,
				       a, alert_name(a));
		return err_set(e, EXIT_RUNTIME, "%s: TLS: the server refused "
			       "the handshake (TLS alert %d %s)", url, a,
			       alert_name(a));
	}
	if (err == BR_ERR_BAD_CIPHER_SUITE || err == BR_ERR_BAD_VERSION ||
	    err == BR_ERR_UNSUPPORTED_VERSION)
		return err_set(e, EXIT_RUNTIME, "%s: TLS: protocol error: no "
			       "common protocol version or cipher suite (TLS "
			       "1.2 with ECDHE and AES-GCM or ChaCha20 is "
			       "needed; BearSSL error %d)", url, err);
	return err_set(e, EXIT_RUNTIME, "%s: TLS: protocol error (BearSSL "
		       "error %d)", url, err);
}

int tls_start(struct transport *t, const struct tls_creds *cr,
	      const char *host, struct err *e)
{
	struct tls_conn *c = calloc(1, sizeof(*c));
	struct in6_addr a6;
	unsigned char seed[32];
	const char *sni = host;

	if (!c) {
		t->close(t);
		return err_set(e, EXIT_RUNTIME, "out of memory");
	}
	c->plain = *t;
	c->creds = cr;
	client_init(&c->cc, &c->xc.minimal, cr->tas, cr->ntas);
	c->xc.vtable = &x509_check_vtable;
	c->xc.verify = cr->verify;
	c->xc.host = host;
	if (inet_pton(AF_INET, host, c->xc.ip) == 1) {
		c->xc.iplen = 4;
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		memcpy(c->xc.ip, &a6, 16);
		c->xc.iplen = 16;
	}
	if (c->xc.iplen)
		sni = NULL;	/* no SNI for an address; checked by SAN */
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
		int saved = errno;

		buf_free(&c->xc.cur);
		free(c);
		t->close(t);
		return err_set(e, EXIT_RUNTIME, "%s: TLS: no entropy from "
			       "getrandom: %s", t->name, strerror(saved));
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
	buf_free(&c->xc.cur);
	t->tls = c;
	t->read = tls_read;
	t->write = tls_write;
	t->close = tls_close;
	return 0;
fail:
	why(c, t->name, host, e);
	buf_free(&c->xc.cur);
	c->plain.close(&c->plain);
	explicit_bzero(c, sizeof(*c));
	free(c);
	t->fd = -1;
	return -1;
}
