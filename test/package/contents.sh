#!/bin/sh
# What the package holds: every file that meson install puts in place
# (meson introspect --installed of the package's own build directory) is
# in the package, at its path or where debian/rules moves it (the syslog
# snippets to /usr/share/mailban, the units to /lib/systemd/system, the
# manuals compressed), so a file added to meson's install is packaged or
# this test says which is missing; every file under /etc is a conffile.
set -u
. "$SRCDIR/test/package/lib.sh"
pkg_build
obj=$(ls -d "$PKG"/cur/mailban/obj-*/ | head -1)
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' > "$PKG/contents.list"
n=0
for dst in $(meson introspect --installed "$obj" |
    python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin).values()))'); do
	case "$dst" in
	/etc/rsyslog.d/*) want=/usr/share/mailban/rsyslog/${dst##*/} ;;
	/etc/syslog-ng/conf.d/*) want=/usr/share/mailban/syslog-ng/${dst##*/} ;;
	/usr/lib/systemd/system/*) want=/lib/systemd/system/${dst##*/} ;;
	/usr/share/man/*) want=$dst.gz ;;
	*) want=$dst ;;
	esac
	n=$((n + 1))
	check "meson installs $dst: the package holds $want" grep -qxF "$want" "$PKG/contents.list"
done
check "meson installs files ($n)" [ "$n" -ge 10 ]
dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles > "$PKG/conffiles" 2>/dev/null
for f in $(grep '^/etc/.*[^/]$' "$PKG/contents.list"); do
	check "$f is a conffile" grep -qxF "$f" "$PKG/conffiles"
done
check "/etc/mailban/mailban.conf is a conffile" grep -qxF /etc/mailban/mailban.conf "$PKG/conffiles"
check "the drop-in directory /etc/mailban/mailban.conf.d/ is packaged" \
    grep -qxF /etc/mailban/mailban.conf.d/ "$PKG/contents.list"
done_testing
