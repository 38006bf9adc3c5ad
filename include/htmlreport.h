/*
 * NAME
 *	htmlreport - the static HTML page of the bans
 * SYNOPSIS
 *	#include "htmlreport.h"
 * DESCRIPTION
 *	htmlreport_page() writes one self-contained page (no external
 *	scripts, fonts, styles or images: it works offline, from file:// and
 *	behind any web server) from a summary: the active bans (address,
 *	pattern, program, host, first and last ban, ban count, ban length,
 *	time left, and for bans decided by a pattern that matches one of
 *	report.dnsbl a link to report.lookup), the totals per pattern, and
 *	the bans per day of the last SUMMARY_DAYS days as an inline SVG bar
 *	chart.  A small inline script sorts a table by any column when its
 *	heading is clicked (numbers numerically, times by value, addresses by
 *	their bytes) and records the order in the URL fragment, "#sort=KEY"
 *	(ascending) or "#sort=-KEY" (descending), with KEY one of address,
 *	pattern, program, host, first, last, count, length, left; a page
 *	opened with such a fragment starts sorted that way.  exists = 0 says
 *	that there is no state file yet.
 *
 *	htmlreport_write() writes the page atomically: a temporary file in
 *	the same directory, fsync, rename over path (mode 0644).  0, or -1
 *	with a msg_warn() and no file left behind.  htmlreport_update() loads
 *	the summary from an open state file and writes it.
 * SECURITY
 *	Every string on the page goes through html_escape(); links are built
 *	only from the canonical address text and the validated report.lookup.
 *	Nothing read from a log line or a pattern name can become markup.
 */
#ifndef MAILBAN_HTMLREPORT_H
#define MAILBAN_HTMLREPORT_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "summary.h"

#define HTMLREPORT_MAX_ROWS 10000 /* active bans listed; the newest */

void htmlreport_page(FILE *out, const struct summary *s,
    const struct config *cfg, int exists);
int htmlreport_write(const char *path, const struct summary *s,
    const struct config *cfg, int exists);
int htmlreport_update(struct state *st, const struct config *cfg,
    const char *path, int64_t now);

#endif
