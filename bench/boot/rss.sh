#!/usr/bin/env bash
# bench/boot/rss.sh - where an appliance's memory and boot CPU go: boots IMAGE's `bin/appliance run` (the
# bundled guest), and prints
#   at its first response: minor page faults, user and system CPU, and each live thread's CPU (10 ms ticks);
#   after one more request: RSS and private dirty memory of /proc/PID/smaps by mapping (the AOT cache,
#   libjvm.so, the Java heap's range, other anonymous memory: malloc, thread stacks, code cache, metaspace);
#   then the same after `wrk -t2 -c400 -d LOAD_SECONDS` (default 5; 0: no load), with the peak (VmHWM);
#   then again SETTLE_SECONDS after the load (default 0: not), when the JVM's periodic native-heap trim
#   (jlink.conf: every 5 s) has handed the JIT's freed arenas back.
# Holds /tmp/wasix-bench.lock for the whole run. Extra JVM options go through JDK_JAVA_OPTIONS, extra
# environment as usual, e.g.  JDK_JAVA_OPTIONS=-XX:TieredStopAtLevel=1 bench/boot/rss.sh image/target/appliance 31000
#
#   bench/boot/rss.sh IMAGE PORT [LOAD_SECONDS [SETTLE_SECONDS]]
set -euo pipefail
IMAGE=${1:?IMAGE}; PORT=${2:?PORT}; LOAD=${3:-5}; SETTLE=${4:-0}
exec 9>>/tmp/wasix-bench.lock
flock 9
OUT=$(mktemp)
PORT=$PORT "$IMAGE/bin/appliance" run >"$OUT" 2>&1 9>&- &
P=$!
trap 'kill $P 2>/dev/null; wait $P 2>/dev/null; rm -f "$OUT"' EXIT
for _ in $(seq 4000); do curl -s -o /dev/null "127.0.0.1:$PORT/" && break; sleep 0.005; done
s=($(sed 's/.*) //' /proc/$P/stat))
echo "at the first response: minflt=${s[7]} user=$((s[11] * 10)) ms sys=$((s[12] * 10)) ms; live threads (user+sys ms):"
for t in /proc/$P/task/*; do
    ts=($(sed 's/.*) //' "$t/stat"))
    printf '  %5d  %s\n' $(((ts[11] + ts[12]) * 10)) "$(cat "$t/comm")"
done | sort -rn
grep -m1 "started on" "$OUT" || true
curl -s -o /dev/null "127.0.0.1:$PORT/"

breakdown() {
    python3 - "$P" <<'PY'
import collections, re, sys
pid = sys.argv[1]
rss, dirty = collections.Counter(), collections.Counter()
cur = None
for line in open(f"/proc/{pid}/smaps"):
    if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
        parts = line.split(None, 5)
        name = parts[5].strip() if len(parts) > 5 else ""
        start = int(parts[0].split("-")[0], 16)
        if name in ("", "[heap]"):
            # SerialGC reserves the heap right below the class space at 0x800000000 (compressed oops)
            name = "anonymous: the Java heap's range" if 0x600000000 <= start < 0x800000000 else \
                   "anonymous: class space" if 0x800000000 <= start < 0x900000000 else \
                   "anonymous: malloc, thread stacks, code cache, metaspace"
        elif name.endswith("classes.jsa"):
            name = "AOT cache (lib/server/classes.jsa)"
        elif name.endswith("libjvm.so"):
            name = "libjvm.so"
        elif name.startswith("/"):
            name = "other files (libc, lib/modules, the JDK's and Netty's .so)"
        else:
            name = "other: " + name
        cur = name
    elif line.startswith("Rss:"):
        rss[cur] += int(line.split()[1])
    elif line.startswith("Private_Dirty:"):
        dirty[cur] += int(line.split()[1])
for name, kb in rss.most_common():
    if kb >= 100:
        print(f"  {kb / 1024:6.1f} MB rss {dirty[name] / 1024:6.1f} MB dirty  {name}")
PY
    grep -E "VmHWM|VmRSS|RssAnon|RssFile" "/proc/$P/status" | tr -s ' \t' ' ' | tr '\n' ' '
    echo
}
echo "after boot:"
breakdown
if ((LOAD > 0)); then
    wrk -t2 -c400 -d"${LOAD}s" "http://127.0.0.1:$PORT/" | grep -E "Requests/sec|errors" || true
    echo "after wrk -t2 -c400 -d${LOAD}s:"
    breakdown
    if ((SETTLE > 0)); then
        sleep "$SETTLE"
        echo "${SETTLE} s after the load:"
        breakdown
    fi
fi
