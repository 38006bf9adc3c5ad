/*
 * NAME
 *	summary - what the state file says, for "mailban status" and the
 *	report page
 * SYNOPSIS
 *	#include "summary.h"
 * DESCRIPTION
 *	summary_load() reads, in one read transaction of the state file:
 *	the active bans (the most recent max_bans of them, newest first, and
 *	how many there are per family), matches and bans per pattern over the
 *	last hour, day and week and over everything the stats table keeps
 *	(hourly counters: a window of W seconds covers the clock hours that
 *	overlap it, so "last hour" is the current and the previous clock hour
 *	at most), the addresses banned most often, bans per UTC day over the
 *	last SUMMARY_DAYS days (ban_log), the last errors, the health
 *	row (why a running mailban is degraded, if it is), and for each listed
 *	ban the last SUMMARY_EVIDENCE log lines that scored for it.  It only reads:
 *	the state may be opened read-only.  0, or -1 with a msg_warn().
 *
 *	The rows come from the read side of state.h (state_read_begin() and
 *	what follows it), which runs every SQL statement; this module picks
 *	the windows and days and gathers the rows.  It is its own module,
 *	above state, so that the state module stays the file's schema and
 *	nothing of what status and the page want to show.
 *
 *	The summary owns its arrays and strings; summary_free() releases
 *	them and accepts a zeroed summary.
 * SECURITY
 *	Every string read (pattern, host, program, error message) may hold
 *	hostile text from log lines; addresses are parsed again with
 *	addr_parse() and rows whose address does not parse are skipped.
 */
#ifndef MAILBAN_SUMMARY_H
#define MAILBAN_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

#define SUMMARY_DAYS 30 /* days in the bans-per-day series */
#define SUMMARY_TOP 10 /* top offenders */
#define SUMMARY_ERRORS 10 /* last errors */
#define SUMMARY_EVIDENCE 10 /* evidence lines per listed ban, the newest */

/* One log line that scored for a listed ban (the state's evidence). */
struct summary_evidence {
	int64_t time;
	long score;
	char *pattern;
	char *line; /* as stored: escaped with \xHH, then hostile text */
};

enum summary_window { SW_HOUR, SW_DAY, SW_WEEK, SW_ALL, SW_N };

struct summary_pattern {
	char *name;
	uint64_t active; /* active bans decided by it */
	uint64_t matches[SW_N], bans[SW_N];
};

struct summary_error {
	int64_t time;
	char *message;
};

/* run --journal: where each journal was read up to, saved when. */
struct summary_journal {
	char *source; /* "journal", or "journal:DIR" */
	int64_t time;
};

#define SUMMARY_JOURNALS 8

/* Lines not acted on (engine.h's notices), with their examples. */
struct summary_notice {
	char *kind, *program;
	uint64_t count;
	int64_t first, last;
	size_t nlines; /* newest first */
	int64_t time[STATE_NOTICE_LINES];
	char *line[STATE_NOTICE_LINES];
};

#define SUMMARY_NOTICES 64 /* kinds and programs listed at most */

struct summary {
	int64_t now;
	uint64_t active4, active6; /* active bans per family */
	uint64_t addresses; /* rows in bans (the ban history) */
	struct state_ban *bans; /* active, newest last_ban first */
	size_t nbans; /* at most max_bans; active4 + active6 may be more */
	/* evidence of bans[i]: evidence[ev_first[i]] and the ev_count[i] - 1
	 * after it, oldest first */
	struct summary_evidence *evidence;
	size_t nevidence, evcap;
	size_t *ev_first, *ev_count;
	struct summary_pattern *patterns; /* by name */
	size_t npatterns;
	struct state_ban *top; /* by count, score, last_ban, descending */
	size_t ntop;
	int64_t first_day; /* unix day number of perday[0] */
	uint64_t perday[SUMMARY_DAYS];
	struct summary_error *errors; /* newest first */
	size_t nerrors;
	struct summary_notice *notices; /* by kind, then program */
	size_t nnotices;
	struct summary_journal *journals; /* by source */
	size_t njournals;
	int degraded; /* the health row: a running mailban is degraded */
	struct state_health health;
};

int summary_load(struct state *st, int64_t now, size_t max_bans,
    struct summary *out);
void summary_free(struct summary *s);

#endif
