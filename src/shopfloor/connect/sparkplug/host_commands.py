"""Commands from the host to devices: DCMD out, ``Command/Result`` back (see :mod:`~.points`).

A :class:`~shopfloor.sim.outlet.Command` becomes one DCMD metric by name: ``Command/Start`` ...
(Boolean true) or ``Command/Job`` (String: the JSON object of the arguments, checked as the edge
will check it). The edge answers with a ``Command/Result`` metric in DDATA (JSON ``command``,
``ok``, ``message``); results are matched to waiting senders per (equipment, command) in order.
No answer within ``command_timeout_s`` raises :class:`~shopfloor.errors.ConnectorUnavailable`,
as does a device that is offline or a host that is not connected.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import threading
from collections import deque
from typing import Any

from shopfloor.clock import Clock
from shopfloor.connect.sparkplug.codec import DataType, Metric, Payload, encode_payload
from shopfloor.connect.sparkplug.edge_commands import parse_command
from shopfloor.connect.sparkplug.host_config import HostConfig
from shopfloor.connect.sparkplug.host_names import TagNames
from shopfloor.connect.sparkplug.host_session import HostSession
from shopfloor.connect.sparkplug.points import COMMANDS, JOB
from shopfloor.connect.sparkplug.topics import MessageType, topic_for
from shopfloor.errors import BadInput, ConnectorUnavailable, NotFound
from shopfloor.sim.outlet import Command, CommandResult

Future = concurrent.futures.Future[CommandResult]
METRIC_OF = {command: name for name, command in COMMANDS.items()}


class CommandDesk:
    """Sends DCMDs and hands each ``Command/Result`` to the sender waiting for it."""

    def __init__(
        self,
        config: HostConfig,
        names: TagNames,
        session: HostSession,
        clock: Clock,
        publish: Any,
    ) -> None:
        self.config, self.names, self.session = config, names, session
        self.clock, self.publish = clock, publish
        self._lock = threading.Lock()
        self._waiting: dict[tuple[str, str], deque[Future]] = {}

    def send(
        self, equipment: str, command: Command, args: dict[str, Any], *, connected: bool
    ) -> Future:
        names = self.names.find(equipment)
        if names is None:
            raise NotFound(f"no Sparkplug device serves equipment {equipment!r}")
        command = Command(command)
        name = METRIC_OF[command]
        value: bool | str = True
        if command is Command.JOB:
            value = json.dumps(args, separators=(",", ":"))
            parse_command(name, value)  # BadInput naming what is wrong, before anything is sent
        elif args:
            raise BadInput(f"{name} takes no arguments, got {sorted(args)}")
        if not connected:
            raise ConnectorUnavailable(f"{names.equipment}: the Sparkplug host is not connected")
        node = self.session.nodes.get((names.group_id, names.edge_node_id))
        dev = node.devices.get(names.device_id) if node is not None else None
        if dev is None or not dev.online:
            raise ConnectorUnavailable(f"{names.equipment}: device is offline (no DBIRTH)")
        ms = self.clock.now_ns() // 1_000_000
        dt = DataType.String if name == JOB else DataType.Boolean
        payload = Payload(
            timestamp=ms, metrics=[Metric(name=name, timestamp=ms, datatype=dt, value=value)]
        )
        future: Future = concurrent.futures.Future()
        with self._lock:
            self._waiting.setdefault((names.equipment, command.value), deque()).append(future)
        topic = topic_for(MessageType.DCMD, names.group_id, names.edge_node_id, names.device_id)
        self.publish(topic, encode_payload(payload))
        return future

    def _timeout(self, equipment: str, command: Command) -> ConnectorUnavailable:
        return ConnectorUnavailable(
            f"{equipment}: no Command/Result for {Command(command).value} within "
            f"{self.config.command_timeout_s} s"
        )

    def wait(self, equipment: str, command: Command, future: Future) -> CommandResult:
        try:
            return future.result(self.config.command_timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise self._timeout(equipment, command) from None

    async def wait_async(self, equipment: str, command: Command, future: Future) -> CommandResult:
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), self.config.command_timeout_s
            )
        except TimeoutError:
            future.cancel()
            raise self._timeout(equipment, command) from None

    def resolve(self, session: HostSession) -> None:
        """Hand the results the session decoded to their senders (decoder thread)."""
        results, session.results = session.results, []
        for equipment, command, ok, message in results:
            with self._lock:
                queue = self._waiting.get((equipment, command))
                while queue and queue[0].done():  # timed out or cancelled meanwhile
                    queue.popleft()
                future = queue.popleft() if queue else None
            if future is not None:
                # InvalidStateError: cancelled by its timeout just now
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    future.set_result(CommandResult(ok, message))

    def cancel_all(self, reason: str) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for queue in waiting.values():
            for future in queue:
                if not future.done():
                    future.set_exception(ConnectorUnavailable(reason))
