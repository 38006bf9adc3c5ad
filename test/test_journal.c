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

/* Each case in a directory of its own: the state file's name, the
 * journal's, and a name beside them. */
static char dir[64], state[256], path[300], other[300];
static char err[512];

/* 0 when the case's directory is made */
static int
fresh(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_journal.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	snprintf(state, sizeof(state), "%s/mailban.db", dir);
	snprintf(path, sizeof(path), "%s%s", state, JOURNAL_SUFFIX);
	snprintf(other, sizeof(other), "%s/elsewhere", dir);
	return 0;
}

static void
cleanup(void)
{
	unlink(path);
	rmdir(path);
	unlink(other);
	rmdir(dir);
}

/* A journal holding lines (NULL-terminated), open; NULL (a failure) when
 * it cannot be made. */
static struct journal *
with_lines(const char *const *lines)
{
	struct journal *j;

	if (fresh() < 0)
		return NULL;
	j = journal_open(state, err, sizeof(err));
	if (j == NULL) {
		CHECK(0, "open: %s", err);
		cleanup();
		return NULL;
	}
	for (; *lines != NULL; lines++)
		if (journal_append(j, *lines, strlen(*lines)) < 0)
			CHECK(0, "append \"%s\"", *lines);
	return j;
}

/* a new journal: made whole at once, private, empty */
static void
new_journal(void)
{
	struct journal *j;
	struct stat sb;
	struct got g;

	if (fresh() < 0)
		return;
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "open: %s", err);
	if (j != NULL) {
		CHECK_STR(journal_path(j), path);
		CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 &&
		    sb.st_size == JOURNAL_SIZE, "mode %o size %lld",
		    (unsigned)sb.st_mode & 0777, (long long)sb.st_size);
		CHECK(journal_size(j) == 0 && replay(j, &g) == 0 && g.n == 0,
		    "new journal reads %d", g.n);
		journal_close(j);
	}
	cleanup();
}

/* lines back in order, any byte but newline, read by the next run (after
 * a crash: nothing but the page cache) */
static void
lines_read_back(void)
{
	static const char *const none[] = {NULL};
	struct journal *j = with_lines(none);
	struct stat sb;
	struct got g;
	char bin[200];
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i % 255 == '\n' ? 0 : i % 255);
	CHECK(journal_append(j, "first line", 10) == 0, "append");
	CHECK(journal_append(j, "", 0) == 0, "append empty");
	CHECK(journal_append(j, bin, sizeof(bin)) == 0, "append bytes");
	CHECK(journal_size(j) == 10 + 1 + 1 + sizeof(bin) + 1, "size %llu",
	    (unsigned long long)journal_size(j));
	CHECK(stat(path, &sb) == 0 && sb.st_size == JOURNAL_SIZE,
	    "the file's size moved: %lld", (long long)sb.st_size);
	journal_close(j);
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "reopen: %s", err);
	if (j != NULL) {
		CHECK(replay(j, &g) == 3 && g.n == 3, "read %d", g.n);
		CHECK(g.len[0] == 10 && memcmp(g.lines[0], "first line", 10) == 0,
		    "line 1");
		CHECK(g.len[1] == 0, "line 2 empty");
		CHECK(g.len[2] == sizeof(bin) && memcmp(g.lines[2], bin,
		    sizeof(bin)) == 0, "line 3 bytes");
		journal_close(j);
	}
	cleanup();
}

/* a second opener is refused while the first holds it */
static void
second_opener_refused(void)
{
	static const char *const one[] = {"a line", NULL};
	struct journal *j = with_lines(one), *k;

	if (j == NULL)
		return;
	k = journal_open(state, err, sizeof(err));
	CHECK(k == NULL && strstr(err, "in use by another mailban run") != NULL,
	    "second open: %s", k ? "let in" : err);
	journal_close(k);
	journal_close(j);
	cleanup();
}

/* closed: the next run is let in */
static void
closed_lets_next_in(void)
{
	static const char *const one[] = {"a line", NULL};
	struct journal *j = with_lines(one);

	if (j == NULL)
		return;
	journal_close(j);
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "open after close: %s", err);
	journal_close(j);
	cleanup();
}

/* emptied: nothing to read, appends start again at the start */
static void
cleared(void)
{
	static const char *const two[] = {"first line", "second", NULL};
	struct journal *j = with_lines(two);
	struct got g;

	if (j == NULL)
		return;
	journal_set_unconfigured(j);
	journal_close(j);
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL && journal_unconfigured(j), "the mark outlives a close");
	if (j == NULL)
		return;
	journal_clear(j);
	CHECK(!journal_unconfigured(j), "clear takes the mark away");
	CHECK(journal_size(j) == 0 && replay(j, &g) == 0, "read after clear");
	CHECK(journal_append(j, "after", 5) == 0, "append after clear");
	journal_close(j);
	cleanup();
}

/* a copy cut short by a crash: its bytes lie past the end, not read;
 * the next line overwrites them */
static void
torn_tail(void)
{
	static const char *const one[] = {"after", NULL};
	struct journal *j = with_lines(one);
	uint64_t end;
	struct got g;

	if (j == NULL)
		return;
	end = JOURNAL_DATA + journal_size(j);
	journal_close(j);
	CHECK(poke(path, (off_t)end, "cut sho", 7) == 0, "tear: %s",
	    strerror(errno));
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "reopen: %s", err);
	if (j != NULL) {
		CHECK(replay(j, &g) == 1 && g.len[0] == 5 &&
		    memcmp(g.lines[0], "after", 5) == 0, "torn tail read: %d",
		    g.n);
		CHECK(journal_append(j, "next", 4) == 0, "append");
		CHECK(replay(j, &g) == 2 && g.len[1] == 4 &&
		    memcmp(g.lines[1], "next", 4) == 0, "after torn: %d", g.n);
		journal_close(j);
	}
	cleanup();
}

/* the bound: refused, not grown; what was taken stays */
static void
size_bound(void)
{
	static const char *const two[] = {"after", "next", NULL};
	struct journal *j = with_lines(two);
	size_t big = 1024 * 1024;
	char *blob;
	uint64_t before;
	struct stat sb;
	struct got g;
	int refused = 0, n;

	if (j == NULL)
		return;
	blob = malloc(big);
	if (blob == NULL)
		abort();
	memset(blob, 'x', big);
	for (n = 0; n < 80 && !refused; n++)
		refused = journal_append(j, blob, big) < 0;
	CHECK(refused && n < 10, "refused after %d MiB", n);
	before = journal_size(j);
	CHECK(before + JOURNAL_DATA <= JOURNAL_SIZE, "size %llu over the bound",
	    (unsigned long long)before);
	CHECK(stat(path, &sb) == 0 && sb.st_size == JOURNAL_SIZE, "file %lld",
	    (long long)sb.st_size);
	CHECK(journal_append(j, "small", 5) == 0, "a line that fits");
	/* the two lines, n - 1 blobs, "small" */
	CHECK(replay(j, &g) == n + 2, "kept %d of %d", g.n, n + 2);
	journal_clear(j);
	CHECK(journal_append(j, blob, big) == 0, "taken once emptied");
	free(blob);
	journal_close(j);
	cleanup();
}

/* a damaged header: reported, nothing read, the journal usable */
static void
damaged_header(void)
{
	static const char *const one[] = {"a line", NULL};
	struct journal *j = with_lines(one);
	uint64_t end = (uint64_t)JOURNAL_SIZE * 2;
	struct got g;

	if (j == NULL)
		return;
	journal_close(j);
	CHECK(poke(path, 16, &end, sizeof(end)) == 0, "damage");
	j = journal_open(state, err, sizeof(err));
	CHECK(j != NULL, "open damaged: %s", err);
	if (j != NULL) {
		CHECK(replay(j, &g) == 0 && journal_size(j) == 0,
		    "damaged read %d", g.n);
		CHECK(journal_append(j, "ok", 2) == 0, "append after damage");
		journal_close(j);
	}
	cleanup();
}

/* a file that is not a journal is left alone */
static void
not_a_journal(void)
{
	struct journal *j;
	struct stat sb;
	int fd;

	if (fresh() < 0)
		return;
	CHECK(poke(path, 0, "x", 1) < 0, "poke made a file");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, "2026-11-27 mx postfix: a log line\n", 34) ==
	    34, "write");
	if (fd >= 0)
		close(fd);
	j = journal_open(state, err, sizeof(err));
	CHECK(j == NULL && strstr(err, "not a mailban journal") != NULL,
	    "other file: %s", j ? "taken" : err);
	journal_close(j);
	CHECK(stat(path, &sb) == 0 && sb.st_size == 34, "other file changed");
	cleanup();
}

/* never through a symbolic link */
static void
no_symbolic_link(void)
{
	struct journal *j;
	struct stat sb;

	if (fresh() < 0)
		return;
	CHECK(symlink(other, path) == 0, "symlink");
	j = journal_open(state, err, sizeof(err));
	CHECK(j == NULL, "opened through a symbolic link");
	journal_close(j);
	CHECK(stat(other, &sb) < 0, "the link's target was created");
	cleanup();
}

/* a directory in its place is refused with a reason */
static void
directory_refused(void)
{
	struct journal *j;

	if (fresh() < 0)
		return;
	CHECK(mkdir(path, 0700) == 0, "mkdir");
	j = journal_open(state, err, sizeof(err));
	CHECK(j == NULL && strstr(err, path) != NULL, "directory: %s", err);
	journal_close(j);
	cleanup();
}

static const struct test_case cases[] = {
	TEST_CASE(new_journal),
	TEST_CASE(lines_read_back),
	TEST_CASE(second_opener_refused),
	TEST_CASE(closed_lets_next_in),
	TEST_CASE(cleared),
	TEST_CASE(torn_tail),
	TEST_CASE(size_bound),
	TEST_CASE(damaged_header),
	TEST_CASE(not_a_journal),
	TEST_CASE(no_symbolic_link),
	TEST_CASE(directory_refused),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	msg_set_progname("test_journal");
	return TEST_RUN(cases, argc, argv);
}
