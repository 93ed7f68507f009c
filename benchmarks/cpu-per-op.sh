#!/usr/bin/env bash
# Server CPU time per operation, in the steady state: starts the triad (register, gateway, Echo worker) and the bare
# Kestrel ceiling, runs echo (100 connections) and broadcast (1,000 receivers, 8 in flight) against each, and reads
# the servers' CPU time (utime+stime from /proc) over 6 s in the middle of each 10 s run. Throughput on a shared
# machine swings with what else runs; CPU per operation says what each message costs the servers themselves.
#   bash benchmarks/cpu-per-op.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
OUT=$(mktemp)
cpu() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$t"; }
measure() { # label target pids...
  local label=$1 target=$2; shift 2
  for mode in echo broadcast; do
    if [ "$mode" = echo ]; then args=(--connections 100); else args=(--connections 1000 --window 8); fi
    dotnet "$LOAD" "$mode" "${args[@]}" --target "$target" --duration 10 --warmup 3 | tail -1 > "$OUT" & local load=$!
    sleep 4.5; local c0; c0=$(cpu "$@"); sleep 6; local c1; c1=$(cpu "$@"); wait "$load"
    python3 -c "
import json, os; d = json.load(open('$OUT')); ticks = os.sysconf('SC_CLK_TCK'); n = d['PerSecond'] * 6
print(f\"{'$label':8} {'$mode':9} {d['PerSecond']:>10,.0f}/s  p99 {d['P99Ms']:6.2f} ms  server CPU {($c1 - $c0) / ticks * 1e6 / n:6.2f} us per {'round trip' if '$mode' == 'echo' else 'delivery'}\")"
  done
}

start_triad; sleep 2
measure triad 127.0.0.1:7272 "$gateway" "$worker"
measure gateway 127.0.0.1:7272 "$gateway"
stop_all

dotnet "$(bin benchmarks/SwooleGateway.Baseline SwooleGateway.Baseline)" --urls http://127.0.0.1:7400 $QUIET & ceiling=$!; pids+=($ceiling)
wait_port 7400; sleep 1
measure ceiling 127.0.0.1:7400 "$ceiling"
