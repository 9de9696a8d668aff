"""Runtime adapter for WebAssembly/wasi-testsuite's test runner: runs a test under `appliance run`.

Use it as the runner's --runtime-adapter (see scripts/wasi-testsuite.sh). The launcher is
image/target/appliance/bin/appliance unless APPLIANCE names another command line.
Each test runs as `appliance run --quiet [--env K=V]... [--dir ROOT::/] TEST.wasm ARGS...`:
--quiet keeps the boot line off stderr, so the guest's exit code, stdout and stderr reach the runner
unchanged.
With ERRNO_MODE_UNIX=1 in the environment, the guests get it too: the suite's Rust tests then accept only
the errno Linux gives where they otherwise also accept the alternatives other platforms give.
"""
import os
import shlex
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Tuple

_ROOT = Path(__file__).resolve().parent.parent
APPLIANCE = shlex.split(os.getenv("APPLIANCE", str(_ROOT / "image/target/appliance/bin/appliance")))


def get_name() -> str:
    return "wasix-appliance"


def get_version() -> str:
    result = subprocess.run(APPLIANCE + ["--help"], encoding="UTF-8", capture_output=True, check=True)
    return "0.1.0" if result.stdout else "unknown"


def get_wasi_versions() -> List[str]:
    return ["wasm32-wasip1"]


def get_wasi_worlds() -> List[str]:
    return ["wasi:cli/command"]


def get_timeout_seconds() -> float:
    # Each test is a fresh JVM that compiles the module to bytecode first: far slower than 5 s on a busy box.
    return float(os.getenv("APPLIANCE_TEST_TIMEOUT", "120"))


def compute_argv(test_path: str,
                 args_env_root: Tuple[List[str], Dict[str, str], Optional[str]],
                 proposals: List[str],
                 wasi_world: str,
                 wasi_version: str) -> List[str]:
    args, env, root = args_env_root
    argv = APPLIANCE + ["run", "--quiet"]
    for k, v in env.items():
        argv += ["--env", f"{k}={v}"]
    if os.getenv("ERRNO_MODE_UNIX"):
        argv += ["--env", "ERRNO_MODE_UNIX=1"]
    if root:
        argv += ["--dir", f"{root}::/"]
    argv += [test_path, "--"]
    argv += args
    return argv
