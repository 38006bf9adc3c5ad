#!/bin/bash
# The package end to end, in a fresh Debian 12 root (debootstrap, cached
# in the build tree): installed with apt, the rsyslog snippet enabled as
# README.Debian says, a private rsyslogd of the root reading its
# configuration from /etc/rsyslog.d as Debian's does, with the imuxsock
# annotation on; the kernel sets and rules made by the unit's own
# ExecStart lines, in the server namespace of test/kernel/netns.sh; a real
# Postfix (the mta suite's, test/mta/lib.sh) rejects a DNSBL-listed
# client, and the installed mailban, started by the installed snippet,
# bans it in the kernel.  Then remove (the snippet is taken out, rsyslog
# no longer starts mailban), reinstall (it is put back), purge (the
# state, the configuration, the firewall chain and the sets are gone; the
# user stays).
set -u
. "$SRCDIR/test/package/lib.sh"
[ "$(id -u)" = 0 ] || skip "not root"
for c in unshare chroot flock; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
pkg_build
pkg_root
. "$SRCDIR/test/mta/lib.sh"

t0=$(date +%s)
R=$tmp/root
cp -a "$ROOT0" "$R" || exit 1
echo "# copy of the root: $(($(date +%s) - t0)) s"
cp "$DEB" "$R/tmp/"
deb=/tmp/$(basename "$DEB")
inr() { in_root "$R" "$@"; }

# ---------------------------------------------------------------- install
inr env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "$deb" > "$tmp/apt-install.out" 2>&1
rc=$?
check "apt installs $(basename "$DEB") in the fresh root" [ "$rc" = 0 ]
[ "$rc" = 0 ] || { cat "$tmp/apt-install.out"; exit 1; }
check "installed: /usr/sbin/mailban" test -x "$R/usr/sbin/mailban"
check "installed: /etc/mailban/mailban.conf is a conffile" \
    grep -qx /etc/mailban/mailban.conf "$R/var/lib/dpkg/info/mailban.conffiles"
check "installed: /etc/mailban/mailban.conf.d/" test -d "$R/etc/mailban/mailban.conf.d"
check "installed: the system user mailban" grep -q '^mailban:' "$R/etc/passwd"
check "installed: /var/lib/mailban, mailban:mailban 0750" \
    [ "$(inr stat -c '%U:%G %a' /var/lib/mailban)" = "mailban:mailban 750" ]
check "installed: mailban.service enabled" \
    test -L "$R/etc/systemd/system/multi-user.target.wants/mailban.service"
check "installed: mailban-journal.service, not enabled (the administrator's choice of feed)" \
    test -f "$R/lib/systemd/system/mailban-journal.service" -a \
    ! -e "$R/etc/systemd/system/multi-user.target.wants/mailban-journal.service"
check "installed: the rsyslog snippet, not enabled" \
    test -f "$R/usr/share/mailban/rsyslog/60-mailban.conf" -a ! -e "$R/etc/rsyslog.d/60-mailban.conf"
check "installed: the man pages" test -f "$R/usr/share/man/man8/mailban.8.gz" -a -f "$R/usr/share/man/man5/mailban.conf.5.gz"
check "installed: the fleet examples" test -f "$R/usr/share/doc/mailban/examples/60-mailban-central.conf"

# ------------------------------------------- the administrator's steps
# Postfix's user, as the postfix package would make it (the shipped trust
# rules name it); the snippet enabled by README.Debian's command
add_user postfix 64901 postfix 64901
echo "postfix:x:64901:64901::/nonexistent:/usr/sbin/nologin" >> "$R/etc/passwd"
echo "postfix:x:64901:" >> "$R/etc/group"
inr ln -s /usr/share/mailban/rsyslog/60-mailban.conf /etc/rsyslog.d/60-mailban.conf
# Inside a chroot (a freshly debootstrapped machine) the kernel names the
# MTA's executable with the chroot's path in front (exe_prefix,
# daemons.sh), which no shipped rule can name: there the Postfix rule
# decides by its users alone, in a drop-in taken out before the purge.
if [ -n "$(exe_prefix)" ]; then
	printf 'trust = ( { program = "postfix*"; users = [ "root", "postfix" ]; } );\n' \
	    > "$R/etc/mailban/mailban.conf.d/50-chroot.conf"
fi
# the unit's ExecStart lines, run in the server namespace (what systemd
# does at boot)
grep '^ExecStart=' "$R/lib/systemd/system/mailban.service" | sed 's/^ExecStart=//' > "$tmp/execstart"
check "mailban.service has ExecStart lines" test -s "$tmp/execstart"
# as the unit's User= with its ambient CAP_NET_ADMIN, as systemd runs them
unit_user=$(sed -n 's/^User=//p' "$R/lib/systemd/system/mailban.service")
as_user=
[ -z "$unit_user" ] || as_user="setpriv --reuid=$unit_user --regid=$unit_user --init-groups --inh-caps=+net_admin --ambient-caps=+net_admin"
while read -r cmd; do
	# shellcheck disable=SC2086
	srv unshare --mount --propagation private sh -c \
	    'mount -t proc mailban-proc "$0/proc" && exec chroot "$0" "$@"' "$R" $as_user $cmd \
	    >> "$tmp/execstart.out" 2>&1 || { cat "$tmp/execstart.out"; echo "ExecStart failed: $cmd"; exit 1; }
done < "$tmp/execstart"
check "the unit's ExecStart made the set mailban4" srv ipset -n list mailban4 >/dev/null

# ------------------------------------------------ rsyslogd of the root
# Debian's rsyslog.conf, its system socket replaced by a private one with
# the annotation README.Debian asks for, and its rsyslog.d (the snippet)
mkdir -p "$R/run/mbtest"
cat > "$R/etc/mbtest-rsyslog.conf" <<'EOC'
global(workDirectory="/var/spool/rsyslog")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="/run/mbtest/log.sock" RateLimit.Interval="0"
    Annotate="on" ParseTrusted="on")
mail.* action(type="omfile" file="/var/log/mail.log" template="RSYSLOG_FileFormat")
$IncludeConfig /etc/rsyslog.d/*.conf
EOC
ln -sf "$R/run/mbtest/log.sock" "$ns/log.sock"
start_root_syslog() {
	rm -f "$R/run/mbtest/log.sock"
	inns sh -c 'mount -t proc mailban-proc "$0/proc" && exec chroot "$0" rsyslogd -n -f /etc/mbtest-rsyslog.conf -i /run/mbtest/rsyslogd.pid' \
	    "$R" > "$tmp/rsyslogd.out" 2>&1 &
	syslog_pid=$!
	mta_pids="$mta_pids $syslog_pid"
	wait_for 10 test -S "$R/run/mbtest/log.sock" || { cat "$tmp/rsyslogd.out"; echo "rsyslogd did not start"; exit 1; }
	chmod 666 "$R/run/mbtest/log.sock"
}
stop_root_syslog() {
	kill "$syslog_pid"
	wait "$syslog_pid" 2>/dev/null
}
mail_log() { grep -cE -- "$1" "$R/var/log/mail.log" 2>/dev/null || true; }
mail_has() { [ "$(mail_log "$2")" -ge "$1" ]; }
children() { pgrep -P "$syslog_pid"; }

# ------------------------------------------------------------- Postfix
fetch postfix +usr/lib/postfix usr/lib/postfix/sbin usr/sbin -- \
    postfix sasl2-bin libsasl2-modules libsasl2-modules-db
overlay "$ROOT/usr" /usr
grep -q '^pfmbdrop:' "$ns/group" || echo "pfmbdrop:x:64902:" >> "$ns/group"
pf=$tmp/postfix
mkdir -p "$pf/spool" "$pf/data" "$pf/conf"
postfix_spool "$pf"
cat > "$pf/conf/main.cf" <<EOC
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
inet_interfaces = $S4
inet_protocols = ipv4
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
maillog_file =
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH
smtpd_banner = \$myhostname ESMTP
smtpd_recipient_restrictions = reject_unauth_destination, reject_rbl_client $ZONE
EOC
cat > "$pf/conf/master.cf" <<EOC
smtp      inet n - n - - smtpd
2525      inet n - n - - smtpd
anvil     unix - - n - 1 anvil
cleanup   unix n - n - 0 cleanup
rewrite   unix - - n - - trivial-rewrite
proxymap  unix - - n - - proxymap
EOC

start_dns
start_root_syslog
inns env LD_LIBRARY_PATH="$ROOT/usr/lib/postfix:$LIBPATH" \
    setsid /usr/lib/postfix/sbin/master -c "$pf/conf" -d > "$tmp/master.out" 2>&1 &
master_pid=$!
mta_pids="$mta_pids $master_pid"
wait_for 15 srv_has_tcp 25 && wait_for 5 srv_has_tcp 2525 ||
    { cat "$tmp/master.out"; echo "Postfix did not start"; exit 1; }

# ------------------------------------------------- the DNSBL reject, the ban
SWAKS_TIMEOUT=4 client $L4 --to user@$DOMAIN > "$tmp/listed.out" 2>&1
check "Postfix rejects the listed client $L4 (554 ... blocked using $ZONE)" \
    grep -q "554 5.7.1 Service unavailable; Client host \[$L4\] blocked using $ZONE" "$tmp/listed.out"
check "the root's rsyslogd logs the reject" \
    wait_for 5 mail_has 1 "postfix/smtpd\[[0-9]+\]: NOQUEUE: reject: RCPT from unknown\[$L4\]"
check "the installed mailban, started by the installed snippet, bans $L4 in the kernel" \
    wait_for 15 banned $L4
check "$L4 cannot connect to port 25" cannot_connect $S4 25 $L4
check "$L4 still connects to port 2525" can_connect $S4 2525 $L4
check "the ban is in the installed state (mailban list)" \
    sh -c "chroot '$R' /usr/sbin/mailban list -c /etc/mailban/mailban.conf | grep -q '$L4'"
check "mailban's output file /var/log/mailban.log names the ban" \
    grep -q "$L4" "$R/var/log/mailban.log"
if ! banned $L4; then
	sed 's/^/#   /' "$R/var/log/mailban.log" "$R/var/log/mail.log" "$tmp/rsyslogd.out" 2>/dev/null
fi

# ---------------------------------------------------------------- remove
inr env DEBIAN_FRONTEND=noninteractive apt-get remove -y mailban > "$tmp/apt-remove.out" 2>&1
check "apt removes mailban" [ $? = 0 ]
check "remove: the binary is gone" test ! -e "$R/usr/sbin/mailban"
check "remove: the enabled snippet is taken out" test ! -e "$R/etc/rsyslog.d/60-mailban.conf" -a ! -L "$R/etc/rsyslog.d/60-mailban.conf"
check "remove: the conffile and the state stay" test -f "$R/etc/mailban/mailban.conf" -a -d "$R/var/lib/mailban"
# what the postrm's try-restart of rsyslog does (policy-rc.d denies it here)
stop_root_syslog
start_root_syslog
client $I4 --to user@$DOMAIN > "$tmp/after-remove.out" 2>&1
check "after the remove, rsyslogd logs the mail log" \
    wait_for 5 mail_has 1 "NOQUEUE: reject: RCPT from unknown\[$I4\]"
check "after the remove, rsyslogd runs no program (no mailban, no guard)" \
    [ -z "$(children)" ]

# -------------------------------------------------------------- reinstall
stop_root_syslog
inr env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "$deb" > "$tmp/apt-reinstall.out" 2>&1
check "apt installs mailban again" [ $? = 0 ]
check "reinstall: the snippet enabled before the remove is back" \
    [ "$(readlink "$R/etc/rsyslog.d/60-mailban.conf")" = /usr/share/mailban/rsyslog/60-mailban.conf ]

# ------------------------------------------- the file capability
# only where a statoverride keeps others from running the binary
check "no file capability without a statoverride" \
    [ -z "$(inr getcap /usr/sbin/mailban)" ]
inr dpkg-statoverride --update --add root adm 0750 /usr/sbin/mailban
inr dpkg-reconfigure mailban > "$tmp/reconfigure.out" 2>&1
caps=$(inr getcap /usr/sbin/mailban)
check "statoverride root:adm 0750 and dpkg-reconfigure: cap_net_admin+ep ($caps)" \
    [ "$caps" = "/usr/sbin/mailban cap_net_admin=ep" ]
[ "$caps" = "/usr/sbin/mailban cap_net_admin=ep" ] || sed 's/^/#   /' "$tmp/reconfigure.out"
check "... with the statoverride's owner and mode" \
    [ "$(inr stat -c '%U:%G %a' /usr/sbin/mailban)" = "root:adm 750" ]
inr dpkg-statoverride --update --add root root 0755 /usr/sbin/mailban 2>/dev/null ||
    { inr dpkg-statoverride --remove /usr/sbin/mailban; inr dpkg-statoverride --update --add root root 0755 /usr/sbin/mailban; }
inr dpkg-reconfigure mailban > "$tmp/reconfigure2.out" 2>&1
check "a statoverride that lets anyone run it: no capability set" \
    grep -q "may be run by anyone: no file capability set" "$tmp/reconfigure2.out"
inr dpkg-statoverride --remove /usr/sbin/mailban

# ------------------------------------------------------------------ purge
rm -f "$R/etc/mailban/mailban.conf.d/50-chroot.conf"
# in the server namespace: postrm takes out the chain and the sets there
srv unshare --mount --propagation private sh -c \
    'mount -t proc mailban-proc "$0/proc" && exec chroot "$0" "$@"' "$R" \
    env DEBIAN_FRONTEND=noninteractive apt-get purge -y mailban > "$tmp/apt-purge.out" 2>&1
check "apt purges mailban" [ $? = 0 ]
check "purge: the set mailban4 is gone" sh -c "! ip netns exec $SRV ipset -n list mailban4 >/dev/null 2>&1"
check "purge: the set mailban6 is gone" sh -c "! ip netns exec $SRV ipset -n list mailban6 >/dev/null 2>&1"
check "purge: the chain MAILBAN is gone" sh -c "! ip netns exec $SRV iptables-nft -w -n -L MAILBAN >/dev/null 2>&1"
check "purge: no jump to MAILBAN is left in INPUT" sh -c "! ip netns exec $SRV iptables-nft -w -S INPUT | grep -q MAILBAN"
check "purge: /var/lib/mailban is gone" test ! -e "$R/var/lib/mailban"
check "purge: /etc/mailban is gone" test ! -e "$R/etc/mailban"
check "purge: /var/log/mailban.log is gone" test ! -e "$R/var/log/mailban.log"
check "purge: the system user stays" grep -q '^mailban:' "$R/etc/passwd"
check "purge: nothing else: /var/log/mail.log stays" test -s "$R/var/log/mail.log"
echo "# end to end: $(($(date +%s) - t0)) s"
done_testing
