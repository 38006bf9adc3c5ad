/*
 * NAME
 *	trust - which writers count as each MTA
 * SYNOPSIS
 *	int trust_line(const struct trust *t, const struct logline *ll);
 * DESCRIPTION
 *	A line names its program in its tag, which the writer chooses; who
 *	wrote it is only known from the credentials the kernel gave the
 *	syslog daemon (struct logcred, whatever filled it: the "@cred"
 *	header of the shipped snippets, or the journal's fields).
 *	trust_line() decides from those alone whether a line may be acted
 *	on:
 *
 *	  - a line without credentials (has 0) is trusted unless t->require
 *	    is set: read from a file or a plain pipe, its writer already
 *	    holds that file or pipe;
 *	  - a line with credentials takes the first rule whose program globs
 *	    match its program ('*' matches any run of bytes, '/' included,
 *	    as in the patterns); no rule: untrusted;
 *	  - the rule's users, when it names any: the uid must be known and
 *	    one of them (names resolved when the configuration was loaded;
 *	    a name this host does not know matches nobody);
 *	  - the rule's executables, when it names any: the executable must
 *	    match one of the globs ('*' never matches '/').  When it is not
 *	    known (the writer exited before the daemon read /proc, as
 *	    Sendmail's and Exim's per-connection processes do right after
 *	    a reject; or journald forwarded the line with its own pid once
 *	    the writer had gone) the uid decides alone, if the rule names
 *	    users, and the line is untrusted otherwise;
 *	  - the rule's systemd units, when it names any and the credentials
 *	    come from a source that knows units (unit_known: the journal's
 *	    _SYSTEMD_UNIT, which journald takes from the writer's control
 *	    group): the unit must be one of them ('*' matches any run of
 *	    bytes).  A writer outside every unit then never counts.
 *
 *	Both are needed: an unprivileged user can start an MTA's own
 *	executable (with LD_PRELOAD, say) and make it log anything, but not
 *	as the MTA's user; and root's other programs are not the MTA while
 *	they run.
 * SECURITY
 *	The line is hostile; the credentials are the syslog daemon's word,
 *	from the kernel (uid, gid, pid) and /proc (exe, comm).
 */
#ifndef MAILBAN_TRUST_H
#define MAILBAN_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "prefix.h"

#define TRUST_MAX_RULES 32
#define TRUST_MAX_GLOBS 16 /* programs or executables of one rule */
#define TRUST_MAX_USERS 16

struct trust_rule {
	char *progs[TRUST_MAX_GLOBS]; /* globs over the syslog program */
	size_t nprogs;
	char *exe[TRUST_MAX_GLOBS]; /* globs over the executable; 0: any */
	size_t nexe;
	int64_t uids[TRUST_MAX_USERS]; /* the users found on this host */
	size_t nuids;
	size_t nusers; /* users the rule names; 0: any user */
	char *units[TRUST_MAX_GLOBS]; /* globs over the systemd unit; 0: any */
	size_t nunits;
	char *unknown[TRUST_MAX_USERS]; /* names this host does not have */
	size_t nunknown;
};

struct trust {
	struct trust_rule rules[TRUST_MAX_RULES];
	size_t n;
	int require; /* a line without credentials is untrusted */
};

/* 1: act on the line; 0: its writer is not the MTA it names. */
int trust_line(const struct trust *t, const struct logline *ll);
/* The rule a program falls under, or NULL. */
const struct trust_rule *trust_rule_for(const struct trust *t,
    const char *prog, size_t proglen);
/* Frees the strings of every rule; the struct itself is the caller's. */
void trust_free(struct trust *t);

#endif
