/*
 * NAME
 *	fmt - times, durations and JSON strings as text
 * SYNOPSIS
 *	#include "fmt.h"
 * DESCRIPTION
 *	The formatting every output of mailban shares: "mailban test", list,
 *	status, the report page and the zone files.  Nothing here knows the
 *	engine, the state file or the kernel; the module sits at the bottom
 *	of the layers, beside log and addr.
 *
 *	fmt_time(), fmt_duration() and fmt_left() write NUL-terminated text
 *	into buf (32 bytes are always enough) and return buf.
 *
 *	fmt_json() writes len bytes of text at p as a JSON string, quotes
 *	included, and returns the end; p must have room for FMT_JSON_MAX(len)
 *	bytes.  It is the escaper of every "mailban test --json" line: eight
 *	bytes at a time where none needs escaping (test/test_json.c holds it
 *	to the byte-at-a-time escaper it replaced).  fmt_json_string() writes
 *	the same to a stdio stream, fmt_json_str() a NUL-terminated string.
 *
 *	SECONDS_HOUR and SECONDS_DAY are the two lengths of time the code
 *	counts in (hourly counters, days of the report, duration suffixes).
 * SECURITY
 *	fmt_json() takes hostile bytes (log text, state strings): '"', '\\',
 *	controls, DEL and every byte above 0x7e are escaped as \uXXXX or
 *	\" \\, so the output is one valid JSON string whatever the input.
 */
#ifndef MAILBAN_FMT_H
#define MAILBAN_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SECONDS_HOUR 3600
#define SECONDS_DAY 86400

/* ISO 8601 UTC, "2026-11-27T01:02:03Z". */
const char *fmt_time(char *buf, size_t len, int64_t t);
/* fmt_time() that returns the text's length (no strlen over it). */
size_t fmt_time_len(char *buf, size_t len, int64_t t);
/* "1h", "2d", "3w", "90s": the largest unit that divides d. */
const char *fmt_duration(char *buf, size_t len, int64_t d);
/* Time left for people: "59d23h", "3h05m", "4m10s", "45s". */
const char *fmt_left(char *buf, size_t len, int64_t d);

/* The most fmt_json() writes for len bytes. */
#define FMT_JSON_MAX(len) (6 * (size_t)(len) + 2)

char *fmt_json(char *p, const char *text, size_t len);
void fmt_json_string(FILE *out, const char *text, size_t len);
void fmt_json_str(FILE *out, const char *text);

#endif
