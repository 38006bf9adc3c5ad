#!/bin/sh
# The module map, checked: every module is in a layer, no module includes
# a header of a module in a layer above its own, and each external
# library's headers are included by its one module only (sources and
# tests alike).
#
# A module is src/NAME.c with include/NAME.h, or a header alone (score.h,
# commands.h).  The layers are below, bottom first, one line a layer; a
# module may include the headers of its own layer and of the layers
# below.  A new module is one word on its layer's line; words are shell
# patterns (cmd_* is every command file), "#" starts a comment.  state
# sits low on purpose: the state file knows addresses and scored events,
# never the tracker, the engine or the configuration.
set -u
set -f # the words of the lists are patterns, not file names
. "$SRCDIR/test/lib.sh"

layers='
log memfind addr fmt score       # diagnostics, memory, addresses, text
lineio prefix journal omprog html state gzfile sdjournal # bytes and files, no policy
rxlit                            # regex text read without PCRE2
prefilter                        # which patterns a message cannot match
pattern config trust              # PCRE2, the configuration, the writers
tracker widen engine             # scores and bans, widening, the line path
kset firewall privdrop           # the kernel, the privileges of run
report summary zone htmlreport metrics   # what the commands print and write
run                              # the run loop
commands cmd_*                   # the commands
main                             # the command line
'

# a header (what follows "#include <", a prefix) and the one module that
# may include it
libraries='
pcre2.h pattern
libconfig.h config
libipset/ kset
libnftnl/ firewall
libmnl/ firewall
sqlite3.h state
seccomp.h privdrop
systemd/ sdjournal
zlib.h gzfile
'

# modules DIR: the module files of the tree at DIR, relative to it
modules() {
	(cd "$1" && find src include -maxdepth 1 -type f \
	    \( -name '*.c' -o -name '*.h' \) | sort)
}

# survey DIR: one awk over every module file of DIR, printing
# "unlayered NAME" for a module in no layer and "upward FILE:HEADER" for
# each include of a module in a higher layer (or in none)
survey() {
	printf '%s\n' "$layers" | sed 's/#.*//; /^[ 	]*$/d' > "$tmp/layers"
	(cd "$1" && awk '
	function name(f) {
		sub(/.*\//, "", f)
		sub(/\.[ch]$/, "", f)
		return f
	}
	function layer(m,    i) {
		for (i = 1; i <= npat; i++)
			if (m ~ re[i])
				return lay[i]
		return 0
	}
	NR == FNR {
		for (i = 1; i <= NF; i++) {
			p = $i
			gsub(/\./, "\\.", p)
			gsub(/\?/, ".", p)
			gsub(/\*/, ".*", p)
			re[++npat] = "^" p "$"
			lay[npat] = FNR
		}
		next
	}
	FNR == 1 {
		lm = layer(name(FILENAME))
		if (lm == 0 && !(name(FILENAME) in told)) {
			print "unlayered " name(FILENAME)
			told[name(FILENAME)] = 1
		}
	}
	lm > 0 && /^#[ \t]*include[ \t]*"[^"]*\.h"/ {
		h = $0
		sub(/^#[ \t]*include[ \t]*"/, "", h)
		sub(/\.h".*/, "", h)
		lh = layer(h)
		if (lh == 0 || lh > lm)
			print "upward " FILENAME ":" h ".h"
	}' "$tmp/layers" $(modules "$1"))
}

# unlayered DIR, upward DIR: what survey found, on one line
unlayered() {
	survey "$1" | sed -n 's/^unlayered //p' | tr '\n' ' '
}

upward() {
	survey "$1" | sed -n 's/^upward //p' | tr '\n' ' '
}

# intruders DIR HEADER OWNER: the files other than OWNER's that include
# HEADER
intruders() {
	(cd "$1" && find src include test fuzz -type f \
	    \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort |
	    xargs grep -l -E "^#[ 	]*include[ 	]*<$2" |
	    grep -v -x -e "src/$3.c" -e "include/$3.h" | tr '\n' ' ')
}

# users DIR HEADER: how many files include HEADER
users() {
	(cd "$1" && find src include -type f \( -name '*.c' -o -name '*.h' \) |
	    xargs grep -l -E "^#[ 	]*include[ 	]*<$2" | wc -l)
}

# check_libraries DIR WANT: the library checks, passing when the tree
# has intruders (WANT = bad) or has none (WANT = ok)
check_libraries() {
	while read -r _hdr _owner; do
		[ -n "$_hdr" ] || continue
		_bad=$(intruders "$1" "$_hdr" "$_owner")
		if [ "$2" = ok ]; then
			check "<$_hdr> only in $_owner:${_bad:- ok}" [ -z "$_bad" ]
			check "<$_hdr> is included by $_owner" \
			    [ "$(users "$1" "$_hdr")" -gt 0 ]
		else
			check "a second user of <$_hdr> is found: $_bad" [ -n "$_bad" ]
		fi
	done <<EOF
$libraries
EOF
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# --- the tree ---
tree=$SRCDIR
check "the tree has modules" [ -n "$(modules "$tree")" ]
bad=$(unlayered "$tree")
check "every module is in a layer (add it to the list in test/layers.sh):${bad:- ok}" [ -z "$bad" ]
bad=$(upward "$tree")
check "no module includes a header from a layer above its own:${bad:- ok}" [ -z "$bad" ]
check_libraries "$tree" ok

# --- the checks themselves, on a tree that breaks every rule ---
mkdir "$tmp/src" "$tmp/include" "$tmp/test"
printf '#include "addr.h"\n#include "engine.h"\n' > "$tmp/src/fmt.c"
printf '#include "log.h"\n' > "$tmp/src/newthing.c"
printf '#include "fmt.h"\n' > "$tmp/include/state.h"
printf '#include <sqlite3.h>\n#include <pcre2.h>\n' > "$tmp/src/summary.c"
printf '#include <libconfig.h>\n#include <libipset/data.h>\n#include <seccomp.h>\n' \
    > "$tmp/test/test_x.c"
printf '#include <libnftnl/rule.h>\n#include <libmnl/libmnl.h>\n' \
    > "$tmp/src/kset.c"
printf '#include <zlib.h>\n' > "$tmp/src/lineio.c"
printf '#include <systemd/sd-journal.h>\n' >> "$tmp/test/test_x.c"
bad=$(unlayered "$tmp")
check "a module in no layer is found: $bad" [ "$bad" = "newthing " ]
bad=$(upward "$tmp")
check "an include from above is found: $bad" [ "$bad" = "src/fmt.c:engine.h " ]
check_libraries "$tmp" bad

done_testing
