/*
 * NAME
 *	cmd_unban - "mailban unban" and "mailban flush": lift bans
 * SYNOPSIS
 *	mailban unban [-c FILE] [-o NAME=VALUE]... [--json] ADDR|ADDR/LEN...
 *	mailban flush [-c FILE] [-o NAME=VALUE]...
 * DESCRIPTION
 *	unban lifts each ban that shares an address with the address or
 *	network given: the ban of it, a ban that holds it (2001:db8:1::7 in
 *	a banned 2001:db8:1::/64 lifts the /64), and every ban inside a
 *	network given (2001:db8:1::/48 lifts the widened /48 and the /64s
 *	banned inside it: the whole network is free again); each lifted ban
 *	is said.  Each is removed
 *	from its set (every configured port) and lifted in the state file;
 *	flush empties both sets and lifts every active ban.  A running
 *	"mailban run" sees the lifted bans in the state file within a second
 *	and forgets them.  An argument that is not a literal IPv4 or IPv6
 *	address or ADDR/LEN network is a usage error, and nothing is lifted.
 *	Each argument gets one line per ban lifted (or one that says none
 *	was); with --json one document instead: {"unbanned":[ADDR],
 *	"not_banned":[ADDR],"failed":[ADDR],"lifted":[{"ip","given","how"}]}
 *	(the arguments as given; failed: the kernel or the state file
 *	refused, exit 1; lifted: each ban lifted, ip its ADDR or ADDR/LEN,
 *	given the argument that lifted it, how "same" (the ban of the
 *	argument), "holds" (a network holding it) or "inside" (inside the
 *	network given)).
 * SECURITY
 *	Needs CAP_NET_ADMIN.  Addresses are parsed with addr_parse_net() (never
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

/* The active bans that share an address with one address or network:
 * its own, those that hold it, those inside it. */
struct holders {
	const struct addr *a;
	struct addr *v;
	int *ok; /* the ban was lifted */
	size_t n, cap;
};

static int
holder(void *ctx, const struct state_ban *b)
{
	struct holders *h = ctx;

	if (addr_overlaps(&b->addr, h->a)) {
		if (h->n == h->cap) {
			h->cap = h->cap ? 2 * h->cap : 4;
			h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
		}
		h->v[h->n++] = b->addr;
	}
	return 0;
}

/* How ban v relates to the argument a: "same", "holds" or "inside". */
static const char *
how(const struct addr *v, const struct addr *a)
{
	if (addr_equal(v, a))
		return "same";
	return addr_within(v, a) ? "holds" : "inside";
}

/* The holders first (widest first), then the ban of the argument, then
 * the bans inside it in address order: the text reads from the outside
 * in, and says the same every time. */
static int
by_width(const void *x, const void *y)
{
	const struct addr *a = x, *b = y;
	int c;

	if (ADDR_PLEN(a) != ADDR_PLEN(b))
		return ADDR_PLEN(a) < ADDR_PLEN(b) ? -1 : 1;
	if ((c = memcmp(a->bytes, b->bytes, sizeof(a->bytes))) != 0)
		return c;
	return (int)a->family - (int)b->family;
}

int
cmd_unban(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct addr *addrs = xcalloc((size_t)cl->nargs, sizeof(*addrs));
	int *what = xcalloc((size_t)cl->nargs, sizeof(*what));
	static const char *const key[] = {"unbanned", "not_banned", "failed"};
	struct holders *hs = xcalloc((size_t)cl->nargs, sizeof(*hs));
	struct holders *h;
	struct kset *ks;
	struct state *st;
	int i, rc = 0, k, n, w;
	size_t j;
	char ip[ADDR_STRLEN], net[ADDR_STRLEN];

	for (i = 0; i < cl->nargs; i++)
		if (addr_parse_net(cl->args[i], strlen(cl->args[i]),
		    &addrs[i]) < 0)
			msg_usage(cl->usage, "unban: \"%.64s\" is not an IPv4 or "
			    "IPv6 address or ADDR/LEN network", cl->args[i]);
	ks = cmd_open_kset(cfg);
	st = state_open(cfg->state, 0);
	for (i = 0; i < cl->nargs; i++) {
		addr_format(&addrs[i], ip);
		h = &hs[i];
		h->a = &addrs[i];
		if (st != NULL && state_active(st, cmd_now(), holder, h) < 0)
			rc = 1;
		if (h->n == 0) {
			/* not in the state: the kernel may hold it still */
			what[i] = kset_del(ks, &addrs[i]) < 0 ? 2 : 0;
			k = st ? state_unban(st, &addrs[i], cmd_now()) : -1;
			if (k < 0)
				what[i] = 2;
			else if (k == 0 && what[i] == 0)
				what[i] = 1;
			if (k > 0) {
				/* an expired row lifted: say so in "lifted" too */
				h->v = xreallocarray(h->v, 1, sizeof(*h->v));
				h->v[h->n++] = addrs[i];
				h->ok = xcalloc(1, sizeof(*h->ok));
				h->ok[0] = 1;
			}
			if (!cl->json)
				printf("%s: %s\n", ip, k > 0 ? "unbanned" :
				    "was not banned");
		} else {
			qsort(h->v, h->n, sizeof(*h->v), by_width);
			h->ok = xcalloc(h->n, sizeof(*h->ok));
			what[i] = 0;
			for (j = 0; j < h->n; j++) {
				addr_format(&h->v[j], net);
				if (kset_del(ks, &h->v[j]) < 0 ||
				    state_unban(st, &h->v[j], cmd_now()) < 0) {
					what[i] = 2;
					if (!cl->json)
						printf("%s: the ban of %s could not be "
						    "lifted (see above)\n", ip, net);
					continue;
				}
				h->ok[j] = 1;
				if (cl->json)
					continue;
				if (addr_equal(&h->v[j], &addrs[i]))
					printf("%s: unbanned\n", ip);
				else if (addr_within(&h->v[j], &addrs[i]))
					printf("%s: inside banned %s: %s unbanned\n",
					    ip, net, net);
				else
					printf("%s: %s inside it unbanned\n", ip, net);
			}
		}
		if (what[i] == 2)
			rc = 1;
	}
	if (st == NULL)
		rc = 1;
	for (w = 0; cl->json && w < 3; w++) {
		printf("%s\"%s\":[", w == 0 ? "{" : ",", key[w]);
		for (i = 0, n = 0; i < cl->nargs; i++)
			if (what[i] == w)
				printf("%s\"%s\"", n++ ? "," : "",
				    addr_format(&addrs[i], ip));
		fputs("]", stdout);
	}
	for (i = 0, n = 0; cl->json && i < cl->nargs; i++)
		for (j = 0; j < hs[i].n; j++)
			if (hs[i].ok[j])
				printf("%s{\"ip\":\"%s\",\"given\":\"%s\","
				    "\"how\":\"%s\"}", n++ ? "," : ",\"lifted\":[",
				    addr_format(&hs[i].v[j], net), addr_format(
				    &addrs[i], ip), how(&hs[i].v[j], &addrs[i]));
	if (cl->json)
		fputs(n ? "]}\n" : ",\"lifted\":[]}\n", stdout);
	for (i = 0; i < cl->nargs; i++) {
		free(hs[i].v);
		free(hs[i].ok);
	}
	free(hs);
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
