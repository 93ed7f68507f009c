#!/usr/bin/env bash
# A gateway under a low file descriptor limit, offered more idle TCP clients than it has descriptors: its CPU and the
# lines it logs over 8 s, and whether it is still up. (Register on its default port; the gateway's TCP listener on 7273.)
#   bash benchmarks/fd-limit.sh [limit, default 300] [clients, default 400]
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=${1:-300}
CLIENTS=${2:-400}
source benchmarks/common.sh
LOG=$(mktemp)
dotnet "$(bin src/SwooleGateway.Register SwooleGateway.Register)" $QUIET & pids+=($!)
wait_port 1236
bash -c "ulimit -n $LIMIT && exec dotnet $(bin src/SwooleGateway.Gateway SwooleGateway.Gateway)" > "$LOG" 2>&1 & gateway=$!; pids+=($gateway)
wait_port 7273
dotnet "$LOAD" idle --transport tcp --target 127.0.0.1:7273 --connections "$CLIENTS" --hold 12 > /dev/null 2>&1 & load=$!
sleep 1
c0=$(awk '{print $14+$15}' "/proc/$gateway/stat"); l0=$(wc -l < "$LOG")
sleep 8
if kill -0 "$gateway" 2>/dev/null; then
  c1=$(awk '{print $14+$15}' "/proc/$gateway/stat"); l1=$(wc -l < "$LOG")
  echo "ulimit -n $LIMIT, $CLIENTS clients: gateway CPU $(python3 -c "print(f'{($c1 - $c0) / $(getconf CLK_TCK) / 8:.2f}')") cores, $((l1 - l0)) log lines in 8 s, still up"
else
  echo "ulimit -n $LIMIT, $CLIENTS clients: the gateway exited; its last lines:"; tail -3 "$LOG"
fi
wait "$load" || true
