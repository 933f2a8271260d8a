// An Eclipse Tahu JavaScript edge node (npm `sparkplug-client`, not written by shopfloor) with one
// oven device, for the interop tests of shopfloor's Sparkplug B host and tag-to-event rules.
// Nothing here knows shopfloor.
//
// Usage: node tahu_edge.mjs <mqtt url>
//   group "Plant1", edge node "Line3", device "Oven-3" with metrics (no aliases, as Tahu sends):
//   Status/State (Int32, PackML state number), Counts/Produced and Counts/Scrap (Int32),
//   Zone1/Temperature (Double, degC), Energy/kWh (Double), Recipe (String).
// Prints "ready" after its NBIRTH and DBIRTH; answers a Node Control/Rebirth NCMD with new
// births. On the stdin line "go <t0 ms> <ms per s>" it runs the script in fast time, every metric
// stamped with its virtual time from t0:
//   0..240 s Execute making 100 parts (every 25th scrap), 240..300 s Held, from 300 s Execute;
// then prints "done".

import { createInterface } from "node:readline";
import sparkplug from "sparkplug-client";

const DEVICE = "Oven-3";
const dev = { state: 4, produced: 500, scrap: 20, temp: 245.0, kwh: 1500.0, recipe: "PCB-A12" };
const client = sparkplug.newClient({
  serverUrl: process.argv[2],
  username: "",
  password: "",
  groupId: "Plant1",
  edgeNode: "Line3",
  clientId: `tahu-line3-${process.pid}`,
  version: "spBv1.0",
});

function metrics(ms, names) {
  const all = {
    "Status/State": { value: dev.state, type: "Int32" },
    "Counts/Produced": { value: dev.produced, type: "Int32" },
    "Counts/Scrap": { value: dev.scrap, type: "Int32" },
    "Zone1/Temperature": { value: dev.temp, type: "Double" },
    "Energy/kWh": { value: dev.kwh, type: "Double" },
    Recipe: { value: dev.recipe, type: "String" },
  };
  return (names || Object.keys(all)).map((name) => ({ name, ...all[name], timestamp: ms }));
}

function births() {
  const now = Date.now();
  client.publishNodeBirth({
    timestamp: now,
    metrics: [{ name: "Node Control/Rebirth", type: "Boolean", value: false }],
  });
  client.publishDeviceBirth(DEVICE, { timestamp: now, metrics: metrics(now) });
}

let announced = false;
client.on("birth", () => {
  births();
  if (!announced) console.log("ready");
  announced = true;
});
client.on("ncmd", (payload) => {
  if ((payload.metrics || []).some((m) => m.name === "Node Control/Rebirth" && m.value)) births();
});
client.on("error", (err) => console.error(`tahu edge: ${err}`));

function run(t0, msPerS) {
  let s = 0;
  const step = () => {
    const at = t0 + s * 1000;
    const changed = [];
    if (s === 0) {
      dev.state = 6;
      changed.push("Status/State");
    }
    // 100 parts over 240 s: part n completes at n x 2.4 s (sent at the next whole second)
    const partsBy = (t) => Math.min(100, Math.floor(t / 2.4 + 1e-9));
    const n = s <= 240 ? partsBy(s) : 100;
    const before = s === 0 ? 0 : s <= 240 ? partsBy(s - 1) : 100;
    if (n !== before) {
      dev.produced = 500 + n;
      dev.scrap = 20 + Math.floor(n / 25);
      dev.kwh += 0.1 * (n - before);
      changed.push("Counts/Produced", "Counts/Scrap", "Energy/kWh");
    }
    if (s % 10 === 0) {
      dev.temp = 245 + (s % 20 === 0 ? 0.5 : -0.5);
      changed.push("Zone1/Temperature");
    }
    if (s === 240) {
      dev.state = 11;
      changed.push("Status/State");
    }
    if (s === 300) {
      dev.state = 6;
      changed.push("Status/State");
    }
    if (changed.length) {
      client.publishDeviceData(DEVICE, { timestamp: at, metrics: metrics(at, changed) });
    }
    if (s === 300) {
      console.log("done");
      return;
    }
    s += 1;
    setTimeout(step, msPerS);
  };
  step();
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const [word, t0, msPerS] = line.trim().split(/\s+/);
  if (word === "go") run(Number(t0), Number(msPerS));
});
process.stdin.on("end", () => {
  client.stop();
  setTimeout(() => process.exit(0), 200);
});
