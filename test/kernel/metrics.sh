#!/bin/sh
# Metrics of a running mailban run, real sets in a network namespace: the
# textfile of metrics.file (node_exporter's textfile collector) written
# atomically after the state changed, read by Prometheus's own parser
# (test/promcheck.py), the same figures as status --prometheus; the
# counters kept in the state grow across a restart; a ban by hand counts
# among the bans of "manual".
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
mb=$MAILBAN
py=$(readlink -f /usr/bin/python3)
"$py" -c 'import prometheus_client.parser' 2>/dev/null ||
	skip "python3-prometheus-client is not installed"
conf=$tmp/mailban.conf
mkdir "$tmp/textfile"
run_user_owns "$tmp/textfile"
prom=$tmp/textfile/mailban.prom
sed -e "s|^state .*|state = \"$tmp/state.db\";|" \
    -e "s|^metrics .*|metrics = { file = \"$prom\"; every = \"1s\"; };|" \
    "$SRCDIR/etc/mailban.conf" > "$conf"
grep -q "^metrics = { file = \"$prom\"" "$conf" || exit 1
srv "$mb" setup -c "$conf" > /dev/null || exit 1
m() { srv "$mb" "$@" -c "$conf"; }
banned() { in_set mailban4 "$1,tcp:25"; }
samples() { "$py" "$SRCDIR/test/promcheck.py" "$1" 2>/dev/null; }
# shows SAMPLE: the textfile has the sample line (promcheck's form)
shows() { samples "$prom" | grep -qxF "$1"; }

start_run() {
	mkfifo "$tmp/in"
	ip netns exec "$SRV" "$mb" run -c "$conf" < "$tmp/in" 2>> "$tmp/err" &
	run_pid=$!
	exec 7> "$tmp/in"
}
stop_run() {
	exec 7>&-
	wait $run_pid
	_rc=$?
	rm -f "$tmp/in"
	return $_rc
}

start_run
check "the textfile is written at start" wait_for 10 shows "mailban_lines_read_total{} 0"
rbl_line 192.0.2.10 >&7
rbl_line 192.0.2.11 >&7
printf 'not a syslog line\n' >&7
check "two bans" wait_for 10 banned 192.0.2.11
check "the textfile has them within seconds" \
    wait_for 15 shows "mailban_pattern_bans_total{pattern=postfix-rbl} 2"
check "the lines read, the malformed one" wait_for 10 sh -c "'$py' '$SRCDIR/test/promcheck.py' '$prom' | grep -qxF 'mailban_lines_read_total{} 3' && '$py' '$SRCDIR/test/promcheck.py' '$prom' | grep -qxF 'mailban_lines_malformed_total{} 1'"
samples "$prom" > "$tmp/samples"
check "Prometheus's parser reads the textfile" [ $? -eq 0 ]
check "active bans per family" grep -qxF "mailban_bans_active{family=ipv4} 2" "$tmp/samples"
check "matches per pattern" grep -qxF "mailban_pattern_matches_total{pattern=postfix-rbl} 2" "$tmp/samples"
check "a last commit time of now" "$py" -c "
import sys, time
for l in open(sys.argv[1]):
    if l.startswith('mailban_last_commit_timestamp_seconds{} '):
        t = int(l.split()[1]); sys.exit(0 if abs(time.time() - t) < 60 else 1)
sys.exit(1)" "$tmp/samples"
check "the textfile is readable by node_exporter (0644)" [ "$(stat -c %a "$prom")" = 644 ]
check "no temporary file beside it" [ "$(ls -A "$tmp/textfile")" = mailban.prom ]
m status --prometheus > "$tmp/status"
check "status --prometheus: exit 0" [ $? -eq 0 ]
samples "$tmp/status" > "$tmp/status.samples"
check "status --prometheus shows the same figures" cmp -s "$tmp/samples" "$tmp/status.samples"

stop_run
check "run exits 0" [ $? -eq 0 ]
# a ban by hand between the runs, and a second run: the counters go on
m ban 192.0.2.20 > /dev/null
m status --prometheus > "$tmp/status"
samples "$tmp/status" > "$tmp/status.samples"
check "a ban by hand counts among the bans of manual" grep -qxF "mailban_pattern_bans_total{pattern=manual} 1" "$tmp/status.samples"
start_run
rbl_line 192.0.2.12 >&7
check "a third ban, after the restart" wait_for 10 banned 192.0.2.12
# 192.0.2.12 is the third address of 192.0.2.0/24 the run banned within
# the forget period (with .10, .11, .20): the /24 is widened, one ban more
check "the /24 widened" wait_for 10 in_set mailban4 "192.0.2.0/24,tcp:25"
check "the counters of the first run and this one (and the widened /24)" \
    wait_for 15 shows "mailban_pattern_bans_total{pattern=postfix-rbl} 4"
check "lines read: 3 before and 1 now" wait_for 10 shows "mailban_lines_read_total{} 4"
check "the ban by hand is kept" shows "mailban_pattern_bans_total{pattern=manual} 1"
check "active bans: 5, the /24 one of them" shows "mailban_bans_active{family=ipv4} 5"
stop_run
check "the second run exits 0" [ $? -eq 0 ]
check "nothing wrong was said" sh -c "! grep -q 'metrics' '$tmp/err'"
done_testing
