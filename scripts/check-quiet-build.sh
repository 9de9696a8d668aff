#!/usr/bin/env bash
# check-quiet-build.sh - prove the build's two promises about its output:
#
#   scripts/check-quiet-build.sh [VERIFY_LOG]
#
#   1. `mvn -q package -DskipTests` prints nothing when it succeeds (the AOT training run's output goes to
#      image/target/aot-training.log, and is printed only if training fails);
#   2. when VERIFY_LOG (the output of `mvn -B verify`) is given: no "restricted method" warning in it
#      (the test forks get --enable-native-access for Netty, see the root pom's argLine).
#
# Maven 3.8's console library writes a few ANSI colour resets ("ESC[0m") even with -q and -B, on any
# project: they are invisible on a terminal and are ignored here; any other byte fails the check.
# Runs Maven offline (-o): run it after a build has filled ~/.m2. About a minute (jlink and the training run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
if [[ $# -ge 1 ]]; then
    if grep -n -i "restricted method" "$1"; then
        echo "check-quiet-build: FAILED: restricted-method warnings in $1 (above)" >&2
        status=1
    else
        echo "check-quiet-build: no restricted-method warning in $1"
    fi
fi

out=$(mvn -q -B -o package -DskipTests 2>&1) || {
    printf '%s\n' "$out"
    echo "check-quiet-build: FAILED: mvn -q package failed (above)" >&2
    exit 1
}
visible=$(printf '%s' "$out" | sed 's/\x1b\[[0-9;]*m//g')
if [[ -n $visible ]]; then
    printf '%s\n' "$visible"
    echo "check-quiet-build: FAILED: mvn -q package printed the lines above on success" >&2
    status=1
else
    echo "check-quiet-build: mvn -q package printed nothing"
fi
exit "$status"
