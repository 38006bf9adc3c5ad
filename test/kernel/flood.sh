#!/bin/sh
# The eviction flood against the kernel: `mailban run` (limits.tracked =
# 1000) reads three SASL failures of the client, twenty thousand distinct
# one-off "lost connection after AUTH" addresses, and the client's fourth
# failure, on IPv4 then on IPv6: the client is in the set and its next
# connection to port 25 is dropped; no address of the flood is banned.
# IPv6 addresses are scored and banned as their /64 (prefix.ipv6): the
# IPv6 flood is of 20,000 distinct /64s and the client's ban is its /64;
# a flood of 20,000 addresses inside one /64 is one entry: that /64 is
# banned, one set entry, and the client's fourth failure still bans it.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
mb=$MAILBAN
py=/usr/bin/python3
[ -x "$py" ] || skip "no /usr/bin/python3"
run() { srv "$mb" "$@" -o "state=\"$tmp/state.db\""; }

# flood OFFENDER FAMILY: the offender's lines around 20,000 one-offs
flood() {
	"$py" - "$1" "$2" <<'PY'
import sys, time
offender, family = sys.argv[1], sys.argv[2]
stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
w = sys.stdout.write
def line(pid, text):
    w("%s mx1 postfix/smtpd[%d]: %s\n" % (stamp, pid, text))
def sasl():
    line(4000, "warning: unknown[%s]: SASL LOGIN authentication failed: "
         "UGFzc3dvcmQ6" % offender)
for k in range(3):
    sasl()
for i in range(20000):
    ip = ("10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)) \
        if family == "4" else "2001:db8:%x:%x::1" % (i >> 16, i & 0xffff) \
        if family == "6" else "2001:db8:f1::%x" % (i + 1)
    line(5000 + i % 1000, "lost connection after AUTH from unknown[%s]" % ip)
sasl()
PY
}

# others SET ADDR: how many members of SET (addresses or networks) are
# another's than ADDR
others() {
	srv ipset list "$1" | grep -E '^[0-9a-f:./]+,' | grep -vc "^$2,"
}

run setup || exit 1
check "client reaches port 25 before the flood" can_connect $S4 25
flood $C4 4 | run run -o 'limits={ tracked = 1000; }' 2> "$tmp/err4"
check "run exits 0 at EOF (IPv4)" [ $? -eq 0 ]
check "run logs the ban of $C4" grep -q "ban $C4 for 1h" "$tmp/err4"
check "$C4 in mailban4 after the flood" in_set mailban4 "$C4,tcp:25"
check "client cannot reach port 25 once banned" cannot_connect $S4 25
n=$(others mailban4 $C4)
check "no address of the IPv4 flood banned ($n)" [ "$n" -eq 0 ]

N6=2001:db8:1::/64 # $C6's /64
flood $C6 6 | run run -o 'limits={ tracked = 1000; }' 2> "$tmp/err6"
check "run exits 0 at EOF (IPv6)" [ $? -eq 0 ]
check "run logs the ban of $N6 ($C6's /64)" grep -q "ban $N6 for 1h" "$tmp/err6"
check "$N6 in mailban6 after the flood" in_set mailban6 "$N6,tcp:25"
check "IPv6 client cannot reach port 25 once banned" cannot_connect $S6 25
n=$(others mailban6 $N6)
check "no address of the IPv6 flood banned ($n)" [ "$n" -eq 0 ]

# one /64's flood: one entry (test/flood.sh counts the tracker's keys)
run unban $C6 > /dev/null
check "the client reaches port 25 again" can_connect $S6 25
flood $C6 one64 | run run -o 'limits={ tracked = 1000; }' 2> "$tmp/err64"
check "run exits 0 at EOF (one /64)" [ $? -eq 0 ]
check "the flood's /64 is banned, one entry per port" \
    [ "$(srv ipset list mailban6 | grep -c '^2001:db8:f1::/64,')" -eq 3 ]
check "$N6 banned again by the fourth failure" in_set mailban6 "$N6,tcp:25"
check "no other entry" [ "$(others mailban6 $N6)" -eq 3 ]

done_testing
