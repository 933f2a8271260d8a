"""Typed settings of the Modbus side: the gateway (server) and the poller (client).

Both are frozen dataclasses with a ``validate()`` that returns the object or raises
:class:`~shopfloor.errors.ConfigError` naming every bad field.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from shopfloor.errors import ConfigError

#: Modbus limits per read request: registers (function codes 3 and 4), bits (1 and 2).
MAX_READ_REGISTERS = 125
MAX_READ_BITS = 2000


def _port_error(port: int, allow_zero: bool) -> str | None:
    low = 0 if allow_zero else 1
    if not isinstance(port, int) or isinstance(port, bool) or not low <= port <= 65535:
        return f"must be an integer {low}-65535, got {port!r}"
    return None


def _host_error(host: str) -> str | None:
    if not isinstance(host, str) or not host.strip():
        return f"must be a host name or IP address, got {host!r}"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if any(c.isspace() for c in host) or "/" in host:
            return f"must be a host name or IP address, got {host!r}"
    return None


def _raise(what: str, errors: list[str]) -> None:
    if errors:
        raise ConfigError(f"{what}: " + "; ".join(errors), errors=errors)


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Where the virtual plant's Modbus TCP gateway listens (port 0 = any free port)."""

    host: str = "127.0.0.1"
    port: int = 0

    def validate(self) -> GatewayConfig:
        errors = []
        if (e := _host_error(self.host)) is not None:
            errors.append(f"host {e}")
        if (e := _port_error(self.port, allow_zero=True)) is not None:
            errors.append(f"port {e}")
        _raise("Modbus gateway settings", errors)
        return self


@dataclass(frozen=True, slots=True)
class PollerConfig:
    """How the poller reaches one Modbus TCP server (a gateway or a device) and paces itself."""

    host: str
    port: int = 502
    #: Seconds to wait for a connection or a response.
    timeout_s: float = 2.0
    #: Seconds between the starts of two polls of every unit.
    poll_interval_s: float = 1.0
    #: First wait before reconnecting; doubles on each failure up to ``backoff_max_s``.
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    #: Registers per read request (Modbus allows at most 125).
    max_registers: int = MAX_READ_REGISTERS

    def validate(self) -> PollerConfig:
        errors = []
        if (e := _host_error(self.host)) is not None:
            errors.append(f"host {e}")
        if (e := _port_error(self.port, allow_zero=False)) is not None:
            errors.append(f"port {e}")
        for name in ("timeout_s", "poll_interval_s", "backoff_initial_s", "backoff_max_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                errors.append(f"{name} must be a positive number of seconds, got {value!r}")
        if (
            isinstance(self.backoff_initial_s, int | float)
            and isinstance(self.backoff_max_s, int | float)
            and self.backoff_max_s < self.backoff_initial_s
        ):
            errors.append(
                f"backoff_max_s ({self.backoff_max_s}) must be >= backoff_initial_s "
                f"({self.backoff_initial_s})"
            )
        if (
            not isinstance(self.max_registers, int)
            or not 1 <= self.max_registers <= MAX_READ_REGISTERS
        ):
            errors.append(
                f"max_registers must be 1-{MAX_READ_REGISTERS} (Modbus limit per read), "
                f"got {self.max_registers!r}"
            )
        _raise("Modbus poller settings", errors)
        return self
