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

static const struct test_case cases[] = {
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
