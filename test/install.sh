#!/bin/sh
# meson install --destdir into a temporary directory: the binary in sbin,
# the default configuration, the rsyslog and syslog-ng snippets (identical
# to the shipped files), the manuals (rendered by man without warnings),
# the systemd unit (pointing at the installed binary and configuration,
# ordered before the MTAs and after the firewall) and the state directory
# (mode 0750).  Touches nothing outside the temporary directory.
set -u
. "$SRCDIR/test/lib.sh"
build=$(dirname "$MAILBAN")
command -v meson >/dev/null 2>&1 || skip "meson not installed"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
root=$tmp/root

meson install -C "$build" --no-rebuild --destdir "$root" > "$tmp/out" 2>&1
rc=$?
check "meson install --destdir exits 0 ($rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$tmp/out"

# the directories this build was configured with
eval "$(python3 - "$build" <<'PY'
import json, os, sys
opts = {o["name"]: o["value"] for o in
        json.load(open(os.path.join(sys.argv[1], "meson-info", "intro-buildoptions.json")))}
p = opts["prefix"]
for k in ("sbindir", "sysconfdir", "mandir", "localstatedir", "datadir"):
    print("%s='%s'" % (k, os.path.join(p, opts[k])))
print("prefix='%s'" % p)
PY
)"

check "mailban installed in sbin ($sbindir)" test -x "$root$sbindir/mailban"
check "the installed binary runs" sh -c "'$root$sbindir/mailban' check >/dev/null"
check "default configuration in $sysconfdir/mailban" \
    cmp -s "$SRCDIR/etc/mailban.conf" "$root$sysconfdir/mailban/mailban.conf"
check "the installed configuration is valid" \
    sh -c "'$root$sbindir/mailban' check -c '$root$sysconfdir/mailban/mailban.conf' >/dev/null"
check "rsyslog snippet in $sysconfdir/rsyslog.d" \
    cmp -s "$SRCDIR/rsyslog.d/60-mailban.conf" "$root$sysconfdir/rsyslog.d/60-mailban.conf"
check "syslog-ng snippet in $sysconfdir/syslog-ng/conf.d" \
    cmp -s "$SRCDIR/etc/syslog-ng/mailban.conf" "$root$sysconfdir/syslog-ng/conf.d/mailban.conf"
for f in 60-mailban-mx-relp.conf 60-mailban-central.conf; do
	check "fleet example $f in $datadir/doc/mailban/examples" \
	    cmp -s "$SRCDIR/rsyslog.d/$f" "$root$datadir/doc/mailban/examples/$f"
	check "and not active in $sysconfdir/rsyslog.d" \
	    test ! -e "$root$sysconfdir/rsyslog.d/$f"
done
if command -v rsyslogd >/dev/null 2>&1; then
	printf 'global(workDirectory="%s")\n' "$tmp" > "$tmp/rs.conf"
	cat "$root$sysconfdir/rsyslog.d/60-mailban.conf" >> "$tmp/rs.conf"
	check "rsyslogd -N1 accepts the installed snippet" \
	    sh -c "rsyslogd -N1 -f '$tmp/rs.conf' >/dev/null 2>&1"
fi

for m in man8/mailban.8 man5/mailban.conf.5; do
	f=$root$mandir/$m
	check "manual $m installed" test -f "$f"
	[ -f "$f" ] || continue
	if command -v man >/dev/null 2>&1; then
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" > "$tmp/man.txt" 2> "$tmp/man.err"
		check "man -l $m renders" [ -s "$tmp/man.txt" ]
		check "man --warnings -l $m: no warning" [ ! -s "$tmp/man.err" ]
		[ -s "$tmp/man.err" ] && cat "$tmp/man.err"
	fi
done

u=$root$prefix/lib/systemd/system/mailban.service
check "systemd unit installed ($prefix/lib/systemd/system)" test -f "$u"
check "unit runs the installed mailban setup" \
    grep -qx "ExecStart=$sbindir/mailban setup -c $sysconfdir/mailban/mailban.conf" "$u"
check "unit runs the installed mailban restore" \
    grep -qx "ExecStart=$sbindir/mailban restore -c $sysconfdir/mailban/mailban.conf" "$u"
check "unit: no unsubstituted @VAR@" sh -c "! grep -q '@[A-Z]*@' '$u'"
check "unit: before the MTAs" grep -q '^Before=.*postfix.service.*exim4.service.*sendmail.service' "$u"
check "unit: after the firewall" grep -q '^After=.*netfilter-persistent.service.*nftables.service' "$u"
check "unit: creates the state directory 0750" \
    sh -c "grep -qx 'StateDirectory=mailban' '$u' && grep -qx 'StateDirectoryMode=0750' '$u'"
if command -v systemd-analyze >/dev/null 2>&1; then
	# the unit's syntax (its binaries live in the destdir, so point there)
	sed "s|=$sbindir/|=$root$sbindir/|" "$u" > "$tmp/mailban.service"
	systemd-analyze verify --man=no "$tmp/mailban.service" > "$tmp/verify" 2>&1
	check "systemd-analyze verify: nothing about mailban.service" \
	    sh -c "! grep -i 'mailban.service' '$tmp/verify'"
	grep -i 'mailban.service' "$tmp/verify"
	# the sandbox: systemd's own rating of the unit (9.6 UNSAFE for a
	# unit with no sandbox at all)
	if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
		systemd-analyze security --offline=yes "$tmp/mailban.service" > "$tmp/security" 2>&1
		e=$(sed -n 's/.*Overall exposure level for mailban.service: \([0-9.]*\).*/\1/p' "$tmp/security")
		check "systemd-analyze security: exposure ${e:-?} <= 2.5" \
		    sh -c "[ -n '$e' ] && echo '$e <= 2.5' | bc | grep -qx 1"
		[ -n "$e" ] || cat "$tmp/security"
	fi
fi
check "unit: runs as the run user, CAP_NET_ADMIN and CAP_NET_RAW alone" \
    sh -c "grep -qx 'User=mailban' '$u' && grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW' '$u'"
sy=$root$prefix/lib/sysusers.d/mailban.conf
check "sysusers.d file for the run user" grep -q '^u mailban ' "$sy"

s=$root$localstatedir/lib/mailban
check "state directory $localstatedir/lib/mailban created" test -d "$s"
mode=$(stat -c %a "$s" 2>/dev/null)
check "state directory mode 0750 ($mode)" [ "$mode" = 750 ]
done_testing
