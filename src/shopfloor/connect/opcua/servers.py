"""Which OPC UA server each equipment is read from: one session per server.

An equipment's own ``endpoint`` (``url``, or host and port) wins; without one it is read from
the settings' ``opcua_url``. Equipment on the same server with the same security and the same
user shares one session; a user name comes with the environment variable that holds its
password (``password_env``), read when the session is configured, never stored in the plant file;
a certificate identity names its certificate and private-key files (``user_certificate``,
``user_key``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.errors import ConfigError
from shopfloor.plant.model import Connectivity, Plant, Protocol


@dataclass(frozen=True, slots=True)
class OpcUaServer:
    """One OPC UA session: where, how it is secured, as whom, and the equipment it reads."""

    url: str
    security: str | None = None
    mode: str | None = None
    username: str | None = None
    password_env: str | None = None
    user_certificate: str | None = None
    user_key: str | None = None
    equipment: tuple[str, ...] = ()

    def client_config(self, pki_dir: Path | None = None) -> OpcUaClientConfig:
        """The connector's settings for this server; the password is read from its environment
        variable now (a :class:`ConfigError` names the variable when it is not set)."""
        config = OpcUaClientConfig(self.url, pki_dir=pki_dir)
        if self.security is not None:
            config = replace(config, security=self.security, mode=self.mode or config.mode)
        if self.username is not None:
            password = os.environ.get(self.password_env) if self.password_env else None
            if self.password_env and password is None:
                raise ConfigError(
                    f"OPC UA server {self.url}: the password of user {self.username!r} is read "
                    f"from the environment variable {self.password_env}, which is not set "
                    f"(equipment {', '.join(self.equipment)})",
                    field="password_env",
                )
            config = replace(config, username=self.username, password=password)
        if self.user_certificate is not None or self.user_key is not None:
            config = replace(
                config,
                user_certificate=Path(self.user_certificate) if self.user_certificate else None,
                user_key=Path(self.user_key) if self.user_key else None,
            )
        return config.validate()


def opcua_servers(plant: Plant, default_url: str | None) -> tuple[list[OpcUaServer], list[str]]:
    """The plant's OPC UA equipment grouped by session, and the paths of equipment with no
    server to read it from."""
    groups: dict[OpcUaServer, list[str]] = {}
    missing: list[str] = []
    for path, *_r, eq in plant.walk():
        if eq.connectivity is Connectivity.NONE or eq.protocol is not Protocol.OPCUA:
            continue
        ep = eq.endpoint
        url = ep.url
        if url is None and ep.host is not None:
            url = f"opc.tcp://{ep.host}:{ep.port or 4840}"
        url = url or default_url
        if url is None:
            missing.append(path)
            continue
        key = OpcUaServer(
            url, ep.security, ep.mode, ep.username, ep.password_env, ep.user_certificate,
            ep.user_key,
        )  # fmt: skip
        groups.setdefault(key, []).append(path)
    servers = [replace(key, equipment=tuple(paths)) for key, paths in groups.items()]
    return servers, missing
