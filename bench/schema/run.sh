#!/usr/bin/env bash
# run.sh - discovery of a large application schema: TABLES tables (default 500), each with a
# key, a foreign key to the previous table, ten columns of several declared types, two TEXT
# columns holding ISO dates (inferred by sampling) and ROWS rows (default 2000, more than the
# 1000 that inference reads). Reports the wall time and peak memory of
# `stepwise schema --data DB --json`, and checks that every table was found and every
# TEXT date column was inferred.
#
# usage: bench/schema/run.sh [TABLES] [ROWS]      (STEPWISE_BIN: default build-rel/stepwise)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/bench/lib.sh"
tables=${1:-500}
rows=${2:-2000}
bin=${STEPWISE_BIN:-$root/build-rel/stepwise}
if [ -z "${STEPWISE_BIN:-}" ]; then
    cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$root/build-rel" -j "$(nproc)" --target stepwise >/dev/null
fi
out="$root/bench/out"
mkdir -p "$out"
db="$out/schema-$tables-$rows.db"
if [ ! -f "$db" ]; then
    echo "== generating $db ($tables tables x $rows rows)"
    {
        echo "BEGIN;"
        for t in $(seq 1 "$tables"); do
            fk=""
            [ "$t" -gt 1 ] && fk=", [Parent] INTEGER REFERENCES [T$((t - 1))]([Id])"
            echo "CREATE TABLE [T$t] ([Id] INTEGER PRIMARY KEY, [Name] NVARCHAR(40), [Code] VARCHAR(10)," \
                "[Amount] NUMERIC(10,2), [Qty] INT, [Ratio] DOUBLE, [Flag] BOOLEAN, [Created] DATETIME," \
                "[Since] TEXT, [Seen] TEXT, [Note] TEXT$fk);"
            echo "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)" \
                "INSERT INTO [T$t] ([Id], [Name], [Code], [Amount], [Qty], [Ratio], [Flag], [Created], [Since], [Seen], [Note])" \
                "SELECT i, 'name ' || i, 'C' || i, i * 1.5, i % 7, i / 3.0, i % 2," \
                "datetime(1600000000 + i * 3600, 'unixepoch'), date(1600000000 + i * 86400, 'unixepoch')," \
                "strftime('%Y-%m-%dT%H:%M:%SZ', 1600000000 + i * 60, 'unixepoch'), 'note ' || i FROM n;"
        done
        echo "COMMIT;"
    } | sqlite3 "$db"
fi
bench_check_bin "$bin"
echo "== stepwise schema --data $db --json"
/usr/bin/time -v "$bin" schema --data "$db" --json >"$out/schema.json" 2>"$out/schema.time"
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/schema.time")
rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$out/schema.time")
read -r ndims inferred < <(node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  let inf = 0;
  for (const d of s.dimensions) for (const f of d.fields) if (f.type_source === "inferred") inf++;
  console.log(s.dimensions.length, inf);' "$out/schema.json")
status=0
[ "$ndims" = "$tables" ] || { echo "!!!!! found $ndims tables, not $tables" >&2; status=1; }
[ "$inferred" = "$((2 * tables))" ] || { echo "!!!!! inferred $inferred date columns, not $((2 * tables))" >&2; status=1; }
echo "tables=$tables rows=$rows wall=$wall peak_rss_mib=$rss dimensions=$ndims inferred_dates=$inferred" |
    tee -a "$out/results-schema.txt"
exit $status
