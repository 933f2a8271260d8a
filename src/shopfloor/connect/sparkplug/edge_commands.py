"""NCMD and DCMD of one edge node: decoded, checked, carried out, reported; the rest parked.

The command metrics are listed in :mod:`shopfloor.connect.sparkplug.points`. A DCMD metric runs
its :class:`~shopfloor.sim.outlet.Command` through :class:`~shopfloor.sim.outlet.PlantControl`
for the device's equipment; its outcome becomes a ``Command/Result`` metric. An NCMD asks the
node for a rebirth or a reboot. Nothing here raises: a payload that cannot be decoded, a topic or
device that is not ours, or a command value that is wrong is counted and parked
(:class:`Parked`: topic, reason, payload); a metric that is not a command is counted and logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from shopfloor.clock import Clock
from shopfloor.connect.sparkplug.codec import Metric, Payload, decode_payload
from shopfloor.connect.sparkplug.points import (
    COMMANDS,
    NODE_METRICS,
    REBIRTH,
    REBOOT,
    NodePoints,
    command_births,
    result_metric,
)
from shopfloor.connect.sparkplug.topics import MessageType, TopicError, parse_topic
from shopfloor.errors import BadInput, DecodeError, ShopfloorError
from shopfloor.sim.outlet import Command, PlantControl

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Parked:
    """A command message that could not be carried out, kept with the reason."""

    ts_ns: int
    topic: str
    reason: str
    payload: bytes


class NodeRequest(Enum):
    """What an NCMD asks of the edge node."""

    NONE = "none"
    REBIRTH = "rebirth"
    REBOOT = "reboot"


def parse_command(name: str, value: object) -> tuple[Command, dict[str, Any]] | None:
    """A DCMD metric as a plant command; None for ``false`` (nothing to do).

    Raises :class:`BadInput` naming what is wrong with the value.
    """
    command = COMMANDS[name]
    if command is not Command.JOB:
        if not isinstance(value, bool):
            raise BadInput(f"{name}: value must be Boolean true, got {value!r}")
        return (command, {}) if value else None
    if not isinstance(value, str):
        raise BadInput(f"{name}: value must be a String holding a JSON object, got {value!r}")
    try:
        args = json.loads(value)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{name}: value is not JSON: {exc}") from None
    if not isinstance(args, Mapping):
        raise BadInput(f"{name}: value must be a JSON object")
    missing = [k for k in ("order_id", "product", "quantity") if k not in args]
    if missing:
        raise BadInput(f"{name}: missing {', '.join(missing)}")
    quantity = args["quantity"]
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise BadInput(f"{name}: quantity must be a positive integer, got {quantity!r}")
    return Command.JOB, dict(args)


class CommandDesk:
    """Carries out the commands addressed to one edge node; counts and parks the bad ones."""

    def __init__(
        self,
        node: NodePoints,
        control: PlantControl,
        clock: Clock,
        stats: dict[str, int],
        park: Callable[[Parked], None],
    ) -> None:
        self.node, self.control, self.clock = node, control, clock
        self.stats, self._park_to = stats, park
        self.devices = {d.device_id: d for d in node.devices}
        self.commands = self.parked = 0
        #: Resolves metrics that a host sends by alias only (aliases come from our births).
        self.birth = Payload(
            metrics=[Metric(name=n, alias=node.node_alias[n], datatype=t) for n, t in NODE_METRICS]
            + [m for d in node.devices for m in command_births(d, 0)]
        )

    def handle(self, topic: str, data: bytes) -> tuple[NodeRequest, list[tuple[str, Metric]]]:
        """Carry out one message; return the node request and the result metrics per device."""
        try:
            where = parse_topic(topic)
            payload = decode_payload(data, birth=self.birth)
        except (TopicError, DecodeError) as exc:
            self._park(topic, data, exc.message)
            return NodeRequest.NONE, []
        if where.message_type is MessageType.NCMD:
            return self._node(topic, data, payload), []
        dev = self.devices.get(where.device_id or "")
        if where.message_type is not MessageType.DCMD or dev is None:
            self._park(topic, data, "no such device on this edge node")
            return NodeRequest.NONE, []
        results = []
        for m in payload.metrics:
            if m.name not in COMMANDS:
                self._unknown(topic, m)
                continue
            try:
                parsed = parse_command(m.name, m.value)
            except BadInput as exc:
                self._park(topic, data, exc.message)
                continue
            if parsed is not None:
                ok, message = self._run(dev.equipment_path, *parsed)
                now_ms = self.clock.now_ns() // 1_000_000
                result = result_metric(dev.result_alias, parsed[0].value, ok, message, now_ms)
                results.append((dev.device_id, result))
        return NodeRequest.NONE, results

    def _run(self, equipment: str, command: Command, args: dict[str, Any]) -> tuple[bool, str]:
        self.commands += 1
        self.stats["commands"] += 1
        try:
            result = self.control.command(equipment, command, args)
        except ShopfloorError as exc:  # the plant said no in its own words
            return False, exc.message
        except Exception as exc:  # the plant's failure must not stop the edge node
            log.exception("sparkplug edge: %s on %s failed", command.value, equipment)
            return False, f"{type(exc).__name__}: {exc}"
        return result.ok, result.message

    def _node(self, topic: str, data: bytes, payload: Payload) -> NodeRequest:
        asked = set()
        for m in payload.metrics:
            if m.name not in (REBIRTH, REBOOT):
                self._unknown(topic, m)
            elif not isinstance(m.value, bool):
                self._park(topic, data, f"{m.name}: value must be Boolean, got {m.value!r}")
            elif m.value:
                asked.add(m.name)
        if not asked:
            return NodeRequest.NONE
        self.stats["commands"] += 1
        return NodeRequest.REBOOT if REBOOT in asked else NodeRequest.REBIRTH

    def _unknown(self, topic: str, m: Metric) -> None:
        self.stats["unknown_metrics"] += 1
        log.warning(
            "sparkplug edge: %s has unknown metric %r (alias %s), ignored", topic, m.name, m.alias
        )

    def _park(self, topic: str, data: bytes, reason: str) -> None:
        self.parked += 1
        self._park_to(Parked(self.clock.now_ns(), topic, reason, data))
