/*
 * NAME
 *	sdjournal - the systemd journal's entries as log lines
 * DESCRIPTION
 *	See include/sdjournal.h.  Each entry's fields are read in one pass
 *	(sd_journal_enumerate_available_data(), which skips a field it
 *	cannot decompress instead of failing the entry) and copied into the
 *	struct's buffers, since libsystemd's pointers last only until its
 *	next call.  The cursor is asked of libsystemd only when someone asks
 *	for it (at a commit), never per entry.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "lineio.h"
#include "log.h"
#include "sdjournal.h"

#define SDJ_MSG LINEIO_MAXLINE
#define SDJ_FIELD 256 /* identifier, host, comm, unit */
#define SDJ_EXE 4096
#define SDJ_CURSOR 512

/* The journal files seen in the directories, to report changes. */
struct sdj_files {
	char **v;
	size_t n;
};

struct sdj {
	sd_journal *j;
	char *dir; /* NULL: the system's journal */
	int until_set;
	uint64_t until;
	/* after sdj_seek_cursor(): the first entry is skipped when it is the
	 * cursor's own (already committed) */
	char *resume;
	int moved; /* an entry was given since the cursor was asked for */
	int have_cursor;
	char cursor[SDJ_CURSOR];
	struct sdj_files files;
	int64_t last_scan; /* monotonic seconds */
	struct sdj_stats st;
	int last_err; /* the errno of the last read failure reported */
	char ident[SDJ_FIELD], host[SDJ_FIELD], comm[SDJ_FIELD], unit[SDJ_FIELD];
	char exe[SDJ_EXE];
	char msg[SDJ_MSG];
};

/* --- the files, listed to report what libsystemd skips silently --- */

static int
is_journal_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 8 && strcmp(n + l - 8, ".journal") == 0) ||
	    (l > 9 && strcmp(n + l - 9, ".journal~") == 0);
}

static int
is_machine_id(const char *n)
{
	return strlen(n) == 32 && strspn(n, "0123456789abcdef") == 32;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The journal files of dir and of its machine-ID subdirectories (as
 * sd_journal_open_directory() reads them). */
static void
list_dir(struct sdj_files *f, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		    sizeof(path))
			continue;
		if (is_journal_name(e->d_name)) {
			f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
			f->v[f->n++] = xstrdup(path);
		} else if (depth == 0 && is_machine_id(e->d_name)) {
			list_dir(f, path, 1);
		}
	}
	closedir(d);
}

static void
files_free(struct sdj_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* 0 when path opens alone and its first and last entries can be read. */
static int
check_file(const char *path, char *why, size_t len)
{
	const char *paths[2] = {path, NULL};
	sd_journal *k = NULL;
	int r;

	r = sd_journal_open_files(&k, paths, 0);
	if (r >= 0)
		r = sd_journal_seek_head(k);
	if (r >= 0)
		r = sd_journal_next(k);
	if (r >= 0)
		r = sd_journal_seek_tail(k);
	if (r >= 0)
		r = sd_journal_previous(k);
	sd_journal_close(k);
	if (r < 0) {
		snprintf(why, len, "%s", strerror(-r));
		return -1;
	}
	return 0;
}

static int64_t
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* List the files again: report the ones gone, check the new ones. */
static void
scan_files(struct sdj *j, int quiet)
{
	struct sdj_files now = {NULL, 0};
	size_t i, k = 0;
	int c;
	char why[256];

	if (j->dir != NULL) {
		list_dir(&now, j->dir, 0);
	} else {
		/* the local machine's, as SD_JOURNAL_LOCAL_ONLY reads */
		sd_id128_t id;
		char path[128];

		if (sd_id128_get_machine(&id) >= 0) {
			snprintf(path, sizeof(path), "/var/log/journal/"
			    SD_ID128_FORMAT_STR, SD_ID128_FORMAT_VAL(id));
			list_dir(&now, path, 1);
			snprintf(path, sizeof(path), "/run/log/journal/"
			    SD_ID128_FORMAT_STR, SD_ID128_FORMAT_VAL(id));
			list_dir(&now, path, 1);
		}
	}
	if (now.n > 1)
		qsort(now.v, now.n, sizeof(*now.v), cmp_str);
	for (i = 0; i < now.n; i++) {
		while (k < j->files.n &&
		    (c = strcmp(j->files.v[k], now.v[i])) < 0) {
			if (!quiet)
				msg_info("journal file %s is gone (rotated away or "
				    "vacuumed)", j->files.v[k]);
			k++;
		}
		if (k < j->files.n && strcmp(j->files.v[k], now.v[i]) == 0) {
			k++;
			continue;
		}
		if (check_file(now.v[i], why, sizeof(why)) < 0) {
			msg_warn("journal file %s cannot be read (%s): skipped",
			    now.v[i], why);
			j->st.bad_files++;
		}
	}
	for (; k < j->files.n && !quiet; k++)
		msg_info("journal file %s is gone (rotated away or vacuumed)",
		    j->files.v[k]);
	files_free(&j->files);
	j->files = now;
	j->last_scan = mono_seconds();
}

/* --- open, seek --- */

/* The entries of these users, or of the mail facility; all when n is 0. */
static int
set_users(struct sdj *j, const int64_t *uids, size_t n)
{
	char m[64];
	size_t i;
	int r = 0;

	sd_journal_flush_matches(j->j);
	for (i = 0; i < n && r >= 0; i++) {
		snprintf(m, sizeof(m), "_UID=%" PRId64, uids[i]);
		r = sd_journal_add_match(j->j, m, 0);
	}
	/* and, whoever wrote them, the mail facility's: a forgery sent there
	 * is read, and counted as untrusted, not silently left out */
	if (n > 0 && r >= 0 && (r = sd_journal_add_disjunction(j->j)) >= 0)
		r = sd_journal_add_match(j->j, "SYSLOG_FACILITY=2", 0);
	if (r < 0)
		sd_journal_flush_matches(j->j);
	return r;
}

int
sdj_set_users(struct sdj *j, const int64_t *uids, size_t n)
{
	int r = set_users(j, uids, n);

	if (r < 0)
		msg_warn("%s: journal match: %s; reading every entry",
		    sdj_name(j), strerror(-r));
	return r < 0 ? -1 : 0;
}

struct sdj *
sdj_open(const struct sdj_options *o, char *err, size_t errlen)
{
	struct sdj *j = xcalloc(1, sizeof(*j));
	int r;

	if (o->directory != NULL) {
		j->dir = xstrdup(o->directory);
		r = sd_journal_open_directory(&j->j, o->directory, 0);
	} else {
		r = sd_journal_open(&j->j, SD_JOURNAL_LOCAL_ONLY |
		    SD_JOURNAL_SYSTEM);
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", o->directory ? o->directory :
		    "the system's journal", strerror(-r));
		sdj_close(j);
		return NULL;
	}
	/* a message past this is cut anyway: do not decompress more */
	(void)sd_journal_set_data_threshold(j->j, SDJ_MSG + 8);
	if ((r = set_users(j, o->uids, o->nuids)) < 0) {
		snprintf(err, errlen, "journal match: %s", strerror(-r));
		sdj_close(j);
		return NULL;
	}
	/* the watches, before the first entry is read, so that nothing
	 * written in between is missed */
	if (o->follow && (r = sd_journal_get_fd(j->j)) < 0) {
		snprintf(err, errlen, "%s: watching the journal files: %s",
		    sdj_name(j), strerror(-r));
		sdj_close(j);
		return NULL;
	}
	scan_files(j, 1);
	return j;
}

void
sdj_close(struct sdj *j)
{
	if (j == NULL)
		return;
	sd_journal_close(j->j);
	files_free(&j->files);
	free(j->dir);
	free(j->resume);
	free(j);
}

const char *
sdj_name(const struct sdj *j)
{
	return j->dir != NULL ? j->dir : "the journal";
}

static int
seek_failed(struct sdj *j, const char *what, int r)
{
	msg_warn("%s: %s: %s", sdj_name(j), what, strerror(-r));
	return -1;
}

int
sdj_seek_cursor(struct sdj *j, const char *cursor)
{
	int r = sd_journal_seek_cursor(j->j, cursor);

	if (r < 0) {
		msg_warn("%s: the saved cursor cannot be used (%s): reading from "
		    "the end", sdj_name(j), strerror(-r));
		sdj_seek_tail(j);
		return -1;
	}
	free(j->resume);
	j->resume = xstrdup(cursor);
	return 0;
}

int
sdj_seek_time(struct sdj *j, int64_t usec)
{
	int r = sd_journal_seek_realtime_usec(j->j, usec < 0 ? 0 :
	    (uint64_t)usec);

	return r < 0 ? seek_failed(j, "seek to a time", r) : 0;
}

int
sdj_seek_head(struct sdj *j)
{
	int r = sd_journal_seek_head(j->j);

	return r < 0 ? seek_failed(j, "seek to the start", r) : 0;
}

int
sdj_seek_tail(struct sdj *j)
{
	int r = sd_journal_seek_tail(j->j);

	/* on the last entry, so that the next one is the first new one; its
	 * cursor is where reading stands */
	if (r >= 0)
		r = sd_journal_previous(j->j);
	if (r > 0)
		j->moved = 1;
	return r < 0 ? seek_failed(j, "seek to the end", r) : 0;
}

void
sdj_set_until(struct sdj *j, int64_t usec)
{
	j->until_set = 1;
	j->until = usec < 0 ? 0 : (uint64_t)usec;
}

/* --- entries --- */

/* A field's value into buf[size] (cut to fit), NUL-terminated. */
static size_t
copy_value(char *buf, size_t size, const char *v, size_t n, int *cut)
{
	if (n > size - 1) {
		n = size - 1;
		if (cut != NULL)
			*cut = 1;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	return n;
}

/* A decimal field (a pid, uid or gid), -1 when it is not one. */
static int64_t
number(const char *v, size_t n)
{
	int64_t x = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

static int
is_field(const char *d, size_t len, const char *name, size_t nl)
{
	return len > nl && d[nl] == '=' && memcmp(d, name, nl) == 0;
}

#define FIELD(d, len, lit) is_field(d, len, lit, sizeof(lit) - 1)
#define VALUE(d, len, lit) ((d) + sizeof(lit)), ((len) - sizeof(lit))

/* The current entry into *ll. */
static void
read_entry(struct sdj *j, struct logline *ll, int *truncated)
{
	struct logcred *c = &ll->cred;
	const void *data;
	const char *d;
	size_t len, identlen = 0, commlen = 0;
	uint64_t usec = 0;
	int r;

	memset(ll, 0, sizeof(*ll));
	*truncated = 0;
	c->has = 1;
	c->pid = c->uid = c->gid = -1;
	c->unit_known = 1;
	c->exe = j->exe;
	c->comm = j->comm;
	c->unit = j->unit;
	ll->host = j->host;
	ll->msg = j->msg;
	sd_journal_restart_data(j->j);
	while ((r = sd_journal_enumerate_available_data(j->j, &data, &len)) > 0) {
		d = data;
		if (len < 2)
			continue;
		if (d[0] == '_') {
			if (FIELD(d, len, "_PID"))
				c->pid = number(VALUE(d, len, "_PID"));
			else if (FIELD(d, len, "_UID"))
				c->uid = number(VALUE(d, len, "_UID"));
			else if (FIELD(d, len, "_GID"))
				c->gid = number(VALUE(d, len, "_GID"));
			else if (FIELD(d, len, "_EXE"))
				c->exelen = copy_value(j->exe, sizeof(j->exe),
				    VALUE(d, len, "_EXE"), NULL);
			else if (FIELD(d, len, "_COMM"))
				commlen = c->commlen = copy_value(j->comm,
				    sizeof(j->comm), VALUE(d, len, "_COMM"), NULL);
			else if (FIELD(d, len, "_SYSTEMD_UNIT"))
				c->unitlen = copy_value(j->unit, sizeof(j->unit),
				    VALUE(d, len, "_SYSTEMD_UNIT"), NULL);
			else if (FIELD(d, len, "_HOSTNAME"))
				ll->hostlen = copy_value(j->host, sizeof(j->host),
				    VALUE(d, len, "_HOSTNAME"), NULL);
		} else if (FIELD(d, len, "MESSAGE")) {
			ll->msglen = copy_value(j->msg, sizeof(j->msg),
			    VALUE(d, len, "MESSAGE"), truncated);
		} else if (FIELD(d, len, "SYSLOG_IDENTIFIER")) {
			identlen = copy_value(j->ident, sizeof(j->ident),
			    VALUE(d, len, "SYSLOG_IDENTIFIER"), NULL);
		}
	}
	if (r < 0 && j->last_err != r) {
		msg_warn("%s: reading an entry's fields: %s", sdj_name(j),
		    strerror(-r));
		j->last_err = r;
	}
	/* the program picks the patterns: the identifier, as journalctl shows
	 * it, or the process name */
	if (identlen > 0) {
		ll->prog = j->ident;
		ll->proglen = identlen;
	} else {
		ll->prog = j->comm;
		ll->proglen = commlen;
	}
	/* Exim's own stamp, as prefix_parse() skips it in a syslog line */
	if (prefix_is_exim(ll))
		prefix_exim_message(ll);
	if (sd_journal_get_realtime_usec(j->j, &usec) >= 0) {
		ll->ts = (int64_t)(usec / 1000000);
		ll->has_ts = 1;
	}
	if (*truncated)
		j->st.truncated++;
}

int
sdj_next(struct sdj *j, struct logline *ll, int *truncated)
{
	uint64_t usec;
	int r;

	for (;;) {
		r = sd_journal_next(j->j);
		if (r < 0) {
			/* libsystemd drops a file it cannot iterate; an error
			 * here is the entry's: skip it */
			j->st.errors++;
			if (j->last_err != r)
				msg_warn("%s: reading the next entry: %s; skipping",
				    sdj_name(j), strerror(-r));
			j->last_err = r;
			if (j->st.errors % 1000 == 0)
				return 0; /* let the loop breathe */
			continue;
		}
		if (r == 0)
			return 0;
		if (j->resume != NULL) {
			r = sd_journal_test_cursor(j->j, j->resume);
			if (r <= 0)
				msg_warn("%s: the entry of the saved cursor is gone "
				    "(vacuumed?): reading on from the first entry "
				    "after it", sdj_name(j));
			free(j->resume);
			j->resume = NULL;
			if (r > 0)
				continue; /* committed before the restart */
		}
		if (j->until_set && sd_journal_get_realtime_usec(j->j, &usec) >= 0 &&
		    usec > j->until) {
			/* the next call looks at this entry again */
			(void)sd_journal_previous(j->j);
			return 0;
		}
		break;
	}
	j->moved = 1;
	j->st.entries++;
	read_entry(j, ll, truncated);
	return 1;
}

const char *
sdj_cursor(struct sdj *j)
{
	char *c = NULL;
	int r;

	if (!j->moved)
		return j->have_cursor ? j->cursor : NULL;
	r = sd_journal_get_cursor(j->j, &c);
	if (r < 0 || strlen(c) >= sizeof(j->cursor)) {
		msg_warn("%s: the cursor of the last entry: %s", sdj_name(j),
		    r < 0 ? strerror(-r) : "too long");
		free(c);
		return j->have_cursor ? j->cursor : NULL;
	}
	snprintf(j->cursor, sizeof(j->cursor), "%s", c);
	free(c);
	j->moved = 0;
	j->have_cursor = 1;
	return j->cursor;
}

int
sdj_fd(struct sdj *j)
{
	return sd_journal_get_fd(j->j);
}

short
sdj_events(struct sdj *j)
{
	int e = sd_journal_get_events(j->j);

	return e > 0 ? (short)e : 0;
}

int
sdj_timeout_ms(struct sdj *j)
{
	struct timespec ts;
	uint64_t t = 0, now;

	if (sd_journal_get_timeout(j->j, &t) < 0 || t == UINT64_MAX)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	if (t <= now)
		return 0;
	t = (t - now + 999) / 1000;
	return t > 60000 ? 60000 : (int)t;
}

int
sdj_process(struct sdj *j)
{
	int r;

	/* the cursor of the last entry given, while its file is still open:
	 * processing may close a file that was vacuumed meanwhile */
	if (j->moved)
		(void)sdj_cursor(j);
	r = sd_journal_process(j->j);

	if (r < 0) {
		msg_warn("%s: %s", sdj_name(j), strerror(-r));
		return 0;
	}
	if (r != SD_JOURNAL_INVALIDATE) {
		/* a file libsystemd could not add changes nothing for it: the
		 * listing, once a second, is what sees it */
		if (mono_seconds() != j->last_scan)
			scan_files(j, 0);
		return 0;
	}
	j->st.invalidations++;
	msg_info("%s: journal files added or removed (rotation, vacuum or a "
	    "journald restart): reading on", sdj_name(j));
	scan_files(j, 0);
	return 1;
}

void
sdj_stats(const struct sdj *j, struct sdj_stats *s)
{
	*s = j->st;
}
