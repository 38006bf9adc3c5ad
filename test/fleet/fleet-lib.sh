# Shared by test/fleet/fleet.sh and bench/fleet.sh: a fleet in network
# namespaces.  One central namespace holds a bridge (192.0.2.1/24); each MX
# namespace i is joined to it by a veth pair (192.0.2.1i/24, i = 1..9).
# Every rsyslogd runs in its namespace and in its own UTS namespace with
# the host name "central" or "mxI" (that name travels in the forwarded
# lines).  Everything lives under $tmp: configurations, pid files, sockets,
# work (queue) directories, state files, zone files, logs.  Nothing of the
# machine's own logging is read, written or signalled; the namespaces are
# deleted on exit.
#
# Needs: $tmp (made here), $SRCDIR, $MAILBAN, skip (test/lib.sh); reads
# test/daemons.sh itself.
#   fleet_net N                 the central namespace and N MX namespaces
#   central_prepare [SED]       $tmp/central/{rsyslog,mailban}.conf: the shipped
#                               60-mailban-central.conf, zone in $tmp/zones
#   mx_prepare I [local]        $tmp/mxI/rsyslog.conf: the shipped
#                               60-mailban-mx-relp.conf (+ 60-mailban.conf: local),
#                               whose trust filter (and the local mailban's
#                               trust rule) names the stand-in MTA executable
#                               $WRITER (daemons.sh) run as root
#   rs_start DIR NS NAME        start rsyslogd of DIR, wait for its socket;
#                               for an MX, the writer that send() feeds
#   rs_stop DIR                 SIGTERM, wait up to 30 s, then SIGKILL (1)
#   rs_child DIR                pid of the mailban child of DIR's rsyslogd
#   rbldnsd_start / rbldnsd_stop   rbldnsd serving bl.fleet.test in $CEN
#   dnsbl NS ADDR               dig from NS: the A answer for ADDR
#   fleet_cleanup               everything above, gone

. "$SRCDIR/test/daemons.sh"
# the writer's executable as the kernel names it to an MX's rsyslogd in a
# chroot (exe_prefix): the MX filter's regex then takes it with or without
fleet_xp=$(exe_prefix)
[ -z "$fleet_xp" ] || fleet_xp="($fleet_xp)?"

[ "$(id -u)" = 0 ] || skip "not root"
for c in ip ipset rsyslogd logger unshare hostname python3; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
rsmod=$(ls -d /usr/lib/*/rsyslog 2>/dev/null | head -1)
for m in imrelp omrelp omprog; do
	[ -e "$rsmod/$m.so" ] || skip "rsyslog module $m missing (apt-get install rsyslog-relp)"
done

CEN=mbf-c$$
CEN4=192.0.2.1
ZONE=bl.fleet.test
fleet_n=0
tmp=$(mktemp -d) || exit 1
# rbldnsd drops root for its own user: it must reach $tmp/zones
chmod 711 "$tmp"
mkdir -m 755 "$tmp/zones"
run_user_owns "$tmp/zones"   # mailban run writes the zone as its run user
rbldnsd_pid=
writer_prepare "$tmp/mta"

mxns() { echo "mbf-$1x$$"; }

fleet_cleanup() {
	for d in "$tmp"/central "$tmp"/mx*; do
		[ -f "$d/rsyslog.conf" ] && rs_stop "$d" >/dev/null 2>&1
	done
	rbldnsd_stop
	for ns in "$CEN" $(i=1; while [ $i -le $fleet_n ]; do mxns $i; i=$((i + 1)); done); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns delete "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}

fleet_net() {
	ip netns add "$CEN" 2>/dev/null || skip "cannot create a network namespace"
	ip -n "$CEN" link set lo up
	ip -n "$CEN" link add mbf-br type bridge || exit 1
	ip -n "$CEN" addr add $CEN4/24 dev mbf-br
	ip -n "$CEN" link set mbf-br up
	i=1
	while [ $i -le "$1" ]; do
		ns=$(mxns $i)
		ip netns add "$ns" || exit 1
		fleet_n=$i
		ip -n "$ns" link set lo up
		ip link add mbf-m$i-$$ netns "$ns" type veth peer name mbf-b$i-$$ \
		    netns "$CEN" || exit 1
		ip -n "$CEN" link set mbf-b$i-$$ master mbf-br
		ip -n "$CEN" link set mbf-b$i-$$ up
		ip -n "$ns" addr add 192.0.2.1$i/24 dev mbf-m$i-$$
		ip -n "$ns" link set mbf-m$i-$$ up
		i=$((i + 1))
	done
	ip netns exec "$CEN" ipset list -n >/dev/null 2>&1 || skip "no ip_set in a namespace"
}

# the private part of every test rsyslogd: its work directory, its own
# socket, everything but mail to all.log
rs_head() {
	mkdir -p "$1/work"
	rsyslog_head "$1/work" "$1/log.sock" "$1/all.log"
}

# a configuration must not name a file of the machine's
rs_check() {
	if grep -v '^[[:space:]]*#' "$1/rsyslog.conf" | grep -Eq '"/(etc|var|usr/sbin)/'; then
		echo "a system path survived in $1/rsyslog.conf:"
		grep -n -E '"/(etc|var|usr/sbin)/' "$1/rsyslog.conf"
		exit 1
	fi
	rsyslogd -N1 -f "$1/rsyslog.conf" > "$1/check" 2>&1 || {
		cat "$1/check"
		echo "rsyslogd -N1 rejects $1/rsyslog.conf"
		exit 1
	}
}

# mailban's configuration for DIR: the shipped one, state in DIR
mb_conf() {
	sed "s|^state .*|state = \"$1/state.db\";|" "$SRCDIR/etc/mailban.conf" > "$1/mailban.conf"
	per_address_conf "$1/mailban.conf"
	run_user_owns "$1"
}

central_prepare() {
	d=$tmp/central
	mkdir -p "$d"
	mb_conf "$d"
	cat >> "$d/mailban.conf" <<EOF
zone = { ipv4 = "$tmp/zones/mailban4.zone"; ipv6 = "$tmp/zones/mailban6.zone";
	every = "1s"; text = "Banned by the fleet's mailban: \$"; };
EOF
	{
		rs_head "$d"
		sed -e "s|/usr/sbin/mailban|$MAILBAN|g" \
		    -e "s|/etc/mailban/mailban.conf|$d/mailban.conf|g" \
		    -e "s|/var/log/mailban.log|$d/mailban.log|g" \
		    -e "s|/var/log/mail-fleet.log|$d/mail-fleet.log|g" \
		    -e "s|/dev/log|$d/log.sock|g" \
		    -e "s|'^/usr/lib/postfix/sbin/|'^$fleet_xp$tmp/mta/sbin/|" \
		    -e "s|/usr/lib/postfix/sbin/|$tmp/mta/sbin/|" \
		    -e "s|\"/usr/sbin/exim4\"|\"$tmp/mta/sbin/exim4\"|" \
		    -e "${1:-}" "$SRCDIR/rsyslog.d/60-mailban-central.conf"
	} > "$d/rsyslog.conf"
	rs_check "$d"
}

mx_prepare() {
	d=$tmp/mx$1
	mkdir -p "$d"
	{
		rs_head "$d"
		if [ "${2:-}" = local ]; then
			mb_conf "$d"
			trust_writer "$d/mailban.conf" "$tmp/mta"
			sed -e "s|/usr/sbin/mailban|$MAILBAN|g" \
			    -e "s|/etc/mailban/mailban.conf|$d/mailban.conf|g" \
			    -e "s|/var/log/mailban.log|$d/mailban.log|g" \
			    -e "s|/dev/log|$d/log.sock|g" \
			    "$SRCDIR/rsyslog.d/60-mailban.conf"
		fi
		sed -e "s|central.mx.example.net|$CEN4|" \
		    -e "s|'^/usr/lib/postfix/sbin/|'^$fleet_xp$tmp/mta/sbin/|" \
		    -e "s|/usr/lib/postfix/sbin/|$tmp/mta/sbin/|" \
		    -e "s|\"/usr/sbin/exim4\"|\"$tmp/mta/sbin/exim4\"|" \
		    "$SRCDIR/rsyslog.d/60-mailban-mx-relp.conf"
	} > "$d/rsyslog.conf"
	rs_check "$d"
}

# rs_start DIR NS NAME: rsyslogd with host name NAME in namespace NS
rs_start() {
	rm -f "$1/pid" "$1/log.sock"
	unshare --uts sh -c 'hostname "$1" && shift && exec "$@"' sh "$3" \
	    ip netns exec "$2" rsyslogd -n -f "$1/rsyslog.conf" -i "$1/pid" \
	    >> "$1/rsyslogd.out" 2>&1 &
	echo $! > "$1/started"
	wait_daemon "rsyslogd of $1" "$(cat "$1/started")" "$1/log.sock" \
	    "$1/pid" "$1/rsyslogd.out" "$1/all.log"
	[ "$3" = central ] || writer_start "$1"
}

# The trusted writer of an MX lives as long as its rsyslogd, reading the
# lines to send from DIR/writer.fifo (held open by a sleeping holder):
# rsyslog reads a writer's executable from /proc when the message
# arrives, and a writer that has exited has none
writer_start() {
	rm -f "$1/writer.fifo"
	mkfifo "$1/writer.fifo"
	"$WRITER" -u "$1/log.sock" -p mail.info -t postfix/smtpd \
	    < "$1/writer.fifo" &
	echo $! > "$1/writer.pid"
	sleep 2147483647 > "$1/writer.fifo" &
	echo $! > "$1/holder.pid"
}
writer_stop() {
	[ -s "$1/holder.pid" ] || return 0
	kill "$(cat "$1/holder.pid")" 2>/dev/null
	wait "$(cat "$1/writer.pid")" 2>/dev/null
	rm -f "$1/holder.pid" "$1/writer.pid"
}

rs_stop() {
	writer_stop "$1"
	[ -s "$1/pid" ] || return 0
	stop_daemon "$(cat "$1/pid")"
	_rc=$?
	rm -f "$1/pid"
	return $_rc
}

rs_child() {
	[ -s "$1/pid" ] && pgrep -P "$(cat "$1/pid")" -f "$MAILBAN run" | head -1
}

# send DIR FILE: every line of FILE one mail.info message of postfix/smtpd,
# from DIR's trusted writer
send() {
	cat "$2" > "$1/writer.fifo"
}

rbldnsd_start() {
	command -v rbldnsd >/dev/null 2>&1 || skip "rbldnsd not installed"
	ip netns exec "$CEN" rbldnsd -n -q -r "$tmp/zones" -b $CEN4/53 -c 1 \
	    $ZONE:ip4set:mailban4.zone $ZONE:ip6trie:mailban6.zone \
	    2> "$tmp/rbldnsd.err" &
	rbldnsd_pid=$!
}

rbldnsd_stop() {
	[ -n "$rbldnsd_pid" ] || return 0
	kill "$rbldnsd_pid" 2>/dev/null
	wait "$rbldnsd_pid" 2>/dev/null
	rbldnsd_pid=
}

# dnsbl NS ADDR: what a DNSBL client in NS gets for ADDR (empty: not listed)
dnsbl() {
	name=$(python3 -c 'import ipaddress, sys
a = ipaddress.ip_address(sys.argv[1])
print(a.reverse_pointer.rsplit(".", 2)[0])' "$2")
	ip netns exec "$1" dig +short +time=1 +tries=3 @$CEN4 "$name.$ZONE" A
}
