#!/usr/bin/env bash
# bench/fuzz/run.sh - the longer fuzzing run of issue 10: each *FuzzTest (Jazzer) for DURATION.
#
#   bench/fuzz/run.sh [DURATION]     default 5m per fuzz test (Jazzer's spelling: 30s, 5m, 1h)
#
# Runs `mvn verify` for wasm-host and appliance with only the fuzz tests, their fuzzing run lengthened with
# -Djazzer.max_duration. Findings (a host exception, a write outside a call's own ranges, a second line or a
# Java exception in a load error, a hang past a test's @Timeout) fail the run, and Jazzer writes each crashing
# input into the test's Inputs directory under src/test/resources, where every later `mvn test` replays it:
# commit it with its fix. Prints libFuzzer's last status line per test (runs, coverage, corpus). The corpus
# Jazzer grows is kept in each module's .cifuzz-corpus/ (not committed). Holds /tmp/wasix-bench.lock.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${1:-5m}"
exec 9>"${BENCH_LOCK:-/tmp/wasix-bench.lock}"
flock 9
cd "$ROOT"
log="$(mktemp)"
status=0
mvn -B -pl wasm-host,appliance -am verify -Dtest='*FuzzTest' -Dsurefire.failIfNoSpecifiedTests=false \
    -Djazzer.max_duration="$DURATION" > "$log" 2>&1 || status=$?
echo "fuzz tests, $DURATION each, $(date -u +%Y-%m-%dT%H:%MZ), exit $status"
grep -E "DONE|Done [0-9]+ runs|Tests run:.*FuzzTest|FuzzTestFinding|== Java Exception" "$log" || true
echo "log: $log"
exit "$status"
