/*
 * fuzz_x509.c - the checks docker-fw makes itself of a server's
 * certificate (untrusted input), on arbitrary bytes copied to an
 * exact-size heap block so ASan sees any read past the end:
 * tls_cert_has_ip (a match must be the address's bytes behind the [7]
 * tag), tls_cert_has_dns (a match must hold the host's name but its first
 * label, in any case), tls_cert_san_count and tls_cert_server_eku (-1, 0
 * or 1; 0 only when the extension's OID is in the input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfw/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define need(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

/* Whether an iPAddress entry holding v4 (4 bytes, or its IPv4-mapped
 * IPv6 form) is in p. */
static int has(const unsigned char *p, size_t n, const unsigned char *v4,
	       size_t len)
{
	unsigned char a[6] = { 0x87, 4 }, b[18] = { 0x87, 16 };

	memcpy(a + 2, v4, len);
	b[12] = b[13] = 0xff;
	memcpy(b + 14, v4, len);
	return memmem(p, n, a, 6) || memmem(p, n, b, 18);
}

static int has_nocase(const unsigned char *p, size_t n, const char *s)
{
	size_t k = strlen(s), i, j;

	for (i = 0; i + k <= n; i++) {
		for (j = 0; j < k; j++) {
			int c = p[i + j];

			if (c >= 'A' && c <= 'Z')
				c += 32;
			if (c != s[j])
				break;
		}
		if (j == k)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char eku_oid[] = { 0x06, 0x03, 0x55, 0x1d, 0x25 };
	static const unsigned char v4[] = { 127, 0, 0, 1 },
				   v4b[] = { 10, 1, 2, 3 };
	static const unsigned char v6[16] = { [15] = 1 };
	static const unsigned char tag6[] = { 0x87, 16 };
	unsigned char *p = malloc(size ? size : 1), pat[18];
	int r;

	need(p);
	if (size)
		memcpy(p, data, size);
	r = tls_cert_has_ip(p, size, v4, 4);
	need(r >= -1 && r <= 1);
	need(r != 1 || has(p, size, v4, 4));
	r = tls_cert_has_ip(p, size, v4b, 4);
	need(r != 1 || has(p, size, v4b, 4));
	r = tls_cert_has_ip(p, size, v6, 16);
	memcpy(pat, tag6, 2);
	memcpy(pat + 2, v6, 16);
	need(r != 1 || memmem(p, size, pat, 18));
	r = tls_cert_has_dns(p, size, "a.example.com");
	need(r >= -1 && r <= 1);
	need(r != 1 || has_nocase(p, size, "example.com"));
	r = tls_cert_san_count(p, size, 0x82);
	need(r >= -1);
	r = tls_cert_server_eku(p, size);
	need(r >= -1 && r <= 1);
	need(r != 0 || memmem(p, size, eku_oid, sizeof(eku_oid)));
	free(p);
	return 0;
}
