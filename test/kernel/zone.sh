#!/bin/sh
# The rbldnsd zone of the active bans: written after committed batches,
# served by a real rbldnsd, entries gone when their bans end or are lifted.
set -u
. "$SRCDIR/test/lib.sh"
command -v rbldnsd >/dev/null 2>&1 || skip "rbldnsd not installed"
command -v dig >/dev/null 2>&1 || skip "dig not installed"
. "$SRCDIR/test/kernel/netns.sh"
mb=$MAILBAN
db=$tmp/zone.db
# rbldnsd drops root for its own user: the zone files must be readable
chmod 711 "$tmp"
mkdir -m 755 "$tmp/zones"
zd=$tmp/zones
run_user_owns "$zd"
Z="zone={ipv4=\"$zd/mb4.zone\"; ipv6=\"$zd/mb6.zone\"; every=\"1s\"; text=\"Banned by mailban, see https://example.com/?\$\";}"

# query ADDR: the A answer for ADDR in bl.test from the rbldnsd in $SRV
query() {
	case $1 in
	*:*) name=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer.replace(".ip6.arpa", ""))' "$1") ;;
	*) name=$(echo "$1" | awk -F. '{print $4"."$3"."$2"."$1}') ;;
	esac
	ip netns exec "$CLI" dig +short +time=1 +tries=2 -p 5353 @$S4 "$name.bl.test" A
}

# answer_is ADDR WANT: rbldnsd's answer for ADDR (left in $a) is WANT
answer_is() { a=$(query "$1"); [ "$a" = "$2" ]; }

# Bans last an hour, a second ban of an address 5 s (bantimes).  E has
# been banned and unbanned before: its ban below is its second, and runs
# out; the others stay while the test looks at them.
E=203.0.113.44
rbl_line $E | srv "$mb" run -o "state=$db" 2> "$tmp/first.err"
srv "$mb" unban -o "state=$db" $E >/dev/null

mkfifo "$tmp/fifo"
ip netns exec "$SRV" "$mb" run -o "state=$db" -o "$Z" -o 'bantimes=["1h", "5s"]' < "$tmp/fifo" 2> "$tmp/err" &
pid=$!
exec 7> "$tmp/fifo"
rbl_line 203.0.113.41 >&7
rbl_line 2001:db8:9::41 >&7
check "ip4set written" wait_for 10 grep -qx '203.0.113.41' "$zd/mb4.zone"
check "ip6trie written as the address's /64" wait_for 10 grep -qx '2001:db8:9::/64' "$zd/mb6.zone"
check "default value line" grep -qx ':127.0.0.2:Banned by mailban, see https://example.com/?\$' "$zd/mb4.zone"
check "no temporary files left" [ "$(ls "$zd" | grep -c 'zone.tmp-')" -eq 0 ]

ip netns exec "$SRV" rbldnsd -n -q -b $S4/5353 -c 1 \
    "bl.test:ip4set:$zd/mb4.zone" "bl.test:ip6trie:$zd/mb6.zone" \
    2> "$tmp/rbldnsd.err" 7>&- &   # not holding mailban's input open
rbl=$!
wait_for 10 answer_is 203.0.113.41 127.0.0.2
check "rbldnsd answers 127.0.0.2 for the banned IPv4 address ($a)" [ "$a" = 127.0.0.2 ]
wait_for 10 answer_is 2001:db8:9::41 127.0.0.2
check "rbldnsd answers 127.0.0.2 for the banned IPv6 address ($a)" [ "$a" = 127.0.0.2 ]
a=$(query 203.0.113.42)
check "an address never banned is not listed ($a)" [ -z "$a" ]
[ "$fail" -eq 0 ] || cat "$tmp/rbldnsd.err"

# E's 5 s ban runs out: the zone follows (rbldnsd must see it before: the
# zone is written within a second, rbldnsd reads it within a second)
rbl_line $E >&7
check "a ban of 5 s in the zone" wait_for 10 grep -qx $E "$zd/mb4.zone"
wait_for 10 answer_is $E 127.0.0.2
check "rbldnsd lists it while it lasts ($a)" [ "$a" = 127.0.0.2 ]
check "expired ban gone from the zone" wait_for 15 sh -c "! grep -qx '$E' $zd/mb4.zone"
wait_for 10 answer_is $E ""
check "and rbldnsd no longer lists it ($a)" [ -z "$a" ]
check "the other bans stay in the zone" grep -qx '203.0.113.41' "$zd/mb4.zone"

# an unban from another process is out of the zone within seconds
rbl_line 203.0.113.43 >&7
check "new ban in the zone" wait_for 10 grep -qx '203.0.113.43' "$zd/mb4.zone"
srv "$mb" unban -o "state=$db" 203.0.113.43 >/dev/null
check "unbanned address gone from the zone" wait_for 10 sh -c "! grep -qx '203.0.113.43' $zd/mb4.zone"
exec 7>&-
wait $pid
kill $rbl
wait $rbl 2>/dev/null
check "no zone errors reported" sh -c "! grep -q 'zone ' $tmp/err"
done_testing
