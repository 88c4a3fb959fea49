#!/usr/bin/env bash
# Throughput comparison gpsdecode vs aiswatch on the 1M-line AISHub corpus (hyperfine).
#
# Usage: scripts/bench.sh [CORPUS]        (default bench-out/aishub-1m.nmea)
#   env: AISWATCH=path/to/binary (default target/release/aiswatch), OUT=dir (default bench-out)
# Runs, in one hyperfine invocation (--warmup 1 --runs 5):
#   gpsdecode < CORPUS > /dev/null
#   aiswatch decode CORPUS > /dev/null            (skipped if the binary is missing)
#   aiswatch replay CORPUS > /dev/null 2>&1       (skipped if missing or failing on a sample)
#   aiswatch replay --zones zones CORPUS ...      (detectors on the shipped zones)
# then writes OUT/bench.json and prints a markdown table (scripts/bench_summary.py).
# The corpus is built with scripts/make_corpus.py if missing. Does not build the binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=${OUT:-$repo/bench-out}
corpus=${1:-$out/aishub-1m.nmea}
bin=${AISWATCH:-$repo/target/release/aiswatch}

if [ ! -f "$corpus" ]; then
  echo "corpus $corpus missing: building it with make_corpus.py" >&2
  python3 "$here/make_corpus.py" --out "$out"
fi
mkdir -p "$out"
lines=$(wc -l < "$corpus")
q=$(printf %q "$corpus")

cmds=(-n gpsdecode "gpsdecode < $q > /dev/null")
if [ -x "$bin" ]; then
  b=$(printf %q "$bin")
  probe=$(mktemp); trap 'rm -f "$probe"' EXIT
  head -n 200 "$corpus" > "$probe"
  for sub in decode replay; do   # skip subcommands that fail on a 200-line sample
    if "$bin" "$sub" "$probe" > /dev/null 2>&1; then
      if [ "$sub" = decode ]; then cmds+=(-n "aiswatch decode" "$b decode $q > /dev/null")
      else
        cmds+=(-n "aiswatch replay" "$b replay $q > /dev/null 2>&1")
        z=$(printf %q "$repo/zones")
        cmds+=(-n "aiswatch replay --zones" "$b replay --zones $z $q > /dev/null 2>&1")
      fi
    else
      echo "NOTE: '$bin $sub' fails on a 200-line sample (not implemented yet?): SKIPPED" >&2
    fi
  done
else
  echo "NOTE: $bin not found (cargo build --release?): benchmarking gpsdecode only;" \
       "aiswatch decode/replay SKIPPED" >&2
fi

echo "corpus: $corpus ($lines lines); $(gpsdecode -V 2>&1); $(nproc) CPUs; $(uname -r)"
hyperfine --warmup 1 --runs 5 --export-json "$out/bench.json" "${cmds[@]}"
python3 "$here/bench_summary.py" "$out/bench.json" --lines "$lines"
