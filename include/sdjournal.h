/*
 * NAME
 *	sdjournal - the systemd journal's entries as log lines
 * SYNOPSIS
 *	#include "sdjournal.h"
 * DESCRIPTION
 *	The only libsystemd user.  sdj_open() opens the system's journal
 *	(the local machine's files under /var/log/journal and
 *	/run/log/journal) or the files of one directory (as "journalctl
 *	-D"), keeps only the entries written by the given users (an
 *	sd_journal match on _UID) or sent to the mail facility (so that a
 *	forgery sent there is read, and counted as untrusted), and
 *	sdj_next() gives each entry as a struct logline without parsing
 *	any text:
 *
 *	    prog    SYSLOG_IDENTIFIER (the writer's word, used only to pick
 *	            the patterns), or _COMM when there is none
 *	    msg     MESSAGE (at most LINEIO_MAXLINE bytes; longer: cut, and
 *	            the entry is reported as truncated)
 *	    host    _HOSTNAME
 *	    ts      __REALTIME_TIMESTAMP, the time journald received it
 *	    cred    _PID, _UID, _GID, _EXE, _COMM, _SYSTEMD_UNIT: the fields
 *	            journald itself adds from the kernel's credentials of the
 *	            writer and its control group (has and unit_known set)
 *
 *	The strings point into buffers of the struct sdj, valid until the
 *	next sdj_next().
 *
 *	Where reading starts: sdj_seek_cursor() (right after the entry of a
 *	saved cursor; when that entry is gone, vacuumed, at the first one
 *	after where it was, with a warning), sdj_seek_time(), the first
 *	entry (sdj_seek_head()) or the end (sdj_seek_tail(): only entries
 *	written from now on).  sdj_set_until() makes entries after a time
 *	the end.  sdj_cursor() is the cursor of the last entry sdj_next()
 *	gave.
 *
 *	Following: sdj_fd() and sdj_events() for poll(), sdj_timeout_ms()
 *	for its timeout, and sdj_process() after every wake-up
 *	(sd_journal_process()): new entries (APPEND), or files added or
 *	removed (INVALIDATE: rotation, vacuum, "journalctl --rotate", a
 *	journald restart), after which reading goes on where it was.
 *
 *	A journal file that cannot be read (corrupt, truncated, unknown
 *	format) is skipped by libsystemd without a word; so the journal
 *	directories are listed at open, after every INVALIDATE and at most
 *	once a second in sdj_process() otherwise, each new
 *	file is opened alone, and one that fails is reported (msg_warn) and
 *	left out, as is a file that disappeared (msg_info).  Neither stops
 *	the reading.
 * SECURITY
 *	MESSAGE, SYSLOG_IDENTIFIER and _HOSTNAME are the writer's; only the
 *	fields that begin with an underscore (journald's) fill cred.
 */
#ifndef MAILBAN_SDJOURNAL_H
#define MAILBAN_SDJOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "prefix.h"

struct sdj_options {
	const char *directory; /* NULL: the system's journal */
	const int64_t *uids; /* keep only entries of these _UIDs */
	size_t nuids; /* 0: every entry */
	int follow; /* sdj_fd() will be polled: watch the files */
};

struct sdj_stats {
	uint64_t entries; /* given by sdj_next() */
	uint64_t truncated;
	uint64_t invalidations; /* files added or removed */
	uint64_t bad_files; /* files reported unreadable */
	uint64_t errors; /* failures reading an entry (skipped) */
};

struct sdj;

/* NULL with the reason in err. */
struct sdj *sdj_open(const struct sdj_options *o, char *err, size_t errlen);
void sdj_close(struct sdj *j);
/* 0, or -1 (warned) when the cursor is not one: then at the end. */
int sdj_seek_cursor(struct sdj *j, const char *cursor);
int sdj_seek_time(struct sdj *j, int64_t usec);
int sdj_seek_head(struct sdj *j);
int sdj_seek_tail(struct sdj *j);
/* Entries received after usec are not given (replay's --until). */
void sdj_set_until(struct sdj *j, int64_t usec);
/* 1: the next entry in *ll (*truncated: its message was cut); 0: none
 * for now (or the until time passed). */
int sdj_next(struct sdj *j, struct logline *ll, int *truncated);
/* The cursor of the last entry given; NULL before the first. */
const char *sdj_cursor(struct sdj *j);
int sdj_fd(struct sdj *j);
short sdj_events(struct sdj *j);
/* Milliseconds poll() may wait at most (-1: no limit). */
int sdj_timeout_ms(struct sdj *j);
/* After poll(): 1 when files were added or removed, else 0. */
int sdj_process(struct sdj *j);
void sdj_stats(const struct sdj *j, struct sdj_stats *s);
/* The users whose entries are read from now on (a reload): reading goes
 * on after the last entry given.  -1 (warned): every entry is read. */
int sdj_set_users(struct sdj *j, const int64_t *uids, size_t n);
/* A description of the source for messages: "the journal" or "DIR". */
const char *sdj_name(const struct sdj *j);

#endif
