#!/usr/bin/env bash
# The HTTP/JSON listener's own figures, quicker than run.sh's whole table:
# Get and List in the Connect protocol and on REST routes (hey), the same
# Get over gRPC (ghz) for the ratio, and then mpowerd's threads and memory
# with 2,000 idle connections and 2,000 connections trickling headers held
# open against it. On the demo data, so no seeding.
#
#   bench/http.sh                  # builds Release into build/bench
#   MPOWERD=path/to/mpowerd bench/http.sh   # another build (e.g. an older one)
#
# Environment: BENCH_DURATION (default 10s per scenario), BENCH_IN_FLIGHT
# (64).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${BENCH_DURATION:-10s}"
in_flight="${BENCH_IN_FLIGHT:-64}"

[[ -x tools/bin/ghz ]] || GOBIN="$PWD/tools/bin" GOFLAGS=-mod=mod go install github.com/bojand/ghz/cmd/ghz@v0.120.0
[[ -x tools/bin/hey ]] || GOBIN="$PWD/tools/bin" GOFLAGS=-mod=mod go install github.com/rakyll/hey@v0.1.4
if [[ -z "${MPOWERD:-}" ]]; then
  cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DMPOWER_BUILD_TESTS=OFF >/dev/null
  cmake --build build/bench --target mpowerd >/dev/null
  MPOWERD=build/bench/server/mpowerd
fi

work="$(mktemp -d)"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Every client here is on 127.0.0.1: lift the per-address cap (where the
# build has one) so that the held connections below are held, not refused.
limits=()
if [[ "$("$MPOWERD" --helpfull 2>&1 || true)" == *http_max_connections_per_address* ]]; then
  limits=(--http-max-connections-per-address=100000)
fi
"$MPOWERD" --data-dir="$work/data" --client-config="$work/config" --listen=127.0.0.1:0 \
  --http-listen=127.0.0.1:0 --demo-data --rate-limit=0 --access-log=false "${limits[@]}" \
  >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "serving on" "$work/log" && break; sleep 0.1; done
grpc_port=$(sed -n 's/.*serving on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/log" | head -1)
http_port=$(sed -n 's/.*HTTP on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/log" | head -1)
token=$(sed -n 's/^token *= *//p' "$work/config" | head -1)
[[ -n "$token" ]] || token=$(grep -o '"token": *"[^"]*"' "$work/config" | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
http="http://127.0.0.1:$http_port"
one=partners/us-gov/commitments/ilo-assessed-2018-2022

hey_row() {  # label method path [json]
  local label=$1 method=$2 path=$3 json=${4:-}
  local body=()
  [[ -n "$json" ]] && body=(-T application/json -d "$json")
  tools/bin/hey -z "$duration" -c "$in_flight" -m "$method" "${body[@]}" \
    -H "Authorization: Bearer $token" "$http$path" >"$work/hey.out" 2>&1 || true
  /usr/bin/python3 - "$label" "$work/hey.out" <<'PY'
import re, sys
label, text = sys.argv[1], open(sys.argv[2]).read()
qps = re.search(r"Requests/sec:\s*([0-9.]+)", text)
pct = {int(p): float(s) * 1000 for p, s in re.findall(r"(\d+)% in ([0-9.]+) secs", text)}
codes = dict((c, int(n)) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", text))
errors = sum(n for c, n in codes.items() if c != "200")
print(f"{label:24} qps={float(qps.group(1)) if qps else 0:8.0f} p50_ms={pct.get(50, 0):7.2f} "
      f"p99_ms={pct.get(99, 0):7.2f} errors={errors}")
PY
}

echo "== $MPOWERD"
tools/bin/ghz --insecure -z "$duration" -c "$in_flight" --call mpower.v1.CommitmentService.GetCommitment \
  -d "{\"name\":\"$one\"}" --metadata "{\"authorization\":\"Bearer $token\"}" \
  "127.0.0.1:$grpc_port" >"$work/ghz.out" 2>&1 || true
/usr/bin/python3 - "$work/ghz.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
qps = re.search(r"Requests/sec:\s*([0-9.]+)", text)
p99 = re.search(r"99 % in ([0-9.]+) ms", text)
print(f"{'grpc-get':24} qps={float(qps.group(1)) if qps else 0:8.0f} p99_ms={float(p99.group(1)) if p99 else 0:7.2f}")
PY
hey_row connect-get POST /mpower.v1.CommitmentService/GetCommitment "{\"name\":\"$one\"}"
hey_row connect-list POST /mpower.v1.CommitmentService/ListCommitments '{"parent":"partners/-","pageSize":100}'
hey_row rest-get GET "/v1/$one"
hey_row rest-list GET "/v1/partners/-/commitments?pageSize=100"

# Threads and memory of mpowerd, idle, then with 2,000 idle connections
# and 2,000 trickling ones held open (a client of our own, on loopback).
status() { awk '/^Threads|^VmRSS/ {printf "%s %s %s  ", $1, $2, $3} END {print ""}' "/proc/$pid/status"; }
echo "idle server:                      $(status)"
/usr/bin/python3 - "$http_port" "$pid" <<'PY'
import socket, sys, time, resource
port, pid = int(sys.argv[1]), sys.argv[2]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
def status():
    fields = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status"))
    return f"Threads: {fields['Threads'].strip()}  VmRSS: {fields['VmRSS'].strip()}"
def held(sockets):  # how many the server has not closed
    count = 0
    for s in sockets:
        s.setblocking(False)
        try:
            count += s.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            count += 1
        except OSError:
            pass
    return count
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(2000)]
time.sleep(2)
print(f"with 2,000 idle connections:      {status()}  held: {held(idle)}")
slow = []
for _ in range(2000):
    s = socket.create_connection(("127.0.0.1", port))
    s.send(b"GET /v1/partners HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    slow.append(s)
time.sleep(2)
print(f"and 2,000 trickling connections:  {status()}  held: {held(slow)}")
PY
