#!/usr/bin/env bash
# run.sh - the targeting benchmark: pipeline.json (9 activities) run by the engine against the
# same work hand-written in baseline.sql and run by the sqlite3 shell, on generated data.
#
# usage: bench/targeting/run.sh [--baseline-only] [SIZES...]     (default sizes: 1000000 10000000)
#
# For each size N it generates bench/out/targeting-N.db once (stepwise demo-data), then times
#   STEPWISE_NOW=$NOW stepwise run pipeline.json --data DB --json
#   sqlite3 -bail DB < baseline.sql          (cutoffs substituted from the same $NOW)
# with /usr/bin/time -v, checks that every port count the baseline prints equals the engine's
# (a mismatch is reported loudly and the script exits 1), and prints and appends to
# bench/out/results.txt: size, engine s, sqlite3 s, ratio, peak RSS of each side.
#
# Environment: STEPWISE_BIN (default ./build/stepwise), STEPWISE_BENCH_NOW (the frozen "now"
# for generation and both runs; default 2026-11-01T00:00:00Z, so counts match on every machine),
# STEPWISE_BENCH_SEED (demo-data seed, default 1).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${STEPWISE_BIN:-$root/build/stepwise}
now=${STEPWISE_BENCH_NOW:-2026-11-01T00:00:00Z}
seed=${STEPWISE_BENCH_SEED:-1}
out="$root/bench/out"
results="$out/results.txt"

engine=1
sizes=()
for arg in "$@"; do
    case "$arg" in
    --baseline-only) engine=0 ;;
    -h | --help)
        sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "run.sh: unknown option $arg" >&2
        exit 2
        ;;
    *)
        if ! [[ "$arg" =~ ^[1-9][0-9]*$ ]]; then
            echo "run.sh: size must be a positive integer, got '$arg'" >&2
            exit 2
        fi
        sizes+=("$arg")
        ;;
    esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)

for tool in sqlite3 node /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
if [ ! -x "$bin" ]; then
    echo "run.sh: no stepwise binary at $bin (build it, or set STEPWISE_BIN)" >&2
    exit 1
fi

# The cutoffs of within_last "365d", "90d" and "30d", computed once from $now exactly as the
# engine does (now minus N x 86400 s, ISO-8601 UTC with Z).
now_s=$(date -u -d "$now" +%s)
cutoff() { date -u -d "@$((now_s - $1 * 86400))" +%Y-%m-%dT%H:%M:%SZ; }
c365=$(cutoff 365)
c90=$(cutoff 90)
c30=$(cutoff 30)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e "s/{{CUTOFF_365D}}/$c365/g" -e "s/{{CUTOFF_90D}}/$c90/g" -e "s/{{CUTOFF_30D}}/$c30/g" \
    "$here/baseline.sql" >"$work/baseline.sql"

# Seconds from /usr/bin/time -v's "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.34".
elapsed() {
    sed -n 's/.*Elapsed (wall clock) time.*): //p' "$1" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}
rss_mib() {
    sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{ printf "%.0f", $1 / 1024 }'
}
base_tables="b_audience b_dedup b_value b_tiers_vip b_tiers_mid b_vip_mid b_recent_signups
             b_recent_refunds b_target"
drop_baseline() {
    for t in $base_tables; do echo "DROP TABLE IF EXISTS $t;"; done | sqlite3 "$1"
}

mkdir -p "$out"
status=0
rows=()
for n in "${sizes[@]}"; do
    db="$out/targeting-$n.db"
    if [ ! -f "$db" ]; then
        echo "== generating $db ($n profiles, now $now)"
        STEPWISE_NOW=$now "$bin" demo-data --out "$db" --profiles "$n" --seed "$seed"
    fi
    drop_baseline "$db"

    engine_s="-" engine_rss="-" ratio="-" note=""
    if [ "$engine" = 1 ]; then
        echo "== engine, $n profiles"
        cat "$db" >/dev/null # the same warm page cache for both sides
        if ! STEPWISE_NOW=$now /usr/bin/time -v -o "$work/engine.time" \
            "$bin" run "$here/pipeline.json" --data "$db" --json >"$work/engine.json" \
            2>"$work/engine.err"; then
            echo "run.sh: the engine run failed:" >&2
            cat "$work/engine.err" "$work/engine.json" >&2
            exit 1
        fi
        engine_s=$(elapsed "$work/engine.time")
        engine_rss=$(rss_mib "$work/engine.time")
    fi

    echo "== sqlite3 baseline, $n profiles"
    cat "$db" >/dev/null
    if ! /usr/bin/time -v -o "$work/base.time" sqlite3 -bail "$db" <"$work/baseline.sql" \
        >"$work/base.out" 2>"$work/base.err"; then
        echo "run.sh: the baseline failed:" >&2
        cat "$work/base.err" >&2
        exit 1
    fi
    base_s=$(elapsed "$work/base.time")
    base_rss=$(rss_mib "$work/base.time")
    drop_baseline "$db"

    if [ "$engine" = 1 ]; then
        # Every port the baseline counts must have the same count in the engine's --json output
        # (an absent engine port only matches a count of 0). Engine ports the baseline does
        # not model are listed, not judged.
        if ! node - "$work/engine.json" "$work/base.out" <<'EOF'; then
const fs = require('fs');
const [engineFile, baseFile] = process.argv.slice(2);
let doc;
try {
    doc = JSON.parse(fs.readFileSync(engineFile, 'utf8'));
} catch (e) {
    console.error(`run.sh: the engine's --json output is not JSON: ${e.message}`);
    process.exit(1);
}
const counts = doc.counts || {};
if (!doc.run || doc.run.status !== 'completed') {
    console.error(`run.sh: engine run status is ${doc.run && doc.run.status}, not completed`);
    process.exit(1);
}
const seen = new Set();
let bad = 0;
for (const line of fs.readFileSync(baseFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const [act, port, n] = line.split('|');
    seen.add(`${act}.${port}`);
    const want = Number(n);
    const got = counts[act] && counts[act][port] !== undefined ? Number(counts[act][port]) : null;
    if (got === want || (got === null && want === 0)) continue;
    console.error(`MISMATCH ${act}.${port}: engine ${got === null ? 'absent' : got}, sqlite3 ${want}`);
    bad++;
}
for (const act of Object.keys(counts)) {
    for (const port of Object.keys(counts[act])) {
        if (!seen.has(`${act}.${port}`)) {
            console.log(`  (not checked) ${act}.${port} = ${counts[act][port]}`);
        }
    }
}
if (bad) {
    console.error(`run.sh: ${bad} port count(s) differ between the engine and the baseline`);
    process.exit(1);
}
console.log(`  counts match on ${seen.size} ports`);
EOF
            echo "!!!!! COUNT MISMATCH at $n profiles: see above !!!!!" >&2
            status=1
            note="  COUNT MISMATCH"
        fi
        ratio=$(awk -v e="$engine_s" -v b="$base_s" \
            'BEGIN { printf "%.2f", (b > 0 ? e / b : 0) }')
    else
        sed 's/^/  /' "$work/base.out"
    fi
    rows+=("$(printf '%10s  %9s  %10s  %6s  %16s  %18s' "$n" "$engine_s" "$base_s" "$ratio" \
        "$engine_rss" "$base_rss")$note")
done

header=$(printf '%10s  %9s  %10s  %6s  %16s  %18s' size "engine s" "sqlite3 s" ratio \
    "engine RSS MiB" "baseline RSS MiB")
{
    echo
    echo "# targeting bench $(date -u +%Y-%m-%dT%H:%M:%SZ) now=$now seed=$seed" \
        "rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo none)" \
        "$( [ "$engine" = 1 ] || echo "(baseline only)")"
    echo "$header"
    printf '%s\n' "${rows[@]}"
} | tee -a "$results"
exit $status
