/*
 * NAME
 *	firewall - the MAILBAN chain and its rules through nf_tables netlink
 *	(libnftnl, libmnl)
 * SYNOPSIS
 *	#include "firewall.h"
 * DESCRIPTION
 *	See include/firewall.h.  The rules are built here expression by
 *	expression as iptables-nft (iptables 1.8 on the nf_tables backend)
 *	builds the commands that firewall_print() writes: the same tables,
 *	chains and expressions, the set match through the xt compatibility
 *	expression "match" (name "set", revision 4, struct
 *	xt_set_info_match_v4 naming the set by its kernel index).  So
 *	"iptables -S", "iptables -C" and "iptables -D" know them, and "nft
 *	list ruleset" shows them ("xt match set").
 *
 *	A check is one netlink query when nothing changed: the ruleset's
 *	generation (NFT_MSG_GETGEN) is compared with the one of the last
 *	check that found the rules in place.  Otherwise a dump of the rules
 *	of table "filter" of each family and a getsockopt() for each set's
 *	index.  A change is one nf_tables transaction (a batch): all of it
 *	or nothing.
 * SECURITY
 *	Nothing here comes from log text: set names and the policy come from
 *	the configuration.  Needs CAP_NET_ADMIN (every nf_tables message and
 *	the ipset getsockopt() check it); no process is ever started.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_set.h>

#include "addr.h"
#include "firewall.h"
#include "log.h"

#define FW_V4 0
#define FW_V6 1
#define FW_TABLE "filter"
#define FW_INPUT "INPUT"
#define FW_EXPRS 16 /* the longest rule has 8 expressions */
#define FW_TIMEOUT 5 /* seconds to wait for the kernel's answers */
/* a dump's messages come in buffers as large as the reader's: room for
 * the largest rule of a busy firewall (a page would cut one short) */
#define FW_RECV_SIZE 65536
#define FW_TRIES 3 /* reads of a dump that changes interrupt */
#define FW_TCP_SYN 0x02 /* TCP flags: SYN */
#define FW_TCP_MASK 0x17 /* FIN, SYN, RST, ACK: what --syn looks at */

struct firewall {
	const struct config *cfg; /* borrowed; outlives the handle */
	struct mnl_socket *nl;
	int ipfd; /* an IPv4 datagram socket for ipset's getsockopt() */
	uint32_t portid;
	uint32_t seq;
	int intr; /* the last dump was interrupted by a change */
	int known; /* genid is the generation the rules were last seen in */
	uint32_t genid;
	int missing; /* the last check found them missing, in missing_gen */
	uint32_t missing_gen;
	char *buf; /* FW_RECV_SIZE, for answers */
};

/* What the rules of one family look like now. */
struct fw_seen {
	struct nftnl_rule *want; /* the MAILBAN rule setup makes */
	struct nftnl_rule *jump; /* INPUT's jump to MAILBAN */
	int have_set; /* want could be built: the set exists */
	size_t rules; /* rules in chain MAILBAN */
	int rule_ok; /* chain MAILBAN holds exactly want */
	int jump_ok; /* INPUT holds the jump */
};

static int
fw_nfproto(int fam)
{
	return fam == FW_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

static const char *
fw_famname(int fam)
{
	return fam == FW_V4 ? "IPv4" : "IPv6";
}

static const char *
fw_iptables(int fam)
{
	return fam == FW_V4 ? "iptables" : "ip6tables";
}

static const char *
fw_setname(const struct config *cfg, int fam)
{
	return fam == FW_V4 ? cfg->set4 : cfg->set6;
}

static void
fw_err(char *err, size_t errlen, const char *fmt, ...) MB_PRINTF(3, 4);

static void
fw_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- the set's kernel index, as libxt_set finds it --- */

/*
 * The index of set name through ipset's getsockopt() on fd (any IPv4
 * socket will do; a datagram socket needs no CAP_NET_RAW).  0, 1 when
 * there is no such set, -1 with the reason in err.
 */
static int
fw_set_index(int fd, const char *name, ip_set_id_t *index, char *err,
    size_t errlen)
{
	struct ip_set_req_get_set req;
	socklen_t len = sizeof(req);

	memset(&req, 0, sizeof(req));
	req.op = IP_SET_OP_GET_BYNAME;
	req.version = IPSET_PROTOCOL;
	snprintf(req.set.name, sizeof(req.set.name), "%s", name);
	if (getsockopt(fd, SOL_IP, SO_IP_SET, &req, &len) < 0) {
		fw_err(err, errlen, "cannot look up set %s: %s", name,
		    strerror(errno));
		return -1;
	}
	if (req.set.index == IPSET_INVALID_ID)
		return 1;
	*index = req.set.index;
	return 0;
}

/* --- the rules, as iptables-nft builds them --- */

static struct nftnl_expr *
fw_expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (e == NULL)
		msg_fatal("nftnl_expr_alloc: out of memory");
	nftnl_rule_add_expr(r, e);
	return e;
}

static void
fw_cmp_u8(struct nftnl_rule *r, uint8_t value)
{
	struct nftnl_expr *e = fw_expr(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &value, sizeof(value));
}

static struct nftnl_rule *
fw_rule_new(int fam, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r == NULL)
		msg_fatal("nftnl_rule_alloc: out of memory");
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, (uint32_t)fw_nfproto(fam));
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, FW_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

/*
 * "-A MAILBAN [-p tcp --syn] -m set --match-set SET src[,dst] -j DROP"
 * for the set with kernel index idx.
 *
 * Port policy drops new connections (SYN) only: the session that earned
 * the ban ends normally, so the client reads its 5xx and the MTA's
 * process is not left waiting minutes for a peer whose packets vanish (a
 * busy MX would run out of smtpd processes).  The next connection is
 * dropped before the MTA sees it.  Drop policy drops every packet.
 */
static struct nftnl_rule *
fw_rule_mailban(const struct config *cfg, int fam, ip_set_id_t idx)
{
	struct nftnl_rule *r = fw_rule_new(fam, FIREWALL_CHAIN);
	struct xt_set_info_match_v4 *info;
	struct nftnl_expr *e;
	uint8_t zero = 0, flags = FW_TCP_SYN, mask = FW_TCP_MASK;

	if (cfg->policy == POLICY_PORT) {
		/* -p tcp: meta l4proto tcp */
		e = fw_expr(r, "meta");
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
		fw_cmp_u8(r, IPPROTO_TCP);
		/* --syn: tcp flags & (fin|syn|rst|ack) == syn */
		e = fw_expr(r, "payload");
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
		    NFT_PAYLOAD_TRANSPORT_HEADER);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 13);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 1);
		e = fw_expr(r, "bitwise");
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 1);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 1);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 1);
		fw_cmp_u8(r, flags);
	}
	/*
	 * -m set --match-set SET src,dst (port) or src (drop): libxt_set
	 * counts the dimensions from 1 and marks "src" ones with 1 << dim.
	 * The expression owns info (libnftnl frees it).
	 */
	info = xcalloc(1, sizeof(*info));
	info->match_set.index = idx;
	info->match_set.dim = cfg->policy == POLICY_PORT ? 2 : 1;
	info->match_set.flags = 1 << 1;
	e = fw_expr(r, "match");
	nftnl_expr_set_str(e, NFTNL_EXPR_MT_NAME, "set");
	nftnl_expr_set_u32(e, NFTNL_EXPR_MT_REV, 4);
	nftnl_expr_set(e, NFTNL_EXPR_MT_INFO, info, sizeof(*info));
	/* iptables-nft counts every rule */
	fw_expr(r, "counter");
	e = fw_expr(r, "immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NF_DROP);
	return r;
}

/* "-I INPUT -j MAILBAN" */
static struct nftnl_rule *
fw_rule_jump(int fam)
{
	struct nftnl_rule *r = fw_rule_new(fam, FW_INPUT);
	struct nftnl_expr *e;

	fw_expr(r, "counter");
	e = fw_expr(r, "immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP);
	nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, FIREWALL_CHAIN);
	return r;
}

/* --- comparing rules --- */

struct fw_exprs {
	struct nftnl_expr *v[FW_EXPRS];
	size_t n;
	int over;
};

static int
fw_collect(struct nftnl_expr *e, void *ctx)
{
	struct fw_exprs *x = ctx;

	if (x->n == FW_EXPRS) {
		x->over = 1;
		return -1;
	}
	x->v[x->n++] = e;
	return 0;
}

/*
 * 1 when rule a does what b does, expression by expression: the same
 * kinds in the same order, the same registers, keys, data and verdicts
 * (as libnftnl writes them), the same xt match and its data; counters'
 * values aside.
 */
static int
fw_same(const struct nftnl_rule *a, const struct nftnl_rule *b)
{
	struct fw_exprs xa = {.n = 0}, xb = {.n = 0};
	char ta[512], tb[512];
	size_t i;

	nftnl_expr_foreach((struct nftnl_rule *)a, fw_collect, &xa);
	nftnl_expr_foreach((struct nftnl_rule *)b, fw_collect, &xb);
	if (xa.over || xb.over || xa.n != xb.n)
		return 0;
	for (i = 0; i < xa.n; i++) {
		const char *na = nftnl_expr_get_str(xa.v[i], NFTNL_EXPR_NAME);
		const char *nb = nftnl_expr_get_str(xb.v[i], NFTNL_EXPR_NAME);

		if (na == NULL || nb == NULL || strcmp(na, nb) != 0)
			return 0;
		if (strcmp(na, "counter") == 0)
			continue;
		if (strcmp(na, "match") == 0) {
			const void *da, *db;
			uint32_t la = 0, lb = 0;
			const char *ma, *mb;

			ma = nftnl_expr_get_str(xa.v[i], NFTNL_EXPR_MT_NAME);
			mb = nftnl_expr_get_str(xb.v[i], NFTNL_EXPR_MT_NAME);
			da = nftnl_expr_get(xa.v[i], NFTNL_EXPR_MT_INFO, &la);
			db = nftnl_expr_get(xb.v[i], NFTNL_EXPR_MT_INFO, &lb);
			if (ma == NULL || mb == NULL || strcmp(ma, mb) != 0 ||
			    nftnl_expr_get_u32(xa.v[i], NFTNL_EXPR_MT_REV) !=
			    nftnl_expr_get_u32(xb.v[i], NFTNL_EXPR_MT_REV) ||
			    da == NULL || db == NULL || la != lb ||
			    memcmp(da, db, la) != 0)
				return 0;
			continue;
		}
		if (nftnl_expr_snprintf(ta, sizeof(ta), xa.v[i],
			NFTNL_OUTPUT_DEFAULT, 0) < 0 ||
		    nftnl_expr_snprintf(tb, sizeof(tb), xb.v[i],
			NFTNL_OUTPUT_DEFAULT, 0) < 0 ||
		    strcmp(ta, tb) != 0)
			return 0;
	}
	return 1;
}

/* --- talking to the kernel --- */

/*
 * Send len bytes and read the answers of sequence numbers [first, last]
 * through cb until each has been answered (a dump's end, or an ack) or
 * one failed.  0, or -1 with errno set (the first failure's).
 */
static int
fw_talk(struct firewall *fw, const void *msg, size_t len, uint32_t first,
    uint32_t last, mnl_cb_t cb, void *data)
{
	uint32_t answered = 0, want = last - first + 1;
	int err = 0;
	ssize_t n;

	fw->intr = 0;
	if (mnl_socket_sendto(fw->nl, msg, len) < 0)
		return -1;
	while (answered < want) {
		const struct nlmsghdr *nlh;
		int left;

		n = mnl_socket_recvfrom(fw->nl, fw->buf, FW_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			return -1;
		}
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)fw->buf;
		    mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq < first || nlh->nlmsg_seq > last ||
			    nlh->nlmsg_pid != fw->portid)
				continue; /* the late answer of an older question */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				fw->intr = 1;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (e->error != 0 && err == 0)
					err = -e->error;
				answered++;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				answered++;
			} else if (cb != NULL && cb(nlh, data) < MNL_CB_OK) {
				if (err == 0)
					err = errno != 0 ? errno : EPROTO;
			}
		}
		if (err != 0)
			break;
	}
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

static int
gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_gen *g = nftnl_gen_alloc();
	uint32_t *id = data;

	if (g == NULL)
		msg_fatal("nftnl_gen_alloc: out of memory");
	if (nftnl_gen_nlmsg_parse(nlh, g) == 0 &&
	    nftnl_gen_is_set(g, NFTNL_GEN_ID))
		*id = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
	nftnl_gen_free(g);
	return MNL_CB_OK;
}

/* The ruleset's generation: 0, or -1 with errno. */
static int
fw_genid(struct firewall *fw, uint32_t *id)
{
	char buf[256];
	struct nlmsghdr *nlh;
	uint32_t seq = ++fw->seq;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK,
	    seq);
	return fw_talk(fw, nlh, nlh->nlmsg_len, seq, seq, gen_cb, id);
}

struct fw_dump {
	struct fw_seen *seen; /* [2] */
};

static int
rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fw_dump *d = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	const char *table, *chain;
	struct fw_seen *s = NULL;
	uint32_t family;

	if (r == NULL)
		msg_fatal("nftnl_rule_alloc: out of memory");
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto out;
	family = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	if (table == NULL || chain == NULL || strcmp(table, FW_TABLE) != 0)
		goto out;
	if (family == NFPROTO_IPV4)
		s = &d->seen[FW_V4];
	else if (family == NFPROTO_IPV6)
		s = &d->seen[FW_V6];
	else
		goto out;
	if (strcmp(chain, FIREWALL_CHAIN) == 0) {
		s->rules++;
		s->rule_ok = s->rules == 1 && s->have_set && fw_same(r, s->want);
	} else if (strcmp(chain, FW_INPUT) == 0 && fw_same(r, s->jump)) {
		s->jump_ok = 1;
	}
out:
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static void
fw_seen_free(struct fw_seen seen[2])
{
	int fam;

	for (fam = FW_V4; fam <= FW_V6; fam++) {
		if (seen[fam].want != NULL)
			nftnl_rule_free(seen[fam].want);
		if (seen[fam].jump != NULL)
			nftnl_rule_free(seen[fam].jump);
	}
}

/*
 * The rules as they are (seen[2], to be freed by fw_seen_free()): the
 * sets' indices, then a dump of the rules of table "filter" of each
 * family (the kernel's dump stops after the first table of the name
 * given: one family a dump).  0, or -1 with the reason in err.
 */
static int
fw_read(struct firewall *fw, struct fw_seen seen[2], char *err, size_t errlen)
{
	struct fw_dump d = {seen};
	struct nftnl_rule *filter;
	char buf[512];
	struct nlmsghdr *nlh;
	ip_set_id_t idx = 0;
	uint32_t seq;
	int fam, rc, tries;

	memset(seen, 0, 2 * sizeof(*seen));
	for (fam = FW_V4; fam <= FW_V6; fam++) {
		rc = fw_set_index(fw->ipfd, fw_setname(fw->cfg, fam), &idx,
		    err, errlen);
		if (rc < 0)
			return -1;
		seen[fam].have_set = rc == 0;
		if (rc == 0)
			seen[fam].want = fw_rule_mailban(fw->cfg, fam, idx);
		seen[fam].jump = fw_rule_jump(fam);
	}
	for (fam = FW_V4; fam <= FW_V6; fam++) {
		/* a dump that a change interrupted is read again */
		for (tries = 0; tries == 0 || (fw->intr && tries < FW_TRIES);
		    tries++) {
			seen[fam].rules = 0;
			seen[fam].rule_ok = seen[fam].jump_ok = 0;
			if ((filter = nftnl_rule_alloc()) == NULL)
				msg_fatal("nftnl_rule_alloc: out of memory");
			nftnl_rule_set_str(filter, NFTNL_RULE_TABLE, FW_TABLE);
			seq = ++fw->seq;
			nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE,
			    (uint16_t)fw_nfproto(fam), NLM_F_DUMP, seq);
			nftnl_rule_nlmsg_build_payload(nlh, filter);
			nftnl_rule_free(filter);
			if (fw_talk(fw, nlh, nlh->nlmsg_len, seq, seq, rule_cb,
				&d) < 0) {
				fw_err(err, errlen, "cannot read the firewall rules: "
				    "%s%s", strerror(errno), errno == EPERM ?
				    " (needs CAP_NET_ADMIN)" : "");
				return -1;
			}
		}
	}
	return 0;
}

/* What is wrong with one family's rules, or "" when nothing is. */
static void
fw_describe(const struct firewall *fw, const struct fw_seen *s, int fam,
    char *out, size_t len)
{
	const char *set = fw_setname(fw->cfg, fam);

	if (!s->have_set)
		fw_err(out, len, "%s: set %s does not exist", fw_famname(fam),
		    set);
	else if (s->rules == 0)
		fw_err(out, len, "%s: no rule in chain %s uses set %s",
		    fw_famname(fam), FIREWALL_CHAIN, set);
	else if (!s->rule_ok)
		fw_err(out, len, "%s: chain %s holds %zu rule%s, not the one "
		    "that drops what set %s holds", fw_famname(fam),
		    FIREWALL_CHAIN, s->rules, s->rules == 1 ? "" : "s", set);
	else if (!s->jump_ok)
		fw_err(out, len, "%s: no jump from %s to %s", fw_famname(fam),
		    FW_INPUT, FIREWALL_CHAIN);
	else
		out[0] = '\0';
}

/* --- changes: one transaction --- */

struct fw_batch {
	struct mnl_nlmsg_batch *b;
	char *buf;
	uint32_t first, last; /* sequence numbers of the messages */
	int n; /* messages besides begin and end */
};

static void
fw_batch_begin(struct firewall *fw, struct fw_batch *bt)
{
	size_t size = 2 * MNL_SOCKET_BUFFER_SIZE; /* a repair takes < 4 KB */

	bt->buf = xmalloc(size);
	bt->b = mnl_nlmsg_batch_start(bt->buf, size);
	if (bt->b == NULL)
		msg_fatal("mnl_nlmsg_batch_start: out of memory");
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), ++fw->seq);
	mnl_nlmsg_batch_next(bt->b);
	bt->first = fw->seq + 1;
	bt->n = 0;
}

static struct nlmsghdr *
fw_batch_msg(struct firewall *fw, struct fw_batch *bt, int type, int fam,
    uint16_t flags)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b),
	    (uint16_t)type, (uint16_t)fw_nfproto(fam), flags | NLM_F_ACK,
	    ++fw->seq);
	bt->last = fw->seq;
	bt->n++;
	return nlh;
}

static void
fw_batch_rule(struct firewall *fw, struct fw_batch *bt, int type,
    uint16_t flags, struct nftnl_rule *r)
{
	struct nlmsghdr *nlh = fw_batch_msg(fw, bt, type,
	    nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY) == NFPROTO_IPV4 ? FW_V4 :
	    FW_V6, flags);

	nftnl_rule_nlmsg_build_payload(nlh, r);
	mnl_nlmsg_batch_next(bt->b);
}

/* Table filter and, when base, the chain name at the INPUT hook as
 * iptables-nft makes them: CREATE without EXCL leaves existing ones be. */
static void
fw_batch_table(struct firewall *fw, struct fw_batch *bt, int fam)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (t == NULL)
		msg_fatal("nftnl_table_alloc: out of memory");
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, (uint32_t)fw_nfproto(fam));
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, FW_TABLE);
	nlh = fw_batch_msg(fw, bt, NFT_MSG_NEWTABLE, fam, NLM_F_CREATE);
	nftnl_table_nlmsg_build_payload(nlh, t);
	mnl_nlmsg_batch_next(bt->b);
	nftnl_table_free(t);
}

static void
fw_batch_chain(struct firewall *fw, struct fw_batch *bt, int fam,
    const char *name, int base)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (c == NULL)
		msg_fatal("nftnl_chain_alloc: out of memory");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, (uint32_t)fw_nfproto(fam));
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FW_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (base) {
		/*
		 * No policy: a new base chain accepts (as iptables-nft makes
		 * it), an existing one keeps the administrator's.
		 */
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_IN);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	}
	nlh = fw_batch_msg(fw, bt, NFT_MSG_NEWCHAIN, fam, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	mnl_nlmsg_batch_next(bt->b);
	nftnl_chain_free(c);
}

/* Every rule of chain MAILBAN out ("iptables -F MAILBAN"). */
static void
fw_batch_flush(struct firewall *fw, struct fw_batch *bt, int fam)
{
	struct nftnl_rule *r = fw_rule_new(fam, FIREWALL_CHAIN);

	fw_batch_rule(fw, bt, NFT_MSG_DELRULE, 0, r);
	nftnl_rule_free(r);
}

/* End the batch, send it, read every answer; 0 or -1 with err. */
static int
fw_batch_send(struct firewall *fw, struct fw_batch *bt, char *err,
    size_t errlen)
{
	int rc = 0;

	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), ++fw->seq);
	mnl_nlmsg_batch_next(bt->b);
	if (bt->n > 0 && fw_talk(fw, mnl_nlmsg_batch_head(bt->b),
		mnl_nlmsg_batch_size(bt->b), bt->first, bt->last, NULL,
		NULL) < 0) {
		fw_err(err, errlen, "the kernel refused the firewall rules: %s%s",
		    strerror(errno), errno == EPERM ?
		    " (needs CAP_NET_ADMIN)" : "");
		rc = -1;
	}
	mnl_nlmsg_batch_stop(bt->b);
	free(bt->buf);
	fw->known = 0;
	return rc;
}

/* --- the interface --- */

struct firewall *
firewall_open(const struct config *cfg, char *err, size_t errlen)
{
	struct timeval tv = {FW_TIMEOUT, 0};
	struct firewall *fw;
	struct mnl_socket *nl;
	int fd;

	/* both sockets now, so that a later sandbox need not allow socket() */
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		fw_err(err, errlen, "cannot make a socket for ipset: %s",
		    strerror(errno));
		return NULL;
	}
	if ((nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		sizeof(tv)) < 0) {
		fw_err(err, errlen, "cannot talk to nf_tables: %s",
		    strerror(errno));
		if (nl != NULL)
			mnl_socket_close(nl);
		close(fd);
		return NULL;
	}
	fw = xcalloc(1, sizeof(*fw));
	fw->cfg = cfg;
	fw->nl = nl;
	fw->ipfd = fd;
	fw->portid = mnl_socket_get_portid(nl);
	fw->seq = (uint32_t)time(NULL);
	fw->buf = xmalloc(FW_RECV_SIZE);
	return fw;
}

void
firewall_close(struct firewall *fw)
{
	if (fw == NULL)
		return;
	mnl_socket_close(fw->nl);
	close(fw->ipfd);
	free(fw->buf);
	free(fw);
}

int
firewall_check(struct firewall *fw, struct firewall_report *rep)
{
	struct fw_seen seen[2];
	uint32_t gen = 0;
	int fam, rc = 1;

	memset(rep, 0, sizeof(*rep));
	if (fw_genid(fw, &gen) < 0) {
		fw_err(rep->why, sizeof(rep->why), "cannot read the firewall's "
		    "generation: %s%s", strerror(errno), errno == EPERM ?
		    " (needs CAP_NET_ADMIN)" : "");
		fw->known = 0;
		fw->missing = 0;
		return -1;
	}
	if (fw->known && gen == fw->genid)
		return 1;
	fw->known = 0;
	if (fw_read(fw, seen, rep->why, sizeof(rep->why)) < 0) {
		fw_seen_free(seen);
		fw->missing = 0;
		return -1;
	}
	for (fam = FW_V4; fam <= FW_V6; fam++) {
		fw_describe(fw, &seen[fam], fam, rep->what[fam],
		    sizeof(rep->what[fam]));
		if (rep->what[fam][0] != '\0')
			rc = 0;
	}
	fw_seen_free(seen);
	if (rc == 1) {
		/* gen was read before the dump: a change since, seen next time */
		fw->known = 1;
		fw->genid = gen;
		fw->missing = 0;
	} else {
		/* missing twice with nothing changed between: whoever took
		 * them (a firewall reload) has finished */
		rep->settled = fw->missing && fw->missing_gen == gen;
		fw->missing = 1;
		fw->missing_gen = gen;
	}
	return rc;
}

/*
 * Put back what is missing of each family whose rules are not in place:
 * table, INPUT, MAILBAN (made when missing), MAILBAN's rule (the chain
 * emptied first when it holds anything else), the jump at the top of
 * INPUT when INPUT has none.  1 when something was done, 0 when nothing
 * had to be, -1 with the reason in err.
 */
int
firewall_restore(struct firewall *fw, char *err, size_t errlen)
{
	struct fw_seen seen[2];
	struct fw_batch bt;
	int fam, rc;

	if (fw_read(fw, seen, err, errlen) < 0) {
		fw_seen_free(seen);
		return -1;
	}
	for (fam = FW_V4; fam <= FW_V6; fam++)
		if (!seen[fam].have_set) {
			fw_err(err, errlen, "set %s does not exist",
			    fw_setname(fw->cfg, fam));
			fw_seen_free(seen);
			return -1;
		}
	fw_batch_begin(fw, &bt);
	for (fam = FW_V4; fam <= FW_V6; fam++) {
		struct fw_seen *s = &seen[fam];

		if (s->rule_ok && s->jump_ok)
			continue;
		fw_batch_table(fw, &bt, fam);
		fw_batch_chain(fw, &bt, fam, FW_INPUT, 1);
		fw_batch_chain(fw, &bt, fam, FIREWALL_CHAIN, 0);
		if (!s->rule_ok) {
			if (s->rules > 0)
				fw_batch_flush(fw, &bt, fam);
			fw_batch_rule(fw, &bt, NFT_MSG_NEWRULE,
			    NLM_F_CREATE | NLM_F_APPEND, s->want);
		}
		if (!s->jump_ok) /* -I: without NLM_F_APPEND, at the top */
			fw_batch_rule(fw, &bt, NFT_MSG_NEWRULE, NLM_F_CREATE,
			    s->jump);
	}
	fw_seen_free(seen);
	if (bt.n == 0) {
		fw_batch_send(fw, &bt, err, errlen);
		return 0;
	}
	rc = fw_batch_send(fw, &bt, err, errlen);
	fw->missing = 0; /* the ruleset is ours to judge again */
	return rc < 0 ? -1 : 1;
}

int
firewall_setup(struct firewall *fw, struct kset *ks)
{
	struct fw_batch bt;
	char err[512];
	int fam;

	/* 1. Empty our chains: no rule references our sets any more. */
	fw_batch_begin(fw, &bt);
	for (fam = FW_V4; fam <= FW_V6; fam++) {
		fw_batch_table(fw, &bt, fam);
		fw_batch_chain(fw, &bt, fam, FIREWALL_CHAIN, 0);
		fw_batch_flush(fw, &bt, fam);
	}
	if (fw_batch_send(fw, &bt, err, sizeof(err)) < 0) {
		msg_warn("%s", err);
		return -1;
	}
	/* 2. The sets, replacing one of the wrong kind. */
	if (kset_ensure_replace(ks) < 0)
		return -1;
	/* 3. The rule in our chain, and one jump to it from INPUT. */
	if (firewall_restore(fw, err, sizeof(err)) < 0) {
		msg_warn("%s", err);
		return -1;
	}
	return 0;
}

/* --- the same as commands --- */

/* Write one argument for sh, quoted when it needs to be. */
static void
fw_print_arg(FILE *out, const char *s)
{
	const char *p;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.,:/=+-@%") == strlen(s)) {
		fputs(s, out);
		return;
	}
	putc('\'', out);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			fputs("'\\''", out);
		else
			putc(*p, out);
	}
	putc('\'', out);
}

static void
fw_print_argv(FILE *out, const char *const argv[])
{
	size_t i;

	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			putc(' ', out);
		fw_print_arg(out, argv[i]);
	}
	putc('\n', out);
}

int
firewall_print(const struct config *cfg, FILE *out)
{
	struct kset_argv create;
	int fam;

	fprintf(out, "# mailban setup, policy %s\n",
	    cfg->policy == POLICY_PORT ? "port" : "drop");
	for (fam = FW_V4; fam <= FW_V6; fam++) {
		const char *ipt = fw_iptables(fam);

		fprintf(out, "%s -w -t filter -n -L %s >/dev/null 2>&1 || "
		    "%s -w -t filter -N %s\n", ipt, FIREWALL_CHAIN, ipt,
		    FIREWALL_CHAIN);
		fprintf(out, "%s -w -t filter -F %s\n", ipt, FIREWALL_CHAIN);
	}
	for (fam = FW_V4; fam <= FW_V6; fam++) {
		kset_create_argv(cfg, fam == FW_V4 ? ADDR_V4 : ADDR_V6, &create);
		fprintf(out, "# a set %s of another type or with other "
		    "parameters is destroyed first\n", fw_setname(cfg, fam));
		fw_print_argv(out, create.argv);
	}
	for (fam = FW_V4; fam <= FW_V6; fam++) {
		const char *ipt = fw_iptables(fam);

		fprintf(out, "%s -w -t filter -A %s ", ipt, FIREWALL_CHAIN);
		if (cfg->policy == POLICY_PORT)
			fputs("-p tcp --syn ", out);
		fputs("-m set --match-set ", out);
		fw_print_arg(out, fw_setname(cfg, fam));
		fprintf(out, " %s -j DROP\n", cfg->policy == POLICY_PORT ?
		    "src,dst" : "src");
		fprintf(out, "%s -w -t filter -C INPUT -j %s 2>/dev/null || "
		    "%s -w -t filter -I INPUT -j %s\n", ipt, FIREWALL_CHAIN, ipt,
		    FIREWALL_CHAIN);
	}
	if (fflush(out) == EOF || ferror(out)) {
		msg_warn("cannot write to stdout: %s", strerror(errno));
		return -1;
	}
	return 0;
}
