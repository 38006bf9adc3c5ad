#!/bin/sh
# NAME
#	inns.sh - run a command in a private mount and UTS namespace
# SYNOPSIS
#	unshare --mount --uts --propagation private sh inns.sh DIR COMMAND...
# DESCRIPTION
#	Called by test/mta/lib.sh, already inside the test's server network
#	namespace and a fresh mount namespace.  Bind-mounts DIR/resolv.conf,
#	DIR/hosts, DIR/passwd and DIR/group over the machine's files, puts a
#	private /dev in place (the machine's device nodes plus "log", a link to
#	the test's own rsyslogd socket DIR/log.sock), mounts for each "LOWER
#	DST" line of DIR/overlays a read-only overlay of DST over LOWER on DST
#	(the machine's files first, LOWER's where the machine has none: an
#	extracted MTA runs from the paths of its package), applies the "SRC
#	DST" bind mounts listed in DIR/binds, sets the host name to
#	mx.mailban.test and executes COMMAND.  Nothing outside this namespace sees any of it:
#	the machine's /dev/log, resolver and user database stay untouched.
set -eu
d=$1
shift
for f in resolv.conf hosts passwd group; do
	mount --bind "$d/$f" "/etc/$f"
done
dev=$d/dev
mkdir -p "$dev"
mount -t tmpfs -o mode=0755 mailban-dev "$dev"
for n in null zero full random urandom tty; do
	[ -e "/dev/$n" ] || continue
	: > "$dev/$n"
	mount --bind "/dev/$n" "$dev/$n"
done
mkdir "$dev/shm" "$dev/pts"
mount -t tmpfs -o mode=1777 mailban-shm "$dev/shm"
ln -s /proc/self/fd "$dev/fd"
ln -s /proc/self/fd/0 "$dev/stdin"
ln -s /proc/self/fd/1 "$dev/stdout"
ln -s /proc/self/fd/2 "$dev/stderr"
ln -s "$d/log.sock" "$dev/log"
mount --move "$dev" /dev
if [ -s "$d/overlays" ]; then
	while read -r lower dst; do
		mount -t overlay mailban-overlay -o "lowerdir=$dst:$lower" "$dst"
	done < "$d/overlays"
fi
if [ -s "$d/binds" ]; then
	while read -r src dst; do
		mount --bind "$src" "$dst"
	done < "$d/binds"
fi
hostname mx.mailban.test
exec "$@"
