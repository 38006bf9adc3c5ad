/*
 * Unit table for trust.c and prefix.c's credential header: which writers
 * count as each MTA, decided from the credentials alone, with the rules
 * of the shipped configuration and of files that change them.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "prefix.h"
#include "test.h"
#include "trust.h"

#define NOW 1795780800LL

static struct config *
load(const char *text)
{
	char err[1024], path[] = "/tmp/mailban-trust-XXXXXX";
	struct config *cfg;
	FILE *f;
	int fd;

	if (text == NULL)
		return config_load(NULL, NULL, 0, err, sizeof(err));
	fd = mkstemp(path);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return NULL;
	fprintf(f, "%s\npatterns = ( { name = \"p\"; program = \"*\"; "
	    "score = 1; regex = \"^(?<ip>x)\"; } );\n", text);
	fclose(f);
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(cfg != NULL, "%s", err);
	unlink(path);
	return cfg;
}

/* 1, 0: trusted or not; -1: the line did not parse. */
static int
judge(const struct trust *t, const char *line)
{
	struct prefix_clock clk;
	struct logline ll;

	prefix_clock_init(&clk, NOW);
	if (prefix_parse(&clk, line, strlen(line), &ll) < 0)
		return -1;
	return trust_line(t, &ll);
}

#define TAIL " 2026-11-27T01:09:07+00:00 mx postfix/smtpd[4242]: NOQUEUE: x"

static void
header(void)
{
	struct prefix_clock clk;
	struct logline ll;
	const char *l;

	prefix_clock_init(&clk, NOW);
	/* rsyslog's template: strings, "/" escaped */
	l = "@cred{\"pid\":\"4242\",\"uid\":\"107\",\"gid\":\"113\","
	    "\"exe\":\"\\/usr\\/lib\\/postfix\\/sbin\\/smtpd\","
	    "\"comm\":\"smtpd\"}" TAIL;
	CHECK(prefix_parse(&clk, l, strlen(l), &ll) == 0, "parses");
	CHECK(ll.cred.has == 1 && ll.cred.pid == 4242 && ll.cred.uid == 107 &&
	    ll.cred.gid == 113, "numbers %lld %lld %lld", (long long)ll.cred.pid,
	    (long long)ll.cred.uid, (long long)ll.cred.gid);
	CHECK(ll.cred.exelen == 27 &&
	    memcmp(ll.cred.exe, "/usr/lib/postfix/sbin/smtpd", 27) == 0,
	    "exe %.*s", (int)ll.cred.exelen, ll.cred.exe);
	CHECK(ll.cred.commlen == 5 && memcmp(ll.cred.comm, "smtpd", 5) == 0,
	    "comm");
	CHECK(ll.proglen == 13 && memcmp(ll.prog, "postfix/smtpd", 13) == 0 &&
	    ll.hostlen == 2 && ll.ts == 1795741747LL, "the line after it");
	CHECK(ll.msglen == 10 && memcmp(ll.msg, "NOQUEUE: x", 10) == 0, "msg");
	/* syslog-ng's format-json: any order, numbers, other members */
	l = "@cred{\"uid\":0, \"x\":{},\"pid\":1}" TAIL;
	CHECK(prefix_parse(&clk, l, strlen(l), &ll) < 0, "an object value");
	l = "@cred{ \"uid\" : 0 , \"foo\":\"b\\\"ar\", \"pid\":1 }" TAIL;
	CHECK(prefix_parse(&clk, l, strlen(l), &ll) == 0 && ll.cred.uid == 0 &&
	    ll.cred.pid == 1 && ll.cred.gid == -1 && ll.cred.exelen == 0,
	    "any order, unknown members skipped");
	/* empty: not known (the daemon had no credentials for it) */
	l = "@cred{\"pid\":\"\",\"uid\":\"\",\"exe\":\"\"}" TAIL;
	CHECK(prefix_parse(&clk, l, strlen(l), &ll) == 0 && ll.cred.has == 1 &&
	    ll.cred.uid == -1 && ll.cred.pid == -1 && ll.cred.exelen == 0,
	    "empty values");
	l = "@cred{}" TAIL;
	CHECK(prefix_parse(&clk, l, strlen(l), &ll) == 0 && ll.cred.has == 1,
	    "empty object");
	/* escapes and a hostile executable name stay inside the string */
	l = "@cred{\"exe\":\"\\/tmp\\/a\\\" b\\n\\u00e9\\u0041\",\"uid\":\"0\"}" TAIL;
	CHECK(prefix_parse(&clk, l, strlen(l), &ll) == 0 &&
	    ll.cred.exelen == 13 &&
	    memcmp(ll.cred.exe, "/tmp/a\" b\n\xc3\xa9" "A", 13) == 0 &&
	    ll.cred.uid == 0, "unescaped: %.*s", (int)ll.cred.exelen,
	    ll.cred.exe);
	/* malformed: the line is */
	static const char *const bad[] = {
	    "@cred{" TAIL,
	    "@cred{\"uid\":\"0\"" TAIL,
	    "@cred{\"uid\":\"0\"}",
	    "@cred{\"uid\":\"0\"}x",
	    "@cred{\"uid\":\"x\"}" TAIL,
	    "@cred{\"uid\":\"-1\"}" TAIL,
	    "@cred{\"uid\":99999999999}" TAIL,
	    "@cred{\"uid\":4294967296}" TAIL,
	    "@cred{\"uid\":}" TAIL,
	    "@cred{\"uid\":\"0\",\"uid\":\"107\"}" TAIL,
	    "@cred{\"exe\":\"a\nb\"}" TAIL,
	    "@cred{\"exe\":\"\\q\"}" TAIL,
	    "@cred{\"exe\":\"\\ud800\"}" TAIL,
	    "@cred{\"exe\":5}" TAIL,
	    "@cred{uid:0}" TAIL,
	    "@cred{\"uid\":\"0\",}" TAIL,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(prefix_parse(&clk, bad[i], strlen(bad[i]), &ll) < 0,
		    "malformed %zu: %s", i, bad[i]);
	/* a value too long for the buffer is malformed, not cut */
	{
		char big[LOGCRED_TEXT + 200];
		size_t n = 0;

		n += (size_t)snprintf(big, sizeof(big), "@cred{\"exe\":\"");
		memset(big + n, 'a', LOGCRED_TEXT);
		n += LOGCRED_TEXT;
		snprintf(big + n, sizeof(big) - n, "\"}" TAIL);
		CHECK(prefix_parse(&clk, big, strlen(big), &ll) < 0, "too long");
	}
	/* no header: as ever */
	l = "2026-11-27T01:09:07+00:00 mx postfix/smtpd[4242]: NOQUEUE: x";
	CHECK(prefix_parse(&clk, l, strlen(l), &ll) == 0 && ll.cred.has == 0,
	    "no header");
	/* every cut of a good header line ends in a clean answer */
	l = "@cred{\"pid\":\"4242\",\"uid\":\"0\",\"exe\":\"\\/usr\\/sbin\\/exim4\"}"
	    TAIL;
	for (size_t n = 0; n < strlen(l); n++) {
		char *cut = malloc(n + 1);

		memcpy(cut, l, n);
		cut[n] = '\0';
		(void)prefix_parse(&clk, cut, n, &ll);
		free(cut);
	}
}

static void
shipped_rules(void)
{
	struct config *cfg = load(NULL);
	struct passwd *pw = getpwnam("nobody");
	char line[512];

	CHECK(cfg != NULL && cfg->trust.n == 3, "three MTAs");
	if (cfg == NULL)
		return;
	/* root running the MTA's own executable */
#define CRED(uid, exe, tag) \
	"@cred{\"pid\":\"1\",\"uid\":\"" uid "\",\"gid\":\"0\",\"exe\":\"" exe \
	"\"} 2026-11-27T01:09:07+00:00 mx " tag ": m"
	CHECK(judge(&cfg->trust, CRED("0", "\\/usr\\/lib\\/postfix\\/sbin\\/smtpd",
	    "postfix/smtpd[1]")) == 1, "postfix smtpd as root");
	CHECK(judge(&cfg->trust, CRED("0", "/usr/lib/postfix/sbin/postscreen",
	    "postfix-out/postscreen[1]")) == 1, "postscreen, second instance");
	CHECK(judge(&cfg->trust, CRED("0", "/usr/sbin/exim4", "exim[1]")) == 1,
	    "exim");
	CHECK(judge(&cfg->trust, CRED("0", "/usr/libexec/sendmail/sendmail",
	    "sm-mta[1]")) == 1, "sendmail");
	/* the tag is not the writer */
	CHECK(judge(&cfg->trust, CRED("0", "/usr/bin/logger",
	    "postfix/smtpd[1]")) == 0, "logger as root");
	CHECK(judge(&cfg->trust, CRED("0", "/usr/sbin/exim4",
	    "postfix/smtpd[1]")) == 0, "exim naming itself postfix");
	CHECK(judge(&cfg->trust, CRED("0", "/usr/lib/postfix/sbin/x/smtpd",
	    "postfix/smtpd[1]")) == 0, "'*' stops at '/'");
	/* the right executable as the wrong user: LD_PRELOAD and the like */
	if (pw != NULL) {
		snprintf(line, sizeof(line), "@cred{\"uid\":\"%u\",\"exe\":"
		    "\"/usr/lib/postfix/sbin/smtpd\"} 2026-11-27T01:09:07Z mx "
		    "postfix/smtpd[1]: m", (unsigned)pw->pw_uid);
		CHECK(judge(&cfg->trust, line) == 0, "smtpd as nobody");
	}
	/* a writer gone before its executable was read: the uid decides */
	CHECK(judge(&cfg->trust, "@cred{\"uid\":\"0\",\"exe\":\"\",\"comm\":"
	    "\"sendmail\"} 2026-11-27T01:09:07Z mx sm-mta[1]: m") == 1,
	    "no executable, root");
	CHECK(judge(&cfg->trust, "@cred{\"uid\":\"0\",\"exe\":\"/usr/lib/systemd/"
	    "systemd-journald\"} 2026-11-27T01:09:07Z mx exim[1]: m") == 1,
	    "journald's own pid and executable, root's uid");
	if (pw != NULL) {
		snprintf(line, sizeof(line), "@cred{\"uid\":\"%u\",\"exe\":\"\"} "
		    "2026-11-27T01:09:07Z mx postfix/smtpd[1]: m",
		    (unsigned)pw->pw_uid);
		CHECK(judge(&cfg->trust, line) == 0, "no executable, nobody");
		snprintf(line, sizeof(line), "@cred{\"uid\":\"%u\",\"exe\":"
		    "\"/lib/systemd/systemd-journald\"} 2026-11-27T01:09:07Z mx "
		    "postfix/smtpd[1]: m", (unsigned)pw->pw_uid);
		CHECK(judge(&cfg->trust, line) == 0, "journald, nobody");
	}
	/* what is not known does not match */
	CHECK(judge(&cfg->trust, "@cred{\"exe\":\"/usr/sbin/exim4\"} "
	    "2026-11-27T01:09:07Z mx exim[1]: m") == 0, "no uid");
	CHECK(judge(&cfg->trust, "@cred{\"pid\":\"\",\"uid\":\"\",\"gid\":\"\","
	    "\"exe\":\"\"} 2026-11-27T01:09:07Z mx exim[1]: m") == 0,
	    "a remote line through the template: nothing known");
	CHECK(judge(&cfg->trust, CRED("0", "/usr/sbin/exim4", "dovecot[1]")) == 0,
	    "a program without a rule");
	CHECK(judge(&cfg->trust, CRED("0", "/usr/lib/postfix/sbin/smtpd\\u0000x",
	    "postfix/smtpd[1]")) == 0, "a NUL in the executable");
	/* no credentials: taken as read, unless they are required */
	CHECK(judge(&cfg->trust, "2026-11-27T01:09:07Z mx postfix/smtpd[1]: m")
	    == 1, "a file's line");
	cfg->trust.require = 1;
	CHECK(judge(&cfg->trust, "2026-11-27T01:09:07Z mx postfix/smtpd[1]: m")
	    == 0, "required");
	CHECK(judge(&cfg->trust, CRED("0", "/usr/sbin/exim4", "exim[1]")) == 1,
	    "required and there");
#undef CRED
	config_free(cfg);
}

static void
file_rules(void)
{
	struct config *cfg;

	cfg = load("trust = (\n"
	    "  { program = [\"a*\", \"b\"]; users = [ \"7\", \"root\" ]; },\n"
	    "  { program = \"*\"; exe = [\"/opt/*/bin/x\", \"/y\"]; }\n);");
	if (cfg == NULL)
		return;
	CHECK(cfg->trust.n == 2, "two rules");
	CHECK(judge(&cfg->trust, "@cred{\"uid\":7} 2026-11-27T01:09:07Z mx a1: m")
	    == 1, "users alone: 7");
	CHECK(judge(&cfg->trust, "@cred{\"uid\":0,\"exe\":\"/z\"} "
	    "2026-11-27T01:09:07Z mx b: m") == 1, "users alone: root");
	CHECK(judge(&cfg->trust, "@cred{\"uid\":8} 2026-11-27T01:09:07Z mx b: m")
	    == 0, "users alone: 8");
	/* the first rule whose program matches decides */
	CHECK(judge(&cfg->trust, "@cred{\"uid\":8,\"exe\":\"/y\"} "
	    "2026-11-27T01:09:07Z mx a: m") == 0, "first rule decides");
	CHECK(judge(&cfg->trust, "@cred{\"uid\":8,\"exe\":\"/opt/q/bin/x\"} "
	    "2026-11-27T01:09:07Z mx c: m") == 1, "exe alone");
	CHECK(judge(&cfg->trust, "@cred{\"uid\":8,\"exe\":\"/opt/q/r/bin/x\"} "
	    "2026-11-27T01:09:07Z mx c: m") == 0, "exe alone, deeper");
	CHECK(judge(&cfg->trust, "@cred{\"uid\":0} 2026-11-27T01:09:07Z mx c: m")
	    == 0, "exe alone, not known: no uid to fall back on");
	config_free(cfg);
	/* a user this host does not have matches nobody */
	cfg = load("trust = ( { program = \"*\"; users = "
	    "[\"no-such-user-mailban\"]; } );");
	if (cfg == NULL)
		return;
	CHECK(cfg->trust.rules[0].nusers == 1 && cfg->trust.rules[0].nuids == 0,
	    "unresolved");
	CHECK(judge(&cfg->trust, "@cred{\"uid\":0} 2026-11-27T01:09:07Z mx a: m")
	    == 0, "nobody matches");
	config_free(cfg);
}

/* An entry as the journal gives it: credentials from its fields. */
static int
judge_entry(const struct trust *t, const char *prog, int64_t uid,
    const char *exe, const char *unit)
{
	struct logline ll;

	memset(&ll, 0, sizeof(ll));
	ll.prog = prog;
	ll.proglen = strlen(prog);
	ll.cred.has = 1;
	ll.cred.pid = 4242;
	ll.cred.uid = uid;
	ll.cred.gid = -1;
	ll.cred.exe = exe != NULL ? exe : "";
	ll.cred.exelen = exe != NULL ? strlen(exe) : 0;
	ll.cred.comm = "";
	ll.cred.unit = unit != NULL ? unit : "";
	ll.cred.unitlen = unit != NULL ? strlen(unit) : 0;
	ll.cred.unit_known = 1;
	return trust_line(t, &ll);
}

/* The journal knows the writer's systemd unit: an entry must come from
 * one of the entry's units, besides its executable and user. */
static void
journal_units(void)
{
	struct config *cfg = load(NULL);
	const struct trust *t;

	CHECK(cfg != NULL, "the shipped rules");
	if (cfg == NULL)
		return;
	t = &cfg->trust;
	CHECK(judge_entry(t, "postfix/smtpd", 0, "/usr/lib/postfix/sbin/smtpd",
	    "postfix@-.service") == 1, "postfix in its unit");
	CHECK(judge_entry(t, "postfix-out/postscreen", 0,
	    "/usr/lib/postfix/sbin/postscreen", "postfix@postfix-out.service") ==
	    1, "a second instance's unit");
	CHECK(judge_entry(t, "exim", 0, "/usr/sbin/exim4", "exim4.service") == 1,
	    "exim in its unit");
	CHECK(judge_entry(t, "sm-mta", 0, "/usr/libexec/sendmail/sendmail",
	    "sendmail.service") == 1, "sendmail in its unit");
	CHECK(judge_entry(t, "postfix/smtpd", 0, "/usr/lib/postfix/sbin/smtpd",
	    "cron.service") == 0, "the MTA's binary run by root from cron");
	CHECK(judge_entry(t, "postfix/smtpd", 0, "/usr/lib/postfix/sbin/smtpd",
	    NULL) == 0, "outside every unit");
	CHECK(judge_entry(t, "exim", 0, "/usr/sbin/exim4",
	    "postfix@-.service") == 0, "another MTA's unit");
	CHECK(judge_entry(t, "postfix/smtpd", 1000, "/usr/lib/postfix/sbin/smtpd",
	    "postfix@-.service") == 0, "the unit, not the user");
	CHECK(judge_entry(t, "postfix/smtpd", 0, "/usr/bin/python3.11",
	    "postfix@-.service") == 0, "the unit, not the executable");
	CHECK(judge_entry(t, "postfix/smtpd", 0, NULL, "postfix@-.service") == 1,
	    "the unit and the user, the writer gone: its uid decides");
	config_free(cfg);
	/* an entry without units judges the journal's entries without them */
	cfg = load("trust = ( { program = \"t\"; users = [ \"0\" ]; } );");
	if (cfg != NULL) {
		CHECK(judge_entry(&cfg->trust, "t", 0, NULL, "any.service") == 1 &&
		    judge_entry(&cfg->trust, "t", 0, NULL, NULL) == 1,
		    "no units named: any unit, or none");
		config_free(cfg);
	}
}

static const struct test_case cases[] = {
	TEST_CASE(journal_units),
	TEST_CASE(header),
	TEST_CASE(shipped_rules),
	TEST_CASE(file_rules),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	return TEST_RUN(cases, argc, argv);
}
