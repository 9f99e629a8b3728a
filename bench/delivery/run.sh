#!/usr/bin/env bash
# run.sh - the email delivery benchmark: stepwise sending campaign.json over SMTP against the
# physical limit of this machine, Postfix's smtp-source into the same smtp-sink.
#
# usage: bench/delivery/run.sh [--no-build] [N] [CONNS]     (default N 100000, CONNS "1 4 16";
#        N and CONNS may also come from the environment: N=20000 CONNS="4 16" run.sh)
#
# It builds build-rel (cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo, target stepwise; skipped with
# --no-build or when STEPWISE_BIN is set), generates bench/out/delivery-N.db once (stepwise
# demo-data, never written to afterwards) and counts with the sqlite3 shell the messages a
# run must send: the distinct non-empty lower(trim(email)) of the profiles (campaign.json
# targets every profile). Then:
#   size   a copy of the data cut to ~1000 profiles spread over the ids is sent to an smtp-sink
#          that dumps every message (-d); the mean wire size of the MIME messages (CRLF line
#          ends, without the sink's own X-*/Received lines) is reported, and smtp-source's -l
#          is calibrated the same way so that its messages (its own headers + -l payload) have
#          that same wire size;
#   for each connection count C, each side against a fresh `smtp-sink -c 127.0.0.1:PORT 1000`
#   that only counts (no dump):
#     stepwise   /usr/bin/time -v stepwise run campaign.json --data COPY --smtp-url
#                smtp://127.0.0.1:PORT --smtp-connections C --json, on a fresh copy of the
#                data file (copied outside the timing, so every run starts from an empty
#                ledger); wall time, peak RSS, and the email task's own duration from the
#                tasks' started_at/ended_at in the --json output;
#     smtp-source  /usr/bin/time -v smtp-source -d -s C -m M -l L 127.0.0.1:PORT (M = the same
#                message count, L = the calibrated payload length).
# Checks (a failure is reported loudly, marked in the table, and the exit status is 1): the run
# completed, the email task's out port, the ledger (SELECT count(*) FROM sw_deliveries WHERE
# state = 'sent' in the copy) and the sink's message counter all equal the independent SQL
# count, no row failed; smtp-source's sink counted M messages.
# Prints and appends to bench/out/results-delivery.txt one row per C: messages/s of the whole
# run and of the email task alone, smtp-source messages/s, the ratios limit / stepwise, and
# stepwise's peak RSS.
#
# Each stepwise run is made twice, on the pipelined SMTP path (the default with smtp-sink) and
# with --smtp-pipelining off (libcurl); SMTP_PATHS="pipelined" runs only the first. The path
# "capped" is the pipelined one under --frequency-cap 1/7d: every address is admitted (one row
# each in a fresh ledger), so it measures what deciding the cap at every claim costs
# (SMTP_PATHS="pipelined capped" puts the two side by side). The path "tracked" is the pipelined
# one with open and click tracking on (campaign.json with "tracking": {"opens": true, "clicks":
# true} and --public-url): every HTML body is rewritten (two links signed, a pixel added), so it
# measures what tracking costs (SMTP_PATHS="pipelined tracked").
# Environment: STEPWISE_BIN (default build-rel/stepwise; an ASan build is refused),
# STEPWISE_BENCH_NOW (the clock demo-data generates with; default 2026-11-01T00:00:00Z — the
# runs themselves use the real clock, their task times are the measure), STEPWISE_BENCH_SEED
# (demo-data seed, default 1), BENCH_TIMEOUT (seconds one side may take, default 3600).
# Needs sqlite3, node, /usr/bin/time, /usr/sbin/smtp-sink and /usr/sbin/smtp-source (make deps).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir="$root/build-rel"
bin=${STEPWISE_BIN:-$build_dir/stepwise}
now=${STEPWISE_BENCH_NOW:-2026-11-01T00:00:00Z}
seed=${STEPWISE_BENCH_SEED:-1}
max_seconds=${BENCH_TIMEOUT:-3600}
doc="$here/campaign.json"
out="$root/bench/out"
results="$out/results-delivery.txt"
sink_bin=/usr/sbin/smtp-sink
source_bin=/usr/sbin/smtp-source

build=1
[ -z "${STEPWISE_BIN:-}" ] || build=0
n=${N:-100000}
conns=${CONNS:-"1 4 16"}
paths=${SMTP_PATHS:-"pipelined libcurl"}
positional=0
for arg in "$@"; do
    case "$arg" in
    --no-build) build=0 ;;
    -h | --help)
        sed -n '2,39p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "run.sh: unknown option $arg" >&2
        exit 2
        ;;
    *)
        positional=$((positional + 1))
        case $positional in
        1) n=$arg ;;
        2) conns=$arg ;;
        *)
            echo "run.sh: too many arguments (usage: run.sh [--no-build] [N] [CONNS])" >&2
            exit 2
            ;;
        esac
        ;;
    esac
done
if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
    echo "run.sh: N must be a positive integer, got '$n'" >&2
    exit 2
fi
read -r -a conn_list <<<"$conns"
[ ${#conn_list[@]} -gt 0 ] || { echo "run.sh: CONNS is empty" >&2; exit 2; }
for c in "${conn_list[@]}"; do
    if ! [[ "$c" =~ ^[1-9][0-9]*$ ]] || [ "$c" -gt 1024 ]; then
        echo "run.sh: each connection count must be 1..1024, got '$c'" >&2
        exit 2
    fi
done

for tool in sqlite3 node /usr/bin/time cmake; do
    [ "$tool" != cmake ] || [ "$build" = 1 ] || continue
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
for tool in "$sink_bin" "$source_bin"; do
    if [ ! -x "$tool" ]; then
        echo "run.sh: $tool is required (Debian package postfix; make deps installs it)" >&2
        exit 1
    fi
done

if [ "$build" = 1 ]; then
    echo "== building $build_dir (RelWithDebInfo, target stepwise)"
    if [ ! -f "$build_dir/CMakeCache.txt" ]; then
        cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    fi
    cmake --build "$build_dir" -j "$(nproc)" --target stepwise >"$build_dir/bench-build.log" 2>&1 ||
        { tail -30 "$build_dir/bench-build.log" >&2; echo "run.sh: the build failed" >&2; exit 1; }
fi
# shellcheck source=../lib.sh
. "$here/../lib.sh"
bench_check_bin "$bin"

# smtp-sink drops its privileges to nobody when started as root (it insists on -u then).
sink_user=()
[ "$(id -u)" != 0 ] || sink_user=(-u nobody)

# The runs see no STEPWISE_* setting from the caller's environment (a frozen STEPWISE_NOW
# would zero the task times, a STEPWISE_FREQUENCY_CAP would skip rows): only the flags count.
run_env=()
while read -r var; do
    case "$var" in
    STEPWISE_BIN | STEPWISE_BENCH_*) ;;
    STEPWISE_*) run_env+=(-u "$var") ;;
    esac
done < <(compgen -e)

work=$(mktemp -d)
chmod 755 "$work" # the dumping sink writes below it as nobody
sinks=()
stop_sinks() {
    local p
    for p in "${sinks[@]}"; do
        if kill -0 "$p" 2>/dev/null; then
            kill "$p" 2>/dev/null || true
            wait "$p" 2>/dev/null || true
        fi
    done
    sinks=()
}
trap 'stop_sinks; rm -rf "$work"' EXIT

free_port() {
    node -e "const s = require('net').createServer();
             s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => console.log(p)); });"
}

# start_sink OUTFILE [smtp-sink options...]: a sink on a free loopback port, backlog 1000; sets
# sink_pid and sink_port once it accepts connections.
start_sink() {
    local outfile=$1
    shift
    sink_port=$(free_port)
    "$sink_bin" "${sink_user[@]}" "$@" "127.0.0.1:$sink_port" 1000 >"$outfile" 2>&1 &
    sink_pid=$!
    sinks+=("$sink_pid")
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$sink_port") 2>/dev/null; then return 0; fi
        kill -0 "$sink_pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "run.sh: smtp-sink did not start on port $sink_port:" >&2
    cat "$outfile" >&2
    exit 1
}
stop_sink() {
    local p keep=()
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    for p in "${sinks[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    sinks=("${keep[@]}")
}
# The last "mesg=N" of a `smtp-sink -c` counter line (updated when "." is received).
sink_count() {
    tr '\r' '\n' <"$1" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1
}
# Wait (up to 2 s) until the sink has counted $2 messages; print its count.
sink_settle() {
    local got
    for _ in $(seq 40); do
        got=$(sink_count "$1")
        [ "${got:-0}" -lt "$2" ] || break
        sleep 0.05
    done
    echo "${got:-0}"
}

# Wire bytes of the message in each smtp-sink dump, one line per file: the sink's X-* lines
# and Received header dropped, CRLF line ends, without the blank line the dump ends with.
msg_sizes() {
    LC_ALL=C awk '
        function flush() { if (open) print bytes - (last == "" ? 2 : 0) }
        FNR == 1 { flush(); bytes = 0; open = 1; hdr = 1; recv = 0 }
        hdr && /^X-/ { next }
        hdr && /^Received:/ { recv = 1; next }
        hdr && recv && /^[ \t]/ { next }
        { hdr = 0; bytes += length($0) + 2; last = $0 }
        END { flush() }' "$@"
}
# "count mean min max" of msg_sizes.
size_stats() {
    msg_sizes "$@" | awk 'NR == 1 { min = max = $1 } { t += $1; if ($1 < min) min = $1
                                                     if ($1 > max) max = $1 }
                          END { if (NR) printf "%d %.0f %d %d\n", NR, t / NR, min, max
                                else print "0 0 0 0" }'
}

# timed TIMEFILE OUT ERR COMMAND...: COMMAND under /usr/bin/time -v and timeout, while the
# current sink ($sink_pid) is watched: should the sink go away mid-run (a sender facing a dead
# server retries with backoff, for minutes), the command is stopped and the run is a failure.
timed() {
    local tf=$1 o=$2 e=$3 rc=0
    shift 3
    if [ "$o" = "$e" ]; then
        timeout "$max_seconds" /usr/bin/time -v -o "$tf" "$@" >"$o" 2>&1 &
    else
        timeout "$max_seconds" /usr/bin/time -v -o "$tf" "$@" >"$o" 2>"$e" &
    fi
    local runner=$!
    while kill -0 "$runner" 2>/dev/null; do
        if ! kill -0 "$sink_pid" 2>/dev/null; then
            echo "!!!!! smtp-sink (pid $sink_pid) went away during the run; stopping it !!!!!" >&2
            kill "$runner" 2>/dev/null || true
            wait "$runner" 2>/dev/null || true
            return 1
        fi
        sleep 0.1
    done
    wait "$runner" || rc=$?
    [ "$rc" != 124 ] || echo "!!!!! timed out after $max_seconds s (BENCH_TIMEOUT) !!!!!" >&2
    return "$rc"
}

# Seconds from /usr/bin/time -v's "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.34".
elapsed() {
    sed -n 's/.*Elapsed (wall clock) time.*): //p' "$1" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}
rss_mib() {
    sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{ printf "%.0f", $1 / 1024 }'
}
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.0f}" 'BEGIN { if (b > 0) printf f, a / b; else print "-" }'; }

# ---- the data and the expected message count ----

mkdir -p "$out"
db="$out/delivery-$n.db"
if [ ! -f "$db" ]; then
    echo "== generating $db ($n profiles, now $now, seed $seed)"
    rm -f "$db.tmp" "$db.tmp-wal" "$db.tmp-shm"
    STEPWISE_NOW=$now "$bin" demo-data --out "$db.tmp" --profiles "$n" --seed "$seed"
    mv "$db.tmp" "$db"
fi
if ! sqlite3 -bail "$db" "SELECT email FROM profiles LIMIT 0" >/dev/null 2>"$work/schema.err"; then
    echo "run.sh: $db has no profiles.email column:" >&2
    cat "$work/schema.err" >&2
    exit 1
fi
if [ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'sw_deliveries'")" != 0 ]; then
    echo "run.sh: $db already holds a stepwise catalog (a run wrote to it); delete it to regenerate" >&2
    exit 1
fi
"$bin" validate "$doc" --data "$db" >/dev/null

IFS='|' read -r profiles expected missing < <(sqlite3 "$db" "
    SELECT count(*),
           count(DISTINCT CASE WHEN trim(coalesce(email, '')) <> '' THEN lower(trim(email)) END),
           sum(trim(coalesce(email, '')) = '')
    FROM profiles")
duplicates=$((profiles - missing - expected))
echo "   $profiles profiles: $expected distinct addresses to send, $missing without an address," \
    "$duplicates duplicate addresses"
[ "$expected" -gt 0 ] || { echo "run.sh: no address to send to" >&2; exit 1; }
if [ "$expected" -ne "$n" ]; then
    echo "   (demo-data gave $expected distinct addresses for $n profiles: $expected messages per run)"
fi

# ---- message size: a dumping sink, a sample of the data, then smtp-source calibrated ----

echo "== message size (a dumping sink, ~1000 profiles of the data)"
step=$(( n > 1000 ? n / 1000 : 1 ))
cp "$db" "$work/sample.db"
sqlite3 -bail "$work/sample.db" "DELETE FROM profiles WHERE id % $step <> 0; VACUUM;"
sample_expected=$(sqlite3 "$work/sample.db" "SELECT count(DISTINCT lower(trim(email))) FROM profiles
    WHERE trim(coalesce(email, '')) <> ''")
mkdir -m 777 "$work/dump" "$work/dump-src"
start_sink "$work/dump-sink.out" -d "$work/dump/%M."
dump_pid=$sink_pid dump_port=$sink_port
if ! timed "$work/sample.time" "$work/sample.json" "$work/sample.err" env "${run_env[@]}" \
    "$bin" run "$doc" --data "$work/sample.db" --smtp-url "smtp://127.0.0.1:$dump_port" \
    --smtp-connections 4 --json; then
    echo "run.sh: the sizing run failed:" >&2
    cat "$work/sample.err" "$work/sample.json" >&2
    exit 1
fi
for _ in $(seq 40); do
    [ "$(find "$work/dump" -type f | wc -l)" -lt "$sample_expected" ] || break
    sleep 0.05
done
read -r dumped mean min_size max_size < <(size_stats "$work"/dump/*)
[ "$dumped" -gt 0 ] || { echo "run.sh: the sizing run left no message in the dump" >&2; exit 1; }
echo "   $dumped messages (of $sample_expected addresses): mean $mean bytes, min $min_size, max $max_size"
[ "$dumped" -eq "$sample_expected" ] ||
    echo "   warning: the sink dumped $dumped messages for $sample_expected addresses" >&2
echo "   one of them, as sent:"
awk 'BEGIN { hdr = 1 } hdr && /^X-/ { next } hdr && /^Received:/ { recv = 1; next }
     hdr && recv && /^[ \t]/ { next } { hdr = 0; print "   | " $0 }' \
    "$(find "$work/dump" -type f | head -1)" | head -16 || true

# smtp-source adds its own From/To/Date/Message-Id headers to the -l payload: measure them.
stop_sink "$dump_pid"
start_sink "$work/dump-sink.out" -d "$work/dump-src/%M."
dump_pid=$sink_pid dump_port=$sink_port
src_size() {
    rm -f "$work"/dump-src/*
    "$source_bin" -m 3 -l "$1" "127.0.0.1:$dump_port" >/dev/null
    for _ in $(seq 40); do
        [ "$(find "$work/dump-src" -type f | wc -l)" -lt 3 ] || break
        sleep 0.05
    done
    size_stats "$work"/dump-src/* | awk '{ print $2 }'
}
overhead=$(( $(src_size "$mean") - mean ))
payload=$(( mean - overhead ))
[ "$payload" -gt 0 ] || payload=1
source_size=$(src_size "$payload")
stop_sink "$dump_pid"
echo "   smtp-source: $overhead bytes of its own headers, so -l $payload ($source_size bytes a message)"

# ---- the timed runs ----

status=0
rows=()
for c in "${conn_list[@]}"; do
    src_note=""
    echo "== smtp-source -d -s $c -m $expected -l $payload"
    start_sink "$work/sink-src-$c.out" -c
    if ! timed "$work/src-$c.time" "$work/src-$c.out" "$work/src-$c.out" "$source_bin" -d -s "$c" \
        -m "$expected" -l "$payload" "127.0.0.1:$sink_port"; then
        echo "!!!!! smtp-source failed or timed out ($c sessions):" >&2
        tail -20 "$work/src-$c.out" >&2
        status=1
        src_note="$src_note  SMTP-SOURCE FAILED"
    fi
    src_sink=$(sink_settle "$work/sink-src-$c.out" "$expected")
    stop_sink "$sink_pid"
    src_s=$(elapsed "$work/src-$c.time" 2>/dev/null || true); src_s=${src_s:--}
    echo "   ${src_s} s, sink counted $src_sink"
    if [ "$src_sink" != "$expected" ]; then
        echo "!!!!! smtp-source: the sink counted $src_sink messages, not $expected !!!!!" >&2
        status=1
        src_note="$src_note  SOURCE COUNT"
    fi

    for path in $paths; do
        path_args=()
        [ "$path" = libcurl ] && path_args=(--smtp-pipelining off)
        [ "$path" = capped ] && path_args=(--frequency-cap 1/7d)
        path_doc=$doc
        if [ "$path" = tracked ]; then
            path_doc="$work/campaign-tracked.json"
            node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
                d.activities.find((a) => a.type === "email").tracking = { opens: true, clicks: true };
                process.stdout.write(JSON.stringify(d));' "$doc" >"$path_doc"
            path_args=(--public-url https://t.example.com)
        fi
        note="$src_note"
        run_db="$work/run-$c.db"
        rm -f "$run_db" "$run_db-wal" "$run_db-shm"
        cp "$db" "$run_db"
        cat "$run_db" >/dev/null # warm page cache, outside the timing

        echo "== stepwise ($path SMTP), $c connection(s), $expected messages"
        start_sink "$work/sink-sw-$path-$c.out" -c
        if ! timed "$work/sw-$path-$c.time" "$work/sw-$path-$c.json" "$work/sw-$path-$c.err" env "${run_env[@]}" \
            "$bin" run "$path_doc" --data "$run_db" --smtp-url "smtp://127.0.0.1:$sink_port" \
            --smtp-connections "$c" ${path_args[@]+"${path_args[@]}"} --json; then
            echo "!!!!! the stepwise run failed or timed out ($c connections):" >&2
            tail -20 "$work/sw-$path-$c.err" >&2
            head -c 4000 "$work/sw-$path-$c.json" >&2
            status=1
            note="$note  RUN FAILED"
        fi
        sw_sink=$(sink_settle "$work/sink-sw-$path-$c.out" "$expected")
        stop_sink "$sink_pid"
        sw_s=$(elapsed "$work/sw-$path-$c.time" 2>/dev/null || true); sw_s=${sw_s:--}
        sw_rss=$(rss_mib "$work/sw-$path-$c.time" 2>/dev/null || true); sw_rss=${sw_rss:--}
        ledger=$(sqlite3 "$run_db" "SELECT count(*) FROM sw_deliveries WHERE state = 'sent'" 2>&1 ||
            echo "?")
        ledger_states=$(sqlite3 "$run_db" "SELECT group_concat(s, ', ') FROM (SELECT state ||
            coalesce('/' || reason, '') || ' ' || count(*) AS s FROM sw_deliveries
            GROUP BY state, reason ORDER BY state, reason)" 2>/dev/null || echo "?")
        # status, email out/failed ports, the email task's started_at/ended_at (ms)
        read -r run_status mail_out mail_failed t0 t1 < <(node - "$work/sw-$path-$c.json" <<'EOF' || echo "? ? ? 0 0"
    const fs = require('fs');
    let doc;
    try {
        doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
    } catch (e) {
        console.log('unparsable ? ? 0 0');
        process.exit(0);
    }
    const mail = (doc.tasks || []).filter((t) => t.type === 'email');
    const c = (doc.counts || {}).mail || {};
    const t0 = mail.length ? Math.min(...mail.map((t) => t.started_at ?? Infinity)) : 0;
    const t1 = mail.length ? Math.max(...mail.map((t) => t.ended_at ?? 0)) : 0;
    console.log([doc.run && doc.run.status, c.out ?? '?', c.failed ?? '?',
        Number.isFinite(t0) ? t0 : 0, t1].join(' '));
EOF
        )
        task_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b > a && a > 0 ? (b - a) / 1000 : 0) }')
        echo "   ${sw_s} s (email task ${task_s} s), peak RSS ${sw_rss} MiB; run $run_status," \
            "mail.out $mail_out, mail.failed $mail_failed, ledger sent $ledger, sink counted $sw_sink"
        echo "   ledger: $ledger_states"
        bad=""
        [ "$run_status" = completed ] || bad="$bad run status is $run_status;"
        [ "$ledger" = "$expected" ] || bad="$bad ledger sent $ledger != SQL count $expected;"
        [ "$mail_out" = "$expected" ] || bad="$bad mail.out $mail_out != SQL count $expected;"
        [ "$mail_failed" = 0 ] || bad="$bad mail.failed $mail_failed;"
        [ "$sw_sink" = "$expected" ] || bad="$bad the sink counted $sw_sink != $expected;"
        if [ -n "$bad" ]; then
            echo "!!!!! MISMATCH with $c connection(s):$bad !!!!!" >&2
            status=1
            note="$note  MISMATCH"
        fi
        rm -f "$run_db" "$run_db-wal" "$run_db-shm"
        sw_rate=$(div "$ledger" "$sw_s")
        task_rate=$(div "$ledger" "$task_s")
        src_rate=$(div "$expected" "$src_s")
        rows+=("$(printf '%5s  %9s  %8s  %8s  %10s  %8s  %10s  %8s  %10s  %7s  %7s  %9s' "$c" "$path" \
            "$expected" "$sw_s" "$sw_rate" "$task_s" "$task_rate" "$src_s" "$src_rate" \
            "$(div "$sw_rate" "$src_rate" %.2f)" "$(div "$task_rate" "$src_rate" %.2f)" \
            "$sw_rss")$note")
    done
done

header=$(printf '%5s  %9s  %8s  %8s  %10s  %8s  %10s  %8s  %10s  %7s  %7s  %9s' conns smtp \
    messages "run s" "run msg/s" "email s" "email msg/s" "source s" "source msg/s" "run/src" \
    "email/src" "RSS MiB")
{
    echo
    echo "# delivery bench $(date -u +%Y-%m-%dT%H:%M:%SZ) profiles=$n messages=$expected" \
        "mean-size=${mean}B smtp-source-l=$payload seed=$seed" \
        "rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo none)" \
        "build=$build_type cpus=$(nproc) bin=$bin"
    echo "# run/email: stepwise run wall time / its email task alone; smtp: pipelined (default," \
        "smtp_pipe.c), capped (pipelined under --frequency-cap 1/7d), tracked (pipelined with opens and clicks tracked) or libcurl (--smtp-pipelining off); source: smtp-source into" \
        "smtp-sink; x/src = x msg/s / source msg/s (the target is >= 0.8); RSS: stepwise peak"
    echo "$header"
    printf '%s\n' "${rows[@]}"
} | tee -a "$results"
exit $status
