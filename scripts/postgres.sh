#!/usr/bin/env bash
# A throwaway PostgreSQL 15 (Debian's postgresql-15) for tests and trials,
# listening on a Unix socket in DIR only (no TCP), trusting local
# connections, reached as postgresql://mpower@/postgres?host=DIR.
#
#   scripts/postgres.sh start DIR    initdb and start (DIR must not exist)
#   scripts/postgres.sh stop DIR     stop it and remove DIR
#   scripts/postgres.sh restart DIR  restart it (fast: open sessions are cut)
#   scripts/postgres.sh crash-restart DIR
#                                    restart it as after a crash (immediate:
#                                    no checkpoint, recovery from the WAL)
#   scripts/postgres.sh pause DIR    stop it, keeping its data (an outage)
#   scripts/postgres.sh resume DIR   start it again after pause
#   scripts/postgres.sh run CMD...   start one in a fresh directory, run CMD
#                                    with MPOWER_TEST_POSTGRES_URL set, stop
#
# CTest starts and stops one for the whole run (tests/CMakeLists.txt, the
# `postgres` fixture), and each test makes a database of its own in it.
# initdb refuses to run as root, so as root the server runs as the postgres
# user (runuser). A small pg_wal (max_wal_size) keeps short the rounds in
# which mpowerd cycles it after a narrowing (README).
set -euo pipefail
bin=/usr/lib/postgresql/15/bin

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local dir="$1"
  [[ -x "$bin/initdb" ]] || { echo "postgres.sh: install postgresql-15" >&2; exit 1; }
  stop "$dir" || true  # what a killed run left behind
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" --username=mpower --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  # fsync stays on: the durability tests depend on it. Enough connections
  # for several replicas and their pools.
  resume "$dir"
  echo "postgresql://mpower@/postgres?host=$dir"
}

resume() {
  local dir="$1"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses='' -k $dir -c max_connections=400 -c shared_buffers=64MB \
        -c min_wal_size=32MB -c max_wal_size=128MB" \
    >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
}

stop() {
  local dir="$1"
  [[ -d "$dir/data" ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "$2" ;;
  restart) as_owner "$bin/pg_ctl" -D "$2/data" -l "$2/server.log" -w -t 60 -m fast restart >/dev/null ;;
  crash-restart)
    as_owner "$bin/pg_ctl" -D "$2/data" -w -t 60 -m immediate stop >/dev/null
    resume "$2"
    ;;
  pause) as_owner "$bin/pg_ctl" -D "$2/data" -w -t 60 -m fast stop >/dev/null ;;
  resume) resume "$2" ;;
  stop) stop "$2" || true ;;
  run)
    shift
    dir="$(mktemp -d /tmp/mpower-pg.XXXXXX)"
    trap 'stop "$dir" || true' EXIT
    MPOWER_TEST_POSTGRES_URL="$(start "$dir")"
    export MPOWER_TEST_POSTGRES_URL
    "$@"
    ;;
  *) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
