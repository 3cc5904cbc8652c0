#!/usr/bin/env bash
# Regenerates the golden outputs of the shipped scenarios (see
# tests/cli/golden_test.cpp). Review the diff before committing it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/stacksim}
run() {  # model scenario golden-name
  "$bin" sim --model "models/$1.json" --scenario "scenarios/$2.json" \
    --set requests=4000 --set warmup_requests=1000 --set replications=2 --format json \
    > "tests/golden/$3.json"
  echo "tests/golden/$3.json"
}
for s in original article better-async better-sync this-machine; do
  run estimates "$s" "$s"
done
# The calibrated model, on the article's configuration and on this machine's.
for s in article this-machine; do
  run this-machine "$s" "this-machine-model-$s"
done
# The shipped crossover map (docs/crossover/article.json), on the estimates.
tests/golden/crossover_map.sh "$bin"
# The shipped tuning (docs/tune/this-machine-gunicorn-flask.json).
tests/golden/tune_run.sh "$bin"
# The fits of the published tables and the Grinberg model's predictions (docs/published.md).
tests/golden/published_fits.sh "$bin"
