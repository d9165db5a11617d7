#!/usr/bin/env bash
# Generates the Go client from ../../proto and runs the scenario against
# the server at $MPOWER_ADDRESS with the token in $MPOWER_TOKEN (build.sh
# says where each tool comes from).
set -euo pipefail
cd "$(dirname "$0")"
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
./build.sh scenario "$bin/scenario"
"$bin/scenario"
