/*
 * NAME
 *	report - what "mailban test" prints: matches, bans, summary; text or
 *	JSON lines
 * DESCRIPTION
 *	report_hooks() returns engine hooks that print each match and each ban
 *	decision to out as they happen; report_summary() prints the totals.
 *	JSON output is one object per line (DESIGN.md, "JSON contracts");
 *	every string is escaped with fmt_json(), so hostile log text cannot
 *	break a line or an object.  JSON lines are buffered inside this module: report_flush()
 *	writes to out what is made and not yet written; report_summary()
 *	does so before the totals, and so does exit.
 *
 *	Times, durations and JSON strings for the other commands are in
 *	fmt.h; this module is only what "mailban test" prints.
 */
#ifndef MAILBAN_REPORT_H
#define MAILBAN_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "engine.h"

struct report_name;

struct report {
	FILE *out;
	int json;
	int bans_only; /* text: do not print every match */
	int missed; /* print each line that NOTICE_UNMATCHED counts */
	int verbose; /* score-0 records too (event "record" in JSON) */
	uint64_t records; /* score-0 matches seen */
	struct report_name *names; /* the patterns' names as JSON, by index */
	size_t nnames;
};

struct engine_hooks report_hooks(struct report *r);
void report_summary(struct report *r, const struct engine *en);
void report_flush(struct report *r);
/* What the report keeps (after its last line). */
void report_free(struct report *r);

#endif
