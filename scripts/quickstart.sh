#!/usr/bin/env bash
# The README's first command: install everything from Debian's packages,
# build, and run the main job — the article configuration for every stack,
# simulated with the model calibrated on this machine kind, printed as a
# table with the reasons.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
./build/stacksim sim --model models/this-machine.json --scenario scenarios/article.json
