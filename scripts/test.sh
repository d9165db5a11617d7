#!/usr/bin/env bash
# The README's second command, and what CI runs (.ci/run): install what is
# missing, build everything with AddressSanitizer and UndefinedBehaviorSanitizer,
# build the fuzzers with clang, and run every test (unit, service,
# end-to-end, examples, buf, short fuzz runs) under CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The libFuzzer targets need clang: they build in their own tree, and CTest
# runs each briefly beside the other tests. mpowerd builds there too, so
# clang's thread-safety analysis (-Werror=thread-safety) sees every lock.
# Unoptimised, with line tables only: CI's ten-second runs need no speed,
# and -O2 made this tree a third of CI's time on two cores (BUILD.md,
# "Fuzzing", builds an optimised tree for long runs).
CXX=clang++-14 cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only -DMPOWER_FUZZ=ON -DMPOWER_BUILD_TESTS=OFF >/dev/null
cmake --build build/fuzz --target fuzzers mpowerd
# Line tables (-g1) are all ASan's reports need, and build faster than -g.
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DMPOWER_SANITIZE=ON -DCMAKE_INSTALL_PREFIX=/usr \
  -DMPOWER_FUZZERS_DIR="$PWD/build/fuzz/fuzz" >/dev/null
cmake --build build/test
ctest --test-dir build/test --output-on-failure --parallel 2
