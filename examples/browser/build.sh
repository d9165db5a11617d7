#!/usr/bin/env bash
# Builds the page into dist/: messages generated from ../../proto (and
# google.api's route annotations, from googleapis' own protos in
# tools/node_modules) by @bufbuild/protoc-gen-es, bundled with Connect's
# web client by esbuild.
# Serve dist/ from any static web server whose origin mpowerd lists in
# --http-cors-origins. Packages are pinned in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
[[ -d node_modules ]] || npm ci --silent --no-audit --no-fund
rm -rf gen dist && mkdir gen dist
googleapis=../../tools/node_modules/google-proto-files
protoc -I ../../proto -I "$googleapis" --plugin=protoc-gen-es=node_modules/.bin/protoc-gen-es \
  --es_out=gen --es_opt=target=js,import_extension=js $(cd ../../proto && ls mpower/v1/*.proto) \
  google/api/annotations.proto google/api/http.proto
node_modules/.bin/esbuild page.js --bundle --format=iife --target=es2020 --log-level=warning \
  --outfile=dist/page.bundle.js
cp index.html dist/
