/*
 * NAME
 *	cmd_check - "mailban check": validate the configuration
 * SYNOPSIS
 *	mailban check [-c FILE] [-o NAME=VALUE]...
 * DESCRIPTION
 *	Loads the configuration as every other command does (a broken one is
 *	a usage error naming FILE:LINE, exit status 2) and says how many
 *	patterns it compiled, and which users the trust entries name that
 *	this host does not have (right for an MTA this host does not run;
 *	a typo otherwise).  Touches nothing else.
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

	printf("%s: OK, %zu patterns\n", cfg->path, pattern_count(cfg->patterns));
	for (size_t i = 0; i < cfg->trust.n; i++) {
		const struct trust_rule *r = &cfg->trust.rules[i];

		for (size_t j = 0; j < r->nunknown; j++)
			printf("trust: user %s (%s%s) is not on this host%s\n",
			    r->unknown[j], r->progs[0], r->nprogs > 1 ? ", ..." : "",
			    r->nuids == 0 ? "; no user of that entry is, its "
			    "lines will all be untrusted" : "");
	}
	config_free(cfg);
	return 0;
}
