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
	en->use_clock = use_clock;
	if (hooks != NULL)
		en->hooks = *hooks;
	en->st.per_pattern = xcalloc(pattern_count(cfg->patterns) + 1,
	    sizeof(uint64_t));
}

void
engine_free(struct engine *en)
{
	tracker_free(en->tr);
	free(en->st.per_pattern);
	en->tr = NULL;
	en->st.per_pattern = NULL;
}

void
engine_set_config(struct engine *en, const struct config *cfg)
{
	en->cfg = cfg;
	tracker_set_config(en->tr, cfg);
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

/* Host and message; a word at a time (a byte at a time was most of the
 * cost of an Exim attack line). */
static uint64_t
line_hash(const struct logline *ll)
{
	uint64_t h = hash_bytes(0xcbf29ce484222325ULL, ll->host, ll->hostlen);

	h = hash_bytes(h ^ (uint64_t)ll->hostlen, ll->msg, ll->msglen);
	return h ^ (uint64_t)ll->msglen * 0xc2b2ae3d27d4eb4fULL;
}

/* Exim's reject-log copy of a line it already sent. */
static int
is_duplicate(struct engine *en, const struct logline *ll)
{
	uint64_t h;
	unsigned i;

	if (ll->proglen < 4 || memcmp(ll->prog, "exim", 4) != 0)
		return 0;
	h = line_hash(ll);
	for (i = 0; i < ENGINE_DUPS; i++)
		if (en->dup_hash[i] == h && en->dup_time[i] == ll->ts) {
			en->dup_hash[i] = 0; /* a third copy counts again */
			return 1;
		}
	en->dup_hash[en->dup_next] = h;
	en->dup_time[en->dup_next] = ll->ts;
	en->dup_next = (en->dup_next + 1) % ENGINE_DUPS;
	return 0;
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

/* A line split into its prefix and message (ll), from the patterns on. */
static inline void
line_path(struct engine *en, struct logline *ll, const char *line, size_t len)
{
	struct pattern_match pm;
	struct engine_match em;
	struct ban_decision d;
	struct addr a;
	int64_t t;
	int rc, banned = 0;

	rc = pattern_match(en->cfg->patterns, ll, &pm);
	if (rc < 0)
		en->st.match_errors++;
	if (rc <= 0)
		return;
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
	memset(&em, 0, sizeof(em));
	em.line = en->st.lines;
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
		if (addr_list_contains(&en->cfg->ignore, &a))
			em.ignored = 1;
	} else if (pm.qid == NULL) {
		return;
	}
	en->st.matched++;
	en->st.per_pattern[pattern_index(pm.pat)]++;
	if (em.ignored) {
		en->st.ignored++;
	} else if (is_duplicate(en, ll)) {
		em.duplicate = 1;
		en->st.duplicates++;
	} else {
		t = en->use_clock || !ll->has_ts ? en->clk.now : ll->ts;
		if (pm.qid != NULL)
			banned = tracker_qid(en->tr, pm.qid, pm.qidlen, em.addr, t,
			    pattern_score(pm.pat), pm.pat, &d);
		else
			banned = tracker_hit(en->tr, &a, t, pattern_score(pm.pat),
			    pm.pat, &d);
	}
	if (en->hooks.on_match != NULL)
		en->hooks.on_match(en->hooks.ctx, &em);
	if (banned) {
		en->st.bans++;
		if (en->hooks.on_ban != NULL)
			en->hooks.on_ban(en->hooks.ctx, &em, &d);
	}
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
