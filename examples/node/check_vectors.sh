#!/usr/bin/env bash
# Builds envelope.ts and check_vectors.ts with tsc (into a directory of its
# own, so as not to meet run.sh's build) and checks the sealed envelope's
# test vectors: ./check_vectors.sh ../../docs/sealed-envelope-vectors.json.
set -euo pipefail
vectors="$(realpath "$1")"
cd "$(dirname "$0")"
[[ -d node_modules/libsodium-wrappers ]] || npm ci --silent --no-audit --no-fund
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npx tsc --strict --esModuleInterop --skipLibCheck --target ES2022 --module commonjs \
  --outDir "$out" envelope.ts check_vectors.ts
# The compiled files find libsodium-wrappers in this folder's node_modules.
NODE_PATH="$PWD/node_modules" node "$out/check_vectors.js" "$vectors"
