#!/usr/bin/env bash
# Runs the load tool against, one after the other on this machine:
#   1. the triad: register, gateway and the Echo-sample worker as three processes (default ports)
#   2. ASP.NET Core SignalR (benchmarks/SwooleGateway.SignalRApp), one process
#   3. a bare single-process Kestrel WebSocket server (benchmarks/SwooleGateway.Baseline): the ceiling
# with the same echo (100 connections, closed loop) and broadcast (1,000 receivers, 8 in flight) runs, 64-byte
# messages, and prints each result and the ratios to the ceiling. Loopback only; every run is bounded.
#
# A shared 2-core machine swings +-10-15 % between two runs of the same command, so one pair of runs cannot tell a
# 0.85 ratio from a 0.95 one. The script therefore runs ROUNDS rounds; in each round every system runs once, back to
# back, and the ratios of that round compare runs made under the same conditions. It prints every round and the
# median of the per-round ratios (the figure to quote), and the sum of missing deliveries over all rounds.
# OTHER=<tree> (a git worktree of another commit, built here) adds that build's triad as a fourth system, "other", on
# ports +100: the two builds are then compared within each round, under the same conditions, instead of minutes apart
# (where the ceiling alone swings 50k-66k round trips per second). Both triads are restarted every round with their
# places swapped (which starts first and takes the default ports; the second-started triad measured 0.94 in an A/A
# run of paired-cpu.sh), and which of the two runs first alternates.
#   [OTHER=<tree>] [WARM=<seconds>] bash benchmarks/compare.sh [seconds per run, default 10] [rounds, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
ROUNDS=${2:-5}
OUT=$(mktemp -d)
source benchmarks/common.sh
run() { # round name target transport
  dotnet "$LOAD" echo --target "$3" --transport "$4" --connections 100 --duration "$SECONDS_PER_RUN" | tail -1 > "$OUT/$1.$2.echo.json"
  dotnet "$LOAD" broadcast --target "$3" --transport "$4" --connections 1000 --window 8 --duration "$SECONDS_PER_RUN" | tail -1 > "$OUT/$1.$2.bcast.json"
  echo "round $1 $2: echo $(cat "$OUT/$1.$2.echo.json")"; echo "round $1 $2: broadcast $(cat "$OUT/$1.$2.bcast.json")"
}

# All systems are started once and stay up (idle between their runs), so every round finds them warm; with OTHER the
# two triads are restarted every round (below), so each first gets an unmeasured echo and broadcast run of WARM seconds
# (default 6): a freshly started triad is still compiling its hot paths for several seconds of load (a gateway compiled
# 84 methods in the 4th to 8th second of its first echo run), and a build with more code to tier up would otherwise be
# measured colder than the other.
if [ -n "${OTHER:-}" ]; then
  OTHER=$(cd "$OTHER" && pwd)
  (cd "$OTHER" && dotnet build -c Release SwooleGateway.sln >/dev/null)
  triad_pids=()
  start_triads() { # 1: this tree first, on the default ports; 0: the other tree first
    local i # workers first, so that no one logs a lost link
    for ((i = ${#triad_pids[@]} - 1; i >= 0; i--)); do kill "${triad_pids[i]}" 2>/dev/null || true; wait "${triad_pids[i]}" 2>/dev/null || true; done
    pids=("${pids[@]:0:${#pids[@]} - ${#triad_pids[@]}}") # they were the last ones started: stop_all need not kill them again
    local n=${#pids[@]}
    start_pair "$1"
    triad_pids=("${pids[@]:$n}"); sleep 2
    local port
    for port in "$a_port" "$b_port"; do
      dotnet "$LOAD" echo --target 127.0.0.1:"$port" --connections 100 --duration "${WARM:-6}" --warmup 0 >/dev/null
      dotnet "$LOAD" broadcast --target 127.0.0.1:"$port" --connections 1000 --window 8 --duration "${WARM:-6}" --warmup 0 >/dev/null
    done
  }
else
  start_triad
fi
dotnet "$(bin benchmarks/SwooleGateway.SignalRApp SwooleGateway.SignalRApp)" --urls http://127.0.0.1:7500 $QUIET & pids+=($!)
dotnet "$(bin benchmarks/SwooleGateway.Baseline SwooleGateway.Baseline)" --urls http://127.0.0.1:7400 $QUIET & pids+=($!)
wait_port 7500; wait_port 7400; sleep 2

for r in $(seq 1 "$ROUNDS"); do
  if [ -n "${OTHER:-}" ]; then
    start_triads $((r % 2))
    if [ $((r % 2)) = 1 ]; then run "$r" triad 127.0.0.1:$b_port ws; run "$r" other 127.0.0.1:$a_port ws
    else run "$r" other 127.0.0.1:$a_port ws; run "$r" triad 127.0.0.1:$b_port ws; fi
  else
    run "$r" triad 127.0.0.1:7272 ws
  fi
  run "$r" signalr 127.0.0.1:7500 signalr
  run "$r" ceiling 127.0.0.1:7400 ws
done
stop_all

python3 - "$OUT" "$ROUNDS" "${OTHER:+other}" <<'PY'
import json, sys, os, statistics
d, rounds = sys.argv[1], int(sys.argv[2])
def get(r, s, m): return json.load(open(os.path.join(d, f"{r}.{s}.{m}.json")))
systems = ("ceiling", "triad") + (("other",) if sys.argv[3] else ()) + ("signalr",)
head = f"{'':9} {'system':8} {'echo rt/s':>11} {'x ceil':>7} {'p99 ms':>7} {'x ceil':>7} {'bcast/s':>11} {'x ceil':>7} {'missing':>8}"
print(head)
ratios = {s: {"echo": [], "p99": [], "bcast": []} for s in systems}
absolute = {s: {"echo": [], "p99": [], "bcast": []} for s in systems}
missing = {s: 0 for s in systems}
for r in range(1, rounds + 1):
    ce, cb = get(r, "ceiling", "echo"), get(r, "ceiling", "bcast")
    for s in systems:
        e, b = get(r, s, "echo"), get(r, s, "bcast")
        x = (e["PerSecond"] / ce["PerSecond"], e["P99Ms"] / max(ce["P99Ms"], 1e-9), b["PerSecond"] / cb["PerSecond"])
        for k, v in zip(("echo", "p99", "bcast"), x): ratios[s][k].append(v)
        for k, v in zip(("echo", "p99", "bcast"), (e["PerSecond"], e["P99Ms"], b["PerSecond"])): absolute[s][k].append(v)
        missing[s] += e["Missing"] + b["Missing"] + e["Errors"] + b["Errors"]
        print(f"round {r:<3} {s:8} {e['PerSecond']:11,.0f} {x[0]:7.2f} {e['P99Ms']:7.2f} {x[1]:7.2f} {b['PerSecond']:11,.0f} {x[2]:7.2f} {b['Missing']:8}")
print()
print("median of the rounds (ratios: median of the per-round ratios); missing = missing + errors over all rounds")
print(head)
for s in systems:
    m = {k: statistics.median(v) for k, v in ratios[s].items()}
    a = {k: statistics.median(v) for k, v in absolute[s].items()}
    print(f"{'median':9} {s:8} {a['echo']:11,.0f} {m['echo']:7.2f} {a['p99']:7.2f} {m['p99']:7.2f} {a['bcast']:11,.0f} {m['bcast']:7.2f} {missing[s]:8}")
if sys.argv[3]:
    # The two builds against each other directly, round by round (same conditions), then the median.
    per = {k: [get(r, "triad", m)["PerSecond"] / get(r, "other", m)["PerSecond"] for r in range(1, rounds + 1)] for k, m in (("echo", "echo"), ("bcast", "bcast"))}
    print()
    print("triad/other per round: echo " + " ".join(f"{v:.3f}" for v in per["echo"]) + "; broadcast " + " ".join(f"{v:.3f}" for v in per["bcast"]))
    print(f"median triad/other: echo {statistics.median(per['echo']):.3f}, broadcast {statistics.median(per['bcast']):.3f}")
PY
