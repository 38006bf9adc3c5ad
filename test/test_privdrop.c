/*
 * test_privdrop - privdrop_enter(), the very function "mailban run"
 * calls, in child processes: afterwards the process is the run user with
 * CAP_NET_ADMIN alone (effective, permitted, bounding), no_new_privs and
 * the seccomp filter; execve, a TCP socket and ptrace end
 * it by SIGSYS with the call named on stderr; what the run loop does
 * (netlink socket, files written and renamed, JIT memory, signals) still
 * works.  A missing user, a missing CAP_NET_ADMIN and a state directory
 * the user cannot write are errors that say so.  Needs root and the user
 * named as the first argument (default "mailban").
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"
#include "test.h"

static const char *user = "mailban";
static char dir[] = "/tmp/test_privdrop.XXXXXX";
static char state[256];

/* The child's end: how it ended and what it wrote on stderr. */
struct ending {
	int status;
	char err[2048];
};

/* Run fn in a child with stderr into a pipe; wait for it. */
static void
in_child(int (*fn)(void), struct ending *e)
{
	int fd[2];
	pid_t pid;
	ssize_t n;
	size_t len = 0;

	memset(e, 0, sizeof(*e));
	if (pipe(fd) < 0 || (pid = fork()) < 0)
		msg_fatal("pipe/fork: %s", strerror(errno));
	if (pid == 0) {
		close(fd[0]);
		dup2(fd[1], 2);
		_exit(fn());
	}
	close(fd[1]);
	while (len < sizeof(e->err) - 1 &&
	    (n = read(fd[0], e->err + len, sizeof(e->err) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd[0]);
	waitpid(pid, &e->status, 0);
}

static int
enter(const char *u, const char *st)
{
	struct privdrop p = {u, st, 1, 0, 0};
	char err[1024];

	if (privdrop_enter(&p, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 3;
	}
	return 0;
}

static int
do_execve(void)
{
	char *const argv[] = {"true", NULL};

	if (enter(user, state) != 0)
		return 3;
	execve("/bin/true", argv, NULL);
	return 4; /* refused instead of killed */
}

static int
do_inet_socket(void)
{
	if (enter(user, state) != 0)
		return 3;
	(void)socket(AF_INET, SOCK_STREAM, 0);
	return 4;
}

static int
do_ptrace(void)
{
	if (enter(user, state) != 0)
		return 3;
	(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	return 4;
}

/* What the run loop does, all allowed. */
static int
do_allowed(void)
{
	char path[300], to[300], buf[16];
	void *jit;
	int fd;

	if (enter(user, state) != 0)
		return 3;
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 12)) < 0)
		return 10; /* NETLINK_NETFILTER */
	close(fd);
	snprintf(path, sizeof(path), "%s/page.tmp", dir);
	snprintf(to, sizeof(to), "%s/page.html", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, "page", 4) != 4 || fchmod(fd, 0644) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0 || rename(path, to) < 0)
		return 11;
	if ((fd = open(to, O_RDONLY)) < 0 || read(fd, buf, 4) != 4 ||
	    close(fd) < 0)
		return 12;
	jit = mmap(NULL, 65536, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (jit == MAP_FAILED || mprotect(jit, 4096, PROT_READ | PROT_EXEC) < 0 ||
	    munmap(jit, 65536) < 0)
		return 13;
	if (signal(SIGHUP, SIG_IGN) == SIG_ERR || raise(SIGHUP) != 0)
		return 14;
	return 0;
}

static int do_status_lines(void);

static int
do_status(void)
{
	if (enter(user, state) != 0)
		return 3;
	return do_status_lines();
}

/* The lines of /proc/self/status about privileges, on stderr. */
static int
do_status_lines(void)
{
	char line[256];
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return 10;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Uid:", 4) == 0 || strncmp(line, "Gid:", 4) == 0 ||
		    strncmp(line, "Groups:", 7) == 0 ||
		    strncmp(line, "Cap", 3) == 0 ||
		    strncmp(line, "NoNewPrivs:", 11) == 0 ||
		    strncmp(line, "Seccomp:", 8) == 0)
			fputs(line, stderr);
	fclose(f);
	return 0;
}

static int
do_missing_user(void)
{
	return enter("no-such-user-mailban", state);
}

static int
do_no_netadmin(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	syscall(SYS_capget, &h, d);
	d[0].effective &= ~(1u << CAP_NET_ADMIN);
	if (syscall(SYS_capset, &h, d) < 0)
		return 10;
	return enter(user, state);
}

static int
do_root_dir(void)
{
	char sub[300], st[320];

	snprintf(sub, sizeof(sub), "%s/rootonly", dir);
	if (mkdir(sub, 0700) < 0 && errno != EEXIST)
		return 10;
	snprintf(st, sizeof(st), "%s/state.db", sub);
	return enter(user, st);
}

/* run --omprog: a missing user or CAP_NET_ADMIN is no error (returns 1):
 * the rest is dropped all the same */
static int
do_degrade_user(void)
{
	struct privdrop p = {"no-such-user-mailban", state, 1, 1, 0};
	char err[1024];

	if (privdrop_enter(&p, err, sizeof(err)) != 1)
		return 3;
	fprintf(stderr, "%s\n", err);
	return do_status_lines();
}

static int
do_degrade_netadmin(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	struct privdrop p = {user, state, 1, 1, 0};
	char err[1024];

	syscall(SYS_capget, &h, d);
	d[0].effective &= ~(1u << CAP_NET_ADMIN);
	d[0].permitted &= ~(1u << CAP_NET_ADMIN);
	if (syscall(SYS_capset, &h, d) < 0)
		return 10;
	if (privdrop_enter(&p, err, sizeof(err)) != 1)
		return 3;
	fprintf(stderr, "%s\n", err);
	return do_status_lines();
}

static int
killed_by_sigsys(const struct ending *e)
{
	return WIFSIGNALED(e->status) && WTERMSIG(e->status) == SIGSYS;
}

static void
execve_kills(void)
{
	struct ending e;

	in_child(do_execve, &e);
	CHECK(killed_by_sigsys(&e), "status 0x%x, stderr: %s", e.status, e.err);
	CHECK(strstr(e.err, "forbidden system call execve") != NULL,
	    "stderr: %s", e.err);
}

static void
inet_socket_kills(void)
{
	struct ending e;

	in_child(do_inet_socket, &e);
	CHECK(killed_by_sigsys(&e), "status 0x%x, stderr: %s", e.status, e.err);
	CHECK(strstr(e.err, "forbidden system call socket") != NULL,
	    "stderr: %s", e.err);
}

/*
 * A run stopped and continued (SIGSTOP, SIGCONT: job control, a
 * debugger) while it sleeps in poll(): the kernel resumes the call with
 * restart_syscall, which the filter must allow or the run dies.
 */
static void
stop_and_continue_survives(void)
{
	int fd[2], status = 0;
	char c;
	pid_t pid;

	if (pipe(fd) < 0 || (pid = fork()) < 0)
		msg_fatal("pipe/fork: %s", strerror(errno));
	if (pid == 0) {
		close(fd[0]);
		if (enter(user, state) != 0)
			_exit(3);
		if (write(fd[1], "r", 1) != 1)
			_exit(4);
		poll(NULL, 0, 3000); /* stopped and continued in here */
		_exit(0);
	}
	close(fd[1]);
	CHECK(read(fd[0], &c, 1) == 1, "the child never got ready");
	close(fd[0]);
	usleep(200000); /* into poll() (a stop before it proves nothing more) */
	kill(pid, SIGSTOP);
	waitpid(pid, &status, WUNTRACED);
	CHECK(WIFSTOPPED(status), "status 0x%x", status);
	kill(pid, SIGCONT);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status 0x%x (SIGSYS is 0x%x)", status, SIGSYS);
}

static void
ptrace_kills(void)
{
	struct ending e;

	in_child(do_ptrace, &e);
	CHECK(killed_by_sigsys(&e), "status 0x%x, stderr: %s", e.status, e.err);
}

static void
run_loop_calls_allowed(void)
{
	struct ending e;

	in_child(do_allowed, &e);
	CHECK(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0,
	    "status 0x%x, stderr: %s", e.status, e.err);
}

static void
credentials(void)
{
	struct passwd *pw = getpwnam(user);
	char want[128];
	const char *g;
	struct ending e;

	in_child(do_status, &e);
	CHECK(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0,
	    "status 0x%x, stderr: %s", e.status, e.err);
	if (pw == NULL)
		return;
	snprintf(want, sizeof(want), "Uid:\t%u\t%u\t%u\t%u\n", pw->pw_uid,
	    pw->pw_uid, pw->pw_uid, pw->pw_uid);
	CHECK(strstr(e.err, want) != NULL, "want %s in:\n%s", want, e.err);
	snprintf(want, sizeof(want), "Gid:\t%u\t%u\t%u\t%u\n", pw->pw_gid,
	    pw->pw_gid, pw->pw_gid, pw->pw_gid);
	CHECK(strstr(e.err, want) != NULL, "want %s in:\n%s", want, e.err);
	g = strstr(e.err, "Groups:");
	CHECK(g != NULL && g[7 + strspn(g + 7, " \t")] == '\n',
	    "supplementary groups kept:\n%s", e.err);
	CHECK(strstr(e.err, "CapInh:\t0000000000000000\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "CapPrm:\t0000000000001000\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "CapEff:\t0000000000001000\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "CapBnd:\t0000000000001000\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "CapAmb:\t0000000000000000\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "NoNewPrivs:\t1\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "Seccomp:\t2\n") != NULL, "%s", e.err);
}

static void
errors_say_why(void)
{
	struct ending e;

	in_child(do_missing_user, &e);
	CHECK(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 3,
	    "missing user: status 0x%x", e.status);
	CHECK(strstr(e.err, "user \"no-such-user-mailban\" (privileges.user) "
	    "does not exist") != NULL, "stderr: %s", e.err);
	in_child(do_no_netadmin, &e);
	CHECK(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 3,
	    "no CAP_NET_ADMIN: status 0x%x", e.status);
	CHECK(strstr(e.err, "needs the capability CAP_NET_ADMIN") != NULL,
	    "stderr: %s", e.err);
	in_child(do_root_dir, &e);
	CHECK(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 3,
	    "root's directory: status 0x%x", e.status);
	CHECK(strstr(e.err, "cannot write the state directory") != NULL,
	    "stderr: %s", e.err);
}

static void
degrade_for_omprog(void)
{
	struct ending e;

	in_child(do_degrade_user, &e);
	CHECK(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0,
	    "missing user: status 0x%x, stderr: %s", e.status, e.err);
	CHECK(strstr(e.err, "running as root with CAP_NET_ADMIN alone") != NULL,
	    "%s", e.err);
	CHECK(strstr(e.err, "Uid:\t0\t0\t0\t0\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "CapEff:\t0000000000001000\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "CapBnd:\t0000000000001000\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "NoNewPrivs:\t1\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "Seccomp:\t2\n") != NULL, "%s", e.err);
	in_child(do_degrade_netadmin, &e);
	CHECK(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0,
	    "no CAP_NET_ADMIN: status 0x%x, stderr: %s", e.status, e.err);
	CHECK(strstr(e.err, "needs the capability CAP_NET_ADMIN") != NULL,
	    "%s", e.err);
	CHECK(strstr(e.err, "CapEff:\t0000000000000000\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "CapPrm:\t0000000000000000\n") != NULL, "%s", e.err);
	CHECK(strstr(e.err, "Seccomp:\t2\n") != NULL, "%s", e.err);
}

static const struct test_case cases[] = {
	TEST_CASE(execve_kills),
	TEST_CASE(inet_socket_kills),
	TEST_CASE(ptrace_kills),
	TEST_CASE(stop_and_continue_survives),
	TEST_CASE(run_loop_calls_allowed),
	TEST_CASE(credentials),
	TEST_CASE(errors_say_why),
	TEST_CASE(degrade_for_omprog),
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	struct passwd *pw;
	char sub[300];
	int rc;

	if (geteuid() != 0) {
		printf("skip: not root\n");
		return 77;
	}
	if (argc > 1 && strncmp(argv[1], "--user=", 7) == 0) {
		user = argv[1] + 7;
		argv++;
		argc--;
	}
	if ((pw = getpwnam(user)) == NULL) {
		printf("skip: no user %s (./bootstrap and meson install create "
		    "it)\n", user);
		return getenv("MAILBAN_NO_SKIP") != NULL ? 1 : 77;
	}
	if (mkdtemp(dir) == NULL || chown(dir, pw->pw_uid, pw->pw_gid) < 0)
		msg_fatal("%s: %s", dir, strerror(errno));
	snprintf(state, sizeof(state), "%s/state.db", dir);
	rc = TEST_RUN(cases, argc, argv);
	snprintf(sub, sizeof(sub), "%s/rootonly", dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/page.html", dir);
	unlink(sub);
	rmdir(dir);
	return rc;
}
