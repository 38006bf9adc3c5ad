/*
 * NAME
 *	journal - the lines answered but not yet committed
 * DESCRIPTION
 *	See include/journal.h.
 * SECURITY
 *	The lines are hostile input, copied and read back as bytes; the file
 *	is created mode 0600 (it holds log lines), never followed through a
 *	symbolic link, and its header is checked before a byte of it is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"

#define MAGIC_LEN (sizeof(JOURNAL_MAGIC) - 1)
#define END_AT 16 /* offset of the end in the header */
#define FLAGS_AT 24 /* offset of the flags */
#define LARGEST ((off_t)1 << 30) /* a larger file is not one of ours */

struct journal {
	int fd;
	char *path;
	unsigned char *map;
	size_t size;
	uint64_t *end; /* in the header */
	uint64_t *flags; /* in the header */
	int refusing; /* the last append was refused (warned once) */
};

static int
write_all(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, p, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* A new journal: zeros up to JOURNAL_SIZE (every block exists from now
 * on), then the header. */
static int
make(int fd)
{
	static const char zeros[64 * 1024];
	unsigned char head[JOURNAL_DATA];
	uint64_t end = JOURNAL_DATA;
	off_t off;

	for (off = 0; off < JOURNAL_SIZE; off += (off_t)sizeof(zeros))
		if (write_all(fd, zeros, sizeof(zeros), off) < 0)
			return -1;
	memset(head, 0, sizeof(head));
	memcpy(head, JOURNAL_MAGIC, MAGIC_LEN);
	memcpy(head + END_AT, &end, sizeof(end));
	return write_all(fd, head, sizeof(head), 0);
}

static struct journal *
fail(char *err, size_t errlen, const char *path, const char *why, int fd)
{
	snprintf(err, errlen, "%s: %s", path, why);
	if (fd >= 0)
		close(fd);
	return NULL;
}

struct journal *
journal_open(const char *state_path, char *err, size_t errlen)
{
	struct journal *j;
	struct stat sb;
	size_t n = strlen(state_path);
	char path[4096];
	void *map;
	uint64_t end;
	int fd;

	if (n + sizeof(JOURNAL_SUFFIX) > sizeof(path))
		return fail(err, errlen, state_path, "path too long", -1);
	memcpy(path, state_path, n);
	memcpy(path + n, JOURNAL_SUFFIX, sizeof(JOURNAL_SUFFIX));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
	    0600);
	if (fd < 0)
		return fail(err, errlen, path, strerror(errno), -1);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return fail(err, errlen, path, errno == EWOULDBLOCK ?
		    "in use by another mailban run" : strerror(errno), fd);
	if (fstat(fd, &sb) < 0)
		return fail(err, errlen, path, strerror(errno), fd);
	if (!S_ISREG(sb.st_mode))
		return fail(err, errlen, path, "not a regular file", fd);
	if (sb.st_size == 0) {
		if (make(fd) < 0) {
			snprintf(err, errlen, "%s: cannot make it: %s", path,
			    strerror(errno));
			if (ftruncate(fd, 0) < 0) /* the next try starts afresh */
				msg_warn("%s: truncate: %s", path, strerror(errno));
			close(fd);
			return NULL;
		}
		sb.st_size = JOURNAL_SIZE;
	}
	if (sb.st_size < JOURNAL_DATA + 1 || sb.st_size > LARGEST)
		return fail(err, errlen, path, "not a mailban journal (its size); "
		    "move it away", fd);
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (map == MAP_FAILED)
		return fail(err, errlen, path, strerror(errno), fd);
	if (memcmp(map, JOURNAL_MAGIC, MAGIC_LEN) != 0) {
		munmap(map, (size_t)sb.st_size);
		return fail(err, errlen, path, "not a mailban journal (its "
		    "header); move it away", fd);
	}
	j = xcalloc(1, sizeof(*j));
	j->fd = fd;
	j->path = xstrdup(path);
	j->map = map;
	j->size = (size_t)sb.st_size;
	j->end = (uint64_t *)(void *)(j->map + END_AT);
	j->flags = (uint64_t *)(void *)(j->map + FLAGS_AT);
	end = __atomic_load_n(j->end, __ATOMIC_ACQUIRE);
	if (end < JOURNAL_DATA || end > j->size) {
		msg_warn("%s: damaged header (end %llu of %zu bytes); its lines "
		    "are not read", path, (unsigned long long)end, j->size);
		journal_clear(j);
	}
	return j;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	munmap(j->map, j->size);
	close(j->fd); /* drops the lock */
	free(j->path);
	free(j);
}

const char *
journal_path(const struct journal *j)
{
	return j->path;
}

uint64_t
journal_size(const struct journal *j)
{
	return __atomic_load_n(j->end, __ATOMIC_ACQUIRE) - JOURNAL_DATA;
}

long
journal_replay(struct journal *j, void (*fn)(void *, const char *, size_t),
    void *ctx)
{
	const char *p = (const char *)j->map + JOURNAL_DATA;
	const char *end = (const char *)j->map +
	    __atomic_load_n(j->end, __ATOMIC_ACQUIRE);
	const char *nl;
	long n = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break; /* never written so: not a line */
		fn(ctx, p, (size_t)(nl - p));
		n++;
	}
	return n;
}

int
journal_append(struct journal *j, const char *line, size_t len)
{
	uint64_t end = __atomic_load_n(j->end, __ATOMIC_RELAXED);

	if (len >= j->size || end + len + 1 > j->size) {
		if (!j->refusing)
			msg_warn("%s: full (%zu KiB of lines not yet committed); "
			    "committing each line before it is answered", j->path,
			    j->size / 1024);
		j->refusing = 1;
		return -1;
	}
	j->refusing = 0;
	memcpy(j->map + end, line, len);
	j->map[end + len] = '\n';
	/* the line first, then the end that takes it in: a crash between the
	 * two leaves a part past the end, never read back */
	__atomic_store_n(j->end, end + len + 1, __ATOMIC_RELEASE);
	return 0;
}

uint64_t
journal_room(const struct journal *j)
{
	uint64_t end = __atomic_load_n(j->end, __ATOMIC_RELAXED);

	return end + 1 < j->size ? j->size - end - 1 : 0;
}

void
journal_set_unconfigured(struct journal *j)
{
	__atomic_store_n(j->flags, (uint64_t)JOURNAL_UNCONFIGURED,
	    __ATOMIC_RELEASE);
}

int
journal_unconfigured(const struct journal *j)
{
	return (__atomic_load_n(j->flags, __ATOMIC_ACQUIRE) &
	    JOURNAL_UNCONFIGURED) != 0;
}

void
journal_clear(struct journal *j)
{
	__atomic_store_n(j->flags, (uint64_t)0, __ATOMIC_RELEASE);
	__atomic_store_n(j->end, (uint64_t)JOURNAL_DATA, __ATOMIC_RELEASE);
}
