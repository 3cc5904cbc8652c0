#!/usr/bin/env bash
# Installs everything stacksim needs from Debian's packages (idempotent).
# Build: compiler, CMake and the libraries of the card. Notebook: Jupyter's
# nbconvert, pandas, matplotlib. Slurm: munge, slurmctld, slurmd and the client
# commands, for the Slurm job-array test. Live: the real stack (PostgreSQL,
# pgbouncer, nginx, ab, the Python servers and frameworks).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

BUILD_PACKAGES=(
  g++ cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libeigen3-dev libboost-graph-dev libboost-math-dev nlohmann-json3-dev libpqxx-dev
  libcli11-dev libgtest-dev libbenchmark-dev
)
# The validation notebook (notebooks/validation.ipynb), executed by the tests.
NOTEBOOK_PACKAGES=(jupyter-nbconvert python3-ipykernel python3-pandas python3-matplotlib)
# The Slurm test (tests/slurm): a single-node Slurm with munge, on 127.0.0.1.
SLURM_PACKAGES=(slurmctld slurmd slurm-client munge)
# The live stack: kept in live/packages.txt, one package a line.
mapfile -t LIVE_PACKAGES < <(grep -v '^\s*#' "$(dirname "$0")/../live/packages.txt" | sed '/^\s*$/d')

missing=()
for p in "${BUILD_PACKAGES[@]}" "${NOTEBOOK_PACKAGES[@]}" "${SLURM_PACKAGES[@]}" "${LIVE_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
