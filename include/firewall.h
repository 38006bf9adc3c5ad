/*
 * NAME
 *	firewall - the MAILBAN chain and the rules that drop what the sets hold
 * SYNOPSIS
 *	#include "firewall.h"
 * DESCRIPTION
 *	The only module that knows the firewall rules, and the only user of
 *	libnftnl and libmnl.  In the filter table of each family there is a
 *	chain "MAILBAN", jumped to from the top of INPUT, holding one rule
 *	that drops what the family's set (kset.h) holds: with policy "port"
 *	new TCP connections (SYN) to the configured ports, with policy "drop"
 *	every packet.  The rules are made in-process through nf_tables
 *	netlink, expression by expression as iptables-nft makes the commands
 *	firewall_print() writes, so "iptables -S" shows them as those
 *	commands and "nft list ruleset" as iptables-nft rules.
 *
 *	firewall_setup() makes that so, idempotently, in three steps: the
 *	chains are made when missing and MAILBAN emptied, so that no rule
 *	references the sets while kset_ensure_replace() replaces a set of the
 *	wrong type or parameters for the policy; then firewall_restore().
 *	firewall_print() writes the equivalent sh commands (the sets
 *	included), consults nothing and changes nothing.
 *
 *	firewall_check() says whether the rules are in place; when the
 *	ruleset has not changed since the last check that found them, it
 *	costs one netlink query (the ruleset's generation).  firewall_restore()
 *	puts back what a firewall reload took away, exactly as setup makes it,
 *	in one nf_tables transaction; it never replaces a set.  "mailban run"
 *	calls both at an interval; "status" and "list" call firewall_check().
 * DIAGNOSTICS
 *	firewall_setup() reports through msg_warn(); the others put the
 *	reason in the caller's buffer.  Nothing calls exit() or starts a
 *	process.
 * SECURITY
 *	The set names and the policy come from the configuration, never from
 *	log text.  Needs CAP_NET_ADMIN; the printed commands quote every
 *	argument that sh could read otherwise.
 */
#ifndef MAILBAN_FIREWALL_H
#define MAILBAN_FIREWALL_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "kset.h"

#define FIREWALL_CHAIN "MAILBAN"

struct firewall;

/* NULL with a message in err when nf_tables cannot be reached.  cfg must
 * outlive the handle. */
struct firewall *firewall_open(const struct config *cfg, char *err,
    size_t errlen);
void firewall_close(struct firewall *fw);

/* The chain, the sets (through ks) and the rules, as described above.
 * 0, or -1 after a msg_warn() for what failed. */
int firewall_setup(struct firewall *fw, struct kset *ks);

/* What firewall_check() found. */
struct firewall_report {
	char what[2][200]; /* IPv4, IPv6: what is missing; "" when in place */
	char why[256]; /* when the rules could not be read */
	/* when missing: the previous check of this handle found them missing
	 * too, and the ruleset has not changed since (its generation): the
	 * program that took them away (a firewall reload) is done with it */
	int settled;
};

/* 1 when both families' rules are in place as setup makes them; 0 when
 * not (rep->what says what is missing, rep->settled whether the ruleset
 * stood still since the previous check); -1 when they cannot be read
 * (rep->why says why). */
int firewall_check(struct firewall *fw, struct firewall_report *rep);

/* Put back the rules of each family that are not in place, as setup
 * makes them, in one transaction.  1 when something was put back, 0 when
 * nothing was missing, -1 with the reason in err (a set that does not
 * exist is one: kset.h makes it). */
int firewall_restore(struct firewall *fw, char *err, size_t errlen);

/* What firewall_setup() does, as sh commands to out; 0, or -1 when out
 * cannot be written. */
int firewall_print(const struct config *cfg, FILE *out);

#endif
