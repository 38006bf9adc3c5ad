/*
 * NAME
 *	firewall - the MAILBAN chain and the rules that drop what the sets hold
 * SYNOPSIS
 *	#include "firewall.h"
 * DESCRIPTION
 *	The only module that knows the firewall rules.  In the filter table of
 *	each family there is a chain "MAILBAN", jumped to once from the top of
 *	INPUT, holding one rule that drops what the family's set (kset.h)
 *	holds: with policy "port" new TCP connections (SYN) to the configured
 *	ports, with policy "drop" every packet.
 *
 *	firewall_setup() makes that so, idempotently: the chain is made when
 *	missing and emptied first, so that no rule references the sets while
 *	kset_ensure_replace() replaces a set of the wrong type or parameters
 *	for the policy; then the rule is added again and the jump when
 *	missing.  firewall_print() writes the equivalent sh commands (the sets
 *	included), consults nothing and changes nothing.
 *
 *	A struct firewall is the handle of every operation on the rules, so
 *	that a later implementation can hold its netlink connection there and
 *	add a check (do the rules exist and reference the sets?) and a repair
 *	that the run loop calls at an interval.  Today it holds only the
 *	configuration, and the rules are made by running iptables and
 *	ip6tables (found on PATH) with posix_spawnp() and an argument vector,
 *	stdout to /dev/null; no shell.
 * DIAGNOSTICS
 *	msg_warn() for every command that could not run or failed, with its
 *	arguments; nothing calls exit().
 * SECURITY
 *	The arguments come from the configuration (set names, ports), never
 *	from log text.  Needs CAP_NET_ADMIN; the printed commands quote every
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

/* NULL with a message in err when the firewall cannot be reached.  cfg
 * must outlive the handle. */
struct firewall *firewall_open(const struct config *cfg, char *err,
    size_t errlen);
void firewall_close(struct firewall *fw);

/* The chain, the sets (through ks) and the rules, as described above.
 * 0, or -1 after a msg_warn() for what failed. */
int firewall_setup(struct firewall *fw, struct kset *ks);

/* What firewall_setup() does, as sh commands to out; 0, or -1 when out
 * cannot be written. */
int firewall_print(const struct config *cfg, FILE *out);

#endif
