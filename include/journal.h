/*
 * NAME
 *	journal - the lines whose effects are not yet committed
 * DESCRIPTION
 *	"mailban run --omprog" answers a line (DEFER_COMMIT in a transaction)
 *	before the bans and scores it decided are in the kernel and the state
 *	file: they are committed in batches.  Between the two,
 *	the line lives only in mailban's memory, and rsyslog does not send it
 *	again when mailban dies (it re-sends only the message in flight, not
 *	the ones of the transaction it already answered).  So every line that
 *	matched is appended here before it is answered, and the file is
 *	emptied once everything it holds is committed; a mailban started
 *	after a crash reads the lines left here again, first.
 *
 *	The file is STATE.pending beside the state file, one line per line
 *	read, each written with one write(2) (no fsync: it outlives the
 *	process, a crash, kill -9 or the OOM killer, not the machine, which
 *	takes rsyslog's in-memory queue and the kernel's sets with it).  A
 *	last line without its newline (a write cut short) is not read back.
 *	The file is locked (flock) for the life of the run: a second
 *	"mailban run" on the same state gets no journal and is told so.
 *
 *	journal_append() refuses (-1) when the file would pass JOURNAL_MAX or
 *	the write fails; the caller then commits before it answers.
 */
#ifndef MAILBAN_JOURNAL_H
#define MAILBAN_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_SUFFIX ".pending"
#define JOURNAL_MAX (64 * 1024 * 1024)

struct journal;

/* NULL with err set when the file cannot be opened or is locked. */
struct journal *journal_open(const char *state_path, char *err, size_t errlen);
void journal_close(struct journal *j);
const char *journal_path(const struct journal *j);
/* Every complete line in the file, oldest first; the count, or -1. */
long journal_replay(struct journal *j, void (*fn)(void *, const char *,
    size_t), void *ctx);
int journal_append(struct journal *j, const char *line, size_t len);
/* Empty the file (everything it held is committed). */
int journal_clear(struct journal *j);
uint64_t journal_size(const struct journal *j);

#endif
