#!/usr/bin/env python3
"""What storing costs `aiswatch replay`, beside what the databases themselves
can take (BENCHMARKS.md, "Storage that keeps up with the engine").

Usage: scripts/bench_storage.py [--bin target/release/aiswatch] [--rounds 5]
         [--vessels 2000] [--hours 4] [--seed 7] [--pg URL] [--out DIR]
         [--feed FILE] [--other BIN] [--migrated]

The feed is `aiswatch simulate` (every line unique: nothing collapses as a
duplicate before the store). Each round runs, in turn and on a fresh
database each time:

  none      replay --zones zones FEED                       (no storage)
  sqlite    replay --zones zones --db sqlite://… FEED
  postgres  replay --zones zones --db postgres://… FEED     (fresh schema)
  sqlite3 INSERT    the same position blocks (from one stored run, in the
            table's key order, through ATTACH: no parsing) into the same,
            freshly migrated schema, one transaction, `synchronous =
            NORMAL` as aiswatch's
  psql COPY         the same blocks into the same PostgreSQL schema (its day
            partitions made beforehand), one transaction

and, with --other, the sqlite and postgres replays of a second binary
(a before/after comparison in the same run); with --migrated, also each
binary's sqlite and postgres replays into a store whose schema was made
beforehand, as the limits' is (a first start makes it: 10–20 ms on SQLite,
60–90 ms on PostgreSQL). Prints medians, min/max and the
ratio of each median to the median without storage; writes OUT/rounds.tsv.
The physical limits store position blocks only (not the engine's other
rows: static changes, ticks, alerts, the per-hour lists).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

COLUMNS = "cell, hour, mmsi, first_seq, last_seq, t_min, t_max, n, points"
# The blocks' key, in the order of each database's index of it.
KEY = "cell, hour, mmsi, first_seq"
SQLITE_KEY = "hour, cell, mmsi, first_seq"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd, **kw):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    took = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr.decode(errors='replace')}")
    return took, p.stderr.decode(errors="replace")


def stored(stderr):
    m = re.search(r"stored in .*: (\d+) positions,", stderr)
    return int(m.group(1)) if m else None


def psql(pg, sql):
    run(["psql", "-q", "-v", "ON_ERROR_STOP=1", pg, "-c", sql], stdout=subprocess.DEVNULL,
        env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"})


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(repo, "target/release/aiswatch"))
    ap.add_argument("--other", help="a second aiswatch binary, timed beside --bin")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--vessels", type=int, default=2000)
    ap.add_argument("--hours", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--feed", help="an NMEA file instead of the simulated feed")
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/test")
    ap.add_argument("--out", default=os.path.join(repo, "bench-out/storage"))
    ap.add_argument("--migrated", action="store_true",
                    help="also replay into stores whose schema was made beforehand")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    out = os.path.abspath(a.out)
    zones = os.path.join(repo, "zones")
    schema = "bench_storage"
    pg_url = f"{a.pg}?options=-csearch_path%3D{schema}"

    def fresh_pg():
        psql(a.pg, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")

    feed = a.feed
    if not feed:
        feed = os.path.join(out, f"sim-{a.vessels}-{a.hours}-{a.seed}", "feed.nmea")
        if not os.path.exists(feed):
            run([a.bin, "simulate", "--vessels", str(a.vessels), "--hours", str(a.hours),
                 "--seed", str(a.seed), "--out", os.path.dirname(feed)],
                stdout=subprocess.DEVNULL)
    with open(feed, "rb") as f:
        lines = sum(1 for _ in f)

    # The rows the limits import: one stored run's blocks, in key order.
    ref = os.path.join(out, "ref.db")
    empty = os.path.join(out, "empty.nmea")
    open(empty, "w").close()
    for p in (ref, ref + "-wal", ref + "-shm"):
        if os.path.exists(p):
            os.remove(p)
    run([a.bin, "replay", "--zones", zones, "--db", f"sqlite://{ref}", feed],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pg_csv = os.path.join(out, "blocks_pg.csv")
    hex_columns = COLUMNS.replace("points", "'\\x' || hex(points)")
    with open(pg_csv, "w") as f:
        run(["sqlite3", "-csv", ref,
             f"SELECT {hex_columns} FROM position_blocks ORDER BY {KEY}"], stdout=f)
    days = [int(x) for x in subprocess.check_output(
        ["sqlite3", ref, "SELECT DISTINCT hour / 24 FROM position_blocks"]).split()]
    # An empty store made by each binary (its own migrations).
    templates = {}
    for b in [a.bin] + ([a.other] if a.other else []):
        template = os.path.join(out, f"template-{len(templates)}.db")
        for p in (template, template + "-wal", template + "-shm"):
            if os.path.exists(p):
                os.remove(p)
        run([b, "replay", "--db", f"sqlite://{template}", empty],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        templates[b] = template
    template = templates[a.bin]
    rows, blocks = (int(x) for x in subprocess.check_output(
        ["sqlite3", ref, "SELECT SUM(n), COUNT(*) FROM position_blocks"]).decode().split("|"))
    print(f"feed {feed}: {lines} lines; {rows} positions stored in {blocks} blocks; {a.rounds} rounds; "
          f"load {open('/proc/loadavg').read().split()[:3]}", flush=True)

    def sqlite_db(name):
        db = os.path.join(out, name)
        for p in (db, db + "-wal", db + "-shm"):
            if os.path.exists(p):
                os.remove(p)
        return db

    bins = [("", a.bin)] + ([("other ", a.other)] if a.other else [])
    results = {}
    positions = {}
    tsv = open(os.path.join(out, "rounds.tsv"), "w")

    def note(case, secs, n=None):
        results.setdefault(case, []).append(secs)
        if n is not None:
            positions[case] = n
        tsv.write(f"{case}\t{secs:.4f}\t{n or ''}\n")
        tsv.flush()

    for r in range(a.rounds):
        s, _ = timed([a.bin, "replay", "--zones", zones, feed])
        note("none", s)
        for tag, b in bins:
            db = sqlite_db("r.db")
            s, err = timed([b, "replay", "--zones", zones, "--db", f"sqlite://{db}", feed])
            note(f"{tag}sqlite", s, stored(err))
            fresh_pg()
            s, err = timed([b, "replay", "--zones", zones, "--db", pg_url, feed])
            note(f"{tag}postgres", s, stored(err))
            if a.migrated:
                db = sqlite_db("m.db")
                shutil.copy(templates[b], db)
                s, err = timed([b, "replay", "--zones", zones, "--db", f"sqlite://{db}", feed])
                note(f"{tag}sqlite, migrated", s, stored(err))
                fresh_pg()
                run([b, "replay", "--db", pg_url, empty],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                s, err = timed([b, "replay", "--zones", zones, "--db", pg_url, feed])
                note(f"{tag}postgres, migrated", s, stored(err))
        db = sqlite_db("lim.db")
        shutil.copy(template, db)
        s, _ = timed(["sqlite3", "-cmd", "PRAGMA synchronous = NORMAL", db,
                      f"ATTACH '{ref}' AS ref; BEGIN; INSERT INTO position_blocks ({COLUMNS}) "
                      f"SELECT {COLUMNS} FROM ref.position_blocks ORDER BY {SQLITE_KEY}; COMMIT"])
        note("sqlite3 INSERT", s, rows)
        fresh_pg()
        run([a.bin, "replay", "--db", pg_url, empty],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for d in days:
            psql(pg_url, f"CREATE TABLE position_blocks_d{d} PARTITION OF position_blocks "
                         f"FOR VALUES FROM ({d * 24}) TO ({(d + 1) * 24})")
        s, _ = timed(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-1", pg_url, "-c",
                      f"\\copy position_blocks ({COLUMNS}) FROM '{pg_csv}' WITH (FORMAT csv)"])
        note("psql COPY", s, rows)
        print(f"round {r + 1}: " + ", ".join(
            f"{k} {v[-1]:.3f}" for k, v in results.items()), flush=True)
    psql(a.pg, f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    base = statistics.median(results["none"])
    print(f"\n| case | median s | min–max s | × no storage | positions/s |")
    print("|---|---|---|---|---|")
    for case, v in results.items():
        m = statistics.median(v)
        n = positions.get(case)
        rate = f"{n / m:,.0f}" if n else ""
        print(f"| {case} | {m:.3f} | {min(v):.3f}–{max(v):.3f} | {m / base:.2f} | {rate} |")


if __name__ == "__main__":
    main()
