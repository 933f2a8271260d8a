"""Typed settings of the OPC UA side of shopfloor, each with a ``validate()``."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from pathlib import Path

from shopfloor.errors import ConfigError

from .security import SecurityPolicy, parse_policies
from .trust import ClientTrust

ENDPOINT_PATH = "/shopfloor"


@dataclass(frozen=True)
class OpcUaServerConfig:
    """How the virtual plant's OPC UA server listens.

    ``port`` 0 lets the server pick a free port (see ``OpcUaServer.endpoint``). ``pki_dir`` holds
    the server certificate (generated when missing) and the client trust lists; it is required
    when a secure policy is offered. ``trust`` is a :class:`ClientTrust` mode.
    """

    host: str = "127.0.0.1"
    port: int = 0
    pki_dir: Path | None = None
    security: tuple[str, ...] = (SecurityPolicy.NONE.value, SecurityPolicy.BASIC256SHA256.value)
    trust: str = ClientTrust.TOFU.value
    #: Machine events kept for HistoryRead on the Server object (the newest; 0: none), so a
    #: client that was away reads what it missed.
    event_history: int = 100_000

    @property
    def policies(self) -> tuple[SecurityPolicy, ...]:
        return parse_policies(self.security)

    @property
    def client_trust(self) -> ClientTrust:
        return ClientTrust(self.trust)

    def validate(self) -> OpcUaServerConfig:
        """This config with normalised values; :class:`ConfigError` naming every bad field."""
        errors: list[str] = []
        host = self.host.strip() if isinstance(self.host, str) else ""
        if not host or any(c in host for c in " /[]") or "://" in host:
            errors.append(f"host: {self.host!r} is not a host name or IP address")
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            errors.append(f"port: {self.port!r} is not an integer")
        elif not 0 <= self.port <= 65535:
            errors.append(f"port: {self.port} is outside 0-65535 (0 = any free port)")
        policies: tuple[SecurityPolicy, ...] = ()
        try:
            policies = parse_policies(self.security)
        except ConfigError as exc:
            errors.append(exc.message)
        if any(p.secure for p in policies) and self.pki_dir is None:
            errors.append("pki_dir: needed for the Basic256Sha256 policy (certificates live there)")
        history = self.event_history
        if isinstance(history, bool) or not isinstance(history, int) or history < 0:
            errors.append(f"event_history: {history!r} must be a number of events, 0 or more")
        try:
            ClientTrust(self.trust)
        except ValueError:
            known = ", ".join(t.value for t in ClientTrust)
            errors.append(f"trust: unknown client trust mode {self.trust!r} (use {known})")
        if errors:
            raise ConfigError("bad OPC UA server config: " + "; ".join(errors), errors=errors)
        return replace(
            self,
            host=host,
            security=tuple(p.value for p in policies),
            pki_dir=Path(self.pki_dir) if self.pki_dir is not None else None,
        )

    def endpoint_url(self, port: int) -> str:
        host = self.host
        try:
            if ipaddress.ip_address(host).version == 6:
                host = f"[{host}]"
        except ValueError:
            pass
        return f"opc.tcp://{host}:{port}{ENDPOINT_PATH}"
