// Schedules, maintenance and assessment: what the API offers today, and the CLI for the rest.
import { all, optional } from "./api.js";
import { empty, h, num, section, shortPath, table } from "./fmt.js";
import { lang, t } from "./i18n.js";

function cli(textKey, commands) {
  return section("guide.cli", h("p", {}, t(textKey)), h("pre", { class: "cli" }, commands.join("\n")));
}

export async function schedules(page) {
  const units = (await all("/plant/equipment")).filter((e) => e.connectivity !== "none");
  const lists = await Promise.all(units.map((u) => optional(`/dispatch/${u.path}`, {}, { items: [] })));
  const rows = units.flatMap((u, i) => (lists[i] ? lists[i].items : []).map((d) => [shortPath(u.path), d.order_id || d.order, d.seq ?? d.operation, d.position ?? "", d.status || ""]));
  page.append(
    h("h1", {}, t("guide.schedules_title")),
    section(
      "guide.dispatch",
      rows.length ? table(["guide.work_unit", "guide.order", "guide.operation", "guide.position", "guide.status"], rows) : empty("guide.dispatch_none"),
    ),
    cli("guide.schedules_cli", ["shopfloor schedule solvers", "shopfloor schedule solve INSTANCE --solver cpsat --json", "shopfloor schedule --help"]),
  );
}

export async function maintenance(page) {
  const summary = await optional("/downtime/summary", {}, { items: [] });
  const rows = (summary.items || []).map((r) => [r.reason ?? t("guide.unexplained"), num((r.seconds ?? r.total_s ?? 0) / 60), r.count ?? ""]);
  page.append(
    h("h1", {}, t("guide.maintenance_title")),
    section("guide.downtime", rows.length ? table(["guide.reason", "guide.minutes", "guide.count"], rows) : empty("guide.downtime_none")),
    cli("guide.maintenance_cli", ["shopfloor pdm models", "shopfloor pdm train --help", "shopfloor pdm score --help"]),
  );
}

export async function assessment(page) {
  const defs = await optional("/kpi/definitions", {}, { items: [] });
  const zh = lang() === "zh";
  page.append(
    h("h1", {}, t("guide.assessment_title")),
    cli("guide.assessment_cli", ["shopfloor assess --out evidence/ --lang zh", "shopfloor assess --out evidence/ --lang en --json"]),
    section(
      "guide.kpis",
      table(["guide.kpi", "guide.formula", "guide.unit"], defs.items.map((d) => [zh ? d.name_zh || d.id : d.name || d.id, d.formula, d.unit])),
    ),
  );
}
