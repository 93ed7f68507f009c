#!/usr/bin/env bash
# Runs the load tool against, one after the other on this machine:
#   1. the triad: register, gateway and the Echo-sample worker as three processes (default ports)
#   2. ASP.NET Core SignalR (benchmarks/SwooleGateway.SignalRApp), one process
#   3. a bare single-process Kestrel WebSocket server (benchmarks/SwooleGateway.Baseline): the ceiling
# with the same echo (100 connections, closed loop) and broadcast (1,000 receivers, 8 in flight) runs, 64-byte
# messages, and prints each result and the ratios to the ceiling. Loopback only; every run is bounded.
#   bash benchmarks/compare.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
OUT=$(mktemp -d)
dotnet build -c Release SwooleGateway.sln >/dev/null
bin() { echo "$1/bin/Release/net10.0/$2.dll"; }
LOAD=$(bin benchmarks/SwooleGateway.LoadTest SwooleGateway.LoadTest)
QUIET=--Logging:LogLevel:Default=Warning
pids=()
stop_all() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); sleep 1; }
trap stop_all EXIT
wait_port() { for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }
run() { # name target transport
  dotnet "$LOAD" echo --target "$2" --transport "$3" --connections 100 --duration "$SECONDS_PER_RUN" | tail -1 > "$OUT/$1.echo.json"
  dotnet "$LOAD" broadcast --target "$2" --transport "$3" --connections 1000 --window 8 --duration "$SECONDS_PER_RUN" | tail -1 > "$OUT/$1.bcast.json"
  echo "$1: echo $(cat "$OUT/$1.echo.json")"; echo "$1: broadcast $(cat "$OUT/$1.bcast.json")"
}

dotnet "$(bin src/SwooleGateway.Register SwooleGateway.Register)" $QUIET & pids+=($!)
wait_port 1236
dotnet "$(bin src/SwooleGateway.Gateway SwooleGateway.Gateway)" $QUIET & pids+=($!)
dotnet "$(bin samples/SwooleGateway.Samples.Echo SwooleGateway.Samples.Echo)" $QUIET & pids+=($!)
wait_port 7272; sleep 2
run triad 127.0.0.1:7272 ws
stop_all

dotnet "$(bin benchmarks/SwooleGateway.SignalRApp SwooleGateway.SignalRApp)" --urls http://127.0.0.1:7500 & pids+=($!)
wait_port 7500
run signalr 127.0.0.1:7500 signalr
stop_all

dotnet "$(bin benchmarks/SwooleGateway.Baseline SwooleGateway.Baseline)" --urls http://127.0.0.1:7400 & pids+=($!)
wait_port 7400
run ceiling 127.0.0.1:7400 ws
stop_all

python3 - "$OUT" <<'PY'
import json, sys, os
d = sys.argv[1]
r = {f[:-5]: json.load(open(os.path.join(d, f))) for f in os.listdir(d)}
print(f"{'system':10} {'echo rt/s':>12} {'x ceiling':>10} {'p99 ms':>8} {'x ceiling':>10} {'bcast/s':>12} {'x ceiling':>10} {'missing':>8}")
for s in ("ceiling", "triad", "signalr"):
    e, b = r[s + ".echo"], r[s + ".bcast"]
    ce, cb = r["ceiling.echo"], r["ceiling.bcast"]
    print(f"{s:10} {e['PerSecond']:12,.0f} {e['PerSecond']/ce['PerSecond']:10.2f} {e['P99Ms']:8.2f} {e['P99Ms']/max(ce['P99Ms'],1e-9):10.2f} {b['PerSecond']:12,.0f} {b['PerSecond']/cb['PerSecond']:10.2f} {b['Missing']:8}")
PY
