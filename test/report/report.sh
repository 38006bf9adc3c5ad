#!/bin/sh
# mailban status and mailban report, the page checked in a real browser:
# headless Chromium loads pages written from generated state files, the
# DOM is checked (rows, sorting by clicking a heading, the #sort= fragment,
# the chart, lookup links), hostile pattern names and log text stay text,
# and a screenshot of each page is kept in $MAILBAN_REPORT_SHOTS (default:
# a temporary directory, removed).
set -u
. "$SRCDIR/test/lib.sh"
mb=$MAILBAN
here=$SRCDIR/test/report

chromium=$(command -v chromium || command -v chromium-browser) ||
	skip "chromium not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
shots=${MAILBAN_REPORT_SHOTS:-$tmp}
mkdir -p "$shots"

# status also asks the kernel whether bans are enforced: as root it runs in
# an empty network namespace of its own (no sets, no rules: not enforced,
# exit 3), never against the machine's firewall; without root it cannot
# read the firewall, says so, and exits 0
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	ns="unshare -n" want=3
else
	ns= want=0
fi

# --- no state yet: not an error ---
$ns "$mb" status -o "state=$tmp/none.db" > "$tmp/out" 2>&1
check "status without a state file: exit $want" [ $? -eq $want ]
if [ $want = 3 ]; then
	check "status says in its first line that bans are not enforced" \
	    sh -c "head -1 '$tmp/out' | grep -q 'BANS ARE NOT ENFORCED: IPv4: set mailban4 does not exist'"
fi
check "status says there is no state yet" grep -q "no state yet" "$tmp/out"
$ns "$mb" status --json -o "state=$tmp/none.db" > "$tmp/out"
check "status --json without a state file" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"]["exists"] is False and d["active"]["total"] == 0' "$tmp/out"
"$mb" report -o "state=$tmp/none.db" 2> "$tmp/err"
check "report without --html or report.html: usage error" [ $? -eq 2 ]
"$mb" report --html "$tmp/empty.html" -o "state=$tmp/none.db" >/dev/null
check "report without a state file writes a page" grep -q "No state file yet" "$tmp/empty.html"
check "and creates nothing else" [ ! -e "$tmp/none.db" ]

# --- a state with bans, history, counters and errors ---
python3 "$here/mkstate.py" "$tmp/n.db" normal
$ns "$mb" status -o "state=$tmp/n.db" > "$tmp/status" 2>&1
check "status: exit $want" [ $? -eq $want ]
check "status: active bans by family" grep -q "^active     12 bans: IPv4 9, IPv6 3" "$tmp/status"
check "status: per-pattern counters (hour, day, week)" \
    grep -Eq "^postfix-sasl +2 +30 +90 +390 +2 +6 +26$" "$tmp/status"
check "status: top offender first" sh -c "grep -A1 '^ADDRESS' '$tmp/status' | grep -q '^203.0.113.9 .* 5 .*exim-auth / mx3'"
check "status: last errors, newest first" sh -c "grep -A1 '^Last errors' '$tmp/status' | grep -q 'a ban set has vanished'"
check "status: sets named" grep -q "mailban4" "$tmp/status"
# a DNSBL refusing this server's queries: said first, and on the page
cp "$tmp/n.db" "$tmp/d.db"
python3 -c '
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE IF NOT EXISTS notices (kind TEXT NOT NULL, program TEXT NOT NULL, count INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (kind, program))")
db.execute("CREATE TABLE IF NOT EXISTS notice_lines (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, program TEXT NOT NULL, time INTEGER NOT NULL, line TEXT NOT NULL)")
t = int(time.time())
db.execute("INSERT INTO notices VALUES(?, ?, ?, ?, ?)", ("dnsbl-error", "postfix/smtpd", 42, t - 600, t - 60))
db.execute("INSERT INTO notice_lines(kind, program, time, line) VALUES(?, ?, ?, ?)", ("dnsbl-error", "postfix/smtpd", t - 60, "NOQUEUE: reject: ... blocked using zen.spamhaus.org; Error: open resolver; ..."))
db.commit()
' "$tmp/d.db"
$ns "$mb" status -o "state=$tmp/d.db" > "$tmp/dstatus" 2>&1
check "status: a DNSBL error is said first" sh -c "sed -n 3p '$tmp/dstatus' | grep -q '^WARNING: DNSBL ERROR: a DNSBL is refusing this server.s queries (42 lines from postfix/smtpd'"
check "status: no such warning without DNSBL errors" sh -c "! grep -q 'DNSBL ERROR' '$tmp/status'"
$ns "$mb" report --html "$tmp/d.html" -o "state=$tmp/d.db" >/dev/null 2>&1
check "report: the page says it first, in red" grep -q '<p id="dnsbl-error" class="alert">' "$tmp/d.html"
$ns "$mb" status --json -o "state=$tmp/n.db" > "$tmp/status.json"
check "status --json: one document with the same figures" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["active"] == {"ipv4": 9, "ipv6": 3, "total": 12}, d["active"]
p = {x["pattern"]: x for x in d["patterns"]}
assert p["postfix-sasl"]["matches"] == {"hour": 30, "day": 90, "week": 390}
assert p["postfix-sasl"]["bans"] == {"hour": 2, "day": 6, "week": 26}
assert p["postfix-rbl"]["active"] == 2
assert d["top"][0]["ip"] == "203.0.113.9" and d["top"][0]["count"] == 5
assert d["errors"][0]["message"].startswith("a ban set has vanished")
assert [s["name"] for s in d["sets"]] == ["mailban4", "mailban6"]
assert all(s["entries"] is None or isinstance(s["entries"], int) for s in d["sets"])
' "$tmp/status.json"
"$mb" report --html "$tmp/n.html" -o "state=$tmp/n.db" > "$tmp/out"
check "report: exit 0 and a summary line" grep -q "n.html: 12 active bans" "$tmp/out"
check "report: no temporary file left" [ "$(ls -A "$tmp" | grep -c '^\.n\.html')" -eq 0 ]
check "report: mode 0644" [ "$(stat -c %a "$tmp/n.html")" = 644 ]
check "report: no external resource" sh -c "! grep -Eiq '(src|href)=\"(https?:)?//[^\"]*\\.(js|css|woff2?|png)' '$tmp/n.html'"
check "report: a Content-Security-Policy naming its style and script by hash" python3 -c '
import base64, hashlib, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
csp = re.search(r"<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\">", page).group(1)
d = dict((p.split(None, 1) + [""])[:2] for p in (x.strip() for x in csp.split(";")) if p)
h = lambda t: "\x27sha256-%s\x27" % base64.b64encode(hashlib.sha256(t.encode()).digest()).decode()
style = re.findall(r"<style>(.*?)</style>", page, re.S)
script = re.findall(r"<script>(.*?)</script>", page, re.S)
assert len(style) == 1 and len(script) == 1
assert d["default-src"] == "\x27none\x27", d
assert d["script-src"] == h(script[0]), (d["script-src"], h(script[0]))
assert d["style-src"] == h(style[0]), (d["style-src"], h(style[0]))
' "$tmp/n.html"
"$mb" report --html "$tmp/nodir/x.html" -o "state=$tmp/n.db" 2> "$tmp/err"
check "report into a missing directory: exit 1, reported" sh -c "[ $? -eq 1 ] && grep -q 'cannot create a temporary file' '$tmp/err'"
"$mb" report -o "report={html=\"$tmp/cfg.html\";}" -o "state=$tmp/n.db" >/dev/null
check "report writes report.html of the configuration" [ -s "$tmp/cfg.html" ]
"$mb" report --html "$tmp/nolink.html" -o 'report={lookup="";}' -o "state=$tmp/n.db" >/dev/null
check "lookup \"\": no links" sh -c "! grep -q 'lookup</a>' '$tmp/nolink.html'"

browse() { # MODE PAGE SHOT
	python3 "$here/browser.py" "$chromium" "$1" "$2" "$3" > "$tmp/browser.out" 2>&1
	rc=$?
	sed 's/^/    /' "$tmp/browser.out"
	check "chromium: $1 page ($2)" [ $rc -eq 0 ]
}
browse normal "$tmp/n.html" "$shots/report-normal.png"
browse fragment "$tmp/n.html" "$shots/report-fragment.png"

# --- hostile pattern names and log text ---
python3 "$here/mkstate.py" "$tmp/h.db" hostile
"$mb" report --html "$tmp/h.html" -o "state=$tmp/h.db" >/dev/null
check "hostile: no raw markup from the state in the file" \
    sh -c "! grep -Eq '<script>alert|<img|<svg onload|<b id' '$tmp/h.html'"
browse hostile "$tmp/h.html" "$shots/report-hostile.png"
$ns "$mb" status -o "state=$tmp/h.db" > "$tmp/status" 2>&1
check "hostile: status quotes control characters" sh -c "! grep -q \"$(printf '\033')\" '$tmp/status'"
$ns "$mb" status --json -o "state=$tmp/h.db" | python3 -c 'import json, sys; json.load(sys.stdin)'
check "hostile: status --json is valid JSON" [ $? -eq 0 ]

# --- a bound: at most 10000 rows, the newest ---
python3 "$here/mkstate.py" "$tmp/m.db" many 10050
"$mb" report --html "$tmp/m.html" -o "state=$tmp/m.db" >/dev/null
check "10050 active bans: 10000 rows listed" [ "$(grep -c '^<tr><td class="a"' "$tmp/m.html")" -eq 10000 ]
check "and the page says so" grep -q "The newest 10000 of 10050 active bans" "$tmp/m.html"
check "the newest are the ones listed" sh -c "grep -q '>10.0.0.0<' '$tmp/m.html' && ! grep -q '>10.0.39.49<' '$tmp/m.html'"

done_testing
