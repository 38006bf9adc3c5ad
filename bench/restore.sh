#!/bin/sh
# NAME
#	bench/restore.sh - time `mailban restore` of COUNT active bans
# SYNOPSIS
#	bench/restore.sh [BUILD_DIR] [COUNT]      (root; default build, 100000)
# DESCRIPTION
#	Writes COUNT active bans (half IPv4, half IPv6) straight into a fresh
#	state file, then times `mailban restore` into empty sets in a private
#	network namespace, for policy drop (one entry per ban) and policy port
#	(three entries per ban: tcp 25, 465, 587).
set -eu
build=${1:-build}
count=${2:-100000}
mb=$(cd "$build" && pwd)/mailban
ns=mbrest-$$
tmp=$(mktemp -d)
trap 'ip netns delete $ns 2>/dev/null; rm -rf $tmp' EXIT
ip netns add $ns
"$mb" list -o "state=$tmp/state.db" >/dev/null     # no file yet: nothing
printf '' | ip netns exec $ns "$mb" run -o "state=$tmp/state.db" 2>/dev/null  # schema
python3 - "$count" "$tmp/state.db" <<'PY'
import sqlite3, sys, time
n, path = int(sys.argv[1]), sys.argv[2]
now = int(time.time())
db = sqlite3.connect(path)
rows = []
for i in range(n):
    ip = ("10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)) if i % 2 == 0 \
        else "2001:db8:%x:%x::1" % (i >> 16, i & 0xffff)
    rows.append((ip, 4 if i % 2 == 0 else 6, 1, now, now, now + 86400, 86400,
                 "postfix-rbl", 10, "mx1", now))
db.executemany("INSERT INTO bans VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
db.commit()
PY
for policy in drop port; do
	ip netns exec $ns ipset destroy 2>/dev/null || true
	s=$(date +%s.%N)
	ip netns exec $ns "$mb" restore -o policy=$policy -o "state=$tmp/state.db" > "$tmp/out"
	e=$(date +%s.%N)
	n4=$(ip netns exec $ns ipset list mailban4 | sed -n 's/^Number of entries: //p')
	n6=$(ip netns exec $ns ipset list mailban6 | sed -n 's/^Number of entries: //p')
	echo "policy $policy: $(cat "$tmp/out"); kernel entries $n4 + $n6; $(echo "$e - $s" | bc) s"
done
