// Quality: SPC control charts of a product's characteristic with Nelson rule violations.
import { api, optional } from "./api.js";
import { empty, failure, h, label, num, section, table } from "./fmt.js";
import { t } from "./i18n.js";
import { lineChart } from "./svg.js";

function chart(c, violations, spec) {
  const pts = c.points.map((y, i) => [i + 1, y]);
  const bad = new Set(violations.filter((v) => v.chart === c.kind).flatMap((v) => v.points));
  const limits = (v) => (Array.isArray(v) ? v[v.length - 1] : v);
  // the specification limits on the chart of individual values (and of means): where the parts
  // must be, beside where the process is (control limits)
  const specLines = spec && (c.kind === "i" || c.kind === "xbar")
    ? [
        spec.lsl !== null && spec.lsl !== undefined ? { y: spec.lsl, cls: "spec", label: t("quality.lsl") } : null,
        spec.usl !== null && spec.usl !== undefined ? { y: spec.usl, cls: "spec", label: t("quality.usl") } : null,
      ].filter(Boolean)
    : [];
  return lineChart({
    series: [{ points: pts, cls: "main" }],
    lines: [
      { y: c.center, cls: "center", label: t("quality.cl") },
      { y: limits(c.ucl), cls: "ucl", label: t("quality.ucl") },
      { y: limits(c.lcl), cls: "lcl", label: t("quality.lcl") },
      ...specLines,
    ],
    marks: [...bad].map((i) => ({ x: i + 1, y: c.points[i], cls: "violation" })),
    timeAxis: false,
  });
}

export async function render(page) {
  const specs = (await optional("/quality/specs", { params: { limit: 500 } }, { items: [] })).items;
  const body = h("div");
  page.append(h("h1", {}, t("quality.title")));
  if (!specs.length) {
    page.append(section("quality.spc", empty("quality.no_specs")));
  } else {
    const pick = h("select", { "aria-label": t("quality.characteristic") }, specs.map((s, i) => h("option", { value: i }, `${s.product} / ${s.characteristic}`)));
    page.append(section("quality.spc", h("div", { class: "controls" }, pick), body));
    const load = async () => {
      const s = specs[Number(pick.value)];
      try {
        const r = await api("/quality/spc", { params: { product: s.product, characteristic: s.characteristic } });
        if (!r.charts.length) {
          body.replaceChildren(empty("quality.too_few"));
          return;
        }
        const cap = r.capability;
        body.replaceChildren(
          ...r.charts.map((c) => h("div", { class: "chartbox", dataset: { chart: c.kind } }, h("h3", {}, label("chart." + c.kind, c.kind)), chart(c, r.violations, s))),
          r.violations.length
            ? table(["quality.rule", "quality.chart", "quality.points", "quality.serials"], r.violations.map((v) => [label("rule." + v.rule, v.rule), v.chart, v.points.map((p) => p + 1).join(", "), (v.serials || []).join(", ")]))
            : empty("quality.no_violations"),
          cap ? h("p", {}, t("quality.capability", { cp: num(cap.cp, 2), cpk: num(cap.cpk, 2) })) : null,
        );
      } catch (e) {
        body.replaceChildren(e.status === 422 || e.status === 400 ? empty("quality.too_few") : failure(e));
      }
    };
    pick.addEventListener("change", load);
    await load();
  }
  const ncrs = (await optional("/quality/ncrs", { params: { limit: 50 } }, { items: [] })).items;
  page.append(section("quality.ncrs", ncrs.length ? table(["quality.ncr", "quality.serial", "orders.status"], ncrs.map((n) => [n.id, n.serial, label("status." + n.status, n.status)])) : empty("quality.no_ncrs")));
}
