/* Unit tests for tracker.c: window, threshold, escalation, bounds, qids. */
#include <stdio.h>
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
	struct tracker_join j;
	static char pat_at; /* the tracker keeps a pattern, never reads it */
	const struct pattern *pat = (const void *)&pat_at;
	struct addr a = ip("203.0.113.7"), b = ip("2001:db8::7");
	int i;

	CHECK(tracker_qid(t, "5AR1W9Aa012345", 14, NULL, t0, 4, pat, &d, NULL) == 0,
	    "parked 1");
	CHECK(tracker_qid(t, "5AR1W9Aa012345", 14, NULL, t0, 4, pat, &d, NULL) == 0,
	    "parked 2");
	CHECK(tracker_qid(t, "5AR1W9Aa099999", 14, NULL, t0, 4, pat, &d, NULL) == 0,
	    "other qid");
	CHECK(tracker_qid(t, "5AR1W9Aa012345", 14, &a, t0 + 1, 0, NULL, &d, &j) == 0,
	    "8 < 10");
	/* the session line says what it joined: the two parked lines */
	CHECK(j.joined == 8 && j.pat == pat && !j.bound, "joined %d",
	    (int)j.joined);
	CHECK(tracker_qid(t, "5AR1W9Aa012345", 14, NULL, t0 + 2, 4, NULL, &d, &j) == 1
	    && addr_equal(&d.addr, &a), "bound qid bans its address");
	CHECK(j.bound && addr_equal(&j.addr, &a) && j.joined == 0,
	    "a line of a bound qid says whose");
	/* the other queue ID's evidence never counts against a */
	CHECK(tracker_qid(t, "5AR1W9Aa099999", 14, &b, t0 + 3, 0, NULL, &d, &j) == 0,
	    "4 for b only");
	CHECK(j.joined == 4 && !j.bound, "b joined %d", (int)j.joined);
	/* nothing parked: nothing joined */
	CHECK(tracker_qid(t, "5AR1W9Aa077777", 14, &b, t0 + 3, 0, NULL, &d, &j) == 0
	    && j.joined == 0 && j.pat == NULL && !j.bound, "no join");
	/* the qid cache is bounded: old qids are replaced */
	for (i = 0; i < 100; i++) {
		char q[16];

		snprintf(q, sizeof(q), "Q%05d", i);
		tracker_qid(t, q, strlen(q), NULL, t0, 4, NULL, &d, NULL);
	}
	tracker_get_stats(t, &st);
	CHECK(st.qids_evicted >= 84, "qids evicted %llu",
	    (unsigned long long)st.qids_evicted);
	tracker_free(t);
}

/* the nth address of a flood: distinct, IPv4 or IPv6 */
static struct addr
flood_addr(int v6, uint32_t n)
{
	struct addr c = ip(v6 ? "2001:db8:f100::" : "10.0.0.0");

	if (v6) {
		c.bytes[8] = (uint8_t)(n >> 24);
		c.bytes[9] = (uint8_t)(n >> 16);
		c.bytes[14] = (uint8_t)(n >> 8);
		c.bytes[15] = (uint8_t)n;
	} else {
		c.bytes[1] = (uint8_t)(n >> 16);
		c.bytes[2] = (uint8_t)(n >> 8);
		c.bytes[3] = (uint8_t)n;
	}
	return c;
}

/*
 * The eviction flood: three failures of 3, then a hundred times the table
 * in distinct one-offs of 1 within the window, then a fourth failure: a
 * ban, on IPv4 and IPv6 (least recently seen first evicted the offender)
 */
static void
flood_ends_in_ban(void)
{
	struct tracker_stats st;
	struct ban_decision d;
	int v6;
	uint32_t n;

	for (v6 = 0; v6 <= 1; v6++) {
		struct tracker *t = new_tracker();
		struct addr a = ip(v6 ? "2001:db8:bad::1" : "203.0.113.66");

		CHECK(tracker_hit(t, &a, t0, 3, NULL, &d) == 0, "1");
		CHECK(tracker_hit(t, &a, t0 + 1, 3, NULL, &d) == 0, "2");
		CHECK(tracker_hit(t, &a, t0 + 2, 3, NULL, &d) == 0, "3");
		for (n = 0; n < 10000; n++) {
			struct addr c = flood_addr(v6, n);

			CHECK(tracker_hit(t, &c, t0 + 3 + n / 20, 1, NULL, &d) == 0,
			    "one-off %u", n);
		}
		CHECK(tracker_hit(t, &a, t0 + 599, 3, NULL, &d) == 1 &&
		    d.score == 12 && addr_equal(&d.addr, &a),
		    "v%d: the fourth failure after the flood bans", v6 ? 6 : 4);
		tracker_get_stats(t, &st);
		CHECK(st.tracked == 100 && st.evicted >= 9900, "tracked %llu "
		    "evicted %llu", (unsigned long long)st.tracked,
		    (unsigned long long)st.evicted);
		tracker_free(t);
	}
}

/*
 * Least score first: a flood of 3s pushes out the 1s before any 3, the
 * oldest 3s first, and never the address at 9
 */
static void
least_score_then_oldest(void)
{
	struct tracker *t = new_tracker();
	struct ban_decision d;
	struct addr near = ip("192.0.2.9"), c;
	uint32_t n;

	CHECK(tracker_hit(t, &near, t0, 9, NULL, &d) == 0, "near");
	for (n = 0; n < 49; n++) { /* 49 threes, then 50 ones */
		c = flood_addr(0, n);
		tracker_hit(t, &c, t0 + 1, 3, NULL, &d);
	}
	for (n = 49; n < 99; n++) {
		c = flood_addr(0, n);
		tracker_hit(t, &c, t0 + 2, 1, NULL, &d);
	}
	for (n = 1000; n < 1050; n++) { /* 50 new threes: the ones go */
		c = flood_addr(0, n);
		tracker_hit(t, &c, t0 + 3, 3, NULL, &d);
	}
	for (n = 0; n < 49; n++) {
		c = flood_addr(0, n);
		CHECK(tracker_hit(t, &c, t0 + 4, 7, NULL, &d) == 1,
		    "an old three was evicted before a one (%u)", n);
	}
	c = flood_addr(0, 49);
	CHECK(tracker_hit(t, &c, t0 + 5, 9, NULL, &d) == 0, "the ones went");
	/* now the oldest threes go first: the ones of t0 + 3 */
	for (n = 2000; n < 2010; n++) {
		c = flood_addr(0, n);
		tracker_hit(t, &c, t0 + 6, 3, NULL, &d);
	}
	c = flood_addr(0, 1000);
	CHECK(tracker_hit(t, &c, t0 + 7, 7, NULL, &d) == 0,
	    "the oldest three went first");
	c = flood_addr(0, 1049);
	CHECK(tracker_hit(t, &c, t0 + 7, 7, NULL, &d) == 1,
	    "a newer three stayed");
	CHECK(tracker_hit(t, &near, t0 + 8, 1, NULL, &d) == 1 && d.score == 10,
	    "the address at 9 stayed through it all");
	tracker_free(t);
}

/*
 * A table full of addresses close to their threshold takes no one-off in
 * (refused), and loses none of them; once their scores aged out of the
 * window, newcomers take their place
 */
static void
full_of_evidence_refuses_one_offs(void)
{
	struct tracker *t = new_tracker();
	struct tracker_stats st;
	struct ban_decision d;
	struct addr c;
	uint32_t n;

	for (n = 0; n < 100; n++) {
		c = flood_addr(1, n);
		tracker_hit(t, &c, t0, 9, NULL, &d);
	}
	for (n = 1000; n < 2000; n++) {
		c = flood_addr(1, n);
		CHECK(tracker_hit(t, &c, t0 + 10, 1, NULL, &d) == 0, "one-off");
	}
	tracker_get_stats(t, &st);
	CHECK(st.refused == 1000 && st.evicted == 0, "refused %llu evicted "
	    "%llu", (unsigned long long)st.refused,
	    (unsigned long long)st.evicted);
	/* a first hit at the threshold always comes in, and bans */
	c = flood_addr(1, 5000);
	CHECK(tracker_hit(t, &c, t0 + 11, 10, NULL, &d) == 1, "ban at once");
	for (n = 1; n < 100; n++) { /* flood_addr(1, 0) made room for it */
		c = flood_addr(1, n);
		CHECK(tracker_hit(t, &c, t0 + 12, 1, NULL, &d) == 1,
		    "kept %u", n);
	}
	tracker_free(t);
	t = new_tracker();
	for (n = 0; n < 100; n++) {
		c = flood_addr(1, n);
		tracker_hit(t, &c, t0, 9, NULL, &d);
	}
	for (n = 1000; n < 1100; n++) { /* after the window: all aged */
		c = flood_addr(1, n);
		tracker_hit(t, &c, t0 + 600, 1, NULL, &d);
	}
	tracker_get_stats(t, &st);
	CHECK(st.refused == 0 && st.evicted == 100, "aged: refused %llu "
	    "evicted %llu", (unsigned long long)st.refused,
	    (unsigned long long)st.evicted);
	tracker_free(t);
}

/*
 * An address banned before keeps its count through a flood that comes
 * after its ban ended: its next ban is the second (a day), not a first
 */
static void
flood_keeps_ban_history(void)
{
	struct tracker *t = new_tracker();
	struct ban_decision d;
	struct addr a = ip("2001:db8:bad::2"), c;
	uint32_t n;

	CHECK(tracker_hit(t, &a, t0, 10, NULL, &d) == 1 && d.count == 1, "ban");
	for (n = 0; n < 1000; n++) {
		c = flood_addr(n & 1, n);
		tracker_hit(t, &c, t0 + 4000 + n / 10, 3, NULL, &d);
	}
	CHECK(tracker_hit(t, &a, t0 + 4200, 10, NULL, &d) == 1 &&
	    d.count == 2 && d.duration == 86400, "second ban, count %u",
	    d.count);
	tracker_free(t);
}

/* the memory held stays within the bound tracker.h states */
static void
memory_bound(void)
{
	struct tracker *t;
	struct tracker_stats st;
	struct ban_decision d;
	struct addr c;
	uint32_t n;
	int keep;

	for (keep = 0; keep <= 1; keep++) {
		t = new_tracker();
		if (keep)
			tracker_keep_dirty(t);
		for (n = 0; n < 5000; n++) {
			c = flood_addr(n & 1, n);
			tracker_hit(t, &c, t0 + n / 10, 1 + n % 9, NULL, &d);
		}
		tracker_get_stats(t, &st);
		CHECK(st.tracked == 100, "tracked %llu",
		    (unsigned long long)st.tracked);
		CHECK(st.bytes > 0 && st.bytes <= 100 * (uint64_t)
		    (TRACKER_ENTRY_BYTES + (keep ? TRACKER_DIRTY_BYTES : 0)) +
		    (keep ? 1024 * sizeof(struct addr) : 0),
		    "%llu bytes for 100 addresses", (unsigned long long)st.bytes);
		tracker_free(t);
	}
}

/*
 * A reload that lengthens `forget` makes an address banned long ago
 * evidence again: placed again at once, it outlives the next flood and
 * its next ban is its second
 */
static void
reload_places_again(void)
{
	struct tracker *t;
	struct config longer;
	struct ban_decision d;
	struct addr a = ip("2001:db8:bad::3"), e = ip("192.0.2.50"), c;
	const int64_t later = t0 + 2 * 86400;
	uint32_t n;

	config_defaults();
	cfg.forget = 86400;
	t = tracker_new(&cfg);
	tracker_hit(t, &e, t0, 1, NULL, &d); /* ages into nothing */
	CHECK(tracker_hit(t, &a, t0 + 1, 10, NULL, &d) == 1, "first ban");
	for (n = 0; n < 98; n++) { /* the table full */
		c = flood_addr(0, n);
		tracker_hit(t, &c, later, 1, NULL, &d);
	}
	/* room for one more: e goes, a (its ban past forget) drops to nothing */
	c = flood_addr(0, 98);
	tracker_hit(t, &c, later, 1, NULL, &d);
	longer = cfg;
	longer.forget = 365 * 86400;
	tracker_set_config(t, &longer);
	for (n = 1000; n < 1200; n++) {
		c = flood_addr(1, n);
		tracker_hit(t, &c, later + 1, 1, NULL, &d);
	}
	CHECK(tracker_hit(t, &a, later + 2, 10, NULL, &d) == 1 && d.count == 2,
	    "second ban after the reload and a flood: count %u", d.count);
	tracker_free(t);
}

/*
 * The hashes hold under churn: addresses and queue IDs replaced one by
 * one in tables kept nearly full, with collisions (each removal moves
 * others back in their probe sequences); every one held is still found.
 */
static void
churn_keeps_every_key(void)
{
	struct collect col;
	struct tracker *t = new_tracker();
	struct tracker_stats st;
	struct ban_decision d;
	char qid[16];
	int i, k, bans = 0, bad = 0;

	tracker_keep_dirty(t);
	for (i = 0; i < 5000; i++) {
		struct addr c = ip("10.0.0.1");

		c.bytes[2] = (uint8_t)(i >> 8);
		c.bytes[3] = (uint8_t)i;
		tracker_hit(t, &c, t0 + i / 100, 1, NULL, &d);
		if (i % 100 == 99) {
			/* the last 100 are held, each with its one score */
			memset(&col, 0, sizeof(col));
			tracker_drain_dirty(t, collect_cb, &col);
			if (col.calls != 100 || col.events != 100)
				bad++;
		}
	}
	CHECK(bad == 0, "%d drains missed held addresses", bad);
	tracker_get_stats(t, &st);
	CHECK(st.tracked == 100 && st.evicted == 4900, "tracked %llu evicted "
	    "%llu", (unsigned long long)st.tracked,
	    (unsigned long long)st.evicted);
	tracker_free(t);
	/* queue IDs: 16 in the ring, each joined 15 queue IDs later */
	t = new_tracker();
	for (k = 0; k < 3000; k++) {
		struct addr c = ip("10.1.0.1");

		snprintf(qid, sizeof(qid), "Q%dX", k * 7919);
		tracker_qid(t, qid, strlen(qid), NULL, t0, 9, NULL, &d, NULL);
		if (k < 15)
			continue;
		snprintf(qid, sizeof(qid), "Q%dX", (k - 15) * 7919);
		c.bytes[2] = (uint8_t)(k >> 8);
		c.bytes[3] = (uint8_t)k;
		if (tracker_qid(t, qid, strlen(qid), &c, t0, 1, NULL, &d, NULL) == 1 &&
		    d.score == 10)
			bans++;
	}
	CHECK(bans == 3000 - 15, "%d of %d joins found their queue ID", bans,
	    3000 - 15);
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
	TEST_CASE(flood_ends_in_ban),
	TEST_CASE(least_score_then_oldest),
	TEST_CASE(full_of_evidence_refuses_one_offs),
	TEST_CASE(flood_keeps_ban_history),
	TEST_CASE(memory_bound),
	TEST_CASE(reload_places_again),
	TEST_CASE(churn_keeps_every_key),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	return TEST_RUN(cases, argc, argv);
}
