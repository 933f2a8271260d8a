"""Connector status: per connector and per device, what operators and Prometheus look at.

A :class:`ConnectorStatus` registry holds one :class:`ConnectorState` per connector (Sparkplug
host, UNS connector, Modbus poller...). Connectors report as things happen (from any thread: one
lock guards the registry); readers take :meth:`ConnectorStatus.snapshot`, a plain dict::

    {"ts_ns": ..., "connectors": {"sparkplug-host": {
        "kind": "sparkplug", "online": true, "errors": 0, "last_error": "",
        "counters": {"rebirth_requests": 1, ...},
        "parked_total": 2, "parked_by_reason": {"malformed": 2},
        "parked": [{"ts_ns", "topic", "device", "reason", "detail", "offset", "payload_b64"}],
        "devices": {"t/a/l/c/m1": {"online": true, "last_message_ns": ..., "messages": 10,
            "samples": 900, "messages_per_s": 1.0, "samples_per_s": 90.0,
            "latency_s": 0.004, "latency_avg_s": 0.003, "errors": 0, "parked": 0,
            "last_error": ""}}}}}

Rates are over the last :data:`RATE_WINDOW_S` seconds of the injected clock; latency is receive
time minus the payload's own timestamp (last value and an exponential average).
:func:`shopfloor.connect.status_http.render_prometheus` turns a snapshot into the Prometheus text
format and :class:`~shopfloor.connect.status_http.MetricsServer` serves it.
"""

from __future__ import annotations

import base64
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from shopfloor.clock import NS_PER_S, Clock

#: Seconds over which messages/s and samples/s are averaged.
RATE_WINDOW_S = 10
_LATENCY_ALPHA = 0.1


@dataclass(frozen=True, slots=True)
class ParkedPayload:
    """A payload a connector could not (fully) use, kept for operators with the reason.

    ``reason`` is the short category that is counted (``malformed``, ``non-finite value``...);
    ``detail`` says exactly what is wrong; ``offset`` is the byte where a decoder could tell.
    """

    ts_ns: int
    topic: str
    reason: str
    detail: str
    payload: bytes
    offset: int | None = None
    device: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ts_ns": self.ts_ns,
            "topic": self.topic,
            "device": self.device,
            "reason": self.reason,
            "detail": self.detail,
            "offset": self.offset,
            "payload_b64": base64.b64encode(self.payload).decode("ascii"),
        }


class _Window:
    """Counts per whole second of the clock; the rate is their sum over the window."""

    __slots__ = ("buckets",)

    def __init__(self) -> None:
        self.buckets: deque[list[int]] = deque()

    def add(self, now_ns: int, n: int) -> None:
        second = now_ns // NS_PER_S
        if self.buckets and self.buckets[-1][0] == second:
            self.buckets[-1][1] += n
        else:
            self.buckets.append([second, n])
            while len(self.buckets) > RATE_WINDOW_S + 1:
                self.buckets.popleft()

    def rate(self, now_ns: int) -> float:
        first = now_ns // NS_PER_S - RATE_WINDOW_S
        return sum(n for s, n in self.buckets if s >= first) / RATE_WINDOW_S


@dataclass
class DeviceState:
    online: bool | None = None
    last_message_ns: int | None = None
    messages: int = 0
    samples: int = 0
    errors: int = 0
    parked: int = 0
    last_error: str = ""
    latency_ns: int | None = None
    latency_avg_ns: float | None = None
    message_rate: _Window = field(default_factory=_Window)
    sample_rate: _Window = field(default_factory=_Window)

    def snapshot(self, now_ns: int) -> dict[str, Any]:
        avg = self.latency_avg_ns
        return {
            "online": self.online,
            "last_message_ns": self.last_message_ns,
            "messages": self.messages,
            "samples": self.samples,
            "messages_per_s": self.message_rate.rate(now_ns),
            "samples_per_s": self.sample_rate.rate(now_ns),
            "latency_s": None if self.latency_ns is None else self.latency_ns / NS_PER_S,
            "latency_avg_s": None if avg is None else avg / NS_PER_S,
            "errors": self.errors,
            "parked": self.parked,
            "last_error": self.last_error,
        }


class ConnectorState:
    """What one connector reports. Every method is thread-safe (the registry's lock)."""

    def __init__(self, registry: ConnectorStatus, name: str, kind: str) -> None:
        self.name, self.kind = name, kind
        self._reg = registry
        self._lock = registry.lock
        self.online = False
        self.errors = 0
        self.last_error = ""
        self.counters: Counter[str] = Counter()
        self.parked_by_reason: Counter[str] = Counter()
        self.parked: deque[ParkedPayload] = deque(maxlen=registry.parked_max)
        self.devices: dict[str, DeviceState] = {}

    def _device(self, name: str) -> DeviceState:
        dev = self.devices.get(name)
        if dev is None:
            dev = self.devices[name] = DeviceState()
        return dev

    def set_online(self, online: bool) -> None:
        with self._lock:
            self.online = online

    def set_device_online(self, device: str, online: bool) -> None:
        with self._lock:
            self._device(device).online = online

    def message(self, device: str, samples: int = 0, latency_ns: int | None = None) -> None:
        """One message of ``device`` received, carrying ``samples`` samples."""
        now = self._reg.clock.now_ns()
        with self._lock:
            dev = self._device(device)
            dev.last_message_ns = now
            dev.messages += 1
            dev.samples += samples
            dev.message_rate.add(now, 1)
            if samples:
                dev.sample_rate.add(now, samples)
            if latency_ns is not None:
                dev.latency_ns = latency_ns
                avg = dev.latency_avg_ns
                dev.latency_avg_ns = (
                    float(latency_ns) if avg is None else avg + _LATENCY_ALPHA * (latency_ns - avg)
                )

    def error(self, message: str, device: str | None = None) -> None:
        with self._lock:
            self.errors += 1
            self.last_error = message
            if device is not None:
                dev = self._device(device)
                dev.errors += 1
                dev.last_error = message

    def count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counters[key] += n

    def park(self, parked: ParkedPayload) -> None:
        with self._lock:
            self.parked.append(parked)
            self.parked_by_reason[parked.reason] += 1
            if parked.device is not None:
                self._device(parked.device).parked += 1

    @property
    def parked_total(self) -> int:
        with self._lock:
            return sum(self.parked_by_reason.values())

    def snapshot(self, now_ns: int) -> dict[str, Any]:
        with self._lock:
            return {
                "kind": self.kind,
                "online": self.online,
                "errors": self.errors,
                "last_error": self.last_error,
                "counters": dict(self.counters),
                "parked_total": sum(self.parked_by_reason.values()),
                "parked_by_reason": dict(self.parked_by_reason),
                "parked": [p.to_dict() for p in self.parked],
                "devices": {n: d.snapshot(now_ns) for n, d in sorted(self.devices.items())},
            }


class ConnectorStatus:
    """The registry of every connector's state (one per process, shared by the connectors)."""

    def __init__(self, clock: Clock, *, parked_max: int = 100) -> None:
        self.clock = clock
        self.parked_max = parked_max
        self.lock = threading.RLock()
        self._connectors: dict[str, ConnectorState] = {}

    def connector(self, name: str, kind: str) -> ConnectorState:
        """The state of connector ``name`` (created on first use)."""
        with self.lock:
            state = self._connectors.get(name)
            if state is None:
                state = self._connectors[name] = ConnectorState(self, name, kind)
            return state

    def snapshot(self) -> dict[str, Any]:
        now = self.clock.now_ns()
        with self.lock:
            connectors = dict(self._connectors)
        return {
            "ts_ns": now,
            "connectors": {n: c.snapshot(now) for n, c in sorted(connectors.items())},
        }


# ---- Prometheus text exposition (format 0.0.4) ------------------------------------------------

_CONNECTOR_METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("online", "gauge", "1 when the connector is connected to its server or broker", "online"),
    ("errors_total", "counter", "Errors the connector met (device, decode, sink)", "errors"),
)
_DEVICE_METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("online", "gauge", "1 when the device is online (born, answering)", "online"),
    (
        "last_message_timestamp_seconds",
        "gauge",
        "When the last message of the device arrived",
        "last_message_ns",
    ),
    ("messages_total", "counter", "Messages received from the device", "messages"),
    ("samples_total", "counter", "Samples delivered for the device", "samples"),
    (
        "messages_per_second",
        "gauge",
        f"Messages per second over {RATE_WINDOW_S} s",
        "messages_per_s",
    ),
    ("samples_per_second", "gauge", f"Samples per second over {RATE_WINDOW_S} s", "samples_per_s"),
    (
        "latency_seconds",
        "gauge",
        "Receive time minus payload time of the last message",
        "latency_s",
    ),
    ("errors_total", "counter", "Errors met for the device", "errors"),
    ("parked_total", "counter", "Payloads of the device parked", "parked"),
)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**items: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in items.items()) + "}"


def _number(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    f = float(value)
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    return repr(f)


def render_prometheus(snapshot: dict[str, Any]) -> str:
    """A :meth:`ConnectorStatus.snapshot` in the Prometheus text exposition format."""
    out: list[str] = []
    connectors: dict[str, Any] = snapshot["connectors"]

    def family(name: str, kind: str, help_text: str, rows: list[tuple[str, str | None]]) -> None:
        rows = [(labels, v) for labels, v in rows if v is not None]
        if rows:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")
            out.extend(f"{name}{labels} {v}" for labels, v in rows)

    for suffix, kind, help_text, key in _CONNECTOR_METRICS:
        family(
            f"shopfloor_connector_{suffix}",
            kind,
            help_text,
            [
                (_labels(connector=n, kind=c["kind"]), _number(c[key]))
                for n, c in connectors.items()
            ],
        )
    family(
        "shopfloor_connector_parked_total",
        "counter",
        "Payloads parked, by reason",
        [
            (_labels(connector=n, reason=r), _number(k))
            for n, c in connectors.items()
            for r, k in sorted(c["parked_by_reason"].items())
        ],
    )
    family(
        "shopfloor_connector_count_total",
        "counter",
        "Connector-specific counters",
        [
            (_labels(connector=n, counter=k), _number(v))
            for n, c in connectors.items()
            for k, v in sorted(c["counters"].items())
        ],
    )
    for suffix, kind, help_text, key in _DEVICE_METRICS:
        rows = []
        for n, c in connectors.items():
            for d, dev in c["devices"].items():
                value = dev[key]
                if key == "last_message_ns" and value is not None:
                    value = value / NS_PER_S
                rows.append((_labels(connector=n, device=d), _number(value)))
        family(f"shopfloor_connector_device_{suffix}", kind, help_text, rows)
    return "\n".join(out) + "\n"
