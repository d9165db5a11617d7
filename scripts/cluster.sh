#!/usr/bin/env bash
# Three mpowerd replicas on one local PostgreSQL, to try mpower beyond one
# machine (README, "Several replicas on PostgreSQL"):
#
#   scripts/cluster.sh            builds (Release), starts PostgreSQL and
#                                 replicas on 127.0.0.1:50051, 50052, 50053,
#                                 loads the demo data, and waits; Ctrl-C
#                                 stops them all
#
# The replicas share the database and one key directory; each has its own
# data directory (for its log-free state: nothing but the CLI config the
# first start writes). Everything lives under $MPOWER_CLUSTER_DIR
# (default /tmp/mpower-cluster) and is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DMPOWER_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target mpowerd mpower >/dev/null

root="${MPOWER_CLUSTER_DIR:-/tmp/mpower-cluster}"
rm -rf "$root"
mkdir -p "$root"
pids=()
stop() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  scripts/postgres.sh stop "$root/postgres"
  rm -rf "$root"
}
trap stop EXIT
url="$(scripts/postgres.sh start "$root/postgres")"
echo "PostgreSQL: $url"
for i in 1 2 3; do
  port=$((50050 + i))
  demo=()
  [[ $i -eq 1 ]] && demo=(--demo-data)
  build/release/server/mpowerd --database="$url" --key-dir="$root/keys" \
    --data-dir="$root/replica-$i" --listen="127.0.0.1:$port" \
    --client-config="$root/replica-$i/config" "${demo[@]}" >"$root/replica-$i.out" 2>"$root/replica-$i.log" &
  pids+=($!)
  # The first replica creates the schema, the keys and the demo data.
  for _ in $(seq 100); do grep -q "serving on" "$root/replica-$i.out" 2>/dev/null && break; sleep 0.1; done
  grep -q "serving on" "$root/replica-$i.out" || { cat "$root/replica-$i.log" >&2; exit 1; }
  echo "replica $i: 127.0.0.1:$port (log $root/replica-$i.log)"
done
token="$(sed -n 's/^token = //p' "$root/replica-1/config")"
cat <<HELP

Three replicas serve one database. In another terminal:

  export MPOWER_TOKEN=$token
  export MPOWER_ADDRESS=ipv4:127.0.0.1:50051,127.0.0.1:50052,127.0.0.1:50053
  build/release/client/mpower partners list
  build/release/client/mpower alerts watch      # on whichever replica; writes through any

Ctrl-C here stops them all.
HELP
wait "${pids[@]}"
