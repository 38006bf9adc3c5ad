/*
 * NAME
 *	config - libconfig files to an immutable struct config
 * DESCRIPTION
 *	See include/config.h.  The configuration is read in layers, each one
 *	libconfig text of its own: the built-in defaults, the main file (or
 *	the built-in text), each drop-in file, the -o overrides.  A layer
 *	sets what it names over what the layers before it left; an unknown
 *	top-level name is an error (a typo must not silently fall back to a
 *	default).  Errors name FILE:LINE of the offending setting, in the
 *	main file, a drop-in or an included file alike.
 *
 *	libconfig 1.5 reads a number without the L suffix as a 32-bit int,
 *	and wraps one that does not fit (4294967297 becomes 1).  So libconfig
 *	never sees the files as they are: expand() walks each layer's text,
 *	gives every integer the L suffix (libconfig then reads it as 64 bits,
 *	and every setting is range-checked at 64 bits), refuses an integer
 *	that does not fit in 64 bits, and expands @include itself, keeping
 *	for each line of the text it hands to libconfig the file and line it
 *	came from (struct source_line).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fmt.h"
#include "log.h"
#include "pattern.h"

#define MAX_DURATION (100LL * 365 * SECONDS_DAY)
#define MAX_FILE_SIZE (16 << 20) /* bytes of one configuration file */
#define MAX_INCLUDE_DEPTH 10
#define MAX_DROPINS 1000

/* Where a line of the text handed to libconfig came from. */
struct source_line {
	const char *file; /* one of config_sources.names */
	int line;
};

/* The value of a setting, or of a member of a group, and its layer. */
struct origin {
	char *key; /* "threshold", "sets.maxelem" */
	char *text; /* the value as libconfig text */
	char *where; /* "FILE:LINE", "-o NAME" */
};

/* A pattern as the layers left it; compiled once they all are read. */
enum { PD_NAME, PD_PROGRAM, PD_SCORE, PD_REGEX, PD_ENABLED, PD_NOTICE,
    PD_UNLESS, PD_N };
struct pdef {
	char *name;
	char **progs;
	size_t nprogs;
	long long score; /* -1: not given */
	char *regex;
	int enabled;
	int notice; /* notice = "dnsbl-error": PATTERN_DNSBL_ERROR */
	char **unless; /* names of earlier patterns (pattern_set_unless) */
	size_t nunless;
	char *where[PD_N]; /* where each member was given; NULL: not given */
};

/* What config_print() and mailban check show: files read, origins. */
struct config_sources {
	char **names; /* every name a line map points to; owned */
	size_t nnames;
	const char **files; /* the files read, in order (into names) */
	size_t nfiles;
	struct origin *origins; /* first given first */
	size_t norigins;
	struct pdef *pdefs; /* in matching order */
	size_t npdefs;
};

struct loader {
	config_t file; /* this layer's settings */
	int inited; /* file holds a config_t to destroy */
	int is_ov; /* the -o layer: errors say "-o NAME" */
	const char *fname; /* for diagnostics without a line */
	struct source_line *lines; /* line N of the text: lines[N - 1] */
	size_t nlines;
	struct config_sources *srcs;
	char *err;
	size_t errlen;
};

static const char *const known[] = {"policy", "ports", "sets", "ignore",
    "threshold", "window", "bantimes", "forget", "state", "batch", "limits",
    "zone", "patterns", "report", "firewall_check", "trust", "privileges",
    "metrics", "prefix", "widen", NULL};

/* "FILE:LINE" of s in buf ("-o NAME" in the -o layer; ld->fname when s
 * has no line). */
static const char *
where(const struct loader *ld, const config_setting_t *s, char *buf,
    size_t len)
{
	int line = s != NULL ? (int)config_setting_source_line(s) : 0;

	if (ld->is_ov && s != NULL) {
		const config_setting_t *t = s;

		while (t->parent != NULL && t->parent->parent != NULL)
			t = t->parent;
		snprintf(buf, len, "-o %s", t->name ? t->name : "?");
	} else if (line > 0 && (size_t)line <= ld->nlines) {
		snprintf(buf, len, "%s:%d", ld->lines[line - 1].file,
		    ld->lines[line - 1].line);
	} else {
		snprintf(buf, len, "%s", ld->fname);
	}
	return buf;
}

static int
fail(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
    MB_PRINTF(3, 4);

static int
fail(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	char msg[512], at[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ld->err, ld->errlen, "%s: %s", where(ld, s, at, sizeof(at)),
	    msg);
	return -1;
}

static config_setting_t *
top(struct loader *ld, const char *name)
{
	return config_setting_get_member(config_root_setting(&ld->file), name);
}
int
config_parse_duration_ms(const char *text, int64_t *out)
{
	const char *p = text;
	int64_t v = 0, mult;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > MAX_DURATION)
			return -1;
	}
	if (strcmp(p, "") == 0 || strcmp(p, "s") == 0)
		mult = 1000;
	else if (strcmp(p, "ms") == 0)
		mult = 1;
	else if (strcmp(p, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		mult = SECONDS_HOUR * 1000;
	else if (strcmp(p, "d") == 0)
		mult = SECONDS_DAY * 1000;
	else if (strcmp(p, "w") == 0)
		mult = 7 * SECONDS_DAY * 1000;
	else
		return -1;
	if (v * mult / 1000 > MAX_DURATION)
		return -1;
	*out = v * mult;
	return 0;
}

int
config_parse_duration(const char *text, int64_t *out)
{
	int64_t ms = 0;

	if (config_parse_duration_ms(text, &ms) < 0 || ms % 1000 != 0)
		return -1;
	*out = ms / 1000;
	return 0;
}

/* A duration setting: a string with a suffix or an integer (seconds). */
static int
get_duration_ms(struct loader *ld, const config_setting_t *s, int64_t *out)
{
	int type = config_setting_type(s);

	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
		long long v = config_setting_get_int64(s);

		if (v < 0 || v > MAX_DURATION)
			return fail(ld, s, "%s: duration out of range",
			    config_setting_name(s) ? config_setting_name(s) : "value");
		*out = v * 1000;
		return 0;
	}
	if (type != CONFIG_TYPE_STRING ||
	    config_parse_duration_ms(config_setting_get_string(s), out) < 0)
		return fail(ld, s,
		    "%s: expected a duration such as \"90s\", \"10m\", \"1h\", "
		    "\"1d\", \"1w\"",
		    config_setting_name(s) ? config_setting_name(s) : "value");
	return 0;
}

static int
get_duration_s(struct loader *ld, const config_setting_t *s, int64_t *out,
    int64_t min)
{
	int64_t ms = 0;

	if (get_duration_ms(ld, s, &ms) < 0)
		return -1;
	if (ms % 1000 != 0 || ms / 1000 < min)
		return fail(ld, s, "%s: must be whole seconds, at least %llds",
		    config_setting_name(s) ? config_setting_name(s) : "value",
		    (long long)min);
	*out = ms / 1000;
	return 0;
}

static int
get_int(struct loader *ld, const config_setting_t *s, long long min,
    long long max, long long *out)
{
	int type = config_setting_type(s);
	long long v = 0;

	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
		return fail(ld, s, "%s: expected an integer",
		    config_setting_name(s) ? config_setting_name(s) : "value");
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return fail(ld, s, "%s: %lld is out of range [%lld, %lld]",
		    config_setting_name(s) ? config_setting_name(s) : "value", v,
		    min, max);
	*out = v;
	return 0;
}

static int
get_string(struct loader *ld, const config_setting_t *s, const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(ld, s, "%s: expected a string",
		    config_setting_name(s) ? config_setting_name(s) : "value");
	*out = config_setting_get_string(s);
	return 0;
}

static int
is_list(const config_setting_t *s)
{
	return config_setting_is_array(s) || config_setting_is_list(s);
}

static int
load_setname(struct loader *ld, const config_setting_t *s, char *dst)
{
	const char *v = NULL, *p;

	if (get_string(ld, s, &v) < 0)
		return -1;
	if (*v == '\0' || strlen(v) > CONFIG_SETNAME_MAX)
		return fail(ld, s, "set name must have 1 to %d characters",
		    CONFIG_SETNAME_MAX);
	for (p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return fail(ld, s, "set name \"%s\": use letters, digits, "
			    "'-', '_' and '.'", v);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
load_sets(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "sets"), *m;
	long long v = 0;

	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return fail(ld, s, "sets: expected a group { ipv4 = ...; }");
	for (unsigned i = 0; (m = config_setting_get_elem(s, i)) != NULL; i++) {
		const char *name = config_setting_name(m);

		if (strcmp(name, "ipv4") == 0) {
			if (load_setname(ld, m, cfg->set4) < 0)
				return -1;
		} else if (strcmp(name, "ipv6") == 0) {
			if (load_setname(ld, m, cfg->set6) < 0)
				return -1;
		} else if (strcmp(name, "maxelem") == 0) {
			if (get_int(ld, m, 1, UINT32_MAX, &v) < 0)
				return -1;
			cfg->maxelem = (uint32_t)v;
		} else {
			return fail(ld, m, "sets: unknown setting \"%s\"", name);
		}
	}
	if (strcmp(cfg->set4, cfg->set6) == 0)
		return fail(ld, s, "sets: ipv4 and ipv6 need different names");
	return 0;
}

static int
load_group_batch(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "batch"), *m;
	long long v = 0;
	int64_t ms = 0;

	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return fail(ld, s, "batch: expected a group { size = ...; }");
	for (unsigned i = 0; (m = config_setting_get_elem(s, i)) != NULL; i++) {
		const char *name = config_setting_name(m);

		if (strcmp(name, "size") == 0) {
			if (get_int(ld, m, 1, 1000000, &v) < 0)
				return -1;
			cfg->batch_size = (uint32_t)v;
		} else if (strcmp(name, "idle") == 0) {
			if (get_duration_ms(ld, m, &ms) < 0)
				return -1;
			if (ms < 1 || ms > 60000)
				return fail(ld, m, "batch.idle: 1ms to 60s");
			cfg->batch_idle_ms = (uint32_t)ms;
		} else {
			return fail(ld, m, "batch: unknown setting \"%s\"", name);
		}
	}
	return 0;
}

/*
 * prefix = { ipv4 = 32; ipv6 = 64; };  widen = { ipv4 = 24; ipv6 = 48;
 * count = 3; };  Whether widen is wider than prefix is checked once every
 * layer is read (check_prefixes), since a layer may change one of them.
 */
static int
load_group_prefix(struct loader *ld, struct config *cfg, const char *group)
{
	config_setting_t *s = top(ld, group), *m;
	int widen = strcmp(group, "widen") == 0;
	long long v = 0;

	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return fail(ld, s, "%s: expected a group { ipv4 = ...; ipv6 = "
		    "...; }", group);
	for (unsigned i = 0; (m = config_setting_get_elem(s, i)) != NULL; i++) {
		const char *name = config_setting_name(m);

		if (strcmp(name, "ipv4") == 0) {
			if (get_int(ld, m, 1, 32, &v) < 0)
				return -1;
			*(widen ? &cfg->widen4 : &cfg->prefix4) = (unsigned)v;
		} else if (strcmp(name, "ipv6") == 0) {
			if (get_int(ld, m, 1, 128, &v) < 0)
				return -1;
			*(widen ? &cfg->widen6 : &cfg->prefix6) = (unsigned)v;
		} else if (widen && strcmp(name, "count") == 0) {
			if (get_int(ld, m, 0, CONFIG_WIDEN_MAX, &v) < 0)
				return -1;
			if (v == 1)
				return fail(ld, m, "widen.count: 0 (never) or "
				    "2 to %d", CONFIG_WIDEN_MAX);
			cfg->widen_count = (unsigned)v;
		} else {
			return fail(ld, m, "%s: unknown setting \"%s\"", group,
			    name);
		}
	}
	return 0;
}

static int
load_group_limits(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "limits"), *m;
	long long v = 0;

	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return fail(ld, s, "limits: expected a group { tracked = ...; }");
	for (unsigned i = 0; (m = config_setting_get_elem(s, i)) != NULL; i++) {
		const char *name = config_setting_name(m);

		if (strcmp(name, "tracked") == 0) {
			if (get_int(ld, m, 16, 100000000, &v) < 0)
				return -1;
			cfg->max_tracked = (uint32_t)v;
		} else if (strcmp(name, "qids") == 0) {
			if (get_int(ld, m, 16, 10000000, &v) < 0)
				return -1;
			cfg->max_qids = (uint32_t)v;
		} else if (strcmp(name, "evidence") == 0) {
			if (get_int(ld, m, 0, 1000, &v) < 0)
				return -1;
			cfg->max_evidence = (uint32_t)v;
		} else {
			return fail(ld, m, "limits: unknown setting \"%s\"", name);
		}
	}
	return 0;
}

/* zone = { ipv4 = FILE; ipv6 = FILE; every = "5s"; value = IP; text = T; } */
static int
load_group_zone(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "zone"), *m;
	const char *v = NULL, *p;
	int64_t secs = 0;
	struct addr a;

	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return fail(ld, s, "zone: expected a group { ipv4 = ...; }");
	for (unsigned i = 0; (m = config_setting_get_elem(s, i)) != NULL; i++) {
		const char *name = config_setting_name(m);

		if (strcmp(name, "ipv4") == 0 || strcmp(name, "ipv6") == 0) {
			char **dst = name[3] == '4' ? &cfg->zone4 : &cfg->zone6;

			if (get_string(ld, m, &v) < 0)
				return -1;
			if (*v != '\0' && *v != '/')
				return fail(ld, m, "zone.%s: use an absolute path", name);
			free(*dst);
			*dst = *v ? xstrdup(v) : NULL;
		} else if (strcmp(name, "every") == 0) {
			if (get_duration_s(ld, m, &secs, 1) < 0)
				return -1;
			if (secs > SECONDS_HOUR)
				return fail(ld, m, "zone.every: 1s to 1h");
			cfg->zone_every = (uint32_t)secs;
		} else if (strcmp(name, "value") == 0) {
			if (get_string(ld, m, &v) < 0)
				return -1;
			if (addr_parse(v, strlen(v), &a) < 0 || a.family != ADDR_V4 ||
			    a.bytes[0] != 127)
				return fail(ld, m, "zone.value: an address in "
				    "127.0.0.0/8, such as \"127.0.0.2\"");
			snprintf(cfg->zone_value, sizeof(cfg->zone_value), "%s", v);
		} else if (strcmp(name, "text") == 0) {
			if (get_string(ld, m, &v) < 0)
				return -1;
			for (p = v; *p; p++)
				if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
					return fail(ld, m, "zone.text: printable ASCII only");
			if (strlen(v) > 255)
				return fail(ld, m, "zone.text: at most 255 characters");
			free(cfg->zone_text);
			cfg->zone_text = xstrdup(v);
		} else {
			return fail(ld, m, "zone: unknown setting \"%s\"", name);
		}
	}
	if (cfg->zone4 != NULL && cfg->zone6 != NULL &&
	    strcmp(cfg->zone4, cfg->zone6) == 0)
		return fail(ld, s, "zone: ipv4 and ipv6 need different files");
	return 0;
}

/*
 * report.lookup: "" (no links) or an http(s) URL of printable ASCII without
 * quotes, '<', '>' or '\' that holds "%s" exactly once; every other '%'
 * starts a %XX escape.  The address replaces "%s" by plain substitution.
 */
static int
check_lookup(struct loader *ld, const config_setting_t *s, const char *v)
{
	const char *p;
	int holes = 0;

	if (*v == '\0')
		return 0;
	if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
		return fail(ld, s, "report.lookup: an http:// or https:// URL");
	if (strlen(v) > 1024)
		return fail(ld, s, "report.lookup: at most 1024 characters");
	for (p = v; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("\"'<>\\`", *p) != NULL)
			return fail(ld, s, "report.lookup: character 0x%02x is not "
			    "allowed in the URL", (unsigned)(unsigned char)*p);
		if (*p != '%')
			continue;
		if (p[1] == 's') {
			holes++;
			p++;
		} else if (!isxdigit((unsigned char)p[1]) ||
		    !isxdigit((unsigned char)p[2])) {
			return fail(ld, s, "report.lookup: '%%' must start \"%%s\" "
			    "or a %%XX escape");
		}
	}
	if (holes != 1)
		return fail(ld, s, "report.lookup: must contain \"%%s\" (where the "
		    "address goes) exactly once, not %d times", holes);
	return 0;
}

/* metrics = { file = FILE.prom; every = "60s"; } */
static int
load_group_metrics(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "metrics"), *m;
	const char *v = NULL;
	int64_t secs = 0;
	size_t len;

	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return fail(ld, s, "metrics: expected a group { file = ...; }");
	for (unsigned i = 0; (m = config_setting_get_elem(s, i)) != NULL; i++) {
		const char *name = config_setting_name(m);

		if (strcmp(name, "file") == 0) {
			if (get_string(ld, m, &v) < 0)
				return -1;
			len = strlen(v);
			if (*v != '\0' && (*v != '/' || len < 7 ||
			    strcmp(v + len - 5, ".prom") != 0 || v[len - 6] == '/'))
				return fail(ld, m, "metrics.file: an absolute path "
				    "ending in \".prom\" (node_exporter's textfile "
				    "collector reads only those), or \"\" for none");
			free(cfg->metrics_file);
			cfg->metrics_file = xstrdup(v);
		} else if (strcmp(name, "every") == 0) {
			if (get_duration_s(ld, m, &secs, 1) < 0)
				return -1;
			if (secs > SECONDS_HOUR)
				return fail(ld, m, "metrics.every: 1s to 1h");
			cfg->metrics_every = secs;
		} else {
			return fail(ld, m, "metrics: unknown setting \"%s\" "
			    "(file, every)", name);
		}
	}
	return 0;
}

/* report = { html = FILE; every = "60s"; lookup = URL; dnsbl = [GLOB]; } */
static int
load_group_report(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "report"), *m, *e;
	const char *v = NULL;
	int64_t secs = 0;
	size_t k;

	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return fail(ld, s, "report: expected a group { html = ...; }");
	for (unsigned i = 0; (m = config_setting_get_elem(s, i)) != NULL; i++) {
		const char *name = config_setting_name(m);

		if (strcmp(name, "html") == 0) {
			if (get_string(ld, m, &v) < 0)
				return -1;
			if (*v != '\0' && *v != '/')
				return fail(ld, m, "report.html: use an absolute path, "
				    "or \"\" for no page");
			free(cfg->report_html);
			cfg->report_html = xstrdup(v);
		} else if (strcmp(name, "every") == 0) {
			if (get_duration_s(ld, m, &secs, 1) < 0)
				return -1;
			if (secs > SECONDS_DAY)
				return fail(ld, m, "report.every: 1s to 1d");
			cfg->report_every = secs;
		} else if (strcmp(name, "lookup") == 0) {
			if (get_string(ld, m, &v) < 0 || check_lookup(ld, m, v) < 0)
				return -1;
			free(cfg->report_lookup);
			cfg->report_lookup = xstrdup(v);
		} else if (strcmp(name, "dnsbl") == 0) {
			if (!is_list(m))
				return fail(ld, m, "report.dnsbl: expected a list of "
				    "globs such as [\"*-rbl\"]");
			for (k = 0; k < cfg->nreport_dnsbl; k++)
				free(cfg->report_dnsbl[k]);
			cfg->nreport_dnsbl = 0;
			for (unsigned j = 0; (e = config_setting_get_elem(m, j)) != NULL;
			     j++) {
				if (get_string(ld, e, &v) < 0)
					return -1;
				if (*v == '\0' || strlen(v) > 255)
					return fail(ld, e, "report.dnsbl: a glob of 1 to "
					    "255 characters");
				if (cfg->nreport_dnsbl == CONFIG_MAX_DNSBL)
					return fail(ld, e, "report.dnsbl: at most %d globs",
					    CONFIG_MAX_DNSBL);
				cfg->report_dnsbl[cfg->nreport_dnsbl++] = xstrdup(v);
			}
		} else {
			return fail(ld, m, "report: unknown setting \"%s\"", name);
		}
	}
	return 0;
}

/* privileges = { user = "mailban"; seccomp = true; } */
static int
load_group_privileges(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "privileges"), *m;
	const char *v = NULL, *p;

	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return fail(ld, s, "privileges: expected a group { user = ...; }");
	for (unsigned i = 0; (m = config_setting_get_elem(s, i)) != NULL; i++) {
		const char *name = config_setting_name(m);

		if (strcmp(name, "user") == 0) {
			if (get_string(ld, m, &v) < 0)
				return -1;
			if (strlen(v) > 32)
				return fail(ld, m, "privileges.user: at most 32 "
				    "characters");
			for (p = v; *p; p++)
				if (!((*p >= 'a' && *p <= 'z') ||
				    (*p >= 'A' && *p <= 'Z') ||
				    (*p >= '0' && *p <= '9') || *p == '_' ||
				    *p == '-' || *p == '.'))
					return fail(ld, m, "privileges.user: a user "
					    "name (letters, digits, '_', '-', '.'), or "
					    "\"\"");
			free(cfg->run_user);
			cfg->run_user = xstrdup(v);
		} else if (strcmp(name, "seccomp") == 0) {
			if (config_setting_type(m) != CONFIG_TYPE_BOOL)
				return fail(ld, m, "privileges.seccomp: true or false");
			cfg->seccomp = config_setting_get_bool(m);
		} else {
			return fail(ld, m, "privileges: unknown setting \"%s\"",
			    name);
		}
	}
	return 0;
}

static int
load_ports(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "ports"), *e;
	long long v = 0;

	if (s == NULL)
		return 0;
	if (!is_list(s))
		return fail(ld, s, "ports: expected a list such as [25, 587]");
	cfg->nports = 0;
	for (unsigned i = 0; (e = config_setting_get_elem(s, i)) != NULL; i++) {
		if (cfg->nports >= CONFIG_MAX_PORTS)
			return fail(ld, e, "ports: at most %d", CONFIG_MAX_PORTS);
		if (get_int(ld, e, 1, 65535, &v) < 0)
			return -1;
		cfg->ports[cfg->nports++] = (uint16_t)v;
	}
	if (cfg->nports == 0)
		return fail(ld, s, "ports: at least one port");
	return 0;
}

static int
load_ignore(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "ignore"), *e;
	const char *v = NULL;
	struct cidr c;

	if (s == NULL)
		return 0;
	if (!is_list(s))
		return fail(ld, s, "ignore: expected a list of CIDR strings");
	addr_list_free(&cfg->ignore);
	for (unsigned i = 0; (e = config_setting_get_elem(s, i)) != NULL; i++) {
		if (get_string(ld, e, &v) < 0)
			return -1;
		if (cidr_parse(v, &c) < 0)
			return fail(ld, e, "ignore: \"%.64s\" is not an address or "
			    "CIDR prefix (host names are not resolved)", v);
		addr_list_add(&cfg->ignore, &c);
	}
	return 0;
}

static int
load_bantimes(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "bantimes"), *e;

	if (s == NULL)
		return 0;
	if (!is_list(s))
		return fail(ld, s, "bantimes: expected a list such as [\"1h\", \"1d\"]");
	cfg->nbantimes = 0;
	for (unsigned i = 0; (e = config_setting_get_elem(s, i)) != NULL; i++) {
		if (cfg->nbantimes >= CONFIG_MAX_BANTIMES)
			return fail(ld, e, "bantimes: at most %d",
			    CONFIG_MAX_BANTIMES);
		if (get_duration_s(ld, e, &cfg->bantimes[cfg->nbantimes], 1) < 0)
			return -1;
		cfg->nbantimes++;
	}
	if (cfg->nbantimes == 0)
		return fail(ld, s, "bantimes: at least one duration");
	return 0;
}

static struct pdef *
pdef_find(struct config_sources *srcs, const char *name)
{
	for (size_t i = 0; i < srcs->npdefs; i++)
		if (strcmp(srcs->pdefs[i].name, name) == 0)
			return &srcs->pdefs[i];
	return NULL;
}

static void
pdef_set_where(struct loader *ld, struct pdef *d, int k,
    const config_setting_t *s)
{
	char at[4096];

	free(d->where[k]);
	d->where[k] = xstrdup(where(ld, s, at, sizeof(at)));
}

/*
 * One pattern group of a layer: a name the layers before have not given
 * adds a pattern (at the end of the list); a name they have given
 * changes the members this group gives and keeps the others, and
 * "enabled = false" takes the pattern out.  The patterns are compiled
 * once every layer is read (compile_patterns).
 */
static int
load_one_pattern(struct loader *ld, struct config *cfg, config_setting_t *g,
    unsigned index)
{
	config_setting_t *m, *prog = NULL, *msc = NULL, *mre = NULL, *men = NULL,
	    *e, *mno = NULL, *mun = NULL;
	const char *name = NULL, *regex = NULL, *v = NULL;
	const char *unless[PATTERN_UNLESS];
	size_t nunless = 0;
	const char *progs[64];
	size_t nprogs = 0;
	long long score = -1;
	struct pdef *d;

	if (!config_setting_is_group(g))
		return fail(ld, g, "patterns: each pattern is a group { name = ...; }");
	for (unsigned i = 0; (m = config_setting_get_elem(g, i)) != NULL; i++) {
		const char *mn = config_setting_name(m);

		if (strcmp(mn, "name") == 0) {
			if (get_string(ld, m, &name) < 0)
				return -1;
		} else if (strcmp(mn, "program") == 0) {
			prog = m;
		} else if (strcmp(mn, "score") == 0) {
			if (get_int(ld, m, 0, 1000000, &score) < 0)
				return -1;
			msc = m;
		} else if (strcmp(mn, "regex") == 0) {
			if (get_string(ld, m, &regex) < 0)
				return -1;
			mre = m;
		} else if (strcmp(mn, "enabled") == 0) {
			if (config_setting_type(m) != CONFIG_TYPE_BOOL)
				return fail(ld, m, "enabled: expected true or false");
			men = m;
		} else if (strcmp(mn, "notice") == 0) {
			if (get_string(ld, m, &v) < 0)
				return -1;
			if (strcmp(v, "dnsbl-error") != 0)
				return fail(ld, m, "notice: expected \"dnsbl-error\"");
			mno = m;
		} else if (strcmp(mn, "unless") == 0) {
			/* a name or a list of names of earlier patterns */
			e = m;
			for (unsigned k = 0; ; k++) {
				if (is_list(m) &&
				    (e = config_setting_get_elem(m, k)) == NULL)
					break;
				if (nunless == PATTERN_UNLESS)
					return fail(ld, e, "unless: at most %d names",
					    PATTERN_UNLESS);
				if (get_string(ld, e, &unless[nunless]) < 0)
					return -1;
				nunless++;
				if (!is_list(m))
					break;
			}
			mun = m;
		} else {
			return fail(ld, m, "pattern: unknown setting \"%s\"", mn);
		}
	}
	if (name == NULL || *name == '\0')
		return fail(ld, g, "pattern: missing name");
	for (unsigned i = 0; i < index; i++) {
		e = config_setting_get_elem(config_setting_parent(g), i);
		if (config_setting_lookup_string(e, "name", &v) &&
		    strcmp(v, name) == 0)
			return fail(ld, g, "pattern \"%.64s\": defined twice", name);
	}
	if (prog != NULL) {
		if (config_setting_type(prog) == CONFIG_TYPE_STRING) {
			progs[nprogs++] = config_setting_get_string(prog);
		} else if (is_list(prog)) {
			for (unsigned i = 0;
			     (m = config_setting_get_elem(prog, i)) != NULL; i++) {
				if (nprogs >= sizeof(progs) / sizeof(progs[0]))
					return fail(ld, m, "program: at most 64 names");
				if (get_string(ld, m, &v) < 0)
					return -1;
				progs[nprogs++] = v;
			}
		} else {
			return fail(ld, prog, "program: expected a string or a list "
			    "of strings");
		}
		if (nprogs == 0)
			return fail(ld, prog, "program: at least one program name");
		for (size_t i = 0; i < nprogs; i++)
			if (*progs[i] == '\0')
				return fail(ld, prog, "program: empty name");
	}
	if ((d = pdef_find(cfg->sources, name)) == NULL) {
		struct config_sources *srcs = cfg->sources;

		srcs->pdefs = xreallocarray(srcs->pdefs, srcs->npdefs + 1,
		    sizeof(*srcs->pdefs));
		d = &srcs->pdefs[srcs->npdefs++];
		memset(d, 0, sizeof(*d));
		d->name = xstrdup(name);
		d->score = -1;
		d->enabled = 1;
		pdef_set_where(ld, d, PD_NAME, g);
	}
	if (prog != NULL) {
		for (size_t i = 0; i < d->nprogs; i++)
			free(d->progs[i]);
		d->progs = xreallocarray(d->progs, nprogs, sizeof(char *));
		for (size_t i = 0; i < nprogs; i++)
			d->progs[i] = xstrdup(progs[i]);
		d->nprogs = nprogs;
		pdef_set_where(ld, d, PD_PROGRAM, prog);
	}
	if (msc != NULL) {
		d->score = score;
		pdef_set_where(ld, d, PD_SCORE, msc);
	}
	if (mre != NULL) {
		free(d->regex);
		d->regex = xstrdup(regex);
		pdef_set_where(ld, d, PD_REGEX, mre);
	}
	if (men != NULL) {
		d->enabled = config_setting_get_bool(men);
		pdef_set_where(ld, d, PD_ENABLED, men);
	}
	if (mno != NULL) {
		d->notice = 1;
		pdef_set_where(ld, d, PD_NOTICE, mno);
	}
	if (mun != NULL) {
		for (size_t i = 0; i < d->nunless; i++)
			free(d->unless[i]);
		d->unless = xreallocarray(d->unless, nunless + 1, sizeof(char *));
		for (size_t i = 0; i < nunless; i++)
			d->unless[i] = xstrdup(unless[i]);
		d->nunless = nunless;
		pdef_set_where(ld, d, PD_UNLESS, mun);
	}
	return 0;
}

enum layer_kind {
	LAYER_DEFAULTS, /* the built-in defaults: no patterns */
	LAYER_MAIN, /* the main file or the built-in text: patterns required */
	LAYER_MORE, /* a drop-in or -o: patterns optional */
};

static int
load_patterns(struct loader *ld, struct config *cfg, enum layer_kind kind)
{
	config_setting_t *s = top(ld, "patterns"), *g;

	if (kind == LAYER_DEFAULTS)
		return 0;
	if (s == NULL)
		return kind == LAYER_MAIN ? fail(ld, NULL, "no patterns defined") :
		    0;
	if (!is_list(s))
		return fail(ld, s, "patterns: expected a list ( { ... }, { ... } )");
	if (kind == LAYER_MAIN && config_setting_length(s) == 0)
		return fail(ld, s, "patterns: the list is empty");
	for (unsigned i = 0; (g = config_setting_get_elem(s, i)) != NULL; i++)
		if (load_one_pattern(ld, cfg, g, i) < 0)
			return -1;
	return 0;
}

/* "AT: message" into err. */
static int
fail_at(char *err, size_t errlen, const char *at, const char *fmt, ...)
    MB_PRINTF(4, 5);

static int
fail_at(char *err, size_t errlen, const char *at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", at, msg);
	return -1;
}

/* The enabled patterns, in order, into cfg->patterns. */
static int
compile_patterns(struct config *cfg, char *err, size_t errlen)
{
	const struct config_sources *srcs = cfg->sources;
	char perr[512];

	for (size_t i = 0; i < srcs->npdefs; i++) {
		const struct pdef *d = &srcs->pdefs[i];

		long long score = d->score;
		size_t last, j;

		if (!d->enabled)
			continue;
		if (d->notice && score > 0)
			return fail_at(err, errlen, d->where[PD_SCORE], "pattern "
			    "\"%.64s\": a notice never scores: score must be 0",
			    d->name);
		if (d->notice && score < 0)
			score = 0;
		if (d->nprogs == 0 || d->regex == NULL || score < 0)
			return fail_at(err, errlen, d->where[PD_NAME], "pattern "
			    "\"%.64s\": needs program, score and regex", d->name);
		if (pattern_add(cfg->patterns, d->name,
			(const char *const *)d->progs, d->nprogs, (long)score,
			d->regex, perr, sizeof(perr)) < 0)
			return fail_at(err, errlen, d->where[PD_REGEX], "%s", perr);
		last = pattern_count(cfg->patterns) - 1;
		if (d->notice)
			pattern_set_kind(cfg->patterns, last, PATTERN_DNSBL_ERROR);
		for (size_t k = 0; k < d->nunless; k++) {
			const struct pdef *u = pdef_find(cfg->sources,
			    d->unless[k]);

			if (u != NULL && !u->enabled)
				continue; /* disabled: it covers nothing */
			for (j = 0; j < last && strcmp(pattern_name(pattern_get(
			    cfg->patterns, j)), d->unless[k]) != 0; j++)
				;
			if (j == last)
				return fail_at(err, errlen, d->where[PD_UNLESS],
				    "unless: no pattern \"%.64s\" before this one",
				    d->unless[k]);
			pattern_set_unless(cfg->patterns, last, j);
		}
	}
	if (pattern_count(cfg->patterns) == 0)
		return fail_at(err, errlen, cfg->path, "no pattern is enabled");
	return 0;
}

static int
load_scalars(struct loader *ld, struct config *cfg)
{
	config_setting_t *s;
	const char *v = NULL;
	long long n = 0;

	if ((s = top(ld, "policy")) != NULL) {
		if (get_string(ld, s, &v) < 0)
			return -1;
		if (strcmp(v, "port") == 0)
			cfg->policy = POLICY_PORT;
		else if (strcmp(v, "drop") == 0)
			cfg->policy = POLICY_DROP;
		else
			return fail(ld, s, "policy: \"%.32s\": use \"port\" or \"drop\"",
			    v);
	}
	if ((s = top(ld, "threshold")) != NULL) {
		if (get_int(ld, s, 1, 1000000, &n) < 0)
			return -1;
		cfg->threshold = (long)n;
	}
	if ((s = top(ld, "window")) != NULL &&
	    get_duration_s(ld, s, &cfg->window, 1) < 0)
		return -1;
	if ((s = top(ld, "forget")) != NULL &&
	    get_duration_s(ld, s, &cfg->forget, 0) < 0)
		return -1;
	if ((s = top(ld, "firewall_check")) != NULL) {
		if (get_duration_s(ld, s, &cfg->firewall_check, 1) < 0)
			return -1;
		if (cfg->firewall_check > SECONDS_HOUR)
			return fail(ld, s, "firewall_check: 1s to 1h");
	}
	if ((s = top(ld, "state")) != NULL) {
		if (get_string(ld, s, &v) < 0)
			return -1;
		if (*v != '/' && strcmp(v, ":memory:") != 0)
			return fail(ld, s, "state: use an absolute path");
		free(cfg->state);
		cfg->state = xstrdup(v);
	}
	return 0;
}

/*
 * trust = ( { program = GLOBS; exe = GLOBS; users = NAMES; units = GLOBS },
 * ... ):
 * which writers count as each MTA (trust.h).  Self-contained: the rules
 * are kept in cfg->trust, users resolved here (getpwnam; a name this
 * host does not know matches nobody, so that one default serves hosts
 * with any of the MTAs).
 */
static int
trust_glob(struct loader *ld, config_setting_t *e, const char *what,
    int path, char **dst, size_t *n)
{
	const char *v = NULL;

	if (get_string(ld, e, &v) < 0)
		return -1;
	if (*v == '\0' || strlen(v) > 4095)
		return fail(ld, e, "trust: %s: 1 to 4095 characters", what);
	if (path && *v != '/')
		return fail(ld, e, "trust: %s: \"%.64s\" is not an absolute path",
		    what, v);
	if (*n == TRUST_MAX_GLOBS)
		return fail(ld, e, "trust: %s: at most %d", what, TRUST_MAX_GLOBS);
	dst[(*n)++] = xstrdup(v);
	return 0;
}

/* A string or a list of strings. */
static int
trust_globs(struct loader *ld, config_setting_t *m, const char *what,
    int path, char **dst, size_t *n)
{
	config_setting_t *e;

	if (config_setting_type(m) == CONFIG_TYPE_STRING)
		return trust_glob(ld, m, what, path, dst, n);
	if (!is_list(m))
		return fail(ld, m, "trust: %s: expected a string or a list of "
		    "strings", what);
	for (unsigned j = 0; (e = config_setting_get_elem(m, j)) != NULL; j++)
		if (trust_glob(ld, e, what, path, dst, n) < 0)
			return -1;
	return 0;
}

static int
trust_users(struct loader *ld, config_setting_t *m, struct trust_rule *r)
{
	config_setting_t *e;
	struct passwd *pw;
	long long uid = 0;
	const char *v = NULL;

	if (!is_list(m))
		return fail(ld, m, "trust: users: expected a list such as "
		    "[\"root\", \"postfix\"]");
	for (unsigned j = 0; (e = config_setting_get_elem(m, j)) != NULL; j++) {
		if (r->nusers == TRUST_MAX_USERS)
			return fail(ld, e, "trust: users: at most %d",
			    TRUST_MAX_USERS);
		r->nusers++;
		if (config_setting_type(e) == CONFIG_TYPE_INT ||
		    config_setting_type(e) == CONFIG_TYPE_INT64) {
			if (get_int(ld, e, 0, UINT32_MAX - 1, &uid) < 0)
				return -1;
			r->uids[r->nuids++] = uid;
			continue;
		}
		if (get_string(ld, e, &v) < 0)
			return -1;
		if (*v == '\0')
			return fail(ld, e, "trust: users: an empty name");
		if (strspn(v, "0123456789") == strlen(v)) {
			if (strlen(v) > 10 || strtoll(v, NULL, 10) >= UINT32_MAX)
				return fail(ld, e, "trust: users: %.64s is out of "
				    "range", v);
			r->uids[r->nuids++] = strtoll(v, NULL, 10);
			continue;
		}
		pw = getpwnam(v);
		if (pw != NULL)
			r->uids[r->nuids++] = (int64_t)pw->pw_uid;
		else
			r->unknown[r->nunknown++] = xstrdup(v);
	}
	return 0;
}

static int
load_trust(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "trust"), *g, *m;
	struct trust_rule *r;
	int have_prog;

	if (s == NULL)
		return 0;
	if (!config_setting_is_list(s))
		return fail(ld, s, "trust: expected a list ( { program = ...; "
		    "exe = [...]; users = [...]; }, ... )");
	trust_free(&cfg->trust);
	for (unsigned i = 0; (g = config_setting_get_elem(s, i)) != NULL; i++) {
		if (!config_setting_is_group(g))
			return fail(ld, g, "trust: each entry is a group "
			    "{ program = ...; exe = [...]; users = [...]; }");
		if (cfg->trust.n == TRUST_MAX_RULES)
			return fail(ld, g, "trust: at most %d entries",
			    TRUST_MAX_RULES);
		r = &cfg->trust.rules[cfg->trust.n++];
		memset(r, 0, sizeof(*r));
		have_prog = 0;
		for (unsigned j = 0; (m = config_setting_get_elem(g, j)) != NULL;
		     j++) {
			const char *mn = config_setting_name(m);

			if (strcmp(mn, "program") == 0) {
				have_prog = 1;
				if (trust_globs(ld, m, "program", 0, r->progs,
				    &r->nprogs) < 0)
					return -1;
			} else if (strcmp(mn, "exe") == 0) {
				if (trust_globs(ld, m, "exe", 1, r->exe, &r->nexe) < 0)
					return -1;
			} else if (strcmp(mn, "users") == 0) {
				if (trust_users(ld, m, r) < 0)
					return -1;
			} else if (strcmp(mn, "units") == 0) {
				if (trust_globs(ld, m, "units", 0, r->units,
				    &r->nunits) < 0)
					return -1;
			} else {
				return fail(ld, m, "trust: unknown setting \"%s\"", mn);
			}
		}
		if (!have_prog || r->nprogs == 0)
			return fail(ld, g, "trust: each entry needs a program");
		if (r->nexe == 0 && r->nusers == 0)
			return fail(ld, g, "trust: an entry with neither exe nor "
			    "users would trust any writer");
	}
	return 0;
}

static int
check_names(struct loader *ld, config_t *c)
{
	config_setting_t *root = config_root_setting(c), *m;
	size_t k;

	for (unsigned i = 0; (m = config_setting_get_elem(root, i)) != NULL; i++) {
		for (k = 0; known[k] != NULL; k++)
			if (strcmp(known[k], config_setting_name(m)) == 0)
				break;
		if (known[k] == NULL)
			return fail(ld, m, "unknown setting \"%s\"",
			    config_setting_name(m));
	}
	return 0;
}

/* A growing text and its line map. */
struct text {
	char *p;
	size_t len, cap;
	struct source_line *lines;
	size_t nlines, linecap;
};

static void
text_put(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

/* The end of a line of file: '\n' into t, and where it came from. */
static void
text_newline(struct text *t, const char *file, int line)
{
	text_put(t, "\n", 1);
	if (t->nlines == t->linecap) {
		t->linecap = t->linecap ? 2 * t->linecap : 256;
		t->lines = xreallocarray(t->lines, t->linecap, sizeof(*t->lines));
	}
	t->lines[t->nlines].file = file;
	t->lines[t->nlines].line = line;
	t->nlines++;
}

static const char *
srcs_name(struct config_sources *srcs, const char *name)
{
	srcs->names = xreallocarray(srcs->names, srcs->nnames + 1,
	    sizeof(char *));
	srcs->names[srcs->nnames] = xstrdup(name);
	return srcs->names[srcs->nnames++];
}

static void
srcs_file(struct config_sources *srcs, const char *name)
{
	srcs->files = xreallocarray(srcs->files, srcs->nfiles + 1,
	    sizeof(char *));
	srcs->files[srcs->nfiles++] = name;
}

/* The whole of path, NUL-terminated, in *out; -1 with err. */
static int
read_whole(const char *path, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_FILE_SIZE) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    S_ISREG(st.st_mode) ? "larger than 16 MiB" : "not a file");
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path,
			    strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* Does the decimal digits d[0..n) fit in int64 (negative: its minimum)? */
static int
fits_int64(const char *d, size_t n, int negative)
{
	static const char max[] = "9223372036854775807";
	static const char min[] = "9223372036854775808";

	while (n > 1 && *d == '0')
		d++, n--;
	if (n != sizeof(max) - 1)
		return n < sizeof(max) - 1;
	return memcmp(d, negative ? min : max, n) <= 0;
}

static int expand(struct loader *ld, struct text *t, const char *file,
    const char *s, size_t len, const char *dir, int depth);

/*
 * The @include at s (a line of file that starts with it): the named
 * file's text in its place.  A relative name is taken from dir, the
 * directory of the layer's file (as libconfig's include_dir).
 */
static int
expand_include(struct loader *ld, struct text *t, const char *file, int line,
    const char *s, size_t len, size_t *used, const char *dir, int depth)
{
	size_t i = 8, start, end; /* past "@include" */
	char *rel, *path, *body = NULL, at[4096], rerr[4096];
	size_t blen = 0;
	int rc;

	snprintf(at, sizeof(at), "%s:%d", file, line);
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == 8 || i >= len || s[i] != '"')
		return fail_at(ld->err, ld->errlen, at, "@include: expected "
		    "@include \"FILE\"");
	start = ++i;
	while (i < len && s[i] != '"' && s[i] != '\n' && s[i] != '\\' &&
	    s[i] != '\0')
		i++;
	if (i >= len || s[i] != '"' || i == start)
		return fail_at(ld->err, ld->errlen, at, "@include: expected "
		    "@include \"FILE\" (no backslash, on one line)");
	end = i;
	for (i++; i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'); i++)
		;
	if (i < len && s[i] != '\n' && s[i] != '#' &&
	    !(s[i] == '/' && i + 1 < len && s[i + 1] == '/'))
		return fail_at(ld->err, ld->errlen, at, "@include: nothing but a "
		    "comment may follow the file name");
	while (i < len && s[i] != '\n')
		i++;
	*used = i;
	if (depth >= MAX_INCLUDE_DEPTH)
		return fail_at(ld->err, ld->errlen, at, "@include: nested more "
		    "than %d deep", MAX_INCLUDE_DEPTH);
	rel = xstrndup(s + start, end - start);
	if (*rel == '/' || dir == NULL) {
		path = rel;
	} else {
		size_t plen = strlen(dir) + strlen(rel) + 2;

		path = xmalloc(plen);
		xsnprintf(path, plen, "%s/%s", dir, rel);
		free(rel);
	}
	if (read_whole(path, &body, &blen, rerr, sizeof(rerr)) < 0) {
		rc = fail_at(ld->err, ld->errlen, at, "@include: %s", rerr);
	} else {
		const char *name = srcs_name(ld->srcs, path);

		srcs_file(ld->srcs, name);
		text_newline(t, file, line); /* the @include line itself */
		rc = expand(ld, t, name, body, blen, dir, depth + 1);
	}
	free(body);
	free(path);
	return rc;
}

/*
 * s[0..len), the text of file, into t: libconfig's tokens copied as they
 * are but for integers, which get the L suffix (64 bits); @include
 * lines replaced by the text they name.  Strings and comments are copied
 * untouched; a name ([A-Za-z*][-A-Za-z0-9_*]*) is copied whole, so that
 * the 4 of ipv4 is no number.
 */
static int
expand(struct loader *ld, struct text *t, const char *file, const char *s,
    size_t len, const char *dir, int depth)
{
	size_t i = 0, j = 0, k;
	int line = 1, bol = 1;
	char at[4096];

	while (i < len) {
		char c = s[i];

		if (c == '\0') {
			snprintf(at, sizeof(at), "%s:%d", file, line);
			return fail_at(ld->err, ld->errlen, at, "a NUL byte");
		}
		if (c == '\n') {
			text_newline(t, file, line++);
			bol = 1;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			text_put(t, &c, 1);
			i++;
			continue;
		}
		if (bol && c == '@' && len - i >= 8 &&
		    memcmp(s + i, "@include", 8) == 0) {
			if (expand_include(ld, t, file, line, s + i, len - i, &j,
				dir, depth) < 0)
				return -1;
			i += j;
			if (i < len) /* the '\n' ending the @include line */
				i++;
			line++;
			continue;
		}
		bol = 0;
		if (c == '"') { /* a string, escapes and all */
			text_put(t, s + i++, 1);
			while (i < len && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < len && s[i + 1] != '\n') {
					text_put(t, s + i, 2);
					i += 2;
				} else if (s[i] == '\n') {
					text_newline(t, file, line++);
					i++;
				} else if (s[i] == '\0') {
					break;
				} else {
					text_put(t, s + i++, 1);
				}
			}
			if (i < len && s[i] == '"')
				text_put(t, s + i++, 1);
			continue;
		}
		if (c == '#' || (c == '/' && i + 1 < len && s[i + 1] == '/')) {
			for (j = i; j < len && s[j] != '\n' && s[j] != '\0'; j++)
				;
			text_put(t, s + i, j - i);
			i = j;
			continue;
		}
		if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			text_put(t, "/*", 2);
			for (i += 2; i < len; i++) {
				if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
					text_put(t, "*/", 2);
					i += 2;
					break;
				}
				if (s[i] == '\n')
					text_newline(t, file, line++);
				else if (s[i] != '\0')
					text_put(t, s + i, 1);
			}
			continue;
		}
		if (isalpha((unsigned char)c) || c == '*') {
			for (j = i + 1; j < len && (isalnum((unsigned char)s[j]) ||
			    s[j] == '-' || s[j] == '_' || s[j] == '*'); j++)
				;
			text_put(t, s + i, j - i);
			i = j;
			continue;
		}
		if (!isdigit((unsigned char)c) &&
		    !((c == '-' || c == '+') && i + 1 < len &&
		    isdigit((unsigned char)s[i + 1]))) {
			text_put(t, &c, 1);
			i++;
			continue;
		}
		/* a number: [-+]digits, 0xHEX, or a float (copied as is) */
		j = c == '-' || c == '+' ? i + 1 : i;
		if (s[j] == '0' && j + 1 < len && (s[j + 1] == 'x' ||
		    s[j + 1] == 'X')) {
			for (k = j + 2; k < len && isxdigit((unsigned char)s[k]); k++)
				;
			j += 2;
			while (j < k - 1 && s[j] == '0')
				j++;
			if (k - j > 16 || (k - j == 16 && s[j] > '7')) {
				snprintf(at, sizeof(at), "%s:%d", file, line);
				return fail_at(ld->err, ld->errlen, at, "%.*s: a "
				    "number out of range", (int)(k - i), s + i);
			}
		} else {
			for (k = j; k < len && isdigit((unsigned char)s[k]); k++)
				;
			if (k < len && (s[k] == '.' || s[k] == 'e' || s[k] == 'E')) {
				for (k++; k < len && (isdigit((unsigned char)s[k]) ||
				    s[k] == '.' || s[k] == 'e' || s[k] == 'E' ||
				    ((s[k] == '-' || s[k] == '+') &&
				    (s[k - 1] == 'e' || s[k - 1] == 'E'))); k++)
					;
				text_put(t, s + i, k - i);
				i = k;
				continue;
			}
			if (!fits_int64(s + j, k - j, c == '-')) {
				snprintf(at, sizeof(at), "%s:%d", file, line);
				return fail_at(ld->err, ld->errlen, at, "%.*s: a "
				    "number out of range", (int)(k - i > 40 ? 40 : k - i),
				    s + i);
			}
		}
		text_put(t, s + i, k - i);
		if (k < len && s[k] == 'L') {
			k++;
			if (k < len && s[k] == 'L')
				k++;
			text_put(t, "L", 1);
		} else {
			text_put(t, "L", 1);
		}
		i = k;
	}
	if (len > 0 && s[len - 1] != '\n')
		text_newline(t, file, line);
	return 0;
}

/*
 * Layer ld from text (named name, a file or "(built-in ...)"): expanded,
 * then parsed by libconfig.  dir: where relative @include names are.
 */
static int
layer_read(struct loader *ld, const char *name, const char *s, size_t len,
    const char *dir)
{
	struct text t;
	int line;

	memset(&t, 0, sizeof(t));
	ld->fname = name;
	config_init(&ld->file);
	ld->inited = 1;
	if (expand(ld, &t, name, s, len, dir, 0) < 0) {
		free(t.p);
		free(t.lines);
		return -1;
	}
	ld->lines = t.lines;
	ld->nlines = t.nlines;
	if (config_read_string(&ld->file, t.p != NULL ? t.p : "") !=
	    CONFIG_TRUE) {
		line = config_error_line(&ld->file);
		if (line > 0 && (size_t)line <= ld->nlines)
			snprintf(ld->err, ld->errlen, "%s:%d: %s",
			    ld->lines[line - 1].file, ld->lines[line - 1].line,
			    config_error_text(&ld->file));
		else
			snprintf(ld->err, ld->errlen, "%s: %s", name,
			    config_error_text(&ld->file));
		free(t.p);
		return -1;
	}
	free(t.p);
	return 0;
}

static void
layer_free(struct loader *ld)
{
	if (ld->inited)
		config_destroy(&ld->file);
	free(ld->lines);
	ld->inited = 0;
	ld->lines = NULL;
	ld->nlines = 0;
}

/*
 * "NAME=VALUE" becomes "NAME = VALUE;".  A VALUE that is not a libconfig
 * value is taken as a string, so that -o policy=drop and
 * -o state=/tmp/x.db work as well as -o 'policy="drop"'.  Either way it
 * must be one value of the one setting NAME: -o 'threshold=1; policy=
 * "drop"' is refused (NULL, with the reason in err).
 */
static char *
override_text(const char *ov, const char *eq, char *err, size_t errlen)
{
	size_t n = strlen(ov), i;
	char *text = xmalloc(2 * n + 8), *p;
	struct loader probe;
	struct config_sources srcs;
	int ok;

	memcpy(text, ov, n);
	memcpy(text + n, ";\n", 3);
	memset(&probe, 0, sizeof(probe));
	memset(&srcs, 0, sizeof(srcs));
	probe.srcs = &srcs;
	probe.err = err;
	probe.errlen = errlen;
	ok = layer_read(&probe, "-o", text, strlen(text), NULL) == 0;
	if (ok && config_setting_length(config_root_setting(&probe.file)) != 1) {
		layer_free(&probe);
		snprintf(err, errlen, "-o %.64s: one NAME=VALUE per -o", ov);
		free(text);
		return NULL;
	}
	layer_free(&probe);
	if (ok)
		return text;
	if (strstr(err, "a number out of range") != NULL) {
		snprintf(err, errlen, "-o %.64s: a number out of range (at most "
		    "64 bits)", ov);
		free(text);
		return NULL;
	}
	if (strchr(eq, ';') != NULL) {
		snprintf(err, errlen, "-o %.64s: one NAME=VALUE per -o (quote a "
		    "string that holds \";\")", ov);
		free(text);
		return NULL;
	}
	p = text;
	memcpy(p, ov, (size_t)(eq - ov) + 1);
	p += eq - ov + 1;
	*p++ = '"';
	for (i = (size_t)(eq - ov) + 1; i < n; i++) {
		if (ov[i] == '"' || ov[i] == '\\')
			*p++ = '\\';
		*p++ = ov[i];
	}
	memcpy(p, "\";\n", 4);
	return text;
}

static int
overridden_later(char *const *ov, size_t nov, size_t i)
{
	size_t n = (size_t)(strchr(ov[i], '=') - ov[i]), j;

	for (j = i + 1; j < nov; j++)
		if (strncmp(ov[i], ov[j], n + 1) == 0)
			return 1;
	return 0;
}

/* The -o layer: one line of libconfig text per -o, the last of a name. */
static int
load_overrides(struct loader *ld, char *const *ov, size_t nov)
{
	size_t i, j, len = 0;
	char *text = NULL, *one;
	int rc;

	for (i = 0; i < nov; i++) {
		const char *eq = strchr(ov[i], '=');

		if (eq == NULL || eq == ov[i]) {
			snprintf(ld->err, ld->errlen,
			    "-o %.64s: expected NAME=VALUE", ov[i]);
			free(text);
			return -1;
		}
		for (j = 0; ov[i] + j < eq; j++)
			if (!isalnum((unsigned char)ov[i][j]) && ov[i][j] != '_' &&
			    ov[i][j] != '-') {
				snprintf(ld->err, ld->errlen,
				    "-o %.64s: bad setting name", ov[i]);
				free(text);
				return -1;
			}
		if (strpbrk(eq, "\n\r") != NULL) {
			snprintf(ld->err, ld->errlen, "-o %.*s: the value must be "
			    "on one line", (int)(eq - ov[i]), ov[i]);
			free(text);
			return -1;
		}
		if (overridden_later(ov, nov, i))
			continue; /* the last -o of a name wins */
		if ((one = override_text(ov[i], eq, ld->err, ld->errlen)) == NULL) {
			free(text);
			return -1;
		}
		text = xrealloc(text, len + strlen(one) + 1);
		memcpy(text + len, one, strlen(one) + 1);
		len += strlen(one);
		free(one);
	}
	if (text == NULL)
		return 0;
	ld->is_ov = 1;
	rc = layer_read(ld, "-o", text, len, NULL);
	free(text);
	return rc;
}

/* libconfig text of a string. */
static void
put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* libconfig text of s's value. */
static void
put_value(FILE *out, const config_setting_t *s)
{
	const config_setting_t *e;
	const char *open = "[ ", *close = " ]";

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		fprintf(out, "%lld", (long long)config_setting_get_int64(s));
		return;
	case CONFIG_TYPE_FLOAT:
		fprintf(out, "%#.17g", config_setting_get_float(s));
		return;
	case CONFIG_TYPE_BOOL:
		fputs(config_setting_get_bool(s) ? "true" : "false", out);
		return;
	case CONFIG_TYPE_STRING:
		put_string(out, config_setting_get_string(s));
		return;
	case CONFIG_TYPE_GROUP:
		fputs("{ ", out);
		for (unsigned i = 0; (e = config_setting_get_elem(s, i)) != NULL;
		     i++) {
			fprintf(out, "%s = ", config_setting_name(e));
			put_value(out, e);
			fputs("; ", out);
		}
		fputc('}', out);
		return;
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_ARRAY:
		if (config_setting_type(s) == CONFIG_TYPE_LIST) {
			open = "( ";
			close = " )";
		}
		if (config_setting_length(s) == 0) {
			fputs(open[0] == '(' ? "()" : "[]", out);
			return;
		}
		fputs(open, out);
		for (unsigned i = 0; (e = config_setting_get_elem(s, i)) != NULL;
		     i++) {
			fputs(i ? ", " : "", out);
			put_value(out, e);
		}
		fputs(close, out);
		return;
	default:
		fputs("?", out);
	}
}

static void
origin_set(struct config_sources *srcs, const char *key,
    const config_setting_t *s, const char *at)
{
	struct origin *o = NULL;
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	if ((out = open_memstream(&text, &size)) == NULL)
		msg_fatal("open_memstream: %s", strerror(errno));
	put_value(out, s);
	if (fclose(out) != 0 || text == NULL)
		msg_fatal("cannot write a configuration value");
	for (size_t i = 0; i < srcs->norigins && o == NULL; i++)
		if (strcmp(srcs->origins[i].key, key) == 0)
			o = &srcs->origins[i];
	if (o == NULL) {
		srcs->origins = xreallocarray(srcs->origins, srcs->norigins + 1,
		    sizeof(*srcs->origins));
		o = &srcs->origins[srcs->norigins++];
		o->key = xstrdup(key);
	} else {
		free(o->text);
		free(o->where);
	}
	o->text = text;
	o->where = xstrdup(at);
}

/* Where each setting of the layer ld, member by member in groups, came
 * from (the patterns keep theirs in struct pdef). */
static void
record_origins(struct loader *ld, struct config_sources *srcs)
{
	config_setting_t *root = config_root_setting(&ld->file), *m, *e;
	char key[256], at[4096];

	for (unsigned i = 0; (m = config_setting_get_elem(root, i)) != NULL; i++) {
		const char *name = config_setting_name(m);

		if (strcmp(name, "patterns") == 0)
			continue;
		if (!config_setting_is_group(m)) {
			origin_set(srcs, name, m, where(ld, m, at, sizeof(at)));
			continue;
		}
		for (unsigned j = 0; (e = config_setting_get_elem(m, j)) != NULL;
		     j++) {
			snprintf(key, sizeof(key), "%s.%s", name,
			    config_setting_name(e));
			origin_set(srcs, key, e, where(ld, e, at, sizeof(at)));
		}
	}
}

/* One group member or setting of config_print(): VALUE; # WHERE */
static void
print_origin(FILE *out, const char *indent, const char *name,
    const struct origin *o)
{
	fprintf(out, "%s%s = %s;  # %s\n", indent, name, o->text, o->where);
}

static void
print_pattern(FILE *out, const struct pdef *d)
{
	fputs("  {\n    name = ", out);
	put_string(out, d->name);
	fprintf(out, ";  # %s\n", d->where[PD_NAME]);
	if (d->where[PD_ENABLED] != NULL)
		fprintf(out, "    enabled = %s;  # %s\n",
		    d->enabled ? "true" : "false", d->where[PD_ENABLED]);
	if (d->where[PD_PROGRAM] != NULL) {
		fputs("    program = [ ", out);
		for (size_t i = 0; i < d->nprogs; i++) {
			fputs(i ? ", " : "", out);
			put_string(out, d->progs[i]);
		}
		fprintf(out, " ];  # %s\n", d->where[PD_PROGRAM]);
	}
	if (d->where[PD_SCORE] != NULL)
		fprintf(out, "    score = %lld;  # %s\n", d->score,
		    d->where[PD_SCORE]);
	if (d->where[PD_NOTICE] != NULL)
		fprintf(out, "    notice = \"dnsbl-error\";  # %s\n",
		    d->where[PD_NOTICE]);
	if (d->where[PD_UNLESS] != NULL) {
		fputs("    unless = [ ", out);
		for (size_t i = 0; i < d->nunless; i++) {
			fputs(i ? ", " : "", out);
			put_string(out, d->unless[i]);
		}
		fprintf(out, " ];  # %s\n", d->where[PD_UNLESS]);
	}
	if (d->where[PD_REGEX] != NULL) {
		fputs("    regex = ", out);
		put_string(out, d->regex);
		fprintf(out, ";  # %s\n", d->where[PD_REGEX]);
	}
	fputs("  }", out);
}

void
config_print(const struct config *cfg, FILE *out)
{
	const struct config_sources *srcs = cfg->sources;
	size_t k, i, n;

	fputs("# mailban: the configuration in effect; after each value, the "
	    "file and line\n# it came from.  Files read, in order:\n", out);
	for (i = 0; i < srcs->nfiles; i++)
		fprintf(out, "#   %s\n", srcs->files[i]);
	for (k = 0; known[k] != NULL; k++) {
		size_t len = strlen(known[k]);

		if (strcmp(known[k], "patterns") == 0) {
			fputs("patterns = (\n", out);
			for (i = 0, n = 0; i < srcs->npdefs; i++) {
				fputs(n++ ? ",\n" : "", out);
				print_pattern(out, &srcs->pdefs[i]);
			}
			fputs("\n);\n", out);
			continue;
		}
		for (i = 0, n = 0; i < srcs->norigins; i++) {
			const struct origin *o = &srcs->origins[i];

			if (strcmp(o->key, known[k]) == 0)
				print_origin(out, "", o->key, o);
			else if (strncmp(o->key, known[k], len) == 0 &&
			    o->key[len] == '.') {
				if (n++ == 0)
					fprintf(out, "%s = {\n", known[k]);
				print_origin(out, "  ", o->key + len + 1, o);
			}
		}
		if (n > 0)
			fputs("};\n", out);
	}
}

size_t
config_file_count(const struct config *cfg)
{
	return cfg->sources->nfiles;
}

const char *
config_file_name(const struct config *cfg, size_t i)
{
	return i < cfg->sources->nfiles ? cfg->sources->files[i] : NULL;
}

/*
 * The settings of ld's layer (the patterns too, but for the defaults)
 * over what cfg holds: a setting, or a member of a group, that the layer
 * leaves out keeps its value.
 */
static int
load_settings(struct loader *ld, struct config *cfg, enum layer_kind kind)
{
	if (check_names(ld, &ld->file) < 0 ||
	    load_scalars(ld, cfg) < 0 || load_ports(ld, cfg) < 0 ||
	    load_sets(ld, cfg) < 0 || load_ignore(ld, cfg) < 0 ||
	    load_bantimes(ld, cfg) < 0 || load_group_batch(ld, cfg) < 0 ||
	    load_group_limits(ld, cfg) < 0 || load_group_zone(ld, cfg) < 0 ||
	    load_group_prefix(ld, cfg, "prefix") < 0 ||
	    load_group_prefix(ld, cfg, "widen") < 0 ||
	    load_trust(ld, cfg) < 0 || load_patterns(ld, cfg, kind) < 0 ||
	    load_group_report(ld, cfg) < 0 ||
	    load_group_metrics(ld, cfg) < 0 ||
	    load_group_privileges(ld, cfg) < 0)
		return -1;
	record_origins(ld, cfg->sources);
	return 0;
}

/*
 * The defaults the built-in text leaves out: the zone group (a fleet
 * feature, off unless zone.ipv4 or zone.ipv6 names a file) is the one
 * setting etc/mailban.conf does not state.  Every other default is the
 * value the built-in text gives.
 */
static const char zone_defaults[] =
    "zone = { every = \"5s\"; value = \"127.0.0.2\";\n"
    "         text = \"Listed by mailban: abusive SMTP client $\"; };\n";

#define BUILTIN "(built-in configuration)"
#define BUILTIN_DEFAULTS "(built-in defaults)"

/* One layer of text over cfg; 0, or -1 with err. */
static int
load_layer(struct config *cfg, const char *name, const char *text, size_t len,
    const char *dir, enum layer_kind kind, char *err, size_t errlen)
{
	struct loader ld;
	int rc;

	memset(&ld, 0, sizeof(ld));
	ld.srcs = cfg->sources;
	ld.err = err;
	ld.errlen = errlen;
	rc = layer_read(&ld, name, text, len, dir);
	if (rc == 0)
		rc = load_settings(&ld, cfg, kind);
	layer_free(&ld);
	return rc;
}

/* The file path as a layer; its @include names are taken from its
 * directory. */
static int
load_file(struct config *cfg, const char *path, enum layer_kind kind,
    char *err, size_t errlen)
{
	const char *name = srcs_name(cfg->sources, path);
	char *text = NULL, *dir = xstrdup(path), *slash = strrchr(dir, '/');
	size_t len = 0;
	int rc = -1;

	if (slash != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	srcs_file(cfg->sources, name);
	if (read_whole(path, &text, &len, err, errlen) == 0)
		rc = load_layer(cfg, name, text, len, slash != NULL ? dir : NULL,
		    kind, err, errlen);
	free(text);
	free(dir);
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The drop-ins BASE.d/NAME.conf over cfg, in the byte order of NAME; a
 * missing directory has none. */
static int
load_dropins(struct config *cfg, const char *base, char *err, size_t errlen)
{
	size_t n = 0, i, len, dlen = strlen(base) + 3, plen;
	char *dirname = xmalloc(dlen), **names = NULL, *path;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	xsnprintf(dirname, dlen, "%s.d", base);
	if ((d = opendir(dirname)) == NULL) {
		if (errno != ENOENT && errno != ENOTDIR) {
			snprintf(err, errlen, "%s: cannot read: %s", dirname,
			    strerror(errno));
			rc = -1;
		}
		free(dirname);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		if (n == MAX_DROPINS) {
			snprintf(err, errlen, "%s: more than %d files", dirname,
			    MAX_DROPINS);
			rc = -1;
			break;
		}
		names = xreallocarray(names, n + 1, sizeof(char *));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(char *), by_name);
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			plen = strlen(dirname) + strlen(names[i]) + 2;
			path = xmalloc(plen);
			xsnprintf(path, plen, "%s/%s", dirname, names[i]);
			rc = load_file(cfg, path, LAYER_MORE, err, errlen);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	free(dirname);
	return rc;
}

/*
 * The layers: the built-in defaults, path (NULL: the built-in text),
 * the drop-ins of base (NULL: none), the overrides; then the patterns.
 */
static struct config *
load_all(const char *path, const char *base, char *const *overrides,
    size_t noverrides, char *err, size_t errlen)
{
	struct config *cfg;
	struct loader ld;
	char note[4096];
	int rc;

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(path ? path : BUILTIN);
	cfg->patterns = pattern_set_new();
	cfg->sources = xcalloc(1, sizeof(*cfg->sources));
	if (load_layer(cfg, BUILTIN_DEFAULTS, zone_defaults,
		strlen(zone_defaults), NULL, LAYER_DEFAULTS, err, errlen) < 0)
		goto fail;
	/* the built-in text is parsed once, also when it is the main layer
	 * too (load_settings() only reads a layer) */
	memset(&ld, 0, sizeof(ld));
	ld.srcs = cfg->sources;
	ld.err = err;
	ld.errlen = errlen;
	rc = layer_read(&ld, BUILTIN, config_default_text,
	    strlen(config_default_text), NULL);
	if (rc == 0)
		rc = load_settings(&ld, cfg, LAYER_DEFAULTS);
	if (rc == 0 && path == NULL) {
		if (base != NULL)
			snprintf(note, sizeof(note), "%s: %s does not exist", BUILTIN,
			    base);
		else
			snprintf(note, sizeof(note), "%s", BUILTIN);
		srcs_file(cfg->sources, srcs_name(cfg->sources, note));
		rc = load_settings(&ld, cfg, LAYER_MAIN);
	}
	layer_free(&ld);
	if (rc < 0)
		goto fail;
	if (path != NULL && load_file(cfg, path, LAYER_MAIN, err, errlen) < 0)
		goto fail;
	if (base != NULL && load_dropins(cfg, base, err, errlen) < 0)
		goto fail;
	memset(&ld, 0, sizeof(ld));
	ld.srcs = cfg->sources;
	ld.err = err;
	ld.errlen = errlen;
	ld.fname = "-o";
	rc = load_overrides(&ld, overrides, noverrides);
	if (rc == 0 && ld.inited) {
		for (size_t i = 0; i < noverrides; i++) {
			snprintf(note, sizeof(note), "-o %s", overrides[i]);
			srcs_file(cfg->sources, srcs_name(cfg->sources, note));
		}
		rc = load_settings(&ld, cfg, LAYER_MORE);
	}
	layer_free(&ld);
	if (rc < 0 || compile_patterns(cfg, err, errlen) < 0)
		goto fail;
	if (cfg->widen_count != 0 && (cfg->widen4 >= cfg->prefix4 ||
	    cfg->widen6 >= cfg->prefix6)) {
		snprintf(err, errlen, "%s: widen.ipv4 (%u) and widen.ipv6 (%u) "
		    "must be shorter prefixes than prefix.ipv4 (%u) and "
		    "prefix.ipv6 (%u), or widen.count = 0", cfg->path,
		    cfg->widen4, cfg->widen6, cfg->prefix4, cfg->prefix6);
		goto fail;
	}
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

struct config *
config_load(const char *path, char *const *overrides, size_t noverrides,
    char *err, size_t errlen)
{
	return load_all(path, path, overrides, noverrides, err, errlen);
}

struct config *
config_load_default(const char *path, char *const *overrides,
    size_t noverrides, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) == 0 || errno != ENOENT)
		return load_all(path, path, overrides, noverrides, err, errlen);
	return load_all(NULL, path, overrides, noverrides, err, errlen);
}

static void
sources_free(struct config_sources *srcs)
{
	size_t i, k;

	if (srcs == NULL)
		return;
	for (i = 0; i < srcs->nnames; i++)
		free(srcs->names[i]);
	for (i = 0; i < srcs->norigins; i++) {
		free(srcs->origins[i].key);
		free(srcs->origins[i].text);
		free(srcs->origins[i].where);
	}
	for (i = 0; i < srcs->npdefs; i++) {
		struct pdef *d = &srcs->pdefs[i];

		free(d->name);
		for (k = 0; k < d->nprogs; k++)
			free(d->progs[k]);
		free(d->progs);
		free(d->regex);
		for (k = 0; k < d->nunless; k++)
			free(d->unless[k]);
		free(d->unless);
		for (k = 0; k < PD_N; k++)
			free(d->where[k]);
	}
	free(srcs->names);
	free(srcs->files);
	free(srcs->origins);
	free(srcs->pdefs);
	free(srcs);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	pattern_set_free(cfg->patterns);
	addr_list_free(&cfg->ignore);
	for (size_t i = 0; i < cfg->nreport_dnsbl; i++)
		free(cfg->report_dnsbl[i]);
	free(cfg->report_html);
	free(cfg->report_lookup);
	free(cfg->metrics_file);
	free(cfg->run_user);
	free(cfg->zone4);
	free(cfg->zone6);
	free(cfg->zone_text);
	free(cfg->state);
	free(cfg->path);
	sources_free(cfg->sources);
	trust_free(&cfg->trust);
	free(cfg);
}
