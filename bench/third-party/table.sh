#!/usr/bin/env bash
# table.sh - runs every third-party program of bench/results/2026-12-05-third-party-wasix.md on this build's
# image and keeps stdout, stderr and the exit status of each in $OUT (default /tmp/third-party-table).
# Not CI: the programs are wasmer's prebuilt binaries ($WILD/pre) and wasix-libc's examples built as that
# file says ($WILD/progs), never committed. Compare with the recorded outputs there.
#
# Usage: bench/third-party/table.sh        (prints one line per program: name, exit status, stdout lines)
set -uo pipefail
cd "$(dirname "$0")/../.."
WILD="${WILD:-/tmp/wild}"
A="${APPLIANCE:-image/target/appliance/bin/appliance}"
OUT="${OUT:-/tmp/third-party-table}"
mkdir -p "$OUT"

# run NAME FILE STDIN [appliance flags...] [-- guest args...]
run() {
    local name="$1" file="$2" stdin="$3" flags=() args=()
    shift 3
    while (($#)) && [[ "$1" != "--" ]]; do flags+=("$1"); shift; done
    (($#)) && shift && args=("$@")
    if [[ -z "$stdin" ]]; then
        timeout "${T:-30}" "$A" run --quiet "${flags[@]}" "$file" -- "${args[@]}" </dev/null \
            >"$OUT/$name.out" 2>"$OUT/$name.err"
    else
        printf '%s' "$stdin" | timeout "${T:-30}" "$A" run --quiet "${flags[@]}" "$file" -- "${args[@]}" \
            >"$OUT/$name.out" 2>"$OUT/$name.err"
    fi
    echo $? >"$OUT/$name.rc"
    printf '%-28s exit %-4s %s stdout lines\n' "$name" "$(cat "$OUT/$name.rc")" "$(wc -l <"$OUT/$name.out")"
}

P="$WILD/pre"
for n in catsay cowsay example-condvar example-multi-threading example-thread-local example-longjmp example-stack \
        example-fork-longjmp example-fork example-vfork example-execve example-spawn example-pipe example-epoll; do
    run "$n" "$P/$n.wasm" ""
done
run example-tcp-client "$P/example-tcp-client.wasm" "" --net
run dash "$P/dash.wasm" $'echo 2\n'
run bash "$P/bash.wasm" $'echo 2\n'
run dash-c "$P/dash.wasm" "" --tmpfs / -- -c 'pwd; cd / && pwd; echo hi > f && read l < f && echo $l'
run bash-c "$P/bash.wasm" "" --tmpfs / -- -c 'pwd; cd / && pwd; echo hi > f && read l < f && echo $l'
ROOT="$(mktemp -d)" && mkdir "$ROOT/tmp"
run bash-c-root "$P/bash.wasm" "" --dir "$ROOT::/" -- \
    -c 'pwd; cd /tmp && pwd; echo hi > f && read l < f && echo $l; cd /; pwd; echo /tmp/*'
ls "$ROOT/tmp" >"$OUT/bash-c-root.files"
rm -rf "$ROOT"
T=20 run example-signal "$P/example-signal.wasm" ""   # loops until a signal: timeout sends SIGTERM

G="$WILD/progs"
for n in c_pthreads getrandom readdir_tree file-copy mine-threads epoll fork vfork execve spawn pipe signal \
        mine-signals longjmp fork-longjmp; do
    T=120 run "$n" "$G/$n.wasm" "" # fork-longjmp fills and checks 64 MiB first
done
run mine-io "$G/mine-io.wasm" "" --tmpfs /tmp
run mine-net "$G/mine-net.wasm" "" --net
