#!/usr/bin/env bash
# Compiles the example (Maven: the protobuf plugin generates the client
# from ../../proto) and writes its runtime class path to
# target/classpath.txt, for sealing.sh and check_vectors.sh to run a class
# with plain `java`. Scripts run at once (CTest runs tests in parallel) take
# turns here: they share target/. Nothing is done when nothing changed.
set -euo pipefail
cd "$(dirname "$0")"
exec 9>"${TMPDIR:-/tmp}/mpower-java-example.lock"
flock 9
# Built already, and nothing it is built from changed since.
if [[ -s target/classpath.txt && -z "$(find src pom.xml ../../proto -newer target/classpath.txt | head -1)" ]]; then
  exit 0
fi
mvn --batch-mode --quiet --no-transfer-progress -Dstyle.color=never compile \
  dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
