"""Interop: an independent OPC UA client (node-opcua, tests/interop/opcua_client.mjs) against our
server, without security and with Basic256Sha256 SignAndEncrypt.

The node script browses from the Objects folder to a tag, reads the equipment's Identification,
calls ReceiveJob and waits for three changes of the tag while this test, acting as the paced
plant, keeps publishing values through the outlet API. The node client's certificate is made by
our PKI helper in a temporary folder; the server trusts it on first use.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from shopfloor.clock import from_ns
from shopfloor.connect.opcua import ClientTrust, ensure_certificate
from shopfloor.connect.opcua.pki import thumbprint
from shopfloor.sim.outlet import Command, TagValue
from tests.test_opcua_server import LATHE, T0, Served, start_served

INTEROP = Path(__file__).resolve().parent / "interop"
SCRIPT = INTEROP / "opcua_client.mjs"
NODE_URI = "urn:shopfloor:test:node-opcua"
DEADLINE_S = 60.0

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(
        not (INTEROP / "node_modules" / "node-opcua-client").is_dir(),
        reason="node-opcua-client is not installed: run `make node`",
    ),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    s = await start_served(tmp_path_factory.mktemp("opcua-interop"), trust=ClientTrust.TOFU.value)
    try:
        yield s
    finally:
        await s.server.stop()


async def run_node_client(served: Served, tmp: Path, policy: str, mode: str) -> dict[str, Any]:
    """Run the node client while publishing a changing spindle speed; its JSON result."""
    node = shutil.which("node")
    assert node is not None, "node is not on PATH (make sysdeps installs nodejs)"
    pair = ensure_certificate(tmp / "node-client", NODE_URI, "shopfloor interop node-opcua")
    opts = {
        "endpoint": served.server.endpoint,
        "policy": policy,
        "mode": mode,
        "cert": str(pair.cert),
        "key": str(pair.key),
        "applicationUri": NODE_URI,
        "pki": str(tmp / "node-pki"),
        "browsePath": ["acme", *LATHE.split("/"), "spindle_speed"],
        "changes": 3,
        "call": {
            "method": "ReceiveJob",
            "args": [["String", "o-node"], ["String", "housing-a"], ["UInt32", 4]],
        },
        "timeoutMs": int(DEADLINE_S * 1000) - 5000,
    }
    proc = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        json.dumps(opts),
        cwd=INTEROP,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    published = 0
    try:
        async with asyncio.timeout(DEADLINE_S):
            done = asyncio.ensure_future(proc.communicate())
            while not done.done():  # the plant publishes at 20 Hz until the client is done
                published += 1
                served.server.on_values(
                    [
                        TagValue(
                            f"{LATHE}/spindle_speed",
                            T0 + published * 50_000_000,
                            1000.0 + published,
                        )
                    ]
                )
                await asyncio.wait([done], timeout=0.05)
            out, err = done.result()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, f"node client failed:\n{err.decode()[-4000:]}"
    lines = [ln for ln in out.decode().splitlines() if ln.startswith("{")]
    assert lines, f"node client printed no JSON:\n{out.decode()[-2000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    result["thumbprint"] = thumbprint(pair.certificate)
    return result


@pytest.mark.parametrize(
    ("policy", "mode"), [("None", "None"), ("Basic256Sha256", "SignAndEncrypt")]
)
async def test_node_opcua_client_browses_reads_calls_and_subscribes(
    served: Served, tmp_path: Path, policy: str, mode: str
) -> None:
    served.control.calls.clear()
    assert served.server.trust is not None
    accepted = served.server.trust.accepted
    result = await run_node_client(served, tmp_path, policy, mode)

    assert result["browse"]["path"][-2:] == ["lathe-01", "spindle_speed"]
    assert result["browse"]["nodeId"].endswith(f";s={LATHE}/spindle_speed")
    eq = served.plant.equipment(LATHE)
    ident = result["identification"]
    assert (ident["Manufacturer"], ident["Model"], ident["SerialNumber"]) == (
        eq.vendor,
        eq.model,
        eq.serial,
    )
    assert ident["YearOfConstruction"] == 2021 and ident["AssetId"] == LATHE
    assert result["call"] == {"status": "Good", "outputs": [True, "job accepted"]}
    assert served.control.calls == [
        (LATHE, Command.JOB, {"order_id": "o-node", "product": "housing-a", "quantity": 4})
    ]
    values = [c["value"] for c in result["changes"]]
    assert len(values) == 3 and values == sorted(values) and len(set(values)) == 3
    for change in result["changes"]:  # source timestamps are the sample times (ms in JS)
        sample_ts = from_ns(T0 + round(change["value"] - 1000.0) * 50_000_000)
        assert change["sourceTimestamp"] == sample_ts.isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        )
    pinned = served.pki / "trusted" / f"{result['thumbprint']}.der"
    if policy == "None":  # node-opcua shows its certificate, but a None channel proves nothing
        assert served.server.trust.accepted == accepted and not pinned.exists()
    else:  # a signed channel: the client's certificate was proven and pinned (TOFU)
        assert served.server.trust.accepted == accepted + 1 and pinned.exists()
