/*
 * NAME
 *	fmt - times, durations and JSON strings as text
 * DESCRIPTION
 *	See include/fmt.h.  The JSON escaper and fmt_time() were made fast
 *	for the match lines of "mailban test --json" (report.c), which call
 *	them once per matching line; the rest is plain snprintf.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fmt.h"

/* 1 for the bytes fmt_json escapes: controls, '"', '\\', DEL and non-ASCII. */
static const unsigned char json_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* One byte, escaped or not, at p; returns the end. */
static char *
put_json_byte(char *p, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	if (!json_escape[c]) {
		*p++ = (char)c;
	} else if (c == '"' || c == '\\') {
		*p++ = '\\';
		*p++ = (char)c;
	} else {
		/* bytes outside ASCII are escaped one by one: the output is
		 * valid JSON whatever the input's encoding */
		memcpy(p, "\\u00", 4);
		p[4] = hex[c >> 4];
		p[5] = hex[c & 15];
		p += 6;
	}
	return p;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * Nonzero exactly when one of the eight bytes of w is one json_escape
 * marks: below 0x20, '"', '\\', or above 0x7e (the classic "has less",
 * "has zero" and "has more" word tests; a borrow or carry between bytes
 * only ever happens next to a byte that is marked itself).
 */
static inline uint64_t
json_word_marked(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return (((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) |
	    ((b - ONES) & ~b) | (w + ONES) | w) & HIGHS;
}

/*
 * Escaped JSON string with its quotes at p, eight bytes at a time where
 * none needs escaping; returns the end.
 */
char *
fmt_json(char *p, const char *s, size_t len)
{
	const char *end = s + len;
	uint64_t w;
	int i;

	*p++ = '"';
	if (len < 8) {
		while (s < end)
			p = put_json_byte(p, (unsigned char)*s++);
		*p++ = '"';
		return p;
	}
	for (; end - s >= 8; s += 8) {
		memcpy(&w, s, 8);
		if (!json_word_marked(w)) {
			memcpy(p, &w, 8);
			p += 8;
			continue;
		}
		for (i = 0; i < 8; i++)
			p = put_json_byte(p, (unsigned char)s[i]);
	}
	if (s < end) {
		/* the last eight bytes, overlapping what is done: when none
		 * needs escaping, the overlap went out as it is, just before p */
		size_t tail = (size_t)(end - s);

		memcpy(&w, end - 8, 8);
		if (!json_word_marked(w)) {
			memcpy(p - (8 - tail), &w, 8);
			p += tail;
		} else {
			while (s < end)
				p = put_json_byte(p, (unsigned char)*s++);
		}
	}
	*p++ = '"';
	return p;
}

/* Input bytes escaped per piece: the output of one fits on the stack. */
#define JSON_PIECE 512

/*
 * fmt_json() of each piece of at most JSON_PIECE bytes, written without
 * its quotes: escaping is byte by byte, so the pieces join up.
 */
void
fmt_json_string(FILE *out, const char *text, size_t len)
{
	char buf[FMT_JSON_MAX(JSON_PIECE)];
	size_t n;

	putc('"', out);
	do {
		n = len < JSON_PIECE ? len : JSON_PIECE;
		fwrite(buf + 1, 1, (size_t)(fmt_json(buf, text, n) - buf) - 2,
		    out);
		text += n;
		len -= n;
	} while (len > 0);
	putc('"', out);
}

void
fmt_json_str(FILE *out, const char *text)
{
	fmt_json_string(out, text, strlen(text));
}

const char *
fmt_duration(char *buf, size_t len, int64_t d)
{
	static const struct {
		int64_t secs;
		char unit;
	} units[] = {{7 * SECONDS_DAY, 'w'}, {SECONDS_DAY, 'd'},
	    {SECONDS_HOUR, 'h'}, {60, 'm'}};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (d > 0 && d % units[i].secs == 0) {
			snprintf(buf, len, "%" PRId64 "%c", d / units[i].secs,
			    units[i].unit);
			return buf;
		}
	snprintf(buf, len, "%" PRId64 "s", d);
	return buf;
}

const char *
fmt_left(char *buf, size_t len, int64_t d)
{
	if (d <= 0)
		snprintf(buf, len, "0s");
	else if (d >= SECONDS_DAY)
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", d / SECONDS_DAY,
		    d % SECONDS_DAY / SECONDS_HOUR);
	else if (d >= SECONDS_HOUR)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", d / SECONDS_HOUR,
		    d % SECONDS_HOUR / 60);
	else if (d >= 60)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", d / 60, d % 60);
	else
		snprintf(buf, len, "%" PRId64 "s", d);
	return buf;
}

/* Civil date of a day count since 1970-01-01 (Howard Hinnant). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

#define YEAR10000 253402300800LL /* 10000-01-01T00:00:00Z */

/* "00" to "99" */
static const char two_digits[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

size_t
fmt_time_len(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int64_t y;
	unsigned mo, d, sec, yy;

	if (t >= 0 && t < YEAR10000 && len >= 21) {
		/* the common case, without gmtime_r, strftime or printf:
		 * "YYYY-MM-DDThh:mm:ssZ", two digits a copy */
		civil_from_days(t / SECONDS_DAY, &y, &mo, &d);
		sec = (unsigned)(t % SECONDS_DAY);
		yy = (unsigned)y;
		memcpy(buf, two_digits + 2 * (yy / 100), 2);
		memcpy(buf + 2, two_digits + 2 * (yy % 100), 2);
		buf[4] = '-';
		memcpy(buf + 5, two_digits + 2 * mo, 2);
		buf[7] = '-';
		memcpy(buf + 8, two_digits + 2 * d, 2);
		buf[10] = 'T';
		memcpy(buf + 11, two_digits + 2 * (sec / SECONDS_HOUR), 2);
		buf[13] = ':';
		memcpy(buf + 14, two_digits + 2 * (sec / 60 % 60), 2);
		buf[16] = ':';
		memcpy(buf + 17, two_digits + 2 * (sec % 60), 2);
		buf[19] = 'Z';
		buf[20] = '\0';
		return 20;
	}
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%" PRId64, t);
	return strlen(buf);
}

const char *
fmt_time(char *buf, size_t len, int64_t t)
{
	(void)fmt_time_len(buf, len, t);
	return buf;
}
