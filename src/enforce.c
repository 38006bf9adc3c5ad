/*
 * NAME
 *	enforce - the commands that change the kernel and the state: run,
 *	restore, setup, list, unban, flush
 * DESCRIPTION
 *	run: restore the active bans from the state file in one batch, then
 *	read lines on stdin; every ban decision is queued, and the queue is
 *	committed (kernel first, then the state file in one transaction) when
 *	it holds batch.size bans, when input has been idle for batch.idle, at
 *	EOF, and on SIGTERM or SIGINT before exiting.  Once a second while
 *	idle, bans lifted by "mailban unban"/"flush" are forgotten from memory;
 *	once an hour, bans longer than the kernel's largest timeout are
 *	re-added so that they hold for their whole length.  With --omprog,
 *	every line that matched is in the journal (journal.h) before it is
 *	answered, until what it decided is committed.
 *
 *	restore: the active bans into the kernel in one batch, and the
 *	rbldnsd zone files when a zone is configured.
 *
 *	A state file that cannot be opened or written never stops enforcement:
 *	the failure is reported, the unwritten records are kept and retried.
 * SECURITY
 *	Runs as root (needs CAP_NET_ADMIN).  Input lines are hostile; only
 *	validated struct addr values reach libipset and SQLite.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "engine.h"
#include "fmt.h"
#include "htmlreport.h"
#include "journal.h"
#include "kset.h"
#include "lineio.h"
#include "log.h"
#include "omprog.h"
#include "state.h"
#include "zone.h"

#define REFRESH_EVERY SECONDS_HOUR /* seconds between long-ban refreshes */
#define PRESENCE_EVERY 2 /* seconds between checks that the sets exist */
#define STATE_RETRY 2 /* seconds between attempts to open the state */
#define STATE_BACKLOG_MAX 1000000 /* unwritten ban records kept */

static volatile sig_atomic_t got_stop, got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static double
monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t
kernel_timeout(int64_t left)
{
	if (left <= 0)
		return 1;
	return left > KSET_MAX_TIMEOUT ? KSET_MAX_TIMEOUT : (uint32_t)left;
}

static struct kset *
open_kset(const struct config *cfg)
{
	char err[512];
	struct kset *ks = kset_open(cfg, err, sizeof(err));

	if (ks == NULL)
		msg_fatal("%s", err);
	if (kset_ensure(ks, err, sizeof(err)) < 0)
		msg_fatal("%s", err);
	return ks;
}

/* --- queue everything active in the state file --- */

struct requeue {
	struct kset *ks;
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
	kset_queue_add(rq->ks, &b->addr, kernel_timeout(b->until - rq->now));
	rq->n++;
	return 0;
}

static int
requeue_active(struct state *st, struct kset *ks, int64_t now,
    int64_t min_duration, size_t *count)
{
	struct requeue rq = {ks, now, min_duration, 0};
	int rc;

	rc = state_active(st, now, requeue_one, &rq);
	if (count != NULL)
		*count = rq.n;
	return rc;
}

/* --- run --- */

struct runner {
	struct config *cfg; /* patterns, scores: replaced on SIGHUP */
	struct config *kcfg; /* sets, policy, state: fixed for the run */
	struct engine en;
	struct kset *ks;
	struct state *st;
	int omprog; /* lines are answered: journal them (--omprog) */
	struct journal *jr; /* lines answered, their effects not committed */
	int64_t last_journal_try;
	int journal_warned;
	int line_kept; /* the last line matched: it must be journaled */
	uint64_t dirty_lost; /* tracker's count when the journal opened: once
			       * it grows, lines stay for the next start */
	struct state_ban *backlog; /* bans not yet in the state file */
	size_t nbacklog, capbacklog;
	int64_t last_state_try;
	int64_t last_refresh;
	int64_t last_lifted_poll;
	uint64_t committed, kernel_failures;
	double kernel_secs; /* time spent in kset_commit() */
	uint64_t *pm_matches, *pm_bans; /* per pattern, since the last tick */
	size_t npm;
	/* what the published views (zone files, report page) show: changes
	 * counts writes of bans to the state and bans lifted by others; each
	 * view remembers the count it last showed (0: never written) */
	uint64_t changes;
	uint64_t zone_seen;
	int64_t zone_next; /* earliest end of an active ban in the zone */
	int64_t last_zone;
	size_t recreated; /* kset_recreated() already answered */
	int64_t last_presence;
	uint64_t page_seen;
	int64_t last_page;
};

/* The last warnings, for the errors table (status). */
#define WARN_RING 32
static char warn_ring[WARN_RING][256];
static int64_t warn_time[WARN_RING];
static unsigned warn_head, warn_n;

static void
keep_warning(const char *text)
{
	unsigned i = (warn_head + warn_n) % WARN_RING;

	snprintf(warn_ring[i], sizeof(warn_ring[i]), "%s", text);
	warn_time[i] = cmd_now();
	if (warn_n < WARN_RING)
		warn_n++;
	else
		warn_head = (warn_head + 1) % WARN_RING;
}

static void
pattern_counters(struct runner *r)
{
	free(r->pm_matches);
	free(r->pm_bans);
	r->npm = pattern_count(r->cfg->patterns);
	r->pm_matches = xcalloc(r->npm + 1, sizeof(*r->pm_matches));
	r->pm_bans = xcalloc(r->npm + 1, sizeof(*r->pm_bans));
}

static void
run_on_match(void *ctx, const struct engine_match *m)
{
	struct runner *r = ctx;

	if (!m->duplicate)
		r->pm_matches[pattern_index(m->pat)]++;
	if (!m->duplicate && !m->ignored)
		r->line_kept = 1;
}

static void
open_state(struct runner *r, int64_t now)
{
	if (r->st != NULL || now - r->last_state_try < STATE_RETRY)
		return;
	r->last_state_try = now;
	r->st = state_open(r->kcfg->state, 0);
	if (r->st == NULL)
		msg_warn("state %s unavailable; bans still reach the kernel, "
		    "retrying every %ds", r->kcfg->state, STATE_RETRY);
}

static void
run_on_ban(void *ctx, const struct engine_match *m,
    const struct ban_decision *d)
{
	struct runner *r = ctx;
	struct state_ban *b;
	char ip[ADDR_STRLEN], tb[32], db[32];
	size_t hl;

	kset_queue_add(r->ks, &d->addr, kernel_timeout(d->duration));
	if (r->nbacklog == STATE_BACKLOG_MAX) {
		msg_warn("state backlog full: the oldest unwritten ban record is "
		    "dropped from the state file (it is in the kernel)");
		memmove(r->backlog, r->backlog + 1,
		    (r->nbacklog - 1) * sizeof(*r->backlog));
		r->nbacklog--;
	}
	if (r->nbacklog == r->capbacklog) {
		r->capbacklog = r->capbacklog ? r->capbacklog * 2 : 256;
		r->backlog = xreallocarray(r->backlog, r->capbacklog,
		    sizeof(*r->backlog));
	}
	r->pm_bans[pattern_index(d->pat)]++;
	b = &r->backlog[r->nbacklog++];
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

/* A set vanished and was re-created: every active ban goes back in. */
static void
repair_sets(struct runner *r, int64_t now)
{
	char err[512];
	size_t n = 0;

	if (!kset_present(r->ks)) {
		msg_warn("a ban set has vanished; re-creating it");
		if (kset_ensure(r->ks, err, sizeof(err)) < 0) {
			msg_warn("%s", err);
			return;
		}
	} else if (kset_recreated(r->ks) == r->recreated) {
		return;
	}
	r->recreated = kset_recreated(r->ks);
	open_state(r, now);
	if (r->st != NULL && requeue_active(r->st, r->ks, now, 0, &n) == 0)
		msg_warn("re-adding %zu active bans to the re-created sets", n);
	if (kset_commit(r->ks) < 0)
		r->kernel_failures++;
	r->recreated = kset_recreated(r->ks);
}

/*
 * Kernel first, then the state file.  0 when every queued ban is in the
 * kernel (refused entries are reported and counted, not retried forever);
 * -1 when some wait for a retry.
 */
static int
run_commit(struct runner *r, int64_t now)
{
	size_t n = kset_pending(r->ks);

	if (n > 0) {
		double t0 = monotonic();

		if (kset_commit(r->ks) < 0)
			r->kernel_failures++;
		r->kernel_secs += monotonic() - t0;
		r->committed += n - kset_pending(r->ks);
		if (kset_recreated(r->ks) != r->recreated)
			repair_sets(r, now);
	}
	if (r->nbacklog > 0) {
		open_state(r, now);
		if (r->st != NULL) {
			if (state_record(r->st, r->backlog, r->nbacklog) == 0) {
				r->nbacklog = 0;
				r->changes++;
			} else {
				msg_warn("state: %zu ban records not written yet; "
				    "will retry", r->nbacklog);
				state_close(r->st);
				r->st = NULL;
			}
		}
	}
	return kset_pending(r->ks) == 0 ? 0 : -1;
}

struct score_writer {
	struct state *st;
	int ok;
	size_t n, cap;
	struct addr *done; /* listed again if the transaction fails */
};

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

/* Per-pattern counters and kept warnings to the state file. */
static void
save_stats(struct runner *r, int64_t now)
{
	struct state_stat *v;
	size_t i, n = 0;

	if (r->st == NULL)
		return;
	v = xcalloc(r->npm + 1, sizeof(*v));
	for (i = 0; i < r->npm; i++) {
		if (r->pm_matches[i] == 0 && r->pm_bans[i] == 0)
			continue;
		v[n].hour = now / SECONDS_HOUR;
		v[n].pattern = pattern_name(pattern_get(r->cfg->patterns, i));
		v[n].matches = r->pm_matches[i];
		v[n].bans = r->pm_bans[i];
		n++;
	}
	if (state_stats_add(r->st, v, n) == 0) {
		memset(r->pm_matches, 0, r->npm * sizeof(*r->pm_matches));
		memset(r->pm_bans, 0, r->npm * sizeof(*r->pm_bans));
	}
	free(v);
	while (warn_n > 0 && r->st != NULL) {
		if (state_error_add(r->st, warn_time[warn_head],
			warn_ring[warn_head]) < 0)
			break;
		warn_head = (warn_head + 1) % WARN_RING;
		warn_n--;
	}
}

/* Scores in flight to the state file, one transaction: 0 when every
 * changed score is written; otherwise they stay listed for the next try. */
static int
save_scores(struct runner *r)
{
	struct score_writer w = {r->st, 1, 0, 0, NULL};
	size_t i;

	if (tracker_dirty_count(r->en.tr) == 0)
		return 0; /* no transaction for nothing: omprog commits often */
	if (r->st == NULL)
		return -1; /* the list waits for the state file */
	if (state_scores_begin(r->st) < 0) {
		w.ok = 0;
		w.st = NULL;
	}
	tracker_drain_dirty(r->en.tr, score_one, &w);
	if (w.st != NULL && state_scores_end(w.st, w.ok) < 0)
		w.ok = 0;
	if (!w.ok)
		for (i = 0; i < w.n; i++)
			tracker_mark_dirty(r->en.tr, &w.done[i]);
	free(w.done);
	return w.ok ? 0 : -1;
}

/*
 * Once everything the lines read so far decided (bans in the kernel and
 * the state file, scores in the state file) is committed, the journal
 * that kept those lines is emptied.
 */
static void
settle_journal(struct runner *r)
{
	struct tracker_stats ts;

	if (kset_pending(r->ks) > 0 || r->nbacklog > 0 || save_scores(r) < 0)
		return;
	tracker_get_stats(r->en.tr, &ts);
	/* score changes the tracker could not list were never written: their
	 * lines stay for the next start */
	if (ts.dirty_lost != r->dirty_lost)
		return;
	if (r->jr != NULL)
		journal_clear(r->jr);
}

/* run_commit(), then the scores and the journal: 0 as run_commit(). */
static int
run_settle(struct runner *r, int64_t now)
{
	int rc = run_commit(r, now);

	settle_journal(r);
	return rc;
}

static void
replay_one(void *ctx, const char *line, size_t len)
{
	struct runner *r = ctx;

	engine_line(&r->en, line, len, 0);
}

/* The journal beside the state file; what a stopped mailban left there is
 * read again first.  Until it opens, matching lines are committed before
 * they are answered. */
static void
open_journal(struct runner *r, int64_t now)
{
	char err[1024];
	struct tracker_stats ts;
	long n;

	if (!r->omprog || r->jr != NULL ||
	    now - r->last_journal_try < STATE_RETRY)
		return;
	r->last_journal_try = now;
	r->jr = journal_open(r->kcfg->state, err, sizeof(err));
	if (r->jr == NULL) {
		if (!r->journal_warned)
			msg_warn("journal %s; each line that matches is committed "
			    "before it is answered, retrying every %ds", err,
			    STATE_RETRY);
		r->journal_warned = 1;
		return;
	}
	if (r->journal_warned)
		msg_info("journal %s opened", journal_path(r->jr));
	r->journal_warned = 0;
	tracker_get_stats(r->en.tr, &ts);
	r->dirty_lost = ts.dirty_lost;
	n = journal_replay(r->jr, replay_one, r);
	if (n < 0) { /* left as it is, for the administrator */
		journal_close(r->jr);
		r->jr = NULL;
		r->journal_warned = 1;
		return;
	}
	if (n > 0) {
		msg_info("read %ld lines again from %s: a mailban stopped before "
		    "their bans and scores were committed", n, journal_path(r->jr));
		run_settle(r, now);
	}
}

/*
 * One line through the engine (omprog).  A line that matched is journaled
 * before it is answered; -1 when it could not be, so that the caller
 * commits what it decided first.
 */
static int
run_line(struct runner *r, const char *line, size_t len, int trunc)
{
	r->line_kept = 0;
	engine_line(&r->en, line, len, trunc);
	if (!r->line_kept)
		return 0;
	if (r->jr != NULL && journal_append(r->jr, line, len) == 0)
		return 0;
	return -1;
}

/* report.html again after bans were committed, at most every report.every
 * seconds; a failed write is a warning (in htmlreport), retried later. */
static void
run_page(struct runner *r, int64_t now)
{
	const struct config *cfg = r->cfg;

	if (cfg->report_html[0] == '\0' || now - r->last_page < cfg->report_every ||
	    r->changes == r->page_seen)
		return;
	r->last_page = now;
	if (htmlreport_update(r->st, cfg, cfg->report_html, now) == 0)
		r->page_seen = r->changes;
}

static void
seed_scores(void *ctx, const struct addr *a, const struct score_event *ev,
    size_t n, int64_t last_seen)
{
	struct runner *r = ctx;

	(void)last_seen;
	tracker_seed_events(r->en.tr, a, ev, n, r->en.clk.now);
}

static int
lifted_one(void *ctx, const struct state_ban *b)
{
	struct runner *r = ctx;

	tracker_unban(r->en.tr, &b->addr);
	r->changes++;
	return 0;
}

static int
seed_one(void *ctx, const struct state_ban *b)
{
	struct runner *r = ctx;

	tracker_seed(r->en.tr, &b->addr, b->count, b->last_ban, b->until);
	return 0;
}

/* The rbldnsd zone, when bans changed or one ran out, at most every N s. */
static void
run_zone(struct runner *r, int64_t now)
{
	const struct config *cfg = r->cfg;
	uint64_t n;

	if ((cfg->zone4 == NULL && cfg->zone6 == NULL) || r->st == NULL)
		return;
	if (r->changes == r->zone_seen &&
	    !(r->zone_next != 0 && now >= r->zone_next))
		return;
	if (now - r->last_zone < cfg->zone_every)
		return;
	r->last_zone = now;
	if (zone_write(cfg, r->st, now, &r->zone_next, &n) == 0)
		r->zone_seen = r->changes;
}

/* Once a second when idle: the clock, lifted bans, long-ban refresh. */
static void
run_tick(struct runner *r, int64_t now)
{
	engine_set_now(&r->en, now);
	if (now - r->last_presence >= PRESENCE_EVERY) {
		r->last_presence = now;
		repair_sets(r, now);
	}
	open_state(r, now);
	open_journal(r, now);
	if (r->st == NULL)
		return;
	if (now != r->last_lifted_poll) {
		state_lifted_since(r->st, r->last_lifted_poll - 1, lifted_one, r);
		r->last_lifted_poll = now;
	}
	settle_journal(r);
	save_stats(r, now);
	run_zone(r, now);
	if (now - r->last_refresh >= REFRESH_EVERY) {
		size_t n = 0;

		r->last_refresh = now;
		state_expire(r->st, now - r->kcfg->forget);
		requeue_active(r->st, r->ks, now, KSET_MAX_TIMEOUT + 1, &n);
		if (n > 0)
			msg_info("refreshing %zu bans longer than the kernel's "
			    "largest timeout", n);
	}
	run_page(r, now);
}

static void
run_restore(struct runner *r, int64_t now)
{
	size_t n = 0;

	open_state(r, now);
	if (r->st != NULL) {
		state_history(r->st, now - r->cfg->forget, seed_one, r);
		state_scores(r->st, now - r->cfg->window, seed_scores, r);
		requeue_active(r->st, r->ks, now, 0, &n);
		r->last_refresh = now;
		r->last_lifted_poll = now;
		if (n > 0) {
			msg_info("restoring %zu active bans", n);
			run_commit(r, now);
		}
	}
	open_journal(r, now);
}

/*
 * SIGHUP: load the configuration again.  A broken file keeps the running
 * configuration (the error names FILE:LINE).  Patterns, scores, threshold,
 * window, ban times and the ignore list take effect at once; the sets,
 * policy, ports and state file are the kernel's and the database's, and
 * change only with "mailban setup" and a restart.
 */
static void
run_reload(struct runner *r, const struct cmdline *cl)
{
	const struct config *old = r->cfg;
	struct config *cfg;
	char err[1024];

	cfg = config_load(cl->config, cl->overrides, cl->noverrides, err,
	    sizeof(err));
	if (cfg == NULL) {
		msg_warn("reload: %s; keeping the running configuration", err);
		return;
	}
	if (cfg->policy != old->policy || cfg->nports != old->nports ||
	    memcmp(cfg->ports, old->ports, sizeof(cfg->ports)) != 0 ||
	    strcmp(cfg->set4, old->set4) != 0 ||
	    strcmp(cfg->set6, old->set6) != 0 || cfg->maxelem != old->maxelem ||
	    strcmp(cfg->state, old->state) != 0)
		msg_warn("reload: policy, ports, sets and state take effect only "
		    "after \"mailban setup\" and a restart; until then the "
		    "running ones stay in force");
	save_stats(r, cmd_now()); /* counters are per pattern of the old set */
	engine_set_config(&r->en, cfg);
	/* the kset and the state keep pointing at the first configuration */
	if (r->cfg != r->kcfg)
		config_free(r->cfg);
	r->cfg = cfg;
	pattern_counters(r);
	msg_info("reloaded %s: %zu patterns", cfg->path,
	    pattern_count(cfg->patterns));
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
static int
omprog_line(struct runner *r, const char *line, size_t len, int trunc,
    int *in_txn)
{
	int kept, rc = 0;

	switch (omprog_classify(line, len)) {
	case OMPROG_BEGIN:
		*in_txn = 1;
		return omprog_reply("OK");
	case OMPROG_COMMIT:
		*in_txn = 0;
		if (run_settle(r, r->en.clk.now) < 0)
			return omprog_reply("ERROR kernel commit incomplete; retry");
		return omprog_reply("OK");
	case OMPROG_MESSAGE:
		break;
	}
	kept = run_line(r, line, len, trunc);
	if (kept < 0) {
		rc = run_settle(r, r->en.clk.now);
	} else if (*in_txn) {
		/* a kernel failure here is retried at the commit mark */
		if (kset_pending(r->ks) >= r->cfg->batch_size)
			run_settle(r, r->en.clk.now);
	} else if (kset_pending(r->ks) > 0 || r->nbacklog > 0) {
		rc = run_commit(r, r->en.clk.now);
	}
	if (rc < 0)
		return omprog_reply("ERROR kernel commit incomplete; retry");
	return omprog_reply(*in_txn ? "DEFER_COMMIT" : "OK");
}

int
cmd_run(struct cmdline *cl)
{
	struct runner r;
	struct engine_hooks hooks;
	struct lineio lr;
	struct pollfd pfd;
	const char *line;
	size_t len;
	int trunc, timeout, rc = 0, in_txn = 0;
	enum lineio_status s;
	int64_t now;
	long n;

	memset(&r, 0, sizeof(r));
	r.changes = 1; /* the views are written once at start */
	r.cfg = r.kcfg = cmd_load_config(cl);
	install_signals();
	r.ks = open_kset(r.kcfg);
	now = cmd_now();
	r.last_state_try = now - STATE_RETRY;
	r.last_journal_try = now - STATE_RETRY;
	r.omprog = cl->omprog;
	hooks.on_match = run_on_match;
	hooks.on_ban = run_on_ban;
	hooks.ctx = &r;
	engine_init(&r.en, r.cfg, now, 1, &hooks);
	pattern_counters(&r);
	msg_set_warn_hook(keep_warning);
	tracker_keep_dirty(r.en.tr);
	run_restore(&r, now);
	if (cl->omprog && omprog_reply("OK") < 0)
		got_stop = 1;

	lineio_init(&lr, 0, LINEIO_MAXLINE);
	while (!got_stop) {
		if (got_hup) {
			got_hup = 0;
			run_reload(&r, cl);
		}
		s = lineio_next(&lr, &line, &len, &trunc);
		if (s == LINEIO_LINE) {
			if (cl->omprog) {
				if (omprog_line(&r, line, len, trunc, &in_txn) < 0)
					break;
			} else {
				engine_line(&r.en, line, len, trunc);
				if (kset_pending(r.ks) >= r.cfg->batch_size)
					run_commit(&r, r.en.clk.now);
			}
			continue;
		}
		if (s == LINEIO_EOF)
			break;
		pfd.fd = 0;
		pfd.events = POLLIN;
		timeout = kset_pending(r.ks) || r.nbacklog ||
		    (r.jr != NULL && journal_size(r.jr) > 0) ?
		    (int)r.cfg->batch_idle_ms : 1000;
		n = poll(&pfd, 1, timeout);
		now = cmd_now();
		if (n == 0) {
			if (!in_txn)
				run_settle(&r, now);
			run_tick(&r, now);
			continue;
		}
		if (n < 0) {
			if (errno != EINTR)
				msg_fatal("poll: %s", strerror(errno));
			continue;
		}
		if (now != r.en.clk.now)
			run_tick(&r, now);
		n = lineio_fill(&lr);
		if (n < 0 && errno != EINTR && errno != EAGAIN) {
			msg_warn("stdin: read: %s", strerror(errno));
			break;
		}
	}
	r.last_state_try = 0; /* one more attempt at the state file, now */
	run_settle(&r, cmd_now());
	save_stats(&r, cmd_now());
	r.last_zone = 0;
	run_zone(&r, cmd_now());
	if (kset_pending(r.ks) > 0) {
		msg_warn("%zu queued kernel entries could not be committed",
		    kset_pending(r.ks));
		rc = 1;
	}
	if (kset_dropped(r.ks) > 0) {
		msg_warn("%zu kernel entries were refused and not applied "
		    "(each reported above)", kset_dropped(r.ks));
		rc = 1;
	}
	if (r.nbacklog > 0) {
		msg_warn("%zu ban records could not be written to the state file "
		    "%s (they are in the kernel)", r.nbacklog, r.kcfg->state);
		rc = 1;
	}
	msg_info("exiting: %" PRIu64 " lines, %" PRIu64 " matched, %" PRIu64
	    " bans, %" PRIu64 " malformed, %" PRIu64 " over-long",
	    r.en.st.lines, r.en.st.matched, r.en.st.bans, r.en.st.malformed,
	    r.en.st.overlong);
	msg_info("kernel: %" PRIu64 " entries committed in %.3f s", r.committed,
	    r.kernel_secs);
	if (r.jr != NULL && journal_size(r.jr) > 0) {
		msg_warn("%s keeps %" PRIu64 " bytes of lines whose bans or "
		    "scores are not committed; the next run reads them again",
		    journal_path(r.jr), journal_size(r.jr));
		rc = 1;
	}
	lineio_free(&lr);
	engine_free(&r.en);
	journal_close(r.jr);
	state_close(r.st);
	free(r.backlog);
	free(r.pm_matches);
	free(r.pm_bans);
	msg_set_warn_hook(NULL);
	kset_close(r.ks);
	if (r.cfg != r.kcfg)
		config_free(r.cfg);
	config_free(r.kcfg);
	return rc;
}

/* --- restore, setup --- */

int
cmd_restore(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct kset *ks = open_kset(cfg);
	struct state *st = state_open(cfg->state, 0);
	size_t n = 0;
	int rc = 0;

	if (st == NULL)
		rc = 1;
	else if (requeue_active(st, ks, cmd_now(), 0, &n) < 0)
		rc = 1;
	if (n > 0 && kset_commit(ks) < 0)
		rc = 1;
	/* the zone too, so that rbldnsd can start before the first log line */
	if (st != NULL && (cfg->zone4 != NULL || cfg->zone6 != NULL)) {
		int64_t next;

		if (zone_write(cfg, st, cmd_now(), &next, NULL) < 0)
			rc = 1;
	}
	if (rc == 0)
		printf("restored %zu active bans\n", n);
	state_close(st);
	kset_close(ks);
	config_free(cfg);
	return rc;
}

int
cmd_setup(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	int rc = kset_setup(cfg, cl->print) < 0 ? 1 : 0;

	config_free(cfg);
	return rc;
}

/* --- list, unban, flush --- */

struct lister {
	FILE *out;
	int json;
	int64_t now;
	size_t n;
};

static int
list_one(void *ctx, const struct state_ban *b)
{
	struct lister *l = ctx;
	char ip[ADDR_STRLEN], tb[32], db[32];

	addr_format(&b->addr, ip);
	if (l->json) {
		fprintf(l->out, "{\"ip\":\"%s\",\"left\":%" PRId64
		    ",\"until\":\"%s\",\"duration\":%" PRId64 ",\"count\":%u"
		    ",\"score\":%ld,\"pattern\":",
		    ip, b->until - l->now, fmt_time(tb, sizeof(tb), b->until),
		    b->duration, b->count, b->score);
		fmt_json_string(l->out, b->pattern, strlen(b->pattern));
		fputs(",\"host\":", l->out);
		fmt_json_string(l->out, b->host, strlen(b->host));
		fprintf(l->out, ",\"since\":\"%s\"}\n",
		    fmt_time(tb, sizeof(tb), b->last_ban));
	} else {
		if (l->n == 0)
			fprintf(l->out, "%-39s %10s %5s  %-28s %s\n", "ADDRESS",
			    "LEFT", "BANS", "PATTERN", "HOST");
		fprintf(l->out, "%-39s %10s %5u  %-28s %s\n", ip,
		    fmt_left(db, sizeof(db), b->until - l->now), b->count,
		    b->pattern, b->host);
	}
	l->n++;
	return 0;
}

int
cmd_list(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct lister l = {stdout, cl->json, cmd_now(), 0};
	struct state *st;
	int rc = 0;

	if (access(cfg->state, F_OK) < 0 && errno == ENOENT) {
		if (!l.json)
			printf("no active bans (no state file %s yet)\n", cfg->state);
		config_free(cfg);
		return 0;
	}
	st = state_open(cfg->state, 1);
	if (st == NULL || state_active(st, l.now, list_one, &l) < 0)
		rc = 1;
	else if (!l.json)
		printf("%zu active ban%s\n", l.n, l.n == 1 ? "" : "s");
	state_close(st);
	config_free(cfg);
	return rc;
}

int
cmd_unban(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct addr *addrs = xcalloc((size_t)cl->nargs, sizeof(*addrs));
	struct kset *ks;
	struct state *st;
	int i, rc = 0, k;
	char ip[ADDR_STRLEN];

	for (i = 0; i < cl->nargs; i++)
		if (addr_parse(cl->args[i], strlen(cl->args[i]), &addrs[i]) < 0) {
			fprintf(stderr, "mailban unban: \"%.64s\" is not an IPv4 or "
			    "IPv6 address\n", cl->args[i]);
			free(addrs);
			config_free(cfg);
			return 2;
		}
	ks = open_kset(cfg);
	st = state_open(cfg->state, 0);
	for (i = 0; i < cl->nargs; i++) {
		addr_format(&addrs[i], ip);
		if (kset_del(ks, &addrs[i]) < 0)
			rc = 1;
		k = st ? state_unban(st, &addrs[i], cmd_now()) : -1;
		if (k < 0)
			rc = 1;
		printf("%s: %s\n", ip, k > 0 ? "unbanned" : "was not banned");
	}
	if (st == NULL)
		rc = 1;
	state_close(st);
	kset_close(ks);
	free(addrs);
	config_free(cfg);
	return rc;
}

int
cmd_flush(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct kset *ks = open_kset(cfg);
	struct state *st = state_open(cfg->state, 0);
	int rc = 0, k = 0;

	if (kset_flush(ks) < 0)
		rc = 1;
	if (st == NULL || (k = state_flush(st, cmd_now())) < 0)
		rc = 1;
	else
		printf("flushed: %d active bans lifted\n", k);
	state_close(st);
	kset_close(ks);
	config_free(cfg);
	return rc;
}
