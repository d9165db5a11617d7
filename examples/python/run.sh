#!/usr/bin/env bash
# Generates the Python client from ../../proto (generate.sh) and runs the
# scenario against the server at $MPOWER_ADDRESS with the token in
# $MPOWER_TOKEN. Debian's Python modules belong to /usr/bin/python3, so
# that is the interpreter used.
set -euo pipefail
cd "$(dirname "$0")"
export MPOWER_PYTHON_GEN="${MPOWER_PYTHON_GEN:-gen}"
./generate.sh
exec /usr/bin/python3 scenario.py
