"""The command channel from MES to the machines: one :class:`~shopfloor.mes.JobSender` that
routes each job by the protocol its equipment speaks.

=========== ============================================= ===================================
protocol    channel (client side)                         job on the wire
=========== ============================================= ===================================
opcua       :class:`~shopfloor.connect.opcua.connector.    method ``ReceiveJob(OrderId,
            OpcUaConnector`                               Product, Quantity)``
sparkplug   :class:`~shopfloor.connect.sparkplug.host.     DCMD ``Command/Job`` (JSON
            SparkplugHost`                                order_id, product, quantity,
                                                          operation)
modbus      none: the register map takes PackML commands, jobs are not dispatched there
none        none: operators enter counts (CLI, API)
=========== ============================================= ===================================

Both connectors implement :class:`~shopfloor.sim.outlet.PlantControl` (``command()`` blocks
until the machine answers and is safe from any thread but the connector's event loop), so a
channel is a ``PlantControl`` or a function returning one (or None while it is not up yet: the
demo creates its connectors when the servers' ports are known). ``ReceiveJob`` has no operation
argument: the machine takes every operation of the order it is eligible for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from shopfloor.errors import ConfigError, ConnectorUnavailable
from shopfloor.mes.jobs import JobAck
from shopfloor.plant.model import Plant, Protocol
from shopfloor.sim.outlet import Command, PlantControl

ChannelLike = PlantControl | Callable[[], PlantControl | None]

#: Protocols a job can be sent over; each gets the job arguments it understands.
JOB_PROTOCOLS = frozenset({Protocol.OPCUA, Protocol.SPARKPLUG})


class Channels:
    """A :class:`~shopfloor.mes.JobSender` over the connectors, by equipment protocol."""

    def __init__(self, plant: Plant, channels: Mapping[Protocol | str, ChannelLike]) -> None:
        self.plant = plant
        self._channels: dict[Protocol, ChannelLike] = {}
        for proto, channel in channels.items():
            self.add(proto, channel)

    def add(self, protocol: Protocol | str, channel: ChannelLike) -> None:
        """Send the jobs of ``protocol`` equipment through ``channel``."""
        try:
            proto = Protocol(protocol)
        except ValueError:
            raise ConfigError(f"unknown protocol {protocol!r} for a job channel") from None
        if proto not in JOB_PROTOCOLS:
            ok = ", ".join(sorted(p.value for p in JOB_PROTOCOLS))
            raise ConfigError(f"jobs cannot be sent over {proto.value} (only {ok})")
        self._channels[proto] = channel

    @property
    def protocols(self) -> frozenset[Protocol]:
        return frozenset(self._channels)

    def reaches(self, equipment: str) -> bool:
        """Whether jobs for ``equipment`` (path) have a channel."""
        eq = self.plant.equipment(equipment)
        return eq.networked and eq.protocol in self._channels

    def control(self, equipment: str) -> PlantControl:
        eq = self.plant.equipment(equipment)
        channel = self._channels.get(eq.protocol)
        if channel is None or not eq.networked:
            raise ConnectorUnavailable(
                f"no job channel for {equipment} ({eq.connectivity}, {eq.protocol}); "
                "its work is entered by operators"
            )
        # a connector has command(); anything else is the function that returns one
        control = channel if hasattr(channel, "command") else channel()
        if control is None:
            raise ConnectorUnavailable(f"the {eq.protocol} channel for {equipment} is not up yet")
        return control

    def job_args(
        self, equipment: str, order_id: str, product: str, quantity: int, operation: str
    ) -> dict[str, Any]:
        args: dict[str, Any] = {"order_id": order_id, "product": product, "quantity": quantity}
        if self.plant.equipment(equipment).protocol is Protocol.SPARKPLUG:
            args["operation"] = operation
        return args

    def send_job(
        self, equipment: str, order_id: str, product: str, quantity: int, operation: str
    ) -> JobAck:
        """:class:`~shopfloor.mes.JobSender`: the machine's answer; raises
        :class:`~shopfloor.errors.ConnectorError` when the machine cannot be reached."""
        args = self.job_args(equipment, order_id, product, quantity, operation)
        result = self.control(equipment).command(equipment, Command.JOB, args)
        return JobAck(result.ok, result.message)


def connector_channels(
    connectors: Callable[[], Iterable[object]],
) -> dict[Protocol | str, ChannelLike]:
    """Job channels found among ``connectors()`` each time a job is sent: the OPC UA connector
    and the Sparkplug host that a service creates at its start (``IngestService.connectors``)."""
    from shopfloor.connect.opcua.connector import OpcUaConnector
    from shopfloor.connect.sparkplug.host import SparkplugHost

    def first(kind: type[Any]) -> Callable[[], PlantControl | None]:
        return lambda: next((c for c in connectors() if isinstance(c, kind)), None)

    return {Protocol.OPCUA: first(OpcUaConnector), Protocol.SPARKPLUG: first(SparkplugHost)}
