// Assessment: the KPI definitions used as evidence, and the CLI that makes the evidence pack.
import { optional } from "./api.js";
import { h, section, table } from "./fmt.js";
import { lang, t } from "./i18n.js";

function cli(textKey, commands) {
  return section("guide.cli", h("p", {}, t(textKey)), h("pre", { class: "cli" }, commands.join("\n")));
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
