/*
 * NAME
 *	omprog - rsyslog's omprog confirmation and transaction protocol
 * DESCRIPTION
 *	See include/omprog.h.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "omprog.h"

static int
is(const char *line, size_t len, const char *mark)
{
	size_t n = strlen(mark);

	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len == n && memcmp(line, mark, n) == 0;
}

enum omprog_kind
omprog_classify(const char *line, size_t len)
{
	if (len == 17 || len == 18) {
		if (is(line, len, "BEGIN TRANSACTION"))
			return OMPROG_BEGIN;
	}
	if (len == 18 || len == 19) {
		if (is(line, len, "COMMIT TRANSACTION"))
			return OMPROG_COMMIT;
	}
	return OMPROG_MESSAGE;
}

int
omprog_reply(const char *answer)
{
	char buf[64];
	size_t n = strlen(answer), off = 0;
	ssize_t w;

	if (n + 1 > sizeof(buf))
		msg_panic("omprog_reply: answer too long");
	memcpy(buf, answer, n);
	buf[n++] = '\n';
	while (off < n) {
		w = write(1, buf + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			msg_warn("omprog: cannot answer on stdout: %s",
			    strerror(errno));
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}
