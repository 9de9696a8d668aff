#!/usr/bin/env bash
# Writes image/seccomp/io_uring.json: a container engine's default seccomp profile plus the three
# io_uring calls, which every engine's default blocks (Podman answers ENOSYS, Docker EPERM) and without
# which the appliance falls back to epoll. Run it again when the engine's default changes:
#
#   scripts/seccomp-profile.sh [DEFAULT_PROFILE]   (default: Podman's, /usr/share/containers/seccomp.json)
#
# Use the result with `--security-opt seccomp=image/seccomp/io_uring.json` (podman run, docker run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
src=${1:-/usr/share/containers/seccomp.json}
out=image/seccomp/io_uring.json
python3 - "$src" "$out" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
profile = json.load(open(src))
calls = ["io_uring_setup", "io_uring_enter", "io_uring_register"]
for rule in profile["syscalls"]:
    # An unconditional rule that already names them (a newer default) would make ours redundant.
    if rule.get("action") == "SCMP_ACT_ALLOW" and not rule.get("args") and not rule.get("includes") \
            and not rule.get("excludes") and set(calls) <= set(rule["names"]):
        break
else:
    profile["syscalls"].append({"names": calls, "action": "SCMP_ACT_ALLOW", "args": [],
                                "comment": "io_uring, for the appliance's io_uring transport",
                                "includes": {}, "excludes": {}})
with open(out, "w") as f:
    json.dump(profile, f, indent=2)
    f.write("\n")
print(out)
PY
