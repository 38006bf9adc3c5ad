/*
 * NAME
 *	rxlit - what every match of a regex must contain, read from its text
 * DESCRIPTION
 *	See include/rxlit.h.  rxlit_extract() walks the regex once, keeping
 *	the run of literal bytes being read (a set of strings when a group of
 *	literal alternatives "(?:A|B)" continued it):
 *
 *	  - prefixes: a run that nothing came before but "^";
 *	  - clauses: any other run of the top-level concatenation is a
 *	    clause of one; a group of alternatives gives, for each way to
 *	    pick one clause of A and one of B, the clause "A's or B's" (A or
 *	    B must match, and each implies its own clauses).
 *
 *	Classes and lookarounds end a run and are never looked into; a
 *	literal byte or group followed by a quantifier of minimum 0
 *	contributes nothing.  Dropping a clause is always safe (fewer
 *	constraints), so every bound below drops clauses, never a literal
 *	from a clause.
 *
 *	rxlit_last() walks the regex forwards keeping the set of bytes the
 *	text matched so far can end with, and whether it can still be empty.
 *	Literals, escapes for classes (\d \s \w and their negations),
 *	classes, "." and groups of alternatives are understood; assertions
 *	(lookarounds, \b, ^, $) add nothing; anything else gives up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rxlit.h"

#define RXLIT_RUNMAX 256 /* a longer literal run: no prefilter */
#define RXLIT_GROUP_CNF 8 /* clauses one group may give by distribution */
#define RXLIT_DEPTH 8 /* nested groups looked into */

/* The literal run being collected: a set of strings (one of them occurs). */
struct rxlit_run {
	char s[RXLIT_ALTS][RXLIT_RUNMAX];
	size_t len[RXLIT_ALTS];
	size_t n;
};

/* re[i] == '['; index after the closing ']', or 0 to give up. */
size_t
rxlit_skip_class(const char *re, size_t i)
{
	char d;

	i++;
	if (re[i] == '^')
		i++;
	if (re[i] == ']')
		i++; /* a leading ']' is a member */
	for (; re[i] != '\0'; i++) {
		if (re[i] == '\\') {
			if (re[i + 1] == '\0' || strchr("QEc", re[i + 1]) != NULL)
				return 0;
			i++;
		} else if (re[i] == '[' && (re[i + 1] == ':' || re[i + 1] == '.' ||
		    re[i + 1] == '=')) {
			d = re[i + 1];
			for (i += 2; re[i] != '\0' && !(re[i] == d && re[i + 1] == ']');
			    i++)
				;
			if (re[i] == '\0')
				return 0;
			i++;
		} else if (re[i] == ']') {
			return i + 1;
		}
	}
	return 0;
}

/*
 * re[i] == '('; index after the matching ')', or 0 to give up.  When alt
 * is not NULL, the offsets of the '|' at the group's own level are stored
 * there (at most RXLIT_ALTS - 1; *nalt counts them, more than fit: give up).
 */
size_t
rxlit_skip_group(const char *re, size_t i, size_t *alt, size_t *nalt)
{
	size_t depth = 0, j;

	if (nalt != NULL)
		*nalt = 0;
	for (; re[i] != '\0'; i++) {
		if (re[i] == '\\') {
			if (re[i + 1] == '\0' || strchr("QEc", re[i + 1]) != NULL)
				return 0;
			i++;
		} else if (re[i] == '[') {
			if ((j = rxlit_skip_class(re, i)) == 0)
				return 0;
			i = j - 1;
		} else if (re[i] == '(') {
			/* verbs ((*ACCEPT) ends a match early), comments, and
			 * extended mode (# comments) defeat this scan */
			if (re[i + 1] == '*' || (re[i + 1] == '?' && re[i + 2] == '#'))
				return 0;
			if (re[i + 1] == '?')
				for (j = i + 2; (re[j] >= 'a' && re[j] <= 'z') ||
				    (re[j] >= 'A' && re[j] <= 'Z') || re[j] == '-' ||
				    re[j] == '^'; j++)
					if (re[j] == 'x')
						return 0;
			depth++;
		} else if (re[i] == ')') {
			if (depth == 0)
				return 0;
			if (--depth == 0)
				return i + 1;
		} else if (re[i] == '|' && depth == 1 && nalt != NULL) {
			if (*nalt >= RXLIT_ALTS - 1)
				return 0;
			alt[(*nalt)++] = i;
		}
	}
	return 0;
}

/* Quantifier at re[i]: its minimum in *min, length in *qlen; -1: not one. */
int
rxlit_quantifier(const char *re, size_t i, unsigned long *min, size_t *qlen)
{
	size_t j = i + 1;
	unsigned long n = 0;

	if (re[i] == '*' || re[i] == '?') {
		*min = 0;
	} else if (re[i] == '+') {
		*min = 1;
	} else if (re[i] == '{') {
		if (re[j] < '0' || re[j] > '9')
			return -1; /* "{,m}", "{x": PCRE2 versions differ */
		for (; re[j] >= '0' && re[j] <= '9'; j++)
			if ((n = n * 10 + (unsigned long)(re[j] - '0')) > 65535)
				return -1;
		if (re[j] == ',')
			for (j++; re[j] >= '0' && re[j] <= '9'; j++)
				;
		if (re[j] != '}')
			return -1;
		j++;
		*min = n;
	} else {
		return -1;
	}
	if (re[j] == '?' || re[j] == '+') /* lazy, possessive */
		j++;
	*qlen = j - i;
	return 0;
}

void
rxlit_clause_free(struct rxlit_clause *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->lit[i].s);
	c->n = 0;
}

void
rxlit_free(struct rxlit *o)
{
	size_t i;

	for (i = 0; i < o->ncl; i++)
		rxlit_clause_free(&o->cl[i]);
	for (i = 0; i < o->nprefix; i++)
		free(o->prefix[i]);
	memset(o, 0, sizeof(*o));
}

static void
rxlit_run_reset(struct rxlit_run *r)
{
	r->n = 1;
	r->len[0] = 0;
}

/*
 * The run ends: its strings become the prefixes if nothing came between
 * them and ^, else a clause.  A run with an empty string requires nothing.
 */
static void
rxlit_end_run(struct rxlit *o, struct rxlit_run *r, int ci, int *at_anchor)
{
	size_t k;

	for (k = 0; k < r->n && r->len[k] > 0; k++)
		;
	if (k == r->n) {
		if (*at_anchor && !ci) {
			for (k = 0; k < r->n; k++) {
				o->prefix[k] = xstrndup(r->s[k], r->len[k]);
				o->prefixlen[k] = r->len[k];
			}
			o->nprefix = r->n;
		} else if (o->ncl < RXLIT_CLAUSES) {
			struct rxlit_clause *c = &o->cl[o->ncl++];

			for (k = 0; k < r->n; k++) {
				c->lit[k].s = xstrndup(r->s[k], r->len[k]);
				c->lit[k].len = r->len[k];
				c->lit[k].ci = ci;
			}
			c->n = r->n;
		}
	}
	rxlit_run_reset(r);
	*at_anchor = 0;
}

/* Append byte c to every string of the run; -1: too long. */
static int
rxlit_run_add(struct rxlit_run *r, char c, int ci)
{
	size_t k;

	if (ci && c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	for (k = 0; k < r->n; k++) {
		if (r->len[k] == RXLIT_RUNMAX)
			return -1;
		r->s[k][r->len[k]++] = c;
	}
	return 0;
}

/* Alternative g[0, n) as plain literal bytes into out; -1: not plain. */
static int
rxlit_plain(const char *g, size_t n, char *out, size_t *outlen)
{
	size_t i, m = 0;
	char c;

	for (i = 0; i < n; i++) {
		c = g[i];
		if (c == '\\') {
			if (++i == n)
				return -1;
			c = g[i];
			if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || c == '\0')
				return -1;
		} else if (strchr("^$.[]()*+?{|", c) != NULL) {
			return -1;
		}
		if (m == RXLIT_RUNMAX)
			return -1;
		out[m++] = c;
	}
	*outlen = m;
	return 0;
}

/*
 * What the group re[i] == '(' .. re[j - 1] == ')' is: non-capturing,
 * atomic, caseless ("(?i:", *ci set), a capture (named or not): its
 * alternatives start at *body; a lookaround; or anything else, which the
 * prefilter does not look into.
 */
int
rxlit_group_kind(const char *re, size_t i, size_t j, size_t *body, int *ci)
{
	char close;
	size_t b;

	if (re[i + 1] == '*')
		return RXLIT_GROUP_OTHER;
	if (re[i + 1] != '?') {
		*body = i + 1;
		return RXLIT_GROUP_BODY;
	}
	if (re[i + 2] == ':' || re[i + 2] == '>') {
		*body = i + 3;
		return RXLIT_GROUP_BODY;
	}
	if (re[i + 2] == 'i' && re[i + 3] == ':') {
		*body = i + 4;
		*ci = 1;
		return RXLIT_GROUP_BODY;
	}
	if (re[i + 2] == '=' || re[i + 2] == '!' || (re[i + 2] == '<' &&
	    (re[i + 3] == '=' || re[i + 3] == '!')))
		return RXLIT_GROUP_LOOK;
	if (re[i + 2] != '<' && re[i + 2] != '\'' &&
	    !(re[i + 2] == 'P' && re[i + 3] == '<'))
		return RXLIT_GROUP_OTHER;
	close = re[i + 2] == '\'' ? '\'' : '>';
	for (b = i + 3; b < j && re[b] != close; b++)
		if (!((re[b] >= 'a' && re[b] <= 'z') ||
		    (re[b] >= 'A' && re[b] <= 'Z') ||
		    (re[b] >= '0' && re[b] <= '9') || re[b] == '_' ||
		    re[b] == '<'))
			return RXLIT_GROUP_OTHER;
	if (b >= j)
		return RXLIT_GROUP_OTHER;
	*body = b + 1;
	return RXLIT_GROUP_BODY;
}

static int rxlit_seq(const char *re, int ci, int anchor, int depth,
    struct rxlit *o);

/* Add clause c (taking its strings) to o, or free it when o is full. */
static void
rxlit_take_clause(struct rxlit *o, struct rxlit_clause *c)
{
	if (o->ncl < RXLIT_CLAUSES)
		o->cl[o->ncl++] = *c;
	else
		rxlit_clause_free(c);
	c->n = 0;
}

/* Append copies of c's literals to d; -1 when they do not fit. */
static int
rxlit_clause_merge(struct rxlit_clause *d, const struct rxlit_clause *c)
{
	size_t k;

	if (d->n + c->n > RXLIT_ALTS)
		return -1;
	for (k = 0; k < c->n; k++) {
		d->lit[d->n] = c->lit[k];
		d->lit[d->n].s = xstrndup(c->lit[k].s, c->lit[k].len);
		d->n++;
	}
	return 0;
}

size_t
rxlit_clause_minlen(const struct rxlit_clause *c)
{
	size_t k, m = SIZE_MAX;

	for (k = 0; k < c->n; k++)
		if (c->lit[k].len < m)
			m = c->lit[k].len;
	return m;
}

/*
 * The clauses of a group whose nalt alternatives gave sub[0..nalt): the
 * conjunctive form of "sub[0] or sub[1] or ...".  Nothing when one
 * alternative requires nothing.
 */
static void
rxlit_group_clauses(struct rxlit *o, struct rxlit *sub, size_t nalt)
{
	size_t pick[RXLIT_ALTS], a, total = 1, k, best;
	struct rxlit_clause c;

	for (a = 0; a < nalt; a++) {
		if (sub[a].ncl == 0)
			return;
		total *= sub[a].ncl;
		if (total > RXLIT_GROUP_CNF)
			break;
	}
	if (total <= RXLIT_GROUP_CNF) {
		memset(pick, 0, sizeof(pick));
		for (k = 0; k < total; k++) {
			memset(&c, 0, sizeof(c));
			for (a = 0; a < nalt; a++)
				if (rxlit_clause_merge(&c, &sub[a].cl[pick[a]]) < 0)
					break;
			if (a == nalt)
				rxlit_take_clause(o, &c);
			else
				rxlit_clause_free(&c);
			for (a = 0; a < nalt; a++) { /* next combination */
				if (++pick[a] < sub[a].ncl)
					break;
				pick[a] = 0;
			}
		}
		return;
	}
	/* too many combinations: each alternative's longest clause */
	memset(&c, 0, sizeof(c));
	for (a = 0; a < nalt; a++) {
		best = 0;
		for (k = 1; k < sub[a].ncl; k++)
			if (rxlit_clause_minlen(&sub[a].cl[k]) >
			    rxlit_clause_minlen(&sub[a].cl[best]))
				best = k;
		if (rxlit_clause_merge(&c, &sub[a].cl[best]) < 0) {
			rxlit_clause_free(&c);
			return;
		}
	}
	rxlit_take_clause(o, &c);
}

/*
 * Group re[i, j) (j after its ')'), quantifier minimum min (1 without
 * one), no quantifier when !quantified.  Plain literal alternatives of a
 * "(?:" group continue the run (each string of it times each
 * alternative); any other group ends it and adds its own clauses.
 * -1: the run is too long.
 */
static int
rxlit_group(const char *re, size_t i, size_t j, unsigned long min,
    int quantified, int ci, int depth, struct rxlit *o, struct rxlit_run *r,
    int *at_anchor)
{
	size_t bar[RXLIT_ALTS], nbar, body, a, from, to, k, m;
	char lit[RXLIT_ALTS][RXLIT_RUNMAX];
	size_t litlen[RXLIT_ALTS];
	struct rxlit *sub;
	struct rxlit_run *nr;
	int gci = ci, plain = 1;
	char *text;

	if (rxlit_group_kind(re, i, j, &body, &gci) != RXLIT_GROUP_BODY)
		goto opaque; /* lookarounds, conditions, options, resets ... */
	if (min == 0 || depth >= RXLIT_DEPTH ||
	    rxlit_skip_group(re, i, bar, &nbar) != j)
		goto opaque;
	bar[nbar] = j - 1; /* the closing ')' ends the last alternative */
	for (a = 0, from = body; a <= nbar; from = bar[a] + 1, a++) {
		to = bar[a];
		if (rxlit_plain(re + from, to - from, lit[a], &litlen[a]) < 0)
			plain = 0;
	}
	if (plain && !quantified && gci == ci && re[i + 1] == '?' &&
	    re[i + 2] == ':' && r->n * (nbar + 1) <= RXLIT_ALTS) {
		nr = xmalloc(sizeof(*nr));
		nr->n = 0;
		for (k = 0; k < r->n; k++)
			for (a = 0; a <= nbar; a++) {
				m = r->len[k] + litlen[a];
				if (m > RXLIT_RUNMAX) {
					free(nr);
					return -1;
				}
				memcpy(nr->s[nr->n], r->s[k], r->len[k]);
				memcpy(nr->s[nr->n] + r->len[k], lit[a], litlen[a]);
				if (gci)
					for (m = r->len[k]; m < r->len[k] + litlen[a]; m++)
						if (nr->s[nr->n][m] >= 'A' &&
						    nr->s[nr->n][m] <= 'Z')
							nr->s[nr->n][m] += 'a' - 'A';
				nr->len[nr->n++] = r->len[k] + litlen[a];
			}
		memcpy(r, nr, sizeof(*r));
		free(nr);
		return 0;
	}
	rxlit_end_run(o, r, ci, at_anchor);
	sub = xcalloc(nbar + 1, sizeof(*sub));
	for (a = 0, from = body; a <= nbar; from = bar[a] + 1, a++) {
		text = xstrndup(re + from, bar[a] - from);
		if (rxlit_seq(text, gci, 0, depth + 1, &sub[a]) < 0)
			rxlit_free(&sub[a]); /* unknown: requires nothing */
		free(text);
	}
	rxlit_group_clauses(o, sub, nbar + 1);
	for (a = 0; a <= nbar; a++)
		rxlit_free(&sub[a]);
	free(sub);
	return 0;
opaque:
	rxlit_end_run(o, r, ci, at_anchor);
	return 0;
}

/*
 * The sequence re (NUL-terminated, no '|' at its own level): 0 and *o
 * filled (possibly with nothing), or -1: give up.  ci: caseless; anchor:
 * re starts at the start of the subject ("^" already seen).
 */
static int
rxlit_seq(const char *re, int ci, int anchor, int depth, struct rxlit *o)
{
	struct rxlit_run *r = xmalloc(sizeof(*r));
	size_t i = 0, j, qlen;
	unsigned long min;
	int at_anchor = anchor, last_lit = 0, any_atom = 0;
	char c;

	memset(o, 0, sizeof(*o));
	rxlit_run_reset(r);
	if (re[0] == '^') {
		at_anchor = 1;
		i = 1;
	}
	while ((c = re[i]) != '\0') {
		if (c == '*' || c == '+' || c == '?' || c == '{') {
			if (rxlit_quantifier(re, i, &min, &qlen) < 0 || !any_atom)
				goto give_up;
			if (last_lit && min == 0)
				for (j = 0; j < r->n; j++)
					r->len[j]--; /* the byte is optional */
			rxlit_end_run(o, r, ci, &at_anchor);
			last_lit = 0;
			i += qlen;
			continue;
		}
		any_atom = 1;
		if (c == '\\') {
			c = re[i + 1];
			if (c == '\0')
				goto give_up;
			if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z')) {
				/* classes, assertions, control characters: no
				 * literal; anything else (\Q, \x, \1, \p ...): stop */
				if (strchr("dDsSwWbBhHvVRAzZGKntrfe", c) == NULL)
					goto give_up;
				rxlit_end_run(o, r, ci, &at_anchor);
				last_lit = 0;
			} else {
				if (rxlit_run_add(r, c, ci) < 0)
					goto give_up;
				last_lit = 1;
			}
			i += 2;
		} else if (c == '[') {
			if ((j = rxlit_skip_class(re, i)) == 0)
				goto give_up;
			rxlit_end_run(o, r, ci, &at_anchor);
			last_lit = 0;
			i = j;
		} else if (c == '(') {
			/* "(?i)", "(?R)", "(?1)" ...: options for the rest, calls */
			if (re[i + 1] == '?') {
				for (j = i + 2; (re[j] >= 'a' && re[j] <= 'z') ||
				    (re[j] >= 'A' && re[j] <= 'Z') ||
				    (re[j] >= '0' && re[j] <= '9') || re[j] == '-' ||
				    re[j] == '^' || re[j] == '+' || re[j] == '&'; j++)
					;
				if (re[j] == ')')
					goto give_up;
			}
			if ((j = rxlit_skip_group(re, i, NULL, NULL)) == 0)
				goto give_up;
			min = 1;
			qlen = 0;
			if (re[j] != '\0' && strchr("*+?{", re[j]) != NULL &&
			    rxlit_quantifier(re, j, &min, &qlen) < 0)
				goto give_up;
			if (rxlit_group(re, i, j, min, qlen > 0, ci, depth, o, r,
			    &at_anchor) < 0)
				goto give_up;
			if (qlen > 0)
				rxlit_end_run(o, r, ci, &at_anchor);
			last_lit = 0;
			i = j + qlen;
		} else if (c == ')' || c == '|') {
			goto give_up;
		} else if (c == '.' || c == '^' || c == '$') {
			rxlit_end_run(o, r, ci, &at_anchor);
			last_lit = 0;
			i++;
		} else {
			if (rxlit_run_add(r, c, ci) < 0)
				goto give_up;
			last_lit = 1;
			i++;
		}
	}
	rxlit_end_run(o, r, ci, &at_anchor);
	free(r);
	return 0;
give_up:
	free(r);
	rxlit_free(o);
	return -1;
}

/*
 * The last byte.  A regex that ends with "$" (at its own top level) can
 * only match a subject whose last byte is one the match can end with
 * (see the top of this file).  A subject ending in a newline character
 * is never ruled out by it ("$" matches before a final newline, whatever
 * the newline convention).
 */
static void
rxlit_bytes_add(struct rxlit_bytes *b, unsigned c, int ci)
{
	b->w[c >> 6] |= (uint64_t)1 << (c & 63);
	if (ci && c >= 'a' && c <= 'z')
		c -= 'a' - 'A';
	else if (ci && c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	b->w[c >> 6] |= (uint64_t)1 << (c & 63);
}

static void
rxlit_bytes_or(struct rxlit_bytes *b, const struct rxlit_bytes *o)
{
	size_t k;

	for (k = 0; k < 4; k++)
		b->w[k] |= o->w[k];
}

/* \d \D \s \S \w \W (ASCII: patterns are compiled without UCP) into b. */
static int
rxlit_bytes_escape(struct rxlit_bytes *b, char e)
{
	struct rxlit_bytes t;
	unsigned c;
	size_t k;

	memset(&t, 0, sizeof(t));
	switch (e | 0x20) {
	case 'd':
		for (c = '0'; c <= '9'; c++)
			rxlit_bytes_add(&t, c, 0);
		break;
	case 's':
		for (c = 9; c <= 13; c++)
			rxlit_bytes_add(&t, c, 0);
		rxlit_bytes_add(&t, ' ', 0);
		break;
	case 'w':
		for (c = 0; c < 256; c++)
			if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || c == '_')
				rxlit_bytes_add(&t, c, 0);
		break;
	default:
		return -1;
	}
	if (e >= 'A' && e <= 'Z')
		for (k = 0; k < 4; k++)
			t.w[k] = ~t.w[k];
	rxlit_bytes_or(b, &t);
	return 0;
}

/* A single byte escape (\n, \], \.): the byte, or -1. */
static int
rxlit_escape_byte(char e)
{
	switch (e) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'f': return '\f';
	case 'e': return 27;
	default:
		if ((e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') ||
		    (e >= 'A' && e <= 'Z') || e == '\0')
			return -1;
		return (unsigned char)e;
	}
}

/* The class at re[i] == '[' into b; index after it, or 0 to give up. */
static size_t
rxlit_tail_class(const char *re, size_t i, int ci, struct rxlit_bytes *b)
{
	struct rxlit_bytes t;
	int neg = 0, first = 1, lo, hi, c;
	size_t k;

	memset(&t, 0, sizeof(t));
	i++;
	if (re[i] == '^') {
		neg = 1;
		i++;
	}
	for (;; first = 0) {
		if (re[i] == '\0')
			return 0;
		if (re[i] == ']' && !first)
			break;
		if (re[i] == '[' && (re[i + 1] == ':' || re[i + 1] == '.' ||
		    re[i + 1] == '='))
			return 0;
		if (re[i] == '\\') {
			if (rxlit_bytes_escape(&t, re[i + 1]) == 0) {
				i += 2;
				continue;
			}
			if ((lo = rxlit_escape_byte(re[i + 1])) < 0)
				return 0;
			i += 2;
		} else {
			lo = (unsigned char)re[i++];
		}
		hi = lo;
		if (re[i] == '-' && re[i + 1] != ']' && re[i + 1] != '\0') {
			if (re[i + 1] == '\\') {
				if ((hi = rxlit_escape_byte(re[i + 2])) < 0)
					return 0;
				i += 3;
			} else {
				if (re[i + 1] == '[')
					return 0;
				hi = (unsigned char)re[i + 1];
				i += 2;
			}
			if (hi < lo)
				return 0;
		}
		for (c = lo; c <= hi; c++)
			rxlit_bytes_add(&t, (unsigned)c, ci);
	}
	if (neg)
		for (k = 0; k < 4; k++)
			t.w[k] = ~t.w[k];
	rxlit_bytes_or(b, &t);
	return i + 1;
}

static int rxlit_tail_seq(const char *re, size_t i, size_t j, int ci, int depth,
    struct rxlit_bytes *s, int *e, int *dollar);

/*
 * The group re[i] == '(' .. re[j - 1] == ')' on its own: the bytes its
 * non-empty matches can end with in *s, whether it can match nothing in
 * *e.  1: a lookaround (zero-width), 0: done, -1: give up.
 */
static int
rxlit_tail_group(const char *re, size_t i, size_t j, int ci, int depth,
    struct rxlit_bytes *s, int *e)
{
	size_t bar[RXLIT_ALTS], nbar, body, a, from;
	struct rxlit_bytes as;
	int gci = ci, ae, dollar;

	if (depth >= RXLIT_DEPTH)
		return -1;
	switch (rxlit_group_kind(re, i, j, &body, &gci)) {
	case RXLIT_GROUP_BODY:
		break;
	case RXLIT_GROUP_LOOK:
		return 1;
	default:
		return -1; /* verbs, options, conditions, resets ... */
	}
	if (rxlit_skip_group(re, i, bar, &nbar) != j)
		return -1;
	bar[nbar] = j - 1;
	memset(s, 0, sizeof(*s));
	*e = 0;
	for (a = 0, from = body; a <= nbar; from = bar[a] + 1, a++) {
		memset(&as, 0, sizeof(as));
		ae = 1;
		if (rxlit_tail_seq(re, from, bar[a], gci, depth + 1, &as, &ae,
		    &dollar) < 0 || dollar)
			return -1;
		rxlit_bytes_or(s, &as);
		*e |= ae;
	}
	return 0;
}

/*
 * re[i, j): a sequence without '|' at its own level.  *s, *e: the bytes
 * the text matched so far can end with, and whether it can be empty;
 * updated.  *dollar: the sequence ends with "$".
 */
static int
rxlit_tail_seq(const char *re, size_t i, size_t j, int ci, int depth,
    struct rxlit_bytes *s, int *e, int *dollar)
{
	struct rxlit_bytes el;
	unsigned long min;
	size_t k, qlen;
	int eg, rc, c, assertion, is_dollar;

	*dollar = 0;
	while (i < j) {
		memset(&el, 0, sizeof(el));
		eg = 0; /* the element can match nothing */
		assertion = 0;
		is_dollar = 0;
		if (re[i] == '\\') {
			if (i + 1 >= j)
				return -1;
			if (re[i + 1] != '\0' && strchr("bBAzZG", re[i + 1]) != NULL) {
				assertion = 1;
			} else if (rxlit_bytes_escape(&el, re[i + 1]) < 0) {
				if ((c = rxlit_escape_byte(re[i + 1])) < 0)
					return -1;
				rxlit_bytes_add(&el, (unsigned)c, ci);
			}
			i += 2;
		} else if (re[i] == '[') {
			if ((k = rxlit_tail_class(re, i, ci, &el)) == 0 || k > j)
				return -1;
			i = k;
		} else if (re[i] == '(') {
			if ((k = rxlit_skip_group(re, i, NULL, NULL)) == 0 || k > j)
				return -1;
			if ((rc = rxlit_tail_group(re, i, k, ci, depth, &el, &eg)) < 0)
				return -1;
			assertion = rc == 1;
			i = k;
		} else if (re[i] == '^' || re[i] == '$') {
			assertion = 1;
			is_dollar = re[i] == '$';
			i++;
		} else if (re[i] == '.') {
			for (k = 0; k < 4; k++)
				el.w[k] = ~(uint64_t)0;
			el.w[0] &= ~((uint64_t)1 << '\n');
			i++;
		} else if (strchr("|)*+?{", re[i]) != NULL) {
			return -1;
		} else {
			rxlit_bytes_add(&el, (unsigned char)re[i], ci);
			i++;
		}
		if (i < j && strchr("*+?{", re[i]) != NULL) {
			if (assertion || rxlit_quantifier(re, i, &min, &qlen) < 0)
				return -1;
			i += qlen;
		} else {
			min = 1;
		}
		*dollar = is_dollar;
		if (assertion)
			continue; /* zero-width: the state stays */
		if (min == 0 || eg) { /* it may add nothing */
			rxlit_bytes_or(s, &el);
		} else {
			*s = el;
			*e = 0;
		}
	}
	return 0;
}

/* 1 and *last filled when the regex can only end at the message's end. */
int
rxlit_last(const char *re, struct rxlit_bytes *last)
{
	int e = 1, dollar = 0;
	size_t i = 0, j = strlen(re);

	memset(last, 0, sizeof(*last));
	if (re[0] == '^')
		i = 1;
	if (rxlit_tail_seq(re, i, j, 0, 0, last, &e, &dollar) < 0 || !dollar ||
	    e) {
		memset(last, 0, sizeof(*last));
		return 0;
	}
	/* "$" also matches before a final newline, of any convention */
	rxlit_bytes_add(last, 0x00, 0);
	rxlit_bytes_add(last, 0x0a, 0);
	rxlit_bytes_add(last, 0x0b, 0);
	rxlit_bytes_add(last, 0x0c, 0);
	rxlit_bytes_add(last, 0x0d, 0);
	rxlit_bytes_add(last, 0x85, 0);
	return 1;
}

/* 0 and *o filled (possibly with nothing), or -1: no prefilter. */
int
rxlit_extract(const char *re, struct rxlit *o)
{
	return rxlit_seq(re, 0, 0, 0, o);
}

void
rxlit_put_str(char *buf, size_t buflen, size_t *at, const char *s,
    size_t len)
{
	size_t i;
	int n;

	for (i = 0; i <= len + 1 && *at + 1 < buflen; i++) {
		if (i == 0 || i == len + 1) {
			buf[(*at)++] = '"';
			continue;
		}
		if (s[i - 1] == '"' || s[i - 1] == '\\' ||
		    (unsigned char)s[i - 1] < 0x20 || (unsigned char)s[i - 1] >= 0x7f) {
			n = snprintf(buf + *at, buflen - *at, "\\x%02x",
			    (unsigned char)s[i - 1]);
			if (n < 0 || (size_t)n >= buflen - *at)
				break;
			*at += (size_t)n;
		} else {
			buf[(*at)++] = s[i - 1];
		}
	}
	buf[*at < buflen ? *at : buflen - 1] = '\0';
}

/* Byte c of a class for rxlit_put_last() (room checked there). */
static void
rxlit_class_byte(char *buf, size_t *at, unsigned c)
{
	if (c == ']' || c == '\\' || c == '-' || c == '^') {
		buf[(*at)++] = '\\';
		buf[(*at)++] = (char)c;
	} else if (c > ' ' && c < 127) {
		buf[(*at)++] = (char)c;
	} else {
		*at += (size_t)sprintf(buf + *at, "\\x%02x", c);
	}
}

void
rxlit_put_last(char *buf, size_t buflen, size_t *at,
    const struct rxlit_bytes *last)
{
	unsigned c, d;

	if (*at + 2 >= buflen)
		return;
	buf[(*at)++] = '[';
	for (c = 0; c < 256 && *at + 10 < buflen; c = d) {
		for (d = c; d < 256 && (last->w[d >> 6] >> (d & 63) & 1) &&
		    strchr("\n\v\f\r", (int)d) == NULL && d != 0 &&
		    d != 0x85; d++)
			;
		if (d == c) {
			d = c + 1;
			continue;
		}
		rxlit_class_byte(buf, at, c);
		if (d - c > 2)
			buf[(*at)++] = '-';
		if (d - c > 1)
			rxlit_class_byte(buf, at, d - 1);
	}
	buf[(*at)++] = ']';
	buf[*at] = '\0';
}

void
rxlit_put_prefix(char *buf, size_t buflen, size_t *at,
    char *const *prefix, const size_t *prefixlen, size_t n)
{
	size_t k;

	if (*at + 2 >= buflen)
		return;
	buf[(*at)++] = '^';
	if (n > 1)
		buf[(*at)++] = '(';
	for (k = 0; k < n && *at + 2 < buflen; k++) {
		if (k > 0)
			buf[(*at)++] = '|';
		rxlit_put_str(buf, buflen, at, prefix[k], prefixlen[k]);
	}
	if (n > 1 && *at + 1 < buflen)
		buf[(*at)++] = ')';
	buf[*at] = '\0';
}

const char *
rxlit_text(const struct rxlit *o, char *buf, size_t buflen)
{
	size_t at = 0, i, k;

	if (buflen == 0)
		return buf;
	buf[0] = '\0';
	if (o->nprefix > 0)
		rxlit_put_prefix(buf, buflen, &at, o->prefix, o->prefixlen,
		    o->nprefix);
	for (i = 0; i < o->ncl && at + 3 < buflen; i++) {
		if (at > 0)
			buf[at++] = ' ';
		if (o->cl[i].n > 1)
			buf[at++] = '(';
		for (k = 0; k < o->cl[i].n && at + 2 < buflen; k++) {
			if (k > 0)
				buf[at++] = '|';
			if (o->cl[i].lit[k].ci)
				buf[at++] = 'i';
			rxlit_put_str(buf, buflen, &at, o->cl[i].lit[k].s,
			    o->cl[i].lit[k].len);
		}
		if (o->cl[i].n > 1 && at + 1 < buflen)
			buf[at++] = ')';
	}
	buf[at < buflen ? at : buflen - 1] = '\0';
	return buf;
}
