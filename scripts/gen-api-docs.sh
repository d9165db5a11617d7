#!/usr/bin/env bash
# Generates docs/api.md, the API reference, from the protos' comments with
# protoc-gen-doc (a Go module in tools/bin, installed by install-deps.sh).
# With --check, writes nothing and fails if docs/api.md is not current: CI
# runs that, so the reference never drifts from the contract.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
PATH="$PWD/tools/bin:$PATH" protoc -I proto \
  --doc_out="$out" --doc_opt=markdown,api.md proto/mpower/v1/*.proto
if [[ "${1:-}" == "--check" ]]; then
  if ! diff -u docs/api.md "$out/api.md"; then
    echo "docs/api.md is out of date: run scripts/gen-api-docs.sh and commit the result" >&2
    exit 1
  fi
  echo "docs/api.md is current"
else
  mkdir -p docs
  cp "$out/api.md" docs/api.md
  echo "wrote docs/api.md"
fi
