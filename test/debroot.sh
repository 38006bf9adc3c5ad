# Debian packages extracted into a private root, never installed: the
# daemons whose packages conflict with what the machine has (syslog-ng-core
# with rsyslog, the three MTAs with each other) run from such a root with
# LD_LIBRARY_PATH.  Sourced by test/syslog-ng/daemon.sh and test/mta/lib.sh
# after test/lib.sh (skip).
#
#   debroot_fetch ROOT PACKAGE...
#	Extract PACKAGEs and every package they need that the machine lacks
#	into ROOT, once (ROOT/.packages remembers what is there).  What they
#	need is what apt itself would install for them here: the Depends and
#	Pre-Depends of each, recursively, alternatives and virtual packages
#	resolved by apt, minus what is installed (`apt-get -s install`).  So
#	a library that one machine happens to have and another lacks is
#	fetched exactly where it is missing.
#   debroot_ready ROOT [+LIBDIR]... FILE|DIR... -- PACKAGE...
#	debroot_fetch, then debroot_check of the FILEs and DIRs (paths inside
#	ROOT), with each +LIBDIR (inside ROOT: a package's private library
#	directory) before the root's library directories; a root cached on a machine that has since lost a library is
#	extracted again once.  Sets DEBROOT_LIBPATH; a library still missing
#	ends the test (exit 1) with its name.
#   debroot_libpath ROOT
#	The root's library directories, ':'-separated, for LD_LIBRARY_PATH.
#   debroot_check ROOT LIBPATH FILE|DIR...
#	Every shared library that the ELF FILEs (every ELF file directly in a
#	DIR) need resolves with LIBPATH; otherwise name each missing library
#	and the file that needs it, and return 1.  Run it before a daemon
#	starts, so that a missing library is a clear error, not a daemon that
#	dies at its first exec.

debroot_closure() { # PACKAGE...: the packages to download, one a line
	_dr_sim=$(apt-get -s -q -o Debug::NoLocking=1 install \
	    --no-install-recommends "$@" 2>&1) || {
		echo "$_dr_sim" >&2
		echo "apt-get -s install $* failed: cannot resolve what they need" >&2
		return 1
	}
	{
		printf '%s\n' "$@"
		printf '%s\n' "$_dr_sim" | sed -n 's/^Inst \([^ ]*\) .*/\1/p'
	} | sort -u
}

debroot_fetch() {
	_dr_root=$1
	shift
	_dr_stamp="debroot 1 $*"
	[ "$(cat "$_dr_root/.packages" 2>/dev/null)" = "$_dr_stamp" ] && return 0
	for _dr_c in apt-get dpkg dpkg-deb; do
		command -v "$_dr_c" >/dev/null 2>&1 || skip "$_dr_c not installed"
	done
	rm -rf "$_dr_root" "$_dr_root.new"
	mkdir -p "$_dr_root.new/debs"
	_dr_pkgs=$(debroot_closure "$@") || exit 1
	# shellcheck disable=SC2086
	(cd "$_dr_root.new/debs" && timeout 600 apt-get download -q \
	    -o APT::Sandbox::User=root $_dr_pkgs) > "$_dr_root.new/apt.out" 2>&1 || {
		cat "$_dr_root.new/apt.out"
		skip "apt-get download of $(echo $_dr_pkgs) failed (no package source?)"
	}
	for _dr_deb in "$_dr_root.new"/debs/*.deb; do
		dpkg -x "$_dr_deb" "$_dr_root.new" || {
			echo "dpkg -x $_dr_deb failed"
			exit 1
		}
	done
	rm -rf "$_dr_root.new/debs" "$_dr_root.new/apt.out"
	# set-id bits would make the loader ignore LD_LIBRARY_PATH; the tests
	# run the programs as root
	find "$_dr_root.new" -type f -perm /6000 -exec chmod ug-s {} +
	printf '%s\n' "$_dr_stamp" > "$_dr_root.new/.packages"
	mv "$_dr_root.new" "$_dr_root"
}

debroot_libpath() {
	ls -d "$1"/usr/lib/*-linux-gnu "$1"/lib/*-linux-gnu 2>/dev/null |
	    tr '\n' ':' | sed 's/:$//'
}

debroot_check() {
	_dr_root=$1 _dr_lp=$2
	shift 2
	_dr_bad=0
	for _dr_f in "$@"; do
		if [ -d "$_dr_f" ]; then
			find "$_dr_f" -maxdepth 1 -type f
		else
			echo "$_dr_f"
		fi
	done > "$_dr_root.elf"
	while read -r _dr_f; do
		head -c 4 "$_dr_f" 2>/dev/null | grep -q 'ELF' || continue
		_dr_miss=$(LD_LIBRARY_PATH=$_dr_lp ldd "$_dr_f" 2>&1 |
		    sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p')
		for _dr_l in $_dr_miss; do
			echo "$_dr_root: ${_dr_f#"$_dr_root"/} needs $_dr_l, found neither on the machine nor in the extracted packages"
			_dr_bad=1
		done
	done < "$_dr_root.elf"
	rm -f "$_dr_root.elf"
	return $_dr_bad
}

debroot_ready() {
	_dr_top=$1
	shift
	_dr_want= _dr_libs=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case $1 in
		+*) _dr_libs="$_dr_libs$_dr_top/${1#+}:" ;;
		*) _dr_want="$_dr_want $1" ;;
		esac
		shift
	done
	shift
	debroot_fetch "$_dr_top" "$@"
	DEBROOT_LIBPATH=$_dr_libs$(debroot_libpath "$_dr_top")
	_dr_paths=
	for _dr_w in $_dr_want; do _dr_paths="$_dr_paths $_dr_top/$_dr_w"; done
	# shellcheck disable=SC2086
	debroot_check "$_dr_top" "$DEBROOT_LIBPATH" $_dr_paths >/dev/null && return 0
	rm -f "$_dr_top/.packages"
	debroot_fetch "$_dr_top" "$@"
	DEBROOT_LIBPATH=$_dr_libs$(debroot_libpath "$_dr_top")
	# shellcheck disable=SC2086
	debroot_check "$_dr_top" "$DEBROOT_LIBPATH" $_dr_paths && return 0
	echo "libraries missing: the packages that hold them are not in what apt resolves for $*"
	exit 1
}
