"""A Modbus device's online flag follows what its polls give: online with good values (the
equipment page said "Online: no" beside fresh values), offline when its reads fail."""

from __future__ import annotations

from shopfloor.clock import WallClock
from shopfloor.connect.modbus.feed import ModbusFeed
from shopfloor.connect.modbus.layout import ModbusServer
from shopfloor.connect.status import ConnectorStatus
from shopfloor.samples import Quality, Sample

LATHE = "suzhou/machining/line1/turning/lathe-02"
WASHER = "suzhou/machining/line1/washing/washer-01"


class _Sink:
    async def on_samples(self, batch: object) -> None:
        return None

    async def on_events(self, events: object) -> None:
        return None


async def test_online_follows_good_and_bad_polls() -> None:
    status = ConnectorStatus(WallClock())
    feed = ModbusFeed(ModbusServer("127.0.0.1", 5020, ()), _Sink(), WallClock(), status)

    def online() -> dict[str, object]:
        devices = status.snapshot()["connectors"]["modbus-poller"]["devices"]
        return {path: d["online"] for path, d in devices.items()}

    good = [Sample(f"{LATHE}/state", 1, 6.0), Sample(f"{WASHER}/state", 1, 6.0)]
    await feed._send(good)
    assert online() == {LATHE: True, WASHER: True}
    await feed._send([Sample(f"{LATHE}/state", 2, None, Quality.BAD), good[1]])
    assert online() == {LATHE: False, WASHER: True}
    await feed._send(good)
    assert online() == {LATHE: True, WASHER: True}
