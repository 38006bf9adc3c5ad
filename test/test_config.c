/* Unit tests for config.c: defaults (the built-in text, setting by
 * setting), overrides, every range check, and errors that name FILE:LINE. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"

#include "config.h"
#include "pattern.h"
#include "test.h"

static const char good_pattern[] =
    "patterns = ( { name = \"p\"; program = \"postfix*/smtpd\"; score = 3;\n"
    "  regex = \"^x \\\\[(?<ip>[0-9.]+)\\\\]$\"; } );\n";

static char dir[] = "/tmp/mailban-test-config-XXXXXX";

static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
		abort();
	return path;
}

/* Load text; expect failure whose message contains want (or success). */
static void
expect(const char *text, const char *want)
{
	char err[1024] = "", full[4096];
	struct config *cfg;
	const char *path;

	snprintf(full, sizeof(full), "%s", text);
	path = write_file("c.conf", full);
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	if (want == NULL) {
		CHECK(cfg != NULL, "rejected: %s\n---\n%s", err, text);
	} else {
		CHECK(cfg == NULL, "accepted, want error \"%s\"\n---\n%s", want,
		    text);
		CHECK(strstr(err, want) != NULL, "error \"%s\", want \"%s\"", err,
		    want);
	}
	config_free(cfg);
}

/* The built-in configuration loads and has the documented defaults. */
static void
builtin(void)
{
	char err[1024];
	struct config *cfg;

	cfg = config_load(NULL, NULL, 0, err, sizeof(err));
	CHECK(cfg != NULL, "built-in config: %s", err);
	if (cfg != NULL) {
		CHECK(cfg->policy == POLICY_PORT, "policy");
		CHECK(cfg->nports == 3 && cfg->ports[0] == 25 &&
		    cfg->ports[1] == 465 && cfg->ports[2] == 587, "ports");
		CHECK_STR(cfg->set4, "mailban4");
		CHECK_STR(cfg->set6, "mailban6");
		CHECK(cfg->maxelem == 1048576, "maxelem %u", cfg->maxelem);
		CHECK(cfg->threshold == 10, "threshold");
		CHECK(cfg->window == 600, "window");
		CHECK(cfg->nbantimes == 4 && cfg->bantimes[0] == 3600 &&
		    cfg->bantimes[3] == 30 * 86400, "bantimes");
		CHECK(cfg->forget == 365 * 86400, "forget");
		CHECK(cfg->batch_size == 512 && cfg->batch_idle_ms == 50, "batch");
		CHECK(cfg->max_tracked == 1000000, "tracked");
		CHECK(pattern_count(cfg->patterns) >= 20, "patterns: %zu",
		    pattern_count(cfg->patterns));
		CHECK(cfg->zone4 == NULL && cfg->zone6 == NULL, "no zone");
		CHECK(cfg->zone_every == 5, "zone.every");
		CHECK_STR(cfg->zone_value, "127.0.0.2");
		CHECK_STR(cfg->zone_text, "Listed by mailban: abusive SMTP client $");
		CHECK_STR(cfg->report_html, "");
		CHECK(cfg->report_every == 60, "report.every");
		config_free(cfg);
	}
}

static void
overrides(void)
{
	char err[1024], *ov[4];
	struct config *cfg;

	ov[0] = "policy=\"drop\"";
	ov[1] = "bantimes=[\"2s\", \"1h\"]";
	ov[2] = "state=\"/tmp/x.db\"";
	ov[3] = "batch={ size = 7; idle = \"5ms\"; }";
	cfg = config_load(NULL, ov, 4, err, sizeof(err));
	CHECK(cfg != NULL, "overrides: %s", err);
	if (cfg != NULL) {
		CHECK(cfg->policy == POLICY_DROP, "override policy");
		CHECK(cfg->nbantimes == 2 && cfg->bantimes[0] == 2, "bantimes");
		CHECK_STR(cfg->state, "/tmp/x.db");
		CHECK(cfg->batch_size == 7 && cfg->batch_idle_ms == 5, "batch");
		config_free(cfg);
	}
	ov[0] = "policy=\"reject\"";
	cfg = config_load(NULL, ov, 1, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "-o policy:") != NULL, "bad -o: %s", err);
	ov[0] = "threshold";
	cfg = config_load(NULL, ov, 1, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "NAME=VALUE") != NULL, "-o: %s", err);
	ov[0] = "thresold=3";
	cfg = config_load(NULL, ov, 1, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "unknown setting") != NULL, "typo: %s",
	    err);
	ov[0] = "threshold=[";
	cfg = config_load(NULL, ov, 1, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "-o threshold: threshold: expected an "
	    "integer") != NULL, "not a value: %s", err);
	/* bare words are strings, as in -o policy=drop -o state=/tmp/x.db */
	ov[0] = "policy=drop";
	ov[1] = "state=/tmp/y.db";
	ov[2] = "sets={ipv4=\"q4\"; ipv6=\"q6\";}";
	cfg = config_load(NULL, ov, 3, err, sizeof(err));
	CHECK(cfg != NULL, "bare words: %s", err);
	if (cfg != NULL) {
		CHECK(cfg->policy == POLICY_DROP, "bare policy");
		CHECK_STR(cfg->state, "/tmp/y.db");
		CHECK_STR(cfg->set4, "q4");
		config_free(cfg);
	}
	ov[0] = "threshold=3";
	ov[1] = "threshold=4";
	cfg = config_load(NULL, ov, 2, err, sizeof(err));
	CHECK(cfg != NULL && cfg->threshold == 4, "last -o wins: %s", err);
	config_free(cfg);
	ov[0] = "state=/tmp/x\"y.db";
	cfg = config_load(NULL, ov, 1, err, sizeof(err));
	CHECK(cfg != NULL && strcmp(cfg->state, "/tmp/x\"y.db") == 0,
	    "quote in a bare word: %s", err);
	config_free(cfg);
}

static void
durations(void)
{
	int64_t v;

	CHECK(config_parse_duration("90", &v) == 0 && v == 90, "90");
	CHECK(config_parse_duration("10m", &v) == 0 && v == 600, "10m");
	CHECK(config_parse_duration("1w", &v) == 0 && v == 604800, "1w");
	CHECK(config_parse_duration("30d", &v) == 0 && v == 2592000, "30d");
	CHECK(config_parse_duration("1x", &v) < 0, "1x");
	CHECK(config_parse_duration("", &v) < 0, "empty");
	CHECK(config_parse_duration("-1h", &v) < 0, "negative");
	CHECK(config_parse_duration("99999999999999999999d", &v) < 0, "huge");
	CHECK(config_parse_duration_ms("50ms", &v) == 0 && v == 50, "50ms");
}

/* Files: good, and errors that name FILE:LINE. */
static void
files(void)
{
	expect(good_pattern, NULL);
	expect("threshold = 5;\nwindow = \"1h\";\n" "ports = [25];\n"
	    "ignore = [\"10.0.0.0/8\", \"2001:db8::/32\"];\n" "bantimes = [3600];\n"
	    "sets = { ipv4 = \"a4\"; ipv6 = \"a6\"; maxelem = 100; };\n"
	    "limits = { tracked = 100; qids = 100; };\n" "state = \"/tmp/s.db\";\n"
	    "policy = \"drop\";\n" "forget = \"30d\";\n" "batch = { size = 1; };\n"
	    "patterns = ( { name = \"p\"; program = [\"a\", \"b*\"]; score = 0;\n"
	    "  regex = \"^(?<qid>\\\\w+): x$\"; } );\n", NULL);
	expect("threshold = 0;\n", "c.conf:1: threshold: 0 is out of range");
	expect("\nthreshold = \"ten\";\n", "c.conf:2: threshold: expected an integer");
	expect("policy = \"reject\";\n", "c.conf:1: policy");
	expect("window = \"10 minutes\";\n", "c.conf:1: window: expected a duration");
	expect("ports = [25, 70000];\n", "c.conf:1: value: 70000 is out of range");
	expect("ports = [];\n", "c.conf:1: ports: at least one port");
	expect("ignore = [\"mail.example.com\"];\n", "c.conf:1: ignore:");
	expect("ignore = [\"10.0.0.0/33\"];\n", "ignore:");
	expect("sets = { ipv4 = \"x\"; ipv6 = \"x\"; };\n", "different names");
	expect("sets = { ipv4 = \"a b\"; };\n", "c.conf:1: set name");
	expect("sets = { ipv4 = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"; };\n",
	    "set name must have");
	expect("bantimes = [];\n", "bantimes: at least one");
	expect("state = \"relative.db\";\n", "absolute path");
	expect("tresholds = 3;\n", "c.conf:1: unknown setting \"tresholds\"");
	expect("threshold = 3;\nwindow = ;\n", "c.conf:2: syntax error");
	expect("patterns = ( { name = \"p\"; program = \"x\"; score = 1;\n"
	       "  regex = \"^a(?<ip>[0-9.]+\"; } );\n",
	    "c.conf:2: pattern \"p\": missing closing parenthesis at offset");
	expect("patterns = ( { name = \"p\"; program = \"x\"; score = 1;\n"
	       "  regex = \"^a([0-9.]+)\"; } );\n", "no named group");
	expect("patterns = ( { name = \"p\"; program = \"x\"; score = -1;\n"
	       "  regex = \"^(?<ip>a)\"; } );\n", "c.conf:1: score");
	expect("patterns = ( { name = \"p\"; score = 1;\n"
	       "  regex = \"^(?<ip>a)\"; } );\n", "needs program, score and regex");
	expect("patterns = ( { name = \"p\"; program = \"x\"; score = 1; "
	       "regex = \"^(?<ip>a)\"; },\n { name = \"p\"; program = \"x\"; "
	       "score = 1; regex = \"^(?<ip>a)\"; } );\n", "defined twice");
	expect("patterns = ( { name = \"p\"; program = \"x\"; score = 1;"
	       " regx = \"^(?<ip>a)\"; } );\n", "unknown setting \"regx\"");
	expect("patterns = ( { name = \"p\"; program = \"x\"; score = 1;"
	       " notice = \"dnsbl-error\"; regex = \"^(?<ip>a)\"; } );\n",
	    "a notice never scores");
	expect("patterns = ( { name = \"p\"; program = \"x\";"
	       " notice = \"dnsbl\"; regex = \"^(?<ip>a)\"; } );\n",
	    "c.conf:1: notice: expected \"dnsbl-error\"");
	expect("patterns = ( { name = \"p\"; program = \"x\"; score = 1;"
	       " unless = \"q\"; regex = \"^(?<ip>a)\"; } );\n",
	    "c.conf:1: unless: no pattern \"q\" before this one");
	expect("patterns = ();\n", "the list is empty");
	expect("batch = { idle = \"2m\"; };\n", "batch.idle");
	expect("trust = ( { exe = \"/x\"; users = [\"root\"]; } );\n",
	    "c.conf:1: trust: each entry needs a program");
	expect("trust = ( { program = \"x\"; } );\n",
	    "c.conf:1: trust: an entry with neither exe nor users");
	expect("trust = ( { program = \"x\"; exe = \"usr/sbin/x\"; } );\n",
	    "trust: exe: \"usr/sbin/x\" is not an absolute path");
	expect("trust = ( { program = \"x\"; users = \"root\"; } );\n",
	    "trust: users: expected a list");
	expect("trust = ( { program = \"x\"; user = [\"root\"]; } );\n",
	    "trust: unknown setting \"user\"");
	expect("trust = ( { program = \"x\"; users = [ -1 ]; } );\n",
	    "out of range");
	expect("trust = { program = \"x\"; };\n", "trust: expected a list");
}

/* @include: errors name the included file. */
static void
include(void)
{
	write_file("inc.conf", "patterns = ( { name = \"p\"; program = \"x\";\n"
	    "  score = 1; regex = \"^(?<ip>[\"; } );\n");
	expect("@include \"inc.conf\"\n", "inc.conf:2: pattern \"p\"");
	write_file("inc.conf", good_pattern);
	expect("threshold = 4;\n@include \"inc.conf\"\n", NULL);
	expect("threshold = 4;\n  @include \"inc.conf\"  # the patterns\n",
	    NULL);
	expect("threshold = 4;\n@include \"inc.conf\" x = 1;\n",
	    "c.conf:2: @include: nothing but a comment may follow");
	expect("\n@include \"nope.conf\"\n", "c.conf:2: @include: ");
	expect("\n@include \"nope.conf\"\n", "nope.conf: cannot read");
	expect("@include nope.conf\n", "c.conf:1: @include: expected");
	/* inside a string or a comment, @include is text */
	expect("/*\n@include \"nope.conf\"\n*/\n" "state = \"x\n"
	    "@include nope.conf\";\n", "c.conf:4: state: use an absolute path");
	write_file("inc.conf", "@include \"inc.conf\"\n");
	expect("@include \"inc.conf\"\n", "nested more than 10 deep");
	unlink(write_file("inc.conf", ""));
}

static void
unreadable(void)
{
	char err[1024];
	struct config *cfg;

	cfg = config_load("/nonexistent/mailban.conf", NULL, 0, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "/nonexistent/mailban.conf: cannot read")
	    != NULL, "missing file: %s", err);
}

/*
 * Every setting: its name, a file that gives it a value other than the
 * built-in one (and nothing else), and whether two configurations agree
 * on it.  A new setting gets a row here (see config.h).
 */
static int
same_ports(const struct config *a, const struct config *b)
{
	return a->nports == b->nports &&
	    memcmp(a->ports, b->ports, a->nports * sizeof(a->ports[0])) == 0;
}

static int
same_ignore(const struct config *a, const struct config *b)
{
	size_t i;

	if (a->ignore.n != b->ignore.n)
		return 0;
	for (i = 0; i < a->ignore.n; i++)
		if (a->ignore.items[i].plen != b->ignore.items[i].plen ||
		    !addr_equal(&a->ignore.items[i].addr, &b->ignore.items[i].addr))
			return 0;
	return 1;
}

static int
same_bantimes(const struct config *a, const struct config *b)
{
	return a->nbantimes == b->nbantimes && memcmp(a->bantimes, b->bantimes,
	    a->nbantimes * sizeof(a->bantimes[0])) == 0;
}

static int
same_text(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static int
same_dnsbl(const struct config *a, const struct config *b)
{
	size_t i;

	if (a->nreport_dnsbl != b->nreport_dnsbl)
		return 0;
	for (i = 0; i < a->nreport_dnsbl; i++)
		if (strcmp(a->report_dnsbl[i], b->report_dnsbl[i]) != 0)
			return 0;
	return 1;
}

static int
same_trust(const struct config *a, const struct config *b)
{
	size_t i, j;

	if (a->trust.n != b->trust.n)
		return 0;
	for (i = 0; i < a->trust.n; i++) {
		const struct trust_rule *x = &a->trust.rules[i], *y = &b->trust.rules[i];

		if (x->nprogs != y->nprogs || x->nexe != y->nexe ||
		    x->nusers != y->nusers || x->nuids != y->nuids)
			return 0;
		for (j = 0; j < x->nprogs; j++)
			if (strcmp(x->progs[j], y->progs[j]) != 0)
				return 0;
		for (j = 0; j < x->nexe; j++)
			if (strcmp(x->exe[j], y->exe[j]) != 0)
				return 0;
		for (j = 0; j < x->nuids; j++)
			if (x->uids[j] != y->uids[j])
				return 0;
	}
	return 1;
}

#define SAME(field) \
	static int same_##field(const struct config *a, \
	    const struct config *b) { return a->field == b->field; }
#define SAME_TEXT(field) \
	static int same_##field(const struct config *a, \
	    const struct config *b) { return same_text(a->field, b->field); }

SAME(policy)
SAME_TEXT(set4)
SAME_TEXT(set6)
SAME(maxelem)
SAME(threshold)
SAME(window)
SAME(forget)
SAME_TEXT(state)
SAME(batch_size)
SAME(batch_idle_ms)
SAME(max_tracked)
SAME(max_qids)
SAME_TEXT(zone4)
SAME_TEXT(zone6)
SAME(zone_every)
SAME_TEXT(zone_value)
SAME_TEXT(zone_text)
SAME_TEXT(report_html)
SAME(report_every)
SAME_TEXT(report_lookup)

static const struct setting {
	const char *name;
	const char *text; /* a value other than the built-in one */
	int (*same)(const struct config *, const struct config *);
} settings[] = {
	{"policy", "policy = \"drop\";", same_policy},
	{"ports", "ports = [2525];", same_ports},
	{"sets.ipv4", "sets = { ipv4 = \"t4\"; };", same_set4},
	{"sets.ipv6", "sets = { ipv6 = \"t6\"; };", same_set6},
	{"sets.maxelem", "sets = { maxelem = 77; };", same_maxelem},
	{"ignore", "ignore = [\"192.0.2.0/24\"];", same_ignore},
	{"threshold", "threshold = 77;", same_threshold},
	{"window", "window = \"7m\";", same_window},
	{"bantimes", "bantimes = [\"7m\"];", same_bantimes},
	{"forget", "forget = \"7d\";", same_forget},
	{"state", "state = \"/tmp/t.db\";", same_state},
	{"batch.size", "batch = { size = 7; };", same_batch_size},
	{"batch.idle", "batch = { idle = \"7ms\"; };", same_batch_idle_ms},
	{"limits.tracked", "limits = { tracked = 77; };", same_max_tracked},
	{"limits.qids", "limits = { qids = 77; };", same_max_qids},
	{"zone.ipv4", "zone = { ipv4 = \"/tmp/z4\"; };", same_zone4},
	{"zone.ipv6", "zone = { ipv6 = \"/tmp/z6\"; };", same_zone6},
	{"zone.every", "zone = { every = \"7s\"; };", same_zone_every},
	{"zone.value", "zone = { value = \"127.0.0.7\"; };", same_zone_value},
	{"zone.text", "zone = { text = \"t\"; };", same_zone_text},
	{"report.html", "report = { html = \"/tmp/t.html\"; };",
	    same_report_html},
	{"report.every", "report = { every = \"7s\"; };", same_report_every},
	{"report.lookup", "report = { lookup = \"\"; };", same_report_lookup},
	{"report.dnsbl", "report = { dnsbl = [\"x\"]; };", same_dnsbl},
	{"trust", "trust = ( { program = \"x\"; users = [ 7 ]; } );",
	    same_trust},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* The names of the settings on which a and b differ, in table order. */
static const char *
differ(const struct config *a, const struct config *b)
{
	static char buf[1024];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < NSETTINGS; i++)
		if (!settings[i].same(a, b))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			    "%s%s", buf[0] ? " " : "", settings[i].name);
	return buf;
}

/* text as a file of its own; NULL with err when it does not load. */
static struct config *
load_text(const char *text, char *err, size_t errlen)
{
	return config_load(write_file("s.conf", text), NULL, 0, err, errlen);
}

/*
 * A file that leaves out every setting but the patterns gets the built-in
 * value of each; one that gives one setting changes that one alone (the
 * other members of its group keep theirs).
 */
static void
omitted_settings(void)
{
	char err[1024], text[1024];
	struct config *builtin, *cfg;
	size_t i;

	builtin = config_load(NULL, NULL, 0, err, sizeof(err));
	CHECK(builtin != NULL, "built-in config: %s", err);
	if (builtin == NULL)
		return;
	cfg = load_text(good_pattern, err, sizeof(err));
	CHECK(cfg != NULL, "patterns only: %s", err);
	if (cfg != NULL) {
		CHECK_STR(differ(cfg, builtin), "");
		CHECK(pattern_count(cfg->patterns) == 1, "the file's patterns: %zu",
		    pattern_count(cfg->patterns));
	}
	config_free(cfg);
	for (i = 0; i < NSETTINGS; i++) {
		snprintf(text, sizeof(text), "%s\n%s", settings[i].text,
		    good_pattern);
		cfg = load_text(text, err, sizeof(err));
		CHECK(cfg != NULL, "%s: %s", settings[i].name, err);
		if (cfg != NULL)
			CHECK_STR(differ(cfg, builtin), settings[i].name);
		config_free(cfg);
	}
	config_free(builtin);
	unlink(write_file("s.conf", ""));
}

/*
 * The shipped file, read from the source tree, is the built-in text:
 * loading it gives the defaults, patterns and all.
 */
static void
shipped_file(void)
{
	char err[1024], path[4096];
	const char *srcdir = getenv("SRCDIR");
	struct config *builtin, *cfg;
	size_t i;

	if (srcdir == NULL) {
		fprintf(stderr, "SRCDIR is not set: shipped_file not run\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/etc/mailban.conf", srcdir);
	builtin = config_load(NULL, NULL, 0, err, sizeof(err));
	CHECK(builtin != NULL, "built-in config: %s", err);
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(cfg != NULL, "%s: %s", path, err);
	if (builtin != NULL && cfg != NULL) {
		CHECK_STR(differ(cfg, builtin), "");
		CHECK(pattern_count(cfg->patterns) ==
		    pattern_count(builtin->patterns), "patterns %zu, %zu",
		    pattern_count(cfg->patterns), pattern_count(builtin->patterns));
		for (i = 0; i < pattern_count(cfg->patterns); i++)
			CHECK_STR(pattern_name(pattern_get(cfg->patterns, i)),
			    pattern_name(pattern_get(builtin->patterns, i)));
	}
	config_free(cfg);
	config_free(builtin);
}

/* Load text with the -o overrides ov; expect failure whose message
 * contains want (or success, and then the config). */
static struct config *
expect_ov(const char *text, char **ov, size_t nov, const char *want)
{
	char err[1024] = "";
	struct config *cfg;

	cfg = config_load(text ? write_file("c.conf", text) : NULL, ov, nov, err,
	    sizeof(err));
	if (want == NULL) {
		CHECK(cfg != NULL, "rejected: %s", err);
		return cfg;
	}
	CHECK(cfg == NULL, "accepted, want error \"%s\"", want);
	CHECK(strstr(err, want) != NULL, "error \"%s\", want \"%s\"", err, want);
	config_free(cfg);
	return NULL;
}

/*
 * Numbers are 64-bit and range-checked: libconfig 1.5 alone wraps an
 * integer above 2^31 (4294967297 became threshold 1, and check said OK).
 */
static void
numbers_64bit(void)
{
	struct config *cfg;
	char *ov[1];

	expect("threshold = 4294967297;\n" "\n",
	    "c.conf:1: threshold: 4294967297 is out of range [1, 1000000]");
	expect("threshold = -4294967295;\n", "threshold: -4294967295 is out of");
	expect("threshold = 0x100000001;\n", "threshold: 4294967297 is out of");
	expect("\nlimits = { tracked = 4294967297; };\n",
	    "c.conf:2: tracked: 4294967297 is out of range");
	expect("limits = { qids = 4294967312; };\n", "qids: 4294967312 is out");
	expect("sets = { maxelem = 4294967296; };\n",
	    "maxelem: 4294967296 is out of range [1, 4294967295]");
	expect("ports = [25, 4294967321];\n", "4294967321 is out of range");
	expect("bantimes = [4294967297];\n", "duration out of range");
	expect("batch = { size = 4294967297; };\n", "size: 4294967297 is out");
	expect("window = 4294967297;\n", "window: duration out of range");
	expect("threshold = 99999999999999999999;\n",
	    "c.conf:1: 99999999999999999999: a number out of range");
	expect("threshold = 0x10000000000000000;\n", "a number out of range");
	expect("threshold = 9223372036854775807;\n",
	    "9223372036854775807 is out of range");
	expect("threshold = 1.5;\n", "threshold: expected an integer");
	/* the largest that fits, with or without the L suffix */
	cfg = expect_ov("sets = { maxelem = 4294967295; ipv4 = \"a4\"; };\n"
	    "threshold = 7L;  # 4294967297 in a comment\n"
	    "state = \"/tmp/4294967297.db\";\n" "/* 99999999999999999999 */\n"
	    "limits = { tracked = 100000000; };\n" "report = { dnsbl = "
	    "[\"x-4294967297\"]; };\n" "patterns = ( { name = \"p1\"; program = "
	    "\"p2\"; score = 3;\n  regex = \"^x \\\\[(?<ip>[0-9.]{1,99})\\\\]$\"; "
	    "} );\n", NULL, 0, NULL);
	if (cfg != NULL) {
		CHECK(cfg->maxelem == 4294967295u, "maxelem %u", cfg->maxelem);
		CHECK(cfg->threshold == 7, "threshold %ld", cfg->threshold);
		CHECK_STR(cfg->state, "/tmp/4294967297.db");
		CHECK_STR(cfg->set4, "a4");
		CHECK(cfg->max_tracked == 100000000, "tracked");
		CHECK_STR(cfg->report_dnsbl[0], "x-4294967297");
		config_free(cfg);
	}
	ov[0] = "threshold=4294967297";
	expect_ov(NULL, ov, 1, "-o threshold: threshold: 4294967297 is out of "
	    "range");
	ov[0] = "limits={ tracked = 4294967297; }";
	expect_ov(NULL, ov, 1, "-o limits: tracked: 4294967297 is out of range");
	ov[0] = "sets={ maxelem = 4294967297; }";
	expect_ov(NULL, ov, 1, "maxelem: 4294967297 is out of range");
	ov[0] = "threshold=99999999999999999999";
	expect_ov(NULL, ov, 1, "-o threshold=99999999999999999999: a number "
	    "out of range");
	/* an included file is read the same way */
	write_file("inc.conf", "\nthreshold = 4294967297;\n");
	expect("@include \"inc.conf\"\n", "inc.conf:2: threshold: 4294967297");
	unlink(write_file("inc.conf", ""));
}

/* One -o, one value of one setting. */
static void
one_value_per_o(void)
{
	struct config *cfg;
	char *ov[2];

	ov[0] = "threshold=1; policy=\"drop\"";
	expect_ov(NULL, ov, 1, "-o threshold=1; policy=\"drop\": one NAME=VALUE "
	    "per -o");
	ov[0] = "threshold=1; threshold=2";
	expect_ov(NULL, ov, 1, "threshold");
	ov[0] = "policy=drop; threshold=1";
	expect_ov(NULL, ov, 1, "one NAME=VALUE per -o");
	ov[0] = "state=/tmp/x.db; policy=\"drop\"";
	expect_ov(NULL, ov, 1, "one NAME=VALUE per -o");
	ov[0] = "threshold=1;\npolicy=\"drop\"";
	expect_ov(NULL, ov, 1, "-o threshold: the value must be on one line");
	ov[0] = "ports=[25]; ports=[26]";
	expect_ov(NULL, ov, 1, "-o ports=[25]; ports=[26]: one NAME=VALUE per");
	/* one value: a group, a list, a quoted string with ";" */
	ov[0] = "batch={ size = 7; idle = \"5ms\"; }";
	ov[1] = "state=\"/tmp/a;b.db\"";
	cfg = expect_ov(NULL, ov, 2, NULL);
	if (cfg != NULL) {
		CHECK(cfg->batch_size == 7 && cfg->batch_idle_ms == 5, "batch");
		CHECK_STR(cfg->state, "/tmp/a;b.db");
		CHECK(cfg->policy == POLICY_PORT, "policy untouched");
		config_free(cfg);
	}
}

static const struct pattern *
find_pattern(const struct config *cfg, const char *name, size_t *index)
{
	for (size_t i = 0; i < pattern_count(cfg->patterns); i++)
		if (strcmp(pattern_name(pattern_get(cfg->patterns, i)), name) == 0) {
			if (index != NULL)
				*index = i;
			return pattern_get(cfg->patterns, i);
		}
	return NULL;
}

static const char two_patterns[] =
    "patterns = ( { name = \"p\"; program = \"postfix*/smtpd\"; score = 3;\n"
    "  regex = \"^x \\\\[(?<ip>[0-9.]+)\\\\]$\"; },\n"
    " { name = \"q\"; program = \"exim\"; score = 4;\n"
    "  regex = \"^q \\\\[(?<ip>[0-9.]+)\\\\]$\"; } );\n";

/*
 * Drop-ins FILE.d/NAME.conf, in the byte order of NAME: settings by name,
 * group members one by one, lists whole; patterns added, changed member by
 * member, disabled; errors name the drop-in's FILE:LINE.
 */
static void
dropins(void)
{
	char err[1024], path[512], d[300];
	struct config *cfg;
	const struct pattern *p;
	size_t i = 0;
	char *ov[1];

	snprintf(path, sizeof(path), "%s/c.conf", dir);
	snprintf(d, sizeof(d), "%s/c.conf.d", dir);
	CHECK(mkdir(d, 0700) == 0, "mkdir %s", d);
	write_file("c.conf", "threshold = 5;\nwindow = \"1h\";\n"
	    "sets = { ipv4 = \"a4\"; ipv6 = \"a6\"; };\nports = [25, 587];\n");
	write_file("c.conf.d/10-first.conf", "threshold = 7;\n"
	    "sets = { ipv6 = \"b6\"; };\nports = [2525];\n"
	    "patterns = ( { name = \"p\"; score = 9; },\n"
	    "  { name = \"new\"; program = \"sendmail\"; score = 2;\n"
	    "    regex = \"^n (?<ip>[0-9.]+)$\"; } );\n");
	write_file("c.conf.d/9-second.conf", "threshold = 8;\n"
	    "patterns = ( { name = \"q\"; enabled = false; } );\n");
	write_file("c.conf.d/README", "threshold = bad;\n");
	write_file("c.conf.d/.hidden.conf", "threshold = bad;\n");
	write_file("c.conf.d/x.conf.dpkg-old", "threshold = bad;\n");
	/* the main file needs its patterns: append them */
	{
		FILE *fp = fopen(path, "a");

		CHECK(fp != NULL && fputs(two_patterns, fp) >= 0 && fclose(fp) == 0,
		    "append");
	}
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(cfg != NULL, "drop-ins: %s", err);
	if (cfg != NULL) {
		CHECK(cfg->threshold == 8, "9-second.conf comes last: %ld",
		    cfg->threshold);
		CHECK(cfg->window == 3600, "the main file's window");
		CHECK_STR(cfg->set4, "a4");
		CHECK_STR(cfg->set6, "b6");
		CHECK(cfg->nports == 1 && cfg->ports[0] == 2525, "ports replaced");
		CHECK(pattern_count(cfg->patterns) == 2, "patterns %zu",
		    pattern_count(cfg->patterns));
		p = find_pattern(cfg, "p", &i);
		CHECK(p != NULL && pattern_score(p) == 9 && i == 0,
		    "p: score changed, place kept");
		CHECK(find_pattern(cfg, "q", NULL) == NULL, "q disabled");
		p = find_pattern(cfg, "new", &i);
		CHECK(p != NULL && i == 1, "new added at the end");
		CHECK(config_file_count(cfg) == 3, "files %zu",
		    config_file_count(cfg));
		if (config_file_count(cfg) == 3) {
			CHECK_STR(config_file_name(cfg, 0), path);
			CHECK(strstr(config_file_name(cfg, 1), "c.conf.d/10-first.conf")
			    != NULL, "%s", config_file_name(cfg, 1));
			CHECK(strstr(config_file_name(cfg, 2), "c.conf.d/9-second.conf")
			    != NULL, "%s", config_file_name(cfg, 2));
		}
		config_free(cfg);
	}
	/* -o comes after the drop-ins; a later layer re-enables */
	ov[0] = "patterns=( { name = \"q\"; enabled = true; } )";
	cfg = config_load(path, ov, 1, err, sizeof(err));
	CHECK(cfg != NULL && find_pattern(cfg, "q", NULL) != NULL,
	    "-o re-enables q: %s", cfg ? "" : err);
	config_free(cfg);
	/* errors name the drop-in */
	write_file("c.conf.d/9-second.conf", "threshold = 8;\n"
	    "threshold = 9;\n");
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "c.conf.d/9-second.conf:2: duplicate "
	    "setting name") != NULL, "a name twice in one drop-in: %s", err);
	config_free(cfg);
	write_file("c.conf.d/9-second.conf", "\nwindow = \"ten\";\n");
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "c.conf.d/9-second.conf:2: window: "
	    "expected a duration") != NULL, "bad value: %s", err);
	config_free(cfg);
	write_file("c.conf.d/9-second.conf", "patterns = (\n"
	    " { name = \"p\";\n   regex = \"^(?<ip>[\"; } );\n");
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "c.conf.d/9-second.conf:3: pattern "
	    "\"p\": missing terminating ]") != NULL, "bad regex: %s", err);
	config_free(cfg);
	write_file("c.conf.d/9-second.conf", "patterns = (\n"
	    " { name = \"z\"; score = 1; } );\n");
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "c.conf.d/9-second.conf:2: pattern "
	    "\"z\": needs program, score and regex") != NULL, "incomplete: %s",
	    err);
	config_free(cfg);
	write_file("c.conf.d/9-second.conf", "patterns = ( { name = \"z\"; "
	    "program = \"x\"; score = 1; regex = \"^(?<ip>a)\"; },\n"
	    " { name = \"z\"; score = 2; } );\n");
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "9-second.conf:2: pattern \"z\": "
	    "defined twice") != NULL, "twice in one drop-in: %s", err);
	config_free(cfg);
	write_file("c.conf.d/9-second.conf", "patterns = ( { name = \"p\"; "
	    "enabled = false; }, { name = \"q\"; enabled = false; },\n"
	    "{ name = \"new\"; enabled = false; } );\n");
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "no pattern is enabled") != NULL,
	    "all disabled: %s", err);
	config_free(cfg);
	write_file("c.conf.d/9-second.conf", "frobnicate = 1;\n");
	cfg = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "9-second.conf:1: unknown setting "
	    "\"frobnicate\"") != NULL, "typo: %s", err);
	config_free(cfg);
	/* without a main file: the built-in one, and the drop-ins */
	write_file("c.conf.d/9-second.conf", "threshold = 3;\n"
	    "patterns = ( { name = \"postfix-rbl\"; enabled = false; } );\n");
	unlink(write_file("c.conf.d/10-first.conf", ""));
	unlink(path);
	cfg = config_load_default(path, NULL, 0, err, sizeof(err));
	CHECK(cfg != NULL, "built-in and drop-ins: %s", err);
	if (cfg != NULL) {
		CHECK_STR(cfg->path, "(built-in configuration)");
		CHECK(cfg->threshold == 3, "the drop-in's threshold");
		CHECK(find_pattern(cfg, "postfix-rbl", NULL) == NULL, "disabled");
		CHECK(find_pattern(cfg, "postfix-sasl", NULL) != NULL,
		    "built-in patterns");
		CHECK(config_file_count(cfg) == 2 && strstr(config_file_name(cfg,
		    0), "does not exist") != NULL, "files: %s",
		    config_file_name(cfg, 0));
		config_free(cfg);
	}
	/* with it: the file */
	write_file("c.conf", good_pattern);
	cfg = config_load_default(path, NULL, 0, err, sizeof(err));
	CHECK(cfg != NULL && strcmp(cfg->path, path) == 0 &&
	    pattern_count(cfg->patterns) == 1 && cfg->threshold == 3,
	    "the file when it exists: %s", cfg ? cfg->path : err);
	config_free(cfg);
	/* a file that is there but cannot be read is an error, never the
	 * built-in configuration in its place */
	if (geteuid() != 0) {
		chmod(path, 0);
		cfg = config_load_default(path, NULL, 0, err, sizeof(err));
		CHECK(cfg == NULL && strstr(err, "cannot read") != NULL,
		    "unreadable: %s", err);
		config_free(cfg);
	}
	for (const char *const *f = (const char *const[]){"9-second.conf",
	     "README", ".hidden.conf", "x.conf.dpkg-old", NULL}; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", d, *f);
		unlink(path);
	}
	rmdir(d);
	unlink(write_file("c.conf", ""));
}

/*
 * config_print: each value with the FILE:LINE it came from, as text that
 * loads to the same configuration.
 */
static void
print_loads_back(void)
{
	char err[1024], *text = NULL, path[512], d[300];
	struct config *cfg, *back;
	size_t size = 0;
	FILE *out;
	char *ov[1] = {"window=7m"};

	snprintf(path, sizeof(path), "%s/c.conf", dir);
	snprintf(d, sizeof(d), "%s/c.conf.d", dir);
	CHECK(mkdir(d, 0700) == 0, "mkdir");
	write_file("c.conf", two_patterns);
	write_file("c.conf.d/50-x.conf", "\nlimits = { qids = 99; };\n"
	    "patterns = ( { name = \"q\"; enabled = false; },\n"
	    " { name = \"r\"; program = [\"a\", \"b*\"]; score = 0;\n"
	    "   regex = \"^\\\"\\\\t(?<qid>\\\\w+): x$\"; } );\n");
	cfg = config_load(path, ov, 1, err, sizeof(err));
	CHECK(cfg != NULL, "load: %s", err);
	if (cfg == NULL)
		return;
	out = open_memstream(&text, &size);
	config_print(cfg, out);
	fclose(out);
	CHECK(strstr(text, "  qids = 99;  # ") != NULL &&
	    strstr(text, "c.conf.d/50-x.conf:2\n") != NULL, "qids from the "
	    "drop-in:\n%s", text);
	CHECK(strstr(text, "window = \"7m\";  # -o window\n") != NULL, "-o");
	CHECK(strstr(text, "threshold = 10;  # (built-in configuration):") !=
	    NULL, "built-in default");
	CHECK(strstr(text, "    enabled = false;  # ") != NULL, "disabled q");
	unlink(write_file("c.conf.d/50-x.conf", ""));
	rmdir(d);
	write_file("p.conf", text);
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	back = config_load(path, NULL, 0, err, sizeof(err));
	CHECK(back != NULL, "printed text loads: %s\n%s", err, text);
	if (back != NULL) {
		CHECK_STR(differ(back, cfg), "");
		CHECK(pattern_count(back->patterns) == 2 &&
		    find_pattern(back, "r", NULL) != NULL &&
		    find_pattern(back, "q", NULL) == NULL, "patterns");
	}
	config_free(back);
	config_free(cfg);
	free(text);
	unlink(path);
}

/* load_text of text after good_pattern, in t */
static struct config *
pt(char *t, const char *text, char *err, size_t errlen)
{
	snprintf(t, 1024, "%s%s", good_pattern, text);
	return load_text(t, err, errlen);
}

static void
prefixes(void)
{
	char err[1024], t[1024];
	struct config *cfg;

	cfg = pt(t, "", err, sizeof(err));
	CHECK(cfg != NULL, "defaults: %s", err);
	if (cfg != NULL) {
		CHECK(cfg->prefix4 == 32 && cfg->prefix6 == 64, "prefix defaults");
		CHECK(cfg->widen4 == 24 && cfg->widen6 == 48 &&
		    cfg->widen_count == 3, "widen defaults");
		config_free(cfg);
	}
	cfg = pt(t, "prefix = { ipv4 = 28; ipv6 = 56; };\n"
	    "widen = { ipv6 = 40; count = 5; };\n", err, sizeof(err));
	CHECK(cfg != NULL, "set: %s", err);
	if (cfg != NULL) {
		CHECK(cfg->prefix4 == 28 && cfg->prefix6 == 56 &&
		    cfg->widen4 == 24 && cfg->widen6 == 40 &&
		    cfg->widen_count == 5, "members one by one");
		config_free(cfg);
	}
	cfg = pt(t, "prefix = { ipv4 = 24; };\n", err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "widen.ipv4 (24)") != NULL,
	    "a widening no wider than the prefix: %s", err);
	config_free(cfg);
	cfg = pt(t, "prefix = { ipv4 = 24; };\nwiden = { count = 0; };\n",
	    err, sizeof(err));
	CHECK(cfg != NULL, "no widening, any prefix: %s", err);
	config_free(cfg);
	cfg = pt(t, "prefix = { ipv6 = 0; };\n", err, sizeof(err));
	CHECK(cfg == NULL, "/0 refused");
	config_free(cfg);
	cfg = pt(t, "prefix = { ipv4 = 33; };\n", err, sizeof(err));
	CHECK(cfg == NULL, "/33 refused");
	config_free(cfg);
	cfg = pt(t, "widen = { count = 1; };\n", err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "widen.count") != NULL,
	    "count 1: %s", err);
	config_free(cfg);
	cfg = pt(t, "widen = { count = 17; };\n", err, sizeof(err));
	CHECK(cfg == NULL, "count above the table");
	config_free(cfg);
	cfg = pt(t, "prefix = { ipv5 = 8; };\n", err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "unknown") != NULL, "unknown: %s", err);
	config_free(cfg);
}

static const struct test_case cases[] = {
	TEST_CASE(builtin),
	TEST_CASE(prefixes),
	TEST_CASE(overrides),
	TEST_CASE(durations),
	TEST_CASE(files),
	TEST_CASE(include),
	TEST_CASE(unreadable),
	TEST_CASE(omitted_settings),
	TEST_CASE(shipped_file),
	TEST_CASE(numbers_64bit),
	TEST_CASE(one_value_per_o),
	TEST_CASE(dropins),
	TEST_CASE(print_loads_back),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	int rc;

	if (mkdtemp(dir) == NULL)
		abort();
	rc = TEST_RUN(cases, argc, argv);
	unlink(write_file("c.conf", ""));
	rmdir(dir);
	return rc;
}
