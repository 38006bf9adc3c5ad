#!/bin/sh
# status --prometheus: Prometheus's text format 0.0.4 as its own parser
# reads it (test/promcheck.py, python3-prometheus-client): with no state
# file (every figure 0, every configured pattern listed), on an older
# file opened read-only (no counters table yet), with the counters a run
# kept, and with pattern names that hold what would break a label.
# metrics.file must be an absolute *.prom path.
set -u
. "$SRCDIR/test/lib.sh"
mb=$MAILBAN
py=$(readlink -f /usr/bin/python3)
"$py" -c 'import prometheus_client.parser' 2>/dev/null ||
	skip "python3-prometheus-client is not installed"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
chmod 700 "$tmp"
st=$tmp/state.db
prom() { "$py" "$SRCDIR/test/promcheck.py" "$@"; }
has() { grep -qxF "$1" "$tmp/samples"; }

"$mb" status --prometheus -o state="$st" > "$tmp/out"
check "no state file: exit 0" [ $? -eq 0 ]
prom "$tmp/out" > "$tmp/samples"
check "the parser reads it" [ $? -eq 0 ]
check "no state file is made" [ ! -e "$st" ]
check "active bans 0 per family" sh -c "grep -qxF 'mailban_bans_active{family=ipv4} 0' '$tmp/samples' && grep -qxF 'mailban_bans_active{family=ipv6} 0' '$tmp/samples'"
n=$("$mb" check --json | "$py" -c 'import json, sys; print(json.load(sys.stdin)["patterns"])')
check "every configured pattern has its matches ($n)" [ "$(grep -c '^mailban_pattern_matches_total{pattern=' "$tmp/samples")" -eq "$n" ]
check "and its bans" [ "$(grep -c '^mailban_pattern_bans_total{pattern=' "$tmp/samples")" -eq "$n" ]
for m in lines_read lines_malformed lines_overlong lines_untrusted lines_unmatched dnsbl_errors kernel_errors state_errors; do
	check "mailban_${m}_total is there, 0" has "mailban_${m}_total{} 0"
done
check "last commit 0: never" has "mailban_last_commit_timestamp_seconds{} 0"
check "not degraded" has "mailban_degraded{} 0"
check "13 families, each with its HELP and TYPE lines" sh -c "[ \$(grep -c '^# TYPE mailban_' '$tmp/out') -eq 13 ] && [ \$(grep -c '^# HELP mailban_' '$tmp/out') -eq 13 ]"

"$mb" status --prometheus --json -o state="$st" > /dev/null 2> "$tmp/err"
check "--prometheus with --json is a usage error (exit 2)" [ $? -eq 2 ]
"$mb" list --prometheus -o state="$st" > /dev/null 2>&1
check "list does not take --prometheus (exit 2)" [ $? -eq 2 ]

# a schema-3 file, read-only: what it has, no counters
"$py" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.close()' \
    "$st" "$SRCDIR/test/upgrade/schema-3.sql" || exit 1
"$mb" status --prometheus -o state="$st" > "$tmp/out"
check "an older file read-only: exit 0" [ $? -eq 0 ]
prom "$tmp/out" > "$tmp/samples"; check "the parser reads it" [ $? -eq 0 ]
check "its active bans (one IPv4 until 2100, the IPv6 one ended)" sh -c "grep -qxF 'mailban_bans_active{family=ipv4} 1' '$tmp/samples' && grep -qxF 'mailban_bans_active{family=ipv6} 0' '$tmp/samples'"
check "the file is not migrated by a reader" [ "$("$py" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$st")" = 3 ]

# counters as a run keeps them, and names that would break a label
"$mb" why -o state="$st" 192.0.2.7 > /dev/null 2>&1 # migrates it
"$py" - "$st" <<'PY' || exit 1
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = [("lines", "", 1234), ("malformed", "", 5), ("untrusted", "", 3),
        ("unmatched", "", 2), ("kernel_errors", "", 1), ("state_errors", "", 4),
        ("last_commit", "", 1795000000),
        ("matches", "postfix-sasl", 40), ("bans", "postfix-sasl", 2),
        ("bans", "manual", 7),
        ("matches", 'we"ird\\name\nx', 9), ("matches", "bad", -5)]
c.executemany("INSERT INTO counters VALUES (?, ?, ?)", rows)
c.commit()
PY
"$py" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("INSERT INTO health VALUES (1, 1795000000, 1795000060, ?, 0, 0)", ("the kernel cannot be reached",)); c.commit()' "$st"
"$mb" status --prometheus -o state="$st" > "$tmp/out"
check "with counters: exit 0" [ $? -eq 0 ]
prom "$tmp/out" > "$tmp/samples"; check "the parser reads it" [ $? -eq 0 ]
check "lines read" has "mailban_lines_read_total{} 1234"
check "malformed" has "mailban_lines_malformed_total{} 5"
check "untrusted" has "mailban_lines_untrusted_total{} 3"
check "unmatched" has "mailban_lines_unmatched_total{} 2"
check "kernel errors" has "mailban_kernel_errors_total{} 1"
check "state errors" has "mailban_state_errors_total{} 4"
check "last commit" has "mailban_last_commit_timestamp_seconds{} 1795000000"
check "a run that reports itself degraded" has "mailban_degraded{} 1"
check "matches per pattern" has "mailban_pattern_matches_total{pattern=postfix-sasl} 40"
check "bans per pattern" has "mailban_pattern_bans_total{pattern=postfix-sasl} 2"
check "bans by hand, a pattern of their own" has "mailban_pattern_bans_total{pattern=manual} 7"
check "a name with a quote, a backslash and a new line stays one label" \
    grep -qF 'mailban_pattern_matches_total{pattern=we"ird\name' "$tmp/samples"
check "written escaped" grep -qF 'mailban_pattern_matches_total{pattern="we\"ird\\name\nx"} 9' "$tmp/out"
check "a negative count is no counter: skipped" sh -c "! grep -q 'pattern=\"bad\"' '$tmp/out'"

# metrics.file: an absolute *.prom path, or ""
for f in relative.prom /tmp/mailban.txt /tmp/.prom; do
	"$mb" check -o "metrics={file=\"$f\";}" > /dev/null 2> "$tmp/err"
	check "metrics.file $f is refused (exit 2)" [ $? -eq 2 ]
done
check "and says what it must be" grep -q 'metrics.file: an absolute path ending in ".prom"' "$tmp/err"
"$mb" check -o 'metrics={file="/var/lib/mailban/metrics/mailban.prom";every="15s";}' > /dev/null
check "an absolute *.prom path is taken" [ $? -eq 0 ]
"$mb" check -o 'metrics={every="2h";}' > /dev/null 2>&1
check "metrics.every above 1h is refused" [ $? -eq 2 ]

done_testing
