"""An outlet that keeps what the plant emits in memory (datasets, notebooks, tests)."""

from __future__ import annotations

from collections.abc import Sequence

from shopfloor.events import EventKind, MachineEvent
from shopfloor.sim.outlet import TagBlock, TagValue


class Recorder:
    """A :class:`~shopfloor.sim.outlet.PlantOutlet` that records values, blocks and events."""

    def __init__(self, values: bool = True) -> None:
        self.keep_values = values
        self.values: list[TagValue] = []
        self.blocks: list[TagBlock] = []
        self.events: list[MachineEvent] = []
        self.value_count = 0

    def on_values(self, values: Sequence[TagValue]) -> None:
        self.value_count += len(values)
        if self.keep_values:
            self.values.extend(values)

    def on_block(self, block: TagBlock) -> None:
        self.value_count += len(block.values)
        if self.keep_values:
            self.blocks.append(block)

    def on_event(self, event: MachineEvent) -> None:
        self.events.append(event)

    def events_of(self, kind: EventKind, equipment: str | None = None) -> list[MachineEvent]:
        return [
            e
            for e in self.events
            if e.kind is kind and (equipment is None or e.equipment == equipment)
        ]
