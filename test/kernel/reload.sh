#!/bin/sh
# mailban run reloads, on SIGHUP, the same set of files it started with:
# the main file and its drop-ins, the directory read again (a drop-in
# added since the start counts, one removed no longer does); a broken
# drop-in keeps the running configuration and is reported as FILE:LINE.
set -u
. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/kernel/netns.sh"
mb=$MAILBAN
conf=$tmp/mailban.conf
sed "s|^state .*|state = \"$tmp/state.db\";|" "$SRCDIR/etc/mailban.conf" > "$conf"
mkdir "$conf.d"
srv "$mb" setup -c "$conf" || exit 1
npatterns() { "$mb" check -c "$conf" | sed -n 's/.*: OK, \([0-9]*\) patterns$/\1/p'; }
all=$(npatterns)

# dnsbl_line ADDR: a postscreen DNSBL line naming ADDR (bans at once,
# through another pattern than rbl_line's postfix-rbl)
dnsbl_line() {
	printf '%s mx1 postfix/postscreen[77]: DNSBL rank 5 for [%s]:41234\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$1"
}
banned() { in_set mailban4 "$1,tcp:25"; }
reloads() { grep -c "$1" "$tmp/err"; }

mkfifo "$tmp/in"
ip netns exec "$SRV" "$mb" run -c "$conf" < "$tmp/in" 2> "$tmp/err" &
run_pid=$!
exec 7> "$tmp/in"

rbl_line 198.51.100.1 >&7
check "before the reload, postfix-rbl bans" wait_for 10 banned 198.51.100.1

# a drop-in added after the start: read by the reload
printf 'patterns = ( { name = "postfix-rbl"; enabled = false; } );\n' \
    > "$conf.d/50-local.conf"
less=$(npatterns)
check "the drop-in takes a pattern out ($all, $less)" [ "$less" -eq $((all - 1)) ]
kill -HUP "$run_pid"
check "SIGHUP reloads the file and the new drop-in" \
    wait_for 10 grep -q "reloaded $conf: $less patterns" "$tmp/err"
rbl_line 198.51.100.2 >&7
dnsbl_line 198.51.100.3 >&7
check "another pattern still bans" wait_for 10 banned 198.51.100.3
check "the pattern the drop-in disabled bans no more" not_in_set mailban4 "198.51.100.2,tcp:25"

# a broken drop-in: the running configuration stays, FILE:LINE reported
printf 'threshold = 5;\nthreshold = ;\n' > "$conf.d/60-bad.conf"
kill -HUP "$run_pid"
check "a broken drop-in is reported as FILE:LINE" \
    wait_for 10 grep -q "reload: $conf.d/60-bad.conf:2: .*keeping the running configuration" "$tmp/err"
rbl_line 198.51.100.4 >&7
dnsbl_line 198.51.100.5 >&7
check "and the running configuration stays" wait_for 10 banned 198.51.100.5
check "(the disabled pattern still off)" not_in_set mailban4 "198.51.100.4,tcp:25"

# both drop-ins removed: the main file alone again
rm "$conf.d/50-local.conf" "$conf.d/60-bad.conf"
n=$(reloads "reloaded $conf: $all patterns")
kill -HUP "$run_pid"
check "a reload without the drop-ins has every pattern again" \
    wait_for 10 sh -c "[ \$(grep -c 'reloaded $conf: $all patterns' '$tmp/err') -gt $n ]"
rbl_line 198.51.100.6 >&7
check "postfix-rbl bans again" wait_for 10 banned 198.51.100.6

exec 7>&-
wait "$run_pid"
check "run exits 0 at EOF ($?)" [ $? -eq 0 ]
done_testing
