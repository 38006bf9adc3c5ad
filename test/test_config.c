/* Unit tests for config.c: defaults, overrides, every range check, and
 * errors that name FILE:LINE. */
#include <stdlib.h>
#include <unistd.h>

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

int
main(void)
{
	char err[1024], *ov[4];
	struct config *cfg;
	int64_t v;

	if (mkdtemp(dir) == NULL)
		abort();

	/* the built-in configuration loads and has the documented defaults */
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
		config_free(cfg);
	}

	/* -o overrides */
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

	/* durations */
	CHECK(config_parse_duration("90", &v) == 0 && v == 90, "90");
	CHECK(config_parse_duration("10m", &v) == 0 && v == 600, "10m");
	CHECK(config_parse_duration("1w", &v) == 0 && v == 604800, "1w");
	CHECK(config_parse_duration("30d", &v) == 0 && v == 2592000, "30d");
	CHECK(config_parse_duration("1x", &v) < 0, "1x");
	CHECK(config_parse_duration("", &v) < 0, "empty");
	CHECK(config_parse_duration("-1h", &v) < 0, "negative");
	CHECK(config_parse_duration("99999999999999999999d", &v) < 0, "huge");
	CHECK(config_parse_duration_ms("50ms", &v) == 0 && v == 50, "50ms");

	/* files: good, and errors that name FILE:LINE */
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
	expect("patterns = ();\n", "the list is empty");
	expect("batch = { idle = \"2m\"; };\n", "batch.idle");

	/* @include: errors name the included file */
	write_file("inc.conf", "patterns = ( { name = \"p\"; program = \"x\";\n"
	    "  score = 1; regex = \"^(?<ip>[\"; } );\n");
	expect("@include \"inc.conf\"\n", "inc.conf:2: pattern \"p\"");
	write_file("inc.conf", good_pattern);
	expect("threshold = 4;\n@include \"inc.conf\"\n", NULL);

	/* unreadable file */
	cfg = config_load("/nonexistent/mailban.conf", NULL, 0, err, sizeof(err));
	CHECK(cfg == NULL && strstr(err, "/nonexistent/mailban.conf: cannot read")
	    != NULL, "missing file: %s", err);

	unlink(write_file("c.conf", ""));
	unlink(write_file("inc.conf", ""));
	rmdir(dir);
	return TEST_DONE();
}
