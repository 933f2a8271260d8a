"""Settings of the Sparkplug B host application (:class:`~.host.SparkplugHost`).

:meth:`HostConfig.validate` checks every field and raises :class:`~shopfloor.errors.ConfigError`
naming the bad one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shopfloor.connect.sparkplug.config import Broker, check_topic_id, parse_broker_url
from shopfloor.errors import ConfigError
from shopfloor.plant.model import Connectivity, Plant, Protocol


@dataclass(frozen=True)
class HostConfig:
    """How the host application talks to the broker and judges what it receives."""

    #: ``mqtt://[user[:password]@]host[:port]``.
    broker_url: str
    #: Sparkplug host id: its STATE topic is ``spBv1.0/STATE/<host_id>``.
    host_id: str = "shopfloor"
    #: MQTT client id; default ``shopfloor-host-<host_id>`` (must be stable for a persistent
    #: session).
    client_id: str | None = None
    #: Groups to subscribe to; None: the plant's groups, or every group without a plant.
    group_ids: tuple[str, ...] | None = None
    #: The group id the edge serves the plant under when it overrides it (``EdgeConfig.group_id``).
    plant_group_id: str | None = None
    #: False keeps the MQTT session (subscriptions and QoS 1 messages) while the host is away.
    clean_session: bool = False
    keepalive_s: int = 30
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    #: Samples are handed to the sink at least this often (seconds) ...
    flush_interval_s: float = 0.1
    #: ... or as soon as this many rows are ready.
    max_batch_rows: int = 50_000
    #: Received messages waiting for the decoder; beyond this the oldest are counted and dropped.
    max_inbox: int = 200_000
    #: Decoded batches waiting for the sink before the decoder waits.
    max_pending_batches: int = 50
    #: At most one rebirth request per edge node per this many seconds.
    rebirth_interval_s: float = 5.0
    #: Sample times later than now + this, or earlier than now - past_tolerance_s, are parked.
    future_tolerance_s: float = 3600.0
    past_tolerance_s: float = 30 * 86400.0
    #: DATA held while waiting for a rebirth (all edge nodes together) and for how long.
    hold_max: int = 10_000
    hold_timeout_s: float = 30.0
    #: Parked payloads kept for inspection (the newest).
    parked_max: int = 100
    #: Seconds to wait for a ``Command/Result`` after a DCMD.
    command_timeout_s: float = 10.0
    #: Seconds to wait for the offline STATE to reach the broker on a clean stop.
    stop_timeout_s: float = 5.0

    def validate(self) -> HostConfig:
        """Return ``self`` if every field is valid, else raise :class:`ConfigError`."""
        parse_broker_url(self.broker_url)
        check_topic_id("host_id", self.host_id)
        if self.client_id is not None and not self.client_id:
            raise ConfigError("client_id: must not be empty (None picks one)", field="client_id")
        for group in self.group_ids or ():
            check_topic_id("group_ids", group)
        if self.group_ids is not None and not self.group_ids:
            raise ConfigError("group_ids: give at least one group, or None", field="group_ids")
        if self.plant_group_id is not None:
            check_topic_id("plant_group_id", self.plant_group_id)
        positive = (
            "flush_interval_s",
            "rebirth_interval_s",
            "future_tolerance_s",
            "past_tolerance_s",
            "hold_timeout_s",
            "command_timeout_s",
            "stop_timeout_s",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ConfigError(
                    f"{name} = {value!r}: must be a positive number of seconds", field=name
                )
        checks: list[tuple[str, bool, str]] = [
            ("keepalive_s", 1 <= self.keepalive_s <= 65535, "1-65535 seconds"),
            ("reconnect_min_s", 1 <= self.reconnect_min_s <= 3600, "1-3600 seconds"),
            (
                "reconnect_max_s",
                self.reconnect_min_s <= self.reconnect_max_s <= 3600,
                "reconnect_min_s-3600 seconds",
            ),
            ("max_batch_rows", self.max_batch_rows >= 1, "at least 1"),
            ("max_inbox", self.max_inbox >= 1, "at least 1"),
            ("max_pending_batches", self.max_pending_batches >= 1, "at least 1"),
            ("hold_max", self.hold_max >= 0, "0 or more"),
            ("parked_max", self.parked_max >= 1, "at least 1"),
        ]
        for name, ok, expected in checks:
            if not ok:
                raise ConfigError(
                    f"{name} = {getattr(self, name)!r}: must be {expected}", field=name
                )
        return self

    @property
    def broker(self) -> Broker:
        return parse_broker_url(self.broker_url)

    @property
    def mqtt_client_id(self) -> str:
        return self.client_id or f"shopfloor-host-{self.host_id}"


def sparkplug_brokers(
    plant: Plant, default_url: str | None
) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The plant's Sparkplug B equipment grouped by the broker its edge node publishes to, and
    the paths of equipment with no broker. An equipment's own ``endpoint`` (``url``, or host and
    port) wins; without one its broker is ``default_url`` (the settings' ``broker_url`` or the
    embedded broker)."""
    groups: dict[str, list[str]] = {}
    missing: list[str] = []
    for path, *_rest, eq in plant.walk():
        if eq.connectivity is Connectivity.NONE or eq.protocol is not Protocol.SPARKPLUG:
            continue
        ep = eq.endpoint
        url = ep.url
        if url is None and ep.host is not None:
            url = f"mqtt://{ep.host}:{ep.port or 1883}"
        if url is not None:
            try:
                parse_broker_url(url)
            except ConfigError as exc:
                raise ConfigError(f"{path}: endpoint.url: {exc.message}", field="url") from None
        url = url or default_url
        if url is None:
            missing.append(path)
            continue
        groups.setdefault(url, []).append(path)
    return list(groups.items()), missing


def own_brokers(plant: Plant) -> bool:
    """True when every Sparkplug equipment names its own broker (no default broker needed)."""
    return not sparkplug_brokers(plant, None)[1]
