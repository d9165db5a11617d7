#!/usr/bin/env bash
# Checks Envelope.java against the sealed envelope's test vectors:
# ./check_vectors.sh ../../docs/sealed-envelope-vectors.json.
set -euo pipefail
vectors="$(realpath "$1")"
cd "$(dirname "$0")"
./build.sh
exec java -cp "target/classes:$(cat target/classpath.txt)" \
  org.mpowerpartnership.example.CheckVectors "$vectors"
