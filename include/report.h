/*
 * NAME
 *	report - what "mailban test" prints: matches, bans, summary; text or
 *	JSON lines
 * DESCRIPTION
 *	report_hooks() returns engine hooks that print each match and each ban
 *	decision to out as they happen; report_summary() prints the totals.
 *	JSON output is one object per line (see DESIGN.md); every string is
 *	escaped, so hostile log text cannot break a line or an object.
 */
#ifndef MAILBAN_REPORT_H
#define MAILBAN_REPORT_H

#include <stdio.h>

#include "engine.h"

struct report {
	FILE *out;
	int json;
	int bans_only; /* text: do not print every match */
};

struct engine_hooks report_hooks(struct report *r);
void report_summary(struct report *r, const struct engine *en);
/* Escaped JSON string (with quotes) of len bytes of text. */
void report_json_string(FILE *out, const char *text, size_t len);
/* "1h", "2d", "3w", "90s": the largest unit that divides d. */
const char *report_duration(char *buf, size_t len, int64_t d);
/* Time left for people: "59d23h", "3h05m", "4m10s", "45s". */
const char *report_left(char *buf, size_t len, int64_t d);
/* ISO 8601 UTC, "2026-11-27T01:02:03Z". */
const char *report_time(char *buf, size_t len, int64_t t);

#endif
