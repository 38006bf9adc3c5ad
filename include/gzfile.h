/*
 * NAME
 *	gzfile - what compression a file has; gzip read through zlib
 * DESCRIPTION
 *	The only zlib user.  gzfile_kind() tells a file's compression by its
 *	first bytes (rotated logs are mail.log.2.gz): GZFILE_PLAIN,
 *	GZFILE_GZIP, or another that mailban cannot read (bzip2, xz, zstd,
 *	lz4, compress), named by gzfile_kind_name(), so that the caller says
 *	so instead of counting its bytes as malformed lines.
 *	gzfile_open() reads a gzip file (several members, as gzip -c a b
 *	writes them, too); gzfile_read() is a lineio reader
 *	(lineio_set_reader): bytes, 0 at the end, -1 on a corrupt or cut
 *	file, with the reason in gzfile_error().
 * SECURITY
 *	The compressed bytes are hostile: zlib checks them (CRC, length);
 *	output is bounded by the caller's buffer.
 */
#ifndef MAILBAN_GZFILE_H
#define MAILBAN_GZFILE_H

#include <stddef.h>

enum gzfile_kind {
	GZFILE_PLAIN,
	GZFILE_GZIP,
	GZFILE_BZIP2,
	GZFILE_XZ,
	GZFILE_ZSTD,
	GZFILE_LZ4,
	GZFILE_COMPRESS, /* .Z */
};

struct gzfile;

/* The kind of the file open on fd, from its first bytes (pread: the
 * position is not moved); GZFILE_PLAIN for what cannot be told (a pipe). */
enum gzfile_kind gzfile_kind(int fd);
const char *gzfile_kind_name(enum gzfile_kind k);
/* fd stays the caller's. */
struct gzfile *gzfile_open(int fd);
long gzfile_read(void *gz, char *buf, size_t n);
const char *gzfile_error(const struct gzfile *gz);
void gzfile_close(struct gzfile *gz);

#endif
