/*
 * The pattern prefilter never drops a line its regex would match:
 * test_prefilter [-v] CONFIG DIR|FILE...
 *
 * 1. choose, shared: the checks the prefilter picks from what rxlit
 *    derives (test_rxlit checks the derivation), alone and shared
 *    between patterns.
 * 2. small_subjects, one_pass, dispatch: tricky regexes against short
 *    subjects, the one-pass clause, dispatch by program name, each
 *    against PCRE2's own answer.
 * 3. corpus: every pattern of CONFIG gets a prefilter, and on every
 *    message of the corpus files (lines "< LOG LINE" of the .txt files in
 *    test/patterns, or any other line of a log file) and on thousands of
 *    seeded random mutations of them: regex matches => prefilter passes,
 *    for every pattern; and pattern_match() gives the same answer with
 *    the prefilter on and off.  The prefilter is not vacuous: it rejects
 *    most (pattern, line) pairs.
 * With -v it prints each pattern's prefilter.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "pattern.h"
#include "prefilter.h"
#include "prefix.h"
#include "test.h"

#define NOW 1795780800LL /* 2026-11-27 12:00:00 UTC */
#define MUTATIONS 40
#define MAXLINE 8192

#include "corpus.h"

/*
 * The checks the prefilter chooses from what rxlit derives (test_rxlit
 * checks the derivation itself): literals shorter than three bytes are
 * not searched, a single needle goes first, then the longest; prefixes,
 * the last-byte gate and PCRE2's minimum length pass through.
 */
static const struct {
	const char *regex;
	const char *want; /* pattern_prefilter_text() */
} choose_tab[] = {
	{"^DNSBL rank \\d+ for \\[(?<ip>[0-9A-Fa-f:.]+)\\]:\\d+$",
	    "minlen 22 ^\"DNSBL rank \" \" for [\" $[0-9]"},
	/* the reader gave up: PCRE2's minimum length only */
	{"^abc(?<ip>x)|^def(?<ip2>y)", "minlen 4"},
	{"(?i)abcdef(?<ip>x)", "minlen 7"},
	{"(?<ip>x?)$", "minlen 0"},
	/* a prefix is compared, not searched: one byte is enough */
	{"^ab?cdef(?<ip>x)", "minlen 6 ^\"a\" \"cdef\""},
	{"^(?:NOQUEUE|[0-9A-Za-z]{5,20}): reject: (?<ip>x)",
	    "minlen 16 \": reject: \""},
	{"^warning: (?<ip>x) SASL \\S+ authentication failed: ",
	    "minlen 41 ^\"warning: \" \" authentication failed: \" \" SASL \""},
	{"^(?:BLACKLISTED|DENYLISTED) \\[(?<ip>x)",
	    "minlen 13 ^(\"BLACKLISTED [\"|\"DENYLISTED [\")"},
	/* a clause with a literal of two bytes is not searched */
	{"^(?:ab|a(?:c)d)efg(?<ip>x)", "minlen 6 \"efg\""},
	{"^(?<ip>x) (?:closed by DROP|dropped by (?:an )?ACL)",
	    "minlen 16 (\"closed by DROP\"|\"dropped by \") "
	    "(\"closed by DROP\"|\"ACL\")"},
	/* a single needle before a clause of two, whatever the order read */
	{"^(?<ip>x) (?:abcd|wxyz){2}efgh", "minlen 14 \"efgh\" "
	    "(\"abcd\"|\"wxyz\")"},
	{"^(?<ip>x) (?i:Abcd|wXyz) efgh", "minlen 11 \" efgh\" "
	    "(i\"abcd\"|i\"wxyz\")"},
	{"^(?<ip>x) (?:User unknown|No such user here)$",
	    "minlen 14 (\" User unknown\"|\" No such user here\") $[en]"},
	{"^(?<ip>x)[^\\s<>:]+$",
	    "minlen 2 $[\\x01-\\x08\\x0e-\\x1f!-9;=?-\\x84\\x86-\\xff]"},
};

static void
choose(void)
{
	char err[512], buf[512];
	size_t i;

	for (i = 0; i < sizeof(choose_tab) / sizeof(choose_tab[0]); i++) {
		struct pattern_set *ps = pattern_set_new();
		const char *prog = "*";
		int rc = pattern_add(ps, "t", &prog, 1, 1, choose_tab[i].regex,
		    err, sizeof(err));

		CHECK(rc == 0, "%s: %s", choose_tab[i].regex, err);
		if (rc == 0) {
			pattern_prefilter_text(ps, pattern_get(ps, 0), buf,
			    sizeof(buf));
			CHECK(strcmp(buf, choose_tab[i].want) == 0,
			    "%s: got '%s', want '%s'", choose_tab[i].regex, buf,
			    choose_tab[i].want);
		}
		pattern_set_free(ps);
	}
}

/*
 * Patterns share needles: a long literal that another pattern's literal
 * contains is searched for both, first (it rules out more patterns at
 * once); the prefilter alone, without PCRE2.
 */
static void
shared(void)
{
	static const struct {
		const char *re, *want;
	} pat[] = {
		{"(?<ip>x) connection rejected",
		    "minlen 0 \" connection rejected\""},
		{"(?<ip>x) connection rejected by RBL",
		    "minlen 0 \" connection rejected\" "
		    "\" connection rejected by RBL\""},
		{"(?<ip>x) rejected", "minlen 0 \" rejected\""},
	};
	static const struct {
		const char *msg;
		int pass[3];
	} msgs[] = {
		{"x connection rejected by RBL", {1, 1, 1}},
		{"x connection rejected", {1, 0, 1}},
		{"x rejected", {0, 0, 1}},
		{"x connection accepted", {0, 0, 0}},
	};
	struct prefilter *pf = prefilter_new();
	struct prefilter_prog pp;
	const uint16_t list[] = {0, 1, 2};
	char buf[512];
	size_t i, k;
	uint64_t mask;

	for (i = 0; i < 3; i++)
		prefilter_add(pf, pat[i].re, 0);
	for (i = 0; i < 3; i++)
		CHECK_STR(prefilter_text(pf, i, buf, sizeof(buf)), pat[i].want);
	prefilter_prog_init(pf, &pp, list, 3);
	for (k = 0; k < sizeof(msgs) / sizeof(msgs[0]); k++) {
		prefilter_line(pf);
		mask = prefilter_prog_mask(pf, &pp, msgs[k].msg,
		    strlen(msgs[k].msg));
		for (i = 0; i < 3; i++)
			CHECK((mask >> i & 1 &&
			    prefilter_pass(pf, i, msgs[k].msg,
			    strlen(msgs[k].msg))) == msgs[k].pass[i],
			    "%s: pattern %zu: want %d", msgs[k].msg, i,
			    msgs[k].pass[i]);
	}
	prefilter_prog_free(&pp);
	prefilter_free(pf);
}

/* Regexes that match lines with and without their literals optional. */
static void
small_subjects(void)
{
	static const struct {
		const char *regex, *subject;
	} cases[] = {
		{"^ab?cdef(?<ip>x)", "acdefx"},
		{"^ab?cdef(?<ip>x)", "abcdefx"},
		{"^abc{0,3}defg(?<ip>x)", "abdefgx"},
		{"^abc{0,3}defg(?<ip>x)", "abcccdefgx"},
		{"^abc+defg(?<ip>x)", "abcccdefgx"},
		{"[]abc]xyzw(?<ip>x)", "]xyzwx"},
		{"(?<ip>a)(?=bcd)bcd", "abcd"},
		{"abc(?:(*ACCEPT))?defgh(?<ip>x)", "abc"},
		{"^abc|^def(?<ip>y)", "defy"},
		{"^(?:abcX|abcYY)Zdef(?<ip>x)", "abcYYZdefx"},
		{"^(?:abc|)defg(?<ip>x)", "defgx"},
		{"^(?:abc|)defg(?<ip>x)", "abcdefgx"},
		{"^(?<ip>x) (?i:Abcd|wXyz) efgh", "x ABCD efgh"},
		{"^(?<ip>x) (?i:Abcd|wXyz) efgh", "x wxyz efgh"},
		{"^(?<ip>x) (?:abcd(?i)efgh|wxyz)", "x WXYZ"},
		{"^(?<ip>x) (?:abcd|wxyz){2}efgh", "x abcdwxyzefgh"},
		{"^(?<ip>x) (?:abcd|[a-z]+|wxyz)efgh", "x qefgh"},
		{"^(?<ip>x) (?:abcd|(*ACCEPT)wxyz)efgh", "x "},
	};
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pattern_set *ps = pattern_set_new();
		const char *prog = "*";
		const struct pattern *p;
		size_t len = strlen(cases[i].subject);

		if (pattern_add(ps, "t", &prog, 1, 1, cases[i].regex, err,
		    sizeof(err)) != 0) {
			CHECK(0, "%s: %s", cases[i].regex, err);
			pattern_set_free(ps);
			continue;
		}
		p = pattern_get(ps, 0);
		CHECK(pattern_regex_match(ps, p, cases[i].subject, len) == 1,
		    "%s does not match %s", cases[i].regex, cases[i].subject);
		CHECK(pattern_may_match(ps, p, cases[i].subject, len) == 1,
		    "prefilter of %s drops %s", cases[i].regex, cases[i].subject);
		pattern_set_free(ps);
	}
}

/*
 * The one-pass check of a clause of many literals (any(...)): every
 * literal at every offset (odd and even, as the pass looks at pairs at
 * even offsets), in lower, upper and mixed case, is let through; a
 * message without any of them is not.
 */
static void
one_pass(void)
{
	static const char *const lit[] = {"alpha", "bravo", "charlie", "delta",
	    "echo", "foxtrot", "golf", "hotel", "india", "xyz"};
	const char *regex = "^x(?<ip>y) .*(?i:alpha|bravo|charlie|delta|echo|"
	    "foxtrot|golf|hotel|india|xyz)";
	struct pattern_set *ps = pattern_set_new();
	const char *prog = "*";
	const struct pattern *p;
	char err[512], txt[512], subj[128];
	size_t i, k, pad, len;
	int v;

	if (pattern_add(ps, "t", &prog, 1, 1, regex, err, sizeof(err)) != 0) {
		CHECK(0, "%s: %s", regex, err);
		pattern_set_free(ps);
		return;
	}
	p = pattern_get(ps, 0);
	pattern_prefilter_text(ps, p, txt, sizeof(txt));
	CHECK(strstr(txt, " any(") != NULL, "no one-pass clause: %s", txt);
	for (i = 0; i < sizeof(lit) / sizeof(lit[0]); i++)
		for (pad = 0; pad < 9; pad++)
			for (v = 0; v < 3; v++) {
				len = (size_t)snprintf(subj, sizeof(subj), "xy %.*s",
				    (int)pad, "..:.,;.-.");
				for (k = 0; lit[i][k] != '\0'; k++)
					subj[len++] = v == 0 || (v == 2 && k % 2) ?
					    lit[i][k] : (char)(lit[i][k] - 'a' + 'A');
				len += (size_t)snprintf(subj + len, sizeof(subj) - len,
				    "%s", pad % 2 ? " tail" : "");
				CHECK(pattern_regex_match(ps, p, subj, len) == 1,
				    "%s does not match %.*s", regex, (int)len, subj);
				CHECK(pattern_may_match(ps, p, subj, len) == 1,
				    "one-pass clause drops %.*s", (int)len, subj);
				/* the literal cut short: no match, dropped */
				len -= strlen(lit[i]) + (pad % 2 ? 5 : 0);
				len += (size_t)snprintf(subj + len, sizeof(subj) - len,
				    "%.2s", lit[i]);
				CHECK(pattern_may_match(ps, p, subj, len) == 0,
				    "one-pass clause lets through %.*s", (int)len, subj);
			}
	pattern_set_free(ps);
}

/* One random edit of s (length *len, capacity MAXLINE) in place. */
static void
mutate(char *s, size_t *len, char *const *pool, size_t npool)
{
	const char *src;
	size_t at = *len ? rnd((uint32_t)*len) : 0, n, k;

	switch (rnd(8)) {
	case 0: /* replace a byte */
		if (*len)
			s[at] = (char)rnd(256);
		break;
	case 1: /* delete a run */
		n = rnd(8) + 1;
		if (at + n > *len)
			n = *len - at;
		memmove(s + at, s + at + n, *len - at - n);
		*len -= n;
		break;
	case 2: /* insert a random byte */
		if (*len + 1 < MAXLINE) {
			memmove(s + at + 1, s + at, *len - at);
			s[at] = (char)rnd(256);
			(*len)++;
		}
		break;
	case 3: /* splice in a piece of another corpus line */
		src = pool[rnd((uint32_t)npool)];
		k = strlen(src);
		n = rnd(40) + 1;
		if (k > 0 && *len + n < MAXLINE) {
			size_t from = rnd((uint32_t)k);

			if (from + n > k)
				n = k - from;
			memmove(s + at + n, s + at, *len - at);
			memcpy(s + at, src + from, n);
			*len += n;
		}
		break;
	case 6: /* flip the case of a run of letters (caseless literals) */
		for (n = rnd(12) + 1; n > 0 && at < *len; n--, at++)
			if ((s[at] >= 'a' && s[at] <= 'z') ||
			    (s[at] >= 'A' && s[at] <= 'Z'))
				s[at] ^= 0x20;
		break;
	case 4: /* cut the tail */
		*len = at;
		break;
	case 7: /* end with a newline byte ("$" matches before a final one) */
		if (*len + 1 < MAXLINE)
			s[(*len)++] = "\n\r\v\f\x85\0x"[rnd(7)];
		break;
	default: /* duplicate a run */
		n = rnd(16) + 1;
		if (at + n > *len)
			n = *len - at;
		if (*len + n < MAXLINE) {
			memmove(s + at + n, s + at, *len - at);
			memcpy(s + at + n, s + at, n);
			*len += n;
		}
		break;
	}
}

/* Per line: prefilter vs regex for every pattern; pattern_match on/off. */
static void
check_line(struct pattern_set *ps, const char *line, size_t len,
    unsigned long *pairs, unsigned long *rejected, unsigned long *matches)
{
	struct prefix_clock clk;
	struct pattern_match m1, m2;
	struct logline ll;
	size_t i, np = pattern_count(ps);
	int r1, r2, rx;

	prefix_clock_init(&clk, NOW);
	if (prefix_parse(&clk, line, len, &ll) < 0) {
		/* the whole line as a message still exercises the filter */
		memset(&ll, 0, sizeof(ll));
		ll.prog = ll.host = ll.msg = line;
		ll.msglen = len;
	}
	for (i = 0; i < np; i++) {
		const struct pattern *p = pattern_get(ps, i);

		rx = pattern_regex_match(ps, p, ll.msg, ll.msglen);
		(*pairs)++;
		if (rx == 1)
			(*matches)++;
		if (pattern_may_match(ps, p, ll.msg, ll.msglen) == 0) {
			(*rejected)++;
			CHECK(rx != 1, "prefilter of %s drops a match: %.*s",
			    pattern_name(p), (int)len, line);
		}
	}
	if (ll.proglen == 0)
		return;
	pattern_set_prefilter(ps, 1);
	r1 = pattern_match(ps, &ll, &m1);
	pattern_set_prefilter(ps, 0);
	r2 = pattern_match(ps, &ll, &m2);
	pattern_set_prefilter(ps, 1);
	CHECK(r1 == r2 && (r1 != 1 || (m1.pat == m2.pat && m1.ip == m2.ip &&
	    m1.iplen == m2.iplen && m1.qid == m2.qid)),
	    "pattern_match differs with the prefilter (%d/%d): %.*s", r1, r2,
	    (int)len, line);
}


/*
 * Dispatch by program name: names of every length class (1-3, 4-7, 8-16
 * bytes, longer), and names that differ from them in one byte only (in
 * the first, middle or last part) or in length, looked up in an order
 * that changes the previous line's program often: each must get exactly
 * the pattern whose program is its name, or none.
 */
static void
dispatch(void)
{
	static const char *const names[] = {
		"a", "ab", "abc", "exim", "sm-mta", "postfix", "sendmail",
		"postgrey", "postfix/smtpd", "abcdefghijklmnop",
		"abcdefghijklmnopq", "postfix/submission/smtpd",
		"postfix/submissionXsmtpd", "a-very-long-program-name-0123456789",
	};
	size_t nn = sizeof(names) / sizeof(names[0]), i, k, len, at, want;
	struct pattern_set *ps = pattern_set_new();
	struct pattern_match m;
	struct logline ll;
	char err[512], pname[16], buf[64];
	int rc;

	for (i = 0; i < nn; i++) {
		const char *prog = names[i];

		snprintf(pname, sizeof(pname), "p%zu", i);
		CHECK(pattern_add(ps, pname, &prog, 1, 1, "^(?<ip>x)", err,
		    sizeof(err)) == 0, "%s", err);
	}
	for (k = 0; k < 200000; k++) {
		i = rnd((uint32_t)nn);
		len = strlen(names[i]);
		memcpy(buf, names[i], len);
		want = i;
		switch (rnd(4)) {
		case 0: /* one byte changed */
			at = rnd((uint32_t)len);
			buf[at] = (char)(buf[at] ^ (1 + rnd(255)));
			want = SIZE_MAX;
			break;
		case 1: /* one byte longer or shorter */
			if (rnd(2) && len > 1)
				len--;
			else
				buf[len++] = names[i][0];
			want = SIZE_MAX;
			break;
		default:
			break;
		}
		/* a changed name may be another one */
		for (at = 0; want == SIZE_MAX && at < nn; at++)
			if (strlen(names[at]) == len &&
			    memcmp(names[at], buf, len) == 0)
				want = at;
		memset(&ll, 0, sizeof(ll));
		ll.prog = buf;
		ll.proglen = len;
		ll.msg = ll.host = "x";
		ll.msglen = 1;
		rc = pattern_match(ps, &ll, &m);
		if (want == SIZE_MAX) {
			CHECK(rc == 0, "%.*s matched %s", (int)len, buf,
			    rc == 1 ? pattern_name(m.pat) : "?");
		} else {
			snprintf(pname, sizeof(pname), "p%zu", want);
			CHECK(rc == 1 && strcmp(pattern_name(m.pat), pname) == 0,
			    "%.*s: want %s, got %s", (int)len, buf, pname,
			    rc == 1 ? pattern_name(m.pat) : "none");
		}
	}
	pattern_set_free(ps);
}

static int verbose;
static char **corpus_args; /* CONFIG FILE... */
static int ncorpus_args;

static void
corpus(void)
{
	static char buf[MAXLINE];
	unsigned long pairs = 0, rejected = 0, matches = 0;
	struct corpus c = {NULL, 0, 0};
	struct config *cfg;
	char err[1024], txt[1024];
	size_t i, len;
	int f, k;

	cfg = config_load(strcmp(corpus_args[0], "-") ? corpus_args[0] : NULL,
	    NULL, 0, err, sizeof(err));
	if (cfg == NULL) {
		CHECK(0, "%s", err);
		return;
	}
	for (i = 0; i < pattern_count(cfg->patterns); i++) {
		const struct pattern *p = pattern_get(cfg->patterns, i);

		pattern_prefilter_text(cfg->patterns, p, txt, sizeof(txt));
		if (verbose)
			printf("%-30s %s\n", pattern_name(p), txt);
		CHECK(strchr(txt, '"') != NULL, "pattern %s has no literal: %s",
		    pattern_name(p), txt);
	}
	for (f = 1; f < ncorpus_args; f++)
		corpus_add(&c, corpus_args[f], corpus_logs, 0);
	CHECK(c.n >= 100, "corpus too small: %zu lines", c.n);
	for (i = 0; i < c.n; i++) {
		len = strlen(c.line[i]);
		check_line(cfg->patterns, c.line[i], len, &pairs, &rejected,
		    &matches);
		memcpy(buf, c.line[i], len);
		for (k = 0; k < MUTATIONS; k++) {
			if (k % 4 == 0) { /* restart from the original now and then */
				len = strlen(c.line[i]);
				memcpy(buf, c.line[i], len);
			}
			mutate(buf, &len, c.line, c.n);
			check_line(cfg->patterns, buf, len, &pairs, &rejected,
			    &matches);
		}
	}
	printf("%zu corpus lines, %lu (pattern, line) pairs, %lu regex "
	    "matches, %lu rejected by the prefilter\n", c.n, pairs, matches,
	    rejected);
	CHECK(matches > 1000, "too few matches (%lu) to prove anything",
	    matches);
	CHECK(rejected > pairs / 2, "prefilter rejects only %lu of %lu",
	    rejected, pairs);
	corpus_free(&c);
	config_free(cfg);
}

/* In this order: dispatch and corpus draw from one seeded sequence. */
static const struct test_case cases[] = {
	TEST_CASE(choose),
	TEST_CASE(shared),
	TEST_CASE(small_subjects),
	TEST_CASE(one_pass),
	TEST_CASE(dispatch),
	TEST_CASE(corpus),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	test_seed(0x9e3779b97f4a7c15ULL);
	setenv("TZ", "UTC", 1);
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		argv++;
		argc--;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: test_prefilter [-v] CONFIG DIR|FILE...\n");
		return 2;
	}
	corpus_args = argv + 1;
	ncorpus_args = argc - 1;
	return TEST_RUN(cases, 1, argv); /* the arguments are not case names */
}
