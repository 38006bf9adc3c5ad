/*
 * NAME
 *	summary - what the state file says, for status and the report page
 * DESCRIPTION
 *	See include/summary.h.  The queries read the tables documented in
 *	state.c through the handle state_db() lends to the read-only reports;
 *	nothing here writes.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "summary.h"

static int
fail(sqlite3 *db, const char *what)
{
	msg_warn("state: %s: %s", what, sqlite3_errmsg(db));
	return -1;
}

static const char *
text(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return s != NULL ? (const char *)s : "";
}

static void
copy_name(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

/*
 * Columns: addr, count, first_ban, last_ban, until, duration, pattern,
 * score, host, program.  0 when the row's address parses.
 */
static int
row_ban(sqlite3_stmt *stmt, struct state_ban *b)
{
	const char *ip = text(stmt, 0);

	memset(b, 0, sizeof(*b));
	if (addr_parse(ip, strlen(ip), &b->addr) < 0)
		return -1;
	b->count = (unsigned)sqlite3_column_int64(stmt, 1);
	b->first_ban = sqlite3_column_int64(stmt, 2);
	b->last_ban = sqlite3_column_int64(stmt, 3);
	b->until = sqlite3_column_int64(stmt, 4);
	b->duration = sqlite3_column_int64(stmt, 5);
	copy_name(b->pattern, sizeof(b->pattern), text(stmt, 6));
	b->score = (long)sqlite3_column_int64(stmt, 7);
	copy_name(b->host, sizeof(b->host), text(stmt, 8));
	copy_name(b->program, sizeof(b->program), text(stmt, 9));
	return 0;
}

#define BAN_COLUMNS "addr, count, first_ban, last_ban, until, duration," \
		    " pattern, score, host, program FROM bans "

/* Rows of a ban query into a new array (at most max). */
static int
load_bans(sqlite3 *db, const char *sql, int64_t arg, size_t max,
    struct state_ban **out, size_t *n)
{
	sqlite3_stmt *stmt = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return fail(db, "query");
	sqlite3_bind_int64(stmt, 1, arg);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		if (row_ban(stmt, &(*out)[*n]) == 0)
			(*n)++;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : fail(db, "read");
}

static int
load_families(sqlite3 *db, struct summary *s)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT family, count(*) FROM bans WHERE"
		" until > ?1 GROUP BY family", -1, &stmt, NULL) != SQLITE_OK)
		return fail(db, "query");
	sqlite3_bind_int64(stmt, 1, s->now);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		uint64_t k = (uint64_t)sqlite3_column_int64(stmt, 1);

		if (sqlite3_column_int(stmt, 0) == 6)
			s->active6 += k;
		else
			s->active4 += k;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return fail(db, "read");
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM bans", -1, &stmt,
		NULL) != SQLITE_OK)
		return fail(db, "query");
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		s->addresses = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : fail(db, "read");
}

/* Per pattern: counters of each window from stats, active bans. */
static int
load_patterns(sqlite3 *db, struct summary *s)
{
	static const char sql[] =
	    "WITH st AS (SELECT pattern,"
	    "  sum(CASE WHEN hour >= ?1 THEN matches ELSE 0 END) AS mh,"
	    "  sum(CASE WHEN hour >= ?1 THEN bans ELSE 0 END) AS bh,"
	    "  sum(CASE WHEN hour >= ?2 THEN matches ELSE 0 END) AS md,"
	    "  sum(CASE WHEN hour >= ?2 THEN bans ELSE 0 END) AS bd,"
	    "  sum(CASE WHEN hour >= ?3 THEN matches ELSE 0 END) AS mw,"
	    "  sum(CASE WHEN hour >= ?3 THEN bans ELSE 0 END) AS bw,"
	    "  sum(matches) AS ma, sum(bans) AS ba FROM stats GROUP BY pattern),"
	    " ac AS (SELECT pattern, count(*) AS n FROM bans WHERE until > ?4"
	    "  GROUP BY pattern),"
	    " names AS (SELECT pattern FROM st UNION SELECT pattern FROM ac)"
	    " SELECT names.pattern, coalesce(ac.n, 0),"
	    "  coalesce(mh, 0), coalesce(md, 0), coalesce(mw, 0), coalesce(ma, 0),"
	    "  coalesce(bh, 0), coalesce(bd, 0), coalesce(bw, 0), coalesce(ba, 0)"
	    " FROM names LEFT JOIN st USING (pattern) LEFT JOIN ac USING (pattern)"
	    " ORDER BY names.pattern";
	sqlite3_stmt *stmt = NULL;
	size_t cap = 0;
	int rc, w;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return fail(db, "query");
	sqlite3_bind_int64(stmt, 1, (s->now - 3600) / 3600);
	sqlite3_bind_int64(stmt, 2, (s->now - 86400) / 3600);
	sqlite3_bind_int64(stmt, 3, (s->now - 7 * 86400) / 3600);
	sqlite3_bind_int64(stmt, 4, s->now);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct summary_pattern *p;

		if (s->npatterns == cap) {
			cap = cap ? cap * 2 : 32;
			s->patterns = xreallocarray(s->patterns, cap,
			    sizeof(*s->patterns));
		}
		p = &s->patterns[s->npatterns++];
		memset(p, 0, sizeof(*p));
		p->name = xstrdup(text(stmt, 0));
		p->active = (uint64_t)sqlite3_column_int64(stmt, 1);
		for (w = 0; w < SW_N; w++) {
			p->matches[w] = (uint64_t)sqlite3_column_int64(stmt, 2 + w);
			p->bans[w] = (uint64_t)sqlite3_column_int64(stmt, 6 + w);
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : fail(db, "read");
}

static int
load_perday(sqlite3 *db, struct summary *s)
{
	sqlite3_stmt *stmt = NULL;
	int64_t day;
	int rc;

	s->first_day = s->now / 86400 - (SUMMARY_DAYS - 1);
	if (sqlite3_prepare_v2(db, "SELECT time / 86400, count(*) FROM ban_log"
		" WHERE time >= ?1 AND time < ?2 GROUP BY 1", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return fail(db, "query");
	sqlite3_bind_int64(stmt, 1, s->first_day * 86400);
	sqlite3_bind_int64(stmt, 2, (s->first_day + SUMMARY_DAYS) * 86400);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		day = sqlite3_column_int64(stmt, 0) - s->first_day;
		if (day >= 0 && day < SUMMARY_DAYS)
			s->perday[day] = (uint64_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : fail(db, "read");
}

static int
load_errors(sqlite3 *db, struct summary *s)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT time, message FROM errors ORDER BY id"
		" DESC LIMIT ?1", -1, &stmt, NULL) != SQLITE_OK)
		return fail(db, "query");
	sqlite3_bind_int(stmt, 1, SUMMARY_ERRORS);
	s->errors = xcalloc(SUMMARY_ERRORS, sizeof(*s->errors));
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW &&
	    s->nerrors < SUMMARY_ERRORS) {
		s->errors[s->nerrors].time = sqlite3_column_int64(stmt, 0);
		s->errors[s->nerrors].message = xstrdup(text(stmt, 1));
		s->nerrors++;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(db, "read");
}

int
summary_load(struct state *st, int64_t now, size_t max_bans,
    struct summary *s)
{
	sqlite3 *db = state_db(st);
	int rc = -1;

	memset(s, 0, sizeof(*s));
	s->now = now;
	/* one snapshot: a running mailban may commit in between */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "begin");
	if (load_families(db, s) < 0 ||
	    load_bans(db, "SELECT " BAN_COLUMNS "WHERE until > ?1"
		" ORDER BY last_ban DESC, addr LIMIT ?2", now, max_bans, &s->bans,
		&s->nbans) < 0 ||
	    load_bans(db, "SELECT " BAN_COLUMNS "WHERE ?1 = ?1 ORDER BY count"
		" DESC, score DESC, last_ban DESC, addr LIMIT ?2", 0, SUMMARY_TOP,
		&s->top, &s->ntop) < 0 ||
	    load_patterns(db, s) < 0 || load_perday(db, s) < 0 ||
	    load_errors(db, s) < 0)
		goto out;
	rc = 0;
out:
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc < 0)
		summary_free(s);
	return rc;
}

void
summary_free(struct summary *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->npatterns; i++)
		free(s->patterns[i].name);
	for (i = 0; i < s->nerrors; i++)
		free(s->errors[i].message);
	free(s->patterns);
	free(s->errors);
	free(s->bans);
	free(s->top);
	memset(s, 0, sizeof(*s));
}
