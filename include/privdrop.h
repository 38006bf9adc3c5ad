/*
 * NAME
 *	privdrop - the least privilege for "mailban run": one capability,
 *	an unprivileged user, no new privileges, a seccomp filter
 * SYNOPSIS
 *	#include "privdrop.h"
 * DESCRIPTION
 *	privdrop_enter() is called once by "mailban run" after its
 *	configuration is loaded and before it opens the sets, the state file
 *	or its journal, and before it reads the first log line; by "run
 *	--journal" after it has opened the systemd journal, the sets, the
 *	firewall rules and the state file, before the first entry.  In order:
 *
 *	- the bounding set loses every capability but CAP_NET_ADMIN (when
 *	  the process may change it: root, or CAP_SETPCAP);
 *	- started as root with a user named (privileges.user), the process
 *	  becomes that user and its group, with no supplementary groups but
 *	  keep_gid when it is set (run --journal keeps systemd-journal, the
 *	  group of the journal's files), keeping CAP_NET_ADMIN across the
 *	  switch; the state directory must be writable by it;
 *	- the permitted and effective sets become CAP_NET_ADMIN alone, the
 *	  inheritable and ambient sets empty; without CAP_NET_ADMIN (not root
 *	  and no file capability) it fails, naming the capability;
 *	- no_new_privs is set;
 *	- with seccomp set, a filter allows only the system calls the run
 *	  loop makes (read and write of the omprog pipe, poll, signals, the
 *	  mapped journal, SQLite's file I/O and locks, netlink sockets for
 *	  libipset and the firewall rules (and the IPv4 datagram socket of
 *	  ipset's getsockopt() lookups), PCRE2's JIT memory, the
 *	  configuration read again on SIGHUP, the page and zone files written
 *	  by rename).  Any other call (execve, a TCP socket,
 *	  ptrace, ...) ends the process: a SIGSYS handler writes
 *	  "mailban: seccomp: forbidden system call NAME (N)" to stderr and the
 *	  process dies of SIGSYS.  A build with AddressSanitizer installs
 *	  no filter (its leak check ptraces the process at exit) and says so.
 *
 *	Every step that fails is an error: 0, or -1 with a message in err.
 *	With degrade set (run --omprog, which never exits at start-up), what
 *	the machine lacks is not: a user that does not exist (the process
 *	stays root, with CAP_NET_ADMIN alone), a state directory the user
 *	cannot write (the state file then fails, reported by run), a missing
 *	CAP_NET_ADMIN (no capability at all; the sets then fail, reported by
 *	run): every other step is still taken and privdrop_enter() returns 1
 *	with the reason in err.
 *
 *	privdrop_has_netadmin() says whether CAP_NET_ADMIN is effective now,
 *	for the commands that change the kernel's sets.
 * SECURITY
 *	The filter is installed before any log line is read; it cannot be
 *	lifted.  What it allows is listed in one table in privdrop.c, found
 *	by tracing the run loop through bans, reloads, state, zone and page.
 */
#ifndef MAILBAN_PRIVDROP_H
#define MAILBAN_PRIVDROP_H

#include <stddef.h>

struct privdrop {
	const char *user; /* "": keep the user id */
	const char *state; /* the state file; its directory must be writable */
	int seccomp; /* 1: install the filter */
	int degrade; /* 1: what the machine lacks is no error (run --omprog) */
	long keep_gid; /* a supplementary group kept across the user switch
			* (run --journal: systemd-journal); 0: none */
};

int privdrop_enter(const struct privdrop *p, char *err, size_t errlen);
int privdrop_has_netadmin(void);

#endif
