/*
 * failalloc.h - a failing allocator for unit tests of out-of-memory paths.
 *
 * The test binaries that include it are linked with -Wl,--wrap=malloc,
 * --wrap=calloc,--wrap=realloc (Makefile: FAILALLOC), so every
 * allocation of the code under test (core/, from libcore.a) and of the
 * test comes here. Nothing fails until failalloc_after(n): then the n
 * allocations that follow succeed and the next one fails, once
 * (failalloc_all: that one and every one after it). failalloc_off()
 * stops it and returns how many allocations failed, so that a call that
 * says it succeeded although one of its allocations failed is caught.
 *
 * The usual loop: for n = 0, 1, ...: failalloc_after(n), the call,
 * failalloc_off(); the call must fail with "out of memory" while it
 * failed an allocation, and leave nothing allocated (LeakSanitizer sees
 * the rest at exit); the loop ends when a call no longer reaches the
 * failing allocation.
 */
#ifndef FAILALLOC_H
#define FAILALLOC_H

#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

static long failalloc_left = -1; /* -1: never fail */
static int failalloc_sticky;
static unsigned long failalloc_failed;

static int failalloc_now(void)
{
	if (failalloc_left < 0)
		return 0;
	if (failalloc_left > 0) {
		failalloc_left--;
		return 0;
	}
	if (!failalloc_sticky)
		failalloc_left = -1;
	failalloc_failed++;
	return 1;
}

void *__wrap_malloc(size_t n)
{
	return failalloc_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
	return failalloc_now() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return failalloc_now() ? NULL : __real_realloc(p, n);
}

static __attribute__((unused)) void failalloc_after(long n)
{
	failalloc_failed = 0;
	failalloc_sticky = 0;
	failalloc_left = n;
}

static __attribute__((unused)) void failalloc_all(long n)
{
	failalloc_after(n);
	failalloc_sticky = 1;
}

static __attribute__((unused)) unsigned long failalloc_off(void)
{
	failalloc_left = -1;
	return failalloc_failed;
}

#endif
