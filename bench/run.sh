#!/usr/bin/env bash
# The speed and memory benchmark (not a test), best of 5 each, in one run:
# - plans of N resources: `tierkey check` against the floor, reading the same
#   file and parsing it with serde_json into IgnoredAny;
# - Terraform configurations of N resources (`.tf`): `tierkey check` (parse
#   and evaluate) against the floor, parsing the same files with hcl-edit.
#
#   bench/run.sh              # plans: N = 3000 30000 100000 (~20, ~180, ~600 MB)
#                             # .tf: N = 2000 20000 (~2.4, ~24 MB)
#   bench/run.sh 30000        # one plan size, and no .tf table
#
# Needs GNU time (/usr/bin/time; `apt-get install time` if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "bench/run.sh needs GNU time: apt-get install time" >&2; exit 2; }
cargo build --quiet --release --bin tierkey --example genplan --example gentf --example floor
out=bench/out
mkdir -p "$out"
sizes=("$@")
tf_sizes=()
if [ ${#sizes[@]} -eq 0 ]; then
  sizes=(3000 30000 100000)
  tf_sizes=(2000 20000)
fi
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

[ ${#tf_sizes[@]} -gt 0 ] || exit 0
echo
echo "| N | .tf MB | floor s | floor peak MB | tierkey s | tierkey peak MB | tierkey MB/s | time / floor | peak / file |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${tf_sizes[@]}"; do
  dir="$out/tf-$n"
  [ -d "$dir" ] || target/release/examples/gentf "$n" 12 "$dir"
  bytes=$(cat "$dir"/main.tf "$dir"/modules/db/main.tf | wc -c)
  read -r ft fm <<<"$(best_of target/release/examples/floor --hcl "$dir")"
  read -r tt tm <<<"$(best_of target/release/tierkey check --tag tier=database "$dir")"
  awk -v n="$n" -v b="$bytes" -v ft="$ft" -v fm="$fm" -v tt="$tt" -v tm="$tm" 'BEGIN {
    printf "| %d | %.1f | %.2f | %.0f | %.2f | %.0f | %.1f | %.2f× | %.2f× |\n",
      n, b/1e6, ft, fm/1024, tt, tm/1024, b/1e6/tt, tt/ft, tm*1024/b }'
done
