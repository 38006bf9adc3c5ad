/* Unit tests for the report page: HTML escaping, lookup URLs, the report
 * configuration group, and a page built from hostile strings. */
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "fmt.h"
#include "html.h"
#include "htmlreport.h"
#include "state.h"
#include "summary.h"
#include "test.h"

static char *
escaped(const char *text, size_t len)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	if (f == NULL)
		abort();
	html_escape(f, text, len);
	fclose(f);
	return buf;
}

#define ESC(in, want) CHECK_STR(escaped(in, sizeof(in) - 1), want)

static char dir[] = "/tmp/mailban-test-report-XXXXXX";

static void
expect_config(const char *text, const char *want)
{
	char path[256], err[1024] = "", full[4096];
	struct config *cfg;
	FILE *f;

	snprintf(path, sizeof(path), "%s/c.conf", dir);
	snprintf(full, sizeof(full), "%s\npatterns = ( { name = \"p\"; program = "
	    "\"x\"; score = 3; regex = \"^x (?<ip>[0-9.]+)$\"; } );\n", text);
	if ((f = fopen(path, "w")) == NULL || fputs(full, f) < 0 || fclose(f))
		abort();
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	if (want == NULL) {
		CHECK(cfg != NULL, "rejected: %s\n%s", err, text);
	} else {
		CHECK(cfg == NULL, "accepted, want \"%s\": %s", want, text);
		CHECK(strstr(err, want) != NULL, "error \"%s\", want \"%s\"", err,
		    want);
	}
	config_free(cfg);
}

static void
page_checks(void)
{
	char err[256], *buf = NULL;
	size_t len = 0;
	struct config *cfg = config_load(NULL, NULL, 0, err, sizeof(err));
	struct state_ban b[2];
	struct summary_pattern p;
	struct summary s;
	FILE *f;

	memset(&s, 0, sizeof(s));
	memset(b, 0, sizeof(b));
	memset(&p, 0, sizeof(p));
	s.now = 1800000000;
	s.first_day = s.now / SECONDS_DAY - (SUMMARY_DAYS - 1);
	s.perday[SUMMARY_DAYS - 1] = 3;
	s.active4 = 2;
	addr_parse("203.0.113.7", 11, &b[0].addr);
	snprintf(b[0].pattern, sizeof(b[0].pattern), "<script>x</script>-rbl");
	snprintf(b[0].host, sizeof(b[0].host), "\"><img src=x>");
	snprintf(b[0].program, sizeof(b[0].program), "a'b&c");
	b[0].until = s.now + 60;
	b[0].count = 2;
	addr_parse("192.0.2.1", 9, &b[1].addr);
	snprintf(b[1].pattern, sizeof(b[1].pattern), "postfix-sasl");
	b[1].until = s.now + 3600;
	s.bans = b;
	s.nbans = 2;
	p.name = (char *)"</td><b>";
	s.patterns = &p;
	s.npatterns = 1;
	CHECK(cfg != NULL, "built-in configuration: %s", err);
	if (cfg == NULL)
		return;
	CHECK_STR(cfg->report_html, "");
	CHECK(cfg->report_every == 60, "every %lld", (long long)cfg->report_every);
	f = open_memstream(&buf, &len);
	htmlreport_page(f, &s, cfg, 1);
	fclose(f);
	CHECK(strstr(buf, "<script>x") == NULL, "raw pattern name in the page");
	CHECK(strstr(buf, "&lt;script&gt;x&lt;/script&gt;-rbl") != NULL,
	    "escaped pattern name missing");
	CHECK(strstr(buf, "&quot;&gt;&lt;img src=x&gt;") != NULL, "host");
	CHECK(strstr(buf, "a&#39;b&amp;c") != NULL, "program");
	CHECK(strstr(buf, "&lt;/td&gt;&lt;b&gt;") != NULL, "per-pattern name");
	CHECK(strstr(buf, "<b>") == NULL, "raw <b>");
	CHECK(strstr(buf, "href=\"https://multirbl.valli.org/lookup/203.0.113.7"
	    ".html\"") != NULL, "lookup link for a *-rbl pattern");
	CHECK(strstr(buf, "lookup/192.0.2.1") == NULL, "no link for postfix-sasl");
	CHECK(strstr(buf, "data-bans=\"3\"") != NULL, "today's bar");
	CHECK(strstr(buf, "<script>") != NULL &&
	    strstr(strstr(buf, "<script>") + 1, "<script>") == NULL,
	    "exactly one script element");
	free(buf);
	config_free(cfg);
}

/* Notices (lines read and not acted on): counts add up over saves, the
 * examples kept are the newest STATE_NOTICE_LINES, the summary reads them
 * back by kind and program. */
static void
notices_checks(void)
{
	char path[300], line[64];
	struct state_notice v;
	struct state_notice_line l;
	struct summary s;
	struct state *st;
	int i;

	snprintf(path, sizeof(path), "%s/notices.db", dir);
	st = state_open(path, 0);
	CHECK(st != NULL, "state_open %s", path);
	if (st == NULL)
		return;
	for (i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "forged %d\x1b[0m", i);
		v = (struct state_notice){"untrusted", "postfix/smtpd", 1,
		    100 + i, 100 + i};
		l = (struct state_notice_line){"untrusted", "postfix/smtpd",
		    100 + i, line};
		CHECK(state_notices_add(st, &v, 1, &l, 1) == 0, "add %d", i);
	}
	v = (struct state_notice){"unmatched", "exim", 3, 50, 60};
	CHECK(state_notices_add(st, &v, 1, NULL, 0) == 0, "counts alone");
	CHECK(summary_load(st, 200, 10, &s) == 0, "summary_load");
	CHECK(s.nnotices == 2, "%zu notices", s.nnotices);
	if (s.nnotices == 2) {
		CHECK_STR(s.notices[0].kind, "unmatched");
		CHECK(s.notices[0].count == 3 && s.notices[0].nlines == 0,
		    "unmatched: %llu, %zu lines",
		    (unsigned long long)s.notices[0].count, s.notices[0].nlines);
		CHECK_STR(s.notices[1].program, "postfix/smtpd");
		CHECK(s.notices[1].count == 8 && s.notices[1].first == 100 &&
		    s.notices[1].last == 107, "untrusted: %llu %lld..%lld",
		    (unsigned long long)s.notices[1].count,
		    (long long)s.notices[1].first, (long long)s.notices[1].last);
		CHECK(s.notices[1].nlines == STATE_NOTICE_LINES, "%zu lines kept",
		    s.notices[1].nlines);
		CHECK_STR(s.notices[1].line[0], "forged 7\x1b[0m");
		CHECK_STR(s.notices[1].line[STATE_NOTICE_LINES - 1],
		    "forged 3\x1b[0m");
	}
	{
		char err[256], *buf = NULL;
		size_t len = 0;
		struct config *cfg = config_load(NULL, NULL, 0, err, sizeof(err));
		FILE *f = open_memstream(&buf, &len);

		if (cfg == NULL || f == NULL)
			abort();
		htmlreport_page(f, &s, cfg, 1);
		fclose(f);
		CHECK(strstr(buf, "<table id=\"notice-counts\">") != NULL &&
		    strstr(buf, "<td>untrusted</td><td>postfix/smtpd</td>"
		    "<td class=\"n\" data-v=\"8\">8</td>") != NULL,
		    "the page counts the notices");
		free(buf);
		config_free(cfg);
	}
	summary_free(&s);
	state_close(st);
	unlink(path);
	snprintf(line, sizeof(line), "%s/notices.db-wal", dir);
	unlink(line);
	snprintf(line, sizeof(line), "%s/notices.db-shm", dir);
	unlink(line);
}

/* The page's alert: present exactly when a DNSBL error was counted. */
static int
page_has_alert(struct state *st, const struct config *cfg, uint64_t count)
{
	char *buf = NULL, want[64];
	size_t len = 0;
	struct summary s;
	FILE *f = open_memstream(&buf, &len);
	int found;

	if (f == NULL || summary_load(st, 200, 10, &s) != 0)
		abort();
	htmlreport_page(f, &s, cfg, 1);
	fclose(f);
	snprintf(want, sizeof(want), "<span id=\"dnsbl-errors\">%llu</span>",
	    (unsigned long long)count);
	found = strstr(buf, "id=\"dnsbl-error\" class=\"alert\"") != NULL &&
	    strstr(buf, want) != NULL;
	if (!found && strstr(buf, "id=\"dnsbl-error\"") != NULL)
		found = -1; /* an alert with another count */
	free(buf);
	summary_free(&s);
	return found;
}

static void
dnsbl_alert_checks(void)
{
	char path[300], err[256];
	struct state_notice v;
	struct config *cfg = config_load(NULL, NULL, 0, err, sizeof(err));
	struct state *st;

	snprintf(path, sizeof(path), "%s/dnsbl.db", dir);
	st = state_open(path, 0);
	CHECK(st != NULL && cfg != NULL, "state_open %s", path);
	if (st == NULL || cfg == NULL)
		abort();
	v = (struct state_notice){"unmatched", "exim", 3, 50, 60};
	CHECK(state_notices_add(st, &v, 1, NULL, 0) == 0, "unmatched");
	CHECK(page_has_alert(st, cfg, 0) == 0, "no alert without DNSBL errors");
	v = (struct state_notice){"dnsbl-error", "postfix/smtpd", 5, 70, 80};
	CHECK(state_notices_add(st, &v, 1, NULL, 0) == 0, "dnsbl-error");
	v = (struct state_notice){"dnsbl-error", "exim4", 2, 70, 80};
	CHECK(state_notices_add(st, &v, 1, NULL, 0) == 0, "dnsbl-error exim");
	CHECK(page_has_alert(st, cfg, 7) == 1,
	    "the page says loudly that a DNSBL refuses the queries (7 lines)");
	state_close(st);
	config_free(cfg);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dnsbl.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dnsbl.db-shm", dir);
	unlink(path);
}

int
main(void)
{
	char url[128];
	struct addr a;

	/* escaping: markup, quotes, controls, UTF-8 */
	ESC("plain text 1.2.3", "plain text 1.2.3");
	ESC("<script>alert(1)</script>",
	    "&lt;script&gt;alert(1)&lt;/script&gt;");
	ESC("\"><img src=x onerror=alert(1)>",
	    "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
	ESC("a'b&c", "a&#39;b&amp;c");
	ESC("&amp;", "&amp;amp;");
	ESC("t\x01\x1b[0m\x7f", "t\\x01\\x1B[0m\\x7F");
	ESC("nul\0x", "nul\\x00x");
	ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7", "caf\xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x93\xa7");
	ESC("bad\xff\xfe", "bad\\xFF\\xFE");
	ESC("trunc\xe2\x82", "trunc\\xE2\\x82");
	ESC("overlong\xc0\xaf", "overlong\\xC0\\xAF");
	ESC("surrogate\xed\xa0\x80", "surrogate\\xED\\xA0\\x80");
	ESC("bidi\xe2\x80\xae" "x", "bidi\\u202Ex");
	ESC("isolate\xe2\x81\xa6", "isolate\\u2066");
	ESC("c1\xc2\x85", "c1\\u0085");

	/* lookup URLs: the canonical address only */
	addr_parse("2001:DB8:0:0::7", 15, &a);
	CHECK_STR(html_lookup_url(url, sizeof(url), "https://x.example/%s.html",
	    &a), "https://x.example/2001:db8::7.html");
	addr_parse("::ffff:203.0.113.7", 18, &a);
	CHECK_STR(html_lookup_url(url, sizeof(url), "http://x/?q=%s&t=1", &a),
	    "http://x/?q=203.0.113.7&t=1");
	CHECK(html_lookup_url(url, 20, "https://x.example/%s.html", &a) == NULL,
	    "too long must fail");
	CHECK(html_lookup_url(url, sizeof(url), "https://x/", &a) == NULL,
	    "no %%s must fail");

	/* the report group */
	if (mkdtemp(dir) == NULL)
		abort();
	expect_config("report = { html = \"/var/www/m.html\"; every = \"5m\"; "
	    "lookup = \"https://a.example/q?ip=%s&x=%2F\"; dnsbl = [\"*-rbl\"]; };",
	    NULL);
	expect_config("report = { html = \"\"; lookup = \"\"; dnsbl = []; };",
	    NULL);
	expect_config("\n\nreport = { html = \"rel.html\"; };",
	    "c.conf:3: report.html: use an absolute path");
	expect_config("report = { every = \"0s\"; };", "at least 1s");
	expect_config("report = { every = \"2d\"; };", "report.every: 1s to 1d");
	expect_config("report = { lookup = \"https://a/%s/%s\"; };",
	    "exactly once, not 2 times");
	expect_config("report = { lookup = \"https://a/\"; };",
	    "exactly once, not 0 times");
	expect_config("report = { lookup = \"javascript:alert(%s)\"; };",
	    "http:// or https://");
	expect_config("report = { lookup = \"https://a/%d?%s\"; };",
	    "must start \"%s\" or a %XX escape");
	expect_config("report = { lookup = \"https://a/\\\"onclick=%s\"; };",
	    "character 0x22 is not allowed");
	expect_config("report = { lookup = \"https://a/ %s\"; };",
	    "character 0x20 is not allowed");
	expect_config("\nreport = {\n dnsbl = [\"*-rbl\", \"\"]; };",
	    "c.conf:3: report.dnsbl: a glob of 1 to 255");
	expect_config("report = { dnsbl = \"*-rbl\"; };", "expected a list");
	expect_config("report = { colour = \"red\"; };",
	    "report: unknown setting \"colour\"");
	expect_config("report = \"x\";", "report: expected a group");

	page_checks();
	notices_checks();
	dnsbl_alert_checks();
	{
		char path[300];

		snprintf(path, sizeof(path), "%s/c.conf", dir);
		unlink(path);
		rmdir(dir);
	}
	return TEST_DONE();
}
