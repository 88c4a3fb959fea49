#!/usr/bin/env bash
# Runs the fuzz targets one after the other (the machine's cores are shared):
#   scripts/fuzz.sh [seconds per target, default 600] [target ...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); this stable toolchain builds
# it with RUSTC_BOOTSTRAP=1. The build has debug assertions (overflow checks)
# and no sanitizer (the crate forbids unsafe code). New corpus entries go to
# fuzz/corpus/<target>/, crashes to fuzz/artifacts/<target>/, each run's
# libFuzzer log to fuzz/<target>.log. Minimise a corpus before committing it:
#   RUSTC_BOOTSTRAP=1 cargo fuzz cmin -a -s none <target>
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sentence ais decoder assemble history zones)
export RUSTC_BOOTSTRAP=1
nice -n 10 cargo fuzz build -a -s none
for t in "${targets[@]}"; do
    echo "== $t: ${secs}s"
    nice -n 10 cargo fuzz run -a -s none "$t" -- \
        -max_total_time="$secs" -max_len=4096 -rss_limit_mb=1024 -print_final_stats=1 \
        2>&1 | tee "$t.log" | grep -E "^(#[0-9]+.*(pulse|DONE)|==|stat::|SUMMARY|Done)" || true
done
