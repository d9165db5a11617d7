#!/usr/bin/env bash
# Generates the Python client from ../../proto into $MPOWER_PYTHON_GEN
# (default gen/; tests running at once each use their own).
#
# Uses Debian's packages: protoc and grpc_python_plugin
# (protobuf-compiler, protobuf-compiler-grpc) for the code, python3-grpcio
# and python3-protobuf at run time, python3-nacl for sealing.
set -euo pipefail
cd "$(dirname "$0")"
gen="${MPOWER_PYTHON_GEN:-gen}"
rm -rf "$gen" && mkdir -p "$gen"
# googleapis' own protos (which scripts/install-deps.sh puts in
# tools/node_modules): google.api's route annotations, which the protos
# import, and google.rpc's Status and error details, what grpcio-status
# decodes (Debian packages no grpcio-status to match its grpcio).
googleapis=../../tools/node_modules/google-proto-files
protoc -I ../../proto -I "$googleapis" \
  --python_out="$gen" --grpc_python_out="$gen" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  ../../proto/mpower/v1/*.proto
protoc -I "$googleapis" --python_out="$gen" google/rpc/status.proto google/rpc/error_details.proto \
  google/api/annotations.proto google/api/http.proto
