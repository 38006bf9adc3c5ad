/*
 * NAME
 *	memfind - is a short literal in a short subject? (packed pair, SIMD)
 * DESCRIPTION
 *	See include/memfind.h.  Three implementations of one contract:
 *
 *	  scalar  memchr for the first byte of the pair (both cases when it
 *	          is a caseless letter), the literal compared in full there;
 *	  SSE2    16 start positions per step: the subject loaded at i1 and
 *	          at i2 past the positions, compared with b1 and b2 (after
 *	          OR-ing 0x20 where the byte is a caseless letter), AND-ed;
 *	          every set bit is compared in full;
 *	  AVX2    the same, 32 positions per step (only when the CPU has it:
 *	          __builtin_cpu_supports, once).
 *	(An AVX-512BW step of 64 positions did not pay on mail logs, whose
 *	messages are about 100 bytes: bench/RESULTS.md.)
 *
 *	A vector step at start position pos reads up to hay[pos + i2 + W - 1]
 *	(W = 16 or 32).  Steps are taken only while pos + W <= the number of
 *	start positions (hlen - len + 1); the last one is moved back to end
 *	exactly there (it may overlap the one before, which only repeats
 *	compares), so the highest byte read is hay[hlen - len + i2] <
 *	hay[hlen].  Subjects with fewer than W start positions take the
 *	narrower path or the scalar one.
 */
#include <stdint.h>
#include <string.h>

#include "memfind.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MEMFIND_X86 1
#else
#define MEMFIND_X86 0
#endif

void
memfind_init(struct memfind *mf, const char *s, size_t len, int ci,
    size_t i1, size_t i2)
{
	unsigned char c1 = (unsigned char)s[i1], c2 = (unsigned char)s[i2];

	mf->s = s;
	mf->len = len;
	mf->ci = ci;
	mf->i1 = i1;
	mf->i2 = i2;
	mf->b1 = c1;
	mf->b2 = c2;
	mf->f1 = ci && c1 >= 'a' && c1 <= 'z' ? 0x20 : 0;
	mf->f2 = ci && c2 >= 'a' && c2 <= 'z' ? 0x20 : 0;
}

/*
 * h against the literal (lower case when ci; ASCII letters fold).  Inline
 * and without library calls, so that the vector loops around it keep
 * their registers (a call would spill every vector register).
 */
static inline int
mf_equal(const struct memfind *mf, const char *h)
{
	const char *s = mf->s;
	size_t i, len = mf->len;
	uint64_t a, b;
	unsigned char c;

	if (!mf->ci) {
		if (len >= 8) {
			for (i = 0; i + 8 <= len; i += 8) {
				memcpy(&a, h + i, 8);
				memcpy(&b, s + i, 8);
				if (a != b)
					return 0;
			}
			if (i == len)
				return 1;
			memcpy(&a, h + len - 8, 8); /* the tail, overlapping */
			memcpy(&b, s + len - 8, 8);
			return a == b;
		}
		for (i = 0; i < len; i++)
			if (h[i] != s[i])
				return 0;
		return 1;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)h[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)s[i])
			return 0;
	}
	return 1;
}

/* memchr for byte b at offset i1 of every start position. */
static int
mf_scalar_byte(const struct memfind *mf, const char *hay, size_t hlen,
    char b)
{
	const char *p = hay + mf->i1;
	const char *end = hay + (hlen - mf->len) + mf->i1 + 1;

	while (p < end && (p = memchr(p, b, (size_t)(end - p))) != NULL) {
		if (mf_equal(mf, p - mf->i1))
			return 1;
		p++;
	}
	return 0;
}

/* (apart, as the vector paths are: memfind itself stays a leaf that
 * saves no register) */
__attribute__((noinline)) static int
mf_scalar(const struct memfind *mf, const char *hay, size_t hlen)
{
	if (mf_scalar_byte(mf, hay, hlen, (char)mf->b1))
		return 1;
	return mf->f1 != 0 &&
	    mf_scalar_byte(mf, hay, hlen, (char)(mf->b1 - 'a' + 'A'));
}

#if MEMFIND_X86
/*
 * The SSE2 steps are leaves that only scan: they return the mask of the
 * first step with a candidate (and its position in *at), or 0 when none
 * is left.  The caller compares; a call in the scan loop would make the
 * compiler save and realign around every step.  (AVX2: mf_avx2 below, one
 * leaf for the steps and the compares.)
 */

/* ncand >= 16 start positions, from *at on. */
static unsigned
mf_sse2_scan(const struct memfind *mf, const char *hay, size_t ncand,
    size_t *at)
{
	const __m128i b1 = _mm_set1_epi8((char)mf->b1);
	const __m128i b2 = _mm_set1_epi8((char)mf->b2);
	const __m128i f1 = _mm_set1_epi8((char)mf->f1);
	const __m128i f2 = _mm_set1_epi8((char)mf->f2);
	const char *p1 = hay + mf->i1, *p2 = hay + mf->i2;
	size_t pos = *at;
	unsigned m;
	__m128i a, c;

	for (;;) {
		if (pos + 16 > ncand)
			pos = ncand - 16;
		a = _mm_loadu_si128((const __m128i *)(const void *)(p1 + pos));
		c = _mm_loadu_si128((const __m128i *)(const void *)(p2 + pos));
		a = _mm_cmpeq_epi8(_mm_or_si128(a, f1), b1);
		c = _mm_cmpeq_epi8(_mm_or_si128(c, f2), b2);
		m = (unsigned)_mm_movemask_epi8(_mm_and_si128(a, c));
		if (m != 0) {
			*at = pos;
			return m;
		}
		if (pos + 16 >= ncand)
			return 0;
		pos += 16;
	}
}

/*
 * Scan with step (width w), compare at each candidate; a step that had
 * candidates but no match goes on after itself.
 */
static int
mf_vector(const struct memfind *mf, const char *hay, size_t ncand, size_t w,
    unsigned (*scan)(const struct memfind *, const char *, size_t, size_t *))
{
	size_t pos = 0;
	unsigned m;

	while ((m = scan(mf, hay, ncand, &pos)) != 0) {
		do {
			if (mf_equal(mf, hay + pos + (unsigned)__builtin_ctz(m)))
				return 1;
			m &= m - 1;
		} while (m != 0);
		if (pos + w >= ncand)
			return 0;
		pos += w;
	}
	return 0;
}

__attribute__((noinline)) static int
mf_sse2(const struct memfind *mf, const char *hay, size_t ncand)
{
	return mf_vector(mf, hay, ncand, 16, mf_sse2_scan);
}

/*
 * AVX2, 32 start positions per step, ncand >= 32: the steps and the
 * compares in one leaf (mf_equal makes no call), the pair's bytes
 * broadcast once a search, and no OR for a literal without caseless
 * letters (fold 0; f1 and f2 are then 0).  This search is most of the
 * prefilter's work: a step is a few instructions, the call around it
 * was as many again when each step was a call of its own.
 */
__attribute__((target("avx2"), always_inline)) static inline int
mf_avx2_steps(const struct memfind *mf, const char *hay, size_t ncand,
    int fold)
{
	const __m256i b1 = _mm256_set1_epi8((char)mf->b1);
	const __m256i b2 = _mm256_set1_epi8((char)mf->b2);
	const __m256i f1 = _mm256_set1_epi8((char)mf->f1);
	const __m256i f2 = _mm256_set1_epi8((char)mf->f2);
	const char *p1 = hay + mf->i1, *p2 = hay + mf->i2;
	size_t pos = 0;
	unsigned m;
	__m256i a, c;

	for (;;) {
		if (pos + 32 > ncand)
			pos = ncand - 32;
		a = _mm256_loadu_si256((const __m256i *)(const void *)(p1 + pos));
		c = _mm256_loadu_si256((const __m256i *)(const void *)(p2 + pos));
		if (fold) {
			a = _mm256_or_si256(a, f1);
			c = _mm256_or_si256(c, f2);
		}
		a = _mm256_cmpeq_epi8(a, b1);
		c = _mm256_cmpeq_epi8(c, b2);
		m = (unsigned)_mm256_movemask_epi8(_mm256_and_si256(a, c));
		for (; m != 0; m &= m - 1)
			if (mf_equal(mf, hay + pos + (unsigned)__builtin_ctz(m)))
				return 1;
		if (pos + 32 >= ncand)
			return 0;
		pos += 32;
	}
}

/* (memfind_inline in memfind.h calls it at once: ncand >= 32) */
__attribute__((target("avx2"), noinline)) int
memfind_avx2(const struct memfind *mf, const char *hay, size_t ncand)
{
	if ((mf->f1 | mf->f2) != 0)
		return mf_avx2_steps(mf, hay, ncand, 1);
	return mf_avx2_steps(mf, hay, ncand, 0);
}

#endif

/* 0 scalar, 1 SSE2, 2 AVX2; -1: not chosen yet */
int memfind_level = -1;

static int
mf_best(void)
{
#if MEMFIND_X86
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") ? 2 : 1;
#else
	return 0;
#endif
}

int
memfind_force(int level)
{
	int best = mf_best();

	memfind_level = level < 0 || level > best ? best : level;
	return memfind_level;
}

int
memfind_at(const struct memfind *mf, const char *h)
{
	return mf_equal(mf, h);
}

/* The first search: the level is chosen, once. */
__attribute__((noinline, cold)) static int
mf_first(const struct memfind *mf, const char *hay, size_t hlen)
{
	if (memfind_level < 0)
		memfind_level = mf_best();
	return memfind(mf, hay, hlen);
}

/* Only tail calls: memfind saves no register and has no frame. */
int
memfind(const struct memfind *mf, const char *hay, size_t hlen)
{
	size_t ncand;

	if (hlen < mf->len)
		return 0;
	ncand = hlen - mf->len + 1;
	if (memfind_level < 0)
		return mf_first(mf, hay, hlen);
#if MEMFIND_X86
	if (ncand >= 32 && memfind_level >= 2)
		return memfind_avx2(mf, hay, ncand);
	if (ncand >= 16 && memfind_level >= 1)
		return mf_sse2(mf, hay, ncand);
#endif
	return mf_scalar(mf, hay, hlen);
}

int
memfind_glob(const char *g, const char *s, size_t slen, int path)
{
	const char *star = NULL, *se = s + slen, *resume = NULL;

	while (s < se) {
		if (*g == '*') {
			star = g++;
			resume = s;
		} else if (*g != '\0' && *g == *s) {
			g++;
			s++;
		} else if (star != NULL && !(path && *resume == '/')) {
			g = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*g == '*')
		g++;
	return *g == '\0';
}
