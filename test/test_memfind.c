/*
 * test_memfind - memfind (scalar, SSE2, AVX2) against a plain search
 *
 * One case a level, each on the same subjects.  Random literals and subjects over a small alphabet (so that pairs and
 * whole literals occur often, in both cases), every choice of the pair's
 * offsets for short literals, every subject length up to 100 bytes.  Each
 * subject is placed so that it ends at a page followed by an inaccessible
 * page, and again so that it starts right after one: a read one byte
 * outside the subject faults.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memfind.h"
#include "test.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The plain search: every start position, every byte. */
static int
ref_find(const char *s, size_t len, int ci, const char *h, size_t hlen)
{
	size_t i, j;

	for (i = 0; i + len <= hlen; i++) {
		for (j = 0; j < len; j++)
			if ((ci ? lower((unsigned char)h[i + j]) :
			    (unsigned char)h[i + j]) != (unsigned char)s[j])
				break;
		if (j == len)
			return 1;
	}
	return 0;
}

static char *end_at, *start_at; /* subjects end here, or start here */

/* pages: [guard][data][data][guard]; 0 when they are there */
static int
pages(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *map;

	if (end_at != NULL)
		return 0;
	map = mmap(NULL, (size_t)pg * 4, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	if (mprotect(map, (size_t)pg, PROT_NONE) != 0 ||
	    mprotect(map + 3 * pg, (size_t)pg, PROT_NONE) != 0) {
		perror("mprotect");
		return -1;
	}
	end_at = map + 3 * pg;
	start_at = map + pg;
	return 0;
}

/*
 * The same 60,000 seeded literals, each with a subject at each end of the
 * pages, on every run: memfind at level (0 scalar, 1 SSE2, 2 AVX2) against
 * the plain search; level -1 only counts the subjects that hold their
 * literal.  Returns that count.
 */
static int
subjects(int level)
{
	static const char alpha[] = "abAB :[]\x80\xff";
	char lit[48], *h;
	size_t len, hlen, i1, i2, i, n;
	int ci, got, want, where, found = 0;
	unsigned iter;

	if (pages() < 0) {
		CHECK(0, "no guard pages");
		return 0;
	}
	test_seed(0x9e3779b97f4a7c15ULL);
	for (iter = 0; iter < 60000; iter++) {
		struct memfind mf;

		ci = rnd(2);
		len = 1 + rnd(iter % 7 == 0 ? 40 : 6);
		for (i = 0; i < len; i++) {
			lit[i] = alpha[rnd(sizeof(alpha) - 1)];
			if (ci)
				lit[i] = (char)lower((unsigned char)lit[i]);
		}
		i1 = rnd((unsigned)len);
		i2 = rnd((unsigned)len);
		memfind_init(&mf, lit, len, ci, i1, i2);
		hlen = rnd(101);
		for (where = 0; where < 2; where++) {
			h = where == 0 ? end_at - hlen : start_at;
			for (i = 0; i < hlen; i++)
				h[i] = alpha[rnd(sizeof(alpha) - 1)];
			/* plant the literal (maybe in the other case) now and then */
			if (hlen >= len && rnd(3) == 0) {
				n = rnd((unsigned)(hlen - len + 1));
				for (i = 0; i < len; i++)
					h[n + i] = ci && rnd(2) && lit[i] >= 'a' &&
					    lit[i] <= 'z' ? (char)(lit[i] - 32) : lit[i];
				if (rnd(2)) /* a near miss: one byte off */
					h[n + rnd((unsigned)len)] ^= 1;
			}
			want = ref_find(lit, len, ci, h, hlen);
			found += want;
			if (level < 0)
				continue;
			memfind_force(level);
			got = memfind(&mf, h, hlen);
			CHECK(got == want, "level %d ci %d literal %zu bytes "
			    "pair %zu,%zu subject %zu bytes: got %d want %d",
			    level, ci, len, i1, i2, hlen, got, want);
			/* the prefilter's inline entry, at the same level */
			got = memfind_inline(&mf, h, hlen);
			CHECK(got == want, "memfind_inline: level %d ci %d "
			    "literal %zu bytes pair %zu,%zu subject %zu bytes: "
			    "got %d want %d", level, ci, len, i1, i2, hlen, got,
			    want);
		}
	}
	memfind_force(-1);
	return found;
}

/* one level, when this CPU has it */
static void
at_level(int l)
{
	if (memfind_force(-1) < l) {
		printf("(level %d: not on this CPU)\n", l);
		return;
	}
	subjects(l);
}

static void
scalar(void)
{
	at_level(0);
}

static void
sse2(void)
{
	at_level(1);
}

static void
avx2(void)
{
	at_level(2);
}

/* the subjects hold their literal often, but not always */
static void
literals_found_often(void)
{
	int found = subjects(-1);

	CHECK(found > 20000 && found < 100000, "found %d times", found);
}

/* the configuration's globs: program names, units, executables */
static void
globs(void)
{
	static const struct {
		const char *g, *s;
		int path, want;
	} t[] = {
		{"postfix*", "postfix/smtpd", 0, 1},
		{"postfix*", "postfix/smtpd", 1, 0},
		{"postfix/*", "postfix/submission/smtpd", 0, 1},
		{"/usr/lib/postfix/sbin/*", "/usr/lib/postfix/sbin/smtpd", 1, 1},
		{"/usr/lib/postfix/sbin/*", "/usr/lib/postfix/sbin/x/smtpd", 1, 0},
		{"/usr/*/smtpd", "/usr/lib/postfix/sbin/smtpd", 0, 1},
		{"/usr/*/smtpd", "/usr/lib/postfix/sbin/smtpd", 1, 0},
		{"*", "", 0, 1},
		{"", "", 0, 1},
		{"", "x", 0, 0},
		{"exim*", "exim4", 0, 1},
		{"exim*", "xexim4", 0, 0},
		{"*-rbl", "zen-rbl", 0, 1},
		{"a*b*c", "aXbYbZc", 0, 1},
		{"a*b*c", "aXbYbZ", 0, 0},
		{"sendmail", "sendmai", 0, 0},
		{"sendmai", "sendmail", 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		CHECK(memfind_glob(t[i].g, t[i].s, strlen(t[i].s), t[i].path) ==
		    t[i].want, "glob %s on %s (path %d)", t[i].g, t[i].s,
		    t[i].path);
}

static const struct test_case cases[] = {
	TEST_CASE(globs),
	TEST_CASE(scalar),
	TEST_CASE(sse2),
	TEST_CASE(avx2),
	TEST_CASE(literals_found_often),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	printf("memfind levels here: %d (0 scalar, 1 SSE2, 2 AVX2)\n",
	    memfind_force(-1));
	return TEST_RUN(cases, argc, argv);
}
