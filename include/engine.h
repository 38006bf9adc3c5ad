/*
 * NAME
 *	engine - the line path: prefix, dispatch, patterns, address, ignore
 *	list, duplicate filter, tracker
 * DESCRIPTION
 *	engine_line() takes one raw input line and runs it through every stage;
 *	it calls the on_match hook for each matching line and on_ban for each
 *	ban decision.  Shared by "test" (times from the log) and "run" (times
 *	from the clock).  No allocation per line: the patterns of a program
 *	name are listed when the name is first seen and cached (pattern.c,
 *	bounded); a name never cached (over 128 bytes, or with a NUL) is
 *	listed in a buffer the pattern set keeps.
 *
 *	A line the engine reads but does not act on for a reason an
 *	administrator must see is a notice: engine_notice() counts it by kind
 *	and hands it to the on_notice hook (run keeps counts and a few
 *	examples per program in the state file; test prints them on request).
 *
 *	Exim sends lines that also go to its reject log to syslog twice; an
 *	exim* line identical to one of the last ENGINE_DUPS matched lines of
 *	the same second and the same process id (the tag's, else Exim's own
 *	"[pid]") is reported as a duplicate and not scored again.
 */
#ifndef MAILBAN_ENGINE_H
#define MAILBAN_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "pattern.h"
#include "prefix.h"
#include "tracker.h"
#include "widen.h"

#define ENGINE_DUPS 64
/*
 * Exim cuts a syslog message longer than 870 bytes, or holding a newline,
 * into pieces "[1/3] ", "[2/3] ", "[3\\3] " ('\\': cut at a newline) (log.c,
 * MAX_SYSLOG_LEN).  The pieces of one process (host and tag pid) are put
 * together again, ENGINE_SPLITS processes at a time, ENGINE_SPLIT_MAX
 * bytes each; the whole message goes through the patterns with the last
 * piece.  A piece out of order, or a message too long, is dropped.
 */
/* (host, pid, client) of the last lines of patterns that others name in
 * "unless" (pattern_set_unless), direct-mapped */
#define ENGINE_COVERS 256
#define ENGINE_SPLITS 8
#define ENGINE_SPLIT_MAX (16 * 1024)

struct engine_split {
	uint64_t key; /* host and pid; 0: free */
	unsigned next, total; /* the piece expected, of how many */
	uint64_t used; /* line number of the last piece, for reuse */
	size_t len;
	char buf[ENGINE_SPLIT_MAX];
};

struct engine_match {
	uint64_t line; /* 1-based across all inputs */
	const char *text; /* the whole input line, as read (hostile) */
	size_t len;
	const struct logline *ll;
	const struct pattern *pat;
	const struct addr *addr; /* NULL: queue ID only */
	/* the network addr is scored under (prefix.*), or addr itself; NULL
	 * when addr is, unless the line's queue ID is bound to a client:
	 * what that client is scored as */
	const struct addr *key;
	const char *qid;
	size_t qidlen;
	/* the pattern of the score parked under qid by earlier lines that
	 * this line applied to addr (NULL: none, or none recorded) */
	const struct pattern *joined_pat;
	int32_t joined; /* that score (0: none); parked scores are 32-bit */
	uint8_t duplicate;
	uint8_t ignored; /* address is in the ignore list (or the allow list) */
	uint8_t widened; /* on_ban only: the ban of a wider network (widen.h) */
};
/* What every line that matched fills: kept to the size it had (a larger
 * one costs the line path its inlining). */
_Static_assert(sizeof(struct engine_match) <= 88, "engine_match grew");

/* What line m put on its address: its own score and what it joined by
 * queue ID. */
static inline long
engine_match_score(const struct engine_match *m)
{
	return pattern_score(m->pat) + m->joined;
}

/* The pattern m is told under: a record (score 0) that joined evidence
 * parked by queue ID is told under the parked lines' pattern, as the ban
 * it may decide is. */
static inline const struct pattern *
engine_match_pattern(const struct engine_match *m)
{
	if (m->joined > 0 && m->joined_pat != NULL && pattern_score(m->pat) == 0)
		return m->joined_pat;
	return m->pat;
}

/* Lines read and not acted on, by why (names: engine_notice_name()). */
enum engine_notice {
	NOTICE_UNTRUSTED, /* its writer is not the MTA that it names */
	NOTICE_UNMATCHED, /* an MTA's reject or failure that no pattern reads */
	NOTICE_DNSBL_ERROR, /* a DNSBL refusing this server's queries */
	NOTICE_N
};

struct engine_hooks {
	void (*on_match)(void *ctx, const struct engine_match *m);
	void (*on_ban)(void *ctx, const struct engine_match *m,
	    const struct ban_decision *d);
	/* line, len: the whole input line, as read */
	void (*on_notice)(void *ctx, enum engine_notice kind, uint64_t lineno,
	    const struct logline *ll, const char *line, size_t len);
	void *ctx;
};

struct engine_stats {
	uint64_t lines, malformed, overlong, matched, ignored, bad_addr;
	uint64_t duplicates, match_errors, bans;
	uint64_t widened; /* bans of a wider network (widen.h), in bans too */
	uint64_t widen_blocked; /* widenings an ignored or allowed address
				 * prevented */
	uint64_t notices[NOTICE_N];
	uint64_t *per_pattern; /* pattern_count() entries */
};

struct engine {
	const struct config *cfg;
	struct prefix_clock clk;
	struct tracker *tr;
	struct widen *wd;
	int use_clock; /* run mode: score at clk.now, not at the line's stamp */
	/* run: the state's runtime allow list, honoured as the ignore list;
	 * NULL: none (owned by the caller) */
	const struct addr_list *allow;
	struct engine_hooks hooks;
	struct engine_stats st;
	struct engine_split *splits; /* ENGINE_SPLITS, made on first use */
	struct {
		uint64_t key; /* 0: free */
		size_t pat; /* the pattern's index */
		int64_t until; /* a DNSBL error's: it covers up to then */
	} cover[ENGINE_COVERS];
	uint64_t dup_hash[ENGINE_DUPS];
	int64_t dup_time[ENGINE_DUPS];
	unsigned dup_next;
	/* how many of dup_hash[] have each top byte (empty slots: 0): a
	 * line whose byte has none is no duplicate, without the walk */
	uint8_t dup_count[256];
	int warned_nocred; /* the empty-credentials hint was given */
};

void engine_init(struct engine *en, const struct config *cfg, int64_t now,
    int use_clock, const struct engine_hooks *hooks);
void engine_free(struct engine *en);
/* Switch to a reloaded configuration; per-pattern counts start again. */
void engine_set_config(struct engine *en, const struct config *cfg);
void engine_set_now(struct engine *en, int64_t now);
void engine_line(struct engine *en, const char *line, size_t len,
    int truncated);
/*
 * One entry already split into its fields (a journal entry: time, host,
 * program and credentials from the entry, never parsed from text): the
 * line path from the patterns on, as engine_line().  Its message is the
 * line that notices keep.  ll->stamp.kind must be 0 (ts is final).
 */
void engine_entry(struct engine *en, struct logline *ll, int truncated);
/* A ban read from the state file (seed) or lifted by hand: the tracker
 * and the widening both learn it. */
void engine_seed_ban(struct engine *en, const struct addr *a, unsigned count,
    int64_t last_ban, int64_t until);
void engine_unban(struct engine *en, const struct addr *a);
/* Count a notice about the current line (ll of line) and report it. */
void engine_notice(struct engine *en, enum engine_notice kind,
    const struct logline *ll, const char *line, size_t len);
/* "untrusted", "unmatched", "dnsbl-error" */
const char *engine_notice_name(enum engine_notice kind);

#endif
