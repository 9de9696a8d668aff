#!/usr/bin/env python3
"""bench/load/thread-cpu.py PID CMD... - runs CMD (a wrk run) and prints the CPU time each thread of PID
spent during it, per request wrk reports ("N requests in ..."), busiest first, then the whole process.
bench/load/thread-cpu.py --ticks PID - prints one line per thread of PID, "TID NAME TICKS" (utime + stime in
clock ticks, spaces in NAME as _): the snapshot bench/lib.sh's thread_ticks takes before and after a run.

CPU is utime + stime from /proc/PID/task/TID/stat, read before and after CMD; threads that start during CMD
count from zero. Which thread does the work (the shard thread, Netty's event loop, C2) is what this is for:
it moves far less than req/s when other work shares the cores.
"""
import os
import subprocess
import sys


def threads(pid):
    """TID -> (name, ticks) for every live thread of pid."""
    result = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue  # ended between listdir and open
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        result[tid] = (name, int(fields[11]) + int(fields[12]))  # utime, stime
    return result


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--ticks":
        for tid, (name, ticks) in threads(int(sys.argv[2])).items():
            print(tid, name.replace(" ", "_"), ticks)
        return
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    pid, cmd = int(sys.argv[1]), sys.argv[2:]
    before = threads(pid)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    after = threads(pid)
    requests = int(next(line for line in out.splitlines() if "requests in" in line).split()[0])
    rate = next((line for line in out.splitlines() if line.startswith("Requests/sec")), "")
    us_per_tick = 1e6 / os.sysconf("SC_CLK_TCK")
    spent = sorted(((ticks - before.get(tid, (name, 0))[1], name) for tid, (name, ticks) in after.items()),
                   reverse=True)
    print(rate)
    for ticks, name in spent:
        if ticks > 0:
            print(f"{name:24s} {ticks * us_per_tick / requests:7.2f} us/req")
    total = sum(ticks for ticks, _ in spent)
    print(f"{'process':24s} {total * us_per_tick / requests:7.2f} us/req  ({requests} requests)")


if __name__ == "__main__":
    main()
