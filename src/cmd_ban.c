/*
 * NAME
 *	cmd_ban - "mailban ban": a ban by hand
 * SYNOPSIS
 *	mailban ban [-c FILE] [-o NAME=VALUE]... [--for DURATION]
 *	    [--reason TEXT] ADDR|ADDR/LEN...
 * DESCRIPTION
 *	Each address or network is banned as if a pattern had decided it
 *	(a network as given, its host bits cleared: 192.0.2.7/24 bans
 *	192.0.2.0/24, one entry of the set, "list" shows ADDR/LEN): the state
 *	file gets the ban (pattern "manual", the reason, one more in the
 *	address's count, so that escalation counts it like any other) and
 *	the kernel gets the entry.  Without --for the length is the
 *	escalation's for that count (bantimes).  A running "mailban run"
 *	learns of it within a second (state.h's data_version): it counts it,
 *	never decides a shorter ban over it, and puts it back like any other
 *	when a set is repaired.  An address in the ignore list or the
 *	runtime allow list is refused (exit 1): a ban by hand never
 *	overrules them silently; "mailban disallow" first.  So is a network
 *	that holds an address of the allow list (exit 1, named).  A network
 *	wider than the widest mailban bans itself (widen.ipv4 and
 *	widen.ipv6, or prefix.ipv4 and prefix.ipv6 when narrower: a /24 and
 *	a /48 by default) or one that holds an address or network of the
 *	ignore list can never be banned: a usage error (exit 2) that names
 *	the limit or the ignore entry, and nothing changes.
 *
 *	Each address gets one line that says what changed; with --json one
 *	document instead: {"banned":[{"ip","until","duration","count",
 *	"reason","enforced"}],"refused":[{"ip","why","allowed_by"}]}
 *	("enforced": false when the kernel refused it and only the state
 *	file has it; "why": "ignored", "allowed" or "state").  Exit status
 *	0, 1 when one could not be banned (kernel or state file), 2 for a
 *	usage error (nothing changes).
 * SECURITY
 *	Needs CAP_NET_ADMIN.  Addresses are parsed with addr_parse_net()
 *	(never looked up in DNS) before anything changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "commands.h"
#include "config.h"
#include "fmt.h"
#include "kset.h"
#include "log.h"
#include "state.h"

#define BAN_PATTERN "manual"
#define BAN_PROGRAM "mailban ban"

struct allowed {
	const struct addr *a;
	char net[ADDR_STRLEN + 8];
	int inside; /* a lies inside net (else net lies inside a) */
};

/* What became of one address, for --json. */
enum outcome { BANNED, BANNED_STATE_ONLY, REFUSED_IGNORED, REFUSED_ALLOWED,
    REFUSED_STATE, UNTRIED };

struct result {
	enum outcome what;
	struct state_ban b;
	char net[ADDR_STRLEN + 8];
};

static void
print_json(const struct addr *addrs, const struct result *res, int n,
    const char *reason)
{
	static const char *const why[] = {"", "", "ignored", "allowed",
	    "state"};
	char ip[ADDR_STRLEN], tb[32];
	int i, k;

	fputs("{\"banned\":[", stdout);
	for (i = 0, k = 0; i < n; i++) {
		if (res[i].what != BANNED && res[i].what != BANNED_STATE_ONLY)
			continue;
		printf("%s{\"ip\":\"%s\",\"until\":\"%s\",\"duration\":%lld,"
		    "\"count\":%u,\"reason\":", k++ ? "," : "",
		    addr_format(&addrs[i], ip), fmt_time(tb, sizeof(tb),
		    res[i].b.until), (long long)res[i].b.duration, res[i].b.count);
		fmt_json_str(stdout, reason);
		printf(",\"enforced\":%s}", res[i].what == BANNED ? "true" :
		    "false");
	}
	fputs("],\"refused\":[", stdout);
	for (i = 0, k = 0; i < n; i++) {
		if (res[i].what < REFUSED_IGNORED || res[i].what > REFUSED_STATE)
			continue;
		printf("%s{\"ip\":\"%s\",\"why\":\"%s\",\"allowed_by\":",
		    k++ ? "," : "", addr_format(&addrs[i], ip), why[res[i].what]);
		if (res[i].what == REFUSED_ALLOWED)
			fmt_json_str(stdout, res[i].net);
		else
			fputs("null", stdout);
		fputc('}', stdout);
	}
	fputs("]}\n", stdout);
}

static int
allowed_one(void *ctx, const struct state_allow *v)
{
	struct allowed *al = ctx;

	if (!cidr_overlaps(&v->net, al->a))
		return 0;
	snprintf(al->net, sizeof(al->net), "%s", v->text);
	al->inside = ADDR_PLEN(al->a) >= v->net.plen;
	return 1;
}

void
cmd_check_reason(const struct cmdline *cl)
{
	const unsigned char *p;

	if (cl->reason == NULL)
		return;
	if (strlen(cl->reason) > CMD_REASON_MAX)
		msg_usage(cl->usage, "--reason: at most %d bytes",
		    CMD_REASON_MAX);
	for (p = (const unsigned char *)cl->reason; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			msg_usage(cl->usage, "--reason: no control characters");
}

/* The widest network "ban" takes in a's family: the widest mailban bans
 * itself. */
static unsigned
widest(const struct config *cfg, const struct addr *a)
{
	unsigned w = a->family == ADDR_V4 ? cfg->widen4 : cfg->widen6;
	unsigned p = a->family == ADDR_V4 ? cfg->prefix4 : cfg->prefix6;

	return p < w ? p : w;
}

/*
 * A network argument that can never be banned, a usage error before
 * anything changes: 1 (too wide: the synopsis goes with it) or 2 (it
 * overlaps the ignore list), the message in err; 0 when it can be.
 */
static int
check_net(const struct config *cfg, const char *arg, const struct addr *a,
    char *err, size_t errlen)
{
	const struct cidr *c;
	char ip[ADDR_STRLEN], ig[ADDR_STRLEN + 8];
	int v4 = a->family == ADDR_V4;

	if (a->plen == 0)
		return 0;
	if (a->plen < widest(cfg, a)) {
		xsnprintf(err, errlen, "ban: %.64s: wider than a /%u, the widest "
		    "%s network mailban bans (widen.%s and prefix.%s); ban "
		    "narrower networks", arg, widest(cfg, a), v4 ? "IPv4" :
		    "IPv6", v4 ? "ipv4" : "ipv6", v4 ? "ipv4" : "ipv6");
		return 1;
	}
	if ((c = addr_list_overlapping(&cfg->ignore, a)) == NULL)
		return 0;
	addr_format(&c->addr, ig);
	if (c->plen < ADDR_BITS(&c->addr))
		xsnprintf(ig + strlen(ig), sizeof(ig) - strlen(ig), "/%u",
		    (unsigned)c->plen);
	xsnprintf(err, errlen, "ban: %s: %s %s of the ignore list of the "
	    "configuration: never banned; nothing banned", addr_format(a, ip),
	    c->plen <= a->plen ? "inside" : "holds", ig);
	return 2;
}

int
cmd_ban(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct addr *addrs = xcalloc((size_t)cl->nargs, sizeof(*addrs));
	const char *reason = cl->reason != NULL ? cl->reason : "";
	struct result *res = xcalloc((size_t)cl->nargs, sizeof(*res));
	struct state_ban b;
	struct allowed al;
	struct kset *ks;
	struct state *st;
	char ip[ADDR_STRLEN], tb[32], db[32], err[512];
	int64_t now = cmd_now();
	int i, rc = 0, k = 0;

	cmd_check_reason(cl);
	for (i = 0; i < cl->nargs && k == 0; i++) {
		if (addr_parse_net(cl->args[i], strlen(cl->args[i]),
		    &addrs[i]) < 0) {
			xsnprintf(err, sizeof(err), "ban: \"%.64s\" is not an IPv4 "
			    "or IPv6 address or ADDR/LEN network", cl->args[i]);
			k = 1;
		} else {
			k = check_net(cfg, cl->args[i], &addrs[i], err,
			    sizeof(err));
		}
	}
	if (k != 0) {
		/* everything freed first: nothing is left behind by exit */
		free(res);
		free(addrs);
		config_free(cfg);
		msg_usage(k == 1 ? cl->usage : NULL, "%s", err);
	}
	ks = cmd_open_kset(cfg);
	if ((st = state_open(cfg->state, STATE_WAIT)) == NULL)
		msg_fatal("state %s cannot be opened: nothing banned",
		    cfg->state);
	for (i = 0; i < cl->nargs; i++)
		res[i].what = UNTRIED;
	for (i = 0; i < cl->nargs; i++) {
		addr_format(&addrs[i], ip);
		if (addr_list_contains(&cfg->ignore, &addrs[i])) {
			if (!cl->json)
				printf("%s: not banned: in the ignore list of the "
				    "configuration\n", ip);
			res[i].what = REFUSED_IGNORED;
			rc = 1;
			continue;
		}
		al.a = &addrs[i];
		al.net[0] = '\0';
		if (state_allow_list(st, now, allowed_one, &al) < 0) {
			res[i].what = REFUSED_STATE;
			rc = 1;
			continue;
		}
		if (al.net[0] != '\0') {
			if (!cl->json)
				printf("%s: not banned: %s the allow list (%s); "
				    "\"mailban disallow %s\" first\n", ip,
				    al.inside ? "in" :
				    "holds an address of", al.net, al.net);
			res[i].what = REFUSED_ALLOWED;
			memcpy(res[i].net, al.net, sizeof(res[i].net));
			rc = 1;
			continue;
		}
		memset(&b, 0, sizeof(b));
		b.addr = addrs[i];
		b.last_ban = now;
		b.duration = cl->duration;
		snprintf(b.pattern, sizeof(b.pattern), "%s", BAN_PATTERN);
		snprintf(b.program, sizeof(b.program), "%s", BAN_PROGRAM);
		if (state_ban_add(st, &b, reason, now - cfg->forget, cfg->bantimes,
			cfg->nbantimes) < 0) {
			if (!cl->json)
				printf("%s: not banned: the state file cannot be "
				    "written\n", ip);
			res[i].what = REFUSED_STATE;
			rc = 1;
			continue;
		}
		res[i].b = b;
		kset_queue_add(ks, &addrs[i], b.duration > KSET_MAX_TIMEOUT ?
		    KSET_MAX_TIMEOUT : (uint32_t)b.duration);
		if (kset_commit(ks) < 0) {
			if (!cl->json)
				printf("%s: banned in the state file, NOT in the "
				    "kernel (see above); mailban run or restore puts "
				    "it in\n", ip);
			res[i].what = BANNED_STATE_ONLY;
			rc = 1;
			continue;
		}
		res[i].what = BANNED;
		if (!cl->json)
			printf("%s: banned for %s until %s (ban %u%s%s)\n", ip,
			    fmt_duration(db, sizeof(db), b.duration),
			    fmt_time(tb, sizeof(tb), b.until), b.count,
			    reason[0] != '\0' ? ", reason: " : "", reason);
	}
	if (cl->json)
		print_json(addrs, res, cl->nargs, reason);
	free(res);
	state_close(st);
	kset_close(ks);
	free(addrs);
	config_free(cfg);
	return rc;
}
