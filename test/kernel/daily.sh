#!/bin/sh
# The commands of every day against a running mailban run, real sets in a
# network namespace: ban (in the kernel at once, counted for escalation,
# never undone or shortened by the run), allow (lifts the bans it covers
# at once; the run honours it within seconds, without a reload), disallow,
# allow --list, why (bans, scores, evidence lines escaped), reload (the
# running process answers), each with its output, JSON and exit status
# (ban, unban, allow, disallow --json: one document of what changed).
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
mb=$MAILBAN
conf=$tmp/mailban.conf
sed "s|^state .*|state = \"$tmp/state.db\";|" "$SRCDIR/etc/mailban.conf" > "$conf"
srv "$mb" setup -c "$conf" > "$tmp/out" || exit 1
check "setup says what it set up ($(cat "$tmp/out"))" grep -qx 'set up: sets mailban4 and mailban6 (policy port: hash:net,port), chain MAILBAN jumped to from INPUT (IPv4 and IPv6); "mailban setup --print" shows the rules' "$tmp/out"
m() { srv "$mb" "$@" -c "$conf"; }
banned() { in_set mailban4 "$1,tcp:25"; }
timeout_of() { srv ipset list mailban4 | sed -n "s/^$1,tcp:25 timeout \([0-9]*\).*/\1/p"; }
timeout_above() { _t=$(timeout_of "$1"); [ -n "$_t" ] && [ "$_t" -gt "$2" ]; }
said() { [ "$(grep -c "$1" "$tmp/err")" -ge "${2:-1}" ]; }
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

mkfifo "$tmp/in"
ip netns exec "$SRV" "$mb" run -c "$conf" < "$tmp/in" 2> "$tmp/err" &
run_pid=$!
exec 7> "$tmp/in"
rbl_line 192.0.2.250 >&7
check "the run is up" wait_for 10 banned 192.0.2.250

# --- ban: the kernel at once, the state with its reason ---
m ban --for 2d --reason "phishing run" $C4 > "$tmp/out"
check "ban exits 0" [ $? -eq 0 ]
grep -q "^$C4: banned for 2d until 20[0-9-]*T[0-9:]*Z (ban 1, reason: phishing run)$" "$tmp/out"
check "ban says what it changed ($(cat "$tmp/out"))" [ $? -eq 0 ]
check "the banned client cannot connect" cannot_connect $S4 25
check "its other ports still answer (port policy)" can_connect $S4 2525
m list > "$tmp/out"
grep -q "^$C4 .* 1  manual" "$tmp/out"; check "list shows the ban by hand" [ $? -eq 0 ]
# an RBL line for it right away: the run must not shorten it to 1h, even
# when the line comes before the run has read the ban (within a second)
rbl_line $C4 >&7
rbl_line 192.0.2.251 >&7
check "the line after it is read" wait_for 10 banned 192.0.2.251
check "the ban keeps its 2 days in the kernel" wait_for 10 timeout_above $C4 172000
m why --json $C4 > "$tmp/why.json"
check "why --json: the ban by hand stays, with its reason" jq_py "
b = d['bans']; assert d['banned'] and d['ban']['pattern'] == 'manual', d
assert b[0]['pattern'] == 'manual' and b[0]['reason'] == 'phishing run', b
assert d['ban']['reason'] == 'phishing run', d
assert d['ban']['duration'] == 172800 and d['ban']['count'] == 1, d" < "$tmp/why.json"
# once the run has read it (reload answers after the same poll), a line
# of a pattern decides nothing more
n0=$(jq_py "print(len(d['bans']))" < "$tmp/why.json")
m reload > /dev/null
rbl_line $C4 >&7
rbl_line 192.0.2.253 >&7
check "the line after it is read" wait_for 10 banned 192.0.2.253
m why --json $C4 > "$tmp/why.json"
check "no decision over a ban the run knows of" jq_py "
assert len(d['bans']) == $n0 and d['ban']['pattern'] == 'manual', d" < "$tmp/why.json"

# --- counted for escalation: unban, then a pattern bans: the 2nd ban, 1 day ---
m unban $C4 > /dev/null
m reload > "$tmp/out"
check "reload: the running mailban answers ($(cat "$tmp/out"))" \
    grep -q "^reloaded $conf: [0-9]* patterns$" "$tmp/out"
rbl_line $C4 >&7
check "after the unban, a pattern bans again" wait_for 10 banned $C4
check "as the 2nd ban: 1 day" wait_for 10 timeout_above $C4 86000
check "and not more" [ "$(timeout_of $C4)" -le 86400 ]
m list --json > "$tmp/out"
check "list --json: count 2" grep -q "\"ip\":\"$C4\".*\"count\":2" "$tmp/out"

# --- refused: the ignore list and the allow list are never overruled ---
m ban 127.0.0.9 > "$tmp/out"
check "ban of an ignored address exits 1" [ $? -eq 1 ]
check "and says why" grep -q "^127.0.0.9: not banned: in the ignore list" "$tmp/out"

# --- allow: lifts at once, honoured by the run without a reload ---
rbl_line 198.51.100.20 >&7
check "198.51.100.20 banned by a pattern" wait_for 10 banned 198.51.100.20
m allow --reason partner 198.51.100.7/24 > "$tmp/out"
check "allow exits 0" [ $? -eq 0 ]
check "allow says the entry, host bits cleared ($(head -n 1 "$tmp/out"))" \
    [ "$(head -n 1 "$tmp/out")" = "allowed 198.51.100.0/24 until removed, reason: partner" ]
check "and each ban it lifted" grep -qx "198.51.100.20: unbanned (allowed by 198.51.100.0/24)" "$tmp/out"
check "the ban is gone from the kernel at once" not_in_set mailban4 "198.51.100.20,tcp:25"
check "the run reads the allow list within seconds (no reload)" \
    wait_for 10 said "allow list: 1 entries"
rbl_line 198.51.100.21 >&7
rbl_line 192.0.2.252 >&7
check "the line after it is read" wait_for 10 banned 192.0.2.252
check "an allowed address is not banned" not_in_set mailban4 "198.51.100.21,tcp:25"
m ban 198.51.100.22 > "$tmp/out"
check "ban of an allowed address exits 1" [ $? -eq 1 ]
check "and names the entry" grep -q "in the allow list (198.51.100.0/24)" "$tmp/out"
m allow --for 1h 2001:db8:77::/48 > "$tmp/out"
check "allow --for says until when" grep -q "^allowed 2001:db8:77::/48 until 20" "$tmp/out"
m allow 198.51.100.0/24 > "$tmp/out"
check "allow again replaces the entry" grep -q "(replaces the entry before)" "$tmp/out"
m allow --list > "$tmp/out"
check "allow --list: heading, entries, count" [ "$(sed -n '1s/ .*//p;$p' "$tmp/out" | tr '\n' '|')" = "NETWORK|2 entries in the allow list|" ]
m allow --list --json > "$tmp/out"
check "allow --list --json: one object a line" python3 -c "
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r['net'] for r in rows] == ['198.51.100.0/24', '2001:db8:77::/48'], rows
assert rows[0]['until'] is None and rows[1]['left'] > 3500, rows" "$tmp/out"
m why 198.51.100.21 > "$tmp/out"
check "why names the allow entry" grep -q "^  allowed by 198.51.100.0/24 until removed" "$tmp/out"

# --- disallow: it can be banned again ---
m disallow 198.51.100.0/24 2001:db8:99::/48 > "$tmp/out"
check "disallow says what it removed, and what was not there" \
    [ "$(tr '\n' '|' < "$tmp/out")" = "disallowed 198.51.100.0/24: it can be banned again|2001:db8:99::/48 was not in the allow list|" ]
# the run reads the list when the state changed; reload answers after the
# same poll, so that the next line is read with the new list
m reload > /dev/null
rbl_line 198.51.100.21 >&7
check "a disallowed address is banned again" wait_for 10 banned 198.51.100.21

# --- why: the evidence lines, escaped as stored ---
printf '%s mx1 postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[198.51.100.30]: 554 5.7.1 Service unavailable; Client host [198.51.100.30] blocked using zen.spamhaus.org; from=<a\001b@example.com> to=<user@example.org> proto=ESMTP helo=<x>\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" >&7
check "198.51.100.30 banned" wait_for 10 banned 198.51.100.30
m reload > /dev/null # the evidence is written once a second: wait for a tick
wait_for 10 sh -c "'$mb' why -c '$conf' 198.51.100.30 | grep -q 'a.x01b@'"
m why 198.51.100.30 > "$tmp/out"
check "why: the ban" grep -q "^  BANNED until .* ban 1, pattern postfix-rbl, host mx1" "$tmp/out"
check "why: the ban log" grep -q "^  20[0-9T:-]*Z      1h     1  postfix-rbl" "$tmp/out"
check "why: the evidence line, the control byte escaped" \
    grep -q 'from=<a\\x01b@example.com>' "$tmp/out"
m why --json 198.51.100.30 > "$tmp/out"
check "why --json: the evidence, escaped once more by JSON" jq_py "
e = d['evidence']; assert len(e) == 1 and e[0]['pattern'] == 'postfix-rbl', e
assert 'from=<a\\\\x01b@' in e[0]['line'] and e[0]['score'] == 10, e" < "$tmp/out"

# --- --json: what ban, allow, disallow and unban changed, one document ---
m ban --json --for 1h 192.0.2.60 127.0.0.9 > "$tmp/out"
check "ban --json with one refused exits 1" [ $? -eq 1 ]
check "ban --json: the ban and the refusal ($(cat "$tmp/out"))" jq_py "
b, r = d['banned'], d['refused']
assert [x['ip'] for x in b] == ['192.0.2.60'], d
assert b[0]['duration'] == 3600 and b[0]['count'] == 1 and b[0]['enforced'] is True, d
assert b[0]['reason'] == '' and b[0]['until'].endswith('Z'), d
assert r == [{'ip': '127.0.0.9', 'why': 'ignored', 'allowed_by': None}], d" < "$tmp/out"
check "the ban is in the kernel" banned 192.0.2.60
m allow --json --reason relay 192.0.2.60/31 > "$tmp/out"
check "allow --json exits 0" [ $? -eq 0 ]
check "allow --json: the entry and the ban it lifted ($(cat "$tmp/out"))" jq_py "
a = d['allowed']
assert len(a) == 1 and a[0]['net'] == '192.0.2.60/31' and a[0]['until'] is None, d
assert a[0]['reason'] == 'relay' and a[0]['replaced'] is False, d
assert sorted(a[0]['unbanned']) == ['192.0.2.0/24', '192.0.2.60'], d
assert a[0]['not_lifted'] == [], d
assert d['failed'] == [], d" < "$tmp/out"
check "the ban is gone from the kernel" not_in_set mailban4 "192.0.2.60,tcp:25"
# 192.0.2.250 to .253 banned above widened to 192.0.2.0/24 (widen.count =
# 3): it holds the allowed /31, so allow lifted it too
check "and so is the widened /24 that held it" not_in_set mailban4 "192.0.2.0/24,tcp:25"
m ban --json 192.0.2.61 > "$tmp/out"
check "ban --json of an allowed address exits 1" [ $? -eq 1 ]
check "and names the entry ($(cat "$tmp/out"))" jq_py "
assert d == {'banned': [], 'refused': [{'ip': '192.0.2.61', 'why': 'allowed', 'allowed_by': '192.0.2.60/31'}]}, d" < "$tmp/out"
m disallow --json 192.0.2.60/31 198.51.100.99 > "$tmp/out"
check "disallow --json exits 0" [ $? -eq 0 ]
check "disallow --json: what it removed, what was not there ($(cat "$tmp/out"))" jq_py "
assert d == {'disallowed': ['192.0.2.60/31'], 'not_allowed': ['198.51.100.99/32'], 'failed': []}, d" < "$tmp/out"
m ban --json --reason test 192.0.2.61 > "$tmp/out"
check "then ban --json bans it ($(cat "$tmp/out"))" jq_py "
assert [x['ip'] for x in d['banned']] == ['192.0.2.61'] and d['refused'] == [], d
assert d['banned'][0]['reason'] == 'test', d" < "$tmp/out"
check "in the kernel" banned 192.0.2.61
m unban --json 192.0.2.61 192.0.2.62 > "$tmp/out"
check "unban --json exits 0" [ $? -eq 0 ]
check "unban --json: what it lifted, what was not banned ($(cat "$tmp/out"))" jq_py "
assert d == {'unbanned': ['192.0.2.61'], 'not_banned': ['192.0.2.62'], 'failed': [],
    'lifted': [{'ip': '192.0.2.61', 'given': '192.0.2.61', 'how': 'same'}]}, d" < "$tmp/out"
# the run reads bans by hand once a second and puts them in the kernel:
# one it read just before the unban comes back until its next look at the
# state file takes it out again (within a second or two, never later)
check "the ban is gone from the kernel" wait_for 3 not_in_set mailban4 "192.0.2.61,tcp:25"
m list > "$tmp/out"
check "and from list" sh -c "! grep -q '^192\.0\.2\.61 ' '$tmp/out'"

# --- reload: a broken file keeps the running configuration, exit 1 ---
cp "$conf" "$tmp/good.conf"
printf 'threshold = 0;\n' >> "$conf"
m reload > "$tmp/out" 2> "$tmp/rerr"
check "reload of a broken file exits 2 before asking" [ $? -eq 2 ]
check "and names FILE:LINE" grep -q "$conf:[0-9]*: " "$tmp/rerr"
cp "$tmp/good.conf" "$conf"

exec 7>&-
wait $run_pid
check "run exits 0" [ $? -eq 0 ]
m reload > "$tmp/out"
check "reload with no run exits 1" [ $? -eq 1 ]
check "and says nothing was reloaded" grep -q "^no running mailban run on .* answered within 10 s: nothing reloaded" "$tmp/out"
done_testing
