#!/usr/bin/env bash
# fs-bench.sh - the filesystem JMH lanes (FsBench): each lane through fs-bench.wasm and as plain Java on the
# same VFS, in one JMH run, then guest/native per lane.
#
#   bench/fs-bench.sh [JMH_ARGS...]       e.g. bench/fs-bench.sh -wi 2 -i 3
#
# Takes /tmp/wasix-bench.lock while measuring (one measurement at a time on this machine). Writes the JMH
# JSON to bench/target/fs-bench.json and prints a Markdown table of the lanes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JAVA="${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
mvn -B -q -pl bench -am package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/cp.txt >/dev/null
CP="bench/target/classes:$(cat bench/target/cp.txt)"
OUT=bench/target/fs-bench.json
flock /tmp/wasix-bench.lock "$JAVA" -cp "$CP" org.openjdk.jmh.Main 'io.wasix.bench.FsBench' \
    -rf json -rff "$OUT" "$@"
python3 - "$OUT" <<'PY'
import json, sys
rows = {}
for r in json.load(open(sys.argv[1])):
    name = r["benchmark"].rsplit(".", 1)[1]
    lane, way = name.rsplit("_", 1)
    m = r["primaryMetric"]
    rows.setdefault(lane, {})[way] = (m["score"], m["scoreError"], m["scoreUnit"])
print("| lane | guest | native | guest/native |")
print("|---|---|---|---|")
for lane in ["fs_write_small", "fs_write_big", "stat_storm", "readdir_big", "host_call"]:
    if lane in rows and "guest" in rows[lane] and "native" in rows[lane]:
        g, n = rows[lane]["guest"], rows[lane]["native"]
        err = lambda e: f" ± {float(e):.3f}" if str(e) not in ("NaN", "nan") else ""
        print(f"| {lane} | {g[0]:.3f}{err(g[1])} {g[2]} | {n[0]:.3f}{err(n[1])} {n[2]} | {g[0]/n[0]:.2f}x |")
    elif lane in rows and "guest" in rows[lane]:
        g = rows[lane]["guest"]
        err = lambda e: f" ± {float(e):.3f}" if str(e) not in ("NaN", "nan") else ""
        print(f"| {lane} (floor) | {g[0]:.3f}{err(g[1])} {g[2]} | | |")
PY
