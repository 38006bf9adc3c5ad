/*
 * NAME
 *	prefix - syslog prefix parser: timestamp, host, program tag
 * DESCRIPTION
 *	See include/prefix.h.  Hand-written byte walkers, no sscanf: every
 *	field is checked against the end of the line.  Local-time conversion
 *	(mktime) is cached per hour, so a long replay pays for it once an hour.
 */
#include <string.h>
#include <time.h>

#include "prefix.h"

#define DAY 86400

/* logline.ts_kind: a stamp checked but not yet turned into a time */
#define TS_CLASSIC 1
#define TS_ISO_T 2 /* RFC 3339 */
#define TS_ISO_SPACE 3 /* Exim's "YYYY-MM-DD hh:mm:ss" */

void
prefix_clock_init(struct prefix_clock *clk, int64_t now)
{
	struct tm tm;
	time_t t = (time_t)now;
	size_t i;

	memset(clk, 0, sizeof(*clk));
	clk->now = now;
	for (i = 0; i < PREFIX_HOUR_SLOTS; i++)
		clk->hours[i].key = -1;
	clk->year = localtime_r(&t, &tm) != NULL ? tm.tm_year + 1900 : 1970;
}

static int
digits(const char *p, const char *end, int n, int *out)
{
	int v = 0, i;

	if (end - p < n)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
valid_date(int y, int mon, int day, int h, int mi, int s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return y >= 1970 && y <= 9999 && mon >= 1 && mon <= 12 && day >= 1 &&
	    day <= mdays[mon - 1] && h <= 23 && mi <= 59 && s <= 60;
}

/* Local time of (y, mon, day, h) via mktime, cached per hour. */
static int64_t
local_hour(struct prefix_clock *clk, int y, int mon, int day, int h)
{
	int32_t key = ((y * 13 + mon) * 32 + day) * 24 + h;
	/* Fibonacci hashing: the two years of one stamp get apart slots */
	uint32_t slot = ((uint32_t)key * 2654435761u) >> 29;
	struct tm tm;
	time_t t;

	if (clk->hours[slot].key == key)
		return clk->hours[slot].base;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		t = (time_t)(days_from_civil(y, mon, day) * DAY + h * 3600);
	clk->hours[slot].key = key;
	clk->hours[slot].base = (int64_t)t;
	return (int64_t)t;
}

#define MON3(a, b, c) ((unsigned)(a) << 16 | (unsigned)(b) << 8 | (unsigned)(c))

static int
month_of(const char *p)
{
	switch (MON3((unsigned char)p[0], (unsigned char)p[1],
	    (unsigned char)p[2])) {
	case MON3('J', 'a', 'n'): return 1;
	case MON3('F', 'e', 'b'): return 2;
	case MON3('M', 'a', 'r'): return 3;
	case MON3('A', 'p', 'r'): return 4;
	case MON3('M', 'a', 'y'): return 5;
	case MON3('J', 'u', 'n'): return 6;
	case MON3('J', 'u', 'l'): return 7;
	case MON3('A', 'u', 'g'): return 8;
	case MON3('S', 'e', 'p'): return 9;
	case MON3('O', 'c', 't'): return 10;
	case MON3('N', 'o', 'v'): return 11;
	case MON3('D', 'e', 'c'): return 12;
	default: return 0;
	}
}

/*
 * "Mmm dd hh:mm:ss" (day space-padded or not); returns bytes used or 0,
 * the fields in *st (the year is chosen by stamp_time).
 */
static size_t
parse_classic(const char *p, const char *end, struct prefix_stamp *st)
{
	const char *q = p;
	int mon, day, h, mi, s;

	if (end - q < 15 || (mon = month_of(q)) == 0 || q[3] != ' ')
		return 0;
	q += 4;
	if (*q == ' ')
		q++;
	if (q < end && *q >= '0' && *q <= '9' && q + 1 < end && q[1] == ' ') {
		day = *q - '0';
		q++;
	} else if (digits(q, end, 2, &day) == 0) {
		q += 2;
	} else {
		return 0;
	}
	if (end - q < 9 || q[0] != ' ' || digits(q + 1, end, 2, &h) ||
	    q[3] != ':' || digits(q + 4, end, 2, &mi) || q[6] != ':' ||
	    digits(q + 7, end, 2, &s))
		return 0;
	q += 9;
	if (q < end && *q == '.') /* optional fraction */
		for (q++; q < end && *q >= '0' && *q <= '9'; q++)
			;
	if (!valid_date(2000, mon, day, h, mi, s)) /* 2000: leap year */
		return 0;
	st->kind = TS_CLASSIC;
	st->y = 0;
	st->mon = mon;
	st->day = day;
	st->h = h;
	st->mi = mi;
	st->s = s;
	st->zoned = 0;
	st->off = 0;
	return (size_t)(q - p);
}

/*
 * "YYYY-MM-DD?hh:mm:ss[.frac]" with sep 'T' or ' ', then for 'T' a zone
 * "Z" or "+hh:mm", for ' ' an optional " +hhmm" (Exim's log_timezone).
 * Returns bytes used or 0, the fields in *st.
 */
static size_t
parse_iso(const char *p, const char *end, char sep, struct prefix_stamp *st)
{
	const char *q = p;
	int y, mon, day, h, mi, s, zh, zm, sign, have_zone = 0;
	int32_t off = 0;

	if (end - q < 19 || digits(q, end, 4, &y) || q[4] != '-' ||
	    digits(q + 5, end, 2, &mon) || q[7] != '-' ||
	    digits(q + 8, end, 2, &day) || q[10] != sep ||
	    digits(q + 11, end, 2, &h) || q[13] != ':' ||
	    digits(q + 14, end, 2, &mi) || q[16] != ':' ||
	    digits(q + 17, end, 2, &s))
		return 0;
	if (!valid_date(y, mon, day, h, mi, s))
		return 0;
	q += 19;
	if (q < end && *q == '.')
		for (q++; q < end && *q >= '0' && *q <= '9'; q++)
			;
	if (sep == 'T') {
		if (q < end && *q == 'Z') {
			q++;
			have_zone = 1;
		} else if (end - q >= 6 && (*q == '+' || *q == '-') &&
		    digits(q + 1, end, 2, &zh) == 0 && q[3] == ':' &&
		    digits(q + 4, end, 2, &zm) == 0) {
			sign = *q == '-' ? -1 : 1;
			off = sign * (zh * 3600 + zm * 60);
			q += 6;
			have_zone = 1;
		}
	} else if (end - q >= 6 && q[0] == ' ' && (q[1] == '+' || q[1] == '-') &&
	    digits(q + 2, end, 2, &zh) == 0 && digits(q + 4, end, 2, &zm) == 0 &&
	    (end - q == 6 || q[6] == ' ')) {
		sign = q[1] == '-' ? -1 : 1;
		off = sign * (zh * 3600 + zm * 60);
		q += 6;
		have_zone = 1;
	}
	st->kind = sep == 'T' ? TS_ISO_T : TS_ISO_SPACE;
	st->y = y;
	st->mon = mon;
	st->day = day;
	st->h = h;
	st->mi = mi;
	st->s = s;
	st->zoned = have_zone;
	st->off = off;
	return (size_t)(q - p);
}

/* The time of a checked stamp. */
static int64_t
stamp_time(struct prefix_clock *clk, const struct prefix_stamp *st)
{
	int mon = st->mon, day = st->day, h = st->h, y;
	int64_t t, sec = st->mi * 60 + st->s;

	if (st->kind != TS_CLASSIC) {
		if (st->zoned)
			return days_from_civil(st->y, mon, day) * DAY +
			    h * 3600 + sec - st->off;
		return local_hour(clk, st->y, mon, day, h) + sec;
	}
	/* The year: the one that puts the stamp at most a day ahead of now. */
	y = clk->year;
	if (mon == 2 && day == 29) {
		while (!(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
			y--;
	}
	t = local_hour(clk, y, mon, day, h) + sec;
	if (t > clk->now + DAY) {
		y--;
		if (mon == 2 && day == 29)
			while (!(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
				y--;
		t = local_hour(clk, y, mon, day, h) + sec;
	}
	return t;
}

/* Skip Exim's own "[pid] " or "[pid/n] " after its stamp. */
static const char *
skip_exim_pid(const char *p, const char *end)
{
	const char *q = p;

	if (q < end && *q == '[') {
		for (q++; q < end && ((*q >= '0' && *q <= '9') || *q == '/'); q++)
			;
		if (q + 1 < end && *q == ']' && q[1] == ' ' && q > p + 1)
			return q + 2;
	}
	return p;
}

static void
strip_exim_stamp(struct logline *ll)
{
	const char *p = ll->msg, *end = ll->msg + ll->msglen;
	struct prefix_stamp st;
	size_t n;

	if (ll->proglen < 4 || memcmp(ll->prog, "exim", 4) != 0)
		return;
	n = parse_iso(p, end, ' ', &st); /* skipped: its time is unused */
	if (n == 0 || p + n >= end || p[n] != ' ')
		return;
	p = skip_exim_pid(p + n + 1, end);
	ll->msglen = (size_t)(end - p);
	ll->msg = p;
}

static const char *
skip_spaces(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

static const char *
token_end(const char *p, const char *end)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));

	return sp ? sp : end;
}

/* Split "prog[pid]: msg" / "prog: msg" / "prog msg" at p. */
static void
parse_tag(const char *p, const char *end, struct logline *ll)
{
	const char *te = token_end(p, end), *br;
	const char *tag_end = te;

	if (tag_end > p && tag_end[-1] == ':')
		tag_end--;
	br = memchr(p, '[', (size_t)(tag_end - p));
	ll->prog = p;
	ll->proglen = (size_t)((br ? br : tag_end) - p);
	ll->msg = te < end ? te + 1 : end;
	ll->msglen = (size_t)(end - ll->msg);
}

/* A token is a tag, not a host name, when it ends in ':' or holds '['. */
static int
looks_like_tag(const char *p, const char *te)
{
	return te > p && (te[-1] == ':' || memchr(p, '[', (size_t)(te - p)));
}

/*
 * The stamp of shape kind at p: bytes used or 0.  Lazy: checked only, its
 * fields kept for prefix_time().
 */
static size_t
take_stamp(struct prefix_clock *clk, struct logline *ll, int kind,
    const char *p, const char *end, int lazy)
{
	struct prefix_stamp st, *sp = lazy ? &ll->stamp : &st;
	size_t n;

	/* the parsers write *sp only when they succeed */
	if (kind == TS_CLASSIC)
		n = parse_classic(p, end, sp);
	else
		n = parse_iso(p, end, kind == TS_ISO_T ? 'T' : ' ', sp);
	if (n == 0)
		return 0;
	ll->has_ts = 1;
	if (lazy)
		ll->ts = clk->now; /* until prefix_time() */
	else
		ll->ts = stamp_time(clk, &st);
	return n;
}

void
prefix_time(struct prefix_clock *clk, struct logline *ll)
{
	if (ll->stamp.kind == 0)
		return;
	ll->ts = stamp_time(clk, &ll->stamp);
	ll->stamp.kind = 0;
}

/* RFC 5424 after "<PRI>1 ": STAMP HOST APP PROCID MSGID SD [MSG]. */
static int
parse_5424(struct prefix_clock *clk, const char *p, const char *end,
    struct logline *ll, int lazy)
{
	const char *f[5], *fe[5], *q = p;
	size_t n;
	int i;

	for (i = 0; i < 5; i++) {
		if (q >= end)
			return -1;
		f[i] = q;
		fe[i] = token_end(q, end);
		q = fe[i] < end ? fe[i] + 1 : end;
	}
	if (fe[0] - f[0] == 1 && f[0][0] == '-') {
		ll->has_ts = 0;
		ll->ts = clk->now;
	} else {
		n = take_stamp(clk, ll, TS_ISO_T, f[0], fe[0], lazy);
		if (n == 0 || f[0] + n != fe[0])
			return -1;
	}
	ll->host = f[1];
	ll->hostlen = (size_t)(fe[1] - f[1]);
	ll->prog = f[2];
	ll->proglen = (size_t)(fe[2] - f[2]);
	if (ll->proglen == 1 && f[2][0] == '-')
		ll->proglen = 0;
	/* structured data: "-" or one or more [...] elements */
	if (q < end && *q == '-') {
		q++;
	} else {
		while (q < end && *q == '[') {
			for (q++; q < end && *q != ']'; q++)
				if (*q == '\\' && q + 1 < end)
					q++;
			if (q >= end)
				return -1;
			q++;
		}
	}
	if (q < end && *q == ' ')
		q++;
	if (end - q >= 3 && memcmp(q, "\xef\xbb\xbf", 3) == 0) /* BOM */
		q += 3;
	ll->msg = q;
	ll->msglen = (size_t)(end - q);
	return 0;
}

static int
parse_line(struct prefix_clock *clk, const char *line, size_t len,
    struct logline *ll, int lazy)
{
	const char *p = line, *end = line + len, *te;
	size_t n;

	/* field by field: a memset of the whole struct costs more per line */
	ll->ts = 0;
	ll->has_ts = 0;
	ll->stamp.kind = 0; /* the other stamp fields are read only after it */
	ll->host = ll->prog = ll->msg = line; /* never NULL, even when empty */
	ll->hostlen = ll->proglen = ll->msglen = 0;
	if (len > 0 && end[-1] == '\r')
		end--;
	if (p < end && *p == '<') { /* <PRI> */
		const char *q = p + 1;

		while (q < end && q - p <= 4 && *q >= '0' && *q <= '9')
			q++;
		if (q < end && *q == '>' && q > p + 1) {
			p = q + 1;
			if (end - p >= 2 && p[0] == '1' && p[1] == ' ')
				return parse_5424(clk, p + 2, end, ll, lazy);
		}
	}
	if (p < end && *p >= '0' && *p <= '9') {
		if ((n = take_stamp(clk, ll, TS_ISO_T, p, end, lazy)) != 0) {
			p += n;
		} else if ((n = take_stamp(clk, ll, TS_ISO_SPACE, p, end,
		    lazy)) != 0) {
			/* Exim's own mainlog: no host, no tag */
			p = skip_spaces(p + n, end);
			p = skip_exim_pid(p, end);
			ll->prog = "exim";
			ll->proglen = 4;
			ll->msg = p;
			ll->msglen = (size_t)(end - p);
			return 0;
		} else {
			return -1;
		}
	} else if ((n = take_stamp(clk, ll, TS_CLASSIC, p, end, lazy)) != 0) {
		p += n;
	} else {
		return -1;
	}
	if (p >= end || *p != ' ')
		return -1;
	p = skip_spaces(p, end);
	if (p >= end)
		return -1;
	te = token_end(p, end);
	if (!looks_like_tag(p, te)) {
		ll->host = p;
		ll->hostlen = (size_t)(te - p);
		p = skip_spaces(te, end);
		if (p >= end)
			return -1;
	}
	parse_tag(p, end, ll);
	if (ll->proglen == 0)
		return -1;
	strip_exim_stamp(ll);
	return 0;
}

int
prefix_parse(struct prefix_clock *clk, const char *line, size_t len,
    struct logline *ll)
{
	return parse_line(clk, line, len, ll, 0);
}

int
prefix_parse_lazy(struct prefix_clock *clk, const char *line, size_t len,
    struct logline *ll)
{
	return parse_line(clk, line, len, ll, 1);
}
