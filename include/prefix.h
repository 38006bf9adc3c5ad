/*
 * NAME
 *	prefix - syslog prefix parser: timestamp, host, program tag
 * DESCRIPTION
 *	prefix_parse() splits one input line (not NUL-terminated, may contain
 *	any byte) into timestamp, host, program and message without copying.
 *	Accepted shapes:
 *
 *	  Oct  9 01:50:13 host prog[pid]: msg          classic RFC 3164 file
 *	  2026-11-27T01:09:07.163796+00:00 host prog[pid]: msg   RFC 3339
 *	  2026-11-27T01:09:07+00:00 host prog msg      tag without colon
 *	  <PRI>... any of the above with a priority in front
 *	  2026-11-27 01:05:46 [pid] msg                Exim mainlog
 *	  2026-11-27 01:05:46 host prog[pid]: msg      a file template (a
 *	                     host and a one-word tag: not Exim's own words)
 *	  Oct  9 01:50:13 <mail.info> host prog: msg   BSD syslogd -v
 *	  ... host [prog]: msg                         a tag without pid
 *	  1 2026-11-27T01:09:07Z host app procid ...   RFC 5424 without <PRI>
 *	  2026-11-27T01:09:07+0000 host prog[pid]: msg journalctl -o short-iso
 *	                                               (and short-iso-precise)
 *	  Fri 2026-11-27 01:09:07 UTC host prog: msg   journalctl short-full
 *	                     (UTC and GMT are UTC; another zone: local time)
 *	  1795741747.123456 host prog[pid]: msg        journalctl short-unix
 *	  [  12345.678901] host prog[pid]: msg         journalctl
 *	                     short-monotonic: no wall time, taken at the clock
 *	  {"MESSAGE":...,"SYSLOG_IDENTIFIER":...}      journalctl -o json: one
 *	                     object a line; MESSAGE (decoded: a message with
 *	                     escapes points into a buffer of this module, valid
 *	                     until the next JSON line), SYSLOG_IDENTIFIER (else
 *	                     _COMM), _HOSTNAME, __REALTIME_TIMESTAMP; the
 *	                     fields journald writes itself (_PID, _UID, _GID,
 *	                     _EXE, _COMM, _SYSTEMD_UNIT) fill cred (has = 1)
 *	  prog[pid]: msg  or  host prog[pid]: msg    a line quoted without
 *	                     its stamp: taken at the clock (a tag that
 *	                     starts with a letter and has its pid; a host
 *	                     without ':')
 *	  @cred{"pid":"N","uid":"N",...} any of the above
 *
 *	The last shape is what the shipped rsyslog and syslog-ng snippets
 *	write: the writer's credentials as the syslog daemon got them from
 *	the kernel (SCM_CREDENTIALS and /proc), one JSON object of strings
 *	or numbers (members pid, uid, gid, exe, comm; others ignored; a
 *	missing or empty one is not known), then one space and the line.
 *	The daemon writes it before the message, and JSON escaping keeps a
 *	hostile executable name inside its string, so nothing a writer logs
 *	can make or change it.  A line that starts "@cred{" with anything
 *	but such an object is malformed.  prefix_cred() parses the header
 *	alone.
 *
 *	Exim mainlog lines get program "exim" and no host.  For programs whose
 *	name starts with "exim", Exim's own "YYYY-MM-DD HH:MM:SS[.fff][ +ZZZZ]"
 *	stamp and "[pid]" at the start of the message are skipped.
 *
 *	Year-less stamps take the year that puts them no more than one day
 *	after the reference time (the clock), so that a
 *	replay across New Year keeps its order.  Classic stamps are local time.
 * SECURITY
 *	Lines are attacker-influenced; every field is bounded by len.
 */
#ifndef MAILBAN_PREFIX_H
#define MAILBAN_PREFIX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A stamp's fields, checked, before they become a time (prefix_time). */
struct prefix_stamp {
	int kind; /* 0: logline.ts is final */
	int y, mon, day, h, mi, s;
	int zoned; /* off applies; else local time */
	int32_t off; /* seconds east of UTC */
};

/*
 * Who wrote a line, as the kernel vouches for it: rsyslog's trusted
 * properties, syslog-ng's unix credentials, the journal's fields that
 * begin with an underscore; never the tag, which the sender chooses.
 * has = 0: the line carried none (a file, a plain pipe), and the other
 * fields are not set.  The strings point into the line (or into the
 * journal entry) and are not NUL-terminated.
 */
#define LOGCRED_TEXT 1024 /* room for exe and comm, unescaped, NULs */

struct logcred {
	int has;
	int64_t pid, uid, gid; /* -1: not known */
	const char *exe; /* executable; exelen 0: not known */
	size_t exelen;
	const char *comm; /* process name; commlen 0: not known */
	size_t commlen;
	const char *unit; /* systemd unit; unitlen 0: not known or none */
	size_t unitlen;
	int unit_known; /* the source knows units: unitlen 0 means none */
	/* prefix_cred(): exe and comm unescaped here, each NUL-terminated */
	char text[LOGCRED_TEXT];
};

struct logline {
	struct logcred cred; /* prefix_parse(): from an @cred header, a
				 * journal's fields, or has 0 */
	int64_t ts; /* seconds since the epoch */
	int has_ts; /* 0: no stamp, ts is the reference time */
	struct prefix_stamp stamp; /* prefix_parse_lazy(): for prefix_time() */
	const char *host; /* never NULL; hostlen 0 when there is none */
	size_t hostlen;
	const char *prog; /* tag without [pid] and colon */
	size_t proglen;
	const char *msg;
	size_t msglen;
};

#define PREFIX_HOUR_SLOTS 8 /* local_hour() hashes into 3 bits */

struct prefix_clock {
	int64_t now; /* reference time: wall clock */
	int year; /* local year of now */
	/*
	 * Local-time cache: (year, month, day, hour) -> epoch of that hour,
	 * direct-mapped, so that a year-less stamp (tried in two years) and
	 * lines of neighbouring hours each pay mktime once per hour.
	 */
	struct {
		int32_t key; /* -1: empty */
		int64_t base;
	} hours[PREFIX_HOUR_SLOTS];
};

void prefix_clock_init(struct prefix_clock *clk, int64_t now);
/* 0 on success, -1 for a line that has no recognisable prefix. */
int prefix_parse(struct prefix_clock *clk, const char *line, size_t len,
    struct logline *out);
/*
 * prefix_parse() without the time: the stamp is checked exactly as there
 * (the same lines fail), but ts is only worked out (local time, year of a
 * year-less stamp) by prefix_time(), with the same clock, for the few lines
 * that need it.  prefix_time() of a line from prefix_parse() does nothing.
 */
int prefix_parse_lazy(struct prefix_clock *clk, const char *line, size_t len,
    struct logline *out);
void prefix_time(struct prefix_clock *clk, struct logline *ll);
/*
 * Skip Exim's own "YYYY-MM-DD HH:MM:SS[.fff][ +ZZZZ] [pid] " at the start
 * of ll->msg, as prefix_parse() does for programs named exim* (for a
 * message put together again from Exim's pieces, and for a journal
 * entry's message).
 */
void prefix_exim_message(struct logline *ll);
/* A line of Exim's: its program's name starts with "exim". */
static inline int
prefix_is_exim(const struct logline *ll)
{
	return ll->proglen >= 4 && memcmp(ll->prog, "exim", 4) == 0;
}
/*
 * Solaris and illumos syslogd (log_msgid, their default) write a message
 * ID after the tag: "sendmail[25741]: [ID 801593 mail.notice] QID: ...".
 * Take it off the start of ll->msg (then Exim's own stamp, for exim*),
 * when ll->msg starts with exactly "[ID DIGITS FACILITY.LEVEL] ".  The
 * engine calls it for a message that starts with '['; prefix_parse()
 * does not, so that no other line pays for the look.
 */
void prefix_msgid(struct logline *ll);
/*
 * The "@cred{...} " header at line into *cred: the bytes it takes (the
 * space after it included), 0 when the line does not start with
 * "@cred{", -1 when it does but the header is malformed (cred->has is
 * then 1 and nothing is known).  exe and comm point into cred->text.
 */
long prefix_cred(const char *line, size_t len, struct logcred *cred);

#endif
