/*
 * test_run - the loop of "mailban run" driven with lines and a kernel
 * that records what it is asked and fails when told to: bans queued and
 * committed at batch.size and when idle, a failed commit retried, the
 * state file written (a real SQLite file in a temporary directory) and
 * read back by the next run, a vanished set refilled, the omprog answers
 * and the journal, and a flood of bans while the state file cannot be
 * written: the backlog stays within its bound, drops the oldest, warns
 * once, costs a bounded number of record copies per ban, and is written
 * once the state file can be; degraded: a run with no kernel decides
 * into the state file and applies it all once a kernel is attached, stops
 * confirming when nothing can keep a decision, and lines kept while no
 * configuration loaded are scored at their own stamps.  Needs no privilege.
 */
#include <errno.h>
#include <inttypes.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "journal.h"
#include "log.h"
#include "run.h"
#include "state.h"
#include "test.h"

#define T0 1795000000 /* 2026-11-18, the runs' clock */

/* --- a kernel that records --- */

struct fake {
	struct addr *added;
	uint32_t *timeouts;
	size_t nadded, cap;
	size_t pending;
	unsigned commits; /* calls of commit */
	unsigned fail; /* the next commits that fail, leaving all queued */
	int present; /* 0: a set has vanished */
	size_t recreated;
	unsigned ensures;
	int rules; /* what rules_ok answers: 1 in place, 0 gone, -1 unreadable */
	int moving; /* the ruleset keeps changing: never settled */
	int was_gone; /* the previous check found them gone */
	unsigned rule_checks, restores;
	int restore_fails; /* restores fail while set */
	struct addr deleted[8]; /* the first deletions asked */
	size_t ndeleted;
	size_t added_at_del; /* nadded at the last deletion */
};

static void
fake_add(void *ctx, const struct addr *a, uint32_t timeout)
{
	struct fake *f = ctx;

	if (f->nadded == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->added = xreallocarray(f->added, f->cap, sizeof(*f->added));
		f->timeouts = xreallocarray(f->timeouts, f->cap,
		    sizeof(*f->timeouts));
	}
	f->added[f->nadded] = *a;
	f->timeouts[f->nadded++] = timeout;
	f->pending++;
}

/* As kset_del(): queued adds of it dropped, then out of the kernel. */
static int
fake_del(void *ctx, const struct addr *a)
{
	struct fake *f = ctx;

	if (f->ndeleted < sizeof(f->deleted) / sizeof(f->deleted[0]))
		f->deleted[f->ndeleted] = *a;
	f->ndeleted++;
	f->added_at_del = f->nadded;
	return 0;
}

static size_t
fake_pending(void *ctx)
{
	return ((struct fake *)ctx)->pending;
}

/* As kset_commit(): a vanished set is made again, and counted. */
static int
fake_commit(void *ctx)
{
	struct fake *f = ctx;

	f->commits++;
	if (f->fail > 0) {
		f->fail--;
		return -1;
	}
	if (!f->present) {
		f->present = 1;
		f->recreated++;
	}
	f->pending = 0;
	return 0;
}

static size_t
fake_dropped(void *ctx)
{
	(void)ctx;
	return 0;
}

static int
fake_present(void *ctx)
{
	return ((struct fake *)ctx)->present;
}

static int
fake_ensure(void *ctx, char *err, size_t errlen)
{
	struct fake *f = ctx;

	(void)err;
	(void)errlen;
	f->ensures++;
	f->present = 1;
	return 0;
}

static size_t
fake_recreated(void *ctx)
{
	return ((struct fake *)ctx)->recreated;
}

/* As firewall_check(): the rules are gone until restored; settled when
 * they were gone at the previous check too and nothing moved. */
static int
fake_rules_ok(void *ctx, char *msg, size_t len, int *settled)
{
	struct fake *f = ctx;

	f->rule_checks++;
	snprintf(msg, len, "%s", f->rules == 0 ? "IPv4: no rule" : "EPERM");
	*settled = f->rules == 0 && f->was_gone && !f->moving;
	f->was_gone = f->rules == 0;
	return f->rules;
}

static int
fake_rules_restore(void *ctx, char *msg, size_t len)
{
	struct fake *f = ctx;

	f->restores++;
	if (f->restore_fails) {
		snprintf(msg, len, "refused");
		return -1;
	}
	f->rules = 1;
	f->was_gone = 0; /* the ruleset changed */
	return 1;
}

static struct run_kernel
fake_kernel(struct fake *f)
{
	struct run_kernel k = {f, 86400, fake_add, fake_del, fake_pending,
	    fake_commit, fake_dropped, fake_present, fake_ensure,
	    fake_recreated, f, fake_rules_ok, fake_rules_restore};

	memset(f, 0, sizeof(*f));
	f->present = 1;
	f->rules = 1;
	return k;
}

static void
fake_free(struct fake *f)
{
	free(f->added);
	free(f->timeouts);
}

/* --- a directory, a configuration, lines --- */

static char dir[] = "/tmp/test_run.XXXXXX";
static const char *extra_conf = ""; /* appended to test_config()'s text */

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
fresh_dir(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(dir, 0700) < 0)
		msg_fatal("mkdir %s: %s", dir, strerror(errno));
}

/* One pattern that bans at once: "bad ADDR" from program t. */
static struct config *
test_config(const char *state)
{
	char path[256], err[1024];
	struct config *cfg;
	FILE *f;

	xsnprintf(path, sizeof(path), "%s/mailban.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		msg_fatal("%s: %s", path, strerror(errno));
	fprintf(f, "state = \"%s\";\n"
	    "batch = { size = 4; idle = \"50ms\"; };\n"
	    "bantimes = [ \"1h\", \"1d\" ];\n"
	    /* the loop's cases count one ban a line; widening: test_widen */
	    "widen = { count = 0; };\n"
	    "patterns = (\n"
	    "  { name = \"t-bad\"; program = \"t\"; score = 10;\n"
	    "    regex = \"^bad (?<ip>[0-9a-f.:]+)$\"; },\n"
	    "  { name = \"t-odd\"; program = \"t\"; score = 1;\n"
	    "    regex = \"^odd (?<ip>[0-9a-f.:]+)$\"; },\n"
	    "  { name = \"t-mid\"; program = \"t\"; score = 4;\n"
	    "    regex = \"^mid (?<ip>[0-9a-f.:]+)$\"; },\n"
	    "  { name = \"t-dnsbl-error\"; program = \"t\";\n"
	    "    notice = \"dnsbl-error\";\n"
	    "    regex = \"^refused (?<ip>[0-9a-f.:]+)$\"; }\n"
	    ");\n%s\n", state, extra_conf);
	if (fclose(f) != 0)
		msg_fatal("%s: %s", path, strerror(errno));
	if ((cfg = config_load(path, NULL, 0, err, sizeof(err))) == NULL)
		msg_fatal("%s", err);
	return cfg;
}

static char *
state_path(char *buf, size_t len)
{
	xsnprintf(buf, len, "%s/state.db", dir);
	return buf;
}

/* The i-th address of 198.18.0.0/15. */
static const char *
nth(unsigned i, char *buf, size_t len)
{
	xsnprintf(buf, len, "198.%u.%u.%u", 18 + (i >> 16), (i >> 8) & 255,
	    i & 255);
	return buf;
}

static void
line(char *buf, size_t len, const char *what, unsigned i)
{
	char ab[32];

	xsnprintf(buf, len, "2026-11-18T00:00:00+00:00 mx t[1]: %s %s", what,
	    nth(i, ab, sizeof(ab)));
}

/* "bad" lines for addresses from .. to-1 (each one ban). */
static void
bans(struct run *r, unsigned from, unsigned to)
{
	char buf[128];
	unsigned i;

	for (i = from; i < to; i++) {
		line(buf, sizeof(buf), "bad", i);
		run_line(r, buf, strlen(buf), 0);
	}
}

static const char *
omprog(struct run *r, const char *what, unsigned i)
{
	char buf[128];

	if (i == (unsigned)-1)
		return run_omprog(r, what, strlen(what), 0);
	line(buf, sizeof(buf), what, i);
	return run_omprog(r, buf, strlen(buf), 0);
}

static int
count_one(void *ctx, const struct state_ban *b)
{
	(void)b;
	(*(size_t *)ctx)++;
	return 0;
}

/* Active bans in the state file path at now, read by a reader of its
 * own; (size_t)-1 when it cannot be read. */
static size_t
active_in_state_at(const char *path, int64_t now)
{
	struct state *st;
	size_t n = 0;

	if ((st = state_open(path, 1)) == NULL)
		return (size_t)-1;
	if (state_active(st, now, count_one, &n) < 0)
		n = (size_t)-1;
	state_close(st);
	return n;
}

static size_t
active_in_state(int64_t now)
{
	char path[256];

	return active_in_state_at(state_path(path, sizeof(path)), now);
}

struct find {
	struct addr a;
	int found;
};

static int
find_one(void *ctx, const struct state_ban *b)
{
	struct find *q = ctx;

	if (addr_equal(&b->addr, &q->a))
		q->found = 1;
	return 0;
}

/* 1 when the i-th address has an active ban in path at now, else 0. */
static int
is_active_at(const char *path, unsigned i, int64_t now)
{
	struct state *st;
	struct find q;
	char ab[32];

	nth(i, ab, sizeof(ab));
	memset(&q, 0, sizeof(q));
	if (addr_parse(ab, strlen(ab), &q.a) < 0 ||
	    (st = state_open(path, 1)) == NULL)
		return -1;
	state_active(st, now, find_one, &q);
	state_close(st);
	return q.found;
}

static struct run *
new_run(struct fake *f, struct run_kernel *k, int omprog, size_t backlog_max,
    const char *state)
{
	struct run_options opt = {.omprog = omprog, .backlog_max = backlog_max};
	char path[256];

	*k = fake_kernel(f);
	return run_new(test_config(state != NULL ? state :
	    state_path(path, sizeof(path))), k, &opt, T0);
}

/* --- entries with a cursor (run --journal) --- */

struct cursor {
	unsigned n; /* entries given */
	char text[64];
	int bad; /* give what the state file refuses as a cursor */
};

static const char *
cursor_of(void *ctx)
{
	struct cursor *c = ctx;

	xsnprintf(c->text, sizeof(c->text), "s=5eed;i=%x%s", c->n,
	    c->bad ? " (refused)" : "");
	return c->text;
}

/* One entry of program t: "WHAT ADDR", at T0, as sdjournal.c gives it. */
static void
entry(struct run *r, struct cursor *c, const char *what, unsigned i)
{
	struct logline ll;
	char msg[128], ab[32];

	memset(&ll, 0, sizeof(ll));
	xsnprintf(msg, sizeof(msg), "%s %s", what, nth(i, ab, sizeof(ab)));
	ll.prog = "t";
	ll.proglen = 1;
	ll.host = "mx";
	ll.hostlen = 2;
	ll.msg = msg;
	ll.msglen = strlen(msg);
	ll.ts = T0;
	ll.has_ts = 1;
	c->n++;
	run_entry(r, &ll, 0);
}

struct scored {
	struct addr a;
	size_t n;
};

static void
scored_one(void *ctx, const struct addr *a, const struct score_event *ev,
    size_t n, int64_t last_seen)
{
	struct scored *q = ctx;

	(void)ev;
	(void)last_seen;
	if (addr_equal(a, &q->a))
		q->n = n;
}

/* The score events of the i-th address in the state file path. */
static size_t
scored_events(const char *path, unsigned i)
{
	struct state *st = state_open(path, 1);
	struct scored q;
	char ab[32];

	memset(&q, 0, sizeof(q));
	nth(i, ab, sizeof(ab));
	if (st == NULL || addr_parse(ab, strlen(ab), &q.a) < 0) {
		state_close(st);
		return (size_t)-1;
	}
	state_scores(st, 0, scored_one, &q);
	state_close(st);
	return q.n;
}

/* The cursor saved in path, or "" (none), or "?" (unreadable). */
static const char *
saved_cursor(const char *path, char *buf, size_t len)
{
	struct state *st = state_open(path, 1);
	int rc = st != NULL ? state_cursor_get(st, "journal:t", buf, len, NULL) :
	    -1;

	state_close(st);
	if (rc <= 0)
		xsnprintf(buf, len, "%s", rc == 0 ? "" : "?");
	return buf;
}

/*
 * The cursor goes into the state file in the one transaction of the bans
 * and scores its entries led to: when that transaction cannot be written,
 * none of them is, and all of them are at the next try.
 */
static void
cursor_with_bans_and_scores(void)
{
	struct run_options opt = {.cursor_source = "journal:t",
	    .cursor = cursor_of};
	struct cursor c = {0, "", 0};
	struct run_stats s;
	size_t n;
	struct run_kernel k;
	struct state *lock;
	struct fake f;
	struct run *r;
	char path[256], buf[128];

	fresh_dir();
	state_path(path, sizeof(path));
	opt.cursor_ctx = &c;
	k = fake_kernel(&f);
	r = run_new(test_config(path), &k, &opt, T0);
	run_start(r, T0);
	CHECK(run_saved_cursor(r, buf, sizeof(buf)) == 0, "no cursor at first");
	entry(r, &c, "bad", 0);
	entry(r, &c, "odd", 100);
	entry(r, &c, "bad", 1);
	CHECK(run_poll_ms(r) == 50, "entries read: the cursor waits batch.idle");
	run_idle(r, T0);
	CHECK(strcmp(saved_cursor(path, buf, sizeof(buf)), "s=5eed;i=3") == 0,
	    "the cursor of the last entry: %s", buf);
	CHECK(active_in_state(T0) == 2, "with its bans: %zu",
	    active_in_state(T0));
	CHECK(scored_events(path, 100) == 1, "and the score it added");
	/* another writer holds the file: nothing of the next entries is
	 * written, neither bans, nor scores, nor the cursor */
	lock = state_open(path, 0);
	CHECK(lock != NULL && state_batch_begin(lock) == 0, "a writer holds it");
	entry(r, &c, "bad", 2);
	entry(r, &c, "odd", 100);
	run_idle(r, T0 + 1);
	CHECK(strcmp(saved_cursor(path, buf, sizeof(buf)), "s=5eed;i=3") == 0,
	    "the cursor stays: %s", buf);
	CHECK(active_in_state(T0 + 1) == 2, "no ban of the entries after it");
	CHECK(scored_events(path, 100) == 1, "no score of them");
	CHECK(f.nadded == 3, "the kernel has the ban meanwhile: %zu", f.nadded);
	state_batch_end(lock, 0);
	state_close(lock);
	run_idle(r, T0 + 1 + RUN_STATE_RETRY);
	CHECK(strcmp(saved_cursor(path, buf, sizeof(buf)), "s=5eed;i=5") == 0,
	    "then all of them: %s", buf);
	CHECK(active_in_state(T0 + 3) == 3, "the ban");
	CHECK(scored_events(path, 100) == 2, "the score");
	/* the transaction fails after the bans and scores went in (the
	 * cursor is refused): none of them stays */
	c.bad = 1;
	entry(r, &c, "bad", 3);
	entry(r, &c, "odd", 100);
	run_idle(r, T0 + 4);
	CHECK(strcmp(saved_cursor(path, buf, sizeof(buf)), "s=5eed;i=5") == 0,
	    "a failed cursor leaves the last one: %s", buf);
	n = active_in_state(T0 + 4);
	CHECK(n == 3, "and rolls back the ban written before it: %zu", n);
	n = scored_events(path, 100);
	CHECK(n == 2, "and the score: %zu", n);
	c.bad = 0;
	run_idle(r, T0 + 4 + RUN_STATE_RETRY);
	CHECK(strcmp(saved_cursor(path, buf, sizeof(buf)), "s=5eed;i=7") == 0,
	    "the next try writes it all: %s", buf);
	CHECK(active_in_state(T0 + 6) == 4 && scored_events(path, 100) == 3,
	    "the ban and the score with it");
	CHECK(run_finish(r, T0 + 7) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);

	/* the next run knows where reading stopped */
	c.n = 7;
	k = fake_kernel(&f);
	r = run_new(test_config(path), &k, &opt, T0 + 10);
	run_start(r, T0 + 10);
	CHECK(run_saved_cursor(r, buf, sizeof(buf)) == 1 &&
	    strcmp(buf, "s=5eed;i=7") == 0, "the next run reads it: %s", buf);
	/* 8 points for address 200, saved with the cursor */
	entry(r, &c, "mid", 200);
	entry(r, &c, "mid", 200);
	run_idle(r, T0 + 11);
	n = scored_events(path, 200);
	CHECK(n == 2, "two events saved: %zu", n);
	CHECK(run_finish(r, T0 + 12) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);

	/* two hours later, the entries written meanwhile (at their own
	 * times, right after the cursor's) count with the scores saved with
	 * it: 8 + 4 points ban (a ban over by now: the kernel gets none) */
	k = fake_kernel(&f);
	r = run_new(test_config(path), &k, &opt, T0 + 7200);
	run_start(r, T0 + 7200);
	n = f.nadded;
	entry(r, &c, "mid", 200);
	run_idle(r, T0 + 7200);
	run_stats(r, &s);
	CHECK(s.bans == 1, "the third hit, read after two hours, bans: %llu",
	    (unsigned long long)s.bans);
	CHECK(f.nadded == n, "a ban over by now is not put in the kernel");
	CHECK(run_finish(r, T0 + 7201) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

/* --- the cases --- */

static void
batches_reach_kernel_and_state(void)
{
	struct run_kernel k;
	struct run_stats s;
	struct fake f;
	struct run *r;
	char buf[128];

	fresh_dir();
	r = new_run(&f, &k, 0, 0, NULL);
	run_start(r, T0);
	CHECK(run_poll_ms(r) == 1000, "nothing queued: wait a second");
	bans(r, 0, 3);
	CHECK(f.nadded == 3 && f.pending == 3, "3 bans queued: %zu", f.nadded);
	CHECK(f.commits == 0, "no commit below batch.size: %u", f.commits);
	CHECK(f.timeouts[0] == 3600, "first ban 1h: %u", (unsigned)f.timeouts[0]);
	CHECK(run_poll_ms(r) == 50, "queued: wait batch.idle");
	line(buf, sizeof(buf), "odd", 100);
	run_line(r, buf, strlen(buf), 0);
	CHECK(f.nadded == 3, "a score below the threshold bans nothing");
	bans(r, 3, 4);
	CHECK(f.commits == 1 && f.pending == 0, "batch.size commits: %u",
	    f.commits);
	CHECK(active_in_state(T0) == 4, "4 bans in the state: %zu",
	    active_in_state(T0));
	bans(r, 4, 5);
	CHECK(f.commits == 1, "one more waits");
	run_idle(r, T0 + 1);
	CHECK(f.commits == 2 && f.pending == 0, "idle commits: %u", f.commits);
	CHECK(active_in_state(T0 + 1) == 5, "5 bans in the state");
	run_stats(r, &s);
	CHECK(s.bans == 5 && s.committed == 5 && s.backlog == 0,
	    "stats: %llu bans, %llu committed, %zu backlog",
	    (unsigned long long)s.bans, (unsigned long long)s.committed,
	    s.backlog);
	CHECK(run_finish(r, T0 + 2) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);

	/* the next run puts the active bans back first, and knows them */
	r = new_run(&f, &k, 0, 0, NULL);
	run_start(r, T0 + 10);
	CHECK(f.nadded == 5 && f.commits == 1 && f.pending == 0,
	    "restart: %zu re-added in %u commits", f.nadded, f.commits);
	CHECK(f.timeouts[0] == 3600 - 10, "time left: %u",
	    (unsigned)f.timeouts[0]);
	bans(r, 0, 1);
	CHECK(f.nadded == 5, "a banned address is not banned again");
	CHECK(run_finish(r, T0 + 11) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

struct evcount {
	size_t n;
	char last[256];
};

static int
ev_one(void *ctx, const struct state_evidence *v)
{
	struct evcount *c = ctx;

	c->n++;
	snprintf(c->last, sizeof(c->last), "%s", v->line);
	return 0;
}

/* Evidence lines of the i-th address in the state file (read apart). */
static size_t
evidence_of(unsigned i, char *last, size_t len)
{
	struct evcount c = {0, ""};
	struct state *st;
	struct addr a;
	char ab[32], path[256];

	nth(i, ab, sizeof(ab));
	if (addr_parse(ab, strlen(ab), &a) < 0 ||
	    (st = state_open(state_path(path, sizeof(path)), 1)) == NULL)
		return (size_t)-1;
	if (state_evidence(st, &a, 100, ev_one, &c) < 0)
		c.n = (size_t)-1;
	state_close(st);
	if (last != NULL)
		snprintf(last, len, "%s", c.last);
	return c.n;
}

/* The lines that scored are kept per address, the last limits.evidence
 * (10) of each, written with the scores; ignored ones are not. */
static void
evidence_kept(void)
{
	struct run_kernel k;
	struct fake f;
	struct run *r;
	char buf[128], last[256];
	unsigned i;

	fresh_dir();
	r = new_run(&f, &k, 0, 0, NULL);
	run_start(r, T0);
	for (i = 0; i < 12; i++) {
		line(buf, sizeof(buf), "odd", 1);
		run_line(r, buf, strlen(buf), 0);
		run_idle(r, T0 + 1 + i); /* each its own second: no ban yet */
	}
	line(buf, sizeof(buf), "odd", 2);
	run_line(r, buf, strlen(buf), 0);
	run_idle(r, T0 + 20);
	CHECK(evidence_of(1, last, sizeof(last)) == 10,
	    "the last 10 of 12 lines kept: %zu", evidence_of(1, NULL, 0));
	line(buf, sizeof(buf), "odd", 1);
	CHECK(strcmp(last, buf) == 0, "as read: %s", last);
	CHECK(evidence_of(2, NULL, 0) == 1, "another address: its own line");
	CHECK(evidence_of(3, NULL, 0) == 0, "none for an address never seen");
	CHECK(run_finish(r, T0 + 21) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

/*
 * run --journal: the evidence of the entries read goes in the transaction
 * of their scores and the cursor (there is no other write of scores), so
 * that "mailban why" shows it there too; held back while that transaction
 * cannot be made, written with it afterwards.
 */
static void
evidence_with_the_cursor(void)
{
	struct run_options opt = {.cursor_source = "journal:t",
	    .cursor = cursor_of};
	struct cursor c = {0, "", 0};
	struct run_kernel k;
	struct state *lock;
	struct fake f;
	struct run *r;
	char path[256], buf[128], last[256];

	fresh_dir();
	state_path(path, sizeof(path));
	opt.cursor_ctx = &c;
	k = fake_kernel(&f);
	r = run_new(test_config(path), &k, &opt, T0);
	run_start(r, T0);
	entry(r, &c, "odd", 7);
	entry(r, &c, "odd", 7);
	entry(r, &c, "bad", 8);
	run_idle(r, T0);
	CHECK(evidence_of(7, last, sizeof(last)) == 2,
	    "the two lines of an address that scored: %zu",
	    evidence_of(7, NULL, 0));
	CHECK(strcmp(last, "odd 198.18.0.7") == 0, "the entry's message: %s",
	    last);
	CHECK(evidence_of(8, NULL, 0) == 1, "and the line of a ban");
	CHECK(strcmp(saved_cursor(path, buf, sizeof(buf)), "s=5eed;i=3") == 0,
	    "with the cursor: %s", buf);
	lock = state_open(path, 0);
	CHECK(lock != NULL && state_batch_begin(lock) == 0, "a writer holds it");
	entry(r, &c, "odd", 9);
	run_idle(r, T0 + 1);
	CHECK(evidence_of(9, NULL, 0) == 0, "nothing while it cannot be written");
	state_batch_end(lock, 0);
	state_close(lock);
	run_idle(r, T0 + 1 + RUN_STATE_RETRY);
	CHECK(evidence_of(9, NULL, 0) == 1, "then written with its cursor");
	CHECK(strcmp(saved_cursor(path, buf, sizeof(buf)), "s=5eed;i=4") == 0,
	    "the cursor: %s", buf);
	CHECK(run_finish(r, T0 + 2 + RUN_STATE_RETRY) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

/* A ban by hand of the i-th address at time at, for len seconds, as
 * "mailban ban" writes it (another process: st); 0 when written. */
static int
hand_ban(struct state *st, unsigned i, int64_t at, int64_t len,
    struct state_ban *b)
{
	char ab[32];

	memset(b, 0, sizeof(*b));
	nth(i, ab, sizeof(ab));
	addr_parse(ab, strlen(ab), &b->addr);
	b->last_ban = at;
	snprintf(b->pattern, sizeof(b->pattern), "manual");
	return state_ban_add(st, b, "test", T0 - 86400, &len, 1);
}

/* What another process writes: the running mailban reads it at its next
 * tick once the file's data_version moved.  A ban by hand is held (never
 * decided over, its length given to the kernel); an allowed address is
 * not banned; a reload asked is noted and answered. */
static void
others_read_at_the_tick(void)
{
	struct run_kernel k;
	struct state_ban b;
	struct state_reload rl;
	struct fake f;
	struct state *st;
	struct run *r;
	char path[256];
	uint64_t asked;
	size_t before;

	fresh_dir();
	r = new_run(&f, &k, 0, 0, NULL);
	run_start(r, T0);
	st = state_open(state_path(path, sizeof(path)), STATE_WAIT);
	CHECK(st != NULL, "a second writer opens the file");
	CHECK(hand_ban(st, 6, T0, 7 * 86400, &b) == 0 &&
	    b.count == 1 && b.until == T0 + 7 * 86400, "a ban by hand: %u, %lld",
	    b.count, (long long)b.until);
	CHECK(state_allow_put(st, "198.18.0.5/32", T0, 0, "") == 0,
	    "an allow entry");
	CHECK(state_reload_ask(st, &asked) == 0 && asked == 1, "a reload asked");
	CHECK(run_reload_asked(r) == 0, "nothing seen before the tick");
	before = f.nadded;
	run_idle(r, T0 + 1);
	CHECK(run_reload_asked(r) == 1, "the tick saw the reload asked");
	run_reload_answer(r, 1, "reloaded x: 2 patterns", T0 + 1);
	CHECK(state_reload_status(st, &rl) == 1 && rl.done == 1 &&
	    strcmp(rl.result, "reloaded x: 2 patterns") == 0,
	    "answered in the state: %s", rl.result);
	CHECK(run_reload_asked(r) == 0, "answered once");
	run_idle(r, T0 + 1);
	CHECK(f.nadded == before + 1 && addr_equal(&f.added[before], &b.addr) &&
	    f.timeouts[before] == 86400, "the kernel gets the ban's length "
	    "(capped at the kernel's): %zu, %u", f.nadded - before,
	    f.nadded > before ? (unsigned)f.timeouts[before] : 0);
	bans(r, 5, 7);
	run_idle(r, T0 + 2);
	CHECK(f.nadded == before + 1, "neither the allowed address nor the one "
	    "banned by hand is banned: %zu", f.nadded - before);
	CHECK(is_active_at(path, 6, T0 + 2) == 1, "the ban by hand stays");
	CHECK(state_allow_del(st, "198.18.0.5/32") == 1, "disallowed");
	run_idle(r, T0 + 3);
	bans(r, 5, 6);
	run_idle(r, T0 + 4);
	CHECK(f.nadded == before + 2, "disallowed: banned again");
	state_close(st);
	CHECK(run_finish(r, T0 + 5) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

/*
 * A ban lifted by another process while this run reads it as made by
 * hand: the poll that read the ban queued it, the commit after the lift
 * put it back in the kernel; the next poll takes it out again.  A ban the
 * run decided again after such a lift, not written yet, is not taken out
 * when a later poll lists that lift once more.  A lift of a ban this run
 * did not put in the kernel as made by hand costs no delete.
 */
static void
lifted_while_read(void)
{
	struct run_kernel k;
	struct state_ban b;
	struct fake f;
	struct state *st;
	struct run *r;
	struct addr a8;
	char path[256], ab[32];
	size_t before;

	fresh_dir();
	r = new_run(&f, &k, 0, 0, NULL);
	run_start(r, T0);
	st = state_open(state_path(path, sizeof(path)), STATE_WAIT);
	CHECK(st != NULL, "a second writer opens the file");
	CHECK(hand_ban(st, 6, T0, 3600, &b) == 0, "a ban by hand");
	before = f.nadded;
	run_wake(r, T0 + 1); /* the poll reads it: queued, not committed */
	CHECK(f.nadded == before + 1 && f.pending == 1,
	    "the poll queued the ban by hand: %zu", f.nadded - before);
	CHECK(state_unban(st, &b.addr, T0 + 1) == 1, "then it is lifted");
	run_idle(r, T0 + 1); /* the commit after the lift: back in */
	CHECK(f.ndeleted == 0, "no poll within the second: %zu", f.ndeleted);
	run_idle(r, T0 + 2);
	CHECK(f.ndeleted == 1 && addr_equal(&f.deleted[0], &b.addr) &&
	    f.added_at_del == before + 1, "the next poll takes it out of the "
	    "kernel after the add: %zu", f.ndeleted);

	/* the run's own ban lifted: unban took it out, no delete here */
	bans(r, 7, 8);
	run_idle(r, T0 + 2);
	CHECK(is_active_at(path, 7, T0 + 2) == 1, "the run banned .7");
	nth(7, ab, sizeof(ab));
	addr_parse(ab, strlen(ab), &b.addr);
	CHECK(state_unban(st, &b.addr, T0 + 3) == 1, "lifted by hand");
	run_idle(r, T0 + 3);
	CHECK(f.ndeleted == 1, "no delete for it: %zu", f.ndeleted);

	/* a ban by hand read, lifted, decided again by the run, the lift
	 * listed once more by a later poll */
	CHECK(hand_ban(st, 8, T0 + 3, 3600, &b) == 0, "a ban by hand of .8");
	a8 = b.addr;
	run_idle(r, T0 + 4); /* read and put in the kernel */
	CHECK(state_unban(st, &a8, T0 + 5) == 1, "lifted");
	run_idle(r, T0 + 5);
	CHECK(f.ndeleted == 2 && addr_equal(&f.deleted[1], &a8),
	    "taken out again: %zu", f.ndeleted);
	before = f.nadded;
	bans(r, 8, 9); /* decided again: queued, its record unwritten */
	CHECK(f.nadded == before + 1, "banned again: %zu", f.nadded - before);
	CHECK(state_allow_put(st, "198.18.0.5/32", T0 + 5, 0, "") == 0,
	    "another change to the file");
	run_wake(r, T0 + 6); /* lists the lift at T0+5 once more */
	CHECK(f.ndeleted == 2, "the new ban stays in the kernel: %zu",
	    f.ndeleted);
	run_idle(r, T0 + 6);
	CHECK(is_active_at(path, 8, T0 + 6) == 1, "and in the state");
	state_close(st);
	CHECK(run_finish(r, T0 + 7) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

static void
failed_commit_retried(void)
{
	struct run_kernel k;
	struct run_stats s;
	struct fake f;
	struct run *r;

	fresh_dir();
	r = new_run(&f, &k, 0, 0, NULL);
	run_start(r, T0);
	f.fail = 2;
	bans(r, 0, 4);
	CHECK(f.commits == 1 && f.pending == 4, "failed: all still queued");
	run_stats(r, &s);
	CHECK(s.kernel_failures == 1, "counted: %llu",
	    (unsigned long long)s.kernel_failures);
	CHECK(active_in_state(T0) == 4, "the state is written anyway");
	CHECK(run_poll_ms(r) == 50, "queued: retry after batch.idle");
	run_idle(r, T0);
	CHECK(f.commits == 2 && f.pending == 4, "failed again");
	run_idle(r, T0 + 1);
	CHECK(f.commits == 3 && f.pending == 0, "the retry commits");
	CHECK(f.nadded == 4, "nothing queued twice: %zu", f.nadded);
	run_stats(r, &s);
	CHECK(s.committed == 4 && s.kernel_failures == 2, "committed %llu",
	    (unsigned long long)s.committed);
	CHECK(run_poll_ms(r) == 1000, "nothing left");

	/* what cannot be committed by the end is the exit status */
	f.fail = 1;
	bans(r, 10, 11);
	CHECK(run_finish(r, T0 + 2) == 1, "finish with entries queued");
	run_free(r);
	fake_free(&f);
}

static void
vanished_set_refilled(void)
{
	struct run_kernel k;
	struct fake f;
	struct run *r;
	size_t before;

	fresh_dir();
	r = new_run(&f, &k, 0, 0, NULL);
	run_start(r, T0);
	bans(r, 0, 4);
	CHECK(f.commits == 1, "committed");

	/* seen by the presence check: made again, active bans back in */
	f.present = 0;
	before = f.nadded;
	run_idle(r, T0 + RUN_PRESENCE_EVERY);
	CHECK(f.ensures == 1, "ensure called: %u", f.ensures);
	CHECK(f.nadded == before + 4 && f.pending == 0,
	    "4 active bans re-added: %zu", f.nadded - before);

	/* seen by a commit that had to make the set again */
	f.present = 0;
	before = f.nadded;
	bans(r, 4, 8);
	CHECK(f.recreated == 1, "re-created by the commit");
	/* the 4 of the state file; the batch's own are written after it */
	CHECK(f.nadded == before + 4 + 4 && f.pending == 0,
	    "the batch and every active ban: %zu", f.nadded - before);
	CHECK(run_finish(r, T0 + 3) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

/*
 * A firewall reload took the rules away: put back at start at once, and
 * after the next check (firewall_check, 5s by default) once the ruleset
 * stood still for a second; a restore that fails is tried again at each
 * check until it works.  While the ruleset keeps changing (a firewall
 * manager still reloading) nothing is put back, looked at every second,
 * until RUN_RULES_SETTLE_MAX.
 */
static void
rules_restored(void)
{
	struct run_kernel k;
	struct fake f;
	struct run *r;
	int64_t t;

	fresh_dir();
	r = new_run(&f, &k, 0, 0, NULL);
	f.rules = 0; /* run without setup */
	run_start(r, T0);
	CHECK(f.rule_checks == 1 && f.restores == 1 && f.rules == 1,
	    "checked and restored at start: %u %u", f.rule_checks, f.restores);
	run_idle(r, T0 + 1);
	CHECK(f.rule_checks == 1, "no check before the interval: %u",
	    f.rule_checks);
	f.rules = 0; /* nft flush ruleset */
	run_idle(r, T0 + 5);
	CHECK(f.rule_checks == 2 && f.restores == 1 && f.rules == 0,
	    "seen gone at the next check, not yet put back: %u %u",
	    f.rule_checks, f.restores);
	run_idle(r, T0 + 6);
	CHECK(f.rule_checks == 3 && f.restores == 2 && f.rules == 1,
	    "put back a second later, nothing moved: %u %u", f.rule_checks,
	    f.restores);
	run_idle(r, T0 + 10);
	CHECK(f.rule_checks == 3, "the interval again: %u", f.rule_checks);
	run_idle(r, T0 + 11);
	CHECK(f.rule_checks == 4 && f.restores == 2, "in place: no restore");

	f.rules = 0;
	f.restore_fails = 1;
	run_idle(r, T0 + 16);
	run_idle(r, T0 + 17);
	CHECK(f.restores == 3 && f.rules == 0, "a restore that fails: %u",
	    f.restores);
	run_idle(r, T0 + 22);
	CHECK(f.restores == 4, "is tried again at the next check: %u",
	    f.restores);
	f.restore_fails = 0;
	run_idle(r, T0 + 27);
	CHECK(f.restores == 5 && f.rules == 1, "and works once it can");

	/* a reload in progress: the ruleset changes at every look */
	f.rules = 0;
	f.moving = 1;
	run_idle(r, T0 + 32);
	CHECK(f.rule_checks == 9 && f.restores == 5, "gone while it moves: %u",
	    f.rule_checks);
	for (t = T0 + 33; t < T0 + 32 + RUN_RULES_SETTLE_MAX; t++)
		run_idle(r, t);
	CHECK(f.restores == 5 && f.rule_checks == 9 + RUN_RULES_SETTLE_MAX - 1,
	    "looked at every second, never put back while it moves: %u %u",
	    f.rule_checks, f.restores);
	run_idle(r, T0 + 32 + RUN_RULES_SETTLE_MAX);
	CHECK(f.restores == 6 && f.rules == 1,
	    "put back all the same after RUN_RULES_SETTLE_MAX: %u", f.restores);
	f.moving = 0;
	f.rules = 0;
	run_idle(r, T0 + 70);
	run_idle(r, T0 + 71);
	CHECK(f.restores == 7, "a reload that ends: put back after it: %u",
	    f.restores);

	f.rules = -1; /* cannot be read: nothing to restore */
	run_idle(r, T0 + 76);
	CHECK(f.restores == 7, "unreadable: no restore");
	CHECK(run_finish(r, T0 + 77) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

static void
omprog_answers(void)
{
	struct run_kernel k;
	struct run_stats s;
	struct fake f;
	struct run *r;

	fresh_dir();
	r = new_run(&f, &k, 1, 0, NULL);
	run_start(r, T0);
	CHECK_STR(omprog(r, "bad", 0), "OK");
	CHECK(f.commits == 1 && f.pending == 0, "a ban is committed first");
	CHECK_STR(omprog(r, "odd", 50), "OK");
	f.fail = 1;
	CHECK_STR(omprog(r, "bad", 1), "ERROR kernel commit incomplete; retry");
	CHECK_STR(omprog(r, "bad", 1), "OK"); /* sent again: the retry */
	CHECK(f.pending == 0 && f.nadded == 2, "one ban each: %zu", f.nadded);

	/* a transaction: deferred, journaled, committed at the mark */
	CHECK_STR(omprog(r, "BEGIN TRANSACTION", (unsigned)-1), "OK");
	CHECK_STR(omprog(r, "bad", 2), "DEFER_COMMIT");
	CHECK_STR(omprog(r, "bad", 3), "DEFER_COMMIT");
	CHECK(f.pending == 2, "queued in the transaction: %zu", f.pending);
	run_stats(r, &s);
	CHECK(s.journal_bytes > 0, "the lines are journaled");
	run_idle(r, T0 + 1);
	CHECK(f.pending == 2, "no commit inside a transaction when idle");
	f.fail = 1;
	CHECK_STR(omprog(r, "COMMIT TRANSACTION", (unsigned)-1),
	    "ERROR kernel commit incomplete; retry");
	run_stats(r, &s);
	CHECK(s.journal_bytes > 0, "kept while not committed");
	CHECK_STR(omprog(r, "COMMIT TRANSACTION", (unsigned)-1), "OK");
	run_stats(r, &s);
	CHECK(f.pending == 0 && s.journal_bytes == 0,
	    "committed, the journal emptied: %llu bytes",
	    (unsigned long long)s.journal_bytes);
	CHECK(active_in_state(T0 + 1) == 4, "4 bans in the state");
	CHECK(run_finish(r, T0 + 2) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

/*
 * The state file cannot be written (its directory's name is a file's):
 * ten times the bound of bans.  The ring holds the newest, never more
 * room than the bound, one warning for the episode, and each ban costs
 * a bounded number of record copies (the memmove of the whole backlog it
 * replaced cost the bound a ban).  Once the file can be written, the
 * newest records are in it.
 */
static void
backlog_flood(void)
{
	enum { MAX = 1000, FLOOD = 10 * MAX };
	struct run_kernel k;
	struct run_stats s;
	struct fake f;
	struct run *r;
	char blocker[256], state[300];
	unsigned long warned;
	FILE *fp;

	fresh_dir();
	xsnprintf(blocker, sizeof(blocker), "%s/var", dir);
	xsnprintf(state, sizeof(state), "%s/state.db", blocker);
	if ((fp = fopen(blocker, "w")) == NULL || fclose(fp) != 0)
		msg_fatal("%s: %s", blocker, strerror(errno));
	r = new_run(&f, &k, 0, MAX, state);
	run_start(r, T0);
	run_stats(r, &s);
	CHECK(!s.state_open, "the state file cannot be opened");
	warned = msg_warn_count();
	bans(r, 0, FLOOD);
	run_stats(r, &s);
	CHECK(s.bans == FLOOD && f.pending == 0, "every ban reaches the kernel");
	CHECK(s.backlog == MAX, "the backlog holds its bound: %zu", s.backlog);
	CHECK(s.backlog_room <= MAX, "no room past the bound: %zu",
	    s.backlog_room);
	CHECK(s.backlog_dropped == FLOOD - MAX, "the oldest dropped: %llu",
	    (unsigned long long)s.backlog_dropped);
	CHECK(msg_warn_count() - warned == 1, "one warning, not %lu",
	    msg_warn_count() - warned);
	CHECK(s.backlog_copies <= 2 * (uint64_t)FLOOD,
	    "O(1) a ban: %llu record copies for %d bans",
	    (unsigned long long)s.backlog_copies, FLOOD);

	/* writable again: the directory is made at the next attempt */
	CHECK(unlink(blocker) == 0, "unlink %s", blocker);
	run_idle(r, T0 + RUN_STATE_RETRY);
	run_stats(r, &s);
	CHECK(s.state_open && s.backlog == 0, "written: %zu left", s.backlog);
	CHECK(active_in_state_at(state, T0) == MAX, "the newest %d in the state",
	    MAX);
	CHECK(is_active_at(state, FLOOD - 1, T0) == 1, "the last ban is there");
	CHECK(is_active_at(state, FLOOD - MAX, T0) == 1, "the oldest kept");
	CHECK(is_active_at(state, FLOOD - MAX - 1, T0) == 0, "one dropped");
	warned = msg_warn_count();
	bans(r, FLOOD, FLOOD + 2 * MAX);
	CHECK(msg_warn_count() == warned, "a state that takes them: no warning");
	CHECK(run_finish(r, T0 + RUN_STATE_RETRY) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

struct seen_notice {
	uint64_t count;
	int found;
};

static int
dnsbl_notice(void *ctx, const struct state_notice *n)
{
	struct seen_notice *q = ctx;

	if (strcmp(n->kind, "dnsbl-error") == 0 &&
	    strcmp(n->program, "t") == 0) {
		q->count += n->count;
		q->found = 1;
	}
	return 0;
}

/*
 * A DNSBL refusing the server's queries: its lines never reach the
 * kernel, run warns at once and then at most every ten minutes while it
 * lasts, and the state file counts them for status and the page.
 */
static void
dnsbl_errors_warn_and_never_ban(void)
{
	struct run_kernel k;
	struct run_stats s;
	struct seen_notice q = {0, 0};
	struct state *st;
	struct fake f;
	struct run *r;
	unsigned long warned;
	char buf[128], path[256];
	unsigned i;

	fresh_dir();
	r = new_run(&f, &k, 0, 100, NULL);
	run_start(r, T0);
	warned = msg_warn_count();
	for (i = 0; i < 30; i++) {
		line(buf, sizeof(buf), "refused", i % 3);
		run_line(r, buf, strlen(buf), 0);
	}
	run_idle(r, T0 + 1);
	run_stats(r, &s);
	CHECK(s.bans == 0 && f.nadded == 0, "no ban: %llu, %zu in the kernel",
	    (unsigned long long)s.bans, f.nadded);
	CHECK(msg_warn_count() - warned == 1, "one warning, not %lu",
	    msg_warn_count() - warned);
	run_wake(r, T0 + 11 * 60);
	line(buf, sizeof(buf), "refused", 7);
	run_line(r, buf, strlen(buf), 0);
	CHECK(msg_warn_count() - warned == 2, "again ten minutes later: %lu",
	    msg_warn_count() - warned);
	CHECK(run_finish(r, T0 + 11 * 60) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
	st = state_open(state_path(path, sizeof(path)), 1);
	CHECK(st != NULL, "the state file");
	if (st != NULL) {
		CHECK(state_notices(st, dnsbl_notice, &q) == 0, "read notices");
		CHECK(q.found && q.count == 31, "31 DNSBL errors counted: %llu",
		    (unsigned long long)q.count);
		state_close(st);
	}
}

/*
 * A full tracker is said: what it forgot and did not take in, at most
 * every ten minutes while it goes on, and nothing while it is not full.
 * The address close to its threshold stays through the flood of one-offs.
 */
static void
tracker_full_warns(void)
{
	struct run_options opt = {0};
	struct run_kernel k;
	struct run_stats s;
	struct config *cfg;
	struct fake f;
	struct run *r;
	unsigned long warned;
	char buf[128], path[256];
	unsigned i;

	fresh_dir();
	k = fake_kernel(&f);
	cfg = test_config(state_path(path, sizeof(path)));
	cfg->max_tracked = 16;
	r = run_new(cfg, &k, &opt, T0);
	run_start(r, T0);
	warned = msg_warn_count();
	for (i = 0; i < 2; i++) { /* 8 of 10: two t-mid */
		line(buf, sizeof(buf), "mid", 1000);
		run_line(r, buf, strlen(buf), 0);
	}
	for (i = 0; i < 15; i++) { /* the table full, nothing forgotten */
		line(buf, sizeof(buf), "odd", i);
		run_line(r, buf, strlen(buf), 0);
	}
	run_idle(r, T0 + 1);
	CHECK(msg_warn_count() == warned, "not full yet: no warning");
	for (i = 100; i < 200; i++) {
		line(buf, sizeof(buf), "odd", i);
		run_line(r, buf, strlen(buf), 0);
	}
	run_idle(r, T0 + 2);
	CHECK(msg_warn_count() - warned == 1, "one warning, not %lu",
	    msg_warn_count() - warned);
	run_wake(r, T0 + 3);
	for (i = 200; i < 300; i++) {
		line(buf, sizeof(buf), "odd", i);
		run_line(r, buf, strlen(buf), 0);
	}
	run_idle(r, T0 + 4);
	CHECK(msg_warn_count() - warned == 1, "not again within ten minutes");
	run_wake(r, T0 + 5);
	line(buf, sizeof(buf), "mid", 1000);
	run_line(r, buf, strlen(buf), 0);
	run_idle(r, T0 + 6);
	run_stats(r, &s);
	CHECK(s.bans == 1 && f.nadded >= 1, "the address at 8 banned by its "
	    "third t-mid after the flood: %llu", (unsigned long long)s.bans);
	run_wake(r, T0 + 11 * 60);
	run_idle(r, T0 + 11 * 60);
	CHECK(msg_warn_count() - warned == 2, "again ten minutes later: %lu",
	    msg_warn_count() - warned);
	run_wake(r, T0 + 22 * 60);
	run_idle(r, T0 + 22 * 60);
	CHECK(msg_warn_count() - warned == 2, "nothing forgotten since: %lu",
	    msg_warn_count() - warned);
	CHECK(run_finish(r, T0 + 22 * 60) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

/* The health row of the state file: 1 with *h, 0 none, -1 unreadable. */
static int
health_row(struct state_health *h)
{
	char path[256];
	struct state *st;
	int rc;

	if ((st = state_open(state_path(path, sizeof(path)), 1)) == NULL)
		return -1;
	rc = state_health(st, h);
	state_close(st);
	return rc;
}

/*
 * No kernel at start (no CAP_NET_ADMIN): lines are answered and confirmed,
 * bans decided into the state file, the cause reported in the health row;
 * once the kernel is attached every ban decided meanwhile goes in and the
 * row goes away.
 */
static void
kernel_absent_then_attached(void)
{
	struct run_options opt = {.omprog = 1};
	struct state_health h;
	struct run_kernel k;
	struct run_stats s;
	struct fake f;
	struct run *r;
	char path[256];
	unsigned i;

	fresh_dir();
	r = run_new(test_config(state_path(path, sizeof(path))), NULL, &opt,
	    T0);
	run_start(r, T0);
	run_set_degraded(r, "bans cannot reach the kernel: test", T0);
	CHECK(health_row(&h) == 1 && strstr(h.cause, "test") != NULL &&
	    h.since == T0, "the cause is in the health row: %s", h.cause);
	CHECK(strcmp(omprog(r, "BEGIN TRANSACTION", (unsigned)-1), "OK") == 0,
	    "begin");
	for (i = 0; i < 10; i++)
		CHECK(strcmp(omprog(r, "bad", i), "DEFER_COMMIT") == 0,
		    "message %u deferred", i);
	CHECK(strcmp(omprog(r, "COMMIT TRANSACTION", (unsigned)-1), "OK") == 0,
	    "the commit mark is confirmed without a kernel");
	CHECK(active_in_state(T0) == 10, "10 bans in the state file: %zu",
	    active_in_state(T0));
	run_stats(r, &s);
	CHECK(s.kernel_absent && s.bans_waiting == 10 && s.journal_bytes == 0,
	    "10 wait for the kernel, the journal is empty: %" PRIu64 ", %"
	    PRIu64, s.bans_waiting, s.journal_bytes);
	run_idle(r, T0 + RUN_DEGRADED_REPORT);
	CHECK(health_row(&h) == 1 && h.bans == 10 && h.updated ==
	    T0 + RUN_DEGRADED_REPORT, "the row says 10 waiting: %" PRIu64,
	    h.bans);

	k = fake_kernel(&f);
	run_attach_kernel(r, &k, T0 + 61);
	run_set_degraded(r, NULL, T0 + 61);
	CHECK(f.nadded == 10 && f.pending == 0, "all 10 in the kernel: %zu",
	    f.nadded);
	CHECK(f.timeouts[0] == 3600 - 61, "for what is left of them: %u",
	    f.timeouts[0]);
	CHECK(health_row(&h) == 0, "no health row once attached");
	CHECK(strcmp(omprog(r, "bad", 10), "OK") == 0, "a new line");
	CHECK(f.nadded == 11, "bans after it go in at once");
	CHECK(run_finish(r, T0 + 62) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

/*
 * Without a kernel and without a state file, ban decisions are kept in the
 * backlog until it is full; then lines are refused (an error answer keeps
 * them in rsyslog) instead of dropping a decision that is nowhere else.
 */
static void
kernel_absent_state_unwritable(void)
{
	struct run_options opt = {.omprog = 1, .backlog_max = 4};
	struct run *r;
	unsigned i;

	fresh_dir();
	r = run_new(test_config("/proc/mailban-nowhere/state.db"), NULL, &opt,
	    T0);
	run_start(r, T0);
	for (i = 0; i < 4; i++)
		CHECK(strcmp(omprog(r, "bad", i), "OK") == 0, "line %u kept", i);
	CHECK(strncmp(omprog(r, "bad", 4), "ERROR", 5) == 0,
	    "the fifth is refused");
	run_idle(r, T0 + RUN_DEGRADED_RETRY);
	run_free(r);
}

/* Lines kept while no configuration loaded are scored at their stamps:
 * ten "odd" lines an hour apart never add up to the threshold; the kernel
 * gets what is left of a ban, nothing for one that has run out (T0 is
 * 11:06:40). */
static void
kept_lines_at_stamps(void)
{
	struct run_options opt = {.omprog = 1};
	struct run_kernel k;
	struct fake f;
	struct run *r;
	char path[256], buf[160];
	unsigned i;

	fresh_dir();
	k = fake_kernel(&f);
	r = run_new(test_config(state_path(path, sizeof(path))), &k, &opt, T0);
	run_start(r, T0);
	for (i = 0; i < 10; i++) { /* "odd" scores 1; the threshold is 10 */
		xsnprintf(buf, sizeof(buf), "2026-11-18T%s:00:00+00:00 mx t[1]: "
		    "odd 198.18.0.1", i % 2 ? "09" : "10");
		run_replay_kept(r, buf, strlen(buf), T0);
	}
	xsnprintf(buf, sizeof(buf), "2026-11-18T09:00:00+00:00 mx t[1]: bad "
	    "198.18.0.2");
	run_replay_kept(r, buf, strlen(buf), T0);
	xsnprintf(buf, sizeof(buf), "2026-11-18T10:36:40+00:00 mx t[1]: bad "
	    "198.18.0.3");
	run_replay_kept(r, buf, strlen(buf), T0);
	run_idle(r, T0 + 1);
	CHECK(f.nadded == 1 && f.timeouts[0] == 1800,
	    "only the ban with time left reaches the kernel, for the rest: %zu",
	    f.nadded);
	CHECK(is_active_at(path, 2, T0 - 7200) == 1, "the old one is recorded");
	CHECK(is_active_at(path, 1, T0) == 0,
	    "ten odd lines over an hour ban nothing");
	CHECK(run_finish(r, T0 + 1) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

/* A journal marked as holding lines kept while no configuration loaded
 * (a mailban stopped before one did) is read again at the lines' stamps. */
static void
marked_journal_at_stamps(void)
{
	struct run_options opt = {.omprog = 1};
	struct run_kernel k;
	struct journal *j;
	struct fake f;
	struct run *r;
	char path[256], buf[160], err[256];
	unsigned i;

	fresh_dir();
	j = journal_open(state_path(path, sizeof(path)), err, sizeof(err));
	CHECK(j != NULL, "journal: %s", err);
	if (j == NULL)
		return;
	for (i = 0; i < 10; i++) {
		xsnprintf(buf, sizeof(buf), "2026-11-18T%s:00:00+00:00 mx t[1]: "
		    "odd 198.18.0.1", i % 2 ? "09" : "10");
		journal_append(j, buf, strlen(buf));
	}
	journal_set_unconfigured(j);
	journal_close(j);
	k = fake_kernel(&f);
	r = run_new(test_config(path), &k, &opt, T0);
	run_start(r, T0);
	CHECK(f.nadded == 0, "ten odd lines over an hour ban nothing: %zu",
	    f.nadded);
	CHECK(run_finish(r, T0 + 1) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);
}

/* --- the counters that only grow, and the metrics file --- */

struct counted {
	uint64_t lines, malformed, untrusted, unmatched, dnsbl, bad_matches,
	    bad_bans, odd_matches, manual_bans;
	int64_t last_commit;
};

static int
counted_one(void *ctx, const struct state_counter *c)
{
	struct counted *k = ctx;

	if (strcmp(c->name, "lines") == 0)
		k->lines = c->value;
	else if (strcmp(c->name, "malformed") == 0)
		k->malformed = c->value;
	else if (strcmp(c->name, "dnsbl_errors") == 0)
		k->dnsbl = c->value;
	else if (strcmp(c->name, "matches") == 0 &&
	    strcmp(c->pattern, "t-bad") == 0)
		k->bad_matches = c->value;
	else if (strcmp(c->name, "bans") == 0 &&
	    strcmp(c->pattern, "t-bad") == 0)
		k->bad_bans = c->value;
	else if (strcmp(c->name, "matches") == 0 &&
	    strcmp(c->pattern, "t-odd") == 0)
		k->odd_matches = c->value;
	else if (strcmp(c->name, "bans") == 0 &&
	    strcmp(c->pattern, "manual") == 0)
		k->manual_bans = c->value;
	else if (strcmp(c->name, "last_commit") == 0)
		k->last_commit = (int64_t)c->value;
	return 0;
}

static int
counted(struct counted *k)
{
	struct state *st;
	char path[256];
	int rc;

	memset(k, 0, sizeof(*k));
	if ((st = state_open(state_path(path, sizeof(path)), 1)) == NULL)
		return -1;
	rc = state_counters(st, counted_one, k);
	state_close(st);
	return rc;
}

/* The whole file as text ("" when it cannot be read). */
static char *
slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static int
other_files(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	/* the state, its -wal and -shm, the configuration and the metrics */
	return flag == FTW_F && strstr(path, "/.") != NULL;
}

/*
 * The counters are kept in the state file and only grow: a second run
 * adds to what the first one counted, a ban by hand counts among the
 * bans of "manual", and the metrics file is written (atomically: no
 * temporary file left) at start, after changes and at the end.
 */
static void
counters_across_restarts(void)
{
	struct run_kernel k;
	struct counted c;
	struct state_ban b;
	struct state *st;
	struct fake f;
	struct run *r;
	char buf[256], path[256], mpath[256], conf[320];
	int64_t bt[1] = {3600};
	const char *text;

	fresh_dir();
	xsnprintf(mpath, sizeof(mpath), "%s/mailban.prom", dir);
	xsnprintf(conf, sizeof(conf), "metrics = { file = \"%s\"; every = "
	    "\"10s\"; };", mpath);
	extra_conf = conf;
	r = new_run(&f, &k, 0, 0, NULL);
	run_start(r, T0);
	run_idle(r, T0);
	text = slurp(mpath);
	CHECK(strstr(text, "\nmailban_lines_read_total 0\n") != NULL,
	    "the metrics file is there at start: %.200s", text);
	bans(r, 0, 2);
	line(buf, sizeof(buf), "odd", 100);
	run_line(r, buf, strlen(buf), 0);
	run_line(r, "no prefix", 9, 0);
	line(buf, sizeof(buf), "refused", 101);
	run_line(r, buf, strlen(buf), 0);
	run_idle(r, T0 + 1);
	CHECK(counted(&c) == 0 && c.lines == 5 && c.malformed == 1 &&
	    c.dnsbl == 1 && c.bad_matches == 2 && c.bad_bans == 2 &&
	    c.odd_matches == 1 && c.last_commit == T0 + 1,
	    "counted once a second: %" PRIu64 " lines, %" PRIu64 " malformed, "
	    "%" PRIu64 " dnsbl, t-bad %" PRIu64 "/%" PRIu64 ", t-odd %" PRIu64
	    ", last commit %lld", c.lines, c.malformed, c.dnsbl, c.bad_matches,
	    c.bad_bans, c.odd_matches, (long long)c.last_commit);
	text = slurp(mpath);
	CHECK(strstr(text, "\nmailban_lines_read_total 0\n") != NULL,
	    "not written again within metrics.every");
	run_idle(r, T0 + 10);
	text = slurp(mpath);
	CHECK(strstr(text, "\nmailban_lines_read_total 5\n") != NULL &&
	    strstr(text, "\nmailban_pattern_bans_total{pattern=\"t-bad\"} 2\n")
	    != NULL && strstr(text, "\nmailban_bans_active{family=\"ipv4\"} 2\n")
	    != NULL && strstr(text, "\nmailban_lines_malformed_total 1\n") != NULL,
	    "then written with them: %.300s", text);
	CHECK(run_finish(r, T0 + 11) == 0, "a clean finish");
	run_free(r);
	fake_free(&f);

	/* a ban by hand between the runs */
	st = state_open(state_path(path, sizeof(path)), STATE_WAIT);
	memset(&b, 0, sizeof(b));
	addr_parse("192.0.2.1", 9, &b.addr);
	b.last_ban = T0 + 12;
	snprintf(b.pattern, sizeof(b.pattern), "manual");
	CHECK(st != NULL && state_ban_add(st, &b, "", T0, bt, 1) == 0,
	    "a ban by hand");
	state_close(st);

	r = new_run(&f, &k, 0, 0, NULL);
	run_start(r, T0 + 20);
	bans(r, 2, 3);
	run_idle(r, T0 + 21);
	CHECK(run_finish(r, T0 + 22) == 0, "the second run finishes");
	CHECK(counted(&c) == 0 && c.lines == 6 && c.bad_bans == 3 &&
	    c.bad_matches == 3 && c.manual_bans == 1 && c.last_commit == T0 + 21,
	    "a restart adds to them: %" PRIu64 " lines, t-bad %" PRIu64 "/%"
	    PRIu64 ", manual %" PRIu64 ", last commit %lld", c.lines,
	    c.bad_matches, c.bad_bans, c.manual_bans, (long long)c.last_commit);
	text = slurp(mpath);
	CHECK(strstr(text, "\nmailban_lines_read_total 6\n") != NULL &&
	    strstr(text, "\nmailban_pattern_bans_total{pattern=\"manual\"} 1\n")
	    != NULL, "the file written at the end has them: %.300s", text);
	CHECK(nftw(dir, other_files, 16, FTW_PHYS) == 0,
	    "no temporary file left beside it");
	run_free(r);
	fake_free(&f);
	extra_conf = "";
}

static const struct test_case cases[] = {
	TEST_CASE(counters_across_restarts),
	TEST_CASE(marked_journal_at_stamps),
	TEST_CASE(kernel_absent_then_attached),
	TEST_CASE(kernel_absent_state_unwritable),
	TEST_CASE(kept_lines_at_stamps),
	TEST_CASE(batches_reach_kernel_and_state),
	TEST_CASE(evidence_kept),
	TEST_CASE(evidence_with_the_cursor),
	TEST_CASE(others_read_at_the_tick),
	TEST_CASE(lifted_while_read),
	TEST_CASE(cursor_with_bans_and_scores),
	TEST_CASE(cursor_with_bans_and_scores),
	TEST_CASE(failed_commit_retried),
	TEST_CASE(vanished_set_refilled),
	TEST_CASE(rules_restored),
	TEST_CASE(omprog_answers),
	TEST_CASE(backlog_flood),
	TEST_CASE(dnsbl_errors_warn_and_never_ban),
	TEST_CASE(tracker_full_warns),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	int rc;

	msg_set_progname("test_run");
	msg_set_quiet(1); /* a line a ban */
	if (mkdtemp(dir) == NULL || rmdir(dir) < 0)
		msg_fatal("mkdtemp: %s", strerror(errno));
	rc = TEST_RUN(cases, argc, argv);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
