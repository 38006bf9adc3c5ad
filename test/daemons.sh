# Helpers shared by the real-daemon tests (test/rsyslog, test/syslog-ng)
# and bench/omprog.sh.  Needs srv() from test/kernel/netns.sh.

# rbl_msg ADDR: the message part of a Postfix RBL reject (bans at once)
rbl_msg() {
	printf 'NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/%s; from=<spam@example.com> to=<user@example.org> proto=ESMTP helo=<example.com>\n' "$1" "$1" "$1"
}

# rsyslog_head WORKDIR SOCKET LOG: the private part of every test rsyslogd
# (its work directory, its own socket with the writers' credentials, as
# /etc/rsyslog.conf's module line must give them for the system socket,
# everything but mail to LOG)
rsyslog_head() {
	cat <<EOF
global(workDirectory="$1" processInternalMessages="on"
	maxMessageSize="8k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$2" RateLimit.Interval="0"
	Annotate="on" ParseTrusted="on")
*.*;mail.none action(type="omfile" file="$3")
EOF
}

# The tests' stand-in for an MTA daemon: a copy of logger in DIR/sbin,
# which a trust rule names as Postfix's executable (the snippets' lines
# carry their writer's credentials, and mailban acts only on the MTA's).
#   writer_prepare DIR      copy logger to DIR/sbin/smtpd; sets WRITER
#   trust_writer CONF DIR   in CONF's trust list, postfix* is DIR/sbin/*
#                           run as root (Exim's and Sendmail's stay)
writer_prepare() {
	mkdir -p "$1/sbin"
	chmod 755 "$1" "$1/sbin"
	cp "$(command -v logger)" "$1/sbin/smtpd"
	chmod 755 "$1/sbin/smtpd"
	WRITER=$1/sbin/smtpd
}
# exe_prefix: what the kernel puts before an executable's path when a
# process in one mount namespace reads /proc/PID/exe of a process in
# another (rsyslogd started by one "ip netns exec", the writer by
# another): nothing on a host; inside a chroot (a freshly debootstrapped
# root) the chroot's own path, since neither namespace's root is above
# the other's copy of the file's mount.
exe_is_sleep() { readlink "/proc/$1/exe" 2>/dev/null | grep -q '/sleep$'; }
exe_prefix() {
	unshare --mount sleep 5 &
	_p=$!
	wait_for 5 exe_is_sleep "$_p" > /dev/null 2>&1
	_e=$(readlink "/proc/$_p/exe")
	kill "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	_r=$(readlink -f "$(command -v sleep)")
	case $_e in
	?*"$_r") echo "${_e%"$_r"}" ;;
	esac
}
trust_writer() {
	python3 - "$1" "$2" "$(exe_prefix)" <<'PY'
import re, sys
conf, d, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(conf).read()
shipped = re.compile(r'^  \{ program = "postfix\*"; exe = "[^"]*";\n'
                     r'    users = \[[^]]*\];(?: units = "[^"]*";)? \},\n', re.M)
# the path as a reader in the writer's mount namespace sees it, and as one
# in another sees it (exe_prefix)
exe = '"%s/sbin/*"' % d
if prefix:
    exe = '[ %s, "%s%s/sbin/*" ]' % (exe, prefix, d)
rule = ('  { program = "postfix*"; exe = %s; users = [ "root" ]; },\n' % exe)
text, n = shipped.subn(rule, text, count=1)
if n != 1:
    sys.exit("trust_writer: no Postfix trust rule in " + conf)
open(conf, "w").write(text)
PY
}

# After the three forgeries both daemons' suites write (logger as root
# and the MTA's executable as nobody naming postfix/smtpd for
# 203.0.113.50 and .51, nobody's postscreen line for 2001:db8::51):
# nothing banned, and status shows the forger (needs MB_CONF)
forged_banned_nothing() {
	check "logger as root naming postfix/smtpd bans nothing" \
	    not_in_set mailban4 "203.0.113.50,tcp:25"
	check "nobody running the MTA's executable bans nothing" \
	    not_in_set mailban4 "203.0.113.51,tcp:25"
	check "nobody's postscreen DNSBL line bans nothing" \
	    not_in_set mailban6 "2001:db8::51,tcp:25"
	check "status shows a forged line with its writer's uid" shows_forger
}
shows_forger() {
	"$MAILBAN" status -c "$MB_CONF" | grep -F "\"uid\":\"$(id -u nobody)\"" |
	    grep -qF 'postfix/smtpd[4242]'
}

# addr_list B N: N distinct addresses 10.B.0.1, 10.B.0.2, ... (N <= 62500)
addr_list() {
	python3 -c 'import sys
b, n = sys.argv[1], int(sys.argv[2])
for i in range(n): print("10.%s.%d.%d" % (b, i // 250, i % 250 + 1))' "$1" "$2"
}

# rbl_file B N OUT: one RBL reject message for each of addr_list B N
rbl_file() {
	addr_list "$1" "$2" | while read -r a; do rbl_msg "$a"; done > "$3"
}

# mixed_file B N EVERY OUT ADDRS: N*EVERY messages, every EVERY-th an RBL
# reject of the next address of addr_list B N (listed in ADDRS), the rest
# ordinary Postfix connect/disconnect lines
mixed_file() {
	python3 -c '
import sys
b, n, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = open(sys.argv[4], "w")
addrs = open(sys.argv[5], "w")
for i in range(n * every):
    if i % every == every - 1:
        j = i // every
        a = "10.%s.%d.%d" % (b, j // 250, j % 250 + 1)
        addrs.write(a + "\n")
        out.write("NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service "
                  "unavailable; Client host [%s] blocked using "
                  "zen.spamhaus.org; from=<a@example.com> to=<b@example.org> "
                  "proto=ESMTP helo=<example.com>\n" % (a, a))
    elif i % 2:
        out.write("connect from unknown[198.51.100.%d]\n" % (i % 250 + 1))
    else:
        out.write("disconnect from unknown[198.51.100.%d] ehlo=1 mail=1 "
                  "rcpt=0/1 quit=1 commands=3/4\n" % (i % 250 + 1))
' "$@"
}

# burst_file OUT ADDRS: 100,000 messages, every tenth an RBL reject of a
# distinct address in 10.2.0.0/16 (listed in ADDRS)
burst_file() {
	mixed_file 2 10000 10 "$1" "$2"
}

# all_in_set FILE: every address of FILE is in mailban4 on port 25
# (the ones that are not are left in $tmp/missing)
all_in_set() {
	srv ipset list mailban4 | sed -n 's/^\([0-9.]*\),tcp:25 .*/\1/p' |
	    sort > "$tmp/have"
	sort "$1" | comm -23 - "$tmp/have" > "$tmp/missing"
	[ ! -s "$tmp/missing" ]
}

# count_in_set PATTERN: entries of mailban4 matching the grep PATTERN
count_in_set() {
	srv ipset list mailban4 2>/dev/null | grep -c "$1"
}

# last_exit_lines LOG: the line count of mailban's last "exiting:" report
last_exit_lines() {
	sed -n 's/^mailban: exiting: \([0-9]*\) lines.*/\1/p' "$1" | tail -1
}
