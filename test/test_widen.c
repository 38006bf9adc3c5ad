/* Unit tests for widen.c: widening by distinct prefixes, and a reload
 * that changes widen.count never counting another network's prefixes. */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "test.h"
#include "widen.h"

static struct config cfg;
static const int64_t t0 = 1795780800;

/* widen /32s to their /24 when count of them are banned within forget */
static void
config_defaults(unsigned count)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.threshold = 10;
	cfg.window = 600;
	cfg.bantimes[0] = 3600;
	cfg.nbantimes = 1;
	cfg.forget = 86400;
	cfg.prefix4 = 32;
	cfg.prefix6 = 128;
	cfg.widen4 = 24;
	cfg.widen6 = 48;
	cfg.widen_count = count;
}

static struct addr
ip(const char *s)
{
	struct addr a;

	if (addr_parse(s, strlen(s), &a) < 0)
		abort();
	return a;
}

/* 1 when the ban of s at t widens */
static int
ban(struct widen *w, const char *s, int64_t t)
{
	struct ban_decision d, out;
	int blocked;

	memset(&d, 0, sizeof(d));
	d.addr = ip(s);
	d.start = t;
	d.duration = 3600;
	return widen_ban(w, &d, NULL, NULL, &out, &blocked);
}

static void
widens_at_count(void)
{
	struct widen *w;

	config_defaults(3);
	w = widen_new(&cfg);
	CHECK(ban(w, "192.0.2.1", t0) == 0, "one");
	CHECK(ban(w, "192.0.2.1", t0 + 1) == 0, "the same prefix again");
	CHECK(ban(w, "192.0.2.2", t0 + 2) == 0, "two");
	CHECK(ban(w, "198.51.100.3", t0 + 3) == 0, "another network");
	CHECK(ban(w, "192.0.2.3", t0 + 4) == 1, "three: the /24");
	widen_free(w);
}

/* the /24 whose table slot is that of 10.0.0.0/24, other than it */
static void
colliding(char *buf, size_t size)
{
	struct addr a = ip("10.0.0.0"), b;
	uint64_t want;
	unsigned i;

	addr_mask(&a, 24);
	want = addr_hash(&a) & (WIDEN_SLOTS - 1);
	for (i = 1; i < (1u << 24); i++) {
		snprintf(buf, size, "%u.%u.%u.0", 11 + (i >> 16), (i >> 8) & 255,
		    i & 255);
		b = ip(buf);
		addr_mask(&b, 24);
		if ((addr_hash(&b) & (WIDEN_SLOTS - 1)) == want)
			return;
	}
	abort();
}

/*
 * A slot taken over clears only the members widen.count keeps: after a
 * reload to a smaller count and back, the members the smaller count left
 * (another network's prefixes, banned within forget) must not count.
 */
static void
reload_counts_no_other_network(void)
{
	struct config big;
	struct widen *w;
	char net[32], b[4][40];
	int i;

	colliding(net, sizeof(net));
	net[strlen(net) - 1] = '\0'; /* "N.N.N." */
	for (i = 0; i < 4; i++)
		snprintf(b[i], sizeof(b[i]), "%s%d", net, i + 1);
	config_defaults(5);
	big = cfg;
	w = widen_new(&big);
	/* four prefixes of 10.0.0.0/24 fill members 0-3 (5 would widen) */
	CHECK(ban(w, "10.0.0.1", t0) == 0 && ban(w, "10.0.0.2", t0) == 0 &&
	    ban(w, "10.0.0.3", t0) == 0 && ban(w, "10.0.0.4", t0) == 0,
	    "four of five");
	config_defaults(2);
	widen_set_config(w, &cfg);
	/* the colliding /24 takes the slot (10.0.0.0/24 is not banned) */
	CHECK(ban(w, b[0], t0 + 10) == 0, "%s takes the slot", b[0]);
	widen_set_config(w, &big);
	CHECK(ban(w, b[1], t0 + 11) == 0, "%s: 2 of 5", b[1]);
	CHECK(ban(w, b[2], t0 + 12) == 0, "%s: 3 of 5, not 10.0.0.3-4's", b[2]);
	CHECK(ban(w, b[3], t0 + 13) == 0, "%s: 4 of 5", b[3]);
	/* the slot's members are its own: a fifth prefix widens */
	snprintf(b[0], sizeof(b[0]), "%s%d", net, 9);
	CHECK(ban(w, b[0], t0 + 15) == 1, "%s: 5 of 5 widens", b[0]);
	widen_free(w);
}

/* a reload that changes widen.count keeps each network's prefixes: all
 * of them when there is more room, the most recent when there is less */
static void
reload_keeps_evidence(void)
{
	struct config three, four;
	struct widen *w;

	config_defaults(3);
	three = cfg;
	config_defaults(4);
	four = cfg;
	w = widen_new(&three);
	CHECK(ban(w, "192.0.2.1", t0) == 0 && ban(w, "192.0.2.2", t0 + 1) == 0,
	    "two of three");
	widen_set_config(w, &four);
	CHECK(ban(w, "192.0.2.3", t0 + 2) == 0, "three of four");
	CHECK(ban(w, "192.0.2.4", t0 + 3) == 1, "four of four: the two before "
	    "the reload counted");
	widen_free(w);

	config_defaults(4);
	four = cfg;
	config_defaults(2);
	w = widen_new(&four);
	CHECK(ban(w, "198.51.100.1", t0) == 0 && ban(w, "198.51.100.2",
	    t0 + 50000) == 0 && ban(w, "198.51.100.3", t0 + 60000) == 0,
	    "three of four");
	widen_set_config(w, &cfg);
	/* two kept, the most recent, .2 and .3; a day (forget) after .2, .4
	 * takes the oldest member's place and .3 is still within forget:
	 * two of two (had .1 and .2 been kept, .2 would be out of it) */
	CHECK(ban(w, "198.51.100.4", t0 + 50000 + 86400 + 1) == 1,
	    "the most recent kept");
	widen_free(w);
}

/* unban of a wide network forgets the evidence of its prefixes */
static void
unban_forgets(void)
{
	struct widen *w;
	struct addr n = ip("192.0.2.0");

	config_defaults(3);
	w = widen_new(&cfg);
	CHECK(ban(w, "192.0.2.1", t0) == 0 && ban(w, "192.0.2.2", t0) == 0 &&
	    ban(w, "192.0.2.3", t0) == 1, "widened");
	addr_mask(&n, 24);
	widen_unban(w, &n);
	CHECK(ban(w, "192.0.2.4", t0 + 1) == 0 && ban(w, "192.0.2.5", t0 + 1) == 0,
	    "evidence forgotten");
	CHECK(ban(w, "192.0.2.6", t0 + 2) == 1, "three new ones widen again");
	widen_free(w);
}

static const struct test_case cases[] = {
	TEST_CASE(widens_at_count),
	TEST_CASE(reload_counts_no_other_network),
	TEST_CASE(reload_keeps_evidence),
	TEST_CASE(unban_forgets),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	return TEST_RUN(cases, argc, argv);
}
