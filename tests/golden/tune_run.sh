#!/usr/bin/env bash
# A shipped tuning, docs/tune/this-machine-gunicorn-flask.json: gunicorn-flask
# on this machine's scenario and model, the highest throughput, small runs.
#   tune_run.sh [STACKSIM] [OUT]   writes the tuning to OUT (default: the shipped file)
# tests/golden/update.sh calls it to regenerate the file; the ctest
# golden_tune calls it into a scratch file and compares the bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/stacksim}
out=${2:-docs/tune/this-machine-gunicorn-flask.json}
"$bin" tune --model models/this-machine.json --scenario scenarios/this-machine.json \
  --stack gunicorn-flask --set requests=2000 --set warmup_requests=500 --replications 2 \
  --points 4 --quiet --format json --out "$out"
echo "$out"
