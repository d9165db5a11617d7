#!/usr/bin/env bash
# Generates the Go client from ../../proto into ./mpower and builds the
# program in ./$1 (scenario or sealing) into $2. Examples run at once (CTest
# runs tests in parallel) take turns here: the generated code is shared.
#
# protoc comes from Debian (protobuf-compiler); protoc-gen-go and
# protoc-gen-go-grpc are Go modules, installed into ../../tools/bin by
# scripts/install-deps.sh (or by this script when missing).
set -euo pipefail
cd "$(dirname "$0")"
tools="$(cd ../../tools && pwd)/bin"
exec 9>"${TMPDIR:-/tmp}/mpower-go-example.lock"
flock 9
if [[ ! -x "$tools/protoc-gen-go" || ! -x "$tools/protoc-gen-go-grpc" ]]; then
  GOBIN="$tools" go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.10
  GOBIN="$tools" go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
fi
# The protos' go_package is github.com/mpower-partnership/mpower/gen/go/...,
# which is this module's path: the code lands in ./mpower/v1.
rm -rf mpower && PATH="$tools:$PATH" protoc -I ../../proto -I ../../tools/node_modules/google-proto-files \
  --go_out=. --go_opt=module=github.com/mpower-partnership/mpower/gen/go \
  --go-grpc_out=. --go-grpc_opt=module=github.com/mpower-partnership/mpower/gen/go \
  ../../proto/mpower/v1/*.proto
go build -o "$2" "./$1"
