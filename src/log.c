/*
 * NAME
 *	log - diagnostics ladder and allocation helpers
 * DESCRIPTION
 *	See include/log.h.  All output is unbuffered stderr so that messages
 *	survive a crash and never mix with stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *progname = "mailban";
static int quiet;
static unsigned long nwarn;
static void (*warn_hook)(const char *);

void
msg_set_warn_hook(void (*fn)(const char *))
{
	warn_hook = fn;
}

void
msg_set_progname(const char *name)
{
	progname = name;
}

void
msg_set_quiet(int q)
{
	quiet = q;
}

unsigned long
msg_warn_count(void)
{
	return nwarn;
}

static void
vmsg(const char *level, const char *fmt, va_list ap)
{
	char buf[2048];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	fprintf(stderr, "%s: %s%s\n", progname, level, buf);
}

void
msg_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void
msg_warn(const char *fmt, ...)
{
	va_list ap;

	nwarn++;
	va_start(ap, fmt);
	if (warn_hook != NULL) {
		char buf[1024];
		va_list aq;

		va_copy(aq, ap);
		if (vsnprintf(buf, sizeof(buf), fmt, aq) >= 0)
			warn_hook(buf);
		va_end(aq);
	}
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void
msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}

void
msg_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	if (usage != NULL)
		fputs(usage, stderr);
	exit(2);
}

void
msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("panic: ", fmt, ap);
	va_end(ap);
	abort();
}

char *
msg_quote(char *buf, const char *text, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	char *p = buf;
	size_t i;

	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			*p++ = (char)c;
		} else {
			*p++ = '\\';
			*p++ = 'x';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	if (i < len) {
		memcpy(p, "...", 3);
		p += 3;
	}
	*p = '\0';
	return buf;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		msg_fatal("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		msg_fatal("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (p == NULL)
		msg_fatal("out of memory (%zu bytes)", n);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	if (size != 0 && n > (size_t)-1 / size)
		msg_fatal("out of memory (%zu x %zu bytes)", n, size);
	return xrealloc(old, n * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
xsnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		msg_panic("xsnprintf: output truncated (%d >= %zu)", n, len);
}
