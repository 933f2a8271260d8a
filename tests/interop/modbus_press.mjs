// A press that is a plain Modbus TCP device, served by the npm `modbus-serial` ServerTCP (not by
// shopfloor), for the interop tests of shopfloor's Modbus connector and tag-to-event rules.
// Nothing here knows shopfloor.
//
// Usage: node modbus_press.mjs <port>          (unit id 1)
//   input register 0      state code (uint16): 1 idle, 2 running, 3 held (fault)
//   input register 1      reject counter (uint16)
//   input registers 4-5   energy meter, kWh (float32, big-endian words)
//   holding register 10   stroke counter (uint16), starts at 65500 so that it rolls over
//   coil 0                lubrication pump on
//   discrete input 3      guard door closed
// Any other address answers exception 2 (illegal data address); another unit id gets no answer.
// Prints "ready" once listening. On the stdin line "go" it runs, in real time:
//   0..10 s running, one stroke every 0.19 s (50 parts, every 25th stroke also a reject),
//   10..14 s held, then running again with no more strokes;
// prints "started <epoch ms>" at the start, and "done <held ms> <resumed ms>" with the instants
// the press really went to held and back to running (timers run late on a loaded machine).

import { createInterface } from "node:readline";
import ModbusRTU from "modbus-serial";

const port = Number(process.argv[2]);
const dev = { state: 1, rejects: 0, kwh: 812.5, strokes: 65500, lube: true, door: true };

function illegal() {
  const err = new Error("illegal data address");
  err.modbusErrorCode = 0x02;
  throw err;
}
function floatWords(value) {
  const buf = Buffer.alloc(4);
  buf.writeFloatBE(value);
  return [buf.readUInt16BE(0), buf.readUInt16BE(2)];
}

const vector = {
  getInputRegister(addr) {
    if (addr === 0) return dev.state;
    if (addr === 1) return dev.rejects;
    if (addr === 4 || addr === 5) return floatWords(dev.kwh)[addr - 4];
    return illegal();
  },
  getHoldingRegister(addr) {
    if (addr === 10) return dev.strokes;
    return illegal();
  },
  getCoil(addr) {
    if (addr === 0) return dev.lube;
    return illegal();
  },
  getDiscreteInput(addr) {
    if (addr === 3) return dev.door;
    return illegal();
  },
  setRegister() {
    return illegal();
  },
  setCoil() {
    return illegal();
  },
};

const server = new ModbusRTU.ServerTCP(vector, { host: "127.0.0.1", port, unitID: 1 });
server.on("initialized", () => console.log("ready"));
server.on("socketError", () => {});

function run() {
  const t0 = Date.now();
  console.log(`started ${t0}`);
  dev.state = 2;
  let stroke = 0;
  const press = setInterval(() => {
    stroke += 1;
    dev.strokes = (dev.strokes + 1) % 65536;
    dev.kwh += 0.05;
    if (stroke % 25 === 0) dev.rejects += 1;
    if (stroke === 50) clearInterval(press);
  }, 190);
  setTimeout(() => {
    dev.state = 3;
    dev.door = false;
    const held = Date.now();
    setTimeout(() => {
      dev.state = 2;
      dev.door = true;
      console.log(`done ${held} ${Date.now()}`);
    }, 4_000);
  }, 10_000);
}

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "go") run();
});
process.stdin.on("end", () => {
  server.close(() => process.exit(0));
});
