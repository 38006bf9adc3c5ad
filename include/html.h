/*
 * NAME
 *	html - HTML escaping and lookup URLs for the report page
 * SYNOPSIS
 *	#include "html.h"
 * DESCRIPTION
 *	html_escape() writes len bytes of text so that it is shown as text
 *	wherever it lands in an HTML document: in element content and in a
 *	single- or double-quoted attribute value alike.  & < > " ' become
 *	character references.  Valid UTF-8 passes through (the page declares
 *	UTF-8), except C1 controls and the bidirectional overrides and isolates
 *	(U+202A..U+202E, U+2066..U+2069), which could make text on the page
 *	read differently from what it is: they are shown as the visible text
 *	\uXXXX.  ASCII control bytes and bytes that are not part of valid UTF-8
 *	are shown as the visible text \xHH.  So the page is always valid UTF-8
 *	and nothing of the text can become markup.
 *
 *	html_lookup_url() builds the lookup link of an address: fmt (the
 *	validated report.lookup, which holds "%s" exactly once) with "%s"
 *	replaced by the canonical address text, which is made of [0-9a-f:.]
 *	only; a network (struct addr plen) has none (NULL): a DNSBL lists
 *	addresses.  The result still goes through html_escape() in the attribute
 *	(a query string's '&' must become "&amp;").
 * SECURITY
 *	The text comes from log lines (host, program) and from the state file
 *	(pattern names, messages): treat it all as hostile.
 */
#ifndef MAILBAN_HTML_H
#define MAILBAN_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "addr.h"

void html_escape(FILE *out, const char *text, size_t len);
/* html_escape() of a NUL-terminated string. */
void html_escape_str(FILE *out, const char *text);
/* buf, or NULL when fmt has no "%s" or the URL does not fit in len. */
char *html_lookup_url(char *buf, size_t len, const char *fmt,
    const struct addr *a);

#endif
