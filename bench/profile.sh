#!/usr/bin/env bash
# Profiles one benchmark scenario: where mpowerd's CPU goes, per call.
#
#   bench/profile.sh get|list|create-alert|create-protected-alert|create-sealed-alert|echo [SECONDS]
#
# Seeds a small store (10 partners x 10,000 commitments), starts the Release
# mpowerd (or, for `echo`, the bare echo server) on loopback, drives it with
# mpower-load at 64 in flight, and while the load runs records the server
# with perf (DWARF call graphs). Prints the generator's line, the server's
# CPU time per call (from /proc, user + system), and the functions holding
# the most of that time, callers included. perf.data is kept for a closer
# look with `perf report -i FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario="${1:?usage: bench/profile.sh get|list|create-alert|create-protected-alert|create-sealed-alert|echo [SECONDS]}"
seconds="${2:-5}"
case "$scenario" in get|list|create-alert|create-protected-alert|create-sealed-alert|echo) ;; *) echo "profile: no scenario $scenario" >&2; exit 2;; esac

if ! command -v perf >/dev/null 2>&1; then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends linux-perf >/dev/null
fi
build=build/bench
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMPOWER_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target mpowerd mpower-load mpower-echo-server mpower-bench-seed >/dev/null

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [[ "$scenario" == echo ]]; then
  "$build/bench/mpower-echo-server" --listen=127.0.0.1:0 >"$work/server.log" 2>&1 &
else
  "$build/bench/mpower-bench-seed" --data-dir="$work/store" --partners=10 --per-partner=10000 \
    --names-file="$work/names" >/dev/null
  "$build/server/mpowerd" --data-dir="$work/store" --listen=127.0.0.1:0 \
    --client-config="$work/client.config" --rate-limit=0 >"$work/server.log" 2>&1 &
fi
server_pid=$!
port=""
for _ in $(seq 1 200); do
  port=$(sed -n 's/.*serving on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.log" | head -1)
  [[ -n "$port" ]] && break
  sleep 0.05
done
[[ -n "$port" ]] || { echo "profile: the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
# Warm-up, then a window measuring CPU time, then one under perf (whose
# sampling costs the server CPU of its own), then a second to spare.
flags=(--scenario="$scenario" --target="127.0.0.1:$port" --in-flight=64 --connections=4
       --warmup=2s --duration="$((2 * seconds + 1))s")
if [[ "$scenario" != echo ]]; then
  flags+=(--token="$(sed -n 's/^token = //p' "$work/client.config")" --names-file="$work/names")
fi

cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
"$build/bench/mpower-load" "${flags[@]}" >"$work/load.txt" 2>"$work/load.err" &
load_pid=$!
# Its warm-up starts after what it prepares (create-sealed-alert seals ahead).
until grep -q "load starts" "$work/load.err" || ! kill -0 "$load_pid" 2>/dev/null; do
  sleep 0.05
done
sleep 2.5  # past the warm-up
before=$(cpu_ticks)
sleep "$seconds"
after=$(cpu_ticks)
perf record -q -F 499 --call-graph dwarf,16384 -p "$server_pid" -o "$work/perf.data" \
  -- sleep "$seconds" >/dev/null 2>&1
wait "$load_pid"
grep -v "load starts" "$work/load.err" >&2 || true
cat "$work/load.txt"
# The generator's QPS covers both windows; perf slows the second a little,
# so the CPU per call printed here errs on the low side by a few percent.
qps=$(sed -n 's/.*qps=\([0-9]*\).*/\1/p' "$work/load.txt")
ticks_per_second=$(getconf CLK_TCK)
/usr/bin/python3 -c "
cpu_s = ($after - $before) / $ticks_per_second
print(f'server CPU: {cpu_s / $seconds:.2f} cores, {cpu_s / ($qps * $seconds) * 1e6:.0f} us per call')"
out="/tmp/mpower-profile-$scenario.data"
cp "$work/perf.data" "$out"
echo "functions by share of the server's samples, callers included (perf report -i $out):"
perf report -i "$out" --children --sort symbol --stdio -g none 2>/dev/null |
  grep -E '^ +[0-9]' | grep -v '\[k\]' | grep -vE '\] (0x[0-9a-f]+|clone3|start_thread)' |
  head -45 | cut -c1-150
