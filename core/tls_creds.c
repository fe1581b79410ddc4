/*
 * tls_creds.c - the credentials of a TLS connection (tls.h, struct
 * tls_creds): the CA file's certificates as BearSSL trust anchors, the
 * client's chain and its private key, read from PEM files and checked
 * against each other before any connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfw/tls.h"

#define PEM_MAX (1 << 20) /* a PEM file larger than this is refused */
#define RSA_MAX_BITS 4096 /* BearSSL's BR_MAX_RSA_SIZE (src/inner.h) */

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
		return err_set(e, EXIT_USAGE,
			       "TLS: %s: larger than %d bytes: "
			       "not a PEM file",
			       path, PEM_MAX);
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
				rc = err_set(e, EXIT_RUNTIME,
					     "TLS: %s: out of "
					     "memory",
					     path);
				break;
			}
			{
				struct der d = { (unsigned char *)obj.b.data,
						 obj.b.len };

				rc = each(ctx, name, &d, e);
			}
			break;
		case BR_PEM_ERROR:
			rc = err_set(
				e, EXIT_USAGE, "TLS: %s: %s", path,
				memmem(file.data, file.len,
				       "Proc-Type: "
				       "4,ENCRYPTED",
				       22) ?
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
		rc = err_set(e, EXIT_USAGE,
			     "TLS: %s: a PEM object is not "
			     "finished (no END line)",
			     path);
	else if (!rc && !objs)
		rc = err_set(e, EXIT_USAGE,
			     "TLS: %s: not a PEM file (no "
			     "BEGIN line)",
			     path);
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

static int cert_each(void *ctx, const char *name, struct der *d, struct err *e)
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
		return err_set(e, EXIT_RUNTIME, "TLS: %s: out of memory", path);
	}
	if (!pk) {
		buf_free(&dn.b);
		return err_set(e, EXIT_USAGE,
			       "TLS: %s: a certificate "
			       "BearSSL cannot decode (error %d)",
			       path, br_x509_decoder_last_error(&dc));
	}
	ta->dn.data = (unsigned char *)dn.b.data;
	ta->dn.len = dn.b.len;
	if (!ta->dn.data) {
		ta->dn.data = malloc(1); /* an empty DN: ta_free frees */
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
		return err_set(e, EXIT_USAGE,
			       "TLS: %s: a CA key that is "
			       "neither RSA nor EC",
			       path);
	}
	ta_free(ta);
	return err_set(e, EXIT_RUNTIME, "out of memory");
}

struct keyfile {
	const char *path;
	br_skey_decoder_context *dc;
	int found;
};

static int key_each(void *ctx, const char *name, struct der *d, struct err *e)
{
	struct keyfile *k = ctx;

	if (!strcmp(name, "ENCRYPTED PRIVATE KEY") || strstr(name, "ENCRYPTED"))
		return err_set(e, EXIT_USAGE,
			       "TLS: %s: an encrypted key "
			       "(docker-fw reads unencrypted keys only)",
			       k->path);
	if (strcmp(name, "PRIVATE KEY") && strcmp(name, "RSA PRIVATE KEY") &&
	    strcmp(name, "EC PRIVATE KEY"))
		return 0;
	if (k->found++)
		return err_set(e, EXIT_USAGE,
			       "TLS: %s: more than one private "
			       "key in it",
			       k->path);
	br_skey_decoder_init(k->dc);
	br_skey_decoder_push(k->dc, d->data, d->len);
	if (br_skey_decoder_last_error(k->dc) == BR_ERR_X509_LIMIT_EXCEEDED)
		return err_set(e, EXIT_USAGE,
			       "TLS: %s: a key too large for "
			       "BearSSL (RSA keys up to %d bits)",
			       k->path, RSA_MAX_BITS);
	if (br_skey_decoder_last_error(k->dc))
		return err_set(e, EXIT_USAGE,
			       "TLS: %s: a %s that is not an "
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
		return err_set(e, EXIT_USAGE,
			       "TLS: %s: a certificate BearSSL "
			       "cannot decode (error %d)",
			       c->cert_file, br_x509_decoder_last_error(&dc));
	if (pk->key_type != c->key_type) {
		ok = 0;
	} else if (c->key_type == BR_KEYTYPE_RSA) {
		/* sign with the key, verify with the certificate's: works for
		 * every size BearSSL handles (its compute_modulus does not
		 * reach 4096 bits) */
		static const unsigned char sha256_oid[] = { 0x09, 0x60, 0x86,
							    0x48, 0x01, 0x65,
							    0x03, 0x04, 0x02,
							    0x01 };
		const br_rsa_private_key *sk = br_skey_decoder_get_rsa(&c->key);
		br_rsa_public_key pub = {
			pk->key.rsa.n,
			pk->key.rsa.nlen,
			pk->key.rsa.e,
			pk->key.rsa.elen,
		};
		unsigned char hash[32], back[32], sig[RSA_MAX_BITS / 8];
		size_t slen = (sk->n_bitlen + 7) / 8;

		if (sk->n_bitlen > RSA_MAX_BITS || slen < 64)
			return err_set(e, EXIT_USAGE,
				       "TLS: %s: an RSA key of "
				       "%u bits (BearSSL takes 512 to %d)",
				       key_file, (unsigned)sk->n_bitlen,
				       RSA_MAX_BITS);
		memset(hash, 0x5a, sizeof(hash));
		ok = br_rsa_pkcs1_sign_get_default()(sha256_oid, hash,
						     sizeof(hash), sk, sig) &&
		     br_rsa_pkcs1_vrfy_get_default()(sig, slen, sha256_oid,
						     sizeof(back), &pub,
						     back) &&
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
		return err_set(e, EXIT_USAGE,
			       "TLS: the key in %s does not "
			       "match the certificate in %s",
			       key_file, c->cert_file);
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
			err_set(e, EXIT_USAGE,
				"TLS: --tlsverify needs a CA "
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
			err_set(e, EXIT_USAGE,
				"TLS: %s: no private key in it "
				"(PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE "
				"KEY)",
				key);
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
