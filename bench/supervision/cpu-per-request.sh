#!/usr/bin/env bash
# bench/supervision/cpu-per-request.sh - the hot path, before and after a change: the appliance's CPU time per
# request (utime+stime from /proc over one wrk run, divided by its requests) and req/s, for two builds
# measured alternately in one run (A B A B ...), so that the machine's other load falls on both alike.
#
#   bench/supervision/cpu-per-request.sh BEFORE_IMAGE AFTER_IMAGE [ROUNDS]      (default 4 rounds)
#
# Each round and each build: the bundled guest (keepalive: keep-alive; hello: Connection: close) on the auto
# transport, warmed up with wrk for 5 s, then wrk -t2 -c100 -d5s measured. Prints a Markdown table per guest
# and the medians. Needs wrk. Ports from BENCH_PORT (default 26300). Holds /tmp/wasix-bench.lock (BENCH_LOCK).
set -euo pipefail
BEFORE="$1"
AFTER="$2"
ROUNDS="${3:-4}"
PORT="${BENCH_PORT:-26300}"
exec 9>"${BENCH_LOCK:-/tmp/wasix-bench.lock}"
flock 9

wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

measure() { # image guest -> "req/s cpu_us_per_request"
    local image="$1" guest="$2" headers=()
    [[ "$guest" == hello ]] && headers=(-H "Connection: close")
    PORT=$PORT APPLIANCE_ENV="HOST=127.0.0.1" "$image/bin/appliance" run --quiet "$guest" 2>/dev/null &
    local pid=$!
    wait_port "$PORT"
    wrk -t2 -c100 -d5s "${headers[@]}" "http://127.0.0.1:$PORT/" >/dev/null
    local t0 out t1
    t0=$(ticks "$pid")
    out=$(wrk -t2 -c100 -d5s "${headers[@]}" "http://127.0.0.1:$PORT/")
    t1=$(ticks "$pid")
    kill "$pid"; wait "$pid" || true
    sleep 0.5
    local requests rps
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    echo "$rps $(( (t1 - t0) * 1000000 / hz / requests ))"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

for guest in keepalive hello; do
    echo "### $guest"
    echo
    echo "| round | before req/s | before CPU us/request | after req/s | after CPU us/request |"
    echo "|---|---:|---:|---:|---:|"
    b_rps=() b_cpu=() a_rps=() a_cpu=()
    for round in $(seq "$ROUNDS"); do
        read -r br bc < <(measure "$BEFORE" "$guest")
        read -r ar ac < <(measure "$AFTER" "$guest")
        b_rps+=("$br"); b_cpu+=("$bc"); a_rps+=("$ar"); a_cpu+=("$ac")
        echo "| $round | $br | $bc | $ar | $ac |"
    done
    echo "| median | $(printf '%s\n' "${b_rps[@]}" | median) | $(printf '%s\n' "${b_cpu[@]}" | median) |" \
        "$(printf '%s\n' "${a_rps[@]}" | median) | $(printf '%s\n' "${a_cpu[@]}" | median) |"
    echo
done
