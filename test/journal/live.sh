#!/bin/bash
# The journal as a host without a syslog daemon has it: a private
# systemd-journald, in a mount namespace of this test's own (tmpfs over
# /run and /var/log/journal: the machine's journal is never seen or
# touched) and a network namespace of its own (mailban's sets), with
# entries written by real processes through its syslog socket, so that
# journald itself adds _UID, _EXE and _COMM.  mailban run --journal
# reads the system's journal (no --journal-directory) and follows it
# through "journalctl --rotate", a vacuum, a journald restart and a
# journald killed with SIGKILL.
set -u
. "$SRCDIR/test/lib.sh"
JD=/lib/systemd/systemd-journald
[ "$(id -u)" = 0 ] || skip "not root"
[ -x "$JD" ] || skip "no systemd-journald"
command -v unshare > /dev/null || skip "no unshare"
if [ -z "${MB_JOURNAL_NS:-}" ]; then
	MB_JOURNAL_NS=1 exec unshare --mount --net --propagation private \
	    bash "$0" "$@"
fi
mount -t tmpfs -o mode=0755 tmpfs /run || skip "cannot mount a tmpfs on /run"
# journald exits at start without the cgroup file system ("Failed to
# acquire cgroup root path"), which a chroot or a container whose /sys is
# bound without its submounts lacks: mounted in this test's own mount
# namespace only
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup ||
    skip "no cgroup file system for systemd-journald"
mkdir -p /var/log/journal 2>/dev/null
mount -t tmpfs -o mode=0755 tmpfs /var/log/journal || exit 1
mkdir -p /run/systemd/journal /run/log/journal
# as systemd's tmpfiles.d/systemd.conf makes them: journald's files are
# root:systemd-journal 0640, read by mailban's run user through that group
getent group systemd-journal > /dev/null || skip "no group systemd-journal"
chgrp systemd-journal /run/log/journal /var/log/journal || exit 1
chmod 2755 /run/log/journal /var/log/journal || exit 1
ipset list -n > /dev/null 2>&1 || skip "no ip_set in a network namespace"

mb=$MAILBAN
tmp=$(mktemp -d) || exit 1
mb=$(per_address_mailban "$tmp")
jd_pid= run_pid= mta_pid= perl_pid=
cleanup() {
	for p in $run_pid $mta_pid $jd_pid $perl_pid; do
		{ kill -KILL "$p" && wait "$p"; } 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
# the run user's state directory (run --journal becomes user mailban)
chmod 0755 "$tmp"
mkdir "$tmp/state"
run_user_owns "$tmp/state"
st=$tmp/state/state.db
status_of() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
sock=/run/systemd/journal/dev-log

start_journald() {
	"$JD" >> "$tmp/journald.log" 2>&1 &
	jd_pid=$!
	wait_for 20 test -S "$sock" || { cat "$tmp/journald.log"; exit 1; }
}
in_set() { ipset test mailban4 "$1,tcp:25" > /dev/null 2>&1; }
q() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$st" "$1" 2>/dev/null; }
reject() { # IP: the message Postfix's smtpd writes for a relay attempt
	echo "NOQUEUE: reject: RCPT from unknown[$1]: 554 5.7.1 <x@example.com>: Relay access denied; from=<a@example.net> to=<x@example.com> proto=ESMTP helo=<x>"
}
# "The MTA": one long-lived process as root (the test's trust rule below
# says that Debian's python3, run by root, is Postfix) that writes, for each address
# it reads, three rejects to journald's syslog socket.  Long-lived as an
# MTA's daemons are: journald reads _EXE from /proc when the message
# arrives, and a process already gone has none (its entries are then
# never trusted).
# Debian's own interpreter by its path, never the first python3 on PATH
# (a python3 of pyenv's or /usr/local's is another executable, which the
# rule would rightly not trust)
py3=$(readlink -f /usr/bin/python3)
[ -x "$py3" ] || skip "no /usr/bin/python3"
mkfifo "$tmp/mta.in"
"$py3" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for ip in sys.stdin:
    ip = ip.strip()
    for i in range(3):
        m = ("NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 <x@example.com>: "
             "Relay access denied; from=<a@example.net> to=<x@example.com> "
             "proto=ESMTP helo=<x>" % ip)
        for tries in range(400):  # 20 s
            try:
                s.sendto(("<22>postfix/smtpd[1]: " + m).encode(), sys.argv[1])
                break
            except OSError:  # journald restarting: its socket comes back
                time.sleep(0.05)
' "$sock" < "$tmp/mta.in" &
mta_pid=$!
exec 7> "$tmp/mta.in"
mta() { echo "$1" >&7; }
runj() {
	"$mb" run --journal -o "state=\"$st\"" -o ports=[25] \
	    -o "trust=( { program = \"postfix*\"; exe = \"$py3\"; users = [ \"root\" ]; } )" \
	    "$@" 2>> "$tmp/run.err" &
	run_pid=$!
}
stop_run() { stop_daemon "$run_pid"; _rc=$?; run_pid=; return $_rc; }

start_journald
mta 192.0.2.20
# in the journal before mailban starts (the MTA writes asynchronously)
journal_has() { journalctl -q -o cat --no-pager 2>/dev/null | grep -q "unknown\[$1\]"; }
wait_for 20 journal_has 192.0.2.20 || { echo "journald never got the entries of 192.0.2.20"; exit 1; }
runj
check "run --journal reads the system's journal from now on" wait_for 20 grep -q "the journal: no cursor saved yet: reading from now on" "$tmp/run.err"
mta 192.0.2.21
check "a ban from entries journald received from the MTA's process" wait_for 20 in_set 192.0.2.21
in_set 192.0.2.21 || {
	# what journald recorded of the writer, and what mailban said
	journalctl -q -o verbose --no-pager 2>/dev/null |
	    grep -E '^ *(_EXE|_UID|_COMM|MESSAGE)=' | tail -8 | sed 's/^/# /'
	sed 's/^/# run: /' "$tmp/run.err" | tail -20
}
# least privilege, as run has it (the filter: not in an AddressSanitizer
# build, which says so)
check "run --journal is the run user" [ "$(status_of $run_pid Uid | cut -f1)" = "$(id -u mailban)" ]
check "with the group systemd-journal as its only supplementary group" [ "$(status_of $run_pid Groups | tr -d ' \t')" = "$(getent group systemd-journal | cut -d: -f3)" ]
check "with CAP_NET_ADMIN alone (CapEff)" [ "$(status_of $run_pid CapEff)" = 0000000000001000 ]
check "CapPrm" [ "$(status_of $run_pid CapPrm)" = 0000000000001000 ]
check "no_new_privs" [ "$(status_of $run_pid NoNewPrivs)" = 1 ]
check "a seccomp filter" sh -c "[ '$(status_of $run_pid Seccomp)' = 2 ] || grep -q 'seccomp: no filter in a build with AddressSanitizer' '$tmp/run.err'"
check "entries from before the first start are not read" sh -c '! ipset test mailban4 192.0.2.20,tcp:25 2>/dev/null'

# forgeries: the same tag and text from the same program run by another
# user, and from another program of root's (alive, as the MTA's daemons
# are, until its entries are read: a writer gone before journald read its
# executable is judged by its uid alone)
for i in 1 2 3; do
	setpriv --reuid=65534 --regid=65534 --clear-groups "$py3" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(("<22>postfix/smtpd[1]: " + sys.argv[2]).encode(), sys.argv[1])
' "$sock" "$(reject 192.0.2.22)"
done
mkfifo "$tmp/perl.in"
perl -MSocket -e '
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
my $to = pack_sockaddr_un($ARGV[0]);
send($s, "<22>postfix/smtpd[1]: $ARGV[1]", 0, $to) or die "send: $!" for 1 .. 3;
<STDIN>;' "$sock" "$(reject 192.0.2.23)" < "$tmp/perl.in" &
perl_pid=$!
exec 8> "$tmp/perl.in"
mta 192.0.2.24
check "the MTA's entries after the forgeries are acted on" wait_for 20 in_set 192.0.2.24
check "the same program run by another user is not acted on" sh -c '! ipset test mailban4 192.0.2.22,tcp:25 2>/dev/null'
check "root's other program is not acted on" sh -c '! ipset test mailban4 192.0.2.23,tcp:25 2>/dev/null'
untrusted() { [ "$(q "SELECT sum(count) FROM notices WHERE kind = 'untrusted'")" -ge 6 ]; }
check "the forgeries are counted as untrusted in the state file" wait_for 20 untrusted
exec 8>&-
wait "$perl_pid"

# journalctl --rotate (journald's own socket, in this namespace)
journalctl --rotate
check "journalctl --rotate rotated journald's file" sh -c 'ls /run/log/journal/*/ | grep -q "@"'
mta 192.0.2.25
check "entries after a rotation are acted on" wait_for 20 in_set 192.0.2.25
# the archived files vacuumed away
journalctl --vacuum-files=1 > /dev/null 2>&1
check "the archived file is vacuumed" sh -c '! ls /run/log/journal/*/ | grep -q "@"'
mta 192.0.2.26
check "entries after a vacuum are acted on" wait_for 20 in_set 192.0.2.26

# journald restarted, then killed and started again
stop_daemon "$jd_pid"
start_journald
mta 192.0.2.27
check "entries after a journald restart are acted on" wait_for 20 in_set 192.0.2.27
kill -KILL "$jd_pid"
wait "$jd_pid" 2>/dev/null
start_journald
mta 192.0.2.28
check "entries after journald was killed and started again are acted on" wait_for 20 in_set 192.0.2.28
check "the invalidations were followed" grep -q "journal files added or removed" "$tmp/run.err"
check "run --journal is still running" kill -0 "$run_pid"
check "under the filter, through rotations, a vacuum and journald restarts: no forbidden call" sh -c "! grep -q 'forbidden system call' '$tmp/run.err'"
check "and no journal file it could not read" sh -c "! grep -q 'cannot be read' '$tmp/run.err'"
stop_run
check "run --journal exits 0 on SIGTERM" [ $? -eq 0 ]

# a restart resumes after the last entry committed: written while stopped
mta 192.0.2.29
runj
check "restarted after the saved cursor" wait_for 20 grep -q "resuming right after the last entry committed" "$tmp/run.err"
check "entries written while mailban was stopped are acted on" wait_for 20 in_set 192.0.2.29
stop_run
n=$(q "SELECT count(*) FROM ban_log")
d=$(q "SELECT count(DISTINCT addr) FROM ban_log")
check "seven bans, each once ($n rows, $d addresses)" [ "$n.$d" = 7.7 ]
n=$(q "SELECT count(*) FROM bans WHERE addr IN ('192.0.2.20', '192.0.2.22', '192.0.2.23')")
check "neither the old entries nor the forgeries banned ($n)" [ "$n" -eq 0 ]

done_testing
