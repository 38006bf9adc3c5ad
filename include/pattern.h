/*
 * NAME
 *	pattern - PCRE2 patterns per program: compile (JIT), dispatch, match
 * DESCRIPTION
 *	The only PCRE2 user.  A pattern has a name, a score, the programs it
 *	applies to (glob: '*' matches any run of bytes, '/' included), and a
 *	regex with a named group "ip" and/or "qid", and optionally
 *	"dnsbl_error" (pattern_match.dnsbl_error).  pattern_match() runs, in
 *	configuration order, only the patterns whose program globs match the
 *	line's program (dispatch is cached per program name), and reports the
 *	first match.  A pattern is JIT-compiled the first time it runs (the
 *	interpreter when the JIT cannot take it).  Match data is allocated
 *	once; the JIT stack is bounded, and so are PCRE2's match and depth
 *	limits.
 *
 *	Prefilter (prefilter.h; the regex is read by rxlit.h, without PCRE2):
 *	from each regex, pattern_add() derives (conservatively) the literal a
 *	match must start with, the literals every match contains, and, for a
 *	regex that ends with "$", the bytes a match can end with; a line that
 *	is too short, lacks the prefix, lacks a chosen literal or ends in
 *	another byte is never handed to PCRE2 for that pattern.  It never
 *	changes a result, only the time it takes (test/test_prefilter.c
 *	checks this).
 *
 *	Captured pointers point into the line; they live as long as it does.
 */
#ifndef MAILBAN_PATTERN_H
#define MAILBAN_PATTERN_H

#include <stddef.h>

#include "prefix.h"

struct pattern;
struct pattern_set;

struct pattern_match {
	const struct pattern *pat;
	const char *ip; /* NULL when the pattern has no ip group */
	size_t iplen;
	const char *qid; /* NULL when the pattern has no qid group */
	size_t qidlen;
	/*
	 * The group (?<dnsbl_error>...) took part in the match: the line is a
	 * DNSBL refusing this server's queries, as PATTERN_DNSBL_ERROR.
	 */
	int dnsbl_error;
	/*
	 * Set when no pattern matched (0 returned): the program has patterns
	 * and a literal they search first that says reject or failure was
	 * found (prefilter_prog_drift()): an MTA's reject that no pattern
	 * reads.
	 */
	int unmatched_reject;
};

struct pattern_set *pattern_set_new(void);
void pattern_set_free(struct pattern_set *ps);
/*
 * Compile and append one pattern.  On error returns -1 with PCRE2's message
 * and offset in err ("... at offset N").
 */
int pattern_add(struct pattern_set *ps, const char *name,
    const char *const *progs, size_t nprogs, long score, const char *regex,
    char *err, size_t errlen);
size_t pattern_count(const struct pattern_set *ps);
const struct pattern *pattern_get(const struct pattern_set *ps, size_t i);
const char *pattern_name(const struct pattern *p);
long pattern_score(const struct pattern *p);
size_t pattern_index(const struct pattern *p);
/*
 * What a match of p means: PATTERN_SCORES (its score counts against the
 * address) or PATTERN_DNSBL_ERROR (a DNSBL refusing this server's queries:
 * never scored, a notice).  Set after pattern_add(); PATTERN_SCORES by
 * default.
 */
#define PATTERN_SCORES 0
#define PATTERN_DNSBL_ERROR 1
void pattern_set_kind(struct pattern_set *ps, size_t i, int kind);
int pattern_kind(const struct pattern *p);
/*
 * Pattern i is not scored for a line when pattern j (j < i; up to
 * PATTERN_UNLESS of them) matched a line of the same process and client
 * since pattern i last did there (a session summary after the warning
 * that already counted: engine.c).  pattern_unless(p, j): 1 when j's
 * pattern is one of p's; pattern_has_unless(); pattern_covers(): some
 * pattern names this one.
 */
#define PATTERN_UNLESS 4
int pattern_set_unless(struct pattern_set *ps, size_t i, size_t j);
int pattern_unless(const struct pattern *p, size_t j);
int pattern_has_unless(const struct pattern *p);
int pattern_covers(const struct pattern *p);

/*
 * 1 and *m filled on a match, 0 when no pattern matches (only
 * m->unmatched_reject set), -1 on match error.
 */
int pattern_match(struct pattern_set *ps, const struct logline *ll,
    struct pattern_match *m);

/* For tests and benchmarks: switch the prefilter off (0) or on (1). */
void pattern_set_prefilter(struct pattern_set *ps, int on);
/* The prefilter alone: 0 when msg cannot match p's regex, 1 when it may. */
int pattern_may_match(struct pattern_set *ps, const struct pattern *p,
    const char *msg, size_t len);
/* The regex alone: 1 match, 0 none, -1 limit hit. */
int pattern_regex_match(struct pattern_set *ps, const struct pattern *p,
    const char *msg, size_t len);
/*
 * The prefilter as text: minlen N ^"prefix" "literal" ... $[last bytes];
 * returns buf.
 */
const char *pattern_prefilter_text(struct pattern_set *ps,
    const struct pattern *p, char *buf, size_t buflen);

#endif
