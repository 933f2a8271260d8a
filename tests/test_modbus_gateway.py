"""The Modbus TCP gateway on a loopback port, read by a raw pymodbus client and by our poller."""

from __future__ import annotations

import asyncio
import struct
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import pytest
from pymodbus.client import AsyncModbusTcpClient

from shopfloor.clock import WallClock
from shopfloor.connect.modbus.client import ModbusPoller
from shopfloor.connect.modbus.config import PollerConfig
from shopfloor.connect.modbus.layout import UnitMap
from shopfloor.connect.modbus.registers import ModbusPoint
from shopfloor.connect.modbus.server import ModbusGateway
from shopfloor.errors import BadInput, ConnectorError, ConnectorUnavailable, NotFound
from shopfloor.plant import load_plant
from shopfloor.plant.model import ModbusType
from shopfloor.plant.states import PackMLState
from shopfloor.samples import Quality, Sample
from shopfloor.sim.outlet import Command, CommandResult, TagBlock, TagValue

DT = AsyncModbusTcpClient.DATATYPE
PYMODBUS_TYPE = {t: getattr(DT, t.name) for t in ModbusType}
GATEWAY_NO_RESPONSE, ILLEGAL_ADDRESS, ILLEGAL_VALUE, DEVICE_FAILURE = 0x0B, 0x02, 0x03, 0x04


class RecordingControl:
    """A PlantControl that records commands and refuses ``abort``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Command, dict[str, Any]]] = []

    def command(self, equipment: str, command: Command, args: dict[str, Any]) -> CommandResult:
        self.calls.append((equipment, command, dict(args)))
        if command is Command.ABORT:
            return CommandResult(False, "abort is not allowed in this test")
        return CommandResult(True)


@pytest.fixture
def control() -> RecordingControl:
    return RecordingControl()


@pytest.fixture
async def gateway(control: RecordingControl) -> AsyncIterator[ModbusGateway]:
    gw = ModbusGateway(load_plant("demo"), control, host="127.0.0.1", port=0)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


@pytest.fixture
async def raw(gateway: ModbusGateway) -> AsyncIterator[AsyncModbusTcpClient]:
    client = AsyncModbusTcpClient("127.0.0.1", port=gateway.port, timeout=5, retries=0)
    assert await client.connect()
    try:
        yield client
    finally:
        client.close()


def value_for(p: ModbusPoint, k: int) -> Any:
    """A value exercising every register of ``p`` (k varies it per tag)."""
    s = p.register.scale
    if p.tag.endswith("/state"):
        return PackMLState.EXECUTE
    return {
        ModbusType.INT16: round((-1234 - k) * s, 6),
        ModbusType.UINT16: round((4321 + k) * s, 6),
        ModbusType.INT32: -70000 - k,
        ModbusType.UINT32: 70000 + 123 * k,  # above 65535: both words matter
        ModbusType.FLOAT32: 1234.5678 + k,
        ModbusType.FLOAT64: 98765.4321012 + k,
    }[p.register.type]


def expected(p: ModbusPoint, value: Any) -> tuple[float, float]:
    """(value as read back, tolerance): float32 precision, or the resolution of a scaled int."""
    if isinstance(value, PackMLState):
        return float(value.code), 0.0
    if p.register.type is ModbusType.FLOAT32:
        return struct.unpack(">f", struct.pack(">f", value))[0], 0.0
    if p.register.type is ModbusType.FLOAT64 or p.register.scale == 1:
        return float(value), 0.0
    return float(value), abs(p.register.scale) / 2


def push_all(gw: ModbusGateway) -> dict[str, Any]:
    values = {p.tag: value_for(p, k) for u in gw.units for k, p in enumerate(u.points)}
    gw.on_values([TagValue(tag, 1, v) for tag, v in values.items()])
    return values


def unit(gw: ModbusGateway, name: str) -> UnitMap:
    return next(u for u in gw.units if u.equipment.endswith("/" + name))


async def wait_until(cond: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


def poller_for(gw: ModbusGateway, sink: Callable[[list[Sample]], None], **kw: Any) -> ModbusPoller:
    cfg = PollerConfig("127.0.0.1", gw.port, **kw)
    return ModbusPoller(cfg, gw.units, sink, WallClock())


async def test_raw_client_reads_every_type_word_order_and_scale(
    gateway: ModbusGateway, raw: AsyncModbusTcpClient
) -> None:
    values = push_all(gateway)
    types = set()
    for u in gateway.units:
        count = max(p.end for p in u.points)
        resp = await raw.read_holding_registers(0, count=count, device_id=u.unit_id)
        assert not resp.isError(), resp
        for p in u.points:
            regs = resp.registers[p.address : p.end]
            raw_value = raw.convert_from_registers(
                regs, PYMODBUS_TYPE[p.register.type], word_order=p.register.word_order
            )
            assert isinstance(raw_value, int | float)
            got = raw_value * p.register.scale + p.register.offset
            want, tol = expected(p, values[p.tag])
            assert got == pytest.approx(want, abs=tol, rel=1e-12), p.tag
            types.add((p.register.type, p.register.word_order, p.register.scale != 1))
    # the demo maps use every type but int32 (covered in test_modbus_registers.py)
    assert {t for t, _o, _s in types} == set(ModbusType) - {ModbusType.INT32}
    assert (ModbusType.FLOAT32, "little", False) in types
    assert any(scaled for _t, _o, scaled in types)


async def test_poller_reads_every_tag_in_one_request_per_block(gateway: ModbusGateway) -> None:
    values = push_all(gateway)
    got: list[Sample] = []
    poller = poller_for(gateway, got.extend)
    await poller.client.connect()
    try:
        samples = await poller.poll()
    finally:
        await poller.stop()
    assert samples == got
    assert {s.tag for s in samples} == set(values)
    for u in gateway.units:
        assert poller.reads_per_poll(u) == 2  # one merged block + the quality bitmap
        for p in u.points:
            s = poller.latest[p.tag]
            want, tol = expected(p, values[p.tag])
            assert s.quality is Quality.GOOD and s.value is not None
            assert s.value == pytest.approx(want, abs=tol, rel=1e-12), p.tag
    assert poller.latest[unit(gateway, "press-01").points[0].tag].value == 6  # PackML Execute
    assert poller.health().metrics["reads"] == 6
    assert not poller.errors


async def test_bad_tags_keep_their_value_and_show_in_the_bitmap(
    gateway: ModbusGateway, raw: AsyncModbusTcpClient
) -> None:
    push_all(gateway)
    washer = unit(gateway, "washer-01")
    idx, cond = next((i, p) for i, p in enumerate(washer.points) if p.tag.endswith("conductivity"))
    before = await raw.read_holding_registers(cond.address, count=2, device_id=washer.unit_id)
    gateway.on_values([TagValue(cond.tag, 2, None, Quality.BAD)])
    after = await raw.read_holding_registers(cond.address, count=2, device_id=washer.unit_id)
    assert after.registers == before.registers  # the last value stays
    diag = await raw.read_holding_registers(1002, count=3, device_id=washer.unit_id)
    assert diag.registers == [0b01, 1, 1 << idx]  # online, not all good; one bad tag; its bit
    got: list[Sample] = []
    poller = poller_for(gateway, got.extend)
    await poller.client.connect()
    try:
        await poller.poll()
    finally:
        await poller.stop()
    assert poller.latest[cond.tag] == Sample(
        cond.tag, poller.latest[cond.tag].ts_ns, None, Quality.BAD
    )
    assert all(poller.latest[p.tag].quality is Quality.GOOD for p in washer.points if p != cond)


async def test_offline_and_unknown_units_answer_gateway_exception(
    gateway: ModbusGateway, raw: AsyncModbusTcpClient
) -> None:
    push_all(gateway)
    press = unit(gateway, "press-01")
    gateway.on_values([TagValue(p.tag, 3, None, Quality.BAD) for p in press.points])
    resp = await raw.read_holding_registers(0, count=2, device_id=press.unit_id)
    assert resp.isError() and resp.exception_code == GATEWAY_NO_RESPONSE
    diag = await raw.read_holding_registers(1002, count=2, device_id=press.unit_id)
    assert diag.registers == [0, len(press.points)]  # the gateway block stays readable
    for unknown in (0, 42, 247):
        resp = await raw.read_holding_registers(0, count=1, device_id=unknown)
        assert resp.isError() and resp.exception_code == GATEWAY_NO_RESPONSE, unknown
    for address, count in ((500, 1), (0, 30), (1010, 1)):  # unmapped, across a gap, past block
        resp = await raw.read_holding_registers(address, count=count, device_id=1)
        assert resp.isError() and resp.exception_code == ILLEGAL_ADDRESS, (address, count)
    poller = poller_for(gateway, lambda s: None)
    await poller.client.connect()
    try:
        await poller.poll()
        with pytest.raises(ConnectorUnavailable, match="0x0b gateway target device") as err:
            await poller.read_unit(press)
        assert err.value.code == "connect.unavailable"
        assert err.value.details == {"unit": 3, "exception_code": GATEWAY_NO_RESPONSE}
    finally:
        await poller.stop()
    assert isinstance(poller.errors[press.equipment], ConnectorUnavailable)
    assert list(poller.errors) == [press.equipment]
    assert all(poller.latest[p.tag].quality is Quality.BAD for p in press.points)
    assert all(poller.latest[p.tag].quality is Quality.GOOD for p in gateway.units[0].points)
    assert not poller.health().ok


async def test_command_register_reaches_plant_control(
    gateway: ModbusGateway, raw: AsyncModbusTcpClient, control: RecordingControl
) -> None:
    lathe, washer = unit(gateway, "lathe-02"), unit(gateway, "washer-01")
    resp = await raw.write_register(1000, 1, device_id=washer.unit_id)
    assert not resp.isError(), resp
    assert control.calls == [(washer.equipment, Command.START, {})]
    resp = await raw.write_register(1000, 6, device_id=lathe.unit_id)
    assert resp.isError() and resp.exception_code == DEVICE_FAILURE
    result = await raw.read_holding_registers(1000, count=2, device_id=lathe.unit_id)
    assert result.registers == [6, 2]  # last command abort, refused
    resp = await raw.write_register(1000, 9, device_id=lathe.unit_id)
    assert resp.isError() and resp.exception_code == ILLEGAL_VALUE
    resp = await raw.write_register(3, 1, device_id=lathe.unit_id)  # tag registers: read-only
    assert resp.isError() and resp.exception_code == ILLEGAL_ADDRESS
    poller = poller_for(gateway, lambda s: None)
    await poller.client.connect()
    try:
        await poller.command(lathe.equipment, Command.HOLD)
        with pytest.raises(ConnectorError, match="lathe-02 refused command abort") as err:
            await poller.command(lathe.equipment, Command.ABORT)
        assert err.value.code == "connect.command_refused"
        with pytest.raises(BadInput, match="PackML commands only"):
            await poller.command(lathe.equipment, Command.JOB)
        with pytest.raises(NotFound, match="no Modbus unit serves"):
            await poller.command("suzhou/x/y/z/nothing", Command.START)
    finally:
        await poller.stop()
    assert [c[1] for c in control.calls] == [
        Command.START,
        Command.ABORT,
        Command.HOLD,
        Command.ABORT,
    ]
    assert gateway.health().metrics["commands_refused"] == 2


async def test_producer_thread_never_tears_a_value(
    gateway: ModbusGateway, raw: AsyncModbusTcpClient
) -> None:
    lathe = unit(gateway, "lathe-02")
    energy = next(p for p in lathe.points if p.tag.endswith("/energy"))  # float64, 4 registers
    others = [TagValue(p.tag, 0, value_for(p, 0)) for p in lathe.points if p is not energy]
    gateway.on_values(others)
    pushed = [float(2**40 + i * 65537.000001) for i in range(1000)]
    stop = threading.Event()

    def produce() -> None:
        i = 0
        while not stop.is_set():
            gateway.on_values([TagValue(energy.tag, i, pushed[i % len(pushed)])])
            i += 1

    gateway.on_values([TagValue(energy.tag, 0, pushed[0])])
    thread = threading.Thread(target=produce, name="plant-producer")
    thread.start()
    try:
        seen = set()
        for _ in range(300):
            resp = await raw.read_holding_registers(energy.address, count=4, device_id=1)
            seen.add(energy.decode(resp.registers))
    finally:
        stop.set()
        thread.join(timeout=10)
    assert seen <= set(pushed)
    assert len(seen) > 1  # the producer really ran concurrently


async def test_out_of_range_values_mark_the_tag_bad_without_raising(
    gateway: ModbusGateway, raw: AsyncModbusTcpClient
) -> None:
    push_all(gateway)
    lathe = unit(gateway, "lathe-02")
    load = next(i for i, p in enumerate(lathe.points) if p.tag.endswith("/spindle_load"))
    gateway.on_values([TagValue(lathe.points[load].tag, 5, 5000.0)])  # int16 x 0.1 max 3276.7
    gateway.on_block(TagBlock(lathe.points[0].tag, 6, 10.0, np.array([4.0, 6.0])))
    diag = await raw.read_holding_registers(1002, count=3, device_id=1)
    assert diag.registers == [0b01, 1, 1 << load]
    state = await raw.read_holding_registers(0, count=1, device_id=1)
    assert state.registers == [6]  # the block's last sample
    assert gateway.health().metrics["rejected_values"] == 1


async def test_poller_marks_bad_when_the_gateway_stops_and_recovers(
    gateway: ModbusGateway,
) -> None:
    push_all(gateway)
    got: list[Sample] = []
    poller = poller_for(
        gateway,
        got.extend,
        timeout_s=1.0,
        poll_interval_s=0.05,
        backoff_initial_s=0.05,
        backoff_max_s=0.4,
    )
    tags = [p.tag for u in gateway.units for p in u.points]

    def all_quality(q: Quality) -> bool:
        return all(t in poller.latest and poller.latest[t].quality is q for t in tags)

    await poller.start()
    try:
        await wait_until(lambda: all_quality(Quality.GOOD), "first good poll")
        assert poller.health().ok
        port = gateway.port
        await gateway.stop()
        await wait_until(lambda: all_quality(Quality.BAD), "every tag bad after the stop")
        assert sorted(poller.errors) == sorted(u.equipment for u in gateway.units)
        assert all(isinstance(e, ConnectorUnavailable) for e in poller.errors.values())
        assert not poller.health().ok
        bad_before = len(got)
        await gateway.start()
        assert gateway.port == port
        await wait_until(lambda: all_quality(Quality.GOOD), "recovery after the restart")
        assert not poller.errors and poller.health().ok
        assert poller.health().metrics["connects"] >= 2
    finally:
        await poller.stop()
    bad = [s for s in got[:bad_before] if s.quality is Quality.BAD]
    assert sorted(s.tag for s in bad) == sorted(tags)  # one bad sample per tag, logged once
    assert all(s.value is None for s in bad)
