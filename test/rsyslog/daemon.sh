# Shared by test/rsyslog/*.sh and bench/omprog.sh: a private rsyslogd that
# runs the shipped rsyslog.d/60-mailban.conf with its paths replaced, inside
# the server network namespace of test/kernel/netns.sh (so that mailban's
# bans land in that namespace's sets).  Everything lives under $tmp: the
# configuration, the pid file, the input socket, the work directory (action
# queue files), rsyslog's own messages and mailban's stderr.  Nothing of
# the machine's own logging is read, written or signalled.
#
# Needs: $tmp, $SRV, $MAILBAN, $SRCDIR, srv() (netns.sh), skip (lib.sh).
#   rsyslog_prepare [SED-EXPRESSION]     write $tmp/rsyslog.conf, $tmp/mailban.conf
#   rsyslog_start [COMMAND...]           start rsyslogd (under COMMAND), wait for its socket
#   rsyslog_stop                         SIGTERM, wait (bounded), then SIGKILL
#   mailban_pid                          pid of the current mailban child
#   send_lines FILE                      every line of FILE as one mail.info message
#                                        from the trusted writer (daemons.sh)
#   mta_log MESSAGE                      one mail.info message from it

. "$SRCDIR/test/daemons.sh"

command -v rsyslogd >/dev/null 2>&1 || skip "rsyslog not installed"
command -v logger >/dev/null 2>&1 || skip "logger (bsdutils) not installed"
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/omprog.so ] ||
    ls /usr/lib/*/rsyslog/omprog.so >/dev/null 2>&1 || skip "rsyslog has no omprog"

RS_SOCK=$tmp/log.sock
RS_PID=$tmp/rsyslogd.pid
RS_CONF=$tmp/rsyslog.conf
MB_CONF=$tmp/mailban.conf
MB_ERR=$tmp/mailban.log
RS_LOG=$tmp/all.log
rsyslog_pid=

# The shipped snippet, its paths replaced by private ones.  An extra sed
# expression (e.g. 's/useTransactions="on"/useTransactions="off"/') is
# applied after the path substitutions.
rsyslog_prepare() {
	mkdir -p "$tmp/work"
	sed "s|^state .*|state = \"$tmp/state.db\";|" "$SRCDIR/etc/mailban.conf" > "$MB_CONF"
	per_address_conf "$MB_CONF"
	writer_prepare "$tmp/mta"
	trust_writer "$MB_CONF" "$tmp/mta"
	{
		rsyslog_head "$tmp/work" "$RS_SOCK" "$RS_LOG"
		sed -e "s|/usr/sbin/mailban|$MAILBAN|g" \
		    -e "s|/etc/mailban/mailban.conf|$MB_CONF|g" \
		    -e "s|/var/log/mailban.log|$MB_ERR|g" \
		    -e "s|/dev/log|$RS_SOCK|g" \
		    -e "${1:-}" "$SRCDIR/rsyslog.d/60-mailban.conf"
	} > "$RS_CONF"
	# the private configuration must not name any file of the machine's
	if grep -v '^[[:space:]]*#' "$RS_CONF" |
	    grep -Eq '"/(etc|var|usr/sbin)/|/usr/sbin/mailban|/dev/log'; then
		echo "rsyslog_prepare: a system path survived in $RS_CONF:"
		grep -n -E '"/(etc|var|usr/sbin)/|/usr/sbin/mailban|/dev/log' "$RS_CONF"
		exit 1
	fi
	rsyslogd -N1 -f "$RS_CONF" > "$tmp/rsyslog-check" 2>&1 || {
		cat "$tmp/rsyslog-check"
		echo "rsyslogd -N1 rejects the generated configuration"
		exit 1
	}
}

# rsyslog_start [COMMAND...]: COMMAND (e.g. setpriv ...) runs rsyslogd
rsyslog_start() {
	rm -f "$RS_PID" "$RS_SOCK"
	ip netns exec "$SRV" "$@" rsyslogd -n -f "$RS_CONF" -i "$RS_PID" \
	    >> "$tmp/rsyslogd.out" 2>&1 &
	rsyslog_pid=$!
	wait_daemon rsyslogd "$rsyslog_pid" "$RS_SOCK" "$RS_PID" \
	    "$tmp/rsyslogd.out" "$RS_LOG"
	writer_start
}

# rsyslog_stop: 0 when rsyslogd exited within 30 s of SIGTERM
rsyslog_stop() {
	[ -n "$rsyslog_pid" ] || return 0
	writer_stop
	stop_daemon "$rsyslog_pid"
	_rc=$?
	rsyslog_pid=
	return $_rc
}

# the mailban child of our rsyslogd (none until the first mail message)
mailban_pid() {
	[ -n "$rsyslog_pid" ] && pgrep -P "$rsyslog_pid" -f "$MAILBAN run" | head -1
}

# The trusted writer lives from rsyslog_start to rsyslog_stop, reading the
# lines to send from a FIFO: rsyslog reads a writer's executable from /proc
# when the message arrives, and a writer that has already exited has none
# (the MTAs' daemons outlive their lines; logger would not).
writer_pid=
writer_start() {
	rm -f "$tmp/writer.fifo"
	mkfifo "$tmp/writer.fifo"
	"$WRITER" -u "$RS_SOCK" -p mail.info -t postfix/smtpd < "$tmp/writer.fifo" &
	writer_pid=$!
	exec 7> "$tmp/writer.fifo"
}
writer_stop() {
	[ -n "$writer_pid" ] || return 0
	exec 7>&-
	wait "$writer_pid" 2>/dev/null
	writer_pid=
}

# send_lines FILE: each line a mail.info message from postfix/smtpd
send_lines() {
	cat "$1" >&7
}
# mta_log MESSAGE: one mail.info message from postfix/smtpd
mta_log() {
	printf '%s\n' "$1" >&7
}

# set_count SET: number of entries in SET inside the server namespace
set_count() {
	srv ipset list -t "$1" 2>/dev/null | sed -n 's/^Number of entries: //p'
}
