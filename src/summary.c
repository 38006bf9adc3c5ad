/*
 * NAME
 *	summary - what the state file says, for status and the report page
 * DESCRIPTION
 *	See include/summary.h.  The rows come from the read side of the
 *	state module (every SQL statement is in state.c); this file chooses
 *	the windows and days, and gathers the rows into the summary's arrays.
 */
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "log.h"
#include "summary.h"

_Static_assert(SW_N == STATE_SPANS, "a summary window per state span");

struct bans {
	struct state_ban **v;
	size_t *n, cap;
};

static int
push_ban(void *ctx, const struct state_ban *b)
{
	struct bans *a = ctx;

	if (*a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		*a->v = xreallocarray(*a->v, a->cap, sizeof(**a->v));
	}
	(*a->v)[(*a->n)++] = *b;
	return 0;
}

struct patterns {
	struct summary *s;
	size_t cap;
};

static int
push_pattern(void *ctx, const struct state_totals *t)
{
	struct patterns *a = ctx;
	struct summary *s = a->s;
	struct summary_pattern *p;
	int w;

	if (s->npatterns == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		s->patterns = xreallocarray(s->patterns, a->cap,
		    sizeof(*s->patterns));
	}
	p = &s->patterns[s->npatterns++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(t->pattern);
	p->active = t->active;
	for (w = 0; w < SW_N; w++) {
		p->matches[w] = t->matches[w];
		p->bans[w] = t->bans[w];
	}
	return 0;
}

static int
push_error(void *ctx, int64_t time, const char *message)
{
	struct summary *s = ctx;

	if (s->nerrors == SUMMARY_ERRORS)
		return 1;
	s->errors[s->nerrors].time = time;
	s->errors[s->nerrors].message = xstrdup(message);
	s->nerrors++;
	return 0;
}

static int
push_journal(void *ctx, const char *source, int64_t time)
{
	struct summary *s = ctx;

	if (s->njournals == SUMMARY_JOURNALS)
		return 1;
	s->journals[s->njournals].source = xstrdup(source);
	s->journals[s->njournals].time = time;
	s->njournals++;
	return 0;
}

static int
push_notice(void *ctx, const struct state_notice *v)
{
	struct summary *s = ctx;
	struct summary_notice *n;

	if (s->nnotices == SUMMARY_NOTICES)
		return 1;
	n = &s->notices[s->nnotices++];
	n->kind = xstrdup(v->kind);
	n->program = xstrdup(v->program);
	n->count = v->count;
	n->first = v->first;
	n->last = v->last;
	return 0;
}

static int
push_notice_line(void *ctx, const struct state_notice_line *l)
{
	struct summary *s = ctx;
	struct summary_notice *n;
	size_t i;

	for (i = 0; i < s->nnotices; i++) {
		n = &s->notices[i];
		if (strcmp(n->kind, l->kind) != 0 ||
		    strcmp(n->program, l->program) != 0)
			continue;
		if (n->nlines < STATE_NOTICE_LINES) {
			n->time[n->nlines] = l->time;
			n->line[n->nlines++] = xstrdup(l->line);
		}
		break;
	}
	return 0;
}

static int
push_evidence(void *ctx, const struct state_evidence *v)
{
	struct summary *s = ctx;
	struct summary_evidence *e;

	if (s->nevidence == s->evcap) {
		s->evcap = s->evcap ? 2 * s->evcap : 64;
		s->evidence = xreallocarray(s->evidence, s->evcap,
		    sizeof(*s->evidence));
	}
	e = &s->evidence[s->nevidence++];
	e->time = v->time;
	e->score = v->score;
	e->pattern = xstrdup(v->pattern);
	e->line = xstrdup(v->line);
	return 0;
}

/* The evidence of every listed ban. */
static int
load_evidence(struct state *st, struct summary *s)
{
	size_t i;

	if (s->nbans == 0)
		return 0;
	s->ev_first = xcalloc(s->nbans, sizeof(*s->ev_first));
	s->ev_count = xcalloc(s->nbans, sizeof(*s->ev_count));
	for (i = 0; i < s->nbans; i++) {
		s->ev_first[i] = s->nevidence;
		if (state_evidence(st, &s->bans[i].addr, SUMMARY_EVIDENCE,
			push_evidence, s) < 0)
			return -1;
		s->ev_count[i] = s->nevidence - s->ev_first[i];
	}
	return 0;
}

int
summary_load(struct state *st, int64_t now, size_t max_bans,
    struct summary *s)
{
	/* a window of W seconds covers the clock hours that overlap it */
	const int64_t since_hour[SW_N - 1] = {
		(now - SECONDS_HOUR) / SECONDS_HOUR,
		(now - SECONDS_DAY) / SECONDS_HOUR,
		(now - 7 * SECONDS_DAY) / SECONDS_HOUR,
	};
	struct bans bans = {&s->bans, &s->nbans, 0};
	struct bans top = {&s->top, &s->ntop, 0};
	struct patterns patterns = {s, 0};
	struct state_counts c;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	s->now = now;
	s->first_day = now / SECONDS_DAY - (SUMMARY_DAYS - 1);
	s->errors = xcalloc(SUMMARY_ERRORS, sizeof(*s->errors));
	s->notices = xcalloc(SUMMARY_NOTICES, sizeof(*s->notices));
	s->journals = xcalloc(SUMMARY_JOURNALS, sizeof(*s->journals));
	/* one snapshot: a running mailban may commit in between */
	if (state_read_begin(st) < 0) {
		summary_free(s);
		return -1;
	}
	if (state_count(st, now, &c) < 0 ||
	    state_newest(st, now, max_bans, push_ban, &bans) < 0 ||
	    state_most_banned(st, SUMMARY_TOP, push_ban, &top) < 0 ||
	    state_totals(st, now, since_hour, push_pattern, &patterns) < 0 ||
	    state_bans_per_day(st, s->first_day, SUMMARY_DAYS, s->perday) < 0 ||
	    state_errors(st, SUMMARY_ERRORS, push_error, s) < 0 ||
	    state_notices(st, push_notice, s) < 0 ||
	    state_notice_lines(st, push_notice_line, s) < 0 ||
	    state_cursors(st, push_journal, s) < 0 ||
	    (s->degraded = state_health(st, &s->health)) < 0)
		goto out;
	if (load_evidence(st, s) < 0)
		goto out;
	s->active4 = c.active4;
	s->active6 = c.active6;
	s->addresses = c.rows;
	rc = 0;
out:
	state_read_end(st);
	if (rc < 0)
		summary_free(s);
	return rc;
}

void
summary_free(struct summary *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->npatterns; i++)
		free(s->patterns[i].name);
	for (i = 0; i < s->nerrors; i++)
		free(s->errors[i].message);
	for (i = 0; i < s->nnotices; i++) {
		size_t k;

		free(s->notices[i].kind);
		free(s->notices[i].program);
		for (k = 0; k < s->notices[i].nlines; k++)
			free(s->notices[i].line[k]);
	}
	for (i = 0; i < s->nevidence; i++) {
		free(s->evidence[i].pattern);
		free(s->evidence[i].line);
	}
	free(s->evidence);
	free(s->ev_first);
	free(s->ev_count);
	for (i = 0; i < s->njournals; i++)
		free(s->journals[i].source);
	free(s->journals);
	free(s->notices);
	free(s->patterns);
	free(s->errors);
	free(s->bans);
	free(s->top);
	memset(s, 0, sizeof(*s));
}
