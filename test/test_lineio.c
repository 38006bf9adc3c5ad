/* Unit tests for lineio.c: blocks, partial lines, over-long lines, NULs. */
#include <stdlib.h>
#include <unistd.h>

#include "lineio.h"
#include "test.h"

struct result {
	size_t n;
	char lines[64][64];
	size_t lens[64];
	int trunc[64];
};

/* Feed data through a pipe in chunks of chunk bytes. */
static void
feed(const char *data, size_t len, size_t chunk, size_t maxline,
    struct result *r, uint64_t *overlong)
{
	struct lineio lr;
	const char *line;
	size_t l, off = 0;
	int fds[2], t;
	enum lineio_status s;

	memset(r, 0, sizeof(*r));
	if (pipe(fds) < 0)
		abort();
	lineio_init(&lr, fds[0], maxline);
	for (;;) {
		s = lineio_next(&lr, &line, &l, &t);
		if (s == LINEIO_LINE) {
			if (r->n < 64) {
				memcpy(r->lines[r->n], line, l < 63 ? l : 63);
				r->lens[r->n] = l;
				r->trunc[r->n] = t;
				r->n++;
			}
			continue;
		}
		if (s == LINEIO_EOF)
			break;
		if (off < len) {
			size_t c = len - off < chunk ? len - off : chunk;

			if (write(fds[1], data + off, c) != (ssize_t)c)
				abort();
			off += c;
		}
		if (off >= len && fds[1] >= 0) {
			close(fds[1]);
			fds[1] = -1;
		}
		if (lineio_fill(&lr) < 0)
			abort();
	}
	*overlong = lr.overlong;
	lineio_free(&lr);
	close(fds[0]);
}

/* lines, an empty one, a last one without newline, whatever the chunks */
static void
short_lines(void)
{
	struct result r;
	uint64_t ol;
	size_t chunk;

	for (chunk = 1; chunk <= 7; chunk += 3) {
		feed("a\nbb\n\nccc", 9, chunk, 16, &r, &ol);
		CHECK(r.n == 4, "chunk %zu: %zu lines", chunk, r.n);
		CHECK_STR(r.lines[0], "a");
		CHECK_STR(r.lines[1], "bb");
		CHECK(r.lens[2] == 0, "empty line");
		CHECK_STR(r.lines[3], "ccc"); /* last line without newline */
		CHECK(ol == 0, "no overlong");
	}
}

static void
empty_input(void)
{
	struct result r;
	uint64_t ol;

	feed("", 0, 1, 16, &r, &ol);
	CHECK(r.n == 0, "empty input gives no line");
}

static void
nul_inside_a_line(void)
{
	struct result r;
	uint64_t ol;

	feed("x\0y\n", 4, 2, 16, &r, &ol);
	CHECK(r.n == 1 && r.lens[0] == 3, "NUL kept inside a line");
}

/* an over-long line: head handed out once, rest discarded */
static void
overlong_lines(void)
{
	struct result r;
	uint64_t ol;
	size_t chunk;
	char *big = malloc(100);

	if (big == NULL)
		abort();
	memset(big, 'x', 100);
	big[40] = '\n';
	memcpy(big + 41, "ok\n", 3);
	memset(big + 44, 'y', 50);
	big[94] = '\n';
	memcpy(big + 95, "end\n", 4);
	for (chunk = 1; chunk <= 100; chunk += 33) {
		feed(big, 99, chunk, 16, &r, &ol);
		CHECK(r.n == 4, "chunk %zu: %zu lines", chunk, r.n);
		CHECK(r.lens[0] == 16 && r.trunc[0], "truncated head");
		CHECK_STR(r.lines[1], "ok");
		CHECK(r.lens[2] == 16 && r.trunc[2] && r.lines[2][0] == 'y',
		    "second head");
		CHECK_STR(r.lines[3], "end");
		CHECK(ol == 2, "overlong %llu", (unsigned long long)ol);
	}
	free(big);
}

/* exactly maxline bytes is not over-long */
static void
exactly_maxline(void)
{
	struct result r;
	uint64_t ol;
	char line[17];

	memset(line, 'z', 16);
	line[16] = '\n';
	feed(line, 17, 5, 16, &r, &ol);
	CHECK(r.n == 1 && r.lens[0] == 16 && !r.trunc[0] && ol == 0, "exact");
}

static const struct test_case cases[] = {
	TEST_CASE(short_lines),
	TEST_CASE(empty_input),
	TEST_CASE(nul_inside_a_line),
	TEST_CASE(overlong_lines),
	TEST_CASE(exactly_maxline),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	return TEST_RUN(cases, argc, argv);
}
