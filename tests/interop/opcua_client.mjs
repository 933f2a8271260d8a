// An independent OPC UA client (node-opcua) for the interop tests of shopfloor's OPC UA server.
//
// Usage: node opcua_client.mjs '<json options>'
//   endpoint        opc.tcp://host:port/path
//   policy, mode    "None"/"None" or "Basic256Sha256"/"Sign"|"SignAndEncrypt"
//   cert, key       client certificate and key (PEM) and applicationUri matching the cert
//   pki             folder for node-opcua's certificate store (a temporary folder)
//   browsePath      browse names from the Objects folder down to a tag
//   changes         how many distinct good values to receive from the tag
//   call            optional {method, args: [[type, value], ...]} called on the equipment
//   timeoutMs       deadline for the whole run
// Prints one JSON object on the last line of stdout; exits 1 on failure (message on stderr).

import {
  AttributeIds,
  BrowseDirection,
  ClientMonitoredItem,
  DataType,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
} from "node-opcua-client";
import { OPCUACertificateManager } from "node-opcua-certificate-manager";

const opts = JSON.parse(process.argv[2]);
const deadline = Date.now() + (opts.timeoutMs ?? 30000);
const timer = setTimeout(() => {
  console.error(`deadline of ${opts.timeoutMs} ms passed`);
  process.exit(1);
}, opts.timeoutMs ?? 30000);

async function browseChild(session, nodeId, name) {
  const result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: "HierarchicalReferences",
    includeSubtypes: true,
    resultMask: 63,
  });
  const ref = result.references.find((r) => r.browseName.name === name);
  if (!ref) {
    const names = result.references.map((r) => r.browseName.name).join(", ");
    throw new Error(`no child ${name} under ${nodeId.toString()} (children: ${names})`);
  }
  return ref.nodeId;
}

async function readChildren(session, nodeId) {
  const result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: "HasProperty",
    includeSubtypes: true,
    resultMask: 63,
  });
  const values = await session.read(
    result.references.map((r) => ({ nodeId: r.nodeId, attributeId: AttributeIds.Value })),
  );
  const out = {};
  result.references.forEach((r, i) => {
    const v = values[i].value.value;
    out[r.browseName.name] = v !== null && typeof v === "object" && "text" in v ? v.text : v;
  });
  return out;
}

function waitForChanges(subscription, nodeId, count) {
  return new Promise((resolve, reject) => {
    const seen = [];
    const item = ClientMonitoredItem.create(
      subscription,
      { nodeId, attributeId: AttributeIds.Value },
      { samplingInterval: 0, discardOldest: true, queueSize: 10 },
      TimestampsToReturn.Both,
    );
    item.on("err", (message) => reject(new Error(`monitored item: ${message}`)));
    item.on("changed", (dv) => {
      if (!dv.statusCode.isGood()) return;
      const value = dv.value.value;
      if (seen.length && seen[seen.length - 1].value === value) return;
      seen.push({ value, sourceTimestamp: dv.sourceTimestamp?.toISOString() ?? null });
      if (seen.length >= count) resolve(seen);
    });
  });
}

async function main() {
  const certificateManager = new OPCUACertificateManager({
    rootFolder: opts.pki,
    automaticallyAcceptUnknownCertificate: true,
  });
  await certificateManager.initialize();
  const client = OPCUAClient.create({
    applicationName: "shopfloor interop (node-opcua)",
    applicationUri: opts.applicationUri,
    securityMode: MessageSecurityMode[opts.mode],
    securityPolicy: SecurityPolicy[opts.policy],
    certificateFile: opts.cert,
    privateKeyFile: opts.key,
    clientCertificateManager: certificateManager,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    requestedSessionTimeout: 60000,
  });
  const out = { policy: opts.policy, mode: opts.mode };
  await client.connect(opts.endpoint);
  const session = await client.createSession();
  try {
    let nodeId = "i=85"; // Objects
    const path = [];
    for (const name of opts.browsePath) {
      nodeId = await browseChild(session, nodeId, name);
      path.push(name);
    }
    out.browse = { path, nodeId: nodeId.toString() };
    const tagNode = nodeId;
    const equipment = opts.browsePath.slice(0, -1);
    let eqNode = "i=85";
    for (const name of equipment) eqNode = await browseChild(session, eqNode, name);
    const ident = await browseChild(session, eqNode, "Identification");
    out.identification = await readChildren(session, ident);

    if (opts.call) {
      const methodNode = await browseChild(session, eqNode, opts.call.method);
      const result = await session.call({
        objectId: eqNode,
        methodId: methodNode,
        inputArguments: opts.call.args.map(([type, value]) => ({ dataType: DataType[type], value })),
      });
      out.call = {
        status: result.statusCode.name,
        outputs: (result.outputArguments ?? []).map((v) => v.value),
      };
    }

    const subscription = await session.createSubscription2({
      requestedPublishingInterval: 50,
      requestedLifetimeCount: 600,
      requestedMaxKeepAliveCount: 20,
      maxNotificationsPerPublish: 100,
      publishingEnabled: true,
      priority: 1,
    });
    console.error("subscribed");
    out.changes = await waitForChanges(subscription, tagNode, opts.changes ?? 3);
    out.remainingMs = deadline - Date.now();
    await subscription.terminate();
  } finally {
    await session.close();
    await client.disconnect();
    await certificateManager.dispose();
  }
  clearTimeout(timer);
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err?.stack ?? String(err));
  process.exit(1);
});
