#!/usr/bin/env bash
# The README's second command (and CI's): install, build with warnings as
# errors, run every test — the simulator's in parallel, then the live ones
# (real PostgreSQL, pgbouncer, nginx and app servers) alone, since they
# measure CPU — and fuzz the input parsers for a bounded time. Every C++
# file must be formatted as .clang-format says (scripts/check-format.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTACKSIM_WERROR=ON
cmake --build build -j"$(nproc)"
status=0
bash scripts/check-format.sh || status=1
(cd build && ctest --output-on-failure -LE live -j"$(nproc)") || status=1
(cd build && ctest --output-on-failure -L live -j1) || status=1
FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash fuzz/run.sh || status=1
exit $status
