/*
 * NAME
 *	cmd_setup - "mailban setup": the sets and the firewall rules
 * SYNOPSIS
 *	mailban setup [-c FILE] [-o NAME=VALUE]... [--print]
 * DESCRIPTION
 *	Makes the sets (kset.h) and the MAILBAN chain and rules (firewall.h)
 *	that the configuration asks for, idempotently.  With --print, writes
 *	the equivalent sh commands to stdout instead and consults and changes
 *	nothing (no privilege needed).
 *
 *	A set of another type is destroyed and made again (kset.h): the sets
 *	an older mailban made held addresses only (hash:ip), these hold
 *	networks (hash:net).  The active bans of the state file are then put
 *	back into the new sets, and setup says how many.
 * SECURITY
 *	Needs CAP_NET_ADMIN without --print.
 */
#include <stdio.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "firewall.h"
#include "kset.h"
#include "log.h"
#include "state.h"

struct requeue {
	struct kset *ks;
	int64_t now;
	size_t n;
};

static int
requeue_one(void *ctx, const struct state_ban *b)
{
	struct requeue *q = ctx;
	int64_t left = b->until - q->now;

	kset_queue_add(q->ks, &b->addr, left > (int64_t)KSET_MAX_TIMEOUT ?
	    KSET_MAX_TIMEOUT : (uint32_t)left);
	q->n++;
	return 0;
}

/* Sets were re-created: the active bans of the state file go back in. */
static int
put_back(const struct config *cfg, struct kset *ks)
{
	struct requeue q = {ks, cmd_now(), 0};
	struct state *st;
	int rc = 0;

	if (access(cfg->state, F_OK) != 0) {
		printf("re-created %zu set(s); no state file %s: no ban to put "
		    "back\n", kset_replaced(ks), cfg->state);
		return 0;
	}
	if ((st = state_open(cfg->state, STATE_WAIT)) == NULL ||
	    state_active(st, q.now, requeue_one, &q) < 0) {
		msg_warn("re-created %zu set(s) but cannot read the active bans "
		    "of %s: run \"mailban restore\"", kset_replaced(ks),
		    cfg->state);
		rc = -1;
	} else if (q.n > 0 && kset_commit(ks) < 0) {
		rc = -1;
	}
	state_close(st);
	if (rc == 0)
		printf("re-created %zu set(s) of another type: put back %zu "
		    "active bans\n", kset_replaced(ks), q.n);
	return rc;
}

int
cmd_setup(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct firewall *fw = NULL;
	struct kset *ks = NULL;
	char err[2048];
	int rc = 1;

	if (cl->print) {
		rc = firewall_print(cfg, stdout) < 0 ? 1 : 0;
		goto out;
	}
	if ((ks = kset_open(cfg, err, sizeof(err))) == NULL ||
	    (fw = firewall_open(cfg, err, sizeof(err))) == NULL) {
		msg_warn("%s", err);
		goto out;
	}
	rc = firewall_setup(fw, ks) < 0 ? 1 : 0;
	if (rc == 0 && kset_replaced(ks) > 0 && put_back(cfg, ks) < 0)
		rc = 1;
	if (rc == 0)
		printf("set up: sets %s and %s (%s), chain MAILBAN jumped to from "
		    "INPUT (IPv4 and IPv6); \"mailban setup --print\" shows the "
		    "rules\n", cfg->set4, cfg->set6, cfg->policy == POLICY_PORT ?
		    "policy port: hash:net,port" : "policy drop: hash:net");
out:
	firewall_close(fw);
	kset_close(ks);
	config_free(cfg);
	return rc;
}
