/*
 * NAME
 *	addr - literal IPv4/IPv6 client addresses and CIDR lists
 * DESCRIPTION
 *	See include/addr.h.  Log text is not NUL-terminated and may hold any
 *	byte, so the parsers here walk (text, len) byte by byte; they accept
 *	exactly what glibc's inet_pton() accepts (parse_v4 for AF_INET,
 *	parse_v6 for AF_INET6, both transcribed from glibc's resolv/inet_pton.c
 *	without the copy into a NUL-terminated buffer), and addr_format()
 *	writes exactly what glibc's inet_ntop() writes, without its sprintf
 *	per field.  test/test_addr_fast.c checks both against inet_pton and
 *	inet_ntop over millions of generated strings and addresses.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/*
 * Dotted quad exactly as glibc's inet_pton(AF_INET) takes it: four decimal
 * octets of at most 255, no leading zeros, nothing else.  1 and a set, 0
 * when inet_pton would refuse it (any other byte included); a[] may be
 * written to even then.  An octet at a time: one to three digits, the
 * second not after a '0', then the '.' or the end.
 */
static inline int
parse_v4(const char *s, size_t len, uint8_t *a)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned v, d, k;

	for (k = 0; k < 4; k++) {
		if (p == end || (v = (unsigned)*p - '0') > 9)
			return 0;
		p++;
		if (p < end && (d = (unsigned)*p - '0') <= 9) {
			if (v == 0)
				return 0; /* leading zero */
			v = v * 10 + d;
			p++;
			if (p < end && (d = (unsigned)*p - '0') <= 9) {
				v = v * 10 + d;
				p++;
				if (v > 255)
					return 0;
			}
		}
		a[k] = (uint8_t)v;
		if (k < 3) {
			if (p == end || *p != '.')
				return 0;
			p++;
		}
	}
	return p == end;
}

/* 1 + the value of each hex digit, 0 for every other byte. */
static const uint8_t hex_value1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int
hex_value(char c)
{
	return hex_value1[(unsigned char)c] - 1;
}

/*
 * IPv6 text exactly as glibc's inet_pton(AF_INET6) takes it: groups of at
 * most four hex digits, one "::" at most, a dotted quad in place of the
 * last two groups.  1 and a set, 0 when inet_pton would refuse it.
 */
static int
parse_v6(const char *s, size_t len, uint8_t *a)
{
	uint8_t tmp[16];
	const char *end = s + len, *curtok;
	size_t tp = 0, colonp = SIZE_MAX, xdigits = 0, n;
	unsigned val = 0;
	int d;
	char ch;

	memset(tmp, 0, sizeof(tmp));
	if (s == end)
		return 0;
	if (*s == ':') { /* a leading ':' must be "::" */
		s++;
		if (s == end || *s != ':')
			return 0;
	}
	curtok = s;
	while (s < end) {
		ch = *s++;
		if ((d = hex_value(ch)) >= 0) {
			if (xdigits == 4)
				return 0;
			val = (val << 4) | (unsigned)d;
			xdigits++;
			continue;
		}
		if (ch == ':') {
			curtok = s;
			if (xdigits == 0) {
				if (colonp != SIZE_MAX)
					return 0;
				colonp = tp;
				continue;
			}
			if (s == end || tp + 2 > sizeof(tmp))
				return 0;
			tmp[tp++] = (uint8_t)(val >> 8);
			tmp[tp++] = (uint8_t)val;
			xdigits = 0;
			val = 0;
			continue;
		}
		if (ch == '.' && tp + 4 <= sizeof(tmp) &&
		    parse_v4(curtok, (size_t)(end - curtok), tmp + tp)) {
			tp += 4;
			xdigits = 0;
			break;
		}
		return 0;
	}
	if (xdigits > 0) {
		if (tp + 2 > sizeof(tmp))
			return 0;
		tmp[tp++] = (uint8_t)(val >> 8);
		tmp[tp++] = (uint8_t)val;
	}
	if (colonp != SIZE_MAX) {
		if (tp == sizeof(tmp))
			return 0; /* "::" would stand for no group at all */
		n = tp - colonp;
		memmove(tmp + sizeof(tmp) - n, tmp + colonp, n);
		memset(tmp + colonp, 0, sizeof(tmp) - n - colonp);
		tp = sizeof(tmp);
	}
	if (tp != sizeof(tmp))
		return 0;
	memcpy(a, tmp, sizeof(tmp));
	return 1;
}

int
addr_parse(const char *text, size_t len, struct addr *out)
{
	struct addr a;

	if (len == 0 || len >= 46) /* INET6_ADDRSTRLEN */
		return -1;
	if (len <= 15 && parse_v4(text, len, a.bytes)) { /* the common case */
		out->family = ADDR_V4;
		memcpy(out->bytes, a.bytes, 4);
		memset(out->bytes + 4, 0, 12);
		out->plen = 0;
		return 0;
	}
	memset(&a, 0, sizeof(a));
	if (memchr(text, ':', len) == NULL) {
		return -1; /* not IPv6 either; inet_pton(AF_INET) refuses it */
	} else {
		if (!parse_v6(text, len, a.bytes))
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

/*
 * The decimal text of every octet: its digits, padded to three bytes, and
 * their count, so that an octet is one four-byte copy.
 */
#define OCT_LEN(v) (1 + ((v) >= 10) + ((v) >= 100))
#define OCT_DIG(v, i) ((char)('0' + (v) / ((i) == OCT_LEN(v) - 1 ? 1 :     \
    (i) == OCT_LEN(v) - 2 ? 10 : 100) % 10))
#define OCT(v) {OCT_DIG(v, 0), (v) >= 10 ? OCT_DIG(v, 1) : '\0',            \
    (v) >= 100 ? OCT_DIG(v, 2) : '\0', (char)OCT_LEN(v)}
#define OCT4(v) OCT(v), OCT((v) + 1), OCT((v) + 2), OCT((v) + 3)
#define OCT16(v) OCT4(v), OCT4((v) + 4), OCT4((v) + 8), OCT4((v) + 12)
#define OCT64(v) OCT16(v), OCT16((v) + 16), OCT16((v) + 32), OCT16((v) + 48)

static const char octet_text[256][4] = {
	OCT64(0), OCT64(64), OCT64(128), OCT64(192),
};

/*
 * Dotted quad of b[0..3] at p, NUL-terminated; returns the NUL.  May write
 * two bytes past the NUL.
 */
static char *
format_v4(const uint8_t *b, char *p)
{
	const char *t;
	int i;

	for (i = 0; i < 4; i++) {
		t = octet_text[b[i]];
		memcpy(p, t, 4);
		p += t[3];
		*p++ = '.';
	}
	p[-1] = '\0';
	return p - 1;
}

/*
 * What glibc's inet_ntop(AF_INET6) writes (RFC 5952 compression: the
 * first longest run of two or more zero groups becomes "::"; lower-case
 * hex; "::a.b.c.d" and "::ffff:a.b.c.d" for IPv4-compatible and -mapped).
 */
static char *
format_v6(const uint8_t *b, char *p)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8], v;
	int i, base = -1, blen = 0, cbase = -1, clen = 0, sh;

	for (i = 0; i < 8; i++)
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	for (i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cbase == -1) {
				cbase = i;
				clen = 1;
			} else {
				clen++;
			}
		} else if (cbase != -1) {
			if (base == -1 || clen > blen) {
				base = cbase;
				blen = clen;
			}
			cbase = -1;
		}
	}
	if (cbase != -1 && (base == -1 || clen > blen)) {
		base = cbase;
		blen = clen;
	}
	if (base != -1 && blen < 2)
		base = -1;
	for (i = 0; i < 8; i++) {
		if (base != -1 && i >= base && i < base + blen) {
			if (i == base)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		if (i == 6 && base == 0 &&
		    (blen == 6 || (blen == 5 && w[5] == 0xffff)))
			return format_v4(b + 12, p);
		v = w[i];
		for (sh = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;
		    sh >= 0; sh -= 4)
			*p++ = hex[(v >> sh) & 15];
	}
	if (base != -1 && base + blen == 8)
		*p++ = ':';
	*p = '\0';
	return p;
}

size_t
addr_format_len(const struct addr *a, char *buf)
{
	char *end = NULL;

	if (a->family == ADDR_V4)
		end = format_v4(a->bytes, buf);
	else if (a->family == ADDR_V6)
		end = format_v6(a->bytes, buf);
	else
		msg_panic("addr_format: bad family %d", a->family);
	if (a->plen != 0) {
		unsigned v = a->plen;

		*end++ = '/';
		if (v >= 100)
			*end++ = (char)('0' + v / 100);
		if (v >= 10)
			*end++ = (char)('0' + v / 10 % 10);
		*end++ = (char)('0' + v % 10);
		*end = '\0';
	}
	return (size_t)(end - buf);
}

char *
addr_format(const struct addr *a, char *buf)
{
	(void)addr_format_len(a, buf);
	return buf;
}

int
addr_equal(const struct addr *a, const struct addr *b)
{
	return a->family == b->family && a->plen == b->plen &&
	    memcmp(a->bytes, b->bytes, a->family == ADDR_V4 ? 4 : 16) == 0;
}

void
addr_mask(struct addr *a, unsigned plen)
{
	uint64_t w[2], m;
	unsigned half;

	if (a->plen != 0 && a->plen <= plen)
		return; /* a network already as wide or wider */
	if (plen >= ADDR_BITS(a) || plen == 0)
		return; /* the whole address */
	/* two big-endian words under the mask: no loop over bytes */
	memcpy(w, a->bytes, 16);
	for (half = 0; half < 2; half++) {
		unsigned bits = plen > 64 * half ? plen - 64 * half : 0;

		m = bits >= 64 ? ~(uint64_t)0 : bits == 0 ? 0 :
		    ~(uint64_t)0 << (64 - bits);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		m = __builtin_bswap64(m);
#endif
		w[half] &= m;
	}
	memcpy(a->bytes, w, 16);
	a->plen = (uint8_t)plen;
}

int
addr_parse_net(const char *text, size_t len, struct addr *out)
{
	const char *slash = memchr(text, '/', len);
	struct addr a;
	unsigned long plen = 0;
	size_t i;

	if (addr_parse(text, slash != NULL ? (size_t)(slash - text) : len,
	    &a) < 0)
		return -1;
	if (slash != NULL) {
		i = (size_t)(slash - text) + 1;
		if (i == len || len - i > 3)
			return -1;
		for (; i < len; i++) {
			if (text[i] < '0' || text[i] > '9')
				return -1;
			plen = plen * 10 + (unsigned)(text[i] - '0');
		}
		if (plen == 0 || plen > ADDR_BITS(&a))
			return -1;
		addr_mask(&a, (unsigned)plen);
	}
	*out = a;
	return 0;
}

int
addr_within(const struct addr *a, const struct addr *b)
{
	struct cidr c;

	if (a->family != b->family || ADDR_PLEN(b) < ADDR_PLEN(a))
		return 0;
	c.addr = *a;
	c.plen = (uint8_t)ADDR_PLEN(a);
	return cidr_contains(&c, b);
}

int
cidr_overlaps(const struct cidr *c, const struct addr *a)
{
	struct cidr n;

	if (c->addr.family != a->family)
		return 0;
	if (c->plen <= ADDR_PLEN(a))
		return cidr_contains(c, a);
	n.addr = *a;
	n.plen = (uint8_t)ADDR_PLEN(a);
	return cidr_contains(&n, &c->addr);
}

int
addr_overlaps(const struct addr *a, const struct addr *b)
{
	return addr_within(a, b) || addr_within(b, a);
}

/*
 * A word at a time (byte-at-a-time FNV was most of a tracker lookup): the
 * bytes addr_equal compares, then murmur3's finalizer, which spreads every
 * input bit over the low bits used by open addressing.
 */
uint64_t
addr_hash(const struct addr *a)
{
	uint64_t h, w0, w1;
	uint32_t v4;

	if (a->family == ADDR_V4) {
		memcpy(&v4, a->bytes, 4);
		h = v4 ^ (uint64_t)ADDR_V4 << 56;
	} else {
		memcpy(&w0, a->bytes, 8);
		memcpy(&w1, a->bytes + 8, 8);
		h = w0 * 0x9e3779b97f4a7c15ULL ^ w1 ^ (uint64_t)a->family << 56;
	}
	h ^= (uint64_t)a->plen << 48;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

int
cidr_parse(const char *text, struct cidr *out)
{
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	struct cidr c;
	unsigned long plen;
	char *end;
	int max;

	memset(&c, 0, sizeof(c));
	if (addr_parse(text, alen, &c.addr) < 0)
		return -1;
	max = c.addr.family == ADDR_V4 && !memchr(text, ':', alen) ? 32 : 128;
	if (slash == NULL) {
		plen = (unsigned long)max;
	} else {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		plen = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || plen > (unsigned long)max)
			return -1;
	}
	/* an IPv4-mapped prefix counts in IPv6 bits */
	if (max == 128 && c.addr.family == ADDR_V4) {
		if (plen < 96)
			return -1;
		plen -= 96;
	}
	c.plen = (uint8_t)plen;
	*out = c;
	return 0;
}

int
cidr_contains(const struct cidr *c, const struct addr *a)
{
	uint64_t x, y;
	unsigned plen = c->plen, half;

	if (c->addr.family != a->family)
		return 0;
	/*
	 * Two big-endian words, compared under the prefix mask: no memcmp
	 * call per ignore-list entry on every matching line.
	 */
	for (half = 0; half < 2; half++) {
		if (plen == 0)
			return 1;
		memcpy(&x, c->addr.bytes + 8 * half, 8);
		memcpy(&y, a->bytes + 8 * half, 8);
		x ^= y;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		x = __builtin_bswap64(x);
#endif
		if (plen < 64)
			return (x >> (64 - plen)) == 0;
		if (x != 0)
			return 0;
		plen -= 64;
	}
	return 1;
}

void
addr_list_add(struct addr_list *l, const struct cidr *c)
{
	l->items = xreallocarray(l->items, l->n + 1, sizeof(*l->items));
	l->items[l->n++] = *c;
}

int
addr_list_contains(const struct addr_list *l, const struct addr *a)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (cidr_contains(&l->items[i], a))
			return 1;
	return 0;
}

const struct cidr *
addr_list_overlapping(const struct addr_list *l, const struct addr *a)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (cidr_overlaps(&l->items[i], a))
			return &l->items[i];
	return NULL;
}

void
addr_list_free(struct addr_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}
