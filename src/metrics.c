/*
 * NAME
 *	metrics - the state's figures in Prometheus's text format
 * SYNOPSIS
 *	#include "metrics.h"
 * DESCRIPTION
 *	See include/metrics.h.  Every metric is written with its HELP and
 *	TYPE lines even when it has no sample yet (the per-pattern ones with
 *	no pattern), so that a scrape always shows the same families.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "pattern.h"

/* The counters without a pattern: state.h's names, the metrics'. */
static const struct {
	const char *name, *metric, *help;
} plain[] = {
	{"lines", "mailban_lines_read_total",
	    "Log lines read by mailban run."},
	{"malformed", "mailban_lines_malformed_total",
	    "Lines read whose syslog prefix could not be parsed."},
	{"overlong", "mailban_lines_overlong_total",
	    "Lines longer than the line limit, cut."},
	{"untrusted", "mailban_lines_untrusted_total",
	    "Matched lines whose writer is not the MTA they name (not acted on)."},
	{"unmatched", "mailban_lines_unmatched_total",
	    "MTA rejects and failures that no pattern reads (unmatched but "
	    "suspicious)."},
	{"dnsbl_errors", "mailban_dnsbl_errors_total",
	    "Lines that say a DNSBL refuses this server's queries."},
	{"kernel_errors", "mailban_kernel_errors_total",
	    "Kernel set commits that failed."},
	{"state_errors", "mailban_state_errors_total",
	    "State file opens and writes that failed."},
};
#define NPLAIN (sizeof(plain) / sizeof(plain[0]))

struct per_pattern {
	char *name;
	uint64_t matches, bans;
};

struct figures {
	uint64_t plain[NPLAIN];
	int64_t last_commit;
	struct per_pattern *pp;
	size_t npp, cap;
};

static struct per_pattern *
pattern_slot(struct figures *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->npp; i++)
		if (strcmp(f->pp[i].name, name) == 0)
			return &f->pp[i];
	if (f->npp == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->pp = xreallocarray(f->pp, f->cap, sizeof(*f->pp));
	}
	memset(&f->pp[f->npp], 0, sizeof(f->pp[0]));
	f->pp[f->npp].name = xstrdup(name);
	return &f->pp[f->npp++];
}

static int
counter_one(void *ctx, const struct state_counter *c)
{
	struct figures *f = ctx;
	size_t i;

	if (strcmp(c->name, "matches") == 0) {
		pattern_slot(f, c->pattern)->matches = c->value;
	} else if (strcmp(c->name, "bans") == 0) {
		pattern_slot(f, c->pattern)->bans = c->value;
	} else if (strcmp(c->name, "last_commit") == 0) {
		f->last_commit = (int64_t)c->value;
	} else {
		for (i = 0; i < NPLAIN; i++)
			if (strcmp(c->name, plain[i].name) == 0)
				f->plain[i] = c->value;
	}
	return 0;
}

/* By name: an insertion sort of some dozens of patterns (glibc's qsort()
 * may ask sysinfo(), which run's seccomp filter does not allow). */
static void
sort_by_name(struct per_pattern *v, size_t n)
{
	struct per_pattern t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = v[i];
		for (j = i; j > 0 && strcmp(v[j - 1].name, t.name) > 0; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

/* A label value: \\, \" and \n escaped; other control bytes "?". */
static void
label(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '"')
			fputs("\\\"", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fputc('?', out);
		else
			fputc(*s, out);
	}
}

static void
head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int
metrics_print(FILE *out, struct state *st, const struct config *cfg,
    int64_t now)
{
	struct figures f;
	struct state_counts c;
	struct state_health h;
	int degraded = 0, rc = -1;
	size_t i;

	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	if (st != NULL) {
		if (state_read_begin(st) < 0)
			goto out;
		if (state_count(st, now, &c) < 0 ||
		    state_counters(st, counter_one, &f) < 0 ||
		    (degraded = state_health(st, &h)) < 0) {
			state_read_end(st);
			goto out;
		}
		state_read_end(st);
	}
	for (i = 0; i < pattern_count(cfg->patterns); i++)
		(void)pattern_slot(&f, pattern_name(pattern_get(cfg->patterns, i)));
	sort_by_name(f.pp, f.npp);

	head(out, "mailban_bans_active", "gauge",
	    "Active bans in the state file, per address family.");
	fprintf(out, "mailban_bans_active{family=\"ipv4\"} %" PRIu64 "\n"
	    "mailban_bans_active{family=\"ipv6\"} %" PRIu64 "\n", c.active4,
	    c.active6);
	head(out, "mailban_pattern_matches_total", "counter",
	    "Lines matched, per pattern (Exim's duplicates not counted).");
	for (i = 0; i < f.npp; i++) {
		fputs("mailban_pattern_matches_total{pattern=\"", out);
		label(out, f.pp[i].name);
		fprintf(out, "\"} %" PRIu64 "\n", f.pp[i].matches);
	}
	head(out, "mailban_pattern_bans_total", "counter",
	    "Ban decisions, per pattern (\"manual\": mailban ban).");
	for (i = 0; i < f.npp; i++) {
		fputs("mailban_pattern_bans_total{pattern=\"", out);
		label(out, f.pp[i].name);
		fprintf(out, "\"} %" PRIu64 "\n", f.pp[i].bans);
	}
	for (i = 0; i < NPLAIN; i++) {
		head(out, plain[i].metric, "counter", plain[i].help);
		fprintf(out, "%s %" PRIu64 "\n", plain[i].metric, f.plain[i]);
	}
	head(out, "mailban_last_commit_timestamp_seconds", "gauge",
	    "When mailban run last committed bans or scores to the state file "
	    "(Unix time; 0: never).");
	fprintf(out, "mailban_last_commit_timestamp_seconds %" PRId64 "\n",
	    f.last_commit);
	head(out, "mailban_degraded", "gauge",
	    "1 while mailban run reports itself degraded (mailban status says "
	    "why).");
	fprintf(out, "mailban_degraded %d\n", degraded == 1);
	rc = 0;
out:
	for (i = 0; i < f.npp; i++)
		free(f.pp[i].name);
	free(f.pp);
	return rc;
}

int
metrics_write(struct state *st, const struct config *cfg, const char *path,
    int64_t now)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash == NULL ? 1 : (size_t)(slash - path);
	char *tmp, *dir;
	FILE *out;
	int fd, dfd, rc = -1;

	dir = slash == NULL ? xstrdup(".") :
	    xstrndup(path, dlen == 0 ? 1 : dlen);
	tmp = xmalloc(strlen(dir) + strlen(path) + 16);
	/* a name node_exporter skips: it reads *.prom only */
	xsnprintf(tmp, strlen(dir) + strlen(path) + 16, "%s/.%s.XXXXXX", dir,
	    slash == NULL ? path : slash + 1);
	if ((fd = mkstemp(tmp)) < 0) {
		msg_warn("metrics %s: cannot create a temporary file in %s: %s",
		    path, dir, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || (out = fdopen(fd, "w")) == NULL) {
		msg_warn("metrics %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (metrics_print(out, st, cfg, now) < 0) {
		msg_warn("metrics %s: cannot read the state; not written", path);
		fclose(out);
		unlink(tmp);
		goto out;
	}
	if (fflush(out) != 0 || ferror(out) || fsync(fd) < 0) {
		msg_warn("metrics %s: write: %s", tmp, strerror(errno));
		fclose(out);
		unlink(tmp);
		goto out;
	}
	if (fclose(out) != 0 || rename(tmp, path) < 0) {
		msg_warn("metrics %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	free(tmp);
	free(dir);
	return rc;
}
