/*
 * test_journal - the journal of lines answered but not yet committed:
 * what is appended is read back in order, byte for byte; a line cut short
 * is not read back and does not join the next one; emptied, it reads
 * nothing; a second opener is refused while the first holds it, and let
 * in once it is closed; a symbolic link is never followed; the size bound
 * refuses instead of growing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "test.h"

struct got {
	char lines[64][256];
	size_t len[64];
	int n;
};

static void
collect(void *ctx, const char *line, size_t len)
{
	struct got *g = ctx;

	if (g->n < 64 && len <= sizeof(g->lines[0])) {
		memcpy(g->lines[g->n], line, len);
		g->len[g->n] = len;
	}
	g->n++;
}

static long
replay(struct journal *j, struct got *g)
{
	memset(g, 0, sizeof(*g));
	return journal_replay(j, collect, g);
}

int
main(void)
{
	char dir[] = "/tmp/test_journal.XXXXXX", state[256], path[300],
	    other[300], err[512], bin[200];
	struct journal *j, *k;
	struct got g;
	struct stat sb;
	size_t i;
	int fd;

	msg_set_progname("test_journal");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(state, sizeof(state), "%s/mailban.db", dir);
	snprintf(path, sizeof(path), "%s%s", state, JOURNAL_SUFFIX);

	/* a new journal: empty, private */
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "open: %s", err);
	if (j == NULL)
		return TEST_DONE();
	CHECK_STR(journal_path(j), path);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "mode %o", (unsigned)sb.st_mode & 0777);
	CHECK(replay(j, &g) == 0 && g.n == 0, "new journal reads %d", g.n);

	/* lines back in order, any byte but newline */
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i % 255 == '\n' ? 0 : i % 255);
	CHECK(journal_append(j, "first line", 10) == 0, "append");
	CHECK(journal_append(j, "", 0) == 0, "append empty");
	CHECK(journal_append(j, bin, sizeof(bin)) == 0, "append bytes");
	CHECK(journal_size(j) == 10 + 1 + 1 + sizeof(bin) + 1, "size %llu",
	    (unsigned long long)journal_size(j));
	CHECK(replay(j, &g) == 3 && g.n == 3, "read %d", g.n);
	CHECK(g.len[0] == 10 && memcmp(g.lines[0], "first line", 10) == 0,
	    "line 1");
	CHECK(g.len[1] == 0, "line 2 empty");
	CHECK(g.len[2] == sizeof(bin) && memcmp(g.lines[2], bin,
	    sizeof(bin)) == 0, "line 3 bytes");

	/* a second opener is refused while this one holds it */
	k = journal_open(state, err, sizeof(err));
	CHECK(k == NULL && strstr(err, "in use by another mailban run") != NULL,
	    "second open: %s", k ? "let in" : err);
	journal_close(k);

	/* emptied: nothing to read, appends start again at 0 */
	CHECK(journal_clear(j) == 0, "clear");
	CHECK(journal_size(j) == 0 && stat(path, &sb) == 0 && sb.st_size == 0,
	    "size after clear %lld", (long long)sb.st_size);
	CHECK(replay(j, &g) == 0, "read after clear");
	CHECK(journal_append(j, "after", 5) == 0, "append after clear");
	journal_close(j);

	/* a write cut short by a crash: the part is not read back */
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "cut sho", 7) == 7, "tear: %s",
	    strerror(errno));
	close(fd);
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "reopen: %s", err);
	if (j == NULL)
		return TEST_DONE();
	CHECK(replay(j, &g) == 1 && g.len[0] == 5 &&
	    memcmp(g.lines[0], "after", 5) == 0, "torn tail read: %d", g.n);
	/* cleared by the run that read it again, the torn part goes too */
	CHECK(journal_clear(j) == 0 && journal_append(j, "next", 4) == 0,
	    "clear, append");
	CHECK(replay(j, &g) == 1 && g.len[0] == 4 &&
	    memcmp(g.lines[0], "next", 4) == 0, "after torn: %d", g.n);

	/* the bound: refused, not grown; the file unchanged */
	{
		size_t big = 1024 * 1024;
		char *blob = malloc(big);
		uint64_t before;
		int refused = 0, n;

		memset(blob, 'x', big);
		for (n = 0; n < 80 && !refused; n++)
			refused = journal_append(j, blob, big) < 0;
		CHECK(refused, "no refusal after %d MiB", n);
		before = journal_size(j);
		CHECK(before <= JOURNAL_MAX, "size %llu over the bound",
		    (unsigned long long)before);
		CHECK(stat(path, &sb) == 0 && (uint64_t)sb.st_size == before,
		    "file %lld, journal says %llu", (long long)sb.st_size,
		    (unsigned long long)before);
		CHECK(journal_append(j, "small", 5) == 0 ||
		    before + 6 > JOURNAL_MAX, "a line that fits is taken");
		CHECK(journal_clear(j) == 0 && journal_append(j, blob, big) == 0,
		    "taken again once emptied");
		free(blob);
	}
	journal_close(j);

	/* closed: the next run is let in */
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "open after close: %s", err);
	journal_close(j);

	/* never through a symbolic link */
	snprintf(other, sizeof(other), "%s/elsewhere", dir);
	unlink(path);
	CHECK(symlink(other, path) == 0, "symlink");
	j = journal_open(state, err, sizeof(err));
	CHECK(j == NULL, "opened through a symbolic link");
	journal_close(j);
	CHECK(stat(other, &sb) < 0, "the link's target was created");
	unlink(path);

	/* a directory in its place is refused with a reason */
	CHECK(mkdir(path, 0700) == 0, "mkdir");
	j = journal_open(state, err, sizeof(err));
	CHECK(j == NULL && strstr(err, path) != NULL, "directory: %s", err);
	journal_close(j);
	rmdir(path);
	rmdir(dir);
	return TEST_DONE();
}
