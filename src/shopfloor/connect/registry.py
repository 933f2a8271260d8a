"""The connector contract and the registry of protocols.

Every protocol shopfloor reads is one :class:`Connector` row, found by entry point in the group
``shopfloor.connectors`` (in ``pyproject.toml``:
``opcua = "shopfloor.connect.opcua.plugin:CONNECTOR"``).
A protocol lives in one folder ``connect/<protocol>/`` with the same file set: ``config.py``
(typed settings with ``validate()``), its client or service, ``plugin.py`` (the row). A third
party adds a protocol by publishing a package with such a row under the same entry point group.

A row answers, for a plant:

* :meth:`Connector.sessions` - which sessions to open (one per server, broker or device, from
  each equipment's ``endpoint`` or the protocol's default from the settings) and which equipment
  has nowhere to be read;
* :meth:`Connector.service` - the :class:`~shopfloor.service.Service` of one session, delivering
  samples and events to a :class:`~shopfloor.connect.sink.SampleSink` and reporting per-device
  status to :class:`~shopfloor.connect.status.ConnectorStatus`; it may also write commands
  (``command(equipment, command)``);
* :meth:`Connector.probe` - the interconnection test of one session;
* :meth:`Connector.claims` / :meth:`Connector.discover` - draft equipment from a server, a
  broker or a register map (``shopfloor plant discover``);
* :meth:`Connector.address` / :meth:`Connector.where` - how a tag and an equipment are named in
  the networking list.

The runtime, ``serve`` and the assessment read the rows; none of them switches on protocol names.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from shopfloor.clock import Clock
from shopfloor.connect.sink import SampleSink
from shopfloor.connect.status import ConnectorStatus
from shopfloor.errors import ConfigError
from shopfloor.plant.model import Equipment, Plant, Tag
from shopfloor.service import Service

if TYPE_CHECKING:
    from shopfloor.assess.probe import DeviceProbe

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "shopfloor.connectors"
#: The rows shipped with shopfloor, used as they are when the package metadata is not installed
#: (running from a source tree); installed entry points win.
BUILTIN = {
    "opcua": "shopfloor.connect.opcua.plugin:CONNECTOR",
    "sparkplug": "shopfloor.connect.sparkplug.plugin:CONNECTOR",
    "modbus": "shopfloor.connect.modbus.plugin:CONNECTOR",
}


@dataclass(frozen=True)
class Session:
    """One connection a connector opens: where, the equipment read through it, and the
    protocol's own description of it (server, security, user...)."""

    protocol: str
    url: str
    equipment: tuple[str, ...]
    detail: Any = None


@dataclass(frozen=True)
class BuildContext:
    """What the runtime hands a connector when it builds one session's service."""

    plant: Plant
    sink: SampleSink
    clock: Clock
    status: ConnectorStatus
    #: Seconds between polls of polled protocols (Modbus).
    poll_interval_s: float = 1.0
    #: Client certificates and trust lists of secured sessions.
    pki_dir: Path | None = None
    #: Stable id of this platform on shared infrastructure (Sparkplug host id).
    host_id: str = "shopfloor"
    #: ``<protocol>-<n>`` names: the n-th session of the protocol (0 first).
    index: int = 0
    #: ``(ts_ns, seq)`` of the newest machine event already stored for an equipment (None:
    #: none): where a connector that can read what it missed (OPC UA event history) resumes.
    resume: Callable[[str], tuple[int, int] | None] | None = None


Probe = Callable[..., Awaitable[list["DeviceProbe"]]]


@runtime_checkable
class Connector(Protocol):
    """One protocol: see the module docstring."""

    #: Protocol name as the plant file writes it (``protocol: opcua``).
    name: str
    #: Name shown to people (``OPC UA``).
    title: str
    #: The settings field holding the default endpoint (``opcua_url``), None when there is none.
    default_setting: str | None
    #: True when the protocol travels over MQTT, whose default endpoint is the platform's broker
    #: (``serve`` starts the embedded broker when such equipment names no broker of its own).
    uses_broker: bool

    def sessions(self, plant: Plant, default_url: str | None) -> tuple[list[Session], list[str]]:
        """Sessions for the plant's equipment of this protocol, and the equipment paths that
        have no endpoint (neither their own nor ``default_url``)."""
        ...

    def service(self, session: Session, ctx: BuildContext) -> Service:
        """The service reading one session into ``ctx.sink``."""
        ...

    async def probe(
        self,
        plant: Plant,
        session: Session,
        observe_s: float,
        timeout_s: float,
        pki_dir: Path,
        clock: Clock,
    ) -> list[DeviceProbe]:
        """The interconnection test of one session: one row per equipment."""
        ...

    def where(self, plant: Plant, eq: Equipment) -> str:
        """Where ``eq`` is reached, for the networking list."""
        ...

    def address(self, eq: Equipment, path: str, tag: Tag) -> str:
        """The source address of ``tag``, for the data point list."""
        ...

    def claims(self, source: str) -> bool:
        """True when ``source`` (a URL or a file) is this protocol's to discover."""
        ...

    async def discover(self, source: str, seconds: float) -> tuple[list[dict[str, Any]], list[str]]:
        """Equipment documents (as the plant file writes them, each with its own endpoint) for
        what ``source`` holds, and notes for the user; ``seconds`` bounds listening."""
        ...


def _load(ref: str) -> Connector:
    module, _, attr = ref.partition(":")
    row = getattr(importlib.import_module(module), attr)
    if not isinstance(row, Connector):
        raise ConfigError(f"connector {ref!r} does not implement shopfloor's Connector contract")
    return row


@cache
def registry() -> dict[str, Connector]:
    """Every registered protocol by name, shipped rows first."""
    found: dict[str, Connector] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            row = ep.load()
        except Exception as exc:  # a broken third-party package must not stop the platform
            log.error("connector entry point %s = %s cannot be loaded: %s", ep.name, ep.value, exc)
            continue
        if not isinstance(row, Connector) or row.name != ep.name:
            log.error("connector entry point %s = %s is not a Connector named %r; ignored",
                      ep.name, ep.value, ep.name)  # fmt: skip
            continue
        found[ep.name] = row
    rows = {name: found.pop(name) if name in found else _load(ref) for name, ref in BUILTIN.items()}
    return rows | found


def connector(name: str) -> Connector:
    """The row of protocol ``name``; ConfigError naming the known ones when there is none."""
    rows = registry()
    if name not in rows:
        known = ", ".join(sorted(rows))
        raise ConfigError(f"no connector for protocol {name!r} (known: {known})", field="protocol")
    return rows[name]


def title(protocol: str) -> str:
    """The people's name of a protocol (``-`` for none)."""
    row = registry().get(protocol)
    return row.title if row is not None else ("-" if protocol == "none" else protocol)
