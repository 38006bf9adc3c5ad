/*
 * NAME
 *	lineio - bounded block reader that hands out lines without copying
 * DESCRIPTION
 *	See include/lineio.h.  Data lives in buf[start, end); scan marks how far
 *	a newline has already been searched for, so that a long partial line
 *	is never searched twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lineio.h"
#include "log.h"

void
lineio_init(struct lineio *lr, int fd, size_t maxline)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
	lr->maxline = maxline ? maxline : LINEIO_MAXLINE;
	lr->cap = LINEIO_BLOCK + lr->maxline + 1;
	lr->buf = xmalloc(lr->cap);
}

void
lineio_free(struct lineio *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

void
lineio_set_reader(struct lineio *lr, long (*rd)(void *, char *, size_t),
    void *ctx)
{
	lr->rd = rd;
	lr->rdctx = ctx;
}

long
lineio_fill(struct lineio *lr)
{
	ssize_t n;

	if (lr->eof)
		return 0;
	if (lr->start > 0 && lr->cap - lr->end < LINEIO_BLOCK) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->scan -= lr->start;
		lr->start = 0;
	}
	if (lr->rd != NULL)
		n = lr->rd(lr->rdctx, lr->buf + lr->end, lr->cap - lr->end);
	else
		n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
	if (n < 0)
		return -1;
	if (n == 0) {
		lr->eof = 1;
		return 0;
	}
	lr->end += (size_t)n;
	lr->bytes += (uint64_t)n;
	return n;
}

enum lineio_status
lineio_next_slow(struct lineio *lr, const char **line, size_t *len, int *truncated)
{
	char *nl;

	for (;;) {
		nl = memchr(lr->buf + lr->scan, '\n', lr->end - lr->scan);
		if (lr->discarding) {
			if (nl == NULL) {
				lr->start = lr->scan = lr->end;
				return lr->eof ? LINEIO_EOF : LINEIO_NEED;
			}
			lr->discarding = 0;
			lr->start = lr->scan = (size_t)(nl - lr->buf) + 1;
			continue;
		}
		if (nl != NULL && (size_t)(nl - lr->buf) - lr->start <= lr->maxline) {
			*line = lr->buf + lr->start;
			*len = (size_t)(nl - lr->buf) - lr->start;
			*truncated = 0;
			lr->start = lr->scan = (size_t)(nl - lr->buf) + 1;
			return LINEIO_LINE;
		}
		if (lr->end - lr->start > lr->maxline) {
			/* over-long: hand out the head, drop the rest */
			*line = lr->buf + lr->start;
			*len = lr->maxline;
			*truncated = 1;
			lr->overlong++;
			if (nl != NULL) {
				lr->start = lr->scan = (size_t)(nl - lr->buf) + 1;
			} else {
				/* the head stays valid until the next fill */
				lr->start = lr->scan = lr->end;
				lr->discarding = 1;
			}
			return LINEIO_LINE;
		}
		lr->scan = lr->end;
		if (lr->eof) {
			if (lr->start == lr->end)
				return LINEIO_EOF;
			*line = lr->buf + lr->start;
			*len = lr->end - lr->start;
			*truncated = 0;
			lr->start = lr->scan = lr->end;
			return LINEIO_LINE;
		}
		return LINEIO_NEED;
	}
}

int
file_replace(const char *path, const char *what,
    int (*write)(FILE *out, void *arg), void *arg)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash == NULL ? 1 : (size_t)(slash - path), n;
	char *tmp, *dir;
	FILE *out;
	int fd, dfd, rc = -1;

	dir = slash == NULL ? xstrdup(".") :
	    xstrndup(path, dlen == 0 ? 1 : dlen);
	n = strlen(dir) + strlen(path) + 16;
	tmp = xmalloc(n);
	/* a dot name: node_exporter reads *.prom only, a browser the name */
	xsnprintf(tmp, n, "%s/.%s.XXXXXX", dir,
	    slash == NULL ? path : slash + 1);
	if ((fd = mkstemp(tmp)) < 0) {
		msg_warn("%s %s: cannot create a temporary file in %s: %s",
		    what, path, dir, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || (out = fdopen(fd, "w")) == NULL) {
		msg_warn("%s %s: %s", what, tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (write(out, arg) < 0) {
		fclose(out);
		unlink(tmp);
		goto out;
	}
	if (fflush(out) != 0 || ferror(out) || fsync(fd) < 0) {
		msg_warn("%s %s: write: %s", what, tmp, strerror(errno));
		fclose(out);
		unlink(tmp);
		goto out;
	}
	if (fclose(out) != 0 || rename(tmp, path) < 0) {
		msg_warn("%s %s: %s", what, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* the rename itself survives a crash once the directory is synced */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	free(tmp);
	free(dir);
	return rc;
}
