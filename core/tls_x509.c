/*
 * tls_x509.c - the X.509 side of TLS (tls_x509.h): a DER walker over the
 * certificate fields BearSSL does not check as Go does (subjectAltName,
 * extended key usage), and the X.509 engine of the handshake, BearSSL's
 * x509_minimal wrapped (struct tls_x509) to do what it does otherwise
 * than Go or not at all: the server's name (dNSName or iPAddress
 * subjectAltName only: BearSSL would also take the subject's CN, which
 * Go has ignored since 1.15), the extended key usage of every
 * certificate the server sends (serverAuth or anyExtendedKeyUsage when
 * the extension is there: BearSSL never looks), and the unchecked mode
 * of --tls without --tlsverify.
 */
#include <arpa/inet.h>
#include <string.h>

#include "dfw/tls_x509.h"

/* ---- the DER walker ---------------------------------------------------- */

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
		return -1; /* high tag numbers: not in certificates */
	n = *q++;
	if (n & 0x80) {
		k = n & 0x7f;
		if (!k || k > 4 || (size_t)(end - q) < k || !*q)
			return -1;
		for (n = 0; k--;)
			n = n << 8 | *q++;
		if (n < 0x80)
			return -1; /* DER: the shortest form only */
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
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0,    0,
						  0, 0, 0, 0, 0xff, 0xff };

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
		return -1; /* Certificate */
	p = b;
	end = b + n;
	if (der_next(&p, end, &tag, &tbs, &n) || tag != 0x30)
		return -1; /* TBSCertificate */
	p = tbs;
	tend = tbs + n;
	while (p < tend) {
		const unsigned char *exts, *eend;

		if (der_next(&p, tend, &tag, &b, &n))
			return -1;
		if (tag != 0xa3) /* [3] extensions */
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
				return -1; /* Extension */
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
		    int (*each)(void *ctx, unsigned tag, const unsigned char *b,
				size_t n),
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
	for (x = f, xend = f + fn; x < xend;) {
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

	return tag == 0x87 && same_ip(b, n, w->ip, w->len); /* [7] */
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
static int dns_each(void *ctx, unsigned tag, const unsigned char *b, size_t n)
{
	const char *host = ctx;
	size_t hn = strlen(host), k;

	if (tag != 0x82) /* [2] dNSName (IA5String) */
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

static int count_each(void *ctx, unsigned tag, const unsigned char *b, size_t n)
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
	static const unsigned char server_auth[] = { 0x2b, 0x06, 0x01, 0x05,
						     0x05, 0x07, 0x03, 0x01 };
	static const unsigned char any_eku[] = { 0x55, 0x1d, 0x25, 0x00 };
	const unsigned char *v, *f, *x, *xend;
	size_t vn, fn;
	unsigned tag;
	int r = cert_ext(der, len, eku_oid, sizeof(eku_oid), &v, &vn);

	if (r <= 0)
		return r < 0 ? -1 : 1; /* no extension: any use */
	/* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
	if (der_next(&v, v + vn, &tag, &f, &fn) || tag != 0x30)
		return -1;
	r = 0;
	for (x = f, xend = f + fn; x < xend;) {
		if (der_next(&x, xend, &tag, &f, &fn) || tag != 0x06)
			return -1;
		if ((fn == sizeof(server_auth) &&
		     !memcmp(f, server_auth, fn)) ||
		    (fn == sizeof(any_eku) && !memcmp(f, any_eku, fn)))
			r = 1;
	}
	return r;
}

/* ---- the X.509 engine: BearSSL's, plus the name, EKU, unchecked mode -- */

#define XC(ctx) ((struct tls_x509 *)(void *)(ctx))

static void xc_start_chain(const br_x509_class **ctx, const char *name)
{
	struct tls_x509 *x = XC(ctx);

	x->ncert = 0;
	x->err = 0;
	x->why = TLS_X509_OK;
	/* the name is ours to check, on the SANs only */
	if (x->verify)
		x->minimal.vtable->start_chain(&x->minimal.vtable, NULL);
}

static void xc_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_x509 *x = XC(ctx);

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
	struct tls_x509 *x = XC(ctx);

	if (!x->ncert && !x->verify)
		br_x509_decoder_push(&x->dec, p, n);
	if (x->verify && !x->cur_big) {
		if (x->cur.len + n > TLS_X509_CERT_MAX)
			x->cur_big = TLS_X509_BIG;
		else if (buf_add(&x->cur, p, n))
			x->cur_big = TLS_X509_NOMEM;
	}
	if (x->verify)
		x->minimal.vtable->append(&x->minimal.vtable, p, n);
}

/* Our checks of one certificate of the chain (the first: the server's). */
static void xc_check(struct tls_x509 *x)
{
	const unsigned char *d = (const unsigned char *)x->cur.data;
	int r;

	if (x->err)
		return;
	if (x->cur_big) {
		x->why = (enum tls_x509_why)x->cur_big;
		x->err = BR_ERR_X509_LIMIT_EXCEEDED;
		return;
	}
	r = tls_cert_server_eku(d, x->cur.len);
	if (r != 1) {
		x->why = r < 0	  ? TLS_X509_BAD :
			 x->ncert ? TLS_X509_EKU_CA :
				    TLS_X509_EKU_EE;
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
	if (r < 0)
		x->why = TLS_X509_BAD;
	else if (tls_cert_san_count(d, x->cur.len, x->iplen ? 0x87 : 0x82))
		x->why = TLS_X509_NAME;
	else
		x->why = x->iplen ? TLS_X509_NO_IP_SAN : TLS_X509_NO_DNS_SAN;
}

static void xc_end_cert(const br_x509_class **ctx)
{
	struct tls_x509 *x = XC(ctx);

	if (x->verify)
		xc_check(x);
	x->ncert++;
	if (x->verify)
		x->minimal.vtable->end_cert(&x->minimal.vtable);
}

static unsigned xc_end_chain(const br_x509_class **ctx)
{
	struct tls_x509 *x = XC(ctx);
	unsigned r;

	if (!x->verify) {
		if (!x->ncert)
			return BR_ERR_X509_EMPTY_CHAIN;
		return br_x509_decoder_get_pkey(&x->dec) ?
			       0 :
			       (unsigned)br_x509_decoder_last_error(&x->dec);
	}
	/* the chain's own faults (untrusted, expired) come first */
	r = x->minimal.vtable->end_chain(&x->minimal.vtable);
	if (r) {
		x->why = TLS_X509_OK;
		return r;
	}
	return x->err;
}

static const br_x509_pkey *xc_get_pkey(const br_x509_class *const *ctx,
				       unsigned *usages)
{
	struct tls_x509 *x = XC(ctx);

	if (x->verify) {
		if (x->err)
			return NULL;
		return x->minimal.vtable->get_pkey(&x->minimal.vtable, usages);
	}
	if (usages)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&x->dec);
}

static const br_x509_class tls_x509_vtable = {
	sizeof(struct tls_x509),
	xc_start_chain,
	xc_start_cert,
	xc_append,
	xc_end_cert,
	xc_end_chain,
	xc_get_pkey,
};

int tls_x509_init(struct tls_x509 *x, int verify, const char *host)
{
	struct in6_addr a6;

	x->vtable = &tls_x509_vtable;
	x->verify = verify;
	x->host = host;
	x->iplen = 0;
	if (inet_pton(AF_INET, host, x->ip) == 1) {
		x->iplen = 4;
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		memcpy(x->ip, &a6, 16);
		x->iplen = 16;
	}
	return x->iplen != 0;
}

void tls_x509_done(struct tls_x509 *x)
{
	buf_free(&x->cur);
}
