/*
 * test_journal - the journal of lines answered but not yet committed:
 * what is appended is read back in order, byte for byte, by the next
 * opener; bytes past the end (a copy cut short) are not read back;
 * emptied, it reads nothing; a second opener is refused while the first
 * holds it, and let in once it is closed; the size bound refuses instead
 * of growing; a damaged header, a file that is not a journal, a symbolic
 * link and a directory are each refused or reported, never read.
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

static int
poke(const char *path, off_t off, const void *buf, size_t n)
{
	int fd = open(path, O_WRONLY);
	int rc = fd >= 0 && pwrite(fd, buf, n, off) == (ssize_t)n ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return rc;
}

int
main(void)
{
	char dir[] = "/tmp/test_journal.XXXXXX", state[256], path[300],
	    other[300], err[512], bin[200];
	struct journal *j, *k;
	struct got g;
	struct stat sb;
	uint64_t end;
	size_t i;

	msg_set_progname("test_journal");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(state, sizeof(state), "%s/mailban.db", dir);
	snprintf(path, sizeof(path), "%s%s", state, JOURNAL_SUFFIX);

	/* a new journal: made whole at once, private, empty */
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "open: %s", err);
	if (j == NULL)
		return TEST_DONE();
	CHECK_STR(journal_path(j), path);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 &&
	    sb.st_size == JOURNAL_SIZE, "mode %o size %lld",
	    (unsigned)sb.st_mode & 0777, (long long)sb.st_size);
	CHECK(journal_size(j) == 0 && replay(j, &g) == 0 && g.n == 0,
	    "new journal reads %d", g.n);

	/* lines back in order, any byte but newline */
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i % 255 == '\n' ? 0 : i % 255);
	CHECK(journal_append(j, "first line", 10) == 0, "append");
	CHECK(journal_append(j, "", 0) == 0, "append empty");
	CHECK(journal_append(j, bin, sizeof(bin)) == 0, "append bytes");
	CHECK(journal_size(j) == 10 + 1 + 1 + sizeof(bin) + 1, "size %llu",
	    (unsigned long long)journal_size(j));
	CHECK(stat(path, &sb) == 0 && sb.st_size == JOURNAL_SIZE,
	    "the file's size moved: %lld", (long long)sb.st_size);

	/* a second opener is refused while this one holds it */
	k = journal_open(state, err, sizeof(err));
	CHECK(k == NULL && strstr(err, "in use by another mailban run") != NULL,
	    "second open: %s", k ? "let in" : err);
	journal_close(k);

	/* the next run (after a crash: nothing but the page cache) reads the
	 * lines back */
	journal_close(j);
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "reopen: %s", err);
	if (j == NULL)
		return TEST_DONE();
	CHECK(replay(j, &g) == 3 && g.n == 3, "read %d", g.n);
	CHECK(g.len[0] == 10 && memcmp(g.lines[0], "first line", 10) == 0,
	    "line 1");
	CHECK(g.len[1] == 0, "line 2 empty");
	CHECK(g.len[2] == sizeof(bin) && memcmp(g.lines[2], bin,
	    sizeof(bin)) == 0, "line 3 bytes");

	/* emptied: nothing to read, appends start again at the start */
	journal_clear(j);
	CHECK(journal_size(j) == 0 && replay(j, &g) == 0, "read after clear");
	CHECK(journal_append(j, "after", 5) == 0, "append after clear");
	end = JOURNAL_DATA + journal_size(j);
	journal_close(j);

	/* a copy cut short by a crash: its bytes lie past the end */
	CHECK(poke(path, (off_t)end, "cut sho", 7) == 0, "tear: %s",
	    strerror(errno));
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "reopen: %s", err);
	if (j == NULL)
		return TEST_DONE();
	CHECK(replay(j, &g) == 1 && g.len[0] == 5 &&
	    memcmp(g.lines[0], "after", 5) == 0, "torn tail read: %d", g.n);
	/* the next line overwrites the torn part */
	CHECK(journal_append(j, "next", 4) == 0, "append");
	CHECK(replay(j, &g) == 2 && g.len[1] == 4 &&
	    memcmp(g.lines[1], "next", 4) == 0, "after torn: %d", g.n);

	/* the bound: refused, not grown; what was taken stays */
	{
		size_t big = 1024 * 1024;
		char *blob = malloc(big);
		uint64_t before;
		int refused = 0, n;

		memset(blob, 'x', big);
		for (n = 0; n < 80 && !refused; n++)
			refused = journal_append(j, blob, big) < 0;
		CHECK(refused && n < 10, "refused after %d MiB", n);
		before = journal_size(j);
		CHECK(before + JOURNAL_DATA <= JOURNAL_SIZE, "size %llu over the "
		    "bound", (unsigned long long)before);
		CHECK(stat(path, &sb) == 0 && sb.st_size == JOURNAL_SIZE,
		    "file %lld", (long long)sb.st_size);
		CHECK(journal_append(j, "small", 5) == 0, "a line that fits");
		CHECK(replay(j, &g) == n + 2, "kept %d of %d", g.n, n + 2);
		journal_clear(j);
		CHECK(journal_append(j, blob, big) == 0, "taken once emptied");
		free(blob);
	}
	journal_close(j);

	/* a damaged header: reported, nothing read, the journal usable */
	end = (uint64_t)JOURNAL_SIZE * 2;
	CHECK(poke(path, 16, &end, sizeof(end)) == 0, "damage");
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "open damaged: %s", err);
	if (j == NULL)
		return TEST_DONE();
	CHECK(replay(j, &g) == 0 && journal_size(j) == 0, "damaged read %d",
	    g.n);
	CHECK(journal_append(j, "ok", 2) == 0, "append after damage");
	journal_close(j);

	/* a file that is not a journal is left alone */
	unlink(path);
	CHECK(poke(path, 0, "x", 1) < 0, "poke made a file");
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		CHECK(fd >= 0 && write(fd, "2026-11-27 mx postfix: a log line\n",
		    34) == 34, "write");
		close(fd);
	}
	j = journal_open(state, err, sizeof(err));
	CHECK(j == NULL && strstr(err, "not a mailban journal") != NULL,
	    "other file: %s", j ? "taken" : err);
	journal_close(j);
	CHECK(stat(path, &sb) == 0 && sb.st_size == 34, "other file changed");
	unlink(path);

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
