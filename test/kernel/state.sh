#!/bin/sh
# The state file under faults and concurrency: scores in flight survive a
# restart; kill -9 loses nothing committed; a corrupt, unusable, locked or
# full state file never stops bans reaching the kernel; an unban from
# another process is not undone by the running mailban's memory.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
mb=$MAILBAN

sasl_line() { # ADDR
	printf '%s mx1 postfix/smtpd[7]: warning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$1"
}
entries() { srv ipset list "$1" 2>/dev/null | sed -n 's/^Number of entries: //p'; }
has_lines() { [ "$(grep -c . "$1")" -ge "$2" ]; } # FILE N
# in_state STATE ADDR...: every ADDR has an active ban in the state file
in_state() {
	_db=$1
	shift
	srv "$mb" list -o "state=$_db" > "$tmp/in_state" || return 1
	for _a; do grep -q "^$_a " "$tmp/in_state" || return 1; done
}
# holds_open PID FILE: process PID has FILE open
holds_open() {
	for _fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$_fd")" = "$2" ] && return 0
	done
	return 1
}

# live mailban on a fifo: start_live STATE [ARGS...]; feed with >&7
start_live() {
	st=$1
	shift
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	ip netns exec "$SRV" "$mb" run -o "state=$st" "$@" < "$tmp/fifo" 2> "$tmp/live.err" &
	live=$!
	exec 7> "$tmp/fifo"
}
stop_live() {
	exec 7>&-
	wait $live
}

# --- scores in flight survive a restart ---
db=$tmp/scores.db
{ sasl_line 203.0.113.31; sasl_line 203.0.113.31; } | srv "$mb" run -o "state=$db" 2>/dev/null
check "two SASL failures do not ban" not_in_set mailban4 "203.0.113.31,tcp:25"
{ sasl_line 203.0.113.31; sasl_line 203.0.113.31; } | srv "$mb" run -o "state=$db" 2>/dev/null
check "two more after a restart do (scores survived)" in_set mailban4 "203.0.113.31,tcp:25"
srv ipset flush mailban4

# --- omprog: the scores of a confirmed transaction survive kill -9 ---
db=$tmp/txn.db
rm -f "$tmp/txn.in"
mkfifo "$tmp/txn.in"
ip netns exec "$SRV" "$mb" run --omprog -o "state=$db" < "$tmp/txn.in" > "$tmp/txn.out" 2>/dev/null &
txn=$!
exec 5> "$tmp/txn.in"
{ echo "BEGIN TRANSACTION"; sasl_line 203.0.113.38; sasl_line 203.0.113.38; echo "COMMIT TRANSACTION"; } >&5
wait_for 10 has_lines "$tmp/txn.out" 5
check "the transaction is confirmed" [ "$(tail -n 1 "$tmp/txn.out")" = OK ]
kill -KILL $txn
wait $txn 2>/dev/null
exec 5>&-
{ sasl_line 203.0.113.38; sasl_line 203.0.113.38; } | srv "$mb" run -o "state=$db" 2>/dev/null
check "after kill -9, its scores count: two more failures ban" in_set mailban4 "203.0.113.38,tcp:25"
srv ipset flush mailban4

# --- omprog: kill -9 in the middle of a transaction loses nothing ---
# rsyslog sends again only the message in flight, never the ones mailban
# has answered DEFER_COMMIT: the journal is what keeps them.
db=$tmp/open.db
rm -f "$tmp/open.in"
mkfifo "$tmp/open.in"
ip netns exec "$SRV" "$mb" run --omprog -o "state=$db" < "$tmp/open.in" > "$tmp/open.out" 2> "$tmp/open.err" &
op=$!
exec 5> "$tmp/open.in"
{
	echo "BEGIN TRANSACTION"
	for i in $(seq 101 110); do rbl_line 198.51.100.$i; done
	sasl_line 203.0.113.39; sasl_line 203.0.113.39; sasl_line 203.0.113.39
	echo "connect from unknown[198.51.100.120]"
} >&5
wait_for 10 has_lines "$tmp/open.out" 16
check "the 14 messages are answered DEFER_COMMIT" \
    [ "$(grep -c '^DEFER_COMMIT$' "$tmp/open.out")" -eq 14 ]
check "none of the transaction's bans is in the kernel yet" [ "$(entries mailban4)" -eq 0 ]
n=$(journal_lines "$db.pending")
check "the 13 lines that matched are in the journal (${n:-no journal})" [ "${n:-0}" -eq 13 ]
kill -KILL $op
wait $op 2>/dev/null
exec 5>&-
# what rsyslog does next: a new mailban gets the rest of the batch
{ echo "BEGIN TRANSACTION"; sasl_line 203.0.113.39; echo "COMMIT TRANSACTION"; } |
    srv "$mb" run --omprog -o "state=$db" > "$tmp/open2.out" 2> "$tmp/open2.err"
check "the new mailban reads the 13 lines again" \
    grep -q "read 13 lines again from $db.pending" "$tmp/open2.err"
n=0
for i in $(seq 101 110); do in_set mailban4 "198.51.100.$i,tcp:25" && n=$((n + 1)); done
check "the 10 bans of the killed transaction are in the kernel ($n)" [ "$n" -eq 10 ]
n=$(srv "$mb" list --json -o "state=$db" | grep -c '"ip":"198\.51\.100\.1[01][0-9]"')
check "and in the state file ($n)" [ "$n" -eq 10 ]
check "its 3 SASL failures count: the 4th bans" in_set mailban4 "203.0.113.39,tcp:25"
check "the commit is confirmed" [ "$(tail -n 1 "$tmp/open2.out")" = OK ]
check "the journal is empty once committed" [ "$(journal_lines "$db.pending")" = 0 ]
n=$(srv "$mb" list --json -o "state=$db" | grep '"ip":"198\.51\.100\.1' | grep -vc '"count":1,')
check "no address banned twice ($n)" [ "$n" -eq 0 ]
srv ipset flush mailban4

# --- a second run on the same state: no journal, told so, bans at once ---
db=$tmp/twice.db
start_live "$db" --omprog > "$tmp/first.out"
# its first answer comes once its journal is open
wait_for 10 grep -qx OK "$tmp/first.out"
rm -f "$tmp/twice.in"
mkfifo "$tmp/twice.in"
ip netns exec "$SRV" "$mb" run --omprog -o "state=$db" < "$tmp/twice.in" > "$tmp/twice.out" 2> "$tmp/twice.err" &
tw=$!
exec 4> "$tmp/twice.in"
{ echo "BEGIN TRANSACTION"; rbl_line 203.0.113.91; } >&4
wait_for 10 has_lines "$tmp/twice.out" 3
check "the second run is told the journal is in use" \
    grep -q "journal $db.pending: in use by another mailban run" "$tmp/twice.err"
check "so the ban is in the kernel when it answers DEFER_COMMIT" \
    sh -c "[ \"\$(tail -n 1 '$tmp/twice.out')\" = DEFER_COMMIT ] && ip netns exec $SRV ipset test mailban4 203.0.113.91,tcp:25 2>/dev/null"
exec 4>&-
wait $tw
stop_live
srv ipset flush mailban4

# --- kill -9 between batches loses nothing committed ---
db=$tmp/kill.db
start_live "$db"
for i in $(seq 1 20); do rbl_line 198.51.100.$i >&7; done
wait_for 10 in_state "$db" $(seq -f '198.51.100.%g' 1 20)
kill -KILL $live
wait $live 2>/dev/null
exec 7>&-
# the 20 addresses and 198.51.100.0/24, widened at the third (widen.count)
n=$(srv "$mb" list --json -o "state=$db" | grep -c '"ip"')
check "after kill -9: all 21 committed bans are in the state ($n)" [ "$n" -eq 21 ]
srv ipset flush mailban4
srv "$mb" restore -o "state=$db" >/dev/null
check "and restore puts all 21 back" [ "$(entries mailban4)" -eq 63 ]
srv ipset flush mailban4

# --- a corrupt state file is moved aside; bans go on ---
db=$tmp/corrupt.db
head -c 8192 /dev/urandom > "$db"
rbl_line 203.0.113.32 | srv "$mb" run -o "state=$db" 2> "$tmp/err"
check "corrupt state: the ban is in the kernel" in_set mailban4 "203.0.113.32,tcp:25"
check "corrupt state: reported and moved aside" grep -q "corrupt: moved to $db.corrupt-" "$tmp/err"
check "corrupt state: a new state file holds the ban" sh -c "ip netns exec $SRV $mb list -o state=$db | grep -q '^203.0.113.32 '"
srv ipset flush mailban4

# --- an unusable state path: bans still reach the kernel, exit 1 says so ---
mkdir "$tmp/adir.db"
rbl_line 203.0.113.33 | srv "$mb" run -o "state=$tmp/adir.db" 2> "$tmp/err"
rc=$?
check "unusable state: the ban is in the kernel" in_set mailban4 "203.0.113.33,tcp:25"
check "unusable state: exit 1" [ $rc -eq 1 ]
check "unusable state: reported" grep -q "could not be written to the state file" "$tmp/err"
srv ipset flush mailban4

# --- a locked state file: kernel at once, the record once the lock goes ---
db=$tmp/locked.db
srv "$mb" list -o "state=$db" >/dev/null
rbl_line 203.0.113.1 | srv "$mb" run -o "state=$db" 2>/dev/null   # create it
# the lock is held until the file unlock appears (60 s at most)
python3 - "$db" "$tmp/locked" "$tmp/unlock" <<'PY' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
end = time.monotonic() + 60
while not os.path.exists(sys.argv[3]) and time.monotonic() < end:
    time.sleep(0.05)
c.execute("COMMIT")
PY
locker=$!
wait_for 10 test -e "$tmp/locked"
start_live "$db"
rbl_line 203.0.113.34 >&7
check "locked state: the ban is in the kernel at once" \
    wait_for 10 in_set mailban4 "203.0.113.34,tcp:25"
check "locked state: reported" wait_for 10 \
    grep -q "not written yet; will retry\|unavailable; bans still reach the kernel" "$tmp/live.err"
check "locked state: the lock is still held" kill -0 $locker
touch "$tmp/unlock"
wait $locker
stop_live
check "locked state: written once the lock is gone" sh -c "ip netns exec $SRV $mb list -o state=$db | grep -q '^203.0.113.34 '"
srv ipset flush mailban4

# --- a full disk: kernel first, records retried once there is room ---
mkdir "$tmp/full"
cat > "$tmp/full.sh" <<EOF2
set -u
. "$SRCDIR/test/lib.sh"
in4() { ipset list mailban4 | grep -q "^\$1,tcp:25 "; }
recorded() { "$mb" list -o "state=$tmp/full/state.db" | grep -q "^\$1 "; }
mount -t tmpfs -o size=256k,mode=0750,uid=\$(id -u mailban),gid=\$(id -g mailban) tmpfs "$tmp/full" || exit 3
dd if=/dev/zero of="$tmp/full/fill" bs=4k 2>/dev/null
mkfifo "$tmp/full-fifo"
"$mb" run -o "state=$tmp/full/state.db" < "$tmp/full-fifo" 2> "$tmp/full.err" &
p=\$!
exec 8> "$tmp/full-fifo"
printf '%s\n' "\$(cat $tmp/rbl35)" >&8
wait_for 10 in4 203.0.113.35 && echo kernel-ok
rm -f "$tmp/full/fill"
wait_for 20 recorded 203.0.113.35 && echo state-ok-running
exec 8>&-
wait \$p
echo "exit=\$?"
recorded 203.0.113.35 && echo state-ok
EOF2
rbl_line 203.0.113.35 > "$tmp/rbl35"
srv unshare -m sh "$tmp/full.sh" > "$tmp/full.out" 2>&1
check "full disk: the ban is in the kernel" grep -q kernel-ok "$tmp/full.out"
check "full disk: reported" grep -q "unavailable\|not written yet" "$tmp/full.err"
check "full disk: written once there is room, while running" grep -q state-ok-running "$tmp/full.out"
check "full disk: written once there is room" grep -qx state-ok "$tmp/full.out"
srv ipset flush mailban4

# destroy_set SET: run made the rules that use the sets and puts them back
# every firewall_check: empty the chain and destroy the set (again when
# run was quicker, or nf_tables had not let go of the set yet)
destroy_set() { srv iptables -F MAILBAN && srv ipset destroy "$1"; }

# --- unban from another process is not undone by the running mailban ---
db=$tmp/concurrent.db
start_live "$db"
rbl_line 203.0.113.36 >&7
rbl_line 203.0.113.37 >&7
wait_for 10 in_state "$db" 203.0.113.36 203.0.113.37
srv "$mb" unban -o "state=$db" 203.0.113.36 >/dev/null
wait_for 10 destroy_set mailban4
# the repair comes with an idle tick, which also reads the unbans made by
# others before mailban reads another line: once the other ban is back,
# the running mailban has forgotten the unbanned address
check "after a set repair, the other ban is back" \
    wait_for 10 in_set mailban4 "203.0.113.37,tcp:25"
check "and the unbanned address stays out" not_in_set mailban4 "203.0.113.36,tcp:25"
rbl_line 203.0.113.36 >&7
check "the unbanned address offending again is banned again" \
    wait_for 10 in_set mailban4 "203.0.113.36,tcp:25"
stop_live
check "with ban count 2" sh -c "ip netns exec $SRV $mb list -o state=$db | grep -q '^203.0.113.36 .* 2  postfix-rbl'"
srv "$mb" flush -o "state=$db" >/dev/null
start_live "$db"
wait_for 10 holds_open $live "$db"   # its sets made, its state read
wait_for 10 destroy_set mailban4
wait_for 10 grep -q 're-adding [0-9]* active bans' "$tmp/live.err"
check "after flush and a set repair, nothing comes back" [ "$(entries mailban4)" -eq 0 ]
check "the repair re-adds no ban" grep -q 're-adding 0 active bans' "$tmp/live.err"
stop_live
done_testing
