#!/bin/sh
# Upgrades: a state file of the previous schema (test/upgrade/schema-3.sql,
# the tables of schema 3 exactly, with rows of every kind) is migrated to
# the current one by the first command that opens it for writing, which
# keeps a copy of it first (STATE.schema-3.bak, whole, openable, the state
# file's mode) and says so; every row is kept.  A migration that cannot
# complete leaves the file as it was and says so.
set -u
. "$SRCDIR/test/lib.sh"
mb=$MAILBAN
py=$(readlink -f /usr/bin/python3)
current=5 # PRAGMA user_version of this mailban's state file
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
chmod 700 "$tmp"
st=$tmp/state.db

# make DB [SQL]: a schema-3 file, then SQL on it
make() {
	"$py" - "$1" "$SRCDIR/test/upgrade/schema-3.sql" "${2:-}" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(open(sys.argv[2]).read())
if sys.argv[3]:
    db.executescript(sys.argv[3])
db.close()
PY
}
# q DB SQL: the first column of the first row
q() { "$py" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$1" "$2"; }
# dump DB: every table's rows and the schema, as SQL text
dump() { "$py" -c 'import sqlite3, sys; print("\n".join(sqlite3.connect(sys.argv[1]).iterdump()))' "$1"; }
rows() { # DB: the row counts of schema 3's tables
	for t in bans scores ban_log stats errors notices notice_lines journal_cursor; do
		printf '%s=%s ' $t "$(q "$1" "SELECT count(*) FROM $t")"
	done
}

make "$st" || exit 1
chmod 640 "$st"
check "the file made is schema 3" [ "$(q "$st" 'PRAGMA user_version')" = 3 ]
before=$(rows "$st")
dump "$st" > "$tmp/before.sql"

"$mb" why --json -o state="$st" 192.0.2.7 > "$tmp/out" 2> "$tmp/err"
check "why on a schema-3 file exits 0" [ $? -eq 0 ]
check "it says it migrates and where the copy is" grep -qx \
    "mailban: state $st: migrating from schema 3 to $current; the file as it was is kept as $st.schema-3.bak" "$tmp/err"
check "and that it is done" grep -qx "mailban: state $st: now schema $current" "$tmp/err"
check "the file is schema $current ($(q "$st" 'PRAGMA user_version'))" \
    [ "$(q "$st" 'PRAGMA user_version')" = "$current" ]
check "every row is kept ($(rows "$st"))" [ "$(rows "$st")" = "$before" ]
check "the rows read back: the ban, both decisions, the reason column added" \
    grep -q '"banned":true,"ban":{"until":"2100-01-01T00:00:00Z",.*"count":2,"score":12,.*"pattern":"postfix-sasl","program":"postfix/smtpd","host":"mx1","reason":""},"allowed":\[\],"bans":\[{"time":"2025-11-26T23:33:20Z","duration":3600,' "$tmp/out"
check "the new tables are there" [ "$(q "$st" "SELECT count(*) FROM sqlite_master WHERE name IN ('allow','evidence','control','health')")" = 4 ]
check "the journal cursor is kept" [ "$(q "$st" 'SELECT cursor FROM journal_cursor')" = 's=0123;i=42;b=abcd;m=1;t=2;x=3' ]
bak=$st.schema-3.bak
check "the copy is there" [ -f "$bak" ]
check "the copy is one file (no -wal beside it)" [ ! -e "$bak-wal" ]
check "the copy has the state file's mode ($(stat -c %a "$bak"))" \
    [ "$(stat -c %a:%u:%g "$bak")" = "$(stat -c %a:%u:%g "$st")" ]
check "the copy opens and is whole ($(q "$bak" 'PRAGMA integrity_check'))" \
    [ "$(q "$bak" 'PRAGMA integrity_check')" = ok ]
check "the copy is the file as it was (schema 3, every row)" \
    sh -c "[ \"\$(\"$py\" -c 'import sqlite3, sys; print(\"\\n\".join(sqlite3.connect(sys.argv[1]).iterdump()))' \"$bak\")\" = \"\$(cat \"$tmp/before.sql\")\" ]"

"$mb" why -o state="$st" 192.0.2.7 > /dev/null 2> "$tmp/err"
check "a second open migrates nothing and says nothing" [ ! -s "$tmp/err" ]

# a migration that cannot complete: a table "evidence" of another layout
# (another program's, a hand edit) makes the new index fail half-way,
# after the copy was made and the first new tables were created
bad=$tmp/bad.db
make "$bad" "CREATE TABLE evidence(x);" || exit 1
dump "$bad" > "$tmp/bad-before.sql"
"$mb" why -o state="$bad" 192.0.2.7 > "$tmp/out" 2> "$tmp/err"
check "why on a file that cannot be migrated exits 1" [ $? -eq 1 ]
check "it says the migration failed, why, that the file is as it was, and where the copy is" grep -qx \
    "mailban: warning: state $bad: migrating from schema 3 to $current failed: no such column: addr; the file is as it was (schema 3), and a copy is in $bad.schema-3.bak" "$tmp/err"
check "the file is still schema 3" [ "$(q "$bad" 'PRAGMA user_version')" = 3 ]
dump "$bad" > "$tmp/bad-after.sql"
check "nothing in it changed (no new table or column)" cmp -s "$tmp/bad-before.sql" "$tmp/bad-after.sql"
check "the copy is there and whole" [ "$(q "$bad.schema-3.bak" 'PRAGMA integrity_check')" = ok ]

# another writer holds the file (an older mailban run still writing)
# for longer than the command waits: no migration, the file as it was
locked=$tmp/locked.db
make "$locked" || exit 1
dump "$locked" > "$tmp/locked-before.sql"
mkfifo "$tmp/hold"
"$py" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
c.execute("ROLLBACK")' "$locked" < "$tmp/hold" > "$tmp/holder" &
holder=$!
exec 8> "$tmp/hold"
wait_for 10 grep -q locked "$tmp/holder" || exit 1
"$mb" why -o state="$locked" 192.0.2.7 > /dev/null 2> "$tmp/err"
check "why on a file another writer holds exits 1" [ $? -eq 1 ]
check "it says the migration failed, why, and that the file is as it was" grep -qx \
    "mailban: warning: state $locked: migrating from schema 3 to $current failed: database is locked; the file is as it was (schema 3)" "$tmp/err"
exec 8>&-
wait $holder
check "the file is still schema 3, unchanged" sh -c "[ \"\$(\"$py\" -c 'import sqlite3, sys; print(\"\\n\".join(sqlite3.connect(sys.argv[1]).iterdump()))' \"$locked\")\" = \"\$(cat \"$tmp/locked-before.sql\")\" ]"
"$mb" why -o state="$locked" 192.0.2.7 > /dev/null 2> "$tmp/err"
check "once it is free, the next open migrates it" [ "$(q "$locked" 'PRAGMA user_version')" = "$current" ]

# a file of a newer mailban is left as it is
"$py" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version = 99"); c.commit()' "$st"
"$mb" why -o state="$st" 192.0.2.7 > /dev/null 2> "$tmp/err"
check "a newer schema (99) is not written back" [ "$(q "$st" 'PRAGMA user_version')" = 99 ]

done_testing
