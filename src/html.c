/*
 * NAME
 *	html - HTML escaping and lookup URLs for the report page
 * DESCRIPTION
 *	See include/html.h.  The escaper walks the text byte by byte and
 *	writes runs of safe bytes with one fwrite.
 */
#include <string.h>

#include "html.h"

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n, unsigned long *cp)
{
	unsigned char c = p[0];
	size_t len, i;
	unsigned long v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if (v < min || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return len;
}

static int
shown_as_escape(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

void
html_escape(FILE *out, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, run = 0, k;
	unsigned long cp;

	while (i < len) {
		const char *ent = NULL;
		char esc[16];

		switch (p[i]) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		default:
			break;
		}
		if (ent == NULL && p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		k = ent == NULL && p[i] >= 0x80 ? utf8_len(p + i, len - i, &cp) : 0;
		if (k > 0 && !shown_as_escape(cp)) {
			i += k;
			continue;
		}
		fwrite(text + run, 1, i - run, out);
		if (ent != NULL) {
			fputs(ent, out);
			k = 1;
		} else if (k > 0) {
			snprintf(esc, sizeof(esc), "\\u%04lX", cp);
			fputs(esc, out);
		} else {
			snprintf(esc, sizeof(esc), "\\x%02X", (unsigned)p[i]);
			fputs(esc, out);
			k = 1;
		}
		i += k;
		run = i;
	}
	fwrite(text + run, 1, len - run, out);
}

void
html_escape_str(FILE *out, const char *text)
{
	html_escape(out, text, strlen(text));
}

char *
html_lookup_url(char *buf, size_t len, const char *fmt, const struct addr *a)
{
	const char *hole = strstr(fmt, "%s");
	char ip[ADDR_STRLEN];
	size_t pre, iplen, post;

	/* a DNSBL lists addresses: a network (a prefix) has no lookup */
	if (hole == NULL || a->plen != 0)
		return NULL;
	addr_format(a, ip);
	pre = (size_t)(hole - fmt);
	iplen = strlen(ip);
	post = strlen(hole + 2);
	if (pre + iplen + post + 1 > len)
		return NULL;
	memcpy(buf, fmt, pre);
	memcpy(buf + pre, ip, iplen);
	memcpy(buf + pre + iplen, hole + 2, post + 1);
	return buf;
}
