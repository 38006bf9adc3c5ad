/*
 * NAME
 *	kset - kernel ipsets through libipset: sets, batched bans, repairs
 * SYNOPSIS
 *	#include "kset.h"
 * DESCRIPTION
 *	See include/kset.h for the interface.  One libipset session per kset,
 *	driven through the session API only (never ipset_init(), whose default
 *	handlers exit()), with a print callback that discards everything, so
 *	that fd 1 stays the omprog protocol's.
 *
 *	Elements are built field by field with ipset_data_set() from the
 *	binary struct addr; no text is ever parsed here, so libipset never
 *	resolves a name.  addr_format() is only used for diagnostics.
 *
 *	Batches.  The queue holds one entry per kernel element (address, port,
 *	timeout).  kset_commit() sends the IPv4 entries to cfg->set4 and then
 *	the IPv6 entries to cfg->set6 as ADD commands whose lineno is the
 *	entry's queue index + 1: libipset aggregates consecutive ADDs with a
 *	non-zero lineno to the same set into page-sized netlink messages, and
 *	a message is sent when the page fills (inside ipset_cmd()) or at
 *	ipset_commit().  The kernel applies a message's elements in order and
 *	stops at the first failure; its error message carries the failing
 *	element's lineno (for a message-level error, such as a missing set, the
 *	lineno of the message's first element).  libipset reports it only as
 *	the prefix "Error in line N: " of ipset_session_report_msg(); that is
 *	the lineno -> entry map.  Everything before N reached the kernel,
 *	entry N did not, everything after N was never applied.
 *
 *	After a failure the set is inspected (HEADER command).  Missing: it is
 *	re-created and every entry of this commit for that set is re-sent.
 *	Wrong type or family: reported, the entries stay queued.  Otherwise
 *	entry N is reported and the rest re-sent; once the pass is through,
 *	the entries that failed once are sent again, and one that fails a
 *	second time is dropped with a warning (kset_dropped() counts them).
 *	A failure that names no queued entry is retried once with the whole
 *	remainder (re-adding with -exist only refreshes timeouts); if it
 *	fails again the entries stay queued.
 *
 *	The firewall rules that use the sets are firewall.c's; kset.c never
 *	runs a program.
 * DIAGNOSTICS
 *	msg_warn() for every failed operation and every entry that did not
 *	reach the kernel; msg_panic() when libipset refuses data it must take.
 * SECURITY
 *	Addresses arrive validated (inet_pton) as struct addr; set names come
 *	from the configuration.  Needs CAP_NET_ADMIN.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libipset/data.h>
#include <libipset/session.h>
#include <libipset/types.h>

#include "kset.h"
#include "log.h"

#define KS_V4 0
#define KS_V6 1
#define KS_MAX_PENDING (1u << 21) /* queued elements; lineno stays small */
#define KS_MAX_RECREATE 3 /* re-creations of a vanished set per commit */
#define KS_DESTROY_TRIES 40 /* nft drops set references asynchronously */

enum ke_state { KE_PENDING, KE_DONE, KE_DROPPED };

struct kentry {
	struct addr addr;
	uint8_t state; /* enum ke_state */
	uint8_t tries; /* element failures in this commit */
	uint16_t port; /* tcp port; 0 with policy drop */
	uint32_t timeout; /* seconds, capped; 0 = permanent */
};

struct kset {
	const struct config *cfg; /* borrowed; outlives the kset */
	struct ipset_session *s;
	const struct ipset_type *type[2]; /* per family, resolved lazily */
	struct kentry *q;
	size_t n, cap;
	size_t dropped;
	size_t recreated;
	size_t replaced; /* sets kset_ensure_replace() re-created */
	char msg[IPSET_ERRORBUFLEN]; /* last libipset report, trimmed */
};

/* Result of looking at a set after a failed batch. */
enum ks_setstate { KS_SET_OK, KS_SET_RECREATED, KS_SET_BAD };

static int types_loaded;

/* Copy a formatted message into err; mark truncation with "...". */
static void MB_PRINTF(3, 4)
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n < 0)
		err[0] = '\0';
	else if ((size_t)n >= errlen && errlen > 4)
		memcpy(err + errlen - 4, "...", 4);
}

/* libipset output (list, save) must never reach stdout: discard it. */
static int MB_PRINTF(3, 4)
ks_discard(struct ipset_session *session, void *p, const char *fmt, ...)
{
	(void)session;
	(void)p;
	(void)fmt;
	return 0;
}

/* libipset's listing of one set header, for kset_entries(). */
struct ks_capture {
	char buf[2048];
	size_t n;
};

static int MB_PRINTF(3, 4)
ks_capture(struct ipset_session *session, void *p, const char *fmt, ...)
{
	struct ks_capture *c = p;
	size_t room = sizeof(c->buf) - c->n;
	va_list ap;
	int k;

	(void)session;
	if (room <= 1)
		return 0;
	va_start(ap, fmt);
	k = vsnprintf(c->buf + c->n, room, fmt, ap);
	va_end(ap);
	if (k > 0)
		c->n += (size_t)k < room ? (size_t)k : room - 1;
	return 0;
}

static int
ks_fam(const struct addr *a)
{
	return a->family == ADDR_V4 ? KS_V4 : KS_V6;
}

static const char *
ks_setname(const struct config *cfg, int fam)
{
	return fam == KS_V4 ? cfg->set4 : cfg->set6;
}

static const char *
ks_typename(const struct config *cfg)
{
	return cfg->policy == POLICY_PORT ? "hash:net,port" : "hash:net";
}

/* The type an older mailban made (addresses only), for the migration. */
static int
ks_legacy(const char *tname)
{
	return strcmp(tname, "hash:ip") == 0 ||
	    strcmp(tname, "hash:ip,port") == 0;
}

static uint8_t
ks_nfproto(int fam)
{
	return fam == KS_V4 ? AF_INET : AF_INET6;
}

static const char *
ks_famname(uint8_t nfproto)
{
	return nfproto == AF_INET ? "inet" : nfproto == AF_INET6 ? "inet6" :
	    "unspec";
}

/* "203.0.113.7,tcp:25" or "2001:db8::1" into buf. */
static char *
ks_elemtext(const struct addr *a, uint16_t port, char *buf, size_t len)
{
	char ab[ADDR_STRLEN];

	addr_format(a, ab);
	if (port != 0)
		xsnprintf(buf, len, "%s,tcp:%u", ab, (unsigned)port);
	else
		xsnprintf(buf, len, "%s", ab);
	return buf;
}

#define ELEMTEXT_LEN (ADDR_STRLEN + 16)

/* Start a command: no stale report, lineno or data from the last one. */
static struct ipset_data *
ks_begin(struct kset *ks)
{
	struct ipset_data *d = ipset_session_data(ks->s);

	ipset_session_report_reset(ks->s);
	ipset_session_lineno(ks->s, 0);
	ipset_data_reset(d);
	return d;
}

/*
 * Move libipset's report into ks->msg without the "Error in line N: "
 * prefix and the trailing newline; return N, or 0 when there is none.
 */
static uint32_t
ks_take_report(struct kset *ks)
{
	static const char pfx[] = "Error in line ";
	const char *r = ipset_session_report_msg(ks->s);
	uint32_t line = 0;
	size_t len;

	if (strncmp(r, pfx, sizeof(pfx) - 1) == 0) {
		const char *p = r + sizeof(pfx) - 1;
		unsigned long long v = 0;

		while (*p >= '0' && *p <= '9' && v <= UINT32_MAX)
			v = v * 10 + (unsigned)(*p++ - '0');
		if (p > r + sizeof(pfx) - 1 && v <= UINT32_MAX &&
		    p[0] == ':' && p[1] == ' ') {
			line = (uint32_t)v;
			r = p + 2;
		}
	}
	len = strlen(r);
	if (len >= sizeof(ks->msg))
		len = sizeof(ks->msg) - 1;
	while (len > 0 && (r[len - 1] == '\n' || r[len - 1] == ' '))
		len--;
	if (len == 0) {
		r = "unknown libipset error";
		len = strlen(r);
	}
	memcpy(ks->msg, r, len);
	ks->msg[len] = '\0';
	ipset_session_report_reset(ks->s);
	return line;
}

/* The libipset type for family fam (kernel support checked once). */
static const struct ipset_type *
ks_type(struct kset *ks, int fam)
{
	struct ipset_data *d;
	uint8_t family = ks_nfproto(fam);
	const struct ipset_type *t;

	if (ks->type[fam] != NULL)
		return ks->type[fam];
	d = ks_begin(ks);
	if (ipset_data_set(d, IPSET_OPT_TYPENAME, ks_typename(ks->cfg)) < 0 ||
	    ipset_data_set(d, IPSET_OPT_FAMILY, &family) < 0)
		msg_panic("kset: libipset refused type data");
	t = ipset_type_get(ks->s, IPSET_CMD_CREATE);
	if (t == NULL) {
		ks_take_report(ks);
		return NULL;
	}
	ipset_data_reset(d);
	ks->type[fam] = t;
	return t;
}

/* Fill the session data with one element of family fam. */
static void
ks_elem(struct kset *ks, int fam, const struct addr *a, uint16_t port,
    const uint32_t *timeout)
{
	struct ipset_data *d = ipset_session_data(ks->s);
	uint8_t family = ks_nfproto(fam);
	uint8_t proto = IPPROTO_TCP;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} ip;

	/* Aligned copy: libipset reads it as struct in_addr/in6_addr. */
	memset(&ip, 0, sizeof(ip));
	memcpy(&ip, a->bytes, fam == KS_V4 ? 4 : 16);
	ipset_data_reset(d);
	if (ipset_data_set(d, IPSET_SETNAME, ks_setname(ks->cfg, fam)) < 0 ||
	    ipset_data_set(d, IPSET_OPT_TYPE, ks->type[fam]) < 0 ||
	    ipset_data_set(d, IPSET_OPT_FAMILY, &family) < 0 ||
	    ipset_data_set(d, IPSET_OPT_IP, &ip) < 0)
		msg_panic("kset: libipset refused element data");
	/* a network (a prefix, a widened network); without it, the host */
	if (a->plen != 0 && ipset_data_set(d, IPSET_OPT_CIDR, &a->plen) < 0)
		msg_panic("kset: libipset refused the prefix length");
	if (ks->cfg->policy == POLICY_PORT &&
	    (ipset_data_set(d, IPSET_OPT_PORT, &port) < 0 ||
		ipset_data_set(d, IPSET_OPT_PROTO, &proto) < 0))
		msg_panic("kset: libipset refused port data");
	if (timeout != NULL && ipset_data_set(d, IPSET_OPT_TIMEOUT, timeout) < 0)
		msg_panic("kset: libipset refused timeout data");
}

/* Create one set with -exist; 0, or -1 with ks->msg. */
static int
ks_create(struct kset *ks, int fam)
{
	struct ipset_data *d;
	const struct ipset_type *t;
	uint8_t family = ks_nfproto(fam);
	uint32_t timeout = 0, maxelem = ks->cfg->maxelem;

	if ((t = ks_type(ks, fam)) == NULL)
		return -1;
	d = ks_begin(ks);
	if (ipset_data_set(d, IPSET_SETNAME, ks_setname(ks->cfg, fam)) < 0 ||
	    ipset_data_set(d, IPSET_OPT_TYPE, t) < 0 ||
	    ipset_data_set(d, IPSET_OPT_FAMILY, &family) < 0 ||
	    ipset_data_set(d, IPSET_OPT_TIMEOUT, &timeout) < 0 ||
	    ipset_data_set(d, IPSET_OPT_MAXELEM, &maxelem) < 0)
		msg_panic("kset: libipset refused create data");
	if (ipset_cmd(ks->s, IPSET_CMD_CREATE, 0) < 0) {
		ks_take_report(ks);
		return -1;
	}
	return 0;
}

/* A command that takes only the set name (DESTROY, FLUSH); 0 or -1. */
static int
ks_setcmd(struct kset *ks, int fam, enum ipset_cmd cmd)
{
	struct ipset_data *d = ks_begin(ks);

	if (ipset_data_set(d, IPSET_SETNAME, ks_setname(ks->cfg, fam)) < 0)
		msg_panic("kset: libipset refused a set name");
	if (ipset_cmd(ks->s, cmd, 0) < 0) {
		ks_take_report(ks);
		return -1;
	}
	return 0;
}

/* Type name and family of an existing set; 0, or -1 with ks->msg. */
static int
ks_header(struct kset *ks, int fam, char *tname, size_t tlen,
    uint8_t *family)
{
	struct ipset_data *d = ks_begin(ks);
	const char *t;

	if (ipset_data_set(d, IPSET_SETNAME, ks_setname(ks->cfg, fam)) < 0)
		msg_panic("kset: libipset refused a set name");
	if (ipset_cmd(ks->s, IPSET_CMD_HEADER, 0) < 0) {
		ks_take_report(ks);
		return -1;
	}
	t = ipset_data_get(d, IPSET_OPT_TYPENAME);
	seterr(tname, tlen, "%s", t != NULL ? t : "(unknown)");
	*family = ipset_data_family(d);
	ipset_data_reset(d);
	return 0;
}

/*
 * Create set fam unless an identical one exists.  -1 with a message in
 * err; *exists is set when a set of that name exists but differs.  The
 * header is checked even when create succeeds: the kernel's "create
 * -exist" compares the type and its parameters but not the set's
 * family, so an inet create over an inet6 set of that name "succeeds".
 */
static int
ks_ensure_one(struct kset *ks, int fam, char *err, size_t errlen,
    int *exists)
{
	const char *name = ks_setname(ks->cfg, fam);
	const char *want = ks_typename(ks->cfg);
	char why[IPSET_ERRORBUFLEN], tname[IPSET_MAXNAMELEN];
	uint8_t family;
	int created;

	*exists = 0;
	created = ks_create(ks, fam) == 0;
	memcpy(why, ks->msg, sizeof(why));
	if (ks_header(ks, fam, tname, sizeof(tname), &family) < 0) {
		seterr(err, errlen, "cannot %s set %s (%s family %s): %s",
		    created ? "inspect" : "create", name, want,
		    ks_famname(ks_nfproto(fam)), created ? ks->msg : why);
		return -1;
	}
	if (strcmp(tname, want) != 0 || family != ks_nfproto(fam)) {
		*exists = 1;
		seterr(err, errlen,
		    "set %s exists with type %s family %s, but policy %s "
		    "needs type %s family %s%s",
		    name, tname, ks_famname(family),
		    ks->cfg->policy == POLICY_PORT ? "port" : "drop", want,
		    ks_famname(ks_nfproto(fam)), ks_legacy(tname) &&
		    family == ks_nfproto(fam) ? " (sets of networks: an older "
		    "mailban made it; \"mailban setup\" re-creates it and "
		    "puts the active bans back)" : "");
		return -1;
	}
	if (created)
		return 0;
	*exists = 1;
	seterr(err, errlen,
	    "set %s exists as %s family %s but with other parameters "
	    "(mailban needs maxelem %lu and timeout support): %s",
	    name, tname, ks_famname(family),
	    (unsigned long)ks->cfg->maxelem, why);
	return -1;
}

struct kset *
kset_open(const struct config *cfg, char *err, size_t errlen)
{
	struct ipset_session *s;
	struct kset *ks;

	if (cfg->set4[0] == '\0' || cfg->set6[0] == '\0') {
		seterr(err, errlen, "kset: empty set name");
		return NULL;
	}
	if (cfg->policy == POLICY_PORT &&
	    (cfg->nports == 0 || cfg->nports > CONFIG_MAX_PORTS)) {
		seterr(err, errlen, "kset: policy port needs 1 to %d ports",
		    CONFIG_MAX_PORTS);
		return NULL;
	}
	if (!types_loaded) {
		ipset_load_types();
		types_loaded = 1;
	}
	if ((s = ipset_session_init(ks_discard, NULL)) == NULL) {
		seterr(err, errlen, "cannot initialize a libipset session");
		return NULL;
	}
	ipset_envopt_set(s, IPSET_ENV_EXIST);
	ks = xcalloc(1, sizeof(*ks));
	ks->cfg = cfg;
	ks->s = s;
	/* Open the netlink socket and check the protocol version now. */
	if (ipset_cmd(s, IPSET_CMD_NONE, 0) < 0) {
		ks_take_report(ks);
		seterr(err, errlen, "cannot talk to the kernel's ipset: %s",
		    ks->msg);
		kset_close(ks);
		return NULL;
	}
	return ks;
}

void
kset_close(struct kset *ks)
{
	if (ks == NULL)
		return;
	ipset_session_fini(ks->s);
	free(ks->q);
	free(ks);
}

int
kset_present(struct kset *ks)
{
	char tname[IPSET_MAXNAMELEN];
	uint8_t family;
	int fam;

	for (fam = KS_V4; fam <= KS_V6; fam++)
		if (ks_header(ks, fam, tname, sizeof(tname), &family) < 0)
			return 0;
	return 1;
}

/*
 * The kernel tells the number of entries only in a listing's header;
 * libipset prints it ("Number of entries: N") and keeps no copy, so the
 * header is listed into a buffer for once and the line read back.  A
 * LIST of a missing set leaves libipset's session answering "Internal
 * protocol error" to every later command: HEADER asks first.
 */
int
kset_entries(struct kset *ks, int family, uint64_t *n, char *err,
    size_t errlen)
{
	static const char key[] = "\nNumber of entries: ";
	int fam = family == ADDR_V4 ? KS_V4 : KS_V6, rc;
	char tname[IPSET_MAXNAMELEN];
	struct ks_capture cap;
	struct ipset_data *d;
	const char *p;
	uint64_t v = 0;
	uint8_t nfproto;

	if (ks_header(ks, fam, tname, sizeof(tname), &nfproto) < 0) {
		seterr(err, errlen, "set %s: %s", ks_setname(ks->cfg, fam),
		    ks->msg);
		return -1;
	}
	if (strcmp(tname, ks_typename(ks->cfg)) != 0) {
		seterr(err, errlen, "set %s is %s, mailban needs %s%s",
		    ks_setname(ks->cfg, fam), tname, ks_typename(ks->cfg),
		    ks_legacy(tname) ? ": made by an older mailban; \"mailban "
		    "setup\" re-creates it and puts the active bans back" : "");
		return -1;
	}
	memset(&cap, 0, sizeof(cap));
	d = ks_begin(ks);
	if (ipset_data_set(d, IPSET_SETNAME, ks_setname(ks->cfg, fam)) < 0)
		msg_panic("kset: libipset refused a set name");
	ipset_session_print_outfn(ks->s, ks_capture, &cap);
	ipset_envopt_set(ks->s, IPSET_ENV_LIST_HEADER);
	rc = ipset_cmd(ks->s, IPSET_CMD_LIST, 0);
	ipset_envopt_unset(ks->s, IPSET_ENV_LIST_HEADER);
	ipset_session_print_outfn(ks->s, ks_discard, NULL);
	ipset_data_reset(d);
	if (rc < 0) {
		ks_take_report(ks);
		seterr(err, errlen, "set %s: %s", ks_setname(ks->cfg, fam),
		    ks->msg);
		return -1;
	}
	if ((p = strstr(cap.buf, key)) == NULL ||
	    p[sizeof(key) - 1] < '0' || p[sizeof(key) - 1] > '9') {
		seterr(err, errlen, "set %s: no entry count in the listing",
		    ks_setname(ks->cfg, fam));
		return -1;
	}
	for (p += sizeof(key) - 1; *p >= '0' && *p <= '9' && v < UINT32_MAX;
	     p++)
		v = v * 10 + (uint64_t)(*p - '0');
	*n = v;
	return 0;
}

int
kset_ensure(struct kset *ks, char *err, size_t errlen)
{
	int fam, exists;

	for (fam = KS_V4; fam <= KS_V6; fam++)
		if (ks_ensure_one(ks, fam, err, errlen, &exists) < 0)
			return -1;
	return 0;
}

static void
ks_push(struct kset *ks, const struct addr *a, uint16_t port,
    uint32_t timeout)
{
	struct kentry *e;

	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 256;
		ks->q = xreallocarray(ks->q, ks->cap, sizeof(*ks->q));
	}
	e = &ks->q[ks->n++];
	memset(e, 0, sizeof(*e));
	e->addr = *a;
	e->port = port;
	e->timeout = timeout;
	e->state = KE_PENDING;
}

void
kset_queue_add(struct kset *ks, const struct addr *a, uint32_t timeout)
{
	char ab[ADDR_STRLEN];
	size_t i, need;

	if (a->family != ADDR_V4 && a->family != ADDR_V6)
		msg_panic("kset_queue_add: bad address family %d", a->family);
	if (timeout > KSET_MAX_TIMEOUT)
		timeout = KSET_MAX_TIMEOUT;
	need = ks->cfg->policy == POLICY_PORT ? ks->cfg->nports : 1;
	if (ks->n + need > KS_MAX_PENDING) {
		msg_warn("ban queue full (%u entries): not banning %s",
		    KS_MAX_PENDING, addr_format(a, ab));
		ks->dropped += need;
		return;
	}
	if (ks->cfg->policy == POLICY_PORT)
		for (i = 0; i < ks->cfg->nports; i++)
			ks_push(ks, a, ks->cfg->ports[i], timeout);
	else
		ks_push(ks, a, 0, timeout);
}

size_t
kset_pending(const struct kset *ks)
{
	return ks->n;
}

size_t
kset_dropped(const struct kset *ks)
{
	return ks->dropped;
}

size_t
kset_replaced(const struct kset *ks)
{
	return ks->replaced;
}

size_t
kset_recreated(const struct kset *ks)
{
	return ks->recreated;
}

/*
 * Send the pending entries of family fam from index start on.  0 when
 * all were acknowledged; -1 with ks->msg and *line = the lineno the
 * kernel named (0: none).
 */
static int
ks_send(struct kset *ks, int fam, size_t start, uint32_t *line)
{
	size_t i;

	*line = 0;
	if (ks_type(ks, fam) == NULL)
		return -1;
	ks_begin(ks);
	for (i = start; i < ks->n; i++) {
		struct kentry *e = &ks->q[i];

		if (e->state != KE_PENDING || ks_fam(&e->addr) != fam)
			continue;
		ks_elem(ks, fam, &e->addr, e->port, &e->timeout);
		if (ipset_cmd(ks->s, IPSET_CMD_ADD, (uint32_t)(i + 1)) < 0)
			goto fail;
	}
	if (ipset_commit(ks->s) < 0)
		goto fail;
	return 0;
fail:
	*line = ks_take_report(ks);
	return -1;
}

/* Pending entries of fam in [from, to) reached the kernel. */
static void
ks_mark_done(struct kset *ks, int fam, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (ks->q[i].state == KE_PENDING && ks_fam(&ks->q[i].addr) == fam)
			ks->q[i].state = KE_DONE;
}

static size_t
ks_count_pending(const struct kset *ks, int fam)
{
	size_t i, c = 0;

	for (i = 0; i < ks->n; i++)
		if (ks->q[i].state == KE_PENDING && ks_fam(&ks->q[i].addr) == fam)
			c++;
	return c;
}

/* After a failed batch: is set fam still there and of the right kind? */
static enum ks_setstate
ks_check(struct kset *ks, int fam, char *why, size_t whylen)
{
	char tname[IPSET_MAXNAMELEN];
	uint8_t family;
	int exists;

	if (ks_header(ks, fam, tname, sizeof(tname), &family) == 0) {
		if (strcmp(tname, ks_typename(ks->cfg)) == 0 &&
		    family == ks_nfproto(fam))
			return KS_SET_OK;
		seterr(why, whylen, "set %s has type %s family %s, expected %s "
		    "family %s", ks_setname(ks->cfg, fam), tname,
		    ks_famname(family), ks_typename(ks->cfg),
		    ks_famname(ks_nfproto(fam)));
		return KS_SET_BAD;
	}
	/* No header: the set is most likely gone.  Create it again. */
	if (ks_ensure_one(ks, fam, why, whylen, &exists) == 0)
		return KS_SET_RECREATED;
	return KS_SET_BAD;
}

static int
ks_commit_family(struct kset *ks, int fam)
{
	const char *name = ks_setname(ks->cfg, fam);
	char kmsg[IPSET_ERRORBUFLEN], why[2 * IPSET_ERRORBUFLEN];
	char et[ELEMTEXT_LEN];
	size_t start = 0, idx, i;
	unsigned recreated = 0, unknown = 0;
	struct kentry *e;
	uint32_t line;
	int rc = 0;

	for (;;) {
		if (ks_send(ks, fam, start, &line) == 0) {
			ks_mark_done(ks, fam, start, ks->n);
			if (start == 0)
				return rc;
			/* Second round: the entries that failed once. */
			start = 0;
			continue;
		}
		memcpy(kmsg, ks->msg, sizeof(kmsg));
		switch (ks_check(ks, fam, why, sizeof(why))) {
		case KS_SET_OK:
			break;
		case KS_SET_RECREATED:
			ks->recreated++;
			if (++recreated > KS_MAX_RECREATE) {
				msg_warn("set %s keeps vanishing: %zu entries "
				    "stay queued", name,
				    ks_count_pending(ks, fam));
				return -1;
			}
			msg_warn("set %s was missing (%s): re-created it, "
			    "re-sending this batch; earlier bans in it are "
			    "gone", name, kmsg);
			for (i = 0; i < ks->n; i++)
				if (ks->q[i].state == KE_DONE &&
				    ks_fam(&ks->q[i].addr) == fam)
					ks->q[i].state = KE_PENDING;
			start = 0;
			continue;
		case KS_SET_BAD:
			msg_warn("cannot add to set %s: %s (%s); %zu entries "
			    "stay queued", name, kmsg, why,
			    ks_count_pending(ks, fam));
			return -1;
		}
		idx = line != 0 ? (size_t)line - 1 : ks->n;
		if (idx < start || idx >= ks->n ||
		    ks->q[idx].state != KE_PENDING ||
		    ks_fam(&ks->q[idx].addr) != fam) {
			/* The failure names no entry of this batch. */
			if (unknown++ == 0) {
				msg_warn("set %s: batch failed (%s); re-sending "
				    "it", name, kmsg);
				continue;
			}
			msg_warn("set %s: batch failed again (%s); %zu entries "
			    "stay queued", name, kmsg,
			    ks_count_pending(ks, fam));
			return -1;
		}
		ks_mark_done(ks, fam, start, idx);
		e = &ks->q[idx];
		ks_elemtext(&e->addr, e->port, et, sizeof(et));
		if (++e->tries >= 2) {
			e->state = KE_DROPPED;
			ks->dropped++;
			rc = -1;
			msg_warn("set %s: dropped %s after a second failure: %s",
			    name, et, kmsg);
		} else {
			msg_warn("set %s: kernel refused %s: %s (will retry)",
			    name, et, kmsg);
		}
		start = idx + 1;
	}
}

int
kset_commit(struct kset *ks)
{
	size_t i, j;
	int fam, rc = 0;

	for (fam = KS_V4; fam <= KS_V6; fam++)
		if (ks_count_pending(ks, fam) > 0 &&
		    ks_commit_family(ks, fam) < 0)
			rc = -1;
	/* Keep what is still pending (a transient failure), nothing else. */
	for (i = j = 0; i < ks->n; i++) {
		if (ks->q[i].state != KE_PENDING)
			continue;
		ks->q[j] = ks->q[i];
		ks->q[j].tries = 0;
		j++;
	}
	ks->n = j;
	if (ks->n > 0)
		rc = -1;
	return rc;
}

/* Forget queued entries of one address. */
static void
ks_unqueue(struct kset *ks, const struct addr *a)
{
	size_t i, j;

	for (i = j = 0; i < ks->n; i++)
		if (!addr_equal(&ks->q[i].addr, a))
			ks->q[j++] = ks->q[i];
	ks->n = j;
}

int
kset_del(struct kset *ks, const struct addr *a)
{
	int fam = ks_fam(a);
	size_t i, n = ks->cfg->policy == POLICY_PORT ? ks->cfg->nports : 1;
	char ab[ADDR_STRLEN];

	ks_unqueue(ks, a);
	if (ks_type(ks, fam) == NULL)
		goto fail;
	ks_begin(ks);
	for (i = 0; i < n; i++) {
		ks_elem(ks, fam, a,
		    ks->cfg->policy == POLICY_PORT ? ks->cfg->ports[i] : 0,
		    NULL);
		if (ipset_cmd(ks->s, IPSET_CMD_DEL, (uint32_t)(i + 1)) < 0)
			goto report;
	}
	if (ipset_commit(ks->s) < 0)
		goto report;
	return 0;
report:
	ks_take_report(ks);
fail:
	msg_warn("cannot remove %s from set %s: %s", addr_format(a, ab),
	    ks_setname(ks->cfg, fam), ks->msg);
	return -1;
}

int
kset_flush(struct kset *ks)
{
	int fam, rc = 0;

	ks->n = 0;
	for (fam = KS_V4; fam <= KS_V6; fam++) {
		if (ks_setcmd(ks, fam, IPSET_CMD_FLUSH) < 0) {
			msg_warn("cannot flush set %s: %s",
			    ks_setname(ks->cfg, fam), ks->msg);
			rc = -1;
		}
	}
	return rc;
}

int
kset_test(struct kset *ks, const struct addr *a)
{
	int fam = ks_fam(a);
	size_t i, n = ks->cfg->policy == POLICY_PORT ? ks->cfg->nports : 1;
	char ab[ADDR_STRLEN];

	if (ks_type(ks, fam) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		ks_begin(ks);
		ks_elem(ks, fam, a,
		    ks->cfg->policy == POLICY_PORT ? ks->cfg->ports[i] : 0,
		    NULL);
		if (ipset_cmd(ks->s, IPSET_CMD_TEST, 0) == 0)
			return 1;
		/* "is NOT in set" comes back as a notice, errors as errors. */
		if (ipset_session_report_type(ks->s) != IPSET_NOTICE) {
			ks_take_report(ks);
			goto fail;
		}
	}
	ks_begin(ks);
	return 0;
fail:
	msg_warn("cannot test %s in set %s: %s", addr_format(a, ab),
	    ks_setname(ks->cfg, fam), ks->msg);
	return -1;
}

/* Destroy set fam, waiting a little for references to go away. */
static int
ks_destroy(struct kset *ks, int fam)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	int i;

	for (i = 0; i < KS_DESTROY_TRIES; i++) {
		if (ks_setcmd(ks, fam, IPSET_CMD_DESTROY) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

int
kset_ensure_replace(struct kset *ks)
{
	char err[2 * IPSET_ERRORBUFLEN];
	int fam, exists;

	for (fam = KS_V4; fam <= KS_V6; fam++) {
		if (ks_ensure_one(ks, fam, err, sizeof(err), &exists) == 0)
			continue;
		if (!exists) {
			msg_warn("%s", err);
			return -1;
		}
		msg_warn("%s: destroying and re-creating it; the bans it held "
		    "are removed (mailban restore re-applies them)", err);
		if (ks_destroy(ks, fam) < 0) {
			msg_warn("cannot destroy set %s: %s",
			    ks_setname(ks->cfg, fam), ks->msg);
			return -1;
		}
		if (ks_create(ks, fam) < 0) {
			msg_warn("cannot create set %s: %s",
			    ks_setname(ks->cfg, fam), ks->msg);
			return -1;
		}
		ks->replaced++;
	}
	return 0;
}

void
kset_create_argv(const struct config *cfg, int family, struct kset_argv *out)
{
	int fam = family == ADDR_V4 ? KS_V4 : KS_V6;
	const char **v = out->argv;

	xsnprintf(out->num, sizeof(out->num), "%lu",
	    (unsigned long)cfg->maxelem);
	*v++ = "ipset";
	*v++ = "-exist";
	*v++ = "create";
	*v++ = ks_setname(cfg, fam);
	*v++ = ks_typename(cfg);
	*v++ = "family";
	*v++ = ks_famname(ks_nfproto(fam));
	*v++ = "timeout";
	*v++ = "0";
	*v++ = "maxelem";
	*v++ = out->num;
	*v = NULL;
}
