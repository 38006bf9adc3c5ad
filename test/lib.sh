# Shared helpers for the shell tests: counters, checks, skip handling.
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
# (its own variable name: callers' variables stay untouched)
check() {
	_check_what=$1
	shift
	if "$@"; then ok "$_check_what"; else not_ok "$_check_what"; fi
}

# skip REASON: exit 77, or fail when MAILBAN_NO_SKIP=1 (CI)
skip() {
	echo "skip: $*"
	if [ "${MAILBAN_NO_SKIP:-}" = 1 ]; then
		echo "MAILBAN_NO_SKIP=1: a skip is a failure"
		exit 1
	fi
	exit 77
}

# run_user_owns DIR...: give DIR to the user "mailban run" continues as
# when started as root (privileges.user, default mailban): it writes the
# state file, the zone files and the page there.
run_user_owns() {
	getent passwd mailban >/dev/null ||
		skip "no user mailban (./bootstrap and meson install create it)"
	chown mailban: "$@"
}

done_testing() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# wait_for SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds
# (0) or SECONDS (a whole number) have passed on the monotonic clock (1).
# Polls run with stderr silenced; the last one, at the deadline, speaks,
# and a line on stderr says what was waited for.  COMMAND must only look
# (it may run many times) and must not itself call wait_for, wait_daemon
# or stop_daemon.
wait_for() {
	_wf_secs=$1
	shift
	_wf_clock
	_wf_end=$((_wf_now + _wf_secs * 100))
	while [ "$_wf_now" -lt "$_wf_end" ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		_wf_clock
	done
	"$@" && return 0
	echo "# waited $_wf_secs s in vain for: $*" >&2
	return 1
}

# _wf_clock: _wf_now, the seconds since boot in hundredths (no fork)
_wf_clock() {
	read -r _wf_up _wf_idle < /proc/uptime
	_wf_now=${_wf_up%.*}${_wf_up#*.}
}

# wait_daemon NAME PID SOCKET PIDFILE [LOG...]: wait up to 10 s until the
# daemon started as PID has made SOCKET and PIDFILE; if it dies or the
# time runs out, show the tail of its LOGs and exit the test with 1.
wait_daemon() {
	_wd_name=$1 _wd_pid=$2 _wd_sock=$3 _wd_pidfile=$4
	shift 4
	if ! wait_for 10 _wd_settled || ! _wd_up; then
		echo "$_wd_name did not start:"
		cat "$@" 2>/dev/null | tail -20
		exit 1
	fi
}
_wd_up() { [ -S "$_wd_sock" ] && [ -s "$_wd_pidfile" ]; }
_wd_settled() { _wd_up || gone "$_wd_pid"; }

# stop_daemon PID: SIGTERM, wait up to 30 s, then SIGKILL; 0 when PID
# exited within the 30 s.  Reaps PID when it is a child of this shell.
stop_daemon() {
	kill -TERM "$1" 2>/dev/null
	if wait_for 30 gone "$1"; then
		wait "$1" 2>/dev/null
		return 0
	fi
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 1
}

# gone PID: no process PID
gone() { ! kill -0 "$1" 2>/dev/null; }

# journal_lines FILE: the lines held in a mailban journal (include/journal.h:
# the end at offset 16, host byte order; lines from offset 64 up to it)
journal_lines() {
	python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:16] == b"mailban-journal\n", "not a journal"
end = struct.unpack("=Q", d[16:24])[0]
print(d[64:end].count(b"\n"))' "$1"
}

# scored STATE N ADDR...: the state file STATE (read-only) keeps at least N
# score events in flight for each ADDR (its scores table: "TIME:SCORE ...",
# written once what the lines decided is committed)
scored() {
	python3 - "$@" <<'PY'
import sqlite3, sys, urllib.parse
path, n, addrs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
try:
    db = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(path), uri=True)
    have = dict(db.execute("SELECT addr, events FROM scores"))
except sqlite3.Error:
    sys.exit(1)
sys.exit(any(len(have.get(a, "").split()) < n for a in addrs))
PY
}

# per_address_mailban DIR: print the path of a mailban that scores and
# bans each address alone (prefix.ipv6 = 128, widen.count = 0), made in
# DIR.  For the suites that test delivery and state with many attacker
# addresses of one network; prefixes and widening have their own tests
# (test/kernel/prefix.sh, test/golden/prefix-*).
per_address_mailban() {
	cat > "$1/mailban-per-address" <<PEOF
#!/bin/sh
cmd=\$1
shift
exec "$MAILBAN" "\$cmd" -o 'prefix={ipv6=128;}' -o 'widen={count=0;}' "\$@"
PEOF
	chmod 755 "$1/mailban-per-address"
	echo "$1/mailban-per-address"
}

# per_address_conf FILE: the same settings in a copy of the shipped
# configuration file (its prefix and widen lines replaced)
per_address_conf() {
	sed -i -e 's/^prefix  *= .*/prefix = { ipv4 = 32; ipv6 = 128; }; # each address alone/' \
	    -e 's/^widen  *= .*/widen = { count = 0; }; # widening is tested elsewhere/' "$1"
	grep -q '^prefix = { ipv4 = 32; ipv6 = 128; }' "$1" &&
	    grep -q '^widen = { count = 0; }' "$1"
}
