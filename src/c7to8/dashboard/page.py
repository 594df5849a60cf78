# ruff: noqa: E501 - embedded JavaScript and HTML keep their natural line lengths
"""The dashboard page: one self-contained HTML document (inline style and script, no CDN, no build).

Data is put into the DOM with textContent only (never innerHTML), so ids and skip reasons cannot
inject markup. The script polls /api/progress and /api/summary every 2 seconds.
"""

from __future__ import annotations

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:12px 24px;display:flex;align-items:baseline;gap:16px}
header h1{font-size:18px;margin:0}header .sub{opacity:.8}
main{padding:16px 24px;display:grid;grid-template-columns:minmax(380px,1fr) minmax(380px,1fr);gap:16px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px}
section.wide{grid-column:1 / -1}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #eceff3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f2f4f7;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.skipped td.sk{color:#b42318;font-weight:600}
tfoot td{font-weight:700}
.state{display:inline-block;padding:1px 8px;border-radius:10px;background:#e4e7ec}
.state.running{background:#d1f0dc;color:#0b6b2f}.state.failed,.state.stopped{background:#fde8e8;color:#8a1c1c}
.bar{height:8px;background:#e4e7ec;border-radius:4px;overflow:hidden;min-width:80px}
.bar>div{height:100%;background:#2e7dd7}
svg{width:100%;height:180px;display:block}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:8px}
input,select,button{font:inherit;padding:3px 6px}
.muted{color:#667085}.err{color:#b42318}
code{font-size:13px}
"""

_SCRIPT = r"""
"use strict";
const token = new URLSearchParams(location.search).get("token");
const headers = token ? {"X-C7to8-Token": token} : {};
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; }
function fmt(n) { return (n === null || n === undefined) ? "-" : Number(n).toLocaleString("en-US"); }
async function api(path, params) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v !== null && v !== undefined && v !== "") u.searchParams.set(k, v);
  const r = await fetch(u, {headers});
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
let typeNames = [];
async function loadSummary() {
  const s = await api("/api/summary");
  const tb = $("summary-body"); tb.replaceChildren();
  for (const t of s.types) {
    if (!t.history && t.migrated === 0 && t.skipped === 0) continue;
    const tr = el("tr"); tr.dataset.type = t.type; if (t.skipped) tr.className = "skipped";
    tr.append(el("td", t.display), el("td", fmt(t.migrated), "n migrated"), el("td", fmt(t.skipped), "n sk"),
              el("td", fmt(t.migrated + t.skipped), "n"));
    tb.append(tr);
  }
  $("total-migrated").textContent = fmt(s.migrated); $("total-skipped").textContent = fmt(s.skipped);
  $("total-all").textContent = fmt(s.migrated + s.skipped);
  $("tracking").textContent = s.exists ? s.tracking_table : s.tracking_table + " (does not exist yet)";
  if (!typeNames.length) {
    typeNames = s.types;
    for (const sel of [$("map-type"), $("reason-type")]) {
      if (sel.id === "reason-type") sel.append(new Option("all types", ""));
      for (const t of s.types) sel.append(new Option(t.display, t.type));
    }
    $("map-type").value = "HISTORY_PROCESS_INSTANCE";
    loadReasons(); loadMappings(true);
  }
}
async function loadReasons() {
  const rows = await api("/api/reasons", {type: $("reason-type").value});
  const tb = $("reasons-body"); tb.replaceChildren();
  if (!rows.length) { const tr = el("tr"); const td = el("td", "No skipped entities.", "muted"); td.colSpan = 2; tr.append(td); tb.append(tr); }
  for (const r of rows) { const tr = el("tr"); tr.append(el("td", r.reason === null ? "(no reason recorded: save-skip-reason is off)" : r.reason), el("td", fmt(r.count), "n")); tb.append(tr); }
}
let cursors = [null], page = 0;
async function loadMappings(reset) {
  if (reset) { cursors = [null]; page = 0; }
  const status = document.querySelector("input[name=status]:checked").value;
  $("col-key").textContent = status === "skipped" ? "Skip reason" : "C8 key";
  let res;
  try {
    res = await api("/api/mappings", {type: $("map-type").value, status, q: $("search").value.trim(), after: cursors[page], limit: $("limit").value});
    $("map-error").textContent = "";
  } catch (e) { $("map-error").textContent = e.message; return; }
  const tb = $("map-body"); tb.replaceChildren();
  if (!res.rows.length) { const tr = el("tr"); const td = el("td", "No data available", "muted"); td.colSpan = 3; tr.append(td); tb.append(tr); }
  for (const r of res.rows) {
    const tr = el("tr");
    tr.append(el("td", r.c7_id, "c7"), el("td", status === "skipped" ? (r.reason || "") : r.c8_key, "c8"), el("td", r.create_time ? r.create_time.replace("T", " ").slice(0, 19) : "", "muted"));
    tb.append(tr);
  }
  cursors[page + 1] = res.next;
  $("prev").disabled = page === 0; $("next").disabled = !res.next; $("page").textContent = "page " + (page + 1);
}
function drawChart(samples) {
  const svg = $("chart"); svg.replaceChildren();
  const NS = "http://www.w3.org/2000/svg", W = 600, H = 180, P = 34;
  const pts = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = samples[i][0] - samples[i - 1][0];
    if (dt > 0) pts.push([samples[i][0], Math.max(0, (samples[i][1] - samples[i - 1][1]) / dt)]);
  }
  const mk = (tag, attrs, text) => { const e = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text) e.textContent = text; svg.append(e); return e; };
  mk("rect", {x: 0, y: 0, width: W, height: H, fill: "#fbfcfd"});
  mk("line", {x1: P, y1: H - 20, x2: W - 8, y2: H - 20, stroke: "#98a2b3"});
  mk("line", {x1: P, y1: 8, x2: P, y2: H - 20, stroke: "#98a2b3"});
  if (!pts.length) { mk("text", {x: W / 2, y: H / 2, "text-anchor": "middle", fill: "#667085", "font-size": 13}, "no throughput samples yet"); return; }
  const tMax = Math.max(...pts.map(p => p[0])), tMin = Math.min(...pts.map(p => p[0])), rMax = Math.max(1, ...pts.map(p => p[1]));
  const x = t => P + (tMax > tMin ? (t - tMin) / (tMax - tMin) : 0.5) * (W - P - 12);
  const y = r => (H - 20) - (r / rMax) * (H - 32);
  mk("polyline", {points: pts.map(p => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" "), fill: "none", stroke: "#2e7dd7", "stroke-width": 2});
  mk("text", {x: 4, y: 16, fill: "#667085", "font-size": 11}, fmt(Math.round(rMax)));
  mk("text", {x: 4, y: H - 22, fill: "#667085", "font-size": 11}, "0");
  mk("text", {x: W - 8, y: H - 4, "text-anchor": "end", fill: "#667085", "font-size": 11}, Math.round(tMax) + " s");
  mk("text", {x: P + 4, y: H - 4, fill: "#667085", "font-size": 11}, "rows/s over time");
}
async function loadProgress() {
  const p = await api("/api/progress");
  const st = $("run-state"); st.textContent = p.state === "none" ? "no run recorded" : p.state; st.className = "state " + p.state;
  $("run-age").textContent = p.updated ? "updated " + Math.round(p.age_s) + " s ago" : "";
  $("run-file").textContent = p.path || "";
  const tb = $("progress-body"); tb.replaceChildren();
  for (const t of p.types || []) {
    const tr = el("tr"); const bar = el("div", null, "bar"); const fill = el("div");
    const pct = t.total ? Math.min(100, 100 * t.done / t.total) : (t.finished ? 100 : 0);
    fill.style.width = pct.toFixed(1) + "%"; bar.append(fill);
    const cell = el("td"); cell.append(bar);
    tr.append(el("td", t.name), el("td", fmt(t.done) + (t.total !== null ? " / " + fmt(t.total) : ""), "n"), cell, el("td", fmt(Math.round(t.rate)), "n"));
    tb.append(tr);
  }
  drawChart(p.samples || []);
}
async function tick() {
  try { await Promise.all([loadSummary(), loadProgress()]); $("status").textContent = "live, refreshed " + new Date().toLocaleTimeString(); $("status").className = "muted"; }
  catch (e) { $("status").textContent = "error: " + e.message; $("status").className = "err"; }
}
$("reason-type").addEventListener("change", loadReasons);
$("map-type").addEventListener("change", () => loadMappings(true));
$("limit").addEventListener("change", () => loadMappings(true));
for (const r of document.querySelectorAll("input[name=status]")) r.addEventListener("change", () => loadMappings(true));
$("search-form").addEventListener("submit", (e) => { e.preventDefault(); loadMappings(true); });
$("next").addEventListener("click", () => { page++; loadMappings(false); });
$("prev").addEventListener("click", () => { if (page > 0) { page--; loadMappings(false); } });
tick(); setInterval(tick, 2000);
"""

_BODY = """
<header><h1>c7to8 dashboard</h1><span class="sub">Camunda 7 &rarr; Camunda 8, read-only</span>
<span class="sub" id="status"></span></header>
<main>
<section><h2>Migrated and skipped, per type</h2>
<p class="muted">tracking table <code id="tracking"></code></p>
<table id="summary"><thead><tr><th>type</th><th class="n">migrated</th><th class="n">skipped</th><th class="n">total</th></tr></thead>
<tbody id="summary-body"></tbody>
<tfoot><tr><td>total</td><td class="n" id="total-migrated"></td><td class="n" id="total-skipped"></td><td class="n" id="total-all"></td></tr></tfoot>
</table></section>
<section><h2>Running migration</h2>
<p><span class="state" id="run-state">&hellip;</span> <span class="muted" id="run-age"></span></p>
<svg id="chart" viewBox="0 0 600 180" preserveAspectRatio="none" role="img" aria-label="throughput chart"></svg>
<table><thead><tr><th>type</th><th class="n">read</th><th>progress</th><th class="n">rows/s</th></tr></thead>
<tbody id="progress-body"></tbody></table>
<p class="muted">progress file <code id="run-file"></code></p></section>
<section class="wide"><h2>Skip reasons</h2>
<div class="controls"><label>Type: <select id="reason-type"></select></label></div>
<table><thead><tr><th>reason</th><th class="n">count</th></tr></thead><tbody id="reasons-body"></tbody></table></section>
<section class="wide"><h2>Camunda 7 id &rarr; Camunda 8 key</h2>
<form class="controls" id="search-form">
<label>Type: <select id="map-type"></select></label>
<label><input type="radio" name="status" value="migrated" checked> Migrated</label>
<label><input type="radio" name="status" value="skipped"> Skipped</label>
<input id="search" type="search" placeholder="C7 id prefix or C8 key" size="28">
<button type="submit" id="search-button">Search</button>
<label>Show <select id="limit"><option>10</option><option>20</option><option selected>50</option><option>100</option></select></label>
<button type="button" id="prev">&lt; Previous</button><span id="page" class="muted"></span><button type="button" id="next">Next &gt;</button>
<span id="map-error" class="err"></span>
</form>
<table id="mappings"><thead><tr><th>C7 id</th><th id="col-key">C8 key</th><th>tracked at</th></tr></thead><tbody id="map-body"></tbody></table>
</section>
</main>
"""


def render_page(nonce: str) -> str:
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>c7to8 dashboard</title>"
        f"<style nonce=\"{nonce}\">{_STYLE}</style></head><body>{_BODY}"
        f"<script nonce=\"{nonce}\">{_SCRIPT}</script></body></html>"
    )
