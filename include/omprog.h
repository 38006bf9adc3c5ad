/*
 * NAME
 *	omprog - rsyslog's omprog confirmation and transaction protocol
 * DESCRIPTION
 *	With confirmMessages="on", rsyslog waits for "OK" on the program's
 *	stdout once at start and after every message; with
 *	useTransactions="on" messages come between "BEGIN TRANSACTION" and
 *	"COMMIT TRANSACTION" marks, each answered "DEFER_COMMIT", the marks
 *	"OK".  Any other answer suspends the action and makes rsyslog send the
 *	message (or transaction) again later.  Answers go out with write(2),
 *	unbuffered, at once; nothing else in mailban writes to stdout in run
 *	mode.
 */
#ifndef MAILBAN_OMPROG_H
#define MAILBAN_OMPROG_H

#include <stddef.h>

enum omprog_kind {
	OMPROG_MESSAGE,
	OMPROG_BEGIN, /* "BEGIN TRANSACTION" */
	OMPROG_COMMIT, /* "COMMIT TRANSACTION" */
};

enum omprog_kind omprog_classify(const char *line, size_t len);
/* Write answer and a newline to fd 1; 0, or -1 when stdout is gone. */
int omprog_reply(const char *answer);

#endif
