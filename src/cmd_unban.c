/*
 * NAME
 *	cmd_unban - "mailban unban" and "mailban flush": lift bans
 * SYNOPSIS
 *	mailban unban [-c FILE] [-o NAME=VALUE]... ADDR...
 *	mailban flush [-c FILE] [-o NAME=VALUE]...
 * DESCRIPTION
 *	unban removes each address from its set (every configured port) and
 *	lifts its ban in the state file; flush empties both sets and lifts
 *	every active ban.  A running "mailban run" sees the lifted bans in
 *	the state file within a second and forgets them.  An argument that is
 *	not a literal IPv4 or IPv6 address is a usage error, and nothing is
 *	lifted.  Each address gets one line that says what changed; with
 *	--json one document instead: {"unbanned":[ADDR],"not_banned":[ADDR],
 *	"failed":[ADDR]} (failed: the kernel or the state file refused,
 *	exit 1).
 * SECURITY
 *	Needs CAP_NET_ADMIN.  Addresses are parsed with addr_parse() (never
 *	looked up in DNS) before anything changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "commands.h"
#include "config.h"
#include "kset.h"
#include "log.h"
#include "state.h"

int
cmd_unban(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct addr *addrs = xcalloc((size_t)cl->nargs, sizeof(*addrs));
	int *what = xcalloc((size_t)cl->nargs, sizeof(*what));
	static const char *const key[] = {"unbanned", "not_banned", "failed"};
	struct kset *ks;
	struct state *st;
	int i, rc = 0, k, n, w;
	char ip[ADDR_STRLEN];

	for (i = 0; i < cl->nargs; i++)
		if (addr_parse(cl->args[i], strlen(cl->args[i]), &addrs[i]) < 0)
			msg_usage(cl->usage, "unban: \"%.64s\" is not an IPv4 or "
			    "IPv6 address", cl->args[i]);
	ks = cmd_open_kset(cfg);
	st = state_open(cfg->state, 0);
	for (i = 0; i < cl->nargs; i++) {
		addr_format(&addrs[i], ip);
		what[i] = kset_del(ks, &addrs[i]) < 0 ? 2 : 0;
		k = st ? state_unban(st, &addrs[i], cmd_now()) : -1;
		if (k < 0)
			what[i] = 2;
		else if (k == 0 && what[i] == 0)
			what[i] = 1;
		if (what[i] == 2)
			rc = 1;
		if (!cl->json)
			printf("%s: %s\n", ip, k > 0 ? "unbanned" : "was not banned");
	}
	if (st == NULL)
		rc = 1;
	for (w = 0; cl->json && w < 3; w++) {
		printf("%s\"%s\":[", w == 0 ? "{" : ",", key[w]);
		for (i = 0, n = 0; i < cl->nargs; i++)
			if (what[i] == w)
				printf("%s\"%s\"", n++ ? "," : "",
				    addr_format(&addrs[i], ip));
		fputs(w == 2 ? "]}\n" : "]", stdout);
	}
	free(what);
	state_close(st);
	kset_close(ks);
	free(addrs);
	config_free(cfg);
	return rc;
}

int
cmd_flush(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct kset *ks = cmd_open_kset(cfg);
	struct state *st = state_open(cfg->state, 0);
	int rc = 0, k = 0;

	if (kset_flush(ks) < 0)
		rc = 1;
	if (st == NULL || (k = state_flush(st, cmd_now())) < 0)
		rc = 1;
	else
		printf("flushed: %d active bans lifted\n", k);
	state_close(st);
	kset_close(ks);
	config_free(cfg);
	return rc;
}
