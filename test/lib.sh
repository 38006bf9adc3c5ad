# Shared helpers for the shell tests: counters, checks, skip handling.
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
# (its own variable name: callers' variables stay untouched)
check() {
	_check_what=$1
	shift
	if "$@"; then ok "$_check_what"; else not_ok "$_check_what"; fi
}

# skip REASON: exit 77, or fail when MAILBAN_NO_SKIP=1 (CI)
skip() {
	echo "skip: $*"
	if [ "${MAILBAN_NO_SKIP:-}" = 1 ]; then
		echo "MAILBAN_NO_SKIP=1: a skip is a failure"
		exit 1
	fi
	exit 77
}

done_testing() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
