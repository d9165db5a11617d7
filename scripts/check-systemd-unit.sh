#!/usr/bin/env bash
# Checks packaging/mpowerd.service as systemd would read it: `systemd-analyze
# verify` (ExecStart pointed at the mpowerd given, since the package's
# /usr/bin/mpowerd is not installed here), then the hardening score of
# `systemd-analyze security`, which fails above 2.0 ("OK" ends at 3.9) and
# prints the overall exposure for the record.
set -euo pipefail
mpowerd="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s|/usr/bin/mpowerd|$mpowerd|" "$root/packaging/mpowerd.service" >"$work/mpowerd.service"
systemd-analyze verify --man=no "$work/mpowerd.service"
systemd-analyze security --offline=true --threshold=20 "$work/mpowerd.service" | tail -1
