#!/usr/bin/env python3
"""mkstate.py PATH normal|hostile|many: a mailban state file for the report
tests, with bans, ban log, stats and errors relative to the clock.

The schema is the one documented in README.md ("State file"); rows are
written the way mailban run writes them."""
import sqlite3, sys, time

SCHEMA = """
CREATE TABLE bans (addr TEXT PRIMARY KEY NOT NULL, family INTEGER NOT NULL,
 count INTEGER NOT NULL, first_ban INTEGER NOT NULL, last_ban INTEGER NOT NULL,
 until INTEGER NOT NULL, duration INTEGER NOT NULL, pattern TEXT NOT NULL,
 score INTEGER NOT NULL, host TEXT NOT NULL DEFAULT '', changed INTEGER NOT NULL,
 program TEXT NOT NULL DEFAULT '');
CREATE TABLE scores (addr TEXT PRIMARY KEY NOT NULL, events TEXT NOT NULL,
 last_seen INTEGER NOT NULL);
CREATE TABLE ban_log (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,
 addr TEXT NOT NULL, pattern TEXT NOT NULL, program TEXT NOT NULL,
 host TEXT NOT NULL, duration INTEGER NOT NULL, count INTEGER NOT NULL);
CREATE TABLE stats (hour INTEGER NOT NULL, pattern TEXT NOT NULL,
 matches INTEGER NOT NULL, bans INTEGER NOT NULL, PRIMARY KEY(hour, pattern));
CREATE TABLE errors (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,
 message TEXT NOT NULL);
PRAGMA user_version = 2;
"""
# the evidence table of version 3 (normal and hostile pages show it)
EVIDENCE = """
CREATE TABLE evidence (id INTEGER PRIMARY KEY, addr TEXT NOT NULL,
 time INTEGER NOT NULL, pattern TEXT NOT NULL, score INTEGER NOT NULL,
 line TEXT NOT NULL);
CREATE INDEX evidence_addr ON evidence(addr, id);
"""

path, mode = sys.argv[1], sys.argv[2]
now = int(time.time())
db = sqlite3.connect(path)
db.executescript(SCHEMA)


def ban(addr, fam, count, first, last, dur, pattern, score, host, program):
    db.execute("INSERT INTO bans VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
               (addr, fam, count, first, last, last + dur if last + dur > now else last + dur,
                dur, pattern, score, host, last, program))


def evidence(addr, t, pattern, score, line):
    db.execute("INSERT INTO evidence(addr, time, pattern, score, line) VALUES(?,?,?,?,?)",
               (addr, t, pattern, score, line))


def log(t, addr, pattern, program, host, dur, count):
    db.execute("INSERT INTO ban_log(time, addr, pattern, program, host, duration,"
               " count) VALUES(?,?,?,?,?,?,?)", (t, addr, pattern, program, host, dur, count))


if mode == "normal":
    # 12 active bans (9 IPv4, 3 IPv6), 2 expired, 1 lifted
    rows = [
        ("203.0.113.61", 4, 1, 3000, 3600, "postfix-rbl", 10, "mx1", "postfix/smtpd"),
        ("198.51.100.7", 4, 3, 90000, 604800, "postfix-sasl", 12, "mx1", "postfix/smtpd"),
        ("192.0.2.44", 4, 2, 7000, 86400, "sendmail-rbl", 10, "mx2", "sm-mta"),
        ("203.0.113.9", 4, 5, 200, 2592000, "exim-auth", 12, "mx3", "exim"),
        ("198.51.100.200", 4, 1, 1200, 3600, "postfix-dnsbl", 10, "mx1", "postfix/postscreen"),
        ("192.0.2.5", 4, 4, 40000, 2592000, "postfix-user-unknown", 12, "mx2", "postfix/smtpd"),
        ("203.0.113.130", 4, 1, 60, 3600, "exim-rbl", 10, "mx3", "exim"),
        ("10.20.30.40", 4, 2, 5000, 86400, "sendmail-relay-denied", 12, "mx2", "sendmail"),
        ("198.51.100.77", 4, 1, 2500, 3600, "postfix-denylisted", 10, "mx1", "postfix/postscreen"),
        ("2001:db8::7", 6, 2, 10000, 86400, "postfix-rbl", 10, "mx1", "postfix/smtpd"),
        ("2001:db8:1::abcd", 6, 1, 300, 3600, "exim-unknown-user", 12, "mx3", "exim"),
        ("2001:db8:ffff::1", 6, 3, 100000, 604800, "postfix-sasl", 15, "mx1", "postfix/submission/smtpd"),
    ]
    for addr, fam, count, ago, dur, pat, score, host, prog in rows:
        last = now - ago
        first = last - (count - 1) * 86400 * 3
        ban(addr, fam, count, first, last, dur, pat, score, host, prog)
    ban("192.0.2.200", 4, 1, now - 90000, now - 90000, 3600, "postfix-rbl", 10, "mx1", "postfix/smtpd")
    ban("2001:db8::dead", 6, 1, now - 20000, now - 20000, 3600, "exim-auth", 12, "mx3", "exim")
    db.execute("INSERT INTO bans VALUES('192.0.2.201', 4, 1, ?, ?, 0, 3600,"
               " 'postfix-rbl', 10, 'mx1', ?, 'postfix/smtpd')", (now - 600, now - 600, now - 300))
    # ban log: day d (0 = today) gets (d * 7) % 13 bans, 0 on some days
    pats = ["postfix-rbl", "postfix-sasl", "exim-auth", "sendmail-rbl"]
    for d in range(0, 30):
        for k in range((d * 7) % 13):
            t = (now // 86400 - d) * 86400 + 3600 * (k % 20) + 17
            if t > now:
                t = now - k
            log(t, "192.0.2.%d" % (k + 1), pats[k % 4], "postfix/smtpd", "mx1", 3600, 1)
    log(now - 40 * 86400, "192.0.2.99", "postfix-rbl", "postfix/smtpd", "mx1", 3600, 1)
    h = now // 3600
    for pat, m, b in [("postfix-rbl", 40, 30), ("postfix-sasl", 300, 20), ("exim-auth", 90, 9),
                      ("sendmail-rbl", 12, 12), ("postfix-user-unknown", 60, 4)]:
        db.execute("INSERT INTO stats VALUES(?,?,?,?)", (h, pat, m // 10, b // 10))
        db.execute("INSERT INTO stats VALUES(?,?,?,?)", (h - 5, pat, m // 5, b // 5))
        db.execute("INSERT INTO stats VALUES(?,?,?,?)", (h - 50, pat, m, b))
        db.execute("INSERT INTO stats VALUES(?,?,?,?)", (h - 1000, pat, m, b))
    db.execute("INSERT INTO errors(time, message) VALUES(?, ?)",
               (now - 7200, 'state /var/lib/mailban/mailban.db: write: database is locked'))
    db.execute("INSERT INTO errors(time, message) VALUES(?, ?)",
               (now - 60, 'a ban set has vanished; re-creating it'))
    # evidence for two bans, as mailban run keeps it (escaped with \xHH)
    db.executescript(EVIDENCE)
    for k in range(3):
        evidence("203.0.113.61", now - 3000 - 10 * (2 - k), "postfix-rbl", 10,
                 "mx1 postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[203.0.113.61]:"
                 " 554 5.7.1 Client host [203.0.113.61] blocked using zen.spamhaus.org; n=%d" % k)
    evidence("2001:db8::7", now - 10000, "postfix-rbl", 10,
             "mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[2001:db8::7]: 554 helo=<a\\x01b>")
elif mode == "hostile":
    script = "<script>alert(1)</script>"
    img = '"><img src=x onerror=alert(1)>'
    ban("203.0.113.66", 4, 2, now - 5000, now - 100, 3600, script, 10, img, "postfix/smtpd")
    # matches the dnsbl glob "*-rbl": gets a lookup link built from the address only
    ban("203.0.113.67", 4, 1, now - 50, now - 50, 3600, 'x"><svg onload=alert(2)>-rbl', 10,
        "mx1", "</td></tr></table><script>alert(3)</script>")
    ban("2001:db8::66", 6, 1, now - 40, now - 40, 3600, "p'onmouseover='alert(4)", 10,
        "host\u202eevil", "exim")
    # bytes that are not UTF-8, and control characters
    db.execute("INSERT INTO bans VALUES('203.0.113.68', 4, 1, ?, ?, ?, 3600, CAST(? AS TEXT),"
               " 10, CAST(? AS TEXT), ?, 'x')", (now - 30, now - 30, now + 3570,
                                                  b"bad\xff\xfeutf8&amp;", b"ctl\x01\x1b[31mred", now - 30))
    # an address that does not parse is skipped
    db.execute("INSERT INTO bans VALUES(?, 4, 1, ?, ?, ?, 3600, 'p', 10, 'h', ?, 'x')",
               ('"><script>alert(5)</script>', now - 20, now - 20, now + 3580, now - 20))
    log(now - 100, "203.0.113.66", script, "postfix/smtpd", img, 3600, 2)
    db.execute("INSERT INTO stats VALUES(?,?,?,?)", (now // 3600, script, 3, 1))
    db.execute("INSERT INTO stats VALUES(?,?,?,?)", (now // 3600, '</table><b id="inj">x</b>', 5, 0))
    db.execute("INSERT INTO errors(time, message) VALUES(?, ?)", (now - 10, script + "\x1b[2J"))
    db.executescript(EVIDENCE)
    evidence("203.0.113.66", now - 100, script, 10,
             'x helo=<' + script + '> from=<"><img src=x onerror=alert(7)>> </pre></div><b id="inj">')
elif mode == "many":
    n = int(sys.argv[3])
    for i in range(n):
        a = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
        ban(a, 4, 1, now - i, now - i, 86400, "postfix-rbl", 10, "mx1", "postfix/smtpd")
db.commit()
db.close()
