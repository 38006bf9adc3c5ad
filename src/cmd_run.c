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
 *	expects (omprog.h), the handshake first, and a start-up failure
 *	(configuration, kernel) is never an exit: mailban runs degraded and
 *	retries (below, "start-up under --omprog").
 *	The firewall rules (firewall.h) are the loop's too: checked at
 *	start and every firewall_check seconds, put back in-process when a
 *	firewall reload removed them.
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
 *	Starts as root or with the file capability CAP_NET_ADMIN; run keeps
 *	CAP_NET_ADMIN alone, becomes privileges.user and installs its
 *	seccomp filter before it opens the sets (privdrop.h).  Input lines
 *	are hostile; only validated struct addr values reach libipset and
 *	SQLite.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "firewall.h"
#include "fmt.h"
#include "journal.h"
#include "kset.h"
#include "lineio.h"
#include "log.h"
#include "omprog.h"
#include "pattern.h"
#include "privdrop.h"
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

static int
k_del(void *ks, const struct addr *a)
{
	return kset_del(ks, a);
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

static int
k_rules_ok(void *fw, char *msg, size_t len, int *settled)
{
	struct firewall_report rep;
	int rc = firewall_check(fw, &rep);

	*settled = rep.settled;
	if (rc < 0)
		snprintf(msg, len, "%s", rep.why);
	else
		cmd_firewall_gaps(&rep, msg, len);
	return rc;
}

static int
k_rules_restore(void *fw, char *msg, size_t len)
{
	return firewall_restore(fw, msg, len);
}

/* The loop's kernel: the sets, and the rules when fw is not NULL. */
static struct run_kernel
kset_kernel(struct kset *ks, struct firewall *fw)
{
	struct run_kernel k = {ks, KSET_MAX_TIMEOUT, k_add, k_del, k_pending, k_commit,
	    k_dropped, k_present, k_ensure, k_recreated, NULL, NULL, NULL};

	if (fw != NULL) {
		k.fw = fw;
		k.rules_ok = k_rules_ok;
		k.rules_restore = k_rules_restore;
	}
	return k;
}

/* SIGHUP or "mailban reload": the configuration again, or a warning and
 * the running one; with --journal (j), the entries of its trust users
 * from now on; what came of it in result (NULL: not asked). */
static int
reload_journal(struct run *r, const struct cmdline *cl, struct sdj *j,
    char *result, size_t len)
{
	struct config *cfg;
	char err[1024];

	cfg = cmd_config(cl, err, sizeof(err)); /* the files of the start */
	if (cfg == NULL) {
		msg_warn("reload: %s; keeping the running configuration", err);
		if (result != NULL)
			snprintf(result, len, "error: %.400s; the running "
			    "configuration stays", err);
		return -1;
	}
	cfg->trust.require = cl->require_credentials;
	if (j != NULL)
		cmd_journal_users(j, cfg);
	if (result != NULL)
		snprintf(result, len, "reloaded %.400s: %zu patterns", cfg->path,
		    pattern_count(cfg->patterns));
	run_reload(r, cfg, cmd_now());
	return 0;
}

static int
reload(struct run *r, const struct cmdline *cl, char *result, size_t len)
{
	return reload_journal(r, cl, NULL, result, len);
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
	uint64_t asked;
	char result[STATE_CAUSE_MAX];
	int64_t now;
	long n;

	while (!got_stop) {
		if (got_hup) {
			got_hup = 0;
			reload_journal(r, cl, j, NULL, 0);
		}
		if ((asked = run_reload_asked(r)) != 0) {
			reload_journal(r, cl, j, result, sizeof(result));
			run_reload_answer(r, asked, result, cmd_now());
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

static void enter_least_privilege(const struct cmdline *cl);

static int
cmd_run_journal(struct cmdline *cl)
{
	struct run_options opt = {0};
	struct config *cfg = cmd_load_config(cl);
	struct run_kernel k;
	struct sdj_stats js;
	struct firewall *fw;
	struct kset *ks;
	struct run *r;
	struct sdj *j;
	char *source = journal_source(cl);
	int rc;
	int64_t now;

	install_signals();
	j = cmd_open_journal(cl, cfg, 1);
	ks = cmd_open_kset(cfg);
	fw = cmd_open_firewall(cfg);
	k = kset_kernel(ks, fw);
	opt.cursor_source = source;
	opt.cursor = journal_cursor;
	opt.cursor_ctx = j;
	now = cmd_now();
	r = run_new(cfg, &k, &opt, now);
	run_start(r, now);
	/* all opened (the journal as root reads any of its files): the run
	 * user, with systemd-journal for the files opened from now on */
	enter_least_privilege(cl);
	journal_start(r, j, cl, cfg->state);
	follow_journal(r, j, cl);
	rc = run_finish(r, cmd_now());
	sdj_stats(j, &js);
	msg_info("%s: %" PRIu64 " entries read, %" PRIu64 " unreadable files "
	    "skipped, %" PRIu64 " changes of files followed", sdj_name(j),
	    js.entries, js.bad_files, js.invalidations);
	firewall_close(fw);
	kset_close(ks);
	run_free(r);
	sdj_close(j);
	free(source);
	return rc;
}

/*
 * --- start-up under --omprog: never fail it, run degraded ---
 *
 * rsyslog (8.2302, with forceSingleInstance) crashes when the program of
 * an omprog action exits before its first answer, so under --omprog
 * mailban answers the handshake first and never exits because of what
 * fails at start-up.  What it cannot do yet, it retries every
 * RUN_DEGRADED_RETRY seconds and on SIGHUP:
 *
 * - no configuration loads: every message is kept raw (struct keep),
 *   confirmed, and read again through the engine at its own stamp once a
 *   configuration loads;
 * - the kernel's sets cannot be reached or made (no CAP_NET_ADMIN, a set
 *   of another type): the run decides bans into the state file (run.h's
 *   degraded run) and puts them in the kernel once it can;
 * - the state file cannot be written: run.c's backlog and journal, as
 *   ever.
 * Each cause is reported at once and every RUN_DEGRADED_REPORT seconds in
 * the output, and kept in the state file's health row for "status".
 */

#define KEEP_MEM_MAX (64u << 20) /* bytes of kept lines held in memory */

/*
 * Raw lines kept while no configuration loads: in the journal of the state
 * file that the built-in configuration names (with the -o overrides: the
 * broken file cannot say which it is), or, when that cannot be opened or is
 * full, in memory up to KEEP_MEM_MAX bytes (lost if mailban stops: said
 * once).  When neither can take a line, it is not confirmed.
 */
struct keep {
	char *state; /* the state path whose journal keeps them */
	struct journal *jr;
	char *mem; /* lines, each ending in a newline */
	size_t len, cap;
	uint64_t lines, in_memory;
	int said_memory, said_full;
};

/* What cmd_run holds under --omprog until everything has started. */
struct start {
	const struct cmdline *cl;
	struct run *r; /* NULL until a configuration loads */
	struct config *kcfg; /* the run's first configuration (the kset's) */
	struct kset *ks;
	struct firewall *fw; /* NULL: the rules are not checked (said once) */
	int attached; /* r has the kernel */
	struct keep keep;
	int in_txn; /* r NULL: between BEGIN and COMMIT TRANSACTION */
	char cause[STATE_CAUSE_MAX]; /* why not all runs, "" when all does */
	char config_err[1024]; /* the configuration's error last reported */
	int64_t since, last_try, last_report;
	int health_row; /* a health row is in keep.state's file */
};

/* a, b and c, cut to fit dst[size] */
static void
join(char *dst, size_t size, const char *a, const char *b, const char *c)
{
	const char *part[3] = {a, b, c};
	size_t i, n = 0, k;

	for (i = 0; i < 3; i++) {
		k = strlen(part[i]);
		if (k > size - 1 - n)
			k = size - 1 - n;
		memcpy(dst + n, part[i], k);
		n += k;
	}
	dst[n] = '\0';
}

static void
keep_open(struct keep *kp, const struct cmdline *cl)
{
	char err[1024];
	struct config *cfg;

	cfg = config_load(NULL, cl->overrides, cl->noverrides, err, sizeof(err));
	if (cfg == NULL)
		cfg = config_load(NULL, NULL, 0, err, sizeof(err));
	if (cfg == NULL)
		msg_panic("the built-in configuration: %s", err);
	kp->state = xstrdup(cfg->state);
	config_free(cfg);
	kp->jr = journal_open(kp->state, err, sizeof(err));
	if (kp->jr == NULL)
		msg_warn("journal %s: lines are kept in memory (at most %u MiB) "
		    "until a configuration loads, and are lost if mailban stops "
		    "before", err, KEEP_MEM_MAX >> 20);
}

/* 0 when the line is kept, -1 when nothing can keep it. */
static int
keep_line(struct keep *kp, const char *line, size_t len)
{
	if (kp->jr != NULL && journal_room(kp->jr) > len) {
		if (journal_append(kp->jr, line, len) == 0) {
			journal_set_unconfigured(kp->jr);
			kp->lines++;
			return 0;
		}
	}
	if (kp->len + len + 1 > KEEP_MEM_MAX) {
		if (!kp->said_full)
			msg_warn("no room left for lines (%" PRIu64 " kept): lines "
			    "are no longer confirmed, rsyslog keeps them until a "
			    "configuration loads", kp->lines);
		kp->said_full = 1;
		return -1;
	}
	if (!kp->said_memory)
		msg_warn("%s: lines are kept in memory now (at most %u MiB), and "
		    "are lost if mailban stops before a configuration loads",
		    kp->jr != NULL ? "the journal is full" : "no journal",
		    KEEP_MEM_MAX >> 20);
	kp->said_memory = 1;
	if (kp->len + len + 1 > kp->cap) {
		kp->cap = kp->cap ? 2 * kp->cap : 1 << 16;
		while (kp->cap < kp->len + len + 1)
			kp->cap *= 2;
		if (kp->cap > KEEP_MEM_MAX)
			kp->cap = KEEP_MEM_MAX;
		kp->mem = xrealloc(kp->mem, kp->cap);
	}
	memcpy(kp->mem + kp->len, line, len);
	kp->len += len;
	kp->mem[kp->len++] = '\n';
	kp->lines++;
	kp->in_memory++;
	return 0;
}

static void
keep_free(struct keep *kp)
{
	journal_close(kp->jr);
	free(kp->mem);
	free(kp->state);
	memset(kp, 0, sizeof(*kp));
}

struct replay_ctx {
	struct run *r;
	int64_t now;
};

static void
replay_kept_one(void *ctx, const char *line, size_t len)
{
	struct replay_ctx *rc = ctx;

	run_replay_kept(rc->r, line, len, rc->now);
}

/* The lines kept elsewhere than the new run's journal, through the run;
 * then that store is emptied. */
static void
replay_kept(struct start *s, int64_t now)
{
	struct keep *kp = &s->keep;
	struct replay_ctx rc = {s->r, now};
	long n = 0;
	size_t off = 0;
	const char *nl;

	if (kp->jr != NULL) {
		n = journal_replay(kp->jr, replay_kept_one, &rc);
		journal_clear(kp->jr);
	}
	while (off < kp->len) {
		nl = memchr(kp->mem + off, '\n', kp->len - off);
		run_replay_kept(s->r, kp->mem + off, (size_t)(nl - kp->mem) - off,
		    now);
		off = (size_t)(nl - kp->mem) + 1;
		n++;
	}
	if (n > 0)
		msg_info("read again %ld lines kept while no configuration loaded",
		    n);
	run_idle(s->r, now);
}

/* The health row of keep.state's file, while no run keeps it. */
static void
keep_health(struct start *s, int64_t now, int clear)
{
	struct state_health h;
	struct state *st;

	if (clear && !s->health_row)
		return;
	if ((st = state_open(s->keep.state, 0)) == NULL)
		return;
	memset(&h, 0, sizeof(h));
	h.since = s->since;
	h.updated = now;
	join(h.cause, sizeof(h.cause), s->cause, "", "");
	h.lines = s->keep.lines;
	if (state_health_put(st, clear ? NULL : &h) == 0)
		s->health_row = !clear;
	state_close(st);
}

/* No configuration: said at once, then every RUN_DEGRADED_REPORT s. */
static void
report_unconfigured(struct start *s, int64_t now, int force)
{
	char tb[32];

	if (!force && now - s->last_report < RUN_DEGRADED_REPORT)
		return;
	s->last_report = now;
	msg_info("degraded since %s: %s; %" PRIu64 " lines kept (%s%s), read "
	    "again once a configuration loads; retrying every %ds and on "
	    "SIGHUP", fmt_time(tb, sizeof(tb), s->since), s->cause,
	    s->keep.lines, s->keep.jr != NULL ? journal_path(s->keep.jr) :
	    "memory", s->keep.in_memory > 0 && s->keep.jr != NULL ?
	    " and memory" : "", RUN_DEGRADED_RETRY);
	keep_health(s, now, 0);
}

/* The configuration, when there is no run yet: the run, and the lines
 * kept meanwhile through it.  0, or -1 with the cause set. */
static int
start_run(struct start *s, int64_t now)
{
	struct run_options opt = {.omprog = 1};
	struct config *cfg;
	char err[1024];

	cfg = cmd_config(s->cl, err, sizeof(err));
	if (cfg == NULL) {
		if (s->keep.state == NULL)
			keep_open(&s->keep, s->cl);
		if (strcmp(s->config_err, err) != 0) {
			join(s->config_err, sizeof(s->config_err), err, "", "");
			join(s->cause, sizeof(s->cause), "configuration: ", err, "");
			if (s->since == 0)
				s->since = now;
			msg_warn("degraded: %s", s->cause);
			report_unconfigured(s, now, 1);
		}
		return -1;
	}
	/* the journal the run reads first (at their stamps: it is marked) */
	if (s->keep.jr != NULL && strcmp(s->keep.state, cfg->state) == 0) {
		journal_close(s->keep.jr);
		s->keep.jr = NULL;
	}
	s->r = run_new(cfg, NULL, &opt, now);
	s->kcfg = cfg;
	if (s->keep.lines > 0 || s->health_row)
		msg_info("%s loaded: no longer degraded by it", cfg->path);
	keep_health(s, now, 1);
	run_start(s->r, now);
	if (s->in_txn) /* rsyslog is in a transaction: so is the run */
		run_omprog(s->r, "BEGIN TRANSACTION", 17, 0);
	replay_kept(s, now);
	keep_free(&s->keep);
	s->cause[0] = '\0';
	return 0;
}

/* The kernel's sets, when the run has none yet. */
static void
attach_kernel(struct start *s, int64_t now)
{
	struct run_kernel k;
	char err[512];

	if (!privdrop_has_netadmin()) /* and it never comes back */
		snprintf(err, sizeof(err), "no capability CAP_NET_ADMIN (start "
		    "mailban as root, or give its binary the file capability: "
		    "README, Privileges)");
	else if (s->ks == NULL)
		s->ks = kset_open(s->kcfg, err, sizeof(err));
	if (s->ks != NULL && kset_ensure(s->ks, err, sizeof(err)) == 0) {
		if (s->fw == NULL) {
			char fwerr[512];

			s->fw = firewall_open(s->kcfg, fwerr, sizeof(fwerr));
			if (s->fw == NULL)
				msg_warn("%s: the firewall rules that use the sets "
				    "are not checked (\"mailban status\" tells whether "
				    "bans are enforced)", fwerr);
		}
		k = kset_kernel(s->ks, s->fw);
		run_attach_kernel(s->r, &k, now);
		s->attached = 1;
		s->cause[0] = '\0';
		s->since = 0;
		run_set_degraded(s->r, NULL, now);
		return;
	}
	join(s->cause, sizeof(s->cause), "bans cannot reach the kernel: ", err,
	    "; they are decided and kept in the state file, and go into the "
	    "kernel once it takes them");
	run_set_degraded(s->r, s->cause, now);
}

/* Whatever has not started: now (at start, on SIGHUP) or when it is
 * time to try again. */
static void
start_retry(struct start *s, int64_t now, int force)
{
	if (s->r != NULL && s->attached)
		return;
	if (!force && now - s->last_try < RUN_DEGRADED_RETRY) {
		if (s->r == NULL)
			report_unconfigured(s, now, 0);
		return;
	}
	s->last_try = now;
	if (s->r == NULL && start_run(s, now) < 0)
		return;
	attach_kernel(s, now);
}

/* A line of the omprog protocol while no configuration loads. */
static const char *
unconfigured_line(struct start *s, const char *line, size_t len)
{
	switch (omprog_classify(line, len)) {
	case OMPROG_BEGIN:
		s->in_txn = 1;
		return "OK";
	case OMPROG_COMMIT: /* every message of it was kept, or refused */
		s->in_txn = 0;
		return "OK";
	case OMPROG_MESSAGE:
		break;
	}
	if (keep_line(&s->keep, line, len) < 0)
		return "ERROR mailban cannot keep more lines; retry";
	return s->in_txn ? "DEFER_COMMIT" : "OK";
}

/* Lines kept and never read again (no configuration loaded): 1. */
static int
keep_finish(struct start *s)
{
	if (s->keep.lines == 0)
		return 0;
	if (s->keep.in_memory > 0)
		msg_warn("exiting with no configuration loaded: %" PRIu64 " kept "
		    "lines are lost", s->keep.in_memory);
	if (s->keep.jr != NULL && s->keep.lines > s->keep.in_memory)
		msg_warn("exiting with no configuration loaded: %s keeps %" PRIu64
		    " lines, read again by the next mailban that loads one",
		    journal_path(s->keep.jr), s->keep.lines - s->keep.in_memory);
	return 1;
}

/*
 * Least privilege (privdrop.h), once, before the sets, the state file, the
 * journal and the first line.  The run user, the state directory and the
 * filter come from the configuration; under --omprog, one that does not
 * load yet gives way to the built-in one with the -o overrides (as the
 * kept lines' journal does).  Plain run: a failure is fatal.  --omprog
 * never exits for what the machine lacks (a user, CAP_NET_ADMIN, a
 * writable state directory): privdrop drops what it can, and says what it
 * could not as a warning; the kernel and the state file then report their
 * own degraded state.  --journal calls it once the journal, the sets, the
 * firewall rules and the state file are open, and keeps the group
 * systemd-journal (the group of the journal's files, mode 0640) across
 * the user switch: the files journald opens after a rotation or a restart
 * are opened by the run user.  Without that group (a system without it,
 * or run as a user who is not in it) those files cannot be read: a
 * warning says so, and sd-journal counts them as unreadable.
 */
static void
enter_least_privilege(const struct cmdline *cl)
{
	struct privdrop p;
	struct config *cfg;
	struct group *gr;
	char err[1024];
	int rc;

	cfg = cmd_config(cl, err, sizeof(err));
	if (cfg == NULL && !cl->omprog)
		msg_usage(NULL, "%s", err);
	if (cfg == NULL)
		cfg = config_load(NULL, cl->overrides, cl->noverrides, err,
		    sizeof(err));
	if (cfg == NULL)
		cfg = config_load(NULL, NULL, 0, err, sizeof(err));
	if (cfg == NULL)
		msg_panic("the built-in configuration: %s", err);
	p.user = cfg->run_user;
	p.state = cfg->state;
	p.seccomp = cfg->seccomp;
	p.degrade = cl->omprog;
	p.keep_gid = 0;
	if (cl->journal && geteuid() == 0 && p.user != NULL &&
	    p.user[0] != '\0') {
		errno = 0;
		if ((gr = getgrnam("systemd-journal")) != NULL && gr->gr_gid != 0)
			p.keep_gid = (long)gr->gr_gid;
		else
			msg_warn("run --journal: the group systemd-journal %s: user "
			    "%s reads only the journal files it may read (the "
			    "system's are root:systemd-journal, mode 0640)",
			    errno ? strerror(errno) : "does not exist", p.user);
	}
	rc = privdrop_enter(&p, err, sizeof(err));
	config_free(cfg);
	if (rc < 0)
		msg_fatal("%s", err);
	if (rc > 0)
		msg_warn("degraded: %s", err);
}

int
cmd_run(struct cmdline *cl)
{
	struct start s;
	struct lineio lr;
	struct pollfd pfd;
	const char *line;
	size_t len;
	int trunc, rc;
	enum lineio_status ls;
	int64_t now;
	uint64_t asked;
	char result[STATE_CAUSE_MAX];
	long n;

	if (cl->journal)
		return cmd_run_journal(cl);
	install_signals();
	memset(&s, 0, sizeof(s));
	s.cl = cl;
	/* the handshake first: nothing before it may fail (see above) */
	if (cl->require_credentials)
		msg_info("credentials required: a line without its writer's "
		    "credentials is untrusted and never scored");
	else
		msg_info("credentials not required: a line without them is "
		    "taken as read (use --require-credentials behind the "
		    "shipped rsyslog and syslog-ng snippets)");
	if (cl->omprog && omprog_reply("OK") < 0)
		got_stop = 1;
	enter_least_privilege(cl);
	now = cmd_now();
	if (cl->omprog) {
		start_retry(&s, now, 1);
	} else {
		struct run_options opt = {.omprog = 0};
		struct run_kernel k;

		s.kcfg = cmd_load_config(cl);
		s.ks = cmd_open_kset(s.kcfg);
		s.fw = cmd_open_firewall(s.kcfg);
		k = kset_kernel(s.ks, s.fw);
		s.r = run_new(s.kcfg, &k, &opt, now);
		s.attached = 1;
		run_start(s.r, now);
	}

	lineio_init(&lr, 0, LINEIO_MAXLINE);
	while (!got_stop) {
		if (got_hup) {
			got_hup = 0;
			if (s.r != NULL)
				reload(s.r, cl, result, sizeof(result));
			start_retry(&s, cmd_now(), 1);
		}
		if (s.r != NULL && (asked = run_reload_asked(s.r)) != 0) {
			reload(s.r, cl, result, sizeof(result));
			run_reload_answer(s.r, asked, result, cmd_now());
			start_retry(&s, cmd_now(), 1);
		}
		ls = lineio_next(&lr, &line, &len, &trunc);
		if (ls == LINEIO_LINE) {
			if (!cl->omprog)
				run_line(s.r, line, len, trunc);
			else if (omprog_reply(s.r != NULL ? run_omprog(s.r, line,
				     len, trunc) : unconfigured_line(&s, line, len)) < 0)
				break;
			continue;
		}
		if (ls == LINEIO_EOF)
			break;
		pfd.fd = 0;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, s.r != NULL ? run_poll_ms(s.r) : 1000);
		now = cmd_now();
		if (n == 0) {
			if (s.r != NULL)
				run_idle(s.r, now);
			start_retry(&s, now, 0);
			continue;
		}
		if (n < 0) {
			if (errno != EINTR)
				msg_fatal("poll: %s", strerror(errno));
			continue;
		}
		if (s.r != NULL)
			run_wake(s.r, now);
		start_retry(&s, now, 0);
		n = lineio_fill(&lr);
		if (n < 0 && errno != EINTR && errno != EAGAIN) {
			msg_warn("stdin: read: %s", strerror(errno));
			break;
		}
	}
	rc = s.r != NULL ? run_finish(s.r, cmd_now()) : keep_finish(&s);
	lineio_free(&lr);
	firewall_close(s.fw);
	kset_close(s.ks);
	run_free(s.r); /* and the configuration, which the kset borrowed */
	keep_free(&s.keep);
	return rc;
}

int
cmd_restore(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct kset *ks = cmd_open_kset(cfg);
	struct run_kernel k = kset_kernel(ks, NULL);
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
