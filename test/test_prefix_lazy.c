/*
 * prefix_parse_lazy() + prefix_time() give exactly what prefix_parse()
 * gives (the time of a line is only worked out when a pattern matched):
 * test_prefix_lazy FILE|DIR...
 *
 * Every line of the files (the .txt and .log files of a directory; "< "
 * corpus lines lose their marker), thousands of generated stamps of every
 * shape, and seeded random mutations of all of them, each under several
 * clocks (mid-year, just after New Year, a leap year's February), with
 * the clock's hour cache shared across lines as in the engine: the same
 * return, the same fields, the same time.
 *
 * The same lines, and generated host and tag tokens of every length, also
 * go through a reference: the parser as it was before its fast paths (SWAR
 * stamps, SSE2 token scan), digit by digit and memchr by memchr.  Each is
 * parsed at the very end of a heap block, cut at every length for the
 * unmutated ones, so that a read past the end fails under ASan and an
 * off-by-one at the end of the line differs from the reference.
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

/*
 * The reference, kept verbatim (names prefixed ref_) from src/prefix.c
 * before its fast paths, lazy only: ts stays the clock's now.
 */
#define TS_CLASSIC 1
#define TS_ISO_T 2 /* RFC 3339 */
#define TS_ISO_SPACE 3 /* Exim's "YYYY-MM-DD hh:mm:ss" */
#define MON3(a, b, c) ((unsigned)(a) << 16 | (unsigned)(b) << 8 | (unsigned)(c))

static int
ref_digits(const char *p, const char *end, int n, int *out)
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
static int
ref_valid_date(int y, int mon, int day, int h, int mi, int s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return y >= 1970 && y <= 9999 && mon >= 1 && mon <= 12 && day >= 1 &&
	    day <= mdays[mon - 1] && h <= 23 && mi <= 59 && s <= 60;
}

static int
ref_month_of(const char *p)
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
ref_parse_classic(const char *p, const char *end, struct prefix_stamp *st)
{
	const char *q = p;
	int mon, day, h, mi, s;

	if (end - q < 15 || (mon = ref_month_of(q)) == 0 || q[3] != ' ')
		return 0;
	q += 4;
	if (*q == ' ')
		q++;
	if (q < end && *q >= '0' && *q <= '9' && q + 1 < end && q[1] == ' ') {
		day = *q - '0';
		q++;
	} else if (ref_digits(q, end, 2, &day) == 0) {
		q += 2;
	} else {
		return 0;
	}
	if (end - q < 9 || q[0] != ' ' || ref_digits(q + 1, end, 2, &h) ||
	    q[3] != ':' || ref_digits(q + 4, end, 2, &mi) || q[6] != ':' ||
	    ref_digits(q + 7, end, 2, &s))
		return 0;
	q += 9;
	if (q < end && *q == '.') /* optional fraction */
		for (q++; q < end && *q >= '0' && *q <= '9'; q++)
			;
	if (!ref_valid_date(2000, mon, day, h, mi, s)) /* 2000: leap year */
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
ref_parse_iso(const char *p, const char *end, char sep, struct prefix_stamp *st)
{
	const char *q = p;
	int y, mon, day, h, mi, s, zh, zm, sign, have_zone = 0;
	int32_t off = 0;

	if (end - q < 19 || ref_digits(q, end, 4, &y) || q[4] != '-' ||
	    ref_digits(q + 5, end, 2, &mon) || q[7] != '-' ||
	    ref_digits(q + 8, end, 2, &day) || q[10] != sep ||
	    ref_digits(q + 11, end, 2, &h) || q[13] != ':' ||
	    ref_digits(q + 14, end, 2, &mi) || q[16] != ':' ||
	    ref_digits(q + 17, end, 2, &s))
		return 0;
	if (!ref_valid_date(y, mon, day, h, mi, s))
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
		    ref_digits(q + 1, end, 2, &zh) == 0 && q[3] == ':' &&
		    ref_digits(q + 4, end, 2, &zm) == 0) {
			sign = *q == '-' ? -1 : 1;
			off = sign * (zh * 3600 + zm * 60);
			q += 6;
			have_zone = 1;
		}
	} else if (end - q >= 6 && q[0] == ' ' && (q[1] == '+' || q[1] == '-') &&
	    ref_digits(q + 2, end, 2, &zh) == 0 && ref_digits(q + 4, end, 2, &zm) == 0 &&
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

/* Skip Exim's own "[pid] " or "[pid/n] " after its stamp. */
static const char *
ref_skip_exim_pid(const char *p, const char *end)
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
ref_strip_exim_stamp(struct logline *ll)
{
	const char *p = ll->msg, *end = ll->msg + ll->msglen;
	struct prefix_stamp st;
	size_t n;

	if (ll->proglen < 4 || memcmp(ll->prog, "exim", 4) != 0)
		return;
	n = ref_parse_iso(p, end, ' ', &st); /* skipped: its time is unused */
	if (n == 0 || p + n >= end || p[n] != ' ') {
		/* no stamp (syslog_timestamp = false): "[pid] ", digits only */
		const char *q = p + 1;

		if (p >= end || *p != '[')
			return;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q > p + 1 && q + 1 < end && q[0] == ']' && q[1] == ' ') {
			ll->msglen = (size_t)(end - (q + 2));
			ll->msg = q + 2;
		}
		return;
	}
	p = ref_skip_exim_pid(p + n + 1, end);
	ll->msglen = (size_t)(end - p);
	ll->msg = p;
}

static const char *
ref_skip_spaces(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

static const char *
ref_token_end(const char *p, const char *end)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));

	return sp ? sp : end;
}

/* Split "prog[pid]: msg" / "prog: msg" / "prog msg" at p. */
static void
ref_parse_tag(const char *p, const char *end, struct logline *ll)
{
	const char *te = ref_token_end(p, end), *br;
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
ref_looks_like_tag(const char *p, const char *te)
{
	return te > p && (te[-1] == ':' || memchr(p, '[', (size_t)(te - p)));
}

/*
 * The stamp of shape kind at p: bytes used or 0, checked only, its fields
 * kept for prefix_time().
 */
static size_t
ref_take_stamp(struct prefix_clock *clk, struct logline *ll, int kind,
    const char *p, const char *end)
{
	struct prefix_stamp *sp = &ll->stamp; /* lazy only */
	size_t n;

	/* the parsers write *sp only when they succeed */
	if (kind == TS_CLASSIC)
		n = ref_parse_classic(p, end, sp);
	else
		n = ref_parse_iso(p, end, kind == TS_ISO_T ? 'T' : ' ', sp);
	if (n == 0)
		return 0;
	ll->has_ts = 1;
	ll->ts = clk->now; /* until prefix_time() */
	return n;
}

/* RFC 5424 after "<PRI>1 ": STAMP HOST APP PROCID MSGID SD [MSG]. */
static int
ref_parse_5424(struct prefix_clock *clk, const char *p, const char *end,
    struct logline *ll)
{
	const char *f[5], *fe[5], *q = p;
	size_t n;
	int i;

	for (i = 0; i < 5; i++) {
		if (q >= end)
			return -1;
		f[i] = q;
		fe[i] = ref_token_end(q, end);
		q = fe[i] < end ? fe[i] + 1 : end;
	}
	if (fe[0] - f[0] == 1 && f[0][0] == '-') {
		ll->has_ts = 0;
		ll->ts = clk->now;
	} else {
		n = ref_take_stamp(clk, ll, TS_ISO_T, f[0], fe[0]);
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
ref_parse_line(struct prefix_clock *clk, const char *line, size_t len,
    struct logline *ll)
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
	/* the credential header has its own parser and table (test_trust.c) */
	if ((n = (size_t)prefix_cred(line, len, &ll->cred)) == (size_t)-1)
		return -1;
	p += n;
	if (p < end && *p == '<') { /* <PRI> */
		const char *q = p + 1;

		while (q < end && q - p <= 4 && *q >= '0' && *q <= '9')
			q++;
		if (q < end && *q == '>' && q > p + 1) {
			p = q + 1;
			if (end - p >= 2 && p[0] == '1' && p[1] == ' ')
				return ref_parse_5424(clk, p + 2, end, ll);
		}
	}
	if (p < end && *p >= '0' && *p <= '9') {
		if ((n = ref_take_stamp(clk, ll, TS_ISO_T, p, end)) != 0) {
			p += n;
		} else if ((n = ref_take_stamp(clk, ll, TS_ISO_SPACE, p,
		    end)) != 0) {
			/* Exim's own mainlog: no host, no tag */
			p = ref_skip_spaces(p + n, end);
			p = ref_skip_exim_pid(p, end);
			ll->prog = "exim";
			ll->proglen = 4;
			ll->msg = p;
			ll->msglen = (size_t)(end - p);
			return 0;
		} else {
			return -1;
		}
	} else if ((n = ref_take_stamp(clk, ll, TS_CLASSIC, p, end)) != 0) {
		p += n;
	} else {
		return -1;
	}
	if (p >= end || *p != ' ')
		return -1;
	p = ref_skip_spaces(p, end);
	if (p >= end)
		return -1;
	te = ref_token_end(p, end);
	if (!ref_looks_like_tag(p, te)) {
		ll->host = p;
		ll->hostlen = (size_t)(te - p);
		p = ref_skip_spaces(te, end);
		if (p >= end)
			return -1;
	}
	ref_parse_tag(p, end, ll);
	if (ll->proglen == 0)
		return -1;
	ref_strip_exim_stamp(ll);
	return 0;
}


static struct prefix_clock refclk;
static char *tailbuf; /* MAXLINE bytes of heap: lines are parsed at its end */
static unsigned long refcompared;

/* The same field: the same place in the line, or the same constant text. */
static int
same_field(const char *a, size_t alen, const char *b, size_t blen,
    const char *l, size_t len)
{
	if (a >= l && a <= l + len && b >= l && b <= l + len)
		return a == b && alen == blen;
	return alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * The shapes the reference never read: journalctl's short-full,
 * short-unix, short-monotonic and json, RFC 5424 without <PRI>, "+hhmm"
 * zones, <facility.level> after the stamp, a "[prog]" tag, a host and
 * tag after Exim's kind of stamp, and no stamp at all.  b: what prefix_parse_lazy() made of l
 * (NULL: it refused l).  The shape is the one after an "@cred{...} "
 * header.
 */
static int
new_shape(const char *l, size_t len, const struct logline *b)
{
	struct logcred cred;
	size_t i;
	long cn;

	if (len > 0 && l[0] == '@' && (cn = prefix_cred(l, len, &cred)) > 0) {
		l += cn;
		len -= (size_t)cn;
	}
	if (len == 0)
		return 0;
	if (l[0] == '{' || l[0] == '[' || (len > 1 && l[0] == '1' && l[1] == ' '))
		return 1;
	if (len > 4 && l[3] == ' ' && l[4] >= '0' && l[4] <= '9' &&
	    !(l[0] >= '0' && l[0] <= '9'))
		return 1; /* a weekday */
	for (i = 0; i < len && i < 12 && l[i] >= '0' && l[i] <= '9'; i++)
		;
	if (i >= 9 && i < len && l[i] == '.')
		return 1; /* seconds since the epoch */
	if (memmem(l, len < 40 ? len : 40, " <", 2) != NULL)
		return 1;
	for (i = 19; i + 5 < len && i < 40; i++)
		if ((l[i] == '+' || l[i] == '-') && l[i + 3] != ':' &&
		    l[i + 1] >= '0' && l[i + 1] <= '9')
			return 1; /* "+hhmm" */
	if (b == NULL)
		return 0;
	if (!b->has_ts) { /* no stamp: a tag with its pid, maybe a host first */
		const char *s = l;

		if (*s == '<') /* after a <PRI> */
			for (s++; s < l + len && *s >= '0' && *s <= '9'; s++)
				;
		if (s > l && s < l + len && *s == '>')
			s++;
		else
			s = l;
		if ((b->hostlen > 0 ? b->host : b->prog) == s)
			return 1;
	}
	if (len > 10 && l[10] == ' ' && b->hostlen > 0)
		return 1;
	if (b->proglen > 0 && b->prog > l && b->prog < l + len &&
	    b->prog[-1] == '[')
		return 1;
	return 0;
}

static unsigned long refnew;

/* prefix_parse_lazy() against the reference, line at the end of the heap. */
static void
compare_ref(const char *line, size_t len)
{
	struct logline a, b;
	char *l = tailbuf + MAXLINE - len;
	int ra, rb;

	memmove(l, line, len);
	ra = ref_parse_line(&refclk, l, len, &a);
	rb = prefix_parse_lazy(&refclk, l, len, &b);
	refcompared++;
	if (new_shape(l, len, rb == 0 ? &b : NULL)) {
		refnew++; /* checked by test_prefix's table */
		return;
	}
	if (ra != rb) {
		CHECK(0, "reference %d, prefix_parse_lazy %d: %.*s", ra, rb,
		    (int)len, l);
		return;
	}
	if (ra < 0)
		return;
	if (a.ts != b.ts || a.has_ts != b.has_ts ||
	    !same_field(a.host, a.hostlen, b.host, b.hostlen, l, len) ||
	    !same_field(a.prog, a.proglen, b.prog, b.proglen, l, len) ||
	    !same_field(a.msg, a.msglen, b.msg, b.msglen, l, len) ||
	    a.stamp.kind != b.stamp.kind || (a.stamp.kind != 0 &&
	    (a.stamp.y != b.stamp.y || a.stamp.mon != b.stamp.mon ||
	    a.stamp.day != b.stamp.day || a.stamp.h != b.stamp.h ||
	    a.stamp.mi != b.stamp.mi || a.stamp.s != b.stamp.s ||
	    a.stamp.zoned != b.stamp.zoned || a.stamp.off != b.stamp.off)))
		CHECK(0, "fields differ from the reference: host %zu/%zu prog "
		    "%zu/%zu msg %zu/%zu kind %d/%d: %.*s", a.hostlen, b.hostlen,
		    a.proglen, b.proglen, a.msglen, b.msglen, a.stamp.kind,
		    b.stamp.kind, (int)len, l);
}

/* Every place the line can end, then the whole line. */
static void
compare_ref_cuts(const char *line, size_t len)
{
	size_t n;

	for (n = 0; n < len; n++)
		compare_ref(line, n);
	compare_ref(line, len);
}

static void
compare(const char *line, size_t len)
{
	struct logline a, b;
	size_t k;
	int ra, rb;

	compare_ref(line, len);
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

/*
 * A stamp, then host and tag tokens of every length up to past two SSE2
 * blocks, runs of spaces, '[' and ':' anywhere, bytes over 0x7f.
 */
static void
generate_tokens(struct corpus *c)
{
	static const char *const stamp[] = {"Nov 27 01:02:03",
	    "2026-11-27T01:09:07.163796+00:00", "Nov  7 01:02:03.123",
	    "2026-11-27T01:09:07Z", "2026-11-27 01:05:46", "Nov 27 01:02:03 ",
	    "2026-11-27T01:09:07.123456789012345678+01:00"};
	static const char alpha[] = "abcdefghmx0123456789/-._[]:\x80\xff\r";
	char b[256];
	size_t n;
	int i, t, k, len;

	for (i = 0; i < 20000; i++) {
		n = (size_t)snprintf(b, sizeof(b), "%s", stamp[rnd(7)]);
		for (t = 0; t < 3; t++) {
			for (k = (int)rnd(4); k > 0 && n < sizeof(b) - 1; k--)
				b[n++] = ' ';
			len = (int)rnd(rnd(4) == 0 ? 70 : 24);
			for (k = 0; k < len && n < sizeof(b) - 1; k++)
				b[n++] = rnd(3) == 0 ? alpha[rnd(sizeof(alpha) - 1)] :
				    (char)('a' + rnd(26));
			if (rnd(3) == 0 && n < sizeof(b) - 1)
				b[n++] = rnd(2) ? ':' : ']';
		}
		b[n] = '\0';
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

static struct corpus corpus = {NULL, 0, 0};
static size_t nlogged, ngenerated; /* corpus: logged lines, then generated
				    * stamps, then generated tokens */

/* Lines from..to of the corpus: cut at every length against the
 * reference, whole and mutated against prefix_parse(). */
static void
run_lines(size_t from, size_t to)
{
	static char buf[MAXLINE];
	size_t i, k, len;

	for (i = from; i < to; i++) {
		len = strlen(corpus.line[i]);
		compare_ref_cuts(corpus.line[i], len);
		compare(corpus.line[i], len);
		memcpy(buf, corpus.line[i], len);
		for (k = 0; k < MUTATIONS; k++) {
			if (k % 5 == 0) {
				len = strlen(corpus.line[i]);
				memcpy(buf, corpus.line[i], len);
			}
			mutate(buf, &len);
			compare(buf, len);
		}
	}
}

/* the lines of the files given */
static void
logged_lines(void)
{
	run_lines(0, nlogged);
}

static void
generated_stamps(void)
{
	run_lines(nlogged, ngenerated);
}

static void
generated_tokens(void)
{
	run_lines(ngenerated, corpus.n);
}

/* the cases above, together, saw stamps in a fair share of the lines */
static void
stamps_seen(void)
{
	printf("%zu lines, %lu parses compared, %lu with a stamp, %lu with the "
	    "reference\n", corpus.n, compared, stamped, refcompared);
	CHECK(stamped > compared / 10, "only %lu of %lu parses had a stamp",
	    stamped, compared);
}

static const struct test_case cases[] = {
	TEST_CASE(logged_lines),
	TEST_CASE(generated_stamps),
	TEST_CASE(generated_tokens),
	TEST_CASE(stamps_seen),
	{NULL, NULL},
};

/* The arguments are files, not case names: every case runs. */
int
main(int argc, char **argv)
{
	size_t k;
	int f, rc;

	test_seed(0x853c49e6748fea9bULL);
	setenv("TZ", "Europe/Berlin", 1); /* local time with DST */
	prefix_clock_init(&refclk, clocks[0]);
	tailbuf = malloc(MAXLINE);
	if (tailbuf == NULL)
		return 1;
	for (k = 0; k < NCLOCKS; k++) {
		prefix_clock_init(&eager[k], clocks[k]);
		prefix_clock_init(&lazy[k], clocks[k]);
	}
	for (f = 1; f < argc; f++)
		corpus_add(&corpus, argv[f], corpus_logs, 1);
	nlogged = corpus.n;
	generate(&corpus);
	ngenerated = corpus.n;
	generate_tokens(&corpus);
	rc = TEST_RUN(cases, 1, argv);
	corpus_free(&corpus);
	free(tailbuf);
	return rc;
}
