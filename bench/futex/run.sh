#!/usr/bin/env bash
# bench/futex/run.sh - a futex round trip between two guest threads (FutexPingPongBench, JMH) against the same
# ping-pong between two pthreads on Linux futexes (bench/futex/pingpong.c, gcc -O2), in the same run: the
# native program runs before and after JMH, and its median is the peer.
#
#   bench/futex/run.sh [--out FILE]     default FILE: bench/results/DATE-futex-pingpong.md
#
# Holds /tmp/wasix-bench.lock (BENCH_LOCK) throughout, as the other benchmarks do. Needs gcc, Maven, JDK 25.
set -euo pipefail
BENCH_NAME=run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
OUT=""
COMMAND="bench/futex/run.sh${*:+ $*}"
while (($#)); do
    case "$1" in
        --out) OUT="$2"; shift ;;
        -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
OUT="${OUT:-$ROOT/bench/results/$DATE-futex-pingpong.md}"
PINGPONG="$(build_c pingpong "$ROOT/bench/futex/pingpong.c" -pthread)"
JSON="$(mktemp "${TMPDIR:-/tmp}/futex-jmh.XXXXXX.json")"
trap 'rm -f "$JSON"' EXIT

LOAD0="$(load_average)"
bench_lock
native=()
for _ in 1 2 3 4 5; do native+=("$("$PINGPONG" 200000)"); done
"$ROOT/bench/run-jmh.sh" FutexPingPongBench -rf json -rff "$JSON" >&2
for _ in 1 2 3 4 5; do native+=("$("$PINGPONG" 200000)"); done
bench_unlock

nat="$(printf '%s\n' "${native[@]}" | median 1)"
read -r compiled compiled_err < <(python3 -c 'import json,sys; r=[b for b in json.load(open(sys.argv[1])) if b["params"]["mode"]=="compiled"][0]["primaryMetric"]; print(round(r["score"],1), round(r["scoreError"],1))' "$JSON")
read -r interp interp_err < <(python3 -c 'import json,sys; r=[b for b in json.load(open(sys.argv[1])) if b["params"]["mode"]=="interpreter"][0]["primaryMetric"]; print(round(r["score"],1), round(r["scoreError"],1))' "$JSON")
{
    echo "# Futex ping-pong: two guest threads against two pthreads, $STAMP"
    echo
    echo "Command: \`$COMMAND\`. One round trip: a thread sets a word to 1 and futex-wakes it; the other, waiting"
    echo "in futex_wait while the word is 0, sets it back to 0 and wakes it; the first, waiting while it is 1, sees"
    echo "the 0. Guest: \`bench/src/main/resources/guests/futex-pingpong.c\` in a threaded shard (WASIX futex_wait /"
    echo "futex_wake, the shared memory's wait queues), measured by \`FutexPingPongBench\` (JMH, AverageTime, 3 x 2 s"
    echo "warm-up, 5 x 2 s measured, 1000 round trips per operation). Native: \`bench/futex/pingpong.c\` (gcc -O2,"
    echo "FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE), 200000 round trips after 20000 of warm-up, 5 runs before and"
    echo "5 after the JMH run; the median of the 10 is the peer."
    echo
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), Linux $(uname -r);"
    echo "other work shares the cores, which a ping-pong, two threads handing off on two cores, feels at once."
    echo "Load average (1, 5, 15 min) at the start: $LOAD0; at the end: $(load_average)."
    echo
    echo "| lane | ns per round trip | vs native |"
    echo "|---|---:|---:|"
    printf '| native C, pthreads | %s | 1.00 |\n' "$nat"
    printf '| guest, compiled | %s (± %s) | %.2f |\n' "$compiled" "$compiled_err" "$(awk -v a="$compiled" -v b="$nat" 'BEGIN {print a / b}')"
    printf '| guest, interpreter | %s (± %s) | %.2f |\n' "$interp" "$interp_err" "$(awk -v a="$interp" -v b="$nat" 'BEGIN {print a / b}')"
    echo
    echo "Native runs (ns per round trip): ${native[*]}"
} >"$OUT"
echo "run.sh: wrote $OUT" >&2
cat "$OUT"
