/*
 * NAME
 *	widen - adaptive widening (widen.h)
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "widen.h"

struct widen_member {
	struct addr p; /* a banned prefix; family 0: free */
	int64_t t; /* its last ban */
};

struct widen_slot {
	struct addr net; /* family 0: free */
	unsigned count; /* bans of net within forget */
	int64_t last_ban, until; /* of net */
	struct widen_member m[]; /* widen.count of them (members) */
};

struct widen {
	const struct config *cfg;
	/* WIDEN_SLOTS slots of stride bytes (a slot and its members), made
	 * on first use: 136 bytes a slot with the default widen.count, 1.1
	 * MiB, not 4.5 with room for CONFIG_WIDEN_MAX members in each */
	unsigned char *slots;
	size_t stride;
	unsigned members; /* in every slot */
};

static size_t
slot_stride(unsigned members)
{
	size_t n = offsetof(struct widen_slot, m) +
	    members * sizeof(struct widen_member);

	return (n + _Alignof(struct widen_slot) - 1) &
	    ~(_Alignof(struct widen_slot) - 1);
}

static struct widen_slot *
slot_at(const struct widen *w, size_t i)
{
	return (struct widen_slot *)(void *)(w->slots + i * w->stride);
}

struct widen *
widen_new(const struct config *cfg)
{
	struct widen *w = xcalloc(1, sizeof(*w));

	w->cfg = cfg;
	w->members = cfg->widen_count;
	w->stride = slot_stride(w->members);
	return w;
}

void
widen_free(struct widen *w)
{
	if (w == NULL)
		return;
	free(w->slots);
	free(w);
}

/*
 * A reloaded configuration: a new widen.count makes the table again with
 * slots of that many members, each network and its members kept (the
 * most recent first, when there are fewer now).
 */
void
widen_set_config(struct widen *w, const struct config *cfg)
{
	unsigned n = cfg->widen_count, keep = n < w->members ? n : w->members;
	size_t stride = slot_stride(n), i;
	unsigned char *slots;

	w->cfg = cfg;
	if (n == w->members)
		return;
	if (w->slots != NULL) {
		slots = xcalloc(WIDEN_SLOTS, stride);
		for (i = 0; i < WIDEN_SLOTS; i++) {
			struct widen_slot *o = slot_at(w, i),
			    *s = (struct widen_slot *)(void *)(slots + i * stride);
			unsigned j, k;

			memcpy(s, o, offsetof(struct widen_slot, m));
			/* the keep members banned last */
			for (k = 0; k < keep; k++) {
				struct widen_member *best = NULL;

				for (j = 0; j < w->members; j++)
					if (o->m[j].p.family != 0 &&
					    (best == NULL || o->m[j].t > best->t))
						best = &o->m[j];
				if (best == NULL)
					break;
				s->m[k] = *best;
				best->p.family = 0;
			}
		}
		free(w->slots);
		w->slots = slots;
	}
	w->members = n;
	w->stride = stride;
}

/* addr_equal() for the table: every byte (an IPv4 address's last twelve
 * are zero), fixed size */
static inline int
same(const struct addr *a, const struct addr *b)
{
	return a->family == b->family && a->plen == b->plen &&
	    memcmp(a->bytes, b->bytes, 16) == 0;
}

static unsigned
wide_len(const struct config *cfg, const struct addr *a)
{
	return a->family == ADDR_V4 ? cfg->widen4 : cfg->widen6;
}

static unsigned
prefix_len(const struct config *cfg, const struct addr *a)
{
	unsigned p = a->family == ADDR_V4 ? cfg->prefix4 : cfg->prefix6;

	return p >= ADDR_BITS(a) ? ADDR_BITS(a) : p;
}

/* The slot of the network around a (made when make); NULL when none. */
static struct widen_slot *
find(struct widen *w, const struct addr *a, int make, int64_t now)
{
	struct addr net = *a;
	struct widen_slot *s;

	addr_mask(&net, wide_len(w->cfg, a));
	if (w->slots == NULL) {
		if (!make || w->members == 0)
			return NULL;
		w->slots = xcalloc(WIDEN_SLOTS, w->stride);
	}
	s = slot_at(w, addr_hash(&net) & (WIDEN_SLOTS - 1));
	if (s->net.family != 0 && same(&s->net, &net))
		return s;
	if (!make)
		return NULL;
	/* taken by another network: kept while that one is banned, else
	 * replaced (its evidence is lost: bounded, never a wrong ban) */
	if (s->net.family != 0 && s->until > now)
		return NULL;
	memset(s, 0, w->stride);
	s->net = net;
	return s;
}

/* Note prefix p banned at t in s; the number of distinct prefixes banned
 * within forget before now. */
static unsigned
note(struct widen *w, struct widen_slot *s, const struct addr *p, int64_t t,
    int64_t now)
{
	struct widen_member *old = NULL, *hit = NULL;
	unsigned i, live = 0, n = w->cfg->widen_count;
	int64_t since = now - w->cfg->forget;

	for (i = 0; i < n; i++) {
		struct widen_member *m = &s->m[i];

		if (m->p.family != 0 && same(&m->p, p))
			hit = m;
		if (old == NULL || (old->p.family != 0 &&
		    (m->p.family == 0 || m->t < old->t)))
			old = m; /* a free member, else the oldest */
	}
	if (hit == NULL) {
		hit = old;
		hit->p = *p;
		hit->t = t;
	} else if (t > hit->t) {
		hit->t = t;
	}
	for (i = 0; i < n; i++)
		if (s->m[i].p.family != 0 && s->m[i].t > since)
			live++;
	return live;
}

static int
blocked_by(const struct addr_list *l, const struct addr *net)
{
	size_t i;

	if (l == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (cidr_overlaps(&l->items[i], net))
			return 1;
	return 0;
}

int
widen_ban(struct widen *w, const struct ban_decision *d,
    const struct addr_list *ignore, const struct addr_list *allow,
    struct ban_decision *out, int *blocked)
{
	const struct config *cfg = w->cfg;
	struct widen_slot *s;
	int64_t now = d->start;
	size_t k;

	*blocked = 0;
	if (cfg->widen_count == 0 || ADDR_PLEN(&d->addr) !=
	    prefix_len(cfg, &d->addr))
		return 0;
	if ((s = find(w, &d->addr, 1, now)) == NULL)
		return 0;
	if (note(w, s, &d->addr, now, now) < cfg->widen_count ||
	    s->until > now)
		return 0;
	if (blocked_by(ignore, &s->net) || blocked_by(allow, &s->net)) {
		*blocked = 1;
		return 0;
	}
	if (s->last_ban <= now - cfg->forget)
		s->count = 0;
	s->count++;
	k = s->count < cfg->nbantimes ? s->count : cfg->nbantimes;
	memset(out, 0, sizeof(*out));
	out->addr = s->net;
	out->start = now;
	out->duration = cfg->bantimes[k - 1];
	out->count = s->count;
	out->pat = d->pat;
	out->score = d->score;
	s->last_ban = now;
	s->until = now + out->duration;
	return 1;
}

void
widen_seed(struct widen *w, const struct addr *a, unsigned count,
    int64_t last_ban, int64_t until)
{
	const struct config *cfg = w->cfg;
	struct widen_slot *s;

	if (cfg->widen_count == 0)
		return;
	if (ADDR_PLEN(a) == wide_len(cfg, a) && a->plen != 0) {
		if ((s = find(w, a, 1, last_ban)) == NULL)
			return;
		if (last_ban >= s->last_ban) {
			s->count = count;
			s->last_ban = last_ban;
		}
		if (until > s->until)
			s->until = until;
	} else if (ADDR_PLEN(a) == prefix_len(cfg, a) && until != 0) {
		/* a lifted row (until 0: unban) is no evidence */
		if ((s = find(w, a, 1, last_ban)) != NULL)
			note(w, s, a, last_ban, last_ban);
	}
}

void
widen_unban(struct widen *w, const struct addr *a)
{
	struct widen_slot *s;
	unsigned i;

	if (w->cfg->widen_count == 0 || (s = find(w, a, 0, 0)) == NULL)
		return;
	if (same(&s->net, a)) {
		s->until = 0;
		memset(s->m, 0, w->members * sizeof(s->m[0]));
		return;
	}
	for (i = 0; i < w->members; i++)
		if (s->m[i].p.family != 0 && same(&s->m[i].p, a))
			memset(&s->m[i], 0, sizeof(s->m[i]));
}
