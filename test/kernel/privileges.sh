#!/bin/bash
# The privileges of a running "mailban run": started as root it is the run
# user (mailban) with CAP_NET_ADMIN alone, no_new_privs and the seccomp
# filter, and still bans (kernel and state) and answers a reload; a run
# user that does not exist, or a state directory it cannot write, is an
# error that says so; privileges.user = "" stays root with CAP_NET_ADMIN
# alone; without CAP_NET_ADMIN the error names the capability.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
mb=$MAILBAN
db=$tmp/state.db
uid=$(id -u mailban)

srv "$mb" setup -o "state=\"$db\"" >/dev/null || { echo "setup failed"; exit 1; }

status_of() { # PID FIELD: the field's value in /proc/PID/status
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"
}

# --- a live run: its credentials, a ban, a reload ---
rm -f "$tmp/fifo"
mkfifo "$tmp/fifo"
ip netns exec "$SRV" "$mb" run -o "state=\"$db\"" < "$tmp/fifo" 2> "$tmp/run.err" &
live=$!
exec 7> "$tmp/fifo"
rbl_line 203.0.113.61 >&7
check "a ban reaches the kernel" wait_for 10 in_set mailban4 "203.0.113.61,tcp:25"
# the process that runs the loop: the child of "ip netns exec" is mailban
# itself (exec), so $live is it
check "run is the run user (uid $uid)" [ "$(status_of $live Uid)" = "$(printf '%s\t%s\t%s\t%s' $uid $uid $uid $uid)" ]
check "with CAP_NET_ADMIN alone (effective)" [ "$(status_of $live CapEff)" = 0000000000001000 ]
check "permitted" [ "$(status_of $live CapPrm)" = 0000000000001000 ]
check "bounding" [ "$(status_of $live CapBnd)" = 0000000000001000 ]
check "no_new_privs" [ "$(status_of $live NoNewPrivs)" = 1 ]
# (a build with AddressSanitizer says it has none: test_privdrop checks
# the filter in every build)
check "a seccomp filter" sh -c "[ '$(status_of $live Seccomp)' = 2 ] || grep -q 'seccomp: no filter in a build with AddressSanitizer' '$tmp/run.err'"
kill -HUP $live
check "a reload under the filter" wait_for 10 grep -q "reloaded" "$tmp/run.err"
rbl_line 203.0.113.62 >&7
check "bans after the reload" wait_for 10 in_set mailban4 "203.0.113.62,tcp:25"
exec 7>&-
wait $live
check "exits 0 at end of input" [ $? -eq 0 ]
check "no forbidden system call" sh -c "! grep -q 'forbidden system call' '$tmp/run.err'"
check "both bans in the state file" sh -c "$mb list -o 'state=\"$db\"' | grep -c '^203\.0\.113\.6[12] ' | grep -qx 2"
check "the state file is the run user's" [ "$(stat -c %U "$db")" = mailban ]
check "mode 0640 at most" [ "$(( 0$(stat -c %a "$db") & 0137 ))" = 0 ]

# --- restore (root) creates the state file in the run user's directory:
# the file is the run user's, and run can write it ---
mkdir "$tmp/fresh"
run_user_owns "$tmp/fresh"
srv "$mb" restore -o "state=\"$tmp/fresh/s.db\"" >/dev/null
check "restore as root: the new state file is the run user's" [ "$(stat -c %U "$tmp/fresh/s.db")" = mailban ]
rbl_line 203.0.113.66 | srv "$mb" run -o "state=\"$tmp/fresh/s.db\"" 2> "$tmp/err"
check "and run records in it" sh -c "$mb list -o 'state=\"$tmp/fresh/s.db\"' | grep -q '^203\.0\.113\.66 '"

# --- the setting itself ---
"$mb" check -o 'privileges={user="a b";}' > /dev/null 2> "$tmp/err"
check "privileges.user must be a user name" sh -c "[ $? -eq 2 ] && grep -q 'privileges.user: a user name' '$tmp/err'"
"$mb" check -o 'privileges={seccomp=1;}' > /dev/null 2> "$tmp/err"
check "privileges.seccomp must be true or false" sh -c "[ $? -eq 2 ] && grep -q 'privileges.seccomp: true or false' '$tmp/err'"
"$mb" check -o 'privileges={group="x";}' > /dev/null 2> "$tmp/err"
check "privileges: an unknown setting is an error" sh -c "[ $? -eq 2 ] && grep -q 'privileges: unknown setting' '$tmp/err'"

# --- seccomp = false: no filter, the rest as before ---
rbl_line 203.0.113.67 | srv "$mb" run -o "state=\"$db\"" -o 'privileges={seccomp=false;}' 2> "$tmp/err"
check "seccomp = false still bans" in_set mailban4 "203.0.113.67,tcp:25"

# --- errors that say why ---
rbl_line 203.0.113.63 | srv "$mb" run -o "state=\"$db\"" -o 'privileges={user="no-such-user-mb";}' 2> "$tmp/err"
check "a run user that does not exist: exit 1" [ $? -eq 1 ]
check "and says so" grep -q 'user "no-such-user-mb" (privileges.user) does not exist' "$tmp/err"
check "and bans nothing" not_in_set mailban4 "203.0.113.63,tcp:25"
mkdir -m 700 "$tmp/rootonly"
rbl_line 203.0.113.63 | srv "$mb" run -o "state=\"$tmp/rootonly/s.db\"" 2> "$tmp/err"
check "a state directory the run user cannot write: exit 1" [ $? -eq 1 ]
check "and says which and what to do" grep -q "user mailban cannot write the state directory $tmp/rootonly .*chown mailban" "$tmp/err"

# --- privileges.user = "": root, CAP_NET_ADMIN alone ---
mkfifo "$tmp/fifo2"
ip netns exec "$SRV" "$mb" run -o "state=\"$tmp/rootonly/s.db\"" -o 'privileges={user="";}' < "$tmp/fifo2" 2> "$tmp/root.err" &
live=$!
exec 7> "$tmp/fifo2"
rbl_line 203.0.113.64 >&7
check "user \"\": bans" wait_for 10 in_set mailban4 "203.0.113.64,tcp:25"
check "user \"\": stays uid 0" [ "$(status_of $live Uid | cut -f1)" = 0 ]
check "user \"\": CAP_NET_ADMIN alone" [ "$(status_of $live CapEff)/$(status_of $live CapBnd)" = 0000000000001000/0000000000001000 ]
exec 7>&-
wait $live

# --- no CAP_NET_ADMIN: the error names it ---
if command -v capsh >/dev/null 2>&1; then
	rbl_line 203.0.113.65 | srv capsh --drop=cap_net_admin -- -c "exec $mb run -o 'state=\"$db\"'" 2> "$tmp/err"
	check "without CAP_NET_ADMIN: exit 1" [ $? -eq 1 ]
	check "the error names CAP_NET_ADMIN" grep -q "needs the capability CAP_NET_ADMIN" "$tmp/err"
	srv capsh --drop=cap_net_admin -- -c "exec $mb unban -o 'state=\"$db\"' 203.0.113.61" 2> "$tmp/err"
	check "unban without it: the error names it" grep -q "need the capability CAP_NET_ADMIN" "$tmp/err"
	# as mailban.service runs them: the run user, CAP_NET_ADMIN alone
	srv capsh --keep=1 --user=mailban --inh=cap_net_admin \
	    --addamb=cap_net_admin -- -c "$mb setup -o 'state=\"$db\"' &&
	    $mb restore -o 'state=\"$db\"'" > "$tmp/unit.out" 2>&1
	check "setup and restore as the run user with CAP_NET_ADMIN alone (the unit's way)" [ $? -eq 0 ]
	cat "$tmp/unit.out"
else
	skip "capsh not installed (libcap2-bin)"
fi
done_testing
