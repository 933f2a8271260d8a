"""One write cycle of the OPC UA server: plant values, blocks and events into served nodes.

Values carry the sample time as SourceTimestamp and the server clock as ServerTimestamp. Quality
maps to the StatusCode: good -> Good, uncertain -> Uncertain, bad (or no value) -> Bad with a
null value. A value that does not fit its variable (text for a number, an Int32 overflow) is not
written; it is counted as ``values_rejected`` and logged once per tag.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
from asyncua import Server, ua

from shopfloor.clock import Clock, from_ns
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant.states import STATE_BY_CODE, PackMLState
from shopfloor.samples import Quality
from shopfloor.sim.outlet import TagBlock, TagValue

from .address_space import ServedNodes
from .events import EventPublisher
from .points import PointTable
from .uatypes import data_value

log = logging.getLogger(__name__)

STATUS: dict[Quality, int] = {
    Quality.GOOD: ua.StatusCodes.Good,
    Quality.UNCERTAIN: ua.StatusCodes.Uncertain,
    Quality.BAD: ua.StatusCodes.Bad,
}
_STATE_BY_NAME = {s.value.lower(): s for s in PackMLState}


def packml_state(value: Any) -> PackMLState | None:
    """A PackML state from its name (any case) or number; None if it is neither."""
    if isinstance(value, PackMLState):
        return value
    if isinstance(value, str):
        return _STATE_BY_NAME.get(value.strip().lower())
    if isinstance(value, int) and not isinstance(value, bool):
        return STATE_BY_CODE.get(value)
    return None


class NodeWriter:
    def __init__(
        self,
        server: Server,
        nodes: ServedNodes,
        events: EventPublisher,
        points: PointTable,
        stats: Counter[str],
        clock: Clock,
    ) -> None:
        self._aspace = server.iserver.aspace
        self.nodes = nodes
        self.events = events
        self.points = points
        self.stats = stats
        self.clock = clock
        self._warned: set[str] = set()

    async def write_values(self, values: Iterable[TagValue]) -> None:
        now = from_ns(self.clock.now_ns())
        for v in values:
            point = self.points.by_tag[v.tag]
            status = STATUS[v.quality] if v.value is not None else ua.StatusCodes.Bad
            variant = ua.Variant(None, ua.VariantType.Null)
            if status != ua.StatusCodes.Bad and v.value is not None:
                try:
                    variant = ua.Variant(point.coerce(v.value), point.variant_type)
                except (TypeError, ValueError, OverflowError) as exc:
                    self._reject(v.tag, str(exc))
                    continue
            dv = data_value(variant, status, from_ns(v.ts_ns), now)
            await self._write(self.nodes.values[v.tag], dv, v.tag, "values_written")

    async def write_blocks(self, blocks: Iterable[TagBlock]) -> None:
        now = from_ns(self.clock.now_ns())
        for b in blocks:
            block_node, rate_node = self.nodes.blocks[b.tag]
            samples = np.asarray(b.values, dtype=np.float64).ravel()
            status = STATUS[b.quality]
            if not samples.size or not b.rate_hz > 0:
                self._reject(b.tag, f"block of {samples.size} samples at {b.rate_hz} Hz")
                continue
            samples_variant = ua.Variant(samples.tolist(), ua.VariantType.Double)
            dv = data_value(samples_variant, status, from_ns(b.start_ns), now)
            await self._write(block_node, dv, b.tag, "blocks_written")
            rate = data_value(ua.Variant(float(b.rate_hz), ua.VariantType.Double))
            await self._write(rate_node, rate, b.tag, "")
            last_ns = b.start_ns + round((samples.size - 1) * 1e9 / b.rate_hz)
            point = self.points.by_tag[b.tag]
            try:
                last = ua.Variant(point.coerce(float(samples[-1])), point.variant_type)
            except (TypeError, ValueError, OverflowError) as exc:
                self._reject(b.tag, str(exc))
                continue
            dv = data_value(last, status, from_ns(last_ns), now)
            await self._write(self.nodes.values[b.tag], dv, b.tag, "")

    async def publish(self, event: MachineEvent) -> None:
        if event.kind is EventKind.STATE_CHANGE:
            await self.write_state(event)
        await self.events.publish(event)
        self.stats["events_published"] += 1

    async def write_state(self, event: MachineEvent) -> None:
        """CurrentState and StateNumber of the equipment, from a state_change event."""
        state = packml_state(event.payload.get("state"))
        if state is None:
            self._reject(
                f"{event.equipment}/State",
                f"state_change without a PackML state: {event.payload.get('state')!r}",
            )
            return
        current, number = self.nodes.state[event.equipment]
        ts, now = from_ns(event.ts_ns), from_ns(self.clock.now_ns())
        for node, variant in (
            (current, ua.Variant(state.value, ua.VariantType.String)),
            (number, ua.Variant(state.code, ua.VariantType.UInt32)),
        ):
            dv = data_value(variant, ua.StatusCodes.Good, ts, now)
            await self._write(node, dv, f"{event.equipment}/State", "")

    async def _write(self, node: ua.NodeId, dv: ua.DataValue, what: str, counter: str) -> None:
        result = await self._aspace.write_attribute_value(node, ua.AttributeIds.Value, dv)
        if result.is_bad():
            self._reject(what, f"server refused the write: {result.name}")
        elif counter:
            self.stats[counter] += 1

    def _reject(self, what: str, why: str) -> None:
        self.stats["values_rejected"] += 1
        if what not in self._warned:
            self._warned.add(what)
            log.warning("OPC UA server: %s not served: %s (logged once)", what, why)
