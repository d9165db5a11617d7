#!/usr/bin/env bash
# Generates the Java client from ../../proto (Maven's protobuf plugin, with
# protoc and grpc-java's plugin from Maven Central) and runs the scenario
# against the server at $MPOWER_ADDRESS with the token in $MPOWER_TOKEN.
set -euo pipefail
cd "$(dirname "$0")"
: "${MPOWER_ADDRESS:?set MPOWER_ADDRESS to the server, e.g. 127.0.0.1:50051}"
: "${MPOWER_TOKEN:?set MPOWER_TOKEN to a bearer token (the quick start writes one to ~/.config/mpower/config)}"
exec mvn --batch-mode --quiet --no-transfer-progress -Dstyle.color=never compile exec:java
