#!/usr/bin/env python3
"""Write a shipped file with mailban's own paths in this install's directories.

paths.py INPUT OUTPUT NAME=DIR...  (sbindir, sysconfdir, localstatedir,
unitdir, datadir: absolute).  The files in the source tree are written for Debian's
layout (prefix /usr, sysconfdir /etc, localstatedir /var), so that they
read as what a system install gets; meson runs this on each file it
installs, and the install of any other layout names its own binary,
configuration, state, log and snippet locations.  Only mailban's own paths
move (the table below): /var/log/mail.log, /var/spool/rsyslog and the like
belong to the system and stay.  A path is replaced only whole, never inside
a longer one."""
import re
import sys

src, dst = sys.argv[1:3]
d = dict(a.split('=', 1) for a in sys.argv[3:])
for k in ('sbindir', 'sysconfdir', 'localstatedir', 'unitdir', 'datadir'):
    if not d.get(k, '').startswith('/'):
        sys.exit('paths.py: %s=ABSOLUTE-DIR is missing' % k)
table = [
    ('/usr/sbin/mailban', d['sbindir'] + '/mailban'),
    ('/usr/lib/systemd/system/mailban.service', d['unitdir'] + '/mailban.service'),
    ('/usr/lib/systemd/system/mailban-journal.service',
     d['unitdir'] + '/mailban-journal.service'),
    ('/etc/mailban', d['sysconfdir'] + '/mailban'),
    ('/etc/rsyslog.d', d['sysconfdir'] + '/rsyslog.d'),
    ('/etc/syslog-ng', d['sysconfdir'] + '/syslog-ng'),
    ('/etc/logrotate.d/mailban', d['sysconfdir'] + '/logrotate.d/mailban'),
    ('/usr/share/bash-completion/completions/mailban',
     d['datadir'] + '/bash-completion/completions/mailban'),
    ('/var/lib/mailban', d['localstatedir'] + '/lib/mailban'),
    ('/var/log/mailban.log', d['localstatedir'] + '/log/mailban.log'),
    ('/var/log/mail-fleet.log', d['localstatedir'] + '/log/mail-fleet.log'),
]
text = open(src, encoding='utf-8').read()
for old, new in table:
    text = re.sub(r'(?<![\w./-])' + re.escape(old) + r'(?![\w-])',
                  lambda m: new, text)
with open(dst, 'w', encoding='utf-8') as f:
    f.write(text)
