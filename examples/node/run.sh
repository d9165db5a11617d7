#!/usr/bin/env bash
# Generates TypeScript types from ../../proto with @grpc/proto-loader, builds
# the scenario with tsc and runs it with @grpc/grpc-js against the server at
# $MPOWER_ADDRESS with the token in $MPOWER_TOKEN. The packages are pinned in
# package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
: "${MPOWER_ADDRESS:?set MPOWER_ADDRESS to the server, e.g. 127.0.0.1:50051}"
: "${MPOWER_TOKEN:?set MPOWER_TOKEN to a bearer token (the quick start writes one to ~/.config/mpower/config)}"
[[ -d node_modules ]] || npm ci --silent --no-audit --no-fund
rm -rf gen dist
npm run --silent generate >/dev/null 2>&1
npm run --silent build
exec node dist/scenario.js
