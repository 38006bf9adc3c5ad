#!/bin/sh
# Command line contract: exit codes, configuration errors with FILE:LINE,
# -o overrides, line numbers across inputs, human output.
set -u
. "$SRCDIR/test/lib.sh"
mb=$MAILBAN
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
now=--now=2026-11-27T12:00:00Z

"$mb" >/dev/null 2>&1; check "no command exits 2" [ $? -eq 2 ]
"$mb" frobnicate >/dev/null 2>&1; check "unknown command exits 2" [ $? -eq 2 ]
"$mb" --help | grep -q '^usage: mailban'; check "--help prints usage" [ $? -eq 0 ]
"$mb" check > "$tmp/out"; check "check of built-in config exits 0" [ $? -eq 0 ]
grep -q 'OK, [0-9]* patterns' "$tmp/out"; check "check reports patterns" [ $? -eq 0 ]
"$mb" check -c "$SRCDIR/etc/mailban.conf" >/dev/null
check "shipped etc/mailban.conf is valid" [ $? -eq 0 ]
"$mb" check -o 'trust=({ program = "exim*"; users = ["root", "no-such-mta-user"]; })' > "$tmp/out"
check "check names a trust user this host does not have" \
    grep -qx 'trust: user no-such-mta-user (exim\*) is not on this host' "$tmp/out"
cmp -s "$SRCDIR/etc/mailban.conf" "$SRCDIR/etc/mailban.conf"

# a bad regex: FILE:LINE, PCRE2's message and offset, exit 2, no output
printf 'threshold = 5;\npatterns = (\n { name = "bad"; program = "x"; score = 1;\n   regex = "^(?<ip>[0-9.+"; }\n);\n' > "$tmp/bad.conf"
echo 'Nov 27 01:02:03 mx x[1]: 1.2.3.4' | "$mb" test -c "$tmp/bad.conf" > "$tmp/out" 2> "$tmp/err"
check "bad regex exits 2" [ $? -eq 2 ]
grep -q "^mailban: $tmp/bad.conf:4: pattern \"bad\": missing terminating \] for character class at offset 13" "$tmp/err"
check "bad regex names FILE:LINE, message and offset" [ $? -eq 0 ]
check "bad regex: nothing on stdout" [ ! -s "$tmp/out" ]
"$mb" check -c "$tmp/bad.conf" >/dev/null 2>&1; check "check of bad config exits 2" [ $? -eq 2 ]
"$mb" check -c "$tmp/missing.conf" 2> "$tmp/err"; check "missing config exits 2" [ $? -eq 2 ]
grep -q "missing.conf: cannot read" "$tmp/err"; check "missing config is named" [ $? -eq 0 ]
"$mb" test -o 'threshold=0' < /dev/null 2> "$tmp/err" >/dev/null
check "out-of-range -o exits 2" [ $? -eq 2 ]
grep -q -- "-o threshold: threshold: 0 is out of range" "$tmp/err"; check "-o error named" [ $? -eq 0 ]

# numbers are 64-bit and range-checked: libconfig alone wraps 4294967297 to 1
for o in threshold=4294967297 'limits={tracked=4294967297;}' \
    'sets={maxelem=4294967297;}' 'bantimes=[4294967297]' threshold=99999999999999999999; do
	"$mb" check -o "$o" > "$tmp/out" 2> "$tmp/err"
	check "check -o $o exits 2 ($?)" [ $? -eq 2 ]
	grep -q "out of range" "$tmp/err"; check "check -o $o: out of range" [ $? -eq 0 ]
done
printf 'threshold = 4294967297;\n' > "$tmp/big.conf"
"$mb" check -c "$tmp/big.conf" 2> "$tmp/err" >/dev/null
check "threshold = 4294967297 in a file exits 2" [ $? -eq 2 ]
grep -q "^mailban: $tmp/big.conf:1: threshold: 4294967297 is out of range" "$tmp/err"
check "and names FILE:LINE" [ $? -eq 0 ]
"$mb" check -o 'sets={maxelem=4294967295;}' >/dev/null
check "sets.maxelem = 4294967295 (the most) is taken" [ $? -eq 0 ]

# one -o, one value: a second setting smuggled into it is refused
"$mb" test --json $now -o 'threshold=1; policy="drop"' /dev/null > "$tmp/out" 2> "$tmp/err"
check "-o 'threshold=1; policy=\"drop\"' exits 2" [ $? -eq 2 ]
grep -q -- "one NAME=VALUE per -o" "$tmp/err"; check "and says why" [ $? -eq 0 ]
check "and runs nothing" [ ! -s "$tmp/out" ]
"$mb" check -o 'state=/tmp/x.db; policy=drop' > /dev/null 2>&1
check "-o 'state=/tmp/x.db; policy=drop' exits 2" [ $? -eq 2 ]

# -o changes the decision: two SASL failures ban only with threshold 6
cat > "$tmp/sasl.log" <<'L'
2026-11-27T01:00:00+00:00 mx postfix/smtpd[1]: warning: unknown[203.0.113.50]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
2026-11-27T01:00:05+00:00 mx postfix/smtpd[1]: warning: unknown[203.0.113.50]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
L
n=$("$mb" test --json $now "$tmp/sasl.log" | grep -c '"event":"ban"')
check "two SASL failures do not ban by default" [ "$n" -eq 0 ]
n=$("$mb" test --json $now -o threshold=6 "$tmp/sasl.log" | grep -c '"event":"ban"')
check "-o threshold=6: they ban" [ "$n" -eq 1 ]
n=$("$mb" test --json $now -o 'bantimes=["2s"]' -o threshold=6 "$tmp/sasl.log" | grep -c '"duration":2,')
check "-o bantimes is used" [ "$n" -eq 1 ]

# line numbers count across all inputs, stdin via "-"
printf 'junk\n' > "$tmp/a.log"
"$mb" test --json $now "$tmp/a.log" - < "$tmp/sasl.log" > "$tmp/out"
check "match on line 2 of the second input is line 3" grep -q '"event":"match","line":3,' "$tmp/out"
tail -n 1 "$tmp/out" | grep -q '"event":"summary","lines":3,.*"malformed":1'
check "summary counts lines and malformed" [ $? -eq 0 ]
"$mb" test "$tmp/nonexistent.log" >/dev/null 2>&1; check "unreadable input exits 1" [ $? -eq 1 ]

# human output: aligned lines and a summary
"$mb" test $now -o threshold=6 "$tmp/sasl.log" > "$tmp/out"
grep -q 'BAN    203.0.113.50 ' "$tmp/out"; check "human output names the ban" [ $? -eq 0 ]
grep -q '^  lines read  *2$' "$tmp/out"; check "human summary" [ $? -eq 0 ]
"$mb" test --bans-only $now -o threshold=6 "$tmp/sasl.log" | grep -c 'match  ' > "$tmp/n"
check "--bans-only hides matches" [ "$(cat "$tmp/n")" -eq 0 ]

# ignore list: never reported as a ban
n=$("$mb" test --json $now -o threshold=6 -o 'ignore=["203.0.113.0/24"]' "$tmp/sasl.log" | grep -c '"event":"ban"')
check "ignored network never banned" [ "$n" -eq 0 ]

# test changes nothing: it works without root and without a state file
"$mb" test $now -o state=/nonexistent/dir/x.db "$tmp/sasl.log" >/dev/null
check "test does not need the state file" [ $? -eq 0 ]
check "test created no state" [ ! -e /nonexistent/dir ]
# check --json: one document of what the text says
"$mb" check --json -c "$SRCDIR/etc/mailban.conf" > "$tmp/out"
check "check --json exits 0" [ $? -eq 0 ]
check "check --json: the file, OK, the patterns, the files read" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is True and d["config"] == sys.argv[2] and d["patterns"] > 40, d
assert d["files"][0] == sys.argv[2] and isinstance(d["unknown_users"], list), d' \
    "$tmp/out" "$SRCDIR/etc/mailban.conf"

# test: score-0 records (a Sendmail session line kept for the queue-ID
# join) only with --verbose, "record" in text and JSON
cat > "$tmp/sm.log" <<'L'
2026-11-27T01:00:00+00:00 mx sm-mta[1]: 5AR1X8Ab002009: from=<a@example.org>, size=1, class=0, nrcpts=1, msgid=<x@example.org>, proto=ESMTP, daemon=MTA-v4, relay=mail.example.org [203.0.113.28]
L
"$mb" test $now "$tmp/sm.log" > "$tmp/out"
check "test hides a score-0 record" sh -c "! grep -q '203.0.113.28' '$tmp/out'"
check "and says so in its summary" grep -q "of them score 0 *1 (records, not shown: --verbose)" "$tmp/out"
"$mb" test --verbose $now "$tmp/sm.log" > "$tmp/out"
check "test --verbose shows it as a record" grep -q " record  203.0.113.28 .*sendmail-session" "$tmp/out"
"$mb" test --json $now "$tmp/sm.log" > "$tmp/out"
check "test --json: no event for it" [ "$(grep -c '"event":"record"' "$tmp/out")" -eq 0 ]
check "test --json: counted in the summary" grep -q '"records":1,' "$tmp/out"
"$mb" test --json --verbose $now "$tmp/sm.log" > "$tmp/out"
check "test --json --verbose: the event \"record\"" \
    grep -q '^{"event":"record","line":1,"ip":"203.0.113.28","pattern":"sendmail-session","score":0,' "$tmp/out"

# test: the session line that joins the recipients refused under its
# queue ID is the match that scores the client, with what it joined;
# a later line of the queue ID names the client too
cat > "$tmp/smj.log" <<'L'
2026-11-27T01:00:00+00:00 mx sm-mta[1]: 5AR1X8Ab002010: <a@example.net>... User unknown
2026-11-27T01:00:01+00:00 mx sm-mta[1]: 5AR1X8Ab002010: <b@example.net>... User unknown
2026-11-27T01:00:02+00:00 mx sm-mta[1]: 5AR1X8Ab002010: from=<a@example.org>, size=0, class=0, nrcpts=0, proto=ESMTP, daemon=MTA-v4, relay=mail.example.org [203.0.113.29]
2026-11-27T01:00:03+00:00 mx sm-mta[1]: 5AR1X8Ab002010: <c@example.net>... User unknown
L
"$mb" test --json $now "$tmp/smj.log" > "$tmp/out"
check "test --json: the joining line scores the client with what it joined" \
    grep -q '^{"event":"match","line":3,"ip":"203.0.113.29","pattern":"sendmail-unknown-user","score":6,"joined":6,"qid":"5AR1X8Ab002010",' "$tmp/out"
check "test --json: a later line of the queue ID names its client" \
    grep -q '^{"event":"match","line":4,"ip":"203.0.113.29","pattern":"sendmail-unknown-user","score":3,"qid":' "$tmp/out"
check "test --json: nothing left a record" grep -q '"records":0,' "$tmp/out"
"$mb" test $now "$tmp/smj.log" > "$tmp/out"
check "test: the joining line in text" \
    grep -q " match   203.0.113.29 .*sendmail-unknown-user *line 3 (joined 6 by queue id)" "$tmp/out"

# test: Solaris syslogd's message ID after the tag is not the message
cat > "$tmp/sol.log" <<'L'
Nov 27 01:10:00 mx1 sendmail[25741]: [ID 801593 mail.notice] 5AR1f0Aa025741: ruleset=check_rcpt, arg1=<x@example.org>, relay=host.example.net [203.0.113.250] (may be forged), reject=550 5.7.1 <x@example.org>... Relaying denied. IP name possibly forged [203.0.113.250]
Nov 27 01:10:01 mx1 exim[7]: [ID 702911 mail.info] 2026-11-27 01:10:01 H=(x) [203.0.113.251] F=<a@example.net> rejected RCPT <b@example.com>: relay not permitted
L
"$mb" test --json $now "$tmp/sol.log" > "$tmp/out"
check "test: Solaris's message ID, Sendmail" \
    grep -q '"line":1,"ip":"203.0.113.250","pattern":"sendmail-relay-denied"' "$tmp/out"
check "test: Solaris's message ID, then Exim's stamp" \
    grep -q '"line":2,"ip":"203.0.113.251","pattern":"exim-relay-denied"' "$tmp/out"

# a state file of an older schema (version 2: no reasons, no allow
# list, evidence, control or counters table) is brought to the current
# version, 5, by the first command that opens it for writing, its rows kept
python3 "$SRCDIR/test/report/mkstate.py" "$tmp/v2.db" many 3
"$mb" why -o "state=$tmp/v2.db" 10.0.0.1 > "$tmp/out"
check "why on a version-2 state file exits 0" [ $? -eq 0 ]
check "and shows its ban" grep -q "^  BANNED until .* ban 1, pattern postfix-rbl" "$tmp/out"
check "the file is at version 5 with the new tables and columns" python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA user_version").fetchone()[0] == 5
assert db.execute("SELECT count(*), min(reason) FROM bans").fetchone() == (3, "")
for t in ("allow", "evidence", "control", "journal_cursor", "counters"):
    db.execute("SELECT * FROM %s" % t)
assert "reason" in [r[1] for r in db.execute("PRAGMA table_info(ban_log)")]' "$tmp/v2.db"
"$mb" allow --list -o "state=$tmp/v2.db" > "$tmp/out"
check "allow --list on it: empty" grep -qx "0 entries in the allow list" "$tmp/out"

# why and allow --list on a crafted state file: never a control byte to
# the terminal
python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE bans SET host = ?, pattern = ? WHERE addr = ?", ("h\x1b[2Jx", "p\x07", "10.0.0.1"))
db.execute("INSERT INTO evidence(addr, time, pattern, score, line) VALUES(?, 1, ?, 3, ?)",
           ("10.0.0.1", "p\x1b]0;t\x07", "line\x1b[31mred"))
db.execute("INSERT INTO allow VALUES(?, 1, 0, ?)", ("192.0.2.0/24", "r\x1b[2J"))
db.commit()' "$tmp/v2.db"
"$mb" why -o "state=$tmp/v2.db" 10.0.0.1 > "$tmp/out"
check "why on a crafted state: no control byte" sh -c "! grep -q \"\$(printf '[\\001-\\010\\016-\\037\\033]')\" '$tmp/out'"
check "why: the host shown quoted" grep -q 'h\\x1b\[2Jx' "$tmp/out"
check "why: the evidence line shown quoted" grep -q 'line\\x1b\[31mred' "$tmp/out"
"$mb" allow --list -o "state=$tmp/v2.db" > "$tmp/out"
check "allow --list on a crafted state: no control byte" sh -c "! grep -q \"\$(printf '\\033')\" '$tmp/out'"

done_testing
