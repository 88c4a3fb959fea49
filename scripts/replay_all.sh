#!/usr/bin/env bash
# Pushes every file under ../shared/data/ais through `aiswatch replay` (with the
# shipped zones) and reports exit codes and each summary's reject line.
# Usage: scripts/replay_all.sh [DATA_DIR] [BIN]
set -u
data=${1:-$(dirname "$0")/../../shared/data/ais}
bin=${2:-$(dirname "$0")/../target/release/aiswatch}
fail=0
while IFS= read -r f; do
  out=$("$bin" replay --zones "$(dirname "$0")/../zones" "$f" 2>&1 >/dev/null)
  rc=$?
  if [ $rc -ne 0 ] || grep -q panicked <<<"$out"; then fail=1; fi
  printf '%s\trc=%s\t%s\t%s\n' "${f#"$data"/}" "$rc" \
    "$(grep -o 'lines in [0-9.]* s' <<<"$out" | head -1)" \
    "$(grep -E '^\s+(rejected|history|alerts)' <<<"$out" | tr -s ' ' | tr '\n' ' ')"
done < <(find "$data" -type f ! -name '*.md' ! -name '*.tsv' | sort)
exit $fail
