#!/usr/bin/env bash
# bench/boot/run.sh - the boot benchmark: exec -> first HTTP response, every row side by side in one run,
# then RSS after boot and under load, and the image size. Writes boot-DATE.{md,csv,svg}.
#
#   bench/boot/run.sh               10 runs a row, rounds interleaved across the rows, 3 s of load per row
#   bench/boot/run.sh --quick       3 runs a row, no load run: a look in under a minute, not a figure to publish
#   --runs N           runs a row (default 10; at least 10 unless --quick)
#   --out DIR          where the report goes (default: a new directory under ${TMPDIR:-/tmp}/wasix-bench/);
#                      give --out bench/results to record a figure in the repository
#   --name NAME        name the files boot-DATE-NAME.* instead of boot-DATE.* (several figures a day)
#   --rows REGEX       only the rows whose name matches (the peers' rows are how a figure is judged: keep one)
#   --row 'NAME=CMD'   add a row: CMD is a word list started with PORT set ("{port}" in a word is replaced by
#                      it), e.g. --row 'appliance, JFR=env JDK_JAVA_OPTIONS=-XX:StartFlightRecording image/target/appliance/bin/appliance run'
#   --load-seconds S   length of the load run that reads RSS under load (default 3, --quick 0: skip it)
#   --no-container     leave out the container rows (no podman build)
#   -h, --help         this text
#
#   env: BOOT_PORT_RANGE=LO-HI          ports to use (default: a free port the kernel picks, each run)
#        BASELINE_IMAGE=DIR, BASELINE_LABEL   add a row for an image built from another commit
#        BENCH_LOCK=all|run             hold the bench lock once for all runs, or once per run (default: per
#                                       run; --quick: all, so a short run waits for the lock only once)
#        BUN_VERSION                    the Bun release for its row (default 1.4.5, as bench/load/run.sh)
#   The report's "Command:" line repeats the options and every one of these variables that was set.
#
# Needs a built image (mvn -q package -DskipTests), gcc, python3; node and npm for the Node and Bun rows,
# podman for the container rows. Rows: the jlinked launcher with the AOT cache (its boot report is collected
# too), the same on epoll (a container without the io_uring seccomp profile falls back to it; the cache was
# trained on io_uring), and without it (the JDK's own CDS archive of the same runtime); the container image,
# built from the top-level Dockerfile; the container engine's own cost, timed on a static C binary in a FROM
# scratch image; and the peers: our native C server, Node, Bun (npm @oven/bun-linux-x64).
# Every run is timed by firstresponse.c (our code): fork+exec, then connect + GET every 200 us.
# Each run holds /tmp/wasix-bench.lock, so only one measurement runs on the machine at a time. With
# BENCH_LOCK=all the script takes the lock once for all the timed and load runs instead: when others hold
# the lock often, 80 separate waits for it can take the better part of an hour.
#
# Clean-up: everything the run makes (the probe and the C servers, the JDK CDS archive, raw results, the
# podman images it builds, tagged per run) is removed when it ends, however it ends. What stays: the report
# in --out, and Bun's npm package in bench/.cache (ignored by git; shared with bench/load/run.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

# The exact command, with the variables that shape it, for the report.
quote() { if [[ $1 =~ [^A-Za-z0-9_./:=,+-] ]]; then printf "'%s'" "${1//\'/\'\\\'\'}"; else printf '%s' "$1"; fi; }
COMMAND="bench/boot/run.sh"
for arg in "$@"; do COMMAND+=" $(quote "$arg")"; done
for v in BUN_VERSION BENCH_LOCK BASELINE_LABEL BASELINE_IMAGE BOOT_PORT_RANGE; do
    [[ -n ${!v:-} ]] && COMMAND="$v=$(quote "${!v}") $COMMAND"
done

QUICK=0 RUNS="" OUT="" NAME="" ROWS_RE="" LOAD_SECONDS="" CONTAINERS=1
declare -a EXTRA=()
while (($#)); do
    case "$1" in
        --quick) QUICK=1 ;;
        --runs) RUNS="${2:?--runs needs a number}"; shift ;;
        --out) OUT="${2:?--out needs a directory}"; shift ;;
        --name) NAME="${2:?--name needs a name}"; shift ;;
        --rows) ROWS_RE="${2:?--rows needs a regular expression}"; shift ;;
        --row) [[ ${2:-} == *=* ]] || { echo "run.sh: --row wants 'NAME=COMMAND'" >&2; exit 2; }; EXTRA+=("$2"); shift ;;
        --load-seconds) LOAD_SECONDS="${2:?--load-seconds needs a number}"; shift ;;
        --no-container) CONTAINERS=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (try: bench/boot/run.sh --help)" >&2; exit 2 ;;
    esac
    shift
done
if ((QUICK)); then
    RUNS=${RUNS:-3} LOAD_SECONDS=${LOAD_SECONDS:-0}
else
    RUNS=${RUNS:-10} LOAD_SECONDS=${LOAD_SECONDS:-3}
fi
[[ $RUNS =~ ^[0-9]+$ ]] && ((RUNS >= 1)) || { echo "run.sh: --runs wants a positive number" >&2; exit 2; }
[[ $LOAD_SECONDS =~ ^[0-9]+$ ]] || { echo "run.sh: --load-seconds wants whole seconds" >&2; exit 2; }
((QUICK || RUNS >= 10)) || { echo "run.sh: at least 10 runs for a figure (got $RUNS; --quick takes fewer)" >&2; exit 2; }
if ((QUICK)); then BENCH_LOCK=${BENCH_LOCK:-all}; else BENCH_LOCK=${BENCH_LOCK:-run}; fi
BUN_VERSION=${BUN_VERSION:-1.4.5}
LOCKED=(flock /tmp/wasix-bench.lock)
IMAGE=image/target/appliance
DATE=$(date -u +%Y-%m-%d)
OUT=${OUT:-${TMPDIR:-/tmp}/wasix-bench/boot-$(date -u +%Y%m%d-%H%M%S)}

[[ -x $IMAGE/bin/appliance ]] || { echo "run.sh: no image at $IMAGE: run mvn -q package -DskipTests first" >&2; exit 1; }
for tool in gcc python3; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done

# ------------------------------------------------------------------ what this run makes, and its removal
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wasix-bootbench.XXXXXX")
RAW=$WORK/raw
TAG=$(basename "$WORK" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' '-')
APPLIANCE_IMAGE=localhost/$TAG-appliance
STATIC_IMAGE=localhost/$TAG-static
BUILT_IMAGES=()
cleanup() {
    local status=$?
    for img in "${BUILT_IMAGES[@]}"; do
        podman rmi -f "$img" >/dev/null 2>&1 || echo "run.sh: could not remove podman image $img" >&2
    done
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$RAW" "$WORK/static" "$OUT"

say() { printf '\n=== %s\n' "$*" >&2; }
loud_skip() {
    printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
    printf '!!! SKIPPED row "%s": %s\n' "$1" "$2" >&2
    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
    printf '%s\t%s\n' "$1" "$2" >>"$RAW/skipped.tsv"
}
wanted() { [[ -z $ROWS_RE || $1 =~ $ROWS_RE ]]; }

say "building the probe and the native peer (gcc)"
gcc -O2 -Wall -o "$WORK/firstresponse" bench/boot/firstresponse.c
gcc -O2 -Wall -o "$WORK/hello" bench/boot/hello-server.c
gcc -O2 -Wall -static -o "$WORK/static/hello" bench/boot/hello-server.c

# ------------------------------------------------------------------ the rows: name, then the command
declare -a NAMES=() CMDS=()
row() { if wanted "$1"; then NAMES+=("$1"); CMDS+=("$2"); fi; }

row "appliance, AOT cache" "env APPLIANCE_BOOT_REPORT=1 $IMAGE/bin/appliance run"
row "appliance, AOT cache, --transport epoll" "env APPLIANCE_BOOT_REPORT=1 $IMAGE/bin/appliance run --transport epoll"
if wanted "appliance, no AOT cache (JDK CDS)"; then
    say "the JDK's own CDS archive of this runtime (the row without the AOT cache)"
    "$IMAGE/bin/java" -Xshare:dump -XX:SharedArchiveFile="$WORK/jdk-cds.jsa" >/dev/null
    row "appliance, no AOT cache (JDK CDS)" "env JDK_JAVA_OPTIONS=-XX:SharedArchiveFile=$WORK/jdk-cds.jsa $IMAGE/bin/appliance run"
fi
# A user's module after `appliance compile` (issue 12): the bundled hello guest's own .wasm as a file, so this
# row differs from the first only in how the module is found and loaded (digest, artifact, its classes).
USER_MODULE=$WORK/user-module/server.wasm
if wanted "appliance, AOT cache, a user's module after appliance compile"; then
    mkdir -p "$WORK/user-module"
    cp appliance/src/main/guests/hello.wasm "$USER_MODULE"
    "$IMAGE/bin/appliance" compile -o "$WORK/user-module/artifacts" "$USER_MODULE" >&2
    row "appliance, AOT cache, a user's module after appliance compile" \
        "env APPLIANCE_BOOT_REPORT=1 $IMAGE/bin/appliance run --cache $WORK/user-module/artifacts $USER_MODULE"
fi
# BASELINE_IMAGE=DIR (a jlinked image built from another commit, BASELINE_LABEL names it): the same boot of
# that image in the same run, so a change is judged against its own before, not against another day's noise.
if [[ -n ${BASELINE_IMAGE:-} ]]; then
    row "appliance, AOT cache, baseline: ${BASELINE_LABEL:-$BASELINE_IMAGE}" "$BASELINE_IMAGE/bin/appliance run"
fi
for spec in "${EXTRA[@]}"; do
    row "${spec%%=*}" "${spec#*=}"
done

ENGINE=""
((CONTAINERS)) && command -v podman >/dev/null 2>&1 && ENGINE=podman
if ((!CONTAINERS)); then
    : # asked for: no rows, no skip notice
elif [[ -z $ENGINE ]]; then
    wanted "container: appliance image" && loud_skip "container: appliance image" "no container engine (podman) on this machine"
    wanted "container: engine overhead" && loud_skip "container: engine overhead (static C, FROM scratch)" "no container engine (podman) on this machine"
else
    if wanted "container: appliance image"; then
        say "building the appliance image (podman build -t $APPLIANCE_IMAGE .)"
        BUILT_IMAGES+=("$APPLIANCE_IMAGE")
        if podman build -q --layers=false -t "$APPLIANCE_IMAGE" . >/dev/null; then
            row "container: appliance image" "podman run --rm -p 127.0.0.1:{port}:8080 $APPLIANCE_IMAGE"
        else
            loud_skip "container: appliance image" "podman build of the top-level Dockerfile failed"
        fi
    fi
    if wanted "container: engine overhead (static C, FROM scratch)"; then
        printf 'FROM scratch\nCOPY hello /hello\nEXPOSE 8080\nENTRYPOINT ["/hello"]\n' >"$WORK/static/Containerfile"
        BUILT_IMAGES+=("$STATIC_IMAGE")
        if podman build -q --layers=false -t "$STATIC_IMAGE" "$WORK/static" >/dev/null; then
            row "container: engine overhead (static C, FROM scratch)" "podman run --rm -p 127.0.0.1:{port}:8080 $STATIC_IMAGE"
        else
            loud_skip "container: engine overhead (static C, FROM scratch)" "podman build of a FROM scratch image failed"
        fi
    fi
fi

row "native C (gcc -O2, blocking)" "$WORK/hello"
if wanted "Node"; then
    if command -v node >/dev/null 2>&1; then
        row "Node $(node --version)" "node bench/boot/hello-server.mjs"
    else
        loud_skip "Node" "node is not installed"
    fi
fi
if wanted "Bun"; then
    BUN=$ROOT/bench/.cache/bun-$BUN_VERSION/node_modules/@oven/bun-linux-x64/bin/bun
    if [[ ! -x $BUN ]] && command -v npm >/dev/null 2>&1; then
        say "installing Bun $BUN_VERSION from npm (@oven/bun-linux-x64) into bench/.cache"
        npm install --prefix "$ROOT/bench/.cache/bun-$BUN_VERSION" --no-save --no-audit --no-fund --loglevel=error \
            "@oven/bun-linux-x64@$BUN_VERSION" >&2 || true
    fi
    if [[ -x $BUN ]] && "$BUN" --version >/dev/null 2>&1; then
        row "Bun $($BUN --version)" "$BUN bench/boot/hello-server.mjs"
    else
        loud_skip "Bun" "npm could not install @oven/bun-linux-x64@$BUN_VERSION"
    fi
fi
((${#NAMES[@]})) || { echo "run.sh: no row left to measure (--rows '$ROWS_RE')" >&2; exit 2; }

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
        if line=$("${LOCKED[@]}" "$WORK/firstresponse" "$port" "$load" -- ${CMDS[$i]} \
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
for i in "${!NAMES[@]}"; do printf '%s\t%s\n' "$i" "${NAMES[$i]}"; done >"$RAW/names.tsv"
{
    printf 'jlinked image (image/target/appliance)\t%s\n' "$(du -sb "$IMAGE" | cut -f1)"
    printf 'of which the AOT cache (lib/server/classes.jsa)\t%s\n' "$(stat -c %s "$IMAGE/lib/server/classes.jsa" 2>/dev/null || echo 0)"
    printf 'of which libjvm.so\t%s\n' "$(stat -c %s "$IMAGE/lib/server/libjvm.so")"
    if [[ -n $ENGINE ]] && podman image exists "$APPLIANCE_IMAGE" 2>/dev/null; then
        printf 'container image (podman image inspect)\t%s\n' "$(podman image inspect --format '{{.Size}}' "$APPLIANCE_IMAGE")"
    fi
} >"$RAW/sizes.tsv"
MACHINE="$(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
PREFIX=$OUT/boot-$DATE${NAME:+-$NAME}
if ! python3 bench/boot/report.py "$RAW" "$PREFIX" "$RUNS" "$LOAD_SECONDS" "$MACHINE" "$COMMAND" "$QUICK"; then
    cp -r "$RAW" "$PREFIX-raw"
    echo "run.sh: the report failed; the raw results are kept in $PREFIX-raw" >&2
    exit 1
fi
echo "run.sh: wrote $PREFIX.md, $PREFIX.csv and $PREFIX.svg" >&2
