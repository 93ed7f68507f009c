#!/usr/bin/env bash
# Echo round trips of this tree's triad against another build's (a git worktree, built here), warm, in alternating
# pairs: both triads run side by side (start_pair in common.sh), each gets one unmeasured echo run, then PAIRS pairs of
# echo runs (100 connections, 8 s, the order alternating within each pair); then both are restarted with their places
# swapped (which started first and has the default ports) and the same again. Prints every pair's ratio (this / other)
# and the median and mean of them all. Quicker than compare.sh for one question (is build A faster than build B at
# echo?): on this 2-core VM one pair swings +-10 %, so the median of 10 pairs is the figure to quote.
#   OTHER=<tree> [PAIRS=5] bash benchmarks/ab.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OTHER:?OTHER=<tree of the other build>}"
OTHER=$(cd "$OTHER" && pwd)
PAIRS=${PAIRS:-5}
source benchmarks/common.sh
[ -n "${NOBUILD:-}" ] || (cd "$OTHER" && dotnet build -c Release SwooleGateway.sln >/dev/null)
echo_rate() {
  dotnet "$LOAD" echo --connections 100 --target 127.0.0.1:"$1" --duration 8 --warmup 1 | tail -1 |
    python3 -c "import json, sys; d = json.load(sys.stdin); assert d['Missing'] == 0 and d['Errors'] == 0, d; print(round(d['PerSecond']))"
}
ratios=()
for place in 0 1; do
  start_pair "$place"; sleep 2
  echo_rate "$a_port" >/dev/null; echo_rate "$b_port" >/dev/null
  for i in $(seq 1 "$PAIRS"); do
    if [ $((i % 2)) = 1 ]; then this=$(echo_rate "$b_port"); other=$(echo_rate "$a_port")
    else other=$(echo_rate "$a_port"); this=$(echo_rate "$b_port"); fi
    ratio=$(python3 -c "print(f'{$this / $other:.3f}')"); ratios+=("$ratio")
    echo "placement $place pair $i: this $this/s, other $other/s, this/other $ratio"
  done
  stop_all
done
python3 -c "import statistics; v = [float(x) for x in '${ratios[*]}'.split()]; print(f'this/other over {len(v)} pairs: median {statistics.median(v):.3f}, mean {statistics.mean(v):.3f}, range {min(v):.3f}-{max(v):.3f}')"
