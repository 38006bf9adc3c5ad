/*
 * NAME
 *	prefilter - which patterns cannot match a message (literals, no regex)
 * SYNOPSIS
 *	#include "prefilter.h"
 *
 *	struct prefilter *pf = prefilter_new();
 *	prefilter_add(pf, regex, minlen);	(pattern 0, 1, ...)
 *
 *	prefilter_line(pf);			(once per message)
 *	if (prefilter_pass(pf, i, msg, len))
 *		... hand msg to pattern i's regex ...
 *
 *	struct prefilter_prog pp;		(a program's patterns, <= 64)
 *	prefilter_prog_init(pf, &pp, list, n);
 *	mask = prefilter_prog_mask(pf, &pp, msg, len);	(after prefilter_line)
 *	prefilter_prog_free(&pp);
 *	prefilter_free(pf);
 * DESCRIPTION
 *	The patterns are numbered in the order of prefilter_add(); its
 *	minlen is the regex's minimum match length (PCRE2's).  From each
 *	regex, rxlit derives the prefixes, the clauses of literals and the
 *	last-byte gate.  prefilter_build() (run by the first prefilter_line(),
 *	prefilter_prog_init() or prefilter_text() after an add) registers
 *	every literal of three bytes or more as a needle, shared by the
 *	patterns, and picks at most PREFILTER_CHECKS clauses per pattern,
 *	plus one clause of many literals searched in one pass.
 *
 *	prefilter_pass() is 0 when msg cannot match pattern i: it is shorter
 *	than minlen, lacks every prefix, ends in a byte outside the gate, or
 *	lacks every literal of a chosen clause.  It never says 0 for a message
 *	the regex matches; it only saves the regex's time (test_prefilter
 *	checks this against PCRE2).  A needle is searched (memfind) at most
 *	once per message: prefilter_line() starts a new one.
 *
 *	prefilter_prog_mask() is the same for a list of at most
 *	PREFILTER_PROG_MAX patterns (bit k for list[k]), by the first
 *	PREFILTER_PROG_LEAD bytes (against the patterns' prefixes), the last
 *	byte and the needles that patterns of the list have as their first
 *	check: one search rules out all of them.  A bit set still needs
 *	prefilter_prog_pass() (prefilter_pass() from a record of a few bytes
 *	a pattern in the program).
 *
 *	prefilter_text() describes pattern i's prefilter for tests:
 *	minlen N ^"prefix" "literal" (i"alt"|"alt") any(...) $[last bytes].
 *
 *	Messages point into the line; the prefilter keeps no pointer to them.
 *	The structures below are the prefilter's own: they are in this
 *	header only so that the per-message functions can be inlined into
 *	the caller's loop.
 * SECURITY
 *	Messages are hostile: they are only searched, never read outside
 *	[msg, msg + len), and the work per message is bounded by the number
 *	of needles.
 */
#ifndef MAILBAN_PREFILTER_H
#define MAILBAN_PREFILTER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "memfind.h"
#include "rxlit.h"

#define PREFILTER_CHECKS 8 /* clauses searched per pattern */
#define PREFILTER_PROG_MAX 64 /* patterns of one prefilter_prog */
#define PREFILTER_PROG_LEAD 4 /* first bytes of a message a prog looks at */
_Static_assert(PREFILTER_PROG_LEAD == 4,
    "prefilter_prog_mask() reads a message's first bytes unrolled");

struct prefilter;
struct prefilter_prog;

struct prefilter *prefilter_new(void);
void prefilter_free(struct prefilter *pf); /* accepts NULL */
void prefilter_add(struct prefilter *pf, const char *regex, uint32_t minlen);
void prefilter_build(struct prefilter *pf);
void prefilter_prog_init(struct prefilter *pf, struct prefilter_prog *pp,
    const uint16_t *list, size_t n);
void prefilter_prog_free(struct prefilter_prog *pp);
const char *prefilter_text(struct prefilter *pf, size_t i, char *buf,
    size_t buflen);

static inline void prefilter_line(struct prefilter *pf);
static inline int prefilter_pass(struct prefilter *pf, size_t i,
    const char *msg, size_t len);
static inline int prefilter_pass_from(struct prefilter *pf, size_t i,
    const char *msg, size_t len, size_t c0);
static inline uint64_t prefilter_prog_mask(struct prefilter *pf,
    const struct prefilter_prog *pp, const char *msg, size_t len);

/* The prefilter's own, for the inline functions. */

struct pf_set; /* a clause of many literals, searched in one pass */

/* A chosen check: a clause as needle indices. */
struct pf_check {
	uint16_t nd[RXLIT_ALTS];
	uint8_t n;
};

struct pf_pattern {
	uint32_t minlen;
	char *prefix[RXLIT_ALTS]; /* the match starts with one of these */
	size_t prefixlen[RXLIT_ALTS];
	size_t nprefix; /* 0: no prefix known */
	struct rxlit_clause *cl; /* every match satisfies every clause */
	size_t ncl;
	struct pf_check chk[PREFILTER_CHECKS]; /* chosen by prefilter_build */
	size_t nchk;
	struct pf_set *set; /* NULL: none; checked after chk */
	int has_last; /* the match ends the message: its last byte is in last */
	struct rxlit_bytes last;
};

struct pf_needle {
	char *s;
	size_t len;
	int ci;
	size_t users; /* patterns that contain it */
	size_t rare; /* offset of its rarest byte */
	int drift; /* it says reject or failure: see prefilter_drift() */
	struct memfind mf; /* searched by its two rarest bytes */
};

struct prefilter {
	struct pf_pattern *v;
	size_t n;
	int ready; /* needles chosen for the current patterns */
	struct pf_needle *needles;
	size_t nneedles;
	/* per-line memo: needle i was searched in this line if nd_gen[i] == gen
	 * (nd_hit[i]: found) */
	uint32_t *nd_gen;
	uint8_t *nd_hit;
	uint32_t gen;
	uint32_t drift_gen; /* == gen: a key that says reject was found */
};

struct prefilter_prog {
	/*
	 * by[j][cls[256 * j + b]] for j < PREFILTER_PROG_LEAD: bit k set
	 * when list[k] may match a message whose byte j is b (it has no
	 * prefix, or one of its prefixes is b at j or shorter than j + 1).
	 * by[PREFILTER_PROG_LEAD][cls[256 * PREFILTER_PROG_LEAD + b]]: bit k
	 * set when list[k] may match a message ending in b.  Bit k of
	 * noprefix for an empty message.  The bytes with the same mask share
	 * a class: the 256-byte class tables and the few masks stay in the
	 * cache (256 masks a table would be 2 KiB).
	 */
	uint8_t *cls;
	uint64_t *by[PREFILTER_PROG_LEAD + 1];
	uint64_t noprefix;
	/*
	 * key[j]: the patterns of the list (bits) whose first check is needle
	 * key[j].nd alone; a line without that needle rules them all out with
	 * one search.  Most shared first.
	 */
	struct pf_key {
		uint16_t nd;
		uint8_t drift; /* it says reject or failure */
		uint64_t mask;
	} *key;
	size_t nkey;
	/* keyof[k]: the key of list[k], when bit k of keyed is set (the
	 * keys' masks are disjoint: a pattern has one key at most) */
	uint8_t *keyof;
	uint64_t keyed;
	/*
	 * visit[k]: what prefilter_prog_pass() checks of list[k] before its
	 * struct pf_pattern is read (ten cache lines; most of a program's
	 * patterns are ruled out by these): its minimum length (at most
	 * it), the needle of its first check after the key when that check
	 * is one needle (nd, else PF_NO_NEEDLE), and whether more remains
	 * (rest: a prefix, more checks from c0, the one-pass clause).
	 */
	struct pf_visit {
		uint16_t minlen;
		uint16_t nd;
		uint8_t c0;
		uint8_t rest;
	} *visit;
};

#define PF_NO_NEEDLE UINT16_MAX /* needles are numbered below it */

int prefilter_set_search(const struct prefilter *pf, const struct pf_set *st,
    const char *msg, size_t len);

static inline void
prefilter_line(struct prefilter *pf)
{
	if (!pf->ready)
		prefilter_build(pf);
	if (++pf->gen == 0) {
		memset(pf->nd_gen, 0, (pf->nneedles + 1) * sizeof(*pf->nd_gen));
		pf->drift_gen = 0;
		pf->gen = 1;
	}
}

/* Needle n in msg, searched once per line. */
static inline int
prefilter_hit(struct prefilter *pf, size_t n, const char *msg, size_t len)
{
	if (pf->nd_gen[n] != pf->gen) {
		pf->nd_gen[n] = pf->gen;
		pf->nd_hit[n] = (uint8_t)memfind_inline(&pf->needles[n].mf, msg,
		    len);
	}
	return pf->nd_hit[n];
}



/*
 * msg (len bytes) starts with pre (plen bytes)?  Prefixes share their
 * first bytes ("NOQUEUE: reject: ", "NOQUEUE: lost connection "): their
 * first and last 8 bytes, two loads each, rule out nearly every other
 * message before memcmp is called.
 */
static inline int
prefilter_prefix_is(const char *msg, size_t len, const char *pre,
    size_t plen)
{
	uint64_t a, b;

	if (len < plen)
		return 0;
	if (plen < 8)
		return msg[0] == pre[0] && memcmp(msg, pre, plen) == 0;
	memcpy(&a, msg + plen - 8, 8);
	memcpy(&b, pre + plen - 8, 8);
	if (a != b)
		return 0;
	memcpy(&a, msg, 8);
	memcpy(&b, pre, 8);
	return a == b && (plen <= 16 || memcmp(msg + 8, pre + 8, plen - 16) == 0);
}

static inline int
prefilter_pass(struct prefilter *pf, size_t i, const char *msg, size_t len)
{
	return prefilter_pass_from(pf, i, msg, len, 0);
}

/*
 * prefilter_pass() from check c0 on: 1 for a pattern of a prefilter_prog
 * whose bit prefilter_prog_mask() left in keyed (its first check is its
 * key, found already).
 */
static inline int
prefilter_pass_from(struct prefilter *pf, size_t i, const char *msg,
    size_t len, size_t c0)
{
	const struct pf_pattern *p = &pf->v[i];
	size_t c, k;

	if (len < p->minlen)
		return 0;
	if (p->has_last && len > 0 &&
	    !(p->last.w[(unsigned char)msg[len - 1] >> 6] >>
	    ((unsigned char)msg[len - 1] & 63) & 1))
		return 0;
	if (p->nprefix > 0) {
		for (k = 0; k < p->nprefix; k++)
			if (prefilter_prefix_is(msg, len, p->prefix[k],
			    p->prefixlen[k]))
				break;
		if (k == p->nprefix)
			return 0;
	}
	for (c = c0; c < p->nchk; c++) {
		for (k = 0; k < p->chk[c].n; k++)
			if (prefilter_hit(pf, p->chk[c].nd[k], msg, len))
				break;
		if (k == p->chk[c].n)
			return 0;
	}
	if (p->set != NULL && !prefilter_set_search(pf, p->set, msg, len))
		return 0;
	return 1;
}

static inline uint64_t
prefilter_prog_mask(struct prefilter *pf, const struct prefilter_prog *pp,
    const char *msg, size_t len)
{
	const struct pf_key *k;
	uint64_t mask, todo;

	const unsigned char *u = (const unsigned char *)msg;
	size_t j;

	if (len >= PREFILTER_PROG_LEAD) {
		mask = pp->by[0][pp->cls[u[0]]] &
		    pp->by[1][pp->cls[256 + u[1]]] &
		    pp->by[2][pp->cls[512 + u[2]]] &
		    pp->by[3][pp->cls[768 + u[3]]] &
		    pp->by[4][pp->cls[1024 + u[len - 1]]];
	} else if (len > 0) {
		mask = pp->by[PREFILTER_PROG_LEAD][pp->cls[256 *
		    PREFILTER_PROG_LEAD + u[len - 1]]];
		for (j = 0; j < len; j++)
			mask &= pp->by[j][pp->cls[256 * j + u[j]]];
	} else
		mask = pp->noprefix;
	/*
	 * One search rules out every pattern that needs it.  The keys
	 * searched are those of the patterns the first and last bytes left,
	 * reached through them (not by a walk over every key of the
	 * program): each once, whatever the others found.
	 */
	todo = mask & pp->keyed;
	while (todo != 0) {
		k = &pp->key[pp->keyof[__builtin_ctzll(todo)]];
		todo &= ~k->mask;
		if (!prefilter_hit(pf, k->nd, msg, len))
			mask &= ~k->mask;
		else if (k->drift)
			pf->drift_gen = pf->gen;
	}
	return mask;
}

/*
 * After prefilter_prog_mask(): 0 when list[k] (pattern i) cannot match
 * msg, as prefilter_pass() says, for a bit k that the mask left.  Its
 * last byte and its first PREFILTER_PROG_LEAD bytes were checked by the
 * mask, its key found.
 */
static inline int
prefilter_prog_pass(struct prefilter *pf, const struct prefilter_prog *pp,
    size_t k, size_t i, const char *msg, size_t len)
{
	const struct pf_visit *v = &pp->visit[k];

	if (len < v->minlen)
		return 0;
	if (v->nd != PF_NO_NEEDLE && !prefilter_hit(pf, v->nd, msg, len))
		return 0;
	return !v->rest || prefilter_pass_from(pf, i, msg, len, v->c0);
}

/*
 * After prefilter_prog_mask() for this line: was one of the program's
 * first-check needles that say reject or failure (": reject: ",
 * " rejected ", "ruleset=check_", " authenticator failed for ", ...)
 * found in it?  Only searches already made count: no search of its own.
 */
static inline int
prefilter_prog_drift(const struct prefilter *pf,
    const struct prefilter_prog *pp)
{
	(void)pp;
	return pf->drift_gen == pf->gen;
}

#endif
