#!/bin/sh
# speed.sh - line-path speed of mailban against its peers, side by side
#
# usage: bench/speed.sh [--quick] [--no-scale] [WORKDIR]
#
# Builds a release binary (build-release), installs the peers from Debian
# (sshguard, fail2ban, pcre2-utils) when missing, generates logs with
# bench/genlog.py (deterministic, seed 1) and runs every tool on the same
# files, single thread, five runs each (RUNS=N to change), printing the
# median and the fastest:
#
#   mixed.log    MIXED_LINES lines, ~95% ordinary traffic, ~5% attacks
#   attacks.log  ATTACK_LINES lines, every line an attack
#   slice.log    the first 50,000 lines of mixed.log (fail2ban-regex only:
#                it is too slow for the whole file)
#   10 MB, 100 MB, 1 GB logs: mailban's throughput and peak RSS by size
#
# Tools: mailban test --json (output to a file); sshguard's parser
# (sshg-parser); fail2ban-regex with the postfix, sendmail-reject,
# sendmail-auth and exim filters (one pass each, times summed);
# pcre2grep -c with a 5-branch pattern (JIT); grep -c of one literal (the
# raw scan floor).  Attack lines found are compared with the truth that
# genlog.py writes (bench/check.py for mailban).
#
# Peak RSS is /usr/bin/time -f %M.  Needs root only to install packages.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
quick=0
scale=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--no-scale) scale=0; shift ;;
	-*) echo "usage: $0 [--quick] [--no-scale] [WORKDIR]" >&2; exit 2 ;;
	*) break ;;
	esac
done
work=${1:-/tmp/mailban-bench}
MIXED_LINES=${MIXED_LINES:-3000000}
ATTACK_LINES=${ATTACK_LINES:-1000000}
SLICE_LINES=50000
if [ $quick = 1 ]; then
	MIXED_LINES=300000
	ATTACK_LINES=100000
	scale=0
fi
NOW=2027-01-01T00:00:00Z
export LC_ALL=C TZ=UTC
mkdir -p "$work"

# ---------------------------------------------------------------- build
# The release build (-O3) of config.c trips gcc 12's -Wmaybe-uninitialized
# (a false positive, reported); it stays a warning here, not an error.
if [ ! -f "$src/build-release/build.ninja" ]; then
	meson setup "$src/build-release" "$src" --buildtype=release \
	    -Dc_args=-Wno-error=maybe-uninitialized >/dev/null
fi
ninja -C "$src/build-release" mailban >/dev/null
mailban=$src/build-release/mailban

# ---------------------------------------------------------------- peers
if ! command -v fail2ban-regex >/dev/null || ! command -v pcre2grep >/dev/null ||
    ! dpkg -s sshguard >/dev/null 2>&1; then
	apt-get install -y sshguard fail2ban pcre2-utils >/dev/null
fi
sshg=$(dpkg -L sshguard | grep '/sshg-parser$' | head -n 1)
f2b_filters="postfix sendmail-reject sendmail-auth exim"

# ---------------------------------------------------------------- logs
gen() { # OUT ARGS...
	out=$1
	shift
	if [ ! -s "$out" ] || [ ! -s "$out.truth" ]; then
		python3 "$here/genlog.py" --seed 1 --truth "$out.truth" "$@" "$out"
	fi
}
gen "$work/mixed-$MIXED_LINES.log" --lines "$MIXED_LINES"
gen "$work/attacks-$ATTACK_LINES.log" --lines "$ATTACK_LINES" --attacks 1
mixed=$work/mixed-$MIXED_LINES.log
attacks=$work/attacks-$ATTACK_LINES.log
slice=$work/slice.log
head -n $SLICE_LINES "$mixed" >"$slice"

# ---------------------------------------------------------------- helpers
# runs NAME LINES CMD...: RUNS runs (default 5), wall time taken with a
# nanosecond clock around each (/usr/bin/time's %e has 10 ms steps, 1% of
# a mailban run); the median in $med (and lines/s from it in $rate), the
# fastest in $best, peak RSS (KB) of the median run in $rss; the
# command's stdout goes to $work/NAME.out.
RUNS=${RUNS:-5}
runs() {
	name=$1
	lines=$2
	shift 2
	: >"$work/$name.times"
	i=0
	while [ $i -lt "$RUNS" ]; do
		# the previous run's output is removed and written back first:
		# its truncation and writeback are not this run's work
		rm -f "$work/$name.out"
		sync
		t0=$(date +%s%N)
		/usr/bin/time -f "%M" -o "$work/$name.time" "$@" \
		    >"$work/$name.out" 2>"$work/$name.err" || true
		t1=$(date +%s%N)
		echo "$(( (t1 - t0) / 1000 )) $(tail -n 1 "$work/$name.time")" \
		    >>"$work/$name.times"
		i=$((i + 1))
	done
	mid=$(( (RUNS + 1) / 2 ))
	med=$(sort -n "$work/$name.times" | sed -n "${mid}p" |
	    awk '{ printf "%.3f", $1 / 1e6 }')
	rss=$(sort -n "$work/$name.times" | sed -n "${mid}p" | cut -d' ' -f2)
	best=$(sort -n "$work/$name.times" | sed -n 1p |
	    awk '{ printf "%.3f", $1 / 1e6 }')
	rate=$(awk -v l="$lines" -v s="$med" 'BEGIN { printf "%.0f", (s > 0) ? l / s : 0 }')
	printf '%-44s %10s lines %8s s %12s lines/s %8s KB  (fastest %s s)\n' \
	    "$name" "$lines" "$med" "$rate" "$rss" "$best"
}
attacks_in() { # TRUTH [MAXLINE]: attack lines in the truth
	awk -F'\t' -v m="${2:-0}" '$4 == 1 && (m == 0 || $1 <= m)' "$1" | wc -l
}

pattern5='blocked using |SASL [A-Z0-9-]+ authentication failed|rejected RCPT|ruleset=check_[a-z]+, arg1=|DNSBL rank \d+ for'

echo "mailban speed bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
echo "mailban $(git -C "$src" describe --always --dirty 2>/dev/null || echo '?'), release build"
echo

for log in "$mixed" "$attacks"; do
	cat "$log" >/dev/null # in the page cache: time the tools, not the disk
	lines=$(wc -l <"$log")
	bytes=$(wc -c <"$log")
	truth_att=$(attacks_in "$log.truth")
	echo "== $(basename "$log"): $lines lines, $bytes bytes, $truth_att attack lines"
	b=$(basename "$log" .log)
	runs "$b mailban test --json" "$lines" \
	    "$mailban" test --json --now $NOW "$log"
	mb_rate=$rate
	mb_med=$med
	cp "$work/$b mailban test --json.out" "$work/$b.json"
	echo "    found: $(python3 "$here/check.py" "$log.truth" "$work/$b.json" || true)"
	runs "$b mailban test --json < stdin (run's reader)" "$lines" \
	    sh -c "exec \"\$0\" test --json --now $NOW < \"\$1\"" "$mailban" "$log"
	runs "$b sshg-parser" "$lines" sh -c "exec \"\$0\" < \"\$1\"" "$sshg" "$log"
	sg_rate=$rate
	echo "    found: $(wc -l <"$work/$b sshg-parser.out") attack lines reported"
	runs "$b pcre2grep -c (5 branches, JIT)" "$lines" \
	    pcre2grep -c "$pattern5" "$log"
	echo "    found: $(cat "$work/$b pcre2grep -c (5 branches, JIT).out") lines"
	runs "$b grep -c reject (raw scan floor)" "$lines" grep -c reject "$log"
	echo "    mailban/sshg-parser: $(awk -v a="$mb_rate" -v b="$sg_rate" 'BEGIN { printf "%.1f", a / b }')x"

	# fail2ban-regex: a 50,000-line slice, one pass per filter
	if [ "$log" = "$mixed" ]; then
		f2b_total=0
		f2b_found=0
		for f in $f2b_filters; do
			runs "slice fail2ban-regex $f" $SLICE_LINES \
			    fail2ban-regex "$slice" "/etc/fail2ban/filter.d/$f.conf"
			f2b_total=$(awk -v a="$f2b_total" -v b="$med" 'BEGIN { print a + b }')
			n=$(sed -n 's/^Lines: .* \([0-9]*\) matched.*/\1/p' \
			    "$work/slice fail2ban-regex $f.out")
			f2b_found=$((f2b_found + ${n:-0}))
		done
		f2b_rate=$(awk -v s="$f2b_total" -v l=$SLICE_LINES 'BEGIN { printf "%.0f", l / s }')
		echo "    fail2ban-regex, 4 filters on $SLICE_LINES lines: $f2b_total s, $f2b_rate lines/s, $f2b_found lines matched (truth: $(attacks_in "$log.truth" $SLICE_LINES) attack lines)"
		runs "slice mailban test --json" $SLICE_LINES \
		    "$mailban" test --json --now $NOW "$slice"
		echo "    mailban (whole $lines lines)/fail2ban-regex: $(awk -v a="$mb_rate" -v b="$f2b_rate" 'BEGIN { printf "%.0f", a / b }')x"
	fi
	echo
done

# ---------------------------------------------------------------- scale
if [ $scale = 1 ]; then
	echo "== mailban by log size (peak RSS must stay flat)"
	for size in 10000000 100000000 1000000000; do
		f=$work/scale-$size.log
		gen "$f" --bytes "$size"
		cat "$f" >/dev/null # in the page cache: time mailban, not the disk
		runs "scale $size bytes mailban test --json" "$(wc -l <"$f")" \
		    "$mailban" test --json --now $NOW "$f"
	done
fi
