/*
 * NAME
 *	log - diagnostics ladder and allocation helpers
 * SYNOPSIS
 *	#include "log.h"
 * DESCRIPTION
 *	msg_info() and msg_warn() report and carry on; msg_fatal() reports a
 *	broken environment and exits with status 1; msg_usage() reports a
 *	command line or configuration the program cannot take, then the usage
 *	text when one is given, and exits with status 2; msg_panic() reports a
 *	bug and aborts.  Everything goes to stderr, prefixed with the program name;
 *	stdout belongs to reports and to the omprog protocol.
 *
 *	x*alloc() never return NULL: an allocation failure ends the program here,
 *	in one place.  xfree-style destructors elsewhere accept NULL.
 * SECURITY
 *	Never pass log text as a format: use "%s" with msg_quote(), which
 *	escapes and truncates untrusted bytes.
 */
#ifndef MAILBAN_LOG_H
#define MAILBAN_LOG_H

#include <stdarg.h>
#include <stddef.h>

#define MB_PRINTF(a, b) __attribute__((format(printf, a, b)))

void msg_set_progname(const char *name);
void msg_set_quiet(int quiet);
void msg_info(const char *fmt, ...) MB_PRINTF(1, 2);
void msg_warn(const char *fmt, ...) MB_PRINTF(1, 2);
_Noreturn void msg_fatal(const char *fmt, ...) MB_PRINTF(1, 2);
/* usage: NULL, or lines ("usage: mailban ...\n") printed after the message. */
_Noreturn void msg_usage(const char *usage, const char *fmt, ...)
    MB_PRINTF(2, 3);
_Noreturn void msg_panic(const char *fmt, ...) MB_PRINTF(1, 2);
/* fn sees the text of every later msg_warn() (run keeps the last ones). */
void msg_set_warn_hook(void (*fn)(const char *));
/* Number of msg_warn() calls so far. */
unsigned long msg_warn_count(void);

/*
 * Copy at most max bytes of untrusted text into buf as printable ASCII,
 * escaping everything else as \xHH; returns buf.  buf must hold
 * 4 * max + 4 bytes; "..." marks truncation.
 */
char *msg_quote(char *buf, const char *text, size_t len, size_t max);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* snprintf that panics on truncation (for buffers we sized ourselves). */
void xsnprintf(char *buf, size_t len, const char *fmt, ...) MB_PRINTF(3, 4);

#endif
