/*
 * NAME
 *	metrics - the state's figures in Prometheus's text format
 * SYNOPSIS
 *	#include "metrics.h"
 * DESCRIPTION
 *	metrics_print() writes the text exposition format 0.0.4 (a HELP and
 *	a TYPE line for every metric, names mailban_*) from an open state
 *	file, or from none (st NULL: every figure 0): the active bans per
 *	family, the counters that only grow (state.h's state_counters(),
 *	kept across restarts), the configured patterns with 0 when they
 *	have not counted yet, the time of the last commit of the running
 *	mailban and whether it reports itself degraded.  What "mailban
 *	status --prometheus" prints.
 *
 *	metrics_write() writes the same atomically to path, as node_exporter's
 *	textfile collector expects: a temporary file in the same directory,
 *	fsync, rename over path (mode 0644).  0, or -1 with a msg_warn() and
 *	no file left behind.
 * SECURITY
 *	Pattern names are the configuration's or the state file's: label
 *	values are escaped (backslash, double quote, new line) and bytes
 *	below 0x20 written as "?", so nothing in a name ends a line or a
 *	label.
 */
#ifndef MAILBAN_METRICS_H
#define MAILBAN_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "state.h"

int metrics_print(FILE *out, struct state *st, const struct config *cfg,
    int64_t now);
int metrics_write(struct state *st, const struct config *cfg,
    const char *path, int64_t now);

#endif
