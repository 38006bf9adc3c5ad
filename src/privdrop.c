/*
 * NAME
 *	privdrop - the least privilege for "mailban run"
 * DESCRIPTION
 *	See include/privdrop.h.  The only libseccomp user.  Capabilities are
 *	changed with the raw capget/capset and prctl calls (no libcap): the
 *	process needs one capability and a fixed order of steps.
 *
 *	The filter's table, allowed[], was found by running the real run
 *	loop with privileges.seccomp = false under strace -f (300 bans in
 *	batches, a SIGHUP reload, the state file, zone files and the page
 *	written every second; run --journal through journal rotations,
 *	vacuums and journald restarts) and keeping the calls made after
 *	no_new_privs;
 *	each entry says who makes the call.  Every suite that starts "mailban
 *	run" (kernel, report, rsyslog, syslog-ng, mta, fleet: vanished sets,
 *	corrupt, locked and full state files, the journal, reloads, omprog
 *	transactions) runs it with the filter on.  A build with
 *	AddressSanitizer installs no filter (see privdrop_enter()).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

#if defined(__SANITIZE_ADDRESS__)
#define PRIVDROP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PRIVDROP_ASAN 1
#endif
#endif

/* The system calls of the run loop, after privdrop_enter(). */
static const char *const allowed[] = {
	/* stdin, the omprog answers on stdout, diagnostics on stderr */
	"read", "write", "readv", "writev", "poll", "ppoll",
	/* SIGTERM, SIGINT, SIGHUP; raise() in the SIGSYS report and abort() */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "getpid", "gettid",
	/* a poll() or nanosleep() with a timeout stopped by SIGSTOP (or a
	 * debugger's attach) and continued: the kernel resumes it with
	 * restart_syscall, which strace -f of an undisturbed loop never shows */
	"restart_syscall",
	/* the clock (vDSO, with the system call as its fallback), SQLite's
	 * busy wait */
	"clock_gettime", "gettimeofday", "nanosleep", "clock_nanosleep",
	/* memory: malloc, PCRE2's JIT (mmap, mprotect), the mapped journal */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "msync",
	/* files: the configuration read again on SIGHUP, the state file and
	 * its -wal/-shm (SQLite: pread/pwrite, fcntl locks, fsync), the
	 * journal, the page and zone files (temporary file, fchmod, rename,
	 * fsync of the directory) */
	"openat", "open", "close", "lseek", "pread64", "pwrite64", "fstat",
	"newfstatat", "stat", "lstat", "statx", "access", "faccessat",
	"faccessat2", "readlink", "readlinkat", "getcwd", "fcntl", "flock",
	"fsync", "fdatasync", "ftruncate", "fallocate", "fchmod", "fchown",
	/* the state file reopened after a failure: an old file's mode
	 * tightened, root's file given to the directory's owner (state.c) */
	"chmod", "fchmodat", "chown", "lchown", "fchownat",
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir",
	"mkdirat", "getdents64", "umask",
	/* SQLite's checks of who it is (it chowns new files only as root);
	 * the sets' check of CAP_NET_ADMIN */
	"getuid", "geteuid", "getgid", "getegid", "capget",
	/* libipset and the firewall rules: netlink (socket() is allowed for
	 * AF_NETLINK alone, below) */
	"bind", "getsockname", "setsockopt", "getsockopt", "sendto",
	"recvfrom", "sendmsg", "recvmsg",
	/* run --journal (sd-journal), found with strace -f while following
	 * the journal through "journalctl --rotate", a vacuum and journald
	 * restarted and killed: every journal file opened after the drop (a
	 * rotation's new file, journald's after a restart) is checked for
	 * the file system it lives on (fstatfs: no mmap on a remote one);
	 * the directories are watched and unwatched as they come and go
	 * (the inotify descriptor itself is made before the drop) */
	"fstatfs", "statfs", "inotify_add_watch", "inotify_rm_watch",
	/* the end */
	"exit", "exit_group",
	/* glibc's locks and random seeds */
	"futex", "getrandom",
};

/* --- the report of a forbidden call --- */

#define NAMES 512
static const char *names[NAMES]; /* filled before the filter is loaded */

static void
put_num(char *buf, size_t *n, long v)
{
	char tmp[24];
	size_t k = 0;

	if (v < 0) {
		buf[(*n)++] = '-';
		v = -v;
	}
	do
		tmp[k++] = (char)('0' + v % 10);
	while ((v /= 10) > 0 && k < sizeof(tmp));
	while (k > 0)
		buf[(*n)++] = tmp[--k];
}

/* Async-signal-safe: a fixed buffer, write(2), then death by SIGSYS. */
static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	static const char head[] = "mailban: seccomp: forbidden system call ";
	char buf[256];
	size_t n = 0, k;
	int nr = si->si_syscall;
	const char *name = nr >= 0 && nr < NAMES ? names[nr] : NULL;
	struct sigaction sa;

	(void)uc;
	memcpy(buf, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	if (name != NULL) {
		for (k = 0; name[k] != '\0' && n < 160; k++)
			buf[n++] = name[k];
		buf[n++] = ' ';
	}
	buf[n++] = '(';
	put_num(buf, &n, nr);
	memcpy(buf + n, "); see privdrop.c\n", 18);
	n += 18;
	(void)!write(2, buf, n);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	/* pending until the handler returns, then it ends the process */
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
}

/* Allow call nr when its argument arg compares (op) with a (and b). */
static int
allow_if(scmp_filter_ctx ctx, int nr, unsigned arg, enum scmp_compare op,
    scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp c = {arg, op, a, b};

	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &c);
}

static int
load_filter(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	struct sigaction sa;
	size_t i;
	int nr, rc;

	for (i = 0; i < NAMES; i++)
		names[i] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
		    (int)i); /* kept: the SIGSYS handler reads them */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		snprintf(err, errlen, "sigaction SIGSYS: %s", strerror(errno));
		return -1;
	}
	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	rc = 0;
	for (i = 0; rc == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/* sockets: netlink; and an IPv4 datagram socket, which the firewall
	 * check opens (when the kernel is attached, maybe after a retry)
	 * only for ipset's getsockopt() */
	if (rc == 0)
		rc = allow_if(ctx, SCMP_SYS(socket), 0, SCMP_CMP_EQ, AF_NETLINK,
		    0);
	if (rc == 0) {
		struct scmp_arg_cmp c[2] = {
			{0, SCMP_CMP_EQ, AF_INET, 0},
			{1, SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM},
		};

		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(socket), 2, c);
	}
	/* ioctl: only isatty()'s question (stdio) */
	if (rc == 0)
		rc = allow_if(ctx, SCMP_SYS(ioctl), 1, SCMP_CMP_EQ, TCGETS, 0);
	/* signals: only to this process (the SIGSYS report) */
	if (rc == 0)
		rc = allow_if(ctx, SCMP_SYS(tgkill), 0, SCMP_CMP_EQ,
		    (scmp_datum_t)getpid(), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		snprintf(err, errlen, "seccomp filter: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* --- capabilities --- */

#define NET_ADMIN_BIT (1u << CAP_NET_ADMIN) /* in the first 32-bit word */

static int
caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return (int)syscall(SYS_capget, &h, d);
}

static int
has_cap(int cap)
{
	struct __user_cap_data_struct d[2];

	return caps_get(d) == 0 &&
	    (d[cap / 32].effective & (1u << (cap % 32))) != 0;
}

int
privdrop_has_netadmin(void)
{
	return has_cap(CAP_NET_ADMIN);
}

/* Permitted and effective: CAP_NET_ADMIN alone (keep) or none;
 * inheritable empty. */
static int
caps_only_netadmin(int keep)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (keep)
		d[0].effective = d[0].permitted = NET_ADMIN_BIT;
	return (int)syscall(SYS_capset, &h, d);
}

/* Every capability but CAP_NET_ADMIN out of the bounding set. */
static int
drop_bounding(char *err, size_t errlen)
{
	int cap;

	for (cap = 0; cap < 64; cap++) {
		if (cap == CAP_NET_ADMIN)
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			snprintf(err, errlen, "cannot drop capability %d from the "
			    "bounding set: %s", cap, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
become(const char *user, long keep_gid, char *err, size_t errlen)
{
	struct passwd *pw;
	gid_t keep = (gid_t)keep_gid;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "run: user \"%.64s\" (privileges.user) %s: "
		    "create it (\"meson install\" does: systemd-sysusers), or set "
		    "privileges.user = \"\" to stay root with CAP_NET_ADMIN alone",
		    user, errno ? strerror(errno) : "does not exist");
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "run: privileges.user \"%.64s\" is root; "
		    "name an unprivileged user, or \"\"", user);
		return -1;
	}
	/* no supplementary group, or the one the caller keeps (run
	 * --journal: systemd-journal, which reads the journal's files) */
	if ((keep_gid <= 0 ? setgroups(0, NULL) : setgroups(1, &keep)) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid,
	    pw->pw_gid) < 0) {
		snprintf(err, errlen, "run: cannot take the group of %.64s: %s",
		    user, strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
		snprintf(err, errlen, "run: cannot become user %.64s: %s", user,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The state file's directory, writable by who we are now. */
static int
state_dir_writable(const char *state, const char *user, char *err,
    size_t errlen)
{
	char *dir = xstrdup(state), *slash = strrchr(dir, '/');
	int rc = 0;

	if (slash == NULL)
		snprintf(dir, strlen(dir) + 1, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "run: user %.64s cannot write the state "
		    "directory %.200s (%s): make it the user's own (chown %.64s "
		    "%.200s; \"meson install\" does it for /var/lib/mailban)",
		    user, dir, strerror(errno), user, dir);
		rc = -1;
	}
	free(dir);
	return rc;
}

int
privdrop_enter(const struct privdrop *p, char *err, size_t errlen)
{
	int root = geteuid() == 0, netadmin = privdrop_has_netadmin();
	int degraded = 0;

	err[0] = '\0';
	if (!netadmin) {
		snprintf(err, errlen, "run: needs the capability CAP_NET_ADMIN "
		    "(to change the kernel's sets) and does not have it: start it "
		    "as root, or give the binary the file capability (setcap "
		    "cap_net_admin+ep; README: Privileges)");
		if (!p->degrade)
			return -1;
		degraded = 1;
	}
	/* the bounding set first, while CAP_SETPCAP is still effective (root;
	 * a file capability of CAP_NET_ADMIN alone cannot, and needs not:
	 * no_new_privs and the filter keep it from gaining any) */
	if (has_cap(CAP_SETPCAP) && drop_bounding(err, errlen) < 0)
		return -1;
	if (root && p->user != NULL && p->user[0] != '\0') {
		char why[1024];

		if (become(p->user, p->keep_gid, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s%s", why, p->degrade ?
			    "; running as root with CAP_NET_ADMIN alone" : "");
			if (!p->degrade || getpwnam(p->user) != NULL)
				return -1; /* not what the machine lacks */
			degraded = 1;
		} else if (state_dir_writable(p->state, p->user, why,
		    sizeof(why)) < 0) {
			snprintf(err, errlen, "%s", why);
			if (!p->degrade)
				return -1;
			degraded = 1;
		}
	}
	if (caps_only_netadmin(netadmin) < 0) {
		snprintf(err, errlen, "run: capset: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) {
		snprintf(err, errlen, "run: clearing the ambient capabilities: %s",
		    strerror(errno));
		return -1;
	}
	if (netadmin && !privdrop_has_netadmin()) {
		snprintf(err, errlen, "run: lost CAP_NET_ADMIN while dropping "
		    "the others");
		return -1;
	}
#ifdef PRIVDROP_ASAN
	/* LeakSanitizer's helper ptraces the process: the user switch made
	 * it undumpable, which forbids that */
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "run: no_new_privs: %s", strerror(errno));
		return -1;
	}
#ifdef PRIVDROP_ASAN
	/*
	 * LeakSanitizer's check at exit stops the process with a helper that
	 * it clones and that ptraces it, which no filter of ours can allow
	 * without allowing what it is for: an AddressSanitizer build runs
	 * without the filter (test_privdrop, built without sanitizers, tests
	 * it in every build).
	 */
	if (p->seccomp)
		msg_info("seccomp: no filter in a build with AddressSanitizer");
	(void)load_filter;
#else
	if (p->seccomp && load_filter(err, errlen) < 0)
		return -1;
#endif
	return degraded;
}
