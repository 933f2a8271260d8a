"""Machine events as OPC UA events.

Every :class:`~shopfloor.events.MachineEvent` of a served equipment becomes one event of type
``MachineEventType`` (a subtype of BaseEventType in the plant namespace, node id
``MachineEventType``) with the properties

- ``Kind`` (String): the event kind (``state_change``, ``part_complete``, ``alarm``...);
- ``Equipment`` (String): the equipment path; ``OrderId``, ``Serial`` (String, empty if none);
- ``Payload`` (String): the event payload as compact JSON; ``Sequence`` (UInt32): its seq;

``Time`` is the event's time in the plant, ``SourceNode``/``SourceName`` the equipment object,
``Severity`` follows :data:`SEVERITY`. Each event is notified twice: on the equipment object (for
clients watching one machine) and on the Server object (for clients watching the whole plant).
"""

from __future__ import annotations

import json
from typing import Any

from asyncua import Server, ua
from asyncua.server.event_generator import EventGenerator

from shopfloor.clock import from_ns
from shopfloor.events import EventKind, MachineEvent

from .uatypes import node_id, qname, std

EVENT_TYPE = "MachineEventType"
FIELDS: tuple[tuple[str, ua.VariantType], ...] = (
    ("Kind", ua.VariantType.String),
    ("Equipment", ua.VariantType.String),
    ("OrderId", ua.VariantType.String),
    ("Serial", ua.VariantType.String),
    ("Payload", ua.VariantType.String),
    ("Sequence", ua.VariantType.UInt32),
)
#: OPC UA severity (1-1000) by event kind; kinds not listed are 100.
SEVERITY: dict[EventKind, int] = {
    EventKind.FAILURE: 800,
    EventKind.ALARM: 600,
    EventKind.DOWNTIME: 400,
    EventKind.PART_SCRAP: 300,
    EventKind.STATE_CHANGE: 200,
}


async def create_event_type(server: Server, ns: int) -> ua.NodeId:
    base = server.get_node(std(ua.ObjectIds.BaseEventType))
    etype = await base.add_object_type(node_id(EVENT_TYPE, ns), qname(EVENT_TYPE, ns))
    for name, vtype in FIELDS:
        prop = await etype.add_property(
            node_id(f"{EVENT_TYPE}/{name}", ns),
            qname(name, ns),
            ua.get_default_value(vtype),
            varianttype=vtype,
        )
        await prop.set_modelling_rule(True)
    return etype.nodeid


def _message(event: MachineEvent) -> str:
    p = event.payload
    if event.kind is EventKind.STATE_CHANGE and "state" in p:
        return f"state {p['state']}"
    if event.kind is EventKind.ALARM:
        text = p.get("text") or p.get("code", "")
        return f"alarm {'raised' if p.get('active', True) else 'cleared'}: {text}"
    return str(event.kind)


class EventPublisher:
    """Notifies machine events on their equipment object and on the Server object."""

    def __init__(
        self,
        plant_wide: EventGenerator,
        per_equipment: dict[str, EventGenerator],
        sources: dict[str, tuple[ua.NodeId, str]],
    ) -> None:
        self._plant_wide = plant_wide
        self._per_equipment = per_equipment
        self._sources = sources

    @classmethod
    async def create(
        cls, server: Server, ns: int, equipment: dict[str, ua.NodeId]
    ) -> EventPublisher:
        etype = await create_event_type(server, ns)
        per_equipment = {
            path: await server.get_event_generator(etype, node) for path, node in equipment.items()
        }
        sources = {path: (node, path.rsplit("/", 1)[-1]) for path, node in equipment.items()}
        plant_wide = await server.get_event_generator(etype, ua.ObjectIds.Server)
        return cls(plant_wide, per_equipment, sources)

    def serves(self, equipment: str) -> bool:
        return equipment in self._per_equipment

    async def publish(self, event: MachineEvent) -> None:
        node, name = self._sources[event.equipment]
        fields: dict[str, Any] = {
            "Kind": str(event.kind),
            "Equipment": event.equipment,
            "OrderId": event.order_id or "",
            "Serial": event.serial or "",
            "Payload": json.dumps(
                event.payload, separators=(",", ":"), sort_keys=True, default=str
            ),
            "Sequence": event.seq & 0xFFFFFFFF,
            "Severity": SEVERITY.get(event.kind, 100),
            "SourceNode": node,
            "SourceName": name,
        }
        when, message = from_ns(event.ts_ns), _message(event)
        for gen in (self._per_equipment[event.equipment], self._plant_wide):
            for key, value in fields.items():
                setattr(gen.event, key, value)
            await gen.trigger(time_attr=when, message=message)
