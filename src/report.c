/*
 * NAME
 *	report - "mailban test" output, for people or as JSON lines
 * DESCRIPTION
 *	See include/report.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "report.h"

/*
 * JSON lines are made straight into one output buffer, room for the whole
 * line reserved first, and the buffer goes to the stream with one fwrite
 * when it is full: the match path of a replay runs once per matching line,
 * and stdio calls per field, then one per line, were most of its cost.
 * The buffer is written before anything else goes to the same stream
 * (report_summary, the text lines, report_flush), after every line
 * when the stream is a terminal, and at exit (a fatal error mid-replay
 * keeps what stdio would have kept).
 */
#define REPORT_BUFFER (1 << 20) /* stdio buffer of a non-terminal out */
#define OB_SIZE (64 * 1024)
#define OB_SLACK 64 /* put_time copies more than its text, put_ip may
			 * write two bytes past it */

static struct {
	FILE *out;
	int per_line; /* a terminal: each line is written as it is made */
	size_t n, cap;
	char *b;
} ob;

static void
ob_flush(void)
{
	if (ob.n > 0)
		fwrite(ob.b, 1, ob.n, ob.out);
	ob.n = 0;
}

static void
ob_atexit(void)
{
	if (ob.out != NULL)
		ob_flush();
}

/* Where to write at most need bytes for out (OB_SLACK included). */
static char *
ob_reserve(FILE *out, size_t need)
{
	if (out != ob.out) {
		if (ob.out != NULL)
			ob_flush();
		else
			atexit(ob_atexit);
		ob.out = out;
		ob.per_line = isatty(fileno(out));
	}
	if (need > ob.cap - ob.n) {
		ob_flush();
		if (need > ob.cap) {
			ob.cap = need > OB_SIZE ? need : OB_SIZE;
			free(ob.b);
			ob.b = xmalloc(ob.cap);
		}
	}
	return ob.b + ob.n;
}

/* The line reserved by ob_reserve ends at p. */
static void
ob_commit(char *p)
{
	ob.n = (size_t)(p - ob.b);
	if (ob.per_line)
		ob_flush();
}

/* Anything for out that was made and not written yet, before stdio. */
static void
ob_sync(FILE *out)
{
	if (ob.n > 0 && out == ob.out)
		ob_flush();
}

/* Fixed text (a literal) at p. */
#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/* "00" to "99": two digits a step. */
static const char digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* Decimal v at p, at most 20 bytes; returns the end. */
static char *
put_u64(char *p, uint64_t v)
{
	uint64_t t = v;
	unsigned n = 1, r;
	char *q;

	while (t >= 10000) {
		t /= 10000;
		n += 4;
	}
	n += (t >= 10) + (t >= 100) + (t >= 1000);
	q = p + n;
	while (v >= 100) {
		r = (unsigned)(v % 100);
		v /= 100;
		q -= 2;
		memcpy(q, digits2 + 2 * r, 2);
	}
	if (v >= 10)
		memcpy(q - 2, digits2 + 2 * v, 2);
	else
		q[-1] = (char)('0' + v);
	return p + n;
}

static char *
put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* fmt_time() as a JSON string at p, remembering the last second. */
static char *
put_time(char *p, int64_t t)
{
	static int64_t last = -1; /* a cache of a pure function of t */
	static char text[40]; /* quoted; fmt_time writes at most 31 */
	static size_t tlen;

	if (t != last || last < 0) {
		text[0] = '"';
		tlen = 1 + fmt_time_len(text + 1, 32, t);
		text[tlen++] = '"';
		last = t;
	}
	memcpy(p, text, sizeof(text)); /* fixed size: a few moves */
	return p + tlen;
}

/*
 * A pattern's name as a JSON string (quotes included), made at its first
 * match and kept in the report (by the pattern's index, checked against
 * the pattern itself) until report_free(): a replay writes it on every
 * match line.
 */
struct report_name {
	const struct pattern *pat;
	char *text;
	size_t len;
};

static const struct report_name *
json_name(struct report *r, const struct pattern *pat)
{
	size_t i = pattern_index(pat), n, nlen;
	struct report_name *rn;
	const char *name;

	if (i >= r->nnames) {
		n = i + 16;
		r->names = xreallocarray(r->names, n, sizeof(*r->names));
		memset(r->names + r->nnames, 0,
		    (n - r->nnames) * sizeof(*r->names));
		r->nnames = n;
	}
	rn = &r->names[i];
	if (rn->pat != pat) {
		name = pattern_name(pat);
		nlen = strlen(name);
		free(rn->text);
		rn->text = xmalloc(FMT_JSON_MAX(nlen));
		rn->len = (size_t)(fmt_json(rn->text, name, nlen) - rn->text);
		rn->pat = pat;
	}
	return rn;
}

/*
 * addr_format() of a as a JSON string at p, written there at once: a
 * copy of text made just before (a cache of the last address, for the
 * ban line after a match) read back the small stores of the formatting
 * before they were done, a stall that cost more than formatting again.
 */
static char *
put_ip(char *p, const struct addr *a)
{
	size_t n;

	*p = '"';
	n = addr_format_len(a, p + 1);
	p[n + 1] = '"';
	return p + n + 2;
}

static void
on_match(void *ctx, const struct engine_match *m)
{
	struct report *r = ctx;
	char ip[ADDR_STRLEN], tb[32];
	const struct logline *ll = m->ll;
	const struct pattern *pat = engine_match_pattern(m);
	long score = engine_match_score(m);
	int record = score == 0;

	/* score 0: bookkeeping (a Sendmail session line kept for the queue-ID
	 * join, an SPF reject), not evidence: on request only */
	if (record) {
		r->records++;
		if (!r->verbose)
			return;
	}
	if (r->json) {
		const struct report_name *jn = json_name(r, pat);
		char *p;

		/* the fixed text, numbers, address and time fit in 256 */
		p = ob_reserve(r->out, 256 + jn->len +
		    FMT_JSON_MAX(m->qid != NULL ? m->qidlen : 0) +
		    FMT_JSON_MAX(ll->proglen) + FMT_JSON_MAX(ll->hostlen) +
		    OB_SLACK);
		if (record)
			p = PUT(p, "{\"event\":\"record\",\"line\":");
		else
			p = PUT(p, "{\"event\":\"match\",\"line\":");
		p = put_u64(p, m->line);
		if (m->addr != NULL) {
			p = PUT(p, ",\"ip\":");
			p = put_ip(p, m->addr);
		} else if (m->key != NULL) { /* its queue ID's client */
			p = PUT(p, ",\"ip\":");
			p = put_ip(p, m->key);
		}
		p = PUT(p, ",\"pattern\":");
		memcpy(p, jn->text, jn->len);
		p += jn->len;
		p = PUT(p, ",\"score\":");
		p = put_i64(p, score);
		if (__builtin_expect(m->joined > 0, 0)) {
			p = PUT(p, ",\"joined\":");
			p = put_i64(p, m->joined);
		}
		if (m->qid != NULL) {
			p = PUT(p, ",\"qid\":");
			p = fmt_json(p, m->qid, m->qidlen);
		}
		p = PUT(p, ",\"program\":");
		p = fmt_json(p, ll->prog, ll->proglen);
		if (ll->hostlen) {
			p = PUT(p, ",\"host\":");
			p = fmt_json(p, ll->host, ll->hostlen);
		}
		if (ll->has_ts) {
			p = PUT(p, ",\"time\":");
			p = put_time(p, ll->ts);
		}
		if (m->duplicate)
			p = PUT(p, ",\"duplicate\":true");
		if (m->ignored)
			p = PUT(p, ",\"ignored\":true");
		p = PUT(p, "}\n");
		ob_commit(p);
		return;
	}
	if (r->bans_only)
		return;
	ob_sync(r->out);
	fprintf(r->out, "%-20s %s  %-39s %-28s line %" PRIu64 "%s",
	    ll->has_ts ? fmt_time(tb, sizeof(tb), ll->ts) : "-",
	    record ? "record" : "match ",
	    m->addr ? addr_format(m->addr, ip) :
	    m->key ? addr_format(m->key, ip) : "(queue id)",
	    pattern_name(pat), m->line,
	    m->ignored ? " (ignored)" : m->duplicate ? " (duplicate)" : "");
	if (m->joined > 0)
		fprintf(r->out, " (joined %" PRId32 " by queue id)", m->joined);
	fputc('\n', r->out);
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
		const struct report_name *jn = json_name(r, d->pat);
		char *p;

		/* the fixed text, numbers, network, client, time fit in 384 */
		p = ob_reserve(r->out, 384 + jn->len + OB_SLACK);
		p = PUT(p, "{\"event\":\"ban\",\"line\":");
		p = put_u64(p, m->line);
		p = PUT(p, ",\"ip\":");
		p = put_ip(p, &d->addr);
		p = PUT(p, ",\"duration\":");
		p = put_i64(p, d->duration);
		p = PUT(p, ",\"count\":");
		p = put_u64(p, d->count);
		p = PUT(p, ",\"score\":");
		p = put_i64(p, d->score);
		p = PUT(p, ",\"pattern\":");
		memcpy(p, jn->text, jn->len);
		p += jn->len;
		p = PUT(p, ",\"time\":");
		p = put_time(p, d->start);
		if (d->addr.plen != 0 && m->addr != NULL) {
			/* a network: the client whose line decided it */
			p = PUT(p, ",\"client\":\"");
			p += addr_format_len(m->addr, p);
			*p++ = '"';
		}
		if (m->widened)
			p = PUT(p, ",\"widened\":true");
		p = PUT(p, "}\n");
		ob_commit(p);
		return;
	}
	ob_sync(r->out);
	addr_format(&d->addr, ip);
	fprintf(r->out, "%-20s BAN    %-39s %-28s line %" PRIu64 ", %s, %u%s ban\n",
	    fmt_time(tb, sizeof(tb), d->start), ip, pattern_name(d->pat),
	    m->line, fmt_duration(db, sizeof(db), d->duration), d->count,
	    ordinal(d->count));
	if (m->widened)
		fprintf(r->out, "%-20s WIDEN  %-39s banned whole: prefixes of it "
		    "banned within forget\n", "", ip);
}

/*
 * A notice: a DNSBL error always (it never scores, and the administrator
 * must see it), an unmatched reject with --missed; untrusted lines are
 * counted in the summary only.
 */
static void
on_notice(void *ctx, enum engine_notice kind, uint64_t lineno,
    const struct logline *ll, const char *line, size_t len)
{
	struct report *r = ctx;
	const char *name = engine_notice_name(kind);
	char tb[32], qb[4 * 300 + 4];
	char *p;

	if (kind == NOTICE_UNMATCHED ? !r->missed : kind != NOTICE_DNSBL_ERROR)
		return;
	if (r->json) {
		p = ob_reserve(r->out, 256 + FMT_JSON_MAX(strlen(name)) +
		    FMT_JSON_MAX(ll->proglen) + FMT_JSON_MAX(ll->hostlen) +
		    FMT_JSON_MAX(len) + OB_SLACK);
		p = PUT(p, "{\"event\":\"notice\",\"line\":");
		p = put_u64(p, lineno);
		p = PUT(p, ",\"kind\":");
		p = fmt_json(p, name, strlen(name));
		p = PUT(p, ",\"program\":");
		p = fmt_json(p, ll->prog, ll->proglen);
		if (ll->hostlen) {
			p = PUT(p, ",\"host\":");
			p = fmt_json(p, ll->host, ll->hostlen);
		}
		if (ll->has_ts) {
			p = PUT(p, ",\"time\":");
			p = put_time(p, ll->ts);
		}
		p = PUT(p, ",\"text\":");
		p = fmt_json(p, line, len);
		p = PUT(p, "}\n");
		ob_commit(p);
		return;
	}
	if (r->bans_only && kind != NOTICE_UNMATCHED)
		return;
	ob_sync(r->out);
	fprintf(r->out, "%-20s %s line %" PRIu64 "%s: %s\n",
	    ll->has_ts ? fmt_time(tb, sizeof(tb), ll->ts) : "-",
	    kind == NOTICE_DNSBL_ERROR ? "DNSBL-ERROR" : "MISSED", lineno,
	    kind == NOTICE_DNSBL_ERROR ? " (not scored)" : "",
	    msg_quote(qb, line, len, 300));
}

void
report_flush(struct report *r)
{
	ob_sync(r->out);
}

void
report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nnames; i++)
		free(r->names[i].text);
	free(r->names);
	r->names = NULL;
	r->nnames = 0;
}

struct engine_hooks
report_hooks(struct report *r)
{
	struct engine_hooks h = {.on_match = on_match, .on_ban = on_ban,
	    .on_notice = on_notice, .ctx = r};

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

	ob_sync(r->out);
	tracker_get_stats(en->tr, &ts);
	if (r->json) {
		fprintf(r->out,
		    "{\"event\":\"summary\",\"lines\":%" PRIu64
		    ",\"matched\":%" PRIu64 ",\"bans\":%" PRIu64
		    ",\"addresses\":%" PRIu64 ",\"malformed\":%" PRIu64
		    ",\"overlong\":%" PRIu64 ",\"ignored\":%" PRIu64
		    ",\"invalid_addresses\":%" PRIu64 ",\"duplicates\":%" PRIu64
		    ",\"match_errors\":%" PRIu64 ",\"untrusted\":%" PRIu64
		    ",\"unmatched\":%" PRIu64 ",\"dnsbl_errors\":%" PRIu64
		    ",\"records\":%" PRIu64 ",\"widened\":%" PRIu64
		    ",\"widen_blocked\":%" PRIu64 ",\"patterns\":{",
		    st->lines, st->matched, st->bans, ts.tracked, st->malformed,
		    st->overlong, st->ignored, st->bad_addr, st->duplicates,
		    st->match_errors, st->notices[NOTICE_UNTRUSTED],
		    st->notices[NOTICE_UNMATCHED], st->notices[NOTICE_DNSBL_ERROR],
		    r->records, st->widened, st->widen_blocked);
		for (i = 0; i < n; i++) {
			const char *name = pattern_name(pattern_get(ps, i));

			if (st->per_pattern[i] == 0)
				continue;
			fputs(first ? "" : ",", r->out);
			first = 0;
			fmt_json_str(r->out, name);
			fprintf(r->out, ":%" PRIu64, st->per_pattern[i]);
		}
		fputs("}}\n", r->out);
		return;
	}
	fprintf(r->out, "\nSummary\n");
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "lines read", st->lines);
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "lines matched", st->matched);
	fprintf(r->out, "  %-22s %12" PRIu64 "%s\n", "of them score 0",
	    r->records, r->records > 0 && !r->verbose ? " (records, not shown: "
	    "--verbose)" : "");
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "addresses scored",
	    ts.tracked);
	fprintf(r->out, "  %-22s %12" PRIu64 "\n", "bans decided", st->bans);
	if (st->widened || st->widen_blocked)
		fprintf(r->out, "  %-22s %12" PRIu64 " (%" PRIu64 " blocked by "
		    "the ignore or allow list)\n", "networks widened",
		    st->widened, st->widen_blocked);
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
	if (st->notices[NOTICE_UNTRUSTED])
		fprintf(r->out, "  %-22s %12" PRIu64 "\n", "untrusted (writer)",
		    st->notices[NOTICE_UNTRUSTED]);
	if (st->notices[NOTICE_UNMATCHED])
		fprintf(r->out, "  %-22s %12" PRIu64 "\n", "rejects not matched",
		    st->notices[NOTICE_UNMATCHED]);
	if (st->notices[NOTICE_DNSBL_ERROR])
		fprintf(r->out, "  %-22s %12" PRIu64 "\n", "DNSBL errors",
		    st->notices[NOTICE_DNSBL_ERROR]);
	if (st->notices[NOTICE_DNSBL_ERROR])
		fprintf(r->out, "\nWARNING: %" PRIu64 " line%s show%s a DNSBL "
		    "refusing this server's queries (an error answer such as "
		    "Spamhaus's \"open resolver\"): the MTA rejected clients that "
		    "are not listed.  These lines were not scored.  Fix the MTA's "
		    "DNSBL setup (a local resolver, a registered query key).\n",
		    st->notices[NOTICE_DNSBL_ERROR],
		    st->notices[NOTICE_DNSBL_ERROR] == 1 ? "" : "s",
		    st->notices[NOTICE_DNSBL_ERROR] == 1 ? "s" : "");
	fprintf(r->out, "\nMatches per pattern\n");
	for (i = 0; i < n; i++)
		if (st->per_pattern[i] != 0)
			fprintf(r->out, "  %-32s %10" PRIu64 "\n",
			    pattern_name(pattern_get(ps, i)), st->per_pattern[i]);
	if (st->matched == 0)
		fprintf(r->out, "  (none)\n");
}
