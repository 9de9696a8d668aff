#!/usr/bin/env bash
# servers.sh - the third-party WASIX servers of issue 9 answer, on every transport, under brief load.
#
# Not part of CI: it needs wasmer's prebuilt binaries (wasix-integration-tests @ 69944c6, never committed;
# see bench/results/2026-12-05-third-party-wasix.md for how to fetch them) in $WILD (default /tmp/wild/pre).
#   web-server.wasm            static-web-server 2.8.0, serving a --dir mount at "/" (its --root /public)
#   example-tcp-listener.wasm  Rust std: binds 127.0.0.1:7878 itself, prints "Connection established!" per
#                              accepted connection and drops it
# Peers, measured in the same run on the same machine: python3's http.server on the same files, and a
# python3 accept loop doing what the listener does. Holds the bench lock (/tmp/wasix-bench.lock) as
# bench/load/run.sh does. Ports: BENCH_PORTS (default 29080-29089); the listener's 7878 is its own.
#
# Usage: bench/third-party/servers.sh [DURATION_SECONDS]   (prints a markdown table)
set -euo pipefail
cd "$(dirname "$0")/../.."
WILD="${WILD:-/tmp/wild/pre}"
A="${APPLIANCE:-image/target/appliance/bin/appliance}"
DURATION="${1:-5}"
PORTS="${BENCH_PORTS:-29080-29089}"
WEB_PORT="${PORTS%-*}"
PEER_PORT=$((WEB_PORT + 1))
CONNECTS="${CONNECTS:-1000}"
LOCK="${BENCH_LOCK:-/tmp/wasix-bench.lock}"
TICK_US=$((1000000 / $(getconf CLK_TCK)))
WORK="$(mktemp -d "${TMPDIR:-/tmp}/third-party-servers.XXXXXX")"
SERVER_PID=""

cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
stop() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap 'stop; rm -rf "$WORK"' EXIT

wait_port() { # PORT: up to 60 s for a listener
    for _ in $(seq 600); do
        ss -ltn "sport = :$1" | grep -q LISTEN && return 0
        sleep 0.1
    done
    return 1
}

mkdir -p "$WORK/root/public"
printf '<h1>hello from a static file</h1>\n' >"$WORK/root/public/index.html"
head -c 30000 /dev/urandom | base64 >"$WORK/root/public/big.txt"

# http NAME URL-BASE: checks two files byte for byte and a 404, then wrk; prints a table row.
http() {
    local name="$1" base="$2" out rps reqs errs c0 c1 ok=yes
    [[ "$(curl -s -m 10 "$base/")" == "$(cat "$WORK/root/public/index.html")" ]] || ok=no
    [[ "$(curl -s -m 10 "$base/big.txt" | md5sum)" == "$(md5sum <"$WORK/root/public/big.txt")" ]] || ok=no
    [[ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$base/missing")" == 404 ]] || ok=no
    wrk -t2 -c16 -d2s "$base/" >/dev/null 2>&1 || true # warm-up
    c0="$(cpu_ticks "$SERVER_PID")"
    out="$(wrk -t2 -c16 -d"${DURATION}s" "$base/" 2>&1 || true)"
    c1="$(cpu_ticks "$SERVER_PID")"
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    reqs="$(awk '/ requests in / {print $1; exit}' <<<"$out")"
    errs="$(awk '/Socket errors:/ {gsub(/,/, ""); s += $4 + $6 + $8 + $10} /Non-2xx/ {s += $NF} END {print s + 0}' <<<"$out")"
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$ok" "${rps:-none}" "$errs" \
        "$(awk -v c=$(((c1 - c0) * TICK_US)) -v r="${reqs:-0}" 'BEGIN {if (r > 0) printf "%.0f", c / r; else print "n/a"}')"
}

# connects NAME: CONNECTS connections, 8 at a time, each opened and closed; prints a table row with how many
# the server reported ("Connection established!" lines in $WORK/listener.out).
connects() {
    local name="$1" c0 c1 t0 t1 seen
    c0="$(cpu_ticks "$SERVER_PID")"
    t0="$EPOCHREALTIME"
    python3 - "$CONNECTS" <<'EOF'
import socket, sys, concurrent.futures
def one(_):
    s = socket.create_connection(("127.0.0.1", 7878), timeout=10)
    s.close()
with concurrent.futures.ThreadPoolExecutor(8) as ex:
    list(ex.map(one, range(int(sys.argv[1]))))
EOF
    t1="$EPOCHREALTIME"
    sleep 1
    c1="$(cpu_ticks "$SERVER_PID")"
    seen="$(grep -c '^Connection established!$' "$WORK/listener.out" || true)"
    printf '| %s | %s of %s | %s | %s |\n' "$name" "$seen" "$CONNECTS" \
        "$(awk -v n="$CONNECTS" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')" \
        "$(awk -v c=$(((c1 - c0) * TICK_US)) -v n="$CONNECTS" 'BEGIN {printf "%.0f", c / n}')"
}

exec 9>"$LOCK"
flock 9
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(uptime | sed 's/^.*load/load/'); duration ${DURATION}s; connects $CONNECTS"
echo
echo "| web-server (wrk -t2 -c16) | files and 404 right | req/s | errors | CPU us/request |"
echo "|---|---|---|---|---|"
for t in io_uring epoll nio; do
    "$A" run --quiet --net --listen "$WEB_PORT" --transport "$t" --dir "$WORK/root::/" "$WILD/web-server.wasm" -- \
        --host 127.0.0.1 --port "$WEB_PORT" --root /public </dev/null >"$WORK/web-$t.out" 2>&1 &
    SERVER_PID=$!
    if wait_port "$WEB_PORT"; then
        http "appliance, $t" "http://127.0.0.1:$WEB_PORT"
    else
        echo "| appliance, $t | did not listen: $(tail -2 "$WORK/web-$t.out" | tr '\n' ' ') | | | |"
    fi
    stop
done
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/root/public" "$PEER_PORT" >/dev/null 2>&1 &
SERVER_PID=$!
wait_port "$PEER_PORT" && http "peer: python3 http.server" "http://127.0.0.1:$PEER_PORT"
stop

echo
echo "| example-tcp-listener (8 clients, connect and close) | connections reported | connections/s | CPU us/connection |"
echo "|---|---|---|---|"
for t in io_uring epoll nio; do
    "$A" run --quiet --net --listen 7878 --transport "$t" "$WILD/example-tcp-listener.wasm" </dev/null \
        >"$WORK/listener.out" 2>&1 &
    SERVER_PID=$!
    if wait_port 7878; then
        connects "appliance, $t"
    else
        echo "| appliance, $t | did not listen: $(tail -2 "$WORK/listener.out" | tr '\n' ' ') | | |"
    fi
    stop
done
python3 -u -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7878)); s.listen(1024)
print("Listening on 127.0.0.1:7878")
while True:
    c, _ = s.accept(); print("Connection established!"); c.close()
' >"$WORK/listener.out" 2>&1 &
SERVER_PID=$!
wait_port 7878 && connects "peer: python3 accept loop"
stop
flock -u 9
