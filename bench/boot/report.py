#!/usr/bin/env python3
"""Turns bench/boot/run.sh's raw results into a Markdown table, a CSV and an SVG bar chart.

usage: report.py RAW_DIR OUT_PREFIX RUNS LOAD_SECONDS MACHINE COMMAND [QUICK]
"""
import glob
import os
import re
import statistics
import sys
from datetime import datetime, timezone

raw, out, runs, load_s, machine, command = sys.argv[1:7]
quick = len(sys.argv) > 7 and sys.argv[7] == "1"
TARGET_MS = 50

names = dict(line.rstrip("\n").split("\t", 1) for line in open(os.path.join(raw, "names.tsv")))
skipped = []
if os.path.exists(os.path.join(raw, "skipped.tsv")):
    skipped = [line.rstrip("\n").split("\t", 1) for line in open(os.path.join(raw, "skipped.tsv"))]


def fields(line):
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


rows = []
for i in sorted(names, key=int):
    boots, cpu, rss_boot, rss_load, load_reqs, failed = [], [], [], [], None, 0
    path = os.path.join(raw, f"{i}.txt")
    for line in open(path) if os.path.exists(path) else []:
        f = fields(line)
        if line.startswith("failed") or "first_response_ms" not in f:
            failed += 1
            continue
        if f["load"] != "0":
            rss_load.append(int(f["rss_load_kb"]))
            load_reqs = int(f["requests"]) / float(f["load"])
            continue
        boots.append(float(f["first_response_ms"]))
        if float(f.get("cpu_boot_ms", "-1")) >= 0:
            cpu.append(float(f["cpu_boot_ms"]))
        rss_boot.append(int(f["rss_boot_kb"]))
    rows.append(dict(i=i, name=names[i], boots=boots, cpu=cpu, rss_boot=rss_boot, rss_load=rss_load,
                     load_rps=load_reqs, failed=failed))

container = lambda r: r["name"].startswith("container")


def ms(v):
    return f"{v:.1f}"


def cpu_ms(r):
    if container(r):
        return "n/a (engine's pid)"
    return f"{statistics.median(r['cpu']):.0f}" if r["cpu"] else "-"


def mb(kb_list, r):
    if container(r):
        return "n/a (engine's pid)"
    return f"{statistics.median(kb_list) / 1024:.1f}" if kb_list else "-"


# the appliance's own boot report, median per milestone over the AOT-cache row's runs
milestones = {}
for err in sorted(glob.glob(os.path.join(raw, "0.err.*"))):
    if err.endswith(".load"):
        continue
    inside = False
    for line in open(err, errors="replace"):
        if line.startswith("appliance: boot report"):
            inside = True
            continue
        m = re.match(r"^  (\S.*?)\s+(-?[0-9.]+)(?:\s+[+-][0-9.]+)?\s*$", line) if inside else None
        if m:
            milestones.setdefault(m.group(1), []).append(float(m.group(2)))
        elif inside and not line.startswith("  "):
            inside = False

sizes = [line.rstrip("\n").split("\t", 1) for line in open(os.path.join(raw, "sizes.tsv"))]
now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

# ------------------------------------------------------------------ CSV
with open(out + ".csv", "w") as f:
    f.write("server,runs,median_ms,min_ms,max_ms,rss_boot_mb,rss_load_mb,load_req_per_s,cpu_boot_ms\n")
    for r in rows:
        if not r["boots"]:
            continue
        f.write(",".join([
            '"' + r["name"] + '"', str(len(r["boots"])), ms(statistics.median(r["boots"])), ms(min(r["boots"])),
            ms(max(r["boots"])),
            "" if container(r) or not r["rss_boot"] else f"{statistics.median(r['rss_boot']) / 1024:.1f}",
            "" if container(r) or not r["rss_load"] else f"{max(r['rss_load']) / 1024:.1f}",
            "" if r["load_rps"] is None else f"{r['load_rps']:.0f}",
            "" if container(r) or not r["cpu"] else f"{statistics.median(r['cpu']):.0f}"]) + "\n")

# ------------------------------------------------------------------ Markdown
md = [f"# Boot: exec to first HTTP response, {now}", ""]
if quick:
    md += [f"**Quick run** ({runs} runs a row): a look, not a figure to publish or compare across days.", ""]
load_text = (f"RSS under load: one run with {load_s} s of connection-per-request load from 4 client processes, "
             "peak VmRSS" if load_s != "0" else "no load run")
md += [
      f"Machine: {machine}. Noisy: 2 cores shared with other engineers' builds and benchmarks; every run",
      "held /tmp/wasix-bench.lock, so no other benchmark ran at the same time, but builds may have.", "",
      f"Command: `{command}`", "",
      f"{runs} runs per row, rounds interleaved across rows; {load_text}.", "",
      "CPU ms to first response: the user + system CPU time the server's process had used when its first",
      "response came (median; 10 ms ticks). Other work on the machine stretches the wall time, far less this.", "",
      "| server | median ms | min ms | max ms | CPU ms to first response | runs | RSS after boot, MB | RSS under load, MB | req/s under that load |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    if not r["boots"]:
        md.append(f"| {r['name']} | failed | | | | 0 | | | |")
        continue
    b = r["boots"]
    rps = "" if r["load_rps"] is None else f"{r['load_rps']:.0f}"
    md.append(f"| {r['name']} | {ms(statistics.median(b))} | {ms(min(b))} | {ms(max(b))} | {cpu_ms(r)} | {len(b)}"
              + (f" ({r['failed']} failed)" if r["failed"] else "")
              + f" | {mb(r['rss_boot'], r)} | {mb(r['rss_load'], r) if r['rss_load'] else '-'} | {rps} |")
for name, why in skipped:
    md.append(f"| {name} | **skipped**: {why} | | | | | | | |")
md += ["", f"Target: first response <= {TARGET_MS} ms bare, RSS after boot <= 40 MB, image <= 60 MB.", ""]
if milestones:
    md += ["## Where the appliance's boot time goes", "",
           "Median over the AOT-cache row's runs of its own `--boot-report` (ms since the launcher's exec):", "",
           "| milestone | median ms | + from previous |", "|---|---:|---:|"]
    prev = 0.0
    for name, vals in milestones.items():
        med = statistics.median(vals)
        md.append(f"| {name} | {ms(med)} | {'' if name == 'process start' else '+' + ms(med - prev)} |")
        prev = med
    md.append("")
md += ["## Sizes", "", "| what | MB |", "|---|---:|"]
for what, size in sizes:
    md.append(f"| {what} | {int(size) / 1e6:.1f} |")
md.append("")
open(out + ".md", "w").write("\n".join(md))

# ------------------------------------------------------------------ SVG: median bar, min-max whisker
# Sized to its text: the label column fits the longest row name, ticks are spaced so their labels never
# touch, and a legend says what each colour is. Check a change rendered: rsvg-convert FILE.svg -o FILE.png.
CHAR_W = 7.4  # px per character of 13 px sans-serif, generous: DejaVu Sans averages ~7
plotted = [r for r in rows if r["boots"]]
kind = lambda r: "appliance" if r["name"].startswith("appliance") else ("container" if container(r) else "peer")
COLOURS = {"appliance": "#d9534f", "container": "#999999", "peer": "#5b8def"}
LEGEND = {"appliance": "the appliance, bare", "container": "in a container (podman)", "peer": "peers: native C, Node, Bun"}
bar, gap, top = 22, 12, 78
left = int(max([len(r["name"]) for r in plotted] + [10]) * CHAR_W) + 24
plot_w, right = 560, 80
W = left + plot_w + right
base = top + len(plotted) * (bar + gap)
H = base + 56
vmax = max([max(r["boots"]) for r in plotted] + [TARGET_MS]) * 1.05


def nice_step(span, most=8):
    """The smallest 1-2-2.5-5 x 10^k step that makes at most `most` intervals."""
    k = 1
    while True:
        for m in (1, 2, 2.5, 5):
            if span / (m * k) <= most:
                return m * k
        k *= 10


step = nice_step(vmax)
x = lambda v: left + plot_w * v / vmax
esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;")
title = f"Exec to first HTTP response, ms (median bar, whisker min-max, {runs} runs a row{', quick' if quick else ''}; {now})"
W = max(W, int(len(title) * 8.2) + 20)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="13">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="10" y="24" font-size="15">{esc(title)}</text>']
lx = 10
for k in [k for k in COLOURS if any(kind(r) == k for r in plotted)]:
    svg.append(f'<rect x="{lx}" y="38" width="14" height="14" fill="{COLOURS[k]}"/>')
    svg.append(f'<text x="{lx + 20}" y="50">{esc(LEGEND[k])}</text>')
    lx += 20 + int(len(LEGEND[k]) * CHAR_W) + 24
for k, r in enumerate(plotted):
    y = top + k * (bar + gap)
    b = r["boots"]
    med = statistics.median(b)
    svg.append(f'<text x="{left - 8}" y="{y + bar * 0.7}" text-anchor="end">{esc(r["name"])}</text>')
    svg.append(f'<rect x="{left}" y="{y}" width="{max(1, x(med) - left):.1f}" height="{bar}" fill="{COLOURS[kind(r)]}"/>')
    svg.append(f'<line x1="{x(min(b)):.1f}" x2="{x(max(b)):.1f}" y1="{y + bar / 2}" y2="{y + bar / 2}" stroke="black"/>')
    svg.append(f'<text x="{x(max(b)) + 6:.1f}" y="{y + bar * 0.7}">{med:.1f}</text>')
tx = x(TARGET_MS)
svg.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 6}" y2="{base}" stroke="green" stroke-dasharray="5,4"/>')
svg.append(f'<text x="{tx + 4:.1f}" y="{top - 8}" fill="green" font-size="11">target {TARGET_MS} ms</text>')
svg.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{base}" y2="{base}" stroke="black"/>')
v = 0
while v <= vmax:
    svg.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{base}" y2="{base + 4}" stroke="black"/>')
    svg.append(f'<text x="{x(v):.1f}" y="{base + 18}" text-anchor="middle" font-size="11">{v:g}</text>')
    v += step
svg.append(f'<text x="{left + plot_w / 2:.1f}" y="{base + 40}" text-anchor="middle">ms from exec to the first response</text>')
svg.append("</svg>")
open(out + ".svg", "w").write("\n".join(svg) + "\n")
