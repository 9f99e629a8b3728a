# lib.sh - shell pieces the benchmarks share (sourced, not run).

# bench_check_bin BIN: a stepwise binary that exists and is not a sanitizer build; sets
# build_type from its CMakeCache.txt (a warning for a Debug build, whose figures are
# pessimistic).
bench_check_bin() {
    local bin=$1
    if [ ! -x "$bin" ]; then
        echo "run.sh: no stepwise binary at $bin (build it, or set STEPWISE_BIN)" >&2
        exit 1
    fi
    if ldd "$bin" 2>/dev/null | grep -q 'libasan\|libubsan'; then
        echo "run.sh: $bin is a sanitizer build; use a Release or RelWithDebInfo one" >&2
        exit 1
    fi
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$bin")/CMakeCache.txt" \
        2>/dev/null || true)
    build_type=${build_type:-unknown}
    case "$build_type" in
    Release | RelWithDebInfo | MinSizeRel | unknown) ;;
    *) echo "run.sh: warning: $bin is a $build_type build; figures will be pessimistic" >&2 ;;
    esac
}
