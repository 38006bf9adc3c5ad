/*
 * NAME
 *	cmd_list - "mailban list": the active bans, read-only
 * SYNOPSIS
 *	mailban list [-c FILE] [-o NAME=VALUE]... [--json]
 * DESCRIPTION
 *	One line per active ban of the state file (address, time left, ban
 *	count, pattern, host) under a heading, then the count; with --json,
 *	one object per line and nothing else.  Opens the state file
 *	read-only; one that does not exist yet means no bans.  Asks the
 *	kernel only whether the bans are enforced (firewall.h): when the rules
 *	that use the sets are not in place, the first line says so (with
 *	--json, a warning on stderr and "enforced":false in every object).
 * SECURITY
 *	Pattern and host names come from the state file and may hold log
 *	text: JSON escapes them, the text output quotes them (msg_quote):
 *	never a control byte to the terminal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "commands.h"
#include "config.h"
#include "fmt.h"
#include "log.h"
#include "state.h"

#define QUOTE_MAX 64

struct lister {
	FILE *out;
	int json;
	int64_t now;
	size_t n;
	int enforced; /* cmd_enforced(): 1, 0, -1 unknown */
};

static int
list_one(void *ctx, const struct state_ban *b)
{
	struct lister *l = ctx;
	char ip[ADDR_STRLEN], tb[32], db[32];
	char qp[4 * QUOTE_MAX + 4], qh[4 * QUOTE_MAX + 4];

	addr_format(&b->addr, ip);
	if (l->json) {
		fprintf(l->out, "{\"ip\":\"%s\",\"left\":%" PRId64
		    ",\"until\":\"%s\",\"duration\":%" PRId64 ",\"count\":%u"
		    ",\"score\":%ld,\"pattern\":",
		    ip, b->until - l->now, fmt_time(tb, sizeof(tb), b->until),
		    b->duration, b->count, b->score);
		fmt_json_string(l->out, b->pattern, strlen(b->pattern));
		fputs(",\"host\":", l->out);
		fmt_json_string(l->out, b->host, strlen(b->host));
		fprintf(l->out, ",\"since\":\"%s\",\"enforced\":%s}\n",
		    fmt_time(tb, sizeof(tb), b->last_ban), l->enforced == 1 ?
		    "true" : l->enforced == 0 ? "false" : "null");
	} else {
		if (l->n == 0)
			fprintf(l->out, "%-39s %10s %5s  %-28s %s\n", "ADDRESS",
			    "LEFT", "BANS", "PATTERN", "HOST");
		fprintf(l->out, "%-39s %10s %5u  %-28s %s\n", ip,
		    fmt_left(db, sizeof(db), b->until - l->now), b->count,
		    msg_quote(qp, b->pattern, strlen(b->pattern), QUOTE_MAX),
		    msg_quote(qh, b->host, strlen(b->host), QUOTE_MAX));
	}
	l->n++;
	return 0;
}

int
cmd_list(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct lister l = {stdout, cl->json, cmd_now(), 0, -1};
	struct state *st;
	char what[512];
	int rc = 0;

	l.enforced = cmd_enforced(cfg, what, sizeof(what));
	if (l.enforced == 0 && l.json)
		msg_warn("bans are not enforced: %s", what);
	else if (l.enforced == 0)
		printf("BANS ARE NOT ENFORCED: %s\n", what);
	if (access(cfg->state, F_OK) < 0 && errno == ENOENT) {
		if (!l.json)
			printf("no active bans (no state file %s yet)\n", cfg->state);
		config_free(cfg);
		return 0;
	}
	st = state_open(cfg->state, 1);
	if (st == NULL || state_active(st, l.now, list_one, &l) < 0)
		rc = 1;
	else if (!l.json)
		printf("%zu active ban%s\n", l.n, l.n == 1 ? "" : "s");
	state_close(st);
	config_free(cfg);
	return rc;
}
