#!/bin/bash
# An rsyslogd that drops root for an unprivileged user ($PrivDropToUser:
# Ubuntu's runs as user syslog), so that omprog starts "mailban run
# --omprog" unprivileged.  With the file capability cap_net_admin+ep on
# its binary (README: Privileges), mailban bans in the kernel and records
# in the state file, and its process holds CAP_NET_ADMIN alone, with
# no_new_privs and the seccomp filter.  Without the capability, the error
# in mailban's log names it.  The daemon's user here is nobody.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
command -v setcap >/dev/null 2>&1 || skip "setcap not installed (libcap2-bin)"
ruser=nobody
rgroup=$(id -gn nobody)

# The capability binary: a copy readable and runnable by the daemon's
# group alone (a capability for every local user would let anyone ban).
mkdir "$tmp/bin"
cp "$MAILBAN" "$tmp/bin/mailban"
chgrp "$rgroup" "$tmp/bin/mailban"
chmod 0750 "$tmp/bin/mailban"
setcap cap_net_admin+ep "$tmp/bin/mailban" ||
	skip "setcap failed (a file system without file capabilities?)"
setcap -r "$tmp/bin/mailban"
chmod 711 "$tmp/bin"
MAILBAN=$tmp/bin/mailban
. "$SRCDIR/test/rsyslog/daemon.sh"
trap 'rsyslog_stop; cleanup' EXIT

# start [CAPABILITY]: the daemon, dropping root; the binary with the
# file capability CAPABILITY, or with none
start() {
	rsyslog_prepare
	printf '$PrivDropToUser %s\n$PrivDropToGroup %s\n' "$ruser" "$rgroup" \
	    >> "$RS_CONF"
	# the daemon's files and mailban's state directory: the daemon's user's
	chown -R "$ruser:$rgroup" "$tmp"
	chown root "$tmp/bin" "$tmp/bin/mailban" # (which clears a capability)
	[ -z "${1:-}" ] || setcap "$1" "$tmp/bin/mailban"
	rsyslog_start
}

status_of() { # PID FIELD
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"
}

start cap_net_admin+ep
srv "$MAILBAN" setup -c "$MB_CONF" >/dev/null || { echo "mailban setup failed"; exit 1; }
check "rsyslogd runs as $ruser" wait_for 10 sh -c "[ \"\$(ps -o user= -p $rsyslog_pid)\" = $ruser ]"
mta_log "$(rbl_msg $C4)"
check "$C4 banned in the kernel by an unprivileged mailban" \
    wait_for 10 in_set mailban4 "$C4,tcp:25"
check "and recorded in the state file" \
    wait_for 10 sh -c "'$MAILBAN' list -c '$MB_CONF' | grep -q '^$C4 '"
pid=$(mailban_pid)
check "mailban runs as the daemon's user ($pid)" [ -n "$pid" ] && [ "$(status_of "$pid" Uid | cut -f1)" = "$(id -u $ruser)" ]
check "with CAP_NET_ADMIN alone" [ "$(status_of "$pid" CapEff)/$(status_of "$pid" CapPrm)" = 0000000000001000/0000000000001000 ]
check "no_new_privs" [ "$(status_of "$pid" NoNewPrivs)" = 1 ]
check "the seccomp filter (or the note of a build without one)" \
    sh -c "[ '$(status_of "$pid" Seccomp)' = 2 ] || grep -q 'seccomp: no filter in a build with AddressSanitizer' '$MB_ERR'"
check "the state file is the daemon's user's" [ "$(stat -c %U "$tmp/state.db")" = "$ruser" ]
rsyslog_stop
check "mailban stopped cleanly with rsyslogd" sh -c "! grep -q 'forbidden system call' '$MB_ERR'"

# --- without the file capability: the error names it ---
: > "$MB_ERR"
start
mta_log "$(rbl_msg $C6)"
check "without the capability, mailban's log names CAP_NET_ADMIN" \
    wait_for 20 grep -q "needs the capability CAP_NET_ADMIN" "$MB_ERR"
check "and nothing is banned" not_in_set mailban6 "$C6,tcp:25"
rsyslog_stop
done_testing
