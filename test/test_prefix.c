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

static const struct test_case cases[] = {
	TEST_CASE(parse_table),
	TEST_CASE(truncations),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	setenv("TZ", "UTC", 1);
	return TEST_RUN(cases, argc, argv);
}
