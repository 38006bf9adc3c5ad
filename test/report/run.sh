#!/bin/sh
# mailban run writes report.html: at start, again after committed bans (at
# most once per report.every), and a page that cannot be written is a
# warning, never a stop.  Real sets in a network namespace.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
mb=$MAILBAN
page=$tmp/www/mailban.html
mkdir "$tmp/www"
run_user_owns "$tmp/www"

rm -f "$tmp/fifo"
mkfifo "$tmp/fifo"
ip netns exec "$SRV" "$mb" run -o "state=$tmp/run.db" \
    -o "report={html=\"$page\"; every=\"1s\";}" < "$tmp/fifo" 2> "$tmp/run.err" &
live=$!
exec 7> "$tmp/fifo"

check "the page is written at start" wait_for 5 test -s "$page"
check "with no bans yet" grep -q '<span id="total">0</span> active bans' "$page"
rbl_line 203.0.113.71 >&7
rbl_line 2001:db8::71 >&7
check "after a committed batch the page lists both bans (IPv6 as its /64)" wait_for 5 sh -c \
    "grep -q '>203.0.113.71<' '$page' && grep -q '>2001:db8::/64<' '$page'"
check "a network has no lookup link (a DNSBL lists addresses)" \
    sh -c "! grep -q 'lookup/2001:db8::' '$page'"
check "with the lookup link (postfix-rbl is a DNSBL pattern)" \
    grep -q 'href="https://multirbl.valli.org/lookup/203.0.113.71.html"' "$page"
check "the bans are in the kernel" in_set mailban4 "203.0.113.71,tcp:25"
# the page's directory goes away: warnings, enforcement goes on
mv "$tmp/www" "$tmp/www.gone"
rbl_line 203.0.113.72 >&7
check "a failed page write is reported" wait_for 5 grep -q "report $page" "$tmp/run.err"
check "and the ban still reaches the kernel" wait_for 5 in_set mailban4 "203.0.113.72,tcp:25"
check "mailban run is still running" kill -0 $live
mv "$tmp/www.gone" "$tmp/www"
check "the page is written again once it can be" wait_for 5 grep -q '>203.0.113.72<' "$page"
check "no temporary files left" [ "$(ls -A "$tmp/www" | wc -l)" -eq 1 ]
# a ban lifted by another process leaves the page too
srv "$mb" unban -o "state=$tmp/run.db" 203.0.113.72 >/dev/null
check "an unban by another process reaches the page" wait_for 5 sh -c \
    "! grep -q '>203.0.113.72<' '$page'"
exec 7>&-
wait $live
check "mailban run exits 0" [ $? -eq 0 ]

done_testing
