#!/bin/bash
# The systemd journal read through sd-journal: journal files written by
# systemd-journal-remote from export streams (test/journal/export.py: the
# lines of test/patterns with the fields journald adds for the MTAs' own
# processes), read with --journal-directory.  test --journal as a user;
# run --journal as root in a network namespace of its own (its sets only):
# bans, a forged entry, kill -9 in the middle of 100,000 entries and a
# restart, files rotated, vacuumed and corrupt while following.
set -u
. "$SRCDIR/test/lib.sh"
mb=$MAILBAN
JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || skip "systemd-journal-remote not installed (Debian package systemd-journal-remote)"
jexport() { python3 "$SRCDIR/test/journal/export.py" "$@"; }
tmp=$(mktemp -d) || exit 1
mb=$(per_address_mailban "$tmp")
NS=mbj-$$
run_pid=
cleanup() {
	[ -n "$run_pid" ] && kill -KILL "$run_pid" 2>/dev/null
	ip netns delete "$NS" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"; echo "tmp=$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
now_us=$(($(date +%s) * 1000000))

# write DIR/FILE from an export stream on stdin: written beside and
# renamed into DIR, so that a reader following DIR sees it whole, as
# journald's own files are once it has written their header
write() {
	mkdir -p "$tmp/stage"
	"$JR" -o "$tmp/stage/${1##*/}" - 2> "$tmp/jr.err" || { cat "$tmp/jr.err"; return 1; }
	mv "$tmp/stage/${1##*/}" "$1"
}
# within N LO HI: LO <= N <= HI
within() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
# summary FILE FIELD: a number of the summary line of test --json
summary() { sed -n 's/.*"event":"summary".*"'"$2"'":\([0-9]*\).*/\1/p' "$1"; }
# events FILE: "ip pattern" of the ban events, sorted
bans() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "ban": print(e["ip"], e["pattern"])' "$1" | sort
}
matches() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "match": print(e.get("ip", "-"), e["pattern"], e["program"])' "$1" | sort
}

# --- test --journal: the corpus of real MTA lines, as entries ---
mkdir "$tmp/corpus"
for m in postfix exim sendmail; do
	# and the same lines as a syslog file, for the replay of a file
	jexport lines "$SRCDIR/test/patterns/$m.txt" --start $((now_us - 3600000000)) \
	    --step 10000 --log "$tmp/$m.log" > "$tmp/$m.export"
	write "$tmp/corpus/$m.journal" < "$tmp/$m.export" || exit 1
done
"$mb" test --json --journal --journal-directory "$tmp/corpus" > "$tmp/j.json" 2> "$tmp/j.err"
check "test --journal exits 0" [ $? -eq 0 ]
n=$(summary "$tmp/j.json" lines)
want=$(cat "$tmp"/*.export | grep -c '^MESSAGE=')
check "every entry read ($n of $want)" [ "${n:-0}" -eq "$want" ]
for m in postfix exim sendmail; do
	c=$(matches "$tmp/j.json" | grep -c " $m")
	check "matches from $m entries ($c)" [ "$c" -gt 10 ]
done
for ip in 93.184.216.34 198.51.100.7 203.0.113.8; do
	check "$ip is matched from the journal" grep -q "\"ip\":\"$ip\"" "$tmp/j.json"
done
# the same lines as a file give the same matches: the journal's fields
# are what the syslog prefix would have said
cat "$tmp/postfix.log" "$tmp/exim.log" "$tmp/sendmail.log" > "$tmp/all.log"
"$mb" test --json "$tmp/all.log" > "$tmp/f.json"
matches "$tmp/j.json" | awk '{print $1, $2}' | sort -u > "$tmp/jm"
matches "$tmp/f.json" | awk '{print $1, $2}' | sort -u > "$tmp/fm"
check "the journal's matches are the file's ($(diff "$tmp/jm" "$tmp/fm" | wc -l) differences)" cmp -s "$tmp/jm" "$tmp/fm"
check "bans from the journal" [ "$(bans "$tmp/j.json" | wc -l)" -gt 5 ]

# --- a forged entry: the right SYSLOG_IDENTIFIER, another writer ---
mkdir "$tmp/forged"
line='< Nov 27 01:02:03 mx1 postfix/smtpd[77]: NOQUEUE: reject: RCPT from unknown[192.0.2.66]: 554 5.7.1 <x@example.com>: Relay access denied; from=<a@example.net> to=<x@example.com> proto=ESMTP helo=<x>'
for i in 1 2 3 4; do echo "$line"; done > "$tmp/forged.txt"
{
	# a user's logger: its own executable and uid
	jexport lines "$tmp/forged.txt" --field _UID=1000 --field _EXE=/usr/bin/logger \
	    --field _COMM=logger --field _SYSTEMD_UNIT=user@1000.service
	# root, but another program and unit
	jexport lines "$tmp/forged.txt" --field _EXE=/usr/bin/python3.11 \
	    --field _COMM=python3 --field _SYSTEMD_UNIT=cron.service
	# the MTA's executable and user, outside the MTA's unit
	jexport lines "$tmp/forged.txt" --field _SYSTEMD_UNIT=session-3.scope
	# no executable known (the writer had exited), and another user
	jexport lines "$tmp/forged.txt" --field _EXE= --field _UID=1000
} | write "$tmp/forged/f.journal" || exit 1
"$mb" test --json --journal --journal-directory "$tmp/forged" > "$tmp/forged.json"
check "forged entries are never matched" sh -c "! grep -q '\"event\":\"match\"' $tmp/forged.json"
n=$(summary "$tmp/forged.json" untrusted)
check "forged entries are counted as untrusted ($n of 16)" [ "${n:-0}" -eq 16 ]
# the same judged from journalctl's JSON, the fields as text
journalctl -D "$tmp/forged" -o json --no-pager | "$mb" test --json > "$tmp/forged-text.json"
n=$(summary "$tmp/forged-text.json" untrusted)
check "journalctl -o json | test: the same 16 untrusted ($n)" [ "${n:-0}" -eq 16 ]
# the same message from the MTA itself is acted on
jexport lines "$tmp/forged.txt" | write "$tmp/forged/g.journal" || exit 1
"$mb" test --json --journal --journal-directory "$tmp/forged" > "$tmp/forged.json"
check "the MTA's own entries ban 192.0.2.66" grep -q '"event":"ban".*"ip":"192.0.2.66"' "$tmp/forged.json"

# --- --since, --until ---
mkdir "$tmp/times"
base=$((now_us - 7200000000))
jexport lines "$SRCDIR/test/patterns/postfix.txt" --start $base --step 60000000 \
    > "$tmp/t.export"
write "$tmp/times/t.journal" < "$tmp/t.export" || exit 1
total=$(grep -c '^MESSAGE=' "$tmp/t.export")
s=$((base / 1000000 + 600)) u=$((base / 1000000 + 1800))
"$mb" test --json --journal --journal-directory "$tmp/times" --since $s --until $u > "$tmp/su.json"
n=$(summary "$tmp/su.json" lines)
# one entry a minute: the minutes 10 to 30 included
check "--since and --until keep the entries between them ($n)" [ "${n:-0}" -eq 21 ]
first=$(sed -n '1s/.*"time":"\([^"]*\)".*/\1/p' "$tmp/su.json")
check "the first event is at or after --since ($first)" \
    [ "$(date -d "$first" +%s)" -ge $s ]
"$mb" test --json --journal --journal-directory "$tmp/times" --since=$(date -u -d @$u +%Y-%m-%dT%H:%M:%SZ) > "$tmp/s.json"
n=$(summary "$tmp/s.json" lines)
check "--since as a stamp ($n of $((total - 30)))" [ "${n:-0}" -eq $((total - 30)) ]
"$mb" test --json --journal --journal-directory "$tmp/times" --since=-1h > "$tmp/h.json"
n=$(summary "$tmp/h.json" lines)
check "--since=-1h: the last hour ($n)" within "${n:-0}" $((total - 61)) $((total - 59))

# --- hostile fields: binary, NULs, newlines, over-long ---
mkdir "$tmp/hostile"
python3 - > "$tmp/hostile.export" <<'PY'
import struct, sys, time
out = sys.stdout.buffer
t = int(time.time() * 1e6) - 60 * 10**6
def field(k, v):
    if b"\n" in v or b"\0" in v or not v.isascii():
        out.write(k + b"\n" + struct.pack("<Q", len(v)) + v + b"\n")
    else:
        out.write(k + b"=" + v + b"\n")
def entry(i, ident, msg, host=b"mx1"):
    for k, v in ((b"__REALTIME_TIMESTAMP", b"%d" % (t + i)),
                 (b"__MONOTONIC_TIMESTAMP", b"%d" % (t + i - 10**15)),
                 (b"_BOOT_ID", b"0123456789abcdef0123456789abcdef"),
                 (b"_HOSTNAME", host), (b"_UID", b"0"), (b"_GID", b"0"),
                 (b"_PID", b"7"), (b"_EXE", b"/usr/lib/postfix/sbin/smtpd"),
                 (b"_COMM", b"smtpd"), (b"_SYSTEMD_UNIT", b"postfix@-.service"),
                 (b"SYSLOG_IDENTIFIER", ident), (b"MESSAGE", msg)):
        field(k, v)
    out.write(b"\n")
rej = b"NOQUEUE: reject: RCPT from unknown[192.0.2.%d]: 554 5.7.1 <x@example.com>: Relay access denied; from=<a@example.net> to=<x@example.com> proto=ESMTP helo=<x>"
entry(1, b"postfix/smtpd", rej % 31 + b"\n\0\xff\xfe trailing")
entry(2, b"postfix/smtpd\0evil", rej % 32)
entry(3, b"postfix/smtpd", b"A" * 20000 + rej % 33)
entry(4, b"postfix/smtpd", rej % 34, host=b"mx\"1\n\x01\xc3")
entry(5, b"", rej % 35)
PY
write "$tmp/hostile/h.journal" < "$tmp/hostile.export" || exit 1
"$mb" test --json --journal --journal-directory "$tmp/hostile" > "$tmp/hostile.json" 2> "$tmp/hostile.err"
check "hostile entries: test --journal exits 0" [ $? -eq 0 ]
check "hostile entries: every output line is one JSON object" python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1], "rb"):
    json.loads(l); n += 1
sys.exit(n < 2)' "$tmp/hostile.json"
check "hostile entries: all five read, one over-long" \
    grep -q '"event":"summary","lines":5,.*"overlong":1,' "$tmp/hostile.json"
check "a message with bytes after the address still names it" grep -q '"ip":"192.0.2.31"' "$tmp/hostile.json"
check "a hostile host name is escaped" grep -q '"host":"mx\\"1\\u000a\\u0001\\u00c3"' "$tmp/hostile.json"

# --- a corrupt file is reported and skipped ---
mkdir "$tmp/bad"
cp "$tmp/corpus/postfix.journal" "$tmp/bad/good.journal"
head -c 4096 /dev/urandom > "$tmp/bad/random.journal"
cp "$tmp/corpus/exim.journal" "$tmp/bad/header.journal"
printf 'XXXXXXXX' | dd of="$tmp/bad/header.journal" bs=1 seek=0 conv=notrunc 2>/dev/null
"$mb" test --json --journal --journal-directory "$tmp/bad" > "$tmp/bad.json" 2> "$tmp/bad.err"
check "test --journal exits 0 with corrupt files beside" [ $? -eq 0 ]
check "a random file is reported" grep -q "random.journal cannot be read" "$tmp/bad.err"
check "a file with a broken header is reported" grep -q "header.journal cannot be read" "$tmp/bad.err"
check "the good file is read" grep -q '"ip":"93.184.216.34"' "$tmp/bad.json"

# --- run --journal: needs root and a network namespace for its sets ---
[ "$(id -u)" = 0 ] || { echo "# run --journal: not root"; done_testing; skip "not root"; }
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
ip netns exec "$NS" ipset list -n > /dev/null 2>&1 || skip "no ip_set in a namespace"
in_set() { ip netns exec "$NS" ipset test mailban4 "$1,tcp:25" > /dev/null 2>&1; }
members() { ip netns exec "$NS" ipset list mailban4 | grep -c '^[0-9]'; }
# the journal as a system has it (/var/log/journal: root:systemd-journal,
# setgid; files 0640) and the state directory the run user's: run
# --journal becomes the run user (mailban) with that group alone and its
# seccomp filter, and must read files opened after that (new, rotated)
getent group systemd-journal > /dev/null || skip "no group systemd-journal"
chgrp -R systemd-journal "$tmp" || exit 1
find "$tmp" -type d -exec chmod g+rxs {} + || exit 1
mkdir "$tmp/state"
run_user_owns "$tmp/state"
st=$tmp/state/state.db
runj() { # DIR [options]: run --journal in the background, run_pid
	d=$1
	shift
	ip netns exec "$NS" "$mb" run --journal --journal-directory "$d" \
	    -o "state=\"$st\"" -o ports=[25] "$@" 2>> "$tmp/run.err" &
	run_pid=$!
}
stop_run() { stop_daemon "$run_pid"; _rc=$?; run_pid=; return $_rc; }
q() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$st" "$1" 2>/dev/null; }
last_cursor() { journalctl -D "$1" -o export -n 1 --no-pager | sed -n 's/^__CURSOR=//p'; }
at_end() { [ "$(q "SELECT cursor FROM journal_cursor")" = "$(last_cursor "$1")" ]; }

# kill -9 in the middle of 100,000 entries, then a restart: every ban
# once, and no entry counted twice (the addresses with two hits, 8 points
# of 10, would be banned by a third count; their scores hold two events)
mkdir "$tmp/big"
jexport stream --banned 5000 --below 5000 --noise 75000 \
    --start $((now_us - 120000000)) | write "$tmp/big/a.journal" || exit 1
runj "$tmp/big" --since=0 -o 'batch={size=16;}'
python3 - "$st" "$run_pid" <<'PY'
import os, signal, sqlite3, sys, time
path, pid = sys.argv[1], int(sys.argv[2])
end = time.monotonic() + 120
while time.monotonic() < end:
    try:
        n = sqlite3.connect(path, timeout=0.01).execute(
            "SELECT count(*) FROM ban_log").fetchone()[0]
    except sqlite3.Error:
        n = 0
    if n >= 200:
        os.kill(pid, signal.SIGKILL)
        break
    time.sleep(0.001)
PY
{ wait "$run_pid"; } 2>/dev/null
run_pid=
n=$(q "SELECT count(*) FROM ban_log")
check "killed in the middle of the stream ($n of 5000 bans committed)" within "${n:-0}" 1 4999
check "a cursor was saved with them" [ -n "$(q "SELECT cursor FROM journal_cursor")" ]
runj "$tmp/big"
check "after the restart, reading reaches the last entry" wait_for 120 at_end "$tmp/big"
stop_run
check "run --journal exits 0 on SIGTERM" [ $? -eq 0 ]
check "resumed after the saved cursor" grep -q "resuming right after the last entry committed" "$tmp/run.err"
n=$(q "SELECT count(*) FROM ban_log")
check "every ban decided once ($n of 5000 in the ban log)" [ "$n" -eq 5000 ]
n=$(q "SELECT count(DISTINCT addr) FROM ban_log WHERE addr LIKE '10.1.%'")
check "the 5000 addresses with three hits are banned ($n)" [ "$n" -eq 5000 ]
n=$(q "SELECT count(*) FROM bans WHERE count != 1")
check "none banned twice ($n)" [ "$n" -eq 0 ]
n=$(q "SELECT count(*) FROM bans WHERE addr LIKE '10.2.%'")
check "no address with two hits is banned: no entry counted twice ($n)" [ "$n" -eq 0 ]
python3 - "$st" > "$tmp/scores" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT addr, events FROM scores WHERE addr LIKE '10.2.%'").fetchall()
print(len(rows), sum(1 for a, e in rows if len(e.split()) == 2))
PY
read -r nrows ntwo < "$tmp/scores"
check "each address with two hits keeps exactly two scored events ($ntwo of $nrows, 5000)" \
    [ "$nrows.$ntwo" = 5000.5000 ]
n=$(members)
check "the 5000 bans are in the kernel set ($n)" [ "$n" -eq 5000 ]

# following: first start from now; files added, rotated, vacuumed, corrupt
rm -f "$st" "$st"-wal "$st"-shm
ip netns exec "$NS" ipset flush mailban4
mkdir "$tmp/live"
ban_line() { # IP: three relay-denied lines of IP, as a patterns file
	for i in 1 2 3; do
		echo "< Nov 27 01:02:0$i mx1 postfix/smtpd[4$i]: NOQUEUE: reject: RCPT from unknown[$1]: 554 5.7.1 <x@example.com>: Relay access denied; from=<a@example.net> to=<x@example.com> proto=ESMTP helo=<x>"
	done > "$tmp/ban.txt"
	jexport lines "$tmp/ban.txt" --start "$(date +%s%6N)"
}
ban_line 192.0.2.10 | write "$tmp/live/old.journal" || exit 1
runj "$tmp/live"
check "run --journal follows the directory" wait_for 20 grep -q "reading from now on" "$tmp/run.err"
check "following as the run user" [ "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$run_pid/status)" = "$(id -u mailban)" ]
check "with the group systemd-journal alone beside its own" [ "$(sed -n 's/^Groups:[[:space:]]*//p' /proc/$run_pid/status | tr -d ' \t')" = "$(getent group systemd-journal | cut -d: -f3)" ]
has_cursor() { [ "$(q "SELECT count(*) FROM journal_cursor")" = 1 ]; }
check "where reading starts is saved before any entry is read" wait_for 20 has_cursor
ban_line 192.0.2.11 | write "$tmp/live/new.journal" || exit 1
check "entries of a new file are acted on" wait_for 20 in_set 192.0.2.11
check "entries from before the first start are not (from now)" sh -c "! ip netns exec $NS ipset test mailban4 192.0.2.10,tcp:25 2>/dev/null"
# rotation: a new file, the old ones removed (vacuum)
ban_line 192.0.2.12 | write "$tmp/live/rotated.journal" || exit 1
rm -f "$tmp/live/old.journal" "$tmp/live/new.journal"
check "entries after a rotation and vacuum are acted on" wait_for 20 in_set 192.0.2.12
check "the files gone are reported" wait_for 20 grep -q "new.journal is gone" "$tmp/run.err"
# a corrupt file appears: reported, skipped, and following goes on
head -c 65536 /dev/urandom > "$tmp/stage/corrupt.journal"
mv "$tmp/stage/corrupt.journal" "$tmp/live/"
check "a corrupt file is reported" wait_for 20 grep -q "corrupt.journal cannot be read" "$tmp/run.err"
ban_line 192.0.2.13 | write "$tmp/live/after.journal" || exit 1
check "entries after a corrupt file are acted on" wait_for 20 in_set 192.0.2.13
check "run --journal is still running" kill -0 "$run_pid"
stop_run
check "run --journal exits 0 after all that" [ $? -eq 0 ]
n=$(q "SELECT count(*) FROM ban_log")
check "three bans, each once ($n)" [ "$n" -eq 3 ]
# a restart reads nothing twice
runj "$tmp/live"
check "restarted" wait_for 20 sh -c "[ \$(grep -c 'resuming right after' $tmp/run.err) -ge 2 ]"
ban_line 192.0.2.14 | write "$tmp/live/later.journal" || exit 1
check "entries after the restart are acted on" wait_for 20 in_set 192.0.2.14
stop_run
n=$(q "SELECT count(*) FROM ban_log")
check "four bans, none twice ($n)" [ "$n" -eq 4 ]
ip netns exec "$NS" "$mb" why --json -o "state=\"$st\"" 192.0.2.14 > "$tmp/why.json" 2>/dev/null
check "why shows the evidence run --journal kept, with the cursor" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["evidence"]
assert len(e) >= 1 and all("192.0.2.14" in x["line"] for x in e), e' "$tmp/why.json"
ip netns exec "$NS" "$mb" status --json -o "state=\"$st\"" > "$tmp/status.json" 2>/dev/null
check "status --json says where the journal was read up to" \
    grep -q "\"journal\":\[{\"source\":\"journal:$(realpath "$tmp/live")\",\"time\":\"" "$tmp/status.json"
ip netns exec "$NS" "$mb" status -o "state=\"$st\"" > "$tmp/status.txt" 2>/dev/null
check "and status in text" grep -q "^journal:$(realpath "$tmp/live"): read up to an entry committed at " "$tmp/status.txt"

# SIGHUP: the entries of the users the trust setting names from then on
# are read (outside the mail facility, another user's are not read at all)
cp "$SRCDIR/etc/mailban.conf" "$tmp/mb.conf"
mkdir "$tmp/mb.conf.d"
trust_users() {
	echo "trust = ( { program = \"postfix*\"; exe = \"/usr/lib/postfix/sbin/*\";
	    users = [ $1 ]; units = \"postfix@*.service\"; } );" > "$tmp/mb.conf.d/50-trust.conf"
}
other_user() { # IP: its rejects from the MTA run as uid 4242, facility daemon
	ban_line "$1" | sed 's/^_UID=0$/_UID=4242/; s/^SYSLOG_FACILITY=2$/SYSLOG_FACILITY=3/'
}
trust_users '"root"'
runj "$tmp/live" -c "$tmp/mb.conf"
check "restarted with a trust drop-in" wait_for 20 sh -c "[ \$(grep -c 'resuming right after' $tmp/run.err) -ge 3 ]"
{ other_user 192.0.2.15; ban_line 192.0.2.16; } | write "$tmp/live/users1.journal" || exit 1
check "the root entries after another user's are acted on" wait_for 20 in_set 192.0.2.16
check "a user the trust setting does not name is not" sh -c "! ip netns exec $NS ipset test mailban4 192.0.2.15,tcp:25 2>/dev/null"
trust_users '"root", "4242"'
kill -HUP "$run_pid"
check "reloaded" wait_for 20 grep -q "reloaded $tmp/mb.conf" "$tmp/run.err"
other_user 192.0.2.17 | write "$tmp/live/users2.journal" || exit 1
check "after SIGHUP, the entries of a user it names now are read and acted on" wait_for 20 in_set 192.0.2.17
stop_run
check "run --journal exits 0" [ $? -eq 0 ]

# a state file of schema 2 (before the cursor): taken over, bans kept
python3 - "$st" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TABLE journal_cursor")
db.execute("PRAGMA user_version = 2")
db.commit()
PY
ip netns exec "$NS" "$mb" status --json -o "state=\"$st\"" > "$tmp/status2.json" 2>/dev/null
check "status reads a schema 2 file: no journal in it" grep -q '"journal":\[\]' "$tmp/status2.json"
runj "$tmp/live"
check "run --journal on a schema 2 file starts from now" wait_for 20 sh -c "[ \$(grep -c 'reading from now on' $tmp/run.err) -ge 2 ]"
ban_line 192.0.2.18 | write "$tmp/live/v2.journal" || exit 1
check "and acts on new entries" wait_for 20 in_set 192.0.2.18
stop_run
check "the file is schema 5 now (the current one), with its cursor and every ban ($(q "PRAGMA user_version"), $(q "SELECT count(*) FROM journal_cursor"), $(q "SELECT count(*) FROM ban_log"))" \
    [ "$(q "PRAGMA user_version").$(q "SELECT count(*) FROM journal_cursor").$(q "SELECT count(*) FROM ban_log")" = 5.1.7 ]

check "run --journal ran as the run user: no error about privileges" sh -c "! grep -Eq 'forbidden system call|privileges|systemd-journal|cannot write the state' '$tmp/run.err'"
check "and read every file it followed (none unreadable)" sh -c "! grep -q 'Permission denied' '$tmp/run.err'"
done_testing
