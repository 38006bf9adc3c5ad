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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fmt.h"
#include "prefix.h"

/*
 * parse_line() and the stamp parsers are inlined into prefix_parse() and
 * prefix_parse_lazy(), so that each is compiled for its own lazy, without
 * calls; the rare paths (RFC 5424, Exim's stamp in a message) are not, so
 * that their arrays do not give the hot path a stack protector to check
 * and their code stays out of its way.
 */
#if defined(__GNUC__)
#define HOT_INLINE inline __attribute__((always_inline))
#define COLD __attribute__((noinline, cold))
#else
#define HOT_INLINE inline
#define COLD
#endif


/* logline.stamp.kind: a stamp checked but not yet turned into a time */
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

/*
 * Fast paths.  The stamp parsers read 8 bytes at a time (SWAR): a stamp
 * like "2026-11-27T01:09:07" is three loads, each xored with what its
 * bytes should be ('0' for a digit, the separator itself), which leaves a
 * digit's value or 0 for a right separator; one addition per load then
 * finds any byte over its limit (9 for a digit, 0 for a separator), and
 * x * 10 + (x >> 8) puts the value of the two digits at i and i + 1 in
 * byte i.  Every load is inside [p, end): the line is not NUL-terminated
 * and may end a buffer.  The digit-by-digit parsers these replaced are
 * kept, as the reference, in test/test_prefix_lazy.c.
 */
#define ONES8 0x0101010101010101ULL
#define HIGH8 0x8080808080808080ULL
#define LE4(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | \
	    (uint32_t)(d) << 24)
#define LE8(a, b, c, d, e, f, g, h) \
	((uint64_t)LE4(a, b, c, d) | (uint64_t)LE4(e, f, g, h) << 32)
/* what swar_over() adds to a byte: 0x7f minus the byte's limit */
#define DIG 0x76 /* 0x7f - 9 */
#define SEP 0x7f /* 0x7f - 0 */

/* 8 bytes at p, p[0] the lowest, whatever the byte order of the machine. */
static inline uint64_t
load_le64(const char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
#else
	const unsigned char *u = (const unsigned char *)p;

	return LE8(u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7]);
#endif
}

static inline uint32_t
load_le32(const char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
#else
	const unsigned char *u = (const unsigned char *)p;

	return LE4(u[0], u[1], u[2], u[3]);
#endif
}

/*
 * The bytes of x over their limit: their high bits.  A byte of 0x80 or
 * more is over at once; below that, x + add carries nothing into the next
 * byte, so the lowest byte flagged is always the first bad one (carries
 * only go up).
 */
static inline uint64_t
swar_over(uint64_t x, uint64_t add)
{
	return ((x + add) | x) & HIGH8;
}

/* Lowest set bit of a nonzero v. */
static inline unsigned
ctz64(uint64_t v)
{
#if defined(__GNUC__)
	return (unsigned)__builtin_ctzll(v);
#else
	unsigned n = 0;

	while ((v & 1) == 0) {
		v >>= 1;
		n++;
	}
	return n;
#endif
}

/* Past the digits at q (a fraction: usually 3, 6 or 9 of them). */
static inline const char *
skip_digits(const char *q, const char *end)
{
	uint64_t m;

	while (end - q >= 8) {
		m = swar_over(load_le64(q) ^ ('0' * ONES8), DIG * ONES8);
		if (m != 0)
			return q + ctz64(m) / 8;
		q += 8;
	}
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	return q;
}

/* Two digits at p (both readable): their value, or -1. */
static inline int
two_digits(const char *p)
{
	unsigned a = (unsigned)(unsigned char)p[0] - '0';
	unsigned b = (unsigned)(unsigned char)p[1] - '0';

	return a <= 9 && b <= 9 ? (int)(a * 10 + b) : -1;
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

/*
 * The stamp's checks: month 1-12, day 1 to the month's length (Feb 29
 * always: the year of a classic stamp is not known yet), h <= 23,
 * mi <= 59, s <= 60 (a leap second), a year from 1970.
 */
static inline int
date_ok(int mon, int day)
{
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31};

	return (unsigned)(mon - 1) < 12 && (unsigned)(day - 1) < mdays[mon - 1];
}

/*
 * t: "hh:mm:ss" xored with its template, then t * 10 + (t >> 8): the
 * fields, each at most 99, in bytes 0, 3 and 6.  Adding 0x7f minus the
 * limit to each sets its high bit when it is over, and cannot carry.
 */
static inline int
hms_ok(uint64_t t)
{
	return (((t & LE8(0xff, 0, 0, 0xff, 0, 0, 0xff, 0)) +
	    LE8(0x7f - 23, 0, 0, 0x7f - 59, 0, 0, 0x7f - 60, 0)) &
	    LE8(0x80, 0, 0, 0x80, 0, 0, 0x80, 0)) == 0;
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
		t = (time_t)(days_from_civil(y, mon, day) * SECONDS_DAY +
		    h * SECONDS_HOUR);
	clk->hours[slot].key = key;
	clk->hours[slot].base = (int64_t)t;
	return (int64_t)t;
}

/*
 * "Mmm " as a little-endian number -> month, by a perfect hash: the
 * multiplier puts the twelve names in twelve of 16 slots (found by
 * search; -Woverride-init would catch two in one slot).  The other slots
 * hold month 0, a miss.
 */
#define MON_MUL 0xcf24cf6fu
#define MON_SLOT(key) ((uint32_t)((key) * MON_MUL) >> 28)
#define MON(a, b, c, m) \
	[MON_SLOT(LE4(a, b, c, ' '))] = {LE4(a, b, c, ' '), m}

static const struct {
	uint32_t key;
	int mon;
} months[16] = {
	MON('J', 'a', 'n', 1), MON('F', 'e', 'b', 2), MON('M', 'a', 'r', 3),
	MON('A', 'p', 'r', 4), MON('M', 'a', 'y', 5), MON('J', 'u', 'n', 6),
	MON('J', 'u', 'l', 7), MON('A', 'u', 'g', 8), MON('S', 'e', 'p', 9),
	MON('O', 'c', 't', 10), MON('N', 'o', 'v', 11), MON('D', 'e', 'c', 12),
};

/*
 * "Mmm dd hh:mm:ss" (day space-padded or not); returns bytes used or 0,
 * the fields in *st (the year is chosen by stamp_time).
 */
static HOT_INLINE size_t
parse_classic(const char *p, const char *end, struct prefix_stamp *st)
{
	const char *q = p;
	uint32_t key;
	uint64_t x;
	int mon, day, h, mi, s;

	if (end - q < 15)
		return 0;
	key = load_le32(q); /* "Mmm ": the space is part of the key */
	if (months[MON_SLOT(key)].key != key)
		return 0;
	mon = months[MON_SLOT(key)].mon;
	q += 4;
	if (*q == ' ')
		q++;
	/* q <= p + 5 and end >= p + 15: q[0], q[1] are readable */
	if (*q >= '0' && *q <= '9' && q[1] == ' ') {
		day = *q - '0';
		q++;
	} else if ((day = two_digits(q)) >= 0) {
		q += 2;
	} else {
		return 0;
	}
	if (end - q < 9 || q[0] != ' ')
		return 0;
	x = load_le64(q + 1) ^ LE8('0', '0', ':', '0', '0', ':', '0', '0');
	if (swar_over(x, LE8(DIG, DIG, SEP, DIG, DIG, SEP, DIG, DIG)) != 0)
		return 0;
	x = x * 10 + (x >> 8);
	if (!hms_ok(x) || !date_ok(mon, day))
		return 0;
	h = (int)(x & 0xff);
	mi = (int)(x >> 24 & 0xff);
	s = (int)(x >> 48 & 0xff);
	q += 9;
	if (q < end && *q == '.') /* optional fraction */
		q = skip_digits(q + 1, end);
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
 * "YYYY-MM-DD?hh:mm:ss[.frac]" with sep 'T' or ' ' (0: either, the kind
 * tells which), then for 'T' a zone "Z" or "+hh:mm", for ' ' an optional
 * " +hhmm" (Exim's log_timezone).  Returns bytes used or 0, the fields in
 * *st.
 */
static HOT_INLINE size_t
parse_iso(const char *p, const char *end, char sep, struct prefix_stamp *st)
{
	const char *q = p;
	uint64_t a, b, c;
	int y, mon, day, h, mi, s, zh, zm, have_zone = 0;
	int32_t off = 0;
	char sp;

	if (end - q < 19)
		return 0;
	sp = q[10];
	if (sep != 0 ? sp != sep : sp != 'T' && sp != ' ')
		return 0;
	/* bytes 0-7, 8-15 (the separator masked out), 11-18 */
	a = load_le64(q) ^ LE8('0', '0', '0', '0', '-', '0', '0', '-');
	b = (load_le64(q + 8) ^ LE8('0', '0', 0, '0', '0', ':', '0', '0')) &
	    ~((uint64_t)0xff << 16);
	c = load_le64(q + 11) ^ LE8('0', '0', ':', '0', '0', ':', '0', '0');
	if ((swar_over(a, LE8(DIG, DIG, DIG, DIG, SEP, DIG, DIG, SEP)) |
	    swar_over(b, LE8(DIG, DIG, SEP, DIG, DIG, SEP, DIG, DIG)) |
	    swar_over(c, LE8(DIG, DIG, SEP, DIG, DIG, SEP, DIG, DIG))) != 0)
		return 0;
	a = a * 10 + (a >> 8);
	c = c * 10 + (c >> 8);
	y = (int)(a & 0xff) * 100 + (int)(a >> 16 & 0xff);
	mon = (int)(a >> 40 & 0xff);
	day = (int)(b & 0xff) * 10 + (int)(b >> 8 & 0xff);
	h = (int)(c & 0xff);
	mi = (int)(c >> 24 & 0xff);
	s = (int)(c >> 48 & 0xff);
	if (y < 1970 || !date_ok(mon, day) || !hms_ok(c))
		return 0;
	q += 19;
	if (q < end && *q == '.')
		q = skip_digits(q + 1, end);
	if (sp == 'T') {
		if (q < end && *q == 'Z') {
			q++;
			have_zone = 1;
		} else if (end - q >= 8) {
			/* "+hh:mm" and 2 more bytes, masked out */
			a = (load_le64(q) ^ LE8(0, '0', '0', ':', '0', '0', 0, 0)) &
			    LE8(0, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0);
			if ((*q == '+' || *q == '-') && swar_over(a,
			    LE8(SEP, DIG, DIG, SEP, DIG, DIG, SEP, SEP)) == 0) {
				a = a * 10 + (a >> 8);
				off = (int32_t)(a >> 8 & 0xff) * SECONDS_HOUR +
				    (int32_t)(a >> 32 & 0xff) * 60;
				if (*q == '-')
					off = -off;
				q += 6;
				have_zone = 1;
			}
		} else if (end - q >= 6 && (*q == '+' || *q == '-') &&
		    (zh = two_digits(q + 1)) >= 0 && q[3] == ':' &&
		    (zm = two_digits(q + 4)) >= 0) {
			off = zh * SECONDS_HOUR + zm * 60;
			if (*q == '-')
				off = -off;
			q += 6;
			have_zone = 1;
		}
		/* journalctl -o short-iso: "+hhmm", no colon */
		if (!have_zone && end - q >= 5 && (*q == '+' || *q == '-') &&
		    (zh = two_digits(q + 1)) >= 0 && (zm = two_digits(q + 3)) >= 0 &&
		    (end - q == 5 || q[5] == ' ')) {
			off = zh * SECONDS_HOUR + zm * 60;
			if (*q == '-')
				off = -off;
			q += 5;
			have_zone = 1;
		}
	} else if (end - q >= 6 && q[0] == ' ' && (q[1] == '+' || q[1] == '-') &&
	    (zh = two_digits(q + 2)) >= 0 && (zm = two_digits(q + 4)) >= 0 &&
	    (end - q == 6 || q[6] == ' ')) {
		off = zh * SECONDS_HOUR + zm * 60;
		if (q[1] == '-')
			off = -off;
		q += 6;
		have_zone = 1;
	}
	st->kind = sp == 'T' ? TS_ISO_T : TS_ISO_SPACE;
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
			return days_from_civil(st->y, mon, day) * SECONDS_DAY +
			    h * SECONDS_HOUR + sec - st->off;
		return local_hour(clk, st->y, mon, day, h) + sec;
	}
	/* The year: the one that puts the stamp at most a day ahead of now. */
	y = clk->year;
	if (mon == 2 && day == 29) {
		while (!(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
			y--;
	}
	t = local_hour(clk, y, mon, day, h) + sec;
	if (t > clk->now + SECONDS_DAY) {
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

	uint64_t v, t, in;

	if (q < end && *q == '[') {
		/*
		 * Past the bytes '/' (0x2f) to '9' (0x39), 8 at a time: of
		 * t = v & 0x7f.., 0xb9 - t has the high bit when t <= 0x39 and
		 * t + 0x51 when t >= 0x2f, neither carrying; ~v rules out bytes
		 * of 0x80 and more (Bit Twiddling Hacks' hasbetween).
		 */
		for (q++; end - q >= 8; q += 8) {
			v = load_le64(q);
			t = v & (0x7f * ONES8);
			in = (0xb9 * ONES8 - t) & ~v & (t + 0x51 * ONES8) & HIGH8;
			if (in != HIGH8) {
				q += ctz64(~in & HIGH8) / 8;
				goto pid_end;
			}
		}
		for (; q < end && ((*q >= '0' && *q <= '9') || *q == '/'); q++)
			;
pid_end:
		if (q + 1 < end && *q == ']' && q[1] == ' ' && q > p + 1)
			return q + 2;
	}
	return p;
}

/*
 * For a program named exim*: skip Exim's own stamp and pid in msg.  With
 * syslog_timestamp = false Exim writes no stamp to syslog, and the pid
 * (log_selector +pid, syslog_pid = true) starts the message: "[pid] ".
 * Only digits there: "[1/2] " and "[1\2] " are the pieces of a message
 * Exim cut (engine.c joins them and calls this again on the whole).
 */
COLD void
prefix_exim_message(struct logline *ll)
{
	const char *p = ll->msg, *end = ll->msg + ll->msglen, *q;
	struct prefix_stamp st;
	size_t n;

	n = parse_iso(p, end, ' ', &st); /* skipped: its time is unused */
	if (n == 0 || p + n >= end || p[n] != ' ') {
		if (p >= end || *p != '[')
			return;
		for (q = p + 1; q < end && *q >= '0' && *q <= '9'; q++)
			;
		if (q == p + 1 || end - q < 2 || q[0] != ']' || q[1] != ' ')
			return;
		p = q + 2;
		ll->msglen = (size_t)(end - p);
		ll->msg = p;
		return;
	}
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

/*
 * The end of the token at p (its first ' ', or end) and in *br its first
 * '[' (NULL: none); b is a '[' already found before p, or NULL.  A host or
 * a tag is short, the line behind it long: with SSE2, 16 bytes at a time
 * give both at once, as long as 16 bytes remain; the rest, and machines
 * without SSE2, take two memchr (a byte loop instead cost more, measured).
 */
static inline const char *
scan_token(const char *p, const char *end, const char *b, const char **br)
{
	const char *te;

#ifdef __SSE2__
	const __m128i spaces = _mm_set1_epi8(' '), brackets = _mm_set1_epi8('[');
	unsigned ms, mb;

	for (; end - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);

		ms = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, spaces));
		mb = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, brackets));
		if (ms != 0) {
			/* the '[' must come before the space */
			mb &= ms ^ (ms - 1);
			if (b == NULL && mb != 0)
				b = p + __builtin_ctz(mb);
			*br = b;
			return p + __builtin_ctz(ms);
		}
		if (b == NULL && mb != 0)
			b = p + __builtin_ctz(mb);
	}
#endif
	te = memchr(p, ' ', (size_t)(end - p));
	if (te == NULL)
		te = end;
	if (b == NULL)
		b = memchr(p, '[', (size_t)(te - p));
	*br = b;
	return te;
}

/*
 * Host and tag in one go from the 32 bytes at w, w[0] the space after
 * the stamp, as the slow path in parse_line() finds them: 1 with the
 * host in *ll (when there is one), the tag's start, end and first '['
 * in *tp, *tep, *brp; 0 when the host-or-tag token or the spaces after
 * the host run past the 32 bytes (the caller takes the slow path).  Bit i
 * of s (b) is set when w[i] is a space ('['): the spaces, token ends and
 * brackets are then a few bit operations, for the price of the two
 * memchr calls the slow path makes for the host alone.
 */
static inline int
host_and_tag(const char *w, const char *end, struct logline *ll,
    const char **tp, const char **tep, const char **brp)
{
#ifdef __SSE2__
	const __m128i spaces = _mm_set1_epi8(' '), brackets = _mm_set1_epi8('[');
	__m128i lo, hi;
	uint32_t s, b, m;
	unsigned hs, he, ts;

	if (end - w < 32)
		return 0;
	lo = _mm_loadu_si128((const __m128i *)(const void *)w);
	hi = _mm_loadu_si128((const __m128i *)(const void *)(w + 16));
	s = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, spaces)) |
	    (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hi, spaces)) << 16;
	b = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, brackets)) |
	    (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hi, brackets)) << 16;
	if ((m = ~s) == 0) /* bit 0 is clear: w[0] is the space */
		return 0;
	hs = (unsigned)__builtin_ctz(m); /* the first token's start */
	if ((m = s & (UINT32_MAX << hs)) == 0)
		return 0;
	he = (unsigned)__builtin_ctz(m); /* ... and its end, 0 < he < 32 */
	/* a tag, not a host, ends in ':' or holds '[' (none before hs) */
	if (w[he - 1] == ':' || (b & ((1u << he) - 1)) != 0) {
		ts = hs;
	} else {
		if ((m = ~s & (UINT32_MAX << he)) == 0)
			return 0;
		ts = (unsigned)__builtin_ctz(m);
		ll->host = w + hs;
		ll->hostlen = he - hs;
	}
	b &= UINT32_MAX << ts; /* the tag's '[', if any, and later ones */
	if ((m = s & (UINT32_MAX << ts)) == 0) {
		/* a long tag: on past the 32 bytes */
		*tep = scan_token(w + 32, end,
		    b != 0 ? w + __builtin_ctz(b) : NULL, brp);
	} else {
		*tep = w + __builtin_ctz(m);
		b &= m ^ (m - 1); /* up to the tag's end */
		*brp = b != 0 ? w + __builtin_ctz(b) : NULL;
	}
	*tp = w + ts;
	return 1;
#else
	(void)w;
	(void)end;
	(void)ll;
	(void)tp;
	(void)tep;
	(void)brp;
	return 0;
#endif
}

/*
 * The stamp of shape kind (0: TS_ISO_T or TS_ISO_SPACE) at p: bytes used
 * or 0.  Lazy: checked only, its
 * fields kept for prefix_time().
 */
static HOT_INLINE size_t
take_stamp(struct prefix_clock *clk, struct logline *ll, int kind,
    const char *p, const char *end, int lazy)
{
	struct prefix_stamp st, *sp = lazy ? &ll->stamp : &st;
	size_t n;

	/* the parsers write *sp only when they succeed */
	if (kind == TS_CLASSIC)
		n = parse_classic(p, end, sp);
	else /* kind 0: either ISO shape */
		n = parse_iso(p, end, kind == TS_ISO_T ? 'T' :
		    kind == TS_ISO_SPACE ? ' ' : 0, sp);
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
static COLD int
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

/* --- rarer shapes: each in a function of its own, off the hot path --- */

static int
is_host_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
	    c == ':';
}

static int
is_tag_byte(char c)
{
	return (is_host_byte(c) && c != ':') || c == '/' || c == '@';
}

/*
 * After "YYYY-MM-DD HH:MM:SS " at p: a syslog line "host prog[pid]: " or
 * "host prog: " (a file template with a MySQL-style date), not Exim's own
 * mainlog.  Exim's words there are "[pid]", a message ID followed by
 * "<=", "=>" ..., "H=...", "SMTP ...": never a host name and then a
 * one-word tag ending in ':'.
 */
static COLD int
iso_space_is_syslog(const char *p, const char *end)
{
	const char *h = p, *t;

	if (p >= end || *p == '[')
		return 0;
	while (p < end && is_host_byte(*p))
		p++;
	/* a token ending in ':' is a tag: no host, Exim's words */
	if (p == h || p >= end || *p != ' ' || p - h > 255 || p[-1] == ':')
		return 0;
	/* an Exim message ID is never the host: 6-6/11-2/4 */
	if (p - h >= 16 && h[6] == '-' && p[-3] == '-')
		return 0;
	t = ++p;
	while (p < end && is_tag_byte(*p))
		p++;
	if (p == t)
		return 0;
	if (p < end && *p == '[') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++)
			;
		if (p >= end || *p != ']')
			return 0;
		p++;
	}
	return p < end && *p == ':' && (p + 1 == end || p[1] == ' ');
}

/*
 * BSD syslogd -v writes "<facility.level>" between the stamp and the
 * host: parse_line() took it for the host, and the host (if any) for the
 * tag.  Put them right: 0, or -1 when the line then has no tag.
 */
static COLD int
facility_host(struct logline *ll, const char *end)
{
	const char *h = ll->host, *he = h + ll->hostlen, *q, *p, *te, *br;
	const char *tag_end;
	int dots = 0;

	for (q = h + 1; q < he - 1; q++) {
		if (*q == '.')
			dots++;
		else if (!(*q >= 'a' && *q <= 'z') && !(*q >= '0' && *q <= '9'))
			return 0;
	}
	if (ll->hostlen < 5 || he[-1] != '>' || dots != 1)
		return 0;
	te = ll->msg > ll->prog ? ll->msg - 1 : ll->msg; /* the tag's end */
	if (te > ll->prog && (te[-1] == ':' ||
	    memchr(ll->prog, '[', (size_t)(te - ll->prog)) != NULL)) {
		ll->host = ll->prog; /* a real tag: no host */
		ll->hostlen = 0;
		return 0;
	}
	ll->host = ll->prog; /* the tag was the host */
	ll->hostlen = ll->proglen;
	p = ll->msg;
	if (p >= end)
		return -1;
	te = scan_token(p, end, NULL, &br);
	tag_end = te;
	if (tag_end > p && tag_end[-1] == ':')
		tag_end--;
	ll->prog = p;
	ll->proglen = (size_t)((br != NULL ? br : tag_end) - p);
	ll->msg = te < end ? te + 1 : end;
	ll->msglen = (size_t)(end - ll->msg);
	return ll->proglen > 0 ? 0 : -1;
}

/*
 * Solaris and illumos syslogd with log_msgid (their default) put a
 * message ID between the tag and the message: "sendmail[25741]: [ID
 * 801593 mail.notice] QID: ...".  Leave it out of msg, so that the
 * patterns read the MTA's own message.  Only that exact shape: "[ID ",
 * digits, " ", facility.level of lower-case letters and digits, "] ".
 * Called by the engine for a message that starts with '[' (off the path
 * of every other line), not by prefix_parse().
 */
COLD void
prefix_msgid(struct logline *ll)
{
	const char *p = ll->msg, *end = ll->msg + ll->msglen, *q;
	int dots = 0;

	if (end - p < 9 || memcmp(p, "[ID ", 4) != 0)
		return;
	q = skip_digits(p + 4, end);
	if (q == p + 4 || q >= end || *q != ' ')
		return;
	for (p = ++q; q < end && *q != ']'; q++) {
		if (*q == '.')
			dots++;
		else if (!(*q >= 'a' && *q <= 'z') && !(*q >= '0' && *q <= '9'))
			return;
	}
	if (dots != 1 || q == p || end - q < 2 || q[1] != ' ')
		return;
	ll->msg = q + 2;
	ll->msglen = (size_t)(end - ll->msg);
	if (prefix_is_exim(ll))
		prefix_exim_message(ll); /* Exim's stamp after the ID */
}

/* A stamp that is final (a zone or the epoch): ts, has_ts. */
static void
set_final_time(struct logline *ll, int64_t ts)
{
	ll->stamp.kind = 0;
	ll->has_ts = 1;
	ll->ts = ts;
}

/*
 * journalctl -o short-unix: "1795741323.123456 " (seconds since the
 * epoch); bytes used or 0.
 */
static size_t
parse_epoch(const char *p, const char *end, struct logline *ll)
{
	const char *q = p;
	int64_t v = 0;

	while (q < end && *q >= '0' && *q <= '9' && q - p < 12)
		v = v * 10 + (*q++ - '0');
	if (q - p < 9 || q >= end || *q != '.')
		return 0;
	q = skip_digits(q + 1, end);
	if (q >= end || *q != ' ')
		return 0;
	set_final_time(ll, v);
	return (size_t)(q - p);
}

/*
 * journalctl -o short-full: "Fri 2026-11-27 01:02:03 UTC " (the zone an
 * abbreviation: UTC and GMT are UTC, any other is taken as local time).
 */
static size_t
parse_full(struct prefix_clock *clk, const char *p, const char *end,
    struct logline *ll, int lazy)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	struct prefix_stamp st;
	const char *q;
	size_t n, i;

	if (end - p < 4 || p[3] != ' ')
		return 0;
	for (i = 0; i < 7 && memcmp(days + 3 * i, p, 3) != 0; i++)
		;
	if (i == 7 || (n = parse_iso(p + 4, end, ' ', &st)) == 0)
		return 0;
	q = p + 4 + n;
	if (q < end && *q == ' ' && !st.zoned) { /* the zone's abbreviation */
		const char *z = q + 1;

		for (q = z; q < end && ((*q >= 'A' && *q <= 'Z') ||
		    (*q >= 'a' && *q <= 'z')); q++)
			;
		if (q == z || q - z > 6)
			return 0;
		if ((q - z == 3 && (memcmp(z, "UTC", 3) == 0 ||
		    memcmp(z, "GMT", 3) == 0))) {
			st.zoned = 1;
			st.off = 0;
		}
	}
	if (q >= end || *q != ' ')
		return 0;
	ll->has_ts = 1;
	if (lazy) {
		ll->stamp = st;
		ll->ts = clk->now;
	} else {
		ll->ts = stamp_time(clk, &st);
	}
	return (size_t)(q - p);
}

/*
 * journalctl -o short-monotonic: "[  12345.678901] " (seconds since boot:
 * no wall time; the line is taken at the reference time).
 */
static size_t
parse_monotonic(const char *p, const char *end)
{
	const char *q = p + 1;

	while (q < end && *q == ' ')
		q++;
	if (q >= end || *q < '0' || *q > '9')
		return 0;
	q = skip_digits(q, end);
	if (q < end && *q == '.')
		q = skip_digits(q + 1, end);
	if (end - q < 2 || q[0] != ']' || q[1] != ' ')
		return 0;
	return (size_t)(q + 1 - p);
}

/* --- journalctl -o json: one object a line --- */

/*
 * MESSAGE decoded when it holds escapes: one line at a time, so one buffer
 * (a logline from a JSON line is valid until the next JSON line).
 */
static char json_msg[64 * 1024];

/* Past the JSON string whose opening quote is at p; NULL if unterminated. */
static const char *
json_skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Past a JSON value at p (string, number, literal, array of those). */
static const char *
json_skip_value(const char *p, const char *end)
{
	const char *q;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return json_skip_string(p, end);
	if (*p == '[') {
		for (p++; p < end;) {
			while (p < end && (*p == ' ' || *p == ','))
				p++;
			if (p < end && *p == ']')
				return p + 1;
			q = json_skip_value(p, end);
			/* an element that is nothing ("[}" ...) ends it: no
			 * progress would loop for ever on hostile input */
			if (q == NULL || q == p)
				return NULL;
			p = q;
		}
		return NULL;
	}
	if (*p == '{')
		return NULL; /* journal fields are never objects */
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ')
		p++;
	return p;
}

static int
hex4(const char *p, unsigned *v)
{
	unsigned i, c;

	*v = 0;
	for (i = 0; i < 4; i++) {
		c = (unsigned char)p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (c | 0x20) - 'a' + 10;
		else
			return -1;
		*v = *v << 4 | c;
	}
	return 0;
}

/*
 * The JSON string value at [s, e) (quotes excluded), in *out: as it is
 * when it holds no escape, else decoded into buf (UTF-8; cut at size).
 * An array of numbers (journalctl's form of a message that is not valid
 * UTF-8) is decoded as its bytes.  -1: not a string or a byte array.
 */
static int
json_text(const char *v, const char *ve, char *buf, size_t size,
    const char **out, size_t *outlen)
{
	const char *p;
	size_t n = 0;
	unsigned u, lo;

	if (v < ve && *v == '[') { /* bytes */
		for (p = v + 1; p < ve && *p != ']';) {
			unsigned b = 0;

			while (p < ve && (*p == ' ' || *p == ','))
				p++;
			if (p >= ve || *p == ']')
				break;
			if (*p < '0' || *p > '9')
				return -1;
			while (p < ve && *p >= '0' && *p <= '9' && b < 256)
				b = b * 10 + (unsigned)(*p++ - '0');
			if (b > 255)
				return -1;
			if (n < size)
				buf[n++] = (char)b;
		}
		*out = buf;
		*outlen = n;
		return 0;
	}
	if (ve - v < 2 || *v != '"' || ve[-1] != '"')
		return -1;
	v++;
	ve--;
	if (memchr(v, '\\', (size_t)(ve - v)) == NULL) {
		*out = v;
		*outlen = (size_t)(ve - v);
		return 0;
	}
	for (p = v; p < ve && n + 4 <= size; p++) {
		if (*p != '\\') {
			buf[n++] = *p;
			continue;
		}
		if (++p >= ve)
			return -1;
		switch (*p) {
		case 'n': buf[n++] = '\n'; break;
		case 't': buf[n++] = '\t'; break;
		case 'r': buf[n++] = '\r'; break;
		case 'b': buf[n++] = '\b'; break;
		case 'f': buf[n++] = '\f'; break;
		case 'u':
			if (ve - p < 5 || hex4(p + 1, &u) < 0)
				return -1;
			p += 4;
			if (u >= 0xd800 && u < 0xdc00 && ve - p >= 7 && p[1] == '\\' &&
			    p[2] == 'u' && hex4(p + 3, &lo) == 0 && lo >= 0xdc00 &&
			    lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			if (u < 0x80) {
				buf[n++] = (char)u;
			} else if (u < 0x800) {
				buf[n++] = (char)(0xc0 | u >> 6);
				buf[n++] = (char)(0x80 | (u & 0x3f));
			} else if (u < 0x10000) {
				buf[n++] = (char)(0xe0 | u >> 12);
				buf[n++] = (char)(0x80 | (u >> 6 & 0x3f));
				buf[n++] = (char)(0x80 | (u & 0x3f));
			} else {
				buf[n++] = (char)(0xf0 | u >> 18);
				buf[n++] = (char)(0x80 | (u >> 12 & 0x3f));
				buf[n++] = (char)(0x80 | (u >> 6 & 0x3f));
				buf[n++] = (char)(0x80 | (u & 0x3f));
			}
			break;
		default: /* '"', '\\', '/' */
			buf[n++] = *p;
			break;
		}
	}
	*out = buf;
	*outlen = n;
	return 0;
}

/* A field's string value as it is (no escape in it), else not known. */
static void
json_plain(const char *v, const char *ve, const char **out, size_t *outlen)
{
	if (ve - v >= 2 && *v == '"' && ve[-1] == '"' &&
	    memchr(v + 1, '\\', (size_t)(ve - v - 2)) == NULL) {
		*out = v + 1;
		*outlen = (size_t)(ve - v - 2);
	} else {
		*outlen = 0;
	}
}

/* A decimal field ("123" or 123): its value, or -1. */
static int64_t
json_number(const char *v, const char *ve)
{
	int64_t x = 0;
	int digits = 0;

	if (v < ve && *v == '"') {
		v++;
		ve--;
	}
	for (; v < ve && *v >= '0' && *v <= '9' && digits < 18; v++, digits++)
		x = x * 10 + (*v - '0');
	return digits > 0 && v == ve ? x : -1;
}

/*
 * journalctl -o json: MESSAGE, SYSLOG_IDENTIFIER, _HOSTNAME,
 * __REALTIME_TIMESTAMP (microseconds); the fields journald itself writes
 * (_PID, _UID, _GID, _EXE, _COMM, _SYSTEMD_UNIT) fill ll->cred.  A field
 * given twice: the last counts.  0, or -1 for a line that is not such an
 * object or has no MESSAGE.
 */
static COLD int
parse_json(struct prefix_clock *clk, const char *p, const char *end,
    struct logline *ll)
{
	const char *k, *ke, *v, *ve, *msg = NULL, *mse = NULL;
	int64_t x, pid = -1, spid = -1;
	/* an @cred header (the snippets') came first: it stays the word */
	int mine = !ll->cred.has;
	struct logcred scratch, *c = mine ? &ll->cred : &scratch;

	c->pid = c->uid = c->gid = -1;
	c->exelen = c->commlen = c->unitlen = 0;
	c->exe = c->comm = c->unit = p;
	c->unit_known = 1; /* the journal's: no _SYSTEMD_UNIT is no unit */
	for (p++;;) {
		while (p < end && (*p == ' ' || *p == ','))
			p++;
		if (p < end && *p == '}')
			break;
		if (p >= end || *p != '"')
			return -1;
		k = p + 1;
		if ((p = json_skip_string(p, end)) == NULL)
			return -1;
		ke = p - 1;
		while (p < end && *p == ' ')
			p++;
		if (p >= end || *p != ':')
			return -1;
		for (p++; p < end && *p == ' '; p++)
			;
		v = p;
		if ((p = json_skip_value(p, end)) == NULL)
			return -1;
		ve = p;
#define KEY(s) ((size_t)(ke - k) == sizeof(s) - 1 && memcmp(k, s, sizeof(s) - 1) == 0)
		if (KEY("MESSAGE")) {
			msg = v;
			mse = ve;
		} else if (KEY("SYSLOG_IDENTIFIER")) {
			json_plain(v, ve, &ll->prog, &ll->proglen);
		} else if (KEY("_HOSTNAME")) {
			json_plain(v, ve, &ll->host, &ll->hostlen);
		} else if (KEY("__REALTIME_TIMESTAMP")) {
			if ((x = json_number(v, ve)) >= 0)
				set_final_time(ll, x / 1000000);
		} else if (KEY("_PID")) {
			pid = json_number(v, ve);
		} else if (KEY("SYSLOG_PID")) {
			spid = json_number(v, ve);
		} else if (KEY("_UID")) {
			c->uid = json_number(v, ve);
		} else if (KEY("_GID")) {
			c->gid = json_number(v, ve);
		} else if (KEY("_EXE")) {
			json_plain(v, ve, &c->exe, &c->exelen);
		} else if (KEY("_COMM")) {
			json_plain(v, ve, &c->comm, &c->commlen);
		} else if (KEY("_SYSTEMD_UNIT")) {
			json_plain(v, ve, &c->unit, &c->unitlen);
		}
#undef KEY
	}
	if (msg == NULL || json_text(msg, mse, json_msg, sizeof(json_msg),
	    &ll->msg, &ll->msglen) < 0)
		return -1;
	(void)spid; /* the sender's claim: the tag's pid, not a credential */
	c->pid = pid;
	if (mine)
		c->has = pid >= 0 || c->uid >= 0 || c->exelen > 0 ||
		    c->commlen > 0;
	if (!ll->has_ts)
		ll->ts = clk->now;
	if (ll->proglen == 0 && c->commlen > 0) { /* no tag: the process name */
		ll->prog = c->comm;
		ll->proglen = c->commlen;
	}
	return ll->proglen > 0 ? 0 : -1;
}


/*
 * A line without stamp: "prog[pid]: msg" or "host prog[pid]: msg", as
 * lines are quoted in mail, posts and bug reports (the syslog stamp cut
 * off).  Only a tag with a pid and a colon is taken, so that text which
 * is not a log line stays malformed; the line is taken at the reference
 * time.  0 (ll filled: parse_line() is done), or -1.
 */
static COLD int
parse_stampless(const char *p, const char *end, struct logline *ll)
{
	const char *h = p, *t, *q;

	/* a host first: a name or an IPv4 address, never with a ':' (a
	 * broken stamp "Nov2701:02:03" is not a host) */
	while (p < end && is_host_byte(*p) && *p != ':')
		p++;
	if (p < end && *p == ' ' && p > h && p - h <= 255) {
		ll->host = h;
		ll->hostlen = (size_t)(p - h);
		p++;
	} else {
		p = h;
	}
	/* the tag: a letter first, as the MTAs' names have */
	if (p >= end || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return -1;
	for (t = p; p < end && is_tag_byte(*p); p++)
		;
	if (p >= end || *p != '[')
		return -1;
	for (q = ++p; p < end && *p >= '0' && *p <= '9'; p++)
		;
	if (p == q || p >= end || *p != ']' || p + 1 >= end || p[1] != ':' ||
	    (p + 2 < end && p[2] != ' '))
		return -1;
	ll->prog = t;
	ll->proglen = (size_t)(q - 1 - t);
	ll->msg = p + 2 < end ? p + 3 : end;
	ll->msglen = (size_t)(end - ll->msg);
	if (prefix_is_exim(ll))
		prefix_exim_message(ll);
	return 0;
}

/*
 * A line that starts with neither RFC 3339, Exim's stamp nor a classic
 * stamp: RFC 5424 without <PRI>, journalctl's short-unix, short-full,
 * short-monotonic and json.  -1: none of them; 0: ll is complete (json,
 * RFC 5424); more: the bytes of the stamp, the host and tag follow (a
 * length, not a pointer stored through the caller's: no local of
 * parse_line() has its address taken, and the line path no stack canary).
 */
static COLD long
parse_unusual(struct prefix_clock *clk, const char *p, const char *end,
    struct logline *ll, int lazy)
{
	size_t n;

	if (p >= end)
		return -1;
	if (end - p >= 3 && p[0] == '1' && p[1] == ' ' &&
	    ((p[2] >= '0' && p[2] <= '9') || p[2] == '-'))
		return parse_5424(clk, p + 2, end, ll, lazy);
	if (*p == '{')
		return parse_json(clk, p, end, ll);
	if (*p >= '0' && *p <= '9')
		n = parse_epoch(p, end, ll);
	else if (*p == '[')
		n = parse_monotonic(p, end);
	else if ((n = parse_full(clk, p, end, ll, lazy)) == 0) {
		ll->ts = clk->now;
		return parse_stampless(p, end, ll);
	}
	if (n == 0)
		return -1;
	if (!ll->has_ts)
		ll->ts = clk->now;
	return (long)n;
}

/*
 * A tag "[prog]:" (no pid, in brackets): the program is what the
 * brackets hold.  0, or -1 when the tag is not that.
 */
static COLD int
bracket_tag(struct logline *ll, const char *p, const char *tag_end)
{
	const char *q;
	int digits = 1;

	for (q = p + 1; q < tag_end && is_tag_byte(*q); q++)
		digits &= *q >= '0' && *q <= '9';
	/* "[pid]:" alone is no program */
	if (q == p + 1 || q + 1 != tag_end || *q != ']' || digits)
		return -1;
	ll->prog = p + 1;
	ll->proglen = (size_t)(q - p - 1);
	return 0;
}

/*
 * The "@cred{...} " header (see prefix.h).  Cold: only the shipped
 * snippets write it, and the line after it is parsed as ever.  A JSON
 * string is unescaped into the text buffer (rsyslog writes "/" as "\/");
 * a raw control byte, a bad escape or a string that does not fit makes
 * the header malformed, never a shorter value.
 */
struct cred_parse {
	const char *p, *end;
	struct logcred *c;
	size_t used; /* of c->text */
};

static int
cred_hex(const char *p)
{
	int v = 0, i, d;

	for (i = 0; i < 4; i++) {
		d = p[i];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'a' && d <= 'f')
			d -= 'a' - 10;
		else if (d >= 'A' && d <= 'F')
			d -= 'A' - 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* One byte into the text buffer (keep = 0: the value is skipped). */
static int
cred_put(struct cred_parse *cp, int keep, unsigned char b)
{
	if (!keep)
		return 0;
	if (cp->used + 1 >= LOGCRED_TEXT) /* the NUL needs room too */
		return -1;
	cp->c->text[cp->used++] = (char)b;
	return 0;
}

/*
 * The JSON string at cp->p (its opening quote): unescaped into the text
 * buffer when keep, its start and length in *out, *outlen.
 */
static int
cred_string(struct cred_parse *cp, int keep, const char **out, size_t *outlen)
{
	const char *q = cp->p + 1;
	size_t start = cp->used;
	unsigned char b;
	int u;

	for (;;) {
		const char *r = q;

		/* a run of plain bytes at once */
		while (r < cp->end && *r != '"' && *r != '\\' &&
		    (unsigned char)*r >= 0x20)
			r++;
		if (keep && r > q) {
			if (cp->used + (size_t)(r - q) >= LOGCRED_TEXT)
				return -1;
			memcpy(cp->c->text + cp->used, q, (size_t)(r - q));
			cp->used += (size_t)(r - q);
		}
		q = r;
		if (q >= cp->end)
			return -1;
		b = (unsigned char)*q++;
		if (b == '"')
			break;
		if (b < 0x20)
			return -1;
		/* b is the backslash of an escape */
		if (q >= cp->end)
			return -1;
		switch (*q++) {
		case '"':
		case '\\':
		case '/':
			b = (unsigned char)q[-1];
			break;
		case 'b':
			b = '\b';
			break;
		case 'f':
			b = '\f';
			break;
		case 'n':
			b = '\n';
			break;
		case 'r':
			b = '\r';
			break;
		case 't':
			b = '\t';
			break;
		case 'u':
			if (cp->end - q < 4 || (u = cred_hex(q)) < 0)
				return -1;
			q += 4;
			if (u >= 0xd800 && u <= 0xdfff)
				return -1; /* no surrogates in a path or a name */
			if (u >= 0x800) {
				if (cred_put(cp, keep, (unsigned char)(0xe0 | u >> 12)) < 0 ||
				    cred_put(cp, keep,
				    (unsigned char)(0x80 | (u >> 6 & 0x3f))) < 0)
					return -1;
				b = (unsigned char)(0x80 | (u & 0x3f));
			} else if (u >= 0x80) {
				if (cred_put(cp, keep, (unsigned char)(0xc0 | u >> 6)) < 0)
					return -1;
				b = (unsigned char)(0x80 | (u & 0x3f));
			} else {
				b = (unsigned char)u;
			}
			break;
		default:
			return -1;
		}
		if (cred_put(cp, keep, b) < 0)
			return -1;
	}
	cp->p = q;
	if (keep) {
		if (cred_put(cp, 1, 0) < 0)
			return -1;
		*out = cp->c->text + start;
		*outlen = cp->used - 1 - start;
	}
	return 0;
}

/* A number as a JSON number or string of digits; "" is -1 (not known). */
static int
cred_number(struct cred_parse *cp, int64_t *out)
{
	const char *q = cp->p, *d;
	int quoted = *q == '"';
	int64_t v = 0;

	if (quoted)
		q++;
	for (d = q; q < cp->end && *q >= '0' && *q <= '9'; q++) {
		if (q - d >= 10)
			return -1;
		v = v * 10 + (*q - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	if (q == d)
		v = -1; /* "": not known; a bare nothing is no number */
	if (quoted) {
		if (q >= cp->end || *q != '"')
			return -1;
		q++;
	} else if (v < 0) {
		return -1;
	}
	*out = v;
	cp->p = q;
	return 0;
}

static void
cred_spaces(struct cred_parse *cp)
{
	while (cp->p < cp->end && (*cp->p == ' ' || *cp->p == '\t'))
		cp->p++;
}

static COLD long
parse_cred(const char *line, size_t len, struct logcred *c)
{
	struct cred_parse cp = {line + 6, line + len, c, 0};
	const char *key = NULL;
	size_t keylen = 0, dummylen;
	const char *dummy;
	unsigned seen = 0, bit;
	int64_t *num;

	c->has = 1;
	c->pid = c->uid = c->gid = -1;
	c->exe = c->comm = c->unit = "";
	c->exelen = c->commlen = c->unitlen = 0;
	c->unit_known = 0;
	cred_spaces(&cp);
	if (cp.p < cp.end && *cp.p == '}')
		goto close;
	for (;;) {
		size_t mark = cp.used;

		if (cp.p >= cp.end || *cp.p != '"' ||
		    cred_string(&cp, 1, &key, &keylen) < 0)
			return -1;
		cp.used = mark; /* the key's bytes are not kept */
		cred_spaces(&cp);
		if (cp.p >= cp.end || *cp.p++ != ':')
			return -1;
		cred_spaces(&cp);
		if (cp.p >= cp.end)
			return -1;
		num = NULL;
		bit = 0;
#define KEY(s) (keylen == sizeof(s) - 1 && memcmp(key, s, keylen) == 0)
		if (KEY("pid"))
			num = &c->pid, bit = 1;
		else if (KEY("uid"))
			num = &c->uid, bit = 2;
		else if (KEY("gid"))
			num = &c->gid, bit = 4;
		else if (KEY("exe"))
			bit = 8;
		else if (KEY("comm"))
			bit = 16;
#undef KEY
		if (bit & seen)
			return -1; /* a member twice: which would count? */
		seen |= bit;
		if (num != NULL) {
			if (cred_number(&cp, num) < 0)
				return -1;
		} else if (*cp.p == '"') {
			if (bit == 8) {
				if (cred_string(&cp, 1, &c->exe, &c->exelen) < 0)
					return -1;
			} else if (bit == 16) {
				if (cred_string(&cp, 1, &c->comm, &c->commlen) < 0)
					return -1;
			} else if (cred_string(&cp, 0, &dummy, &dummylen) < 0) {
				return -1;
			}
		} else {
			int64_t v;

			if (bit != 0 || cred_number(&cp, &v) < 0)
				return -1; /* exe and comm are strings */
		}
		cred_spaces(&cp);
		if (cp.p < cp.end && *cp.p == ',') {
			cp.p++;
			cred_spaces(&cp);
			continue;
		}
		if (cp.p < cp.end && *cp.p == '}')
			break;
		return -1;
	}
close:
	cp.p++;
	if (cp.p >= cp.end || *cp.p != ' ')
		return -1;
	return (long)(cp.p + 1 - line);
}

long
prefix_cred(const char *line, size_t len, struct logcred *cred)
{
	long n;

	if (len < 6 || memcmp(line, "@cred{", 6) != 0)
		return 0;
	n = parse_cred(line, len, cred);
	if (n < 0) {
		cred->has = 1;
		cred->pid = cred->uid = cred->gid = -1;
		cred->exe = cred->comm = cred->unit = "";
		cred->exelen = cred->commlen = cred->unitlen = 0;
		cred->unit_known = 0;
	}
	return n;
}

static HOT_INLINE int
parse_line(struct prefix_clock *clk, const char *line, size_t len,
    struct logline *ll, int lazy)
{
	const char *p = line, *end = line + len, *te, *tag_end, *br;
	size_t n;
	long un;

	/* field by field: a memset of the whole struct costs more per line */
	ll->cred.has = 0;
	if (len > 0 && *p == '@') { /* the credentials of the snippets */
		long cn = prefix_cred(p, len, &ll->cred);

		if (cn < 0)
			return -1;
		p += cn;
	}
	ll->ts = 0;
	ll->has_ts = 0;
	ll->stamp.kind = 0; /* the other stamp fields are read only after it */
	ll->prog = ll->msg = line; /* never NULL, even when empty */
	ll->host = ""; /* (its first byte is read: see facility_host) */
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
		/* RFC 3339 or Exim's own mainlog, told apart by byte 10 */
		if ((n = take_stamp(clk, ll, 0, p, end, lazy)) == 0) {
			if ((un = parse_unusual(clk, p, end, ll, lazy)) <= 0)
				return (int)un;
			p += un;
		} else if (p[10] == ' ' && !(p + n < end && p[n] == ' ' &&
		    iso_space_is_syslog(p + n + 1, end))) {
			/* Exim's own mainlog: no host, no tag */
			p = skip_spaces(p + n, end);
			p = skip_exim_pid(p, end);
			ll->prog = "exim";
			ll->proglen = 4;
			ll->msg = p;
			ll->msglen = (size_t)(end - p);
			return 0;
		} else {
			p += n;
		}
	} else if ((n = take_stamp(clk, ll, TS_CLASSIC, p, end, lazy)) != 0) {
		p += n;
	} else if ((un = parse_unusual(clk, p, end, ll, lazy)) <= 0) {
		return (int)un;
	} else {
		p += un;
	}
	if (p >= end || *p != ' ')
		return -1;
	if (!host_and_tag(p, end, ll, &p, &te, &br)) {
		/*
		 * A token is a tag, not a host name, when it ends in ':' or
		 * holds '['.  The tag: "prog[pid]: msg" / "prog: msg" /
		 * "prog msg"; its '[' cannot be the ':' taken off its end.
		 */
		p = skip_spaces(p, end);
		if (p >= end)
			return -1;
		te = scan_token(p, end, NULL, &br);
		if (!(te > p && (te[-1] == ':' || br != NULL))) {
			ll->host = p;
			ll->hostlen = (size_t)(te - p);
			p = skip_spaces(te, end);
			if (p >= end)
				return -1;
			te = scan_token(p, end, NULL, &br);
		}
	}
	tag_end = te;
	if (tag_end > p && tag_end[-1] == ':')
		tag_end--;
	ll->prog = p;
	ll->proglen = (size_t)((br != NULL ? br : tag_end) - p);
	ll->msg = te < end ? te + 1 : end;
	ll->msglen = (size_t)(end - ll->msg);
	if (ll->proglen == 0 && bracket_tag(ll, p, tag_end) < 0)
		return -1;
	if (*ll->host == '<' && facility_host(ll, end) < 0)
		return -1;
	if (prefix_is_exim(ll))
		prefix_exim_message(ll);
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
