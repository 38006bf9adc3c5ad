#!/bin/sh
# NAME
#	bench/flood.sh - the tracker under a flood of distinct addresses
# SYNOPSIS
#	bench/flood.sh [BUILD_DIR] [COUNT] [TRACKED]   (default build, 10000000,
#	                                                the default limits.tracked)
# DESCRIPTION
#	An offender makes three Postfix SASL failures (3 each; threshold 10),
#	then COUNT distinct addresses make one "lost connection after AUTH"
#	each (1), half IPv4 and half IPv6 (each in a /64 of its own: IPv6
#	addresses are scored as their /64, prefix.ipv6), all within the
#	10-minute window, then the offender fails a fourth time (its /64 is
#	banned).  `mailban test --bans-only`
#	replays the log (generated first, then read from the page
#	cache; only bans and the summary are written, so that the time is the
#	line path's and the tracker's, not the output's) with limits.tracked =
#	TRACKED when given.  Prints whether the offender was banned (it must
#	be), the addresses held at the end, the peak RSS (/usr/bin/time %M:
#	the memory bound, (TRACKER_ENTRY_BYTES = 104) x limits.tracked and the
#	program's own few MiB) and the time per line, of the CPU (user +
#	system: other loads on the machine do not count) and of the clock.
#	WORKDIR (environment, default /tmp/mailban-flood) keeps the log
#	between runs: about 90 bytes a line.
set -eu
build=${1:-build}
count=${2:-10000000}
tracked=${3:-}
work=${WORKDIR:-/tmp/mailban-flood}
py=/usr/bin/python3
mkdir -p "$work"
log=$work/flood-$count.log
if [ ! -s "$log" ]; then
	"$py" - "$count" > "$log.tmp" <<'PY'
import sys
n = int(sys.argv[1])
w = sys.stdout.write
def stamp(sec):
    return "2026-11-27T01:%02d:%02d+00:00" % (sec // 60 % 60, sec % 60)
def sasl(sec):
    w("%s mx1 postfix/smtpd[4000]: warning: unknown[2001:db8:bad::66]: "
      "SASL LOGIN authentication failed: UGFzc3dvcmQ6\n" % stamp(sec))
for k in range(3):
    sasl(k)
chunk = []
for i in range(n):
    ip = ("10.%d.%d.%d" % (i >> 17 & 255, i >> 9 & 255, i >> 1 & 255)) \
        if i % 2 == 0 else \
        "2001:db8:%x:%x::1" % (i >> 17, i >> 1 & 0xffff)
    chunk.append("%s mx1 postfix/smtpd[%d]: lost connection after AUTH "
                 "from unknown[%s]\n" % (stamp(3 + i * 580 // n),
                 5000 + i % 1000, ip))
    if len(chunk) == 100000:
        w("".join(chunk))
        chunk = []
w("".join(chunk))
sasl(590)
PY
	mv "$log.tmp" "$log"
fi
cat "$log" > /dev/null # in the page cache: time mailban, not the disk
lines=$((count + 4))
set -- test --bans-only --now 2026-11-27T12:00:00Z
[ -n "$tracked" ] && set -- "$@" -o "limits={ tracked = $tracked; }"
/usr/bin/time -f '%M %e %U %S' -o "$work/time" "$build/mailban" "$@" "$log" \
    > "$work/out"
read -r rss secs user sys < "$work/time"
echo "lines: $lines, limits.tracked: ${tracked:-default}"
if grep -Eq "BAN +2001:db8:bad::/64 +postfix-sasl +line $lines," "$work/out"; then
	echo "offender banned by its fourth failure: yes"
else
	echo "offender banned by its fourth failure: NO"
fi
echo "bans: $(grep -c ' BAN ' "$work/out"), addresses held at the end: $(sed -n 's/^  addresses scored *//p' "$work/out")"
echo "peak RSS: $((rss / 1024)) MiB ($rss KiB)"
awk -v s="$secs" -v u="$user" -v y="$sys" -v l="$lines" 'BEGIN {
	printf "time: %.2f s CPU (%.2f user, %.2f system), %.0f ns per line; " \
	    "%.2f s wall, %.0f ns per line\n", u + y, u, y, (u + y) * 1e9 / l,
	    s, s * 1e9 / l }'
