# Shared by test/syslog-ng/*.sh: a private syslog-ng, run from Debian's
# packages extracted into the build tree (syslog-ng-core conflicts with the
# rsyslog package, so it is never installed), with the shipped
# etc/syslog-ng/mailban.conf (paths replaced) included, inside the server
# network namespace of test/kernel/netns.sh.  Configuration, pid file,
# control socket, persist file, input socket and logs all live under $tmp;
# nothing of the machine's own logging is read, written or signalled.
#
# Needs: $tmp, $SRV, $MAILBAN, $SRCDIR, skip (lib.sh).
#   sng_prepare     write $tmp/syslog-ng.conf and $tmp/mailban.conf
#   sng_start       start syslog-ng in the server namespace, wait for its socket
#   sng_stop        SIGTERM, wait (bounded), then SIGKILL
#   mailban_pid     pid of the current mailban child
#   mailban_pids    pids of every mailban child, on one line

. "$SRCDIR/test/daemons.sh"
. "$SRCDIR/test/debroot.sh"

command -v logger >/dev/null 2>&1 || skip "logger (bsdutils) not installed"

SNG_PKGS="syslog-ng-core"
SNG_ROOT=${SNG_ROOT:-$(dirname "$MAILBAN")/test/syslog-ng-root}
SNG=$SNG_ROOT/usr/sbin/syslog-ng
SNG_SOCK=$tmp/log.sock
SNG_PID=$tmp/syslog-ng.pid
SNG_CONF=$tmp/syslog-ng.conf
MB_CONF=$tmp/mailban.conf
MB_ERR=$tmp/mailban.log
SNG_LOG=$tmp/all.log
sng_pid=

# syslog-ng-core and whatever it needs that the machine lacks, extracted
# once into $SNG_ROOT (a cache in the build tree); the program and the
# modules the tests load must find every library before it starts.
mkdir -p "$(dirname "$SNG_ROOT")"
debroot_ready "$SNG_ROOT" +usr/lib/syslog-ng usr/sbin/syslog-ng \
    usr/lib/syslog-ng/*/libafprog.so usr/lib/syslog-ng/*/libafsocket.so \
    usr/lib/syslog-ng/*/libaffile.so -- $SNG_PKGS
SNG_LIBS=$DEBROOT_LIBPATH
SNG_MODULES=$(ls -d "$SNG_ROOT"/usr/lib/syslog-ng/[0-9]* 2>/dev/null | tail -1)
[ -n "$SNG_MODULES" ] || { echo "no module directory in $SNG_ROOT"; exit 1; }

sng() {
	LD_LIBRARY_PATH=$SNG_LIBS "$SNG" --module-path="$SNG_MODULES" \
	    -f "$SNG_CONF" -p "$SNG_PID" -c "$tmp/syslog-ng.ctl" \
	    -R "$tmp/syslog-ng.persist" "$@"
}

# syslog-ng reads a writer's executable from /proc only with
# CAP_SYS_PTRACE, which the shipped snippet tells the administrator to add
SNG_CAPS="cap_net_bind_service,cap_net_broadcast,cap_net_raw,cap_dac_read_search,cap_dac_override,cap_chown,cap_fowner=p cap_syslog,cap_sys_ptrace=ep"

sng_prepare() {
	# syslog-ng keeps no CAP_DAC_OVERRIDE: $tmp is root's, the state
	# directory the run user's (mailban run continues as it)
	chown root: "$tmp"
	chmod 711 "$tmp"
	mkdir -p "$tmp/state"
	run_user_owns "$tmp/state"
	sed "s|^state .*|state = \"$tmp/state/state.db\";|" "$SRCDIR/etc/mailban.conf" > "$MB_CONF"
	writer_prepare "$tmp/mta"
	trust_writer "$MB_CONF" "$tmp/mta"
	sed -e "s|/usr/sbin/mailban|$MAILBAN|g" \
	    -e "s|/etc/mailban/mailban.conf|$MB_CONF|g" \
	    -e "s|/var/log/mailban.log|$MB_ERR|g" \
	    "$SRCDIR/etc/syslog-ng/mailban.conf" > "$tmp/mailban-syslog-ng.conf"
	ver=$(LD_LIBRARY_PATH=$SNG_LIBS "$SNG" --version | sed -n 's/^Config version: //p')
	cat > "$SNG_CONF" <<EOF
@version: ${ver:-3.38}
options { chain_hostnames(off); flush_lines(0); use_dns(no); use_fqdn(no);
	dns_cache(no); stats_freq(0); };
source s_src { unix-dgram("$SNG_SOCK"); internal(); };
destination d_all { file("$SNG_LOG"); };
log { source(s_src); destination(d_all); };
@include "$tmp/mailban-syslog-ng.conf"
EOF
	if grep -v '^[[:space:]]*#' "$SNG_CONF" "$tmp/mailban-syslog-ng.conf" |
	    grep -Eq '"[^"]*/(etc|var|usr/sbin)/'; then
		echo "sng_prepare: a system path survived:"
		grep -n -E '/(etc|var|usr/sbin)/' "$tmp/mailban-syslog-ng.conf"
		exit 1
	fi
	sng --syntax-only > "$tmp/sng-check" 2>&1 || {
		cat "$tmp/sng-check"
		echo "syslog-ng --syntax-only rejects the generated configuration"
		exit 1
	}
}

sng_start() {
	rm -f "$SNG_PID" "$SNG_SOCK"
	ip netns exec "$SRV" env LD_LIBRARY_PATH="$SNG_LIBS" "$SNG" \
	    --caps "$SNG_CAPS" \
	    --module-path="$SNG_MODULES" -F -f "$SNG_CONF" -p "$SNG_PID" \
	    -c "$tmp/syslog-ng.ctl" -R "$tmp/syslog-ng.persist" \
	    >> "$tmp/syslog-ng.out" 2>&1 &
	sng_pid=$!
	wait_daemon syslog-ng "$sng_pid" "$SNG_SOCK" "$SNG_PID" \
	    "$tmp/syslog-ng.out" "$SNG_LOG"
}

# sng_stop: 0 when syslog-ng exited within 30 s of SIGTERM
sng_stop() {
	[ -n "$sng_pid" ] || return 0
	stop_daemon "$sng_pid"
	_rc=$?
	sng_pid=
	return $_rc
}

# the mailban started for our syslog-ng (exec'd by its /bin/sh child)
mailban_pid() {
	pgrep -f "^$MAILBAN run -c $MB_CONF" | head -1
}
# all of them, on one line
mailban_pids() {
	pgrep -f "^$MAILBAN run -c $MB_CONF" | tr '\n' ' ' | sed 's/ $//'
}

# send_lines FILE: each line a mail.info message from postfix/smtpd, sent
# by the trusted writer (daemons.sh), which lives until syslog-ng has
# logged the last one: syslog-ng reads a writer's executable from /proc
# when its line arrives, and a writer that has exited has none (the MTAs'
# daemons outlive their lines; logger would not)
send_lines() {
	_last=$(tail -1 "$1")
	{ cat "$1"; wait_for 120 grep -qF -- "$_last" "$SNG_LOG"; } |
	    "$WRITER" -u "$SNG_SOCK" -p mail.info -t postfix/smtpd
}
# say PRI ADDR: one RBL reject of ADDR from the trusted writer
say() {
	{ rbl_msg "$2"; wait_for 10 grep -qF -- "[$2]" "$SNG_LOG"; } |
	    "$WRITER" -u "$SNG_SOCK" -p "$1" -t postfix/smtpd
}
