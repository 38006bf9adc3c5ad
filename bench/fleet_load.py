#!/usr/bin/env python3
"""fleet_load.py - drive the MX rsyslogds of a fleet (bench/fleet.sh) and
time the central host

usage: fleet_load.py [--drain PID] relp FLEETLOG TOTAL SOCKET:LOG...
       fleet_load.py [--drain PID] mailban NETNS SOCKET:LOG...

Each SOCKET is one MX rsyslogd's unix datagram socket; its LOG (written by
bench/genlog.py) is sent to it by its own thread as fast as the rsyslogd
takes it, each line's program and text kept, its time stamp replaced
("<22>Nov 27 01:02:03 postfix/smtpd[42]: text", facility mail).  All
senders start together.

relp: the central rsyslogd writes what it receives to FLEETLOG; the clock
stops when FLEETLOG has TOTAL lines.

mailban: after its LOG, sender i sends one RBL reject of the sentinel
10.255.255.i; the clock stops when every sentinel's ban is in the central
kernel (asked of the kernel with "ipset test" in NETNS).  Each MX queue and
RELP session keeps its order, and one mailban reads them, so every line
before a sentinel has been read by then (bench/fleet.sh checks mailban's
own count at stop).

--drain PID: the central rsyslogd PID has been stopped (SIGSTOP) by the
caller; every line is handed to the MXs first (they queue it: their RELP
window is full), then PID gets SIGCONT and the clock starts.  This times
the central host alone, draining the MXs' backlog over their open RELP
sessions, with no sender in the way.

Prints "lines N seconds S rate R sent_in T" (T: until the last sender had
handed over its last line; 0 with --drain).
"""
import signal
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from omprog_load import CLASSIC, EXIM, ISO, Prober, connect, rbl, stamp  # noqa: E402


def messages(log):
    msgs = []
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = CLASSIC.match(line) or ISO.match(line)
            if m:
                msgs.append(m.group(1))
            elif EXIM.match(line):
                msgs.append("exim[4243]: " + line)
    return msgs


def sender(sock_path, msgs, sentinel, start, done):
    s = connect(sock_path)
    start.wait()
    st, st_at = stamp(), int(time.time())
    for i, m in enumerate(msgs):
        if i & 1023 == 0 and int(time.time()) != st_at:
            st, st_at = stamp(), int(time.time())
        s.send(("<22>%s %s" % (st, m)).encode())
    if sentinel:
        s.send(("<22>%s %s" % (stamp(), rbl(sentinel))).encode())
    done.append(time.monotonic())


def count_lines(path, have):
    try:
        with open(path, "rb") as f:
            f.seek(have[1])
            chunk = f.read()
    except FileNotFoundError:
        return have
    return (have[0] + chunk.count(b"\n"), have[1] + len(chunk))


def main():
    a = sys.argv[1:]
    drain = None
    if len(a) > 2 and a[0] == "--drain":
        drain, a = int(a[1]), a[2:]
    if len(a) >= 4 and a[0] == "relp":
        mode, fleetlog, total, pairs = "relp", a[1], int(a[2]), a[3:]
    elif len(a) >= 3 and a[0] == "mailban":
        mode, netns, pairs = "mailban", a[1], a[2:]
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
    jobs = []
    n = 0
    for i, p in enumerate(pairs):
        sock_path, log = p.split(":", 1)
        msgs = messages(log)
        n += len(msgs)
        sentinel = "10.255.255.%d" % (i + 1) if mode == "mailban" else None
        jobs.append((sock_path, msgs, sentinel))
    pr = None
    if mode == "mailban":
        n += len(jobs)
        pr = Prober(netns)
        for j in jobs:
            if pr.present(j[2]):
                raise SystemExit("sentinel %s already banned" % j[2])
    else:
        have = count_lines(fleetlog, (0, 0))
        total += have[0]
    start = threading.Event()
    done = []
    threads = [threading.Thread(target=sender, args=(j[0], j[1], j[2], start, done))
               for j in jobs]
    for t in threads:
        t.start()
    if drain is not None:
        start.set()
        for t in threads:
            t.join()
        time.sleep(1)
        os.kill(drain, signal.SIGCONT)
        t0 = done[0] = time.monotonic()
        del done[1:]
    else:
        t0 = time.monotonic()
        start.set()
    deadline = t0 + 900
    if mode == "mailban":
        left = [j[2] for j in jobs]
        while left:
            left = [s for s in left if not pr.present(s)]
            if time.monotonic() > deadline:
                raise SystemExit("sentinels not banned within 900 s: %s" % left)
            time.sleep(0.002)
        pr.close()
    else:
        while have[0] < total:
            if time.monotonic() > deadline:
                raise SystemExit("%d of %d lines within 900 s" % (have[0], total))
            time.sleep(0.01)
            have = count_lines(fleetlog, have)
    dt = time.monotonic() - t0
    for t in threads:
        t.join()
    print("lines %d seconds %.3f rate %.0f sent_in %.3f"
          % (n, dt, n / dt, max(done) - t0))


if __name__ == "__main__":
    main()
