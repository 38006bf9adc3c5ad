/*
 * NAME
 *	zone - the active bans as rbldnsd zone data, for a fleet
 * DESCRIPTION
 *	zone_write() writes every active ban in the state file to the ip4set
 *	file cfg->zone4 (IPv4 addresses) and the ip6trie file cfg->zone6
 *	(IPv6 addresses, as /128), each with the default value line
 *	":VALUE:TEXT", atomically: a temporary file in the same directory,
 *	fsync, rename.  rbldnsd notices the new file by its mtime and serves
 *	it; every MX host's MTA then rejects the listed clients the standard
 *	DNSBL way, and its own mailban bans them from that reject.
 *
 *	*next_expiry is set to the end of the earliest active ban (0: none),
 *	so that the caller rewrites the zone when a ban runs out.
 */
#ifndef MAILBAN_ZONE_H
#define MAILBAN_ZONE_H

#include <stdint.h>

#include "config.h"
#include "state.h"

/* 0, or -1 with a msg_warn() naming the file. */
int zone_write(const struct config *cfg, struct state *st, int64_t now,
    int64_t *next_expiry, uint64_t *count);

#endif
