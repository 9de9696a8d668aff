#!/usr/bin/env bash
# bench/load/threads.sh - a threaded guest against the single-threaded one, in the same run: wrk -t2 -c100
# keep-alive against the bundled keepalive guest (one thread, direct mode) and against
# bench/src/main/resources/guests/keepalive-threads.wasm (the same server on three guest threads: one in
# epoll_wait, two workers receiving and sending on the fds they share; threaded mode). Reports req/s and the
# server's CPU time per request (utime + stime of all its threads over the measured wrk run, from /proc).
#
#   bench/load/threads.sh [--runs N] [--duration S] [--warmup S] [--transports "io_uring epoll nio"] [--out FILE]
#
# Each run starts both servers fresh, one after the other (each run begins with the next one), on free ports
# in BENCH_PORTS (default 21000-21999), warms each up, measures it, and stops it by pid; the figure is the
# median of --runs (default 3). Runs hold /tmp/wasix-bench.lock (BENCH_LOCK) as bench/load/run.sh does. Writes a Markdown table to
# --out (default bench/results/load-DATE-threads.md). BENCH_BEFORE_IMAGE=DIR adds a third server, DIR's keepalive
# guest ("keepalive-before", an older build), so the single-threaded path can be compared before and after
# in the same run.
#
# Needs: the build (mvn -B -q package -DskipTests), wrk and gcc.
set -euo pipefail

BENCH_NAME=threads.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
THREADED="$ROOT/bench/src/main/resources/guests/keepalive-threads.wasm"
BENCH_PORTS="${BENCH_PORTS:-21000-21999}"
RUNS=3 DURATION=5 WARMUP=8 TRANSPORTS="" OUT=""
COMMAND="bench/load/threads.sh${*:+ $*}"
[[ -n "$BEFORE_IMAGE" ]] && COMMAND="BENCH_BEFORE_IMAGE=$BEFORE_IMAGE $COMMAND"
while (($#)); do
    case "$1" in
        --runs) RUNS="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --warmup) WARMUP="$2"; shift ;;
        --transports) TRANSPORTS="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "threads.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
OUT="${OUT:-$ROOT/bench/results/load-$DATE-threads.md}"

[[ -x "$APPLIANCE" ]] || die "no build: run 'mvn -B -q package -DskipTests' first"
[[ -f "$THREADED" ]] || die "missing $THREADED"
for tool in wrk gcc; do command -v "$tool" >/dev/null || die "$tool not found"; done
TICK="$(getconf CLK_TCK)"
trap stop_server EXIT

# measure APPLIANCE GUEST TRANSPORT: one fresh server, warmed up, one measured wrk run; prints
# "REQ_PER_S CPU_US_PER_REQ"
measure() {
    local appliance="$1" guest="$2" transport="$3" port log out c0 c1 reqs rps
    port="$(free_port)"
    log="$(mktemp "${TMPDIR:-/tmp}/threads-bench.XXXXXX")"
    PORT="$port" APPLIANCE_ENV="HOST=127.0.0.1" "$appliance" run --quiet --transport "$transport" "$guest" >"$log" 2>&1 &
    SERVER_PID=$!
    wait_http "$port" "$SERVER_PID" || { cat "$log" >&2; rm -f "$log"; die "$guest on $transport did not start"; }
    wrk -t2 -c100 -d"${WARMUP}s" "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
    c0="$(process_ticks "$SERVER_PID")"
    out="$(wrk -t2 -c100 -d"${DURATION}s" "http://127.0.0.1:$port/" 2>&1 || true)"
    c1="$(process_ticks "$SERVER_PID")"
    stop_server
    rm -f "$log"
    reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    [[ -n "$reqs" && -n "$rps" ]] || die "wrk printed no rate for $guest on $transport: $out"
    awk -v r="$rps" -v t="$((c1 - c0))" -v n="$reqs" -v hz="$TICK" 'BEGIN {printf "%.0f %.2f\n", r, t / hz * 1e6 / n}'
}

if [[ -z "$TRANSPORTS" ]]; then
    # the transport the appliance picks here, from its boot line
    port="$(free_port)"
    log="$(mktemp)"
    PORT="$port" APPLIANCE_ENV="HOST=127.0.0.1" "$APPLIANCE" run hello >"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 600); do grep -q '^appliance: ' "$log" && break; sleep 0.05; done
    stop_server
    TRANSPORTS="$(sed -n 's/^appliance: .* started on \([a-z_]*\),.*/\1/p' "$log" | head -1)"
    rm -f "$log"
    [[ -n "$TRANSPORTS" ]] || die "the appliance did not start (probe)"
fi

LOAD0="$(load_average)"
bench_lock
declare -A RPS CPU
SERVERS="keepalive threaded"
[[ -n "$BEFORE_IMAGE" ]] && SERVERS="keepalive threaded keepalive-before"
for t in $TRANSPORTS; do
    for ((i = 1; i <= RUNS; i++)); do
        # Each run starts with the next server, so none always runs first (or right after another).
        read -r -a order <<<"$SERVERS"
        rot=$(((i - 1) % ${#order[@]}))
        for g in "${order[@]:$rot}" "${order[@]:0:$rot}"; do
            guest=keepalive app="$APPLIANCE"
            [[ "$g" == threaded ]] && guest="$THREADED"
            [[ "$g" == keepalive-before ]] && app="$BEFORE_IMAGE/bin/appliance"
            read -r r c < <(measure "$app" "$guest" "$t")
            RPS[$g@$t]+="$r "
            CPU[$g@$t]+="$c "
            say "$(printf 'run %d %-9s %-9s %8s req/s %6s us CPU/req' "$i" "$t" "$g" "$r" "$c")"
        done
    done
done
bench_unlock

{
    echo "# Threaded guest vs single-threaded guest, keep-alive, $STAMP"
    echo
    echo "Command: \`$COMMAND\` (wrk -t2 -c100, keep-alive; each run starts each server fresh on 127.0.0.1, warms"
    echo "it up for ${WARMUP} s, measures ${DURATION} s; median of $RUNS runs, the two servers alternating)."
    echo
    echo "- **keepalive**: the bundled keepalive guest, one thread (direct mode: the guest thread runs the loop)."
    echo "- **threaded**: \`bench/src/main/resources/guests/keepalive-threads.wasm\`, the same HTTP server on three"
    echo "  guest threads (one in epoll_wait, two workers doing the receives and sends on the shared fds, EPOLLONESHOT"
    echo "  re-armed by the worker); threaded mode (an I/O thread runs the loop, guest calls take the shard lock)."
    echo
    [[ -n "$BEFORE_IMAGE" ]] && echo "- **keepalive-before**: the bundled keepalive guest of the build in \`$BEFORE_IMAGE\`, in the same run." && echo
    echo "CPU per request is the server process's utime + stime over the measured run (all its threads, /proc),"
    echo "divided by the requests wrk completed. Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
    echo "Linux $(uname -r); wrk shares the cores, and so does other work: compare within this run. Load average"
    echo "(1, 5, 15 min) at the start: $LOAD0; at the end: $(load_average)."
    echo
    echo "| transport | server | req/s (median) | vs keepalive | CPU us/req (median) | vs keepalive | runs: req/s | runs: CPU us/req |"
    echo "|---|---|---:|---:|---:|---:|---|---|"
    for t in $TRANSPORTS; do
        k="$(tr ' ' '\n' <<<"${RPS[keepalive@$t]}" | median)"
        kc="$(tr ' ' '\n' <<<"${CPU[keepalive@$t]}" | median)"
        for g in $SERVERS; do
            m="$(tr ' ' '\n' <<<"${RPS[$g@$t]}" | median)"
            mc="$(tr ' ' '\n' <<<"${CPU[$g@$t]}" | median)"
            printf '| %s | %s | %.0f | %.2f | %s | %.2f | %s | %s |\n' "$t" "$g" "$m" \
                "$(awk -v a="$m" -v b="$k" 'BEGIN {print a / b}')" "$mc" "$(awk -v a="$mc" -v b="$kc" 'BEGIN {print a / b}')" \
                "${RPS[$g@$t]% }" "${CPU[$g@$t]% }"
        done
    done
} >"$OUT"
say "threads.sh: wrote $OUT"
cat "$OUT"
