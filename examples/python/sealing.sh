#!/usr/bin/env bash
# End-to-end sealing from Python, beside mpower's CLI: generates the client
# (generate.sh) and runs sealing.py with its arguments against the server at
# $MPOWER_ADDRESS with the token in $MPOWER_TOKEN.
set -euo pipefail
cd "$(dirname "$0")"
export MPOWER_PYTHON_GEN="${MPOWER_PYTHON_GEN:-gen}"
[[ -d "$MPOWER_PYTHON_GEN/mpower" ]] || ./generate.sh
exec /usr/bin/python3 sealing.py "$@"
