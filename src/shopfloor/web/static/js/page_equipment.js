// Equipment detail: live trend from the historian (time range, drag to zoom), state timeline,
// live tag values, alarms, connection health and predictive health.
import { all, api, optional, plantNow } from "./api.js";
import { empty, h, iso, label, nameOf, num, PACKML, pct, section, shortPath, stamp, stateCategory, stateLabel, stateOf, table, when } from "./fmt.js";
import { t } from "./i18n.js";
import { liveUnder, liveValue, onLive } from "./live.js";
import { lineChart, timeline } from "./svg.js";

const RANGES = [
  { key: "range.15m", ms: 15 * 60e3, bucket: "10s" },
  { key: "range.1h", ms: 3600e3, bucket: "30s" },
  { key: "range.8h", ms: 8 * 3600e3, bucket: "5m" },
  { key: "range.24h", ms: 24 * 3600e3, bucket: "15m" },
];

function bucketFor(ms) {
  const s = Math.max(1, Math.ceil(ms / 1000 / 400));
  return `${s}s`;
}

async function pickEquipment(page) {
  const eqs = await all("/plant/equipment");
  page.append(h("h1", {}, t("equipment.pick")), table(["equipment.name", "equipment.id", "equipment.class"], eqs.map((e) => [h("a", { href: `#/equipment/${e.path}` }, nameOf(e)), e.id, label("class." + e.class, e.class)])));
}

/** The equipment's predictive health (health index, anomaly, RUL, explanation), if scored. */
function pdmHealth(res) {
  const row = res && res.items && res.items[0];
  if (!row) return h("p", { class: "note" }, t("health.pdm_hint"));
  const top = (row.top_features || []).map((f) => `${f.feature} ${pct(f.share)}`).join(", ") || "–";
  return table(
    ["maint.health_index", "maint.anomaly", "maint.rul", "maint.features", "maint.work_order"],
    [[pct(row.health_index), num(row.anomaly_score, 2), row.rul_h === null ? "–" : num(row.rul_h), top, row.work_order || (row.alarm ? t("maint.alarm_raised") : "–")]],
  );
}

export async function render(page, arg) {
  if (!arg) return pickEquipment(page);
  const eq = await api(`/plant/equipment/${arg}`);
  const numeric = eq.tags.filter((g) => g.data_type !== "string" && g.name !== "state");
  const stateTag = `${eq.path}/state`;
  const stateBox = h("span", { class: "chip", dataset: { cat: "none" } }, stateLabel(null));
  const showState = (name) => {
    stateBox.dataset.cat = stateCategory(name);
    stateBox.textContent = stateLabel(name);
  };
  showState(stateOf(liveValue(stateTag)));
  const good = (g) => (liveValue(g.id) || {}).quality === "good";
  const first = numeric.find((g) => good(g) && g.rate_hz <= 10) || numeric.find(good) || numeric[0];
  const tagPick = h("select", { "aria-label": t("equipment.tag") }, numeric.map((g) => h("option", { value: g.id, selected: g === first }, `${g.name} (${g.unit})`)));
  let range = RANGES[1];
  let zoom = null;
  const rangeButtons = RANGES.map((r) => h("button", { type: "button", class: r === range ? "on" : "", onclick: () => { range = r; zoom = null; draw(); } }, t(r.key)));
  const reset = h("button", { type: "button", onclick: () => { zoom = null; draw(); } }, t("equipment.reset_zoom"));
  const chartBox = h("div", { class: "chartbox" });
  const timelineBox = h("div");
  const valuesBox = h("div");
  const alarmsBox = h("div");
  const healthBox = h("div");
  page.append(
    h("h1", {}, nameOf(eq), " ", stateBox),
    h("p", { class: "meta" }, `${eq.id} · ${label("class." + eq.class, eq.class)} · ${eq.vendor || ""} ${eq.model || ""} · ${eq.protocol}`),
    section("equipment.trend", h("div", { class: "controls" }, tagPick, rangeButtons, reset), chartBox, h("p", { class: "note" }, t("equipment.zoom_hint"))),
    section("equipment.timeline", timelineBox),
    section("equipment.values", valuesBox),
    section("equipment.alarms", alarmsBox),
    section("equipment.health", healthBox),
  );
  let livePoints = [];
  let history = [];
  let span = [0, 1];
  const plot = () => {
    const pts = history.concat(livePoints.filter((p) => p[0] > (history.length ? history[history.length - 1][0] : 0)));
    if (!pts.length) return chartBox.replaceChildren(empty("equipment.no_history"));
    chartBox.replaceChildren(lineChart({ series: [{ points: pts, cls: "main" }], onZoom: (a, b) => { zoom = [a, b]; draw(); } }));
  };
  async function draw() {
    const now = await plantNow();
    span = zoom || [now - range.ms, now];
    for (const [i, b] of rangeButtons.entries()) b.classList.toggle("on", RANGES[i] === range && !zoom);
    const width = zoom ? bucketFor(span[1] - span[0]) : range.bucket;
    const res = await optional("/history/buckets", { params: { tag: tagPick.value, start: iso(span[0]), end: iso(span[1]), bucket: width, limit: 1000 } }, { items: [] });
    history = res.items.map((r) => [Date.parse(r.ts || r.bucket || r.time), r.avg ?? r.value]).filter((p) => Number.isFinite(p[0]) && p[1] !== null);
    livePoints = zoom ? [] : livePoints.filter((p) => p[0] >= span[0]);
    plot();
    const raw = await optional("/history/raw", { params: { tag: stateTag, start: iso(span[0]), end: iso(span[1]), limit: 1000 } }, { items: [] });
    const segs = [];
    raw.items.forEach((r, i) => {
      const name = PACKML[Math.round(r.value)];
      const start = Date.parse(r.ts);
      const end = i + 1 < raw.items.length ? Date.parse(raw.items[i + 1].ts) : span[1];
      if (name) segs.push({ start, end, cat: stateCategory(name), label: stateLabel(name) });
    });
    timelineBox.replaceChildren(segs.length ? timeline(segs, span[0], span[1]) : empty("equipment.no_states"));
  }
  tagPick.addEventListener("change", () => { livePoints = []; draw(); });
  const showValues = () => {
    const rows = liveUnder(eq.path).filter((v) => v.tag !== stateTag);
    valuesBox.replaceChildren(rows.length ? table(["equipment.tag", "equipment.value", "equipment.quality", "equipment.time"], rows.map((v) => [shortPath(v.tag), v.text ?? num(v.value, 3), t("quality." + v.quality), when(v.ts)])) : empty("equipment.no_values"));
  };
  const [alarms, status, pdm] = await Promise.all([
    optional("/alarms", { params: { equipment: eq.path, include_shelved: true, include_normal: true, limit: 50 } }, { items: [] }),
    optional("/status/connectors"),
    optional("/maintenance/health", { params: { equipment: eq.path } }, null),
  ]);
  alarmsBox.replaceChildren(alarms.items.length ? table(["alarms.code", "alarms.text", "alarms.state", "alarms.raised"], alarms.items.map((a) => [a.code, a.text, t("alarmstate." + a.state), when(stamp(a, "raised"))])) : empty("alarms.none"));
  const device = status && Object.values(status.connectors).map((c) => c.devices && c.devices[eq.path]).find(Boolean);
  healthBox.replaceChildren(
    device
      ? table(["health.online", "health.rate", "health.latency", "health.errors", "health.last"], [[device.online ? t("health.yes") : t("health.no"), num(device.samples_per_s), num(device.latency_avg_s * 1000, 0), device.errors, when(device.last_message)]])
      : empty(eq.connectivity === "none" ? "health.manual" : "health.none"),
    pdmHealth(pdm),
  );
  showValues();
  await draw();
  let pending = false;
  return onLive((rows) => {
    for (const r of rows) {
      if (r.tag === stateTag) showState(stateOf(r));
      if (r.tag === tagPick.value && r.value !== null && !zoom) livePoints.push([Date.parse(r.ts), r.value]);
    }
    if (!pending && rows.some((r) => r.tag.startsWith(eq.path + "/"))) {
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        showValues();
        if (!zoom) plot();
      });
    }
  });
}
