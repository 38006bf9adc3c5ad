#!/bin/bash
# The bash completion (completions/mailban) with bash-completion's own
# library: commands, each command's options as "mailban help COMMAND"
# lists them, the setting names after -o, commands after help.
set -u
. "$SRCDIR/test/lib.sh"
lib=/usr/share/bash-completion/bash_completion
[ -r "$lib" ] || skip "bash-completion not installed"
. "$lib"
. "$SRCDIR/completions/mailban"
# complete WORD...: COMPREPLY for the command line, the last word being
# completed, as one sorted line
complete_line() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_mailban "$MAILBAN" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

all=$(complete_line "$MAILBAN" "")
for c in run test setup restore list status report ban unban flush allow \
    disallow why reload check help version --version; do
	check "the commands include $c" has "$all" "$c"
done
check "a prefix completes: al -> allow" [ "$(complete_line "$MAILBAN" al)" = "allow " ]
opts=$(complete_line "$MAILBAN" ban -)
check "ban's options ($opts)" [ "$opts" = "--for --help --json --reason -c -o " ]
opts=$(complete_line "$MAILBAN" allow --)
check "allow's long options ($opts)" [ "$opts" = "--for --help --json --list --reason " ]
opts=$(complete_line "$MAILBAN" test --v)
check "test --v -> --verbose ($opts)" [ "$opts" = "--verbose " ]
names=$(complete_line "$MAILBAN" test -o "")
for n in threshold= window= bantimes= ignore= state= limits= report=; do
	check "-o completes the setting $n" has "$names" "$n"
done
check "-o thr -> threshold=" [ "$(complete_line "$MAILBAN" check -o thr)" = "threshold= " ]
check "help completes commands" [ "$(complete_line "$MAILBAN" help dis)" = "disallow " ]
done_testing
