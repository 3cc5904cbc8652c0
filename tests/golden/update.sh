#!/usr/bin/env bash
# Regenerates the golden outputs of the shipped scenarios (see
# tests/cli/golden_test.cpp). Review the diff before committing it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/stacksim}
for s in original article better-async better-sync this-machine; do
  "$bin" sim --model models/estimates.json --scenario "scenarios/$s.json" \
    --set requests=4000 --set warmup_requests=1000 --set replications=2 --format json \
    > "tests/golden/$s.json"
  echo "tests/golden/$s.json"
done
