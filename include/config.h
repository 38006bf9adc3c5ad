/*
 * NAME
 *	config - libconfig file to an immutable struct config
 * SYNOPSIS
 *	struct config *config_load(const char *path, char *const *overrides,
 *	    size_t noverrides, char *err, size_t errlen);
 *	struct config *config_load_default(const char *path, ...);
 *	void config_print(const struct config *cfg, FILE *out);
 * DESCRIPTION
 *	config_load() reads path (or, when path is NULL, the built-in default
 *	configuration, the same text as etc/mailban.conf), then the drop-in
 *	files path.d/NAME.conf in the byte order of NAME, then each
 *	"NAME=VALUE" override (VALUE is one libconfig value that replaces the
 *	top-level setting NAME), range-checks every setting and compiles every
 *	pattern.  On error it returns NULL with "FILE:LINE: message" in err.
 *	The result is immutable; config_free() accepts NULL.
 *	config_load_default() is what the commands do without -c: path (the
 *	installed SYSCONFDIR/mailban/mailban.conf) when it exists, else the
 *	built-in text; the drop-ins of path.d either way.
 *
 *	Layers.  Defaults are written once, in etc/mailban.conf: its text is
 *	compiled in (config_default_text) and read first, for every setting
 *	but the patterns; then the file (or the same text again when there is
 *	none), each drop-in, the overrides.  Each layer is a libconfig file of
 *	its own (a name given twice in one file is an error) and sets what it
 *	names over what the layers before it left: a setting, or a member of a
 *	group (sets, batch, limits, report, zone), that a layer leaves out
 *	keeps its value; a list (ports, ignore, bantimes, report.dnsbl) given
 *	in a layer replaces the one before whole.  The patterns are the main
 *	file's own (a file without them is an error); a later layer's pattern
 *	of a new name is added at the end, one of a known name changes the
 *	members it gives (program, score, regex) and keeps the others, and
 *	"enabled = false" takes it out.  The zone group, off by default, is
 *	the one setting the shipped file does not state: its defaults (every
 *	5s, value 127.0.0.2, the TXT text) are a built-in layer in config.c.
 *
 *	Numbers are read as 64-bit integers whatever their size (libconfig
 *	1.5 would wrap 4294967297 to 1) and range-checked; one that does not
 *	fit in 64 bits is an error.  config_print() writes the configuration
 *	in effect as libconfig text that loads to the same configuration,
 *	each value followed by "# FILE:LINE" of the layer that gave it, after
 *	the list of files read (config_file_count(), config_file_name()).
 *
 *	A new setting goes into etc/mailban.conf with its default, and into
 *	the table of settings in test/test_config.c, which checks that a
 *	file leaving out any one setting gets the built-in value of it and
 *	nothing else changes.
 */
#ifndef MAILBAN_CONFIG_H
#define MAILBAN_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "addr.h"
#include "trust.h"

#define CONFIG_MAX_PORTS 32
#define CONFIG_MAX_BANTIMES 32
#define CONFIG_SETNAME_MAX 31 /* IPSET_MAXNAMELEN - 1 */
#define CONFIG_MAX_DNSBL 64 /* report.dnsbl globs */

enum policy {
	POLICY_PORT, /* hash:ip,port; only the listed tcp ports */
	POLICY_DROP, /* hash:ip; everything from the address */
};

struct pattern_set;
struct config_sources;

struct config {
	char *path; /* file name for diagnostics ("(built-in)") */
	enum policy policy;
	uint16_t ports[CONFIG_MAX_PORTS];
	size_t nports;
	char set4[CONFIG_SETNAME_MAX + 1];
	char set6[CONFIG_SETNAME_MAX + 1];
	uint32_t maxelem;
	struct addr_list ignore;
	/* prefix.ipv4, prefix.ipv6: the network an address is scored and
	 * banned under (32 and 128: the address itself) */
	unsigned prefix4, prefix6;
	/* widen: widen_count distinct prefixes banned within forget inside
	 * one /widen4 or /widen6 ban that network (count 0: never) */
	unsigned widen4, widen6, widen_count;
	long threshold;
	int64_t window; /* seconds */
	int64_t bantimes[CONFIG_MAX_BANTIMES]; /* seconds */
	size_t nbantimes;
	int64_t forget; /* seconds */
	int64_t firewall_check; /* seconds between checks of the rules (run) */
	char *state; /* SQLite file */
	uint32_t batch_size;
	uint32_t batch_idle_ms;
	uint32_t max_tracked; /* tracked addresses */
	uint32_t max_qids; /* queue-ID cache entries */
	uint32_t max_evidence; /* log lines kept per address in the state */
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
	/* metrics: node_exporter's textfile (mailban run) */
	char *metrics_file; /* "" (default): none */
	int64_t metrics_every; /* seconds; at most one write per interval */
	char *run_user; /* privileges.user: "" keeps the user id */
	int seccomp; /* privileges.seccomp */
	/* the files read and where each value came from (config_print) */
	struct config_sources *sources;
	/* which writers count as each MTA (trust.h); require is set by the
	 * command line (--require-credentials), never by the file */
	struct trust trust;
};

struct config *config_load(const char *path, char *const *overrides,
    size_t noverrides, char *err, size_t errlen);
struct config *config_load_default(const char *path, char *const *overrides,
    size_t noverrides, char *err, size_t errlen);
void config_free(struct config *cfg);
/* The configuration in effect, with the file and line of each value. */
void config_print(const struct config *cfg, FILE *out);
/* The files read, in order (includes, drop-ins, "-o NAME=VALUE"). */
size_t config_file_count(const struct config *cfg);
const char *config_file_name(const struct config *cfg, size_t i);

/* The built-in default configuration text (generated from etc/mailban.conf). */
extern const char config_default_text[];

#define CONFIG_WIDEN_MAX 16 /* widen.count at most */

/* Parse "90", "10s", "5m", "2h", "1d", "1w" into seconds; 0 or -1. */
int config_parse_duration(const char *text, int64_t *out);
/* The same with an "ms" suffix allowed, into milliseconds. */
int config_parse_duration_ms(const char *text, int64_t *out);

#endif
