#!/usr/bin/env python3
"""Writes exim-split.log: Exim messages cut for syslog as Exim's log.c
write_syslog() cuts them (MAX_SYSLOG_LEN 870; "[i/n] " for a cut at the
length, "[i\\n] " for one at a newline), as rsyslog writes them to a file."""
import sys

MAX = 870


def pieces(s):
    """write_syslog(): the pieces of s, with their prefixes."""
    out, parts = [], []
    ss = s
    while ss:
        nl = ss.find("\n")
        plen = len(ss) if nl < 0 else nl
        plen = min(plen, MAX)
        rest = ss[plen:]
        newline = rest.startswith("\n")
        parts.append((ss[:plen], newline and len(rest) > 1))
        ss = rest[1:] if newline else rest
    n = len(parts)
    if n == 1:
        return [parts[0][0]]
    for i, (text, cut_nl) in enumerate(parts, 1):
        out.append("[%d%s%d] %s" % (i, "\\" if cut_nl else "/", n, text))
    return out


def syslog(stamp, pid, msg, prog="exim4"):
    return ["%s mx1 %s[%d]: %s" % (stamp, prog, pid, p) for p in pieces(msg)]


def main():
    t = "Nov 27 01:50:0%d"
    lines = []
    helo = "h" * 900
    # 1: a padded HELO pushes the reason past the first piece
    m1 = ("2026-11-27 01:50:00 [4001] H=(%s) [203.0.113.70]:4000 "
          "I=[192.0.2.1]:25 F=<a@example.net> rejected RCPT <b@example.com>: "
          "relay not permitted" % helo)
    lines += syslog(t % 0, 4001, m1)
    # 2: a padded sender, three pieces, with another process in between
    sender = "s" * 1900 + "@example.net"
    m2 = ("2026-11-27 01:50:01 [4002] H=(x) [203.0.113.71] F=<%s> rejected "
          "RCPT <b@example.com>: Unknown user" % sender)
    p2 = syslog(t % 1, 4002, m2)
    other = syslog(t % 1, 4003, "2026-11-27 01:50:01 [4003] H=(y) "
                   "[203.0.113.72] F=<c@example.net> rejected RCPT "
                   "<d@example.com>: relay not permitted")
    lines += [p2[0], other[0], p2[1], p2[2]]
    # 3: a newline in the message: "[1\2] " then "[2/2] "
    m3 = ("2026-11-27 01:50:02 [4004] H=(z) [203.0.113.73] F=<e@example.net> "
          "rejected RCPT <f@example.com>: relay not permitted\n"
          "see https://example.com/policy")
    lines += syslog(t % 2, 4004, m3)
    # 4: a piece lost: nothing is read
    m4 = ("2026-11-27 01:50:03 [4005] H=(%s) [203.0.113.74] F=<a@example.net> "
          "rejected RCPT <b@example.com>: relay not permitted" % ("q" * 1800))
    p4 = syslog(t % 3, 4005, m4)
    lines += [p4[0], p4[2]]
    # 5: the reject-log copy Exim sends again: a duplicate
    m5 = ("2026-11-27 01:50:04 [4006] H=(%s) [203.0.113.75] F=<a@example.net> "
          "rejected RCPT <b@example.com>: relay not permitted" % ("r" * 1000))
    lines += syslog(t % 4, 4006, m5) * 2
    # 6: another program's "[1/2] " is left alone
    lines.append((t % 5) + " mx1 cron[9]: [1/2] H=(x) [203.0.113.76] F=<> "
                 "rejected RCPT <b@example.com>: relay not permitted")
    sys.stdout.write("\n".join(lines) + "\n")


main()
