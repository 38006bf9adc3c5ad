#!/bin/sh
# The options each command takes: any other, an unknown one, a missing
# argument or a wrong number of arguments is a usage error (exit 2) that
# names the command and prints its synopsis, before anything runs; nothing
# on stdout.  The list of what each command takes is written here again on
# purpose: it is the contract main.c's table must keep.
set -u
. "$SRCDIR/test/lib.sh"
mb=$MAILBAN
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

refused() { # COMMAND ARG...; the message is left in $msg (builtins only:
	# one process a case)
	_c=$1
	"$mb" "$@" < /dev/null > "$tmp/out" 2> "$tmp/err"
	_rc=$?
	shift
	msg= _usage=
	{ IFS= read -r msg; IFS= read -r _usage; } < "$tmp/err"
	check "$_c $*: exit 2 ($_rc)" [ $_rc -eq 2 ]
	case $_usage in "usage: mailban $_c [-c FILE] "*) _rc=0 ;; *) _rc=1 ;; esac
	check "$_c $*: its synopsis ($_usage)" [ $_rc -eq 0 ]
	check "$_c $*: nothing on stdout" [ ! -s "$tmp/out" ]
}
for c in run test setup restore list status report unban flush check; do
	case $c in
	run) takes='--omprog --require-credentials' ;;
	test) takes='--json --bans-only --now=0 --require-credentials' ;;
	setup | check) takes='--print' ;;
	list | status) takes='--json' ;;
	report) takes='--html=x' ;;
	*) takes= ;;
	esac
	for o in --json --print --omprog --bans-only --now=0 --html=x \
	    --require-credentials; do
		case " $takes " in *" $o "*) continue ;; esac
		refused $c $o
		check "$c $o: the message names the command and the option ($msg)" \
		    [ "$msg" = "mailban: $c does not take ${o%%=*}" ]
	done
	refused $c --frobnicate
done
refused flush 192.0.2.1
refused unban
refused test --now=yesterday
refused test --now
"$mb" test --help > "$tmp/out"; check "test --help exits 0" [ $? -eq 0 ]
grep -q '^usage: mailban test \[-c FILE\] \[-o NAME=VALUE\]\.\.\. \[--json\] \[--bans-only\] \[--now TIME\] \[--require-credentials\] \[FILE\.\.\.\]$' "$tmp/out"
check "test --help: its synopsis on stdout" [ $? -eq 0 ]

done_testing
