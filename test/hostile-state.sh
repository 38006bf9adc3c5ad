#!/bin/sh
# What an attacker can put in front of the commands that read: a state
# file with log text full of terminal escapes and rows with numbers out of
# range (written here with Python's sqlite3, as anyone who can write the
# file could), and --now values that do not name a real time.
set -u
. "$SRCDIR/test/lib.sh"
mb=$MAILBAN
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
db=$tmp/state.db

python3 - "$db" <<'PY' || exit 1
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE bans (addr TEXT PRIMARY KEY NOT NULL, family, count,"
           " first_ban, last_ban, until, duration, pattern, score, host,"
           " changed, program)")
esc = "\x1b]0;owned\x07\x1b[2J\x1bc\r\n"
rows = [
    # log text with escapes that retitle, clear and reset a terminal
    ("192.0.2.1", 1, 100, "p" + esc, "mx" + esc),
    # a ban count of -1 (was listed as 4294967295 bans)
    ("192.0.2.2", -1, 100, "p", "mx"),
    # a score of -1
    ("192.0.2.3", 1, -1, "p", "mx"),
]
for ip, count, score, pattern, host in rows:
    db.execute("INSERT INTO bans VALUES (?, 4, ?, 1795000000, 1795000000,"
               " 4102444000, 3600, ?, ?, ?, 1795000000, 't')",
               (ip, count, pattern, score, host))
# a time of INT64_MIN
db.execute("INSERT INTO bans VALUES ('192.0.2.4', 4, 1, -9223372036854775808,"
           " -9223372036854775808, 4102444000, 3600, 'p', 5, 'mx', 0, 't')")
db.commit()
PY

"$mb" list -o "state=\"$db\"" > "$tmp/list" 2> "$tmp/err"
check "list exits 0" [ $? -eq 0 ]
check "list writes no control byte to the terminal" \
    sh -c "! LC_ALL=C grep -q '[[:cntrl:]]' '$tmp/list'"
check "list shows the escapes quoted" grep -q 'mx\\x1b\]0;owned\\x07' "$tmp/list"
check "list shows the sound row" grep -q '^192\.0\.2\.1 ' "$tmp/list"
check "a ban count of -1 is not listed" sh -c "! grep -q '192\.0\.2\.2\|4294967295' '$tmp/list'"
check "a negative score is not listed" sh -c "! grep -q '192\.0\.2\.3' '$tmp/list'"
check "a time of INT64_MIN is not listed" sh -c "! grep -q '192\.0\.2\.4' '$tmp/list'"
check "each skipped row is named on stderr" [ "$(grep -c 'skipping the row of 192\.0\.2\.[234]' "$tmp/err")" -eq 3 ]
check "1 active ban" grep -q '^1 active ban$' "$tmp/list"

"$mb" list --json -o "state=\"$db\"" > "$tmp/json" 2>/dev/null
check "list --json: the sound row only" [ "$(grep -c '"ip"' "$tmp/json")" -eq 1 ]
check "list --json escapes the text" grep -q '"host":"mx\\u001b\]0;owned\\u0007' "$tmp/json"

status_of() { "$mb" test --now "$1" /dev/null > /dev/null 2> "$tmp/now.err"; echo $?; }
for t in 9223372036854775807 4102444800 -1 2026-02-30T00:00:00Z \
    2026-13-01T00:00:00Z 2026-11-27T24:00:00Z 2026-11-27T12:00:60Z \
    2100-01-01T00:00:00Z ' 2026-11-27T12:00:00Z' 1969-12-31T23:59:59Z; do
	check "--now '$t' is a usage error" [ "$(status_of "$t")" = 2 ]
done
check "and says the range" grep -q 'not a time from 1970 to 2099' "$tmp/now.err"
for t in 2024-02-29T00:00:00Z 2099-12-31T23:59:59Z 4102444799 1 \
    2026-11-27T12:00:00Z; do
	check "--now '$t' is taken" [ "$(status_of "$t")" = 0 ]
done
done_testing
