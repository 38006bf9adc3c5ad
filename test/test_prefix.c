/* Unit table for prefix.c: every input shape real pipelines produce. */
#include <stdlib.h>

#include "prefix.h"
#include "test.h"

/* 2026-11-27 12:00:00 UTC, the reference "now" (TZ=UTC in meson). */
#define NOW 1795780800LL

static const struct {
	const char *line;
	int ok;
	long long ts; /* -1: not checked */
	const char *host, *prog, *msg;
} table[] = {
	{"Oct  9 01:50:13 mx1 postfix/smtpd[123]: NOQUEUE: x", 1, 1791510613LL,
	    "mx1", "postfix/smtpd", "NOQUEUE: x"},
	{"Nov 27 01:02:03 mx1 sm-mta[99]: 5AR1W9Aa012345: ruleset", 1,
	    1795741323LL, "mx1", "sm-mta", "5AR1W9Aa012345: ruleset"},
	/* December is in the future on Nov 27: last year */
	{"Dec 31 23:59:59 mx1 exim[1]: hello", 1, 1767225599LL, "mx1", "exim",
	    "hello"},
	/* within a day ahead is still this year (clock skew) */
	{"Nov 28 01:00:00 mx1 prog: m", 1, 1795827600LL, "mx1", "prog", "m"},
	{"Jan  1 00:00:00 mx1 prog: m", 1, 1767225600LL, "mx1", "prog", "m"},
	{"2026-11-27T01:09:07.163796+00:00 vm postfix/smtpd[4242]: NOQUEUE: r",
	    1, 1795741747LL, "vm", "postfix/smtpd", "NOQUEUE: r"},
	{"2026-11-27T02:09:07+01:00 vm postfix/smtpd[4242]: m", 1, 1795741747LL,
	    "vm", "postfix/smtpd", "m"},
	{"2026-11-27T01:09:07Z vm postfix/smtpd: m", 1, 1795741747LL, "vm",
	    "postfix/smtpd", "m"},
	{"2026-11-26T20:09:07.5-05:00 vm postfix/postscreen[1]: m", 1,
	    1795741747LL, "vm", "postfix/postscreen", "m"},
	/* RFC 5424 relayed by rsyslog: tag without colon */
	{"2026-11-27T01:09:07.163796+00:00 vm dovecot imap-login: Login", 1,
	    1795741747LL, "vm", "dovecot", "imap-login: Login"},
	{"2026-11-27T01:09:07+00:00 vm postfix/smtpd[77] NOQUEUE: x", 1,
	    1795741747LL, "vm", "postfix/smtpd", "NOQUEUE: x"},
	/* Exim's own mainlog */
	{"2026-11-27 01:05:46 [1234] H=(x) [203.0.113.7] F=<>", 1, 1795741546LL,
	    "", "exim", "H=(x) [203.0.113.7] F=<>"},
	{"2026-11-27 01:05:46 H=(x) [203.0.113.7] F=<>", 1, 1795741546LL, "",
	    "exim", "H=(x) [203.0.113.7] F=<>"},
	{"2026-11-27 01:05:46.123 +0100 1qRsTu-000ABC-De <= a@b", 1,
	    1795737946LL, "", "exim", "1qRsTu-000ABC-De <= a@b"},
	/* Exim through syslog keeps its own stamp and pid */
	{"Nov 27 01:32:22 mx1 exim[14931]: 2026-11-27 01:32:22 H=(h) [1.2.3.4] x",
	    1, 1795743142LL, "mx1", "exim", "H=(h) [1.2.3.4] x"},
	{"Nov 27 01:32:22 mx1 exim4[14931]: 2026-11-27 01:32:22 [14931] H=x", 1,
	    1795743142LL, "mx1", "exim4", "H=x"},
	/* syslog_timestamp = false: no stamp, the pid alone; the pieces of a
	 * message Exim cut ("[1/2] ", "[1\\2] ") stay for the engine to join */
	{"Nov 27 01:32:22 mx1 exim[8001]: [8001] SMTP connection from [1.2.3.4]",
	    1, 1795743142LL, "mx1", "exim", "SMTP connection from [1.2.3.4]"},
	{"Nov 27 01:32:22 mx1 exim[8001]: [1/2] [8001] H=x", 1, 1795743142LL,
	    "mx1", "exim", "[1/2] [8001] H=x"},
	{"Nov 27 01:32:22 mx1 exim[8001]: [2\\2] rest", 1, 1795743142LL, "mx1",
	    "exim", "[2\\2] rest"},
	{"Nov 27 01:32:22 mx1 exim[8001]: [] H=x", 1, 1795743142LL, "mx1", "exim",
	    "[] H=x"},
	/* ... but another program's message is left alone */
	{"Nov 27 01:32:22 mx1 cron[1]: 2026-11-27 01:32:22 job", 1, -1, "mx1",
	    "cron", "2026-11-27 01:32:22 job"},
	/* priority in front, and full RFC 5424 */
	{"<22>Nov 27 01:02:03 mx1 postfix/smtpd[1]: m", 1, 1795741323LL, "mx1",
	    "postfix/smtpd", "m"},
	{"<22>1 2026-11-27T01:09:07.1Z mx1 postfix 4242 - - NOQUEUE: x", 1,
	    1795741747LL, "mx1", "postfix", "NOQUEUE: x"},
	{"<22>1 2026-11-27T01:09:07Z mx1 app 1 ID47 [ex@1 a=\"\\]\"] msg", 1,
	    1795741747LL, "mx1", "app", "msg"},
	/* no host: the tag follows the stamp */
	{"Nov 27 01:02:03 postfix/smtpd[1]: m", 1, -1, "", "postfix/smtpd", "m"},
	/* CRLF */
	{"Nov 27 01:02:03 mx1 prog: m\r", 1, -1, "mx1", "prog", "m"},
	/* single-digit day without padding */
	{"Nov 7 01:02:03 mx1 prog: m", 1, 1794013323LL, "mx1", "prog", "m"},
	/* a file template with a MySQL-style date: "YYYY-MM-DD hh:mm:ss host" */
	{"2026-11-27 01:09:07 mx1 postfix/smtpd[4242]: NOQUEUE: r", 1,
	    1795741747LL, "mx1", "postfix/smtpd", "NOQUEUE: r"},
	{"2026-11-27 01:09:07 mx1.example.com postfix: m", 1, 1795741747LL,
	    "mx1.example.com", "postfix", "m"},
	{"2026-11-27 01:09:07 mx1 exim4[7]: 2026-11-27 01:09:07 [7] H=x", 1,
	    1795741747LL, "mx1", "exim4", "H=x"},
	/* ... while Exim's own words stay Exim's */
	{"2026-11-27 01:05:46 Start queue run: pid=1", 1, 1795741546LL, "",
	    "exim", "Start queue run: pid=1"},
	{"2026-11-27 01:05:46 exim 4.96 daemon started: pid=1", 1,
	    1795741546LL, "", "exim", "exim 4.96 daemon started: pid=1"},
	{"2026-11-27 01:05:46 1qRsTu-000ABC-De Completed: x", 1, 1795741546LL,
	    "", "exim", "1qRsTu-000ABC-De Completed: x"},
	/* BSD syslogd -v: <facility.level> after the stamp */
	{"Nov 27 01:02:03 <mail.info> mx1 postfix/smtpd[1]: m", 1,
	    1795741323LL, "mx1", "postfix/smtpd", "m"},
	{"Nov 27 01:02:03 <mail.info> postfix/smtpd[1]: m", 1, 1795741323LL, "",
	    "postfix/smtpd", "m"},
	/* a [prog] tag without pid */
	{"Nov 27 01:02:03 mx1 [postfix/smtpd]: m", 1, 1795741323LL, "mx1",
	    "postfix/smtpd", "m"},
	/* RFC 5424 without <PRI> */
	{"1 2026-11-27T01:09:07.1Z mx1 postfix 4242 - - NOQUEUE: x", 1,
	    1795741747LL, "mx1", "postfix", "NOQUEUE: x"},
	/* journalctl -o short-iso, short-iso-precise: "+hhmm" */
	{"2026-11-27T01:09:07+0000 mx1 postfix/smtpd[1]: m", 1, 1795741747LL,
	    "mx1", "postfix/smtpd", "m"},
	{"2026-11-27T02:09:07.123456+0100 mx1 postfix/smtpd[1]: m", 1,
	    1795741747LL, "mx1", "postfix/smtpd", "m"},
	/* short-full, short-unix, short-monotonic (no wall time: now) */
	{"Fri 2026-11-27 01:09:07 UTC mx1 postfix/smtpd[1]: m", 1,
	    1795741747LL, "mx1", "postfix/smtpd", "m"},
	{"Fri 2026-11-27 01:09:07 CET mx1 postfix/smtpd[1]: m", 1,
	    1795741747LL, "mx1", "postfix/smtpd", "m"},
	{"1795741747.123456 mx1 postfix/smtpd[1]: m", 1, 1795741747LL, "mx1",
	    "postfix/smtpd", "m"},
	{"[  12345.678901] mx1 postfix/smtpd[1]: m", 1, NOW, "mx1",
	    "postfix/smtpd", "m"},
	/* json: one object a line, the message decoded */
	{"{\"__REALTIME_TIMESTAMP\":\"1795741747123456\",\"_HOSTNAME\":\"mx1\","
	    "\"SYSLOG_IDENTIFIER\":\"postfix/smtpd\",\"_PID\":\"4242\","
	    "\"MESSAGE\":\"NOQUEUE: x\"}", 1, 1795741747LL, "mx1",
	    "postfix/smtpd", "NOQUEUE: x"},
	{"{ \"MESSAGE\" : \"a \\\"b\\\" \\\\ \\u00e9\\ud83d\\ude00\", "
	    "\"SYSLOG_IDENTIFIER\" : \"exim\", \"__REALTIME_TIMESTAMP\" : "
	    "\"1795741747000000\" }", 1, 1795741747LL, "", "exim",
	    "a \"b\" \\ \xc3\xa9\xf0\x9f\x98\x80"},
	{"{\"MESSAGE\":[104,105,255],\"SYSLOG_IDENTIFIER\":\"p\"}", 1, NOW, "",
	    "p", "hi\xff"},
	/* no stamp (a line quoted with it cut off): taken at the clock */
	{"postfix/smtpd[1234]: NOQUEUE: x", 1, NOW, "", "postfix/smtpd",
	    "NOQUEUE: x"},
	{"mx1 sm-mta[99]: m", 1, NOW, "mx1", "sm-mta", "m"},
	{"exim[7]: m", 1, NOW, "", "exim", "m"},
	{"postfix/smtpd[1234]:", 1, NOW, "", "postfix/smtpd", ""},
	{"prog: m", 0, 0, NULL, NULL, NULL},
	{"mx1 prog[x]: m", 0, 0, NULL, NULL, NULL},
	{"postfix/smtpd[1234]:m", 0, 0, NULL, NULL, NULL},
	{"a b prog[1]: m", 0, 0, NULL, NULL, NULL},
	{"mx1 [1]: m", 0, 0, NULL, NULL, NULL},
	/* a broken stamp is no host */
	{"Nov2701:02:03 mx1 postfix/smtpd[1]: m", 0, 0, NULL, NULL, NULL},
	{"<150>Nov 16postfix/smtpd[3]: m", 0, 0, NULL, NULL, NULL},
	/* no tag: the process name journald saw */
	{"{\"MESSAGE\":\"m\",\"_COMM\":\"smtpd\"}", 1, NOW, "", "smtpd", "m"},
	/* malformed */
	{"{\"MESSAGE\":\"m\"}", 0, 0, NULL, NULL, NULL},
	{"{\"SYSLOG_IDENTIFIER\":\"p\"}", 0, 0, NULL, NULL, NULL},
	{"{\"MESSAGE\":\"m, \"SYSLOG_IDENTIFIER\":\"p\"", 0, 0, NULL, NULL, NULL},
	{"{\"MESSAGE\":{\"a\":1},\"SYSLOG_IDENTIFIER\":\"p\"}", 0, 0, NULL, NULL,
	    NULL},
	{"Sat 2026-11-27 01:09:07 UTC mx1 p: m", 1, -1, "mx1", "p", "m"},
	{"Xyz 2026-11-27 01:09:07 UTC mx1 p: m", 0, 0, NULL, NULL, NULL},
	{"2026-11-27T01:09:07+00 mx1 p: m", 0, 0, NULL, NULL, NULL},
	{"[12345.6 mx1 p: m", 0, 0, NULL, NULL, NULL},
	{"1 ", 0, 0, NULL, NULL, NULL},
	{"Nov 27 01:02:03 mx1 []: m", 0, 0, NULL, NULL, NULL},
	/* malformed */
	{"", 0, 0, NULL, NULL, NULL},
	{"garbage", 0, 0, NULL, NULL, NULL},
	{"Nov 27", 0, 0, NULL, NULL, NULL},
	{"Nov 27 01:02:03", 0, 0, NULL, NULL, NULL},
	{"Nov 27 01:02:03 ", 0, 0, NULL, NULL, NULL},
	{"Foo 27 01:02:03 mx1 prog: m", 0, 0, NULL, NULL, NULL},
	{"Nov 32 01:02:03 mx1 prog: m", 0, 0, NULL, NULL, NULL},
	{"Nov 27 25:02:03 mx1 prog: m", 0, 0, NULL, NULL, NULL},
	{"2026-13-27T01:09:07Z vm prog: m", 0, 0, NULL, NULL, NULL},
	{"2026-11-27X01:09:07Z vm prog: m", 0, 0, NULL, NULL, NULL},
	{"12345", 0, 0, NULL, NULL, NULL},
	{"<22>", 0, 0, NULL, NULL, NULL},
	{"<22>1 ", 0, 0, NULL, NULL, NULL},
};

static int
field_is(const char *p, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(p, want, n) == 0;
}

/* every row: accepted or refused, the stamp, host, program, message */
static void
parse_table(void)
{
	struct prefix_clock clk;
	struct logline ll;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *l = table[i].line;
		int rc;

		prefix_clock_init(&clk, NOW);
		rc = prefix_parse(&clk, l, strlen(l), &ll);
		if (!table[i].ok) {
			CHECK(rc < 0, "accepted \"%s\"", l);
			continue;
		}
		CHECK(rc == 0, "rejected \"%s\"", l);
		if (rc < 0)
			continue;
		if (table[i].ts >= 0)
			CHECK(ll.ts == table[i].ts, "\"%s\": ts %lld, want %lld", l,
			    (long long)ll.ts, table[i].ts);
		CHECK(field_is(ll.host, ll.hostlen, table[i].host),
		    "\"%s\": host \"%.*s\"", l, (int)ll.hostlen, ll.host);
		CHECK(field_is(ll.prog, ll.proglen, table[i].prog),
		    "\"%s\": prog \"%.*s\"", l, (int)ll.proglen, ll.prog);
		CHECK(field_is(ll.msg, ll.msglen, table[i].msg),
		    "\"%s\": msg \"%.*s\"", l, (int)ll.msglen, ll.msg);
	}
}

/* every truncation of a valid line parses or fails, never overreads
 * (each cut in a block of its own size: ASan sees a read past it) */
static void
truncations(void)
{
	static const char full[] =
	    "2026-11-27T01:09:07.163796+00:00 vm postfix/smtpd[4242]: m";
	struct prefix_clock clk;
	struct logline ll;
	size_t n;

	for (n = 0; n <= sizeof(full) - 1; n++) {
		char *copy = malloc(n ? n : 1);

		memcpy(copy, full, n);
		prefix_clock_init(&clk, NOW);
		(void)prefix_parse(&clk, copy, n, &ll);
		free(copy);
	}
	CHECK(1, "truncations");
}

/* journal json: the fields journald writes itself fill the credentials */
static void
json_credentials(void)
{
	static const char line[] = "{\"MESSAGE\":\"m\","
	    "\"SYSLOG_IDENTIFIER\":\"postfix/smtpd\",\"SYSLOG_PID\":\"1\","
	    "\"_PID\":\"4242\",\"_UID\":\"101\",\"_GID\":\"102\","
	    "\"_COMM\":\"smtpd\",\"_EXE\":\"/usr/lib/postfix/sbin/smtpd\","
	    "\"_SYSTEMD_UNIT\":\"postfix@-.service\"}";
	static const char plain[] = "Nov 27 01:02:03 mx1 postfix/smtpd[1]: m";
	struct prefix_clock clk;
	struct logline ll;

	prefix_clock_init(&clk, NOW);
	CHECK(prefix_parse(&clk, line, strlen(line), &ll) == 0, "parsed");
	CHECK(ll.cred.has == 1 && ll.cred.pid == 4242 && ll.cred.uid == 101 &&
	    ll.cred.gid == 102, "pid %lld uid %lld gid %lld",
	    (long long)ll.cred.pid, (long long)ll.cred.uid,
	    (long long)ll.cred.gid);
	CHECK(field_is(ll.cred.exe, ll.cred.exelen,
	    "/usr/lib/postfix/sbin/smtpd"), "exe");
	CHECK(field_is(ll.cred.comm, ll.cred.commlen, "smtpd"), "comm");
	CHECK(field_is(ll.cred.unit, ll.cred.unitlen, "postfix@-.service"),
	    "unit");
	CHECK(prefix_parse_lazy(&clk, line, strlen(line), &ll) == 0 &&
	    ll.cred.has == 1 && ll.cred.pid == 4242, "lazy too");
	CHECK(prefix_parse(&clk, plain, strlen(plain), &ll) == 0 &&
	    ll.cred.has == 0, "a plain line carries none");
}

/* Solaris syslogd's message ID after the tag: prefix_msgid() takes it
 * off, and nothing else in brackets */
static void
solaris_msgid(void)
{
	static const struct {
		const char *line, *prog, *msg;
	} t[] = {
		{"Aug 11 05:55:40 relay_host sendmail[25741]: [ID 801593 "
		    "mail.notice] q7B4teTq025741: ruleset", "sendmail",
		    "q7B4teTq025741: ruleset"},
		{"Nov 27 01:02:03 mx1 postfix/smtpd[1]: [ID 197553 mail.info] "
		    "connect", "postfix/smtpd", "connect"},
		{"Nov 27 01:32:22 mx1 exim[1]: [ID 702911 mail.info] 2026-11-27 "
		    "01:32:22 H=x", "exim", "H=x"},
		{"Nov 27 01:02:03 mx1 prog[1]: [ID x mail.info] m", "prog",
		    "[ID x mail.info] m"},
		{"Nov 27 01:02:03 mx1 prog[1]: [ID 1 mail] m", "prog",
		    "[ID 1 mail] m"},
		{"Nov 27 01:02:03 mx1 prog[1]: [ID 1 Mail.info] m", "prog",
		    "[ID 1 Mail.info] m"},
		{"Nov 27 01:02:03 mx1 prog[1]: [ID 1 mail.info]m", "prog",
		    "[ID 1 mail.info]m"},
		{"Nov 27 01:02:03 mx1 exim[1]: [1/2] H=x", "exim", "[1/2] H=x"},
		{"Nov 27 01:02:03 mx1 prog[1]: [ID 1 mail.info]", "prog",
		    "[ID 1 mail.info]"},
	};
	struct prefix_clock clk;
	struct logline ll;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		prefix_clock_init(&clk, NOW);
		if (prefix_parse(&clk, t[i].line, strlen(t[i].line), &ll) < 0) {
			CHECK(0, "rejected \"%s\"", t[i].line);
			continue;
		}
		prefix_msgid(&ll);
		CHECK(field_is(ll.prog, ll.proglen, t[i].prog) &&
		    field_is(ll.msg, ll.msglen, t[i].msg), "\"%s\": msg \"%.*s\"",
		    t[i].line, (int)ll.msglen, ll.msg);
	}
}

static const struct test_case cases[] = {
	TEST_CASE(solaris_msgid),
	TEST_CASE(parse_table),
	TEST_CASE(json_credentials),
	TEST_CASE(truncations),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	setenv("TZ", "UTC", 1);
	return TEST_RUN(cases, argc, argv);
}
