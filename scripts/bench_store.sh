#!/usr/bin/env bash
# Store benchmarks in one run, with their baselines (see BENCHMARKS.md, "store").
#
# Usage: scripts/bench_store.sh
#   env: OUT=dir (default bench-out/store), PG=base URL (default
#        postgres://postgres@127.0.0.1:5432/test), POSITIONS (default 10000000),
#        VESSELS (20000), HOURS (48), SEED (1), RUNS (hyperfine runs, 5),
#        SIM_VESSELS (2000), SIM_HOURS (4): the replay input (~0.95 M lines),
#        REPLAY_BIN: the aiswatch binary timed by `replay` (default: ours if its
#        `replay` has `--db`, else /work/main/target/release/aiswatch if that has it).
#
# 1. Builds release (`aiswatch`, `examples/store_bench`).
# 2. Makes the replay input with `aiswatch simulate` (tag-blocked NMEA).
# 3. hyperfine (RUNS runs each, no warm-up), two groups:
#    a. REPLAY_BIN (whatever write path it was built with):
#      replay --zones zones FILE                      (baseline, no storage)
#      replay --zones zones --db sqlite://…/r.db FILE (fresh file each run)
#      replay --zones zones --db postgres://…bench_replay FILE (fresh schema each run)
#    b. the same three through `store_bench --replay` (the replay loop of
#       `aiswatch replay --db`, on this tree's write path),
#    then one more run of each --db to record the positions stored.
# 4. store_bench on SQLite and on PostgreSQL (POSITIONS positions, fresh schema).
# 5. Prints a summary (and OUT/summary.json). PostgreSQL schemas
#    bench_replay and bench_store are dropped at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=${OUT:-$repo/bench-out/store}
pg=${PG:-postgres://postgres@127.0.0.1:5432/test}
positions=${POSITIONS:-10000000}
vessels=${VESSELS:-20000}
hours=${HOURS:-48}
seed=${SEED:-1}
runs=${RUNS:-5}
sim_vessels=${SIM_VESSELS:-2000}
sim_hours=${SIM_HOURS:-4}
mkdir -p "$out"
out=$(cd "$out" && pwd)

psql_do() { psql -q -v ON_ERROR_STOP=1 "$pg" -c "$1" > /dev/null; }
pg_schema_url() { echo "$pg?options=-csearch_path%3D$1"; }
cleanup() {
  psql_do "DROP SCHEMA IF EXISTS bench_replay CASCADE; DROP SCHEMA IF EXISTS bench_store CASCADE" || true
  rm -f "$out"/r.db* "$out"/s.db*
}
trap cleanup EXIT

echo "== build (load: $(cat /proc/loadavg))" >&2
(cd "$repo" && cargo build --release --bin aiswatch --example store_bench)
bin=$repo/target/release/aiswatch
sb=$repo/target/release/examples/store_bench

has_db() { "$1" replay --help 2>/dev/null | grep -q -- '--db'; }
replay_bin=${REPLAY_BIN:-}
if [ -z "$replay_bin" ]; then
  if has_db "$bin"; then replay_bin=$bin
  elif [ -x /work/main/target/release/aiswatch ] && has_db /work/main/target/release/aiswatch; then
    # A copy: the original may be rebuilt while we run.
    cp /work/main/target/release/aiswatch "$out/aiswatch-replay"
    replay_bin=$out/aiswatch-replay
    echo "NOTE: our replay has no --db; timing a copy of /work/main/target/release/aiswatch" >&2
  else
    echo "no aiswatch binary with 'replay --db'" >&2; exit 1
  fi
fi
has_db "$replay_bin" || { echo "$replay_bin: replay has no --db" >&2; exit 1; }

echo "== replay input" >&2
sim=$out/sim
if [ ! -f "$sim/feed.nmea" ]; then
  rm -rf "$sim"
  "$bin" simulate --vessels "$sim_vessels" --hours "$sim_hours" --seed "$seed" --out "$sim" > /dev/null
fi
feed=$sim/feed.nmea
lines=$(wc -l < "$feed")
zones=$repo/zones

r=$(printf %q "$replay_bin"); s=$(printf %q "$sb"); f=$(printf %q "$feed"); z=$(printf %q "$zones")
sq_url="sqlite://$out/r.db"
pg_url=$(pg_schema_url bench_replay)
fresh_sqlite="rm -f $(printf %q "$out")/r.db $(printf %q "$out")/r.db-wal $(printf %q "$out")/r.db-shm"
fresh_pg="psql -q -v ON_ERROR_STOP=1 '$pg' -c 'DROP SCHEMA IF EXISTS bench_replay CASCADE; CREATE SCHEMA bench_replay' > /dev/null"

echo "== replay: $lines lines, $(nproc) CPUs, $(uname -r), load: $(cat /proc/loadavg)" >&2
hyperfine --runs "$runs" --export-json "$out/replay.json" \
  --prepare true --prepare "$fresh_sqlite" --prepare "$fresh_pg" \
  --prepare true --prepare "$fresh_sqlite" --prepare "$fresh_pg" \
  -n "replay (no storage)" "$r replay --zones $z $f > /dev/null 2>&1" \
  -n "replay --db sqlite" "$r replay --zones $z --db '$sq_url' $f > /dev/null 2>&1" \
  -n "replay --db postgres" "$r replay --zones $z --db '$pg_url' $f > /dev/null 2>&1" \
  -n "store_bench --replay (no storage)" "$s --replay $f --zones $z > /dev/null 2>&1" \
  -n "store_bench --replay --db sqlite" "$s --replay $f --zones $z --db '$sq_url' > /dev/null 2>&1" \
  -n "store_bench --replay --db postgres" "$s --replay $f --zones $z --db '$pg_url' > /dev/null 2>&1"

# One more run of each with storage, to record what was stored.
eval "$fresh_sqlite"
"$replay_bin" replay --zones "$zones" --db "$sq_url" "$feed" 2> "$out/replay_sqlite.txt" > /dev/null
eval "$fresh_pg"
"$replay_bin" replay --zones "$zones" --db "$pg_url" "$feed" 2> "$out/replay_postgres.txt" > /dev/null
eval "$fresh_sqlite"
"$sb" --replay "$feed" --zones "$zones" --db "$sq_url" 2> "$out/sb_replay_sqlite.txt" > /dev/null
eval "$fresh_pg"
"$sb" --replay "$feed" --zones "$zones" --db "$pg_url" 2> "$out/sb_replay_postgres.txt" > /dev/null
sqlite_bytes=$(( $(stat -c %s "$out/r.db") + $(stat -c %s "$out/r.db-wal" 2>/dev/null || echo 0) ))
pg_bytes=$(psql -tA "$pg" -c "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c \
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'bench_replay' AND c.relkind = 'r'")

echo "== store_bench sqlite (load: $(cat /proc/loadavg))" >&2
rm -f "$out"/s.db*
"$sb" --db "sqlite://$out/s.db" --positions "$positions" --vessels "$vessels" --hours "$hours" --seed "$seed" \
  | tee "$out/store_sqlite.txt"
rm -f "$out"/s.db*
echo "== store_bench postgres (load: $(cat /proc/loadavg))" >&2
psql_do "DROP SCHEMA IF EXISTS bench_store CASCADE; CREATE SCHEMA bench_store"
"$sb" --db "$(pg_schema_url bench_store)" --positions "$positions" --vessels "$vessels" --hours "$hours" --seed "$seed" \
  | tee "$out/store_postgres.txt"

python3 - "$out" "$lines" "$sqlite_bytes" "$pg_bytes" "$replay_bin" <<'EOF'
import json, re, sys
out, lines, sq_bytes, pg_bytes, replay_bin = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
res = {r["command"]: r for r in json.load(open(f"{out}/replay.json"))["results"]}
def stored(f):
    m = re.search(r"stored in .*?: (\d+) positions", open(f"{out}/{f}").read())
    return int(m.group(1)) if m else None
summary = {"lines": lines, "replay_bin": replay_bin, "replay": {}, "store_bench": {}}
print(f"\nreplay of {lines} lines, medians of hyperfine runs; ratio to the no-storage run of the same group:")
print(f"  {'case':<36} {'median s':>9} {'ratio':>6} {'positions':>10} {'pos/s overall':>14} {'pos/s extra':>12}")
groups = [("replay", "replay", f"({replay_bin})"), ("store_bench --replay", "sb_replay", "(this tree's write path)")]
for prefix, files, note in groups:
    base = res[f"{prefix} (no storage)"]["median"]
    for case, db in [("(no storage)", None), ("--db sqlite", "sqlite"), ("--db postgres", "postgres")]:
        name = f"{prefix} {case}"
        med = res[name]["median"]
        n = stored(f"{files}_{db}.txt") if db else None
        row = {"median_s": med, "min_s": res[name]["min"], "max_s": res[name]["max"], "ratio": med / base}
        cols = [f"{name:<36}", f"{med:>9.3f}", f"{med / base:>6.2f}"]
        if n:
            row.update(positions=n, positions_per_s=n / med, extra_positions_per_s=n / max(med - base, 1e-9))
            cols += [f"{n:>10}", f"{n / med:>14.0f}", f"{n / max(med - base, 1e-9):>12.0f}"]
        summary["replay"][name] = row
        print("  " + " ".join(cols) + ("  " + note if db is None else ""))
summary["replay_db_bytes"] = {"sqlite": sq_bytes, "postgres": pg_bytes}
print(f"  (pos/s overall: positions / wall time; pos/s extra: positions / (wall time - baseline));"
      f" stores after one replay: SQLite {sq_bytes / 2**20:.1f} MB, PostgreSQL {pg_bytes / 2**20:.1f} MB")
for db in ("sqlite", "postgres"):
    j = [l for l in open(f"{out}/store_{db}.txt") if l.startswith("JSON ")]
    summary["store_bench"][db] = json.loads(j[-1][5:])
print("\nstore_bench:")
print(f"  {'db':<9} {'positions':>9} {'pos/s':>9} {'MB':>7} {'count ms':>9} {'scan ms':>8}"
      f" {'track p50/p90/p99':>20} {'box p50/p90/p99':>20} {'rows t/b':>12}")
for db, s in summary["store_bench"].items():
    t, b = s["track_24h"], s["box_1deg_6h"]
    pct = lambda q: f"{q['p50_ms']:.1f}/{q['p90_ms']:.1f}/{q['p99_ms']:.1f}"
    print(f"  {db:<9} {s['positions']:>9} {s['positions_per_s']:>9.0f} {s['db_bytes'] / 2**20:>7.0f}"
          f" {min(s['count_ms']):>9.0f} {min(s['scan_ms']):>8.0f} {pct(t):>20} {pct(b):>20}"
          f" {t['mean_rows']:>5.0f}/{b['mean_rows']:<6.0f}")
json.dump(summary, open(f"{out}/summary.json", "w"), indent=1)
print(f"\n{out}/summary.json")
EOF
