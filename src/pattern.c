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

#include <pcre2.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pattern.h"

#define DISPATCH_SLOTS 1024 /* power of two */
#define DISPATCH_MAX (DISPATCH_SLOTS / 2)
#define PROG_MAX 128 /* longer program names are never cached */
#define MATCH_LIMIT 100000
#define DEPTH_LIMIT 1000
#define PF_RUNS 16 /* mandatory literal runs remembered per pattern */
#define PF_RUNMAX 256 /* a longer literal run: no prefilter */
#define PF_MINRUN 3 /* shorter runs are not worth a memmem */
#define PF_CHECKS 3 /* needles searched per pattern */

struct pattern {
	char *name;
	long score;
	char **progs;
	size_t nprogs;
	pcre2_code *code;
	int ip_group; /* capture number, 0 if none */
	int qid_group;
	size_t index;
	/* prefilter, derived from the regex (pf_extract) */
	uint32_t minlen; /* PCRE2_INFO_MINLENGTH */
	char *prefix; /* literal the match must start with, NULL if none */
	size_t prefixlen;
	char *runs[PF_RUNS]; /* literals every match contains */
	size_t nruns;
	uint16_t needle[PF_CHECKS]; /* ps->needles indices, chosen by pf_build */
	size_t nneedles;
};

struct needle {
	char *s;
	size_t len;
	size_t users; /* patterns that contain it */
	size_t rare; /* offset of its rarest byte, searched with memchr */
};

struct dispatch {
	char *prog; /* NULL: empty slot */
	size_t proglen;
	uint16_t *list; /* pattern indices */
	size_t n;
	/*
	 * first[b]: bit i set when list[i] may match a message that starts
	 * with byte b (its prefix starts with b, or it has none); bit i of
	 * noprefix for an empty message.  NULL when n > 64.
	 */
	uint64_t *first;
	uint64_t noprefix;
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
 * Prefilter.  At pattern_add() time pf_extract() walks the regex and
 * collects the literal runs of its top-level concatenation: bytes that
 * every match must contain, in that order, and, when the regex starts
 * with "^" and a literal, the bytes every match must start with.  It is
 * conservative: any construct it does not fully understand (alternation
 * at the top level, inline options, verbs, \Q...\E, back-references,
 * unusual escapes or quantifiers) makes it give up, and the pattern then
 * has no prefilter except PCRE2's own minimum length.  Groups, classes and
 * lookarounds end a run and are never looked into; a literal byte followed
 * by a quantifier of minimum 0 is dropped from its run.
 *
 * pf_build() then picks at most PF_CHECKS runs per pattern: first one
 * that many patterns share (": reject: ", " rejected "), whose search is
 * remembered for the line and so paid once for all of them, then the
 * longest.  A group of plain literal alternatives contributes their
 * common prefix and suffix.  A line is handed to PCRE2 only if it is long enough, starts
 * with the prefix and contains the chosen runs.
 */
struct pf_out {
	char *prefix;
	size_t prefixlen;
	char *runs[PF_RUNS];
	size_t nruns;
};

/* re[i] == '['; index after the closing ']', or 0 to give up. */
static size_t
pf_skip_class(const char *re, size_t i)
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

/* re[i] == '('; index after the matching ')', or 0 to give up. */
static size_t
pf_skip_group(const char *re, size_t i)
{
	size_t depth = 0, j;

	for (; re[i] != '\0'; i++) {
		if (re[i] == '\\') {
			if (re[i + 1] == '\0' || strchr("QEc", re[i + 1]) != NULL)
				return 0;
			i++;
		} else if (re[i] == '[') {
			if ((j = pf_skip_class(re, i)) == 0)
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
		}
	}
	return 0;
}

/* Quantifier at re[i]: its minimum in *min, length in *qlen; -1: not one. */
static int
pf_quantifier(const char *re, size_t i, unsigned long *min, size_t *qlen)
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

static void
pf_out_free(struct pf_out *o)
{
	size_t i;

	for (i = 0; i < o->nruns; i++)
		free(o->runs[i]);
	free(o->prefix);
	memset(o, 0, sizeof(*o));
}

/* The run in cur ends: it is the prefix if nothing came between it and ^. */
static void
pf_end_run(struct pf_out *o, const char *cur, size_t *curlen, int *at_anchor)
{
	if (*curlen > 0) {
		if (*at_anchor) {
			o->prefix = xstrndup(cur, *curlen);
			o->prefixlen = *curlen;
		} else if (o->nruns < PF_RUNS) {
			o->runs[o->nruns++] = xstrndup(cur, *curlen);
		}
	}
	*curlen = 0;
	*at_anchor = 0;
}

/*
 * A group g[0, n) ends the run in cur.  When it is "(?:a|b|...)" of plain
 * literals and no quantifier follows, the alternatives' common prefix
 * still belongs to the run before it and their common suffix starts the
 * next one ("(?:BLACKLISTED|DENYLISTED) [" gives "LISTED [").  -1: the
 * run is too long.
 */
static int
pf_alternation(const char *g, size_t n, char *cur, size_t *curlen,
    struct pf_out *o, int *at_anchor)
{
	char first[PF_RUNMAX], alt[PF_RUNMAX];
	size_t flen = 0, alen = 0, pre = 0, suf = 0, i, nalt = 0;
	char c;

	if (n < 4 || memcmp(g, "(?:", 3) != 0 ||
	    (g[n] != '\0' && strchr("*+?{", g[n]) != NULL))
		goto opaque;
	for (i = 3; i < n; i++) {
		c = g[i];
		if (c == '|' || c == ')') {
			if (nalt == 0) {
				pre = suf = flen;
			} else {
				size_t p = 0, q = 0;

				while (p < pre && p < alen && first[p] == alt[p])
					p++;
				while (q < suf && q < alen &&
				    first[flen - 1 - q] == alt[alen - 1 - q])
					q++;
				pre = p;
				suf = q;
			}
			nalt++;
			alen = 0;
			if (c == ')')
				break;
			continue;
		}
		if (c == '\\') {
			c = g[++i];
			if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || c == '\0')
				goto opaque;
		} else if (strchr("^$.[]()*+?{", c) != NULL) {
			goto opaque;
		}
		if (nalt == 0 ? flen == PF_RUNMAX : alen == PF_RUNMAX)
			goto opaque;
		if (nalt == 0)
			first[flen++] = c;
		else
			alt[alen++] = c;
	}
	if (i != n - 1)
		goto opaque;
	if (*curlen + pre > PF_RUNMAX)
		return -1;
	memcpy(cur + *curlen, first, pre);
	*curlen += pre;
	if (nalt == 1)
		return 0; /* "(?:abc)": the run goes on */
	pf_end_run(o, cur, curlen, at_anchor);
	memcpy(cur, first + flen - suf, suf);
	*curlen = suf;
	return 0;
opaque:
	pf_end_run(o, cur, curlen, at_anchor);
	return 0;
}

/* 0 and *o filled (possibly with nothing), or -1: no prefilter. */
static int
pf_extract(const char *re, struct pf_out *o)
{
	char cur[PF_RUNMAX];
	size_t i = 0, j, curlen = 0, qlen;
	unsigned long min;
	int at_anchor = 0, last_lit = 0, any_atom = 0;
	char c;

	memset(o, 0, sizeof(*o));
	if (re[0] == '^') {
		at_anchor = 1;
		i = 1;
	}
	while ((c = re[i]) != '\0') {
		if (c == '*' || c == '+' || c == '?' || c == '{') {
			if (pf_quantifier(re, i, &min, &qlen) < 0 || !any_atom)
				goto give_up;
			if (last_lit && min == 0)
				curlen--; /* the byte is optional */
			pf_end_run(o, cur, &curlen, &at_anchor);
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
				pf_end_run(o, cur, &curlen, &at_anchor);
				last_lit = 0;
			} else {
				if (curlen == sizeof(cur))
					goto give_up;
				cur[curlen++] = c;
				last_lit = 1;
			}
			i += 2;
		} else if (c == '[') {
			if ((j = pf_skip_class(re, i)) == 0)
				goto give_up;
			pf_end_run(o, cur, &curlen, &at_anchor);
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
			if ((j = pf_skip_group(re, i)) == 0)
				goto give_up;
			if (pf_alternation(re + i, j - i, cur, &curlen, o,
			    &at_anchor) < 0)
				goto give_up;
			last_lit = 0;
			i = j;
		} else if (c == ')' || c == '|') {
			goto give_up;
		} else if (c == '.' || c == '^' || c == '$') {
			pf_end_run(o, cur, &curlen, &at_anchor);
			last_lit = 0;
			i++;
		} else {
			if (curlen == sizeof(cur))
				goto give_up;
			cur[curlen++] = c;
			last_lit = 1;
			i++;
		}
	}
	pf_end_run(o, cur, &curlen, &at_anchor);
	return 0;
give_up:
	pf_out_free(o);
	return -1;
}

/*
 * How common a byte is in mail logs, roughly (0 rare .. 9 everywhere): the
 * needle search looks for a needle's rarest byte with memchr, which is
 * vectorised, and compares the whole needle only there.
 */
static int
pf_byte_rank(unsigned char c)
{
	if (c == ' ' || c == '.' || (c >= '0' && c <= '9'))
		return 9;
	if (strchr("etaoinsrlcdmuph", c) != NULL)
		return 8;
	if (strchr("fgbywv:=-[]<>@,", c) != NULL)
		return 6;
	if (c >= 'A' && c <= 'Z')
		return 4;
	if (strchr("kx()/", c) != NULL)
		return 4;
	if (c >= 'a' && c <= 'z')
		return 2; /* j q z */
	return 1;
}

static size_t
pf_rare_offset(const char *s, size_t len)
{
	size_t i, best = 0;

	for (i = 1; i < len; i++)
		if (pf_byte_rank((unsigned char)s[i]) <
		    pf_byte_rank((unsigned char)s[best]))
			best = i;
	return best;
}

/* memmem for short haystacks: memchr for the rare byte, then memcmp. */
static int
pf_search(const char *hay, size_t len, const struct needle *nd)
{
	const char *p, *end;

	if (len < nd->len)
		return 0;
	p = hay + nd->rare;
	end = hay + len - (nd->len - nd->rare) + 1; /* last place it can be */
	while (p < end && (p = memchr(p, nd->s[nd->rare], (size_t)(end - p))) !=
	    NULL) {
		if (memcmp(p - nd->rare, nd->s, nd->len) == 0)
			return 1;
		p++;
	}
	return 0;
}

static void
pf_clear(struct pattern_set *ps)
{
	size_t i;

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
pf_needle_find(const struct pattern_set *ps, const char *s)
{
	size_t i, len = strlen(s);

	for (i = 0; i < ps->nneedles; i++)
		if (ps->needles[i].len == len && memcmp(ps->needles[i].s, s, len) == 0)
			return i;
	return SIZE_MAX;
}

/*
 * Pick each pattern's needles: first the run with the most weight (the
 * number of patterns that share it times its length squared: shared runs
 * are searched once per line for all of them, long runs are rare in
 * ordinary lines), then the longest other run.
 */
static void
pf_build(struct pattern_set *ps)
{
	struct pattern *p;
	size_t i, j, k, best, n;

	pf_clear(ps);
	for (i = 0; i < ps->n; i++) {
		p = ps->v[i];
		for (j = 0; j < p->nruns; j++) {
			if (strlen(p->runs[j]) < PF_MINRUN)
				continue;
			for (k = 0; k < j; k++) /* counted once per pattern */
				if (strcmp(p->runs[k], p->runs[j]) == 0)
					break;
			if (k < j)
				continue;
			if ((n = pf_needle_find(ps, p->runs[j])) == SIZE_MAX) {
				if (ps->nneedles >= UINT16_MAX)
					continue;
				ps->needles = xreallocarray(ps->needles, ps->nneedles + 1,
				    sizeof(*ps->needles));
				n = ps->nneedles++;
				ps->needles[n].s = xstrdup(p->runs[j]);
				ps->needles[n].len = strlen(p->runs[j]);
				ps->needles[n].users = 0;
				ps->needles[n].rare = pf_rare_offset(ps->needles[n].s,
				    ps->needles[n].len);
			}
			ps->needles[n].users++;
		}
	}
	for (i = 0; i < ps->n; i++) {
		p = ps->v[i];
		p->nneedles = 0;
		while (p->nneedles < PF_CHECKS) {
			best = SIZE_MAX;
			for (j = 0; j < p->nruns; j++) {
				const struct needle *c, *b;

				n = pf_needle_find(ps, p->runs[j]);
				if (n == SIZE_MAX)
					continue;
				for (k = 0; k < p->nneedles; k++)
					if (p->needle[k] == n)
						break;
				if (k < p->nneedles)
					continue;
				c = &ps->needles[n];
				b = best == SIZE_MAX ? NULL : &ps->needles[best];
				if (b == NULL || (p->nneedles == 0 ?
				    c->users * c->len * c->len > b->users * b->len * b->len :
				    c->len > b->len))
					best = n;
			}
			if (best == SIZE_MAX)
				break;
			p->needle[p->nneedles++] = (uint16_t)best;
		}
	}
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

/* 0: msg cannot match p's regex; 1: it may. */
static inline int
pf_pass(struct pattern_set *ps, const struct pattern *p, const char *msg,
    size_t len)
{
	size_t i, n;

	if (len < p->minlen)
		return 0;
	if (p->prefix != NULL && (len < p->prefixlen || msg[0] != p->prefix[0] ||
	    memcmp(msg, p->prefix, p->prefixlen) != 0))
		return 0;
	for (i = 0; i < p->nneedles; i++) {
		n = p->needle[i];
		if (ps->nd_gen[n] != ps->gen) {
			ps->nd_gen[n] = ps->gen;
			ps->nd_hit[n] = (uint8_t)pf_search(msg, len, &ps->needles[n]);
		}
		if (!ps->nd_hit[n])
			return 0;
	}
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
		memset(&ps->slots[i], 0, sizeof(ps->slots[i]));
	}
	ps->nslots = 0;
}

void
pattern_set_free(struct pattern_set *ps)
{
	size_t i, j;

	if (ps == NULL)
		return;
	dispatch_clear(ps);
	for (i = 0; i < ps->n; i++) {
		struct pattern *p = ps->v[i];

		for (j = 0; j < p->nprogs; j++)
			free(p->progs[j]);
		for (j = 0; j < p->nruns; j++)
			free(p->runs[j]);
		free(p->prefix);
		free(p->progs);
		free(p->name);
		pcre2_code_free(p->code);
		free(p);
	}
	free(ps->v);
	pf_clear(ps);
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
	struct pf_out pf;
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
	if (pf_extract(regex, &pf) == 0) {
		p->prefix = pf.prefix;
		p->prefixlen = pf.prefixlen;
		memcpy(p->runs, pf.runs, sizeof(p->runs));
		p->nruns = pf.nruns;
	}
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

static uint64_t
prog_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
dispatch_compute(struct pattern_set *ps, const char *prog, size_t len,
    struct dispatch *d)
{
	size_t i, j;

	d->list = xcalloc(ps->n, sizeof(*d->list));
	d->n = 0;
	d->first = NULL;
	d->noprefix = 0;
	for (i = 0; i < ps->n; i++)
		for (j = 0; j < ps->v[i]->nprogs; j++)
			if (glob_match(ps->v[i]->progs[j], prog, len)) {
				d->list[d->n++] = (uint16_t)i;
				break;
			}
	if (d->n == 0 || d->n > 64)
		return;
	d->first = xcalloc(256, sizeof(*d->first));
	for (i = 0; i < d->n; i++) {
		const struct pattern *p = ps->v[d->list[i]];

		if (p->prefix == NULL) {
			d->noprefix |= (uint64_t)1 << i;
			for (j = 0; j < 256; j++)
				d->first[j] |= (uint64_t)1 << i;
		} else {
			d->first[(unsigned char)p->prefix[0]] |= (uint64_t)1 << i;
		}
	}
}

static const struct dispatch *
dispatch_get(struct pattern_set *ps, const char *prog, size_t len,
    struct dispatch *scratch)
{
	uint64_t h;
	size_t i;
	struct dispatch *d;

	if (len > PROG_MAX || memchr(prog, '\0', len) != NULL) {
		dispatch_compute(ps, prog, len, scratch);
		return scratch;
	}
	h = prog_hash(prog, len);
	for (i = h & (DISPATCH_SLOTS - 1);; i = (i + 1) & (DISPATCH_SLOTS - 1)) {
		d = &ps->slots[i];
		if (d->prog == NULL)
			break;
		if (d->proglen == len && memcmp(d->prog, prog, len) == 0)
			return d;
	}
	if (ps->nslots >= DISPATCH_MAX) {
		dispatch_clear(ps);
		return dispatch_get(ps, prog, len, scratch);
	}
	d->prog = xstrndup(prog, len);
	d->proglen = len;
	dispatch_compute(ps, prog, len, d);
	ps->nslots++;
	return d;
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
	struct dispatch scratch = {0};
	const struct dispatch *d;
	const struct pattern *p;
	uint64_t mask;
	size_t i;
	int rc, ret = 0;

	d = dispatch_get(ps, ll->prog, ll->proglen, &scratch);
	if (d->n == 0)
		goto out;
	if (!ps->pf_off) {
		pf_next_line(ps);
		if (d->first != NULL) {
			/* only the patterns whose prefix fits the first byte */
			mask = ll->msglen > 0 ?
			    d->first[(unsigned char)ll->msg[0]] : d->noprefix;
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
	free(scratch.list);
	free(scratch.first);
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

/* Append "text" to buf at *at, C-escaped, truncating safely. */
static void
pf_describe_str(char *buf, size_t buflen, size_t *at, const char *s,
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

const char *
pattern_prefilter_text(struct pattern_set *ps, const struct pattern *p,
    char *buf, size_t buflen)
{
	size_t at = 0, i;
	int n;

	if (buflen == 0)
		return buf;
	if (!ps->pf_ready)
		pf_build(ps);
	n = snprintf(buf, buflen, "minlen %u", (unsigned)p->minlen);
	at = n < 0 ? 0 : (size_t)n < buflen ? (size_t)n : buflen - 1;
	if (p->prefix != NULL && at + 2 < buflen) {
		buf[at++] = ' ';
		buf[at++] = '^';
		pf_describe_str(buf, buflen, &at, p->prefix, p->prefixlen);
	}
	for (i = 0; i < p->nneedles && at + 1 < buflen; i++) {
		buf[at++] = ' ';
		pf_describe_str(buf, buflen, &at, ps->needles[p->needle[i]].s,
		    ps->needles[p->needle[i]].len);
	}
	buf[at < buflen ? at : buflen - 1] = '\0';
	return buf;
}
