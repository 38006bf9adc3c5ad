/*
 * NAME
 *	addr - literal IPv4/IPv6 client addresses and CIDR lists
 * DESCRIPTION
 *	See include/addr.h.  inet_pton() is the parser; the text is copied
 *	into a bounded NUL-terminated buffer first because log text is not
 *	NUL-terminated and may hold any byte.  Text of digits and dots only
 *	(an IPv4 address, the common case) takes a walker that accepts
 *	exactly what glibc's inet_pton(AF_INET) accepts, without the copy;
 *	IPv4 text is formatted by hand (test/test_addr_fast.c checks both
 *	against inet_pton and inet_ntop).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/*
 * Dotted quad exactly as glibc's inet_pton(AF_INET) takes it: four decimal
 * octets of at most 255, no leading zeros, nothing else.  1 and a set, 0
 * when inet_pton would refuse it.  Only called on digits and dots.
 */
static int
parse_v4(const char *s, size_t len, uint8_t *a)
{
	unsigned v = 0, octets = 0, digits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (digits > 0 && v == 0)
				return 0; /* leading zero */
			v = v * 10 + (unsigned)(s[i] - '0');
			if (v > 255)
				return 0;
			if (digits++ == 0 && ++octets > 4)
				return 0;
		} else if (s[i] == '.' && digits > 0) {
			if (octets == 4)
				return 0;
			a[octets - 1] = (uint8_t)v;
			v = 0;
			digits = 0;
		} else {
			return 0;
		}
	}
	if (octets < 4 || digits == 0)
		return 0;
	a[3] = (uint8_t)v;
	return 1;
}

int
addr_parse(const char *text, size_t len, struct addr *out)
{
	char buf[ADDR_STRLEN];
	struct addr a;
	size_t i;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	/* the common case, digits and dots only, without a copy */
	for (i = 0; i < len && ((text[i] >= '0' && text[i] <= '9') ||
	    text[i] == '.'); i++)
		;
	if (i == len) {
		memset(&a, 0, sizeof(a));
		if (!parse_v4(text, len, a.bytes))
			return -1;
		a.family = ADDR_V4;
		*out = a;
		return 0;
	}
	if (memchr(text, '\0', len) != NULL)
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

char *
addr_format(const struct addr *a, char *buf)
{
	char *p = buf;
	unsigned v;
	int i;

	if (a->family == ADDR_V4) { /* what inet_ntop writes, without printf */
		for (i = 0; i < 4; i++) {
			v = a->bytes[i];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (inet_ntop(a->family == ADDR_V4 ? AF_INET : AF_INET6, a->bytes, buf,
		ADDR_STRLEN) == NULL)
		msg_panic("addr_format: bad family %d", a->family);
	return buf;
}

int
addr_equal(const struct addr *a, const struct addr *b)
{
	return a->family == b->family &&
	    memcmp(a->bytes, b->bytes, a->family == ADDR_V4 ? 4 : 16) == 0;
}

uint64_t
addr_hash(const struct addr *a)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ a->family;
	size_t i, n = a->family == ADDR_V4 ? 4 : 16;

	for (i = 0; i < n; i++) {
		h ^= a->bytes[i];
		h *= 0x100000001b3ULL;
	}
	/* finalizer: spread the low bits used by open addressing */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
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
	unsigned full, rest;

	if (c->addr.family != a->family)
		return 0;
	full = c->plen / 8;
	rest = c->plen % 8;
	if (memcmp(c->addr.bytes, a->bytes, full) != 0)
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((c->addr.bytes[full] & mask) != (a->bytes[full] & mask))
			return 0;
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

void
addr_list_free(struct addr_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}
