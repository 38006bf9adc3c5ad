/*
 * NAME
 *	config - libconfig file to an immutable struct config
 * DESCRIPTION
 *	See include/config.h.  Every top-level setting is looked up first among
 *	the -o overrides, then in the file; an unknown top-level name is an
 *	error (a typo must not silently fall back to a default).  Errors name
 *	FILE:LINE of the offending setting.
 */
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fmt.h"
#include "log.h"
#include "pattern.h"

#define MAX_DURATION (100LL * 365 * SECONDS_DAY)

struct loader {
	config_t file;
	config_t ov;
	int have_ov;
	const char *fname; /* for diagnostics */
	char *err;
	size_t errlen;
};

static const char *const known[] = {"policy", "ports", "sets", "ignore",
    "threshold", "window", "bantimes", "forget", "state", "batch", "limits",
    "zone", "patterns", "report", "privileges", NULL};

static int
fail(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
    MB_PRINTF(3, 4);

static int
fail(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	char msg[512];
	const char *file = NULL;
	va_list ap;
	int line = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s != NULL && ld->have_ov && s->config == &ld->ov) {
		const config_setting_t *t = s;

		while (t->parent != NULL && t->parent->parent != NULL)
			t = t->parent;
		snprintf(ld->err, ld->errlen, "-o %s: %s",
		    t->name ? t->name : "?", msg);
		return -1;
	}
	if (s != NULL) {
		file = config_setting_source_file(s);
		line = (int)config_setting_source_line(s);
	}
	if (file == NULL)
		file = ld->fname;
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%d: %s", file, line, msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", file, msg);
	return -1;
}

static config_setting_t *
top(struct loader *ld, const char *name)
{
	config_setting_t *s;

	if (ld->have_ov) {
		s = config_setting_get_member(config_root_setting(&ld->ov), name);
		if (s != NULL)
			return s;
	}
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

static int
load_one_pattern(struct loader *ld, struct config *cfg, config_setting_t *g)
{
	config_setting_t *m, *prog;
	const char *name = NULL, *regex = NULL, *v = NULL;
	const char *progs[64];
	size_t nprogs = 0;
	long long score = -1;
	char err[512];

	if (!config_setting_is_group(g))
		return fail(ld, g, "patterns: each pattern is a group { name = ...; }");
	prog = NULL;
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
		} else if (strcmp(mn, "regex") == 0) {
			if (get_string(ld, m, &regex) < 0)
				return -1;
		} else {
			return fail(ld, m, "pattern: unknown setting \"%s\"", mn);
		}
	}
	if (name == NULL || *name == '\0')
		return fail(ld, g, "pattern: missing name");
	if (prog == NULL || regex == NULL || score < 0)
		return fail(ld, g, "pattern \"%.64s\": needs program, score and regex",
		    name);
	for (size_t i = 0; i < pattern_count(cfg->patterns); i++)
		if (strcmp(pattern_name(pattern_get(cfg->patterns, i)), name) == 0)
			return fail(ld, g, "pattern \"%.64s\": defined twice", name);
	if (config_setting_type(prog) == CONFIG_TYPE_STRING) {
		progs[nprogs++] = config_setting_get_string(prog);
	} else if (is_list(prog)) {
		for (unsigned i = 0; (m = config_setting_get_elem(prog, i)) != NULL;
		     i++) {
			if (nprogs >= sizeof(progs) / sizeof(progs[0]))
				return fail(ld, m, "program: at most 64 names");
			if (get_string(ld, m, &v) < 0)
				return -1;
			progs[nprogs++] = v;
		}
	} else {
		return fail(ld, prog, "program: expected a string or a list of "
		    "strings");
	}
	if (nprogs == 0)
		return fail(ld, prog, "program: at least one program name");
	for (size_t i = 0; i < nprogs; i++)
		if (*progs[i] == '\0')
			return fail(ld, prog, "program: empty name");
	if (pattern_add(cfg->patterns, name, progs, nprogs, (long)score, regex,
		err, sizeof(err)) < 0)
		return fail(ld, config_setting_get_member(g, "regex"), "%s", err);
	return 0;
}

static int
load_patterns(struct loader *ld, struct config *cfg)
{
	config_setting_t *s = top(ld, "patterns"), *g;

	if (s == NULL)
		return fail(ld, NULL, "no patterns defined");
	if (!is_list(s))
		return fail(ld, s, "patterns: expected a list ( { ... }, { ... } )");
	for (unsigned i = 0; (g = config_setting_get_elem(s, i)) != NULL; i++)
		if (load_one_pattern(ld, cfg, g) < 0)
			return -1;
	if (pattern_count(cfg->patterns) == 0)
		return fail(ld, s, "patterns: the list is empty");
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

/*
 * "NAME=VALUE" becomes "NAME = VALUE;".  A VALUE that is not a libconfig
 * value is taken as a string, so that -o policy=drop and
 * -o state=/tmp/x.db work as well as -o 'policy="drop"'.
 */
static char *
override_text(const char *ov, const char *eq)
{
	size_t n = strlen(ov), i;
	char *text = xmalloc(2 * n + 8), *p;
	config_t probe;
	int ok;

	memcpy(text, ov, n);
	memcpy(text + n, ";\n", 3);
	config_init(&probe);
	ok = config_read_string(&probe, text) == CONFIG_TRUE;
	config_destroy(&probe);
	if (ok)
		return text;
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

static int
load_overrides(struct loader *ld, char *const *ov, size_t nov)
{
	size_t i, j, len = 0;
	char *text = NULL, *one;

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
		if (overridden_later(ov, nov, i))
			continue; /* the last -o of a name wins */
		one = override_text(ov[i], eq);
		text = xrealloc(text, len + strlen(one) + 1);
		memcpy(text + len, one, strlen(one) + 1);
		len += strlen(one);
		free(one);
	}
	if (text == NULL)
		return 0;
	config_init(&ld->ov);
	ld->have_ov = 1;
	if (config_read_string(&ld->ov, text) != CONFIG_TRUE) {
		int line = config_error_line(&ld->ov);

		snprintf(ld->err, ld->errlen, "-o %.64s: %s",
		    line > 0 && (size_t)line <= nov ? ov[line - 1] : "",
		    config_error_text(&ld->ov));
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

/*
 * The defaults the built-in text leaves out: the zone group (a fleet
 * feature, off unless zone.ipv4 or zone.ipv6 names a file) is the one
 * setting etc/mailban.conf does not state.  Every other default is the
 * value the built-in text gives.
 */
static void
set_zone_defaults(struct config *cfg)
{
	cfg->zone_every = 5;
	snprintf(cfg->zone_value, sizeof(cfg->zone_value), "127.0.0.2");
	cfg->zone_text = xstrdup("Listed by mailban: abusive SMTP client $");
}

/*
 * The settings of ld's file and overrides (the patterns too when
 * patterns is set) over what cfg holds: a setting, or a member of a
 * group, that the file leaves out keeps its value.
 */
static int
load_settings(struct loader *ld, struct config *cfg, int patterns)
{
	if (check_names(ld, &ld->file) < 0 ||
	    (ld->have_ov && check_names(ld, &ld->ov) < 0) ||
	    load_scalars(ld, cfg) < 0 || load_ports(ld, cfg) < 0 ||
	    load_sets(ld, cfg) < 0 || load_ignore(ld, cfg) < 0 ||
	    load_bantimes(ld, cfg) < 0 || load_group_batch(ld, cfg) < 0 ||
	    load_group_limits(ld, cfg) < 0 || load_group_zone(ld, cfg) < 0 ||
	    (patterns && load_patterns(ld, cfg) < 0) ||
	    load_group_report(ld, cfg) < 0 ||
	    load_group_privileges(ld, cfg) < 0)
		return -1;
	return 0;
}

/* The built-in text's settings (its patterns aside) as cfg's defaults. */
static int
load_defaults(struct config *cfg, char *err, size_t errlen)
{
	struct loader ld;
	int rc = -1;

	memset(&ld, 0, sizeof(ld));
	ld.err = err;
	ld.errlen = errlen;
	ld.fname = "(built-in configuration)";
	set_zone_defaults(cfg);
	config_init(&ld.file);
	if (config_read_string(&ld.file, config_default_text) != CONFIG_TRUE)
		snprintf(err, errlen, "%s:%d: %s", ld.fname,
		    config_error_line(&ld.file), config_error_text(&ld.file));
	else
		rc = load_settings(&ld, cfg, 0);
	config_destroy(&ld.file);
	return rc;
}

struct config *
config_load(const char *path, char *const *overrides, size_t noverrides,
    char *err, size_t errlen)
{
	struct loader ld;
	struct config *cfg;
	int ok;

	memset(&ld, 0, sizeof(ld));
	ld.err = err;
	ld.errlen = errlen;
	ld.fname = path ? path : "(built-in configuration)";
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(ld.fname);
	cfg->patterns = pattern_set_new();
	if (load_defaults(cfg, err, errlen) < 0) {
		config_free(cfg);
		return NULL;
	}
	config_init(&ld.file);
	if (path != NULL) {
		char *dir = xstrdup(path), *slash = strrchr(dir, '/');

		if (slash != NULL) {
			*slash = '\0';
			config_set_include_dir(&ld.file, *dir ? dir : "/");
		}
		ok = config_read_file(&ld.file, path);
		free(dir);
	} else {
		ok = config_read_string(&ld.file, config_default_text);
	}
	if (ok != CONFIG_TRUE) {
		const char *f = config_error_file(&ld.file);

		if (config_error_type(&ld.file) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", ld.fname,
			    strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s", f ? f : ld.fname,
			    config_error_line(&ld.file), config_error_text(&ld.file));
		goto fail;
	}
	if (load_overrides(&ld, overrides, noverrides) < 0 ||
	    load_settings(&ld, cfg, 1) < 0)
		goto fail;
	config_destroy(&ld.file);
	if (ld.have_ov)
		config_destroy(&ld.ov);
	return cfg;
fail:
	config_destroy(&ld.file);
	if (ld.have_ov)
		config_destroy(&ld.ov);
	config_free(cfg);
	return NULL;
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
	free(cfg->run_user);
	free(cfg->zone4);
	free(cfg->zone6);
	free(cfg->zone_text);
	free(cfg->state);
	free(cfg->path);
	free(cfg);
}
