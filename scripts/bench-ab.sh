#!/usr/bin/env bash
# Two builds of stacksim_bench, alternated in one sitting: this VM's vCPU
# flips between two speeds within seconds, so a speed-up is only read from
# old and new runs taken side by side, as the median of their ratios.
#
#   scripts/bench-ab.sh OLD_BENCH NEW_BENCH [ROUNDS] [FILTER]
#
# Prints, per benchmark, the rate of every round for both (requests_per_s,
# or Google Benchmark's items_per_second) and the median new/old ratio.
# ROUNDS defaults to 8, FILTER to ArticleStack.
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 OLD_BENCH NEW_BENCH [ROUNDS] [FILTER]" >&2
  exit 2
fi
old=$1 new=$2 rounds=${3:-8} filter=${4:-ArticleStack}
for b in "$old" "$new"; do
  [[ -x $b ]] || { echo "$0: $b: not an executable" >&2; exit 2; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 0; i < rounds; i++)); do
  for side in old new; do
    bin=$old
    [[ $side == new ]] && bin=$new
    "$bin" --benchmark_filter="$filter" --benchmark_min_time=0.3 --benchmark_format=csv 2>/dev/null |
      awk -F, -v side="$side" -v round="$i" 'NR == 1 || $1 ~ /^"/ { print side, round, $0 }' >>"$out"
  done
done
/usr/bin/python3 - "$out" <<'EOF'
import csv, statistics, sys
rates = {}  # (name, side) -> [rate per round]
column = None
for line in open(sys.argv[1]):
    side, rnd, rest = line.split(" ", 2)
    row = next(csv.reader([rest]))
    if row[0] == "name":  # each run's header: the rate is requests_per_s, else items_per_second
        names = [c.strip('"') for c in row]
        column = next((names.index(c) for c in ("requests_per_s", "items_per_second") if c in names), None)
        continue
    if column is None or not row[column]:
        print(f"bench-ab.sh: {row[0]} reports neither requests_per_s nor items_per_second",
              file=sys.stderr)
        sys.exit(2)
    rates.setdefault((row[0], side), []).append(float(row[column]))
for name in sorted({n for n, _ in rates}):
    old, new = rates[(name, "old")], rates[(name, "new")]
    ratios = [b / a for a, b in zip(old, new)]
    print(f"{name}")
    print("  old k/s: " + " ".join(f"{r / 1e3:.0f}" for r in old))
    print("  new k/s: " + " ".join(f"{r / 1e3:.0f}" for r in new))
    print(f"  new/old median {statistics.median(ratios):.3f} "
          f"(range {min(ratios):.3f}-{max(ratios):.3f}, {len(ratios)} rounds)")
EOF
