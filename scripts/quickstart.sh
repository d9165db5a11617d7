#!/usr/bin/env bash
# The README's first command: install what is missing, build a Release
# mpowerd and mpower, and serve the demo data on 127.0.0.1:50051.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DMPOWER_BUILD_TESTS=OFF >/dev/null
cmake --build build/release
echo
echo "Built build/release/server/mpowerd and build/release/client/mpower."
echo "Serving the demo data; in another terminal try: build/release/client/mpower partners list"
echo "Stop with Ctrl-C."
exec build/release/server/mpowerd --demo-data "$@"
