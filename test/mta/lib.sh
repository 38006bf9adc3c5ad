# Shared by the real-MTA tests (test/mta/*.sh, bash):
#   - the server and client network namespaces of test/kernel/netns.sh
#     (server 203.0.113.1; clients 203.0.113.2 listed on the DNSBL,
#     203.0.113.3 listed and in mailban's ignore list, 203.0.113.4 not
#     listed: the password guesser);
#   - MTA packages extracted (apt-get download + dpkg -x) into a private
#     root cached in the build tree, never installed on the machine;
#   - rbldnsd serving bl.mailban.test in the server namespace;
#   - a private rsyslogd (imuxsock on a private socket, no system socket,
#     with its writers' credentials) writing the mail facility to a file
#     and, with the shipped snippet's template, to `mailban run --omprog
#     --require-credentials` under the shipped trust rules;
#   - every daemon started in a private mount namespace (inns.sh) where
#     /dev/log is that socket, /etc/resolv.conf points at rbldnsd, the
#     MTA's package is overlaid on /usr (so that it runs from the paths
#     Debian installs it at, which the trust rules name) and the MTA's
#     users have Debian's names (rsyslogd and mailban run there too).
# Everything started is stopped by the EXIT trap, also on failure.
# MTA_DEBUG=DIR traces the test with timestamps and keeps a copy of its
# files (configurations, logs, swaks transcripts) in DIR.

. "$SRCDIR/test/lib.sh"
. "$SRCDIR/test/daemons.sh"
. "$SRCDIR/test/kernel/netns.sh"
. "$SRCDIR/test/debroot.sh"

# netns.sh listens on 25 and 2525 itself: the MTA takes both ports here.
# (srv ran it in a subshell: end what runs in the namespace)
ip netns pids "$SRV" | xargs -r kill 2>/dev/null
wait "$listener_pid" 2>/dev/null
listener_pid=

L4=203.0.113.2   # listed on the DNSBL
I4=203.0.113.3   # listed, and in mailban's ignore list
G4=203.0.113.4   # not listed: guesses passwords
E4=203.0.113.5   # answered by a DNSBL that refuses the server's queries
ip -n "$CLI" addr add $I4/24 dev mbv-c$$
ip -n "$CLI" addr add $G4/24 dev mbv-c$$
ip -n "$CLI" addr add $E4/24 dev mbv-c$$
ZONE=bl.mailban.test
EZONE=err.mailban.test   # answers 127.255.255.254 (Spamhaus's "open resolver")
DOMAIN=mailban.test
PASSWORD=Corr3ct-Horse

mb=$MAILBAN
cache=$(dirname "$MAILBAN")/test/mta-root
for c in rbldnsd rsyslogd swaks unshare; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
perl -MIO::Socket::INET6 -e 1 2>/dev/null ||
    skip "swaks needs IO::Socket::INET6 for IPv6 (libio-socket-inet6-perl)"

chmod 755 "$tmp"   # unprivileged MTA processes read their files here
ns=$tmp/ns         # what inns.sh puts in place
mkdir -p "$ns" "$tmp/rs"
: > "$ns/binds"
: > "$ns/overlays"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:2\n' > "$ns/resolv.conf"
printf '127.0.0.1 localhost\n203.0.113.1 mx.mailban.test mx\n' > "$ns/hosts"
cp /etc/passwd "$ns/passwd"
cp /etc/group "$ns/group"
chmod 644 "$ns"/*

mta_pids=
# ns_idle: what the test started has ended, nothing runs in its namespaces
ns_idle() {
	for p in $mta_pids; do gone "$p" || return 1; done
	[ -z "$({ ip netns pids "$SRV"; ip netns pids "$CLI"; } 2>/dev/null)" ]
}
mta_cleanup() {
	for p in $mta_pids; do kill "$p" 2>/dev/null; done
	ip netns pids "$CLI" 2>/dev/null | xargs -r kill 2>/dev/null
	wait_for 3 ns_idle 2>/dev/null
	# whatever still runs in the test's own namespaces
	{ ip netns pids "$SRV"; ip netns pids "$CLI"; } 2>/dev/null | xargs -r kill -9 2>/dev/null
	if [ -n "${MTA_DEBUG:-}" ]; then
		rm -rf "$MTA_DEBUG"
		cp -a "$tmp" "$MTA_DEBUG" 2>/dev/null
	fi
	cleanup   # netns.sh: namespaces and $tmp
}
trap mta_cleanup EXIT
if [ -n "${MTA_DEBUG:-}" ]; then
	PS4='+ $(date +%T.%N | cut -c1-12) '
	set -x
fi

# add_user NAME UID GROUP GID: a user that exists inside inns.sh only
# (in place of one of that name the machine may have)
add_user() {
	sed -i "/^$1:/d" "$ns/passwd"
	grep -q "^$3:" "$ns/group" || echo "$3:x:$4:" >> "$ns/group"
	echo "$1:x:$2:$4::/nonexistent:/usr/sbin/nologin" >> "$ns/passwd"
}

# overlay LOWER DST: LOWER's files appear under DST inside inns.sh
overlay() { echo "$1 $2" >> "$ns/overlays"; }

# bind SRC DST: one more bind mount inside inns.sh
bind() { echo "$1 $2" >> "$ns/binds"; }

# inns COMMAND... &: run in the server network namespace, private mounts;
# only in the background (it execs: $! is then the daemon's own pid)
inns() {
	exec ip netns exec "$SRV" unshare --mount --uts --propagation private \
	    sh "$SRCDIR/test/mta/inns.sh" "$ns" "$@"
}

# fetch NAME CHECK... -- PACKAGE...: extract PACKAGEs and everything they
# need that the machine lacks into $cache/NAME once (test/debroot.sh);
# the ELF files CHECK (paths inside the root; a directory: the files in
# it) must find every library before anything starts.  Sets ROOT and
# LIBPATH.
fetch() {
	name=$1
	shift
	ROOT=$cache/$name
	mkdir -p "$cache"
	debroot_ready "$ROOT" "$@"
	LIBPATH=$DEBROOT_LIBPATH
	chmod 755 "$cache" "$ROOT"
}

# count_log REGEX: lines of the captured mail log that match
count_log() { grep -cE -- "$1" "$tmp/mail.log" 2>/dev/null || true; }
log_has() { [ "$(count_log "$2")" -ge "$1" ]; }   # log_has N REGEX

# start_dns: rbldnsd answers for bl.mailban.test on 127.0.0.1 (server
# namespace) and lists 203.0.113.2, 203.0.113.3 and 2001:db8:1::2; for
# err.mailban.test it answers 203.0.113.5 with 127.255.255.254, a DNSBL's
# error answer, without a text.
start_dns() {
	mkdir -p "$tmp/dns"
	printf ':127.255.255.254:\n%s\n' $E4 > "$tmp/dns/zone-err"
	printf ':127.0.0.2:Listed by the mailban test DNSBL, see http://%s/?$\n%s\n%s\n' \
	    "$ZONE" $L4 $I4 > "$tmp/dns/zone"
	printf ':127.0.0.2:Listed by the mailban test DNSBL, see http://%s/?$\n%s/128\n' \
	    "$ZONE" $C6 > "$tmp/dns/zone6"
	chmod -R a+rX "$tmp/dns"
	inns rbldnsd -n -q -u rbldns -b 127.0.0.1/53 -w "$tmp/dns" \
	    "$ZONE:ip4set:zone" "$ZONE:ip6trie:zone6" "$EZONE:ip4set:zone-err" \
	    > "$tmp/rbldnsd.out" 2>&1 &
	mta_pids="$mta_pids $!"
	wait_for 5 srv_has_udp 53 || { cat "$tmp/rbldnsd.out"; echo "rbldnsd did not start"; exit 1; }
}
srv_has_udp() { srv ss -Hlnu "sport = :$1" | grep -q .; }
srv_has_tcp() { srv ss -Hlnt "sport = :$1" | grep -q .; }

# start_syslog: the test's own rsyslogd, in inns.sh's namespace (mailban
# resolves the MTA's users there); mail.* goes to $tmp/mail.log and
# through omprog (confirmMessages), with the shipped snippet's template
# (the writer's credentials first), to mailban run --omprog
# --require-credentials under the shipped trust rules.  The ignore list
# is the default plus the ignored client.
start_syslog() {
	mbstate=$tmp/state.db
	# Inside a chroot the kernel names an executable read across mount
	# namespaces with the chroot's path in front (exe_prefix, daemons.sh):
	# there the shipped rules are given each path that way too.
	trust_ov=
	xp=$(exe_prefix)
	if [ -n "$xp" ]; then
		trust_ov=$(python3 - "$SRCDIR/etc/mailban.conf" "$xp" <<'PY'
import re, sys
text, xp = open(sys.argv[1]).read(), sys.argv[2]
block = re.search(r'^trust\s*=\s*(\(.*?\n\);)', text, re.S | re.M).group(1)
block = re.sub(r'exe = "([^"]*)"', lambda m: 'exe = [ "%s", "%s%s" ]' % (m.group(1), xp, m.group(1)), block)
print("-o 'trust=" + " ".join(block.rstrip(";").split()) + "'")
PY
)
	fi
	cat > "$tmp/mailban-omprog" <<EOF
#!/bin/sh
exec "$mb" run --omprog --require-credentials -o 'state="$mbstate"' -o 'ignore=["127.0.0.0/8", "::1/128", "$I4/32"]' $trust_ov 2>> "$tmp/mailban.err"
EOF
	chmod 755 "$tmp/mailban-omprog"
	cat > "$tmp/rsyslog.conf" <<EOF
global(workDirectory="$tmp/rs" processInternalMessages="on")
module(load="imuxsock" SysSock.Use="off")
module(load="omprog")
input(type="imuxsock" Socket="$ns/log.sock" RateLimit.Interval="0"
    Annotate="on" ParseTrusted="on")
$(sed -n '/^template(name="mailban-cred"/,/")$/p' "$SRCDIR/rsyslog.d/60-mailban.conf")
mail.* action(type="omfile" file="$tmp/mail.log" template="RSYSLOG_FileFormat")
mail.* action(type="omfile" file="$tmp/mailban.in" template="mailban-cred")
mail.* action(type="omprog" name="mailban" binary="$tmp/mailban-omprog"
    template="mailban-cred" confirmMessages="on" confirmTimeout="10000"
    queue.type="LinkedList" action.resumeRetryCount="-1"
    action.resumeInterval="1")
*.* action(type="omfile" file="$tmp/all.log" template="RSYSLOG_FileFormat")
EOF
	grep -q '^template(name="mailban-cred"' "$tmp/rsyslog.conf" ||
	    { echo "no credential template in rsyslog.d/60-mailban.conf"; exit 1; }
	inns rsyslogd -n -f "$tmp/rsyslog.conf" -i "$tmp/rs/rsyslogd.pid" \
	    > "$tmp/rsyslogd.out" 2>&1 &
	syslog_pid=$!
	mta_pids="$mta_pids $syslog_pid"
	wait_for 10 test -S "$ns/log.sock" || { cat "$tmp/rsyslogd.out"; echo "rsyslogd did not start"; exit 1; }
	chmod 666 "$ns/log.sock"
}

# stop_syslog: rsyslogd ends, and with it mailban (EOF on its stdin)
stop_syslog() {
	kill "$syslog_pid"
	wait "$syslog_pid" 2>/dev/null
	rm -f "$ns/log.sock"
}

# mailban_setup: sets and rules in the server namespace
mailban_setup() {
	srv "$mb" setup -o "state=\"$tmp/state.db\"" > "$tmp/setup.out" 2>&1 ||
	    { cat "$tmp/setup.out"; exit 1; }
}

# client ADDR SWAKS-ARGS...: swaks from ADDR to the server's port 25
client() {
	a=$1
	shift
	ip netns exec "$CLI" swaks --server $S4 --local-interface "$a" \
	    --timeout "${SWAKS_TIMEOUT:-8}" --helo client.example.net --from sender@example.net "$@"
}

banned() { in_set mailban4 "$1,tcp:25"; }
not_banned() { ! banned "$1"; }

# expect_ban ADDR WHAT: ADDR lands in the set, then its next connect to 25
# times out while 2525 still answers (port policy).
expect_ban() {
	check "$2: $1 banned" wait_for 10 banned "$1"
	check "$2: $1 cannot connect to port 25" cannot_connect $S4 25 "$1"
	check "$2: $1 still connects to port 2525" can_connect $S4 2525 "$1"
}

# listed6 LABEL LOGREJ: the listed IPv6 client (netns.sh's 2001:db8:1::2)
# is rejected (LOGREJ as in scenario), lands in mailban6 as its /64 (the
# default prefix.ipv6), and its next connect to port 25 over IPv6 times
# out while 2525 still answers.
listed6() {
	# (short timeout: once banned, the rest of the session goes unanswered)
	ip netns exec "$CLI" swaks --server $S6 --local-interface $C6 \
	    --timeout 4 --helo client.example.net \
	    --from sender@example.net --to user@$DOMAIN > "$tmp/$1-listed6.out" 2>&1
	check "$1: the MTA logs its reject of the listed IPv6 client" \
	    wait_for 5 log_has 1 "$(printf '%s' "$2" | sed "s/@IP@/$C6/g")"
	check "$1 DNSBL: $C6 banned as its /64" \
	    wait_for 10 in_set mailban6 "2001:db8:1::/64,tcp:25"
	check "$1 DNSBL: $C6 cannot connect to port 25" cannot_connect $S6 25 $C6
	check "$1 DNSBL: $C6 still connects to port 2525" can_connect $S6 2525 $C6
}

# can_connect ADDR PORT [SOURCE]: netns.sh's probe, from a chosen source
can_connect() {
	ip netns exec "$CLI" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.settimeout(1.5)
if len(sys.argv) > 3:
    s.bind((sys.argv[3], 0))
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(1)
s.close()
' "$@"
}
cannot_connect() { ! can_connect "$@"; }

# all_trusted MTA: every line mailban read came with its writer's
# credentials, and it counted none of them as untrusted: the shipped trust
# rules take the real MTA's processes for what they are
all_trusted() {
	# one snapshot: the file may still grow between two reads of it
	cp "$tmp/mailban.in" "$tmp/mailban.in.snap" 2>/dev/null
	n=$(grep -c '' "$tmp/mailban.in.snap" 2>/dev/null)
	c=$(grep -c '^@cred{"pid":"[0-9][0-9]*","uid":"[0-9][0-9]*",' "$tmp/mailban.in.snap" 2>/dev/null)
	check "$1: each of the $n lines came with its writer's credentials ($c)" \
	    test "${n:-0}" -gt 0 -a "${n:-0}" = "${c:-0}"
	u=$("$mb" status -o "state=\"$tmp/state.db\"" 2>/dev/null | grep -c '^untrusted ')
	check "$1: mailban counted no untrusted line ($u)" [ "$u" = 0 ]
	[ "$u" = 0 ] || "$mb" status -o "state=\"$tmp/state.db\"" | sed -n '/^Lines read/,$p' | sed 's/^/#   /'
}

# show_bans MTA: replay the captured log with `mailban test --json`; print
# each ban with the exact log line that decided it, and check that the
# replay bans exactly the addresses in the kernel set.
show_bans() {
	"$mb" test --json --bans-only -o 'ignore=["127.0.0.0/8", "::1/128", "'$I4'/32"]' \
	    "$tmp/mail.log" > "$tmp/replay.json" 2> "$tmp/replay.err"
	echo "# $1: the log lines that led to bans"
	grep '"event":"ban"' "$tmp/replay.json" | while read -r j; do
		n=$(printf '%s\n' "$j" | sed -n 's/.*"line":\([0-9]*\).*/\1/p')
		ip=$(printf '%s\n' "$j" | sed -n 's/.*"ip":"\([^"]*\)".*/\1/p')
		p=$(printf '%s\n' "$j" | sed -n 's/.*"pattern":"\([^"]*\)".*/\1/p')
		echo "#   ban $ip ($p), line $n:"
		echo "#     $(sed -n "${n}p" "$tmp/mail.log")"
	done
	echo "# mailban run --omprog said:"
	sed 's/^/#   /' "$tmp/mailban.err"
	live=$(srv ipset list mailban4; srv ipset list mailban6) 2>/dev/null
	live=$(printf '%s\n' "$live" | sed -n 's/^\([0-9A-Fa-f.:/]*\),tcp:25 .*/\1/p' | sort -u | tr '\n' ' ')
	replay=$(grep '"event":"ban"' "$tmp/replay.json" | sed -n 's/.*"ip":"\([^"]*\)".*/\1/p' | sort -u | tr '\n' ' ')
	check "$1: replaying the captured log bans what run did ($live)" [ "$live" = "$replay" ]
}

# nth_event N REGEX: number of the log line with the Nth event matching
# REGEX; a line repeated right after itself (Exim's main and reject log
# copies) is one event
nth_event() {
	RE=$2 awk -v n="$1" '
	BEGIN { re = ENVIRON["RE"] }
	{ body = $0; sub(/^[^ ]+ /, "", body) }
	body == prev { next }
	{ prev = body }
	$0 ~ re && ++k == n { print NR; exit }' "$tmp/mail.log"
}

# ban_line ADDR: the log line that decides the ban of ADDR when the
# captured log is replayed with `mailban test --json`
ban_line() {
	"$mb" test --json --bans-only -o 'ignore=["127.0.0.0/8", "::1/128", "'$I4'/32"]' \
	    "$tmp/mail.log" 2>/dev/null | grep '"event":"ban"' | grep "\"ip\":\"$1\"" |
	    head -1 | sed -n 's/.*"line":\([0-9]*\).*/\1/p'
}

# mta_log: the captured mail log, for the test output
mta_log() {
	echo "# $1: mail log as rsyslogd received it"
	sed 's/^/#   /' "$tmp/mail.log"
}

# re TEMPLATE ADDR: TEMPLATE (an ERE) with @IP@ replaced by ADDR, dots escaped
re() { printf '%s' "$1" | sed "s/@IP@/$(printf '%s' "$2" | sed 's/\./\\\\./g')/g"; }

# scenario LABEL REJECT LOGREJ FAILED: what every MTA goes through.  REJECT
# is the SMTP reply a listed client gets, LOGREJ the MTA's log line for
# that reject, FAILED its log line for a wrong password; all EREs, @IP@
# standing for the client address.  The listed client may never see the
# reply: where the MTA logs the reject before it answers (Sendmail's
# check_relay, postscreen), the ban already drops that very session.
#  1. the ignored client (listed) is rejected and guesses passwords:
#     never banned, still connects;
#  2. the guesser: the right password is accepted; each wrong one is
#     answered 535 and logged; not banned after 1, 2, 3 failures (score 3
#     each, threshold 10), banned at the 4th;
#  3. the listed client is rejected, banned at once.
scenario() {
	label=$1 rej=$2 logrej=$3 failed=$4
	client $I4 --to user@$DOMAIN > "$tmp/$label-ignored-rcpt.out" 2>&1
	check "$label: the ignored listed client is rejected" \
	    grep -Eq "$(re "$rej" $I4)" "$tmp/$label-ignored-rcpt.out"
	check "$label: the MTA logs its reject of the ignored client" \
	    wait_for 5 log_has 1 "$(re "$logrej" $I4)"
	for i in 1 2 3 4 5; do
		client $I4 --auth LOGIN --auth-user alice --auth-password "wrong$i" \
		    --quit-after AUTH > "$tmp/$label-ignored-auth$i.out" 2>&1
	done
	client $G4 --auth LOGIN --auth-user alice --auth-password "$PASSWORD" \
	    --quit-after AUTH > "$tmp/$label-good.out" 2>&1
	check "$label: the right password is accepted (235)" \
	    grep -Eq '^<[-~*]+ +235' "$tmp/$label-good.out"
	for i in 1 2 3 4; do
		client $G4 --auth LOGIN --auth-user alice --auth-password "guess$i" \
		    --quit-after AUTH > "$tmp/$label-guess$i.out" 2>&1
		check "$label: guess $i answered 535" \
		    grep -Eq '^<[-~*]+ +535' "$tmp/$label-guess$i.out"
		check "$label: guess $i logged" \
		    wait_for 10 log_has $i "$(re "$failed" $G4)"
		if [ $i -lt 4 ]; then
			# its score is saved once what the line decided is done
			check "$label: mailban counted failure $i" \
			    wait_for 10 scored "$tmp/state.db" $i $G4
			check "$label: not banned after $i failures" not_banned $G4
		fi
	done
	expect_ban $G4 "$label AUTH"
	n4=$(nth_event 4 "$(re "$failed" $G4)")
	b=$(ban_line $G4)
	check "$label: the ban came from the 4th failure (log line ${n4:-?}), as a replay decides (line ${b:-?})" \
	    [ -n "$n4" ] && [ "$n4" = "$b" ]
	# (short timeout: once banned, the rest of the session goes unanswered)
	SWAKS_TIMEOUT=3 client $L4 --to user@$DOMAIN > "$tmp/$label-listed-rcpt.out" 2>&1
	check "$label: the MTA logs its reject of the listed client" \
	    wait_for 5 log_has 1 "$(re "$logrej" $L4)"
	# (the ignored client's lines reached mailban before the listed one's)
	expect_ban $L4 "$label DNSBL"
	check "$label: the ignored client is not banned" not_banned $I4
	check "$label: the ignored client still connects to port 25" can_connect $S4 25 $I4
}

# postfix_spool DIR: Postfix's queue directory DIR/spool and data
# directory DIR/data with the owners and modes "postfix set-permissions"
# gives them (user postfix 64901, group postdrop pfmbdrop 64902)
postfix_spool() {
	mkdir -p "$1/spool" "$1/data"
	for _d in active bounce corrupt defer deferred flush hold incoming private saved trace; do
		mkdir -p "$1/spool/$_d"
		chmod 700 "$1/spool/$_d"
	done
	mkdir -p "$1/spool/pid" "$1/spool/public" "$1/spool/maildrop"
	chown -R 64901:64901 "$1/spool" "$1/data"
	chown root:root "$1/spool" "$1/spool/pid"
	chgrp 64902 "$1/spool/public" "$1/spool/maildrop"
	chmod 710 "$1/spool/public"
	chmod 730 "$1/spool/maildrop"
}
