// Energy: kWh, kWh per unit and CO2e per line over a window, and live power of the meters.
import { all, optional, plantNow } from "./api.js";
import { empty, h, iso, num, section, shortPath, table } from "./fmt.js";
import { t } from "./i18n.js";
import { liveValue, onLive } from "./live.js";
import { bars } from "./svg.js";

const POWER_UNITS = new Set(["kW", "W"]);

export async function render(page) {
  const now = await plantNow();
  const [report, tags] = await Promise.all([
    optional("/kpi", { params: { scope: "line", detail: true, start: iso(now - 24 * 3600e3), end: iso(now + 1000) } }),
    all("/tags"),
  ]);
  page.append(h("h1", {}, t("energy.title")));
  const lines = report ? Object.entries(report.items) : [];
  page.append(
    section(
      "energy.lines",
      lines.length && report.events
        ? table(["energy.line", "energy.kwh", "energy.kwh_unit", "energy.co2e", "energy.source"], lines.map(([p, e]) => [shortPath(p), num(e.basket && e.basket.kwh, 2), num(e.kpi.kwh_per_unit, 3), num(e.basket && e.basket.co2e_kg, 2), label(e.kwh_source)]))
        : empty("line.no_events"),
      report ? h("p", { class: "note" }, t("energy.factor", { f: num(report.emission_factor.kg_per_kwh, 4), year: report.emission_factor.year })) : null,
    ),
  );
  const power = tags.filter((g) => POWER_UNITS.has(g.unit));
  const box = h("div");
  page.append(section("energy.live", box));
  const draw = () => {
    const rows = power.map((g) => ({ g, v: liveValue(g.id) })).filter((r) => r.v && r.v.value !== null);
    const max = Math.max(1, ...rows.map((r) => r.v.value));
    box.replaceChildren(rows.length ? bars(rows.map((r) => ({ label: `${r.g.id.split("/").slice(-2).join(" ")}`, value: r.v.value, max, cls: "plan", text: `${num(r.v.value, 2)} ${r.g.unit}` }))) : empty("energy.no_power"));
  };
  draw();
  let pending = false;
  return onLive((rows) => {
    if (pending || !rows.some((r) => POWER_UNITS.size && power.some((g) => g.id === r.tag))) return;
    pending = true;
    setTimeout(() => { pending = false; draw(); }, 1000);
  });
}

function label(source) {
  if (source === "meter") return t("energy.source_meter");
  if (source === "equipment_sum") return t("energy.source_equipment_sum");
  return t("energy.source_none");
}
