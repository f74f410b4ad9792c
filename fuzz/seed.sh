#!/usr/bin/env bash
# Seeds each fuzz target's corpus from the project's fixtures (and, when it
# is beside the checkout, ../shared/corpus): fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
root=..
for t in plan config_json hcl settings; do mkdir -p "corpus/$t"; done
n=0
while IFS= read -r -d '' f; do
  cp "$f" "corpus/plan/seed-$((n++))"
done < <(find "$root/fixtures" ../../shared/corpus -maxdepth 3 \( -name '*plan*.json' -o -name 'state*.json' -o -name '*.tfstate' \) -print0 2>/dev/null)
# config_json: the first byte picks the dialect (0 .tf.json, 1 cdk.tf.json, 2 hcl2json).
while IFS= read -r -d '' f; do
  case "$f" in
    *cdk.tf.json) p='\001' ;;
    *.tf.json) p='\000' ;;
    *) p='\002' ;;
  esac
  { printf "$p"; cat "$f"; } > "corpus/config_json/seed-$((n++))"
done < <(find "$root/fixtures" -path '*/c0*' -name '*.json' ! -name '*plan*' -print0)
while IFS= read -r -d '' f; do
  cp "$f" "corpus/hcl/seed-$((n++))"
done < <(find "$root/fixtures" ../../shared/corpus/hcl -name '*.tf' -print0 2>/dev/null)
while IFS= read -r -d '' f; do
  cp "$f" "corpus/settings/seed-$((n++))"
done < <(find "$root/fixtures" -name 'tierkey.toml' -print0)
echo "seeded: $(for t in plan config_json hcl settings; do printf '%s=%s ' "$t" "$(ls "corpus/$t" | wc -l)"; done)"
