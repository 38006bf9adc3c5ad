#!/bin/bash
# A fleet: two MX hosts and one central host in network namespaces.  Each MX
# runs a private rsyslogd with the shipped 60-mailban.conf (its own mailban,
# its own kernel sets) and 60-mailban-mx-relp.conf (omrelp to the central
# host); the central rsyslogd runs the shipped 60-mailban-central.conf
# (imrelp -> mailban run --omprog with a zone), and rbldnsd serves that zone.
#
# 1. An attacker whose SASL failures are split over both MXs, each MX below
#    the threshold, is banned centrally (host of the deciding line recorded),
#    not by either MX's own mailban; a DNS query from each MX namespace gets
#    127.0.0.2 (A) and the zone's text (TXT) from rbldnsd; the MX whose MTA
#    rejects it from that DNSBL bans it in its own kernel.
# 2. The central rsyslogd (and with it mailban) is stopped in the middle of
#    a stream and started again later: every one of N attackers, each of
#    which needs all four of its lines (two from each MX), ends up banned,
#    with the MX's host name, and every line reached the central host.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/daemons.sh"
command -v rbldnsd >/dev/null 2>&1 || skip "rbldnsd not installed"
command -v dig >/dev/null 2>&1 || skip "dig not installed"
. "$SRCDIR/test/fleet/fleet-lib.sh"
trap fleet_cleanup EXIT
trap 'exit 1' HUP INT TERM

C=$tmp/central
M1=$tmp/mx1
M2=$tmp/mx2
MX1=$(mxns 1)
MX2=$(mxns 2)

fleet_net 2
central_prepare
mx_prepare 1 local
mx_prepare 2 local
check "the central configuration uses the shipped imrelp input" \
    grep -q 'input(type="imrelp" port="2514" ruleset="mailban-fleet")' "$C/rsyslog.conf"
check "each MX forwards to the central host with the shipped omrelp action" \
    grep -q "target=\"$CEN4\"" "$M1/rsyslog.conf"

# sasl ADDR ID: one Postfix SASL failure (score 3: four of them ban),
# made unique by ID
sasl() {
	printf 'warning: unknown[%s]: SASL LOGIN authentication failed: authentication failure, sasl_username=u%s@example.org\n' "$1" "$2"
}
# central_has ADDR [HOST]: ADDR is in the central `mailban list` (from HOST)
central_has() {
	"$MAILBAN" list -c "$C/mailban.conf" | grep -q "^$1 .*${2:-}"
}
# received PATTERN N: at least N lines of mail-fleet.log match PATTERN
received() {
	[ "$(grep -c -- "$1" "$C/mail-fleet.log" 2>/dev/null)" -ge "$2" ]
}
# mx_banned NS ADDR: ADDR is in the MX namespace's own kernel set
mx_banned() {
	ip netns exec "$1" ipset list 2>/dev/null | grep -q "^$2,tcp:25 "
}
# listed NS ADDR: rbldnsd answers 127.0.0.2 for ADDR to a client in NS
listed() {
	[ "$(dnsbl "$1" "$2")" = 127.0.0.2 ]
}
# counted N ADDR...: the central state keeps N failures in flight of each
# ADDR (saved with the commit of the transaction that brought them)
counted() {
	n=$1
	shift
	scored "$C/state.db" "$n" "$@"
}
# suspensions DIR: how often DIR's rsyslogd has reported its omrelp action
# suspended (it found the central host down)
suspensions() { grep -c "action 'mailban-relp' suspended" "$1/all.log"; }
mxs_suspended() { # once more on each MX than the counts s1 and s2
	[ "$(suspensions "$M1")" -gt "$s1" ] && [ "$(suspensions "$M2")" -gt "$s2" ]
}
no_central_mailban() {
	! pgrep -f "$MAILBAN run --omprog -c $C/mailban.conf" >/dev/null
}
dns_up() {
	ip netns exec "$MX1" dig +time=1 +tries=1 @$CEN4 2.0.0.127.$ZONE A |
	    grep -q 'status: NXDOMAIN'
}

# --- the central host as at boot: mailban restore writes the zone ---
check "central mailban restore writes the zone files" \
    ip netns exec "$CEN" "$MAILBAN" restore -c "$C/mailban.conf" >/dev/null
check "ip4set file with the value line" \
    grep -qx ":127.0.0.2:Banned by the fleet's mailban: \\\$" "$tmp/zones/mailban4.zone"
rbldnsd_start
check "rbldnsd answers queries from an MX namespace" wait_for 10 dns_up
rs_start "$C" "$CEN" central
rs_start "$M1" "$MX1" mx1
rs_start "$M2" "$MX2" mx2
ok "three rsyslogd started: central, mx1, mx2"

# --- 1. one attacker per family, half of its failures on each MX ---
A=203.0.113.77
B=2001:db8:bad::77
{ sasl $A 1; sasl $A 2; sasl $B 3; sasl $B 4; } > "$tmp/p1.mx1"
{ sasl $A 5; sasl $A 6; sasl $B 7; sasl $B 8; } > "$tmp/p1.mx2"
send "$M1" "$tmp/p1.mx1"
check "mx1's lines reach the central host over RELP, with mx1's name" \
    wait_for 20 received ' mx1 postfix/smtpd: warning: unknown\[' 4
check "the central mailban has counted them" wait_for 20 counted 2 $A $B
check "two failures from one MX do not ban centrally" \
    sh -c "! '$MAILBAN' list -c '$C/mailban.conf' | grep -q '^$A '"
send "$M2" "$tmp/p1.mx2"
check "two more from mx2: $A banned centrally, deciding line from mx2" \
    wait_for 20 central_has $A 'postfix-sasl.* mx2'
check "and $B, the IPv6 attacker" wait_for 10 central_has $B 'postfix-sasl.* mx2'
n=$("$MAILBAN" list -c "$C/mailban.conf" --json | grep -c '"score":12')
check "both bans carry the summed score of both hosts, 12 ($n)" [ "$n" -eq 2 ]
check "mx1's own mailban did not ban $A (6 points there)" \
    sh -c "! '$MAILBAN' list -c '$M1/mailban.conf' | grep -q '^$A '"
check "mx2's own mailban did not ban $A" \
    sh -c "! '$MAILBAN' list -c '$M2/mailban.conf' | grep -q '^$A '"
check "the central zone lists $A" wait_for 5 grep -qx "$A" "$tmp/zones/mailban4.zone"
check "the central zone lists $B/128" wait_for 5 grep -qx "$B/128" "$tmp/zones/mailban6.zone"
check "rbldnsd: from mx1, $A is listed (127.0.0.2)" wait_for 10 listed "$MX1" $A
a=$(dnsbl "$MX2" $A)
check "rbldnsd: from mx2, $A is listed ($a)" [ "$a" = 127.0.0.2 ]
a=$(dnsbl "$MX2" $B)
check "rbldnsd: from mx2, $B is listed ($a)" [ "$a" = 127.0.0.2 ]
t=$(ip netns exec "$MX2" dig +short +time=1 +tries=3 @$CEN4 \
    77.113.0.203.$ZONE TXT)
check "the TXT answer names the address ($t)" \
    [ "$t" = "\"Banned by the fleet's mailban: $A\"" ]
a=$(dnsbl "$MX1" 203.0.113.78)
check "an address never banned is not listed ($a)" [ -z "$a" ]

# mx1's MTA (Postfix, reject_rbl_client bl.fleet.test) rejects it at once:
# that reject line makes mx1's own mailban ban it in mx1's kernel
printf 'NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service unavailable; Client host [%s] blocked using %s; Banned by the fleet'"'"'s mailban: %s; from=<spam@example.com> to=<user@example.org> proto=ESMTP helo=<example.com>\n' \
    $A $A $ZONE $A > "$tmp/reject"
send "$M1" "$tmp/reject"
check "the DNSBL reject bans $A in mx1's kernel" wait_for 15 mx_banned "$MX1" $A
check "mx1's own state records it (postfix-rbl)" \
    sh -c "'$MAILBAN' list -c '$M1/mailban.conf' | grep -q '^$A .*postfix-rbl'"
check "mx2's kernel does not have it (no reject there)" \
    sh -c "! ip netns exec $MX2 ipset list | grep -q '^$A,'"

# --- who wrote it: an MX forwards only what its own MTA wrote ---
# logger as root and user nobody through the MTA's executable (the test's
# stand-in) forge DNSBL rejects on mx1; neither reaches the central host,
# and mx1's own mailban counts both as untrusted.  Each forger lives until
# then (rsyslog reads its executable from /proc), and a line of the MTA's
# own sent after them is forwarded.
chmod 666 "$M1/log.sock"
mx1_untrusted() {
	[ "$("$MAILBAN" status -c "$M1/mailban.conf" 2>/dev/null |
	    awk '$1 == "untrusted" && $2 == "postfix/smtpd" { print $3 }')" = 2 ]
}
{ rbl_msg 203.0.113.66; wait_for 20 mx1_untrusted; } |
    logger -u "$M1/log.sock" -p mail.info -t 'postfix/smtpd[4242]' &
held=$!
{ rbl_msg 203.0.113.67; wait_for 20 mx1_untrusted; } |
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$WRITER" -u "$M1/log.sock" -p mail.info -t 'postfix/smtpd[4242]' &
held="$held $!"
check "mx1's own mailban counts both forged lines as untrusted" \
    wait_for 20 mx1_untrusted
wait $held
sasl 203.0.113.68 9 > "$tmp/after-forged"
send "$M1" "$tmp/after-forged"
check "a line of mx1's MTA sent after them reaches the central host" \
    wait_for 20 received 'unknown\[203\.0\.113\.68\]' 1
check "neither forged line was forwarded" \
    sh -c "! grep -Eq '203\.0\.113\.6[67]' '$C/mail-fleet.log'"
check "the central host banned neither" \
    sh -c "! '$MAILBAN' list -c '$C/mailban.conf' | grep -Eq '^203\.0\.113\.6[67] '"
check "mx1 banned neither" \
    sh -c "! ip netns exec $MX1 ipset list | grep -Eq '^203\.0\.113\.6[67],'"

# --- 2. the central host restarted in the middle of a stream ---
# N attackers, each with exactly four failures: the first and second on
# mx1, the third and fourth on mx2, spread over the whole stream.  A lost
# line leaves its attacker at 9 points, unbanned.
N=240
python3 - "$tmp" "$N" <<'PY'
import ipaddress, sys
tmp, n = sys.argv[1], int(sys.argv[2])
addrs = []
for i in range(n):
    if i % 2:
        addrs.append(str(ipaddress.ip_address("2001:db8:a::") + i))
    else:
        addrs.append("198.51.100.%d" % (i // 2 + 1))
open(tmp + "/p2.addrs", "w").write("".join(a + "\n" for a in addrs))
for h, passes in (("mx1", (1, 2)), ("mx2", (3, 4))):
    with open("%s/p2.%s" % (tmp, h), "w") as f:
        for p in passes:
            for i, a in enumerate(addrs):
                f.write("warning: unknown[%s]: SASL LOGIN authentication failed: "
                        "authentication failure, sasl_username=s%d-%d@example.org\n"
                        % (a, i, p))
PY
split -l 24 "$tmp/p2.mx1" "$tmp/c1."
split -l 24 "$tmp/p2.mx2" "$tmp/c2."
(
	for f in "$tmp"/c1.*; do
		send "$M1" "$f"
		send "$M2" "$tmp/c2.${f##*/c1.}"
		sleep 0.5
	done
) &
sender=$!
check "the stream reaches the central host" \
    wait_for 30 received 'sasl_username=s[0-9]*-[0-9]@' 200
pid1=$(rs_child "$C")
s1=$(suspensions "$M1")
s2=$(suspensions "$M2")
check "stopping the central rsyslogd (and its mailban $pid1) within 30 s" rs_stop "$C"
got=$(grep -c 'sasl_username=s[0-9]*-[0-9]@' "$C/mail-fleet.log")
ok "central host down after $got of $((4 * N)) stream lines"
check "the MXs were still sending" kill -0 $sender
check "no central mailban left running" no_central_mailban
wait $sender
# the MXs have tried to forward what came after the stop, and found the
# central host down
check "both MXs find the central host down" wait_for 30 mxs_suspended
check "nothing reached the central host while it was down" \
    [ "$(grep -c 'sasl_username=s[0-9]*-[0-9]@' "$C/mail-fleet.log")" -eq "$got" ]
rs_start "$C" "$CEN" central
ok "central rsyslogd started again"
all_banned() {
	"$MAILBAN" list -c "$C/mailban.conf" --json |
	    sed -n 's/.*"ip":"\([^"]*\)".*/\1/p' | sort > "$tmp/have"
	sort "$tmp/p2.addrs" | comm -23 - "$tmp/have" > "$tmp/missing"
	[ ! -s "$tmp/missing" ]
}
check "every one of the $N attackers is banned centrally within 90 s" \
    wait_for 90 all_banned
[ -s "$tmp/missing" ] && echo "missing: $(wc -l < "$tmp/missing"), e.g. $(head -3 "$tmp/missing" | tr '\n' ' ')"
check "every stream line reached the central host" \
    received 'sasl_username=s[0-9]*-[0-9]@' $((4 * N))
sed -n 's/.*sasl_username=\(s[0-9]*-[0-9]\)@.*/\1/p' "$C/mail-fleet.log" |
    sort -u > "$tmp/got.ids"
n=$(wc -l < "$tmp/got.ids")
check "all $((4 * N)) distinct stream lines are in mail-fleet.log ($n)" [ "$n" -eq $((4 * N)) ]
"$MAILBAN" list -c "$C/mailban.conf" --json | grep -F -f "$tmp/p2.addrs" > "$tmp/p2.bans"
n=$(grep -c '"host":"mx[12]"' "$tmp/p2.bans")
check "each ban names the MX of its deciding line ($n of $N)" [ "$n" -eq "$N" ]
n1=$(grep -c '"host":"mx1"' "$tmp/p2.bans")
n2=$(grep -c '"host":"mx2"' "$tmp/p2.bans")
ok "deciding lines: $n1 from mx1, $n2 from mx2"
n=$(grep -c '"pattern":"postfix-sasl"' "$tmp/p2.bans")
check "each one by postfix-sasl ($n)" [ "$n" -eq "$N" ]
n=$(grep -vc '"count":1,' "$tmp/p2.bans")
check "none banned twice ($n)" [ "$n" -eq 0 ]
check "mailban list shows the host column" \
    sh -c "'$MAILBAN' list -c '$C/mailban.conf' | grep -q '^198\.51\.100\.1 .* mx[12]\\b'"
in_zone() {
	grep -qx '198.51.100.120' "$tmp/zones/mailban4.zone" &&
	    grep -qx '2001:db8:a::ef/128' "$tmp/zones/mailban6.zone"
}
check "the zone has the stream's attackers" wait_for 10 in_zone
n=$(grep -c '^198\.51\.100\.' "$tmp/zones/mailban4.zone")
m=$(grep -c '^2001:db8:a::' "$tmp/zones/mailban6.zone")
check "all $N of them ($n + $m)" [ $((n + m)) -eq "$N" ]
check "rbldnsd lists the last IPv4 attacker for mx1" wait_for 5 listed "$MX1" 198.51.100.120
a=$(dnsbl "$MX2" 2001:db8:a::ef)
check "rbldnsd lists the last IPv6 attacker for mx2 ($a)" [ "$a" = 127.0.0.2 ]
n=$(ip netns exec "$MX1" ipset list | grep -c -e '^198\.51\.100\.' -e '^2001:db8:a::')
m=$(ip netns exec "$MX2" ipset list | grep -c -e '^198\.51\.100\.' -e '^2001:db8:a::')
check "no MX banned any of them by itself ($n, $m)" [ $((n + m)) -eq 0 ]

check "the central rsyslogd stops within 30 s" rs_stop "$C"
total=$(($(wc -l < "$tmp/p1.mx1") + $(wc -l < "$tmp/p1.mx2") + 1 + 4 * N))
n=$(sed -n 's/^mailban: exiting: \([0-9]*\) lines.*/\1/p' "$C/mailban.log" |
    awk '{ s += $1 } END { print s + 0 }')
check "the central mailban runs read at least the $total lines sent ($n)" [ "$n" -ge "$total" ]
check "no central commit was left unconfirmed" \
    sh -c "! grep -q 'could not be committed' '$C/mailban.log'"

# --- 3. the central host stopped with a backlog in its mailban queue ---
# Each attacker's first failure on each MX is counted (and its score saved),
# then the central mailban stalls (SIGSTOP), the second failures queue up
# behind it, and the central rsyslogd is stopped: they must be saved with
# the queue and reach mailban after the next start.
N3=120
python3 - "$tmp" "$N3" <<'PY'
import ipaddress, sys
tmp, n = sys.argv[1], int(sys.argv[2])
addrs = [str(ipaddress.ip_address("2001:db8:b::") + i) if i % 2 else
         "203.0.113.%d" % (100 + i // 2) for i in range(n)]
open(tmp + "/p3.addrs", "w").write("".join(a + "\n" for a in addrs))
for part in (1, 2):
    for h in ("mx1", "mx2"):
        with open("%s/p3.%s.%d" % (tmp, h, part), "w") as f:
            for i, a in enumerate(addrs):
                f.write("warning: unknown[%s]: SASL PLAIN authentication failed: "
                        "authentication failure, sasl_username=t%d-%s%d@example.org\n"
                        % (a, i, h, part))
PY
rs_start "$C" "$CEN" central
send "$M1" "$tmp/p3.mx1.1"
send "$M2" "$tmp/p3.mx2.1"
check "the first half reaches the central host" \
    wait_for 30 received 'sasl_username=t[0-9]*-mx[12]1@' $((2 * N3))
check "the central mailban has counted them" \
    wait_for 30 counted 2 $(cat "$tmp/p3.addrs")
pid3=$(rs_child "$C")
check "a central mailban is running ($pid3)" [ -n "$pid3" ]
n=$("$MAILBAN" list -c "$C/mailban.conf" --json | grep -c -F -f "$tmp/p3.addrs")
check "half the failures ban nobody ($n)" [ "$n" -eq 0 ]
kill -STOP "$pid3"
send "$M1" "$tmp/p3.mx1.2"
send "$M2" "$tmp/p3.mx2.2"
check "the second half reaches the central rsyslogd, mailban stalled" \
    wait_for 30 received 'sasl_username=t[0-9]*-mx[12]2@' $((2 * N3))
# (rsyslogd puts a batch in mailban's queue before the file action
# commits it: what is in the file is queued)
check "the central rsyslogd stops within 30 s, its mailban stalled" rs_stop "$C"
kill -KILL "$pid3" 2>/dev/null
n=$("$MAILBAN" list -c "$C/mailban.conf" --json | grep -c -F -f "$tmp/p3.addrs")
check "none of them banned before the restart ($n)" [ "$n" -eq 0 ]
rs_start "$C" "$CEN" central
all3() {
	"$MAILBAN" list -c "$C/mailban.conf" --json |
	    sed -n 's/.*"ip":"\([^"]*\)".*/\1/p' | sort > "$tmp/have"
	sort "$tmp/p3.addrs" | comm -23 - "$tmp/have" > "$tmp/missing"
	[ ! -s "$tmp/missing" ]
}
check "after the restart all $N3 are banned within 60 s" wait_for 60 all3
[ -s "$tmp/missing" ] && echo "missing: $(wc -l < "$tmp/missing"), e.g. $(head -3 "$tmp/missing" | tr '\n' ' ')"
n=$("$MAILBAN" list -c "$C/mailban.conf" --json | grep -F -f "$tmp/p3.addrs" | grep -c '"score":12,')
check "each with the score of all four failures, 12 ($n)" [ "$n" -eq "$N3" ]
check "the central rsyslogd stops within 30 s" rs_stop "$C"

if [ "$fail" -gt 0 ]; then
	for d in "$C" "$M1" "$M2"; do
		echo "--- $d: mailban (tail)"; tail -5 "$d/mailban.log" 2>/dev/null
		echo "--- $d: rsyslog (tail)"; tail -10 "$d/all.log" 2>/dev/null
	done
	echo "--- rbldnsd"; tail -5 "$tmp/rbldnsd.err"
fi
done_testing
