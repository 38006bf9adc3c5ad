/*
 * NAME
 *	tracker - per-address scores, ban decisions, queue-ID evidence
 * DESCRIPTION
 *	See include/tracker.h.  Addresses live in an array of fixed-size
 *	entries (grown by doubling up to max_tracked), found through an open
 *	hash (linear probing) of 32-bit buckets, and kept on one doubly linked
 *	list of indices per evidence level (LEVEL_*), most recently seen at the
 *	head.  A bit mask of the levels that hold entries finds the lowest at
 *	once.  Times are stored as 32-bit seconds.
 *
 *	A bucket holds the index of its entry plus one (0: empty) in its low
 *	bits and, in the bits the largest index leaves free, bits of the key's
 *	hash that the bucket's position does not use (its tag): a probe reads
 *	an entry only when the tags agree, so an address not held, and a
 *	neighbour in the probe sequence, are told apart without a read of the
 *	entry (one cache miss where a chain through the entries took two).
 *	The queue-ID cache is hashed the same way, its entries one cache line
 *	each.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tracker.h"

#define NIL UINT32_MAX

/*
 * Evidence levels, evicted lowest first and, within a level, least
 * recently seen first.  A level is exact when an entry is placed (after
 * every change) and may only overstate afterwards, as scores age out of
 * the window and bans end: evict() looks again at the least recently
 * seen end of every level before it chooses.
 */
enum {
	LEVEL_NONE = 0, /* nothing in the window, no ban to remember */
	LEVEL_SCORE_MIN = 1, /* a score in the window: 1 to 13 by its sum */
	LEVEL_SCORE_MAX = 13, /* ... the threshold or more (seeded) */
	LEVEL_HISTORY = 14, /* banned within `forget`, not now: escalation */
	LEVEL_BANNED = 15, /* banned now */
	LEVELS,
	LEVEL_UNLINKED = LEVELS /* new, on no list until placed */
};
#define REFRESH_MAX 4 /* entries looked at again per level and eviction */

struct event {
	uint32_t t;
	int32_t score;
};

struct entry {
	struct addr addr;
	uint8_t nev;
	uint8_t dirty; /* on the dirty list since the last drain */
	uint8_t level; /* LEVEL_*: the list it is on */
	uint16_t nbans;
	uint32_t last_seen;
	uint32_t banned_until;
	uint32_t last_ban;
	uint32_t prev, next; /* its level's list; head = most recent */
	struct event ev[TRACKER_EVENTS];
};

/* tracker.h states the memory per address: an entry and less than 2.5
 * buckets (the buckets are the power of two at or above 1.25 entries) */
_Static_assert(sizeof(struct entry) + 10 <= TRACKER_ENTRY_BYTES,
    "TRACKER_ENTRY_BYTES is the bound documented");
_Static_assert(sizeof(struct addr) * 2 <= TRACKER_DIRTY_BYTES,
    "TRACKER_DIRTY_BYTES is the bound documented");

/* One cache line: what a lookup compares and what a join reads.  The
 * pattern of parked evidence is apart (qpat), read only to join it. */
#define QENT_ALIGN 64
struct qent {
	_Alignas(QENT_ALIGN) char qid[TRACKER_QID_MAX + 1];
	uint8_t qidlen;
	uint8_t has_addr;
	struct addr addr;
	uint32_t t;
	int32_t pending;
};
_Static_assert(sizeof(struct qent) == QENT_ALIGN, "a qent is one line");

struct tracker {
	const struct config *cfg;
	struct entry *e;
	uint32_t n, cap, max;
	uint32_t *heads; /* buckets: tag | index + 1, 0 empty */
	uint32_t nheads; /* power of two */
	uint32_t tagmask; /* the bits of a bucket above the largest index */
	uint32_t lhead[LEVELS], ltail[LEVELS];
	uint32_t levels; /* bit l: level l's list is not empty */
	struct qent *q; /* QENT_ALIGN-aligned within qmem */
	void *qmem;
	const struct pattern **qpat; /* parked evidence's pattern, by slot */
	uint32_t qmax, qnext, qn;
	uint32_t *qheads; /* buckets, as heads */
	uint32_t nqheads;
	uint32_t qtagmask;
	struct addr *dirty; /* addresses whose score changed since the drain */
	uint32_t ndirty, capdirty;
	int keep_dirty; /* only when someone drains (run mode) */
	struct tracker_stats st;
};

static uint32_t
clamp_time(int64_t t)
{
	if (t < 0)
		return 0;
	if (t > (int64_t)UINT32_MAX - 1)
		return UINT32_MAX - 1;
	return (uint32_t)t;
}

/* The bucket bits above index + 1 for indices below max. */
static uint32_t
tag_mask(uint32_t max)
{
	return ~0u << (32 - __builtin_clz(max));
}

static uint32_t
pow2_at_least(uint64_t n)
{
	uint32_t p = 16;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

struct tracker *
tracker_new(const struct config *cfg)
{
	struct tracker *t = xcalloc(1, sizeof(*t));
	uint32_t i;

	t->cfg = cfg;
	t->max = cfg->max_tracked;
	t->tagmask = tag_mask(t->max);
	for (i = 0; i < LEVELS; i++)
		t->lhead[i] = t->ltail[i] = NIL;
	t->qmax = cfg->max_qids;
	t->qmem = xcalloc((size_t)t->qmax + 1, QENT_ALIGN);
	t->q = (struct qent *)(((uintptr_t)t->qmem + QENT_ALIGN - 1) &
	    ~(uintptr_t)(QENT_ALIGN - 1));
	t->qpat = xcalloc(t->qmax, sizeof(*t->qpat));
	t->nqheads = pow2_at_least((uint64_t)t->qmax * 2);
	t->qheads = xcalloc(t->nqheads, sizeof(*t->qheads));
	t->qtagmask = tag_mask(t->qmax);
	return t;
}

void
tracker_free(struct tracker *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t->heads);
	free(t->qmem);
	free(t->qpat);
	free(t->qheads);
	free(t->dirty);
	free(t);
}

static void
mark_dirty(struct tracker *t, struct entry *e)
{
	if (e->dirty || !t->keep_dirty)
		return;
	if (t->ndirty == t->capdirty) {
		if (t->capdirty >= 2 * (uint64_t)t->max + 1024) {
			t->st.dirty_lost++;
			return;
		}
		t->capdirty = t->capdirty ? t->capdirty * 2 : 1024;
		if (t->capdirty > 2 * (uint64_t)t->max + 1024)
			t->capdirty = 2 * t->max + 1024;
		t->dirty = xreallocarray(t->dirty, t->capdirty, sizeof(*t->dirty));
	}
	e->dirty = 1;
	t->dirty[t->ndirty++] = e->addr;
}

/*
 * Index i into the open hash b of m + 1 buckets (linear probing), where h
 * is its key's hash: the bucket holds i + 1 and, in the bits tm, the tag.
 */
static void
bucket_insert(uint32_t *b, uint32_t m, uint32_t tm, uint32_t i, uint64_t h)
{
	uint32_t pos = (uint32_t)h & m;

	while (b[pos] != 0)
		pos = (pos + 1) & m;
	b[pos] = ((uint32_t)(h >> 32) & tm) | (i + 1);
}

/* Bucket i (its entry's index) into heads, where h is its key's hash. */
static void
hash_insert(struct tracker *t, uint32_t i, uint64_t h)
{
	bucket_insert(t->heads, t->nheads - 1, t->tagmask, i, h);
}

static void
rehash(struct tracker *t, uint32_t nheads)
{
	uint32_t i;

	free(t->heads);
	t->heads = xcalloc(nheads, sizeof(*t->heads));
	t->nheads = nheads;
	for (i = 0; i < t->n; i++) /* every slot below n is in use */
		hash_insert(t, i, addr_hash(&t->e[i].addr));
}

static void
list_unlink(struct tracker *t, uint32_t i)
{
	struct entry *e = &t->e[i];

	if (e->prev != NIL)
		t->e[e->prev].next = e->next;
	else
		t->lhead[e->level] = e->next;
	if (e->next != NIL)
		t->e[e->next].prev = e->prev;
	else
		t->ltail[e->level] = e->prev;
	if (t->lhead[e->level] == NIL)
		t->levels &= ~(1u << e->level);
	e->prev = e->next = NIL;
}

static void
list_push(struct tracker *t, uint32_t i, unsigned level)
{
	struct entry *e = &t->e[i];

	e->level = (uint8_t)level;
	e->prev = NIL;
	e->next = t->lhead[level];
	if (t->lhead[level] != NIL)
		t->e[t->lhead[level]].prev = i;
	t->lhead[level] = i;
	if (t->ltail[level] == NIL)
		t->ltail[level] = i;
	t->levels |= 1u << level;
}

/* The level of a sum of scores in the window (sum > 0): one-offs at the
 * bottom, the threshold's neighbours at the top. */
static unsigned
score_level(const struct config *cfg, int64_t sum)
{
	int64_t steps = LEVEL_SCORE_MAX - LEVEL_SCORE_MIN - 1;

	if (sum >= cfg->threshold)
		return LEVEL_SCORE_MAX;
	/* 1 <= sum < threshold: threshold >= 2 */
	return LEVEL_SCORE_MIN + (unsigned)((sum - 1) * steps /
	    (cfg->threshold - 1));
}

static unsigned
level_of(const struct tracker *t, const struct entry *e, uint32_t now)
{
	const struct config *cfg = t->cfg;
	int64_t sum = 0;
	uint8_t k;

	if (e->banned_until > now)
		return LEVEL_BANNED;
	if (e->nbans > 0 && (int64_t)now - (int64_t)e->last_ban <= cfg->forget)
		return LEVEL_HISTORY;
	for (k = 0; k < e->nev; k++)
		if ((int64_t)now - (int64_t)e->ev[k].t < cfg->window)
			sum += e->ev[k].score;
	return sum > 0 ? score_level(cfg, sum) : LEVEL_NONE;
}

/* Entry i was seen, or changed: the most recent of its level. */
static void
place(struct tracker *t, uint32_t i, uint32_t now)
{
	unsigned level = level_of(t, &t->e[i], now);

	if (t->e[i].level == level && t->lhead[level] == i)
		return;
	if (t->e[i].level != LEVEL_UNLINKED)
		list_unlink(t, i);
	list_push(t, i, level);
}

/* addr_equal(), inlined: fixed-size compares on the lookup path. */
static inline int
same_addr(const struct addr *a, const struct addr *b)
{
	return a->family == b->family && a->plen == b->plen &&
	    memcmp(a->bytes, b->bytes, 4) == 0 &&
	    (a->family == ADDR_V4 || memcmp(a->bytes + 4, b->bytes + 4, 12) == 0);
}

static uint32_t
lookup(const struct tracker *t, const struct addr *a)
{
	uint64_t h;
	uint32_t m, pos, b, tag, tm = t->tagmask;

	if (t->nheads == 0)
		return NIL;
	h = addr_hash(a);
	m = t->nheads - 1;
	tag = (uint32_t)(h >> 32) & tm;
	for (pos = (uint32_t)h & m; (b = t->heads[pos]) != 0;
	     pos = (pos + 1) & m)
		if ((b & tm) == tag && same_addr(&t->e[(b & ~tm) - 1].addr, a))
			return (b & ~tm) - 1;
	return NIL;
}

/*
 * Index i out of the open hash b (as bucket_insert(); pos its key's home
 * bucket), without tombstones: each bucket after its hole, up to the next
 * empty one, moves back into the hole unless its home lies cyclically
 * after the hole.  home() is the home bucket of a bucket's entry.
 */
static void
bucket_delete(uint32_t *b, uint32_t m, uint32_t tm, uint32_t i, uint32_t pos,
    const void *ctx, uint32_t (*home)(const void *, uint32_t))
{
	uint32_t j, k;

	while ((b[pos] & ~tm) != i + 1)
		pos = (pos + 1) & m;
	for (j = pos;;) {
		j = (j + 1) & m;
		if (b[j] == 0)
			break;
		k = home(ctx, b[j]);
		if (((j - k) & m) >= ((j - pos) & m)) {
			b[pos] = b[j];
			pos = j;
		}
	}
	b[pos] = 0;
}

static uint32_t
addr_home(const void *ctx, uint32_t b)
{
	const struct tracker *t = ctx;

	return (uint32_t)addr_hash(&t->e[(b & ~t->tagmask) - 1].addr) &
	    (t->nheads - 1);
}

static void
hash_remove(struct tracker *t, uint32_t i)
{
	uint32_t m = t->nheads - 1;

	bucket_delete(t->heads, m, t->tagmask, i,
	    (uint32_t)addr_hash(&t->e[i].addr) & m, t, addr_home);
}

/*
 * A new threshold, window or forget: every entry placed again, each
 * level's entries least recently seen first so that their order holds.
 * Without a clock here, each is placed as of its last sight: a level
 * that overstates, as levels may (refresh() brings it down).
 */
static void
relevel(struct tracker *t)
{
	uint32_t tail[LEVELS], i, prev;
	unsigned l;
	struct entry *e;

	memcpy(tail, t->ltail, sizeof(tail));
	for (l = 0; l < LEVELS; l++)
		t->lhead[l] = t->ltail[l] = NIL;
	t->levels = 0;
	for (l = 0; l < LEVELS; l++) {
		for (i = tail[l]; i != NIL; i = prev) {
			e = &t->e[i];
			prev = e->prev;
			list_push(t, i, level_of(t, e, e->last_seen > e->last_ban ?
			    e->last_seen : e->last_ban));
		}
	}
}

/*
 * Levels overstate what has aged since: the least recently seen entries
 * of each level, those most likely to have aged, are placed again.
 */
static void
refresh(struct tracker *t, uint32_t now)
{
	uint32_t m = t->levels & ~1u, i;
	unsigned l, nl, k;

	for (; m != 0; m &= m - 1) {
		l = (unsigned)__builtin_ctz(m);
		for (k = 0; k < REFRESH_MAX && (i = t->ltail[l]) != NIL; k++) {
			nl = level_of(t, &t->e[i], now);
			if (nl >= l)
				break;
			list_unlink(t, i);
			list_push(t, i, nl);
		}
	}
}

/*
 * Room for an address whose first score is `score`: the least recently
 * seen entry of the lowest level goes, unless every entry held is above
 * the newcomer's (NIL: it is not taken in; nothing held is lost for it).
 * A score at the threshold bans: it comes in as a ban does.
 */
static uint32_t
evict(struct tracker *t, uint32_t now, long score)
{
	unsigned low, level = score >= t->cfg->threshold ? LEVEL_BANNED :
	    score_level(t->cfg, score);
	uint32_t i;

	refresh(t, now);
	if (t->levels == 0)
		return NIL;
	low = (unsigned)__builtin_ctz(t->levels);
	if (low > level) {
		t->st.refused++;
		return NIL;
	}
	i = t->ltail[low];
	hash_remove(t, i);
	list_unlink(t, i);
	t->st.evicted++;
	if (low > LEVEL_SCORE_MIN)
		t->st.evicted_evidence++;
	return i;
}

/*
 * The entry of a, taken in when new (on no list until placed) if there is
 * room for an address whose first score is `score` (LONG_MAX: always, as
 * for a ban); NIL when there is not.
 */
static uint32_t
find_or_add(struct tracker *t, const struct addr *a, uint32_t now,
    long score)
{
	uint32_t i = lookup(t, a);

	if (i != NIL)
		return i;
	if (t->n < t->max) {
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 1024;
			if (t->cap > t->max)
				t->cap = t->max;
			t->e = xreallocarray(t->e, t->cap, sizeof(*t->e));
		}
		/* rehash the entries there are, before the new slot is one:
		 * its memory is not initialised until below; the buckets are
		 * at most 80% full */
		if ((uint64_t)t->nheads < (uint64_t)t->cap + t->cap / 4)
			rehash(t, pow2_at_least((uint64_t)t->cap + t->cap / 4));
		i = t->n++;
	} else if ((i = evict(t, now, score)) == NIL) {
		return NIL;
	}
	memset(&t->e[i], 0, sizeof(t->e[i]));
	t->e[i].addr = *a;
	hash_insert(t, i, addr_hash(a));
	t->e[i].prev = t->e[i].next = NIL;
	t->e[i].level = LEVEL_UNLINKED;
	return i;
}

static void
expire_events(struct entry *e, uint32_t now, int64_t window)
{
	uint8_t k, j = 0;

	for (k = 0; k < e->nev; k++)
		if ((int64_t)now - (int64_t)e->ev[k].t < window)
			e->ev[j++] = e->ev[k];
	e->nev = j;
}

static int
decide(struct tracker *t, uint32_t i, uint32_t now, long score,
    const struct pattern *p, struct ban_decision *d)
{
	const struct config *cfg = t->cfg;
	struct entry *e = &t->e[i];
	long sum = 0;
	uint8_t k;
	size_t n;

	e->last_seen = now;
	if (score <= 0 || e->banned_until > now)
		return 0;
	expire_events(e, now, cfg->window);
	if (e->nev == TRACKER_EVENTS) {
		/* merge the two oldest, keeping the older time */
		int64_t s = (int64_t)e->ev[0].score + e->ev[1].score;

		e->ev[0].score = s > INT32_MAX ? INT32_MAX : (int32_t)s;
		memmove(&e->ev[1], &e->ev[2],
		    (TRACKER_EVENTS - 2) * sizeof(e->ev[0]));
		e->nev--;
	}
	e->ev[e->nev].t = now;
	e->ev[e->nev].score = score > INT32_MAX ? INT32_MAX : (int32_t)score;
	e->nev++;
	mark_dirty(t, e);
	for (k = 0; k < e->nev; k++)
		sum += e->ev[k].score;
	if (sum < cfg->threshold)
		return 0;
	if (e->nbans > 0 && (int64_t)now - (int64_t)e->last_ban > cfg->forget)
		e->nbans = 0;
	if (e->nbans < UINT16_MAX)
		e->nbans++;
	n = e->nbans < cfg->nbantimes ? e->nbans : cfg->nbantimes;
	memset(d, 0, sizeof(*d));
	d->addr = e->addr;
	d->start = now;
	d->duration = cfg->bantimes[n - 1];
	d->count = e->nbans;
	d->pat = p;
	d->score = sum;
	e->last_ban = now;
	e->banned_until = clamp_time((int64_t)now + d->duration);
	e->nev = 0;
	return 1; /* dirty already: the event was just added */
}

int
tracker_hit(struct tracker *t, const struct addr *a, int64_t now, long score,
    const struct pattern *p, struct ban_decision *d)
{
	uint32_t tn = clamp_time(now), i;
	int banned;

	/*
	 * Score 0 is a record, never counted: an address held already is
	 * seen again, one that is not is not taken in (relays' session
	 * records would fill the table and push offenders out of it).
	 */
	if (score <= 0) {
		if ((i = lookup(t, a)) == NIL)
			return 0;
	} else if ((i = find_or_add(t, a, tn, score)) == NIL) {
		return 0; /* a one-off, and the table full of more */
	}
	banned = decide(t, i, tn, score, p, d);
	place(t, i, tn);
	return banned;
}

void
tracker_unban(struct tracker *t, const struct addr *a)
{
	uint32_t i = lookup(t, a);

	if (i == NIL)
		return;
	t->e[i].banned_until = 0;
	if (t->e[i].nev > 0) {
		t->e[i].nev = 0;
		mark_dirty(t, &t->e[i]);
	}
	place(t, i, t->e[i].last_seen > t->e[i].last_ban ? t->e[i].last_seen :
	    t->e[i].last_ban);
}

void
tracker_seed(struct tracker *t, const struct addr *a, unsigned count,
    int64_t last_ban, int64_t until)
{
	uint32_t i = find_or_add(t, a, clamp_time(last_ban), LONG_MAX);

	if (i == NIL)
		return; /* the table is full of bans now */
	t->e[i].nbans = count > UINT16_MAX ? UINT16_MAX : (uint16_t)count;
	t->e[i].last_ban = clamp_time(last_ban);
	t->e[i].banned_until = clamp_time(until);
	t->e[i].last_seen = clamp_time(last_ban);
	place(t, i, clamp_time(last_ban));
}

void
tracker_keep_dirty(struct tracker *t)
{
	t->keep_dirty = 1;
}

void
tracker_drain_dirty(struct tracker *t, void (*cb)(void *,
    const struct addr *, const struct score_event *, size_t, int64_t),
    void *ctx)
{
	struct score_event ev[TRACKER_EVENTS];
	uint32_t i, j, k;
	struct entry *e;

	for (k = 0; k < t->ndirty; k++) {
		i = lookup(t, &t->dirty[k]);
		if (i == NIL) { /* evicted since: nothing in flight any more */
			cb(ctx, &t->dirty[k], ev, 0, 0);
			continue;
		}
		e = &t->e[i];
		if (!e->dirty)
			continue; /* listed twice */
		e->dirty = 0;
		for (j = 0; j < e->nev; j++) {
			ev[j].t = e->ev[j].t;
			ev[j].score = e->ev[j].score;
		}
		cb(ctx, &e->addr, ev, e->nev, e->last_seen);
	}
	t->ndirty = 0;
}

size_t
tracker_dirty_count(const struct tracker *t)
{
	return t->ndirty;
}

void
tracker_mark_dirty(struct tracker *t, const struct addr *a)
{
	uint32_t i = lookup(t, a);

	if (i != NIL)
		mark_dirty(t, &t->e[i]);
}

void
tracker_seed_events(struct tracker *t, const struct addr *a,
    const struct score_event *ev, size_t n, int64_t now)
{
	uint32_t i = find_or_add(t, a, clamp_time(now), LONG_MAX);
	struct entry *e;
	size_t j;

	if (i == NIL)
		return; /* the table is full of bans now */
	e = &t->e[i];
	for (j = 0; j < n && e->nev < TRACKER_EVENTS; j++) {
		if (now - ev[j].t >= t->cfg->window || ev[j].score <= 0)
			continue;
		e->ev[e->nev].t = clamp_time(ev[j].t);
		e->ev[e->nev].score = ev[j].score > INT32_MAX ? INT32_MAX :
		    (int32_t)ev[j].score;
		e->nev++;
	}
	if (e->nev > 0 && clamp_time(ev[n - 1].t) > e->last_seen)
		e->last_seen = clamp_time(ev[n - 1].t);
	place(t, i, clamp_time(now));
}

void
tracker_set_config(struct tracker *t, const struct config *cfg)
{
	const struct config *old = t->cfg;
	uint32_t i;

	t->cfg = cfg;
	for (i = 0; i < t->qn; i++)
		t->qpat[i] = NULL; /* the old patterns are about to go */
	if (cfg->threshold != old->threshold || cfg->window != old->window ||
	    cfg->forget != old->forget)
		relevel(t);
}

void
tracker_get_stats(const struct tracker *t, struct tracker_stats *st)
{
	*st = t->st;
	st->tracked = t->n;
	st->capacity = t->max;
	st->bytes = (uint64_t)t->cap * sizeof(*t->e) +
	    (uint64_t)t->nheads * sizeof(*t->heads) +
	    (uint64_t)t->capdirty * sizeof(*t->dirty);
}

/* --- queue-ID evidence --- */

static uint64_t
qhash(const char *qid, size_t len)
{
	uint64_t h = len * 0x9e3779b97f4a7c15ULL, w;
	size_t i = 0, k;

	/* eight bytes per multiply: a queue ID is 8 to 31 bytes */
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, qid + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (i < len) {
		for (w = 0, k = 0; i < len; i++, k += 8)
			w |= (uint64_t)(unsigned char)qid[i] << k;
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static struct qent *
qfind(struct tracker *t, const char *qid, size_t len, uint64_t h)
{
	uint32_t m = t->nqheads - 1, tm = t->qtagmask, pos, b, i,
	    tag = (uint32_t)(h >> 32) & tm;

	for (pos = (uint32_t)h & m; (b = t->qheads[pos]) != 0;
	     pos = (pos + 1) & m) {
		if ((b & tm) != tag)
			continue;
		i = (b & ~tm) - 1;
		if (t->q[i].qidlen == len && memcmp(t->q[i].qid, qid, len) == 0)
			return &t->q[i];
	}
	return NULL;
}

static uint32_t
qid_home(const void *ctx, uint32_t b)
{
	const struct tracker *t = ctx;
	const struct qent *q = &t->q[(b & ~t->qtagmask) - 1];

	return (uint32_t)qhash(q->qid, q->qidlen) & (t->nqheads - 1);
}

static struct qent *
qadd(struct tracker *t, const char *qid, size_t len, uint64_t h,
    uint32_t now)
{
	uint32_t i = t->qnext, m = t->nqheads - 1;
	struct qent *q = &t->q[i];

	if (i < t->qn) { /* replace the oldest */
		bucket_delete(t->qheads, m, t->qtagmask, i,
		    (uint32_t)qhash(q->qid, q->qidlen) & m, t, qid_home);
		t->st.qids_evicted++;
	} else {
		t->qn++;
	}
	t->qnext = (i + 1) % t->qmax;
	memset(q, 0, sizeof(*q));
	t->qpat[i] = NULL;
	memcpy(q->qid, qid, len);
	q->qidlen = (uint8_t)len;
	q->t = now;
	bucket_insert(t->qheads, m, t->qtagmask, i, h);
	return q;
}

int
tracker_qid(struct tracker *t, const char *qid, size_t qidlen,
    const struct addr *a, int64_t now, long score, const struct pattern *p,
    struct ban_decision *d, struct tracker_join *j)
{
	struct tracker_join none;
	uint32_t tn = clamp_time(now);
	struct qent *q;
	uint64_t h;
	long total;

	if (j == NULL)
		j = &none;
	j->joined = 0;
	j->pat = NULL;
	j->bound = 0;
	if (qidlen == 0 || qidlen > TRACKER_QID_MAX) {
		if (a != NULL)
			return tracker_hit(t, a, now, score, p, d);
		return 0;
	}
	h = qhash(qid, qidlen);
	q = qfind(t, qid, qidlen, h);
	if (q != NULL && (int64_t)tn - (int64_t)q->t > t->cfg->window) {
		/* too old to join: start over under the same slot */
		q->has_addr = 0;
		q->pending = 0;
		q->t = tn;
	}
	if (q == NULL)
		q = qadd(t, qid, qidlen, h, tn);
	if (a == NULL) {
		if (q->has_addr) {
			j->bound = 1;
			j->addr = q->addr;
			return tracker_hit(t, &q->addr, now, score, p, d);
		}
		if (score > 0) {
			int64_t s = (int64_t)q->pending + score;

			q->pending = s > INT32_MAX ? INT32_MAX : (int32_t)s;
			t->qpat[q - t->q] = p;
			q->t = tn;
			t->st.qid_parked++;
		}
		return 0;
	}
	q->has_addr = 1;
	q->addr = *a;
	total = score + q->pending;
	if (q->pending > 0) {
		j->joined = q->pending;
		j->pat = t->qpat[q - t->q];
		if (j->pat != NULL && score <= 0)
			p = j->pat;
	}
	q->pending = 0;
	return tracker_hit(t, a, now, total, p, d);
}
