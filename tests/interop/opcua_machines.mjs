// Two machines served by node-opcua, laid out as their companion specifications name them, for
// the interop tests of shopfloor's tag-to-event rules and presets. Nothing here knows shopfloor.
//
// Usage: node opcua_machines.mjs <port>
//   Filler: a PackML (OPC 30050) machine: Filler/Status/StateCurrent, Filler/Admin/
//           ProdProcessedCount, ProdDefectiveCount, StopReason/ID.
//   Lathe:  an OPC UA for Machine Tools (OPC 40501) machine: Lathe/Production/ActiveProgram/
//           {Name, State/CurrentState/Number}, Production/ProductionPlan/Job-1/PartSets/
//           Set-1/PartsCompletedPerRun.
//   Oven:   no companion specification: an AnalogItem Oven/Temperature (Double, degree
//           Celsius as its EngineeringUnits, EURange 0..400) and Oven/DoorOpen (Boolean).
// Prints "ready <namespace uri>" once listening. On the stdin line "go <t0 ms> <ms per s>" it
// runs the script in fast time, every value stamped with its virtual source time from t0:
//   0..240 s Execute / Running making 100 parts (every 25th a reject on the Filler),
//   240..300 s Held (stop reason 7) / Interrupted, from 300 s Execute / Running again;
// then prints "done".

import { createInterface } from "node:readline";
import { DataType, StatusCodes, Variant } from "node-opcua-client";
import serverPkg from "node-opcua-server";

const { OPCUAServer } = serverPkg;

const port = Number(process.argv[2]);
const NS = "urn:interop:machines";
const server = new OPCUAServer({ port, resourcePath: "/", allowAnonymous: true });
await server.initialize();
const space = server.engine.addressSpace;
const ns = space.registerNamespace(NS);
const objects = space.rootFolder.objects;

function folder(parent, name) {
  return ns.addObject({ componentOf: parent, browseName: name, nodeId: `s=${id(parent)}/${name}` });
}
function id(node) {
  return node.nodeId.identifierType === 2 ? String(node.nodeId.value) : node.browseName.name;
}
function variable(parent, name, dataType, value) {
  const v = ns.addVariable({
    componentOf: parent, browseName: name, nodeId: `s=${id(parent)}/${name}`, dataType,
  });
  v.setValueFromSource(new Variant({ dataType: DataType[dataType], value }), StatusCodes.Good);
  return v;
}

const filler = ns.addObject({ organizedBy: objects, browseName: "Filler", nodeId: "s=Filler" });
const status = folder(filler, "Status");
const admin = folder(filler, "Admin");
const reason = folder(admin, "StopReason");
const f = {
  state: variable(status, "StateCurrent", "Int32", 4), // Idle
  processed: variable(admin, "ProdProcessedCount", "Int32", 1000),
  defective: variable(admin, "ProdDefectiveCount", "Int32", 40),
  reason: variable(reason, "ID", "Int32", 0),
};
const lathe = ns.addObject({ organizedBy: objects, browseName: "Lathe", nodeId: "s=Lathe" });
const production = folder(lathe, "Production");
const program = folder(production, "ActiveProgram");
const state = folder(program, "State");
const current = folder(state, "CurrentState");
const plan = folder(production, "ProductionPlan");
const partSet = folder(folder(folder(plan, "Job-1"), "PartSets"), "Set-1");
const l = {
  name: variable(program, "Name", "String", "P-100"),
  state: variable(current, "Number", "UInt32", 2), // Ended
  parts: variable(partSet, "PartsCompletedPerRun", "UInt32", 0),
};

const oven = ns.addObject({ organizedBy: objects, browseName: "Oven", nodeId: "s=Oven" });
const ovenTemp = ns.addAnalogDataItem({
  componentOf: oven, browseName: "Temperature", nodeId: "s=Oven/Temperature", dataType: "Double",
  engineeringUnitsRange: { low: 0, high: 400 },
  engineeringUnits: {
    namespaceUri: "http://www.opcfoundation.org/UA/units/un/cefact",
    unitId: 0x43454c, // "CEL" (UN/CEFACT common code, one byte per character)
    displayName: { text: "°C" },
    description: { text: "degree Celsius" },
  },
});
ovenTemp.setValueFromSource(new Variant({ dataType: DataType.Double, value: 180 }), StatusCodes.Good);
variable(oven, "DoorOpen", "Boolean", false);

await server.start();
console.log(`ready ${NS}`);

function put(v, dataType, value, ms) {
  v.setValueFromSource(
    new Variant({ dataType: DataType[dataType], value }), StatusCodes.Good, new Date(ms),
  );
}

function run(t0, msPerS) {
  let s = 0;
  const step = () => {
    const at = t0 + s * 1000;
    if (s === 0) {
      put(f.state, "Int32", 6, at);
      put(l.state, "UInt32", 1, at);
    }
    // 100 parts over 240 s: part n completes at n x 2.4 s (counted at the next whole second)
    const partsBy = (t) => Math.min(100, Math.floor(t / 2.4 + 1e-9));
    const n = s <= 240 ? partsBy(s) : 100;
    const before = s === 0 ? 0 : s <= 240 ? partsBy(s - 1) : 100;
    if (n !== before) {
      put(f.processed, "Int32", 1000 + n, at);
      put(f.defective, "Int32", 40 + Math.floor(n / 25), at);
      put(l.parts, "UInt32", n, at);
    }
    if (s === 240) {
      put(f.reason, "Int32", 7, at);
      put(f.state, "Int32", 11, at);
      put(l.state, "UInt32", 3, at);
    }
    if (s === 300) {
      put(f.state, "Int32", 6, at);
      put(l.state, "UInt32", 1, at);
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
process.on("SIGTERM", async () => {
  await server.shutdown(0);
  process.exit(0);
});
