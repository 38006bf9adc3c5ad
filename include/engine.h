/*
 * NAME
 *	engine - the line path: prefix, dispatch, patterns, address, ignore
 *	list, duplicate filter, tracker
 * DESCRIPTION
 *	engine_line() takes one raw input line and runs it through every stage;
 *	it calls the on_match hook for each matching line and on_ban for each
 *	ban decision.  Shared by "test" (times from the log) and "run" (times
 *	from the clock).  No allocation per line.
 *
 *	Exim sends lines that also go to its reject log to syslog twice; an
 *	exim* line identical to one of the last ENGINE_DUPS matched lines of
 *	the same second is reported as a duplicate and not scored again.
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

#define ENGINE_DUPS 64

struct engine_match {
	uint64_t line; /* 1-based across all inputs */
	const struct logline *ll;
	const struct pattern *pat;
	const struct addr *addr; /* NULL: queue ID only, address not yet known */
	const char *qid;
	size_t qidlen;
	int duplicate;
	int ignored; /* address is in the ignore list */
};

struct engine_hooks {
	void (*on_match)(void *ctx, const struct engine_match *m);
	void (*on_ban)(void *ctx, const struct engine_match *m,
	    const struct ban_decision *d);
	void *ctx;
};

struct engine_stats {
	uint64_t lines, malformed, overlong, matched, ignored, bad_addr;
	uint64_t duplicates, match_errors, bans;
	uint64_t *per_pattern; /* pattern_count() entries */
};

struct engine {
	const struct config *cfg;
	struct prefix_clock clk;
	struct tracker *tr;
	int use_clock; /* run mode: score at clk.now, not at the line's stamp */
	struct engine_hooks hooks;
	struct engine_stats st;
	uint64_t dup_hash[ENGINE_DUPS];
	int64_t dup_time[ENGINE_DUPS];
	unsigned dup_next;
	/* the slots whose dup_hash has these low 6 bits, one bit a slot */
	uint64_t dup_slots[64];
};

void engine_init(struct engine *en, const struct config *cfg, int64_t now,
    int use_clock, const struct engine_hooks *hooks);
void engine_free(struct engine *en);
/* Switch to a reloaded configuration; per-pattern counts start again. */
void engine_set_config(struct engine *en, const struct config *cfg);
void engine_set_now(struct engine *en, int64_t now);
void engine_line(struct engine *en, const char *line, size_t len,
    int truncated);

#endif
