/*
 * NAME
 *	cmd_reload - "mailban reload": the running mailban reads its
 *	configuration again
 * SYNOPSIS
 *	mailban reload [-c FILE] [-o NAME=VALUE]...
 * DESCRIPTION
 *	Checks the configuration first (an error is reported as FILE:LINE,
 *	exit 2, and nothing is asked).  Then asks through the state file
 *	(state.h: a counter the running "mailban run" sees within a second,
 *	whatever started it: rsyslog, syslog-ng or a shell) and waits up to
 *	RELOAD_WAIT seconds for its answer, which it prints: "reloaded FILE:
 *	N patterns" (exit 0) or the error that kept the running configuration
 *	(exit 1).  No answer (no mailban run on this state file, or one that
 *	has no configuration loaded: it retries on its own every few
 *	seconds) is exit 1.  The same as SIGHUP to the process, without
 *	having to find it; what systemctl reload mailban runs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "state.h"

#define RELOAD_WAIT 10 /* seconds */

int
cmd_reload(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct timespec step = {0, 100 * 1000 * 1000};
	struct state_reload r;
	struct state *st;
	uint64_t asked;
	int i, rc = 1;

	if ((st = state_open(cfg->state, STATE_WAIT)) == NULL)
		msg_fatal("state %s cannot be opened: nothing asked", cfg->state);
	if (state_reload_ask(st, &asked) < 0)
		msg_fatal("state %s: cannot ask for a reload", cfg->state);
	for (i = 0; i < RELOAD_WAIT * 10; i++) {
		if (state_reload_status(st, &r) > 0 && r.done >= asked) {
			printf("%s\n", r.result);
			rc = strncmp(r.result, "reloaded ", 9) == 0 ? 0 : 1;
			break;
		}
		nanosleep(&step, NULL);
	}
	if (i == RELOAD_WAIT * 10) {
		printf("no running mailban run on %s answered within %d s: nothing "
		    "reloaded (one without a configuration loaded retries on its "
		    "own)\n", cfg->state, RELOAD_WAIT);
	}
	state_close(st);
	config_free(cfg);
	return rc;
}
