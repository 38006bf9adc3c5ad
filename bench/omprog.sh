#!/bin/bash
# NAME
#	omprog.sh - rsyslog -> omprog -> mailban -> kernel: throughput and
#	delay, with the shipped rsyslog.d/60-mailban.conf
# SYNOPSIS
#	bench/omprog.sh BUILDDIR [LINES] [LATENCY_SECONDS]    (as root)
# DESCRIPTION
#	Runs a private rsyslogd (test/rsyslog/daemon.sh: the shipped snippet,
#	confirmMessages on, paths replaced) inside a private network namespace,
#	with useTransactions on (as shipped) and off.  For each:
#
#	mixed: LINES (default 200,000) lines of bench/genlog.py's mixed mail
#	log (5% attacks) sent to rsyslog's socket as fast as it takes them,
#	then at 20,000 and 40,000 lines/s, each followed by a sentinel RBL
#	reject; the time until the sentinel's ban is in the kernel gives
#	lines/s, and "lag" (sentinel banned minus last send) shows whether
#	mailban kept up.  rsyslog is then stopped and mailban's own count of
#	lines read must equal the lines sent ("unread" 0).
#
#	flood: 50,000 RBL rejects of distinct addresses (each one a ban, as in
#	a botnet run against a DNSBL-listed range) and the sentinel, timed the
#	same way.
#
#	latency: 1,000 lines/s for LATENCY_SECONDS (default 30), every tenth
#	an RBL reject of a new address; the delay from the send to the ban
#	being in the kernel (asked of the kernel with "ipset test"), median
#	and 99th percentile.
#
#	Prints one line per measurement; record them in bench/RESULTS.md.
set -u
build=${1:?usage: bench/omprog.sh BUILDDIR [LINES] [LATENCY_SECONDS]}
lines=${2:-200000}
secs=${3:-30}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
MAILBAN=$(cd "$build" && pwd)/mailban
export SRCDIR MAILBAN
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
. "$SRCDIR/test/rsyslog/daemon.sh"
trap 'rsyslog_stop; cleanup' EXIT
py=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')

python3 "$SRCDIR/bench/genlog.py" --lines "$lines" --seed 5 "$tmp/mail.log" >/dev/null
# a flood: 50,000 RBL rejects of distinct addresses, each one a ban
addr_list 4 50000 | while read -r a; do
	printf 'Nov 27 00:00:00 mx1 postfix/smtpd[1]: '; rbl_msg "$a"
done > "$tmp/flood.log"

# what mailban and rsyslogd said, when a count is off
explain() {
	echo "--- mailban (all but the ban lines):"
	grep -v '^mailban: ban ' "$MB_ERR"
	echo "--- rsyslogd's own messages:"
	grep -v 'postfix/smtpd' "$RS_LOG" | tail -20
}

fresh() { # TXN on|off
	rsyslog_stop
	rsyslog_prepare "s/useTransactions=\"on\"/useTransactions=\"$1\"/"
	# the load generator writes the lines: the trust rule names python
	sed -i "s|exe = \"$tmp/mta/sbin/\*\"|exe = \"$py\"|" "$MB_CONF"
	# each run starts clean: no state, no queue files a previous run saved
	rm -rf "$tmp"/state.db* "$MB_ERR" "$tmp/work"
	srv "$MAILBAN" setup -c "$MB_CONF" >/dev/null || exit 1
	srv ipset flush mailban4
	srv ipset flush mailban6
	rsyslog_start
}

for txn in on off; do
	for rate in 0 20000 40000; do
		fresh $txn
		r=$(python3 "$SRCDIR/bench/omprog_load.py" throughput "$RS_SOCK" "$SRV" "$tmp/mail.log" $rate) || exit 1
		rsyslog_stop || echo "rsyslogd did not stop in 30 s"
		got=$(last_exit_lines "$MB_ERR")
		sent=$((lines + 1))
		bans=$(sed -n 's/^mailban: exiting: .* \([0-9]*\) bans.*/\1/p' "$MB_ERR" | tail -1)
		k4=$(set_count mailban4)
		k6=$(set_count mailban6)
		echo "mixed useTransactions=$txn offered ${rate/#0/max} lines/s: $r; mailban read $got of $sent lines (unread at stop, kept in the disk queue: $((sent - ${got:-0}))), $bans bans, kernel entries $k4 v4 + $k6 v6"
		[ "${got:-0}" -eq "$sent" ] || explain
	done
	fresh $txn
	r=$(python3 "$SRCDIR/bench/omprog_load.py" throughput "$RS_SOCK" "$SRV" "$tmp/flood.log") || exit 1
	rsyslog_stop || echo "rsyslogd did not stop in 30 s"
	got=$(last_exit_lines "$MB_ERR")
	k4=$(set_count mailban4)
	echo "flood useTransactions=$txn: $r; mailban read $got of 50001 lines, kernel entries $k4 v4 (expected 150003)"
	[ "${got:-0}" -eq 50001 ] || explain
	fresh $txn
	r=$(python3 "$SRCDIR/bench/omprog_load.py" latency "$RS_SOCK" "$SRV" 1000 "$secs" 10) || exit 1
	echo "latency useTransactions=$txn at 1000 lines/s, 1 ban in 10 lines: $r"
done
