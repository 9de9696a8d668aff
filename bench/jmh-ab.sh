#!/usr/bin/env bash
# jmh-ab.sh - the same JMH benchmarks on wasm-host as built at several git revisions, in one run, interleaved.
#
#   bench/jmh-ab.sh [-r ROUNDS] REV... -- [JMH ARGS...]
#   e.g.  bench/jmh-ab.sh main tidy~1 tidy -- 'MemoryBench|AtomicsBench'
#
# Builds wasm-host's jar at each REV (git archive into a temp dir), bench's classes once from this working
# tree (so every revision runs the same benchmark code, which must compile against each one's API), then runs
# JMH ROUNDS times (default 2) over the revisions, in turn forwards and backwards, so that a load that drifts
# during the run weighs on each revision alike. Each run's JSON is kept under bench/target/jmh-ab/, and a table
# of the mean score per benchmark and revision (over all rounds' iterations) is printed last, with each run's
# user+system CPU seconds. The measuring holds the bench lock (/tmp/wasix-bench.lock, BENCH_LOCK), as
# bench/load/run.sh does; the builds do not.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JAVA="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
LOCK="${BENCH_LOCK:-/tmp/wasix-bench.lock}"
ROUNDS=2
if [[ "${1:-}" == "-r" ]]; then ROUNDS="$2"; shift 2; fi
REVS=()
while (($#)) && [[ "$1" != "--" ]]; do REVS+=("$1"); shift; done
(($#)) && shift
((${#REVS[@]} > 0)) || { echo "usage: $0 [-r ROUNDS] REV... -- [JMH ARGS...]" >&2; exit 2; }

OUT="bench/target/jmh-ab"
rm -rf "$OUT" && mkdir -p "$OUT/jars"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/jmh-ab.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

mvn -B -q -pl wasm-host,bench package dependency:build-classpath -DskipTests \
    -Dmdep.outputFile="$TMP/cp" -Dmdep.includeScope=runtime
own_jar="$(tr ':' '\n' < "$TMP/cp" | grep '/wasm-host/target/wasm-host-[^/]*\.jar$')"
for i in "${!REVS[@]}"; do
    src="$TMP/src-$i"
    mkdir -p "$src"
    git archive "${REVS[$i]}" | tar -x -C "$src"
    (cd "$src" && mvn -B -q -pl wasm-host package -DskipTests)
    cp "$src"/wasm-host/target/wasm-host-*.jar "$OUT/jars/$i.jar"
    echo "$i ${REVS[$i]} $(git rev-parse --short "${REVS[$i]}")" >> "$OUT/revs"
    rm -rf "$src"
done

exec 9> "$LOCK"
flock 9
uptime | tee "$OUT/uptime-before"
order=("${!REVS[@]}")
for ((round = 1; round <= ROUNDS; round++)); do
    for i in "${order[@]}"; do
        cp="bench/target/classes:$(sed "s#$own_jar#$ROOT/$OUT/jars/$i.jar#" "$TMP/cp")"
        echo "== round $round, ${REVS[$i]}" >&2
        TIMEFORMAT='%U %S'
        { time "$JAVA" -cp "$cp" org.openjdk.jmh.Main "$@" -rf json -rff "$OUT/$i-$round.json" \
              > "$OUT/$i-$round.log" 2>&1; } 2> "$OUT/$i-$round.cpu"
    done
    order=($(printf '%s\n' "${order[@]}" | tac))
done
uptime | tee "$OUT/uptime-after"
flock -u 9

python3 - "$OUT" <<'PY'
import json, sys, glob, os, statistics
out = sys.argv[1]
revs = [l.split() for l in open(os.path.join(out, 'revs'))]
print('| benchmark | ' + ' | '.join(f'{r[1]} ({r[2]})' for r in revs) + ' |')
print('|---|' + '---:|' * len(revs))
scores, cpu = {}, {}
for i, name, _ in revs:
    cpu[i] = 0.0
    for f in sorted(glob.glob(os.path.join(out, f'{i}-*.json'))):
        for b in json.load(open(f)):
            key = b['benchmark'].split('.')[-2] + '.' + b['benchmark'].split('.')[-1] + \
                  ''.join(f' {k}={v}' for k, v in b.get('params', {}).items())
            raw = [x for fork in b['primaryMetric']['rawData'] for x in fork]
            scores.setdefault(key, {}).setdefault(i, []).extend(raw)
            unit = b['primaryMetric']['scoreUnit']
        u, s = open(f[:-5] + '.cpu').read().split()
        cpu[i] += float(u) + float(s)
for key, per in scores.items():
    cells = []
    for i, _, _ in revs:
        v = per.get(i, [])
        cells.append(f'{statistics.mean(v):.2f} (median {statistics.median(v):.2f}, n={len(v)})' if v else '-')
    print(f'| {key} [{unit}] | ' + ' | '.join(cells) + ' |')
print('| JMH processes\' CPU s (user+sys, all rounds) | ' + ' | '.join(f'{cpu[i]:.0f}' for i, _, _ in revs) + ' |')
PY
