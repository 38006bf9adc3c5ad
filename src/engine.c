/*
 * NAME
 *	engine - the line path shared by "test" and "run"
 * DESCRIPTION
 *	See include/engine.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fmt.h"
#include "log.h"
#include "trust.h"

void
engine_init(struct engine *en, const struct config *cfg, int64_t now,
    int use_clock, const struct engine_hooks *hooks)
{
	memset(en, 0, sizeof(*en));
	en->cfg = cfg;
	prefix_clock_init(&en->clk, now);
	en->tr = tracker_new(cfg);
	en->wd = widen_new(cfg);
	en->use_clock = use_clock;
	en->dup_count[0] = ENGINE_DUPS; /* every dup_hash[] is 0 */
	if (hooks != NULL)
		en->hooks = *hooks;
	en->st.per_pattern = xcalloc(pattern_count(cfg->patterns) + 1,
	    sizeof(uint64_t));
}

void
engine_free(struct engine *en)
{
	tracker_free(en->tr);
	widen_free(en->wd);
	free(en->splits);
	en->splits = NULL;
	free(en->st.per_pattern);
	en->tr = NULL;
	en->st.per_pattern = NULL;
}

void
engine_set_config(struct engine *en, const struct config *cfg)
{
	en->cfg = cfg;
	tracker_set_config(en->tr, cfg);
	widen_set_config(en->wd, cfg);
	free(en->st.per_pattern);
	en->st.per_pattern = xcalloc(pattern_count(cfg->patterns) + 1,
	    sizeof(uint64_t));
}

void
engine_set_now(struct engine *en, int64_t now)
{
	if (now / SECONDS_DAY != en->clk.now / SECONDS_DAY)
		prefix_clock_init(&en->clk, now); /* the year may have turned */
	else
		en->clk.now = now;
}

/* Mix n bytes of s into h eight at a time, the length with the tail. */
static uint64_t
hash_bytes(uint64_t h, const char *s, size_t n)
{
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w ^ (uint64_t)n << 56) * 0xff51afd7ed558ccdULL;
	return h ^ h >> 29;
}

/*
 * The process id a line was written with, as a number (0: none):
 * the syslog tag's "exim[pid]", else Exim's own "[pid] " just before the
 * message (its mainlog with log_selector +pid; "[pid/n]" too).  Worked out
 * only for matched Exim lines, off the line path.
 */
static uint64_t
exim_pid(const struct logline *ll, const char *line, size_t len)
{
	uintptr_t lo = (uintptr_t)line, hi = lo + len;
	uintptr_t tag = (uintptr_t)(ll->prog + ll->proglen);
	const char *p, *end;
	uint64_t v = 0;

	if (tag >= lo && tag < hi && ll->prog[ll->proglen] == '[') {
		p = ll->prog + ll->proglen + 1;
		end = line + len;
	} else if ((uintptr_t)ll->msg >= lo + 3 &&
	    (uintptr_t)ll->msg <= hi && ll->msg[-1] == ' ' &&
	    ll->msg[-2] == ']') {
		end = ll->msg - 2;
		for (p = end; p > line && p[-1] != '['; p--)
			;
		if (p == line)
			return 0;
	} else if (ll->cred.unit_known && ll->cred.pid > 0) {
		return (uint64_t)ll->cred.pid; /* a journal entry: its _PID */
	} else {
		return 0;
	}
	/* digits and '/' up to ']', as a number in base 11 */
	for (; p < end && *p != ']'; p++)
		v = v * 11 + (uint64_t)(*p == '/' ? 10 : (*p - '0') & 15);
	return v;
}

/* Host, process id and message; a word at a time (a byte at a time was
 * most of the cost of an Exim attack line).  The copy Exim sends comes
 * from the same process: parallel processes that log the same words in
 * the same second are separate events. */
static uint64_t
line_hash(const struct logline *ll, const char *line, size_t len)
{
	uint64_t h = hash_bytes(0xcbf29ce484222325ULL, ll->host, ll->hostlen);

	h = (h ^ exim_pid(ll, line, len)) * 0x9e3779b97f4a7c15ULL;
	h = hash_bytes(h ^ (uint64_t)ll->hostlen, ll->msg, ll->msglen);
	return h ^ (uint64_t)ll->msglen * 0xc2b2ae3d27d4eb4fULL;
}

/* The time a line is scored at. */
static int64_t
line_time(const struct engine *en, const struct logline *ll)
{
	return en->use_clock || !ll->has_ts ? en->clk.now : ll->ts;
}

/* What stands for the process in the key of a host's DNSBL error (a
 * process id read from a tag would need some twenty digits to reach it). */
#define COVER_ANY_PROCESS UINT64_MAX

/* The key of a cover: a process (host and pid) and client. */
static uint64_t
cover_key(uint64_t pid, const struct logline *ll, const struct addr *a)
{
	uint64_t key;

	key = hash_bytes(hash_bytes(pid, ll->host, ll->hostlen),
	    (const char *)a->bytes, a->family == ADDR_V4 ? 4 : 16) ^ a->family;
	return key | 1;
}

/*
 * A pattern that names another in "unless" (a Postfix session summary
 * after the SASL warning that already counted): 1 when that other
 * pattern matched a line of the same process (host and pid) and client
 * since, or, for a DNSBL error notice, a line of the same host and client
 * from any process (cover_dnsbl_error); the lines of patterns others name
 * are recorded.
 */
static int
is_covered(struct engine *en, const struct logline *ll, const char *line,
    size_t len, const struct pattern *p, const struct addr *a)
{
	int u = pattern_has_unless(p);
	uint64_t key;
	size_t slot;

	if (!u && !pattern_covers(p))
		return 0;
	key = cover_key(exim_pid(ll, line, len), ll, a);
	slot = (size_t)(key % ENGINE_COVERS);
	if (u && en->cover[slot].key == key &&
	    pattern_unless(p, en->cover[slot].pat)) {
		en->cover[slot].key = 0;
		return 1;
	}
	if (pattern_covers(p)) {
		en->cover[slot].key = key;
		en->cover[slot].pat = pattern_index(p);
	}
	if (u) {
		/* a DNSBL error covers every decision of its window */
		key = cover_key(COVER_ANY_PROCESS, ll, a);
		slot = (size_t)(key % ENGINE_COVERS);
		if (en->cover[slot].key == key &&
		    pattern_unless(p, en->cover[slot].pat) &&
		    line_time(en, ll) <= en->cover[slot].until)
			return 1;
	}
	return 0;
}

/*
 * A DNSBL error notice of a pattern others name in "unless": recorded
 * for its host and client, whatever the process, for the window.  The
 * MTA asks the DNSBL in one process and decides in another (postscreen's
 * dnsblog writes the error answer, postscreen then the rank it counted
 * it into, and the reject of each recipient, up to its command time
 * limit later): the decisions that follow within the window are not
 * counted.  A new connection asks the DNSBL again: its answer is written
 * again.
 */
static void
cover_dnsbl_error(struct engine *en, const struct logline *ll,
    const struct pattern_match *pm)
{
	struct addr a;
	uint64_t key;
	size_t slot;

	if (pm->ip == NULL || !pattern_covers(pm->pat) ||
	    addr_parse(pm->ip, pm->iplen, &a) < 0)
		return;
	key = cover_key(COVER_ANY_PROCESS, ll, &a);
	slot = (size_t)(key % ENGINE_COVERS);
	en->cover[slot].key = key;
	en->cover[slot].pat = pattern_index(pm->pat);
	en->cover[slot].until = line_time(en, ll) + en->cfg->window;
}

/* Exim's reject-log copy of a line it already sent. */
static int
is_duplicate(struct engine *en, const struct logline *ll, const char *line,
    size_t len)
{
	uint64_t h;
	unsigned i;

	if (!prefix_is_exim(ll))
		return 0;
	h = line_hash(ll, line, len);
	if (en->dup_count[h >> 56] != 0)
		for (i = 0; i < ENGINE_DUPS; i++)
			if (en->dup_hash[i] == h && en->dup_time[i] == ll->ts) {
				en->dup_hash[i] = 0; /* a third copy counts again */
				en->dup_count[h >> 56]--;
				en->dup_count[0]++;
				return 1;
			}
	en->dup_count[en->dup_hash[en->dup_next] >> 56]--;
	en->dup_count[h >> 56]++;
	en->dup_hash[en->dup_next] = h;
	en->dup_time[en->dup_next] = ll->ts;
	en->dup_next = (en->dup_next + 1) % ENGINE_DUPS;
	return 0;
}

/*
 * A piece of a message Exim cut for syslog, "[i/n] " or "[i\\n] " at the
 * start of ll->msg: 0 when it is kept for later (or dropped), 1 when it
 * completes a message (ll->msg is now the whole message, without Exim's
 * stamp), -1 when ll is no such piece (left as it is).
 */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static int
exim_piece(struct engine *en, struct logline *ll, const char *line,
    size_t len)
{
	const char *p = ll->msg + 1, *end = ll->msg + ll->msglen;
	struct engine_split *s, *lru = NULL;
	unsigned i = 0, n = 0;
	uint64_t key;
	char sep;
	size_t k;

	while (p < end && *p >= '0' && *p <= '9' && i < 1000)
		i = i * 10 + (unsigned)(*p++ - '0');
	if (p >= end || (*p != '/' && *p != '\\') || i == 0)
		return -1;
	sep = *p++;
	while (p < end && *p >= '0' && *p <= '9' && n < 1000)
		n = n * 10 + (unsigned)(*p++ - '0');
	if (end - p < 2 || p[0] != ']' || p[1] != ' ' || n < 2 || i > n)
		return -1;
	p += 2;
	key = hash_bytes(exim_pid(ll, line, len) * 0x9e3779b97f4a7c15ULL,
	    ll->host, ll->hostlen) | 1;
	if (en->splits == NULL)
		en->splits = xcalloc(ENGINE_SPLITS, sizeof(*en->splits));
	for (k = 0; k < ENGINE_SPLITS; k++) {
		s = &en->splits[k];
		if (s->key == key)
			break;
		if (lru == NULL || s->used < lru->used)
			lru = s;
	}
	if (k == ENGINE_SPLITS) {
		if (i != 1)
			return 0; /* the start was never seen: dropped */
		s = lru;
		s->key = key;
	}
	if (i == 1) { /* a new message, whatever came before */
		s->next = 1;
		s->total = n;
		s->len = 0;
	}
	if (i != s->next || n != s->total ||
	    (size_t)(end - p) + 1 > ENGINE_SPLIT_MAX - s->len) {
		s->key = 0; /* out of order, or too long: dropped */
		return 0;
	}
	memcpy(s->buf + s->len, p, (size_t)(end - p));
	s->len += (size_t)(end - p);
	if (sep == '\\' && i < n)
		s->buf[s->len++] = ' '; /* a newline: one line for the patterns */
	s->used = en->st.lines;
	s->next++;
	if (i < n)
		return 0;
	s->key = 0;
	ll->msg = s->buf;
	ll->msglen = s->len;
	prefix_exim_message(ll);
	return 1;
}

/*
 * A temporary reject (greylisting, a DNS hiccup) or the server's own
 * trouble: no pattern is meant to read it, so it is no sign of a format
 * that changed.  Postfix and Sendmail write a 4xx code with a 4.x.x
 * status (" 450 4.2.0", "reject=451 4.1.8"), Exim "temporarily rejected"
 * or ": 435 " (an authenticator that cannot work now); Postfix
 * "Connection lost to authentication server".
 */
/* needle (nl bytes, its first byte rare in log lines) in hay */
static inline const char *
find_small(const char *hay, size_t n, const char *needle, size_t nl)
{
	const char *p = hay, *end = hay + n;

	while (end - p >= (ptrdiff_t)nl &&
	    (p = memchr(p, needle[0], (size_t)(end - p - nl + 1))) != NULL) {
		if (memcmp(p, needle, nl) == 0)
			return p;
		p++;
	}
	return NULL;
}

#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int
is_temporary(const struct logline *ll)
{
	const char *m = ll->msg, *end = m + ll->msglen, *q;
	size_t n = ll->msglen;

	if (prefix_is_exim(ll)) /* "temporarily rejected", ": 435 Unable to ..." */
		return find_small(m, n, "y rejected ", 11) != NULL ||
		    ((q = find_small(m, n, ": 4", 3)) != NULL && end - q >= 6 &&
		    q[3] >= '0' && q[3] <= '9' && q[4] >= '0' && q[4] <= '9' &&
		    q[5] == ' ');
	if (ll->proglen >= 7 && memcmp(ll->prog, "postfix", 7) == 0) {
		if (n > 9 && memcmp(m, "warning: ", 9) == 0) /* SASL */
			return find_small(m, n, "Connection lost to "
			    "authentication server", 40) != NULL;
		/* smtpd "from name[ip]: 450 4.2.0 ...", postscreen "from
		 * [ip]:port: 450 4.3.2 ...": the code after the address */
		if ((q = memchr(m, ']', n)) == NULL || end - q < 12 || q[1] != ':')
			return 0;
		for (q += 2; q < end && *q >= '0' && *q <= '9'; q++)
			; /* postscreen's port */
		if (q < end && *q == ':')
			q++;
		return end - q >= 8 && q[0] == ' ' && q[1] == '4' &&
		    q[2] >= '0' && q[2] <= '9' && q[3] >= '0' && q[3] <= '9' &&
		    q[4] == ' ' && q[5] == '4' && q[6] == '.';
	}
	/* Sendmail: "reject=451 4.1.8" ('j' is rare: searched first) */
	return (q = find_small(m, n, "ject=", 5)) != NULL && q - m >= 2 &&
	    q[-2] == 'r' && q[-1] == 'e' && end - q > 5 && q[5] == '4';
}

const char *
engine_notice_name(enum engine_notice kind)
{
	static const char *const names[NOTICE_N] = {"untrusted", "unmatched",
	    "dnsbl-error"};

	return (unsigned)kind < NOTICE_N ? names[kind] : "?";
}

void
engine_notice(struct engine *en, enum engine_notice kind,
    const struct logline *ll, const char *line, size_t len)
{
	if ((unsigned)kind >= NOTICE_N)
		return;
	en->st.notices[kind]++;
	if (en->hooks.on_notice != NULL)
		en->hooks.on_notice(en->hooks.ctx, kind, en->st.lines, ll, line,
		    len);
}

/* A prefix was banned: its wider network too, when enough of it was.
 * Only after a ban: kept out of line_path, so that it stays inline. */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static void
widen_after(struct engine *en, const struct engine_match *em,
    const struct ban_decision *d)
{
	struct ban_decision wd;
	struct engine_match wm;
	int blocked;

	if (widen_ban(en->wd, d, &en->cfg->ignore, en->allow, &wd,
	    &blocked)) {
		en->st.bans++;
		en->st.widened++;
		wm = *em;
		wm.widened = 1;
		if (en->hooks.on_ban != NULL)
			en->hooks.on_ban(en->hooks.ctx, &wm, &wd);
	} else if (blocked) {
		en->st.widen_blocked++;
	}
}

/*
 * A message that starts with '[': Solaris syslogd's message ID is taken
 * off it, then an Exim piece is put together (exim_piece()); 0 when the
 * line is a piece kept for later.
 */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static int
bracketed(struct engine *en, struct logline *ll, const char *line,
    size_t len)
{
	prefix_msgid(ll);
	if (ll->msglen > 6 && ll->msg[0] == '[' && prefix_is_exim(ll) &&
	    exim_piece(en, ll, line, len) == 0)
		return 0;
	return 1;
}

/* The evidence of a line with a queue ID (em: its match, *key where its
 * address is scored); what it joined goes into em, and what the qid's
 * address is scored as into *key and em->key when the line has none.
 * Out of line: most lines have no queue ID. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int
qid_hit(struct engine *en, struct engine_match *em, struct addr *key,
    int64_t t, struct ban_decision *d)
{
	struct tracker_join j;
	int banned = tracker_qid(en->tr, em->qid, em->qidlen,
	    em->addr != NULL ? key : NULL, t, pattern_score(em->pat), em->pat,
	    d, &j);

	em->joined = j.joined;
	em->joined_pat = j.pat;
	if (em->addr == NULL && j.bound) {
		*key = j.addr;
		em->key = key;
	}
	return banned;
}

/* A line split into its prefix and message (ll), from Exim's pieces and
 * the patterns on: the line path of engine_line() and engine_entry(). */
static inline void
line_path(struct engine *en, struct logline *ll, const char *line, size_t len)
{
	struct pattern_match pm;
	struct engine_match em;
	struct ban_decision d;
	struct addr a, key;
	unsigned plen;
	int64_t t;
	int rc, banned = 0;

	if (ll->msglen > 6 && ll->msg[0] == '[' && bracketed(en, ll, line,
	    len) == 0)
		return; /* a piece of a message still incomplete */
	rc = pattern_match(en->cfg->patterns, ll, &pm);
	if (rc < 0)
		en->st.match_errors++;
	if (rc <= 0) {
		if (rc == 0 && pm.unmatched_reject && !is_temporary(ll)) {
			prefix_time(&en->clk, ll);
			engine_notice(en, NOTICE_UNMATCHED, ll, line, len);
		}
		return;
	}
	prefix_time(&en->clk, ll);
	/* who wrote it, from the credentials alone: never the tag */
	if (!trust_line(&en->cfg->trust, ll)) {
		if (ll->cred.has && ll->cred.uid < 0 && ll->cred.pid < 0 &&
		    !en->warned_nocred) {
			en->warned_nocred = 1;
			msg_warn("line %" PRIu64 ": empty credentials: untrusted, "
			    "as every such line (said once).  Lines from other "
			    "hosts have none; local ones get them when the "
			    "imuxsock module line of /etc/rsyslog.conf has "
			    "SysSock.Annotate=\"on\" SysSock.ParseTrusted=\"on\"",
			    en->st.lines);
		}
		engine_notice(en, NOTICE_UNTRUSTED, ll, line, len);
		return;
	}
	if (pm.dnsbl_error) {
		/* the DNSBL's fault, not the client's: never scored */
		cover_dnsbl_error(en, ll, &pm);
		engine_notice(en, NOTICE_DNSBL_ERROR, ll, line, len);
		return;
	}
	memset(&em, 0, sizeof(em));
	em.line = en->st.lines;
	em.text = line;
	em.len = len;
	em.ll = ll;
	em.pat = pm.pat;
	em.qid = pm.qid;
	em.qidlen = pm.qidlen;
	if (pm.ip != NULL) {
		if (addr_parse(pm.ip, pm.iplen, &a) < 0) {
			en->st.bad_addr++;
			return;
		}
		em.addr = &a;
		if (addr_list_contains(&en->cfg->ignore, &a) ||
		    (en->allow != NULL && addr_list_contains(en->allow, &a)))
			em.ignored = 1;
		/* scored and banned as its prefix (prefix.ipv4, prefix.ipv6) */
		key = a;
		plen = a.family == ADDR_V4 ? en->cfg->prefix4 :
		    en->cfg->prefix6;
		if (plen < ADDR_BITS(&a))
			addr_mask(&key, plen);
		em.key = &key;
	} else if (pm.qid == NULL) {
		return;
	}
	en->st.matched++;
	en->st.per_pattern[pattern_index(pm.pat)]++;
	if (em.ignored) {
		en->st.ignored++;
	} else if (is_duplicate(en, ll, line, len) || (em.addr != NULL &&
	    is_covered(en, ll, line, len, pm.pat, em.addr))) {
		em.duplicate = 1;
		en->st.duplicates++;
	} else {
		t = en->use_clock || !ll->has_ts ? en->clk.now : ll->ts;
		if (pm.qid != NULL)
			banned = qid_hit(en, &em, &key, t, &d);
		else
			banned = tracker_hit(en->tr, &key, t, pattern_score(pm.pat),
			    pm.pat, &d);
	}
	if (en->hooks.on_match != NULL)
		en->hooks.on_match(en->hooks.ctx, &em);
	if (banned) {
		en->st.bans++;
		if (en->hooks.on_ban != NULL)
			en->hooks.on_ban(en->hooks.ctx, &em, &d);
		widen_after(en, &em, &d);
	}
}

void
engine_seed_ban(struct engine *en, const struct addr *a, unsigned count,
    int64_t last_ban, int64_t until)
{
	tracker_seed(en->tr, a, count, last_ban, until);
	widen_seed(en->wd, a, count, last_ban, until);
}

void
engine_unban(struct engine *en, const struct addr *a)
{
	tracker_unban(en->tr, a);
	widen_unban(en->wd, a);
}

void
engine_line(struct engine *en, const char *line, size_t len, int truncated)
{
	struct logline ll;

	en->st.lines++;
	if (truncated)
		en->st.overlong++;
	/* the time of a line is only worked out when a pattern matched */
	if (prefix_parse_lazy(&en->clk, line, len, &ll) < 0) {
		en->st.malformed++;
		return;
	}
	line_path(en, &ll, line, len);
}

void
engine_entry(struct engine *en, struct logline *ll, int truncated)
{
	en->st.lines++;
	if (truncated)
		en->st.overlong++;
	line_path(en, ll, ll->msg, ll->msglen);
}
