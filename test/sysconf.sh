#!/bin/sh
# The default configuration: without -c every command reads
# SYSCONFDIR/mailban/mailban.conf when it exists, the built-in one when it
# does not, and the drop-ins SYSCONFDIR/mailban/mailban.conf.d/*.conf in
# name order either way.  Runs a mailban built with SYSCONFDIR in the
# build directory (never the machine's /etc): $1 that binary, $2 its
# SYSCONFDIR, which this test makes and removes.
set -u
. "$SRCDIR/test/lib.sh"
mb=$1
etc=$2
conf=$etc/mailban/mailban.conf
dropins=$conf.d
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp" "$etc"' EXIT
trap 'exit 1' HUP INT TERM
now=--now=2026-11-27T12:00:00Z
rm -rf "$etc"

# two SASL failures: a ban with threshold 6, none with the default 10
cat > "$tmp/sasl.log" <<'L'
2026-11-27T01:00:00+00:00 mx postfix/smtpd[1]: warning: unknown[203.0.113.50]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
2026-11-27T01:00:05+00:00 mx postfix/smtpd[1]: warning: unknown[203.0.113.50]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
2026-11-27T01:00:09+00:00 mx custom[7]: bad client 198.51.100.7
L
bans() { "$mb" test --json $now "$@" "$tmp/sasl.log" | grep -c '"event":"ban"'; }
matches() { # PATTERN: matches of PATTERN
	"$mb" test --json $now "$tmp/sasl.log" | grep -c "\"event\":\"match\".*\"pattern\":\"$1\""
}

# nothing installed: the built-in configuration, said so
"$mb" --help > "$tmp/out"
grep -q "^ *$conf\$" "$tmp/out"; check "--help names the default file $conf" [ $? -eq 0 ]
"$mb" check > "$tmp/out"; check "check without a file exits 0 ($?)" [ $? -eq 0 ]
grep -qx "(built-in configuration): OK, [0-9]* patterns" "$tmp/out"
check "check: the built-in configuration" [ $? -eq 0 ]
grep -qx "  (built-in configuration): $conf does not exist" "$tmp/out"
check "check: says the file does not exist" [ $? -eq 0 ]
check "test: the built-in threshold (no ban)" [ "$(bans)" -eq 0 ]

# the installed file: every command uses it
mkdir -p "$etc/mailban"
sed -e 's|^threshold .*|threshold = 6;|' -e "s|^state .*|state = \"$tmp/state.db\";|" \
    "$SRCDIR/etc/mailban.conf" > "$conf"
"$mb" check > "$tmp/out"; check "check with the file exits 0 ($?)" [ $? -eq 0 ]
grep -qx "$conf: OK, [0-9]* patterns" "$tmp/out"; check "check reads $conf" [ $? -eq 0 ]
check "test: the file's threshold (a ban)" [ "$(bans)" -eq 1 ]
"$mb" list > "$tmp/out" 2>&1
grep -q "$tmp/state.db" "$tmp/out"; check "list: the file's state path" [ $? -eq 0 ]
"$mb" status > "$tmp/out" 2>&1
grep -q "^state  *$tmp/state.db" "$tmp/out"; check "status: the file's state path" [ $? -eq 0 ]
"$mb" check -c "$SRCDIR/etc/mailban.conf" > "$tmp/out"
grep -qx "$SRCDIR/etc/mailban.conf: OK, [0-9]* patterns" "$tmp/out"
check "-c FILE is read instead" [ $? -eq 0 ]
n=$("$mb" test --json $now -c "$SRCDIR/etc/mailban.conf" "$tmp/sasl.log" | grep -c '"event":"ban"')
check "-c FILE: its threshold, not the default file's" [ "$n" -eq 0 ]

# drop-ins, in name order, over the file: settings by name, patterns by
# name (added, changed, disabled)
mkdir "$dropins"
printf 'threshold = 20;\n' > "$dropins/10-a.conf"
printf 'window = "1h";\n' > "$dropins/20-b.conf"
check "a drop-in's threshold wins" [ "$(bans)" -eq 0 ]
printf 'threshold = 5;\n' > "$dropins/9-c.conf"
check "drop-ins in name order (9-c.conf after 20-b.conf)" [ "$(bans)" -eq 1 ]
printf 'whatever = 1;\n' > "$dropins/README"
printf 'whatever = 1;\n' > "$dropins/9-c.conf.dpkg-old"
"$mb" check > "$tmp/out"; check "files not named *.conf are not read ($?)" [ $? -eq 0 ]
cat > "$dropins/50-patterns.conf" <<'C'
patterns = (
  { name = "custom"; program = "custom"; score = 10;
    regex = "^bad client (?<ip>[0-9.]+)$"; },
  { name = "postfix-sasl"; score = 1; }
);
C
check "a pattern added by a drop-in matches" [ "$(matches custom)" -eq 1 ]
"$mb" test --json $now "$tmp/sasl.log" > "$tmp/out"
n=$(grep -c '"event":"ban","line":3,"ip":"198.51.100.7"' "$tmp/out")
check "and bans" [ "$n" -eq 1 ]
n=$(grep -c '"event":"ban","line":2,' "$tmp/out")
check "a pattern's score changed by a drop-in (2 x 1 < 5: no ban)" [ "$n" -eq 0 ]
# (the trust users this host lacks, if any, follow the list: not compared)
"$mb" check | tail -n +2 | grep -v "^trust: " > "$tmp/out"
cat > "$tmp/files" <<F
files read, in order:
  $conf
  $dropins/10-a.conf
  $dropins/20-b.conf
  $dropins/50-patterns.conf
  $dropins/9-c.conf
F
cmp -s "$tmp/out" "$tmp/files"; check "check lists the files it read, in order" [ $? -eq 0 ]
cmp -s "$tmp/out" "$tmp/files" || diff "$tmp/files" "$tmp/out"
printf 'patterns = ( { name = "postfix-sasl"; enabled = false; } );\n' > "$dropins/60-off.conf"
check "a pattern disabled by a drop-in matches nothing" [ "$(matches postfix-sasl)" -eq 0 ]

# check --print: the configuration in effect, FILE:LINE of each value
"$mb" check --print > "$tmp/print"; check "check --print exits 0 ($?)" [ $? -eq 0 ]
grep -qx "threshold = 5;  # $dropins/9-c.conf:1" "$tmp/print"
check "--print: threshold from 9-c.conf:1" [ $? -eq 0 ]
grep -qx "window = \"1h\";  # $dropins/20-b.conf:1" "$tmp/print"
check "--print: window from 20-b.conf:1" [ $? -eq 0 ]
grep -qx "state = \"$tmp/state.db\";  # $conf:[0-9]*" "$tmp/print"
check "--print: state from the file" [ $? -eq 0 ]
grep -qx "    score = 1;  # $dropins/50-patterns.conf:4" "$tmp/print"
check "--print: a pattern's score from its drop-in" [ $? -eq 0 ]
grep -qx "    enabled = false;  # $dropins/60-off.conf:1" "$tmp/print"
check "--print: the disabled pattern" [ $? -eq 0 ]
"$mb" test --json $now -c "$tmp/print" "$tmp/sasl.log" > "$tmp/a"
"$mb" test --json $now "$tmp/sasl.log" > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b"; check "--print's text decides as the files do" [ $? -eq 0 ]

# a broken drop-in: FILE:LINE, exit 2, nothing run
printf '\nthreshold = "five";\n' > "$dropins/70-bad.conf"
"$mb" test $now "$tmp/sasl.log" > "$tmp/out" 2> "$tmp/err"
check "a broken drop-in exits 2 ($?)" [ $? -eq 2 ]
grep -q "^mailban: $dropins/70-bad.conf:2: threshold: expected an integer" "$tmp/err"
check "and names its FILE:LINE" [ $? -eq 0 ]
check "and runs nothing" [ ! -s "$tmp/out" ]
printf 'threshold = 5;\nthreshold = 6;\n' > "$dropins/70-bad.conf"
"$mb" check > /dev/null 2> "$tmp/err"
grep -q "^mailban: $dropins/70-bad.conf:2: duplicate setting name" "$tmp/err"
check "a name twice in one drop-in: an error at its line" [ $? -eq 0 ]
rm -f "$dropins/70-bad.conf"

# no file, drop-ins still read over the built-in configuration
rm -f "$conf" "$dropins/50-patterns.conf" "$dropins/60-off.conf"
"$mb" check --print > "$tmp/print"
grep -qx "threshold = 5;  # $dropins/9-c.conf:1" "$tmp/print"
check "without the file: the built-in one and the drop-ins" [ $? -eq 0 ]
grep -q "^state = \"/var/lib/mailban/mailban.db\";  # (built-in configuration):" "$tmp/print"
check "without the file: the built-in state path" [ $? -eq 0 ]
done_testing
