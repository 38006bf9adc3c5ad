/*
 * NAME
 *	prefilter - which patterns cannot match a message (literals, no regex)
 * DESCRIPTION
 *	See include/prefilter.h.  prefilter_build() turns the clauses rxlit
 *	derived into checks: a clause of literals of PF_MINRUN bytes or more
 *	is searched literal by literal (memfind, once per message for a
 *	literal that several patterns share); a clause of more than
 *	PF_CHECK_COST literals is left to PCRE2, or to the one-pass search
 *	(struct pf_set).  Per program, the patterns that share a first needle
 *	are ruled out together by one search (struct prefilter_prog).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "memfind.h"
#include "prefilter.h"
#include "rxlit.h"

#define PF_MINRUN 3 /* shorter literals are not worth a search */
#define PF_IMPLIED_MIN 10 /* shorter implied needles (" from ") are common */
#define PF_CHECK_COST 8 /* a clause of more searches costs more than PCRE2 */

/*
 * A clause of too many literals to search one by one (PF_CHECK_COST), kept
 * for one pass over the message.  Each literal (three bytes or more) has
 * an anchor: its rarest three bytes x y z at offset off.  Bit k of bits is
 * set for the byte pairs k = x | y << 8 and y | z << 8 (every case variant,
 * for a caseless literal).  Any occurrence of the literal puts one of its
 * two pairs at an even offset of the message, so the pass looks at every
 * other position only, and checks the literals where a pair is set.
 */
struct pf_set {
	uint64_t bits[65536 / 64];
	struct {
		uint16_t nd; /* pf->needles index */
		uint16_t off; /* of the anchor in the literal */
		unsigned char x, y, z; /* the anchor, folded to lower case */
	} lit[RXLIT_ALTS];
	size_t n;
	size_t minlen; /* of its shortest literal */
};

/*
 * How common each byte is in mail logs, per 10,000 bytes (counted over
 * the real Sendmail, Postfix and Exim lines of test/patterns): a needle is
 * searched by its two rarest bytes (memfind), and compared in full only
 * where both are in place.
 */
static const uint16_t pf_freq[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	897, 0, 14, 1, 0, 0, 0, 0, 28, 28, 1, 2, 56, 91, 438, 54,
	485, 479, 324, 171, 128, 166, 82, 133, 87, 101, 341, 14, 53, 136, 53, 4,
	48, 46, 9, 34, 15, 45, 18, 11, 26, 27, 2, 1, 25, 30, 66, 25,
	46, 12, 44, 48, 62, 34, 2, 4, 4, 4, 2, 132, 6, 132, 0, 18,
	0, 342, 70, 215, 162, 555, 107, 66, 72, 238, 37, 37, 218, 295, 288, 390,
	194, 8, 300, 268, 361, 108, 67, 36, 157, 53, 13, 0, 1, 0, 0, 0,
};

/*
 * The rarest byte; a caseless letter counts both cases, and more (short
 * subjects are searched with memchr, once for each case).
 */
static size_t
pf_rare_offset(const char *s, size_t len, int ci)
{
	size_t i, best = 0;
	unsigned f, fb = UINT_MAX;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		f = pf_freq[c];
		if (ci && c >= 'a' && c <= 'z')
			f += pf_freq[c - 'a' + 'A'] + 20;
		if (f < fb) {
			fb = f;
			best = i;
		}
	}
	return best;
}

/*
 * The second byte of a needle's search pair: the rarest at another offset,
 * of another value if there is one (a pair of equal bytes finds less).
 */
static size_t
pf_pair_offset(const char *s, size_t len, int ci, size_t first)
{
	size_t i, best = first;
	unsigned f, fb = UINT_MAX;
	unsigned char c, c1 = (unsigned char)s[first];

	for (i = 0; i < len; i++) {
		if (i == first)
			continue;
		c = (unsigned char)s[i];
		f = pf_freq[c];
		if (ci && c >= 'a' && c <= 'z')
			f += pf_freq[c - 'a' + 'A'];
		if (c == c1)
			f += 100000; /* only when every other byte is the same */
		if (f < fb) {
			fb = f;
			best = i;
		}
	}
	return best;
}

static void
pf_clear(struct prefilter *pf)
{
	size_t i;

	for (i = 0; i < pf->n; i++) {
		free(pf->v[i].set);
		pf->v[i].set = NULL;
	}
	for (i = 0; i < pf->nneedles; i++)
		free(pf->needles[i].s);
	free(pf->needles);
	free(pf->nd_gen);
	free(pf->nd_hit);
	pf->needles = NULL;
	pf->nd_gen = NULL;
	pf->nd_hit = NULL;
	pf->nneedles = 0;
	pf->gen = 0;
	pf->ready = 0;
}

static size_t
pf_needle_find(const struct prefilter *pf, const struct rxlit_lit *l)
{
	size_t i;

	for (i = 0; i < pf->nneedles; i++)
		if (pf->needles[i].len == l->len && pf->needles[i].ci == l->ci &&
		    memcmp(pf->needles[i].s, l->s, l->len) == 0)
			return i;
	return SIZE_MAX;
}

/* A clause worth searching: every literal at least PF_MINRUN long. */
static int
pf_clause_usable(const struct rxlit_clause *c)
{
	return c->n > 0 && rxlit_clause_minlen(c) >= PF_MINRUN;
}

/* Is n in every literal of clause c (case-sensitive ones only)? */
static int
pf_implied(const struct pf_needle *n, const struct rxlit_clause *c)
{
	size_t k;

	if (n->ci)
		return 0;
	for (k = 0; k < c->n; k++)
		if (c->lit[k].ci || memmem(c->lit[k].s, c->lit[k].len, n->s,
		    n->len) == NULL)
			return 0;
	return 1;
}

/* Searches a check may take: one per literal (memfind folds case). */
static size_t
pf_check_cost(const struct prefilter *pf, const struct pf_check *c)
{
	(void)pf;
	return c->n;
}

/* Candidate checks of one pattern (prefilter_build). */
struct pf_cands {
	struct pf_check *c;
	size_t *minlen;
	size_t n;
};

static void
pf_cand_add(struct pf_cands *cs, const struct pf_check *c, size_t minlen)
{
	size_t k;

	for (k = 0; k < cs->n; k++)
		if (cs->c[k].n == c->n &&
		    memcmp(cs->c[k].nd, c->nd, c->n * sizeof(c->nd[0])) == 0)
			return;
	cs->c = xreallocarray(cs->c, cs->n + 1, sizeof(*cs->c));
	cs->minlen = xreallocarray(cs->minlen, cs->n + 1, sizeof(*cs->minlen));
	cs->c[cs->n] = *c;
	cs->minlen[cs->n++] = minlen;
}

static unsigned char
pf_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Estimated frequency of byte c in a message, both cases when caseless. */
static unsigned
pf_byte_freq(unsigned char c, int ci)
{
	unsigned f = pf_freq[c];

	if (ci && c >= 'a' && c <= 'z')
		f += pf_freq[c - 'a' + 'A'];
	return f + 1;
}

/* Set bit k of the pair table for the pair (a, b), every case variant. */
static void
pf_set_pair(struct pf_set *st, unsigned char a, unsigned char b, int ci)
{
	unsigned char va[2] = {a, a}, vb[2] = {b, b};
	unsigned k, i, j;

	if (ci && a >= 'a' && a <= 'z')
		va[1] = (unsigned char)(a - 'a' + 'A');
	if (ci && b >= 'a' && b <= 'z')
		vb[1] = (unsigned char)(b - 'a' + 'A');
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			k = (unsigned)va[i] | (unsigned)vb[j] << 8;
			st->bits[k >> 6] |= (uint64_t)1 << (k & 63);
		}
}

/*
 * The one-pass check of clause c (needle indices): each literal by its
 * rarest three bytes.  NULL when a literal is shorter than three bytes.
 */
static struct pf_set *
pf_set_new(const struct prefilter *pf, const struct pf_check *c)
{
	struct pf_set *st = xcalloc(1, sizeof(*st));
	const struct pf_needle *nd;
	const unsigned char *u;
	size_t k, i, best;
	uint64_t f, bf;

	st->minlen = SIZE_MAX;
	for (k = 0; k < c->n; k++) {
		nd = &pf->needles[c->nd[k]];
		u = (const unsigned char *)nd->s;
		if (nd->len < 3) {
			free(st);
			return NULL;
		}
		best = 0;
		bf = UINT64_MAX;
		for (i = 0; i + 2 < nd->len; i++) {
			f = (uint64_t)pf_byte_freq(u[i], nd->ci) *
			    pf_byte_freq(u[i + 1], nd->ci) +
			    (uint64_t)pf_byte_freq(u[i + 1], nd->ci) *
			    pf_byte_freq(u[i + 2], nd->ci);
			if (f < bf) {
				bf = f;
				best = i;
			}
		}
		st->lit[k].nd = c->nd[k];
		st->lit[k].off = (uint16_t)best;
		st->lit[k].x = pf_lower(u[best]);
		st->lit[k].y = pf_lower(u[best + 1]);
		st->lit[k].z = pf_lower(u[best + 2]);
		pf_set_pair(st, u[best], u[best + 1], nd->ci);
		pf_set_pair(st, u[best + 1], u[best + 2], nd->ci);
		if (nd->len < st->minlen)
			st->minlen = nd->len;
	}
	st->n = c->n;
	return st;
}

/* Literal k of st at msg + at (at may be out of range)? */
static int
pf_set_at(const struct prefilter *pf, const struct pf_set *st, size_t k,
    const char *msg, size_t len, size_t at)
{
	const struct pf_needle *nd = &pf->needles[st->lit[k].nd];

	return at <= len && nd->len <= len - at && memfind_at(&nd->mf, msg + at);
}

/* One of st's literals around the pair at msg + i, whose bit is set? */
static int
pf_set_pair_at(const struct prefilter *pf, const struct pf_set *st,
    const char *msg, size_t len, size_t i)
{
	const unsigned char *m = (const unsigned char *)msg;
	unsigned a = pf_lower(m[i]), b = pf_lower(m[i + 1]);
	size_t k, off;

	for (k = 0; k < st->n; k++) {
		off = st->lit[k].off;
		if (a == st->lit[k].x && b == st->lit[k].y && i >= off &&
		    pf_set_at(pf, st, k, msg, len, i - off))
			return 1;
		if (a == st->lit[k].y && b == st->lit[k].z && i >= off + 1 &&
		    pf_set_at(pf, st, k, msg, len, i - off - 1))
			return 1;
	}
	return 0;
}

/* Bit key (a pair, its first byte the low one) of st. */
#define PF_SET_HAS(st, key) ((st)->bits[(key) >> 6] >> ((key) & 63) & 1)

/*
 * Does msg contain one of the literals of st?  One pass over the pairs
 * at even offsets: a pair set is the anchor's first pair (the literal
 * starts off bytes before) or its second (off + 1 before).  Two pairs a
 * step, from one 4-byte load: the pass is most of the cost, and the
 * answer (is there one) does not depend on the order of the checks.
 */
int
prefilter_set_search(const struct prefilter *pf, const struct pf_set *st,
    const char *msg, size_t len)
{
	const unsigned char *m = (const unsigned char *)msg;
	size_t i;
	unsigned k0, k1;
	uint32_t w;

	if (len < st->minlen)
		return 0;
	for (i = 0; i + 3 < len; i += 4) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(&w, m + i, 4);
#else
		w = (uint32_t)m[i] | (uint32_t)m[i + 1] << 8 |
		    (uint32_t)m[i + 2] << 16 | (uint32_t)m[i + 3] << 24;
#endif
		k0 = w & 0xffff;
		k1 = w >> 16;
		if (PF_SET_HAS(st, k0) && pf_set_pair_at(pf, st, msg, len, i))
			return 1;
		if (PF_SET_HAS(st, k1) &&
		    pf_set_pair_at(pf, st, msg, len, i + 2))
			return 1;
	}
	if (i + 1 < len) { /* the last pair, when len is 4n + 2 or 4n + 3 */
		k0 = (unsigned)m[i] | (unsigned)m[i + 1] << 8;
		if (PF_SET_HAS(st, k0) && pf_set_pair_at(pf, st, msg, len, i))
			return 1;
	}
	return 0;
}

/*
 * Register every usable literal as a needle, then pick each pattern's
 * checks: first the single needle with the most weight (the patterns that
 * contain it, times its length up to 16: one search rules them all out,
 * and beyond 16 bytes a literal is not much rarer), then the other
 * clauses, longest shortest-member first.  A clause of more than
 * PF_CHECK_COST searches is left to PCRE2.  A needle that occurs in every literal of a
 * clause is implied by it: "rejected RCPT" implies "rejected", so the
 * patterns that contain either can share one search (only for needles of
 * PF_IMPLIED_MIN bytes or more: " from " is in every other line).
 */
/*
 * The words by which a literal says reject or failure, for the count of
 * the MTAs' rejects that no pattern reads (a format that changed).
 */
static int
pf_is_drift(const char *s, size_t len)
{
	static const char *const words[] = {"reject", "Reject", "denied",
	    "authentication failed", "authenticator failed", "AUTH failure",
	    "refused", "ruleset=", NULL};
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (memmem(s, len, words[i], strlen(words[i])) != NULL)
			return 1;
	return 0;
}

void
prefilter_build(struct prefilter *pf)
{
	struct pf_pattern *p;
	struct pf_check c;
	struct pf_cands *cands;
	size_t i, j, k, n, best, ml, bl;
	uint64_t w, bw;
	size_t *users;
	int *used;

	pf_clear(pf);
	for (i = 0; i < pf->n; i++) {
		p = &pf->v[i];
		for (j = 0; j < p->ncl; j++) {
			if (!pf_clause_usable(&p->cl[j]))
				continue;
			for (k = 0; k < p->cl[j].n; k++) {
				const struct rxlit_lit *l = &p->cl[j].lit[k];

				if (pf_needle_find(pf, l) != SIZE_MAX ||
				    pf->nneedles >= UINT16_MAX)
					continue;
				pf->needles = xreallocarray(pf->needles,
				    pf->nneedles + 1, sizeof(*pf->needles));
				n = pf->nneedles++;
				pf->needles[n].s = xstrndup(l->s, l->len);
				pf->needles[n].len = l->len;
				pf->needles[n].ci = l->ci;
				pf->needles[n].users = 0;
				pf->needles[n].rare = pf_rare_offset(l->s, l->len, l->ci);
				pf->needles[n].drift = pf_is_drift(l->s, l->len);
				memfind_init(&pf->needles[n].mf, pf->needles[n].s,
				    l->len, l->ci, pf->needles[n].rare,
				    pf_pair_offset(l->s, l->len, l->ci,
				    pf->needles[n].rare));
			}
		}
	}
	/* candidates: the usable clauses, and the needles they imply */
	cands = xcalloc(pf->n + 1, sizeof(*cands));
	users = xcalloc(pf->nneedles + 1, sizeof(*users));
	for (i = 0; i < pf->n; i++) {
		p = &pf->v[i];
		for (j = 0; j < p->ncl; j++) {
			if (!pf_clause_usable(&p->cl[j]))
				continue;
			c.n = 0;
			for (k = 0; k < p->cl[j].n; k++) {
				if ((n = pf_needle_find(pf, &p->cl[j].lit[k])) == SIZE_MAX)
					break;
				c.nd[c.n++] = (uint16_t)n;
			}
			if (k < p->cl[j].n)
				continue; /* a literal without a needle: unusable */
			pf_cand_add(&cands[i], &c, rxlit_clause_minlen(&p->cl[j]));
			for (n = 0; n < pf->nneedles; n++)
				if (pf->needles[n].len >= PF_IMPLIED_MIN &&
				    pf_implied(&pf->needles[n], &p->cl[j])) {
					c.n = 1;
					c.nd[0] = (uint16_t)n;
					pf_cand_add(&cands[i], &c, pf->needles[n].len);
				}
		}
		for (k = 0; k < cands[i].n; k++)
			if (cands[i].c[k].n == 1)
				users[cands[i].c[k].nd[0]]++;
	}
	for (i = 0; i < pf->nneedles; i++)
		pf->needles[i].users = users[i];
	for (i = 0; i < pf->n; i++) {
		p = &pf->v[i];
		p->nchk = 0;
		used = xcalloc(cands[i].n + 1, sizeof(*used));
		while (p->nchk < PREFILTER_CHECKS) {
			best = SIZE_MAX;
			bw = 0;
			bl = 0;
			for (j = 0; j < cands[i].n; j++) {
				if (used[j])
					continue;
				ml = cands[i].minlen[j];
				if (pf_check_cost(pf, &cands[i].c[j]) > PF_CHECK_COST)
					continue;
				if (p->nchk == 0)
					w = cands[i].c[j].n == 1 ? (uint64_t)users[
					    cands[i].c[j].nd[0]] * (ml < 16 ? ml : 16) : 0;
				else
					w = ml;
				if (best == SIZE_MAX || w > bw ||
				    (w == bw && ml > bl)) {
					best = j;
					bw = w;
					bl = ml;
				}
			}
			if (best == SIZE_MAX)
				break;
			used[best] = 1;
			p->chk[p->nchk++] = cands[i].c[best];
		}
		/*
		 * One clause too costly to search literal by literal gets a
		 * one-pass check: the longest shortest member, then the most
		 * bytes in all.
		 */
		best = SIZE_MAX;
		bl = 0;
		bw = 0;
		for (j = 0; j < cands[i].n; j++) {
			if (used[j] || pf_check_cost(pf, &cands[i].c[j]) <=
			    PF_CHECK_COST)
				continue;
			ml = cands[i].minlen[j];
			for (w = 0, k = 0; k < cands[i].c[j].n; k++)
				w += pf->needles[cands[i].c[j].nd[k]].len;
			if (best == SIZE_MAX || ml > bl || (ml == bl && w > bw)) {
				best = j;
				bl = ml;
				bw = w;
			}
		}
		if (best != SIZE_MAX)
			p->set = pf_set_new(pf, &cands[i].c[best]);
		free(used);
		free(cands[i].c);
		free(cands[i].minlen);
	}
	free(cands);
	free(users);
	pf->nd_gen = xcalloc(pf->nneedles + 1, sizeof(*pf->nd_gen));
	pf->nd_hit = xcalloc(pf->nneedles + 1, sizeof(*pf->nd_hit));

	pf->gen = 0;
	pf->ready = 1;
}


struct prefilter *
prefilter_new(void)
{
	return xcalloc(1, sizeof(struct prefilter));
}

void
prefilter_free(struct prefilter *pf)
{
	size_t i, j;

	if (pf == NULL)
		return;
	pf_clear(pf);
	for (i = 0; i < pf->n; i++) {
		struct pf_pattern *p = &pf->v[i];

		for (j = 0; j < p->ncl; j++)
			rxlit_clause_free(&p->cl[j]);
		free(p->cl);
		for (j = 0; j < p->nprefix; j++)
			free(p->prefix[j]);
	}
	free(pf->v);
	free(pf);
}

void
prefilter_add(struct prefilter *pf, const char *regex, uint32_t minlen)
{
	struct pf_pattern *p;
	struct rxlit lits;

	pf_clear(pf);
	pf->v = xreallocarray(pf->v, pf->n + 1, sizeof(*pf->v));
	p = &pf->v[pf->n++];
	memset(p, 0, sizeof(*p));
	if (rxlit_extract(regex, &lits) == 0) {
		memcpy(p->prefix, lits.prefix, sizeof(p->prefix));
		memcpy(p->prefixlen, lits.prefixlen, sizeof(p->prefixlen));
		p->nprefix = lits.nprefix;
		if (lits.ncl > 0) {
			p->cl = xcalloc(lits.ncl, sizeof(*p->cl));
			memcpy(p->cl, lits.cl, lits.ncl * sizeof(*p->cl));
		}
		p->ncl = lits.ncl; /* the strings are p's now */
	}
	p->has_last = rxlit_last(regex, &p->last);
	p->minlen = minlen;
}

/*
 * The 256 masks of by[] as classes: cls[b] the class of byte b, the
 * masks of the classes (at most 256) in a new array, returned.
 */
static uint64_t *
pf_classes(const uint64_t *by, uint8_t *cls)
{
	uint64_t *m = xcalloc(256, sizeof(*m));
	size_t b, c, n = 0;

	for (b = 0; b < 256; b++) {
		for (c = 0; c < n && m[c] != by[b]; c++)
			;
		if (c == n)
			m[n++] = by[b];
		cls[b] = (uint8_t)c;
	}
	return xreallocarray(m, n, sizeof(*m));
}

void
prefilter_prog_init(struct prefilter *pf, struct prefilter_prog *pp,
    const uint16_t *list, size_t n)
{
	uint64_t by[PREFILTER_PROG_LEAD + 1][256], bit;
	size_t i, j, at;

	memset(pp, 0, sizeof(*pp));
	if (n == 0 || n > PREFILTER_PROG_MAX)
		return;
	memset(by, 0, sizeof(by));
	for (i = 0; i < n; i++) {
		const struct pf_pattern *p = &pf->v[list[i]];

		bit = (uint64_t)1 << i;
		for (j = 0; j < 256; j++)
			if (!p->has_last || (p->last.w[j >> 6] >> (j & 63) & 1))
				by[PREFILTER_PROG_LEAD][j] |= bit;
		if (p->nprefix == 0)
			pp->noprefix |= bit;
		/* byte at of a match: any, unless every prefix reaches it */
		for (at = 0; at < PREFILTER_PROG_LEAD; at++) {
			for (j = 0; j < p->nprefix && p->prefixlen[j] > at; j++)
				;
			if (p->nprefix == 0 || j < p->nprefix) {
				for (j = 0; j < 256; j++)
					by[at][j] |= bit;
				continue;
			}
			for (j = 0; j < p->nprefix; j++)
				by[at][(unsigned char)p->prefix[j][at]] |= bit;
		}
	}
	pp->cls = xcalloc(256 * (PREFILTER_PROG_LEAD + 1), sizeof(*pp->cls));
	for (at = 0; at <= PREFILTER_PROG_LEAD; at++)
		pp->by[at] = pf_classes(by[at], pp->cls + 256 * at);
	if (!pf->ready)
		prefilter_build(pf);
	pp->key = xcalloc(n, sizeof(*pp->key));
	for (i = 0; i < n; i++) {
		const struct pf_pattern *p = &pf->v[list[i]];

		if (p->nchk == 0 || p->chk[0].n != 1)
			continue;
		for (j = 0; j < pp->nkey && pp->key[j].nd != p->chk[0].nd[0]; j++)
			;
		if (j == pp->nkey) {
			pp->key[j].nd = p->chk[0].nd[0];
			pp->nkey++;
		}
		pp->key[j].mask |= (uint64_t)1 << i;
	}
	/* most shared first: insertion sort, a handful of keys */
	for (i = 1; i < pp->nkey; i++)
		for (j = i; j > 0 && __builtin_popcountll(pp->key[j].mask) >
		    __builtin_popcountll(pp->key[j - 1].mask); j--) {
			struct pf_key t = pp->key[j];

			pp->key[j] = pp->key[j - 1];
			pp->key[j - 1] = t;
		}
	pp->keyof = xcalloc(n, sizeof(*pp->keyof));
	for (j = 0; j < pp->nkey; j++) {
		pp->key[j].drift = (uint8_t)pf->needles[pp->key[j].nd].drift;
		pp->keyed |= pp->key[j].mask;
		for (i = 0; i < n; i++)
			if (pp->key[j].mask >> i & 1)
				pp->keyof[i] = (uint8_t)j;
	}
	pp->visit = xcalloc(n, sizeof(*pp->visit));
	for (i = 0; i < n; i++) {
		const struct pf_pattern *p = &pf->v[list[i]];
		struct pf_visit *v = &pp->visit[i];
		size_t c0 = pp->keyed >> i & 1;

		v->minlen = (uint16_t)(p->minlen < UINT16_MAX ? p->minlen :
		    UINT16_MAX);
		v->nd = PF_NO_NEEDLE;
		if (c0 < p->nchk && p->chk[c0].n == 1)
			v->nd = p->chk[c0++].nd[0];
		v->c0 = (uint8_t)c0;
		v->rest = p->minlen > UINT16_MAX || p->nprefix > 0 ||
		    c0 < p->nchk || p->set != NULL;
	}
}

void
prefilter_prog_free(struct prefilter_prog *pp)
{
	size_t at;

	for (at = 0; at <= PREFILTER_PROG_LEAD; at++)
		free(pp->by[at]);
	free(pp->cls);
	free(pp->key);
	free(pp->keyof);
	free(pp->visit);
	memset(pp, 0, sizeof(*pp));
}

const char *
prefilter_text(struct prefilter *pf, size_t i, char *buf, size_t buflen)
{
	const struct pf_pattern *p = &pf->v[i];
	size_t at = 0, c, k;
	int n;

	if (buflen == 0)
		return buf;
	if (!pf->ready)
		prefilter_build(pf);
	n = snprintf(buf, buflen, "minlen %u", (unsigned)p->minlen);
	at = n < 0 ? 0 : (size_t)n < buflen ? (size_t)n : buflen - 1;
	if (p->nprefix > 0 && at + 3 < buflen) {
		buf[at++] = ' ';
		rxlit_put_prefix(buf, buflen, &at, p->prefix, p->prefixlen,
		    p->nprefix);
	}
	for (c = 0; c < p->nchk && at + 2 < buflen; c++) {
		buf[at++] = ' ';
		if (p->chk[c].n > 1)
			buf[at++] = '(';
		for (k = 0; k < p->chk[c].n && at + 2 < buflen; k++) {
			const struct pf_needle *nd = &pf->needles[p->chk[c].nd[k]];

			if (k > 0)
				buf[at++] = '|';
			if (nd->ci)
				buf[at++] = 'i';
			rxlit_put_str(buf, buflen, &at, nd->s, nd->len);
		}
		if (p->chk[c].n > 1 && at + 1 < buflen)
			buf[at++] = ')';
	}
	if (p->set != NULL && at + 6 < buflen) { /* the one-pass clause */
		memcpy(buf + at, " any(", 5);
		at += 5;
		for (k = 0; k < p->set->n && at + 2 < buflen; k++) {
			const struct pf_needle *nd = &pf->needles[p->set->lit[k].nd];

			if (k > 0)
				buf[at++] = '|';
			if (nd->ci)
				buf[at++] = 'i';
			rxlit_put_str(buf, buflen, &at, nd->s, nd->len);
		}
		if (at + 1 < buflen)
			buf[at++] = ')';
	}
	if (p->has_last && at + 4 < buflen) { /* the last byte, as a class */
		buf[at++] = ' ';
		buf[at++] = '$';
		rxlit_put_last(buf, buflen, &at, &p->last);
	}
	buf[at < buflen ? at : buflen - 1] = '\0';
	return buf;
}
