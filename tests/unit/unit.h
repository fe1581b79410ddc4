/*
 * unit.h - a table of named test functions and a check() macro.
 *
 *	static void test_x(void) { check(1 + 1 == 2); }
 *	UNIT_TESTS(T(test_x))
 *
 * Prints "PASS name" / "FAIL name" per test, each failed check with its
 * file:line, and a closing "N passed, N failed" line; exits 1 on failure.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed_checks;

#define check(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond); \
			unit_failed_checks++; \
		} \
	} while (0)

#define check_str(got, want) \
	do { \
		const char *g_ = (got), *w_ = (want); \
		if (!g_ || strcmp(g_, w_)) { \
			fprintf(stderr, \
				"%s:%d: check failed: %s\n  got:  \"%s\"\n" \
				"  want: \"%s\"\n", \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)", \
				w_); \
			unit_failed_checks++; \
		} \
	} while (0)

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#define T(f) { #f, f },
#define UNIT_TESTS(...) \
	static const struct unit_test unit_tests[] = { __VA_ARGS__ }; \
	int main(int argc, char **argv) \
	{ \
		size_t i, n = sizeof(unit_tests) / sizeof(unit_tests[0]); \
		int pass = 0, fail = 0; \
		for (i = 0; i < n; i++) { \
			int before = unit_failed_checks; \
			if (argc > 1 && strcmp(argv[1], unit_tests[i].name)) \
				continue; \
			unit_tests[i].fn(); \
			if (unit_failed_checks == before) { \
				printf("PASS %s\n", unit_tests[i].name); \
				pass++; \
			} else { \
				printf("FAIL %s\n", unit_tests[i].name); \
				fail++; \
			} \
			fflush(stdout); \
		} \
		printf("%d passed, %d failed\n", pass, fail); \
		return fail ? 1 : 0; \
	}

#endif
