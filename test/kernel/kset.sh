#!/bin/sh
# NAME
#	kset.sh - kernel test of src/kset.c in a private network namespace
# SYNOPSIS
#	test/kernel/kset.sh build/test/test_kset
# DESCRIPTION
#	Creates a fresh network namespace, runs each phase of test_kset in it,
#	checks the sets and rules with ipset(8), iptables(8) and ip6tables(8)
#	inside the namespace, and deletes the namespace on exit.  Never
#	touches the machine's own firewall or sets.
#
#	Exit 0 on success, 1 on failure, 77 (skip) when not root or when ip
#	netns, ipset or iptables are unavailable; with MAILBAN_NO_SKIP=1 a
#	skip is a failure.
set -u

bin=${1:?usage: kset.sh TEST_KSET_BINARY}

skip() {
	echo "SKIP: $*" >&2
	[ "${MAILBAN_NO_SKIP:-0}" = 1 ] && exit 1
	exit 77
}

[ "$(id -u)" = 0 ] || skip "not root"
for c in ip ipset iptables ip6tables iptables-save ip6tables-save; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
[ -x "$bin" ] || { echo "FAIL: $bin is not executable" >&2; exit 1; }

ns=mbk-kset-$$
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
trap 'ip netns delete "$ns" 2>/dev/null' EXIT
trap 'exit 1' HUP INT TERM

in_ns() {
	ip netns exec "$ns" "$@"
}

in_ns ipset list -n >/dev/null 2>&1 || skip "no ip_set in the namespace"
in_ns iptables -w -n -L INPUT >/dev/null 2>&1 || skip "no iptables in the namespace"

failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect DESCRIPTION EXPECTED ACTUAL
expect() {
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

phase() {
	if in_ns "$bin" "$@"; then
		echo "ok: test_kset $*"
	else
		fail "test_kset $* (exit $?)"
	fi
}

entries() {
	in_ns ipset list -t "$1" | sed -n 's/^Number of entries: //p'
}

header() {
	in_ns ipset list -t "$1" | sed -n "s/^$2: //p"
}

# Members of a set, one per line, without the headers.
members() {
	in_ns ipset list "$1" | sed '1,/^Members:/d'
}

# --- ensure: both set types; wrong type, family, maxelem refused -----------
phase ensure
expect "mbe4 type" "hash:net,port" "$(header mbe4 Type)"
expect "mbe6 type" "hash:net,port" "$(header mbe6 Type)"
expect "mbd4 type" "hash:net" "$(header mbd4 Type)"
expect "mbd6 type" "hash:net" "$(header mbd6 Type)"
case $(header mbe4 Header) in
"family inet "*"maxelem 65536 timeout 0"*) echo "ok: mbe4 header" ;;
*) fail "mbe4 header: $(header mbe4 Header)" ;;
esac
case $(header mbd6 Header) in
"family inet6 "*"maxelem 65536 timeout 0"*) echo "ok: mbd6 header" ;;
*) fail "mbd6 header: $(header mbd6 Header)" ;;
esac

# --- bulk: 1,000 + 1,000 addresses x 2 ports in one commit, cap, del -----
phase bulk
# 1000 addresses and 192.0.2.1, minus the deleted 198.18.0.5: 2 ports each.
expect "mbt4 entries" 2000 "$(entries mbt4)"
expect "mbt6 entries" 1998 "$(entries mbt6)"
expect "mbt4 198.18.0.5 deleted" 0 "$(members mbt4 | grep -c '^198\.18\.0\.5,')"
expect "mbt6 2001:db8::7 deleted" 0 "$(members mbt6 | grep -c '^2001:db8::7,')"
expect "mbt4 192.0.2.9 unqueued" 0 "$(members mbt4 | grep -c '^192\.0\.2\.9,')"
expect "mbt4 198.18.3.231 both ports" 2 \
    "$(members mbt4 | grep -c '^198\.18\.3\.231,tcp:\(25\|587\) timeout ')"
# Every entry carries a timeout: 3600 s, or the cap for 192.0.2.1.
bad=$(members mbt4 | awk '
	$1 ~ /^192\.0\.2\.1,/ { if ($3 > 2147483 || $3 < 2147000) print; next }
	$2 != "timeout" || $3 > 3600 || $3 < 3000 { print }' | head -3)
expect "mbt4 timeouts" "" "$bad"
bad=$(members mbt6 | awk '$2 != "timeout" || $3 > 3600 || $3 < 3000' | head -3)
expect "mbt6 timeouts" "" "$bad"
expect "192.0.2.1 capped, both ports" 2 \
    "$(members mbt4 | grep -c '^192\.0\.2\.1,tcp:\(25\|587\) timeout 21474[0-9][0-9]$')"

# --- flush ----------------------------------------------------------------
phase flush
expect "mbt4 flushed" 0 "$(entries mbt4)"
expect "mbt6 flushed" 0 "$(entries mbt6)"

# --- a set destroyed between two phases is re-created by the next commit --
phase vanish
expect "mbv4 entries" 300 "$(entries mbv4)"
expect "mbv6 entries" 1 "$(entries mbv6)"
in_ns ipset destroy mbv4 || fail "ipset destroy mbv4"
in_ns ipset destroy mbv6 || fail "ipset destroy mbv6"
phase vanish
expect "mbv4 re-created" "hash:net" "$(header mbv4 Type)"
expect "mbv6 re-created" "family inet6" "$(header mbv6 Header | cut -d' ' -f1,2)"
expect "mbv4 entries after re-creation" 300 "$(entries mbv4)"
expect "mbv6 entries after re-creation" 1 "$(entries mbv6)"

# --- maxelem 8, 20 adds: 8 stay, 12 reported and dropped ------------------
phase full
expect "mbf4 entries" 8 "$(entries mbf4)"
expect "mbf6 entries" 1 "$(entries mbf6)"

# --- elements refused one by one in later pages: the rest lands -----------
phase zero
expect "mbz4 entries" 2000 "$(entries mbz4)"
expect "mbz6 entries" 2000 "$(entries mbz6)"

# --- setup: idempotent, then a policy switch ------------------------------
rules() { # FAMILY-COMMAND CHAIN
	in_ns "$1" -w -S "$2" | grep -c -- "^-A $2 "
}
phase setup port
phase setup port
for t in iptables ip6tables; do
	expect "$t: one jump" 1 "$(in_ns $t -w -S INPUT | grep -c -- '^-A INPUT -j MAILBAN$')"
	expect "$t: one MAILBAN rule" 1 "$(rules $t MAILBAN)"
done
expect "iptables port rule" 1 "$(in_ns iptables -w -S MAILBAN |
    grep -c -- '^-A MAILBAN -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m set --match-set mbs4 src,dst -j DROP$')"
expect "ip6tables port rule" 1 "$(in_ns ip6tables -w -S MAILBAN |
    grep -c -- '^-A MAILBAN -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m set --match-set mbs6 src,dst -j DROP$')"
expect "mbs4 type (port)" "hash:net,port" "$(header mbs4 Type)"
expect "mbs4 referenced" 1 "$(header mbs4 References)"

phase setup drop
for t in iptables ip6tables; do
	expect "$t: one jump after switch" 1 "$(in_ns $t -w -S INPUT | grep -c -- '^-A INPUT -j MAILBAN$')"
	expect "$t: one MAILBAN rule after switch" 1 "$(rules $t MAILBAN)"
done
expect "iptables drop rule" 1 "$(in_ns iptables -w -S MAILBAN |
    grep -c -- '^-A MAILBAN -m set --match-set mbs4 src -j DROP$')"
expect "ip6tables drop rule" 1 "$(in_ns ip6tables -w -S MAILBAN |
    grep -c -- '^-A MAILBAN -m set --match-set mbs6 src -j DROP$')"
expect "mbs4 type (drop)" "hash:net" "$(header mbs4 Type)"
expect "mbs6 type (drop)" "hash:net" "$(header mbs6 Type)"
case $(header mbs6 Header) in
"family inet6 "*) echo "ok: mbs6 family" ;;
*) fail "mbs6 header: $(header mbs6 Header)" ;;
esac

# --- setup --print writes commands and changes nothing --------------------
# (an entry's time left counts down between two snapshots: not a change)
snapshot() {
	in_ns ipset save | sed 's/^\(add .*\) timeout [0-9]*$/\1 timeout T/' | sort
	in_ns iptables-save | grep -v '^#'
	in_ns ip6tables-save | grep -v '^#'
}
before=$(snapshot)
out=$(in_ns "$bin" setup print) || fail "setup print (exit $?)"
after=$(snapshot)
expect "setup print changes nothing" "$before" "$after"
expect "print: ipset create" 1 "$(printf '%s\n' "$out" |
    grep -c '^ipset -exist create mbs4 hash:net,port family inet timeout 0 maxelem 65536$')"
expect "print: rule" 1 "$(printf '%s\n' "$out" |
    grep -c -- '^ip6tables -w -t filter -A MAILBAN -p tcp --syn -m set --match-set mbs6 src,dst -j DROP$')"
expect "print: jump" 2 "$(printf '%s\n' "$out" | grep -c -- '-I INPUT -j MAILBAN$')"

if [ "$failures" -gt 0 ]; then
	echo "kset.sh: $failures check(s) failed" >&2
	exit 1
fi
echo "kset.sh: all checks passed"
exit 0
