#!/bin/sh
# check-catalog.sh - only src/catalog/ writes SQL on Stepwise's own tables (sw_*).
#
# The catalog owns every sw_ table (docs/ARCHITECTURE.md, "Modules", src/catalog/): code
# elsewhere calls its functions. This prints file:line for every line outside src/catalog/ that
# names an sw_ table after FROM, INTO, UPDATE, JOIN, TABLE or ON inside a string literal
# (case-insensitive), and exits 1 when there is one.
#
# Usage: tools/check-catalog.sh [REPO_DIR]   (default: the repository holding this script)
set -eu
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
found=$(grep -rniE --include='*.c' --include='*.h' \
    '"[^"]*(from|into|update|join|table|on)[[:space:]]+sw_[a-z0-9_]+' src | grep -v '^src/catalog/' || true)
if [ -n "$found" ]; then
    printf '%s\n' "$found"
    echo "check-catalog: SQL on an sw_ table outside src/catalog/ (call or add a catalog function)"
    exit 1
fi
