/*
 * NAME
 *	firewall - the MAILBAN chain and its rules through iptables(8)
 * SYNOPSIS
 *	#include "firewall.h"
 * DESCRIPTION
 *	See include/firewall.h.  One rule of a family is one argument vector
 *	(fw_rule_argv()), used both to run the command and to print it, so
 *	that --print shows exactly what setup runs.
 * SECURITY
 *	posix_spawnp() with an argument vector, never a shell; the child gets
 *	default signal handlers and an empty signal mask.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "firewall.h"
#include "log.h"

extern char **environ;

#define FW_V4 0
#define FW_V6 1

struct firewall {
	const struct config *cfg; /* borrowed; outlives the handle */
};

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

/* argv as one line for diagnostics (truncated with "..."). */
static char *
fw_argv_text(const char *const argv[], char *buf, size_t len)
{
	size_t i, off = 0, l;

	buf[0] = '\0';
	for (i = 0; argv[i] != NULL; i++) {
		l = strlen(argv[i]);
		if (off + l + 2 >= len) {
			if (len - off >= 4)
				memcpy(buf + off, "...", 4);
			break;
		}
		if (i > 0)
			buf[off++] = ' ';
		memcpy(buf + off, argv[i], l + 1);
		off += l;
	}
	return buf;
}

/*
 * Run argv[0] found on PATH, stdout to /dev/null (and stderr when quiet);
 * return its exit status, or -1 when it could not run or was killed.
 */
static int
fw_run(const char *const argv[], int quiet)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char text[256];
	pid_t pid;
	int err, status;

	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawnattr_init(&at) != 0)
		msg_fatal("posix_spawn: out of memory");
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	if (posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
		O_WRONLY, 0) != 0 ||
	    (quiet && posix_spawn_file_actions_addopen(&fa, STDERR_FILENO,
		"/dev/null", O_WRONLY, 0) != 0) ||
	    posix_spawnattr_setsigmask(&at, &none) != 0 ||
	    posix_spawnattr_setsigdefault(&at, &def) != 0 ||
	    posix_spawnattr_setflags(&at,
		POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) != 0)
		msg_fatal("posix_spawn: cannot set up attributes");
	err = posix_spawnp(&pid, argv[0], &fa, &at, (char *const *)argv,
	    environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (err != 0) {
		msg_warn("cannot run %s: %s", argv[0], strerror(err));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			msg_warn("waitpid %s: %s", argv[0], strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	msg_warn("%s killed by signal %d",
	    fw_argv_text(argv, text, sizeof(text)), WTERMSIG(status));
	return -1;
}

/* Run argv; 0 if it exits 0, else -1 with a warning. */
static int
fw_must(const char *const argv[])
{
	char text[256];
	int st = fw_run(argv, 0);

	if (st == 0)
		return 0;
	if (st > 0)
		msg_warn("command failed (exit %d): %s", st,
		    fw_argv_text(argv, text, sizeof(text)));
	return -1;
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

/* The MAILBAN rule for set fam into argv (NULL-terminated). */
#define FW_RULE_ARGS 24 /* the longest rule has 16 words and a NULL */

static void
fw_rule_argv(const struct config *cfg, int fam, const char *op,
    const char *argv[FW_RULE_ARGS])
{
	size_t i = 0;

	argv[i++] = fw_iptables(fam);
	argv[i++] = "-w";
	argv[i++] = "-t";
	argv[i++] = "filter";
	argv[i++] = op;
	argv[i++] = FIREWALL_CHAIN;
	/*
	 * Port policy drops new connections (SYN) only: the session that
	 * earned the ban ends normally, so the client reads its 5xx and the
	 * MTA's process is not left waiting minutes for a peer whose packets
	 * vanish (a busy MX would run out of smtpd processes).  The next
	 * connection is dropped before the MTA sees it.  Drop policy drops
	 * every packet, as asked.
	 */
	if (cfg->policy == POLICY_PORT) {
		argv[i++] = "-p";
		argv[i++] = "tcp";
		argv[i++] = "--syn";
	}
	argv[i++] = "-m";
	argv[i++] = "set";
	argv[i++] = "--match-set";
	argv[i++] = fw_setname(cfg, fam);
	argv[i++] = cfg->policy == POLICY_PORT ? "src,dst" : "src";
	argv[i++] = "-j";
	argv[i++] = "DROP";
	argv[i] = NULL;
}

struct firewall *
firewall_open(const struct config *cfg, char *err, size_t errlen)
{
	struct firewall *fw;

	(void)err;
	(void)errlen;
	fw = xcalloc(1, sizeof(*fw));
	fw->cfg = cfg;
	return fw;
}

void
firewall_close(struct firewall *fw)
{
	free(fw);
}

int
firewall_print(const struct config *cfg, FILE *out)
{
	const char *rule[FW_RULE_ARGS];
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

		fw_rule_argv(cfg, fam, "-A", rule);
		fw_print_argv(out, rule);
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

int
firewall_setup(struct firewall *fw, struct kset *ks)
{
	const char *rule[FW_RULE_ARGS];
	char text[256];
	int fam, st;

	/* 1. Empty our chains: no rule references our sets any more. */
	for (fam = FW_V4; fam <= FW_V6; fam++) {
		const char *list[] = {fw_iptables(fam), "-w", "-t", "filter",
		    "-n", "-L", FIREWALL_CHAIN, NULL};
		const char *mk[] = {fw_iptables(fam), "-w", "-t", "filter",
		    "-N", FIREWALL_CHAIN, NULL};
		const char *fl[] = {fw_iptables(fam), "-w", "-t", "filter",
		    "-F", FIREWALL_CHAIN, NULL};

		if (fw_run(list, 1) != 0 && fw_must(mk) < 0)
			return -1;
		if (fw_must(fl) < 0)
			return -1;
	}
	/* 2. The sets, replacing one of the wrong kind. */
	if (kset_ensure_replace(ks) < 0)
		return -1;
	/* 3. The rule in our chain, and one jump to it from INPUT. */
	for (fam = FW_V4; fam <= FW_V6; fam++) {
		const char *check[] = {fw_iptables(fam), "-w", "-t", "filter",
		    "-C", "INPUT", "-j", FIREWALL_CHAIN, NULL};
		const char *jump[] = {fw_iptables(fam), "-w", "-t", "filter",
		    "-I", "INPUT", "-j", FIREWALL_CHAIN, NULL};

		fw_rule_argv(fw->cfg, fam, "-A", rule);
		if (fw_must(rule) < 0)
			return -1;
		st = fw_run(check, 1);
		if (st == 1) {
			if (fw_must(jump) < 0)
				return -1;
		} else if (st != 0) {
			if (st > 0)
				msg_warn("command failed (exit %d): %s", st,
				    fw_argv_text(check, text, sizeof(text)));
			return -1;
		}
	}
	return 0;
}
