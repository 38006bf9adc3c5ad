#!/usr/bin/env python3
"""check.py - compare "mailban test --json" output with genlog.py's truth

usage: check.py TRUTH JSON [--max-line N]

Prints one line: attack lines in the truth, attack lines found (same line,
same pattern, same address where the match carries one), missed, wrong
(matched with another pattern or address) and unexpected (an attack pattern
matched a line the truth calls ordinary).  Exit status 1 unless found ==
truth and wrong == unexpected == 0.  Records that score nothing
(sendmail-session, the "record" events of test --verbose) are compared too
but counted apart.
"""
import json
import sys


def main():
    args = sys.argv[1:]
    max_line = 0
    if "--max-line" in args:
        i = args.index("--max-line")
        max_line = int(args[i + 1])
        del args[i:i + 2]
    truth_path, json_path = args
    truth = {}
    with open(truth_path) as f:
        for row in f:
            n, ip, pat, att = row.rstrip("\n").split("\t")
            if max_line and int(n) > max_line:
                break
            truth[int(n)] = (ip, pat, att == "1")
    found = wrong = unexpected = records = 0
    seen = set()
    with open(json_path) as f:
        for row in f:
            ev = json.loads(row)
            if ev.get("event") not in ("match", "record"):
                continue
            n = ev["line"]
            seen.add(n)
            want = truth.get(n)
            if want is None:
                unexpected += 1
                continue
            ok = ev["pattern"] == want[1] and ev.get("ip", want[0]) == want[0]
            if not ok:
                wrong += 1
            elif want[2]:
                found += 1
            else:
                records += 1
    attacks = sum(1 for v in truth.values() if v[2])
    missed = sum(1 for n, v in truth.items() if v[2] and n not in seen)
    print("attack lines %d, found %d, missed %d, wrong %d, unexpected %d, "
          "score-0 records %d/%d" % (attacks, found, missed, wrong,
                                     unexpected, records,
                                     sum(1 for v in truth.values() if not v[2])))
    return 0 if found == attacks and wrong == 0 and unexpected == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
