/*
 * NAME
 *	cmd_check - "mailban check": validate the configuration
 * SYNOPSIS
 *	mailban check [-c FILE] [-o NAME=VALUE]... [--print | --json]
 * DESCRIPTION
 *	Loads the configuration as every other command does (a broken one is
 *	a usage error naming FILE:LINE, exit status 2), says how many
 *	patterns it compiled, lists the files it read, in order, and names
 *	the users the trust entries name that this host does not have (right
 *	for an MTA this host does not run; a typo otherwise).  With --print,
 *	it writes the configuration in effect instead: libconfig text that
 *	loads to the same configuration, each value followed by the
 *	FILE:LINE it came from; with --json, one document of what the text
 *	says.  Touches nothing else.
 */
#include <stdio.h>

#include "commands.h"
#include "config.h"
#include "fmt.h"
#include "log.h"
#include "pattern.h"
#include "trust.h"

/* --json: one document, {"config","ok","patterns","files","unknown_users"}. */
static void
check_json(const struct config *cfg)
{
	size_t i, j;
	const char *sep = "";

	fputs("{\"config\":", stdout);
	fmt_json_str(stdout, cfg->path);
	printf(",\"ok\":true,\"patterns\":%zu,\"files\":[",
	    pattern_count(cfg->patterns));
	for (i = 0; i < config_file_count(cfg); i++) {
		fputs(i ? "," : "", stdout);
		fmt_json_str(stdout, config_file_name(cfg, i));
	}
	fputs("],\"unknown_users\":[", stdout);
	for (i = 0; i < cfg->trust.n; i++) {
		const struct trust_rule *r = &cfg->trust.rules[i];

		for (j = 0; j < r->nunknown; j++) {
			fputs(sep, stdout);
			fmt_json_str(stdout, r->unknown[j]);
			sep = ",";
		}
	}
	fputs("]}\n", stdout);
}

int
cmd_check(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	size_t i;

	if (cl->print && cl->json)
		msg_usage(cl->usage, "check: --print or --json, not both");
	if (cl->print) {
		config_print(cfg, stdout);
	} else if (cl->json) {
		check_json(cfg);
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
