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
Z="zone={ipv4=\"$zd/mb4.zone\"; ipv6=\"$zd/mb6.zone\"; every=\"1s\"; text=\"Banned by mailban, see https://example.com/?\$\";}"

# query ADDR: the A answer for ADDR in bl.test from the rbldnsd in $SRV
query() {
	case $1 in
	*:*) name=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer.replace(".ip6.arpa", ""))' "$1") ;;
	*) name=$(echo "$1" | awk -F. '{print $4"."$3"."$2"."$1}') ;;
	esac
	ip netns exec "$CLI" dig +short +time=1 +tries=2 -p 5353 @$S4 "$name.bl.test" A
}

mkfifo "$tmp/fifo"
ip netns exec "$SRV" "$mb" run -o "state=$db" -o "$Z" -o 'bantimes=["4s"]' < "$tmp/fifo" 2> "$tmp/err" &
pid=$!
exec 7> "$tmp/fifo"
rbl_line 203.0.113.41 >&7
rbl_line 2001:db8:9::41 >&7
sleep 2.5
check "ip4set written" grep -qx '203.0.113.41' "$zd/mb4.zone"
check "ip6trie written as /128" grep -qx '2001:db8:9::41/128' "$zd/mb6.zone"
check "default value line" grep -qx ':127.0.0.2:Banned by mailban, see https://example.com/?\$' "$zd/mb4.zone"
check "no temporary files left" [ "$(ls "$zd" | grep -c 'zone.tmp-')" -eq 0 ]

ip netns exec "$SRV" rbldnsd -n -q -b $S4/5353 -c 1 \
    "bl.test:ip4set:$zd/mb4.zone" "bl.test:ip6trie:$zd/mb6.zone" \
    2> "$tmp/rbldnsd.err" 7>&- &   # not holding mailban's input open
rbl=$!
sleep 0.5
a=$(query 203.0.113.41)
check "rbldnsd answers 127.0.0.2 for the banned IPv4 address ($a)" [ "$a" = 127.0.0.2 ]
a=$(query 2001:db8:9::41)
check "rbldnsd answers 127.0.0.2 for the banned IPv6 address ($a)" [ "$a" = 127.0.0.2 ]
a=$(query 203.0.113.42)
check "an address never banned is not listed ($a)" [ -z "$a" ]
[ "$fail" -eq 0 ] || cat "$tmp/rbldnsd.err"

# the bans run out after 4 s: the zone follows
sleep 5
check "expired ban gone from the zone" sh -c "! grep -qx '203.0.113.41' $zd/mb4.zone"
sleep 1.5
a=$(query 203.0.113.41)
check "and rbldnsd no longer lists it ($a)" [ -z "$a" ]

# an unban from another process is out of the zone within seconds
rbl_line 203.0.113.43 >&7
sleep 2.5
check "new ban in the zone" grep -qx '203.0.113.43' "$zd/mb4.zone"
srv "$mb" unban -o "state=$db" 203.0.113.43 >/dev/null
sleep 3
check "unbanned address gone from the zone" sh -c "! grep -qx '203.0.113.43' $zd/mb4.zone"
exec 7>&-
wait $pid
kill $rbl
wait $rbl 2>/dev/null
check "no zone errors reported" sh -c "! grep -q 'zone ' $tmp/err"
done_testing
