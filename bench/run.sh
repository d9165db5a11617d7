#!/usr/bin/env bash
# Runs the whole comparison on this machine and prints one table: mpowerd
# beside a bare gRPC echo server (the physical reference) and etcd (the
# durable gRPC store a user might reach for instead), each scenario with our
# closed-loop generator and, for a second opinion, with ghz. bench/README.md
# explains the scenarios, the targets and how to read the table.
#
# Environment: BENCH_DURATION (default 10s per scenario), BENCH_COMMITMENTS
# (default 1000000 in the store), BENCH_IN_FLIGHT (64), BENCH_CONNECTIONS (4),
# BENCH_PG_COMMITMENTS (default 100000 in the PostgreSQL store; 0 skips the
# PostgreSQL rows).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
duration="${BENCH_DURATION:-10s}"
commitments="${BENCH_COMMITMENTS:-1000000}"
in_flight="${BENCH_IN_FLIGHT:-64}"
connections="${BENCH_CONNECTIONS:-4}"
pg_commitments="${BENCH_PG_COMMITMENTS:-100000}"
partners=10
per_partner=$((commitments / partners))

# What the benchmark needs beyond the build: etcd (Debian) and ghz (Go).
scripts/install-deps.sh >/dev/null
if ! command -v etcd >/dev/null 2>&1; then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
fi
[[ -x tools/bin/ghz ]] || GOBIN="$PWD/tools/bin" GOFLAGS=-mod=mod go install github.com/bojand/ghz/cmd/ghz@v0.120.0
# hey, an HTTP load generator, for HTTP/JSON beside gRPC.
[[ -x tools/bin/hey ]] || GOBIN="$PWD/tools/bin" GOFLAGS=-mod=mod go install github.com/rakyll/hey@v0.1.4

build=build/bench
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMPOWER_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target mpowerd mpower mpower-load mpower-echo-server mpower-bench-seed \
  mpower-notify-bench mpower-seal-bench >/dev/null
mpowerd="$build/server/mpowerd"
mpower="$build/client/mpower"
load="$build/bench/mpower-load"
ghz="tools/bin/ghz"
hey="tools/bin/hey"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "${pg_dir:-}" ]] && scripts/postgres.sh stop "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
results="$work/results"
: >"$results"
record() { echo "$*" >>"$results"; }

# Starts "$@" in the background; waits for its "serving on HOST:PORT" line
# and sets $port and $pid.
serve() {
  local log="$work/log.$RANDOM"
  "$@" >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 600); do
    port=$(sed -n 's/.*serving on 127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    http_port=$(sed -n 's/.*HTTP on 127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    [[ -n "$port" ]] && return 0
    sleep 0.05
  done
  echo "bench: $1 did not start:" >&2; cat "$log" >&2; exit 1
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# CPU ticks (user + system) of the given processes, from /proc; with
# `--reaped`, those of their children that have ended instead. Read with
# builtins only: a snapshot must be quick, or a process ending during it
# would be counted twice (alive, then through its parent).
ticks_of() {
  local first=11 total=0 p line fields
  [[ "${1:-}" == --reaped ]] && { first=13; shift; }
  for p in "$@"; do
    read -r line 2>/dev/null <"/proc/$p/stat" || continue
    read -ra fields <<<"${line##*) }"  # the fields after the command's name
    total=$((total + fields[first] + fields[first + 1]))
  done
  echo "$total"
}
# CPU ticks of the bench's PostgreSQL: the postmaster and its live children,
# plus (through the postmaster's reaped-children counters) those that ended.
pg_ticks() {
  local postmaster reaped
  [[ -n "${pg_dir:-}" ]] || { echo 0; return; }  # SQLite's rows: no PostgreSQL yet
  read -r postmaster <"$pg_dir/data/postmaster.pid"
  reaped=$(ticks_of --reaped "$postmaster")
  echo $((reaped + $(ticks_of "$postmaster" $(pgrep -P "$postmaster"))))
}
# Runs the client "$@" in the background, writing to $work/client.out, and
# over a window of its steady state (past mpower-load's 2 s warm-up, ended
# before it is) measures the CPU of PostgreSQL, of the mpowerd processes in
# $cpu_servers, and of the client itself. Then, given the client's
# operations per second, `record_cpu LABEL QPS` records each one's CPU per
# operation: on a machine the three share, where an operation's time goes.
sample_cpu() {
  "$@" >"$work/client.out" 2>&1 &
  local client=$!
  cpu_window=$(( ${duration%s} > 6 ? ${duration%s} - 5 : 1 ))
  if [[ "$1" == "$load" ]]; then  # its warm-up starts after what it prepares
    until grep -q "load starts" "$work/client.out" || ! kill -0 "$client" 2>/dev/null; do
      sleep 0.05
    done
  fi
  sleep 3
  local database=$(pg_ticks) servers=$(ticks_of $cpu_servers) own=$(ticks_of "$client")
  sleep "$cpu_window"
  cpu_database=$(($(pg_ticks) - database))
  cpu_servers_ticks=$(($(ticks_of $cpu_servers) - servers))
  cpu_client=$(($(ticks_of "$client") - own))
  wait "$client"
}
record_cpu() {  # label qps
  record "scenario=$1-cpu $(/usr/bin/python3 -c "
per_op = 1e6 / $(getconf CLK_TCK) / ($2 * $cpu_window)
print(' '.join(f'{key}={round(ticks * per_op)}' for key, ticks in
               (('database_us', $cpu_database), ('mpowerd_us', $cpu_servers_ticks),
                ('client_us', $cpu_client))))")"
}
# The closed loop of `load_with_cpu LABEL SCENARIO TARGET [flags]`, with
# the CPU per operation of the mpowerd processes in $cpu_servers beside it.
load_with_cpu() {
  local label=$1 scenario=$2 target=$3; shift 3
  sample_cpu "$load" --scenario="$scenario" --target="$target" --in-flight="$in_flight" \
    --connections="$connections" --duration="$duration" "$@"
  grep -v '^scenario=' "$work/client.out" | grep -v "load starts" >&2 || true
  sed -n "s/^scenario=$scenario /scenario=$label /p" "$work/client.out" | tee -a "$results"
  record_cpu "$label" "$(sed -n 's/.*qps=\([0-9.]*\).*/\1/p' "$work/client.out")"
}
now_ms() { date +%s%3N; }
run_load() {  # scenario target [extra flags]: appends the generator's line
  local scenario=$1 target=$2; shift 2
  "$load" --scenario="$scenario" --target="$target" --in-flight="$in_flight" \
    --connections="$connections" --duration="$duration" "$@" | tee -a "$results"
}
run_hey() {  # label path [json]: the same closed loop over HTTP/JSON: with a
  # JSON body, a Connect unary POST; without, a GET of a REST route
  local label=$1 path=$2 json=${3:-}
  local request=(-m GET)
  [[ -n "$json" ]] && request=(-m POST -T application/json -d "$json")
  "$hey" -z "$duration" -c "$in_flight" "${request[@]}" \
    -H "Authorization: Bearer $token" "$mpowerd_http$path" >"$work/hey.out" 2>&1 || true
  /usr/bin/python3 - "$label" "$work/hey.out" <<'PY' | tee -a "$results"
import re, sys
label, text = sys.argv[1], open(sys.argv[2]).read()
qps = re.search(r"Requests/sec:\s*([0-9.]+)", text)
pct = {int(p): float(s) * 1000 for p, s in re.findall(r"(\d+)% in ([0-9.]+) secs", text)}
codes = dict((c, int(n)) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", text))
errors = sum(n for c, n in codes.items() if c != "200") + len(re.findall(r"Error distribution", text))
print(f"scenario={label} qps={float(qps.group(1)) if qps else 0:.0f} p50_ms={pct.get(50, 0):.3f} "
      f"p99_ms={pct.get(99, 0):.3f} p999_ms=0 errors={errors}")
PY
}
run_ghz() {  # label target call data [extra ghz flags]
  local label=$1 target=$2 call=$3 data=$4; shift 4
  # "@FILE" is ghz's --data-file: kingpin, its flag parser, would read
  # "--data @FILE" as a file of further arguments.
  local data_flag=(--data "$data")
  [[ "$data" == @* ]] && data_flag=(--data-file "${data#@}")
  "$ghz" --insecure --call "$call" "${data_flag[@]}" -c "$in_flight" --connections "$connections" \
    -z "$duration" --format json "$@" "$target" >"$work/ghz.json" 2>"$work/ghz.err" || true
  # If ghz itself failed, say why on the console (the table shows ghz-failed).
  [[ -s "$work/ghz.json" ]] || { echo "bench: ghz $label failed:" >&2; head -5 "$work/ghz.err" >&2; }
  /usr/bin/python3 - "$label" "$work/ghz.json" <<'PY' | tee -a "$results"
import json, sys
label, path = sys.argv[1], sys.argv[2]
try:
    r = json.load(open(path))
except Exception:
    print(f"scenario={label} qps=0 p50_ms=0 p99_ms=0 p999_ms=0 errors=ghz-failed"); sys.exit()
dist = {d["percentage"]: d["latency"] / 1e6 for d in r.get("latencyDistribution") or []}
codes = r.get("statusCodeDistribution") or {}
errors = sum(v for k, v in codes.items() if k != "OK")
print(f"scenario={label} qps={r.get('rps', 0):.0f} p50_ms={dist.get(50, 0):.3f} "
      f"p99_ms={dist.get(99, 0):.3f} p999_ms={dist.get(99.9, 0):.3f} errors={errors}")
PY
}

echo "== idle memory (demo data)"
serve "$mpowerd" --demo-data --data-dir="$work/idle" --listen=127.0.0.1:0 --client-config="$work/idle.config"
sleep 1
record "scenario=idle-rss rss_mb=$(( $(rss_kb "$pid") / 1024 ))"
kill "$pid"; wait "$pid" 2>/dev/null || true

echo "== end-to-end sealing: seal and open for 1, 5 and 50 recipient keys"
"$build/bench/mpower-seal-bench" | tee -a "$results"

echo "== notifications: 1000 webhook subscriptions, one alert at a time"
serve "$mpowerd" --demo-data --data-dir="$work/notify" --listen=127.0.0.1:0 \
  --client-config="$work/notify.config" --rate-limit=0 --notify-allow-http-loopback \
  --notify-allow-private-targets
"$build/bench/mpower-notify-bench" --target="127.0.0.1:$port" \
  --token="$(sed -n 's/^token = //p' "$work/notify.config")" --subscriptions=1000 --alerts=20 |
  tee -a "$results"
kill "$pid"; wait "$pid" 2>/dev/null || true

echo "== seeding $commitments commitments"
seed_start=$(now_ms)
"$build/bench/mpower-bench-seed" --data-dir="$work/big" --partners="$partners" \
  --per-partner="$per_partner" --names-file="$work/names" >/dev/null
record "scenario=seed seconds=$(( ($(now_ms) - seed_start) / 1000 ))"

echo "== mpowerd on the seeded store"
started=$(now_ms)
serve "$mpowerd" --data-dir="$work/big" --listen=127.0.0.1:0 --client-config="$work/big.config" \
  --rate-limit=0 --max-watch-streams=4096 --http-listen=127.0.0.1:0
record "scenario=startup ms=$(( $(now_ms) - started ))"
mpowerd_pid=$pid
mpowerd_addr="127.0.0.1:$port"
mpowerd_http="http://127.0.0.1:$http_port"
token=$(sed -n 's/^token = //p' "$work/big.config")
sleep 1
record "scenario=rss-1m rss_mb=$(( $(rss_kb "$mpowerd_pid") / 1024 ))"

serve "$build/bench/mpower-echo-server" --listen=127.0.0.1:0
echo_addr="127.0.0.1:$port"

echo "== closed loop: $in_flight in flight over $connections connections, $duration each"
record "scenario=config in_flight=$in_flight connections=$connections"
run_load echo "$echo_addr"
run_load get "$mpowerd_addr" --token="$token" --names-file="$work/names"
run_load list "$mpowerd_addr" --token="$token"
# The same List one call at a time: its latency without the queue that many
# calls in flight on two cores make (see bench/README.md).
"$load" --scenario=list --target="$mpowerd_addr" --token="$token" --in-flight=1 \
  --connections=1 --duration="$duration" | sed 's/^scenario=list /scenario=list-one /' |
  tee -a "$results"
run_load create-alert "$mpowerd_addr" --token="$token"
# Protected details sealed by the server, and sealed on the filer's
# machine: mpowerd's CPU per filing, side by side.
cpu_servers="$mpowerd_pid"
load_with_cpu create-protected-alert create-protected-alert "$mpowerd_addr" --token="$token"
load_with_cpu create-sealed-alert create-sealed-alert "$mpowerd_addr" --token="$token"
record "scenario=rss-after-load rss_mb=$(( $(rss_kb "$mpowerd_pid") / 1024 ))"

echo "== fan-out to 1000 watchers"
"$load" --scenario=fanout --target="$mpowerd_addr" --token="$token" --watchers=1000 \
  --connections="$connections" --writes=20 | tee -a "$results"

echo "== sync of 100000 commitments through the CLI"
MPOWER_ADDRESS="$mpowerd_addr" MPOWER_TOKEN="$token" MPOWER_CONFIG=/nonexistent \
  "$mpower" partners create bench-sync --display-name "Sync benchmark" --type government \
  --country US >/dev/null
/usr/bin/python3 - "$work/sync.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("external_id,kind,title,amount,currency,contribution_basis,country_codes\n")
    for i in range(100000):
        f.write(f"S-{i},funding,Sync benchmark {i},{1000 + i},USD,voluntary_earmarked,ID\n")
PY
for run in first again; do
  t0=$(now_ms)
  MPOWER_ADDRESS="$mpowerd_addr" MPOWER_TOKEN="$token" MPOWER_CONFIG=/nonexistent \
    "$mpower" commitments sync --parent partners/bench-sync -f "$work/sync.csv" --timeout 600s >/dev/null
  record "scenario=sync-100k-$run seconds=$(/usr/bin/python3 -c "print(($(now_ms) - $t0) / 1000)")"
done

echo "== ghz, for a second opinion"
head -1000 "$work/names" | /usr/bin/python3 -c 'import json,sys; print(json.dumps([{"name": l.strip()} for l in sys.stdin]))' >"$work/get.json"
run_ghz ghz-echo "$echo_addr" mpower.bench.EchoService.Echo "{\"payload\":\"$(head -c 192 /dev/zero | base64 -w0)\"}" \
  --proto bench/bench.proto --import-paths "$root"
run_ghz ghz-get "$mpowerd_addr" mpower.v1.CommitmentService.GetCommitment "@$work/get.json" \
  --metadata "{\"authorization\":\"Bearer $token\"}"
run_ghz ghz-create-alert "$mpowerd_addr" mpower.v1.AlertService.CreateAlert \
  '{"alert":{"filing_partner":"partners/bench-p0","category":"CATEGORY_OTHER","severity":"SEVERITY_MINOR","urgency":"URGENCY_FUTURE","certainty":"CERTAINTY_POSSIBLE","country_code":"ID","headline":"Benchmark alert","summary":"'"$(head -c 256 /dev/zero | tr '\0' x)"'"}}' \
  --metadata "{\"authorization\":\"Bearer $token\"}"

echo "== HTTP/JSON beside gRPC: one Get and one List, the same requests both ways"
one_name=$(head -1 "$work/names")
list_json='{"parent":"partners/-","page_size":100,"filter":"country_codes:\"ID\""}'
run_ghz grpc-get-one "$mpowerd_addr" mpower.v1.CommitmentService.GetCommitment \
  "{\"name\":\"$one_name\"}" --metadata "{\"authorization\":\"Bearer $token\"}"
run_hey http-get-one /mpower.v1.CommitmentService/GetCommitment "{\"name\":\"$one_name\"}"
run_ghz grpc-list-id "$mpowerd_addr" mpower.v1.CommitmentService.ListCommitments "$list_json" \
  --metadata "{\"authorization\":\"Bearer $token\"}"
run_hey http-list-id /mpower.v1.CommitmentService/ListCommitments "$list_json"
run_hey rest-get-one "/v1/$one_name"
run_hey rest-list-id "/v1/partners/-/commitments?pageSize=100&filter=country_codes%3A%22ID%22"
kill "$mpowerd_pid"

echo "== etcd 3.4: durable puts and gets of the same payload"
etcd --data-dir "$work/etcd" --listen-client-urls http://127.0.0.1:23790 \
  --advertise-client-urls http://127.0.0.1:23790 --listen-peer-urls http://127.0.0.1:23800 \
  --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster default=http://127.0.0.1:23800 >"$work/etcd.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do grep -q "ready to serve client requests" "$work/etcd.log" && break; sleep 0.1; done
run_load etcd-put 127.0.0.1:23790
run_load etcd-get 127.0.0.1:23790

if ((pg_commitments > 0)); then
  echo "== PostgreSQL: one replica, then three, on one database"
  # Its own directory under /tmp: the server runs as the postgres user,
  # which may not enter $work.
  pg_dir="$(mktemp -d /tmp/mpower-bench-pg.XXXXXX)"
  pg_url="$(scripts/postgres.sh start "$pg_dir")"
  "$build/bench/mpower-bench-seed" --data-dir="$work/pg-seed" --database="$pg_url" \
    --partners="$partners" --per-partner=$((pg_commitments / partners)) \
    --names-file="$work/pg-names" >/dev/null
  replicas=()
  replica_pids=()
  for i in 1 2 3; do
    serve "$mpowerd" --database="$pg_url" --key-dir="$work/pg-seed/keys" \
      --data-dir="$work/pg-r$i" --listen=127.0.0.1:0 --client-config="$work/pg-r$i.config" \
      --rate-limit=0 --max-watch-streams=4096
    replicas+=("127.0.0.1:$port")
    replica_pids+=("$pid")
  done
  pg_token=$(sed -n 's/^token = //p' "$work"/pg-r*.config | head -1)
  pg_load() {  # label scenario target [extra flags]
    local label=$1 scenario=$2 target=$3; shift 3
    "$load" --scenario="$scenario" --target="$target" --in-flight="$in_flight" \
      --connections="$connections" --duration="$duration" --token="$pg_token" "$@" |
      sed "s/^scenario=$scenario /scenario=$label /" | tee -a "$results"
  }
  all="ipv4:${replicas[0]},${replicas[1]},${replicas[2]}"
  pg_load pg1-get get "${replicas[0]}" --names-file="$work/pg-names"
  pg_load pg1-list list "${replicas[0]}"
  cpu_servers="${replica_pids[*]}"
  load_with_cpu pg1-create-alert create-alert "${replicas[0]}" --token="$pg_token"
  load_with_cpu pg1-create-protected-alert create-protected-alert "${replicas[0]}" \
    --token="$pg_token"
  load_with_cpu pg1-create-sealed-alert create-sealed-alert "${replicas[0]}" --token="$pg_token"
  pg_load pg3-get get "$all" --names-file="$work/pg-names"
  pg_load pg3-list list "$all"
  pg_load pg3-create-alert create-alert "$all"
  echo "== PostgreSQL fan-out: a writer on one replica, 1000 watchers on the other two"
  "$load" --scenario=fanout --target="${replicas[0]}" \
    --watch-target="ipv4:${replicas[1]},${replicas[2]}" --token="$pg_token" --watchers=1000 \
    --connections="$connections" --writes=20 | sed 's/^scenario=fanout /scenario=pg3-fanout /' |
    tee -a "$results"
  echo "== PostgreSQL notifications: 1000 webhook subscriptions, one alert at a time"
  # Alone on the database: the replica holding the maintenance lease
  # delivers, and only this one may deliver to the loopback receiver.
  kill "${replica_pids[@]}"; wait "${replica_pids[@]}" 2>/dev/null || true
  serve "$mpowerd" --database="$pg_url" --key-dir="$work/pg-seed/keys" \
    --data-dir="$work/pg-notify" --listen=127.0.0.1:0 --client-config="$work/pg-notify.config" \
    --rate-limit=0 --notify-allow-http-loopback --notify-allow-private-targets
  "$build/bench/mpower-notify-bench" --target="127.0.0.1:$port" --token="$pg_token" \
    --subscriptions=1000 --alerts=20 | sed 's/^scenario=notify /scenario=pg-notify /' |
    tee -a "$results"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "== pgbench: single-row durable inserts at the same concurrency, the ceiling"
  psql -q "$pg_url" -c "CREATE TABLE bench_insert(id bigserial PRIMARY KEY, payload bytea)"
  echo "INSERT INTO bench_insert(payload) VALUES (convert_to(repeat('x', 256), 'UTF8'));" \
    >"$work/insert.sql"
  cpu_servers=""
  sample_cpu pgbench -n -c "$in_flight" -j 2 -T "${duration%s}" -f "$work/insert.sql" "$pg_url" ||
    cat "$work/client.out" >&2
  pgbench_qps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/client.out" | tail -1)
  record "scenario=pgbench-insert qps=$pgbench_qps"
  record_cpu pgbench-insert "$pgbench_qps"
fi

echo
/usr/bin/python3 bench/table.py "$results"
