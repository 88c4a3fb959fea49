#!/usr/bin/env bash
# Store write path, before and after a change, in one run (BENCHMARKS.md,
# "Store"): the numbers only compare within a run on a shared machine.
#
# Usage: scripts/bench_store_compare.sh BEFORE_DIR AFTER_DIR [OUT]
#   BEFORE_DIR, AFTER_DIR: each holds an `aiswatch` and an `examples/store_bench`
#   binary (`store_bench` beside `aiswatch` also works), built from the two trees.
#   env: ROUNDS (5), FEED (default: `aiswatch simulate --vessels 1000 --hours 6
#        --seed 7`), PG (postgres://postgres@127.0.0.1:5432/test), BIG=1 to also run
#        store_bench with 10 M positions on SQLite with each.
#
# 1. ROUNDS rounds, in turn: replay without storage (AFTER's binary), then
#    BEFORE and AFTER `replay --db sqlite://…` (fresh file) and
#    `replay --db postgres://…` (fresh schema). Medians, ratio to no storage.
# 2. With BIG=1: store_bench --positions 10000000 on SQLite, BEFORE then AFTER.
set -euo pipefail
before=$(cd "$1" && pwd); after=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd); repo=$(dirname "$here")
out=${3:-$repo/bench-out/store-compare}; mkdir -p "$out"; out=$(cd "$out" && pwd)
rounds=${ROUNDS:-5}; pg=${PG:-postgres://postgres@127.0.0.1:5432/test}
zones=$repo/zones
sb() { if [ -x "$1/examples/store_bench" ]; then echo "$1/examples/store_bench"; else echo "$1/store_bench"; fi; }
feed=${FEED:-}
if [ -z "$feed" ]; then
  [ -f "$out/sim/feed.nmea" ] || "$after/aiswatch" simulate --vessels 1000 --hours 6 --seed 7 --out "$out/sim" > /dev/null
  feed=$out/sim/feed.nmea
fi
pg_url="$pg?options=-csearch_path%3Dbench_compare"
fresh_pg() { psql -q -v ON_ERROR_STOP=1 "$pg" -c 'DROP SCHEMA IF EXISTS bench_compare CASCADE; CREATE SCHEMA bench_compare' > /dev/null 2>&1; }
trap 'psql -q "$pg" -c "DROP SCHEMA IF EXISTS bench_compare CASCADE" > /dev/null 2>&1 || true; rm -f "$out"/c.db*' EXIT
secs() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2> "$out/last.err"; e=$(date +%s.%N); echo "$e - $s" | bc; }
stored() { grep -o '[0-9]* positions,' "$out/last.err" | grep -o '[0-9]*' || true; }
: > "$out/replay.tsv"
echo "replay $(wc -l < "$feed") lines, $rounds rounds; load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/load.txt"
for _ in $(seq "$rounds"); do
  printf 'no storage\t%s\n' "$(secs "$after/aiswatch" replay --zones "$zones" "$feed")" >> "$out/replay.tsv"
  for v in before after; do
    bin=$before; [ $v = after ] && bin=$after
    rm -f "$out"/c.db*
    s=$(secs "$bin/aiswatch" replay --zones "$zones" --db "sqlite://$out/c.db" "$feed")
    printf '%s sqlite\t%s\t%s\n' $v "$s" "$(stored)" >> "$out/replay.tsv"
    fresh_pg
    s=$(secs "$bin/aiswatch" replay --zones "$zones" --db "$pg_url" "$feed")
    printf '%s postgres\t%s\t%s\n' $v "$s" "$(stored)" >> "$out/replay.tsv"
  done
done
python3 - "$out/replay.tsv" <<'PY'
import collections, statistics as st, sys
runs, stored = collections.defaultdict(list), {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    runs[f[0]].append(float(f[1]))
    if len(f) > 2 and f[2]:
        stored[f[0]] = int(f[2])
base = st.median(runs["no storage"])
for case, v in runs.items():
    m = st.median(v)
    s = f"  {case:<16} median {m:6.3f} s (min {min(v):.3f}, max {max(v):.3f})  {m / base:5.2f}x"
    if case in stored:
        s += f"  {stored[case]} positions, {stored[case] / m:8.0f} positions/s"
    print(s)
PY
if [ -n "${BIG:-}" ]; then
  for v in before after; do
    bin=$before; [ $v = after ] && bin=$after
    rm -f "$out"/big.db*
    echo "store_bench $v; load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
    "$(sb "$bin")" --db "sqlite://$out/big.db" --positions 10000000 --vessels 20000 --hours 48 --seed 1 \
      | tee "$out/store_$v.txt"
    rm -f "$out"/big.db*
  done
fi
