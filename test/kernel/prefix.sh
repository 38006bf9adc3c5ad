#!/bin/sh
# Prefix scoring and banning, adaptive widening, and the migration of the
# sets an older mailban made: mailban setup and run in a server network
# namespace, real TCP connects from a client namespace (203.0.113.2,
# 2001:db8:1::2) that the bans must stop.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
mb=$MAILBAN
n=0
# fresh STATE: a state file of its own for each case
fresh() { n=$((n + 1)); db=$tmp/p$n.db; srv ipset flush mailban4; srv ipset flush mailban6; }
run() { srv "$mb" "$@" -o "state=\"$db\""; }

# sasl_line ADDR: a Postfix SASL failure of ADDR (scores 3 of threshold 10)
sasl_line() {
	printf '%s mx1 postfix/smtpd[%s]: warning: unknown[%s]: SASL LOGIN authentication failed: authentication failure, sasl_username=x\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$$" "$1"
}

db=$tmp/setup.db
run setup >/dev/null || { echo "setup failed"; exit 1; }

# --- rotation: one failure from each of four addresses of one /64 -------
fresh
check "before: the client reaches port 25 over IPv6" can_connect $S6 25
for h in a1 a2 a3; do sasl_line 2001:db8:1::$h; done | run run 2>/dev/null
check "three addresses of a /64, one failure each: no ban yet" \
    not_in_set mailban6 "2001:db8:1::/64,tcp:25"
check "so the client still connects" can_connect $S6 25
sasl_line 2001:db8:1::a4 | run run 2> "$tmp/rot.err"
check "the fourth failure (the threshold's worth) bans the /64" \
    in_set mailban6 "2001:db8:1::/64,tcp:25"
check "the run says it banned the /64" grep -q 'ban 2001:db8:1::/64 ' "$tmp/rot.err"
check "another address of that /64, never seen, cannot connect" cannot_connect $S6 25
run list > "$tmp/list"
check "list shows the /64" grep -q '^2001:db8:1::/64 ' "$tmp/list"
run why 2001:db8:1::2 > "$tmp/why"
check "why of an address of it names the /64" grep -q 'scored and banned as 2001:db8:1::/64' "$tmp/why"
check "and shows the /64's ban" grep -q 'the ban shown is of 2001:db8:1::/64' "$tmp/why"
run unban 2001:db8:1::2 > "$tmp/out"
check "unban of an address inside it says so ($(cat "$tmp/out"))" \
    grep -qx '2001:db8:1::2: inside banned 2001:db8:1::/64: 2001:db8:1::/64 unbanned' "$tmp/out"
check "and lifts the /64" not_in_set mailban6 "2001:db8:1::/64,tcp:25"
check "the client connects again" can_connect $S6 25
# metrics count the /64 as one ban (four addresses scored, one banned)
py=$(readlink -f /usr/bin/python3)
for h in a1 a2 a3 a4; do sasl_line 2001:db8:1::$h; done | run run 2>/dev/null
run status --prometheus > "$tmp/prom"
check "metrics: one active IPv6 ban, the /64" \
    grep -qx 'mailban_bans_active{family="ipv6"} 1' "$tmp/prom"
check "metrics: postfix-sasl banned twice (the /64, banned again)" \
    grep -qx 'mailban_pattern_bans_total{pattern="postfix-sasl"} 2' "$tmp/prom"
# unban --json of an address inside it names the /64 it lifted
run unban --json 2001:db8:1::2 198.51.100.99 > "$tmp/out"
check "unban --json: the argument unbanned, the /64 lifted ($(cat "$tmp/out"))" \
    "$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(d != {"unbanned": ["2001:db8:1::2"], "not_banned": ["198.51.100.99"],
    "failed": [], "lifted": [{"ip": "2001:db8:1::/64", "given": "2001:db8:1::2",
    "how": "holds"}]})' "$tmp/out"
check "unban --json lifts the /64" not_in_set mailban6 "2001:db8:1::/64,tcp:25"
run status --prometheus > "$tmp/prom"
check "metrics: no active IPv6 ban after it" \
    grep -qx 'mailban_bans_active{family="ipv6"} 0' "$tmp/prom"
# allow of an address inside a banned /64 lifts the /64 (else the
# allowed address stays blocked)
for h in a1 a2 a3 a4; do sasl_line 2001:db8:1::$h; done | run run 2>/dev/null
check "the /64 banned again" in_set mailban6 "2001:db8:1::/64,tcp:25"
run allow --json 2001:db8:1::2 > "$tmp/out"
check "allow --json of an address inside it lifts the /64 ($(cat "$tmp/out"))" \
    grep -q '"net":"2001:db8:1::2/128",.*"unbanned":\["2001:db8:1::/64"\]' "$tmp/out"
check "and the kernel no longer holds it" not_in_set mailban6 "2001:db8:1::/64,tcp:25"
check "the allowed client connects" can_connect $S6 25

# the same over IPv4 with prefix.ipv4 = 28
fresh
P4='prefix={ipv4=28;}'
for h in 3 4 5; do sasl_line 203.0.113.$h; done | run run -o "$P4" 2>/dev/null
check "IPv4 /28: three addresses, no ban yet" not_in_set mailban4 "203.0.113.0/28,tcp:25"
check "the IPv4 client still connects" can_connect $S4 25
sasl_line 203.0.113.6 | run run -o "$P4" 2>/dev/null
check "the fourth bans 203.0.113.0/28" in_set mailban4 "203.0.113.0/28,tcp:25"
check "the IPv4 client (in it, never seen) cannot connect" cannot_connect $S4 25
check "one entry per port, not per address" [ "$(srv ipset list mailban4 | grep -c '^203\.0\.113\.0/28,')" -eq 3 ]

# --- widening: three /64s of one /48 ban the /48 -------------------------
fresh
rbl_line 2001:db8:1:11::5 | run run 2>/dev/null
rbl_line 2001:db8:1:12::5 | run run 2>/dev/null
check "two /64s of 2001:db8:1::/48 banned: not widened" \
    not_in_set mailban6 "2001:db8:1::/48,tcp:25"
check "the client (in a third /64) still connects" can_connect $S6 25
rbl_line 2001:db8:1:13::5 | run run 2> "$tmp/w6.err"
check "the third /64 widens to the /48" in_set mailban6 "2001:db8:1::/48,tcp:25"
check "the run says so" grep -q 'ban 2001:db8:1::/48 for 1h (1st ban' "$tmp/w6.err"
check "the client, never seen, cannot connect" cannot_connect $S6 25
run list --json > "$tmp/list.json"
check "list --json shows the /48" grep -q '"ip":"2001:db8:1::/48"' "$tmp/list.json"
run status --prometheus > "$tmp/prom"
check "metrics: four active IPv6 bans, the three /64s and the /48" \
    grep -qx 'mailban_bans_active{family="ipv6"} 4' "$tmp/prom"
check "metrics: four bans of postfix-rbl (the widening is a ban too)" \
    grep -qx 'mailban_pattern_bans_total{pattern="postfix-rbl"} 4' "$tmp/prom"
run unban --json 2001:db8:1:14::9 > "$tmp/out"
check "unban --json of an address inside the /48 lifts the /48 ($(cat "$tmp/out"))" \
    grep -qF '"lifted":[{"ip":"2001:db8:1::/48","given":"2001:db8:1:14::9","how":"holds"}]' "$tmp/out"
check "the client connects again" can_connect $S6 25

# IPv4: three addresses of one /24 (widen.ipv4)
fresh
for h in 10 11; do rbl_line 203.0.113.$h; done | run run 2>/dev/null
check "two addresses of 203.0.113.0/24: not widened" not_in_set mailban4 "203.0.113.0/24,tcp:25"
check "the IPv4 client still connects" can_connect $S4 25
rbl_line 203.0.113.12 | run run 2>/dev/null
check "the third widens to 203.0.113.0/24" in_set mailban4 "203.0.113.0/24,tcp:25"
check "the IPv4 client cannot connect" cannot_connect $S4 25
run unban 203.0.113.0/24 > "$tmp/out"
check "unban takes the network ($(cat "$tmp/out"))" grep -qx '203.0.113.0/24: unbanned' "$tmp/out"
check "the IPv4 client connects again" can_connect $S4 25

# --- unban of a network lifts every ban inside it too ---------------------
# a widened /48 and its three /64s, one of them the client's
fresh
for h in 2001:db8:1::5 2001:db8:1:12::5 2001:db8:1:13::5; do
	rbl_line $h | run run 2>/dev/null
done
check "three /64s widened to the /48" in_set mailban6 "2001:db8:1::/48,tcp:25"
check "the client's /64 is banned on its own too" in_set mailban6 "2001:db8:1::/64,tcp:25"
run unban 2001:db8:1::/48 > "$tmp/out"
check "unban of the /48 says the /48 and each /64 inside it ($(cat "$tmp/out"))" \
    [ "$(cat "$tmp/out")" = "2001:db8:1::/48: unbanned
2001:db8:1::/48: 2001:db8:1::/64 inside it unbanned
2001:db8:1::/48: 2001:db8:1:12::/64 inside it unbanned
2001:db8:1::/48: 2001:db8:1:13::/64 inside it unbanned" ]
check "the kernel no longer holds the /48" not_in_set mailban6 "2001:db8:1::/48,tcp:25"
for h in 2001:db8:1:: 2001:db8:1:12:: 2001:db8:1:13::; do
	check "nor $h/64" not_in_set mailban6 "$h/64,tcp:25"
done
run list --json > "$tmp/list.json"
check "list is empty ($(cat "$tmp/list.json"))" [ ! -s "$tmp/list.json" ]
run status --prometheus > "$tmp/prom"
check "metrics: no active IPv6 ban" grep -qx 'mailban_bans_active{family="ipv6"} 0' "$tmp/prom"
check "a client inside the /48 connects again" can_connect $S6 25
# the lifted /64s are no evidence any more: a fourth /64 is banned alone
rbl_line 2001:db8:1:14::5 | run run 2>/dev/null
check "a fourth /64 is banned" in_set mailban6 "2001:db8:1:14::/64,tcp:25"
check "and does not widen to the /48 again" not_in_set mailban6 "2001:db8:1::/48,tcp:25"

# a running mailban run forgets each ban lifted inside the network as it
# forgets a single unban: the /64s stop counting for widening
fresh
mkfifo "$tmp/live"
srv "$mb" run -o "state=\"$db\"" < "$tmp/live" 2> "$tmp/live.err" &
live=$!
exec 7> "$tmp/live"
for h in 2001:db8:1::5 2001:db8:1:12::5 2001:db8:1:13::5; do rbl_line $h >&7; done
check "the running run widens three /64s to the /48" \
    wait_for 10 in_set mailban6 "2001:db8:1::/48,tcp:25"
run unban 2001:db8:1::/48 > /dev/null
# reload is answered once the run has read what others changed, the
# lifted bans first
run reload > "$tmp/out"
check "the run answers reload ($(cat "$tmp/out"))" grep -q '^reloaded ' "$tmp/out"
rbl_line 2001:db8:1:14::5 >&7
check "the running run bans a fourth /64" \
    wait_for 10 in_set mailban6 "2001:db8:1:14::/64,tcp:25"
check "and does not widen it again: the lifted /64s are forgotten" \
    not_in_set mailban6 "2001:db8:1::/48,tcp:25"
exec 7>&-
wait $live
check "the run ends with its input" [ $? -eq 0 ]

# IPv4, --json: a widened /24 and the three addresses inside it
fresh
for h in 2 11 12; do rbl_line 203.0.113.$h | run run 2>/dev/null; done
check "three addresses widened to 203.0.113.0/24" in_set mailban4 "203.0.113.0/24,tcp:25"
run unban --json 203.0.113.77/24 > "$tmp/out"
check "unban --json of the /24 lists the /24 and each address inside it ($(cat "$tmp/out"))" \
    "$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
g = "203.0.113.0/24"
sys.exit(d != {"unbanned": [g], "not_banned": [], "failed": [],
    "lifted": [{"ip": g, "given": g, "how": "same"}] + [{"ip": "203.0.113." + h,
    "given": g, "how": "inside"} for h in ("2", "11", "12")]})' "$tmp/out"
for h in 0/24 2 11 12; do
	check "the kernel no longer holds 203.0.113.$h" not_in_set mailban4 "203.0.113.$h,tcp:25"
done
run list --json > "$tmp/list.json"
check "list is empty ($(cat "$tmp/list.json"))" [ ! -s "$tmp/list.json" ]
check "the IPv4 client, banned on its own too, connects again" can_connect $S4 25

# a network with bans inside it and none of its own
fresh
for h in 21 22; do rbl_line 2001:db8:1:$h::5 | run run 2>/dev/null; done
run unban --json 2001:db8:1::/48 > "$tmp/out"
check "unban --json of a /48 not banned lifts the two /64s inside it ($(cat "$tmp/out"))" \
    "$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
g = "2001:db8:1::/48"
sys.exit(d != {"unbanned": [g], "not_banned": [], "failed": [],
    "lifted": [{"ip": "2001:db8:1:%s::/64" % h, "given": g, "how": "inside"}
    for h in ("21", "22")]})' "$tmp/out"
check "the kernel no longer holds them" not_in_set mailban6 "2001:db8:1:21::/64,tcp:25"

# --- ban by hand of a network ---------------------------------------------
fresh
run ban 2001:db8:1::7/64 > "$tmp/out"
check "ban of a /64 bans its network ($(cat "$tmp/out"))" \
    grep -q '^2001:db8:1::/64: banned for 1h until .* (ban 1)$' "$tmp/out"
check "the kernel holds the /64" in_set mailban6 "2001:db8:1::/64,tcp:25"
check "the client in it cannot connect" cannot_connect $S6 25
run ban --json --reason 'hand' 203.0.113.77/24 > "$tmp/out"
check "ban --json of an IPv4 /24 ($(cat "$tmp/out"))" "$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
b = d["banned"]
sys.exit(not (d["refused"] == [] and len(b) == 1 and b[0]["ip"] == "203.0.113.0/24"
    and b[0]["enforced"] is True and b[0]["reason"] == "hand"))' "$tmp/out"
check "the kernel holds the /24" in_set mailban4 "203.0.113.0/24,tcp:25"
check "the IPv4 client in it cannot connect" cannot_connect $S4 25
run list > "$tmp/list"
check "list shows the /64" grep -q '^2001:db8:1::/64 ' "$tmp/list"
check "list shows the /24" grep -q '^203\.0\.113\.0/24 ' "$tmp/list"
run list --json > "$tmp/list.json"
check "list --json shows the /24" grep -q '"ip":"203.0.113.0/24"' "$tmp/list.json"
run unban 2001:db8:1::/64 203.0.113.0/24 >/dev/null
check "unbanned, the clients connect" can_connect $S6 25
check "over IPv4 too" can_connect $S4 25
# never over an ignored or allowed address
I='ignore=["127.0.0.0/8", "::1/128", "203.0.113.2", "2001:db8:1::2"]'
run ban -o "$I" 198.51.100.0/24 203.0.113.0/24 > "$tmp/out" 2> "$tmp/err"
check "ban of a /24 holding an ignored address: exit 2 ($?)" [ $? -eq 2 ]
check "says which ($(cat "$tmp/err"))" grep -qx 'mailban: ban: 203.0.113.0/24: holds 203.0.113.2 of the ignore list of the configuration: never banned; nothing banned' "$tmp/err"
check "nothing on stdout" [ ! -s "$tmp/out" ]
check "nothing banned: not the /24" not_in_set mailban4 "203.0.113.0/24,tcp:25"
check "nor the other argument" not_in_set mailban4 "198.51.100.0/24,tcp:25"
run ban -o "$I" 2001:db8:1::/64 > "$tmp/out" 2> "$tmp/err"
check "ban of a /64 holding an ignored address: exit 2 ($?)" [ $? -eq 2 ]
check "says which ($(cat "$tmp/err"))" grep -q 'holds 2001:db8:1::2 of the ignore list' "$tmp/err"
check "the /64 is not banned" not_in_set mailban6 "2001:db8:1::/64,tcp:25"
run list --json > "$tmp/list.json"
check "the state has no ban ($(cat "$tmp/list.json"))" [ ! -s "$tmp/list.json" ]
run allow 203.0.113.2 > /dev/null
run ban --json 203.0.113.0/24 > "$tmp/out"
check "ban of a /24 holding an allowed address: exit 1 ($?)" [ $? -eq 1 ]
check "refused, naming the allow entry ($(cat "$tmp/out"))" grep -qF \
    '{"banned":[],"refused":[{"ip":"203.0.113.0/24","why":"allowed","allowed_by":"203.0.113.2/32"}]}' "$tmp/out"
check "the /24 is not banned" not_in_set mailban4 "203.0.113.0/24,tcp:25"
run ban 10.0.0.0/8 > "$tmp/out" 2> "$tmp/err"
check "ban of a /8: exit 2 ($?)" [ $? -eq 2 ]
check "says the widest it bans ($(head -n 1 "$tmp/err"))" grep -q 'wider than a /24, the widest IPv4 network' "$tmp/err"

# --- an ignored or allowed address blocks widening ------------------------
fresh
I='ignore=["127.0.0.0/8", "::1/128", "203.0.113.2", "2001:db8:1::2"]'
for h in 10 11 12; do rbl_line 203.0.113.$h; done | run run -o "$I" 2>/dev/null
for h in 11 12 13; do rbl_line 2001:db8:1:$h::5; done | run run -o "$I" 2>/dev/null
check "ignore: the three IPv4 addresses are banned" in_set mailban4 "203.0.113.12,tcp:25"
check "ignore: the /24 holding an ignored address is not" not_in_set mailban4 "203.0.113.0/24,tcp:25"
check "ignore: the three /64s are banned" in_set mailban6 "2001:db8:1:13::/64,tcp:25"
check "ignore: the /48 holding an ignored address is not" not_in_set mailban6 "2001:db8:1::/48,tcp:25"
check "the ignored IPv4 client connects" can_connect $S4 25
check "the ignored IPv6 client connects" can_connect $S6 25
fresh
run allow 203.0.113.2 >/dev/null
for h in 10 11 12; do rbl_line 203.0.113.$h; done | run run 2>/dev/null
check "allow list: the /24 holding an allowed address is not banned" \
    not_in_set mailban4 "203.0.113.0/24,tcp:25"
check "allow list: its addresses are" in_set mailban4 "203.0.113.10,tcp:25"

# --- the sets an older mailban made (hash:ip): refused loudly, migrated ---
# an installation with one active ban, in sets of the older type
fresh
rbl_line 198.51.100.7 | run run 2>/dev/null
srv iptables -F MAILBAN; srv ip6tables -F MAILBAN
srv ipset destroy mailban4; srv ipset destroy mailban6
srv ipset create mailban4 hash:ip,port family inet timeout 0 maxelem 1048576
srv ipset create mailban6 hash:ip,port family inet6 timeout 0 maxelem 1048576
rbl_line 198.51.100.8 | run run 2> "$tmp/old.err"
check "run over a hash:ip set names the migration" \
    grep -q 'mailban4 exists with type hash:ip,port.*mailban setup' "$tmp/old.err"
run status > "$tmp/status" 2>&1
check "status says the set is of an older mailban" \
    grep -q 'mailban4 is hash:ip,port, mailban needs hash:net,port: made by an older mailban' "$tmp/status"
run setup > "$tmp/setup.out" 2> "$tmp/setup.err"
check "setup re-creates them ($(cat "$tmp/setup.out"))" \
    grep -q 're-created 2 set(s) of another type: put back 1 active bans' "$tmp/setup.out"
check "and warns that it did" grep -q 'destroying and re-creating it' "$tmp/setup.err"
check "mailban4 is hash:net,port" sh -c "ip netns exec $SRV ipset list -t mailban4 | grep -qx 'Type: hash:net,port'"
check "the active ban is back in it" in_set mailban4 "198.51.100.7,tcp:25"

done_testing
