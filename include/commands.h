/*
 * NAME
 *	commands - the parsed command line and the commands that enforce
 * DESCRIPTION
 *	main.c parses the command line into a struct cmdline and dispatches;
 *	enforce.c implements the commands that touch the kernel and the state.
 *	Each returns the exit status (0, 1 runtime failure, 2 usage/config).
 */
#ifndef MAILBAN_COMMANDS_H
#define MAILBAN_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

struct config;

struct cmdline {
	const char *config;
	char **overrides;
	size_t noverrides;
	int json, print, omprog, bans_only;
	int64_t now; /* test --now; 0: the clock */
	const char *html; /* report --html FILE */
	char **args;
	int nargs;
};

/* Exits with status 2 and FILE:LINE on a bad configuration. */
struct config *cmd_load_config(const struct cmdline *cl);
int64_t cmd_now(void);

int cmd_run(struct cmdline *cl);
int cmd_setup(struct cmdline *cl);
int cmd_restore(struct cmdline *cl);
int cmd_list(struct cmdline *cl);
int cmd_unban(struct cmdline *cl);
int cmd_flush(struct cmdline *cl);
/* status.c: read-only views of the state */
int cmd_status(struct cmdline *cl);
int cmd_report(struct cmdline *cl);

#endif
