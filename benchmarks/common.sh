# Shared by the benchmark scripts (source it after `cd` to the repository root): builds Release (NOBUILD=1 skips that,
# to measure a build as it is), and gives
# bin (path of a built dll), LOAD (the load tool), QUIET (log level for servers), pids + stop_all (servers started
# in the background, stopped on exit), wait_port (waits for a loopback port to listen) and start_triad (the stock
# register, gateway and Echo worker on their default ports; sets $gateway and $worker; start_triad_at: the same from a
# given tree on given ports; start_pair: this tree's triad and $OTHER's side by side, sets a_gw/a_wk/a_port (the other)
# and b_gw/b_wk/b_port (this one)).
[ -n "${NOBUILD:-}" ] || dotnet build -c Release SwooleGateway.sln >/dev/null
bin() { echo "$1/bin/Release/net10.0/$2.dll"; }
LOAD=$(bin benchmarks/SwooleGateway.LoadTest SwooleGateway.LoadTest)
QUIET=--Logging:LogLevel:Default=Warning
pids=()
stop_all() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap stop_all EXIT
# Waits until something listens on the port (asks the kernel, ss, instead of connecting: a probe connection would make
# the register log a failed handshake every time a triad starts).
wait_port() { for _ in $(seq 1 100); do ss -Hltn "sport = :$1" | grep -q . && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }
start_triad() {
  dotnet "$(bin src/SwooleGateway.Register SwooleGateway.Register)" $QUIET & pids+=($!)
  wait_port 1236
  dotnet "$(bin src/SwooleGateway.Gateway SwooleGateway.Gateway)" $QUIET & gateway=$!; pids+=($gateway)
  dotnet "$(bin samples/SwooleGateway.Samples.Echo SwooleGateway.Samples.Echo)" $QUIET & worker=$!; pids+=($worker)
  wait_port 7272; wait_port 7273
}
start_triad_at() { # tree register-port internal-port ws-port tcp-port
  local tree=$1 registers="--SwooleGateway:Registers:0=127.0.0.1:$2"
  dotnet "$tree/$(bin src/SwooleGateway.Register SwooleGateway.Register)" $QUIET --SwooleGateway:Register:Listen=127.0.0.1:"$2" & pids+=($!)
  wait_port "$2"
  dotnet "$tree/$(bin src/SwooleGateway.Gateway SwooleGateway.Gateway)" $QUIET "$registers" --SwooleGateway:Gateway:Internal=127.0.0.1:"$3" \
    --SwooleGateway:Gateway:Listeners:0:Endpoint=127.0.0.1:"$4" --SwooleGateway:Gateway:Listeners:1:Name=tcp \
    --SwooleGateway:Gateway:Listeners:1:Protocol=Tcp --SwooleGateway:Gateway:Listeners:1:Endpoint=127.0.0.1:"$5" & gateway=$!; pids+=($gateway)
  dotnet "$tree/$(bin samples/SwooleGateway.Samples.Echo SwooleGateway.Samples.Echo)" $QUIET "$registers" & worker=$!; pids+=($worker)
  wait_port "$4"
}
start_pair() { # 0: $OTHER's triad starts first, on the default ports; 1: this tree's does (the second-started measured 0.94 in an A/A run)
  if [ "$1" = 0 ]; then
    start_triad_at "$OTHER" 1236 2900 7272 7273; a_gw=$gateway; a_wk=$worker; a_port=7272
    start_triad_at "$(pwd)" 1336 3000 7372 7373; b_gw=$gateway; b_wk=$worker; b_port=7372
  else
    start_triad_at "$(pwd)" 1236 2900 7272 7273; b_gw=$gateway; b_wk=$worker; b_port=7272
    start_triad_at "$OTHER" 1336 3000 7372 7373; a_gw=$gateway; a_wk=$worker; a_port=7372
  fi
}
