#!/usr/bin/env bash
# Checks that two builds raise the same alerts, byte for byte: the simulated
# feed (seed 7, 300 vessels, 12 h, with its zones plus spoofing) and every
# real file under ../shared/data/ais, each with the shipped zones (zones/)
# and with deploy/behaviour-zones, replayed by both binaries.
# Alerts of files without timestamps depend on the wall clock (times, ids,
# speeds implied by arrival times): a file whose alerts differ between two
# runs of the OLD binary is reported apart, not as a failure.
# Usage: scripts/compare_alerts.sh OLD_BIN NEW_BIN [DATA_DIR]
set -uo pipefail
old=$1 new=$2
root=$(cd "$(dirname "$0")/.." && pwd)
data=${3:-$root/../shared/data/ais}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$old" simulate --out "$out/sim" --vessels 300 --hours 12 --seed 7 >/dev/null
python3 - "$out/sim/zones/sim.geojson" <<'PY'
import json, sys
z = json.load(open(sys.argv[1]))
for f in z["features"]:
    if f["properties"]["id"] == "sim-patrol":
        f["properties"]["detect"]["spoofing"] = {}
json.dump(z, open(sys.argv[1], "w"))
PY
same=0 differ=0 wall=0
check() { # name, zones dir, file
    "$old" replay --zones "$2" "$3" >"$out/a" 2>/dev/null
    "$new" replay --zones "$2" "$3" >"$out/b" 2>/dev/null
    if cmp -s "$out/a" "$out/b"; then
        same=$((same + 1))
    elif "$old" replay --zones "$2" "$3" 2>/dev/null | cmp -s - "$out/a"; then
        differ=$((differ + 1)); echo "DIFFER: $1 ($(wc -l <"$out/a") vs $(wc -l <"$out/b") alerts)"
    else
        wall=$((wall + 1)); echo "wall clock: $1"
    fi
}
check "simulated feed" "$out/sim/zones" "$out/sim/feed.nmea"
while IFS= read -r f; do
    for z in zones deploy/behaviour-zones; do
        check "${f#"$data"/} with $z" "$root/$z" "$f"
    done
done < <(find "$data" -type f ! -name '*.md' ! -name '*.tsv' | sort)
echo "identical: $same, wall-clock dependent: $wall, different: $differ"
[ "$differ" -eq 0 ]
