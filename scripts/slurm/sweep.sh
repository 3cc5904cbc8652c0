#!/usr/bin/env bash
# Submits a sharded `stacksim sim` sweep to Slurm: a job array of N shards, then
# a merge job that runs only if every shard succeeded (afterok), writing what an
# unsharded `stacksim sim --format json` prints. Run it on a login node:
#
#   scripts/slurm/sweep.sh --shards N --out DIR [--sbatch-arg ARG]... -- SIM ARGS...
#
# SIM ARGS are `stacksim sim`'s (--model, --scenario, --stack, --set, ...), without
# --out or --shard. Writes DIR/shard-K.jsonl (K = SLURM_ARRAY_TASK_ID), then
# DIR/merged.json; job logs go to DIR/slurm-*.out. Prints "array JOBID" and
# "merge JOBID". STACKSIM_BIN names the binary (default: this checkout's
# build/stacksim); it and DIR must be reachable from the compute nodes.
set -euo pipefail

usage() {
  echo "usage: $0 --shards N --out DIR [--sbatch-arg ARG]... -- SIM ARGS..." >&2
  exit 2
}

shards=""
out=""
sbatch_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) [ $# -ge 2 ] || usage; shards="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
    --sbatch-arg) [ $# -ge 2 ] || usage; sbatch_args+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
sim_args=("$@")
case "$shards" in
  '' | *[!0-9]* | 0) echo "$0: --shards must be a positive integer, got '$shards'" >&2; exit 2 ;;
esac
[ -n "$out" ] || { echo "$0: --out DIR is required" >&2; exit 2; }
[ ${#sim_args[@]} -gt 0 ] || { echo "$0: no sim arguments after --" >&2; exit 2; }
for a in "${sim_args[@]}"; do
  case "$a" in
    --out | --out=* | --shard | --shard=* | --shard-count | --shard-count=*)
      echo "$0: $a is set by this script; leave it out of the sim arguments" >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${STACKSIM_BIN:-$here/../../build/stacksim}"
[ -x "$bin" ] || { echo "$0: $bin is not an executable (set STACKSIM_BIN)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# merge takes sim's run options but not its execution ones (--threads, --quiet),
# and prints JSON whatever --format the shards were given.
merge_args=()
skip=0
for a in "${sim_args[@]}"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    --threads | --format) skip=1 ;;
    --threads=* | --format=* | --quiet) ;;
    *) merge_args+=("$a") ;;
  esac
done

# The batch scripts, written into DIR with every argument quoted (printf %q),
# so what ran can be read back.
{
  echo '#!/usr/bin/env bash'
  echo 'set -euo pipefail'
  printf 'exec %q sim' "$bin"
  printf ' %q' "${sim_args[@]}" --quiet
  # shellcheck disable=SC2016 # $SLURM_ARRAY_TASK_ID expands in the job, not here
  printf ' --out %q/shard-"$SLURM_ARRAY_TASK_ID".jsonl\n' "$out"
} > "$out/shard.sbatch"
{
  echo '#!/usr/bin/env bash'
  echo 'set -euo pipefail'
  printf 'cd %q\n' "$out"
  printf '%q merge shard-*.jsonl' "$bin"
  printf ' %q' "${merge_args[@]}"
  printf ' --format json > merged.json.tmp\n'
  echo 'mv merged.json.tmp merged.json'
} > "$out/merge.sbatch"

array_id="$(sbatch --parsable --array="0-$((shards - 1))" --job-name=stacksim-shard \
  --output="$out/slurm-%A_%a.out" ${sbatch_args[@]+"${sbatch_args[@]}"} "$out/shard.sbatch")"
array_id="${array_id%%;*}"
merge_id="$(sbatch --parsable --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
  --job-name=stacksim-merge --output="$out/slurm-%j.out" \
  ${sbatch_args[@]+"${sbatch_args[@]}"} "$out/merge.sbatch")"
merge_id="${merge_id%%;*}"
echo "array $array_id"
echo "merge $merge_id"
