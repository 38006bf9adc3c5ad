/*
 * NAME
 *	run - the loop of "mailban run": lines in, bans to the kernel and the
 *	state file, views out
 * SYNOPSIS
 *	#include "run.h"
 * DESCRIPTION
 *	A struct run takes the lines that cmd_run.c reads (run_line(), or
 *	run_omprog() in omprog mode), and the clock when input is idle
 *	(run_idle()) or arrives in a new second (run_wake()).
 *
 *	At start (run_start()) the active bans of the state file go to the
 *	kernel in one batch.  Every ban decision is queued, and the queue is
 *	committed (kernel first, then the state file in one transaction) when
 *	it holds batch.size bans, when input has been idle for batch.idle
 *	(run_poll_ms() says how long to wait), and at the end (run_finish()).
 *	Once a second while idle, when another process has committed to the
 *	state file (its data_version moved): bans lifted by "mailban
 *	unban"/"flush"/"allow" are forgotten from memory, bans made by
 *	"mailban ban" are counted and held (the kernel gets their whole
 *	length), the runtime allow list is read again (the engine honours it
 *	as the ignore list), and a "mailban reload" is noted
 *	(run_reload_asked()); every RUN_PRESENCE_EVERY seconds the sets are
 *	looked for and, when one vanished or was re-created, every active ban
 *	goes back in; at start and every firewall_check seconds the firewall
 *	rules that use the sets are checked and, when a firewall reload took
 *	them away, put back as "mailban setup" makes them (each repair, and
 *	each failure to repair, logged); once an hour, bans longer than the kernel's largest
 *	timeout are re-added so that they hold for their whole length.  With
 *	omprog, every line that matched is in the journal (journal.h) before
 *	it is answered, until what it decided is committed.
 *
 *	The kernel is reached only through struct run_kernel (cmd_run.c fills
 *	it from kset.h), so that a test drives the loop with a kernel of its
 *	own.  Every other part is the real one: engine, state file, journal,
 *	zone files and the report page.
 *
 *	A state file that cannot be opened or written never stops
 *	enforcement: the failure is reported, the unwritten ban records are
 *	kept (at most backlog_max, in a ring: when it is full, each new record
 *	drops the oldest, which is in the kernel already; one warning per
 *	episode) and retried every RUN_STATE_RETRY seconds.
 *
 *	The run owns the configurations it is given (run_new(), run_reload())
 *	and sets the msg_warn() hook (the last warnings go to the state file
 *	for "mailban status") until run_free().
 * SECURITY
 *	Input lines are hostile; only validated struct addr values reach the
 *	kernel and the state file.
 */
#ifndef MAILBAN_RUN_H
#define MAILBAN_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "fmt.h"
#include "prefix.h"

struct state;

#define RUN_REFRESH_EVERY SECONDS_HOUR /* seconds between long-ban refreshes */
#define RUN_PRESENCE_EVERY 2 /* seconds between checks that the sets exist */
/* seconds to look again at firewall rules found missing while the ruleset
 * was still changing (a reload in progress), and the most to wait for it
 * to stand still before putting them back anyway */
#define RUN_RULES_SETTLE 1
#define RUN_RULES_SETTLE_MAX 30
#define RUN_STATE_RETRY 2 /* seconds between attempts to open the state */
#define RUN_BACKLOG_MAX 1000000 /* unwritten ban records kept */
/* bans by hand put in the kernel that a lift may still have to take out
 * again (run.c lifted_one()): at most, and for how many seconds */
#define RUN_HAND_RECENT 256
#define RUN_HAND_SECS 5
#define RUN_DEGRADED_RETRY 5 /* seconds between attempts at what failed */
#define RUN_DEGRADED_REPORT 60 /* seconds between reports of a degraded run */

/*
 * The kernel as the loop sees it (kset.h's functions, with ctx the kset).
 * add queues one ban; del takes one out at once (queued adds of it
 * dropped; an entry not there is no error: 0, -1 when the kernel
 * refused); commit returns 0 when everything queued is in the kernel,
 * -1 when some entries wait for a retry (still pending) or were refused
 * (counted by dropped); present is 0 when a set has vanished,
 * ensure makes the sets again; recreated counts the times a set had to
 * be made again (its bans are gone: the loop puts the active ones back).
 */
struct run_kernel {
	void *ctx;
	uint32_t max_timeout; /* the longest timeout the kernel keeps, s */
	void (*add)(void *ctx, const struct addr *a, uint32_t timeout);
	int (*del)(void *ctx, const struct addr *a);
	size_t (*pending)(void *ctx);
	int (*commit)(void *ctx);
	size_t (*dropped)(void *ctx);
	int (*present)(void *ctx);
	int (*ensure)(void *ctx, char *err, size_t errlen);
	size_t (*recreated)(void *ctx);
	/*
	 * The firewall rules that use the sets (firewall.h, with fw as
	 * context; NULL: none checked).  rules_ok is 1 when they are in
	 * place, 0 when not (what is missing in msg; *settled is 1 when the
	 * previous check found them missing too and nothing in the ruleset
	 * changed since), -1 when they cannot be read (why in msg);
	 * rules_restore puts back what is missing as "mailban setup" makes
	 * it: 1 done, 0 nothing missing, -1 (why in msg).
	 */
	void *fw;
	int (*rules_ok)(void *fw, char *msg, size_t len, int *settled);
	int (*rules_restore)(void *fw, char *msg, size_t len);
};

struct run_options {
	int omprog; /* lines are answered: journal them */
	size_t backlog_max; /* unwritten ban records kept; 0: RUN_BACKLOG_MAX */
	/*
	 * Entries with a cursor (run --journal): cursor() gives where reading
	 * stands (the cursor of the last entry given to run_entry()), and it
	 * is saved under cursor_source in the same state transaction as the
	 * bans and scores of the entries up to it; bans and scores are written
	 * in no other way.  Entries are scored at their own time, as a replay
	 * does.
	 */
	const char *cursor_source; /* NULL: lines without a cursor */
	const char *(*cursor)(void *ctx);
	void *cursor_ctx;
};

struct run_stats {
	uint64_t lines, matched, bans; /* the engine's */
	uint64_t committed; /* kernel entries committed */
	uint64_t kernel_failures; /* commits that did not take everything */
	size_t backlog; /* ban records not in the state file yet */
	size_t backlog_room; /* records allocated for them */
	uint64_t backlog_dropped; /* records dropped, since the start */
	uint64_t backlog_copies; /* records copied into or within the ring */
	int state_open; /* the state file is open */
	uint64_t journal_bytes; /* lines journaled, not yet committed */
	uint64_t cursor_saves; /* transactions that saved a cursor */
	int kernel_absent; /* run_new() without a kernel, none attached yet */
	uint64_t bans_waiting; /* decided while absent */
	int degraded; /* reported as degraded */
};

struct run;

/* cfg becomes the run's; k is copied.  now: the clock, seconds.  k NULL:
 * no kernel yet (degraded, below). */
struct run *run_new(struct config *cfg, const struct run_kernel *k,
    const struct run_options *opt, int64_t now);
/*
 * Degraded.  A run made without a kernel decides bans as usual, journals
 * their lines, and writes them to the state file, which is then what
 * keeps them (answers are confirmed once the state or the journal holds
 * them; when neither can take more, lines get an error answer).
 * run_attach_kernel() gives it the kernel once it can be reached: every
 * active ban of the state file (and of the backlog) goes in.
 * run_set_degraded() names what is wrong (NULL: nothing); with a state
 * file that has failed for RUN_DEGRADED_RETRY seconds it is reported at
 * once and then every RUN_DEGRADED_REPORT seconds, and kept in the state
 * file's health row (state.h) for status; its end is reported and the
 * row deleted.
 */
void run_attach_kernel(struct run *r, const struct run_kernel *k,
    int64_t now);
void run_set_degraded(struct run *r, const char *cause, int64_t now);
/* A line kept while no configuration loaded, elsewhere than this run's
 * journal: through the engine at its own stamp (as "mailban test" scores;
 * a ban that has run out by now is recorded, not sent to the kernel), and
 * journaled like an answered line.  A journal marked by
 * journal_set_unconfigured() is read again the same way at start. */
void run_replay_kept(struct run *r, const char *line, size_t len,
    int64_t now);
/* Whatever an earlier run left: active bans to the kernel, the state's
 * history and scores to the tracker, the journal's lines again. */
void run_start(struct run *r, int64_t now);
/* One line (not omprog); commits when the queue holds batch.size. */
void run_line(struct run *r, const char *line, size_t len, int truncated);
/* One entry already split into its fields (run --journal); commits, with
 * the cursor, when the queue holds batch.size. */
void run_entry(struct run *r, struct logline *ll, int truncated);
/* Where reading stands changed without an entry (a seek): saved with the
 * next commit. */
void run_cursor_moved(struct run *r);
/* The cursor saved by an earlier run (after run_start()): 1 and the cursor
 * in buf, 0 when there is none or no state file, -1. */
int run_saved_cursor(struct run *r, char *buf, size_t len);
/* One line of the omprog protocol; the answer to write back. */
const char *run_omprog(struct run *r, const char *line, size_t len,
    int truncated);
/* How long to wait for input, in milliseconds. */
int run_poll_ms(const struct run *r);
/* No input for run_poll_ms(): commit, then the once-a-second work. */
void run_idle(struct run *r, int64_t now);
/* Input is ready at now: the once-a-second work when the second changed. */
void run_wake(struct run *r, int64_t now);
/* A configuration loaded again (SIGHUP): patterns, scores and ban times
 * at once; the sets, policy and state file only after a restart. */
void run_reload(struct run *r, struct config *cfg, int64_t now);
/*
 * "mailban reload" asks through the state file (state.h): nonzero (the
 * request's number) when a reload was asked and not yet answered; the
 * caller loads the configuration as on SIGHUP, then answers with what
 * came of it (one line: "reloaded FILE: N patterns" or the error).
 */
uint64_t run_reload_asked(const struct run *r);
void run_reload_answer(struct run *r, uint64_t asked, const char *result,
    int64_t now);
/* The last commit, the views, the totals; 1 when something queued could
 * not be committed or written, else 0. */
int run_finish(struct run *r, int64_t now);
void run_stats(const struct run *r, struct run_stats *s);
void run_free(struct run *r);

/* Queue every ban active at now and at least min_duration long into k
 * (mailban restore, and the loop); the count in *count.  0 or -1. */
int run_requeue(struct state *st, const struct run_kernel *k, int64_t now,
    int64_t min_duration, size_t *count);

#endif
