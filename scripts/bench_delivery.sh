#!/usr/bin/env bash
# Alert delivery on loopback (BENCHMARKS.md, "Delivery"): ROUNDS runs of
# examples/delivery_bench (10 centres with webhooks, the shipped sample),
# each with its own baseline of plain POSTs to the same receiver.
# Usage: scripts/bench_delivery.sh [ROUNDS]   (env CENTRES=10 PACE_S=30)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin aiswatch --example delivery_bench
for i in $(seq "${1:-3}"); do
  echo "## round $i"
  ./target/release/examples/delivery_bench --centres "${CENTRES:-10}" --pace-s "${PACE_S:-30}"
done
