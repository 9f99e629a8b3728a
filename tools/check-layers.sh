#!/bin/sh
# check-layers.sh - the modules of src/ include only modules below them.
#
# The order is the line starting with "layers:" in docs/ARCHITECTURE.md, low to high, e.g.
#   layers: core → db → schema → … → runs → scheduler | server → cli → main
# Modules joined by "|" share a rank and must not include each other. A module is a folder of
# src/ (files directly in src/ are "main"). Every `#include "module/…"` in src/ is checked:
# the included module must be the file's own or a lower one. Then the include graph between
# modules must have no cycle. Each finding is printed as file:line and the rule it breaks; the
# exit status is 1 when there is one.
#
# Usage: tools/check-layers.sh [REPO_DIR]   (default: the repository holding this script)
set -eu
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

grep -rn --include='*.c' --include='*.h' '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]*/' src |
awk '
BEGIN {
    while ((getline line < "docs/ARCHITECTURE.md") > 0) {
        if (line ~ /^layers:/) {
            order = substr(line, 8)
            break
        }
    }
    if (order == "") {
        print "docs/ARCHITECTURE.md: no \"layers:\" line giving the order of the modules"
        bad = 1
        exit 1
    }
    gsub(/→/, ">", order)
    nr = split(order, ranks, ">")
    for (r = 1; r <= nr; r++) {
        nm = split(ranks[r], mods, "|")
        for (m = 1; m <= nm; m++) {
            gsub(/[[:space:]]/, "", mods[m])
            if (mods[m] != "") {
                rank[mods[m]] = r
                names[r] = names[r] (names[r] == "" ? "" : " | ") mods[m]
            }
        }
    }
}
{
    # src/MOD/file.c:LINE:#include "TARGET/x.h"
    file = $0
    sub(/:.*/, "", file)
    rest = substr($0, length(file) + 2)
    ln = rest
    sub(/:.*/, "", ln)
    inc = rest
    sub(/^[^"]*"/, "", inc)
    sub(/".*/, "", inc)
    to = inc
    sub(/\/.*/, "", to)
    from = file
    sub(/^src\//, "", from)
    if (from ~ /\//) {
        sub(/\/.*/, "", from)
    } else {
        from = "main"
    }
    if (from == to) {
        next
    }
    where = file ":" ln
    if (!(from in rank)) {
        printf "%s: module %s is not in the order of docs/ARCHITECTURE.md (layers:)\n", where, from
        bad = 1
        next
    }
    if (!(to in rank)) {
        printf "%s: includes \"%s\": module %s is not in the order of docs/ARCHITECTURE.md (layers:)\n", where, inc, to
        bad = 1
        next
    }
    if (rank[to] >= rank[from]) {
        printf "%s: %s includes \"%s\": %s may include only modules below it (%s is %s)\n", where, from, inc, from, to, rank[to] == rank[from] ? "beside it" : "above it"
        bad = 1
    }
    if (!((from " " to) in edge)) {
        edge[from " " to] = where
        out[from] = out[from] " " to
    }
}
function visit(m,    k, nk, next_, i) {
    state[m] = 1
    path[++depth] = m
    nk = split(out[m], next_, " ")
    for (k = 1; k <= nk; k++) {
        if (state[next_[k]] == 1) {
            # a cycle: from next_[k] down the path back to it
            s = ""
            for (i = 1; i <= depth; i++) {
                if (path[i] == next_[k]) {
                    start = i
                }
            }
            for (i = start; i <= depth; i++) {
                s = s path[i] " → "
            }
            printf "%s: closes a cycle between modules: %s%s\n", edge[m " " next_[k]], s, next_[k]
            bad = 1
        } else if (state[next_[k]] == 0) {
            visit(next_[k])
        }
    }
    depth--
    state[m] = 2
}
END {
    if (order != "") {
        for (m in out) {
            if (state[m] == 0) {
                visit(m)
            }
        }
    }
    if (bad) {
        print "layers: see the order and the rule in docs/ARCHITECTURE.md (\"Layers\")"
        exit 1
    }
}
'
