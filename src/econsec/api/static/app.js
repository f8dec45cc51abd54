// econsec dashboard: vanilla JS over the JSON API; charts are SVG rendered by the server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("econsec-token") || "";
  let currentRun = null;
  let pollTimer = null;

  function showError(msg) {
    const el = $("error");
    el.textContent = msg;
    el.hidden = !msg;
  }

  async function api(path, opts) {
    opts = opts || {};
    const headers = Object.assign({}, opts.headers || {});
    if (token) headers["Authorization"] = "Bearer " + token;
    const resp = await fetch(path, Object.assign({}, opts, { headers: headers }));
    if (resp.status === 401) {
      $("token-box").hidden = false;
      throw new Error("this server needs an API token");
    }
    if (!resp.ok) {
      let msg = resp.status + " " + resp.statusText;
      try {
        const body = await resp.json();
        if (Array.isArray(body.detail)) {
          msg = body.detail.map((d) => (d.loc || []).join(".") + ": " + d.msg).join("; ");
        } else if (body.detail) { msg = String(body.detail); }
      } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return resp;
  }
  const getJSON = async (path) => (await api(path)).json();

  function fmt(v) {
    if (v === null || v === undefined) return ["", false];
    if (typeof v === "number") {
      if (Number.isInteger(v) && Math.abs(v) < 10000) return [String(v), true];
      const s = Math.abs(v) < 100 ? Number(v.toPrecision(3)).toString()
        : Math.round(v).toLocaleString("en");
      return [s, true];
    }
    return [String(v), false];
  }

  function fillTable(table, rows, columns, limit) {
    table.replaceChildren();
    if (!rows.length) {
      const tr = table.insertRow(); tr.insertCell().textContent = "no rows"; return;
    }
    const cols = columns || Object.keys(rows[0]);
    const head = table.createTHead().insertRow();
    cols.forEach((c) => { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); });
    const body = table.createTBody();
    rows.slice(0, limit || 200).forEach((r) => {
      const tr = body.insertRow();
      cols.forEach((c) => {
        const [text, num] = fmt(r[c]);
        const td = tr.insertCell(); td.textContent = text; if (num) td.className = "n";
      });
    });
  }

  function fillSources(el, sources) {
    el.replaceChildren();
    if (!sources || !sources.length) return;
    const ids = sources.map((s) => s.id).join(", ");
    const det = document.createElement("details");
    const sum = document.createElement("summary");
    sum.textContent = "Sources: " + ids;
    det.appendChild(sum);
    sources.forEach((s) => {
      const p = document.createElement("div");
      const b = document.createElement("b"); b.textContent = "[" + s.id + "] "; p.append(b);
      p.append(s.citation);
      det.appendChild(p);
    });
    el.appendChild(det);
  }

  function option(select, value, label) {
    const o = document.createElement("option"); o.value = value; o.textContent = label || value;
    select.appendChild(o);
  }

  async function loadWorld() {
    const world = await getJSON("/api/world");
    $("world-version").textContent = "world " + world.version;
    const eco = $("economy"), against = $("against"), bloc = $("bloc");
    [eco, against, bloc].forEach((s) => s.replaceChildren());
    world.blocs.forEach((b) => { option(bloc, b.bloc, b.bloc + " (" + b.members + ")"); option(against, b.bloc); });
    world.economies.forEach((e) => {
      const label = e.code + (e.name ? " - " + e.name : "");
      option(eco, e.code, label); option(against, e.code, label); option(bloc, e.code, label);
    });
    eco.value = "KOR"; bloc.value = "TRILATERAL"; against.value = "CHN";
    const goods = await getJSON("/api/goods");
    goods.rows.forEach((g) => option($("good"), g.good_id, g.good_id + " (" + g.stage + ")"));
  }

  async function showExposure(ev) {
    if (ev) ev.preventDefault();
    showError("");
    const q = new URLSearchParams({ economy: $("economy").value, tiers: $("tiers").value });
    if ($("good").value) q.set("good", $("good").value);
    try {
      const data = await getJSON("/api/exposure?" + q);
      const rows = data.rows.slice().sort((a, b) => b.share - a.share);
      const cols = data.tiers === "direct"
        ? ["good", "supplier", "share", "basis", "year", "import_hhi", "source"]
        : ["good", "supplier", "share", "direct_share"];
      fillTable($("exposure-table"), rows, cols, 300);
      $("exposure-note").textContent = data.count + " rows for " + data.economy +
        (data.tiers === "all" ? " (look-through: share of output resting on each supplier)" : "");
      fillSources($("exposure-sources"), data.sources);
    } catch (e) { showError("exposure: " + e.message); }
  }

  async function showChokepoints(ev) {
    if (ev) ev.preventDefault();
    showError("");
    const q = new URLSearchParams({ bloc: $("bloc").value, against: $("against").value });
    try {
      const data = await getJSON("/api/chokepoints?" + q + "&top=15");
      fillTable($("chokepoint-table"), data.rows,
        ["direction", "holder", "target", "good", "holder_share", "target_dependence", "score", "source"]);
      fillSources($("chokepoint-sources"), data.sources);
      const resp = await api("/api/heatmap.svg?" + q);
      $("heatmap").innerHTML = await resp.text();
      const ids = resp.headers.get("x-econsec-sources") || "";
      $("heatmap-sources").textContent = ids ? "Heat map sources: " + ids.split(",").join(", ") : "";
    } catch (e) { showError("chokepoints: " + e.message); }
  }

  let scenarios = [];
  async function loadScenarios() {
    const data = await getJSON("/api/scenarios");
    scenarios = data.scenarios;
    const sel = $("scenario");
    sel.replaceChildren();
    scenarios.forEach((s) => option(sel, s.name, s.name + " (" + s.kind + ")"));
    describeScenario();
  }

  function describeScenario() {
    const s = scenarios.find((x) => x.name === $("scenario").value);
    $("scenario-desc").textContent = s ? s.title + (s.horizon_days ? " - " + s.horizon_days + " days. " : ". ") + s.description : "";
  }

  function setStatus(status, progress) {
    $("run-status").textContent = status;
    $("run-progress").value = progress || 0;
  }

  async function startRun(ev) {
    ev.preventDefault();
    showError("");
    const body = { scenario: $("scenario").value, runs: Number($("runs").value), seed: Number($("seed").value) };
    if ($("horizon").value) body.horizon_days = Number($("horizon").value);
    $("run-chart").replaceChildren(); $("run-summary").replaceChildren();
    $("run-outcomes").replaceChildren(); $("run-outcomes-box").hidden = true;
    $("run-downloads").hidden = true; $("run-sources").textContent = "";
    try {
      const resp = await api("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const job = await resp.json();
      currentRun = job.id;
      $("run-btn").disabled = true; $("cancel-btn").disabled = false;
      setStatus(job.status, job.progress);
      poll();
    } catch (e) { showError("run: " + e.message); }
  }

  async function poll() {
    if (!currentRun) return;
    try {
      const job = await getJSON("/api/runs/" + currentRun);
      setStatus(job.status + " " + Math.round(job.progress * 100) + "%", job.progress);
      if (job.status === "queued" || job.status === "running") {
        pollTimer = setTimeout(poll, 400);
        return;
      }
      $("run-btn").disabled = false; $("cancel-btn").disabled = true;
      if (job.status === "done") await showResult(job);
      else if (job.status === "failed") showError("run failed: " + job.error);
    } catch (e) { showError("run: " + e.message); }
  }

  async function showResult(job) {
    const r = job.result;
    const svg = await (await api(r.chart_svg)).text();
    const chart = $("run-chart");
    chart.innerHTML = svg;
    chart.dataset.run = job.id;
    $("run-sources").textContent = "Source: econsec simulation of shipped scenario " +
      r.inputs.scenario + " (file " + (r.inputs.scenario_file || "") + ", world " +
      (r.inputs.world_version || "") + ", " + r.inputs.runs + " runs, seed " + r.inputs.seed +
      ", " + r.inputs.horizon_days + " days); the measures it applies cite their sources in the HTML brief.";
    const key = "loss_usd_bn_p50";
    // largest losses first (the table shows the first 100 rows)
    const summary = r.summary.slice().sort((a, b) => (b[key] ?? 0) - (a[key] ?? 0));
    fillTable($("run-summary"), summary, null, 100);
    if (r.outcomes && r.outcomes.length) {
      fillTable($("run-outcomes"), r.outcomes, ["metric", "economy", "partner", "good", "period",
        "documented_change", "simulated_change", "direction_matches", "source"], 50);
      $("run-outcomes-box").hidden = false;
    }
    $("run-downloads").hidden = false;
  }

  async function cancelRun() {
    if (!currentRun) return;
    try { await api("/api/runs/" + currentRun, { method: "DELETE" }); } catch (e) { showError(e.message); }
  }

  async function download(path, name) {
    try {
      const blob = await (await api(path)).blob();
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob); a.download = name;
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    } catch (e) { showError("download: " + e.message); }
  }

  async function openBrief(ev) {
    ev.preventDefault();
    const q = new URLSearchParams({ bloc: $("bloc").value || "TRILATERAL", against: $("against").value || "CHN" });
    await download("/api/brief.html?" + q, "econsec_brief.html");
  }

  async function init() {
    $("exposure-form").addEventListener("submit", showExposure);
    $("chokepoint-form").addEventListener("submit", showChokepoints);
    $("run-form").addEventListener("submit", startRun);
    $("cancel-btn").addEventListener("click", cancelRun);
    $("scenario").addEventListener("change", describeScenario);
    $("dl-csv").addEventListener("click", () => download("/api/runs/" + currentRun + "/csv", $("scenario").value + ".csv"));
    $("dl-xlsx").addEventListener("click", () => download("/api/runs/" + currentRun + "/xlsx", $("scenario").value + ".xlsx"));
    $("brief-link").addEventListener("click", openBrief);
    $("token-save").addEventListener("click", () => {
      token = $("token").value; sessionStorage.setItem("econsec-token", token); start();
    });
    start();
  }

  async function start() {
    try {
      await loadWorld();
      await Promise.all([showExposure(), showChokepoints(), loadScenarios()]);
      document.body.dataset.ready = "1";
    } catch (e) { showError(e.message); }
  }

  init();
})();
