#!/usr/bin/env python3
"""Markdown tables from a bench/ycsb.sh result dir: python3 bench/summarize.py DIR

Medians over reps (min-max in brackets when there are several), latencies in ms, errors summed,
load average as the range seen before/after the runs; then Cleave/peer throughput ratios."""
import collections, csv, os, statistics, sys

d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "results.tsv")), delimiter="\t"))
runs = collections.OrderedDict()  # (system, workload, threads) -> rep -> [rows]
for r in rows:
    system, wl, t, rep = r["label"].split(".")
    runs.setdefault((system, wl, t[1:]), collections.defaultdict(list))[rep].append(r)


def med(vals, fmt):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    m = fmt(statistics.median(vals))
    return m if len(vals) == 1 else f"{m} ({fmt(min(vals))}-{fmt(max(vals))})"


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


ms = lambda v: f"{v / 1000:.1f}" if v >= 100 else f"{v / 1000:.2f}"
print("| system | workload | threads | ops/s | op | p50 ms | p99 ms | p99.9 ms | errors | loadavg1 |")
print("|---|---|---|---|---|---|---|---|---|---|")
tput = {}
for (system, wl, t), reps in runs.items():
    ops = sorted({r["op"] for rs in reps.values() for r in rs})
    per_rep_tput = [num(rs[0]["throughput"]) for rs in reps.values()]
    tput[(system, wl, t)] = statistics.median([v for v in per_rep_tput if v is not None] or [0])
    las = [num(r[k]) for rs in reps.values() for r in rs for k in ("loadavg1_before", "loadavg1_after")]
    las = [v for v in las if v is not None]
    la = f"{min(las):.1f}-{max(las):.1f}" if las else "-"
    first = True
    for op in ops:
        sel = [r for rs in reps.values() for r in rs if r["op"] == op]
        errs = sum(int(r["errors"] or 0) for r in sel)
        cells = [med([num(r[k]) for r in sel], ms) for k in ("p50_us", "p99_us", "p999_us")]
        head = [system, "load" if wl == "load" else wl, t, med(per_rep_tput, lambda v: f"{v:,.0f}")] if first else ["", "", "", ""]
        print("| " + " | ".join(head + [op] + cells + [str(errs), la if first else ""]) + " |")
        first = False

# CPU per operation in the measured window: the YCSB client's, and the rest of the box's (the system
# under test, three server processes), from the % of one core each used and the throughput.
cpu_rows = []
for (system, wl, t), reps in runs.items():
    client, other = [], []
    for rs in reps.values():
        x, c, o = num(rs[0]["throughput"]), num(rs[0].get("client_cpu_pct")), num(rs[0].get("other_cpu_pct"))
        if x and c is not None and o is not None:
            client.append(c / 100 * 1e6 / x)
            other.append(o / 100 * 1e6 / x)
    if client:
        cpu_rows.append((system, wl, t, client, other))
if cpu_rows:
    us = lambda v: f"{v:,.0f}"
    print()
    print("CPU per operation in the measured window (us of CPU, medians):")
    print()
    print("| system | workload | threads | YCSB client | system under test |")
    print("|---|---|---|---|---|")
    for system, wl, t, client, other in cpu_rows:
        print(f"| {system} | {wl} | {t} | {med(client, us)} | {med(other, us)} |")

systems = list(dict.fromkeys(k[0] for k in tput))
cleaves = [s for s in systems if s.startswith("cleave")]
peers = [s for s in systems if not s.startswith("cleave")]
if len(cleaves) > 1 or peers:
    cols = [(c, p) for c in cleaves for p in peers] + [(c, cleaves[0]) for c in cleaves[1:]]
    print()
    print("Throughput ratios (medians):")
    print()
    print("| workload | threads | " + " | ".join(f"{a}/{b}" for a, b in cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for wl, t in dict.fromkeys((k[1], k[2]) for k in tput):
        cells = []
        for a, b in cols:
            x, y = tput.get((a, wl, t)), tput.get((b, wl, t))
            cells.append(f"{x / y:.2f}x" if x and y else "-")
        print(f"| {wl} | {t} | " + " | ".join(cells) + " |")
