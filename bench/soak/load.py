#!/usr/bin/env python3
"""bench/soak/load.py - the soak's own clients and its sampler (bench/soak/run.sh starts it beside wrk).

    load.py --port P --admin A --pid PID --duration S --trap-every N --csv FILE

For S seconds, against the crashy test guest on 127.0.0.1:P (a short answer to every request head; a
request starting with 'X' traps its shard):
  close    CLOSE_CLIENTS threads, one connection per request: connect, request, read the answer, close
  slow     SLOW_CLIENTS threads, each sending its request a byte every SLOW_BYTE_S seconds, then reading
  reset    RESET_CLIENTS threads: connect, send half a request (or a whole one), then close with SO_LINGER 0,
           so the appliance sees a peer reset mid-request (or with its answer unread)
  trap     every N seconds one request "XGET ..." (0: never)
and every second one CSV row: the appliance's RSS, fds (/proc/PID/fd), threads, the restarts and syscall
errors /metrics counts, and what the clients did that second. A request that fails is an error; the CSV
says whether a trap was sent in the 3 s before it (the trapped shard's connections are cut, by design).
Standard library only. Threads own their counters; the sampler reads them under one lock.
"""
import argparse
import os
import re
import socket
import struct
import threading
import time
import urllib.request

CLOSE_CLIENTS, SLOW_CLIENTS, RESET_CLIENTS = 4, 8, 2
SLOW_BYTE_S = 0.25
REQUEST = b"GET / HTTP/1.1\r\nHost: soak\r\n\r\n"
EXPLAINED_S = 3.0

lock = threading.Lock()
counts = {"close_ok": 0, "slow_ok": 0, "resets": 0, "traps": 0, "errors": 0, "errors_after_trap": 0}
last_trap = [-1e9]
stop = threading.Event()


def bump(key, n=1):
    with lock:
        counts[key] += n


def error():
    with lock:
        if time.monotonic() - last_trap[0] < EXPLAINED_S:
            counts["errors_after_trap"] += 1
        else:
            counts["errors"] += 1


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    return s


def read_answer(s):
    got = b""
    while b"\r\n\r\n" not in got or len(got) < answer_length(got):
        b = s.recv(4096)
        if not b:
            raise ConnectionError("closed after %d bytes" % len(got))
        got += b
    if not got.startswith(b"HTTP/1.1 200 OK\r\n"):
        raise ConnectionError("unexpected answer %r" % got[:20])


def answer_length(got):
    head, _, _ = got.partition(b"\r\n\r\n")
    m = re.search(rb"\r\nContent-Length: (\d+)", head, re.I)
    return len(head) + 4 + (int(m.group(1)) if m else 0)


def close_client(port):
    while not stop.is_set():
        try:
            with connect(port) as s:
                s.sendall(REQUEST)
                read_answer(s)
            bump("close_ok")
        except OSError:
            error()
            time.sleep(0.05)


def slow_client(port):
    while not stop.is_set():
        try:
            with connect(port) as s:
                for i in range(len(REQUEST)):
                    if stop.is_set():
                        return
                    s.sendall(REQUEST[i:i + 1])
                    time.sleep(SLOW_BYTE_S)
                read_answer(s)
            bump("slow_ok")
        except OSError:
            error()
            time.sleep(0.05)


def reset_client(port):
    n = 0
    while not stop.is_set():
        n += 1
        try:
            s = connect(port)
            s.sendall(REQUEST if n % 2 else REQUEST[:12])
            time.sleep(0.01)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            bump("resets")
        except OSError:
            error()
        time.sleep(0.1)


def trapper(port, every):
    while not stop.wait(every):
        with lock:
            last_trap[0] = time.monotonic()
            counts["traps"] += 1
        try:
            with connect(port) as s:
                s.sendall(b"X" + REQUEST)
                s.recv(64)  # the shard traps: the host closes its connections
        except OSError:
            pass


def metric_sum(text, name):
    total = 0.0
    for m in re.finditer(r"^" + name + r"(?:\{[^}]*\})? ([0-9.eE+-]+)$", text, re.M):
        total += float(m.group(1))
    return int(total)


def sample(pid, admin):
    status = open("/proc/%d/status" % pid).read()
    rss = int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))
    threads = int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))
    fds = len(os.listdir("/proc/%d/fd" % pid))
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin, timeout=5).read().decode()
        restarts = metric_sum(text, "wasix_shard_restarts_total")
        syscall_errors = metric_sum(text, "wasix_syscall_errors_total")
    except OSError:
        restarts = syscall_errors = -1
    return rss, fds, threads, restarts, syscall_errors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--admin", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--trap-every", type=float, default=10)
    p.add_argument("--csv", required=True)
    a = p.parse_args()

    workers = [threading.Thread(target=close_client, args=(a.port,)) for _ in range(CLOSE_CLIENTS)]
    workers += [threading.Thread(target=slow_client, args=(a.port,)) for _ in range(SLOW_CLIENTS)]
    workers += [threading.Thread(target=reset_client, args=(a.port,)) for _ in range(RESET_CLIENTS)]
    if a.trap_every > 0:
        workers.append(threading.Thread(target=trapper, args=(a.port, a.trap_every)))
    for w in workers:
        w.daemon = True
        w.start()

    start = time.monotonic()
    with open(a.csv, "w") as out:
        out.write("second,rss_kb,fds,threads,restarts,syscall_errors,close_ok,slow_ok,resets,traps,"
                  "client_errors,client_errors_after_trap\n")
        second = 0
        alive = True
        while second < a.duration:
            second += 1
            time.sleep(max(0.0, start + second - time.monotonic()))
            try:
                rss, fds, threads, restarts, syscall_errors = sample(a.pid, a.admin)
            except (OSError, AttributeError):
                alive = False
                break
            with lock:
                c = dict(counts)
            out.write("%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n" % (
                second, rss, fds, threads, restarts, syscall_errors, c["close_ok"], c["slow_ok"], c["resets"],
                c["traps"], c["errors"], c["errors_after_trap"]))
            out.flush()
    stop.set()
    if not alive:
        print("load.py: the appliance (pid %d) is gone after %d s" % (a.pid, second))
        raise SystemExit(3)


if __name__ == "__main__":
    main()
