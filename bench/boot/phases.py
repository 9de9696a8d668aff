#!/usr/bin/env python3
"""bench/boot/phases.py - the boot report's phases of several appliance commands, interleaved: an A/B of a boot change.

    bench/boot/phases.py RUNS 'LABEL=COMMAND' ['LABEL=COMMAND' ...]

e.g. bench/boot/phases.py 10 'before=/tmp/old-image/bin/appliance run' 'after=image/target/appliance/bin/appliance run'

Each round starts every command once, in order, timed by firstresponse.c (built here with gcc) under
/tmp/wasix-bench.lock, with APPLIANCE_BOOT_REPORT=1 and PORT set (a free port, or the next of
BOOT_PORT_RANGE=LO-HI). Prints, after every round from the fifth on and at the end, a markdown table of each
row's medians: exec -> first response, CPU ms to it (10 ms ticks), and each phase of the boot report (the
"+delta" column). A row whose boot fails is reported and left out of its medians.
bench/boot/run.sh is the figure to publish (peers, RSS, containers); this is the quick look at phases.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile

PHASES = ["main", "transport chosen", "module loaded", "shard started", "listener bound", "first response"]


def main():
    if len(sys.argv) < 3 or not sys.argv[1].isdigit() or any("=" not in a for a in sys.argv[2:]):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    runs = int(sys.argv[1])
    rows = [a.split("=", 1) for a in sys.argv[2:]]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as work:
        probe = os.path.join(work, "firstresponse")
        subprocess.run(["gcc", "-O2", "-o", probe, os.path.join(root, "bench/boot/firstresponse.c")], check=True)
        ports = port_source()
        results = {label: [] for label, _ in rows}
        for r in range(runs):
            for label, command in rows:
                one(probe, next(ports), label, command, results)
            print(".", end="", file=sys.stderr, flush=True)
            if r >= 4 and r < runs - 1:
                print(file=sys.stderr)
                table(rows, results)
        print(file=sys.stderr)
        table(rows, results)


def port_source():
    spec = os.environ.get("BOOT_PORT_RANGE")
    if not spec:
        while True:
            yield 0
    lo, hi = (int(p) for p in spec.split("-"))
    while True:
        yield from range(lo, hi + 1)


def one(probe, port, label, command, results):
    env = dict(os.environ, APPLIANCE_BOOT_REPORT="1")
    p = subprocess.run(["flock", "/tmp/wasix-bench.lock", probe, str(port), "0", "--"] + command.split(),
                       capture_output=True, text=True, env=env)
    measured = dict(re.findall(r"(\w+)=([\d.]+)", p.stdout))
    if "first_response_ms" not in measured:
        print(f"phases.py: {label}: boot failed: {p.stderr[-300:]}", file=sys.stderr)
        return
    phases = {}
    for line in p.stderr.splitlines():
        m = re.match(r"\s+(" + "|".join(PHASES) + r")\s+[\d.]+\s+\+([\d.]+)", line)
        if m:
            phases[m.group(1)] = float(m.group(2))
    results[label].append((float(measured["first_response_ms"]), float(measured["cpu_boot_ms"]), phases))


def table(rows, results):
    def med(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else float("nan")

    print("| row | runs | exec -> first response, ms | CPU ms | " + " | ".join("+" + p for p in PHASES) + " |")
    print("|---|---:|---:|---:|" + "---:|" * len(PHASES))
    for label, _ in rows:
        v = results[label]
        cells = [f"{med([x[2].get(p) for x in v]):.1f}" for p in PHASES]
        print(f"| {label} | {len(v)} | {med([x[0] for x in v]):.1f} | {med([x[1] for x in v]):.0f} | "
              + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
