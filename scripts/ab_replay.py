#!/usr/bin/env python3
"""Replay CPU and wall time of two aiswatch builds, alternating, on a simulated feed.

Usage: A=OLD_BIN B=NEW_BIN python3 scripts/ab_replay.py ROUNDS  (run in a directory holding
sim/ from `aiswatch simulate --out sim --vessels 1000 --hours 6 --seed 7`, with spoofing
added to sim-patrol as scripts/bench_detectors.sh does). Prints medians and ratios.
"""
import resource, subprocess, statistics, sys
import os
bins = {"before": os.environ.get("A","/tmp/aiswatch-before"), "after": os.environ.get("B","/tmp/aiswatch-new")}
rounds = int(sys.argv[1])
cpu = {k: [] for k in bins}
wall = {k: [] for k in bins}
import time
for i in range(rounds):
    order = list(bins) if i % 2 == 0 else list(bins)[::-1]
    for k in order:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([bins[k], "replay", "--zones", "sim/zones", "sim/feed.nmea"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[k].append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        wall[k].append(t1 - t0)
for k in bins:
    print(f"{k}: cpu median {statistics.median(cpu[k]):.3f} s, wall median {statistics.median(wall[k]):.3f} s")
ratios = [a / b for a, b in zip(cpu["after"], cpu["before"])]
print(f"after/before cpu: ratio of medians {statistics.median(cpu['after'])/statistics.median(cpu['before']):.3f}, median of round ratios {statistics.median(ratios):.3f}")
print(f"after/before wall: ratio of medians {statistics.median(wall['after'])/statistics.median(wall['before']):.3f}")
