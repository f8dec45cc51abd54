// econsec dashboard: the scenario builder. The form becomes a scenario document with the
// keys of a scenario file; the server validates it with the scenario loader
// (POST /api/builder/validate) and answers the normalised YAML or the field in error,
// shown beside its input. Runs go through POST /api/builder/runs and are followed by the
// run panel (app.js listens for the "econsec:job" event).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let schema = null;
  let measures = [];
  let lastYaml = null;

  async function call(path, body) {
    const resp = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (resp.status === 401) throw new Error("this server needs its token: open /?token=TOKEN once");
    return resp;
  }

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") e.textContent = v; else if (v !== undefined && v !== null) e.setAttribute(k, v);
    });
    (children || []).forEach((c) => e.append(c));
    return e;
  }

  // one labelled input; kind: text | num | list | date | numlist | select
  function field(label, key, kind, opts) {
    opts = opts || {};
    let input;
    if (kind === "select") {
      input = el("select", { "data-key": key });
      (opts.choices || []).forEach((c) => {
        const [v, t] = Array.isArray(c) ? c : [c, c === "" ? "(registry's)" : c];
        input.append(el("option", { value: v, text: t }));
      });
    } else {
      input = el("input", { "data-key": key, type: "text", placeholder: opts.placeholder || "",
        inputmode: kind === "num" ? "decimal" : null, size: opts.size || null });
      if (opts.value !== undefined) input.value = opts.value;
    }
    input.dataset.kind = kind;
    if (opts.title) input.title = opts.title;
    const lab = el("label", { class: opts.cls || "" }, [label, input]);
    return lab;
  }

  function value(input) {
    const raw = input.value.trim();
    if (raw === "") return null;
    const kind = input.dataset.kind;
    const num = (s) => (/^-?\d+(\.\d+)?([eE]-?\d+)?$/.test(s) ? Number(s) : s);
    if (kind === "num") return num(raw);
    if (kind === "date") return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (kind === "list" || kind === "numlist") {
      const parts = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
      const items = kind === "numlist" ? parts.map(num) : parts;
      return items.length === 1 && kind === "list" ? items[0] : items;
    }
    return raw;
  }

  function row(container, title, fields, section) {
    const box = el("div", { class: "b-row" });
    box.dataset.section = section;
    const head = el("div", { class: "b-row-head" }, [el("b", { text: title })]);
    const rm = el("button", { type: "button", class: "b-remove", text: "Remove", "aria-label": "remove " + title });
    rm.addEventListener("click", () => { box.remove(); });
    head.append(rm);
    box.append(head, el("div", { class: "controls" }, fields));
    container.append(box);
    return box;
  }

  function measureLabel(m) {
    return m.id + " - " + m.type + ", " + m.imposer + " to " + (m.targets || "ALL") + ": " +
      String(m.goods || "").split(";").join(", ") + " (from " + (m.effective || m.announced || "?") +
      (m.lifted ? " to " + m.lifted : "") + ")";
  }

  function addMeasure(id) {
    const m = measures.find((x) => x.id === id);
    if (!m) return;
    const f = [
      field("Effective", "effective", "date", { placeholder: m.effective || "YYYY-MM-DD", size: 11 }),
      field("Lifted", "lifted", "date", { placeholder: m.lifted || "not lifted", size: 11 }),
      field("Intensity", "intensity", "num", { placeholder: String(m.intensity), size: 6,
        title: "share of the flow blocked (ban), tariff rate, or 1 - approval rate (licensing)" }),
      field("Targets", "targets", "list", { placeholder: m.targets || "ALL", size: 14 }),
      field("Goods", "goods", "list", { placeholder: String(m.goods || "").split(";").join(", "), size: 22 }),
      field("Acts as", "as", "select", { choices: ["", "ban", "quota", "licensing", "tariff"] }),
    ];
    if (m.type === "licensing") {
      f.push(field("Approval rate", "approval_rate", "num", { placeholder: "1 - intensity", size: 9,
        title: "share of licence requests approved; empty: 1 - intensity (registry's: " +
          Math.round((1 - Math.min(m.intensity, 1)) * 1000) / 1000 + ")" }));
      f.push(field("Licence delay (days)", "licence_delay_days", "num", { placeholder: "registry's", size: 6 }));
    }
    const box = row($("b-measures"), measureLabel(m), f, "measures");
    box.dataset.id = m.id;
  }

  function addShock() {
    const kind = field("Kind", "kind", "select", { choices: schema.shock_kinds.map((k) => [k, k]) });
    const lic = [field("Approval rate", "approval_rate", "num", { size: 6, placeholder: "0-1" }),
      field("Licence delay (days)", "licence_delay_days", "num", { size: 6, placeholder: "parameter's" })];
    const box = row($("b-shocks"), "Ad-hoc shock", [kind,
      field("Imposers", "imposers", "list", { placeholder: "CHN", size: 10 }),
      field("Targets", "targets", "list", { value: "ALL", size: 14 }),
      field("Goods", "goods", "list", { placeholder: "gallium, germanium", size: 22 }),
      field("Start", "start", "date", { value: "0", size: 11, title: "a date or a day offset from the scenario start" }),
      field("End", "end", "date", { placeholder: "open", size: 11 }),
      field("Intensity", "intensity", "num", { value: "1", size: 6 }), ...lic], "shocks");
    const sel = kind.querySelector("select");
    const sync = () => lic.forEach((l) => { l.hidden = sel.value !== "licensing"; });
    sel.addEventListener("change", sync); sync();
    return box;
  }

  const LEVERS = {
    stockpile: () => [field("Economies", "economies", "list", { placeholder: "KOR", size: 12 }),
      field("Goods", "goods", "list", { placeholder: "gallium", size: 20 }),
      field("Days of use", "days", "num", { placeholder: "60", size: 6 })],
    diversification: () => [field("Economies", "economies", "list", { placeholder: "JPN", size: 12 }),
      field("Goods", "goods", "list", { size: 20 }),
      field("Away from", "away_from", "text", { placeholder: "CHN", size: 6 }),
      field("Fraction", "fraction", "num", { placeholder: "0.3", size: 6 })],
    capacity_investment: () => [field("Registry investment", "investment", "select", {
      choices: [["", "(ad hoc: economy and good)"]].concat(schema.investments.map((i) => [i.id,
        i.id + " (" + i.economy + " " + i.good + (i.capacity_share === null ? ", no share" : ", " + i.capacity_share) + ")"])) }),
      field("Economy", "economy", "text", { size: 6, placeholder: "AUS" }),
      field("Good", "good", "text", { size: 18 }),
      field("Capacity share", "capacity_share", "num", { size: 6, placeholder: "0.05" }),
      field("Start", "start", "date", { size: 11, placeholder: "0" }),
      field("Lead (days)", "lead_days", "num", { size: 6, placeholder: "365" })],
    licence_relief: () => [field("Measure", "measure", "select", {
      choices: [["", "(every licensing measure)"]].concat(measures.filter((m) => m.type === "licensing").map((m) => [m.id, m.id])) }),
      field("Approval rate", "approval_rate", "num", { size: 6, placeholder: "0.9" }),
      field("Delay factor", "delay_factor", "num", { size: 6, placeholder: "1" }),
      field("Start", "start", "date", { size: 11, placeholder: "0" })],
  };

  function addLever(name) {
    row($("b-levers"), name.replace("_", " "), LEVERS[name](), "levers." + name);
  }

  function addParam() {
    const names = schema.parameters.map((p) => [p.name, p.name]);
    const name = field("Parameter", "name", "select", { choices: names });
    const dist = field("Distribution", "dist", "select", { choices: schema.distributions.map((d) => [d, d]) });
    const args = field("Value or arguments", "args", "numlist", { placeholder: "e.g. 30 or 15, 45, 90", size: 16 });
    const help = el("span", { class: "muted b-help" });
    const box = row($("b-params"), "Parameter", [name, dist, args, help], "parameters");
    const sel = name.querySelector("select");
    const sync = () => {
      const p = schema.parameters.find((x) => x.name === sel.value);
      help.textContent = p ? p.description + " (default " + (p.default === null ? "inf" : p.default) + ")" : "";
    };
    sel.addEventListener("change", sync); sync();
    return box;
  }

  // the form -> the scenario document; every input gets its dotted field name
  function collect() {
    const doc = {};
    document.querySelectorAll("#b-head [data-key]").forEach((inp) => {
      inp.dataset.field = inp.dataset.key; doc[inp.dataset.key] = value(inp);
    });
    const rows = (section) => Array.from(document.querySelectorAll(".b-row")).filter((r) => r.dataset.section === section);
    const entries = (section, prefix) => rows(section).map((r, i) => {
      const e = {};
      if (r.dataset.id) e.id = r.dataset.id;
      r.querySelectorAll("[data-key]").forEach((inp) => {
        if (inp.closest("label").hidden) return;
        inp.dataset.field = prefix + "[" + i + "]." + inp.dataset.key;
        e[inp.dataset.key] = value(inp);
      });
      r.dataset.field = prefix + "[" + i + "]";
      return e;
    });
    doc.measures = entries("measures", "measures");
    doc.shocks = entries("shocks", "shocks");
    const levers = {};
    Object.keys(LEVERS).forEach((name) => { levers[name] = entries("levers." + name, "levers." + name); });
    if ($("b-registry-inv").checked) levers.capacity_investment.push("registry");
    if ($("b-allied").checked) {
      levers.allied_sharing = { members: value($("b-allied-members")), start: value($("b-allied-start")) };
    }
    $("b-allied-members").dataset.field = "levers.allied_sharing.members";
    $("b-allied-start").dataset.field = "levers.allied_sharing.start";
    doc.levers = levers;
    const params = {};
    rows("parameters").forEach((r) => {
      const get = (k) => r.querySelector("[data-key='" + k + "']");
      const name = get("name").value, dist = get("dist").value, args = value(get("args"));
      get("args").dataset.field = "parameters." + name + (dist === "fixed" ? "" : ".args");
      get("dist").dataset.field = "parameters." + name + ".dist";
      get("name").dataset.field = "parameters." + name;
      const list = Array.isArray(args) ? args : args === null ? [] : [args];
      params[name] = dist === "fixed" && list.length === 1 ? list[0] : { dist: dist, args: list };
    });
    doc.parameters = params;
    return doc;
  }

  function clearErrors() {
    document.querySelectorAll("#builder-panel span.field-error").forEach((e) => e.remove());
    document.querySelectorAll("#builder-panel .invalid").forEach((e) => e.classList.remove("invalid"));
    $("b-error").hidden = true; $("b-text-error").hidden = true;
  }

  // the input whose field is the error's, else its nearest parent (shocks[0].goods[1] -> shocks[0].goods)
  function target(fieldName) {
    const all = Array.from(document.querySelectorAll("#builder-panel [data-field]"));
    let f = fieldName;
    while (f) {
      const hit = all.find((e) => e.dataset.field === f);
      if (hit) return hit;
      const cut = Math.max(f.lastIndexOf("."), f.lastIndexOf("["));
      f = cut > 0 ? f.slice(0, cut) : "";
    }
    return null;
  }

  // every problem of the answer (the server reports them all at once): each beside its
  // input; those of the YAML text, and those with no input, listed one a line
  function showErrors(detail) {
    const textMsgs = [], otherMsgs = [];
    let first = null;
    detail.forEach((d) => {
      const name = d.field !== undefined ? d.field : (d.loc || []).slice(1).join(".");
      const fromText = (d.loc || [])[1] === "yaml";  // a line means something only in a text
      const msg = (name ? name + ": " : "") + d.msg + (d.line && fromText ? " (YAML line " + d.line + ")" : "");
      const hit = name && !fromText ? target(name) : null;
      if (fromText) {
        textMsgs.push(msg);
      } else if (hit) {
        hit.classList.add("invalid");
        const span = el("span", { class: "field-error", role: "alert", text: msg });
        // under the input, inside its label (the row keeps its layout); a row's own error under its title
        if (hit.classList.contains("b-row")) hit.querySelector(".b-row-head").after(span);
        else if (hit.closest("label")) hit.closest("label").append(span);
        else hit.after(span);
        first = first || hit;
      } else {
        otherMsgs.push(msg);
      }
    });
    if (textMsgs.length) { $("b-text-error").textContent = textMsgs.join("\n"); $("b-text-error").hidden = false; }
    if (otherMsgs.length) { $("b-error").textContent = otherMsgs.join("\n"); $("b-error").hidden = false; }
    if (first) first.scrollIntoView({ block: "center" });
  }

  // what is validated: the form's document, or the pasted YAML text
  const fromForm = () => ({ scenario: collect() });
  const fromText = () => ({ yaml: $("b-yaml-text").value });

  async function validate(what) {
    what = what || fromForm;
    clearErrors();
    lastYaml = null;
    $("b-yaml").textContent = ""; $("b-summary").textContent = "";
    const resp = await call("/api/builder/validate", what());
    const body = await resp.json();
    if (!resp.ok) {
      const detail = Array.isArray(body.detail) ? body.detail : [{ field: "", msg: String(body.detail) }];
      showErrors(detail);
      $("b-summary").textContent = "Not valid: " + (detail.length === 1 ? "1 problem, shown" :
        detail.length + " problems, each shown") + " beside its field.";
      return false;
    }
    lastYaml = body.yaml;
    $("b-yaml").textContent = body.yaml;
    const s = body.scenario;
    $("b-summary").textContent = "Valid (checked by the scenario loader): " + s.shocks.length +
      " shock(s): " + s.shocks.map((x) => (x.measure_id || "ad hoc") + " (" + x.kind + ", " +
      x.imposers.join("/") + " to " + x.targets.join("/") + ", day " + x.start_day +
      (x.end_day === null ? "" : "-" + x.end_day) + ")").join("; ") + ". Levers: " +
      (s.levers.join(", ") || "none") + ". Horizon " + s.horizon_days + " days from " + s.start + ".";
    return true;
  }

  async function run(what) {
    what = what || fromForm;
    if (!(await validate(what))) return;
    const body = Object.assign(what(), { runs: value($("b-runs")), seed: value($("b-seed")) });
    const resp = await call("/api/builder/runs", body);
    const job = await resp.json();
    if (!resp.ok) { showErrors(job.detail || [{ field: "", msg: resp.statusText }]); return; }
    document.dispatchEvent(new CustomEvent("econsec:job", { detail: job }));
  }

  async function download() {
    if (!(await validate())) return;
    const resp = await call("/api/builder/scenario.yaml", { scenario: collect() });
    if (!resp.ok) { showErrors((await resp.json()).detail); return; }
    const name = (value($("b-name")) || "scenario") + ".yaml";
    const a = el("a", { href: URL.createObjectURL(await resp.blob()), download: name });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  function guard(fn) {
    return async (ev) => {
      if (ev) ev.preventDefault();
      try { await fn(); } catch (e) { $("b-error").textContent = "builder: " + e.message; $("b-error").hidden = false; }
    };
  }

  async function init() {
    try {
      schema = await (await fetch("/api/builder/schema", { credentials: "same-origin" })).json();
      const data = await (await fetch("/api/measures", { credentials: "same-origin" })).json();
      measures = data.rows.filter((m) => schema.measure_types.includes(m.type));
    } catch (e) { $("b-error").textContent = "builder: " + e.message; $("b-error").hidden = false; return; }
    const pick = $("b-measure-pick");
    measures.forEach((m) => pick.append(el("option", { value: m.id, text: measureLabel(m) })));
    $("b-start").value = new Date().toISOString().slice(0, 10);
    $("b-add-measure").addEventListener("click", () => addMeasure(pick.value));
    $("b-add-shock").addEventListener("click", addShock);
    $("b-add-param").addEventListener("click", addParam);
    document.querySelectorAll("[data-add-lever]").forEach((b) =>
      b.addEventListener("click", () => addLever(b.dataset.addLever)));
    $("b-validate").addEventListener("click", guard(() => validate(fromForm)));
    $("b-run").addEventListener("click", guard(() => run(fromForm)));
    $("b-validate-text").addEventListener("click", guard(() => validate(fromText)));
    $("b-run-text").addEventListener("click", guard(() => run(fromText)));
    $("b-download").addEventListener("click", guard(download));
    $("builder-form").addEventListener("submit", guard(() => validate(fromForm)));
    document.body.dataset.builder = "1";
  }

  init();
})();
