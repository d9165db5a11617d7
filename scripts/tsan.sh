#!/usr/bin/env bash
# Runs the test suites under ThreadSanitizer against Abseil and gRPC built
# with it too (scripts/build-tsan-deps.sh, run first, about half an hour), so the
# gRPC-facing parts (handlers, the watch hub, shutdown) are judged, not only
# core and storage. Arguments go to ctest, e.g. `scripts/tsan.sh -R Watch`.
#
# Without those builds, `-DMPOWER_TSAN=ON` alone links Debian's gRPC, whose
# synchronisation TSan cannot see; BUILD.md says what that can judge.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$PWD/build/tsan-deps/prefix
if [ ! -f "$prefix/lib/cmake/grpc/gRPCConfig.cmake" ]; then
  echo "tsan: run scripts/build-tsan-deps.sh first" >&2
  exit 2
fi
cmake -S . -B build/tsan-grpc -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPOWER_TSAN=ON \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build build/tsan-grpc
# Only protobuf and libstdc++ remain uninstrumented. The one suppression is
# explained in the file.
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan-instrumented.supp second_deadlock_stack=1 history_size=4 ${TSAN_OPTIONS:-}"
# The fuzz runs, the other languages' clients and the tooling checks are not
# about threads.
ctest --test-dir build/tsan-grpc --output-on-failure -E 'fuzz_|ExampleTest|buf_|api_reference' "$@"
