/*
 * The fast paths of addr.c give exactly what inet_pton/inet_ntop give:
 * addr_parse() against a reference that copies the text and calls
 * inet_pton (the code before the fast path) over millions of generated
 * strings (digits and dots, near-miss addresses, random bytes), and
 * addr_format() of IPv4 against inet_ntop for every edge octet and random
 * addresses.
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

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static unsigned long compared;

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

int
main(void)
{
	static const char alpha[] = "0123456789.";
	static const char edge[][24] = {"0.0.0.0", "255.255.255.255",
	    "1.2.3.4", "01.2.3.4", "1.2.3.04", "1.2.3.00", "0.0.0.00",
	    "256.1.1.1", "1.1.1.256", "1.2.3", "1.2.3.4.5", "1..2.3",
	    ".1.2.3.4", "1.2.3.4.", "1.2.3.4..", "", ".", "....", "1234.1.1.1",
	    "1.2.3.4444", "999.999.999.999", "00.0.0.0", "0.0.0.0.0",
	    "12.34.56.78"};
	char s[64], ref[INET_ADDRSTRLEN], got[ADDR_STRLEN];
	struct addr a;
	size_t i, len, k;
	int n;

	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		compare(edge[i], strlen(edge[i]));
	/* every string of digits and dots up to 7 bytes */
	for (len = 1; len <= 7; len++) {
		size_t total = 1, idx;

		for (k = 0; k < len; k++)
			total *= sizeof(alpha) - 1;
		for (idx = 0; idx < total; idx++) {
			size_t x = idx;

			for (k = 0; k < len; k++) {
				s[k] = alpha[x % (sizeof(alpha) - 1)];
				x /= sizeof(alpha) - 1;
			}
			compare(s, len);
		}
	}
	/* random digit-and-dot strings up to 20 bytes */
	for (i = 0; i < 2000000; i++) {
		len = rnd(21);
		for (k = 0; k < len; k++)
			s[k] = alpha[rnd(11)];
		for (k = 0; k < len; k++)
			if (rnd(4) == 0)
				s[k] = '.';
		compare(s, len);
	}
	/* near-miss quads: octets of any value, zero padding, extra parts */
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
	/* random bytes, IPv6-looking text, mapped addresses */
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
	CHECK(compared > 3000000, "only %lu strings compared", compared);

	/* formatting: every edge octet in every position, random addresses */
	for (i = 0; i < 400000; i++) {
		static const uint8_t ed[] = {0, 1, 9, 10, 11, 99, 100, 101, 199,
		    200, 249, 250, 255};

		memset(&a, 0, sizeof(a));
		a.family = ADDR_V4;
		for (k = 0; k < 4; k++)
			a.bytes[k] = i < 200000 ? ed[rnd(sizeof(ed))] :
			    (uint8_t)rnd(256);
		inet_ntop(AF_INET, a.bytes, ref, sizeof(ref));
		addr_format(&a, got);
		if (strcmp(got, ref) != 0)
			CHECK_STR(got, ref);
	}
	CHECK(addr_parse("203.0.113.7", 11, &a) == 0 && a.family == ADDR_V4,
	    "203.0.113.7 rejected");
	CHECK_STR(addr_format(&a, got), "203.0.113.7");
	printf("%lu strings compared with inet_pton\n", compared);
	return TEST_DONE();
}
