/*
 * NAME
 *	state - the SQLite state file: ban history and active bans
 * DESCRIPTION
 *	See include/state.h.  The schema of version 1 (the tables and
 *	columns that came later: DESIGN.md, README.md; migrate() below):
 *
 *	bans(addr TEXT PRIMARY KEY,  canonical address text
 *	     family INTEGER,         4 or 6
 *	     count INTEGER,          bans within the forget horizon
 *	     first_ban INTEGER,      unix seconds
 *	     last_ban INTEGER,
 *	     until INTEGER,          end of the current ban; 0 when lifted
 *	     duration INTEGER,       length of the last ban, seconds
 *	     pattern TEXT,           pattern that decided the last ban
 *	     score INTEGER,          summed score at that decision
 *	     host TEXT,              syslog host of the deciding line
 *	     changed INTEGER,        last ban, unban or flush, unix seconds
 *	     program TEXT)           syslog program of the deciding line
 *
 *	scores(addr TEXT PRIMARY KEY,
 *	       events TEXT,          scores in flight: "TIME:SCORE ..." inside
 *	                             the window, oldest first
 *	       last_seen INTEGER)
 *
 *	ban_log(id, time, addr, pattern, program, host, duration, count)
 *	                             every ban decision, for reports
 *	stats(hour, pattern, matches, bans)   per pattern and hour (unix
 *	                             seconds / SECONDS_HOUR)
 *	errors(id, time, message)    the last STATE_ERRORS warnings of run
 *
 *	A file that SQLite finds corrupt (or not a database at all) is renamed
 *	to PATH.corrupt-EPOCH and a new one is created: history is lost, with
 *	a warning, but enforcement and recording go on.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "state.h"

struct state {
	sqlite3 *db;
	char *path;
	int in_batch; /* between state_batch_begin() and state_batch_end() */
	int errcode; /* SQLite's code of a failed migration */
};

/*
 * What a row may hold: a file another program wrote (or an attacker who
 * could write it) must not make a ban count of -1 or a time that
 * overflows the tracker's arithmetic.  Times from 1970 to the end of
 * 9999, ban counts from 1, scores from 0, both below 2^31.
 */
#define TIME_MAX 253402300799LL /* 9999-12-31T23:59:59Z */
#define COUNT_MAX 2147483647LL

static int
is_time(int64_t t)
{
	return t >= 0 && t <= TIME_MAX;
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS bans ("
    " addr TEXT PRIMARY KEY NOT NULL,"
    " family INTEGER NOT NULL,"
    " count INTEGER NOT NULL,"
    " first_ban INTEGER NOT NULL,"
    " last_ban INTEGER NOT NULL,"
    " until INTEGER NOT NULL,"
    " duration INTEGER NOT NULL,"
    " pattern TEXT NOT NULL,"
    " score INTEGER NOT NULL,"
    " host TEXT NOT NULL DEFAULT '',"
    " changed INTEGER NOT NULL,"
    " program TEXT NOT NULL DEFAULT '',"
    " reason TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS bans_until ON bans(until);"
    "CREATE INDEX IF NOT EXISTS bans_changed ON bans(changed);"
    "CREATE TABLE IF NOT EXISTS scores ("
    " addr TEXT PRIMARY KEY NOT NULL,"
    " events TEXT NOT NULL,"
    " last_seen INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ban_log ("
    " id INTEGER PRIMARY KEY,"
    " time INTEGER NOT NULL,"
    " addr TEXT NOT NULL,"
    " pattern TEXT NOT NULL,"
    " program TEXT NOT NULL,"
    " host TEXT NOT NULL,"
    " duration INTEGER NOT NULL,"
    " count INTEGER NOT NULL,"
    " reason TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS ban_log_time ON ban_log(time);"
    "CREATE INDEX IF NOT EXISTS ban_log_addr ON ban_log(addr);"
    "CREATE TABLE IF NOT EXISTS stats ("
    " hour INTEGER NOT NULL,"
    " pattern TEXT NOT NULL,"
    " matches INTEGER NOT NULL,"
    " bans INTEGER NOT NULL,"
    " PRIMARY KEY(hour, pattern));"
    "CREATE TABLE IF NOT EXISTS errors ("
    " id INTEGER PRIMARY KEY,"
    " time INTEGER NOT NULL,"
    " message TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS health ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " since INTEGER NOT NULL,"
    " updated INTEGER NOT NULL,"
    " cause TEXT NOT NULL,"
    " lines INTEGER NOT NULL,"
    " bans INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS notices ("
    " kind TEXT NOT NULL,"
    " program TEXT NOT NULL,"
    " count INTEGER NOT NULL,"
    " first INTEGER NOT NULL,"
    " last INTEGER NOT NULL,"
    " PRIMARY KEY (kind, program));"
    "CREATE TABLE IF NOT EXISTS notice_lines ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " program TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " line TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS allow ("
    " net TEXT PRIMARY KEY NOT NULL,"
    " added INTEGER NOT NULL,"
    " until INTEGER NOT NULL,"
    " reason TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS evidence ("
    " id INTEGER PRIMARY KEY,"
    " addr TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " pattern TEXT NOT NULL,"
    " score INTEGER NOT NULL,"
    " line TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS evidence_addr ON evidence(addr, id);"
    "CREATE TABLE IF NOT EXISTS control ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " reload_asked INTEGER NOT NULL,"
    " reload_done INTEGER NOT NULL,"
    " reload_time INTEGER NOT NULL,"
    " reload_result TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS journal_cursor ("
    " source TEXT PRIMARY KEY NOT NULL,"
    " cursor TEXT NOT NULL,"
    " time INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS counters ("
    " name TEXT NOT NULL,"
    " pattern TEXT NOT NULL,"
    " value INTEGER NOT NULL,"
    " PRIMARY KEY (name, pattern));";

static int
fail(struct state *st, const char *what)
{
	msg_warn("state %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
	return -1;
}

static void
make_parent(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			msg_warn("state: mkdir %s: %s", dir, strerror(errno));
	}
	free(dir);
}

/* Rename a corrupt database (and its WAL files) out of the way. */
static int
move_aside(const char *path)
{
	char to[4096], from[4096];
	static const char *const ext[] = {"-wal", "-shm"};
	long now = (long)time(NULL);
	size_t i;

	if ((size_t)snprintf(to, sizeof(to), "%s.corrupt-%ld", path, now) >=
	    sizeof(to))
		return -1;
	if (rename(path, to) < 0) {
		msg_warn("state %s: cannot move the corrupt file aside: %s", path,
		    strerror(errno));
		return -1;
	}
	msg_warn("state %s is corrupt: moved to %s; starting a new one (ban "
	    "history before now is not in it)", path, to);
	for (i = 0; i < 2; i++) {
		if ((size_t)snprintf(from, sizeof(from), "%s%s", path, ext[i]) <
		    sizeof(from))
			(void)unlink(from);
	}
	return 0;
}

/* The schema this mailban writes (PRAGMA user_version). */
#define STATE_SCHEMA 5

static int
user_version(struct state *st, int *version)
{
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt,
		NULL) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
		*version = sqlite3_column_int(stmt, 0);
		rc = 0;
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* 1 when table has column, 0 when not, -1 on error. */
static int
has_column(struct state *st, const char *table, const char *column)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *name;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT name FROM pragma_table_info(?1)",
		-1, &stmt, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		name = sqlite3_column_text(stmt, 0);
		if (name != NULL && strcmp((const char *)name, column) == 0) {
			sqlite3_finalize(stmt);
			return 1;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* 1 when the file holds mailban's tables already (not a new file). */
static int
has_tables(struct state *st)
{
	sqlite3_stmt *stmt = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master"
		" WHERE type = 'table' AND name = 'bans'", -1, &stmt, NULL) ==
	    SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

/*
 * A copy of the file as it is, before a migration changes it:
 * PATH.schema-N.bak, made with SQLite's backup API from this connection,
 * which holds the write lock (no other process commits in between), with
 * the state file's owner and mode; written as PATH.schema-N.bak.tmp and
 * renamed, so that a copy that is there is whole.  0, or -1 with a
 * warning.
 */
static int
backup(struct state *st, int version, char *bak, size_t baklen)
{
	char tmp[4200];
	sqlite3 *dst = NULL, *src = NULL;
	sqlite3_backup *b;
	struct stat sb;
	mode_t mask;
	int rc;

	if ((size_t)snprintf(bak, baklen, "%s.schema-%d.bak", st->path,
		version) >= baklen ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", bak) >= sizeof(tmp)) {
		msg_warn("state %.200s...: path too long for a backup", st->path);
		return -1;
	}
	if (stat(st->path, &sb) < 0) {
		msg_warn("state %s: %s", st->path, strerror(errno));
		return -1;
	}
	(void)unlink(tmp);
	mask = umask(077);
	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL);
	umask(mask);
	if (rc != SQLITE_OK)
		goto fail;
	/* read by a connection of its own: the backup API does not read
	 * through one that holds a write transaction */
	if (sqlite3_open_v2(st->path, &src, SQLITE_OPEN_READONLY |
		SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		msg_warn("state %s: cannot keep a copy as %s: %s", st->path, bak,
		    sqlite3_errmsg(src));
		goto out;
	}
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL)
		goto fail;
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_close(src);
	src = NULL;
	/* one file, no -wal beside it: the copy opens on its own */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL,
		NULL) != SQLITE_OK)
		goto fail;
	rc = sqlite3_close(dst);
	dst = NULL;
	if (rc != SQLITE_OK)
		goto fail_sys;
	if ((geteuid() == 0 && chown(tmp, sb.st_uid, sb.st_gid) < 0) ||
	    chmod(tmp, sb.st_mode & 0640) < 0 || rename(tmp, bak) < 0)
		goto fail_sys;
	return 0;
fail:
	msg_warn("state %s: cannot keep a copy as %s: %s", st->path, bak,
	    dst != NULL ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
out:
	sqlite3_close(src);
	sqlite3_close(dst);
	(void)unlink(tmp);
	return -1;
fail_sys:
	msg_warn("state %s: cannot keep a copy as %s: %s", st->path, bak,
	    strerror(errno));
	(void)unlink(tmp);
	return -1;
}

/*
 * The schema: a new file gets it; an older one (PRAGMA user_version below
 * STATE_SCHEMA) is copied first (backup()) and then brought to it in one
 * transaction (the tables and columns that came after it, the version),
 * which leaves the file as it was when anything fails.  0, or -1 with a
 * warning that says so.
 */
static int
migrate(struct state *st)
{
	/* columns that came after a table: version 1 had no bans.program,
	 * 3 no reasons; the tables that came later come with the schema */
	static const struct {
		const char *table, *column, *sql;
	} cols[] = {
		{"bans", "program", "ALTER TABLE bans ADD COLUMN program TEXT "
		    "NOT NULL DEFAULT ''"},
		{"bans", "reason", "ALTER TABLE bans ADD COLUMN reason TEXT "
		    "NOT NULL DEFAULT ''"},
		{"ban_log", "reason", "ALTER TABLE ban_log ADD COLUMN reason "
		    "TEXT NOT NULL DEFAULT ''"},
	};
	char bak[4096], sql[64], *err = NULL;
	int version = 0, old = 0, k;
	size_t i;

	bak[0] = '\0';
	/* a look first, without a lock: most opens find the current schema */
	if (user_version(st, &version) == 0 && version >= STATE_SCHEMA)
		return 0;
	if ((old = has_tables(st)) < 0)
		old = 0;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, &err) !=
	    SQLITE_OK || user_version(st, &version) < 0 ||
	    (old = has_tables(st)) < 0)
		goto fail;
	if (version >= STATE_SCHEMA) { /* another process migrated it */
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
		return 0;
	}
	if (old) {
		if (backup(st, version, bak, sizeof(bak)) < 0) {
			msg_warn("state %s: not migrated from schema %d to %d "
			    "without a copy of it; the file is as it was",
			    st->path, version, STATE_SCHEMA);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			st->errcode = SQLITE_CANTOPEN;
			return -1;
		}
		msg_info("state %s: migrating from schema %d to %d; the file as "
		    "it was is kept as %s", st->path, version, STATE_SCHEMA, bak);
	}
	if (sqlite3_exec(st->db, schema, NULL, NULL, &err) != SQLITE_OK)
		goto fail;
	for (i = 0; old && i < sizeof(cols) / sizeof(cols[0]); i++) {
		if ((k = has_column(st, cols[i].table, cols[i].column)) < 0 ||
		    (k == 0 && sqlite3_exec(st->db, cols[i].sql, NULL, NULL,
		    &err) != SQLITE_OK))
			goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STATE_SCHEMA);
	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, &err) != SQLITE_OK)
		goto fail;
	if (old)
		msg_info("state %s: now schema %d", st->path, STATE_SCHEMA);
	return 0;
fail:
	if (old > 0)
		msg_warn("state %s: migrating from schema %d to %d failed: %s; "
		    "the file is as it was (schema %d)%s%s", st->path, version,
		    STATE_SCHEMA, err != NULL ? err : sqlite3_errmsg(st->db),
		    version, bak[0] != '\0' ? ", and a copy is in " : "",
		    bak[0] != '\0' ? bak : "");
	else
		msg_warn("state %s: %s", st->path, err != NULL ? err :
		    sqlite3_errmsg(st->db));
	st->errcode = sqlite3_errcode(st->db);
	if (st->errcode == SQLITE_OK)
		st->errcode = SQLITE_ERROR;
	sqlite3_free(err);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * A state path the running user can trust: its directory is no one
 * else's to write (anyone who can write it can swap the file or plant a
 * symbolic link as its -wal or -shm), and none of the files is a
 * symbolic link (SQLITE_OPEN_NOFOLLOW checks the database's own path;
 * SQLite opens -wal and -shm by name later).  0 or -1 with a warning.
 */
static int
trusted_path(const char *path, int readonly)
{
	static const char *const ext[] = {"", "-wal", "-shm"};
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), file[4096];
	struct stat sb;
	size_t i;
	int rc = -1;

	if (slash == NULL)
		snprintf(dir, strlen(dir) + 1, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (!readonly) {
		if (stat(dir, &sb) < 0) {
			msg_warn("state %s: directory %s: %s", path, dir,
			    strerror(errno));
			goto out;
		}
		/* root may use the run user's directory (privdrop.h) */
		if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
		    (geteuid() != 0 && sb.st_uid != 0 &&
		    sb.st_uid != geteuid())) {
			msg_warn("state %s: refusing a state file in %s: others "
			    "can write that directory (mode %04o, owner uid %ld); "
			    "give the state its own directory", path, dir,
			    (unsigned)(sb.st_mode & 07777), (long)sb.st_uid);
			goto out;
		}
	}
	for (i = 0; i < 3; i++) {
		if ((size_t)snprintf(file, sizeof(file), "%s%s", path, ext[i]) >=
		    sizeof(file)) {
			msg_warn("state %.200s...: path too long", path);
			goto out;
		}
		if (lstat(file, &sb) < 0)
			continue;
		if (!S_ISREG(sb.st_mode)) {
			msg_warn("state %s: refusing %s: not a regular file%s",
			    path, file, S_ISLNK(sb.st_mode) ?
			    " (a symbolic link)" : "");
			goto out;
		}
		/* a file of an older mailban was created 0644: no longer */
		if (!readonly && (sb.st_mode & 0137) != 0 &&
		    sb.st_uid == geteuid() &&
		    chmod(file, sb.st_mode & 0640) < 0)
			msg_warn("state %s: chmod %s: %s", path, file,
			    strerror(errno));
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

/*
 * Root (restore, unban, flush) in the run user's directory: a state file
 * it creates there is the run user's, as the directory is, so that "run"
 * can write it.  SQLite gives -wal and -shm the database file's owner.
 */
static void
give_to_dir_owner(const char *path)
{
	char *dir, *slash;
	struct stat ds, fs;

	if (geteuid() != 0)
		return;
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, strlen(dir) + 1, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &ds) == 0 && ds.st_uid != 0 && lstat(path, &fs) == 0 &&
	    S_ISREG(fs.st_mode) && fs.st_uid == 0 &&
	    lchown(path, ds.st_uid, ds.st_gid) < 0)
		msg_warn("state %s: chown to the owner of %s: %s", path, dir,
		    strerror(errno));
	free(dir);
}

struct state *
state_open(const char *path, int readonly)
{
	struct state *st;
	int wait = readonly == STATE_WAIT;
	int flags;
	char *err = NULL;
	mode_t mask;

	if (wait)
		readonly = 0;
	flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	if (!readonly)
		make_parent(path);
	if (trusted_path(path, readonly) < 0)
		return NULL;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	/* the file, its -wal and -shm: 0640 at most (SQLite asks for 0644) */
	mask = umask(027);
	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX |
		SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		umask(mask);
		fail(st, "open");
		state_close(st);
		return NULL;
	}
	/* short: a locked file must not stall the line path for long; the
	 * caller keeps what it could not write and retries */
	sqlite3_busy_timeout(st->db, readonly || wait ? 5000 : 250);
	if (readonly) {
		umask(mask);
		return st;
	}
	give_to_dir_owner(path);
	if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL;"
		"PRAGMA synchronous=NORMAL;", NULL, NULL, &err) != SQLITE_OK) {
		msg_warn("state %s: %s", path, err ? err : "journal mode failed");
		st->errcode = sqlite3_errcode(st->db);
		sqlite3_free(err);
		err = NULL;
	} else {
		(void)migrate(st);
	}
	umask(mask);
	if (st->errcode != 0) {
		int code = st->errcode;

		state_close(st);
		if ((code == SQLITE_CORRUPT || code == SQLITE_NOTADB) &&
		    move_aside(path) == 0)
			return state_open(path, wait ? STATE_WAIT : 0);
		return NULL;
	}
	return st;
}

void
state_close(struct state *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int
state_record(struct state *st, const struct state_ban *b, size_t n)
{
	/* A ban lifted (unban, flush) after this decision was taken stays
	 * lifted: the decision came from memory the administrator overruled;
	 * a longer ban made by hand stays as it is. */
	static const char sql[] =
	    "INSERT INTO bans(addr, family, count, first_ban, last_ban, until,"
	    " duration, pattern, score, host, changed, program)"
	    " VALUES(?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?4, ?10)"
	    " ON CONFLICT(addr) DO UPDATE SET count = excluded.count,"
	    " last_ban = excluded.last_ban, until = excluded.until,"
	    " duration = excluded.duration, pattern = excluded.pattern,"
	    " score = excluded.score, host = excluded.host,"
	    " changed = excluded.changed, program = excluded.program,"
	    " reason = ''"
	    " WHERE NOT (bans.until = 0 AND bans.changed > excluded.last_ban)"
	    /* nor does it shorten a ban made meanwhile by another process
	     * ("mailban ban"): the decision is logged, the row stays */
	    " AND NOT (bans.until > excluded.until)";
	static const char logsql[] =
	    "INSERT INTO ban_log(time, addr, pattern, program, host, duration,"
	    " count) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *stmt = NULL, *log = NULL;
	char ip[ADDR_STRLEN];
	size_t i;

	if (n == 0)
		return 0;
	if (!st->in_batch &&
	    sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "begin");
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, logsql, -1, &log, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(stmt, 1, addr_format(&b[i].addr, ip), -1,
		    SQLITE_TRANSIENT);
		sqlite3_bind_int(stmt, 2, b[i].addr.family);
		sqlite3_bind_int64(stmt, 3, b[i].count);
		sqlite3_bind_int64(stmt, 4, b[i].last_ban);
		sqlite3_bind_int64(stmt, 5, b[i].until);
		sqlite3_bind_int64(stmt, 6, b[i].duration);
		sqlite3_bind_text(stmt, 7, b[i].pattern, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 8, b[i].score);
		sqlite3_bind_text(stmt, 9, b[i].host, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 10, b[i].program, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(stmt);
		sqlite3_bind_int64(log, 1, b[i].last_ban);
		sqlite3_bind_text(log, 2, ip, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(log, 3, b[i].pattern, -1, SQLITE_STATIC);
		sqlite3_bind_text(log, 4, b[i].program, -1, SQLITE_STATIC);
		sqlite3_bind_text(log, 5, b[i].host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(log, 6, b[i].duration);
		sqlite3_bind_int64(log, 7, b[i].count);
		if (sqlite3_step(log) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(log);
	}
	sqlite3_finalize(stmt);
	sqlite3_finalize(log);
	log = NULL;
	if (st->in_batch)
		return 0;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail(st, "commit");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
fail:
	fail(st, "write");
	sqlite3_finalize(stmt);
	sqlite3_finalize(log);
	if (!st->in_batch) /* else state_batch_end() rolls back */
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Rows of bans (COLUMNS) for sql with ?1 = arg and, when the statement
 * has one, ?2 = limit.  A row whose address does not parse is skipped,
 * with a warning unless quiet (the read side).
 */
static int
query(struct state *st, const char *sql, int64_t arg, int64_t limit,
    int quiet, int (*cb)(void *, const struct state_ban *), void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	struct state_ban b;
	const unsigned char *s;
	const char *why;
	int64_t count, score;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_int64(stmt, 1, arg);
	if (sqlite3_bind_parameter_count(stmt) >= 2)
		sqlite3_bind_int64(stmt, 2, limit);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&b, 0, sizeof(b));
		s = sqlite3_column_text(stmt, 0);
		if (s == NULL || addr_parse_net((const char *)s, strlen((const char *)s),
			&b.addr) < 0) {
			if (!quiet)
				msg_warn("state %s: skipping a row with a bad address",
				    st->path);
			continue;
		}
		count = sqlite3_column_int64(stmt, 1);
		b.first_ban = sqlite3_column_int64(stmt, 2);
		b.last_ban = sqlite3_column_int64(stmt, 3);
		b.until = sqlite3_column_int64(stmt, 4);
		b.duration = sqlite3_column_int64(stmt, 5);
		score = sqlite3_column_int64(stmt, 7);
		why = count < 1 || count > COUNT_MAX ? "ban count" :
		    !is_time(b.first_ban) ? "first ban" :
		    !is_time(b.last_ban) ? "last ban" :
		    !is_time(b.until) ? "end of ban" :
		    !is_time(b.duration) ? "duration" :
		    score < 0 || score > COUNT_MAX ? "score" : NULL;
		if (why != NULL) {
			if (!quiet)
				msg_warn("state %s: skipping the row of %s: %s out "
				    "of range", st->path, (const char *)
				    sqlite3_column_text(stmt, 0), why);
			continue;
		}
		b.count = (unsigned)count;
		b.score = (long)score;
		s = sqlite3_column_text(stmt, 6);
		snprintf(b.pattern, sizeof(b.pattern), "%s", s ? (const char *)s : "");
		s = sqlite3_column_text(stmt, 8);
		snprintf(b.host, sizeof(b.host), "%s", s ? (const char *)s : "");
		s = sqlite3_column_text(stmt, 9);
		snprintf(b.program, sizeof(b.program), "%s",
		    s ? (const char *)s : "");
		if (cb(ctx, &b) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail(st, "read");
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

#define COLUMNS "addr, count, first_ban, last_ban, until, duration, pattern," \
		" score, host, program FROM bans "

int
state_active(struct state *st, int64_t now,
    int (*cb)(void *, const struct state_ban *), void *ctx)
{
	return query(st, "SELECT " COLUMNS "WHERE until > ?1 ORDER BY addr", now,
	    0, 0, cb, ctx);
}

int
state_history(struct state *st, int64_t since,
    int (*cb)(void *, const struct state_ban *), void *ctx)
{
	return query(st, "SELECT " COLUMNS "WHERE last_ban >= ?1 ORDER BY addr",
	    since, 0, 0, cb, ctx);
}

int
state_lifted_since(struct state *st, int64_t changed_after,
    int (*cb)(void *, const struct state_ban *), void *ctx)
{
	return query(st, "SELECT " COLUMNS "WHERE until = 0 AND changed > ?1",
	    changed_after, 0, 0, cb, ctx);
}

static int
exec1(struct state *st, const char *sql, const char *text, int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int changes;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	sqlite3_bind_int64(stmt, 1, now);
	if (text != NULL)
		sqlite3_bind_text(stmt, 2, text, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		sqlite3_finalize(stmt);
		return fail(st, "update");
	}
	sqlite3_finalize(stmt);
	changes = sqlite3_changes(st->db);
	return changes;
}

int
state_unban(struct state *st, const struct addr *a, int64_t now)
{
	char ip[ADDR_STRLEN];

	return exec1(st, "UPDATE bans SET until = 0, changed = ?1"
	    " WHERE addr = ?2 AND until > ?1", addr_format(a, ip), now);
}

int
state_flush(struct state *st, int64_t now)
{
	return exec1(st, "UPDATE bans SET until = 0, changed = ?1"
	    " WHERE until > ?1", NULL, now);
}

int
state_expire(struct state *st, int64_t since)
{
	if (exec1(st, "DELETE FROM ban_log WHERE time < ?1", NULL, since) < 0 ||
	    exec1(st, "DELETE FROM stats WHERE hour < ?1", NULL,
		since / SECONDS_HOUR) < 0 ||
	    exec1(st, "DELETE FROM notices WHERE last < ?1", NULL, since) < 0 ||
	    exec1(st, "DELETE FROM notice_lines WHERE time < ?1", NULL,
		since) < 0 ||
	    exec1(st, "DELETE FROM evidence WHERE time < ?1", NULL, since) < 0 ||
	    exec1(st, "DELETE FROM allow WHERE until != 0 AND until < ?1", NULL,
		since) < 0)
		return -1;
	return exec1(st, "DELETE FROM bans WHERE last_ban < ?1 AND until <= ?1",
	    NULL, since);
}

static void
encode_events(char *buf, size_t len, const struct score_event *ev, size_t n)
{
	size_t i, off = 0;
	int k;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		k = snprintf(buf + off, len - off, "%s%lld:%ld", i ? " " : "",
		    (long long)ev[i].t, ev[i].score);
		if (k < 0 || (size_t)k >= len - off)
			break;
		off += (size_t)k;
	}
}

int
state_scores_begin(struct state *st)
{
	if (st->in_batch)
		return 0;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "begin");
	return 0;
}

int
state_scores_put(struct state *st, const struct addr *a,
    const struct score_event *ev, size_t n, int64_t last_seen)
{
	sqlite3_stmt *stmt = NULL;
	char ip[ADDR_STRLEN], buf[32 * SCORE_EVENTS];
	int rc;

	addr_format(a, ip);
	if (n == 0) {
		rc = sqlite3_prepare_v2(st->db,
		    "DELETE FROM scores WHERE addr = ?1", -1, &stmt, NULL);
	} else {
		rc = sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO "
		    "scores(addr, events, last_seen) VALUES(?1, ?2, ?3)", -1, &stmt,
		    NULL);
	}
	if (rc != SQLITE_OK)
		return fail(st, "prepare");
	sqlite3_bind_text(stmt, 1, ip, -1, SQLITE_TRANSIENT);
	if (n > 0) {
		encode_events(buf, sizeof(buf), ev, n);
		sqlite3_bind_text(stmt, 2, buf, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(stmt, 3, last_seen);
	}
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : fail(st, "scores");
}

int
state_scores_end(struct state *st, int ok)
{
	if (st->in_batch)
		return ok ? 0 : -1; /* state_batch_end() decides */
	if (ok && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	if (ok)
		fail(st, "commit");
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
state_batch_begin(struct state *st)
{
	if (st->in_batch)
		msg_panic("state_batch_begin: a batch is open already");
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "begin");
	st->in_batch = 1;
	return 0;
}

int
state_batch_end(struct state *st, int ok)
{
	if (!st->in_batch)
		msg_panic("state_batch_end: no batch is open");
	st->in_batch = 0;
	if (ok && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	if (ok)
		fail(st, "commit");
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* A journal cursor's text: "s=...;i=...;b=...;m=...;t=...;x=..." */
static int
is_cursor(const char *c, size_t max)
{
	size_t n = strlen(c);

	return n > 0 && n < max && strspn(c, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=;_-") == n;
}

int
state_cursor_put(struct state *st, const char *source, const char *cursor,
    int64_t t)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (!is_cursor(cursor, STATE_CURSOR_MAX)) {
		msg_warn("state %s: not a journal cursor: \"%.64s\"", st->path,
		    cursor);
		return -1;
	}

	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO "
		"journal_cursor(source, cursor, time) VALUES(?1, ?2, ?3)", -1,
		&stmt, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	sqlite3_bind_text(stmt, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, cursor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, t);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : fail(st, "cursor");
}

int
state_cursor_get(struct state *st, const char *source, char *buf,
    size_t len, int64_t *t)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *c;
	int rc, found = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT cursor, time FROM journal_cursor "
		"WHERE source = ?1", -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	sqlite3_bind_text(stmt, 1, source, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		c = sqlite3_column_text(stmt, 0);
		/* read back: what state_cursor_put() writes, or nothing */
		if (c != NULL && is_cursor((const char *)c, len)) {
			snprintf(buf, len, "%s", (const char *)c);
			if (t != NULL)
				*t = sqlite3_column_int64(stmt, 1);
			found = 1;
		} else {
			msg_warn("state %s: the journal cursor of %s is not one: "
			    "ignored", st->path, source);
		}
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return fail(st, "cursor");
	return found;
}

int
state_cursors(struct state *st,
    int (*cb)(void *, const char *source, int64_t t), void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *src;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT source, time FROM journal_cursor "
		"ORDER BY source", -1, &stmt, NULL) != SQLITE_OK) {
		/* a file of schema 2, read-only (status): no cursor in it */
		sqlite3_finalize(stmt);
		return 0;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		src = sqlite3_column_text(stmt, 0);
		if (src != NULL && cb(ctx, (const char *)src,
			sqlite3_column_int64(stmt, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : fail(st, "cursors");
}

int
state_scores(struct state *st, int64_t since,
    void (*cb)(void *, const struct addr *, const struct score_event *,
	size_t, int64_t), void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	struct score_event ev[SCORE_EVENTS];
	const char *ip, *p;
	struct addr a;
	int64_t last_seen;
	size_t n;
	int rc, bad;

	if (sqlite3_prepare_v2(st->db, "SELECT addr, events, last_seen FROM "
		"scores WHERE last_seen >= ?1", -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_int64(stmt, 1, since);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ip = (const char *)sqlite3_column_text(stmt, 0);
		p = (const char *)sqlite3_column_text(stmt, 1);
		if (ip == NULL || p == NULL ||
		    addr_parse_net(ip, strlen(ip), &a) < 0)
			continue;
		bad = 0;
		for (n = 0; n < SCORE_EVENTS && *p != '\0';) {
			char *end;
			long long t, v;

			errno = 0;
			t = strtoll(p, &end, 10);
			if (*end != ':' || end == p)
				break;
			p = end + 1;
			v = strtoll(p, &end, 10);
			if (errno != 0 || end == p || !is_time(t) || v < 0 ||
			    v > COUNT_MAX) {
				bad = 1;
				break;
			}
			ev[n].t = t;
			ev[n].score = (long)v;
			n++;
			p = end;
			while (*p == ' ')
				p++;
		}
		last_seen = sqlite3_column_int64(stmt, 2);
		if (bad || !is_time(last_seen)) {
			msg_warn("state %s: skipping the scores of %s: a time or "
			    "score out of range", st->path, ip);
			continue;
		}
		cb(ctx, &a, ev, n, last_seen);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return fail(st, "read");
	return exec1(st, "DELETE FROM scores WHERE last_seen < ?1", NULL, since) <
	    0 ? -1 : 0;
}

int
state_stats_add(struct state *st, const struct state_stat *v, size_t n)
{
	static const char sql[] =
	    "INSERT INTO stats(hour, pattern, matches, bans) VALUES(?1, ?2, ?3, ?4)"
	    " ON CONFLICT(hour, pattern) DO UPDATE SET"
	    " matches = matches + excluded.matches, bans = bans + excluded.bans";
	sqlite3_stmt *stmt = NULL;
	size_t i;

	if (n == 0)
		return 0;
	if (!st->in_batch &&
	    sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "begin");
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(stmt, 1, v[i].hour);
		sqlite3_bind_text(stmt, 2, v[i].pattern, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 3, (sqlite3_int64)v[i].matches);
		sqlite3_bind_int64(stmt, 4, (sqlite3_int64)v[i].bans);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (st->in_batch)
		return 0;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
fail:
	fail(st, "stats");
	sqlite3_finalize(stmt);
	if (!st->in_batch) /* else state_batch_end() rolls back */
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Add v to a counter, or raise a "last_*" time to v; no transaction of
 * its own. */
static int
counter_add(struct state *st, const char *name, const char *pattern,
    uint64_t v)
{
	static const char add[] =
	    "INSERT INTO counters(name, pattern, value) VALUES(?1, ?2, ?3)"
	    " ON CONFLICT(name, pattern) DO UPDATE SET value = value + excluded.value";
	static const char raise[] =
	    "INSERT INTO counters(name, pattern, value) VALUES(?1, ?2, ?3)"
	    " ON CONFLICT(name, pattern) DO UPDATE SET"
	    " value = max(value, excluded.value)";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (v > (uint64_t)INT64_MAX)
		v = (uint64_t)INT64_MAX;
	if (sqlite3_prepare_v2(st->db, strncmp(name, "last_", 5) == 0 ? raise :
		add, -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, pattern != NULL ? pattern : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)v);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
state_counters_add(struct state *st, const struct state_counter *v, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	if (!st->in_batch &&
	    sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "begin");
	for (i = 0; i < n; i++)
		if (v[i].value != 0 &&
		    counter_add(st, v[i].name, v[i].pattern, v[i].value) < 0)
			goto fail;
	if (st->in_batch ||
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
fail:
	fail(st, "counters");
	if (!st->in_batch)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
state_counters(struct state *st,
    int (*cb)(void *, const struct state_counter *), void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	struct state_counter c;
	const unsigned char *name, *pattern;
	int rc;

	/* a file of schema 4 or older opened read-only: no counters yet */
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master"
		" WHERE type = 'table' AND name = 'counters'", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return fail(st, "query");
	rc = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : -1;
	sqlite3_finalize(stmt);
	if (rc <= 0)
		return rc < 0 ? fail(st, "read") : 0;
	if (sqlite3_prepare_v2(st->db, "SELECT name, pattern, value FROM counters"
		" ORDER BY name, pattern", -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "query");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(stmt, 2);

		name = sqlite3_column_text(stmt, 0);
		pattern = sqlite3_column_text(stmt, 1);
		if (name == NULL || pattern == NULL || v < 0)
			continue; /* not a counter: skipped, never printed */
		c.name = (const char *)name;
		c.pattern = (const char *)pattern;
		c.value = (uint64_t)v;
		if (cb(ctx, &c) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, "read");
}

int
state_notices_add(struct state *st, const struct state_notice *v, size_t n,
    const struct state_notice_line *l, size_t nl)
{
	static const char add[] =
	    "INSERT INTO notices(kind, program, count, first, last)"
	    " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(kind, program) DO UPDATE SET"
	    " count = count + excluded.count, first = min(first, excluded.first),"
	    " last = max(last, excluded.last)";
	static const char line[] =
	    "INSERT INTO notice_lines(kind, program, time, line)"
	    " VALUES(?1, ?2, ?3, ?4)";
	static const char trim[] =
	    "DELETE FROM notice_lines WHERE kind = ?1 AND program = ?2 AND id NOT"
	    " IN (SELECT id FROM notice_lines WHERE kind = ?1 AND program = ?2"
	    " ORDER BY id DESC LIMIT " STATE_NOTICE_LINES_STR ")";
	sqlite3_stmt *sa = NULL, *sl = NULL, *st2 = NULL;
	size_t i;

	if (n == 0 && nl == 0)
		return 0;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "begin");
	if (sqlite3_prepare_v2(st->db, add, -1, &sa, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, line, -1, &sl, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, trim, -1, &st2, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(sa, 1, v[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(sa, 2, v[i].program, -1, SQLITE_STATIC);
		sqlite3_bind_int64(sa, 3, (sqlite3_int64)v[i].count);
		sqlite3_bind_int64(sa, 4, v[i].first);
		sqlite3_bind_int64(sa, 5, v[i].last);
		if (sqlite3_step(sa) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(sa);
	}
	for (i = 0; i < nl; i++) {
		sqlite3_bind_text(sl, 1, l[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(sl, 2, l[i].program, -1, SQLITE_STATIC);
		sqlite3_bind_int64(sl, 3, l[i].time);
		sqlite3_bind_text(sl, 4, l[i].line, -1, SQLITE_STATIC);
		if (sqlite3_step(sl) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(sl);
		sqlite3_bind_text(st2, 1, l[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st2, 2, l[i].program, -1, SQLITE_STATIC);
		if (sqlite3_step(st2) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(st2);
	}
	sqlite3_finalize(sa);
	sqlite3_finalize(sl);
	sqlite3_finalize(st2);
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sa = sl = st2 = NULL;
fail:
	fail(st, "notices");
	sqlite3_finalize(sa);
	sqlite3_finalize(sl);
	sqlite3_finalize(st2);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
state_error_add(struct state *st, int64_t t, const char *message)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO errors(time, message) "
		"VALUES(?1, ?2)", -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	sqlite3_bind_int64(stmt, 1, t);
	sqlite3_bind_text(stmt, 2, message, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return fail(st, "errors");
	(void)sqlite3_exec(st->db, "DELETE FROM errors WHERE id <= "
	    "(SELECT max(id) FROM errors) - " STATE_ERRORS_STR, NULL, NULL, NULL);
	return 0;
}

int
state_health_put(struct state *st, const struct state_health *h)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (h == NULL)
		return sqlite3_exec(st->db, "DELETE FROM health", NULL, NULL,
		    NULL) == SQLITE_OK ? 0 : fail(st, "health");
	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO health(id, since,"
		" updated, cause, lines, bans) VALUES(1, ?1, ?2, ?3, ?4, ?5)", -1,
		&stmt, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	sqlite3_bind_int64(stmt, 1, h->since);
	sqlite3_bind_int64(stmt, 2, h->updated);
	sqlite3_bind_text(stmt, 3, h->cause, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)h->lines);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)h->bans);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : fail(st, "health");
}

/*
 * The read side (status, the report page).
 */

int
state_read_begin(struct state *st)
{
	if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "begin");
	return 0;
}

void
state_read_end(struct state *st)
{
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
}

int
state_count(struct state *st, int64_t now, struct state_counts *c)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	if (sqlite3_prepare_v2(st->db, "SELECT family, count(*) FROM bans WHERE"
		" until > ?1 GROUP BY family", -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_int64(stmt, 1, now);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		uint64_t k = (uint64_t)sqlite3_column_int64(stmt, 1);

		if (sqlite3_column_int(stmt, 0) == 6)
			c->active6 += k;
		else
			c->active4 += k;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return fail(st, "read");
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM bans", -1, &stmt,
		NULL) != SQLITE_OK)
		return fail(st, "query");
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		c->rows = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : fail(st, "read");
}

int
state_newest(struct state *st, int64_t now, size_t max,
    int (*cb)(void *, const struct state_ban *), void *ctx)
{
	return query(st, "SELECT " COLUMNS "WHERE until > ?1"
	    " ORDER BY last_ban DESC, addr LIMIT ?2", now, (int64_t)max, 1, cb,
	    ctx);
}

int
state_most_banned(struct state *st, size_t max,
    int (*cb)(void *, const struct state_ban *), void *ctx)
{
	return query(st, "SELECT " COLUMNS "WHERE ?1 = ?1 ORDER BY count DESC,"
	    " score DESC, last_ban DESC, addr LIMIT ?2", 0, (int64_t)max, 1, cb,
	    ctx);
}

/* Text of a column, "" for NULL. */
static const char *
text(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return s != NULL ? (const char *)s : "";
}

int
state_totals(struct state *st, int64_t now,
    const int64_t since_hour[STATE_SPANS - 1],
    int (*cb)(void *, const struct state_totals *), void *ctx)
{
	static const char sql[] =
	    "WITH st AS (SELECT pattern,"
	    "  sum(CASE WHEN hour >= ?1 THEN matches ELSE 0 END) AS m1,"
	    "  sum(CASE WHEN hour >= ?1 THEN bans ELSE 0 END) AS b1,"
	    "  sum(CASE WHEN hour >= ?2 THEN matches ELSE 0 END) AS m2,"
	    "  sum(CASE WHEN hour >= ?2 THEN bans ELSE 0 END) AS b2,"
	    "  sum(CASE WHEN hour >= ?3 THEN matches ELSE 0 END) AS m3,"
	    "  sum(CASE WHEN hour >= ?3 THEN bans ELSE 0 END) AS b3,"
	    "  sum(matches) AS ma, sum(bans) AS ba FROM stats GROUP BY pattern),"
	    " ac AS (SELECT pattern, count(*) AS n FROM bans WHERE until > ?4"
	    "  GROUP BY pattern),"
	    " names AS (SELECT pattern FROM st UNION SELECT pattern FROM ac)"
	    " SELECT names.pattern, coalesce(ac.n, 0),"
	    "  coalesce(m1, 0), coalesce(m2, 0), coalesce(m3, 0), coalesce(ma, 0),"
	    "  coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(ba, 0)"
	    " FROM names LEFT JOIN st USING (pattern) LEFT JOIN ac USING (pattern)"
	    " ORDER BY names.pattern";
	sqlite3_stmt *stmt = NULL;
	struct state_totals t;
	int rc, i;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "query");
	for (i = 0; i < STATE_SPANS - 1; i++)
		sqlite3_bind_int64(stmt, i + 1, since_hour[i]);
	sqlite3_bind_int64(stmt, STATE_SPANS, now);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		t.pattern = text(stmt, 0);
		t.active = (uint64_t)sqlite3_column_int64(stmt, 1);
		for (i = 0; i < STATE_SPANS; i++) {
			t.matches[i] = (uint64_t)sqlite3_column_int64(stmt, 2 + i);
			t.bans[i] = (uint64_t)sqlite3_column_int64(stmt,
			    2 + STATE_SPANS + i);
		}
		if (cb(ctx, &t) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "read");
}

int
state_bans_per_day(struct state *st, int64_t first_day, size_t ndays,
    uint64_t *perday)
{
	sqlite3_stmt *stmt = NULL;
	int64_t day;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT time / ?3, count(*) FROM ban_log"
		" WHERE time >= ?1 AND time < ?2 GROUP BY 1", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_int64(stmt, 1, first_day * SECONDS_DAY);
	sqlite3_bind_int64(stmt, 2, (first_day + (int64_t)ndays) * SECONDS_DAY);
	sqlite3_bind_int64(stmt, 3, SECONDS_DAY);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		day = sqlite3_column_int64(stmt, 0) - first_day;
		if (day >= 0 && (uint64_t)day < ndays)
			perday[day] = (uint64_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : fail(st, "read");
}

int
state_errors(struct state *st, size_t max,
    int (*cb)(void *, int64_t, const char *), void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT time, message FROM errors ORDER BY"
		" id DESC LIMIT ?1", -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_int64(stmt, 1, (int64_t)max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (cb(ctx, sqlite3_column_int64(stmt, 0), text(stmt, 1)) != 0)
			break;
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "read");
}

/* 1 when the file has table name (a file of an older mailban, opened
 * read-only, lacks the newer ones), 0 when not, -1 on error */
static int
has_table(struct state *st, const char *name)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM sqlite_master WHERE"
		" type = 'table' AND name = ?1", -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : fail(st, "read");
}

int
state_notices(struct state *st,
    int (*cb)(void *, const struct state_notice *), void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	struct state_notice v;
	int rc;

	if ((rc = has_table(st, "notices")) <= 0)
		return rc;

	if (sqlite3_prepare_v2(st->db, "SELECT kind, program, count, first, last"
		" FROM notices ORDER BY kind, program", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return fail(st, "query");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		v.kind = text(stmt, 0);
		v.program = text(stmt, 1);
		v.count = (uint64_t)sqlite3_column_int64(stmt, 2);
		v.first = sqlite3_column_int64(stmt, 3);
		v.last = sqlite3_column_int64(stmt, 4);
		if (cb(ctx, &v) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "read");
}

int
state_notice_lines(struct state *st,
    int (*cb)(void *, const struct state_notice_line *), void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	struct state_notice_line l;
	int rc;

	if ((rc = has_table(st, "notice_lines")) <= 0)
		return rc;

	if (sqlite3_prepare_v2(st->db, "SELECT kind, program, time, line"
		" FROM notice_lines ORDER BY kind, program, id DESC", -1, &stmt,
		NULL) != SQLITE_OK)
		return fail(st, "query");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		l.kind = text(stmt, 0);
		l.program = text(stmt, 1);
		l.time = sqlite3_column_int64(stmt, 2);
		l.line = text(stmt, 3);
		if (cb(ctx, &l) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "read");
}

int
state_health(struct state *st, struct state_health *h)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *cause;
	int rc;

	memset(h, 0, sizeof(*h));
	/* a file written before the table existed, opened read-only */
	if (sqlite3_prepare_v2(st->db, "SELECT since, updated, cause, lines, bans"
		" FROM health WHERE id = 1", -1, &stmt, NULL) != SQLITE_OK)
		return 0;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		h->since = sqlite3_column_int64(stmt, 0);
		h->updated = sqlite3_column_int64(stmt, 1);
		cause = sqlite3_column_text(stmt, 2);
		snprintf(h->cause, sizeof(h->cause), "%s", cause ? (const char *)
		    cause : "");
		h->lines = (uint64_t)sqlite3_column_int64(stmt, 3);
		h->bans = (uint64_t)sqlite3_column_int64(stmt, 4);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(st, "health");
	return rc == SQLITE_ROW;
}

/*
 * What the commands of every day change, and what the running mailban
 * reads of it.
 */

int
state_data_version(struct state *st, int64_t *v)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return fail(st, "data_version");
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : fail(st, "data_version");
}

int
state_banned_since(struct state *st, int64_t changed_after, int64_t now,
    int (*cb)(void *, const struct state_ban *), void *ctx)
{
	return query(st, "SELECT " COLUMNS "WHERE changed > ?1 AND until > ?2",
	    changed_after, now, 0, cb, ctx);
}

int
state_ban_get(struct state *st, const struct addr *a, struct state_ban *out,
    char *reason, size_t reasonlen)
{
	sqlite3_stmt *stmt = NULL;
	char ip[ADDR_STRLEN];
	const unsigned char *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (sqlite3_prepare_v2(st->db, "SELECT count, first_ban, last_ban, until,"
		" duration, pattern, score, host, program, reason FROM bans"
		" WHERE addr = ?1", -1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_text(stmt, 1, addr_format(a, ip), -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		out->addr = *a;
		out->count = (unsigned)sqlite3_column_int64(stmt, 0);
		out->first_ban = sqlite3_column_int64(stmt, 1);
		out->last_ban = sqlite3_column_int64(stmt, 2);
		out->until = sqlite3_column_int64(stmt, 3);
		out->duration = sqlite3_column_int64(stmt, 4);
		s = sqlite3_column_text(stmt, 5);
		snprintf(out->pattern, sizeof(out->pattern), "%s",
		    s ? (const char *)s : "");
		out->score = (long)sqlite3_column_int64(stmt, 6);
		s = sqlite3_column_text(stmt, 7);
		snprintf(out->host, sizeof(out->host), "%s", s ? (const char *)s : "");
		s = sqlite3_column_text(stmt, 8);
		snprintf(out->program, sizeof(out->program), "%s",
		    s ? (const char *)s : "");
		s = sqlite3_column_text(stmt, 9);
		if (reason != NULL && reasonlen > 0)
			snprintf(reason, reasonlen, "%s", s ? (const char *)s : "");
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(st, "read");
	return rc == SQLITE_ROW;
}

int
state_ban_add(struct state *st, struct state_ban *b, const char *reason,
    int64_t forget_since, const int64_t *bantimes, size_t nbantimes)
{
	static const char sql[] =
	    "INSERT INTO bans(addr, family, count, first_ban, last_ban, until,"
	    " duration, pattern, score, host, changed, program, reason)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?5, ?10, ?11)"
	    " ON CONFLICT(addr) DO UPDATE SET count = excluded.count,"
	    " first_ban = excluded.first_ban, last_ban = excluded.last_ban,"
	    " until = excluded.until, duration = excluded.duration,"
	    " pattern = excluded.pattern, score = 0, host = excluded.host,"
	    " changed = excluded.changed, program = excluded.program,"
	    " reason = excluded.reason";
	static const char logsql[] =
	    "INSERT INTO ban_log(time, addr, pattern, program, host, duration,"
	    " count, reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
	struct state_ban old;
	sqlite3_stmt *stmt = NULL, *log = NULL;
	char ip[ADDR_STRLEN];
	int have;
	size_t k;

	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "begin");
	if ((have = state_ban_get(st, &b->addr, &old, NULL, 0)) < 0)
		goto fail;
	if (have && old.last_ban >= forget_since) {
		b->count = old.count + 1;
		b->first_ban = old.first_ban;
	} else {
		b->count = 1;
		b->first_ban = b->last_ban;
	}
	if (b->duration <= 0) { /* the escalation's length for this count */
		k = b->count - 1 < nbantimes ? b->count - 1 : nbantimes - 1;
		b->duration = bantimes[k];
	}
	b->until = b->last_ban + b->duration;
	addr_format(&b->addr, ip);
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, logsql, -1, &log, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(stmt, 1, ip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(stmt, 2, b->addr.family);
	sqlite3_bind_int64(stmt, 3, b->count);
	sqlite3_bind_int64(stmt, 4, b->first_ban);
	sqlite3_bind_int64(stmt, 5, b->last_ban);
	sqlite3_bind_int64(stmt, 6, b->until);
	sqlite3_bind_int64(stmt, 7, b->duration);
	sqlite3_bind_text(stmt, 8, b->pattern, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 9, b->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 10, b->program, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 11, reason, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	sqlite3_bind_int64(log, 1, b->last_ban);
	sqlite3_bind_text(log, 2, ip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(log, 3, b->pattern, -1, SQLITE_STATIC);
	sqlite3_bind_text(log, 4, b->program, -1, SQLITE_STATIC);
	sqlite3_bind_text(log, 5, b->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(log, 6, b->duration);
	sqlite3_bind_int64(log, 7, b->count);
	sqlite3_bind_text(log, 8, reason, -1, SQLITE_STATIC);
	if (sqlite3_step(log) != SQLITE_DONE)
		goto fail;
	/* counted among the pattern's bans (status --prometheus) */
	if (counter_add(st, "bans", b->pattern, 1) < 0)
		goto fail;
	sqlite3_finalize(stmt);
	sqlite3_finalize(log);
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	stmt = log = NULL;
fail:
	fail(st, "ban");
	sqlite3_finalize(stmt);
	sqlite3_finalize(log);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
state_ban_log(struct state *st, const struct addr *a,
    int (*cb)(void *, const struct state_ban_event *), void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	struct state_ban_event e;
	char ip[ADDR_STRLEN];
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT time, pattern, program, host,"
		" duration, count, reason FROM ban_log WHERE addr = ?1 ORDER BY id",
		-1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_text(stmt, 1, addr_format(a, ip), -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		e.time = sqlite3_column_int64(stmt, 0);
		e.pattern = text(stmt, 1);
		e.program = text(stmt, 2);
		e.host = text(stmt, 3);
		e.duration = sqlite3_column_int64(stmt, 4);
		e.count = (unsigned)sqlite3_column_int64(stmt, 5);
		e.reason = text(stmt, 6);
		if (cb(ctx, &e) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "read");
}

int
state_scores_of(struct state *st, const struct addr *a,
    struct score_event *ev, size_t max, size_t *n)
{
	sqlite3_stmt *stmt = NULL;
	char ip[ADDR_STRLEN], *end;
	const char *p;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT events FROM scores WHERE addr = ?1",
		-1, &stmt, NULL) != SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_text(stmt, 1, addr_format(a, ip), -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && (p = text(stmt, 0)) != NULL) {
		while (*n < max && *p != '\0') {
			long long t = strtoll(p, &end, 10);

			if (*end != ':')
				break;
			ev[*n].t = t;
			ev[*n].score = strtol(end + 1, &end, 10);
			(*n)++;
			p = end;
			while (*p == ' ')
				p++;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, "read");
}

/* --- the runtime allow list --- */

int
state_allow_put(struct state *st, const char *net, int64_t added,
    int64_t until, const char *reason)
{
	sqlite3_stmt *stmt = NULL;
	int rc, had;

	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "begin");
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM allow WHERE net = ?1", -1,
		&stmt, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(stmt, 1, net, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	had = rc == SQLITE_ROW;
	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO allow(net, added,"
		" until, reason) VALUES(?1, ?2, ?3, ?4)", -1, &stmt, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_text(stmt, 1, net, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, added);
	sqlite3_bind_int64(stmt, 3, until);
	sqlite3_bind_text(stmt, 4, reason, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return had;
fail:
	fail(st, "allow");
	sqlite3_finalize(stmt);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
state_allow_del(struct state *st, const char *net)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM allow WHERE net = ?1", -1,
		&stmt, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	sqlite3_bind_text(stmt, 1, net, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return fail(st, "disallow");
	return sqlite3_changes(st->db);
}

int
state_allow_list(struct state *st, int64_t now,
    int (*cb)(void *, const struct state_allow *), void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	struct state_allow v;
	int rc;

	if ((rc = has_table(st, "allow")) <= 0)
		return rc;
	if (sqlite3_prepare_v2(st->db, "SELECT net, added, until, reason FROM"
		" allow WHERE until = 0 OR until > ?1 ORDER BY net", -1, &stmt,
		NULL) != SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_int64(stmt, 1, now);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&v, 0, sizeof(v));
		v.text = text(stmt, 0);
		if (cidr_parse(v.text, &v.net) < 0)
			continue;
		v.added = sqlite3_column_int64(stmt, 1);
		v.until = sqlite3_column_int64(stmt, 2);
		v.reason = text(stmt, 3);
		if (cb(ctx, &v) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "read");
}

/* --- evidence: the last lines of each address --- */

int
state_evidence_put(struct state *st, const struct state_evidence *v,
    size_t n, unsigned keep)
{
	static const char add[] =
	    "INSERT INTO evidence(addr, time, pattern, score, line)"
	    " VALUES(?1, ?2, ?3, ?4, ?5)";
	/* the (keep + 1)th newest and all before it: one seek down the
	 * (addr, id) index, nothing when the address has keep or fewer */
	static const char trim[] =
	    "DELETE FROM evidence WHERE addr = ?1 AND id <= (SELECT id FROM"
	    " evidence WHERE addr = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)";
	sqlite3_stmt *sa = NULL, *stt = NULL;
	char ip[ADDR_STRLEN];
	size_t i;

	if (n == 0)
		return 0;
	if (sqlite3_prepare_v2(st->db, add, -1, &sa, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, trim, -1, &stt, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		addr_format(&v[i].addr, ip);
		sqlite3_bind_text(sa, 1, ip, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(sa, 2, v[i].time);
		sqlite3_bind_text(sa, 3, v[i].pattern, -1, SQLITE_STATIC);
		sqlite3_bind_int64(sa, 4, v[i].score);
		sqlite3_bind_text(sa, 5, v[i].line, -1, SQLITE_STATIC);
		if (sqlite3_step(sa) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(sa);
		sqlite3_bind_text(stt, 1, ip, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(stt, 2, keep);
		if (sqlite3_step(stt) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(stt);
	}
	sqlite3_finalize(sa);
	sqlite3_finalize(stt);
	return 0;
fail:
	fail(st, "evidence");
	sqlite3_finalize(sa);
	sqlite3_finalize(stt);
	return -1;
}

int
state_evidence(struct state *st, const struct addr *a, size_t max,
    int (*cb)(void *, const struct state_evidence *), void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	struct state_evidence v;
	char ip[ADDR_STRLEN];
	int rc;

	if ((rc = has_table(st, "evidence")) <= 0)
		return rc;
	if (sqlite3_prepare_v2(st->db, "SELECT time, pattern, score, line FROM"
		" (SELECT id, time, pattern, score, line FROM evidence WHERE"
		" addr = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id", -1, &stmt,
		NULL) != SQLITE_OK)
		return fail(st, "query");
	sqlite3_bind_text(stmt, 1, addr_format(a, ip), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 2, (int64_t)max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		v.addr = *a;
		v.time = sqlite3_column_int64(stmt, 0);
		v.pattern = text(stmt, 1);
		v.score = (long)sqlite3_column_int64(stmt, 2);
		v.line = text(stmt, 3);
		if (cb(ctx, &v) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "read");
}

/* --- reload asked of the running mailban --- */

int
state_reload_ask(struct state *st, uint64_t *asked)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE;"
		"INSERT OR IGNORE INTO control(id, reload_asked, reload_done,"
		" reload_time, reload_result) VALUES(1, 0, 0, 0, '');"
		"UPDATE control SET reload_asked = reload_asked + 1 WHERE id = 1;",
		NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(st->db, "SELECT reload_asked FROM control", -1,
		&stmt, NULL) != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW)
		goto fail;
	*asked = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
fail:
	fail(st, "reload");
	sqlite3_finalize(stmt);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
state_reload_status(struct state *st, struct state_reload *r)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = has_table(st, "control")) <= 0)
		return rc;
	if (sqlite3_prepare_v2(st->db, "SELECT reload_asked, reload_done,"
		" reload_time, reload_result FROM control WHERE id = 1", -1, &stmt,
		NULL) != SQLITE_OK)
		return fail(st, "query");
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		r->asked = (uint64_t)sqlite3_column_int64(stmt, 0);
		r->done = (uint64_t)sqlite3_column_int64(stmt, 1);
		r->time = sqlite3_column_int64(stmt, 2);
		snprintf(r->result, sizeof(r->result), "%s", text(stmt, 3));
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(st, "read");
	return rc == SQLITE_ROW;
}

int
state_reload_done(struct state *st, uint64_t done, int64_t t,
    const char *result)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "UPDATE control SET reload_done = ?1,"
		" reload_time = ?2, reload_result = ?3 WHERE id = 1", -1, &stmt,
		NULL) != SQLITE_OK)
		return fail(st, "prepare");
	sqlite3_bind_int64(stmt, 1, (int64_t)done);
	sqlite3_bind_int64(stmt, 2, t);
	sqlite3_bind_text(stmt, 3, result, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : fail(st, "reload");
}
