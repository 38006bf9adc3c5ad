/*
 * NAME
 *	widen - adaptive widening: many banned prefixes of one network ban
 *	the network
 * DESCRIPTION
 *	widen_ban() is told every ban decision of a prefix (the network an
 *	address is scored under, prefix.ipv4 and prefix.ipv6).  When
 *	cfg->widen_count distinct prefixes inside one /cfg->widen4 (IPv4) or
 *	/cfg->widen6 (IPv6) network have been banned within cfg->forget, and
 *	that network is not banned already, it decides a ban of the network:
 *	the nth ban of that network within forget lasts cfg->bantimes[n - 1],
 *	as for an address.  Once that ban expires, the network is banned
 *	again only by a further prefix ban while widen_count of them are still
 *	within forget: it narrows again when its ban has expired and the
 *	evidence has aged out.
 *
 *	A network that holds an address or network of the ignore list or of
 *	the runtime allow list is never banned whole: widening is blocked
 *	(*blocked set), its prefixes stay banned one by one.
 *
 *	The table is a direct-mapped cache of WIDEN_SLOTS networks, made on
 *	the first ban: a network whose slot holds another network banned now
 *	is not tracked, else it takes the slot and the other's evidence is
 *	lost (a collision loses evidence, never bans wrongly).  Memory:
 *	WIDEN_SLOTS slots of a header and widen.count members (40 + 32 *
 *	count bytes: 1.1 MiB with the default 3), only once a ban was
 *	decided; a reload with another count makes it again.
 * SECURITY
 *	Networks come from addresses in hostile input; the table is bounded.
 */
#ifndef MAILBAN_WIDEN_H
#define MAILBAN_WIDEN_H

#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "tracker.h"

#define WIDEN_SLOTS 8192

struct widen;

struct widen *widen_new(const struct config *cfg);
void widen_free(struct widen *w);
/* A reloaded configuration (the table is kept; evidence of other widths
 * is ignored). */
void widen_set_config(struct widen *w, const struct config *cfg);
/*
 * Ban decision d (a prefix) was made; ignore and allow (NULL: none) are
 * the lists never banned.  1 when the wider network is banned now (*out
 * filled, pat and score of d), 0 otherwise; *blocked is set to 1 when the
 * network had enough evidence but holds an ignored or allowed address.
 */
int widen_ban(struct widen *w, const struct ban_decision *d,
    const struct addr_list *ignore, const struct addr_list *allow,
    struct ban_decision *out, int *blocked);
/* A ban from the state file (restart, or made by another process): a
 * prefix counts as evidence, a wide network gets its count and end. */
void widen_seed(struct widen *w, const struct addr *a, unsigned count,
    int64_t last_ban, int64_t until);
/* A ban lifted by hand (unban): a wide network's ban ends and its
 * evidence is forgotten; a prefix stops counting. */
void widen_unban(struct widen *w, const struct addr *a);

#endif
