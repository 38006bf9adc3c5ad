/*
 * NAME
 *	addr - literal IPv4/IPv6 client addresses and CIDR lists
 * DESCRIPTION
 *	addr_parse() turns the text a pattern captured into a struct addr,
 *	accepting exactly what inet_pton() accepts (a transcription of glibc's
 *	grammar, tested against inet_pton) and nothing else: no DNS, ever.
 *	IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4.  Canonical text is dotted quad for IPv4
 *	and RFC 5952 compressed lower case for IPv6.
 *
 *	An addr_list is a list of CIDR prefixes (the ignore list).
 *
 *	A struct addr may also name a network, the key an address is scored
 *	and banned under (prefix.ipv4, prefix.ipv6, widen.*): plen is its
 *	prefix length, 0 for a whole address (what addr_parse() gives; a
 *	network is never /0 and a /32 or /128 is the address itself), and the
 *	bytes past the prefix are zero.  addr_format() writes a network as
 *	"ADDR/LEN", addr_parse_net() reads both forms.
 * SECURITY
 *	The input is attacker-controlled log text of any length and content.
 */
#ifndef MAILBAN_ADDR_H
#define MAILBAN_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define ADDR_V4 4
#define ADDR_V6 6
#define ADDR_STRLEN 50 /* INET6_ADDRSTRLEN and "/127" */

struct addr {
	uint8_t family; /* ADDR_V4 or ADDR_V6 */
	uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
	uint8_t plen; /* a network's prefix length; 0: the whole address */
};

struct cidr {
	struct addr addr;
	uint8_t plen;
};

struct addr_list {
	struct cidr *items;
	size_t n;
};

/* 0 on success; -1 if text is not a literal address. */
int addr_parse(const char *text, size_t len, struct addr *out);
/* Canonical text into buf[ADDR_STRLEN]; returns buf. */
char *addr_format(const struct addr *a, char *buf);
/*
 * The same; returns the text's length (strlen right after the text's
 * small stores costs a stalled load: the JSON of every match).
 */
size_t addr_format_len(const struct addr *a, char *buf);
int addr_equal(const struct addr *a, const struct addr *b);
uint64_t addr_hash(const struct addr *a);

/* The bits of an address or network: 32 or 128. */
#define ADDR_BITS(a) ((a)->family == ADDR_V4 ? 32 : 128)
/* The prefix length of a (an address: all its bits). */
#define ADDR_PLEN(a) ((a)->plen != 0 ? (unsigned)(a)->plen : \
    (unsigned)ADDR_BITS(a))
/*
 * a as the network of its first plen bits (bytes past them zeroed); plen
 * at or above the family's bits (or 0) leaves an address whole, and a
 * network is never made narrower than it is.
 */
void addr_mask(struct addr *a, unsigned plen);
/* A bare address or "ADDR/LEN" (1 to 32, 1 to 128) of the network's
 * first address (host bits zero); 0 or -1. */
int addr_parse_net(const char *text, size_t len, struct addr *out);
/* Whether network or address b lies inside network or address a. */
int addr_within(const struct addr *a, const struct addr *b);
/* Whether CIDR c and network (or address) a share an address. */
int cidr_overlaps(const struct cidr *c, const struct addr *a);
/* Whether networks (or addresses) a and b share an address: one lies
 * inside the other. */
int addr_overlaps(const struct addr *a, const struct addr *b);

/* "a.b.c.d/n", "x::/n" or a bare address; 0 or -1. */
int cidr_parse(const char *text, struct cidr *out);
int cidr_contains(const struct cidr *c, const struct addr *a);
void addr_list_add(struct addr_list *l, const struct cidr *c);
int addr_list_contains(const struct addr_list *l, const struct addr *a);
/* The first entry of l that shares an address with network (or address)
 * a, or NULL. */
const struct cidr *addr_list_overlapping(const struct addr_list *l,
    const struct addr *a);
void addr_list_free(struct addr_list *l);

#endif
