/*
 * NAME
 *	test.h - the smallest assert header that reports and counts
 * DESCRIPTION
 *	CHECK(cond, fmt, ...) records a failure with file:line and carries on;
 *	TEST_DONE() prints "N passed, N failed" and returns the exit status.
 */
#ifndef MAILBAN_TEST_H
#define MAILBAN_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned test_pass, test_fail;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (cond) {                                                   \
			test_pass++;                                          \
		} else {                                                      \
			test_fail++;                                          \
			fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, \
			    #cond);                                           \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
		}                                                             \
	} while (0)

#define CHECK_STR(got, want)                                                  \
	CHECK(strcmp((got), (want)) == 0, "got \"%s\", want \"%s\"", (got),   \
	    (want))

/*
 * Seeded xorshift64: a test draws the same inputs on every run (each
 * test calls test_seed() with its own seed first).
 */
static uint64_t test_rng = 0x9e3779b97f4a7c15ULL;

static inline void
test_seed(uint64_t seed)
{
	test_rng = seed;
}

/* A number below n; 0 when n is 0. */
static inline uint32_t
rnd(uint32_t n)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return n ? (uint32_t)(test_rng % n) : 0;
}

#define TEST_DONE()                                                           \
	(printf("%u passed, %u failed\n", test_pass, test_fail),              \
	    test_fail ? 1 : 0)

#endif
