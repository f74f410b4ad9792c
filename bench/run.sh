#!/usr/bin/env bash
# The speed and memory benchmark (not a test), the median of 5 runs each
# (RUNS=N for another odd number), tierkey and its floor run alternately,
# in one run:
# - plans of N resources, two generators (`db`: one resource type, `mixed`:
#   IAM policies with long escaped JSON strings, nested blocks, sensitive
#   maps, 16 tags each): `tierkey check --format json` against the floor,
#   reading the same file and parsing it with serde_json into IgnoredAny;
# - a plan with many findings against a clean one of the same size;
# - a monorepo of 2000 plans and 500 `.tf` roots, walked and named file by
#   file, one job against two;
# - Terraform configurations of N resources (`.tf`): `tierkey check --jobs 1`
#   (parse and evaluate, on one core) against the floor, parsing the same
#   files with hcl-edit (the parser tierkey leaves files to that its own
#   direct reader does not read).
#
#   bench/run.sh              # everything: plans of N = 3000 30000 100000
#   bench/run.sh 30000        # plans of one size only
#   BENCH_LARGE=1 bench/run.sh  # plans also of N = 300000 (~1.8 GB)
#   BENCH_PART=monorepo bench/run.sh  # one part: plans, findings, monorepo, hcl
#
# Needs GNU time (/usr/bin/time; `apt-get install time` if missing). Writes
# its inputs to bench/out (about 2 GB; 4 GB more with BENCH_LARGE).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "bench/run.sh needs GNU time: apt-get install time" >&2; exit 2; }
cargo build --quiet --release --bin tierkey --example genplan --example gentf --example floor
out=bench/out
mkdir -p "$out"
sizes=("$@")
all=0
if [ ${#sizes[@]} -eq 0 ]; then
  all=1
  sizes=(3000 30000 100000)
  [ -z "${BENCH_LARGE:-}" ] || sizes+=(300000)
fi
runs=${RUNS:-5}
tk=target/release/tierkey
# part NAME: whether the part NAME runs (all of them without BENCH_PART).
part() { [ -z "${BENCH_PART:-}" ] || [ "$BENCH_PART" = "$1" ]; }

# median_of CMD...: prints "SECONDS KB": the median wall time and the median
# peak resident memory of $runs runs (GNU time).
median_of() {
  local t m times=() peaks=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null 2>&1 || true
    read -r t m < <(tail -n 1 "$out/time.txt")
    times+=("$t")
    peaks+=("$m")
  done
  echo "$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(((runs + 1) / 2))p")" \
    "$(printf '%s\n' "${peaks[@]}" | sort -g | sed -n "$(((runs + 1) / 2))p")"
}

# medians_of_pair "CMD A" "CMD B": prints "A_SECONDS A_KB B_SECONDS B_KB",
# the two commands run alternately $runs times each, so that a machine
# whose speed drifts (a shared virtual machine) slows both alike.
medians_of_pair() {
  local t m at=() am=() bt=() bm=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$out/time.txt" $1 >/dev/null 2>&1 || true
    read -r t m < <(tail -n 1 "$out/time.txt")
    at+=("$t")
    am+=("$m")
    /usr/bin/time -f "%e %M" -o "$out/time.txt" $2 >/dev/null 2>&1 || true
    read -r t m < <(tail -n 1 "$out/time.txt")
    bt+=("$t")
    bm+=("$m")
  done
  local mid=$(((runs + 1) / 2))
  echo "$(printf '%s\n' "${at[@]}" | sort -g | sed -n "${mid}p")" \
    "$(printf '%s\n' "${am[@]}" | sort -g | sed -n "${mid}p")" \
    "$(printf '%s\n' "${bt[@]}" | sort -g | sed -n "${mid}p")" \
    "$(printf '%s\n' "${bm[@]}" | sort -g | sed -n "${mid}p")"
}

if part plans; then
echo "Plans (\`--format json\`):"
echo
echo "| shape | N | file MiB | floor s | floor peak MiB | tierkey s | tierkey peak MiB | time / floor | peak / file |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for shape in db mixed; do
  for n in "${sizes[@]}"; do
    plan="$out/$shape-$n.json"
    [ -f "$plan" ] || target/release/examples/genplan "$n" 6 "$plan" "$shape"
    bytes=$(stat -c %s "$plan")
    read -r ft fm tt tm <<<"$(medians_of_pair "target/release/examples/floor $plan" \
      "$tk check --tag tier=database --format json $plan")"
    awk -v s="$shape" -v n="$n" -v b="$bytes" -v ft="$ft" -v fm="$fm" -v tt="$tt" -v tm="$tm" 'BEGIN {
      printf "| %s | %d | %.0f | %.2f | %.0f | %.2f | %.0f | %.2f× | %.2f× |\n",
        s, n, b/1048576, ft, fm/1024, tt, tm/1024, tt/ft, tm*1024/b }'
  done
done
fi
[ "$all" = 1 ] || exit 0

if part findings; then
echo
echo "Many findings: 30 000 resources over 6 regions, with tier keys in 5 of them and in none"
echo "(\`--no-in-use\`: the keys the instances name are outside the plan):"
echo
echo "| plan | findings | related locations | tierkey s | tierkey peak MiB |"
echo "|---|---:|---:|---:|---:|"
for shape in db nokeys; do
  plan="$out/$shape-30000.json"
  [ -f "$plan" ] || target/release/examples/genplan 30000 6 "$plan" "$shape"
  read -r count related < <($tk check --no-in-use --tag tier=database --format json "$plan" 2>/dev/null |
    python3 -c 'import json,sys; f=json.load(sys.stdin)["findings"]; print(len(f), sum(len(x.get("related") or []) for x in f))')
  read -r tt tm <<<"$(median_of $tk check --no-in-use --tag tier=database --format json "$plan")"
  echo "| $shape | $count | $related | $tt | $((tm / 1024)) |"
done
fi

if part monorepo; then
echo
echo "A monorepo: 2000 plans (50 resources each) and 500 \`.tf\` roots (40 resources each):"
echo
mono="$out/monorepo"
if [ ! -d "$mono" ]; then
  mkdir -p "$mono.tmp"
  target/release/examples/genplan 50 6 "$mono.tmp/plan.json" db
  target/release/examples/gentf 40 6 "$mono.tmp/tf"
  for i in $(seq 2000); do mkdir -p "$mono/plans/p$i" && cp "$mono.tmp/plan.json" "$mono/plans/p$i/plan.json"; done
  for i in $(seq 500); do mkdir -p "$mono/roots" && cp -r "$mono.tmp/tf" "$mono/roots/r$i"; done
  rm -rf "$mono.tmp"
fi
echo "| inputs | MiB | --jobs 1 s | --jobs 2 s | speed-up |"
echo "|---|---:|---:|---:|---:|"
# The machine's own ceiling, measured in the same run: the floor over the
# 2000 plans in one process, against two processes of 1000 plans each at
# once (no shared work, no thread in common: what two cores give here).
find "$mono/plans" -name plan.json | sort > "$out/plans.txt"
head -n 1000 "$out/plans.txt" > "$out/plans-a.txt"
tail -n +1001 "$out/plans.txt" > "$out/plans-b.txt"
floor=target/release/examples/floor
printf '%s\n' "xargs -a $out/plans.txt $floor" > "$out/ceiling1.sh"
printf '%s\n' "xargs -a $out/plans-a.txt $floor & xargs -a $out/plans-b.txt $floor; wait" > "$out/ceiling2.sh"
read -r c1 _ c2 _ <<<"$(medians_of_pair "bash $out/ceiling1.sh" "bash $out/ceiling2.sh")"
awk -v a="$c1" -v b="$c2" 'BEGIN { printf "| the machine: floor over the plans, 1 process / 2 | 594 | %.2f | %.2f | %.2f× |\n", a, b, a/b }'
for which in plans roots all; do
  case $which in
    plans) dir="$mono/plans" label="2000 plans" ;;
    roots) dir="$mono/roots" label="500 roots" ;;
    all) dir="$mono" label="all 2500" ;;
  esac
  mb=$(du -sm "$dir" | cut -f1)
  read -r t1 _ t2 _ <<<"$(medians_of_pair "$tk check --jobs 1 --tag tier=database --format json $dir" \
    "$tk check --jobs 2 --tag tier=database --format json $dir")"
  awk -v l="$label" -v mb="$mb" -v a="$t1" -v b="$t2" 'BEGIN { printf "| %s | %d | %.2f | %.2f | %.2f× |\n", l, mb, a, b, a/b }'
done
# Inputs named one by one, as a pre-commit hook names the files it was
# given: the 2000 plans by path, and every `.tf` file of the 500 roots from
# the monorepo's top (each file's roots are found among those under `.`).
find "$mono/roots" -name '*.tf' | sort | sed "s|^$mono/||" > "$out/tf-files.txt"
for which in plans tf; do
  for jobs in 1 2; do
    case $which in
      plans) printf '%s\n' "$PWD/$tk check --jobs $jobs --tag tier=database --format json \$(cat $PWD/$out/plans.txt)" ;;
      tf) printf '%s\n' "cd $mono && $PWD/$tk check --jobs $jobs --tag tier=database --format json \$(cat $PWD/$out/tf-files.txt)" ;;
    esac > "$out/named-$which-$jobs.sh"
  done
  case $which in
    plans) label="the 2000 plans, each named" mb=594 ;;
    tf) label="the 1000 \`.tf\` files of the roots, each named" mb=34 ;;
  esac
  read -r t1 _ t2 _ <<<"$(medians_of_pair "bash $out/named-$which-1.sh" "bash $out/named-$which-2.sh")"
  awk -v l="$label" -v mb="$mb" -v a="$t1" -v b="$t2" 'BEGIN { printf "| %s | %d | %.2f | %.2f | %.2f× |\n", l, mb, a, b, a/b }'
done
fi

if part hcl; then
echo
echo "Terraform configurations (\`.tf\`), parsed and evaluated on one core (\`--jobs 1\`):"
echo
echo "| N | .tf MiB | floor s | floor peak MiB | tierkey s | tierkey peak MiB | tierkey MB/s | time / floor | peak / file |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in 2000 20000; do
  dir="$out/tf-$n"
  [ -d "$dir" ] || target/release/examples/gentf "$n" 12 "$dir"
  bytes=$(cat "$dir"/main.tf "$dir"/modules/db/main.tf | wc -c)
  read -r ft fm tt tm <<<"$(medians_of_pair "target/release/examples/floor --hcl $dir" \
    "$tk check --jobs 1 --tag tier=database $dir")"
  awk -v n="$n" -v b="$bytes" -v ft="$ft" -v fm="$fm" -v tt="$tt" -v tm="$tm" 'BEGIN {
    printf "| %d | %.1f | %.2f | %.0f | %.2f | %.0f | %.1f | %.2f× | %.2f× |\n",
      n, b/1048576, ft, fm/1024, tt, tm/1024, b/1e6/tt, tt/ft, tm*1024/b }'
done
fi
