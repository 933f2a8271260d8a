"""The interconnection test against configured endpoints: a served virtual plant on loopback
ports the OS picks, then the same endpoints with nothing listening."""

from __future__ import annotations

import pickle
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from shopfloor.assess.probe import configured_targets, probe_configured, server_targets
from shopfloor.clock import DEFAULT_EPOCH, LinearClock, to_ns
from shopfloor.plant import load_plant
from shopfloor.plant.loader import EXAMPLES_PACKAGE, parse_plant
from shopfloor.runtime.virtual import VirtualPlantSetup, build
from tests.conftest import free_port

OPCUA, MODBUS, SPARKPLUG = "lathe-01", "lathe-02", "vmc-03"


def demo_with_endpoints(opcua_port: int, modbus_port: int) -> Any:
    from importlib import resources

    doc = yaml.safe_load(resources.files(EXAMPLES_PACKAGE).joinpath("demo.yaml").read_text("utf-8"))
    for area in doc["areas"]:
        for line in area["lines"]:
            for cell in line["cells"]:
                for eq in cell["equipment"]:
                    if eq["id"] == OPCUA:
                        eq["endpoint"] = {"host": "127.0.0.1", "port": opcua_port}
                    elif eq["id"] == MODBUS:
                        eq["endpoint"] = {"host": "127.0.0.1", "port": modbus_port, "unit_id": 1}
    return parse_plant(doc, "demo-with-endpoints")


async def test_configured_endpoints_of_a_served_plant_pass(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)  # a real plant's clock, not the sim epoch
    setup = VirtualPlantSetup(plant=load_plant("demo"), start=now, pki_dir=tmp_path / "pki")
    rt = build(setup)
    await rt.runtime.start()
    try:
        assert rt.opcua is not None and rt.modbus is not None and rt.mqtt_url is not None
        opcua_port = int(rt.opcua.endpoint.rsplit(":", 1)[1].split("/")[0])
        plant = demo_with_endpoints(opcua_port, rt.modbus.port)
        report = await probe_configured(plant, rt.mqtt_url, 1.0, 30.0, tmp_path / "client")
    finally:
        await rt.runtime.stop()
    rows = {d.equipment.rsplit("/", 1)[1]: d for d in report.devices}
    assert not report.synthetic and report.target == "configured"
    for eid, proto in ((OPCUA, "opcua"), (MODBUS, "modbus"), (SPARKPLUG, "sparkplug")):
        row = rows[eid]
        assert row.protocol == proto
        assert row.ok, row.to_dict()
        assert row.points_seen == row.points_expected
        assert row.latency_ms is not None and row.update_rate and row.update_rate > 0
    # equipment without a configured endpoint is reported, not skipped
    assert rows["vmc-01"].errors == ["no endpoint configured"] and not rows["vmc-01"].ok
    assert "manual" not in {d.protocol for d in report.devices}


async def test_unreachable_endpoints_are_reported_with_their_error(tmp_path: Path) -> None:
    plant = demo_with_endpoints(free_port(), free_port())
    broker = f"mqtt://127.0.0.1:{free_port()}"
    targets, _missing = configured_targets(plant, broker)
    assert {t.protocol for t in targets} == {"opcua", "modbus", "sparkplug"}
    report = await probe_configured(plant, broker, 0.5, 2.0, tmp_path / "client")
    rows = {d.equipment.rsplit("/", 1)[1]: d for d in report.devices}
    for eid in (OPCUA, MODBUS, SPARKPLUG):
        assert not rows[eid].ok and not rows[eid].connected
        assert rows[eid].errors, eid
    assert report.passed == 0


def test_equipment_without_an_endpoint_or_broker_is_not_configured() -> None:
    _targets, missing = configured_targets(load_plant("demo"), None)
    assert {d.protocol for d in missing} == {"opcua", "modbus", "sparkplug"}


def test_a_server_probes_its_own_endpoints_at_the_devices_time() -> None:
    plant = load_plant("demo")
    targets = server_targets(
        plant, opcua="opc.tcp://127.0.0.1:4840/x", modbus="127.0.0.1:5020", mqtt=None
    )
    assert [t.protocol for t in targets] == ["opcua", "modbus"]
    by_proto = {t.protocol: set(t.equipment) for t in targets}
    for path, *_r, e in plant.walk():
        if e.protocol.value in by_proto:
            assert path in by_proto[e.protocol.value]
    # a paced plant's clock carried into a child process keeps running at its speed:
    # read 1 s of wall time ago at speed 10, it now reads 10 s (and a little) later
    start = to_ns(DEFAULT_EPOCH)
    clock = pickle.loads(pickle.dumps(LinearClock(start, time.time_ns() - 10**9, rate=10.0)))
    assert 10 * 10**9 <= clock.now_ns() - start < 60 * 10**9
