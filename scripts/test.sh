#!/usr/bin/env bash
# The README's second command, and what CI runs (.ci/run): install what is
# missing, build everything with AddressSanitizer and UndefinedBehaviorSanitizer,
# and run every test (unit, service, end-to-end, buf lint) under CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMPOWER_SANITIZE=ON >/dev/null
cmake --build build/test
ctest --test-dir build/test --output-on-failure --parallel 2
