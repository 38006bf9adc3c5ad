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
 * SECURITY
 *	Needs CAP_NET_ADMIN without --print.
 */
#include <stdio.h>

#include "commands.h"
#include "config.h"
#include "firewall.h"
#include "kset.h"
#include "log.h"

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
	if (rc == 0)
		printf("set up: sets %s and %s (%s), chain MAILBAN jumped to from "
		    "INPUT (IPv4 and IPv6); \"mailban setup --print\" shows the "
		    "rules\n", cfg->set4, cfg->set6, cfg->policy == POLICY_PORT ?
		    "policy port: hash:ip,port" : "policy drop: hash:ip");
out:
	firewall_close(fw);
	kset_close(ks);
	config_free(cfg);
	return rc;
}
