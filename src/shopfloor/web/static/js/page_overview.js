// Plant overview: the andon board of every equipment, coloured by its live PackML state.
import { all, api, optional } from "./api.js";
import { PACKML, h, section, stateCategory, stateLabel, stateOf } from "./fmt.js";
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
    h("strong", {}, eq.name),
    h("span", { class: "id" }, eq.id),
    h("span", { class: "state" }, stateLabel(null)),
    eq.connectivity === "none" ? h("span", { class: "note" }, t("overview.manual")) : null,
    alarmCount ? h("span", { class: "badge" }, t("overview.alarms", { n: alarmCount })) : null,
  );
  return el;
}

export async function render(page) {
  const [plant, equipment, states, alarms] = await Promise.all([
    api("/plant"),
    all("/plant/equipment"),
    optional("/equipment-states", { params: { limit: 1000 } }, { items: [] }),
    optional("/alarms", { params: { limit: 1000 } }, { items: [] }),
  ]);
  const alarmsOf = {};
  for (const a of alarms.items) alarmsOf[a.equipment] = (alarmsOf[a.equipment] || 0) + 1;
  const tiles = new Map();
  page.append(
    h("h1", {}, t("overview.title", { plant: plant.name })),
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
      page.append(
        section(
          "overview.line",
          h("p", {}, h("a", { href: `#/line/${line.path}` }, `${area.name} › ${line.name}`)),
          board,
        ),
      );
    }
  }
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
