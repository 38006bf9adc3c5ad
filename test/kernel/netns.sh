# Shared by the kernel tests: a server and a client network namespace
# joined by a veth pair, documentation addresses only, TCP listeners in the
# server namespace, and a connect probe from the client.  Everything is
# deleted on exit; the machine's own firewall is never touched.
#   server: 203.0.113.1  2001:db8:1::1     client: 203.0.113.2  2001:db8:1::2

[ "$(id -u)" = 0 ] || skip "not root"
for c in ip ipset iptables ip6tables python3; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done

SRV=mbs-$$
CLI=mbc-$$
C4=203.0.113.2
C6=2001:db8:1::2
S4=203.0.113.1
S6=2001:db8:1::1
tmp=$(mktemp -d) || exit 1
run_user_owns "$tmp"
listener_pid=

cleanup() {
	[ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null
	ip netns pids "$SRV" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns delete "$SRV" 2>/dev/null
	ip netns delete "$CLI" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

ip netns add "$SRV" 2>/dev/null || skip "cannot create a network namespace"
ip netns add "$CLI" || exit 1
ip link add mbv-s$$ netns "$SRV" type veth peer name mbv-c$$ netns "$CLI" || exit 1
ip -n "$SRV" link set lo up
ip -n "$CLI" link set lo up
ip -n "$SRV" addr add $S4/24 dev mbv-s$$
ip -n "$CLI" addr add $C4/24 dev mbv-c$$
ip -n "$SRV" addr add $S6/64 dev mbv-s$$ nodad
ip -n "$CLI" addr add $C6/64 dev mbv-c$$ nodad
ip -n "$SRV" link set mbv-s$$ up
ip -n "$CLI" link set mbv-c$$ up
ip netns exec "$SRV" ipset list -n >/dev/null 2>&1 || skip "no ip_set in a namespace"

srv() { ip netns exec "$SRV" "$@"; }

# listeners on ports 25 and 2525, both families
srv python3 -c '
import socket, selectors
sel = selectors.DefaultSelector()
for port in (25, 2525):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(64); sel.register(s, selectors.EVENT_READ)
while True:
    for k, _ in sel.select():
        c, _ = k.fileobj.accept(); c.close()
' &
listener_pid=$!

# can_connect ADDR PORT: 0 when the client's TCP connect succeeds
can_connect() {
	ip netns exec "$CLI" python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.5).close()
except OSError:
    sys.exit(1)
' "$1" "$2"
}

wait_for 10 can_connect $S4 2525 || { echo "listener did not start"; exit 1; }

# rbl_line ADDR: a Postfix RBL reject naming ADDR (bans at once)
rbl_line() {
	printf '%s mx1 postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/%s; from=<spam@example.com> to=<user@example.org> proto=ESMTP helo=<example.com>\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$1" "$1" "$1"
}

# in_set SET ENTRY: 0 when ENTRY (text as `ipset list` shows it) is a member
in_set() {
	srv ipset list "$1" 2>/dev/null | grep -q "^$2 "
}

cannot_connect() { ! can_connect "$@"; }
not_in_set() { ! in_set "$@"; }
