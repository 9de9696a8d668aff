#!/usr/bin/env bash
# bench/idle-memory/run.sh - the host's memory per idle keep-alive connection: N connections to the bundled
# keepalive guest, each served one request and then left idle, on each transport.
#
#   bench/idle-memory/run.sh [--connections N] [--transports "io_uring epoll nio"] [--out DIR]
#   BENCH_IMAGE=DIR         the appliance image to measure (default image/target/appliance)
#   BENCH_BEFORE_IMAGE=DIR  also measure this older image, in the same run (rows "before")
#   JCMD=PATH               the JDK's jcmd (default: the one beside the JDK 25 found on PATH or in /usr/lib/jvm)
#
# Method, per image and transport: the appliance runs with a fixed, pre-touched Java heap (-Xms = -Xmx,
# -XX:+AlwaysPreTouch), so that the heap adds nothing to RSS as it fills and RSS moves only with native
# memory (direct buffers, the ring, malloc). First N connections are opened, served and closed, which
# grows the guest's own memory to what N connections need (keepalive.c keeps a 24 KiB record per fd, the
# guest's and not the host's) and warms the host's pools. Then, after a full GC (jcmd GC.run): RSS and the
# heap's live bytes; N connections opened and served again and left idle; after another full GC, the same
# two figures. Per idle connection: (RSS delta + live heap delta) / N. Kernel socket buffers are not part of
# a process's RSS; they are the kernel's, and the same for every server.
#
# Writes bench/results/idle-memory-DATE.md (or --out DIR). Needs gcc, the build, and N free fds (ulimit -n).
# Holds /tmp/wasix-bench.lock (BENCH_LOCK) while it measures, as bench/load/run.sh does.
set -euo pipefail

BENCH_NAME=idle-memory
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
HERE="$ROOT/bench/idle-memory"
N=8000 OUT="$ROOT/bench/results" TRANSPORTS="io_uring epoll nio"
COMMAND="bench/idle-memory/run.sh${*:+ $*}"
[[ -n "$BEFORE_IMAGE" ]] && COMMAND="BENCH_BEFORE_IMAGE=$BEFORE_IMAGE $COMMAND"
while (($#)); do
    case "$1" in
        --connections) N="$2"; shift ;;
        --transports) TRANSPORTS="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "idle-memory: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
JCMD="${JCMD:-$(dirname "$(readlink -f "$(command -v java)")")/jcmd}"
[[ -x "$JCMD" ]] || JCMD="$(ls /usr/lib/jvm/*25*/bin/jcmd 2>/dev/null | head -1)"
[[ -x "$JCMD" ]] || { echo "idle-memory: no jcmd (set JCMD)" >&2; exit 1; }
((N < 8100)) || { echo "idle-memory: the keepalive guest serves fds below 8192: use --connections < 8100" >&2; exit 2; }
(( $(ulimit -n) > N + 100 )) || ulimit -n $((N + 200)) || { echo "idle-memory: ulimit -n too low for $N" >&2; exit 1; }
mkdir -p "$OUT"
CLIENT="$(build_c idle-client "$HERE/client.c")"
trap stop_server EXIT

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# live heap after a full GC, KiB
heap_kib() {
    "$JCMD" "$1" GC.run >/dev/null
    "$JCMD" "$1" GC.heap_info | awk '/ used / { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?/, "", v); print v; exit } }'
}

# connect N: opens N connections through the client, which holds them until its stdin closes
connect_idle() {
    local port="$1" fifo="$2"
    mkfifo "$fifo"
    "$CLIENT" "$port" "$N" <"$fifo" >"$fifo.out" &
    CLIENT_PID=$!
    exec 8>"$fifo"
    until grep -q '^open' "$fifo.out" 2>/dev/null; do
        kill -0 "$CLIENT_PID" 2>/dev/null || { echo "idle-memory: the client failed" >&2; return 1; }
        sleep 0.2
    done
}
release_idle() {
    exec 8>&-
    wait "$CLIENT_PID" 2>/dev/null || true
    rm -f "$1" "$1.out"
}

ROWS=()
measure() {
    local label="$1" image="$2" transport="$3" port log fifo r0 h0 r1 h1
    port="$(free_port)"
    log="$(mktemp "${TMPDIR:-/tmp}/idle-server.XXXXXX")"
    fifo="$(mktemp -u "${TMPDIR:-/tmp}/idle-fifo.XXXXXX")"
    JDK_JAVA_OPTIONS="-Xms1g -Xmx1g -XX:+AlwaysPreTouch" PORT="$port" APPLIANCE_ENV="HOST=127.0.0.1" \
        "$image/bin/appliance" run --quiet --transport "$transport" keepalive >"$log" 2>&1 &
    SERVER_PID=$!
    wait_port "$port" || true
    connect_idle "$port" "$fifo" && release_idle "$fifo" # grow the guest's memory, warm the pools
    sleep 2
    h0="$(heap_kib "$SERVER_PID")"; r0="$(rss_kib "$SERVER_PID")"
    connect_idle "$port" "$fifo"
    sleep 2
    h1="$(heap_kib "$SERVER_PID")"; r1="$(rss_kib "$SERVER_PID")"
    release_idle "$fifo"
    stop_server
    rm -f "$log"
    ROWS+=("$(awk -v l="$label" -v t="$transport" -v n="$N" -v r0="$r0" -v r1="$r1" -v h0="$h0" -v h1="$h1" 'BEGIN {
        printf "| %s | %s | %d | %.0f | %.0f | %.0f |", l, t, n, (r1 - r0) * 1024 / n, (h1 - h0) * 1024 / n, ((r1 - r0) + (h1 - h0)) * 1024 / n }')")
    echo "idle-memory: ${ROWS[-1]}" >&2
}

LOAD0="$(load_average)"
bench_lock
for t in $TRANSPORTS; do
    measure "this build" "$IMAGE" "$t"
    [[ -n "$BEFORE_IMAGE" ]] && measure "before" "$BEFORE_IMAGE" "$t"
done
bench_unlock

MD="$OUT/idle-memory-$DATE.md"
{
    echo "# Host memory per idle keep-alive connection, $STAMP"
    echo
    echo "Command: \`$COMMAND\` ($N connections to the keepalive guest, each served one request, then idle)."
    echo "Method: see the header of bench/idle-memory/run.sh (fixed pre-touched heap; RSS delta for native memory,"
    echo "live-heap delta after a full GC for Java objects; the guest's own memory grown beforehand and excluded)."
    echo "Load average (1, 5, 15 min) at the start: $LOAD0; at the end: $(load_average)."
    echo
    echo "| build | transport | connections | native (RSS) bytes/conn | Java heap bytes/conn | host bytes per idle connection |"
    echo "|---|---|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
} >"$MD"
cat "$MD" >&2
echo "idle-memory: wrote $MD" >&2
