#!/usr/bin/env bash
# Checks that every C++ file in the repository is formatted as .clang-format
# says (Google style, 100 columns). With --fix, formats them in place.
# CTest runs the check as `clang_format`.
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=clang-format-14
# Tracked files and new ones not yet added (but not ignored), so a file is
# checked before its first commit.
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cc' '*.h')
if [[ "${1:-}" == "--fix" ]]; then
  "$clang_format" -i "${files[@]}"
  exit 0
fi
if ! "$clang_format" --dry-run --Werror "${files[@]}"; then
  echo "Some C++ files are not formatted; run scripts/check-format.sh --fix" >&2
  exit 1
fi
