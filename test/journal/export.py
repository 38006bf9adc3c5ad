#!/usr/bin/env python3
"""Journal export streams (systemd's export format, which
systemd-journal-remote writes into journal files) from syslog lines.

  export.py lines FILE [--start USEC] [--step USEC] [--field K=V]...
          [--log LOG]
      each syslog line of FILE ("< LINE" lines of a test/patterns file, or
      plain lines) as one entry: SYSLOG_IDENTIFIER and MESSAGE from the
      line, the trusted fields (_UID, _GID, _PID, _EXE, _COMM,
      _SYSTEMD_UNIT) of the MTA its program names, as journald would add
      them for the MTA's own processes on Debian; --field overrides or
      adds a field (a forgery: another _EXE or _UID); --log writes the
      lines taken, as a syslog file (lines without a syslog prefix, as
      Exim's own mainlog, are left out).
  export.py stream --banned N --below N --noise N [--start USEC]
      a long Postfix stream: N addresses with three relay-denied entries
      each (4 points each: banned at the third, threshold 10), N addresses
      with two (8 points: never banned, unless an entry counts twice), and
      N entries of other traffic, interleaved.
"""
import argparse
import random
import re
import sys
import time

BOOT = "0123456789abcdef0123456789abcdef"
MONO_BASE = 10**15
STAMP = re.compile(
    r"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) (\S+) "
    r"([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)$")


def mta_fields(prog, pid):
    """What journald adds for the MTA's own processes on Debian."""
    if prog.startswith("postfix"):
        name = prog.rsplit("/", 1)[-1]
        exe, comm, unit = "/usr/lib/postfix/sbin/" + name, name, "postfix@-.service"
    elif prog.startswith("exim"):
        exe, comm, unit = "/usr/sbin/exim4", "exim4", "exim4.service"
    elif prog in ("sendmail",) or prog.startswith("sm-"):
        exe, comm, unit = "/usr/libexec/sendmail/sendmail", "sendmail", "sendmail.service"
    else:
        exe, comm, unit = "/usr/bin/" + prog, prog[:15], prog + ".service"
    return {"_UID": "0", "_GID": "0", "_PID": pid or "1", "_EXE": exe,
            "_COMM": comm[:15], "_SYSTEMD_UNIT": unit}


def entry(out, usec, host, prog, pid, msg, extra):
    # one boot: sd-journal orders the entries of a boot by their monotonic
    # time, across files too, so it follows the real time here
    mono = usec - MONO_BASE
    f = {"__REALTIME_TIMESTAMP": str(usec), "__MONOTONIC_TIMESTAMP": str(mono),
         "_BOOT_ID": BOOT, "_HOSTNAME": host, "SYSLOG_IDENTIFIER": prog,
         "SYSLOG_FACILITY": "2", "PRIORITY": "6"}
    f.update(mta_fields(prog, pid))
    f.update(extra)
    f["MESSAGE"] = msg
    out.write("".join("%s=%s\n" % (k, v) for k, v in f.items() if v != ""))
    out.write("\n")


def lines(a, out):
    extra = dict(kv.split("=", 1) for kv in a.field)
    usec = a.start
    log = open(a.log, "w") if a.log else None
    for raw in open(a.file, encoding="utf-8", errors="surrogateescape"):
        raw = raw.rstrip("\n")
        if raw.startswith("< "):
            raw = raw[2:]
        elif raw.startswith(("#", ">")) or not raw.strip():
            continue
        m = STAMP.match(raw)
        if m is None:
            continue
        host, prog, pid, msg = m.groups()
        entry(out, usec, host, prog, pid or "", msg, extra)
        if log:
            log.write(raw + "\n")
        usec += a.step


def stream(a, out):
    usec = a.start
    n = 0
    rows = []
    for i in range(a.banned):
        rows += [("b", i, k) for k in range(3)]
    for i in range(a.below):
        rows += [("s", i, k) for k in range(2)]
    rows += [("n", i, 0) for i in range(a.noise)]
    # interleaved, the same way every time
    random.Random(1).shuffle(rows)
    for kind, i, k in rows:
        if kind == "n":
            msg = ("connect from mail%d.example.net[198.18.%d.%d]" %
                   (i, (i >> 8) & 255, i & 255))
        else:
            net = "10.1" if kind == "b" else "10.2"
            ip = "%s.%d.%d" % (net, (i >> 8) & 255, i & 255)
            msg = ("NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 "
                   "<x%d@example.com>: Relay access denied; from=<a@example.net> "
                   "to=<x%d@example.com> proto=ESMTP helo=<h%d>" % (ip, k, k, k))
        entry(out, usec, "mx1", "postfix/smtpd", str(2000 + n % 30000), msg, {})
        usec += a.step
        n += 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    pl = sub.add_parser("lines")
    pl.add_argument("file")
    pl.add_argument("--field", action="append", default=[])
    pl.add_argument("--log", help="the lines written, as a syslog file")
    ps = sub.add_parser("stream")
    ps.add_argument("--banned", type=int, default=0)
    ps.add_argument("--below", type=int, default=0)
    ps.add_argument("--noise", type=int, default=0)
    for q in (pl, ps):
        q.add_argument("--start", type=int,
                       default=int(time.time() * 1e6) - 3600 * 10**6)
        q.add_argument("--step", type=int, default=1000)
    a = p.parse_args()
    out = sys.stdout
    if a.cmd == "lines":
        lines(a, out)
    else:
        stream(a, out)


if __name__ == "__main__":
    main()
