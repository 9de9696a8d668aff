#!/usr/bin/env bash
# wasi-testsuite.sh - run WebAssembly/wasi-testsuite's wasm32-wasip1 tests against our launcher.
#
#   scripts/wasi-testsuite.sh SUITE_CHECKOUT [RUNNER_ARGS...]
#
# SUITE_CHECKOUT is a checkout (or `git archive`) of the suite's branch prod/testsuite-base, which holds
# the prebuilt tests. Its binaries are never copied into this repository. Needs Python >= 3.12 (set PYTHON) with the runner's
# requirements (test-runner/requirements/common.txt: colorama, requests) and a built image
# (mvn -q package -DskipTests).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUITE="${1:?usage: $0 SUITE_CHECKOUT [RUNNER_ARGS...]}"
shift
cd "$SUITE"
exec "${PYTHON:-python3}" test-runner/wasi_test_runner.py \
    -t tests/c/testsuite/wasm32-wasip1 tests/rust/testsuite/wasm32-wasip1 \
       tests/assemblyscript/testsuite/wasm32-wasip1 \
    -r "$ROOT/scripts/wasi-testsuite-adapter.py" --disable-colors "$@"
