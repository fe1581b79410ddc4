#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "dfw/util.h"
#include "unit.h"

static void test_parse_uint(void)
{
	uint64_t v;

	check(parse_uint("0", 0, 10, &v) == 0 && v == 0);
	check(parse_uint("65535", 1, 65535, &v) == 0 && v == 65535);
	check(parse_uint("65536", 1, 65535, &v) == -1 && errno == ERANGE);
	check(parse_uint("0", 1, 65535, &v) == -1 && errno == ERANGE);
	check(parse_uint("8o", 1, 65535, &v) == -1 && errno == EINVAL);
	check(parse_uint("", 1, 65535, &v) == -1 && errno == EINVAL);
	check(parse_uint("-1", 0, 65535, &v) == -1 && errno == EINVAL);
	check(parse_uint("+1", 0, 65535, &v) == -1 && errno == EINVAL);
	check(parse_uint("01", 0, 65535, &v) == -1 && errno == EINVAL);
	check(parse_uint(" 1", 0, 65535, &v) == -1 && errno == EINVAL);
	check(parse_uint("18446744073709551615", 0, UINT64_MAX, &v) == 0 &&
	      v == UINT64_MAX);
	check(parse_uint("18446744073709551616", 0, UINT64_MAX, &v) == -1 &&
	      errno == ERANGE);
}

static void test_buf(void)
{
	struct buf b = { 0 };
	int i;

	check(buf_adds(&b, "") == 0 && b.len == 0 && b.data[0] == 0);
	for (i = 0; i < 1000; i++)
		check(buf_printf(&b, "%d,", i) == 0);
	check(b.len == strlen(b.data));
	check(!strncmp(b.data, "0,1,2,", 6));
	check(!strcmp(b.data + b.len - 4, "999,"));
	check(buf_reserve(&b, SIZE_MAX) == -1 && errno == EOVERFLOW);
	buf_free(&b);
	check(b.data == NULL && b.len == 0);
}

static void test_err(void)
{
	struct err e;

	check(err_set(&e, EXIT_USAGE, "bad port \"%s\"", "8o") == -1);
	check(e.code == EXIT_USAGE);
	check_str(e.msg, "bad port \"8o\"");
	check(err_wrap(&e, "line %d", 57) == -1);
	check_str(e.msg, "line 57: bad port \"8o\"");
	check(err_set(NULL, EXIT_USAGE, "x") == -1);
}

/* fd_read_all: to the end, bounded while it reads; an endless input
 * stops at max + 1 bytes. */
static void test_read_all(void)
{
	struct buf b = { 0 };
	int fd[2];

	check(pipe(fd) == 0);
	check(write(fd[1], "hello", 5) == 5);
	close(fd[1]);
	check(fd_read_all(fd[0], &b, 5) == 0 && b.len == 5);
	check_str(b.data, "hello");
	close(fd[0]);
	buf_free(&b);
	/* empty: data set, "" */
	check(pipe(fd) == 0);
	close(fd[1]);
	check(fd_read_all(fd[0], &b, 5) == 0 && b.data && !b.len);
	close(fd[0]);
	buf_free(&b);
	/* over the cap: EFBIG after max + 1 bytes */
	check(pipe(fd) == 0);
	check(write(fd[1], "0123456789", 10) == 10);
	close(fd[1]);
	errno = 0;
	check(fd_read_all(fd[0], &b, 4) == -1 && errno == EFBIG);
	check(b.len == 5);
	close(fd[0]);
	buf_free(&b);
	/* /dev/zero never ends: the cap ends it */
	fd[0] = open("/dev/zero", O_RDONLY);
	check(fd[0] >= 0);
	check(fd_read_all(fd[0], &b, 100000) == -1 && errno == EFBIG);
	check(b.len == 100001);
	close(fd[0]);
	buf_free(&b);
}

static void test_strv(void)
{
	struct strv s = { 0 };
	char big[1000];

	check(strv_add(&s, "abc", 2) == 0 && s.n == 1);
	check_str(s.v[0], "ab");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	check(strv_addf(&s, "%s=%d", "n", 5) == 0);
	check_str(s.v[1], "n=5");
	check(strv_addf(&s, "%s", big) == 0);
	check(strlen(s.v[2]) == STRV_LINE_MAX);
	strv_free(&s);
	check(!s.v && !s.n);
}

/* hash64 (the replay's stamp): equal bytes, equal digests; a change of
 * any one bit at any place of inputs of 0..80 bytes, or of the length,
 * or of the seed, changes it; a digest in parts chains by its seed. */
static void test_hash64(void)
{
	unsigned char a[80];
	uint64_t seen[81], h, one;
	size_t n, i, k, bad = 0;

	for (i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)(i * 37 + 11);
	for (n = 0; n <= sizeof(a); n++) {
		seen[n] = hash64(a, n, 0);
		check(hash64(a, n, 0) == seen[n]);
		check(hash64(a, n, 1) != seen[n]);
		for (k = 0; k < n; k++) /* an extra 0 byte is another length */
			if (seen[k] == seen[n])
				bad++;
		for (i = 0; i < n * 8; i++) {
			a[i / 8] ^= (unsigned char)(1u << i % 8);
			if (hash64(a, n, 0) == seen[n])
				bad++;
			a[i / 8] ^= (unsigned char)(1u << i % 8);
		}
	}
	check(bad == 0);
	memset(a, 0, sizeof(a));
	check(hash64(a, 16, 0) != hash64(a, 17, 0));
	check(hash64(a, 0, 0) != hash64(a, 0, 2));
	/* a block whose first word is one of the mixing constants still
	 * counts its second word (the first version lost it) */
	{
		uint64_t w[2] = { 0xa0761d6478bd642full, 1 };
		uint64_t d1 = hash64(w, 16, 0), d2;

		w[1] = 2;
		d2 = hash64(w, 16, 0);
		check(d1 != d2);
	}
	/* parts: the same parts give the same digest, others another */
	h = hash64(a, 10, hash64("abc", 3, 0));
	one = hash64(a, 10, hash64("abd", 3, 0));
	check(h == hash64(a, 10, hash64("abc", 3, 0)) && h != one);
}

UNIT_TESTS(T(test_parse_uint) T(test_buf) T(test_err) T(test_read_all)
		   T(test_strv) T(test_hash64))
