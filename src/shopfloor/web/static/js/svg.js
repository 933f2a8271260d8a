// Our own small SVG charts: line chart (with drag-to-zoom), state timeline, bars.
const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function extent(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

/** Decimals that tell ticks ``step`` apart (a ±0.015 mm tolerance needs three). */
export function decimals(step) {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  return Math.max(0, Math.min(6, Math.ceil(-Math.log10(step)) + 1));
}

/** A number as an axis label, with a true minus sign (U+2212), never cut or rounded away. */
export function axisNumber(y, digits) {
  const text = Math.abs(y) < 10 ** -(digits + 1) ? (0).toFixed(digits) : y.toFixed(digits);
  return text.startsWith("-") ? `\u2212${text.slice(1)}` : text;
}

function tickLabel(x, span, timeAxis) {
  if (!timeAxis) return String(Math.round(x));
  const d = new Date(x);
  const two = (n) => String(n).padStart(2, "0");
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return span < 120000 ? `${hm}:${two(d.getSeconds())}` : hm;
}

/**
 * series: [{points: [[x, y]...], cls}]; lines: [{y, cls, label}]; marks: [{x, y, cls}].
 * onZoom(x0, x1) is called after a drag across the plot (time axis only).
 */
export function lineChart({ series, lines = [], marks = [], timeAxis = true, onZoom, height = 220 }) {
  const W = 800;
  const H = height;
  const R = 12;
  const T = 10;
  const B = 24;
  const xs = series.flatMap((se) => se.points.map((p) => p[0]));
  const ys = series.flatMap((se) => se.points.map((p) => p[1])).concat(lines.map((l) => l.y));
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs) || 1] : [0, 1];
  const [y0, y1] = extent(ys);
  const digits = decimals((y1 - y0) / 4);
  const yTicks = [0, 1, 2, 3, 4].map((i) => y0 + ((y1 - y0) * i) / 4);
  const yLabels = yTicks.map((y) => axisNumber(y, digits));
  const L = 12 + 7.5 * Math.max(...yLabels.map((x) => x.length)); // room for the longest label
  const X = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const Y = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", preserveAspectRatio: "none" });
  yTicks.forEach((y, i) => {
    svg.append(s("line", { x1: L, x2: W - R, y1: Y(y), y2: Y(y), class: "grid" }));
    svg.append(s("text", { x: L - 4, y: Y(y) + 4, class: "tick", "text-anchor": "end" }, yLabels[i]));
  });
  for (let i = 0; i <= 4; i++) {
    const x = x0 + ((x1 - x0) * i) / 4;
    const anchor = i === 0 ? "start" : i === 4 ? "end" : "middle";
    svg.append(s("text", { x: X(x), y: H - 6, class: "tick", "text-anchor": anchor }, tickLabel(x, x1 - x0, timeAxis)));
  }
  for (const l of lines) {
    svg.append(s("line", { x1: L, x2: W - R, y1: Y(l.y), y2: Y(l.y), class: `limit ${l.cls || ""}` }));
    if (l.label) svg.append(s("text", { x: W - R - 2, y: Y(l.y) - 3, class: "tick", "text-anchor": "end" }, l.label));
  }
  for (const se of series) {
    const d = se.points.map((p, i) => `${i ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join("");
    if (d) svg.append(s("path", { d, class: `series ${se.cls || ""}` }));
  }
  for (const m of marks) svg.append(s("circle", { cx: X(m.x), cy: Y(m.y), r: 4, class: `mark ${m.cls || ""}` }));
  if (onZoom && timeAxis && xs.length > 1) {
    const band = s("rect", { y: T, height: H - T - B, width: 0, class: "zoomband" });
    svg.append(band);
    let start = null;
    const toX = (ev) => {
      const box = svg.getBoundingClientRect();
      return ((ev.clientX - box.left) / box.width) * W;
    };
    svg.addEventListener("pointerdown", (ev) => {
      start = toX(ev);
      band.setAttribute("x", start);
      band.setAttribute("width", 0);
    });
    svg.addEventListener("pointermove", (ev) => {
      if (start === null) return;
      const now = toX(ev);
      band.setAttribute("x", Math.min(start, now));
      band.setAttribute("width", Math.abs(now - start));
    });
    svg.addEventListener("pointerup", (ev) => {
      if (start === null) return;
      const [a, b] = [start, toX(ev)].sort((p, q) => p - q);
      start = null;
      band.setAttribute("width", 0);
      if (b - a < 8) return;
      const back = (px) => x0 + ((px - L) / (W - L - R)) * (x1 - x0);
      onZoom(back(a), back(b));
    });
  }
  return svg;
}

const MINUTE = 60000;
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * MINUTE);

/** Instants at a round step (5 min, 1 h, 6 h...) within [t0, t1], at most ``most`` of them. */
export function timeTicks(t0, t1, most = 6) {
  const span = t1 - t0;
  if (!(span > 0)) return [t0];
  const step = STEPS.find((st) => span / st <= most) || STEPS[STEPS.length - 1];
  const offset = new Date(t0).getTimezoneOffset() * MINUTE; // round in local time
  const out = [];
  for (let t = Math.ceil((t0 - offset) / step) * step + offset; t <= t1; t += step) out.push(t);
  return out;
}

function timeLabel(t, span) {
  const d = new Date(t);
  const two = (n) => String(n).padStart(2, "0");
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return span > 1440 * MINUTE ? `${two(d.getMonth() + 1)}-${two(d.getDate())} ${hm}` : hm;
}

/** segments: [{start, end, cat, label}] over [t0, t1] as one horizontal band, with a time axis
 * at round instants. */
export function timeline(segments, t0, t1) {
  const W = 800;
  const svg = s("svg", { viewBox: `0 0 ${W} 34`, class: "timeline", preserveAspectRatio: "none" });
  const X = (x) => ((x - t0) / (t1 - t0 || 1)) * W;
  for (const t of timeTicks(t0, t1)) svg.append(s("line", { x1: X(t), x2: X(t), y1: 0, y2: 24, class: "grid" }));
  for (const g of segments) {
    const r = s("rect", { x: X(g.start), y: 0, width: Math.max(1, X(g.end) - X(g.start)), height: 22, class: `cat-${g.cat}` });
    r.append(s("title", {}, g.label));
    svg.append(r);
  }
  for (const t of timeTicks(t0, t1)) {
    const x = X(t);
    const anchor = x < 40 ? "start" : x > W - 40 ? "end" : "middle";
    svg.append(s("text", { x, y: 33, class: "tick", "text-anchor": anchor }, timeLabel(t, t1 - t0)));
  }
  return svg;
}

/** Horizontal bars: [{label, value, max, cls, text}] as HTML (wraps on small screens). */
export function bars(items) {
  const box = document.createElement("div");
  box.className = "bars";
  for (const it of items) {
    const row = document.createElement("div");
    row.className = "barrow";
    const name = document.createElement("span");
    name.textContent = it.label;
    const track = document.createElement("span");
    track.className = "track";
    const fill = document.createElement("span");
    fill.className = `fill ${it.cls || ""}`;
    const frac = it.max ? Math.max(0, Math.min(1, (it.value || 0) / it.max)) : 0;
    fill.style.width = `${(100 * frac).toFixed(1)}%`;
    track.append(fill);
    const val = document.createElement("span");
    val.className = "val";
    val.textContent = it.text;
    row.append(name, track, val);
    box.append(row);
  }
  return box;
}
