/*
 * NAME
 *	journal - the lines whose effects are not yet committed
 * DESCRIPTION
 *	See include/journal.h.
 * SECURITY
 *	The lines are hostile input, written and read back as bytes; the file
 *	is created mode 0600 (it holds log lines) and never followed through
 *	a symbolic link.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"

struct journal {
	int fd;
	char *path;
	uint64_t size;
	int failing; /* the last append failed (warned once) */
	int torn; /* part of a line could not be cut off: no appends until
		   * the file is emptied, or it would join the next line */
};

struct journal *
journal_open(const char *state_path, char *err, size_t errlen)
{
	struct journal *j;
	struct stat sb;
	size_t n = strlen(state_path);
	char *path = xmalloc(n + sizeof(JOURNAL_SUFFIX));
	int fd;

	memcpy(path, state_path, n);
	memcpy(path + n, JOURNAL_SUFFIX, sizeof(JOURNAL_SUFFIX));
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "%s: %s", path, errno == EWOULDBLOCK ?
		    "in use by another mailban run" : strerror(errno));
		close(fd);
		free(path);
		return NULL;
	}
	errno = 0;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, errno != 0 ?
		    strerror(errno) : "not a regular file");
		close(fd);
		free(path);
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	j->fd = fd;
	j->path = path;
	j->size = (uint64_t)sb.st_size;
	return j;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
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
	return j->size;
}

long
journal_replay(struct journal *j, void (*fn)(void *, const char *, size_t),
    void *ctx)
{
	size_t size, got = 0;
	char *buf, *p, *end, *nl;
	ssize_t r;
	long n = 0;

	if (j->size == 0)
		return 0;
	if (j->size > JOURNAL_MAX + (uint64_t)1024 * 1024) {
		msg_warn("%s: %llu bytes, more than mailban ever writes; "
		    "not read", j->path, (unsigned long long)j->size);
		return -1;
	}
	size = (size_t)j->size;
	buf = xmalloc(size);
	while (got < size) {
		r = pread(j->fd, buf + got, size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			msg_warn("%s: read: %s", j->path,
			    r < 0 ? strerror(errno) : "shorter than its size");
			free(buf);
			return -1;
		}
		got += (size_t)r;
	}
	end = buf + size;
	for (p = buf; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break; /* a write cut short: its line was never answered */
		fn(ctx, p, (size_t)(nl - p));
		n++;
	}
	free(buf);
	return n;
}

int
journal_append(struct journal *j, const char *line, size_t len)
{
	struct iovec iov[2];
	ssize_t w;

	if (j->torn)
		return -1;
	if (j->size + len + 1 > JOURNAL_MAX) {
		if (!j->failing)
			msg_warn("%s: full (%d MiB of lines not yet committed); "
			    "committing each line before it is answered",
			    j->path, JOURNAL_MAX / (1024 * 1024));
		j->failing = 1;
		return -1;
	}
	iov[0].iov_base = (void *)(uintptr_t)line;
	iov[0].iov_len = len;
	iov[1].iov_base = "\n";
	iov[1].iov_len = 1;
	do
		w = writev(j->fd, iov, 2);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)(len + 1)) {
		j->size += len + 1;
		j->failing = 0;
		return 0;
	}
	if (!j->failing)
		msg_warn("%s: write: %s; committing each line before it is "
		    "answered", j->path, w < 0 ? strerror(errno) : "short write");
	j->failing = 1;
	/* a part written would join the next line: cut it off */
	if (w > 0 && ftruncate(j->fd, (off_t)j->size) < 0) {
		msg_warn("%s: truncate: %s", j->path, strerror(errno));
		j->torn = 1;
	}
	return -1;
}

int
journal_clear(struct journal *j)
{
	if (j->size == 0 && !j->torn)
		return 0;
	if (ftruncate(j->fd, 0) < 0) {
		msg_warn("%s: truncate: %s", j->path, strerror(errno));
		return -1;
	}
	j->size = 0;
	j->torn = 0;
	return 0;
}
