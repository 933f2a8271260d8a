"""The Sparkplug B row of the connector registry (:mod:`shopfloor.connect.registry`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopfloor.clock import Clock
from shopfloor.connect.registry import BuildContext, Session
from shopfloor.connect.sparkplug.host import HostConfig, SparkplugHost
from shopfloor.connect.sparkplug.host_config import sparkplug_brokers
from shopfloor.connect.sparkplug.host_names import TagNames
from shopfloor.plant.model import Equipment, Plant, Tag
from shopfloor.service import Service

if TYPE_CHECKING:
    from shopfloor.assess.probe import DeviceProbe


class SparkplugRow:
    name = "sparkplug"
    title = "MQTT / Sparkplug B"
    uses_broker = True
    default_setting = "broker_url"

    def sessions(self, plant: Plant, default_url: str | None) -> tuple[list[Session], list[str]]:
        brokers, missing = sparkplug_brokers(plant, default_url)
        names = TagNames(plant)
        rows = []
        for url, paths in brokers:
            groups = tuple(sorted({d.group_id for p in paths if (d := names.find(p)) is not None}))
            rows.append(Session(self.name, url, tuple(paths), groups))
        return rows, missing

    def service(self, session: Session, ctx: BuildContext) -> Service:
        groups: tuple[str, ...] = session.detail
        host = HostConfig(session.url, host_id=ctx.host_id, group_ids=groups or None)
        return SparkplugHost(
            ctx.plant, host, ctx.sink, clock=ctx.clock, status=ctx.status,
            name="sparkplug-host" if ctx.index == 0 else f"sparkplug-host-{ctx.index + 1}",
        )  # fmt: skip

    async def probe(
        self, plant: Plant, session: Session, observe_s: float, timeout_s: float,
        pki_dir: Path, clock: Clock,
    ) -> list[DeviceProbe]:  # fmt: skip
        from shopfloor.assess.probe import Target
        from shopfloor.assess.probe_sparkplug import probe_sparkplug

        target = Target(self.name, session.url, session.equipment)
        return await probe_sparkplug(plant, target, observe_s, timeout_s, clock)

    def where(self, plant: Plant, eq: Equipment) -> str:
        ep = eq.endpoint
        at = ep.url or (f"mqtt://{ep.host}:{ep.port or 1883}" if ep.host else "broker")
        group = ep.group or plant.site.id
        return f"{at} spBv1.0/{group}/{ep.edge_node or '<edge>'}/{ep.device or eq.id}"

    def address(self, eq: Equipment, path: str, tag: Tag) -> str:
        return f"metric {tag.sparkplug_metric or tag.name}"

    def claims(self, source: str) -> bool:
        return source.startswith("mqtt://")

    async def discover(self, source: str, seconds: float) -> tuple[list[dict[str, Any]], list[str]]:
        from shopfloor.connect.sparkplug.discover import discover_sparkplug

        return await discover_sparkplug(source, seconds)


CONNECTOR = SparkplugRow()
