/*
 * NAME
 *	pattern - PCRE2 patterns per program: compile (JIT), dispatch, match
 * DESCRIPTION
 *	See include/pattern.h.  Dispatch: the list of patterns that apply to a
 *	program name is computed once per distinct name and cached in a small
 *	open-addressing table; when the table fills up it is emptied (program
 *	names are few; this only bounds what hostile input can make us keep).
 *	Of a program's patterns, only those the prefilter (prefilter.h) lets
 *	through reach PCRE2; a pattern's number is the same in both.
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
#include "memfind.h"
#include "pattern.h"
#include "prefilter.h"

#define DISPATCH_SLOTS 1024 /* power of two */
#define DISPATCH_MAX (DISPATCH_SLOTS / 2)
#define DISPATCH_RECENT 16 /* the programs of the last lines, kept apart */

/* A program name of 8 to 24 bytes as three 8-byte loads (name_words). */
struct name_words {
	uint64_t a, b, c;
};
#define PROG_MAX 128 /* longer program names are never cached */
#define MATCH_LIMIT 100000
#define DEPTH_LIMIT 1000

struct pattern {
	char *name;
	long score;
	char **progs;
	size_t nprogs;
	pcre2_code *code;
	int ip_group; /* capture number, 0 if none */
	int qid_group;
	int kind; /* PATTERN_SCORES, PATTERN_DNSBL_ERROR */
	int err_group; /* (?<dnsbl_error>...), 0 if none */
	size_t unless[PATTERN_UNLESS]; /* see pattern_set_unless() */
	size_t nunless;
	int covers;
	int jit; /* 0: not compiled yet, 1: JIT code, -1: the interpreter */
	size_t index; /* also its number in the prefilter */
};

struct dispatch {
	char *prog; /* NULL: empty slot */
	size_t proglen;
	uint16_t *list; /* pattern indices */
	size_t n;
	struct prefilter_prog pp; /* of list, when n <= PREFILTER_PROG_MAX */
};

struct pattern_set {
	struct pattern **v;
	size_t n;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	struct dispatch slots[DISPATCH_SLOTS];
	size_t nslots;
	struct dispatch *last; /* dispatch of the previous line's program */
	/*
	 * Programs of 8 to 24 bytes found, direct-mapped by recent_slot(),
	 * their names as name_words() loads them (len 0: empty): the few
	 * programs of a log are found in these few hundred bytes, which stay
	 * in the cache, not in the slots and their names, which a line's
	 * other work pushes out.
	 */
	struct {
		struct name_words w;
		size_t len;
		struct dispatch *d;
	} recent[DISPATCH_RECENT];
	/* the list of a name that is never cached (too long, or with a NUL):
	 * made in place for each such line, no prefilter_prog */
	struct dispatch scratch;
	size_t scratch_cap;
	uint32_t max_groups;
	int pf_off; /* pattern_set_prefilter(ps, 0) */
	struct prefilter *pf; /* pattern i is the prefilter's i */
};

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
	ps->pf = prefilter_new();
	return ps;
}

static void
dispatch_clear(struct pattern_set *ps)
{
	size_t i;

	for (i = 0; i < DISPATCH_SLOTS; i++) {
		if (ps->slots[i].prog == NULL)
			continue; /* an empty slot holds nothing */
		free(ps->slots[i].prog);
		free(ps->slots[i].list);
		prefilter_prog_free(&ps->slots[i].pp);
		memset(&ps->slots[i], 0, sizeof(ps->slots[i]));
	}
	ps->nslots = 0;
	ps->last = NULL;
	memset(ps->recent, 0, sizeof(ps->recent));
}

void
pattern_set_free(struct pattern_set *ps)
{
	size_t i, j;

	if (ps == NULL)
		return;
	dispatch_clear(ps);
	free(ps->scratch.list);
	prefilter_free(ps->pf);
	for (i = 0; i < ps->n; i++) {
		struct pattern *p = ps->v[i];

		for (j = 0; j < p->nprogs; j++)
			free(p->progs[j]);
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
	uint32_t groups, minlen;
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
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
	if (groups + 1 > ps->max_groups) {
		ps->max_groups = groups + 1;
		pcre2_match_data_free(ps->md);
		ps->md = pcre2_match_data_create(ps->max_groups, NULL);
		if (ps->md == NULL)
			msg_fatal("pcre2_match_data_create: out of memory");
	}
	p = xcalloc(1, sizeof(*p));
	pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &minlen);
	prefilter_add(ps->pf, regex, minlen);
	p->name = xstrdup(name);
	p->score = score;
	p->code = code;
	p->ip_group = ip > 0 ? ip : 0;
	p->qid_group = qid > 0 ? qid : 0;
	rc = pcre2_substring_number_from_name(code, (PCRE2_SPTR) "dnsbl_error");
	p->err_group = rc > 0 ? rc : 0;
	p->progs = xcalloc(nprogs, sizeof(*p->progs));
	for (i = 0; i < nprogs; i++)
		p->progs[i] = xstrdup(progs[i]);
	p->nprogs = nprogs;
	p->index = ps->n;
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	ps->v[ps->n++] = p;
	dispatch_clear(ps);
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

void
pattern_set_kind(struct pattern_set *ps, size_t i, int kind)
{
	if (i < ps->n)
		ps->v[i]->kind = kind;
}

int
pattern_kind(const struct pattern *p)
{
	return p->kind;
}

int
pattern_set_unless(struct pattern_set *ps, size_t i, size_t j)
{
	if (i >= ps->n || j >= i || ps->v[i]->nunless == PATTERN_UNLESS)
		return -1;
	ps->v[i]->unless[ps->v[i]->nunless++] = j;
	ps->v[j]->covers = 1;
	return 0;
}

int
pattern_unless(const struct pattern *p, size_t j)
{
	size_t k;

	for (k = 0; k < p->nunless; k++)
		if (p->unless[k] == j)
			return 1;
	return 0;
}

int
pattern_has_unless(const struct pattern *p)
{
	return p->nunless > 0;
}

int
pattern_covers(const struct pattern *p)
{
	return p->covers;
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

/*
 * The n bytes at a (8 <= n <= 24) as three 8-byte loads: [0, 8),
 * [(n - 8) / 2, + 8) and [n - 8, n) cover them.  (A struct, not an
 * array: no stack canary on the line path.)
 */
static inline struct name_words
name_words(const char *s, size_t n)
{
	struct name_words w;

	memcpy(&w.a, s, 8);
	memcpy(&w.b, s + (n - 8) / 2, 8);
	memcpy(&w.c, s + n - 8, 8);
	return w;
}

static inline int
same_words(struct name_words x, struct name_words y)
{
	return ((x.a ^ y.a) | (x.b ^ y.b) | (x.c ^ y.c)) == 0;
}

/*
 * a and b equal over n bytes: a program name of 8 to 24 bytes (most of
 * them: "postfix/smtpd", "sm-mta" is memcmp's) in three 8-byte loads each,
 * inline, without memcmp's call and its set-up on every line.
 */
static inline int
same_name(const char *a, const char *b, size_t n)
{
	if (n < 8 || n > 24)
		return memcmp(a, b, n) == 0;
	return same_words(name_words(a, n), name_words(b, n));
}

/* The patterns whose program globs match prog into d->list (room for
 * ps->n). */
static void
dispatch_list(struct pattern_set *ps, const char *prog, size_t len,
    struct dispatch *d)
{
	size_t i, j;

	d->n = 0;
	for (i = 0; i < ps->n; i++)
		for (j = 0; j < ps->v[i]->nprogs; j++)
			if (memfind_glob(ps->v[i]->progs[j], prog, len, 0)) {
				d->list[d->n++] = (uint16_t)i;
				break;
			}
}

static void
dispatch_compute(struct pattern_set *ps, const char *prog, size_t len,
    struct dispatch *d)
{
	d->list = xcalloc(ps->n, sizeof(*d->list));
	dispatch_list(ps, prog, len, d);
	prefilter_prog_init(ps->pf, &d->pp, d->list, d->n);
}

/*
 * A name that is never cached: its list, in the set's own buffer (made
 * once for the set), and no prefilter_prog (pp.cls NULL: the patterns
 * are tried one by one).  Nothing is allocated per line.
 */
static const struct dispatch *
dispatch_uncached(struct pattern_set *ps, const char *prog, size_t len)
{
	if (ps->scratch_cap < ps->n) {
		free(ps->scratch.list);
		ps->scratch.list = xcalloc(ps->n, sizeof(*ps->scratch.list));
		ps->scratch_cap = ps->n;
	}
	dispatch_list(ps, prog, len, &ps->scratch);
	return &ps->scratch;
}

/* The recent[] slot of a name's words. */
static inline unsigned
recent_slot(struct name_words x, size_t len)
{
	uint64_t h = (x.a * 0x9e3779b97f4a7c15ULL ^ x.b) *
	    0xff51afd7ed558ccdULL ^ x.c ^ len;

	h *= 0x9e3779b97f4a7c15ULL;
	return (unsigned)(h ^ h >> 32) & (DISPATCH_RECENT - 1);
}

/* d, the cached dispatch of prog, remembered as recent (or as last). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static const struct dispatch *
dispatch_seen(struct pattern_set *ps, const char *prog, size_t len,
    struct dispatch *d)
{
	struct name_words x;
	unsigned k;

	if (len >= 8 && len <= 24) {
		x = name_words(prog, len);
		k = recent_slot(x, len);
		ps->recent[k].w = x;
		ps->recent[k].len = len;
		ps->recent[k].d = d;
	}
	return ps->last = d;
}

static const struct dispatch *
dispatch_get(struct pattern_set *ps, const char *prog, size_t len)
{
	uint64_t h;
	size_t i;
	struct dispatch *d;

	struct name_words x;
	unsigned k;

	if (len >= 8 && len <= 24) { /* a recent program */
		x = name_words(prog, len);
		k = recent_slot(x, len);
		if (ps->recent[k].len == len && same_words(ps->recent[k].w, x))
			return ps->recent[k].d;
	} else {
		/* consecutive lines often come from one program */
		d = ps->last;
		if (d != NULL && d->proglen == len &&
		    same_name(d->prog, prog, len))
			return d;
	}
	if (len > PROG_MAX)
		return dispatch_uncached(ps, prog, len);
	h = prog_hash(prog, len);
	for (i = h & (DISPATCH_SLOTS - 1);; i = (i + 1) & (DISPATCH_SLOTS - 1)) {
		d = &ps->slots[i];
		if (d->prog == NULL)
			break;
		if (d->proglen == len && same_name(d->prog, prog, len))
			return dispatch_seen(ps, prog, len, d);
	}
	/* a name with a NUL is never cached (and so never found above) */
	if (memchr(prog, '\0', len) != NULL)
		return dispatch_uncached(ps, prog, len);
	if (ps->nslots >= DISPATCH_MAX) {
		dispatch_clear(ps);
		return dispatch_get(ps, prog, len);
	}
	d->prog = xstrndup(prog, len);
	d->proglen = len;
	dispatch_compute(ps, prog, len, d);
	ps->nslots++;
	return dispatch_seen(ps, prog, len, d);
}

/* 1: match (*m filled when m != NULL), 0: none, -1: limit or error. */
static int
regex_run(struct pattern_set *ps, const struct pattern *p, const char *msg,
    size_t len, struct pattern_match *m)
{
	PCRE2_SIZE *ov;
	int rc;

	/* JIT-compiled on first use: most patterns never reach PCRE2 in a
	 * given log, and compiling them all was a third of the start-up; a
	 * pattern the JIT cannot take runs in the interpreter (same answers) */
	if (p->jit == 0)
		ps->v[p->index]->jit =
		    pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE) == 0 ? 1 : -1;
	if (p->jit > 0)
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
	m->dnsbl_error = p->kind == PATTERN_DNSBL_ERROR ||
	    (p->err_group && ov[2 * p->err_group] != PCRE2_UNSET);
	return 1;
}

int
pattern_match(struct pattern_set *ps, const struct logline *ll,
    struct pattern_match *m)
{
	const struct dispatch *d;
	const struct pattern *p;
	uint64_t mask;
	size_t i;
	int rc, ret = 0;

	d = dispatch_get(ps, ll->prog, ll->proglen);
	if (d->n == 0) {
		m->unmatched_reject = 0;
		return 0;
	}
	if (!ps->pf_off) {
		prefilter_line(ps->pf);
		/* a list of at most PREFILTER_PROG_MAX, of a cached name */
		if (d->pp.cls != NULL) {
			mask = prefilter_prog_mask(ps->pf, &d->pp, ll->msg,
			    ll->msglen);
			while (mask != 0) {
				i = (size_t)__builtin_ctzll(mask);
				mask &= mask - 1;
				if (!prefilter_prog_pass(ps->pf, &d->pp, i,
				    d->list[i], ll->msg, ll->msglen))
					continue;
				p = ps->v[d->list[i]];
				rc = regex_run(ps, p, ll->msg, ll->msglen, m);
				if (rc < 0)
					ret = -1; /* limit hit: counted by the caller */
				if (rc > 0) {
					ret = 1;
					break;
				}
			}
			if (ret == 0)
				m->unmatched_reject = prefilter_prog_drift(ps->pf,
				    &d->pp);
			return ret;
		}
	}
	for (i = 0; i < d->n; i++) {
		p = ps->v[d->list[i]];
		if (!ps->pf_off && !prefilter_pass(ps->pf, d->list[i], ll->msg,
		    ll->msglen))
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
	if (ret == 0)
		m->unmatched_reject = 0;
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
	prefilter_line(ps->pf);
	return prefilter_pass(ps->pf, p->index, msg, len);
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
	return prefilter_text(ps->pf, p->index, buf, buflen);
}
