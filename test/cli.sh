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
done_testing
