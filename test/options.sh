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
	run) takes='--omprog --require-credentials --journal
	    --journal-directory=x --since=0' ;;
	test) takes='--json --bans-only --now=0 --require-credentials --missed
	    --journal --journal-directory=x --since=0 --until=0' ;;
	setup | check) takes='--print' ;;
	list | status) takes='--json' ;;
	report) takes='--html=x' ;;
	*) takes= ;;
	esac
	for o in --json --print --omprog --bans-only --now=0 --html=x \
	    --require-credentials --missed --journal --journal-directory=x --since=0 \
	    --until=0; do
		case " $(echo $takes) " in *" $o "*) continue ;; esac
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
# the journal's options go with --journal, and --journal with no other input
refused test --since=0
check "--since without --journal ($msg)" \
    [ "$msg" = "mailban: test: --journal-directory, --since and --until go with --journal" ]
refused test --journal-directory=/nonexistent
refused run --journal --omprog
check "--journal with --omprog ($msg)" \
    [ "$msg" = "mailban: run: --journal reads the journal, --omprog reads rsyslog: one or the other" ]
refused test --journal x.log
refused test --journal --since=yesterday
refused test --journal --until=-3x
"$mb" test --help > "$tmp/out"; check "test --help exits 0" [ $? -eq 0 ]
grep -q '^usage: mailban test \[-c FILE\] \[-o NAME=VALUE\]\.\.\. \[--json\] \[--bans-only\] \[--now TIME\] \[--require-credentials\] \[--missed\] \[--journal\] \[--journal-directory DIR\] \[--since TIME\] \[--until TIME\] \[FILE\.\.\.\]$' "$tmp/out"
check "test --help: its synopsis on stdout" [ $? -eq 0 ]

done_testing
