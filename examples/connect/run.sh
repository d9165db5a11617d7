#!/usr/bin/env bash
# Generates JavaScript from ../../proto with @bufbuild/protoc-gen-es (and
# google.rpc's error details and google.api's route annotations from
# googleapis' own protos, which scripts/install-deps.sh puts in
# tools/node_modules), then runs the
# scenario with @connectrpc/connect-node against the HTTP listener at
# $MPOWER_HTTP_URL with the token in $MPOWER_TOKEN. Packages are pinned in
# package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
: "${MPOWER_HTTP_URL:?set MPOWER_HTTP_URL to mpowerd --http-listen, e.g. http://127.0.0.1:8080}"
: "${MPOWER_TOKEN:?set MPOWER_TOKEN to a bearer token (the quick start writes one to ~/.config/mpower/config)}"
[[ -d node_modules ]] || npm ci --silent --no-audit --no-fund
googleapis=../../tools/node_modules/google-proto-files
rm -rf gen && mkdir gen
protoc -I ../../proto -I "$googleapis" --plugin=protoc-gen-es=node_modules/.bin/protoc-gen-es \
  --es_out=gen --es_opt=target=js,import_extension=js \
  $(cd ../../proto && ls mpower/v1/*.proto) google/rpc/error_details.proto \
  google/api/annotations.proto google/api/http.proto
exec node scenario.js
