// Line view: OEE and its parts with the loss breakdown, throughput against plan, current orders.
import { api, optional, plantNow } from "./api.js";
import { empty, h, iso, nameOf, num, pct, section, shortPath, table } from "./fmt.js";
import { t } from "./i18n.js";
import { bars } from "./svg.js";

const WINDOWS = [1, 8, 24];
const FINAL = new Set(["complete", "aborted"]);

function window(hours, now) {
  return { start: iso(now - hours * 3600e3), end: iso(now + 1000) };
}

function losses(entry) {
  const f = (entry.losses && entry.losses.fractions_of_pbt) || {};
  const parts = [
    ["line.loss_adet", f.availability_adet],
    ["line.loss_adot", f.availability_adot],
    ["line.loss_asut", f.availability_asut],
    ["line.loss_performance", f.performance],
    ["line.loss_quality", f.quality],
    ["line.productive", f.productive],
  ];
  return bars(parts.map(([k, v]) => ({ label: t(k), value: v || 0, max: 1, cls: k === "line.productive" ? "good" : "loss", text: pct(v) })));
}

export async function render(page, arg) {
  const plant = await api("/plant");
  const lines = plant.areas.flatMap((a) => a.lines.map((l) => ({ ...l, area: nameOf(a), name: nameOf(l) })));
  const path = lines.some((l) => l.path === arg) ? arg : lines[0].path;
  const hours = Number(new URLSearchParams(location.search).get("h")) || 8;
  const pick = h("select", { "aria-label": t("line.pick"), onchange: (e) => (location.hash = `#/line/${e.target.value}`) }, lines.map((l) => h("option", { value: l.path, selected: l.path === path }, `${l.area} › ${l.name}`)));
  const span = h("select", { "aria-label": t("line.window") }, WINDOWS.map((w) => h("option", { value: w, selected: w === hours }, t("range.hours", { n: w }))));
  const body = h("div");
  page.append(h("h1", {}, t("line.title")), h("div", { class: "controls" }, pick, span), body);
  const load = async () => {
    const now = await plantNow();
    const win = window(Number(span.value), now);
    const [report, eqReport, orders] = await Promise.all([
      optional("/kpi", { params: { scope: "line", id: path, detail: true, ...win } }),
      optional("/kpi", { params: { scope: "equipment", ...win } }),
      optional("/orders", { params: { limit: 200 } }, { items: [] }),
    ]);
    body.replaceChildren();
    const entry = report && report.items[path];
    if (!entry || !report.events) {
      body.append(section("line.kpis", empty("line.no_events")));
    } else {
      const k = entry.kpi;
      body.append(
        section(
          "line.kpis",
          h("div", { class: "kpis" }, [["kpi.oee", k.oee], ["kpi.availability", k.availability], ["kpi.effectiveness", k.effectiveness], ["kpi.quality", k.quality_ratio]].map(([key, v]) => h("div", { class: "kpi" }, h("span", {}, t(key)), h("strong", {}, pct(v))))),
        ),
        section("line.losses", losses(entry)),
      );
      const b = entry.basket || {};
      const plan = b.pru_x_pq_s > 0 && b.pq ? (b.pq * b.pbt_s) / b.pru_x_pq_s : null;
      body.append(
        section(
          "line.throughput",
          bars([
            { label: t("line.actual"), value: b.pq || 0, max: Math.max(plan || 0, b.pq || 0, 1), cls: "good", text: num(b.pq, 0) },
            { label: t("line.plan"), value: plan || 0, max: Math.max(plan || 0, b.pq || 0, 1), cls: "plan", text: num(plan, 0) },
          ]),
          h("p", { class: "note" }, t("line.plan_note")),
        ),
      );
    }
    const eqRows = eqReport ? Object.entries(eqReport.items).filter(([p]) => p.startsWith(path + "/")) : [];
    body.append(section("line.equipment", eqRows.length ? table(["line.eq", "kpi.oee", "kpi.availability", "kpi.effectiveness", "kpi.quality"], eqRows.map(([p, e]) => [h("a", { href: `#/equipment/${p}` }, shortPath(p)), pct(e.kpi.oee), pct(e.kpi.availability), pct(e.kpi.effectiveness), pct(e.kpi.quality_ratio)])) : empty("line.no_events")));
    const current = orders.items.filter((o) => !FINAL.has(o.status));
    body.append(section("line.orders", current.length ? table(["orders.id", "orders.product", "orders.quantity", "orders.status", "orders.good"], current.map((o) => [o.id, o.product, o.quantity, t("status." + o.status), o.good])) : empty("orders.none")));
  };
  span.addEventListener("change", load);
  await load();
}
