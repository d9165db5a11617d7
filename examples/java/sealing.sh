#!/usr/bin/env bash
# End-to-end sealing from Java, beside mpower's CLI: compiles (build.sh) and
# runs Sealing.java with its arguments against the server at
# $MPOWER_ADDRESS with the token in $MPOWER_TOKEN.
set -euo pipefail
cd "$(dirname "$0")"
./build.sh
exec java -cp "target/classes:$(cat target/classpath.txt)" org.mpowerpartnership.example.Sealing "$@"
