#!/usr/bin/env bash
# A/B of boot changes: exec -> first response, the CPU a boot costs, RSS after boot and the --boot-report
# milestones of each row, in runs interleaved across the rows, all under /tmp/wasix-bench.lock. Prints
# a Markdown table of medians (ms) on stdout, for bench/results/boot-*.md.
#
#   bench/boot/ab.sh RUNS 'LABEL=COMMAND ARGS...' ...
#
# COMMAND is split on spaces; it gets PORT (a free port each run) and APPLIANCE_BOOT_REPORT=1. Each run is
# timed by firstresponse.c (built here with gcc); cpu is user + system of the whole process, exec to exit,
# which one request and SIGTERM follow at once. Example, a change against the image it replaces:
#
#   bench/boot/ab.sh 20 "before=/tmp/before/bin/appliance run" "after=image/target/appliance/bin/appliance run"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

RUNS=${1:?RUNS}
shift
(($# >= 1)) || { echo "ab.sh: give at least one 'LABEL=COMMAND'" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
gcc -O2 -Wall -o "$WORK/firstresponse" bench/boot/firstresponse.c

labels=() cmds=()
for row in "$@"; do
    labels+=("${row%%=*}")
    cmds+=("${row#*=}")
done
# The bench lock is held once for all the runs (a minute or two): taken per run, as run.sh does by default,
# a busy machine's other benchmarks slipped in between rounds and one A/B took the better part of an hour.
exec 9>>/tmp/wasix-bench.lock
echo "ab.sh: waiting for /tmp/wasix-bench.lock" >&2
flock 9
for run in $(seq "$RUNS"); do
    for i in "${!labels[@]}"; do
        # shellcheck disable=SC2086 # the command is a word list by design
        if line=$("$WORK/firstresponse" 0 0 -- env APPLIANCE_BOOT_REPORT=1 ${cmds[$i]} \
                2>"$WORK/$i.err.$run" </dev/null 9>&-); then
            echo "$line" >>"$WORK/$i.txt"
        else
            echo "ab.sh: ${labels[$i]} run $run failed: $(tail -2 "$WORK/$i.err.$run")" >&2
        fi
    done
    printf '.' >&2
done
flock -u 9
exec 9>&-
echo >&2
python3 - "$WORK" "$RUNS" "${labels[@]}" <<'EOF'
import os, re, statistics, sys
work, runs, labels = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
milestones = ["main", "transport chosen", "module loaded", "shard started", "listener bound", "first response"]
cols = ["first response (exec, firstresponse.c)", "cpu ms", "RSS after boot MB"] + [f"report: {m}" for m in milestones]
print("| row | runs | " + " | ".join(cols) + " |")
print("|---|---:|" + "---:|" * len(cols))
for i, label in enumerate(labels):
    path = os.path.join(work, f"{i}.txt")
    lines = open(path).read().split("\n") if os.path.exists(path) else []
    f = [dict(kv.split("=", 1) for kv in l.split()) for l in lines if l.strip()]
    rep = {m: [] for m in milestones}
    for run in range(1, runs + 1):
        err = os.path.join(work, f"{i}.err.{run}")
        if not os.path.exists(err):
            continue
        for line in open(err, errors="replace"):
            m = re.match(r"^  (\S.*?)\s+(-?[0-9.]+)(?:\s+[+-][0-9.]+)?\s*$", line)
            if m and m.group(1) in rep:
                rep[m.group(1)].append(float(m.group(2)))
    med = lambda xs: f"{statistics.median(xs):.1f}" if xs else "n/a"
    row = [med([float(x["first_response_ms"]) for x in f]), med([float(x["cpu_ms"]) for x in f]),
           med([int(x["rss_boot_kb"]) / 1024 for x in f])] + [med(rep[m]) for m in milestones]
    print(f"| {label} | {len(f)} | " + " | ".join(row) + " |")
EOF
