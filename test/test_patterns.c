/*
 * Corpus runner for the patterns: test_patterns CONFIG FILE|DIR...
 * Each FILE holds "< LOG LINE" followed by "> ADDR PATTERN", "> -" or
 * "> qid=QID PATTERN"; the line goes through the real prefix parser, pattern
 * set and address validation of CONFIG ("-" for the built-in one).
 * A DIR stands for its *.txt files.  Also checks that every pattern of
 * CONFIG is exercised by a positive line.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addr.h"
#include "config.h"
#include "pattern.h"
#include "prefix.h"
#include "test.h"

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
	if (prefix_parse(&clk, line, strlen(line), &ll) < 0 ||
	    pattern_match(cfg->patterns, &ll, &m) != 1) {
		snprintf(out, outlen, "-");
		return;
	}
	hits[pattern_index(m.pat)]++;
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

int
main(int argc, char **argv)
{
	char err[1024];
	struct config *cfg;
	size_t *hits, i, lines = 0, positives = 0;
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
	for (f = 2; f < argc; f++) {
		struct stat sb;
		struct dirent **ents;
		int k, n;

		if (stat(argv[f], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			n = scandir(argv[f], &ents, NULL, alphasort);
			for (k = 0; k < n; k++) {
				size_t l = strlen(ents[k]->d_name);

				if (l > 4 && strcmp(ents[k]->d_name + l - 4, ".txt") == 0) {
					char path[4096];

					snprintf(path, sizeof(path), "%s/%s", argv[f],
					    ents[k]->d_name);
					run_file(cfg, path, hits, &lines, &positives);
				}
				free(ents[k]);
			}
			if (n >= 0)
				free(ents);
		} else {
			run_file(cfg, argv[f], hits, &lines, &positives);
		}
	}
	for (i = 0; i < pattern_count(cfg->patterns); i++)
		CHECK(hits[i] > 0, "pattern \"%s\" is not exercised by the corpus",
		    pattern_name(pattern_get(cfg->patterns, i)));
	printf("%zu corpus lines, %zu positive\n", lines, positives);
	free(hits);
	config_free(cfg);
	return TEST_DONE();
}
