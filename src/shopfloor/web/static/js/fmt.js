// Formatting, PackML states and small DOM helpers shared by the pages.
import { has, lang, t } from "./i18n.js";

export const PACKML = {
  1: "Clearing", 2: "Stopped", 3: "Starting", 4: "Idle", 5: "Suspended", 6: "Execute",
  7: "Stopping", 8: "Aborting", 9: "Aborted", 10: "Holding", 11: "Held", 12: "Unholding",
  13: "Suspending", 14: "Unsuspending", 15: "Resetting", 16: "Completing", 17: "Complete",
};

const CATEGORY = {
  Execute: "run", Idle: "idle", Starting: "idle", Resetting: "idle", Completing: "idle",
  Complete: "idle", Unholding: "idle", Unsuspending: "idle", Clearing: "idle",
  Suspended: "wait", Suspending: "wait", Held: "held", Holding: "held",
  Stopped: "stop", Stopping: "stop", Aborted: "stop", Aborting: "stop",
};

export function stateCategory(name) {
  return CATEGORY[name] || "none";
}

export function stateLabel(name) {
  return name && PACKML_NAMES.has(name) ? t("state." + name) : t("state.unknown");
}
const PACKML_NAMES = new Set(Object.values(PACKML));

/** The PackML state name of a live value of a state tag (null when bad or missing). */
export function stateOf(row) {
  if (!row || row.quality !== "good" || row.value === null) return null;
  return PACKML[Math.round(row.value)] || null;
}

export function pct(x) {
  return x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)} %`;
}

export function num(x, digits = 1) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  return Number(x).toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB", {
    maximumFractionDigits: digits,
  });
}

export function when(iso) {
  if (!iso) return "–";
  const d = typeof iso === "number" ? new Date(iso) : new Date(iso);
  return d.toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}

export function iso(ms) {
  return new Date(ms).toISOString();
}

export function nsToMs(ns) {
  return ns === null || ns === undefined ? null : Number(ns) / 1e6;
}

/** Element builder: h("div", {class: "x"}, child, "text"...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function table(headKeys, rows) {
  return h(
    "table",
    { class: "grid" },
    h("thead", {}, h("tr", {}, headKeys.map((k) => h("th", {}, t(k))))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))),
  );
}

export function empty(key, vars) {
  return h("p", { class: "empty" }, t(key, vars));
}

export function failure(err) {
  const code = err && err.code ? err.code : "http";
  return h("p", { class: "error", title: err && err.message }, t("error.request", { code }));
}

export function section(titleKey, ...children) {
  return h("section", { class: "card" }, h("h2", {}, t(titleKey)), ...children);
}

export function shortPath(path) {
  return path.split("/").slice(-1)[0];
}

/** A time field of an API row: ISO `name`, or integer `name_ns`; as ms (null when absent). */
export function stamp(row, name) {
  if (row[name]) return Date.parse(row[name]);
  const ns = row[`${name}_ns`];
  return ns === null || ns === undefined ? null : Number(ns) / 1e6;
}

/** The catalogue string of `key`, or `fallback` (a data value) when the catalogue has none. */
export function label(key, fallback) {
  return has(key) ? t(key) : fallback;
}

/** A plant object's name in the user's language (the plant file's ``name: {en, zh}``). */
export function nameOf(obj) {
  return (obj && obj.names && obj.names[lang()]) || (obj && obj.name) || "";
}
