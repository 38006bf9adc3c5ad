/*
 * NAME
 *	rxlit - what every match of a regex must contain, read from its text
 * SYNOPSIS
 *	#include "rxlit.h"
 *
 *	struct rxlit lits;
 *	struct rxlit_bytes last;
 *
 *	if (rxlit_extract(regex, &lits) == 0) {
 *		... lits.prefix[], lits.cl[] ...
 *		rxlit_free(&lits);
 *	}
 *	if (rxlit_last(regex, &last))
 *		... a match ends the subject, on a byte of last ...
 * DESCRIPTION
 *	Reads PCRE2 regex syntax (as compiled by pattern.c: no UTF, no UCP,
 *	no options) without PCRE2, and derives, conservatively, what the
 *	prefilter needs.  A derived constraint may be weaker than the regex,
 *	never stronger: whatever the regex matches satisfies it.
 *
 *	rxlit_extract() gives the prefixes (when the regex starts with "^"
 *	and literal text or a group of literal alternatives: one of them
 *	starts every match) and the clauses (sets of literals one of which
 *	every match contains).  It returns -1, with *o empty, for what it does
 *	not understand at the top level (alternation, inline options such as
 *	"(?i)", verbs, \Q...\E, back-references, unusual escapes or
 *	quantifiers); inside a group, such a construct only makes that group
 *	contribute nothing.  A literal of a caseless group ("(?i:...)") is
 *	caseless and held in lower case.  The strings belong to *o until
 *	rxlit_free(), which leaves *o empty.
 *
 *	rxlit_last() returns 1 when the regex ends with "$" at its top level
 *	and its match cannot be empty: *last then holds the bytes a match can
 *	end with, and the bytes before which "$" also matches (NUL, \n, \v,
 *	\f, \r, \x85: a subject ending with a newline byte is never ruled
 *	out).  0 otherwise.
 *
 *	rxlit_text() describes a result for tests and -v output:
 *	^("pre1"|"pre2") "lit" ("alt1"|i"alt2"), i for caseless.
 *	rxlit_put_str() appends one literal, quoted and C-escaped, at *at;
 *	rxlit_put_prefix() the prefixes as ^"one" or ^("one"|"two");
 *	rxlit_put_last() a gate as a class, without the newline bytes every
 *	gate holds.  They keep buf NUL-terminated and stop where it is full.
 *
 *	The syntax pieces are exported for the tests: rxlit_skip_class()
 *	and rxlit_skip_group() return the index after the class or group at
 *	re[i] ("[" or "("), or 0 to give up; rxlit_skip_group() also stores
 *	the offsets of the group's own '|' in alt (at most RXLIT_ALTS - 1).
 *	rxlit_quantifier() reads the quantifier at re[i]: its minimum and
 *	length, or -1.  rxlit_group_kind() says what the group re[i, j) is.
 * SECURITY
 *	Regexes come from the configuration (root's), but the reader bounds
 *	its own work anyway: nesting (RXLIT_DEPTH), literal length, literals
 *	per clause and clauses per regex are bounded, and it never reads past
 *	the regex's NUL.
 */
#ifndef MAILBAN_RXLIT_H
#define MAILBAN_RXLIT_H

#include <stddef.h>
#include <stdint.h>

#define RXLIT_ALTS 16 /* literals in one clause, prefixes, alternatives */
#define RXLIT_CLAUSES 16 /* clauses remembered per regex */

struct rxlit_lit {
	char *s;
	size_t len;
	int ci; /* caseless: s holds lower case, ASCII letters fold */
};

/* A clause: the subject contains at least one of its literals. */
struct rxlit_clause {
	struct rxlit_lit lit[RXLIT_ALTS];
	size_t n;
};

struct rxlit {
	char *prefix[RXLIT_ALTS]; /* a match starts with one of these */
	size_t prefixlen[RXLIT_ALTS];
	size_t nprefix; /* 0: no prefix known */
	struct rxlit_clause cl[RXLIT_CLAUSES]; /* a match satisfies each */
	size_t ncl;
};

/* A set of bytes: bit c & 63 of w[c >> 6]. */
struct rxlit_bytes {
	uint64_t w[4];
};

int rxlit_extract(const char *re, struct rxlit *o);
void rxlit_free(struct rxlit *o);
int rxlit_last(const char *re, struct rxlit_bytes *last);

void rxlit_clause_free(struct rxlit_clause *c);
/* The length of c's shortest literal (SIZE_MAX when c is empty). */
size_t rxlit_clause_minlen(const struct rxlit_clause *c);

const char *rxlit_text(const struct rxlit *o, char *buf, size_t buflen);
void rxlit_put_str(char *buf, size_t buflen, size_t *at, const char *s,
    size_t len);
void rxlit_put_prefix(char *buf, size_t buflen, size_t *at,
    char *const *prefix, const size_t *prefixlen, size_t n);
void rxlit_put_last(char *buf, size_t buflen, size_t *at,
    const struct rxlit_bytes *last);

#define RXLIT_GROUP_OTHER 0 /* verbs, options, conditions, resets ... */
#define RXLIT_GROUP_BODY 1 /* alternatives from *body on */
#define RXLIT_GROUP_LOOK 2 /* a lookaround: zero width */

size_t rxlit_skip_class(const char *re, size_t i);
size_t rxlit_skip_group(const char *re, size_t i, size_t *alt, size_t *nalt);
int rxlit_quantifier(const char *re, size_t i, unsigned long *min,
    size_t *qlen);
/*
 * The group re[i] == '(' .. re[j - 1] == ')': RXLIT_GROUP_BODY for a
 * non-capturing, atomic, caseless ("(?i:", *ci set) or capturing group
 * (named or not) whose alternatives start at *body; RXLIT_GROUP_LOOK for
 * a lookaround; RXLIT_GROUP_OTHER for anything else.
 */
int rxlit_group_kind(const char *re, size_t i, size_t j, size_t *body,
    int *ci);

#endif
