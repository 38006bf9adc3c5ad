/*
 * NAME
 *	report - "mailban test" output, for people or as JSON lines
 * DESCRIPTION
 *	See include/report.h.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "report.h"

/*
 * JSON lines are built in a struct jline and written with one fwrite: the
 * match path of a replay runs once per matching line, and stdio calls per
 * field were most of its cost.
 */
#define REPORT_BUFFER (1 << 20) /* stdio buffer of a non-terminal out */

struct jline {
	FILE *out;
	size_t n;
	char b[2048];
};

static void
jl_flush(struct jline *jl)
{
	if (jl->n > 0)
		fwrite(jl->b, 1, jl->n, jl->out);
	jl->n = 0;
}

static void
jl_mem(struct jline *jl, const char *s, size_t len)
{
	if (len > sizeof(jl->b) - jl->n) {
		jl_flush(jl);
		if (len > sizeof(jl->b)) {
			fwrite(s, 1, len, jl->out);
			return;
		}
	}
	memcpy(jl->b + jl->n, s, len);
	jl->n += len;
}

static void
jl_str(struct jline *jl, const char *s)
{
	jl_mem(jl, s, strlen(s));
}

static void
jl_u64(struct jline *jl, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	jl_mem(jl, d + i, sizeof(d) - i);
}

static void
jl_i64(struct jline *jl, int64_t v)
{
	if (v < 0) {
		jl_mem(jl, "-", 1);
		jl_u64(jl, (uint64_t)0 - (uint64_t)v);
	} else {
		jl_u64(jl, (uint64_t)v);
	}
}

/* 1 for the bytes jl_json escapes: controls, '"', '\\', DEL and non-ASCII. */
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

/* Escaped JSON string with its quotes (see report_json_string). */
static void
jl_json(struct jline *jl, const char *text, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	jl_mem(jl, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		char e[6];

		if (!json_escape[c])
			continue;
		jl_mem(jl, text + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			jl_mem(jl, e, 2);
		} else {
			/* bytes outside ASCII are escaped one by one: the output
			 * is valid JSON whatever the input's encoding */
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			jl_mem(jl, e, 6);
		}
	}
	jl_mem(jl, text + run, len - run);
	jl_mem(jl, "\"", 1);
}

void
report_json_string(FILE *out, const char *text, size_t len)
{
	struct jline jl;

	jl.out = out;
	jl.n = 0;
	jl_json(&jl, text, len);
	jl_flush(&jl);
}

const char *
report_duration(char *buf, size_t len, int64_t d)
{
	static const struct {
		int64_t secs;
		char unit;
	} units[] = {{7 * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}};
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
report_left(char *buf, size_t len, int64_t d)
{
	if (d <= 0)
		snprintf(buf, len, "0s");
	else if (d >= 86400)
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", d / 86400,
		    d % 86400 / 3600);
	else if (d >= 3600)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", d / 3600,
		    d % 3600 / 60);
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

const char *
report_time(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int64_t y;
	unsigned mo, d, sec;

	if (t >= 0 && t < YEAR10000 && len >= 21) {
		/* the common case, without gmtime_r, strftime or printf */
		unsigned f[6], w[6] = {4, 2, 2, 2, 2, 2}, v, i, k;
		static const char sep[] = "--T::Z";
		char *p = buf;

		civil_from_days(t / 86400, &y, &mo, &d);
		sec = (unsigned)(t % 86400);
		f[0] = (unsigned)y;
		f[1] = mo;
		f[2] = d;
		f[3] = sec / 3600;
		f[4] = sec / 60 % 60;
		f[5] = sec % 60;
		for (i = 0; i < 6; i++) {
			for (k = w[i], v = f[i]; k > 0; k--, v /= 10)
				p[k - 1] = (char)('0' + v % 10);
			p += w[i];
			*p++ = sep[i];
		}
		*p = '\0';
		return buf;
	}
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%" PRId64, t);
	return buf;
}

/* report_time() into a JSON line, remembering the last second. */
static void
jl_time(struct jline *jl, int64_t t)
{
	static int64_t last = -1; /* a cache of a pure function of t */
	static char text[32];
	static size_t tlen;

	if (t != last || last < 0) {
		report_time(text, sizeof(text), t);
		tlen = strlen(text);
		last = t;
	}
	jl_mem(jl, "\"", 1);
	jl_mem(jl, text, tlen);
	jl_mem(jl, "\"", 1);
}

/*
 * addr_format() of a, remembering the last address: a ban event repeats
 * the address of the match just before it.
 */
static const char *
ip_text(const struct addr *a)
{
	static struct addr last; /* a cache of a pure function of a */
	static char text[ADDR_STRLEN];

	if (last.family == 0 || !addr_equal(&last, a)) {
		addr_format(a, text);
		last = *a;
	}
	return text;
}

static void
on_match(void *ctx, const struct engine_match *m)
{
	struct report *r = ctx;
	char ip[ADDR_STRLEN], tb[32];
	const struct logline *ll = m->ll;

	if (r->json) {
		struct jline jl;

		jl.out = r->out;
		jl.n = 0;
		jl_str(&jl, "{\"event\":\"match\",\"line\":");
		jl_u64(&jl, m->line);
		if (m->addr != NULL) {
			jl_str(&jl, ",\"ip\":\"");
			jl_str(&jl, ip_text(m->addr));
			jl_mem(&jl, "\"", 1);
		}
		jl_str(&jl, ",\"pattern\":");
		jl_json(&jl, pattern_name(m->pat), strlen(pattern_name(m->pat)));
		jl_str(&jl, ",\"score\":");
		jl_i64(&jl, pattern_score(m->pat));
		if (m->qid != NULL) {
			jl_str(&jl, ",\"qid\":");
			jl_json(&jl, m->qid, m->qidlen);
		}
		jl_str(&jl, ",\"program\":");
		jl_json(&jl, ll->prog, ll->proglen);
		if (ll->hostlen) {
			jl_str(&jl, ",\"host\":");
			jl_json(&jl, ll->host, ll->hostlen);
		}
		if (ll->has_ts) {
			jl_str(&jl, ",\"time\":");
			jl_time(&jl, ll->ts);
		}
		if (m->duplicate)
			jl_str(&jl, ",\"duplicate\":true");
		if (m->ignored)
			jl_str(&jl, ",\"ignored\":true");
		jl_str(&jl, "}\n");
		jl_flush(&jl);
		return;
	}
	if (r->bans_only)
		return;
	fprintf(r->out, "%-20s match  %-39s %-28s line %" PRIu64 "%s\n",
	    ll->has_ts ? report_time(tb, sizeof(tb), ll->ts) : "-",
	    m->addr ? addr_format(m->addr, ip) : "(queue id)",
	    pattern_name(m->pat), m->line,
	    m->ignored ? " (ignored)" : m->duplicate ? " (duplicate)" : "");
}

static const char *
ordinal(unsigned n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	return n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
}

static void
on_ban(void *ctx, const struct engine_match *m, const struct ban_decision *d)
{
	struct report *r = ctx;
	char ip[ADDR_STRLEN], tb[32], db[32];

	if (r->json) {
		struct jline jl;

		jl.out = r->out;
		jl.n = 0;
		jl_str(&jl, "{\"event\":\"ban\",\"line\":");
		jl_u64(&jl, m->line);
		jl_str(&jl, ",\"ip\":\"");
		jl_str(&jl, ip_text(&d->addr));
		jl_str(&jl, "\",\"duration\":");
		jl_i64(&jl, d->duration);
		jl_str(&jl, ",\"count\":");
		jl_u64(&jl, d->count);
		jl_str(&jl, ",\"score\":");
		jl_i64(&jl, d->score);
		jl_str(&jl, ",\"pattern\":");
		jl_json(&jl, pattern_name(d->pat), strlen(pattern_name(d->pat)));
		jl_str(&jl, ",\"time\":");
		jl_time(&jl, d->start);
		jl_str(&jl, "}\n");
		jl_flush(&jl);
		return;
	}
	addr_format(&d->addr, ip);
	fprintf(r->out, "%-20s BAN    %-39s %-28s line %" PRIu64 ", %s, %u%s ban\n",
	    report_time(tb, sizeof(tb), d->start), ip, pattern_name(d->pat),
	    m->line, report_duration(db, sizeof(db), d->duration), d->count,
	    ordinal(d->count));
}

struct engine_hooks
report_hooks(struct report *r)
{
	struct engine_hooks h = {on_match, on_ban, r};

	/*
	 * A replay into a file or pipe writes in large blocks; a terminal
	 * keeps stdio's line buffering.  Called before anything is written.
	 */
	if (!isatty(fileno(r->out)))
		setvbuf(r->out, NULL, _IOFBF, REPORT_BUFFER);

	return h;
}

void
report_summary(struct report *r, const struct engine *en)
{
	const struct engine_stats *st = &en->st;
	const struct pattern_set *ps = en->cfg->patterns;
	struct tracker_stats ts;
	size_t i, n = pattern_count(ps);
	int first = 1;

	tracker_get_stats(en->tr, &ts);
	if (r->json) {
		fprintf(r->out,
		    "{\"event\":\"summary\",\"lines\":%" PRIu64
		    ",\"matched\":%" PRIu64 ",\"bans\":%" PRIu64
		    ",\"addresses\":%" PRIu64 ",\"malformed\":%" PRIu64
		    ",\"overlong\":%" PRIu64 ",\"ignored\":%" PRIu64
		    ",\"invalid_addresses\":%" PRIu64 ",\"duplicates\":%" PRIu64
		    ",\"match_errors\":%" PRIu64 ",\"patterns\":{",
		    st->lines, st->matched, st->bans, ts.tracked, st->malformed,
		    st->overlong, st->ignored, st->bad_addr, st->duplicates,
		    st->match_errors);
		for (i = 0; i < n; i++) {
			const char *name = pattern_name(pattern_get(ps, i));

			if (st->per_pattern[i] == 0)
				continue;
			fputs(first ? "" : ",", r->out);
			first = 0;
			report_json_string(r->out, name, strlen(name));
			fprintf(r->out, ":%" PRIu64, st->per_pattern[i]);
		}
		fputs("}}\n", r->out);
		return;
	}
	fprintf(r->out, "\nSummary\n");
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "lines read", st->lines);
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "lines matched", st->matched);
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "distinct addresses",
	    ts.tracked);
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "bans decided", st->bans);
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "ignored (ignore list)",
	    st->ignored);
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "duplicates (exim)",
	    st->duplicates);
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "malformed lines",
	    st->malformed);
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "over-long lines",
	    st->overlong);
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "invalid addresses",
	    st->bad_addr);
	if (st->match_errors)
		fprintf(r->out, "  %-22s %12" PRIu64 "\n", "match limit hits",
		    st->match_errors);
	fprintf(r->out, "\nMatches per pattern\n");
	for (i = 0; i < n; i++)
		if (st->per_pattern[i] != 0)
			fprintf(r->out, "  %-32s %10" PRIu64 "\n",
			    pattern_name(pattern_get(ps, i)), st->per_pattern[i]);
	if (st->matched == 0)
		fprintf(r->out, "  (none)\n");
}
