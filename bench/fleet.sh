#!/bin/bash
# NAME
#	fleet.sh - the central host of a fleet: lines/s from 1, 2 and 4 MX
#	hosts over RELP into mailban, and where the time goes
# SYNOPSIS
#	bench/fleet.sh BUILDDIR [LINES]    (as root)
# DESCRIPTION
#	Builds the fleet of test/fleet/fleet-lib.sh with four MX namespaces:
#	each MX runs a private rsyslogd with the shipped
#	60-mailban-mx-relp.conf only (no local mailban, so that only the
#	central path is measured); the central one runs the shipped
#	60-mailban-central.conf (imrelp, mail-fleet.log, mailban run --omprog
#	with confirmMessages and transactions) with a zone written every
#	second.  LINES (default 200,000) lines of bench/genlog.py's mixed mail
#	log (5% attacks) are split evenly over 1, 2 or 4 MXs and sent to their
#	sockets as fast as they take them (bench/fleet_load.py).  Each run
#	starts with an empty central state, queue directory and zone.
#
#	relp      the central ruleset without the mailban action: imrelp ->
#	          queue -> mail-fleet.log.  The clock stops when the file has
#	          every line.  RELP's own ceiling.
#	nomatch   mailban with one pattern, for the senders' last lines only
#	          (one literal needle per postfix/smtpd line): the omprog
#	          protocol round trips and mailban's reader, almost no work.
#	mailban   the shipped central configuration.  The clock stops when
#	          every sender's last line (an RBL reject) is banned in the
#	          central kernel; mailban's own count of lines read must equal
#	          the lines sent ("unread" 0).
#	flood     50,000 RBL rejects of distinct addresses over 2 MXs: every
#	          line a ban (kernel, state file, zone).
#	direct    the same mixed log and flood into "mailban run" on stdin,
#	          no rsyslog: mailban's line path with its state writes.
#	zone      the time to write the zone of 50,000 active bans
#	          (mailban restore with and without the zone group).
#
#	Each is run "live" (the senders and the central host at the same
#	time: on a small machine they share the CPUs, and the senders may be
#	the limit) and "drain" (the central rsyslogd stopped with SIGSTOP while
#	the MXs queue every line, then continued: the central host alone,
#	draining the MXs' backlog over their open RELP sessions).
#
#	Prints one line per measurement; record them in bench/RESULTS.md.
set -u
build=${1:?usage: bench/fleet.sh BUILDDIR [LINES]}
lines=${2:-80000}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
MAILBAN=$(cd "$build" && pwd)/mailban
export SRCDIR MAILBAN
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/fleet/fleet-lib.sh"
trap fleet_cleanup EXIT
trap 'exit 1' HUP INT TERM
C=$tmp/central

fleet_net 4
for i in 1 2 3 4; do
	mx_prepare $i
	rs_start "$tmp/mx$i" "$(mxns $i)" mx$i
done

python3 "$SRCDIR/bench/genlog.py" --lines "$lines" --seed 5 "$tmp/mixed.log" >/dev/null
python3 - "$tmp/flood.log" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(50000):
        a = "10.4.%d.%d" % (i // 250, i % 250 + 1)
        f.write("Nov 27 00:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
                "unknown[%s]: 554 5.7.1 Service unavailable; Client host [%s] "
                "blocked using zen.spamhaus.org; from=<spam@example.com> "
                "to=<user@example.org> proto=ESMTP helo=<example.com>\n" % (a, a))
PY

# split_log LOG K: LOG.K.1 ... LOG.K.K, contiguous parts
split_log() {
	rm -f "$1.$2".*
	split -n l/"$2" -a 1 --numeric-suffixes=1 "$1" "$1.$2."
}

# fresh VARIANT: the central host with nothing kept from the last run
fresh() {
	rs_stop "$C" >/dev/null 2>&1
	rm -rf "$C" "$tmp"/zones/*
	case $1 in
	relp) central_prepare '/action(type="omprog"/,/action.reportSuspension="on")/d' ;;
	*) central_prepare ;;
	esac
	if [ "$1" = nomatch ]; then
		printf 'state = "%s/state.db";\nzone = { ipv4 = "%s"; ipv6 = "%s"; every = "1s"; };\npatterns = ( { name = "sentinel"; program = "postfix/smtpd"; score = 10; regex = "^NOQUEUE: reject: RCPT from unknown\\\\[(?<ip>10\\\\.255\\\\.255\\\\.[0-9]+)\\\\]"; } );\n' \
		    "$C" "$tmp/zones/mailban4.zone" "$tmp/zones/mailban6.zone" > "$C/mailban.conf"
	fi
	ip netns exec "$CEN" ipset flush mailban4 2>/dev/null
	ip netns exec "$CEN" ipset flush mailban6 2>/dev/null
	# as at boot: the sets exist (the load asks the kernel) and the zone
	[ "$1" = relp ] || ip netns exec "$CEN" "$MAILBAN" restore -c "$C/mailban.conf" >/dev/null
	rs_start "$C" "$CEN" central
}

# warm K: one line from each of K MXs, through; RELP sessions up, the
# central mailban started (the clock must not count either)
warm() {
	for i in $(seq 1 "$1"); do
		echo "connect from warm-up[192.0.2.1$i]" > "$tmp/warm"
		send "$tmp/mx$i" "$tmp/warm"
	done
	i=0
	until [ "$(grep -c 'warm-up' "$C/mail-fleet.log" 2>/dev/null || echo 0)" -ge "$1" ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && { echo "warm-up lines did not arrive in 60 s"; exit 1; }
		sleep 0.1
	done
	[ "$2" = relp ] || sleep 1
}

# cpu_secs PID: user + system CPU seconds PID has used so far
cpu_secs() {
	[ -n "$1" ] || { echo "?"; return; }
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

# after a run: mailban's own count of lines read
stop_count() {
	rs_stop "$C" || echo "central rsyslogd did not stop in 30 s"
	sed -n 's/^mailban: exiting: \([0-9]*\) lines.*/\1/p' "$C/mailban.log" |
	    awk '{ s += $1 } END { print s + 0 }'
}

run() { # VARIANT LOG K [drain]
	split_log "$2" "$3"
	args=
	for i in $(seq 1 "$3"); do args="$args $tmp/mx$i/log.sock:$2.$3.$i"; done
	fresh "$1"
	warm "$3" "$1"
	how=live
	opt=
	if [ "${4:-}" = drain ]; then
		how=drain
		kill -STOP "$(cat "$C/pid")"
		opt="--drain $(cat "$C/pid")"
	fi
	if [ "$1" = relp ]; then
		# shellcheck disable=SC2086
		r=$(python3 "$SRCDIR/bench/fleet_load.py" $opt relp \
		    "$C/mail-fleet.log" "$(wc -l < "$2")" $args) || exit 1
		cpu=$(cpu_secs "$(cat "$C/pid")")
		rs_stop "$C"
		echo "$1 $how $(basename "$2") from $3 MX: $r; CPU central rsyslogd $cpu s"
		return
	fi
	# shellcheck disable=SC2086
	r=$(python3 "$SRCDIR/bench/fleet_load.py" $opt mailban "$CEN" $args) || exit 1
	sent=$(($(wc -l < "$2") + 2 * $3))
	cpu="central rsyslogd $(cpu_secs "$(cat "$C/pid")") s, mailban $(cpu_secs "$(rs_child "$C")") s"
	got=$(stop_count)
	echo "$1 $how $(basename "$2") from $3 MX: $r; CPU $cpu; mailban read $got of $sent (unread $((sent - got)))"
}

for how in live drain; do
	for v in relp nomatch mailban; do
		for k in 1 2 4; do run $v "$tmp/mixed.log" $k $how; done
	done
done
run mailban "$tmp/flood.log" 2 live
run mailban "$tmp/flood.log" 2 drain

# mailban alone, no rsyslog: the same logs on stdin, same configuration
for log in mixed flood; do
	fresh mailban
	rs_stop "$C"
	: > "$C/mailban.log"
	/usr/bin/time -f '%e' -o "$tmp/time" ip netns exec "$CEN" "$MAILBAN" run \
	    -c "$C/mailban.conf" < "$tmp/$log.log" 2> "$tmp/direct.err"
	n=$(wc -l < "$tmp/$log.log")
	s=$(cat "$tmp/time")
	echo "direct $log: $n lines in $s s, $(echo "$n / $s" | bc) lines/s; $(grep -c '^mailban: ban ' "$tmp/direct.err") bans"
done

# the zone of the 50,000 flood bans now in the state file
sed '/^zone = /,$d' "$C/mailban.conf" > "$tmp/nozone.conf"
for c in "$tmp/nozone.conf" "$C/mailban.conf"; do
	rm -f "$tmp"/zones/*
	/usr/bin/time -f '%e' -o "$tmp/time" ip netns exec "$CEN" "$MAILBAN" restore -c "$c" >/dev/null
	echo "restore $(basename "$c"): $(cat "$tmp/time") s, zone files: $(cat "$tmp"/zones/*.zone 2>/dev/null | wc -l) lines"
done
