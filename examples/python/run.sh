#!/usr/bin/env bash
# Generates the Python client from ../../proto and runs the scenario against
# the server at $MPOWER_ADDRESS with the token in $MPOWER_TOKEN.
#
# Uses Debian's packages: protoc and grpc_python_plugin
# (protobuf-compiler, protobuf-compiler-grpc) for the code, python3-grpcio
# and python3-protobuf at run time. Debian's Python modules belong to
# /usr/bin/python3, so that is the interpreter used.
set -euo pipefail
cd "$(dirname "$0")"
# MPOWER_PYTHON_GEN puts the generated code elsewhere (tests running at
# once each use their own).
gen="${MPOWER_PYTHON_GEN:-gen}"
export MPOWER_PYTHON_GEN="$gen"
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
exec /usr/bin/python3 scenario.py
