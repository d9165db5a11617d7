#!/usr/bin/env bash
# End-to-end sealing from Go, beside mpower's CLI: builds sealing/ (build.sh)
# and runs it with its arguments against the server at $MPOWER_ADDRESS with
# the token in $MPOWER_TOKEN.
set -euo pipefail
cd "$(dirname "$0")"
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
./build.sh sealing "$bin/sealing"
"$bin/sealing" "$@"
