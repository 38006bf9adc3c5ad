"""promcheck - read Prometheus text exposition format 0.0.4 with the
prometheus_client package's own parser (Debian's python3-prometheus-client)
and check what mailban promises of it: every family has its HELP and TYPE
lines before its samples, every name is mailban_*, counters end in _total
and are whole numbers >= 0, no name twice.  Prints each sample as
"NAME{LABEL=VALUE,...} VALUE", sorted; exit 1 with the reason otherwise.

usage: python3 promcheck.py FILE    ("-": stdin)
"""
import re
import sys

from prometheus_client.parser import text_string_to_metric_families


def fail(msg):
    print("promcheck: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    path = sys.argv[1]
    text = sys.stdin.read() if path == "-" else open(path).read()
    if not text.endswith("\n"):
        fail("the text does not end with a new line")
    helped, typed, seen = set(), {}, set()
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"# (HELP|TYPE) (\S+) (.+)$", line)
        if m and m.group(1) == "HELP":
            helped.add(m.group(2))
            continue
        if m:
            if m.group(3) not in ("counter", "gauge"):
                fail("line %d: type %s" % (n, m.group(3)))
            typed[m.group(2)] = m.group(3)
            continue
        if line.startswith("#") or not line:
            fail("line %d: %r" % (n, line))
        name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
        if name not in helped or name not in typed:
            fail("line %d: %s has no HELP or TYPE line before it" % (n, name))
    families = list(text_string_to_metric_families(text))
    if not families:
        fail("no metric")
    out = []
    for fam in families:
        if not fam.name.startswith("mailban_"):
            fail("%s: not a mailban_ name" % fam.name)
        if fam.name in seen:
            fail("%s twice" % fam.name)
        seen.add(fam.name)
        for s in fam.samples:
            if fam.type == "counter":
                if not s.name.endswith("_total"):
                    fail("%s: a counter not named *_total" % s.name)
                if s.value < 0 or s.value != int(s.value):
                    fail("%s: %r is not a count" % (s.name, s.value))
            labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
            out.append("%s{%s} %d" % (s.name, labels, s.value))
    print("\n".join(sorted(out)))


main()
