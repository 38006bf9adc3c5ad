/*
 * NAME
 *	mailban - stop abusive mail clients at the firewall
 * SYNOPSIS
 *	mailban COMMAND [-c FILE] [-o NAME=VALUE]... [ARGS]
 * DESCRIPTION
 *	The command line and the helpers the commands share; each command
 *	lives in its own src/cmd_*.c (commands.h).  See mailban(8).
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
#include "kset.h"
#include "log.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: mailban COMMAND [-c FILE] [-o NAME=VALUE]... [ARGS]\n"
    "commands:\n"
    "  run     [--omprog]         read log lines on stdin, ban in the kernel\n"
    "  test    [--json] [--bans-only] [--now TIME] [FILE...]\n"
    "                             replay logs, change nothing, report;\n"
    "                             year-less stamps are taken as the last\n"
    "                             year before TIME (default: now)\n"
    "  setup   [--print]          create the sets and firewall rules\n"
    "  restore                    re-apply the active bans from the state\n"
    "  list    [--json]           active bans\n"
    "  status  [--json]           state file, sets, active bans, matches and\n"
    "                             bans per pattern, top offenders, errors\n"
    "  report  [--html FILE]      write the static HTML page of the bans\n"
    "                             (default FILE: report.html)\n"
    "  unban   ADDR...            lift bans\n"
    "  flush                      remove every ban\n"
    "  check                      validate the configuration\n"
    "options:\n"
    "  -c FILE          configuration (default: the built-in one)\n"
    "  -o NAME=VALUE    override one top-level setting\n";

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

struct config *
cmd_load_config(const struct cmdline *cl)
{
	char err[1024];
	struct config *cfg;

	cfg = config_load(cl->config, cl->overrides, cl->noverrides, err,
	    sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "mailban: %s\n", err);
		exit(EXIT_USAGE);
	}
	return cfg;
}

struct kset *
cmd_open_kset(const struct config *cfg)
{
	char err[512];
	struct kset *ks = kset_open(cfg, err, sizeof(err));

	if (ks == NULL)
		msg_fatal("%s", err);
	if (kset_ensure(ks, err, sizeof(err)) < 0)
		msg_fatal("%s", err);
	return ks;
}

int64_t
cmd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* --now: seconds since the epoch, or an RFC 3339 UTC stamp. */
static int
parse_now(const char *text, int64_t *out)
{
	struct tm tm;
	char *end;
	long long v;

	if (text[0] >= '0' && text[0] <= '9' && strchr(text, '-') == NULL) {
		errno = 0;
		v = strtoll(text, &end, 10);
		if (errno != 0 || *end != '\0' || v < 0)
			return -1;
		*out = (int64_t)v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static const struct command {
	const char *name;
	int (*fn)(struct cmdline *);
	int min_args, max_args;
} commands[] = {
	{"test", cmd_test, 0, -1},
	{"check", cmd_check, 0, 0},
	{"run", cmd_run, 0, 0},
	{"setup", cmd_setup, 0, 0},
	{"restore", cmd_restore, 0, 0},
	{"list", cmd_list, 0, 0},
	{"status", cmd_status, 0, 0},
	{"report", cmd_report, 0, 0},
	{"unban", cmd_unban, 1, -1},
	{"flush", cmd_flush, 0, 0},
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"print", no_argument, NULL, 'p'},
		{"omprog", no_argument, NULL, 'O'},
		{"bans-only", no_argument, NULL, 'b'},
		{"now", required_argument, NULL, 'n'},
		{"html", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct command *cmd = NULL;
	struct cmdline cl;
	size_t i;
	int ch;

	msg_set_progname("mailban");
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "mailban: unknown command \"%.64s\"\n", argv[1]);
		usage();
	}
	memset(&cl, 0, sizeof(cl));
	cl.overrides = xcalloc((size_t)argc, sizeof(char *));
	argv++;
	argc--;
	while ((ch = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cl.config = optarg;
			break;
		case 'o':
			cl.overrides[cl.noverrides++] = optarg;
			break;
		case 'j':
			cl.json = 1;
			break;
		case 'p':
			cl.print = 1;
			break;
		case 'O':
			cl.omprog = 1;
			break;
		case 'b':
			cl.bans_only = 1;
			break;
		case 'H':
			cl.html = optarg;
			break;
		case 'n':
			if (parse_now(optarg, &cl.now) < 0) {
				fprintf(stderr, "mailban: --now: \"%.64s\" is not "
				    "YYYY-MM-DDTHH:MM:SSZ or seconds since the epoch\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			usage();
		}
	}
	cl.args = argv + optind;
	cl.nargs = argc - optind;
	if (cl.nargs < cmd->min_args ||
	    (cmd->max_args >= 0 && cl.nargs > cmd->max_args)) {
		fprintf(stderr, "mailban %s: wrong number of arguments\n", cmd->name);
		usage();
	}
	ch = cmd->fn(&cl);
	free(cl.overrides);
	return ch;
}
