/*
 * NAME
 *	cmd_run - "mailban run" and "mailban restore": the bans into the
 *	kernel
 * SYNOPSIS
 *	mailban run [-c FILE] [-o NAME=VALUE]... [--omprog]
 *	mailban run [-c FILE] [-o NAME=VALUE]... --journal
 *	    [--journal-directory DIR] [--since TIME]
 *	mailban restore [-c FILE] [-o NAME=VALUE]...
 * DESCRIPTION
 *	run: the sets through kset.h as the run loop's kernel (run.h), lines
 *	from stdin until EOF, SIGTERM or SIGINT; SIGHUP loads the
 *	configuration again (a broken file keeps the running one).  With
 *	--omprog, each line is answered on stdout as rsyslog's omprog
 *	expects (omprog.h).
 *
 *	With --journal, the entries of the systemd journal instead of stdin
 *	(sdjournal.h), followed through sd_journal_get_fd() and
 *	sd_journal_process(): from right after the entry whose cursor the
 *	state file holds, or (no cursor yet) from --since or from now.  The
 *	cursor goes into the state file in the transaction of the bans and
 *	scores its entries led to (run.h).
 *
 *	restore: the active bans into the kernel in one batch, and the
 *	rbldnsd zone files when a zone is configured.
 * SECURITY
 *	Runs as root (needs CAP_NET_ADMIN).  Input lines are hostile; only
 *	validated struct addr values reach libipset and SQLite.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "fmt.h"
#include "kset.h"
#include "lineio.h"
#include "log.h"
#include "omprog.h"
#include "run.h"
#include "sdjournal.h"
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

static const char *
journal_cursor(void *ctx)
{
	return sdj_cursor(ctx);
}

/* Where reading starts: after the saved cursor, or --since, or now. */
static void
journal_start(struct run *r, struct sdj *j, const struct cmdline *cl,
    const char *state)
{
	char cur[512];
	int rc = run_saved_cursor(r, cur, sizeof(cur));

	if (rc < 0)
		msg_fatal("state %s cannot be read: it holds where the journal "
		    "was read up to", state);
	if (rc > 0) {
		if (cl->has_since)
			msg_info("--since is not used: a cursor is saved, and "
			    "reading resumes right after its entry");
		if (sdj_seek_cursor(j, cur) == 0)
			msg_info("%s: resuming right after the last entry "
			    "committed", sdj_name(j));
	} else if (cl->has_since) {
		char tb[32];

		sdj_seek_time(j, cl->since * 1000000);
		msg_info("%s: no cursor saved yet: reading from %s", sdj_name(j),
		    fmt_time(tb, sizeof(tb), cl->since));
	} else {
		sdj_seek_tail(j);
		/* saved at once: entries written while mailban is stopped
		 * before its first entry are read at the next start */
		if (sdj_cursor(j) != NULL)
			run_cursor_moved(r);
		msg_info("%s: no cursor saved yet: reading from now on (--since "
		    "reads earlier entries)", sdj_name(j));
	}
}

/* The journal's entries until SIGTERM or SIGINT. */
static void
follow_journal(struct run *r, struct sdj *j, const struct cmdline *cl)
{
	struct logline ll;
	struct pollfd pfd;
	unsigned since_clock = 0;
	int trunc, ms, jt;
	int64_t now;
	long n;

	while (!got_stop) {
		if (got_hup) {
			got_hup = 0;
			reload(r, cl);
		}
		if (sdj_next(j, &ll, &trunc) > 0) {
			run_entry(r, &ll, trunc);
			/* a long stream: the once-a-second work still happens */
			if (++since_clock == 1024) {
				since_clock = 0;
				run_wake(r, cmd_now());
			}
			continue;
		}
		pfd.fd = sdj_fd(j);
		pfd.events = sdj_events(j);
		ms = run_poll_ms(r);
		jt = sdj_timeout_ms(j);
		if (jt >= 0 && jt < ms)
			ms = jt;
		n = poll(&pfd, 1, ms);
		now = cmd_now();
		if (n < 0) {
			if (errno != EINTR)
				msg_fatal("poll: %s", strerror(errno));
			continue;
		}
		sdj_process(j); /* after every wake-up, as sd-journal asks */
		if (n == 0)
			run_idle(r, now);
		else
			run_wake(r, now);
	}
}

/* The cursor's key in the state file: the journal read. */
static char *
journal_source(const struct cmdline *cl)
{
	char *real, *s;
	size_t len;

	if (cl->journal_dir == NULL)
		return xstrdup("journal");
	real = realpath(cl->journal_dir, NULL);
	len = strlen(real ? real : cl->journal_dir) + 16;
	s = xmalloc(len);
	snprintf(s, len, "journal:%s", real ? real : cl->journal_dir);
	free(real);
	return s;
}

static int
cmd_run_journal(struct cmdline *cl)
{
	struct run_options opt = {0};
	struct config *cfg = cmd_load_config(cl);
	struct run_kernel k;
	struct sdj_stats js;
	struct kset *ks;
	struct run *r;
	struct sdj *j;
	char *source = journal_source(cl);
	int rc;
	int64_t now;

	install_signals();
	j = cmd_open_journal(cl, cfg, 1);
	ks = cmd_open_kset(cfg);
	k = kset_kernel(ks);
	opt.cursor_source = source;
	opt.cursor = journal_cursor;
	opt.cursor_ctx = j;
	now = cmd_now();
	r = run_new(cfg, &k, &opt, now);
	run_start(r, now);
	journal_start(r, j, cl, cfg->state);
	follow_journal(r, j, cl);
	rc = run_finish(r, cmd_now());
	sdj_stats(j, &js);
	msg_info("%s: %" PRIu64 " entries read, %" PRIu64 " unreadable files "
	    "skipped, %" PRIu64 " changes of files followed", sdj_name(j),
	    js.entries, js.bad_files, js.invalidations);
	kset_close(ks);
	run_free(r);
	sdj_close(j);
	free(source);
	return rc;
}

int
cmd_run(struct cmdline *cl)
{
	struct run_options opt = {.omprog = cl->omprog};
	struct config *cfg;
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

	if (cl->journal)
		return cmd_run_journal(cl);
	cfg = cmd_load_config(cl);
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
