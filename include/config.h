/*
 * NAME
 *	config - libconfig file to an immutable struct config
 * SYNOPSIS
 *	struct config *config_load(const char *path, char *const *overrides,
 *	    size_t noverrides, char *err, size_t errlen);
 * DESCRIPTION
 *	config_load() reads path (or, when path is NULL, the built-in default
 *	configuration, the same text as etc/mailban.conf), applies each
 *	"NAME=VALUE" override (VALUE is a libconfig value that replaces the
 *	top-level setting NAME), range-checks every setting and compiles every
 *	pattern.  On error it returns NULL with "FILE:LINE: message" in err.
 *	The result is immutable; config_free() accepts NULL.
 *
 *	Defaults are written once, in etc/mailban.conf: its text is compiled
 *	in (config_default_text) and read first, for every setting but the
 *	patterns; then the file (or the same text again when path is NULL),
 *	then the overrides.  A setting, or a member of a group (sets, batch,
 *	limits, report, zone), that the file leaves out keeps the value the
 *	built-in text gave it; a list (ports, ignore, bantimes, report.dnsbl)
 *	given in the file replaces the built-in one whole.  The patterns are
 *	the file's own: a file without them is an error.  The zone group, off
 *	by default, is the one setting the shipped file does not state: its
 *	defaults (every 5s, value 127.0.0.2, the TXT text) are in config.c.
 *
 *	A new setting goes into etc/mailban.conf with its default, and into
 *	the table of settings in test/test_config.c, which checks that a
 *	file leaving out any one setting gets the built-in value of it and
 *	nothing else changes.
 */
#ifndef MAILBAN_CONFIG_H
#define MAILBAN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CONFIG_MAX_PORTS 32
#define CONFIG_MAX_BANTIMES 32
#define CONFIG_SETNAME_MAX 31 /* IPSET_MAXNAMELEN - 1 */
#define CONFIG_MAX_DNSBL 64 /* report.dnsbl globs */

enum policy {
	POLICY_PORT, /* hash:ip,port; only the listed tcp ports */
	POLICY_DROP, /* hash:ip; everything from the address */
};

struct pattern_set;

struct config {
	char *path; /* file name for diagnostics ("(built-in)") */
	enum policy policy;
	uint16_t ports[CONFIG_MAX_PORTS];
	size_t nports;
	char set4[CONFIG_SETNAME_MAX + 1];
	char set6[CONFIG_SETNAME_MAX + 1];
	uint32_t maxelem;
	struct addr_list ignore;
	long threshold;
	int64_t window; /* seconds */
	int64_t bantimes[CONFIG_MAX_BANTIMES]; /* seconds */
	size_t nbantimes;
	int64_t forget; /* seconds */
	char *state; /* SQLite file */
	uint32_t batch_size;
	uint32_t batch_idle_ms;
	uint32_t max_tracked; /* tracked addresses */
	uint32_t max_qids; /* queue-ID cache entries */
	/* rbldnsd zone files of the active bans (fleet); NULL: none */
	char *zone4; /* ip4set */
	char *zone6; /* ip6trie */
	uint32_t zone_every; /* seconds between rewrites at most */
	char zone_value[16]; /* A record, 127.0.0.0/8 */
	char *zone_text; /* TXT record */
	struct pattern_set *patterns;
	/* report: the static HTML page (mailban report, mailban run) */
	char *report_html; /* "": mailban run writes no page */
	int64_t report_every; /* seconds; at most one page per interval */
	char *report_lookup; /* URL with one "%s" (the address); "": no links */
	char *report_dnsbl[CONFIG_MAX_DNSBL]; /* globs over pattern names */
	size_t nreport_dnsbl;
	char *run_user; /* privileges.user: "" keeps the user id */
	int seccomp; /* privileges.seccomp */
};

struct config *config_load(const char *path, char *const *overrides,
    size_t noverrides, char *err, size_t errlen);
void config_free(struct config *cfg);

/* The built-in default configuration text (generated from etc/mailban.conf). */
extern const char config_default_text[];

/* Parse "90", "10s", "5m", "2h", "1d", "1w" into seconds; 0 or -1. */
int config_parse_duration(const char *text, int64_t *out);
/* The same with an "ms" suffix allowed, into milliseconds. */
int config_parse_duration_ms(const char *text, int64_t *out);

#endif
