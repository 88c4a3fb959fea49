#!/usr/bin/env bash
# Replay throughput with every detector on vs without zones.
# Usage: scripts/bench_detectors.sh [BIN] [ROUNDS]
# Simulates 1000 vessels for 6 h (seed 7), then replays the feed without zones and with the sim
# zones plus spoofing (all seven detectors), ROUNDS rounds in turn (order alternating); prints each
# wall time, the medians and the median of the rounds' ratios.
set -euo pipefail
BIN=${1:-target/release/aiswatch}
ROUNDS=${2:-5}
OUT=${OUT:-/tmp/aiswatch-bench-detectors}
rm -rf "$OUT" && mkdir -p "$OUT"
"$BIN" simulate --out "$OUT/sim" --vessels 1000 --hours 6 --seed 7 > /dev/null
mkdir -p "$OUT/zones-all"
python3 - "$OUT/sim/zones/sim.geojson" "$OUT/zones-all/all.geojson" <<'PY'
import json, sys
z = json.load(open(sys.argv[1]))
for f in z["features"]:
    p = f["properties"]
    if p["id"] == "sim-patrol":
        p["detect"]["spoofing"] = {}
json.dump(z, open(sys.argv[2], "w"))
PY
"$BIN" zones check "$OUT/zones-all"
lines=$(wc -l < "$OUT/sim/feed.nmea")
run() { local s e; s=$(date +%s.%N); "$BIN" replay "$@" > "$OUT/alerts.jsonl"; e=$(date +%s.%N); echo "$e - $s" | bc; }
plain=(); zoned=()
ratios=()
for i in $(seq "$ROUNDS"); do
  # The order alternates so that a machine speeding up or slowing down
  # during a round favours neither.
  if (( i % 2 )); then
    p=$(run "$OUT/sim/feed.nmea"); z=$(run --zones "$OUT/zones-all" "$OUT/sim/feed.nmea")
  else
    z=$(run --zones "$OUT/zones-all" "$OUT/sim/feed.nmea"); p=$(run "$OUT/sim/feed.nmea")
  fi
  plain+=("$p"); zoned+=("$z"); ratios+=("$(echo "scale=4; $p / $z" | bc)")
  echo "round $i: no zones $p s, all detectors $z s (kept ${ratios[-1]})"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mp=$(median "${plain[@]}"); mz=$(median "${zoned[@]}")
echo "lines $lines; median no zones $mp s ($(echo "$lines / $mp" | bc) lines/s); all detectors $mz s ($(echo "$lines / $mz" | bc) lines/s)"
echo "kept: $(echo "scale=3; $mp / $mz" | bc) (ratio of medians); median of the rounds' ratios: $(median "${ratios[@]}")"
echo "alerts (last run): $(wc -l < "$OUT/alerts.jsonl")"
