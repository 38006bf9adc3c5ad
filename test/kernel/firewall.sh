#!/bin/sh
# Firewall reloads: every way a reload removes the MAILBAN chain that the
# network namespace has (nft flush ruleset, Debian's nftables.conf,
# iptables -F/-X, iptables-restore of a file saved without the chain);
# status and list report the gap while it lasts (text, JSON, exit code);
# mailban run puts the rules back within firewall_check, exactly as setup
# makes them, logs each repair, and a banned client is blocked again.
# Last, Debian's ufw (its ufw-init, extracted from the package): a reload
# that leaves foreign chains alone, and one that flushes the built-ins.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
command -v nft >/dev/null 2>&1 || skip "nft not installed"
mb=$MAILBAN
db=$tmp/state.db
conf=$tmp/mailban.conf
st() { srv "$mb" status -c "$conf" -o "state=$db" "$@"; }

# the shipped configuration, run's check once an hour for now
sed 's/^firewall_check *=.*/firewall_check = "1h";/' \
    "$SRCDIR/etc/mailban.conf" > "$conf"
grep -q '^firewall_check = "1h";' "$conf" || { echo "no firewall_check"; exit 1; }

# what the administrator's firewall holds before mailban: one rule of
# its own in each family, saved for iptables-restore
srv iptables -A INPUT -p tcp --dport 2526 -j ACCEPT
srv ip6tables -A INPUT -p tcp --dport 2526 -j ACCEPT
srv iptables-save > "$tmp/saved4"
srv ip6tables-save > "$tmp/saved6"

# the rules as the iptables commands of setup --print make them, in a
# namespace of their own: what the rules must look like
REF=mbr-$$
ip netns add "$REF" || exit 1
trap 'ip netns delete "$REF" 2>/dev/null; cleanup' EXIT
ip netns exec "$REF" "$mb" setup --print -c "$conf" -o "state=$db" > "$tmp/setup.sh"
ip netns exec "$REF" sh -e "$tmp/setup.sh" 2> "$tmp/setup.err"
check "the commands of setup --print run ($(head -c 200 "$tmp/setup.err"))" [ $? -eq 0 ]
ours() { # FAMILY-TOOL: our chain and jump as the tool lists them
	"$@" -S | grep -E '^-(N|A) MAILBAN|^-A INPUT -j MAILBAN'
}
ip netns exec "$REF" sh -c "$(printf '%s\n' 'ours() { "$@" -S | grep -E "^-(N|A) MAILBAN|^-A INPUT -j MAILBAN"; }'); ours iptables; ours ip6tables" > "$tmp/want"
check "reference rules listed ($(wc -l < "$tmp/want") lines)" [ "$(wc -l < "$tmp/want")" -eq 6 ]
# (the nf_tables expressions, counters' values aside)
exprs() { grep '^  \[' | sed 's/counter pkts [0-9]* bytes [0-9]*/counter/'; }
ip netns exec "$REF" nft --debug=netlink list chain ip filter MAILBAN 2>/dev/null |
    exprs > "$tmp/want.nft4"
check "reference expressions read" grep -q 'match name set rev 4' "$tmp/want.nft4"
ip netns delete "$REF"

# rules_as_setup: both families' rules are what the iptables commands make
# (as iptables -S and as nf_tables expressions), iptables -C finds ours
rules_as_setup() {
	srv sh -c "$(printf '%s\n' 'ours() { "$@" -S | grep -E "^-(N|A) MAILBAN|^-A INPUT -j MAILBAN"; }'); ours iptables; ours ip6tables" > "$tmp/have" &&
	{ cmp -s "$tmp/want" "$tmp/have" ||
	    { diff "$tmp/want" "$tmp/have" | sed 's/^/# /' >&2; false; }; } &&
	srv nft --debug=netlink list chain ip filter MAILBAN 2>/dev/null |
	    exprs > "$tmp/have.nft4" &&
	cmp -s "$tmp/want.nft4" "$tmp/have.nft4" &&
	srv iptables -C MAILBAN -p tcp --syn -m set --match-set mailban4 src,dst -j DROP &&
	srv ip6tables -C MAILBAN -p tcp --syn -m set --match-set mailban6 src,dst -j DROP
}
repairs() { grep -c 'rules restored as "mailban setup" makes them' "$tmp/run.err"; }
repaired() { [ "$(repairs)" -ge "$1" ]; }
blocked() { cannot_connect $S4 25 && cannot_connect $S6 25; }

# --- run without setup: the rules are made at start, and logged ---
# (no iptables on its PATH: run starts no process, it talks netlink)
mkfifo "$tmp/fifo"
ip netns exec "$SRV" env PATH=/nonexistent "$mb" run -c "$conf" -o "state=$db" < "$tmp/fifo" 2> "$tmp/run.err" &
pid=$!
exec 7> "$tmp/fifo"
check "run without setup makes the rules at start" wait_for 10 repaired 1
check "as setup's commands make them" rules_as_setup
check "the repair names what was missing" \
    grep -q 'bans were not enforced: IPv4: .*mailban4' "$tmp/run.err"
check "the administrator's rule stays" sh -c "ip netns exec $SRV iptables -S INPUT | grep -q -- '--dport 2526 -j ACCEPT'"
check "the jump comes first in INPUT" sh -c "ip netns exec $SRV iptables -S INPUT | sed -n 2p | grep -qx -- '-A INPUT -j MAILBAN'"
rbl_line $C4 >&7
rbl_line $C6 >&7
check "a banned client is blocked" wait_for 10 blocked
check "a client not banned still reaches port 2525" can_connect $S4 2525
st > "$tmp/st"; rc=$?
check "status: exit 0 while enforced ($rc)" [ $rc -eq 0 ]
check "status: says so" grep -q '^firewall *enforced' "$tmp/st"

# --- the gap: a reload, and run checks only once an hour ---
srv nft flush ruleset
check "after nft flush ruleset the client gets through" wait_for 10 can_connect $S4 25
st > "$tmp/st"; rc=$?
check "status: exit 3 while bans are not enforced ($rc)" [ $rc -eq 3 ]
check "status: its first line says so" sh -c "head -1 '$tmp/st' | grep -q 'BANS ARE NOT ENFORCED: IPv4: no rule in chain MAILBAN uses set mailban4; IPv6: no rule in chain MAILBAN uses set mailban6'"
check "status: still counts the entries (they block nothing)" grep -q '^sets *mailban4 *[1-9]' "$tmp/st"
st --json > "$tmp/st.json"; rc=$?
check "status --json: exit 3 ($rc)" [ $rc -eq 3 ]
check "status --json: enforced false, and why" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["enforced"] is False, d["enforced"]
assert d["firewall"]["enforced"] is False
assert "mailban4" in d["firewall"]["problem"], d["firewall"]
' "$tmp/st.json"
srv "$mb" list -c "$conf" -o "state=$db" > "$tmp/list"
check "list: its first line says bans are not enforced" sh -c "head -1 '$tmp/list' | grep -q '^BANS ARE NOT ENFORCED: '"
check "list: the bans follow" grep -q "^$C4 " "$tmp/list"
srv "$mb" list --json -c "$conf" -o "state=$db" > "$tmp/list.json" 2> "$tmp/list.err"
check "list --json: \"enforced\":false in each object" sh -c "[ \$(grep -c '\"enforced\":false}' '$tmp/list.json') -eq 2 ]"
check "list --json: a warning on stderr" grep -q 'bans are not enforced' "$tmp/list.err"

# SIGHUP with a check every second: the gap closes
sed -i 's/^firewall_check = "1h";/firewall_check = "1s";/' "$conf"
kill -HUP $pid
check "after SIGHUP the rules are back within the interval" wait_for 10 repaired 2
check "as setup's commands make them" rules_as_setup
check "the banned client is blocked again" wait_for 10 blocked
st > "$tmp/st"; rc=$?
check "status: exit 0 once the rules are back ($rc)" [ $rc -eq 0 ]
st --json > "$tmp/st.json"
check "status --json: enforced true" grep -q '^{"enforced":true,' "$tmp/st.json"

# --- every reload method, with run checking every second ---
n=2
reload_with() { # DESCRIPTION COMMAND...
	_what=$1
	shift
	srv sh -c "$*"
	n=$((n + 1))
	check "$_what: rules put back by run" wait_for 10 repaired $n
	check "$_what: as setup's commands make them" rules_as_setup
	check "$_what: the banned client is blocked again" wait_for 10 blocked
}
reload_with "nft flush ruleset" nft flush ruleset
cat > "$tmp/nftables.conf" <<'NFT'
#!/usr/sbin/nft -f
# Debian 12's /etc/nftables.conf
flush ruleset

table inet filter {
	chain input {
		type filter hook input priority filter;
	}
	chain forward {
		type filter hook forward priority filter;
	}
	chain output {
		type filter hook output priority filter;
	}
}
NFT
reload_with "nft -f Debian's nftables.conf" nft -f "$tmp/nftables.conf"
check "Debian's table inet filter stays beside ours" sh -c "ip netns exec $SRV nft list tables | grep -qx 'table inet filter'"
reload_with "iptables -F; iptables -X (both families)" \
    "iptables -F; iptables -X; ip6tables -F; ip6tables -X"
reload_with "iptables -F (the chain stays, empty)" "iptables -F MAILBAN"
reload_with "the jump alone deleted" "ip6tables -D INPUT -j MAILBAN"
reload_with "iptables-restore of a file saved without the chain" \
    "iptables-restore < $tmp/saved4; ip6tables-restore < $tmp/saved6"
check "the administrator's restored rule stays" sh -c "ip netns exec $SRV iptables -S INPUT | grep -q -- '--dport 2526 -j ACCEPT'"
reload_with "a rule of another policy in our chain" \
    "iptables -F MAILBAN; iptables -A MAILBAN -m set --match-set mailban4 src -j DROP"
check "one repair a reload, no more ($(repairs))" [ "$(repairs)" -eq $n ]

# --- a firewall manager still at work: nothing is put back until the
# ruleset stands still (ufw's reload flushes the built-in chains, then
# deletes every chain: our chain put back between the two makes it fail).
# For SECONDS the ruleset changes back to back, and each round looks
# whether our jump came back meanwhile. ---
churn() { # SECONDS
	srv sh -c '
	iptables -N CHURN
	end=$(($(date +%s) + $1))
	back=0
	while [ "$(date +%s)" -lt "$end" ]; do
		iptables -A CHURN -j RETURN
		iptables -F CHURN
		if iptables -C INPUT -j MAILBAN 2>/dev/null; then back=1; fi
	done
	iptables -X CHURN
	echo $back' sh "$1"
}
srv iptables -D INPUT -j MAILBAN
back=$(churn 4)
check "while the ruleset keeps changing for 4s, the jump is not put back ($back)" \
    [ "$back" = 0 ]
n=$((n + 1))
check "once it stands still: rules put back by run" wait_for 10 repaired $n
check "once it stands still: as setup's commands make them" rules_as_setup
check "once it stands still: the banned client is blocked again" wait_for 10 blocked

# --- ufw: its own ufw-init (Debian's ufw package, extracted, never
# installed) with its rules in a directory of the test, allowing the
# test's ports; INPUT's policy becomes DROP ---
. "$SRCDIR/test/debroot.sh"
ufwroot=$(dirname "$mb")/test/ufw-root
debroot_fetch "$ufwroot" ufw
[ -r "$ufwroot/lib/ufw/ufw-init" ] || { echo "no ufw-init in $ufwroot"; exit 1; }
U=$tmp/ufw
mkdir -p "$U/etc/ufw" "$U/etc/default" "$U/lib/ufw"
cp "$ufwroot/lib/ufw/ufw-init" "$ufwroot/lib/ufw/ufw-init-functions" "$U/lib/ufw/"
cp "$ufwroot"/usr/share/ufw/iptables/*.rules "$U/etc/ufw/"
allow() { # FILE CHAIN: the test's ports accepted, as "ufw allow" writes it
	sed -i "s/^### RULES ###\$/&\\n-A $2 -p tcp --dport 25 -j ACCEPT\\n-A $2 -p tcp --dport 2525 -j ACCEPT/" "$1"
}
allow "$U/etc/ufw/user.rules" ufw-user-input
allow "$U/etc/ufw/user6.rules" ufw6-user-input
printf 'ENABLED=yes\nLOGLEVEL=off\n' > "$U/etc/ufw/ufw.conf"
: > "$U/etc/ufw/sysctl.conf"   # no sysctl changed
ufw_init() { # MANAGE_BUILTINS ACTION
	sed -e "s|^IPT_SYSCTL=.*|IPT_SYSCTL=$U/etc/ufw/sysctl.conf|" \
	    -e "s/^MANAGE_BUILTINS=.*/MANAGE_BUILTINS=$1/" \
	    "$ufwroot/etc/default/ufw" > "$U/etc/default/ufw"
	srv sh "$U/lib/ufw/ufw-init" --rootdir "$U" --datadir "$U" "$2" > "$tmp/ufw.out" 2>&1
}
ufw_init no start
check "ufw starts ($(head -c 200 "$tmp/ufw.out"))" [ $? -eq 0 ]
ufw_jumps() { [ "$(srv iptables -S INPUT | grep -c -- '-j ufw-')" -eq 6 ]; }
check "ufw's jumps are in INPUT" ufw_jumps
check "ufw: a client not banned reaches port 2525" can_connect $S4 2525
check "ufw: the banned client stays blocked" blocked
ufw_init no force-reload
check "ufw reload (MANAGE_BUILTINS=no) exits 0" [ $? -eq 0 ]
check "ufw reload (MANAGE_BUILTINS=no) leaves the rules as setup makes them" rules_as_setup
check "and the banned client blocked" blocked
ufw_init yes force-reload
check "ufw reload (MANAGE_BUILTINS=yes) exits 0" [ $? -eq 0 ] ||
    sed 's/^/# ufw: /' "$tmp/ufw.out"
n=$((n + 1))
# (ufw flushes the built-ins when it stops and again when it starts: run
# may put the rules back twice)
check "ufw reload (MANAGE_BUILTINS=yes): rules put back by run" wait_for 10 repaired $n
check "ufw reload (MANAGE_BUILTINS=yes): as setup's commands make them" \
    wait_for 10 rules_as_setup
check "ufw reload (MANAGE_BUILTINS=yes): the banned client is blocked again" wait_for 10 blocked
check "ufw's jumps stay, ours first" sh -c "ip netns exec $SRV iptables -S INPUT | sed -n 2p | grep -qx -- '-A INPUT -j MAILBAN'"
check "ufw's jumps are all there" ufw_jumps
check "ufw: a client not banned still reaches port 2525" can_connect $S4 2525

exec 7>&-
wait $pid; rc=$?
check "run exits 0 at EOF ($rc)" [ $rc -eq 0 ]
check "no other warning than the repairs" sh -c "! grep 'warning' '$tmp/run.err' | grep -v 'rules restored as'"
done_testing
