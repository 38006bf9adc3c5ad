#!/bin/bash
# Real Postfix (Debian 12's package, extracted into the build tree, never
# installed) rejects a client listed on a local DNSBL, first with smtpd's
# reject_rbl_client, then with postscreen_dnsbl_sites; its syslog lines go
# through a private rsyslogd to `mailban run --omprog`, and the client's
# next connect to port 25 times out while port 2525 still answers.  SMTP
# AUTH (Cyrus SASL, sasldb) password guessing is banned at the fourth
# failure, not before; an ignored client is never banned.  postscreen's
# rank made of a DNSBL's error answer (dnsblog logs it) bans nobody.
set -u
. "$SRCDIR/test/mta/lib.sh"

fetch postfix +usr/lib/postfix usr/lib/postfix/sbin usr/sbin -- \
    postfix sasl2-bin libsasl2-modules libsasl2-modules-db
saslpath=$(ls -d "$ROOT"/usr/lib/*-linux-gnu/sasl2)

# Debian's names: the shipped trust rules name the user "postfix"
add_user postfix 64901 postfix 64901
# Debian's paths: the shipped trust rules name /usr/lib/postfix/sbin/*
overlay "$ROOT/usr" /usr
grep -q '^pfmbdrop:' "$ns/group" || echo "pfmbdrop:x:64902:" >> "$ns/group"

pf=$tmp/postfix
mkdir -p "$pf/spool" "$pf/data" "$pf/sasl"
postfix_spool "$pf"

# SASL: sasldb with one user, read by smtpd (runs as postfix)
printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: %s\n' \
    "$pf/sasldb2" > "$pf/sasl/smtpd.conf"
printf '%s' "$PASSWORD" | LD_LIBRARY_PATH=$LIBPATH SASL_PATH=$saslpath \
    "$ROOT/usr/sbin/saslpasswd2" -p -c -f "$pf/sasldb2" -u mx.mailban.test alice ||
    { echo "saslpasswd2 failed"; exit 1; }
chown 64901 "$pf/sasldb2"
chmod 600 "$pf/sasldb2"

# main.cf common to both phases; master.cf per phase (services listen on
# inet_interfaces: one postscreen for both families, as it must be)
write_conf() { # DIR
	# Debian's smtpd reads \$config_directory/sasl/smtpd.conf
	mkdir -p "$1/sasl"
	cp "$pf/sasl/smtpd.conf" "$1/sasl/"
	cat > "$1/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf/spool
data_directory = $pf/data
command_directory = $ROOT/usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = $ROOT/usr/lib/postfix
meta_directory = $ROOT/etc/postfix
mail_owner = postfix
setgid_group = pfmbdrop
myhostname = mx.mailban.test
mydomain = $DOMAIN
mydestination = $DOMAIN, mx.mailban.test
mynetworks = 127.0.0.0/8
inet_interfaces = $S4, $S6
inet_protocols = all
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
maillog_file =
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH SASL_PATH
smtpd_banner = \$myhostname ESMTP
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain = mx.mailban.test
smtpd_recipient_restrictions = permit_sasl_authenticated, reject_unauth_destination, reject_rbl_client $ZONE
EOF
	cat > "$1/master.cf" <<EOF
2525      inet n - n - - smtpd
anvil     unix - - n - 1 anvil
cleanup   unix n - n - 0 cleanup
rewrite   unix - - n - - trivial-rewrite
proxymap  unix - - n - - proxymap
EOF
}
write_conf "$pf/conf-smtpd"
echo "smtp      inet n - n - - smtpd" >> "$pf/conf-smtpd/master.cf"
write_conf "$pf/conf-postscreen"
cat >> "$pf/conf-postscreen/master.cf" <<EOF
smtp      inet n - n - 1 postscreen
smtpd     pass - - n - - smtpd
dnsblog   unix - - n - 0 dnsblog
tlsproxy  unix - - n - 0 tlsproxy
EOF
cat >> "$pf/conf-postscreen/main.cf" <<EOF
postscreen_access_list = permit_mynetworks
postscreen_dnsbl_sites = $ZONE*2, $EZONE*2
postscreen_dnsbl_threshold = 2
postscreen_dnsbl_action = enforce
postscreen_greet_action = enforce
postscreen_greet_wait = 2s
postscreen_cache_map = btree:\$data_directory/postscreen_cache
EOF

master_pid=
start_postfix() { # CONFDIR
	inns env LD_LIBRARY_PATH="$ROOT/usr/lib/postfix:$LIBPATH" SASL_PATH="$saslpath" \
	    setsid /usr/lib/postfix/sbin/master -c "$1" -d > "$tmp/master.out" 2>&1 &
	master_pid=$!
	mta_pids="$mta_pids $master_pid"
	wait_for 15 srv_has_tcp 25 && wait_for 5 srv_has_tcp 2525 ||
	    { cat "$tmp/master.out" "$tmp/all.log"; echo "Postfix did not start"; exit 1; }
}
stop_postfix() {
	kill -- "-$master_pid"   # master and its children (own session)
	wait "$master_pid" 2>/dev/null
	wait_for 10 sh -c "! ip netns exec $SRV ss -Hlnt 'sport = :25' | grep -q ."
}

t0=$(date +%s)
start_dns
mailban_setup
start_syslog

# ------------------------------------------------ phase 1: smtpd reject_rbl_client
start_postfix "$pf/conf-smtpd"

scenario smtpd '554 5\.7\.1 Service unavailable; Client host \[@IP@\] blocked using bl\.mailban\.test' \
    'postfix/smtpd\[[0-9]+\]: NOQUEUE: reject: RCPT from unknown\[@IP@\]: 554 5\.7\.1 Service unavailable; Client host \[@IP@\] blocked using bl\.mailban\.test; ' \
    '\[@IP@\]: SASL LOGIN authentication failed'
listed6 smtpd 'postfix/smtpd\[[0-9]+\]: NOQUEUE: reject: RCPT from unknown\[@IP@\]: 554 5\.7\.1 Service unavailable; Client host \[@IP@\] blocked using bl\.mailban\.test; '

mta_log "Postfix smtpd"
all_trusted "Postfix smtpd"
show_bans "Postfix smtpd"

# ------------------------------------------------ phase 2: postscreen_dnsbl_sites
stop_postfix
stop_syslog
mv "$tmp/mail.log" "$tmp/smtpd.mail.log"
srv "$mb" flush -o "state=\"$tmp/state.db\"" >/dev/null
rm -f "$tmp/state.db"*
: > "$tmp/mailban.err"
start_syslog
start_postfix "$pf/conf-postscreen"
check "postscreen: the listed client reaches port 25 after the flush" can_connect $S4 25 $L4

client $I4 --to user@$DOMAIN > "$tmp/swaks.out" 2>&1
check "postscreen: ignored listed client is rejected (550 ... blocked using)" \
    grep -q "550 5.7.1 Service unavailable; client \[$I4\] blocked using $ZONE" "$tmp/swaks.out"
# postscreen logs the DNSBL rank at the end of the greeting pause; the ban
# follows at once and also cuts this very session (the rule drops every
# packet from the address), so the client sees the greeting and no reply
SWAKS_TIMEOUT=4 client $L4 --to user@$DOMAIN > "$tmp/swaks-ps.out" 2>&1
check "postscreen: logs the listed client's DNSBL rank" \
    wait_for 5 log_has 1 "postscreen\[[0-9]+\]: DNSBL rank 2 for \[$L4\]:[0-9]+\$"
expect_ban $L4 "postscreen"
listed6 postscreen 'postfix/postscreen\[[0-9]+\]: DNSBL rank 2 for \[@IP@\]:[0-9]+$'
check "postscreen: the ignored client is not banned" not_banned $I4
check "postscreen: the ignored client still connects to port 25" can_connect $S4 25 $I4

# a DNSBL that answers with an error code (127.255.255.254) for a client:
# postscreen counts it into the rank and rejects; dnsblog's line shows the
# answer, so mailban warns and does not count the rank line after it
SWAKS_TIMEOUT=6 client $E4 --to user@$DOMAIN > "$tmp/swaks-err.out" 2>&1
check "postscreen: the client answered by the erring DNSBL is rejected" \
    grep -q "550 5.7.1 Service unavailable; client \[$E4\] blocked using $EZONE" "$tmp/swaks-err.out"
check "postscreen: dnsblog logs the error answer" \
    wait_for 5 log_has 1 "postfix/dnsblog\[[0-9]+\]: addr $(printf '%s' $E4 | sed 's/\./\\./g') listed by domain err\.mailban\.test as 127\.255\.255\.254\$"
check "postscreen: logs the rank the error answer made" \
    wait_for 5 log_has 1 "postscreen\[[0-9]+\]: DNSBL rank 2 for \[$E4\]:[0-9]+\$"
dnsbl_warned() {
	"$mb" status -o "state=\"$tmp/state.db\"" 2>/dev/null | grep -q '^WARNING: DNSBL ERROR: '
}
check "postscreen: mailban status says a DNSBL is refusing the queries" wait_for 10 dnsbl_warned
check "postscreen: the client of the DNSBL error is not banned" not_banned $E4
check "postscreen: the client of the DNSBL error still connects to port 25" can_connect $S4 25 $E4

mta_log "Postfix postscreen"
all_trusted "Postfix postscreen"
show_bans "Postfix postscreen"
echo "# Postfix: $(($(date +%s) - t0)) s"
done_testing
