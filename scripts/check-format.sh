#!/usr/bin/env bash
# Every C++ source and header of the project is formatted by .clang-format
# (clang-format 14, Debian's). Without arguments: list what is not and exit
# 1; with --fix: format those files in place.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find sim live calibrate tests bench fuzz -name '*.cpp' -o -name '*.hpp' | sort)
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" 2>/dev/null || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} of ${#files[@]} files are not as .clang-format says (scripts/check-format.sh --fix formats them):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
