#!/bin/sh
# The eviction flood, replayed: an address makes three SASL failures (3
# each, threshold 10), then twenty times limits.tracked distinct addresses
# make one "lost connection after AUTH" each (1) within the window, then
# the first address fails a fourth time: it must be banned, on IPv4 and on
# IPv6.  The table is 1000 addresses here (limits.tracked, the same code as
# the default 1,000,000) so that the flood is 20,000 lines, not millions.
# IPv6 addresses are scored as their /64 (prefix.ipv6): the IPv6 flood is
# of 20,000 distinct /64s, so that it floods the table with distinct keys,
# and a flood of 20,000 addresses inside one /64 is one entry.
set -u
. "$SRCDIR/test/lib.sh"
mb=$MAILBAN
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
[ -x "$py" ] || skip "no /usr/bin/python3"

# Both logs from one generator: flood.log, the offender's lines and a
# flood of distinct addresses, per family inside ten minutes (the window
# is 10m); one64.log, a flood of 20,000 addresses of one /64 (below)
"$py" - "$tmp/flood.log" "$tmp/one64.log" <<'PY'
import sys
out = None
def line(sec, pid, text):
    out.write("2026-11-27T%02d:%02d:%02d+00:00 mx1 postfix/smtpd[%d]: %s\n"
              % (1 + sec // 3600, sec // 60 % 60, sec % 60, pid, text))
def sasl(sec, ip):
    line(sec, 4000 + sec % 1000, "warning: unknown[%s]: SASL LOGIN "
         "authentication failed: UGFzc3dvcmQ6" % ip)
n = 20000
with open(sys.argv[1], "w") as out:
    for start, offender, flood in (
            (0, "203.0.113.66",
             lambda i: "10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)),
            (1200, "2001:db8:bad::66",
             lambda i: "2001:db8:%x:%x::%x" % (i >> 16, i & 0xffff, i % 7 + 1))):
        for k in range(3):
            sasl(start + k, offender)
        for i in range(n):
            line(start + 3 + i * 580 // n, 5000 + i % 1000,
                 "lost connection after AUTH from unknown[%s]" % flood(i))
        sasl(start + 590, offender)
with open(sys.argv[2], "w") as out:
    for k in range(3):
        sasl(k, "2001:db8:bad::66")
    for i in range(n):
        line(3 + i * 580 // n, 5000 + i % 1000,
             "lost connection after AUTH from unknown[2001:db8:f1::%x:%x]"
             % (i >> 16 | 0x100, i & 0xffff))
    sasl(590, "2001:db8:bad::66")
PY
check "the generated log has 40,008 lines" [ "$(wc -l < "$tmp/flood.log")" -eq 40008 ]

"$mb" test --json --now 2026-11-27T12:00:00Z -o 'limits={ tracked = 1000; }' \
    "$tmp/flood.log" > "$tmp/out" 2> "$tmp/err"
check "test exits 0" [ $? -eq 0 ]
check "nothing on stderr" [ ! -s "$tmp/err" ]
grep '"event":"ban"' "$tmp/out" > "$tmp/bans"
check "IPv4: the fourth failure after the flood bans" \
    grep -q '"event":"ban","line":20004,"ip":"203.0.113.66",.*"score":12,"pattern":"postfix-sasl"' "$tmp/bans"
check "IPv6: the fourth failure after the flood bans its /64" \
    grep -q '"event":"ban","line":40008,"ip":"2001:db8:bad::/64",.*"score":12,"pattern":"postfix-sasl",.*"client":"2001:db8:bad::66"' "$tmp/bans"
check "no other ban" [ "$(wc -l < "$tmp/bans")" -eq 2 ]
summary=$(tail -n 1 "$tmp/out")
check "40,008 lines matched" \
    sh -c 'echo "$1" | grep -q "\"lines\":40008,\"matched\":40008,\"bans\":2,"' - "$summary"
# the table stayed within its bound: at most limits.tracked addresses
held=$(echo "$summary" | sed -n 's/.*"addresses":\([0-9]*\).*/\1/p')
check "addresses held ($held) at most limits.tracked" [ "${held:-0}" -le 1000 ]

# the keys of the flood are distinct: with room for all of them, the
# table holds each (20,001 per family: the flood and the offender)
"$mb" test --json --now 2026-11-27T12:00:00Z -o 'limits={ tracked = 100000; }' \
    "$tmp/flood.log" > "$tmp/out" 2> "$tmp/err"
check "a table with room for all: exit 0" [ $? -eq 0 ]
check "it holds 40,002 keys: the IPv6 flood is of distinct /64s" \
    grep -q '"event":"summary",.*"addresses":40002,' "$tmp/out"

# 20,000 addresses of one /64 are one key: the table (1000) is never full,
# the /64 is banned as one entry once its one-offs reach the threshold,
# and the offender's fourth failure bans it too
"$mb" test --json --now 2026-11-27T12:00:00Z -o 'limits={ tracked = 1000; }' \
    "$tmp/one64.log" > "$tmp/out" 2> "$tmp/err"
check "one /64's flood: exit 0, nothing on stderr (the table never fills)" \
    sh -c '[ $1 -eq 0 ] && [ ! -s "$2" ]' - $? "$tmp/err"
grep '"event":"ban"' "$tmp/out" > "$tmp/bans"
check "the flood's /64 is banned once, as one entry" \
    sh -c '[ "$(grep -c "\"ip\":\"2001:db8:f1::/64\"" "$1")" -eq 1 ]' - "$tmp/bans"
check "the offender's fourth failure bans its /64" \
    grep -q '"event":"ban","line":20004,"ip":"2001:db8:bad::/64",.*"score":12,"pattern":"postfix-sasl"' "$tmp/bans"
check "two keys held: the flood's /64 and the offender's" \
    grep -q '"event":"summary","lines":20004,"matched":20004,"bans":2,"addresses":2,' "$tmp/out"

done_testing
