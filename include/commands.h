/*
 * NAME
 *	commands - the parsed command line and one function per command
 * DESCRIPTION
 *	main.c holds the table of the commands (name, function, the options
 *	and arguments each takes), parses the command line into a struct
 *	cmdline and calls the command's function, which returns the exit
 *	status (0, 1 runtime failure, 2 usage or configuration).  Every
 *	command has one home:
 *
 *	    cmd_test.c     test        replay logs, change nothing
 *	    cmd_check.c    check       validate the configuration
 *	    cmd_run.c      run         the daemon (the loop itself is run.c)
 *	                   restore     the active bans into the kernel
 *	    cmd_setup.c    setup       the sets and the firewall rules
 *	    cmd_list.c     list        active bans, read-only
 *	    cmd_unban.c    unban       lift bans, from the kernel and the state
 *	                   flush
 *	    cmd_status.c   status      read-only views of the state
 *	                   report
 *
 *	A command that only reads never shares a file with one that changes
 *	the kernel.
 */
#ifndef MAILBAN_COMMANDS_H
#define MAILBAN_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct kset;
struct sdj;

struct cmdline {
	const char *config;
	char **overrides;
	size_t noverrides;
	int json, print, omprog, bans_only;
	int require_credentials; /* a line without them is untrusted */
	int journal; /* --journal: the systemd journal, not lines */
	const char *journal_dir; /* --journal-directory DIR; NULL: the system's */
	int has_since, has_until;
	int64_t since, until; /* --since, --until: seconds */
	int64_t now; /* test --now; 0: the clock */
	const char *html; /* report --html FILE */
	char **args;
	int nargs;
	char *usage; /* "usage: mailban COMMAND ...\n", for msg_usage() */
};

/* The configuration of the command line: -c FILE and its drop-ins, or
 * without -c SYSCONFDIR/mailban/mailban.conf when it exists (else the
 * built-in one) and its drop-ins; then the -o overrides.  NULL with
 * "FILE:LINE: message" in err. */
struct config *cmd_config(const struct cmdline *cl, char *err, size_t errlen);
/* Exits with status 2 and FILE:LINE on a bad configuration. */
struct config *cmd_load_config(const struct cmdline *cl);
/* The sets, made when missing; exits with status 1 when they cannot be. */
struct kset *cmd_open_kset(const struct config *cfg);
int64_t cmd_now(void);
/* The journal of --journal-directory, or the system's, keeping only the
 * entries of the MTAs' users; exits with status 1 when it cannot be
 * opened.  follow: it will be polled. */
struct sdj *cmd_open_journal(const struct cmdline *cl,
    const struct config *cfg, int follow);

int cmd_test(struct cmdline *cl);
int cmd_check(struct cmdline *cl);
int cmd_run(struct cmdline *cl);
int cmd_restore(struct cmdline *cl);
int cmd_setup(struct cmdline *cl);
int cmd_list(struct cmdline *cl);
int cmd_unban(struct cmdline *cl);
int cmd_flush(struct cmdline *cl);
int cmd_status(struct cmdline *cl);
int cmd_report(struct cmdline *cl);

#endif
