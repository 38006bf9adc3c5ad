#!/bin/sh
# lintian on the package built from this tree (and its -dbgsym): no error
# and no warning; each warning that stays is overridden in
# debian/mailban.lintian-overrides with the reason.
set -u
. "$SRCDIR/test/package/lib.sh"
command -v lintian >/dev/null 2>&1 || skip "lintian not installed"
pkg_build
t0=$(date +%s)
lintian --fail-on error,warning --display-info "$CHANGES" > "$PKG/lintian.out" 2>&1
rc=$?
sed 's/^/#   /' "$PKG/lintian.out"
check "lintian: no error, no warning in $(basename "$CHANGES")" [ "$rc" = 0 ]
echo "# lintian: $(($(date +%s) - t0)) s"
done_testing
