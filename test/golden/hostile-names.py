import sys
# hostile host and program names for the JSON escaper: quotes, backslash,
# controls, DEL, bytes >= 0x80 (valid and invalid UTF-8), names that change
# from line to line, same length with different bytes, every offset of an
# escaped byte within an 8-byte word, long names.
hosts = [b'mx1', b'mx1', b'mx2', b'm"1', b'm\\1', b'mx1', b'm\x01x', b'\x7f',
    b'\x80\xff\xc3\xa9', b'h\xc3\xa9te', b'h\xc3\xa9tf', b'abcdefgh',
    b'abcdefgi', b'abcdefghijklmnopq', b'abcdefghijklmnopr', b'\x1f' * 9,
    b'"' * 17, b'\\\\\\', b'\t', b'x\x00y', b'mx1.example.com',
    b'mx1.example.con', b'mx1.exa"ple.com', b'\xf0\x9f\x92\xa9mail']
for i in range(16):
    h = bytearray(b'0123456789abcdef')
    h[i] = 0x22 if i % 3 == 0 else (0x5c if i % 3 == 1 else 0x85)
    hosts.append(bytes(h))
    hosts.append(b'0123456789abcdef')
progs = [b'postfix/smtpd', b'postfix/smtpd', b'postfix"x/smtpd',
    b'postfix\\/smtpd', b'postfix\x01/smtpd', b'postfix\x7f/smtpd',
    b'postfix\xff/smtpd', b'postfix\xc3\xa9/smtpd', b'postfiy/smtpd'[:0] + b'postfix-/smtpd',
    b'postfix/smtpd', b'postfix' + b'\x02' * 12 + b'/smtpd',
    b'postfix-abcdefghijklmnopqrstuvwxyz/smtpd', b'postfix-abcdefghijklmnopqrstuvwxyY/smtpd']
out = sys.stdout.buffer
n = 0
for r in range(3):
    for i, h in enumerate(hosts):
        p = progs[(i + r) % len(progs)]
        ip = ('203.0.113.%d' % ((i * 7 + r) % 5 + 1)) if i % 3 == 0 else '198.51.100.%d' % (n + 1)
        if i % 9 == 4:
            ip = '2001:db8::%x' % (i % 5 + 1)
        sec = n // 3
        stamp = '2026-11-27T01:%02d:%02d+00:00' % (sec // 60, sec % 60)
        msg = ('NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service '
            'unavailable; Client host [%s] blocked using zen.spamhaus.org;'
            % (ip, ip)).encode()
        if r == 1 and i % 4 == 0:
            # RFC 5424, an app name with no pid
            out.write(b'<22>1 ' + stamp.encode() + b' ' + h + b' ' + p +
                b' - - - ' + msg + b'\n')
        elif r == 2 and i % 5 == 0:
            # no host at all: the tag comes straight after the stamp
            out.write(stamp.encode() + b' ' + p + b'[9]: ' + msg + b'\n')
        else:
            out.write(stamp.encode() + b' ' + h + b' ' + p + b'[1]: ' + msg
                + b'\n')
        n += 1
