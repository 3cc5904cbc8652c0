#!/usr/bin/env bash
# The shipped crossover map, docs/crossover/article.json (docs/crossover.md,
# "The shipped map"): the article's scenario on the estimates, gunicorn-flask
# against uvicorn-starlette over clients x delay_ms, levels 1 and 2.
#   crossover_map.sh [STACKSIM] [OUT]   writes the map to OUT (default: the shipped file)
# tests/golden/update.sh calls it to regenerate the map; the ctest
# golden_crossover_map calls it into a scratch file and compares the bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/stacksim}
out=${2:-docs/crossover/article.json}
"$bin" crossover --model models/estimates.json --scenario scenarios/article.json \
  --sync gunicorn-flask --async uvicorn-starlette \
  --x clients=10,20,30,40,60,100,200,400 --y delay_ms=0:24:13 --level 1 --level 2 \
  --set requests=3000 --set warmup_requests=750 --replications 5 \
  --format json --out "$out"
echo "$out"
