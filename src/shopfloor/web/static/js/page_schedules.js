// Schedules: propose one for the open orders (the scheduler runs on the server), look at its
// plan per work unit (Gantt), apply it to the MES dispatch lists; the dispatch lists as they are.
import { all, api, optional } from "./api.js";
import { empty, failure, h, num, section, shortPath, stamp, table, when } from "./fmt.js";
import { t } from "./i18n.js";
import { timeline } from "./svg.js";

const SOLVERS = ["default", "rules", "cpsat", "lns", "tabu"];
const COLOURS = 6;

function hours(s) {
  return s === null || s === undefined ? "–" : num(s / 3600, 2);
}

/** One timeline per work unit, a colour per order. */
function gantt(schedule) {
  const units = Object.entries(schedule.units || {});
  const entries = units.flatMap(([, rows]) => rows);
  if (!entries.length) return empty("sched.no_entries");
  const colour = new Map();
  for (const e of entries) if (!colour.has(e.order_id)) colour.set(e.order_id, colour.size % COLOURS);
  const t0 = Math.min(...entries.map((e) => stamp(e, "start_at")));
  const t1 = Math.max(...entries.map((e) => stamp(e, "end_at")));
  const rows = units.map(([path, list]) => {
    const segs = list.map((e) => ({
      start: stamp(e, "start_at"),
      end: stamp(e, "end_at"),
      cat: `o${colour.get(e.order_id)}`,
      label: `${e.order_id} · ${e.seq} ${e.op_id} · ${when(stamp(e, "start_at"))} – ${when(stamp(e, "end_at"))}`,
    }));
    return h("div", { class: "gantt-row" }, h("span", { class: "gantt-unit", title: path }, shortPath(path)), timeline(segs, t0, t1));
  });
  const legend = h("p", { class: "legend" }, [...colour].map(([order, k]) => h("span", { class: `key o${k}` }, order)));
  return h("div", { class: "gantt" }, legend, ...rows);
}

function detail(schedule, redo, msg) {
  const late = (schedule.orders || []).filter((o) => o.late_s > 0).length;
  const apply = async () => {
    msg.textContent = "";
    try {
      const done = await api(`/schedules/${schedule.id}/apply`, { method: "POST" });
      msg.replaceChildren(h("p", { class: "ok" }, t("sched.applied_moved", { n: done.moved ?? 0 })));
      await redo(schedule.id);
    } catch (e) {
      msg.replaceChildren(failure(e));
    }
  };
  return h(
    "div",
    { dataset: { schedule: schedule.id, status: schedule.status } },
    h(
      "p",
      { class: "meta" },
      `${schedule.id} · ${t("sched.solver")} ${schedule.solver} (${schedule.solver_status}) · ${t("sched.makespan")} ${hours(schedule.makespan_s)} h · ${t("sched.late_orders")} ${late}`,
      " ",
      schedule.status === "proposed" ? h("button", { type: "button", class: "apply-schedule", onclick: apply }, t("sched.apply")) : h("span", { class: "chip", dataset: { cat: "run" } }, t("sched.status_applied")),
    ),
    gantt(schedule),
    table(
      ["guide.order", "sched.due", "sched.planned_end", "sched.lateness"],
      (schedule.orders || []).map((o) => [o.order_id, when(stamp(o, "due")), when(stamp(o, "end")), o.late_s === null || o.late_s === undefined ? "–" : hours(o.late_s)]),
    ),
  );
}

export async function render(page) {
  const msg = h("div", { class: "msg" });
  const solver = h("select", { "aria-label": t("sched.solver") }, SOLVERS.map((s) => h("option", { value: s }, s)));
  const limit = h("input", { type: "number", min: 0.5, max: 60, step: 0.5, value: 5, "aria-label": t("sched.time_limit") });
  const listBox = h("div");
  const detailBox = h("div");
  const dispatchBox = h("div");
  const propose = h("button", { type: "button", class: "propose" }, t("sched.propose"));
  page.append(
    h("h1", {}, t("guide.schedules_title")),
    msg,
    section("sched.new", h("div", { class: "controls" }, h("label", {}, t("sched.solver"), " ", solver), h("label", {}, t("sched.time_limit"), " ", limit), propose), h("p", { class: "note" }, t("sched.hint"))),
    section("sched.list", listBox),
    section("sched.detail", detailBox),
    section("guide.dispatch", dispatchBox),
  );
  const show = async (id) => {
    detailBox.replaceChildren(detail(await api(`/schedules/${id}`), redo, msg));
  };
  const redo = async (id) => {
    const res = await optional("/schedules", { params: { limit: 20 } }, null);
    listBox.replaceChildren(
      res === null
        ? empty("sched.off")
        : res.items.length
          ? table(
              ["sched.id", "sched.created", "sched.solver", "sched.makespan", "sched.status", "sched.units"],
              res.items.map((r) => [
                h("a", { href: "#/schedules", onclick: (ev) => { ev.preventDefault(); show(r.id).catch((e) => msg.replaceChildren(failure(e))); } }, r.id),
                when(stamp(r, "created")),
                r.solver,
                `${hours(r.makespan_s)} h`,
                r.status === "applied" ? t("sched.status_applied") : t("sched.status_proposed"),
                Object.keys(r.units || {}).length,
              ]),
            )
          : empty("sched.none"),
    );
    if (id) await show(id);
    else if (res && res.items.length && !detailBox.firstChild) await show(res.items[0].id);
    const units = (await all("/plant/equipment")).filter((e) => e.connectivity !== "none");
    const lists = await Promise.all(units.map((u) => optional(`/dispatch/${u.path}`, {}, { items: [] })));
    const rows = units.flatMap((u, i) => (lists[i] ? lists[i].items : []).map((d) => [shortPath(u.path), d.order_id || d.order, d.seq ?? d.operation, d.position ?? "", d.status || ""]));
    dispatchBox.replaceChildren(rows.length ? table(["guide.work_unit", "guide.order", "guide.operation", "guide.position", "guide.status"], rows) : empty("guide.dispatch_none"));
  };
  propose.addEventListener("click", async () => {
    msg.textContent = "";
    propose.disabled = true;
    try {
      const row = await api("/schedules", { method: "POST", body: { solver: solver.value, time_limit_s: Number(limit.value) } });
      await redo(row.id);
    } catch (e) {
      msg.replaceChildren(failure(e));
    } finally {
      propose.disabled = false;
    }
  });
  await redo();
}
