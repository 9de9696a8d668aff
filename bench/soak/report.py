#!/usr/bin/env python3
"""bench/soak/report.py - the soak's summary and chart from load.py's CSV (bench/soak/run.sh calls it).

    report.py CSV SVG MD --title T --command C [--wrk FILE] [--exit STATUS] [--gate]

Drift: the mean of a window right after the warm-up against the mean of the last window (warm-up: the first
20 % of the run, at least 20 s; window: 60 s for runs of 5 minutes or more, else 10 s). Growth of more than
10 % in RSS or fds fails the gate, as does an appliance that died or exited other than 0 at the end.
The chart: one panel per series over time, traps marked as red ticks on every panel. Standard library only.
"""
import argparse
import csv
import re
import sys

LIMIT_PERCENT = 10.0


def load(path):
    with open(path) as f:
        rows = [{k: int(v) for k, v in r.items()} for r in csv.DictReader(f)]
    if not rows:
        sys.exit("report.py: %s has no samples" % path)
    return rows


def windows(n):
    warm = max(20, n // 5)
    width = 60 if n >= 300 else 10
    if n < warm + 2 * width:
        return None
    return (warm, warm + width), (n - width, n)


def mean(rows, key, span):
    vals = [r[key] for r in rows[span[0]:span[1]]]
    return sum(vals) / len(vals)


def nice_ticks(lo, hi, count=4):
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    mag = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=raw)
    start = int(lo // step) * step
    ticks = []
    t = start
    while t <= hi + step * 0.001:
        ticks.append(t)
        t += step
    if ticks[-1] < hi:
        ticks.append(ticks[-1] + step)
    return ticks


def fmt(v):
    return ("%d" % v) if float(v).is_integer() else ("%.1f" % v)


def svg_chart(rows, title, path):
    panels = [
        ("RSS (MiB)", [("rss", "RSS", "#1f77b4", lambda r: r["rss_kb"] / 1024)]),
        ("open fds", [("fds", "fds in /proc/PID/fd", "#2ca02c", lambda r: r["fds"])]),
        ("threads", [("threads", "threads", "#9467bd", lambda r: r["threads"])]),
        ("restarts and traps (total)", [
            ("traps", "trapping requests sent", "#d62728", lambda r: r["traps"]),
            ("restarts", "shard restarts (/metrics)", "#ff7f0e", lambda r: max(r["restarts"], 0))]),
        ("client errors (total)", [
            ("after", "within 3 s of a trap", "#8c564b", lambda r: r["client_errors_after_trap"]),
            ("other", "other", "#e377c2", lambda r: r["client_errors"])]),
    ]
    left, right, top, ph, gap = 70, 230, 58, 110, 45
    pw = 640
    height = top + len(panels) * (ph + gap) + 10
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="12">' % (left + pw + right, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>' % (left, esc(title))]
    trap_seconds = [r["second"] for i, r in enumerate(rows) if i and r["traps"] > rows[i - 1]["traps"]]
    xmax = rows[-1]["second"]
    x = lambda s: left + pw * (s / xmax if xmax else 0)
    for p, (label, series) in enumerate(panels):
        y0 = top + p * (ph + gap)
        values = [f(r) for _, _, _, f in series for r in rows]
        lo = 0 if label != "RSS (MiB)" else min(values) * 0.9
        ticks = nice_ticks(lo, max(values) * 1.05 if max(values) > 0 else 1)
        lo, hi = ticks[0], ticks[-1]
        y = lambda v: y0 + ph - ph * (v - lo) / (hi - lo)
        out.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (left, y0 - 6, esc(label)))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (left, y0, pw, ph))
        for t in ticks:
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>' % (left, left + pw, y(t), y(t)))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 6, y(t) + 4, fmt(t)))
        for s in trap_seconds:
            out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#d62728" stroke-width="1" '
                       'stroke-opacity="0.5"/>' % (x(s), x(s), y0 + ph - 8, y0 + ph))
        for key, name, colour, f in series:
            pts = " ".join("%.1f,%.1f" % (x(r["second"]), y(f(r))) for r in rows)
            out.append('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>' % (colour, pts))
        for i, (key, name, colour, f) in enumerate(series):
            ly = y0 + 14 + i * 18
            out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"/>'
                       % (left + pw + 12, left + pw + 32, ly - 4, ly - 4, colour))
            out.append('<text x="%d" y="%d">%s</text>' % (left + pw + 38, ly, esc(name)))
        xticks = nice_ticks(0, xmax, 6)
        for t in xticks:
            if t <= xmax:
                out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x(t), y0 + ph + 14, fmt(t)))
        out.append('<text x="%d" y="%d" text-anchor="end" fill="#555">seconds</text>' % (left + pw, y0 + ph + 28))
    out.append('<text x="%d" y="%d" fill="#d62728">red ticks: a trapping request sent</text>'
               % (left + pw + 12, top + 4 * (ph + gap) + 60))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrk_summary(path):
    if not path:
        return None
    text = open(path).read()
    m = re.search(r"(\d+) requests in ([0-9.]+)(\w+)", text)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "requests": int(m.group(1)) if m else 0,
        "socket_errors": sum(int(g) for g in errs.groups()) if errs else 0,
        "socket_detail": errs.group(0) if errs else "Socket errors: none",
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("csv")
    p.add_argument("svg")
    p.add_argument("md")
    p.add_argument("--title", required=True)
    p.add_argument("--command", required=True)
    p.add_argument("--wrk")
    p.add_argument("--exit", default="")
    p.add_argument("--gate", action="store_true")
    a = p.parse_args()
    rows = load(a.csv)
    svg_chart(rows, a.title, a.svg)
    n, last = len(rows), rows[-1]
    failures = []
    lines = ["# %s" % a.title, "", "Command: `%s`" % a.command, ""]
    spans = windows(n)
    if spans is None:
        failures.append("too short for a drift: %d samples" % n)
    else:
        first, end = spans
        lines += ["| series | mean s %d-%d | mean s %d-%d | drift |" % (first[0] + 1, first[1], end[0] + 1, end[1]),
                  "|---|---:|---:|---:|"]
        for key, label, gated in (("rss_kb", "RSS (KiB)", True), ("fds", "fds", True), ("threads", "threads", False)):
            m0, m1 = mean(rows, key, first), mean(rows, key, end)
            drift = 100.0 * (m1 - m0) / m0 if m0 else 0.0
            lines.append("| %s | %.0f | %.0f | %+.1f %% |" % (label, m0, m1, drift))
            if gated and drift > LIMIT_PERCENT:
                failures.append("%s grew %.1f %% (limit %.0f %%)" % (label, drift, LIMIT_PERCENT))
        lines.append("")
    if n < 2 or last["restarts"] < 0:
        failures.append("/metrics did not answer")
    lines += [
        "- samples: %d (one a second); the appliance %s" % (n, "answered to the end" if not a.exit else
                                                             "exited with status %s when stopped" % a.exit),
        "- trapping requests sent: %d; shard restarts (/metrics): %d" % (last["traps"], last["restarts"]),
        "- own clients: %d close-per-request and %d slow requests answered, %d peer resets" % (
            last["close_ok"], last["slow_ok"], last["resets"]),
        "- own clients' errors: %d within 3 s of a trap (its shard's connections are cut), %d other" % (
            last["client_errors_after_trap"], last["client_errors"]),
        "- syscall errors the guests saw (/metrics, mostly EAGAIN and the resets' ECONNRESET): %d" % last[
            "syscall_errors"],
    ]
    w = wrk_summary(a.wrk)
    if w:
        lines.append("- wrk (keep-alive): %d requests; %s; non-2xx %d" % (w["requests"], w["socket_detail"],
                                                                         w["non2xx"]))
    if a.exit not in ("", "0"):
        failures.append("the appliance exited %s at the end (want 0 after SIGTERM)" % a.exit)
    if last["restarts"] > last["traps"]:
        failures.append("more restarts (%d) than traps sent (%d)" % (last["restarts"], last["traps"]))
    lines += ["", "Verdict: " + ("PASS (flat: RSS and fds grew at most %.0f %% after the warm-up)" % LIMIT_PERCENT
                                 if not failures else "FAIL: " + "; ".join(failures)), ""]
    with open(a.md, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    if a.gate and failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
