#!/usr/bin/env bash
# bench/soak/run.sh - the soak: mixed load on the appliance for a long while, charting what must stay flat.
#
#   bench/soak/run.sh [--duration 10m] [--out DIR] [--trap-every 10] [--gate]
#
# Boots the crashy test guest (appliance/src/test/guests/crashy.c: keep-alive HTTP over epoll; a request
# starting with 'X' traps) with --shards 2 and --admin-port, then for DURATION (s, m: 60s, 10m) runs at once:
#   keep-alive          wrk -t1 -c10 (its errors: the trapped shard's connections it loses)
#   close-per-request,  bench/soak/load.py's threads (see its header): 4 closing after each answer, 8 sending
#   slow clients,       a byte every 0.25 s, 2 resetting (SO_LINGER 0) mid-request or with the answer unread,
#   peer resets, traps  and one trapping request every --trap-every seconds (the shard restarts: supervision)
# The JVM runs with SOAK_JAVA_OPTIONS (default -Xmx64m -XX:+AlwaysPreTouch): the heap is bounded and touched
# at start, so RSS shows what grows outside it (native memory, buffers, threads' stacks), not the heap's
# lazy growth towards a default maximum of a quarter of the machine's memory (a restarted shard's old
# instance is garbage that waits in the old generation for a full collection); and a heap leak, in 64 MiB,
# ends in an OutOfMemoryError within minutes, which the soak reports as a death.
# It samples every second RSS, fds, threads (/proc), restarts and syscall errors (/metrics) and the clients'
# counts. Then SIGTERM, and the exit status. Writes DIR/soak.csv, DIR/soak.md (drift of RSS and fds between
# a window after the warm-up and the last one, restarts, errors, verdict), DIR/soak.svg and DIR/soak.png
# (rsvg-convert, when installed). --gate exits 1 when RSS or fds grew more than 10 %, the appliance died, or
# it did not exit 0 (CI: --duration 60s --gate). DIR defaults to a new directory under $TMPDIR/wasix-bench/.
#
# Needs the build (mvn -B -q package -DskipTests), wrk and python3. Ports: SOAK_PORT (default: free ones the
# kernel picks). Holds /tmp/wasix-bench.lock (BENCH_LOCK) so that no other measurement shares the cores.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IMAGE="${BENCH_IMAGE:-$ROOT/image/target/appliance}"
GUEST="$ROOT/appliance/src/test/guests/crashy.wasm"
JAVA_OPTS="${SOAK_JAVA_OPTIONS:--Xmx64m -XX:+AlwaysPreTouch}"
DURATION=10m OUT="${TMPDIR:-/tmp}/wasix-bench/soak-$(date -u +%Y%m%d-%H%M%S)" TRAP_EVERY=10 GATE=""

die() { echo "soak: $*" >&2; exit 2; }
while (($#)); do
    case $1 in
        --duration) DURATION=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --trap-every) TRAP_EVERY=$2; shift 2 ;;
        --gate) GATE=--gate; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
case $DURATION in
    *m) SECONDS_TOTAL=$((${DURATION%m} * 60)) ;;
    *s) SECONDS_TOTAL=${DURATION%s} ;;
    *[0-9]) SECONDS_TOTAL=$DURATION ;;
    *) die "--duration wants 60s or 10m, not $DURATION" ;;
esac
[[ -x $IMAGE/bin/appliance ]] || die "no build: run 'mvn -B -q package -DskipTests' first (want $IMAGE/bin/appliance)"
command -v wrk >/dev/null || die "wrk is not installed"
mkdir -p "$OUT"
exec 9>"${BENCH_LOCK:-/tmp/wasix-bench.lock}"
flock 9

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=${SOAK_PORT:-$(free_port)}
ADMIN=$(free_port)
while [[ $ADMIN == "$PORT" ]]; do ADMIN=$(free_port); done

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

PORT=$PORT JDK_JAVA_OPTIONS="$JAVA_OPTS" "$IMAGE/bin/appliance" run --shards 2 --admin-port "127.0.0.1:$ADMIN" "$GUEST" 2>"$OUT/appliance.log" &
APP=$!   # bin/appliance execs java: this is the JVM
PIDS+=("$APP")
for _ in $(seq 300); do
    curl -sf -o /dev/null "http://127.0.0.1:$ADMIN/readyz" 2>/dev/null && break
    kill -0 "$APP" 2>/dev/null || die "the appliance exited at boot: $(cat "$OUT/appliance.log")"
    sleep 0.1
done
echo "soak: $(grep -m1 "started on" "$OUT/appliance.log")" >&2
echo "soak: $SECONDS_TOTAL s of mixed load on 127.0.0.1:$PORT (admin $ADMIN), a trap every $TRAP_EVERY s" >&2

wrk -t1 -c10 -d"${SECONDS_TOTAL}s" "http://127.0.0.1:$PORT/" >"$OUT/wrk.txt" 2>&1 &
PIDS+=($!)
load_status=0
python3 "$ROOT/bench/soak/load.py" --port "$PORT" --admin "$ADMIN" --pid "$APP" --duration "$SECONDS_TOTAL" \
    --trap-every "$TRAP_EVERY" --csv "$OUT/soak.csv" || load_status=$?
wait "${PIDS[1]}" || true

exit_status=gone
if kill -0 "$APP" 2>/dev/null; then
    kill -TERM "$APP"
    exit_status=0
    wait "$APP" || exit_status=$?
fi
restarts_logged=$(grep -c 'restarting in' "$OUT/appliance.log" || true)
echo "soak: appliance exit status $exit_status; $restarts_logged restart lines in $OUT/appliance.log" >&2

python3 "$ROOT/bench/soak/report.py" "$OUT/soak.csv" "$OUT/soak.svg" "$OUT/soak.md" ${GATE:+"$GATE"} \
    --title "Soak: crashy, --shards 2, $SECONDS_TOTAL s of mixed load, a trap every $TRAP_EVERY s ($(date -u +%F))" \
    --command "SOAK_JAVA_OPTIONS='$JAVA_OPTS' bench/soak/run.sh --duration $DURATION --trap-every $TRAP_EVERY${GATE:+ --gate}" \
    --wrk "$OUT/wrk.txt" --exit "$exit_status"
if command -v rsvg-convert >/dev/null; then
    rsvg-convert -o "$OUT/soak.png" "$OUT/soak.svg"
fi
((load_status == 0)) || { echo "soak: FAIL: load.py ended with status $load_status" >&2; exit 1; }
