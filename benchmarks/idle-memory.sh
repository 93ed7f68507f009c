#!/usr/bin/env bash
# Memory per idle connection with stock settings (no environment variables: what a user gets): for each transport a
# fresh register, gateway and Echo worker, N idle connections from the load tool, the gateway's RSS growth divided
# by the connections once RSS has settled.
#   bash benchmarks/idle-memory.sh [connections, default 15000] [rounds, default 1]
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
N=${1:-15000}
ROUNDS=${2:-1}
for round in $(seq 1 "$ROUNDS"); do
  for transport in ws tcp; do
    start_triad; sleep 2
    if [ "$transport" = ws ]; then target=127.0.0.1:7272; else target=127.0.0.1:7273; fi
    echo -n "round $round $transport: "
    dotnet "$LOAD" idle --transport "$transport" --target "$target" --connections "$N" --pids "$gateway" --hold 5 | grep '^idle'
    stop_all
  done
done
