"""The Modbus TCP row of the connector registry (:mod:`shopfloor.connect.registry`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopfloor.clock import Clock
from shopfloor.connect.modbus.feed import ModbusFeed
from shopfloor.connect.modbus.layout import ModbusServer, modbus_servers
from shopfloor.connect.registry import BuildContext, Session
from shopfloor.plant.model import Connectivity, Equipment, Plant, Tag
from shopfloor.service import Service

if TYPE_CHECKING:
    from shopfloor.assess.probe import DeviceProbe

_TABLE = {"holding": "HR", "input": "IR", "coil": "coil", "discrete": "DI"}


class ModbusConnector:
    name = "modbus"
    title = "Modbus TCP"
    uses_broker = False
    default_setting = "modbus_url"

    def sessions(self, plant: Plant, default_url: str | None) -> tuple[list[Session], list[str]]:
        servers, missing = modbus_servers(plant, default_url)
        rows = [Session(self.name, s.url, tuple(u.equipment for u in s.units), s) for s in servers]
        return rows, missing

    def service(self, session: Session, ctx: BuildContext) -> Service:
        server: ModbusServer = session.detail
        name = "modbus-poller" if ctx.index == 0 else f"modbus-poller-{ctx.index + 1}"
        return ModbusFeed(
            server, ctx.sink, ctx.clock, ctx.status, poll_interval_s=ctx.poll_interval_s,
            name=name,
        )  # fmt: skip

    async def probe(
        self, plant: Plant, session: Session, observe_s: float, timeout_s: float,
        pki_dir: Path, clock: Clock,
    ) -> list[DeviceProbe]:  # fmt: skip
        from shopfloor.assess.probe import Target
        from shopfloor.assess.probe_modbus import probe_modbus

        server: ModbusServer = session.detail
        target = Target(self.name, f"{server.host}:{server.port}", session.equipment)
        return await probe_modbus(plant, target, observe_s, timeout_s, clock)

    def where(self, plant: Plant, eq: Equipment) -> str:
        ep = eq.endpoint
        at = ep.url or (f"{ep.host}:{ep.port or 502}" if ep.host else "")
        if not at:
            at = "gateway" if eq.connectivity is Connectivity.GATEWAY else "modbus_url"
        unit = ep.unit_id if ep.unit_id is not None else 1
        return f"{at} unit {unit}"

    def address(self, eq: Equipment, path: str, tag: Tag) -> str:
        m = tag.modbus
        if m is None:
            return "-"
        if m.bit:
            return f"{_TABLE[m.table]} {m.address}"
        return f"{_TABLE[m.table]} {m.address} {m.type.value} x{m.scale:g}"

    def claims(self, source: str) -> bool:
        return source.lower().endswith(".csv")

    async def discover(self, source: str, seconds: float) -> tuple[list[dict[str, Any]], list[str]]:
        from shopfloor.connect.modbus.discover import discover_modbus_csv

        return discover_modbus_csv(source)


CONNECTOR = ModbusConnector()
