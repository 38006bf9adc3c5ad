/*
 * NAME
 *	journal - the lines answered but not yet committed
 * DESCRIPTION
 *	"mailban run --omprog" answers a line (DEFER_COMMIT in a transaction)
 *	before the bans and scores it decided are in the kernel and the state
 *	file: they are committed in batches.  Between the two, the line lives
 *	only in mailban's memory, and rsyslog does not send it again when
 *	mailban dies (it re-sends only the message in flight, not the ones of
 *	the transaction it already answered).  So every line that matched is
 *	added here before it is answered, and the journal is emptied once
 *	everything it holds is committed; a mailban started after a crash
 *	reads the lines left here again, first.
 *
 *	The file is STATE.pending beside the state file, made once at
 *	JOURNAL_SIZE bytes of zeros (so that its blocks exist: on a
 *	filesystem that writes in place, ext4 or xfs, a store into it never
 *	needs room on the disk, so a full disk cannot fault it) and mapped
 *	shared.  Adding a line
 *	is a copy into the page cache and a store of the new end into the
 *	header; emptying it is one store.  No system call, no change of the
 *	file's size or time stamps per line: those cost the filesystem's
 *	journal a transaction each, and on a slow disk they stalled the line
 *	path (bench/RESULTS.md).  The page cache outlives the process (a
 *	crash, kill -9, the OOM killer), not the machine, which takes
 *	rsyslog's in-memory queue and the kernel's sets with it; nothing is
 *	synced.
 *
 *	Layout (host byte order; the file never leaves the host):
 *	    0  JOURNAL_MAGIC, 16 bytes
 *	   16  end: uint64, offset of the first byte after the last line
 *	   24  flags: uint64; JOURNAL_UNCONFIGURED: some lines were kept while
 *	       no configuration loaded (read again at their own stamps)
 *	   64  lines, each ending in a newline, up to end
 *	The end is stored after the line's bytes: a copy cut short by a
 *	crash lies past the end and is not read back.  The file is locked
 *	(flock) for the life of the run: a second "mailban run" on the same
 *	state gets no journal and is told so.
 *
 *	journal_append() refuses (-1) a line that does not fit; the caller
 *	then commits before it answers.
 */
#ifndef MAILBAN_JOURNAL_H
#define MAILBAN_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_SUFFIX ".pending"
#define JOURNAL_MAGIC "mailban-journal\n"
#define JOURNAL_DATA 64 /* the lines start here */
#define JOURNAL_SIZE (8 * 1024 * 1024) /* a new file's size */

struct journal;

/* NULL with err set when the file cannot be opened, made or mapped, is
 * not a journal, or is locked. */
struct journal *journal_open(const char *state_path, char *err, size_t errlen);
void journal_close(struct journal *j);
const char *journal_path(const struct journal *j);
/* Every line in the journal, oldest first; the count. */
long journal_replay(struct journal *j, void (*fn)(void *, const char *,
    size_t), void *ctx);
int journal_append(struct journal *j, const char *line, size_t len);
/* The longest line journal_append() takes now. */
uint64_t journal_room(const struct journal *j);
/* Mark the journal as holding lines kept while no configuration loaded
 * (cmd_run.c), and ask; journal_clear() takes the mark away. */
#define JOURNAL_UNCONFIGURED 1u
void journal_set_unconfigured(struct journal *j);
int journal_unconfigured(const struct journal *j);
/* Empty the journal (everything it held is committed). */
void journal_clear(struct journal *j);
/* Bytes of lines held. */
uint64_t journal_size(const struct journal *j);

#endif
