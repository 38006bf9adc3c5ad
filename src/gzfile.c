/*
 * NAME
 *	gzfile - what compression a file has; gzip read through zlib
 * DESCRIPTION
 *	See include/gzfile.h.  inflate() with automatic gzip header detection
 *	(windowBits 15 + 32), started again after each member's end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gzfile.h"
#include "log.h"

#define GZFILE_IN (64 * 1024)

struct gzfile {
	int fd;
	z_stream zs;
	int eof; /* no more input */
	int done; /* the last member ended at the end of the input */
	char err[160];
	unsigned char in[GZFILE_IN];
};

enum gzfile_kind
gzfile_kind(int fd)
{
	unsigned char b[6];
	ssize_t n = pread(fd, b, sizeof(b), 0);

	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return GZFILE_GZIP;
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x9d)
		return GZFILE_COMPRESS;
	if (n >= 3 && memcmp(b, "BZh", 3) == 0)
		return GZFILE_BZIP2;
	if (n >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0)
		return GZFILE_XZ;
	if (n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0)
		return GZFILE_ZSTD;
	if (n >= 4 && memcmp(b, "\x04\x22\x4d\x18", 4) == 0)
		return GZFILE_LZ4;
	return GZFILE_PLAIN;
}

const char *
gzfile_kind_name(enum gzfile_kind k)
{
	static const char *const names[] = {"plain", "gzip", "bzip2", "xz",
	    "zstd", "lz4", "compress"};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

struct gzfile *
gzfile_open(int fd)
{
	struct gzfile *gz = xcalloc(1, sizeof(*gz));

	gz->fd = fd;
	if (inflateInit2(&gz->zs, 15 + 32) != Z_OK)
		msg_fatal("zlib: inflateInit2 failed");
	return gz;
}

/* More input when none is left: 0, or -1 on a read error. */
static int
refill(struct gzfile *gz)
{
	ssize_t r;

	if (gz->zs.avail_in > 0 || gz->eof)
		return 0;
	r = read(gz->fd, gz->in, sizeof(gz->in));
	if (r < 0) {
		snprintf(gz->err, sizeof(gz->err), "read: %s", strerror(errno));
		return -1;
	}
	if (r == 0)
		gz->eof = 1;
	gz->zs.next_in = gz->in;
	gz->zs.avail_in = (uInt)r;
	return 0;
}

long
gzfile_read(void *ctx, char *buf, size_t n)
{
	struct gzfile *gz = ctx;
	int rc;

	if (n > 1u << 30)
		n = 1u << 30;
	gz->zs.next_out = (unsigned char *)buf;
	gz->zs.avail_out = (uInt)n;
	while (!gz->done && gz->zs.next_out == (unsigned char *)buf) {
		if (refill(gz) < 0)
			return -1;
		rc = inflate(&gz->zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			/* another member may follow (gzip -c a b > c) */
			if (refill(gz) < 0)
				return -1;
			if (gz->zs.avail_in == 0 && gz->eof)
				gz->done = 1;
			else if (inflateReset(&gz->zs) != Z_OK)
				rc = Z_STREAM_ERROR;
			else
				continue;
		}
		if (rc == Z_BUF_ERROR && gz->eof && gz->zs.avail_in == 0) {
			snprintf(gz->err, sizeof(gz->err),
			    "compressed data cut short");
			errno = EIO;
			return -1;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) {
			snprintf(gz->err, sizeof(gz->err), "corrupt gzip data: %s",
			    gz->zs.msg != NULL ? gz->zs.msg : "zlib error");
			errno = EIO;
			return -1;
		}
	}
	return (long)((char *)gz->zs.next_out - buf);
}

const char *
gzfile_error(const struct gzfile *gz)
{
	return gz->err;
}

void
gzfile_close(struct gzfile *gz)
{
	if (gz == NULL)
		return;
	inflateEnd(&gz->zs);
	free(gz);
}
