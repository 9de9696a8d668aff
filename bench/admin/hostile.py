#!/usr/bin/env python3
"""Hostile clients for an admin port, and a prober that times /healthz and /readyz meanwhile.

usage: hostile.py hold HOST:PORT [--hostile 200]       (until SIGTERM; prints how many it reopened)
       hostile.py probe HOST:PORT [--probes 50] [--timeout 60] [--pid PID]

hold: a third of the connections stay idle, a third send half a request and stop, a third send a byte a
second (slowloris). Every one the server closes is reopened at once, so N stay open whatever it does.
probe (its own process, so that the holder's work does not delay its clock): probes run one after another,
100 ms apart, each a fresh connection: connect, GET, read to EOF. Prints one line of key=value figures (ms):
p50, p90, p99, max, failures, and with --pid the server's CPU ticks over the probes.
"""
import argparse, selectors, signal, socket, time

def parse():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["hold", "probe"])
    p.add_argument("target")
    p.add_argument("--hostile", type=int, default=200)
    p.add_argument("--probes", type=int, default=50)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--pid", type=int)
    return p.parse_args()

class Hostile:
    """Keeps `n` hostile connections open until stopped; reopens the ones the server drops."""
    def __init__(self, addr, n):
        self.addr, self.n, self.stop, self.reopened = addr, n, False, 0
        self.sel = selectors.DefaultSelector()
        self.kinds = {}

    def open(self, kind):
        try:
            s = socket.create_connection(self.addr, timeout=5)
        except OSError:
            return
        s.setblocking(False)
        try:
            if kind == "half":
                s.send(b"GET /healthz HTTP/1.1\r\nHost:")
            elif kind == "slow":
                s.send(b"G")
        except OSError:
            pass
        self.kinds[s] = kind
        self.sel.register(s, selectors.EVENT_READ)

    def run(self):
        kinds = ["idle", "half", "slow"]
        for i in range(self.n):
            self.open(kinds[i % 3])
        last_trickle = time.monotonic()
        while not self.stop:
            for key, _ in self.sel.select(timeout=0.1):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:  # dropped by the server: come back
                    kind = self.kinds.pop(s)
                    self.sel.unregister(s)
                    s.close()
                    self.reopened += 1
                    self.open(kind)
            if time.monotonic() - last_trickle >= 1.0:
                last_trickle = time.monotonic()
                for s, kind in list(self.kinds.items()):
                    if kind == "slow":
                        try:
                            s.send(b"E")
                        except OSError:
                            pass
        for s in list(self.kinds):
            s.close()

def probe(addr, path, timeout):
    t0 = time.monotonic()
    with socket.create_connection(addr, timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: probe\r\n\r\n")
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    ms = (time.monotonic() - t0) * 1000
    return ms, got.split(b"\r\n", 1)[0].decode("latin-1")

def ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])

def main():
    a = parse()
    host, port = a.target.rsplit(":", 1)
    addr = (host, int(port))
    if a.mode == "hold":
        hostile = Hostile(addr, a.hostile)
        signal.signal(signal.SIGTERM, lambda *_: setattr(hostile, "stop", True))
        hostile.run()
        print(f"hostile_reopened={hostile.reopened}", flush=True)
        return
    t0 = ticks(a.pid) if a.pid else None
    times, failures, statuses = [], 0, {}
    for i in range(a.probes):
        path = b"/healthz" if i % 2 == 0 else b"/readyz"
        try:
            ms, status = probe(addr, path, a.timeout)
            times.append(ms)
            status = status.replace(" ", "_")
        except OSError as e:
            failures += 1
            status = type(e).__name__
        statuses[status] = statuses.get(status, 0) + 1
        time.sleep(0.1)
    t1 = ticks(a.pid) if a.pid else None
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] if times else float("nan")
    out = {
        "probes": a.probes, "answered": len(times), "failures": failures,
        "p50_ms": round(pick(0.5), 1), "p90_ms": round(pick(0.9), 1), "p99_ms": round(pick(0.99), 1),
        "max_ms": round(times[-1], 1) if times else float("nan"),
        "statuses": ",".join(f"{k}:{v}" for k, v in sorted(statuses.items())),
    }
    if t0 is not None:
        out["server_cpu_ticks"] = t1 - t0
    print(" ".join(f"{k}={v}" for k, v in out.items()))

if __name__ == "__main__":
    main()
