#!/bin/sh
# NAME
#	install-user.sh - meson install's last step: mailban's run user and
#	its state directory
# SYNOPSIS
#	install-user.sh SYSUSERS_FILE STATE_DIR
# DESCRIPTION
#	A system install (the state directory /var/lib/mailban) creates the
#	user "mailban run" continues as when started as root (privileges.user,
#	default mailban) from the sysusers.d file, with systemd-sysusers (or
#	useradd when there is none).  Any install gives that user the state
#	directory when the user exists; a try-out in a prefix of its own
#	creates no user and says so.  With DESTDIR set (a staged install, a
#	package) it does nothing: the package's postinst does the same.
set -eu
[ -z "${DESTDIR:-}" ] || exit 0
conf=$1
dir=$2
if [ "$dir" = /var/lib/mailban ]; then
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers "$conf"
	elif ! getent passwd mailban >/dev/null; then
		useradd --system --user-group --home-dir "$dir" --no-create-home \
		    --shell /usr/sbin/nologin --comment "mailban run" mailban
	fi
fi
if getent passwd mailban >/dev/null; then
	chown mailban:mailban "$dir"
	chmod 0750 "$dir"
else
	echo "install-user.sh: no user mailban: \"mailban run\" started as root" \
	    "will refuse to run until it exists (systemd-sysusers $conf) or" \
	    "privileges.user names another" >&2
fi
