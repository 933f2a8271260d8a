// Live values over Server-Sent Events (/api/v1/live/stream): one stream, many listeners.
const values = new Map();
const listeners = new Set();
let source = null;

function deliver(rows) {
  for (const row of rows) values.set(row.tag, row);
  for (const fn of listeners) fn(rows);
}

function status(ok) {
  const el = document.getElementById("live");
  if (el) el.dataset.ok = ok ? "1" : "0";
}

export function startLive() {
  if (source) return;
  source = new EventSource("/api/v1/live/stream?interval=0.1", { withCredentials: true });
  source.addEventListener("snapshot", (e) => deliver(JSON.parse(e.data)));
  source.addEventListener("values", (e) => deliver(JSON.parse(e.data)));
  source.onopen = () => status(true);
  source.onerror = () => status(false);
}

export function stopLive() {
  if (source) source.close();
  source = null;
  values.clear();
  status(false);
}

export function liveValue(tag) {
  return values.get(tag);
}

export function liveUnder(prefix) {
  return [...values.values()].filter((v) => v.tag.startsWith(prefix + "/"));
}

/** Call fn(rows) on every update; returns the function that stops it. */
export function onLive(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
