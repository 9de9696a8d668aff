# bench/lib.sh - what the benchmark scripts share, sourced after their `set -euo pipefail`:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
#
# Sets ROOT (the checkout), CACHE (bench/.cache, ignored by git), IMAGE and APPLIANCE (BENCH_IMAGE, default
# image/target/appliance), BEFORE_IMAGE (BENCH_BEFORE_IMAGE), LOCK (BENCH_LOCK, default /tmp/wasix-bench.lock),
# DATE and STAMP (UTC), and defines the helpers below. A script sets BENCH_NAME for its error messages.
# The one bench lock keeps two measurements off the same 2 cores: every script holds it while it measures,
# and only then (builds do not), and lets it go as soon as it is done.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/bench/.cache"
IMAGE="${BENCH_IMAGE:-$ROOT/image/target/appliance}"
APPLIANCE="$IMAGE/bin/appliance"
BEFORE_IMAGE="${BENCH_BEFORE_IMAGE:-}"
LOCK="${BENCH_LOCK:-/tmp/wasix-bench.lock}"
DATE="$(date -u +%Y-%m-%d)"
STAMP="$(date -u '+%Y-%m-%d %H:%M UTC')"
BENCH_NAME="${BENCH_NAME:-$(basename "$0")}"
mkdir -p "$CACHE/bin"

say() { printf '%s\n' "$*" >&2; }
die() { say "$BENCH_NAME: $*"; exit 1; }

# bench_lock / bench_unlock: take and let go of the bench lock (on fd 9; a server started meanwhile inherits
# the fd, so stop servers before bench_unlock).
bench_lock() { exec 9>"$LOCK"; flock 9; }
bench_unlock() { flock -u 9; }

# The 1, 5 and 15 minute load averages, for a results file.
load_average() { cut -d" " -f1-3 /proc/loadavg; }

# median [DECIMALS]: the median of the numbers on stdin (one per line or space-separated); the mean of the two
# middle ones, with DECIMALS (default 2) places, for an even count. Fails on no input.
median() {
    tr ' ' '\n' | grep -v '^$' | sort -g | awk -v d="${1:-2}" '{v[NR] = $1} END {
        if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.*f\n", d, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# build_c NAME SOURCE [GCC FLAGS...]: $CACHE/bin/NAME from SOURCE with gcc -O2 -Wall, unless it is newer than
# SOURCE and every header beside it. Prints the binary's path.
build_c() {
    local name="$1" src="$2" bin="$CACHE/bin/$1" dep stale=0
    shift 2
    [[ -x "$bin" ]] || stale=1
    for dep in "$src" "$(dirname "$src")"/*.h; do
        [[ -e "$dep" && "$dep" -nt "$bin" ]] && stale=1
    done
    ((stale == 0)) || gcc -O2 -Wall "$@" -o "$bin" "$src" >&2
    echo "$bin"
}

# free_port: a TCP port 127.0.0.1 can bind now, in BENCH_PORTS=LO-HI when set, else one the kernel picks.
free_port() {
    local bin
    bin="$(build_c freeport "$ROOT/bench/load/servers/freeport.c")"
    if [[ -n "${BENCH_PORTS:-}" ]]; then
        "$bin" "${BENCH_PORTS%-*}" "${BENCH_PORTS#*-}"
    else
        "$bin"
    fi
}

# http_ok PORT: does 127.0.0.1:PORT answer a GET with 200? Bash's /dev/tcp, so CI needs no curl for this.
# In a subshell that ignores SIGPIPE: a server that closes without reading (noread) can make the write hit a
# reset connection, and the signal would end the whole script (exit 141).
http_ok() (
    trap '' PIPE
    local line
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    printf 'GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n' >&3 2>/dev/null || { exec 3<&-; return 1; }
    IFS= read -r -t 5 line <&3 || true
    exec 3<&-
    [[ "$line" == "HTTP/1.1 200"* ]]
)

# wait_port PORT: until 127.0.0.1:PORT takes a connection (30 s at most; fails after).
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# wait_http PORT PID: until the server answers (http_ok); fails, having stopped it, when PID ends first or
# after 60 s.
wait_http() {
    local deadline=$((SECONDS + 60))
    until http_ok "$1"; do
        if ! kill -0 "$2" 2>/dev/null || ((SECONDS > deadline)); then
            stop_server
            return 1
        fi
        sleep 0.05
    done
}

# The server a script started last (SERVER_PID); stop_server ends it by that pid (TERM, 5 s, then KILL).
# A script that starts servers says `trap stop_server EXIT`.
SERVER_PID=""
stop_server() {
    [[ -n "${SERVER_PID:-}" ]] || return 0
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# thread_ticks PID: one line per thread, "TID NAME TICKS" (utime+stime, in clock ticks); see
# bench/load/thread-cpu.py, which reads them.
thread_ticks() { python3 "$ROOT/bench/load/thread-cpu.py" --ticks "$1"; }

# process_ticks PID: the process's utime + stime, all its threads, in clock ticks.
process_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
