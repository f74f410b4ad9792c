#!/usr/bin/env bash
# The speed and memory benchmark (not a test): for plans of N resources,
# times `tierkey check` against the floor — reading the same file and parsing
# it with serde_json into IgnoredAny — in the same run, best of 5 each.
#
#   bench/run.sh              # N = 3000 30000 100000 (~20 MB, ~180 MB, ~600 MB)
#   bench/run.sh 30000        # one size
#
# Needs GNU time (/usr/bin/time; `apt-get install time` if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "bench/run.sh needs GNU time: apt-get install time" >&2; exit 2; }
cargo build --quiet --release --bin tierkey --example genplan --example floor
out=bench/out
mkdir -p "$out"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(3000 30000 100000)
runs=5

# best_of CMD...: prints "SECONDS KB" (minimum wall time; peak RSS of that run).
best_of() {
  local best="" t m
  for _ in $(seq $runs); do
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null 2>&1 || true
    read -r t m < <(tail -n 1 "$out/time.txt")
    if [ -z "$best" ] || awk -v a="$t" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best="$t $m"; fi
  done
  echo "$best"
}

echo "| N | file MB | floor s | floor peak MB | tierkey s | tierkey peak MB | time / floor | peak / file |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  plan="$out/plan-$n.json"
  [ -f "$plan" ] || target/release/examples/genplan "$n" 12 "$plan"
  bytes=$(stat -c %s "$plan")
  read -r ft fm <<<"$(best_of target/release/examples/floor "$plan")"
  read -r tt tm <<<"$(best_of target/release/tierkey check --tag tier=database "$plan")"
  awk -v n="$n" -v b="$bytes" -v ft="$ft" -v fm="$fm" -v tt="$tt" -v tm="$tm" 'BEGIN {
    printf "| %d | %.0f | %.2f | %.0f | %.2f | %.0f | %.2f× | %.2f× |\n",
      n, b/1e6, ft, fm/1024, tt, tm/1024, tt/ft, tm*1024/b }'
done
