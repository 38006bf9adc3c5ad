#!/bin/bash
# Real Sendmail (Debian 12's sendmail-bin, with its .cf built by m4 from
# sendmail-cf, all extracted into the build tree, never installed) rejects
# a client listed on a local DNSBL with FEATURE(`dnsbl'); its syslog lines
# go through a private rsyslogd to `mailban run --omprog`, and the client's
# next connect to port 25 times out while port 2525 still answers.  SMTP
# AUTH guessing (Cyrus SASL, sasldb) is banned at the fourth failure, not
# before; an ignored client is never banned.
set -u
. "$SRCDIR/test/mta/lib.sh"

fetch sendmail usr/libexec/sendmail/sendmail usr/sbin/saslpasswd2 usr/bin/m4 \
    -- sendmail-bin sendmail-cf sendmail-base m4 sasl2-bin libsasl2-modules \
    libsasl2-modules-db
sendmail=$ROOT/usr/libexec/sendmail/sendmail
[ -x "$sendmail" ] || { echo "no sendmail in $ROOT"; exit 1; }
saslpath=$(ls -d "$ROOT"/usr/lib/*-linux-gnu/sasl2)
# libsasl2 finds Sendmail.conf and its plugins in its compiled-in plugin
# directory (sendmail clears its environment: SASL_PATH would not last);
# inside inns.sh a private copy is mounted over it.
syssasl=$(ls -d /usr/lib/*-linux-gnu/sasl2 2>/dev/null | head -1)
[ -n "$syssasl" ] || skip "no libsasl2 plugin directory to mount over"

add_user mailnull 64921 mailnull 64921
# Debian's paths: the shipped trust rules name /usr/libexec/sendmail/sendmail
overlay "$ROOT/usr" /usr

sm=$tmp/sendmail
mkdir -p "$sm/mqueue" "$sm/sasl"
chmod 700 "$sm/mqueue"
cp -P "$saslpath"/*.so* "$sm/sasl/"
printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: %s/sasldb2\n' \
    "$syssasl" > "$sm/sasl/Sendmail.conf"
printf '%s' "$PASSWORD" | LD_LIBRARY_PATH=$LIBPATH SASL_PATH=$saslpath \
    "$ROOT/usr/sbin/saslpasswd2" -p -c -f "$sm/sasl/sasldb2" -u mx.mailban.test alice ||
    { echo "saslpasswd2 failed"; exit 1; }
chmod 600 "$sm/sasl/sasldb2"
bind "$sm/sasl" "$syssasl"
: > "$sm/aliases"
echo "$DOMAIN" > "$sm/local-host-names"
cp "$ROOT/etc/mail/helpfile" "$sm/helpfile" 2>/dev/null || : > "$sm/helpfile"

cf=$ROOT/usr/share/sendmail/cf
cat > "$sm/sendmail.mc" <<EOF
divert(-1)
# mailban test: a DNSBL as administrators configure it, SMTP AUTH
divert(0)dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mx.mailban.test')dnl
define(\`QUEUE_DIR', \`$sm/mqueue')dnl
define(\`STATUS_FILE', \`$sm/statistics')dnl
define(\`ALIAS_FILE', \`$sm/aliases')dnl
define(\`HELP_FILE', \`$sm/helpfile')dnl
define(\`confCW_FILE', \`$sm/local-host-names')dnl
define(\`confPID_FILE', \`$sm/sendmail.pid')dnl
define(\`confDEF_USER_ID', \`64921:64921')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confAUTH_MECHANISMS', \`LOGIN PLAIN')dnl
TRUST_AUTH_MECH(\`LOGIN PLAIN')dnl
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Port=25, Addr=$S4, Name=MTA')dnl
DAEMON_OPTIONS(\`Port=2525, Addr=$S4, Name=MTA2')dnl
FEATURE(\`dnsbl', \`$ZONE')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOF
"$ROOT/usr/bin/m4" -D_CF_DIR_="$cf/" "$cf/m4/cf.m4" "$sm/sendmail.mc" > "$sm/sendmail.cf" ||
    { echo "m4 could not build sendmail.cf"; exit 1; }
chmod 644 "$sm/sendmail.cf"

t0=$(date +%s)
start_dns
mailban_setup
start_syslog

inns env LD_LIBRARY_PATH="$LIBPATH" setsid /usr/libexec/sendmail/sendmail -C "$sm/sendmail.cf" -bD \
    > "$tmp/sendmail.out" 2>&1 &
sm_pid=$!
mta_pids="$mta_pids $sm_pid"
wait_for 20 srv_has_tcp 25 && wait_for 5 srv_has_tcp 2525 ||
    { cat "$tmp/sendmail.out" "$tmp/all.log"; echo "Sendmail did not start"; exit 1; }

scenario sendmail '550 5\.7\.1 Rejected: @IP@ listed at bl\.mailban\.test' \
    'sendmail\[[0-9]+\]: ruleset=check_relay, arg1=\[@IP@\], arg2=127\.0\.0\.2, relay=\[@IP@\], reject=550 5\.7\.1 Rejected: @IP@ listed at bl\.mailban\.test$' \
    'AUTH failure \(LOGIN\): .*, relay=\[@IP@\]'

mta_log "Sendmail"
all_trusted "Sendmail"
show_bans "Sendmail"
kill -- "-$sm_pid"
echo "# Sendmail: $(($(date +%s) - t0)) s"
done_testing
