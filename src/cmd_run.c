/*
 * NAME
 *	cmd_run - "mailban run" and "mailban restore": the bans into the
 *	kernel
 * SYNOPSIS
 *	mailban run [-c FILE] [-o NAME=VALUE]... [--omprog]
 *	mailban restore [-c FILE] [-o NAME=VALUE]...
 * DESCRIPTION
 *	run: the sets through kset.h as the run loop's kernel (run.h), lines
 *	from stdin until EOF, SIGTERM or SIGINT; SIGHUP loads the
 *	configuration again (a broken file keeps the running one).  With
 *	--omprog, each line is answered on stdout as rsyslog's omprog
 *	expects (omprog.h).
 *
 *	restore: the active bans into the kernel in one batch, and the
 *	rbldnsd zone files when a zone is configured.
 * SECURITY
 *	Runs as root (needs CAP_NET_ADMIN).  Input lines are hostile; only
 *	validated struct addr values reach libipset and SQLite.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "kset.h"
#include "lineio.h"
#include "log.h"
#include "omprog.h"
#include "run.h"
#include "state.h"
#include "zone.h"

static volatile sig_atomic_t got_stop, got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* --- the sets as the run loop's kernel --- */

static void
k_add(void *ks, const struct addr *a, uint32_t timeout)
{
	kset_queue_add(ks, a, timeout);
}

static size_t
k_pending(void *ks)
{
	return kset_pending(ks);
}

static int
k_commit(void *ks)
{
	return kset_commit(ks);
}

static size_t
k_dropped(void *ks)
{
	return kset_dropped(ks);
}

static int
k_present(void *ks)
{
	return kset_present(ks);
}

static int
k_ensure(void *ks, char *err, size_t errlen)
{
	return kset_ensure(ks, err, errlen);
}

static size_t
k_recreated(void *ks)
{
	return kset_recreated(ks);
}

static struct run_kernel
kset_kernel(struct kset *ks)
{
	struct run_kernel k = {ks, KSET_MAX_TIMEOUT, k_add, k_pending, k_commit,
	    k_dropped, k_present, k_ensure, k_recreated};

	return k;
}

/* SIGHUP: the configuration again, or a warning and the running one. */
static void
reload(struct run *r, const struct cmdline *cl)
{
	struct config *cfg;
	char err[1024];

	cfg = cmd_config(cl, err, sizeof(err)); /* the files of the start */
	if (cfg == NULL) {
		msg_warn("reload: %s; keeping the running configuration", err);
		return;
	}
	cfg->trust.require = cl->require_credentials;
	run_reload(r, cfg, cmd_now());
}

int
cmd_run(struct cmdline *cl)
{
	struct run_options opt = {.omprog = cl->omprog};
	struct config *cfg = cmd_load_config(cl);
	struct run_kernel k;
	struct kset *ks;
	struct run *r;
	struct lineio lr;
	struct pollfd pfd;
	const char *line;
	size_t len;
	int trunc, rc;
	enum lineio_status s;
	int64_t now;
	long n;

	install_signals();
	ks = cmd_open_kset(cfg);
	k = kset_kernel(ks);
	now = cmd_now();
	r = run_new(cfg, &k, &opt, now);
	if (cl->require_credentials)
		msg_info("credentials required: a line without its writer's "
		    "credentials is untrusted and never scored");
	else
		msg_info("credentials not required: a line without them is "
		    "taken as read (use --require-credentials behind the "
		    "shipped rsyslog and syslog-ng snippets)");
	run_start(r, now);
	if (cl->omprog && omprog_reply("OK") < 0)
		got_stop = 1;

	lineio_init(&lr, 0, LINEIO_MAXLINE);
	while (!got_stop) {
		if (got_hup) {
			got_hup = 0;
			reload(r, cl);
		}
		s = lineio_next(&lr, &line, &len, &trunc);
		if (s == LINEIO_LINE) {
			if (!cl->omprog)
				run_line(r, line, len, trunc);
			else if (omprog_reply(run_omprog(r, line, len, trunc)) < 0)
				break;
			continue;
		}
		if (s == LINEIO_EOF)
			break;
		pfd.fd = 0;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, run_poll_ms(r));
		now = cmd_now();
		if (n == 0) {
			run_idle(r, now);
			continue;
		}
		if (n < 0) {
			if (errno != EINTR)
				msg_fatal("poll: %s", strerror(errno));
			continue;
		}
		run_wake(r, now);
		n = lineio_fill(&lr);
		if (n < 0 && errno != EINTR && errno != EAGAIN) {
			msg_warn("stdin: read: %s", strerror(errno));
			break;
		}
	}
	rc = run_finish(r, cmd_now());
	lineio_free(&lr);
	kset_close(ks);
	run_free(r); /* and the configuration, which the kset borrowed */
	return rc;
}

int
cmd_restore(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct kset *ks = cmd_open_kset(cfg);
	struct run_kernel k = kset_kernel(ks);
	struct state *st = state_open(cfg->state, 0);
	size_t n = 0;
	int rc = 0;

	if (st == NULL)
		rc = 1;
	else if (run_requeue(st, &k, cmd_now(), 0, &n) < 0)
		rc = 1;
	if (n > 0 && kset_commit(ks) < 0)
		rc = 1;
	/* the zone too, so that rbldnsd can start before the first log line */
	if (st != NULL && (cfg->zone4 != NULL || cfg->zone6 != NULL)) {
		int64_t next;

		if (zone_write(cfg, st, cmd_now(), &next, NULL) < 0)
			rc = 1;
	}
	if (rc == 0)
		printf("restored %zu active bans\n", n);
	state_close(st);
	kset_close(ks);
	config_free(cfg);
	return rc;
}
