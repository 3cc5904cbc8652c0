#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in their own build directory and
# runs each for a bounded time (FUZZ_SECONDS, default 30). Seeds: fuzz/corpus/
# plus the shipped models/ and scenarios/ (read in place, never copied, so
# they cannot drift). New inputs go to a scratch directory; a crash leaves its
# input in the build directory and fails the script.
# Needs clang and libclang-rt-14-dev (Debian). Usage: fuzz/run.sh [seconds]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${STACKSIM_FUZZ_BUILD:-$root/build-fuzz}
seconds=${1:-${FUZZ_SECONDS:-30}}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DSTACKSIM_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" -j2 fuzz_model fuzz_scenario fuzz_set

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

run() {
  local target=$1
  shift
  mkdir -p "$scratch/$target"
  echo "== fuzz_$target for ${seconds}s"
  "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -dict="$root/fuzz/stacksim.dict" \
    -artifact_prefix="$build/fuzz/crash-$target-" "$scratch/$target" "$@"
}

run model "$root/fuzz/corpus/model" "$root/models"
run scenario "$root/fuzz/corpus/scenario" "$root/scenarios"
run set "$root/fuzz/corpus/set"
echo "fuzz: no crash in ${seconds}s per target"
