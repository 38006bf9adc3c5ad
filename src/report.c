/*
 * NAME
 *	report - "mailban test" output, for people or as JSON lines
 * DESCRIPTION
 *	See include/report.h.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "report.h"

void
report_json_string(FILE *out, const char *text, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	putc('"', out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '"' || c == '\\') {
			putc('\\', out);
			putc(c, out);
		} else if (c < 0x20 || c >= 0x7f) {
			/* bytes outside ASCII are escaped one by one: the output
			 * is valid JSON whatever the input's encoding */
			fputs("\\u00", out);
			putc(hex[c >> 4], out);
			putc(hex[c & 15], out);
		} else {
			putc(c, out);
		}
	}
	putc('"', out);
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

const char *
report_time(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%" PRId64, t);
	return buf;
}

static void
on_match(void *ctx, const struct engine_match *m)
{
	struct report *r = ctx;
	char ip[ADDR_STRLEN], tb[32];
	const struct logline *ll = m->ll;

	if (r->json) {
		fprintf(r->out, "{\"event\":\"match\",\"line\":%" PRIu64, m->line);
		if (m->addr != NULL)
			fprintf(r->out, ",\"ip\":\"%s\"", addr_format(m->addr, ip));
		fputs(",\"pattern\":", r->out);
		report_json_string(r->out, pattern_name(m->pat),
		    strlen(pattern_name(m->pat)));
		fprintf(r->out, ",\"score\":%ld", pattern_score(m->pat));
		if (m->qid != NULL) {
			fputs(",\"qid\":", r->out);
			report_json_string(r->out, m->qid, m->qidlen);
		}
		fputs(",\"program\":", r->out);
		report_json_string(r->out, ll->prog, ll->proglen);
		if (ll->hostlen) {
			fputs(",\"host\":", r->out);
			report_json_string(r->out, ll->host, ll->hostlen);
		}
		if (ll->has_ts)
			fprintf(r->out, ",\"time\":\"%s\"",
			    report_time(tb, sizeof(tb), ll->ts));
		if (m->duplicate)
			fputs(",\"duplicate\":true", r->out);
		if (m->ignored)
			fputs(",\"ignored\":true", r->out);
		fputs("}\n", r->out);
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

	addr_format(&d->addr, ip);
	if (r->json) {
		fprintf(r->out,
		    "{\"event\":\"ban\",\"line\":%" PRIu64 ",\"ip\":\"%s\","
		    "\"duration\":%" PRId64 ",\"count\":%u,\"score\":%ld,"
		    "\"pattern\":",
		    m->line, ip, d->duration, d->count, d->score);
		report_json_string(r->out, pattern_name(d->pat),
		    strlen(pattern_name(d->pat)));
		fprintf(r->out, ",\"time\":\"%s\"}\n",
		    report_time(tb, sizeof(tb), d->start));
		return;
	}
	fprintf(r->out, "%-20s BAN    %-39s %-28s line %" PRIu64 ", %s, %u%s ban\n",
	    report_time(tb, sizeof(tb), d->start), ip, pattern_name(d->pat),
	    m->line, report_duration(db, sizeof(db), d->duration), d->count,
	    ordinal(d->count));
}

struct engine_hooks
report_hooks(struct report *r)
{
	struct engine_hooks h = {on_match, on_ban, r};

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
