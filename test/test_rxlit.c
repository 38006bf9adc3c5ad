/*
 * The regex-literal reader (rxlit) on plain string tables, without PCRE2:
 * test_rxlit [CASE...]
 *
 * For each regex, what the reader must derive (prefixes, clauses, the
 * last-byte gate), what it must not derive (nothing, or give up: every
 * construct it cannot read soundly), and the syntax pieces it is built
 * of (classes, groups, quantifiers, group kinds).  test_prefilter checks
 * the prefilter built on it against PCRE2 itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxlit.h"
#include "test.h"

#define GIVE_UP NULL /* rxlit_extract() returns -1 */
#define NO_GATE NULL /* rxlit_last() returns 0 */

/* rxlit_extract() as text, or NULL when it gives up. */
static const char *
lits(const char *re, char *buf, size_t buflen)
{
	struct rxlit o;

	memset(&o, 0xa5, sizeof(o)); /* the reader fills all of it */
	if (rxlit_extract(re, &o) < 0) {
		CHECK(o.nprefix == 0 && o.ncl == 0, "%s: gave up, not empty",
		    re);
		return NULL;
	}
	rxlit_text(&o, buf, buflen);
	rxlit_free(&o);
	CHECK(o.nprefix == 0 && o.ncl == 0, "%s: rxlit_free left it full", re);
	return buf;
}

/* rxlit_last() as "$[class]", or NULL for no gate. */
static const char *
gate(const char *re, char *buf, size_t buflen)
{
	struct rxlit_bytes b;
	size_t at = 1;

	if (!rxlit_last(re, &b))
		return NULL;
	buf[0] = '$';
	rxlit_put_last(buf, buflen, &at, &b);
	return buf;
}

static void
check_lits(const char *re, const char *want)
{
	char buf[2048];
	const char *got = lits(re, buf, sizeof(buf));

	if (want == GIVE_UP)
		CHECK(got == NULL, "%s: got '%s', want to give up", re, got);
	else
		CHECK(got != NULL && strcmp(got, want) == 0,
		    "%s: got '%s', want '%s'", re, got ? got : "(give up)",
		    want);
}

/* Regexes and the literals they require: prefixes ^(...), clauses (...). */
static const struct {
	const char *re, *want;
} derive_tab[] = {
	{"^DNSBL rank \\d+ for \\[(?<ip>[0-9A-Fa-f:.]+)\\]:\\d+$",
	    "^\"DNSBL rank \" \" for [\" \"]:\""},
	{"^#abc (?<ip>x)", "^\"#abc \" \"x\""},
	{"abcd", "\"abcd\""},
	{"^abcd", "^\"abcd\""},
	/* only what follows "^" directly is a prefix */
	{"^(?<ip>x) abcd", "\"x\" \" abcd\""},
	{"\\Aabcd\\z", "\"abcd\""},
	/* an optional byte leaves its run; a required one stays */
	{"^ab?cdef(?<ip>x)", "^\"a\" \"cdef\" \"x\""},
	{"^abc+defg(?<ip>x)", "^\"abc\" \"defg\" \"x\""},
	{"^abc{0,3}defg(?<ip>x)", "^\"ab\" \"defg\" \"x\""},
	{"^abc{2}defg(?<ip>x)", "^\"abc\" \"defg\" \"x\""},
	{"^abc{2,}+d", "^\"abc\" \"d\""},
	/* lazy and possessive quantifiers: the minimum is what counts */
	{"^abc*?defg(?<ip>x)", "^\"ab\" \"defg\" \"x\""},
	{"abc*+d", "\"ab\" \"d\""},
	{"(?<ip>x)a{2}+bcd", "\"x\" \"a\" \"bcd\""},
	{"a(?:b)??c", "\"a\" \"c\""},
	{"a(?:bc){0}d", "\"a\" \"d\""},
	/* classes end a run and are not looked into */
	{"[]abc]xyzw(?<ip>x)", "\"xyzw\" \"x\""},
	{"[^]abc]xyzw(?<ip>x)", "\"xyzw\" \"x\""},
	{"[[:alpha:]]]zzz(?<ip>x)", "\"]zzz\" \"x\""},
	{"[a\\]b]cdef(?<ip>x)", "\"cdef\" \"x\""},
	/* escaped punctuation is literal; class escapes end a run */
	{"a\\.b\\[c\\(d(?<ip>x)", "\"a.b[c(d\" \"x\""},
	{"^(?<ip>a)\\d{2}abc\\sdef", "\"a\" \"abc\" \"def\""},
	{"a\\nb\\tc", "\"a\" \"b\" \"c\""},
	{"\\babcd\\b", "\"abcd\""},
	{"\\Gab\\Kcd", "\"ab\" \"cd\""},
	{"^(?<ip>x)\\$", "\"x\" \"$\""},
	/* lookarounds: zero width, never looked into */
	{"(?<ip>a)(?=bcd)bcd", "\"a\" \"bcd\""},
	{"(?<ip>a)(?!bcd)xyz", "\"a\" \"xyz\""},
	{"ab(?<=ab)cd", "\"ab\" \"cd\""},
	{"ab(?=cd)", "\"ab\""},
	/* literal alternatives of a (?: group continue the run */
	{"^(?:BLACKLISTED|DENYLISTED) \\[(?<ip>x)",
	    "^(\"BLACKLISTED [\"|\"DENYLISTED [\") \"x\""},
	{"^(?:abcX|abcYY)Zdef(?<ip>x)", "^(\"abcXZdef\"|\"abcYYZdef\") \"x\""},
	{"^x(?:abc)def(?<ip>x)", "^\"xabcdef\" \"x\""},
	{"^(?:a\\.b|c\\.b)efg(?<ip>x)", "^(\"a.befg\"|\"c.befg\") \"x\""},
	{"^(?:abc|)defg(?<ip>x)", "^(\"abcdefg\"|\"defg\") \"x\""},
	{"(?:a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p)x",
	    "(\"ax\"|\"bx\"|\"cx\"|\"dx\"|\"ex\"|\"fx\"|\"gx\"|\"hx\"|\"ix\"|"
	    "\"jx\"|\"kx\"|\"lx\"|\"mx\"|\"nx\"|\"ox\"|\"px\")"},
	/* an optional group requires nothing; a repeated one its clauses */
	{"^(?:abcX|abcYY)?Zdef(?<ip>x)", "\"Zdef\" \"x\""},
	{"^(?<ip>x) (?:abcd|wxyz)?efgh", "\"x\" \" \" \"efgh\""},
	{"^(?<ip>x) (?:abcd|wxyz){2}efgh",
	    "\"x\" \" \" (\"abcd\"|\"wxyz\") \"efgh\""},
	{"^(?<ip>x) (?:abcd|wxyz)+efgh",
	    "\"x\" \" \" (\"abcd\"|\"wxyz\") \"efgh\""},
	/*
	 * other groups: one literal of each alternative, in every combination
	 * (the conjunctive form of their disjunction); too many combinations:
	 * each alternative's longest clause
	 */
	{"^(?:ab|a(?:c)d)efg(?<ip>x)", "(\"ab\"|\"acd\") \"efg\" \"x\""},
	{"^(?<ip>x) (?:closed by DROP|dropped by (?:an )?ACL)",
	    "\"x\" \" \" (\"closed by DROP\"|\"dropped by \") "
	    "(\"closed by DROP\"|\"ACL\")"},
	{"^(?<ip>x) (?:abcd\\d+efgh|wxyz)",
	    "\"x\" \" \" (\"abcd\"|\"wxyz\") (\"efgh\"|\"wxyz\")"},
	{"(?:ab.cd|ef.gh)",
	    "(\"ab\"|\"ef\") (\"cd\"|\"ef\") (\"ab\"|\"gh\") (\"cd\"|\"gh\")"},
	{"(?:ab.cd.ef|gh.ij.kl|mn.op.qr)", "(\"ab\"|\"gh\"|\"mn\")"},
	{"(?:ab.cdef.g|hi.j.k|lmn.o.p)", "(\"cdef\"|\"hi\"|\"lmn\")"},
	/* an alternative that requires nothing: the group requires nothing */
	{"^(?<ip>x) (?:abcd|\\d+)efgh", "\"x\" \" \" \"efgh\""},
	{"^(?<ip>x) (?:abcd|[a-z]+|wxyz)efgh", "\"x\" \" \" \"efgh\""},
	/* captures (numbered and named, three spellings) and atomic groups */
	{"^x(abcd|wxyz)", "^\"x\" (\"abcd\"|\"wxyz\")"},
	{"^(?<ip>x) (?<w>abcd|wxyz)", "\"x\" \" \" (\"abcd\"|\"wxyz\")"},
	{"^x(?'w'abcd|wxyz)", "^\"x\" (\"abcd\"|\"wxyz\")"},
	{"^x(?P<w>abcd|wxyz)", "^\"x\" (\"abcd\"|\"wxyz\")"},
	{"^(?<ip>x) (?>abcd.*|wxyz)", "\"x\" \" \" (\"abcd\"|\"wxyz\")"},
	/* nested groups, down to RXLIT_DEPTH */
	{"^x((?:ab|cd)ef)gh", "^\"x\" (\"abef\"|\"cdef\") \"gh\""},
	{"((((((((abcd))))))))", "\"abcd\""},
	/* caseless groups give caseless literals, in lower case */
	{"^(?<ip>x) (?i:Abcd|wXyz) efgh",
	    "\"x\" \" \" (i\"abcd\"|i\"wxyz\") \" efgh\""},
	{"^(?<ip>x) (?i:abcd) efgh", "\"x\" \" \" i\"abcd\" \" efgh\""},
	{"(?i:aB)$", "i\"ab\""},
	/* "$" in the middle, and an anchor in a group: not a prefix */
	{"^(?<ip>x)$a", "\"x\" \"a\""},
	{"a(?:b$|c)", "\"a\" (\"b\"|\"c\")"},
	/* lookarounds and options inside a group: the group adds nothing */
	{"^(?<ip>x) (?=abcd|wxyz)", "\"x\" \" \""},
	{"^(?<ip>x) (?!abcd|wxyz)", "\"x\" \" \""},
	{"^(?<ip>x) (?:abcd(?i)efgh|wxyz)", "\"x\" \" \""},
	{"^(?<ip>x) (?:wxyz|abcd(?i)efgh)", "\"x\" \" \""},
	{"^(?<ip>x) (?-i:abcd)", "\"x\" \" \""},
	/* groups the reader does not open end the run, add nothing */
	{"(?P>n)ab", "\"ab\""},
	{"^x(?(1)abcd|efgh)yz", "^\"x\" \"yz\""},
	/* at most RXLIT_CLAUSES clauses (the first) */
	{"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t",
	    "\"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" \"h\" \"i\" \"j\" \"k\" "
	    "\"l\" \"m\" \"n\" \"o\" \"p\""},
	/* a byte that needs escaping in the description */
	{"a\"b\\\\c", "\"a\\x22b\\x5cc\""},
};

static void
derive(void)
{
	size_t i;

	for (i = 0; i < sizeof(derive_tab) / sizeof(derive_tab[0]); i++)
		check_lits(derive_tab[i].re, derive_tab[i].want);
}

/*
 * Regexes from which the reader must derive nothing: it gives up (GIVE_UP)
 * or reads them and finds nothing required ("").
 */
static const struct {
	const char *re, *want;
} nothing_tab[] = {
	/* alternation at the top level */
	{"^abc(?<ip>x)|^def(?<ip2>y)", GIVE_UP},
	{"abcd(?<ip>x)|efgh", GIVE_UP},
	{"^(?<ip>x)|y$", GIVE_UP},
	/* inline options for the rest of the regex (or of a group) */
	{"(?i)abcdef(?<ip>x)", GIVE_UP},
	{"^abc(?i)defg(?<ip>x)", GIVE_UP},
	{"(?-i)abcd", GIVE_UP},
	{"(?s).abcd", GIVE_UP},
	{"(?x) abc  def (?<ip>x)", GIVE_UP},
	{"(?<ip>x)(?x: a # ) \n )abcdef", GIVE_UP},
	{"^(?<ip>x)(?m)$", GIVE_UP},
	{"(?#c)abcd", GIVE_UP},
	/* verbs, anywhere */
	{"(*NO_JIT)abcdef(?<ip>x)", GIVE_UP},
	{"abc(?:(*ACCEPT))?defgh(?<ip>x)", GIVE_UP},
	{"^(?<ip>x) (?:abcd|(*ACCEPT)wxyz)efgh", GIVE_UP},
	/* \Q..\E, back-references, calls, unusual escapes */
	{"\\Qabc|def\\E(?<ip>x)", GIVE_UP},
	{"ab\\E", GIVE_UP},
	{"(?<ip>x)\\1abcdef", GIVE_UP},
	{"\\k<n>abcd", GIVE_UP},
	{"(?1)abcd", GIVE_UP},
	{"(?R)abcd", GIVE_UP},
	{"(?&n)abcd", GIVE_UP},
	{"\\x41bcdef(?<ip>x)", GIVE_UP},
	{"\\x{41}bcd", GIVE_UP},
	{"\\o{101}bcd", GIVE_UP},
	{"\\101bcd", GIVE_UP},
	{"\\cabcdef(?<ip>x)", GIVE_UP},
	{"\\pLabcd", GIVE_UP},
	{"\\Nabcd", GIVE_UP},
	{"\\Xabcd", GIVE_UP},
	/* quantifiers PCRE2 versions read differently, or of nothing */
	{"^abc{,2}defg(?<ip>x)", GIVE_UP},
	{"*abcd", GIVE_UP},
	{"ab)cd", GIVE_UP},
	/* optional parts only */
	{"a?b?c?", ""},
	{"(?:abcd|)", ""},
	{"(?:abcd)*+", ""},
	{"(?:abcd)??", ""},
	{"((abcd))?", ""},
	{"(?<n>abcd|)", ""},
	{"(?'n'abcd|)", ""},
	{"(?P<n>abcd|)", ""},
	{"(?<ip>x?)$", ""},
	/* lookarounds, classes, class escapes, assertions */
	{"(?=abcd)", ""},
	{"(?!abcd)", ""},
	{"(?<=abcd)", ""},
	{"(?<!abcd)", ""},
	{"[abcd]+", ""},
	{"[[:alpha:]]", ""},
	{"\\d+\\s\\w", ""},
	{"\\h\\v\\H\\V\\R", ""},
	{".", ""},
	{"^$", ""},
	/* groups the reader does not open: options, resets, conditions */
	{"(?-i:abcd)", ""},
	{"(?|ab|cd)", ""},
	{"(?(1)abcd|efgh)", ""},
	{"(?P=n)", ""},
	{"(?<n-x>ab)", ""},
	{"(?:abcd(?i)efgh|wxyz)", ""},
	{"(?:wxyz|abcd(?i)efgh)", ""},
	/* too many alternatives, too deeply nested */
	{"(?:a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q)", ""},
	{"(((((((((abcd)))))))))", ""},
};

static void
nothing(void)
{
	size_t i;

	for (i = 0; i < sizeof(nothing_tab) / sizeof(nothing_tab[0]); i++)
		check_lits(nothing_tab[i].re, nothing_tab[i].want);
}

/*
 * A run of literal bytes is kept up to 256 bytes; a longer one makes the
 * reader give up, also when a group's alternatives make it longer.
 */
static void
long_run(void)
{
	char re[300], want[310];

	memset(re, 'a', 256);
	re[256] = '\0';
	snprintf(want, sizeof(want), "\"%s\"", re);
	check_lits(re, want);
	re[256] = 'a';
	re[257] = '\0';
	check_lits(re, GIVE_UP);
	/* "^x(?:a...a|b)": "x" and 255, then 256 bytes of a */
	memcpy(re, "^x(?:", 5);
	memset(re + 5, 'a', 255);
	memcpy(re + 260, "|b)", 4);
	snprintf(want, sizeof(want), "^(\"x%.255s\"|\"xb\")", re + 5);
	check_lits(re, want);
	memset(re + 5, 'a', 256);
	memcpy(re + 261, "|b)", 4);
	check_lits(re, GIVE_UP);
}

/*
 * "$" at the end: the bytes a match can end with ($[...], the newline
 * bytes not shown); optional parts add the bytes before them; an element
 * that may be empty, assertions and lookarounds add nothing of their own;
 * anything not understood, or a match that may be empty, gives no gate.
 */
static const struct {
	const char *re, *want;
} last_tab[] = {
	{"^DNSBL rank \\d+ for \\[(?<ip>[0-9A-Fa-f:.]+)\\]:\\d+$", "$[0-9]"},
	{"abc$", "$[c]"},
	{"ab$$", "$[b]"},
	{"ab\\z$", "$[b]"},
	{"a\\]$", "$[\\]]"},
	{"^(?<ip>x)(?: \\(may be forged\\))?$", "$[)x]"},
	{"^(?<ip>x) (?:User unknown|No such user here)$", "$[en]"},
	{"ab(?:c|de)$", "$[ce]"},
	{"a(?<n>b|c)$", "$[bc]"},
	{"a(?>b|c)$", "$[bc]"},
	{"(?:ab)+$", "$[b]"},
	{"a{2,3}$", "$[a]"},
	{"ab{0}$", "$[ab]"},
	{"ab?$", "$[ab]"},
	{"a(?:b)??$", "$[ab]"},
	{"a(?:bc)?$", "$[ac]"},
	{"a(?:b|)$", "$[ab]"},
	{"^(?<ip>x)\\.?$", "$[.x]"},
	{"^(?<ip>x)(?:ab|c?)$", "$[bcx]"},
	{"^(?<ip>x)a*$", "$[ax]"},
	/* classes and class escapes (ASCII: no UCP) */
	{"^(?<ip>x) count=\\d+$", "$[0-9]"},
	{"ab[xyz]$", "$[x-z]"},
	{"a[-z]$", "$[\\-z]"},
	{"a[z-]$", "$[\\-z]"},
	{"a[]]$", "$[\\]]"},
	{"^(?<ip>x)[a-c\\]]\\b$", "$[\\]a-c]"},
	{"ab[^a-y]$", "$[\\x01-\\x09\\x0e-`z-\\x84\\x86-\\xff]"},
	{"^(?<ip>x)[^\\s<>:]+$",
	    "$[\\x01-\\x08\\x0e-\\x1f!-9;=?-\\x84\\x86-\\xff]"},
	{"^(?<ip>x)\\w$", "$[0-9A-Z_a-z]"},
	{"ab\\W$", "$[\\x01-\\x09\\x0e-/:-@[-\\^`{-\\x84\\x86-\\xff]"},
	{"ab\\D$", "$[\\x01-\\x09\\x0e-/:-\\x84\\x86-\\xff]"},
	{"ab\\s$", "$[\\x09\\x20]"},
	{"ab\\S$", "$[\\x01-\\x08\\x0e-\\x1f!-\\x84\\x86-\\xff]"},
	{"ab\\n$", "$[]"},
	{"^(?<ip>x).$", "$[\\x01-\\x09\\x0e-\\x84\\x86-\\xff]"},
	/* caseless: both cases */
	{"^(?<ip>x)(?i:abc)$", "$[Cc]"},
	{"(?i:a[b-c])$", "$[BCbc]"},
	/* assertions add nothing */
	{"^(?<ip>x)a(?=b)$", "$[a]"},
	{"a\\b$", "$[a]"},
	{"a\\B$", "$[a]"},
	/* no gate */
	{"(?<ip>x?)$", NO_GATE},
	{"a*$", NO_GATE},
	{"^$", NO_GATE},
	{"abc", NO_GATE},
	{"^(?<ip>x)\\$", NO_GATE},
	{"^(?<ip>x)$a", NO_GATE},
	{"a$(?=x)", NO_GATE},
	{"a(?:b$)", NO_GATE},
	{"(?:a$|b)", NO_GATE},
	{"^(?<ip>x)|y$", NO_GATE},
	{"^(?<ip>x)(?m)$", NO_GATE},
	{"a(?i)b$", NO_GATE},
	{"a(*ACCEPT)$", NO_GATE},
	{"^(?<ip>x)\\p{L}$", NO_GATE},
	{"a\\x41$", NO_GATE},
	{"^(?<ip>x)[[:alpha:]]$", NO_GATE},
	{"a[\\x41]$", NO_GATE},
	{"a[a-\\d]$", NO_GATE},
	{"a[z-a]$", NO_GATE},
};

static void
last(void)
{
	char buf[512];
	const char *got;
	size_t i;

	for (i = 0; i < sizeof(last_tab) / sizeof(last_tab[0]); i++) {
		got = gate(last_tab[i].re, buf, sizeof(buf));
		if (last_tab[i].want == NO_GATE)
			CHECK(got == NULL, "%s: got '%s', want no gate",
			    last_tab[i].re, got);
		else
			CHECK(got != NULL && strcmp(got, last_tab[i].want) == 0,
			    "%s: got '%s', want '%s'", last_tab[i].re,
			    got ? got : "(no gate)", last_tab[i].want);
	}
}

/* Every gate lets a message end with a newline byte ("$" before it). */
static void
last_newlines(void)
{
	static const unsigned char nl[] = {0x00, 0x0a, 0x0b, 0x0c, 0x0d, 0x85};
	struct rxlit_bytes b;
	size_t i, k, n = 0;

	for (i = 0; i < sizeof(last_tab) / sizeof(last_tab[0]); i++) {
		memset(&b, 0xff, sizeof(b));
		if (!rxlit_last(last_tab[i].re, &b)) {
			CHECK(b.w[0] == 0 && b.w[1] == 0 && b.w[2] == 0 &&
			    b.w[3] == 0, "%s: no gate, set not empty",
			    last_tab[i].re);
			continue;
		}
		n++;
		for (k = 0; k < sizeof(nl); k++)
			CHECK(b.w[nl[k] >> 6] >> (nl[k] & 63) & 1,
			    "%s: gate without byte 0x%02x", last_tab[i].re,
			    nl[k]);
	}
	CHECK(n > 30, "only %zu gates", n);
}

/* rxlit_skip_class() and rxlit_skip_group() with its '|' offsets. */
static void
skip(void)
{
	static const struct {
		const char *re;
		size_t want;
	} cls[] = {
		{"[abc]x", 5}, {"[]a]", 4}, {"[^]a]", 5}, {"[^a]", 4},
		{"[[:alpha:]]x", 11}, {"[[.a.][=b=]]", 12}, {"[a\\]b]", 6},
		{"[(|)]", 5}, {"[abc", 0}, {"[[:alpha:]", 0}, {"[\\Qa]\\E]", 0},
		{"[\\ca]", 0}, {"[a\\", 0}, {"[]", 0},
	};
	static const struct {
		const char *re;
		size_t want, nalt, alt[3];
	} grp[] = {
		{"(abc)d", 5, 0, {0}},
		{"(a|b|c)", 7, 2, {2, 4}},
		{"(a(b|c)d|e)", 11, 1, {8}},
		{"(a[)|]b)", 8, 0, {0}},
		{"(a\\)|b)", 7, 1, {4}},
		{"(?i:a|b)", 8, 1, {5}},
		{"(?<n>a|b)", 9, 1, {6}},
		{"(abc", 0, 0, {0}},
		{"(a))", 3, 0, {0}},
		{"(?#c)", 0, 0, {0}},
		{"(*ACCEPT)", 0, 0, {0}},
		{"(?x:a)", 0, 0, {0}},
		{"(?-x:a)", 0, 0, {0}},
		{"(a(?x)b)", 0, 0, {0}},
		{"(\\Qa\\E)", 0, 0, {0}},
		{"(a\\cb)", 0, 0, {0}},
		{"(a[b)", 0, 0, {0}},
		{"(a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p)", 33, 15, {2, 4, 6}},
		{"(a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q)", 0, 0, {0}},
	};
	size_t i, k, got, alt[RXLIT_ALTS], nalt;

	for (i = 0; i < sizeof(cls) / sizeof(cls[0]); i++) {
		got = rxlit_skip_class(cls[i].re, 0);
		CHECK(got == cls[i].want, "class %s: got %zu, want %zu",
		    cls[i].re, got, cls[i].want);
	}
	for (i = 0; i < sizeof(grp) / sizeof(grp[0]); i++) {
		got = rxlit_skip_group(grp[i].re, 0, alt, &nalt);
		CHECK(got == grp[i].want, "group %s: got %zu, want %zu",
		    grp[i].re, got, grp[i].want);
		if (got == 0 || got != grp[i].want)
			continue;
		CHECK(nalt == grp[i].nalt, "group %s: %zu '|', want %zu",
		    grp[i].re, nalt, grp[i].nalt);
		for (k = 0; k < nalt && k < 3; k++)
			CHECK(alt[k] == grp[i].alt[k],
			    "group %s: '|' %zu at %zu, want %zu", grp[i].re, k,
			    alt[k], grp[i].alt[k]);
	}
	/* without alt, the number of alternatives is not bounded */
	CHECK(rxlit_skip_group("(a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q)", 0, NULL,
	    NULL) == 35, "17 alternatives without alt");
	CHECK(rxlit_skip_group("(a(b|c)d|e)", 0, NULL, NULL) == 11,
	    "nested without alt");
	/* a group found inside a longer regex, from its own offset */
	CHECK(rxlit_skip_group("ab(c|d)e", 2, alt, &nalt) == 7 && nalt == 1 &&
	    alt[0] == 4, "group at offset 2");
	CHECK(rxlit_skip_class("ab[cd]e", 2) == 6, "class at offset 2");
}

static void
quantifier(void)
{
	static const struct {
		const char *re;
		int rc;
		unsigned long min;
		size_t qlen;
	} tab[] = {
		{"*", 0, 0, 1}, {"+", 0, 1, 1}, {"?", 0, 0, 1},
		{"*?", 0, 0, 2}, {"+?", 0, 1, 2}, {"??", 0, 0, 2},
		{"*+", 0, 0, 2}, {"++", 0, 1, 2}, {"?+", 0, 0, 2},
		{"{3}", 0, 3, 3}, {"{2,5}", 0, 2, 5}, {"{2,}", 0, 2, 4},
		{"{0}", 0, 0, 3}, {"{3}?", 0, 3, 4}, {"{3}+", 0, 3, 4},
		{"{65535}", 0, 65535, 7}, {"*x", 0, 0, 1},
		{"{65536}", -1, 0, 0}, {"{,3}", -1, 0, 0}, {"{x}", -1, 0, 0},
		{"{2", -1, 0, 0}, {"{2,x}", -1, 0, 0}, {"{}", -1, 0, 0},
		{"a", -1, 0, 0}, {"", -1, 0, 0},
	};
	unsigned long min;
	size_t i, qlen;
	int rc;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		min = 12345;
		qlen = 12345;
		rc = rxlit_quantifier(tab[i].re, 0, &min, &qlen);
		CHECK(rc == tab[i].rc, "\"%s\": rc %d, want %d", tab[i].re, rc,
		    tab[i].rc);
		if (rc == 0 && tab[i].rc == 0)
			CHECK(min == tab[i].min && qlen == tab[i].qlen,
			    "\"%s\": min %lu len %zu, want %lu %zu", tab[i].re,
			    min, qlen, tab[i].min, tab[i].qlen);
	}
}

static void
group_kind(void)
{
	static const struct {
		const char *re;
		int kind;
		size_t body;
		int ci;
	} tab[] = {
		{"(abc)", RXLIT_GROUP_BODY, 1, 0},
		{"(?:abc)", RXLIT_GROUP_BODY, 3, 0},
		{"(?>abc)", RXLIT_GROUP_BODY, 3, 0},
		{"(?i:abc)", RXLIT_GROUP_BODY, 4, 1},
		{"(?<n>abc)", RXLIT_GROUP_BODY, 5, 0},
		{"(?<n_1>abc)", RXLIT_GROUP_BODY, 7, 0},
		{"(?'n'abc)", RXLIT_GROUP_BODY, 5, 0},
		{"(?P<n>abc)", RXLIT_GROUP_BODY, 6, 0},
		{"(?=abc)", RXLIT_GROUP_LOOK, 0, 0},
		{"(?!abc)", RXLIT_GROUP_LOOK, 0, 0},
		{"(?<=abc)", RXLIT_GROUP_LOOK, 0, 0},
		{"(?<!abc)", RXLIT_GROUP_LOOK, 0, 0},
		{"(*ACCEPT)", RXLIT_GROUP_OTHER, 0, 0},
		{"(?-i:abc)", RXLIT_GROUP_OTHER, 0, 0},
		{"(?s:abc)", RXLIT_GROUP_OTHER, 0, 0},
		{"(?|a|b)", RXLIT_GROUP_OTHER, 0, 0},
		{"(?(1)a|b)", RXLIT_GROUP_OTHER, 0, 0},
		{"(?P=n)", RXLIT_GROUP_OTHER, 0, 0},
		{"(?P>n)", RXLIT_GROUP_OTHER, 0, 0},
		{"(?<n-x>a)", RXLIT_GROUP_OTHER, 0, 0},
		{"(?'n>a)", RXLIT_GROUP_OTHER, 0, 0},
		{"(?<n)", RXLIT_GROUP_OTHER, 0, 0},
	};
	size_t i, body;
	int ci, kind;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		body = 0;
		ci = 0;
		kind = rxlit_group_kind(tab[i].re, 0, strlen(tab[i].re), &body,
		    &ci);
		CHECK(kind == tab[i].kind, "%s: kind %d, want %d", tab[i].re,
		    kind, tab[i].kind);
		if (kind == RXLIT_GROUP_BODY && tab[i].kind == RXLIT_GROUP_BODY)
			CHECK(body == tab[i].body && ci == tab[i].ci,
			    "%s: body %zu ci %d, want %zu %d", tab[i].re, body,
			    ci, tab[i].body, tab[i].ci);
	}
}

/*
 * The descriptions never write past the buffer and always end it: every
 * size from 0 to past the whole text, with a guard behind it.
 */
static void
text_bounds(void)
{
	static const char *const res[] = {
		"^(?:BLACKLISTED|DENYLISTED) \\[(?<ip>x) (?i:Abcd|wXyz) efgh",
		"^ab\"\\\\\x01\x7f(?:cd|ef)gh",
	};
	char full[1024], buf[1100], *g;
	struct rxlit o;
	struct rxlit_bytes b;
	size_t r, n, at, k, want;

	for (r = 0; r < sizeof(res) / sizeof(res[0]); r++) {
		if (rxlit_extract(res[r], &o) < 0) {
			CHECK(0, "%s: gave up", res[r]);
			continue;
		}
		want = strlen(rxlit_text(&o, full, sizeof(full)));
		for (n = 0; n <= want + 2; n++) {
			memset(buf, 'Z', sizeof(buf));
			rxlit_text(&o, buf, n);
			for (g = buf + n, k = 0; k < 16; k++)
				CHECK(g[k] == 'Z', "%s: size %zu: past it",
				    res[r], n);
			if (n > 0)
				CHECK(memchr(buf, '\0', n) != NULL,
				    "%s: size %zu: not terminated", res[r], n);
			if (n > want)
				CHECK_STR(buf, full);
		}
		rxlit_free(&o);
	}
	memset(&b, 0xff, sizeof(b)); /* every byte: the longest class */
	at = 0;
	rxlit_put_last(full, sizeof(full), &at, &b);
	CHECK_STR(full, "[\\x01-\\x09\\x0e-\\x84\\x86-\\xff]");
	want = strlen(full);
	for (n = 0; n <= want + 12; n++) {
		memset(buf, 'Z', sizeof(buf));
		at = 0;
		rxlit_put_last(buf, n, &at, &b);
		for (g = buf + n, k = 0; k < 16; k++)
			CHECK(g[k] == 'Z', "put_last: size %zu: past it", n);
		CHECK(at <= n, "put_last: size %zu: at %zu", n, at);
	}
	at = 0;
	rxlit_put_str(buf, 8, &at, "abcdefghij", 10);
	CHECK(at < 8 && buf[at] == '\0', "put_str: at %zu", at);
}

static const struct test_case cases[] = {
	TEST_CASE(derive),
	TEST_CASE(nothing),
	TEST_CASE(long_run),
	TEST_CASE(last),
	TEST_CASE(last_newlines),
	TEST_CASE(skip),
	TEST_CASE(quantifier),
	TEST_CASE(group_kind),
	TEST_CASE(text_bounds),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	return TEST_RUN(cases, argc, argv);
}
