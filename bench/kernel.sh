#!/bin/sh
# NAME
#	bench/kernel.sh - kernel update rate: mailban run vs ipset restore vs
#	one ipset process per entry
# SYNOPSIS
#	bench/kernel.sh [BUILD_DIR] [COUNT]     (root; default build, 100000)
# DESCRIPTION
#	In a private network namespace: COUNT distinct IPv4 addresses, each
#	named by one Postfix RBL reject line, are banned through `mailban run`
#	(policy drop: one hash:ip entry each, timeout 3600).  The same entries
#	are then loaded with `ipset restore`, and a sample of them with one
#	`ipset add` process each.  mailban reports the time spent inside its
#	kernel commits; the whole run's wall time is printed too.  Prints a
#	Markdown table row block for bench/RESULTS.md.
set -eu
build=${1:-build}
count=${2:-100000}
sample=2000
mb=$(cd "$build" && pwd)/mailban
ns=mbbench-$$
tmp=$(mktemp -d)
trap 'ip netns delete $ns 2>/dev/null; rm -rf $tmp' EXIT
ip netns add $ns
in_ns() { ip netns exec $ns "$@"; }
now() { date +%s.%N; }

python3 - "$count" "$tmp" <<'PY'
import sys
n, tmp = int(sys.argv[1]), sys.argv[2]
with open(tmp + "/lines", "w") as lines, open(tmp + "/restore", "w") as rest:
    for i in range(n):
        ip = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
        lines.write("2026-11-27T01:00:00+00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: "
            "RCPT from unknown[%s]: 554 5.7.1 Service unavailable; Client host [%s] "
            "blocked using zen.spamhaus.org; from=<a@example.net> to=<b@example.com> "
            "proto=ESMTP helo=<x>\n" % (ip, ip))
        rest.write("add bench4 %s timeout 3600\n" % ip)
PY
head -n $sample "$tmp/restore" | awk '{print $3}' > "$tmp/sample"

# 1. mailban run (fresh state file, drop policy)
t0=$(now)
in_ns "$mb" run -o policy=drop -o "state=$tmp/state.db" -o 'ignore=[]' \
    < "$tmp/lines" 2> "$tmp/run.err"
t1=$(now)
mb_wall=$(echo "$t1 - $t0" | bc)
mb_kernel=$(sed -n 's/.*kernel: \([0-9]*\) entries committed in \([0-9.]*\) s/\2/p' "$tmp/run.err")
mb_entries=$(sed -n 's/.*kernel: \([0-9]*\) entries committed.*/\1/p' "$tmp/run.err")
in_set=$(in_ns ipset list mailban4 | sed -n 's/^Number of entries: //p')

# 2. ipset restore of the same entries into an empty set of the same type
in_ns ipset create bench4 hash:ip timeout 0 maxelem 1048576
t0=$(now)
in_ns ipset restore -exist < "$tmp/restore"
t1=$(now)
restore=$(echo "$t1 - $t0" | bc)

# 3. one ipset process per entry, on a sample
in_ns ipset create bench4b hash:ip timeout 0 maxelem 1048576
t0=$(now)
while read -r ip; do in_ns ipset add bench4b "$ip" timeout 3600; done < "$tmp/sample"
t1=$(now)
perproc=$(echo "$t1 - $t0" | bc)

rate() { echo "scale=0; $1 / $2" | bc; }
mb_rate=$(rate "$mb_entries" "$mb_kernel")
mb_wall_rate=$(rate "$count" "$mb_wall")
restore_rate=$(rate "$count" "$restore")
perproc_rate=$(rate "$sample" "$perproc")
echo "entries in the kernel set after mailban run: $in_set of $count"
printf '| method | entries | seconds | entries/s |\n|---|---|---|---|\n'
printf '| mailban run, kernel commits (libipset batches) | %s | %s | %s |\n' "$mb_entries" "$mb_kernel" "$mb_rate"
printf '| mailban run, whole process (read, match, state file, kernel) | %s | %s | %s |\n' "$count" "$mb_wall" "$mb_wall_rate"
printf '| ipset restore -exist | %s | %s | %s |\n' "$count" "$restore" "$restore_rate"
printf '| one ipset add process per entry (sample) | %s | %s | %s |\n' "$sample" "$perproc" "$perproc_rate"
echo "mailban kernel rate / ipset restore rate: $(echo "scale=2; $mb_rate / $restore_rate" | bc)"
echo "mailban kernel rate / per-process rate: $(echo "scale=1; $mb_rate / $perproc_rate" | bc)"
