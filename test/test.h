/*
 * NAME
 *	test.h - the smallest assert header that reports and counts
 * DESCRIPTION
 *	CHECK(cond, fmt, ...) records a failure with file:line and carries on;
 *	TEST_DONE() prints "N passed, N failed" and returns the exit status.
 *
 *	Named cases: a test is a table of TEST_CASE(fn) entries run by
 *	TEST_RUN(table, argc, argv), each fn a static void function.  A
 *	failure names its case ("case NAME: file:line: FAIL ..."), each case
 *	prints "ok NAME" or "not ok NAME (N failed)", and arguments that are
 *	case names run only those cases:
 *
 *	    static void empty_table(void) { CHECK(...); }
 *	    static const struct test_case cases[] = {
 *	        TEST_CASE(empty_table), TEST_CASE(eviction), {NULL, NULL}};
 *	    int main(int argc, char **argv) { return TEST_RUN(cases, argc, argv); }
 */
#ifndef MAILBAN_TEST_H
#define MAILBAN_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned test_pass, test_fail;
static const char *test_case_name; /* the case running, or NULL */

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (cond) {                                                   \
			test_pass++;                                          \
		} else {                                                      \
			test_fail++;                                          \
			if (test_case_name != NULL)                           \
				fprintf(stderr, "case %s: ", test_case_name); \
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

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST_CASE(fn) {#fn, fn}

/* Run the cases (only those named in argv[1..], when any are), then
 * TEST_DONE(); an argument that names no case is a failure. */
static inline int
test_run(const struct test_case *cases, int argc, char **argv)
{
	const struct test_case *c;
	unsigned before;
	int i, want, found;

	for (i = 1; i < argc; i++) {
		for (found = 0, c = cases; c->name != NULL; c++)
			found |= strcmp(c->name, argv[i]) == 0;
		if (!found) {
			fprintf(stderr, "no case named %s\n", argv[i]);
			test_fail++;
		}
	}
	for (c = cases; c->name != NULL; c++) {
		for (want = argc < 2, i = 1; i < argc; i++)
			want |= strcmp(c->name, argv[i]) == 0;
		if (!want)
			continue;
		test_case_name = c->name;
		before = test_fail;
		c->fn();
		if (test_fail == before)
			printf("ok %s\n", c->name);
		else
			printf("not ok %s (%u failed)\n", c->name, test_fail - before);
		test_case_name = NULL;
	}
	return 0;
}

#define TEST_RUN(cases, argc, argv)                                           \
	(test_run((cases), (argc), (argv)), TEST_DONE())

#define TEST_DONE()                                                           \
	(printf("%u passed, %u failed\n", test_pass, test_fail),              \
	    test_fail ? 1 : 0)

#endif
