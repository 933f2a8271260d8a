"""The interconnection test: really connect to every configured device and record what happens.

For each protocol endpoint of the plant (OPC UA servers, Modbus TCP gateways, MQTT brokers
carrying Sparkplug B) the platform's own connectors are started against it
(:mod:`.probe_opcua`, :mod:`.probe_modbus`, :mod:`.probe_sparkplug`), and for every equipment
the report records: the endpoint, the security mode, the browse / subscribe / read result, the
points seen against the points configured, the update rate (samples per second over the
observation window), the latency (OPC UA and Sparkplug: receive time minus the value's source
time, averaged; Modbus: request round trip) and every error met. A device passes when it was
reached and delivered values for at least one of its points without error.

Targets come from the plant file (``endpoint: {host, port}`` per equipment; Sparkplug's broker
from the equipment or the settings' ``broker_url``), or from the virtual plant served on
loopback (:func:`probe_virtual`, ports chosen by the OS), in which case the report says
``synthetic: true``.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopfloor.clock import Clock, WallClock
from shopfloor.connect.registry import Session, connector, registry
from shopfloor.connect.sink import SampleBatch
from shopfloor.errors import ConfigError
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Plant, Protocol

if TYPE_CHECKING:
    from shopfloor.runtime.virtual import VirtualPlantRuntime


@dataclass
class DeviceProbe:
    equipment: str
    protocol: str
    endpoint: str
    security: str
    connected: bool = False
    check: str = ""
    points_expected: int = 0
    points_seen: int = 0
    samples: int = 0
    update_rate: float | None = None  # samples per second
    latency_ms: float | None = None
    latency_kind: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.connected and self.points_seen > 0 and not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "equipment": self.equipment,
            "protocol": self.protocol,
            "endpoint": self.endpoint,
            "security": self.security,
            "connected": self.connected,
            "result": self.check,
            "points_expected": self.points_expected,
            "points_seen": self.points_seen,
            "samples": self.samples,
            "update_rate_per_s": self.update_rate,
            "latency_ms": self.latency_ms,
            "latency_kind": self.latency_kind,
            "errors": list(self.errors),
            "passed": self.ok,
        }


@dataclass
class ProbeReport:
    started: str
    observe_s: float
    synthetic: bool
    target: str  # "virtual" or "configured"
    devices: list[DeviceProbe]

    @property
    def passed(self) -> int:
        return sum(1 for d in self.devices if d.ok)

    def online(self) -> dict[str, bool]:
        return {d.equipment: d.ok for d in self.devices}

    def to_dict(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "observe_s": self.observe_s,
            "synthetic": self.synthetic,
            "target": self.target,
            "passed": self.passed,
            "devices_tested": len(self.devices),
            "devices": [d.to_dict() for d in self.devices],
        }


@dataclass(frozen=True)
class Target:
    protocol: str  # a registered protocol: "opcua", "modbus", "sparkplug"...
    endpoint: str  # opc.tcp://host:port/path, host:port, mqtt://host:port
    equipment: tuple[str, ...]
    #: The connector's session this target tests (None: built from ``endpoint`` alone).
    session: Session | None = None


class CountingSink:
    """Takes what a connector delivers during the test and counts it (nothing is stored)."""

    def __init__(self) -> None:
        self.rows = 0
        self.events = 0

    async def on_samples(self, batch: SampleBatch) -> None:
        self.rows += len(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        self.events += len(events)


def session_targets(
    plant: Plant, defaults: Mapping[str, str | None]
) -> tuple[list[Target], list[str]]:
    """One target per connector session (:mod:`shopfloor.connect.registry`), with
    ``defaults[protocol]`` as the endpoint of equipment that names none; and the paths of
    equipment with no endpoint at all."""
    have = {e.protocol.value for *_r, e in plant.walk() if e.networked}
    targets: list[Target] = []
    missing: list[str] = []
    for name, row in registry().items():
        if name not in have:
            continue
        sessions, lost = row.sessions(plant, defaults.get(name))
        targets += [Target(name, s.url, s.equipment, s) for s in sessions]
        missing += lost
    return targets, missing


def configured_targets(
    plant: Plant, broker_url: str | None
) -> tuple[list[Target], list[DeviceProbe]]:
    """Targets from the plant file's endpoints (Sparkplug B: the equipment's broker or
    ``broker_url``); equipment without one is reported as such."""
    defaults = {n: broker_url for n, row in registry().items() if row.uses_broker}
    targets, missing = session_targets(plant, defaults)
    protocol = {p: e.protocol.value for p, *_r, e in plant.walk()}
    return targets, [
        DeviceProbe(p, protocol[p], "", "", errors=["no endpoint configured"]) for p in missing
    ]


async def probe_targets(
    plant: Plant,
    targets: Sequence[Target],
    observe_s: float,
    timeout_s: float,
    pki_dir: Path,
    clock: Clock | None = None,
) -> list[DeviceProbe]:
    """Probe every target at once; each returns one row per equipment. ``clock`` is the
    devices' time (a virtual plant's; default the wall clock): values' timestamps are
    checked and latencies measured against it."""
    clock = clock or WallClock()
    jobs = []
    for t in targets:
        session = t.session
        if session is None:  # a bare endpoint: the protocol's sessions with it as the default
            found, _missing = session_targets(plant, {t.protocol: t.endpoint})
            session = next(
                (x.session for x in found if x.protocol == t.protocol and x.session), None
            )
        if session is None:
            raise ConfigError(f"no {t.protocol} equipment is reached at {t.endpoint}")
        row = connector(t.protocol)
        jobs.append(row.probe(plant, session, observe_s, timeout_s, pki_dir, clock))
    rows: list[DeviceProbe] = []
    for result in await asyncio.gather(*jobs):
        rows.extend(result)
    order = {p: i for i, (p, *_r) in enumerate(plant.walk())}
    rows.sort(key=lambda d: order.get(d.equipment, len(order)))
    return rows


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def probe_configured(
    plant: Plant, broker_url: str | None, observe_s: float, timeout_s: float, pki_dir: Path
) -> ProbeReport:
    started = _now()
    targets, missing = configured_targets(plant, broker_url)
    rows = await probe_targets(plant, targets, observe_s, timeout_s, pki_dir)
    return ProbeReport(started, observe_s, False, "configured", rows + missing)


def server_targets(
    plant: Plant, *, opcua: str | None, modbus: str | None, mqtt: str | None
) -> list[Target]:
    """The targets of a server that serves every equipment of its protocols (the virtual
    plant): OPC UA endpoint URL, Modbus ``host:port``, MQTT broker URL for Sparkplug B."""
    defaults = {
        "opcua": opcua,
        "modbus": f"modbus+tcp://{modbus}" if modbus else None,
        "sparkplug": mqtt,
    }
    return session_targets(plant, defaults)[0]


def runtime_targets(plant: Plant, rt: VirtualPlantRuntime) -> list[Target]:
    """The endpoints a served virtual plant listens on, as targets."""
    return server_targets(
        plant,
        opcua=rt.opcua.endpoint if rt.opcua else None,
        modbus=f"{rt.modbus.config.host}:{rt.modbus.port}" if rt.modbus else None,
        mqtt=rt.mqtt_url,
    )


async def probe_endpoints(
    plant: Plant,
    targets: Sequence[Target],
    observe_s: float,
    timeout_s: float,
    pki_dir: Path,
    clock: Clock | None = None,
) -> ProbeReport:
    """Probe the endpoints a running server knows (e.g. the demo's virtual plant): every
    networked equipment of the plant is expected at the target of its protocol."""
    started = _now()
    covered = {path for t in targets for path in t.equipment}
    rows = await probe_targets(plant, targets, observe_s, timeout_s, pki_dir, clock)
    missing = [
        DeviceProbe(path, e.protocol.value, "", "", errors=["no endpoint configured"])
        for path, *_r, e in plant.walk()
        if e.protocol is not Protocol.NONE and path not in covered
    ]
    return ProbeReport(started, observe_s, False, "configured", rows + missing)


async def probe_virtual(
    plant: Plant, observe_s: float, timeout_s: float, seed: int = 1
) -> ProbeReport:
    """Serve the plant's virtual plant on loopback (OS-chosen ports, embedded broker, speed 1,
    virtual time = wall time) and probe its endpoints."""
    from shopfloor.runtime.virtual import VirtualPlantSetup, build

    started = _now()
    with tempfile.TemporaryDirectory(prefix="shopfloor-assess-") as tmp:
        setup = VirtualPlantSetup(
            plant=plant,
            seed=seed,
            speed=1.0,
            start=datetime.now(UTC).replace(microsecond=0),
            pki_dir=Path(tmp) / "server-pki",
        )
        rt = build(setup)
        await rt.runtime.start()
        try:
            targets = runtime_targets(plant, rt)
            rows = await probe_targets(plant, targets, observe_s, timeout_s, Path(tmp) / "client")
        finally:
            await rt.runtime.stop()
    return ProbeReport(started, observe_s, True, "virtual", rows)
