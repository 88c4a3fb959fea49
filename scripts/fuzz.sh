#!/usr/bin/env bash
# Runs the fuzz targets one after the other (the machine's cores are shared):
#   scripts/fuzz.sh [seconds per target, default 600] [target ...]
# Builds fuzz/ with plain cargo on stable (RUSTC_BOOTSTRAP=1 for the
# profile-rustflags feature that instruments only aiswatch and the entry
# points; see fuzz/Cargo.toml), then runs each libFuzzer binary `nice`d.
# `cargo fuzz run -s none -a <target>` (cargo install cargo-fuzz) works too
# with RUSTC_BOOTSTRAP=1, but instruments every dependency. New corpus
# entries go to fuzz/corpus/<target>/, crashes to fuzz/artifacts/<target>/,
# each run's libFuzzer log to fuzz/<target>.log. Minimise a corpus before
# committing it: fuzz/target/release/<target> -merge=1 new/ fuzz/corpus/<target>/
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sentence ais decoder assemble history zones)
RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target nice -n 10 cargo build --release --bins
for t in "${targets[@]}"; do
    echo "== $t: ${secs}s"
    mkdir -p "artifacts/$t"
    nice -n 10 "target/release/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$secs" -max_len=4096 -rss_limit_mb=1024 -print_final_stats=1 \
        >"$t.log" 2>&1 || echo "$t: exit $? (see fuzz/$t.log)"
    grep -E "^#[0-9]+ +DONE|^stat::|^SUMMARY|panicked" "$t.log" || true
done
