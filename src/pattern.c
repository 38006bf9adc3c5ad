/*
 * NAME
 *	pattern - PCRE2 patterns per program: compile (JIT), dispatch, match
 * DESCRIPTION
 *	See include/pattern.h.  Dispatch: the list of patterns that apply to a
 *	program name is computed once per distinct name and cached in a small
 *	open-addressing table; when the table fills up it is emptied (program
 *	names are few; this only bounds what hostile input can make us keep).
 * SECURITY
 *	Subjects are hostile.  Patterns are compiled without UTF mode, so any
 *	byte sequence is a valid subject; match and depth limits bound the
 *	work of the interpreter, and the JIT stack is fixed.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <limits.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "memfind.h"
#include "pattern.h"
#include "rxlit.h"

#define DISPATCH_SLOTS 1024 /* power of two */
#define DISPATCH_MAX (DISPATCH_SLOTS / 2)
#define PROG_MAX 128 /* longer program names are never cached */
#define MATCH_LIMIT 100000
#define DEPTH_LIMIT 1000
#define PF_MINRUN 3 /* shorter literals are not worth a search */
#define PF_CHECKS 8 /* clauses searched per pattern */
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
		uint16_t nd; /* ps->needles index */
		uint16_t off; /* of the anchor in the literal */
		unsigned char x, y, z; /* the anchor, folded to lower case */
	} lit[RXLIT_ALTS];
	size_t n;
	size_t minlen; /* of its shortest literal */
};

/* A check chosen by pf_build: a clause as ps->needles indices. */
struct pf_check {
	uint16_t nd[RXLIT_ALTS];
	uint8_t n;
};

struct pattern {
	char *name;
	long score;
	char **progs;
	size_t nprogs;
	pcre2_code *code;
	int ip_group; /* capture number, 0 if none */
	int qid_group;
	size_t index;
	/* prefilter, derived from the regex (rxlit) */
	uint32_t minlen; /* PCRE2_INFO_MINLENGTH */
	char *prefix[RXLIT_ALTS]; /* the match starts with one of these */
	size_t prefixlen[RXLIT_ALTS];
	size_t nprefix; /* 0: no prefix known */
	struct rxlit_clause *cl; /* every match satisfies every clause */
	size_t ncl;
	struct pf_check chk[PF_CHECKS]; /* chosen by pf_build */
	size_t nchk;
	struct pf_set *set; /* NULL: none; checked after chk */
	int has_last; /* the match ends the message: its last byte is in last */
	struct rxlit_bytes last;
};

struct needle {
	char *s;
	size_t len;
	int ci;
	size_t users; /* patterns that contain it */
	size_t rare; /* offset of its rarest byte */
	struct memfind mf; /* searched by its two rarest bytes */
};

struct dispatch {
	char *prog; /* NULL: empty slot */
	size_t proglen;
	uint16_t *list; /* pattern indices */
	size_t n;
	/*
	 * first[b]: bit i set when list[i] may match a message that starts
	 * with byte b (one of its prefixes starts with b, or it has none); bit
	 * i of noprefix for an empty message.  NULL when n > 64.
	 */
	uint64_t *first;
	uint64_t noprefix;
	/* lastb[b]: bit i set when list[i] may match a message ending in b */
	uint64_t *lastb;
	/*
	 * key[k]: the patterns of list (bits) whose first check is needle
	 * key[k].nd alone; a line without that needle rules them all out with
	 * one search.  Most shared first.  Only with first.
	 */
	struct dispatch_key {
		uint16_t nd;
		uint64_t mask;
	} *key;
	size_t nkey;
};

struct pattern_set {
	struct pattern **v;
	size_t n;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	int jit_ok;
	struct dispatch slots[DISPATCH_SLOTS];
	size_t nslots;
	struct dispatch *last; /* dispatch of the previous line's program */
	uint32_t max_groups;
	int pf_off; /* pattern_set_prefilter(ps, 0) */
	int pf_ready; /* needles chosen for the current pattern list */
	struct needle *needles;
	size_t nneedles;
	/* per-line memo: needle i was searched in this line if nd_gen[i] == gen */
	uint32_t *nd_gen;
	uint8_t *nd_hit;
	uint32_t gen;
};

/*
 * Prefilter.  At pattern_add() time rxlit derives from the regex,
 * conservatively, the prefixes and the clauses every match satisfies
 * (include/rxlit.h), and the last-byte gate.  pf_build() then picks at
 * most PF_CHECKS clauses per pattern (see there).  A line is handed to
 * PCRE2 only if it is long enough, starts with a prefix and satisfies
 * every chosen clause.  Per program, the patterns that share a first
 * needle are ruled out together by one search (struct dispatch, key).
 */

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

static int
pf_search(const char *hay, size_t len, const struct needle *nd)
{
	return memfind(&nd->mf, hay, len);
}

static void
pf_clear(struct pattern_set *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i]->set);
		ps->v[i]->set = NULL;
	}
	for (i = 0; i < ps->nneedles; i++)
		free(ps->needles[i].s);
	free(ps->needles);
	free(ps->nd_gen);
	free(ps->nd_hit);
	ps->needles = NULL;
	ps->nd_gen = NULL;
	ps->nd_hit = NULL;
	ps->nneedles = 0;
	ps->gen = 0;
	ps->pf_ready = 0;
}

static size_t
pf_needle_find(const struct pattern_set *ps, const struct rxlit_lit *l)
{
	size_t i;

	for (i = 0; i < ps->nneedles; i++)
		if (ps->needles[i].len == l->len && ps->needles[i].ci == l->ci &&
		    memcmp(ps->needles[i].s, l->s, l->len) == 0)
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
pf_implied(const struct needle *n, const struct rxlit_clause *c)
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
pf_check_cost(const struct pattern_set *ps, const struct pf_check *c)
{
	(void)ps;
	return c->n;
}

/* Candidate checks of one pattern (pf_build). */
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
pf_set_new(const struct pattern_set *ps, const struct pf_check *c)
{
	struct pf_set *st = xcalloc(1, sizeof(*st));
	const struct needle *nd;
	const unsigned char *u;
	size_t k, i, best;
	uint64_t f, bf;

	st->minlen = SIZE_MAX;
	for (k = 0; k < c->n; k++) {
		nd = &ps->needles[c->nd[k]];
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
pf_set_at(const struct pattern_set *ps, const struct pf_set *st, size_t k,
    const char *msg, size_t len, size_t at)
{
	const struct needle *nd = &ps->needles[st->lit[k].nd];

	return at <= len && nd->len <= len - at && memfind_at(&nd->mf, msg + at);
}

/*
 * Does msg contain one of the literals of st?  One pass over the pairs
 * at even offsets: a pair set is the anchor's first pair (the literal
 * starts off bytes before) or its second (off + 1 before).
 */
static int
pf_set_search(const struct pattern_set *ps, const struct pf_set *st,
    const char *msg, size_t len)
{
	const unsigned char *m = (const unsigned char *)msg;
	size_t i, k, off;
	unsigned key, a, b;

	if (len < st->minlen)
		return 0;
	for (i = 0; i + 1 < len; i += 2) {
		key = (unsigned)m[i] | (unsigned)m[i + 1] << 8;
		if (!(st->bits[key >> 6] >> (key & 63) & 1))
			continue;
		a = pf_lower(m[i]);
		b = pf_lower(m[i + 1]);
		for (k = 0; k < st->n; k++) {
			off = st->lit[k].off;
			if (a == st->lit[k].x && b == st->lit[k].y && i >= off &&
			    pf_set_at(ps, st, k, msg, len, i - off))
				return 1;
			if (a == st->lit[k].y && b == st->lit[k].z && i >= off + 1 &&
			    pf_set_at(ps, st, k, msg, len, i - off - 1))
				return 1;
		}
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
static void
pf_build(struct pattern_set *ps)
{
	struct pattern *p;
	struct pf_check c;
	struct pf_cands *cands;
	size_t i, j, k, n, best, ml, bl;
	uint64_t w, bw;
	size_t *users;
	int *used;

	pf_clear(ps);
	for (i = 0; i < ps->n; i++) {
		p = ps->v[i];
		for (j = 0; j < p->ncl; j++) {
			if (!pf_clause_usable(&p->cl[j]))
				continue;
			for (k = 0; k < p->cl[j].n; k++) {
				const struct rxlit_lit *l = &p->cl[j].lit[k];

				if (pf_needle_find(ps, l) != SIZE_MAX ||
				    ps->nneedles >= UINT16_MAX)
					continue;
				ps->needles = xreallocarray(ps->needles,
				    ps->nneedles + 1, sizeof(*ps->needles));
				n = ps->nneedles++;
				ps->needles[n].s = xstrndup(l->s, l->len);
				ps->needles[n].len = l->len;
				ps->needles[n].ci = l->ci;
				ps->needles[n].users = 0;
				ps->needles[n].rare = pf_rare_offset(l->s, l->len, l->ci);
				memfind_init(&ps->needles[n].mf, ps->needles[n].s,
				    l->len, l->ci, ps->needles[n].rare,
				    pf_pair_offset(l->s, l->len, l->ci,
				    ps->needles[n].rare));
			}
		}
	}
	/* candidates: the usable clauses, and the needles they imply */
	cands = xcalloc(ps->n + 1, sizeof(*cands));
	users = xcalloc(ps->nneedles + 1, sizeof(*users));
	for (i = 0; i < ps->n; i++) {
		p = ps->v[i];
		for (j = 0; j < p->ncl; j++) {
			if (!pf_clause_usable(&p->cl[j]))
				continue;
			c.n = 0;
			for (k = 0; k < p->cl[j].n; k++) {
				if ((n = pf_needle_find(ps, &p->cl[j].lit[k])) == SIZE_MAX)
					break;
				c.nd[c.n++] = (uint16_t)n;
			}
			if (k < p->cl[j].n)
				continue; /* a literal without a needle: unusable */
			pf_cand_add(&cands[i], &c, rxlit_clause_minlen(&p->cl[j]));
			for (n = 0; n < ps->nneedles; n++)
				if (ps->needles[n].len >= PF_IMPLIED_MIN &&
				    pf_implied(&ps->needles[n], &p->cl[j])) {
					c.n = 1;
					c.nd[0] = (uint16_t)n;
					pf_cand_add(&cands[i], &c, ps->needles[n].len);
				}
		}
		for (k = 0; k < cands[i].n; k++)
			if (cands[i].c[k].n == 1)
				users[cands[i].c[k].nd[0]]++;
	}
	for (i = 0; i < ps->nneedles; i++)
		ps->needles[i].users = users[i];
	for (i = 0; i < ps->n; i++) {
		p = ps->v[i];
		p->nchk = 0;
		used = xcalloc(cands[i].n + 1, sizeof(*used));
		while (p->nchk < PF_CHECKS) {
			best = SIZE_MAX;
			bw = 0;
			bl = 0;
			for (j = 0; j < cands[i].n; j++) {
				if (used[j])
					continue;
				ml = cands[i].minlen[j];
				if (pf_check_cost(ps, &cands[i].c[j]) > PF_CHECK_COST)
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
			if (used[j] || pf_check_cost(ps, &cands[i].c[j]) <=
			    PF_CHECK_COST)
				continue;
			ml = cands[i].minlen[j];
			for (w = 0, k = 0; k < cands[i].c[j].n; k++)
				w += ps->needles[cands[i].c[j].nd[k]].len;
			if (best == SIZE_MAX || ml > bl || (ml == bl && w > bw)) {
				best = j;
				bl = ml;
				bw = w;
			}
		}
		if (best != SIZE_MAX)
			p->set = pf_set_new(ps, &cands[i].c[best]);
		free(used);
		free(cands[i].c);
		free(cands[i].minlen);
	}
	free(cands);
	free(users);
	ps->nd_gen = xcalloc(ps->nneedles + 1, sizeof(*ps->nd_gen));
	ps->nd_hit = xcalloc(ps->nneedles + 1, sizeof(*ps->nd_hit));
	ps->gen = 0;
	ps->pf_ready = 1;
}

/* A new line for the needle memo. */
static void
pf_next_line(struct pattern_set *ps)
{
	if (!ps->pf_ready)
		pf_build(ps);
	if (++ps->gen == 0) {
		memset(ps->nd_gen, 0, (ps->nneedles + 1) * sizeof(*ps->nd_gen));
		ps->gen = 1;
	}
}

/* Needle n in msg, searched once per line. */
static inline int
pf_hit(struct pattern_set *ps, size_t n, const char *msg, size_t len)
{
	if (ps->nd_gen[n] != ps->gen) {
		ps->nd_gen[n] = ps->gen;
		ps->nd_hit[n] = (uint8_t)pf_search(msg, len, &ps->needles[n]);
	}
	return ps->nd_hit[n];
}

/* 0: msg cannot match p's regex; 1: it may. */
static inline int
pf_pass(struct pattern_set *ps, const struct pattern *p, const char *msg,
    size_t len)
{
	size_t i, k;

	if (len < p->minlen)
		return 0;
	if (p->has_last && len > 0 && !(p->last.w[(unsigned char)msg[len - 1] >> 6] >>
	    ((unsigned char)msg[len - 1] & 63) & 1))
		return 0;
	if (p->nprefix > 0) {
		for (k = 0; k < p->nprefix; k++)
			if (len >= p->prefixlen[k] && msg[0] == p->prefix[k][0] &&
			    memcmp(msg, p->prefix[k], p->prefixlen[k]) == 0)
				break;
		if (k == p->nprefix)
			return 0;
	}
	for (i = 0; i < p->nchk; i++) {
		for (k = 0; k < p->chk[i].n; k++)
			if (pf_hit(ps, p->chk[i].nd[k], msg, len))
				break;
		if (k == p->chk[i].n)
			return 0;
	}
	if (p->set != NULL && !pf_set_search(ps, p->set, msg, len))
		return 0;
	return 1;
}

struct pattern_set *
pattern_set_new(void)
{
	struct pattern_set *ps = xcalloc(1, sizeof(*ps));

	ps->mctx = pcre2_match_context_create(NULL);
	if (ps->mctx == NULL)
		msg_fatal("pcre2_match_context_create: out of memory");
	pcre2_set_match_limit(ps->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(ps->mctx, DEPTH_LIMIT);
	ps->jit = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (ps->jit == NULL)
		msg_fatal("pcre2_jit_stack_create: out of memory");
	pcre2_jit_stack_assign(ps->mctx, NULL, ps->jit);
	ps->jit_ok = 1;
	return ps;
}

static void
dispatch_clear(struct pattern_set *ps)
{
	size_t i;

	for (i = 0; i < DISPATCH_SLOTS; i++) {
		free(ps->slots[i].prog);
		free(ps->slots[i].list);
		free(ps->slots[i].first);
		free(ps->slots[i].lastb);
		free(ps->slots[i].key);
		memset(&ps->slots[i], 0, sizeof(ps->slots[i]));
	}
	ps->nslots = 0;
	ps->last = NULL;
}

void
pattern_set_free(struct pattern_set *ps)
{
	size_t i, j;

	if (ps == NULL)
		return;
	dispatch_clear(ps);
	pf_clear(ps);
	for (i = 0; i < ps->n; i++) {
		struct pattern *p = ps->v[i];

		for (j = 0; j < p->nprogs; j++)
			free(p->progs[j]);
		for (j = 0; j < p->ncl; j++)
			rxlit_clause_free(&p->cl[j]);
		free(p->cl);
		for (j = 0; j < p->nprefix; j++)
			free(p->prefix[j]);
		free(p->progs);
		free(p->name);
		pcre2_code_free(p->code);
		free(p);
	}
	free(ps->v);
	pcre2_match_data_free(ps->md);
	pcre2_match_context_free(ps->mctx);
	pcre2_jit_stack_free(ps->jit);
	free(ps);
}

int
pattern_add(struct pattern_set *ps, const char *name,
    const char *const *progs, size_t nprogs, long score, const char *regex,
    char *err, size_t errlen)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *code;
	struct pattern *p;
	struct rxlit lits;
	uint32_t groups;
	int rc, ip, qid;
	size_t i;

	if (ps->n >= UINT16_MAX) {
		xsnprintf(err, errlen, "too many patterns");
		return -1;
	}
	code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, 0, &rc,
	    &off, NULL);
	if (code == NULL) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		snprintf(err, errlen, "pattern \"%.64s\": %s at offset %zu", name,
		    (char *)msg, (size_t)off);
		return -1;
	}
	ip = pcre2_substring_number_from_name(code, (PCRE2_SPTR) "ip");
	qid = pcre2_substring_number_from_name(code, (PCRE2_SPTR) "qid");
	if (ip < 0 && qid < 0) {
		snprintf(err, errlen,
		    "pattern \"%.64s\": regex has no named group (?<ip>...) "
		    "or (?<qid>...)", name);
		pcre2_code_free(code);
		return -1;
	}
	if (pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) != 0)
		ps->jit_ok = 0; /* fall back to the interpreter, still correct */
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
	if (groups + 1 > ps->max_groups) {
		ps->max_groups = groups + 1;
		pcre2_match_data_free(ps->md);
		ps->md = pcre2_match_data_create(ps->max_groups, NULL);
		if (ps->md == NULL)
			msg_fatal("pcre2_match_data_create: out of memory");
	}
	p = xcalloc(1, sizeof(*p));
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
	pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &p->minlen);
	p->name = xstrdup(name);
	p->score = score;
	p->code = code;
	p->ip_group = ip > 0 ? ip : 0;
	p->qid_group = qid > 0 ? qid : 0;
	p->progs = xcalloc(nprogs, sizeof(*p->progs));
	for (i = 0; i < nprogs; i++)
		p->progs[i] = xstrdup(progs[i]);
	p->nprogs = nprogs;
	p->index = ps->n;
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	ps->v[ps->n++] = p;
	dispatch_clear(ps);
	pf_clear(ps);
	return 0;
}

size_t
pattern_count(const struct pattern_set *ps)
{
	return ps->n;
}

const struct pattern *
pattern_get(const struct pattern_set *ps, size_t i)
{
	return i < ps->n ? ps->v[i] : NULL;
}

const char *
pattern_name(const struct pattern *p)
{
	return p->name;
}

long
pattern_score(const struct pattern *p)
{
	return p->score;
}

size_t
pattern_index(const struct pattern *p)
{
	return p->index;
}

/* Glob: '*' matches any run of bytes, everything else itself. */
static int
glob_match(const char *g, const char *s, size_t slen)
{
	const char *star = NULL, *se = s + slen, *resume = NULL;

	while (s < se) {
		if (*g == '*') {
			star = g++;
			resume = s;
		} else if (*g != '\0' && *g == *s) {
			g++;
			s++;
		} else if (star != NULL) {
			g = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*g == '*')
		g++;
	return *g == '\0';
}

/*
 * Program names hash by their first and last eight bytes and their length
 * ("postfix/smtpd", "postfix/submission/smtpd"): two loads, not a
 * multiply per byte.  Collisions only cost a memcmp more.
 */
static uint64_t
prog_hash(const char *s, size_t n)
{
	uint64_t a = 0, b = 0, h;
	size_t i;

	if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
	} else {
		for (i = 0; i < n; i++)
			a = a << 8 | (unsigned char)s[i];
	}
	h = (a * 0x9e3779b97f4a7c15ULL ^ b) * 0xff51afd7ed558ccdULL ^ n;
	return h ^ h >> 32 ^ h >> 47;
}

static void
dispatch_compute(struct pattern_set *ps, const char *prog, size_t len,
    struct dispatch *d)
{
	size_t i, j;

	d->list = xcalloc(ps->n, sizeof(*d->list));
	d->n = 0;
	d->first = NULL;
	d->lastb = NULL;
	d->noprefix = 0;
	d->key = NULL;
	d->nkey = 0;
	for (i = 0; i < ps->n; i++)
		for (j = 0; j < ps->v[i]->nprogs; j++)
			if (glob_match(ps->v[i]->progs[j], prog, len)) {
				d->list[d->n++] = (uint16_t)i;
				break;
			}
	if (d->n == 0 || d->n > 64)
		return;
	d->first = xcalloc(256, sizeof(*d->first));
	d->lastb = xcalloc(256, sizeof(*d->lastb));
	for (i = 0; i < d->n; i++) {
		const struct pattern *p = ps->v[d->list[i]];

		for (j = 0; j < 256; j++)
			if (!p->has_last || (p->last.w[j >> 6] >> (j & 63) & 1))
				d->lastb[j] |= (uint64_t)1 << i;
	}
	for (i = 0; i < d->n; i++) {
		const struct pattern *p = ps->v[d->list[i]];

		if (p->nprefix == 0) {
			d->noprefix |= (uint64_t)1 << i;
			for (j = 0; j < 256; j++)
				d->first[j] |= (uint64_t)1 << i;
		} else {
			for (j = 0; j < p->nprefix; j++)
				d->first[(unsigned char)p->prefix[j][0]] |=
				    (uint64_t)1 << i;
		}
	}
	if (!ps->pf_ready)
		pf_build(ps);
	d->key = xcalloc(d->n, sizeof(*d->key));
	for (i = 0; i < d->n; i++) {
		const struct pattern *p = ps->v[d->list[i]];

		if (p->nchk == 0 || p->chk[0].n != 1)
			continue;
		for (j = 0; j < d->nkey && d->key[j].nd != p->chk[0].nd[0]; j++)
			;
		if (j == d->nkey) {
			d->key[j].nd = p->chk[0].nd[0];
			d->nkey++;
		}
		d->key[j].mask |= (uint64_t)1 << i;
	}
	/* most shared first: insertion sort, a handful of keys */
	for (i = 1; i < d->nkey; i++)
		for (j = i; j > 0 && __builtin_popcountll(d->key[j].mask) >
		    __builtin_popcountll(d->key[j - 1].mask); j--) {
			struct dispatch_key t = d->key[j];

			d->key[j] = d->key[j - 1];
			d->key[j - 1] = t;
		}
}

static const struct dispatch *
dispatch_get(struct pattern_set *ps, const char *prog, size_t len,
    struct dispatch *scratch)
{
	uint64_t h;
	size_t i;
	struct dispatch *d;

	/* consecutive lines often come from one program: no hashing then */
	d = ps->last;
	if (d != NULL && d->proglen == len && memcmp(d->prog, prog, len) == 0)
		return d;
	if (len > PROG_MAX) {
		dispatch_compute(ps, prog, len, scratch);
		return scratch;
	}
	h = prog_hash(prog, len);
	for (i = h & (DISPATCH_SLOTS - 1);; i = (i + 1) & (DISPATCH_SLOTS - 1)) {
		d = &ps->slots[i];
		if (d->prog == NULL)
			break;
		if (d->proglen == len && memcmp(d->prog, prog, len) == 0)
			return ps->last = d;
	}
	/* a name with a NUL is never cached (and so never found above) */
	if (memchr(prog, '\0', len) != NULL) {
		dispatch_compute(ps, prog, len, scratch);
		return scratch;
	}
	if (ps->nslots >= DISPATCH_MAX) {
		dispatch_clear(ps);
		return dispatch_get(ps, prog, len, scratch);
	}
	d->prog = xstrndup(prog, len);
	d->proglen = len;
	dispatch_compute(ps, prog, len, d);
	ps->nslots++;
	return ps->last = d;
}

/* 1: match (*m filled when m != NULL), 0: none, -1: limit or error. */
static int
regex_run(struct pattern_set *ps, const struct pattern *p, const char *msg,
    size_t len, struct pattern_match *m)
{
	PCRE2_SIZE *ov;
	int rc;

	if (ps->jit_ok)
		rc = pcre2_jit_match(p->code, (PCRE2_SPTR)msg, len, 0, 0, ps->md,
		    ps->mctx);
	else
		rc = pcre2_match(p->code, (PCRE2_SPTR)msg, len, 0, 0, ps->md,
		    ps->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return -1;
	if (m == NULL)
		return 1;
	ov = pcre2_get_ovector_pointer(ps->md);
	memset(m, 0, sizeof(*m));
	m->pat = p;
	if (p->ip_group && ov[2 * p->ip_group] != PCRE2_UNSET) {
		m->ip = msg + ov[2 * p->ip_group];
		m->iplen = ov[2 * p->ip_group + 1] - ov[2 * p->ip_group];
	}
	if (p->qid_group && ov[2 * p->qid_group] != PCRE2_UNSET) {
		m->qid = msg + ov[2 * p->qid_group];
		m->qidlen = ov[2 * p->qid_group + 1] - ov[2 * p->qid_group];
	}
	return 1;
}

int
pattern_match(struct pattern_set *ps, const struct logline *ll,
    struct pattern_match *m)
{
	struct dispatch scratch;
	const struct dispatch *d;
	const struct pattern *p;
	uint64_t mask;
	size_t i;
	int rc, ret = 0;

	scratch.list = NULL; /* filled only for names that are never cached */
	d = dispatch_get(ps, ll->prog, ll->proglen, &scratch);
	if (d->n == 0)
		goto out;
	if (!ps->pf_off) {
		pf_next_line(ps);
		if (d->first != NULL) {
			/* only the patterns whose prefix fits the first byte */
			mask = ll->msglen > 0 ?
			    d->first[(unsigned char)ll->msg[0]] &
			    d->lastb[(unsigned char)ll->msg[ll->msglen - 1]] :
			    d->noprefix;
			/* one search rules out every pattern that needs it */
			for (i = 0; i < d->nkey && mask != 0; i++)
				if ((mask & d->key[i].mask) != 0 &&
				    !pf_hit(ps, d->key[i].nd, ll->msg, ll->msglen))
					mask &= ~d->key[i].mask;
			while (mask != 0) {
				i = (size_t)__builtin_ctzll(mask);
				mask &= mask - 1;
				p = ps->v[d->list[i]];
				if (!pf_pass(ps, p, ll->msg, ll->msglen))
					continue;
				rc = regex_run(ps, p, ll->msg, ll->msglen, m);
				if (rc < 0)
					ret = -1; /* limit hit: counted by the caller */
				if (rc > 0) {
					ret = 1;
					break;
				}
			}
			goto out;
		}
	}
	for (i = 0; i < d->n; i++) {
		p = ps->v[d->list[i]];
		if (!ps->pf_off && !pf_pass(ps, p, ll->msg, ll->msglen))
			continue;
		rc = regex_run(ps, p, ll->msg, ll->msglen, m);
		if (rc == 0)
			continue;
		if (rc < 0) {
			ret = -1; /* limit hit: counted by the caller */
			continue;
		}
		ret = 1;
		break;
	}
out:
	if (d == &scratch) {
		free(scratch.list);
		free(scratch.first);
		free(scratch.lastb);
		free(scratch.key);
	}
	return ret;
}

void
pattern_set_prefilter(struct pattern_set *ps, int on)
{
	ps->pf_off = !on;
}

int
pattern_may_match(struct pattern_set *ps, const struct pattern *p,
    const char *msg, size_t len)
{
	pf_next_line(ps);
	return pf_pass(ps, p, msg, len);
}

int
pattern_regex_match(struct pattern_set *ps, const struct pattern *p,
    const char *msg, size_t len)
{
	return regex_run(ps, p, msg, len, NULL);
}

const char *
pattern_prefilter_text(struct pattern_set *ps, const struct pattern *p,
    char *buf, size_t buflen)
{
	size_t at = 0, i, k;
	int n;

	if (buflen == 0)
		return buf;
	if (!ps->pf_ready)
		pf_build(ps);
	n = snprintf(buf, buflen, "minlen %u", (unsigned)p->minlen);
	at = n < 0 ? 0 : (size_t)n < buflen ? (size_t)n : buflen - 1;
	if (p->nprefix > 0 && at + 3 < buflen) {
		buf[at++] = ' ';
		buf[at++] = '^';
		if (p->nprefix > 1)
			buf[at++] = '(';
		for (k = 0; k < p->nprefix && at + 2 < buflen; k++) {
			if (k > 0)
				buf[at++] = '|';
			rxlit_put_str(buf, buflen, &at, p->prefix[k],
			    p->prefixlen[k]);
		}
		if (p->nprefix > 1 && at + 1 < buflen)
			buf[at++] = ')';
	}
	for (i = 0; i < p->nchk && at + 2 < buflen; i++) {
		buf[at++] = ' ';
		if (p->chk[i].n > 1)
			buf[at++] = '(';
		for (k = 0; k < p->chk[i].n && at + 2 < buflen; k++) {
			const struct needle *nd = &ps->needles[p->chk[i].nd[k]];

			if (k > 0)
				buf[at++] = '|';
			if (nd->ci)
				buf[at++] = 'i';
			rxlit_put_str(buf, buflen, &at, nd->s, nd->len);
		}
		if (p->chk[i].n > 1 && at + 1 < buflen)
			buf[at++] = ')';
	}
	if (p->set != NULL && at + 6 < buflen) { /* the one-pass clause */
		memcpy(buf + at, " any(", 5);
		at += 5;
		for (k = 0; k < p->set->n && at + 2 < buflen; k++) {
			const struct needle *nd = &ps->needles[p->set->lit[k].nd];

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
