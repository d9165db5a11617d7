#!/usr/bin/env bash
# Checks Envelope.java against the sealed envelope's test vectors:
# ./check_vectors.sh ../../docs/sealed-envelope-vectors.json.
set -euo pipefail
vectors="$(realpath "$1")"
cd "$(dirname "$0")"
exec mvn --batch-mode --quiet --no-transfer-progress -Dstyle.color=never compile exec:java \
  -Dexample.main=org.mpowerpartnership.example.CheckVectors -Dexec.args="$vectors" \
  -Dexec.cleanupDaemonThreads=false
