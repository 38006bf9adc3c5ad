/*
 * NAME
 *	tracker - per-address scores over a sliding window, ban decisions,
 *	repeat-offender escalation, and the queue-ID evidence cache
 * DESCRIPTION
 *	tracker_hit() adds score to an address at time now (seconds; a replay
 *	passes the line's own stamp).  Scores older than cfg->window are
 *	forgotten.  When the sum reaches cfg->threshold and the address is not
 *	already banned, a ban is decided: the nth ban within cfg->forget lasts
 *	cfg->bantimes[n - 1] (the last entry repeating), and the score starts
 *	again from zero.  Score 0 counts nothing: an address already held is
 *	marked as seen, one that is not is not taken in (an address that only
 *	ever scores 0, such as a relay's session records, takes no room).
 *
 *	Each address keeps at most TRACKER_EVENTS score events (struct
 *	score_event, score.h); when more arrive, the two oldest are merged
 *	and keep the older time, so that they expire early rather than late
 *	(never a ban the window does not justify).
 *
 *	At most cfg->max_tracked addresses are kept, in memory fixed per
 *	address (TRACKER_ENTRY_BYTES: the entry and its share of the hash
 *	table; tracker_get_stats() says the bytes held).  When the table is
 *	full and a new address scores, the entry that carries the least
 *	evidence goes: evidence levels, lowest first, are nothing left in
 *	the window; a score in the window, by its sum (one-offs lowest, the
 *	threshold's neighbours highest); banned within cfg->forget (its count
 *	decides the next ban's length); banned now.  Within a level the least
 *	recently seen goes first.  A newcomer whose first score puts it below
 *	every level held is not taken in (stats: refused): a flood of one-offs
 *	never pushes out an address close to its threshold, and it replaces
 *	only other one-offs, the oldest first.  Levels are set on every
 *	change and checked again, least recently seen first, when room is
 *	made: an entry whose scores aged out of the window drops to its level.
 *
 *	tracker_qid() joins evidence spread over lines by queue ID (Sendmail's
 *	"QID: <user>... User unknown" before "QID: from=..., relay=[ip]"): a
 *	line with a qid and no address parks its score under the qid; a line
 *	with both binds the qid to the address and applies what was parked.
 *	The cache holds cfg->max_qids queue IDs, oldest replaced first.
 * SECURITY
 *	Addresses and queue IDs come from hostile input: every table is bounded.
 */
#ifndef MAILBAN_TRACKER_H
#define MAILBAN_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "score.h"

#define TRACKER_EVENTS SCORE_EVENTS
#define TRACKER_QID_MAX 31
/*
 * Memory per tracked address, at most: the entry (92 bytes, its links on
 * its evidence level's list included) and its share of the hash table
 * (under 10: 4-byte buckets, the power of two at or above 1.25 per
 * address; 8.4 for the default 1,000,000), 102 in all; `run` adds the
 * list of scores changed since the last write to the state file
 * (TRACKER_DIRTY_BYTES per address, and 1024 addresses more).  The qid
 * cache is apart: cfg->max_qids entries of 64 bytes (one cache line) and
 * 8 (the parked pattern), and its buckets, the power of two at or above
 * 2 per queue ID (8 bytes each for the default 65,536, at most 16).
 */
#define TRACKER_ENTRY_BYTES 104
#define TRACKER_DIRTY_BYTES 36

struct pattern;

struct ban_decision {
	struct addr addr;
	int64_t start; /* seconds */
	int64_t duration; /* seconds */
	unsigned count; /* 1 for a first ban */
	const struct pattern *pat; /* the pattern whose hit decided it */
	long score; /* the summed score that crossed the threshold */
};

struct tracker_stats {
	uint64_t dirty_lost; /* score changes too many to list for the state */
	uint64_t tracked; /* addresses held now */
	uint64_t capacity; /* at most (limits.tracked when made) */
	uint64_t evicted; /* addresses dropped to make room */
	uint64_t evicted_evidence; /* ... of them above the lowest score
				    * level (more than a one-off) or banned */
	uint64_t refused; /* new addresses not taken in: every one held has
			   * more evidence */
	uint64_t bytes; /* memory held for addresses (not queue IDs) */
	uint64_t qids_evicted;
	uint64_t qid_parked; /* hits parked under a queue ID */
};

struct tracker;

struct tracker *tracker_new(const struct config *cfg);
void tracker_free(struct tracker *t);

/* 1 when this hit decides a ban (*d filled), 0 otherwise. */
int tracker_hit(struct tracker *t, const struct addr *a, int64_t now,
    long score, const struct pattern *p, struct ban_decision *d);
/* What a line with a queue ID did beyond its own score (tracker_qid()). */
struct tracker_join {
	int32_t joined; /* parked score it applied to the address: > 0 or 0 */
	const struct pattern *pat; /* the parked score's pattern, if joined */
	int bound; /* a line without address scored the qid's address: */
	struct addr addr; /* that address (as keyed: its prefix, prefix.*) */
};

/*
 * Evidence by queue ID; a is NULL when the line carries no address.
 * 1 when a ban is decided (*d filled), 0 otherwise; *j (unless NULL)
 * says what the line did to the qid's address besides its own score.
 */
int tracker_qid(struct tracker *t, const char *qid, size_t qidlen,
    const struct addr *a, int64_t now, long score, const struct pattern *p,
    struct ban_decision *d, struct tracker_join *j);
/* Forget an address's score and ban (unban); its ban count stays. */
void tracker_unban(struct tracker *t, const struct addr *a);
/* Seed history (restore from state): count bans, the last at last_ban,
 * banned until until (0: not banned). */
void tracker_seed(struct tracker *t, const struct addr *a, unsigned count,
    int64_t last_ban, int64_t until);
/* Start listing score changes for tracker_drain_dirty() (run mode). */
void tracker_keep_dirty(struct tracker *t);
/*
 * Scores in flight, for the state file: cb gets every address whose score
 * changed since the last drain, with its events inside the window (n = 0:
 * nothing in flight any more), and the list is emptied.
 */
void tracker_drain_dirty(struct tracker *t, void (*cb)(void *,
    const struct addr *, const struct score_event *, size_t, int64_t),
    void *ctx);
/* How many addresses wait for tracker_drain_dirty(). */
size_t tracker_dirty_count(const struct tracker *t);
/* List a's score again for the next drain (a write of the last failed). */
void tracker_mark_dirty(struct tracker *t, const struct addr *a);
/* Put back scores in flight read from the state file at start. */
void tracker_seed_events(struct tracker *t, const struct addr *a,
    const struct score_event *ev, size_t n, int64_t now);
/* A reloaded configuration: threshold, window, ban times, forget.  The
 * table sizes stay as they were.  Forgets pattern references. */
void tracker_set_config(struct tracker *t, const struct config *cfg);
void tracker_get_stats(const struct tracker *t, struct tracker_stats *st);

#endif
