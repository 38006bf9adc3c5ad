/*
 * NAME
 *	htmlreport - the static HTML page of the bans
 * DESCRIPTION
 *	See include/htmlreport.h.  The page is written top to bottom into a
 *	stdio stream; every string that did not come from this file goes
 *	through html_escape().  Sort keys are in data-v attributes: unix
 *	seconds for times, seconds for lengths, the address bytes in hex
 *	(family first) for addresses, so that the script compares values,
 *	never the text shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"
#include "html.h"
#include "htmlreport.h"
#include "lineio.h"
#include "log.h"

/* Each part stays below C11's 4095-byte string literal minimum. */
static const char page_css[] =
    ":root{color-scheme:light}\n"
    "body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"DejaVu Sans\",sans-serif;margin:0;padding:18px 28px;color:#1d2330;"
    "background:#f5f6f8}\n"
    "h1{font-size:22px;margin:0 0 4px}\n"
    ".alert{background:#fde8e8;color:#9b1c1c;border:1px solid #f5b5b5;"
    "border-radius:4px;padding:8px 12px}\n"
    "h2{font-size:17px;margin:26px 0 8px}\n"
    ".meta,.note{color:#555d6e;margin:4px 0}\n"
    ".wrap{overflow-x:auto}\n"
    "table{border-collapse:collapse;background:#fff;"
    "box-shadow:0 1px 2px rgba(0,0,0,.12);font-variant-numeric:tabular-nums}\n"
    "th,td{padding:5px 10px;border-bottom:1px solid #e3e6eb;text-align:left;"
    "white-space:nowrap}\n"
    "th{background:#e8ecf2;font-weight:600;position:sticky;top:0}\n"
    "th[data-type]{cursor:pointer;user-select:none}\n"
    "th[data-type]:hover,th[data-type]:focus{background:#d9e0ea}\n"
    "th[aria-sort=ascending]::after{content:\" \\25B2\";font-size:10px}\n"
    "th[aria-sort=descending]::after{content:\" \\25BC\";font-size:10px}\n"
    "th.n,td.n{text-align:right}\n"
    "td.a{font-family:ui-monospace,\"DejaVu Sans Mono\",monospace}\n"
    "tbody tr:nth-child(even){background:#f8f9fb}\n"
    ".dnsbl{font-size:11px;background:#fde8e8;color:#9b1c1c;"
    "border-radius:3px;padding:0 4px;margin-left:6px}\n"
    "svg{background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.12);"
    "max-width:100%;height:auto}\n"
    ".bar{fill:#3b6ea5}.bar:hover{fill:#1f4f82}\n"
    ".grid{stroke:#e3e6eb}.axis{stroke:#8a93a3}\n"
    "svg text{font-size:11px;fill:#555d6e}\n"
    "tr.has-ev{cursor:pointer}\n"
    "tr.has-ev td:first-child::before{content:\"\\25B8 \";color:#8a93a3}\n"
    "tr.has-ev[aria-expanded=true] td:first-child::before{content:\"\\25BE \"}\n"
    "tr.ev td{white-space:normal;background:#fffbea}\n"
    "tr.ev pre{margin:4px 0;white-space:pre-wrap;word-break:break-all;"
    "font:12px/1.4 ui-monospace,\"DejaVu Sans Mono\",monospace}\n";

static const char page_js[] =
    "(function(){\"use strict\";\n"
    "function key(c,t){var v=c.getAttribute(\"data-v\");"
    "if(v===null)v=c.textContent;return t===\"num\"?Number(v):v;}\n"
    "function sort(tb,i,desc){var h=tb.tHead.rows[0].cells,"
    "t=h[i].getAttribute(\"data-type\"),b=tb.tBodies[0],"
    "r=Array.prototype.filter.call(b.rows,function(x){"
    "return !x.classList.contains(\"ev\");}),j;\n"
    " r.sort(function(x,y){var p=key(x.cells[i],t),q=key(y.cells[i],t),"
    "d=p<q?-1:p>q?1:0;return desc?-d:d;});\n"
    " for(j=0;j<r.length;j++){b.appendChild(r[j]);"
    "if(r[j].evRow)b.appendChild(r[j].evRow);}\n"
    " for(j=0;j<h.length;j++)h[j].removeAttribute(\"aria-sort\");\n"
    " h[i].setAttribute(\"aria-sort\",desc?\"descending\":\"ascending\");}\n"
    "function fromHash(){var m=/^#sort=(-?)([a-z]+)$/.exec(location.hash),"
    "tb=document.getElementById(\"bans\"),h,i;if(!m||!tb)return;\n"
    " h=tb.tHead.rows[0].cells;for(i=0;i<h.length;i++)"
    "if(h[i].getAttribute(\"data-key\")===m[2])sort(tb,i,m[1]===\"-\");}\n"
    "Array.prototype.forEach.call(document.querySelectorAll("
    "\"table.sortable\"),function(tb){\n"
    " Array.prototype.forEach.call(tb.tHead.rows[0].cells,function(th,i){\n"
    "  if(!th.hasAttribute(\"data-type\"))return;th.tabIndex=0;\n"
    "  function go(){var desc=th.getAttribute(\"aria-sort\")===\"ascending\","
    "k=th.getAttribute(\"data-key\");sort(tb,i,desc);\n"
    "   if(k&&tb.id===\"bans\")try{history.replaceState(null,\"\","
    "\"#sort=\"+(desc?\"-\":\"\")+k);}catch(e){}}\n"
    "  th.addEventListener(\"click\",go);\n"
    "  th.addEventListener(\"keydown\",function(e){if(e.key===\"Enter\"||"
    "e.key===\" \"){e.preventDefault();go();}});});});\n"
    "function toggle(r){var e=r.evRow,src,td;\n"
    " if(e){e.parentNode.removeChild(e);r.evRow=null;"
    "r.setAttribute(\"aria-expanded\",\"false\");return;}\n"
    " src=document.getElementById(\"ev-\"+r.cells[0].getAttribute(\"data-v\"));"
    "e=document.createElement(\"tr\");e.className=\"ev\";\n"
    " td=document.createElement(\"td\");td.colSpan=r.cells.length;"
    "td.appendChild(src.cloneNode(true));td.firstChild.removeAttribute(\"id\");"
    "e.appendChild(td);\n"
    " r.parentNode.insertBefore(e,r.nextSibling);r.evRow=e;"
    "r.setAttribute(\"aria-expanded\",\"true\");}\n"
    "(function(){var tb=document.getElementById(\"bans\");if(!tb)return;\n"
    " Array.prototype.forEach.call(tb.tBodies[0].rows,function(r){\n"
    "  if(!document.getElementById(\"ev-\"+r.cells[0].getAttribute(\"data-v\")))"
    "return;\n"
    "  r.classList.add(\"has-ev\");r.tabIndex=0;"
    "r.setAttribute(\"aria-expanded\",\"false\");"
    "r.title=\"the log lines behind this ban\";});\n"
    " tb.tBodies[0].addEventListener(\"click\",function(e){"
    "var r=e.target.closest(\"tr.has-ev\");\n"
    "  if(r&&!e.target.closest(\"a\"))toggle(r);});\n"
    " tb.tBodies[0].addEventListener(\"keydown\",function(e){"
    "var r=e.target.closest(\"tr.has-ev\");\n"
    "  if(r&&e.target===r&&(e.key===\"Enter\"||e.key===\" \")){"
    "e.preventDefault();toggle(r);}});})();\n"
    "window.addEventListener(\"hashchange\",fromHash);fromHash();})();\n";

/*
 * The page's Content-Security-Policy: nothing external, no inline code
 * but the two blocks above, named by their SHA-256 (base64).  Whoever
 * changes page_css or page_js changes the hash beside it: test/report
 * computes both from the page and Chromium refuses a block that does not
 * match.
 *	python3 -c 'import base64,hashlib,sys; print(base64.b64encode(
 *	    hashlib.sha256(sys.stdin.buffer.read()).digest()).decode())'
 * over the text between <style> and </style> (or <script>, </script>).
 */
#define PAGE_CSS_SHA256 "BckFH46NNv00KeEjB0tS8CljfeamfDCiL7ETBLPbr3c="
#define PAGE_JS_SHA256 "LNzVFrOp1YTDqEXT1JbOVu7h1OSO7o7VQV30+ZVlWGw="
#define PAGE_CSP "default-src 'none'; script-src 'sha256-" PAGE_JS_SHA256 \
	"'; style-src 'sha256-" PAGE_CSS_SHA256 "'; base-uri 'none'; " \
	"form-action 'none'"

static int
is_dnsbl(const struct config *cfg, const char *pattern)
{
	size_t i;

	for (i = 0; i < cfg->nreport_dnsbl; i++)
		if (fnmatch(cfg->report_dnsbl[i], pattern, 0) == 0)
			return 1;
	return 0;
}

/* "2026-11-27 08:07:12" from fmt_time()'s "2026-11-27T08:07:12Z". */
static const char *
shown_time(char *buf, size_t len, const char *iso)
{
	char *p;

	snprintf(buf, len, "%s", iso);
	if ((p = strchr(buf, 'T')) != NULL)
		*p = ' ';
	if ((p = strchr(buf, 'Z')) != NULL)
		*p = '\0';
	return buf;
}

/* The time in a <time> element, the value in data-v. */
static void
time_cell(FILE *out, int64_t t)
{
	char tb[32], shown[32];

	fmt_time(tb, sizeof(tb), t);
	fprintf(out, "<td class=\"n\" data-v=\"%" PRId64 "\"><time datetime=\"",
	    t);
	html_escape_str(out, tb);
	fputs("\">", out);
	html_escape_str(out, shown_time(shown, sizeof(shown), tb));
	fputs("</time></td>", out);
}

static void
text_cell(FILE *out, const char *cls, const char *text)
{
	fprintf(out, "<td%s>", cls);
	html_escape_str(out, text);
	fputs("</td>", out);
}

static void
ban_row(FILE *out, const struct state_ban *b, const struct config *cfg,
    int64_t now)
{
	char ip[ADDR_STRLEN], url[1200], db[32];
	int i, nb = b->addr.family == ADDR_V4 ? 4 : 16;

	addr_format(&b->addr, ip);
	fprintf(out, "<tr><td class=\"a\" data-v=\"%d", b->addr.family);
	for (i = 0; i < nb; i++)
		fprintf(out, "%02x", b->addr.bytes[i]);
	fputs("\">", out);
	html_escape_str(out, ip);
	fputs("</td>", out);
	text_cell(out, "", b->pattern);
	text_cell(out, "", b->program);
	text_cell(out, "", b->host);
	time_cell(out, b->first_ban);
	time_cell(out, b->last_ban);
	fprintf(out, "<td class=\"n\" data-v=\"%u\">%u</td>", b->count, b->count);
	fprintf(out, "<td class=\"n\" data-v=\"%" PRId64 "\">", b->duration);
	html_escape_str(out, fmt_duration(db, sizeof(db), b->duration));
	fprintf(out, "</td><td class=\"n\" data-v=\"%" PRId64 "\">",
	    b->until - now);
	html_escape_str(out, fmt_left(db, sizeof(db), b->until - now));
	fputs("</td><td>", out);
	if (cfg->report_lookup[0] != '\0' && is_dnsbl(cfg, b->pattern) &&
	    html_lookup_url(url, sizeof(url), cfg->report_lookup, &b->addr) !=
	    NULL) {
		fputs("<a rel=\"noopener noreferrer nofollow\" href=\"", out);
		html_escape_str(out, url);
		fputs("\">lookup</a>", out);
	}
	fputs("</td></tr>\n", out);
}

/*
 * The evidence of each listed ban, hidden: the script shows it under the
 * ban's row when the row is opened (id "ev-" and the address cell's
 * data-v, the address bytes in hex).
 */
static void
evidence_store(FILE *out, const struct summary *s)
{
	const struct summary_evidence *e;
	char tb[32], shown[32];
	size_t i, k;
	int nb, j;

	fputs("<div id=\"evidence\" hidden>\n", out);
	for (i = 0; i < s->nbans && s->ev_count != NULL; i++) {
		if (s->ev_count[i] == 0)
			continue;
		nb = s->bans[i].addr.family == ADDR_V4 ? 4 : 16;
		fprintf(out, "<div class=\"ev\" id=\"ev-%d", s->bans[i].addr.family);
		for (j = 0; j < nb; j++)
			fprintf(out, "%02x", s->bans[i].addr.bytes[j]);
		fprintf(out, "\">The last %zu log line%s that scored (bytes outside "
		    "printable ASCII as \\xHH):<pre>", s->ev_count[i],
		    s->ev_count[i] == 1 ? "" : "s");
		for (k = 0; k < s->ev_count[i]; k++) {
			e = &s->evidence[s->ev_first[i] + k];
			fmt_time(tb, sizeof(tb), e->time);
			html_escape_str(out, shown_time(shown, sizeof(shown), tb));
			fputc(' ', out);
			html_escape_str(out, e->pattern);
			fprintf(out, " %+ld\n  ", e->score);
			html_escape_str(out, e->line);
			fputc('\n', out);
		}
		fputs("</pre></div>\n", out);
	}
	fputs("</div>\n", out);
}

static void
bans_table(FILE *out, const struct summary *s, const struct config *cfg)
{
	static const char head[] =
	    "<div class=\"wrap\"><table id=\"bans\" class=\"sortable\">\n"
	    "<thead><tr>"
	    "<th data-key=\"address\" data-type=\"addr\">Address</th>"
	    "<th data-key=\"pattern\" data-type=\"text\">Pattern</th>"
	    "<th data-key=\"program\" data-type=\"text\">Program</th>"
	    "<th data-key=\"host\" data-type=\"text\">Host</th>"
	    "<th data-key=\"first\" data-type=\"num\" class=\"n\">First ban</th>"
	    "<th data-key=\"last\" data-type=\"num\" class=\"n\">Last ban</th>"
	    "<th data-key=\"count\" data-type=\"num\" class=\"n\">Bans</th>"
	    "<th data-key=\"length\" data-type=\"num\" class=\"n\">Length</th>"
	    "<th data-key=\"left\" data-type=\"num\" class=\"n\">Left</th>"
	    "<th>DNSBL</th></tr></thead>\n<tbody>\n";
	uint64_t total = s->active4 + s->active6;
	size_t i;

	fputs("<section id=\"active\"><h2>Active bans</h2>\n", out);
	fputs("<p class=\"note\">Click a column heading to sort by it; the "
	    "order is kept in the address (#sort=count, #sort=-last, ...). "
	    "Click a ban marked &#9656; to see the log lines behind it. "
	    "Times are UTC; the time left is as of the page's time.</p>\n", out);
	fputs(head, out);
	for (i = 0; i < s->nbans; i++)
		ban_row(out, &s->bans[i], cfg, s->now);
	fputs("</tbody></table></div>\n", out);
	evidence_store(out, s);
	if (total == 0)
		fputs("<p class=\"note\" id=\"none\">No active bans.</p>\n", out);
	else if (s->nbans < total)
		fprintf(out, "<p class=\"note\" id=\"more\">The newest %zu of %"
		    PRIu64 " active bans are listed.</p>\n", s->nbans, total);
	fputs("</section>\n", out);
}

static void
num_cell(FILE *out, uint64_t v)
{
	fprintf(out, "<td class=\"n\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td>",
	    v, v);
}

static void
patterns_table(FILE *out, const struct summary *s, const struct config *cfg)
{
	static const char head[] =
	    "<div class=\"wrap\"><table id=\"patterns\" class=\"sortable\">\n"
	    "<thead><tr><th data-type=\"text\">Pattern</th>"
	    "<th data-type=\"num\" class=\"n\">Active</th>"
	    "<th data-type=\"num\" class=\"n\">Bans 24 h</th>"
	    "<th data-type=\"num\" class=\"n\">Bans 7 d</th>"
	    "<th data-type=\"num\" class=\"n\">Bans, all</th>"
	    "<th data-type=\"num\" class=\"n\">Matches 24 h</th>"
	    "<th data-type=\"num\" class=\"n\">Matches 7 d</th>"
	    "<th data-type=\"num\" class=\"n\">Matches, all</th>"
	    "</tr></thead>\n<tbody>\n";
	size_t i;

	fputs("<section id=\"totals\"><h2>Per pattern</h2>\n"
	    "<p class=\"note\">Hourly counters: \"24 h\" and \"7 d\" cover the "
	    "clock hours that overlap them; \"all\" is as far back as the state "
	    "file keeps.</p>\n", out);
	fputs(head, out);
	for (i = 0; i < s->npatterns; i++) {
		const struct summary_pattern *p = &s->patterns[i];

		fputs("<tr><td>", out);
		html_escape_str(out, p->name);
		if (is_dnsbl(cfg, p->name))
			fputs("<span class=\"dnsbl\">DNSBL</span>", out);
		fputs("</td>", out);
		num_cell(out, p->active);
		num_cell(out, p->bans[SW_DAY]);
		num_cell(out, p->bans[SW_WEEK]);
		num_cell(out, p->bans[SW_ALL]);
		num_cell(out, p->matches[SW_DAY]);
		num_cell(out, p->matches[SW_WEEK]);
		num_cell(out, p->matches[SW_ALL]);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table></div>\n</section>\n", out);
}

/* Lines read and not acted on: how many, by kind and program. */
/* A DNSBL refusing this server's queries: said first, in red. */
static void
dnsbl_error_banner(FILE *out, const struct summary *s)
{
	uint64_t count = 0;
	size_t i;

	for (i = 0; i < s->nnotices; i++)
		if (strcmp(s->notices[i].kind, "dnsbl-error") == 0)
			count += s->notices[i].count;
	if (count == 0)
		return;
	fprintf(out, "<p id=\"dnsbl-error\" class=\"alert\"><strong>DNSBL "
	    "error:</strong> a DNSBL is refusing this server's queries "
	    "(<span id=\"dnsbl-errors\">%" PRIu64 "</span> line%s): the MTA "
	    "rejects clients that are not listed.  These lines are never "
	    "scored.  Fix the MTA's DNSBL setup; the lines are listed under "
	    "<a href=\"#notices\">Lines not acted on</a>.</p>\n", count,
	    count == 1 ? "" : "s");
}

static void
notices_table(FILE *out, const struct summary *s)
{
	size_t i;

	if (s->nnotices == 0)
		return;
	fputs("<section id=\"notices\"><h2>Lines not acted on</h2>\n"
	    "<p class=\"note\">untrusted: written by a process that is not the "
	    "MTA it names; unmatched: an MTA's reject or failure that no "
	    "pattern reads (a format change?); dnsbl-error: a DNSBL refusing "
	    "this server's queries.  <code>mailban status</code> shows "
	    "examples.</p>\n<div class=\"wrap\"><table id=\"notice-counts\">\n"
	    "<thead><tr><th>Kind</th><th>Program</th>"
	    "<th class=\"n\">Lines</th><th>Last</th></tr></thead>\n<tbody>\n",
	    out);
	for (i = 0; i < s->nnotices; i++) {
		const struct summary_notice *n = &s->notices[i];

		fputs("<tr><td>", out);
		html_escape_str(out, n->kind);
		fputs("</td><td>", out);
		html_escape_str(out, n->program);
		fputs("</td>", out);
		num_cell(out, n->count);
		time_cell(out, n->last);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table></div>\n</section>\n", out);
}

/* The smallest of 1, 2, 5 x 10^k with max / step <= 5 (max >= 1). */
static uint64_t
tick_step(uint64_t max)
{
	static const uint64_t m[] = {1, 2, 5};
	uint64_t p = 1;
	size_t i;

	for (;;) {
		for (i = 0; i < 3; i++)
			if ((max + m[i] * p - 1) / (m[i] * p) <= 5)
				return m[i] * p;
		p *= 10;
	}
}

#define CH_W 760.0
#define CH_H 220.0
#define CH_L 48.0 /* room for the y labels */
#define CH_R 12.0
#define CH_T 14.0
#define CH_B 30.0 /* room for the x labels */

static void
chart(FILE *out, const struct summary *s)
{
	double pw = CH_W - CH_L - CH_R, ph = CH_H - CH_T - CH_B;
	double slot = pw / SUMMARY_DAYS, bw = slot * 0.72, x, y, h;
	uint64_t max = 1, step, top, v, total = 0;
	char tb[32];
	int i;

	for (i = 0; i < SUMMARY_DAYS; i++) {
		if (s->perday[i] > max)
			max = s->perday[i];
		total += s->perday[i];
	}
	step = tick_step(max);
	top = (max + step - 1) / step * step;
	fprintf(out, "<section id=\"history\"><h2>Bans per day, last %d days "
	    "(UTC)</h2>\n<p class=\"note\">%" PRIu64 " ban decision%s in these "
	    "%d days.</p>\n", SUMMARY_DAYS, total, total == 1 ? "" : "s",
	    SUMMARY_DAYS);
	fprintf(out, "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"Bans per day over the last %d days\">\n",
	    CH_W, CH_H, CH_W, CH_H, SUMMARY_DAYS);
	for (v = 0; v <= top; v += step) {
		y = CH_T + ph - ph * (double)v / (double)top;
		fprintf(out, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" "
		    "y1=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"end\">%" PRIu64 "</text>\n",
		    v == 0 ? "axis" : "grid", CH_L, CH_W - CH_R, y, y, CH_L - 6,
		    y + 4, v);
	}
	for (i = 0; i < SUMMARY_DAYS; i++) {
		fmt_time(tb, sizeof(tb), (s->first_day + i) * SECONDS_DAY);
		tb[10] = '\0';
		h = ph * (double)s->perday[i] / (double)top;
		x = CH_L + slot * i + (slot - bw) / 2;
		fprintf(out, "<rect class=\"bar\" data-day=\"%s\" data-bans=\"%"
		    PRIu64 "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\"><title>%s: %" PRIu64 " ban%s</title></rect>\n",
		    tb, s->perday[i], x, CH_T + ph - h, bw, h, tb, s->perday[i],
		    s->perday[i] == 1 ? "" : "s");
		if ((SUMMARY_DAYS - 1 - i) % 5 == 0)
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\">%s</text>\n",
			    x + bw / 2, CH_H - CH_B + 18, tb + 5);
	}
	fputs("</svg>\n</section>\n", out);
}

void
htmlreport_page(FILE *out, const struct summary *s, const struct config *cfg,
    int exists)
{
	uint64_t total = s->active4 + s->active6;
	char tb[32], shown[32];

	fmt_time(tb, sizeof(tb), s->now);
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    PAGE_CSP "\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"mailban\">\n"
	    "<title>mailban: %" PRIu64 " active ban%s</title>\n<style>",
	    total, total == 1 ? "" : "s");
	fputs(page_css, out);
	fputs("</style>\n</head>\n<body>\n<header>\n"
	    "<h1>Mail clients banned by mailban</h1>\n<p class=\"meta\">", out);
	if (exists)
		fprintf(out, "<span id=\"total\">%" PRIu64 "</span> active ban%s "
		    "(IPv4 %" PRIu64 ", IPv6 %" PRIu64 "), %" PRIu64
		    " address%s on record. ", total, total == 1 ? "" : "s",
		    s->active4, s->active6, s->addresses,
		    s->addresses == 1 ? "" : "es");
	else
		fputs("No state file yet: nothing has been banned. ", out);
	fputs("Generated <time id=\"generated\" datetime=\"", out);
	html_escape_str(out, tb);
	fputs("\">", out);
	html_escape_str(out, shown_time(shown, sizeof(shown), tb));
	fputs(" UTC</time>.</p>\n</header>\n<main>\n", out);
	dnsbl_error_banner(out, s);
	chart(out, s);
	bans_table(out, s, cfg);
	patterns_table(out, s, cfg);
	notices_table(out, s);
	fputs("</main>\n<script>", out);
	fputs(page_js, out);
	fputs("</script>\n</body>\n</html>\n", out);
}

struct page_arg {
	const struct summary *s;
	const struct config *cfg;
	int exists;
};

static int
page_put(FILE *out, void *v)
{
	struct page_arg *p = v;

	htmlreport_page(out, p->s, p->cfg, p->exists);
	return 0;
}

int
htmlreport_write(const char *path, const struct summary *s,
    const struct config *cfg, int exists)
{
	struct page_arg p = {s, cfg, exists};

	return file_replace(path, "report", page_put, &p);
}

int
htmlreport_update(struct state *st, const struct config *cfg,
    const char *path, int64_t now)
{
	struct summary s;
	int rc;

	if (summary_load(st, now, HTMLREPORT_MAX_ROWS, &s) < 0) {
		msg_warn("report %s: cannot read the state; page not written",
		    path);
		return -1;
	}
	rc = htmlreport_write(path, &s, cfg, 1);
	summary_free(&s);
	return rc;
}
