/*
 * NAME
 *	commands - the parsed command line and one function per command
 * DESCRIPTION
 *	main.c holds the table of the commands (name, function, the options
 *	and arguments each takes), parses the command line into a struct
 *	cmdline and calls the command's function, which returns the exit
 *	status (0, 1 runtime failure, 2 usage or configuration; status
 *	exits CMD_EXIT_DEGRADED when a running mailban reports itself
 *	degraded).  Every
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
 *	    cmd_ban.c      ban         a ban by hand, to the kernel and the state
 *	    cmd_allow.c    allow       the runtime allow list in the state
 *	                   disallow
 *	    cmd_why.c      why         everything known of one address
 *	    cmd_reload.c   reload      ask the running mailban to reload
 *	    main.c         help, version
 *
 *	status exits with CMD_EXIT_NOT_ENFORCED when the firewall rules that
 *	use the sets are not in place (bans are recorded but block nothing).
 *
 *	A command that only reads never shares a file with one that changes
 *	the kernel.
 */
#ifndef MAILBAN_COMMANDS_H
#define MAILBAN_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

/* status: mailban run reports that it cannot do its whole job (run.h) */
#define CMD_EXIT_DEGRADED 4

struct config;
struct firewall;
struct firewall_report;
struct kset;
struct sdj;

#define CMD_EXIT_NOT_ENFORCED 3 /* status: bans are not enforced */

struct cmdline {
	const char *config;
	char **overrides;
	size_t noverrides;
	int json, print, omprog, bans_only, missed, list, verbose;
	int prometheus; /* status --prometheus */
	int64_t duration; /* --for, seconds; 0: not given */
	const char *reason; /* --reason TEXT; NULL: not given */
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
/* The firewall rules' handle; exits with status 1 when nf_tables cannot
 * be reached. */
struct firewall *cmd_open_firewall(const struct config *cfg);
/* What rep says is missing, the families joined by "; ", into buf. */
void cmd_firewall_gaps(const struct firewall_report *rep, char *buf,
    size_t len);
/* Whether the bans are enforced (status, list): 1 yes; 0 no, what is
 * missing in buf; -1 unknown (no privilege), why in buf. */
int cmd_enforced(const struct config *cfg, char *buf, size_t len);
int64_t cmd_now(void);
/* --reason: at most CMD_REASON_MAX bytes, no control characters, else a
 * usage error (cmd_ban.c). */
#define CMD_REASON_MAX 200
void cmd_check_reason(const struct cmdline *cl);
/* The journal of --journal-directory, or the system's, keeping only the
 * entries of the MTAs' users; exits with status 1 when it cannot be
 * opened.  follow: it will be polled. */
struct sdj *cmd_open_journal(const struct cmdline *cl,
    const struct config *cfg, int follow);
/* The users whose entries are read, from cfg's trust rules (a reload). */
void cmd_journal_users(struct sdj *j, const struct config *cfg);

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
int cmd_ban(struct cmdline *cl);
int cmd_allow(struct cmdline *cl);
int cmd_disallow(struct cmdline *cl);
int cmd_why(struct cmdline *cl);
int cmd_reload(struct cmdline *cl);

#endif
