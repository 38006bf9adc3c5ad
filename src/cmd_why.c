/*
 * NAME
 *	cmd_why - "mailban why": everything mailban knows of one address
 * SYNOPSIS
 *	mailban why [-c FILE] [-o NAME=VALUE]... [--json] ADDR|ADDR/LEN
 * DESCRIPTION
 *	From the state file: the address's ban now (until when, its count,
 *	pattern, host, program, reason), every ban decision kept (ban_log:
 *	time, length, count, pattern, host, reason), the scores in flight
 *	inside the window, and the last limits.evidence log lines that
 *	scored for it (stored escaped, shown as stored); from the
 *	configuration and the state: whether the ignore list or the runtime
 *	allow list covers it.  An address is scored under its prefix
 *	(prefix.ipv4, prefix.ipv6): the scores, evidence and ban decisions
 *	shown are the prefix's, and the ban shown is the one that holds the
 *	address: its own, its prefix's, or its widened network's (the first
 *	active of these, else the first known).  --json prints one document.  Opens the state
 *	file for reading (a file of an older mailban is brought to the
 *	current schema first); one that does not exist yet knows nothing.
 * SECURITY
 *	Patterns, hosts, programs, reasons and lines come from the state
 *	file and may hold hostile log text: lines were escaped before they
 *	were stored, JSON escapes every string again, and the text output
 *	quotes each (msg_quote): never a control byte to the terminal.
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

/* Untrusted text for a terminal: printable ASCII, truncated (msg_quote);
 * up to four at once, each in its own buffer. */
#define WHY_QUOTE_MAX 2100
static const char *
q(const char *text)
{
	static char buf[4][4 * WHY_QUOTE_MAX + 4];
	static unsigned next;

	next = (next + 1) % 4;
	return msg_quote(buf[next], text, strlen(text), WHY_QUOTE_MAX);
}

/* An evidence line as stored (escaped already, backslashes its own): only
 * a byte outside printable ASCII (a crafted file) is escaped here. */
static const char *
q_stored(const char *text)
{
	static char buf[4 * WHY_QUOTE_MAX + 4];
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;
	unsigned char c;

	for (i = 0; text[i] != '\0' && i < WHY_QUOTE_MAX; i++) {
		c = (unsigned char)text[i];
		if (c >= 0x20 && c < 0x7f) {
			buf[n++] = (char)c;
			continue;
		}
		buf[n++] = '\\';
		buf[n++] = 'x';
		buf[n++] = hex[c >> 4];
		buf[n++] = hex[c & 15];
	}
	buf[n] = '\0';
	return buf;
}

struct why {
	int json;
	int64_t now;
	size_t n; /* rows printed in the current section */
	const struct addr *a;
};

static void
json_sep(struct why *w)
{
	if (w->n++ > 0)
		fputc(',', stdout);
}

static int
allow_one(void *ctx, const struct state_allow *v)
{
	struct why *w = ctx;
	char tb[32];

	if (!cidr_contains(&v->net, w->a))
		return 0;
	if (w->json) {
		json_sep(w);
		fputs("{\"net\":", stdout);
		fmt_json_str(stdout, v->text);
		fputs(",\"until\":", stdout);
		if (v->until != 0)
			printf("\"%s\"", fmt_time(tb, sizeof(tb), v->until));
		else
			fputs("null", stdout);
		fputs(",\"reason\":", stdout);
		fmt_json_str(stdout, v->reason);
		fputc('}', stdout);
		return 0;
	}
	printf("  allowed by %s %s%s%s%s\n", q(v->text), v->until != 0 ?
	    "until " : "until removed", v->until != 0 ? fmt_time(tb, sizeof(tb),
	    v->until) : "", v->reason[0] != '\0' ? ", reason: " : "",
	    q(v->reason));
	w->n++;
	return 0;
}

static int
log_one(void *ctx, const struct state_ban_event *e)
{
	struct why *w = ctx;
	char tb[32], db[32];

	if (w->json) {
		json_sep(w);
		printf("{\"time\":\"%s\",\"duration\":%" PRId64 ",\"count\":%u"
		    ",\"pattern\":", fmt_time(tb, sizeof(tb), e->time), e->duration,
		    e->count);
		fmt_json_str(stdout, e->pattern);
		fputs(",\"program\":", stdout);
		fmt_json_str(stdout, e->program);
		fputs(",\"host\":", stdout);
		fmt_json_str(stdout, e->host);
		fputs(",\"reason\":", stdout);
		fmt_json_str(stdout, e->reason);
		fputc('}', stdout);
		return 0;
	}
	if (w->n++ == 0)
		printf("bans:\n  %-20s %7s %5s  %-28s %s\n", "TIME", "LENGTH",
		    "COUNT", "PATTERN", "HOST");
	printf("  %-20s %7s %5u  %-28s %s%s%s\n", fmt_time(tb, sizeof(tb),
	    e->time), fmt_duration(db, sizeof(db), e->duration), e->count,
	    q(e->pattern), q(e->host), e->reason[0] != '\0' ? "  reason: " : "",
	    q(e->reason));
	return 0;
}

static int
evidence_one(void *ctx, const struct state_evidence *v)
{
	struct why *w = ctx;
	char tb[32];

	if (w->json) {
		json_sep(w);
		printf("{\"time\":\"%s\",\"pattern\":", fmt_time(tb, sizeof(tb),
		    v->time));
		fmt_json_str(stdout, v->pattern);
		printf(",\"score\":%ld,\"line\":", v->score);
		fmt_json_str(stdout, v->line);
		fputc('}', stdout);
		return 0;
	}
	if (w->n++ == 0)
		printf("evidence (the last lines that scored, oldest first):\n");
	printf("  %s %s %+ld\n    %s\n", fmt_time(tb, sizeof(tb), v->time),
	    q(v->pattern), v->score, q_stored(v->line));
	return 0;
}

static void
print_ban(const struct why *w, const struct state_ban *b, int have,
    const char *reason)
{
	char tb[32], fb[32], db[32];

	if (w->json) {
		if (!have) {
			fputs(",\"banned\":false,\"ban\":null", stdout);
			return;
		}
		printf(",\"banned\":%s,\"ban\":{\"until\":", b->until > w->now ?
		    "true" : "false");
		if (b->until > w->now)
			printf("\"%s\",\"left\":%" PRId64, fmt_time(tb, sizeof(tb),
			    b->until), b->until - w->now);
		else
			fputs("null,\"left\":0", stdout);
		printf(",\"duration\":%" PRId64 ",\"count\":%u,\"score\":%ld"
		    ",\"first\":\"%s\",\"last\":\"%s\",\"pattern\":", b->duration,
		    b->count, b->score, fmt_time(fb, sizeof(fb), b->first_ban),
		    fmt_time(tb, sizeof(tb), b->last_ban));
		fmt_json_str(stdout, b->pattern);
		fputs(",\"program\":", stdout);
		fmt_json_str(stdout, b->program);
		fputs(",\"host\":", stdout);
		fmt_json_str(stdout, b->host);
		fputs(",\"reason\":", stdout);
		fmt_json_str(stdout, reason);
		fputc('}', stdout);
		return;
	}
	if (!have) {
		printf("  not banned within the forget horizon\n");
		return;
	}
	if (b->until > w->now)
		printf("  BANNED until %s (%s left), ban %u, pattern %s, host %s, "
		    "program %s, score %ld\n", fmt_time(tb, sizeof(tb), b->until),
		    fmt_left(db, sizeof(db), b->until - w->now), b->count,
		    q(b->pattern), b->host[0] ? q(b->host) : "-", b->program[0] ?
		    q(b->program) : "-", b->score);
	else
		printf("  not banned now; last ban %s (ban %u, pattern %s), first "
		    "%s\n", fmt_time(tb, sizeof(tb), b->last_ban), b->count,
		    q(b->pattern), fmt_time(fb, sizeof(fb), b->first_ban));
	if (reason[0] != '\0')
		printf("  reason: %s\n", q(reason));
}

static void
print_scores(const struct why *w, const struct config *cfg,
    const struct score_event *ev, size_t n)
{
	char tb[32];
	long sum = 0;
	size_t i, k = 0;

	if (w->json)
		fputs(",\"scores\":[", stdout);
	for (i = 0; i < n; i++) {
		if (ev[i].t < w->now - cfg->window)
			continue;
		sum += ev[i].score;
		if (w->json) {
			printf("%s{\"time\":\"%s\",\"score\":%ld}", k ? "," : "",
			    fmt_time(tb, sizeof(tb), ev[i].t), ev[i].score);
		} else {
			if (k == 0)
				printf("scores in the window:\n");
			printf("  %s %+ld\n", fmt_time(tb, sizeof(tb), ev[i].t),
			    ev[i].score);
		}
		k++;
	}
	if (w->json) {
		printf("],\"score\":%ld,\"threshold\":%ld,\"window\":%" PRId64, sum,
		    cfg->threshold, cfg->window);
		return;
	}
	printf("  score %ld of threshold %ld within the last %" PRId64 " s%s\n",
	    sum, cfg->threshold, cfg->window, k == 0 ? " (no events)" : "");
}

/*
 * The ban row of the first of held[3] (the address, its prefix, its
 * widened network) that is active, else of the first that exists; *by
 * its index.  1, 0 (none), -1.
 */
static int
ban_holding(struct state *st, const struct addr *held, struct state_ban *b,
    int *by, char *reason, size_t rlen, int64_t now)
{
	struct state_ban t;
	char tr[CMD_REASON_MAX + 1];
	int i, k, have = 0;

	for (i = 0; i < 3; i++) {
		if (i > 0 && addr_equal(&held[i], &held[i - 1]))
			continue;
		if ((k = state_ban_get(st, &held[i], &t, tr, sizeof(tr))) < 0)
			return -1;
		if (k == 0 || (have && t.until <= now))
			continue;
		if (!have || b->until <= now) {
			*b = t;
			*by = i;
			snprintf(reason, rlen, "%s", tr);
			have = 1;
		}
		if (t.until > now)
			break;
	}
	return have;
}

int
cmd_why(struct cmdline *cl)
{
	struct config *cfg;
	struct why w;
	struct addr a, key, held[3];
	struct state *st = NULL;
	struct state_ban b;
	char kp[ADDR_STRLEN], bp[ADDR_STRLEN];
	int by = 0;
	struct score_event ev[SCORE_EVENTS];
	char ip[ADDR_STRLEN], reason[CMD_REASON_MAX + 1];
	size_t nev = 0;
	int have = 0, rc = 0, ignored;

	if (addr_parse_net(cl->args[0], strlen(cl->args[0]), &a) < 0)
		msg_usage(cl->usage, "why: \"%.64s\" is not an IPv4 or IPv6 "
		    "address or ADDR/LEN network", cl->args[0]);
	cfg = cmd_load_config(cl);
	memset(&w, 0, sizeof(w));
	w.json = cl->json;
	w.now = cmd_now();
	/* what it is scored under, and what may hold it */
	key = a;
	addr_mask(&key, a.family == ADDR_V4 ? cfg->prefix4 : cfg->prefix6);
	held[0] = a;
	held[1] = key;
	held[2] = a;
	addr_mask(&held[2], a.family == ADDR_V4 ? cfg->widen4 : cfg->widen6);
	w.a = &key;
	addr_format(&a, ip);
	addr_format(&key, kp);
	reason[0] = '\0';
	if (access(cfg->state, F_OK) == 0) {
		if ((st = state_open(cfg->state, STATE_WAIT)) == NULL ||
		    (have = ban_holding(st, held, &b, &by, reason,
		    sizeof(reason), w.now)) < 0 ||
		    state_scores_of(st, &key, ev, SCORE_EVENTS, &nev) < 0) {
			state_close(st);
			config_free(cfg);
			return 1;
		}
	} else if (errno != ENOENT) {
		msg_warn("state %s: %s", cfg->state, strerror(errno));
		config_free(cfg);
		return 1;
	}
	ignored = addr_list_contains(&cfg->ignore, &a);
	if (have)
		addr_format(&b.addr, bp);
	if (w.json) {
		printf("{\"ip\":\"%s\",\"ignored\":%s", ip, ignored ? "true" :
		    "false");
		printf(",\"prefix\":\"%s\"", kp);
		if (have)
			printf(",\"banned_as\":\"%s\"", bp);
		print_ban(&w, &b, have, reason);
		fputs(",\"allowed\":[", stdout);
	} else {
		printf("%s\n", ip);
		if (!addr_equal(&key, &a))
			printf("  scored and banned as %s (prefix.ipv%d)\n", kp,
			    a.family == ADDR_V4 ? 4 : 6);
		if (have && !addr_equal(&b.addr, &a))
			printf("  the ban shown is of %s%s, which holds it\n", bp,
			    by == 2 ? " (widened: prefixes of it were banned)" :
			    "");
		if (st == NULL)
			printf("  no state file %s yet: nothing known\n", cfg->state);
		if (ignored)
			printf("  in the ignore list of the configuration: never "
			    "banned\n");
		print_ban(&w, &b, have, reason);
	}
	if (st != NULL && state_allow_list(st, w.now, allow_one, &w) < 0)
		rc = 1;
	if (w.json)
		fputs("],\"bans\":[", stdout);
	w.n = 0;
	if (st != NULL && state_ban_log(st, have ? &b.addr : &key, log_one,
	    &w) < 0)
		rc = 1;
	if (w.json)
		fputc(']', stdout);
	print_scores(&w, cfg, ev, nev);
	if (w.json)
		fputs(",\"evidence\":[", stdout);
	w.n = 0;
	if (st != NULL && state_evidence(st, &key, cfg->max_evidence > 0 ?
		cfg->max_evidence : 1000, evidence_one, &w) < 0)
		rc = 1;
	if (w.json)
		fputs("]}\n", stdout);
	else if (w.n == 0)
		printf("evidence: no lines kept\n");
	state_close(st);
	config_free(cfg);
	return rc;
}
