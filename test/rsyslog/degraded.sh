#!/bin/bash
# rsyslog with a mailban that cannot do its job: the shipped
# rsyslog.d/60-mailban.conf (paths replaced) in a private rsyslogd, and in
# turn a mailban binary that is missing or is /bin/false, no CAP_NET_ADMIN,
# a set of another type in the kernel, a broken configuration file and a
# state file that cannot be written.  Each time rsyslogd must survive
# 1,000 mail messages (rsyslog 8.2302 dies when an omprog program with
# forceSingleInstance exits before its first answer), mailban must say
# why (output file, status), and once the cause is mended (configuration
# plus HUP, privilege plus restart, the set removed, the state directory
# made) every ban decided meanwhile must be in the kernel and the state.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
. "$SRCDIR/test/rsyslog/daemon.sh"
trap 'rsyslog_stop; cleanup' EXIT
command -v setpriv >/dev/null 2>&1 || skip "setpriv (util-linux) not installed"

# rsyslog_stopped: rsyslogd exited 0 within 30 s of SIGTERM (8.2302 frees
# garbage at shutdown when binary= holds a quoted space: a SIGSEGV then,
# seen with meson's MALLOC_PERTURB_)
rsyslog_stopped() {
	_pid=$rsyslog_pid
	rsyslog_pid=
	kill -TERM "$_pid" 2>/dev/null
	if ! wait_for 30 gone "$_pid"; then
		kill -KILL "$_pid" 2>/dev/null
		wait "$_pid" 2>/dev/null
		echo "rsyslogd did not stop within 30 s"
		return 1
	fi
	wait "$_pid" 2>/dev/null
	_rc=$?
	[ "$_rc" = 0 ] || { echo "rsyslogd exited with status $_rc"; return 1; }
}

n_alive=0
# rsyslogd still runs and its main queue still flows: a user-facility
# marker sent now reaches its log
rsyslog_alive() {
	n_alive=$((n_alive + 1))
	kill -0 "$rsyslog_pid" 2>/dev/null || return 1
	logger -u "$RS_SOCK" -p user.info -t marker "alive-$n_alive"
	wait_for 20 grep -q "marker: alive-$n_alive\$" "$RS_LOG"
}

# same_guard PID: the guard's sed, PID, is still rsyslogd's child
same_guard() {
	[ -n "$1" ] && [ "$(pgrep -P "$rsyslog_pid" -x sed)" = "$1" ]
}

# in_state B: active bans of 10.B.* in the state file
in_state() {
	"$MAILBAN" list -c "$MB_CONF" --json 2>/dev/null | grep -c "\"ip\":\"10\\.$1\\."
}
state_has() { [ "$(in_state "$1")" -eq "$2" ]; }

# fresh: no sets, no state, an empty output file
fresh() {
	# a run makes the rules that use the sets: empty them, or the sets
	# stay referenced and cannot be destroyed
	srv iptables -F MAILBAN 2>/dev/null
	srv ip6tables -F MAILBAN 2>/dev/null
	srv ipset destroy mailban4 2>/dev/null
	srv ipset destroy mailban6 2>/dev/null
	rm -rf "$tmp/state.db" "$tmp/state.db-wal" "$tmp/state.db-shm" \
	    "$tmp/state.db.pending" "$tmp/work"
	: > "$MB_ERR"
}

# status in the server namespace: its exit status, its text in $tmp/status
status_rc() {
	srv "$MAILBAN" status -c "$MB_CONF" > "$tmp/status" 2>&1
	echo $?
}

# --- the binary missing, or /bin/false: the snippet's guard ---
for bin in "$tmp/nowhere/mailban" /bin/false; do
	fresh
	MAILBAN=$bin rsyslog_prepare
	rsyslog_start
	mixed_file 3 100 10 "$tmp/m3" "$tmp/m3.addrs"
	send_lines "$tmp/m3"
	check "$bin: rsyslogd is alive after 1,000 mail messages" rsyslog_alive
	check "$bin: the guard says so in the output file" \
	    wait_for 10 grep -q "mailban: $bin is missing or cannot run: mail log lines are confirmed and dropped, nothing is banned" "$MB_ERR"
	check "$bin: and in the system log (daemon.err)" \
	    wait_for 10 grep -q "mailban: $bin is missing or cannot run" "$RS_LOG"
	check "$bin: nothing pretends to ban" not_in_set mailban4 "10.3.0.1,tcp:25"
	guard=$(pgrep -P "$rsyslog_pid" -x sed)
	kill -HUP "$rsyslog_pid"
	wait_for 10 grep -q "rsyslogd was HUPed" "$RS_LOG"
	mta_log "$(rbl_msg 203.0.113.60)"
	check "$bin: rsyslogd is alive after a HUP (log rotation)" rsyslog_alive
	check "$bin: the HUP left the guard running ($guard)" same_guard "$guard"
	check "$bin: rsyslogd exits 0 within 30 s of SIGTERM" rsyslog_stopped
done

# --- no CAP_NET_ADMIN: bans kept in the state, applied after a restart ---
fresh
rsyslog_prepare
rsyslog_start setpriv --bounding-set=-net_admin
mixed_file 4 100 10 "$tmp/m4" "$tmp/m4.addrs"
send_lines "$tmp/m4"
check "no privilege: rsyslogd is alive after 1,000 mail messages" rsyslog_alive
check "no privilege: the 100 bans are decided into the state file" \
    wait_for 30 state_has 4 100
check "no privilege: none reached the kernel" not_in_set mailban4 "10.4.0.1,tcp:25"
check "no privilege: the output says why" \
    wait_for 10 grep -q "degraded: bans cannot reach the kernel: no capability CAP_NET_ADMIN" "$MB_ERR"
rc=$(status_rc)
check "no privilege: status exits 4 (got $rc)" [ "$rc" = 4 ]
check "no privilege: status shows the cause" \
    grep -q "^DEGRADED .*CAP_NET_ADMIN" "$tmp/status"
pid=$(mailban_pid)
check "no privilege: mailban still runs ($pid)" [ -n "$pid" ]
check "no privilege: rsyslogd exits 0 within 30 s of SIGTERM" rsyslog_stopped
rsyslog_start
mta_log "$(rbl_msg 203.0.113.50)"
check "privilege restored, restarted: every ban decided meanwhile is in the kernel" \
    wait_for 30 all_in_set "$tmp/m4.addrs"
check "and the new one" wait_for 10 in_set mailban4 "203.0.113.50,tcp:25"
rc=$(status_rc)
check "status exits 0 again (got $rc)" [ "$rc" = 0 ]
check "status no longer says DEGRADED" sh -c "! grep -q DEGRADED '$tmp/status'"
check "rsyslogd exits 0 within 30 s of SIGTERM" rsyslog_stopped

# --- the kernel refuses: a set of another type; mended while running ---
fresh
srv ipset create mailban4 hash:net
rsyslog_prepare
rsyslog_start
mixed_file 5 100 10 "$tmp/m5" "$tmp/m5.addrs"
send_lines "$tmp/m5"
check "misfit set: rsyslogd is alive after 1,000 mail messages" rsyslog_alive
check "misfit set: the 100 bans are decided into the state file" \
    wait_for 30 state_has 5 100
rc=$(status_rc)
check "misfit set: status exits 4 naming the set (got $rc)" \
    sh -c "[ $rc = 4 ] && grep -q '^DEGRADED .*mailban4' '$tmp/status'"
pid=$(mailban_pid)
srv ipset destroy mailban4
check "set removed: mailban makes it and applies the bans within 30 s" \
    wait_for 30 all_in_set "$tmp/m5.addrs"
check "set removed: the same mailban did it" [ "$(mailban_pid)" = "$pid" ]
check "set removed: the output says it is over" \
    wait_for 10 grep -q "no longer degraded" "$MB_ERR"
check "misfit set: rsyslogd exits 0 within 30 s of SIGTERM" rsyslog_stopped

# --- a broken configuration: raw lines kept, read again after HUP ---
fresh
rsyslog_prepare 's|-c\\t\$c\\t|-c\\t$c\\t-o\\tstate='"$tmp"'/state.db\\t|'
check "broken configuration: the kept lines' state is the test's" \
    grep -qF "state=$tmp/state.db" "$RS_CONF"
cp "$MB_CONF" "$tmp/good.conf"
nl=$(($(wc -l < "$MB_CONF") + 1))
echo 'threshold = ;' >> "$MB_CONF"
rsyslog_start
mixed_file 6 100 10 "$tmp/m6" "$tmp/m6.addrs"
send_lines "$tmp/m6"
check "broken configuration: rsyslogd is alive after 1,000 mail messages" rsyslog_alive
check "broken configuration: the output names $MB_CONF:$nl" \
    wait_for 10 grep -q "degraded: configuration: $MB_CONF:$nl: " "$MB_ERR"
kept_all() { [ "$(journal_lines "$tmp/state.db.pending")" -eq 1000 ]; }
check "broken configuration: the 1,000 lines are kept in the journal" \
    wait_for 20 kept_all
check "broken configuration: nothing banned yet" not_in_set mailban4 "10.6.0.1,tcp:25"
pid=$(mailban_pid)
cp "$tmp/good.conf" "$MB_CONF"
kill -HUP "$rsyslog_pid"
check "mended and HUP: every ban decided meanwhile is in the kernel" \
    wait_for 30 all_in_set "$tmp/m6.addrs"
check "mended and HUP: and in the state file" wait_for 10 state_has 6 100
check "mended and HUP: the same mailban (HUP was passed on)" [ "$(mailban_pid)" = "$pid" ]
check "mended and HUP: the kept lines were read again" \
    grep -q "read again 1000 lines kept in $tmp/state.db.pending while no configuration loaded" "$MB_ERR"
check "broken configuration: rsyslogd exits 0 within 30 s of SIGTERM" rsyslog_stopped
check "nothing left in the journal" [ "$(journal_lines "$tmp/state.db.pending")" = 0 ]

# --- a state file that cannot be written: bans reach the kernel ---
fresh
rsyslog_prepare
: > "$tmp/blocked" # a file where the state's directory should be
sed -i "s|^state .*|state = \"$tmp/blocked/state.db\";|" "$MB_CONF"
rsyslog_start
mixed_file 7 100 10 "$tmp/m7" "$tmp/m7.addrs"
send_lines "$tmp/m7"
check "state unwritable: rsyslogd is alive after 1,000 mail messages" rsyslog_alive
check "state unwritable: every ban is in the kernel" \
    wait_for 30 all_in_set "$tmp/m7.addrs"
check "state unwritable: the output says why" \
    wait_for 20 grep -q "degraded: state file $tmp/blocked/state.db cannot be written" "$MB_ERR"
rm "$tmp/blocked"
mkdir "$tmp/blocked"
run_user_owns "$tmp/blocked" # mailban run is the run user by now
check "directory made: the 100 bans reach the state file" \
    wait_for 30 sh -c "[ \$('$MAILBAN' list -c '$MB_CONF' --json | grep -c '\"ip\":\"10\\.7\\.') -eq 100 ]"
check "directory made: the output says it is over" \
    wait_for 20 grep -q "no longer degraded" "$MB_ERR"
check "state unwritable: rsyslogd exits 0 within 30 s of SIGTERM" rsyslog_stopped

if [ "$fail" -gt 0 ]; then
	echo "--- mailban's output (tail)"; tail -20 "$MB_ERR"
	echo "--- rsyslog's messages (tail)"; grep -v 'postfix/smtpd' "$RS_LOG" | tail -20
fi
done_testing
