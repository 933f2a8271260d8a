// Maintenance: live equipment health (health index, anomaly, RUL, explanation), the predictive
// work orders it opened (close one when the work is done), downtime by reason.
import { api, ApiError, optional } from "./api.js";
import { empty, failure, h, nameOf, num, pct, section, shortPath, stamp, table, when } from "./fmt.js";
import { t } from "./i18n.js";

const REFRESH_MS = 5000;

/** A health index 0..1 as a bar with its value. */
function healthBar(hi) {
  const level = hi >= 0.7 ? "good" : hi >= 0.4 ? "warn" : "bad";
  return h(
    "span",
    { class: "hi", dataset: { level } },
    h("span", { class: "hi-bar", style: `width:${Math.round(100 * Math.max(0, Math.min(1, hi)))}%` }),
    h("span", { class: "hi-text" }, pct(hi)),
  );
}

function features(row) {
  return (row.top_features || []).map((f) => `${f.feature} ${pct(f.share)}`).join(", ") || "–";
}

/** The health snapshot a work order was opened with (the live service attaches it). */
function evidence(order) {
  const e = (order.evidence && order.evidence.health) || order.evidence || {};
  const parts = [];
  if (e.rul_h !== undefined && e.rul_h !== null) parts.push(t("maint.ev_rul", { h: num(e.rul_h) }));
  if (e.anomaly_score !== undefined && e.anomaly_score !== null) parts.push(t("maint.ev_anomaly", { x: num(e.anomaly_score, 2) }));
  if (e.health_index !== undefined && e.health_index !== null) parts.push(t("maint.ev_health", { x: pct(e.health_index) }));
  if (e.top_features && e.top_features.length) parts.push(features(e));
  return parts.join(" · ") || "–";
}

/** `/maintenance/health` ({state, items}), or the reason the server gives for not serving it. */
async function health() {
  try {
    const res = await api("/maintenance/health");
    return { rows: res.items, state: res.state };
  } catch (e) {
    if (e instanceof ApiError && e.status === 503) return { rows: [], state: e.message };
    throw e;
  }
}

function closeButton(order, redo, msg) {
  const note = h("input", { class: "note-input", placeholder: t("maint.close_note"), "aria-label": t("maint.close_note"), maxlength: 500 });
  const run = async () => {
    msg.textContent = "";
    try {
      await api(`/maintenance/orders/${order.id}/close`, { method: "POST", body: { note: note.value } });
      await redo();
    } catch (e) {
      msg.replaceChildren(failure(e));
    }
  };
  return h("span", { class: "actions" }, note, h("button", { type: "button", class: "close-wo", onclick: run }, t("maint.close")));
}

export async function render(page) {
  const msg = h("div", { class: "msg" });
  const healthBox = h("div");
  const ordersBox = h("div");
  const downBox = h("div");
  page.append(
    h("h1", {}, t("guide.maintenance_title")),
    msg,
    section("maint.health", healthBox),
    section("maint.orders", ordersBox),
    section("guide.downtime", downBox),
    section("guide.cli", h("p", {}, t("guide.maintenance_cli")), h("pre", { class: "cli" }, ["shopfloor pdm models", "shopfloor pdm train --help", "shopfloor pdm score --help"].join("\n"))),
  );
  const redo = async () => {
    const [hs, orders, down] = await Promise.all([
      health(),
      optional("/maintenance/orders", { params: { limit: 100 } }, null),
      optional("/downtime/summary", {}, { items: [] }),
    ]);
    healthBox.replaceChildren(
      hs.rows.length
        ? table(
            ["maint.equipment", "maint.health_index", "maint.anomaly", "maint.rul", "maint.features", "maint.work_order"],
            hs.rows.map((r) => [
              h("a", { href: `#/equipment/${r.equipment}` }, shortPath(r.equipment)),
              healthBar(r.health_index),
              num(r.anomaly_score, 2),
              r.rul_h === null ? "–" : num(r.rul_h),
              features(r),
              r.work_order || (r.alarm ? t("maint.alarm_raised") : "–"),
            ]),
          )
        : h("p", { class: "empty" }, t("maint.health_none"), " ", h("span", { class: "why" }, hs.state || "")),
    );
    ordersBox.replaceChildren(
      orders === null
        ? empty("maint.orders_off")
        : orders.items.length
          ? table(
              ["maint.order", "maint.equipment", "maint.reason", "maint.evidence", "maint.created", "maint.status", "maint.actions"],
              orders.items.map((o) => [
                o.id,
                h("a", { href: `#/equipment/${o.equipment}` }, shortPath(o.equipment)),
                o.reason,
                evidence(o),
                when(stamp(o, "created")),
                h("span", { dataset: { woStatus: o.status } }, o.status === "open" ? t("maint.status_open") : t("maint.status_closed"), o.status === "closed" ? ` · ${when(stamp(o, "closed"))}` : ""),
                o.status === "open" ? closeButton(o, redo, msg) : o.note || "",
              ]),
            )
          : empty("maint.orders_none"),
    );
    const rows = (down.items || []).map((r) => [
      r.name ? h("span", { title: r.reason }, nameOf(r)) : r.reason === "unexplained" || !r.reason ? t("guide.unexplained") : r.reason,
      num((r.seconds ?? r.total_s ?? 0) / 60),
      r.count ?? "",
    ]);
    downBox.replaceChildren(rows.length ? table(["guide.reason", "guide.minutes", "guide.count"], rows) : empty("guide.downtime_none"));
  };
  await redo();
  const timer = setInterval(() => {
    if (document.activeElement && document.activeElement.classList.contains("note-input")) return; // typing a note
    redo().catch((e) => msg.replaceChildren(failure(e)));
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
