/* Unit tests for tracker.c: window, threshold, escalation, bounds, qids. */
#include <stdlib.h>

#include "config.h"
#include "test.h"
#include "tracker.h"

static struct config cfg;

struct collect {
	size_t calls, events;
	long sum;
};

static void
collect_cb(void *ctx, const struct addr *a, const struct score_event *ev,
    size_t n, int64_t last_seen)
{
	struct collect *c = ctx;
	size_t i;

	(void)a;
	(void)last_seen;
	c->calls++;
	c->events += n;
	for (i = 0; i < n; i++)
		c->sum += ev[i].score;
}

static struct addr
ip(const char *s)
{
	struct addr a;

	if (addr_parse(s, strlen(s), &a) < 0)
		abort();
	return a;
}

static const int64_t t0 = 1795780800;

/* The configuration every case starts from: threshold 10 in a window of
 * 600 s, bans of an hour, a day, a week, 100 addresses, 16 queue IDs. */
static void
config_defaults(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.threshold = 10;
	cfg.window = 600;
	cfg.bantimes[0] = 3600;
	cfg.bantimes[1] = 86400;
	cfg.bantimes[2] = 604800;
	cfg.nbantimes = 3;
	cfg.forget = 365 * 86400;
	cfg.max_tracked = 100;
	cfg.max_qids = 16;
}

static struct tracker *
new_tracker(void)
{
	config_defaults();
	return tracker_new(&cfg);
}

/* three hits of 3 do not ban; the fourth inside the window does; then
 * the ban escalates, and is forgotten after the forget horizon */
static void
threshold_and_escalation(void)
{
	struct tracker *t = new_tracker();
	struct ban_decision d;
	struct addr a = ip("203.0.113.7");

	CHECK(tracker_hit(t, &a, t0, 3, NULL, &d) == 0, "1");
	CHECK(tracker_hit(t, &a, t0 + 10, 3, NULL, &d) == 0, "2");
	CHECK(tracker_hit(t, &a, t0 + 20, 3, NULL, &d) == 0, "3");
	CHECK(tracker_hit(t, &a, t0 + 30, 3, NULL, &d) == 1, "4th bans");
	CHECK(d.duration == 3600 && d.count == 1 && d.score == 12, "first ban");
	CHECK(addr_equal(&d.addr, &a), "address");
	/* while banned, nothing decides again */
	CHECK(tracker_hit(t, &a, t0 + 40, 100, NULL, &d) == 0, "banned");
	/* after the ban, the second ban lasts a day */
	CHECK(tracker_hit(t, &a, t0 + 3700, 10, NULL, &d) == 1 &&
	    d.duration == 86400 && d.count == 2, "second");
	CHECK(tracker_hit(t, &a, t0 + 3700 + 86400, 10, NULL, &d) == 1 &&
	    d.duration == 604800 && d.count == 3, "third");
	/* the last duration repeats */
	CHECK(tracker_hit(t, &a, t0 + 3700 + 86400 + 604800, 10, NULL, &d) == 1 &&
	    d.duration == 604800 && d.count == 4, "fourth repeats the last");
	/* after the forget horizon, it is a first offence again */
	CHECK(tracker_hit(t, &a, t0 + 2 * 365 * 86400, 10, NULL, &d) == 1 &&
	    d.count == 1 && d.duration == 3600, "forgotten");
	tracker_free(t);
}

/* scores outside the window are forgotten */
static void
window(void)
{
	struct tracker *t = new_tracker();
	struct ban_decision d;
	struct addr b = ip("2001:db8::7");

	CHECK(tracker_hit(t, &b, t0, 5, NULL, &d) == 0, "b1");
	CHECK(tracker_hit(t, &b, t0 + 600, 5, NULL, &d) == 0, "b2 after window");
	CHECK(tracker_hit(t, &b, t0 + 601, 5, NULL, &d) == 1, "b3 within");
	tracker_free(t);
}

/* score 0 records without counting, and takes no room */
static void
score_zero_takes_no_room(void)
{
	struct tracker *t = new_tracker();
	struct tracker_stats st;
	struct ban_decision d;
	struct addr a = ip("203.0.113.7"), c = ip("198.51.100.1");
	uint64_t held;
	int i;

	tracker_hit(t, &a, t0, 3, NULL, &d); /* someone already held */
	tracker_get_stats(t, &st);
	held = st.tracked;
	for (i = 0; i < 50; i++)
		CHECK(tracker_hit(t, &c, t0 + i, 0, NULL, &d) == 0, "zero");
	tracker_get_stats(t, &st);
	CHECK(st.tracked == held, "score 0 took room: %llu -> %llu",
	    (unsigned long long)held, (unsigned long long)st.tracked);
	tracker_free(t);
}

/*
 * ... but it marks an address already held as seen: with room for two,
 * x (seen again with score 0) outlives y when z comes in
 */
static void
score_zero_marks_seen(void)
{
	struct config small;
	struct tracker *u;
	struct ban_decision d;
	struct addr x = ip("192.0.2.1"), y = ip("192.0.2.2"),
	    z = ip("192.0.2.3");

	config_defaults();
	small = cfg;
	small.max_tracked = 2;
	u = tracker_new(&small);
	CHECK(tracker_hit(u, &x, t0, 5, NULL, &d) == 0, "x");
	CHECK(tracker_hit(u, &y, t0 + 1, 5, NULL, &d) == 0, "y");
	CHECK(tracker_hit(u, &x, t0 + 2, 0, NULL, &d) == 0, "x seen");
	CHECK(tracker_hit(u, &z, t0 + 3, 5, NULL, &d) == 0, "z");
	CHECK(tracker_hit(u, &x, t0 + 4, 5, NULL, &d) == 1 && d.score == 10,
	    "x was evicted instead of y");
	CHECK(tracker_hit(u, &y, t0 + 5, 5, NULL, &d) == 0,
	    "y kept its score though least recently seen");
	tracker_free(u);
}

/* many small events: merging keeps the sum, never bans early */
static void
small_events_merge(void)
{
	struct tracker *t = new_tracker();
	struct ban_decision d;
	struct addr c = ip("198.51.100.2");
	int i, n;

	for (i = 0, n = 0; i < 10; i++)
		n += tracker_hit(t, &c, t0 + i, 1, NULL, &d);
	CHECK(n == 1 && d.score == 10, "ten ones ban once (%d)", n);
	tracker_free(t);
}

/* unban forgets the ban but not the count */
static void
unban_keeps_count(void)
{
	struct tracker *t = new_tracker();
	struct ban_decision d;
	struct addr b = ip("2001:db8::7");

	if (tracker_hit(t, &b, t0 + 601, 10, NULL, &d) != 1) /* banned once */
		CHECK(0, "the first ban");
	tracker_unban(t, &b);
	CHECK(tracker_hit(t, &b, t0 + 700, 10, NULL, &d) == 1 && d.count == 2,
	    "after unban");
	tracker_free(t);
}

/* bounded: never more than max_tracked addresses */
static void
bounded(void)
{
	struct tracker *t = new_tracker();
	struct tracker_stats st;
	struct ban_decision d;
	int i;

	for (i = 0; i < 1000; i++) {
		struct addr c = ip("10.0.0.1");

		c.bytes[2] = (uint8_t)(i >> 8);
		c.bytes[3] = (uint8_t)i;
		tracker_hit(t, &c, t0 + i, 1, NULL, &d);
	}
	tracker_get_stats(t, &st);
	CHECK(st.tracked <= 100, "tracked %llu", (unsigned long long)st.tracked);
	CHECK(st.evicted > 0, "evicted");
	tracker_free(t);
}

/* scores in flight: drained for the state file, seeded back */
static void
scores_drained_and_seeded(void)
{
	struct collect col = {0, 0, 0};
	struct tracker *u;
	struct ban_decision d;
	struct addr b = ip("2001:db8::7"), c = ip("192.0.2.77");
	struct score_event ev[TRACKER_EVENTS];
	void (*cb)(void *, const struct addr *, const struct score_event *,
	    size_t, int64_t);

	cb = collect_cb;
	u = new_tracker();
	tracker_keep_dirty(u);
	tracker_hit(u, &c, t0, 3, NULL, &d);
	tracker_hit(u, &c, t0 + 5, 4, NULL, &d);
	tracker_drain_dirty(u, cb, &col);
	CHECK(col.calls == 1 && col.events == 2 && col.sum == 7,
	    "drain: %zu calls %zu events %ld", col.calls, col.events, col.sum);
	col.calls = 0;
	tracker_drain_dirty(u, cb, &col);
	CHECK(col.calls == 0, "drained twice");
	tracker_free(u);
	/* a new tracker seeded with them bans on the next 3 */
	u = new_tracker();
	ev[0].t = t0;
	ev[0].score = 3;
	ev[1].t = t0 + 5;
	ev[1].score = 4;
	tracker_seed_events(u, &c, ev, 2, t0 + 10);
	CHECK(tracker_hit(u, &c, t0 + 20, 3, NULL, &d) == 1 && d.score == 10,
	    "seeded scores count");
	/* events older than the window are not seeded */
	tracker_seed_events(u, &b, ev, 2, t0 + 1000);
	CHECK(tracker_hit(u, &b, t0 + 1000, 3, NULL, &d) == 0, "stale seed");
	tracker_free(u);
}

/* queue IDs: parked evidence applies to the later session line */
static void
queue_ids(void)
{
	struct tracker *t = new_tracker();
	struct tracker_stats st;
	struct ban_decision d;
	struct addr a = ip("203.0.113.7"), b = ip("2001:db8::7");
	int i;

	CHECK(tracker_qid(t, "5AR1W9Aa012345", 14, NULL, t0, 4, NULL, &d) == 0,
	    "parked 1");
	CHECK(tracker_qid(t, "5AR1W9Aa012345", 14, NULL, t0, 4, NULL, &d) == 0,
	    "parked 2");
	CHECK(tracker_qid(t, "5AR1W9Aa099999", 14, NULL, t0, 4, NULL, &d) == 0,
	    "other qid");
	CHECK(tracker_qid(t, "5AR1W9Aa012345", 14, &a, t0 + 1, 0, NULL, &d) == 0,
	    "8 < 10");
	CHECK(tracker_qid(t, "5AR1W9Aa012345", 14, NULL, t0 + 2, 4, NULL, &d) == 1
	    && addr_equal(&d.addr, &a), "bound qid bans its address");
	/* the other queue ID's evidence never counts against a */
	CHECK(tracker_qid(t, "5AR1W9Aa099999", 14, &b, t0 + 3, 0, NULL, &d) == 0,
	    "4 for b only");
	/* the qid cache is bounded: old qids are replaced */
	for (i = 0; i < 100; i++) {
		char q[16];

		snprintf(q, sizeof(q), "Q%05d", i);
		tracker_qid(t, q, strlen(q), NULL, t0, 4, NULL, &d);
	}
	tracker_get_stats(t, &st);
	CHECK(st.qids_evicted >= 84, "qids evicted %llu",
	    (unsigned long long)st.qids_evicted);
	tracker_free(t);
}

static const struct test_case cases[] = {
	TEST_CASE(threshold_and_escalation),
	TEST_CASE(window),
	TEST_CASE(score_zero_takes_no_room),
	TEST_CASE(score_zero_marks_seen),
	TEST_CASE(small_events_merge),
	TEST_CASE(unban_keeps_count),
	TEST_CASE(bounded),
	TEST_CASE(scores_drained_and_seeded),
	TEST_CASE(queue_ids),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	return TEST_RUN(cases, argc, argv);
}
