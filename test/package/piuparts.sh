#!/bin/sh
# piuparts (Debian's install, upgrade and removal tester) in a Debian 12
# chroot: install and purge of the package leave the system as it was;
# upgrade from the version before (served from a local repository, as
# the archive would) to this one keeps the administrator's change to the
# conffile /etc/mailban/mailban.conf.  piuparts' custom scripts (run in
# the chroot, a failing one fails piuparts) check what the maintainer
# scripts made at each step.
set -u
. "$SRCDIR/test/package/lib.sh"
[ "$(id -u)" = 0 ] || skip "not root"
command -v piuparts >/dev/null 2>&1 || skip "piuparts not installed"
command -v dpkg-scanpackages >/dev/null 2>&1 || skip "dpkg-dev not installed"
pkg_build
pkg_base

work=$(mktemp -d "$PKG/piuparts.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
repo=$work/repo
mkdir -p "$repo" "$work/scripts"
cp "$PREV_DEB" "$repo/"
(cd "$repo" && dpkg-scanpackages -m . > Packages 2>/dev/null) ||
    { echo "dpkg-scanpackages failed"; exit 1; }

# What the maintainer scripts made, after each installation
cat > "$work/scripts/post_install_mailban" <<EOS
#!/bin/sh
set -e
fail() { echo "mailban post_install (\$PIUPARTS_TEST/\$PIUPARTS_PHASE): \$*" >&2; exit 1; }
getent passwd mailban >/dev/null || fail "no user mailban"
[ "\$(stat -c '%U:%G %a' /var/lib/mailban)" = "mailban:mailban 750" ] ||
    fail "/var/lib/mailban is \$(stat -c '%U:%G %a' /var/lib/mailban)"
[ -L /etc/systemd/system/multi-user.target.wants/mailban.service ] ||
    fail "mailban.service is not enabled"
[ -f /lib/systemd/system/mailban-journal.service ] || fail "no mailban-journal.service"
[ ! -e /etc/systemd/system/multi-user.target.wants/mailban-journal.service ] ||
    fail "mailban-journal.service is enabled on install"
[ -f /usr/share/mailban/rsyslog/60-mailban.conf ] || fail "no rsyslog snippet"
[ ! -e /etc/rsyslog.d/60-mailban.conf ] || fail "the rsyslog snippet is active on install"
/usr/sbin/mailban check -c /etc/mailban/mailban.conf >/dev/null ||
    fail "mailban check refuses the installed configuration"
v=\$(dpkg-query -W -f '\${Version}' mailban)
if [ "\$PIUPARTS_TEST" = upgrade ] && [ "\$PIUPARTS_PHASE" = install ]; then
	[ "\$v" = "$PREV_VERSION" ] || fail "the version before is not installed (\$v)"
	echo "# changed by the administrator" >> /etc/mailban/mailban.conf
	echo "mailban: changed /etc/mailban/mailban.conf under $PREV_VERSION"
fi
if [ "\$PIUPARTS_TEST" = upgrade ] && [ "\$PIUPARTS_PHASE" = upgrade ]; then
	[ "\$v" = "$VERSION" ] || fail "not upgraded (\$v)"
	grep -qx "# changed by the administrator" /etc/mailban/mailban.conf ||
	    fail "the upgrade lost the change to /etc/mailban/mailban.conf"
	echo "mailban: the change to /etc/mailban/mailban.conf survived the upgrade to $VERSION"
	# undone, for piuparts' own check (debsums) that nothing else changed
	sed -i '\$d' /etc/mailban/mailban.conf
fi
EOS
# purge: the state directory is gone, the user stays
cat > "$work/scripts/post_purge_mailban" <<'EOS'
#!/bin/sh
set -e
[ ! -e /var/lib/mailban ] || { echo "mailban post_purge: /var/lib/mailban is left" >&2; exit 1; }
[ ! -e /etc/mailban ] || { echo "mailban post_purge: /etc/mailban is left" >&2; exit 1; }
echo "mailban: purge removed /var/lib/mailban and /etc/mailban"
EOS
chmod 755 "$work/scripts"/*

t0=$(date +%s)
piuparts -d bookworm -m "$MIRROR" --existing-chroot "$BASE" \
    --bindmount "$repo" --extra-repo "deb [trusted=yes] file://$repo ./" \
    --scriptsdir "$work/scripts" -l "$work/piuparts.log" "$DEB" \
    > "$work/piuparts.out" 2>&1
rc=$?
echo "# piuparts: $(($(date +%s) - t0)) s"
cp "$work/piuparts.log" "$PKG/piuparts.log"
grep -E 'mailban (post_install|post_purge|: )|^[0-9:.]+ (ERROR|FAIL|PASS)|PASS:|FAIL:' "$work/piuparts.log" | sed 's/^/#   /' | tail -40
[ "$rc" = 0 ] || tail -60 "$work/piuparts.log" | sed 's/^/#   /'
check "piuparts: install, upgrade from $PREV_VERSION, remove and purge pass (log: $PKG/piuparts.log)" [ "$rc" = 0 ]
check "piuparts ran the upgrade test from $PREV_VERSION" \
    grep -q "the change to /etc/mailban/mailban.conf survived the upgrade" "$work/piuparts.log"
check "piuparts checked the install of $VERSION" \
    grep -q "Running scripts post_install" "$work/piuparts.log"
check "piuparts checked the purge" \
    grep -q "purge removed /var/lib/mailban and /etc/mailban" "$work/piuparts.log"
done_testing
