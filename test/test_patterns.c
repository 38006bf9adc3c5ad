/*
 * Corpus runner for the patterns: test_patterns CONFIG FILE|DIR...
 * Each FILE holds "< LOG LINE" followed by "> ADDR PATTERN", "> -",
 * "> qid=QID PATTERN" or, for a DNSBL error (a pattern with notice =
 * "dnsbl-error", or a match with the group dnsbl_error),
 * "> notice=dnsbl-error PATTERN"; the line goes through the real prefix parser, pattern
 * set and address validation of CONFIG ("-" for the built-in one).
 * A DIR stands for its *.txt files.  Also checks that every pattern of
 * CONFIG is exercised by a positive line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "pattern.h"
#include "prefix.h"
#include "test.h"

#define MAXLINE 65536
#include "corpus.h"

#define NOW 1795780800LL /* 2026-11-27 12:00:00 UTC */

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* What the line yields, in the corpus's notation. */
static void
evaluate(struct config *cfg, const char *line, char *out, size_t outlen,
    size_t *hits)
{
	struct prefix_clock clk;
	struct pattern_match m;
	struct logline ll;
	struct addr a;
	char ip[ADDR_STRLEN];

	prefix_clock_init(&clk, NOW);
	if (prefix_parse(&clk, line, strlen(line), &ll) < 0) {
		snprintf(out, outlen, "-");
		return;
	}
	if (ll.msglen > 0 && ll.msg[0] == '[')
		prefix_msgid(&ll); /* as the engine does */
	if (pattern_match(cfg->patterns, &ll, &m) != 1) {
		snprintf(out, outlen, "-");
		return;
	}
	hits[pattern_index(m.pat)]++;
	if (m.dnsbl_error) {
		snprintf(out, outlen, "notice=dnsbl-error %s", pattern_name(m.pat));
		return;
	}
	if (m.ip != NULL) {
		if (addr_parse(m.ip, m.iplen, &a) < 0)
			snprintf(out, outlen, "invalid-address(%.*s) %s", (int)m.iplen,
			    m.ip, pattern_name(m.pat));
		else
			snprintf(out, outlen, "%s %s", addr_format(&a, ip),
			    pattern_name(m.pat));
	} else {
		snprintf(out, outlen, "qid=%.*s %s", (int)m.qidlen, m.qid,
		    pattern_name(m.pat));
	}
}

static void
run_file(struct config *cfg, const char *name, size_t *hits, size_t *lines,
    size_t *positives)
{
	static char buf[65536], line[65536];
	char got[512];
	FILE *fp = fopen(name, "r");
	unsigned lineno = 0, at = 0;

	if (fp == NULL) {
		perror(name);
		exit(2);
	}
	line[0] = '\0';
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		lineno++;
		chomp(buf);
		if (buf[0] == '<' && buf[1] == ' ') {
			CHECK(line[0] == '\0', "%s:%u: '<' without '>' after it", name,
			    at);
			snprintf(line, sizeof(line), "%s", buf + 2);
			at = lineno;
		} else if (buf[0] == '>' && buf[1] == ' ') {
			char *want = buf + 2, *hash = strstr(want, "  #");

			if (hash != NULL)
				*hash = '\0';
			while (*want && want[strlen(want) - 1] == ' ')
				want[strlen(want) - 1] = '\0';
			CHECK(at != 0, "%s:%u: '>' without '<'", name, lineno);
			evaluate(cfg, line, got, sizeof(got), hits);
			CHECK(strcmp(got, want) == 0,
			    "%s:%u: got \"%s\", want \"%s\"\n    %s", name, at, got,
			    want, line);
			(*lines)++;
			if (strcmp(want, "-") != 0)
				(*positives)++;
			line[0] = '\0';
			at = 0;
		} else if (buf[0] != '#' && buf[0] != '\0') {
			CHECK(0, "%s:%u: expected '< ', '> ' or '#'", name, lineno);
		}
	}
	CHECK(line[0] == '\0', "%s:%u: '<' without '>'", name, at);
	fclose(fp);
}

struct run {
	struct config *cfg;
	size_t *hits, lines, positives;
};

static void
run_one(void *ctx, const char *name)
{
	struct run *r = ctx;

	run_file(r->cfg, name, r->hits, &r->lines, &r->positives);
}

int
main(int argc, char **argv)
{
	static const char *const txt_only[] = {".txt", NULL};
	char err[1024];
	struct config *cfg;
	struct run rc;
	size_t *hits, i;
	int f;

	setenv("TZ", "UTC", 1);
	if (argc < 3) {
		fprintf(stderr, "usage: test_patterns CONFIG FILE...\n");
		return 2;
	}
	cfg = config_load(strcmp(argv[1], "-") ? argv[1] : NULL, NULL, 0, err,
	    sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	hits = calloc(pattern_count(cfg->patterns) + 1, sizeof(*hits));
	rc.cfg = cfg;
	rc.hits = hits;
	rc.lines = rc.positives = 0;
	for (f = 2; f < argc; f++)
		corpus_walk(argv[f], txt_only, run_one, &rc);
	for (i = 0; i < pattern_count(cfg->patterns); i++)
		CHECK(hits[i] > 0, "pattern \"%s\" is not exercised by the corpus",
		    pattern_name(pattern_get(cfg->patterns, i)));
	printf("%zu corpus lines, %zu positive\n", rc.lines, rc.positives);
	free(hits);
	config_free(cfg);
	return TEST_DONE();
}
