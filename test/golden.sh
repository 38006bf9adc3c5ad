#!/bin/sh
# Golden files: for each DIR/NAME.log, `mailban test --json` must print
# exactly DIR/NAME.json.  DIR/NAME.args, when present, holds extra
# arguments (one per line, e.g. -o and a setting).  MAILBAN_UPDATE_GOLDEN=1
# rewrites the expected files instead (review the diff before committing).
set -u
mailban=$1
dir=$2
now=2026-11-27T12:00:00Z
pass=0 fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

for log in "$dir"/*.log; do
	name=$(basename "$log" .log)
	set --
	if [ -f "$dir/$name.args" ]; then
		while IFS= read -r a; do
			[ -n "$a" ] && set -- "$@" "$a"
		done < "$dir/$name.args"
	fi
	TZ=UTC "$mailban" test --json --now "$now" "$@" "$log" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ "${MAILBAN_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$tmp/out" "$dir/$name.json"
	fi
	if [ $rc -eq 0 ] && cmp -s "$tmp/out" "$dir/$name.json"; then
		pass=$((pass + 1))
		echo "ok - $name"
	else
		fail=$((fail + 1))
		echo "not ok - $name (exit $rc)"
		cat "$tmp/err"
		diff -u "$dir/$name.json" "$tmp/out" | head -40
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
