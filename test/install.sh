#!/bin/sh
# meson install of the two layouts the README describes, each from a build
# directory of its own: the system install (--prefix=/usr --sysconfdir=/etc
# --localstatedir=/var) into a DESTDIR, and a local try-out (a prefix of its
# own, here in a temporary directory) installed for real.  In each: the
# binary in sbin, the default configuration, the rsyslog and syslog-ng
# snippets, the manuals (rendered by man without warnings), the systemd
# unit (pointing at the installed binary and configuration, ordered before
# the MTAs and after the firewall), the state directory (mode 0750) and
# the drop-in directory; every path of mailban's that an installed file
# names lies in that layout and exists there (a file made at run time: its
# directory).  The system install's files are the source tree's files as
# they are.  Touches nothing outside the temporary directory.
set -u
. "$SRCDIR/test/lib.sh"
command -v meson >/dev/null 2>&1 || skip "meson not installed"
command -v ninja >/dev/null 2>&1 || skip "ninja not installed"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# install LAYOUT DESTDIR SETUP-OPTION...: a build directory of its own,
# then meson install; sets prefix, sbindir, sysconfdir, mandir,
# localstatedir, datadir (absolute, as configured) and root (DESTDIR)
install() {
	_l=$1 root=$2
	shift 2
	meson setup "$tmp/build-$_l" "$SRCDIR" -Dbuildtype=plain "$@" \
	    > "$tmp/setup-$_l" 2>&1
	_rc=$?
	check "$_l: meson setup $* exits 0 ($_rc)" [ $_rc -eq 0 ]
	[ $_rc -eq 0 ] || { cat "$tmp/setup-$_l"; return 1; }
	ninja -C "$tmp/build-$_l" mailban > "$tmp/ninja-$_l" 2>&1 ||
	    { cat "$tmp/ninja-$_l"; return 1; }
	if [ -n "$root" ]; then
		meson install -C "$tmp/build-$_l" --no-rebuild --destdir "$root" \
		    > "$tmp/install-$_l" 2>&1
	else
		meson install -C "$tmp/build-$_l" --no-rebuild > "$tmp/install-$_l" 2>&1
	fi
	_rc=$?
	check "$_l: meson install exits 0 ($_rc)" [ $_rc -eq 0 ]
	[ $_rc -eq 0 ] || { cat "$tmp/install-$_l"; return 1; }
	eval "$(python3 - "$tmp/build-$_l" <<'PY'
import json, os, sys
opts = {o["name"]: o["value"] for o in
        json.load(open(os.path.join(sys.argv[1], "meson-info", "intro-buildoptions.json")))}
p = opts["prefix"]
for k in ("sbindir", "sysconfdir", "mandir", "localstatedir", "datadir"):
    print("%s='%s'" % (k, os.path.join(p, opts[k])))
print("prefix='%s'" % p)
PY
)"
}

# the paths of mailban's (those that name it, and the fleet's mail log) in
# the installed text files,
# each outside the layout or missing (neither it nor its directory in
# root) on a line of its own, with the file that names it
stray_paths() {
	python3 - "$root" "$prefix" "$sysconfdir" "$localstatedir" <<'PY'
import os, re, sys
root, dirs = sys.argv[1], sys.argv[2:]
path = re.compile(r'(?<![\w.:/\\-])/[\w.+-]+(?:/[\w.+-]+)*')
for top, _, names in os.walk(root or dirs[0]):
    for n in names:
        f = os.path.join(top, n)
        try:
            text = open(f, encoding='utf-8').read()
        except (UnicodeDecodeError, OSError):
            continue  # the binary
        for p in set(path.findall(text)):
            p = p.rstrip('.')
            if 'mailban' not in p and not p.endswith('/mail-fleet.log'):
                continue
            inside = any(p == d or p.startswith(d.rstrip('/') + '/') for d in dirs)
            there = os.path.exists(root + p) or os.path.isdir(root + os.path.dirname(p))
            if not inside or not there:
                print('%s names %s (%s)' % (f[len(root):], p,
                      'outside this layout' if not inside else 'missing'))
PY
}

# layout LAYOUT: the checks every layout passes
# analyze_unit FILE NAME LABEL: systemd's own checks of an installed unit:
# its syntax (its binaries live in the destdir, so pointed there) and the
# sandbox's rating (9.6 UNSAFE for a unit with no sandbox at all)
analyze_unit() {
	command -v systemd-analyze >/dev/null 2>&1 || return 0
	sed "s|=$sbindir/|=$root$sbindir/|" "$1" > "$tmp/$2"
	systemd-analyze verify --man=no "$tmp/$2" > "$tmp/verify" 2>&1
	check "${3}systemd-analyze verify: nothing about $2" \
	    sh -c "! grep -i '$2' '$tmp/verify'"
	grep -i "$2" "$tmp/verify"
	systemd-analyze security --help 2>/dev/null | grep -q -- --offline || return 0
	systemd-analyze security --offline=yes "$tmp/$2" > "$tmp/security" 2>&1
	_e=$(sed -n "s/.*Overall exposure level for $2: \([0-9.]*\).*/\1/p" "$tmp/security")
	check "${3}systemd-analyze security: exposure ${_e:-?} <= 2.5" \
	    sh -c "[ -n '$_e' ] && echo '$_e <= 2.5' | bc | grep -qx 1"
	[ -n "$_e" ] || cat "$tmp/security"
}

layout() {
	_l=$1
	b=$root$sbindir/mailban
	c=$root$sysconfdir/mailban/mailban.conf
	check "$_l: mailban installed in $sbindir" test -x "$b"
	check "$_l: the installed binary runs" sh -c "'$b' check -c '$c' >/dev/null"
	check "$_l: configuration in $sysconfdir/mailban" test -f "$c"
	check "$_l: drop-in directory $sysconfdir/mailban/mailban.conf.d" \
	    test -d "$c.d"
	check "$_l: rsyslog snippet in $sysconfdir/rsyslog.d" \
	    test -f "$root$sysconfdir/rsyslog.d/60-mailban.conf"
	check "$_l: syslog-ng snippet in $sysconfdir/syslog-ng/conf.d" \
	    test -f "$root$sysconfdir/syslog-ng/conf.d/mailban.conf"
	for f in 60-mailban-mx-relp.conf 60-mailban-central.conf; do
		check "$_l: fleet example $f in $datadir/doc/mailban/examples" \
		    test -f "$root$datadir/doc/mailban/examples/$f"
		check "$_l: and not active in $sysconfdir/rsyslog.d" \
		    test ! -e "$root$sysconfdir/rsyslog.d/$f"
	done
	s=$root$localstatedir/lib/mailban
	check "$_l: state directory $localstatedir/lib/mailban created" test -d "$s"
	mode=$(stat -c %a "$s" 2>/dev/null)
	check "$_l: state directory mode 0750 ($mode)" [ "$mode" = 750 ]
	grep -qx "state     = \"$localstatedir/lib/mailban/mailban.db\";" "$c"
	check "$_l: the configuration's state file in $localstatedir/lib/mailban" [ $? -eq 0 ]
	grep -qF "binary=\"/bin/sh -c b=$sbindir/mailban;c=$sysconfdir/mailban/mailban.conf;" \
	    "$root$sysconfdir/rsyslog.d/60-mailban.conf"
	check "$_l: the rsyslog snippet runs this install's mailban with its configuration" [ $? -eq 0 ]
	grep -q "program(\"exec $sbindir/mailban run -c $sysconfdir/mailban/mailban.conf --require-credentials 2>>$localstatedir/log/mailban.log\"" \
	    "$root$sysconfdir/syslog-ng/conf.d/mailban.conf"
	check "$_l: the syslog-ng snippet runs this install's mailban" [ $? -eq 0 ]
	stray_paths > "$tmp/stray"
	check "$_l: every path of mailban's an installed file names is in this layout" \
	    [ ! -s "$tmp/stray" ]
	cat "$tmp/stray"
	if command -v rsyslogd >/dev/null 2>&1; then
		printf 'global(workDirectory="%s")\n' "$tmp" > "$tmp/rs.conf"
		cat "$root$sysconfdir/rsyslog.d/60-mailban.conf" >> "$tmp/rs.conf"
		check "$_l: rsyslogd -N1 accepts the installed snippet" \
		    sh -c "rsyslogd -N1 -f '$tmp/rs.conf' >/dev/null 2>&1"
	fi
	for m in man8/mailban.8 man5/mailban.conf.5; do
		f=$root$mandir/$m
		check "$_l: manual $m installed" test -f "$f"
		[ -f "$f" ] || continue
		if command -v man >/dev/null 2>&1; then
			LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" > "$tmp/man.txt" 2> "$tmp/man.err"
			check "$_l: man -l $m renders" [ -s "$tmp/man.txt" ]
			check "$_l: man --warnings -l $m: no warning" [ ! -s "$tmp/man.err" ]
			[ -s "$tmp/man.err" ] && cat "$tmp/man.err"
		fi
	done
	u=$root$prefix/lib/systemd/system/mailban.service
	check "$_l: systemd unit installed ($prefix/lib/systemd/system)" test -f "$u"
	check "$_l: unit runs the installed mailban setup" \
	    grep -qx "ExecStart=$sbindir/mailban setup -c $sysconfdir/mailban/mailban.conf" "$u"
	check "$_l: unit runs the installed mailban restore" \
	    grep -qx "ExecStart=$sbindir/mailban restore -c $sysconfdir/mailban/mailban.conf" "$u"
	check "$_l: unit: systemctl reload is mailban reload (the running run)" \
	    grep -qx "ExecReload=$sbindir/mailban reload -c $sysconfdir/mailban/mailban.conf" "$u"
	check "$_l: unit: no other ExecReload" [ "$(grep -c '^ExecReload=' "$u")" -eq 1 ]
	check "$_l: unit: no unsubstituted @VAR@" sh -c "! grep -q '@[A-Z]*@' '$u'"
	lr=$root$sysconfdir/logrotate.d/mailban
	check "$_l: logrotate configuration in $sysconfdir/logrotate.d" \
	    grep -qx "$localstatedir/log/mailban.log {" "$lr"
	check "$_l: bash completion in $datadir/bash-completion/completions" \
	    test -f "$root$datadir/bash-completion/completions/mailban"
	check "$_l: unit: before the MTAs" grep -q '^Before=.*postfix.service.*exim4.service.*sendmail.service' "$u"
	check "$_l: unit: after the firewall" grep -q '^After=.*netfilter-persistent.service.*nftables.service' "$u"
	check "$_l: unit: creates the state directory 0750" \
	    sh -c "grep -qx 'StateDirectory=mailban' '$u' && grep -qx 'StateDirectoryMode=0750' '$u'"
	analyze_unit "$u" mailban.service "$_l: "
	check "$_l: unit: runs as the run user, with CAP_NET_ADMIN alone" \
	    sh -c "grep -qx 'User=mailban' '$u' && grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN' '$u' && grep -qx 'AmbientCapabilities=CAP_NET_ADMIN' '$u'"
	check "$_l: sysusers.d file for the run user" \
	    grep -q '^u mailban ' "$root$prefix/lib/sysusers.d/mailban.conf"
	# the journal mode's own service
	u=$root$prefix/lib/systemd/system/mailban-journal.service
	check "$_l: journal unit installed" test -f "$u"
	check "$_l: journal unit runs the installed mailban run --journal" \
	    grep -qx "ExecStart=$sbindir/mailban run --journal --since=-1h -c $sysconfdir/mailban/mailban.conf" "$u"
	check "$_l: journal unit: no unsubstituted @VAR@" sh -c "! grep -q '@[A-Z]*@' '$u'"
	check "$_l: journal unit: restarted on failure" grep -qx 'Restart=on-failure' "$u"
	check "$_l: journal unit: after mailban.service" grep -q '^After=mailban.service' "$u"
	analyze_unit "$u" mailban-journal.service "$_l: journal unit: "
	check "$_l: journal unit: the run user with systemd-journal and CAP_NET_ADMIN alone" \
	    sh -c "grep -qx 'User=mailban' '$u' && grep -qx 'SupplementaryGroups=systemd-journal' '$u' && grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN' '$u' && grep -qx 'AmbientCapabilities=CAP_NET_ADMIN' '$u'"
}

# The system install, into a DESTDIR: Debian's paths, which are the source
# tree's own, so its files are the shipped files as they are.
if install system "$tmp/root" --prefix=/usr --sysconfdir=/etc --localstatedir=/var; then
	layout system
	for f in etc/mailban.conf:/etc/mailban/mailban.conf \
	    rsyslog.d/60-mailban.conf:/etc/rsyslog.d/60-mailban.conf \
	    etc/syslog-ng/mailban.conf:/etc/syslog-ng/conf.d/mailban.conf \
	    rsyslog.d/60-mailban-central.conf:/usr/share/doc/mailban/examples/60-mailban-central.conf \
	    rsyslog.d/60-mailban-mx-relp.conf:/usr/share/doc/mailban/examples/60-mailban-mx-relp.conf \
	    man/mailban.8:/usr/share/man/man8/mailban.8 \
	    man/mailban.conf.5:/usr/share/man/man5/mailban.conf.5 \
	    etc/logrotate.d/mailban:/etc/logrotate.d/mailban \
	    completions/mailban:/usr/share/bash-completion/completions/mailban; do
		check "system: ${f#*:} is the shipped ${f%%:*}" \
		    cmp -s "$SRCDIR/${f%%:*}" "$root${f#*:}"
	done
	check "system: the unit is in /usr/lib/systemd/system" \
	    test -f "$root/usr/lib/systemd/system/mailban.service"
fi

# A local try-out: a prefix of its own, installed for real; its mailban
# reads its own configuration and drop-ins without -c.
local=$tmp/local
if install local "" --prefix="$local"; then
	layout local
	"$local/sbin/mailban" check > "$tmp/out" 2>&1
	grep -qx "$local/etc/mailban/mailban.conf: OK, [0-9]* patterns" "$tmp/out"
	check "local: mailban reads $local/etc/mailban/mailban.conf without -c" [ $? -eq 0 ]
	printf 'threshold = 3;\n' > "$local/etc/mailban/mailban.conf.d/50-local.conf"
	"$local/sbin/mailban" check --print > "$tmp/out" 2>&1
	grep -qx "threshold = 3;  # $local/etc/mailban/mailban.conf.d/50-local.conf:1" "$tmp/out"
	check "local: and its drop-ins" [ $? -eq 0 ]
	grep -qx "state = \"$local/var/lib/mailban/mailban.db\";  # $local/etc/mailban/mailban.conf:[0-9]*" "$tmp/out"
	check "local: its state file in $local/var/lib/mailban" [ $? -eq 0 ]
	# the installed logrotate configuration, run for real on its log file
	# while a writer holds it open for appending, as rsyslog's output= and
	# syslog-ng's 2>> do: the old lines in mailban.log.1, the writer's next
	# line at the start of the emptied file
	if command -v logrotate >/dev/null 2>&1; then
		log=$local/var/log/mailban.log
		exec 9>> "$log"
		echo "mailban: ban 192.0.2.1 for 1h" >&9
		logrotate -f -s "$tmp/logrotate.state" "$local/etc/logrotate.d/mailban" \
		    > "$tmp/lr.out" 2>&1
		check "local: logrotate rotates $log ($(cat "$tmp/lr.out"))" [ $? -eq 0 ]
		echo "mailban: ban 192.0.2.2 for 1h" >&9
		exec 9>&-
		check "local: the old lines are in mailban.log.1" \
		    grep -qx "mailban: ban 192.0.2.1 for 1h" "$log.1"
		check "local: the writer's next line starts the emptied file" \
		    [ "$(cat "$log")" = "mailban: ban 192.0.2.2 for 1h" ]
	else
		skip "logrotate not installed"
	fi
	"$local/sbin/mailban" list > "$tmp/out" 2>&1
	grep -q "$local/var/lib/mailban/mailban.db" "$tmp/out"
	check "local: list looks at that state file" [ $? -eq 0 ]
fi
done_testing
