#include <errno.h>
#include <stdint.h>

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

UNIT_TESTS(T(test_parse_uint) T(test_buf) T(test_err))
