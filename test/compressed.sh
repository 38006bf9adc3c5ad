#!/bin/sh
# Rotated logs: test reads gzip files directly (one or several members)
# with the same answers as the plain file, says where a gzip file is cut
# or corrupt (the lines before it are read), and names a compression it
# cannot read instead of counting its bytes as malformed lines.
set -u
. "$SRCDIR/test/lib.sh"
mb=$MAILBAN
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
now=--now=2026-11-27T12:00:00Z
log=$SRCDIR/test/golden/sample.log
field() { tail -n 1 "$tmp/out" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

"$mb" test --json $now "$log" > "$tmp/plain"
check "the plain log is read" [ $? -eq 0 ]
python3 -c "
import gzip, sys
data = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(gzip.compress(data))
half = len(data) // 2
open(sys.argv[3], 'wb').write(gzip.compress(data[:half]) + gzip.compress(data[half:]))
z = gzip.compress(data)
open(sys.argv[4], 'wb').write(z[:len(z) * 2 // 3])
bad = bytearray(z)
bad[len(bad) // 2] ^= 0xff
open(sys.argv[5], 'wb').write(bytes(bad))
import bz2, lzma
open(sys.argv[6], 'wb').write(bz2.compress(data))
open(sys.argv[7], 'wb').write(lzma.compress(data))
" "$log" "$tmp/mail.log.1.gz" "$tmp/two.gz" "$tmp/cut.gz" "$tmp/bad.gz" \
    "$tmp/mail.log.bz2" "$tmp/mail.log.xz"

"$mb" test --json $now "$tmp/mail.log.1.gz" > "$tmp/out" 2> "$tmp/err"
check "a gzip file exits 0" [ $? -eq 0 ]
cmp -s "$tmp/plain" "$tmp/out"; check "a gzip file: the plain file's answers" [ $? -eq 0 ]
"$mb" test --json $now "$tmp/two.gz" > "$tmp/out" 2> "$tmp/err"
cmp -s "$tmp/plain" "$tmp/out"; check "two gzip members: the same answers" [ $? -eq 0 ]

"$mb" test --json $now "$tmp/cut.gz" > "$tmp/out" 2> "$tmp/err"
check "a cut gzip file exits 1" [ $? -eq 1 ]
grep -q "cut.gz: compressed data cut short; the lines before it were read" "$tmp/err"
check "a cut gzip file is named" [ $? -eq 0 ]
check "a cut gzip file: its first lines are read" [ "$(field lines)" -gt 10 ]
check "a cut gzip file: no malformed line" [ "$(field malformed)" = 0 ]
"$mb" test --json $now "$tmp/bad.gz" > "$tmp/out" 2> "$tmp/err"
check "a corrupt gzip file exits 1" [ $? -eq 1 ]
grep -q "bad.gz: corrupt gzip data" "$tmp/err"; check "a corrupt gzip file is named" [ $? -eq 0 ]

for k in bz2:bzip2 xz:xz; do
	ext=${k%%:*} name=${k#*:}
	"$mb" test --json $now "$tmp/mail.log.$ext" "$log" > "$tmp/out" 2> "$tmp/err"
	check "$name: exits 1" [ $? -eq 1 ]
	grep -q "mail.log.$ext: compressed with $name, which mailban cannot read" "$tmp/err"
	check "$name: said so" [ $? -eq 0 ]
	check "$name: no garbage lines, the next file read" \
	    [ "$(field malformed)" = 0 ] && [ "$(field lines)" = 58 ]
done
done_testing
