#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL 15 (Debian's postgresql-15),
# then stops it and removes its files:
#
#   scripts/with-postgres.sh ctest --test-dir build/test
#
# The server listens on a Unix socket in a fresh directory only (no TCP),
# trusts local connections, and is reached through MPOWER_TEST_POSTGRES_URL,
# which the command inherits. The tests make a database of their own in it
# for each test. initdb refuses to run as root, so as root the server runs
# as the postgres user (runuser).
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
[[ -x "$bin/initdb" ]] || { echo "with-postgres: install postgresql-15" >&2; exit 1; }
dir="$(mktemp -d /tmp/mpower-pg.XXXXXX)"
as_owner=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi
cleanup() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" --username=mpower --auth=trust \
  --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
# fsync stays on: the crash tests depend on it. Enough connections for
# several replicas and their pools.
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
  -o "-c listen_addresses='' -k $dir -c max_connections=300 -c shared_buffers=64MB" \
  >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
export MPOWER_TEST_POSTGRES_URL="postgresql://mpower@/postgres?host=$dir"
export MPOWER_TEST_POSTGRES_DIR="$dir"
"$@"
