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
	case $_c:$_usage in
	help:"usage: mailban help [COMMAND]" | version:"usage: mailban version" | \
	    *:"usage: mailban $_c [-c FILE] "*) _rc=0 ;;
	*) _rc=1 ;;
	esac
	check "$_c $*: its synopsis ($_usage)" [ $_rc -eq 0 ]
	check "$_c $*: nothing on stdout" [ ! -s "$tmp/out" ]
}
for c in run test setup restore list status report ban unban flush allow \
    disallow why reload check help version; do
	case $c in
	run) takes='--omprog --require-credentials --journal
	    --journal-directory=x --since=0' ;;
	test) takes='--json --bans-only --now=0 --require-credentials --missed
	    --journal --journal-directory=x --since=0 --until=0 --verbose' ;;
	setup) takes='--print' ;;
	check) takes='--json --print' ;;
	list | why | unban | disallow) takes='--json' ;;
	status) takes='--json --prometheus' ;;
	report) takes='--html=x' ;;
	ban) takes='--json --for=1h --reason=x' ;;
	allow) takes='--json --for=1h --reason=x --list' ;;
	*) takes= ;;
	esac
	for o in --json --print --omprog --bans-only --now=0 --html=x \
	    --require-credentials --missed --journal --journal-directory=x --since=0 \
	    --until=0 --for=1h --reason=x --list --verbose --prometheus; do
		case " $(echo $takes) " in *" $o "*) continue ;; esac
		refused $c $o
		check "$c $o: the message names the command and the option ($msg)" \
		    [ "$msg" = "mailban: $c does not take ${o%%=*}" ]
	done
	refused $c --frobnicate
done
refused flush 192.0.2.1
refused unban
refused ban
refused ban 192.0.2.x
check "ban 192.0.2.x: says why ($msg)" \
    [ "$msg" = 'mailban: ban: "192.0.2.x" is not an IPv4 or IPv6 address or ADDR/LEN network' ]
refused ban 192.0.2.1 10.0.0.0/8
check "ban of a /8: wider than the widest network mailban bans ($msg)" \
    [ "$msg" = 'mailban: ban: 10.0.0.0/8: wider than a /24, the widest IPv4 network mailban bans (widen.ipv4 and prefix.ipv4); ban narrower networks' ]
refused ban 2001:db8::/32
check "ban of an IPv6 /32: wider than a /48 ($msg)" \
    [ "$msg" = 'mailban: ban: 2001:db8::/32: wider than a /48, the widest IPv6 network mailban bans (widen.ipv6 and prefix.ipv6); ban narrower networks' ]
refused ban 192.0.2.0/33
refused ban --for=soon 192.0.2.1
check "ban --for=soon: says why ($msg)" \
    [ "$msg" = 'mailban: ban: --for: "soon" is not a duration (30s, 10m, 1h, 2d, 1w)' ]
refused ban --reason="$(printf 'a\tb')" 192.0.2.1
refused allow
refused allow --list 192.0.2.1
refused allow --json --list 192.0.2.1
refused allow 192.0.2.0/33
refused disallow
refused disallow not-a-net
refused why
refused why 192.0.2.1 192.0.2.2
check "why with two addresses: says how many it takes ($msg)" \
    [ "$msg" = 'mailban: why: wrong number of arguments (ADDR|ADDR/LEN)' ]
refused why example.org
refused reload 192.0.2.1
refused check --json --print
refused version x
refused help frobnicate
refused help ban unban
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
grep -q '^usage: mailban test \[-c FILE\] \[-o NAME=VALUE\]\.\.\. \[--json\] \[--bans-only\] \[--now TIME\] \[--require-credentials\] \[--missed\] \[--journal\] \[--journal-directory DIR\] \[--since TIME\] \[--until TIME\] \[--verbose\] \[FILE\.\.\.\]$' "$tmp/out"
check "test --help: its synopsis on stdout" [ $? -eq 0 ]

# help COMMAND: the synopsis and every option the command takes, explained
"$mb" help ban > "$tmp/out"; check "help ban exits 0" [ $? -eq 0 ]
check "help ban: its synopsis first" [ "$(head -n 1 "$tmp/out")" = \
    'usage: mailban ban [-c FILE] [-o NAME=VALUE]... [--json] [--for DURATION] [--reason TEXT] ADDR|ADDR/LEN...' ]
for o in '-c FILE' '-o NAME=VALUE' '--for DURATION' '--reason TEXT'; do
	grep -q "^  $o  *[a-z]" "$tmp/out"; check "help ban explains $o" [ $? -eq 0 ]
done
for c in run test setup restore list status report ban unban flush allow \
    disallow why reload check help version; do
	"$mb" help $c > "$tmp/h" && "$mb" $c --help > "$tmp/s"
	check "help $c starts with what $c --help prints" \
	    [ "$(head -n 1 "$tmp/h")" = "$(cat "$tmp/s")" ]
	grep -q "^  $c " "$tmp/out" 2>/dev/null || "$mb" --help | grep -q "^  $c "
	check "--help lists $c" [ $? -eq 0 ]
done
# --version and version: one line, the project's version
v=$(sed -n "s/^  version : '\(.*\)',\$/\1/p" "$SRCDIR/meson.build")
check "--version prints mailban $v" [ "$("$mb" --version)" = "mailban $v" ]
check "version prints the same" [ "$("$mb" version)" = "mailban $v" ]

done_testing
