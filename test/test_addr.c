/* Unit table for addr.c: literal addresses only, canonical text, CIDR. */
#include "addr.h"
#include "test.h"

static const struct {
	const char *in;
	const char *want; /* NULL: rejected */
} table[] = {
	{"203.0.113.7", "203.0.113.7"},
	{"0.0.0.0", "0.0.0.0"},
	{"255.255.255.255", "255.255.255.255"},
	{"2001:db8::1", "2001:db8::1"},
	{"2001:DB8:0:0:0:0:0:10", "2001:db8::10"},
	{"2001:db8:1:0:0:0:0:10", "2001:db8:1::10"},
	{"::ffff:203.0.113.9", "203.0.113.9"},
	{"::FFFF:198.51.100.1", "198.51.100.1"},
	{"::1", "::1"},
	{"fe80::1%eth0", NULL}, /* zone ids are not client addresses */
	{"256.1.1.1", NULL},
	{"1.2.3", NULL},
	{"1.2.3.4.5", NULL},
	{"1.2.3.4 ", NULL},
	{" 1.2.3.4", NULL},
	{"0x7f.0.0.1", NULL},
	{"127.1", NULL},
	{"mail.example.com", NULL},
	{"localhost", NULL},
	{"unknown", NULL},
	{"", NULL},
	{"2001:db8::g", NULL},
	{"2001:db8:::1", NULL},
	{"IPv6:2001:db8::1", NULL},
	{"1111:2222:3333:4444:5555:6666:7777:8888:9999", NULL},
	{"12345678901234567890123456789012345678901234567890", NULL},
};

/* every row of the table; the length bounds the text, NULs included */
static void
parse_table(void)
{
	static const char nul[] = "1.2.3.4\0garbage";
	char buf[ADDR_STRLEN];
	struct addr a;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int rc = addr_parse(table[i].in, strlen(table[i].in), &a);

		if (table[i].want == NULL) {
			CHECK(rc < 0, "\"%s\" accepted", table[i].in);
		} else {
			CHECK(rc == 0, "\"%s\" rejected", table[i].in);
			if (rc == 0)
				CHECK_STR(addr_format(&a, buf), table[i].want);
		}
	}
	CHECK(addr_parse(nul, sizeof(nul) - 1, &a) < 0, "NUL inside accepted");
	CHECK(addr_parse(nul, 7, &a) == 0, "length-bounded parse failed");
}

static void
cidr_contains_examples(void)
{
	struct addr a, b;
	struct cidr c;

	CHECK(cidr_parse("127.0.0.0/8", &c) == 0, "cidr");
	addr_parse("127.9.9.9", 9, &a);
	CHECK(cidr_contains(&c, &a), "127.9.9.9 in 127/8");
	addr_parse("128.0.0.1", 9, &a);
	CHECK(!cidr_contains(&c, &a), "128.0.0.1 in 127/8");
	CHECK(cidr_parse("2001:db8::/32", &c) == 0, "cidr6");
	addr_parse("2001:db8:ffff::1", 16, &a);
	CHECK(cidr_contains(&c, &a), "v6 in /32");
	addr_parse("2001:db9::1", 11, &a);
	CHECK(!cidr_contains(&c, &a), "v6 not in /32");
	addr_parse("203.0.113.5", 11, &a);
	CHECK(!cidr_contains(&c, &a), "v4 in v6 prefix");
	CHECK(cidr_parse("203.0.113.0/25", &c) == 0, "cidr /25");
	CHECK(cidr_contains(&c, &a), ".5 in /25");
	addr_parse("203.0.113.200", 13, &b);
	CHECK(!cidr_contains(&c, &b), ".200 in /25");
}

/* every prefix length against a bit-by-bit reference: an address equal
 * to the network, then with each single bit flipped */
static void
cidr_every_prefix_length(void)
{
	unsigned fam, plen, bit, k, want, bits;
	struct addr a;
	struct cidr c;

	for (fam = 0; fam < 2; fam++) {
		bits = fam ? 128 : 32;
		for (plen = 0; plen <= bits; plen++) {
			memset(&c, 0, sizeof(c));
			c.addr.family = fam ? ADDR_V6 : ADDR_V4;
			for (k = 0; k < bits / 8; k++)
				c.addr.bytes[k] = (uint8_t)(0xa5 ^ (k * 37));
			c.plen = (uint8_t)plen;
			for (bit = 0; bit <= bits; bit++) {
				a = c.addr;
				if (bit < bits)
					a.bytes[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
				want = bit == bits || bit >= plen;
				CHECK(cidr_contains(&c, &a) == (int)want,
				    "family %u /%u, bit %u flipped: want %u",
				    fam, plen, bit, want);
			}
		}
	}
}

static void
cidr_parse_edges(void)
{
	struct addr a;
	struct cidr c;

	CHECK(cidr_parse("203.0.113.0/33", &c) < 0, "/33 accepted");
	CHECK(cidr_parse("203.0.113.0/", &c) < 0, "empty prefix accepted");
	CHECK(cidr_parse("203.0.113.0/-1", &c) < 0, "negative prefix");
	CHECK(cidr_parse("example.com/24", &c) < 0, "name accepted");
	CHECK(cidr_parse("::ffff:10.0.0.0/104", &c) == 0, "mapped cidr");
	addr_parse("10.1.2.3", 8, &a);
	CHECK(cidr_contains(&c, &a), "mapped /104 is 10/8");
	CHECK(cidr_parse("198.51.100.7", &c) == 0 && c.plen == 32, "bare addr");
}

static void
equality_and_hash(void)
{
	struct addr a, b;

	addr_parse("2001:db8::1", 11, &a);
	addr_parse("2001:0db8:0::0:1", 16, &b);
	CHECK(addr_equal(&a, &b) && addr_hash(&a) == addr_hash(&b), "same v6");
}

/* "ADDR/LEN" in, canonical network out (NULL: refused). */
static void
networks(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{"2001:db8:1:2:3:4:5:6/64", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::/48", "2001:db8:1::/48"},
		{"2001:db8::1/128", "2001:db8::1"}, /* the address itself */
		{"2001:db8:ffff::/33", "2001:db8:8000::/33"},
		{"2001:db8::/127", "2001:db8::/127"},
		{"198.51.100.77/24", "198.51.100.0/24"},
		{"198.51.100.77/28", "198.51.100.64/28"},
		{"198.51.100.77/32", "198.51.100.77"},
		{"198.51.100.77/1", "128.0.0.0/1"},
		{"198.51.100.77", "198.51.100.77"},
		{"::ffff:198.51.100.77/24", "198.51.100.0/24"},
		{"198.51.100.77/33", NULL},
		{"198.51.100.77/0", NULL},
		{"2001:db8::/129", NULL},
		{"2001:db8::/", NULL},
		{"2001:db8::/6x", NULL},
		{"2001:db8::/0064", NULL},
		{"/24", NULL},
	};
	char buf[ADDR_STRLEN];
	struct addr a;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = addr_parse_net(t[i].in, strlen(t[i].in), &a);
		if (t[i].want == NULL) {
			CHECK(rc < 0, "\"%s\" accepted", t[i].in);
			continue;
		}
		CHECK(rc == 0, "\"%s\" refused", t[i].in);
		if (rc == 0)
			CHECK_STR(addr_format(&a, buf), t[i].want);
	}
	/* the longest text fits ADDR_STRLEN */
	CHECK(addr_parse_net("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/127",
	    49, &a) == 0, "longest network");
	CHECK(strlen(addr_format(&a, buf)) < ADDR_STRLEN, "fits");
}

static void
masks_and_containment(void)
{
	struct addr a, b, n48, n64;
	struct cidr c;

	addr_parse("2001:db8:1:2::7", 15, &a);
	n64 = a;
	addr_mask(&n64, 64);
	n48 = a;
	addr_mask(&n48, 48);
	CHECK(n64.plen == 64 && n48.plen == 48, "plen");
	CHECK(!addr_equal(&a, &n64), "an address is not its /64");
	CHECK(addr_hash(&n64) != addr_hash(&n48), "hash sees the length");
	b = n64;
	addr_mask(&b, 64);
	CHECK(addr_equal(&b, &n64), "masking twice changes nothing");
	addr_mask(&b, 128);
	CHECK(addr_equal(&b, &n64), "a network is never narrowed again");
	CHECK(addr_within(&n64, &a), "address in its /64");
	CHECK(addr_within(&n48, &n64), "/64 in its /48");
	CHECK(!addr_within(&n64, &n48), "/48 not in a /64");
	CHECK(addr_within(&a, &a) && addr_within(&n48, &n48), "itself");
	addr_parse("2001:db8:1:3::7", 15, &b);
	CHECK(!addr_within(&n64, &b) && addr_within(&n48, &b), "the next /64");
	addr_parse("203.0.113.9", 11, &b);
	CHECK(!addr_within(&n48, &b), "other family");
	/* the ignore list's entries against a network */
	cidr_parse("2001:db8:1:ffff::1", &c);
	CHECK(cidr_overlaps(&c, &n48) && !cidr_overlaps(&c, &n64),
	    "an ignored address inside the /48, not the /64");
	cidr_parse("2001:db8::/32", &c);
	CHECK(cidr_overlaps(&c, &n48) && cidr_overlaps(&c, &a),
	    "an ignored /32 around the /48");
	cidr_parse("2001:db9::/32", &c);
	CHECK(!cidr_overlaps(&c, &n48), "elsewhere");
	addr_parse("198.51.100.200", 14, &a);
	addr_mask(&a, 24);
	cidr_parse("198.51.100.7", &c);
	CHECK(cidr_overlaps(&c, &a), "v4 address inside the /24");
	cidr_parse("198.51.101.0/24", &c);
	CHECK(!cidr_overlaps(&c, &a), "the next /24");
}

/* unban of a network lifts the bans inside it and those around it; ban of
 * a network is refused when an ignore entry shares an address with it */
static void
overlapping(void)
{
	struct addr n48, n64, a, v4;
	struct addr_list l = {0};
	struct cidr c;

	addr_parse_net("2001:db8:1::/48", 15, &n48);
	addr_parse_net("2001:db8:1:2::/64", 17, &n64);
	addr_parse("2001:db8:1:2::9", 15, &a);
	CHECK(addr_overlaps(&n48, &n64) && addr_overlaps(&n64, &n48),
	    "a /64 inside the /48, either way round");
	CHECK(addr_overlaps(&n48, &a) && addr_overlaps(&a, &n64),
	    "an address inside both");
	CHECK(addr_overlaps(&a, &a), "an address and itself");
	addr_parse_net("2001:db8:2::/48", 15, &n64);
	CHECK(!addr_overlaps(&n48, &n64) && !addr_overlaps(&n64, &a),
	    "the next /48: nothing shared");
	addr_parse("2001:db8:1:2::8", 15, &n64);
	CHECK(!addr_overlaps(&a, &n64), "two addresses");
	addr_parse_net("203.0.113.0/24", 14, &v4);
	CHECK(!addr_overlaps(&v4, &n48), "other family");
	CHECK(addr_list_overlapping(&l, &v4) == NULL, "an empty list");
	cidr_parse("198.51.100.0/24", &c);
	addr_list_add(&l, &c);
	cidr_parse("203.0.113.7", &c);
	addr_list_add(&l, &c);
	cidr_parse("2001:db8::/32", &c);
	addr_list_add(&l, &c);
	CHECK(addr_list_overlapping(&l, &v4) == &l.items[1],
	    "the /24 holds an ignored address: that entry");
	CHECK(addr_list_overlapping(&l, &n48) == &l.items[2],
	    "the /48 inside an ignored /32: that entry");
	addr_parse_net("203.0.114.0/24", 14, &v4);
	CHECK(addr_list_overlapping(&l, &v4) == NULL, "the next /24: none");
	addr_list_free(&l);
}

static const struct test_case cases[] = {
	TEST_CASE(networks),
	TEST_CASE(masks_and_containment),
	TEST_CASE(overlapping),
	TEST_CASE(parse_table),
	TEST_CASE(cidr_contains_examples),
	TEST_CASE(cidr_every_prefix_length),
	TEST_CASE(cidr_parse_edges),
	TEST_CASE(equality_and_hash),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	return TEST_RUN(cases, argc, argv);
}
