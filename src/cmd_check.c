/*
 * NAME
 *	cmd_check - "mailban check": validate the configuration
 * SYNOPSIS
 *	mailban check [-c FILE] [-o NAME=VALUE]...
 * DESCRIPTION
 *	Loads the configuration as every other command does (a broken one is
 *	a usage error naming FILE:LINE, exit status 2) and says how many
 *	patterns it compiled.  Touches nothing else.
 */
#include <stdio.h>

#include "commands.h"
#include "config.h"
#include "pattern.h"

int
cmd_check(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);

	printf("%s: OK, %zu patterns\n", cfg->path, pattern_count(cfg->patterns));
	config_free(cfg);
	return 0;
}
