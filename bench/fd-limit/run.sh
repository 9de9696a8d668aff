#!/usr/bin/env bash
# bench/fd-limit/run.sh - CPU the appliance burns while its listener is out of fds.
#
#   bench/fd-limit/run.sh [IMAGE...]     default: image/target/appliance
#
# For each image and for io_uring and epoll: starts the hello guest under `ulimit -n 64` on a free 127.0.0.1
# port, opens 150 idle connections (more than the fds it has, so accept fails with EMFILE), then reads the
# JVM's utime+stime from /proc over 2 s. A host that keeps retrying the failing accept burns ~200 ticks
# (100 per second, one core); one that pauses accepting burns a few. Then it closes the clients and checks
# that a new request is answered. Prints one Markdown row per run. Holds /tmp/wasix-bench.lock (BENCH_LOCK).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IMAGES=("$@")
((${#IMAGES[@]})) || IMAGES=("$ROOT/image/target/appliance")
exec 9>"${BENCH_LOCK:-/tmp/wasix-bench.lock}"
flock 9

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
answers() { exec {c}<>"/dev/tcp/127.0.0.1/$1" && printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >&$c && timeout 5 head -c 15 <&$c; exec {c}>&-; }

echo "| image | transport | CPU ticks in 2 s, 150 idle clients, 64 fds | new request after the clients left |"
echo "|---|---|---:|---|"
for image in "${IMAGES[@]}"; do
    for transport in io_uring epoll; do
        port=$(free_port)
        PORT=$port APPLIANCE_ENV="HOST=127.0.0.1" bash -c 'ulimit -n 64; exec "$0" run --quiet --transport "$1" hello' \
            "$image/bin/appliance" "$transport" 2>/dev/null &
        pid=$!
        for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
        clients=()
        for _ in $(seq 150); do exec {fd}<>"/dev/tcp/127.0.0.1/$port"; clients+=("$fd"); done
        sleep 0.5
        t0=$(ticks "$pid"); sleep 2; t1=$(ticks "$pid")
        for fd in "${clients[@]}"; do exec {fd}>&-; done
        sleep 0.3
        reply=$(answers "$port" 2>/dev/null || true)
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
        echo "| $image | $transport | $((t1 - t0)) | ${reply:-no answer} |"
    done
done
