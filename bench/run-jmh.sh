#!/usr/bin/env bash
# run-jmh.sh - builds wasm-host and bench, then runs JMH on JDK 25 with bench's class path.
#
#   bench/run-jmh.sh [JMH ARGS...]     e.g.  bench/run-jmh.sh HostCallBench -rf json -rff out.json
#
# Measurements share 2 cores with other work: run them under the bench lock, as
#   flock /tmp/wasix-bench.lock bench/run-jmh.sh HostCallBench
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JAVA_HOME_25="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
# One reactor run, so that bench's class path names wasm-host's freshly built jar (the file is written per
# module; bench comes last).
mvn -B -q -pl wasm-host,bench package dependency:build-classpath -DskipTests \
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime
"$JAVA_HOME_25/bin/java" -cp "bench/target/classes:$(cat "$cp_file")" \
    org.openjdk.jmh.Main "$@"
