#!/bin/bash
# Real Exim (Debian 12's exim4-daemon-light, extracted into the build tree,
# never installed) rejects a client listed on a local DNSBL with
# "dnslists" in its RCPT ACL, the message as in Exim's specification; its
# syslog lines (main and reject log, so each reject twice) go through a
# private rsyslogd to `mailban run --omprog`, and the client's next connect
# to port 25 times out while port 2525 still answers.  SMTP AUTH guessing
# (plaintext authenticator with a fixed password) is banned at the fourth
# failure, not before; an ignored client is never banned.  A DNSBL that
# answers with an error code (127.255.255.254), shown in the reject as
# "($dnslist_value)" without a text, rejects a client: a DNSBL error
# notice, never a ban.
set -u
. "$SRCDIR/test/mta/lib.sh"

fetch exim usr/sbin/exim4 -- exim4-daemon-light
exim=$ROOT/usr/sbin/exim4
[ -x "$exim" ] || { echo "no exim4 in $ROOT"; exit 1; }

# Exim looks up its compiled-in user when it starts
add_user Debian-exim 64911 Debian-exim 64911
# Debian's paths: the shipped trust rules name /usr/sbin/exim4
overlay "$ROOT/usr" /usr

ex=$tmp/exim
mkdir -p "$ex/spool"
chown -R 64911:64911 "$ex/spool"
cat > "$ex/configure" <<EOF
primary_hostname = mx.mailban.test
domainlist local_domains = $DOMAIN
spool_directory = $ex/spool
pid_file_path = $ex/exim.pid
log_file_path = syslog
keep_environment =
daemon_smtp_ports = 25 : 2525
local_interfaces = <; $S4 ; $S6
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
auth_advertise_hosts = *
acl_smtp_rcpt = acl_check_rcpt

begin acl

acl_check_rcpt:
  accept  hosts = :
  deny    message = Rejected - \$dnslist_domain (\$dnslist_value)
          dnslists = $EZONE
  deny    message = rejected because \$sender_host_address is in a black list at \$dnslist_domain\\n\$dnslist_text
          dnslists = $ZONE
  require message = relay not permitted
          domains = +local_domains
  accept

begin routers

blackhole:
  driver = redirect
  domains = +local_domains
  data = :blackhole:

begin authenticators

PLAIN:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{alice}}{eq{\$auth3}{$PASSWORD}}}}
  server_set_id = \$auth2

LOGIN:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if and {{eq{\$auth1}{alice}}{eq{\$auth2}{$PASSWORD}}}}
  server_set_id = \$auth1
EOF
chmod 644 "$ex/configure"

t0=$(date +%s)
start_dns
mailban_setup
start_syslog

inns env LD_LIBRARY_PATH="$LIBPATH" setsid /usr/sbin/exim4 -C "$ex/configure" -bdf \
    > "$tmp/exim.out" 2>&1 &
exim_pid=$!
mta_pids="$mta_pids $exim_pid"
wait_for 15 srv_has_tcp 25 && wait_for 5 srv_has_tcp 2525 ||
    { cat "$tmp/exim.out" "$tmp/all.log"; echo "Exim did not start"; exit 1; }

scenario exim '550[- ]rejected because @IP@ is in a black list at bl\.mailban\.test' \
    'exim\[[0-9]+\]: [0-9-]+ [0-9:]+ H=\(client\.example\.net\) \[@IP@\] F=<sender@example\.net> rejected RCPT <user@mailban\.test>: rejected because @IP@ is in a black list at bl\.mailban\.test$' \
    'LOGIN authenticator failed for \(client\.example\.net\) \[@IP@\](:[0-9]+)?: 535 '
listed6 exim 'exim\[[0-9]+\]: [0-9-]+ [0-9:]+ H=\(client\.example\.net\) \[@IP@\] F=<sender@example\.net> rejected RCPT <user@mailban\.test>: rejected because @IP@ is in a black list at bl\.mailban\.test$'

# the DNSBL error: rejected by Exim, a notice for mailban, no ban
client $E4 --to user@$DOMAIN > "$tmp/exim-dnsbl-error.out" 2>&1
check "exim: the client answered by the erring DNSBL is rejected" \
    grep -Eq '^<[-~*]+ +550[- ]Rejected - err\.mailban\.test \(127\.255\.255\.254\)' "$tmp/exim-dnsbl-error.out"
errlog='exim\[[0-9]+\]: [0-9-]+ [0-9:]+ H=\(client\.example\.net\) \[203\.0\.113\.5\] F=<sender@example\.net> rejected RCPT <user@mailban\.test>: Rejected - err\.mailban\.test \(127\.255\.255\.254\)$'
check "exim: the MTA logs the reject with the error answer alone" \
    wait_for 5 log_has 1 "$errlog"
dnsbl_warned() {
	"$mb" status -o "state=\"$tmp/state.db\"" 2>/dev/null | grep -q '^WARNING: DNSBL ERROR: '
}
check "exim: mailban status says a DNSBL is refusing the queries" wait_for 10 dnsbl_warned
check "exim: the client of the DNSBL error is not banned" not_banned $E4
check "exim: the client of the DNSBL error still connects to port 25" can_connect $S4 25 $E4

mta_log "Exim"
all_trusted "Exim"
show_bans "Exim"
kill -- "-$exim_pid"
echo "# Exim: $(($(date +%s) - t0)) s"
done_testing
