// The REST API under /api/v1 with the web session cookie (writes send the CSRF token).
const BASE = "/api/v1";
let csrf = null;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || "http";
    this.details = (body && body.details) || {};
  }
}

export async function api(path, { method = "GET", params, body } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  let query = "";
  if (params) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, v);
    query = p.toString() ? `?${p}` : "";
  }
  const r = await fetch(BASE + path + query, init);
  const json = (r.headers.get("content-type") || "").includes("json") ? await r.json() : null;
  if (!r.ok) throw new ApiError(r.status, json);
  return json;
}

/** The same call, or `fallback` when the server lacks the service (503) or forbids it. */
export async function optional(path, opts, fallback = null) {
  try {
    return await api(path, opts);
  } catch (e) {
    if (e instanceof ApiError && [403, 404, 503].includes(e.status)) return fallback;
    throw e;
  }
}

export async function session() {
  try {
    const s = await api("/auth/session");
    csrf = s.csrf_token;
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function login(username, password) {
  const s = await api("/auth/login", { method: "POST", body: { username, password } });
  csrf = s.csrf_token;
  return s;
}

export async function logout() {
  await api("/auth/logout", { method: "POST" });
  csrf = null;
}

/** The plant's clock now (virtual time in the demo), in ms since the epoch. */
export async function plantNow() {
  const s = await optional("/status/connectors");
  return s && s.ts ? Date.parse(s.ts) : Date.now();
}

export async function all(path, params = {}) {
  const out = [];
  let offset = 0;
  for (;;) {
    const page = await api(path, { params: { ...params, limit: 500, offset } });
    out.push(...page.items);
    if (page.next_offset === null || page.next_offset === undefined) return out;
    offset = page.next_offset;
  }
}
