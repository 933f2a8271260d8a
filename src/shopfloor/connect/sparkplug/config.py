"""Settings of the Sparkplug B edge node that serves the virtual plant.

One :class:`EdgeConfig` holds everything :class:`~shopfloor.connect.sparkplug.edge.SparkplugEdge`
needs besides the plant and its control: where the broker is, how clients are named, how often
data is published and how much is kept while the broker is away. :meth:`EdgeConfig.validate`
checks every field and raises :class:`~shopfloor.errors.ConfigError` naming the bad one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from shopfloor.errors import ConfigError

DEFAULT_PORT = 1883
#: Characters that a Sparkplug group id or edge node id must not contain (topic structure).
_TOPIC_RESERVED = re.compile(r"[/+#]")


@dataclass(frozen=True, slots=True)
class Broker:
    """A parsed ``mqtt://[user[:password]@]host[:port]`` URL."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None


def parse_broker_url(url: str) -> Broker:
    """Parse a broker URL; anything but ``mqtt://host[:port]`` raises :class:`ConfigError`."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigError("broker_url: empty; expected mqtt://host:port", field="broker_url")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"broker_url {url!r}: {exc}", field="broker_url") from None
    if parts.scheme != "mqtt":
        raise ConfigError(
            f"broker_url {url!r}: scheme must be 'mqtt' (mqtt://host:port), "
            f"not {parts.scheme or 'missing'!r}",
            field="broker_url",
        )
    if not parts.hostname:
        raise ConfigError(f"broker_url {url!r}: the host is missing", field="broker_url")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(
            f"broker_url {url!r}: must not have a path, query or fragment", field="broker_url"
        )
    if port == 0:
        raise ConfigError(f"broker_url {url!r}: port must be 1-65535", field="broker_url")
    return Broker(
        host=parts.hostname,
        port=port or DEFAULT_PORT,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def check_topic_id(what: str, value: str) -> str:
    """A Sparkplug group / edge node / device id: non-empty, no ``/``, ``+`` or ``#``."""
    if not value or _TOPIC_RESERVED.search(value):
        raise ConfigError(
            f"{what} {value!r}: must be non-empty and must not contain '/', '+' or '#'",
            field=what,
        )
    return value


@dataclass(frozen=True)
class EdgeConfig:
    """How the edge node talks to the broker. Build it, then call :meth:`validate`."""

    #: ``mqtt://[user[:password]@]host[:port]`` (port 1883 when omitted).
    broker_url: str
    #: MQTT client ids are ``<prefix>-<group>-<edge node>`` (one connection per edge node).
    client_id_prefix: str = "shopfloor"
    #: Sparkplug group id for every edge node; None = each equipment's ``endpoint.group`` or
    #: the site id.
    group_id: str | None = None
    #: Wall seconds over which values are batched into one DDATA per device.
    publish_interval_s: float = 0.1
    #: MQTT keep-alive (seconds); the broker publishes the NDEATH after 1.5 x this of silence.
    keepalive_s: int = 30
    #: QoS of NDATA / DDATA / DDEATH (Sparkplug says 0; 1 is allowed for lossless tests).
    data_qos: int = 0
    #: Reconnect back-off: first wait, doubled per failed attempt up to the maximum (seconds).
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    #: Values, blocks and events waiting for the publisher; beyond this the oldest are dropped.
    max_pending: int = 1_000_000
    #: Blocks and events kept per edge node while it is offline (sent after the births).
    max_offline: int = 10_000
    #: Malformed or failed NCMD / DCMD messages kept for inspection (the newest).
    parked_max: int = 100
    #: Seconds to wait for the explicit NDEATH to reach the broker on a clean stop.
    stop_timeout_s: float = 5.0
    #: The primary host application's id (Sparkplug 3.0): births wait until its STATE on
    #: ``spBv1.0/STATE/<id>`` says online; when it goes offline the session ends and the
    #: plant's events and waveforms are kept (``max_offline``) and sent as historical to the
    #: host when it is back. None: no primary host, publish whenever connected.
    primary_host_id: str | None = None

    def validate(self) -> EdgeConfig:
        """Return ``self`` if every field is valid, else raise :class:`ConfigError`."""
        parse_broker_url(self.broker_url)
        if not self.client_id_prefix or _TOPIC_RESERVED.search(self.client_id_prefix):
            raise ConfigError(
                f"client_id_prefix {self.client_id_prefix!r}: must be non-empty, without "
                "'/', '+' or '#'",
                field="client_id_prefix",
            )
        if self.group_id is not None:
            check_topic_id("group_id", self.group_id)
        if self.primary_host_id is not None:
            check_topic_id("primary_host_id", self.primary_host_id)
        checks: list[tuple[str, bool, str]] = [
            ("publish_interval_s", 0.001 <= self.publish_interval_s <= 60, "0.001-60 seconds"),
            ("keepalive_s", 1 <= self.keepalive_s <= 65535, "1-65535 seconds"),
            ("data_qos", self.data_qos in (0, 1), "0 or 1"),
            ("reconnect_min_s", 1 <= self.reconnect_min_s <= 3600, "1-3600 seconds"),
            (
                "reconnect_max_s",
                self.reconnect_min_s <= self.reconnect_max_s <= 3600,
                "reconnect_min_s-3600 seconds",
            ),
            ("max_pending", self.max_pending >= 1, "at least 1"),
            ("max_offline", self.max_offline >= 0, "0 or more"),
            ("parked_max", self.parked_max >= 1, "at least 1"),
            ("stop_timeout_s", 0 < self.stop_timeout_s <= 600, "0-600 seconds"),
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
