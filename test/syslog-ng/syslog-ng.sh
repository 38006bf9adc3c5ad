#!/bin/bash
# syslog-ng end to end: logger -> a private syslog-ng (Debian's package,
# extracted into the build tree) including the shipped
# etc/syslog-ng/mailban.conf (paths replaced) -> program() -> mailban run ->
# the kernel sets of a server network namespace -> the client's port-25
# connect refused.  Then: only the mail facility reaches mailban; a
# syslog-ng reload keeps the same mailban (keep-alive); SIGHUP to mailban
# with a broken configuration keeps the old one and names FILE:LINE;
# mailban killed with SIGKILL is restarted and re-applies its state; a
# burst of 100,000 lines is processed whole; SIGTERM to syslog-ng makes
# mailban commit and exit.  Nothing of the machine's own logging is touched.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
. "$SRCDIR/test/syslog-ng/daemon.sh"
trap 'sng_stop; cleanup' EXIT

no_mailban_running() { ! pgrep -f "^$MAILBAN run -c $MB_CONF" >/dev/null; }

sng_prepare
check "generated configuration runs the shipped program()" \
    grep -q "program(\"exec $MAILBAN run -c $MB_CONF --require-credentials 2>>$MB_ERR\"" "$tmp/mailban-syslog-ng.conf"
srv "$MAILBAN" setup -c "$MB_CONF" >/dev/null || { echo "mailban setup failed"; exit 1; }
check "client reaches port 25 before any ban" can_connect $S4 25
sng_start
ok "syslog-ng started in the server namespace (pid $sng_pid)"

# --- one reject through logger: the client is refused ---
say mail.info $C4
check "logger -> syslog-ng -> mailban: $C4 banned within 10 s" \
    wait_for 10 in_set mailban4 "$C4,tcp:25"
check "the client's port-25 connect is refused" cannot_connect $S4 25
check "the client still reaches port 2525 (port policy)" can_connect $S4 2525
check "the ban is in the state file" sh -c \
    "'$MAILBAN' list -c '$MB_CONF' | grep -q '^$C4 .*postfix-rbl'"
check "mailban's messages reach the shipped log file" grep -q "ban $C4 for 1h" "$MB_ERR"
pid1=$(mailban_pid)
check "one mailban running ($pid1)" [ -n "$pid1" ]

# --- only the mail facility reaches mailban ---
say user.info 203.0.113.40
say mail.info 203.0.113.41
wait_for 10 in_set mailban4 "203.0.113.41,tcp:25"
check "a mail message sent after it is banned" in_set mailban4 "203.0.113.41,tcp:25"
check "a user-facility message is not (filter)" not_in_set mailban4 "203.0.113.40,tcp:25"
check "the user-facility message did reach syslog-ng" grep -q '203.0.113.40' "$SNG_LOG"

# --- who wrote it: only the MTA's own lines are acted on ---
# The tag is the writer's word.  logger as root names postfix/smtpd; user
# nobody runs Postfix's own executable (here the test's stand-in); nobody
# with logger sends the postscreen line of the report that found this.
# Each forger lives until syslog-ng has logged its line.
chmod 711 "$tmp"
chmod 666 "$SNG_SOCK"
untrusted() { # PROGRAM: mailban status's count of its untrusted lines
	"$MAILBAN" status -c "$MB_CONF" 2>/dev/null |
	    awk -v p="$1" '$1 == "untrusted" && $2 == p { print $3 }'
}
forged_counted() {
	[ "$(untrusted postfix/smtpd)" = 2 ] && [ "$(untrusted postfix/postscreen)" = 1 ]
}
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
held() { # TEXT: TEXT, then wait until syslog-ng has logged it
	printf '%s\n' "$1"
	wait_for 10 grep -qF -- "$1" "$SNG_LOG"
}
held "$(rbl_msg 203.0.113.50)" |
    logger -u "$SNG_SOCK" -p mail.info -t 'postfix/smtpd[4242]'
held "$(rbl_msg 203.0.113.51)" |
    nobody "$WRITER" -u "$SNG_SOCK" -p mail.info -t 'postfix/smtpd[4242]'
held 'DNSBL rank 5 for [2001:db8::51]:4711' |
    nobody logger -u "$SNG_SOCK" -p mail.info -t 'postfix/postscreen[4243]'
check "the forged lines are counted as untrusted, per program" \
    wait_for 20 forged_counted
forged_banned_nothing
say mail.info 203.0.113.52
check "the MTA's own line after them bans" \
    wait_for 10 in_set mailban4 "203.0.113.52,tcp:25"

# --- syslog-ng reload: keep-alive(yes) keeps the same mailban ---
kill -HUP "$sng_pid"
check "syslog-ng reports its reload done" \
    wait_for 10 grep -q 'Configuration reload finished' "$SNG_LOG"
check "syslog-ng still runs after its reload" kill -0 "$sng_pid"
say mail.info 203.0.113.42
check "bans still land after the reload" wait_for 10 in_set mailban4 "203.0.113.42,tcp:25"
# (a mailban started again would have banned it: it would be running now)
check "mailban survived the reload ($(mailban_pids))" [ "$(mailban_pids)" = "$pid1" ]

# --- SIGHUP to mailban with a broken configuration keeps the old one ---
nl=$(($(wc -l < "$MB_CONF") + 1))
echo 'threshold = ;' >> "$MB_CONF"
kill -HUP "$pid1"
check "broken reload: the error names $MB_CONF:$nl" \
    wait_for 10 grep -q "reload: $MB_CONF:$nl: .*keeping the running configuration" "$MB_ERR"
say mail.info 203.0.113.43
check "broken reload: the old configuration still bans" \
    wait_for 10 in_set mailban4 "203.0.113.43,tcp:25"
check "broken reload: same mailban" [ "$(mailban_pid)" = "$pid1" ]
sed -i '$d' "$MB_CONF"

# --- SIGKILL: syslog-ng restarts mailban, which re-applies its state ---
kill -KILL "$pid1"
srv ipset flush mailban4
say mail.info 203.0.113.44
check "a new mailban is started" wait_for 20 sh -c \
    "p=\$(pgrep -f '^$MAILBAN run -c $MB_CONF' | head -1); [ -n \"\$p\" ] && [ \"\$p\" != $pid1 ]"
check "the new mailban re-applied the earlier bans from the state file" \
    wait_for 10 in_set mailban4 "$C4,tcp:25"
check "and it reported the restore" grep -q 'restoring [0-9]* active bans' "$MB_ERR"
say mail.info 203.0.113.45
check "bans land through the new mailban" wait_for 10 in_set mailban4 "203.0.113.45,tcp:25"
check "the client is refused again" cannot_connect $S4 25

# --- a burst of 100,000 lines: every line processed, every ban present ---
check "syslog-ng stops within 30 s of SIGTERM" sng_stop
check "SIGTERM reached mailban: it committed and exited" grep -q '^mailban: exiting: ' "$MB_ERR"
check "the template's lines all parsed (0 malformed)" \
    grep -q '^mailban: exiting: .* 0 malformed' "$MB_ERR"
check "no mailban left running (within 10 s)" wait_for 10 no_mailban_running
burst_file "$tmp/burst" "$tmp/burst.addrs"
: > "$MB_ERR"
sng_start
t0=$(date +%s.%N)
send_lines "$tmp/burst"
check "every one of 10,000 burst bans is in the kernel within 120 s" \
    wait_for 120 all_in_set "$tmp/burst.addrs"
t1=$(date +%s.%N)
[ -s "$tmp/missing" ] && echo "missing: $(wc -l < "$tmp/missing")"
echo "# burst: 100,000 lines, 10,000 bans in $(echo "$t1 - $t0" | bc) s"
check "syslog-ng stops within 30 s of SIGTERM" sng_stop
# mailban writes its last report after syslog-ng has gone: wait for it
check "no mailban left running (within 10 s)" wait_for 10 no_mailban_running
n=$(last_exit_lines "$MB_ERR")
check "mailban read exactly 100,000 lines (${n:-none})" [ "${n:-0}" -eq 100000 ]

if [ "$fail" -gt 0 ]; then
	echo "--- mailban's output (tail)"; tail -20 "$MB_ERR"
	echo "--- syslog-ng's messages (tail)"; grep -v 'postfix/smtpd' "$SNG_LOG" | tail -20
	tail -5 "$tmp/syslog-ng.out"
fi
done_testing
