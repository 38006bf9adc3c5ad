/*
 * NAME
 *	cmd_status - the read-only views of the state: "mailban status" and
 *	"mailban report"
 * SYNOPSIS
 *	mailban status [-c FILE] [-o NAME=VALUE]... [--json]
 *	mailban report [-c FILE] [-o NAME=VALUE]... [--html FILE]
 * DESCRIPTION
 *	status prints one screen for people (or, with --json, one JSON
 *	document): the state file and the kernel sets in use (the number of
 *	entries of each set when the kernel lets us read it, which needs
 *	CAP_NET_ADMIN; "not readable" otherwise), active bans by family,
 *	matches and bans per pattern over the last hour, day and week, the
 *	addresses banned most often, and the last errors of "mailban run".
 *	Whether the bans are enforced (the firewall rules that use the sets
 *	are in place, firewall.h) comes first: when they are not, the first
 *	line says so and what is missing, and status exits with
 *	CMD_EXIT_NOT_ENFORCED; when the firewall cannot be read (no
 *	CAP_NET_ADMIN), it says so and that is not an error.
 *
 *	report writes the static HTML page (htmlreport.h) to FILE, or to
 *	report.html of the configuration, atomically.
 *
 *	Both open the state file read-only and change nothing; a state file
 *	that does not exist yet is not an error.
 * SECURITY
 *	Strings from the state file (pattern, host, program, messages) may
 *	hold hostile log text: the text output quotes them with msg_quote(),
 *	JSON escapes them, the page escapes them for HTML.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "fmt.h"
#include "htmlreport.h"
#include "kset.h"
#include "log.h"
#include "metrics.h"
#include "run.h"
#include "state.h"
#include "summary.h"

#define QUOTE_MAX 64

/* Whether the bans are enforced: cmd_enforced() and what it said. */
struct enforced {
	int rc; /* 1 yes, 0 no, -1 unknown */
	char what[512];
};

struct setinfo {
	const char *name;
	int family;
	int readable; /* the kernel let us talk to ipset (CAP_NET_ADMIN) */
	int counted; /* entries is the set's entry count */
	uint64_t entries;
	char why[256]; /* when not counted */
};

static void
read_sets(const struct config *cfg, struct setinfo si[2])
{
	char err[256];
	struct kset *ks;
	int i;

	si[0].name = cfg->set4;
	si[0].family = ADDR_V4;
	si[1].name = cfg->set6;
	si[1].family = ADDR_V6;
	ks = kset_open(cfg, err, sizeof(err));
	for (i = 0; i < 2; i++) {
		si[i].readable = ks != NULL;
		if (ks == NULL)
			snprintf(si[i].why, sizeof(si[i].why), "%s", err);
		else if (kset_entries(ks, si[i].family, &si[i].entries, si[i].why,
			     sizeof(si[i].why)) == 0)
			si[i].counted = 1;
	}
	kset_close(ks);
}

/* Untrusted text for a terminal: printable ASCII, truncated. */
static const char *
q(char *buf, const char *text)
{
	return msg_quote(buf, text, strlen(text), QUOTE_MAX);
}

/* A health row older than this: the mailban that wrote it may be gone. */
#define HEALTH_STALE (2 * RUN_DEGRADED_REPORT + 10)

/* What a degraded mailban run said of itself, for people. */
static void
degraded_text(FILE *out, const struct summary *s)
{
	const struct state_health *h = &s->health;
	char tb[32], tb2[32], qb[4 * STATE_CAUSE_MAX + 4];

	if (!s->degraded)
		return;
	fprintf(out, "DEGRADED   since %s: %s\n", fmt_time(tb, sizeof(tb),
	    h->since), msg_quote(qb, h->cause, strlen(h->cause),
	    STATE_CAUSE_MAX));
	fprintf(out, "%-10s %" PRIu64 " lines read or kept meanwhile, %" PRIu64
	    " ban decisions not in the kernel yet; last report %s%s\n", "",
	    h->lines, h->bans, fmt_time(tb2, sizeof(tb2), h->updated),
	    s->now - h->updated > HEALTH_STALE ? " (old: is mailban running?)" :
	    "");
}

static void
degraded_json(FILE *out, const struct summary *s)
{
	const struct state_health *h = &s->health;
	char tb[32];

	if (!s->degraded) {
		fputs("\"degraded\":null,", out);
		return;
	}
	fprintf(out, "\"degraded\":{\"since\":\"%s\",", fmt_time(tb, sizeof(tb),
	    h->since));
	fprintf(out, "\"updated\":\"%s\",\"cause\":", fmt_time(tb, sizeof(tb),
	    h->updated));
	fmt_json_str(out, h->cause);
	fprintf(out, ",\"lines\":%" PRIu64 ",\"bans\":%" PRIu64 "},", h->lines,
	    h->bans);
}

static void
status_text(FILE *out, const struct config *cfg, const char *state_note,
    const struct summary *s, const struct setinfo si[2],
    const struct enforced *en)
{
	static const char *const wname[] = {"1H", "1D", "1W"};
	char tb[32], db[32], qb[4 * QUOTE_MAX + 4], qb2[4 * QUOTE_MAX + 4];
	size_t i;
	int w;

	fprintf(out, "mailban status at %s", fmt_time(tb, sizeof(tb), s->now));
	if (en->rc == 0)
		fprintf(out, ": BANS ARE NOT ENFORCED: %s", en->what);
	fputs("\n\n", out);
	for (i = 0; i < s->nnotices; i++) {
		const struct summary_notice *n = &s->notices[i];

		if (strcmp(n->kind, "dnsbl-error") != 0)
			continue;
		fprintf(out, "WARNING: DNSBL ERROR: a DNSBL is refusing this "
		    "server's queries (%" PRIu64 " line%s from %s, the last at "
		    "%s): the MTA rejects clients that are not listed; these "
		    "lines are never scored.  Fix the MTA's DNSBL setup; examples "
		    "under \"Lines read and not acted on\".\n\n", n->count,
		    n->count == 1 ? "" : "s", q(qb, n->program),
		    fmt_time(tb, sizeof(tb), n->last));
	}
	degraded_text(out, s);
	fprintf(out, "%-10s ", "firewall");
	if (en->rc == 1)
		fprintf(out, "enforced: the rules in chain %s use the sets\n",
		    "MAILBAN");
	else if (en->rc == 0)
		fprintf(out, "NOT ENFORCED: %s (\"mailban run\" puts the rules "
		    "back; \"mailban setup\" makes them)\n", en->what);
	else
		fprintf(out, "not readable: %s\n", en->what);
	fprintf(out, "%-10s %s (%s)\n", "state", cfg->state, state_note);
	fprintf(out, "%-10s %s", "policy", cfg->policy == POLICY_PORT ?
	    "port: tcp" : "drop: all traffic");
	for (i = 0; cfg->policy == POLICY_PORT && i < cfg->nports; i++)
		fprintf(out, "%s %u", i ? "," : "", (unsigned)cfg->ports[i]);
	fputc('\n', out);
	for (i = 0; i < 2; i++) {
		fprintf(out, "%-10s %-16s ", i == 0 ? "sets" : "", si[i].name);
		if (si[i].counted)
			fprintf(out, "%" PRIu64 " entr%s%s\n", si[i].entries,
			    si[i].entries == 1 ? "y" : "ies",
			    cfg->policy == POLICY_PORT ? " (one per port)" : "");
		else if (si[i].readable)
			fprintf(out, "unavailable: %s\n", si[i].why);
		else
			fprintf(out, "not readable (needs CAP_NET_ADMIN): %s\n",
			    si[i].why);
	}
	fprintf(out, "%-10s %" PRIu64 " bans: IPv4 %" PRIu64 ", IPv6 %" PRIu64
	    "\n", "active", s->active4 + s->active6, s->active4, s->active6);

	fprintf(out, "\nPer pattern (hourly counters: a window covers the clock "
	    "hours it overlaps)\n%-32s %7s", "PATTERN", "ACTIVE");
	for (w = 0; w < 3; w++)
		fprintf(out, " %6s %-2s", "MATCH", wname[w]);
	for (w = 0; w < 3; w++)
		fprintf(out, " %5s %-2s", "BANS", wname[w]);
	fputc('\n', out);
	for (i = 0; i < s->npatterns; i++) {
		const struct summary_pattern *p = &s->patterns[i];

		fprintf(out, "%-32s %7" PRIu64, q(qb, p->name), p->active);
		for (w = 0; w < 3; w++)
			fprintf(out, " %9" PRIu64, p->matches[w]);
		for (w = 0; w < 3; w++)
			fprintf(out, " %8" PRIu64, p->bans[w]);
		fputc('\n', out);
	}
	if (s->npatterns == 0)
		fputs("(none)\n", out);

	fprintf(out, "\nTop offenders\n%-39s %5s %6s  %-20s %-9s %s\n",
	    "ADDRESS", "BANS", "SCORE", "LAST BAN", "LEFT", "PATTERN / HOST");
	for (i = 0; i < s->ntop; i++) {
		const struct state_ban *b = &s->top[i];
		char ip[ADDR_STRLEN];

		fprintf(out, "%-39s %5u %6ld  %-20s %-9s %s / %s\n",
		    addr_format(&b->addr, ip), b->count, b->score,
		    fmt_time(tb, sizeof(tb), b->last_ban),
		    b->until > s->now ? fmt_left(db, sizeof(db),
			b->until - s->now) : "-",
		    q(qb, b->pattern), q(qb2, b->host));
	}
	if (s->ntop == 0)
		fputs("(none)\n", out);

	fputs("\nLast errors of mailban run\n", out);
	for (i = 0; i < s->nerrors; i++) {
		char mb[4 * 240 + 4];
		const char *m = s->errors[i].message;

		fprintf(out, "%s  %s\n", fmt_time(tb, sizeof(tb),
		    s->errors[i].time), msg_quote(mb, m, strlen(m), 240));
	}
	if (s->nerrors == 0)
		fputs("(none)\n", out);

	if (s->njournals > 0)
		fputs("\nThe systemd journal (mailban run --journal)\n", out);
	for (i = 0; i < s->njournals; i++)
		fprintf(out, "%s: read up to an entry committed at %s\n",
		    q(qb, s->journals[i].source),
		    fmt_time(tb, sizeof(tb), s->journals[i].time));

	fputs("\nLines read and not acted on\n", out);
	for (i = 0; i < s->nnotices; i++) {
		const struct summary_notice *n = &s->notices[i];
		char tb2[32];
		size_t k;

		fprintf(out, "%-12s %-24s %8" PRIu64 "  %s .. %s\n", n->kind,
		    q(qb, n->program), n->count,
		    fmt_time(tb, sizeof(tb), n->first),
		    fmt_time(tb2, sizeof(tb2), n->last));
		for (k = 0; k < n->nlines; k++) {
			char mb[4 * 240 + 4];

			fprintf(out, "    %s  %s\n", fmt_time(tb, sizeof(tb),
			    n->time[k]), msg_quote(mb, n->line[k],
			    strlen(n->line[k]), 240));
		}
	}
	if (s->nnotices == 0)
		fputs("(none)\n", out);
}

static void
json_ban(FILE *out, const struct state_ban *b, int64_t now)
{
	char ip[ADDR_STRLEN], tb[32];

	fprintf(out, "{\"ip\":\"%s\",\"count\":%u,\"score\":%ld,\"first_ban\":"
	    "\"%s\",", addr_format(&b->addr, ip), b->count, b->score,
	    fmt_time(tb, sizeof(tb), b->first_ban));
	fprintf(out, "\"last_ban\":\"%s\",\"active\":%s,\"left\":%" PRId64
	    ",\"pattern\":", fmt_time(tb, sizeof(tb), b->last_ban),
	    b->until > now ? "true" : "false",
	    b->until > now ? b->until - now : 0);
	fmt_json_str(out, b->pattern);
	fputs(",\"program\":", out);
	fmt_json_str(out, b->program);
	fputs(",\"host\":", out);
	fmt_json_str(out, b->host);
	fputc('}', out);
}

static void
status_json(FILE *out, const struct config *cfg, int exists,
    const struct summary *s, const struct setinfo si[2],
    const struct enforced *en)
{
	static const char *const wkey[] = {"hour", "day", "week"};
	char tb[32];
	size_t i;
	int w, k;

	fprintf(out, "{\"enforced\":%s,\"firewall\":{\"enforced\":%s,"
	    "\"problem\":", en->rc == 1 ? "true" : en->rc == 0 ? "false" :
	    "null", en->rc == 1 ? "true" : en->rc == 0 ? "false" : "null");
	if (en->rc == 1)
		fputs("null", out);
	else
		fmt_json_str(out, en->what);
	fprintf(out, "},\"time\":\"%s\",", fmt_time(tb, sizeof(tb), s->now));
	degraded_json(out, s);
	fputs("\"state\":{\"path\":", out);
	fmt_json_str(out, cfg->state);
	fprintf(out, ",\"exists\":%s,\"addresses\":%" PRIu64 "},\"policy\":\"%s\","
	    "\"ports\":[", exists ? "true" : "false", s->addresses,
	    cfg->policy == POLICY_PORT ? "port" : "drop");
	for (i = 0; cfg->policy == POLICY_PORT && i < cfg->nports; i++)
		fprintf(out, "%s%u", i ? "," : "", (unsigned)cfg->ports[i]);
	fputs("],\"sets\":[", out);
	for (i = 0; i < 2; i++) {
		fprintf(out, "%s{\"name\":", i ? "," : "");
		fmt_json_str(out, si[i].name);
		fprintf(out, ",\"family\":%d,\"readable\":%s,\"entries\":",
		    si[i].family, si[i].readable ? "true" : "false");
		if (si[i].counted) {
			fprintf(out, "%" PRIu64 "}", si[i].entries);
		} else {
			fputs("null,\"error\":", out);
			fmt_json_str(out, si[i].why);
			fputc('}', out);
		}
	}
	fprintf(out, "],\"active\":{\"ipv4\":%" PRIu64 ",\"ipv6\":%" PRIu64
	    ",\"total\":%" PRIu64 "},\"patterns\":[", s->active4, s->active6,
	    s->active4 + s->active6);
	for (i = 0; i < s->npatterns; i++) {
		const struct summary_pattern *p = &s->patterns[i];

		fprintf(out, "%s{\"pattern\":", i ? "," : "");
		fmt_json_str(out, p->name);
		fprintf(out, ",\"active\":%" PRIu64, p->active);
		for (k = 0; k < 2; k++) {
			fprintf(out, ",\"%s\":{", k == 0 ? "matches" : "bans");
			for (w = 0; w < 3; w++)
				fprintf(out, "%s\"%s\":%" PRIu64, w ? "," : "",
				    wkey[w], k == 0 ? p->matches[w] : p->bans[w]);
			fputc('}', out);
		}
		fputc('}', out);
	}
	fputs("],\"top\":[", out);
	for (i = 0; i < s->ntop; i++) {
		fputs(i ? "," : "", out);
		json_ban(out, &s->top[i], s->now);
	}
	fputs("],\"errors\":[", out);
	for (i = 0; i < s->nerrors; i++) {
		fprintf(out, "%s{\"time\":\"%s\",\"message\":", i ? "," : "",
		    fmt_time(tb, sizeof(tb), s->errors[i].time));
		fmt_json_str(out, s->errors[i].message);
		fputc('}', out);
	}
	fputs("],\"journal\":[", out);
	for (i = 0; i < s->njournals; i++) {
		fputs(i ? ",{\"source\":" : "{\"source\":", out);
		fmt_json_str(out, s->journals[i].source);
		fprintf(out, ",\"time\":\"%s\"}",
		    fmt_time(tb, sizeof(tb), s->journals[i].time));
	}
	fputs("],\"notices\":[", out);
	for (i = 0; i < s->nnotices; i++) {
		const struct summary_notice *n = &s->notices[i];
		size_t j;

		fputs(i ? ",{\"kind\":" : "{\"kind\":", out);
		fmt_json_str(out, n->kind);
		fputs(",\"program\":", out);
		fmt_json_str(out, n->program);
		fprintf(out, ",\"count\":%" PRIu64 ",\"first\":\"%s\"", n->count,
		    fmt_time(tb, sizeof(tb), n->first));
		fprintf(out, ",\"last\":\"%s\",\"lines\":[",
		    fmt_time(tb, sizeof(tb), n->last));
		for (j = 0; j < n->nlines; j++) {
			fprintf(out, "%s{\"time\":\"%s\",\"line\":", j ? "," : "",
			    fmt_time(tb, sizeof(tb), n->time[j]));
			fmt_json_str(out, n->line[j]);
			fputc('}', out);
		}
		fputs("]}", out);
	}
	fputs("]}\n", out);
}

/*
 * The summary of the state file named by cfg, read-only.  *exists = 0
 * (and an empty summary) when there is no state file yet.  0 or -1.
 */
static int
load_state(const struct config *cfg, int64_t now, size_t max_bans,
    struct summary *s, int *exists)
{
	struct state *st;
	int rc;

	memset(s, 0, sizeof(*s));
	s->now = now;
	s->first_day = now / SECONDS_DAY - (SUMMARY_DAYS - 1);
	*exists = 0;
	if (access(cfg->state, F_OK) < 0 && errno == ENOENT)
		return 0;
	*exists = 1;
	if ((st = state_open(cfg->state, 1)) == NULL)
		return -1;
	rc = summary_load(st, now, max_bans, s);
	state_close(st);
	return rc;
}

/* status --prometheus: the metrics (metrics.h); no state file yet is
 * every figure 0.  0, or 1 when the state file cannot be read. */
static int
status_prometheus(const struct cmdline *cl, struct config *cfg)
{
	struct state *st = NULL;
	int rc = 0;

	if (cl->json)
		msg_usage(cl->usage, "status: --json or --prometheus, not both");
	if ((access(cfg->state, F_OK) == 0 || errno != ENOENT) &&
	    (st = state_open(cfg->state, 1)) == NULL)
		rc = 1;
	else if (metrics_print(stdout, st, cfg, cmd_now()) < 0)
		rc = 1;
	if (fflush(stdout) != 0)
		rc = 1;
	state_close(st);
	config_free(cfg);
	return rc;
}

int
cmd_status(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct setinfo si[2];
	struct enforced en;
	struct summary s;
	struct stat sb;
	char note[128];
	int exists, rc = 0;

	if (cl->prometheus)
		return status_prometheus(cl, cfg);
	memset(si, 0, sizeof(si));
	if (load_state(cfg, cmd_now(), 0, &s, &exists) < 0) {
		config_free(cfg);
		return 1;
	}
	if (!exists)
		snprintf(note, sizeof(note), "no state yet");
	else if (stat(cfg->state, &sb) == 0)
		snprintf(note, sizeof(note), "%lld bytes, %" PRIu64 " address%s "
		    "on record", (long long)sb.st_size, s.addresses,
		    s.addresses == 1 ? "" : "es");
	else
		snprintf(note, sizeof(note), "%s", strerror(errno));
	read_sets(cfg, si);
	en.rc = cmd_enforced(cfg, en.what, sizeof(en.what));
	if (cl->json)
		status_json(stdout, cfg, exists, &s, si, &en);
	else
		status_text(stdout, cfg, note, &s, si, &en);
	if (s.degraded)
		rc = CMD_EXIT_DEGRADED;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		msg_warn("stdout: write error");
		rc = 1;
	} else if (en.rc == 0 && !s.degraded) { /* degraded says why */
		rc = CMD_EXIT_NOT_ENFORCED;
	}
	summary_free(&s);
	config_free(cfg);
	return rc;
}

int
cmd_report(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	const char *path = cl->html != NULL ? cl->html : cfg->report_html;
	struct summary s;
	int exists, rc = 0;

	if (*path == '\0')
		msg_usage(cl->usage, "report: no page to write: give --html FILE "
		    "or set report.html");
	if (load_state(cfg, cmd_now(), HTMLREPORT_MAX_ROWS, &s, &exists) < 0 ||
	    htmlreport_write(path, &s, cfg, exists) < 0)
		rc = 1;
	else
		printf("%s: %" PRIu64 " active bans\n", path, s.active4 +
		    s.active6);
	summary_free(&s);
	config_free(cfg);
	return rc;
}
