/*
 * fmt_json() (the escaper of every JSON line of "mailban test --json",
 * eight bytes at a time since issue 6) gives exactly what the
 * byte-at-a-time escaper it replaced gave: over every single byte, every
 * escaped byte at every offset of strings of 1 to 40 bytes, and random
 * strings drawn from clean text, quotes, backslashes, controls, DEL and
 * bytes >= 0x80; it writes nothing past FMT_JSON_MAX(len), and
 * fmt_json_string() gives the same on a stream, long strings included.
 * Also the numbers of report.c's JSON match lines, against printf, and
 * fmt_time_len() against strftime.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>
#include <limits.h>
#include <time.h>

#include "fmt.h"
#include "pattern.h"
#include "report.h"
#include "test.h"

/* The escaper before issue 6, byte by byte, into buf; returns the length. */
static size_t
ref_json(char *buf, const unsigned char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;

	buf[n++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			memcpy(buf + n, "\\u00", 4);
			buf[n + 4] = hex[c >> 4];
			buf[n + 5] = hex[c & 15];
			n += 6;
		} else {
			buf[n++] = (char)c;
		}
	}
	buf[n++] = '"';
	return n;
}

static unsigned long ncases;

/*
 * The numbers of a JSON match line (line: unsigned, score: signed) at
 * every power of ten and its neighbours, against printf.
 */
static void
numbers(void)
{
	static const long scores[] = {0, 1, 9, 10, 99, 100, -1, -10, LONG_MAX,
	    LONG_MIN};
	struct pattern_set *ps = pattern_set_new();
	struct report r = {0};
	struct engine_hooks h;
	struct engine_match m;
	struct logline ll;
	const char *prog = "p";
	char err[256], want[256], *out = NULL, *at, *nl;
	size_t outlen = 0, k, i, n = 0;
	uint64_t lines[64], p10 = 1;

	for (k = 0; k < sizeof(scores) / sizeof(scores[0]); k++)
		CHECK(pattern_add(ps, "t", &prog, 1, scores[k], "^(?<ip>x)", err,
		    sizeof(err)) == 0, "%s", err);
	lines[n++] = 0;
	for (k = 0; k < 20; k++, p10 *= 10) {
		lines[n++] = p10;
		lines[n++] = p10 - 1;
		lines[n++] = p10 + 1;
	}
	lines[n++] = UINT64_MAX;
	r.out = open_memstream(&out, &outlen);
	r.json = 1;
	r.verbose = 1; /* score 0 too, as the event "record" */
	h = report_hooks(&r);
	memset(&ll, 0, sizeof(ll));
	ll.prog = ll.host = ll.msg = "p";
	ll.proglen = 1;
	for (i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		m.line = lines[i];
		m.ll = &ll;
		m.pat = pattern_get(ps, i % pattern_count(ps));
		h.on_match(h.ctx, &m);
	}
	report_flush(&r);
	report_free(&r);
	fclose(r.out);
	at = out;
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "{\"event\":\"%s\",\"line\":%"
		    PRIu64 ",\"pattern\":\"t\",\"score\":%ld,\"program\":\"p\"}",
		    scores[i % pattern_count(ps)] == 0 ? "record" : "match",
		    lines[i], scores[i % pattern_count(ps)]);
		nl = at != NULL ? strchr(at, '\n') : NULL;
		CHECK(nl != NULL && (size_t)(nl - at) == strlen(want) &&
		    memcmp(at, want, strlen(want)) == 0, "got %.*s, want %s",
		    nl != NULL ? (int)(nl - at) : 0, at != NULL ? at : "", want);
		at = nl != NULL ? nl + 1 : NULL;
	}
	free(out);
	pattern_set_free(ps);
}

#define LONGEST 4096 /* longest string checked */

/* fmt_json() into a buffer (nothing written past FMT_JSON_MAX(len)) and
 * fmt_json_string() on a stream, each against ref_json(). */
static void
check(const unsigned char *s, size_t len)
{
	static char want[FMT_JSON_MAX(LONGEST)], buf[FMT_JSON_MAX(LONGEST) + 16];
	char *got = NULL, *end;
	size_t glen = 0, wlen = ref_json(want, s, len), i;
	FILE *f = open_memstream(&got, &glen);

	if (f == NULL) {
		perror("open_memstream");
		exit(1);
	}
	fmt_json_string(f, (const char *)s, len);
	fclose(f);
	ncases++;
	if (glen != wlen || memcmp(got, want, wlen) != 0)
		CHECK(0, "stream, len %zu: got %.*s, want %.*s", len, (int)glen,
		    got, (int)wlen, want);
	free(got);
	memset(buf, 0xa5, FMT_JSON_MAX(len) + 16);
	end = fmt_json(buf, (const char *)s, len);
	if ((size_t)(end - buf) != wlen || memcmp(buf, want, wlen) != 0)
		CHECK(0, "buffer, len %zu: got %.*s, want %.*s", len,
		    (int)(end - buf), buf, (int)wlen, want);
	for (i = FMT_JSON_MAX(len); i < FMT_JSON_MAX(len) + 16; i++)
		if ((unsigned char)buf[i] != 0xa5) {
			CHECK(0, "len %zu: byte %zu written, past %zu", len, i,
			    FMT_JSON_MAX(len));
			break;
		}
}

static const unsigned char marked[] = {'"', '\\', 0x00, 0x01, 0x1f, 0x7f,
    0x80, 0xc3, 0xff};

/* Every byte, alone and inside words. */
static void
every_byte(void)
{
	unsigned char s[24];
	size_t len, i;
	unsigned c;

	for (c = 0; c < 256; c++) {
		s[0] = (unsigned char)c;
		check(s, 1);
		for (len = 2; len <= 24; len++) {
			for (i = 0; i < len; i++) {
				memset(s, 'x', len);
				s[i] = (unsigned char)c;
				check(s, len);
			}
		}
	}
}

/* Clean bytes next to the marked. */
static void
next_to_marked(void)
{
	static const unsigned char edges[] = {' ', '!', '#', '[', ']', '~', 'a',
	    '0'};
	unsigned char s[40];
	size_t len, i, k;

	for (len = 1; len <= 40; len++)
		for (k = 0; k < sizeof(edges); k++)
			for (i = 0; i < sizeof(marked); i++) {
				memset(s, edges[k], len);
				s[len / 2] = marked[i];
				s[len - 1] = marked[(i + 1) % sizeof(marked)];
				check(s, len);
			}
}

static void
random_strings(void)
{
	unsigned char s[48];
	size_t len, i, k;
	unsigned long before = ncases;

	srand(6);
	for (k = 0; k < 200000; k++) {
		len = (size_t)rand() % 48;
		for (i = 0; i < len; i++) {
			int r = rand() % 16;

			s[i] = r < 10 ? (unsigned char)(' ' + rand() % 95) :
			    r < 14 ? marked[rand() % sizeof(marked)] :
			    (unsigned char)(rand() % 256);
		}
		check(s, len);
	}
	CHECK(ncases - before == 200000, "%lu cases", ncases - before);
}

/*
 * Long runs with nothing to escape, then one; and strings longer than
 * the pieces fmt_json_string() escapes one at a time, with escapes on
 * and around every piece boundary (pieces of 512 bytes).
 */
static void
long_strings(void)
{
	static unsigned char s[LONGEST];
	size_t len, at, i;

	len = 256;
	memset(s, 'a', len);
	check(s, len);
	s[len - 1] = '"';
	check(s, len);
	for (len = 500; len <= 1100; len += 1) {
		memset(s, 'b', len);
		check(s, len);
	}
	for (at = 500; at < 530; at++)
		for (i = 0; i < sizeof(marked); i++) {
			memset(s, 'c', 1100);
			s[at] = marked[i];
			s[1100 - (at - 499)] = marked[(i + 3) % sizeof(marked)];
			check(s, 1100);
		}
	for (i = 0; i < LONGEST; i++)
		s[i] = (unsigned char)(i * 7);
	check(s, LONGEST);
}

/*
 * fmt_time_len() (the time of every JSON line, two digits a copy) against
 * gmtime_r and strftime: every day's first and last second from 1970 to
 * 2100, random seconds up to the year 10000, the edges, and the times it
 * leaves to strftime (before 1970, from 10000 on); the length returned is
 * the text's.
 */
static void
times(void)
{
	static const int64_t edge[] = {0, 1, 59, 60, 3599, 3600, 86399, 86400,
	    951782400, 951868800, 4107542400LL, 253402300799LL,
	    253402300800LL, 253402300801LL, -1, -86400, -86401};
	char got[64], want[64];
	int64_t t;
	size_t i, n;
	struct tm tm;
	time_t tt;

	srand(17);
	for (i = 0; i < 47482 * 2 + 20000 + sizeof(edge) / sizeof(edge[0]);
	    i++) {
		if (i < 47482 * 2) /* 1970-01-01 to 2099-12-31 */
			t = (int64_t)(i / 2) * 86400 + (i % 2 ? 86399 : 0);
		else if (i < 47482 * 2 + 20000)
			t = ((int64_t)rand() << 31 ^ rand()) % 253402300800LL;
		else
			t = edge[i - 47482 * 2 - 20000];
		n = fmt_time_len(got, sizeof(got), t);
		tt = (time_t)t;
		if (gmtime_r(&tt, &tm) == NULL ||
		    strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(want, sizeof(want), "%" PRId64, t);
		if (strcmp(got, want) != 0 || n != strlen(want))
			CHECK(0, "%" PRId64 ": %s (%zu), want %s", t, got, n, want);
		CHECK_STR(fmt_time(got, sizeof(got), t), want);
	}
}

static const struct test_case cases[] = {
	TEST_CASE(every_byte),
	TEST_CASE(next_to_marked),
	TEST_CASE(random_strings),
	TEST_CASE(long_strings),
	TEST_CASE(numbers),
	TEST_CASE(times),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	return TEST_RUN(cases, argc, argv);
}
