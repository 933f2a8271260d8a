"""A plain OPC UA device (no shopfloor event type, its own namespace and numeric node ids) read by
browse path through a preset, with its tags turned into machine events by the rules.

The server is a bare asyncua server built here the way a machine builder would lay out a PackML
(OPC 30050) machine: ``Filler/Status/StateCurrent``, ``Filler/Admin/ProdProcessedCount``...
with numeric node ids, so nothing but the browse names can find the variables.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest
import yaml
from asyncua import Server, ua
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.user_managers import UserManager

from shopfloor.clock import WallClock
from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.connect.opcua.connector import OpcUaConnector
from shopfloor.connect.opcua.servers import opcua_servers
from shopfloor.connect.rules import RuleSink
from shopfloor.connect.sink import SampleBatch
from shopfloor.errors import ConfigError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant.loader import parse_plant
from shopfloor.plant.model import Plant
from shopfloor.samples import Quality, Sample
from tests.conftest import free_port

T = TypeVar("T")
DEADLINE_S = 30.0
URI = "urn:machine-builder:filler"

PLANT = """
schema: shopfloor.plant/v1
enterprise: {id: acme}
site: {id: works}
areas:
  - id: pack
    lines:
      - id: line-1
        cells:
          - id: c
            equipment:
              - id: filler-01
                name: Filler
                class: packaging
                preset: packml
                endpoint: {url: "URL", node: "nsu=urn:machine-builder:filler;i=5000"}
                rules: {counts: {total: {tag: prod_processed_count},
                                 reject: {tag: prod_defective_count}, standard_time_s: 2.0}}
              - id: other-01
                name: Other
                class: packaging
                endpoint: {url: "opc.tcp://127.0.0.1:1"}
"""


class Sink:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.events: list[MachineEvent] = []
        self._changed = asyncio.Event()

    async def on_samples(self, batch: SampleBatch) -> None:
        self.samples.extend(batch.samples())
        self._changed.set()

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        self.events.extend(events)
        self._changed.set()

    async def until(self, what: str, found: Callable[[], T | None]) -> T:
        try:
            async with asyncio.timeout(DEADLINE_S):
                while True:
                    self._changed.clear()
                    if result := found():
                        return result
                    await self._changed.wait()
        except TimeoutError:
            pytest.fail(f"no {what} within {DEADLINE_S} s")


class Users(UserManager):
    """A machine that lets in only the user names and passwords it knows."""

    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def get_user(
        self,
        iserver: object,
        username: str | None = None,
        password: str | None = None,
        certificate: object = None,
    ) -> User | None:
        if username is not None and self.users.get(username) == password:
            return User(role=UserRole.User, name=username)
        return None


async def _machine(
    port: int, users: dict[str, str] | None = None
) -> tuple[Server, dict[str, object]]:
    logging.getLogger("asyncua").setLevel(logging.WARNING)
    server = Server(user_manager=Users(users) if users is not None else None)
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    if users is not None:
        server.set_security_IDs(["Username"])
    ns = await server.register_namespace(URI)
    filler = await server.nodes.objects.add_object(ua.NodeId(5000, ns), f"{ns}:Filler")
    status = await filler.add_object(ua.NodeId(5001, ns), f"{ns}:Status")
    admin = await filler.add_object(ua.NodeId(5002, ns), f"{ns}:Admin")
    reason = await admin.add_object(ua.NodeId(5003, ns), f"{ns}:StopReason")
    v = {
        "state": await status.add_variable(
            ua.NodeId(6001, ns), f"{ns}:StateCurrent", 6, ua.VariantType.Int32
        ),
        "processed": await admin.add_variable(
            ua.NodeId(6002, ns), f"{ns}:ProdProcessedCount", 500, ua.VariantType.Int32
        ),
        "defective": await admin.add_variable(
            ua.NodeId(6003, ns), f"{ns}:ProdDefectiveCount", 20, ua.VariantType.Int32
        ),
        "reason": await reason.add_variable(
            ua.NodeId(6004, ns), f"{ns}:ID", 0, ua.VariantType.Int32
        ),
    }
    await server.start()
    return server, v


def test_one_session_per_server_from_the_plant_file() -> None:
    plant = parse_plant(yaml.safe_load(PLANT.replace("URL", "opc.tcp://127.0.0.1:4841")))
    servers, missing = opcua_servers(plant, "opc.tcp://plant:4840")
    assert [(o.url, o.equipment) for o in servers] == [
        ("opc.tcp://127.0.0.1:4841", ("works/pack/line-1/c/filler-01",)),
        ("opc.tcp://127.0.0.1:1", ("works/pack/line-1/c/other-01",)),
    ]
    assert not missing


async def test_packml_preset_by_browse_path_gives_states_and_counts() -> None:
    port = free_port()
    server, var = await _machine(port)
    url = f"opc.tcp://127.0.0.1:{port}/"
    plant = parse_plant(yaml.safe_load(PLANT.replace("URL", url)))
    sink = Sink()
    config = OpcUaClientConfig(url, publishing_interval_ms=20)
    connector = OpcUaConnector(
        plant, config, RuleSink(plant, sink), equipment=["filler-01"], clock=WallClock()
    )
    f = "works/pack/line-1/c/filler-01"
    await connector.start()
    try:
        await connector.wait_ready(DEADLINE_S)
        await sink.until("baseline", lambda: any(s.tag == f"{f}/prod_processed_count"
                                                 for s in sink.samples))  # fmt: skip
        for n in range(1, 6):
            await var["processed"].write_value(ua.Variant(500 + n, ua.VariantType.Int32))
            await sink.until(f"part {n}", lambda n=n: [
                s for s in sink.samples
                if s.tag == f"{f}/prod_processed_count" and s.value == 500 + n
            ])  # fmt: skip
        await var["defective"].write_value(ua.Variant(21, ua.VariantType.Int32))
        await var["reason"].write_value(ua.Variant(7, ua.VariantType.Int32))
        await sink.until("reason", lambda: [s for s in sink.samples if s.tag == f"{f}/stop_reason"
                                            and s.value == 7])  # fmt: skip
        await var["state"].write_value(ua.Variant(11, ua.VariantType.Int32))
        held = await sink.until("Held", lambda: [
            e for e in sink.events
            if e.kind is EventKind.STATE_CHANGE and e.payload["state"] == "Held"
        ])  # fmt: skip
        parts = await sink.until("reject", lambda: [
            e for e in sink.events if e.kind is EventKind.PART_COMPLETE and not e.payload["good"]
        ] and [e for e in sink.events if e.kind is EventKind.PART_COMPLETE])  # fmt: skip
    finally:
        await connector.stop()
        await server.stop()
    assert held[0].payload["reason"] == "7"
    assert held[0].equipment == f
    moved = sum(bool(e.payload.get("reclassified")) for e in parts)
    assert len(parts) - moved == 5  # produced: the counter's increments, not its 500 baseline
    assert sum(not e.payload["good"] for e in parts) == 1
    assert sum(e.payload["good"] for e in parts) - moved == 4


async def test_a_machine_that_wants_a_user_name_and_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    server, _var = await _machine(port, users={"mes": "s3cret"})
    text = PLANT.replace("URL", f"opc.tcp://127.0.0.1:{port}/").replace(
        'i=5000"}', 'i=5000", username: mes, password_env: FILLER_PW}'
    )
    plant = parse_plant(yaml.safe_load(text))
    [filler, _other], _missing = opcua_servers(plant, None)
    assert (filler.username, filler.password_env) == ("mes", "FILLER_PW")
    monkeypatch.delenv("FILLER_PW", raising=False)
    with pytest.raises(ConfigError, match="environment variable FILLER_PW, which is not set"):
        filler.client_config()
    try:
        monkeypatch.setenv("FILLER_PW", "wrong")
        refused = await _read(plant, filler.client_config(), filler.equipment, admitted=False)
        assert "BadUserAccessDenied" in refused
        monkeypatch.setenv("FILLER_PW", "s3cret")
        config = filler.client_config()
        assert "s3cret" not in repr(config)  # never in logs
        assert await _read(plant, config, filler.equipment, admitted=True) == "connected"
    finally:
        await server.stop()


async def _read(
    plant: Plant, config: OpcUaClientConfig, equipment: Sequence[str], *, admitted: bool
) -> str:
    """Run a connector until the machine admits it (a first state) or refuses it."""
    sink = Sink()
    connector = OpcUaConnector(plant, config, RuleSink(plant, sink), equipment=equipment,
                               clock=WallClock())  # fmt: skip
    await connector.start()
    try:
        if admitted:
            await sink.until("state from the machine", lambda: sink.events)
            assert connector.health().ok
            return "connected"
        await sink.until("refusal", lambda: connector.error)
        assert not [s for s in sink.samples if s.quality == Quality.GOOD]
        assert connector.error is not None
        return connector.error.message
    finally:
        await connector.stop()
