#!/usr/bin/env bash
# The shipped fits of the two published tables (docs/published.md) and the
# predictions of the Grinberg model at the article's three configurations:
#   published_fits.sh [STACKSIM] [ROOT]   writes ROOT/models/{grinberg,paterson}-2020.json,
#                                         ROOT/docs/published/*  (default ROOT: the checkout)
# tests/golden/update.sh calls it to regenerate them; the ctest
# golden_published_fits calls it into a scratch root and compares the bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/stacksim}
root=${2:-.}
mkdir -p "$root/models" "$root/docs/published"
"$bin" calibrate table --table calibrate/published/grinberg-2020-my-results.csv \
  --scenario scenarios/article.json --out "$root/models/grinberg-2020.json" \
  --report "$root/docs/published/grinberg-2020-fit.txt" --quiet > /dev/null
"$bin" calibrate table --table calibrate/published/paterson-2020.csv \
  --map calibrate/published/paterson-2020.map.json --scenario scenarios/original.json \
  --out "$root/models/paterson-2020.json" --report "$root/docs/published/paterson-2020-fit.txt" \
  --quiet > /dev/null
# Run from ROOT, so the output names the model as models/grinberg-2020.json wherever ROOT is.
here=$PWD
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
for s in article better-async better-sync; do
  (cd "$root" && STACKSIM_HOME="$here" "$bin" sim --model models/grinberg-2020.json \
    --scenario "$here/scenarios/$s.json" --format json --quiet > "docs/published/grinberg-2020-$s.json")
done
echo "$root/models/grinberg-2020.json $root/models/paterson-2020.json $root/docs/published"
