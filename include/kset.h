/*
 * NAME
 *	kset - kernel ipsets through libipset: sets, batched bans, repairs
 * DESCRIPTION
 *	The only libipset user.  A kset holds one libipset session and a queue
 *	of pending changes.  kset_queue_add() queues a ban of an address for
 *	timeout seconds (capped at KSET_MAX_TIMEOUT; 0 = permanent); with
 *	policy "port" one entry per configured tcp port is queued
 *	(203.0.113.7,tcp:25), with policy "drop" one entry.  The sets are
 *	hash:net,port and hash:net: an address is an entry of its whole
 *	length, a network (struct addr's plen: a prefix, a widened network)
 *	an entry of its prefix length, with its own timeout; a TEST of an
 *	address finds the network that holds it.  Sets an older mailban made
 *	(hash:ip, hash:ip,port) are of another type: kset_ensure() refuses
 *	them, naming the migration (mailban setup).
 *	kset_commit() sends the queue restore-style (consecutive ADDs with a
 *	non-zero lineno are aggregated into page-sized netlink messages, with
 *	-exist), then ipset_commit().  The kernel stops a batch at its first
 *	failing element and skips the rest: kset_commit() reports the failing
 *	element, drops only that element (after one retry), and re-sends the
 *	skipped ones.  When a set has vanished it is re-created and the whole
 *	batch re-sent.  Nothing queued is dropped without a msg_warn().
 *
 *	Diagnostics go through msg_warn(); libipset's print callback is
 *	replaced so nothing ever reaches stdout, and nothing calls exit().
 * SECURITY
 *	Entries are built from struct addr (validated with inet_pton), never
 *	from log text; libipset never sees a host name, so it never resolves.
 *	Needs CAP_NET_ADMIN.
 */
#ifndef MAILBAN_KSET_H
#define MAILBAN_KSET_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

#define KSET_MAX_TIMEOUT 2147483u /* kernel limit, seconds */

struct kset;

/* NULL with a message in err when libipset cannot start or the kernel
 * cannot be reached (no CAP_NET_ADMIN).  cfg must outlive the kset. */
struct kset *kset_open(const struct config *cfg, char *err, size_t errlen);
void kset_close(struct kset *ks);

/*
 * Create both sets when missing (same type, family, maxelem, timeout
 * support).  A set of that name with another type, family or maxelem is
 * an error (-1, message in err naming the set, what it is and what is
 * needed): never carry on doing nothing.  kset_commit() creates missing
 * sets by itself; calling this first reports a misfit set early.
 */
int kset_ensure(struct kset *ks, char *err, size_t errlen);

/* 1 when both sets exist, 0 when one has vanished (or cannot be read). */
int kset_present(struct kset *ks);

void kset_queue_add(struct kset *ks, const struct addr *a, uint32_t timeout);
/* Queued kernel entries: one per port with policy port, else one. */
size_t kset_pending(const struct kset *ks);
/* 0 when every queued entry reached the kernel; -1 when some did not
 * (each reported; entries that failed for a transient reason stay queued). */
int kset_commit(struct kset *ks);
/* Entries given up so far (refused twice by the kernel, or queue full). */
size_t kset_dropped(const struct kset *ks);
/* Times a vanished set was re-created: bans committed before are gone
 * from it, and the caller should re-apply them (mailban restore). */
size_t kset_recreated(const struct kset *ks);

/* Remove every entry of one address (all configured ports) and forget
 * its queued entries; 0 or -1. */
int kset_del(struct kset *ks, const struct addr *a);
/* Remove every entry from both sets and empty the queue; 0 or -1. */
int kset_flush(struct kset *ks);
/* 1 if the address is in its set (any port), 0 if not, -1 on error. */
int kset_test(struct kset *ks, const struct addr *a);
/* Read only (status): the number of entries in the set of family
 * (ADDR_V4 or ADDR_V6); 0, or -1 with the reason in err. */
int kset_entries(struct kset *ks, int family, uint64_t *n, char *err,
    size_t errlen);

/*
 * mailban setup, once no firewall rule references the sets (firewall.h):
 * create both sets, and destroy and re-create one of that name with
 * another type, family or parameters (with a warning: its bans are
 * gone).  0, or -1 with every failure reported by msg_warn().
 */
int kset_ensure_replace(struct kset *ks);

/* Sets kset_ensure_replace() destroyed and re-created (their bans are
 * to be put back: mailban setup does). */
size_t kset_replaced(const struct kset *ks);

/* The ipset(8) command that creates the set of family (ADDR_V4 or
 * ADDR_V6) as kset_ensure() does, for "mailban setup --print". */
#define KSET_ARGV_MAX 12
struct kset_argv {
	const char *argv[KSET_ARGV_MAX]; /* NULL-terminated */
	char num[16];
};
void kset_create_argv(const struct config *cfg, int family,
    struct kset_argv *out);

#endif
