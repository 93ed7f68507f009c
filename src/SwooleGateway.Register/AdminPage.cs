namespace SwooleGateway.Register;

/// <summary>The status page of the admin endpoint: plain HTML and a little JavaScript that fetches /status.json every 2 s.</summary>
internal static class AdminPage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SwooleGateway cluster</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #fafbfc; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
  #summary { color: #4a5263; }
  #error { color: #b42318; font-weight: 600; }
  table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e6e8ec; white-space: nowrap; }
  th { background: #f1f3f6; font-weight: 600; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .stale { color: #b54708; }
  .empty { color: #8a92a3; font-style: italic; }
</style>
</head>
<body>
<h1>SwooleGateway cluster</h1>
<div id="summary">loading…</div>
<div id="error"></div>
<h2>Gateways</h2>
<table id="gateways"><thead><tr><th>Node</th><th>Address</th><th>Version</th><th>Up</th><th>Connections</th><th>Events/s</th><th>Unacked</th><th>Held</th><th>Slow clients</th><th>Workers</th><th>Tags</th></tr></thead><tbody></tbody></table>
<h2>Workers</h2>
<table id="workers"><thead><tr><th>Node</th><th>From</th><th>Version</th><th>Up</th><th>Gateways</th><th>Clients</th><th>Events/s</th><th>Active</th><th>Waiting</th><th>Errors</th><th>Redelivered</th><th>Tags</th></tr></thead><tbody></tbody></table>
<h2>API clients</h2>
<table id="clients"><thead><tr><th>Node</th><th>From</th><th>Connected</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
const query = location.search;
const text = s => document.createTextNode(s);
function age(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return s + " s";
  if (s < 7200) return Math.floor(s / 60) + " min";
  if (s < 172800) return Math.floor(s / 3600) + " h";
  return Math.floor(s / 86400) + " d";
}
function num(v) { return v === undefined || v === null ? "" : Number(v).toLocaleString("en-US"); }
function row(tbody, cells, stale) {
  const tr = document.createElement("tr");
  if (stale) tr.className = "stale";
  for (const [value, numeric] of cells) {
    const td = document.createElement("td");
    if (numeric) td.className = "n";
    td.appendChild(text(String(value)));
    tr.appendChild(td);
  }
  tbody.appendChild(tr);
}
function fill(id, nodes, cells) {
  const tbody = document.querySelector("#" + id + " tbody");
  tbody.replaceChildren();
  if (nodes.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = document.querySelectorAll("#" + id + " th").length;
    td.className = "empty";
    td.appendChild(text("none"));
    tr.appendChild(td);
    tbody.appendChild(tr);
    return;
  }
  for (const n of nodes) row(tbody, cells(n), n.reportAgeMs !== null && n.reportAgeMs > 10000);
}
function render(s) {
  const now = s.generatedMs;
  const t = s.totals;
  document.getElementById("summary").textContent =
    `${t.gateways} gateways, ${t.workers} workers, ${t.clients} API clients; ${num(t.connections)} connections, ${num(t.eventsPerSecond)} events/s. ` +
    `Register ${s.register.nodeId} at ${s.register.address} (${s.register.version}); updated ${new Date(now).toLocaleTimeString()}`;
  const of = role => s.nodes.filter(n => n.role === role);
  fill("gateways", of("gateway"), n => [[n.nodeId], [n.address], [n.version], [age(now - n.startedMs)], [num(n.values.connections), 1],
    [num(n.rates.events_per_second), 1], [num(n.values.events_unacknowledged), 1], [num(n.values.events_held), 1],
    [num(n.values.slow_clients_total), 1], [num(n.values.workers), 1], [n.tags.join(", ")]]);
  fill("workers", of("worker"), n => [[n.nodeId], [n.remote], [n.version], [age(now - n.startedMs)], [num(n.values.gateways), 1],
    [num(n.values.clients), 1], [num(n.rates.events_per_second), 1], [num(n.values.handlers_active), 1], [num(n.values.clients_waiting), 1],
    [num(n.values.handler_errors_total), 1], [num(n.values.events_redelivered_total), 1], [n.tags.join(", ")]]);
  fill("clients", of("client"), n => [[n.nodeId], [n.remote], [age(now - n.connectedMs)]]);
}
async function refresh() {
  try {
    const response = await fetch("status.json" + query, { cache: "no-store" });
    if (!response.ok) throw new Error(`status.json answered ${response.status}`);
    render(await response.json());
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = "Cannot read the cluster status: " + e.message;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
""";
}
