// Assessment: answer the maturity self-assessment (GB/T 39116/39117), run it on the plant's twin
// or on the machine events this server received, see the MIIT level with its gates, the
// explanation and the gaps, and download the evidence pack (PDF, HTML, Excel, JSON).
import { ApiError, api } from "./api.js";
import { empty, failure, h, num, pct, section, table, when } from "./fmt.js";
import { lang, t } from "./i18n.js";

const POLL_MS = 1000;
const FILES = ["report.pdf", "report.html", "evidence.xlsx", "assessment.json"];
const MODE = { simulated: "assess.mode_simulated", recorded: "assess.mode_recorded" };
const STATUS = { running: "assess.status_running", done: "assess.status_done", failed: "assess.status_failed" };
const ACTION = { answer: "assess.action_answer", raise: "assess.action_raise", improve: "assess.action_improve", measure: "assess.action_measure" };

function pick(row) {
  return lang() === "zh" ? row.zh || row.en : row.en || row.zh;
}

function inferredMark() {
  return h("span", { class: "inferred", title: t("assess.inferred_hint") }, t("assess.inferred"));
}

/** A 422 with the path of each error, or the usual failure line. */
function problem(e) {
  const items = e instanceof ApiError && e.details ? e.details.errors || [] : [];
  if (!items.length && e instanceof ApiError && [409, 422].includes(e.status)) {
    return h("p", { class: "error", role: "alert" }, t("assess.refused"), " ", e.message);
  }
  if (!items.length) return failure(e);
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", {}, t("assess.invalid", { n: items.length })),
    h("ul", { class: "errors" }, items.map((x) => h("li", {}, h("code", {}, x.path || "/"), " ", x.message))),
  );
}

function refs(text) {
  return text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

function refText(list) {
  return (list || []).map((x) => (typeof x === "string" ? x : x.ref)).join(", ");
}

// ---- answers ---------------------------------------------------------------------------

function scoreSelect(scale, value, label) {
  const sel = h("select", { "aria-label": label }, h("option", { value: "" }, t("assess.unanswered")));
  for (const s of scale) sel.append(h("option", { value: String(s) }, num(s, 1)));
  sel.value = value === undefined || value === null ? "" : String(value);
  return sel;
}

/** The answer form: one row per requirement, grouped by sub-domain; scenario declarations. */
function answersForm(rubric, record, msg, onSaved) {
  const doc = record.document || {};
  const given = doc.answers || {};
  const declared = doc.scenarios || {};
  const inputs = new Map();
  const etype = h("select", { "aria-label": t("assess.enterprise_type") }, h("option", { value: "" }, t("assess.auto")));
  for (const e of rubric.enterprise_types) etype.append(h("option", { value: e.id }, pick(e)));
  etype.value = doc.enterprise_type || "";
  const groups = rubric.subdomains.map((sd) => {
    const reqs = rubric.requirements.filter((r) => r.subdomain === sd.id);
    const answered = reqs.filter((r) => given[r.id] !== undefined).length;
    const rows = reqs.map((r) => {
      const raw = given[r.id];
      const a = raw !== null && typeof raw === "object" ? raw : { score: raw };
      const score = scoreSelect(rubric.scale, a.score, r.id);
      const note = h("input", { class: "note-input", value: a.note || "", maxlength: 500, "aria-label": t("assess.note") });
      const evidence = h("input", { class: "ref-input", value: refText(a.evidence), placeholder: t("assess.ref_placeholder"), "aria-label": t("assess.evidence") });
      inputs.set(r.id, { score, note, evidence });
      return h(
        "tr",
        { dataset: { requirement: r.id } },
        h("td", {}, h("code", {}, r.id)),
        h("td", {}, r.level),
        h("td", {}, pick(r), " ", r.inferred ? inferredMark() : null),
        h("td", {}, score),
        h("td", {}, note),
        h("td", {}, evidence),
      );
    });
    return h(
      "details",
      { class: "subdomain", dataset: { subdomain: sd.id } },
      h("summary", {}, `${pick(sd)} · ${t("assess.answered_of", { n: answered, total: reqs.length })}`),
      h(
        "table",
        { class: "grid" },
        h("thead", {}, h("tr", {}, ["assess.requirement", "assess.level", "assess.statement", "assess.score", "assess.note", "assess.evidence"].map((k) => h("th", {}, t(k))))),
        h("tbody", {}, rows),
      ),
    );
  });
  const scen = new Map();
  const scenRows = rubric.scenario_catalogue.items.map((s) => {
    const d = declared[String(s.n)] || {};
    const implemented = h("input", { type: "checkbox", "aria-label": t("assess.implemented") });
    const ai = h("input", { type: "checkbox", "aria-label": t("assess.ai") });
    implemented.checked = d.implemented === true;
    ai.checked = d.ai === true;
    const evidence = h("input", { class: "ref-input", value: refText(d.evidence), placeholder: t("assess.ref_placeholder"), "aria-label": t("assess.evidence") });
    scen.set(s.n, { implemented, ai, evidence });
    return [s.n, pick(s), implemented, ai, evidence];
  });
  const collect = () => {
    const answers = {};
    for (const [rid, x] of inputs) {
      if (x.score.value === "") continue;
      const ev = refs(x.evidence.value);
      const note = x.note.value.trim();
      answers[rid] = ev.length || note ? { score: Number(x.score.value), note, evidence: ev } : Number(x.score.value);
    }
    const scenarios = {};
    for (const [n, x] of scen) {
      const ev = refs(x.evidence.value);
      if (x.implemented.checked || x.ai.checked || ev.length) scenarios[String(n)] = { implemented: x.implemented.checked, ai: x.ai.checked, evidence: ev };
    }
    const out = { answers, scenarios };
    if (etype.value) out.enterprise_type = etype.value;
    return out;
  };
  const save = h("button", { type: "button", class: "save-answers" }, t("assess.save"));
  save.addEventListener("click", async () => {
    msg.textContent = "";
    for (const row of document.querySelectorAll("tr[data-requirement].bad")) row.classList.remove("bad");
    save.disabled = true;
    try {
      const after = await api("/assessment/answers", { method: "PUT", body: collect() });
      await onSaved();
      msg.replaceChildren(h("p", { class: "ok" }, t("assess.saved", { n: Object.keys(after.document.answers || {}).length })));
    } catch (e) {
      msg.replaceChildren(problem(e));
      const bad = e instanceof ApiError && e.details ? e.details.errors || [] : [];
      for (const x of bad) {
        const m = /^answers\[([^\]]+)\]/.exec(x.path || "");
        const row = m && document.querySelector(`tr[data-requirement="${CSS.escape(m[1])}"]`);
        if (row) {
          row.classList.add("bad");
          row.closest("details").open = true;
        }
      }
    } finally {
      save.disabled = false;
    }
  });
  const meta = record.updated ? t("assess.answers_meta", { when: when(record.updated), by: record.by }) : t("assess.answers_none");
  return h(
    "div",
    {},
    h("p", { class: "meta" }, meta),
    h("p", { class: "note" }, t("assess.answers_hint")),
    h("div", { class: "controls" }, h("label", {}, t("assess.enterprise_type"), " ", etype)),
    ...groups,
    h("details", { class: "scenarios" }, h("summary", {}, t("assess.scenarios"), " ", rubric.scenario_catalogue.inferred ? inferredMark() : null), table(["assess.n", "assess.scenario", "assess.implemented", "assess.ai", "assess.evidence"], scenRows)),
    h("div", { class: "controls" }, save),
  );
}

// ---- result ----------------------------------------------------------------------------

function metricName(rubric, id) {
  const l = rubric.metric_labels[id];
  return l ? pick(l) : id;
}

function gateValue(g) {
  if (Array.isArray(g.value)) return g.value.join(", ") || "–";
  if (g.value === null || g.value === undefined) return "–";
  return num(g.value, 3);
}

function threshold(g) {
  return Array.isArray(g.threshold) ? `${g.op} ${g.threshold.join(", ")}` : `${g.op} ${num(g.threshold, 3)}`;
}

/** The decision, one line per level with its gates beneath ("  - ..." lines of the document). */
function explanation(lines) {
  const root = h("ul", { class: "explanation" });
  let sub = null;
  for (const line of lines) {
    const m = /^\s+-\s+(.*)$/.exec(line);
    if (m && root.lastChild) {
      if (!sub) root.lastChild.append((sub = h("ul")));
      sub.append(h("li", {}, m[1]));
    } else {
      sub = null;
      root.append(h("li", {}, line.trim()));
    }
  }
  return root;
}

function probeSummary(p) {
  return h(
    "div",
    { class: "probe", dataset: { passed: p.passed, tested: p.devices_tested } },
    h("h3", {}, t("assess.probe_result")),
    h("p", { class: "meta" }, t("assess.probe_line", { passed: p.passed, n: p.devices_tested, s: num(p.observe_s, 0) })),
    table(
      ["assess.device", "assess.protocol", "assess.endpoint", "assess.points", "assess.rate", "assess.latency", "assess.passed"],
      p.devices.map((d) => [
        d.equipment.split("/").slice(-1)[0],
        d.protocol,
        d.endpoint || "–",
        `${d.points_seen} / ${d.points_expected}`,
        d.update_rate_per_s === null || d.update_rate_per_s === undefined ? "–" : num(d.update_rate_per_s, 1),
        d.latency_ms === null || d.latency_ms === undefined ? "–" : num(d.latency_ms, 1),
        h("span", { class: d.passed ? "ok" : "error", title: (d.errors || []).join("; ") }, d.passed ? t("assess.yes") : t("assess.no")),
      ]),
    ),
  );
}

function result(run, rubric) {
  const doc = run.document;
  const grades = new Map((doc.grades || []).map((g) => [g.id, g]));
  const figures = h(
    "div",
    { class: "figures" },
    h("div", { class: "figure", dataset: { level: doc.level || "none" } }, h("span", { class: "label" }, t("assess.miit_level")), h("strong", {}, doc.level ? pick(grades.get(doc.level) || { zh: doc.level_name, en: doc.level_name }) : t("assess.none_reached"))),
    h("div", { class: "figure", dataset: { maturity: doc.maturity_level ?? "none" } }, h("span", { class: "label" }, t("assess.maturity_level")), h("strong", {}, doc.maturity_level ?? "–")),
    h("div", { class: "figure" }, h("span", { class: "label" }, t("assess.total_score")), h("strong", {}, num(doc.maturity.total_score, 3))),
  );
  const gates = table(
    ["assess.grade", "assess.metric", "assess.value", "assess.threshold", "assess.passed", "assess.source"],
    (doc.gates || []).map((g) => [
      pick(grades.get(g.grade) || { zh: g.grade, en: g.grade }),
      metricName(rubric, g.metric),
      gateValue(g),
      threshold(g),
      h("span", { class: g.passed ? "ok" : "error" }, g.passed ? t("assess.yes") : t("assess.no")),
      g.sourced ? g.source : h("span", { class: "inferred" }, t("assess.unsourced")),
    ]),
  );
  const reqs = new Map((doc.requirements || []).map((r) => [r.id, r]));
  const gaps = [...(doc.gaps.gates || []), ...(doc.gaps.maturity || [])];
  const figure = (x) => (x === null || x === undefined ? "–" : typeof x === "number" ? num(x, 3) : String(x));
  const gapTable = gaps.length
    ? table(
        ["assess.gap", "assess.action", "assess.current", "assess.needed", "assess.features"],
        gaps.map((g) => [
          g.kind === "requirement" && reqs.has(g.target) ? h("span", { title: pick(reqs.get(g.target)) }, h("code", {}, g.target), " ", pick(reqs.get(g.target))) : metricName(rubric, g.subject) + ` (${g.level})`,
          ACTION[g.action] ? t(ACTION[g.action]) : g.action,
          figure(g.current),
          figure(g.needed),
          (g.features || []).map((f) => pick(f)).join("; ") || (g.evidence_hints || []).join("; ") || "–",
        ]),
      )
    : empty("assess.no_gaps");
  const files = h(
    "p",
    { class: "files" },
    FILES.map((f) => h("a", { href: `/api/v1/assessment/runs/${encodeURIComponent(run.id)}/files/${f}`, target: "_blank", rel: "noopener", dataset: { file: f } }, f)),
  );
  return h(
    "div",
    { class: "result", dataset: { run: run.id, level: doc.level || "none" } },
    doc.synthetic ? h("p", { class: "banner synthetic" }, t("assess.synthetic")) : null,
    h("p", { class: "meta" }, `${run.id} · ${when(run.created)} · ${run.by} · ${t(MODE[run.spec.mode])} · ${doc.rubric.version}`),
    figures,
    h("p", { class: "note" }, t("assess.inferred_count", { n: (doc.requirements || []).filter((r) => r.inferred).length }), " ", inferredMark()),
    h("h3", {}, t("assess.explanation")),
    explanation(doc.explanation || []),
    h("h3", {}, t("assess.gates")),
    gates,
    h("h3", {}, t("assess.gaps")),
    gapTable,
    doc.interconnection_test ? probeSummary(doc.interconnection_test) : null,
    h("h3", {}, t("assess.metrics")),
    table(
      ["assess.metric", "assess.value", "assess.formula"],
      Object.values(doc.metrics || {}).map((m) => [metricName(rubric, m.id), m.value === null || m.value === undefined ? "–" : m.unit === "1" ? pct(m.value) : `${num(m.value, 3)} ${m.unit}`, m.formula]),
    ),
    h("h3", {}, t("assess.files")),
    files,
  );
}

// ---- page ------------------------------------------------------------------------------

function halves(events) {
  if (!events) return ["", ""];
  const a = Date.parse(events.first);
  const b = Date.parse(events.last);
  const mid = a + Math.floor((b - a) / 2);
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  return [`${iso(a)}/${iso(mid)}`, `${iso(mid)}/${iso(b)}`];
}

export async function render(page) {
  const [overview, rubric, record] = await Promise.all([api("/assessment"), api("/assessment/rubric"), api("/assessment/answers")]);
  const msg = h("div", { class: "msg", role: "status" });
  const resultBox = h("div", { class: "result-box" });
  const runsBox = h("div");
  const answersBox = h("div");
  const answersMsg = h("div", { class: "msg", role: "status" });
  const mode = h("select", { class: "run-mode", "aria-label": t("assess.mode") }, h("option", { value: "simulated" }, t("assess.mode_simulated")), h("option", { value: "recorded" }, t("assess.mode_recorded")));
  const hours = h("input", { type: "number", class: "run-hours", min: 0.5, max: overview.max_hours, step: 0.5, value: 8, "aria-label": t("assess.hours") });
  const [b0, c0] = halves(overview.events);
  const baseline = h("input", { class: "window-input", value: b0, placeholder: t("assess.window_placeholder"), "aria-label": t("assess.baseline") });
  const current = h("input", { class: "window-input", value: c0, placeholder: t("assess.window_placeholder"), "aria-label": t("assess.current") });
  const outLang = h("select", { "aria-label": t("assess.lang") }, h("option", { value: "zh" }, "中文"), h("option", { value: "en" }, "English"));
  outLang.value = lang();
  const probe = h("input", { type: "checkbox", class: "run-probe", "aria-label": t("assess.probe") });
  const simOnly = h("label", {}, t("assess.hours"), " ", hours);
  const recOnly = h("span", { class: "windows" }, h("label", {}, t("assess.baseline"), " ", baseline), " ", h("label", {}, t("assess.current"), " ", current));
  const showMode = () => {
    simOnly.hidden = mode.value !== "simulated";
    recOnly.hidden = mode.value !== "recorded";
  };
  mode.addEventListener("change", showMode);
  showMode();
  const start = h("button", { type: "button", class: "run-assessment" }, t("assess.run"));
  let timer = null;
  let alive = true;

  const showRun = async (id) => {
    const run = await api(`/assessment/runs/${encodeURIComponent(id)}`);
    if (run.status === "done") resultBox.replaceChildren(result(run, rubric));
    else if (run.status === "failed") resultBox.replaceChildren(h("p", { class: "error", dataset: { run: run.id } }, t("assess.failed", { error: run.error || "" })));
    return run;
  };
  const listRuns = async () => {
    const res = await api("/assessment/runs", { params: { limit: 20 } });
    runsBox.replaceChildren(
      res.items.length
        ? table(
            ["assess.run_id", "assess.created", "assess.by", "assess.mode", "assess.status", "assess.miit_level", "assess.maturity_level"],
            res.items.map((r) => [
              r.status === "done" ? h("a", { href: "#/assessment", onclick: (ev) => { ev.preventDefault(); showRun(r.id).catch((e) => msg.replaceChildren(failure(e))); } }, r.id) : r.id,
              when(r.created),
              r.by,
              t(MODE[r.spec.mode]),
              t(STATUS[r.status]),
              r.result ? r.result.level_name || t("assess.none_reached") : "–",
              r.result ? r.result.maturity_level ?? "–" : "–",
            ]),
          )
        : empty("assess.no_runs"),
    );
    return res.items;
  };
  const follow = (id) => {
    clearInterval(timer);
    start.disabled = true;
    msg.replaceChildren(h("p", { class: "running", dataset: { run: id } }, t("assess.running", { id })));
    timer = setInterval(async () => {
      try {
        const run = await showRun(id);
        if (run.status === "running" || !alive) return;
        clearInterval(timer);
        start.disabled = false;
        msg.replaceChildren(run.status === "done" ? h("p", { class: "ok" }, t("assess.done", { s: num(run.duration_s, 1) })) : h("p", { class: "error" }, t("assess.failed", { error: run.error || "" })));
        await listRuns();
      } catch (e) {
        clearInterval(timer);
        start.disabled = false;
        msg.replaceChildren(failure(e));
      }
    }, POLL_MS);
  };
  start.addEventListener("click", async () => {
    msg.textContent = "";
    const body = { mode: mode.value, lang: outLang.value, probe: probe.checked };
    if (mode.value === "simulated") body.hours = Number(hours.value);
    else Object.assign(body, { baseline: baseline.value.trim(), current: current.value.trim() });
    try {
      const run = await api("/assessment/runs", { method: "POST", body });
      await listRuns();
      follow(run.id);
    } catch (e) {
      msg.replaceChildren(problem(e));
    }
  });
  const drawAnswers = async () => {
    const [rec, ov] = await Promise.all([api("/assessment/answers"), api("/assessment")]);
    const open = new Set([...answersBox.querySelectorAll("details[open]")].map((d) => d.dataset.subdomain || "scenarios"));
    answersBox.replaceChildren(answersForm(rubric, rec, answersMsg, drawAnswers));
    for (const d of answersBox.querySelectorAll("details")) d.open = open.has(d.dataset.subdomain || "scenarios");
    status.textContent = t("assess.status_line", { version: ov.rubric_version, n: ov.answered, total: ov.requirements });
  };
  const status = h("p", { class: "meta" }, t("assess.status_line", { version: overview.rubric_version, n: overview.answered, total: overview.requirements }));
  page.append(
    h("h1", {}, t("guide.assessment_title")),
    status,
    h("p", { class: "note" }, t("assess.disclaimer")),
    section(
      "assess.new_run",
      h("div", { class: "controls" }, h("label", {}, t("assess.mode"), " ", mode), simOnly, recOnly, h("label", {}, t("assess.lang"), " ", outLang), h("label", { title: t("assess.probe_hint") }, probe, " ", t("assess.probe")), start),
      h("p", { class: "note" }, overview.events ? t("assess.events_span", { from: when(overview.events.first), to: when(overview.events.last), n: overview.events.count }) : t("assess.no_events")),
      msg,
    ),
    section("assess.result", resultBox),
    section("assess.runs", runsBox),
    section("assess.answers", answersBox, answersMsg),
    section("guide.cli", h("p", {}, t("guide.assessment_cli")), h("pre", { class: "cli" }, ["shopfloor assess --out evidence/ --lang zh", "shopfloor assess --answers answers.yaml --out evidence/ --lang en --json"].join("\n"))),
  );
  answersBox.replaceChildren(answersForm(rubric, record, answersMsg, drawAnswers));
  const runs = await listRuns();
  if (overview.running) follow(overview.running.id);
  const latest = runs.find((r) => r.status === "done");
  if (latest) await showRun(latest.id);
  else resultBox.replaceChildren(empty("assess.no_result"));
  return () => {
    alive = false;
    clearInterval(timer);
  };
}
