-- A state file of schema 3 (PRAGMA user_version = 3), as mailban 0.1.0
-- with run --journal wrote it (src/state.c at the commit that brought
-- journal_cursor): its tables exactly, and rows of every kind.
-- test/upgrade.sh makes a file of it and migrates it.
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS bans (
 addr TEXT PRIMARY KEY NOT NULL,
 family INTEGER NOT NULL,
 count INTEGER NOT NULL,
 first_ban INTEGER NOT NULL,
 last_ban INTEGER NOT NULL,
 until INTEGER NOT NULL,
 duration INTEGER NOT NULL,
 pattern TEXT NOT NULL,
 score INTEGER NOT NULL,
 host TEXT NOT NULL DEFAULT '',
 changed INTEGER NOT NULL,
 program TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS bans_until ON bans(until);
CREATE INDEX IF NOT EXISTS bans_changed ON bans(changed);
CREATE TABLE IF NOT EXISTS scores (
 addr TEXT PRIMARY KEY NOT NULL,
 events TEXT NOT NULL,
 last_seen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ban_log (
 id INTEGER PRIMARY KEY,
 time INTEGER NOT NULL,
 addr TEXT NOT NULL,
 pattern TEXT NOT NULL,
 program TEXT NOT NULL,
 host TEXT NOT NULL,
 duration INTEGER NOT NULL,
 count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ban_log_time ON ban_log(time);
CREATE TABLE IF NOT EXISTS stats (
 hour INTEGER NOT NULL,
 pattern TEXT NOT NULL,
 matches INTEGER NOT NULL,
 bans INTEGER NOT NULL,
 PRIMARY KEY(hour, pattern));
CREATE TABLE IF NOT EXISTS errors (
 id INTEGER PRIMARY KEY,
 time INTEGER NOT NULL,
 message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notices (
 kind TEXT NOT NULL,
 program TEXT NOT NULL,
 count INTEGER NOT NULL,
 first INTEGER NOT NULL,
 last INTEGER NOT NULL,
 PRIMARY KEY (kind, program));
CREATE TABLE IF NOT EXISTS notice_lines (
 id INTEGER PRIMARY KEY,
 kind TEXT NOT NULL,
 program TEXT NOT NULL,
 time INTEGER NOT NULL,
 line TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal_cursor (
 source TEXT PRIMARY KEY NOT NULL,
 cursor TEXT NOT NULL,
 time INTEGER NOT NULL);
INSERT INTO bans VALUES('192.0.2.7', 4, 2, 1764200000, 1764300000, 4102444800, 2338144800, 'postfix-sasl', 12, 'mx1', 1764300000, 'postfix/smtpd');
INSERT INTO bans VALUES('2001:db8::5', 6, 1, 1764100000, 1764100000, 1764103600, 3600, 'exim-rcpt', 6, 'mx2', 1764100000, 'exim');
INSERT INTO scores VALUES('198.51.100.9', '1764300100:3 1764300200:3', 1764300200);
INSERT INTO ban_log VALUES(1, 1764200000, '192.0.2.7', 'postfix-sasl', 'postfix/smtpd', 'mx1', 3600, 1);
INSERT INTO ban_log VALUES(2, 1764300000, '192.0.2.7', 'postfix-sasl', 'postfix/smtpd', 'mx1', 2338144800, 2);
INSERT INTO ban_log VALUES(3, 1764100000, '2001:db8::5', 'exim-rcpt', 'exim', 'mx2', 3600, 1);
INSERT INTO stats VALUES(490083, 'postfix-sasl', 40, 2);
INSERT INTO stats VALUES(490027, 'exim-rcpt', 7, 1);
INSERT INTO errors VALUES(1, 1764300000, 'kernel: a ban set has vanished; re-creating it');
INSERT INTO notices VALUES('untrusted', 'postfix/smtpd', 3, 1764200000, 1764300000);
INSERT INTO notice_lines VALUES(1, 'untrusted', 'postfix/smtpd', 1764300000, 'Nov 28 03:20:00 mx1 postfix/smtpd[9]: warning: unknown[192.0.2.99]: SASL LOGIN authentication failed');
INSERT INTO journal_cursor VALUES('journal', 's=0123;i=42;b=abcd;m=1;t=2;x=3', 1764300000);
PRAGMA user_version = 3;
