/*
 * test_state - the state file as something an attacker on the host may
 * have prepared: it is created 0640 or tighter (its -wal and -shm too)
 * whatever the umask, a symbolic link in place of the file, its -wal or
 * its -shm is refused, so is a directory others can write, and rows
 * whose numbers are out of range (a ban count of 2^32-1, a time of
 * INT64_MIN, a negative score) are skipped when read back, never handed
 * to the tracker or printed.  Needs no privilege.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "state.h"
#include "test.h"

#define T0 1795000000 /* 2026-11-18 */

static char dir[] = "/tmp/test_state.XXXXXX";

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
fresh_dir(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(dir, 0700) < 0)
		msg_fatal("mkdir %s: %s", dir, strerror(errno));
}

static const char *
in_dir(char *buf, size_t len, const char *name)
{
	xsnprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static struct state_ban
ban(const char *ip)
{
	struct state_ban b;

	memset(&b, 0, sizeof(b));
	if (addr_parse(ip, strlen(ip), &b.addr) < 0)
		msg_fatal("bad test address %s", ip);
	b.count = 1;
	b.first_ban = b.last_ban = T0;
	b.until = T0 + 3600;
	b.duration = 3600;
	b.score = 10;
	snprintf(b.pattern, sizeof(b.pattern), "p");
	snprintf(b.host, sizeof(b.host), "mx");
	snprintf(b.program, sizeof(b.program), "t");
	return b;
}

static int
collect(void *ctx, const struct state_ban *b)
{
	char ip[ADDR_STRLEN];
	char *seen = ctx;

	addr_format(&b->addr, ip);
	strncat(seen, ip, 255 - strlen(seen));
	strncat(seen, " ", 255 - strlen(seen));
	return 0;
}

static void
created_private(void)
{
	static const char *const ext[] = {"", "-wal", "-shm"};
	char path[256], file[300];
	struct state *st;
	struct state_ban b = ban("192.0.2.1");
	struct stat sb;
	mode_t old;
	int i;

	fresh_dir();
	old = umask(0); /* SQLite asks for 0644: the state file must not */
	st = state_open(in_dir(path, sizeof(path), "state.db"), 0);
	umask(old);
	CHECK(st != NULL, "state_open failed");
	if (st == NULL)
		return;
	CHECK(state_record(st, &b, 1) == 0, "record failed");
	for (i = 0; i < 3; i++) {
		xsnprintf(file, sizeof(file), "%s%s", path, ext[i]);
		CHECK(stat(file, &sb) == 0, "%s: %s", file, strerror(errno));
		CHECK((sb.st_mode & 0137) == 0, "%s is mode %04o", file,
		    (unsigned)(sb.st_mode & 07777));
	}
	state_close(st);

	/* a file an older mailban left 0644 is made 0640 */
	fresh_dir();
	in_dir(path, sizeof(path), "old.db");
	old = umask(0);
	st = state_open(path, 0);
	umask(old);
	state_close(st);
	CHECK(chmod(path, 0644) == 0, "chmod");
	st = state_open(path, 0);
	CHECK(st != NULL, "reopen failed");
	state_close(st);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640,
	    "old file still mode %04o", (unsigned)(sb.st_mode & 07777));
}

static void
links_refused(void)
{
	static const char *const ext[] = {"", "-wal", "-shm"};
	char path[256], link[300], target[256];
	struct stat sb;
	struct state *st;
	int i;

	for (i = 0; i < 3; i++) {
		fresh_dir();
		in_dir(path, sizeof(path), "state.db");
		in_dir(target, sizeof(target), "elsewhere");
		xsnprintf(link, sizeof(link), "%s%s", path, ext[i]);
		CHECK(symlink(target, link) == 0, "symlink: %s", strerror(errno));
		st = state_open(path, 0);
		CHECK(st == NULL, "a symbolic link as state%s was followed",
		    ext[i]);
		state_close(st);
		CHECK(lstat(target, &sb) < 0, "the link's target was created "
		    "(state%s)", ext[i]);
		st = state_open(path, 1);
		CHECK(st == NULL, "read-only: a symbolic link as state%s was "
		    "followed", ext[i]);
		state_close(st);
	}
}

static void
shared_directory_refused(void)
{
	char sub[256], path[300];
	struct state *st;

	fresh_dir();
	in_dir(sub, sizeof(sub), "shared");
	CHECK(mkdir(sub, 0700) == 0 && chmod(sub, 01777) == 0, "mkdir");
	xsnprintf(path, sizeof(path), "%s/state.db", sub);
	st = state_open(path, 0);
	CHECK(st == NULL, "a state file in a directory anyone can write");
	state_close(st);
	CHECK(chmod(sub, 0770) == 0, "chmod");
	st = state_open(path, 0);
	CHECK(st == NULL, "a state file in a directory a group can write");
	state_close(st);
	CHECK(chmod(sub, 0750) == 0, "chmod");
	st = state_open(path, 0);
	CHECK(st != NULL, "a state file in a private directory is refused");
	state_close(st);
}

static void
crafted_bans_skipped(void)
{
	char path[256], seen[256] = "";
	struct state_ban b[4];
	struct state *st;

	fresh_dir();
	st = state_open(in_dir(path, sizeof(path), "state.db"), 0);
	CHECK(st != NULL, "state_open");
	if (st == NULL)
		return;
	b[0] = ban("192.0.2.1");
	b[1] = ban("192.0.2.2");
	b[1].count = (unsigned)-1; /* what a count of -1 read as unsigned was */
	b[2] = ban("192.0.2.3");
	b[2].last_ban = INT64_MIN; /* and so first_ban */
	b[3] = ban("192.0.2.4");
	b[3].score = -5;
	CHECK(state_record(st, b, 4) == 0, "record");
	CHECK(state_active(st, T0, collect, seen) == 0, "active");
	CHECK_STR(seen, "192.0.2.1 ");
	seen[0] = '\0';
	CHECK(state_history(st, 0, collect, seen) == 0, "history");
	CHECK_STR(seen, "192.0.2.1 ");
	state_close(st);
}

struct scores_seen {
	unsigned rows;
	int64_t min_t;
};

static void
score_row(void *ctx, const struct addr *a, const struct score_event *ev,
    size_t n, int64_t last_seen)
{
	struct scores_seen *s = ctx;
	size_t i;

	(void)a;
	(void)last_seen;
	s->rows++;
	for (i = 0; i < n; i++)
		if (ev[i].t < s->min_t)
			s->min_t = ev[i].t;
}

static void
crafted_scores_skipped(void)
{
	char path[256];
	struct score_event ok[2] = {{T0, 3}, {T0 + 1, 4}};
	struct score_event bad[2] = {{INT64_MIN, 5}, {T0, 5}};
	struct score_event neg[1] = {{T0, -7}};
	struct scores_seen seen = {0, INT64_MAX};
	struct state *st;
	struct addr a, b, c;

	fresh_dir();
	st = state_open(in_dir(path, sizeof(path), "state.db"), 0);
	CHECK(st != NULL, "state_open");
	if (st == NULL)
		return;
	addr_parse("192.0.2.1", 9, &a);
	addr_parse("192.0.2.2", 9, &b);
	addr_parse("192.0.2.3", 9, &c);
	CHECK(state_scores_begin(st) == 0, "begin");
	CHECK(state_scores_put(st, &a, ok, 2, T0 + 1) == 0, "put");
	CHECK(state_scores_put(st, &b, bad, 2, T0) == 0, "put");
	CHECK(state_scores_put(st, &c, neg, 1, T0) == 0, "put");
	CHECK(state_scores_end(st, 1) == 0, "end");
	CHECK(state_scores(st, 0, score_row, &seen) == 0, "scores");
	CHECK(seen.rows == 1, "%u rows read back, want the one sound row",
	    seen.rows);
	CHECK(seen.min_t == T0, "a time of %lld read back",
	    (long long)seen.min_t);
	state_close(st);
}

static const struct test_case cases[] = {
	TEST_CASE(created_private),
	TEST_CASE(links_refused),
	TEST_CASE(shared_directory_refused),
	TEST_CASE(crafted_bans_skipped),
	TEST_CASE(crafted_scores_skipped),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	int rc;

	msg_set_quiet(1);
	if (mkdtemp(dir) == NULL)
		msg_fatal("mkdtemp: %s", strerror(errno));
	rc = TEST_RUN(cases, argc, argv);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
