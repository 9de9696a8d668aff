#!/usr/bin/env bash
# bench/admin/run.sh - /healthz and /readyz latency while hostile clients hold the admin port.
#
#   bench/admin/run.sh [APPLIANCE_DIR...]     default: image/target/appliance
#
# For each appliance (e.g. this build and one of main before the change, to compare in one run): boots the
# hello guest with --admin-port on 127.0.0.1, has bench/admin/hostile.py hold HOSTILE (200) connections to the
# admin port (idle, half-written requests, a byte a second; reopened as soon as they are dropped) and time
# PROBES (50) sequential probes, alternately /healthz and /readyz, each with PROBE_TIMEOUT (60 s). Prints one
# Markdown row per appliance: latency percentiles, probes that failed, and the server's CPU ticks (1/100 s)
# over the probes. Ports: GUEST_PORT (27090) and ADMIN_PORT (27091) on 127.0.0.1.
# Holds /tmp/wasix-bench.lock (BENCH_LOCK) so that two benchmarks do not share the 2 cores.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIRS=("$@")
((${#DIRS[@]})) || DIRS=("$ROOT/image/target/appliance")
HOSTILE="${HOSTILE:-200}" PROBES="${PROBES:-50}" PROBE_TIMEOUT="${PROBE_TIMEOUT:-60}"
GUEST_PORT="${GUEST_PORT:-27090}" ADMIN_PORT="${ADMIN_PORT:-27091}"
exec 9>"${BENCH_LOCK:-/tmp/wasix-bench.lock}"
flock 9

echo "| appliance | hostile connections | hostile reopened | probes answered | p50 ms | p90 ms | p99 ms | max ms | server CPU ticks over the probes | statuses |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for dir in "${DIRS[@]}"; do
    PORT=$GUEST_PORT "$dir/bin/appliance" run --quiet --env HOST=127.0.0.1 --admin-port "127.0.0.1:$ADMIN_PORT" hello 2>/dev/null &
    pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$ADMIN_PORT") 2>/dev/null && break; sleep 0.1; done
    # bin/appliance execs java: $pid is the JVM
    python3 "$ROOT/bench/admin/hostile.py" hold "127.0.0.1:$ADMIN_PORT" --hostile "$HOSTILE" > /tmp/wasix-admin-hold.$$ &
    holder=$!
    sleep 2 # all connected and settled
    line=$(python3 "$ROOT/bench/admin/hostile.py" probe "127.0.0.1:$ADMIN_PORT" --probes "$PROBES" \
        --timeout "$PROBE_TIMEOUT" --pid "$pid")
    kill "$holder"; wait "$holder" || true
    line="$line $(cat /tmp/wasix-admin-hold.$$)"; rm -f /tmp/wasix-admin-hold.$$
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$line"; }
    echo "| $dir | $HOSTILE | $(get hostile_reopened) | $(get answered)/$(get probes) | $(get p50_ms) | $(get p90_ms) | $(get p99_ms) | $(get max_ms) | $(get server_cpu_ticks) | $(get statuses) |"
done
