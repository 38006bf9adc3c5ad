/*
 * NAME
 *	cmd_test - "mailban test": replay logs, change nothing, report
 * SYNOPSIS
 *	mailban test [-c FILE] [-o NAME=VALUE]... [--json] [--bans-only]
 *	    [--now TIME] [FILE...]
 *	mailban test [-c FILE] [-o NAME=VALUE]... [--json] [--bans-only]
 *	    --journal [--journal-directory DIR] [--since TIME] [--until TIME]
 * DESCRIPTION
 *	Every line of the files (stdin when none, or for "-") goes through
 *	the engine as "mailban run" would take it, scored at the line's own
 *	time stamp; report.h prints each match, each ban decision and the
 *	totals.  Year-less stamps are taken as the last year before TIME
 *	(default: now).  Needs no privilege and opens no state file.
 *
 *	With --journal, the entries of the systemd journal (sdjournal.h)
 *	from the first (or the first received at --since or later) to the
 *	last (or the last received at --until or earlier), each scored at
 *	the time journald received it; nothing is saved, no cursor either.
 * SECURITY
 *	The lines are hostile; report.h escapes what it prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "engine.h"
#include "gzfile.h"
#include "lineio.h"
#include "log.h"
#include "report.h"
#include "sdjournal.h"

/* The journal's entries from --since (else the first) to --until. */
static int
replay_journal(struct engine *en, const struct cmdline *cl,
    const struct config *cfg)
{
	struct sdj *j = cmd_open_journal(cl, cfg, 0);
	struct logline ll;
	int trunc, rc;

	rc = cl->has_since ? sdj_seek_time(j, cl->since * 1000000) :
	    sdj_seek_head(j);
	if (cl->has_until)
		sdj_set_until(j, cl->until * 1000000 + 999999);
	while (rc == 0 && sdj_next(j, &ll, &trunc) > 0)
		engine_entry(en, &ll, trunc);
	sdj_close(j);
	return rc;
}

static int
replay_fd(struct engine *en, int fd, const char *name, struct gzfile *gz)
{
	struct lineio lr;
	const char *line;
	size_t len;
	int trunc;
	enum lineio_status s;
	long n;

	lineio_init(&lr, fd, LINEIO_MAXLINE);
	if (gz != NULL)
		lineio_set_reader(&lr, gzfile_read, gz);
	for (;;) {
		s = lineio_next(&lr, &line, &len, &trunc);
		if (s == LINEIO_LINE) {
			engine_line(en, line, len, trunc);
			continue;
		}
		if (s == LINEIO_EOF)
			break;
		n = lineio_fill(&lr);
		if (n < 0 && gz != NULL) {
			msg_warn("%s: %s; the lines before it were read", name,
			    gzfile_error(gz));
			lineio_free(&lr);
			return -1;
		}
		if (n < 0 && errno != EINTR) {
			msg_warn("%s: read: %s", name, strerror(errno));
			lineio_free(&lr);
			return -1;
		}
	}
	lineio_free(&lr);
	return 0;
}

/*
 * A file as it is, or gzip-compressed (rotated logs: mail.log.2.gz); a
 * compression mailban cannot read is said, not read as garbage lines.
 */
static int
replay_file(struct engine *en, int fd, const char *name)
{
	static const char *const tool[] = {"", "", "bzcat", "xzcat", "zstdcat",
	    "lz4cat", "uncompress -c"};
	enum gzfile_kind k = gzfile_kind(fd);
	struct gzfile *gz;
	int rc;

	if (k == GZFILE_PLAIN)
		return replay_fd(en, fd, name, NULL);
	if (k != GZFILE_GZIP) {
		msg_warn("%s: compressed with %s, which mailban cannot read: "
		    "not read (%s FILE | mailban test)", name,
		    gzfile_kind_name(k), tool[k]);
		return -1;
	}
	gz = gzfile_open(fd);
	rc = replay_fd(en, fd, name, gz);
	gzfile_close(gz);
	return rc;
}

int
cmd_test(struct cmdline *cl)
{
	struct config *cfg = cmd_load_config(cl);
	struct report rep = {.out = stdout, .json = cl->json,
	    .bans_only = cl->bans_only, .missed = cl->missed,
	    .verbose = cl->verbose};
	struct engine_hooks hooks = report_hooks(&rep);
	struct engine en;
	int i, rc = 0, fd;

	engine_init(&en, cfg, cl->now ? cl->now : cmd_now(), 0, &hooks);
	if (cl->journal) {
		rc |= replay_journal(&en, cl, cfg);
	} else if (cl->nargs == 0) {
		rc |= replay_fd(&en, 0, "stdin", NULL);
	} else {
		for (i = 0; i < cl->nargs; i++) {
			if (strcmp(cl->args[i], "-") == 0) {
				rc |= replay_fd(&en, 0, "stdin", NULL);
				continue;
			}
			fd = open(cl->args[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				msg_warn("%s: %s", cl->args[i], strerror(errno));
				rc = -1;
				continue;
			}
			rc |= replay_file(&en, fd, cl->args[i]);
			close(fd);
		}
	}
	report_summary(&rep, &en);
	report_free(&rep);
	engine_free(&en);
	config_free(cfg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		msg_warn("stdout: write error");
		return 1;
	}
	return rc ? 1 : 0;
}
