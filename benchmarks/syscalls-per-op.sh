#!/usr/bin/env bash
# Syscalls and context switches per echo round trip, from the kernel's side: the gateway, the Echo worker and the bare
# Kestrel ceiling, each flat out with 100 connections, counted by `perf stat` for 6 s in the middle of a 10 s run and
# divided by the round trips of those 6 s. Shows where a hop costs (more wake-ups, more sends) when CPU per message
# differs (docs/benchmarks.md). Needs perf and root (or perf_event_paranoid <= 1).
#   bash benchmarks/syscalls-per-op.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
TMP=$(mktemp -d)
trap 'stop_all; rm -rf "$TMP"' EXIT
EV='context-switches,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmsg,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,syscalls:sys_enter_sched_yield,syscalls:sys_enter_write,syscalls:sys_enter_read,syscalls:sys_enter_writev,syscalls:sys_enter_readv'
run() { # label target pids...
  local label=$1 target=$2; shift 2
  dotnet "$LOAD" echo --connections 100 --target "$target" --duration 10 --warmup 3 | tail -1 > "$TMP/load.json" & local load=$!
  sleep 4.5
  perf stat -e "$EV" -p "$(IFS=,; echo "$*")" --no-big-num -x, -o "$TMP/$label.txt" -- sleep 6
  wait $load
  python3 - "$label" "$TMP" <<'PY'
import json, sys
label, tmp = sys.argv[1], sys.argv[2]
d = json.load(open(tmp + '/load.json')); n = d['PerSecond'] * 6
print(f"{label}: {d['PerSecond']:,.0f} round trips/s")
for line in open(f'{tmp}/{label}.txt'):
    parts = line.strip().split(',')
    if len(parts) > 2 and parts[0].replace('.', '').isdigit():
        print(f"  {parts[2]:40s} {float(parts[0]) / n:6.2f} per round trip")
PY
}
start_triad; sleep 2
run gateway 127.0.0.1:7272 "$gateway"
run worker 127.0.0.1:7272 "$worker"
stop_all
dotnet "$(bin benchmarks/SwooleGateway.Baseline SwooleGateway.Baseline)" --urls http://127.0.0.1:7400 $QUIET & ceiling=$!; pids+=($ceiling)
wait_port 7400; sleep 1
run ceiling 127.0.0.1:7400 "$ceiling"
