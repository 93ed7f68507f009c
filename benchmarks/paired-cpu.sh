#!/usr/bin/env bash
# Server CPU per operation of two builds measured at the same moment. On a shared machine the CPU cost of the same
# build swings by 10-20 % from one minute to the next, so two builds measured one after the other (cpu-per-op.sh run
# twice) cannot tell a 5 % difference. This script starts two triads side by side: the other tree's (a git worktree of
# another commit, e.g. `git worktree add ../before <commit>`) on the default ports and this tree's on ports +100, runs
# the same load against both at once (each its own load tool), and reads each triad's CPU time (utime+stime from /proc)
# over 6 s in the middle of each 10 s run. Both see the same noise; the per-round ratio is the figure, and the median
# of the rounds the one to quote. Also prints the gateway's share and the user-space (non-kernel) share.
# Flat out, the faster build pays for its speed: it gets more of the shared cores and its CPU per operation rises
# with its rate (in one run here an unchanged worker measured 1.3x against itself while its triad ran 30 % faster).
# Give echo a rate (round trips per second for each triad, well below what both reach together, e.g. 15000) and both
# do the same work: the ratio then compares efficiency alone, and rounds agree within a few percent.
# The two triads do not start equal: in an A/A run (this tree against a worktree of the same commit, flat out) the one
# started second measured 0.94 in the median of 8 rounds, so the triads are restarted every PER_START rounds
# (default 2) with their places swapped (which one starts first and takes the default ports), and the medians are over
# both placements. Also prints the throughput ratio (flat out, the other half of the comparison).
# ALTERNATE=1 runs the two loads one after the other instead of at once (each triad alone on the machine, the other
# idle, both warm): flat out, that compares what cpu-per-op.sh and compare.sh see, without their minutes between
# builds. CONNECTIONS sets the echo connections (default 50; cpu-per-op.sh and compare.sh use 100).
# Each round also prints the machine's idle share (all cores, /proc/stat) over each measuring window: flat out and
# alone, a triad that leaves cores idle is waiting on wake-ups (a lower rate at a lower CPU per operation).
#   bash benchmarks/paired-cpu.sh <other tree> [rounds, default 12] [echo|broadcast, default echo] [echo rate, default flat out]
set -euo pipefail
cd "$(dirname "$0")/.."
OTHER=$(cd "${1:?usage: paired-cpu.sh <other tree> [rounds] [echo|broadcast] [echo rate]}" && pwd)
ROUNDS=${2:-12}
MODE=${3:-echo}
RATE=${4:-}
THIS=$(pwd)
source benchmarks/common.sh
(cd "$OTHER" && dotnet build -c Release SwooleGateway.sln >/dev/null)
OUT=$(mktemp -d)
idle() { awk '/^cpu /{print $5 + $6 "," $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; } # machine idle+iowait, all ticks
ticks() { local field=$1 t=0; shift; for p in "$@"; do t=$((t + $(awk -v f="$field" '{print f == "user" ? $14 : $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
PER_START=${PER_START:-2}
if [ "$MODE" = echo ]; then args=(echo --connections "${CONNECTIONS:-50}" ${RATE:+--rate "$RATE"}); else args=(broadcast --connections 1000 --window 8); fi
echo "other: $OTHER   this: $THIS   mode: $MODE${RATE:+ at $RATE/s}"
for r in $(seq "$ROUNDS"); do
  if [ $(((r - 1) % PER_START)) = 0 ]; then
    stop_all
    start_pair $((((r - 1) / PER_START) % 2)); sleep 3
  fi
  if [ -z "${ALTERNATE:-}" ]; then
    dotnet "$LOAD" "${args[@]}" --target 127.0.0.1:$a_port --duration 10 --warmup 3 | tail -1 > "$OUT/a.json" & la=$!
    dotnet "$LOAD" "${args[@]}" --target 127.0.0.1:$b_port --duration 10 --warmup 3 | tail -1 > "$OUT/b.json" & lb=$!
    sleep 4.5
    ai0=$(idle); bi0=$ai0
    a0=$(ticks all $a_gw $a_wk); b0=$(ticks all $b_gw $b_wk); ag0=$(ticks all $a_gw); bg0=$(ticks all $b_gw); au0=$(ticks user $a_gw $a_wk); bu0=$(ticks user $b_gw $b_wk)
    sleep 6
    ai1=$(idle); bi1=$ai1
    a1=$(ticks all $a_gw $a_wk); b1=$(ticks all $b_gw $b_wk); ag1=$(ticks all $a_gw); bg1=$(ticks all $b_gw); au1=$(ticks user $a_gw $a_wk); bu1=$(ticks user $b_gw $b_wk)
    wait "$la" "$lb"
  else
    # One triad at a time, the other idle: each has the machine to itself, as in cpu-per-op.sh and compare.sh; which one
    # goes first alternates from round to round.
    for side in $(if [ $((r % 2)) = 1 ]; then echo a b; else echo b a; fi); do
      port=${side}_port; gw=${side}_gw; wk=${side}_wk
      dotnet "$LOAD" "${args[@]}" --target 127.0.0.1:${!port} --duration 10 --warmup 3 | tail -1 > "$OUT/$side.json" & l=$!
      sleep 4.5
      eval "${side}i0=\$(idle); ${side}0=\$(ticks all ${!gw} ${!wk}); ${side}g0=\$(ticks all ${!gw}); ${side}u0=\$(ticks user ${!gw} ${!wk})"
      sleep 6
      eval "${side}i1=\$(idle); ${side}1=\$(ticks all ${!gw} ${!wk}); ${side}g1=\$(ticks all ${!gw}); ${side}u1=\$(ticks user ${!gw} ${!wk})"
      wait "$l"
    done
  fi
  python3 - "$OUT" "$r" "$a0" "$a1" "$b0" "$b1" "$ag0" "$ag1" "$bg0" "$bg1" "$au0" "$au1" "$bu0" "$bu1" "$ai0" "$ai1" "$bi0" "$bi1" <<'PY' | tee -a "$OUT/rounds"
import json, os, sys
out, r = sys.argv[1], sys.argv[2]
a0, a1, b0, b1, ag0, ag1, bg0, bg1, au0, au1, bu0, bu1 = map(int, sys.argv[3:15])
(ai0, at0), (ai1, at1), (bi0, bt0), (bi1, bt1) = (map(int, v.split(',')) for v in sys.argv[15:19])
idle = lambda i0, i1, t0, t1: 100 * (i1 - i0) / max(t1 - t0, 1)
t = os.sysconf('SC_CLK_TCK'); a = json.load(open(f'{out}/a.json')); b = json.load(open(f'{out}/b.json'))
na, nb = a['PerSecond'] * 6, b['PerSecond'] * 6
us = lambda ticks, n: ticks / t * 1e6 / n
print(f"round {r:>2}  other {a['PerSecond']:>9,.0f}/s {us(a1 - a0, na):6.2f} us (gateway {us(ag1 - ag0, na):5.2f}, user {us(au1 - au0, na):5.2f})"
      f"   this {b['PerSecond']:>9,.0f}/s {us(b1 - b0, nb):6.2f} us (gateway {us(bg1 - bg0, nb):5.2f}, user {us(bu1 - bu0, nb):5.2f})"
      f"   this/other {us(b1 - b0, nb) / us(a1 - a0, na):.3f}  rate {nb / na:.3f}  missing {a['Missing'] + b['Missing']}"
      f"  idle other {idle(ai0, ai1, at0, at1):.1f}% this {idle(bi0, bi1, bt0, bt1):.1f}%")
PY
done
python3 - "$OUT/rounds" <<'PY'
import re, statistics, sys
rows = [l for l in open(sys.argv[1]) if l.startswith('round')]
ratio = [float(re.search(r'this/other (\S+)', l).group(1)) for l in rows]
nums = [list(map(float, re.findall(r'([\d.]+) us \(gateway\s+([\d.]+), user\s+([\d.]+)\)', l)[i])) for l in rows for i in (0, 1)]
other, this = nums[0::2], nums[1::2]
med = lambda f: statistics.median(f)
rates = [float(re.search(r'rate (\S+)', l).group(1)) for l in rows]
idles = [tuple(map(float, re.search(r'idle other (\S+)% this (\S+)%', l).groups())) for l in rows]
print(f"median of {len(rows)} rounds: this/other {med(ratio):.3f} (total CPU per operation); gateway {med([b[1] / a[1] for a, b in zip(other, this)]):.3f},"
      f" worker {med([(b[0] - b[1]) / (a[0] - a[1]) for a, b in zip(other, this)]):.3f}, user space {med([b[2] / a[2] for a, b in zip(other, this)]):.3f};"
      f" operations per second this/other {med(rates):.3f}; machine idle (all cores, median) other {med([i[0] for i in idles]):.1f}%, this {med([i[1] for i in idles]):.1f}%")
PY
