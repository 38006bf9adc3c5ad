/*
 * NAME
 *	memfind - is a short literal in a short subject? (packed pair, SIMD)
 * DESCRIPTION
 *	The prefilter (prefilter.c) asks, for every log message, whether a few
 *	literals occur in it.  Messages are short (about 100 bytes), so the
 *	cost is mostly per call, and memchr for one byte finds many false
 *	candidates (" from " has a space).  memfind looks for two bytes of
 *	the literal at once, each at its own offset ("packed pair", as in
 *	Hyperscan's and Rust memchr's memmem): 16 (SSE2) or 32 (AVX2, chosen
 *	at run time) start positions per step, and
 *	compares the whole literal only where both bytes are in place.
 *	Caseless literals fold ASCII letters.  It never reads outside
 *	[hay, hay + hlen).
 *
 *	The caller picks the two offsets (prefilter.c knows which bytes are
 *	rare in mail logs); they must be < len.
 */
#ifndef MAILBAN_MEMFIND_H
#define MAILBAN_MEMFIND_H

#include <stddef.h>

struct memfind {
	const char *s; /* the literal; lower case when ci */
	size_t len;
	int ci; /* caseless: ASCII letters fold */
	size_t i1, i2; /* the pair's offsets in s */
	unsigned char b1, b2; /* s[i1], s[i2] */
	unsigned char f1, f2; /* 0x20 when that byte is a caseless letter */
};

/* s (len >= 1, lower case when ci) must outlive mf. */
void memfind_init(struct memfind *mf, const char *s, size_t len, int ci,
    size_t i1, size_t i2);
/* 1 when mf's literal occurs in hay, else 0. */
int memfind(const struct memfind *mf, const char *hay, size_t hlen);
/* 1 when mf's literal is at h, which holds at least mf->len bytes. */
int memfind_at(const struct memfind *mf, const char *h);
/*
 * Glob over s[0..slen): '*' matches any run of bytes (none that is '/'
 * when path is set), every other byte of g itself.  g is NUL-terminated.
 * The configuration's program, unit and executable globs.
 */
int memfind_glob(const char *g, const char *s, size_t slen, int path);

/*
 * For tests: 0 scalar only, 1 SSE2, 2 AVX2 (at most what the CPU has);
 * -1 the best.  Returns the level now used.
 */
int memfind_force(int level);

/*
 * memfind() inline, for the prefilter's per-line searches: the AVX2 case
 * (a subject of 32 start positions or more, a processor that has it)
 * calls the AVX2 search at once, without memfind()'s own call and
 * checks; every other case is memfind().  memfind_level is the level in
 * use (-1 before the first search, which chooses it).
 */
#if defined(__x86_64__) && defined(__GNUC__)
extern int memfind_level;
int memfind_avx2(const struct memfind *mf, const char *hay, size_t ncand);

static inline int
memfind_inline(const struct memfind *mf, const char *hay, size_t hlen)
{
	if (hlen >= mf->len && hlen - mf->len + 1 >= 32 && memfind_level == 2)
		return memfind_avx2(mf, hay, hlen - mf->len + 1);
	return memfind(mf, hay, hlen);
}
#else
static inline int
memfind_inline(const struct memfind *mf, const char *hay, size_t hlen)
{
	return memfind(mf, hay, hlen);
}
#endif

#endif
