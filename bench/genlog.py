#!/usr/bin/env python3
"""genlog.py - deterministic generator of realistic mixed mail logs

usage: genlog.py [--lines N | --bytes N] [--seed S] [--attacks R]
                 [--truth FILE] [--hosts N] OUT

Writes OUT: a mail log as Postfix, Exim and Sendmail write it through
syslog (classic "Nov 27 01:02:03 host prog[pid]: msg" and RFC 3339
"2026-11-27T01:02:03.123456+00:00 host prog[pid]: msg"), plus Exim's own
mainlog shape ("2026-11-27 01:02:03 [pid] msg"), with non-mail programs
mixed in.  About 1 - R of the lines are ordinary traffic (connects and
disconnects, TLS, deliveries, qmgr/cleanup, greylisting, postscreen PASS,
Exim <= => Completed, Sendmail from=/to= stat=Sent, cron, sshd, dovecot
...), R (default 0.05) are attacks: every default pattern class of
etc/mailban.conf, IPv4 and IPv6, in the formats of test/patterns/*.txt.
--attacks 1 gives a log of attack lines only.

--truth FILE gets one line per line of OUT that a default pattern must
match: "LINENO<TAB>ADDRESS<TAB>PATTERN<TAB>ATTACK", ATTACK 1 for a line
that scores (an attack), 0 for a record that scores nothing (Sendmail's
from= session lines link a queue ID to its address).  Sendmail "User
unknown" lines carry no address; their ADDRESS is the one of the session
line of the same queue ID.

The same arguments always give the same bytes (random.Random(seed)).
Timestamps start at 2026-11-20 00:00:00 UTC and advance about 20 ms a
line; replay with "mailban test --now 2027-01-01T00:00:00Z" so that
year-less stamps land in 2026.
"""
import argparse
import random
import sys
import time

START = 1795132800  # 2026-11-20T00:00:00Z
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class Gen:
    def __init__(self, seed, attack_ratio, nhosts):
        self.r = random.Random(seed)
        self.attack_ratio = attack_ratio
        self.t = float(START)
        self.sec = -1
        self.stamp_classic = ""
        self.stamp_iso = ""
        self.stamp_exim = ""
        r = self.r
        # clients: a fixed pool of legitimate senders and of attackers, so
        # that the tracker holds a realistic, bounded number of addresses
        self.good4 = ["%d.%d.%d.%d" % (r.randint(11, 223), r.randint(0, 255),
                      r.randint(0, 255), r.randint(1, 254))
                      for _ in range(nhosts)]
        self.good6 = ["2001:db8:%x:%x::%x" % (r.randint(0, 0xffff),
                      r.randint(0, 0xffff), r.randint(1, 0xffff))
                      for _ in range(nhosts // 4)]
        self.bad4 = ["%d.%d.%d.%d" % (r.randint(11, 223), r.randint(0, 255),
                     r.randint(0, 255), r.randint(1, 254))
                     for _ in range(nhosts)]
        self.bad6 = ["2a0%x:%x:%x::%x" % (r.randint(1, 15), r.randint(0, 0xffff),
                     r.randint(0, 0xffff), r.randint(1, 0xffff))
                     for _ in range(nhosts // 4)]
        self.names = ["mail", "mx1", "smtp", "relay", "out", "mta2", "mx-in"]
        self.domains = ["example.net", "example.org", "example.com",
                        "mail.example", "corp.example", "isp.example"]
        self.users = ["alice", "bob", "carol", "dave", "info", "sales",
                      "postmaster", "noreply", "j.smith", "billing"]
        self.pid = 1000
        self.sm_sessions = []  # recent (qid, address) for "User unknown"
        self.ordinary = [
            (30, self.pf_smtpd_ordinary), (10, self.pf_postscreen_ordinary),
            (22, self.pf_queue_ordinary), (18, self.exim_ordinary),
            (12, self.sm_ordinary), (8, self.other_ordinary),
        ]
        self.attacks = [
            (3, self.sm_attack), (6, self.pf_attack), (3, self.pf_ps_attack),
            (4, self.exim_attack),
        ]
        self.ord_total = sum(w for w, _ in self.ordinary)
        self.att_total = sum(w for w, _ in self.attacks)

    # ---------------------------------------------------------- helpers
    def pick(self, weighted, total):
        x = self.r.random() * total
        for w, f in weighted:
            x -= w
            if x < 0:
                return f
        return weighted[-1][1]

    def tick(self):
        self.t += self.r.random() * 0.04
        sec = int(self.t)
        if sec != self.sec:
            self.sec = sec
            tm = time.gmtime(sec)
            self.stamp_classic = "%s %2d %02d:%02d:%02d" % (
                MONTHS[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec)
            self.stamp_iso = "%04d-%02d-%02dT%02d:%02d:%02d" % tm[:6]
            self.stamp_exim = "%04d-%02d-%02d %02d:%02d:%02d" % tm[:6]

    def syslog(self, prog, msg):
        """A syslog line, classic (2/3) or RFC 3339 (1/3)."""
        r = self.r
        self.pid = self.pid + 1 if self.pid < 99999 else 1000
        host = "mx1" if r.random() < 0.7 else "mx2"
        if r.random() < 0.67:
            return "%s %s %s[%d]: %s" % (self.stamp_classic, host, prog,
                                         self.pid, msg)
        return "%s.%06d+00:00 %s %s[%d]: %s" % (
            self.stamp_iso, int((self.t % 1) * 1e6), host, prog, self.pid,
            msg)

    def exim(self, msg):
        """Exim: through syslog with its own stamp, or its own mainlog."""
        r = self.r
        pid = r.randint(1000, 60000)
        x = r.random()
        if x < 0.5:
            return "%s [%d] %s" % (self.stamp_exim, pid, msg)
        return self.syslog("exim4" if x < 0.8 else "exim",
                           "%s [%d] %s" % (self.stamp_exim, pid, msg))

    def qid_pf(self):
        return "".join(self.r.choice(ALNUM[:36]) for _ in range(10))

    def qid_sm(self):
        return "5AR" + "".join(self.r.choice(ALNUM) for _ in range(5)) + \
            "%06d" % self.r.randint(0, 999999)

    def qid_exim(self):
        r = self.r
        return "1q" + "".join(r.choice(ALNUM) for _ in range(4)) + "-" + \
            "".join(r.choice(ALNUM) for _ in range(6)) + "-" + \
            "".join(r.choice(ALNUM) for _ in range(2))

    def good(self):
        r = self.r
        if r.random() < 0.15:
            return r.choice(self.good6)
        return r.choice(self.good4)

    def bad(self):
        r = self.r
        if r.random() < 0.25:
            return r.choice(self.bad6)
        return r.choice(self.bad4)

    def hostname(self, ip):
        r = self.r
        if r.random() < 0.3:
            return "unknown"
        return "%s.%s" % (r.choice(self.names), r.choice(self.domains))

    def addr(self):
        return "%s@%s" % (self.r.choice(self.users), self.r.choice(self.domains))

    # ---------------------------------------------------------- ordinary
    def pf_smtpd_ordinary(self):
        r = self.r
        ip = self.good()
        h = self.hostname(ip)
        x = r.randint(0, 9)
        if x == 0:
            m = "connect from %s[%s]" % (h, ip)
        elif x == 1:
            m = ("disconnect from %s[%s] ehlo=1 starttls=1 mail=1 rcpt=1 "
                 "data=1 quit=1 commands=6" % (h, ip))
        elif x == 2:
            m = "%s: client=%s[%s]" % (self.qid_pf(), h, ip)
        elif x == 3:
            m = ("Anonymous TLS connection established from %s[%s]: TLSv1.3 "
                 "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange "
                 "X25519 server-signature RSA-PSS (2048 bits) server-digest "
                 "SHA256" % (h, ip))
        elif x == 4:
            m = "lost connection after DATA from %s[%s]" % (h, ip)
        elif x == 5:
            m = ("NOQUEUE: reject: RCPT from %s[%s]: 450 4.2.0 <%s>: Recipient "
                 "address rejected: Greylisted, see "
                 "http://postgrey.schweikert.ch/help/example.com.html; "
                 "from=<%s> to=<%s> proto=ESMTP helo=<%s>" % (
                     h, ip, self.addr(), self.addr(), self.addr(), h))
        elif x == 6:
            m = "%s: client=%s[%s], sasl_method=PLAIN, sasl_username=%s" % (
                self.qid_pf(), h, ip, self.addr())
        elif x == 7:
            m = "warning: hostname %s does not resolve to address %s" % (h, ip)
        elif x == 8:
            m = "timeout after END-OF-MESSAGE from %s[%s]" % (h, ip)
        else:
            m = "disconnect from %s[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 " \
                "commands=5" % (h, ip)
        prog = "postfix/submission/smtpd" if r.random() < 0.1 else "postfix/smtpd"
        return self.syslog(prog, m), None

    def pf_postscreen_ordinary(self):
        r = self.r
        ip = self.good()
        port = r.randint(1024, 65535)
        x = r.randint(0, 5)
        if x == 0:
            m = "CONNECT from [%s]:%d to [192.0.2.1]:25" % (ip, port)
        elif x == 1:
            m = "PASS OLD [%s]:%d" % (ip, port)
        elif x == 2:
            m = "PASS NEW [%s]:%d" % (ip, port)
        elif x == 3:
            m = "DISCONNECT [%s]:%d" % (ip, port)
        elif x == 4:
            m = ("NOQUEUE: reject: RCPT from [%s]:%d: 450 4.3.2 Service "
                 "currently unavailable; from=<%s>, to=<%s>, proto=ESMTP, "
                 "helo=<%s>" % (ip, port, self.addr(), self.addr(),
                                self.hostname(ip)))
        else:
            m = "WHITELISTED [%s]:%d" % (ip, port)
        return self.syslog("postfix/postscreen", m), None

    def pf_queue_ordinary(self):
        r = self.r
        q = self.qid_pf()
        x = r.randint(0, 6)
        if x == 0:
            return self.syslog("postfix/cleanup", "%s: message-id=<%d.%s@%s>" % (
                q, r.randint(1, 10**9), q, r.choice(self.domains))), None
        if x == 1:
            return self.syslog("postfix/qmgr", "%s: from=<%s>, size=%d, nrcpt=1 "
                               "(queue active)" % (q, self.addr(),
                                                   r.randint(500, 900000))), None
        if x == 2:
            return self.syslog("postfix/qmgr", "%s: removed" % q), None
        if x == 3:
            return self.syslog("postfix/local", "%s: to=<%s>, relay=local, "
                               "delay=0.21, delays=0.1/0.01/0/0.1, dsn=2.0.0, "
                               "status=sent (delivered to mailbox)" % (
                                   q, self.addr())), None
        if x == 4:
            ip = self.good()
            return self.syslog("postfix/smtp", "%s: to=<%s>, relay=%s[%s]:25, "
                               "delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, "
                               "status=sent (250 2.0.0 OK  1700000000 "
                               "x12si1234567abc.89 - gsmtp)" % (
                                   q, self.addr(), self.hostname(ip), ip)), None
        if x == 5:
            return self.syslog("postfix/pickup", "%s: uid=%d from=<%s>" % (
                q, r.randint(1000, 1100), r.choice(self.users))), None
        return self.syslog("postgrey", "action=greylist, reason=new, "
                           "client_name=%s, client_address=%s, sender=%s, "
                           "recipient=%s" % (self.hostname(""), self.good(),
                                             self.addr(), self.addr())), None

    def exim_ordinary(self):
        r = self.r
        ip = self.good()
        h = self.hostname(ip)
        q = self.qid_exim()
        x = r.randint(0, 7)
        if x == 0:
            m = ("%s <= %s H=%s (%s) [%s]:%d I=[192.0.2.1]:25 P=esmtps "
                 "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=%d "
                 "id=%d.%s@%s" % (q, self.addr(), h, h, ip,
                                   r.randint(1024, 65535), r.randint(500, 90000),
                                   r.randint(1, 10**9), q, r.choice(self.domains)))
        elif x == 1:
            m = "%s => %s R=local_user T=mail_spool" % (q, self.addr())
        elif x == 2:
            m = "%s Completed" % q
        elif x == 3:
            m = ("SMTP connection from %s [%s]:%d I=[192.0.2.1]:25 (TCP/IP "
                 "connection count = %d)" % (h, ip, r.randint(1024, 65535),
                                             r.randint(1, 20)))
        elif x == 4:
            m = "SMTP connection from %s [%s]:%d I=[192.0.2.1]:25 closed by " \
                "QUIT" % (h, ip, r.randint(1024, 65535))
        elif x == 5:
            m = ("H=%s [%s] F=<%s> temporarily rejected RCPT <%s>: greylisted" %
                 (h, ip, self.addr(), self.addr()))
        elif x == 6:
            m = "no host name found for IP address %s" % ip
        else:
            m = "%s => %s R=dnslookup T=remote_smtp H=%s [%s] X=TLS1.3:" \
                "TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK\"" % (
                    q, self.addr(), h, ip)
        return self.exim(m), None

    def sm_ordinary(self):
        r = self.r
        ip = self.good()
        q = self.qid_sm()
        prog = r.choice(["sm-mta", "sendmail"])
        x = r.randint(0, 3)
        if x == 0:
            # the session record: matches sendmail-session (score 0)
            rel = ("%s [%s]" % (self.hostname(ip), "IPv6:" + ip if ":" in ip else ip))
            self.remember_session(q, ip)
            m = ("%s: from=<%s>, size=%d, class=0, nrcpts=1, msgid=<%d@%s>, "
                 "proto=ESMTP, daemon=MTA, relay=%s" % (
                     q, self.addr(), r.randint(500, 90000), r.randint(1, 10**9),
                     r.choice(self.domains), rel))
            return self.syslog(prog, m), (ip, "sendmail-session", 0)
        if x == 1:
            m = ("%s: to=<%s>, delay=00:00:01, xdelay=00:00:01, mailer=local, "
                 "pri=%d, dsn=2.0.0, stat=Sent" % (q, self.addr(),
                                                   r.randint(30000, 90000)))
        elif x == 2:
            m = ("STARTTLS=server, relay=%s [%s], version=TLSv1.3, verify=NO, "
                 "cipher=TLS_AES_256_GCM_SHA384, bits=256/256" % (
                     self.hostname(ip), ip))
        else:
            m = ("%s: ruleset=check_mail, arg1=<%s>, relay=%s [%s], reject=451 "
                 "4.1.8 Domain of sender address %s does not resolve" % (
                     q, self.addr(), self.hostname(ip), ip, self.addr()))
        return self.syslog(prog, m), None

    def other_ordinary(self):
        r = self.r
        x = r.randint(0, 4)
        if x == 0:
            return self.syslog("CRON", "(root) CMD (command -v debian-sa1 > "
                               "/dev/null && debian-sa1 1 1)"), None
        if x == 1:
            return self.syslog("sshd", "Accepted publickey for admin from %s "
                               "port %d ssh2: ED25519 SHA256:abcdef" % (
                                   self.good(), r.randint(1024, 65535))), None
        if x == 2:
            return self.syslog("dovecot", "imap-login: Login: user=<%s>, "
                               "method=PLAIN, rip=%s, lip=192.0.2.1, mpid=%d, "
                               "TLS, session=<abcDEF123>" % (
                                   self.addr(), self.good(),
                                   r.randint(1000, 9999))), None
        if x == 3:
            return self.syslog("systemd", "Started session-%d.scope - Session "
                               "of User admin." % r.randint(1, 9999)), None
        return self.syslog("kernel", "[%d.%06d] IN=eth0 OUT= SRC=%s DST=192.0.2.1 "
                           "PROTO=TCP SPT=%d DPT=22" % (
                               r.randint(1, 99999), r.randint(0, 999999),
                               self.good(), r.randint(1024, 65535))), None

    def remember_session(self, q, ip):
        self.sm_sessions.append((q, ip))
        if len(self.sm_sessions) > 64:
            del self.sm_sessions[:32]

    # ---------------------------------------------------------- attacks
    def sm_attack(self):
        r = self.r
        ip = self.bad()
        rip = "IPv6:" + ip if ":" in ip else ip
        q = self.qid_sm()
        h = self.hostname(ip)
        rel = "%s [%s]" % (h, rip) if h != "unknown" else "[%s]" % rip
        prog = r.choice(["sm-mta", "sendmail", "sm-acceptingconnections"])
        rc = "<%s>... " % self.addr()
        x = r.randint(0, 9)
        if x == 0:
            m = ("%s: ruleset=check_relay, arg1=%s, arg2=%s, relay=%s, reject=553 "
                 "5.3.0 Mail Rejected: http://spamcop.net/bl.shtml?%s" % (
                     q, h, ip, rel, ip))
            p = "sendmail-rbl"
        elif x == 1:
            m = ("%s: ruleset=check_rcpt, arg1=<%s>, relay=%s, reject=550 5.7.1 "
                 "%sRejected: %s listed at zen.spamhaus.org" % (
                     q, self.addr(), rel, rc, ip))
            p = "sendmail-rbl"
        elif x == 2:
            m = ("%s: ruleset=check_rcpt, arg1=<%s>, relay=%s, reject=550 5.7.1 "
                 "%sRelaying denied" % (q, self.addr(), rel, rc))
            p = "sendmail-relay-denied"
        elif x == 3:
            m = ("%s: ruleset=check_rcpt, arg1=<%s>, relay=%s, reject=550 5.1.1 "
                 "%sUser unknown" % (q, self.addr(), rel, rc))
            p = "sendmail-reject-user"
        elif x == 4:
            m = ("%s: ruleset=check_mail, arg1=<%s>, relay=%s, reject=553 5.1.8 "
                 "%sDomain of sender address %s does not exist" % (
                     q, self.addr(), rel, rc, self.addr()))
            p = "sendmail-sender-domain"
        elif x == 5:
            m = ("ruleset=check_relay, arg1=[%s], arg2=%s, relay=[%s], reject=421 "
                 "4.3.2 Connection rate limit exceeded." % (rip, ip, rip))
            p = "sendmail-ratelimit"
        elif x == 6:
            m = ("%s: AUTH failure (LOGIN): authentication failure (-13) "
                 "SASL(-13): authentication failure: checkpass failed, user=%s, "
                 "relay=%s" % (q, r.choice(self.users), rel))
            p = "sendmail-auth"
        elif x == 7:
            m = "%s: %s: possible SMTP attack: command=AUTH, count=%d" % (
                q, rel, r.randint(5, 50))
            p = "sendmail-auth-attack"
        elif x == 8:
            if r.random() < 0.5:
                m = ("%s: rejecting commands from %s due to pre-greeting traffic "
                     "after %d seconds" % (q, rel if h != "unknown" else
                                           "[%s] [%s]" % (ip, rip), r.randint(0, 5)))
                p = "sendmail-pregreet"
            else:
                m = "%s: %s: VRFY %s [rejected]" % (q, rel, r.choice(self.users))
                p = "sendmail-vrfy"
        else:
            # a session line, then the "User unknown" of the same queue ID
            if self.sm_sessions and r.random() < 0.9:
                q, ip = self.sm_sessions[-1]
            else:
                self.remember_session(q, ip)
            m = "%s: <%s>... User unknown" % (q, self.addr())
            p = "sendmail-unknown-user"
        return self.syslog(prog, m), (ip, p, 1)

    def pf_attack(self):
        r = self.r
        ip = self.bad()
        h = self.hostname(ip)
        qn = "NOQUEUE" if r.random() < 0.8 else self.qid_pf()
        tail = "; from=<%s> to=<%s> proto=ESMTP helo=<%s>" % (
            self.addr(), self.addr(), h)
        rc = "<%s>" % self.addr()
        x = r.randint(0, 11)
        if x == 0:
            m = ("%s: reject: RCPT from %s[%s]: 554 5.7.1 Service unavailable; "
                 "Client host [%s] blocked using zen.spamhaus.org; "
                 "https://www.spamhaus.org/query/ip/%s%s" % (qn, h, ip, ip, ip, tail))
            p = "postfix-rbl"
        elif x == 1:
            m = ("%s: reject: RCPT from %s[%s]: 554 5.7.1 Service unavailable; "
                 "Helo command [%s.example] blocked using dbl.spamhaus.org%s" % (
                     qn, h, ip, r.choice(self.names), tail))
            p = "postfix-rhsbl"
        elif x == 2:
            m = "%s: reject: RCPT from %s[%s]: 554 5.7.1 %s: Relay access denied%s" % (
                qn, h, ip, rc, tail)
            p = "postfix-relay-denied"
        elif x == 3:
            m = ("%s: reject: RCPT from %s[%s]: 550 5.1.1 %s: Recipient address "
                 "rejected: User unknown in local recipient table%s" % (
                     qn, h, ip, rc, tail))
            p = "postfix-user-unknown"
        elif x == 4:
            m = ("%s: reject: RCPT from %s[%s]: 554 5.7.1 %s: Sender address "
                 "rejected: Access denied%s" % (qn, h, ip, rc, tail))
            p = "postfix-reject"
        elif x == 5:
            m = ("%s: reject: RCPT from %s[%s]: 450 4.7.1 %s: Helo command "
                 "rejected: Host not found%s" % (qn, h, ip, rc, tail))
            p = "postfix-reject-temp"
        elif x in (6, 7):
            m = ("warning: %s[%s]: SASL %s authentication failed: "
                 "UGFzc3dvcmQ6" % (h, ip, r.choice(["LOGIN", "PLAIN"])))
            p = "postfix-sasl"
        elif x == 8:
            m = "warning: non-SMTP command from %s[%s]: GET / HTTP/1.1" % (h, ip)
            p = "postfix-non-smtp"
        elif x == 9:
            m = "too many errors after %s from %s[%s]" % (
                r.choice(["AUTH", "RCPT", "EHLO"]), h, ip)
            p = "postfix-too-many-errors"
        elif x == 10:
            m = "lost connection after AUTH from %s[%s]" % (h, ip)
            p = "postfix-lost-auth"
        else:
            m = "improper command pipelining after %s from %s[%s]: QUIT\\r\\n" % (
                r.choice(["CONNECT", "EHLO", "RSET"]), h, ip)
            p = "postfix-pipelining"
        prog = "postfix/submission/smtpd" if r.random() < 0.1 else "postfix/smtpd"
        return self.syslog(prog, m), (ip, p, 1)

    def pf_ps_attack(self):
        r = self.r
        ip = self.bad()
        port = r.randint(1024, 65535)
        x = r.randint(0, 8)
        if x == 0:
            m = "DNSBL rank %d for [%s]:%d" % (r.randint(2, 9), ip, port)
            p = "postfix-dnsbl"
        elif x == 1:
            m = "DENYLISTED [%s]:%d" % (ip, port)
            p = "postfix-denylisted"
        elif x == 2:
            m = "PREGREET %d after 0.%02d from [%s]:%d: EHLO x\\r\\n" % (
                r.randint(10, 40), r.randint(0, 99), ip, port)
            p = "postfix-pregreet"
        elif x == 3:
            m = "NON-SMTP COMMAND from [%s]:%d after CONNECT: GET / HTTP/1.1" % (
                ip, port)
            p = "postfix-postscreen-non-smtp"
        elif x == 4:
            m = "COMMAND TIME LIMIT from [%s]:%d after CONNECT" % (ip, port)
            p = "postfix-command-limit"
        elif x == 5:
            m = "BARE NEWLINE from [%s]:%d after DATA" % (ip, port)
            p = "postfix-bare-newline"
        elif x == 6:
            m = "COMMAND PIPELINING from [%s]:%d after EHLO: QUIT\\r\\n" % (
                ip, port)
            p = "postfix-postscreen-pipelining"
        elif x == 7:
            m = "HANGUP after %d.%d from [%s]:%d in tests before SMTP handshake" % (
                r.randint(0, 9), r.randint(0, 9), ip, port)
            p = "postfix-hangup"
        else:
            m = ("NOQUEUE: reject: RCPT from [%s]:%d: 550 5.7.1 Service "
                 "unavailable; client [%s] blocked using zen.spamhaus.org; "
                 "from=<%s>, to=<%s>, proto=ESMTP, helo=<x>" % (
                     ip, port, ip, self.addr(), self.addr()))
            p = "postfix-rbl"
        return self.syslog("postfix/postscreen", m), (ip, p, 1)

    def exim_attack(self):
        r = self.r
        ip = self.bad()
        h = self.hostname(ip)
        hh = "%s (%s) [%s]:%d" % (h, r.choice(self.names), ip,
                                  r.randint(1024, 65535)) \
            if h != "unknown" else "(%s) [%s]" % (r.choice(self.names), ip)
        rcpt = "<%s>" % self.addr()
        fr = "F=<%s>" % self.addr()
        x = r.randint(0, 14)
        if x == 0:
            m = "H=%s %s rejected RCPT %s: %s is listed at zen.spamhaus.org" % (
                hh, fr, rcpt, ip)
            p = "exim-rbl"
        elif x == 1:
            m = "H=%s %s rejected RCPT %s: relay not permitted" % (hh, fr, rcpt)
            p = "exim-relay-denied"
        elif x == 2:
            m = "H=%s %s rejected RCPT %s: Unrouteable address" % (hh, fr, rcpt)
            p = "exim-unknown-user"
        elif x == 3:
            m = "H=%s %s rejected RCPT %s: Sender verify failed" % (hh, fr, rcpt)
            p = "exim-sender-verify"
        elif x == 4:
            m = "H=%s %s rejected RCPT %s" % (hh, fr, rcpt)
            p = "exim-rcpt-denied"
        elif x in (5, 6):
            m = ("%s authenticator failed for %s: 535 Incorrect authentication "
                 "data (set_id=%s)" % (r.choice(["login", "dovecot_plain"]), hh,
                                       self.addr()))
            p = "exim-auth"
        elif x == 7:
            m = 'SMTP protocol error in "AUTH LOGIN" H=%s AUTH command used ' \
                'when not advertised' % hh
            p = "exim-auth-not-advertised"
        elif x == 8:
            m = ("SMTP protocol synchronization error (input sent without "
                 "waiting for greeting): rejected connection from H=%s "
                 "input=\"EHLO x\\r\\n\"" % hh)
            p = "exim-sync-error"
        elif x == 9:
            m = 'SMTP call from %s dropped: too many unrecognized commands ' \
                '(last was "GET / HTTP/1.1")' % hh
            p = "exim-dropped"
        elif x == 10:
            m = 'SMTP call from %s dropped: too many nonmail commands (last ' \
                'was "RSET")' % hh
            p = "exim-dropped-nonmail"
        elif x == 11:
            m = 'SMTP syntax error in "MAIL FROM:<a b>" H=%s unrecognized ' \
                'command' % hh
            p = "exim-protocol-error"
        elif x == 12:
            m = "SMTP connection from %s closed by DROP in ACL" % hh
            p = "exim-acl-drop"
        elif x == 13:
            m = "rejected EHLO from %s: syntactically invalid argument(s): a_b" % hh
            p = "exim-helo-syntax"
        else:
            if r.random() < 0.5:
                m = "H=%s rejected EHLO or HELO %s: HELO with our own address" % (
                    hh, ip)
                p = "exim-helo-rejected"
            else:
                m = ("%s %s H=%s P=esmtp rejected by local_scan(): Rejected: "
                     "hits=7.5 required=5.0" % (self.qid_exim(), fr, hh))
                p = "exim-local-scan"
        return self.exim(m), (ip, p, 1)

    def line(self):
        self.tick()
        if self.r.random() < self.attack_ratio:
            return self.pick(self.attacks, self.att_total)()
        return self.pick(self.ordinary, self.ord_total)()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--lines", type=int, default=0)
    ap.add_argument("--bytes", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--attacks", type=float, default=0.05)
    ap.add_argument("--truth")
    ap.add_argument("--hosts", type=int, default=20000)
    a = ap.parse_args()
    if (a.lines <= 0) == (a.bytes <= 0):
        ap.error("give exactly one of --lines, --bytes")
    g = Gen(a.seed, a.attacks, a.hosts)
    out = open(a.out, "w", encoding="ascii", buffering=1 << 20)
    truth = open(a.truth, "w", buffering=1 << 20) if a.truth else None
    n = size = 0
    buf = []
    while (a.lines and n < a.lines) or (a.bytes and size < a.bytes):
        text, t = g.line()
        n += 1
        size += len(text) + 1
        buf.append(text)
        if t is not None and truth is not None:
            truth.write("%d\t%s\t%s\t%d\n" % (n, t[0], t[1], t[2]))
        if len(buf) >= 4096:
            buf.append("")
            out.write("\n".join(buf))
            buf = []
    if buf:
        buf.append("")
        out.write("\n".join(buf))
    out.close()
    if truth:
        truth.close()
    print("%s: %d lines, %d bytes" % (a.out, n, size), file=sys.stderr)


if __name__ == "__main__":
    main()
