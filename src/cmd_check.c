/*
 * NAME
 *	cmd_check - "mailban check": validate the configuration
 * SYNOPSIS
 *	mailban check [-c FILE] [-o NAME=VALUE]... [--print]
 * DESCRIPTION
 *	Loads the configuration as every other command does (a broken one is
 *	a usage error naming FILE:LINE, exit status 2), says how many
 *	patterns it compiled, lists the files it read, in order, and names
 *	the users the trust entries name that this host does not have (right
 *	for an MTA this host does not run; a typo otherwise).  With --print,
 *	it writes the configuration in effect instead: libconfig text that
 *	loads to the same configuration, each value followed by the
 *	FILE:LINE it came from.  Touches nothing else.
 */
#include <stdio.h>

#include "commands.h"
#include "config.h"
#include "pattern.h"
#include "trust.h"

int
cmd_check(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	size_t i;

	if (cl->print) {
		config_print(cfg, stdout);
	} else {
		printf("%s: OK, %zu patterns\n", cfg->path,
		    pattern_count(cfg->patterns));
		printf("files read, in order:\n");
		for (i = 0; i < config_file_count(cfg); i++)
			printf("  %s\n", config_file_name(cfg, i));
		for (i = 0; i < cfg->trust.n; i++) {
			const struct trust_rule *r = &cfg->trust.rules[i];

			for (size_t j = 0; j < r->nunknown; j++)
				printf("trust: user %s (%s%s) is not on this host%s\n",
				    r->unknown[j], r->progs[0], r->nprogs > 1 ?
				    ", ..." : "", r->nuids == 0 ? "; no user of that "
				    "entry is, its lines will all be untrusted" : "");
		}
	}
	config_free(cfg);
	return 0;
}
