#!/bin/sh
# Kernel enforcement end to end: mailban setup and run in a server network
# namespace, real TCP connects from a client namespace.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
mb=$MAILBAN
run() { srv "$mb" "$@" -o "state=\"$tmp/state.db\""; }

# --- setup, port policy ---
run setup --print > "$tmp/print"
check "setup --print prints iptables commands" grep -q 'iptables.*MAILBAN' "$tmp/print"
check "setup --print changes nothing" sh -c "! ip netns exec $SRV ipset list -n | grep -q mailban4"
# in-process through netlink: no iptables needed on PATH
srv env PATH=/nonexistent "$mb" setup -o "state=\"$tmp/state.db\""
check "setup exits 0 (no iptables on its PATH)" [ $? -eq 0 ]
run setup; check "setup twice exits 0" [ $? -eq 0 ]
n=$(srv iptables -S INPUT | grep -c -- '-j MAILBAN')
check "one jump to MAILBAN after two setups ($n)" [ "$n" -eq 1 ]
n=$(srv ip6tables -S MAILBAN | grep -c -- '--match-set mailban6 src,dst')
check "one ip6tables port rule ($n)" [ "$n" -eq 1 ]
check "client reaches port 25 before any ban" can_connect $S4 25
check "client reaches port 25 over IPv6 before any ban" can_connect $S6 25

# --- a ban through run: port 25 closed, 2525 open ---
# an SMTP session already open when the ban lands (here on port 587, an
# echo server) ends normally: only new connections are dropped
srv python3 -c '
import socket
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 587)); s.listen(8)
while True:
    c, _ = s.accept()
    while True:
        d = c.recv(64)
        if not d: break
        c.sendall(d)
    c.close()
' 7>&- &
echo_pid=$!
wait_for 10 can_connect $S4 587
rm -f "$tmp/sess.in"
mkfifo "$tmp/sess.in"
ip netns exec "$CLI" python3 -c '
import socket, sys
c = socket.create_connection(("'$S4'", 587), timeout=3)
for line in sys.stdin:
    c.sendall(line.encode())
    print(c.recv(64).decode().strip(), flush=True)
' < "$tmp/sess.in" > "$tmp/sess.out" 2>&1 &
sess_pid=$!
exec 6> "$tmp/sess.in"
echo before >&6
check "a session is open before the ban" wait_for 10 grep -qx before "$tmp/sess.out"
rbl_line $C4 | run run 2> "$tmp/err"
check "run exits 0 at EOF" [ $? -eq 0 ]
check "run logs the ban on stderr" grep -q "ban $C4 for 1h" "$tmp/err"
check "entry $C4,tcp:25 in mailban4" in_set mailban4 "$C4,tcp:25"
check "entry $C4,tcp:587 in mailban4" in_set mailban4 "$C4,tcp:587"
t=$(srv ipset list mailban4 | sed -n "s/^$C4,tcp:25 timeout \([0-9]*\).*/\1/p")
check "entry carries its timeout ($t)" \
    sh -c '[ "$1" -gt 3500 ] && [ "$1" -le 3600 ]' sh "${t:-0}"
check "client cannot reach port 25 when banned" cannot_connect $S4 25
check "client still reaches port 2525 (port policy)" can_connect $S4 2525
echo after >&6
exec 6>&-
wait $sess_pid
check "the session open before the ban goes on to its end" grep -qx after "$tmp/sess.out"
check "a new connection to port 587 is dropped" cannot_connect $S4 587
kill $echo_pid 2>/dev/null

rbl_line $C6 | run run 2>/dev/null
# an IPv6 address is banned as its /64 (prefix.ipv6)
check "IPv6 entry in mailban6 is the client's /64" in_set mailban6 "2001:db8:1::/64,tcp:25"
check "IPv6 client cannot reach port 25" cannot_connect $S6 25
check "IPv6 client still reaches port 2525" can_connect $S6 2525

# --- list ---
run list > "$tmp/list"
check "list shows $C4 with its pattern" grep -q "^$C4 .* postfix" "$tmp/list"
check "list shows the /64 of $C6" grep -q "^2001:db8:1::/64 " "$tmp/list"
check "list counts 2 bans" grep -q '^2 active bans' "$tmp/list"
run list --json > "$tmp/list.json"
check "list --json: one object per ban" [ "$(grep -c '"ip":' "$tmp/list.json")" -eq 2 ]
check "list --json has ban count and time left" grep -q "\"ip\":\"$C4\",\"left\":[0-9]*,.*\"count\":1" "$tmp/list.json"

# --- unban restores access ---
run unban $C4 > "$tmp/out"
check "unban reports" grep -q "$C4: unbanned" "$tmp/out"
check "unban removes every port entry" sh -c "! ip netns exec $SRV ipset list mailban4 | grep -q '^$C4,'"
check "client reaches port 25 after unban" can_connect $S4 25
run list > "$tmp/list"
check "list no longer shows $C4" sh -c "! grep -q '^$C4 ' $tmp/list"
run unban 198.51.100.77 > "$tmp/out"
check "unban of an address never banned says so" grep -q 'was not banned' "$tmp/out"
run unban not-an-address 2>/dev/null; check "unban of a name exits 2" [ $? -eq 2 ]

# --- second ban of the same address lasts a day (escalation from state) ---
rbl_line $C4 | run run 2>/dev/null
t=$(srv ipset list mailban4 | sed -n "s/^$C4,tcp:25 timeout \([0-9]*\).*/\1/p")
check "second ban lasts a day ($t)" [ "${t:-0}" -gt 86000 ]
check "list shows ban count 2" sh -c "ip netns exec $SRV $mb list -o 'state=\"$tmp/state.db\"' | grep -q '^$C4 .* 2  postfix'"

# --- flush ---
run flush > "$tmp/out"; check "flush exits 0" [ $? -eq 0 ]
check "flush empties mailban4" [ "$(srv ipset list mailban4 | sed -n 's/^Number of entries: //p')" = 0 ]
check "flush empties mailban6" [ "$(srv ipset list mailban6 | sed -n 's/^Number of entries: //p')" = 0 ]
check "client reaches port 25 after flush" can_connect $S4 25

# --- restore re-applies the active bans from the state (reboot) ---
rbl_line 203.0.113.99 | run run 2>/dev/null
srv ipset flush mailban4
run restore > "$tmp/out"
check "restore reports" grep -q 'restored 1 active bans' "$tmp/out"
check "restore re-added the ban" in_set mailban4 "203.0.113.99,tcp:25"
run flush >/dev/null

# --- a set of another type: refuse, exit 1, say why ---
srv ipset create mbwrong hash:net
rbl_line 198.51.100.5 | run run -o 'sets={ipv4="mbwrong"; ipv6="mbwrong6";}' 2> "$tmp/err"
check "run with a misfit set exits 1" [ $? -eq 1 ]
check "and names the set and its type" grep -q 'mbwrong exists with type hash:net' "$tmp/err"
srv ipset destroy mbwrong

# --- drop policy: setup switches, no stale set or rule ---
run setup -o policy=\"drop\" 2>/dev/null; check "setup drop exits 0" [ $? -eq 0 ]
check "mailban4 is hash:net now" sh -c "ip netns exec $SRV ipset list mailban4 | grep -q '^Type: hash:net$'"
check "no stale port rule" sh -c "! ip netns exec $SRV iptables -S MAILBAN | grep -q 'src,dst'"
check "drop rule present" sh -c "ip netns exec $SRV iptables -S MAILBAN | grep -q -- '--match-set mailban4 src -j DROP'"
rbl_line $C4 | run run -o policy=\"drop\" 2>/dev/null
check "drop: client cannot reach port 2525" cannot_connect $S4 2525
run unban -o policy=\"drop\" $C4 >/dev/null
check "drop: unban restores port 2525" can_connect $S4 2525
run setup >/dev/null 2>&1; check "back to port policy" sh -c "ip netns exec $SRV ipset list mailban4 | grep -q '^Type: hash:net,port$'"

# --- a short ban expires by itself ---
rbl_line 203.0.113.50 | srv "$mb" run -o 'bantimes=["2s"]' -o "state=$tmp/short.db" 2>/dev/null
check "short ban present" in_set mailban4 "203.0.113.50,tcp:25"
check "short ban expired by itself" wait_for 10 not_in_set mailban4 "203.0.113.50,tcp:25"

# --- a ban longer than the kernel's largest timeout ---
rbl_line 203.0.113.60 | srv "$mb" run -o 'bantimes=["60d"]' -o "state=$tmp/long.db" 2>/dev/null
t=$(srv ipset list mailban4 | sed -n "s/^203.0.113.60,tcp:25 timeout \([0-9]*\).*/\1/p")
check "60d ban capped at the kernel maximum in the set ($t)" \
    sh -c '[ "$1" -gt 2147000 ] && [ "$1" -le 2147483 ]' sh "${t:-0}"
left=$(srv "$mb" list --json -o "state=$tmp/long.db" | sed -n 's/.*"left":\([0-9]*\).*/\1/p')
check "the state keeps the full 60 days ($left)" [ "${left:-0}" -gt 5183000 ]
srv ipset flush mailban4

# --- idle commit, set destroyed behind mailban's back, SIGTERM flush ---
mkfifo "$tmp/fifo"
ip netns exec "$SRV" "$mb" run -o "state=\"$tmp/live.db\"" -o 'batch={size=512; idle="50ms";}' < "$tmp/fifo" 2> "$tmp/live.err" &
pid=$!
exec 7> "$tmp/fifo"
rbl_line 203.0.113.70 >&7
check "idle commit: ban in the kernel while input stays open" \
    wait_for 10 in_set mailban4 "203.0.113.70,tcp:25"
# run made the rules and puts them back every firewall_check: empty the
# chain and destroy the set (again when run or nf_tables was quicker)
destroy_set() { srv iptables -F MAILBAN && srv ipset destroy mailban4; }
wait_for 10 destroy_set
check "a destroyed set is re-created with its bans" \
    wait_for 10 in_set mailban4 "203.0.113.70,tcp:25"
check "the repair is reported" grep -q 'vanished' "$tmp/live.err"
rbl_line 203.0.113.71 >&7
check "bans keep landing after the repair" \
    wait_for 10 in_set mailban4 "203.0.113.71,tcp:25"
kill -TERM $pid
wait $pid; rc=$?
exec 7>&-
check "SIGTERM: clean exit ($rc)" [ $rc -eq 0 ]
run setup >/dev/null 2>&1

# SIGTERM flushes a batch that idle would not have sent yet
ip netns exec "$SRV" "$mb" run -o "state=\"$tmp/term.db\"" -o 'batch={size=512; idle="60s";}' < "$tmp/fifo" 2> "$tmp/term.err" &
pid=$!
exec 7> "$tmp/fifo"
rbl_line 203.0.113.80 >&7
# decided (and logged) at once, committed only at the end
check "the ban is decided" wait_for 10 grep -q 'ban 203\.0\.113\.80 ' "$tmp/term.err"
check "with idle 60s the ban waits" not_in_set mailban4 "203.0.113.80,tcp:25"
kill -TERM $pid
wait $pid
exec 7>&-
check "SIGTERM committed the pending ban" in_set mailban4 "203.0.113.80,tcp:25"

# --- a batch failure: tiny maxelem; reported, nothing lost silently ---
for i in 1 2 3 4 5 6 7 8 9 10; do rbl_line 198.51.100.$i; done |
    srv "$mb" run -o policy=drop -o 'sets={ipv4="mbtiny4"; ipv6="mbtiny6"; maxelem=4;}' -o "state=$tmp/tiny.db" 2> "$tmp/tiny.err"
rc=$?
check "batch failure: exit 1" [ $rc -eq 1 ]
n=$(srv ipset list mbtiny4 | sed -n 's/^Number of entries: //p')
check "the first 4 are in the set ($n)" [ "$n" = 4 ] || cat "$tmp/tiny.err"
missing=0
for i in 5 6 7 8 9 10; do
	grep -q "198.51.100.$i" "$tmp/tiny.err" || missing=$((missing + 1))
done
check "every address left out is named on stderr" [ $missing -eq 0 ]
check "the kernel's reason is given" grep -qi 'full' "$tmp/tiny.err"
done_testing
