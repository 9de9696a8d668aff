#!/usr/bin/env bash
# bench/supervision/run.sh - the figures of supervision and limits (issue 10): what one shard's trap costs
# the others, how long a spinning guest takes to stop, and how many idle connections a 128 MiB container
# holds without exiting.
#
#   bench/supervision/run.sh [trap] [stop] [idle] [idle-host]     default: all four
#
#   trap       --shards 2, the crashy test guest: TrapUnderLoad loads 100 keep-alive connections for 10 s
#              and traps one shard halfway; requests lost on the other shard's connections, and how soon the
#              trapped shard serves again. Then the same with wrk -t2 -c100 -d10s and a trap at 5 s: wrk
#              cannot tell the shards apart, so its socket errors are the trapped shard's cut connections.
#   stop       SIGTERM (and SIGTERM twice: a background job of a script ignores SIGINT) to a guest spinning in
#              _start and one spinning in its start section, and SIGTERM to keepalive idle: ms from the signal
#              to the process's exit, and to the appliance's own call to exit (its stop report), 3 runs each
#              (grace: 5 s).
#   idle       `podman run --memory=128m --ulimit nofile=16384`, IdleConnections opens 10,000 idle
#              connections: how many are held, whether the container is still running, its memory, a fresh
#              request. Twice: keepalive (24 KiB of guest memory per connection) and bench/src/main/resources/guests/idle.c (none: what an
#              idle connection costs the host alone).
#   idle-host  idle.c bare with 5,000 idle connections: RSS before and with them, per connection: the host's
#              own memory per idle connection (idle.c keeps none; kernel socket buffers are not in RSS).
#
# Needs the build (mvn -B -q package -DskipTests, which also compiles bench/target/classes), wrk, and for idle
# podman. BENCH_IMAGE: the appliance image to run (default image/target/appliance). Ports from BENCH_PORT
# (default 26100) up. Holds /tmp/wasix-bench.lock (BENCH_LOCK).
set -euo pipefail
BENCH_NAME=run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
JAVA="${JAVA:-$IMAGE/bin/java}"
CP="$ROOT/bench/target/classes"
GUESTS="$ROOT/appliance/src/test/guests"
PORT="${BENCH_PORT:-26100}"
WHAT=("$@")
((${#WHAT[@]})) || WHAT=(trap stop idle idle-host)
bench_lock

now_ms() { date +%s%3N; }
# TrapUnderLoad and IdleConnections are plain classes: the image's own java runs them (without its CDS
# archive, which was made for the appliance's class path).
client() { "$JAVA" -Xshare:off -cp "$CP" "$@"; }
# keepalive drops a connection that sends no request head within HEADER_TIMEOUT (10 s): the idle figures hold
# theirs longer than that (opening 10,000 takes seconds), so they raise it.
HOLD="HEADER_TIMEOUT=600s"

trap_figure() {
    echo "## Requests lost on the other shard when one traps (--shards 2)"
    echo
    for run in 1 2 3; do
        PORT=$PORT "$APPLIANCE" run --quiet --shards 2 "$GUESTS/crashy.wasm" 2>/tmp/super-bench-trap.err &
        local pid=$!
        wait_port "$PORT"
        echo "- TrapUnderLoad run $run: \`$(client io.wasix.bench.supervise.TrapUnderLoad "$PORT" 100 10)\`"
        kill "$pid"; wait "$pid" || true
        echo "  appliance said: \`$(grep 'restarting' /tmp/super-bench-trap.err | head -1)\`"
    done
    PORT=$PORT "$APPLIANCE" run --quiet --shards 2 "$GUESTS/crashy.wasm" 2>/tmp/super-bench-trap.err &
    local pid=$!
    wait_port "$PORT"
    (sleep 5; exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf 'XGET / HTTP/1.1\r\n\r\n' >&3; sleep 1) &
    local trapper=$!
    echo
    echo '- wrk -t2 -c100 -d10s, a trap at 5 s:'
    echo '```'
    wrk -t2 -c100 -d10s "http://127.0.0.1:$PORT/" | grep -E 'Requests/sec|requests in|Socket errors|Non-2xx' || true
    echo '```'
    wait "$trapper" || true
    kill "$pid"; wait "$pid" || true
    echo "  appliance said: \`$(grep 'restarting' /tmp/super-bench-trap.err | head -1)\`"
    echo
}

stop_figure() {
    echo "## Time from SIGTERM to exit (grace 5 s)"
    echo
    echo "Each cell: ms from the signal (with two, from the second) to the exit as the shell's \`wait\` sees it;"
    echo "in brackets, where the appliance's own stop report (--boot-report) puts its call to exit, after that"
    echo "signal: the rest is the JVM's shutdown and the process's teardown."
    echo
    echo "| guest | signals | run 1 ms | run 2 ms | run 3 ms | status |"
    echo "|---|---|---:|---:|---:|---|"
    local err=/tmp/super-bench-stop.err
    for guest in spin-start spin-start-section keepalive; do
        local signals_list=("TERM" "TERM TERM")
        [[ $guest == keepalive ]] && signals_list=("TERM") # idle: its first signal ends it
        for signals in "${signals_list[@]}"; do
            local row="| ${guest/#keepalive/keepalive, idle} | ${signals// / then } |" status=""
            for run in 1 2 3; do
                local wasm="$GUESTS/$guest.wasm"
                [[ $guest == keepalive ]] && wasm=keepalive
                PORT=$PORT "$APPLIANCE" run --quiet --boot-report "$wasm" 2>"$err" &
                local pid=$!
                # Signal once the shards run (a signal while the appliance boots exits at once, with nothing to
                # stop): once the shard's thread exists, its guest is being made (a start section spins there) or
                # runs, then 0.5 s more.
                for _ in $(seq 600); do
                    grep -qx 'shard-0' /proc/"$pid"/task/*/comm 2>/dev/null && break
                    sleep 0.05
                done
                sleep 0.5
                local t0
                t0=$(now_ms)
                kill -TERM "$pid"
                if [[ "$signals" == "TERM TERM" ]]; then sleep 0.2; t0=$(now_ms); kill -TERM "$pid" || true; fi
                wait "$pid" && status=0 || status=$?
                local total=$(( $(now_ms) - t0 ))
                # The report counts from the first signal; with two, from the second: less the 0.2 s between,
                # as the report's own "stop now" (the second signal) says.
                local own
                own=$(awk -v two="$([[ "$signals" == "TERM TERM" ]] && echo 1 || echo 0)" '
                    /^  stop now / { now = $3 } /^  exiting / { e = $2 }
                    END { if (e == "") print "?"; else if (two) printf "%.0f", e - now; else printf "%.0f", e }' "$err")
                row+=" $total ($own) |"
            done
            echo "$row $status |"
        done
    done
    echo
    echo "Each signal is sent once the shard's thread exists (+0.5 s). With one signal the grace (5 s) runs out"
    echo "first for a spinning guest: it never reaches a host call. With two, the time is from the second."
    echo "keepalive, idle: no connection, so the first signal ends it."
    echo
}

idle_figure() {
    echo "## Idle connections in a 128 MiB container (10,000 asked)"
    echo
    # BENCH_CONTAINER_IMAGE: a container image already built from this tree (podman build -t TAG .)
    local tag="${BENCH_CONTAINER_IMAGE:-localhost/wasix-appliance:bench-supervision}"
    [[ -n "${BENCH_CONTAINER_IMAGE:-}" ]] || podman build -q --layers=false -t "$tag" "$ROOT" >/dev/null
    local idle="$ROOT/bench/src/main/resources/guests/idle.wasm"
    for guest in keepalive /srv/idle.wasm; do
        local name="wasix-bench-idle-$$"
        podman rm -f "$name" >/dev/null 2>&1 || true
        # 10,000 connections are 10,000 fds besides the JVM's own: the engine's default RLIMIT_NOFILE (10,000
        # in this machine's containers.conf) would cap them, and the process, out of fds, could then accept
        # nothing more, the fresh request included. One --ulimit replaces podman's defaults, so nproc too.
        podman run -d --name "$name" --memory=128m --network host --read-only --cap-drop=ALL \
            --ulimit nofile=16384:16384 --ulimit nproc=4096:4096 \
            -v "$idle:/srv/idle.wasm:ro" -e PORT="$PORT" "$tag" --stats --env "$HOLD" "$guest" >/dev/null
        wait_port "$PORT"
        local result state mem
        result=$(client io.wasix.bench.supervise.IdleConnections 127.0.0.1 "$PORT" 10000 3000)
        state=$(podman inspect --format '{{.State.Status}} exit={{.State.ExitCode}} oom={{.State.OOMKilled}}' "$name")
        mem=$(podman stats --no-stream --format '{{.MemUsage}}' "$name" 2>/dev/null || echo "?")
        echo "- guest \`$guest\`: \`$result\`; right after: container \`$state\`, memory \`$mem\`"
        podman stop -t 10 "$name" >/dev/null || true
        echo "  after \`podman stop\`: \`$(podman inspect --format 'exit={{.State.ExitCode}} oom={{.State.OOMKilled}}' "$name")\`;" \
            "boot line and events: \`$(podman logs "$name" 2>&1 | grep -E 'started on|events' | tr '\n' ' ')\`"
        podman rm -f "$name" >/dev/null
    done
    [[ -n "${BENCH_CONTAINER_IMAGE:-}" ]] || podman rmi "$tag" >/dev/null || true
    echo
}

idle_host_figure() {
    echo "## Host memory per idle connection (idle.c bare, 5,000 idle connections)"
    echo
    # idle.c keeps nothing per connection in guest memory, so what RSS grows by is the host's own cost.
    PORT=$PORT "$APPLIANCE" run --quiet "$ROOT/bench/src/main/resources/guests/idle.wasm" 2>/dev/null &
    local pid=$!
    wait_port "$PORT"
    sleep 1
    local before
    before=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    client io.wasix.bench.supervise.IdleConnections 127.0.0.1 "$PORT" 5000 8000 > /tmp/super-bench-idle.out &
    local c=$!
    sleep 1
    local with=$before
    while [[ ! -s /tmp/super-bench-idle.out ]] && kill -0 "$c" 2>/dev/null; do
        # sample while the connections are held: the client reports after its settling pause
        with=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
        sleep 0.5
    done
    wait "$c"
    sleep 3
    local after
    after=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    kill "$pid"; wait "$pid" || true
    echo "- \`$(cat /tmp/super-bench-idle.out)\`"
    echo "- RSS ${before} KiB idle, ${with} KiB with 5,000 connections held (the last sample before the client" \
        "reported): $(( (with - before) * 1024 / 5000 )) B per idle connection (kernel socket buffers are not in RSS)."
    echo "- RSS 3 s after the clients closed them: ${after} KiB."
    echo
}

for w in "${WHAT[@]}"; do
    case "$w" in
        trap) trap_figure ;;
        stop) stop_figure ;;
        idle) idle_figure ;;
        idle-host) idle_host_figure ;;
        *) say "run.sh: unknown figure $w"; exit 2 ;;
    esac
done
