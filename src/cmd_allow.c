/*
 * NAME
 *	cmd_allow - "mailban allow" and "mailban disallow": the runtime allow
 *	list
 * SYNOPSIS
 *	mailban allow [-c FILE] [-o NAME=VALUE]... [--for DURATION]
 *	    [--reason TEXT] ADDR|CIDR...
 *	mailban allow [-c FILE] [-o NAME=VALUE]... --list [--json]
 *	mailban disallow [-c FILE] [-o NAME=VALUE]... ADDR|CIDR...
 * DESCRIPTION
 *	The allow list lives in the state file beside the configuration's
 *	ignore list: an address it covers is never banned.  allow adds (or
 *	replaces) an entry, for DURATION or until removed, and lifts at once
 *	every active ban it shares an address with (kernel and state file):
 *	one it covers, and a banned prefix or widened network that holds an
 *	allowed address (unbanned as ADDR/LEN); a running
 *	"mailban run" reads the list again within a second of the change
 *	(state.h's data_version) and forgets the lifted bans.  disallow
 *	removes entries.  --list prints the entries in force; --json one
 *	object per line.  Each change is said, one line each; allow and
 *	disallow with --json say it in one document instead:
 *	{"allowed":[{"net","until","reason","replaced","unbanned":[ADDR],
 *	"not_lifted":[ADDR]}],"failed":[NET]} and {"disallowed":[NET],
 *	"not_allowed":[NET],"failed":[NET]}.
 * SECURITY
 *	allow and disallow need CAP_NET_ADMIN (bans are lifted in the
 *	kernel); --list needs none.  Networks are parsed with cidr_parse()
 *	and stored in canonical form (host bits cleared).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "commands.h"
#include "config.h"
#include "fmt.h"
#include "kset.h"
#include "log.h"
#include "state.h"

/* The canonical text of a network ("192.0.2.0/24", "2001:db8::/32"),
 * its host bits cleared in *c. */
static void
net_text(struct cidr *c, char *buf, size_t len)
{
	char ip[ADDR_STRLEN];
	unsigned bits = c->addr.family == ADDR_V4 ? 32 : 128, i;

	for (i = c->plen; i < bits; i++)
		c->addr.bytes[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	xsnprintf(buf, len, "%s/%u", addr_format(&c->addr, ip), c->plen);
}

/* Every argument, or a usage error before anything changes. */
static void
parse_nets(struct cmdline *cl, const char *cmd, struct cidr *nets,
    char (*text)[ADDR_STRLEN + 8])
{
	int i;

	for (i = 0; i < cl->nargs; i++) {
		if (cidr_parse(cl->args[i], &nets[i]) < 0)
			msg_usage(cl->usage, "%s: \"%.64s\" is not an IPv4 or IPv6 "
			    "address or network", cmd, cl->args[i]);
		net_text(&nets[i], text[i], sizeof(text[i]));
	}
}

struct lifter {
	const struct cidr *net;
	struct addr *v;
	size_t n, cap;
};

static int
covered_one(void *ctx, const struct state_ban *b)
{
	struct lifter *l = ctx;

	if (!cidr_overlaps(l->net, &b->addr))
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = b->addr;
	return 0;
}

struct printer {
	int json;
	int64_t now;
	size_t n;
};

static int
print_one(void *ctx, const struct state_allow *v)
{
	struct printer *p = ctx;
	char tb[32], ab[32], lb[32];

	if (p->json) {
		fputs("{\"net\":", stdout);
		fmt_json_str(stdout, v->text);
		printf(",\"added\":\"%s\",\"until\":", fmt_time(ab, sizeof(ab),
		    v->added));
		if (v->until != 0)
			printf("\"%s\",\"left\":%lld", fmt_time(tb, sizeof(tb),
			    v->until), (long long)(v->until - p->now));
		else
			fputs("null,\"left\":null", stdout);
		fputs(",\"reason\":", stdout);
		fmt_json_str(stdout, v->reason);
		fputs("}\n", stdout);
	} else {
		if (p->n == 0)
			printf("%-43s %-20s %10s  %s\n", "NETWORK", "ADDED", "LEFT",
			    "REASON");
		char qt[4 * 64 + 4], qr[4 * 256 + 4];

		printf("%-43s %-20s %10s  %s\n", msg_quote(qt, v->text,
		    strlen(v->text), 64), fmt_time(ab, sizeof(ab), v->added),
		    v->until != 0 ? fmt_left(lb, sizeof(lb), v->until - p->now) :
		    "for ever", msg_quote(qr, v->reason, strlen(v->reason), 256));
	}
	p->n++;
	return 0;
}

static int
allow_list(struct cmdline *cl, const struct config *cfg)
{
	struct printer p = {cl->json, cmd_now(), 0};
	struct state *st;
	int rc = 0;

	if (access(cfg->state, F_OK) < 0 && errno == ENOENT) {
		if (!p.json)
			printf("the allow list is empty (no state file %s yet)\n",
			    cfg->state);
		return 0;
	}
	st = state_open(cfg->state, 1);
	if (st == NULL || state_allow_list(st, p.now, print_one, &p) < 0)
		rc = 1;
	else if (!p.json)
		printf("%zu entr%s in the allow list\n", p.n, p.n == 1 ? "y" : "ies");
	state_close(st);
	return rc;
}

/* What allow did with one entry, for --json. */
struct lifted {
	int failed, replaced;
	struct addr *v; /* the active bans it covers */
	int *ok; /* [i]: v[i]'s ban was lifted */
	size_t n;
};

static void
addr_array(const char *key, const struct lifted *e, int ok)
{
	char ip[ADDR_STRLEN];
	size_t j;
	int n = 0;

	printf(",\"%s\":[", key);
	for (j = 0; j < e->n; j++)
		if (e->ok[j] == ok)
			printf("%s\"%s\"", n++ ? "," : "", addr_format(&e->v[j], ip));
	fputc(']', stdout);
}

static void
allow_json(char (*text)[ADDR_STRLEN + 8], const struct lifted *e, int n,
    int64_t until, const char *reason)
{
	char tb[32];
	int i, k;

	fputs("{\"allowed\":[", stdout);
	for (i = 0, k = 0; i < n; i++) {
		if (e[i].failed)
			continue;
		printf("%s{\"net\":\"%s\",\"until\":", k++ ? "," : "", text[i]);
		if (until != 0)
			printf("\"%s\"", fmt_time(tb, sizeof(tb), until));
		else
			fputs("null", stdout);
		fputs(",\"reason\":", stdout);
		fmt_json_str(stdout, reason);
		printf(",\"replaced\":%s", e[i].replaced ? "true" : "false");
		addr_array("unbanned", &e[i], 1);
		addr_array("not_lifted", &e[i], 0);
		fputc('}', stdout);
	}
	fputs("],\"failed\":[", stdout);
	for (i = 0, k = 0; i < n; i++)
		if (e[i].failed)
			printf("%s\"%s\"", k++ ? "," : "", text[i]);
	fputs("]}\n", stdout);
}

int
cmd_allow(struct cmdline *cl)
{
	struct config *cfg;
	struct cidr *nets;
	char (*text)[ADDR_STRLEN + 8];
	const char *reason = cl->reason != NULL ? cl->reason : "";
	struct lifter l;
	struct lifted *lifted;
	struct kset *ks;
	struct state *st;
	char ip[ADDR_STRLEN], tb[32];
	int64_t now = cmd_now();
	int i, rc = 0, k;
	size_t j;

	if (cl->list) {
		if (cl->nargs > 0 || cl->duration != 0 || cl->reason != NULL)
			msg_usage(cl->usage, "allow: --list takes no address, "
			    "--for or --reason");
		cfg = cmd_load_config(cl);
		rc = allow_list(cl, cfg);
		config_free(cfg);
		return rc;
	}
	if (cl->nargs == 0)
		msg_usage(cl->usage, "allow: an address or network, or --list");
	cmd_check_reason(cl);
	cfg = cmd_load_config(cl);
	nets = xcalloc((size_t)cl->nargs, sizeof(*nets));
	text = xcalloc((size_t)cl->nargs, sizeof(*text));
	parse_nets(cl, "allow", nets, text);
	ks = cmd_open_kset(cfg);
	if ((st = state_open(cfg->state, STATE_WAIT)) == NULL)
		msg_fatal("state %s cannot be opened: nothing changed", cfg->state);
	lifted = xcalloc((size_t)cl->nargs, sizeof(*lifted));
	for (i = 0; i < cl->nargs; i++) {
		k = state_allow_put(st, text[i], now, cl->duration != 0 ? now +
		    cl->duration : 0, reason);
		if (k < 0) {
			rc = 1;
			lifted[i].failed = 1;
			continue;
		}
		lifted[i].replaced = k;
		if (!cl->json)
			printf("allowed %s %s%s%s%s%s\n", text[i], cl->duration != 0 ?
			    "until " : "until removed", cl->duration != 0 ?
			    fmt_time(tb, sizeof(tb), now + cl->duration) : "",
			    k ? " (replaces the entry before)" : "",
			    reason[0] != '\0' ? ", reason: " : "", reason);
		memset(&l, 0, sizeof(l));
		l.net = &nets[i];
		if (state_active(st, now, covered_one, &l) < 0)
			rc = 1;
		lifted[i].v = l.v;
		lifted[i].n = l.n;
		lifted[i].ok = xcalloc(l.n + 1, sizeof(*lifted[i].ok));
		for (j = 0; j < l.n; j++) {
			addr_format(&l.v[j], ip);
			if (kset_del(ks, &l.v[j]) < 0 ||
			    state_unban(st, &l.v[j], now) < 0) {
				if (!cl->json)
					printf("%s: its ban could not be lifted (see "
					    "above)\n", ip);
				rc = 1;
				continue;
			}
			lifted[i].ok[j] = 1;
			if (!cl->json)
				printf("%s: unbanned (allowed by %s)\n", ip, text[i]);
		}
	}
	if (cl->json)
		allow_json(text, lifted, cl->nargs, cl->duration != 0 ?
		    now + cl->duration : 0, reason);
	for (i = 0; i < cl->nargs; i++) {
		free(lifted[i].v);
		free(lifted[i].ok);
	}
	free(lifted);
	state_close(st);
	kset_close(ks);
	free(nets);
	free(text);
	config_free(cfg);
	return rc;
}

int
cmd_disallow(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct cidr *nets = xcalloc((size_t)cl->nargs, sizeof(*nets));
	char (*text)[ADDR_STRLEN + 8] = xcalloc((size_t)cl->nargs,
	    sizeof(*text));
	int *what = xcalloc((size_t)cl->nargs, sizeof(*what));
	static const char *const key[] = {"disallowed", "not_allowed",
	    "failed"};
	struct state *st;
	int i, rc = 0, k, n, w;

	parse_nets(cl, "disallow", nets, text);
	if ((st = state_open(cfg->state, STATE_WAIT)) == NULL)
		msg_fatal("state %s cannot be opened: nothing changed", cfg->state);
	for (i = 0; i < cl->nargs; i++) {
		if ((k = state_allow_del(st, text[i])) < 0) {
			rc = 1;
			what[i] = 2;
		} else if (k > 0) {
			if (!cl->json)
				printf("disallowed %s: it can be banned again\n",
				    text[i]);
		} else {
			what[i] = 1;
			if (!cl->json)
				printf("%s was not in the allow list\n", text[i]);
		}
	}
	for (w = 0; cl->json && w < 3; w++) {
		printf("%s\"%s\":[", w == 0 ? "{" : ",", key[w]);
		for (i = 0, n = 0; i < cl->nargs; i++)
			if (what[i] == w)
				printf("%s\"%s\"", n++ ? "," : "", text[i]);
		fputs(w == 2 ? "]}\n" : "]", stdout);
	}
	free(what);
	state_close(st);
	free(nets);
	free(text);
	config_free(cfg);
	return rc;
}
