// Orders (filter by status, history of one order) and genealogy search (trace a serial or lot).
import { api, optional } from "./api.js";
import { empty, failure, h, label, section, stamp, table, when } from "./fmt.js";
import { t } from "./i18n.js";

const STATUSES = ["created", "released", "running", "held", "complete", "aborted"];

function tree(value) {
  if (value === null || value === undefined) return "–";
  if (Array.isArray(value)) return value.length ? h("ul", {}, value.map((v) => h("li", {}, tree(v)))) : "–";
  if (typeof value === "object") return h("dl", { class: "tree" }, Object.entries(value).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, tree(v))]));
  return String(value);
}

export async function render(page) {
  const status = h("select", { "aria-label": t("orders.status") }, h("option", { value: "" }, t("orders.all")), STATUSES.map((s) => h("option", { value: s }, t("status." + s))));
  const list = h("div");
  const detail = h("div");
  const item = h("input", { "data-i18n-placeholder": "orders.trace_placeholder", placeholder: t("orders.trace_placeholder"), name: "item" });
  const traced = h("div");
  const form = h("form", { class: "controls" }, item, h("button", { type: "submit" }, t("orders.trace")));
  page.append(h("h1", {}, t("orders.title")), section("orders.list", h("div", { class: "controls" }, status), list, detail), section("orders.genealogy", form, traced));
  const show = async (o) => {
    const hist = await api(`/orders/${encodeURIComponent(o.id)}/history`);
    detail.replaceChildren(section("orders.history", table(["audit.time", "orders.status", "orders.who", "orders.reason"], hist.items.map((r) => [when(stamp(r, "ts") ?? stamp(r, "at")), label("status." + (r.status || r.to), r.status || r.to), r.who, r.reason]))));
  };
  const load = async () => {
    const rows = (await optional("/orders", { params: { status: status.value, limit: 200 } }, { items: [] })).items;
    list.replaceChildren(rows.length ? table(["orders.id", "orders.product", "orders.quantity", "orders.status", "orders.good", "orders.scrap", "orders.due"], rows.map((o) => [h("a", { href: "#/orders", onclick: (e) => { e.preventDefault(); show(o); } }, o.id), o.product, o.quantity, label("status." + o.status, o.status), o.good, o.scrap, when(stamp(o, "due"))])) : empty("orders.none"));
  };
  status.addEventListener("change", load);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!item.value.trim()) return;
    try {
      traced.replaceChildren(tree(await api(`/trace/${encodeURIComponent(item.value.trim())}`)));
    } catch (e) {
      traced.replaceChildren(e.status === 404 ? empty("orders.trace_none", { item: item.value.trim() }) : failure(e));
    }
  });
  await load();
}
