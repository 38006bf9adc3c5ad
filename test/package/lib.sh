# Shared by the package tests (test/package/*.sh): the Debian package built
# from this source tree with dpkg-buildpackage, twice (the changelog's
# version, and the same source as the version before it, for the upgrade
# test), and a fresh Debian 12 root made by debootstrap; both cached in
# the build tree (build/package/) and made again only when the source
# tree changed (the debs; test/package/ is not in the package) or never (the root: delete it to refresh).
# Building takes the lock build/package/lock: the tests of the suite may
# start together, one builds, the others wait.

. "$SRCDIR/test/lib.sh"

PKG=$(dirname "${MAILBAN:?MAILBAN: the mailban of the build directory}")/package
MIRROR=${MAILBAN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
export PATH=/usr/bin:/bin:/usr/sbin:/sbin:$PATH
mkdir -p "$PKG"

# the source tree as it is, without what builds leave in it (tar to
# stdout; TAR-OPTIONS first)
pkg_tree() { # [TAR-OPTIONS...]
	tar -C "$SRCDIR" -cf - --sort=name "$@" \
	    --exclude=./.git --exclude='./build*' --exclude='./obj-*' \
	    --exclude=./bench/out --exclude=./debian/mailban \
	    --exclude=./debian/mailban-dbgsym --exclude=./debian/.debhelper \
	    --exclude=./debian/tmp --exclude=./debian/files \
	    --exclude='./debian/*.substvars' \
	    --exclude=./debian/debhelper-build-stamp .
}

# _pkg_build DIR SUFFIX NOCHECK: dpkg-buildpackage in DIR/mailban, the
# changelog's version with SUFFIX appended
_pkg_build() {
	rm -rf "$1"
	mkdir -p "$1/mailban"
	pkg_tree | tar -C "$1/mailban" -xf -
	if [ -n "$2" ]; then
		sed -i "1s/(\([^)]*\))/(\1$2)/" "$1/mailban/debian/changelog"
	fi
	(cd "$1/mailban" && DEB_BUILD_OPTIONS=$3 dpkg-buildpackage -us -uc -b) \
	    > "$1/build.log" 2>&1 || { tail -40 "$1/build.log"; return 1; }
}

# pkg_build: the two builds, once per state of the source tree; sets
# VERSION, DEB (the package), CHANGES (its .changes), PREV_VERSION and
# PREV_DEB (the version before)
pkg_build() {
	for c in dpkg-buildpackage dh; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
	done
	VERSION=$(sed -n '1s/.*(\([^)]*\)).*/\1/p' "$SRCDIR/debian/changelog")
	PREV_VERSION=$VERSION~prev
	arch=$(dpkg --print-architecture)
	DEB=$PKG/cur/mailban_${VERSION}_$arch.deb
	CHANGES=$PKG/cur/mailban_${VERSION}_$arch.changes
	PREV_DEB=$PKG/prev/mailban_${PREV_VERSION}_$arch.deb
	(
		flock 9
		sum=$(pkg_tree --mtime=@0 --owner=0 --group=0 \
		    --exclude=./test/package | sha256sum | cut -d' ' -f1)
		if [ "$(cat "$PKG/stamp" 2>/dev/null)" != "$sum" ] ||
		    [ ! -f "$DEB" ] || [ ! -f "$PREV_DEB" ]; then
			rm -f "$PKG/stamp"
			t0=$(date +%s)
			_pkg_build "$PKG/cur" "" "" || exit 1
			_pkg_build "$PKG/prev" "~prev" nocheck || exit 1
			echo "# dpkg-buildpackage, twice: $(($(date +%s) - t0)) s"
			echo "$sum" > "$PKG/stamp"
		fi
	) 9> "$PKG/lock" || { echo "dpkg-buildpackage failed"; exit 1; }
}

# pkg_base: a minimal Debian 12 root (debootstrap --variant=minbase) in the
# directory $BASE, made once; the tests copy it
pkg_base() {
	command -v debootstrap >/dev/null 2>&1 || skip "debootstrap not installed"
	BASE=$PKG/bookworm-minbase
	(
		flock 9
		[ -f "$BASE/.complete" ] && exit 0
		t0=$(date +%s)
		rm -rf "$BASE"
		debootstrap --variant=minbase bookworm "$BASE" "$MIRROR" \
		    > "$PKG/debootstrap.log" 2>&1 ||
		    { tail -20 "$PKG/debootstrap.log"; exit 1; }
		touch "$BASE/.complete"
		echo "# debootstrap of the Debian 12 root: $(($(date +%s) - t0)) s"
	) 9> "$PKG/lock.base" || { echo "debootstrap failed"; exit 1; }
}

# pkg_root: $ROOT0, the Debian 12 root of the end-to-end test before
# mailban: $BASE with rsyslog, libcap2-bin (setcap, recommended) and what the package depends on installed
# from the mirror (apt-get update first), and a policy-rc.d that keeps
# packages from starting daemons in it; made again when the package's
# dependencies change
pkg_root() {
	pkg_base
	ROOT0=$PKG/bookworm-e2e
	deps="rsyslog libcap2-bin $(dpkg-deb -f "$DEB" Depends | tr ',' '\n' |
	    sed 's/(.*)//; s/|.*//; s/ //g' | sort | tr '\n' ' ')"
	(
		flock 9
		[ "$(cat "$ROOT0/.deps" 2>/dev/null)" = "$deps" ] && exit 0
		t0=$(date +%s)
		rm -rf "$ROOT0" "$ROOT0.new"
		cp -a "$BASE" "$ROOT0.new"
		printf '#!/bin/sh\nexit 101\n' > "$ROOT0.new/usr/sbin/policy-rc.d"
		chmod 755 "$ROOT0.new/usr/sbin/policy-rc.d"
		# shellcheck disable=SC2086
		in_root "$ROOT0.new" sh -c "apt-get update -qq &&
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends $deps" > "$PKG/e2e-root.log" 2>&1 ||
		    { tail -20 "$PKG/e2e-root.log"; exit 1; }
		echo "$deps" > "$ROOT0.new/.deps"
		mv "$ROOT0.new" "$ROOT0"
		echo "# the end-to-end root (rsyslog, the dependencies): $(($(date +%s) - t0)) s"
	) 9> "$PKG/lock.root" || { echo "cannot make the end-to-end root"; exit 1; }
}

# in_root ROOT COMMAND...: COMMAND chrooted in ROOT, with /proc mounted
# there in a private mount namespace (gone with it)
in_root() {
	_r=$1
	shift
	unshare --mount --propagation private sh -c \
	    'mount -t proc mailban-proc "$0/proc" && exec chroot "$0" "$@"' "$_r" "$@"
}
