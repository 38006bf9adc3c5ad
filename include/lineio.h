/*
 * NAME
 *	lineio - bounded block reader that hands out lines without copying
 * DESCRIPTION
 *	lineio_fill() does one read(2) of up to LINEIO_BLOCK bytes into the
 *	buffer; lineio_next() hands out the next complete line (without its
 *	newline) as a pointer into the buffer, valid until the next fill.
 *	A line longer than maxline is cut: its first maxline bytes are handed
 *	out with *truncated set, the rest is discarded up to the next newline
 *	and the line counted in lr->overlong.  A last line without newline is
 *	handed out at EOF.  Memory is fixed: LINEIO_BLOCK + maxline bytes.
 *
 *	file_replace() is the other way: it writes a whole file through
 *	write(out, arg) into a temporary file beside path (".NAME.XXXXXX",
 *	mode 0644), syncs it, renames it over path and syncs the directory,
 *	so that a reader sees the old file or the new one, never a part.  A
 *	write() returning < 0 means "nothing to write": the temporary file
 *	is removed.  Failures are warned about under what ("report",
 *	"metrics"); returns 0 when path was replaced, else -1.
 * SECURITY
 *	Input is hostile: any byte, any length.
 */
#ifndef MAILBAN_LINEIO_H
#define MAILBAN_LINEIO_H

#include <stdio.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LINEIO_BLOCK (256 * 1024)
#define LINEIO_MAXLINE (16 * 1024)

enum lineio_status {
	LINEIO_LINE = 1, /* *line, *len set */
	LINEIO_NEED = 0, /* call lineio_fill() */
	LINEIO_EOF = -1, /* nothing left */
};

struct lineio {
	int fd;
	/* NULL: read(2) on fd; else what fills the buffer (gzfile_read) */
	long (*rd)(void *ctx, char *buf, size_t n);
	void *rdctx;
	char *buf;
	size_t cap, start, end, scan;
	size_t maxline;
	int eof;
	int discarding;
	uint64_t overlong;
	uint64_t bytes;
};

void lineio_init(struct lineio *lr, int fd, size_t maxline);
/*
 * Read through rd instead of read(2): it returns bytes read, 0 at the end,
 * -1 on error with errno set.
 */
void lineio_set_reader(struct lineio *lr, long (*rd)(void *, char *, size_t),
    void *ctx);
void lineio_free(struct lineio *lr);
/* >0 bytes read, 0 at EOF, -1 on error (errno set; EINTR/EAGAIN included). */
long lineio_fill(struct lineio *lr);
enum lineio_status lineio_next_slow(struct lineio *lr, const char **line,
    size_t *len, int *truncated);

/*
 * The next line.  Inline for the common case, a whole line in the buffer
 * and not over-long: the memchr and the few stores, in the caller's loop;
 * the rest (over-long lines, the discarded tail, a partial line, EOF) in
 * lineio_next_slow(), which searches again from the same place.
 */
static inline enum lineio_status
lineio_next(struct lineio *lr, const char **line, size_t *len, int *truncated)
{
	char *buf = lr->buf, *nl;
	size_t start = lr->start, at;

	if (!lr->discarding &&
	    (nl = memchr(buf + lr->scan, '\n', lr->end - lr->scan)) != NULL &&
	    (at = (size_t)(nl - buf)) - start <= lr->maxline) {
		*line = buf + start;
		*len = at - start;
		*truncated = 0;
		lr->start = lr->scan = at + 1;
		return LINEIO_LINE;
	}
	return lineio_next_slow(lr, line, len, truncated);
}

int file_replace(const char *path, const char *what,
    int (*write)(FILE *out, void *arg), void *arg);

#endif
