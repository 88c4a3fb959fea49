#!/usr/bin/env python3
"""Scaling curves: how aiswatch's throughput, memory and query latency grow
with the vessels tracked, the zones watched and the positions stored
(BENCHMARKS.md, "Scaling curves").

Usage: scripts/scaling.py [--curves vessels,zones,queries] [--vessels 1000,…]
         [--zone-sets none:0,box:1,…] [--positions 1000000,…]
         [--max-positions N] [--sqlite-max-positions N] [--pg URL]
         [--results DIR] [--out docs/scaling] [--no-build] [--report-only]

Every input is generated from a seed by the examples it runs (release build,
`cargo build --release --locked --examples` unless --no-build):

  vessels  examples/memory N, once with tracks only and once with one zone
           over the whole fleet and the detectors on, each in a process of
           its own under /usr/bin/time -v (maximum RSS). Heap live and peak
           per vessel from the example's counting allocator, messages/s from
           its ingest time. RSS per vessel is (RSS − RSS of a 1-vessel run of
           the same kind) / N. Runs below --repeat-below vessels are repeated
           --repeats times (medians).
  zones    examples/zone_scaling: one fixed decoded feed, zone sets of N
           zones tiled over its area (5-position boxes, or stars of
           10,000 vertices), loaded as the daemon loads them; engine
           messages/s (median of 3 ingests), load time, zone heap.
  queries  examples/store_bench --stream at each --positions: write rate,
           size on disk, 24 h track and 1°×1° 6 h box latencies (200 each;
           p50/p90/p99). PostgreSQL in a fresh schema per size (dropped
           afterwards unless --keep-stores), SQLite in a fresh file up to
           --sqlite-max-positions. A size is skipped, and said so, when the
           disk has not room for it (estimated from bytes/position).

Each measurement is kept as a JSON file in --results (default
target/scaling), so curves can be run apart; the report is made from all of
them: OUT.md (tables, each curve's growth computed from its figures: the
factor per step and the log-log slope), OUT.png (log-log plots) and OUT.json
(the figures). --report-only remakes them without measuring.
"""
import argparse
import datetime
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/test"
# Bytes on disk per stored position, for the room check before a run
# (positions in blocks, measured: PostgreSQL 168 B at 1 M and 64–74 B
# from 10 M on, SQLite 99 B and 46–58 B), with headroom.
DISK_PER_POSITION = {"postgres": 250, "sqlite": 160}


def ints(s):
    return [int(float(x)) for x in s.split(",") if x]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--curves", default="vessels,zones,queries")
    p.add_argument("--vessels", type=ints, default=ints("1000,10000,100000,1000000"))
    p.add_argument("--reports", type=int, default=100,
                   help="position reports per vessel (examples/memory)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--repeat-below", type=int, default=1_000_000,
                   help="repeat vessel runs with fewer vessels than this")
    p.add_argument("--zone-sets",
                   default="none:0,box:1,box:100,box:10000,star:1,star:100,star:1024",
                   help="SHAPE:COUNT list for examples/zone_scaling")
    p.add_argument("--zone-vessels", type=int, default=10_000)
    p.add_argument("--positions", type=ints,
                   default=ints("1000000,10000000,100000000"))
    p.add_argument("--max-positions", type=int, default=None,
                   help="drop --positions sizes above this")
    p.add_argument("--sqlite-max-positions", type=int, default=10_000_000)
    p.add_argument("--hours", type=float, default=48.0,
                   help="span of the stored fleet (store_bench --hours); 48 h keeps the "
                        "fleet and makes reporting denser as positions grow, "
                        "48 × N / 10 M keeps 10 M's density and makes the span longer")
    p.add_argument("--stores", default="postgres,sqlite")
    p.add_argument("--pg", default=PG_URL, help="PostgreSQL URL (trust auth)")
    p.add_argument("--keep-stores", action="store_true")
    p.add_argument("--results", type=Path, default=None)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "scaling")
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--report-only", action="store_true")
    a = p.parse_args()
    a.curves = [c for c in a.curves.split(",") if c]
    for c in a.curves:
        if c not in ("vessels", "zones", "queries"):
            p.error(f"unknown curve {c!r}")
    if a.max_positions:
        a.positions = [n for n in a.positions if n <= a.max_positions]
    a.target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if a.results is None:
        a.results = a.target / "scaling"
    return a


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def example(a, name):
    return str(a.target / "release" / "examples" / name)


def json_lines(text):
    return [json.loads(l[5:]) for l in text.splitlines() if l.startswith("JSON ")]


def run_example(cmd, env=None):
    """Runs cmd under /usr/bin/time -v; returns (JSON lines, max RSS bytes,
    wall s, load average before and after)."""
    before = load()
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True,
                       env={**os.environ, **(env or {})})
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr[-3000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) * 1024 if m else None
    return json_lines(p.stdout), rss, wall, [before, load()]


def machine():
    """This machine's processor and cores, as results record it."""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        cpu = "?"
    return f"{cpu}, {os.cpu_count()} cores"


def save(a, name, data):
    a.results.mkdir(parents=True, exist_ok=True)
    data.setdefault("machine", machine())
    data["measured_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    (a.results / f"{name}.json").write_text(json.dumps(data, indent=1))


# ---------------------------------------------------------------- vessels

def vessels_curve(a):
    binary = example(a, "memory")
    env = {"AISWATCH_MEMORY_REPORTS": str(a.reports)}
    for mode in ("tracks", "detectors"):
        # The fixed part of the RSS: the same process with one vessel.
        rows, rss, _, _ = run_example([binary, "1"], {**env, "AISWATCH_MEMORY_RUNS": mode})
        save(a, f"vessels-{mode}-base", {"mode": mode, "rss_bytes": rss})
        log(f"vessels {mode}: 1-vessel RSS {rss / 2**20:.1f} MB")
        for n in a.vessels:
            reps = a.repeats if n < a.repeat_below else 1
            runs = []
            for _ in range(reps):
                rows, rss, wall, ld = run_example(
                    [binary, str(n)], {**env, "AISWATCH_MEMORY_RUNS": mode})
                r = rows[0]
                r.update(rss_bytes=rss, wall_s=wall, load=ld,
                         msg_per_s=r["messages"] / r["ingest_s"])
                runs.append(r)
                log(f"vessels {mode} {n}: {r['msg_per_s']:.0f} msg/s, "
                    f"live {r['live_bytes'] / n:.0f} B/vessel, RSS {rss / 2**20:.0f} MB, load {ld}")
            save(a, f"vessels-{mode}-{n}", {"mode": mode, "vessels": n, "runs": runs})


# ------------------------------------------------------------------ zones

def zones_curve(a):
    sets = [s for s in a.zone_sets.split(",") if s]
    cmd = [example(a, "zone_scaling"), "--vessels", str(a.zone_vessels)]
    for s in sets:
        cmd += ["--set", s]
    log(f"zones: {' '.join(cmd)}")
    rows, rss, wall, ld = run_example(cmd)
    for r in rows:
        r["load"] = ld
        save(a, f"zones-{r['shape']}-{r['zones']}", r)
        log(f"zones {r['shape']}:{r['zones']}: {r['msg_per_s']:.0f} msg/s, load {r['load_s']:.2f} s")


# ---------------------------------------------------------------- queries

def psql(url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                   check=True, capture_output=True)


def queries_curve(a):
    for store in [s for s in a.stores.split(",") if s]:
        for n in a.positions:
            if store == "sqlite" and n > a.sqlite_max_positions:
                log(f"queries sqlite {n}: above --sqlite-max-positions, skipped")
                continue
            tag = f"{store}-{n}" + ("" if a.hours == 48 else f"-{a.hours:g}h")
            need = DISK_PER_POSITION[store] * n
            where = "/var/lib/postgresql" if store == "postgres" else str(a.results)
            probe = where if os.path.exists(where) else "/"
            free = shutil.disk_usage(probe).free
            if free < need:
                log(f"queries {store} {n}: needs ≈ {need / 1e9:.0f} GB, {free / 1e9:.0f} GB free: skipped")
                save(a, f"queries-{tag}", {"db": store, "positions_target": n, "hours": a.hours,
                                                  "skipped": f"needs ≈ {need / 1e9:.0f} GB of disk, "
                                                             f"{free / 1e9:.0f} GB free"})
                continue
            if store == "postgres":
                schema = f"scaling_{n}" + ("" if a.hours == 48 else f"_{a.hours:g}h")
                psql(a.pg, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
                url = f"{a.pg}?options=-csearch_path%3D{schema}"
            else:
                d = a.results / "sqlite"
                d.mkdir(parents=True, exist_ok=True)
                f = d / f"store-{n}.db"
                for old in d.glob(f"store-{n}.db*"):
                    old.unlink()
                url = f"sqlite://{f}"
            cmd = [example(a, "store_bench"), "--db", url, "--positions", str(n),
                   "--hours", f"{a.hours:g}", "--stream", "--baseline-runs", "1"]
            log(f"queries {store} {n}: {' '.join(cmd)} (free disk {free / 1e9:.0f} GB)")
            rows, rss, wall, ld = run_example(cmd)
            r = rows[0]
            r.update(rss_bytes=rss, wall_s=wall, load_around=ld, positions_target=n)
            save(a, f"queries-{tag}", r)
            log(f"queries {store} {n}: write {r['positions_per_s']:.0f}/s, "
                f"box p99 {r['box_1deg_6h']['p99_ms']:.1f} ms, track p99 {r['track_24h']['p99_ms']:.1f} ms, "
                f"{r['db_bytes'] / 1e9:.2f} GB, load {ld}")
            if not a.keep_stores:
                if store == "postgres":
                    psql(a.pg, f"DROP SCHEMA {schema} CASCADE")
                else:
                    for old in f.parent.glob(f"store-{n}.db*"):
                        old.unlink()


# ----------------------------------------------------------------- growth

def slope(xs, ys):
    """Least-squares slope of log y against log x."""
    lx = [math.log10(x) for x in xs]
    ly = [math.log10(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    den = sum((x - mx) ** 2 for x in lx)
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly)) / den if den else 0.0


def growth(xs, ys):
    """(words, per-step factors, slope, knees) for y against x: `flat` when
    10× x changes y by less than ×1.26 either way (|slope| < 0.1); `log`
    when y rises by about the same amount per decade of x (increments within
    3× of each other); `linear` for a slope of 0.75–1.25; else a power."""
    pts = [(x, y) for x, y in zip(xs, ys) if x and y]
    if len(pts) < 2:
        return "one point", [], None, []
    xs, ys = zip(*pts)
    k = slope(xs, ys)
    steps = [ys[i + 1] / ys[i] for i in range(len(ys) - 1)]
    step_k = [math.log10(ys[i + 1] / ys[i]) / math.log10(xs[i + 1] / xs[i])
              for i in range(len(ys) - 1)]
    incs = [(ys[i + 1] - ys[i]) / math.log10(xs[i + 1] / xs[i]) for i in range(len(ys) - 1)]
    if abs(k) < 0.1:
        words = "flat"
    elif 0.75 <= k <= 1.25:
        words = "linear"
    elif 0 < k < 0.75 and len(incs) >= 2 and all(i > 0 for i in incs) and max(incs) <= 3 * min(incs):
        words = "log (≈ same rise per decade)"
    elif -0.75 < k < 0 and len(incs) >= 2 and all(i < 0 for i in incs) and min(incs) >= 3 * max(incs):
        words = "falls by log (≈ same drop per decade)"
    else:
        words = f"power, ∝ x^{k:.2f}"
    # A knee: a step whose own slope is 0.35 or more away from the next one's.
    knees = [(xs[i + 1], step_k[i], step_k[i + 1]) for i in range(len(step_k) - 1)
             if abs(step_k[i + 1] - step_k[i]) >= 0.35]
    return words, steps, k, knees


def growth_line(name, xs, ys):
    words, steps, k, knees = growth(xs, ys)
    if k is None:
        return f"- {name}: {words}."
    s = f"- {name}: **{words}** (log-log slope {k:+.2f}; factor per step " + \
        ", ".join(f"×{f:.2f}" for f in steps) + ")"
    for x, k0, k1 in knees:
        s += f"; knee at {fmt_n(x)} (slope {k0:+.2f} before, {k1:+.2f} after)"
    return s + "."


def fmt_n(n):
    for div, suf in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if n >= div:
            v = n / div
            return f"{v:.0f}{suf}" if v == int(v) else f"{v:.1f}{suf}"
    return f"{n:g}"


# ----------------------------------------------------------------- report

def read_results(a):
    out = {}
    if a.results.is_dir():
        for f in sorted(a.results.glob("*.json")):
            out[f.stem] = json.loads(f.read_text())
    return out


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def report(a):
    res = read_results(a)
    if not res:
        sys.exit(f"no results in {a.results}")
    md = ["# Scaling curves", "",
          f"Made by `scripts/scaling.py` from the figures in `{a.out.name}.json`; "
          "growth is computed from them (log-log slope by least squares, and the factor "
          "from one size to the next). Medians where a size was run more than once.", ""]
    kinds = {}
    for name, r in res.items():
        kinds.setdefault(r.get("machine", "not recorded"), set()).add(name.split("-")[0])
    md += ["Machines (load average during the runs is given per row): " +
           "; ".join(f"{m} ({', '.join(sorted(k))})" for m, k in sorted(kinds.items())) + ".", ""]
    curves = {}

    # vessels
    vs = {}
    for mode in ("tracks", "detectors"):
        base = res.get(f"vessels-{mode}-base", {}).get("rss_bytes")
        rows = sorted((r for k, r in res.items() if k.startswith(f"vessels-{mode}-") and "runs" in r),
                      key=lambda r: r["vessels"])
        vs[mode] = []
        for r in rows:
            n, runs = r["vessels"], r["runs"]
            rss = med(runs, "rss_bytes")
            vs[mode].append({
                "vessels": n, "messages": runs[0]["messages"], "runs": len(runs),
                "msg_per_s": med(runs, "msg_per_s"),
                "live": med(runs, "live_bytes") / n, "indexed": med(runs, "live_indexed_bytes") / n,
                "peak": med(runs, "peak_bytes") / n, "rss": rss,
                "rss_per": (rss - base) / n if base else None, "base": base,
                "load": max(max(x["load"]) for x in runs),
                "reports": runs[0].get("reports_per_vessel"),
            })
    if any(vs.values()):
        curves["vessels"] = vs
        md += ["## Throughput and memory against vessels tracked (`examples/memory`)", "",
               "Class A vessels uniform over lon −10..30, lat 30..60, one type 5 and "
               f"{next(r['reports'] for m in vs.values() for r in m)} position reports each over 3 h; "
               "`Engine::ingest` in batches of 512. *tracks*: no zones; *detectors*: one patrol "
               "zone over the whole fleet, dark period, loitering, rendezvous and spoofing on. "
               "Heap from a counting allocator (requested bytes, after the input is built); "
               "RSS is the process's maximum (`/usr/bin/time -v`) less that of a 1-vessel run "
               "of the same kind (the fixed baseline, given below), per vessel.", "",
               "| run | vessels | messages | msg/s | live B/vessel | live + index | peak B/vessel | "
               "RSS MB | RSS − base, B/vessel | runs | load |",
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for mode, rows in vs.items():
            for r in rows:
                md.append(f"| {mode} | {r['vessels']:,} | {r['messages']:,} | {r['msg_per_s']:,.0f} | "
                          f"{r['live']:,.0f} | {r['indexed']:,.0f} | {r['peak']:,.0f} | "
                          f"{r['rss'] / 2**20:,.0f} | "
                          f"{r['rss_per']:,.0f} | {r['runs']} | {r['load']:.1f} |"
                          if r["rss_per"] is not None else
                          f"| {mode} | {r['vessels']:,} | {r['messages']:,} | {r['msg_per_s']:,.0f} | "
                          f"{r['live']:,.0f} | {r['indexed']:,.0f} | {r['peak']:,.0f} | "
                          f"{r['rss'] / 2**20:,.0f} | – | {r['runs']} | {r['load']:.1f} |")
        md.append("")
        for mode, rows in vs.items():
            if not rows:
                continue
            xs = [r["vessels"] for r in rows]
            base = rows[0]["base"]
            md.append(f"Growth against vessels, {mode} (1-vessel RSS {base / 2**20:.1f} MB):" if base
                      else f"Growth against vessels, {mode}:")
            md.append(growth_line("msg/s", xs, [r["msg_per_s"] for r in rows]))
            md.append(growth_line("live B/vessel", xs, [r["live"] for r in rows]))
            md.append(growth_line("peak B/vessel", xs, [r["peak"] for r in rows]))
            if all(r["rss_per"] for r in rows):
                md.append(growth_line("RSS B/vessel", xs, [r["rss_per"] for r in rows]))
            md.append("")

    # zones
    zs = sorted((r for k, r in res.items() if k.startswith("zones-")),
                key=lambda r: (r["shape"] != "none", r["shape"], r["zones"]))
    if zs:
        curves["zones"] = zs
        base = next((r["msg_per_s"] for r in zs if r["shape"] == "none"), None)
        md += ["## Engine throughput against zones (`examples/zone_scaling`)", "",
               f"One decoded feed ({zs[0]['vessels']:,} vessels, {zs[0]['messages']:,} messages, "
               "as above); N zones tiled over its area in a √N × √N grid: *box* the middle 80 % of "
               "its cell (5 positions), *star* a seeded jagged outline of "
               f"{next((r['vertices_per_zone'] for r in zs if r['shape'] == 'star'), 10000):,} vertices; "
               "all patrol zones with the four detectors. Load = `ZoneSet::load_dir` (parse, "
               "validate, index). msg/s: median of 3 ingests by a fresh engine.", "",
               "| zones | shape | vertices | file MB | load s | zone heap MB | reports in a zone | "
               "msg/s | × no zones | alerts | load |",
               "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in zs:
            ratio = f"{r['msg_per_s'] / base:.2f}" if base else "–"
            md.append(f"| {r['zones']:,} | {r['shape']} | {r['vertices']:,} | "
                      f"{r['file_bytes'] / 1e6:.1f} | {r['load_s']:.3f} | "
                      f"{r['zone_heap_bytes'] / 2**20:.1f} | {r['in_zone_share'] * 100:.0f} % | "
                      f"{r['msg_per_s']:,.0f} | {ratio} | {r['alerts']:,} | {max(r['load']):.1f} |")
        md.append("")
        stars = [r for r in zs if r["shape"] == "star" and r["vertices"]]
        if stars and max(r["zones"] for r in stars) < 10_000:
            per_vertex = stars[-1]["zone_heap_bytes"] / stars[-1]["vertices"]
            md += [f"10,000 stars of {stars[-1]['vertices_per_zone']:,} vertices (10⁸ vertices) were not "
                   f"run: at the {per_vertex:.0f} B a vertex measured for {stars[-1]['zones']:,} of them, "
                   f"the zone heap alone would be ≈ {per_vertex * 1e8 / 2**30:.0f} GiB, and the zone "
                   f"file ≈ {stars[-1]['file_bytes'] / stars[-1]['vertices'] * 1e8 / 1e9:.0f} GB.", ""]
        for shape in ("box", "star"):
            rows = [r for r in zs if r["shape"] == shape]
            if len(rows) < 2:
                continue
            xs = [r["zones"] for r in rows]
            md.append(f"Growth against zones, {shape}:")
            md.append(growth_line("msg/s", xs, [r["msg_per_s"] for r in rows]))
            md.append(growth_line("load s", xs, [r["load_s"] for r in rows]))
            md.append(growth_line("zone heap", xs, [r["zone_heap_bytes"] for r in rows]))
            md.append("")

    # queries
    qs = {}
    for k, r in res.items():
        if k.startswith("queries-"):
            qs.setdefault(f"{r['db']}, {r.get('hours', 48):g} h", []).append(r)
    if qs:
        curves["queries"] = qs
        md += ["## Query latency against positions stored (`examples/store_bench --stream`)", "",
               "Seeded fleet of 20,000 vessels in lon 0..20, lat −10..10 over the span given, "
               "written through the daemon's writer task (the fleet generated on a thread beside "
               "it); then 200 seeded queries of each kind, every answer checked. Over 48 h, more "
               "positions means denser reporting by the same fleet, so a box or a track holds "
               "more points (mean rows given; an answer is at most 10,000 points, one page); a "
               "longer span at the same positions per hour keeps the answers' size. Aims at "
               "100 M: box p99 < 20 ms, track p99 < 10 ms.", "",
               "| store, span | positions | write /s | on disk GB | B/position | box rows | box p50 / p90 / p99 ms | "
               "track rows | track p50 / p90 / p99 ms | load |",
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for db in sorted(qs):
            qs[db].sort(key=lambda r: r.get("positions") or r["positions_target"])
            for r in qs[db]:
                if "skipped" in r:
                    md.append(f"| {db} | {fmt_n(r['positions_target'])} | skipped: {r['skipped']} "
                              "| | | | | | | |")
                    continue
                b, t = r["box_1deg_6h"], r["track_24h"]
                md.append(f"| {db} | {r['positions']:,} | {r['positions_per_s']:,.0f} | "
                          f"{r['db_bytes'] / 1e9:.2f} | {r['positions_bytes'] / r['positions']:.0f} | "
                          f"{b['mean_rows']:,.0f}{' (page full ×' + str(b['full_pages']) + ')' if b['full_pages'] else ''} | {b['p50_ms']:.1f} / {b['p90_ms']:.1f} / **{b['p99_ms']:.1f}** | "
                          f"{t['mean_rows']:,.0f} | {t['p50_ms']:.1f} / {t['p90_ms']:.1f} / **{t['p99_ms']:.1f}** | "
                          f"{max(r['load_around']):.1f} |")
        md.append("")
        base48 = {k.split(",")[0]: [r for r in v if "skipped" not in r]
                  for k, v in qs.items() if k.endswith(", 48 h")}
        for key in sorted(qs):
            if key.endswith(", 48 h"):
                continue
            for r in [r for r in qs[key] if "skipped" not in r]:
                same = base48.get(r["db"], [])
                if not same:
                    continue
                ref = min(same, key=lambda q: abs(math.log(q["track_24h"]["mean_rows"] /
                                                           r["track_24h"]["mean_rows"])))
                rb, rt = r["box_1deg_6h"], r["track_24h"]
                qb, qt = ref["box_1deg_6h"], ref["track_24h"]
                md.append(f"- {key}, {fmt_n(r['positions'])} against 48 h, {fmt_n(ref['positions'])} "
                          f"(answers of the same size: box {rb['mean_rows']:,.0f} and {qb['mean_rows']:,.0f} rows): "
                          f"{r['positions'] / ref['positions']:.0f}× the positions; box p50 ×{rb['p50_ms'] / qb['p50_ms']:.2f}, "
                          f"p99 ×{rb['p99_ms'] / qb['p99_ms']:.2f}; track p50 ×{rt['p50_ms'] / qt['p50_ms']:.2f}, "
                          f"p99 ×{rt['p99_ms'] / qt['p99_ms']:.2f}; write /s ×{r['positions_per_s'] / ref['positions_per_s']:.2f}.")
                b, t = rb["p99_ms"], rt["p99_ms"]
                md.append(f"- At {fmt_n(r['positions'])} over {r['hours']:g} h: box p99 {b:.1f} ms "
                          f"({'meets' if b < 20 else 'misses'} < 20 ms), track p99 {t:.1f} ms "
                          f"({'meets' if t < 10 else 'misses'} < 10 ms).")
        md.append("")
        for db in sorted(qs):
            rows = [r for r in qs[db] if "skipped" not in r]
            if len(rows) < 2:
                continue
            xs = [r["positions"] for r in rows]
            md.append(f"Growth against positions, {db}:")
            md.append(growth_line("box p99", xs, [r["box_1deg_6h"]["p99_ms"] for r in rows]))
            md.append(growth_line("box rows", xs, [r["box_1deg_6h"]["mean_rows"] for r in rows]))
            capped = [fmt_n(r["positions"]) for r in rows if r["box_1deg_6h"]["full_pages"]]
            if capped:
                md.append(f"  (box answers filled their 10,000-point page at {', '.join(capped)}: "
                          "rows there are capped, not a growth of their own)")
            md.append(growth_line("box p99 per 1,000 rows", xs,
                                  [r["box_1deg_6h"]["p99_ms"] / r["box_1deg_6h"]["mean_rows"] * 1000
                                   for r in rows]))
            md.append(growth_line("track p99", xs, [r["track_24h"]["p99_ms"] for r in rows]))
            md.append(growth_line("track rows", xs, [r["track_24h"]["mean_rows"] for r in rows]))
            md.append(growth_line("write /s", xs, [r["positions_per_s"] for r in rows]))
            md.append(growth_line("bytes/position", xs,
                                  [r["positions_bytes"] / r["positions"] for r in rows]))
            big = rows[-1]
            if big["positions"] >= 99_000_000:
                b, t = big["box_1deg_6h"]["p99_ms"], big["track_24h"]["p99_ms"]
                md.append(f"- At {fmt_n(big['positions'])}: box p99 {b:.1f} ms "
                          f"({'meets' if b < 20 else 'misses'} < 20 ms), track p99 {t:.1f} ms "
                          f"({'meets' if t < 10 else 'misses'} < 10 ms).")
            md.append("")

    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".md").write_text("\n".join(md))
    a.out.with_suffix(".json").write_text(json.dumps(res, indent=1, sort_keys=True))
    plot(a, curves)
    log(f"wrote {a.out.with_suffix('.md')}, .png, .json")


def plot(a, curves):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(2, 2, figsize=(10, 7.5))
    ax = ax.ravel()
    for x in ax:
        x.set_xscale("log")
        x.set_yscale("log")
        x.grid(True, which="major", alpha=0.4)
    vs = curves.get("vessels", {})
    for mode, rows in vs.items():
        if rows:
            xs = [r["vessels"] for r in rows]
            ax[0].plot(xs, [r["msg_per_s"] for r in rows], "o-", label=mode)
            ax[1].plot(xs, [r["live"] for r in rows], "o-", label=f"{mode}: live heap")
            ax[1].plot(xs, [r["peak"] for r in rows], "s--", label=f"{mode}: peak heap")
            if all(r["rss_per"] for r in rows):
                ax[1].plot(xs, [r["rss_per"] for r in rows], "^:", label=f"{mode}: RSS − base")
    ax[0].set(title="Engine ingest against vessels", xlabel="vessels", ylabel="messages/s")
    ax[1].set(title="Memory per vessel", xlabel="vessels", ylabel="bytes/vessel")
    zs = curves.get("zones", [])
    for shape, mark in (("box", "o-"), ("star", "s-")):
        rows = [r for r in zs if r["shape"] == shape]
        if rows:
            v = rows[0]["vertices_per_zone"]
            ax[2].plot([r["zones"] for r in rows], [r["msg_per_s"] for r in rows], mark,
                       label=f"{shape} ({v:,} vertices)")
    none = [r for r in zs if r["shape"] == "none"]
    if none:
        ax[2].axhline(none[0]["msg_per_s"], color="grey", ls=":", label="no zones")
    ax[2].set(title="Engine ingest against zones", xlabel="zones", ylabel="messages/s")
    for db, rows in sorted(curves.get("queries", {}).items()):
        rows = [r for r in rows if "skipped" not in r]
        if rows:
            xs = [r["positions"] for r in rows]
            ax[3].plot(xs, [r["box_1deg_6h"]["p99_ms"] for r in rows], "o-", label=f"{db}: box p99")
            ax[3].plot(xs, [r["track_24h"]["p99_ms"] for r in rows], "s--", label=f"{db}: track p99")
    ax[3].axhline(20, color="tab:red", ls=":", lw=1, label="box aim 20 ms")
    ax[3].axhline(10, color="tab:purple", ls=":", lw=1, label="track aim 10 ms")
    ax[3].set(title="Query p99 against positions stored", xlabel="positions", ylabel="ms")
    for x in ax:
        if x.get_legend_handles_labels()[0]:
            x.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.out.with_suffix(".png"), dpi=80)


def main():
    a = parse_args()
    if not a.report_only:
        if not a.no_build:
            subprocess.run(["nice", "-n", "19", "cargo", "build", "--release", "--locked",
                            "--examples"], cwd=ROOT, check=True)
        log(f"curves {','.join(a.curves)}; results in {a.results}; load {load()}")
        if "queries" in a.curves:
            queries_curve(a)
        if "zones" in a.curves:
            zones_curve(a)
        if "vessels" in a.curves:
            vessels_curve(a)
    report(a)


if __name__ == "__main__":
    main()
