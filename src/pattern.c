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

struct pattern {
	char *name;
	long score;
	char **progs;
	size_t nprogs;
	pcre2_code *code;
	int ip_group; /* capture number, 0 if none */
	int qid_group;
	size_t index;
};

struct dispatch {
	char *prog; /* NULL: empty slot */
	size_t proglen;
	uint16_t *list; /* pattern indices */
	size_t n;
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
	for (i = 0; i < ps->n; i++)
		for (j = 0; j < ps->v[i]->nprogs; j++)
			if (glob_match(ps->v[i]->progs[j], prog, len)) {
				d->list[d->n++] = (uint16_t)i;
				break;
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

int
pattern_match(struct pattern_set *ps, const struct logline *ll,
    struct pattern_match *m)
{
	struct dispatch scratch = {0};
	const struct dispatch *d;
	PCRE2_SIZE *ov;
	size_t i;
	int rc, ret = 0;

	d = dispatch_get(ps, ll->prog, ll->proglen, &scratch);
	for (i = 0; i < d->n; i++) {
		const struct pattern *p = ps->v[d->list[i]];

		if (ps->jit_ok)
			rc = pcre2_jit_match(p->code, (PCRE2_SPTR)ll->msg,
			    ll->msglen, 0, 0, ps->md, ps->mctx);
		else
			rc = pcre2_match(p->code, (PCRE2_SPTR)ll->msg,
			    ll->msglen, 0, 0, ps->md, ps->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			continue;
		if (rc < 0) {
			ret = -1; /* limit hit: counted by the caller */
			continue;
		}
		ov = pcre2_get_ovector_pointer(ps->md);
		memset(m, 0, sizeof(*m));
		m->pat = p;
		if (p->ip_group && ov[2 * p->ip_group] != PCRE2_UNSET) {
			m->ip = ll->msg + ov[2 * p->ip_group];
			m->iplen = ov[2 * p->ip_group + 1] - ov[2 * p->ip_group];
		}
		if (p->qid_group && ov[2 * p->qid_group] != PCRE2_UNSET) {
			m->qid = ll->msg + ov[2 * p->qid_group];
			m->qidlen = ov[2 * p->qid_group + 1] - ov[2 * p->qid_group];
		}
		ret = 1;
		break;
	}
	free(scratch.list);
	return ret;
}
