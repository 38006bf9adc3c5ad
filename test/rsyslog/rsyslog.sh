#!/bin/bash
# rsyslog end to end: logger -> a private rsyslogd running the shipped
# rsyslog.d/60-mailban.conf (paths replaced) -> mailban run --omprog ->
# the kernel sets of a server network namespace -> the client's port-25
# connect refused.  Then: only the mail facility reaches mailban; a broken
# configuration reloaded on SIGHUP keeps the old one (FILE:LINE reported),
# a good one takes effect; mailban killed with SIGKILL in the middle of a
# stream is restarted by rsyslog and no ban is lost; SIGTERM to rsyslogd
# makes mailban commit and exit cleanly; a burst of 100,000 lines is
# processed whole.  Nothing of the machine's own logging is touched.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
. "$SRCDIR/test/rsyslog/daemon.sh"
trap 'rsyslog_stop; cleanup' EXIT

no_mailban_running() {
	! pgrep -f "$MAILBAN run --omprog -c $MB_CONF" >/dev/null
}

rsyslog_prepare
check "generated configuration uses the shipped action" \
    grep -qF "b=$MAILBAN;c=$MB_CONF;" "$RS_CONF"
check "which runs mailban run --omprog -c FILE" \
    grep -qF 'exec\t$b\trun\t--omprog\t-c\t$c\t--require-credentials;' "$RS_CONF"
srv "$MAILBAN" setup -c "$MB_CONF" >/dev/null || { echo "mailban setup failed"; exit 1; }
check "client reaches port 25 before any ban" can_connect $S4 25
rsyslog_start
ok "rsyslogd started in the server namespace (pid $rsyslog_pid)"

# --- one reject through logger: the client is refused ---
mta_log "$(rbl_msg $C4)"
check "logger -> rsyslogd -> mailban: $C4 banned within 10 s" \
    wait_for 10 in_set mailban4 "$C4,tcp:25"
check "the client's port-25 connect is refused" cannot_connect $S4 25
check "the client still reaches port 2525 (port policy)" can_connect $S4 2525
check "the ban is in the state file" sh -c \
    "'$MAILBAN' list -c '$MB_CONF' | grep -q '^$C4 .*postfix-rbl'"
check "mailban reports the ban in omprog's output file" \
    grep -q "ban $C4 for 1h" "$MB_ERR"
pid1=$(mailban_pid)
check "one mailban child of rsyslogd ($pid1)" [ -n "$pid1" ]

# --- only the mail facility reaches mailban ---
# (the user-facility writer lives until the mail line after it is banned)
{ rbl_msg 203.0.113.40; wait_for 10 in_set mailban4 "203.0.113.41,tcp:25"; } |
    "$WRITER" -u "$RS_SOCK" -p user.info -t postfix/smtpd &
held=$!
wait_for 10 grep -q '203.0.113.40' "$RS_LOG"
mta_log "$(rbl_msg 203.0.113.41)"
wait_for 10 in_set mailban4 "203.0.113.41,tcp:25"
check "a mail message sent after it is banned" in_set mailban4 "203.0.113.41,tcp:25"
check "a user-facility message is not (filter)" not_in_set mailban4 "203.0.113.40,tcp:25"
check "the user-facility message did reach rsyslogd" grep -q '203.0.113.40' "$RS_LOG"
wait "$held"

# --- who wrote it: only the MTA's own lines are acted on ---
# The tag is the writer's word.  logger as root names postfix/smtpd; user
# nobody runs Postfix's own executable (here the test's stand-in); nobody
# with logger sends the postscreen line of the report that found this.
# Each forger lives until mailban has counted all three as untrusted (so
# that rsyslog could read its executable), then a real line still bans.
chmod 711 "$tmp"
chmod 666 "$RS_SOCK"
untrusted() { # PROGRAM: mailban status's count of its untrusted lines
	"$MAILBAN" status -c "$MB_CONF" 2>/dev/null |
	    awk -v p="$1" '$1 == "untrusted" && $2 == p { print $3 }'
}
forged_counted() {
	[ "$(untrusted postfix/smtpd)" = 2 ] && [ "$(untrusted postfix/postscreen)" = 1 ]
}
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
{ rbl_msg 203.0.113.50; wait_for 20 forged_counted; } |
    logger -u "$RS_SOCK" -p mail.info -t 'postfix/smtpd[4242]' &
held=$!
{ rbl_msg 203.0.113.51; wait_for 20 forged_counted; } |
    nobody "$WRITER" -u "$RS_SOCK" -p mail.info -t 'postfix/smtpd[4242]' &
held="$held $!"
{ echo 'CONNECT from [2001:db8::51]:4711 to [2001:db8::1]:25'
  echo 'DNSBL rank 5 for [2001:db8::51]:4711'; wait_for 20 forged_counted; } |
    nobody logger -u "$RS_SOCK" -p mail.info -t 'postfix/postscreen[4243]' &
held="$held $!"
check "the forged lines are counted as untrusted, per program" \
    wait_for 20 forged_counted
wait $held
forged_banned_nothing
mta_log "$(rbl_msg 203.0.113.52)"
check "the MTA's own line after them bans" \
    wait_for 10 in_set mailban4 "203.0.113.52,tcp:25"

# --- reload: a broken configuration keeps the running one ---
cp "$MB_CONF" "$tmp/good.conf"
nl=$(($(wc -l < "$MB_CONF") + 1))
echo 'threshold = ;' >> "$MB_CONF"
kill -HUP "$rsyslog_pid"
check "broken reload: the error names $MB_CONF:$nl" \
    wait_for 10 grep -q "reload: $MB_CONF:$nl: .*keeping the running configuration" "$MB_ERR"
check "broken reload: mailban was not restarted" [ "$(mailban_pid)" = "$pid1" ]
mta_log "$(rbl_msg 203.0.113.42)"
check "broken reload: the old configuration still bans" \
    wait_for 10 in_set mailban4 "203.0.113.42,tcp:25"

# --- reload: a good configuration takes effect (203.0.113.43 ignored) ---
sed 's|^ignore .*|ignore = [ "127.0.0.0/8", "::1/128", "203.0.113.43/32" ];|' \
    "$tmp/good.conf" > "$MB_CONF"
n0=$(grep -c 'reloaded' "$MB_ERR")
kill -HUP "$rsyslog_pid"
check "good reload is reported" \
    wait_for 10 sh -c "[ \$(grep -c 'reloaded $MB_CONF' '$MB_ERR') -gt $n0 ]"
mta_log "$(rbl_msg 203.0.113.43)"
mta_log "$(rbl_msg 203.0.113.44)"
wait_for 10 in_set mailban4 "203.0.113.44,tcp:25"
check "good reload: a message after it still bans" in_set mailban4 "203.0.113.44,tcp:25"
check "good reload: the newly ignored address is not banned" \
    not_in_set mailban4 "203.0.113.43,tcp:25"
check "mailban kept running across both reloads" [ "$(mailban_pid)" = "$pid1" ]

# --- SIGKILL in the middle of a stream: rsyslog restarts it, nothing lost ---
# 12,000 RBL rejects among 60,000 lines queued in rsyslog while mailban is
# stopped (a stall), then handed to it in back-to-back transactions of
# up to 1,024 messages: the kill lands in the middle of one.  rsyslog then
# sends again only the message in flight; the journal keeps the ones
# mailban had answered DEFER_COMMIT.
mixed_file 1 12000 5 "$tmp/stream" "$tmp/stream.addrs"
kill -STOP "$pid1"
send_lines "$tmp/stream"
kill -CONT "$pid1"
# SIGKILL once mailban has decided 500 of the 12,000 bans: the output
# is polled every millisecond, so that however fast this machine is, the
# kill comes in the middle of the stream
kill_mid_stream() { # PID OUTPUT BANS
	python3 - "$@" <<'PY'
import os, signal, sys, time
pid, output, want = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
seen, part, deadline = 0, b"", time.monotonic() + 60
with open(output, "rb") as out:
    while time.monotonic() < deadline:
        part += out.read()
        done = part.rfind(b"\n") + 1  # whole lines only
        seen += part[:done].count(b"mailban: ban 10.1.")
        part = part[done:]
        if seen >= want:
            os.kill(pid, signal.SIGKILL)
            sys.exit(0)
        time.sleep(0.001)
print("no kill: %d bans seen" % seen)
sys.exit(1)
PY
}
# (on a machine so loaded that the stall outlasted confirmTimeout, rsyslog
# has replaced the stopped child: the kill goes to the one running)
[ "$(mailban_pid)" = "$pid1" ] || echo "# rsyslog replaced mailban $pid1 during the stall"
wait_for 30 sh -c "[ -n \"\$(pgrep -P $rsyslog_pid -f '$MAILBAN run')\" ]"
pid1=$(mailban_pid)
check "mailban killed after 500 of the stream's bans" \
    kill_mid_stream "$pid1" "$MB_ERR" 500
before=$(count_in_set '^10\.1\.')
ok "SIGKILL to mailban $pid1 with $before of 36000 stream entries in the kernel"
check "mailban had not seen the whole stream" [ "$before" -lt 36000 ]
check "every one of 12,000 stream bans is in the kernel within 120 s" \
    wait_for 120 all_in_set "$tmp/stream.addrs"
[ -s "$tmp/missing" ] && echo "missing: $(wc -l < "$tmp/missing"), e.g. $(head -3 "$tmp/missing" | tr '\n' ' ')"
echo "# $(grep -o 'read [0-9]* lines again from .*pending' "$MB_ERR" || echo 'no line read again'): the kill came ${before:+after $before entries}"
pid2=$(mailban_pid)
check "rsyslog started a new mailban ($pid2)" \
    sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' sh "$pid2" "$pid1"
n=$("$MAILBAN" list -c "$MB_CONF" --json | grep -c '"ip":"10\.1\.')
check "every stream ban is in the state file ($n)" [ "$n" -eq 12000 ]
n=$("$MAILBAN" list -c "$MB_CONF" --json | grep '"ip":"10\.1\.' | grep -vc '"count":1,')
check "a re-sent line never banned an address twice ($n)" [ "$n" -eq 0 ]
check "rsyslog reported the restart" \
    grep -q "omprog: program '/bin/sh' (pid $pid1) terminated; will be restarted" "$RS_LOG"

# --- SIGTERM: mailban commits and exits, rsyslogd stops in time ---
mta_log "$(rbl_msg 203.0.113.45)"
wait_for 10 in_set mailban4 "203.0.113.45,tcp:25"
check "rsyslogd stops within 30 s of SIGTERM" rsyslog_stop
check "mailban reported a clean exit" grep -q '^mailban: exiting: ' "$MB_ERR"
check "no mailban left running (within 10 s)" wait_for 10 no_mailban_running
check "no unconfirmed ban reported" sh -c "! grep -q 'could not be committed' '$MB_ERR'"
check "nothing left in the journal" [ "$(journal_lines "$tmp/state.db.pending")" = 0 ]

# --- a burst of 100,000 lines: every line processed, every ban present ---
# 10,000 RBL rejects for distinct addresses among 90,000 ordinary lines.
burst_file "$tmp/burst" "$tmp/burst.addrs"
: > "$MB_ERR"
rsyslog_start
t0=$(date +%s.%N)
send_lines "$tmp/burst"
check "every one of 10,000 burst bans is in the kernel within 120 s" \
    wait_for 120 all_in_set "$tmp/burst.addrs"
t1=$(date +%s.%N)
echo "# burst: 100,000 lines, 10,000 bans in $(echo "$t1 - $t0" | bc) s"
check "rsyslogd stops within 30 s of SIGTERM" rsyslog_stop
n=$(last_exit_lines "$MB_ERR")
check "mailban read exactly 100,000 lines (${n:-none})" [ "${n:-0}" -eq 100000 ]
check "the client is still refused after everything" cannot_connect $S4 25

if [ "$fail" -gt 0 ]; then
	echo "--- mailban's output (tail)"; tail -20 "$MB_ERR"
	echo "--- rsyslog's messages (tail)"; grep -v 'postfix/smtpd' "$RS_LOG" | tail -20
fi
done_testing
