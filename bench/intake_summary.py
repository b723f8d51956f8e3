#!/usr/bin/env python3
"""Markdown table of one bench/intake.sh run: the app's figures next to the raw database's.

Usage: intake_summary.py WORK_FOLDER   (the folder bench/intake.sh prints at the end)
"""
import json
import pathlib
import statistics
import sys


def lines(path):
    p = pathlib.Path(path)
    if not p.exists():
        return []
    return [json.loads(l) for l in p.read_text().splitlines() if l.strip()]


def main():
    work = pathlib.Path(sys.argv[1])
    res = work / "limits-results"
    app = lines(work / "loadgen.jsonl")
    idle = {r["label"]: r["idle_rss_kib"] for r in lines(work / "idle.jsonl")}
    raw_sqlite = [r["tps"] for r in lines(res / "intake_sqlite.jsonl") if r.get("synchronous") == "FULL"]
    raw_pg = {}
    for r in lines(res / "intake_pg.jsonl"):
        raw_pg.setdefault(r["clients"], []).append(r["tps"])
    probes = lines(res / "fsync_probe.jsonl")
    for p in probes:
        print(f"fdatasync (8 KiB, gap {p['gap_ms']} ms): p50 {p['p50_us']} us, p99 {p['p99_us']} us")
    if raw_sqlite:
        print(f"raw SQLite FULL, 1 writer: {', '.join(str(x) for x in raw_sqlite)} tx/s "
              f"(median {statistics.median(raw_sqlite):.0f})")
    for c, v in sorted(raw_pg.items()):
        print(f"raw PostgreSQL pgbench, {c} clients: {', '.join(str(x) for x in v)} tx/s")
    print()
    print("| run | clients | orders/s | p50 ms | p99 ms | on hold | retried (cut + transport) | raw tx/s | ratio | RSS MiB (idle / peak) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in app:
        label = r["tag"]
        raw_at = None
        if label.startswith("sqlite"):
            raw = statistics.median(raw_sqlite) if raw_sqlite else None
        else:
            # pgbench at the same client count, or the largest one run below it
            below = [c for c in raw_pg if c <= r["clients"]]
            raw_at = max(below) if below else None
            raw = statistics.median(raw_pg[raw_at]) if raw_at else None
        ratio = f"{r['orders_per_s'] / raw:.2f}" if raw else "-"
        raw_s = f"{raw:.0f}" if raw else "-"
        if raw_at and raw_at != r["clients"]:
            raw_s += f" (at {raw_at})"
        rss = f"{idle.get(label, 0) / 1024:.1f} / {r['peak_rss_kib'] / 1024:.1f}"
        print(f"| {label} | {r['clients']} | {r['orders_per_s']:.0f} | {r['p50_ms']:.1f} | "
              f"{r['p99_ms']:.1f} | {r['on_hold']} of {r['orders']} | {r['cut']} + {r['retries']} | "
              f"{raw_s} | {ratio} | {rss} |")


if __name__ == "__main__":
    main()
