#!/bin/sh
# NAME
#	bench/memory.sh - peak RSS with COUNT distinct offending addresses
# SYNOPSIS
#	bench/memory.sh [BUILD_DIR] [COUNT]      (default build, 1000000)
# DESCRIPTION
#	Replays COUNT Postfix SASL failure lines, each from a different address
#	(half IPv4, half IPv6), with `mailban test --bans-only`: every address
#	stays below the threshold, so each is tracked at once.  Prints the peak
#	RSS (/usr/bin/time) and the tracked count from the summary.  The default
#	limits.tracked is 1,000,000.
set -eu
build=${1:-build}
count=${2:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf $tmp' EXIT
python3 - "$count" > "$tmp/log" <<'PY'
import sys
n = int(sys.argv[1])
w = sys.stdout.write
for i in range(n):
    ip = ("10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)) if i % 2 == 0 \
        else "2001:db8:%x:%x::1" % (i >> 16, i & 0xffff)
    w("2026-11-27T01:%02d:%02d+00:00 mx1 postfix/smtpd[7]: warning: unknown[%s]: "
      "SASL LOGIN authentication failed: UGFzc3dvcmQ6\n" % (i // 60000 % 60, i // 1000 % 60, ip))
PY
/usr/bin/time -f '%M %e' -o "$tmp/time" "$build/mailban" test --json \
    --now 2026-11-27T12:00:00Z "$tmp/log" | tail -n 1 > "$tmp/summary"
read -r rss secs < "$tmp/time"
echo "lines: $count, tracked: $(sed -n 's/.*"addresses":\([0-9]*\).*/\1/p' "$tmp/summary")"
echo "peak RSS: $((rss / 1024)) MiB ($rss KiB), $secs s"
