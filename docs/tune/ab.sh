#!/usr/bin/env bash
# The live A/B of docs/tune.md: each stack's tuned configuration (stacksim
# tune on scenarios/this-machine.json) against the rule of thumb's, 3
# repeats each, alternating A, B, A, B, ... so drift hits both alike.
# Records go to docs/tune/ab.jsonl (stacksim live run --store).
set -euo pipefail
cd "$(dirname "$0")/../.."
store=docs/tune/ab.jsonl
run() {  # stack workers sessions
  STACKSIM_HOME=$PWD ./build/stacksim live run --stack "$1" --workers "$2" --sessions "$3" \
    --clients 100 --delay-ms 20 --duration-s 10 --warmup-s 2 --foreign-retries 0 \
    --store "$store" >/dev/null
}
for repeat in 1 2 3; do
  run gunicorn-flask 30 24     # tuned
  run gunicorn-flask 5 24      # gunicorn's 2 x cores + 1
  run uvicorn-starlette 3 38   # tuned
  run uvicorn-starlette 5 38   # gunicorn's 2 x cores + 1
done
