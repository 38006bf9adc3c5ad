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
 * SECURITY
 *	The input is attacker-controlled log text of any length and content.
 */
#ifndef MAILBAN_ADDR_H
#define MAILBAN_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define ADDR_V4 4
#define ADDR_V6 6
#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct addr {
	uint8_t family; /* ADDR_V4 or ADDR_V6 */
	uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
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

/* "a.b.c.d/n", "x::/n" or a bare address; 0 or -1. */
int cidr_parse(const char *text, struct cidr *out);
int cidr_contains(const struct cidr *c, const struct addr *a);
void addr_list_add(struct addr_list *l, const struct cidr *c);
int addr_list_contains(const struct addr_list *l, const struct addr *a);
void addr_list_free(struct addr_list *l);

#endif
