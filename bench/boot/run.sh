#!/usr/bin/env bash
# Boot benchmark (issue 5): exec -> first HTTP response, side by side in one run, then RSS after boot and
# under load, and the image size. Writes bench/results/boot-DATE.{md,csv,svg}.
#
#   bench/boot/run.sh [RUNS]            RUNS >= 10 (default 10), rounds interleaved across the rows
#   env: LOAD_SECONDS (default 3)       length of the load run that reads RSS under load (0: skip)
#        BOOT_PORT_RANGE=LO-HI          ports to use (default: a free port the kernel picks, each run)
#        BASELINE_IMAGE=DIR, BASELINE_LABEL   add a row for an image built from another commit
#        BENCH_LOCK=all                 hold the bench lock once for all runs (default: once per run)
#
# Needs a built image (mvn -q package -DskipTests), gcc, node and npm; podman for the container rows.
# Rows: the jlinked launcher with the AOT cache (its boot report is collected too), the same on epoll (a
# container without the io_uring seccomp profile falls back to it; the cache was trained on io_uring), and without it (the
# JDK's own CDS archive of the same runtime, which jlink's --generate-cds-archive used to give); the
# container image, if a top-level Dockerfile exists; the container engine's own cost, timed on a static
# C binary in a FROM scratch image; and the peers: our native C server, Node, Bun (npm @oven/bun-linux-x64).
# Every run is timed by firstresponse.c (our code): fork+exec, then connect + GET every 200 us.
# Each run holds /tmp/wasix-bench.lock, so only one measurement runs on the machine at a time. With
# BENCH_LOCK=all the script takes the lock once for all the timed and load runs instead (a few minutes):
# when others hold the lock often, 80 separate waits for it can take the better part of an hour.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

RUNS=${1:-10}
BENCH_LOCK=${BENCH_LOCK:-run}
LOCKED=(flock /tmp/wasix-bench.lock)
LOAD_SECONDS=${LOAD_SECONDS:-3}
((RUNS >= 10)) || { echo "run.sh: at least 10 runs (got $RUNS)" >&2; exit 2; }
CACHE=bench/boot/.cache
IMAGE=image/target/appliance
DATE=$(date -u +%Y-%m-%d)
OUT=bench/results/boot-$DATE
RAW=$CACHE/raw
mkdir -p "$CACHE/static" "$RAW" bench/results
rm -f "$RAW"/*

[[ -x $IMAGE/bin/appliance ]] || { echo "run.sh: no image at $IMAGE: run mvn -q package -DskipTests first" >&2; exit 1; }

say() { printf '\n=== %s\n' "$*" >&2; }
loud_skip() {
    printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
    printf '!!! SKIPPED row "%s": %s\n' "$1" "$2" >&2
    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
    printf '%s\t%s\n' "$1" "$2" >>"$RAW/skipped.tsv"
}

say "building the probe and the native peer (gcc)"
gcc -O2 -Wall -o "$CACHE/firstresponse" bench/boot/firstresponse.c
gcc -O2 -Wall -o "$CACHE/hello" bench/boot/hello-server.c
gcc -O2 -Wall -static -o "$CACHE/static/hello" bench/boot/hello-server.c

say "the JDK's own CDS archive of this runtime (the row without the AOT cache)"
PLAIN_CDS=$CACHE/jdk-cds.jsa
if [[ ! -s $PLAIN_CDS || $IMAGE/lib/modules -nt $PLAIN_CDS ]]; then
    "$IMAGE/bin/java" -Xshare:dump -XX:SharedArchiveFile="$PLAIN_CDS" >/dev/null
fi

BUN=$CACHE/bun/node_modules/@oven/bun-linux-x64/bin/bun
if [[ ! -x $BUN ]]; then
    say "installing Bun from npm (@oven/bun-linux-x64) into $CACHE/bun"
    npm install --no-save --no-audit --no-fund --prefix "$CACHE/bun" @oven/bun-linux-x64 >&2 || true
fi

# ------------------------------------------------------------------ the rows: name, then the command
declare -a NAMES=() CMDS=()
row() { NAMES+=("$1"); CMDS+=("$2"); }

row "appliance, AOT cache" "env APPLIANCE_BOOT_REPORT=1 $IMAGE/bin/appliance run"
row "appliance, AOT cache, --transport epoll" "env APPLIANCE_BOOT_REPORT=1 $IMAGE/bin/appliance run --transport epoll"
row "appliance, no AOT cache (JDK CDS)" "env JDK_JAVA_OPTIONS=-XX:SharedArchiveFile=$PLAIN_CDS $IMAGE/bin/appliance run"
# A user's module after `appliance compile` (issue 12): the bundled hello guest's own .wasm as a file, so this
# row differs from the first only in how the module is found and loaded (digest, artifact, its classes).
USER_MODULE=$CACHE/user-module/server.wasm
mkdir -p "$CACHE/user-module"
cp appliance/src/main/guests/hello.wasm "$USER_MODULE"
"$IMAGE/bin/appliance" compile -o "$CACHE/user-module/artifacts" "$USER_MODULE" >&2
row "appliance, AOT cache, a user's module after appliance compile" \
    "env APPLIANCE_BOOT_REPORT=1 $IMAGE/bin/appliance run --cache $CACHE/user-module/artifacts $USER_MODULE"
# BASELINE_IMAGE=DIR (a jlinked image built from another commit, BASELINE_LABEL names it): the same boot of
# that image in the same run, so a change is judged against its own before, not against another day's noise.
if [[ -n ${BASELINE_IMAGE:-} ]]; then
    row "appliance, AOT cache, baseline: ${BASELINE_LABEL:-$BASELINE_IMAGE}" "$BASELINE_IMAGE/bin/appliance run"
fi

ENGINE=""
command -v podman >/dev/null 2>&1 && ENGINE=podman
if [[ -z $ENGINE ]]; then
    loud_skip "container: appliance image" "no container engine (podman) on this machine"
    loud_skip "container: engine overhead (static C, FROM scratch)" "no container engine (podman) on this machine"
else
    if [[ -f Dockerfile ]]; then
        say "building the appliance image (podman build -t wasix-appliance-bootbench .)"
        if podman build -q -t wasix-appliance-bootbench . >&2; then
            row "container: appliance image" "podman run --rm -p 127.0.0.1:{port}:8080 wasix-appliance-bootbench"
        else
            loud_skip "container: appliance image" "podman build of the top-level Dockerfile failed"
        fi
    else
        loud_skip "container: appliance image" "no top-level Dockerfile on this branch (the container issue adds it)"
    fi
    printf 'FROM scratch\nCOPY hello /hello\nEXPOSE 8080\nENTRYPOINT ["/hello"]\n' >"$CACHE/static/Containerfile"
    if podman build -q -t wasix-bootbench-static "$CACHE/static" >&2; then
        row "container: engine overhead (static C, FROM scratch)" "podman run --rm -p 127.0.0.1:{port}:8080 wasix-bootbench-static"
    else
        loud_skip "container: engine overhead (static C, FROM scratch)" "podman build of a FROM scratch image failed"
    fi
fi

row "native C (gcc -O2, blocking)" "$CACHE/hello"
if command -v node >/dev/null 2>&1; then
    row "Node $(node --version)" "node bench/boot/hello-server.mjs"
else
    loud_skip "Node" "node is not installed"
fi
if [[ -x $BUN ]]; then
    row "Bun $($BUN --version)" "$BUN bench/boot/hello-server.mjs"
else
    loud_skip "Bun" "npm could not install @oven/bun-linux-x64"
fi

# ------------------------------------------------------------------ ports
PORT_LO=0 PORT_HI=0 NEXT_PORT=0
if [[ -n ${BOOT_PORT_RANGE:-} ]]; then
    PORT_LO=${BOOT_PORT_RANGE%-*} PORT_HI=${BOOT_PORT_RANGE#*-} NEXT_PORT=$PORT_LO
fi
next_port() {
    if ((PORT_LO == 0)); then echo 0; return; fi
    echo "$NEXT_PORT"
    NEXT_PORT=$((NEXT_PORT >= PORT_HI ? PORT_LO : NEXT_PORT + 1))
}

# One timed start of row $1; appends its result line to $RAW/$1.txt, the server's stderr to $RAW/$1.err.N.
measure() {
    local i=$1 run=$2 load=$3 port line
    for attempt in 1 2 3; do
        port=$(next_port)
        # shellcheck disable=SC2086 # the command is a word list by design
        if line=$("${LOCKED[@]}" "$CACHE/firstresponse" "$port" "$load" -- ${CMDS[$i]} \
                2>"$RAW/$i.err.$run" </dev/null 9>&-); then
            echo "$line run=$run load=$load" >>"$RAW/$i.txt"
            return 0
        fi
        grep -q "already answers" "$RAW/$i.err.$run" || break # a busy port: try the next one
    done
    echo "run.sh: ${NAMES[$i]}: run $run failed: $(tail -3 "$RAW/$i.err.$run")" >&2
    echo "failed run=$run load=$load" >>"$RAW/$i.txt"
}

if [[ $BENCH_LOCK == all ]]; then
    say "waiting for /tmp/wasix-bench.lock, held for all the runs below"
    exec 9>>/tmp/wasix-bench.lock
    flock 9
    LOCKED=(env) # the script holds it on fd 9; the servers get fd 9 closed, so none can keep it
fi
say "timing ${#NAMES[@]} rows x $RUNS runs, interleaved"
for run in $(seq "$RUNS"); do
    for i in "${!NAMES[@]}"; do
        measure "$i" "$run" 0
    done
    printf '.' >&2
done
echo >&2
if ((LOAD_SECONDS > 0)); then
    say "RSS under load: one run per row with ${LOAD_SECONDS}s of connection-per-request load from 4 clients"
    for i in "${!NAMES[@]}"; do
        measure "$i" load "$LOAD_SECONDS"
    done
fi
if [[ $BENCH_LOCK == all ]]; then
    flock -u 9
    exec 9>&-
fi

# ------------------------------------------------------------------ sizes, then the report
{
    for i in "${!NAMES[@]}"; do printf '%s\t%s\n' "$i" "${NAMES[$i]}"; done
} >"$RAW/names.tsv"
{
    printf 'jlinked image (image/target/appliance)\t%s\n' "$(du -sb "$IMAGE" | cut -f1)"
    printf 'of which the AOT cache (lib/server/classes.jsa)\t%s\n' "$(stat -c %s "$IMAGE/lib/server/classes.jsa" 2>/dev/null || echo 0)"
    printf 'of which libjvm.so\t%s\n' "$(stat -c %s "$IMAGE/lib/server/libjvm.so")"
    if [[ -n $ENGINE ]] && podman image exists wasix-appliance-bootbench 2>/dev/null; then
        printf 'container image wasix-appliance (podman image inspect)\t%s\n' \
            "$(podman image inspect --format '{{.Size}}' wasix-appliance-bootbench)"
    fi
} >"$RAW/sizes.tsv"
MACHINE="$(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
python3 bench/boot/report.py "$RAW" "$OUT" "$RUNS" "$LOAD_SECONDS" "$MACHINE" "bench/boot/run.sh $*"
echo "wrote $OUT.md, $OUT.csv, $OUT.svg" >&2
