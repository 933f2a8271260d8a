// Alarm console (ISA-18.2): acknowledge, shelve, unshelve; recent alarm actions from the audit log.
import { api, optional } from "./api.js";
import { empty, failure, h, label, section, shortPath, stamp, table, when } from "./fmt.js";
import { t } from "./i18n.js";

const SHELVE = [
  { s: 900, key: "alarms.shelve_15m" },
  { s: 3600, key: "alarms.shelve_1h" },
  { s: 8 * 3600, key: "alarms.shelve_8h" },
];
const REFRESH_MS = 3000;

function actions(a, redo, msg) {
  const run = async (path, body) => {
    msg.textContent = "";
    try {
      await api(`/alarms/${a.id}/${path}`, { method: "POST", body });
      await redo();
    } catch (e) {
      msg.replaceChildren(failure(e));
    }
  };
  const out = h("span", { class: "actions" });
  if (a.state === "unack_active" || a.state === "unack_cleared")
    out.append(h("button", { type: "button", class: "ack", onclick: () => run("ack", { note: "" }) }, t("alarms.ack")));
  if (a.shelved_until) {
    out.append(h("button", { type: "button", onclick: () => run("unshelve") }, t("alarms.unshelve")));
  } else {
    const pick = h("select", { "aria-label": t("alarms.shelve") }, SHELVE.map((o) => h("option", { value: o.s }, t(o.key))));
    out.append(pick, h("button", { type: "button", class: "shelve", onclick: () => run("shelve", { duration_s: Number(pick.value), note: "" }) }, t("alarms.shelve")));
  }
  return out;
}

export async function render(page) {
  const msg = h("div", { class: "msg" });
  const list = h("div");
  const audit = h("div");
  page.append(h("h1", {}, t("alarms.title")), msg, section("alarms.open", list), section("alarms.audit", audit));
  const redo = async () => {
    const rows = (await api("/alarms", { params: { include_shelved: true, limit: 500 } })).items;
    list.replaceChildren(
      rows.length
        ? table(
            ["alarms.priority", "alarms.equipment", "alarms.code", "alarms.text", "alarms.state", "alarms.raised", "alarms.actions"],
            rows.map((a) => [
              h("span", { class: `prio prio-${a.priority_class}` }, t("priority." + a.priority_class)),
              h("a", { href: `#/equipment/${a.equipment}` }, shortPath(a.equipment)),
              a.code,
              a.text,
              h("span", { dataset: { alarmState: a.state } }, t("alarmstate." + a.state), a.shelved_until ? ` · ${t("alarms.shelved_until", { time: when(a.shelved_until) })}` : ""),
              when(stamp(a, "raised")),
              actions(a, redo, msg),
            ]),
          )
        : empty("alarms.none"),
    );
    const log = await optional("/audit", { params: { action: "alarm.", limit: 20 } });
    audit.replaceChildren(
      log === null
        ? empty("alarms.audit_forbidden")
        : log.items.length
          ? table(
              ["audit.time", "audit.actor", "audit.action", "audit.target"],
              log.items.map((e) => [when(stamp(e, "ts")), e.actor, h("span", { class: "audit-action" }, label("action." + e.action, e.action)), e.target]),
            )
          : empty("alarms.audit_none"),
    );
  };
  await redo();
  const timer = setInterval(() => redo().catch((e) => msg.replaceChildren(failure(e))), REFRESH_MS);
  return () => clearInterval(timer);
}
