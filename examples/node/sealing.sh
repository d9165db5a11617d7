#!/usr/bin/env bash
# End-to-end sealing from TypeScript, beside mpower's CLI: builds
# envelope.ts and sealing.ts with tsc (into a directory of its own) and runs
# sealing.js with its arguments against the server at $MPOWER_ADDRESS with
# the token in $MPOWER_TOKEN.
set -euo pipefail
cd "$(dirname "$0")"
[[ -d node_modules/libsodium-wrappers ]] || npm ci --silent --no-audit --no-fund
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npx tsc --strict --esModuleInterop --skipLibCheck --target ES2022 --module commonjs \
  --outDir "$out" envelope.ts sealing.ts
MPOWER_PROTO_DIR="$(cd ../../proto && pwd)" NODE_PATH="$PWD/node_modules" node "$out/sealing.js" "$@"
