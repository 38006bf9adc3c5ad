/*
 * NAME
 *	zone - the active bans as rbldnsd zone data, for a fleet
 * DESCRIPTION
 *	See include/zone.h.  Addresses are written in canonical form from
 *	struct addr, never from log text; the TEXT template comes from the
 *	configuration, checked there for printable ASCII.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "zone.h"

struct zfile {
	const char *path;
	char tmp[4096];
	FILE *fp;
	int family;
	uint64_t n;
};

struct zwriter {
	struct zfile f[2];
	int64_t now, next;
	int failed;
};

static int
zfile_open(struct zfile *z, const struct config *cfg, int64_t now)
{
	char tb[32];
	int fd;

	if (z->path == NULL)
		return 0;
	if ((size_t)snprintf(z->tmp, sizeof(z->tmp), "%s.tmp-XXXXXX", z->path) >=
	    sizeof(z->tmp)) {
		msg_warn("zone %s: path too long", z->path);
		return -1;
	}
	fd = mkstemp(z->tmp);
	if (fd < 0 || fchmod(fd, 0644) < 0 || (z->fp = fdopen(fd, "w")) == NULL) {
		msg_warn("zone %s: cannot create %s: %s", z->path, z->tmp,
		    strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(z->tmp);
		}
		return -1;
	}
	fprintf(z->fp, "# rbldnsd %s data written by mailban at %s; do not edit\n"
	    ":%s:%s\n", z->family == ADDR_V4 ? "ip4set" : "ip6trie",
	    fmt_time(tb, sizeof(tb), now), cfg->zone_value, cfg->zone_text);
	return 0;
}

static int
zfile_close(struct zfile *z, int ok)
{
	int rc = 0;

	if (z->fp == NULL)
		return 0;
	if (fflush(z->fp) != 0 || fsync(fileno(z->fp)) < 0 || ferror(z->fp)) {
		msg_warn("zone %s: write: %s", z->tmp, strerror(errno));
		ok = 0;
	}
	if (fclose(z->fp) != 0)
		ok = 0;
	z->fp = NULL;
	if (ok && rename(z->tmp, z->path) < 0) {
		msg_warn("zone %s: rename: %s", z->path, strerror(errno));
		ok = 0;
	}
	if (!ok) {
		unlink(z->tmp);
		rc = -1;
	}
	return rc;
}

static int
zone_one(void *ctx, const struct state_ban *b)
{
	struct zwriter *w = ctx;
	struct zfile *z = &w->f[b->addr.family == ADDR_V4 ? 0 : 1];
	char ip[ADDR_STRLEN];

	if (w->next == 0 || b->until < w->next)
		w->next = b->until;
	if (z->fp == NULL)
		return 0;
	addr_format(&b->addr, ip);
	/* a network is "ADDR/LEN" already: ip4set and ip6trie take both */
	if (fprintf(z->fp, z->family == ADDR_V4 || b->addr.plen != 0 ?
	    "%s\n" : "%s/128\n", ip) < 0)
		w->failed = 1;
	z->n++;
	return 0;
}

int
zone_write(const struct config *cfg, struct state *st, int64_t now,
    int64_t *next_expiry, uint64_t *count)
{
	struct zwriter w;
	int rc = 0, i;

	memset(&w, 0, sizeof(w));
	w.now = now;
	w.f[0].path = cfg->zone4;
	w.f[0].family = ADDR_V4;
	w.f[1].path = cfg->zone6;
	w.f[1].family = ADDR_V6;
	for (i = 0; i < 2; i++)
		if (zfile_open(&w.f[i], cfg, now) < 0)
			w.failed = 1;
	if (!w.failed && state_active(st, now, zone_one, &w) < 0)
		w.failed = 1;
	for (i = 0; i < 2; i++)
		if (zfile_close(&w.f[i], !w.failed) < 0)
			rc = -1;
	if (w.failed)
		rc = -1;
	*next_expiry = w.next;
	if (count != NULL)
		*count = w.f[0].n + w.f[1].n;
	return rc;
}
