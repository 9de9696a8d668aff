#!/usr/bin/env bash
# metrics-overhead.sh - does counting syscalls cost throughput? Alternates the built appliance without
# metrics, with --stats and with --admin-port (its /metrics scraped every second meanwhile), under
# close-per-request wrk load (-t2 -c100, 2 s warm-up, 5 s measured), 3 rounds; prints "label req/s" per
# run, then the last --stats table. Needs wrk; run it under the bench lock:
#   flock /tmp/wasix-bench.lock bench/metrics-overhead.sh [PORT]
# (PORT and PORT+1, default 18220, must be free.) The load benchmark proper lives elsewhere; this only
# compares the three settings in one run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
A="$ROOT/image/target/appliance/bin/appliance"
port=${1:-18220}
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
one() { # label, args...
    local label=$1; shift
    PORT=$port $A run "$@" 2>"$tmp/$label.err" >/dev/null &
    local pid=$!
    for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$port/ && break; sleep 0.05; done
    wrk -t2 -c100 -d2s -H 'Connection: close' http://127.0.0.1:$port/ >/dev/null 2>&1  # warm-up
    local scraper=
    if [[ $label == admin ]]; then
        (while true; do curl -s -o /dev/null "http://127.0.0.1:$((port + 1))/metrics"; sleep 1; done) &
        scraper=$!
    fi
    local r=$(wrk -t2 -c100 -d5s -H 'Connection: close' http://127.0.0.1:$port/ | awk '/Requests\/sec/ {print $2}')
    echo "$label $r"
    [[ -z $scraper ]] || kill $scraper
    kill -TERM $pid
    wait $pid || true
}
for round in 1 2 3; do
    one off
    one stats --stats
    one admin --admin-port "127.0.0.1:$((port + 1))"
done
echo
sed -n '/syscall stats/,$p' "$tmp/stats.err"
