#!/usr/bin/env bash
# 100,000 WebSocket connections on one machine. A process may hold at most 20,000 file descriptors here, so the clients
# are spread over 6 gateways (16,667 each) and 6 load-tool processes (one per gateway, source addresses spread over
# 127.0.0.1-250), with 1 register and 1 Echo worker. Reports the memory per connection and per gateway once the
# connections are idle, then broadcasts to all 100,000 (deliveries/s, p99, missing) and sends one message to each of
# 1,000 uids and 1,000 groups (100 members each), both spread over all gateways.
#   bash benchmarks/100k.sh [clients, default 100000] [gateways, default 6] [broadcasts, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
TOTAL=${1:-100000}
G=${2:-6}
B=${3:-10}
PER=$(( (TOTAL + G - 1) / G ))
DIR=$(mktemp -d)
cleanup() { touch "$DIR/stop"; stop_all; rm -rf "$DIR"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
rss() { awk '/VmRSS/{print $2 * 1024}' "/proc/$1/status"; }
INFO="--Logging:LogLevel:Default=Warning --Logging:LogLevel:SwooleGateway.Gateway.GatewayServer=Information"

dotnet "$(bin src/SwooleGateway.Register SwooleGateway.Register)" $QUIET > "$DIR/register.log" 2>&1 & pids+=($!)
wait_port 1236
gateways=()
for i in $(seq 0 $((G - 1))); do
  dotnet "$(bin src/SwooleGateway.Gateway SwooleGateway.Gateway)" $INFO \
    --SwooleGateway:Gateway:Internal=127.0.0.1:$((2900 + i)) \
    --SwooleGateway:Gateway:Listeners:0:Endpoint=127.0.0.1:$((7300 + i)) \
    --SwooleGateway:Gateway:Listeners:1:Enabled=false > "$DIR/gateway.$i.log" 2>&1 & gateways+=($!); pids+=($!)
done
dotnet "$(bin samples/SwooleGateway.Samples.Echo SwooleGateway.Samples.Echo)" $QUIET --Logging:LogLevel:SwooleGateway.Worker.WorkerService=Information \
  > "$DIR/worker.log" 2>&1 & worker=$!; pids+=($worker)
for i in $(seq 0 $((G - 1))); do wait_port $((7300 + i)); done
sleep 3
before=(); for g in "${gateways[@]}"; do before+=("$(rss "$g")"); done
slab() { awk '$1 == "TCP" || $1 == "sock_inode_cache" {t += $3 * $4} END {print t}' /proc/slabinfo 2>/dev/null || echo 0; }
slab_before=$(slab)
worker_before=$(rss "$worker")

start=$(date +%s.%N)
holders=()
for i in $(seq 0 $((G - 1))); do
  n=$(( i == G - 1 ? TOTAL - PER * (G - 1) : PER ))
  dotnet "$LOAD" fleet-hold --target 127.0.0.1:$((7300 + i)) --connections "$n" --first $((i * PER)) --id "$i" \
    --dir "$DIR" --broadcasts "$B" > "$DIR/hold.$i.json" 2> "$DIR/hold.$i.err" & holders+=($!); pids+=($!)
done
for _ in $(seq 1 3000); do [ "$(ls "$DIR"/ready.* 2>/dev/null | wc -l)" -ge "$G" ] && break; sleep 0.1; done
[ "$(ls "$DIR"/ready.* 2>/dev/null | wc -l)" -ge "$G" ] || { echo "holders did not get ready"; cat "$DIR"/hold.*.err; exit 1; }
connected=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
echo "$TOTAL clients connected, each with its group joined (and every 100th its uid bound), in $connected s"

# Idle: wait for each gateway's and the worker's trim (2-5 s after the last connect each saw; at most 30 s), then for
# their RSS to settle.
for _ in $(seq 1 300); do
  [ "$(cat "$DIR"/gateway.*.log "$DIR"/worker.log | grep -c "compacting collection returned")" -ge $((G + 1)) ] && break; sleep 0.1
done
for _ in $(seq 1 20); do
  a=(); for g in "${gateways[@]}" "$worker"; do a+=("$(rss "$g")"); done; sleep 1
  b=(); for g in "${gateways[@]}" "$worker"; do b+=("$(rss "$g")"); done
  python3 -c "import sys; a=[int(x) for x in '${a[*]}'.split()]; b=[int(x) for x in '${b[*]}'.split()]; sys.exit(0 if all(abs(x-y) <= x/100 for x,y in zip(a,b)) else 1)" && break
done
after=(); for g in "${gateways[@]}"; do after+=("$(rss "$g")"); done
worker_after=$(rss "$worker")
slab_after=$(slab)
holder_rss=0; for h in "${holders[@]}"; do holder_rss=$((holder_rss + $(rss "$h"))); done
grep -h "compacting collection returned" "$DIR"/gateway.*.log "$DIR"/worker.log | sed 's/^ *//' > "$DIR/trims.txt" || true  # the connect storm's

dotnet "$LOAD" fleet-drive --target 127.0.0.1:7300 --holders "$G" --total "$TOTAL" --dir "$DIR" --broadcasts "$B" > "$DIR/drive.json" 2> "$DIR/drive.err" || { cat "$DIR/drive.err"; exit 1; }
# Holders end when all they expect has arrived; give stragglers 30 s, then tell them to report what they have.
for _ in $(seq 1 300); do running=0; for h in "${holders[@]}"; do kill -0 "$h" 2>/dev/null && running=1; done; [ $running = 0 ] && break; sleep 0.1; done
touch "$DIR/stop"; for h in "${holders[@]}"; do wait "$h" || true; done

python3 - "$DIR" "$TOTAL" "$G" "${before[*]}" "${after[*]}" "$worker_before" "$worker_after" "$holder_rss" "$slab_before" "$slab_after" <<'PY'
import json, sys, glob, re
d, total, g = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
before = [int(x) for x in sys.argv[4].split()]; after = [int(x) for x in sys.argv[5].split()]
wb, wa, holders_rss = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
slab_before, slab_after = int(sys.argv[9]), int(sys.argv[10])
holds = [json.loads(open(f).read().strip().splitlines()[-1]) for f in sorted(glob.glob(d + '/hold.*.json'))]
drive = json.loads(open(d + '/drive.json').read().strip().splitlines()[-1])
f = drive['frequency']
print('\n== memory, connections idle ==')
for i, (b, a) in enumerate(zip(before, after)):
    n = holds[i]['clients'] if i < len(holds) else 0
    print(f'gateway {i}: {n:,} clients, RSS {b/2**20:.1f} -> {a/2**20:.1f} MiB = {(a-b)/max(n,1):,.0f} bytes per connection')
print(f'all gateways: {sum(after)/2**20:,.1f} MiB for {total:,} clients; growth {(sum(after)-sum(before))/total:,.0f} bytes per connection, '
      f'{sum(after)/total:,.0f} bytes per connection including each process\'s base')
print(f'worker: RSS {wb/2**20:.1f} -> {wa/2**20:.1f} MiB; load tool ({len(holds)} processes, ClientWebSocket): {holders_rss/2**20:,.0f} MiB')
if slab_after > slab_before:
    print(f'kernel (not in any RSS): TCP and socket-inode slabs grew {(slab_after-slab_before)/2**20:,.0f} MiB for {2*total:,} sockets '
          f'(both ends are on this machine) = {(slab_after-slab_before)/(2*total):,.0f} bytes per socket')
for line in open(d + '/trims.txt'):
    m = re.search(r'returned ([\d.]+) MiB .* for (\d+) clients; (\d+) ms pause', line)
    if m: print(f"  {'worker' if 'Worker:Trim' in line else 'gateway'} trim: returned {m.group(1)} MiB, {m.group(3)} ms pause ({m.group(2)} clients)")
def merged(kind):
    h = {}
    for x in holds:
        for us, c in x[kind]['histogram']: h[us] = h.get(us, 0) + c
    n = sum(h.values()); out = {}
    for p in (50, 99, 100):
        rank, seen = -(-n * p // 100), 0
        for us in sorted(h):
            seen += h[us]
            if seen >= rank: out[p] = us / 1000; break
    return n, out
print('\n== delivery ==')
for kind, label, start in (('broadcast', f"{drive['broadcasts']} broadcasts to all {total:,}", drive['broadcastStart']),
                           ('uid', f"1 message to each of {drive['uids']:,} uids", drive['targetedStart']),
                           ('group', f"1 message to each of {drive['groups']:,} groups", drive['targetedStart'])):
    expected = sum(x[kind]['expected'] for x in holds); received = sum(x[kind]['received'] for x in holds)
    last = max(x[kind]['last'] for x in holds)
    n, pct = merged(kind)
    secs = (last - start) / f if last > start else float('nan')
    print(f'{label}: {received:,} of {expected:,} delivered, {expected-received:,} missing; '
          f'{received/secs:,.0f} deliveries/s over {secs:.2f} s; latency p50 {pct.get(50,0):.1f} ms p99 {pct.get(99,0):.1f} ms max {pct.get(100,0):.1f} ms')
print(f"bind errors {sum(x['bindErrors'] for x in holds)}, message errors {sum(x['errors'] for x in holds)}, "
      f"disconnected {sum(x['disconnected'] for x in holds)}; all broadcasts arrived before the targeted sends: {drive['broadcastsArrived']}")
PY
