"""The OPC UA row of the connector registry (:mod:`shopfloor.connect.registry`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopfloor.clock import Clock
from shopfloor.connect.opcua.connector import OpcUaConnector
from shopfloor.connect.opcua.servers import OpcUaServer, opcua_servers
from shopfloor.connect.registry import BuildContext, Session
from shopfloor.plant.model import Equipment, Plant, Tag
from shopfloor.service import Service

if TYPE_CHECKING:
    from shopfloor.assess.probe import DeviceProbe


class OpcUaRow:
    name = "opcua"
    title = "OPC UA"
    uses_broker = False
    default_setting = "opcua_url"

    def sessions(self, plant: Plant, default_url: str | None) -> tuple[list[Session], list[str]]:
        servers, missing = opcua_servers(plant, default_url)
        return [Session(self.name, s.url, s.equipment, s) for s in servers], missing

    def service(self, session: Session, ctx: BuildContext) -> Service:
        server: OpcUaServer = session.detail
        return OpcUaConnector(
            ctx.plant, server.client_config(ctx.pki_dir), ctx.sink, equipment=server.equipment,
            clock=ctx.clock, status=ctx.status, resume=ctx.resume,
            name="opcua-client" if ctx.index == 0 else f"opcua-client-{ctx.index + 1}",
        )  # fmt: skip

    async def probe(
        self, plant: Plant, session: Session, observe_s: float, timeout_s: float,
        pki_dir: Path, clock: Clock,
    ) -> list[DeviceProbe]:  # fmt: skip
        from shopfloor.assess.probe import Target
        from shopfloor.assess.probe_opcua import probe_opcua

        target = Target(self.name, session.url, session.equipment)
        return await probe_opcua(plant, target, observe_s, timeout_s, pki_dir, clock)

    def where(self, plant: Plant, eq: Equipment) -> str:
        ep = eq.endpoint
        at = ep.url or (f"opc.tcp://{ep.host}:{ep.port or 4840}" if ep.host else "opcua_url")
        return f"{at} {ep.node}" if ep.node else at

    def address(self, eq: Equipment, path: str, tag: Tag) -> str:
        if tag.opcua_path:
            return f"path {eq.endpoint.node}/{tag.opcua_path}"
        return f"node {tag.opcua_node or 's=' + path + '/' + tag.name}"

    def claims(self, source: str) -> bool:
        return source.startswith("opc.tcp://")

    async def discover(self, source: str, seconds: float) -> tuple[list[dict[str, Any]], list[str]]:
        from shopfloor.connect.opcua.discover import discover_opcua

        return await discover_opcua(source)


CONNECTOR = OpcUaRow()
