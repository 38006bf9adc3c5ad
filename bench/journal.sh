#!/bin/sh
# journal.sh - entries/s read and decided from the systemd journal
#
# usage: bench/journal.sh [WORKDIR]
#
# Builds a release binary (build-release), writes a journal of ENTRIES
# entries (default 1,000,000, 2 kHz: 500 s) with systemd-journal-remote
# (which splits them into files of about 57 MB, as journald rotates) from
# the export stream of test/journal/export.py (Postfix's smtpd with the
# fields journald adds for it: 80% connects, 20% relay-denied rejects of
# 75,000 addresses, 50,000 of which cross the threshold), and runs, RUNS times
# each (default 3), single thread, the journal file in the page cache:
#
#   mailban test --journal --journal-directory DIR --json
#   journalctl -D DIR -o short-iso | mailban test --json  (the text way)
#   fail2ban-regex -m _SYSTEMD_UNIT=postfix@-.service
#       'systemd-journal[journalpath="DIR"]' filter.d/postfix.conf
#       (fail2ban's systemd backend, python3-systemd)
#
# printing the median wall time and entries/s, and the bans each found.
# Needs root only to install packages (systemd-journal-remote, fail2ban,
# python3-systemd) when missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
work=${1:-/tmp/mailban-bench-journal}
ENTRIES=${ENTRIES:-1000000}
RUNS=${RUNS:-3}
mkdir -p "$work"
JR=/lib/systemd/systemd-journal-remote

if [ ! -x "$JR" ] || ! command -v fail2ban-regex > /dev/null ||
    ! python3 -c 'import systemd.journal' 2>/dev/null; then
	apt-get install -y systemd-journal-remote fail2ban python3-systemd > /dev/null
fi
if [ ! -f "$src/build-release/build.ninja" ]; then
	meson setup "$src/build-release" "$src" --buildtype=release \
	    -Dc_args=-Wno-error=maybe-uninitialized > /dev/null
fi
ninja -C "$src/build-release" mailban > /dev/null
mailban=$src/build-release/mailban

# ---------------------------------------------------------------- journal
dir=$work/journal-$ENTRIES
if [ ! -s "$dir/a.journal" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	banned=$((ENTRIES / 20))
	below=$((ENTRIES / 40))
	noise=$((ENTRIES - 3 * banned - 2 * below))
	python3 "$src/test/journal/export.py" stream --banned $banned \
	    --below $below --noise $noise \
	    --start $(( ($(date +%s) - 7200) * 1000000 )) --step 500 |
	    "$JR" -o "$dir/a.journal" - 2> "$work/jr.err"
fi
cat "$dir/a.journal" > /dev/null # the page cache

# runs NAME CMD...: RUNS runs; the median wall time in $med and entries/s
# from it in $rate, the median CPU time (user and system, every process
# of the command: on a shared machine the steadier figure) in $cpu and
# entries/s from it in $crate; the command's stdout in $work/NAME.out
runs() {
	name=$1
	shift
	: > "$work/$name.times"
	i=0
	while [ $i -lt "$RUNS" ]; do
		rm -f "$work/$name.out"
		t0=$(date +%s%N)
		/usr/bin/time -f "%U %S" -o "$work/$name.cpu" sh -c "$*" \
		    > "$work/$name.out" 2> "$work/$name.err" || true
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 )) $(awk '{ printf "%.2f", $1 + $2 }' \
		    "$work/$name.cpu") >> "$work/$name.times"
		i=$((i + 1))
	done
	mid=$(( (RUNS + 1) / 2 ))
	med=$(sort -n "$work/$name.times" | sed -n "${mid}p" |
	    awk '{ printf "%.3f", $1 / 1e6 }')
	cpu=$(sort -n -k2 "$work/$name.times" | sed -n "${mid}p" | cut -d' ' -f2)
	rate=$(awk -v l="$ENTRIES" -v s="$med" 'BEGIN { printf "%.0f", (s > 0) ? l / s : 0 }')
	crate=$(awk -v l="$ENTRIES" -v s="$cpu" 'BEGIN { printf "%.0f", (s > 0) ? l / s : 0 }')
	printf '%-40s %8s s %9s entries/s   CPU %6s s %9s entries/s\n' \
	    "$name" "$med" "$rate" "$cpu" "$crate"
}
bans() { sed -n 's/.*"event":"summary".*"bans":\([0-9]*\).*/\1/p' "$1"; }

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$ENTRIES entries, median of $RUNS runs: wall, then CPU (user + system)"
runs "mailban test --journal" "$mailban test --json --journal --journal-directory $dir"
m_rate=$rate m_crate=$crate
echo "    bans: $(bans "$work/mailban test --journal.out")"
runs "journalctl -o short-iso | mailban test" "journalctl -D $dir -o short-iso --no-pager | $mailban test --json"
echo "    bans: $(bans "$work/journalctl -o short-iso | mailban test.out")"
runs "fail2ban-regex (systemd backend)" "fail2ban-regex -m _SYSTEMD_UNIT=postfix@-.service 'systemd-journal[journalpath=\"$dir\"]' /etc/fail2ban/filter.d/postfix.conf"
f_rate=$rate f_crate=$crate
echo "    $(grep '^Lines:' "$work/fail2ban-regex (systemd backend).out")"
awk -v a="$m_rate" -v b="$f_rate" -v c="$m_crate" -v d="$f_crate" 'BEGIN {
	if (b > 0 && d > 0) printf "mailban / fail2ban: %.1fx wall, %.1fx CPU\n", a / b, c / d }'
