/*
 * NAME
 *	run - the loop of "mailban run"
 * SYNOPSIS
 *	#include "run.h"
 * DESCRIPTION
 *	See include/run.h.  A struct run is in parts that change together:
 *	the kernel side (the ops and what the loop knows of the sets), the
 *	state side (the state file and the ban records not yet in it), the
 *	journal (omprog), the published views (zone files, report page) and
 *	the counters.  Time comes in as arguments, never from the clock,
 *	except for the time spent in the kernel and the time of a warning.
 * SECURITY
 *	Input lines are hostile; only validated struct addr values reach the
 *	kernel and the state file.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "fmt.h"
#include "htmlreport.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "omprog.h"
#include "run.h"
#include "state.h"
#include "zone.h"

/* The kernel side: the sets through the ops, what the loop knows of them.
 * absent: no kernel yet (run_new() without one); the ops are no_kernel's,
 * and ban decisions wait in the state file until run_attach_kernel(). */
struct run_kside {
	struct run_kernel k;
	size_t recreated; /* k.recreated() already answered */
	int64_t last_presence;
	int absent;
	uint64_t waiting; /* ban decisions taken while absent */
	int64_t last_rules; /* the last check of the firewall rules */
	int rules_failed; /* a failure to read or restore them was told */
	int64_t rules_moving; /* since when they are missing while the
	    ruleset changes; 0: not */
};

/* Ban records not yet in the state file: a ring of at most max. */
struct run_backlog {
	struct state_ban *v;
	size_t head, n, cap, max;
	uint64_t dropped; /* in this episode (since the last write) */
	uint64_t dropped_total;
	uint64_t copies; /* records copied into or within v */
};

/* The state side: the state file and what waits for it. */
struct run_sside {
	struct state *st;
	int64_t last_try;
	struct run_backlog bl;
	int64_t last_refresh;
	int64_t last_lifted_poll;
	/* what other processes change ("mailban ban", "allow", "unban",
	 * "reload"): read when the file's data_version moves */
	int64_t version;
	int have_version;
	struct addr_list allow; /* the runtime allow list in force */
	int64_t allow_next; /* the earliest end of an entry; 0: none */
	uint64_t reload_asked, reload_done; /* "mailban reload" counters */
	int reload_known; /* the counters were read once */
	/* the bans by hand this run put in the kernel in the last
	 * RUN_HAND_SECS (banned_one()); more than fit: every one since
	 * hand_all */
	struct addr hand[RUN_HAND_RECENT];
	int64_t hand_at[RUN_HAND_RECENT];
	size_t nhand;
	int64_t hand_all; /* 0: none overflowed */
};

/*
 * Evidence: the lines that scored, escaped, until the scores'
 * transaction writes them (at most RUN_EVIDENCE_MAX; more are dropped
 * until then and counted).
 */
#define RUN_EVIDENCE_MAX 4096
#define RUN_EVIDENCE_LINE 512 /* bytes of a line kept, before escaping */

struct run_ev {
	struct addr addr;
	int64_t time;
	long score;
	char pattern[STATE_NAME_MAX + 1];
	char line[4 * RUN_EVIDENCE_LINE + 4];
};

struct run_evidence {
	struct run_ev *v;
	size_t n, cap;
	uint64_t dropped;
};

/* omprog: lines answered whose effects are not committed yet. */
struct run_jside {
	int on; /* lines are answered: journal them */
	struct journal *jr;
	int64_t last_try;
	int warned;
	int line_kept; /* the last line matched: it must be journaled */
	uint64_t dirty_lost; /* tracker's count when the journal opened: once
			      * it grows, lines stay for the next start */
	int in_txn; /* between BEGIN and COMMIT TRANSACTION */
};

/*
 * What the published views (zone files, report page) show: changes
 * counts writes of bans to the state and bans lifted by others; each
 * view remembers the count it last showed (0: never written).
 */
struct run_views {
	uint64_t changes;
	uint64_t zone_seen;
	int64_t zone_next; /* earliest end of an active ban in the zone */
	int64_t last_zone;
	uint64_t page_seen;
	int64_t last_page;
};

/*
 * Notices since the last save, by kind and program (RUN_NOTICES of them;
 * the rest are counted under "(other)"), with the last STATE_NOTICE_LINES
 * lines of each.
 */
#define RUN_NOTICES 32
#define RUN_NOTICE_TEXT 512

struct run_notice {
	enum engine_notice kind;
	char program[STATE_NAME_MAX + 1];
	uint64_t count;
	int64_t first, last;
	unsigned nlines, next; /* lines held; where the next one goes */
	int64_t time[STATE_NOTICE_LINES];
	char line[STATE_NOTICE_LINES][RUN_NOTICE_TEXT];
};

/* The counters without a pattern kept in the state (state.h's names). */
#define RUN_TOTALS 8
static const char *const total_names[RUN_TOTALS] = {"lines", "malformed",
    "overlong", "untrusted", "unmatched", "dnsbl_errors", "kernel_errors",
    "state_errors"};

struct run_counters {
	uint64_t committed, kernel_failures;
	struct run_notice *notices; /* RUN_NOTICES, the first nnotices used */
	size_t nnotices;
	int64_t dnsbl_warned; /* last warning about a DNSBL error (clock) */
	uint64_t dnsbl_unwarned; /* DNSBL errors since that warning */
	int64_t full_warned; /* last warning about a full tracker (clock) */
	uint64_t evicted, lost, refused; /* the tracker's counts then */
	double kernel_secs; /* time spent in the kernel's commit */
	uint64_t *pm_matches, *pm_bans; /* per pattern, since the last save */
	size_t npm;
	uint64_t state_failures; /* opens and writes of the state that failed */
	int committed_bans; /* bans or scores were committed since the last
			     * save: the time goes with the counters */
	uint64_t saved[RUN_TOTALS]; /* totals() as the counters have them */
	uint64_t metrics_seen; /* saves and views.changes the textfile shows */
	uint64_t saves; /* counters written */
	int64_t last_metrics;
};

/* Entries with a cursor: where reading stands, saved with what it led to. */
struct run_cside {
	const char *source; /* NULL: lines without a cursor */
	const char *(*cursor)(void *ctx);
	void *ctx;
	int moved; /* entries were read since the last saved cursor */
	uint64_t saves;
	int warned;
	int64_t seed_at; /* run_start(): the time the saved scores are as of */
};

/*
 * Degraded: why the run cannot do its whole job (the cause given by
 * run_set_degraded(), and a state file that has failed for
 * RUN_DEGRADED_RETRY seconds), reported at once and then every
 * RUN_DEGRADED_REPORT seconds, and kept in the state's health row.
 */
struct run_health {
	char cause[STATE_CAUSE_MAX];
	int64_t state_failing; /* since when the state has failed; 0: it works */
	int64_t since; /* 0: not degraded */
	int64_t last_report;
	char last[STATE_CAUSE_MAX]; /* the text last reported */
	uint64_t lines0; /* lines read when it began */
	int row; /* a health row may be in the state file */
};

struct run {
	struct config *cfg; /* patterns, scores: replaced on SIGHUP */
	struct config *kcfg; /* sets, policy, state: fixed for the run */
	struct engine en;
	struct run_kside ker;
	struct run_sside sta;
	struct run_jside jou;
	struct run_cside cur;
	struct run_views views;
	struct run_counters cnt;
	struct run_evidence ev;
	struct run_health health;
	int64_t replay_clock; /* kept lines read at their own stamps: the
			       * clock; 0 otherwise */
};

static double
monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t
kernel_timeout(const struct run_kernel *k, int64_t left)
{
	if (left <= 0)
		return 1;
	return left > k->max_timeout ? k->max_timeout : (uint32_t)left;
}

/* --- queue everything active in the state file --- */

struct requeue {
	const struct run_kernel *k;
	int64_t now;
	int64_t min_duration; /* only bans at least this long */
	size_t n;
};

static int
requeue_one(void *ctx, const struct state_ban *b)
{
	struct requeue *rq = ctx;

	if (b->duration < rq->min_duration)
		return 0;
	rq->k->add(rq->k->ctx, &b->addr, kernel_timeout(rq->k, b->until -
	    rq->now));
	rq->n++;
	return 0;
}

int
run_requeue(struct state *st, const struct run_kernel *k, int64_t now,
    int64_t min_duration, size_t *count)
{
	struct requeue rq = {k, now, min_duration, 0};
	int rc;

	rc = state_active(st, now, requeue_one, &rq);
	if (count != NULL)
		*count = rq.n;
	return rc;
}

/* --- the backlog ring --- */

/* Room for more records: double, up to bl->max; a wrapped ring's older
 * part moves to the end. */
static void
backlog_grow(struct run_backlog *bl)
{
	size_t old = bl->cap, cap, tail;

	cap = old != 0 ? 2 * old : 256;
	if (cap > bl->max)
		cap = bl->max;
	bl->v = xreallocarray(bl->v, cap, sizeof(*bl->v));
	if (bl->head != 0) {
		tail = old - bl->head;
		memmove(bl->v + cap - tail, bl->v + bl->head,
		    tail * sizeof(*bl->v));
		bl->head = cap - tail;
		bl->copies += tail;
	}
	bl->cap = cap;
}

/* A slot for one more record; when the ring is full, the oldest goes. */
static struct state_ban *
backlog_push(struct run_backlog *bl)
{
	if (bl->n == bl->max) {
		if (bl->dropped++ == 0)
			msg_warn("state backlog full (%zu ban records): until the "
			    "state file can be written, the oldest unwritten ban "
			    "record is dropped for each new one (they are in the "
			    "kernel)", bl->max);
		bl->dropped_total++;
		bl->head = (bl->head + 1) % bl->cap;
		bl->n--;
	} else if (bl->n == bl->cap) {
		backlog_grow(bl);
	}
	bl->copies++;
	return &bl->v[(bl->head + bl->n++) % bl->cap];
}

/*
 * Every record to the state file: one transaction, or two when the ring
 * has wrapped (after records were dropped).  0, or -1 with what was not
 * written still held.
 */
static int
backlog_write(struct run_backlog *bl, struct state *st)
{
	size_t k;

	while (bl->n > 0) {
		k = bl->cap - bl->head < bl->n ? bl->cap - bl->head : bl->n;
		if (state_record(st, bl->v + bl->head, k) < 0)
			return -1;
		bl->head = (bl->head + k) % bl->cap;
		bl->n -= k;
	}
	bl->head = 0;
	if (bl->dropped > 0) {
		msg_warn("state: %" PRIu64 " ban records were dropped while the "
		    "state file could not be written (they were in the kernel)",
		    bl->dropped);
		bl->dropped = 0;
	}
	return 0;
}

/* Every record to the state file, in the transaction the caller opened
 * (state_batch_begin()); backlog_consumed() once it is committed. */
static int
backlog_write_all(const struct run_backlog *bl, struct state *st)
{
	size_t head = bl->head, n = bl->n, k;

	while (n > 0) {
		k = bl->cap - head < n ? bl->cap - head : n;
		if (state_record(st, bl->v + head, k) < 0)
			return -1;
		head = (head + k) % bl->cap;
		n -= k;
	}
	return 0;
}

static void
backlog_consumed(struct run_backlog *bl)
{
	bl->head = 0;
	bl->n = 0;
	if (bl->dropped > 0) {
		msg_warn("state: %" PRIu64 " ban records were dropped while the "
		    "state file could not be written (they were in the kernel)",
		    bl->dropped);
		bl->dropped = 0;
	}
}

/* --- warnings --- */

/* The last warnings, for the errors table (status). */
#define WARN_RING 32
static char warn_ring[WARN_RING][256];
static int64_t warn_time[WARN_RING];
static unsigned warn_head, warn_n;

static void
keep_warning(const char *text)
{
	unsigned i = (warn_head + warn_n) % WARN_RING;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(warn_ring[i], sizeof(warn_ring[i]), "%s", text);
	warn_time[i] = (int64_t)ts.tv_sec;
	if (warn_n < WARN_RING)
		warn_n++;
	else
		warn_head = (warn_head + 1) % WARN_RING;
}

/* --- the line path's hooks --- */

static void
pattern_counters(struct run *r)
{
	free(r->cnt.pm_matches);
	free(r->cnt.pm_bans);
	r->cnt.npm = pattern_count(r->cfg->patterns);
	r->cnt.pm_matches = xcalloc(r->cnt.npm + 1, sizeof(*r->cnt.pm_matches));
	r->cnt.pm_bans = xcalloc(r->cnt.npm + 1, sizeof(*r->cnt.pm_bans));
}

/* One line that scored, escaped, for the state's evidence table. */
static void
keep_evidence(struct run *r, const struct engine_match *m)
{
	struct run_evidence *e = &r->ev;
	struct run_ev *v;

	if (e->n == RUN_EVIDENCE_MAX) {
		e->dropped++;
		return;
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 64;
		e->v = xreallocarray(e->v, e->cap, sizeof(*e->v));
	}
	v = &e->v[e->n];
	v->addr = *m->key; /* a prefix's evidence is all its addresses' */
	v->time = m->ll->has_ts && r->replay_clock != 0 ? m->ll->ts :
	    r->en.clk.now;
	/* a line that joined evidence parked by queue ID carries it */
	v->score = engine_match_score(m);
	e->n++;
	snprintf(v->pattern, sizeof(v->pattern), "%s",
	    pattern_name(engine_match_pattern(m)));
	msg_quote(v->line, m->text, m->len, RUN_EVIDENCE_LINE);
}

/* The evidence kept so far, inside the scores' transaction. */
static int
write_evidence(struct run *r)
{
	struct run_evidence *e = &r->ev;
	struct state_evidence *v;
	size_t i;
	int rc;

	if (e->n == 0)
		return 0;
	v = xcalloc(e->n, sizeof(*v));
	for (i = 0; i < e->n; i++) {
		v[i].addr = e->v[i].addr;
		v[i].time = e->v[i].time;
		v[i].pattern = e->v[i].pattern;
		v[i].score = e->v[i].score;
		v[i].line = e->v[i].line;
	}
	rc = state_evidence_put(r->sta.st, v, e->n, r->cfg->max_evidence);
	free(v);
	return rc;
}

/* The evidence kept so far is committed: start again. */
static void
evidence_written(struct run *r)
{
	r->ev.n = 0;
	if (r->ev.dropped > 0)
		msg_info("evidence: %" PRIu64 " lines that scored were not "
		    "kept (more than %d between two writes)", r->ev.dropped,
		    RUN_EVIDENCE_MAX);
	r->ev.dropped = 0;
}

static void
on_match(void *ctx, const struct engine_match *m)
{
	struct run *r = ctx;

	if (!m->duplicate)
		r->cnt.pm_matches[pattern_index(m->pat)]++;
	if (!m->duplicate && !m->ignored)
		r->jou.line_kept = 1;
	if (m->key != NULL && !m->duplicate && !m->ignored &&
	    engine_match_score(m) > 0 && r->cfg->max_evidence > 0)
		keep_evidence(r, m);
}

/* text of at most len bytes up to a NUL, cut to fit buf[size] */
static void
copy_text(char *buf, size_t size, const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);

	if (nul != NULL)
		len = (size_t)(nul - text);
	if (len > size - 1)
		len = size - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
}

/*
 * A DNSBL refusing this server's queries makes the MTA reject every
 * client: the administrator's real problem, said at once and then at
 * most every RUN_DNSBL_WARN_EVERY while it lasts.
 */
#define RUN_DNSBL_WARN_EVERY (10 * 60)

static void
warn_dnsbl(struct run_counters *c, int64_t now, const char *line, size_t len)
{
	char qb[4 * 200 + 4];

	c->dnsbl_unwarned++;
	if (c->dnsbl_warned != 0 && now - c->dnsbl_warned < RUN_DNSBL_WARN_EVERY)
		return;
	msg_warn("DNSBL ERROR: a DNSBL is refusing this server's queries and "
	    "the MTA rejects clients that are not listed (%" PRIu64 " such "
	    "line%s; they are never scored): fix the MTA's DNSBL setup; %s",
	    c->dnsbl_unwarned, c->dnsbl_unwarned == 1 ? "" : "s",
	    msg_quote(qb, line, len, 200));
	c->dnsbl_warned = now;
	c->dnsbl_unwarned = 0;
}

/*
 * The tracker full: what it forgot or did not take in, said at most every
 * RUN_DNSBL_WARN_EVERY while it goes on (the least evidence goes first:
 * a flood of one-offs costs only one-offs, but the administrator should
 * know, and raise limits.tracked when more than one-offs go).
 */
static void
warn_tracker_full(struct run *r, int64_t now)
{
	struct run_counters *c = &r->cnt;
	struct tracker_stats ts;

	if (c->full_warned != 0 && now - c->full_warned < RUN_DNSBL_WARN_EVERY)
		return;
	tracker_get_stats(r->en.tr, &ts);
	if (ts.evicted == c->evicted && ts.refused == c->refused)
		return;
	msg_warn("the tracker is full (limits.tracked = %" PRIu64 "): %" PRIu64
	    " address%s forgotten, the least evidence first (%" PRIu64 " with "
	    "more than a one-off's score or a ban), %" PRIu64 " new one%s not "
	    "taken in (every address held had more evidence)",
	    ts.capacity, ts.evicted - c->evicted,
	    ts.evicted - c->evicted == 1 ? "" : "es",
	    ts.evicted_evidence - c->lost, ts.refused - c->refused,
	    ts.refused - c->refused == 1 ? "" : "s");
	c->full_warned = now;
	c->evicted = ts.evicted;
	c->lost = ts.evicted_evidence;
	c->refused = ts.refused;
}

static void
on_notice(void *ctx, enum engine_notice kind, uint64_t lineno,
    const struct logline *ll, const char *line, size_t len)
{
	struct run *r = ctx;
	struct run_counters *c = &r->cnt;
	struct run_notice *n = NULL;
	char prog[STATE_NAME_MAX + 1];
	int64_t now = r->en.clk.now;
	size_t i;

	(void)lineno;
	copy_text(prog, sizeof(prog), ll->prog, ll->proglen);
	if (c->notices == NULL)
		c->notices = xcalloc(RUN_NOTICES, sizeof(*c->notices));
	for (i = 0; i < c->nnotices && n == NULL; i++)
		if (c->notices[i].kind == kind &&
		    strcmp(c->notices[i].program, prog) == 0)
			n = &c->notices[i];
	if (n == NULL && c->nnotices < RUN_NOTICES - 1) {
		n = &c->notices[c->nnotices++];
		memset(n, 0, sizeof(*n));
		n->kind = kind;
		memcpy(n->program, prog, sizeof(prog));
		n->first = now;
	}
	if (n == NULL) { /* the last slot takes every other program */
		for (i = 0; i < c->nnotices && n == NULL; i++)
			if (c->notices[i].kind == kind &&
			    strcmp(c->notices[i].program, "(other)") == 0)
				n = &c->notices[i];
		if (n == NULL) {
			n = &c->notices[c->nnotices < RUN_NOTICES ?
			    c->nnotices++ : RUN_NOTICES - 1];
			memset(n, 0, sizeof(*n));
			n->kind = kind;
			snprintf(n->program, sizeof(n->program), "(other)");
			n->first = now;
		}
	}
	n->count++;
	n->last = now;
	if (kind == NOTICE_DNSBL_ERROR)
		warn_dnsbl(c, now, line, len);
	copy_text(n->line[n->next], RUN_NOTICE_TEXT, line, len);
	n->time[n->next] = now;
	n->next = (n->next + 1) % STATE_NOTICE_LINES;
	if (n->nlines < STATE_NOTICE_LINES)
		n->nlines++;
}

/* Notices to the state file; kept for the next try when that fails. */
static void
save_notices(struct run *r)
{
	struct run_counters *c = &r->cnt;
	struct state_notice v[RUN_NOTICES];
	struct state_notice_line *l;
	size_t i, k, nl = 0;
	unsigned j;

	if (c->nnotices == 0 || r->sta.st == NULL)
		return;
	l = xcalloc(RUN_NOTICES * STATE_NOTICE_LINES, sizeof(*l));
	for (i = 0; i < c->nnotices; i++) {
		struct run_notice *n = &c->notices[i];

		v[i].kind = engine_notice_name(n->kind);
		v[i].program = n->program;
		v[i].count = n->count;
		v[i].first = n->first;
		v[i].last = n->last;
		/* oldest first, so that the newest get the highest ids */
		for (j = 0; j < n->nlines; j++) {
			k = (n->next + STATE_NOTICE_LINES - n->nlines + j) %
			    STATE_NOTICE_LINES;
			l[nl].kind = v[i].kind;
			l[nl].program = n->program;
			l[nl].time = n->time[k];
			l[nl].line = n->line[k];
			nl++;
		}
	}
	if (state_notices_add(r->sta.st, v, c->nnotices, l, nl) == 0)
		c->nnotices = 0;
	free(l);
}

static void
on_ban(void *ctx, const struct engine_match *m, const struct ban_decision *d)
{
	struct run *r = ctx;
	struct state_ban *b;
	char ip[ADDR_STRLEN], tb[32], db[32];
	size_t hl;
	int64_t at;

	/* what is left of it: a decision at a line's own stamp (kept lines
	 * read again, a journal entry) may have started before now */
	at = r->replay_clock != 0 ? r->replay_clock :
	    r->cur.source != NULL ? r->en.clk.now : 0;
	if (at == 0)
		r->ker.k.add(r->ker.k.ctx, &d->addr, kernel_timeout(&r->ker.k,
		    d->duration));
	else if (d->start + d->duration > at)
		r->ker.k.add(r->ker.k.ctx, &d->addr, kernel_timeout(&r->ker.k,
		    d->start + d->duration - at));
	if (r->ker.absent)
		r->ker.waiting++;
	r->cnt.pm_bans[pattern_index(d->pat)]++;
	b = backlog_push(&r->sta.bl);
	memset(b, 0, sizeof(*b));
	b->addr = d->addr;
	b->count = d->count;
	b->first_ban = b->last_ban = d->start;
	b->until = d->start + d->duration;
	b->duration = d->duration;
	b->score = d->score;
	snprintf(b->pattern, sizeof(b->pattern), "%s", pattern_name(d->pat));
	hl = m->ll->hostlen < STATE_NAME_MAX ? m->ll->hostlen : STATE_NAME_MAX;
	memcpy(b->host, m->ll->host, hl);
	b->host[hl] = '\0';
	hl = m->ll->proglen < STATE_NAME_MAX ? m->ll->proglen : STATE_NAME_MAX;
	memcpy(b->program, m->ll->prog, hl);
	b->program[hl] = '\0';
	msg_info("ban %s for %s (%u%s ban, pattern %s, score %ld) at %s",
	    addr_format(&d->addr, ip), fmt_duration(db, sizeof(db), d->duration),
	    d->count, d->count == 1 ? "st" : d->count == 2 ? "nd" :
	    d->count == 3 ? "rd" : "th", pattern_name(d->pat), d->score,
	    fmt_time(tb, sizeof(tb), d->start));
}

/* --- the state side --- */

static void
open_state(struct run *r, int64_t now)
{
	struct run_sside *s = &r->sta;

	if (s->st != NULL || now - s->last_try < RUN_STATE_RETRY)
		return;
	s->last_try = now;
	s->st = state_open(r->kcfg->state, 0);
	s->have_version = 0; /* a new connection counts anew */
	if (s->st == NULL) {
		r->cnt.state_failures++;
		msg_warn("state %s unavailable; bans still reach the kernel, "
		    "retrying every %ds", r->kcfg->state, RUN_STATE_RETRY);
		if (r->health.state_failing == 0)
			r->health.state_failing = now;
	} else if (s->bl.n == 0) {
		r->health.state_failing = 0;
	}
}

/* A set vanished and was re-created: every active ban goes back in. */
static void
repair_sets(struct run *r, int64_t now)
{
	const struct run_kernel *k = &r->ker.k;
	char err[512];
	size_t n = 0;

	if (!k->present(k->ctx)) {
		msg_warn("a ban set has vanished; re-creating it");
		if (k->ensure(k->ctx, err, sizeof(err)) < 0) {
			msg_warn("%s", err);
			return;
		}
	} else if (k->recreated(k->ctx) == r->ker.recreated) {
		return;
	}
	r->ker.recreated = k->recreated(k->ctx);
	open_state(r, now);
	if (r->sta.st != NULL && run_requeue(r->sta.st, k, now, 0, &n) == 0)
		msg_warn("re-adding %zu active bans to the re-created sets", n);
	if (k->commit(k->ctx) < 0)
		r->cnt.kernel_failures++;
	r->ker.recreated = k->recreated(k->ctx);
}

static void score_one(void *ctx, const struct addr *a,
    const struct score_event *ev, size_t n, int64_t last_seen);

struct score_writer {
	struct state *st;
	int ok;
	size_t n, cap;
	struct addr *done; /* listed again if the transaction fails */
};

/*
 * Entries with a cursor: the ban records, the changed scores and the
 * cursor of the last entry read, in one transaction, so that a restart
 * from the saved cursor (after a crash too) neither loses an entry's
 * effect nor counts it twice.  0, or -1 with everything kept for the
 * next try.
 */
static int
write_batch(struct run *r, int64_t now)
{
	struct run_sside *s = &r->sta;
	struct score_writer w = {NULL, 1, 0, 0, NULL};
	const char *cur = NULL;
	int changes = s->bl.n > 0;
	size_t i;

	if (s->bl.n == 0 && tracker_dirty_count(r->en.tr) == 0 &&
	    !r->cur.moved && r->ev.n == 0)
		return 0;
	open_state(r, now);
	if (s->st == NULL)
		return -1;
	if (r->cur.moved)
		cur = r->cur.cursor(r->cur.ctx);
	if (state_batch_begin(s->st) < 0)
		goto fail;
	w.st = s->st;
	if (backlog_write_all(&s->bl, s->st) < 0)
		w.ok = 0;
	if (w.ok)
		tracker_drain_dirty(r->en.tr, score_one, &w);
	/* the evidence of the entries up to the cursor, with their scores */
	if (w.ok && write_evidence(r) < 0)
		w.ok = 0;
	if (w.ok && cur != NULL &&
	    state_cursor_put(s->st, r->cur.source, cur, now) < 0)
		w.ok = 0;
	if (state_batch_end(s->st, w.ok) < 0 || !w.ok)
		goto fail;
	backlog_consumed(&s->bl);
	evidence_written(r);
	r->cnt.committed_bans = 1;
	if (changes)
		r->views.changes++;
	if (cur != NULL) {
		r->cur.moved = 0;
		r->cur.saves++;
	}
	if (r->cur.warned)
		msg_info("state %s written again, with the journal cursor",
		    r->kcfg->state);
	r->cur.warned = 0;
	free(w.done);
	return 0;
fail:
	r->cnt.state_failures++;
	for (i = 0; i < w.n; i++)
		tracker_mark_dirty(r->en.tr, &w.done[i]);
	free(w.done);
	if (!r->cur.warned)
		msg_warn("state: %zu ban records, the scores and the journal "
		    "cursor not written yet; will retry (bans are in the kernel)",
		    s->bl.n);
	r->cur.warned = 1;
	state_close(s->st);
	s->st = NULL;
	return -1;
}

/*
 * The firewall rules that use the sets: in place, or put back as setup
 * makes them.  Every repair is a warning (bans were not enforced for a
 * while: status shows it among the last errors); a failure to read or
 * restore the rules is told once, until they are in place again.
 *
 * Rules found missing are put back once the ruleset has stood still for
 * RUN_RULES_SETTLE seconds (at start at once): a firewall manager that is
 * reloading (ufw flushes the built-in chains, then deletes every chain)
 * would otherwise find our chain put back between its commands and fail.
 * Looked at every RUN_RULES_SETTLE seconds meanwhile; after
 * RUN_RULES_SETTLE_MAX they are put back all the same.
 */
static void
check_rules(struct run *r, int64_t now, int at_once)
{
	const struct run_kernel *k = &r->ker.k;
	struct run_kside *ks = &r->ker;
	char msg[512], why[512];
	int rc, settled = 0;

	if (k->rules_ok == NULL)
		return;
	ks->last_rules = now;
	rc = k->rules_ok(k->fw, msg, sizeof(msg), &settled);
	if (rc == 0 && !at_once && !settled) {
		if (ks->rules_moving == 0)
			ks->rules_moving = now;
		if (now - ks->rules_moving < RUN_RULES_SETTLE_MAX) {
			/* the next tick looks again */
			ks->last_rules = now - r->cfg->firewall_check +
			    RUN_RULES_SETTLE;
			return;
		}
		msg_warn("firewall: the ruleset has not stood still for %ds; "
		    "putting the rules back while it changes",
		    RUN_RULES_SETTLE_MAX);
	}
	ks->rules_moving = 0;
	if (rc == 1) {
		if (ks->rules_failed)
			msg_info("firewall: the rules that use the sets are in "
			    "place again");
		ks->rules_failed = 0;
		return;
	}
	if (rc < 0) {
		if (!ks->rules_failed)
			msg_warn("firewall: %s; whether bans are enforced is "
			    "unknown; retrying every %llds", msg,
			    (long long)r->cfg->firewall_check);
		ks->rules_failed = 1;
		return;
	}
	rc = k->rules_restore(k->fw, why, sizeof(why));
	if (rc < 0) {
		if (!ks->rules_failed)
			msg_warn("firewall: bans are not enforced: %s; cannot "
			    "restore the rules: %s; retrying every %llds", msg,
			    why, (long long)r->cfg->firewall_check);
		ks->rules_failed = 1;
		return;
	}
	msg_warn("firewall: bans were not enforced: %s; rules restored as "
	    "\"mailban setup\" makes them", msg);
	ks->rules_failed = 0;
}

/*
 * Kernel first, then the state file.  0 when every queued ban is in the
 * kernel (refused entries are reported and counted, not retried forever);
 * -1 when some wait for a retry.
 */
static int
commit(struct run *r, int64_t now)
{
	const struct run_kernel *k = &r->ker.k;
	size_t n = k->pending(k->ctx);

	if (n > 0) {
		double t0 = monotonic();

		if (k->commit(k->ctx) < 0)
			r->cnt.kernel_failures++;
		r->cnt.kernel_secs += monotonic() - t0;
		r->cnt.committed += n - k->pending(k->ctx);
		if (k->recreated(k->ctx) != r->ker.recreated)
			repair_sets(r, now);
	}
	if (r->cur.source != NULL) {
		write_batch(r, now);
	} else if (r->sta.bl.n > 0) {
		open_state(r, now);
		if (r->sta.st != NULL) {
			if (backlog_write(&r->sta.bl, r->sta.st) == 0) {
				r->views.changes++;
				r->cnt.committed_bans = 1;
				r->health.state_failing = 0;
			} else {
				r->cnt.state_failures++;
				if (r->health.state_failing == 0)
					r->health.state_failing = now;
				msg_warn("state: %zu ban records not written yet; "
				    "will retry", r->sta.bl.n);
				state_close(r->sta.st);
				r->sta.st = NULL;
			}
		}
	}
	return k->pending(k->ctx) == 0 ? 0 : -1;
}

static void
score_one(void *ctx, const struct addr *a, const struct score_event *ev,
    size_t n, int64_t last_seen)
{
	struct score_writer *w = ctx;

	if (w->ok && state_scores_put(w->st, a, ev, n, last_seen) < 0)
		w->ok = 0;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->done = xreallocarray(w->done, w->cap, sizeof(*w->done));
	}
	w->done[w->n++] = *a;
}

/* What the counters without a pattern count, in total_names' order. */
static void
totals(const struct run *r, uint64_t *v)
{
	v[0] = r->en.st.lines;
	v[1] = r->en.st.malformed;
	v[2] = r->en.st.overlong;
	v[3] = r->en.st.notices[NOTICE_UNTRUSTED];
	v[4] = r->en.st.notices[NOTICE_UNMATCHED];
	v[5] = r->en.st.notices[NOTICE_DNSBL_ERROR];
	v[6] = r->cnt.kernel_failures;
	v[7] = r->cnt.state_failures;
}

/*
 * Per-pattern counters (the hourly stats and the counters that only
 * grow) and the counters of the whole run, in one transaction, and kept
 * warnings, to the state file; what fails waits for the next try.
 */
static void
save_stats(struct run *r, int64_t now)
{
	struct run_counters *c = &r->cnt;
	struct state_stat *v;
	struct state_counter *k;
	uint64_t cur[RUN_TOTALS];
	size_t i, n = 0, nk = 0;
	int ok;

	if (r->sta.st == NULL)
		return;
	totals(r, cur);
	v = xcalloc(c->npm + 1, sizeof(*v));
	k = xcalloc(2 * c->npm + RUN_TOTALS + 1, sizeof(*k));
	for (i = 0; i < c->npm; i++) {
		if (c->pm_matches[i] == 0 && c->pm_bans[i] == 0)
			continue;
		v[n].hour = now / SECONDS_HOUR;
		v[n].pattern = pattern_name(pattern_get(r->cfg->patterns, i));
		v[n].matches = c->pm_matches[i];
		v[n].bans = c->pm_bans[i];
		k[nk].name = "matches";
		k[nk].pattern = v[n].pattern;
		k[nk++].value = v[n].matches;
		k[nk].name = "bans";
		k[nk].pattern = v[n].pattern;
		k[nk++].value = v[n].bans;
		n++;
	}
	for (i = 0; i < RUN_TOTALS; i++) {
		if (cur[i] < c->saved[i]) /* never: they only grow */
			c->saved[i] = cur[i];
		if (cur[i] == c->saved[i])
			continue;
		k[nk].name = total_names[i];
		k[nk].pattern = "";
		k[nk++].value = cur[i] - c->saved[i];
	}
	if (c->committed_bans) {
		k[nk].name = "last_commit";
		k[nk].pattern = "";
		k[nk++].value = (uint64_t)now;
	}
	if (nk > 0 && state_batch_begin(r->sta.st) == 0) {
		ok = state_counters_add(r->sta.st, k, nk) == 0 &&
		    state_stats_add(r->sta.st, v, n) == 0;
		if (state_batch_end(r->sta.st, ok) == 0 && ok) {
			memset(c->pm_matches, 0, c->npm * sizeof(*c->pm_matches));
			memset(c->pm_bans, 0, c->npm * sizeof(*c->pm_bans));
			memcpy(c->saved, cur, sizeof(cur));
			c->committed_bans = 0;
			c->saves++;
		} else {
			c->state_failures++;
		}
	}
	free(v);
	free(k);
	save_notices(r);
	while (warn_n > 0 && r->sta.st != NULL) {
		if (state_error_add(r->sta.st, warn_time[warn_head],
			warn_ring[warn_head]) < 0)
			break;
		warn_head = (warn_head + 1) % WARN_RING;
		warn_n--;
	}
}

/*
 * metrics.file again after the counters or the bans changed, at most
 * every metrics.every seconds (and once at start, so that the file is
 * there); a failed write is a warning (metrics.c), retried later.
 */
static void
write_metrics(struct run *r, int64_t now, int force)
{
	const struct config *cfg = r->cfg;
	struct run_counters *c = &r->cnt;
	uint64_t seen = c->saves + r->views.changes;

	if (cfg->metrics_file == NULL || cfg->metrics_file[0] == '\0' ||
	    r->sta.st == NULL)
		return;
	if (!force && c->last_metrics != 0 && (seen == c->metrics_seen ||
	    now - c->last_metrics < cfg->metrics_every))
		return;
	c->last_metrics = now;
	if (metrics_write(r->sta.st, cfg, cfg->metrics_file, now) == 0)
		c->metrics_seen = seen;
}

/* Scores in flight to the state file, one transaction: 0 when every
 * changed score is written; otherwise they stay listed for the next try. */
static int
save_scores(struct run *r)
{
	struct score_writer w = {r->sta.st, 1, 0, 0, NULL};
	size_t i;

	if (tracker_dirty_count(r->en.tr) == 0 && r->ev.n == 0)
		return 0; /* no transaction for nothing: omprog commits often */
	if (r->sta.st == NULL)
		return -1; /* the list waits for the state file */
	if (state_scores_begin(r->sta.st) < 0) {
		w.ok = 0;
		w.st = NULL;
	}
	tracker_drain_dirty(r->en.tr, score_one, &w);
	if (w.ok && write_evidence(r) < 0)
		w.ok = 0;
	if (w.st != NULL && state_scores_end(w.st, w.ok) < 0)
		w.ok = 0;
	if (w.ok) {
		r->cnt.committed_bans = 1;
		evidence_written(r);
	}
	if (!w.ok) {
		r->cnt.state_failures++;
		for (i = 0; i < w.n; i++)
			tracker_mark_dirty(r->en.tr, &w.done[i]);
	}
	free(w.done);
	return w.ok ? 0 : -1;
}

/* --- the journal --- */

/*
 * Once everything the lines read so far decided (bans in the kernel and
 * the state file, scores in the state file) is committed, the journal
 * that kept those lines is emptied.
 */
static void
settle_journal(struct run *r)
{
	struct tracker_stats ts;

	if (r->cur.source != NULL)
		return; /* scores go only with the cursor (write_batch) */
	if (r->ker.k.pending(r->ker.k.ctx) > 0 || r->sta.bl.n > 0 ||
	    save_scores(r) < 0)
		return;
	tracker_get_stats(r->en.tr, &ts);
	/* score changes the tracker could not list were never written: their
	 * lines stay for the next start */
	if (ts.dirty_lost != r->jou.dirty_lost)
		return;
	if (r->jou.jr != NULL)
		journal_clear(r->jou.jr);
}

/* commit(), then the scores and the journal: 0 as commit(). */
static int
settle(struct run *r, int64_t now)
{
	int rc = commit(r, now);

	settle_journal(r);
	return rc;
}

static void
replay_one(void *ctx, const char *line, size_t len)
{
	struct run *r = ctx;

	engine_line(&r->en, line, len, 0);
}

/* Lines kept while mailban could not read them are scored at their own
 * stamps, as "mailban test" does: events spread over an hour of a broken
 * configuration must not add up as if they came at once. */
static void
replay_at_stamps_begin(struct run *r, int64_t now)
{
	r->replay_clock = now;
	r->en.use_clock = 0;
}

static void
replay_at_stamps_end(struct run *r, int64_t now)
{
	r->replay_clock = 0;
	r->en.use_clock = 1;
	engine_set_now(&r->en, now);
}

/* The journal beside the state file; what a stopped mailban left there is
 * read again first.  Until it opens, matching lines are committed before
 * they are answered. */
static void
open_journal(struct run *r, int64_t now)
{
	struct run_jside *j = &r->jou;
	char err[1024];
	struct tracker_stats ts;
	int at_stamps;
	long n;

	if (!j->on || j->jr != NULL || now - j->last_try < RUN_STATE_RETRY)
		return;
	j->last_try = now;
	j->jr = journal_open(r->kcfg->state, err, sizeof(err));
	if (j->jr == NULL) {
		if (!j->warned)
			msg_warn("journal %s; each line that matches is committed "
			    "before it is answered, retrying every %ds", err,
			    RUN_STATE_RETRY);
		j->warned = 1;
		return;
	}
	if (j->warned)
		msg_info("journal %s opened", journal_path(j->jr));
	j->warned = 0;
	tracker_get_stats(r->en.tr, &ts);
	j->dirty_lost = ts.dirty_lost;
	at_stamps = journal_unconfigured(j->jr);
	if (at_stamps)
		replay_at_stamps_begin(r, now);
	n = journal_replay(j->jr, replay_one, r);
	if (at_stamps)
		replay_at_stamps_end(r, now);
	if (n < 0) { /* left as it is, for the administrator */
		journal_close(j->jr);
		j->jr = NULL;
		j->warned = 1;
		return;
	}
	if (n > 0) {
		if (at_stamps)
			msg_info("read again %ld lines kept in %s while no "
			    "configuration loaded", n, journal_path(j->jr));
		else
			msg_info("read %ld lines again from %s: a mailban stopped "
			    "before their bans and scores were committed", n,
			    journal_path(j->jr));
		settle(r, now);
	}
}

/*
 * One line through the engine (omprog).  A line that matched is journaled
 * before it is answered; -1 when it could not be, so that the caller
 * commits what it decided first.
 */
static int
journal_line(struct run *r, const char *line, size_t len, int trunc)
{
	r->jou.line_kept = 0;
	engine_line(&r->en, line, len, trunc);
	if (!r->jou.line_kept)
		return 0;
	if (r->jou.jr != NULL && journal_append(r->jou.jr, line, len) == 0)
		return 0;
	return -1;
}

/* --- the published views --- */

/* report.html again after bans were committed, at most every report.every
 * seconds; a failed write is a warning (in htmlreport), retried later. */
static void
write_page(struct run *r, int64_t now)
{
	const struct config *cfg = r->cfg;
	struct run_views *v = &r->views;

	if (cfg->report_html[0] == '\0' || now - v->last_page < cfg->report_every ||
	    v->changes == v->page_seen)
		return;
	v->last_page = now;
	if (htmlreport_update(r->sta.st, cfg, cfg->report_html, now) == 0)
		v->page_seen = v->changes;
}

/* The rbldnsd zone, when bans changed or one ran out, at most every N s. */
static void
write_zone(struct run *r, int64_t now)
{
	const struct config *cfg = r->cfg;
	struct run_views *v = &r->views;
	uint64_t n;

	if ((cfg->zone4 == NULL && cfg->zone6 == NULL) || r->sta.st == NULL)
		return;
	if (v->changes == v->zone_seen &&
	    !(v->zone_next != 0 && now >= v->zone_next))
		return;
	if (now - v->last_zone < cfg->zone_every)
		return;
	v->last_zone = now;
	if (zone_write(cfg, r->sta.st, now, &v->zone_next, &n) == 0)
		v->zone_seen = v->changes;
}

/* --- degraded --- */

/* What is wrong now, "" when nothing is. */
static void
health_text(const struct run *r, int64_t now, char *buf, size_t size)
{
	const struct run_health *h = &r->health;
	int state = h->state_failing != 0 &&
	    now - h->state_failing >= RUN_DEGRADED_RETRY;

	const char *part[5] = {h->cause, h->cause[0] && state ? "; " : "",
	    state ? "state file " : "", state ? r->kcfg->state : "",
	    state ? " cannot be written (ban records and scores wait in "
	    "memory)" : ""};
	size_t i, n = 0, k;

	for (i = 0; i < 5; i++) {
		k = strlen(part[i]);
		if (k > size - 1 - n)
			k = size - 1 - n;
		memcpy(buf + n, part[i], k);
		n += k;
	}
	buf[n] = '\0';
}

/*
 * Degraded: said at once, then every RUN_DEGRADED_REPORT seconds in the
 * output (rsyslog's output= file), and kept in the state's health row for
 * "mailban status"; the end is said too, and the row deleted.
 */
static void
report_health(struct run *r, int64_t now, int force)
{
	struct run_health *h = &r->health;
	struct state_health row;
	char text[STATE_CAUSE_MAX], tb[32];

	health_text(r, now, text, sizeof(text));
	if (text[0] == '\0') {
		if (h->since != 0)
			msg_info("no longer degraded (since %s): every ban decided "
			    "meanwhile is applied", fmt_time(tb, sizeof(tb),
			    h->since));
		h->since = 0;
		h->last[0] = '\0';
		if (h->row && r->sta.st != NULL &&
		    state_health_put(r->sta.st, NULL) == 0)
			h->row = 0;
		return;
	}
	if (h->since == 0) {
		h->since = now;
		h->lines0 = r->en.st.lines;
	}
	if (!force && strcmp(text, h->last) == 0 &&
	    now - h->last_report < RUN_DEGRADED_REPORT)
		return;
	if (strcmp(text, h->last) != 0)
		msg_warn("degraded: %s", text);
	h->last_report = now;
	snprintf(h->last, sizeof(h->last), "%s", text);
	msg_info("degraded since %s: %s; %" PRIu64 " lines read meanwhile, %"
	    PRIu64 " ban decisions wait for the kernel; retrying every %ds and "
	    "on SIGHUP", fmt_time(tb, sizeof(tb), h->since), text,
	    r->en.st.lines - h->lines0, r->ker.waiting, RUN_DEGRADED_RETRY);
	if (r->sta.st == NULL)
		return;
	row.since = h->since;
	row.updated = now;
	snprintf(row.cause, sizeof(row.cause), "%s", text);
	row.lines = r->en.st.lines - h->lines0;
	row.bans = r->ker.waiting;
	if (state_health_put(r->sta.st, &row) == 0)
		h->row = 1;
}

void
run_set_degraded(struct run *r, const char *cause, int64_t now)
{
	int changed = strcmp(r->health.cause, cause ? cause : "") != 0;

	snprintf(r->health.cause, sizeof(r->health.cause), "%s", cause ? cause :
	    "");
	open_state(r, now);
	report_health(r, now, changed);
}

/* The kernel before one is attached: takes everything, keeps nothing. */
static void
no_add(void *ctx, const struct addr *a, uint32_t timeout)
{
	(void)ctx;
	(void)a;
	(void)timeout;
}

static int
no_del(void *ctx, const struct addr *a)
{
	(void)ctx;
	(void)a;
	return 0;
}

static size_t
no_count(void *ctx)
{
	(void)ctx;
	return 0;
}

static int
no_commit(void *ctx)
{
	(void)ctx;
	return 0;
}

static int
no_present(void *ctx)
{
	(void)ctx;
	return 1;
}

static int
no_ensure(void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	return 0;
}

static const struct run_kernel no_kernel = {NULL, UINT32_MAX, no_add,
    no_del, no_count, no_commit, no_count, no_present, no_ensure, no_count,
    NULL, NULL, NULL};

void
run_attach_kernel(struct run *r, const struct run_kernel *k, int64_t now)
{
	const struct run_backlog *bl = &r->sta.bl;
	size_t n = 0, i;

	r->ker.k = *k;
	r->ker.absent = 0;
	r->ker.recreated = k->recreated(k->ctx);
	r->ker.last_presence = now;
	r->sta.last_try = 0;
	open_state(r, now);
	if (r->sta.st != NULL)
		run_requeue(r->sta.st, k, now, 0, &n);
	/* and the decisions the state file has not taken yet */
	for (i = 0; i < bl->n; i++) {
		const struct state_ban *b = &bl->v[(bl->head + i) % bl->cap];

		if (b->until > now) {
			k->add(k->ctx, &b->addr, kernel_timeout(k, b->until - now));
			n++;
		}
	}
	if (r->health.since == 0) { /* never degraded: a start */
		if (n > 0)
			msg_info("restoring %zu active bans", n);
	} else {
		msg_info("the kernel's sets are reachable: %zu active bans go in, %"
		    PRIu64 " of them decided while they were not", n,
		    r->ker.waiting);
	}
	r->ker.waiting = 0;
	commit(r, now);
	check_rules(r, now, 1); /* the rules that make those bans hold */
}

void
run_replay_kept(struct run *r, const char *line, size_t len, int64_t now)
{
	replay_at_stamps_begin(r, now);
	if (journal_line(r, line, len, 0) < 0)
		settle(r, now);
	else if (r->jou.jr != NULL)
		journal_set_unconfigured(r->jou.jr);
	replay_at_stamps_end(r, now);
}

/* --- start, ticks, reload --- */

static void
seed_scores(void *ctx, const struct addr *a, const struct score_event *ev,
    size_t n, int64_t last_seen)
{
	struct run *r = ctx;

	(void)last_seen;
	tracker_seed_events(r->en.tr, a, ev, n, r->cur.seed_at);
}

/* Is a ban of a decided by this run and not in the state file yet? */
static int
backlog_holds(const struct run_backlog *bl, const struct addr *a)
{
	size_t i;

	for (i = 0; i < bl->n; i++)
		if (addr_equal(&bl->v[(bl->head + i) % bl->cap].addr, a))
			return 1;
	return 0;
}

/* Did banned_one() put a in the kernel within the last RUN_HAND_SECS? */
static int
hand_recent(const struct run_sside *s, const struct addr *a)
{
	size_t i;

	if (s->hand_all != 0)
		return 1;
	for (i = 0; i < s->nhand; i++)
		if (addr_equal(&s->hand[i], a))
			return 1;
	return 0;
}

/* Forget the bans by hand put in the kernel before now - RUN_HAND_SECS. */
static void
hand_expire(struct run_sside *s, int64_t now)
{
	size_t i, j;

	if (s->hand_all != 0 && now - s->hand_all > RUN_HAND_SECS)
		s->hand_all = 0;
	for (i = j = 0; i < s->nhand; i++) {
		if (now - s->hand_at[i] > RUN_HAND_SECS)
			continue;
		s->hand[j] = s->hand[i];
		s->hand_at[j++] = s->hand_at[i];
	}
	s->nhand = j;
}

/*
 * A ban lifted by another process ("mailban unban", "allow", "flush"):
 * forgotten by the tracker.  That process took it out of the kernel, but
 * this run may have put it back since: a poll that read the ban as made
 * by hand just before the lift queued it, and its commit came after the
 * lift.  So a ban by hand this run put in the kernel within the last
 * RUN_HAND_SECS is taken out again (only those: a flush of many bans
 * costs no delete each), unless this run has decided it again and not
 * written it yet (its record will put it back in the state file).
 */
static int
lifted_one(void *ctx, const struct state_ban *b)
{
	struct run *r = ctx;

	engine_unban(&r->en, &b->addr);
	if (hand_recent(&r->sta, &b->addr) &&
	    !backlog_holds(&r->sta.bl, &b->addr))
		r->ker.k.del(r->ker.k.ctx, &b->addr);
	r->views.changes++;
	return 0;
}

static int
seed_one(void *ctx, const struct state_ban *b)
{
	struct run *r = ctx;

	engine_seed_ban(&r->en, &b->addr, b->count, b->last_ban, b->until);
	return 0;
}

/* A ban another process made ("mailban ban"): the tracker counts it and
 * never decides a shorter one over it; the kernel gets its whole length
 * (again, if this run's own decision replaced the entry meanwhile). */
static int
banned_one(void *ctx, const struct state_ban *b)
{
	struct run *r = ctx;
	int64_t now = r->en.clk.now;

	engine_seed_ban(&r->en, &b->addr, b->count, b->last_ban, b->until);
	r->ker.k.add(r->ker.k.ctx, &b->addr, kernel_timeout(&r->ker.k,
	    b->until - now));
	if (r->sta.nhand < RUN_HAND_RECENT) {
		r->sta.hand[r->sta.nhand] = b->addr;
		r->sta.hand_at[r->sta.nhand++] = now;
	} else {
		r->sta.hand_all = now;
	}
	r->views.changes++;
	return 0;
}

static int
allow_one(void *ctx, const struct state_allow *v)
{
	struct run *r = ctx;

	addr_list_add(&r->sta.allow, &v->net);
	if (v->until != 0 && (r->sta.allow_next == 0 ||
	    v->until < r->sta.allow_next))
		r->sta.allow_next = v->until;
	return 0;
}

/* The runtime allow list again, from the state file. */
static void
read_allow(struct run *r, int64_t now)
{
	struct run_sside *s = &r->sta;
	size_t before = s->allow.n;

	addr_list_free(&s->allow);
	s->allow_next = 0;
	if (state_allow_list(s->st, now, allow_one, r) < 0)
		msg_warn("allow list: cannot be read; the last one read stays "
		    "in force");
	r->en.allow = s->allow.n > 0 ? &s->allow : NULL;
	if (s->allow.n != before)
		msg_info("allow list: %zu entries", s->allow.n);
}

/*
 * Once a second: has another process committed to the state file
 * (SQLite's data_version, read from the shared memory of WAL, no file
 * read when nothing changed)?  Then what it may have changed: bans lifted
 * (unban, flush, an allow that covers them), bans made by hand, the allow
 * list, a reload asked for.  The allow list is read again when one of
 * its entries ends as well.
 */
static void
poll_others(struct run *r, int64_t now)
{
	struct run_sside *s = &r->sta;
	struct state_reload rl;
	int64_t v;

	if (state_data_version(s->st, &v) < 0)
		return;
	if (s->have_version && v == s->version &&
	    !(s->allow_next != 0 && now >= s->allow_next)) {
		s->last_lifted_poll = now;
		return;
	}
	if (!s->have_version || v != s->version) {
		hand_expire(s, now);
		state_lifted_since(s->st, s->last_lifted_poll - 1, lifted_one, r);
		/* queued: committed with the next batch (never inside an
		 * omprog transaction); "mailban ban" put them in already */
		state_banned_since(s->st, s->last_lifted_poll - 1, now,
		    banned_one, r);
		if (state_reload_status(s->st, &rl) > 0) {
			if (!s->reload_known) /* asked before this run: done */
				s->reload_done = rl.asked;
			s->reload_asked = rl.asked;
		}
		s->reload_known = 1;
	}
	read_allow(r, now);
	s->version = v;
	s->have_version = 1;
	s->last_lifted_poll = now;
}

/* At start, with the state's history read: what the polls compare with. */
static void
poll_baseline(struct run *r, int64_t now)
{
	struct run_sside *s = &r->sta;
	struct state_reload rl;

	if (state_data_version(s->st, &s->version) == 0)
		s->have_version = 1;
	if (state_reload_status(s->st, &rl) > 0)
		s->reload_done = s->reload_asked = rl.asked;
	s->reload_known = 1;
	read_allow(r, now);
	s->last_lifted_poll = now;
}

uint64_t
run_reload_asked(const struct run *r)
{
	return r->sta.reload_asked > r->sta.reload_done ? r->sta.reload_asked :
	    0;
}

void
run_reload_answer(struct run *r, uint64_t asked, const char *result,
    int64_t now)
{
	r->sta.reload_done = asked;
	if (r->sta.st != NULL)
		(void)state_reload_done(r->sta.st, asked, now, result);
}

/* Once a second when idle: the clock, what other processes changed,
 * long-ban refresh. */
static void
tick(struct run *r, int64_t now)
{
	struct run_sside *s = &r->sta;

	engine_set_now(&r->en, now);
	if (now - r->ker.last_presence >= RUN_PRESENCE_EVERY) {
		r->ker.last_presence = now;
		repair_sets(r, now);
	}
	if (now - r->ker.last_rules >= r->cfg->firewall_check)
		check_rules(r, now, 0);
	open_state(r, now);
	open_journal(r, now);
	report_health(r, now, 0);
	warn_tracker_full(r, now);
	if (s->st == NULL)
		return;
	if (now != s->last_lifted_poll)
		poll_others(r, now);
	if (r->cur.source != NULL)
		write_batch(r, now); /* where reading stands, once a second */
	else
		settle_journal(r);
	save_stats(r, now);
	write_zone(r, now);
	write_metrics(r, now, 0);
	if (now - s->last_refresh >= RUN_REFRESH_EVERY) {
		size_t n = 0;

		s->last_refresh = now;
		state_expire(s->st, now - r->kcfg->forget);
		run_requeue(s->st, &r->ker.k, now,
		    (int64_t)r->ker.k.max_timeout + 1, &n);
		if (n > 0)
			msg_info("refreshing %zu bans longer than the kernel's "
			    "largest timeout", n);
	}
	write_page(r, now);
}

struct run *
run_new(struct config *cfg, const struct run_kernel *k,
    const struct run_options *opt, int64_t now)
{
	struct run *r = xcalloc(1, sizeof(*r));
	struct engine_hooks hooks;

	r->cfg = r->kcfg = cfg;
	r->ker.k = k != NULL ? *k : no_kernel;
	r->ker.absent = k == NULL;
	r->health.row = 1; /* a degraded run before may have left one */
	r->views.changes = 1; /* the views are written once at start */
	r->sta.last_try = now - RUN_STATE_RETRY;
	r->sta.bl.max = opt->backlog_max != 0 ? opt->backlog_max :
	    RUN_BACKLOG_MAX;
	r->jou.on = opt->omprog;
	r->jou.last_try = now - RUN_STATE_RETRY;
	r->cur.source = opt->cursor_source;
	r->cur.cursor = opt->cursor;
	r->cur.ctx = opt->cursor_ctx;
	hooks.on_match = on_match;
	hooks.on_ban = on_ban;
	hooks.on_notice = on_notice;
	hooks.ctx = r;
	/* entries with a cursor are scored at their own time, as a replay
	 * does: a restart that reads an hour again decides as live did */
	engine_init(&r->en, r->cfg, now, opt->cursor_source == NULL, &hooks);
	pattern_counters(r);
	msg_set_warn_hook(keep_warning);
	tracker_keep_dirty(r->en.tr);
	return r;
}

void
run_start(struct run *r, int64_t now)
{
	struct run_sside *s = &r->sta;
	size_t n = 0;

	char cur[STATE_CURSOR_MAX];
	int64_t saved;

	check_rules(r, now, 1);
	open_state(r, now);
	r->cur.seed_at = now;
	if (s->st != NULL) {
		/*
		 * Entries with a cursor are scored at their own times, and the
		 * ones after the cursor are read again: the scores saved with it
		 * are as of when it was saved, however long ago that was.
		 */
		if (r->cur.source != NULL && state_cursor_get(s->st,
			r->cur.source, cur, sizeof(cur), &saved) > 0 && saved < now)
			r->cur.seed_at = saved;
		state_history(s->st, now - r->cfg->forget, seed_one, r);
		state_scores(s->st, r->cur.seed_at - r->cfg->window, seed_scores,
		    r);
		if (!r->ker.absent) /* else run_attach_kernel() does it */
			run_requeue(s->st, &r->ker.k, now, 0, &n);
		s->last_refresh = now;
		poll_baseline(r, now);
		if (n > 0) {
			msg_info("restoring %zu active bans", n);
			commit(r, now);
		}
	}
	open_journal(r, now);
}

void
run_line(struct run *r, const char *line, size_t len, int truncated)
{
	engine_line(&r->en, line, len, truncated);
	if (r->ker.k.pending(r->ker.k.ctx) >= r->cfg->batch_size)
		commit(r, r->en.clk.now);
}

void
run_entry(struct run *r, struct logline *ll, int truncated)
{
	engine_entry(&r->en, ll, truncated);
	r->cur.moved = 1;
	if (r->ker.k.pending(r->ker.k.ctx) >= r->cfg->batch_size)
		commit(r, r->en.clk.now);
}

void
run_cursor_moved(struct run *r)
{
	r->cur.moved = 1;
}

int
run_saved_cursor(struct run *r, char *buf, size_t len)
{
	open_state(r, r->en.clk.now);
	if (r->sta.st == NULL || r->cur.source == NULL)
		return r->sta.st == NULL ? -1 : 0;
	return state_cursor_get(r->sta.st, r->cur.source, buf, len, NULL);
}

/*
 * Without a kernel, a ban decision is kept only by the state file, or
 * until it can be written by the backlog (and the journal its line): when
 * the backlog is full, no more lines are taken (answered with an error,
 * so that rsyslog keeps them) rather than dropping decisions that are in
 * no kernel.  Said once per episode.
 */
static int
can_keep(struct run *r)
{
	static int said;

	if (!r->ker.absent || r->sta.bl.n < r->sta.bl.max) {
		said = 0;
		return 1;
	}
	commit(r, r->en.clk.now); /* the state file may take them now */
	if (r->sta.bl.n < r->sta.bl.max)
		return 1;
	if (!said)
		msg_warn("%zu ban decisions wait for both the kernel and the state "
		    "file, which is all that can be kept: lines are no longer "
		    "confirmed (rsyslog keeps them) until one of them works",
		    r->sta.bl.n);
	said = 1;
	return 0;
}

/*
 * One line in omprog mode.  Every message that matched is in the journal
 * before it is answered (or, when the journal cannot take it, what it
 * decided is committed first).  Without transactions, a message that
 * decided a ban is answered only once the ban is in the kernel (and, when
 * it can be written, the state file); if the kernel part must wait for a
 * retry, the answer is an error, so rsyslog suspends the action and sends
 * the message again: the retry commits what is still queued.  With
 * transactions, messages are answered DEFER_COMMIT and the commit mark is
 * answered OK once the whole batch is in the kernel, its bans and the
 * scores it added are in the state file.  rsyslog does not send the
 * DEFER_COMMIT messages again when mailban dies in the middle of a
 * transaction (only the one in flight): the journal is what keeps them.
 */
const char *
run_omprog(struct run *r, const char *line, size_t len, int truncated)
{
	static const char retry[] = "ERROR kernel commit incomplete; retry";
	const struct run_kernel *k = &r->ker.k;
	int kept, rc = 0;

	switch (omprog_classify(line, len)) {
	case OMPROG_BEGIN:
		r->jou.in_txn = 1;
		return "OK";
	case OMPROG_COMMIT:
		r->jou.in_txn = 0;
		return settle(r, r->en.clk.now) < 0 ? retry : "OK";
	case OMPROG_MESSAGE:
		break;
	}
	if (!can_keep(r))
		return "ERROR mailban cannot keep more ban decisions; retry";
	kept = journal_line(r, line, len, truncated);
	if (kept < 0) {
		rc = settle(r, r->en.clk.now);
	} else if (r->jou.in_txn) {
		/* a kernel failure here is retried at the commit mark */
		if (k->pending(k->ctx) >= r->cfg->batch_size)
			settle(r, r->en.clk.now);
	} else if (k->pending(k->ctx) > 0 || r->sta.bl.n > 0) {
		rc = commit(r, r->en.clk.now);
	}
	if (rc < 0)
		return retry;
	return r->jou.in_txn ? "DEFER_COMMIT" : "OK";
}

int
run_poll_ms(const struct run *r)
{
	if (r->ker.k.pending(r->ker.k.ctx) > 0 || r->sta.bl.n > 0 ||
	    (r->jou.jr != NULL && journal_size(r->jou.jr) > 0) || r->cur.moved)
		return (int)r->cfg->batch_idle_ms;
	return 1000;
}

void
run_idle(struct run *r, int64_t now)
{
	if (!r->jou.in_txn)
		settle(r, now);
	tick(r, now);
}

void
run_wake(struct run *r, int64_t now)
{
	if (now != r->en.clk.now)
		tick(r, now);
}

void
run_reload(struct run *r, struct config *cfg, int64_t now)
{
	const struct config *old = r->cfg;

	if (cfg->policy != old->policy || cfg->nports != old->nports ||
	    memcmp(cfg->ports, old->ports, sizeof(cfg->ports)) != 0 ||
	    strcmp(cfg->set4, old->set4) != 0 ||
	    strcmp(cfg->set6, old->set6) != 0 || cfg->maxelem != old->maxelem ||
	    strcmp(cfg->state, old->state) != 0)
		msg_warn("reload: policy, ports, sets and state take effect only "
		    "after \"mailban setup\" and a restart; until then the "
		    "running ones stay in force");
	save_stats(r, now); /* counters are per pattern of the old set */
	engine_set_config(&r->en, cfg);
	/* the kernel and the state keep the first configuration */
	if (r->cfg != r->kcfg)
		config_free(r->cfg);
	r->cfg = cfg;
	pattern_counters(r);
	msg_info("reloaded %s: %zu patterns", cfg->path,
	    pattern_count(cfg->patterns));
}

int
run_finish(struct run *r, int64_t now)
{
	const struct run_kernel *k = &r->ker.k;
	int rc = 0;

	r->sta.last_try = 0; /* one more attempt at the state file, now */
	settle(r, now);
	save_stats(r, now);
	r->views.last_zone = 0;
	write_zone(r, now);
	write_metrics(r, now, 1);
	if (k->pending(k->ctx) > 0) {
		msg_warn("%zu queued kernel entries could not be committed",
		    k->pending(k->ctx));
		rc = 1;
	}
	if (k->dropped(k->ctx) > 0) {
		msg_warn("%zu kernel entries were refused and not applied "
		    "(each reported above)", k->dropped(k->ctx));
		rc = 1;
	}
	if (r->sta.bl.n > 0) {
		msg_warn("%zu ban records could not be written to the state file "
		    "%s (%s)", r->sta.bl.n, r->kcfg->state, r->ker.absent ?
		    "nor to the kernel: they are lost unless the journal keeps "
		    "their lines" : "they are in the kernel");
		rc = 1;
	}
	if (r->cur.moved) {
		msg_warn("the journal cursor could not be saved in %s: the next "
		    "run reads again the entries since the last one saved",
		    r->kcfg->state);
		rc = 1;
	}
	if (r->ker.absent && r->ker.waiting > 0)
		msg_warn("%" PRIu64 " ban decisions never reached the kernel; the "
		    "next mailban that can reach it applies them from the state "
		    "file", r->ker.waiting);
	msg_info("exiting: %" PRIu64 " lines, %" PRIu64 " matched, %" PRIu64
	    " bans, %" PRIu64 " malformed, %" PRIu64 " over-long",
	    r->en.st.lines, r->en.st.matched, r->en.st.bans, r->en.st.malformed,
	    r->en.st.overlong);
	msg_info("kernel: %" PRIu64 " entries committed in %.3f s",
	    r->cnt.committed, r->cnt.kernel_secs);
	if (r->jou.jr != NULL && journal_size(r->jou.jr) > 0) {
		msg_warn("%s keeps %" PRIu64 " bytes of lines whose bans or "
		    "scores are not committed; the next run reads them again",
		    journal_path(r->jou.jr), journal_size(r->jou.jr));
		rc = 1;
	}
	return rc;
}

void
run_stats(const struct run *r, struct run_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->lines = r->en.st.lines;
	s->matched = r->en.st.matched;
	s->bans = r->en.st.bans;
	s->committed = r->cnt.committed;
	s->kernel_failures = r->cnt.kernel_failures;
	s->backlog = r->sta.bl.n;
	s->backlog_room = r->sta.bl.cap;
	s->backlog_dropped = r->sta.bl.dropped_total;
	s->backlog_copies = r->sta.bl.copies;
	s->state_open = r->sta.st != NULL;
	s->kernel_absent = r->ker.absent;
	s->bans_waiting = r->ker.waiting;
	s->degraded = r->health.since != 0;
	s->journal_bytes = r->jou.jr != NULL ? journal_size(r->jou.jr) : 0;
	s->cursor_saves = r->cur.saves;
}

void
run_free(struct run *r)
{
	if (r == NULL)
		return;
	engine_free(&r->en);
	journal_close(r->jou.jr);
	state_close(r->sta.st);
	free(r->sta.bl.v);
	addr_list_free(&r->sta.allow);
	free(r->ev.v);
	free(r->cnt.pm_matches);
	free(r->cnt.notices);
	free(r->cnt.pm_bans);
	msg_set_warn_hook(NULL);
	if (r->cfg != r->kcfg)
		config_free(r->cfg);
	config_free(r->kcfg);
	free(r);
}
