// econsec dashboard: vanilla JS over the JSON API; charts are SVG rendered by the server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let currentRun = null;
  let currentStored = null;
  let storedOffset = 0;
  const PAGE = 10;
  let pollTimer = null;

  function showError(msg) {
    const el = $("error");
    el.textContent = msg;
    el.hidden = !msg;
  }

  async function api(path, opts) {
    opts = opts || {};
    // with a token the server set an HttpOnly cookie on the first ?token= visit;
    // same-origin fetches send it
    const resp = await fetch(path, Object.assign({ credentials: "same-origin" }, opts));
    if (resp.status === 401) {
      throw new Error("this server needs its token: open this page once as /?token=TOKEN");
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

  function sourceCell(td, value) {
    // source ids (";"-separated) as links to their full citation in the sources list
    String(value).split(";").forEach((id, i) => {
      if (i) td.append("; ");
      const a = document.createElement("a");
      a.href = "#src-" + id; a.textContent = id; a.className = "src-link";
      td.appendChild(a);
    });
  }

  function fillTable(table, rows, columns, limit, rowClass) {
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
      if (rowClass) tr.className = rowClass(r);
      cols.forEach((c) => {
        const [text, num] = fmt(r[c]);
        const td = tr.insertCell();
        if (c === "source" && text && table.dataset.links === "1") sourceCell(td, text);
        else if (c === "url" && text) {
          const a = document.createElement("a"); a.href = text; a.textContent = "link";
          a.rel = "noreferrer"; td.appendChild(a);
        } else td.textContent = text;
        if (num) td.className = "n";
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
      p.id = "src-" + s.id; p.className = "cite";
      const b = document.createElement("b"); b.textContent = "[" + s.id + "] "; p.append(b);
      p.append(s.citation + " ");
      if (s.url) {
        const a = document.createElement("a"); a.href = s.url; a.textContent = s.url;
        a.rel = "noreferrer"; p.append(a);
      }
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

  function clearRun() {
    $("run-chart").replaceChildren(); $("run-summary").replaceChildren();
    $("run-skill").replaceChildren(); $("run-skill-box").hidden = true;
    $("run-prices").replaceChildren(); $("run-prices-box").hidden = true;
    $("run-summary-note").textContent = "";
    $("run-downloads").hidden = true; $("run-sources").textContent = "";
  }

  function follow(job) {
    currentRun = job.id;
    $("run-btn").disabled = true; $("cancel-btn").disabled = false;
    setStatus(job.status, job.progress);
    poll();
  }

  async function startRun(ev) {
    ev.preventDefault();
    showError("");
    const body = { scenario: $("scenario").value, runs: Number($("runs").value), seed: Number($("seed").value) };
    if ($("horizon").value) body.horizon_days = Number($("horizon").value);
    clearRun();
    try {
      const resp = await api("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      follow(await resp.json());
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
    currentStored = job.run_id;
    const svg = await (await api(r.chart_svg)).text();
    const chart = $("run-chart");
    chart.innerHTML = svg;
    chart.dataset.run = job.run_id;
    $("run-sources").textContent = "Source: econsec simulation, stored run " + job.run_id +
      " of scenario " + r.inputs.scenario + " (world " + (r.inputs.world_version || "") +
      ", " + r.inputs.runs + " runs, seed " + r.inputs.seed + ", " + r.inputs.horizon_days +
      " days). The chart shows the economies and goods the scenario touches (" +
      r.touched.economies.concat(r.touched.goods).join(", ") + ") with the largest losses." +
      (r.note ? " Note: " + r.note : "");
    // the server sorts by median loss and leaves out rows without any loss
    fillTable($("run-summary"), r.summary, ["economy", "good", "baseline_usd_bn",
      "loss_usd_bn_p5", "loss_usd_bn_p50", "loss_usd_bn_p95", "max_availability_drop_p50",
      "days_to_recover_p50"], 100);
    $("run-summary-note").textContent = r.summary_hit + " economy-good rows move (output " +
      "loss, negative: gain; or availability drop), largest median loss first; " + r.summary_hidden +
      " rows with no loss are hidden (all in the CSV/XLSX).";
    if (r.prices_stored) {
      fillTable($("run-prices"), r.prices, ["good", "market", "peak_p50", "peak_date",
        "last_p50"], 100);
      $("run-prices-note").textContent = r.prices.length ? ("Median price index (1 = " +
        "pre-shock) of the goods whose price moved: its peak, the date of the peak and the " +
        "last day. international = buyers outside the economies holding the good back " +
        "(the market reference prices assess); home = buyers inside them. Every day of " +
        "every good is in the XLSX (sheet prices).") : "No price index moved in this run.";
      $("run-prices-box").hidden = false;
    }
    if (r.skill && r.skill.length) {
      fillTable($("run-skill"), r.skill, ["outcome", "status", "period", "unit", "metric", "economy",
        "partner", "good", "documented", "simulated", "tolerance", "within_tolerance",
        "direction_ok", "source", "url"], 60, (row) => row.role === "calibration" ? "calibration" : "");
      const all = (r.skill_summary || []).find((x) => x.scenario === "all");
      $("run-skill-note").textContent = all ? ("Validation outcomes scored: " + all.validation +
        " (" + all.direction_ok + " right in direction, " + all.within_tolerance +
        " within tolerance, " + all.not_simulated + " not simulated). Calibration outcomes (" +
        all.calibration + ", in grey) were used to fit parameters: shown, never counted.") : "";
      $("run-skill-box").hidden = false;
    }
    $("run-downloads").hidden = false;
    loadStored();
  }

  async function loadStored() {
    try {
      const data = await getJSON("/api/runs?limit=" + PAGE + "&offset=" + storedOffset);
      const t = $("stored-table");
      fillTable(t, data.runs, ["run_id", "created", "scenario", "runs", "seed",
        "horizon_days", "origin"], PAGE);
      t.querySelectorAll("tbody tr").forEach((tr, i) => {
        const id = data.runs[i].run_id;
        const td = tr.cells[0]; td.replaceChildren();
        const a = document.createElement("a"); a.href = "#"; a.textContent = id;
        a.className = "open-run";
        a.addEventListener("click", (ev) => { ev.preventDefault(); openStored(id); });
        td.appendChild(a);
      });
      $("stored-note").textContent = data.total + " runs in the store (CLI and dashboard), " +
        "newest first; showing " + (data.total ? storedOffset + 1 : 0) + "-" +
        Math.min(storedOffset + PAGE, data.total) + ". The store keeps the newest " +
        data.keep_runs + " dashboard runs.";
      $("stored-prev").disabled = storedOffset === 0;
      $("stored-next").disabled = storedOffset + PAGE >= data.total;
      // defaults: A the older, B the newer of the two newest runs (never the same run)
      const ids = data.runs.map((x) => x.run_id);
      const kept = ["compare-a", "compare-b"].map((sel) => $(sel).value);
      const pick = kept[0] && kept[1] && kept[0] !== kept[1] && ids.includes(kept[0]) &&
        ids.includes(kept[1]) ? kept : [ids[Math.min(1, ids.length - 1)], ids[0]];
      ["compare-a", "compare-b"].forEach((sel, k) => {
        const el = $(sel); el.replaceChildren();
        data.runs.forEach((run) => option(el, run.run_id, run.run_id + " " + run.scenario +
          " (" + run.runs + " runs, seed " + run.seed + ")"));
        if (pick[k]) el.value = pick[k];
      });
    } catch (e) { showError("stored runs: " + e.message); }
  }

  async function openStored(id) {
    try {
      const job = await getJSON("/api/runs/" + id);
      setStatus("stored run " + id, 1);
      await showResult(job);
      $("run-panel").scrollIntoView();
    } catch (e) { showError("stored run: " + e.message); }
  }

  async function compareRuns(ev) {
    ev.preventDefault();
    showError("");
    const a = $("compare-a").value, b = $("compare-b").value;
    if (!a || !b || a === b) { showError("compare: choose two different stored runs"); return; }
    try {
      const data = await getJSON("/api/runs/compare?" + new URLSearchParams({ a: a, b: b }));
      for (const [side, run] of [["a", data.a], ["b", data.b]]) {
        const i = run.inputs;
        $("compare-" + side + "-title").textContent = side.toUpperCase() + ": " + i.scenario +
          " - " + run.run_id + " (" + i.runs + " runs, seed " + i.seed + ", " + i.horizon_days + " days)";
        $("compare-" + side + "-chart").innerHTML = await (await api(run.chart_svg)).text();
      }
      fillTable($("compare-table"), data.rows, null, 100);
      $("compare-note").textContent = "Per economy and good, A and B side by side (as `econsec runs compare A B`), " +
        "largest difference in median loss first; " + data.hidden_zero_rows +
        " rows where neither run moves are hidden.";
      $("compare-box").hidden = false;
    } catch (e) { showError("compare: " + e.message); }
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
    $("dl-csv").addEventListener("click", () => download("/api/runs/" + currentStored + "/csv", currentStored + ".csv"));
    $("dl-xlsx").addEventListener("click", () => download("/api/runs/" + currentStored + "/xlsx", currentStored + ".xlsx"));
    $("brief-link").addEventListener("click", openBrief);
    $("stored-prev").addEventListener("click", () => { storedOffset = Math.max(0, storedOffset - PAGE); loadStored(); });
    $("stored-next").addEventListener("click", () => { storedOffset += PAGE; loadStored(); });
    $("stored-refresh").addEventListener("click", loadStored);
    $("compare-form").addEventListener("submit", compareRuns);
    // a run started by the scenario builder (builder.js) is followed here like any run
    document.addEventListener("econsec:job", (ev) => {
      showError(""); clearRun();
      $("scenario-desc").textContent = "Running " + ev.detail.scenario + ", a scenario from the " +
        "scenario builder (below), not the scenario chosen above.";
      follow(ev.detail); $("run-panel").scrollIntoView();
    });
    document.addEventListener("click", (ev) => {
      // a source id opens the sources list it belongs to and shows the citation
      const a = ev.target.closest ? ev.target.closest("a.src-link") : null;
      if (!a) return;
      const cite = document.getElementById(a.getAttribute("href").slice(1));
      if (cite) { const d = cite.closest("details"); if (d) d.open = true; }
    });
    start();
  }

  async function start() {
    try {
      await loadWorld();
      await Promise.all([showExposure(), showChokepoints(), loadScenarios(), loadStored()]);
      document.body.dataset.ready = "1";
    } catch (e) { showError(e.message); }
  }

  init();
})();
