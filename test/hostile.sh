#!/bin/sh
# Bad input never crashes, hangs or grows memory: garbage, NUL bytes,
# invalid UTF-8, over-long lines, empty input, no final newline.
set -u
. "$SRCDIR/test/lib.sh"
mb=$MAILBAN
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
now=--now=2026-11-27T12:00:00Z
attack='2026-11-27T01:00:00+00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.9; from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<x>'

summary() { tail -n 1 "$tmp/out"; }
field() { summary | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

: > "$tmp/empty"
"$mb" test --json $now "$tmp/empty" > "$tmp/out"
check "empty input exits 0" [ $? -eq 0 ]
check "empty input: 0 lines" [ "$(field lines)" = 0 ]

printf '%s' "$attack" > "$tmp/nonl"
"$mb" test --json $now "$tmp/nonl" > "$tmp/out"
check "last line without newline still matches" [ "$(field bans)" = 1 ]

# NUL bytes inside and before a line, invalid UTF-8 around it
printf 'Nov 27 01:02:03 mx postfix/smtpd[1]: \000\000 NOQUEUE\n\377\376\375 bytes\n%s\n\300\200\n' "$attack" > "$tmp/nul"
"$mb" test --json $now "$tmp/nul" > "$tmp/out"
check "NUL/invalid UTF-8 input exits 0" [ $? -eq 0 ]
check "NUL/invalid UTF-8: 4 lines" [ "$(field lines)" = 4 ]
check "NUL/invalid UTF-8: the attack still bans" [ "$(field bans)" = 1 ]

# an over-long line (1 MiB, no newline until the end) and then the attack
python3 -c "import sys; sys.stdout.write('x' * (1 << 20) + '\n')" > "$tmp/long"
printf '%s\n' "$attack" >> "$tmp/long"
"$mb" test --json $now "$tmp/long" > "$tmp/out"
check "over-long line counted" [ "$(field overlong)" = 1 ]
check "over-long line: 2 lines" [ "$(field lines)" = 2 ]
check "the line after an over-long line is intact" [ "$(field bans)" = 1 ]

# an over-long attack line: its tail never becomes a line of its own
python3 -c "
import sys
pad = 'A' * 20000
sys.stdout.write('Nov 27 01:02:03 mx postfix/smtpd[1]: ' + pad + ' $attack\n')" > "$tmp/tail"
"$mb" test --json $now "$tmp/tail" > "$tmp/out"
check "tail of an over-long line is not a line" [ "$(field lines)" = 1 ] && check "and bans nothing" [ "$(field bans)" = 0 ]

# 20 MB of seeded random bytes: no crash, bounded memory
python3 -c "
import random, sys
r = random.Random(42)
out = sys.stdout.buffer
for i in range(20):
    out.write(bytes(r.getrandbits(8) for _ in range(1 << 20)))
" > "$tmp/garbage"
/usr/bin/time -f '%M' -o "$tmp/rss" "$mb" test --json $now "$tmp/garbage" > "$tmp/out" 2> "$tmp/err"
check "random bytes exit 0" [ $? -eq 0 ]
rss=$(tail -n 1 "$tmp/rss")
echo "peak RSS on 20 MB of garbage: ${rss} KiB"
check "random bytes: memory bounded (< 64 MiB)" [ "${rss:-999999}" -lt 65536 ]

# garbage lines that look almost like MTA lines
python3 -c "
import random
r = random.Random(7)
base = '''$attack'''
for i in range(20000):
    b = bytearray(base, 'ascii')
    for _ in range(r.randint(1, 8)):
        b[r.randrange(len(b))] = r.getrandbits(8)
    print(b.decode('latin-1').replace('\n', ' '))
" > "$tmp/mutants"
"$mb" test --json $now "$tmp/mutants" > "$tmp/out" 2> "$tmp/err"
check "mutated attack lines exit 0" [ $? -eq 0 ]
check "mutated lines: all counted" [ "$(field lines)" -ge 20000 ]
# every reported address is a literal address
bad=$(grep '"event":"match"' "$tmp/out" | sed -n 's/.*"ip":"\([^"]*\)".*/\1/p' | grep -cv '^[0-9a-f:.]*$')
check "only literal addresses reported" [ "$bad" -eq 0 ]
# a journal JSON line whose array holds an element that is nothing
# ("[\"1\",}]") once made the reader loop for ever: now it is malformed
printf '{"MESSAGE":"x","_PID":["1",}]}\n' > "$tmp/jsonloop"
timeout 10 "$mb" test --json $now "$tmp/jsonloop" > "$tmp/out"
check "a JSON array with an empty element ends (exit $?)" [ $? -eq 0 ]
check "and is counted malformed" grep -q '"malformed":1,' "$tmp/out"
done_testing
