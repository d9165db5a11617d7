#!/usr/bin/env bash
# Checks a built mpowerd.service (packaging/mpowerd.service.in, configured)
# as systemd would read it: `systemd-analyze verify` (ExecStart pointed at
# the mpowerd given, since the installed one is not there), then the
# hardening score of `systemd-analyze security`, which fails above 2.0
# ("OK" ends at 3.9) and prints the overall exposure for the record.
# Usage: check-systemd-unit.sh UNIT MPOWERD
set -euo pipefail
unit="$1"
mpowerd="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s|^ExecStart=[^ ]*|ExecStart=$mpowerd|" "$unit" >"$work/mpowerd.service"
systemd-analyze verify --man=no "$work/mpowerd.service"
systemd-analyze security --offline=true --threshold=20 "$work/mpowerd.service" | tail -1
# The backup timer and its service, beside it.
dir="$(dirname "$unit")"
sed "s|ExecStart=/bin/sh -c 'exec [^ ]*mpowerd|ExecStart=/bin/sh -c 'exec $mpowerd|" \
  "$dir/mpowerd-backup.service" >"$work/mpowerd-backup.service"
cp "$(dirname "$0")/../packaging/mpowerd-backup.timer" "$work/"
systemd-analyze verify --man=no "$work/mpowerd-backup.service" "$work/mpowerd-backup.timer"
