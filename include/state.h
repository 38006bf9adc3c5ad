/*
 * NAME
 *	state - the SQLite state file: ban history and active bans
 * SYNOPSIS
 *	#include "state.h"
 * DESCRIPTION
 *	The only SQLite user: every SQL statement of mailban is in state.c,
 *	and no other file includes sqlite3.h.  The database (WAL mode, so
 *	that other programs may read it while mailban runs) holds one row per
 *	address ever banned within the forget horizon: how often, when, until
 *	when, why.  Bans are written in one transaction per committed batch,
 *	never per line.  The schema is documented in README.md and below in
 *	state.c.
 *
 *	state_open() creates the file and its directory (mode 0750) when
 *	missing.  Every function returns 0 or -1 and reports failures with
 *	msg_warn(); callers keep enforcing when the state file fails.
 *
 *	The functions above state_expire() serve run, restore, list, unban
 *	and flush.  The read side below it serves status and the report page
 *	(summary.h): it fills plain structs or calls back with rows, and
 *	summary.c assembles what they show.  Between state_read_begin() and
 *	state_read_end() every read sees one snapshot (a running mailban may
 *	commit in between).
 *
 *	Scores in flight are lists of struct score_event (score.h), the type
 *	the tracker keeps them in; this module knows nothing else of the
 *	tracker.
 * SECURITY
 *	Strings read back (pattern, host, program, error messages) may hold
 *	hostile text from log lines; addresses are parsed again with
 *	addr_parse() and rows whose address does not parse are skipped.
 */
#ifndef MAILBAN_STATE_H
#define MAILBAN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "score.h"

#define STATE_NAME_MAX 63

struct state_ban {
	struct addr addr;
	unsigned count; /* bans within the forget horizon */
	int64_t first_ban, last_ban;
	int64_t until; /* 0: lifted */
	int64_t duration;
	long score;
	char pattern[STATE_NAME_MAX + 1];
	char host[STATE_NAME_MAX + 1]; /* syslog host that reported it */
	char program[STATE_NAME_MAX + 1]; /* syslog program of that line */
};

/* Matches and bans of one pattern in one hour (unix seconds / SECONDS_HOUR). */
struct state_stat {
	int64_t hour;
	const char *pattern;
	uint64_t matches, bans;
};

#define STATE_ERRORS 200 /* warnings kept in the errors table */
#define STATE_ERRORS_STR "200"

struct state;

/* readonly 1: never creates anything (list); STATE_WAIT: read-write,
 * waiting up to 5 s for a lock (the commands of every day), where run
 * (0) gives up after 250 ms and retries later. */
#define STATE_WAIT 2
struct state *state_open(const char *path, int readonly);
void state_close(struct state *st);
/* Insert or update bans in one transaction. */
int state_record(struct state *st, const struct state_ban *b, size_t n);
/* Every ban with until > now (active), or every row within the horizon
 * (history: last_ban >= since), in address order.  cb returns 0 to go on. */
int state_active(struct state *st, int64_t now,
    int (*cb)(void *, const struct state_ban *), void *ctx);
int state_history(struct state *st, int64_t since,
    int (*cb)(void *, const struct state_ban *), void *ctx);
/* Rows lifted (unban, flush) after changed_after: their addresses. */
int state_lifted_since(struct state *st, int64_t changed_after,
    int (*cb)(void *, const struct state_ban *), void *ctx);
/* Lift one ban (1 if it was active, 0 if not), or all (count lifted). */
int state_unban(struct state *st, const struct addr *a, int64_t now);
int state_flush(struct state *st, int64_t now);
/* Scores in flight: put (n = 0 deletes) between begin and end(ok). */
int state_scores_begin(struct state *st);
int state_scores_put(struct state *st, const struct addr *a,
    const struct score_event *ev, size_t n, int64_t last_seen);
int state_scores_end(struct state *st, int ok);
/*
 * One transaction around several writes: between state_batch_begin() and
 * state_batch_end(), state_record(), the scores and state_cursor_put()
 * join it, and end(ok) commits all or (ok 0, or a failure) none.
 */
int state_batch_begin(struct state *st);
int state_batch_end(struct state *st, int ok);
/*
 * Where a source was read up to (run --journal: the journal cursor of the
 * last entry whose bans and scores are committed with it), and when t.
 * get: 1 and the cursor in buf, 0 when there is none, -1.
 */
#define STATE_CURSOR_MAX 512 /* a cursor's text, its NUL included */
/* put refuses (-1) what is not a cursor's text, or longer */
int state_cursor_put(struct state *st, const char *source, const char *cursor,
    int64_t t);
int state_cursor_get(struct state *st, const char *source, char *buf,
    size_t len, int64_t *t);
/* Every saved cursor's source and when it was saved, by source (status). */
int state_cursors(struct state *st,
    int (*cb)(void *, const char *source, int64_t t), void *ctx);
/* Every row seen since since (older ones are deleted). */
int state_scores(struct state *st, int64_t since,
    void (*cb)(void *, const struct addr *, const struct score_event *,
	size_t, int64_t), void *ctx);
/* Add to the per-hour, per-pattern counters in one transaction. */
int state_stats_add(struct state *st, const struct state_stat *v, size_t n);
/* Keep a warning of the running mailban (the last STATE_ERRORS). */
int state_error_add(struct state *st, int64_t t, const char *message);
/*
 * Why a running mailban cannot do its whole job (run.h's degraded mode),
 * for status: one row, written by run while it lasts, deleted when it
 * ends.  lines: lines kept to be read again; bans: ban decisions that
 * have not reached the kernel.
 */
#define STATE_CAUSE_MAX 512

struct state_health {
	int64_t since, updated;
	char cause[STATE_CAUSE_MAX];
	uint64_t lines, bans;
};

/* The row, or with h NULL no row (mailban is not degraded). */
int state_health_put(struct state *st, const struct state_health *h);

/*
 * Lines read and not acted on (engine.h's notices), by kind and program:
 * how many, the first and last time, and the last STATE_NOTICE_LINES
 * lines of each as examples.  Added in one transaction.
 */
#define STATE_NOTICE_LINES 5
#define STATE_NOTICE_LINES_STR "5"

struct state_notice {
	const char *kind; /* "untrusted", "unmatched", "dnsbl-error" */
	const char *program;
	uint64_t count;
	int64_t first, last;
};

struct state_notice_line {
	const char *kind;
	const char *program;
	int64_t time;
	const char *line; /* as read: hostile text */
};

int state_notices_add(struct state *st, const struct state_notice *v,
    size_t n, const struct state_notice_line *l, size_t nl);
/*
 * Counters that only grow, kept across restarts (never expired): what
 * the running mailban read and did, for status --prometheus.  name is
 * one of "lines", "malformed", "overlong", "untrusted", "unmatched",
 * "dnsbl_errors", "kernel_errors", "state_errors" (pattern ""), "matches"
 * and "bans" (per pattern; state_ban_add() counts its own), or a time
 * "last_commit" that is raised, never added to.  add: in one transaction
 * (or the batch's); zero values are skipped.
 */
struct state_counter {
	const char *name;
	const char *pattern; /* "" or NULL: none */
	uint64_t value;
};

int state_counters_add(struct state *st, const struct state_counter *v,
    size_t n);
/* Every counter by name and pattern (strings valid during cb; a file
 * without the table has none). */
int state_counters(struct state *st,
    int (*cb)(void *, const struct state_counter *), void *ctx);

/* Forget rows (and ban log, stats, notices) older than since. */
int state_expire(struct state *st, int64_t since);

/*
 * The read side.  The functions that call back skip rows whose address
 * does not parse without a warning (status shows what it can).
 */
#define STATE_SPANS 4 /* three windows of hours, then everything */

struct state_counts {
	uint64_t active4, active6; /* active bans per family */
	uint64_t rows; /* rows in bans (the ban history) */
};

/* One pattern: matches and bans counted by the hourly stats. */
struct state_totals {
	const char *pattern; /* valid during the callback */
	uint64_t active; /* active bans it decided */
	/* [i] sums the hours >= since_hour[i], the last one every hour */
	uint64_t matches[STATE_SPANS], bans[STATE_SPANS];
};

int state_read_begin(struct state *st);
void state_read_end(struct state *st);
int state_count(struct state *st, int64_t now, struct state_counts *c);
/* At most max active bans, the most recent last_ban first. */
int state_newest(struct state *st, int64_t now, size_t max,
    int (*cb)(void *, const struct state_ban *), void *ctx);
/* At most max rows by count, score, last_ban, descending. */
int state_most_banned(struct state *st, size_t max,
    int (*cb)(void *, const struct state_ban *), void *ctx);
/* Every pattern in stats or among the active bans, in name order. */
int state_totals(struct state *st, int64_t now,
    const int64_t since_hour[STATE_SPANS - 1],
    int (*cb)(void *, const struct state_totals *), void *ctx);
/* Bans (ban_log) per UTC day of the ndays days from day first_day (unix
 * day numbers) into perday[0..ndays - 1], which the caller zeroed. */
int state_bans_per_day(struct state *st, int64_t first_day, size_t ndays,
    uint64_t *perday);
/* The last max warnings of run, newest first (message valid during cb). */
int state_errors(struct state *st, size_t max,
    int (*cb)(void *, int64_t, const char *), void *ctx);
/* Every notice row by kind and program; then every example line, by kind
 * and program, newest first (strings valid during cb). */
int state_notices(struct state *st,
    int (*cb)(void *, const struct state_notice *), void *ctx);
int state_notice_lines(struct state *st,
    int (*cb)(void *, const struct state_notice_line *), void *ctx);
/* The health row: 1 and *h when mailban reported itself degraded, 0 when
 * not (or the file predates the table), -1 on error. */
int state_health(struct state *st, struct state_health *h);


/*
 * The commands of every day and what the running mailban reads of them.
 *
 * state_data_version() is SQLite's PRAGMA data_version: it changes when
 * another connection committed to the file, never for this one's own
 * commits; run polls it once a second and reads what changed only then.
 */
int state_data_version(struct state *st, int64_t *v);
/* Active bans (until > now) changed after changed_after: a "mailban ban"
 * the running mailban learns of. */
int state_banned_since(struct state *st, int64_t changed_after, int64_t now,
    int (*cb)(void *, const struct state_ban *), void *ctx);
/* The row of a: 1 and *out (reason: its reason, may be NULL), 0 none. */
int state_ban_get(struct state *st, const struct addr *a,
    struct state_ban *out, char *reason, size_t reasonlen);
/*
 * A ban made by hand in one transaction: b gives addr, last_ban (now),
 * pattern, host, program and duration (0: the escalation's length for
 * its count, bantimes[count - 1], the last repeating); count, first_ban
 * and until are filled in (count: one more than the row's when it is
 * within the horizon, forget_since).
 */
int state_ban_add(struct state *st, struct state_ban *b, const char *reason,
    int64_t forget_since, const int64_t *bantimes, size_t nbantimes);

/* One ban decision of ban_log (strings valid during the callback). */
struct state_ban_event {
	int64_t time, duration;
	unsigned count;
	const char *pattern, *program, *host, *reason;
};

int state_ban_log(struct state *st, const struct addr *a,
    int (*cb)(void *, const struct state_ban_event *), void *ctx);
/* The scores in flight of one address (at most max events). */
int state_scores_of(struct state *st, const struct addr *a,
    struct score_event *ev, size_t max, size_t *n);

/* The runtime allow list: addresses and networks never banned (beside
 * the configuration's ignore), each until a time (0: until removed). */
struct state_allow {
	struct cidr net;
	const char *text; /* as stored: canonical "ADDR/LEN" */
	int64_t added, until;
	const char *reason;
};

/* 1 when net replaced an entry, 0 when it is new, -1 on error. */
int state_allow_put(struct state *st, const char *net, int64_t added,
    int64_t until, const char *reason);
/* Entries removed (0 or 1). */
int state_allow_del(struct state *st, const char *net);
/* Entries in force at now, in order of their text. */
int state_allow_list(struct state *st, int64_t now,
    int (*cb)(void *, const struct state_allow *), void *ctx);

/*
 * Evidence: the last lines that scored for each address, escaped
 * (msg_quote) before they are stored.  state_evidence_put() runs inside
 * the scores' transaction (state_scores_begin/end); after each line its
 * address is trimmed to its last keep (one index seek).
 */
struct state_evidence {
	struct addr addr;
	int64_t time;
	const char *pattern;
	long score;
	const char *line;
};

int state_evidence_put(struct state *st, const struct state_evidence *v,
    size_t n, unsigned keep);
/* The last max lines of a, oldest first (strings valid during cb). */
int state_evidence(struct state *st, const struct addr *a, size_t max,
    int (*cb)(void *, const struct state_evidence *), void *ctx);

/*
 * Reload asked of the running mailban ("mailban reload"): a counter the
 * command raises, and the one the run sets once it has reloaded, with
 * what came of it.
 */
struct state_reload {
	uint64_t asked, done;
	int64_t time;
	char result[STATE_CAUSE_MAX];
};

int state_reload_ask(struct state *st, uint64_t *asked);
/* 1 and *r, 0 when nothing was ever asked, -1 on error. */
int state_reload_status(struct state *st, struct state_reload *r);
int state_reload_done(struct state *st, uint64_t done, int64_t t,
    const char *result);

#endif
