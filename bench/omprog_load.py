#!/usr/bin/env python3
"""omprog_load.py - drive a private rsyslogd (or syslog-ng) with mail log
lines and time the bans in the kernel; used by bench/omprog.sh

usage: omprog_load.py throughput SOCKET NETNS LOG [RATE]
       omprog_load.py latency SOCKET NETNS RATE SECONDS BAN_EVERY

Messages go to the daemon's unix datagram SOCKET as a local program would
send them ("<22>Nov 27 01:02:03 postfix/smtpd[42]: text", facility mail),
blocking when the daemon falls behind.  Whether a ban is in the kernel is
asked of the kernel itself, through one long-running "ipset -"
(interactive mode) inside NETNS: "test mailban4 ADDR,tcp:25".

throughput: sends every line of LOG (a log written by bench/genlog.py; each
line's program and text are kept, its time stamp and host replaced) as fast
as the daemon takes them, or RATE lines a second, then one RBL reject of
the sentinel address 10.255.255.254, and waits until the sentinel's ban is
in the kernel: every line before it has then been read by mailban (one
instance, one queue, in order -- as long as rsyslog's action queue stays
in memory: past its high watermark it spills to disk and the order is no
longer kept; bench/omprog.sh checks mailban's own line count).  Prints
"lines N seconds S rate R sent_in T lag L", L the seconds from the last
send to the sentinel's ban (small when mailban kept up with RATE).

latency: sends RATE lines a second for SECONDS seconds; every BAN_EVERY-th
line is an RBL reject of a new address in 10.3.0.0/16, the others ordinary
Postfix lines.  For each reject, the delay from the send to the first
moment the kernel answers "is in set".  Prints "bans N median_ms M
p99_ms P max_ms X missing K".
"""
import re
import socket
import subprocess
import sys
import threading
import time

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
CLASSIC = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ (.*)$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\S+ \S+ (.*)$")
EXIM = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")


def rbl(addr):
    return ("postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[%s]: "
            "554 5.7.1 Service unavailable; Client host [%s] blocked using "
            "zen.spamhaus.org; from=<spam@example.com> to=<user@example.org> "
            "proto=ESMTP helo=<example.com>" % (addr, addr))


def stamp():
    t = time.gmtime()
    return "%s %2d %02d:%02d:%02d" % (MONTHS[t.tm_mon - 1], t.tm_mday,
                                      t.tm_hour, t.tm_min, t.tm_sec)


class Prober:
    """Asks the kernel, through "ipset -" in NETNS, whether entries exist."""

    def __init__(self, netns):
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", netns, "ipset", "-"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, bufsize=1)

    def present(self, addr):
        self.p.stdin.write("test mailban4 %s,tcp:25\n" % addr)
        self.p.stdin.flush()
        while True:
            line = self.p.stderr.readline()
            if not line:
                raise SystemExit("ipset - exited")
            if addr in line:
                return "NOT in set" not in line

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(path)
    return s


def throughput(sock_path, netns, log, rate=0.0):
    msgs = []
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = CLASSIC.match(line) or ISO.match(line)
            if m:
                msgs.append(m.group(1))
            elif EXIM.match(line):
                msgs.append("exim[4243]: " + line)
    sentinel = "10.255.255.254"
    pr = Prober(netns)
    if pr.present(sentinel):
        raise SystemExit("sentinel already banned")
    s = connect(sock_path)
    t0 = time.monotonic()
    st, st_at = stamp(), int(time.time())
    for i, m in enumerate(msgs):
        if i & 1023 == 0:
            if int(time.time()) != st_at:
                st, st_at = stamp(), int(time.time())
            if rate > 0:
                ahead = t0 + i / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        s.send(("<22>%s %s" % (st, m)).encode())
    s.send(("<22>%s %s" % (stamp(), rbl(sentinel))).encode())
    t_sent = time.monotonic() - t0
    deadline = time.monotonic() + 600
    while not pr.present(sentinel):
        if time.monotonic() > deadline:
            raise SystemExit("sentinel not banned within 600 s")
        time.sleep(0.002)
    dt = time.monotonic() - t0
    pr.close()
    n = len(msgs) + 1
    print("lines %d seconds %.3f rate %.0f sent_in %.3f lag %.3f"
          % (n, dt, n / dt, t_sent, dt - t_sent))


def latency(sock_path, netns, rate, seconds, every):
    pr = Prober(netns)
    s = connect(sock_path)
    pending = {}  # addr -> send time
    delays = []
    lock = threading.Lock()
    done = threading.Event()

    def probe():
        while True:
            with lock:
                items = list(pending.items())
            if not items and done.is_set():
                return
            for a, t in items:
                if pr.present(a):
                    d = time.monotonic() - t
                    with lock:
                        del pending[a]
                        delays.append(d)
            time.sleep(0.0005)

    th = threading.Thread(target=probe)
    th.start()
    total = int(rate * seconds)
    t0 = time.monotonic()
    nban = 0
    for i in range(total):
        target = t0 + i / rate
        now = time.monotonic()
        if target > now:
            time.sleep(target - now)
        if i % every == every - 1:
            a = "10.3.%d.%d" % (nban // 250, nban % 250 + 1)
            nban += 1
            msg = rbl(a)
            with lock:
                pending[a] = time.monotonic()
            s.send(("<22>%s %s" % (stamp(), msg)).encode())
        else:
            s.send(("<22>%s postfix/smtpd[4242]: connect from unknown"
                    "[198.51.100.%d]" % (stamp(), i % 250 + 1)).encode())
    sent_rate = total / (time.monotonic() - t0)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        with lock:
            if not pending:
                break
        time.sleep(0.01)
    with lock:
        missing = len(pending)
        pending.clear()
    done.set()
    th.join()
    pr.close()
    delays.sort()
    n = len(delays)

    def pct(p):
        return delays[min(n - 1, int(p * n))] * 1000 if n else float("nan")
    print("bans %d median_ms %.1f p99_ms %.1f max_ms %.1f missing %d rate %.0f"
          % (n, pct(0.5), pct(0.99), delays[-1] * 1000 if n else float("nan"),
             missing, sent_rate))


def main():
    a = sys.argv[1:]
    if len(a) in (4, 5) and a[0] == "throughput":
        throughput(a[1], a[2], a[3], float(a[4]) if len(a) == 5 else 0.0)
    elif len(a) == 6 and a[0] == "latency":
        latency(a[1], a[2], float(a[3]), float(a[4]), int(a[5]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
