/*
 * NAME
 *	test.h - the smallest assert header that reports and counts
 * DESCRIPTION
 *	CHECK(cond, fmt, ...) records a failure with file:line and carries on;
 *	TEST_DONE() prints "N passed, N failed" and returns the exit status.
 */
#ifndef MAILBAN_TEST_H
#define MAILBAN_TEST_H

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

#define TEST_DONE()                                                           \
	(printf("%u passed, %u failed\n", test_pass, test_fail),              \
	    test_fail ? 1 : 0)

#endif
