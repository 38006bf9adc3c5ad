/*
 * NAME
 *	mailban - stop abusive mail clients at the firewall
 * SYNOPSIS
 *	mailban COMMAND [-c FILE] [-o NAME=VALUE]... [ARGS]
 * DESCRIPTION
 *	The command line: one table of the commands, what each takes and
 *	where it lives (src/cmd_*.c), and the helpers they share.  An option
 *	or a number of arguments a command does not take is a usage error
 *	that names the command and prints its synopsis; nothing runs.  See
 *	mailban(8).
 *
 *	Exit status: 0 success, 1 runtime failure, 2 usage or configuration.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "firewall.h"
#include "fmt.h"
#include "kset.h"
#include "log.h"
#include "privdrop.h"

/* Without -c: this file when it exists, else the built-in configuration;
 * its drop-ins DEFAULT_CONFIG.d/ either way.  meson.build passes the
 * sysconfdir of the build (test builds point it elsewhere). */
#ifndef MAILBAN_SYSCONFDIR
#error "MAILBAN_SYSCONFDIR is not defined (meson.build passes it)"
#endif
#define DEFAULT_CONFIG MAILBAN_SYSCONFDIR "/mailban/mailban.conf"
#ifndef MAILBAN_VERSION
#error "MAILBAN_VERSION is not defined (meson.build passes it)"
#endif

static int cmd_help(struct cmdline *cl);
static int cmd_version(struct cmdline *cl);

/* The options, one bit each in a command's row. */
enum {
	OPT_C = 1 << 0, /* -c FILE */
	OPT_O = 1 << 1, /* -o NAME=VALUE, repeated */
	OPT_JSON = 1 << 2,
	OPT_PRINT = 1 << 3,
	OPT_OMPROG = 1 << 4,
	OPT_BANS_ONLY = 1 << 5,
	OPT_NOW = 1 << 6,
	OPT_HTML = 1 << 7,
	OPT_REQUIRE_CRED = 1 << 8,
	OPT_MISSED = 1 << 9,
	OPT_JOURNAL = 1 << 10,
	OPT_JOURNAL_DIR = 1 << 11,
	OPT_SINCE = 1 << 12,
	OPT_UNTIL = 1 << 13,
	OPT_FOR = 1 << 14,
	OPT_REASON = 1 << 15,
	OPT_LIST = 1 << 16,
	OPT_VERBOSE = 1 << 17,
	OPT_PROMETHEUS = 1 << 18,
};
#define OPT_CONFIG (OPT_C | OPT_O)

#define OPT_LONG 0x100 /* getopt's answers for long options start here */

static const struct opt {
	unsigned bit;
	int ch; /* getopt's answer: the short option, or OPT_LONG + n */
	const char *name; /* long name; NULL for a short option */
	const char *arg; /* its argument in the synopsis; NULL: none */
} opts[] = {
	{OPT_C, 'c', NULL, "FILE"},
	{OPT_O, 'o', NULL, "NAME=VALUE"},
	{OPT_JSON, OPT_LONG + 0, "json", NULL},
	{OPT_PRINT, OPT_LONG + 1, "print", NULL},
	{OPT_OMPROG, OPT_LONG + 2, "omprog", NULL},
	{OPT_BANS_ONLY, OPT_LONG + 3, "bans-only", NULL},
	{OPT_NOW, OPT_LONG + 4, "now", "TIME"},
	{OPT_HTML, OPT_LONG + 5, "html", "FILE"},
	{OPT_REQUIRE_CRED, OPT_LONG + 6, "require-credentials", NULL},
	{OPT_MISSED, OPT_LONG + 7, "missed", NULL},
	{OPT_JOURNAL, OPT_LONG + 8, "journal", NULL},
	{OPT_JOURNAL_DIR, OPT_LONG + 9, "journal-directory", "DIR"},
	{OPT_SINCE, OPT_LONG + 10, "since", "TIME"},
	{OPT_UNTIL, OPT_LONG + 11, "until", "TIME"},
	{OPT_FOR, OPT_LONG + 12, "for", "DURATION"},
	{OPT_REASON, OPT_LONG + 13, "reason", "TEXT"},
	{OPT_LIST, OPT_LONG + 14, "list", NULL},
	{OPT_VERBOSE, OPT_LONG + 15, "verbose", NULL},
	{OPT_PROMETHEUS, OPT_LONG + 16, "prometheus", NULL},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

#define ARGS_ANY (-1)

/*
 * The commands, in the order of --help.  takes: the OPT_ bits it
 * accepts; min_args, max_args: how many arguments (ARGS_ANY: no upper
 * bound), shown as args in the synopsis; what: its line in --help ("\n"
 * continues it on the next line).  The synopsis is made from the row, so
 * that it cannot say other than what is checked.
 */
static const struct command {
	const char *name;
	int (*fn)(struct cmdline *);
	unsigned takes;
	int min_args, max_args;
	const char *args;
	const char *what;
} commands[] = {
	{"run", cmd_run, OPT_CONFIG | OPT_OMPROG | OPT_REQUIRE_CRED |
	    OPT_JOURNAL | OPT_JOURNAL_DIR | OPT_SINCE, 0, 0, "",
	    "read log lines on stdin (or the systemd\n"
	    "journal: --journal), ban in the kernel"},
	{"test", cmd_test, OPT_CONFIG | OPT_JSON | OPT_BANS_ONLY | OPT_NOW |
	    OPT_REQUIRE_CRED | OPT_MISSED | OPT_JOURNAL | OPT_JOURNAL_DIR |
	    OPT_SINCE | OPT_UNTIL | OPT_VERBOSE, 0, ARGS_ANY, "[FILE...]",
	    "replay logs (or the journal), change\n"
	    "nothing, report; year-less stamps are\n"
	    "taken as the last year before TIME\n"
	    "(default: now); --missed: print the MTAs'\n"
	    "rejects and failures that no pattern reads;\n"
	    "--verbose: score-0 records too"},
	{"setup", cmd_setup, OPT_CONFIG | OPT_PRINT, 0, 0, "",
	    "create the sets and firewall rules"},
	{"restore", cmd_restore, OPT_CONFIG, 0, 0, "",
	    "re-apply the active bans from the state"},
	{"list", cmd_list, OPT_CONFIG | OPT_JSON, 0, 0, "", "active bans"},
	{"status", cmd_status, OPT_CONFIG | OPT_JSON | OPT_PROMETHEUS, 0, 0, "",
	    "state file, sets, active bans, matches and\n"
	    "bans per pattern, top offenders, errors;\n"
	    "--prometheus: the metrics, Prometheus text format"},
	{"report", cmd_report, OPT_CONFIG | OPT_HTML, 0, 0, "",
	    "write the static HTML page of the bans\n"
	    "(default FILE: report.html)"},
	{"ban", cmd_ban, OPT_CONFIG | OPT_JSON | OPT_FOR | OPT_REASON, 1,
	    ARGS_ANY,
	    "ADDR|ADDR/LEN...", "ban by hand (default length: the\n"
	    "escalation's for the address's count);\n"
	    "a network at most as wide as widen.*"},
	{"unban", cmd_unban, OPT_CONFIG | OPT_JSON, 1, ARGS_ANY,
	    "ADDR|ADDR/LEN...", "lift bans (an address inside a banned\n"
	    "network lifts the network, a network\n"
	    "every ban inside it too)"},
	{"flush", cmd_flush, OPT_CONFIG, 0, 0, "", "remove every ban"},
	{"allow", cmd_allow, OPT_CONFIG | OPT_FOR | OPT_REASON | OPT_LIST |
	    OPT_JSON, 0, ARGS_ANY, "[ADDR|CIDR...]",
	    "never ban these (runtime allow list,\n"
	    "lifts their bans); --list: the list"},
	{"disallow", cmd_disallow, OPT_CONFIG | OPT_JSON, 1, ARGS_ANY,
	    "ADDR|CIDR...",
	    "remove entries of the allow list"},
	{"why", cmd_why, OPT_CONFIG | OPT_JSON, 1, 1, "ADDR|ADDR/LEN",
	    "bans, scores and evidence lines of ADDR"},
	{"reload", cmd_reload, OPT_CONFIG, 0, 0, "",
	    "make the running mailban run read its\n"
	    "configuration again; wait for its answer"},
	{"check", cmd_check, OPT_CONFIG | OPT_PRINT | OPT_JSON, 0, 0, "",
	    "validate the configuration, list the files\n"
	    "read; --print: the configuration in\n"
	    "effect, each value with its FILE:LINE"},
	{"help", cmd_help, 0, 0, 1, "[COMMAND]",
	    "this text, or COMMAND's synopsis and\n"
	    "options"},
	{"version", cmd_version, 0, 0, 0, "", "mailban's version"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

#define HELP_COLUMN 29 /* where the lines of --help start their text */

/* The options and arguments of c, without -c and -o when all is 0. */
static void
put_synopsis(FILE *out, const struct command *c, int all)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];

		if (!(c->takes & o->bit) || (!all && (o->bit & OPT_CONFIG)))
			continue;
		fputs(sep, out);
		if (o->name != NULL)
			fprintf(out, "[--%s", o->name);
		else
			fprintf(out, "[-%c", o->ch);
		if (o->arg != NULL)
			fprintf(out, " %s", o->arg);
		fputs(o->bit == OPT_O ? "]..." : "]", out);
		sep = " ";
	}
	if (c->args[0] != '\0')
		fprintf(out, "%s%s", sep, c->args);
}

/* The text of --help, made once from the tables. */
static const char *
usage_text(void)
{
	static char *text;
	size_t size, i;
	long col;
	const char *p;
	FILE *out;

	if (text != NULL)
		return text;
	if ((out = open_memstream(&text, &size)) == NULL)
		msg_fatal("open_memstream: %s", strerror(errno));
	fputs("usage: mailban COMMAND [-c FILE] [-o NAME=VALUE]... [ARGS]\n"
	    "commands:\n", out);
	for (i = 0; i < NCOMMANDS; i++) {
		const struct command *c = &commands[i];
		long start;

		fprintf(out, "  %-7s ", c->name);
		start = ftell(out);
		put_synopsis(out, c, 0);
		col = (long)(strlen(c->name) > 7 ? strlen(c->name) : 7) + 3 +
		    ftell(out) - start;
		if (col >= HELP_COLUMN)
			fprintf(out, "\n%*s", HELP_COLUMN, "");
		else
			fprintf(out, "%*s", (int)(HELP_COLUMN - col), "");
		for (p = c->what; *p != '\0'; p++) {
			fputc(*p, out);
			if (*p == '\n')
				fprintf(out, "%*s", HELP_COLUMN, "");
		}
		fputc('\n', out);
	}
	fputs("options:\n"
	    "  -c FILE          configuration file, then its drop-ins\n"
	    "                   FILE.d/*.conf in name order (default:\n"
	    "                   " DEFAULT_CONFIG "\n"
	    "                   when it exists, else the built-in\n"
	    "                   configuration; its drop-ins either way)\n"
	    "  -o NAME=VALUE    override one top-level setting with one\n"
	    "                   value\n"
	    "mailban help COMMAND: what COMMAND does and its options;\n"
	    "mailban --version: the version\n", out);
	if (fclose(out) != 0 || text == NULL)
		msg_fatal("cannot make the usage text");
	return text;
}

/* "usage: mailban NAME SYNOPSIS\n" of one command. */
static char *
command_usage(const struct command *c)
{
	char *text = NULL;
	size_t size;
	FILE *out;

	if ((out = open_memstream(&text, &size)) == NULL)
		msg_fatal("open_memstream: %s", strerror(errno));
	fprintf(out, "usage: mailban %s", c->name);
	if (c->takes != 0 || c->args[0] != '\0')
		fputc(' ', out);
	put_synopsis(out, c, 1);
	fputc('\n', out);
	if (fclose(out) != 0 || text == NULL)
		msg_fatal("cannot make the usage text");
	return text;
}

struct config *
cmd_config(const struct cmdline *cl, char *err, size_t errlen)
{
	if (cl->config != NULL)
		return config_load(cl->config, cl->overrides, cl->noverrides, err,
		    errlen);
	return config_load_default(DEFAULT_CONFIG, cl->overrides,
	    cl->noverrides, err, errlen);
}

struct config *
cmd_load_config(const struct cmdline *cl)
{
	char err[1024];
	struct config *cfg;

	cfg = cmd_config(cl, err, sizeof(err));
	if (cfg == NULL)
		msg_usage(NULL, "%s", err);
	cfg->trust.require = cl->require_credentials;
	return cfg;
}

struct kset *
cmd_open_kset(const struct config *cfg)
{
	char err[512];
	struct kset *ks;

	if (!privdrop_has_netadmin())
		msg_fatal("the kernel's sets need the capability CAP_NET_ADMIN, "
		    "which this process does not have: run as root, or see "
		    "README: Privileges");
	if ((ks = kset_open(cfg, err, sizeof(err))) == NULL)
		msg_fatal("%s", err);
	if (kset_ensure(ks, err, sizeof(err)) < 0)
		msg_fatal("%s", err);
	return ks;
}

struct firewall *
cmd_open_firewall(const struct config *cfg)
{
	char err[512];
	struct firewall *fw = firewall_open(cfg, err, sizeof(err));

	if (fw == NULL)
		msg_fatal("%s", err);
	return fw;
}

void
cmd_firewall_gaps(const struct firewall_report *rep, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", rep->what[0],
	    rep->what[0][0] != '\0' && rep->what[1][0] != '\0' ? "; " : "",
	    rep->what[1]);
}

int
cmd_enforced(const struct config *cfg, char *buf, size_t len)
{
	struct firewall_report rep;
	struct firewall *fw;
	int rc;

	if ((fw = firewall_open(cfg, buf, len)) == NULL)
		return -1;
	rc = firewall_check(fw, &rep);
	firewall_close(fw);
	if (rc < 0)
		snprintf(buf, len, "%s", rep.why);
	else
		cmd_firewall_gaps(&rep, buf, len);
	return rc;
}

int64_t
cmd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/*
 * --now: seconds since the epoch, or an RFC 3339 UTC stamp, from 1970 to
 * the end of NOW_MAX_YEAR (the tracker keeps times as unsigned 32-bit
 * seconds, good until 2106).  A stamp must name a real moment: timegm()
 * would carry 2026-02-30 into March, so the fields must come back the same.
 */
#define NOW_MAX 4102444799LL /* 2099-12-31T23:59:59Z */
#define NOW_MAX_YEAR "2099"

static int
parse_now(const char *text, int64_t *out)
{
	struct tm tm, back;
	time_t t;
	char *end;
	long long v;

	if (text[0] >= '0' && text[0] <= '9' && strchr(text, '-') == NULL) {
		errno = 0;
		v = strtoll(text, &end, 10);
		if (errno != 0 || *end != '\0' || v < 0 || v > NOW_MAX)
			return -1;
		*out = (int64_t)v;
		return 0;
	}
	if (text[0] < '0' || text[0] > '9')
		return -1; /* strptime would skip spaces and take a sign */
	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	back = tm;
	t = timegm(&back);
	if (t == (time_t)-1 || t < 0 || (long long)t > NOW_MAX ||
	    gmtime_r(&t, &back) == NULL || back.tm_year != tm.tm_year ||
	    back.tm_mon != tm.tm_mon || back.tm_mday != tm.tm_mday ||
	    back.tm_hour != tm.tm_hour || back.tm_min != tm.tm_min ||
	    back.tm_sec != tm.tm_sec)
		return -1;
	*out = (int64_t)t;
	return 0;
}

/* --since, --until: as --now, or -N[smhd] before now (-1h). */
static int
parse_time(const char *text, int64_t *out)
{
	char *end;
	long long v;
	int64_t unit = 1;

	if (text[0] != '-')
		return parse_now(text, out);
	if (text[1] < '0' || text[1] > '9')
		return -1;
	errno = 0;
	v = strtoll(text + 1, &end, 10);
	if (errno != 0 || v < 0 || v > 100LL * 366 * SECONDS_DAY)
		return -1;
	switch (*end) {
	case 's':
	case '\0':
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = SECONDS_HOUR;
		break;
	case 'd':
		unit = SECONDS_DAY;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	*out = cmd_now() - (int64_t)v * unit;
	return 0;
}

static const struct opt *
opt_by_ch(int ch)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (opts[i].ch == ch)
			return &opts[i];
	return NULL;
}

/* The option as the user wrote it ("--json", "-c"), for messages. */
static const char *
opt_text(const struct opt *o, char *buf, size_t len)
{
	if (o->name != NULL)
		xsnprintf(buf, len, "--%s", o->name);
	else
		xsnprintf(buf, len, "-%c", o->ch);
	return buf;
}

/* Parse the options after the command name into cl; usage errors exit. */
static void
parse_options(const struct command *c, int argc, char **argv,
    struct cmdline *cl)
{
	struct option longopts[NOPTS + 2];
	const struct opt *o;
	char shortopts[2 * NOPTS + 4], ob[32];
	size_t i, n = 0, k = 0;
	int ch;

	shortopts[k++] = ':'; /* a missing argument answers ':' */
	for (i = 0; i < NOPTS; i++) {
		if (opts[i].name == NULL) {
			shortopts[k++] = (char)opts[i].ch;
			if (opts[i].arg != NULL)
				shortopts[k++] = ':';
			continue;
		}
		longopts[n].name = opts[i].name;
		longopts[n].has_arg = opts[i].arg != NULL ? required_argument :
		    no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = opts[i].ch;
		n++;
	}
	shortopts[k++] = 'h';
	shortopts[k] = '\0';
	longopts[n].name = "help";
	longopts[n].has_arg = no_argument;
	longopts[n].flag = NULL;
	longopts[n].val = 'h';
	memset(&longopts[n + 1], 0, sizeof(longopts[n + 1]));

	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(cl->usage, stdout);
			exit(0);
		}
		/* an error names the option in optopt, a long one by its code,
		 * or none (0: an unknown long option) */
		o = opt_by_ch(ch == '?' || ch == ':' ? optopt : ch);
		if (o != NULL && !(c->takes & o->bit))
			msg_usage(cl->usage, "%s does not take %s", c->name,
			    opt_text(o, ob, sizeof(ob)));
		if (ch == ':' && o != NULL)
			msg_usage(cl->usage, "%s: %s needs an argument", c->name,
			    opt_text(o, ob, sizeof(ob)));
		if (ch == '?' && o != NULL)
			msg_usage(cl->usage, "%s: %s takes no argument", c->name,
			    opt_text(o, ob, sizeof(ob)));
		if (ch == '?' && optopt != 0)
			msg_usage(cl->usage, "%s: unknown option -%c", c->name,
			    optopt);
		if (ch == '?' || ch == ':')
			msg_usage(cl->usage, "%s: unknown option %.64s", c->name,
			    argv[optind - 1]);
		if (o == NULL)
			msg_panic("getopt_long answered %d", ch);
		switch (o->bit) {
		case OPT_C:
			cl->config = optarg;
			break;
		case OPT_O:
			cl->overrides[cl->noverrides++] = optarg;
			break;
		case OPT_JSON:
			cl->json = 1;
			break;
		case OPT_PRINT:
			cl->print = 1;
			break;
		case OPT_OMPROG:
			cl->omprog = 1;
			break;
		case OPT_BANS_ONLY:
			cl->bans_only = 1;
			break;
		case OPT_MISSED:
			cl->missed = 1;
			break;
		case OPT_NOW:
			if (parse_now(optarg, &cl->now) < 0)
				msg_usage(cl->usage, "%s: --now: \"%.64s\" is not "
				    "a time from 1970 to " NOW_MAX_YEAR " (YYYY-MM-"
				    "DDTHH:MM:SSZ or seconds since the epoch)",
				    c->name, optarg);
			break;
		case OPT_HTML:
			cl->html = optarg;
			break;
		case OPT_FOR:
			if (config_parse_duration(optarg, &cl->duration) < 0 ||
			    cl->duration <= 0)
				msg_usage(cl->usage, "%s: --for: \"%.64s\" is not a "
				    "duration (30s, 10m, 1h, 2d, 1w)", c->name,
				    optarg);
			break;
		case OPT_REASON:
			cl->reason = optarg;
			break;
		case OPT_LIST:
			cl->list = 1;
			break;
		case OPT_VERBOSE:
			cl->verbose = 1;
			break;
		case OPT_PROMETHEUS:
			cl->prometheus = 1;
			break;
		case OPT_REQUIRE_CRED:
			cl->require_credentials = 1;
			break;
		case OPT_JOURNAL:
			cl->journal = 1;
			break;
		case OPT_JOURNAL_DIR:
			cl->journal_dir = optarg;
			break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (parse_time(optarg, o->bit == OPT_SINCE ? &cl->since :
				&cl->until) < 0)
				msg_usage(cl->usage, "%s: %s: \"%.64s\" is not "
				    "YYYY-MM-DDTHH:MM:SSZ, seconds since the epoch "
				    "or -N[smhd] (before now)", c->name,
				    opt_text(o, ob, sizeof(ob)), optarg);
			if (o->bit == OPT_SINCE)
				cl->has_since = 1;
			else
				cl->has_until = 1;
			break;
		default:
			msg_panic("option bit %u has no case", o->bit);
		}
	}
	cl->args = argv + optind;
	cl->nargs = argc - optind;
	if (!cl->journal && (cl->journal_dir || cl->has_since || cl->has_until))
		msg_usage(cl->usage, "%s: --journal-directory, --since and --until "
		    "go with --journal", c->name);
	if (cl->journal && cl->omprog)
		msg_usage(cl->usage, "%s: --journal reads the journal, --omprog "
		    "reads rsyslog: one or the other", c->name);
	if (cl->journal && cl->nargs > 0)
		msg_usage(cl->usage, "%s: --journal reads the journal, not files",
		    c->name);
	if (cl->nargs < c->min_args ||
	    (c->max_args != ARGS_ANY && cl->nargs > c->max_args))
		msg_usage(cl->usage, "%s: wrong number of arguments (%s)", c->name,
		    c->args[0] != '\0' ? c->args : "it takes none");
}

/* What each option does, for "mailban help COMMAND". */
static const struct {
	unsigned bit;
	const char *text;
} opt_help[] = {
	{OPT_C, "configuration file, then its drop-ins FILE.d/*.conf"},
	{OPT_O, "override one top-level setting with one value"},
	{OPT_JSON, "JSON output (DESIGN.md, JSON contracts)"},
	{OPT_PRINT, "print what would be done or what is in effect"},
	{OPT_OMPROG, "rsyslog omprog protocol on stdin and stdout"},
	{OPT_BANS_ONLY, "text output: only the ban decisions"},
	{OPT_NOW, "the clock for year-less stamps (RFC 3339 UTC or epoch)"},
	{OPT_HTML, "the page to write (default report.html)"},
	{OPT_REQUIRE_CRED, "a line without its writer's credentials is untrusted"},
	{OPT_MISSED, "print the MTAs' rejects and failures no pattern reads"},
	{OPT_JOURNAL, "read the systemd journal instead of stdin or files"},
	{OPT_JOURNAL_DIR, "the journal files of DIR (with --journal)"},
	{OPT_SINCE, "journal entries from TIME on"},
	{OPT_UNTIL, "journal entries up to TIME"},
	{OPT_FOR, "length: 30s, 10m, 1h, 2d, 1w"},
	{OPT_REASON, "kept with the entry, shown by why, list and allow --list"},
	{OPT_LIST, "the allow list in force"},
	{OPT_VERBOSE, "also the score-0 records (Sendmail sessions, SPF)"},
	{OPT_PROMETHEUS, "the metrics in Prometheus's text format 0.0.4"},
};

static const struct command *
command_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* mailban help [COMMAND] */
static int
cmd_help(struct cmdline *cl)
{
	const struct command *c;
	char *usage, ob[32];
	const char *p;
	size_t i, j;

	if (cl->nargs == 0) {
		fputs(usage_text(), stdout);
		return 0;
	}
	if ((c = command_by_name(cl->args[0])) == NULL)
		msg_usage(cl->usage, "help: unknown command \"%.64s\"",
		    cl->args[0]);
	usage = command_usage(c);
	fputs(usage, stdout);
	free(usage);
	fputs("  ", stdout);
	for (p = c->what; *p != '\0'; p++)
		fputc(*p == '\n' ? ' ' : *p, stdout);
	fputc('\n', stdout);
	for (i = 0; i < NOPTS; i++) {
		if (!(c->takes & opts[i].bit))
			continue;
		for (j = 0; j < sizeof(opt_help) / sizeof(opt_help[0]); j++)
			if (opt_help[j].bit == opts[i].bit)
				break;
		opt_text(&opts[i], ob, sizeof(ob));
		if (opts[i].arg != NULL) {
			strncat(ob, " ", sizeof(ob) - strlen(ob) - 1);
			strncat(ob, opts[i].arg, sizeof(ob) - strlen(ob) - 1);
		}
		printf("  %-18s %s\n", ob, j < sizeof(opt_help) /
		    sizeof(opt_help[0]) ? opt_help[j].text : "");
	}
	printf("See mailban(8).\n");
	return 0;
}

static int
cmd_version(struct cmdline *cl)
{
	(void)cl;
	printf("mailban %s\n", MAILBAN_VERSION);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct command *c = NULL;
	struct cmdline cl;
	int rc;

	msg_set_progname("mailban");
	if (argc < 2)
		msg_usage(usage_text(), "no command given");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text(), stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_version(NULL);
	c = command_by_name(argv[1]);
	if (c == NULL)
		msg_usage(usage_text(), "unknown command \"%.64s\"", argv[1]);
	memset(&cl, 0, sizeof(cl));
	cl.usage = command_usage(c);
	cl.overrides = xcalloc((size_t)argc, sizeof(char *));
	parse_options(c, argc - 1, argv + 1, &cl);
	rc = c->fn(&cl);
	free(cl.overrides);
	free(cl.usage);
	return rc;
}
