/*
 * prefix_parse_lazy() + prefix_time() give exactly what prefix_parse()
 * gives (issue 6: the time of a line is only worked out when a pattern
 * matched): test_prefix_lazy FILE|DIR...
 *
 * Every line of the files (the .txt and .log files of a directory; "< "
 * corpus lines lose their marker), thousands of generated stamps of every
 * shape, and seeded random mutations of all of them, each under several
 * clocks (mid-year, just after New Year, a leap year's February), with
 * the clock's hour cache shared across lines as in the engine: the same
 * return, the same fields, the same time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prefix.h"
#include "test.h"

#define MAXLINE 4096

#include "corpus.h"
#define MUTATIONS 30

static const int64_t clocks[] = {
	1795780800LL, /* 2026-11-27 12:00:00 UTC */
	1798761600LL, /* 2027-01-01 00:00:00 UTC: year-less stamps of December */
	1709164800LL, /* 2024-02-29 00:00:00 UTC: a leap day */
	1740787200LL, /* 2025-03-01 00:00:00 UTC: Feb 29 the year before? */
};
#define NCLOCKS (sizeof(clocks) / sizeof(clocks[0]))

static struct prefix_clock eager[NCLOCKS], lazy[NCLOCKS];
static unsigned long compared, stamped;

static void
compare(const char *line, size_t len)
{
	struct logline a, b;
	size_t k;
	int ra, rb;

	for (k = 0; k < NCLOCKS; k++) {
		ra = prefix_parse(&eager[k], line, len, &a);
		rb = prefix_parse_lazy(&lazy[k], line, len, &b);
		compared++;
		if (ra != rb) {
			CHECK(0, "clock %zu: prefix_parse %d, lazy %d: %.*s", k, ra,
			    rb, (int)len, line);
			continue;
		}
		if (ra < 0)
			continue;
		prefix_time(&lazy[k], &b);
		prefix_time(&lazy[k], &b); /* a second call changes nothing */
		if (a.has_ts)
			stamped++;
		if (a.ts != b.ts || a.has_ts != b.has_ts || a.host != b.host ||
		    a.hostlen != b.hostlen || a.prog != b.prog ||
		    a.proglen != b.proglen || a.msg != b.msg || a.msglen != b.msglen)
			CHECK(0, "clock %zu: ts %lld/%lld has_ts %d/%d fields differ: "
			    "%.*s", k, (long long)a.ts, (long long)b.ts, a.has_ts,
			    b.has_ts, (int)len, line);
	}
}

static uint64_t rng = 0x853c49e6748fea9bULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

/* Stamps of every shape, valid and near-valid fields, any year. */
static void
generate(struct corpus *c)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Nox", "jan"};
	static const char exim_tail[] = " exim4[9]: 2026-11-27 01:05:46 [77] m";
	static const char *const tail[] = {" mx1 sendmail[12]: msg",
	    " postfix/smtpd[3]: x", " host prog msg", exim_tail, " [123] msg",
	    " [12/3] m", " h t:"};
	char b[256];
	int i, y, mo, d, h, mi, s;

	for (i = 0; i < 40000; i++) {
		y = rnd(10) == 0 ? 1960 + (int)rnd(100) : 2023 + (int)rnd(6);
		mo = 1 + (int)rnd(rnd(10) == 0 ? 14 : 12);
		d = 1 + (int)rnd(rnd(10) == 0 ? 32 : 31);
		h = (int)rnd(rnd(10) == 0 ? 25 : 24);
		mi = (int)rnd(60);
		s = (int)rnd(rnd(10) == 0 ? 62 : 60);
		switch (rnd(6)) {
		case 0:
			snprintf(b, sizeof(b), "%s %2d %02d:%02d:%02d%s",
			    mon[mo - 1 < 14 ? mo - 1 : 0], d, h, mi, s,
			    tail[rnd(7)]);
			break;
		case 1:
			snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d.%06u"
			    "%s%s", y, mo, d, h, mi, s, rnd(1000000),
			    rnd(3) == 0 ? "Z" : rnd(2) ? "+01:00" : "-05:30",
			    tail[rnd(7)]);
			break;
		case 2:
			snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d%s",
			    y, mo, d, h, mi, s, tail[rnd(7)]);
			break;
		case 3:
			snprintf(b, sizeof(b), "%04d-%02d-%02d %02d:%02d:%02d%s%s",
			    y, mo, d, h, mi, s, rnd(2) ? " +0100" : "",
			    tail[rnd(7)]);
			break;
		case 4:
			snprintf(b, sizeof(b), "<%u>1 %04d-%02d-%02dT%02d:%02d:%02dZ "
			    "host app 12 - - msg", rnd(200), y, mo, d, h, mi, s);
			break;
		default:
			snprintf(b, sizeof(b), "<%u>%s %d %02d:%02d:%02d%s",
			    rnd(200), mon[mo - 1 < 14 ? mo - 1 : 0], d, h, mi, s,
			    tail[rnd(7)]);
			break;
		}
		corpus_push(c, b);
	}
}

static void
mutate(char *s, size_t *len)
{
	size_t at = *len ? rnd((uint32_t)*len) : 0, n;

	switch (rnd(4)) {
	case 0:
		if (*len)
			s[at] = rnd(2) ? (char)('0' + rnd(10)) : (char)rnd(256);
		break;
	case 1:
		n = rnd(4) + 1;
		if (at + n > *len)
			n = *len - at;
		memmove(s + at, s + at + n, *len - at - n);
		*len -= n;
		break;
	case 2:
		if (*len + 1 < MAXLINE) {
			memmove(s + at + 1, s + at, *len - at);
			s[at] = " :-T0Z.+["[rnd(9)];
			(*len)++;
		}
		break;
	default:
		*len = at;
		break;
	}
}

int
main(int argc, char **argv)
{
	static char buf[MAXLINE];
	struct corpus c = {NULL, 0};
	size_t i, k, len;
	int f;

	setenv("TZ", "Europe/Berlin", 1); /* local time with DST */
	for (k = 0; k < NCLOCKS; k++) {
		prefix_clock_init(&eager[k], clocks[k]);
		prefix_clock_init(&lazy[k], clocks[k]);
	}
	for (f = 1; f < argc; f++)
		corpus_add(&c, argv[f], corpus_logs, 1);
	generate(&c);
	for (i = 0; i < c.n; i++) {
		len = strlen(c.line[i]);
		compare(c.line[i], len);
		memcpy(buf, c.line[i], len);
		for (k = 0; k < MUTATIONS; k++) {
			if (k % 5 == 0) {
				len = strlen(c.line[i]);
				memcpy(buf, c.line[i], len);
			}
			mutate(buf, &len);
			compare(buf, len);
		}
	}
	printf("%zu lines, %lu parses compared, %lu with a stamp\n", c.n,
	    compared, stamped);
	CHECK(stamped > compared / 10, "only %lu of %lu parses had a stamp",
	    stamped, compared);
	corpus_free(&c);
	return TEST_DONE();
}
