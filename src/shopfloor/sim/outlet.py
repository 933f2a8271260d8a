"""What the virtual plant emits and accepts: the contract between ``sim/`` and the servers.

The simulation pushes tag values, high-rate blocks and :class:`~shopfloor.events.MachineEvent`
into a :class:`PlantOutlet`; protocol servers (OPC UA, Sparkplug B, Modbus) implement it and
serve what they receive. Commands from the outside (OPC UA methods, Sparkplug DCMD, Modbus
writes) come back through :class:`PlantControl`. Nothing else crosses between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import numpy as np

from shopfloor.events import MachineEvent
from shopfloor.samples import Quality


@dataclass(frozen=True, slots=True)
class TagValue:
    """One value of one tag. ``value`` is None when the sensor dropped out (bad quality)."""

    tag: str  # tag id: equipment path / tag name
    ts_ns: int
    value: float | int | bool | str | None
    quality: Quality = Quality.GOOD


@dataclass(frozen=True, slots=True)
class TagBlock:
    """A block of a high-rate tag: ``values[i]`` was sampled at ``start_ns + i / rate_hz``."""

    tag: str
    start_ns: int
    rate_hz: float
    values: np.ndarray
    quality: Quality = Quality.GOOD


class PlantOutlet(Protocol):
    """Receives what the virtual plant emits, in time order."""

    def on_values(self, values: Sequence[TagValue]) -> None: ...

    def on_block(self, block: TagBlock) -> None: ...

    def on_event(self, event: MachineEvent) -> None: ...


class Command(StrEnum):
    START = "start"
    STOP = "stop"
    RESET = "reset"
    HOLD = "hold"
    UNHOLD = "unhold"
    ABORT = "abort"
    CLEAR = "clear"
    JOB = "job"  # args: order_id, product, quantity, [operation]


@dataclass(frozen=True)
class CommandResult:
    ok: bool
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class PlantControl(Protocol):
    """Accepts commands for one equipment (by path); safe to call from any thread."""

    def command(self, equipment: str, command: Command, args: dict[str, Any]) -> CommandResult: ...


class FanOut:
    """A :class:`PlantOutlet` that forwards to several outlets (one per served protocol)."""

    def __init__(self, outlets: Sequence[PlantOutlet] = ()) -> None:
        self.outlets = list(outlets)

    def add(self, outlet: PlantOutlet) -> None:
        self.outlets.append(outlet)

    def on_values(self, values: Sequence[TagValue]) -> None:
        for o in self.outlets:
            o.on_values(values)

    def on_block(self, block: TagBlock) -> None:
        for o in self.outlets:
            o.on_block(block)

    def on_event(self, event: MachineEvent) -> None:
        for o in self.outlets:
            o.on_event(event)
