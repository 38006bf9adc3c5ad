/*
 * NAME
 *	mailban - stop abusive mail clients at the firewall
 * SYNOPSIS
 *	mailban COMMAND [-c FILE] [-o NAME=VALUE]... [ARGS]
 * DESCRIPTION
 *	The command line, the start-up order and the loops.  See mailban(8).
 *	Exit status: 0 success, 1 runtime failure, 2 usage or configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "engine.h"
#include "lineio.h"
#include "log.h"
#include "report.h"

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

static int
replay_fd(struct engine *en, int fd, const char *name)
{
	struct lineio lr;
	const char *line;
	size_t len;
	int trunc;
	enum lineio_status s;
	long n;

	lineio_init(&lr, fd, LINEIO_MAXLINE);
	for (;;) {
		s = lineio_next(&lr, &line, &len, &trunc);
		if (s == LINEIO_LINE) {
			engine_line(en, line, len, trunc);
			continue;
		}
		if (s == LINEIO_EOF)
			break;
		n = lineio_fill(&lr);
		if (n < 0 && errno != EINTR) {
			msg_warn("%s: read: %s", name, strerror(errno));
			lineio_free(&lr);
			return -1;
		}
	}
	lineio_free(&lr);
	return 0;
}

static int
cmd_test(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct report rep = {stdout, cl->json, cl->bans_only};
	struct engine_hooks hooks = report_hooks(&rep);
	struct engine en;
	int i, rc = 0, fd;

	engine_init(&en, cfg, cl->now ? cl->now : cmd_now(), 0, &hooks);
	if (cl->nargs == 0) {
		rc |= replay_fd(&en, 0, "stdin");
	} else {
		for (i = 0; i < cl->nargs; i++) {
			if (strcmp(cl->args[i], "-") == 0) {
				rc |= replay_fd(&en, 0, "stdin");
				continue;
			}
			fd = open(cl->args[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				msg_warn("%s: %s", cl->args[i], strerror(errno));
				rc = -1;
				continue;
			}
			rc |= replay_fd(&en, fd, cl->args[i]);
			close(fd);
		}
	}
	report_summary(&rep, &en);
	engine_free(&en);
	config_free(cfg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		msg_warn("stdout: write error");
		return 1;
	}
	return rc ? 1 : 0;
}

static int
cmd_check(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);

	printf("%s: OK, %zu patterns\n", cfg->path, pattern_count(cfg->patterns));
	config_free(cfg);
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
