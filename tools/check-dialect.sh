#!/bin/sh
# check-dialect.sh - fail on dialect-specific SQL outside src/db/.
#
# Every difference between SQLite and PostgreSQL lives in src/db/ (db.h: the ?N placeholder
# rule and the helpers). This reads the C string literals of every other file under src/
# (comments and character literals are skipped; a line's literals are also read joined to the
# previous line's, for SQL split across two literals) and prints file:line and the text for
# each construct one dialect spells its own way. Exit status 1 when there is any.
#
# A file may say, in a comment, "check-dialect: sqlite-only (why)" to be skipped: only the
# catalog's migrations (src/catalog/migrate_*.c: the SQLite catalog's DDL history; the
# PostgreSQL catalog will have its own) and the demo-data writer (src/cli/cmd_demo_data.c: it
# writes a SQLite file through SQLite's own API) may; the marker anywhere else is an error.
#
# Usage: tools/check-dialect.sh [ROOT]   (ROOT defaults to the repository holding this script)
set -eu

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

# Extended regular expressions, matched against lower-cased string contents. A name is
# bounded by a character that cannot be part of an identifier.
patterns='
(^|[^a-z0-9_])last_insert_rowid([^a-z0-9_]|$)
(^|[^a-z0-9_])returning[[:space:]]
(^|[^a-z0-9_])on[[:space:]]+conflict([^a-z0-9_]|$)
(^|[^a-z0-9_])insert[[:space:]]+or[[:space:]]+(ignore|replace|abort|fail|rollback)([^a-z0-9_]|$)
(^|[^a-z0-9_])(json|jsonb)_(extract|each|tree|valid|type|group_array|group_object|object|array|set|insert|replace|remove|patch|build_object|quote)[[:space:]]*\(
->>
(^|[^a-z0-9_])fts[345]([^a-z0-9_]|$)
_fts([^a-z0-9_]|$)
(^|[^a-z0-9_])match[[:space:]]*\?
(^|[^a-z0-9_])not[[:space:]]+indexed([^a-z0-9_]|$)
(^|[^a-z0-9_])indexed[[:space:]]+by([^a-z0-9_]|$)
(^|[^a-z0-9_])pragma([^a-z0-9_]|$)
(^|[^a-z0-9_])ilike([^a-z0-9_]|$)
(^|[^a-z0-9_])(datetime|julianday|strftime|unixepoch|to_timestamp|to_char)[[:space:]]*\(
(^|[^a-z0-9_])sqlite_[a-z0-9_]+
(^|[^a-z0-9_])pg_[a-z0-9_]+
(^|[^a-z0-9_])glob([^a-z0-9_]|$)
(^|[^a-z0-9_])(typeof|instr|ifnull|iif|group_concat|string_agg|total_changes|changes)[[:space:]]*\(
(^|[^a-z0-9_])(sw_rand|sw_fold)[[:space:]]*\(
(^|[^a-z0-9_])_?rowid_?([^a-z0-9_]|$)
(^|[^a-z0-9_])autoincrement([^a-z0-9_]|$)
(^|[^a-z0-9_])collate[[:space:]]+nocase([^a-z0-9_]|$)
(^|[^a-z0-9_])begin[[:space:]]+(immediate|exclusive|deferred)([^a-z0-9_]|$)
(^|[^a-z0-9_])virtual[[:space:]]+table([^a-z0-9_]|$)
::[a-z]
\$[0-9]
'

allowed='^src/catalog/migrate_[0-9a-z_]*\.c$|^src/cli/cmd_demo_data\.c$'
status=0
files=
for f in $(find src -name '*.c' -o -name '*.h' | grep -v '^src/db/' | sort); do
    if grep -q 'check-dialect: sqlite-only' "$f"; then
        if ! printf '%s\n' "$f" | grep -Eq "$allowed"; then
            echo "$f: the check-dialect: sqlite-only marker is for catalog migrations and the demo-data writer only"
            status=1
        fi
        continue
    fi
    files="$files $f"
done
[ -n "$files" ] || exit $status

# shellcheck disable=SC2086
awk -v status="$status" -v patterns="$patterns" '
BEGIN { n = split(patterns, pat, "\n") }
FNR == 1 { incomment = 0; prev = "" }
{
    line = $0
    strs = ""
    if (line ~ /^[[:space:]]*#[[:space:]]*include/) { prev = ""; next }
    i = 1; len = length(line)
    while (i <= len) {
        c = substr(line, i, 1)
        if (incomment) {
            if (substr(line, i, 2) == "*/") { incomment = 0; i += 2 } else { i++ }
            continue
        }
        if (substr(line, i, 2) == "/*") { incomment = 1; i += 2; continue }
        if (substr(line, i, 2) == "//") break
        if (c == "\x27") { # a character literal
            i++
            while (i <= len && substr(line, i, 1) != "\x27") {
                if (substr(line, i, 1) == "\\") i++
                i++
            }
            i++
            continue
        }
        if (c == "\"") {
            i++
            s = ""
            while (i <= len && substr(line, i, 1) != "\"") {
                if (substr(line, i, 1) == "\\") { s = s substr(line, i, 2); i += 2; continue }
                s = s substr(line, i, 1)
                i++
            }
            i++
            strs = strs s
            continue
        }
        i++
    }
    if (strs == "") { prev = ""; next }
    low = tolower(strs)
    both = tolower(prev strs)
    for (k = 1; k <= n; k++) {
        if (pat[k] == "") continue
        if (match(low, pat[k]) || (prev != "" && tolower(prev) !~ pat[k] && match(both, pat[k]))) {
            printf "%s:%d: dialect-specific SQL outside src/db/ (%s): %s\n", FILENAME, FNR,
                   substr(low ~ pat[k] ? low : both, RSTART, RLENGTH), strs
            bad = 1
            break
        }
    }
    prev = strs
}
END {
    if (bad || status) {
        print "check-dialect: write it with a helper of src/db/db.h (see its header), or add one there" > "/dev/stderr"
        exit 1
    }
}
' $files
