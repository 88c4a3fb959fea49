#!/usr/bin/env python3
"""Replay CPU and wall time of aiswatch builds, alternating, on a simulated feed.

Usage: A=OLD_BIN B=NEW_BIN python3 scripts/ab_replay.py ROUNDS  (run in a directory holding
sim/ from `aiswatch simulate --out sim --vessels 1000 --hours 6 --seed 7`, with spoofing
added to sim-patrol as scripts/bench_detectors.sh does). Prints medians and ratios.

Or, with cases of your own (BENCHMARKS.md's paired stored replays):

  python3 scripts/ab_replay.py ROUNDS --feed FEED [--zones DIR] [--pg URL] \\
      --case NAME=BIN[:STORE[:VAR=VALUE,...]] --case ...

STORE is `none` (the default), `sqlite` (a fresh file each run) or `postgres` (the
schema of --pg dropped and made anew each run); the variables are set for that case's
runs only. The cases run in turn in every round, their order rotated by one each
round. Prints for each case the medians of wall time, CPU (user + system, `wait4`) and
minor page faults, and the median of each round's wall-time ratio to the first case.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def two_builds(rounds):
    bins = {"before": os.environ.get("A", "/tmp/aiswatch-before"),
            "after": os.environ.get("B", "/tmp/aiswatch-new")}
    args = argparse.Namespace(zones="sim/zones", feed="sim/feed.nmea")
    cpu = {k: [] for k in bins}
    wall = {k: [] for k in bins}
    for i in range(rounds):
        order = list(bins) if i % 2 == 0 else list(bins)[::-1]
        for k in order:
            took, used, _ = run_case((k, bins[k], "none", {}), args, None)
            cpu[k].append(used)
            wall[k].append(took)
    for k in bins:
        print(f"{k}: cpu median {statistics.median(cpu[k]):.3f} s, "
              f"wall median {statistics.median(wall[k]):.3f} s")
    ratios = [a / b for a, b in zip(cpu["after"], cpu["before"])]
    print(f"after/before cpu: ratio of medians "
          f"{statistics.median(cpu['after'])/statistics.median(cpu['before']):.3f}, "
          f"median of round ratios {statistics.median(ratios):.3f}")
    print(f"after/before wall: ratio of medians "
          f"{statistics.median(wall['after'])/statistics.median(wall['before']):.3f}")


def parse_case(text):
    name, sep, rest = text.partition("=")
    if not sep or not name:
        sys.exit(f"--case {text!r}: expected NAME=BIN[:STORE[:VAR=VALUE,...]]")
    binary, _, rest = rest.partition(":")
    store, _, env_text = rest.partition(":")
    store = store or "none"
    if store not in ("none", "sqlite", "postgres"):
        sys.exit(f"--case {text!r}: the store is none, sqlite or postgres, not {store!r}")
    env = {}
    for kv in filter(None, env_text.split(",")):
        k, sep, v = kv.partition("=")
        if not sep:
            sys.exit(f"--case {text!r}: {kv!r} is not VAR=VALUE")
        env[k] = v
    return name, binary, store, env


def run_case(case, args, scratch):
    name, binary, store, env = case
    cmd = [binary, "replay", "--zones", args.zones]
    if store == "sqlite":
        shutil.rmtree(scratch, ignore_errors=True)
        os.makedirs(scratch)
        cmd += ["--db", f"sqlite://{scratch}/store.db"]
    elif store == "postgres":
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", args.pg, "-c",
                        "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cmd += ["--db", args.pg]
    cmd.append(args.feed)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env={**os.environ, **env})
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    took = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"{name}: {' '.join(cmd)} failed:\n{err.decode(errors='replace')}")
    return took, usage.ru_utime + usage.ru_stime, usage.ru_minflt


def cases(args):
    runs = [parse_case(c) for c in args.case]
    got = {c[0]: [] for c in runs}
    if len(got) != len(runs):
        sys.exit("each --case needs a name of its own")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = os.path.join(tmp, "store")
        for i in range(args.rounds):
            order = runs if i % 2 == 0 else runs[1:] + runs[:1]
            for c in order:
                got[c[0]].append(run_case(c, args, scratch))
    first = runs[0][0]
    med = statistics.median
    print("| case | wall s | CPU s | minor faults | wall ÷ first, per round |")
    print("|---|---:|---:|---:|---:|")
    for name, v in got.items():
        ratio = med(a[0] / b[0] for a, b in zip(v, got[first]))
        print(f"| {name} | {med(x[0] for x in v):.3f} | {med(x[1] for x in v):.3f} "
              f"| {med(x[2] for x in v):,.0f} | {ratio:.3f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rounds", type=int)
    ap.add_argument("--case", action="append", default=[],
                    help="NAME=BIN[:STORE[:VAR=VALUE,...]], repeated; none: A and B")
    ap.add_argument("--feed", help="the NMEA feed replayed (with --case)")
    ap.add_argument("--zones", default=os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "zones"))
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    if not args.case:
        two_builds(args.rounds)
        return
    if not args.feed:
        sys.exit("--case needs --feed")
    cases(args)


if __name__ == "__main__":
    main()
