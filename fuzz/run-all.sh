#!/usr/bin/env bash
# Runs every fuzz target for RUNS executions (default 10 million), one after
# another, seeded by fuzz/seed.sh; the logs go to fuzz/logs/<target>.log.
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10000000}
mkdir -p fuzz/logs
[ -d fuzz/corpus/plan ] || fuzz/seed.sh
for target in ${TARGETS:-plan config_json hcl settings}; do
  echo "== $target: $runs runs"
  # No sanitizer: the one unsafe block (mapping a file) is not on the fuzzed
  # path (bytes are handed over in memory); the oracles are panics.
  cargo +nightly fuzz run --sanitizer none --fuzz-dir fuzz "$target" "fuzz/corpus/$target" -- \
    -runs="$runs" -max_len=8192 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    > "fuzz/logs/$target.log" 2>&1 || { echo "$target failed: see fuzz/logs/$target.log"; exit 1; }
  grep -E "stat::number_of_executed_units|Done" "fuzz/logs/$target.log" | tail -2
done
