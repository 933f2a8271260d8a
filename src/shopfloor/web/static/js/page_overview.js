// Plant overview: the andon board of every equipment, coloured by its live PackML state.
import { all, api, optional } from "./api.js";
import { PACKML, h, nameOf, num, section, stateCategory, stateLabel, stateOf, table, when } from "./fmt.js";
import { t } from "./i18n.js";
import { liveValue, onLive } from "./live.js";

const LEGEND = ["Execute", "Idle", "Suspended", "Held", "Stopped"];

function setState(tile, name) {
  if (tile.dataset.state === (name || "")) return;
  tile.dataset.state = name || "";
  tile.dataset.cat = stateCategory(name);
  tile.querySelector(".state").textContent = stateLabel(name);
}

function tile(eq, alarmCount) {
  const el = h(
    "a",
    { class: "tile", href: `#/equipment/${eq.path}`, dataset: { equipment: eq.path, cat: "none", state: "" } },
    h("strong", {}, nameOf(eq)),
    h("span", { class: "id" }, eq.id),
    h("span", { class: "state" }, stateLabel(null)),
    eq.connectivity === "none" ? h("span", { class: "note" }, t("overview.manual")) : null,
    alarmCount ? h("span", { class: "badge" }, t("overview.alarms", { n: alarmCount })) : null,
  );
  return el;
}

/** Tags received that the plant file does not declare: what to add to it. */
function undeclared(page) {
  if (!page.items.length) return null;
  const rows = page.items.map((i) => [
    h("code", {}, i.tag),
    i.equipment ? h("a", { href: `#/equipment/${i.equipment}` }, i.equipment) : "–",
    i.last ? (i.last.text !== null ? i.last.text : num(i.last.value, 3)) : "–",
    i.last ? when(i.last.ts) : t("overview.undeclared.stored"),
  ]);
  return section(
    "overview.undeclared.title",
    h("p", { class: "note" }, t("overview.undeclared.hint")),
    table(
      ["overview.undeclared.tag", "overview.undeclared.equipment", "overview.undeclared.value", "overview.undeclared.time"],
      rows,
    ),
    page.next_offset !== null && page.next_offset !== undefined
      ? h("p", { class: "note" }, t("overview.undeclared.more", { n: page.items.length }))
      : null,
  );
}

export async function render(page) {
  const [plant, equipment, states, alarms, extra] = await Promise.all([
    api("/plant"),
    all("/plant/equipment"),
    optional("/equipment-states", { params: { limit: 1000 } }, { items: [] }),
    optional("/alarms", { params: { limit: 1000 } }, { items: [] }),
    optional("/tags/undeclared", { params: { limit: 100 } }, { items: [] }),
  ]);
  const alarmsOf = {};
  for (const a of alarms.items) alarmsOf[a.equipment] = (alarmsOf[a.equipment] || 0) + 1;
  const tiles = new Map();
  page.append(
    h("h1", {}, t("overview.title", { plant: nameOf(plant.site) || plant.name })),
    h(
      "p",
      { class: "legend" },
      LEGEND.map((s) => h("span", { class: "chip", dataset: { cat: stateCategory(s) } }, stateLabel(s))),
      h("span", { class: "chip", dataset: { cat: "none" } }, stateLabel(null)),
    ),
  );
  for (const area of plant.areas) {
    for (const line of area.lines) {
      const board = h("div", { class: "board" });
      for (const eq of equipment.filter((e) => e.line === line.path)) {
        const el = tile(eq, alarmsOf[eq.path]);
        tiles.set(eq.path, el);
        board.append(el);
      }
      // each card is headed by its own line (not a generic "Line")
      page.append(
        h(
          "section",
          { class: "card", dataset: { line: line.path } },
          h("h2", {}, h("a", { href: `#/line/${line.path}` }, nameOf(line))),
          h("p", { class: "note" }, nameOf(area)),
          board,
        ),
      );
    }
  }
  const notes = undeclared(extra);
  if (notes) page.append(notes);
  for (const st of states.items) if (tiles.has(st.equipment)) setState(tiles.get(st.equipment), st.state);
  for (const [path, el] of tiles) {
    const name = stateOf(liveValue(`${path}/state`));
    if (name) setState(el, name);
  }
  return onLive((rows) => {
    for (const row of rows) {
      if (!row.tag.endsWith("/state")) continue;
      const el = tiles.get(row.tag.slice(0, -6));
      const name = stateOf(row);
      if (el && name) setState(el, name);
    }
  });
}

export { PACKML };
