/*
 * The fast paths of addr.c give exactly what inet_pton/inet_ntop give:
 * addr_parse() against a reference that copies the text and calls
 * inet_pton (the code before the fast path) over millions of generated
 * strings (digits and dots, near-miss addresses, random bytes), and
 * addr_format() of IPv4 against inet_ntop for every edge octet and random
 * addresses.  IPv6: addr_parse() against inet_pton on generated groups,
 * "::", embedded quads and their near misses, and addr_format() against
 * inet_ntop for every pattern of zero groups.  Each case draws its random
 * strings from the same seed, alone or in a run of all.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "test.h"

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* addr_parse as it was: a bounded copy, then inet_pton. */
static int
ref_parse(const char *text, size_t len, struct addr *out)
{
	char buf[ADDR_STRLEN];
	struct addr a;

	if (len == 0 || len >= sizeof(buf) || memchr(text, '\0', len) != NULL)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(&a, 0, sizeof(a));
	if (memchr(buf, ':', len) == NULL) {
		if (inet_pton(AF_INET, buf, a.bytes) != 1)
			return -1;
		a.family = ADDR_V4;
	} else {
		if (inet_pton(AF_INET6, buf, a.bytes) != 1)
			return -1;
		if (memcmp(a.bytes, v4mapped, sizeof(v4mapped)) == 0) {
			memmove(a.bytes, a.bytes + 12, 4);
			memset(a.bytes + 4, 0, 12);
			a.family = ADDR_V4;
		} else {
			a.family = ADDR_V6;
		}
	}
	*out = a;
	return 0;
}

static unsigned long compared, valid6;

static void
compare(const char *s, size_t len)
{
	struct addr a, b;
	int r1, r2;

	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	r1 = addr_parse(s, len, &a);
	r2 = ref_parse(s, len, &b);
	compared++;
	if (r2 == 0 && b.family == ADDR_V6)
		valid6++;
	if (r1 != r2 || (r1 == 0 && memcmp(&a, &b, sizeof(a)) != 0)) {
		CHECK(0, "addr_parse(\"%.*s\") = %d, inet_pton says %d", (int)len, s,
		    r1, r2);
	}
}

/* An octet as text, sometimes out of range or zero-padded. */
static size_t
octet(char *p)
{
	switch (rnd(8)) {
	case 0:
		return (size_t)sprintf(p, "%u", rnd(1000));
	case 1:
		return (size_t)sprintf(p, "0%u", rnd(300));
	case 2:
		return (size_t)sprintf(p, "%u", 250 + rnd(10));
	case 3:
		return (size_t)sprintf(p, "%s", "");
	default:
		return (size_t)sprintf(p, "%u", rnd(256));
	}
}

/* Generated IPv6-like text into s (capacity cap); returns its length. */
static size_t
v6text(char *s, size_t cap)
{
	static const char hexd[] = "0123456789abcdefABCDEF";
	size_t len = 0, k, ngroups = rnd(10), nd;
	size_t dc = rnd(3) ? rnd((uint32_t)ngroups + 1) : SIZE_MAX;
	int quad = rnd(5) == 0;

	if (rnd(8) == 0) /* a lone leading colon */
		s[len++] = ':';
	for (k = 0; k < ngroups && len + 8 < cap; k++) {
		if (k == dc)
			s[len++] = ':';
		if (k > 0 || k == dc)
			s[len++] = ':';
		nd = rnd(10) == 0 ? rnd(6) : 1 + rnd(4);
		while (nd-- > 0)
			s[len++] = hexd[rnd(sizeof(hexd) - 1)];
	}
	if (dc == ngroups && len + 2 < cap) {
		s[len++] = ':';
		s[len++] = ':';
	}
	if (quad && len + 20 < cap) {
		if (len > 0 && s[len - 1] != ':')
			s[len++] = ':';
		len += (size_t)snprintf(s + len, cap - len, "%u.%u.%u.%u",
		    rnd(300), rnd(256), rnd(256), rnd(10) == 0 ? rnd(1000) :
		    rnd(256));
	}
	if (rnd(20) == 0 && len + 1 < cap) /* a trailing colon */
		s[len++] = ':';
	return len < cap ? len : cap - 1;
}

#define SEED 0x2545f4914f6cdd1dULL /* each case draws from it afresh */

static const char *const edge6[] = {"::", "::1", "1::", ":::", ":1::2",
    "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8:9", "1::2::3", "1:2:3:4:5:6::7:8", "::ffff:1.2.3.4",
    "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
    "::1.2.3.04", "::1.2.3", "::1.2.3.4.5", "::1.2.3.4:5", "12345::",
    "::fffff", "1:", ":1", "1:2:3:4:5:6:7:8:", "::ffff:0:1.2.3.4",
    "0000:0000:0000:0000:0000:0000:0000:0001", "::a.b.c.d",
    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555", "::0.0.0.0"};
#define NEDGE6 (sizeof(edge6) / sizeof(edge6[0]))
static const char digits_dots[] = "0123456789.";

static void
parse_v4_edges(void)
{
	static const char edge[][24] = {"0.0.0.0", "255.255.255.255",
	    "1.2.3.4", "01.2.3.4", "1.2.3.04", "1.2.3.00", "0.0.0.00",
	    "256.1.1.1", "1.1.1.256", "1.2.3", "1.2.3.4.5", "1..2.3",
	    ".1.2.3.4", "1.2.3.4.", "1.2.3.4..", "", ".", "....", "1234.1.1.1",
	    "1.2.3.4444", "999.999.999.999", "00.0.0.0", "0.0.0.0.0",
	    "12.34.56.78"};
	size_t i;

	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		compare(edge[i], strlen(edge[i]));
}

/* every string of digits and dots up to 7 bytes */
static void
parse_all_short_digits_and_dots(void)
{
	char s[8];
	size_t len, k;

	for (len = 1; len <= 7; len++) {
		size_t total = 1, idx;

		for (k = 0; k < len; k++)
			total *= sizeof(digits_dots) - 1;
		for (idx = 0; idx < total; idx++) {
			size_t x = idx;

			for (k = 0; k < len; k++) {
				s[k] = digits_dots[x % (sizeof(digits_dots) - 1)];
				x /= sizeof(digits_dots) - 1;
			}
			compare(s, len);
		}
	}
}

/* random digit-and-dot strings up to 20 bytes */
static void
parse_random_digits_and_dots(void)
{
	char s[24];
	size_t i, len, k;

	test_seed(SEED);
	for (i = 0; i < 2000000; i++) {
		len = rnd(21);
		for (k = 0; k < len; k++)
			s[k] = digits_dots[rnd(11)];
		for (k = 0; k < len; k++)
			if (rnd(4) == 0)
				s[k] = '.';
		compare(s, len);
	}
}

/* near-miss quads: octets of any value, zero padding, extra parts */
static void
parse_near_miss_quads(void)
{
	char s[64];
	size_t i, len, k;
	int n;

	test_seed(SEED);
	for (i = 0; i < 1000000; i++) {
		len = 0;
		n = 3 + (int)rnd(3);
		for (k = 0; k < (size_t)n; k++) {
			if (k > 0)
				s[len++] = '.';
			len += octet(s + len);
		}
		if (rnd(10) == 0 && len > 0) /* a stray byte */
			s[rnd((uint32_t)len)] = (char)rnd(256);
		compare(s, len);
	}
}

/* random bytes, IPv6-looking text, mapped addresses */
static void
parse_random_bytes_and_mapped(void)
{
	char s[64];
	size_t i, len, k;

	test_seed(SEED);
	for (i = 0; i < 300000; i++) {
		len = rnd(48);
		for (k = 0; k < len; k++)
			s[k] = rnd(3) ? "0123456789abcdefABCDEF:.x"[rnd(25)] :
			    (char)rnd(256);
		compare(s, len);
		len = (size_t)snprintf(s, sizeof(s), "::ffff:%u.%u.%u.%u",
		    rnd(260), rnd(256), rnd(256), rnd(256));
		compare(s, len);
	}
}

/* IPv6: groups of 0-5 hex digits, "::" anywhere, embedded quads, and
 * one edit to a quarter of them */
static void
parse_v6_generated(void)
{
	char s[64];
	size_t i, len, k;

	test_seed(SEED);
	for (i = 0; i < 3000000; i++) {
		len = v6text(s, sizeof(s));
		if (rnd(4) == 0 && len > 0) { /* one edit */
			k = rnd((uint32_t)len);
			switch (rnd(4)) {
			case 0:
				s[k] = "0123456789abcdefABCDEFG:.x \0"[rnd(28)];
				break;
			case 1:
				memmove(s + k, s + k + 1, len - k - 1);
				len--;
				break;
			case 2:
				if (len + 1 < sizeof(s)) {
					memmove(s + k + 1, s + k, len - k);
					s[k] = ":.0f"[rnd(4)];
					len++;
				}
				break;
			default:
				len = k;
				break;
			}
		}
		compare(s, len);
	}
}

static void
parse_v6_edges(void)
{
	size_t i;

	for (i = 0; i < NEDGE6; i++)
		compare(edge6[i], strlen(edge6[i]));
}

/* every byte in every place of IPv6 text: no stray byte is a digit */
static void
parse_v6_every_byte(void)
{
	char s[64];
	size_t i, len, k;
	int n;

	for (i = 0; i < NEDGE6; i++) {
		len = strlen(edge6[i]);
		for (k = 0; k < len; k++)
			for (n = 0; n < 256; n++) {
				memcpy(s, edge6[i], len);
				s[k] = (char)n;
				compare(s, len);
			}
	}
}

/* what the parse cases above compared, in one run of them all */
static void
parse_coverage(void)
{
	CHECK(compared > 6000000, "only %lu strings compared", compared);
	CHECK(valid6 > 300000, "only %lu valid IPv6 strings", valid6);
	printf("%lu strings compared with inet_pton, %lu valid IPv6\n",
	    compared, valid6);
}

/* every edge octet in every position, random addresses */
static void
format_v4(void)
{
	static const uint8_t ed[] = {0, 1, 9, 10, 11, 99, 100, 101, 199, 200,
	    249, 250, 255};
	char ref[INET_ADDRSTRLEN], got[ADDR_STRLEN];
	struct addr a;
	size_t i, k;

	test_seed(SEED);
	for (i = 0; i < 400000; i++) {
		memset(&a, 0, sizeof(a));
		a.family = ADDR_V4;
		for (k = 0; k < 4; k++)
			a.bytes[k] = i < 200000 ? ed[rnd(sizeof(ed))] :
			    (uint8_t)rnd(256);
		inet_ntop(AF_INET, a.bytes, ref, sizeof(ref));
		if (addr_format_len(&a, got) != strlen(ref) ||
		    strcmp(got, ref) != 0)
			CHECK_STR(got, ref);
	}
}

/* every pattern of zero groups, values 0, 1, short, long and 0xffff in
 * the others (the ::ffff: and :: quad forms) */
static void
format_v6(void)
{
	static const uint16_t wv[] = {0, 1, 0xf, 0x10, 0xff, 0x100, 0xfff,
	    0x1000, 0xffff, 0x2001, 0xdb8};
	char ref6[INET6_ADDRSTRLEN], got[ADDR_STRLEN];
	struct addr a;
	size_t i, k;

	test_seed(SEED);
	for (i = 0; i < 2000000; i++) {
		unsigned zeros = (unsigned)(i & 255), w;

		memset(&a, 0, sizeof(a));
		a.family = ADDR_V6;
		for (k = 0; k < 8; k++) {
			w = zeros & (1u << k) ? 0 : i < 1000000 ?
			    wv[rnd(sizeof(wv) / sizeof(wv[0]))] : rnd(65536);
			a.bytes[2 * k] = (uint8_t)(w >> 8);
			a.bytes[2 * k + 1] = (uint8_t)w;
		}
		inet_ntop(AF_INET6, a.bytes, ref6, sizeof(ref6));
		if (addr_format_len(&a, got) != strlen(ref6) ||
		    strcmp(got, ref6) != 0)
			CHECK_STR(got, ref6);
	}
}

static void
known_addresses(void)
{
	char got[ADDR_STRLEN];
	struct addr a;

	CHECK(addr_parse("2001:db8::7", 11, &a) == 0 && a.family == ADDR_V6,
	    "2001:db8::7 rejected");
	CHECK_STR(addr_format(&a, got), "2001:db8::7");
	CHECK(addr_parse("203.0.113.7", 11, &a) == 0 && a.family == ADDR_V4,
	    "203.0.113.7 rejected");
	CHECK_STR(addr_format(&a, got), "203.0.113.7");
}

static const struct test_case cases[] = {
	TEST_CASE(parse_v4_edges),
	TEST_CASE(parse_all_short_digits_and_dots),
	TEST_CASE(parse_random_digits_and_dots),
	TEST_CASE(parse_near_miss_quads),
	TEST_CASE(parse_random_bytes_and_mapped),
	TEST_CASE(parse_v6_generated),
	TEST_CASE(parse_v6_edges),
	TEST_CASE(parse_v6_every_byte),
	TEST_CASE(parse_coverage),
	TEST_CASE(format_v4),
	TEST_CASE(format_v6),
	TEST_CASE(known_addresses),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	return TEST_RUN(cases, argc, argv);
}
