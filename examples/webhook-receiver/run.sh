#!/usr/bin/env bash
# Installs the pinned Standard Webhooks library and runs the receiver. It
# needs MPOWER_WEBHOOK_SECRET; PORT defaults to 8080 (0 lets the OS pick).
set -euo pipefail
cd "$(dirname "$0")"
[[ -d node_modules ]] || npm ci --silent --no-audit --no-fund
exec node receiver.js
