#!/usr/bin/env bash
# run.sh - the campaign list benchmark: GET /api/v1/campaigns on a catalog of N campaigns.
#
# usage: bench/api/run.sh [--prepare] [SIZES...]            (default sizes: 100000 1000000)
#
# --prepare only builds the catalogs that are missing, and measures nothing.
# For each size N it builds bench/out/api-N.db once: `stepwise demo-data --profiles 1000` (a
# small data source), `stepwise token create` (runs the catalog migrations), then gen.sql in
# the sqlite3 shell: N campaigns and a run for ~20% of them, inserted in one transaction (the
# catalog's triggers fill the FTS, tag and counter tables), then ANALYZE. Then it starts
#   STEPWISE_NOW=$NOW stepwise serve --data DB --listen 127.0.0.1:0 --http-threads 2 --workers 1
# (with --history-days 36500, so that the purge leaves the generated runs alone; the frozen
# now keeps every next_run_at in the future, so the scheduler stays idle), and measures:
#   latency.mjs  one keep-alive connection, 1000 sequential requests per scenario (a-f, see
#                latency.mjs), after checking each scenario's items and total against sqlite3
#   wrk          -t2 -c16 -d10s --latency on scenario (a): requests/s and latency distribution
# then prints and appends to bench/out/results-api.txt one table per size.
#
# Environment: STEPWISE_BIN (default ./build/stepwise; a Release or RelWithDebInfo build, an
# ASan build is refused), STEPWISE_BENCH_NOW (default 2026-11-01T00:00:00Z), STEPWISE_BENCH_SEED
# (demo-data seed, default 1), BENCH_REQUESTS (default 1000), BENCH_DEEP (pages followed for
# the deep cursor scenario, default 200), BENCH_WRK_DURATION (default 10s), BENCH_Q (default
# sneakers), BENCH_TAG (default vip), BENCH_MAX_SECONDS (a scenario stops early, after at
# least 100 requests, once it has taken this long; default 60).
# Exit status 1 when a correctness check failed or wrk saw non-2xx responses.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${STEPWISE_BIN:-$root/build/stepwise}
now=${STEPWISE_BENCH_NOW:-2026-11-01T00:00:00Z}
seed=${STEPWISE_BENCH_SEED:-1}
requests=${BENCH_REQUESTS:-1000}
deep=${BENCH_DEEP:-200}
wrk_duration=${BENCH_WRK_DURATION:-10s}
q=${BENCH_Q:-sneakers}
tag=${BENCH_TAG:-vip}
max_seconds=${BENCH_MAX_SECONDS:-60}
out="$root/bench/out"
results="$out/results-api.txt"

sizes=()
prepare=0
for arg in "$@"; do
    case "$arg" in
    --prepare) prepare=1 ;;
    -h | --help)
        sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)

for tool in sqlite3 node curl; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
if ! command -v wrk >/dev/null; then
    echo "run.sh: wrk is required (Debian: apt-get install -y wrk)" >&2
    exit 1
fi
# shellcheck source=../lib.sh
. "$here/../lib.sh"
bench_check_bin "$bin"

now_ms=$(($(date -u -d "$now" +%s) * 1000))
work=$(mktemp -d)
daemon=""
stop_daemon() {
    if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
        kill "$daemon" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$daemon" 2>/dev/null || true
        wait "$daemon" 2>/dev/null || true
    fi
    daemon=""
}
trap 'stop_daemon; rm -rf "$work"' EXIT

# Build the catalog of $1 campaigns at $2 (a temporary name first: an interrupted build never
# leaves a half-filled file behind under the final name).
generate() {
    local n=$1 db=$2 tmp="$2.tmp"
    rm -f "$tmp" "$tmp-wal" "$tmp-shm"
    echo "== generating $db ($n campaigns, now $now)"
    STEPWISE_NOW=$now "$bin" demo-data --out "$tmp" --profiles 1000 --seed "$seed" >/dev/null
    "$bin" token create --role viewer --name bench-api-migrate --data "$tmp" >/dev/null 2>&1
    sed -e "s/{{N}}/$n/g" -e "s/{{NOW}}/$now_ms/g" "$here/gen.sql" >"$work/gen.sql"
    local t0=$SECONDS
    sqlite3 -bail "$tmp" <"$work/gen.sql"
    echo "   loaded in $((SECONDS - t0)) s, $(du -m "$tmp" | cut -f1) MiB"
    mv "$tmp" "$db"
}

# A daemon that died under load is a finding: say how it ended and show its last words.
daemon_alive() {
    if ! kill -0 "$daemon" 2>/dev/null; then
        local rc=0
        wait "$daemon" || rc=$?
        echo "!!!!! the daemon died during $1 (exit status $rc$( [ $rc -gt 128 ] &&
            echo ", signal $((rc - 128))")) !!!!!" >&2
        tail -20 "$work/serve.err" >&2
        daemon=""
        exit 1
    fi
}

mkdir -p "$out"
status=0
tables=()
for n in "${sizes[@]}"; do
    db="$out/api-$n.db"
    [ -f "$db" ] || generate "$n" "$db"
    [ "$prepare" = 0 ] || continue

    token=$("$bin" token create --role viewer --name bench-api --data "$db" 2>/dev/null |
        awk '{ print $NF }')
    echo "== serving $db"
    STEPWISE_NOW=$now "$bin" serve --data "$db" --listen 127.0.0.1:0 --http-threads 2 \
        --workers 1 --history-days 36500 >"$work/serve.out" 2>"$work/serve.err" &
    daemon=$!
    port=""
    for _ in $(seq 300); do
        port=$(sed -n 's|^stepwise: listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' \
            "$work/serve.out")
        [ -n "$port" ] && break
        kill -0 "$daemon" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "run.sh: the daemon did not start:" >&2
        cat "$work/serve.out" "$work/serve.err" >&2
        exit 1
    fi
    url="http://127.0.0.1:$port"
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "$url/healthz" && break
        sleep 0.1
    done
    curl -fsS -o /dev/null "$url/healthz"

    echo "== latency, $n campaigns ($requests sequential requests per scenario, one connection)"
    if ! node "$here/latency.mjs" --url "$url" --token "$token" --db "$db" \
        --requests "$requests" --deep "$deep" --q "$q" --tag "$tag" --max-seconds "$max_seconds" --json "$work/lat.json"; then
        echo "!!!!! CHECK FAILED at $n campaigns: see above !!!!!" >&2
        status=1
    fi
    daemon_alive "latency.mjs"

    echo "== wrk -t2 -c16 -d$wrk_duration, scenario a"
    wrk -t2 -c16 -d"$wrk_duration" --latency -H "Authorization: Bearer $token" \
        "$url/api/v1/campaigns?status=running&sort=updated_at&order=desc&limit=50" \
        >"$work/wrk.txt" || true
    cat "$work/wrk.txt"
    daemon_alive "wrk"
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$work/wrk.txt")
    # "50%    1.23ms" -> milliseconds
    wrk_pct() {
        awk -v p="$1%" '$1 == p {
            v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
            printf "%.2f", (u == "us" ? v / 1000 : u == "s" ? v * 1000 : v) }' "$work/wrk.txt"
    }
    wrk_p50=$(wrk_pct 50)
    wrk_p99=$(wrk_pct 99)
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$work/wrk.txt")
    if [ -n "$non2xx" ]; then
        echo "!!!!! wrk saw $non2xx non-2xx responses at $n campaigns !!!!!" >&2
        status=1
    fi
    stop_daemon
    if [ -s "$work/serve.err" ]; then
        echo "   daemon stderr:"
        sed 's/^/   | /' "$work/serve.err" | tail -20
    fi

    table=$(node - "$work/lat.json" "$n" "$rps" "$wrk_p50" "$wrk_p99" "${non2xx:-0}" <<'EOF'
const fs = require('fs');
const [file, n, rps, p50, p99, non2xx] = process.argv.slice(2);
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
const pad = (s, w) => String(s).padStart(w);
const lines = [];
lines.push(`campaigns: ${n}`);
lines.push(`  ${'scenario'.padEnd(48)} ${pad('total', 8)} ${pad('n', 5)} ${pad('median ms', 10)} ${pad('p90 ms', 8)} ${pad('p99 ms', 8)} ${pad('max ms', 8)} ${pad('wrk req/s', 10)}  check`);
for (const [k, v] of Object.entries(r)) {
    const w = k === 'a' ? rps : '-';
    lines.push(`  ${(k + '  ' + v.title).padEnd(48)} ${pad(v.total, 8)} ${pad(v.n, 5)} ${pad(v.median.toFixed(2), 10)} ${pad(v.p90.toFixed(2), 8)} ${pad(v.p99.toFixed(2), 8)} ${pad(v.max.toFixed(2), 8)} ${pad(w, 10)}  ${v.checked ? 'ok' : 'FAILED'}`);
}
lines.push(`  wrk -t2 -c16 on a: ${rps} req/s, latency p50 ${p50} ms, p99 ${p99} ms, non-2xx ${non2xx}`);
console.log(lines.join('\n'));
EOF
)
    tables+=("$table")
done

[ "$prepare" = 0 ] || exit 0
{
    echo
    echo "# api list bench $(date -u +%Y-%m-%dT%H:%M:%SZ) now=$now" \
        "rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo none)" \
        "build=$build_type cpus=$(nproc) http-threads=2 requests=$requests deep=$deep" \
        "max-seconds=$max_seconds" \
        "q=$q tag=$tag"
    printf '%s\n' "${tables[@]}"
} | tee -a "$results"
exit $status
